//! HTTP plumbing and the REST surface: TLS accept loop, bearer-token auth, request log, routing,
//! discovery, list/get/create/update/patch/delete, the `/status` subresource and server-side
//! `Table` output.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderMap;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Map, Value};

use super::objects::{
    self, by_path, fields_v1, list_item, merge_patch, record_manager, ApiError, Filter,
    ResourceType, RESOURCES, VERBS,
};
use super::{lock, Shared};

pub type Body = UnsyncBoxBody<Bytes, Infallible>;

pub async fn serve(
    shared: Arc<Shared>,
    listener: std::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let svc = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(shared, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tls), svc)
                .await;
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

pub fn full(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-cache, private")
        .body(Full::new(body.into()).boxed_unsync())
        .expect("response")
}

pub fn json_resp(status: u16, v: &Value) -> Response<Body> {
    full(status, "application/json", v.to_string())
}

pub fn err_resp(e: &ApiError) -> Response<Body> {
    json_resp(e.code, &e.status())
}

/// A streaming body fed through a channel; the sender fails once the client is gone.
pub fn channel_body() -> (tokio::sync::mpsc::Sender<Bytes>, Body) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let stream = futures_util::stream::poll_fn(move |cx| {
        rx.poll_recv(cx)
            .map(|o| o.map(|b| Ok::<_, Infallible>(hyper::body::Frame::data(b))))
    });
    (tx, http_body_util::StreamBody::new(stream).boxed_unsync())
}

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

pub struct Req {
    pub method: Method,
    pub path: String,
    pub raw_query: Option<String>,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn q(&self, k: &str) -> Option<&str> {
        self.query.get(k).map(String::as_str)
    }

    pub fn flag(&self, k: &str) -> bool {
        matches!(self.q(k), Some("true") | Some("1"))
    }

    pub fn header(&self, k: &str) -> Option<&str> {
        self.headers.get(k).and_then(|v| v.to_str().ok())
    }

    fn content_type(&self) -> &str {
        self.header("content-type")
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
    }

    fn wants_table(&self) -> bool {
        self.header("accept")
            .is_some_and(|a| a.contains("as=Table"))
    }

    /// The field manager of a non-apply write: `fieldManager`, else the user agent's program name
    /// (what the API server derives when a client does not say).
    fn manager(&self) -> String {
        if let Some(m) = self.q("fieldManager") {
            return m.to_string();
        }
        self.header("user-agent")
            .and_then(|ua| ua.split('/').next())
            .filter(|s| !s.is_empty())
            .unwrap_or("unknown")
            .to_string()
    }
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hexval = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let path_q = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let ct = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    lock(&shared.requests).push((method.to_string(), path_q, ct));

    let authorized = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", shared.token));
    if !authorized {
        return err_resp(&ApiError::new(401, "Unauthorized", "Unauthorized"));
    }
    let headers = req.headers().clone();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let r = Req {
        method,
        path: uri.path().to_string(),
        raw_query: uri.query().map(str::to_string),
        query,
        headers,
        body,
    };
    let segs: Vec<String> = r
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = r.method == Method::GET;
    match s.as_slice() {
        ["version"] if get => json_resp(200, &version()),
        ["healthz"] | ["livez"] | ["readyz"] if get => full(200, "text/plain; charset=utf-8", "ok"),
        ["api"] if get => json_resp(200, &api_versions(&shared)),
        ["apis"] if get => json_resp(200, &group_list(&shared)),
        ["api", "v1"] if get => json_resp(200, &resource_list(&shared, "", "v1")),
        ["apis", g] if get => match group(&shared, g) {
            Some(v) => json_resp(200, &v),
            None => err_resp(&ApiError::no_resource()),
        },
        ["apis", g, v] if get => {
            let list = resource_list(&shared, g, v);
            if list["resources"].as_array().is_some_and(|a| a.is_empty()) {
                err_resp(&ApiError::no_resource())
            } else {
                json_resp(200, &list)
            }
        }
        ["api", "v1", rest @ ..] if !rest.is_empty() => resource(shared, r, "", "v1", rest).await,
        ["apis", g, v, rest @ ..] if !rest.is_empty() => resource(shared, r, g, v, rest).await,
        _ => err_resp(&ApiError::no_resource()),
    }
}

