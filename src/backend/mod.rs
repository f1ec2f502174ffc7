//! Backends: how flinkdeck finds Flink clusters and reaches them. Every configured entry is served
//! by one backend module (`standalone`: one JobManager REST URL; `kubernetes`: every native Flink
//! cluster and Flink Kubernetes Operator resource a kubeconfig context can see; `yarn`: every
//! Flink application of a ResourceManager). The CLI, the
//! workers and the TUI see only [`ClusterHandle`]s from the [`Clusters`] registry and the
//! capability traits below; none of them knows which backend it talks to.
//!
//! Capabilities (in the spirit of k9s' `Lister`/`Loggable`/...):
//! - Flink REST: every handle has a [`FlinkClient`], whatever carries it (direct URL, Kubernetes
//!   API server service proxy, YARN RM proxy);
//! - [`ClusterBackend`]: log sources and tails, what the platform says about the cluster (pods,
//!   why a JobManager is not serving) and how lifecycle actions are carried out;
//! - [`Discovery`]: entries that expand into many clusters, kept up to date in the registry.

pub mod kubernetes;
mod registry;
pub mod standalone;
pub mod yarn;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::config::{ClusterConfig, ClusterKind};
use crate::domain::{
    ClusterRef, JobPatch, KillAnswer, LogFileRef, LogTail, OperatorRef, OperatorView,
    PlatformStatus, SnapshotView,
};
use crate::flink::{FlinkClient, FlinkError};

pub use registry::{Clusters, DiscoveryProblem};

/// One Flink cluster: the entry it comes from, its (full) name, its Flink REST client and its
/// backend. Cheap to clone.
#[derive(Clone)]
pub struct ClusterHandle {
    /// The configured entry (for a kubernetes entry, shared by every cluster it expands into).
    pub config: Arc<ClusterConfig>,
    /// `local`, or `<entry>/<namespace>/<cluster-id>` for discovered clusters.
    pub name: String,
    /// The cluster's Flink REST API, over whichever transport the backend uses.
    pub rest: FlinkClient,
    pub backend: Arc<dyn ClusterBackend>,
}

impl std::fmt::Debug for ClusterHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterHandle")
            .field("name", &self.name)
            .field("kind", &self.backend.kind())
            .field("rest", &self.rest)
            .finish()
    }
}

impl ClusterHandle {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> ClusterKind {
        self.backend.kind()
    }

    /// Whether actions that change jobs are off for this cluster (its entry's flag or `[ui]
    /// readonly`).
    pub fn is_readonly(&self, ui: &crate::config::UiConfig) -> bool {
        self.config.is_readonly(ui)
    }

    pub fn to_ref(&self) -> ClusterRef {
        ClusterRef {
            name: self.name.clone(),
            kind: self.kind().to_string(),
            url: self.rest.base_url().to_string(),
            location: self.backend.location(),
            // The Flink Web UI: the configured `web_url`, else where the REST API is reached
            // (for Kubernetes the API server's service proxy, for YARN the RM proxy, which serve
            // the Web UI too).
            web_url: Some(
                self.config
                    .web_url
                    .as_ref()
                    .map(url::Url::to_string)
                    .unwrap_or_else(|| self.rest.base_url().to_string()),
            ),
        }
    }
}

/// Which listed jobs belong to a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobScope {
    /// Every job its REST API lists.
    All,
    /// Only this job (none while the id is not known yet).
    Only(Option<String>),
}

impl JobScope {
    pub fn includes(&self, job_id: &str) -> bool {
        match self {
            JobScope::All => true,
            JobScope::Only(id) => id.as_deref() == Some(job_id),
        }
    }
}

/// How a cluster's lifecycle actions (stop, savepoint, cancel, start) are carried out.
#[derive(Clone)]
pub enum Lifecycle {
    /// Through the Flink REST API (standalone and native Kubernetes clusters).
    Rest,
    /// Through a resource that a controller reconciles (the Flink Kubernetes Operator's
    /// FlinkDeployment / FlinkSessionJob).
    Operator(Arc<dyn OperatorLifecycle>),
}

/// What a Kubernetes operator resource can do: stop/resume/savepoint by changing the resource and
/// waiting for the controller. Implemented in `kubernetes::operator`. The service layer decides
/// what to change, journals it and waits; this trait only reads and writes the resource. Futures
/// are boxed so that the trait stays object-safe.
pub trait OperatorLifecycle: Send + Sync {
    /// `<kind> <namespace>/<name>` for messages.
    fn resource(&self) -> String;

    /// Kind, namespace and name.
    fn reference(&self) -> OperatorRef;

    /// The resource now (generation, `spec.job`, status).
    fn view(&self) -> BoxFuture<'_, Result<OperatorView, FlinkError>>;

