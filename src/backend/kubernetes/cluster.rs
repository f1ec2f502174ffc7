//! One discovered Flink cluster on Kubernetes as a [`ClusterBackend`]: its pods and operator view
//! from the entry's watch cache, its pod logs (current, previous, archived) through the API
//! server, and how its lifecycle actions are carried out.

use std::collections::BTreeSet;

use crate::backend::JobScope;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;

use super::archive::{Archive, ArchivedLog};
use super::cache::EntryState;
use super::connect::Connected;
use super::operator::{OperatorKind, OperatorResource};
use super::platform::{app_label, jobmanager_problem, operator_status, pod_info, pod_role};
use crate::backend::{ClusterBackend, Lifecycle};
use crate::config::ClusterKind;
use crate::domain::{
    ClusterFlavor, ClusterLocation, LogFileRef, LogName, LogSource, LogTail, PlatformStatus,
};
use crate::flink::{FlinkClient, FlinkError};

/// What discovery found: where a cluster lives and which objects are its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub location: ClusterLocation,
    /// The `app` label of its pods (the session deployment's name for a FlinkSessionJob).
    pub pods_app: String,
    /// The operator resource behind it, if any.
    pub operator: Option<OperatorKind>,
}

impl Found {
    /// `<cluster-id>-rest` of the JobManager that serves its REST API.
    pub(crate) fn rest_service(&self) -> String {
        format!("{}-rest", self.pods_app)
    }
}

/// One Flink cluster of a kubernetes entry.
pub(crate) struct KubeCluster {
    pub found: Found,
    pub state: Arc<EntryState>,
    pub conn: Connected,
    pub archive: Option<Archive>,
    pub timeout: Duration,
}

impl KubeCluster {
    fn ns(&self) -> &str {
        &self.found.location.namespace
    }

    /// Live pods of this cluster: `(name, containers, has previous instance)`.
    fn live_pods(&self) -> Vec<(String, Vec<String>, Vec<String>)> {
        let ns = self.ns().to_string();
        let app = self.found.pods_app.clone();
        self.state.read(|o| {
            o.pods
                .iter()
                .filter(|((pns, _), p)| {
                    *pns == ns && app_label(p.metadata.labels.as_ref()) == Some(app.as_str())
                })
                .map(|((_, name), p)| {
                    let containers: Vec<String> = p
                        .spec
                        .as_ref()
                        .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
                        .unwrap_or_default();
                    let with_previous: Vec<String> = p
                        .status
                        .as_ref()
                        .and_then(|s| s.container_statuses.as_ref())
                        .map(|cs| {
                            cs.iter()
                                .filter(|c| {
                                    c.restart_count > 0
                                        || c.last_state
                                            .as_ref()
                                            .is_some_and(|l| l.terminated.is_some())
                                })
                                .map(|c| c.name.clone())
                                .collect()
                        })
                        .unwrap_or_default();
                    (name.clone(), containers, with_previous)
                })
                .collect()
        })
    }

    fn is_live(&self, pod: &str) -> bool {
        let key = (self.ns().to_string(), pod.to_string());
        self.state.read(|o| o.pods.contains_key(&key))
    }

    /// Reads a live container's log; the current instance's text also refreshes the archive.
    async fn live_tail(
        &self,
        pod: &str,
        container: &str,
        previous: bool,
        max_bytes: usize,
    ) -> Result<LogTail, FlinkError> {
        let budget = match (&self.archive, previous) {
            (Some(a), false) => max_bytes.max(a.per_container as usize),
            _ => max_bytes,
        };
        let c = super::logs::Container {
            ns: self.ns(),
            pod,
            container,
        };
        let tail = super::logs::tail(&self.conn, c, previous, budget, self.timeout).await?;
        if let (Some(a), false) = (&self.archive, previous) {
            let meta = self.archive_meta(pod, container);
            if let Err(e) = a.store(meta, tail.text.clone()).await {
                tracing::warn!(pod, container, error = %e, "cannot archive a pod log");
            }
        }
        if budget == max_bytes {
            return Ok(tail);
        }
        let mut t = crate::flink::tail_of(tail.text.as_bytes(), max_bytes, 1 << 16);
        t.total_bytes = tail.total_bytes;
        t.truncated |= tail.truncated;
        Ok(t)
    }

    fn archive_meta(&self, pod: &str, container: &str) -> ArchivedLog {
        let key = (self.ns().to_string(), pod.to_string());
        let role = self
            .state
            .read(|o| o.pods.get(&key).map(pod_role))
            .unwrap_or(crate::domain::PodRole::Other);
        ArchivedLog {
            namespace: self.ns().to_string(),
            pod: pod.to_string(),
            container: container.to_string(),
            cluster_id: self.found.pods_app.clone(),
            role,
            captured_ms: crate::domain::time::now_ms(),
            bytes: 0,
        }
    }

    async fn archived_tail(
        &self,
        pod: &str,
        container: &str,
        max_bytes: usize,
    ) -> Result<LogTail, FlinkError> {
        let shown = format!("archive {}/{pod}/{container}", self.ns());
        let Some(a) = &self.archive else {
            return Err(FlinkError::local(
                &shown,
                format!("pod {pod} is gone and no log archive is kept (no data dir)"),
            ));
        };
        match a.read(self.ns(), pod, container, max_bytes).await {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(FlinkError::local(
                &shown,
                format!("pod {pod} is gone and its log [{container}] was not archived"),
            )),
            Err(e) => Err(FlinkError::local(
                &shown,
                format!("cannot read the archived log of pod {pod} [{container}]: {e}"),
            )),
        }
    }
}

