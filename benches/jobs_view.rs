//! `cargo bench --bench jobs_view`: the jobs view with 10 clusters × 1,000 jobs (10,000 rows):
//! drawing one frame (160×50 `TestBackend`), one filter keystroke (`App::update` + the frame),
//! and one poll of one cluster arriving (`update` + frame), and the OSC 8 pass after a frame
//! (finding the cluster names and job ids drawn and their Web UI URLs: the jobs list, where every
//! row names its cluster, and a job's detail, whose id is looked up among the 10,000);
//! then the same keystrokes and polls with the filter language (`state:running cluster:prod-3 0`)
//! and the rows grouped by cluster (`z`, ten headers, one of them folded). Median, 95th percentile and maximum
//! over `FLINKDECK_BENCH_FRAMES` repetitions (default 200). Targets (issue 8): a frame ≤ 4 ms, a
//! filter keystroke ≤ 16 ms.
//!
//! Every running job carries vitals (records in/out, backpressure, watermark lag, 16 samples
//! each for the sparklines; every 25th with backpressure 92 %), so the default columns and the
//! default sort, problems first, are measured with their metrics.
//!
//! Numbers go to stdout; no assertion on them (speed goals live in benchmarks, not tests).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::*;
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Msg};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const CLUSTERS: usize = 10;
const JOBS: usize = 1_000;
const W: u16 = 160;
const H: u16 = 50;
const NOW: i64 = 1_790_000_000_000;

fn jobs(cluster: &str, round: i64) -> Vec<JobSummary> {
    (0..JOBS)
        .map(|j| {
            let state = match j % 50 {
                0 => JobState::Restarting,
                1 | 2 => JobState::Finished,
                3 => JobState::Failed,
                _ => JobState::Running,
            };
            let running = state == JobState::Running;
            JobSummary {
                cluster: cluster.to_string(),
                id: format!("{:032x}", (j as u128) << 8 | round as u128 & 0xff),
                name: format!("orders-enrichment-{cluster}-{j:04}"),
                state,
                start_time: NOW - 3_600_000 - j as i64 * 1000,
                end_time: None,
                duration_ms: 3_600_000,
                last_modification: NOW - round,
                tasks_running: 4,
                tasks_total: 4,
                last_checkpoint: Some(CheckpointRef {
                    id: 100 + round,
                    status: CheckpointStatus::Completed,
                    completed_at: Some(NOW - 5_000),
                    external_path: None,
                    is_savepoint: false,
                }),
                restarts: Some((j % 7) as u64),
                stale: false,
                detail_at_ms: Some(NOW - 45_000),
                vitals: running.then(|| std::sync::Arc::new(vitals(j))),
            }
        })
        .collect()
}

fn polled(cluster: &str, generation: u64) -> Msg {
    Msg::Worker(WorkerReply::ClusterPolled {
        cluster: cluster.to_string(),
        generation,
        health: ClusterHealth {
            status: HealthStatus::Live,
            reason: None,
            detail: None,
            last_ok_ms: Some(NOW),
            checked_at_ms: NOW,
            flink_version: Some("2.3.0".into()),
            failures: 0,
        },
        jobs: Some(jobs(cluster, generation as i64).into()),
        platform: None,
    })
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn stats(label: &str, mut v: Vec<Duration>) {
    v.sort();
    let p = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
    println!(
        "  {label:<34} median {:>9.3?}  p95 {:>9.3?}  max {:>9.3?}",
        p(0.5),
        p(0.95),
        v[v.len() - 1]
    );
}

/// Metrics of a running job with a full sample history.
fn vitals(j: usize) -> job_health::JobVitals {
    let bp = if j % 25 == 4 { 0.92 } else { 0.05 };
    let rate = 100.0 + j as f64;
    job_health::JobVitals {
        checkpoint_interval_ms: Some(10_000),
        last_completed_at: Some(NOW - 5_000),
        checkpoints_failed: Some(0),
        restarts_10m: Some(0),
        records_in_per_sec: Some(rate),
        records_out_per_sec: Some(rate),
        backpressure: Some(bp),
        busy: Some(0.3),
        watermark_ms: Some(NOW - 2_000),
        metrics_at_ms: Some(NOW - 1_000),
        history: (0..16)
            .map(|i| job_health::VitalSample {
                at_ms: NOW - (16 - i) * 10_000,
                records_in: (rate + i as f64) as f32,
                records_out: rate as f32,
                backpressure: bp as f32,
                wm_lag_ms: 2_000.0,
                pending: f32::NAN,
            })
            .collect::<Vec<_>>()
            .into(),
        ..job_health::JobVitals::default()
    }
}

/// Types `text` into the filter one key at a time (each key timed with its frame), checks the
/// screen the whole filter leaves with `narrowed`, clears it; again until `reps` keys were timed.
fn type_filter(
    app: &mut App,
    draw: &mut impl FnMut(&App) -> String,
    text: &str,
    reps: usize,
    narrowed: impl Fn(&str) -> bool,
) -> Vec<Duration> {
    let mut keys = Vec::new();
    while keys.len() < reps {
        app.update(key('/'));
        let mut screen = String::new();
        for c in text.chars() {
            let t = Instant::now();
            app.update(key(c));
            screen = draw(app);
            keys.push(t.elapsed());
        }
        assert!(narrowed(&screen), "{screen}");
        app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
        app.update(Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)));
    }
    keys
}

