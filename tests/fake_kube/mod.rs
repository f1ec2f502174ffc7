//! A fake Kubernetes API server for flinkdeck's integration tests (no real API server can be
//! installed on the test machines).
//!
//! It speaks the real wire protocol, so both the `kube` crate and the real `kubectl` talk to it:
//! HTTPS on 127.0.0.1 (random port) with its own CA made at start-up, bearer-token auth, objects
//! with the field names Kubernetes and the Flink Kubernetes Operator use (`serde_json::Value`),
//! errors as `Status` objects with the real `reason`s and message shapes, legacy discovery
//! (`/api`, `/apis`, APIResourceLists; kubectl's aggregated-discovery request falls back to it),
//! list / get / watch (global resourceVersion counter, `410 Expired` for versions older than the
//! kept history), create / update / delete, merge patch, JSON patch and server-side apply, `/status`
//! subresources, server-side `Table` output for `kubectl get`, pod logs (current and previous
//! instance, `tailLines`, `limitBytes`, `sinceSeconds`, `sinceTime`, `timestamps`, `follow`) and the
//! service proxy (`/api/v1/namespaces/NS/services/[scheme:]NAME[:PORT]/proxy/...`) to a real HTTP
//! server such as a real Flink JobManager. Served resources: namespaces, pods, services,
//! configmaps, events (core/v1), deployments (apps/v1) and — only while a test says the CRDs are
//! installed — FlinkDeployment, FlinkSessionJob and FlinkStateSnapshot (flink.apache.org/v1beta1).
//! An opt-in reconciler ([`FakeKube::enable_operator`]) plays the Flink Kubernetes Operator for one
//! FlinkDeployment against a real Flink session cluster; an opt-in emulation
//! ([`FakeKube::emulate_native_applications`], `native_app.rs`) plays Kubernetes plus the Flink
//! image for native application clusters the real Flink client creates, with a real Flink session
//! cluster running their jobs.
//!
//! Include it with `#[path = "fake_kube/mod.rs"] mod fake_kube;` (from `benches/`:
//! `#[path = "../tests/fake_kube/mod.rs"]`). The server runs on its own small tokio runtime, so it
//! keeps serving while a test blocks (e.g. on a `kubectl` child process); dropping the
//! [`FakeKube`] stops it.
//!
//! What it does NOT do:
//! - no authorization model beyond one token (one user) and whole namespaces marked forbidden
//!   (plus, optionally, every cluster-scope request); no client certificates, no impersonation;
//! - no controllers: Deployments do not make pods (except native Flink application clusters, with
//!   [`FakeKube::emulate_native_applications`] on), deleting an owner does not delete its
//!   dependents, finalizers and graceful deletion are ignored (DELETE removes at once), nothing
//!   schedules or restarts pods — tests set pod status and logs themselves;
//! - no admission or validation: objects are not checked against any schema, immutable fields
//!   can be changed, unknown fields are kept, `dryRun` is ignored;
//! - server-side apply merges the applied fields like a merge patch and records the manager in
//!   `managedFields`, but does not compute field ownership: no apply conflicts (409), fields
//!   dropped from an applied configuration are not removed, lists are replaced, not merged by key;
//!   strategic merge patch is treated as a merge patch for built-in types (415 for CRDs, as real);
//! - YAML request bodies are not parsed (send JSON, which is YAML); responses are JSON only (no
//!   protobuf, no CBOR), no HTTP/2, no aggregated discovery (`apidiscovery.k8s.io` requests get the
//!   legacy documents, which is what makes kubectl fall back), no OpenAPI (`/openapi/*` → 404, so
//!   `kubectl apply`/`create -f` need `--validate=false`; `kubectl explain` does not work);
//! - list ignores `limit`/`continue` (everything in one page) and `resourceVersionMatch`;
//! - watches send bookmarks when idle, not on the real schedule; the history kept for watches is
//!   a fixed number of events (see [`Options::watch_history`], [`FakeKube::compact_history`]);
//! - pod logs: `follow` ends when the client disconnects, the pod is deleted or the container's
//!   log is replaced (a new instance), not when the container's status says it terminated;
//!   `sinceSeconds` on a file-bound log uses the Flink log4j timestamp at the start of each line;
//! - no exec, attach, port-forward (no SPDY/websocket upgrades), no pod proxy, no node or
//!   metrics APIs; uninstalling the CRDs hides their objects but does not delete them.

