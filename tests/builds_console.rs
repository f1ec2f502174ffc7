//! End-to-end: the real `flinkdeck` binary in a pseudo-terminal, building from a real git
//! repository. The app's build command prints a line every half second and leaves a
//! `sleep 300` in its process group, so the build runs until cancelled. No Flink cluster is
//! needed (the config points at a closed port): builds never talk to Flink.
//!
//! - The console's rebuild key builds the app: the build shows `running`, Enter shows its log
//!   with new lines arriving live, the cancel key stops it: `cancelled` on screen and in
//!   `flinkdeck builds NAME --json`, and the sleep is gone.
//! - A build started by `flinkdeck build` (another process) is cancelled from the console: the
//!   console sends SIGTERM to the pid the build row records, the CLI cancels like Ctrl-C (exit
//!   1), and the build's process group is gone.
//! - Read-only: the keys are refused and the refusals are in the audit trail (so is a
//!   `flinkdeck --readonly build`).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::build_repo::*;
use common::*;
use serde_json::Value;

fn builds_json(config: &Path, dir: &Path) -> Vec<Value> {
    let out = cli(config, dir, &["builds", "slow", "--json"]);
    json_of(&["builds"], &stdout(&out))
        .as_array()
        .cloned()
        .expect("builds --json is an array")
}

fn audit_json(config: &Path, dir: &Path) -> Vec<Value> {
    let out = cli(config, dir, &["audit", "--app", "slow", "--json"]);
    json_of(&["audit"], &stdout(&out))
        .as_array()
        .cloned()
        .expect("audit --json is an array")
}

/// Opens the Builds view from the jobs view and waits for the app to be listed.
fn open_builds(app: &mut pty::PtyApp) {
    app.wait_screen("the jobs view", Duration::from_secs(30), |s| {
        s.contains("slow")
    });
    app.send("B");
    app.wait_screen("the Builds view", Duration::from_secs(30), |s| {
        s.contains("Builds of slow") && s.contains("Apps (1)")
    });
}

#[test]
fn rebuild_key_builds_the_log_follows_live_and_the_cancel_key_stops_it() {
    let (dir, config) = offline_env();
    let pid_file = dir.path().join("sleep.pid");
    slow_app(dir.path(), &config, &pid_file);
    let mut app = console(&config, dir.path(), &[], 150, 40);
    open_builds(&mut app);
    app.wait_screen("never built", Duration::from_secs(10), |s| {
        s.contains("slow was never built")
    });

    // Rebuild: asked first, then running.
    app.send("b");
    app.wait_screen("the rebuild question", Duration::from_secs(10), |s| {
        s.contains("Rebuild app slow at its [build] ref main?")
    });
    app.send("y");
    let s = app.wait_screen("the build running", Duration::from_secs(30), |s| {
        s.contains("#1 running") && s.contains("build app slow")
    });
    assert!(s.contains("running for"), "{s}");
    let sleeper = sleeper_pid(&pid_file);
    assert!(!gone(&sleeper));

    // Its log, followed live: lines arrive without a key pressed.
    app.send("l");
    app.send("\r");
    let s = app.wait_screen("the build log", Duration::from_secs(30), |s| {
        s.contains("build #1 of slow · running") && s.contains("tick-2")
    });
    assert!(s.contains("==> build: bash slow.sh"), "{s}");
    assert!(s.contains("started-sleep"), "{s}");
    let later = tick_shown(&s) + 3;
    app.wait_screen("new log lines arriving", Duration::from_secs(30), |s| {
        s.contains(&format!("tick-{later}\n")) || s.contains(&format!("tick-{later} "))
    });

    // Cancel from the log: asked first, then cancelled, the sleep gone.
    app.send("C");
    app.wait_screen("the cancel question", Duration::from_secs(10), |s| {
        s.contains("Cancel build #1 of slow")
    });
    app.send("y");
    let s = app.wait_screen("the build cancelled", Duration::from_secs(60), |s| {
        s.contains("#1 cancelled") && s.contains("cancelled (this console stopped it")
    });
    assert!(!s.contains("#1 running"), "{s}");
    wait_for("the sleep to be killed", Duration::from_secs(10), || {
        gone(&sleeper).then_some(())
    });
    let b = builds_json(&config, dir.path());
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0]["status"], "cancelled");
    let audit = audit_json(&config, dir.path());
    assert!(
        audit
            .iter()
            .any(|e| e["action"] == "cancel_build" && e["ok"] == true),
        "{audit:?}"
    );

    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
}

/// The highest `tick-N` on screen.
fn tick_shown(screen: &str) -> u32 {
    screen
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter_map(|w| w.strip_prefix("tick-"))
        .filter_map(|n| n.parse().ok())
        .max()
        .unwrap_or(0)
}

