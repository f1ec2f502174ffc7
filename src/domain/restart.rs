//! Automatic restart by the watcher (`[restart] on_failure = true` of an app spec), the pure
//! part: which managed apps' latest runs FAILED on a cluster that answers, and, from the attempts
//! recorded so far, whether to try again or give up. No I/O: the watcher starts the app and
//! records each attempt.
//!
//! Only FAILED counts: a run a user ended (CANCELED by `cancel`, FINISHED by `stop`) or a job
//! still RESTARTING under Flink's own restart strategy is never restarted. A failed job is
//! handled once: an attempt that started a new job, or the give-up, is never repeated for it; an
//! attempt whose start failed is tried again after [`RETRY_FAILED_START_MS`] (counted again).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{AppSummary, JobKey, JobState, JobSummary, RestartPolicy};

/// How long after a start that failed (Flink refused it, a restore mismatch) the same failed job
/// is tried again.
pub const RETRY_FAILED_START_MS: i64 = 30_000;

/// What a recorded row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartEvent {
    /// The watcher started the app again (`ok`: the start succeeded).
    Attempt,
    /// The watcher stopped trying (`max` attempts within the window).
    GaveUp,
}

impl RestartEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartEvent::Attempt => "attempt",
            RestartEvent::GaveUp => "gave_up",
        }
    }

    pub fn parse(s: &str) -> Option<RestartEvent> {
        [RestartEvent::Attempt, RestartEvent::GaveUp]
            .into_iter()
            .find(|e| e.as_str() == s)
    }
}

/// One recorded restart attempt or give-up of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartRecord {
    pub id: i64,
    pub app: String,
    pub cluster: String,
    /// The FAILED job that made the watcher act.
    pub failed_job: String,
    /// Epoch ms.
    pub at: i64,
    pub event: RestartEvent,
    /// 1-based attempt number within the window (for a give-up: the attempts it counted).
    pub attempt: u32,
    pub ok: bool,
    /// The job the attempt started, when it got that far.
    pub job_id: Option<String>,
    /// What the start restored from (`None`: a fresh start).
    pub restored_from: Option<String>,
    /// The start's message or error, or why it gave up.
    pub detail: String,
}

/// A managed app whose latest run's job FAILED on a cluster that answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRun {
    pub app: String,
    pub cluster: String,
    pub job_id: String,
    /// When the job ended (epoch ms), if the cluster said.
    pub ended_at: Option<i64>,
}

/// A cluster's last job list as the watcher holds it.
#[derive(Debug, Clone, Copy)]
pub struct ClusterJobs<'a> {
    pub name: &'a str,
    /// The cluster answered its last poll.
    pub reachable: bool,
    pub jobs: &'a [JobSummary],
}

/// The apps in `apps` (of which `wanted` says whether it restarts on failure) whose latest run's
/// job is listed FAILED by its cluster, which answers, and which have no other active job there.
/// A run whose recorded final state is not FAILED (ended by a user) never qualifies.
pub fn failed_runs(
    apps: &[AppSummary],
    job_apps: &HashMap<JobKey, String>,
    clusters: &[ClusterJobs<'_>],
    wanted: impl Fn(&str) -> bool,
) -> Vec<FailedRun> {
    let mut out = Vec::new();
    for a in apps {
        let Some(job_id) = &a.job_id else { continue };
        if a.state.as_ref().is_some_and(|s| *s != JobState::Failed) || !wanted(&a.name) {
            continue;
        }
        let of_app = |c: &str, j: &JobSummary| {
            j.name == a.name
                || job_apps
                    .get(&JobKey::new(c, &j.id))
                    .is_some_and(|n| *n == a.name)
        };
        let found = clusters.iter().find_map(|c| {
            let j = c
                .jobs
                .iter()
                .find(|j| &j.id == job_id && of_app(c.name, j))?;
            Some((c, j))
        });
        let Some((c, job)) = found else { continue };
        if !c.reachable || job.stale || job.state != JobState::Failed {
            continue;
        }
        if c.jobs
            .iter()
            .any(|j| j.state.is_active() && of_app(c.name, j))
        {
            continue;
        }
        out.push(FailedRun {
            app: a.name.clone(),
            cluster: c.name.to_string(),
            job_id: job_id.clone(),
            ended_at: job.end_time,
        });
    }
    out
}

/// What the watcher does about one failed run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Start the app again: attempt `attempt` of `max` within the window.
    Restart { attempt: u32, max: u32 },
    /// `attempts` attempts within the window already: stop trying, say so once.
    GiveUp { attempts: u32, max: u32 },
}

