//! One YARN application as a Flink cluster: logs through Flink's REST API (via the RM proxy),
//! YARN's view of the application on every poll, and kill through the ResourceManager.

use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;

use super::rm::RmClient;
use crate::backend::ClusterBackend;
use crate::config::ClusterKind;
use crate::domain::{ClusterLocation, KillAnswer, PlatformStatus, YarnAppStatus};
use crate::flink::FlinkError;

/// The backend of one YARN application.
pub struct YarnCluster {
    pub(super) location: ClusterLocation,
    pub(super) rm: Arc<RmClient>,
    /// The application as last reported by the ResourceManager.
    pub(super) last: RwLock<YarnAppStatus>,
}

impl YarnCluster {
    fn last(&self) -> YarnAppStatus {
        match self.last.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn set_last(&self, s: &YarnAppStatus) {
        match self.last.write() {
            Ok(mut g) => *g = s.clone(),
            Err(p) => *p.into_inner() = s.clone(),
        }
    }
}

/// YARN's view as the console shows it: the application and, unless it runs, why the
/// JobManager does not serve (waiting for resources, or ended with final status and diagnostics).
pub fn platform_of(app: YarnAppStatus) -> PlatformStatus {
    let problem = match (&app.rm_error, app.problem()) {
        (_, Some(p)) => Some(p),
        (Some(e), None) => Some(format!("ResourceManager: {e}")),
        (None, None) => None,
    };
    PlatformStatus {
        pods: Vec::new(),
        operator: None,
        jobmanager_problem: problem,
        yarn: Some(app),
    }
}

impl ClusterBackend for YarnCluster {
    fn kind(&self) -> ClusterKind {
        ClusterKind::Yarn
    }

    fn location(&self) -> Option<ClusterLocation> {
        Some(self.location.clone())
    }

    fn platform_status(&self) -> BoxFuture<'_, Option<PlatformStatus>> {
        Box::pin(async move {
            let app = match self.rm.app(&self.location.cluster_id).await {
                Ok(a) => {
                    let s = a.status();
                    self.set_last(&s);
                    s
                }
                Err(e) => {
                    let mut s = self.last();
                    s.rm_error = Some(e.to_string());
                    s
                }
            };
            Some(platform_of(app))
        })
    }

    fn kill(&self) -> Option<BoxFuture<'_, Result<KillAnswer, FlinkError>>> {
        Some(Box::pin(self.rm.kill(&self.location.cluster_id)))
    }
}
