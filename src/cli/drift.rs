//! `flinkdeck drift [NAME] [--json]`: running managed apps compared with their current
//! definitions (artifact, SQL script, parallelism, the options the spec sets).
//!
//! Exit 0 no drift, 1 drift found, 2 unknown app, 3 a cluster could not be asked (what could be
//! compared is still printed; 3 wins over 1).

use super::{print_json, table, Exit};
use crate::domain::drift::{AppDrift, Drift};
use crate::service::drift::{drift, AppDriftRow, DriftError};
use crate::service::ops::OpsContext;

pub async fn run(ops: &OpsContext, name: Option<&str>, json: bool) -> Exit {
    let rows = match drift(ops, name).await {
        Ok(r) => r,
        Err(e @ DriftError::UnknownApp(_)) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Usage;
        }
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Failed;
        }
    };
    let found: Vec<&Drift> = rows
        .iter()
        .filter_map(|r| match &r.drift {
            AppDrift::Compared(d) => Some(d.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    let unreachable = rows.iter().any(|r| matches!(r.drift, AppDrift::Unknown(_)));
    for r in &rows {
        if let AppDrift::Unknown(why) = &r.drift {
            eprintln!("flinkdeck: app {}: not compared: {why}", r.app);
        }
    }
    let exit = if unreachable {
        Exit::Unreachable
    } else if found.is_empty() {
        Exit::Ok
    } else {
        Exit::Failed
    };
    if json {
        return match print_json(&found) {
            Exit::Ok => exit,
            other => other,
        };
    }
    print_text(&rows, &found);
    exit
}

fn print_text(rows: &[AppDriftRow], found: &[&Drift]) {
    if !found.is_empty() {
        let lines: Vec<Vec<String>> = found
            .iter()
            .map(|d| {
                vec![
                    d.app.clone(),
                    d.field.clone(),
                    d.running.clone(),
                    d.defined.clone(),
                    d.source.clone(),
                ]
            })
            .collect();
        print!(
            "{}",
            table::render(&["APP", "FIELD", "RUNNING", "DEFINED", "SOURCE"], &lines)
        );
    }
    for r in rows {
        let job = r.job_id.as_deref().unwrap_or("-");
        match &r.drift {
            AppDrift::Compared(d) if d.is_empty() => {
                println!("{}: no drift (job {job} on {})", r.app, r.cluster)
            }
            AppDrift::Compared(d) => println!(
                "{}: {} field(s) differ (job {job} on {})",
                r.app,
                d.len(),
                r.cluster
            ),
            AppDrift::NotRunning => {
                println!("{}: not running on {} (not drift)", r.app, r.cluster)
            }
            AppDrift::Unknown(why) => println!("{}: not compared: {why}", r.app),
        }
    }
}
