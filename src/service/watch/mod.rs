//! `flinkdeck watch`: the headless watcher. It runs the console's pollers over every configured
//! cluster (all backends) with the same store, evaluates the `[alerts]` rules after each round,
//! keeps incidents in the store (opened once per rule and subject, reminded, closed with a
//! recovery notice), and delivers their messages to the rules' channels. A restarted watcher
//! finds its open incidents in the store, so it never sends one again, and evaluates what it
//! finds on start, so nothing that began while it was down is missed. Apps with `[restart]
//! on_failure = true` whose job FAILED are started again (see [`restart`]).

mod observe;
mod restart;

pub use observe::{ClusterView, Details, Fleet};
pub use restart::WATCH_USER;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::backend::Clusters;
use crate::domain::alerts::{reconcile, Condition, Evaluator, IncidentRecord, Transition};
use crate::domain::time::now_ms;
use crate::domain::{JobKey, WorkerReply};
use crate::service::alerts::{deliver_all, http_client, Event, Message, Retry};
use crate::service::ops::OpsContext;
use crate::service::workers::{spawn_workers, PollSettings};
use crate::store::Store;

/// How the watcher runs.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    /// Evaluate one round (once every cluster answered or timed out), deliver, and return.
    pub once: bool,
    pub retry: Retry,
    /// `--once`: the longest wait for the first round.
    pub first_round_limit: Duration,
}

/// What a watch run did (for `--once` and the tests).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WatchReport {
    pub rounds: u64,
    pub opened: u64,
    pub reminded: u64,
    pub closed: u64,
    pub deliveries_failed: u64,
    /// Automatic restarts that started the app again.
    pub restarted: u64,
    /// Automatic restarts whose start failed.
    pub restart_failed: u64,
    /// Apps the watcher stopped restarting (`max` attempts within the window).
    pub gave_up: u64,
}

impl WatchReport {
    fn add(&mut self, d: restart::RestartDone) {
        self.restarted += d.restarted;
        self.restart_failed += d.restart_failed;
        self.gave_up += d.gave_up;
        self.deliveries_failed += d.deliveries_failed;
    }
}

/// Runs until `stop` turns true (or one round with `once`).
pub async fn run_watch(
    ops: OpsContext,
    clusters: Clusters,
    settings: PollSettings,
    opts: WatchOptions,
    mut stop: watch::Receiver<bool>,
) -> Result<WatchReport, String> {
    let http = http_client()?;
    let rules = ops.config.alerts.rules.clone();
    info!(
        clusters = clusters.all().len(),
        rules = rules.len(),
        channels = ops.config.alerts.channels.len(),
        "watching"
    );
    if ops.readonly {
        warn!("read-only mode: automatic restarts ([restart] on_failure) are off");
    }
    let mut workers = spawn_workers(
        &clusters,
        Some(ops.store.clone()),
        settings,
        Some(ops.clone()),
    );
    let mut fleet = Fleet::default();
    let mut details = Details::default();
    let mut evaluator = match ops.store.call(|s: &mut Store| s.alert_marks()).await {
        Ok(m) => Evaluator::with_marks(m),
        Err(e) => {
            warn!(error = %e, "cannot read the alert marks; starting without them");
            Evaluator::default()
        }
    };
    let mut report = WatchReport::default();
    let mut sending: JoinSet<u64> = JoinSet::new();
    let mut restarts = restart::Restarts::default();
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(settings.refresh);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            reply = workers.replies.recv() => match reply {
                Some(r) => apply(&mut fleet, r),
                None => return Err("the pollers stopped".into()),
            },
            _ = tick.tick() => {
                let ready = first_round_done(&clusters, &fleet);
                if !(ready || opts.once && started.elapsed() >= opts.first_round_limit) {
                    continue;
                }
                round(&ops, &clusters, &fleet, &mut details, &mut evaluator, &http, opts.retry, &mut sending, &mut report).await;
                report.add(restarts.collect(false).await);
                restarts.check(&ops, &fleet, &http, opts.retry).await;
                while let Some(done) = sending.try_join_next() {
                    report.deliveries_failed += done.unwrap_or(0);
                }
                if opts.once {
                    report.add(restarts.collect(true).await);
                    while let Some(done) = sending.join_next().await {
                        report.deliveries_failed += done.unwrap_or(0);
                    }
                    return Ok(report);
                }
            }
            _ = stop.changed() => {
                if restarts.busy() {
                    // A start cut short is journaled; the next process settles it.
                    warn!("stopping: automatic restarts in flight are left to the journal");
                }
                info!("stopping: waiting for deliveries in flight");
                let grace = tokio::time::sleep(Duration::from_secs(10));
                tokio::pin!(grace);
                loop {
                    tokio::select! {
                        done = sending.join_next() => match done {
                            Some(d) => report.deliveries_failed += d.unwrap_or(0),
                            None => break,
                        },
                        _ = &mut grace => {
                            warn!("deliveries still running after 10s: left for the next start");
                            break;
                        }
                    }
                }
                return Ok(report);
            }
        }
    }
}