// ---------------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------------

fn version() -> Value {
    json!({
        "major": "1",
        "minor": "32",
        "gitVersion": "v1.32.0",
        "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53",
        "gitTreeState": "clean",
        "buildDate": "2024-12-11T17:59:15Z",
        "goVersion": "go1.23.3",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn served(shared: &Shared) -> impl Iterator<Item = &'static ResourceType> + '_ {
    RESOURCES
        .iter()
        .filter(move |r| !r.crd || shared.crds_installed())
}

fn api_versions(shared: &Shared) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": shared.addr}],
    })
}

fn group_doc(name: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{name}/{version}"), "version": version});
    json!({"name": name, "versions": [gv], "preferredVersion": gv})
}

fn group_list(shared: &Shared) -> Value {
    let mut groups: Vec<Value> = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for r in served(shared).filter(|r| !r.group.is_empty()) {
        if !seen.contains(&(r.group, r.version)) {
            seen.push((r.group, r.version));
            groups.push(group_doc(r.group, r.version));
        }
    }
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn group(shared: &Shared, g: &str) -> Option<Value> {
    let r = served(shared).find(|r| r.group == g)?;
    let mut doc = group_doc(r.group, r.version);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

fn resource_list(shared: &Shared, g: &str, v: &str) -> Value {
    let mut resources = Vec::new();
    for r in served(shared).filter(|r| r.group == g && r.version == v) {
        let mut doc = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": VERBS,
        });
        if !r.short_names.is_empty() {
            doc["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            doc["categories"] = json!(r.categories);
        }
        resources.push(doc);
        for (sub, verbs) in r.subresources {
            resources.push(json!({
                "name": format!("{}/{sub}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": if *sub == "proxy" { "ServiceProxyOptions" } else if *sub == "log" { "Pod" } else { r.kind },
                "verbs": verbs,
            }));
        }
    }
    let gv = if g.is_empty() {
        v.to_string()
    } else {
        format!("{g}/{v}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

/// Where a resource request points.
pub struct Target {
    pub rt: &'static ResourceType,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
    pub rest: Vec<String>,
}

fn verb_of(r: &Req, t: &Target) -> &'static str {
    let watch = r.flag("watch");
    if t.sub.as_deref() == Some("proxy") {
        return match r.method {
            Method::POST => "create",
            Method::PUT => "update",
            Method::PATCH => "patch",
            Method::DELETE => "delete",
            _ => "get",
        };
    }
    match (&r.method, t.name.is_some()) {
        (&Method::GET, _) if watch => "watch",
        (&Method::GET, true) => "get",
        (&Method::GET, false) => "list",
        (&Method::POST, _) => "create",
        (&Method::PUT, _) => "update",
        (&Method::PATCH, _) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => "get",
    }
}

/// RBAC as the tests configure it: whole namespaces forbidden, optionally the cluster scope.
fn authorize(shared: &Shared, t: &Target, verb: &str) -> Result<(), ApiError> {
    let scope_ns = t.ns.clone().or_else(|| {
        if t.rt.plural == "namespaces" {
            t.name.clone()
        } else {
            None
        }
    });
    let denied = match &scope_ns {
        Some(ns) => lock(&shared.forbidden).contains(ns),
        None => shared.cluster_scope_forbidden.load(Ordering::SeqCst),
    };
    if !denied {
        return Ok(());
    }
    let resource = match &t.sub {
        Some(s) => format!("{}/{s}", t.rt.plural),
        None => t.rt.plural.to_string(),
    };
    let scope = match &scope_ns {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let what = format!(
        "User \"{}\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
        shared.user, t.rt.group
    );
    let name = t.name.clone().unwrap_or_default();
    let message = if name.is_empty() {
        format!("{} is forbidden: {what}", t.rt.qualified())
    } else {
        format!("{} \"{name}\" is forbidden: {what}", t.rt.qualified())
    };
    Err(ApiError::new(403, "Forbidden", message).with_details(t.rt.details(&name)))
}

async fn resource(
    shared: Arc<Shared>,
    r: Req,
    group: &str,
    version: &str,
    segs: &[&str],
) -> Response<Body> {
    let (ns, rest) = if segs[0] == "namespaces" && segs.len() >= 3 {
        (Some(segs[1].to_string()), &segs[2..])
    } else {
        (None, segs)
    };
    let Some(rt) = by_path(group, version, rest[0]).filter(|rt| !rt.crd || shared.crds_installed())
    else {
        return err_resp(&ApiError::no_resource());
    };
    if !rt.namespaced && ns.is_some() {
        return err_resp(&ApiError::no_resource());
    }
    let t = Target {
        rt,
        ns,
        name: rest.get(1).map(|s| s.to_string()),
        sub: rest.get(2).map(|s| s.to_string()),
        rest: rest.iter().skip(3).map(|s| s.to_string()).collect(),
    };
    if rt.namespaced && t.ns.is_none() && t.name.is_some() {
        return err_resp(&ApiError::no_resource());
    }
    if let Some(sub) = &t.sub {
        if !rt.subresources.iter().any(|(s, _)| s == sub) {
            return err_resp(&ApiError::no_resource());
        }
    }
    let verb = verb_of(&r, &t);
    if let Err(e) = authorize(&shared, &t, verb) {
        return err_resp(&e);
    }
    let ns = t.ns.clone().unwrap_or_default();
    let name = t.name.clone().unwrap_or_default();
    let result = match (t.sub.as_deref(), verb) {
        (Some("log"), "get") => return super::logs::serve(shared, &r, &ns, &name).await,
        (Some("proxy"), _) => return super::proxy::serve(shared, &r, &ns, &name, &t.rest).await,
        (_, "watch") => {
            return match Filter::parse(r.q("labelSelector"), r.q("fieldSelector")) {
                Ok(mut filter) => {
                    if let Some(n) = &t.name {
                        filter
                            .fields
                            .push(objects::Requirement::Eq("metadata.name".into(), n.clone()));
                    }
                    super::watch::serve(shared, &r, rt, t.ns.clone(), filter).await
                }
                Err(e) => err_resp(&e),
            }
        }
        (None, "list") => list(&shared, &r, &t),
        (_, "get") => get(&shared, &r, &t),
        (None, "create") => create(&shared, &r, &t),
        (_, "update") => update(&shared, &r, &t),
        (_, "patch") => patch(&shared, &r, &t),
        (None, "delete") => delete(&shared, &t),
        (None, "deletecollection") => delete_collection(&shared, &r, &t),
        _ => Err(ApiError::method_not_allowed()),
    };
    match result {
        Ok((code, v)) => json_resp(code, &v),
        Err(e) => err_resp(&e),
    }
}

type Answer = Result<(u16, Value), ApiError>;

fn list(shared: &Shared, r: &Req, t: &Target) -> Answer {
    let filter = Filter::parse(r.q("labelSelector"), r.q("fieldSelector"))?;
    let (items, rv) = {
        let store = lock(&shared.store);
        let items: Vec<Value> = store
            .list(t.rt, t.ns.as_deref())
            .into_iter()
            .filter(|o| filter.matches(o))
            .collect();
        (items, store.rv)
    };
    if r.wants_table() {
        return Ok((200, table(t.rt, &items, rv, r.q("includeObject"))));
    }
    Ok((
        200,
        json!({
            "kind": t.rt.list_kind(),
            "apiVersion": t.rt.api_version(),
            "metadata": {"resourceVersion": rv.to_string()},
            "items": items.iter().map(|o| list_item(t.rt, o)).collect::<Vec<_>>(),
        }),
    ))
}

fn get(shared: &Shared, r: &Req, t: &Target) -> Answer {
    let name = t.name.as_deref().unwrap_or_default();
    let (obj, rv) = {
        let store = lock(&shared.store);
        let obj = store
            .get(t.rt, t.ns.as_deref().unwrap_or_default(), name)
            .cloned();
        (obj, store.rv)
    };
    let obj = obj.ok_or_else(|| ApiError::not_found(t.rt, name))?;
    if r.wants_table() {
        return Ok((200, table(t.rt, &[obj], rv, r.q("includeObject"))));
    }
    Ok((200, obj))
}

fn parse_body(r: &Req) -> Result<Value, ApiError> {
    serde_json::from_slice(&r.body).map_err(|e| {
        ApiError::bad_request(format!(
            "error decoding request body (this fake reads JSON only): {e}"
        ))
    })
}

fn check_type(t: &Target, obj: &Value) -> Result<(), ApiError> {
    if let Some(av) = obj["apiVersion"].as_str() {
        if av != t.rt.api_version() {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({av}) does not match the expected API version ({})",
                t.rt.api_version()
            )));
        }
    }
    if let Some(k) = obj["kind"].as_str() {
        if k != t.rt.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({k}) does not match the expected kind ({})",
                t.rt.kind
            )));
        }
    }
    Ok(())
}

