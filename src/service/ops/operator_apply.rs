//! `apply -f app.toml` with a `[kubernetes]` target: the app's FlinkDeployment is created or
//! updated by server-side apply (field manager `flinkdeck`), after showing the diff of what
//! changes. Read-only mode refuses before anything is sent; `--dry-run` only computes the diff.

use super::{audit, OpsContext};
use crate::backend::kubernetes::operator::deployment::{apply_diff, flink_deployment};
use crate::backend::kubernetes::operator::Deployer;
use crate::config::ClusterKind;
use crate::domain::{ActionOutcome, AppSpec};

/// How an apply to Kubernetes went.
#[derive(Debug, Clone, PartialEq)]
pub enum KubeApplyOutcome {
    /// Nothing sent (`--dry-run`); the diff of what an apply would change.
    DryRun { diff: String, exists: bool },
    /// The FlinkDeployment matches the spec already; nothing sent.
    Unchanged,
    /// Sent; `created` when it did not exist before.
    Applied { diff: String, created: bool },
}

/// Applies `spec` (which has a `[kubernetes]` target) to its entry. Errors are `Refused`
/// (read-only) or `Failed` outcomes.
pub async fn apply_to_kubernetes(
    ctx: &OpsContext,
    spec: &AppSpec,
    dry_run: bool,
    force_conflicts: bool,
    show_diff: &(dyn Fn(&str) + Send + Sync),
) -> Result<KubeApplyOutcome, ActionOutcome> {
    let failed = |reason: String| ActionOutcome::Failed { reason };
    let Some(target) = &spec.kubernetes else {
        return Err(failed(format!(
            "app {} has no [kubernetes] target",
            spec.name
        )));
    };
    let Some(entry) = ctx
        .config
        .clusters
        .iter()
        .find(|c| c.name == spec.cluster && c.kind == ClusterKind::Kubernetes)
    else {
        return Err(failed(format!(
            "cluster {:?} is not a kind = \"kubernetes\" entry",
            spec.cluster
        )));
    };
    let resource = format!("FlinkDeployment {}/{}", target.namespace, spec.name);
    let readonly = if ctx.readonly {
        Some("read-only mode: apply is disabled (--readonly or [ui] readonly = true)".to_string())
    } else if entry.readonly {
        Some(format!(
            "cluster {} is read-only: apply is disabled (readonly = true in its config)",
            entry.name
        ))
    } else {
        None
    };
    if let (Some(reason), false) = (&readonly, dry_run) {
        let outcome = ActionOutcome::Refused {
            reason: reason.clone(),
        };
        record(ctx, spec, &outcome).await;
        return Err(outcome);
    }
    let deployer = Deployer::for_entry(entry)
        .await
        .map_err(|e| failed(format!("cluster {}: {e}", entry.name)))?;
    let current = deployer
        .current(&target.namespace, &spec.name)
        .await
        .map_err(|e| failed(format!("cannot read {resource}: {e}")))?;
    let object = flink_deployment(spec, target);
    let diff = apply_diff(current.as_ref(), &object);
    if dry_run {
        return Ok(KubeApplyOutcome::DryRun {
            diff,
            exists: current.is_some(),
        });
    }
    if diff.is_empty() {
        return Ok(KubeApplyOutcome::Unchanged);
    }
    show_diff(&diff);
    let outcome = match deployer.apply(&object, force_conflicts).await {
        Ok(_) => Ok(KubeApplyOutcome::Applied {
            diff,
            created: current.is_none(),
        }),
        Err(e) => {
            let hint = if matches!(e.class, crate::domain::FailureClass::Http { status: 409 }) {
                "; other field managers own some of these fields: --force-conflicts takes them over"
            } else {
                ""
            };
            Err(failed(format!("cannot apply {resource}: {e}{hint}")))
        }
    };
    let audited = match &outcome {
        Ok(KubeApplyOutcome::Applied { created, .. }) => ActionOutcome::Done {
            message: format!(
                "{} {resource} on {} (server-side apply, field manager flinkdeck)",
                if *created { "created" } else { "updated" },
                entry.name
            ),
            job_id: None,
            savepoint: None,
        },
        Ok(_) => return outcome,
        Err(o) => o.clone(),
    };
    record(ctx, spec, &audited).await;
    outcome
}

async fn record(ctx: &OpsContext, spec: &AppSpec, outcome: &ActionOutcome) {
    let params = serde_json::json!({ "kubernetes": spec.kubernetes }).to_string();
    audit::record(
        ctx,
        "apply",
        Some(spec.name.clone()),
        Some(spec.cluster.clone()),
        params,
        outcome,
    )
    .await;
}
