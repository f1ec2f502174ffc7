//! `flinkdeck start|stop|savepoint|cancel|adopt`: the lifecycle actions (same code as the TUI's).

use super::setup::Context;
use super::Exit;
use crate::domain::{ActionOutcome, ActionRequest, ActionTarget, JobKey};
use crate::service::ops::{preview_start, run_action, OpsContext};

/// Whether `s` looks like a Flink job id (32 hex digits).
pub fn is_job_id(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// An app name, or a job id (found on whichever cluster lists it, or `--cluster`).
pub async fn target(
    ctx: &Context,
    name: &str,
    cluster: Option<&str>,
) -> Result<ActionTarget, Exit> {
    if !is_job_id(name) {
        return Ok(ActionTarget::App(name.to_string()));
    }
    let handles = super::select_clusters(ctx, cluster)?;
    for h in &handles {
        if let Ok(jobs) = h.rest.jobs_overview(h.name()).await {
            if jobs.iter().any(|j| j.id == name) {
                return Ok(ActionTarget::Job(JobKey::new(h.name(), name)));
            }
        }
    }
    eprintln!("flinkdeck: no reachable cluster lists job {name}");
    Err(Exit::Failed)
}

/// Runs an action, printing progress on stderr and the outcome on stdout (or as JSON).
pub async fn run(ops: &OpsContext, action: ActionRequest, json: bool) -> Exit {
    let quiet = json;
    let progress = move |m: String| {
        if !quiet {
            eprintln!("{m}");
        }
    };
    let outcome = run_action(ops, &action, &progress).await;
    if json {
        super::print_json(&outcome);
    }
    match outcome {
        ActionOutcome::Done { message, .. } => {
            if !json {
                println!("{message}");
            }
            Exit::Ok
        }
        ActionOutcome::Refused { reason } => {
            eprintln!("flinkdeck: refused: {reason}");
            Exit::Refused
        }
        ActionOutcome::Failed { reason } => {
            eprintln!("flinkdeck: {reason}");
            Exit::Failed
        }
        ActionOutcome::Invalid { reason } => {
            eprintln!("flinkdeck: {reason}");
            Exit::Usage
        }
    }
}

/// `flinkdeck start NAME --dry-run`: prints what a start would run (one line each, or a JSON
/// array of the lines) and runs nothing.
pub async fn preview(
    ops: &OpsContext,
    name: &str,
    from: &crate::domain::RestoreChoice,
    allow_non_restored: bool,
    json: bool,
) -> Exit {
    match preview_start(ops, name, from, allow_non_restored).await {
        Ok(lines) => {
            if json {
                super::print_json(&lines);
            } else {
                for l in lines {
                    println!("{l}");
                }
            }
            Exit::Ok
        }
        Err(ActionOutcome::Invalid { reason }) => {
            eprintln!("flinkdeck: {reason}");
            Exit::Usage
        }
        Err(ActionOutcome::Refused { reason }) => {
            eprintln!("flinkdeck: refused: {reason}");
            Exit::Refused
        }
        Err(ActionOutcome::Failed { reason })
        | Err(ActionOutcome::Done {
            message: reason, ..
        }) => {
            eprintln!("flinkdeck: {reason}");
            Exit::Failed
        }
    }
}