impl ClusterBackend for KubeCluster {
    fn kind(&self) -> ClusterKind {
        ClusterKind::Kubernetes
    }

    fn location(&self) -> Option<ClusterLocation> {
        Some(self.found.location.clone())
    }

    fn log_files<'a>(
        &'a self,
        _rest: &'a FlinkClient,
    ) -> BoxFuture<'a, Result<Vec<LogFileRef>, FlinkError>> {
        Box::pin(async move {
            let file = |pod: &str, container: &str, name: LogName| LogFileRef {
                source: LogSource::Pod {
                    pod: pod.to_string(),
                    container: container.to_string(),
                },
                name,
                size: None,
                mtime: None,
            };
            let mut out = Vec::new();
            let live = self.live_pods();
            let live_names: BTreeSet<&str> = live.iter().map(|(n, _, _)| n.as_str()).collect();
            for (pod, containers, with_previous) in &live {
                for c in containers {
                    out.push(file(pod, c, LogName::Log));
                    if with_previous.contains(c) {
                        out.push(file(pod, c, LogName::Previous));
                    }
                }
            }
            if let Some(a) = &self.archive {
                for m in a.list(self.ns(), &self.found.pods_app).await {
                    if live_names.contains(m.pod.as_str()) {
                        continue;
                    }
                    let mut f = file(&m.pod, &m.container, LogName::Archived);
                    f.size = Some(m.bytes);
                    f.mtime = Some(m.captured_ms);
                    out.push(f);
                }
            }
            Ok(out)
        })
    }

    fn log_tail<'a>(
        &'a self,
        rest: &'a FlinkClient,
        file: &'a LogFileRef,
        max_bytes: usize,
    ) -> BoxFuture<'a, Result<LogTail, FlinkError>> {
        Box::pin(async move {
            let LogSource::Pod { pod, container } = &file.source else {
                // A Flink process log: Flink's REST API through the proxy serves it.
                return rest.log_tail(file, max_bytes).await;
            };
            match &file.name {
                LogName::Archived => self.archived_tail(pod, container, max_bytes).await,
                LogName::Previous => self.live_tail(pod, container, true, max_bytes).await,
                _ if !self.is_live(pod) => self.archived_tail(pod, container, max_bytes).await,
                _ => self.live_tail(pod, container, false, max_bytes).await,
            }
        })
    }

    fn log_follow(
        &self,
        file: &LogFileRef,
        after: &LogTail,
    ) -> Option<BoxStream<'static, Result<String, FlinkError>>> {
        let LogSource::Pod { pod, container } = &file.source else {
            return None;
        };
        if file.name != LogName::Log || !self.is_live(pod) {
            return None;
        }
        Some(super::logs::follow(
            self.conn.client.clone(),
            self.conn.api_url.clone(),
            self.ns().to_string(),
            pod.clone(),
            container.clone(),
            after,
        ))
    }

    fn platform_status(&self) -> BoxFuture<'_, Option<PlatformStatus>> {
        Box::pin(async move { Some(platform_status(&self.state, &self.found)) })
    }

    fn job_scope(&self) -> JobScope {
        match &self.found.location.flavor {
            ClusterFlavor::SessionJob { .. } => JobScope::Only(
                platform_status(&self.state, &self.found)
                    .operator
                    .and_then(|o| o.job_id),
            ),
            _ => JobScope::All,
        }
    }

    fn lifecycle(&self) -> Lifecycle {
        match self.found.operator {
            Some(kind) => Lifecycle::Operator(Arc::new(OperatorResource::new(
                self.conn.client.clone(),
                self.found.location.namespace.clone(),
                kind,
                self.found.location.cluster_id.clone(),
            ))),
            None => Lifecycle::Rest,
        }
    }
}

/// What the cache says about one cluster now.
pub(crate) fn platform_status(state: &EntryState, found: &Found) -> PlatformStatus {
    let ns = found.location.namespace.as_str();
    state.read(|o| {
        let mut pods: Vec<_> = o
            .pods
            .iter()
            .filter(|((pns, _), p)| {
                pns == ns && app_label(p.metadata.labels.as_ref()) == Some(found.pods_app.as_str())
            })
            .map(|(_, p)| pod_info(p))
            .collect();
        pods.sort_by(|a, b| (a.role as u8, &a.name).cmp(&(b.role as u8, &b.name)));
        let key = |name: &str| (ns.to_string(), name.to_string());
        let operator = match (&found.operator, &found.location.flavor) {
            (Some(OperatorKind::FlinkSessionJob), ClusterFlavor::SessionJob { deployment }) => o
                .session_jobs
                .get(&key(&found.location.cluster_id))
                .map(|sj| {
                    let mut s = operator_status(sj);
                    if s.flink_version.is_none() {
                        s.flink_version = o
                            .flink_deployments
                            .get(&key(deployment))
                            .and_then(|d| operator_status(d).flink_version);
                    }
                    s
                }),
            (Some(_), _) => o
                .flink_deployments
                .get(&key(&found.location.cluster_id))
                .map(operator_status),
            (None, _) => None,
        };
        let jobmanager_problem = jobmanager_problem(&pods, operator.as_ref());
        PlatformStatus {
            pods,
            operator,
            jobmanager_problem,
            yarn: None,
        }
    })
}
