//! Automatic restart by the watcher (`[restart] on_failure = true` of an app spec): a managed
//! app whose latest run's job FAILED, on a cluster that answers, is started again from its latest
//! checkpoint or savepoint through the ordinary start action (journaled, duplicate-guarded,
//! restore verified, audited with the user `watch`). Each attempt and give-up is a row in the
//! store, so a restarted watcher keeps counting; each is also a message to the channels of the
//! `failed` rules covering the app (or, without one, of every rule covering it).
//!
//! Restarts run in their own tasks (a start waits up to minutes for its restore to verify), one
//! per app at a time; the loop collects them with [`Restarts::collect`].

use std::collections::HashSet;
use std::sync::Arc;

use tokio::task::JoinSet;
use tracing::{info, warn};

use super::observe::first_line;
use super::Fleet;
use crate::config::ChannelConfig;
use crate::domain::alerts::AlertKind;
use crate::domain::restart::{
    decide, failed_runs, ClusterJobs, Decision, FailedRun, RestartEvent, RestartRecord,
};
use crate::domain::time::now_ms;
use crate::domain::{ActionOutcome, ActionRequest, RestartPolicy, RestoreChoice};
use crate::service::alerts::{deliver_all, Event, Message, Retry};
use crate::service::ops::{record_job_checkpoints, restore_points, run_action, Actor, OpsContext};
use crate::store::Store;

/// The user the watcher's actions are audited as.
pub const WATCH_USER: &str = "watch";

/// Attempts counted for a decision reach back at least this far (a give-up or a successful
/// attempt for a failed job older than the window is still known).
const HISTORY_MS: i64 = 24 * 3_600_000;

/// What one restart task did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RestartDone {
    pub restarted: u64,
    pub restart_failed: u64,
    pub gave_up: u64,
    pub deliveries_failed: u64,
}

/// The restart tasks in flight, one per app at most.
#[derive(Default)]
pub struct Restarts {
    tasks: JoinSet<(String, RestartDone)>,
    in_flight: HashSet<String>,
}

impl Restarts {
    /// Finished tasks (all of them with `wait`), their apps free again.
    pub async fn collect(&mut self, wait: bool) -> RestartDone {
        let mut sum = RestartDone::default();
        loop {
            let next = if wait {
                self.tasks.join_next().await
            } else {
                self.tasks.try_join_next()
            };
            let Some(done) = next else { break };
            match done {
                Ok((app, d)) => {
                    self.in_flight.remove(&app);
                    sum.restarted += d.restarted;
                    sum.restart_failed += d.restart_failed;
                    sum.gave_up += d.gave_up;
                    sum.deliveries_failed += d.deliveries_failed;
                }
                Err(e) => warn!(error = %e, "a restart task ended abnormally"),
            }
        }
        if self.tasks.is_empty() {
            self.in_flight.clear();
        }
        sum
    }

    /// Whether a restart is running.
    pub fn busy(&self) -> bool {
        !self.tasks.is_empty()
    }

    /// Starts a task for every app with `[restart] on_failure` whose latest run FAILED and that
    /// the recorded attempts allow (a restart, or the give-up once).
    pub async fn check(
        &mut self,
        ops: &OpsContext,
        fleet: &Fleet,
        http: &reqwest::Client,
        retry: Retry,
    ) {
        let Some(apps) = &fleet.apps else { return };
        if ops.readonly {
            // Read-only mode refuses every start; said once when the watcher starts.
            return;
        }
        let views: Vec<ClusterJobs<'_>> = fleet
            .clusters
            .iter()
            .filter_map(|(name, v)| {
                Some(ClusterJobs {
                    name,
                    reachable: v.health.status != crate::domain::HealthStatus::Unreachable,
                    jobs: v.jobs.as_deref()?,
                })
            })
            .collect();
        let candidates = failed_runs(apps, &fleet.job_apps, &views, |a| {
            !self.in_flight.contains(a)
        });
        let now = now_ms();
        for run in candidates {
            let name = run.app.clone();
            let found = ops
                .store
                .call(move |s: &mut Store| {
                    let Some(app) = s.app(&name)? else {
                        return Ok(None);
                    };
                    let Some(policy) = app.spec.restart_on_failure() else {
                        return Ok(None);
                    };
                    let within = i64::try_from(policy.within_ms).unwrap_or(i64::MAX);
                    let since = now.saturating_sub(within.max(HISTORY_MS));
                    Ok(Some((policy, s.restarts(&name, since)?)))
                })
                .await;
            let (policy, history) = match found {
                Ok(Some(x)) => x,
                Ok(None) => continue,
                Err(e) => {
                    warn!(app = %run.app, error = %e, "cannot read the restart attempts; not restarting");
                    continue;
                }
            };
            let Some(decision) = decide(&policy, &run.job_id, &history, now) else {
                continue;
            };
            let channels = channels_for(ops, &run);
            let task = Task {
                ops: ops.clone(),
                http: http.clone(),
                retry,
                channels,
                run: run.clone(),
                policy,
            };
            self.in_flight.insert(run.app.clone());
            self.tasks.spawn(async move {
                let done = task.handle(decision).await;
                (task.run.app, done)
            });
        }
    }
}

