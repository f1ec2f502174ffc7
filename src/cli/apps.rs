//! `flinkdeck apply -f FILE`, `apps`, `app show NAME`, `app delete NAME`, `history NAME`,
//! `audit`: managed application definitions and what happened to them.

use futures_util::future::join_all;
use serde::Serialize;

use super::setup::Context;
use super::{print_json, table, Exit};
use crate::config::app_spec::load_app_spec;
use crate::domain::time::format_timestamp;
use crate::domain::{AppSummary, AppVersion, AuditEntry, Operation, RestorePoint, Run};
use crate::service::ops::{stored_app_summaries, OpsContext};
use crate::store::{ApplyOutcome, Store};

fn store_failed(e: impl std::fmt::Display) -> Exit {
    eprintln!("flinkdeck: {e}");
    Exit::Failed
}

/// `apply` flags that only mean something for a `[kubernetes]` target.
#[derive(Debug, Clone, Copy, Default)]
pub struct KubeFlags {
    pub dry_run: bool,
    pub force_conflicts: bool,
}

pub async fn apply(
    ctx: &Context,
    ops: &OpsContext,
    file: &std::path::Path,
    message: Option<&str>,
    flags: KubeFlags,
) -> Exit {
    let spec = match load_app_spec(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Usage;
        }
    };
    if spec.kubernetes.is_some() {
        return apply_kubernetes(ctx, ops, file, spec, message, flags).await;
    }
    if flags.dry_run || flags.force_conflicts {
        eprintln!(
            "flinkdeck: {}: --dry-run and --force-conflicts are for apps with a [kubernetes] target",
            file.display()
        );
        return Exit::Usage;
    }
    // A `[target]` names a `[[clusters]]` entry (a YARN or Kubernetes entry is not a cluster
    // itself); other apps name a cluster.
    let known = match &spec.target {
        Some(_) => ctx.config.cluster(&spec.cluster).is_some(),
        None => ctx.clusters.get(&spec.cluster).is_some(),
    };
    if !known {
        eprintln!(
            "flinkdeck: {}: cluster: {:?} is not configured (configured: {})",
            file.display(),
            spec.cluster,
            ctx.clusters.names().join(", ")
        );
        return Exit::Usage;
    }
    if ops.readonly {
        eprintln!("flinkdeck: refused: read-only mode: apply is disabled");
        return Exit::Refused;
    }
    let author = ops.actor.user.clone();
    let msg = message.map(str::to_string);
    let name = spec.name.clone();
    let res = ops
        .store
        .call(move |s: &mut Store| {
            let mut spec = spec;
            // A `[build]` app keeps running the artifact most recently bound to it.
            if spec.build.is_some() && spec.jar_file.is_none() {
                if let Some(current) = s.app(&spec.name)? {
                    if current.spec.build.is_some() {
                        spec.jar_file = current.spec.jar_file;
                    }
                }
            }
            s.apply_app(
                &spec,
                &author,
                msg.as_deref(),
                crate::domain::time::now_ms(),
            )
        })
        .await;
    match res {
        Ok(ApplyOutcome::Created { version }) => println!("{name}: created (version {version})"),
        Ok(ApplyOutcome::Updated { version }) => println!("{name}: updated to version {version}"),
        Ok(ApplyOutcome::Unchanged { version }) => {
            println!("{name}: unchanged (version {version})")
        }
        Err(e) => return store_failed(e),
    }
    Exit::Ok
}

/// Stores a version of the app (after its FlinkDeployment was applied or found unchanged).
async fn store_version(
    ops: &OpsContext,
    spec: crate::domain::AppSpec,
    message: Option<&str>,
) -> Result<ApplyOutcome, String> {
    let author = ops.actor.user.clone();
    let msg = message.map(str::to_string);
    ops.store
        .call(move |s: &mut Store| {
            s.apply_app(
                &spec,
                &author,
                msg.as_deref(),
                crate::domain::time::now_ms(),
            )
        })
        .await
        .map_err(|e| e.to_string())
}

