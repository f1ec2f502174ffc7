//! Wire types → domain types, in one place.

use crate::config::secret::{mask, mask_in_place};
use crate::domain::{
    CheckpointCounts, CheckpointEntry, CheckpointKind, CheckpointStats, CheckpointStatus,
    ExceptionEntry, JobDetail, JobExceptions, JobState, JobSummary, LogFileRef, LogName, LogSource,
    RestoredInfo, VertexInfo,
};

use super::wire::{self, num};
use super::{ClusterInfo, TaskManagerInfo};

fn to_u32(v: Option<i64>) -> u32 {
    v.unwrap_or(0).clamp(0, u32::MAX as i64) as u32
}

/// Flink uses -1 (and sometimes 0) for "not yet" timestamps.
fn opt_time(v: Option<i64>) -> Option<i64> {
    v.filter(|t| *t > 0)
}

pub(crate) fn cluster_info(ov: wire::Overview, cfg: Option<wire::Config>) -> ClusterInfo {
    let (cfg_version, cfg_revision) = match cfg {
        Some(c) => (c.flink_version, c.flink_revision),
        None => (None, None),
    };
    let non_empty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    ClusterInfo {
        flink_version: non_empty(ov.flink_version).or(non_empty(cfg_version)),
        flink_revision: non_empty(ov.flink_commit).or(non_empty(cfg_revision)),
        taskmanagers: to_u32(ov.taskmanagers),
        slots_total: to_u32(ov.slots_total),
        slots_available: to_u32(ov.slots_available),
        jobs_running: to_u32(ov.jobs_running),
    }
}

pub(crate) fn taskmanagers(tms: wire::TaskManagers) -> Vec<TaskManagerInfo> {
    tms.taskmanagers
        .into_iter()
        .filter_map(|tm| {
            Some(TaskManagerInfo {
                id: tm.id.filter(|s| !s.is_empty())?,
                path: tm.path,
                slots: to_u32(tm.slots_number),
                free_slots: to_u32(tm.free_slots),
                time_since_last_heartbeat: tm.time_since_last_heartbeat,
            })
        })
        .collect()
}

pub(crate) fn jobs_overview(cluster: &str, ov: wire::JobsOverview) -> Vec<JobSummary> {
    ov.jobs
        .into_iter()
        .filter_map(|j| {
            let id = j.jid.filter(|s| !s.is_empty())?;
            let task = |v: &serde_json::Value| to_u32(num::value_i64(v));
            Some(JobSummary {
                cluster: cluster.to_string(),
                name: j.name.unwrap_or_default(),
                state: JobState::parse(j.state.as_deref().unwrap_or("")),
                start_time: j.start_time.unwrap_or(0),
                end_time: opt_time(j.end_time),
                duration_ms: j.duration.unwrap_or(0),
                last_modification: j.last_modification.unwrap_or(0),
                tasks_running: task(&j.tasks.running),
                tasks_total: task(&j.tasks.total),
                last_checkpoint: None,
                restarts: None,
                stale: false,
                detail_at_ms: None,
                vitals: None,
                id,
            })
        })
        .collect()
}

pub(crate) fn job_detail(d: wire::JobDetails) -> JobDetail {
    JobDetail {
        id: d.jid.unwrap_or_default(),
        name: d.name.unwrap_or_default(),
        state: d.state.unwrap_or_default(),
        start_time: d.start_time.unwrap_or(0),
        end_time: opt_time(d.end_time),
        duration_ms: d.duration.unwrap_or(0),
        job_type: d.job_type,
        max_parallelism: d.max_parallelism.filter(|p| *p > 0),
        vertices: d
            .vertices
            .into_iter()
            .map(|v| VertexInfo {
                id: v.id.unwrap_or_default(),
                name: v.name.unwrap_or_default(),
                parallelism: to_u32(v.parallelism),
                status: v.status.unwrap_or_default(),
                ..VertexInfo::default()
            })
            .collect(),
    }
}

/// The metric names `job_detail` asks for, per vertex, aggregated over subtasks.
pub(crate) const VERTEX_METRICS: [&str; 6] = [
    "numRecordsInPerSecond",
    "numRecordsOutPerSecond",
    "numBytesInPerSecond",
    "numBytesOutPerSecond",
    "busyTimeMsPerSecond",
    "backPressuredTimeMsPerSecond",
];

