//! Lifecycle actions on Flink Kubernetes Operator resources (FlinkDeployment, FlinkSessionJob):
//! which resource a name means, the journal of a resource change, waiting for the operator, and
//! settling what an interrupted process left. The actions are in `operator_stop.rs`,
//! `operator_start.rs` and `operator_savepoint.rs`.
//!
//! Every discovered resource with a job is an application named like the resource; an app that
//! was applied explicitly (a stored app without a `[kubernetes]` target) of the same name wins.
//! A change is journaled (`operator_patch`: resource, patch, the generation it makes) before it
//! is sent, and marked `requested` with the generation the API server gave it; a later process
//! settles it from the resource's status.

use std::sync::Arc;
use std::time::Duration;

use super::actions::{fault, POLL};
use super::{store_err, OpsContext, Progress};
use crate::backend::{ClusterHandle, Lifecycle, OperatorLifecycle};
use crate::domain::time::now_ms;
use crate::domain::{
    ActionOutcome, ActionRequest, ActionTarget, ClusterFlavor, JobKey, JobPatch, OpKind, OpStatus,
    Operation, OperatorAction, OperatorOpParams, OperatorView, SnapshotView,
};
use crate::store::Store;

/// How long the operator may take to carry out a change (a suspend includes the savepoint).
pub(super) const OPERATOR_WAIT: Duration = Duration::from_secs(600);

/// An action's target when it is an operator resource.
#[derive(Clone)]
pub(super) struct OperatorTarget {
    pub handle: ClusterHandle,
    pub lc: Arc<dyn OperatorLifecycle>,
    /// The resource's name: the application's name in the journal, history and audit.
    pub name: String,
}

impl OperatorTarget {
    pub fn resource(&self) -> String {
        self.lc.resource()
    }
}

pub(super) fn failed(reason: impl Into<String>) -> ActionOutcome {
    ActionOutcome::Failed {
        reason: reason.into(),
    }
}

pub(super) fn refused(reason: impl Into<String>) -> ActionOutcome {
    ActionOutcome::Refused {
        reason: reason.into(),
    }
}

/// Operator resources that run a job (application FlinkDeployments, FlinkSessionJobs).
fn operator_apps(
    ctx: &OpsContext,
) -> Vec<(ClusterHandle, Arc<dyn OperatorLifecycle>, String, String)> {
    ctx.clusters
        .all()
        .into_iter()
        .filter_map(|h| {
            let Lifecycle::Operator(lc) = h.backend.lifecycle() else {
                return None;
            };
            let loc = h.backend.location()?;
            match loc.flavor {
                ClusterFlavor::OperatorApplication | ClusterFlavor::SessionJob { .. } => {
                    Some((h, lc, loc.namespace, loc.cluster_id))
                }
                _ => None,
            }
        })
        .collect()
}

/// Adds every operator resource to `apps` as an application (version 0: not a flinkdeck
/// definition; kind Jar), with its job and state from the platform's cached view (no request to
/// the API server). A stored app of the same name wins, unless it is that resource's own (applied
/// with a `[kubernetes]` target): then it gets the resource's full cluster name, job and state.
/// Returns which job belongs to which of these apps.
pub async fn add_operator_apps(
    ctx: &OpsContext,
    apps: &mut Vec<crate::domain::AppSummary>,
) -> Vec<(JobKey, String)> {
    let resources = operator_apps(ctx);
    let statuses =
        futures_util::future::join_all(resources.iter().map(|(h, ..)| h.backend.platform_status()))
            .await;
    let mut job_apps = Vec::new();
    for ((handle, _, _, name), status) in resources.into_iter().zip(statuses) {
        let op = status.and_then(|s| s.operator).unwrap_or_default();
        let state = op.job_state.as_deref().map(crate::domain::JobState::parse);
        if let Some(id) = &op.job_id {
            job_apps.push((JobKey::new(handle.name(), id.clone()), name.clone()));
        }
        if let Some(stored) = apps.iter_mut().find(|a| a.name == name) {
            let own = stored.cluster.len() < handle.name().len()
                && handle.name().starts_with(&format!("{}/", stored.cluster));
            if own {
                stored.cluster = handle.name().to_string();
                stored.job_id = op.job_id.or(stored.job_id.take());
                stored.state = state;
            }
            continue;
        }
        apps.push(crate::domain::AppSummary {
            name,
            cluster: handle.name().to_string(),
            kind: crate::domain::AppKind::Jar,
            version: 0,
            owner: None,
            team: None,
            tags: Vec::new(),
            job_id: op.job_id,
            state,
        });
    }
    job_apps
}

