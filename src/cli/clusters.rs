//! `flinkdeck clusters [--json]`: each configured cluster with status and Flink version.

use futures_util::future::join_all;
use serde::Serialize;

use super::setup::Context;
use super::{print_json, report_unreachable, table, Exit};
use crate::domain::{ClusterLocation, HealthStatus, OperatorStatus};

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
    /// Discovered clusters: the Kubernetes namespace, cluster id and flavour (`native`,
    /// `operator-app`, `operator-session`, `session-job`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// The operator's `lifecycleState`, `jobManagerDeploymentStatus` and `status.error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorStatus>,
    /// Why the JobManager is not serving, from the platform (e.g. `CrashLoopBackOff: ...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_problem: Option<String>,
}

impl ClusterRow {
    fn unreachable(name: String, kind: String, url: String, error: String) -> ClusterRow {
        ClusterRow {
            name,
            kind,
            url,
            status: HealthStatus::Unreachable,
            flink_version: None,
            error: Some(error),
            taskmanagers: None,
            slots_total: None,
            slots_available: None,
            jobs_running: None,
            namespace: None,
            flavor: None,
            operator: None,
            platform_problem: None,
        }
    }
}

pub async fn run(ctx: &Context, json: bool) -> Exit {
    let all = ctx.clusters.all();
    let mut rows: Vec<ClusterRow> = join_all(all.iter().map(|h| async move {
        let r = h.to_ref();
        let (info, platform) = tokio::join!(h.rest.cluster_info(), h.backend.platform_status());
        let mut row = match info {
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
                namespace: None,
                flavor: None,
                operator: None,
                platform_problem: None,
            },
            Err(e) => ClusterRow::unreachable(r.name, r.kind, r.url, e.to_string()),
        };
        if let Some(ClusterLocation {
            namespace, flavor, ..
        }) = r.location
        {
            row.namespace = Some(namespace);
            row.flavor = Some(flavor.label().to_string());
        }
        if let Some(p) = platform {
            if row.error.is_some() {
                if let Some(why) = &p.jobmanager_problem {
                    row.error = Some(format!("{why} ({})", row.error.unwrap_or_default()));
                }
            }
            row.platform_problem = p.jobmanager_problem;
            row.operator = p.operator;
        }
        row
    }))
    .await;
    for p in ctx.clusters.problems() {
        let mut row = ClusterRow::unreachable(
            p.name.clone(),
            "kubernetes".to_string(),
            p.error.url.clone(),
            p.error.to_string(),
        );
        // `<entry>/<namespace>`: a namespace that could not be read.
        row.namespace = p.name.split_once('/').map(|(_, ns)| ns.to_string());
        rows.push(row);
    }
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
    } else if rows.iter().any(|r| r.namespace.is_some()) {
        print!("{}", platform_table(&rows));
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

/// The table when some clusters are discovered on Kubernetes: namespace, flavour, the operator's
/// lifecycle and why a JobManager is not serving instead of the (long) proxy URL.
fn platform_table(rows: &[ClusterRow]) -> String {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let dash = || "-".to_string();
            let lifecycle = r.operator.as_ref().map_or_else(dash, |o| {
                let mut parts: Vec<String> = Vec::new();
                if let Some(l) = &o.lifecycle_state {
                    parts.push(l.clone());
                }
                if let Some(j) = &o.jm_deployment_status {
                    parts.push(format!("JM {j}"));
                }
                if parts.is_empty() {
                    dash()
                } else {
                    parts.join(" ")
                }
            });
            let note = r
                .platform_problem
                .clone()
                .or_else(|| r.operator.as_ref().and_then(|o| o.error.clone()))
                .or_else(|| r.error.clone())
                .unwrap_or_else(dash);
            vec![
                r.name.clone(),
                r.kind.clone(),
                r.namespace.clone().unwrap_or_else(dash),
                r.flavor.clone().unwrap_or_else(dash),
                r.status.to_string(),
                r.flink_version.clone().unwrap_or_else(dash),
                r.taskmanagers.map_or_else(dash, |n| n.to_string()),
                r.jobs_running.map_or_else(dash, |n| n.to_string()),
                lifecycle,
                note,
            ]
        })
        .collect();
    table::render(
        &[
            "NAME",
            "KIND",
            "NAMESPACE",
            "FLAVOR",
            "STATUS",
            "VERSION",
            "TMS",
            "RUNNING",
            "LIFECYCLE",
            "PROBLEM",
        ],
        &body,
    )
}
