//! Cluster health as the header shows it: LIVE / STALE / DEGRADED / UNREACHABLE, with the reason
//! for a failure classified into one short line.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a cluster answered its last polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthStatus {
    /// Not polled yet.
    Pending,
    /// The last poll answered fully.
    Live,
    /// The last poll failed or is overdue, but the data is recent: shown with its age.
    Stale,
    /// The cluster answered the job list, but some per-job requests failed.
    Degraded,
    /// Polls keep failing: the reason says why.
    Unreachable,
}

impl HealthStatus {
    pub const ALL: [HealthStatus; 5] = [
        HealthStatus::Pending,
        HealthStatus::Live,
        HealthStatus::Stale,
        HealthStatus::Degraded,
        HealthStatus::Unreachable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Pending => "PENDING",
            HealthStatus::Live => "LIVE",
            HealthStatus::Stale => "STALE",
            HealthStatus::Degraded => "DEGRADED",
            HealthStatus::Unreachable => "UNREACHABLE",
        }
    }

    /// Whether the cluster's data can be trusted as current.
    pub fn answered(self) -> bool {
        matches!(self, HealthStatus::Live | HealthStatus::Degraded)
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request to a cluster failed, in the words an on-call engineer scans for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum FailureClass {
    Refused,
    Timeout,
    Dns,
    Tls,
    /// 401 or 403.
    Unauthorized {
        status: u16,
    },
    /// 5xx.
    ServerError {
        status: u16,
    },
    /// Any other non-2xx status.
    Http {
        status: u16,
    },
    /// The body was not the JSON we expected.
    BadJson,
    Other,
}

impl FailureClass {
    /// The server answered with an error status (as opposed to a transport failure, after which
    /// a request may or may not have arrived).
    pub fn is_http(&self) -> bool {
        matches!(
            self,
            FailureClass::Unauthorized { .. }
                | FailureClass::ServerError { .. }
                | FailureClass::Http { .. }
        )
    }

    /// One short line, e.g. `refused`, `timeout`, `HTTP 401`.
    pub fn label(&self) -> String {
        match self {
            FailureClass::Refused => "refused".into(),
            FailureClass::Timeout => "timeout".into(),
            FailureClass::Dns => "DNS".into(),
            FailureClass::Tls => "TLS".into(),
            FailureClass::Unauthorized { status } => format!("HTTP {status} unauthorized"),
            FailureClass::ServerError { status } => format!("HTTP {status} server error"),
            FailureClass::Http { status } => format!("HTTP {status}"),
            FailureClass::BadJson => "bad JSON".into(),
            FailureClass::Other => "error".into(),
        }
    }
}

/// The health of one cluster at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterHealth {
    pub status: HealthStatus,
    /// One line: `refused`, `timeout after 5s`, `HTTP 503 server error: ...`.
    pub reason: Option<String>,
    /// The full error chain, for the error detail view.
    pub detail: Option<String>,
    /// Epoch ms of the last fully answered poll.
    pub last_ok_ms: Option<i64>,
    /// Epoch ms of this observation.
    pub checked_at_ms: i64,
    pub flink_version: Option<String>,
    /// Consecutive failed polls.
    pub failures: u32,
}

impl ClusterHealth {
    pub fn pending(now_ms: i64) -> Self {
        ClusterHealth {
            status: HealthStatus::Pending,
            reason: None,
            detail: None,
            last_ok_ms: None,
            checked_at_ms: now_ms,
            flink_version: None,
            failures: 0,
        }
    }

    /// Milliseconds since the data was last fresh, if it ever was.
    pub fn age_ms(&self, now_ms: i64) -> Option<i64> {
        self.last_ok_ms.map(|t| (now_ms - t).max(0))
    }
}

/// A cluster as configured, for lists and `clusters --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRef {
    pub name: String,
    pub kind: String,
    pub url: String,
    /// Where a discovered cluster lives (kubernetes); `None` for a configured URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<super::platform::ClusterLocation>,
    /// The Flink Web UI (hyperlinks on job ids and cluster names); `None` when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
}
