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
    /// Why the JobManager is not serving, from the platform (e.g. `CrashLoopBackOff: ...`,
    /// `YARN ACCEPTED: waiting for resources: ...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_problem: Option<String>,
    /// YARN applications: the application's name, queue, user and state (`ACCEPTED`,
    /// `RUNNING`, `FINISHED`, `FAILED`, `KILLED`), final status and diagnostics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yarn_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
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
            app_name: None,
            queue: None,
            user: None,
            yarn_state: None,
            final_status: None,
            diagnostics: None,
        }
    }

    /// Fills the YARN fields (and drops the namespace: a YARN location's is the queue).
    fn set_yarn(&mut self, y: crate::domain::YarnAppStatus) {
        self.namespace = None;
        self.app_name = Some(y.name);
        self.queue = y.queue;
        self.user = y.user;
        self.yarn_state = Some(y.state);
        self.final_status = y.final_status;
        self.diagnostics = y.diagnostics;
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
                app_name: None,
                queue: None,
                user: None,
                yarn_state: None,
                final_status: None,
                diagnostics: None,
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
            if let Some(y) = p.yarn {
                row.set_yarn(y);
            }
        }
        row
    }))
    .await;
    for p in ctx.clusters.problems() {
        let entry = p.name.split('/').next().unwrap_or_default();
        let kind = ctx
            .config
            .clusters
            .iter()
            .find(|c| c.name == entry)
            .map_or(crate::config::ClusterKind::Kubernetes, |c| c.kind);
        let mut row = ClusterRow::unreachable(
            p.name.clone(),
            kind.to_string(),
            p.error.url.clone(),
            p.error.to_string(),
        );
        // `<entry>/<namespace>`: a namespace that could not be read.
        if kind == crate::config::ClusterKind::Kubernetes {
            row.namespace = p.name.split_once('/').map(|(_, ns)| ns.to_string());
        }
        rows.push(row);
    }
    let mut exit = Exit::Ok;
    for r in &rows {
        if let Some(e) = &r.error {
            report_unreachable(&r.name, e);
            // A YARN application that YARN says has ended is listed for post-mortems: its
            // JobManager is gone by design, which is not an unreachable cluster.
            let ended = matches!(
                r.yarn_state.as_deref(),
                Some("FINISHED" | "FAILED" | "KILLED")
            );
            if !ended {
                exit = Exit::Unreachable;
            }
        }
    }
    if json {
        if print_json(&rows) == Exit::Failed {
            return Exit::Failed;
        }
    } else if rows.iter().any(|r| r.yarn_state.is_some()) {
        print!("{}", yarn_table(&rows));
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

/// The table when some clusters are YARN applications: application, queue, user, YARN state and
/// what is wrong (YARN's diagnostics first).
fn yarn_table(rows: &[ClusterRow]) -> String {
    let dash = || "-".to_string();
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let state = match (&r.yarn_state, &r.final_status) {
                (Some(s), Some(f)) if f != "UNDEFINED" => format!("{s}/{f}"),
                (Some(s), _) => s.clone(),
                (None, _) => dash(),
            };
            vec![
                r.name.clone(),
                r.kind.clone(),
                r.app_name.clone().unwrap_or_else(dash),
                r.queue
                    .clone()
                    .or_else(|| r.namespace.clone())
                    .unwrap_or_else(dash),
                r.user.clone().unwrap_or_else(dash),
                state,
                r.status.to_string(),
                r.flink_version.clone().unwrap_or_else(dash),
                r.jobs_running.map_or_else(dash, |n| n.to_string()),
                r.platform_problem
                    .clone()
                    .or_else(|| r.error.clone())
                    .unwrap_or_else(dash),
            ]
        })
        .collect();
    table::render(
        &[
            "NAME", "KIND", "APP", "QUEUE", "USER", "YARN", "STATUS", "VERSION", "RUNNING",
            "PROBLEM",
        ],
        &body,
    )
}
