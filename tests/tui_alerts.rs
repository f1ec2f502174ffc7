//! The console's Alerts view, incident detail and header badge: ratatui `TestBackend` snapshots
//! (insta) and `update()` tests through `Msg`/`Effect` only. Times are fixed (`NOW`, UTC).

#[path = "common/one_job_console.rs"]
mod one_job_console;

#[path = "common/tui_render.rs"]
mod tui_render;
use std::time::Duration;

use crossterm::event::KeyCode;
use flinkdeck::domain::alerts::{AlertKind, DeliveryRecord, IncidentRecord};
use flinkdeck::domain::incident::Quiet;
use flinkdeck::domain::*;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Msg};
use one_job_console::{one_job_console, one_job_console_with};
use ratatui::style::{Color, Style};
use tui_render::*;

/// 2026-09-21 14:13:20 UTC.
const NOW: i64 = 1_790_000_000_000;
const S: i64 = 1_000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;

// ---- fixtures ---------------------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
fn delivery(
    id: i64,
    incident: i64,
    channel: &str,
    event: &str,
    attempt: u32,
    ago: i64,
    ok: bool,
    result: &str,
) -> DeliveryRecord {
    DeliveryRecord {
        id,
        incident: Some(incident),
        channel: channel.into(),
        event: event.into(),
        attempt,
        at: NOW - ago,
        ok,
        result: result.into(),
    }
}

/// Four incidents as the store lists them: open ones first (newest first), then closed.
fn incidents() -> Vec<IncidentRecord> {
    let base = |id: i64,
                rule: &str,
                kind: AlertKind,
                subject: &str,
                cluster: &str,
                reason: &str,
                opened_ago: i64| IncidentRecord {
        id,
        rule: rule.into(),
        kind,
        subject: subject.into(),
        cluster: cluster.into(),
        app: None,
        job_id: None,
        state: None,
        reason: reason.into(),
        since: NOW - opened_ago - 30 * S,
        opened_at: NOW - opened_ago,
        closed_at: None,
        last_notified_at: NOW - opened_ago,
        muted_until: None,
        acknowledged_by: None,
        acknowledged_at: None,
        deliveries: Vec::new(),
    };
    let mut open = base(
        4,
        "cluster-down",
        AlertKind::Unreachable,
        "cluster:gone",
        "gone",
        "cluster gone is unreachable: connection refused (http://127.0.0.1:1/v1/overview)",
        5 * M,
    );
    open.deliveries = vec![
        delivery(
            7,
            4,
            "oncall-ding",
            "opened",
            1,
            5 * M,
            false,
            "HTTP 500 Internal Server Error: upstream down",
        ),
        delivery(
            8,
            4,
            "oncall-ding",
            "opened",
            2,
            5 * M - 2 * S,
            true,
            "HTTP 200 OK: errcode 0",
        ),
        delivery(
            9,
            4,
            "mail",
            "opened",
            1,
            5 * M,
            true,
            "250 2.0.0 Ok: queued as 4F2A",
        ),
    ];
    let mut muted = base(
        3,
        "orders-failed",
        AlertKind::Failed,
        "app:orders",
        "prod",
        "java.lang.RuntimeException: poison record at offset 4711",
        40 * M,
    );
    muted.app = Some("orders".into());
    muted.job_id = Some("a1b2c3d4e5f60718293a4b5c6d7e8f90".into());
    muted.state = Some("FAILED".into());
    muted.muted_until = Some(NOW + H);
    let mut acked = base(
        2,
        "payments-stuck",
        AlertKind::NoCheckpoint,
        "app:payments",
        "prod",
        "no completed checkpoint for 12m (last 2026-09-21 13:58:02)",
        3 * H,
    );
    acked.app = Some("payments".into());
    acked.acknowledged_by = Some("ana".into());
    acked.acknowledged_at = Some(NOW - 2 * H);
    let mut closed = base(
        1,
        "orders-failed",
        AlertKind::Failed,
        "app:orders",
        "prod",
        "java.io.IOException: broker unavailable",
        26 * H,
    );
    closed.closed_at = Some(NOW - 25 * H);
    vec![open, muted, acked, closed]
}

/// The console with the Alerts view open (`!`) and its load answered; returns the load's id.
fn alerts_app(theme: Theme, opts: AppOptions, w: u16, h: u16) -> App {
    let mut app = console(theme, opts, w, h);
    let id = open_alerts(&mut app);
    app.update(loaded(id, Ok(incidents())));
    app
}

