//! The kubernetes backend: every Flink cluster a kubeconfig context can see — native clusters
//! (Flink's own Kubernetes integration) and the Flink Kubernetes Operator's resources — reached
//! through the API server's service proxy with the user's credentials.
//!
//! - [`connect`]: the kubeconfig and context (checked at start-up), the shared `kube::Client`;
//! - [`cache`]: the entry's watch cache (pods, JobManager Deployments, FlinkDeployments,
//!   FlinkSessionJobs) filled by one list round or kept current by watchers;
//! - [`discovery`]: clusters from the cache (`<entry>/<namespace>/<cluster-id>`), problems, the
//!   [`Discovery`] itself;
//! - [`cluster`]: one cluster's [`ClusterBackend`](super::ClusterBackend);
//! - [`platform`]: pods and operator status as the console shows them;
//! - [`logs`] and [`archive`]: pod logs, and the tail kept of pods that are gone;
//! - [`operator`]: lifecycle actions on operator resources.

pub mod archive;
pub mod cache;
pub mod cluster;
pub mod connect;
pub mod discovery;
pub mod logs;
pub mod operator;
pub mod platform;

use std::sync::Arc;

use super::{BackendEnv, Discovery};
use crate::config::{ClusterConfig, ConfigError};

/// The discovery of one `kind = "kubernetes"` entry. The kubeconfig is read and the context
/// checked now (errors are config errors naming the file or listing the contexts); the client is
/// built on first use, on the async runtime.
pub fn discovery(
    config: Arc<ClusterConfig>,
    env: &BackendEnv,
) -> Result<Arc<dyn Discovery>, ConfigError> {
    let source = connect::load(&config)?;
    let archive = archive::Archive::new(
        env.data_dir.as_deref(),
        &config.name,
        env.logs.archive_bytes,
        env.logs.archive_total,
        env.logs.archive_max_age,
    );
    Ok(Arc::new(discovery::KubeDiscovery::new(
        config,
        source,
        archive,
        env.logs.clone(),
    )))
}
