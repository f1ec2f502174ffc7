//! `FlinkClient`: per endpoint, one reqwest client (keep-alive pool) for everything and one for
//! the job list, typed calls on top.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;

use crate::domain::{
    CheckpointRef, CheckpointStats, FailureClass, JobDetail, JobExceptions, JobSummary, LogFileRef,
    LogName, LogSource, LogTail,
};

use super::error::FlinkError;
use super::tail::TailBuffer;
use super::yarn::{proxied, rest_address_from_config, YarnRoute};
use super::{map, wire, Auth, ClusterInfo, Endpoint, RunJarRequest, TaskManagerInfo};

/// How many per-vertex metric requests (or per-TaskManager log listings) run at once.
const FAN_OUT: usize = 8;

/// A typed client for one Flink REST endpoint. Cheap to clone (shares the connection pool).
#[derive(Clone)]
pub struct FlinkClient {
    http: reqwest::Client,
    /// `/jobs/overview` only, keeping one idle connection. HTTP/1 read buffers grow to the
    /// largest answer a connection has read (hundreds of KiB for 1,000 jobs) and stay with the
    /// idle connection; in the shared pool, whichever of its ~17 connections the job list
    /// happened to use kept such a buffer, so the console's memory grew with every round.
    list_http: reqwest::Client,
    inner: Arc<Inner>,
}

struct Inner {
    base_url: url::Url,
    timeout: Duration,
    auth: Auth,
    transport: Transport,
}

/// How requests travel: straight to the URL, or through the Kubernetes API server's service proxy
/// with the kube client's credentials (token, client certificate or exec plugin, refreshed by it).
enum Transport {
    Direct,
    KubeProxy {
        kube: kube::Client,
        /// Length of the API server URL's own path (without its trailing `/`), which the kube
        /// client adds itself.
        api_path_len: usize,
    },
    /// Through a YARN ResourceManager's web proxy (`base_url` is `<rm>/proxy/<appId>/`) for GET
    /// and PUT; every other method straight to the JobManager REST address (see
    /// [`super::yarn`]). Redirects are not followed: the proxy redirects once an application
    /// has ended, which is reported as such.
    Yarn {
        route: Arc<YarnRoute>,
    },
}

impl fmt::Debug for FlinkClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlinkClient")
            .field("base_url", &redact(&self.inner.base_url))
            .field("timeout", &self.inner.timeout)
            .field("auth", &self.inner.auth)
            .finish()
    }
}

/// The URL without credentials, for messages and logs.
fn redact(url: &url::Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

impl FlinkClient {
    pub fn new(ep: Endpoint) -> Result<Self, FlinkError> {
        let http = build_http(&ep, true, None)?;
        let list_http = build_http(&ep, true, Some(1))?;
        Ok(FlinkClient {
            http,
            list_http,
            inner: Arc::new(Inner {
                base_url: ep.base_url,
                timeout: ep.timeout,
                auth: ep.auth,
                transport: Transport::Direct,
            }),
        })
    }

    /// A client for the Flink REST API of a YARN application: `ep.base_url` is
    /// `<rm>/proxy/<application id>/` and `ep`'s auth goes to the ResourceManager only; writes go
    /// to the JobManager REST address in `route`, without the ResourceManager's credentials.
    pub fn via_yarn_proxy(ep: Endpoint, route: Arc<YarnRoute>) -> Result<Self, FlinkError> {
        let http = build_http(&ep, false, None)?;
        let list_http = build_http(&ep, false, Some(1))?;
        Ok(FlinkClient {
            http,
            list_http,
            inner: Arc::new(Inner {
                base_url: ep.base_url,
                timeout: ep.timeout,
                auth: ep.auth,
                transport: Transport::Yarn { route },
            }),
        })
    }

    /// The YARN route of this client, when it goes through a ResourceManager's proxy.
    pub fn yarn_route(&self) -> Option<&Arc<YarnRoute>> {
        match &self.inner.transport {
            Transport::Yarn { route } => Some(route),
            _ => None,
        }
    }
}

/// The reqwest client of one endpoint (keep-alive pool, CA, timeouts); `redirects: false` for the
/// YARN proxy, whose redirects mean "this application has ended"; at most `max_idle` idle
/// connections (`None`: no limit).
fn build_http(
    ep: &Endpoint,
    redirects: bool,
    max_idle: Option<usize>,
) -> Result<reqwest::Client, FlinkError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let shown = redact(&ep.base_url);
    if !matches!(ep.base_url.scheme(), "http" | "https") || ep.base_url.cannot_be_a_base() {
        return Err(FlinkError::local(
            &shown,
            format!("{shown}: a Flink REST URL must start with http:// or https://"),
        ));
    }
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut builder = reqwest::Client::builder()
        .default_headers(headers)
        .user_agent(concat!("flinkdeck/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(ep.timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_keepalive(Duration::from_secs(30));
    if !redirects {
        builder = builder.redirect(reqwest::redirect::Policy::none());
    }
    if let Some(n) = max_idle {
        builder = builder.pool_max_idle_per_host(n);
    }
    if let Some(pem) = &ep.ca_cert_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            FlinkError::local(
                &shown,
                format!("{shown}: cannot read the CA certificate: {e}"),
            )
        })?;
        if certs.is_empty() {
            return Err(FlinkError::local(
                &shown,
                format!("{shown}: the CA certificate file holds no PEM certificate"),
            ));
        }
        for c in certs {
            builder = builder.add_root_certificate(c);
        }
    }
    if ep.insecure_skip_verify {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder.build().map_err(|e| {
        FlinkError::local(
            &shown,
            format!("{shown}: cannot set up the HTTP client: {e}"),
        )
    })
}

