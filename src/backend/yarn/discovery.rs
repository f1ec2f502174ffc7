//! Discovery of one `kind = "yarn"` entry: every Flink application the active ResourceManager
//! lists (ACCEPTED, RUNNING, and ended within `ended_window`) becomes a cluster named
//! `<entry>/<application id>`, reached through `<active rm>/proxy/<application id>/`. An RM that
//! is down or in standby (with no active one among `standby_urls`) makes the whole entry
//! UNREACHABLE with the reason per RM.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::future::BoxFuture;

use super::cluster::YarnCluster;
use super::rm::RmClient;
use super::wire::App;
use crate::backend::{ClusterHandle, Discovery, DiscoveryProblem, DiscoveryRound};
use crate::config::{ClusterConfig, ResolvedAuth};
use crate::domain::time::now_ms;
use crate::domain::{ClusterFlavor, ClusterLocation};
use crate::flink::{Auth, Endpoint, FlinkClient, FlinkError, YarnRoute};

/// How often the console re-lists the applications.
pub const RELIST: Duration = Duration::from_secs(10);

pub struct YarnDiscovery {
    config: Arc<ClusterConfig>,
    rm: Arc<RmClient>,
}

impl YarnDiscovery {
    pub fn new(config: Arc<ClusterConfig>, rm: Arc<RmClient>) -> YarnDiscovery {
        YarnDiscovery { config, rm }
    }

    fn ended_window(&self) -> Duration {
        self.config
            .yarn
            .as_ref()
            .map(|y| y.ended_window)
            .unwrap_or(crate::config::DEFAULT_YARN_ENDED_WINDOW)
    }

    /// The handle of one application, reached through `rm`'s proxy.
    fn handle(&self, rm: &url::Url, app: &App) -> Result<ClusterHandle, FlinkError> {
        let name = format!("{}/{}", self.config.name, app.id);
        let status = app.status();
        let base = rm
            .join(&format!("proxy/{}/", app.id))
            .map_err(|e| FlinkError::local(rm.as_str(), format!("{rm}: bad proxy URL: {e}")))?;
        let auth = match self.config.resolve_auth() {
            Ok(ResolvedAuth::None) | Err(_) => Auth::None,
            Ok(ResolvedAuth::Bearer(t)) => Auth::Bearer(t.expose().to_string()),
            Ok(ResolvedAuth::Basic { username, password }) => Auth::Basic {
                username,
                password: password.expose().to_string(),
            },
        };
        let ca_cert_pem = self
            .config
            .ca_cert
            .as_ref()
            .and_then(|p| std::fs::read(p).ok());
        let route = Arc::new(YarnRoute::new(app.id.clone(), status.am_address.as_deref()));
        let rest = FlinkClient::via_yarn_proxy(
            Endpoint {
                base_url: base,
                timeout: self.config.timeout,
                auth,
                ca_cert_pem,
                insecure_skip_verify: self.config.insecure_skip_verify,
            },
            route,
        )?;
        let location = ClusterLocation {
            entry: self.config.name.clone(),
            namespace: status.queue.clone().unwrap_or_default(),
            cluster_id: app.id.clone(),
            flavor: if app.is_session() {
                ClusterFlavor::YarnSession
            } else {
                ClusterFlavor::YarnApplication
            },
        };
        Ok(ClusterHandle {
            config: self.config.clone(),
            name,
            rest,
            backend: Arc::new(YarnCluster {
                location,
                rm: self.rm.clone(),
                last: RwLock::new(status),
            }),
        })
    }

    async fn round(&self) -> DiscoveryRound {
        let since = now_ms() - self.ended_window().as_millis() as i64;
        let (rm, apps) = match self.rm.flink_apps(since).await {
            Ok(x) => x,
            Err(error) => {
                return DiscoveryRound {
                    clusters: Vec::new(),
                    problems: vec![DiscoveryProblem {
                        name: self.config.name.clone(),
                        error,
                    }],
                }
            }
        };
        let mut round = DiscoveryRound::default();
        for app in &apps {
            match self.handle(&rm, app) {
                Ok(h) => round.clusters.push(h),
                Err(error) => round.problems.push(DiscoveryProblem {
                    name: format!("{}/{}", self.config.name, app.id),
                    error,
                }),
            }
        }
        round
    }
}

impl Discovery for YarnDiscovery {
    fn entry(&self) -> &str {
        &self.config.name
    }

    fn discover(&self) -> BoxFuture<'_, DiscoveryRound> {
        Box::pin(self.round())
    }

    fn follow(
        self: Arc<Self>,
        publish: Box<dyn Fn(DiscoveryRound) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            loop {
                publish(self.round().await);
                tokio::time::sleep(RELIST).await;
            }
        })
    }
}
