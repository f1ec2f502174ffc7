//! The upgrade's steps in order, each journaled before it runs: build or validate, stop with
//! savepoint, start the new version from it, watch its health, and roll back when unhealthy.

use std::path::{Path, PathBuf};

use tokio::sync::watch;

use super::health::{self, Health};
use super::journal::{self, Journal, Params};
use super::plan::{self, Plan};
use super::{StepReport, UpgradeOutcome, UpgradeRequest, UpgradeResult};
use crate::domain::{
    ActionOutcome, ActionTarget, AppKind, AppVersion, JobKey, JobState, OpStatus, RestoreChoice,
};
use crate::service::ops::actions::{
    active_jobs_of_app, cancel, fault, start_version, stop, wait_running,
};
use crate::service::ops::build::{run_build, BuildOutcome};
use crate::service::ops::{OpsContext, Progress};
use crate::store::Store;

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

struct Run<'a> {
    ctx: &'a OpsContext,
    data_dir: &'a Path,
    req: &'a UpgradeRequest,
    plan: &'a Plan,
    j: &'a mut Journal,
    out: UpgradeOutcome,
    progress: Progress<'a>,
}

impl Run<'_> {
    fn report(&mut self, step: &str, ok: bool, detail: impl Into<String>) {
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

    fn finish(&mut self, outcome: UpgradeResult, reason: impl Into<String>) {
        self.out.outcome = outcome;
        self.out.reason = Some(reason.into());
    }

    /// Journals `step`; false (and the outcome set) when the journal cannot be written.
    async fn begin(&mut self, step: &str) -> bool {
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

    fn waiting_ctx(&self) -> OpsContext {
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

    async fn rollback(&mut self, why: &str, savepoint: &str) {
        let name = self.req.app.clone();
        let prev = self.plan.from_version;
        let kept = format!(
            "savepoint {savepoint} is kept: `flinkdeck start {name} --from savepoint:{savepoint}`"
        );
        if !self.begin("rollback_stop").await {
            return;
        }
        let active = match active_jobs_of_app(self.ctx, &self.plan.app, &self.plan.handle).await {
            Ok(a) => a,
            Err(e) => {
                self.report("rollback_stop", false, e.clone());
                return self.finish(
                    UpgradeResult::Failed,
                    format!("{why}; rollback: {e}; version {prev} was not started (a running new job cannot be ruled out); {kept}"),
                );
            }
        };
        let wctx = self.waiting_ctx();
        for (id, state) in active {
            let key = ActionTarget::Job(JobKey::new(self.plan.handle.name(), id.clone()));
            if state == JobState::Running {
                if let ActionOutcome::Done { message, .. } =
                    stop(&wctx, &key, false, None, self.progress).await
                {
                    self.report("rollback_stop", true, message);
                    continue;
                }
            }
            match cancel(&wctx, &key, self.progress).await {
                ActionOutcome::Done { message, .. } => {
                    self.report("rollback_stop", true, format!("cancelled: {message}"))
                }
                other => {
                    let r = reason_of(&other);
                    self.report("rollback_stop", false, r.clone());
                    return self.finish(
                        UpgradeResult::Failed,
                        format!("{why}; rollback: cannot stop job {id}: {r}; version {prev} was not started; {kept}"),
                    );
                }
            }
        }
        if !self.begin("rollback_start").await {
            return;
        }
        let from = RestoreChoice::Savepoint(savepoint.to_string());
        match start_version(self.ctx, &name, prev, &from, self.progress).await {
            ActionOutcome::Done {
                job_id: Some(id), ..
            } => {
                self.report(
                    "rollback_start",
                    true,
                    format!("version {prev} runs again as job {id}, restored (verified) from {savepoint}"),
                );
                self.out.job_id = Some(id.clone());
                self.j.params.rollback_job_id = Some(id.clone());
                if let Err(e) = self.j.save().await {
                    tracing::warn!(op = self.j.op, error = %e, "cannot journal the rolled back job");
                }
                if self.req.wait {
                    if let Err(e) = wait_running(&self.plan.handle.rest, &id, self.progress).await {
                        return self.finish(
                            UpgradeResult::Failed,
                            format!("{why}; rolled back to version {prev} as job {id}, but {e}"),
                        );
                    }
                }
                self.finish(UpgradeResult::RolledBack, why);
            }
            other => {
                let r = reason_of(&other);
                self.report("rollback_start", false, r.clone());
                self.out.job_id = None;
                self.finish(
                    UpgradeResult::Failed,
                    format!("{why}; the rollback to version {prev} failed: {r}; {kept}"),
                );
            }
        }
    }

    /// Builds; `Ok(version bound)`.
    async fn build(
        &mut self,
        cancel: watch::Receiver<bool>,
    ) -> Result<u32, (UpgradeResult, String)> {
        let app = self.req.app.clone();
        match run_build(self.ctx, self.data_dir, &app, None, self.progress, cancel).await {
            BuildOutcome::Succeeded(r) => match r.version {
                Some(v) => {
                    self.report(
                        "build",
                        true,
                        format!(
                            "build #{} of commit {} bound version {v}",
                            r.id,
                            r.commit.as_deref().unwrap_or("?")
                        ),
                    );
                    Ok(v)
                }
                None => Err((
                    UpgradeResult::Failed,
                    format!("build #{} bound no version", r.id),
                )),
            },
            BuildOutcome::Failed {
                record,
                reason,
                tail,
            } => {
                let last = tail.iter().rev().take(5).rev().cloned().collect::<Vec<_>>();
                self.report(
                    "build",
                    false,
                    format!("{reason} (log {}): {}", record.log, last.join(" | ")),
                );
                Err((
                    UpgradeResult::Failed,
                    format!("build #{} failed: {reason} (log {})", record.id, record.log),
                ))
            }
            BuildOutcome::Cancelled(r) => {
                self.report("build", false, "cancelled");
                Err((UpgradeResult::Failed, format!("build #{} cancelled", r.id)))
            }
            BuildOutcome::Busy(m) | BuildOutcome::Error(m) => {
                self.report("build", false, m.clone());
                Err((UpgradeResult::Failed, m))
            }
            BuildOutcome::Invalid(m) => Err((UpgradeResult::Invalid, m)),
        }
    }

    async fn version(&self, v: u32) -> Result<AppVersion, String> {
        let n = self.req.app.clone();
        match self
            .ctx
            .store
            .call(move |s: &mut Store| s.app_version(&n, v))
            .await
        {
            Ok(Some(a)) => Ok(a),
            Ok(None) => Err(format!("app {} has no version {v}", self.req.app)),
            Err(e) => Err(format!(
                "cannot read version {v} of app {}: {e}",
                self.req.app
            )),
        }
    }
}

/// A jar version's jar must exist before the running job is stopped.
fn runnable(v: &AppVersion) -> Result<(), String> {
    if v.spec.kind != AppKind::Jar || v.spec.target.is_some() {
        return Ok(());
    }
    match &v.spec.jar_file {
        Some(jar) if PathBuf::from(jar).is_file() => Ok(()),
        Some(jar) => Err(format!(
            "version {} of app {} runs {jar}, which does not exist",
            v.version, v.app
        )),
        None => Err(format!(
            "version {} of app {} has no jar (build it: flinkdeck build {})",
            v.version, v.app, v.app
        )),
    }
}

/// Validates a SQL version's script with Flink's planner (the `sql validate` helper, for the
/// cluster's Flink version); `Err` names the first error's line and column.
async fn validate_sql(ctx: &OpsContext, plan: &Plan, v: &AppVersion) -> Result<String, String> {
    let sql = v
        .spec
        .sql
        .clone()
        .ok_or_else(|| format!("version {} of app {} has no SQL script", v.version, v.app))?;
    let info = plan.handle.rest.cluster_info().await.map_err(|e| {
        format!(
            "cannot read the Flink version of {}: {e}",
            plan.handle.name()
        )
    })?;
    let version = info.flink_version.ok_or_else(|| {
        format!(
            "cluster {} does not report its Flink version",
            plan.handle.name()
        )
    })?;
    let home = ctx.config.flink_home(&version).map_err(|e| e.to_string())?;
    let (vars, secrets) = ctx
        .config
        .resolve_vars_for(Some(&v.spec), &sql)
        .map_err(|e| format!("app {}: {e}", v.app))?;
    std::fs::create_dir_all(&ctx.helpers_dir)
        .map_err(|e| format!("cannot create {}: {e}", ctx.helpers_dir.display()))?;
    let jars: Vec<PathBuf> = v.spec.jars.iter().map(PathBuf::from).collect();
    let mut helper = crate::sqltools::SqlHelper::start(&home, &version, &ctx.helpers_dir, &jars)
        .await
        .map_err(|e| e.to_string())?;
    let result = helper.validate_with(&sql, &vars, &secrets).await;
    helper.shutdown().await;
    let problems = result.map_err(|e| e.to_string())?;
    let errors: Vec<_> = problems.iter().filter(|p| p.is_error()).collect();
    match errors.first() {
        None => Ok(format!(
            "the SQL of version {} is valid (Flink {version})",
            v.version
        )),
        Some(p) => Err(format!(
            "the SQL of version {} has {} error(s); first at line {}, column {}: {}",
            v.version,
            errors.len(),
            p.line,
            p.column,
            p.message
        )),
    }
}

fn reason_of(o: &ActionOutcome) -> String {
    match o {
        ActionOutcome::Done { message, .. } => message.clone(),
        ActionOutcome::Refused { reason }
        | ActionOutcome::Failed { reason }
        | ActionOutcome::Invalid { reason } => reason.clone(),
    }
}
