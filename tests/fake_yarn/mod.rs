//! A fake YARN ResourceManager for flinkdeck's integration tests: no ResourceManager can be
//! installed on the test machines. It serves the ResourceManager REST shapes of Hadoop's
//! `ResourceManagerRest.md` that flinkdeck uses, over plain HTTP on 127.0.0.1 (random port):
//!
//! - `GET /ws/v1/cluster/info`: `{"clusterInfo":{"haState":"ACTIVE"|"STANDBY",...}}`, answered
//!   in both HA states (as the real `RMWebAppFilter` does);
//! - `GET /ws/v1/cluster/apps` with the filters `states`, `applicationTypes` (case-insensitive),
//!   `finishedTimeBegin` (an application that has not finished has `finishedTime` 0, so it is
//!   filtered out, as on a real RM), `user` and `queue`; `{"apps":null}` when nothing matches;
//! - `GET /ws/v1/cluster/apps/{id}` (`{"app":{...}}`, 404 `RemoteException` when unknown);
//! - `GET /ws/v1/cluster/apps/{id}/state` and `PUT` of `{"state":"KILLED"}` on it: the first PUT
//!   answers 202 (the kill is under way), the next one 200 with `KILLED`; any other target state
//!   is 400; a PUT without `user.name` is 403 (simple auth, no anonymous kill);
//! - in standby, every other REST call gets `307` with `Location` on the active RM (when the test
//!   names one) or `307` with only a `Refresh` header (no active RM known), as `RMWebAppFilter`;
//! - `/proxy/{id}/<path>` (`WebAppProxyServlet`): GET and PUT are forwarded with their query and
//!   body to the real Flink REST address the test registered for the application; POST, PATCH,
//!   DELETE (any other method) get 405; an application that has ended (FINISHED, FAILED,
//!   KILLED) gets a 302 to its RM application page instead; one without a tracking address (e.g.
//!   ACCEPTED) gets 404.
//!
//! Every request (method, path and query) is recorded, so tests can prove that writes never went
//! through the proxy.
//!
//! What it does NOT do: no scheduler, queues, NodeManagers or containers (applications are what
//! the test adds, and stay in the state it sets, apart from a kill); no Kerberos/SPNEGO or
//! delegation tokens, no ACLs (any `user.name` may kill anything); no XML answers; no other
//! RM REST resources (nodes, metrics, scheduler, app attempts, new-application/submission); the
//! proxy does not rewrite HTML links, set the `proxy-user` cookie or follow the real amIpFilter;
//! no application history server (ended applications redirect to the RM page, which is not
//! served); HA is two separate fakes set up by the test, no leader election or ZooKeeper.

#![allow(dead_code)]

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

type Body = Full<Bytes>;

/// One application as the test sets it up.
#[derive(Debug, Clone)]
pub struct FakeApp {
    pub id: String,
    pub name: String,
    pub app_type: String,
    pub queue: String,
    pub user: String,
    pub state: String,
    pub final_status: String,
    pub diagnostics: String,
    pub started_ms: i64,
    /// 0 while it has not finished.
    pub finished_ms: i64,
    /// `amRPCAddress` as reported (`host:port`, or `N/A`).
    pub am_rpc: String,
    /// Where the proxy forwards (`http://127.0.0.1:PORT`), if the application has a tracking
    /// address.
    pub proxy_to: Option<String>,
}

impl FakeApp {
    /// A RUNNING Flink application whose JobManager REST is `flink_url` (reported as
    /// `amRPCAddress` and used by the proxy).
    pub fn running(id: &str, name: &str, flink_url: &str) -> FakeApp {
        let host_port = flink_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        FakeApp {
            id: id.into(),
            name: name.into(),
            app_type: "Apache Flink".into(),
            queue: "default".into(),
            user: "flink".into(),
            state: "RUNNING".into(),
            final_status: "UNDEFINED".into(),
            diagnostics: String::new(),
            started_ms: now_ms() - 60_000,
            finished_ms: 0,
            am_rpc: host_port,
            proxy_to: Some(flink_url.trim_end_matches('/').to_string()),
        }
    }