/// Fills the throughput fields of a vertex from `.../subtasks/metrics?agg=sum,max`: rates are
/// summed over subtasks, busy/back-pressure ratios are the worst subtask. NaN stays `None`.
pub(crate) fn apply_vertex_metrics(v: &mut VertexInfo, metrics: &[wire::AggregatedMetric]) {
    let finite = |x: Option<f64>| x.filter(|f| f.is_finite());
    let find = |id: &str| metrics.iter().find(|m| m.id == id);
    let sum = |id: &str| find(id).and_then(|m| finite(m.sum));
    let ratio = |id: &str| {
        find(id)
            .and_then(|m| finite(m.max))
            .map(|ms| (ms / 1000.0).clamp(0.0, 1.0))
    };
    v.records_in_per_sec = sum("numRecordsInPerSecond");
    v.records_out_per_sec = sum("numRecordsOutPerSecond");
    v.bytes_in_per_sec = sum("numBytesInPerSecond");
    v.bytes_out_per_sec = sum("numBytesOutPerSecond");
    v.busy_ratio = ratio("busyTimeMsPerSecond");
    v.backpressure_ratio = ratio("backPressuredTimeMsPerSecond");
}

/// `numRestarts` from `/jobs/:id/metrics?get=numRestarts`.
pub(crate) fn num_restarts(metrics: &[wire::Metric]) -> Option<u64> {
    metrics
        .iter()
        .find(|m| m.id == "numRestarts")
        .and_then(|m| num::value_i64(&m.value))
        .map(|n| n.max(0) as u64)
}

pub(crate) fn checkpoint_entry(e: wire::CheckpointEntry) -> Option<CheckpointEntry> {
    let id = e.id?;
    let status = match (&e.status, &e.class_name) {
        (Some(s), _) => CheckpointStatus::parse(s),
        (None, Some(c)) => CheckpointStatus::parse(c),
        (None, None) => CheckpointStatus::InProgress,
    };
    let is_savepoint = e.is_savepoint.unwrap_or_else(|| {
        e.checkpoint_type
            .as_deref()
            .is_some_and(|t| t.to_ascii_uppercase().contains("SAVEPOINT"))
    });
    let completed_at = match status {
        CheckpointStatus::Completed => opt_time(e.latest_ack_timestamp),
        CheckpointStatus::Failed => {
            opt_time(e.failure_timestamp).or(opt_time(e.latest_ack_timestamp))
        }
        CheckpointStatus::InProgress => None,
    };
    Some(CheckpointEntry {
        id,
        status,
        kind: if is_savepoint {
            CheckpointKind::Savepoint
        } else {
            CheckpointKind::Checkpoint
        },
        checkpoint_type: e.checkpoint_type,
        trigger_timestamp: e.trigger_timestamp.unwrap_or(0),
        completed_at,
        duration_ms: e.end_to_end_duration.filter(|d| *d >= 0),
        size_bytes: e.checkpointed_size.filter(|s| *s >= 0),
        state_size_bytes: e.state_size.filter(|s| *s >= 0),
        external_path: e
            .external_path
            .filter(|p| !p.is_empty() && p != "<checkpoint-not-externally-addressable>"),
        failure_message: e
            .failure_message
            .filter(|m| !m.is_empty())
            .map(|m| mask(&m).into_owned()),
        num_subtasks: e.num_subtasks,
        num_acknowledged: e.num_acknowledged_subtasks,
    })
}

pub(crate) fn checkpoints(c: wire::Checkpointing) -> CheckpointStats {
    let mut history: Vec<CheckpointEntry> =
        c.history.into_iter().filter_map(checkpoint_entry).collect();
    history.sort_by_key(|e| std::cmp::Reverse(e.id));
    CheckpointStats {
        counts: CheckpointCounts {
            restored: c.counts.restored.unwrap_or(0),
            total: c.counts.total.unwrap_or(0),
            in_progress: c.counts.in_progress.unwrap_or(0),
            completed: c.counts.completed.unwrap_or(0),
            failed: c.counts.failed.unwrap_or(0),
        },
        latest_completed: c.latest.completed.and_then(checkpoint_entry),
        latest_savepoint: c.latest.savepoint.and_then(checkpoint_entry),
        latest_failed: c.latest.failed.and_then(checkpoint_entry),
        latest_restored: c.latest.restored.and_then(|r| {
            Some(RestoredInfo {
                id: r.id?,
                restore_timestamp: r.restore_timestamp.unwrap_or(0),
                is_savepoint: r.is_savepoint.unwrap_or(false),
                external_path: r.external_path.filter(|p| !p.is_empty()),
            })
        }),
        history,
    }
}

