//! The console's Builds view through `Msg`/`Effect` only (insta snapshots of a `TestBackend`
//! buffer): apps with running, succeeded, failed and cancelled builds; the status colours from
//! the theme; the build log opened with Enter and followed live as lines arrive; the rebuild and
//! cancel keys (asked first, then sent as `RunBuild` / `CancelBuild`); read-only refusals; the
//! `B` and `b` keys of the jobs view. Time is fixed (`NOW`); wall-clock times are UTC.

#[path = "common/one_job_console.rs"]
mod one_job_console;

#[path = "common/tui_render.rs"]
mod tui_render;
use crossterm::event::KeyCode;
use flinkdeck::domain::*;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Msg};
use ratatui::style::{Color, Style};
use tui_render::*;

use one_job_console::{one_job_console, one_job_console_with};

/// 2026-09-21 14:13:20 UTC.
const NOW: i64 = 1_790_000_000_000;
const S: i64 = 1_000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;

#[allow(clippy::too_many_arguments)]
fn build(
    id: i64,
    app: &str,
    status: BuildStatus,
    started_ago: i64,
    duration_ms: Option<i64>,
    commit: Option<&str>,
    subject: Option<&str>,
    error: Option<&str>,
) -> BuildRecord {
    let ok = status == BuildStatus::Succeeded;
    BuildRecord {
        id,
        app: app.into(),
        status,
        git_ref: "main".into(),
        commit: commit.map(Into::into),
        subject: subject.map(Into::into),
        artifact: ok
            .then(|| format!("/var/lib/flinkdeck/builds/{app}/artifacts/9f86d081884c7d65.jar")),
        sha256: ok.then(|| {
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".to_string()
        }),
        size: ok.then_some(48_213),
        duration_ms,
        log: format!("/var/lib/flinkdeck/builds/{app}/{id}.log"),
        started_at: NOW - started_ago,
        user: "alice".into(),
        error: error.map(Into::into),
        version: ok.then_some(7),
        image: None,
        pid: Some(4242),
    }
}

/// Three apps: `orders` with a running, a succeeded, a failed and a cancelled build; `clicks`
/// with one good build; `fresh`, never built.
fn apps() -> Vec<AppBuilds> {
    let c1 = "4f2a9c1b7e3d5a6b8c9d0e1f2a3b4c5d6e7f8091";
    let c0 = "0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c";
    vec![
        AppBuilds {
            app: "clicks".into(),
            git_ref: "v1.4".into(),
            repo: "git@git.example.com:data/clicks.git".into(),
            builds: vec![build(
                9,
                "clicks",
                BuildStatus::Succeeded,
                26 * H,
                Some(41_300),
                Some(c0),
                Some("Window by session"),
                None,
            )],
        },
        AppBuilds {
            app: "fresh".into(),
            git_ref: "main".into(),
            repo: "/srv/git/fresh".into(),
            builds: vec![],
        },
        AppBuilds {
            app: "orders".into(),
            git_ref: "main".into(),
            repo: "git@git.example.com:data/orders.git".into(),
            builds: vec![
                build(
                    14,
                    "orders",
                    BuildStatus::Running,
                    40 * S,
                    None,
                    Some(c1),
                    Some("Dedupe late events"),
                    None,
                ),
                build(
                    13,
                    "orders",
                    BuildStatus::Succeeded,
                    2 * H,
                    Some(72_400),
                    Some(c1),
                    Some("Dedupe late events"),
                    None,
                ),
                build(
                    12,
                    "orders",
                    BuildStatus::Failed,
                    3 * H,
                    Some(8_100),
                    Some(c0),
                    Some("Try the new sink"),
                    Some("build: bash build.sh exited with exit status: 1"),
                ),
                build(
                    11,
                    "orders",
                    BuildStatus::Cancelled,
                    5 * H,
                    Some(30_000),
                    Some(c0),
                    Some("Try the new sink"),
                    Some("cancelled"),
                ),
            ],
        },
    ]
}