    fn json(&self, rm: &str) -> Value {
        json!({
            "id": self.id, "user": self.user, "name": self.name, "queue": self.queue,
            "state": self.state, "finalStatus": self.final_status, "progress": 100.0,
            "trackingUI": if self.ended() { "History" } else { "ApplicationMaster" },
            "trackingUrl": format!("{rm}/proxy/{}/", self.id),
            "diagnostics": self.diagnostics, "clusterId": 1,
            "applicationType": self.app_type, "applicationTags": "",
            "startedTime": self.started_ms, "finishedTime": self.finished_ms,
            "elapsedTime": (if self.finished_ms > 0 { self.finished_ms } else { now_ms() }) - self.started_ms,
            "amContainerLogs": "http://node1:8042/node/containerlogs/container_1_0001_01_000001/flink",
            "amHostHttpAddress": "node1:8042",
            "amRPCAddress": self.am_rpc,
            "allocatedMB": 2048, "allocatedVCores": 2, "runningContainers": 2,
            "unmanagedApplication": false
        })
    }

    fn ended(&self) -> bool {
        matches!(self.state.as_str(), "FINISHED" | "FAILED" | "KILLED")
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The RM's HA state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ha {
    Active,
    /// Standby; REST calls are redirected to this active RM URL, if any.
    Standby {
        active: Option<String>,
    },
}

struct State {
    apps: Vec<FakeApp>,
    ha: Ha,
    /// Applications whose kill has been accepted (202) but not finished.
    killing: Vec<String>,
    requests: Vec<(String, String)>,
    /// The raw bodies of the app list answers (to check the `{"apps":null}` shape).
    list_bodies: Vec<String>,
}

struct Shared {
    state: Mutex<State>,
    http: reqwest::Client,
    url: String,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake ResourceManager. Dropping it stops it.
pub struct FakeYarn {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for FakeYarn {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl FakeYarn {
    /// Starts an RM in `ha` state on its own small runtime (it keeps serving while a test
    /// blocks on a child process).
    pub fn start(ha: Ha) -> FakeYarn {
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("fake-yarn")
            .enable_all()
            .build()
            .expect("fake_yarn runtime");
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                apps: Vec::new(),
                ha,
                killing: Vec::new(),
                requests: Vec::new(),
                list_bodies: Vec::new(),
            }),
            http: reqwest::Client::builder()
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("reqwest client"),
            url: format!("http://127.0.0.1:{port}"),
        });
        runtime.spawn(serve(shared.clone(), listener));
        FakeYarn {
            shared,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.shared.url.clone()
    }

    pub fn add_app(&self, app: FakeApp) {
        lock(&self.shared.state).apps.push(app);
    }

    pub fn set_ha(&self, ha: Ha) {
        lock(&self.shared.state).ha = ha;
    }

    pub fn app(&self, id: &str) -> Option<FakeApp> {
        lock(&self.shared.state)
            .apps
            .iter()
            .find(|a| a.id == id)
            .cloned()
    }

    /// Every request seen: (method, path?query).
    pub fn requests(&self) -> Vec<(String, String)> {
        lock(&self.shared.state).requests.clone()
    }

