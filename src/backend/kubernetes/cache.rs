//! The watch cache of one entry: the Flink-related objects of every watched namespace (pods,
//! JobManager Deployments, FlinkDeployments, FlinkSessionJobs), filled either by one list round
//! (CLI commands) or kept current by watchers (the console), plus what could not be read.
//! Everything the backend tells about a cluster (pods, operator status) is served from here, so
//! a refresh costs no API request.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;

use crate::flink::FlinkError;

/// `(namespace, name)`.
pub(crate) type Key = (String, String);

/// A namespace, or `None` for all namespaces (`namespaces = ["*"]`).
pub(crate) type Scope = Option<String>;

/// Labels of every pod of a native Flink cluster (and of the operator's native-mode clusters).
pub(crate) const FLINK_POD_SELECTOR: &str = "type=flink-native-kubernetes";
/// Labels of a native cluster's JobManager Deployment.
pub(crate) const JM_DEPLOYMENT_SELECTOR: &str = "type=flink-native-kubernetes,component=jobmanager";

/// The kinds of object the cache holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Resource {
    Pods,
    Deployments,
    FlinkDeployments,
    FlinkSessionJobs,
}

impl Resource {
    pub(crate) const ALL: [Resource; 4] = [
        Resource::Pods,
        Resource::Deployments,
        Resource::FlinkDeployments,
        Resource::FlinkSessionJobs,
    ];

    /// Whether a 404 means "not installed / not served" rather than a failure (the operator's
    /// CRDs; Deployments on API servers that do not serve apps/v1 to this user).
    fn optional(self) -> bool {
        !matches!(self, Resource::Pods)
    }
}

/// The Flink Kubernetes Operator's FlinkDeployment (`flink.apache.org/v1beta1`).
pub(crate) fn flink_deployment_resource() -> ApiResource {
    ApiResource {
        group: "flink.apache.org".into(),
        version: "v1beta1".into(),
        api_version: "flink.apache.org/v1beta1".into(),
        kind: "FlinkDeployment".into(),
        plural: "flinkdeployments".into(),
    }
}

/// The Flink Kubernetes Operator's FlinkSessionJob (`flink.apache.org/v1beta1`).
pub(crate) fn flink_session_job_resource() -> ApiResource {
    ApiResource {
        group: "flink.apache.org".into(),
        version: "v1beta1".into(),
        api_version: "flink.apache.org/v1beta1".into(),
        kind: "FlinkSessionJob".into(),
        plural: "flinksessionjobs".into(),
    }
}

/// Every cached object, by `(namespace, name)`.
#[derive(Default, Clone)]
pub(crate) struct Objects {
    pub pods: BTreeMap<Key, Pod>,
    pub deployments: BTreeMap<Key, Deployment>,
    pub flink_deployments: BTreeMap<Key, DynamicObject>,
    pub session_jobs: BTreeMap<Key, DynamicObject>,
}

/// Picks one map of [`Objects`].
pub(crate) type Select<K> = fn(&mut Objects) -> &mut BTreeMap<Key, K>;

fn key_of<K: kube::Resource>(o: &K) -> Key {
    let m = o.meta();
    (
        m.namespace.clone().unwrap_or_default(),
        m.name.clone().unwrap_or_default(),
    )
}

/// Why a part of the entry could not be read.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    /// The API server's status code, when it answered.
    pub status: Option<u16>,
    pub error: FlinkError,
}

/// The cache of one entry, shared by its discovery and all its clusters.
pub(crate) struct EntryState {
    pub entry: String,
    objects: RwLock<Objects>,
    failures: Mutex<BTreeMap<(Scope, Resource), Failure>>,
    /// Woken on every change of objects or failures.
    pub changed: Notify,
}

impl EntryState {
    pub(crate) fn new(entry: String) -> Self {
        EntryState {
            entry,
            objects: RwLock::new(Objects::default()),
            failures: Mutex::new(BTreeMap::new()),
            changed: Notify::new(),
        }
    }

