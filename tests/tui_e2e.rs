//! End-to-end: the real `flinkdeck` binary in a pseudo-terminal against a real Flink 2.3.0
//! cluster. Open, wait for the jobs, filter, open a job, Tab through the detail tabs, Esc back,
//! quit, and check that the terminal was restored (alternate screen left, cursor shown).

mod common;

use std::time::Duration;

use common::*;

#[test]
fn open_filter_enter_tabs_back_quit_restores_terminal() {
    let url = ensure_cluster(V2);
    let target = unique("e2e-target");
    let other = unique("e2e-other");
    let target_id = submit_demo(V2, &url, "steady", &target);
    let other_id = submit_demo(V2, &url, "steady", &other);

    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("e2e", &url)], "1s");
    let mut app = console(&config, dir.path(), &[], 140, 40);

    let s = app.wait_screen(
        "both jobs listed and the cluster LIVE",
        Duration::from_secs(60),
        |s| s.contains(&target) && s.contains(&other) && s.contains("LIVE"),
    );
    assert!(s.contains("e2e"), "cluster name shown:\n{s}");
    assert!(app.alternate_screen(), "runs on the alternate screen");

    // Filter by text: only the target stays.
    app.send("/");
    app.send(&target);
    app.send("\r");
    let s = app.wait_screen("filtered list", Duration::from_secs(10), |s| {
        s.contains(&target) && !s.contains(&other)
    });
    assert!(s.contains("RUNNING"), "{s}");

    // Open it: the overview shows the job id and the vertices.
    app.send("\r");
    let s = app.wait_screen(
        "overview with job id and vertices",
        Duration::from_secs(30),
        |s| s.contains(&target_id) && s.contains("count-per-key"),
    );
    for tab in ["Overview", "Checkpoints", "Exceptions", "Logs"] {
        assert!(s.contains(tab), "tab title {tab} visible:\n{s}");
    }

    // Tab through the tabs.
    app.send("\t");
    app.wait_screen(
        "checkpoints tab with a completed checkpoint",
        Duration::from_secs(60),
        |s| s.contains("COMPLETED"),
    );
    app.send("\t");
    app.wait_screen(
        "exceptions tab (a healthy job has none)",
        Duration::from_secs(30),
        |s| s.to_lowercase().contains("no exception"),
    );
    app.send("\t");
    app.wait_screen(
        "logs tab lists the jobmanager log",
        Duration::from_secs(30),
        |s| s.to_lowercase().contains("jobmanager"),
    );
    // Shift-Tab goes back.
    app.send("\x1b[Z");
    app.wait_screen("back on exceptions", Duration::from_secs(10), |s| {
        s.to_lowercase().contains("no exception")
    });

    // Esc back to the (still filtered) list, clear the filter with Esc in filter mode.
    app.send("\x1b");
    let s = app.wait_screen("list again", Duration::from_secs(10), |s| {
        s.contains(&target) && !s.contains(&target_id)
    });
    assert!(!s.contains(&other), "filter still applied:\n{s}");

    app.send("q");
    let code = app.wait_exit(Duration::from_secs(10));
    assert_eq!(code, 0, "exit code");
    assert!(!app.alternate_screen(), "alternate screen left");
    let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert!(raw.contains("\x1b[?1049l"), "leave-alternate-screen sent");
    assert!(raw.contains("\x1b[?25h"), "cursor shown again");

    // Clean up the jobs this test started.
    let c = client(&url);
    for id in [&target_id, &other_id] {
        let _ = rt().block_on(c.cancel_job(id));
    }
}

