//! What an upgrade will do, decided before anything is touched: the app, its one running job
//! and the version that job runs, the version to run, whether to build, the health window.

use std::time::Duration;

use super::{UpgradeOutcome, UpgradeRequest, UpgradeResult, DEFAULT_HEALTH};
use crate::domain::{AppKind, AppVersion};
use crate::service::ops::actions::{
    active_jobs_of_app, cluster_of, load_app, readonly_reason, run_cluster_of,
};
use crate::service::ops::OpsContext;
use crate::service::ClusterHandle;
use crate::store::Store;

/// A checked upgrade.
pub(super) struct Plan {
    /// The app's current definition.
    pub app: AppVersion,
    pub handle: ClusterHandle,
    /// The job that runs now.
    pub job_id: String,
    /// The app version that job runs.
    pub from_version: u32,
    /// The version to run; `None` until the build binds one.
    pub to_version: Option<u32>,
    pub rebuild: bool,
    pub health: Duration,
}

fn stop_with(app: &str, outcome: UpgradeResult, reason: String) -> UpgradeOutcome {
    UpgradeOutcome::new(app).end(outcome, reason)
}

/// Checks the request against the store and the cluster; `Err` is the outcome to report
/// (invalid, refused, failed, or unchanged).
pub(super) async fn plan(ctx: &OpsContext, req: &UpgradeRequest) -> Result<Plan, UpgradeOutcome> {
    let name = req.app.as_str();
    let invalid = |r: String| stop_with(name, UpgradeResult::Invalid, r);
    let app = load_app(ctx, name).await.map_err(|o| match o {
        crate::domain::ActionOutcome::Failed { reason } => invalid(reason),
        other => invalid(format!("{other:?}")),
    })?;
    if app.spec.kubernetes.is_some() {
        return Err(invalid(format!(
            "app {name} is a Flink Kubernetes Operator app: the operator upgrades it (change the spec and `flinkdeck apply -f FILE`)"
        )));
    }
    let rebuild = req.rebuild || app.spec.upgrade_rebuilds;
    if rebuild && req.version.is_some() {
        return Err(invalid(format!(
            "--version cannot be combined with a rebuild{}: the build binds the version to run",
            if req.rebuild {
                ""
            } else {
                " (app spec: upgrade_rebuilds = true)"
            }
        )));
    }
    if rebuild && app.spec.build.is_none() {
        return Err(invalid(format!(
            "app {name} has no [build] section: --rebuild needs one"
        )));
    }
    if let Some(v) = req.version {
        let n = name.to_string();
        let found = ctx
            .store
            .call(move |s: &mut Store| s.app_version(&n, v))
            .await
            .map_err(|e| stop_with(name, UpgradeResult::Failed, e.to_string()))?;
        if found.is_none() {
            return Err(invalid(format!(
                "app {name} has no version {v} (its current version is {}; see `flinkdeck app show {name}`)",
                app.version
            )));
        }
    }
    let cluster = run_cluster_of(ctx, &app).await;
    // Read-only refuses before asking the cluster; the audit names both versions (the one the
    // app's latest run runs, and the one asked for).
    if let Some(reason) = readonly_reason(ctx, Some(&cluster), "upgrade") {
        let n = name.to_string();
        let latest = ctx
            .store
            .call(move |s: &mut Store| s.latest_run(&n))
            .await
            .ok()
            .flatten();
        let mut o = stop_with(name, UpgradeResult::Refused, reason);
        o.from_version = Some(latest.as_ref().map_or(app.version, |r| r.version));
        o.to_version = (!rebuild).then(|| req.version.unwrap_or(app.version));
        o.previous_job_id = latest.filter(|r| r.ended_at.is_none()).map(|r| r.job_id);
        return Err(o);
    }
    let handle = cluster_of(ctx, &cluster).map_err(|o| match o {
        crate::domain::ActionOutcome::Failed { reason } => invalid(reason),
        other => invalid(format!("{other:?}")),
    })?;
    let failed = |r: String| stop_with(name, UpgradeResult::Failed, r);
    let active = active_jobs_of_app(ctx, &app, &handle)
        .await
        .map_err(failed)?;
    let job_id = match active.as_slice() {
        [(id, _)] => id.clone(),
        [] => {
            return Err(failed(format!(
                "app {name} has no running job on cluster {cluster}: there is nothing to upgrade (start it with `flinkdeck start {name}`)"
            )))
        }
        many => {
            return Err(failed(format!(
                "app {name} has {} active jobs on cluster {cluster} ({}); stop all but one first",
                many.len(),
                many.iter()
                    .map(|(id, _)| id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    };
    let (c, j) = (cluster.clone(), job_id.clone());
    let run = ctx
        .store
        .call(move |s: &mut Store| s.run_by_job(&c, &j))
        .await
        .map_err(|e| failed(e.to_string()))?;
    let from_version = run.map_or(app.version, |r| r.version);
    let to_version = if rebuild {
        None
    } else {
        Some(req.version.unwrap_or(app.version))
    };
    if to_version == Some(from_version) {
        let mut o = stop_with(
            name,
            UpgradeResult::Unchanged,
            format!(
                "job {job_id} already runs version {from_version} of {name}; nothing to do (build a new version with --rebuild, or name one with --version)"
            ),
        );
        o.from_version = Some(from_version);
        o.to_version = Some(from_version);
        o.job_id = Some(job_id.clone());
        o.previous_job_id = Some(job_id);
        return Err(o);
    }
    let health = req
        .health
        .or(app.spec.upgrade_health_ms.map(Duration::from_millis))
        .unwrap_or(DEFAULT_HEALTH);
    Ok(Plan {
        app,
        handle,
        job_id,
        from_version,
        to_version,
        rebuild,
        health,
    })
}

impl Plan {
    /// The plan, one line each.
    pub fn lines(&self) -> Vec<String> {
        let name = &self.app.app;
        let to = match self.to_version {
            Some(v) => format!("version {v}"),
            None => "the version the build binds".into(),
        };
        let mut out = vec![format!(
            "upgrade {name} on {}: job {} (version {}) → {to}",
            self.handle.name(),
            self.job_id,
            self.from_version
        )];
        let mut steps: Vec<String> = Vec::new();
        if let Some(b) = self.app.spec.build.as_ref().filter(|_| self.rebuild) {
            steps.push(format!(
                "build {} at {} and bind the artifact as a new version (a failed build stops here; nothing is touched)",
                b.repo, b.git_ref
            ));
        }
        if self.app.spec.kind == AppKind::Sql {
            steps.push(
                "validate the SQL with Flink's planner (an error stops here; nothing is touched)"
                    .into(),
            );
        }
        let stop_step = steps.len() + 1;
        steps.push(format!("stop job {} with a savepoint", self.job_id));
        steps.push(format!(
            "start {to} from that savepoint and verify the restore"
        ));
        steps.push(format!(
            "watch {}: the job stays RUNNING, does not restart, and completes a checkpoint",
            humantime::format_duration(self.health)
        ));
        steps.push(format!(
            "if unhealthy: stop the new job (savepoint, else cancel) and start version {} again from the savepoint of step {stop_step}",
            self.from_version
        ));
        out.extend(
            steps
                .into_iter()
                .enumerate()
                .map(|(i, s)| format!("  {}. {s}", i + 1)),
        );
        out
    }
}
