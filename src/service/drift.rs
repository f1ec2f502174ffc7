//! Gathers both sides of drift for `flinkdeck drift` and the console: the running job (Flink's
//! REST: `/jobs/overview` once per cluster, `/jobs/:id/config` per running app, and
//! `/jobs/:id/checkpoints/config` only when the spec sets a checkpointing option; flinkdeck's
//! run record where Flink does not show a value) and the app's latest version (the bound jar's
//! sha256, the resolved script's sha256, parallelism, options). The comparison itself is
//! [`crate::domain::drift::compare`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::mpsc;

use serde_json::Value;

use crate::domain::drift::{
    compare, format_ms, AppDrift, Defined, Running, Seen, CONF_ARTIFACT, CONF_SQL,
};
use crate::domain::{AppKind, AppVersion, JobSummary, WorkerReply};
use crate::service::ops::stamp::{file_sha256, script_sha256, submitted_options};
use crate::service::ops::OpsContext;
use crate::store::Store;

/// One app's drift: where it runs and what differs (or why nothing was compared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppDriftRow {
    pub app: String,
    pub cluster: String,
    pub job_id: Option<String>,
    pub drift: AppDrift,
}

/// Why drift could not be computed at all.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error("no managed app named {0:?} (create it with `flinkdeck apply -f app.toml`)")]
    UnknownApp(String),
    #[error("cannot read the managed apps from the store: {0}")]
    Store(String),
}

/// Drift of every managed app (or of `only`), in app name order.
pub async fn drift(ctx: &OpsContext, only: Option<&str>) -> Result<Vec<AppDriftRow>, DriftError> {
    let apps = ctx
        .store
        .call(|s: &mut Store| s.apps())
        .await
        .map_err(|e| DriftError::Store(e.to_string()))?;
    let mut apps: Vec<AppVersion> = match only {
        Some(name) => {
            let one: Vec<AppVersion> = apps.into_iter().filter(|a| a.app == name).collect();
            if one.is_empty() {
                return Err(DriftError::UnknownApp(name.to_string()));
            }
            one
        }
        None => apps,
    };
    apps.sort_by(|a, b| a.app.cmp(&b.app));
    let mut overviews: HashMap<String, Result<Vec<JobSummary>, String>> = HashMap::new();
    let mut out = Vec::with_capacity(apps.len());
    for app in &apps {
        out.push(app_drift(ctx, app, &mut overviews).await);
    }
    Ok(out)
}

/// The cluster an app's job runs on: its spec's cluster, or (an entry of a `[target]` or an
/// operator app) the cluster of its latest run.
async fn run_cluster(ctx: &OpsContext, app: &AppVersion) -> String {
    if ctx.clusters.get(&app.spec.cluster).is_none() {
        let n = app.app.clone();
        if let Ok(Some(run)) = ctx.store.call(move |s: &mut Store| s.latest_run(&n)).await {
            return run.cluster;
        }
    }
    app.spec.cluster.clone()
}