impl FlinkClient {
    /// A client for the Flink REST API behind a Kubernetes Service, reached through the API
    /// server's service proxy: `base_url` is the API server URL plus
    /// `api/v1/namespaces/<ns>/services/<service>:<port>/proxy/`. Requests carry the kube
    /// client's credentials; nothing needs to be exposed.
    pub fn via_kube_proxy(
        kube: kube::Client,
        api_server: &url::Url,
        base_url: url::Url,
        timeout: Duration,
    ) -> Self {
        static BUILDER: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = BUILDER.get_or_init(reqwest::Client::new).clone();
        FlinkClient {
            list_http: http.clone(),
            http,
            inner: Arc::new(Inner {
                base_url,
                timeout,
                auth: Auth::None,
                transport: Transport::KubeProxy {
                    kube,
                    api_path_len: api_server.path().trim_end_matches('/').len(),
                },
            }),
        }
    }

    pub fn base_url(&self) -> &url::Url {
        &self.inner.base_url
    }

    // -----------------------------------------------------------------------------------------
    // Plumbing

    /// `base_url` + path segments (each percent-encoded) + query pairs.
    pub(super) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> url::Url {
        let mut u = self.inner.base_url.clone();
        if let Ok(mut segs) = u.path_segments_mut() {
            segs.pop_if_empty();
            segs.extend(segments);
        }
        u.set_fragment(None);
        if !query.is_empty() {
            u.query_pairs_mut().extend_pairs(query);
        }
        u
    }

    fn request(&self, http: &reqwest::Client, method: Method, url: &url::Url) -> RequestBuilder {
        let rb = http.request(method, url.clone());
        match &self.inner.auth {
            Auth::None => rb,
            Auth::Bearer(token) => rb.bearer_auth(token),
            Auth::Basic { username, password } => rb.basic_auth(username, Some(password)),
        }
    }

