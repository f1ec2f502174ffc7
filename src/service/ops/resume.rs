//! Settling what an interrupted flinkdeck left behind: journaled operations without a result,
//! and runs whose job ended while nobody watched. Every process (CLI or TUI) runs this at start.
//! Nothing is settled from silence: an unreachable cluster leaves the entry as it is.

use super::actions::{settle_failed, settle_savepoint};
use super::OpsContext;
use crate::domain::time::now_ms;
use crate::domain::{FailureClass, OpKind, OpStatus, Operation};
use crate::flink::TriggerStatus;
use crate::store::Store;

/// Settles every unsettled operation that its cluster can now account for. Returns one line per
/// operation settled (for the CLI to print).
pub async fn resume_journal(ctx: &OpsContext) -> Vec<String> {
    let ops = match ctx.store.call(|s: &mut Store| s.unsettled_ops()).await {
        Ok(ops) => ops,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the operation journal");
            return Vec::new();
        }
    };
    let mut settled = Vec::new();
    // An upgrade is settled after the stops and starts it made (they say what happened).
    let (upgrades, ops): (Vec<_>, Vec<_>) =
        ops.into_iter().partition(|o| o.kind == OpKind::Upgrade);
    for op in ops.iter().chain(&upgrades) {
        if let Some(line) = resume_one(ctx, op).await {
            tracing::info!(op = op.id, "{line}");
            settled.push(line);
        }
    }
    settled
}

async fn resume_one(ctx: &OpsContext, op: &Operation) -> Option<String> {
    // Still being done by the process that journaled it.
    if super::owner::alive(&op.params) {
        return None;
    }
    if op.kind == OpKind::OperatorPatch {
        return super::operator::resume(ctx, op).await;
    }
    if op.kind == OpKind::Upgrade {
        return super::upgrade::resume(ctx, op).await;
    }
    let handle = ctx.clusters.get(&op.cluster)?;
    let client = &handle.rest;
    match (op.kind, &op.job_id, &op.trigger_id) {
        (OpKind::Stop | OpKind::Savepoint, Some(job), Some(trigger)) => {
            match client.savepoint_status(job, trigger).await {
                Ok(TriggerStatus::Completed { location }) => {
                    settle_savepoint(ctx, op.id, op.kind, &op.cluster, job, &location).await;
                    Some(format!(
                        "journal: {} of job {job} (operation {}) completed: savepoint {location}",
                        op.kind.as_str(),
                        op.id
                    ))
                }
                Ok(TriggerStatus::Failed { cause }) => {
                    settle_failed(ctx, op.id, &cause).await;
                    Some(format!(
                        "journal: {} of job {job} failed: {cause}",
                        op.kind.as_str()
                    ))
                }
                Ok(TriggerStatus::InProgress) => None,
                // Flink does not know the trigger: it never arrived, or Flink forgot it (the
                // JobManager keeps results for minutes). Look at the job's own records.
                Err(e) if matches!(e.class, FailureClass::Http { status: 404 }) => {
                    settle_from_job(ctx, op, job).await
                }
                Err(_) => None,
            }
        }
        (OpKind::Cancel, Some(job), _) => match client.job_state(job).await {
            Ok(state) if state.is_terminal() => {
                let (c, j, st, id) = (op.cluster.clone(), job.clone(), state.clone(), op.id);
                let _ = ctx
                    .store
                    .call(move |s: &mut Store| {
                        s.end_run(&c, &j, now_ms(), &st, None)?;
                        s.op_settle(id, OpStatus::Succeeded, st.as_str(), now_ms())
                    })
                    .await;
                Some(format!("journal: cancel of job {job}: job is {state}"))
            }
            _ => None,
        },
        (OpKind::Start, None, _) => {
            // Interrupted before the job id was recorded: a job of the app's name that started
            // after the operation is its run.
            let app = op.app.clone()?;
            // The version the start ran (an upgrade's rollback starts an older one).
            let journaled_version = serde_json::from_str::<serde_json::Value>(&op.params)
                .ok()
                .and_then(|p| p.get("version")?.as_u64())
                .and_then(|v| u32::try_from(v).ok());
            let jobs = client.jobs_overview(&op.cluster).await.ok()?;
            match jobs
                .into_iter()
                .find(|j| j.name == app && j.start_time >= op.created_at - 1000)
            {
                Some(j) => {
                    let (a, c, jid, start, id) = (
                        app.clone(),
                        op.cluster.clone(),
                        j.id.clone(),
                        j.start_time,
                        op.id,
                    );
                    let _ = ctx
                        .store
                        .call(move |s: &mut Store| {
                            let version = match journaled_version {
                                Some(v) => v,
                                None => s.app(&a)?.map(|v| v.version).unwrap_or(0),
                            };
                            if s.run_by_job(&c, &jid)?.is_none() {
                                s.insert_run(&a, version, &c, &jid, start, None)?;
                            }
                            s.op_set_job(id, &jid, now_ms())?;
                            s.op_settle(id, OpStatus::Succeeded, &jid, now_ms())
                        })
                        .await;
                    Some(format!(
                        "journal: start of app {app} had submitted job {}",
                        j.id
                    ))
                }
                None => {
                    settle_failed(ctx, op.id, "interrupted before the job was submitted").await;
                    Some(format!(
                        "journal: start of app {app} was interrupted before submission"
                    ))
                }
            }
        }
        (OpKind::Start, Some(job), _) => {
            // The job was submitted and recorded; only the settlement was lost.
            let (id, j) = (op.id, job.clone());
            let _ = ctx
                .store
                .call(move |s: &mut Store| s.op_settle(id, OpStatus::Succeeded, &j, now_ms()))
                .await;
            Some(format!("journal: start submitted job {job}"))
        }
        _ => None,
    }
}

