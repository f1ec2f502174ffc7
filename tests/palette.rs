//! End-to-end: the real `flinkdeck` binary in a pseudo-terminal against a real Flink 2.3.0
//! cluster (the shared one of this binary; every test looks only at its own job or app). The
//! command palette (`:`): Tab completion, `:stop APP` opening the normal stop confirmation for
//! the app's job, `:logs`, an unknown command; and the raw bytes the terminal gets: OSC 8
//! hyperlinks around job ids and cluster names (on with TERM=xterm-256color, absent with the
//! switch off, with NO_COLOR and with TERM=dumb) and the OSC 52 copy of `y` (wrapped for tmux
//! when TMUX is set).

mod common;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use common::*;

/// `[ui]` lines added to a config written by `write_config`.
fn with_ui(config: &Path, lines: &str) {
    let text = std::fs::read_to_string(config).expect("config");
    let text = text.replacen("[ui]\n", &format!("[ui]\n{lines}\n"), 1);
    std::fs::write(config, text).expect("config");
}

fn raw(app: &pty::PtyApp) -> String {
    String::from_utf8_lossy(&app.raw_output()).to_string()
}

/// Waits until the raw output contains `what`.
fn wait_raw(app: &pty::PtyApp, what: &str, needle: &str) -> String {
    wait_for(what, Duration::from_secs(30), || {
        let r = raw(app);
        r.contains(needle).then_some(r)
    })
}

#[test]
fn palette_completes_runs_stop_logs_and_names_unknown_commands() {
    let url = ensure_cluster(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("pal", &url)], "1s");
    let name = unique("pal-app");
    let spec = dir.path().join("app.toml");
    std::fs::write(&spec, demo_jar_app_spec(&name, "pal", V2)).expect("spec");
    apply_spec(&config, dir.path(), &spec);
    let started = cli(&config, dir.path(), &["start", &name, "--wait", "--json"]);
    assert_eq!(started.status.code(), Some(0), "{}", stderr(&started));
    let job = wait_for("the app's job id", Duration::from_secs(60), || {
        let out = cli(&config, dir.path(), &["apps", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).ok()?;
        let a = v
            .as_array()?
            .iter()
            .find(|a| a["name"] == name.as_str())?
            .clone();
        (a["state"] == "RUNNING").then(|| a["job_id"].as_str().map(str::to_string))?
    });

    let mut app = console(&config, dir.path(), &[], 150, 40);
    app.wait_screen("the app's job RUNNING", Duration::from_secs(30), |s| {
        s.lines()
            .any(|l| l.contains(&name) && l.contains("RUNNING"))
    });

    // `:` opens the palette with the commands listed; Tab completes `sto` to `stop `.
    app.send(":");
    app.wait_screen("palette open", Duration::from_secs(10), |s| {
        s.contains("Tab completes") && s.contains("checkpoints")
    });
    app.send("sto");
    app.wait_screen("only stop is offered", Duration::from_secs(10), |s| {
        s.contains(":sto") && s.contains("stop with a savepoint") && !s.contains("the job's logs")
    });
    app.send("\t");
    app.wait_screen("completed to :stop", Duration::from_secs(10), |s| {
        s.lines().any(|l| l.starts_with(":stop "))
    });
    // The argument completes to the app's name.
    let prefix: String = name.chars().take(name.len() - 3).collect();
    app.send(&prefix);
    app.send("\t");
    app.wait_screen("app name completed", Duration::from_secs(10), |s| {
        s.lines().any(|l| l.starts_with(&format!(":stop {name}")))
    });
    app.send("\r");
    let s = app.wait_screen("the stop confirmation", Duration::from_secs(10), |s| {
        s.contains("with a savepoint?")
    });
    assert!(s.contains(&name), "the confirmation names the app:\n{s}");
    // `n`: nothing happens, the job keeps running.
    app.send("n");
    std::thread::sleep(Duration::from_secs(1));
    let c = client(&url);
    assert_eq!(
        rt().block_on(c.job_state(&job)).expect("state").as_str(),
        "RUNNING"
    );

    // `:logs` opens the logs tab of the selected job (the app's, selected by :stop).
    app.send(":logs\r");
    let s = app.wait_screen("logs tab", Duration::from_secs(30), |s| {
        s.to_lowercase().contains("jobmanager") && s.contains(&job)
    });
    assert!(s.contains("Logs"), "{s}");

    // An unknown command says which.
    app.send(":frobnicate\r");
    app.wait_screen("unknown command message", Duration::from_secs(10), |s| {
        s.contains("unknown command \"frobnicate\"")
    });
    // `:jobs` goes back to the list, `:quit` quits.
    app.send(":jobs\r");
    app.wait_screen("jobs list", Duration::from_secs(10), |s| {
        s.lines()
            .any(|l| l.contains(&name) && l.contains("RUNNING"))
            && !s.contains("Logs")
    });
    app.send(":quit\r");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
    let _ = rt().block_on(c.cancel_job(&job));
}

