//! One poll of one cluster: the job list (one request), then per-job detail (last checkpoint,
//! restart count) spent from a budget in priority order. Used by `flinkdeck jobs` and by the
//! TUI's pollers alike.
//!
//! Priorities, highest first: the focused jobs (the rows the console shows, the selected one
//! first), jobs new to the poller or whose state or `last-modification` changed since their
//! detail was fetched, failing/restarting jobs, then a rotation over the rest (oldest detail
//! first). A terminal job's detail is fetched once and then kept ([`DetailCache`]).
//!
//! Restart counts: Flink only aggregates `numRestarts` across jobs (`/jobs/metrics` gives
//! min/max/sum/avg, never per-job values), so one `agg=sum` request per poll *confirms* the
//! known counts (they never decrease while a job runs); only when the sum differs or some count
//! is unknown are per-job `numRestarts` requests spent, for the jobs that get detail.

use std::collections::{HashMap, HashSet};

use futures_util::stream::{self, StreamExt};

use crate::backend::{ClusterHandle, JobScope};
use crate::domain::time::now_ms;
use crate::domain::{CheckpointEntry, CheckpointRef, JobState, JobSummary};
use crate::flink::FlinkError;

use super::metrics::{self, JobEntry, VitalsCache, VitalsMode};

/// How many per-job requests run at once against one cluster, by default (a one-shot command
/// that fetches every job's detail).
pub const PER_JOB_CONCURRENCY: usize = 16;

/// What a poll fetches besides the job list.
#[derive(Debug, Clone, Copy)]
pub struct PollOptions {
    /// Fetch each job's checkpoints (for the last checkpoint and the history to persist).
    pub checkpoints: bool,
    /// Fetch each active job's `numRestarts`.
    pub restarts: bool,
    /// Fetch the cluster's Flink version too.
    pub version: bool,
    /// At most this many per-job detail requests (including the restarts sum); `None`: no
    /// limit (a one-shot command that must show every job's detail).
    pub budget: Option<usize>,
    /// How many per-job requests run at once (each keeps a pooled connection afterwards).
    pub concurrency: usize,
    /// The vitals behind the health score (`service::metrics`), spent from the same budget.
    pub vitals: VitalsMode,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            checkpoints: true,
            restarts: true,
            version: false,
            budget: None,
            concurrency: PER_JOB_CONCURRENCY,
            vitals: VitalsMode::Off,
        }
    }
}

/// The last detail fetched for one job.
#[derive(Debug, Clone)]
struct Known {
    /// State and `last-modification` when the detail was fetched.
    state: JobState,
    last_modification: i64,
    last: Option<CheckpointRef>,
    restarts: Option<u64>,
    /// When the checkpoints were fetched (`None`: taken from the store, time unknown).
    at_ms: Option<i64>,
    /// Fetched after the job reached a terminal state: it never changes, never asked again.
    final_detail: bool,
}

/// Per-job detail kept between polls: the last known values of every job (shown while a job
/// waits for its turn in the budget), terminal jobs' final values (never fetched again), and the
/// jobs the console wants first.
#[derive(Debug, Default, Clone)]
pub struct DetailCache {
    known: HashMap<String, Known>,
    focus: Vec<String>,
    vitals: VitalsCache,
}

impl DetailCache {
    /// The jobs to refresh first, most important first (e.g. the selected row, then the other
    /// visible rows).
    pub fn set_focus(&mut self, job_ids: Vec<String>) {
        self.focus = job_ids;
    }

    /// Seeds the cache from jobs recorded earlier (the store's last poll of the cluster): a
    /// job recorded in a terminal state is final and will not be asked again. For the others
    /// only the restart count is kept (to be confirmed by the aggregated request); their
    /// checkpoints are fetched, since the time they were recorded is not known.
    pub fn seed(&mut self, jobs: &[JobSummary]) {
        for j in jobs {
            let terminal = j.state.is_terminal();
            self.known.entry(j.id.clone()).or_insert_with(|| Known {
                state: j.state.clone(),
                last_modification: j.last_modification,
                last: j.last_checkpoint.clone().filter(|_| terminal),
                restarts: j.restarts,
                at_ms: None,
                final_detail: terminal,
            });
        }
    }

    /// How many jobs have final (terminal, never re-fetched) detail.
    pub fn final_jobs(&self) -> usize {
        self.known.values().filter(|k| k.final_detail).count()
    }
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
    /// Per-job requests made (the detail spent from the budget).
    pub requests: usize,
    pub checkpoints: Vec<SeenCheckpoints>,
    pub flink_version: Option<String>,
}

