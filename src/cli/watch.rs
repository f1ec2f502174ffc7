//! `flinkdeck watch [--once] [--json]`: the headless watcher (see `service::watch`). One per data
//! dir: an flock on `<data dir>/watch.lock`, which holds the owner's pid; a second watcher exits 4
//! naming it. SIGTERM and SIGINT stop it cleanly (deliveries in flight get 10 s). Logs go to
//! stderr, plain (without timestamps under systemd, whose journal adds them).

use std::io::{Read, Seek, Write};
use std::time::Duration;

use super::setup::Context;
use super::{print_json, Exit};
use crate::service::alerts::Retry;
use crate::service::ops::OpsContext;
use crate::service::watch::{run_watch, WatchOptions};
use crate::service::workers::PollSettings;

/// Exit 0 (with `--once`: every delivery succeeded), 1 a delivery failed for good or the watcher
/// failed, 4 another watcher holds the data dir.
pub async fn run(ctx: &Context, ops: &OpsContext, once: bool, json: bool) -> Exit {
    let Some(dir) = &ctx.data_dir else {
        eprintln!("flinkdeck: no data directory: pass --data-dir");
        return Exit::Usage;
    };
    let path = dir.join("watch.lock");
    let mut lock = match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("flinkdeck: cannot open {}: {e}", path.display());
            return Exit::Failed;
        }
    };
    if lock.try_lock().is_err() {
        let mut pid = String::new();
        let _ = lock.read_to_string(&mut pid);
        eprintln!(
            "flinkdeck: another watcher (pid {}) watches data dir {}",
            pid.trim(),
            dir.display()
        );
        return Exit::Refused;
    }
    let _ = lock.set_len(0);
    let _ = lock.rewind();
    let _ = write!(lock, "{}", std::process::id());
    let _ = lock.flush();

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let signals = tokio::spawn(async move {
        let signal = super::signals::stop_signal().await;
        tracing::info!("{signal}: stopping");
        let _ = stop_tx.send(true);
    });
    let settings = PollSettings {
        refresh: ctx.config.ui.refresh,
        detail_budget: ctx.config.ui.detail_budget,
    };
    let opts = WatchOptions {
        once,
        retry: Retry::default(),
        first_round_limit: Duration::from_secs(60),
    };
    // A watcher runs for days: the console's allocator upkeep.
    let trim = (!once).then(|| tokio::spawn(crate::service::memory::trim_periodically()));
    let result = run_watch(ops.clone(), ctx.clusters.clone(), settings, opts, stop_rx).await;
    signals.abort();
    if let Some(t) = trim {
        t.abort();
    }
    drop(lock);
    match result {
        Ok(report) => {
            if json {
                let e = print_json(&serde_json::json!({
                    "rounds": report.rounds,
                    "opened": report.opened,
                    "reminded": report.reminded,
                    "closed": report.closed,
                    "deliveries_failed": report.deliveries_failed,
                    "restarted": report.restarted,
                    "restart_failed": report.restart_failed,
                    "gave_up": report.gave_up,
                }));
                if e != Exit::Ok {
                    return e;
                }
            } else if once {
                println!(
                    "{} round(s): {} opened, {} reminded, {} closed, {} failed deliveries; \
                     {} restarted, {} restart(s) failed, {} gave up",
                    report.rounds,
                    report.opened,
                    report.reminded,
                    report.closed,
                    report.deliveries_failed,
                    report.restarted,
                    report.restart_failed,
                    report.gave_up
                );
            }
            if report.deliveries_failed > 0 {
                Exit::Failed
            } else {
                Exit::Ok
            }
        }
        Err(e) => {
            eprintln!("flinkdeck: watch: {e}");
            Exit::Failed
        }
    }
}