/// Opens the console on the shared job with `env` and the `[ui]` lines, filtered to the job.
fn console_on_job(
    ui: &str,
    env: &[(&str, &str)],
) -> (pty::PtyApp, String, String, tempfile::TempDir) {
    let url = ensure_cluster(V2);
    let job = shared_demo_job(V2, "osc");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("osc", &url)], "1s");
    with_ui(&config, ui);
    let args = [
        "--config",
        config.to_str().expect("utf-8"),
        "--data-dir",
        dir.path().to_str().expect("utf-8"),
    ];
    let app = pty::PtyApp::spawn(&bin(), &args, env, 150, 40);
    app.wait_screen("the job listed", Duration::from_secs(60), |s| {
        s.contains("LIVE")
    });
    (app, job, url, dir)
}

/// Filters the list to `job_id`'s row and opens the detail (its header shows the id).
fn open_job(app: &mut pty::PtyApp, job_id: &str) {
    app.send("/");
    app.send(job_id);
    app.send("\r\r");
    app.wait_screen("the detail with the job id", Duration::from_secs(30), |s| {
        s.contains(job_id) && s.contains("Overview")
    });
}

#[test]
fn hyperlinks_and_copy_when_supported() {
    let (mut app, job, url, _dir) = console_on_job("", &[]);
    // The cluster badge links to the Web UI.
    wait_raw(
        &app,
        "cluster name linked",
        &format!("\x1b]8;;{url}/\x1b\\"),
    );
    open_job(&mut app, &job);
    let link = format!("\x1b]8;;{url}/#/job/running/{job}/overview\x1b\\");
    let r = wait_raw(&app, "job id linked", &link);
    // The link wraps the id's cells and is closed after them.
    let at = r.find(&link).expect("link");
    let after = &r[at + link.len()..];
    let close = after.find("\x1b]8;;\x1b\\").expect("closed");
    let inside: String = strip_csi(&after[..close]);
    assert_eq!(inside, job, "the linked text is the job id");

    // `y` copies the id.
    app.send("y");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&job);
    wait_raw(
        &app,
        "OSC 52 with the job id",
        &format!("\x1b]52;c;{b64}\x07"),
    );
    app.wait_screen("copied message", Duration::from_secs(10), |s| {
        s.contains(&format!("copied job id {job}"))
    });
    assert!(
        !raw(&app).contains("\x1bPtmux;"),
        "no tmux wrapping outside tmux"
    );
}

/// Removes CSI sequences (colours, cursor moves) from `s`.
fn strip_csi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn copy_under_tmux_is_wrapped_for_passthrough() {
    let (mut app, job, _url, _dir) = console_on_job("", &[("TMUX", "/tmp/tmux-0/default,1,0")]);
    open_job(&mut app, &job);
    app.send("y");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&job);
    wait_raw(
        &app,
        "tmux-wrapped OSC 52",
        &format!("\x1bPtmux;\x1b\x1b]52;c;{b64}\x07\x1b\\"),
    );
}

/// A case: its name, the `[ui]` lines and the environment.
type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// With the switches off, with NO_COLOR, and with TERM=dumb: no OSC 8 or OSC 52 byte at all,
/// and `y` says copying is off.
#[test]
fn no_osc_bytes_when_off_or_unsupported() {
    let cases: [Case; 3] = [
        (
            "switches off",
            "hyperlinks = \"off\"\nclipboard = \"off\"",
            &[],
        ),
        ("NO_COLOR", "", &[("NO_COLOR", "1")]),
        ("TERM=dumb", "", &[("TERM", "dumb")]),
    ];
    for (what, ui, env) in cases {
        let (mut app, job, _url, _dir) = console_on_job(ui, env);
        open_job(&mut app, &job);
        app.send("y");
        app.wait_screen("copy refused", Duration::from_secs(10), |s| {
            s.contains("copying is off")
        });
        let r = raw(&app);
        assert!(!r.contains("\x1b]8;"), "{what}: no OSC 8");
        assert!(!r.contains("\x1b]52;"), "{what}: no OSC 52");
        app.send("q");
        app.wait_exit(Duration::from_secs(10));
    }
}
