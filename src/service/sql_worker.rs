//! Validation and debug runs for the editor: one long-lived SQL helper JVM per Flink version
//! (started on first use, restarted by the helper itself if it dies), so re-validating is fast.
//! Requests are served one at a time in arrival order; a debug run streams its events back.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use tokio::sync::mpsc;

use super::ops::OpsContext;
use crate::domain::{ProblemSeverity, SqlDebugEvent, SqlProblem, WorkerReply, WorkerRequest};
use crate::sqltools::{DebugEvent, DebugOptions, Problem, Severity, SqlHelper};
use crate::store::Store;

/// Pending SQL requests (validations are small; a burst beyond this waits in the UI's channel).
const QUEUE: usize = 16;

impl From<Problem> for SqlProblem {
    fn from(p: Problem) -> SqlProblem {
        SqlProblem {
            line: p.line,
            column: p.column,
            statement: p.statement,
            severity: match p.severity {
                Severity::Error => ProblemSeverity::Error,
                Severity::Warning => ProblemSeverity::Warning,
            },
            message: p.message,
        }
    }
}

/// Starts the SQL worker; returns where to send `ValidateSql` / `DebugSql` requests.
pub fn spawn_sql_worker(
    ops: OpsContext,
    replies: mpsc::Sender<WorkerReply>,
) -> mpsc::Sender<WorkerRequest> {
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(run(ops, rx, replies));
    tx
}

struct Helpers {
    ops: OpsContext,
    /// Flink version → its helper.
    by_version: HashMap<String, SqlHelper>,
    /// Cluster → the Flink version it reported.
    versions: HashMap<String, String>,
}

/// `${name}` values and secret names.
type Vars = (BTreeMap<String, String>, BTreeSet<String>);

impl Helpers {
    /// The variables for `sql`: the config's, overridden by those of `app`'s spec (when the
    /// request names an app that exists). Only the secrets the script uses are read.
    async fn vars(&self, app: Option<&str>, sql: &str) -> Result<Vars, String> {
        let spec = match app {
            Some(a) => {
                let name = a.to_string();
                match self.ops.store.call(move |s: &mut Store| s.app(&name)).await {
                    Ok(v) => v.map(|v| v.spec),
                    Err(e) => return Err(format!("cannot read app {a}: {e}")),
                }
            }
            None => None,
        };
        self.ops
            .config
            .resolve_vars_for(spec.as_ref(), sql)
            .map_err(|e| e.to_string())
    }

    /// The cluster whose Flink version validates: the asked one, the app's, or the first.
    async fn cluster_for(
        &self,
        app: Option<&str>,
        cluster: Option<&str>,
    ) -> Result<String, String> {
        if let Some(c) = cluster {
            return Ok(c.to_string());
        }
        if let Some(a) = app {
            let name = a.to_string();
            if let Ok(Some(v)) = self.ops.store.call(move |s: &mut Store| s.app(&name)).await {
                return Ok(v.spec.cluster);
            }
        }
        self.ops
            .clusters
            .names()
            .into_iter()
            .next()
            .ok_or_else(|| "no cluster is configured to take the Flink version from".to_string())
    }

    async fn helper(
        &mut self,
        app: Option<&str>,
        cluster: Option<&str>,
    ) -> Result<&mut SqlHelper, String> {
        let cluster = self.cluster_for(app, cluster).await?;
        let version = match self.versions.get(&cluster) {
            Some(v) => v.clone(),
            None => {
                let handle = self
                    .ops
                    .clusters
                    .get(&cluster)
                    .ok_or_else(|| format!("cluster {cluster:?} is not configured"))?;
                let info = handle.client.cluster_info().await.map_err(|e| {
                    format!("cannot ask cluster {cluster} for its Flink version: {e}")
                })?;
                let v = info.flink_version.ok_or_else(|| {
                    format!("cluster {cluster} does not report its Flink version")
                })?;
                self.versions.insert(cluster.clone(), v.clone());
                v
            }
        };
        if !self.by_version.contains_key(&version) {
            let home = self
                .ops
                .config
                .flink_home(&version)
                .map_err(|e| e.to_string())?;
            let helper = SqlHelper::start(&home, &version, &self.ops.helpers_dir, &[])
                .await
                .map_err(|e| e.to_string())?;
            self.by_version.insert(version.clone(), helper);
        }
        self.by_version
            .get_mut(&version)
            .ok_or_else(|| "the SQL helper went away".to_string())
    }
}

