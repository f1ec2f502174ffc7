//! The jobs list's grouping (by cluster, team, app, with folded headers), the filter language
//! in `/`, named views and the local tag input, through the library's public API on a
//! `TestBackend` (insta snapshots at 80, 120 and 200 columns, plus `update()` assertions).

#[path = "common/tui_render.rs"]
mod tui_render;

use std::time::Duration;

use crossterm::event::KeyCode;
use flinkdeck::domain::filter::{Filter, GroupBy, View};
use flinkdeck::domain::*;
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Msg};
use tui_render::*;

const NOW: i64 = 1_790_000_000_000;
const MIN: i64 = 60_000;

fn job(cluster: &str, id: &str, name: &str, state: JobState) -> JobSummary {
    JobSummary {
        cluster: cluster.into(),
        id: id.into(),
        name: name.into(),
        state,
        start_time: NOW - 30 * MIN,
        end_time: None,
        duration_ms: 30 * MIN,
        last_modification: NOW - MIN,
        tasks_running: 2,
        tasks_total: 2,
        last_checkpoint: None,
        restarts: Some(0),
        stale: false,
        detail_at_ms: None,
        vitals: None,
    }
}

fn app_summary(name: &str, cluster: &str, job: &str, team: &str, tags: &[&str]) -> AppSummary {
    AppSummary {
        name: name.into(),
        cluster: cluster.into(),
        kind: AppKind::Jar,
        version: 1,
        owner: None,
        team: Some(team.into()),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        job_id: Some(job.into()),
        state: Some(JobState::Running),
    }
}

fn polled(cluster: &str, jobs: Vec<JobSummary>) -> Msg {
    Msg::Worker(WorkerReply::ClusterPolled {
        cluster: cluster.into(),
        generation: 1,
        health: ClusterHealth {
            status: HealthStatus::Live,
            reason: None,
            detail: None,
            last_ok_ms: Some(NOW - 1000),
            checked_at_ms: NOW - 1000,
            flink_version: Some("2.3.0".into()),
            failures: 0,
        },
        jobs: Some(jobs.into()),
        platform: None,
    })
}

/// prod: orders (team payments), fraud (team risk, RESTARTING), etl-adhoc (unmanaged, FAILED,
/// local tag tier-1); staging: payments-agg (team payments), scratch (unmanaged).
fn fleet(w: u16, h: u16) -> App {
    let cref = |name: &str| ClusterRef {
        name: name.into(),
        kind: "standalone".into(),
        url: format!("http://{name}:8081"),
        location: None,
        web_url: None,
    };
    let opts = AppOptions {
        refresh: Duration::from_secs(5),
        notice: None,
        readonly: false,
        start_in_editor: None,
        no_clusters: None,
        term: Default::default(),
    };
    let mut app = App::new(
        vec![cref("prod"), cref("staging")],
        Theme::plain(),
        Keymap::builtin(),
        opts,
        NOW,
    );
    app.update(Msg::Resize(w, h));
    app.set_views(vec![
        View {
            name: "oncall".into(),
            filter: Filter::parse("state:restarting state:failed").expect("view"),
            group: Some(GroupBy::Cluster),
        },
        View {
            name: "payments".into(),
            filter: Filter::parse("team:payments").expect("view"),
            group: None,
        },
    ]);
    app.update(polled(
        "prod",
        vec![
            job("prod", "a1", "orders", JobState::Running),
            job("prod", "a2", "fraud", JobState::Restarting),
            job("prod", "a3", "etl-adhoc", JobState::Failed),
        ],
    ));
    app.update(polled(
        "staging",
        vec![
            job("staging", "b1", "payments-agg", JobState::Running),
            job("staging", "b2", "scratch", JobState::Running),
        ],
    ));
    app.update(Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![
            app_summary("orders", "prod", "a1", "payments", &["tier-1"]),
            app_summary("fraud", "prod", "a2", "risk", &["tier-2"]),
            app_summary("payments-agg", "staging", "b1", "payments", &[]),
        ],
        job_apps: vec![
            (JobKey::new("prod", "a1"), "orders".into()),
            (JobKey::new("prod", "a2"), "fraud".into()),
            (JobKey::new("staging", "b1"), "payments-agg".into()),
        ],
    }));
    app.update(Msg::Worker(WorkerReply::JobTagsLoaded {
        tags: vec![("prod".into(), "etl-adhoc".into(), vec!["tier-1".into()])],
        message: None,
    }));
    app
}