    /// Reads the cache.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Objects) -> T) -> T {
        let g = match self.objects.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&g)
    }

    fn write<T>(&self, f: impl FnOnce(&mut Objects) -> T) -> T {
        let mut g = match self.objects.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut g)
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Scope, Resource), Failure>> {
        match self.failures.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Every part that could not be read now.
    pub(crate) fn current_failures(&self) -> Vec<(Scope, Resource, Failure)> {
        self.failures()
            .iter()
            .map(|((s, r), f)| (s.clone(), *r, f.clone()))
            .collect()
    }

    /// Replaces the objects of one kind within `scope` by `items` (a full list).
    fn replace<K: kube::Resource>(&self, select: Select<K>, scope: &Scope, items: Vec<K>) {
        self.write(|o| {
            let map = select(o);
            map.retain(|(ns, _), _| scope.as_ref().is_some_and(|s| s != ns));
            for item in items {
                map.insert(key_of(&item), item);
            }
        });
    }

    fn apply<K: kube::Resource>(&self, select: Select<K>, item: K) {
        self.write(|o| {
            select(o).insert(key_of(&item), item);
        });
    }

    fn delete<K: kube::Resource>(&self, select: Select<K>, item: &K) {
        self.write(|o| {
            select(o).remove(&key_of(item));
        });
    }

    fn set_failure(&self, scope: &Scope, resource: Resource, failure: Option<Failure>) {
        let mut f = self.failures();
        match failure {
            Some(x) => {
                f.insert((scope.clone(), resource), x);
            }
            None => {
                f.remove(&(scope.clone(), resource));
            }
        }
    }
}

