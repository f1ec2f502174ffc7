//! Flink's JSON as it comes over the wire (1.17–2.3). Everything is optional or defaulted and
//! unknown fields are ignored; numbers are accepted as JSON numbers or numeric strings (metric
//! values and `NaN` come as strings). Mapping to domain types lives in `map.rs`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// Lenient number decoding: a number, a numeric string, or null/absent.
pub(crate) mod num {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub(crate) fn value_f64(v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }

    pub(crate) fn value_i64(v: &Value) -> Option<i64> {
        match v {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_u64().map(|u| u.min(i64::MAX as u64) as i64))
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
            Value::String(s) => {
                let t = s.trim();
                t.parse::<i64>().ok().or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .map(|f| f as i64)
                })
            }
            _ => None,
        }
    }

    fn check<T>(v: &Value, parsed: Option<T>) -> Result<Option<T>, String> {
        match (v, parsed) {
            (Value::Null, _) => Ok(None),
            (_, Some(x)) => Ok(Some(x)),
            (Value::String(_), None) => Ok(None),
            (other, None) => Err(format!("expected a number, found {other}")),
        }
    }

    pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let v = Value::deserialize(d)?;
        check(&v, value_i64(&v)).map_err(serde::de::Error::custom)
    }

    pub(crate) fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let v = Value::deserialize(d)?;
        check(&v, value_f64(&v)).map_err(serde::de::Error::custom)
    }

    pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        let v = Value::deserialize(d)?;
        Ok(match v {
            Value::Bool(b) => Some(b),
            Value::String(s) => s.trim().parse::<bool>().ok(),
            _ => None,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Cluster

/// `GET /config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Config {
    #[serde(rename = "flink-version")]
    pub flink_version: Option<String>,
    #[serde(rename = "flink-revision")]
    pub flink_revision: Option<String>,
}

/// `GET /overview`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Overview {
    #[serde(deserialize_with = "num::opt_i64")]
    pub taskmanagers: Option<i64>,
    #[serde(rename = "slots-total", deserialize_with = "num::opt_i64")]
    pub slots_total: Option<i64>,
    #[serde(rename = "slots-available", deserialize_with = "num::opt_i64")]
    pub slots_available: Option<i64>,
    #[serde(rename = "jobs-running", deserialize_with = "num::opt_i64")]
    pub jobs_running: Option<i64>,
    #[serde(rename = "flink-version")]
    pub flink_version: Option<String>,
    #[serde(rename = "flink-commit")]
    pub flink_commit: Option<String>,
}

/// `GET /taskmanagers`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TaskManagers {
    pub taskmanagers: Vec<TaskManager>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TaskManager {
    pub id: Option<String>,
    pub path: Option<String>,
    #[serde(rename = "slotsNumber", deserialize_with = "num::opt_i64")]
    pub slots_number: Option<i64>,
    #[serde(rename = "freeSlots", deserialize_with = "num::opt_i64")]
    pub free_slots: Option<i64>,
    #[serde(rename = "timeSinceLastHeartbeat", deserialize_with = "num::opt_i64")]
    pub time_since_last_heartbeat: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Jobs

/// `GET /jobs/overview`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JobsOverview {
    pub jobs: Vec<JobOverview>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JobOverview {
    pub jid: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    #[serde(rename = "start-time", deserialize_with = "num::opt_i64")]
    pub start_time: Option<i64>,
    #[serde(rename = "end-time", deserialize_with = "num::opt_i64")]
    pub end_time: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub duration: Option<i64>,
    #[serde(rename = "last-modification", deserialize_with = "num::opt_i64")]
    pub last_modification: Option<i64>,
    /// `{total, running, finished, ...}` (lower-case execution states).
    pub tasks: TaskCounts,
}

/// The task counts of `/jobs/overview` that flinkdeck shows; the other states are skipped
/// while decoding (a map of every state cost an allocation per key and job, every poll).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TaskCounts {
    /// A number, a numeric string, or anything else (read as unknown).
    pub total: Value,
    pub running: Value,
}

/// `GET /jobs/:jobid`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JobDetails {
    pub jid: Option<String>,
    pub name: Option<String>,
    pub state: Option<String>,
    #[serde(rename = "start-time", deserialize_with = "num::opt_i64")]
    pub start_time: Option<i64>,
    #[serde(rename = "end-time", deserialize_with = "num::opt_i64")]
    pub end_time: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub duration: Option<i64>,
    #[serde(rename = "maxParallelism", deserialize_with = "num::opt_i64")]
    pub max_parallelism: Option<i64>,
    /// 1.20+.
    #[serde(rename = "job-type")]
    pub job_type: Option<String>,
    pub vertices: Vec<Vertex>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Vertex {
    pub id: Option<String>,
    pub name: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub parallelism: Option<i64>,
    pub status: Option<String>,
}

