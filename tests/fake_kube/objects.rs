//! The object store: which resources exist (with their discovery facts), objects as
//! `serde_json::Value`, the global resourceVersion counter, the event history that watches
//! replay, patch algorithms (RFC 7386 merge, RFC 6902 JSON patch, a simplified server-side apply),
//! label/field selectors and `Status` errors.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------------
// Resource types
// ---------------------------------------------------------------------------------------------

/// One served resource, with what discovery says about it.
#[derive(Debug)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Subresources and their verbs (`status`, `log`, `proxy`).
    pub subresources: &'static [(&'static str, &'static [&'static str])],
    /// Served only while the test says the Flink operator's CRDs are installed.
    pub crd: bool,
}

impl ResourceType {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `flinkdeployments.flink.apache.org`: how the API server names a resource in
    /// messages (`schema.GroupResource.String()`).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// Status error `details` for an object of this resource.
    pub fn details(&self, name: &str) -> Value {
        let mut d = Map::new();
        if !name.is_empty() {
            d.insert("name".into(), json!(name));
        }
        if !self.group.is_empty() {
            d.insert("group".into(), json!(self.group));
        }
        d.insert("kind".into(), json!(self.plural));
        Value::Object(d)
    }
}

pub const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const STATUS: (&str, &[&str]) = ("status", &["get", "patch", "update"]);

pub static RESOURCES: &[ResourceType] = &[
    ResourceType {
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        subresources: &[STATUS],
        crd: false,
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        subresources: &[("log", &["get"]), STATUS],
        crd: false,
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "services",
        singular: "service",
        kind: "Service",
        namespaced: true,
        short_names: &["svc"],
        categories: &["all"],
        subresources: &[
            ("proxy", &["create", "delete", "get", "patch", "update"]),
            STATUS,
        ],
        crd: false,
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "configmaps",
        singular: "configmap",
        kind: "ConfigMap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        subresources: &[],
        crd: false,
    },
    ResourceType {
        group: "",
        version: "v1",
        plural: "events",
        singular: "event",
        kind: "Event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        subresources: &[],
        crd: false,
    },
    ResourceType {
        group: "apps",
        version: "v1",
        plural: "deployments",
        singular: "deployment",
        kind: "Deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        subresources: &[STATUS],
        crd: false,
    },
    ResourceType {
        group: "flink.apache.org",
        version: "v1beta1",
        plural: "flinkdeployments",
        singular: "flinkdeployment",
        kind: "FlinkDeployment",
        namespaced: true,
        short_names: &["flinkdep"],
        categories: &[],
        subresources: &[STATUS],
        crd: true,
    },
    ResourceType {
        group: "flink.apache.org",
        version: "v1beta1",
        plural: "flinksessionjobs",
        singular: "flinksessionjob",
        kind: "FlinkSessionJob",
        namespaced: true,
        short_names: &["sessionjob"],
        categories: &[],
        subresources: &[STATUS],
        crd: true,
    },
    ResourceType {
        group: "flink.apache.org",
        version: "v1beta1",
        plural: "flinkstatesnapshots",
        singular: "flinkstatesnapshot",
        kind: "FlinkStateSnapshot",
        namespaced: true,
        short_names: &["flinksnp"],
        categories: &[],
        subresources: &[STATUS],
        crd: true,
    },
];

pub fn by_path(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

pub fn by_plural(plural: &str) -> &'static ResourceType {
    RESOURCES
        .iter()
        .find(|r| r.plural == plural)
        .unwrap_or_else(|| panic!("fake_kube: no resource {plural}"))
}

// ---------------------------------------------------------------------------------------------
// Errors as the API server writes them
// ---------------------------------------------------------------------------------------------

