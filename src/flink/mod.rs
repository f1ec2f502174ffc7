//! The typed Flink REST client (JobManager REST API, Flink 1.17–2.3).
//!
//! Wire types (`wire.rs`) are lenient: every field optional or defaulted, unknown fields ignored,
//! numbers accepted as strings. They are mapped to `crate::domain` types in one place (`map.rs`).
//! Every failure is a [`FlinkError`] classified into a [`FailureClass`](crate::domain::FailureClass)
//! (refused, timeout, DNS, TLS, 401/403, 5xx, other HTTP, bad JSON).

mod actions;
mod client;
mod error;
#[doc(hidden)]
pub mod fuzz;
mod jsonpath;
mod map;
mod tail;
pub mod vitals;
mod wire;
pub mod yarn;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

pub use actions::{new_trigger_id, TriggerStatus};
pub use client::{FlinkClient, LogBody};
pub(crate) use error::one_line;
pub use error::FlinkError;
pub use tail::{search_in, tail_of, LogSearcher, TailBuffer, WindowBuffer};
pub use yarn::YarnRoute;

/// Where a Flink REST API is and how to talk to it.
#[derive(Clone)]
pub struct Endpoint {
    /// e.g. `http://127.0.0.1:8081/` or a proxy prefix such as
    /// `https://apiserver/api/v1/namespaces/ns/services/app-rest:rest/proxy/`.
    pub base_url: url::Url,
    /// Applies to every request (connect + answer).
    pub timeout: Duration,
    pub auth: Auth,
    /// Extra trusted CA certificate(s), PEM.
    pub ca_cert_pem: Option<Vec<u8>>,
    pub insecure_skip_verify: bool,
}

impl Endpoint {
    /// An endpoint with a 5 s timeout, no auth and the platform's trust roots.
    pub fn new(base_url: url::Url) -> Self {
        Endpoint {
            base_url,
            timeout: Duration::from_secs(5),
            auth: Auth::None,
            ca_cert_pem: None,
            insecure_skip_verify: false,
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.base_url.clone();
        if !url.username().is_empty() || url.password().is_some() {
            let _ = url.set_username("***");
            let _ = url.set_password(None);
        }
        f.debug_struct("Endpoint")
            .field("base_url", &url.as_str())
            .field("timeout", &self.timeout)
            .field("auth", &self.auth)
            .field("ca_cert_pem", &self.ca_cert_pem.as_ref().map(|c| c.len()))
            .field("insecure_skip_verify", &self.insecure_skip_verify)
            .finish()
    }
}

/// Credentials sent with every request. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Bearer(String),
    Basic { username: String, password: String },
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
            Auth::Basic { username, .. } => write!(f, "Basic({username}:***)"),
        }
    }
}

/// What `/overview` (and `/config`) say about a cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClusterInfo {
    pub flink_version: Option<String>,
    pub flink_revision: Option<String>,
    pub taskmanagers: u32,
    pub slots_total: u32,
    pub slots_available: u32,
    pub jobs_running: u32,
}

/// One TaskManager from `/taskmanagers`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TaskManagerInfo {
    pub id: String,
    pub path: Option<String>,
    pub slots: u32,
    pub free_slots: u32,
    /// As Flink reports it (despite the name, the epoch ms of the last heartbeat).
    pub time_since_last_heartbeat: Option<i64>,
}

/// The options of `POST /jars/:jarid/run`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunJarRequest {
    pub entry_class: Option<String>,
    pub program_args: Vec<String>,
    pub parallelism: Option<u32>,
    pub savepoint_path: Option<String>,
    pub allow_non_restored_state: bool,
    pub flink_configuration: BTreeMap<String, String>,
}

impl RunJarRequest {
    /// The JSON body `POST /jars/:jarid/run` sends for this request (for previews).
    pub fn body_json(&self) -> serde_json::Value {
        let body = wire::JarRunBody {
            entry_class: self.entry_class.as_deref().filter(|s| !s.is_empty()),
            program_args_list: &self.program_args,
            parallelism: self.parallelism.filter(|p| *p > 0),
            savepoint_path: self.savepoint_path.as_deref().filter(|s| !s.is_empty()),
            allow_non_restored_state: self.allow_non_restored_state,
            flink_configuration: &self.flink_configuration,
        };
        serde_json::to_value(&body).unwrap_or_default()
    }
}
