//! The yarn backend: every Flink application of a YARN ResourceManager (application type
//! `Apache Flink`; RUNNING and ACCEPTED ones, plus those that ended within `ended_window` for
//! post-mortems) is a Flink cluster named `<entry>/<application id>`.
//!
//! - [`rm`]: the ResourceManager REST client (`user.name` simple auth, HA failover over `url` and
//!   `standby_urls`, the 307 a standby RM answers, kill);
//! - [`wire`]: the ResourceManager's JSON shapes (`{"apps":null}` is an empty list);
//! - [`discovery`]: the applications as clusters, re-listed for the console;
//! - [`cluster`]: one application's [`ClusterBackend`](super::ClusterBackend): Flink REST through
//!   the RM proxy (writes straight to the JobManager, see [`crate::flink::yarn`]), logs, YARN's
//!   view of the application (state, final status, diagnostics) and kill.

pub mod cluster;
pub mod discovery;
pub mod rm;
pub mod wire;

use std::sync::Arc;

use super::Discovery;
use crate::config::{ClusterConfig, ConfigError};

/// The discovery of one `kind = "yarn"` entry. Credentials are read now (a missing variable or
/// file is a config error naming the key); nothing is requested before the first round.
pub fn discovery(config: Arc<ClusterConfig>) -> Result<Arc<dyn Discovery>, ConfigError> {
    let rm = rm::RmClient::new(&config)?;
    Ok(Arc::new(discovery::YarnDiscovery::new(
        config,
        Arc::new(rm),
    )))
}