#![allow(dead_code)]

mod api;
mod cluster;
mod logs;
mod native_app;
mod objects;
mod proxy;
mod reconciler;
mod tls;
mod watch;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{json, Value};

pub use native_app::NativeAppTarget;
pub use reconciler::OperatorTarget;

use objects::{by_kind, by_plural, Store};

/// Start-up options of a [`FakeKube`].
#[derive(Debug, Clone)]
pub struct Options {
    /// The bearer token clients must send (default: a random one).
    pub token: Option<String>,
    /// The user name the token stands for, used in Forbidden messages (default `flinkdeck`).
    pub user: String,
    /// Whether the Flink operator's CRDs are installed at start (default false).
    pub crds_installed: bool,
    /// How many events are kept for watches to resume from (default 10 000).
    pub watch_history: usize,
    /// Namespaces created at start (default: default, kube-system, kube-public, kube-node-lease).
    pub namespaces: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token: None,
            user: "flinkdeck".to_string(),
            crds_installed: false,
            watch_history: 10_000,
            namespaces: ["default", "kube-system", "kube-public", "kube-node-lease"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// The log text of one container (see [`logs`]).
type LogKey = (String, String, String);

/// State shared by the server tasks, the reconciler and the test-facing API.
pub(crate) struct Shared {
    pub store: Mutex<Store>,
    /// Bumped (to the store's resourceVersion) on every store change; watches wait on it.
    pub changed: tokio::sync::watch::Sender<u64>,
    /// Bumped on every log change; log followers wait on it.
    pub log_changed: tokio::sync::watch::Sender<u64>,
    pub token: String,
    pub user: String,
    pub crds: AtomicBool,
    pub forbidden: Mutex<BTreeSet<String>>,
    pub cluster_scope_forbidden: AtomicBool,
    /// (namespace, service) → the HTTP base URL the service proxy forwards to.
    pub backends: Mutex<HashMap<(String, String), String>>,
    pub logs: Mutex<HashMap<LogKey, logs::ContainerLogs>>,
    pub requests: Mutex<Vec<(String, String, Option<String>)>>,
    pub http: reqwest::Client,
    pub addr: String,
    /// Targets of the native application emulation (`native_app.rs`), and whether it runs.
    pub native_targets: Arc<Mutex<Vec<NativeAppTarget>>>,
    pub native_started: AtomicBool,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn notify(&self) {
        let rv = lock(&self.store).rv;
        self.changed.send_replace(rv);
    }

    pub fn notify_logs(&self) {
        self.log_changed.send_modify(|v| *v += 1);
    }

    /// Upserts an object given with `apiVersion`/`kind`, filling in server-set metadata.
    pub fn put(&self, obj: Value) -> Value {
        let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        let rt = by_kind(&api_version, &kind)
            .unwrap_or_else(|| panic!("fake_kube: unknown apiVersion/kind {api_version}/{kind}"));
        let mut obj = obj;
        if rt.namespaced && obj["metadata"]["namespace"].as_str().is_none() {
            obj["metadata"]["namespace"] = json!("default");
        }
        let out = {
            let mut store = lock(&self.store);
            if rt.namespaced {
                let ns = obj["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                ensure_namespace(&mut store, &ns);
            }
            store.commit(rt, obj)
        };
        self.notify();
        out
    }

    /// Read-modify-write of one stored object under the store lock; `None` if it does not exist.
    pub fn update(
        &self,
        plural: &str,
        ns: &str,
        name: &str,
        f: impl FnOnce(&mut Value),
    ) -> Option<Value> {
        let rt = by_plural(plural);
        let out = {
            let mut store = lock(&self.store);
            let mut obj = store.get(rt, ns, name)?.clone();
            f(&mut obj);
            store.commit(rt, obj)
        };
        self.notify();
        Some(out)
    }

    pub fn get(&self, plural: &str, ns: &str, name: &str) -> Option<Value> {
        lock(&self.store).get(by_plural(plural), ns, name).cloned()
    }

    pub fn delete(&self, plural: &str, ns: &str, name: &str) -> Option<Value> {
        let out = lock(&self.store).delete(by_plural(plural), ns, name);
        self.notify();
        out
    }

    pub fn crds_installed(&self) -> bool {
        self.crds.load(Ordering::SeqCst)
    }
}

fn namespace_object(ns: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

fn ensure_namespace(store: &mut Store, ns: &str) {
    if !ns.is_empty() && !store.namespace_exists(ns) {
        store.commit(by_plural("namespaces"), namespace_object(ns));
    }
}

/// A running fake API server. Dropping it stops the server (and any reconcilers).
pub struct FakeKube {
    shared: Arc<Shared>,
    url: String,
    ca_pem: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl FakeKube {
    /// Starts a server with default [`Options`].
    pub async fn start() -> FakeKube {
        Self::start_blocking_with(Options::default())
    }

    pub async fn start_with(opts: Options) -> FakeKube {
        Self::start_blocking_with(opts)
    }

    /// For synchronous tests and benches (the server has its own runtime either way).
    pub fn start_blocking() -> FakeKube {
        Self::start_blocking_with(Options::default())
    }

    pub fn start_blocking_with(opts: Options) -> FakeKube {
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let tls = tls::make();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let addr = format!("127.0.0.1:{port}");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-kube")
            .enable_all()
            .build()
            .expect("fake_kube runtime");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("reqwest client");
        let mut store = Store::new(opts.watch_history.max(1));
        for ns in &opts.namespaces {
            ensure_namespace(&mut store, ns);
        }
        let rv = store.rv;
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            changed: tokio::sync::watch::channel(rv).0,
            log_changed: tokio::sync::watch::channel(0).0,
            token: opts
                .token
                .unwrap_or_else(|| format!("fake-{}", objects::hex(32))),
            user: opts.user,
            crds: AtomicBool::new(opts.crds_installed),
            forbidden: Mutex::new(BTreeSet::new()),
            cluster_scope_forbidden: AtomicBool::new(false),
            backends: Mutex::new(HashMap::new()),
            logs: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            http,
            addr: addr.clone(),
            native_targets: Arc::new(Mutex::new(Vec::new())),
            native_started: AtomicBool::new(false),
        });
        runtime.spawn(api::serve(shared.clone(), listener, tls.acceptor));
        FakeKube {
            shared,
            url: format!("https://{addr}"),
            ca_pem: tls.ca_pem,
            runtime: Some(runtime),
        }
    }

    /// `https://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// PEM of the CA that signed the server's certificate.
    pub fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// A kubeconfig (YAML) for this server with the given token: one cluster `fake-kube` with
    /// `certificate-authority-data`, one user, one context per `(context, namespace)`,
    /// current-context = the first.
    pub fn kubeconfig_yaml(&self, contexts: &[(&str, &str)], token: &str) -> String {
        use base64::Engine;
        let q = |s: &str| serde_json::to_string(s).expect("string");
        let ca = base64::engine::general_purpose::STANDARD.encode(self.ca_pem.as_bytes());
        let mut y = String::new();
        y.push_str("apiVersion: v1\nkind: Config\nclusters:\n");
        y.push_str(&format!(
            "- name: fake-kube\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n",
            q(&self.url),
            q(&ca)
        ));
        y.push_str(&format!(
            "users:\n- name: {}\n  user:\n    token: {}\n",
            q(&self.shared.user),
            q(token)
        ));
        y.push_str("contexts:\n");
        for (ctx, ns) in contexts {
            y.push_str(&format!(
                "- name: {}\n  context:\n    cluster: fake-kube\n    user: {}\n    namespace: {}\n",
                q(ctx),
                q(&self.shared.user),
                q(ns)
            ));
        }
        if let Some((first, _)) = contexts.first() {
            y.push_str(&format!("current-context: {}\n", q(first)));
        }
        y.push_str("preferences: {}\n");
        y
    }

    /// Writes `dir/kubeconfig` (see [`FakeKube::kubeconfig_yaml`]) and returns its path.
    pub fn write_kubeconfig(&self, dir: &Path, contexts: &[(&str, &str)]) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(&path, self.kubeconfig_yaml(contexts, self.token()))
            .expect("write kubeconfig");
        path
    }

    /// Installs or removes the Flink operator's CRDs: their paths answer 404 and they vanish from
    /// discovery while removed (objects are kept, hidden).
    pub fn set_crds_installed(&self, yes: bool) {
        self.shared.crds.store(yes, Ordering::SeqCst);
        self.shared.notify();
    }

    /// Every request in `ns` answers 403 Forbidden from now on.
    pub fn forbid_namespace(&self, ns: &str) {
        lock(&self.shared.forbidden).insert(ns.to_string());
    }

    pub fn allow_namespace(&self, ns: &str) {
        lock(&self.shared.forbidden).remove(ns);
    }

    /// Cluster-scope requests (`/api/v1/pods`, listing namespaces, ...) answer 403, as for a user
    /// with only namespaced RBAC roles.
    pub fn forbid_cluster_scope(&self, yes: bool) {
        self.shared
            .cluster_scope_forbidden
            .store(yes, Ordering::SeqCst);
    }

    pub fn add_namespace(&self, ns: &str) {
        self.shared.put(namespace_object(ns));
    }

    /// Registers (or removes, with `None`) the HTTP URL the service proxy forwards
    /// `services/NAME/proxy/...` of `ns` to. A Service without one answers 503
    /// `no endpoints available for service "NAME"`.
    pub fn set_service_backend(&self, ns: &str, service: &str, url: Option<&str>) {
        let key = (ns.to_string(), service.to_string());
        let mut b = lock(&self.shared.backends);
        match url {
            Some(u) => {
                b.insert(key, u.trim_end_matches('/').to_string());
            }
            None => {
                b.remove(&key);
            }
        }
    }

    fn put_cluster(&self, objs: cluster::ClusterObjects, flink_rest_url: &str) {
        let rest = objs.services[0]["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let ns = objs.deployment["metadata"]["namespace"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.shared.put(objs.config_map);
        self.shared.put(objs.deployment);
        for s in objs.services {
            self.shared.put(s);
        }
        for p in objs.pods {
            self.shared.put(p);
        }
        self.set_service_backend(&ns, &rest, Some(flink_rest_url));
    }

    /// A native Flink cluster as Flink's own Kubernetes integration creates it: Deployment `<id>`
    /// (labels app=<id>, type=flink-native-kubernetes, component=jobmanager), one JobManager pod
    /// `<id>-<replicaset hash>-<suffix>`, `taskmanagers` TaskManager pods
    /// `<id>-taskmanager-1-<n>` (component=taskmanager), all with container
    /// `flink-main-container`, Running and Ready; Service `<id>-rest` (port `rest`, 8081)
    /// proxied to `flink_rest_url`, the headless Service `<id>` and ConfigMap
    /// `flink-config-<id>`.
    pub fn add_native_cluster(
        &self,
        ns: &str,
        cluster_id: &str,
        flink_rest_url: &str,
        taskmanagers: usize,
    ) {
        let objs =
            cluster::native_cluster(ns, cluster_id, taskmanagers, "apache/flink:2.3.0", None);
        self.put_cluster(objs, flink_rest_url);
    }

    /// A FlinkDeployment (application mode when `spec` has `job`, session mode otherwise) with
    /// status as the operator writes it once everything is up, plus the cluster objects the
    /// operator's native deployment makes (see [`FakeKube::add_native_cluster`]; TaskManager count
    /// from `taskManager.replicas` or parallelism / slots) owned by it, and Service
    /// `<name>-rest` proxied to `flink_rest_url`. Installs the CRDs if needed. With
    /// `spec.job.state: suspended` only the FlinkDeployment is created (no pods).
    pub fn add_flink_deployment(&self, ns: &str, name: &str, spec: Value, flink_rest_url: &str) {
        self.set_crds_installed(true);
        let fd = self.shared.put(cluster::flink_deployment(ns, name, &spec));
        self.set_service_backend(ns, &format!("{name}-rest"), Some(flink_rest_url));
        if spec["job"]["state"] != "suspended" {
            reconciler::create_cluster_objects(&self.shared, &fd);
        }
    }

    /// A FlinkSessionJob running on session FlinkDeployment `deployment` (status as the operator
    /// writes it). Installs the CRDs if needed.
    pub fn add_session_job(&self, ns: &str, name: &str, deployment: &str, spec: Value) {
        self.set_crds_installed(true);
        self.shared
            .put(cluster::session_job(ns, name, deployment, &spec));
    }

    /// Generic upsert of an object with `apiVersion`, `kind` and `metadata.name` (namespace
    /// defaults to `default`); emits ADDED or MODIFIED. Returns the stored object.
    pub fn put_object(&self, obj: Value) -> Value {
        self.shared.put(obj)
    }

    pub fn get_object(&self, api_version: &str, kind: &str, ns: &str, name: &str) -> Option<Value> {
        let rt = by_kind(api_version, kind)?;
        lock(&self.shared.store).get(rt, ns, name).cloned()
    }

    /// Deletes an object (DELETED event); a no-op when it does not exist.
    pub fn delete_object(&self, api_version: &str, kind: &str, ns: &str, name: &str) {
        if let Some(rt) = by_kind(api_version, kind) {
            let gone = lock(&self.shared.store).delete(rt, ns, name);
            if gone.is_some() {
                self.shared.notify();
                self.shared.notify_logs();
            }
        }
    }

    /// Names of the pods in `ns`, sorted.
    pub fn pods(&self, ns: &str) -> Vec<String> {
        lock(&self.shared.store)
            .list(by_plural("pods"), Some(ns))
            .iter()
            .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
            .collect()
    }

    /// Pods in `ns` whose labels match a selector such as `component=jobmanager,app=x`.
    pub fn pods_matching(&self, ns: &str, selector: &str) -> Vec<String> {
        let filter = objects::Filter::parse(Some(selector), None).expect("label selector");
        lock(&self.shared.store)
            .list(by_plural("pods"), Some(ns))
            .iter()
            .filter(|p| filter.matches(p))
            .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
            .collect()
    }

    /// Changes a pod's status as the kubelet would report it. `status` is merged into the pod's
    /// status; `containerStatuses` entries are matched by `name` (their `state` and `lastState`
    /// replaced whole; `ready`/`started` follow `state.running` unless given), `conditions` by
    /// `type`; Ready/ContainersReady follow the containers. Examples:
    /// `{"containerStatuses":[{"name":"flink-main-container","state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 40s restarting failed container"}},"lastState":{"terminated":{"reason":"Error","exitCode":1}},"restartCount":3}]}`,
    /// `{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/3 nodes are available: 3 Insufficient memory."}]}`.
    pub fn set_pod_status(&self, ns: &str, pod: &str, status: Value) {
        self.shared
            .update("pods", ns, pod, |p| cluster::apply_pod_status(p, &status))
            .unwrap_or_else(|| panic!("fake_kube: no pod {ns}/{pod}"));
    }

    /// Sets the log text of a pod's container: the current instance and optionally the previous
    /// (terminated) one. A previous log also makes the pod status show that instance
    /// (`lastState.terminated`, `restartCount` ≥ 1) unless the status already does, since the
    /// kubelet only serves `previous=true` for a container that has one.
    pub fn set_pod_log(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
        current: &str,
        previous: Option<&str>,
    ) {
        logs::set(
            &self.shared,
            ns,
            pod,
            container,
            logs::Source::text(current),
            previous.map(logs::Source::text),
        );
    }

    /// Binds the current log of a pod's container to a file (e.g. a real Flink JobManager log);
    /// reads and `follow` see what is appended to it.
    pub fn set_pod_log_file(&self, ns: &str, pod: &str, container: &str, path: &Path) {
        logs::set_current(
            &self.shared,
            ns,
            pod,
            container,
            logs::Source::File(path.to_path_buf()),
        );
    }

    /// Appends to the current log of a container (what a `follow` stream then delivers).
    pub fn append_pod_log(&self, ns: &str, pod: &str, container: &str, more: &str) {
        logs::append(&self.shared, ns, pod, container, more);
    }

    /// Every request seen: (method, path with query, content-type).
    pub fn requests(&self) -> Vec<(String, String, Option<String>)> {
        lock(&self.shared.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        lock(&self.shared.store).rv
    }

    /// Forgets the watch history: a watch from any older resourceVersion gets 410 Expired.
    pub fn compact_history(&self) {
        lock(&self.shared.store).compact();
    }

    /// Lets a small Flink Kubernetes Operator manage FlinkDeployment `ns/name` against the real
    /// Flink session cluster at `target.flink_rest_url` (see `reconciler.rs`): it submits,
    /// suspends (stop with savepoint or cancel), resumes, redeploys from savepoints, triggers
    /// savepoints and completes FlinkStateSnapshots as the FlinkDeployment's spec and snapshots
    /// ask, and writes status like the operator.
    pub fn enable_operator(&self, ns: &str, name: &str, target: OperatorTarget) {
        let shared = self.shared.clone();
        let ns = ns.to_string();
        let name = name.to_string();
        self.runtime
            .as_ref()
            .expect("runtime")
            .spawn(reconciler::run(shared, ns, name, target));
    }

    /// Plays Kubernetes and the JobManager image for native application clusters that a client
    /// (the real Flink CLI) creates with `target.image`: reads their ConfigMap, runs the program
    /// on the real Flink at `target.flink_rest_url` from the restore path in it, makes the
    /// JobManager pod Running, routes `<id>-rest` there, and removes the cluster once the job
    /// ends (see `native_app.rs`). Call once per image; targets add up.
    pub fn emulate_native_applications(&self, target: NativeAppTarget) {
        lock(&self.shared.native_targets).push(target);
        if !self.shared.native_started.swap(true, Ordering::SeqCst) {
            let shared = self.shared.clone();
            let targets = shared.native_targets.clone();
            self.runtime
                .as_ref()
                .expect("runtime")
                .spawn(native_app::run(shared, targets));
        }
    }

    /// Makes the `<id>-rest` Service of native cluster `id` a LoadBalancer whose ingress is
    /// `127.0.0.1` and whose `rest` port is the port of `flink_rest_url` (what a cloud load
    /// balancer in front of the JobManager looks like, with the real Flink as that JobManager),
    /// so the real Flink client, which reads `status.loadBalancer.ingress[0].ip` and the `rest`
    /// port of a LoadBalancer Service, reaches the real Flink from the host. The service proxy
    /// keeps forwarding to `flink_rest_url`.
    pub fn expose_rest_as_load_balancer(&self, ns: &str, id: &str, flink_rest_url: &str) {
        let port: u16 = flink_rest_url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("fake_kube: no port in {flink_rest_url}"));
        self.set_service_backend(ns, &format!("{id}-rest"), Some(flink_rest_url));
        self.shared
            .update("services", ns, &format!("{id}-rest"), |s| {
                s["spec"]["type"] = json!("LoadBalancer");
                s["spec"]["ports"] = json!([{
                    "name": "rest", "port": port, "protocol": "TCP",
                    "targetPort": 8081, "nodePort": 30000 + port % 2000
                }]);
                s["spec"]["externalTrafficPolicy"] = json!("Cluster");
                s["status"] =
                    json!({"loadBalancer": {"ingress": [{"ip": "127.0.0.1", "ipMode": "VIP"}]}});
            })
            .unwrap_or_else(|| panic!("fake_kube: no Service {ns}/{id}-rest"));
    }
}
