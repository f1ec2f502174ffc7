//! Managed applications and their lifecycle: definitions with versions, runs, restore points,
//! the durable operation journal and the audit trail (pure types; no I/O).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::checkpoint::CheckpointKind;
use super::job::{JobKey, JobState};

/// What an application runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// A Flink SQL script, run by flinkdeck's SQL runner jar.
    Sql,
    /// A user jar with an entry class and arguments.
    Jar,
}

impl AppKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AppKind::Sql => "sql",
            AppKind::Jar => "jar",
        }
    }
}

impl fmt::Display for AppKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The definition of a managed application (one version of it). SQL scripts are stored inline
/// (`sql`), whether they came from `sql = """..."""` or `sql_file`, so a version is complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSpec {
    pub name: String,
    pub cluster: String,
    pub kind: AppKind,
    /// The SQL script (kind `sql`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// Where the SQL came from, if from a file (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_file: Option<String>,
    /// The jar (kind `jar`), an absolute path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jar_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// Flink options, `-D` style.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub allow_non_restored_state: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The team that runs the app (`team = "payments"`), for filters and grouping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `${name}` variables for the SQL script (plain values; secrets live in the config).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vars: BTreeMap<String, String>,
    /// Dependency jars (connectors, formats, UDFs), absolute paths: on the classpath when the
    /// script is validated or run on fake data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jars: Vec<String>,
    /// A Flink Kubernetes Operator target: the app is a FlinkDeployment named `name` in this
    /// namespace, on the kubernetes entry `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubeTarget>,
    /// `[target]`: submitted through the Flink CLI of a Flink home (YARN, native Kubernetes) or
    /// the REST API (standalone), see [`super::deploy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<super::deploy::DeployTarget>,
    /// `[build]`: how the jar is built from git (`flinkdeck build`); a built artifact is bound
    /// by a new version whose `jar_file` is the stored artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<super::build::BuildSpec>,
    /// `upgrade_rebuilds = true`: `flinkdeck upgrade` builds first (as `--rebuild`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub upgrade_rebuilds: bool,
    /// `upgrade_health = "2m"`: `flinkdeck upgrade`'s health window, milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_health_ms: Option<u64>,
    /// `[restart]`: the watcher starts the app again when its job FAILED (see
    /// [`super::restart`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartPolicy>,
}

/// `[restart] on_failure = true, max = 3, within = "30m"` of an app spec: `flinkdeck watch`
/// starts the app again from its latest checkpoint or savepoint when its job FAILED, at most
/// `max` times within `within`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    pub on_failure: bool,
    pub max: u32,
    pub within_ms: u64,
}

/// `[restart] max` when not given.
pub const DEFAULT_RESTART_MAX: u32 = 3;
/// `[restart] within` when not given (30 minutes).
pub const DEFAULT_RESTART_WITHIN_MS: u64 = 30 * 60_000;

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            on_failure: false,
            max: DEFAULT_RESTART_MAX,
            within_ms: DEFAULT_RESTART_WITHIN_MS,
        }
    }
}

/// Where and how a FlinkDeployment runs an app (`[kubernetes]` of an app spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KubeTarget {
    pub namespace: String,
    pub image: String,
    /// The operator's `flinkVersion` enum value, e.g. `v1_20`, `v2_0`.
    pub flink_version: String,
    /// `spec.job.jarURI`, e.g. `local:///opt/flink/usrlib/app.jar`.
    pub jar_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// `spec.job.upgradeMode`: `savepoint` (default), `last-state` or `stateless`.
    pub upgrade_mode: String,
    #[serde(default)]
    pub flink_configuration: BTreeMap<String, String>,
    #[serde(default)]
    pub jobmanager: KubeResources,
    #[serde(default)]
    pub taskmanager: KubeResources,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
}

/// CPU, memory and replicas of the JobManager or the TaskManagers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KubeResources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    /// A Flink memory size, e.g. `2048m`, `2g`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
}

impl AppSpec {
    /// An app of `kind` on `cluster` with nothing else set (no script, jar, options or tags).
    pub fn new(name: impl Into<String>, cluster: impl Into<String>, kind: AppKind) -> AppSpec {
        AppSpec {
            name: name.into(),
            cluster: cluster.into(),
            kind,
            sql: None,
            sql_file: None,
            jar_file: None,
            entry_class: None,
            args: Vec::new(),
            parallelism: None,
            options: BTreeMap::new(),
            allow_non_restored_state: false,
            owner: None,
            team: None,
            tags: Vec::new(),
            vars: BTreeMap::new(),
            jars: Vec::new(),
            kubernetes: None,
            target: None,
            build: None,
            upgrade_rebuilds: false,
            upgrade_health_ms: None,
            restart: None,
        }
    }

    /// The restart policy when the watcher should restart this app on failure.
    pub fn restart_on_failure(&self) -> Option<RestartPolicy> {
        self.restart.filter(|r| r.on_failure)
    }
}

