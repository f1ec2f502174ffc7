//! A job's health score and the short reasons behind it ("problems first"): a weighted sum over
//! what the pollers know about a job (state, restarts in the last 10 minutes, checkpoints) and
//! a few metrics (backpressure, busy time, watermark lag, source pending records).
//!
//! Weights, highest first (one job may have several problems; the score is their sum):
//! `FAILED`/`FAILING` 100, `RESTARTING` 80, `restarts n/10m` 40 + 5·n (at most 75),
//! `ckpt <age>` (last completed checkpoint older than [`CKPT_INTERVALS`] intervals) 30 + 5 per
//! interval over (at most 60), `bp` ≥ 50 %: 60·ratio, `lag` (pending records ≥ 100k) 30,
//! `ckpt failed` (the newest checkpoint failed) 25, `busy` ≥ 90 %: 25, `wm` (watermark lag ≥
//! 2 min) 20, `SUSPENDED` 40, `UNKNOWN` 30, transient states (`INITIALIZING`, `CREATED`,
//! `CANCELLING`, `RECONCILING`) 10. Finished and canceled jobs are healthy.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::job::{JobState, JobSummary};
use super::CheckpointStatus;

/// The last completed checkpoint may be this many intervals old before it is a problem.
pub const CKPT_INTERVALS: i64 = 3;
/// Backpressure (0–1) from which a job has a problem.
pub const BP_RATIO: f64 = 0.5;
/// Busy time (0–1) from which a job has a problem.
pub const BUSY_RATIO: f64 = 0.9;
/// Watermark lag (ms) from which a job has a problem.
pub const WM_LAG_MS: i64 = 120_000;
/// Source pending records (or consumer lag) from which a job has a problem.
pub const PENDING_RECORDS: f64 = 100_000.0;
/// The window of "restarts in the last minutes".
pub const RESTART_WINDOW_MS: i64 = 600_000;

/// One sample of a job's metrics (for the sparklines); `NaN` where a metric was not reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VitalSample {
    pub at_ms: i64,
    pub records_in: f32,
    pub records_out: f32,
    pub backpressure: f32,
    pub wm_lag_ms: f32,
    pub pending: f32,
}

/// What the pollers learned about a job beyond the job list: checkpoint settings and the
/// metrics behind the health score (each `None` when not known or not reported).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobVitals {
    /// The checkpoint interval (`/jobs/:id/checkpoints/config`); `None`: unknown or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_interval_ms: Option<i64>,
    /// Checkpointing is off for this job (so no checkpoint can be overdue).
    #[serde(default)]
    pub checkpointing_off: bool,
    /// When the newest completed checkpoint completed (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_completed_at: Option<i64>,
    /// `counts.failed` of `/jobs/:id/checkpoints`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoints_failed: Option<u64>,
    /// Restarts seen in the last 10 minutes (from restart-count samples over time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarts_10m: Option<u64>,
    /// Records per second into the job: the source vertices' `numRecordsOutPerSecond`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_in_per_sec: Option<f64>,
    /// Records per second out of the job: the sink vertices' `numRecordsInPerSecond`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records_out_per_sec: Option<f64>,
    /// The worst subtask's back-pressured time, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backpressure: Option<f64>,
    /// The worst subtask's busy time, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<f64>,
    /// The minimum `currentInputWatermark` over the vertices with inputs (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark_ms: Option<i64>,
    /// Sources' `pendingRecords` (summed) or Kafka `records-lag-max` (the max), when reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_records: Option<f64>,
    /// When the metrics were fetched (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_at_ms: Option<i64>,
    /// The last samples, oldest first (for sparklines; not part of the JSON output). Shared:
    /// the pollers' cache and every job list a poll sends hold the same samples, and a new
    /// sample copies them only when a list still holds the old ones.
    #[serde(skip)]
    pub history: Arc<Vec<VitalSample>>,
}

impl JobVitals {
    /// Watermark lag as of `now_ms`.
    pub fn watermark_lag_ms(&self, now_ms: i64) -> Option<i64> {
        self.watermark_ms.map(|w| (now_ms - w).max(0))
    }
}

/// What kind of problem (for tests and the JSON output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    State,
    Restarts,
    Checkpoint,
    CheckpointFailed,
    Backpressure,
    Busy,
    WatermarkLag,
    SourceLag,
}