/// `apply -f` of an app with a `[kubernetes]` target: the diff, then server-side apply of its
/// FlinkDeployment; the definition is stored as a version like any app.
async fn apply_kubernetes(
    ctx: &Context,
    ops: &OpsContext,
    file: &std::path::Path,
    spec: crate::domain::AppSpec,
    message: Option<&str>,
    flags: KubeFlags,
) -> Exit {
    use crate::service::ops::{apply_to_kubernetes, KubeApplyOutcome};
    let is_entry = ctx
        .config
        .clusters
        .iter()
        .any(|c| c.name == spec.cluster && c.kind == crate::config::ClusterKind::Kubernetes);
    if !is_entry {
        let entries: Vec<&str> = ctx
            .config
            .clusters
            .iter()
            .filter(|c| c.kind == crate::config::ClusterKind::Kubernetes)
            .map(|c| c.name.as_str())
            .collect();
        eprintln!(
            "flinkdeck: {}: cluster: {:?} is not a kind = \"kubernetes\" entry (kubernetes entries: {})",
            file.display(),
            spec.cluster,
            if entries.is_empty() { "none".to_string() } else { entries.join(", ") }
        );
        return Exit::Usage;
    }
    let target = spec.kubernetes.clone().unwrap_or_else(|| unreachable!());
    let resource = format!("FlinkDeployment {}/{}", target.namespace, spec.name);
    let show = |d: &str| print!("{d}");
    let res = apply_to_kubernetes(ops, &spec, flags.dry_run, flags.force_conflicts, &show).await;
    let name = spec.name.clone();
    match res {
        Ok(KubeApplyOutcome::DryRun { diff, exists }) => {
            print!("{diff}");
            let what = match (diff.is_empty(), exists) {
                (true, _) => "unchanged",
                (false, true) => "would be updated",
                (false, false) => "would be created",
            };
            println!("{name}: {resource} {what} (dry run; nothing sent)");
            Exit::Ok
        }
        Ok(outcome) => {
            let did = match &outcome {
                KubeApplyOutcome::Unchanged => "unchanged".to_string(),
                KubeApplyOutcome::Applied { created: true, .. } => {
                    "created (server-side apply, field manager flinkdeck)".to_string()
                }
                _ => "updated (server-side apply, field manager flinkdeck)".to_string(),
            };
            let version = match store_version(ops, spec, message).await {
                Ok(v) => v.version(),
                Err(e) => return store_failed(e),
            };
            println!("{name}: {resource} {did}; version {version}");
            Exit::Ok
        }
        Err(crate::domain::ActionOutcome::Refused { reason }) => {
            eprintln!("flinkdeck: refused: {reason}");
            Exit::Refused
        }
        Err(o) => {
            let reason = match o {
                crate::domain::ActionOutcome::Failed { reason } => reason,
                other => format!("{other:?}"),
            };
            eprintln!("flinkdeck: {reason}");
            Exit::Failed
        }
    }
}

/// Every app with its current job and that job's state (asked of the clusters; the last known
/// state when a cluster does not answer).
pub async fn summaries(ctx: &Context, ops: &OpsContext) -> Result<(Vec<AppSummary>, bool), String> {
    let apps = ops
        .store
        .call(stored_app_summaries)
        .await
        .map_err(|e| e.to_string())?;
    let states = join_all(apps.iter().map(|(_, run)| async move {
        let run = run.as_ref()?;
        let h = ctx.clusters.get(&run.cluster)?;
        Some(
            h.rest
                .job_state(&run.job_id)
                .await
                .map_err(|e| (run.cluster.clone(), e)),
        )
    }))
    .await;
    let mut unreachable = false;
    let mut out = Vec::with_capacity(apps.len());
    for ((mut app, _), state) in apps.into_iter().zip(states) {
        match state {
            Some(Ok(s)) => app.state = Some(s),
            // Not reachable: the last known (final) state stays; unknown otherwise.
            Some(Err((c, e))) if !e.class.is_http() => {
                unreachable = true;
                super::report_unreachable(&c, &e.to_string());
            }
            _ => {}
        }
        out.push(app);
    }
    // Operator resources are applications without any apply.
    crate::service::ops::add_operator_apps(ops, &mut out).await;
    Ok((out, unreachable))
}

pub async fn list(
    ctx: &Context,
    ops: &OpsContext,
    select: &super::filter_args::FilterArgs,
    json: bool,
) -> Exit {
    let filter = match select.build(&ctx.config) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Usage;
        }
    };
    let (mut apps, unreachable) = match summaries(ctx, ops).await {
        Ok(x) => x,
        Err(e) => return store_failed(e),
    };
    apps.retain(|a| {
        filter.matches(&crate::domain::filter::Subject {
            name: &a.name,
            id: a.job_id.as_deref().unwrap_or(""),
            cluster: &a.cluster,
            state: a.state.as_ref(),
            app: Some(&a.name),
            team: a.team.as_deref(),
            tags: &a.tags,
        })
    });
    let exit = if json {
        print_json(&apps)
    } else {
        let rows: Vec<Vec<String>> = apps
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.cluster.clone(),
                    a.kind.to_string(),
                    a.version.to_string(),
                    a.job_id.clone().unwrap_or_else(|| "-".into()),
                    a.state.as_ref().map_or("-".into(), |s| s.to_string()),
                    a.owner.clone().unwrap_or_else(|| "-".into()),
                    a.team.clone().unwrap_or_else(|| "-".into()),
                    a.tags.join(","),
                ]
            })
            .collect();
        print!(
            "{}",
            table::render(
                &["NAME", "CLUSTER", "KIND", "VERSION", "JOB", "STATE", "OWNER", "TEAM", "TAGS"],
                &rows
            )
        );
        Exit::Ok
    };
    if unreachable && exit == Exit::Ok {
        Exit::Unreachable
    } else {
        exit
    }
}

