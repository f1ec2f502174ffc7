//! Discovery of one `kind = "kubernetes"` entry: which Flink clusters the cached objects describe
//! (named `<entry>/<namespace>/<cluster-id>`), what could not be read (the whole entry, or one
//! namespace), and the [`Discovery`] that fills the cache once (CLI) or keeps it current with
//! watchers (console).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::Value;

use super::archive::{Archive, ArchivedLog};
use super::cache::{self, EntryState, Objects, Resource, Scope};
use super::cluster::{Found, KubeCluster};
use super::connect::{self, Connected, KubeSource};
use super::operator::OperatorKind;
use super::platform::{app_label, pod_role};
use crate::backend::{ClusterHandle, Discovery, DiscoveryProblem, DiscoveryRound};
use crate::config::{ClusterConfig, LogsConfig};
use crate::domain::{ClusterFlavor, ClusterLocation, PodRole};
use crate::flink::{FlinkClient, FlinkError};

/// The clusters the objects describe, in name order. Operator resources come first: a
/// FlinkDeployment's own JobManager carries the native labels too and must not show up twice.
pub(crate) fn find_clusters(entry: &str, objects: &Objects) -> Vec<Found> {
    let mut out: BTreeMap<String, Found> = BTreeMap::new();
    let mut add = |f: Found| {
        let name = full_name(entry, &f.location);
        if out.contains_key(&name) {
            tracing::debug!(cluster = %name, "two objects describe the same cluster name; keeping the first");
            return;
        }
        out.insert(name, f);
    };
    let loc = |ns: &str, id: &str, flavor: ClusterFlavor| ClusterLocation {
        entry: entry.to_string(),
        namespace: ns.to_string(),
        cluster_id: id.to_string(),
        flavor,
    };
    let mut operator_apps: BTreeSet<(String, String)> = BTreeSet::new();
    for ((ns, name), d) in &objects.flink_deployments {
        let has_job = d
            .data
            .get("spec")
            .and_then(|s| s.get("job"))
            .is_some_and(|j| !j.is_null());
        let flavor = if has_job {
            ClusterFlavor::OperatorApplication
        } else {
            ClusterFlavor::OperatorSession
        };
        operator_apps.insert((ns.clone(), name.clone()));
        add(Found {
            location: loc(ns, name, flavor),
            pods_app: name.clone(),
            operator: Some(OperatorKind::FlinkDeployment),
        });
    }
    for ((ns, name), j) in &objects.session_jobs {
        let Some(deployment) = j
            .data
            .get("spec")
            .and_then(|s| s.get("deploymentName"))
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
        else {
            continue;
        };
        add(Found {
            location: loc(
                ns,
                name,
                ClusterFlavor::SessionJob {
                    deployment: deployment.to_string(),
                },
            ),
            pods_app: deployment.to_string(),
            operator: Some(OperatorKind::FlinkSessionJob),
        });
    }
    let mut native: BTreeSet<(String, String)> = BTreeSet::new();
    for ((ns, _), d) in &objects.deployments {
        if let Some(app) = app_label(d.metadata.labels.as_ref()) {
            native.insert((ns.clone(), app.to_string()));
        }
    }
    for ((ns, _), p) in &objects.pods {
        if pod_role(p) == PodRole::JobManager {
            if let Some(app) = app_label(p.metadata.labels.as_ref()) {
                native.insert((ns.clone(), app.to_string()));
            }
        }
    }
    for (ns, app) in native {
        if operator_apps.contains(&(ns.clone(), app.clone())) {
            continue;
        }
        add(Found {
            location: loc(&ns, &app, ClusterFlavor::Native),
            pods_app: app,
            operator: None,
        });
    }
    out.into_values().collect()
}

/// `<entry>/<namespace>/<cluster-id>`.
pub(crate) fn full_name(entry: &str, l: &ClusterLocation) -> String {
    format!("{entry}/{}/{}", l.namespace, l.cluster_id)
}

/// Which problem a failure to read `resource` in `scope` is: the entry's (unreachable, 401, bad
/// CA, or any failure over all namespaces) or one namespace's (403).
pub(crate) fn problem_name(entry: &str, scope: &Scope, status: Option<u16>) -> String {
    match (scope, status) {
        (Some(ns), Some(403)) => format!("{entry}/{ns}"),
        _ => entry.to_string(),
    }
}

