//! What a platform (Kubernetes, YARN) says about a Flink cluster beyond Flink's own REST API:
//! where the cluster lives, its pods and why one is not serving, the operator's view, and the
//! YARN application's state.

use serde::{Deserialize, Serialize};

/// Where a discovered cluster lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterLocation {
    /// The configured entry it was found through.
    pub entry: String,
    /// The Kubernetes namespace, or the YARN queue.
    pub namespace: String,
    /// The Flink cluster id (`kubernetes.cluster-id`, the operator resource's name, the YARN
    /// application id).
    pub cluster_id: String,
    pub flavor: ClusterFlavor,
}

/// What kind of Kubernetes object a cluster comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterFlavor {
    /// Flink's own Kubernetes integration (`type=flink-native-kubernetes`), no operator.
    Native,
    /// A `FlinkDeployment` with a `spec.job` (application mode).
    OperatorApplication,
    /// A `FlinkDeployment` without `spec.job` (session cluster).
    OperatorSession,
    /// A `FlinkSessionJob` running on the session cluster `deployment`.
    SessionJob { deployment: String },
    /// A YARN application running a Flink session cluster.
    YarnSession,
    /// A YARN application running one Flink application (or a 1.x per-job cluster).
    YarnApplication,
}

impl ClusterFlavor {
    pub fn label(&self) -> &'static str {
        match self {
            ClusterFlavor::Native => "native",
            ClusterFlavor::OperatorApplication => "operator-app",
            ClusterFlavor::OperatorSession => "operator-session",
            ClusterFlavor::SessionJob { .. } => "session-job",
            ClusterFlavor::YarnSession => "yarn-session",
            ClusterFlavor::YarnApplication => "yarn-app",
        }
    }

    /// Whether the cluster is a YARN application.
    pub fn is_yarn(&self) -> bool {
        matches!(
            self,
            ClusterFlavor::YarnSession | ClusterFlavor::YarnApplication
        )
    }
}

/// The role of a pod in a Flink cluster (from its `component` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PodRole {
    JobManager,
    TaskManager,
    Other,
}

/// One pod of a cluster, as the kubelet reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodInfo {
    pub name: String,
    pub role: PodRole,
    /// `Pending`, `Running`, `Succeeded`, `Failed`, `Unknown`.
    pub phase: String,
    pub ready: bool,
    /// Sum of the containers' restart counts.
    pub restarts: u32,
    /// Why it is not running now: a container's waiting/terminated reason (`CrashLoopBackOff`,
    /// `ImagePullBackOff`, `OOMKilled`) or an unschedulable condition (`Pending: Insufficient
    /// memory`).
    pub reason: Option<String>,
    /// How the previous container instance ended (`OOMKilled (exit 137)`), if it restarted.
    pub last_termination: Option<String>,
    pub node: Option<String>,
    pub containers: Vec<String>,
    /// Epoch ms of the pod's creation.
    pub created_ms: Option<i64>,
}

/// The Flink Kubernetes Operator's view of a resource (`status` of a FlinkDeployment or
/// FlinkSessionJob).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OperatorStatus {
    /// `CREATED`, `SUSPENDED`, `UPGRADING`, `DEPLOYED`, `STABLE`, `ROLLING_BACK`, `ROLLED_BACK`,
    /// `FAILED`, `DELETING`, `DELETED`.
    pub lifecycle_state: Option<String>,
    /// `READY`, `DEPLOYED_NOT_READY`, `DEPLOYING`, `MISSING`, `ERROR`.
    pub jm_deployment_status: Option<String>,
    /// `status.jobStatus.state` (a Flink job state).
    pub job_state: Option<String>,
    pub job_id: Option<String>,
    /// `status.error`, on one line.
    pub error: Option<String>,
    /// `spec.job.state` as asked (`running` / `suspended`).
    pub desired_state: Option<String>,
    pub flink_version: Option<String>,
}

/// What the platform says about one cluster now.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlatformStatus {
    pub pods: Vec<PodInfo>,
    pub operator: Option<OperatorStatus>,
    /// One line on why the JobManager is not serving, from the platform itself
    /// (`CrashLoopBackOff: pod orders-5c9 (7 restarts)`), when that is the case.
    pub jobmanager_problem: Option<String>,
    /// The YARN application, for clusters on YARN.
    #[serde(default)]
    pub yarn: Option<YarnAppStatus>,
}

/// A YARN application as the ResourceManager reports it (`/ws/v1/cluster/apps/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct YarnAppStatus {
    pub id: String,
    /// The application name (`Flink session cluster`, `Flink Application Cluster`, or
    /// `yarn.application.name`).
    pub name: String,
    pub queue: Option<String>,
    pub user: Option<String>,
    /// `NEW`, `NEW_SAVING`, `SUBMITTED`, `ACCEPTED`, `RUNNING`, `FINISHED`, `FAILED`, `KILLED`.
    pub state: String,
    /// `UNDEFINED`, `SUCCEEDED`, `FAILED`, `KILLED`.
    pub final_status: Option<String>,
    /// YARN's diagnostics (why it waits, why it failed), on one line.
    pub diagnostics: Option<String>,
    /// The JobManager REST address YARN reports (`amRPCAddress`, `host:port`).
    pub am_address: Option<String>,
    pub tracking_url: Option<String>,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    /// Set when the ResourceManager could not be asked just now (the rest is the last answer).
    pub rm_error: Option<String>,
}

impl YarnAppStatus {
    /// Whether YARN says the application has ended (FINISHED, FAILED or KILLED).
    pub fn ended(&self) -> bool {
        matches!(self.state.as_str(), "FINISHED" | "FAILED" | "KILLED")
    }

    /// Why the JobManager is not serving, from YARN: waiting for resources, or ended (with the
    /// final status and diagnostics). `None` while the application runs.
    pub fn problem(&self) -> Option<String> {
        let diag = self
            .diagnostics
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty());
        let with_diag = |head: String| match diag {
            Some(d) => format!("{head}: {d}"),
            None => head,
        };
        match self.state.as_str() {
            "RUNNING" => None,
            "ACCEPTED" => Some(with_diag(
                "YARN ACCEPTED: waiting for resources".to_string(),
            )),
            "NEW" | "NEW_SAVING" | "SUBMITTED" => {
                Some(with_diag(format!("YARN {}: not started yet", self.state)))
            }
            state => Some(with_diag(format!(
                "YARN {state} (final status {})",
                self.final_status.as_deref().unwrap_or("UNDEFINED")
            ))),
        }
    }
}

/// One answer of the ResourceManager to a kill request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KillAnswer {
    /// 202: the kill is under way; ask again.
    Accepted,
    /// 200: the application is in this state now (KILLED, or it had ended before).
    Done { state: String },
}
