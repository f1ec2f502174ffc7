//! The jobs list's columns in a ratatui `TestBackend`: problems first with the REASON column,
//! the metric columns with their sparklines, widths that follow the content at 80, 120 and 200
//! columns, and `[ui] columns` (picked and ordered through the config file, unknown names
//! refused with file, line, column and key).

#[path = "common/tui_render.rs"]
mod tui_render;

use std::time::Duration;

use flinkdeck::config::Config;
use flinkdeck::domain::job_columns::JobColumn;
use flinkdeck::domain::job_health::{JobVitals, VitalSample};
use flinkdeck::domain::{
    CheckpointRef, CheckpointStatus, ClusterHealth, ClusterRef, HealthStatus, JobState, JobSummary,
    WorkerReply,
};
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Msg};

use tui_render::{key, render};

const NOW: i64 = 1_800_000_000_000;
const S: i64 = 1_000;
const M: i64 = 60 * S;

fn history(f: impl Fn(usize) -> (f32, f32, f32, f32, f32)) -> std::sync::Arc<Vec<VitalSample>> {
    (0..8)
        .map(|i| {
            let (records_in, records_out, backpressure, wm_lag_ms, pending) = f(i);
            VitalSample {
                at_ms: NOW - (8 - i as i64) * 15 * S,
                records_in,
                records_out,
                backpressure,
                wm_lag_ms,
                pending,
            }
        })
        .collect::<Vec<_>>()
        .into()
}

fn vitals(rate: f64, bp: f64, wm_lag: i64, pending: Option<f64>) -> JobVitals {
    JobVitals {
        checkpoint_interval_ms: Some(60 * S),
        last_completed_at: Some(NOW - 20 * S),
        checkpoints_failed: Some(0),
        restarts_10m: Some(0),
        records_in_per_sec: Some(rate),
        records_out_per_sec: Some(rate * 0.9),
        backpressure: Some(bp),
        busy: Some(0.2),
        watermark_ms: Some(NOW - wm_lag),
        pending_records: pending,
        metrics_at_ms: Some(NOW - S),
        history: history(|i| {
            let x = i as f32;
            (
                rate as f32 * (0.5 + x / 14.0),
                rate as f32 * 0.9,
                (bp as f32 * x / 7.0).min(1.0),
                wm_lag as f32 * x / 7.0,
                pending.map_or(f32::NAN, |p| p as f32 * x / 7.0),
            )
        }),
        ..JobVitals::default()
    }
}

fn job(cluster: &str, n: u8, name: &str, state: JobState, v: Option<JobVitals>) -> JobSummary {
    JobSummary {
        cluster: cluster.into(),
        id: format!("{n:032x}"),
        name: name.into(),
        state,
        start_time: NOW - 3 * 3_600_000,
        end_time: None,
        duration_ms: 3 * 3_600_000,
        last_modification: NOW - 3 * 3_600_000,
        tasks_running: 4,
        tasks_total: 4,
        last_checkpoint: Some(CheckpointRef {
            id: 100 + n as i64,
            status: CheckpointStatus::Completed,
            completed_at: Some(NOW - 20 * S),
            external_path: None,
            is_savepoint: false,
        }),
        restarts: Some(0),
        stale: false,
        detail_at_ms: Some(NOW - S),
        vitals: v.map(std::sync::Arc::new),
    }
}

