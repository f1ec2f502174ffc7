//! What a platform (Kubernetes today) says about a Flink cluster beyond Flink's own REST API:
//! where the cluster lives, its pods and why one is not serving, and the operator's view.

use serde::{Deserialize, Serialize};

/// Where a discovered cluster lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClusterLocation {
    /// The configured entry it was found through.
    pub entry: String,
    pub namespace: String,
    /// The Flink cluster id (`kubernetes.cluster-id`, the operator resource's name).
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
}

impl ClusterFlavor {
    pub fn label(&self) -> &'static str {
        match self {
            ClusterFlavor::Native => "native",
            ClusterFlavor::OperatorApplication => "operator-app",
            ClusterFlavor::OperatorSession => "operator-session",
            ClusterFlavor::SessionJob { .. } => "session-job",
        }
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
}
