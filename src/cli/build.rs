//! `flinkdeck build NAME [--ref REF]` and `flinkdeck builds NAME`: build an app's jar from git
//! and bind it; list its builds. Ctrl-C or SIGTERM cancels a build (its whole process group is
//! killed).

use super::setup::Context;
use super::signals::{cancel_on_stop_signal, progress_printer};
use super::{print_json, table, Exit};
use crate::domain::time::format_timestamp;
use crate::domain::{AppKind, BuildRecord};
use crate::service::ops::{run_build, BuildOutcome, OpsContext};
use crate::store::Store;

/// Exit 0 built and bound, 1 failed/cancelled/busy, 2 no such app or no `[build]`, 4 read-only.
pub async fn build(
    ctx: &Context,
    ops: &OpsContext,
    name: &str,
    git_ref: Option<&str>,
    json: bool,
) -> Exit {
    let Some(data_dir) = ctx.data_dir.clone() else {
        eprintln!("flinkdeck: no data directory: pass --data-dir");
        return Exit::Usage;
    };
    if ops.readonly {
        // Recorded in the audit trail like every refused action.
        crate::service::ops::refuse_build_readonly(ops, name, git_ref).await;
        eprintln!("flinkdeck: refused: read-only mode: build is disabled");
        return Exit::Refused;
    }
    let (cancel_rx, on_ctrl_c) = cancel_on_stop_signal("the build");
    let progress = progress_printer(json);
    let outcome = run_build(ops, &data_dir, name, git_ref, &progress, cancel_rx).await;
    on_ctrl_c.abort();
    let (record, exit) = match outcome {
        BuildOutcome::Succeeded(r) => {
            if !json {
                println!(
                    "built {} #{}: commit {} → version {}",
                    r.app,
                    r.id,
                    r.commit.as_deref().unwrap_or("?"),
                    r.version.map(|v| v.to_string()).unwrap_or_default()
                );
                if let Some(image) = &r.image {
                    println!("image {image}");
                }
            }
            (r, Exit::Ok)
        }
        BuildOutcome::Failed {
            record,
            reason,
            tail,
        } => {
            eprintln!(
                "flinkdeck: build #{} of {} failed: {reason}",
                record.id, record.app
            );
            eprintln!("last lines of {}:", record.log);
            for l in tail {
                eprintln!("  {l}");
            }
            (record, Exit::Failed)
        }
        BuildOutcome::Cancelled(r) => {
            eprintln!("flinkdeck: build #{} of {} cancelled", r.id, r.app);
            (r, Exit::Failed)
        }
        BuildOutcome::Busy(m) => {
            eprintln!("flinkdeck: {m}");
            return Exit::Failed;
        }
        BuildOutcome::Invalid(m) => {
            eprintln!("flinkdeck: {m}");
            return Exit::Usage;
        }
        BuildOutcome::Error(m) => {
            eprintln!("flinkdeck: {m}");
            return Exit::Failed;
        }
    };
    if json {
        let e = print_json(&record);
        if e != Exit::Ok {
            return e;
        }
    }
    exit
}

/// `builds NAME`: newest first.
pub async fn list(ops: &OpsContext, name: &str, json: bool) -> Exit {
    let n = name.to_string();
    let builds = match ops
        .store
        .call(move |s: &mut Store| s.builds(&n, None))
        .await
    {
        Ok(b) => b,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Failed;
        }
    };
    if json {
        return print_json(&builds);
    }
    let rows: Vec<Vec<String>> = builds.iter().map(row).collect();
    print!(
        "{}",
        table::render(
            &["ID", "STATUS", "REF", "COMMIT", "STARTED", "DURATION", "ARTIFACT", "LOG"],
            &rows
        )
    );
    Exit::Ok
}

fn row(b: &BuildRecord) -> Vec<String> {
    vec![
        b.id.to_string(),
        b.status.as_str().to_string(),
        b.git_ref.clone(),
        b.commit
            .as_deref()
            .map(|c| c[..c.len().min(12)].to_string())
            .unwrap_or_else(|| "-".into()),
        format_timestamp(b.started_at),
        b.duration_ms
            .map(|d| format!("{:.1}s", d as f64 / 1000.0))
            .unwrap_or_else(|| "-".into()),
        match &b.image {
            Some(i) => format!("{} ({i})", b.artifact.as_deref().unwrap_or("-")),
            None => b.artifact.clone().unwrap_or_else(|| "-".into()),
        },
        b.log.clone(),
    ]
}

/// Before `start`: a jar app with `[build]` that was never built cannot start (exit 2).
pub async fn unbuilt(ops: &OpsContext, name: &str) -> Option<Exit> {
    let n = name.to_string();
    let app = ops
        .store
        .call(move |s: &mut Store| s.app(&n))
        .await
        .ok()??;
    let s = &app.spec;
    if s.kind == AppKind::Jar && s.build.is_some() && s.jar_file.is_none() {
        eprintln!("flinkdeck: app {name} has no built artifact yet: run flinkdeck build {name}");
        return Some(Exit::Usage);
    }
    None
}