/// A fleet with one job per kind of problem and healthy jobs around them.
fn fleet() -> Vec<JobSummary> {
    let mut late = vitals(120.0, 0.0, 5 * S, None);
    late.last_completed_at = Some(NOW - 14 * M);
    let mut restarting = vitals(40.0, 0.1, 5 * S, None);
    restarting.restarts_10m = Some(5);
    vec![
        job(
            "prod",
            1,
            "orders-enrichment",
            JobState::Running,
            Some(vitals(1_250.0, 0.05, 3 * S, None)),
        ),
        job(
            "prod",
            2,
            "payments-aggregation",
            JobState::Running,
            Some(vitals(8_400.0, 0.92, 4 * S, None)),
        ),
        job(
            "prod",
            3,
            "clickstream-sessionizer-with-a-rather-long-name",
            JobState::Running,
            Some(vitals(52_000.0, 0.1, 3 * M, None)),
        ),
        job(
            "prod",
            4,
            "fraud-detector",
            JobState::Running,
            Some(vitals(310.0, 0.0, 2 * S, Some(1_234_567.0))),
        ),
        job(
            "staging",
            5,
            "inventory-sync",
            JobState::Running,
            Some(late),
        ),
        job(
            "staging",
            6,
            "ml-features",
            JobState::Restarting,
            Some(restarting),
        ),
        job(
            "staging",
            7,
            "audit-log",
            JobState::Running,
            Some(vitals(12.0, 0.0, S, None)),
        ),
        job("staging", 8, "nightly-backfill", JobState::Finished, None),
    ]
}

fn app(columns: Option<Vec<JobColumn>>) -> App {
    let refs = ["prod", "staging"]
        .iter()
        .map(|c| ClusterRef {
            name: c.to_string(),
            kind: "standalone".into(),
            url: format!("http://{c}:8081"),
            location: None,
            web_url: None,
        })
        .collect();
    let opts = AppOptions {
        refresh: Duration::from_secs(5),
        ..AppOptions::default()
    };
    let mut app = App::new(refs, Theme::plain(), Keymap::builtin(), opts, NOW);
    if let Some(c) = columns {
        app.set_job_columns(c);
    }
    for (g, cluster) in ["prod", "staging"].iter().enumerate() {
        let mut health = ClusterHealth::pending(NOW);
        health.status = HealthStatus::Live;
        health.last_ok_ms = Some(NOW - S);
        health.checked_at_ms = NOW - S;
        let jobs: Vec<JobSummary> = fleet()
            .into_iter()
            .filter(|j| j.cluster == *cluster)
            .collect();
        app.update(Msg::Worker(WorkerReply::ClusterPolled {
            cluster: cluster.to_string(),
            generation: g as u64 + 1,
            health,
            jobs: Some(jobs.into()),
            platform: None,
        }));
    }
    app
}

fn table_lines(screen: &str) -> Vec<&str> {
    screen.lines().filter(|l| l.starts_with('│')).collect()
}

#[test]
fn jobs_view_at_80_columns() {
    let mut a = app(None);
    a.update(Msg::Resize(80, 16));
    let screen = render(&a, 80, 16);
    insta::assert_snapshot!(screen);
    // Readable at 80: name, state and reason are all there, healthy jobs last.
    let lines = table_lines(&screen);
    assert!(lines[0].contains("NAME") && lines[0].contains("STATE") && lines[0].contains("REASON"));
    assert!(screen.contains("restarts 5/10m"), "{screen}");
    assert!(lines
        .last()
        .is_some_and(|l| l.trim_matches(['│', ' ']).is_empty()));
}

#[test]
fn jobs_view_at_120_columns() {
    let mut a = app(None);
    a.update(Msg::Resize(120, 16));
    let screen = render(&a, 120, 16);
    insta::assert_snapshot!(screen);
    // The long name is shown whole and the rest of the row shows metric columns.
    assert!(
        screen.contains("clickstream-sessionizer-with-a-rather-long-name"),
        "{screen}"
    );
    assert!(screen.contains("BP"), "{screen}");
}