/// The trigger is unknown to Flink: a savepoint of the job completed after the operation began
/// settles it; a job still running without one means the request never arrived.
async fn settle_from_job(ctx: &OpsContext, op: &Operation, job: &str) -> Option<String> {
    let client = &ctx.clusters.get(&op.cluster)?.rest;
    if let Ok(stats) = client.checkpoints(job).await {
        if let Some(sp) = stats
            .latest_savepoint
            .as_ref()
            .filter(|sp| sp.trigger_timestamp >= op.created_at - 1000)
        {
            if let Some(location) = &sp.external_path {
                settle_savepoint(ctx, op.id, op.kind, &op.cluster, job, location).await;
                return Some(format!(
                    "journal: {} of job {job} completed: savepoint {location}",
                    op.kind.as_str()
                ));
            }
        }
    }
    match client.job_state(job).await {
        Ok(state) if !state.is_terminal() => {
            settle_failed(
                ctx,
                op.id,
                "the request never reached Flink (flinkdeck stopped first)",
            )
            .await;
            Some(format!(
                "journal: {} of job {job} never reached Flink; the job is still {state}",
                op.kind.as_str()
            ))
        }
        _ => None,
    }
}

/// Ends the runs whose jobs the cluster reports in a terminal state (the cluster must say so:
/// an unreachable cluster or an unknown job changes nothing).
pub async fn reconcile_runs(ctx: &OpsContext) {
    let Ok(open) = ctx.store.call(|s: &mut Store| s.open_runs()).await else {
        return;
    };
    for run in open {
        let Some(handle) = ctx.clusters.get(&run.cluster) else {
            continue;
        };
        if let Ok(state) = handle.rest.job_state(&run.job_id).await {
            if state.is_terminal() {
                let (c, j) = (run.cluster.clone(), run.job_id.clone());
                let _ = ctx
                    .store
                    .call(move |s: &mut Store| s.end_run(&c, &j, now_ms(), &state, None))
                    .await;
            }
        }
    }
}
