//! `stop` / `cancel` of an operator resource: suspend it (`spec.job.state: suspended`) with
//! `upgradeMode: savepoint`, or `stateless` for `--no-savepoint` and `cancel`, wait until the
//! operator reports it SUSPENDED for the new generation, and report the savepoint it took.
//!
//! `cancel` of an operator resource is a stateless suspend: the operator would restart a job
//! cancelled behind its back, so this is the honest equivalent (the job ends without a
//! savepoint; the resource stays, suspended, and `start` resumes it).

use super::operator::{
    failed, operator_failure, record_savepoint, refused, require_job, send_patch, settle,
    suspend_savepoint, view, wait_for, OperatorTarget,
};
use super::{OpsContext, Progress};
use crate::domain::time::now_ms;
use crate::domain::{ActionOutcome, JobPatch, OpStatus, OperatorAction};

pub(super) async fn suspend(
    ctx: &OpsContext,
    t: &OperatorTarget,
    action: OperatorAction,
    progress: Progress<'_>,
) -> ActionOutcome {
    let savepoint = action == OperatorAction::Stop;
    let before = match view(t).await {
        Ok(v) => v,
        Err(o) => return o,
    };
    if let Err(o) = require_job(t, &before) {
        return o;
    }
    if before.asked_suspended() {
        return if before.is_suspended() {
            failed(format!("{} is already suspended", t.resource()))
        } else {
            refused(format!(
                "{} is being suspended already ({}); wait for it",
                t.resource(),
                before.describe()
            ))
        };
    }
    let started = now_ms();
    let patch = JobPatch::Suspend { savepoint };
    let (op, generation) = match send_patch(ctx, t, action, patch, &before, None, progress).await {
        Ok(x) => x,
        Err(o) => return o,
    };
    let after = match wait_for(t, "SUSPENDED", |v| {
        if let Some(e) = operator_failure(t, v, generation) {
            return Some(Err(e));
        }
        (v.caught_up(generation) && v.is_suspended()).then(|| Ok(v.clone()))
    })
    .await
    {
        Ok(v) => v,
        Err(e) => {
            if e.starts_with("the operator could not") {
                settle(ctx, op, OpStatus::Failed, e.clone()).await;
            }
            return failed(e);
        }
    };
    let job_id = before.job_id.clone();
    let cluster = t.handle.name().to_string();
    if !savepoint {
        settle(ctx, op, OpStatus::Succeeded, "SUSPENDED".into()).await;
        return ActionOutcome::Done {
            message: format!(
                "suspended {} (job {}) on {cluster} without a savepoint (upgradeMode stateless): the job is cancelled",
                t.resource(),
                job_id.as_deref().unwrap_or("-")
            ),
            job_id,
            savepoint: None,
        };
    }
    let snapshots = t.lc.snapshots().await.unwrap_or_default();
    let Some(path) = suspend_savepoint(&before, &after, &snapshots, started) else {
        let reason = format!(
            "{} is SUSPENDED, but the operator reports no savepoint (no upgradeSavepointPath, savepointInfo or UPGRADE FlinkStateSnapshot)",
            t.resource()
        );
        settle(ctx, op, OpStatus::Failed, reason.clone()).await;
        return failed(reason);
    };
    progress(format!("savepoint written: {path}"));
    record_savepoint(ctx, &cluster, job_id.as_deref(), &path).await;
    settle(ctx, op, OpStatus::Succeeded, path.clone()).await;
    ActionOutcome::Done {
        message: format!(
            "suspended {} (job {}) on {cluster} with savepoint {path}",
            t.resource(),
            job_id.as_deref().unwrap_or("-")
        ),
        job_id,
        savepoint: Some(path),
    }
}
