//! Log files of a cluster: which process they belong to, which file, and a bounded tail of one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The process whose logs are read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "process", content = "id", rename_all = "snake_case")]
pub enum LogSource {
    JobManager,
    TaskManager(String),
    /// One container of a Kubernetes pod (JobManager or TaskManager pod), read through the API
    /// server (`{"process":"pod","id":{"pod":...,"container":...}}`).
    Pod {
        pod: String,
        container: String,
    },
}

impl fmt::Display for LogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogSource::JobManager => f.write_str("jobmanager"),
            LogSource::TaskManager(id) => write!(f, "taskmanager {id}"),
            LogSource::Pod { pod, container } => write!(f, "pod {pod} [{container}]"),
        }
    }
}

/// Which file of a process: its main log, its stdout, or a named file from its log directory.
/// For a pod's container: `Log` is the running instance, `Previous` the instance before the
/// last restart (what an OOM-killed TaskManager printed before it died), `Archived` the tail
/// flinkdeck kept of a pod that is gone (its capture time is the entry's `mtime`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "file", content = "name", rename_all = "snake_case")]
pub enum LogName {
    Log,
    Stdout,
    File(String),
    Previous,
    Archived,
}

impl fmt::Display for LogName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogName::Log => f.write_str("log"),
            LogName::Stdout => f.write_str("stdout"),
            LogName::File(n) => f.write_str(n),
            LogName::Previous => f.write_str("previous"),
            LogName::Archived => f.write_str("archived"),
        }
    }
}

/// One log file a process offers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LogFileRef {
    pub source: LogSource,
    pub name: LogName,
    /// Size in bytes when listed, if known.
    pub size: Option<u64>,
    /// Modification time (epoch ms) when listed, if known.
    pub mtime: Option<i64>,
}

impl LogFileRef {
    pub fn label(&self) -> String {
        format!("{} / {}", self.source, self.name)
    }
}

/// The tail of a log file, bounded in memory whatever the file's size.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogTail {
    /// The last bytes of the file, cut at a line start, lossily decoded.
    pub text: String,
    /// Bytes the server sent in all.
    pub total_bytes: u64,
    /// Whether the beginning was dropped to stay within the bound.
    pub truncated: bool,
    /// For an archived log (of a pod that is gone): when it was captured (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at_ms: Option<i64>,
}

/// One line of a log file that matched a whole-file search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogMatch {
    /// Line number, 0-based.
    pub line: u64,
    /// Byte offset of the line's start in the file.
    pub offset: u64,
    /// Some text around the (first) match on the line, lossily decoded, at most a few hundred
    /// bytes.
    pub text: String,
}

/// What a whole-file search reports while it streams the file through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSearchEvent {
    /// Bytes read so far.
    Progress {
        scanned: u64,
    },
    /// Matching lines found since the last report, in file order.
    Found(Vec<LogMatch>),
    /// The end of the file: how much was read, how many lines it has, how many lines matched
    /// (also those past the reported cap).
    Done {
        scanned: u64,
        lines: u64,
        matching_lines: u64,
        capped: bool,
    },
    Failed(String),
}

/// A window of a log file around a byte offset (a search match to jump to).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogWindow {
    /// Whole lines, lossily decoded.
    pub text: String,
    /// Byte offset of the window's first line in the file.
    pub start_offset: u64,
    /// Line number (0-based) of the window's first line.
    pub first_line: u64,
    /// Bytes read (the whole file when the window reaches its end).
    pub scanned: u64,
    /// Whether the window reaches the end of the file.
    pub at_end: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_sources_and_previous_logs() {
        let f = LogFileRef {
            source: LogSource::Pod {
                pod: "orders-taskmanager-1-2".into(),
                container: "flink-main-container".into(),
            },
            name: LogName::Previous,
            size: None,
            mtime: None,
        };
        assert_eq!(
            f.label(),
            "pod orders-taskmanager-1-2 [flink-main-container] / previous"
        );
        let json = serde_json::to_string(&f).expect("serializes");
        let back: LogFileRef = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, f);
        // Tails written before `archived_at_ms` existed still parse.
        let t: LogTail =
            serde_json::from_str(r#"{"text":"x","total_bytes":1,"truncated":false}"#).expect("ok");
        assert_eq!(t.archived_at_ms, None);
    }
}
