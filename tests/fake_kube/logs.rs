//! Pod logs (`GET /api/v1/namespaces/NS/pods/NAME/log`): the text a test set (or a real file,
//! e.g. a Flink JobManager log) for the current and the previous instance of a container, with
//! the kubelet's checks and messages and the query options `container`, `previous`, `tailLines`,
//! `limitBytes`, `sinceSeconds`, `sinceTime`, `timestamps` and `follow`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hyper::body::Bytes;
use hyper::Response;
use serde_json::{json, Value};

use super::api::{channel_body, err_resp, full, Body, Req};
use super::objects::{by_plural, now_rfc3339, ApiError};
use super::{lock, Shared};

/// Where a container instance's log comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// Chunks of text, each stamped with the time it was written.
    Text(Vec<(DateTime<Utc>, String)>),
    /// A file read at request time (lines stamped by their leading log4j timestamp).
    File(PathBuf),
}

impl Source {
    pub fn text(s: &str) -> Source {
        Source::Text(vec![(Utc::now(), s.to_string())])
    }

    fn lines(&self) -> Vec<(DateTime<Utc>, String)> {
        match self {
            Source::Text(chunks) => chunks
                .iter()
                .flat_map(|(t, s)| s.split_inclusive('\n').map(move |l| (*t, l.to_string())))
                .collect(),
            Source::File(p) => {
                let bytes = std::fs::read(p).unwrap_or_default();
                let mtime = std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .map(DateTime::<Utc>::from)
                    .unwrap_or_else(|_| Utc::now());
                stamp_file_lines(&String::from_utf8_lossy(&bytes), mtime)
            }
        }
    }
}

/// Flink's log4j pattern starts lines with `yyyy-MM-dd HH:mm:ss,SSS` in local time; other lines
/// (stack traces) take the time of the line before them, leading ones the file's mtime.
fn stamp_file_lines(text: &str, fallback: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
    let mut last = None;
    let mut out: Vec<(DateTime<Utc>, String)> = text
        .split_inclusive('\n')
        .map(|l| {
            let t = l
                .get(..23)
                .and_then(|p| {
                    chrono::NaiveDateTime::parse_from_str(p, "%Y-%m-%d %H:%M:%S,%3f").ok()
                })
                .and_then(|n| n.and_local_timezone(chrono::Local).single())
                .map(|d| d.with_timezone(&Utc));
            if t.is_some() {
                last = t;
            }
            (last.unwrap_or(fallback), l.to_string())
        })
        .collect();
    if last.is_none() {
        for l in &mut out {
            l.0 = fallback;
        }
    }
    out
}

#[derive(Debug, Clone)]
pub struct ContainerLogs {
    pub current: Source,
    pub previous: Option<Source>,
    /// Bumped whenever `current` is replaced (a new container instance): followers stop.
    pub instance: u64,
}

type Key = (String, String, String);

fn key(ns: &str, pod: &str, container: &str) -> Key {
    (ns.to_string(), pod.to_string(), container.to_string())
}

pub fn set(
    shared: &Shared,
    ns: &str,
    pod: &str,
    container: &str,
    current: Source,
    previous: Option<Source>,
) {
    let has_previous = previous.is_some();
    {
        let mut logs = lock(&shared.logs);
        let instance = logs
            .get(&key(ns, pod, container))
            .map_or(0, |l| l.instance + 1);
        logs.insert(
            key(ns, pod, container),
            ContainerLogs {
                current,
                previous,
                instance,
            },
        );
    }
    if has_previous {
        shared.update("pods", ns, pod, |p| {
            let Some(list) = p["status"]["containerStatuses"].as_array_mut() else {
                return;
            };
            for cs in list.iter_mut().filter(|c| c["name"] == container) {
                if !cs["lastState"]["terminated"].is_object() {
                    let now = now_rfc3339();
                    cs["lastState"] = json!({"terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "startedAt": now,
                        "finishedAt": now,
                        "containerID": format!("containerd://{}", super::objects::hex(64)),
                    }});
                }
                if cs["restartCount"].as_i64().unwrap_or(0) < 1 {
                    cs["restartCount"] = json!(1);
                }
            }
        });
    }
    shared.notify_logs();
}

