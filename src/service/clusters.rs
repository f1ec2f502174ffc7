//! The configured clusters with a ready Flink client each (secrets resolved, TLS set up).

use std::sync::Arc;

use crate::config::{ClusterConfig, Config, ConfigError, ResolvedAuth};
use crate::domain::ClusterRef;
use crate::flink::{Auth, Endpoint, FlinkClient};

/// One cluster: its configuration and the client that talks to it.
#[derive(Clone)]
pub struct ClusterHandle {
    pub config: Arc<ClusterConfig>,
    pub client: FlinkClient,
}

impl ClusterHandle {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn to_ref(&self) -> ClusterRef {
        ClusterRef {
            name: self.config.name.clone(),
            kind: self.config.kind.to_string(),
            url: self.config.url.to_string(),
        }
    }
}

/// All configured clusters, in configuration order.
#[derive(Clone, Default)]
pub struct Clusters {
    handles: Vec<ClusterHandle>,
}

impl Clusters {
    /// Builds a client for every cluster of the config. Secrets (tokens, passwords) and CA files
    /// are read here; a missing one is a config error naming the cluster and the key.
    pub fn from_config(config: &Config) -> Result<Clusters, ConfigError> {
        let mut handles = Vec::with_capacity(config.clusters.len());
        for c in &config.clusters {
            let endpoint = endpoint_for(c)?;
            let client = FlinkClient::new(endpoint).map_err(|e| {
                ConfigError::new(format!("cannot set up the HTTP client: {e}"))
                    .with_key(format!("clusters[{:?}]", c.name))
            })?;
            handles.push(ClusterHandle {
                config: Arc::new(c.clone()),
                client,
            });
        }
        Ok(Clusters { handles })
    }

    pub fn all(&self) -> &[ClusterHandle] {
        &self.handles
    }

    pub fn get(&self, name: &str) -> Option<&ClusterHandle> {
        self.handles.iter().find(|h| h.config.name == name)
    }

    pub fn refs(&self) -> Vec<ClusterRef> {
        self.handles.iter().map(ClusterHandle::to_ref).collect()
    }

    pub fn names(&self) -> Vec<String> {
        self.handles.iter().map(|h| h.config.name.clone()).collect()
    }
}

/// The endpoint of one cluster, with its secrets resolved.
pub fn endpoint_for(c: &ClusterConfig) -> Result<Endpoint, ConfigError> {
    let auth = match c.resolve_auth()? {
        ResolvedAuth::None => Auth::None,
        ResolvedAuth::Bearer(token) => Auth::Bearer(token.expose().to_string()),
        ResolvedAuth::Basic { username, password } => Auth::Basic {
            username,
            password: password.expose().to_string(),
        },
    };
    let ca_cert_pem = match &c.ca_cert {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            ConfigError::new(format!(
                "cannot read CA certificate {}: {e}",
                path.display()
            ))
            .with_key(format!("clusters[{:?}].ca_cert", c.name))
        })?),
        None => None,
    };
    Ok(Endpoint {
        base_url: c.url.clone(),
        timeout: c.timeout,
        auth,
        ca_cert_pem,
        insecure_skip_verify: c.insecure_skip_verify,
    })
}
