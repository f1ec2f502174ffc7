//! The upgrade's steps in order, each journaled before it runs: build or validate, stop with
//! savepoint, start the new version from it, watch its health, and roll back when unhealthy.

use std::path::Path;

use tokio::sync::watch;

use super::health::{self, Health};
use super::journal::{self, Journal, Params};
use super::plan::{self, Plan};
use super::prepare::{runnable, validate_sql};
use super::{StepReport, UpgradeOutcome, UpgradeRequest, UpgradeResult};
use crate::domain::{ActionOutcome, ActionTarget, AppKind, JobKey, OpStatus, RestoreChoice};
use crate::service::ops::actions::{fault, start_version, stop, wait_running};
use crate::service::ops::{OpsContext, Progress};

/// Runs the whole upgrade; returns the outcome and the cluster it concerned (for the audit).
pub(super) async fn upgrade(
    ctx: &OpsContext,
    data_dir: &Path,
    req: &UpgradeRequest,
    progress: Progress<'_>,
    mut cancel: watch::Receiver<bool>,
) -> (UpgradeOutcome, Option<String>) {
    let plan = match plan::plan(ctx, req).await {
        Ok(p) => p,
        Err(o) => return (o, None),
    };
    let cluster = plan.handle.name().to_string();
    for line in plan.lines() {
        progress(line);
    }
    let mut out = UpgradeOutcome::new(&req.app);
    out.from_version = Some(plan.from_version);
    out.to_version = plan.to_version;
    out.previous_job_id = Some(plan.job_id.clone());
    let (lock_path, lock_file) = match journal::lock(data_dir, &req.app) {
        Ok(x) => x,
        Err(e) => return (out.end(UpgradeResult::Failed, e), Some(cluster)),
    };
    let params = Params {
        from_version: plan.from_version,
        to_version: plan.to_version,
        previous_job_id: plan.job_id.clone(),
        step: "plan".into(),
        steps: vec!["plan".into()],
        health_ms: u64::try_from(plan.health.as_millis()).unwrap_or(u64::MAX),
        rebuild: plan.rebuild,
        lock: Some(lock_path),
        ..Params::default()
    };
    let mut j = match Journal::begin(ctx, &req.app, &cluster, params, Some(lock_file)).await {
        Ok(j) => j,
        Err(e) => return (out.end(UpgradeResult::Failed, e), Some(cluster)),
    };
    out.operation = Some(j.op);
    let mut run = Run {
        ctx,
        data_dir,
        req,
        plan: &plan,
        j: &mut j,
        out,
        progress,
    };
    run.steps(&mut cancel).await;
    let out = run.out;
    let status = match out.outcome {
        UpgradeResult::Upgraded | UpgradeResult::Unchanged => OpStatus::Succeeded,
        _ => OpStatus::Failed,
    };
    j.settle(status, &out.summary()).await;
    (out, Some(cluster))
}

pub(super) struct Run<'a> {
    pub ctx: &'a OpsContext,
    pub data_dir: &'a Path,
    pub req: &'a UpgradeRequest,
    pub plan: &'a Plan,
    pub j: &'a mut Journal,
    pub out: UpgradeOutcome,
    pub progress: Progress<'a>,
}