/// A cluster that accepts connections and never answers must not freeze the screen: the real
/// cluster's jobs show, keys keep working, and the hung one ends up UNREACHABLE with `timeout`.
#[test]
fn a_hanging_cluster_never_freezes_the_screen() {
    let url = ensure_cluster(V2);
    let name = unique("e2e-hang");
    let id = submit_demo(V2, &url, "steady", &name);

    // Accepts and holds every connection without a byte of answer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let hang_url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
        }
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "[ui]\nrefresh = \"1s\"\n\n[[clusters]]\nname = \"hung\"\nurl = \"{hang_url}\"\ntimeout = \"1s\"\n\n[[clusters]]\nname = \"real\"\nurl = \"{url}\"\n"
    );
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).expect("config");
    let mut app = console(&config, dir.path(), &[], 140, 40);
    app.wait_screen(
        "the real cluster's job while the other hangs",
        Duration::from_secs(30),
        |s| s.contains(&name),
    );
    // Keys work while the hung cluster's polls are pending.
    app.send("?");
    app.wait_screen("help screen", Duration::from_secs(5), |s| {
        s.contains("Move down")
    });
    app.send("\x1b");
    app.wait_screen("back to the list", Duration::from_secs(5), |s| {
        s.contains(&name)
    });
    let s = app.wait_screen(
        "hung cluster UNREACHABLE timeout",
        Duration::from_secs(30),
        |s| s.contains("UNREACHABLE timeout"),
    );
    assert!(s.contains("real LIVE"), "{s}");
    // The full error is one key away.
    app.send("e");
    app.wait_screen(
        "error popup names the cluster and the URL",
        Duration::from_secs(5),
        |s| s.contains("hung") && s.contains(hang_url.trim_start_matches("http://")),
    );
    app.send("\x1b");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
    let _ = rt().block_on(client(&url).cancel_job(&id));
}

/// A bad config file opens an error screen that names file, line, column and key; any key exits
/// with status 2 and the terminal is restored.
#[test]
fn bad_config_shows_an_error_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("broken.toml");
    std::fs::write(
        &config,
        "[ui]\nrefresh = \"2s\"\n\n[[clusters]]\nname = \"a\"\nurl = \"http://localhost:8081\"\nkind = \"standalone\"\ncolour = \"red\"\n",
    )
    .expect("write");
    let mut app = console(&config, dir.path(), &[], 120, 20);
    let s = app.wait_screen("error screen", Duration::from_secs(10), |s| {
        s.contains("cannot start")
    });
    assert!(s.contains("broken.toml:8:1"), "{s}");
    assert!(s.contains("colour"), "{s}");
    app.send("x");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), 2);
    assert!(!app.alternate_screen());
}

/// The clusters view in the real binary (no Flink, no Kubernetes needed): `K` opens it on a
/// cluster that refuses connections, `e` shows the full error, enter goes back to the jobs view
/// filtered to that cluster, `q` quits cleanly.
#[test]
fn clusters_view_from_the_keyboard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let down = format!("http://127.0.0.1:{}", closed_port());
    let config = write_config(dir.path(), &[("refusing", &down)], "1s");
    let mut app = console(&config, dir.path(), &[], 140, 30);
    app.wait_screen("the cluster unreachable", Duration::from_secs(30), |s| {
        s.contains("refusing UNREACHABLE")
    });
    app.send("K");
    let s = app.wait_screen("the clusters view", Duration::from_secs(5), |s| {
        s.contains("Clusters (1)")
    });
    assert!(s.contains("standalone") && s.contains("UNREACHABLE"), "{s}");
    app.send("e");
    app.wait_screen("the full error", Duration::from_secs(5), |s| {
        s.contains("Cluster: refusing") && s.contains("failed polls in a row")
    });
    app.send("\x1b");
    app.send("\r");
    let s = app.wait_screen("the jobs view, filtered", Duration::from_secs(5), |s| {
        s.contains("cluster refusing") && s.contains("Jobs (0)")
    });
    assert!(!s.contains("Clusters ("), "{s}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
    assert!(!app.alternate_screen());
}