/// The rule named in the messages and the channels they go to: the `failed` rules covering the
/// app, or, without one, every rule covering it.
fn channels_for(ops: &OpsContext, run: &FailedRun) -> (String, Vec<ChannelConfig>) {
    let rules = &ops.config.alerts.rules;
    let covering: Vec<_> = rules
        .iter()
        .filter(|r| r.covers(&run.cluster, Some(&run.app)))
        .collect();
    let failed: Vec<_> = covering
        .iter()
        .copied()
        .filter(|r| r.when == AlertKind::Failed)
        .collect();
    let chosen = if failed.is_empty() { covering } else { failed };
    let mut names: Vec<&str> = Vec::new();
    for r in &chosen {
        for c in &r.channels {
            if !names.contains(&c.as_str()) {
                names.push(c);
            }
        }
    }
    let rule = chosen
        .first()
        .map_or_else(|| "restart".to_string(), |r| r.name.clone());
    let channels = names
        .into_iter()
        .filter_map(|n| ops.config.alerts.channel(n).cloned())
        .collect();
    (rule, channels)
}

/// The last `Caused by:` line of a Java stack trace, without the prefix.
fn innermost_cause(trace: &str) -> Option<String> {
    trace
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Caused by: "))
        .map(|c| c.trim().to_string())
}

struct Task {
    ops: OpsContext,
    http: reqwest::Client,
    retry: Retry,
    channels: (String, Vec<ChannelConfig>),
    run: FailedRun,
    policy: RestartPolicy,
}

impl Task {
    async fn handle(&self, decision: Decision) -> RestartDone {
        let root = self.root_exception().await;
        let mut done = RestartDone::default();
        match decision {
            Decision::GiveUp { attempts, max } => {
                let within = crate::domain::alerts::fmt_ms(
                    i64::try_from(self.policy.within_ms).unwrap_or(i64::MAX),
                );
                let detail = format!(
                    "gave up restarting {}: {attempts} attempt(s) within {within} (max {max}); last failure: {}",
                    self.run.app,
                    root.as_deref().unwrap_or("unknown (no root exception reported)")
                );
                warn!(app = %self.run.app, job = %self.run.job_id, "{detail}");
                self.record(RestartEvent::GaveUp, attempts, false, None, None, &detail)
                    .await;
                done.gave_up = 1;
                done.deliveries_failed += self
                    .send(
                        Event::GaveUp,
                        format!("gave up restarting app {}", self.run.app),
                        &self.run.job_id,
                        detail,
                    )
                    .await;
            }
            Decision::Restart { attempt, max } => {
                done = self.restart(attempt, max, root).await;
            }
        }
        done
    }

    async fn restart(&self, attempt: u32, max: u32, root: Option<String>) -> RestartDone {
        let mut done = RestartDone::default();
        let app = &self.run.app;
        // The failed job's checkpoints may not be recorded yet (no console watched it run).
        if let Some(h) = self.ops.clusters.get(&self.run.cluster) {
            record_job_checkpoints(&self.ops, &h, &self.run.job_id).await;
        }
        let point = restore_points(&self.ops, app)
            .await
            .ok()
            .and_then(|p| p.into_iter().next());
        let from = point.as_ref().map_or_else(
            || "nothing (no checkpoint or savepoint recorded: a fresh start)".to_string(),
            |p| p.path.clone(),
        );
        let said = format!(
            "restarting {app} (attempt {attempt}/{max}) from {from}; job {} failed: {}",
            self.run.job_id,
            root.as_deref().unwrap_or("no root exception reported")
        );
        info!(app = %app, job = %self.run.job_id, "{said}");
        let row = self
            .record(
                RestartEvent::Attempt,
                attempt,
                false,
                None,
                point.as_ref().map(|p| p.path.clone()),
                "starting",
            )
            .await;
        let headline = format!("restarting app {app} (attempt {attempt}/{max})");
        // The attempt's message goes out while the start runs.
        let announce = {
            let t = self.clone_for_send();
            let (job, said) = (self.run.job_id.clone(), said.clone());
            tokio::spawn(async move { t.send(Event::Restarting, headline, &job, said).await })
        };
        let mut ctx = self.ops.clone();
        ctx.actor = Actor {
            user: WATCH_USER.to_string(),
            ssh_origin: None,
        };
        ctx.wait = true;
        let request = ActionRequest::Start {
            app: app.clone(),
            from: RestoreChoice::Latest,
            allow_non_restored: false,
        };
        let progress = |line: String| info!(app = %app, "{line}");
        let outcome = run_action(&ctx, &request, &progress).await;
        let (ok, job_id, detail) = match &outcome {
            ActionOutcome::Done {
                message, job_id, ..
            } => (true, job_id.clone(), message.clone()),
            ActionOutcome::Failed { reason } => (false, None, format!("failed: {reason}")),
            ActionOutcome::Refused { reason } => (false, None, format!("refused: {reason}")),
            ActionOutcome::Invalid { reason } => (false, None, format!("invalid: {reason}")),
        };
        if let Some(id) = row {
            let (j, d) = (job_id.clone(), detail.clone());
            if let Err(e) = self
                .ops
                .store
                .call(move |s: &mut Store| s.finish_restart(id, ok, j.as_deref(), &d))
                .await
            {
                warn!(app = %app, error = %e, "cannot record the restart's outcome");
            }
        }
        let (event, headline, reason, job) = if ok {
            done.restarted = 1;
            info!(app = %app, "restart attempt {attempt}/{max}: {detail}");
            (
                Event::Restarted,
                format!("restarted app {app} (attempt {attempt}/{max})"),
                format!("restarted {app} (attempt {attempt}/{max}): {detail}"),
                job_id.unwrap_or_else(|| self.run.job_id.clone()),
            )
        } else {
            done.restart_failed = 1;
            warn!(app = %app, "restart attempt {attempt}/{max}: {detail}");
            (
                Event::RestartFailed,
                format!("restart of app {app} failed (attempt {attempt}/{max})"),
                format!("restart of {app} (attempt {attempt}/{max}) {detail}"),
                self.run.job_id.clone(),
            )
        };
        done.deliveries_failed += announce.await.unwrap_or(0);
        done.deliveries_failed += self.send(event, headline, &job, reason).await;
        done
    }