fn type_str(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(key(c));
    }
}

/// The names of the job rows on screen, top to bottom (headers start with ▾/▸).
fn rows(screen: &str) -> Vec<String> {
    let names = ["orders", "fraud", "etl-adhoc", "payments-agg", "scratch"];
    screen
        .lines()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            if let Some(i) = words.iter().position(|w| *w == "▾" || *w == "▸") {
                return Some(format!("{} {}", words[i], words.get(i + 1).unwrap_or(&"")));
            }
            names
                .iter()
                .rev()
                .find(|n| words.contains(n) && words.iter().filter(|w| **w == **n).count() >= 1)
                .filter(|_| {
                    l.contains("RUNNING") || l.contains("RESTARTING") || l.contains("FAILED")
                })
                .map(|n| n.to_string())
        })
        .collect()
}

#[test]
fn grouped_by_team_with_a_folded_header_at_three_widths() {
    for (w, h) in [(80u16, 20u16), (120, 20), (200, 20)] {
        let mut app = fleet(w, h);
        app.update(key('z')); // cluster
        app.update(key('z')); // team
                              // Fold "payments" (the second group): select its header and press enter.
        app.update(code(KeyCode::Home));
        let screen = render(&app, w, h);
        assert!(screen.contains("grouped by team"), "{screen}");
        let header_at = rows(&screen)
            .iter()
            .position(|r| r == "▾ payments")
            .unwrap_or_else(|| panic!("no payments header: {screen}"));
        for _ in 0..header_at {
            app.update(key('j'));
        }
        app.update(code(KeyCode::Enter));
        let screen = render(&app, w, h);
        insta::assert_snapshot!(format!("groups_team_folded_{w}"), screen);
        assert_eq!(
            rows(&screen),
            [
                "▾ (no",
                "etl-adhoc",
                "scratch",
                "▸ payments",
                "▾ risk",
                "fraud"
            ],
            "{screen}"
        );
        // Unfold with space; the rows come back.
        app.update(code(KeyCode::Char(' ')));
        let screen = render(&app, w, h);
        assert!(rows(&screen).contains(&"orders".to_string()), "{screen}");
        assert!(
            rows(&screen).contains(&"payments-agg".to_string()),
            "{screen}"
        );
    }
}

#[test]
fn grouped_by_cluster_and_app_count_problems() {
    let mut app = fleet(120, 20);
    app.update(key('z'));
    let screen = render(&app, 120, 20);
    insta::assert_snapshot!("groups_cluster_120", screen);
    assert!(screen.contains("3 jobs · 2 problems"), "{screen}");
    assert!(screen.contains("2 jobs"), "{screen}");
    app.update(key('z')); // team
    app.update(key('z')); // app
    let screen = render(&app, 120, 20);
    assert!(screen.contains("grouped by app"), "{screen}");
    assert!(screen.contains("▾ (unmanaged)"), "{screen}");
    app.update(key('z')); // none
    let screen = render(&app, 120, 20);
    assert!(
        !screen.contains('▾') && !screen.contains("grouped by"),
        "{screen}"
    );
    assert!(screen.contains("not grouped"), "{screen}");
}

#[test]
fn actions_on_a_header_do_nothing_and_say_so() {
    let mut app = fleet(120, 20);
    app.update(key('z'));
    app.update(code(KeyCode::Home));
    for k in ['S', 'C', 'p', 'T'] {
        let fx = app.update(key(k));
        assert!(requests(&fx).is_empty(), "{k}: {:?}", requests(&fx));
        let screen = render(&app, 120, 20);
        assert!(screen.contains("a group header"), "{k}: {screen}");
    }
}

