//! Settling an upgrade a killed process left unsettled (run by every later process, after the
//! stop and start operations it made were settled): it looks at what runs now, makes sure the
//! savepoint of the stop is recorded (savepoint history, and so the app's latest restore point),
//! and settles the upgrade as interrupted with what it found. It never starts or stops a job
//! (settling runs in read-only and viewing commands too); it says what to run instead.

use super::journal::{still_running, Params};
use crate::domain::time::now_ms;
use crate::domain::{OpKind, OpStatus, Operation};
use crate::service::ops::actions::{active_jobs_of_app, load_app};
use crate::service::ops::OpsContext;
use crate::store::Store;

/// Settles one interrupted upgrade; `None` while it still runs or its cluster cannot tell.
pub(in crate::service::ops) async fn resume(ctx: &OpsContext, op: &Operation) -> Option<String> {
    let p: Params = serde_json::from_str(&op.params).ok()?;
    if p.lock.as_deref().is_some_and(still_running) {
        return None;
    }
    // A stop with savepoint still in flight decides what happened: settle it first.
    let stop_pending = ctx
        .store
        .call(|s: &mut Store| s.unsettled_ops())
        .await
        .ok()?
        .iter()
        .any(|o| o.kind == OpKind::Stop && o.job_id.as_deref() == Some(&p.previous_job_id));
    if stop_pending {
        return None;
    }
    let name = op.app.clone()?;
    let app = load_app(ctx, &name).await.ok()?;
    let handle = ctx.clusters.get(&op.cluster)?;
    let active = active_jobs_of_app(ctx, &app, &handle).await.ok()?;
    // The savepoint: journaled, or the one the stop's own settlement put on the old run.
    let mut savepoint = p.savepoint.clone();
    if savepoint.is_none() {
        let (c, j) = (op.cluster.clone(), p.previous_job_id.clone());
        savepoint = ctx
            .store
            .call(move |s: &mut Store| s.run_by_job(&c, &j))
            .await
            .ok()
            .flatten()
            .and_then(|r| r.final_savepoint);
    }
    if let Some(sp) = &savepoint {
        let (c, j, sp) = (op.cluster.clone(), p.previous_job_id.clone(), sp.clone());
        if let Err(e) = ctx
            .store
            .call(move |s: &mut Store| s.record_savepoint(&c, &j, &sp, now_ms(), None))
            .await
        {
            tracing::warn!(error = %e, "cannot record the upgrade's savepoint");
        }
    }
    let to = p.to_version.map_or("?".into(), |v| v.to_string());
    let mut versions = Vec::new();
    for (id, _) in &active {
        let (c, j) = (op.cluster.clone(), id.clone());
        let v = ctx
            .store
            .call(move |s: &mut Store| s.run_by_job(&c, &j))
            .await
            .ok()
            .flatten()
            .map_or("?".to_string(), |r| r.version.to_string());
        versions.push(format!("job {id} (version {v})"));
    }
    let kept = match &savepoint {
        Some(sp) => format!("savepoint {sp} is kept (the app's latest restore point)"),
        None => "no savepoint of the stop was recorded".to_string(),
    };
    let found = match active.as_slice() {
        [] => format!("no job of {name} runs; {kept}: `flinkdeck start {name}` restores from it"),
        [(id, _)] if *id == p.previous_job_id => format!(
            "the stop never completed: {} keeps running",
            versions.join("")
        ),
        [_] => format!(
            "{} runs (not health-checked to the end); {kept}",
            versions.join("")
        ),
        _ => format!(
            "SEVERAL jobs of {name} run: {}; stop all but one; {kept}",
            versions.join(", ")
        ),
    };
    let result = format!(
        "interrupted at step {} (version {} → {to}); settled by a later flinkdeck process: {found}",
        p.step, p.from_version
    );
    let (id, r) = (op.id, result.clone());
    ctx.store
        .call(move |s: &mut Store| s.op_settle(id, OpStatus::Failed, &r, now_ms()))
        .await
        .ok()?;
    Some(format!(
        "journal: upgrade of app {name} (operation {}) {result}",
        op.id
    ))
}
