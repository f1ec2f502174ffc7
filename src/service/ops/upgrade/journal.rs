//! The upgrade's journal entry: an `upgrade` operation whose params ([`Params`]) are rewritten
//! (durably) before each step runs, and settled once with how the upgrade ended. A lock file
//! held while the upgrade runs tells a later process whether it is still in progress.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::time::now_ms;
use crate::domain::{OpKind, OpStatus};
use crate::service::ops::OpsContext;
use crate::store::Store;

/// What the journal knows about an upgrade (the operation's params JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Params {
    pub from_version: u32,
    pub to_version: Option<u32>,
    /// The job that ran before.
    pub previous_job_id: String,
    /// The step about to run or running: plan, build, validate, stop, start, health,
    /// rollback_stop, rollback_start, done.
    pub step: String,
    /// Every step begun, in order.
    pub steps: Vec<String>,
    /// The savepoint of the stop, once written.
    pub savepoint: Option<String>,
    /// The job of the new version, once submitted.
    pub new_job_id: Option<String>,
    /// The job of the rolled back (previous) version, once submitted.
    pub rollback_job_id: Option<String>,
    pub health_ms: u64,
    pub rebuild: bool,
    /// Held (flock) while the upgrade runs.
    pub lock: Option<PathBuf>,
    /// The process running the upgrade (see `owner`).
    #[serde(default)]
    pub owner: serde_json::Value,
}

/// An upgrade being journaled.
pub(super) struct Journal {
    ctx: OpsContext,
    pub op: i64,
    pub params: Params,
    /// Keeps the lock while the upgrade runs (released on drop, or by the kernel on a kill).
    _lock: Option<File>,
}

/// Takes `<data dir>/builds/<app>/upgrade.lock`; `Err` when another upgrade of the app runs.
pub(super) fn lock(data_dir: &Path, app: &str) -> Result<(PathBuf, File), String> {
    let dir = data_dir.join("builds").join(app);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join("upgrade.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if f.try_lock().is_err() {
        return Err(format!(
            "another upgrade of app {app} is running (it holds {}); one upgrade per app at a time",
            path.display()
        ));
    }
    Ok((path, f))
}

/// Whether the upgrade that holds `path` still runs (the lock is taken).
pub(super) fn still_running(path: &Path) -> bool {
    let Ok(f) = std::fs::OpenOptions::new().write(true).open(path) else {
        return false;
    };
    match f.try_lock() {
        Ok(()) => {
            let _ = f.unlock();
            false
        }
        Err(_) => true,
    }
}

impl Journal {
    /// Journals the upgrade (step `plan`) before anything else happens.
    pub async fn begin(
        ctx: &OpsContext,
        app: &str,
        cluster: &str,
        params: Params,
        lock: Option<File>,
    ) -> Result<Journal, String> {
        let mut params = params;
        params.owner = crate::service::ops::owner::current();
        let json = serde_json::to_string(&params).map_err(|e| e.to_string())?;
        let (a, c, j) = (
            app.to_string(),
            cluster.to_string(),
            params.previous_job_id.clone(),
        );
        let op = ctx
            .store
            .call(move |s: &mut Store| {
                s.op_begin(
                    OpKind::Upgrade,
                    Some(&a),
                    &c,
                    Some(&j),
                    None,
                    &json,
                    now_ms(),
                )
            })
            .await
            .map_err(|e| format!("cannot journal the upgrade: {e}"))?;
        Ok(Journal {
            ctx: ctx.clone(),
            op,
            params,
            _lock: lock,
        })
    }

    /// Records `step` as the one about to run (and whatever `params` changed), durably.
    pub async fn step(&mut self, step: &str) -> Result<(), String> {
        self.params.step = step.to_string();
        self.params.steps.push(step.to_string());
        self.save().await
    }

    /// Writes the params as they are now.
    pub async fn save(&self) -> Result<(), String> {
        let json = serde_json::to_string(&self.params).map_err(|e| e.to_string())?;
        let op = self.op;
        self.ctx
            .store
            .call(move |s: &mut Store| s.op_set_params(op, &json, now_ms()))
            .await
            .map_err(|e| format!("cannot journal the upgrade's step: {e}"))
    }

    /// Settles the operation (a store error is logged: the entry is then settled later).
    pub async fn settle(&mut self, status: OpStatus, result: &str) {
        self.params.step = "done".into();
        if let Err(e) = self.save().await {
            tracing::warn!(op = self.op, error = %e, "cannot journal the upgrade's last step");
        }
        let (op, r) = (self.op, result.to_string());
        if let Err(e) = self
            .ctx
            .store
            .call(move |s: &mut Store| s.op_settle(op, status, &r, now_ms()))
            .await
        {
            tracing::warn!(op, error = %e, "cannot settle the journaled upgrade");
        }
    }
}
