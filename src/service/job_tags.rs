//! Local tags of unmanaged jobs, asked for by the console: stored in the local database (keyed
//! by cluster and job name) and audited as action `tag`. They are local metadata, not a cluster
//! action, so read-only mode allows them (the audit line still records who changed what).

use super::ops::{record_audit, OpsContext};
use crate::domain::{ActionOutcome, WorkerReply};
use crate::store::{Store, StoreHandle};

type Tags = Vec<(String, String, Vec<String>)>;

async fn all(store: &StoreHandle) -> Result<Tags, String> {
    store
        .call(|s: &mut Store| s.job_tags())
        .await
        .map(|v| {
            v.into_iter()
                .map(|t| (t.cluster, t.job_name, t.tags))
                .collect()
        })
        .map_err(|e| format!("cannot read the local job tags: {e}"))
}

/// Every local tag, for the console (none when the store cannot be read: logged).
pub async fn load(store: &StoreHandle) -> Option<WorkerReply> {
    match all(store).await {
        Ok(tags) => Some(WorkerReply::JobTagsLoaded {
            tags,
            message: None,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the local job tags");
            None
        }
    }
}

/// Adds and removes tags of a job, audits it, and answers with every tag and what changed.
pub async fn edit(
    ops: Option<&OpsContext>,
    cluster: String,
    job_name: String,
    add: Vec<String>,
    remove: Vec<String>,
) -> WorkerReply {
    let Some(ops) = ops else {
        return WorkerReply::JobTagsLoaded {
            tags: Vec::new(),
            message: Some(Err(
                "cannot tag: the local database could not be opened".into()
            )),
        };
    };
    let (c, n, a, r) = (
        cluster.clone(),
        job_name.clone(),
        add.clone(),
        remove.clone(),
    );
    let res = ops
        .store
        .call(move |s: &mut Store| s.edit_job_tags(&c, &n, &a, &r, crate::domain::time::now_ms()))
        .await
        .map_err(|e| format!("cannot tag job {job_name:?} on {cluster}: {e}"));
    let outcome = match &res {
        Ok(now) => ActionOutcome::Done {
            message: format!(
                "tags of {job_name:?} on {cluster}: {}",
                if now.is_empty() {
                    "none".to_string()
                } else {
                    now.join(", ")
                }
            ),
            job_id: None,
            savepoint: None,
        },
        Err(e) => ActionOutcome::Failed { reason: e.clone() },
    };
    let params = serde_json::json!({ "job_name": job_name, "add": add, "remove": remove });
    record_audit(
        ops,
        "tag",
        None,
        Some(cluster),
        params.to_string(),
        &outcome,
    )
    .await;
    let tags = all(&ops.store).await.unwrap_or_default();
    let message = match outcome {
        ActionOutcome::Done { message, .. } => Ok(message),
        ActionOutcome::Failed { reason } => Err(reason),
        _ => Err("tags unchanged".into()),
    };
    WorkerReply::JobTagsLoaded {
        tags,
        message: Some(message),
    }
}
