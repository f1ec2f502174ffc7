//! What a watch round observes: the pollers' latest cluster health and job lists, the managed
//! apps, and a few per-job details the rules need — the exception history (failure times and
//! the root exception) and checkpoint failures — fetched only for jobs a rule covers, and only
//! when something changed or at most every [`CHECKPOINTS_EVERY`].

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};

use crate::backend::Clusters;
use crate::domain::alerts::{
    AlertKind, AlertRule, ClusterObservation, JobObservation, LostApp, Observation,
};
use crate::domain::health::{ClusterHealth, HealthStatus};
use crate::domain::{AppSummary, CheckpointStatus, JobKey, JobState, JobSummary};

/// Per-job detail requests a round runs at once.
const DETAIL_CONCURRENCY: usize = 4;
/// How often the checkpoint statistics of a covered running job are read again.
const CHECKPOINTS_EVERY_MS: i64 = 30_000;

/// What the pollers last said about a cluster.
#[derive(Debug, Clone)]
pub struct ClusterView {
    pub health: ClusterHealth,
    /// `None`: the job list could not be read.
    pub jobs: Option<std::sync::Arc<Vec<JobSummary>>>,
}

/// Everything the pollers and the apps publisher reported so far.
#[derive(Debug, Default)]
pub struct Fleet {
    pub clusters: HashMap<String, ClusterView>,
    pub apps: Option<Vec<AppSummary>>,
    pub job_apps: HashMap<JobKey, String>,
}

/// Cached per-job detail.
#[derive(Debug, Default, Clone)]
struct JobDetailCache {
    /// (restarts, state) when the exceptions were read.
    exceptions_for: Option<(Option<u64>, JobState)>,
    failure_times: Vec<i64>,
    root_exception: Option<String>,
    checkpoints_at: i64,
    checkpoint_failures: u32,
    checkpoint_failure_cause: Option<String>,
    checkpointing: Option<bool>,
    backpressure_at: i64,
    /// The highest backpressure ratio of the job's vertices (worst subtask).
    backpressure: Option<f64>,
}

/// Keeps the per-job details across rounds.
#[derive(Debug, Default)]
pub struct Details {
    jobs: HashMap<JobKey, JobDetailCache>,
}

enum Need {
    Exceptions,
    Checkpoints,
    Backpressure,
}

impl Details {
    /// The observation of this round: fetches what the rules need first.
    pub async fn observe(
        &mut self,
        clusters: &Clusters,
        fleet: &Fleet,
        rules: &[AlertRule],
        now: i64,
    ) -> Observation {
        let mut obs = Observation::default();
        let wants = |kinds: &[AlertKind], cluster: &str, app: Option<&str>| {
            rules
                .iter()
                .any(|r| kinds.contains(&r.when) && r.covers(cluster, app))
        };
        let mut todo: Vec<(JobKey, Need)> = Vec::new();
        let mut live_keys = Vec::new();
        for (name, view) in &fleet.clusters {
            let error = match (&view.jobs, view.health.status) {
                (None, _) | (_, HealthStatus::Unreachable) => Some(
                    view.health
                        .reason
                        .clone()
                        .unwrap_or_else(|| "the cluster does not answer".into()),
                ),
                _ => None,
            };
            obs.clusters.push(ClusterObservation {
                name: name.clone(),
                error,
            });
            for j in view.jobs.iter().flat_map(|v| v.iter()) {
                let key = JobKey::new(&j.cluster, &j.id);
                live_keys.push(key.clone());
                let app = fleet.job_apps.get(&key).map(String::as_str);
                let cache = self.jobs.entry(key.clone()).or_default();
                // A restart count not fetched yet (the pollers' detail budget) may hide restarts.
                let failing = j.state == JobState::Failed
                    || j.state == JobState::Restarting
                    || j.restarts.is_none_or(|r| r > 0);
                if failing
                    && wants(&[AlertKind::Failed, AlertKind::Restarts], &j.cluster, app)
                    && cache.exceptions_for != Some((j.restarts, j.state.clone()))
                {
                    todo.push((key.clone(), Need::Exceptions));
                }
                if j.state == JobState::Running
                    && wants(
                        &[AlertKind::NoCheckpoint, AlertKind::CheckpointFailures],
                        &j.cluster,
                        app,
                    )
                    && now - cache.checkpoints_at >= CHECKPOINTS_EVERY_MS
                {
                    todo.push((key.clone(), Need::Checkpoints));
                }
                if j.state == JobState::Running
                    && wants(&[AlertKind::Backpressure], &j.cluster, app)
                    && now - cache.backpressure_at >= CHECKPOINTS_EVERY_MS
                {
                    todo.push((key, Need::Backpressure));
                }
            }
        }
        self.jobs.retain(|k, _| live_keys.contains(k));
        let fetched: Vec<(JobKey, JobDetailCache)> = stream::iter(todo)
            .map(|(key, need)| {
                let prev = self.jobs.get(&key).cloned().unwrap_or_default();
                let job = fleet
                    .clusters
                    .get(&key.cluster)
                    .and_then(|v| v.jobs.as_ref())
                    .and_then(|jobs| jobs.iter().find(|j| j.id == key.id))
                    .map(|j| (j.restarts, j.state.clone()));
                fetch(clusters, key, need, prev, job, now)
            })
            .buffer_unordered(DETAIL_CONCURRENCY)
            .collect()
            .await;
        for (key, c) in fetched {
            self.jobs.insert(key, c);
        }
        for view in fleet.clusters.values() {
            for j in view.jobs.iter().flat_map(|v| v.iter()) {
                let key = JobKey::new(&j.cluster, &j.id);
                let c = self.jobs.get(&key).cloned().unwrap_or_default();
                let last_checkpoint = j
                    .last_checkpoint
                    .as_ref()
                    .filter(|c| c.status == CheckpointStatus::Completed)
                    .and_then(|c| c.completed_at);
                obs.jobs.push(JobObservation {
                    cluster: j.cluster.clone(),
                    job_id: j.id.clone(),
                    job_name: j.name.clone(),
                    app: fleet.job_apps.get(&key).cloned(),
                    state: j.state.as_str().to_string(),
                    start_time: j.start_time,
                    failure_times: c.failure_times.clone(),
                    root_exception: c.root_exception.clone(),
                    last_checkpoint,
                    checkpoint_failures: c.checkpoint_failures,
                    checkpoint_failure_cause: c.checkpoint_failure_cause.clone(),
                    checkpointing: c.checkpointing.unwrap_or(true),
                    backpressure: c.backpressure,
                });
            }
        }
        // Lost: an app whose run has not ended has no job on its cluster, which answered.
        for a in fleet.apps.iter().flatten() {
            let (Some(job), None) = (&a.job_id, &a.state) else {
                continue;
            };
            let Some(view) = fleet.clusters.get(&a.cluster) else {
                continue;
            };
            let Some(jobs) = &view.jobs else { continue };
            if !jobs.iter().any(|j| &j.id == job) {
                obs.lost.push(LostApp {
                    app: a.name.clone(),
                    cluster: a.cluster.clone(),
                    job_id: Some(job.clone()),
                });
            }
        }
        obs.clusters.sort_by(|a, b| a.name.cmp(&b.name));
        obs
    }
}

