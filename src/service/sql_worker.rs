//! Validation and debug runs for the editor: one long-lived SQL helper JVM per Flink version
//! (started on first use, restarted by the helper itself if it dies), so re-validating is fast.
//! Requests are served one at a time in arrival order; a debug run streams its events back.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use tokio::sync::mpsc;

use super::ops::OpsContext;
use crate::domain::{AppSpec, SqlDebugEvent, WorkerReply, WorkerRequest};
use crate::sqltools::{DebugEvent, DebugOptions, SqlHelper};
use crate::store::Store;

/// Pending SQL requests (validations are small; a burst beyond this waits in the UI's channel).
const QUEUE: usize = 16;

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
    /// (Flink version, the app's dependency jars) → its helper JVM.
    helpers: HashMap<(String, Vec<String>), SqlHelper>,
    /// Cluster → the Flink version it reported.
    versions: HashMap<String, String>,
}

/// `${name}` values and secret names.
type Vars = (BTreeMap<String, String>, BTreeSet<String>);

impl Helpers {
    /// The spec of the app a request names (`None` for a scratch buffer or an unknown app).
    async fn app_spec(&self, app: Option<&str>) -> Result<Option<AppSpec>, String> {
        let Some(a) = app else {
            return Ok(None);
        };
        let name = a.to_string();
        self.ops
            .store
            .call(move |s: &mut Store| s.app(&name))
            .await
            .map(|v| v.map(|v| v.spec))
            .map_err(|e| format!("cannot read app {a}: {e}"))
    }

    /// The variables for `sql`: the config's, overridden by those of the app's spec. Only the
    /// secrets the script uses are read.
    fn vars(&self, spec: Option<&AppSpec>, sql: &str) -> Result<Vars, String> {
        self.ops
            .config
            .resolve_vars_for(spec, sql)
            .map_err(|e| e.to_string())
    }

    /// The cluster whose Flink version validates: the asked one, the app's, or the first.
    fn cluster_for(&self, spec: Option<&AppSpec>, cluster: Option<&str>) -> Result<String, String> {
        if let Some(c) = cluster
            .map(str::to_string)
            .or_else(|| spec.map(|s| s.cluster.clone()))
        {
            return Ok(c);
        }
        self.ops
            .clusters
            .names()
            .into_iter()
            .next()
            .ok_or_else(|| "no cluster is configured to take the Flink version from".to_string())
    }

    /// The helper JVM and the variables for a request about `app` (or a scratch buffer).
    async fn prepare(
        &mut self,
        app: Option<&str>,
        cluster: Option<&str>,
        sql: &str,
    ) -> Result<(&mut SqlHelper, Vars), String> {
        let spec = self.app_spec(app).await?;
        let vars = self.vars(spec.as_ref(), sql)?;
        Ok((self.helper(spec.as_ref(), cluster).await?, vars))
    }

    /// The helper JVM for the cluster's Flink version with the app's dependency jars.
    async fn helper(
        &mut self,
        spec: Option<&AppSpec>,
        cluster: Option<&str>,
    ) -> Result<&mut SqlHelper, String> {
        let cluster = self.cluster_for(spec, cluster)?;
        let version = match self.versions.get(&cluster) {
            Some(v) => v.clone(),
            None => {
                let handle = self
                    .ops
                    .clusters
                    .get(&cluster)
                    .ok_or_else(|| format!("cluster {cluster:?} is not configured"))?;
                let info = handle.rest.cluster_info().await.map_err(|e| {
                    format!("cannot ask cluster {cluster} for its Flink version: {e}")
                })?;
                let v = info.flink_version.ok_or_else(|| {
                    format!("cluster {cluster} does not report its Flink version")
                })?;
                self.versions.insert(cluster.clone(), v.clone());
                v
            }
        };
        let jars = spec.map(|s| s.jars.clone()).unwrap_or_default();
        let key = (version.clone(), jars.clone());
        if !self.helpers.contains_key(&key) {
            let home = self
                .ops
                .config
                .flink_home(&version)
                .map_err(|e| e.to_string())?;
            let extra: Vec<PathBuf> = jars.iter().map(PathBuf::from).collect();
            let helper = SqlHelper::start(&home, &version, &self.ops.helpers_dir, &extra)
                .await
                .map_err(|e| e.to_string())?;
            self.helpers.insert(key.clone(), helper);
        }
        self.helpers
            .get_mut(&key)
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
        helpers: HashMap::new(),
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
                let helper = helpers
                    .prepare(app.as_deref(), cluster.as_deref(), &sql)
                    .await;
                let result = match helper {
                    Ok((h, (vars, secrets))) => h
                        .validate_with(&sql, &vars, &secrets)
                        .await
                        .map(|ps| (ps, started.elapsed().as_millis() as u64))
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
                let helper = helpers
                    .prepare(app.as_deref(), cluster.as_deref(), &sql)
                    .await;
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
                        DebugEvent::Problem(p) => (SqlDebugEvent::Problem(p), false),
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