async fn app_drift(
    ctx: &OpsContext,
    app: &AppVersion,
    overviews: &mut HashMap<String, Result<Vec<JobSummary>, String>>,
) -> AppDriftRow {
    let cluster = run_cluster(ctx, app).await;
    let row = |job_id: Option<String>, drift: AppDrift| AppDriftRow {
        app: app.app.clone(),
        cluster: cluster.clone(),
        job_id,
        drift,
    };
    let Some(handle) = ctx.clusters.get(&cluster) else {
        // A `[target]` entry or operator app that never ran has no cluster to ask: not running.
        let n = app.app.clone();
        let ran = matches!(
            ctx.store.call(move |s: &mut Store| s.latest_run(&n)).await,
            Ok(Some(_))
        );
        let drift = if ran {
            AppDrift::Unknown(format!(
                "cluster {cluster} is not known (not configured or not discovered)"
            ))
        } else {
            AppDrift::NotRunning
        };
        return row(None, drift);
    };
    if !overviews.contains_key(&cluster) {
        let jobs = handle
            .rest
            .jobs_overview(handle.name())
            .await
            .map_err(|e| format!("cannot reach cluster {cluster}: {e}"));
        overviews.insert(cluster.clone(), jobs);
    }
    let jobs = match overviews.get(&cluster) {
        Some(Ok(jobs)) => jobs,
        Some(Err(e)) => return row(None, AppDrift::Unknown(e.clone())),
        None => return row(None, AppDrift::Unknown("no job list".into())),
    };
    let name = app.app.clone();
    let runs = ctx
        .store
        .call(move |s: &mut Store| s.runs(&name, 1000))
        .await
        .unwrap_or_default();
    // The app's active job: one of its runs, or a job carrying its name; the newest first.
    let mut active: Vec<&JobSummary> = jobs
        .iter()
        .filter(|j| j.state.is_active())
        .filter(|j| {
            j.name == app.app
                || runs
                    .iter()
                    .any(|r| r.cluster == j.cluster && r.job_id == j.id)
        })
        .collect();
    active.sort_by_key(|j| std::cmp::Reverse(j.start_time));
    let Some(job) = active.first() else {
        return row(None, AppDrift::NotRunning);
    };
    let job_id = job.id.clone();
    match compared(ctx, app, &cluster, &job_id).await {
        Ok(d) => row(Some(job_id), AppDrift::Compared(d)),
        Err(e) => row(Some(job_id), AppDrift::Unknown(e)),
    }
}

/// Options Flink's REST shows for a job, with the field of `/jobs/:id/checkpoints/config` (or of
/// the job's `execution-config`) that holds each.
const CHECKPOINT_FIELDS: &[(&str, &str)] = &[
    ("execution.checkpointing.interval", "interval"),
    ("execution.checkpointing.timeout", "timeout"),
    ("execution.checkpointing.min-pause", "min_pause"),
    (
        "execution.checkpointing.max-concurrent-checkpoints",
        "max_concurrent",
    ),
    ("execution.checkpointing.mode", "mode"),
    ("execution.checkpointing.unaligned", "unaligned_checkpoints"),
    (
        "execution.checkpointing.unaligned.enabled",
        "unaligned_checkpoints",
    ),
    (
        "execution.checkpointing.tolerable-failed-checkpoints",
        "tolerable_failed_checkpoints",
    ),
];

/// Checkpoint fields that are durations in milliseconds.
const MS_FIELDS: &[&str] = &["interval", "timeout", "min_pause"];