/// One stored version of an application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppVersion {
    pub app: String,
    pub version: u32,
    /// Epoch ms.
    pub created_at: i64,
    pub author: String,
    pub message: Option<String>,
    pub spec: AppSpec,
}

/// A row of `flinkdeck apps`: the app, its current version and its current job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSummary {
    pub name: String,
    pub cluster: String,
    pub kind: AppKind,
    pub version: u32,
    pub owner: Option<String>,
    /// The app's team (`team = "..."` in its spec); serialized as `team` (null when unset).
    #[serde(default)]
    pub team: Option<String>,
    pub tags: Vec<String>,
    /// The job of the latest run, if any.
    pub job_id: Option<String>,
    /// The job's state as last known (from the cluster when it answered, else the store).
    pub state: Option<JobState>,
}

/// Where a start restores from, as the user asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", content = "value", rename_all = "snake_case")]
pub enum RestoreChoice {
    /// The newest completed savepoint or retained checkpoint recorded for the app.
    Latest,
    /// A fresh start without state.
    None,
    /// An explicit savepoint (or checkpoint) path.
    Savepoint(String),
    /// A checkpoint recorded for the app, by id.
    Checkpoint(i64),
}

impl RestoreChoice {
    /// Parses `latest | none | savepoint:PATH | checkpoint:ID`.
    pub fn parse(s: &str) -> Result<RestoreChoice, String> {
        match s {
            "latest" => Ok(RestoreChoice::Latest),
            "none" => Ok(RestoreChoice::None),
            _ => {
                if let Some(p) = s.strip_prefix("savepoint:") {
                    if p.is_empty() {
                        return Err(
                            "savepoint: needs a path, e.g. savepoint:/data/sp/savepoint-1a2b"
                                .into(),
                        );
                    }
                    Ok(RestoreChoice::Savepoint(p.to_string()))
                } else if let Some(id) = s.strip_prefix("checkpoint:") {
                    id.parse::<i64>()
                        .map(RestoreChoice::Checkpoint)
                        .map_err(|_| format!("checkpoint:{id}: the checkpoint id must be a number"))
                } else {
                    Err(format!(
                        "unknown restore choice {s:?}; expected latest, none, savepoint:PATH or checkpoint:ID"
                    ))
                }
            }
        }
    }
}

impl fmt::Display for RestoreChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestoreChoice::Latest => f.write_str("latest"),
            RestoreChoice::None => f.write_str("none"),
            RestoreChoice::Savepoint(p) => write!(f, "savepoint:{p}"),
            RestoreChoice::Checkpoint(id) => write!(f, "checkpoint:{id}"),
        }
    }
}

/// A concrete state to restore from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestorePoint {
    pub path: String,
    pub kind: CheckpointKind,
    /// Checkpoint id, when known.
    pub id: Option<i64>,
    /// Epoch ms, when known.
    pub completed_at: Option<i64>,
    /// The job that wrote it, when known.
    pub job_id: Option<String>,
}

/// One run of an application: a job started by flinkdeck (or adopted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: i64,
    pub app: String,
    pub version: u32,
    pub cluster: String,
    pub job_id: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub final_state: Option<JobState>,
    /// The path the run was asked to restore from.
    pub restored_from: Option<String>,
    /// Whether Flink confirmed it restored from that path (None: not checked yet / fresh).
    pub restore_verified: Option<bool>,
    /// The savepoint the run ended with (stop with savepoint).
    pub final_savepoint: Option<String>,
}

/// Whether `job` belongs to app `app`: it is one of the app's `runs`, or it carries the app's name
/// (a job started outside flinkdeck under the app's name).
pub fn is_job_of_app(job: &super::JobSummary, app: &str, runs: &[Run]) -> bool {
    job.name == app
        || runs
            .iter()
            .any(|r| r.cluster == job.cluster && r.job_id == job.id)
}

/// The kinds of journaled operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Start,
    Stop,
    Savepoint,
    Cancel,
    /// A change of a Flink Kubernetes Operator resource (stop, start, savepoint, cancel); its
    /// params are an `OperatorOpParams`.
    OperatorPatch,
    /// `flinkdeck upgrade`: its params are the upgrade's journal (from/to versions, the step it
    /// is at, the savepoint of the stop, the new job); settled with how it ended.
    Upgrade,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Start => "start",
            OpKind::Stop => "stop",
            OpKind::Savepoint => "savepoint",
            OpKind::Cancel => "cancel",
            OpKind::OperatorPatch => "operator_patch",
            OpKind::Upgrade => "upgrade",
        }
    }
    pub fn parse(s: &str) -> Option<OpKind> {
        Some(match s {
            "start" => OpKind::Start,
            "stop" => OpKind::Stop,
            "savepoint" => OpKind::Savepoint,
            "cancel" => OpKind::Cancel,
            "operator_patch" => OpKind::OperatorPatch,
            "upgrade" => OpKind::Upgrade,
            _ => return None,
        })
    }
}