/// The one-job console with `orders` managed (its job is `a1`), in the Builds view opened from
/// the job's row with `B`, the list loaded.
fn builds_console(theme: Theme, readonly: bool, w: u16, h: u16) -> App {
    let opts = AppOptions {
        readonly,
        ..AppOptions::default()
    };
    let mut app = one_job_console_with(theme, opts, NOW, w, h);
    app.update(Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![AppSummary {
            name: "orders".into(),
            cluster: "c".into(),
            kind: AppKind::Jar,
            version: 6,
            owner: None,
            team: None,
            tags: vec![],
            job_id: Some("a1".into()),
            state: Some(JobState::Running),
        }],
        job_apps: vec![(JobKey::new("c", "a1"), "orders".into())],
    }));
    let reqs = requests(&app.update(key('B')));
    let [WorkerRequest::LoadBuilds { request, per_app }] = &reqs[..] else {
        panic!("B asks for the builds: {reqs:?}")
    };
    assert_eq!(*per_app, 50);
    let request = *request;
    assert!(render(&app, w, h).contains("loading…"));
    app.update(Msg::Worker(WorkerReply::BuildsLoaded {
        request,
        result: Ok(apps()),
    }));
    app
}

#[test]
fn builds_view_snapshots() {
    let app = builds_console(Theme::plain(), false, 130, 24);
    // Opened on the job's app (orders), its newest build (the running one) selected.
    let screen = render(&app, 130, 24);
    insta::assert_snapshot!("builds_view", screen);
    for s in ["running", "succeeded", "failed", "cancelled", "never"] {
        assert!(screen.contains(s), "{s} shown:\n{screen}");
    }

    // A failed build: why, in the line under the table.
    let mut app = app;
    app.update(key('j'));
    app.update(key('j'));
    let screen = render(&app, 130, 24);
    assert!(
        screen.contains("failed build: bash build.sh exited with exit status: 1"),
        "{screen}"
    );
    // Narrow: less important columns go, the status stays.
    insta::assert_snapshot!("builds_view_narrow", render(&app, 80, 16));

    // The apps list: an app never built says how to build it.
    app.update(key('h'));
    app.update(key('k'));
    let screen = render(&app, 130, 24);
    assert!(
        screen.contains("fresh was never built: press b to build it"),
        "{screen}"
    );
}

/// Each status in its theme colour: running = warning, succeeded = ok, failed = error,
/// cancelled = dim.
#[test]
fn statuses_are_coloured_by_the_theme() {
    let mut theme = Theme::plain();
    theme.ok = Style::default().fg(Color::Green);
    theme.error = Style::default().fg(Color::Red);
    theme.warning = Style::default().fg(Color::Yellow);
    theme.dim = Style::default().fg(Color::DarkGray);
    let app = builds_console(theme, false, 130, 24);
    let buf = draw(&app, 130, 24);
    let fg_of = |word: &str| -> Vec<Color> {
        let w = buf.area.width as usize;
        let mut found = Vec::new();
        for (y, row) in buf.content.chunks(w).enumerate() {
            let text: String = row.iter().map(|c| c.symbol()).collect();
            // The builds table is the right pane: skip the apps list.
            if let Some(x) = text.find(&format!(" {word} ")) {
                let x = text[..x + 1].chars().count();
                if x > 30 {
                    found.push(buf[(x as u16, y as u16)].fg);
                }
            }
        }
        found
    };
    assert_eq!(fg_of("running"), vec![Color::Yellow]);
    assert_eq!(fg_of("succeeded"), vec![Color::Green]);
    assert_eq!(fg_of("failed"), vec![Color::Red]);
    assert_eq!(fg_of("cancelled"), vec![Color::DarkGray]);
}