/// One problem of a job with its weight and its short reason (`ckpt 14m`, `bp 92%`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub weight: u32,
    pub reason: String,
}

/// The score (0 = healthy) and the problems, worst first.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Health {
    pub score: u32,
    pub problems: Vec<Problem>,
}

impl Health {
    /// The reason of the worst problem.
    pub fn reason(&self) -> Option<&str> {
        self.problems.first().map(|p| p.reason.as_str())
    }

    /// The worst problem that is not the job's state (for a table that shows the state in a
    /// column of its own), and how many more there are.
    pub fn reason_besides_state(&self) -> Option<(&str, usize)> {
        let mut others = self
            .problems
            .iter()
            .filter(|p| p.kind != ProblemKind::State);
        let first = others.next()?;
        Some((first.reason.as_str(), others.count()))
    }
}

/// `1.2M`, `12k`, `950`: a count in a few characters.
pub fn short_count(v: f64) -> String {
    let v = v.max(0.0);
    if v >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// `45s`, `14m`, `3h`, `2d`: an age in a few characters.
pub fn short_duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

fn pct(ratio: f64) -> String {
    format!("{:.0}%", (ratio * 100.0).clamp(0.0, 100.0))
}

/// Restarts within [`RESTART_WINDOW_MS`] before `now_ms` from `(at_ms, count)` samples (oldest
/// first): the newest count minus the count at the newest sample at or before the window's
/// start. Without such a sample, a job started within the window counts all its restarts, an
/// older one counts from its oldest sample (the window is then shorter than 10 minutes).
pub fn restarts_in_window(samples: &[(i64, u64)], start_time_ms: i64, now_ms: i64) -> Option<u64> {
    let &(_, newest) = samples.last()?;
    let from = now_ms - RESTART_WINDOW_MS;
    let base = match samples.iter().rev().find(|(at, _)| *at <= from) {
        Some(&(_, n)) => n,
        None if start_time_ms > 0 && start_time_ms >= from => 0,
        None => samples[0].1,
    };
    Some(newest.saturating_sub(base))
}

fn problem(kind: ProblemKind, weight: f64, reason: String) -> Problem {
    Problem {
        kind,
        weight: weight.round().clamp(1.0, 1000.0) as u32,
        reason,
    }
}

/// The health of job `j` as of `now_ms`.
pub fn assess(j: &JobSummary, now_ms: i64) -> Health {
    let mut ps: Vec<Problem> = Vec::new();
    let state_weight = match &j.state {
        JobState::Failed | JobState::Failing => 100.0,
        JobState::Restarting => 80.0,
        JobState::Suspended => 40.0,
        // `-`: a managed app without a job (no state to judge).
        JobState::Unknown(s) if s == "-" => 0.0,
        JobState::Unknown(_) => 30.0,
        JobState::Initializing
        | JobState::Created
        | JobState::Cancelling
        | JobState::Reconciling => 10.0,
        JobState::Running | JobState::Finished | JobState::Canceled => 0.0,
    };
    // A cluster that does not answer is its own problem (the header says so), not the job's.
    if state_weight > 0.0 && !j.stale {
        ps.push(problem(
            ProblemKind::State,
            state_weight,
            j.state.as_str().to_string(),
        ));
    }
    let v = j.vitals.as_ref();
    if let Some(n) = v.and_then(|v| v.restarts_10m).filter(|n| *n > 0) {
        ps.push(problem(
            ProblemKind::Restarts,
            (40.0 + 5.0 * n as f64).min(75.0),
            format!("restarts {n}/10m"),
        ));
    }
    let active = j.state.is_active() && !j.stale;
    if let Some(v) = v.filter(|_| active) {
        checkpoint_problems(j, v, now_ms, &mut ps);
        metric_problems(v, now_ms, &mut ps);
    }
    // Worst first; equal weights keep the order above.
    ps.sort_by_key(|p| std::cmp::Reverse(p.weight));
    Health {
        score: ps.iter().map(|p| p.weight).sum(),
        problems: ps,
    }
}

fn checkpoint_problems(j: &JobSummary, v: &JobVitals, now_ms: i64, ps: &mut Vec<Problem>) {
    if v.checkpointing_off {
        return;
    }
    if let Some(interval) = v.checkpoint_interval_ms.filter(|i| *i > 0) {
        // Without a completed checkpoint, the time since the job (re)started counts.
        let since = v
            .last_completed_at
            .or_else(|| (j.start_time > 0).then_some(j.start_time));
        if let Some(since) = since {
            let age = now_ms - since;
            let over = age / interval - CKPT_INTERVALS;
            if age > CKPT_INTERVALS * interval && matches!(j.state, JobState::Running) {
                let reason = match v.last_completed_at {
                    Some(_) => format!("ckpt {}", short_duration(age)),
                    None => format!("no ckpt {}", short_duration(age)),
                };
                ps.push(problem(
                    ProblemKind::Checkpoint,
                    (30.0 + 5.0 * over as f64).min(60.0),
                    reason,
                ));
            }
        }
    }
    let newest_failed = j
        .last_checkpoint
        .as_ref()
        .is_some_and(|c| c.status == CheckpointStatus::Failed && !c.is_savepoint);
    if newest_failed && v.checkpoints_failed.unwrap_or(1) > 0 {
        ps.push(problem(
            ProblemKind::CheckpointFailed,
            25.0,
            "ckpt failed".into(),
        ));
    }
}

fn metric_problems(v: &JobVitals, now_ms: i64, ps: &mut Vec<Problem>) {
    if let Some(bp) = v.backpressure.filter(|b| *b >= BP_RATIO) {
        ps.push(problem(
            ProblemKind::Backpressure,
            60.0 * bp,
            format!("bp {}", pct(bp)),
        ));
    }
    if let Some(p) = v.pending_records.filter(|p| *p >= PENDING_RECORDS) {
        ps.push(problem(
            ProblemKind::SourceLag,
            30.0,
            format!("lag {}", short_count(p)),
        ));
    }
    if let Some(b) = v.busy.filter(|b| *b >= BUSY_RATIO) {
        ps.push(problem(ProblemKind::Busy, 25.0, format!("busy {}", pct(b))));
    }
    if let Some(lag) = v.watermark_lag_ms(now_ms).filter(|l| *l >= WM_LAG_MS) {
        ps.push(problem(
            ProblemKind::WatermarkLag,
            20.0,
            format!("wm {}", short_duration(lag)),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CheckpointRef;

    const NOW: i64 = 1_800_000_000_000;

    fn job(state: JobState) -> JobSummary {
        JobSummary::test_job("c", "j", "n", state, NOW)
    }

    fn with(v: JobVitals) -> JobSummary {
        JobSummary {
            vitals: Some(std::sync::Arc::new(v)),
            ..job(JobState::Running)
        }
    }

    #[test]
    fn a_running_job_without_problems_scores_zero() {
        let h = assess(&job(JobState::Running), NOW);
        assert_eq!(h, Health::default());
        assert_eq!(assess(&job(JobState::Finished), NOW).score, 0);
        assert_eq!(assess(&job(JobState::Canceled), NOW).score, 0);
    }

    #[test]
    fn states_have_their_weights_and_names() {
        let failed = assess(&job(JobState::Failed), NOW);
        assert_eq!((failed.score, failed.reason()), (100, Some("FAILED")));
        let r = assess(&job(JobState::Restarting), NOW);
        assert_eq!((r.score, r.reason()), (80, Some("RESTARTING")));
        let stale = JobSummary {
            stale: true,
            ..job(JobState::Failing)
        };
        assert_eq!(
            assess(&stale, NOW).score,
            0,
            "a silent cluster is not the job"
        );
        let no_job = job(JobState::Unknown("-".into()));
        assert_eq!(assess(&no_job, NOW).score, 0, "an app without a job");
        let restarting = JobSummary {
            vitals: Some(std::sync::Arc::new(JobVitals {
                restarts_10m: Some(3),
                ..JobVitals::default()
            })),
            ..job(JobState::Restarting)
        };
        let h = assess(&restarting, NOW);
        assert_eq!(h.reason(), Some("RESTARTING"));
        assert_eq!(h.reason_besides_state(), Some(("restarts 3/10m", 0)));
        assert_eq!(
            assess(&job(JobState::Failed), NOW).reason_besides_state(),
            None
        );
    }

    #[test]
    fn overdue_checkpoint_says_its_age() {
        let v = JobVitals {
            checkpoint_interval_ms: Some(60_000),
            last_completed_at: Some(NOW - 14 * 60_000),
            ..JobVitals::default()
        };
        let h = assess(&with(v.clone()), NOW);
        assert_eq!(h.reason(), Some("ckpt 14m"));
        assert_eq!(h.problems[0].kind, ProblemKind::Checkpoint);
        assert_eq!(h.score, 60, "capped");
        // Within three intervals: fine.
        let fresh = JobVitals {
            last_completed_at: Some(NOW - 170_000),
            ..v.clone()
        };
        assert_eq!(assess(&with(fresh), NOW).score, 0);
        // Checkpointing off: never overdue.
        let off = JobVitals {
            checkpointing_off: true,
            ..v.clone()
        };
        assert_eq!(assess(&with(off), NOW).score, 0);
        // Never completed: the time since the job started counts.
        let never = JobVitals {
            last_completed_at: None,
            ..v
        };
        assert_eq!(assess(&with(never), NOW).reason(), Some("no ckpt 1h"));
    }

    #[test]
    fn newest_failed_checkpoint_is_a_problem() {
        let mut j = with(JobVitals {
            checkpoints_failed: Some(3),
            ..JobVitals::default()
        });
        j.last_checkpoint = Some(CheckpointRef {
            id: 9,
            status: CheckpointStatus::Failed,
            completed_at: Some(NOW),
            external_path: None,
            is_savepoint: false,
        });
        assert_eq!(assess(&j, NOW).reason(), Some("ckpt failed"));
    }

    #[test]
    fn metrics_give_short_reasons_worst_first() {
        let v = JobVitals {
            backpressure: Some(0.92),
            busy: Some(0.97),
            watermark_ms: Some(NOW - 180_000),
            pending_records: Some(1_234_567.0),
            ..JobVitals::default()
        };
        let h = assess(&with(v), NOW);
        let reasons: Vec<&str> = h.problems.iter().map(|p| p.reason.as_str()).collect();
        assert_eq!(reasons, ["bp 92%", "lag 1.2M", "busy 97%", "wm 3m"]);
        assert_eq!(h.score, 55 + 30 + 25 + 20);
        // Below the thresholds: nothing.
        let calm = JobVitals {
            backpressure: Some(0.3),
            busy: Some(0.5),
            watermark_ms: Some(NOW - 5_000),
            pending_records: Some(10.0),
            ..JobVitals::default()
        };
        assert_eq!(assess(&with(calm), NOW).score, 0);
    }

    #[test]
    fn restarts_in_the_window_rank_above_a_late_checkpoint() {
        let restarting = with(JobVitals {
            restarts_10m: Some(5),
            ..JobVitals::default()
        });
        let h = assess(&restarting, NOW);
        assert_eq!((h.score, h.reason()), (65, Some("restarts 5/10m")));
        let late = with(JobVitals {
            checkpoint_interval_ms: Some(10_000),
            last_completed_at: Some(NOW - 45_000),
            ..JobVitals::default()
        });
        assert!(assess(&late, NOW).score < h.score);
        assert!(assess(&late, NOW).score > 0);
    }

    #[test]
    fn restart_window_from_samples() {
        let min = 60_000;
        // Samples over 20 minutes: 2 restarts before the window, 5 within.
        let s = [
            (NOW - 20 * min, 0),
            (NOW - 11 * min, 2),
            (NOW - 5 * min, 4),
            (NOW, 7),
        ];
        assert_eq!(restarts_in_window(&s, NOW - 3_600_000, NOW), Some(5));
        // A job started 3 minutes ago: all its restarts are recent.
        assert_eq!(restarts_in_window(&[(NOW, 4)], NOW - 3 * min, NOW), Some(4));
        // An old job first seen now: nothing known to be recent.
        assert_eq!(
            restarts_in_window(&[(NOW, 40)], NOW - 60 * min, NOW),
            Some(0)
        );
        assert_eq!(restarts_in_window(&[], NOW, NOW), None);
    }

    #[test]
    fn short_formats() {
        assert_eq!(short_count(1_234_567.0), "1.2M");
        assert_eq!(short_count(12_345.0), "12k");
        assert_eq!(short_count(1_500.0), "1.5k");
        assert_eq!(short_count(950.0), "950");
        assert_eq!(short_duration(14 * 60_000 + 5_000), "14m");
        assert_eq!(short_duration(45_000), "45s");
        assert_eq!(short_duration(3 * 3_600_000), "3h");
    }
}
