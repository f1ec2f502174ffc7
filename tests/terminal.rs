//! The real binary in a pseudo-terminal: SIGTERM and SIGHUP (an SSH link that drops) leave the
//! alternate screen and show the cursor again before the process exits. No Flink needed: the one
//! configured cluster is unreachable. And a hostile log (escape sequences, invalid UTF-8, a 1 MB
//! line) shown in the real viewer sends none of its escapes to the terminal.

mod common;
#[path = "common/log_server.rs"]
mod log_server;

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

/// A Flink look-alike with one running job whose JobManager log carries escape sequences that
/// would, if passed through, set the window title, leave the alternate screen, clear it and
/// colour text; plus invalid UTF-8 and a 1 MB line. The viewer shows the text; the terminal
/// never receives the log's escapes.
#[test]
fn a_hostile_log_reaches_the_terminal_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("jobmanager.log");
    let mut data: Vec<u8> = Vec::new();
    data.extend_from_slice(b"2026-09-21 INFO start\n");
    data.extend_from_slice(b"\x1b]0;PWNED-TITLE\x07title line\n");
    data.extend_from_slice(b"\x1b[38;5;201mMARK-MAGENTA\x1b[0m and \x1b[31mMARK-RED\x1b[0m\n");
    data.extend_from_slice(b"bad utf8 \xff\xfe\xc3 MARK-LOSSY\n");
    data.extend_from_slice(b"\x1b[?1049l\x1b[2J\x1b[HMARK-AFTER-LEAVE\n");
    data.extend(std::iter::repeat_n(b'Z', 1 << 20));
    data.extend_from_slice(b" MARK-LONG-END\n");
    data.extend_from_slice("\u{9b}6nMARK-LAST\n".as_bytes());
    std::fs::write(&log, &data).expect("write log");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let jobs = format!(
        r#"{{"jobs":[{{"jid":"a1000000000000000000000000000001","name":"hostile-log-job","state":"RUNNING","start-time":{s},"end-time":-1,"duration":1000,"last-modification":{now},"tasks":{{"total":1,"running":1}}}}]}}"#,
        s = now - 1000
    );
    let url = log_server::serve(
        log,
        vec![
            ("/jobs/overview".into(), jobs),
            (
                "/overview".into(),
                r#"{"taskmanagers":0,"slots-total":0,"slots-available":0,"jobs-running":1,"flink-version":"2.3.0"}"#.into(),
            ),
            ("/config".into(), r#"{"flink-version":"2.3.0"}"#.into()),
            ("/taskmanagers".into(), r#"{"taskmanagers":[]}"#.into()),
            ("/jobmanager/logs".into(), r#"{"logs":[]}"#.into()),
        ],
    );
    let config = write_config(dir.path(), &[("fake", url.trim_end_matches('/'))], "1s");
    let mut app = console(&config, dir.path(), &[], 120, 40);
    app.wait_screen("the job listed", Duration::from_secs(30), |s| {
        s.contains("hostile-log-job")
    });
    app.send("\r");
    app.send("\x1b[Z"); // Shift-Tab: the Logs tab
    let s = app.wait_screen("the log shown", Duration::from_secs(30), |s| {
        s.contains("MARK-LAST")
    });
    for mark in [
        "MARK-MAGENTA",
        "MARK-RED",
        "MARK-AFTER-LEAVE",
        "title line",
        "MARK-LOSSY",
    ] {
        assert!(s.contains(mark), "{mark} shown:\n{s}");
    }
    assert!(
        s.contains('\u{FFFD}'),
        "invalid UTF-8 shown as U+FFFD:\n{s}"
    );
    assert!(
        s.contains("ZZZZZZZZZZ"),
        "the 1 MB line is shown (cut at the width):\n{s}"
    );
    assert!(app.alternate_screen(), "still on the alternate screen");
    let raw = app.raw_output();
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.contains("PWNED"),
        "the title escape never reached the terminal"
    );
    assert!(!text.contains("\x1b]0;"), "no OSC from the log");
    assert!(!text.contains("\x1b[38;5;201m"), "no colour from the log");
    assert!(
        !text.contains("\x1b[?1049l"),
        "the log did not leave the alternate screen"
    );
    assert!(!text.contains("\u{9b}"), "no 8-bit CSI");
    // Wrapped: the long line's rows are drawn, still inert.
    app.send("w");
    app.wait_screen("wrapped", Duration::from_secs(10), |s| s.contains("· wrap"));
    app.send("\x1b");
    app.send("q");
    let _ = app.wait_exit(Duration::from_secs(10));
    let text = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert_eq!(
        text.matches("\x1b[?1049l").count(),
        1,
        "left the alternate screen once, at exit"
    );
}