fn history_entry(e: wire::HistoryEntry) -> ExceptionEntry {
    let stacktrace = e.stacktrace.unwrap_or_default();
    let name = e
        .exception_name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| exception_name_of(&stacktrace));
    ExceptionEntry {
        name,
        stacktrace,
        timestamp: opt_time(e.timestamp),
        task: e.task_name.filter(|s| !s.is_empty()),
        location: e.endpoint.or(e.location).filter(|s| !s.is_empty()),
        taskmanager_id: e.task_manager_id.filter(|s| !s.is_empty()),
        failure_labels: e
            .failure_labels
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        concurrent: e.concurrent_exceptions.len(),
    }
}

fn task_exception(e: wire::TaskException) -> ExceptionEntry {
    let stacktrace = e.exception.unwrap_or_default();
    ExceptionEntry {
        name: exception_name_of(&stacktrace),
        stacktrace,
        timestamp: opt_time(e.timestamp),
        task: e.task.filter(|s| !s.is_empty()),
        location: e.endpoint.or(e.location).filter(|s| !s.is_empty()),
        taskmanager_id: e.task_manager_id.filter(|s| !s.is_empty()),
        failure_labels: Vec::new(),
        concurrent: 0,
    }
}

/// The exception class from the first line of a stack trace: `java.lang.X: msg` → `java.lang.X`.
pub(crate) fn exception_name_of(stacktrace: &str) -> String {
    let first = stacktrace.lines().next().unwrap_or("").trim();
    let name = first.split(':').next().unwrap_or("").trim();
    if name.is_empty() || name.contains(' ') {
        first.to_string()
    } else {
        name.to_string()
    }
}

/// 1.x: `root-exception` (+ `timestamp`), `all-exceptions`, `exceptionHistory`.
/// 2.x: only `exceptionHistory`; the root is its newest entry.
pub(crate) fn exceptions(x: wire::Exceptions) -> JobExceptions {
    let (mut history, hist_truncated) = match x.exception_history {
        Some(h) => (
            h.entries.into_iter().map(history_entry).collect::<Vec<_>>(),
            h.truncated.unwrap_or(false),
        ),
        None => (Vec::new(), false),
    };
    history.sort_by_key(|e| std::cmp::Reverse(e.timestamp.unwrap_or(0)));
    if history.is_empty() && !x.all_exceptions.is_empty() {
        // A 1.x answer without history: the task exceptions are the best we have.
        history = x.all_exceptions.into_iter().map(task_exception).collect();
    }
    let legacy_root = x
        .root_exception
        .filter(|s| !s.trim().is_empty())
        .map(|trace| ExceptionEntry {
            name: exception_name_of(&trace),
            stacktrace: trace,
            timestamp: opt_time(x.timestamp),
            ..ExceptionEntry::default()
        });
    let root = match legacy_root {
        // The history entry for the same failure carries the task, location and labels too.
        Some(legacy) => Some(
            history
                .iter()
                .find(|h| h.timestamp == legacy.timestamp && h.stacktrace == legacy.stacktrace)
                .or_else(|| {
                    history
                        .iter()
                        .find(|h| h.timestamp.is_some() && h.timestamp == legacy.timestamp)
                })
                .cloned()
                .unwrap_or(legacy),
        ),
        None => history.first().cloned(),
    };
    // Exception texts are the job's own words: a connector that prints its configuration (a
    // password from [secret_vars]) must not carry it to the screen, the output or the store.
    JobExceptions {
        root: root.map(mask_exception),
        history: history.into_iter().map(mask_exception).collect(),
        truncated: hist_truncated || x.truncated.unwrap_or(false),
    }
}

/// An exception entry with every known secret masked.
fn mask_exception(mut e: ExceptionEntry) -> ExceptionEntry {
    mask_in_place(&mut e.name);
    mask_in_place(&mut e.stacktrace);
    for text in [&mut e.task, &mut e.location, &mut e.taskmanager_id]
        .into_iter()
        .flatten()
    {
        mask_in_place(text);
    }
    for (_, v) in &mut e.failure_labels {
        mask_in_place(v);
    }
    e
}

pub(crate) fn log_files(source: &LogSource, list: wire::LogList) -> Vec<LogFileRef> {
    list.logs
        .into_iter()
        .filter_map(|l| {
            let name = l.name.filter(|n| !n.is_empty())?;
            Some(LogFileRef {
                source: source.clone(),
                name: LogName::File(name),
                size: l.size.filter(|s| *s >= 0).map(|s| s as u64),
                mtime: opt_time(l.mtime),
            })
        })
        .collect()
}

/// The jar id is the file name Flink stored the upload under (`<uuid>_<name>.jar`).
pub(crate) fn jar_id_from_filename(filename: &str) -> Option<String> {
    let id = filename.rsplit(['/', '\\']).next().unwrap_or("").trim();
    (!id.is_empty()).then(|| id.to_string())
}