    /// Sends a built request over this client's transport; transport failures become
    /// `FlinkError`s (the status is not looked at).
    async fn dispatch(
        &self,
        rb: RequestBuilder,
        method: &str,
        shown: &str,
        timeout: Duration,
    ) -> Result<Response, FlinkError> {
        let (kube, api_path_len) = match &self.inner.transport {
            Transport::Direct => {
                return rb
                    .send()
                    .await
                    .map_err(|e| FlinkError::from_reqwest(method, shown, e, timeout))
            }
            Transport::Yarn { route } => {
                return self.dispatch_yarn(route, rb, method, shown, timeout).await
            }
            Transport::KubeProxy { kube, api_path_len } => (kube, api_path_len),
        };
        let req = rb
            .build()
            .map_err(|e| FlinkError::from_reqwest(method, shown, e, timeout))?;
        let path = req.url().path().get(*api_path_len..).unwrap_or("/");
        let uri = match req.url().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        let body = match req.body() {
            None => Vec::new(),
            Some(b) => b.as_bytes().map(<[u8]>::to_vec).ok_or_else(|| {
                FlinkError::local(
                    shown,
                    format!("{method} {shown}: a streamed upload cannot go through the Kubernetes API server"),
                )
            })?,
        };
        let mut builder = http::Request::builder()
            .method(req.method().clone())
            .uri(uri);
        for (name, value) in req.headers() {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(kube::client::Body::from(body))
            .map_err(|e| FlinkError::local(shown, format!("{method} {shown}: {e}")))?;
        let resp = match tokio::time::timeout(timeout, kube.send(request)).await {
            Err(_) => return Err(FlinkError::timeout(method, shown, timeout)),
            Ok(Err(e)) => return Err(FlinkError::from_kube(method, shown, &e, timeout)),
            Ok(Ok(r)) => r,
        };
        let (parts, body) = resp.into_parts();
        let stream = http_body_util::BodyDataStream::new(body);
        Ok(Response::from(http::Response::from_parts(
            parts,
            reqwest::Body::wrap_stream(stream),
        )))
    }

    /// The YARN transport: GET and PUT through the ResourceManager's proxy (a redirect there
    /// means the application has ended), everything else to the JobManager REST address.
    async fn dispatch_yarn(
        &self,
        route: &YarnRoute,
        rb: RequestBuilder,
        method: &str,
        shown: &str,
        timeout: Duration,
    ) -> Result<Response, FlinkError> {
        let mut req = rb
            .build()
            .map_err(|e| FlinkError::from_reqwest(method, shown, e, timeout))?;
        if proxied(req.method()) {
            // Through the proxy of the RM that is active now (the handle was made with the one
            // that was active at discovery).
            if let Some(active) = route.active_proxy() {
                let base = self.inner.base_url.as_str();
                if active.as_str() != base {
                    if let Some(rest) = req.url().as_str().strip_prefix(base) {
                        if let Ok(u) = active.join(rest) {
                            *req.url_mut() = u;
                        }
                    }
                }
            }
            let resp = self
                .http
                .execute(req)
                .await
                .map_err(|e| FlinkError::from_reqwest(method, shown, e, timeout))?;
            if resp.status().is_redirection() {
                return Err(proxy_redirect(route, method, shown, &resp));
            }
            return Ok(resp);
        }
        let am = match route.am_rest() {
            Some(u) => u,
            None => self.resolve_am(route, timeout).await?,
        };
        let base = self.inner.base_url.as_str();
        let Some(rest) = req.url().as_str().strip_prefix(base) else {
            return Err(FlinkError::local(
                shown,
                format!("{method} {shown}: not below the proxy URL {base}"),
            ));
        };
        let direct = am.join(rest).map_err(|e| {
            FlinkError::local(
                shown,
                format!("{method} {shown}: invalid JobManager URL: {e}"),
            )
        })?;
        let direct_shown = redact(&direct);
        *req.url_mut() = direct;
        // The ResourceManager's credentials are not the JobManager's.
        req.headers_mut().remove(reqwest::header::AUTHORIZATION);
        match self.http.execute(req).await {
            Ok(resp) => Ok(resp),
            Err(e) => {
                let mut err = FlinkError::from_reqwest(method, &direct_shown, e, timeout);
                let why = format!(
                    "the JobManager REST address {} ({} of {}) is not reachable from this host; \
                     the ResourceManager proxy forwards only GET and PUT, so {method} must go \
                     to the JobManager directly",
                    am.host_str().map_or_else(
                        || am.to_string(),
                        |h| format!("{h}:{}", am.port_or_known_default().unwrap_or(0))
                    ),
                    route.source(),
                    route.app_id
                );
                err.message = format!("{}: {why}", err.message);
                err.detail = format!("{why}\n{}", err.detail);
                Err(err)
            }
        }
    }

    /// The JobManager REST address from `rest.address`/`rest.port` of `/jobmanager/config`
    /// (read through the proxy), when YARN reports no `amRPCAddress`.
    async fn resolve_am(
        &self,
        route: &YarnRoute,
        timeout: Duration,
    ) -> Result<url::Url, FlinkError> {
        let url = self.url(&["jobmanager", "config"], &[]);
        let shown = redact(&url);
        let req = self
            .request(&self.http, Method::GET, &url)
            .timeout(timeout)
            .build()
            .map_err(|e| FlinkError::from_reqwest("GET", &shown, e, timeout))?;
        let resp = self
            .http
            .execute(req)
            .await
            .map_err(|e| FlinkError::from_reqwest("GET", &shown, e, timeout))?;
        if resp.status().is_redirection() {
            return Err(proxy_redirect(route, "GET", &shown, &resp));
        }
        let status = resp.status();
        let body = read_bounded(resp, 1 << 20, timeout).await;
        if !status.is_success() {
            return Err(FlinkError::from_status(
                "GET",
                &shown,
                status.as_u16(),
                &body,
            ));
        }
        let config: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| FlinkError::bad_json("GET", &shown, &e, body.as_bytes()))?;
        let Some(am) = rest_address_from_config(&config) else {
            return Err(FlinkError::local(
                &shown,
                format!(
                    "YARN reports no amRPCAddress for {} and its JobManager config has no \
                     usable rest.address/rest.port: writes cannot be sent (the ResourceManager \
                     proxy forwards only GET and PUT)",
                    route.app_id
                ),
            ));
        };
        route.set(am.clone(), "rest.address/rest.port");
        Ok(am)
    }

