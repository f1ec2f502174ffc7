//! The console's Alerts view end to end: the real `flinkdeck` binary in a pseudo-terminal. The
//! incident is made for real: `flinkdeck watch --once` against a config whose only cluster is a
//! closed loopback port and an `unreachable` rule that sends to a real HTTP receiver started by
//! the test. Then: the header badge, the Alerts view, `m` on the incident, the detail with its
//! delivery; afterwards `flinkdeck alerts --json` shows the mute (≈ now + 1 h) and `flinkdeck
//! audit --json` the `mute` entry. Read-only: the mute is refused, audited as refused, and the
//! CLI refuses the same way (one implementation). No Flink needed.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::receiver::Receiver;
use common::*;
use serde_json::Value;

const HOUR_MS: i64 = 3_600_000;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A data dir with one open `unreachable` incident (delivered once to `hook`); returns the
/// config's path and the incident's id.
fn open_incident(dir: &Path, hook: &Receiver) -> (PathBuf, i64) {
    let hook_file = dir.join("hook.url");
    std::fs::write(&hook_file, &hook.url).expect("hook url");
    let cfg = write_config(
        dir,
        &[("gone", &format!("http://127.0.0.1:{}", closed_port()))],
        "1s",
    );
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text.push_str(&format!(
        "\n[[alerts.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl_file = {:?}\n\n\
         [[alerts.rules]]\nname = \"cluster-down\"\nwhen = \"unreachable\"\nchannels = [\"hook\"]\n",
        hook_file.display().to_string()
    ));
    std::fs::write(&cfg, text).expect("config");
    let out = cli(&cfg, dir, &["watch", "--once", "--json"]);
    assert_eq!(out.status.code(), Some(0), "watch --once: {}", stderr(&out));
    let round = json_of(&["watch"], &stdout(&out));
    assert_eq!(round["opened"], 1, "{round}");
    assert_eq!(hook.received().len(), 1, "the incident was delivered");
    let open = incidents(&cfg, dir);
    let [incident] = open.as_slice() else {
        panic!("one incident: {open:?}");
    };
    assert_eq!(incident["subject"], "cluster:gone");
    assert!(incident["muted_until"].is_null(), "{incident}");
    (cfg, incident["id"].as_i64().expect("id"))
}

fn incidents(cfg: &Path, dir: &Path) -> Vec<Value> {
    let out = cli(cfg, dir, &["alerts", "--json"]);
    assert_eq!(out.status.code(), Some(0), "alerts: {}", stderr(&out));
    json_of(&["alerts"], &stdout(&out))
        .as_array()
        .expect("array")
        .clone()
}

