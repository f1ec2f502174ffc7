//! The real binary in a pseudo-terminal: SIGTERM and SIGHUP (an SSH link that drops) leave the
//! alternate screen and show the cursor again before the process exits. No Flink needed: the one
//! configured cluster is unreachable.

mod common;

use std::time::Duration;

use common::*;

fn stops_cleanly_on(signal: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    // Port 9 (discard) on localhost: refused at once; the console shows the cluster anyway.
    let config = write_config(dir.path(), &[("gone", "http://127.0.0.1:9")], "1s");
    let mut app = console(&config, dir.path(), &[], 100, 30);
    app.wait_screen("the console is up", Duration::from_secs(30), |s| {
        s.contains("gone")
    });
    assert!(app.alternate_screen(), "runs on the alternate screen");
    let before = app.raw_output().len();
    app.signal(signal);
    let code = app.wait_exit(Duration::from_secs(10));
    assert_eq!(code, 0, "exit code after SIG{signal}");
    assert!(
        !app.alternate_screen(),
        "alternate screen left on SIG{signal}"
    );
    let raw = app.raw_output();
    let after = String::from_utf8_lossy(&raw[before..]).to_string();
    assert!(
        after.contains("\x1b[?1049l"),
        "leave-alternate-screen sent after SIG{signal}: {after:?}"
    );
    assert!(
        after.contains("\x1b[?25h"),
        "cursor shown after SIG{signal}: {after:?}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    stops_cleanly_on("TERM");
}

#[test]
fn sighup_restores_the_terminal() {
    stops_cleanly_on("HUP");
}
