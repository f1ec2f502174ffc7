//! What long CLI commands (`build`, `upgrade`, `watch`) share: stopping on SIGINT (Ctrl-C) or
//! SIGTERM (what a console's cancel key sends to a `flinkdeck build`, and what systemd sends
//! to the watcher), and their progress lines (stdout, or stderr with `--json` so that stdout
//! stays one JSON document).

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A channel that turns true on the first SIGINT or SIGTERM, saying on stderr that `what` is
/// being cancelled; abort the task when the command is done.
pub fn cancel_on_stop_signal(what: &'static str) -> (watch::Receiver<bool>, JoinHandle<()>) {
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let signal = stop_signal().await;
        eprintln!("flinkdeck: {signal}: cancelling {what}");
        let _ = tx.send(true);
    });
    (rx, task)
}

/// Progress lines: stdout, or stderr with `--json`.
pub fn progress_printer(json: bool) -> impl Fn(String) + Send + Sync {
    move |line: String| {
        if json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// Resolves with the name of the first SIGINT (Ctrl-C) or SIGTERM; never when neither can be
/// handled.
pub async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("flinkdeck: cannot handle SIGTERM: {e}");
                None
            }
        };
        let term = async {
            match term.as_mut() {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            r = tokio::signal::ctrl_c() => match r {
                Ok(()) => "interrupted",
                Err(_) => std::future::pending::<&'static str>().await,
            },
            _ = term => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    match tokio::signal::ctrl_c().await {
        Ok(()) => "interrupted",
        Err(_) => std::future::pending::<&'static str>().await,
    }
}
