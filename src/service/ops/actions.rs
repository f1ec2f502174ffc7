//! The actions themselves: start, stop (with savepoint or cancel), savepoint, cancel, adopt.

use std::time::{Duration, Instant};

use serde_json::json;

use super::restore::{self, same_path};
use super::stamp::{file_sha256, sha256_hex, stamp_options, Stamp};
use super::{audit, store_err, OpsContext, Progress, StartJournal};
use crate::domain::deploy::{DeployMode, TargetKind};
use crate::domain::time::now_ms;
use crate::domain::{
    ActionOutcome, ActionRequest, ActionTarget, AppKind, AppVersion, JobKey, JobState, OpKind,
    OpStatus, RestorePoint,
};
use crate::flink::{new_trigger_id, FlinkClient, RunJarRequest, TriggerStatus};
use crate::service::ClusterHandle;
use crate::store::Store;

/// How long a savepoint may take before the CLI stops waiting (the journal keeps it).
const SAVEPOINT_WAIT: Duration = Duration::from_secs(600);
/// How long a started job may take to report its restore (and to reach RUNNING).
const START_WAIT: Duration = Duration::from_secs(180);
/// How long a cancelled or stopped job may take to reach its final state.
const END_WAIT: Duration = Duration::from_secs(120);
pub(super) const POLL: Duration = Duration::from_millis(500);
/// How often a stop asks for its savepoint's status (see `await_trigger`).
const STOP_POLL: Duration = Duration::from_millis(150);

/// Test hook: `FLINKDECK_FAULT=exit-after-stop-request` ends the process right after the stop
/// request went out (as a kill would), `exit-before-stop-request` right before it. Compiled into
/// debug builds only (the test suite's); a release build has no such hook.
#[cfg(debug_assertions)]
pub(super) fn fault(point: &str) {
    if std::env::var("FLINKDECK_FAULT").is_ok_and(|v| v == point) {
        eprintln!("flinkdeck: FLINKDECK_FAULT={point}: exiting now");
        std::process::exit(137);
    }
}

/// Release builds: no fault hook.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub(super) fn fault(_point: &str) {}

fn failed(reason: impl Into<String>) -> ActionOutcome {
    ActionOutcome::Failed {
        reason: reason.into(),
    }
}

fn refused(reason: impl Into<String>) -> ActionOutcome {
    ActionOutcome::Refused {
        reason: reason.into(),
    }
}

/// Runs one action, records it in the audit trail, and returns how it ended.
pub async fn run_action(
    ctx: &OpsContext,
    action: &ActionRequest,
    progress: Progress<'_>,
) -> ActionOutcome {
    let params = serde_json::to_string(action).unwrap_or_default();
    // An operator resource (FlinkDeployment / FlinkSessionJob) is changed through Kubernetes.
    let operator_target = super::operator::target_of(ctx, action).await;
    let (app, cluster) = match &operator_target {
        Ok(Some(t)) => (Some(t.name.clone()), Some(t.handle.name().to_string())),
        _ => target_names(ctx, action).await,
    };
    let outcome = if let Err(o) = &operator_target {
        o.clone()
    } else if let Some(reason) = readonly_reason(ctx, cluster.as_deref(), action.name()) {
        refused(reason)
    } else if let Ok(Some(t)) = &operator_target {
        super::operator::run(ctx, t, action, progress).await
    } else {
        match action {
            ActionRequest::Start {
                app,
                from,
                allow_non_restored,
            } => start(ctx, app, from, *allow_non_restored, progress).await,
            ActionRequest::Stop {
                target,
                drain,
                savepoint_dir,
                no_savepoint,
            } => {
                if *no_savepoint {
                    cancel(ctx, target, progress).await
                } else {
                    stop(ctx, target, *drain, savepoint_dir.as_deref(), progress).await
                }
            }
            ActionRequest::Savepoint { target, dir } => {
                savepoint(ctx, target, dir.as_deref(), progress).await
            }
            ActionRequest::Cancel { target } => cancel(ctx, target, progress).await,
            ActionRequest::Adopt { job, app } => adopt(ctx, job, app).await,
            ActionRequest::KillCluster { cluster } => {
                super::yarn_kill::kill(ctx, cluster, progress).await
            }
        }
    };
    audit::record(ctx, action.name(), app, cluster, params, &outcome).await;
    outcome
}

/// The app and cluster an action concerns (for the audit trail and the read-only check).
async fn target_names(
    ctx: &OpsContext,
    action: &ActionRequest,
) -> (Option<String>, Option<String>) {
    let app_cluster = |name: String| async move {
        let n = name.clone();
        let cluster = ctx
            .store
            .call(move |s: &mut Store| s.app(&n))
            .await
            .ok()
            .flatten()
            .map(|v| v.spec.cluster);
        (Some(name), cluster)
    };
    match action {
        ActionRequest::Start { app, .. } => app_cluster(app.clone()).await,
        ActionRequest::Adopt { job, app } => (Some(app.clone()), Some(job.cluster.clone())),
        ActionRequest::KillCluster { cluster } => (None, Some(cluster.clone())),
        ActionRequest::Stop { target, .. }
        | ActionRequest::Savepoint { target, .. }
        | ActionRequest::Cancel { target } => match target {
            ActionTarget::App(a) => app_cluster(a.clone()).await,
            ActionTarget::Job(k) => (app_of_job(ctx, k).await, Some(k.cluster.clone())),
        },
    }
}