fn console(theme: Theme, opts: AppOptions, w: u16, h: u16) -> App {
    one_job_console_with(theme, opts, NOW, w, h)
}

/// Presses `!`; returns the id of the `LoadIncidents` it sends.
fn open_alerts(app: &mut App) -> u64 {
    let reqs = requests(&app.update(key('!')));
    match reqs.as_slice() {
        [WorkerRequest::LoadIncidents { request, limit }] => {
            assert_eq!(*limit, 200);
            *request
        }
        other => panic!("expected one LoadIncidents, got {other:?}"),
    }
}

fn loaded(request: u64, result: Result<Vec<IncidentRecord>, String>) -> Msg {
    Msg::Worker(WorkerReply::IncidentsLoaded { request, result })
}

fn badge(open: u32, unquiet: u32) -> Msg {
    Msg::Worker(WorkerReply::OpenIncidents { open, unquiet })
}

// ---- snapshots ------------------------------------------------------------------------------

#[test]
fn alerts_view_open_muted_acked_closed_wide_and_narrow() {
    let mut app = alerts_app(Theme::plain(), AppOptions::default(), 150, 16);
    app.update(badge(3, 1));
    let wide = render(&app, 150, 16);
    for text in [
        "OPEN",
        "muted until 15:13",
        "acked by ana",
        "closed",
        "cluster-down",
        "unreachable",
        "cluster:gone",
        "5m",
        "⚠ 3 open",
    ] {
        assert!(wide.contains(text), "{text:?} in\n{wide}");
    }
    insta::assert_snapshot!("alerts_view_wide", wide);
    app.update(Msg::Resize(72, 14));
    let narrow = render(&app, 72, 14);
    insta::assert_snapshot!("alerts_view_narrow", narrow);
    // Narrow: id, state, subject and the reason stay; the cluster column goes first.
    assert!(
        narrow.contains("muted until 15:13") && narrow.contains("app:payments"),
        "{narrow}"
    );
    assert!(!narrow.contains("CLUSTER"), "{narrow}");
}

#[test]
fn alerts_view_empty_and_error_keep_the_last_data() {
    let mut app = console(Theme::plain(), AppOptions::default(), 100, 14);
    let id = open_alerts(&mut app);
    assert!(render(&app, 100, 14).contains("loading…"));
    app.update(loaded(id, Ok(vec![])));
    let s = render(&app, 100, 14);
    insta::assert_snapshot!("alerts_view_empty", s);
    // `r` reloads; a failed reload keeps what was shown and says why.
    let id = open_alerts_reload(&mut app);
    app.update(loaded(id, Ok(incidents())));
    let id = open_alerts_reload(&mut app);
    app.update(loaded(
        id,
        Err("cannot read the incidents: database is locked".into()),
    ));
    let s = render(&app, 100, 14);
    assert!(
        s.contains("error: cannot read the incidents: database is locked  (showing last data)"),
        "{s}"
    );
    assert!(s.contains("cluster:gone"), "{s}");
}

/// `r` in the Alerts view: returns the id of the reload it sends.
fn open_alerts_reload(app: &mut App) -> u64 {
    let reqs = requests(&app.update(key('r')));
    reqs.iter()
        .find_map(|r| match r {
            WorkerRequest::LoadIncidents { request, .. } => Some(*request),
            _ => None,
        })
        .unwrap_or_else(|| panic!("r reloads the incidents: {reqs:?}"))
}

#[test]
fn incident_detail_with_its_deliveries() {
    let mut app = alerts_app(Theme::plain(), AppOptions::default(), 120, 26);
    app.update(code(KeyCode::Enter));
    let s = render(&app, 120, 26);
    insta::assert_snapshot!("incident_detail", s);
    for text in [
        "Incident #4",
        "CHANNEL",
        "oncall-ding",
        "HTTP 500 Internal Server Error",
        "250 2.0.0 Ok",
        "connection refused",
    ] {
        assert!(s.contains(text), "{text:?} in\n{s}");
    }
    // Esc: back to the list; Esc again: back to the jobs.
    app.update(code(KeyCode::Esc));
    assert!(render(&app, 120, 26).contains("Incidents (4)"));
    app.update(code(KeyCode::Esc));
    let s = render(&app, 120, 26);
    assert!(s.contains("Jobs (1)") && !s.contains("Incidents"), "{s}");
}