fn apply(fleet: &mut Fleet, reply: WorkerReply) {
    match reply {
        WorkerReply::ClusterPolled {
            cluster,
            health,
            jobs,
            ..
        } => {
            let view = fleet.clusters.entry(cluster).or_insert(ClusterView {
                health: health.clone(),
                jobs: None,
            });
            view.health = health;
            view.jobs = jobs;
        }
        WorkerReply::ClusterRemoved { cluster } => {
            fleet.clusters.remove(&cluster);
        }
        WorkerReply::AppsLoaded { apps, job_apps } => {
            fleet.apps = Some(apps);
            fleet.job_apps = job_apps
                .into_iter()
                .collect::<std::collections::HashMap<JobKey, String>>();
        }
        _ => {}
    }
}

/// Every known cluster answered (or failed) once, and the apps are known.
fn first_round_done(clusters: &Clusters, fleet: &Fleet) -> bool {
    fleet.apps.is_some()
        && clusters
            .all()
            .iter()
            .all(|h| fleet.clusters.contains_key(h.name()))
}

#[allow(clippy::too_many_arguments)]
async fn round(
    ops: &OpsContext,
    clusters: &Clusters,
    fleet: &Fleet,
    details: &mut Details,
    evaluator: &mut Evaluator,
    http: &reqwest::Client,
    retry: Retry,
    sending: &mut JoinSet<u64>,
    report: &mut WatchReport,
) {
    report.rounds += 1;
    let rules = &ops.config.alerts.rules;
    let now = now_ms();
    let obs = details.observe(clusters, fleet, rules, now).await;
    let before = evaluator.marks();
    let conditions = evaluator.evaluate(rules, &obs, now);
    let marks = evaluator.marks();
    if marks != before {
        if let Err(e) = ops
            .store
            .call(move |s: &mut Store| s.set_alert_marks(&marks))
            .await
        {
            warn!(error = %e, "cannot write the alert marks");
        }
    }
    let unreachable: Vec<String> = obs
        .clusters
        .iter()
        .filter(|c| c.error.is_some())
        .map(|c| c.name.clone())
        .collect();
    let open = match ops
        .store
        .call(|s: &mut Store| s.incidents(true, usize::MAX >> 1))
        .await
    {
        Ok(o) => o,
        Err(e) => {
            warn!(error = %e, "cannot read the open incidents; skipping this round");
            return;
        }
    };
    let open_view: Vec<_> = open.iter().map(IncidentRecord::as_open).collect();
    for t in reconcile(rules, &open_view, &conditions, &unreachable, now) {
        let (event, id, condition) = match t {
            Transition::Open(c) => {
                let c2 = c.clone();
                match ops
                    .store
                    .call(move |s: &mut Store| s.open_incident(&c2, now))
                    .await
                {
                    Ok(id) => {
                        report.opened += 1;
                        info!(incident = id, rule = %c.rule, subject = %c.subject, reason = %c.reason, "incident opened");
                        (Event::Opened, id, c)
                    }
                    Err(e) => {
                        warn!(error = %e, "cannot open an incident");
                        continue;
                    }
                }
            }
            Transition::Remind { id, condition } => {
                let c2 = condition.clone();
                if let Err(e) = ops
                    .store
                    .call(move |s: &mut Store| s.remind_incident(id, &c2, now))
                    .await
                {
                    warn!(error = %e, "cannot record a reminder");
                    continue;
                }
                report.reminded += 1;
                (Event::Reminder, id, condition)
            }
            Transition::Close { id } => {
                if let Err(e) = ops
                    .store
                    .call(move |s: &mut Store| s.close_incident(id, now))
                    .await
                {
                    warn!(error = %e, "cannot close an incident");
                    continue;
                }
                report.closed += 1;
                let Some(inc) = open.iter().find(|i| i.id == id) else {
                    continue;
                };
                info!(incident = id, rule = %inc.rule, subject = %inc.subject, "incident closed");
                (Event::Resolved, id, condition_of(inc))
            }
        };
        let Some(rule) = rules.iter().find(|r| r.name == condition.rule) else {
            continue;
        };
        let channels: Vec<_> = rule
            .channels
            .iter()
            .filter_map(|n| ops.config.alerts.channel(n).cloned())
            .collect();
        if channels.is_empty() {
            continue;
        }
        let msg = Arc::new(Message::of(event, Some(id), &condition, now));
        let (http, store) = (http.clone(), ops.store.clone());
        sending.spawn(async move {
            let done = deliver_all(&http, &store, channels, msg, retry).await;
            done.iter().filter(|d| !d.ok).count() as u64
        });
    }
}

/// The condition an open incident was about (for its recovery notice).
fn condition_of(i: &IncidentRecord) -> Condition {
    Condition {
        rule: i.rule.clone(),
        kind: i.kind,
        subject: i.subject.clone(),
        cluster: i.cluster.clone(),
        app: i.app.clone(),
        job_id: i.job_id.clone(),
        state: i.state.clone(),
        reason: i.reason.clone(),
        since: i.since,
    }
}
