//! A console (the real `App`, no terminal) with one live standalone cluster `c` listing one
//! running job `a1` named `job`, for tests that open that job and drive its tabs through
//! `Msg`/`Effect` only.

use flinkdeck::domain::*;
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Msg};

/// The console at `w`×`h`, at time `now` (epoch ms), after one poll of cluster `c`.
pub fn one_job_console(theme: Theme, now: i64, w: u16, h: u16) -> App {
    one_job_console_with(theme, AppOptions::default(), now, w, h)
}

/// [`one_job_console`] with `opts` (e.g. read-only).
#[allow(dead_code)]
pub fn one_job_console_with(theme: Theme, opts: AppOptions, now: i64, w: u16, h: u16) -> App {
    let mut app = App::new(
        vec![ClusterRef {
            name: "c".into(),
            kind: "standalone".into(),
            url: "http://c:8081".into(),
            location: None,
            web_url: None,
        }],
        theme,
        Keymap::builtin(),
        opts,
        now,
    );
    app.update(Msg::Resize(w, h));
    app.update(Msg::Worker(WorkerReply::ClusterPolled {
        cluster: "c".into(),
        generation: 1,
        health: ClusterHealth {
            status: HealthStatus::Live,
            reason: None,
            detail: None,
            last_ok_ms: Some(now),
            checked_at_ms: now,
            flink_version: Some("2.3.0".into()),
            failures: 0,
        },
        jobs: Some(std::sync::Arc::new(vec![JobSummary {
            cluster: "c".into(),
            id: "a1".into(),
            name: "job".into(),
            state: JobState::Running,
            start_time: now - 1000,
            end_time: None,
            duration_ms: 1000,
            last_modification: now,
            tasks_running: 1,
            tasks_total: 1,
            last_checkpoint: None,
            restarts: None,
            stale: false,
            detail_at_ms: None,
            vitals: None,
        }])),
        platform: None,
    }));
    app
}
