//! `cargo bench --bench alerts_view`: what the console's alerts side costs each refresh, on a
//! store (SQLite, WAL, in a temp dir) holding 1,000 incidents (50 open: 10 muted, 10
//! acknowledged) with 4 delivery attempts each: the header badge's count of open incidents, the
//! Alerts view's load (200 incidents with their deliveries), and drawing the view's frame
//! (160×50 `TestBackend`). Median, 95th percentile and maximum over `FLINKDECK_BENCH_RUNS`
//! repetitions (default 200).
//!
//! Numbers go to stdout; no assertion on them (speed goals live in benchmarks, not tests).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::alerts::{AlertKind, Condition};
use flinkdeck::domain::*;
use flinkdeck::store::Store;
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Effect, Msg};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const INCIDENTS: i64 = 1_000;
const OPEN: i64 = 50;
const LIMIT: usize = 200;
const NOW: i64 = 1_790_000_000_000;

fn runs() -> usize {
    std::env::var("FLINKDECK_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what:<58} median {:>9.3} ms  p95 {:>9.3} ms  max {:>9.3} ms  ({} runs)",
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.95).as_secs_f64() * 1e3,
        pick(1.0).as_secs_f64() * 1e3,
        times.len()
    );
}

fn time(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

/// Fills the store: incidents oldest first; the newest `OPEN` stay open.
fn fill(s: &mut Store) {
    for n in 0..INCIDENTS {
        let at = NOW - (INCIDENTS - n) * 60_000;
        let c = Condition {
            rule: format!("rule-{}", n % 7),
            kind: AlertKind::ALL[(n % 7) as usize],
            subject: format!("app:orders-{n:04}"),
            cluster: format!("prod-{}", n % 5),
            app: Some(format!("orders-{n:04}")),
            job_id: Some(format!("{n:032x}")),
            state: Some("FAILED".into()),
            reason: format!("java.lang.RuntimeException: poison record at offset {n}"),
            since: at - 30_000,
        };
        let id = s.open_incident(&c, at).expect("open an incident");
        for (attempt, ok) in [(1, false), (2, true)] {
            for channel in ["oncall-ding", "mail"] {
                s.record_delivery(Some(id), channel, "opened", attempt, at, ok, "HTTP 200 OK")
                    .expect("record a delivery");
            }
        }
        let open = n >= INCIDENTS - OPEN;
        if !open {
            s.close_incident(id, at + 30_000).expect("close");
        } else if n % 5 == 0 {
            s.mute_incident(id, Some(NOW + 3_600_000)).expect("mute");
        } else if n % 5 == 1 {
            s.acknowledge_incident(id, "ana", NOW).expect("ack");
        }
    }
}

fn main() {
    let n = runs();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("open the store");
    let t = Instant::now();
    fill(&mut store);
    println!(
        "filled {INCIDENTS} incidents × 4 deliveries in {:.0} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let mut counts = (0, 0);
    report(
        "badge: open_incident_counts (each refresh)",
        time(n.max(1000), || {
            counts = store.open_incident_counts(NOW).expect("count");
        }),
    );
    assert_eq!(counts.0, OPEN as u32, "the count is right");

    let mut list = Vec::new();
    report(
        &format!("Alerts view load: incidents(all, {LIMIT}) with deliveries"),
        time(n, || {
            list = store.incidents(false, LIMIT).expect("incidents");
        }),
    );

    let mut app = App::new(
        Vec::new(),
        Theme::default(),
        Keymap::builtin(),
        AppOptions::default(),
        NOW,
    );
    app.update(Msg::Resize(160, 50));
    app.update(Msg::Worker(WorkerReply::OpenIncidents {
        open: counts.0,
        unquiet: counts.1,
    }));
    let fx = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('!'),
        KeyModifiers::NONE,
    )));
    let request = fx
        .iter()
        .find_map(|e| match e {
            Effect::Worker(WorkerRequest::LoadIncidents { request, .. }) => Some(*request),
            _ => None,
        })
        .expect("! loads the incidents");
    app.update(Msg::Worker(WorkerReply::IncidentsLoaded {
        request,
        result: Ok(list),
    }));
    let mut term = Terminal::new(TestBackend::new(160, 50)).expect("terminal");
    report(
        "Alerts view frame, 200 incidents (160×50)",
        time(n, || {
            term.draw(|f| app.draw(f)).expect("draw");
        }),
    );
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    report(
        "incident detail frame with its deliveries (160×50)",
        time(n, || {
            term.draw(|f| app.draw(f)).expect("draw");
        }),
    );
}