#[test]
fn jobs_view_at_200_columns() {
    let mut a = app(None);
    a.update(Msg::Resize(200, 16));
    let screen = render(&a, 200, 16);
    insta::assert_snapshot!(screen);
    for title in [
        "IN/S", "OUT/S", "BP", "WM LAG", "PENDING", "UPTIME", "TASKS",
    ] {
        assert!(screen.contains(title), "{title} at 200 columns:\n{screen}");
    }
    // Problems first, worst first, each with its reason; healthy jobs by cluster and name.
    let names: Vec<String> = table_lines(&screen)
        .iter()
        .skip(1)
        .filter_map(|l| {
            fleet()
                .into_iter()
                .map(|j| j.name)
                .find(|n| l.contains(&format!(" {n} ")))
        })
        .collect();
    assert_eq!(
        names,
        [
            "ml-features",
            "inventory-sync",
            "payments-aggregation",
            "fraud-detector",
            "clickstream-sessionizer-with-a-rather-long-name",
            "orders-enrichment",
            "audit-log",
            "nightly-backfill",
        ],
        "{screen}"
    );
    for reason in ["ckpt 14m", "bp 92%", "lag 1.2M", "wm 3m"] {
        assert!(screen.contains(reason), "{reason}:\n{screen}");
    }
    // Sparklines: the metric cells end in block characters.
    let line = table_lines(&screen)
        .into_iter()
        .find(|l| l.contains("orders-enrichment"))
        .expect("row");
    assert!(line.contains("1.2k ▆"), "{line}");
    assert!(line.contains('█'), "{line}");
}

#[test]
fn o_cycles_from_problems_first_and_back() {
    let mut a = app(None);
    a.update(Msg::Resize(120, 16));
    assert!(render(&a, 120, 16).contains("sort problems first"));
    a.update(key('o'));
    let screen = render(&a, 120, 16);
    assert!(screen.contains("sort CLUSTER ▲"), "{screen}");
    assert!(
        table_lines(&screen)[1].contains("clickstream"),
        "by cluster, name: {screen}"
    );
    a.update(key('O'));
    a.update(key('o'));
    // APP is skipped without managed apps: six more presses come back to problems first.
    for _ in 0..6 {
        a.update(key('o'));
    }
    let screen = render(&a, 120, 16);
    assert!(screen.contains("sort problems first"), "{screen}");
}

#[test]
fn configured_columns_pick_and_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flinkdeck.toml");
    std::fs::write(
        &path,
        "[ui]\ncolumns = [\"reason\", \"name\", \"bp\", \"pending\"]\n",
    )
    .expect("write");
    let config = Config::load(&path).expect("config");
    let cols = config.ui.columns.clone().expect("columns");
    assert_eq!(
        cols,
        vec![
            JobColumn::Reason,
            JobColumn::Name,
            JobColumn::Backpressure,
            JobColumn::Pending
        ]
    );
    let mut a = app(Some(cols));
    a.update(Msg::Resize(120, 16));
    let screen = render(&a, 120, 16);
    insta::assert_snapshot!(screen);
    let header = table_lines(&screen)[0];
    let pos = |t: &str| header.find(t).unwrap_or_else(|| panic!("{t} in {header}"));
    assert!(pos("REASON") < pos("NAME") && pos("NAME") < pos("BP") && pos("BP") < pos("PENDING"));
    assert!(
        !header.contains("CLUSTER") && !header.contains("STATE"),
        "{header}"
    );
    // Without a STATE column the reason names the state too.
    assert!(screen.contains("RESTARTING"), "{screen}");
}

#[test]
fn unknown_column_is_a_config_error_with_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flinkdeck.toml");
    std::fs::write(
        &path,
        "[ui]\nrefresh = \"2s\"\ncolumns = [\"name\", \"throughput\"]\n",
    )
    .expect("write");
    let e = Config::load(&path).expect_err("unknown column");
    assert_eq!(e.path.as_deref(), Some(path.as_path()), "{e}");
    assert_eq!((e.line, e.column), (Some(3), Some(20)), "{e}");
    assert_eq!(e.key.as_deref(), Some("ui.columns"), "{e}");
    let text = e.to_string();
    assert!(text.contains("unknown column \"throughput\""), "{text}");
    assert!(
        text.contains("name, state, reason"),
        "lists the names: {text}"
    );
    // Twice the same column is refused too.
    std::fs::write(&path, "[ui]\ncolumns = [\"bp\", \"BP\"]\n").expect("write");
    let e = Config::load(&path).expect_err("duplicate");
    assert_eq!((e.line, e.column), (Some(2), Some(18)), "{e}");
    assert!(e.to_string().contains("listed twice"), "{e}");
}