fn check_namespace(t: &Target, obj: &mut Value) -> Result<(), ApiError> {
    if let Some(ns) = &t.ns {
        match obj["metadata"]["namespace"].as_str() {
            Some(n) if n != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ))
            }
            _ => obj["metadata"]["namespace"] = json!(ns),
        }
    }
    Ok(())
}

fn has_status_sub(rt: &ResourceType) -> bool {
    rt.subresources.iter().any(|(s, _)| *s == "status")
}

fn create(shared: &Shared, r: &Req, t: &Target) -> Answer {
    let mut obj = parse_body(r)?;
    check_type(t, &obj)?;
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    check_namespace(t, &mut obj)?;
    if obj["metadata"]["name"].as_str().unwrap_or("").is_empty() {
        match obj["metadata"]["generateName"].as_str() {
            Some(g) if !g.is_empty() => {
                obj["metadata"]["name"] = json!(format!("{g}{}", objects::name_suffix(5)))
            }
            _ => {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    format!(
                        "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                        t.rt.kind
                    ),
                ))
            }
        }
    }
    let name = objects::meta_str(&obj, "name").to_string();
    if let Some(m) = obj["metadata"].as_object_mut() {
        m.remove("resourceVersion");
        m.remove("uid");
    }
    if has_status_sub(t.rt) && t.rt.plural != "namespaces" {
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
    }
    obj["apiVersion"] = json!(t.rt.api_version());
    obj["kind"] = json!(t.rt.kind);
    let fields = fields_v1(&obj);
    record_manager(&mut obj, &r.manager(), "Update", None, fields);
    let out = {
        let mut store = lock(&shared.store);
        let ns = t.ns.clone().unwrap_or_default();
        if t.rt.namespaced && !store.namespace_exists(&ns) {
            return Err(ApiError::not_found(objects::by_plural("namespaces"), &ns));
        }
        if store.get(t.rt, &ns, &name).is_some() {
            return Err(ApiError::already_exists(t.rt, &name));
        }
        if t.rt.plural == "namespaces" && obj["status"].is_null() {
            obj["status"] = json!({"phase": "Active"});
        }
        store.commit(t.rt, obj)
    };
    shared.notify();
    Ok((201, out))
}