#[test]
fn muted_incident_detail_names_the_job_and_the_mute() {
    let mut app = alerts_app(Theme::plain(), AppOptions::default(), 100, 20);
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    let s = render(&app, 100, 20);
    insta::assert_snapshot!("incident_detail_muted_no_deliveries", s);
    assert!(s.contains("muted until 2026-09-21 15:13:20"), "{s}");
    assert!(s.contains("a1b2c3d4e5f60718293a4b5c6d7e8f90"), "{s}");
    assert!(s.contains("no deliveries"), "{s}");
}

#[test]
fn header_badge_in_every_view_only_while_incidents_are_open() {
    let mut theme = Theme::plain();
    theme.error = Style::default().fg(Color::Red);
    theme.warning = Style::default().fg(Color::Yellow);
    let mut app = one_job_console(theme, NOW, 100, 12);
    assert!(
        !render(&app, 100, 12).contains('⚠'),
        "no badge before any count"
    );
    app.update(badge(3, 1));
    let s = render(&app, 100, 12);
    insta::assert_snapshot!("header_badge_jobs_view", s);
    let first = s.lines().next().unwrap_or_default();
    assert!(first.contains("⚠ 3 open"), "{first}");
    let buf = draw(&app, 100, 12);
    let warn = buf
        .content
        .iter()
        .find(|c| c.symbol() == "⚠")
        .expect("badge drawn");
    assert_eq!(
        warn.fg,
        Color::Red,
        "some incident needs attention: error colour"
    );
    // All muted or acknowledged: the warning colour.
    app.update(badge(2, 0));
    let buf = draw(&app, 100, 12);
    let warn = buf
        .content
        .iter()
        .find(|c| c.symbol() == "⚠")
        .expect("badge drawn");
    assert_eq!(warn.fg, Color::Yellow);
    assert!(buffer_text(&buf).contains("⚠ 2 open"));
    // Other views: at the right end of the first row.
    for (open, label) in [(key('A'), "audit"), (key('K'), "clusters")] {
        app.update(open);
        let s = render(&app, 100, 12);
        let first = s.lines().next().unwrap_or_default();
        assert!(first.ends_with("⚠ 2 open"), "{label}: {first}");
        app.update(code(KeyCode::Esc));
    }
    app.update(code(KeyCode::Enter));
    let s = render(&app, 100, 12);
    assert!(
        s.lines().next().unwrap_or_default().ends_with("⚠ 2 open"),
        "job detail:\n{s}"
    );
    app.update(code(KeyCode::Esc));
    open_alerts(&mut app);
    let s = render(&app, 100, 12);
    insta::assert_snapshot!("header_badge_alerts_view", s);
    // None open: gone everywhere.
    app.update(badge(0, 0));
    assert!(!render(&app, 100, 12).contains('⚠'));
    app.update(code(KeyCode::Esc));
    assert!(!render(&app, 100, 12).contains('⚠'));
}

// ---- update(): loads, keys, replies -----------------------------------------------------------

#[test]
fn the_view_reloads_every_refresh_and_drops_old_replies() {
    let mut app = console(Theme::plain(), AppOptions::default(), 100, 16);
    let first = open_alerts(&mut app);
    // Nothing more while the load is in flight.
    assert!(requests(&app.update(Msg::Tick {
        now_ms: NOW + 6 * S
    }))
    .is_empty());
    app.update(loaded(first, Ok(incidents())));
    let reqs = requests(&app.update(Msg::Tick {
        now_ms: NOW + 12 * S,
    }));
    let second = match reqs.as_slice() {
        [WorkerRequest::LoadIncidents { request, .. }] => *request,
        other => panic!("one reload per refresh: {other:?}"),
    };
    assert!(second > first);
    // The old id's answer is dropped.
    app.update(loaded(first, Ok(vec![])));
    assert!(render(&app, 100, 16).contains("cluster:gone"));
    app.update(loaded(second, Ok(incidents()[1..].to_vec())));
    let s = render(&app, 100, 16);
    assert!(
        !s.contains("cluster:gone") && s.contains("Incidents (3)"),
        "{s}"
    );
    // Closed: no more loads.
    app.update(code(KeyCode::Esc));
    assert!(requests(&app.update(Msg::Tick {
        now_ms: NOW + 60 * S
    }))
    .is_empty());
}