async fn run(
    ops: OpsContext,
    mut rx: mpsc::Receiver<WorkerRequest>,
    replies: mpsc::Sender<WorkerReply>,
) {
    let mut helpers = Helpers {
        ops,
        by_version: HashMap::new(),
        versions: HashMap::new(),
    };
    while let Some(req) = rx.recv().await {
        match req {
            WorkerRequest::ValidateSql {
                request,
                app,
                cluster,
                sql,
            } => {
                let started = Instant::now();
                let vars = helpers.vars(app.as_deref(), &sql).await;
                let helper = match vars {
                    Ok(v) => helpers
                        .helper(app.as_deref(), cluster.as_deref())
                        .await
                        .map(|h| (h, v)),
                    Err(e) => Err(e),
                };
                let result = match helper {
                    Ok((h, (vars, secrets))) => h
                        .validate_with(&sql, &vars, &secrets)
                        .await
                        .map(|ps| {
                            (
                                ps.into_iter().map(SqlProblem::from).collect(),
                                started.elapsed().as_millis() as u64,
                            )
                        })
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                if replies
                    .send(WorkerReply::SqlValidated { request, result })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            WorkerRequest::DebugSql {
                request,
                app,
                cluster,
                sql,
                seconds,
                rows,
            } => {
                let send = |event: SqlDebugEvent| {
                    let replies = replies.clone();
                    async move {
                        replies
                            .send(WorkerReply::SqlDebug { request, event })
                            .await
                            .is_ok()
                    }
                };
                if !send(SqlDebugEvent::Started {
                    note: "debug run on fake data: sources replaced by datagen, sinks collected — nothing is written to real systems".into(),
                })
                .await
                {
                    return;
                }
                let opts = DebugOptions {
                    seconds: u64::from(seconds.max(1)),
                    rows: u64::from(rows.max(1)),
                    ..DebugOptions::default()
                };
                let vars = helpers.vars(app.as_deref(), &sql).await;
                let helper = match vars {
                    Ok(v) => helpers
                        .helper(app.as_deref(), cluster.as_deref())
                        .await
                        .map(|h| (h, v)),
                    Err(e) => Err(e),
                };
                let events = match helper {
                    Ok((h, (vars, secrets))) => h
                        .debug(&sql, opts, &vars, &secrets)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e),
                };
                let mut events = match events {
                    Ok(ev) => ev,
                    Err(reason) => {
                        send(SqlDebugEvent::Failed { reason }).await;
                        continue;
                    }
                };
                while let Some(ev) = events.recv().await {
                    let (event, last) = match ev {
                        DebugEvent::Replaced { table, connector } => {
                            (SqlDebugEvent::Replaced { table, connector }, false)
                        }
                        DebugEvent::Sink { sink, columns, .. } => (
                            SqlDebugEvent::Sink {
                                sink,
                                columns: columns.into_iter().map(|c| c.name).collect(),
                            },
                            false,
                        ),
                        DebugEvent::Row(r) => (
                            SqlDebugEvent::Row {
                                sink: r.sink,
                                kind: r.kind,
                                values: r
                                    .values
                                    .iter()
                                    .map(|v| match v {
                                        serde_json::Value::String(s) => s.clone(),
                                        other => other.to_string(),
                                    })
                                    .collect(),
                            },
                            false,
                        ),
                        DebugEvent::Problem(p) => (SqlDebugEvent::Problem(p.into()), false),
                        DebugEvent::Done(d) => (
                            SqlDebugEvent::Done {
                                ok: d.ok,
                                rows: d.rows,
                                stopped: d.stopped,
                            },
                            true,
                        ),
                        DebugEvent::Failed(reason) => (SqlDebugEvent::Failed { reason }, true),
                    };
                    if !send(event).await {
                        return;
                    }
                    if last {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
}