/// The API of a built-in namespaced kind within a scope.
fn typed_api<K>(client: &kube::Client, scope: &Scope) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match scope {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The API of a custom resource kind within a scope.
fn dyn_api(client: &kube::Client, scope: &Scope, ar: &ApiResource) -> Api<DynamicObject> {
    match scope {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    }
}

/// `https://api/api/v1/namespaces/ns/pods` for messages.
fn shown_url<K: kube::Resource>(api_url: &url::Url, api: &Api<K>) -> String {
    format!(
        "{}{}",
        api_url.as_str(),
        api.resource_url().trim_start_matches('/')
    )
}

/// Lists one kind in one scope into the cache (one round, for CLI commands).
pub(crate) async fn list_round(
    state: &EntryState,
    client: &kube::Client,
    api_url: &url::Url,
    scope: &Scope,
    resource: Resource,
    timeout: Duration,
) {
    match resource {
        Resource::Pods => {
            let a: Api<Pod> = typed_api(client, scope);
            list_into(
                state,
                a,
                api_url,
                scope,
                resource,
                FLINK_POD_SELECTOR,
                |o| &mut o.pods,
                timeout,
            )
            .await
        }
        Resource::Deployments => {
            let a: Api<Deployment> = typed_api(client, scope);
            list_into(
                state,
                a,
                api_url,
                scope,
                resource,
                JM_DEPLOYMENT_SELECTOR,
                |o| &mut o.deployments,
                timeout,
            )
            .await
        }
        Resource::FlinkDeployments => {
            let a = dyn_api(client, scope, &flink_deployment_resource());
            list_into(
                state,
                a,
                api_url,
                scope,
                resource,
                "",
                |o| &mut o.flink_deployments,
                timeout,
            )
            .await
        }
        Resource::FlinkSessionJobs => {
            let a = dyn_api(client, scope, &flink_session_job_resource());
            list_into(
                state,
                a,
                api_url,
                scope,
                resource,
                "",
                |o| &mut o.session_jobs,
                timeout,
            )
            .await
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn list_into<K>(
    state: &EntryState,
    api: Api<K>,
    api_url: &url::Url,
    scope: &Scope,
    resource: Resource,
    labels: &str,
    select: Select<K>,
    timeout: Duration,
) where
    K: kube::Resource + Clone + DeserializeOwned + Debug,
{
    let shown = shown_url(api_url, &api);
    let mut lp = ListParams::default();
    if !labels.is_empty() {
        lp = lp.labels(labels);
    }
    let res = tokio::time::timeout(timeout, api.list(&lp)).await;
    let failure = match res {
        Err(_) => Some(Failure {
            status: None,
            error: FlinkError::timeout("LIST", &shown, timeout),
        }),
        Ok(Ok(list)) => {
            state.replace(select, scope, list.items);
            None
        }
        Ok(Err(e)) => failure_of("LIST", &shown, &e, timeout, resource, || {
            state.replace::<K>(select, scope, Vec::new())
        }),
    };
    state.set_failure(scope, resource, failure);
}

/// The failure to record for an error, or `None` when a 404 means "not installed" (then
/// `absent` clears the cached objects).
fn failure_of(
    method: &str,
    shown: &str,
    e: &kube::Error,
    timeout: Duration,
    resource: Resource,
    absent: impl FnOnce(),
) -> Option<Failure> {
    let status = FlinkError::kube_status(e);
    if status == Some(404) && resource.optional() {
        absent();
        return None;
    }
    Some(Failure {
        status,
        error: FlinkError::from_kube_request(method, shown, e, timeout),
    })
}

/// How long to wait before looking again for a kind the API server does not serve (CRDs not
/// installed).
const ABSENT_RECHECK: Duration = Duration::from_secs(300);

/// Keeps one kind in one scope current, forever: a kube watcher (list, then watch, re-list on
/// expiry; reconnecting with backoff), whose events update the cache and wake `state.changed`.
pub(crate) async fn watch_forever(
    state: std::sync::Arc<EntryState>,
    client: kube::Client,
    api_url: url::Url,
    scope: Scope,
    resource: Resource,
) {
    match resource {
        Resource::Pods => {
            let a: Api<Pod> = typed_api(&client, &scope);
            watch_into(
                &state,
                a,
                &api_url,
                &scope,
                resource,
                FLINK_POD_SELECTOR,
                |o| &mut o.pods,
            )
            .await
        }
        Resource::Deployments => {
            let a: Api<Deployment> = typed_api(&client, &scope);
            watch_into(
                &state,
                a,
                &api_url,
                &scope,
                resource,
                JM_DEPLOYMENT_SELECTOR,
                |o| &mut o.deployments,
            )
            .await
        }
        Resource::FlinkDeployments => {
            let a = dyn_api(&client, &scope, &flink_deployment_resource());
            watch_into(&state, a, &api_url, &scope, resource, "", |o| {
                &mut o.flink_deployments
            })
            .await
        }
        Resource::FlinkSessionJobs => {
            let a = dyn_api(&client, &scope, &flink_session_job_resource());
            watch_into(&state, a, &api_url, &scope, resource, "", |o| {
                &mut o.session_jobs
            })
            .await
        }
    }
}

async fn watch_into<K>(
    state: &EntryState,
    api: Api<K>,
    api_url: &url::Url,
    scope: &Scope,
    resource: Resource,
    labels: &str,
    select: Select<K>,
) where
    K: kube::Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let shown = shown_url(api_url, &api);
    loop {
        let mut config = watcher::Config::default();
        if !labels.is_empty() {
            config = config.labels(labels);
        }
        let mut stream = watcher::watcher(api.clone(), config)
            .default_backoff()
            .boxed();
        let mut buffer: Vec<K> = Vec::new();
        let mut absent = false;
        while let Some(ev) = stream.next().await {
            match ev {
                Ok(Event::Init) => buffer.clear(),
                Ok(Event::InitApply(o)) => buffer.push(o),
                Ok(Event::InitDone) => {
                    state.replace(select, scope, std::mem::take(&mut buffer));
                    state.set_failure(scope, resource, None);
                }
                Ok(Event::Apply(o)) => {
                    state.apply(select, o);
                    state.set_failure(scope, resource, None);
                }
                Ok(Event::Delete(o)) => state.delete(select, &o),
                Err(e) => {
                    let inner = match &e {
                        watcher::Error::InitialListFailed(k)
                        | watcher::Error::WatchStartFailed(k)
                        | watcher::Error::WatchFailed(k) => Some(k),
                        _ => None,
                    };
                    let failure = match inner {
                        Some(k) => failure_of(
                            "WATCH",
                            &shown,
                            k,
                            Duration::from_secs(30),
                            resource,
                            || {
                                absent = true;
                            },
                        ),
                        None => Some(Failure {
                            status: None,
                            error: FlinkError::local(&shown, format!("WATCH {shown}: {e}")),
                        }),
                    };
                    if absent {
                        state.replace::<K>(select, scope, Vec::new());
                    }
                    tracing::debug!(entry = %state.entry, url = %shown, error = %e, "watch failed");
                    state.set_failure(scope, resource, failure);
                }
            }
            state.changed.notify_one();
            if absent {
                break;
            }
        }
        state.changed.notify_one();
        // The kind is not served (CRDs not installed), or the stream ended: look again later.
        tokio::time::sleep(if absent {
            ABSENT_RECHECK
        } else {
            Duration::from_secs(1)
        })
        .await;
    }
}