/// Whether to restart the app of `failed_job` now, given the app's recorded attempts
/// (`history`, any order); `None`: nothing to do (already handled, or a failed start is waiting
/// for its retry).
pub fn decide(
    policy: &RestartPolicy,
    failed_job: &str,
    history: &[RestartRecord],
    now: i64,
) -> Option<Decision> {
    if !policy.on_failure {
        return None;
    }
    let for_job = || history.iter().filter(|r| r.failed_job == failed_job);
    let handled = for_job().any(|r| r.event == RestartEvent::GaveUp || r.ok);
    let retry_pending = for_job()
        .any(|r| r.event == RestartEvent::Attempt && !r.ok && now - r.at < RETRY_FAILED_START_MS);
    if handled || retry_pending {
        return None;
    }
    let window = i64::try_from(policy.within_ms).unwrap_or(i64::MAX);
    let attempts = history
        .iter()
        .filter(|r| r.event == RestartEvent::Attempt && now.saturating_sub(r.at) < window)
        .count();
    let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    let max = policy.max;
    Some(if attempts >= max {
        Decision::GiveUp { attempts, max }
    } else {
        Decision::Restart {
            attempt: attempts + 1,
            max,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AppKind;

    const MIN: i64 = 60_000;

    fn policy(max: u32) -> RestartPolicy {
        RestartPolicy {
            on_failure: true,
            max,
            within_ms: 30 * 60_000,
        }
    }

    fn rec(failed_job: &str, at: i64, event: RestartEvent, ok: bool) -> RestartRecord {
        RestartRecord {
            id: 0,
            app: "a".into(),
            cluster: "c".into(),
            failed_job: failed_job.into(),
            at,
            event,
            attempt: 1,
            ok,
            job_id: None,
            restored_from: None,
            detail: String::new(),
        }
    }

    #[test]
    fn counts_attempts_within_the_window_then_gives_up_once() {
        let now = 100 * MIN;
        let p = policy(2);
        assert_eq!(
            decide(&p, "j1", &[], now),
            Some(Decision::Restart { attempt: 1, max: 2 })
        );
        let mut h = vec![rec("j1", now - 5 * MIN, RestartEvent::Attempt, true)];
        assert_eq!(decide(&p, "j1", &h, now), None, "j1 was handled");
        assert_eq!(
            decide(&p, "j2", &h, now),
            Some(Decision::Restart { attempt: 2, max: 2 })
        );
        h.push(rec("j2", now - MIN, RestartEvent::Attempt, true));
        assert_eq!(
            decide(&p, "j3", &h, now),
            Some(Decision::GiveUp {
                attempts: 2,
                max: 2
            })
        );
        h.push(rec("j3", now, RestartEvent::GaveUp, false));
        assert_eq!(
            decide(&p, "j3", &h, now + MIN),
            None,
            "the give-up is said once"
        );
        // The window slides: the old attempts no longer count.
        assert_eq!(
            decide(&p, "j4", &h, now + 40 * MIN),
            Some(Decision::Restart { attempt: 1, max: 2 })
        );
    }

    #[test]
    fn a_failed_start_is_tried_again_later_and_counts() {
        let now = 100 * MIN;
        let p = policy(3);
        let h = vec![rec("j1", now - 10_000, RestartEvent::Attempt, false)];
        assert_eq!(decide(&p, "j1", &h, now), None);
        assert_eq!(
            decide(&p, "j1", &h, now + RETRY_FAILED_START_MS),
            Some(Decision::Restart { attempt: 2, max: 3 })
        );
    }

    #[test]
    fn off_means_never() {
        let p = RestartPolicy {
            on_failure: false,
            ..policy(3)
        };
        assert_eq!(decide(&p, "j1", &[], 0), None);
    }

    fn job(id: &str, name: &str, state: JobState) -> JobSummary {
        JobSummary {
            cluster: "c".into(),
            id: id.into(),
            name: name.into(),
            state,
            start_time: 0,
            end_time: Some(5),
            duration_ms: 5,
            last_modification: 5,
            tasks_running: 0,
            tasks_total: 1,
            last_checkpoint: None,
            restarts: None,
            stale: false,
            detail_at_ms: None,
            vitals: None,
        }
    }

    fn app(name: &str, job: &str, state: Option<JobState>) -> AppSummary {
        AppSummary {
            name: name.into(),
            cluster: "c".into(),
            kind: AppKind::Jar,
            version: 1,
            owner: None,
            team: None,
            tags: Vec::new(),
            job_id: Some(job.into()),
            state,
        }
    }

    #[test]
    fn only_failed_latest_runs_on_answering_clusters() {
        let jobs = vec![
            job("f1", "failed-app", JobState::Failed),
            job("x1", "cancelled-app", JobState::Canceled),
            job("r1", "restarting-app", JobState::Restarting),
            job("u1", "user-ended", JobState::Failed),
            job("o1", "off-app", JobState::Failed),
            job("d1", "dup-app", JobState::Failed),
            job("d2", "dup-app", JobState::Running),
        ];
        let apps = vec![
            app("failed-app", "f1", None),
            app("cancelled-app", "x1", Some(JobState::Canceled)),
            app("restarting-app", "r1", None),
            app("user-ended", "u1", Some(JobState::Canceled)),
            app("off-app", "o1", None),
            app("dup-app", "d1", None),
        ];
        let live = [ClusterJobs {
            name: "c",
            reachable: true,
            jobs: &jobs,
        }];
        let wanted = |a: &str| a != "off-app";
        let got = failed_runs(&apps, &HashMap::new(), &live, wanted);
        assert_eq!(
            got,
            vec![FailedRun {
                app: "failed-app".into(),
                cluster: "c".into(),
                job_id: "f1".into(),
                ended_at: Some(5),
            }]
        );
        let down = [ClusterJobs {
            reachable: false,
            ..live[0]
        }];
        assert!(failed_runs(&apps, &HashMap::new(), &down, wanted).is_empty());
    }
}