async fn compared(
    ctx: &OpsContext,
    app: &AppVersion,
    cluster: &str,
    job_id: &str,
) -> Result<Vec<crate::domain::drift::Drift>, String> {
    let handle = ctx
        .clusters
        .get(cluster)
        .ok_or_else(|| format!("cluster {cluster} is not configured"))?;
    let conf = handle
        .rest
        .get_json(&format!("jobs/{job_id}/config"))
        .await
        .map_err(|e| format!("cannot read the configuration of job {job_id} on {cluster}: {e}"))?;
    let exec = &conf["execution-config"];
    let user = &exec["user-config"];
    let (c, j) = (cluster.to_string(), job_id.to_string());
    let stamp = ctx
        .store
        .call(move |s: &mut Store| s.run_stamp(&c, &j))
        .await
        .ok()
        .flatten();
    let (c, j) = (cluster.to_string(), job_id.to_string());
    let run_version = ctx
        .store
        .call(move |s: &mut Store| match s.run_by_job(&c, &j)? {
            Some(r) => s.app_version(&r.app, r.version),
            None => Ok(None),
        })
        .await
        .ok()
        .flatten();

    // The definition.
    let (options, mut secrets) = submitted_options(ctx, app)?;
    let mut defined = Defined {
        artifact_sha256: None,
        sql_sha256: None,
        parallelism: app.spec.parallelism,
        options,
    };
    let mut running = Running::default();
    match app.spec.kind {
        AppKind::Jar => {
            if let Some(jar) = &app.spec.jar_file {
                defined.artifact_sha256 = cached_sha256(Path::new(jar)).await.ok();
            }
            running.artifact_sha256 = user[CONF_ARTIFACT]
                .as_str()
                .map(Seen::rest)
                .or_else(|| stamp.as_ref().and_then(|s| s.0.clone()).map(Seen::run));
        }
        AppKind::Sql => {
            defined.sql_sha256 = script_sha256(ctx, app);
            running.sql_sha256 = user[CONF_SQL]
                .as_str()
                .map(Seen::rest)
                .or_else(|| stamp.as_ref().and_then(|s| s.1.clone()).map(Seen::run));
        }
    }
    if let Some(p) = exec["job-parallelism"].as_i64().filter(|p| *p > 0) {
        running.parallelism = Some(Seen::rest(p.to_string()));
    }

    // Options: from REST where Flink shows them, else what the run was submitted with.
    let wants_checkpoints = defined
        .options
        .keys()
        .any(|k| CHECKPOINT_FIELDS.iter().any(|(o, _)| o == k));
    let checkpoints = if wants_checkpoints {
        handle
            .rest
            .get_json(&format!("jobs/{job_id}/checkpoints/config"))
            .await
            .ok()
    } else {
        None
    };
    let submitted = match &run_version {
        Some(v) => {
            let (o, s) = submitted_options(ctx, v).unwrap_or_default();
            secrets.extend(s);
            Some(o)
        }
        None => None,
    };
    for key in defined.options.keys() {
        let from_rest = rest_option(key, exec, checkpoints.as_ref());
        let seen = match from_rest {
            Some(v) => Some(Seen::rest(v)),
            None => submitted
                .as_ref()
                .and_then(|o| o.get(key))
                .map(|v| Seen::run(v.clone())),
        };
        if let Some(s) = seen {
            running.options.insert(key.clone(), s);
        }
    }
    let mut found = compare(&app.app, cluster, job_id, &running, &defined);
    secrets.retain(|s| !s.is_empty());
    for d in &mut found {
        d.running = crate::sqltools::mask(&d.running, &secrets);
        d.defined = crate::sqltools::mask(&d.defined, &secrets);
    }
    Ok(found)
}