pub fn set_current(shared: &Shared, ns: &str, pod: &str, container: &str, current: Source) {
    {
        let mut logs = lock(&shared.logs);
        let k = key(ns, pod, container);
        match logs.get_mut(&k) {
            Some(l) => {
                l.current = current;
                l.instance += 1;
            }
            None => {
                logs.insert(
                    k,
                    ContainerLogs {
                        current,
                        previous: None,
                        instance: 0,
                    },
                );
            }
        }
    }
    shared.notify_logs();
}

pub fn append(shared: &Shared, ns: &str, pod: &str, container: &str, more: &str) {
    {
        let mut logs = lock(&shared.logs);
        let entry = logs
            .entry(key(ns, pod, container))
            .or_insert_with(|| ContainerLogs {
                current: Source::Text(Vec::new()),
                previous: None,
                instance: 0,
            });
        match &mut entry.current {
            Source::Text(chunks) => chunks.push((Utc::now(), more.to_string())),
            Source::File(p) => {
                use std::io::Write;
                let mut f = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&*p)
                    .expect("append to the pod's log file");
                f.write_all(more.as_bytes())
                    .expect("append to the pod's log file");
            }
        }
    }
    shared.notify_logs();
}

/// The kubelet's choice of instance for a log request (`validateContainerLogStatus`).
enum Instance {
    Current,
    Previous,
}

fn choose_instance(
    pod: &Value,
    pod_name: &str,
    container: &str,
    previous: bool,
) -> Result<Instance, ApiError> {
    let statuses = ["containerStatuses", "initContainerStatuses"];
    let cs = statuses
        .iter()
        .filter_map(|k| pod["status"][*k].as_array())
        .flatten()
        .find(|c| c["name"] == container)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{pod_name}\" is not available"
            ))
        })?;
    let last_terminated = cs["lastState"]["terminated"].is_object()
        && cs["lastState"]["terminated"]["containerID"]
            .as_str()
            .is_some_and(|s| !s.is_empty());
    let state = &cs["state"];
    if previous {
        return if last_terminated {
            Ok(Instance::Previous)
        } else {
            Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            )))
        };
    }
    if state["running"].is_object() {
        return Ok(Instance::Current);
    }
    if state["terminated"].is_object() {
        let has_id = state["terminated"]["containerID"]
            .as_str()
            .is_some_and(|s| !s.is_empty());
        return if has_id {
            Ok(Instance::Current)
        } else if last_terminated {
            Ok(Instance::Previous)
        } else {
            Err(ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{pod_name}\" is terminated"
            )))
        };
    }
    if last_terminated {
        return Ok(Instance::Previous);
    }
    if let Some(w) = state["waiting"].as_object() {
        let reason = w.get("reason").and_then(Value::as_str).unwrap_or("");
        let why = match reason {
            "ErrImagePull" => "image can't be pulled".to_string(),
            "ImagePullBackOff" => "trying and failing to pull image".to_string(),
            r => r.to_string(),
        };
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {why}"
        )));
    }
    Err(ApiError::bad_request(format!(
        "container \"{container}\" in pod \"{pod_name}\" is waiting to start - no logs yet"
    )))
}

struct Opts {
    timestamps: bool,
    limit: Option<usize>,
}

fn render(lines: &[(DateTime<Utc>, String)], o: &Opts) -> String {
    let mut s = String::new();
    for (t, l) in lines {
        if o.timestamps {
            s.push_str(&t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true));
            s.push(' ');
        }
        s.push_str(l);
    }
    s
}

fn truncate(s: &mut Vec<u8>, left: &mut Option<usize>) {
    if let Some(n) = left {
        if s.len() > *n {
            s.truncate(*n);
        }
        *n -= s.len();
    }
}