/// The problems of an entry from its failures: one per name, the entry's own first. When the
/// entry itself fails, namespace problems add nothing and are left out.
pub(crate) fn problems(
    entry: &str,
    failures: Vec<(Scope, Resource, cache::Failure)>,
) -> Vec<DiscoveryProblem> {
    let mut by_name: BTreeMap<String, FlinkError> = BTreeMap::new();
    for (scope, _, f) in failures {
        by_name
            .entry(problem_name(entry, &scope, f.status))
            .or_insert(f.error);
    }
    if let Some(e) = by_name.remove(entry) {
        return vec![DiscoveryProblem {
            name: entry.to_string(),
            error: e,
        }];
    }
    by_name
        .into_iter()
        .map(|(name, error)| DiscoveryProblem { name, error })
        .collect()
}

/// The discovery of one `kind = "kubernetes"` entry.
pub(crate) struct KubeDiscovery {
    pub config: Arc<ClusterConfig>,
    pub source: KubeSource,
    /// `None`: all namespaces.
    pub scopes: Vec<Scope>,
    pub state: Arc<EntryState>,
    pub archive: Option<Archive>,
    pub logs: LogsConfig,
    conn: tokio::sync::Mutex<Option<Connected>>,
    /// Handles of the clusters found so far, re-used while a cluster stays the same (its
    /// connection pool and its poller's state live on).
    handles: Mutex<HashMap<String, (Found, ClusterHandle)>>,
}

impl KubeDiscovery {
    pub(crate) fn new(
        config: Arc<ClusterConfig>,
        source: KubeSource,
        archive: Option<Archive>,
        logs: LogsConfig,
    ) -> Self {
        let kc = config.kubernetes.clone().unwrap_or_default();
        let scopes: Vec<Scope> = if kc.all_namespaces() {
            vec![None]
        } else if kc.namespaces.is_empty() {
            vec![Some(source.default_namespace().to_string())]
        } else {
            kc.namespaces.iter().cloned().map(Some).collect()
        };
        KubeDiscovery {
            state: Arc::new(EntryState::new(config.name.clone())),
            config,
            source,
            scopes,
            archive,
            logs,
            conn: tokio::sync::Mutex::new(None),
            handles: Mutex::new(HashMap::new()),
        }
    }

    fn entry_name(&self) -> &str {
        &self.config.name
    }

    /// The entry's client, connecting on first use (and again after a failed attempt).
    async fn connection(&self) -> Result<Connected, FlinkError> {
        let mut c = self.conn.lock().await;
        if let Some(conn) = c.as_ref() {
            return Ok(conn.clone());
        }
        let conn = connect::connect(&self.source, self.entry_name()).await?;
        *c = Some(conn.clone());
        Ok(conn)
    }

    /// The round the cache describes now, re-using the handles of unchanged clusters.
    fn round(&self, conn: &Connected) -> DiscoveryRound {
        let found = self.state.read(|o| find_clusters(self.entry_name(), o));
        let mut handles = match self.handles.lock() {
            Ok(h) => h,
            Err(p) => p.into_inner(),
        };
        let mut next: HashMap<String, (Found, ClusterHandle)> = HashMap::new();
        let mut clusters = Vec::with_capacity(found.len());
        for f in found {
            let name = full_name(self.entry_name(), &f.location);
            let handle = match handles.remove(&name) {
                Some((old, h)) if old == f => h,
                _ => self.handle(conn, &name, &f),
            };
            clusters.push(handle.clone());
            next.insert(name, (f, handle));
        }
        *handles = next;
        DiscoveryRound {
            clusters,
            problems: problems(self.entry_name(), self.state.current_failures()),
        }
    }

    fn handle(&self, conn: &Connected, name: &str, f: &Found) -> ClusterHandle {
        let base = format!(
            "{}api/v1/namespaces/{}/services/{}:rest/proxy/",
            conn.api_url.as_str(),
            f.location.namespace,
            f.rest_service()
        );
        let base = url::Url::parse(&base).unwrap_or_else(|_| conn.api_url.clone());
        let rest = FlinkClient::via_kube_proxy(
            conn.client.clone(),
            &conn.api_url,
            base,
            self.config.timeout,
        );
        ClusterHandle {
            config: self.config.clone(),
            name: name.to_string(),
            rest,
            backend: Arc::new(KubeCluster {
                found: f.clone(),
                state: self.state.clone(),
                conn: conn.clone(),
                archive: self.archive.clone(),
                timeout: self.config.timeout,
            }),
        }
    }

    /// A round with only the entry's problem (nothing could be looked at).
    fn failed_round(&self, error: FlinkError) -> DiscoveryRound {
        DiscoveryRound {
            clusters: Vec::new(),
            problems: vec![DiscoveryProblem {
                name: self.entry_name().to_string(),
                error,
            }],
        }
    }

    /// Timeout of one list request.
    fn list_timeout(&self) -> Duration {
        self.config.timeout.max(Duration::from_secs(10))
    }
}