/// A failed request, answered with a `Status` object.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn status(&self) -> Value {
        let mut s = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(d) = &self.details {
            s["details"] = d.clone();
        }
        s
    }

    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", rt.qualified()),
        )
        .with_details(rt.details(name))
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        ApiError::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", rt.qualified()),
        )
        .with_details(rt.details(name))
    }

    pub fn conflict(rt: &ResourceType, name: &str) -> Self {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                rt.qualified()
            ),
        )
        .with_details(rt.details(name))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    /// The generic answer for a path the server does not serve.
    pub fn no_resource() -> Self {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers: time, ids
// ---------------------------------------------------------------------------------------------

pub fn now_rfc3339() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A small non-cryptographic random source (splitmix64), enough for uids and name suffixes.
pub fn rand_u64() -> u64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = STATE.load(Ordering::Relaxed);
    if seed == 0 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        let _ = STATE.compare_exchange(
            0,
            t ^ (std::process::id() as u64) << 32,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
    let mut z = STATE
        .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub fn new_uid() -> String {
    let a = rand_u64();
    let b = rand_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

pub fn hex(n: usize) -> String {
    let mut s = String::new();
    while s.len() < n {
        s.push_str(&format!("{:016x}", rand_u64()));
    }
    s.truncate(n);
    s
}

/// Characters Kubernetes uses for generated name suffixes (no vowels, no confusable digits).
pub fn name_suffix(n: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..n)
        .map(|_| ALPHABET[(rand_u64() % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

pub fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj["metadata"][field].as_str().unwrap_or("")
}

// ---------------------------------------------------------------------------------------------
// Store
// ---------------------------------------------------------------------------------------------

/// (plural, namespace or "", name)
pub type Key = (&'static str, String, String);

#[derive(Debug, Clone)]
pub struct Event {
    pub rv: u64,
    pub kind: &'static str,
    pub plural: &'static str,
    pub ns: String,
    pub object: Value,
    /// The object before a MODIFIED (for selector transitions in watches).
    pub old: Option<Value>,
}

pub struct Store {
    pub rv: u64,
    pub objects: BTreeMap<Key, Value>,
    pub events: VecDeque<Event>,
    pub max_events: usize,
    /// Events with a resourceVersion up to this one are no longer kept (watch → 410 Expired).
    pub compacted: u64,
}

impl Store {
    pub fn new(max_events: usize) -> Self {
        Store {
            rv: 1,
            objects: BTreeMap::new(),
            events: VecDeque::new(),
            max_events,
            compacted: 0,
        }
    }

    fn next_rv(&mut self) -> u64 {
        self.rv += 1;
        self.rv
    }

    fn record(
        &mut self,
        kind: &'static str,
        rt: &ResourceType,
        ns: &str,
        object: Value,
        old: Option<Value>,
    ) {
        self.events.push_back(Event {
            rv: self.rv,
            kind,
            plural: rt.plural,
            ns: ns.to_string(),
            object,
            old,
        });
        while self.events.len() > self.max_events {
            if let Some(e) = self.events.pop_front() {
                self.compacted = e.rv;
            }
        }
    }

    /// Forgets the whole event history: any watch from an older resourceVersion gets 410.
    pub fn compact(&mut self) {
        self.events.clear();
        self.compacted = self.rv;
    }

    pub fn key(rt: &'static ResourceType, ns: &str, name: &str) -> Key {
        (
            rt.plural,
            if rt.namespaced {
                ns.to_string()
            } else {
                String::new()
            },
            name.to_string(),
        )
    }

    pub fn get(&self, rt: &'static ResourceType, ns: &str, name: &str) -> Option<&Value> {
        self.objects.get(&Self::key(rt, ns, name))
    }

    pub fn list(&self, rt: &'static ResourceType, ns: Option<&str>) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((p, n, _), _)| *p == rt.plural && ns.is_none_or(|ns| ns == n))
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        self.objects
            .contains_key(&("namespaces", String::new(), ns.to_string()))
    }

    /// Writes `obj` (already validated) as the new state of its key: fills in server-set
    /// metadata, bumps resourceVersion, bumps generation when anything outside metadata and
    /// status changed, and records the watch event. Returns the stored object.
    pub fn commit(&mut self, rt: &'static ResourceType, mut obj: Value) -> Value {
        let name = meta_str(&obj, "name").to_string();
        let ns = if rt.namespaced {
            meta_str(&obj, "namespace").to_string()
        } else {
            String::new()
        };
        assert!(
            !name.is_empty(),
            "fake_kube: an object without metadata.name: {obj}"
        );
        let key = Self::key(rt, &ns, &name);
        let old = self.objects.get(&key).cloned();
        obj["apiVersion"] = json!(rt.api_version());
        obj["kind"] = json!(rt.kind);
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        if !rt.namespaced {
            if let Some(m) = obj["metadata"].as_object_mut() {
                m.remove("namespace");
            }
        }
        let rv = self.next_rv();
        let m = obj["metadata"].as_object_mut().expect("metadata");
        m.insert("resourceVersion".into(), json!(rv.to_string()));
        match &old {
            Some(old) => {
                for k in ["uid", "creationTimestamp"] {
                    m.insert(k.into(), old["metadata"][k].clone());
                }
                let gen = old["metadata"]["generation"].as_i64().unwrap_or(1);
                let changed = spec_part(old) != spec_part(&obj);
                obj["metadata"]["generation"] = json!(if changed { gen + 1 } else { gen });
            }
            None => {
                m.insert("uid".into(), json!(new_uid()));
                m.insert("creationTimestamp".into(), json!(now_rfc3339()));
                m.insert("generation".into(), json!(1));
            }
        }
        self.objects.insert(key, obj.clone());
        let kind = if old.is_some() { "MODIFIED" } else { "ADDED" };
        self.record(kind, rt, &ns, obj.clone(), old);
        obj
    }

    pub fn delete(&mut self, rt: &'static ResourceType, ns: &str, name: &str) -> Option<Value> {
        let key = Self::key(rt, ns, name);
        let mut obj = self.objects.remove(&key)?;
        let rv = self.next_rv();
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        self.record("DELETED", rt, &key.1, obj.clone(), None);
        Some(obj)
    }
}

/// Everything that counts as "spec" for metadata.generation: the object minus metadata, status
/// and the type fields.
fn spec_part(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        for k in ["metadata", "status", "apiVersion", "kind"] {
            m.remove(k);
        }
    }
    o
}

// ---------------------------------------------------------------------------------------------
// Patches
// ---------------------------------------------------------------------------------------------

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn pointer_parts(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(vec![]);
    }
    if !path.starts_with('/') {
        return Err(format!("invalid JSON pointer {path:?}"));
    }
    Ok(path[1..]
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn json_patch_add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let parts = pointer_parts(path)?;
    let Some((last, parents)) = parts.split_last() else {
        *doc = value;
        return Ok(());
    };
    let mut cur = doc;
    for p in parents {
        cur = match cur {
            Value::Object(m) => m
                .get_mut(p)
                .ok_or_else(|| format!("missing path {path:?}"))?,
            Value::Array(a) => {
                let i: usize = p.parse().map_err(|_| format!("bad index in {path:?}"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("missing path {path:?}"))?
            }
            _ => return Err(format!("missing path {path:?}")),
        };
    }
    match cur {
        Value::Object(m) => {
            m.insert(last.clone(), value);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
            } else {
                let i: usize = last.parse().map_err(|_| format!("bad index in {path:?}"))?;
                if i > a.len() {
                    return Err(format!("index out of range in {path:?}"));
                }
                a.insert(i, value);
            }
        }
        _ => return Err(format!("missing path {path:?}")),
    }
    Ok(())
}

fn json_patch_remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let parts = pointer_parts(path)?;
    let Some((last, parents)) = parts.split_last() else {
        return Err("cannot remove the root".into());
    };
    let parent_ptr: String = parents
        .iter()
        .map(|p| format!("/{}", p.replace('~', "~0").replace('/', "~1")))
        .collect();
    let parent = doc
        .pointer_mut(&parent_ptr)
        .ok_or_else(|| format!("missing path {path:?}"))?;
    match parent {
        Value::Object(m) => m
            .remove(last)
            .ok_or_else(|| format!("missing path {path:?}")),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| format!("bad index in {path:?}"))?;
            if i >= a.len() {
                return Err(format!("missing path {path:?}"));
            }
            Ok(a.remove(i))
        }
        _ => Err(format!("missing path {path:?}")),
    }
}

/// RFC 6902 JSON patch (add, remove, replace, move, copy, test).
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops.as_array().ok_or("a JSON patch must be an array")?;
    for op in ops {
        let path = op["path"].as_str().ok_or("operation without path")?;
        match op["op"].as_str().unwrap_or("") {
            "add" => json_patch_add(doc, path, op["value"].clone())?,
            "remove" => {
                json_patch_remove(doc, path)?;
            }
            "replace" => {
                json_patch_remove(doc, path)?;
                json_patch_add(doc, path, op["value"].clone())?;
            }
            "move" => {
                let from = op["from"].as_str().ok_or("move without from")?;
                let v = json_patch_remove(doc, from)?;
                json_patch_add(doc, path, v)?;
            }
            "copy" => {
                let from = op["from"].as_str().ok_or("copy without from")?;
                let v = doc
                    .pointer(from)
                    .cloned()
                    .ok_or_else(|| format!("missing path {from:?}"))?;
                json_patch_add(doc, path, v)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&op["value"]) {
                    return Err(format!("testing value {path} failed"));
                }
            }
            other => return Err(format!("unexpected kind of operation {other:?}")),
        }
    }
    Ok(())
}