/// Start and stop-with-savepoint from the keyboard: `s` opens the restore dialog, Enter starts;
/// `S` asks for confirmation, `y` stops with a savepoint whose path stays visible; a second `s`
/// offers that savepoint and the start restores from it.
#[test]
fn start_and_stop_with_savepoint_from_the_keyboard() {
    let url = ensure_cluster(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("e2e", &url)], "1s");
    let name = unique("e2e-app");
    let spec = dir.path().join("app.toml");
    std::fs::write(&spec, demo_jar_app_spec(&name, "e2e", V2)).expect("spec");
    apply_spec(&config, dir.path(), &spec);

    let mut app = console(&config, dir.path(), &[], 150, 40);
    app.wait_screen("the app's row", Duration::from_secs(30), |s| {
        s.contains(&name)
    });
    app.send("/");
    app.send(&name);
    app.send("\r");

    // Start: the dialog offers the restore choices; Enter takes the first (latest = none yet).
    app.send("s");
    app.wait_screen("restore dialog", Duration::from_secs(10), |s| {
        s.contains("Restore from") && s.contains("none (fresh start)")
    });
    app.send("\r");
    let s = app.wait_screen("start done", Duration::from_secs(60), |s| {
        s.lines()
            .any(|l| l.contains('✔') && l.contains("started app"))
    });
    assert!(!s.contains('✘'), "{s}");
    let job = wait_for("job RUNNING", Duration::from_secs(60), || {
        let out = cli(&config, dir.path(), &["apps", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).ok()?;
        let a = v
            .as_array()?
            .iter()
            .find(|a| a["name"] == name.as_str())?
            .clone();
        (a["state"] == "RUNNING").then(|| a["job_id"].as_str().map(str::to_string))?
    });
    app.wait_screen("job listed RUNNING", Duration::from_secs(20), |s| {
        s.lines()
            .any(|l| l.contains(&name) && l.contains("RUNNING"))
    });
    let c = client(&url);
    wait_for("a checkpoint", Duration::from_secs(60), || {
        let v = rt()
            .block_on(c.get_json(&format!("jobs/{job}/checkpoints")))
            .ok()?;
        (v["counts"]["completed"].as_i64()? >= 1).then_some(())
    });

    // Stop with a savepoint: confirmation first; `n` does nothing, `y` stops.
    app.send("S");
    app.wait_screen("stop confirmation", Duration::from_secs(10), |s| {
        s.contains("with a savepoint?")
    });
    app.send("n");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        rt().block_on(c.job_state(&job)).expect("state").as_str(),
        "RUNNING"
    );
    app.send("S");
    app.wait_screen("stop confirmation again", Duration::from_secs(10), |s| {
        s.contains("with a savepoint?")
    });
    app.send("y");
    let s = app.wait_screen(
        "stop done with the savepoint path",
        Duration::from_secs(90),
        |s| {
            s.lines()
                .any(|l| l.contains('✔') && l.contains("savepoint"))
        },
    );
    let line = s
        .lines()
        .find(|l| l.contains('✔') && l.contains("savepoint"))
        .unwrap_or_default();
    assert!(line.contains("file:"), "path visible: {line}");
    let h: serde_json::Value = serde_json::from_str(&stdout(&cli(
        &config,
        dir.path(),
        &["history", &name, "--json"],
    )))
    .expect("history");
    let sp = h["savepoints"][0]["path"]
        .as_str()
        .expect("savepoint recorded")
        .to_string();
    assert!(
        std::path::Path::new(sp.trim_start_matches("file:"))
            .join("_metadata")
            .exists(),
        "{sp}"
    );

    // Start again: the dialog lists the savepoint; the start restores from it (verified).
    app.send("s");
    app.wait_screen("dialog lists the savepoint", Duration::from_secs(10), |s| {
        s.contains(sp.trim_start_matches("file:")) || s.contains(&sp[..sp.len().min(40)])
    });
    app.send("\r");
    app.wait_screen("restored start", Duration::from_secs(90), |s| {
        s.lines().any(|l| l.contains('✔') && l.contains("verified"))
    });
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
    let out = cli(&config, dir.path(), &["cancel", &name]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