/// A detail request, tried once more after a short pause when it fails (a busy JobManager that
/// timed out once should not cost a `watch --once` run its incident).
async fn twice<T, E, F, Fut>(mut f: F) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    match f().await {
        Ok(v) => Ok(v),
        Err(_) => {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            f().await
        }
    }
}

/// The first line of an exception (`java.lang.X: message`).
pub(super) fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_string()
}

async fn fetch(
    clusters: &Clusters,
    key: JobKey,
    need: Need,
    mut c: JobDetailCache,
    job: Option<(Option<u64>, JobState)>,
    now: i64,
) -> (JobKey, JobDetailCache) {
    let Some(h) = clusters.get(&key.cluster) else {
        return (key, c);
    };
    match need {
        Need::Exceptions => match twice(|| h.rest.exceptions(&key.id, 64)).await {
            Ok(ex) => {
                let mut times: Vec<i64> = ex.history.iter().filter_map(|e| e.timestamp).collect();
                if let Some(t) = ex.root.as_ref().and_then(|r| r.timestamp) {
                    if !times.contains(&t) {
                        times.push(t);
                    }
                }
                times.sort_unstable();
                c.failure_times = times;
                c.root_exception = ex.root.as_ref().map(|r| {
                    let line = first_line(&r.stacktrace);
                    if line.is_empty() {
                        r.name.clone()
                    } else {
                        line
                    }
                });
                c.exceptions_for = job;
            }
            Err(e) => tracing::debug!(job = %key.id, error = %e, "cannot read the exceptions"),
        },
        Need::Backpressure => {
            c.backpressure_at = now;
            match twice(|| h.rest.job_detail(&key.id)).await {
                Ok(d) => {
                    c.backpressure = d
                        .vertices
                        .iter()
                        .filter_map(|v| v.backpressure_ratio)
                        .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
                }
                Err(e) => {
                    tracing::debug!(job = %key.id, error = %e, "cannot read the job's vertices")
                }
            }
        }
        Need::Checkpoints => {
            c.checkpoints_at = now;
            if c.checkpointing.is_none() {
                c.checkpointing = h.rest.checkpointing_enabled(&key.id).await.ok();
            }
            match twice(|| h.rest.checkpoints(&key.id)).await {
                Ok(stats) => {
                    let failed_in_a_row = stats
                        .history
                        .iter()
                        .take_while(|e| e.status != CheckpointStatus::Completed)
                        .filter(|e| e.status == CheckpointStatus::Failed)
                        .count();
                    c.checkpoint_failures = u32::try_from(failed_in_a_row).unwrap_or(u32::MAX);
                    c.checkpoint_failure_cause = stats
                        .latest_failed
                        .as_ref()
                        .and_then(|f| f.failure_message.as_deref())
                        .map(first_line);
                }
                Err(e) => tracing::debug!(job = %key.id, error = %e, "cannot read the checkpoints"),
            }
        }
    }
    (key, c)
}