/// One job's share of a poll.
struct Todo {
    i: usize,
    id: String,
    name: String,
    state: JobState,
    want_restarts: bool,
    step: (bool, Option<metrics::Step>),
    /// Ask for the checkpoint interval once the checkpoints look late (one-shot commands).
    lazy_interval: bool,
}

/// Priority class of a job's detail (lower first).
fn priority(job: &JobSummary, known: Option<&Known>, focus: &HashMap<&str, usize>) -> (u8, usize) {
    if let Some(&i) = focus.get(job.id.as_str()) {
        return (0, i);
    }
    let changed = match known {
        None => true,
        Some(k) => k.state != job.state || k.last_modification != job.last_modification,
    };
    if changed {
        return (1, 0);
    }
    if matches!(job.state, JobState::Failing | JobState::Restarting) {
        return (2, 0);
    }
    (3, 0)
}

/// Polls one cluster once: the jobs that belong to it (see `ClusterBackend::job_scope`).
pub async fn poll_cluster(
    handle: &ClusterHandle,
    opts: PollOptions,
    cache: Option<&mut DetailCache>,
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
    let mut empty = DetailCache::default();
    let cache = cache.unwrap_or(&mut empty);
    let mut budget = opts.budget.unwrap_or(usize::MAX);
    let now = now_ms();

    // Restart counts: one aggregated request confirms every known count at once.
    let active: Vec<usize> = (0..jobs.len())
        .filter(|&i| !jobs[i].state.is_terminal())
        .collect();
    let mut restarts_confirmed = !opts.restarts;
    let mut restarts_all_zero = false;
    // Only when the budget leaves room for a job with its restarts after it (else the sum
    // would eat a small budget every poll and no job would ever get detail).
    if opts.restarts && !active.is_empty() && matches!(scope, JobScope::All) && budget >= 3 {
        budget -= 1;
        poll.requests += 1;
        match client.restarts_sum().await {
            Ok(Some(0)) => {
                restarts_confirmed = true;
                restarts_all_zero = true;
            }
            Ok(Some(sum)) => {
                let known: Option<u64> = active
                    .iter()
                    .map(|&i| cache.known.get(&jobs[i].id).and_then(|k| k.restarts))
                    .sum();
                restarts_confirmed = known == Some(sum);
            }
            Ok(None) => {}
            Err(e) => poll.partial.push(e),
        }
    }

    // Which jobs get detail this poll, in priority order, within the budget.
    let focus: HashMap<&str, usize> = cache
        .focus
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut candidates: Vec<(u8, usize, i64, usize)> = jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| {
            let known = cache.known.get(&j.id);
            if known.is_some_and(|k| k.final_detail) {
                return None;
            }
            let (class, order) = priority(j, known, &focus);
            let age_key = known.and_then(|k| k.at_ms).unwrap_or(i64::MIN);
            Some((class, order, age_key, i))
        })
        .collect();
    candidates.sort_by_key(|&(class, order, age, i)| (class, order, age, i));
    let mut todo: Vec<Todo> = Vec::new();
    for (_, _, _, i) in candidates {
        let j = &jobs[i];
        let want_restarts = opts.restarts && !j.state.is_terminal() && !restarts_confirmed;
        let cost = usize::from(opts.checkpoints) + usize::from(want_restarts);
        // Vitals of active jobs: the interval once, the metrics of running jobs.
        let step = match opts.vitals {
            VitalsMode::Off | VitalsMode::Checkpoints => (false, None),
            _ if !j.state.is_active() => (false, None),
            VitalsMode::Full => {
                let running = j.state == JobState::Running;
                match cache.vitals.entry(&j.id) {
                    Some(e) => e.plan_step(running),
                    None => JobEntry::default().plan_step(running),
                }
            }
        };
        // A one-shot command asks for the interval only of a job whose checkpoints look late
        // (after its checkpoints answered, see `metrics::ASK_INTERVAL_AFTER_MS`).
        let lazy_interval = opts.vitals == VitalsMode::Checkpoints
            && opts.checkpoints
            && j.state.is_active()
            && cache
                .vitals
                .entry(&j.id)
                .is_none_or(|e| e.interval_unknown());
        let vcost = JobEntry::cost(&step);
        if cost + vcost == 0 {
            continue;
        }
        // Without room for the vitals, the detail alone.
        let step = if cost + vcost <= budget {
            step
        } else {
            (false, None)
        };
        let cost = cost + JobEntry::cost(&step);
        if cost > budget || cost == 0 {
            break;
        }
        budget -= cost;
        todo.push(Todo {
            i,
            id: j.id.clone(),
            name: j.name.clone(),
            state: j.state.clone(),
            want_restarts,
            step,
            lazy_interval,
        });
    }

    let results: Vec<_> = stream::iter(todo)
        .map(|t| async move {
            let Todo {
                i,
                id,
                name,
                state,
                want_restarts,
                step,
                lazy_interval,
            } = t;
            let cps = async {
                if opts.checkpoints {
                    Some(client.checkpoints(&id).await)
                } else {
                    None
                }
            };
            let restarts = async {
                if want_restarts {
                    Some(client.num_restarts(&id).await)
                } else {
                    None
                }
            };
            let vitals = async {
                if step.0 || step.1.is_some() {
                    Some(metrics::fetch(client, &id, step).await)
                } else {
                    None
                }
            };
            let (cps, restarts, vitals) = tokio::join!(cps, restarts, vitals);
            let late = match &cps {
                Some(Ok(stats)) => metrics::checkpoints_look_late(stats, now_ms()),
                _ => false,
            };
            let vitals = match vitals {
                None if lazy_interval && late => {
                    Some(metrics::fetch(client, &id, (true, None)).await)
                }
                v => v,
            };
            (i, id, name, state, cps, restarts, vitals)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;

    for (i, id, name, state, cps, restarts, vitals) in results {
        if let Some(f) = vitals {
            poll.requests += f.requests();
            cache.vitals.apply(&id, f, now, &mut poll.partial);
        }
        let Some(job) = jobs.get(i) else { continue };
        let prev = cache.known.get(&id).cloned();
        let mut known = Known {
            state: state.clone(),
            last_modification: job.last_modification,
            last: prev.as_ref().and_then(|k| k.last.clone()),
            restarts: prev.as_ref().and_then(|k| k.restarts),
            at_ms: prev.as_ref().and_then(|k| k.at_ms),
            final_detail: false,
        };
        let mut complete = true;
        if let Some(cps) = cps {
            poll.requests += 1;
            match cps {
                Ok(stats) => {
                    known.last = stats.last().map(CheckpointEntry::to_ref);
                    if opts.vitals != VitalsMode::Off {
                        let completed =
                            stats.latest_completed.as_ref().and_then(|c| c.completed_at);
                        cache
                            .vitals
                            .checkpoints(&id, completed, stats.counts.failed.max(0) as u64);
                    }
                    known.at_ms = Some(now);
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
                    // Not fetched: keep it "changed" so it comes first again.
                    if let Some(p) = &prev {
                        known.state = p.state.clone();
                        known.last_modification = p.last_modification;
                    } else {
                        known.state = JobState::Unknown(String::new());
                    }
                    poll.partial.push(e)
                }
            }
        }
        if let Some(r) = restarts {
            poll.requests += 1;
            match r {
                Ok(n) => known.restarts = n,
                Err(e) => poll.partial.push(e),
            }
        }
        known.final_detail = state.is_terminal() && complete;
        cache.known.insert(id, known);
    }

    // Every row gets the last known detail and its age.
    for job in jobs.iter_mut() {
        if restarts_all_zero && !job.state.is_terminal() {
            if let Some(k) = cache.known.get_mut(&job.id) {
                k.restarts = Some(0);
            }
            job.restarts = Some(0);
        }
        if let Some(k) = cache.known.get(&job.id) {
            job.last_checkpoint = k.last.clone();
            job.restarts = job.restarts.or(k.restarts);
            // Final detail is current by definition.
            job.detail_at_ms = if k.final_detail { Some(now) } else { k.at_ms };
        }
    }
    // Forget jobs the cluster no longer lists.
    let listed: HashSet<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
    cache.known.retain(|id, _| listed.contains(id.as_str()));
    cache.vitals.retain(&listed);
    if opts.vitals != VitalsMode::Off {
        cache.vitals.attach(&mut jobs, now);
    }
    sort_jobs(&mut jobs);
    poll.jobs = Ok(jobs);
    poll
}

/// Active jobs first, then by start time, newest first, then by id (a total order, so sorting in
/// place without a scratch copy of the list gives the same order every time).
pub fn sort_jobs(jobs: &mut [JobSummary]) {
    jobs.sort_unstable_by(|a, b| {
        b.state
            .is_active()
            .cmp(&a.state.is_active())
            .then(b.start_time.cmp(&a.start_time))
            .then(a.id.cmp(&b.id))
    });
}