#[test]
fn filter_language_narrows_and_reports_errors() {
    let mut app = fleet(120, 20);
    app.update(key('/'));
    type_str(&mut app, "team:payments state:running");
    let screen = render(&app, 120, 20);
    assert_eq!(rows(&screen), ["orders", "payments-agg"], "{screen}");
    // A bad key (pasted at once): the error with its column, the list keeps the last valid
    // filter.
    app.update(Msg::Paste(" tem:x".into()));
    let screen = render(&app, 120, 20);
    assert!(
        screen.contains("unknown filter key \"tem\"") && screen.contains("at column 29"),
        "{screen}"
    );
    assert_eq!(rows(&screen), ["orders", "payments-agg"], "{screen}");
    for _ in 0..6 {
        app.update(code(KeyCode::Backspace));
    }
    app.update(code(KeyCode::Enter));
    // Local tags and negation; bare words keep matching names.
    app.update(code(KeyCode::Esc));
    app.update(key('/'));
    type_str(&mut app, "tag:tier-1");
    let screen = render(&app, 120, 20);
    assert_eq!(rows(&screen), ["etl-adhoc", "orders"], "{screen}");
    app.update(code(KeyCode::Esc));
    app.update(key('/'));
    type_str(&mut app, "-app:* scr");
    let screen = render(&app, 120, 20);
    assert_eq!(rows(&screen), ["scratch"], "{screen}");
}

#[test]
fn views_cycle_and_show_in_the_status_line() {
    let mut app = fleet(120, 20);
    app.update(key('v'));
    let screen = render(&app, 120, 20);
    assert!(screen.contains("view oncall"), "{screen}");
    assert!(screen.contains("grouped by cluster"), "{screen}");
    assert_eq!(rows(&screen), ["▾ prod", "etl-adhoc", "fraud"], "{screen}");
    app.update(key('v'));
    let screen = render(&app, 120, 20);
    assert!(screen.contains("view payments"), "{screen}");
    assert!(screen.contains("2 of 5 rows"), "{screen}");
    assert_eq!(
        rows(&screen),
        ["▾ prod", "orders", "▾ staging", "payments-agg"],
        "{screen}"
    );
    app.update(key('v'));
    let screen = render(&app, 120, 20);
    assert!(!screen.contains("view "), "{screen}");
}

#[test]
fn tag_input_asks_the_workers_and_refuses_managed_apps() {
    let mut app = fleet(120, 20);
    // Select scratch (unmanaged) by filtering to it.
    app.update(key('/'));
    type_str(&mut app, "scratch");
    app.update(code(KeyCode::Enter));
    app.update(key('T'));
    type_str(&mut app, "tier-3 -old");
    let screen = render(&app, 120, 20);
    assert!(
        screen.contains("tags of scratch (local; now none): tier-3 -old"),
        "{screen}"
    );
    let fx = app.update(code(KeyCode::Enter));
    assert_eq!(
        requests(&fx),
        [WorkerRequest::EditJobTags {
            cluster: "staging".into(),
            job_name: "scratch".into(),
            add: vec!["tier-3".into()],
            remove: vec!["old".into()],
        }]
    );
    // The reply makes tag: find it.
    app.update(Msg::Worker(WorkerReply::JobTagsLoaded {
        tags: vec![("staging".into(), "scratch".into(), vec!["tier-3".into()])],
        message: Some(Ok("tags of \"scratch\" on staging: tier-3".into())),
    }));
    app.update(code(KeyCode::Esc));
    app.update(key('/'));
    type_str(&mut app, "tag:tier-3");
    let screen = render(&app, 120, 20);
    assert_eq!(rows(&screen), ["scratch"], "{screen}");
    // A managed app: its tags come from the spec.
    app.update(code(KeyCode::Esc));
    app.update(key('/'));
    type_str(&mut app, "app:orders");
    app.update(code(KeyCode::Enter));
    let fx = app.update(key('T'));
    assert!(requests(&fx).is_empty());
    let screen = render(&app, 120, 20);
    assert!(screen.contains("tags come from its spec"), "{screen}");
}
