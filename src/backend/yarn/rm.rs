//! The ResourceManager REST client of one yarn entry.
//!
//! - Simple auth: every call carries `user.name=<user>` when `user` is set; a token or basic
//!   password (from env or file) goes in the `Authorization` header.
//! - HA: `url` first, then `standby_urls`. The active RM is found with `/ws/v1/cluster/info`
//!   (`haState`), which a standby RM answers itself; a standby RM answers every other REST call
//!   with `307` and `Location` on the active RM (followed once), or without `Location` when it
//!   knows no active RM. The last active RM is remembered and tried first.

use std::sync::RwLock;
use std::time::Duration;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::wire::{self, App};
use crate::config::{ClusterConfig, ConfigError, ResolvedAuth};
use crate::domain::{FailureClass, KillAnswer};
use crate::flink::FlinkError;

/// The Flink application type YARN lists (`yarn.application.type` can change it).
pub const FLINK_APP_TYPE: &str = "Apache Flink";

/// The ResourceManager(s) of one entry.
pub struct RmClient {
    http: reqwest::Client,
    /// `url`, then `standby_urls` (each ending with `/`).
    urls: Vec<url::Url>,
    user: Option<String>,
    auth: ResolvedAuth,
    timeout: Duration,
    /// Index in `urls` of the RM that was active last.
    active: RwLock<usize>,
}

