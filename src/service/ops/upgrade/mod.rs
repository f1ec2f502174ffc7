//! `flinkdeck upgrade NAME`: (build or validate) → stop with savepoint → start the new version
//! from that savepoint (verified) → watch a health window → if unhealthy, roll back: stop the
//! new job (savepoint, else cancel) and start the previous version from the same savepoint.
//! Every step is journaled (an `upgrade` operation whose params carry the step, both versions,
//! the savepoint and the jobs) before it runs; `settle` accounts for an interrupted upgrade.
//! One entry point, [`run_upgrade`], serves the CLI and (later) the console.

mod health;
mod journal;
mod plan;
mod prepare;
mod rollback;
mod settle;
mod steps;

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use super::{audit, OpsContext, Progress};
use crate::domain::ActionOutcome;

pub(super) use settle::resume;

/// The health window when neither `--health` nor the spec's `upgrade_health` sets one.
pub const DEFAULT_HEALTH: Duration = Duration::from_secs(120);

/// What to upgrade and how.
#[derive(Debug, Clone, Serialize)]
pub struct UpgradeRequest {
    pub app: String,
    /// Build first (also when the spec says `upgrade_rebuilds = true`).
    pub rebuild: bool,
    /// The stored app version to run (default: the current one; with a build, the one it binds).
    pub version: Option<u32>,
    /// The health window (default: the spec's `upgrade_health`, else [`DEFAULT_HEALTH`]).
    #[serde(serialize_with = "ser_ms")]
    pub health: Option<Duration>,
    /// Also wait until the job that runs at the end has all its tasks RUNNING.
    pub wait: bool,
}

fn ser_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

/// How an upgrade ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UpgradeResult {
    /// The new version runs and passed the health window.
    Upgraded,
    /// The new version was unhealthy; the previous version runs again from the savepoint.
    RolledBack,
    /// Stopped before the job was touched (build, validation, stop failed), or the rollback
    /// itself failed (the reason says what runs and where the savepoint is).
    Failed,
    /// The version asked for already runs and nothing was built: nothing was touched.
    Unchanged,
    /// Read-only mode or a read-only cluster.
    Refused,
    /// Usage or spec error: no such app, no such version, `--version` with `--rebuild`, ...
    Invalid,
}

/// One step as it happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    /// plan, build, validate, stop, start, health, rollback_stop, rollback_start.
    pub step: String,
    pub ok: bool,
    pub detail: String,
}

/// The report of an upgrade (`flinkdeck upgrade --json` prints it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpgradeOutcome {
    pub app: String,
    pub from_version: Option<u32>,
    pub to_version: Option<u32>,
    pub outcome: UpgradeResult,
    /// The savepoint of the stop (step 2): what the new, or the rolled back, job restored from.
    pub savepoint: Option<String>,
    /// The job of the app that runs at the end (the new one, or the rolled back one).
    pub job_id: Option<String>,
    /// The job that ran before the upgrade.
    pub previous_job_id: Option<String>,
    /// Why it was rolled back (the new version's root exception, first line) or failed.
    pub reason: Option<String>,
    pub steps: Vec<StepReport>,
    /// The journal entry (`flinkdeck history NAME` shows it).
    pub operation: Option<i64>,
}

impl UpgradeOutcome {
    fn new(app: &str) -> UpgradeOutcome {
        UpgradeOutcome {
            app: app.to_string(),
            from_version: None,
            to_version: None,
            outcome: UpgradeResult::Failed,
            savepoint: None,
            job_id: None,
            previous_job_id: None,
            reason: None,
            steps: Vec::new(),
            operation: None,
        }
    }

    fn end(mut self, outcome: UpgradeResult, reason: impl Into<String>) -> UpgradeOutcome {
        self.outcome = outcome;
        self.reason = Some(reason.into());
        self
    }

    /// One line: what happened.
    pub fn summary(&self) -> String {
        let v = |v: Option<u32>| v.map_or("?".into(), |v| v.to_string());
        let (from, to) = (v(self.from_version), v(self.to_version));
        let reason = self.reason.as_deref().unwrap_or("");
        match self.outcome {
            UpgradeResult::Upgraded => format!(
                "upgraded {} from version {from} to {to}: job {} restored (verified) from {}",
                self.app,
                self.job_id.as_deref().unwrap_or("?"),
                self.savepoint.as_deref().unwrap_or("?")
            ),
            UpgradeResult::RolledBack => format!(
                "rolled back {} to version {from} (job {}, restored from {}): version {to} was unhealthy: {reason}",
                self.app,
                self.job_id.as_deref().unwrap_or("?"),
                self.savepoint.as_deref().unwrap_or("?")
            ),
            UpgradeResult::Unchanged => format!("{} unchanged: {reason}", self.app),
            UpgradeResult::Failed => format!("upgrade of {} failed: {reason}", self.app),
            UpgradeResult::Refused => format!("refused: {reason}"),
            UpgradeResult::Invalid => reason.to_string(),
        }
    }
}

/// Runs an upgrade and records it in the audit trail (with both versions). `cancel` turning
/// true stops a build, or ends the health window early as unhealthy (and rolls back).
pub async fn run_upgrade(
    ctx: &OpsContext,
    data_dir: &Path,
    req: &UpgradeRequest,
    progress: Progress<'_>,
    cancel: watch::Receiver<bool>,
) -> UpgradeOutcome {
    let (outcome, cluster) = steps::upgrade(ctx, data_dir, req, progress, cancel).await;
    let audited = outcome.action_outcome();
    let params = serde_json::json!({
        "from_version": outcome.from_version,
        "to_version": outcome.to_version,
        "rebuild": req.rebuild,
        "version": req.version,
        "health_ms": req.health.map(|d| d.as_millis() as u64),
    })
    .to_string();
    audit::record(
        ctx,
        "upgrade",
        Some(req.app.clone()),
        cluster,
        params,
        &audited,
    )
    .await;
    outcome
}

impl UpgradeOutcome {
    /// How the upgrade ended, as an action's outcome (the audit trail, the console).
    pub fn action_outcome(&self) -> ActionOutcome {
        let outcome = self;
        match outcome.outcome {
            UpgradeResult::Upgraded | UpgradeResult::Unchanged => ActionOutcome::Done {
                message: outcome.summary(),
                job_id: outcome.job_id.clone(),
                savepoint: outcome.savepoint.clone(),
            },
            UpgradeResult::Refused => ActionOutcome::Refused {
                reason: outcome.reason.clone().unwrap_or_default(),
            },
            UpgradeResult::Invalid => ActionOutcome::Invalid {
                reason: outcome.reason.clone().unwrap_or_default(),
            },
            UpgradeResult::RolledBack | UpgradeResult::Failed => ActionOutcome::Failed {
                reason: outcome.summary(),
            },
        }
    }
}

/// The plan as lines (shown before confirmation, and at the start of a CLI run); an error when
/// the upgrade cannot run (no such app or version, no running job, read-only, ...).
pub async fn preview_upgrade(
    ctx: &OpsContext,
    req: &UpgradeRequest,
) -> Result<Vec<String>, String> {
    match plan::plan(ctx, req).await {
        Ok(p) => Ok(p.lines()),
        Err(o) => Err(o.reason.unwrap_or_else(|| "cannot upgrade".into())),
    }
}
