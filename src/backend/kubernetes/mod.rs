//! The kubernetes backend: every Flink cluster a kubeconfig context can see — native clusters
//! (Flink's own Kubernetes integration) and the Flink Kubernetes Operator's resources — reached
//! through the API server's service proxy with the user's credentials.

pub mod operator;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{Discovery, DiscoveryProblem, DiscoveryRound};
use crate::config::{ClusterConfig, ConfigError};
use crate::flink::FlinkError;

/// The discovery of one `kind = "kubernetes"` entry.
pub fn discovery(config: Arc<ClusterConfig>) -> Result<Arc<dyn Discovery>, ConfigError> {
    Ok(Arc::new(KubeDiscovery { config }))
}

struct KubeDiscovery {
    config: Arc<ClusterConfig>,
}

impl Discovery for KubeDiscovery {
    fn entry(&self) -> &str {
        &self.config.name
    }

    fn discover(&self) -> BoxFuture<'_, DiscoveryRound> {
        Box::pin(async move {
            DiscoveryRound {
                clusters: Vec::new(),
                problems: vec![DiscoveryProblem {
                    name: self.config.name.clone(),
                    error: FlinkError::local(&self.config.name, "not connected yet"),
                }],
            }
        })
    }

    fn follow(
        self: Arc<Self>,
        publish: Box<dyn Fn(DiscoveryRound) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move { publish(self.discover().await) })
    }
}
