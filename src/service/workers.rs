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
use crate::domain::{WorkerReply, WorkerRequest};
use crate::store::{Store, StoreHandle};

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
    tokio::spawn(run_dispatcher(
        clusters.clone(),
        store,
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
