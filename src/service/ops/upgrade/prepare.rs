//! Step 1: the version to run — built (`--rebuild`) or asked for — and the checks that must pass
//! before the running job is touched: its jar exists, its SQL passes Flink's planner.

use std::path::PathBuf;

use tokio::sync::watch;

use super::plan::Plan;
use super::steps::Run;
use super::UpgradeResult;
use crate::domain::{AppKind, AppVersion};
use crate::service::ops::build::{run_build, BuildOutcome};
use crate::service::ops::OpsContext;
use crate::store::Store;

impl Run<'_> {
    /// Builds; `Ok(version bound)`.
    pub(super) async fn build(
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

    pub(super) async fn version(&self, v: u32) -> Result<AppVersion, String> {
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
pub(super) fn runnable(v: &AppVersion) -> Result<(), String> {
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
pub(super) async fn validate_sql(
    ctx: &OpsContext,
    plan: &Plan,
    v: &AppVersion,
) -> Result<String, String> {
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