/// The value Flink's REST shows for option `key` of a job, if it shows one.
fn rest_option(key: &str, exec: &Value, checkpoints: Option<&Value>) -> Option<String> {
    match key {
        "parallelism.default" => {
            return exec["job-parallelism"]
                .as_i64()
                .filter(|p| *p > 0)
                .map(|p| p.to_string())
        }
        "pipeline.object-reuse" => {
            return exec["object-reuse-mode"].as_bool().map(|b| b.to_string())
        }
        _ => {}
    }
    let field = CHECKPOINT_FIELDS.iter().find(|(o, _)| *o == key)?.1;
    let v = &checkpoints?[field];
    if MS_FIELDS.contains(&field) {
        // Flink shows a disabled interval as a huge number: not a value anyone set.
        return v
            .as_u64()
            .filter(|ms| *ms < i64::MAX as u64 / 2)
            .map(|ms| format_ms(u128::from(ms)));
    }
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The sha256 of a jar, re-read only when its size or modification time changed (the console
/// asks again every drift round).
async fn cached_sha256(path: &Path) -> Result<String, String> {
    type Key = (PathBuf, u64, Option<SystemTime>);
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, (Key, String)>>> = OnceLock::new();
    let meta = tokio::fs::metadata(path)
        .await
        .map_err(|e| format!("cannot read jar {}: {e}", path.display()))?;
    let key: Key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    let cache = CACHE.get_or_init(Default::default);
    if let Some((k, sha)) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(path) {
        if *k == key {
            return Ok(sha.clone());
        }
    }
    let sha = file_sha256(path).await?;
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.to_path_buf(), (key, sha.clone()));
    Ok(sha)
}

/// The apps whose drift is known per app name, for the console.
pub fn by_app(rows: Vec<AppDriftRow>) -> BTreeMap<String, AppDrift> {
    rows.into_iter().map(|r| (r.app, r.drift)).collect()
}

/// The console's drift check runs at least this often (and sooner when an app's version or
/// running job changes).
pub const DRIFT_EVERY: Duration = Duration::from_secs(60);

/// What makes a drift check due before [`DRIFT_EVERY`]: each app's version and its open runs
/// (read from the store only, no request to any cluster).
async fn drift_key(ctx: &OpsContext) -> Option<Vec<(String, u32, Vec<String>)>> {
    ctx.store
        .call(|s: &mut Store| {
            let runs = s.open_runs()?;
            Ok(s.apps()?
                .into_iter()
                .map(|a| {
                    let jobs = runs
                        .iter()
                        .filter(|r| r.app == a.app)
                        .map(|r| format!("{}/{}", r.cluster, r.job_id))
                        .collect();
                    (a.app, a.version, jobs)
                })
                .collect())
        })
        .await
        .ok()
}

/// The console's drift task: every refresh it reads the (cheap) key from the store, and runs a
/// full check — `/jobs/overview` once per cluster of a managed app, `/jobs/:id/config` per
/// running app, `/jobs/:id/checkpoints/config` for apps whose spec sets a checkpointing option —
/// when the key changed or [`DRIFT_EVERY`] passed; the result goes to the UI as
/// [`WorkerReply::DriftChecked`]. Ends when the UI is gone.
pub async fn run_drift_checker(
    ctx: OpsContext,
    refresh: Duration,
    replies: mpsc::Sender<WorkerReply>,
) {
    let mut last_key = None;
    let mut last_run: Option<Instant> = None;
    loop {
        let key = drift_key(&ctx).await;
        let due = key != last_key || last_run.is_none_or(|t| t.elapsed() >= DRIFT_EVERY);
        if due {
            last_key = key;
            last_run = Some(Instant::now());
            match drift(&ctx, None).await {
                Ok(rows) => {
                    let drift = rows.into_iter().map(|r| (r.app, r.drift)).collect();
                    if replies
                        .send(WorkerReply::DriftChecked { drift })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "drift check failed"),
            }
        }
        if replies.is_closed() {
            return;
        }
        tokio::time::sleep(refresh.max(Duration::from_secs(1))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rest_options_read_the_checkpoint_config_and_the_execution_config() {
        let exec = json!({"job-parallelism": 2, "object-reuse-mode": false});
        let cp = json!({"interval": 2000, "mode": "exactly_once", "unaligned_checkpoints": false,
            "max_concurrent": 1, "timeout": 600000});
        let get = |k: &str| rest_option(k, &exec, Some(&cp));
        assert_eq!(
            get("execution.checkpointing.interval").as_deref(),
            Some("2 s")
        );
        assert_eq!(
            get("execution.checkpointing.timeout").as_deref(),
            Some("10 min")
        );
        assert_eq!(
            get("execution.checkpointing.mode").as_deref(),
            Some("exactly_once")
        );
        assert_eq!(
            get("execution.checkpointing.unaligned.enabled").as_deref(),
            Some("false")
        );
        assert_eq!(
            get("execution.checkpointing.max-concurrent-checkpoints").as_deref(),
            Some("1")
        );
        assert_eq!(get("parallelism.default").as_deref(), Some("2"));
        assert_eq!(get("pipeline.object-reuse").as_deref(), Some("false"));
        assert_eq!(get("state.backend.type"), None);
        assert_eq!(
            rest_option("execution.checkpointing.interval", &exec, None),
            None
        );
        let disabled = json!({"interval": i64::MAX});
        assert_eq!(
            rest_option("execution.checkpointing.interval", &exec, Some(&disabled)),
            None
        );
    }
}