impl RmClient {
    /// Reads the entry's credentials and sets up the HTTP client (no request yet).
    pub fn new(c: &ClusterConfig) -> Result<RmClient, ConfigError> {
        let key = |f: &str| format!("clusters[{:?}].{f}", c.name);
        let Some(url) = c.url.clone() else {
            return Err(ConfigError::new(format!(
                "yarn entry {:?} has no url (the ResourceManager web address)",
                c.name
            ))
            .with_key(key("url")));
        };
        let yarn = c.yarn.clone().unwrap_or_default();
        let mut urls = vec![url];
        urls.extend(yarn.standby_urls.iter().cloned());
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("flinkdeck/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(c.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60));
        if let Some(path) = &c.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                ConfigError::new(format!(
                    "cannot read CA certificate {}: {e}",
                    path.display()
                ))
                .with_key(key("ca_cert"))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                ConfigError::new(format!("{}: not a PEM certificate: {e}", path.display()))
                    .with_key(key("ca_cert"))
            })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        if c.insecure_skip_verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        let http = builder.build().map_err(|e| {
            ConfigError::new(format!("cannot set up the HTTP client: {e}")).with_key(key("url"))
        })?;
        Ok(RmClient {
            http,
            urls,
            user: yarn.user,
            auth: c.resolve_auth()?,
            timeout: c.timeout,
            active: RwLock::new(0),
        })
    }

    /// Every configured ResourceManager address (`url` first).
    pub fn urls(&self) -> &[url::Url] {
        &self.urls
    }

    fn remembered(&self) -> usize {
        match self.active.read() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    fn remember(&self, i: usize) {
        match self.active.write() {
            Ok(mut g) => *g = i,
            Err(p) => *p.into_inner() = i,
        }
    }

    /// `<rm>/<path>?<query>&user.name=<user>`.
    fn url(&self, base: &url::Url, path: &str, query: &[(&str, &str)]) -> url::Url {
        let mut u = base.clone();
        if let Ok(mut segs) = u.path_segments_mut() {
            segs.pop_if_empty();
            segs.extend(path.split('/').filter(|s| !s.is_empty()));
        }
        {
            let mut q = u.query_pairs_mut();
            q.extend_pairs(query);
            if let Some(user) = &self.user {
                q.append_pair("user.name", user);
            }
        }
        if u.query() == Some("") {
            u.set_query(None);
        }
        u
    }

    /// Sends one request; follows one `307` of a standby RM to the active one. Non-2xx answers
    /// are errors; 202 is returned as is (kill).
    async fn send(
        &self,
        method: Method,
        url: url::Url,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Vec<u8>), FlinkError> {
        let mut url = url;
        for hop in 0..2 {
            let shown = url.to_string();
            let m = method.as_str();
            let mut rb = self
                .http
                .request(method.clone(), url.clone())
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(self.timeout);
            if let Some(b) = body {
                rb = rb.json(b);
            }
            rb = match &self.auth {
                ResolvedAuth::None => rb,
                ResolvedAuth::Bearer(t) => rb.bearer_auth(t.expose()),
                ResolvedAuth::Basic { username, password } => {
                    rb.basic_auth(username, Some(password.expose()))
                }
            };
            let resp = rb
                .send()
                .await
                .map_err(|e| FlinkError::from_reqwest(m, &shown, e, self.timeout))?;
            let status = resp.status().as_u16();
            if resp.status().is_redirection() {
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok());
                match location {
                    Some(next) if hop == 0 => {
                        tracing::debug!(from = %shown, to = %next, "ResourceManager redirects (standby)");
                        url = next;
                        continue;
                    }
                    _ => {
                        let reason = if status == 307 {
                            "this ResourceManager is in standby and names no active one".to_string()
                        } else {
                            format!("redirected (HTTP {status}) more than once")
                        };
                        return Err(FlinkError::new(
                            FailureClass::Http { status },
                            m,
                            &shown,
                            &reason,
                            format!("{m} {shown}: {reason}"),
                        ));
                    }
                }
            }
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| FlinkError::from_reqwest(m, &shown, e, self.timeout))?;
            if !(200..300).contains(&status) {
                return Err(FlinkError::from_status(
                    m,
                    &shown,
                    status,
                    &String::from_utf8_lossy(&bytes),
                ));
            }
            return Ok((status, bytes.to_vec()));
        }
        Err(FlinkError::local(
            url.as_str(),
            "the ResourceManager redirected in a loop",
        ))
    }

    async fn get<T: DeserializeOwned>(&self, url: url::Url) -> Result<T, FlinkError> {
        let shown = url.to_string();
        let (_, body) = self.send(Method::GET, url, None).await?;
        serde_json::from_slice(&body).map_err(|e| FlinkError::bad_json("GET", &shown, &e, &body))
    }

    /// The active ResourceManager: the remembered one first, then the others in configured
    /// order, each asked `/ws/v1/cluster/info`. None active: an error naming every RM and why.
    pub async fn active(&self) -> Result<url::Url, FlinkError> {
        let first = self.remembered().min(self.urls.len().saturating_sub(1));
        let order = std::iter::once(first).chain((0..self.urls.len()).filter(|i| *i != first));
        let mut why: Vec<String> = Vec::new();
        let mut first_err: Option<FlinkError> = None;
        for i in order {
            let base = &self.urls[i];
            let url = self.url(base, "ws/v1/cluster/info", &[]);
            match self.get::<wire::InfoAnswer>(url).await {
                Ok(info) => {
                    let state = info.cluster_info.ha_state.unwrap_or_default();
                    if state.is_empty() || state.eq_ignore_ascii_case("ACTIVE") {
                        self.remember(i);
                        return Ok(base.clone());
                    }
                    why.push(format!("{base}: in {state} (haState)"));
                }
                Err(e) => {
                    why.push(format!("{base}: {}", e.message));
                    first_err.get_or_insert(e);
                }
            }
        }
        let reason = format!("no active ResourceManager: {}", why.join("; "));
        let class = first_err.map_or(FailureClass::Other, |e| e.class);
        let shown = self.urls.first().map(|u| u.to_string()).unwrap_or_default();
        Err(FlinkError::new(
            class,
            "GET",
            &format!("{shown}ws/v1/cluster/info"),
            &reason,
            reason.clone(),
        ))
    }

    /// Runs `call` on the remembered RM; if that fails without an answer from YARN (down,
    /// refused, in standby), finds the active RM and runs it once more there.
    async fn on_active<T, F, Fut>(&self, call: F) -> Result<T, FlinkError>
    where
        F: Fn(url::Url) -> Fut,
        Fut: std::future::Future<Output = Result<T, FlinkError>>,
    {
        let remembered = self.urls[self.remembered().min(self.urls.len() - 1)].clone();
        match call(remembered).await {
            Ok(v) => return Ok(v),
            Err(e)
                if e.class.is_http() && !matches!(e.class, FailureClass::Http { status: 307 }) =>
            {
                return Err(e)
            }
            Err(e) => {
                tracing::debug!(error = %e, "ResourceManager call failed; looking for the active one")
            }
        }
        let base = self.active().await?;
        call(base).await
    }

    /// The Flink applications of the active RM: ACCEPTED and RUNNING, plus those that ended
    /// (FINISHED, FAILED, KILLED) at or after `ended_since_ms`. Also returns the RM used.
    pub async fn flink_apps(
        &self,
        ended_since_ms: i64,
    ) -> Result<(url::Url, Vec<App>), FlinkError> {
        let base = self.active().await?;
        let since = ended_since_ms.max(0).to_string();
        let live = self.url(
            &base,
            "ws/v1/cluster/apps",
            &[
                ("states", "ACCEPTED,RUNNING"),
                ("applicationTypes", FLINK_APP_TYPE),
            ],
        );
        let ended = self.url(
            &base,
            "ws/v1/cluster/apps",
            &[
                ("states", "FINISHED,FAILED,KILLED"),
                ("applicationTypes", FLINK_APP_TYPE),
                ("finishedTimeBegin", &since),
            ],
        );
        let (live, ended) = tokio::join!(
            self.get::<wire::AppsAnswer>(live),
            self.get::<wire::AppsAnswer>(ended)
        );
        let mut apps = live?.into_apps();
        for a in ended?.into_apps() {
            if !apps.iter().any(|x| x.id == a.id) {
                apps.push(a);
            }
        }
        apps.retain(|a| !a.id.is_empty());
        Ok((base, apps))
    }

    /// One application (`/ws/v1/cluster/apps/{id}`).
    pub async fn app(&self, id: &str) -> Result<App, FlinkError> {
        let path = format!("ws/v1/cluster/apps/{id}");
        self.on_active(|base| {
            let url = self.url(&base, &path, &[]);
            async move {
                let shown = url.to_string();
                let a: wire::AppAnswer = self.get(url).await?;
                a.app.ok_or_else(|| {
                    FlinkError::local(&shown, format!("GET {shown}: the answer has no \"app\""))
                })
            }
        })
        .await
    }

    /// `PUT /ws/v1/cluster/apps/{id}/state {"state":"KILLED"}` once: 202 while YARN is killing
    /// it, 200 with the state once it is done.
    pub async fn kill(&self, id: &str) -> Result<KillAnswer, FlinkError> {
        let path = format!("ws/v1/cluster/apps/{id}/state");
        let body = serde_json::json!({"state": "KILLED"});
        self.on_active(|base| {
            let url = self.url(&base, &path, &[]);
            let body = &body;
            async move {
                let shown = url.to_string();
                let (status, bytes) = self.send(Method::PUT, url, Some(body)).await?;
                if status == 202 {
                    return Ok(KillAnswer::Accepted);
                }
                let s: wire::StateAnswer = serde_json::from_slice(&bytes)
                    .map_err(|e| FlinkError::bad_json("PUT", &shown, &e, &bytes))?;
                Ok(KillAnswer::Done {
                    state: s.state.unwrap_or_else(|| "UNKNOWN".into()),
                })
            }
        })
        .await
    }
}
