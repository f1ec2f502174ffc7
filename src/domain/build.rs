//! Builds of an app's artifact: the `[build]` recipe of an app spec and the record of one build
//! (pure types; no I/O).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `[build]` of a jar app: how its artifact is built from a git repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSpec {
    /// Anything `git clone` takes: ssh, https, a file path.
    pub repo: String,
    /// Branch, tag or commit built by default.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// Where the command runs, relative to the checkout (empty: the checkout itself).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub dir: String,
    /// The command as argv (never a shell string).
    pub command: Vec<String>,
    /// Glob relative to `dir`; exactly one file must match.
    pub artifact: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// The build is killed after this long.
    pub timeout_ms: u64,
}

/// Default `[build] timeout`.
pub const DEFAULT_BUILD_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// Where a build stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl BuildStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildStatus::Running => "running",
            BuildStatus::Succeeded => "succeeded",
            BuildStatus::Failed => "failed",
            BuildStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<BuildStatus> {
        match s {
            "running" => Some(BuildStatus::Running),
            "succeeded" => Some(BuildStatus::Succeeded),
            "failed" => Some(BuildStatus::Failed),
            "cancelled" => Some(BuildStatus::Cancelled),
            _ => None,
        }
    }
}

/// One build of an app, as `flinkdeck builds NAME --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildRecord {
    pub id: i64,
    pub app: String,
    pub status: BuildStatus,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub commit: Option<String>,
    pub subject: Option<String>,
    /// The stored artifact (a copy named by its sha256).
    pub artifact: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub duration_ms: Option<i64>,
    pub log: String,
    /// Epoch ms.
    pub started_at: i64,
    pub user: String,
    /// Why it failed or was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The app version the artifact was bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// The process that runs (or ran) the build: a `flinkdeck build` or a console. A cancel
    /// from another process signals it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

/// An app with a `[build]` (or with builds recorded), and its newest builds, for the console's
/// Builds view.
#[derive(Debug, Clone, PartialEq)]
pub struct AppBuilds {
    pub app: String,
    /// `[build] ref` (empty when the app has no `[build]` any more).
    pub git_ref: String,
    /// `[build] repo`.
    pub repo: String,
    /// Newest first.
    pub builds: Vec<BuildRecord>,
}

/// What the follower of a build log reports.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildLogEvent {
    /// New complete lines at the end of the log (the first event holds the file's tail).
    Lines(Vec<String>),
    /// The log cannot be read (the follower keeps trying).
    Failed(String),
}
