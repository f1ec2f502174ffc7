//! `cargo bench --bench build_log`: the cost of a followed build log in the console. The Builds
//! view with a build's log window open and full (5,000 kept lines of Maven-like output, many
//! wider than the window), then `FLINKDECK_BENCH_BATCHES` (default 300) batches of 20 new lines
//! arriving: `App::update(BuildLog)` plus drawing the 160×50 frame, per batch. Median, 95th
//! percentile and maximum; then a log that starts empty, for comparison.
//!
//! Numbers go to stdout; no assertion on them (speed goals live in benchmarks, not tests).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::{
    AppBuilds, BuildLogEvent, BuildRecord, BuildStatus, WorkerReply, WorkerRequest,
};
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Effect, Msg};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const WIDTH: u16 = 160;
const HEIGHT: u16 = 50;
const NOW: i64 = 1_790_000_000_000;

fn line(i: usize) -> String {
    match i % 4 {
        0 => format!("[INFO] Compiling {} source files to /work/jobs/orders/target/classes (module {i})", 40 + i % 17),
        1 => format!("[INFO] Downloaded from central: https://repo.maven.apache.org/maven2/org/apache/flink/flink-streaming-java/2.3.0/flink-streaming-java-2.3.0-{i}.jar (1.2 MB at 8.4 MB/s)"),
        2 => format!("[WARNING] /work/jobs/orders/src/main/java/com/example/orders/Enrich{i}.java:[{}] unchecked conversion", i % 300),
        _ => format!("  | step {i}"),
    }
}

fn requests(fx: &[Effect]) -> Vec<WorkerRequest> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Worker(r) => Some(r.clone()),
            Effect::Quit | Effect::Terminal(_) => None,
        })
        .collect()
}

/// The console in the Builds view with the log of a running build open; returns the follow
/// request's id.
fn console() -> (App, u64) {
    let mut app = App::new(
        Vec::new(),
        Theme::default(),
        Keymap::builtin(),
        AppOptions::default(),
        NOW,
    );
    app.update(Msg::Resize(WIDTH, HEIGHT));
    let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    let reqs = requests(&app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('B'),
        KeyModifiers::SHIFT,
    ))));
    let load = reqs
        .iter()
        .find_map(|r| match r {
            WorkerRequest::LoadBuilds { request, .. } => Some(*request),
            _ => None,
        })
        .expect("B loads the builds");
    let build = BuildRecord {
        id: 7,
        app: "orders".into(),
        status: BuildStatus::Running,
        git_ref: "main".into(),
        commit: None,
        subject: None,
        artifact: None,
        sha256: None,
        size: None,
        duration_ms: None,
        log: "/var/lib/flinkdeck/builds/orders/7.log".into(),
        started_at: NOW - 60_000,
        user: "ops".into(),
        error: None,
        version: None,
        image: None,
        pid: Some(1),
    };
    app.update(Msg::Worker(WorkerReply::BuildsLoaded {
        request: load,
        result: Ok(vec![AppBuilds {
            app: "orders".into(),
            git_ref: "main".into(),
            repo: "/srv/git/orders".into(),
            builds: vec![build],
        }]),
    }));
    app.update(key('l'));
    let reqs = requests(&app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))));
    let follow = reqs
        .iter()
        .find_map(|r| match r {
            WorkerRequest::FollowBuildLog { request, .. } => Some(*request),
            _ => None,
        })
        .expect("enter follows the log");
    (app, follow)
}

fn run(kept: usize, batches: usize) {
    let (mut app, request) = console();
    let lines = |from: usize, n: usize| {
        Msg::Worker(WorkerReply::BuildLog {
            request,
            event: BuildLogEvent::Lines((from..from + n).map(line).collect()),
        })
    };
    if kept > 0 {
        app.update(lines(0, kept));
    }
    let mut term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    term.draw(|f| app.draw(f)).expect("draw");
    let mut times: Vec<Duration> = Vec::with_capacity(batches);
    for b in 0..batches {
        let start = Instant::now();
        app.update(lines(kept + b * 20, 20));
        term.draw(|f| app.draw(f)).expect("draw");
        times.push(start.elapsed());
    }
    // The newest line is on screen (the window follows).
    // (Lines are word-wrapped: leading blanks go.)
    let last: String = line(kept + batches * 20 - 1)
        .trim()
        .chars()
        .take(40)
        .collect();
    let screen: String = term
        .backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        screen.contains(&last),
        "the followed log shows its newest line"
    );
    times.sort();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "build log window, {kept:>5} lines kept: 20 new lines + frame: median {:?}  p95 {:?}  max {:?}  ({batches} batches)",
        pct(0.5),
        pct(0.95),
        times[times.len() - 1]
    );
}

fn main() {
    let batches = std::env::var("FLINKDECK_BENCH_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    run(5_000, batches);
    // For comparison: a log that starts empty (at most 1,000 lines by the end).
    run(0, batches.min(50));
}
