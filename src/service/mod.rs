//! Long-running and on-demand work shared by the CLI and the TUI: one Flink client per configured
//! cluster, the poll of a cluster's jobs, and the workers that answer the TUI's requests.

pub mod alerts;
mod build_worker;
pub mod drift;
pub mod incidents;
pub mod job_tags;
pub mod loaders;
pub mod memory;
pub mod metrics;
pub mod ops;
pub mod poll;
pub mod sql_worker;
pub mod watch;
pub mod workers;

pub use crate::backend::{ClusterHandle, Clusters};
pub use build_worker::RunningBuilds;
pub use metrics::VitalsMode;
pub use poll::{poll_cluster, ClusterPoll, DetailCache, PollOptions};
pub use workers::{spawn_workers, PollSettings, Workers};

use crate::domain::health_rules::PollFailure;
use crate::flink::FlinkError;

/// The pure view of a client error that the health rules use.
pub fn to_failure(e: &FlinkError) -> PollFailure {
    PollFailure {
        class: e.class.clone(),
        message: e.to_string(),
        detail: if e.detail.is_empty() {
            e.to_string()
        } else {
            format!("{e}\n{}", e.detail)
        },
    }
}
