//! The health window after the new version started: the job stays RUNNING (or getting there),
//! never restarts (`numRestarts`, RESTARTING/FAILING), reports no exception, and completes at
//! least one checkpoint — unless checkpointing is off for the job, which waives that condition
//! (and says so).

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::domain::JobState;
use crate::flink::FlinkClient;
use crate::service::ops::Progress;

const TICK: Duration = Duration::from_secs(1);
/// Consecutive unanswered polls after which the window fails (the cluster went away).
const MAX_UNANSWERED: u32 = 30;
/// How long to wait for Flink to list the root exception of an unhealthy job.
const ROOT_WAIT: Duration = Duration::from_secs(15);

/// How the window went.
pub(super) enum Health {
    Healthy {
        checkpoints: i64,
        /// False: checkpointing is off for the job; no checkpoint was required.
        checkpointing: bool,
    },
    Unhealthy {
        /// What was seen (state, restarts, no checkpoint, ...).
        reason: String,
    },
}

/// Watches `job` for `window`; `cancel` turning true ends it as unhealthy.
pub(super) async fn watch(
    client: &FlinkClient,
    job: &str,
    window: Duration,
    progress: Progress<'_>,
    cancel: &mut watch::Receiver<bool>,
) -> Health {
    let started = Instant::now();
    let deadline = started + window;
    let mut unanswered = 0u32;
    let mut completed = 0i64;
    let mut last_report = started;
    let mut state = JobState::Created;
    progress(format!(
        "health: watching job {job} for {}",
        humantime::format_duration(window)
    ));
    loop {
        if *cancel.borrow() {
            return unhealthy("cancelled (Ctrl-C) during the health window".into());
        }
        match client.job_state(job).await {
            Ok(s) => {
                unanswered = 0;
                if !matches!(
                    s,
                    JobState::Running
                        | JobState::Created
                        | JobState::Initializing
                        | JobState::Reconciling
                ) {
                    return unhealthy(format!("job {job} went {s} during the health window"));
                }
                state = s;
            }
            Err(e) => {
                unanswered += 1;
                if unanswered >= MAX_UNANSWERED {
                    return unhealthy(format!(
                        "the cluster did not answer for {MAX_UNANSWERED} s during the health window: {e}"
                    ));
                }
            }
        }
        if let Ok(Some(n)) = client.num_restarts(job).await {
            if n > 0 {
                return unhealthy(format!("job {job} restarted ({n} restart(s))"));
            }
        }
        if let Ok(x) = client.exceptions(job, 1).await {
            if x.root.is_some() || !x.history.is_empty() {
                return unhealthy(format!("job {job} reported an exception"));
            }
        }
        if let Ok(stats) = client.checkpoints(job).await {
            completed = stats.counts.completed;
        }
        // Debug builds only (a no-op in release builds): the kill -9 test's fault point.
        crate::service::ops::actions::fault("upgrade-in-health");
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if now.duration_since(last_report) >= Duration::from_secs(10) {
            last_report = now;
            progress(format!(
                "health: job {job} {state}, no restart, {completed} checkpoint(s), {}s left",
                deadline.duration_since(now).as_secs()
            ));
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK.min(deadline.duration_since(now))) => {}
            _ = cancel.changed() => {}
        }
    }
    if state != JobState::Running {
        return unhealthy(format!(
            "job {job} is still {state} at the end of the health window"
        ));
    }
    let checkpointing = client.checkpointing_enabled(job).await.unwrap_or(true);
    if checkpointing && completed < 1 {
        return unhealthy(format!(
            "job {job} completed no checkpoint within the health window of {} (make the window longer than the checkpoint interval)",
            humantime::format_duration(window)
        ));
    }
    Health::Healthy {
        checkpoints: completed,
        checkpointing,
    }
}

fn unhealthy(reason: String) -> Health {
    Health::Unhealthy { reason }
}

/// The first line of the job's root exception, waiting a little for Flink to list it.
pub(super) async fn root_exception(client: &FlinkClient, job: &str) -> Option<String> {
    let until = Instant::now() + ROOT_WAIT;
    loop {
        if let Ok(x) = client.exceptions(job, 1).await {
            if let Some(e) = x.root.as_ref().or(x.history.first()) {
                let line = e
                    .stacktrace
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or(e.name.as_str())
                    .to_string();
                if !line.is_empty() {
                    return Some(line);
                }
            }
        }
        if Instant::now() >= until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