/// `metadata.managedFields[].fieldsV1` for an applied configuration: `f:<field>` for every map
/// key, `{}` for leaves (lists are owned as a whole), `"."` for maps that have children.
pub fn fields_v1(applied: &Value) -> Value {
    fn walk(v: &Value, top: bool) -> Value {
        let mut out = Map::new();
        if let Value::Object(m) = v {
            if !top && !m.is_empty() {
                out.insert(".".into(), json!({}));
            }
            for (k, child) in m {
                if top && (k == "apiVersion" || k == "kind") {
                    continue;
                }
                let sub = match child {
                    Value::Object(cm) if top && k == "metadata" => {
                        let mut md = cm.clone();
                        md.remove("name");
                        md.remove("namespace");
                        walk(&Value::Object(md), true)
                    }
                    Value::Object(_) => walk(child, false),
                    _ => json!({}),
                };
                if top && k == "metadata" && sub.as_object().is_some_and(|m| m.is_empty()) {
                    continue;
                }
                out.insert(format!("f:{k}"), sub);
            }
        }
        Value::Object(out)
    }
    walk(applied, true)
}

/// Adds or replaces the managedFields entry of (manager, operation, subresource).
pub fn record_manager(
    obj: &mut Value,
    manager: &str,
    operation: &str,
    subresource: Option<&str>,
    fields: Value,
) {
    let api_version = obj["apiVersion"].clone();
    if !obj["metadata"]["managedFields"].is_array() {
        obj["metadata"]["managedFields"] = json!([]);
    }
    let list = obj["metadata"]["managedFields"]
        .as_array_mut()
        .expect("array");
    list.retain(|e| {
        !(e["manager"] == manager
            && e["operation"] == operation
            && e["subresource"].as_str() == subresource)
    });
    let mut entry = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    });
    if let Some(s) = subresource {
        entry["subresource"] = json!(s);
    }
    list.push(entry);
}

