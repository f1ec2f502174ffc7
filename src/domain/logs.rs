//! Log files of a cluster: which process they belong to, which file, and a bounded tail of one.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The process whose logs are read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "process", content = "id", rename_all = "snake_case")]
pub enum LogSource {
    JobManager,
    TaskManager(String),
    /// One container of a Kubernetes pod (read through the API server, not Flink's REST API).
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
            LogSource::Pod { pod, container } => write!(f, "pod {pod}/{container}"),
        }
    }
}

/// Which file of a process: its main log, its stdout, a named file from its log directory, or
/// (for a pod's container) what the previous container instance printed before it ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "file", content = "name", rename_all = "snake_case")]
pub enum LogName {
    Log,
    Stdout,
    File(String),
    /// The log of the previous instance of a pod's container (`kubectl logs --previous`).
    Previous,
}

impl fmt::Display for LogName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogName::Log => f.write_str("log"),
            LogName::Stdout => f.write_str("stdout"),
            LogName::File(n) => f.write_str(n),
            LogName::Previous => f.write_str("previous"),
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
    /// Epoch ms when the text was captured, when it comes from flinkdeck's archive (the pod or
    /// container is gone) rather than from the live process.
    #[serde(default)]
    pub archived_at_ms: Option<i64>,
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
            "pod orders-taskmanager-1-2/flink-main-container / previous"
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