/// The audit trail's `action` entries, newest first.
fn audit_of(cfg: &Path, dir: &Path, action: &str) -> Vec<Value> {
    let out = cli(cfg, dir, &["audit", "--json"]);
    assert_eq!(out.status.code(), Some(0), "audit: {}", stderr(&out));
    json_of(&["audit"], &stdout(&out))
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

#[test]
fn mute_an_open_incident_from_the_console() {
    let dir = tempfile::tempdir().expect("tmp");
    let hook = Receiver::start(&[(200, "")]);
    let (cfg, id) = open_incident(dir.path(), &hook);

    let mut app = console(&cfg, dir.path(), &[], 150, 30);
    app.wait_screen(
        "the badge of the open incident",
        Duration::from_secs(30),
        |s| s.lines().next().is_some_and(|l| l.contains("⚠ 1 open")),
    );
    app.send("!");
    let s = app.wait_screen("the Alerts view", Duration::from_secs(20), |s| {
        s.contains("cluster:gone") && s.contains("OPEN")
    });
    assert!(
        s.contains("cluster-down") && s.contains("unreachable"),
        "{s}"
    );
    assert!(s.contains(&format!("#{id}")), "{s}");

    let before = now_ms();
    app.send("m");
    let s = app.wait_screen("the incident muted", Duration::from_secs(20), |s| {
        s.contains("muted until") && !s.contains(" OPEN ")
    });
    let after = now_ms();
    assert!(s.contains(&format!("incident #{id} muted until")), "{s}");
    // Still open (muted): the badge stays.
    assert!(
        s.lines().next().is_some_and(|l| l.contains("⚠ 1 open")),
        "{s}"
    );

    // The incident's detail: its delivery to the receiver.
    app.send("\r");
    let s = app.wait_screen("the incident's detail", Duration::from_secs(10), |s| {
        s.contains(&format!("Incident #{id}"))
    });
    assert!(s.contains("Deliveries (1 attempt, 1 accepted)"), "{s}");
    assert!(
        s.contains("hook") && s.contains("opened") && s.contains('✔'),
        "{s}"
    );
    app.send("\x1b");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);

    let list = incidents(&cfg, dir.path());
    let muted = list[0]["muted_until"].as_i64().expect("muted_until set");
    assert!(
        (before + HOUR_MS..=after + HOUR_MS).contains(&muted),
        "muted until now + 1 h: {muted} not in {}..={}",
        before + HOUR_MS,
        after + HOUR_MS
    );
    assert!(list[0]["closed_at"].is_null());
    let audit = audit_of(&cfg, dir.path(), "mute");
    let [entry] = audit.as_slice() else {
        panic!("one mute in the audit trail: {audit:?}");
    };
    assert_eq!(entry["ok"], true, "{entry}");
    let params: Value =
        serde_json::from_str(entry["params"].as_str().expect("params")).expect("params are JSON");
    assert_eq!(params["incident"], id);
    assert_eq!(params["until"], muted);
    assert!(
        entry["result"]
            .as_str()
            .is_some_and(|r| r.starts_with(&format!("incident #{id} muted until"))),
        "{entry}"
    );

    // The CLI goes through the same function: acknowledge (audited), and an unknown id.
    let out = cli(&cfg, dir.path(), &["alerts", "ack", &id.to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), format!("incident #{id} acknowledged"));
    assert!(incidents(&cfg, dir.path())[0]["acknowledged_by"].is_string());
    let acked = audit_of(&cfg, dir.path(), "acknowledge");
    assert!(acked.len() == 1 && acked[0]["ok"] == true, "{acked:?}");
    let out = cli(&cfg, dir.path(), &["alerts", "mute", "999", "--for", "30m"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("there is no open incident #999"));
}

#[test]
fn read_only_refuses_the_mute_and_audits_the_refusal() {
    let dir = tempfile::tempdir().expect("tmp");
    let hook = Receiver::start(&[(200, "")]);
    let (cfg, id) = open_incident(dir.path(), &hook);

    let mut app = console(&cfg, dir.path(), &["--readonly"], 150, 30);
    app.wait_screen("the badge", Duration::from_secs(30), |s| {
        s.lines().next().is_some_and(|l| l.contains("⚠ 1 open"))
    });
    app.send("!");
    app.wait_screen("the Alerts view", Duration::from_secs(20), |s| {
        s.contains("READ-ONLY") && s.contains("cluster:gone") && s.contains("OPEN")
    });
    app.send("A");
    let s = app.wait_screen("the refusal", Duration::from_secs(20), |s| {
        s.contains("refused: read-only mode: acknowledge is disabled")
    });
    assert!(s.contains("OPEN") && !s.contains("acked by"), "{s}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);

    // The CLI refuses the same way (exit 4), through the same function.
    let out = cli(
        &cfg,
        dir.path(),
        &["--readonly", "alerts", "mute", &id.to_string()],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refused: read-only mode: mute is disabled"),
        "{}",
        stderr(&out)
    );

    let list = incidents(&cfg, dir.path());
    assert!(list[0]["muted_until"].is_null() && list[0]["acknowledged_by"].is_null());
    for action in ["acknowledge", "mute"] {
        let audit = audit_of(&cfg, dir.path(), action);
        let [entry] = audit.as_slice() else {
            panic!("one {action} in the audit trail: {audit:?}");
        };
        assert_eq!(entry["ok"], false, "{entry}");
        assert!(
            entry["result"]
                .as_str()
                .is_some_and(|r| r.starts_with("refused: read-only mode")),
            "{entry}"
        );
    }
}
