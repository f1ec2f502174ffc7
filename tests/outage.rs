//! A cluster that goes away mid-run: flinkdeck's pollers mark it UNREACHABLE (after a STALE
//! blip) with the reason, keep the other cluster LIVE, record the health changes in SQLite, and
//! bring it back to LIVE by themselves when it is restarted. Runs against real Flink: the shared
//! 2.3.0 test cluster, and a dedicated 1.20.5 cluster that this test stops and starts.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use flinkdeck::config::Config;
use flinkdeck::domain::{ClusterHealth, HealthStatus, WorkerReply};
use flinkdeck::service::{spawn_workers, Clusters};
use flinkdeck::store::{Store, StoreHandle};

fn outage_port() -> u16 {
    std::env::var("FLINKDECK_TEST_PORT_OUTAGE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(18093)
}

/// Collects replies until `done` says the picture is complete, within `limit`.
fn watch(
    replies: &mut tokio::sync::mpsc::Receiver<WorkerReply>,
    latest: &mut HashMap<String, ClusterHealth>,
    what: &str,
    limit: Duration,
    done: impl Fn(&HashMap<String, ClusterHealth>) -> bool,
) {
    let start = Instant::now();
    while !done(latest) {
        let left = limit
            .checked_sub(start.elapsed())
            .unwrap_or_else(|| panic!("timed out waiting for {what}; last health: {latest:#?}"));
        let reply = rt()
            .block_on(tokio::time::timeout(left, replies.recv()))
            .unwrap_or_else(|_| panic!("timed out waiting for {what}; last health: {latest:#?}"))
            .expect("workers alive");
        if let WorkerReply::ClusterPolled {
            cluster, health, ..
        } = reply
        {
            latest.insert(cluster, health);
        }
    }
}

fn status(latest: &HashMap<String, ClusterHealth>, name: &str) -> Option<HealthStatus> {
    latest.get(name).map(|h| h.status)
}

#[test]
fn stopped_cluster_goes_unreachable_other_stays_live_and_it_recovers() {
    let live_url = ensure_cluster(V2);
    let port = outage_port();
    let port_s = port.to_string();
    let victim_url = ensure_cluster_on(V1, port);

    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &[("steady", &live_url), ("victim", &victim_url)],
        "1s",
    );
    let config = Config::load(&config).expect("config");
    let clusters = Clusters::from_config(&config).expect("clusters");
    let db = dir.path().join("flinkdeck.db");
    let store = StoreHandle::spawn(Store::open(&db).expect("store"));

    let _guard = rt().enter();
    let mut workers = spawn_workers(&clusters, Some(store), Duration::from_secs(1), None);
    let mut latest = HashMap::new();

    watch(
        &mut workers.replies,
        &mut latest,
        "both LIVE",
        Duration::from_secs(60),
        |l| {
            status(l, "steady") == Some(HealthStatus::Live)
                && status(l, "victim") == Some(HealthStatus::Live)
        },
    );
    assert_eq!(latest["victim"].flink_version.as_deref(), Some(V1));

    script_run(&["down", "--version", V1, "--port", &port_s]);
    watch(
        &mut workers.replies,
        &mut latest,
        "victim UNREACHABLE",
        Duration::from_secs(60),
        |l| status(l, "victim") == Some(HealthStatus::Unreachable),
    );
    let victim = &latest["victim"];
    assert_eq!(victim.reason.as_deref(), Some("refused"), "{victim:#?}");
    assert!(victim.detail.as_deref().unwrap_or("").contains(&port_s));
    assert!(victim.last_ok_ms.is_some(), "last good poll is remembered");
    // The other cluster kept answering meanwhile.
    watch(
        &mut workers.replies,
        &mut latest,
        "steady still LIVE",
        Duration::from_secs(10),
        |l| status(l, "steady") == Some(HealthStatus::Live),
    );
    // The CLI agrees: exit 3 while the victim is down.
    let cfg_path = dir.path().join("config.toml");
    let out = cli(&cfg_path, dir.path(), &["clusters"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    ensure_cluster_on(V1, port);
    watch(
        &mut workers.replies,
        &mut latest,
        "victim LIVE again",
        Duration::from_secs(90),
        |l| status(l, "victim") == Some(HealthStatus::Live),
    );

    // The store saw LIVE -> (STALE) -> UNREACHABLE -> LIVE for the victim. It is written after
    // the poll reaches the screen, so the last change may land a moment after the reply.
    let store = Store::open(&db).expect("reopen store");
    let start = Instant::now();
    let statuses: Vec<HealthStatus> = loop {
        let events = store.health_events("victim", 50).expect("events");
        let statuses: Vec<HealthStatus> = events.iter().map(|e| e.1).collect();
        let lives = statuses
            .iter()
            .filter(|s| **s == HealthStatus::Live)
            .count();
        if lives >= 2 || start.elapsed() > Duration::from_secs(10) {
            break statuses;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        statuses.contains(&HealthStatus::Unreachable),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .filter(|s| **s == HealthStatus::Live)
            .count()
            >= 2,
        "{statuses:?}"
    );
    let steady_events = store.health_events("steady", 50).expect("events");
    assert!(
        steady_events.iter().all(|e| e.1 == HealthStatus::Live),
        "{steady_events:?}"
    );
}
