//! Lifecycle actions with state safety: start (restoring from a chosen or the latest savepoint
//! or checkpoint, verified afterwards), stop with savepoint, savepoint, cancel, adopt, and the
//! kill of a whole YARN application. One
//! implementation serves the CLI and the TUI.
//!
//! Safety machinery: every mutating request is journaled in SQLite before it is sent (with a
//! client-chosen trigger id), the journal is settled when Flink answers, and any later process
//! settles what an interrupted one left (`resume`). Starts are refused while the app's job runs
//! on its cluster (checked against the cluster). Read-only mode refuses every action. Every
//! action, refused or not, goes into the audit trail.

mod actions;
mod audit;
mod build;
mod build_console;
mod cli_submit;
mod incident;
mod operator;
mod operator_apply;
mod operator_savepoint;
mod operator_start;
mod operator_stop;
mod owner;
mod restore;
mod resume;
pub mod stamp;
mod upgrade;
mod yarn_kill;

pub use actions::{preview_start, record_job_checkpoints, run_action};
pub use audit::{record as record_audit, Actor};
pub use build::{run_build, BuildOutcome};
pub use build_console::{cancel_build, console_build, load_builds, refuse_build_readonly};
pub use incident::quiet_incident;
pub use operator::{add_operator_apps, operator_app_handles};
pub use operator_apply::{apply_to_kubernetes, KubeApplyOutcome};
pub use restore::{restore_points, same_path};
pub use resume::{reconcile_runs, resume_journal};
pub use upgrade::{
    preview_upgrade, run_upgrade, UpgradeOutcome, UpgradeRequest, UpgradeResult, DEFAULT_HEALTH,
};

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::domain::{AppSummary, Run};
use crate::store::{Store, StoreError, StoreHandle};

use crate::backend::Clusters;

/// What the actions need: clusters, the store, the config and who is acting.
#[derive(Clone)]
pub struct OpsContext {
    pub clusters: Clusters,
    pub store: StoreHandle,
    pub config: Arc<Config>,
    /// `--readonly` or `[ui] readonly = true`.
    pub readonly: bool,
    /// Where built helper jars are cached (`<data dir>/helpers`).
    pub helpers_dir: PathBuf,
    /// The data dir (builds live in `<data dir>/builds`).
    pub data_dir: PathBuf,
    pub actor: Actor,
    /// Wait for the job to reach its final state (stop/cancel) or RUNNING (start).
    pub wait: bool,
}

/// Receives one-line progress messages of a running action.
pub type Progress<'a> = &'a (dyn Fn(String) + Send + Sync);

/// The managed apps with their latest run; `state` is the run's final state once it ended (the
/// callers overlay the live state from the cluster).
pub fn stored_app_summaries(s: &mut Store) -> Result<Vec<(AppSummary, Option<Run>)>, StoreError> {
    let mut out = Vec::new();
    for a in s.apps()? {
        let run = s.latest_run(&a.app)?;
        out.push((
            AppSummary {
                name: a.app.clone(),
                cluster: a.spec.cluster.clone(),
                kind: a.spec.kind,
                version: a.version,
                owner: a.spec.owner.clone(),
                team: a.spec.team.clone(),
                tags: a.spec.tags.clone(),
                job_id: run.as_ref().map(|r| r.job_id.clone()),
                state: run.as_ref().and_then(|r| r.final_state.clone()),
            },
            run,
        ));
    }
    Ok(out)
}

/// A start written to the journal before anything is sent (settled once with its outcome; a
/// process killed in between leaves it for settlement by the next one).
pub(crate) struct StartJournal {
    store: StoreHandle,
    /// The journal entry's id.
    pub op: i64,
}

impl StartJournal {
    /// Journals a start of `app` on `cluster` with its parameters (JSON).
    pub(crate) async fn begin(
        ctx: &OpsContext,
        app: &str,
        cluster: &str,
        params: String,
    ) -> Result<StartJournal, String> {
        let (a, c) = (app.to_string(), cluster.to_string());
        let params = owner::stamp(params);
        let op = ctx
            .store
            .call(move |s: &mut Store| {
                s.op_begin(
                    crate::domain::OpKind::Start,
                    Some(&a),
                    &c,
                    None,
                    None,
                    &params,
                    crate::domain::time::now_ms(),
                )
            })
            .await
            .map_err(|e| format!("cannot journal the start: {e}"))?;
        Ok(StartJournal {
            store: ctx.store.clone(),
            op,
        })
    }

    /// Settles the start (a store error is logged: the entry is settled later).
    pub(crate) async fn settle(&self, status: crate::domain::OpStatus, result: String) {
        let op = self.op;
        if let Err(e) = self
            .store
            .call(move |s: &mut Store| {
                s.op_settle(op, status, &result, crate::domain::time::now_ms())
            })
            .await
        {
            tracing::warn!(op, error = %e, "cannot settle the journaled start");
        }
    }
}

/// Store errors become action failures with context.
pub(crate) fn store_err(what: &str) -> impl Fn(StoreError) -> String + '_ {
    move |e| format!("{what}: {e}")
}