impl Discovery for KubeDiscovery {
    fn entry(&self) -> &str {
        self.entry_name()
    }

    fn discover(&self) -> BoxFuture<'_, DiscoveryRound> {
        Box::pin(async move {
            let conn = match self.connection().await {
                Ok(c) => c,
                Err(e) => return self.failed_round(e),
            };
            let timeout = self.list_timeout();
            let mut lists = Vec::new();
            for scope in &self.scopes {
                for r in Resource::ALL {
                    lists.push(cache::list_round(
                        &self.state,
                        &conn.client,
                        &conn.api_url,
                        scope,
                        r,
                        timeout,
                    ));
                }
            }
            futures_util::future::join_all(lists).await;
            self.round(&conn)
        })
    }

    fn follow(
        self: Arc<Self>,
        publish: Box<dyn Fn(DiscoveryRound) + Send + Sync>,
    ) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut backoff = Duration::from_secs(1);
            let conn = loop {
                match self.connection().await {
                    Ok(c) => break c,
                    Err(e) => {
                        tracing::warn!(entry = %self.entry_name(), error = %e, "cannot connect");
                        publish(self.failed_round(e));
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(60));
                    }
                }
            };
            let mut tasks = tokio::task::JoinSet::new();
            for scope in &self.scopes {
                for r in Resource::ALL {
                    tasks.spawn(cache::watch_forever(
                        self.state.clone(),
                        conn.client.clone(),
                        conn.api_url.clone(),
                        scope.clone(),
                        r,
                    ));
                }
            }
            if let Some(archive) = self.archive.clone() {
                tasks.spawn(run_archiver(
                    self.state.clone(),
                    conn.clone(),
                    archive,
                    self.logs.archive_interval,
                    self.config.timeout,
                ));
            }
            loop {
                self.state.changed.notified().await;
                // Let a burst of events (an initial list) settle into one round.
                tokio::time::sleep(Duration::from_millis(200)).await;
                publish(self.round(&conn));
            }
        })
    }
}

/// What the archiver remembers of a container it captured.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Captured {
    at_ms: i64,
    restarts: i32,
    ending: bool,
}

/// How often the archiver looks at the cached pods.
const ARCHIVER_TICK: Duration = Duration::from_secs(10);