#[test]
fn the_console_cancels_a_build_run_by_the_cli() {
    let (dir, config) = offline_env();
    let pid_file = dir.path().join("sleep.pid");
    slow_app(dir.path(), &config, &pid_file);
    let builder = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["build", "slow"])
        .env_remove("FLINKDECK_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn flinkdeck build");
    let cli_pid = builder.id().to_string();
    let sleeper = sleeper_pid(&pid_file);

    let mut app = console(&config, dir.path(), &[], 150, 40);
    open_builds(&mut app);
    app.wait_screen("the CLI's build running", Duration::from_secs(30), |s| {
        s.contains("#1 running")
    });
    app.send("l");
    app.send("C");
    let s = app.wait_screen("the cancel question", Duration::from_secs(10), |s| {
        s.contains("Cancel build #1 of slow")
    });
    assert!(
        s.contains(&format!("process {cli_pid})")),
        "names the CLI's process {cli_pid}:\n{s}"
    );
    app.send("y");
    let s = app.wait_screen("the build cancelled", Duration::from_secs(60), |s| {
        s.contains("#1 cancelled")
    });
    assert!(
        s.contains(&format!("SIGTERM to `flinkdeck build` process {cli_pid}")),
        "says how:\n{s}"
    );
    let out = builder
        .wait_with_output()
        .expect("wait for flinkdeck build");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("SIGTERM: cancelling the build"),
        "{}",
        stderr(&out)
    );
    wait_for("the sleep to be killed", Duration::from_secs(10), || {
        gone(&sleeper).then_some(())
    });
    let b = builds_json(&config, dir.path());
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0]["status"], "cancelled");

    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
}

#[test]
fn read_only_refuses_rebuild_and_cancel_and_audits_the_refusals() {
    let (dir, config) = offline_env();
    let pid_file = dir.path().join("sleep.pid");
    slow_app(dir.path(), &config, &pid_file);
    let mut builder = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["build", "slow"])
        .env_remove("FLINKDECK_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn flinkdeck build");
    let sleeper = sleeper_pid(&pid_file);

    let mut app = console(&config, dir.path(), &["--readonly"], 150, 40);
    open_builds(&mut app);
    app.wait_screen("the CLI's build running", Duration::from_secs(30), |s| {
        s.contains("#1 running")
    });
    app.send("b");
    app.wait_screen("the refusal", Duration::from_secs(10), |s| {
        s.contains("read-only: rebuild is disabled")
    });
    app.send("l");
    app.send("C");
    app.wait_screen("the refusal", Duration::from_secs(10), |s| {
        s.contains("read-only: cancel_build is disabled")
    });
    let audit = wait_for(
        "both refusals in the audit trail",
        Duration::from_secs(20),
        || {
            let a = audit_json(&config, dir.path());
            let refused = |action: &str| {
                a.iter().any(|e| {
                    e["action"] == action
                        && e["ok"] == false
                        && e["result"]
                            .as_str()
                            .is_some_and(|r| r.starts_with("refused: read-only mode"))
                })
            };
            (refused("build") && refused("cancel_build")).then_some(a)
        },
    );
    assert!(!audit.is_empty());
    // `flinkdeck --readonly build` is refused (exit 4) and recorded the same way.
    let out = cli(&config, dir.path(), &["--readonly", "build", "slow"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let refused_builds = audit_json(&config, dir.path())
        .iter()
        .filter(|e| {
            e["action"] == "build"
                && e["result"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("refused: read-only mode"))
        })
        .count();
    assert_eq!(refused_builds, 2, "the console's and the CLI's refusals");
    // Nothing was cancelled: the CLI's build still runs.
    assert!(!gone(&sleeper), "the build kept running");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);

    let kill = Command::new("kill")
        .args(["-INT", &builder.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    assert_eq!(builder.wait().expect("wait").code(), Some(1));
    wait_for("the sleep to be killed", Duration::from_secs(10), || {
        gone(&sleeper).then_some(())
    });
}

/// Quitting the console while a build it started runs cancels that build: recorded as
/// cancelled, its process group gone (not left behind by the runtime's end).
#[test]
fn quitting_the_console_cancels_the_builds_it_runs() {
    let (dir, config) = offline_env();
    let pid_file = dir.path().join("sleep.pid");
    slow_app(dir.path(), &config, &pid_file);
    let mut app = console(&config, dir.path(), &[], 150, 40);
    open_builds(&mut app);
    app.send("b");
    app.wait_screen("the rebuild question", Duration::from_secs(10), |s| {
        s.contains("Rebuild app slow")
    });
    app.send("y");
    let sleeper = sleeper_pid(&pid_file);
    app.wait_screen("the build running", Duration::from_secs(30), |s| {
        s.contains("#1 running")
    });
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(30)), 0);
    wait_for("the sleep to be killed", Duration::from_secs(10), || {
        gone(&sleeper).then_some(())
    });
    let b = builds_json(&config, dir.path());
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0]["status"], "cancelled");
}
