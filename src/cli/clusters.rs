//! `flinkdeck clusters [--json]`: each configured cluster with status and Flink version.

use futures_util::future::join_all;
use serde::Serialize;

use super::setup::Context;
use super::{print_json, report_unreachable, table, Exit};
use crate::domain::HealthStatus;

/// One row of `clusters --json` (field names are a public contract).
#[derive(Debug, Serialize)]
pub struct ClusterRow {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub status: HealthStatus,
    pub flink_version: Option<String>,
    pub error: Option<String>,
    pub taskmanagers: Option<u32>,
    pub slots_total: Option<u32>,
    pub slots_available: Option<u32>,
    pub jobs_running: Option<u32>,
}

pub async fn run(ctx: &Context, json: bool) -> Exit {
    let rows: Vec<ClusterRow> = join_all(ctx.clusters.all().iter().map(|h| async move {
        let r = h.to_ref();
        match h.client.cluster_info().await {
            Ok(info) => ClusterRow {
                name: r.name,
                kind: r.kind,
                url: r.url,
                status: HealthStatus::Live,
                flink_version: info.flink_version,
                error: None,
                taskmanagers: Some(info.taskmanagers),
                slots_total: Some(info.slots_total),
                slots_available: Some(info.slots_available),
                jobs_running: Some(info.jobs_running),
            },
            Err(e) => ClusterRow {
                name: r.name,
                kind: r.kind,
                url: r.url,
                status: HealthStatus::Unreachable,
                flink_version: None,
                error: Some(e.to_string()),
                taskmanagers: None,
                slots_total: None,
                slots_available: None,
                jobs_running: None,
            },
        }
    }))
    .await;
    let mut exit = Exit::Ok;
    for r in &rows {
        if let Some(e) = &r.error {
            report_unreachable(&r.name, e);
            exit = Exit::Unreachable;
        }
    }
    if json {
        if print_json(&rows) == Exit::Failed {
            return Exit::Failed;
        }
    } else {
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.name.clone(),
                    r.kind.clone(),
                    r.url.clone(),
                    r.status.to_string(),
                    r.flink_version.clone().unwrap_or_else(|| "-".into()),
                    r.taskmanagers.map_or("-".into(), |n| n.to_string()),
                    match (r.slots_available, r.slots_total) {
                        (Some(a), Some(t)) => format!("{a}/{t}"),
                        _ => "-".into(),
                    },
                    r.jobs_running.map_or("-".into(), |n| n.to_string()),
                ]
            })
            .collect();
        print!(
            "{}",
            table::render(
                &[
                    "NAME",
                    "KIND",
                    "URL",
                    "STATUS",
                    "VERSION",
                    "TMS",
                    "FREE SLOTS",
                    "RUNNING"
                ],
                &body
            )
        );
    }
    exit
}