/// Keeps the archive of the entry's pods fresh (console only): a container is captured when
/// first seen, when it restarts, when its pod is seen terminating or finished, and otherwise every
/// `interval`, two at a time, so that 50+ clusters cost little.
async fn run_archiver(
    state: Arc<EntryState>,
    conn: Connected,
    archive: Archive,
    interval: Duration,
    timeout: Duration,
) {
    use futures_util::StreamExt;
    let mut seen: HashMap<(String, String, String), Captured> = HashMap::new();
    loop {
        let now = crate::domain::time::now_ms();
        let due: Vec<(String, String, String, ArchivedLog, Captured)> = state.read(|o| {
            let mut due = Vec::new();
            for ((ns, pod), p) in &o.pods {
                let ending = p.metadata.deletion_timestamp.is_some()
                    || matches!(
                        p.status.as_ref().and_then(|s| s.phase.as_deref()),
                        Some("Failed") | Some("Succeeded")
                    );
                for c in p
                    .status
                    .as_ref()
                    .and_then(|s| s.container_statuses.as_ref())
                    .into_iter()
                    .flatten()
                {
                    let started = c
                        .state
                        .as_ref()
                        .is_some_and(|s| s.running.is_some() || s.terminated.is_some())
                        || c.restart_count > 0;
                    if !started {
                        continue;
                    }
                    let key = (ns.clone(), pod.clone(), c.name.clone());
                    let last = seen.get(&key);
                    let is_due = match last {
                        None => true,
                        Some(l) => {
                            l.restarts != c.restart_count
                                || (ending && !l.ending)
                                || (!ending && now - l.at_ms >= interval.as_millis() as i64)
                        }
                    };
                    if is_due {
                        let meta = ArchivedLog {
                            namespace: ns.clone(),
                            pod: pod.clone(),
                            container: c.name.clone(),
                            cluster_id: app_label(p.metadata.labels.as_ref())
                                .unwrap_or_default()
                                .to_string(),
                            role: pod_role(p),
                            captured_ms: now,
                            bytes: 0,
                        };
                        let cap = Captured {
                            at_ms: now,
                            restarts: c.restart_count,
                            ending,
                        };
                        due.push((ns.clone(), pod.clone(), c.name.clone(), meta, cap));
                    }
                }
            }
            due
        });
        // Forget pods that are gone.
        state.read(|o| {
            seen.retain(|(ns, pod, _), _| o.pods.contains_key(&(ns.clone(), pod.clone())))
        });
        let results: Vec<_> = futures_util::stream::iter(due)
            .map(|(ns, pod, container, meta, cap)| {
                let conn = conn.clone();
                let archive = archive.clone();
                async move {
                    let c = super::logs::Container {
                        ns: &ns,
                        pod: &pod,
                        container: &container,
                    };
                    let budget = archive.per_container as usize;
                    let t = super::logs::tail(&conn, c, false, budget, timeout).await;
                    let ok = match t {
                        Ok(t) => archive.store(meta, t.text).await.is_ok(),
                        Err(e) => {
                            tracing::debug!(pod = %pod, container = %container, error = %e, "log capture failed");
                            false
                        }
                    };
                    ((ns, pod, container), cap, ok)
                }
            })
            .buffer_unordered(2)
            .collect()
            .await;
        for (key, cap, ok) in results {
            if ok {
                seen.insert(key, cap);
            }
        }
        tokio::time::sleep(ARCHIVER_TICK).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::DynamicObject;

    fn pod(ns: &str, name: &str, app: &str, component: &str) -> ((String, String), Pod) {
        let p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": ns,
                "labels": {"app": app, "component": component, "type": "flink-native-kubernetes"}}
        }))
        .expect("pod");
        ((ns.into(), name.into()), p)
    }

    fn fdep(ns: &str, name: &str, job: bool) -> ((String, String), DynamicObject) {
        let spec = if job {
            serde_json::json!({"job": {"jarURI": "local:///x.jar"}})
        } else {
            serde_json::json!({})
        };
        let d: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": name, "namespace": ns}, "spec": spec
        }))
        .expect("fdep");
        ((ns.into(), name.into()), d)
    }

    #[test]
    fn finds_native_and_operator_clusters_once() {
        let mut o = Objects::default();
        o.pods.extend([
            pod("streaming", "orders-5c9-x", "orders", "jobmanager"),
            pod(
                "streaming",
                "orders-taskmanager-1-1",
                "orders",
                "taskmanager",
            ),
            // The operator's own JobManager carries the native labels too.
            pod("streaming", "payments-7f-y", "payments", "jobmanager"),
            pod("etl", "orders-6d-z", "orders", "jobmanager"),
        ]);
        let dep: Deployment = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "clicks", "namespace": "etl",
                "labels": {"app": "clicks", "component": "jobmanager", "type": "flink-native-kubernetes"}}
        }))
        .expect("deployment");
        o.deployments.insert(("etl".into(), "clicks".into()), dep);
        o.flink_deployments.extend([
            fdep("streaming", "payments", true),
            fdep("streaming", "session", false),
        ]);
        let sj: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
            "metadata": {"name": "adhoc", "namespace": "streaming"},
            "spec": {"deploymentName": "session", "job": {"jarURI": "x"}}
        }))
        .expect("session job");
        o.session_jobs
            .insert(("streaming".into(), "adhoc".into()), sj);
        let found = find_clusters("k8s", &o);
        let names: Vec<String> = found
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    full_name("k8s", &f.location),
                    f.location.flavor.label()
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                "k8s/etl/clicks native",
                "k8s/etl/orders native",
                "k8s/streaming/adhoc session-job",
                "k8s/streaming/orders native",
                "k8s/streaming/payments operator-app",
                "k8s/streaming/session operator-session",
            ]
        );
        let adhoc = &found[2];
        assert_eq!(adhoc.rest_service(), "session-rest");
        assert_eq!(adhoc.operator, Some(OperatorKind::FlinkSessionJob));
    }

    #[test]
    fn problems_per_entry_and_namespace() {
        let f = |status: Option<u16>, msg: &str| cache::Failure {
            status,
            error: FlinkError::local("u", msg),
        };
        let forbidden = problems(
            "k8s",
            vec![
                (
                    Some("secret".into()),
                    Resource::Pods,
                    f(Some(403), "403 Forbidden"),
                ),
                (
                    Some("secret".into()),
                    Resource::Deployments,
                    f(Some(403), "again"),
                ),
            ],
        );
        assert_eq!(forbidden.len(), 1);
        assert_eq!(forbidden[0].name, "k8s/secret");
        assert_eq!(forbidden[0].error.message, "403 Forbidden");
        let down = problems(
            "k8s",
            vec![
                (Some("a".into()), Resource::Pods, f(Some(403), "403")),
                (
                    Some("b".into()),
                    Resource::Pods,
                    f(Some(401), "401 Unauthorized"),
                ),
            ],
        );
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].name, "k8s");
        assert_eq!(down[0].error.message, "401 Unauthorized");
        assert_eq!(problem_name("k8s", &None, Some(403)), "k8s");
    }
}
