//! Watches: a chunked stream of JSON lines `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR",
//! "object":{...}}`, replaying the kept event history after the requested resourceVersion.
//!
//! Like the real API server (watch cache), a resourceVersion older than the kept history is
//! answered `200` with a single `ERROR` event carrying a `410` / `Expired` Status (this is what
//! `kube::runtime::watcher` turns into a re-list); a watch without resourceVersion (or with "0")
//! starts with synthetic ADDED events for the current objects. With selectors, an object that
//! stops matching is sent as DELETED and one that starts matching as ADDED.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Bytes;
use hyper::Response;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::api::{channel_body, table_for_watch, Body, Req};
use super::objects::{ApiError, Filter, ResourceType};
use super::{lock, Shared};

/// How long an idle watch waits before it sends a BOOKMARK (when the client allows them).
const BOOKMARK_EVERY: Duration = Duration::from_secs(5);

struct Encoder {
    rt: &'static ResourceType,
    table: bool,
    include: Option<String>,
}

impl Encoder {
    fn line(&self, kind: &str, obj: &Value) -> Bytes {
        let object = if self.table && kind != "BOOKMARK" && kind != "ERROR" {
            let rv = obj["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            table_for_watch(self.rt, obj, rv, self.include.as_deref())
        } else {
            obj.clone()
        };
        let mut s = json!({"type": kind, "object": object}).to_string();
        s.push('\n');
        Bytes::from(s)
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        self.line(
            "BOOKMARK",
            &json!({"kind": self.rt.kind, "apiVersion": self.rt.api_version(), "metadata": meta}),
        )
    }
}

fn expired(requested: u64, oldest: u64) -> Value {
    ApiError::new(
        410,
        "Expired",
        format!("too old resource version: {requested} ({oldest})"),
    )
    .status()
}

pub async fn serve(
    shared: Arc<Shared>,
    r: &Req,
    rt: &'static ResourceType,
    ns: Option<String>,
    filter: Filter,
) -> Response<Body> {
    let requested: Option<u64> = match r.q("resourceVersion").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                return super::api::err_resp(&ApiError::bad_request(format!(
                    "invalid resource version: {s}"
                )))
            }
        },
    };
    let timeout = r
        .q("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1800);
    let bookmarks = r.flag("allowWatchBookmarks");
    let send_initial = r.flag("sendInitialEvents");
    let enc = Encoder {
        rt,
        table: r.header("accept").is_some_and(|a| a.contains("as=Table")),
        include: r.q("includeObject").map(str::to_string),
    };
    let in_scope = {
        let ns = ns.clone();
        move |event_ns: &str| ns.as_deref().is_none_or(|n| n == event_ns)
    };

    // Where the stream starts, decided under the store lock.
    let mut first: Vec<Bytes> = Vec::new();
    let mut cursor;
    let mut done = false;
    {
        let store = lock(&shared.store);
        match requested {
            Some(n) if n != 0 && !send_initial => {
                if n < store.compacted {
                    first.push(enc.line("ERROR", &expired(n, store.compacted + 1)));
                    done = true;
                }
                cursor = n;
            }
            _ => {
                for o in store.list(rt, ns.as_deref()) {
                    if filter.matches(&o) {
                        first.push(enc.line("ADDED", &o));
                    }
                }
                cursor = store.rv;
                if send_initial && bookmarks {
                    first.push(enc.bookmark(store.rv, true));
                }
            }
        }
    }

    let (tx, body) = channel_body();
    let mut changed = shared.changed.subscribe();
    tokio::spawn(async move {
        for b in first {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        if done {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(timeout);
        let mut idle_since = Instant::now();
        loop {
            let (lines, gone) = {
                let store = lock(&shared.store);
                if cursor < store.compacted {
                    (
                        vec![enc.line("ERROR", &expired(cursor, store.compacted + 1))],
                        true,
                    )
                } else {
                    let mut lines = Vec::new();
                    for e in store
                        .events
                        .iter()
                        .filter(|e| e.rv > cursor && e.plural == rt.plural && in_scope(&e.ns))
                    {
                        let now = filter.matches(&e.object);
                        let was = e.old.as_ref().is_some_and(|o| filter.matches(o));
                        let kind = match e.kind {
                            "ADDED" if now => Some("ADDED"),
                            "MODIFIED" if now && was => Some("MODIFIED"),
                            "MODIFIED" if now => Some("ADDED"),
                            "MODIFIED" if was => Some("DELETED"),
                            "DELETED" if now => Some("DELETED"),
                            _ => None,
                        };
                        if let Some(k) = kind {
                            lines.push(enc.line(k, &e.object));
                        }
                    }
                    cursor = cursor.max(store.rv);
                    (lines, false)
                }
            };
            if !lines.is_empty() {
                idle_since = Instant::now();
            }
            for l in lines {
                if tx.send(l).await.is_err() {
                    return;
                }
            }
            if gone || (rt.crd && !shared.crds_installed()) {
                return;
            }
            tokio::select! {
                r = changed.changed() => {
                    if r.is_err() {
                        return;
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    if bookmarks {
                        let _ = tx.send(enc.bookmark(cursor, false)).await;
                    }
                    return;
                }
                _ = tokio::time::sleep_until(idle_since + BOOKMARK_EVERY) => {
                    idle_since = Instant::now();
                    if bookmarks {
                        // Only when nothing for this watch is pending (the loop re-checks first).
                        let pending = {
                            let store = lock(&shared.store);
                            store.events.iter().any(|e| e.rv > cursor)
                        };
                        if !pending && tx.send(enc.bookmark(cursor, false)).await.is_err() {
                            return;
                        }
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "no-cache, private")
        .body(body)
        .expect("response")
}