/// The managed app a job is a run of, if any.
async fn app_of_job(ctx: &OpsContext, key: &JobKey) -> Option<String> {
    let (c, id) = (key.cluster.clone(), key.id.clone());
    ctx.store
        .call(move |s: &mut Store| s.run_by_job(&c, &id))
        .await
        .ok()
        .flatten()
        .map(|r| r.app)
}

/// Why the action is refused by read-only mode, if it is.
pub(super) fn readonly_reason(
    ctx: &OpsContext,
    cluster: Option<&str>,
    action: &str,
) -> Option<String> {
    if ctx.readonly {
        return Some(format!(
            "read-only mode: {action} is disabled (--readonly or [ui] readonly = true)"
        ));
    }
    let name = cluster?;
    // A cluster, or a YARN / Kubernetes entry (a `[target]` names the entry).
    let readonly = match ctx.clusters.get(name) {
        Some(c) => c.config.readonly,
        None => ctx
            .config
            .cluster(name.split('/').next().unwrap_or(name))
            .is_some_and(|c| c.readonly),
    };
    readonly.then(|| {
        format!("cluster {name} is read-only: {action} is disabled (readonly = true in its config)")
    })
}

pub(super) async fn load_app(ctx: &OpsContext, name: &str) -> Result<AppVersion, ActionOutcome> {
    let n = name.to_string();
    match ctx.store.call(move |s: &mut Store| s.app(&n)).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(failed(format!(
            "no managed app named {name:?} (create it with `flinkdeck apply -f app.toml`)"
        ))),
        Err(e) => Err(failed(format!("cannot read app {name}: {e}"))),
    }
}

pub(super) fn cluster_of(ctx: &OpsContext, name: &str) -> Result<ClusterHandle, ActionOutcome> {
    ctx.clusters.get(name).ok_or_else(|| {
        failed(format!(
            "cluster {name:?} is not configured (configured: {})",
            ctx.clusters.names().join(", ")
        ))
    })
}

/// The app's jobs that are active on its cluster right now (asked of the cluster itself): jobs
/// of the app's runs, and jobs carrying the app's name.
pub(super) async fn active_jobs_of_app(
    ctx: &OpsContext,
    app: &AppVersion,
    handle: &ClusterHandle,
) -> Result<Vec<(String, JobState)>, String> {
    let jobs = handle
        .rest
        .jobs_overview(handle.name())
        .await
        .map_err(|e| format!("cannot ask cluster {} for running jobs: {e}", handle.name()))?;
    let name = app.app.clone();
    let runs = ctx
        .store
        .call(move |s: &mut Store| s.runs(&name, 1000))
        .await
        .map_err(store_err("cannot read runs"))?;
    Ok(jobs
        .into_iter()
        .filter(|j| j.state.is_active())
        .filter(|j| crate::domain::is_job_of_app(j, &app.app, &runs))
        .map(|j| (j.id, j.state))
        .collect())
}

/// The job an action works on: its cluster, its id, and its app if it has one.
struct Target {
    handle: ClusterHandle,
    job_id: String,
    app: Option<String>,
}

/// The cluster an app's job runs on: its spec's cluster, or for a YARN / Kubernetes `[target]`
/// (an entry, not a cluster) the cluster of its latest run (`entry/namespace/id`,
/// `entry/application_…`).
pub(super) async fn run_cluster_of(ctx: &OpsContext, app: &AppVersion) -> String {
    if app.spec.target.is_some() && ctx.clusters.get(&app.spec.cluster).is_none() {
        let n = app.app.clone();
        if let Ok(Some(run)) = ctx.store.call(move |s: &mut Store| s.latest_run(&n)).await {
            return run.cluster;
        }
    }
    app.spec.cluster.clone()
}

