//! One poll of one cluster: the job list, then each job's last checkpoint and restart count,
//! fetched concurrently. Used by `flinkdeck jobs` and by the TUI's pollers alike.

use std::collections::HashMap;

use futures_util::stream::{self, StreamExt};

use crate::backend::ClusterHandle;
use crate::domain::{CheckpointEntry, CheckpointRef, JobState, JobSummary};
use crate::flink::FlinkError;

/// How many per-job requests run at once against one cluster.
const PER_JOB_CONCURRENCY: usize = 16;

/// What a poll fetches besides the job list.
#[derive(Debug, Clone, Copy)]
pub struct PollOptions {
    /// Fetch each job's checkpoints (for the last checkpoint and the history to persist).
    pub checkpoints: bool,
    /// Fetch each active job's `numRestarts`.
    pub restarts: bool,
    /// Fetch the cluster's Flink version too.
    pub version: bool,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            checkpoints: true,
            restarts: true,
            version: false,
        }
    }
}

/// Per-job data that cannot change any more (the job reached a terminal state), kept between
/// polls so finished jobs cost no requests.
#[derive(Debug, Default, Clone)]
pub struct TerminalCache {
    entries: HashMap<String, (Option<CheckpointRef>, Option<u64>)>,
}

/// Completed checkpoints and savepoints seen for one job during a poll (to persist).
#[derive(Debug, Clone)]
pub struct SeenCheckpoints {
    pub job_id: String,
    pub job_name: String,
    pub entries: Vec<CheckpointEntry>,
}

/// The outcome of one poll.
#[derive(Debug)]
pub struct ClusterPoll {
    pub cluster: String,
    /// The job list, enriched; `Err` when the cluster could not be read at all.
    pub jobs: Result<Vec<JobSummary>, FlinkError>,
    /// Per-job requests that failed (the cluster answered, but not fully).
    pub partial: Vec<FlinkError>,
    /// Per-job requests made.
    pub requests: usize,
    pub checkpoints: Vec<SeenCheckpoints>,
    pub flink_version: Option<String>,
}

/// Polls one cluster once: the jobs that belong to it (see `ClusterBackend::job_scope`).
pub async fn poll_cluster(
    handle: &ClusterHandle,
    opts: PollOptions,
    cache: Option<&mut TerminalCache>,
) -> ClusterPoll {
    let (client, cluster) = (&handle.rest, handle.name());
    let scope = handle.backend.job_scope();
    let (jobs, version) = if opts.version {
        let (jobs, info) = tokio::join!(client.jobs_overview(cluster), client.cluster_info());
        (jobs, info.ok().and_then(|i| i.flink_version))
    } else {
        (client.jobs_overview(cluster).await, None)
    };
    let mut poll = ClusterPoll {
        cluster: cluster.to_string(),
        jobs: Ok(Vec::new()),
        partial: Vec::new(),
        requests: 0,
        checkpoints: Vec::new(),
        flink_version: version,
    };
    let mut jobs = match jobs {
        Ok(mut j) => {
            j.retain(|job| scope.includes(&job.id));
            j
        }
        Err(e) => {
            poll.jobs = Err(e);
            return poll;
        }
    };
    let mut empty = TerminalCache::default();
    let cache = cache.unwrap_or(&mut empty);

    let todo: Vec<(usize, String, String, JobState)> = jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| !(j.state.is_terminal() && cache.entries.contains_key(&j.id)))
        .map(|(i, j)| (i, j.id.clone(), j.name.clone(), j.state.clone()))
        .collect();
    let results: Vec<_> = stream::iter(todo)
        .map(|(i, id, name, state)| async move {
            let cps = async {
                if opts.checkpoints {
                    Some(client.checkpoints(&id).await)
                } else {
                    None
                }
            };
            let restarts = async {
                if opts.restarts && !state.is_terminal() {
                    Some(client.num_restarts(&id).await)
                } else {
                    None
                }
            };
            let (cps, restarts) = tokio::join!(cps, restarts);
            (i, id, name, state, cps, restarts)
        })
        .buffer_unordered(PER_JOB_CONCURRENCY)
        .collect()
        .await;

    for (i, id, name, state, cps, restarts) in results {
        let mut last = None;
        let mut n_restarts = None;
        let mut complete = true;
        if let Some(cps) = cps {
            poll.requests += 1;
            match cps {
                Ok(stats) => {
                    last = stats.last().map(CheckpointEntry::to_ref);
                    let entries = stats.completed_entries();
                    if !entries.is_empty() {
                        poll.checkpoints.push(SeenCheckpoints {
                            job_id: id.clone(),
                            job_name: name,
                            entries,
                        });
                    }
                }
                Err(e) => {
                    complete = false;
                    poll.partial.push(e)
                }
            }
        }
        if let Some(r) = restarts {
            poll.requests += 1;
            match r {
                Ok(n) => n_restarts = n,
                Err(e) => poll.partial.push(e),
            }
        }
        if let Some(job) = jobs.get_mut(i) {
            job.last_checkpoint = last.clone();
            job.restarts = n_restarts;
        }
        if state.is_terminal() && complete {
            cache.entries.insert(id, (last, n_restarts));
        }
    }
    for job in jobs.iter_mut() {
        if job.state.is_terminal() {
            if let Some((last, restarts)) = cache.entries.get(&job.id) {
                job.last_checkpoint = last.clone();
                job.restarts = job.restarts.or(*restarts);
            }
        }
    }
    // Forget cached jobs the cluster no longer lists.
    cache
        .entries
        .retain(|id, _| jobs.iter().any(|j| &j.id == id));
    sort_jobs(&mut jobs);
    poll.jobs = Ok(jobs);
    poll
}

/// Active jobs first, then by start time, newest first; stable for equal keys.
pub fn sort_jobs(jobs: &mut [JobSummary]) {
    jobs.sort_by(|a, b| {
        b.state
            .is_active()
            .cmp(&a.state.is_active())
            .then(b.start_time.cmp(&a.start_time))
            .then(a.id.cmp(&b.id))
    });
}