/// `reps` polls arriving, round robin over the clusters, each timed with its frame.
fn time_polls(
    app: &mut App,
    draw: &mut impl FnMut(&App) -> String,
    names: &[String],
    generation: &mut u64,
    reps: usize,
) -> Vec<Duration> {
    (0..reps)
        .map(|i| {
            *generation += 1;
            let msg = polled(&names[i % CLUSTERS], *generation);
            let t = Instant::now();
            app.update(msg);
            draw(app);
            t.elapsed()
        })
        .collect()
}

fn main() {
    let reps: usize = std::env::var("FLINKDECK_BENCH_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let names: Vec<String> = (0..CLUSTERS).map(|c| format!("prod-{c}")).collect();
    let refs = names
        .iter()
        .map(|n| ClusterRef {
            name: n.clone(),
            kind: "standalone".into(),
            url: format!("http://{n}:8081"),
            location: None,
            web_url: Some(format!("http://{n}:8081/")),
        })
        .collect();
    let mut app = App::new(
        refs,
        Theme::default(),
        Keymap::builtin(),
        AppOptions::default(),
        NOW,
    );
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    app.update(Msg::Resize(W, H));
    for (i, n) in names.iter().enumerate() {
        app.update(polled(n, 1 + i as u64));
    }
    let mut draw = |app: &App| -> String {
        let frame = term.draw(|f| app.draw(f)).expect("draw");
        frame
            .buffer
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect::<String>()
    };
    draw(&app);
    println!("jobs view, {CLUSTERS} clusters x {JOBS} jobs, {W}x{H}, {reps} repetitions");

    let frames: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            draw(&app);
            t.elapsed()
        })
        .collect();
    stats("frame (draw only)", frames);

    // Filter keystrokes: type "enrichment-prod-3-0" one key at a time, then clear, repeatedly.
    // The filter really narrowed the list to one cluster's jobs.
    let keys = type_filter(&mut app, &mut draw, "enrichment-prod-3-0", reps, |screen| {
        screen.contains("orders-enrichment-prod-3-0")
            && !screen.contains("orders-enrichment-prod-4-")
    });
    stats("filter keystroke (update + frame)", keys);

    let mut generation = 100;
    let polls = time_polls(&mut app, &mut draw, &names, &mut generation, reps);
    stats("one cluster's poll (update + frame)", polls);

    // Grouped by cluster, one group folded, a keyed filter typed one key at a time.
    app.update(key('z'));
    app.update(key('g'));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let keys = type_filter(
        &mut app,
        &mut draw,
        "state:running cluster:prod-3 0",
        reps,
        |screen| screen.contains("▾ prod-3") && !screen.contains("enrichment-prod-4"),
    );
    stats("grouped: filter-language keystroke (update + frame)", keys);
    let polls = time_polls(&mut app, &mut draw, &names, &mut generation, reps);
    stats("grouped: one cluster's poll (update + frame)", polls);

    // Back to ungrouped rows (cluster → team → app → none) for the hyperlink pass.
    for _ in 0..3 {
        app.update(key('z'));
    }
    // The hyperlink pass the runtime runs after each frame when `[ui] hyperlinks` is on.
    let mut links = |app: &App, expect_id: Option<&str>| -> Vec<Duration> {
        (0..reps)
            .map(|_| {
                let frame = term.draw(|f| app.draw(f)).expect("draw");
                let t = Instant::now();
                let spans = app.hyperlinks(frame.buffer);
                let took = t.elapsed();
                assert!(!spans.is_empty(), "cluster names are linked");
                if let Some(id) = expect_id {
                    assert!(
                        spans.iter().any(|l| l.url.contains(id)),
                        "the job id is linked"
                    );
                }
                took
            })
            .collect()
    };
    stats("hyperlink pass, jobs list", links(&app, None));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let id = app_selected_id(&app);
    stats("hyperlink pass, job detail", links(&app, Some(&id)));
}

/// The id of the job whose detail is open (drawn in its header).
fn app_selected_id(app: &App) -> String {
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    let frame = term.draw(|f| app.draw(f)).expect("draw");
    let text: String = frame.buffer.content().iter().map(|c| c.symbol()).collect();
    text.split(|c: char| !c.is_ascii_hexdigit())
        .find(|w| w.len() == 32)
        .expect("a job id on screen")
        .to_string()
}