    /// Sends `patch` as a JSON merge patch of the resource; returns the resource as the API
    /// server stored it (its new generation).
    fn patch_job<'a>(
        &'a self,
        patch: &'a JobPatch,
    ) -> BoxFuture<'a, Result<OperatorView, FlinkError>>;

    /// Whether the `FlinkStateSnapshot` CRD is served (operator 1.10+).
    fn snapshots_supported(&self) -> BoxFuture<'_, Result<bool, FlinkError>>;

    /// Creates FlinkStateSnapshot `name` asking for a savepoint of this resource.
    fn create_savepoint_snapshot<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), FlinkError>>;

    /// One FlinkStateSnapshot, if it exists.
    fn snapshot<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<SnapshotView>, FlinkError>>;

    /// The FlinkStateSnapshots that refer to this resource (empty when the CRD is absent).
    fn snapshots(&self) -> BoxFuture<'_, Result<Vec<SnapshotView>, FlinkError>>;
}

/// The capabilities of one cluster that differ between backends. Futures are boxed so that the
/// trait stays object-safe (one `Arc<dyn ClusterBackend>` per cluster).
pub trait ClusterBackend: Send + Sync {
    fn kind(&self) -> ClusterKind;

    /// Where a discovered cluster lives (entry, namespace, cluster id, flavour); `None` for a
    /// configured URL.
    fn location(&self) -> Option<crate::domain::ClusterLocation> {
        None
    }

    /// Every log the cluster's processes offer (files, or pods and containers). By default the
    /// JobManager's and TaskManagers' log files through Flink's REST API.
    fn log_files<'a>(
        &'a self,
        rest: &'a FlinkClient,
    ) -> BoxFuture<'a, Result<Vec<LogFileRef>, FlinkError>> {
        Box::pin(rest.log_files())
    }

    /// The last `max_bytes` of one log; by default through Flink's REST API.
    fn log_tail<'a>(
        &'a self,
        rest: &'a FlinkClient,
        file: &'a LogFileRef,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<LogTail, FlinkError>> {
        Box::pin(rest.log_tail(file, max_bytes))
    }

    /// Follows one log as it grows, after `after` (the tail already shown): a stream of the
    /// appended text. `None` when the backend cannot stream a log; the caller then re-reads
    /// `log_tail` now and then.
    fn log_follow(
        &self,
        _file: &LogFileRef,
        _after: &LogTail,
    ) -> Option<futures_util::stream::BoxStream<'static, Result<String, FlinkError>>> {
        None
    }

    /// What the platform says about the cluster now (pods, the operator's view, why a JobManager
    /// is not serving). `None` when the backend has no platform of its own (standalone).
    fn platform_status(&self) -> BoxFuture<'_, Option<PlatformStatus>> {
        Box::pin(async { None })
    }

    /// Which of the jobs that the cluster's REST API lists belong to it. A FlinkSessionJob shares
    /// its session cluster's REST API with the session's other jobs: only its own job is its.
    fn job_scope(&self) -> JobScope {
        JobScope::All
    }

    /// How lifecycle actions are carried out on this cluster.
    fn lifecycle(&self) -> Lifecycle {
        Lifecycle::Rest
    }

    /// Asks the platform once to kill the whole cluster (a YARN application): `Accepted` while
    /// it is under way, `Done` with the final state. `None` when the backend cannot.
    fn kill(&self) -> Option<BoxFuture<'_, Result<KillAnswer, FlinkError>>> {
        None
    }
}

/// What backends may use beyond their own entry: where data lives (the pod log archive) and the
/// `[logs]` settings.
#[derive(Debug, Clone, Default)]
pub struct BackendEnv {
    /// The data dir (`None`: nothing is written, e.g. no archive).
    pub data_dir: Option<std::path::PathBuf>,
    pub logs: crate::config::LogsConfig,
}

/// An entry that expands into clusters found at run time (e.g. every Flink cluster of a
/// kubeconfig context). The registry asks it once per CLI command and keeps it running for the
/// console.
pub trait Discovery: Send + Sync {
    /// The configured entry's name.
    fn entry(&self) -> &str;

    /// One full round: every cluster found now, and what could not be looked at.
    fn discover(&self) -> BoxFuture<'_, DiscoveryRound>;

    /// Keeps the registry's view of this entry current (watch or re-list) until the registry is
    /// dropped; reports each change through `publish`.
    fn follow(
        self: Arc<Self>,
        publish: Box<dyn Fn(DiscoveryRound) + Send + Sync>,
    ) -> BoxFuture<'static, ()>;
}

/// The outcome of one discovery round of one entry.
#[derive(Default)]
pub struct DiscoveryRound {
    pub clusters: Vec<ClusterHandle>,
    /// Parts that could not be read: the whole entry (API server unreachable, 401) or one
    /// namespace (403). The clusters of the other parts are still there.
    pub problems: Vec<DiscoveryProblem>,
}