    /// The bodies of every `/ws/v1/cluster/apps` answer.
    pub fn list_bodies(&self) -> Vec<String> {
        lock(&self.shared.state).list_bodies.clone()
    }
}

async fn serve(shared: Arc<Shared>, listener: std::net::TcpListener) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(shared, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

fn resp(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("response")
}

fn json_resp(status: u16, v: &Value) -> Response<Body> {
    resp(status, "application/json", v.to_string())
}

/// Hadoop's error shape.
fn remote_exception(status: u16, exception: &str, message: &str) -> Response<Body> {
    json_resp(
        status,
        &json!({"RemoteException": {
            "exception": exception,
            "message": message,
            "javaClassName": format!("org.apache.hadoop.yarn.webapp.{exception}")
        }}),
    )
}

fn query_map(q: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().map(str::to_string);
    let shown = match &raw_query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    lock(&shared.state).requests.push((method.clone(), shown));
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let q = query_map(raw_query.as_deref());

    if path == "/ws/v1/cluster/info" {
        let ha = match lock(&shared.state).ha {
            Ha::Active => "ACTIVE",
            Ha::Standby { .. } => "STANDBY",
        };
        return json_resp(
            200,
            &json!({"clusterInfo": {"id": 1, "startedOn": now_ms() - 3_600_000,
                "state": "STARTED", "haState": ha, "haZooKeeperConnectionState": "CONNECTED",
                "resourceManagerVersion": "3.3.6", "hadoopVersion": "3.3.6"}}),
        );
    }
    if let Some(rest) = path.strip_prefix("/proxy/") {
        return proxy(
            &shared,
            &method,
            rest,
            raw_query.as_deref(),
            content_type,
            body,
        )
        .await;
    }
    let standby = match &lock(&shared.state).ha {
        Ha::Active => None,
        Ha::Standby { active } => Some(active.clone()),
    };
    if let Some(active) = standby {
        let with_query = match &raw_query {
            Some(q) => format!("{path}?{q}"),
            None => path.clone(),
        };
        return match active {
            Some(a) => Response::builder()
                .status(307)
                .header("location", format!("{a}{with_query}"))
                .header("content-type", "text/plain")
                .body(Full::new(Bytes::from(format!(
                    "This is standby RM. The redirect url is: {with_query}\n"
                ))))
                .expect("response"),
            None => Response::builder()
                .status(307)
                .header("refresh", format!("5;url={}{with_query}", shared.url))
                .header("content-type", "text/plain")
                .body(Full::new(Bytes::from(
                    "Can not find any active RM. Will retry in next 5 seconds.\n",
                )))
                .expect("response"),
        };
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), segs.as_slice()) {
        ("GET", ["ws", "v1", "cluster", "apps"]) => list_apps(&shared, &q),
        ("GET", ["ws", "v1", "cluster", "apps", id]) => {
            let st = lock(&shared.state);
            match st.apps.iter().find(|a| a.id == *id) {
                Some(a) => json_resp(200, &json!({"app": a.json(&shared.url)})),
                None => not_found(id),
            }
        }
        ("GET", ["ws", "v1", "cluster", "apps", id, "state"]) => {
            let st = lock(&shared.state);
            match st.apps.iter().find(|a| a.id == *id) {
                Some(a) => json_resp(200, &json!({"state": a.state})),
                None => not_found(id),
            }
        }
        ("PUT", ["ws", "v1", "cluster", "apps", id, "state"]) => kill(&shared, id, &q, &body),
        (_, ["ws", "v1", "cluster", ..]) => resp(405, "text/plain", "HTTP 405 Method Not Allowed"),
        _ => resp(404, "text/plain", format!("no such resource: {path}")),
    }
}

fn not_found(id: &str) -> Response<Body> {
    remote_exception(
        404,
        "NotFoundException",
        &format!("java.lang.Exception: app with id: {id} not found"),
    )
}

fn list_apps(shared: &Shared, q: &HashMap<String, String>) -> Response<Body> {
    let list = |key: &str| -> Option<Vec<String>> {
        q.get(key).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
    };
    let states = list("states");
    let types = list("applicationTypes");
    let finished_begin: Option<i64> = q.get("finishedTimeBegin").and_then(|v| v.parse().ok());
    let mut st = lock(&shared.state);
    let apps: Vec<Value> = st
        .apps
        .iter()
        .filter(|a| {
            states
                .as_ref()
                .is_none_or(|s| s.contains(&a.state.to_ascii_lowercase()))
                && types
                    .as_ref()
                    .is_none_or(|t| t.contains(&a.app_type.to_ascii_lowercase()))
                && finished_begin.is_none_or(|b| a.finished_ms >= b)
                && q.get("user").is_none_or(|u| *u == a.user)
                && q.get("queue").is_none_or(|qu| *qu == a.queue)
        })
        .map(|a| a.json(&shared.url))
        .collect();
    let body = if apps.is_empty() {
        json!({"apps": null})
    } else {
        json!({"apps": {"app": apps}})
    };
    st.list_bodies.push(body.to_string());
    json_resp(200, &body)
}

fn kill(shared: &Shared, id: &str, q: &HashMap<String, String>, body: &Bytes) -> Response<Body> {
    if q.get("user.name").is_none_or(|u| u.is_empty()) {
        return remote_exception(
            403,
            "ForbiddenException",
            "Unable to obtain user name, user not authenticated",
        );
    }
    let target = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("state").and_then(Value::as_str).map(str::to_string));
    if target.as_deref() != Some("KILLED") {
        return remote_exception(
            400,
            "BadRequestException",
            &format!(
                "java.lang.Exception: Only 'KILLED' is allowed as a target state, got {target:?}"
            ),
        );
    }
    let mut st = lock(&shared.state);
    let pending = st.killing.iter().any(|k| k == id);
    let Some(app) = st.apps.iter_mut().find(|a| a.id == id) else {
        return not_found(id);
    };
    if app.ended() {
        return json_resp(200, &json!({"state": app.state}));
    }
    if !pending {
        let state = app.state.clone();
        st.killing.push(id.to_string());
        return Response::builder()
            .status(202)
            .header("content-type", "application/json")
            .header(
                "location",
                format!("{}/ws/v1/cluster/apps/{id}/state", shared.url),
            )
            .body(Full::new(Bytes::from(json!({"state": state}).to_string())))
            .expect("response");
    }
    app.state = "KILLED".into();
    app.final_status = "KILLED".into();
    app.finished_ms = now_ms();
    app.diagnostics = "Application killed by user.".into();
    st.killing.retain(|k| k != id);
    json_resp(200, &json!({"state": "KILLED"}))
}

