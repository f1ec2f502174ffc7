//! `flinkdeck upgrade NAME [--rebuild] [--version N] [--health 2m] [--wait] [--json]`: build
//! (optionally), stop with savepoint, start the new version from it, watch its health, roll back
//! automatically when unhealthy. The plan is printed first; Ctrl-C cancels a build, or ends the
//! health window early (which rolls back).

use super::signals::{cancel_on_stop_signal, progress_printer};
use std::time::Duration;

use super::setup::Context;
use super::{print_json, Exit};
use crate::service::ops::{run_upgrade, OpsContext, UpgradeRequest, UpgradeResult};

/// Exit 0 upgraded (or unchanged), 1 rolled back or failed, 2 usage/spec error, 4 read-only.
pub async fn upgrade(
    ctx: &Context,
    ops: &OpsContext,
    req: UpgradeRequest,
    health: Option<&str>,
    json: bool,
) -> Exit {
    let Some(data_dir) = ctx.data_dir.clone() else {
        eprintln!("flinkdeck: no data directory: pass --data-dir");
        return Exit::Usage;
    };
    let mut req = req;
    if let Some(h) = health {
        match parse_health(h) {
            Ok(d) => req.health = Some(d),
            Err(e) => {
                eprintln!("flinkdeck: --health {h:?}: {e}");
                return Exit::Usage;
            }
        }
    }
    let (cancel_rx, on_ctrl_c) = cancel_on_stop_signal("the upgrade");
    let progress = progress_printer(json);
    let outcome = run_upgrade(ops, &data_dir, &req, &progress, cancel_rx).await;
    on_ctrl_c.abort();
    let exit = match outcome.outcome {
        UpgradeResult::Upgraded | UpgradeResult::Unchanged => Exit::Ok,
        UpgradeResult::RolledBack | UpgradeResult::Failed => Exit::Failed,
        UpgradeResult::Invalid => Exit::Usage,
        UpgradeResult::Refused => Exit::Refused,
    };
    if exit != Exit::Ok {
        eprintln!("flinkdeck: {}", outcome.summary());
    } else if !json {
        println!("{}", outcome.summary());
    }
    if json {
        let e = print_json(&outcome);
        if e != Exit::Ok {
            return e;
        }
    }
    exit
}

/// `2m`, `90s`, `1m30s`: more than zero.
fn parse_health(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim()).map_err(|e| format!("{e} (e.g. 2m, 90s)"))?;
    if d.is_zero() {
        return Err("the health window must be more than 0".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn health_windows_parse() {
        assert_eq!(
            super::parse_health("2m"),
            Ok(std::time::Duration::from_secs(120))
        );
        assert!(super::parse_health("0s").is_err());
        assert!(super::parse_health("soon").is_err());
    }
}