/// Where an operation is: written before the request, `requested` once Flink answered with a
/// trigger id, settled as succeeded or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpStatus {
    Pending,
    Requested,
    Succeeded,
    Failed,
}

impl OpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OpStatus::Pending => "pending",
            OpStatus::Requested => "requested",
            OpStatus::Succeeded => "succeeded",
            OpStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<OpStatus> {
        Some(match s {
            "pending" => OpStatus::Pending,
            "requested" => OpStatus::Requested,
            "succeeded" => OpStatus::Succeeded,
            "failed" => OpStatus::Failed,
            _ => return None,
        })
    }
    pub fn is_settled(self) -> bool {
        matches!(self, OpStatus::Succeeded | OpStatus::Failed)
    }
}

/// One journaled operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub id: i64,
    pub kind: OpKind,
    pub app: Option<String>,
    pub cluster: String,
    pub job_id: Option<String>,
    pub target_dir: Option<String>,
    /// JSON of the parameters (drain, from, ...).
    pub params: String,
    pub trigger_id: Option<String>,
    pub status: OpStatus,
    /// The savepoint path, new job id, or the failure message.
    pub result: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user: String,
    /// `SSH_CLIENT`/`SSH_CONNECTION` origin (`ip port`), when present.
    pub ssh_origin: Option<String>,
    pub app: Option<String>,
    pub cluster: Option<String>,
    pub action: String,
    /// JSON of the parameters.
    pub params: String,
    pub result: String,
    pub ok: bool,
}

/// What an action is aimed at: a managed app, or any job on a cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionTarget {
    App(String),
    Job(JobKey),
}

impl fmt::Display for ActionTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionTarget::App(a) => write!(f, "app {a}"),
            ActionTarget::Job(k) => write!(f, "job {} on {}", k.id, k.cluster),
        }
    }
}

/// A mutating action, as the CLI and the TUI ask for it (one implementation serves both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ActionRequest {
    Start {
        app: String,
        from: RestoreChoice,
        allow_non_restored: bool,
    },
    Stop {
        target: ActionTarget,
        drain: bool,
        savepoint_dir: Option<String>,
        no_savepoint: bool,
    },
    Savepoint {
        target: ActionTarget,
        dir: Option<String>,
    },
    Cancel {
        target: ActionTarget,
    },
    /// Record a job found on a cluster as the current run of an existing managed app.
    Adopt {
        job: JobKey,
        app: String,
    },
    /// Kill a whole cluster through its platform (a YARN application, e.g. a session cluster):
    /// every job on it ends without a savepoint.
    KillCluster {
        cluster: String,
    },
}

impl ActionRequest {
    pub fn name(&self) -> &'static str {
        match self {
            ActionRequest::Start { .. } => "start",
            ActionRequest::Stop { .. } => "stop",
            ActionRequest::Savepoint { .. } => "savepoint",
            ActionRequest::Cancel { .. } => "cancel",
            ActionRequest::Adopt { .. } => "adopt",
            ActionRequest::KillCluster { .. } => "kill",
        }
    }
}

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ActionOutcome {
    Done {
        /// One line for the user: `stopped job X with savepoint file:/...`.
        message: String,
        job_id: Option<String>,
        savepoint: Option<String>,
    },
    /// Refused before anything was sent (read-only, duplicate guard): exit code 4.
    Refused { reason: String },
    /// Tried and failed: exit code 1.
    Failed { reason: String },
    /// The request does not fit the app's spec or the config (a target cluster that is not
    /// configured, no Flink home for the version, a mode the version cannot do): nothing was
    /// run, exit code 2.
    Invalid { reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_choice_parses() {
        assert_eq!(RestoreChoice::parse("latest"), Ok(RestoreChoice::Latest));
        assert_eq!(RestoreChoice::parse("none"), Ok(RestoreChoice::None));
        assert_eq!(
            RestoreChoice::parse("savepoint:file:/x/sp-1"),
            Ok(RestoreChoice::Savepoint("file:/x/sp-1".into()))
        );
        assert_eq!(
            RestoreChoice::parse("checkpoint:42"),
            Ok(RestoreChoice::Checkpoint(42))
        );
        assert!(RestoreChoice::parse("checkpoint:x").is_err());
        assert!(RestoreChoice::parse("savepoint:").is_err());
        assert!(RestoreChoice::parse("newest")
            .unwrap_err()
            .contains("latest, none"));
        for c in ["latest", "none", "savepoint:/a", "checkpoint:7"] {
            assert_eq!(
                RestoreChoice::parse(c).map(|c| c.to_string()),
                Ok(c.to_string())
            );
        }
    }
}