async fn proxy(
    shared: &Shared,
    method: &str,
    rest: &str,
    query: Option<&str>,
    content_type: Option<String>,
    body: Bytes,
) -> Response<Body> {
    let (id, path) = rest.split_once('/').unwrap_or((rest, ""));
    let app = lock(&shared.state)
        .apps
        .iter()
        .find(|a| a.id == id)
        .cloned();
    let Some(app) = app else {
        return resp(
            404,
            "text/html",
            format!("Application {id} could not be found"),
        );
    };
    if app.ended() {
        return Response::builder()
            .status(302)
            .header("location", format!("{}/cluster/app/{id}", shared.url))
            .body(Full::new(Bytes::new()))
            .expect("response");
    }
    let m = match method {
        "GET" => reqwest::Method::GET,
        "PUT" => reqwest::Method::PUT,
        _ => {
            return resp(
                405,
                "text/html",
                format!("HTTP ERROR 405 HTTP method {method} is not supported by this URL"),
            )
        }
    };
    let Some(target) = &app.proxy_to else {
        return resp(
            404,
            "text/html",
            format!(
                "The application {id} has no tracking URL yet (state {})",
                app.state
            ),
        );
    };
    let mut url = format!("{target}/{path}");
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    let mut rb = shared.http.request(m, &url);
    if let Some(ct) = content_type {
        rb = rb.header("content-type", ct);
    }
    if !body.is_empty() {
        rb = rb.body(body.to_vec());
    }
    match rb.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let ct = r
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = r.bytes().await.unwrap_or_default();
            resp(status, &ct, bytes)
        }
        Err(e) => resp(
            500,
            "text/html",
            format!("Error proxying to the application master: {e}"),
        ),
    }
}
