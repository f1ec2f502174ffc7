//! The standalone backend: one configured JobManager REST URL (a session cluster, or anything
//! that serves Flink's REST API at a URL). Logs are the files the REST API lists.

use std::sync::Arc;

use super::{ClusterBackend, ClusterHandle};
use crate::config::{ClusterConfig, ClusterKind, ConfigError, ResolvedAuth};

use crate::flink::{Auth, Endpoint, FlinkClient};

/// Flink's own log files, through its REST API.
pub struct RestLogs;

impl ClusterBackend for RestLogs {
    fn kind(&self) -> ClusterKind {
        ClusterKind::Standalone
    }
}

/// The handle of a configured standalone cluster, with its secrets resolved.
pub fn handle(config: Arc<ClusterConfig>) -> Result<ClusterHandle, ConfigError> {
    let endpoint = endpoint_for(&config)?;
    let rest = FlinkClient::new(endpoint).map_err(|e| {
        ConfigError::new(format!("cannot set up the HTTP client: {e}"))
            .with_key(format!("clusters[{:?}]", config.name))
    })?;
    Ok(ClusterHandle {
        name: config.name.clone(),
        config,
        rest,
        backend: Arc::new(RestLogs),
    })
}

/// The endpoint of one standalone cluster, with its secrets resolved.
pub fn endpoint_for(c: &ClusterConfig) -> Result<Endpoint, ConfigError> {
    let Some(url) = &c.url else {
        return Err(ConfigError::new(format!("cluster {:?} has no url", c.name))
            .with_key(format!("clusters[{:?}].url", c.name)));
    };
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
        base_url: url.clone(),
        timeout: c.timeout,
        auth,
        ca_cert_pem,
        insecure_skip_verify: c.insecure_skip_verify,
    })
}