/// The operator resources as applications: (resource name, cluster name, lifecycle).
pub fn operator_app_handles(
    ctx: &OpsContext,
) -> Vec<(String, ClusterHandle, Arc<dyn OperatorLifecycle>)> {
    operator_apps(ctx)
        .into_iter()
        .map(|(h, lc, _, name)| (name, h, lc))
        .collect()
}

/// The operator resource `name` means: `NAME`, `NAMESPACE/NAME` or the full cluster name
/// (`entry/namespace/name`). `Ok(None)`: not an operator resource (a stored app without a
/// Kubernetes target of that name wins). Several in different namespaces: an error listing them.
pub(super) async fn resolve_name(
    ctx: &OpsContext,
    name: &str,
) -> Result<Option<OperatorTarget>, ActionOutcome> {
    let n = name.to_string();
    let stored = ctx
        .store
        .call(move |s: &mut Store| s.app(&n))
        .await
        .map_err(|e| failed(format!("cannot read app {name}: {e}")))?;
    let apps = operator_apps(ctx);
    if let Some(app) = stored {
        let Some(k) = &app.spec.kubernetes else {
            return Ok(None);
        };
        let full = format!("{}/{}/{}", app.spec.cluster, k.namespace, app.spec.name);
        return match apps.into_iter().find(|(h, ..)| h.name == full) {
            Some((handle, lc, _, _)) => Ok(Some(OperatorTarget {
                handle,
                lc,
                name: app.spec.name.clone(),
            })),
            None => Err(failed(format!(
                "app {name} is the FlinkDeployment {}/{} on {}, which is not discovered (not created yet, or deleted); `flinkdeck apply -f` creates it",
                k.namespace, app.spec.name, app.spec.cluster
            ))),
        };
    }
    let matches: Vec<_> = apps
        .into_iter()
        .filter(|(h, _, ns, id)| h.name == name || *id == name || format!("{ns}/{id}") == name)
        .collect();
    match matches.len() {
        0 => Ok(None),
        1 => {
            let (handle, lc, _, id) = matches.into_iter().next().expect("one");
            Ok(Some(OperatorTarget {
                handle,
                lc,
                name: id,
            }))
        }
        _ => Err(failed(format!(
            "{name} names several operator resources: {}; name one as NAMESPACE/NAME or by its full cluster name",
            matches
                .iter()
                .map(|(h, ..)| h.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The operator resource whose job `key` is, when its cluster is one.
pub(super) fn for_job(ctx: &OpsContext, key: &JobKey) -> Option<OperatorTarget> {
    operator_apps(ctx)
        .into_iter()
        .find(|(h, ..)| h.name == key.cluster)
        .map(|(handle, lc, _, name)| OperatorTarget { handle, lc, name })
}

/// The operator resource an action is aimed at, if it is one.
pub(super) async fn target_of(
    ctx: &OpsContext,
    action: &ActionRequest,
) -> Result<Option<OperatorTarget>, ActionOutcome> {
    match action {
        ActionRequest::Start { app, .. } => resolve_name(ctx, app).await,
        ActionRequest::Stop { target, .. }
        | ActionRequest::Savepoint { target, .. }
        | ActionRequest::Cancel { target } => match target {
            ActionTarget::App(name) => resolve_name(ctx, name).await,
            ActionTarget::Job(key) => Ok(for_job(ctx, key)),
        },
        ActionRequest::Adopt { .. } | ActionRequest::KillCluster { .. } => Ok(None),
    }
}

/// Runs `action` on an operator resource.
pub(super) async fn run(
    ctx: &OpsContext,
    t: &OperatorTarget,
    action: &ActionRequest,
    progress: Progress<'_>,
) -> ActionOutcome {
    match action {
        ActionRequest::Start {
            from,
            allow_non_restored,
            ..
        } => super::operator_start::start(ctx, t, from, *allow_non_restored, progress).await,
        ActionRequest::Stop {
            drain,
            savepoint_dir,
            no_savepoint,
            ..
        } => {
            if *drain {
                return refused(format!(
                    "{} is managed by the Flink Kubernetes Operator, which suspends without --drain",
                    t.resource()
                ));
            }
            if savepoint_dir.is_some() {
                return refused(format!(
                    "{} is managed by the Flink Kubernetes Operator: it writes the savepoint to the job's configured directory (execution.checkpointing.savepoint-dir); --savepoint-dir cannot be chosen",
                    t.resource()
                ));
            }
            let action = if *no_savepoint {
                OperatorAction::Cancel
            } else {
                OperatorAction::Stop
            };
            super::operator_stop::suspend(ctx, t, action, progress).await
        }
        ActionRequest::Cancel { .. } => {
            super::operator_stop::suspend(ctx, t, OperatorAction::Cancel, progress).await
        }
        ActionRequest::Savepoint { dir, .. } => {
            if dir.is_some() {
                return refused(format!(
                    "{} is managed by the Flink Kubernetes Operator: it writes savepoints to the job's configured directory (execution.checkpointing.savepoint-dir); --dir cannot be chosen",
                    t.resource()
                ));
            }
            super::operator_savepoint::savepoint(ctx, t, progress).await
        }
        ActionRequest::Adopt { .. } => refused(format!(
            "{} is managed by the Flink Kubernetes Operator; it is an application already",
            t.resource()
        )),
        ActionRequest::KillCluster { .. } => refused(format!(
            "{} is managed by the Flink Kubernetes Operator: delete or suspend the resource instead",
            t.resource()
        )),
    }
}

/// The resource now; a failure to read it is the action's failure.
pub(super) async fn view(t: &OperatorTarget) -> Result<OperatorView, ActionOutcome> {
    t.lc.view()
        .await
        .map_err(|e| failed(format!("cannot read {}: {e}", t.resource())))
}

/// A resource without `spec.job` (a session cluster) runs no job of its own.
pub(super) fn require_job(t: &OperatorTarget, v: &OperatorView) -> Result<(), ActionOutcome> {
    if v.job.is_none() {
        return Err(refused(format!(
            "{} is a session cluster: it has no job of its own; act on its jobs by job id (with --cluster {})",
            t.resource(),
            t.handle.name()
        )));
    }
    Ok(())
}

/// Journals a change before it is sent; returns the operation id.
pub(super) async fn journal(
    ctx: &OpsContext,
    t: &OperatorTarget,
    params: &OperatorOpParams,
    job_id: Option<&str>,
) -> Result<i64, ActionOutcome> {
    let p = serde_json::to_string(params).unwrap_or_default();
    let (a, c, j) = (
        t.name.clone(),
        t.handle.name().to_string(),
        job_id.map(str::to_string),
    );
    ctx.store
        .call(move |s: &mut Store| {
            s.op_begin(
                OpKind::OperatorPatch,
                Some(&a),
                &c,
                j.as_deref(),
                None,
                &p,
                now_ms(),
            )
        })
        .await
        .map_err(|e| failed(format!("cannot journal the change: {e}")))
}

/// The change reached the API server: `requested` with what identifies it (`generation N`,
/// `snapshot NAME`).
pub(super) async fn mark_sent(ctx: &OpsContext, op: i64, what: String) {
    let res = ctx
        .store
        .call(move |s: &mut Store| s.op_requested(op, &what, now_ms()))
        .await;
    if let Err(e) = res {
        tracing::error!(error = %e, op, "cannot journal that the change was sent");
    }
}

pub(super) async fn settle(ctx: &OpsContext, op: i64, status: OpStatus, result: String) {
    let res = ctx
        .store
        .call(move |s: &mut Store| s.op_settle(op, status, &result, now_ms()))
        .await;
    if let Err(e) = res {
        tracing::error!(error = %e, op, "cannot settle operation");
    }
}

/// Journals and sends a `spec.job` change; returns the operation and the generation it made.
/// A refusal by the API server settles the operation as failed; a transport failure leaves it
/// for the next process to settle (the patch may or may not have arrived).
pub(super) async fn send_patch(
    ctx: &OpsContext,
    t: &OperatorTarget,
    action: OperatorAction,
    patch: JobPatch,
    before: &OperatorView,
    restore_path: Option<String>,
    progress: Progress<'_>,
) -> Result<(i64, i64), ActionOutcome> {
    let base = before.generation;
    let params = OperatorOpParams {
        action,
        resource: t.lc.reference(),
        body: Some(patch.body()),
        patch: Some(patch.clone()),
        base_generation: base,
        expect_generation: base.map(|g| g + 1),
        snapshot: None,
        restore_path,
    };
    let op = journal(ctx, t, &params, before.job_id.as_deref()).await?;
    let stop = matches!(action, OperatorAction::Stop | OperatorAction::Cancel);
    if stop {
        fault("exit-before-stop-request");
    }
    let after = match t.lc.patch_job(&patch).await {
        Ok(v) => v,
        Err(e) if e.class.is_http() => {
            settle(ctx, op, OpStatus::Failed, e.to_string()).await;
            return Err(failed(format!(
                "the API server refused the change of {}: {e}",
                t.resource()
            )));
        }
        Err(e) => {
            return Err(failed(format!(
                "the change of {} is not confirmed: {e}; it is journaled (operation {op}) and the next flinkdeck run settles it from the resource's status",
                t.resource()
            )))
        }
    };
    let generation = after
        .generation
        .or(params.expect_generation)
        .unwrap_or_default();
    mark_sent(ctx, op, format!("generation {generation}")).await;
    if stop {
        fault("exit-after-stop-request");
    }
    progress(format!(
        "patched {}: {} (generation {generation}); waiting for the operator",
        t.resource(),
        patch.body()["spec"]["job"]
    ));
    Ok((op, generation))
}

/// Polls the resource until `done` says it is there (`Some(Ok)`) or failed (`Some(Err)`).
pub(super) async fn wait_for<T>(
    t: &OperatorTarget,
    what: &str,
    mut done: impl FnMut(&OperatorView) -> Option<Result<T, String>>,
) -> Result<T, String> {
    let start = std::time::Instant::now();
    let mut last: Option<OperatorView> = None;
    loop {
        match t.lc.view().await {
            Ok(v) => {
                if let Some(answer) = done(&v) {
                    return answer;
                }
                last = Some(v);
            }
            Err(e) => tracing::warn!(error = %e, "reading the operator resource"),
        }
        if start.elapsed() > OPERATOR_WAIT {
            let now = last
                .as_ref()
                .map_or("unreadable".to_string(), OperatorView::describe);
            return Err(format!(
                "{} did not get {what} within {}s (now: {now}); the change is journaled and the next flinkdeck run settles it",
                t.resource(),
                OPERATOR_WAIT.as_secs()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The operator failed the change: a FAILED lifecycle after it reconciled the generation.
pub(super) fn operator_failure(
    t: &OperatorTarget,
    v: &OperatorView,
    generation: i64,
) -> Option<String> {
    (v.caught_up(generation) && v.lifecycle_state.as_deref() == Some("FAILED")).then(|| {
        format!(
            "the operator could not carry out the change of {}: {}",
            t.resource(),
            v.describe()
        )
    })
}

/// The savepoint a suspend produced: the new `upgradeSavepointPath`, else a `lastSavepoint` taken
/// since `since_ms`, else the newest completed UPGRADE FlinkStateSnapshot since then, else the
/// `upgradeSavepointPath` the operator will resume from.
pub(super) fn suspend_savepoint(
    before: &OperatorView,
    after: &OperatorView,
    snapshots: &[SnapshotView],
    since_ms: i64,
) -> Option<String> {
    let upgrade = after
        .upgrade_savepoint_path
        .as_deref()
        .filter(|p| !p.is_empty());
    if let Some(p) = upgrade.filter(|p| Some(*p) != before.upgrade_savepoint_path.as_deref()) {
        return Some(p.to_string());
    }
    if let Some(s) = after
        .last_savepoint
        .as_ref()
        .filter(|s| s.time_stamp.is_some_and(|t| t >= since_ms - 1000))
    {
        return Some(s.location.clone());
    }
    let snap = snapshots
        .iter()
        .filter(|s| {
            s.savepoint
                && s.state.as_deref() == Some("COMPLETED")
                && s.trigger_type.as_deref() == Some("UPGRADE")
                && s.created_ms
                    .or(s.result_ms)
                    .is_some_and(|t| t >= since_ms - 1000)
        })
        .max_by_key(|s| s.created_ms.or(s.result_ms))
        .and_then(|s| s.path.clone());
    snap.or_else(|| upgrade.map(str::to_string))
}

/// Records a savepoint of the resource's job in the checkpoint history.
pub(super) async fn record_savepoint(
    ctx: &OpsContext,
    cluster: &str,
    job_id: Option<&str>,
    path: &str,
) {
    let Some(job) = job_id else {
        return;
    };
    let (c, j, p) = (cluster.to_string(), job.to_string(), path.to_string());
    let res = ctx
        .store
        .call(move |s: &mut Store| s.record_savepoint(&c, &j, &p, now_ms(), None))
        .await
        .map_err(store_err("cannot record the savepoint"));
    if let Err(e) = res {
        tracing::error!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// settling an interrupted change

/// Settles one `operator_patch` operation from the resource's status, if it can tell.
pub(super) async fn resume(ctx: &OpsContext, op: &Operation) -> Option<String> {
    let params: OperatorOpParams = serde_json::from_str(&op.params).ok()?;
    let t = for_job(
        ctx,
        &JobKey::new(op.cluster.clone(), op.job_id.clone().unwrap_or_default()),
    )?;
    let v = t.lc.view().await.ok()?;
    let what = format!("{} of {}", params.action.as_str(), params.resource);
    // Did the change reach the API server?
    let sent_generation = match &op.trigger_id {
        Some(g) => g
            .strip_prefix("generation ")
            .and_then(|g| g.parse::<i64>().ok()),
        None => None,
    };
    if let Some(name) = &params.snapshot {
        return resume_snapshot(ctx, op, &t, name, &what).await;
    }
    let patch = params.patch.clone()?;
    let generation = match sent_generation {
        Some(g) => g,
        None => {
            let arrived = v.job.as_ref().is_some_and(|j| patch.is_in(j))
                && match (v.generation, params.expect_generation) {
                    (Some(g), Some(e)) => g >= e,
                    _ => true,
                };
            if !arrived {
                settle(
                    ctx,
                    op.id,
                    OpStatus::Failed,
                    "the change never reached the API server (flinkdeck stopped first)".into(),
                )
                .await;
                return Some(format!(
                    "journal: {what} never reached the API server; the resource is unchanged ({})",
                    v.describe()
                ));
            }
            v.generation.unwrap_or_default()
        }
    };
    if !v.caught_up(generation) {
        return None;
    }
    match params.action {
        OperatorAction::Stop | OperatorAction::Cancel if v.is_suspended() => {
            let path = if params.action == OperatorAction::Stop {
                let snaps = t.lc.snapshots().await.unwrap_or_default();
                let before = OperatorView::default();
                suspend_savepoint(&before, &v, &snaps, op.created_at)
            } else {
                None
            };
            if let Some(p) = &path {
                record_savepoint(ctx, &op.cluster, op.job_id.as_deref(), p).await;
            }
            let result = path.clone().unwrap_or_else(|| "SUSPENDED".into());
            settle(ctx, op.id, OpStatus::Succeeded, result).await;
            Some(match path {
                Some(p) => format!("journal: {what} completed: savepoint {p}"),
                None => format!("journal: {what} completed: SUSPENDED"),
            })
        }
        OperatorAction::Start if v.job_running() => {
            let job = v.job_id.clone().unwrap_or_default();
            settle(ctx, op.id, OpStatus::Succeeded, job.clone()).await;
            Some(format!("journal: {what} completed: job {job} RUNNING"))
        }
        OperatorAction::Savepoint => {
            let JobPatch::TriggerSavepoint { nonce } = patch else {
                return None;
            };
            let sp = v
                .last_savepoint
                .as_ref()
                .filter(|s| s.trigger_nonce == Some(nonce))?;
            record_savepoint(ctx, &op.cluster, op.job_id.as_deref(), &sp.location).await;
            settle(ctx, op.id, OpStatus::Succeeded, sp.location.clone()).await;
            Some(format!(
                "journal: {what} completed: savepoint {}",
                sp.location
            ))
        }
        _ if v.lifecycle_state.as_deref() == Some("FAILED") => {
            let reason = format!("the operator failed the change: {}", v.describe());
            settle(ctx, op.id, OpStatus::Failed, reason.clone()).await;
            Some(format!("journal: {what}: {reason}"))
        }
        _ => None,
    }
}

async fn resume_snapshot(
    ctx: &OpsContext,
    op: &Operation,
    t: &OperatorTarget,
    name: &str,
    what: &str,
) -> Option<String> {
    match t.lc.snapshot(name).await.ok()? {
        None if op.trigger_id.is_none() => {
            settle(
                ctx,
                op.id,
                OpStatus::Failed,
                format!("FlinkStateSnapshot {name} was never created (flinkdeck stopped first)"),
            )
            .await;
            Some(format!(
                "journal: {what}: FlinkStateSnapshot {name} was never created"
            ))
        }
        None => None,
        Some(s) => match s.state.as_deref() {
            Some("COMPLETED") => {
                let path = s.path.clone()?;
                record_savepoint(ctx, &op.cluster, op.job_id.as_deref(), &path).await;
                settle(ctx, op.id, OpStatus::Succeeded, path.clone()).await;
                Some(format!("journal: {what} completed: savepoint {path}"))
            }
            Some("FAILED") | Some("ABANDONED") => {
                let reason = s.error.clone().unwrap_or_else(|| "snapshot failed".into());
                settle(ctx, op.id, OpStatus::Failed, reason.clone()).await;
                Some(format!("journal: {what} failed: {reason}"))
            }
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OperatorSavepoint;

    fn snap(name: &str, trigger: &str, created: i64, path: &str) -> SnapshotView {
        SnapshotView {
            name: name.into(),
            state: Some("COMPLETED".into()),
            path: Some(path.into()),
            trigger_type: Some(trigger.into()),
            created_ms: Some(created),
            savepoint: true,
            ..Default::default()
        }
    }

    #[test]
    fn the_suspend_savepoint_is_the_new_one() {
        let before = OperatorView {
            upgrade_savepoint_path: Some("file:/sp/old".into()),
            ..Default::default()
        };
        // A new upgradeSavepointPath.
        let after = OperatorView {
            upgrade_savepoint_path: Some("file:/sp/new".into()),
            ..Default::default()
        };
        assert_eq!(
            suspend_savepoint(&before, &after, &[], 10_000).as_deref(),
            Some("file:/sp/new")
        );
        // Unchanged path, but a lastSavepoint taken since the stop began.
        let after = OperatorView {
            upgrade_savepoint_path: Some("file:/sp/old".into()),
            last_savepoint: Some(OperatorSavepoint {
                location: "file:/sp/last".into(),
                time_stamp: Some(10_500),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            suspend_savepoint(&before, &after, &[], 10_000).as_deref(),
            Some("file:/sp/last")
        );
        // Only snapshots (operator 1.10+ with snapshot resources): the newest UPGRADE one since.
        let after = OperatorView::default();
        let snaps = [
            snap("a", "UPGRADE", 5_000, "file:/sp/older-upgrade"),
            snap("b", "MANUAL", 12_000, "file:/sp/manual"),
            snap("c", "UPGRADE", 11_000, "file:/sp/upgrade"),
        ];
        assert_eq!(
            suspend_savepoint(&before, &after, &snaps, 10_000).as_deref(),
            Some("file:/sp/upgrade")
        );
        assert_eq!(
            suspend_savepoint(&before, &after, &snaps[..2], 10_000),
            None
        );
    }
}