    /// Sends a request; transport errors and non-2xx answers become `FlinkError`s.
    pub(super) async fn send(
        &self,
        method: Method,
        url: &url::Url,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
        timeout: Duration,
    ) -> Result<Response, FlinkError> {
        self.send_on(&self.http, method, url, build, timeout).await
    }

    /// [`send`](Self::send) over the pool `http`.
    async fn send_on(
        &self,
        http: &reqwest::Client,
        method: Method,
        url: &url::Url,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
        timeout: Duration,
    ) -> Result<Response, FlinkError> {
        let shown = redact(url);
        let m = method.as_str().to_string();
        let rb = build(self.request(http, method, url)).timeout(timeout);
        let resp = self.dispatch(rb, &m, &shown, timeout).await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        // Read (a bounded amount of) the error body for Flink's {"errors":[...]}.
        let body = read_bounded(resp, 64 * 1024, timeout).await;
        Err(FlinkError::from_status(&m, &shown, status.as_u16(), &body))
    }

    /// Sends a request and decodes its JSON answer.
    pub(super) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &url::Url,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
        timeout: Duration,
    ) -> Result<T, FlinkError> {
        self.call_on(&self.http, method, url, build, timeout).await
    }

    /// [`call`](Self::call) over the pool `http`.
    async fn call_on<T: DeserializeOwned>(
        &self,
        http: &reqwest::Client,
        method: Method,
        url: &url::Url,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
        timeout: Duration,
    ) -> Result<T, FlinkError> {
        let m = method.as_str().to_string();
        let shown = redact(url);
        let resp = self.send_on(http, method, url, build, timeout).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| FlinkError::from_reqwest(&m, &shown, e, timeout))?;
        serde_json::from_slice::<T>(&bytes)
            .map_err(|e| FlinkError::bad_json(&m, &shown, &e, &bytes))
    }

    pub(super) async fn get<T: DeserializeOwned>(&self, url: &url::Url) -> Result<T, FlinkError> {
        self.call(Method::GET, url, |rb| rb, self.inner.timeout)
            .await
    }

    // -----------------------------------------------------------------------------------------
    // Cluster

    /// `GET /overview`, plus `GET /config` when the overview does not name the version.
    pub async fn cluster_info(&self) -> Result<ClusterInfo, FlinkError> {
        let ov: wire::Overview = self.get(&self.url(&["overview"], &[])).await?;
        let needs_config = ov
            .flink_version
            .as_deref()
            .is_none_or(|v| v.trim().is_empty());
        let cfg = if needs_config {
            match self.get::<wire::Config>(&self.url(&["config"], &[])).await {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::debug!(error = %e, "GET /config failed; Flink version unknown");
                    None
                }
            }
        } else {
            None
        };
        Ok(map::cluster_info(ov, cfg))
    }

    /// `GET /taskmanagers`.
    pub async fn taskmanagers(&self) -> Result<Vec<TaskManagerInfo>, FlinkError> {
        let tms: wire::TaskManagers = self.get(&self.url(&["taskmanagers"], &[])).await?;
        Ok(map::taskmanagers(tms))
    }

    // -----------------------------------------------------------------------------------------
    // Jobs

    /// `GET /jobs/overview`. `last_checkpoint` and `restarts` are left `None`.
    pub async fn jobs_overview(&self, cluster: &str) -> Result<Vec<JobSummary>, FlinkError> {
        let url = self.url(&["jobs", "overview"], &[]);
        let ov: wire::JobsOverview = self
            .call_on(
                &self.list_http,
                Method::GET,
                &url,
                |rb| rb,
                self.inner.timeout,
            )
            .await?;
        Ok(map::jobs_overview(cluster, ov))
    }

    /// `GET /jobs/:id` plus, per vertex and concurrently, the subtask metrics aggregated over
    /// subtasks. A failed metrics request leaves that vertex's rates `None`.
    pub async fn job_detail(&self, job_id: &str) -> Result<JobDetail, FlinkError> {
        let d: wire::JobDetails = self.get(&self.url(&["jobs", job_id], &[])).await?;
        let mut detail = map::job_detail(d);
        let get = map::VERTEX_METRICS.join(",");
        // Futures are built in a plain loop (not `iter().map(closure)`): a closure returning a
        // borrowing future makes the whole call non-`Send` for `tokio::spawn` (rustc #64552).
        let mut requests = Vec::with_capacity(detail.vertices.len());
        for v in &detail.vertices {
            let url = self.url(
                &["jobs", job_id, "vertices", &v.id, "subtasks", "metrics"],
                &[("get", &get), ("agg", "sum,max")],
            );
            requests.push(self.vertex_metrics(url));
        }
        let metrics: Vec<Option<Vec<wire::AggregatedMetric>>> =
            futures_util::stream::iter(requests)
                .buffered(FAN_OUT)
                .collect()
                .await;
        for (v, m) in detail.vertices.iter_mut().zip(metrics) {
            if let Some(m) = m {
                map::apply_vertex_metrics(v, &m);
            }
        }
        Ok(detail)
    }

    async fn vertex_metrics(&self, url: url::Url) -> Option<Vec<wire::AggregatedMetric>> {
        match self.get::<Vec<wire::AggregatedMetric>>(&url).await {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::debug!(error = %e, "vertex metrics unavailable");
                None
            }
        }
    }

    async fn tm_log_list(
        &self,
        id: String,
        url: url::Url,
    ) -> (String, Result<wire::LogList, FlinkError>) {
        let listing = self.get::<wire::LogList>(&url).await;
        (id, listing)
    }

    /// `GET /jobs/:id/metrics?get=numRestarts`; `None` when the job does not report it.
    pub async fn num_restarts(&self, job_id: &str) -> Result<Option<u64>, FlinkError> {
        let m: Vec<wire::Metric> = self
            .get(&self.url(&["jobs", job_id, "metrics"], &[("get", "numRestarts")]))
            .await?;
        Ok(map::num_restarts(&m))
    }

    /// `GET /jobs/metrics?get=numRestarts&agg=sum`: the sum of `numRestarts` over every job in
    /// the JobManager's metric store (its active jobs). Flink aggregates across jobs here and
    /// offers no per-job values, so this one request can only *confirm* known counts (restart
    /// counts never decrease while a job id is active). `None` when no job reports the metric.
    pub async fn restarts_sum(&self) -> Result<Option<u64>, FlinkError> {
        let m: Vec<wire::AggregatedMetric> = self
            .get(&self.url(
                &["jobs", "metrics"],
                &[("get", "numRestarts"), ("agg", "sum")],
            ))
            .await?;
        Ok(m.iter()
            .find(|m| m.id == "numRestarts")
            .and_then(|m| m.sum)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| s.round() as u64))
    }

    /// `GET /jobs/:id/checkpoints`. A job without checkpointing yields empty statistics.
    pub async fn checkpoints(&self, job_id: &str) -> Result<CheckpointStats, FlinkError> {
        let url = self.url(&["jobs", job_id, "checkpoints"], &[]);
        match self.get::<wire::Checkpointing>(&url).await {
            Ok(c) => Ok(map::checkpoints(c)),
            Err(e) if checkpointing_not_enabled(&e) => Ok(CheckpointStats::default()),
            Err(e) => Err(e),
        }
    }

    /// Whether the job checkpoints periodically (`GET /jobs/:id/checkpoints/config`: Flink
    /// answers "not enabled", or an interval of `Long.MAX_VALUE`, when it does not).
    pub async fn checkpointing_enabled(&self, job_id: &str) -> Result<bool, FlinkError> {
        let url = self.url(&["jobs", job_id, "checkpoints", "config"], &[]);
        match self.get::<serde_json::Value>(&url).await {
            Ok(v) => Ok(v
                .get("interval")
                .and_then(serde_json::Value::as_i64)
                .is_none_or(|i| i > 0 && i < i64::MAX)),
            Err(e) if checkpointing_not_enabled(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The newest finished (completed, savepoint or failed) checkpoint, by id.
    pub async fn last_checkpoint(&self, job_id: &str) -> Result<Option<CheckpointRef>, FlinkError> {
        Ok(self.checkpoints(job_id).await?.last().map(|e| e.to_ref()))
    }

    /// `GET /jobs/:id/exceptions?maxExceptions=N`, both the 1.x and the 2.x shapes.
    pub async fn exceptions(&self, job_id: &str, max: u32) -> Result<JobExceptions, FlinkError> {
        let max = max.max(1).to_string();
        let x: wire::Exceptions = self
            .get(&self.url(&["jobs", job_id, "exceptions"], &[("maxExceptions", &max)]))
            .await?;
        Ok(map::exceptions(x))
    }

    /// `PATCH /jobs/:id?mode=cancel` (Flink answers 202 with an empty body).
    pub async fn cancel_job(&self, job_id: &str) -> Result<(), FlinkError> {
        let url = self.url(&["jobs", job_id], &[("mode", "cancel")]);
        self.send(Method::PATCH, &url, |rb| rb, self.inner.timeout)
            .await?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Logs

    /// JobManager: log, stdout, then each listed file; then for every TaskManager the same.
    /// A TaskManager whose listing fails is skipped (and logged).
    pub async fn log_files(&self) -> Result<Vec<LogFileRef>, FlinkError> {
        let mut out = vec![
            LogFileRef {
                source: LogSource::JobManager,
                name: LogName::Log,
                size: None,
                mtime: None,
            },
            LogFileRef {
                source: LogSource::JobManager,
                name: LogName::Stdout,
                size: None,
                mtime: None,
            },
        ];
        match self
            .get::<wire::LogList>(&self.url(&["jobmanager", "logs"], &[]))
            .await
        {
            Ok(list) => out.extend(map::log_files(&LogSource::JobManager, list)),
            // The cluster answered but will not list files: log and stdout still work.
            Err(e) if answered(&e) => {
                tracing::warn!(error = %e, "cannot list the JobManager's log files")
            }
            Err(e) => return Err(e),
        }
        let tms = self.taskmanagers().await?;
        let mut requests = Vec::with_capacity(tms.len());
        for tm in &tms {
            let url = self.url(&["taskmanagers", &tm.id, "logs"], &[]);
            requests.push(self.tm_log_list(tm.id.clone(), url));
        }
        let listings: Vec<(String, Result<wire::LogList, FlinkError>)> =
            futures_util::stream::iter(requests)
                .buffered(FAN_OUT)
                .collect()
                .await;
        for (id, listing) in listings {
            let source = LogSource::TaskManager(id.clone());
            match listing {
                Ok(list) => {
                    out.push(LogFileRef {
                        source: source.clone(),
                        name: LogName::Log,
                        size: None,
                        mtime: None,
                    });
                    out.push(LogFileRef {
                        source: source.clone(),
                        name: LogName::Stdout,
                        size: None,
                        mtime: None,
                    });
                    out.extend(map::log_files(&source, list));
                }
                Err(e) => {
                    tracing::warn!(taskmanager = %id, error = %e, "skipping a TaskManager's logs")
                }
            }
        }
        Ok(out)
    }

    /// The REST URL of a log file; `None` for logs Flink's REST API does not serve (pods,
    /// previous container instances, archives).
    fn log_url(&self, file: &LogFileRef) -> Option<url::Url> {
        let mut segs: Vec<&str> = match &file.source {
            LogSource::JobManager => vec!["jobmanager"],
            LogSource::TaskManager(id) => vec!["taskmanagers", id.as_str()],
            LogSource::Pod { .. } => return None,
        };
        match &file.name {
            LogName::Log => segs.push("log"),
            LogName::Stdout => segs.push("stdout"),
            LogName::File(name) => {
                segs.push("logs");
                segs.push(name.as_str());
            }
            LogName::Previous | LogName::Archived => return None,
        }
        Some(self.url(&segs, &[]))
    }

    /// Opens a log file for reading as a stream of chunks. Flink has no Range support: every
    /// read starts at the file's beginning. The endpoint timeout applies to the answer's start and
    /// to every pause between chunks, not to the whole download.
    pub async fn open_log(&self, file: &LogFileRef) -> Result<LogBody, FlinkError> {
        let Some(url) = self.log_url(file) else {
            return Err(FlinkError::local(
                self.inner.base_url.as_str(),
                format!("{}: Flink's REST API does not serve this log", file.label()),
            ));
        };
        let shown = redact(&url);
        let timeout = self.inner.timeout;
        let rb = self
            .request(&self.http, Method::GET, &url)
            .header(ACCEPT, "text/plain, */*");
        let resp =
            match tokio::time::timeout(timeout, self.dispatch(rb, "GET", &shown, timeout)).await {
                Err(_) => return Err(FlinkError::timeout("GET", &shown, timeout)),
                Ok(r) => r?,
            };
        let status = resp.status();
        if !status.is_success() {
            let body = read_bounded(resp, 64 * 1024, timeout).await;
            return Err(FlinkError::from_status(
                "GET",
                &shown,
                status.as_u16(),
                &body,
            ));
        }
        Ok(LogBody {
            resp,
            shown,
            timeout,
        })
    }

    /// The last `max_bytes` of a log file: the whole file is streamed and only the tail is kept;
    /// memory stays bounded by `max_bytes`.
    pub async fn log_tail(
        &self,
        file: &LogFileRef,
        max_bytes: usize,
    ) -> Result<LogTail, FlinkError> {
        let mut body = self.open_log(file).await?;
        let mut tail = TailBuffer::new(max_bytes);
        while let Some(chunk) = body.chunk().await? {
            tail.push_bytes(chunk);
        }
        Ok(tail.finish())
    }

    // -----------------------------------------------------------------------------------------
    // Jars

    /// `POST /jars/upload` (multipart, part `jarfile`). Returns the jar id Flink assigned
    /// (`<uuid>_<name>.jar`). The timeout grows with the file: the endpoint timeout plus one
    /// second per MiB, at least 60 s.
    pub async fn upload_jar(&self, path: &Path) -> Result<String, FlinkError> {
        let url = self.url(&["jars", "upload"], &[]);
        let shown = redact(&url);
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !file_name.ends_with(".jar") {
            return Err(FlinkError::local(
                &shown,
                format!(
                    "{}: Flink accepts only files whose name ends in .jar",
                    path.display()
                ),
            ));
        }
        let data = tokio::fs::read(path).await.map_err(|e| {
            FlinkError::local(&shown, format!("cannot read {}: {e}", path.display()))
        })?;
        let timeout = (self.inner.timeout + Duration::from_secs((data.len() as u64) >> 20))
            .max(Duration::from_secs(60));
        let part = reqwest::multipart::Part::bytes(data)
            .file_name(file_name)
            .mime_str("application/java-archive")
            .map_err(|e| FlinkError::local(&shown, format!("multipart: {e}")))?;
        let form = reqwest::multipart::Form::new().part("jarfile", part);
        let up: wire::JarUpload = self
            .call(Method::POST, &url, |rb| rb.multipart(form), timeout)
            .await?;
        match up.filename.as_deref().and_then(map::jar_id_from_filename) {
            Some(id) => Ok(id),
            None => Err(FlinkError::new(
                FailureClass::BadJson,
                "POST",
                &shown,
                "the answer names no uploaded file",
                format!(
                    "POST {shown}: the answer has no \"filename\" (status {:?})",
                    up.status
                ),
            )),
        }
    }

    /// `POST /jars/:jarid/run`. Returns the new job's id. Running a jar executes its `main()` on
    /// the JobManager, so the timeout is at least 60 s.
    pub async fn run_jar(&self, jar_id: &str, req: &RunJarRequest) -> Result<String, FlinkError> {
        let url = self.url(&["jars", jar_id, "run"], &[]);
        let shown = redact(&url);
        let body = wire::JarRunBody {
            entry_class: req.entry_class.as_deref().filter(|s| !s.is_empty()),
            program_args_list: &req.program_args,
            parallelism: req.parallelism.filter(|p| *p > 0),
            savepoint_path: req.savepoint_path.as_deref().filter(|s| !s.is_empty()),
            allow_non_restored_state: req.allow_non_restored_state,
            flink_configuration: &req.flink_configuration,
        };
        let timeout = self.inner.timeout.max(Duration::from_secs(60));
        let run: wire::JarRun = self
            .call(Method::POST, &url, |rb| rb.json(&body), timeout)
            .await?;
        run.jobid.filter(|j| !j.is_empty()).ok_or_else(|| {
            FlinkError::new(
                FailureClass::BadJson,
                "POST",
                &shown,
                "the answer names no job id",
                format!("POST {shown}: the answer has no \"jobid\""),
            )
        })
    }

    // -----------------------------------------------------------------------------------------
    // Escape hatch

    /// `GET <base_url>/<path>` (path may carry a query), decoded as untyped JSON.
    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, FlinkError> {
        let base = self.inner.base_url.as_str().trim_end_matches('/');
        let joined = format!("{base}/{}", path.trim_start_matches('/'));
        let url = url::Url::parse(&joined)
            .map_err(|e| FlinkError::local(&joined, format!("{joined}: invalid URL: {e}")))?;
        self.get(&url).await
    }
}

/// The ResourceManager proxy redirected instead of proxying: the application has ended (the
/// proxy sends finished applications to their history or tracking page).
fn proxy_redirect(route: &YarnRoute, method: &str, shown: &str, resp: &Response) -> FlinkError {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_string();
    let reason = format!(
        "the ResourceManager proxy redirects to {location} instead of reaching Flink: application \
         {} has ended (or its JobManager is gone)",
        route.app_id
    );
    FlinkError::new(
        FailureClass::Http { status },
        method,
        shown,
        &reason,
        format!("{method} {shown}: HTTP {status}: {reason}"),
    )
}

/// Whether the server answered (an HTTP status), as opposed to a transport failure.
fn answered(e: &FlinkError) -> bool {
    matches!(
        e.class,
        FailureClass::Http { .. } | FailureClass::ServerError { .. } | FailureClass::BadJson
    )
}

/// Flink's answer for a job that never had checkpointing configured.
pub(super) fn checkpointing_not_enabled(e: &FlinkError) -> bool {
    if !matches!(
        e.class,
        FailureClass::Http { .. } | FailureClass::ServerError { .. }
    ) {
        return false;
    }
    let d = e.detail.to_ascii_lowercase();
    d.contains("checkpointing has not been enabled")
        || d.contains("checkpointing is not enabled")
        || (d.contains("checkpoint") && d.contains("not enabled"))
}

/// Up to `max` bytes of a body as lossy text (for error messages); read failures give "".
async fn read_bounded(mut resp: Response, max: usize, timeout: Duration) -> String {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < max {
        match tokio::time::timeout(timeout, resp.chunk()).await {
            Ok(Ok(Some(c))) => {
                let take = c.len().min(max - buf.len());
                buf.extend_from_slice(&c[..take]);
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

impl FlinkClient {
    /// The per-request timeout of this endpoint.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }
}

/// An open log file: its chunks as they arrive (see [`FlinkClient::open_log`]). Dropping it
/// closes the connection.
pub struct LogBody {
    resp: reqwest::Response,
    shown: String,
    timeout: Duration,
}

impl LogBody {
    /// The next chunk; `None` at the end of the file.
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, FlinkError> {
        match tokio::time::timeout(self.timeout, self.resp.chunk()).await {
            Err(_) => Err(FlinkError::timeout("GET", &self.shown, self.timeout)),
            Ok(Err(e)) => Err(FlinkError::from_reqwest(
                "GET",
                &self.shown,
                e,
                self.timeout,
            )),
            Ok(Ok(c)) => Ok(c),
        }
    }
}
