//! Jobs as flinkdeck sees them: state, summary rows for the jobs list, and job detail.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::checkpoint::CheckpointRef;

/// Flink's `JobStatus`, plus `Unknown` for a state we cannot name (an unknown string from a newer
/// Flink, or a job whose cluster is not answering).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobState {
    Initializing,
    Created,
    Running,
    Failing,
    Failed,
    Cancelling,
    Canceled,
    Finished,
    Restarting,
    Suspended,
    Reconciling,
    Unknown(String),
}

impl JobState {
    /// All states Flink knows, in a stable order (used for filters and snapshot tests).
    pub const KNOWN: [JobState; 11] = [
        JobState::Initializing,
        JobState::Created,
        JobState::Running,
        JobState::Failing,
        JobState::Failed,
        JobState::Cancelling,
        JobState::Canceled,
        JobState::Finished,
        JobState::Restarting,
        JobState::Suspended,
        JobState::Reconciling,
    ];

    /// Parses Flink's spelling (case-insensitive); anything else becomes `Unknown`.
    pub fn parse(s: &str) -> JobState {
        match s.to_ascii_uppercase().as_str() {
            "INITIALIZING" => JobState::Initializing,
            "CREATED" => JobState::Created,
            "RUNNING" => JobState::Running,
            "FAILING" => JobState::Failing,
            "FAILED" => JobState::Failed,
            "CANCELLING" => JobState::Cancelling,
            "CANCELED" | "CANCELLED" => JobState::Canceled,
            "FINISHED" => JobState::Finished,
            "RESTARTING" => JobState::Restarting,
            "SUSPENDED" => JobState::Suspended,
            "RECONCILING" => JobState::Reconciling,
            other => JobState::Unknown(other.to_string()),
        }
    }

    /// Flink's own spelling (`CANCELLING` with two Ls, `CANCELED` with one).
    pub fn as_str(&self) -> &str {
        match self {
            JobState::Initializing => "INITIALIZING",
            JobState::Created => "CREATED",
            JobState::Running => "RUNNING",
            JobState::Failing => "FAILING",
            JobState::Failed => "FAILED",
            JobState::Cancelling => "CANCELLING",
            JobState::Canceled => "CANCELED",
            JobState::Finished => "FINISHED",
            JobState::Restarting => "RESTARTING",
            JobState::Suspended => "SUSPENDED",
            JobState::Reconciling => "RECONCILING",
            JobState::Unknown(s) if s.is_empty() => "UNKNOWN",
            JobState::Unknown(s) => s,
        }
    }

    /// Globally terminal: the job will never run again under this id.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Failed | JobState::Canceled | JobState::Finished
        )
    }

    /// The job holds (or is about to hold) resources on the cluster.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            JobState::Initializing
                | JobState::Created
                | JobState::Running
                | JobState::Failing
                | JobState::Cancelling
                | JobState::Restarting
                | JobState::Reconciling
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JobState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(JobState::parse(&s))
    }
}

/// One row of the jobs list: what `/jobs/overview` says, enriched with the last checkpoint and
/// the restart count when the cluster answered those too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    pub cluster: String,
    pub id: String,
    pub name: String,
    pub state: JobState,
    /// Epoch milliseconds.
    pub start_time: i64,
    /// Epoch milliseconds, `None` while the job runs.
    pub end_time: Option<i64>,
    pub duration_ms: i64,
    pub last_modification: i64,
    pub tasks_running: u32,
    pub tasks_total: u32,
    pub last_checkpoint: Option<CheckpointRef>,
    /// `numRestarts` of the job, when the cluster reported it.
    pub restarts: Option<u64>,
    /// Set when the cluster did not answer the last poll: the values are the last known ones.
    #[serde(default)]
    pub stale: bool,
    /// When `last_checkpoint` and `restarts` were fetched (epoch ms): per-job detail is spent
    /// from a budget, so it may be older than the job list. `None`: never fetched.
    #[serde(default)]
    pub detail_at_ms: Option<i64>,
    /// Checkpoint settings and metrics behind the health score (`domain::job_health`), when a
    /// poll fetched them. Shared: the pollers' cache and every job list a poll sends hold the
    /// same value until it changes (10,000 inline copies per list were megabytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vitals: Option<std::sync::Arc<super::job_health::JobVitals>>,
}

/// Identifies a job across clusters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobKey {
    pub cluster: String,
    pub id: String,
}

impl JobKey {
    pub fn new(cluster: impl Into<String>, id: impl Into<String>) -> Self {
        JobKey {
            cluster: cluster.into(),
            id: id.into(),
        }
    }
}

impl JobSummary {
    /// A unit tests' job: one task running for the hour before `now_ms`, no restarts, no
    /// checkpoint, no vitals.
    #[cfg(test)]
    pub(crate) fn test_job(
        cluster: &str,
        id: &str,
        name: &str,
        state: JobState,
        now_ms: i64,
    ) -> Self {
        JobSummary {
            cluster: cluster.into(),
            id: id.into(),
            name: name.into(),
            state,
            start_time: now_ms - 3_600_000,
            end_time: None,
            duration_ms: 3_600_000,
            last_modification: 0,
            tasks_running: 1,
            tasks_total: 1,
            last_checkpoint: None,
            restarts: Some(0),
            stale: false,
            detail_at_ms: None,
            vitals: None,
        }
    }

    pub fn key(&self) -> JobKey {
        JobKey::new(self.cluster.clone(), self.id.clone())
    }
}

/// One vertex (operator chain) of a job, with the throughput Flink reports for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct VertexInfo {
    pub id: String,
    pub name: String,
    pub parallelism: u32,
    pub status: String,
    pub records_in_per_sec: Option<f64>,
    pub records_out_per_sec: Option<f64>,
    pub bytes_in_per_sec: Option<f64>,
    pub bytes_out_per_sec: Option<f64>,
    /// 0.0–1.0, the max over subtasks of `busyTimeMsPerSecond / 1000`.
    pub busy_ratio: Option<f64>,
    /// 0.0–1.0, the max over subtasks of `backPressuredTimeMsPerSecond / 1000`.
    pub backpressure_ratio: Option<f64>,
}

/// Everything the overview tab shows about one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct JobDetail {
    pub id: String,
    pub name: String,
    pub state: String,
    pub start_time: i64,
    pub end_time: Option<i64>,
    pub duration_ms: i64,
    pub job_type: Option<String>,
    pub max_parallelism: Option<i64>,
    pub vertices: Vec<VertexInfo>,
}

/// One exception of a job: root cause or history entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ExceptionEntry {
    pub name: String,
    pub stacktrace: String,
    pub timestamp: Option<i64>,
    pub task: Option<String>,
    pub location: Option<String>,
    pub taskmanager_id: Option<String>,
    pub failure_labels: Vec<(String, String)>,
    pub concurrent: usize,
}

/// The exceptions tab: root exception plus history, in both the 1.x and 2.x shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct JobExceptions {
    pub root: Option<ExceptionEntry>,
    pub history: Vec<ExceptionEntry>,
    pub truncated: bool,
}