/// Cluster, job id and app of an action's target; an app must have exactly one active job.
async fn resolve_target(ctx: &OpsContext, target: &ActionTarget) -> Result<Target, ActionOutcome> {
    match target {
        ActionTarget::Job(key) => {
            let handle = cluster_of(ctx, &key.cluster)?.clone();
            let app = app_of_job(ctx, key).await;
            Ok(Target {
                handle,
                job_id: key.id.clone(),
                app,
            })
        }
        ActionTarget::App(name) => {
            let app = load_app(ctx, name).await?;
            let handle = cluster_of(ctx, &run_cluster_of(ctx, &app).await)?.clone();
            let active = active_jobs_of_app(ctx, &app, &handle)
                .await
                .map_err(failed)?;
            match active.as_slice() {
                [] => Err(failed(format!(
                    "app {name} has no running job on cluster {}",
                    handle.name()
                ))),
                [(id, _)] => Ok(Target {
                    handle,
                    job_id: id.clone(),
                    app: Some(name.clone()),
                }),
                many => Err(failed(format!(
                    "app {name} has {} active jobs on cluster {} ({}); name the job instead",
                    many.len(),
                    handle.name(),
                    many.iter()
                        .map(|(id, _)| id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// start

async fn start(
    ctx: &OpsContext,
    name: &str,
    from: &crate::domain::RestoreChoice,
    allow_non_restored: bool,
    progress: Progress<'_>,
) -> ActionOutcome {
    match load_app(ctx, name).await {
        Ok(app) => start_app(ctx, &app, from, allow_non_restored, progress).await,
        Err(o) => o,
    }
}

/// Starts stored version `version` of app `name` (not necessarily its current one: an
/// upgrade's rollback starts the version that ran before), with the same guards, journal and
/// restore verification as `start`.
pub(super) async fn start_version(
    ctx: &OpsContext,
    name: &str,
    version: u32,
    from: &crate::domain::RestoreChoice,
    progress: Progress<'_>,
) -> ActionOutcome {
    let n = name.to_string();
    match ctx
        .store
        .call(move |s: &mut Store| s.app_version(&n, version))
        .await
    {
        Ok(Some(app)) => start_app(ctx, &app, from, false, progress).await,
        Ok(None) => failed(format!("app {name} has no version {version}")),
        Err(e) => failed(format!("cannot read version {version} of app {name}: {e}")),
    }
}

async fn start_app(
    ctx: &OpsContext,
    app: &AppVersion,
    from: &crate::domain::RestoreChoice,
    allow_non_restored: bool,
    progress: Progress<'_>,
) -> ActionOutcome {
    let name = app.app.as_str();
    if let Some(t) = &app.spec.target {
        match super::cli_submit::target_kind(ctx, t) {
            Err(o) => return o,
            Ok(TargetKind::Standalone) => {
                if t.mode != DeployMode::Session {
                    return standalone_mode_invalid(app);
                }
            }
            Ok(_) => {
                return super::cli_submit::start(ctx, app, from, allow_non_restored, progress).await
            }
        }
    }
    let handle = match cluster_of(ctx, &app.spec.cluster) {
        Ok(h) => h.clone(),
        Err(o) => return o,
    };
    if handle
        .backend
        .location()
        .is_some_and(|l| l.flavor == crate::domain::ClusterFlavor::Native)
    {
        return refused(format!(
            "cluster {} is a native Kubernetes cluster: submitting to native Kubernetes clusters comes with Flink CLI targets (stop, savepoint and cancel of its jobs work)",
            handle.name()
        ));
    }
    // Duplicate guard, against the cluster itself.
    match active_jobs_of_app(ctx, app, &handle).await {
        Ok(active) if !active.is_empty() => {
            let (id, state) = &active[0];
            return refused(format!(
                "app {name} already has job {id} {state} on cluster {}; stop it first (flinkdeck stop {name})",
                handle.name()
            ));
        }
        Ok(_) => {}
        Err(e) => {
            return failed(format!(
                "{e}; not starting, since a running instance cannot be ruled out"
            ))
        }
    }
    let point = match restore::resolve(ctx, name, from).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    progress(format!("restore: {}", restore::describe(point.as_ref())));
    let allow_nrs = allow_non_restored || app.spec.allow_non_restored_state;
    let (jar, req, stamp) =
        match submission(ctx, app, &handle, point.as_ref(), allow_nrs, progress).await {
            Ok(x) => x,
            Err(e) => return failed(e),
        };
    let params = json!({ "from": from.to_string(), "restore_path": point.as_ref().map(|p| &p.path),
        "allow_non_restored_state": allow_nrs, "version": app.version })
    .to_string();
    let cluster = handle.name().to_string();
    let journal = match StartJournal::begin(ctx, name, &cluster, params.clone()).await {
        Ok(j) => j,
        Err(e) => return failed(e),
    };
    let settle = |status: OpStatus, result: String| journal.settle(status, result);
    // The SQL runner's file name carries its content hash: an upload of the same name is the
    // same jar and is reused. A user's jar is uploaded afresh and removed after the submission.
    let reuse = app.spec.kind == AppKind::Sql;
    let file_name = jar
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let existing = if reuse {
        handle.rest.list_jars().await.ok().and_then(|jars| {
            jars.into_iter()
                .find(|(_, n)| *n == file_name)
                .map(|(id, _)| id)
        })
    } else {
        None
    };
    let jar_id = match existing {
        Some(id) => id,
        None => match handle.rest.upload_jar(&jar).await {
            Ok(id) => {
                progress(format!("uploaded {} to {cluster}", jar.display()));
                id
            }
            Err(e) => {
                settle(OpStatus::Failed, format!("upload failed: {e}")).await;
                return failed(format!("cannot upload {}: {e}", jar.display()));
            }
        },
    };
    let submitted = handle.rest.run_jar(&jar_id, &req).await;
    if !reuse {
        let _ = handle.rest.delete_jar(&jar_id).await;
    }
    let job_id = match submitted {
        Ok(id) => id,
        Err(e) => {
            settle(OpStatus::Failed, format!("submission failed: {e}")).await;
            return failed(format!("Flink refused the submission: {e}"));
        }
    };
    progress(format!("submitted job {job_id}"));
    let (a, c, j, restored, version) = (
        name.to_string(),
        cluster.clone(),
        job_id.clone(),
        point.as_ref().map(|p| p.path.clone()),
        app.version,
    );
    let op = journal.op;
    let run = ctx
        .store
        .call(move |s: &mut Store| {
            s.op_set_job(op, &j, now_ms())?;
            let run = s.insert_run(&a, version, &c, &j, now_ms(), restored.as_deref())?;
            s.set_run_stamp(
                run,
                stamp.artifact_sha256.as_deref(),
                stamp.sql_sha256.as_deref(),
            )?;
            Ok(run)
        })
        .await;
    let run = match run {
        Ok(r) => r,
        Err(e) => {
            settle(
                OpStatus::Failed,
                format!("job {job_id} started but not recorded: {e}"),
            )
            .await;
            return failed(format!(
                "job {job_id} started but could not be recorded: {e}"
            ));
        }
    };
    let verified = match &point {
        Some(p) => match verify_restore(&handle.rest, &job_id, p, progress).await {
            Ok(v) => v,
            Err(e) => {
                settle(OpStatus::Failed, e.clone()).await;
                return failed(e);
            }
        },
        None => {
            if ctx.wait {
                if let Err(e) = wait_running(&handle.rest, &job_id, progress).await {
                    settle(OpStatus::Failed, e.clone()).await;
                    return failed(e);
                }
            }
            true
        }
    };
    if point.is_some() {
        let _ = ctx
            .store
            .call(move |s: &mut Store| s.set_run_restore_verified(run, verified))
            .await;
    }
    if !verified {
        let reason = format!(
            "RESTORE MISMATCH: job {job_id} did not report restoring from {}; check `flinkdeck checkpoints {job_id}`",
            point.as_ref().map(|p| p.path.as_str()).unwrap_or("-")
        );
        settle(OpStatus::Failed, reason.clone()).await;
        return failed(reason);
    }
    let message = match &point {
        Some(p) => format!(
            "started app {name} as job {job_id} on {cluster}, restored (verified) from {}",
            p.path
        ),
        None => {
            format!("started app {name} as job {job_id} on {cluster} (fresh, no state restored)")
        }
    };
    settle(OpStatus::Succeeded, job_id.clone()).await;
    ActionOutcome::Done {
        message,
        job_id: Some(job_id),
        savepoint: None,
    }
}

fn standalone_mode_invalid(app: &AppVersion) -> ActionOutcome {
    ActionOutcome::Invalid {
        reason: format!(
            "app {}: a standalone cluster runs jobs in session mode only (mode = \"session\"); application and per-job modes need a YARN or Kubernetes target",
            app.app
        ),
    }
}

/// `flinkdeck start NAME --dry-run`: what a start would run, one line each, secrets masked —
/// the Flink CLI's command line (one argument per line, after `# env` lines), or for a
/// standalone cluster the REST requests (upload, then run with its JSON body). Runs nothing.
pub async fn preview_start(
    ctx: &OpsContext,
    name: &str,
    from: &crate::domain::RestoreChoice,
    allow_non_restored: bool,
) -> Result<Vec<String>, ActionOutcome> {
    let app = load_app(ctx, name).await?;
    if let Some(t) = &app.spec.target {
        match super::cli_submit::target_kind(ctx, t)? {
            TargetKind::Standalone => {
                if t.mode != DeployMode::Session {
                    return Err(standalone_mode_invalid(&app));
                }
            }
            _ => return super::cli_submit::preview(ctx, &app, from, allow_non_restored).await,
        }
    }
    if app.spec.kubernetes.is_some() {
        return Err(ActionOutcome::Invalid {
            reason: format!(
                "app {name} is a Flink Kubernetes Operator app: `flinkdeck apply --dry-run -f FILE` shows what changes"
            ),
        });
    }
    let handle = cluster_of(ctx, &app.spec.cluster)?;
    let point = restore::resolve(ctx, name, from).await.map_err(failed)?;
    let allow_nrs = allow_non_restored || app.spec.allow_non_restored_state;
    let (jar, mut req, secrets, _) = submission_parts(
        ctx,
        &app,
        &handle,
        point.as_ref(),
        allow_nrs,
        &|_| {},
        false,
    )
    .await
    .map_err(failed)?;
    // The script goes as base64: show the masked script's.
    if let Some(script) = req.program_args.get(3).cloned() {
        if app.spec.kind == AppKind::Sql && !secrets.is_empty() {
            let _ = script;
            if let Some(sql) = &app.spec.sql {
                let (vars, names) = ctx
                    .config
                    .resolve_vars_for(Some(&app.spec), sql)
                    .map_err(|e| failed(e.to_string()))?;
                let sub = crate::sqltools::substitute(sql, &vars, &names);
                let masked = crate::sqltools::mask(&sub.script, &sub.secrets);
                req.program_args[3] = crate::sqlrunner::base64_encode(masked.as_bytes());
            }
        }
    }
    let base = handle.rest.base_url().clone();
    let join = |p: &str| base.join(p).map(|u| u.to_string()).unwrap_or_default();
    let body = serde_json::to_string_pretty(&req.body_json()).unwrap_or_default();
    Ok(vec![
        format!("POST {}", join("jars/upload")),
        format!("  multipart jarfile={}", jar.display()),
        // Written out, not joined: the placeholder would be percent-encoded.
        format!("POST {base}jars/<id of the uploaded jar>/run"),
        crate::sqltools::mask(&body, &secrets),
    ])
}

/// The jar to upload, the run request and its stamp, for a SQL or a jar app.
async fn submission(
    ctx: &OpsContext,
    app: &AppVersion,
    handle: &ClusterHandle,
    point: Option<&RestorePoint>,
    allow_non_restored: bool,
    progress: Progress<'_>,
) -> Result<(std::path::PathBuf, RunJarRequest, Stamp), String> {
    submission_parts(ctx, app, handle, point, allow_non_restored, progress, true)
        .await
        .map(|(jar, req, _, stamp)| (jar, req, stamp))
}

/// [`submission`] with the secret values to mask; `build` false only names the SQL runner's jar
/// (for previews).
async fn submission_parts(
    ctx: &OpsContext,
    app: &AppVersion,
    handle: &ClusterHandle,
    point: Option<&RestorePoint>,
    allow_non_restored: bool,
    progress: Progress<'_>,
    build: bool,
) -> Result<(std::path::PathBuf, RunJarRequest, Vec<String>, Stamp), String> {
    let spec = &app.spec;
    let savepoint = point.map(|p| p.path.as_str());
    // `[options]` with `[target] options` over them, `${var}`s resolved.
    let (mut options, mut secrets) =
        super::cli_submit::resolved_options(ctx, app).map_err(|o| match o {
            ActionOutcome::Invalid { reason } | ActionOutcome::Failed { reason } => reason,
            other => format!("{other:?}"),
        })?;
    match spec.kind {
        AppKind::Jar => {
            let jar = spec
                .jar_file
                .clone()
                .ok_or_else(|| format!("app {} (kind jar) has no jar_file", spec.name))?;
            let stamp = Stamp {
                artifact_sha256: Some(file_sha256(std::path::Path::new(&jar)).await?),
                sql_sha256: None,
            };
            stamp_options(&mut options, app, &stamp);
            Ok((
                jar.into(),
                RunJarRequest {
                    entry_class: spec.entry_class.clone(),
                    program_args: spec.args.clone(),
                    parallelism: spec.parallelism,
                    savepoint_path: savepoint.map(str::to_string),
                    allow_non_restored_state: allow_non_restored,
                    flink_configuration: options,
                },
                secrets,
                stamp,
            ))
        }
        AppKind::Sql => {
            let script = spec
                .sql
                .clone()
                .ok_or_else(|| format!("app {} (kind sql) has no SQL script", spec.name))?;
            // `${name}` variables: the config's, overridden by the app's; nothing is submitted
            // while one is undefined. Messages never carry a secret value.
            let (vars, secret_names) = ctx
                .config
                .resolve_vars_for(Some(spec), &script)
                .map_err(|e| format!("app {}: {e}", spec.name))?;
            let substituted = crate::sqltools::substitute(&script, &vars, &secret_names);
            if let Some(p) = substituted.undefined.first() {
                let name = p
                    .message
                    .split_once("${")
                    .and_then(|(_, rest)| rest.split_once('}'))
                    .map_or("?", |(n, _)| n);
                let more = match substituted.undefined.len() {
                    1 => String::new(),
                    n => format!(" (and {} more)", n - 1),
                };
                return Err(crate::sqltools::mask(
                    &format!(
                        "app {}: undefined variable ${{{name}}} at line {}, column {}{more}: \
                         define it under [vars] in the app spec or the config",
                        spec.name, p.line, p.column
                    ),
                    &substituted.secrets,
                ));
            }
            secrets.extend(substituted.secrets.iter().cloned());
            let script = substituted.script;
            // The runner stamps the job with the hash of the bytes it receives: these.
            let stamp = Stamp {
                artifact_sha256: None,
                sql_sha256: Some(sha256_hex(script.as_bytes())),
            };
            stamp_options(&mut options, app, &stamp);
            let info =
                handle.rest.cluster_info().await.map_err(|e| {
                    format!("cannot read the Flink version of {}: {e}", handle.name())
                })?;
            let version = info.flink_version.ok_or_else(|| {
                format!(
                    "cluster {} does not report its Flink version",
                    handle.name()
                )
            })?;
            let home = ctx.config.flink_home(&version).map_err(|e| e.to_string())?;
            if !build {
                let jar = ctx
                    .helpers_dir
                    .join(crate::sqlrunner::jar_file_name(&version));
                let req = crate::sqlrunner::run_request(
                    &script,
                    &spec.name,
                    spec.parallelism,
                    &options,
                    savepoint,
                    allow_non_restored,
                );
                return Ok((jar, req, secrets, stamp));
            }
            progress(format!("building the SQL runner for Flink {version}"));
            let dir = ctx.helpers_dir.clone();
            let v = version.clone();
            let jar =
                tokio::task::spawn_blocking(move || crate::sqlrunner::runner_jar(&home, &v, &dir))
                    .await
                    .map_err(|e| format!("SQL runner build task failed: {e}"))?
                    .map_err(|e| e.to_string())?;
            let req = crate::sqlrunner::run_request(
                &script,
                &spec.name,
                spec.parallelism,
                &options,
                savepoint,
                allow_non_restored,
            );
            Ok((jar, req, secrets, stamp))
        }
    }
}

/// Calls `step` every `POLL` until it gives an answer (`Some`), at most `limit`; then the error
/// `on_timeout` describes.
pub(super) async fn poll_until<T, F, Fut>(
    limit: Duration,
    every: Duration,
    on_timeout: impl FnOnce() -> String,
    mut step: F,
) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<Result<T, String>>>,
{
    let start = Instant::now();
    loop {
        if let Some(answer) = step().await {
            return answer;
        }
        if start.elapsed() > limit {
            return Err(on_timeout());
        }
        tokio::time::sleep(every).await;
    }
}

/// Waits until Flink reports the job restored; true if from `point`'s path.
pub(super) async fn verify_restore(
    client: &FlinkClient,
    job_id: &str,
    point: &RestorePoint,
    progress: Progress<'_>,
) -> Result<bool, String> {
    progress(format!("verifying the restore from {}", point.path));
    poll_until(
        START_WAIT,
        POLL,
        || format!("job {job_id} did not report a restore within {}s", START_WAIT.as_secs()),
        || async {
            if let Ok(stats) = client.checkpoints(job_id).await {
                if let Some(r) = &stats.latest_restored {
                    let reported = r.external_path.clone().unwrap_or_default();
                    let ok = same_path(&reported, &point.path);
                    progress(format!(
                        "Flink reports job {job_id} restored from {reported}{}",
                        if ok { " (as asked)" } else { " — NOT the requested path" }
                    ));
                    return Some(Ok(ok));
                }
            }
            match client.job_state(job_id).await {
                Ok(state) if state.is_terminal() => Some(Err(format!(
                    "job {job_id} ended {state} before restoring from {}; see `flinkdeck logs {job_id}` and the job's exceptions",
                    point.path
                ))),
                _ => None,
            }
        },
    )
    .await
}

pub(super) async fn wait_running(
    client: &FlinkClient,
    job_id: &str,
    progress: Progress<'_>,
) -> Result<(), String> {
    poll_until(
        START_WAIT,
        POLL,
        || {
            format!(
                "job {job_id} did not reach RUNNING within {}s",
                START_WAIT.as_secs()
            )
        },
        || async {
            match client.job_state(job_id).await {
                // RUNNING is reported before every task runs; a savepoint needs all of them.
                Ok(JobState::Running) if all_tasks_running(client, job_id).await => {
                    progress(format!("job {job_id} is RUNNING (all tasks)"));
                    Some(Ok(()))
                }
                Ok(s) if s.is_terminal() => {
                    Some(Err(format!("job {job_id} ended {s} instead of running")))
                }
                _ => None,
            }
        },
    )
    .await
}

/// Whether every task of the job runs (from `/jobs/overview`).
async fn all_tasks_running(client: &FlinkClient, job_id: &str) -> bool {
    client.jobs_overview("").await.is_ok_and(|jobs| {
        jobs.iter()
            .any(|j| j.id == job_id && j.tasks_total > 0 && j.tasks_running == j.tasks_total)
    })
}

async fn wait_terminal(client: &FlinkClient, job_id: &str) -> Result<JobState, String> {
    poll_until(
        END_WAIT,
        POLL,
        || format!("job {job_id} did not end within {}s", END_WAIT.as_secs()),
        || async {
            match client.job_state(job_id).await {
                Ok(s) if s.is_terminal() => Some(Ok(s)),
                _ => None,
            }
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// stop, savepoint, cancel

/// Records the job's completed checkpoints and savepoints before it goes away, so that `latest`
/// and `--from checkpoint:ID` know them even when no console was watching.
pub async fn record_job_checkpoints(ctx: &OpsContext, handle: &ClusterHandle, job_id: &str) {
    let Ok(stats) = handle.rest.checkpoints(job_id).await else {
        return;
    };
    let entries = stats.completed_entries();
    let (c, j) = (handle.name().to_string(), job_id.to_string());
    let _ = ctx
        .store
        .call(move |s: &mut Store| s.record_checkpoints(&c, &j, "", &entries))
        .await;
}

/// Journals a savepoint-producing request with a fresh trigger id, before it is sent; returns
/// the operation id and the trigger id.
async fn journal_trigger(
    ctx: &OpsContext,
    kind: OpKind,
    t: &Target,
    dir: Option<&str>,
    params: String,
) -> Result<(i64, String), String> {
    let trigger = new_trigger_id();
    let (a, c, j, d, tr) = (
        t.app.clone(),
        t.handle.name().to_string(),
        t.job_id.clone(),
        dir.map(str::to_string),
        trigger.clone(),
    );
    let op = ctx
        .store
        .call(move |s: &mut Store| {
            let id = s.op_begin(
                kind,
                a.as_deref(),
                &c,
                Some(&j),
                d.as_deref(),
                &params,
                now_ms(),
            )?;
            s.op_requested(id, &tr, now_ms())?;
            Ok(id)
        })
        .await
        .map_err(store_err("cannot journal the request"))?;
    Ok((op, trigger))
}

/// Records a completed savepoint (and, for a stop, the end of the run) and settles the op.
pub(super) async fn settle_savepoint(
    ctx: &OpsContext,
    op: i64,
    kind: OpKind,
    cluster: &str,
    job_id: &str,
    location: &str,
) {
    let (c, j, l) = (
        cluster.to_string(),
        job_id.to_string(),
        location.to_string(),
    );
    let res = ctx
        .store
        .call(move |s: &mut Store| {
            s.record_savepoint(&c, &j, &l, now_ms(), None)?;
            if kind == OpKind::Stop {
                s.end_run(&c, &j, now_ms(), &JobState::Finished, Some(&l))?;
            }
            s.op_settle(op, OpStatus::Succeeded, &l, now_ms())
        })
        .await;
    if let Err(e) = res {
        tracing::error!(error = %e, op, "cannot record the savepoint {location}");
    }
}

pub(super) async fn settle_failed(ctx: &OpsContext, op: i64, reason: &str) {
    let r = reason.to_string();
    let _ = ctx
        .store
        .call(move |s: &mut Store| s.op_settle(op, OpStatus::Failed, &r, now_ms()))
        .await;
}

/// Polls a trigger until it completes; settles the journal either way.
async fn await_trigger(
    ctx: &OpsContext,
    op: i64,
    kind: OpKind,
    handle: &ClusterHandle,
    job_id: &str,
    trigger: &str,
) -> Result<String, String> {
    // An application cluster shuts down right after a stop's savepoint and its job's end, and
    // with it the only place that reports the savepoint's path: a stop asks more often.
    let every = if kind == OpKind::Stop {
        STOP_POLL
    } else {
        POLL
    };
    poll_until(
        SAVEPOINT_WAIT,
        every,
        || format!(
            "the savepoint (trigger {trigger}) is still in progress after {}s; it is journaled and will be recorded by the next flinkdeck run",
            SAVEPOINT_WAIT.as_secs()
        ),
        || async {
            match handle.rest.savepoint_status(job_id, trigger).await {
                Ok(TriggerStatus::Completed { location }) => {
                    settle_savepoint(ctx, op, kind, handle.name(), job_id, &location).await;
                    Some(Ok(location))
                }
                Ok(TriggerStatus::Failed { cause }) => {
                    settle_failed(ctx, op, &cause).await;
                    Some(Err(format!("Flink could not take the savepoint: {cause}")))
                }
                Ok(TriggerStatus::InProgress) => None,
                Err(e) => {
                    tracing::warn!(error = %e, "savepoint status");
                    None
                }
            }
        },
    )
    .await
}

pub(super) async fn stop(
    ctx: &OpsContext,
    target: &ActionTarget,
    drain: bool,
    dir: Option<&str>,
    progress: Progress<'_>,
) -> ActionOutcome {
    let t = match resolve_target(ctx, target).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    record_job_checkpoints(ctx, &t.handle, &t.job_id).await;
    let params = json!({ "drain": drain, "savepoint_dir": dir }).to_string();
    let (op, trigger) = match journal_trigger(ctx, OpKind::Stop, &t, dir, params).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let Target { handle, job_id, .. } = t;
    fault("exit-before-stop-request");
    if let Err(e) = handle
        .rest
        .stop_with_savepoint(&job_id, dir, drain, &trigger)
        .await
    {
        if e.class.is_http() {
            settle_failed(ctx, op, &e.to_string()).await;
            return failed(format!("Flink refused to stop job {job_id}: {e}"));
        }
        // The request may or may not have arrived: the journal keeps the trigger id.
        return failed(format!(
            "stop of job {job_id} not confirmed: {e}; the request is journaled (trigger {trigger}) and will be settled by the next flinkdeck run"
        ));
    }
    fault("exit-after-stop-request");
    progress(format!(
        "stop with savepoint requested for job {job_id} (trigger {trigger})"
    ));
    let location = match await_trigger(ctx, op, OpKind::Stop, &handle, &job_id, &trigger).await {
        Ok(l) => l,
        Err(e) => return failed(e),
    };
    progress(format!("savepoint written: {location}"));
    if ctx.wait {
        if let Err(e) = wait_terminal(&handle.rest, &job_id).await {
            return failed(format!("savepoint {location} written, but {e}"));
        }
    }
    ActionOutcome::Done {
        message: format!(
            "stopped job {job_id} on {} with savepoint {location}",
            handle.name()
        ),
        job_id: Some(job_id),
        savepoint: Some(location),
    }
}

async fn savepoint(
    ctx: &OpsContext,
    target: &ActionTarget,
    dir: Option<&str>,
    progress: Progress<'_>,
) -> ActionOutcome {
    let t = match resolve_target(ctx, target).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    let params = json!({ "dir": dir }).to_string();
    let (op, trigger) = match journal_trigger(ctx, OpKind::Savepoint, &t, dir, params).await {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let Target { handle, job_id, .. } = t;
    if let Err(e) = handle.rest.trigger_savepoint(&job_id, dir, &trigger).await {
        if e.class.is_http() {
            settle_failed(ctx, op, &e.to_string()).await;
        }
        return failed(format!("savepoint of job {job_id} not triggered: {e}"));
    }
    progress(format!(
        "savepoint triggered for job {job_id} (trigger {trigger})"
    ));
    if !ctx.wait {
        return ActionOutcome::Done {
            message: format!(
                "savepoint triggered for job {job_id} (trigger {trigger}); its path is recorded when it completes (flinkdeck history)"
            ),
            job_id: Some(job_id),
            savepoint: None,
        };
    }
    match await_trigger(ctx, op, OpKind::Savepoint, &handle, &job_id, &trigger).await {
        Ok(location) => ActionOutcome::Done {
            message: format!("savepoint of job {job_id} written: {location}"),
            job_id: Some(job_id),
            savepoint: Some(location),
        },
        Err(e) => failed(e),
    }
}

pub(super) async fn cancel(
    ctx: &OpsContext,
    target: &ActionTarget,
    progress: Progress<'_>,
) -> ActionOutcome {
    let Target {
        handle,
        job_id,
        app,
    } = match resolve_target(ctx, target).await {
        Ok(t) => t,
        Err(o) => return o,
    };
    let (a, c, j) = (app.clone(), handle.name().to_string(), job_id.clone());
    let op = match ctx
        .store
        .call(move |s: &mut Store| {
            s.op_begin(
                OpKind::Cancel,
                a.as_deref(),
                &c,
                Some(&j),
                None,
                "{}",
                now_ms(),
            )
        })
        .await
    {
        Ok(op) => op,
        Err(e) => return failed(format!("cannot journal the cancel: {e}")),
    };
    if let Err(e) = handle.rest.cancel_job(&job_id).await {
        if e.class.is_http() {
            settle_failed(ctx, op, &e.to_string()).await;
        }
        return failed(format!("cannot cancel job {job_id}: {e}"));
    }
    progress(format!("cancel requested for job {job_id}"));
    match wait_terminal(&handle.rest, &job_id).await {
        Ok(state) => {
            record_job_checkpoints(ctx, &handle, &job_id).await;
            let (c, j, st) = (handle.name().to_string(), job_id.clone(), state.clone());
            let _ = ctx
                .store
                .call(move |s: &mut Store| {
                    s.end_run(&c, &j, now_ms(), &st, None)?;
                    s.op_settle(op, OpStatus::Succeeded, st.as_str(), now_ms())
                })
                .await;
            ActionOutcome::Done {
                message: format!("job {job_id} on {} is {state}", handle.name()),
                job_id: Some(job_id),
                savepoint: None,
            }
        }
        Err(e) => failed(e),
    }
}

async fn adopt(ctx: &OpsContext, job: &JobKey, name: &str) -> ActionOutcome {
    let app = match load_app(ctx, name).await {
        Ok(a) => a,
        Err(o) => return o,
    };
    if app.spec.cluster != job.cluster {
        return failed(format!(
            "app {name} runs on cluster {}, but job {} is on {}",
            app.spec.cluster, job.id, job.cluster
        ));
    }
    let handle = match cluster_of(ctx, &job.cluster) {
        Ok(h) => h,
        Err(o) => return o,
    };
    let jobs = match handle.rest.jobs_overview(handle.name()).await {
        Ok(j) => j,
        Err(e) => return failed(format!("cannot read the jobs of {}: {e}", handle.name())),
    };
    let Some(found) = jobs.into_iter().find(|j| j.id == job.id) else {
        return failed(format!("cluster {} has no job {}", job.cluster, job.id));
    };
    let (a, c, j, v, t) = (
        name.to_string(),
        job.cluster.clone(),
        job.id.clone(),
        app.version,
        found.start_time,
    );
    match ctx
        .store
        .call(move |s: &mut Store| s.insert_run(&a, v, &c, &j, t, None))
        .await
    {
        Ok(_) => ActionOutcome::Done {
            message: format!(
                "job {} ({}) on {} is now a run of app {name}",
                job.id, found.name, job.cluster
            ),
            job_id: Some(job.id.clone()),
            savepoint: None,
        },
        Err(e) => failed(format!("cannot record the adoption: {e}")),
    }
}
