//! Checkpoints and savepoints: the reference shown in the jobs list and the full statistics.

use serde::{Deserialize, Serialize};

/// Whether an entry is a checkpoint or a savepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointKind {
    Checkpoint,
    Savepoint,
}

impl CheckpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointKind::Checkpoint => "checkpoint",
            CheckpointKind::Savepoint => "savepoint",
        }
    }
    pub fn parse(s: &str) -> CheckpointKind {
        if s.eq_ignore_ascii_case("savepoint") {
            CheckpointKind::Savepoint
        } else {
            CheckpointKind::Checkpoint
        }
    }
}

/// `IN_PROGRESS | COMPLETED | FAILED` as Flink spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckpointStatus {
    InProgress,
    Completed,
    Failed,
}

impl CheckpointStatus {
    pub fn parse(s: &str) -> CheckpointStatus {
        match s.to_ascii_uppercase().as_str() {
            "COMPLETED" => CheckpointStatus::Completed,
            "FAILED" => CheckpointStatus::Failed,
            _ => CheckpointStatus::InProgress,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointStatus::InProgress => "IN_PROGRESS",
            CheckpointStatus::Completed => "COMPLETED",
            CheckpointStatus::Failed => "FAILED",
        }
    }
}

/// The last checkpoint of a job as the jobs list and `jobs --json` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRef {
    pub id: i64,
    pub status: CheckpointStatus,
    /// Epoch ms when it completed (or failed); `None` while in progress.
    pub completed_at: Option<i64>,
    pub external_path: Option<String>,
    pub is_savepoint: bool,
}

/// One checkpoint or savepoint with its statistics (history rows, latest entries, the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointEntry {
    pub id: i64,
    pub status: CheckpointStatus,
    pub kind: CheckpointKind,
    /// `CHECKPOINT | UNALIGNED_CHECKPOINT | SAVEPOINT | SYNC_SAVEPOINT` as Flink reports it.
    pub checkpoint_type: Option<String>,
    pub trigger_timestamp: i64,
    /// Epoch ms of the last acknowledgement (completion) or failure.
    pub completed_at: Option<i64>,
    pub duration_ms: Option<i64>,
    /// Checkpointed (incremental) size in bytes.
    pub size_bytes: Option<i64>,
    /// Full state size in bytes.
    pub state_size_bytes: Option<i64>,
    pub external_path: Option<String>,
    pub failure_message: Option<String>,
    pub num_subtasks: Option<i64>,
    pub num_acknowledged: Option<i64>,
}

impl CheckpointEntry {
    /// The id for display: `-` when Flink never told it (a savepoint learned from a trigger
    /// result is stored with a negative placeholder id).
    pub fn id_label(&self) -> String {
        if self.id < 0 {
            "-".to_string()
        } else {
            self.id.to_string()
        }
    }

    pub fn to_ref(&self) -> CheckpointRef {
        CheckpointRef {
            id: self.id,
            status: self.status,
            completed_at: self.completed_at,
            external_path: self.external_path.clone(),
            is_savepoint: self.kind == CheckpointKind::Savepoint,
        }
    }
}

/// What the job was restored from (`latest.restored`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoredInfo {
    pub id: i64,
    pub restore_timestamp: i64,
    pub is_savepoint: bool,
    pub external_path: Option<String>,
}

/// Checkpoint counts as Flink reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CheckpointCounts {
    pub restored: i64,
    pub total: i64,
    pub in_progress: i64,
    pub completed: i64,
    pub failed: i64,
}

/// The checkpoints tab: counts, latest entries and the recent history (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CheckpointStats {
    pub counts: CheckpointCounts,
    pub latest_completed: Option<CheckpointEntry>,
    pub latest_savepoint: Option<CheckpointEntry>,
    pub latest_failed: Option<CheckpointEntry>,
    pub latest_restored: Option<RestoredInfo>,
    pub history: Vec<CheckpointEntry>,
}

impl CheckpointStats {
    /// The most recent finished (completed or failed) checkpoint or savepoint, by id.
    pub fn last(&self) -> Option<&CheckpointEntry> {
        [
            self.latest_completed.as_ref(),
            self.latest_savepoint.as_ref(),
            self.latest_failed.as_ref(),
        ]
        .into_iter()
        .flatten()
        .max_by_key(|e| (e.id, e.completed_at.unwrap_or(0)))
    }

    /// Every completed checkpoint and savepoint this response mentions, deduplicated by id.
    pub fn completed_entries(&self) -> Vec<CheckpointEntry> {
        let mut out: Vec<CheckpointEntry> = Vec::new();
        let candidates = self
            .history
            .iter()
            .chain(self.latest_completed.iter())
            .chain(self.latest_savepoint.iter());
        for e in candidates {
            if e.status == CheckpointStatus::Completed && !out.iter().any(|o| o.id == e.id) {
                out.push(e.clone());
            }
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_ids_show_as_dash() {
        let mut e = CheckpointEntry {
            id: -1,
            status: CheckpointStatus::Completed,
            kind: CheckpointKind::Savepoint,
            checkpoint_type: None,
            trigger_timestamp: 0,
            completed_at: None,
            duration_ms: None,
            size_bytes: None,
            state_size_bytes: None,
            external_path: Some("file:/sp".into()),
            failure_message: None,
            num_subtasks: None,
            num_acknowledged: None,
        };
        assert_eq!(e.id_label(), "-");
        e.id = 42;
        assert_eq!(e.id_label(), "42");
    }
}