#[test]
fn m_mutes_for_an_hour_and_a_acknowledges_the_selected_open_incident() {
    let mut app = alerts_app(Theme::plain(), AppOptions::default(), 120, 16);
    let reqs = requests(&app.update(key('m')));
    let request = match reqs.as_slice() {
        [WorkerRequest::QuietIncident {
            request,
            id: 4,
            how: Quiet::Mute(d),
        }] => {
            assert_eq!(*d, Duration::from_secs(3600));
            *request
        }
        other => panic!("m mutes incident #4 for 1 h: {other:?}"),
    };
    assert!(render(&app, 120, 16).contains("muting incident #4…"));
    // The answer: its message, and the list reloads to show the mute.
    let reqs = requests(&app.update(Msg::Worker(WorkerReply::IncidentQuieted {
        request,
        id: 4,
        outcome: ActionOutcome::Done {
            message: "incident #4 muted until 2026-09-21 15:13:20".into(),
            job_id: None,
            savepoint: None,
        },
    })));
    assert!(
        matches!(reqs.as_slice(), [WorkerRequest::LoadIncidents { .. }]),
        "{reqs:?}"
    );
    assert!(render(&app, 120, 16).contains("incident #4 muted until 2026-09-21 15:13:20"));
    // `A` on the second (muted, still open) incident acknowledges it.
    app.update(key('j'));
    let reqs = requests(&app.update(key('A')));
    assert!(
        matches!(
            reqs.as_slice(),
            [WorkerRequest::QuietIncident {
                id: 3,
                how: Quiet::Acknowledge,
                ..
            }]
        ),
        "{reqs:?}"
    );
    // A closed incident: nothing is sent.
    app.update(key('G'));
    let reqs = requests(&app.update(key('m')));
    assert!(reqs.is_empty(), "{reqs:?}");
    assert!(render(&app, 120, 16).contains("incident #1 is closed: nothing to mute"));
    // From an incident's detail too.
    app.update(key('g'));
    app.update(code(KeyCode::Enter));
    let reqs = requests(&app.update(key('A')));
    assert!(
        matches!(
            reqs.as_slice(),
            [WorkerRequest::QuietIncident {
                id: 4,
                how: Quiet::Acknowledge,
                ..
            }]
        ),
        "{reqs:?}"
    );
}

#[test]
fn read_only_still_sends_the_request_so_the_refusal_is_audited() {
    let opts = AppOptions {
        readonly: true,
        ..AppOptions::default()
    };
    let mut app = alerts_app(Theme::plain(), opts, 120, 16);
    let s = render(&app, 120, 16);
    assert!(s.starts_with("flinkdeck  READ-ONLY  Alerts"), "{s}");
    let reqs = requests(&app.update(key('m')));
    let request = match reqs.as_slice() {
        [WorkerRequest::QuietIncident { request, id: 4, .. }] => *request,
        other => panic!("{other:?}"),
    };
    assert!(render(&app, 120, 16).contains("read-only: mute is disabled"));
    app.update(Msg::Worker(WorkerReply::IncidentQuieted {
        request,
        id: 4,
        outcome: ActionOutcome::Refused {
            reason: "read-only mode: mute is disabled (--readonly or [ui] readonly = true)".into(),
        },
    }));
    let s = render(&app, 120, 16);
    assert!(
        s.contains("refused: read-only mode: mute is disabled"),
        "{s}"
    );
    assert!(s.contains("OPEN"), "nothing changed: {s}");
}

#[test]
fn no_panic_at_any_size() {
    let mut app = alerts_app(Theme::plain(), AppOptions::default(), 80, 24);
    app.update(badge(3, 1));
    for detail in [false, true] {
        if detail {
            app.update(code(KeyCode::Enter));
            // Scrolling the deliveries past the end stays in range.
            for _ in 0..5 {
                app.update(key('j'));
            }
            app.update(key('G'));
        }
        for w in [0u16, 1, 5, 12, 20, 33, 47, 80, 161] {
            for h in [0u16, 1, 2, 3, 4, 5, 7, 8, 13, 14, 30] {
                app.update(Msg::Resize(w, h));
                let s = render(&app, w, h);
                if w > 0 {
                    assert_eq!(s.lines().count(), h as usize);
                }
            }
        }
    }
}