impl Run<'_> {
    pub(super) fn report(&mut self, step: &str, ok: bool, detail: impl Into<String>) {
        let detail = detail.into();
        (self.progress)(format!(
            "{step}: {}{detail}",
            if ok { "" } else { "FAILED: " }
        ));
        self.out.steps.push(StepReport {
            step: step.into(),
            ok,
            detail,
        });
    }

    pub(super) fn finish(&mut self, outcome: UpgradeResult, reason: impl Into<String>) {
        self.out.outcome = outcome;
        self.out.reason = Some(reason.into());
    }

    /// Journals `step`; false (and the outcome set) when the journal cannot be written.
    pub(super) async fn begin(&mut self, step: &str) -> bool {
        match self.j.step(step).await {
            Ok(()) => true,
            Err(e) => {
                self.finish(
                    UpgradeResult::Failed,
                    format!("{e}; not running step {step}"),
                );
                false
            }
        }
    }

    pub(super) fn waiting_ctx(&self) -> OpsContext {
        let mut c = self.ctx.clone();
        c.wait = true;
        c
    }

    async fn steps(&mut self, cancel: &mut watch::Receiver<bool>) {
        let name = self.req.app.clone();
        let old_job = self.plan.job_id.clone();
        let untouched = format!("nothing was touched: job {old_job} keeps running");

        // 1. build (or the version asked for), then validation.
        let to = match self.plan.to_version {
            Some(v) => v,
            None => {
                if !self.begin("build").await {
                    return;
                }
                match self.build(cancel.clone()).await {
                    Ok(v) => v,
                    Err((outcome, reason)) => {
                        return self.finish(outcome, format!("{reason}; {untouched}"))
                    }
                }
            }
        };
        self.out.to_version = Some(to);
        self.j.params.to_version = Some(to);
        if to == self.plan.from_version {
            return self.finish(
                UpgradeResult::Unchanged,
                format!(
                    "the build bound version {to}, which job {old_job} already runs; nothing to do"
                ),
            );
        }
        let target = match self.version(to).await {
            Ok(t) => t,
            Err(e) => return self.finish(UpgradeResult::Failed, format!("{e}; {untouched}")),
        };
        if let Err(e) = runnable(&target) {
            return self.finish(UpgradeResult::Failed, format!("{e}; {untouched}"));
        }
        if target.spec.kind == AppKind::Sql {
            if !self.begin("validate").await {
                return;
            }
            match validate_sql(self.ctx, self.plan, &target).await {
                Ok(d) => self.report("validate", true, d),
                Err(e) => {
                    self.report("validate", false, e.clone());
                    return self.finish(UpgradeResult::Failed, format!("{e}; {untouched}"));
                }
            }
        }
        if *cancel.borrow() {
            return self.finish(UpgradeResult::Failed, format!("cancelled; {untouched}"));
        }

        // 2. stop with savepoint.
        if !self.begin("stop").await {
            return;
        }
        let wctx = self.waiting_ctx();
        let key = ActionTarget::Job(JobKey::new(self.plan.handle.name(), old_job.clone()));
        let savepoint = match stop(&wctx, &key, false, None, self.progress).await {
            ActionOutcome::Done {
                savepoint: Some(sp),
                ..
            } => sp,
            other => {
                let reason = reason_of(&other);
                self.report("stop", false, reason.clone());
                return self.finish(
                    UpgradeResult::Failed,
                    format!("stop with savepoint of job {old_job} failed: {reason}"),
                );
            }
        };
        self.report(
            "stop",
            true,
            format!("job {old_job} stopped with savepoint {savepoint}"),
        );
        self.out.savepoint = Some(savepoint.clone());
        self.j.params.savepoint = Some(savepoint.clone());

        // 3. start the new version from it.
        if !self.begin("start").await {
            return;
        }
        fault("upgrade-after-savepoint");
        let from = RestoreChoice::Savepoint(savepoint.clone());
        let unhealthy = match start_version(self.ctx, &name, to, &from, self.progress).await {
            ActionOutcome::Done {
                job_id: Some(id), ..
            } => {
                self.report(
                    "start",
                    true,
                    format!("version {to} runs as job {id}, restored (verified) from {savepoint}"),
                );
                self.out.job_id = Some(id.clone());
                self.j.params.new_job_id = Some(id.clone());
                // 4. the health window.
                if !self.begin("health").await {
                    return;
                }
                let client = &self.plan.handle.rest;
                match health::watch(client, &id, self.plan.health, self.progress, cancel).await {
                    Health::Healthy {
                        checkpoints,
                        checkpointing,
                    } => {
                        let detail = if checkpointing {
                            format!("job {id} stayed RUNNING without a restart and completed {checkpoints} checkpoint(s)")
                        } else {
                            format!("job {id} stayed RUNNING without a restart; checkpointing is off for it, so no checkpoint was required")
                        };
                        self.report("health", true, detail);
                        if self.req.wait {
                            if let Err(e) = wait_running(client, &id, self.progress).await {
                                return self
                                    .finish(UpgradeResult::Failed, format!("upgraded, but {e}"));
                            }
                        }
                        self.out.outcome = UpgradeResult::Upgraded;
                        self.out.reason = None;
                        return;
                    }
                    Health::Unhealthy { reason } => {
                        let root = health::root_exception(client, &id).await;
                        let detail = match &root {
                            Some(r) => format!("{reason}: {r}"),
                            None => reason.clone(),
                        };
                        self.report("health", false, detail);
                        root.unwrap_or(reason)
                    }
                }
            }
            other => {
                let reason = format!("the start of version {to} failed: {}", reason_of(&other));
                self.report("start", false, reason.clone());
                reason
            }
        };

        // 5. roll back.
        self.rollback(&unhealthy, &savepoint).await;
    }
}

pub(super) fn reason_of(o: &ActionOutcome) -> String {
    match o {
        ActionOutcome::Done { message, .. } => message.clone(),
        ActionOutcome::Refused { reason }
        | ActionOutcome::Failed { reason }
        | ActionOutcome::Invalid { reason } => reason.clone(),
    }
}