/// One row of `.../subtasks/metrics?get=...&agg=...`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AggregatedMetric {
    pub id: String,
    #[serde(deserialize_with = "num::opt_f64")]
    pub min: Option<f64>,
    #[serde(deserialize_with = "num::opt_f64")]
    pub max: Option<f64>,
    #[serde(deserialize_with = "num::opt_f64")]
    pub avg: Option<f64>,
    #[serde(deserialize_with = "num::opt_f64")]
    pub sum: Option<f64>,
}

/// One row of `.../metrics?get=...` (the value is a string).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Metric {
    pub id: String,
    pub value: Value,
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

/// `GET /jobs/:jobid/checkpoints`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Checkpointing {
    pub counts: CheckpointCounts,
    pub latest: LatestCheckpoints,
    pub history: Vec<CheckpointEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CheckpointCounts {
    #[serde(deserialize_with = "num::opt_i64")]
    pub restored: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub total: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub in_progress: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub completed: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub failed: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LatestCheckpoints {
    pub completed: Option<CheckpointEntry>,
    pub savepoint: Option<CheckpointEntry>,
    pub failed: Option<CheckpointEntry>,
    pub restored: Option<RestoredCheckpoint>,
}

/// A history or `latest` entry. Flink tags the subtype with `"className"`
/// (`completed | failed | in_progress`); one struct with every field optional covers all three.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct CheckpointEntry {
    #[serde(rename = "className")]
    pub class_name: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub id: Option<i64>,
    pub status: Option<String>,
    #[serde(deserialize_with = "num::opt_bool")]
    pub is_savepoint: Option<bool>,
    pub checkpoint_type: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub trigger_timestamp: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub latest_ack_timestamp: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub checkpointed_size: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub state_size: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub end_to_end_duration: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub num_subtasks: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub num_acknowledged_subtasks: Option<i64>,
    /// Completed entries.
    pub external_path: Option<String>,
    #[serde(deserialize_with = "num::opt_bool")]
    pub discarded: Option<bool>,
    /// Failed entries.
    pub failure_message: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub failure_timestamp: Option<i64>,
}

/// `latest.restored`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RestoredCheckpoint {
    #[serde(deserialize_with = "num::opt_i64")]
    pub id: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub restore_timestamp: Option<i64>,
    #[serde(deserialize_with = "num::opt_bool")]
    pub is_savepoint: Option<bool>,
    pub external_path: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Exceptions

/// `GET /jobs/:jobid/exceptions`: 1.x has the deprecated top-level fields plus
/// `exceptionHistory`; 2.x only `exceptionHistory`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Exceptions {
    #[serde(rename = "root-exception")]
    pub root_exception: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(rename = "all-exceptions")]
    pub all_exceptions: Vec<TaskException>,
    #[serde(deserialize_with = "num::opt_bool")]
    pub truncated: Option<bool>,
    #[serde(rename = "exceptionHistory")]
    pub exception_history: Option<ExceptionHistory>,
}

/// An `all-exceptions` row (1.x).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct TaskException {
    pub exception: Option<String>,
    pub task: Option<String>,
    pub location: Option<String>,
    pub endpoint: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(rename = "taskManagerId")]
    pub task_manager_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ExceptionHistory {
    pub entries: Vec<HistoryEntry>,
    #[serde(deserialize_with = "num::opt_bool")]
    pub truncated: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct HistoryEntry {
    #[serde(rename = "exceptionName")]
    pub exception_name: Option<String>,
    pub stacktrace: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub timestamp: Option<i64>,
    #[serde(rename = "taskName")]
    pub task_name: Option<String>,
    pub endpoint: Option<String>,
    pub location: Option<String>,
    #[serde(rename = "taskManagerId")]
    pub task_manager_id: Option<String>,
    #[serde(rename = "failureLabels")]
    pub failure_labels: Option<BTreeMap<String, Value>>,
    #[serde(rename = "concurrentExceptions")]
    pub concurrent_exceptions: Vec<Value>,
}

// ---------------------------------------------------------------------------------------------
// Logs and jars

/// `GET /jobmanager/logs`, `GET /taskmanagers/:id/logs`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogList {
    pub logs: Vec<LogInfo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LogInfo {
    pub name: Option<String>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub size: Option<i64>,
    #[serde(deserialize_with = "num::opt_i64")]
    pub mtime: Option<i64>,
}

/// `POST /jars/upload`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JarUpload {
    pub filename: Option<String>,
    pub status: Option<String>,
}

/// `POST /jars/:jarid/run`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct JarRun {
    pub jobid: Option<String>,
}

/// The body of `POST /jars/:jarid/run`.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JarRunBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub program_args_list: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub savepoint_path: Option<&'a str>,
    pub allow_non_restored_state: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub flink_configuration: &'a BTreeMap<String, String>,
}