#[test]
fn enter_follows_the_build_log_live_and_esc_stops_following() {
    let mut app = builds_console(Theme::plain(), false, 100, 20);
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let [WorkerRequest::FollowBuildLog {
        build,
        log,
        request,
    }] = &reqs[..]
    else {
        panic!("enter follows the log: {reqs:?}")
    };
    assert_eq!(*build, 14);
    assert_eq!(log, "/var/lib/flinkdeck/builds/orders/14.log");
    let request = *request;
    assert!(render(&app, 100, 20).contains("loading…"));

    let lines = |from: usize, to: usize| -> Msg {
        Msg::Worker(WorkerReply::BuildLog {
            request,
            event: BuildLogEvent::Lines(
                (from..to)
                    .map(|i| match i {
                        0 => "==> fetch /srv/git/orders".to_string(),
                        1 => "==> checkout 4f2a9c1b7e3d5a6b8c9d0e1f2a3b4c5d6e7f8091".to_string(),
                        2 => "==> build: bash build.sh /opt/flink/lib".to_string(),
                        i => format!("compiling step {i}"),
                    })
                    .collect(),
            ),
        })
    };
    app.update(lines(0, 5));
    insta::assert_snapshot!("build_log_following", render(&app, 100, 20));
    // More lines than fit: the newest stay in view (following).
    app.update(lines(5, 40));
    let screen = render(&app, 100, 20);
    assert!(screen.contains("compiling step 39"), "{screen}");
    assert!(!screen.contains("compiling step 5\n"), "{screen}");
    insta::assert_snapshot!("build_log_following_more", screen);
    // Scrolled up: new lines do not move the view.
    app.update(key('k'));
    app.update(lines(40, 41));
    let screen = render(&app, 100, 20);
    assert!(!screen.contains("compiling step 40"), "{screen}");
    // A stale reply (another request) is dropped.
    app.update(Msg::Worker(WorkerReply::BuildLog {
        request: request + 100,
        event: BuildLogEvent::Lines(vec!["from another log".into()]),
    }));
    app.update(key('G'));
    let screen = render(&app, 100, 20);
    assert!(screen.contains("compiling step 40"), "{screen}");
    assert!(!screen.contains("from another log"), "{screen}");

    // Esc closes the log and stops its follower.
    let reqs = requests(&app.update(code(KeyCode::Esc)));
    assert_eq!(reqs, vec![WorkerRequest::UnfollowBuildLog]);
    assert!(!render(&app, 100, 20).contains("compiling step"));
}

#[test]
fn rebuild_asks_then_runs_and_reports_in_the_actions_panel() {
    let mut app = builds_console(Theme::plain(), false, 120, 26);
    assert!(requests(&app.update(key('b'))).is_empty(), "asks first");
    insta::assert_snapshot!("rebuild_confirmation", render(&app, 120, 26));
    let reqs = requests(&app.update(key('y')));
    let run = reqs
        .iter()
        .find_map(|r| match r {
            WorkerRequest::RunBuild { app, request } => Some((app.clone(), *request)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("y sends the build: {reqs:?}"));
    assert_eq!(run.0, "orders");
    // The list reloads at once to show the new build.
    let load = reqs
        .iter()
        .find_map(|r| match r {
            WorkerRequest::LoadBuilds { request, .. } => Some(*request),
            _ => None,
        })
        .unwrap_or_else(|| panic!("y reloads the list: {reqs:?}"));
    app.update(Msg::Worker(WorkerReply::BuildsLoaded {
        request: load,
        result: Ok(apps()),
    }));
    app.update(Msg::Worker(WorkerReply::ActionProgress {
        request: run.1,
        message: "build #15 of orders at main (log /var/lib/flinkdeck/builds/orders/15.log)".into(),
    }));
    let screen = render(&app, 120, 26);
    assert!(screen.contains("build app orders"), "{screen}");
    assert!(screen.contains("build #15 of orders at main"), "{screen}");
    // Any other key than y cancels the question.
    app.update(key('b'));
    assert!(requests(&app.update(key('n'))).is_empty());
    // The outcome reloads the list at once.
    let reqs = requests(&app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: run.1,
        outcome: ActionOutcome::Failed {
            reason: "build #15 of orders cancelled".into(),
        },
    })));
    assert!(
        reqs.iter()
            .any(|r| matches!(r, WorkerRequest::LoadBuilds { .. })),
        "{reqs:?}"
    );
}