pub async fn serve(shared: Arc<Shared>, r: &Req, ns: &str, pod_name: &str) -> Response<Body> {
    let pod = match lock(&shared.store)
        .get(by_plural("pods"), ns, pod_name)
        .cloned()
    {
        Some(p) => p,
        None => return err_resp(&ApiError::not_found(by_plural("pods"), pod_name)),
    };
    let mut names: Vec<String> = Vec::new();
    for k in ["containers", "initContainers"] {
        for c in pod["spec"][k].as_array().into_iter().flatten() {
            if let Some(n) = c["name"].as_str() {
                names.push(n.to_string());
            }
        }
    }
    let container = match r.q("container").filter(|c| !c.is_empty()) {
        Some(c) if names.iter().any(|n| n == c) => c.to_string(),
        Some(c) => {
            return err_resp(&ApiError::bad_request(format!(
                "container {c} is not valid for pod {pod_name}"
            )))
        }
        None if names.len() == 1 => names[0].clone(),
        None => {
            return err_resp(&ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                names.join(" ")
            )))
        }
    };
    let previous = r.flag("previous");
    let instance = match choose_instance(&pod, pod_name, &container, previous) {
        Ok(i) => i,
        Err(e) => return err_resp(&e),
    };
    let num = |k: &str| r.q(k).and_then(|v| v.parse::<i64>().ok());
    let opts = Opts {
        timestamps: r.flag("timestamps"),
        limit: num("limitBytes").filter(|n| *n > 0).map(|n| n as usize),
    };
    let since: Option<DateTime<Utc>> = num("sinceSeconds")
        .map(|s| Utc::now() - chrono::Duration::seconds(s))
        .or_else(|| {
            r.q("sinceTime")
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
        });
    let (source, instance_no) = {
        let logs = lock(&shared.logs);
        match logs.get(&key(ns, pod_name, &container)) {
            Some(l) => (
                match instance {
                    Instance::Current => Some(l.current.clone()),
                    Instance::Previous => l.previous.clone(),
                },
                l.instance,
            ),
            None => (None, 0),
        }
    };
    let source = source.unwrap_or(Source::Text(Vec::new()));
    let mut lines = source.lines();
    if let Some(s) = since {
        lines.retain(|(t, _)| *t >= s);
    }
    if let Some(n) = num("tailLines") {
        let n = n.max(0) as usize;
        if lines.len() > n {
            lines.drain(..lines.len() - n);
        }
    }
    let mut first = render(&lines, &opts).into_bytes();
    let mut left = opts.limit;
    truncate(&mut first, &mut left);
    if !r.flag("follow") || matches!(instance, Instance::Previous) {
        return full(200, "text/plain", first);
    }

    // follow: what was sent so far, then whatever is appended, until the client goes away, the
    // pod is deleted or the container's log is replaced by a new instance.
    let uid = pod["metadata"]["uid"].clone();
    let (tx, body) = channel_body();
    let mut log_changed = shared.log_changed.subscribe();
    let ns = ns.to_string();
    let pod_name = pod_name.to_string();
    tokio::spawn(async move {
        if !first.is_empty() && tx.send(Bytes::from(first)).await.is_err() {
            return;
        }
        let mut seen_chunks = match &source {
            Source::Text(c) => c.len(),
            Source::File(_) => 0,
        };
        let mut offset = match &source {
            Source::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Source::Text(_) => 0,
        };
        loop {
            if left == Some(0) {
                return;
            }
            let alive = lock(&shared.store)
                .get(by_plural("pods"), &ns, &pod_name)
                .is_some_and(|p| p["metadata"]["uid"] == uid);
            let current = lock(&shared.logs)
                .get(&key(&ns, &pod_name, &container))
                .filter(|l| l.instance == instance_no)
                .map(|l| l.current.clone());
            let (Some(current), true) = (current, alive) else {
                return;
            };
            let new_lines: Vec<(DateTime<Utc>, String)> = match &current {
                Source::Text(chunks) => {
                    let new: Vec<_> = chunks
                        .iter()
                        .skip(seen_chunks)
                        .flat_map(|(t, s)| {
                            s.split_inclusive('\n').map(move |l| (*t, l.to_string()))
                        })
                        .collect();
                    seen_chunks = chunks.len();
                    new
                }
                Source::File(p) => {
                    let data = std::fs::read(p).unwrap_or_default();
                    let len = data.len() as u64;
                    if len < offset {
                        offset = 0;
                    }
                    let new = String::from_utf8_lossy(&data[offset as usize..]).into_owned();
                    offset = len;
                    stamp_file_lines(&new, Utc::now())
                }
            };
            if !new_lines.is_empty() {
                let mut b = render(&new_lines, &opts).into_bytes();
                truncate(&mut b, &mut left);
                if tx.send(Bytes::from(b)).await.is_err() {
                    return;
                }
            }
            tokio::select! {
                _ = log_changed.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(300)) => {}
                _ = tx.closed() => return,
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(body)
        .expect("response")
}
