//! `savepoint` of an operator resource: a `FlinkStateSnapshot` when the operator serves that CRD
//! (1.10+), else a new `spec.job.savepointTriggerNonce`; with `--wait`, until the savepoint is
//! complete, and its path goes into the checkpoint history.

use super::operator::{
    failed, journal, mark_sent, operator_failure, record_savepoint, require_job, send_patch,
    settle, view, wait_for, OperatorTarget,
};
use super::{OpsContext, Progress};
use crate::domain::time::now_ms;
use crate::domain::{
    next_nonce, ActionOutcome, JobPatch, OpStatus, OperatorAction, OperatorOpParams,
};

pub(super) async fn savepoint(
    ctx: &OpsContext,
    t: &OperatorTarget,
    progress: Progress<'_>,
) -> ActionOutcome {
    let before = match view(t).await {
        Ok(v) => v,
        Err(o) => return o,
    };
    if let Err(o) = require_job(t, &before) {
        return o;
    }
    if before.asked_suspended() || !before.job_running() {
        return failed(format!(
            "{} has no running job to take a savepoint of ({})",
            t.resource(),
            before.describe()
        ));
    }
    // `FLINKDECK_OPERATOR_SNAPSHOTS=off`: trigger nonces even where the CRD exists (an operator
    // with `kubernetes.operator.snapshot.resource.enabled: false` serves the CRD but ignores
    // snapshot resources).
    let snapshots = if std::env::var("FLINKDECK_OPERATOR_SNAPSHOTS").is_ok_and(|v| v == "off") {
        false
    } else {
        match t.lc.snapshots_supported().await {
            Ok(s) => s,
            Err(e) => return failed(format!("cannot ask for the FlinkStateSnapshot CRD: {e}")),
        }
    };
    if snapshots {
        by_snapshot(ctx, t, &before, progress).await
    } else {
        by_nonce(ctx, t, &before, progress).await
    }
}

async fn by_snapshot(
    ctx: &OpsContext,
    t: &OperatorTarget,
    before: &crate::domain::OperatorView,
    progress: Progress<'_>,
) -> ActionOutcome {
    let name = format!("{}-flinkdeck-{}", t.name, now_ms());
    let params = OperatorOpParams {
        action: OperatorAction::Savepoint,
        resource: t.lc.reference(),
        patch: None,
        body: None,
        base_generation: before.generation,
        expect_generation: None,
        snapshot: Some(name.clone()),
        restore_path: None,
    };
    let op = match journal(ctx, t, &params, before.job_id.as_deref()).await {
        Ok(op) => op,
        Err(o) => return o,
    };
    if let Err(e) = t.lc.create_savepoint_snapshot(&name).await {
        if e.class.is_http() {
            settle(ctx, op, OpStatus::Failed, e.to_string()).await;
        }
        return failed(format!("cannot create FlinkStateSnapshot {name}: {e}"));
    }
    mark_sent(ctx, op, format!("snapshot {name}")).await;
    let ns = &t.lc.reference().namespace;
    progress(format!(
        "created FlinkStateSnapshot {ns}/{name} (savepoint of {})",
        t.resource()
    ));
    let job_id = before.job_id.clone();
    if !ctx.wait {
        return ActionOutcome::Done {
            message: format!(
                "savepoint of {} requested as FlinkStateSnapshot {ns}/{name}; its path is recorded when it completes (flinkdeck history {})",
                t.resource(),
                t.name
            ),
            job_id,
            savepoint: None,
        };
    }
    let start = std::time::Instant::now();
    loop {
        match t.lc.snapshot(&name).await {
            Ok(Some(s)) => match s.state.as_deref() {
                Some("COMPLETED") => {
                    let Some(path) = s.path.clone() else {
                        let reason =
                            format!("FlinkStateSnapshot {name} is COMPLETED without a path");
                        settle(ctx, op, OpStatus::Failed, reason.clone()).await;
                        return failed(reason);
                    };
                    record_savepoint(ctx, t.handle.name(), job_id.as_deref(), &path).await;
                    settle(ctx, op, OpStatus::Succeeded, path.clone()).await;
                    return ActionOutcome::Done {
                        message: format!(
                            "savepoint of {} (job {}) written: {path}",
                            t.resource(),
                            job_id.as_deref().unwrap_or("-")
                        ),
                        job_id,
                        savepoint: Some(path),
                    };
                }
                Some(st @ ("FAILED" | "ABANDONED")) => {
                    let reason = format!(
                        "FlinkStateSnapshot {name} {st}: {}",
                        s.error.as_deref().unwrap_or("no error given")
                    );
                    settle(ctx, op, OpStatus::Failed, reason.clone()).await;
                    return failed(reason);
                }
                _ => {}
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "reading FlinkStateSnapshot {name}"),
        }
        if start.elapsed() > super::operator::OPERATOR_WAIT {
            return failed(format!(
                "FlinkStateSnapshot {name} is not complete after {}s; it is journaled and the next flinkdeck run records it",
                super::operator::OPERATOR_WAIT.as_secs()
            ));
        }
        tokio::time::sleep(super::actions::POLL).await;
    }
}

async fn by_nonce(
    ctx: &OpsContext,
    t: &OperatorTarget,
    before: &crate::domain::OperatorView,
    progress: Progress<'_>,
) -> ActionOutcome {
    let nonce = next_nonce(before.job.as_ref().and_then(|j| j.savepoint_trigger_nonce));
    let patch = JobPatch::TriggerSavepoint { nonce };
    let (op, generation) = match send_patch(
        ctx,
        t,
        OperatorAction::Savepoint,
        patch,
        before,
        None,
        progress,
    )
    .await
    {
        Ok(x) => x,
        Err(o) => return o,
    };
    let job_id = before.job_id.clone();
    if !ctx.wait {
        return ActionOutcome::Done {
            message: format!(
                "savepoint of {} requested (savepointTriggerNonce {nonce}); its path is recorded when it completes (flinkdeck history {})",
                t.resource(),
                t.name
            ),
            job_id,
            savepoint: None,
        };
    }
    let res = wait_for(t, &format!("a savepoint for nonce {nonce}"), |v| {
        if let Some(e) = operator_failure(t, v, generation) {
            return Some(Err(e));
        }
        v.last_savepoint
            .as_ref()
            .filter(|s| s.trigger_nonce == Some(nonce))
            .map(|s| Ok(s.location.clone()))
    })
    .await;
    match res {
        Ok(path) => {
            record_savepoint(ctx, t.handle.name(), job_id.as_deref(), &path).await;
            settle(ctx, op, OpStatus::Succeeded, path.clone()).await;
            ActionOutcome::Done {
                message: format!(
                    "savepoint of {} (job {}) written: {path}",
                    t.resource(),
                    job_id.as_deref().unwrap_or("-")
                ),
                job_id,
                savepoint: Some(path),
            }
        }
        Err(e) => {
            if e.starts_with("the operator could not") {
                settle(ctx, op, OpStatus::Failed, e.clone()).await;
            }
            failed(e)
        }
    }
}