#[test]
fn cancel_asks_for_the_running_build_and_works_from_its_log() {
    let mut app = builds_console(Theme::plain(), false, 120, 26);
    // Selected: the succeeded build; the cancel is for the app's running one.
    app.update(key('j'));
    assert!(requests(&app.update(key('C'))).is_empty(), "asks first");
    let screen = render(&app, 120, 26);
    assert!(
        screen.contains("Cancel build #14 of orders (run by alice, process 4242)?"),
        "{screen}"
    );
    let reqs = requests(&app.update(key('y')));
    assert!(
        reqs.iter().any(|r| matches!(
            r,
            WorkerRequest::CancelBuild { app, build: 14, .. } if app == "orders"
        )),
        "{reqs:?}"
    );
    assert!(render(&app, 120, 26).contains("cancel build #14 of orders"));

    // From the log overlay: C closes it (its follower stops) and asks.
    app.update(key('k'));
    app.update(code(KeyCode::Enter));
    let reqs = requests(&app.update(key('C')));
    assert_eq!(reqs, vec![WorkerRequest::UnfollowBuildLog]);
    assert!(render(&app, 120, 26).contains("Cancel build #14 of orders"));
    app.update(code(KeyCode::Esc));

    // An app without a running build: nothing to cancel.
    app.update(key('h'));
    app.update(key('g'));
    assert!(requests(&app.update(key('C'))).is_empty());
    assert!(render(&app, 120, 26).contains("app clicks has no running build"));
}

/// Read-only: the usual message, no question; the request still goes to the workers, which
/// refuse it and record the refusal in the audit trail (nothing is built or cancelled there
/// either: `console_build` / `cancel_build` check read-only first).
#[test]
fn read_only_refuses_rebuild_and_cancel() {
    let mut app = builds_console(Theme::plain(), true, 120, 26);
    let reqs = requests(&app.update(key('b')));
    assert!(
        matches!(&reqs[..], [WorkerRequest::RunBuild { app, .. }] if app == "orders"),
        "{reqs:?}"
    );
    let screen = render(&app, 120, 26);
    assert!(
        screen.contains("read-only: rebuild is disabled"),
        "{screen}"
    );
    assert!(!screen.contains("y confirm"), "no question: {screen}");
    assert!(
        !screen.contains("build app orders"),
        "not in the panel: {screen}"
    );
    let reqs = requests(&app.update(key('C')));
    assert!(
        matches!(&reqs[..], [WorkerRequest::CancelBuild { build: 14, .. }]),
        "{reqs:?}"
    );
    assert!(render(&app, 120, 26).contains("read-only: cancel_build is disabled"));
    // The help lists both as disabled.
    app.update(key('?'));
    app.update(key('G'));
    let help = render(&app, 120, 60);
    assert!(help.contains("Builds view"), "{help}");
}

#[test]
fn jobs_view_rebuild_key_on_a_managed_app() {
    let mut app = one_job_console(Theme::plain(), NOW, 120, 24);
    // An unmanaged job: nothing to rebuild.
    assert!(requests(&app.update(key('b'))).is_empty());
    assert!(render(&app, 120, 24).contains("not a managed app"));
    app.update(Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![AppSummary {
            name: "orders".into(),
            cluster: "c".into(),
            kind: AppKind::Jar,
            version: 6,
            owner: None,
            team: None,
            tags: vec![],
            job_id: Some("a1".into()),
            state: Some(JobState::Running),
        }],
        job_apps: vec![(JobKey::new("c", "a1"), "orders".into())],
    }));
    assert!(requests(&app.update(key('b'))).is_empty(), "asks first");
    assert!(render(&app, 120, 24).contains("Rebuild app orders at its [build] ref?"));
    let reqs = requests(&app.update(key('y')));
    assert!(
        matches!(&reqs[..], [WorkerRequest::RunBuild { app, .. }] if app == "orders"),
        "{reqs:?}"
    );
    // The help lists the Builds view's keys.
    app.update(key('?'));
    let mut all = String::new();
    for _ in 0..12 {
        all.push_str(&render(&app, 120, 24));
        app.update(code(KeyCode::PageDown));
    }
    for k in [
        "Builds view (the selected app's builds)",
        "Cancel the running build (asks)",
        "Open the build's log (followed live while it runs)",
    ] {
        assert!(all.contains(k), "help lists {k:?}:\n{all}");
    }
}