pub async fn show(ops: &OpsContext, name: &str, json: bool) -> Exit {
    let n = name.to_string();
    let res = ops
        .store
        .call(move |s: &mut Store| Ok((s.app(&n)?, s.app_versions(&n)?, s.runs(&n, 20)?)))
        .await;
    let (current, versions, runs) = match res {
        Ok((Some(c), v, r)) => (c, v, r),
        Ok((None, ..)) => {
            eprintln!("flinkdeck: no managed app named {name:?}");
            return Exit::Failed;
        }
        Err(e) => return store_failed(e),
    };
    if json {
        #[derive(Serialize)]
        struct Show<'a> {
            app: &'a AppVersion,
            versions: Vec<(u32, i64, &'a str, Option<&'a str>)>,
            runs: &'a [Run],
        }
        let versions = versions
            .iter()
            .map(|v| {
                (
                    v.version,
                    v.created_at,
                    v.author.as_str(),
                    v.message.as_deref(),
                )
            })
            .collect();
        return print_json(&Show {
            app: &current,
            versions,
            runs: &runs,
        });
    }
    let s = &current.spec;
    println!("app        {}", s.name);
    println!(
        "version    {} ({} by {})",
        current.version,
        format_timestamp(current.created_at),
        current.author
    );
    println!("cluster    {}", s.cluster);
    println!("kind       {}", s.kind);
    if let Some(p) = s.parallelism {
        println!("parallelism {p}");
    }
    if let Some(o) = &s.owner {
        println!("owner      {o}");
    }
    if let Some(t) = &s.team {
        println!("team       {t}");
    }
    if !s.tags.is_empty() {
        println!("tags       {}", s.tags.join(", "));
    }
    for (k, v) in &s.options {
        println!("option     {k} = {v}");
    }
    if let Some(j) = &s.jar_file {
        println!("jar        {j} {}", s.entry_class.as_deref().unwrap_or(""));
    }
    if let Some(sql) = &s.sql {
        println!("\n{sql}");
    }
    println!(
        "\nversions: {}",
        versions
            .iter()
            .map(|v| v.version.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Exit::Ok
}

pub async fn delete(ctx: &Context, ops: &OpsContext, name: &str) -> Exit {
    if ops.readonly {
        eprintln!("flinkdeck: refused: read-only mode: app delete is disabled");
        return Exit::Refused;
    }
    let (apps, _) = match summaries(ctx, ops).await {
        Ok(x) => x,
        Err(e) => return store_failed(e),
    };
    match apps.iter().find(|a| a.name == name) {
        None => {
            eprintln!("flinkdeck: no managed app named {name:?}");
            return Exit::Failed;
        }
        Some(a) if a.state.as_ref().is_some_and(|s| s.is_active()) => {
            eprintln!(
                "flinkdeck: refused: app {name} is {} as job {}; stop it first",
                a.state.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                a.job_id.as_deref().unwrap_or("-")
            );
            return Exit::Refused;
        }
        Some(_) => {}
    }
    let n = name.to_string();
    match ops
        .store
        .call(move |s: &mut Store| s.delete_app(&n, crate::domain::time::now_ms()))
        .await
    {
        Ok(true) => {
            println!("{name}: deleted (its history is kept)");
            Exit::Ok
        }
        Ok(false) => {
            eprintln!("flinkdeck: no managed app named {name:?}");
            Exit::Failed
        }
        Err(e) => store_failed(e),
    }
}

/// The JSON document of `history NAME --json`.
#[derive(Debug, Serialize)]
pub struct History {
    pub app: String,
    pub runs: Vec<Run>,
    pub savepoints: Vec<RestorePoint>,
    pub checkpoints: Vec<RestorePoint>,
    pub operations: Vec<Operation>,
}

pub async fn history(ops: &OpsContext, name: &str, json: bool) -> Exit {
    let n = name.to_string();
    let res = ops
        .store
        .call(move |s: &mut Store| {
            let exists = s.app(&n)?.is_some() || !s.app_versions(&n)?.is_empty();
            Ok((
                exists,
                s.runs(&n, 1000)?,
                s.app_restore_points(&n, 1000)?,
                s.ops(Some(&n), 1000)?,
            ))
        })
        .await;
    let (exists, runs, points, operations) = match res {
        Ok(x) => x,
        Err(e) => return store_failed(e),
    };
    let (savepoints, checkpoints): (Vec<_>, Vec<_>) = if exists {
        points
            .into_iter()
            .partition(|p| p.kind == crate::domain::CheckpointKind::Savepoint)
    } else {
        // An operator resource: its savepoints are recorded under its cluster.
        let Some((_, handle, _)) = crate::service::ops::operator_app_handles(ops)
            .into_iter()
            .find(|(n, h, _)| n == name || h.name() == name)
        else {
            eprintln!("flinkdeck: no managed app or operator resource named {name:?}");
            return Exit::Failed;
        };
        let c = handle.name().to_string();
        match ops
            .store
            .call(move |s: &mut Store| s.cluster_savepoints(&c, 1000))
            .await
        {
            Ok(sps) => (sps, Vec::new()),
            Err(e) => return store_failed(e),
        }
    };
    let h = History {
        app: name.to_string(),
        runs,
        savepoints,
        checkpoints,
        operations,
    };
    if json {
        return print_json(&h);
    }
    let ts = |t: Option<i64>| t.map_or("-".to_string(), format_timestamp);
    println!("runs of {name}:");
    let rows: Vec<Vec<String>> = h
        .runs
        .iter()
        .map(|r| {
            vec![
                r.job_id.clone(),
                r.version.to_string(),
                r.cluster.clone(),
                format_timestamp(r.started_at),
                ts(r.ended_at),
                r.final_state.as_ref().map_or("-".into(), |s| s.to_string()),
                match (&r.restored_from, r.restore_verified) {
                    (Some(p), Some(true)) => format!("{p} (verified)"),
                    (Some(p), Some(false)) => format!("{p} (MISMATCH)"),
                    (Some(p), None) => p.clone(),
                    (None, _) => "-".into(),
                },
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &[
                "JOB",
                "VERSION",
                "CLUSTER",
                "STARTED",
                "ENDED",
                "FINAL STATE",
                "RESTORED FROM"
            ],
            &rows
        )
    );
    for (title, list) in [
        ("savepoints", &h.savepoints),
        ("checkpoints", &h.checkpoints),
    ] {
        println!("\n{title}:");
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|p| {
                vec![
                    p.id.map_or("-".into(), |i| i.to_string()),
                    ts(p.completed_at),
                    p.job_id.clone().unwrap_or_else(|| "-".into()),
                    p.path.clone(),
                ]
            })
            .collect();
        print!(
            "{}",
            table::render(&["ID", "COMPLETED", "JOB", "PATH"], &rows)
        );
    }
    println!("\noperations:");
    let rows: Vec<Vec<String>> = h
        .operations
        .iter()
        .map(|o| {
            vec![
                o.id.to_string(),
                o.kind.as_str().to_string(),
                o.status.as_str().to_string(),
                format_timestamp(o.created_at),
                o.job_id.clone().unwrap_or_else(|| "-".into()),
                op_result(o),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(&["OP", "KIND", "STATUS", "AT", "JOB", "RESULT"], &rows)
    );
    Exit::Ok
}

/// An operation's result; an upgrade's is preceded by the steps it began
/// (`[plan → stop → start → health]`).
fn op_result(o: &Operation) -> String {
    let result = o.result.clone().unwrap_or_else(|| "-".into());
    if o.kind != crate::domain::OpKind::Upgrade {
        return result;
    }
    let steps: Vec<String> = serde_json::from_str::<serde_json::Value>(&o.params)
        .ok()
        .and_then(|p| {
            p.get("steps")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default();
    if steps.is_empty() {
        return result;
    }
    format!("[{}] {result}", steps.join(" → "))
}

pub async fn audit(ops: &OpsContext, app: Option<&str>, limit: usize, json: bool) -> Exit {
    let a = app.map(str::to_string);
    let entries: Vec<AuditEntry> = match ops
        .store
        .call(move |s: &mut Store| s.audit_entries(a.as_deref(), limit))
        .await
    {
        Ok(e) => e,
        Err(e) => return store_failed(e),
    };
    if json {
        return print_json(&entries);
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                format_timestamp(e.at),
                e.user.clone(),
                e.ssh_origin.clone().unwrap_or_else(|| "-".into()),
                e.action.clone(),
                e.app.clone().unwrap_or_else(|| "-".into()),
                e.cluster.clone().unwrap_or_else(|| "-".into()),
                if e.ok { "ok".into() } else { "NOT OK".into() },
                e.result.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &["AT", "USER", "FROM", "ACTION", "APP", "CLUSTER", "OK", "RESULT"],
            &rows
        )
    );
    Exit::Ok
}
