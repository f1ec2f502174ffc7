//! `start` of an operator resource: resume it (`spec.job.state: running`) from the savepoint the
//! operator keeps (`--from latest`, upgradeMode savepoint), from a chosen savepoint
//! (`initialSavepointPath` + a new `savepointRedeployNonce`) or empty (`--from none`, upgradeMode
//! stateless). The path it will restore from is shown before the patch, and once the operator
//! reports the job RUNNING, Flink itself is asked (through the proxied REST API) whether it
//! restored from exactly that path, as for standalone starts.

use super::actions::{verify_restore, wait_running};
use super::operator::{
    failed, operator_failure, refused, require_job, send_patch, settle, view, wait_for,
    OperatorTarget,
};
use super::{OpsContext, Progress};
use crate::domain::{
    next_nonce, ActionOutcome, CheckpointKind, JobPatch, OpStatus, OperatorAction, RestoreChoice,
    RestorePoint,
};

pub(super) async fn start(
    ctx: &OpsContext,
    t: &OperatorTarget,
    from: &RestoreChoice,
    allow_non_restored: bool,
    progress: Progress<'_>,
) -> ActionOutcome {
    if let RestoreChoice::Checkpoint(id) = from {
        return refused(format!(
            "{} is managed by the Flink Kubernetes Operator, which restores from savepoints only: use --from latest, none or savepoint:PATH (not checkpoint:{id})",
            t.resource()
        ));
    }
    if allow_non_restored {
        return refused(format!(
            "{} is managed by the Flink Kubernetes Operator: set spec.job.allowNonRestoredState on the resource instead of --allow-non-restored",
            t.resource()
        ));
    }
    let before = match view(t).await {
        Ok(v) => v,
        Err(o) => return o,
    };
    if let Err(o) = require_job(t, &before) {
        return o;
    }
    // Duplicate guard: the operator keeps a job running while spec.job.state says so.
    if !before.asked_suspended() {
        return refused(format!(
            "{} is already running (spec.job.state running; {}); stop it first (flinkdeck stop {})",
            t.resource(),
            before.describe(),
            t.name
        ));
    }
    if !before.is_suspended() {
        return refused(format!(
            "{} is still being suspended ({}); wait until it is SUSPENDED",
            t.resource(),
            before.describe()
        ));
    }
    let (patch, path) = match from {
        RestoreChoice::Latest => {
            let mut path = before.savepoint_path().map(str::to_string);
            if path.is_none() {
                path =
                    t.lc.snapshots()
                        .await
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|s| s.savepoint && s.state.as_deref() == Some("COMPLETED"))
                        .max_by_key(|s| s.created_ms.or(s.result_ms))
                        .and_then(|s| s.path);
            }
            (
                JobPatch::Resume {
                    from_savepoint: true,
                },
                path,
            )
        }
        RestoreChoice::None => (
            JobPatch::Resume {
                from_savepoint: false,
            },
            None,
        ),
        RestoreChoice::Savepoint(p) => (
            JobPatch::RedeployFrom {
                path: p.clone(),
                nonce: next_nonce(before.job.as_ref().and_then(|j| j.savepoint_redeploy_nonce)),
            },
            Some(p.clone()),
        ),
        RestoreChoice::Checkpoint(_) => unreachable!("refused above"),
    };
    progress(match (&path, from) {
        (Some(p), _) => format!("restore: savepoint {p}"),
        (None, RestoreChoice::None) => "restore: none (fresh start)".to_string(),
        (None, _) => "restore: none (the operator reports no savepoint to resume from)".to_string(),
    });
    let old_job = before.job_id.clone();
    let (op, generation) = match send_patch(
        ctx,
        t,
        OperatorAction::Start,
        patch,
        &before,
        path.clone(),
        progress,
    )
    .await
    {
        Ok(x) => x,
        Err(o) => return o,
    };
    let job_id = match wait_for(t, "its job RUNNING", |v| {
        if let Some(e) = operator_failure(t, v, generation) {
            return Some(Err(e));
        }
        (v.caught_up(generation) && !v.is_suspended() && v.job_running())
            .then(|| v.job_id.clone())
            .flatten()
            .map(Ok)
    })
    .await
    {
        Ok(j) => j,
        Err(e) => {
            if e.starts_with("the operator could not") {
                settle(ctx, op, OpStatus::Failed, e.clone()).await;
            }
            return failed(e);
        }
    };
    if old_job.as_deref() == Some(job_id.as_str()) {
        progress(format!("the operator reuses job id {job_id}"));
    }
    let cluster = t.handle.name().to_string();
    let message = match &path {
        Some(p) => {
            let point = RestorePoint {
                path: p.clone(),
                kind: CheckpointKind::Savepoint,
                id: None,
                completed_at: None,
                job_id: old_job.clone(),
            };
            match verify_restore(&t.handle.rest, &job_id, &point, progress).await {
                Ok(true) => format!(
                    "started {} as job {job_id} on {cluster}, restored (verified) from {p}",
                    t.resource()
                ),
                Ok(false) => {
                    let reason = format!(
                        "RESTORE MISMATCH: job {job_id} of {} did not report restoring from {p}; check `flinkdeck checkpoints {job_id}`",
                        t.resource()
                    );
                    settle(ctx, op, OpStatus::Failed, reason.clone()).await;
                    return failed(reason);
                }
                Err(e) => {
                    settle(ctx, op, OpStatus::Failed, e.clone()).await;
                    return failed(e);
                }
            }
        }
        None => {
            if ctx.wait {
                if let Err(e) = wait_running(&t.handle.rest, &job_id, progress).await {
                    settle(ctx, op, OpStatus::Failed, e.clone()).await;
                    return failed(e);
                }
            }
            format!(
                "started {} as job {job_id} on {cluster} (fresh, no state restored)",
                t.resource()
            )
        }
    };
    if ctx.wait && path.is_some() {
        if let Err(e) = wait_running(&t.handle.rest, &job_id, progress).await {
            settle(ctx, op, OpStatus::Failed, e.clone()).await;
            return failed(e);
        }
    }
    settle(ctx, op, OpStatus::Succeeded, job_id.clone()).await;
    ActionOutcome::Done {
        message,
        job_id: Some(job_id),
        savepoint: None,
    }
}