/// Long lines wrap in the log window; following keeps the end of the newest one in view, and
/// scrolling up moves through whole lines.
#[test]
fn long_build_log_lines_wrap_and_the_newest_stays_in_view() {
    let mut app = builds_console(Theme::plain(), false, 70, 20);
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let Some(request) = reqs.iter().find_map(|r| match r {
        WorkerRequest::FollowBuildLog { request, .. } => Some(*request),
        _ => None,
    }) else {
        panic!("enter follows the log: {reqs:?}")
    };
    let long = |i: usize| format!("START-{i} {} END-{i}", "word ".repeat(40));
    app.update(Msg::Worker(WorkerReply::BuildLog {
        request,
        event: BuildLogEvent::Lines((0..30).map(long).collect()),
    }));
    let screen = render(&app, 70, 20);
    assert!(screen.contains("END-29"), "{screen}");
    assert!(screen.contains("START-29"), "{screen}");
    assert!(!screen.contains("START-20 "), "{screen}");
    // Up: one line back; the newest line's end leaves the window.
    app.update(key('k'));
    let screen = render(&app, 70, 20);
    assert!(screen.contains("END-28"), "{screen}");
    assert!(!screen.contains("END-29"), "{screen}");
    // A new line does not move a scrolled window; G follows again.
    app.update(Msg::Worker(WorkerReply::BuildLog {
        request,
        event: BuildLogEvent::Lines(vec![long(30)]),
    }));
    assert!(!render(&app, 70, 20).contains("END-30"));
    app.update(key('G'));
    assert!(render(&app, 70, 20).contains("END-30"));
}

/// The upgrade key (`U`) on a managed app's job: the workers are asked for the plan first, the
/// question shows it, `y` sends `RunUpgrade` and the actions panel shows it; an unmanaged job,
/// a plan that cannot be made and read-only are refused with a message.
#[test]
fn jobs_view_upgrade_key_shows_the_plan_then_upgrades() {
    let mut app = one_job_console(Theme::plain(), NOW, 120, 24);
    assert!(requests(&app.update(key('U'))).is_empty());
    assert!(render(&app, 120, 24).contains("only managed apps are upgraded"));
    app.update(Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![AppSummary {
            name: "orders".into(),
            cluster: "c".into(),
            kind: AppKind::Jar,
            version: 7,
            owner: None,
            team: None,
            tags: vec![],
            job_id: Some("a1".into()),
            state: Some(JobState::Running),
        }],
        job_apps: vec![(JobKey::new("c", "a1"), "orders".into())],
    }));
    let reqs = requests(&app.update(key('U')));
    let request = match &reqs[..] {
        [WorkerRequest::PreviewUpgrade { app, request }] if app == "orders" => *request,
        other => panic!("the plan is asked for first: {other:?}"),
    };
    app.update(Msg::Worker(WorkerReply::UpgradePlan {
        app: "orders".into(),
        request,
        result: Ok(vec![
            "upgrade orders from version 6 to version 7 on cluster c (job a1 RUNNING):".into(),
            "  1. stop job a1 with a savepoint".into(),
            "  2. start version 7 from that savepoint (restore verified)".into(),
            "  3. health window 2m: stays RUNNING, no restart, a checkpoint completes".into(),
            "  4. if unhealthy: stop the new job and start version 6 from the same savepoint"
                .into(),
        ]),
    }));
    insta::assert_snapshot!("upgrade_plan_question", render(&app, 120, 24));
    let reqs = requests(&app.update(key('y')));
    assert!(
        matches!(&reqs[..], [WorkerRequest::RunUpgrade { app, .. }] if app == "orders"),
        "{reqs:?}"
    );
    assert!(render(&app, 120, 24).contains("upgrade app orders"));

    // No plan: said why, nothing asked.
    let reqs = requests(&app.update(key('U')));
    let request = match &reqs[..] {
        [WorkerRequest::PreviewUpgrade { request, .. }] => *request,
        other => panic!("{other:?}"),
    };
    app.update(Msg::Worker(WorkerReply::UpgradePlan {
        app: "orders".into(),
        request,
        result: Err("app orders already runs version 7".into()),
    }));
    assert!(
        render(&app, 120, 24).contains("cannot upgrade orders: app orders already runs version 7")
    );
    assert!(
        requests(&app.update(key('y'))).is_empty(),
        "no question was open"
    );
}