    fn clone_for_send(&self) -> Task {
        Task {
            ops: self.ops.clone(),
            http: self.http.clone(),
            retry: self.retry,
            channels: self.channels.clone(),
            run: self.run.clone(),
            policy: self.policy,
        }
    }

    /// The first line of the failed job's root exception, with its innermost cause (Flink
    /// wraps the job's own exception, e.g. in "Recovery is suppressed by …").
    async fn root_exception(&self) -> Option<String> {
        let h = self.ops.clusters.get(&self.run.cluster)?;
        let ex = h.rest.exceptions(&self.run.job_id, 1).await.ok()?;
        ex.root.map(|r| {
            let line = first_line(&r.stacktrace);
            if line.is_empty() {
                return r.name;
            }
            match innermost_cause(&r.stacktrace) {
                Some(cause) if cause != line => format!("{line} (caused by {cause})"),
                _ => line,
            }
        })
    }

    async fn record(
        &self,
        event: RestartEvent,
        attempt: u32,
        ok: bool,
        job_id: Option<String>,
        restored_from: Option<String>,
        detail: &str,
    ) -> Option<i64> {
        let rec = RestartRecord {
            id: 0,
            app: self.run.app.clone(),
            cluster: self.run.cluster.clone(),
            failed_job: self.run.job_id.clone(),
            at: now_ms(),
            event,
            attempt,
            ok,
            job_id,
            restored_from,
            detail: detail.to_string(),
        };
        match self
            .ops
            .store
            .call(move |s: &mut Store| s.record_restart(&rec))
            .await
        {
            Ok(id) => Some(id),
            Err(e) => {
                warn!(app = %self.run.app, error = %e, "cannot record the restart");
                None
            }
        }
    }

    /// Sends one message to the channels; returns how many deliveries failed for good.
    async fn send(&self, event: Event, headline: String, job: &str, reason: String) -> u64 {
        let (rule, channels) = &self.channels;
        if channels.is_empty() {
            return 0;
        }
        let (r, subject) = (rule.clone(), format!("app:{}", self.run.app));
        let incident = self
            .ops
            .store
            .call(move |s: &mut Store| {
                Ok(s.incidents(true, usize::MAX >> 1)?
                    .into_iter()
                    .find(|i| i.rule == r && i.subject == subject)
                    .map(|i| (i.id, i.since)))
            })
            .await
            .ok()
            .flatten();
        let now = now_ms();
        let msg = Message {
            event,
            incident: incident.map(|(id, _)| id),
            rule: rule.clone(),
            kind: Some(AlertKind::Failed),
            subject: format!("app:{}", self.run.app),
            app: Some(self.run.app.clone()),
            cluster: self.run.cluster.clone(),
            job_id: Some(job.to_string()),
            // The failed job's state; a restarted app's new job has passed its start checks.
            state: (event != Event::Restarted).then(|| "FAILED".to_string()),
            reason,
            since: incident
                .map(|(_, since)| since)
                .or(self.run.ended_at)
                .unwrap_or(now),
            at: now,
            headline: Some(headline),
        };
        let done = deliver_all(
            &self.http,
            &self.ops.store,
            channels.clone(),
            Arc::new(msg),
            self.retry,
        )
        .await;
        done.iter().filter(|d| !d.ok).count() as u64
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_innermost_cause_of_a_stack_trace() {
        let trace =
            "org.apache.flink.runtime.JobException: Recovery is suppressed\n\tat a.b(C.java:1)\n\
                     Caused by: java.lang.RuntimeException: wrapper\n\tat d.e(F.java:2)\n\
                     Caused by: java.lang.IllegalStateException: boom\n\t... 3 more\n";
        assert_eq!(
            super::innermost_cause(trace).as_deref(),
            Some("java.lang.IllegalStateException: boom")
        );
        assert_eq!(
            super::innermost_cause("java.lang.X: y\n\tat a(B.java:1)"),
            None
        );
    }
}