/// Builds the new state of an existing object from a full replacement (`PUT`) or a patched copy:
/// the main resource keeps the stored status, `/status` keeps everything but the status.
fn merge_for_target(t: &Target, old: &Value, mut new: Value) -> Value {
    let status_sub = t.sub.as_deref() == Some("status");
    if status_sub {
        let mut out = old.clone();
        match new.get_mut("status").map(Value::take) {
            Some(st) if !st.is_null() => out["status"] = st,
            _ => {
                if let Some(m) = out.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        out
    } else {
        if has_status_sub(t.rt) && t.rt.plural != "namespaces" {
            new["status"] = old["status"].clone();
            if new["status"].is_null() {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        new
    }
}

fn check_rv(t: &Target, name: &str, old: &Value, new: &Value) -> Result<(), ApiError> {
    if let Some(rv) = new["metadata"]["resourceVersion"].as_str() {
        if !rv.is_empty() && old["metadata"]["resourceVersion"].as_str() != Some(rv) {
            return Err(ApiError::conflict(t.rt, name));
        }
    }
    Ok(())
}

fn update(shared: &Shared, r: &Req, t: &Target) -> Answer {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns.clone().unwrap_or_default();
    let mut obj = parse_body(r)?;
    check_type(t, &obj)?;
    check_namespace(t, &mut obj)?;
    if objects::meta_str(&obj, "name") != name {
        return Err(ApiError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    let out = {
        let mut store = lock(&shared.store);
        let old = store
            .get(t.rt, &ns, &name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(t.rt, &name))?;
        check_rv(t, &name, &old, &obj)?;
        if obj["metadata"]["managedFields"].is_null() {
            obj["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
        }
        let fields = fields_v1(&obj);
        let mut new = merge_for_target(t, &old, obj);
        record_manager(&mut new, &r.manager(), "Update", t.sub.as_deref(), fields);
        store.commit(t.rt, new)
    };
    shared.notify();
    Ok((200, out))
}

fn patch(shared: &Shared, r: &Req, t: &Target) -> Answer {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns.clone().unwrap_or_default();
    let ct = r.content_type().to_string();
    let body = parse_body(r)?;
    let apply = ct == "application/apply-patch+yaml";
    match ct.as_str() {
        "application/merge-patch+json" | "application/json-patch+json" => {}
        "application/apply-patch+yaml" => {
            if r.q("fieldManager").unwrap_or("").is_empty() {
                return Err(ApiError::new(
                    422,
                    "Invalid",
                    "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                ));
            }
            check_type(t, &body)?;
            if body["apiVersion"].is_null() || body["kind"].is_null() {
                return Err(ApiError::bad_request(
                    "invalid object type: apiVersion and kind must be set for apply",
                ));
            }
        }
        "application/strategic-merge-patch+json" if !t.rt.crd => {}
        _ => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: \
                     application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{}",
                    if t.rt.crd { "" } else { ", application/strategic-merge-patch+json" }
                ),
            ))
        }
    }
    let (code, out) = {
        let mut store = lock(&shared.store);
        let old = store.get(t.rt, &ns, &name).cloned();
        let (code, old) = match old {
            Some(o) => (200, o),
            None if apply && t.sub.is_none() => {
                if t.rt.namespaced && !store.namespace_exists(&ns) {
                    return Err(ApiError::not_found(objects::by_plural("namespaces"), &ns));
                }
                let mut fresh = json!({
                    "apiVersion": t.rt.api_version(),
                    "kind": t.rt.kind,
                    "metadata": {"name": name},
                });
                if t.rt.namespaced {
                    fresh["metadata"]["namespace"] = json!(ns);
                }
                (201, fresh)
            }
            None => return Err(ApiError::not_found(t.rt, &name)),
        };
        let mut patched = old.clone();
        if ct == "application/json-patch+json" {
            objects::json_patch(&mut patched, &body)
                .map_err(|e| ApiError::new(422, "Invalid", e))?;
        } else {
            if let Some(n) = body["metadata"]["name"].as_str() {
                if n != name {
                    return Err(ApiError::bad_request(
                        "the name of the object does not match the name on the URL",
                    ));
                }
            }
            check_rv(t, &name, &old, &body)?;
            let mut b = body.clone();
            if let Some(m) = b.get_mut("metadata").and_then(Value::as_object_mut) {
                m.remove("resourceVersion");
                m.remove("managedFields");
            }
            merge_patch(&mut patched, &b);
        }
        let mut new = if code == 201 {
            if let Some(m) = patched.as_object_mut() {
                if has_status_sub(t.rt) {
                    m.remove("status");
                }
            }
            patched
        } else {
            merge_for_target(t, &old, patched)
        };
        new["metadata"]["managedFields"] = old["metadata"]["managedFields"].clone();
        if apply {
            let manager = r.q("fieldManager").unwrap_or_default();
            record_manager(
                &mut new,
                manager,
                "Apply",
                t.sub.as_deref(),
                fields_v1(&body),
            );
        } else {
            let fields = if ct == "application/json-patch+json" {
                json!({})
            } else {
                fields_v1(&body)
            };
            record_manager(&mut new, &r.manager(), "Update", t.sub.as_deref(), fields);
        }
        (code, store.commit(t.rt, new))
    };
    shared.notify();
    Ok((code, out))
}

fn delete(shared: &Shared, t: &Target) -> Answer {
    let name = t.name.clone().unwrap_or_default();
    let ns = t.ns.clone().unwrap_or_default();
    let out = {
        let mut store = lock(&shared.store);
        let out = store
            .delete(t.rt, &ns, &name)
            .ok_or_else(|| ApiError::not_found(t.rt, &name))?;
        if t.rt.plural == "namespaces" {
            let keys: Vec<_> = store
                .objects
                .keys()
                .filter(|(_, n, _)| n == &name)
                .cloned()
                .collect();
            for (plural, n, obj_name) in keys {
                store.delete(objects::by_plural(plural), &n, &obj_name);
            }
        }
        out
    };
    shared.notify();
    shared.notify_logs();
    Ok((200, out))
}

fn delete_collection(shared: &Shared, r: &Req, t: &Target) -> Answer {
    let filter = Filter::parse(r.q("labelSelector"), r.q("fieldSelector"))?;
    let ns = t.ns.clone();
    let deleted = {
        let mut store = lock(&shared.store);
        let victims: Vec<Value> = store
            .list(t.rt, ns.as_deref())
            .into_iter()
            .filter(|o| filter.matches(o))
            .collect();
        let mut out = Vec::new();
        for v in victims {
            let n = objects::meta_str(&v, "namespace").to_string();
            let name = objects::meta_str(&v, "name").to_string();
            if let Some(o) = store.delete(t.rt, &n, &name) {
                out.push(list_item(t.rt, &o));
            }
        }
        (out, store.rv)
    };
    shared.notify();
    shared.notify_logs();
    Ok((
        200,
        json!({
            "kind": t.rt.list_kind(),
            "apiVersion": t.rt.api_version(),
            "metadata": {"resourceVersion": deleted.1.to_string()},
            "items": deleted.0,
        }),
    ))
}

// ---------------------------------------------------------------------------------------------
// Server-side printing (what `kubectl get` without -o asks for)
// ---------------------------------------------------------------------------------------------

/// kubectl's `HumanDuration`, as the API server renders the Age column.
pub fn human_age(created: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(created) else {
        return "<unknown>".into();
    };
    let secs = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds();
    if secs < -1 {
        return "<invalid>".into();
    }
    let s = secs.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else {
        format!("{}y", d / 365)
    }
}

fn col(name: &str, ty: &str, format: &str, priority: i64) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
}

fn pod_cells(p: &Value) -> Vec<Value> {
    let cs = p["status"]["containerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let total = p["spec"]["containers"].as_array().map_or(0, Vec::len);
    let ready = cs.iter().filter(|c| c["ready"] == true).count();
    let restarts: i64 = cs.iter().filter_map(|c| c["restartCount"].as_i64()).sum();
    let mut status = p["status"]["phase"]
        .as_str()
        .unwrap_or("Unknown")
        .to_string();
    if let Some(r) = p["status"]["reason"].as_str() {
        status = r.to_string();
    }
    for c in &cs {
        if let Some(r) = c["state"]["waiting"]["reason"].as_str() {
            status = r.to_string();
        } else if let Some(r) = c["state"]["terminated"]["reason"].as_str() {
            status = r.to_string();
        }
    }
    vec![
        json!(objects::meta_str(p, "name")),
        json!(format!("{ready}/{total}")),
        json!(status),
        json!(restarts),
        json!(human_age(objects::meta_str(p, "creationTimestamp"))),
        json!(p["status"]["podIP"].as_str().unwrap_or("<none>")),
        json!(p["spec"]["nodeName"].as_str().unwrap_or("<none>")),
        json!("<none>"),
        json!("<none>"),
    ]
}

/// Computes a row's cells from an object.
type Cells = Box<dyn Fn(&Value) -> Vec<Value>>;

fn table(rt: &ResourceType, items: &[Value], rv: u64, include: Option<&str>) -> Value {
    let name_col = col("Name", "string", "name", 0);
    let age = col("Age", "string", "", 0);
    let s = |o: &Value, ptr: &str| json!(o.pointer(ptr).and_then(Value::as_str).unwrap_or(""));
    let (columns, cells): (Vec<Value>, Cells) = match rt.plural {
        "pods" => (
            vec![
                name_col,
                col("Ready", "string", "", 0),
                col("Status", "string", "", 0),
                col("Restarts", "string", "", 0),
                age,
                col("IP", "string", "", 1),
                col("Node", "string", "", 1),
                col("Nominated Node", "string", "", 1),
                col("Readiness Gates", "string", "", 1),
            ],
            Box::new(pod_cells),
        ),
        "deployments" => (
            vec![
                name_col,
                col("Ready", "string", "", 0),
                col("Up-to-date", "integer", "", 0),
                col("Available", "integer", "", 0),
                age,
            ],
            Box::new(|o: &Value| {
                vec![
                    json!(objects::meta_str(o, "name")),
                    json!(format!(
                        "{}/{}",
                        o["status"]["readyReplicas"].as_i64().unwrap_or(0),
                        o["spec"]["replicas"].as_i64().unwrap_or(0)
                    )),
                    json!(o["status"]["updatedReplicas"].as_i64().unwrap_or(0)),
                    json!(o["status"]["availableReplicas"].as_i64().unwrap_or(0)),
                    json!(human_age(objects::meta_str(o, "creationTimestamp"))),
                ]
            }),
        ),
        "services" => (
            vec![
                name_col,
                col("Type", "string", "", 0),
                col("Cluster-IP", "string", "", 0),
                col("External-IP", "string", "", 0),
                col("Port(s)", "string", "", 0),
                age,
            ],
            Box::new(|o: &Value| {
                let ports: Vec<String> = o["spec"]["ports"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| {
                                format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                vec![
                    json!(objects::meta_str(o, "name")),
                    json!(o["spec"]["type"].as_str().unwrap_or("ClusterIP")),
                    json!(o["spec"]["clusterIP"].as_str().unwrap_or("")),
                    json!("<none>"),
                    json!(ports.join(",")),
                    json!(human_age(objects::meta_str(o, "creationTimestamp"))),
                ]
            }),
        ),
        "namespaces" => (
            vec![name_col, col("Status", "string", "", 0), age],
            Box::new(move |o: &Value| {
                vec![
                    json!(objects::meta_str(o, "name")),
                    s(o, "/status/phase"),
                    json!(human_age(objects::meta_str(o, "creationTimestamp"))),
                ]
            }),
        ),
        // The operator CRDs' additionalPrinterColumns.
        "flinkdeployments" | "flinksessionjobs" => (
            vec![
                name_col,
                col("Job Status", "string", "", 0),
                col("Lifecycle State", "string", "", 0),
                age,
            ],
            Box::new(move |o: &Value| {
                vec![
                    json!(objects::meta_str(o, "name")),
                    s(o, "/status/jobStatus/state"),
                    s(o, "/status/lifecycleState"),
                    json!(human_age(objects::meta_str(o, "creationTimestamp"))),
                ]
            }),
        ),
        "flinkstatesnapshots" => (
            vec![
                name_col,
                col("Path", "string", "", 0),
                col("Result Timestamp", "string", "", 0),
                col("Snapshot State", "string", "", 0),
                age,
            ],
            Box::new(move |o: &Value| {
                vec![
                    json!(objects::meta_str(o, "name")),
                    s(o, "/status/path"),
                    s(o, "/status/resultTimestamp"),
                    s(o, "/status/state"),
                    json!(human_age(objects::meta_str(o, "creationTimestamp"))),
                ]
            }),
        ),
        _ => (
            vec![name_col, age],
            Box::new(|o: &Value| {
                vec![
                    json!(objects::meta_str(o, "name")),
                    json!(human_age(objects::meta_str(o, "creationTimestamp"))),
                ]
            }),
        ),
    };
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let mut row = json!({"cells": cells(o)});
            match include.unwrap_or("Metadata") {
                "None" => {}
                "Object" => row["object"] = o.clone(),
                _ => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": o["metadata"],
                    })
                }
            }
            row
        })
        .collect();
    let mut t = Map::new();
    t.insert("kind".into(), json!("Table"));
    t.insert("apiVersion".into(), json!("meta.k8s.io/v1"));
    t.insert(
        "metadata".into(),
        json!({"resourceVersion": rv.to_string()}),
    );
    t.insert("columnDefinitions".into(), json!(columns));
    t.insert("rows".into(), json!(rows));
    Value::Object(t)
}

pub fn table_for_watch(rt: &ResourceType, obj: &Value, rv: u64, include: Option<&str>) -> Value {
    table(rt, std::slice::from_ref(obj), rv, include)
}

pub fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
