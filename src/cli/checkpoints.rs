//! `flinkdeck checkpoints JOB_ID [--cluster NAME] [--json]`: live checkpoint statistics of a job
//! plus the history flinkdeck recorded, which outlives the job.

use futures_util::future::join_all;
use serde::Serialize;

use super::setup::Context;
use super::{print_json, report_unreachable, select_clusters, table, Exit};
use crate::domain::time::{format_bytes, format_duration_ms, format_timestamp};
use crate::domain::{
    CheckpointCounts, CheckpointEntry, CheckpointStats, FailureClass, JobKey, RestoredInfo,
};
use crate::service::loaders::checkpoints_with_history;
use crate::store::Store;

/// The JSON document of `checkpoints --json`.
#[derive(Debug, Serialize)]
pub struct CheckpointsReport {
    pub cluster: String,
    pub job_id: String,
    /// Whether the cluster still knows the job (false: only the stored history is shown).
    pub live: bool,
    pub counts: CheckpointCounts,
    pub latest_completed: Option<CheckpointEntry>,
    pub latest_savepoint: Option<CheckpointEntry>,
    pub latest_failed: Option<CheckpointEntry>,
    pub latest_restored: Option<RestoredInfo>,
    /// Flink's recent history, newest first.
    pub history: Vec<CheckpointEntry>,
    /// Every completed checkpoint and savepoint flinkdeck recorded, newest first.
    pub stored: Vec<CheckpointEntry>,
}

pub async fn run(ctx: &Context, job_id: &str, cluster: Option<&str>, json: bool) -> Exit {
    let handles = match select_clusters(ctx, cluster) {
        Ok(h) => h,
        Err(e) => return e,
    };
    let store = match ctx.open_store() {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("flinkdeck: checkpoint history not available: {e}");
            None
        }
    };
    // Ask every candidate cluster; the job lives on the one that knows it.
    let probes = join_all(
        handles
            .iter()
            .map(|h| async move { (h.name().to_string(), h.rest.checkpoints(job_id).await) }),
    )
    .await;
    let mut exit = Exit::Ok;
    let mut found: Option<String> = None;
    for (name, res) in &probes {
        match res {
            Ok(_) => {
                found.get_or_insert_with(|| name.clone());
            }
            Err(e) if matches!(e.class, FailureClass::Http { status: 404 }) => {}
            Err(e) => {
                report_unreachable(name, &e.to_string());
                exit = Exit::Unreachable;
            }
        }
    }
    let cluster_name = match (found, cluster) {
        (Some(c), _) => c,
        (None, Some(c)) => c.to_string(),
        (None, None) => {
            // No cluster knows it now: look for recorded history.
            let stored = match &store {
                Some(s) => {
                    let id = job_id.to_string();
                    s.call(move |s: &mut Store| s.checkpoints_for_job_id(&id, 1))
                        .await
                        .ok()
                }
                None => None,
            };
            match stored.and_then(|v| v.into_iter().next()) {
                Some((c, _)) => c,
                None => {
                    eprintln!("flinkdeck: no cluster knows job {job_id} and no history is recorded for it");
                    return if exit == Exit::Ok { Exit::Failed } else { exit };
                }
            }
        }
    };
    let key = JobKey::new(cluster_name.clone(), job_id);
    let (stats, stored) = match checkpoints_with_history(&ctx.clusters, store.as_ref(), &key).await
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("flinkdeck: cluster {cluster_name}: job {job_id}: {e}");
            return if exit == Exit::Ok { Exit::Failed } else { exit };
        }
    };
    let live = probes.iter().any(|(n, r)| n == &cluster_name && r.is_ok());
    let report = CheckpointsReport {
        cluster: cluster_name,
        job_id: job_id.to_string(),
        live,
        counts: stats.counts,
        latest_completed: stats.latest_completed.clone(),
        latest_savepoint: stats.latest_savepoint.clone(),
        latest_failed: stats.latest_failed.clone(),
        latest_restored: stats.latest_restored.clone(),
        history: stats.history.clone(),
        stored,
    };
    if json {
        if print_json(&report) == Exit::Failed {
            return Exit::Failed;
        }
    } else {
        print!("{}", human(&report, &stats));
    }
    exit
}

fn entry_row(e: &CheckpointEntry) -> Vec<String> {
    vec![
        e.id_label(),
        e.status.as_str().to_string(),
        e.kind.as_str().to_string(),
        format_timestamp(e.trigger_timestamp),
        e.duration_ms.map_or("-".into(), format_duration_ms),
        e.size_bytes.map_or("-".into(), format_bytes),
        e.external_path
            .clone()
            .or_else(|| e.failure_message.clone())
            .unwrap_or_else(|| "-".into()),
    ]
}

fn human(r: &CheckpointsReport, stats: &CheckpointStats) -> String {
    let c = &r.counts;
    let mut out = format!(
        "job {} on cluster {}{}\ncheckpoints: {} total, {} completed, {} failed, {} in progress, {} restored\n",
        r.job_id,
        r.cluster,
        if r.live { "" } else { " (not known to the cluster any more: recorded history only)" },
        c.total,
        c.completed,
        c.failed,
        c.in_progress,
        c.restored
    );
    if let Some(rest) = &stats.latest_restored {
        out.push_str(&format!(
            "restored from: #{} {} at {}\n",
            rest.id,
            rest.external_path.as_deref().unwrap_or("-"),
            format_timestamp(rest.restore_timestamp)
        ));
    }
    let header = [
        "ID",
        "STATUS",
        "KIND",
        "TRIGGERED",
        "DURATION",
        "SIZE",
        "PATH",
    ];
    out.push_str("\nrecent (from Flink):\n");
    out.push_str(&table::render(
        &header,
        &r.history.iter().map(entry_row).collect::<Vec<_>>(),
    ));
    out.push_str("\nrecorded by flinkdeck:\n");
    out.push_str(&table::render(
        &header,
        &r.stored.iter().map(entry_row).collect::<Vec<_>>(),
    ));
    out
}