// ---------------------------------------------------------------------------------------------
// Selectors
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Splits on commas that are not inside parentheses.
fn split_terms(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c)
            }
            ')' => {
                depth -= 1;
                cur.push(c)
            }
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

fn set_values(s: &str) -> Result<Vec<String>, String> {
    let s = s.trim();
    let inner = s
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("expected a set like (a,b), got {s:?}"))?;
    Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
}

/// Parses a label selector: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`.
pub fn parse_label_selector(s: &str) -> Result<Vec<Requirement>, String> {
    let mut reqs = Vec::new();
    for term in split_terms(s) {
        if let Some(k) = term.strip_prefix('!') {
            reqs.push(Requirement::NotExists(k.trim().to_string()));
        } else if let Some((k, v)) = term.split_once("!=") {
            reqs.push(Requirement::NotEq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = term.split_once("==") {
            reqs.push(Requirement::Eq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = term.split_once('=') {
            reqs.push(Requirement::Eq(k.trim().into(), v.trim().into()));
        } else if let Some((k, v)) = term.split_once(" notin ") {
            reqs.push(Requirement::NotIn(k.trim().into(), set_values(v)?));
        } else if let Some((k, v)) = term.split_once(" in ") {
            reqs.push(Requirement::In(k.trim().into(), set_values(v)?));
        } else if term.contains(char::is_whitespace) || term.contains('(') {
            return Err(format!("unable to parse requirement: {term:?}"));
        } else {
            reqs.push(Requirement::Exists(term));
        }
    }
    Ok(reqs)
}

/// Does `get(key)` satisfy every requirement?
pub fn matches(reqs: &[Requirement], get: impl Fn(&str) -> Option<String>) -> bool {
    reqs.iter().all(|r| match r {
        Requirement::Eq(k, v) => get(k).as_deref() == Some(v.as_str()),
        Requirement::NotEq(k, v) => get(k).as_deref() != Some(v.as_str()),
        Requirement::In(k, vs) => get(k).is_some_and(|x| vs.contains(&x)),
        Requirement::NotIn(k, vs) => get(k).is_none_or(|x| !vs.contains(&x)),
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::NotExists(k) => get(k).is_none(),
    })
}

pub fn label_of(obj: &Value, key: &str) -> Option<String> {
    obj["metadata"]["labels"][key].as_str().map(str::to_string)
}

/// A field selector value: a dotted path into the object (`metadata.name`, `status.phase`,
/// `spec.nodeName`); missing fields compare as "".
pub fn field_of(obj: &Value, path: &str) -> Option<String> {
    let mut cur = obj;
    for p in path.split('.') {
        cur = &cur[p];
    }
    Some(match cur {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// List/watch filter built from `labelSelector` and `fieldSelector`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub labels: Vec<Requirement>,
    pub fields: Vec<Requirement>,
}

impl Filter {
    pub fn parse(labels: Option<&str>, fields: Option<&str>) -> Result<Filter, ApiError> {
        let labels = parse_label_selector(labels.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let fields = parse_label_selector(fields.unwrap_or(""))
            .map_err(|e| ApiError::bad_request(format!("invalid field selector: {e}")))?;
        for f in &fields {
            if !matches!(f, Requirement::Eq(..) | Requirement::NotEq(..)) {
                return Err(ApiError::bad_request(
                    "invalid selector: only =, == and != are supported in field selectors",
                ));
            }
        }
        Ok(Filter { labels, fields })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        matches(&self.labels, |k| label_of(obj, k)) && matches(&self.fields, |k| field_of(obj, k))
    }
}

/// Built-in (non-CRD) list items come without `kind`/`apiVersion`, as the real API server
/// encodes typed lists; custom resources keep them.
pub fn list_item(rt: &ResourceType, obj: &Value) -> Value {
    let mut o = obj.clone();
    if !rt.crd {
        if let Some(m) = o.as_object_mut() {
            m.remove("kind");
            m.remove("apiVersion");
        }
    }
    o
}
