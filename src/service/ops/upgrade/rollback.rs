//! Step 5, when the new version is unhealthy: stop the new job (with a savepoint while it is
//! RUNNING, else cancel it), then start the previous version from the savepoint of the stop and
//! verify the restore. Nothing starts while a job of the app may still be active.

use super::steps::{reason_of, Run};
use super::UpgradeResult;
use crate::domain::{ActionOutcome, ActionTarget, JobKey, JobState, RestoreChoice};
use crate::service::ops::actions::{active_jobs_of_app, cancel, start_version, stop, wait_running};

impl Run<'_> {
    pub(super) async fn rollback(&mut self, why: &str, savepoint: &str) {
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
}
