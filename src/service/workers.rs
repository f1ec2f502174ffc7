//! The TUI's workers: one poller task per cluster and a dispatcher for on-demand loads. They talk
//! to the UI only through bounded channels and stamp every reply.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify, Semaphore};
use tracing::{debug, warn};

use super::clusters::{ClusterHandle, Clusters};
use super::loaders;
use super::poll::{poll_cluster, PollOptions, TerminalCache};
use super::to_failure;
use crate::domain::health_rules::HealthTracker;
use crate::domain::time::now_ms;
use crate::domain::ActionOutcome;
use crate::domain::{WorkerReply, WorkerRequest};
use crate::store::{Store, StoreHandle};

use super::ops::{
    reconcile_runs, restore_points, resume_journal, run_action, stored_app_summaries, OpsContext,
};

/// Every this many refreshes, the journal and open runs are settled against the clusters.
const RESUME_EVERY: u32 = 5;

/// Publishes the managed apps (and which job belongs to which) every refresh, and settles the
/// journal now and then.
async fn run_apps_publisher(
    ops: OpsContext,
    refresh: Duration,
    replies: mpsc::Sender<WorkerReply>,
) {
    let mut round: u32 = 0;
    loop {
        if round % RESUME_EVERY == 0 {
            resume_journal(&ops).await;
            reconcile_runs(&ops).await;
        }
        round = round.wrapping_add(1);
        let loaded = ops
            .store
            .call(|s: &mut Store| {
                let apps = stored_app_summaries(s)?
                    .into_iter()
                    .map(|(a, _)| a)
                    .collect();
                Ok((apps, s.job_apps()?))
            })
            .await;
        match loaded {
            Ok((apps, job_apps)) => {
                if replies
                    .send(WorkerReply::AppsLoaded { apps, job_apps })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => warn!(error = %e, "cannot read the managed apps"),
        }
        tokio::time::sleep(refresh).await;
    }
}

/// Capacity of the request and reply channels.
const CHANNEL_CAPACITY: usize = 256;
/// How many on-demand loads run at once.
const MAX_LOADS: usize = 8;

/// The UI's ends of the channels.
pub struct Workers {
    pub requests: mpsc::Sender<WorkerRequest>,
    pub replies: mpsc::Receiver<WorkerReply>,
}

/// Starts a poller per cluster and the request dispatcher on the current tokio runtime.
pub fn spawn_workers(
    clusters: &Clusters,
    store: Option<StoreHandle>,
    refresh: Duration,
    ops: Option<OpsContext>,
) -> Workers {
    let (req_tx, req_rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (reply_tx, reply_rx) = mpsc::channel(CHANNEL_CAPACITY);
    let mut wakers = Vec::new();
    for handle in clusters.all() {
        let wake = Arc::new(Notify::new());
        wakers.push(wake.clone());
        tokio::spawn(run_poller(
            handle.clone(),
            store.clone(),
            refresh,
            wake,
            reply_tx.clone(),
        ));
    }
    if let Some(ops) = &ops {
        tokio::spawn(run_apps_publisher(ops.clone(), refresh, reply_tx.clone()));
    }
    tokio::spawn(run_dispatcher(
        clusters.clone(),
        store,
        ops,
        wakers,
        req_rx,
        reply_tx,
    ));
    Workers {
        requests: req_tx,
        replies: reply_rx,
    }
}

/// Polls one cluster every `refresh` (or at once when woken) until the UI goes away. A poll that
/// is running is never started twice: wake-ups during a poll collapse into one follow-up poll.
async fn run_poller(
    handle: ClusterHandle,
    store: Option<StoreHandle>,
    refresh: Duration,
    wake: Arc<Notify>,
    replies: mpsc::Sender<WorkerReply>,
) {
    let name = handle.name().to_string();
    let mut tracker = HealthTracker::new(now_ms());
    let mut cache = TerminalCache::default();
    let mut generation: u64 = 0;
    let mut last_status = None;
    loop {
        generation += 1;
        let opts = PollOptions {
            version: tracker.current().flink_version.is_none(),
            ..PollOptions::default()
        };
        let poll = poll_cluster(&handle.client, &name, opts, Some(&mut cache)).await;
        let now = now_ms();
        let failures: Vec<_> = poll.partial.iter().map(to_failure).collect();
        let (health, jobs) = match poll.jobs {
            Ok(jobs) => (
                tracker
                    .on_success(now, poll.flink_version, &failures, poll.requests)
                    .clone(),
                Some(jobs),
            ),
            Err(e) => (tracker.on_failure(now, &to_failure(&e)).clone(), None),
        };
        if last_status != Some(health.status) {
            debug!(cluster = %name, status = %health.status, reason = ?health.reason, "cluster health");
            last_status = Some(health.status);
        }
        if let Some(store) = &store {
            let (cluster, h, js, cps) =
                (name.clone(), health.clone(), jobs.clone(), poll.checkpoints);
            let res = store
                .call(move |s: &mut Store| {
                    s.record_health(&cluster, &h)?;
                    if let Some(js) = &js {
                        s.record_jobs(&cluster, js, now)?;
                    }
                    for c in &cps {
                        s.record_checkpoints(&cluster, &c.job_id, &c.job_name, &c.entries)?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = res {
                warn!(cluster = %name, error = %e, "cannot record poll in the store");
            }
        }
        let reply = WorkerReply::ClusterPolled {
            cluster: name.clone(),
            generation,
            health,
            jobs,
        };
        if replies.send(reply).await.is_err() {
            return; // the UI is gone
        }
        tokio::select! {
            _ = tokio::time::sleep(refresh) => {}
            _ = wake.notified() => {}
        }
    }
}

/// Answers the UI's requests; loads run concurrently (bounded) and reply with the request's stamp.
async fn run_dispatcher(
    clusters: Clusters,
    store: Option<StoreHandle>,
    ops: Option<OpsContext>,
    wakers: Vec<Arc<Notify>>,
    mut requests: mpsc::Receiver<WorkerRequest>,
    replies: mpsc::Sender<WorkerReply>,
) {
    let permits = Arc::new(Semaphore::new(MAX_LOADS));
    while let Some(req) = requests.recv().await {
        if let WorkerRequest::RefreshAll = req {
            for w in &wakers {
                w.notify_one();
            }
            continue;
        }
        if let WorkerRequest::RunAction { action, request } = req {
            // Actions are not bounded by the load permits: a stop must never wait for a log.
            let replies = replies.clone();
            let ops = ops.clone();
            tokio::spawn(async move {
                let outcome = match &ops {
                    Some(ops) => {
                        let progress_tx = replies.clone();
                        let progress = move |message: String| {
                            let _ = progress_tx
                                .try_send(WorkerReply::ActionProgress { request, message });
                        };
                        run_action(ops, &action, &progress).await
                    }
                    None => ActionOutcome::Failed {
                        reason: "actions need the local database, which could not be opened".into(),
                    },
                };
                let _ = replies
                    .send(WorkerReply::ActionFinished { request, outcome })
                    .await;
            });
            continue;
        }
        if let WorkerRequest::LoadRestorePoints { app, request } = req {
            let replies = replies.clone();
            let ops = ops.clone();
            tokio::spawn(async move {
                let result = match &ops {
                    Some(ops) => restore_points(ops, &app).await,
                    None => Err("the local database could not be opened".to_string()),
                };
                let _ = replies
                    .send(WorkerReply::RestorePointsLoaded {
                        app,
                        request,
                        result,
                    })
                    .await;
            });
            continue;
        }
        let (clusters, store, replies, permits) = (
            clusters.clone(),
            store.clone(),
            replies.clone(),
            permits.clone(),
        );
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            if let Some(reply) = loaders::answer(&clusters, store.as_ref(), req).await {
                let _ = replies.send(reply).await;
            }
        });
    }
}
