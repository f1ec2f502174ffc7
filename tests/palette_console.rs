//! The command palette and `y` through `Msg`/`Effect` only (the real `App`, a `TestBackend`, no
//! terminal or Flink): the OSC 52 bytes `y` asks the runtime to write for the job id and for a
//! savepoint's path, nothing with the clipboard off, tmux wrapping; `:stop NAME` opening the
//! stop confirmation, refused in read-only mode exactly like `S`; unknown names and clusters
//! named in the status line; `:cluster` filtering the list; `y` on a log line (the tail's last
//! line, then the search match).

#[path = "common/one_job_console.rs"]
mod one_job_console;

#[path = "common/tui_render.rs"]
mod tui_render;

use crossterm::event::KeyCode;
use flinkdeck::domain::terminal::TermFeatures;
use flinkdeck::domain::*;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Effect, Msg};
use one_job_console::{one_job_console, one_job_console_with};
use tui_render::*;

const NOW: i64 = 1_750_000_000_000;

fn console(term: TermFeatures, readonly: bool) -> App {
    one_job_console_with(
        Theme::plain(),
        AppOptions {
            term,
            readonly,
            ..AppOptions::default()
        },
        NOW,
        120,
        30,
    )
}

fn clipboard(tmux: bool) -> TermFeatures {
    TermFeatures {
        hyperlinks: true,
        clipboard: true,
        tmux,
    }
}

/// The escape sequences among `fx`.
fn terminal(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Terminal(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn type_line(app: &mut App, line: &str) -> Vec<Effect> {
    let mut fx = app.update(key(':'));
    for c in line.chars() {
        fx.extend(app.update(key(c)));
    }
    fx.extend(app.update(code(KeyCode::Enter)));
    fx
}

#[test]
fn y_copies_the_job_id_with_osc52() {
    let mut app = console(clipboard(false), false);
    let fx = app.update(key('y'));
    // base64("a1") = "YTE="
    assert_eq!(terminal(&fx), ["\x1b]52;c;YTE=\x07"]);
    assert!(render(&app, 120, 30).contains("copied job id a1"));

    let mut app = console(clipboard(true), false);
    let fx = app.update(key('y'));
    assert_eq!(terminal(&fx), ["\x1bPtmux;\x1b\x1b]52;c;YTE=\x07\x1b\\"]);

    let mut app = console(TermFeatures::default(), false);
    let fx = app.update(key('y'));
    assert!(terminal(&fx).is_empty(), "no OSC 52 with the clipboard off");
    assert!(render(&app, 120, 30).contains("copying is off"));
}

#[test]
fn y_in_the_checkpoints_tab_copies_the_savepoint_path() {
    let mut app = console(clipboard(false), false);
    let fx = app.update(code(KeyCode::Enter));
    let path = "file:/tmp/savepoints/savepoint-a1-0123456789ab";
    for r in requests(&fx) {
        if let WorkerRequest::LoadCheckpoints { key, request } = r {
            let sp = CheckpointEntry {
                id: 7,
                status: CheckpointStatus::Completed,
                kind: CheckpointKind::Savepoint,
                checkpoint_type: Some("SAVEPOINT".into()),
                trigger_timestamp: NOW - 5000,
                completed_at: Some(NOW - 4000),
                duration_ms: Some(1000),
                size_bytes: Some(10),
                state_size_bytes: Some(10),
                external_path: Some(path.into()),
                failure_message: None,
                num_subtasks: Some(1),
                num_acknowledged: Some(1),
            };
            let stats = CheckpointStats {
                history: vec![sp.clone()],
                latest_savepoint: Some(sp),
                ..CheckpointStats::default()
            };
            app.update(Msg::Worker(WorkerReply::CheckpointsLoaded {
                key,
                request,
                result: Ok((stats, vec![])),
            }));
        }
    }
    app.update(code(KeyCode::Tab));
    assert!(render(&app, 120, 30).contains("Checkpoints"));
    let fx = app.update(key('y'));
    let b64 = "ZmlsZTovdG1wL3NhdmVwb2ludHMvc2F2ZXBvaW50LWExLTAxMjM0NTY3ODlhYg==";
    assert_eq!(terminal(&fx), [format!("\x1b]52;c;{b64}\x07")]);
    assert!(render(&app, 120, 30).contains(&format!("copied path {path}")));
}

#[test]
fn stop_from_the_palette_asks_like_the_key_and_respects_read_only() {
    let mut app = console(TermFeatures::default(), false);
    let fx = type_line(&mut app, "stop job");
    assert!(
        requests(&fx).is_empty(),
        "nothing is sent before the answer"
    );
    let s = render(&app, 120, 30);
    assert!(s.contains("with a savepoint?"), "{s}");
    // The same dialog as the key's.
    let mut by_key = one_job_console(Theme::plain(), NOW, 120, 30);
    by_key.update(key('S'));
    assert_eq!(render(&by_key, 120, 30), s);

    let mut app = console(TermFeatures::default(), true);
    let fx = type_line(&mut app, "stop job");
    assert!(requests(&fx).is_empty());
    let s = render(&app, 120, 30);
    assert!(s.contains("read-only: stop is disabled"), "{s}");
    assert!(!s.contains("with a savepoint?"), "{s}");
}

#[test]
fn unknown_commands_names_and_clusters_are_named() {
    let mut app = console(TermFeatures::default(), false);
    type_line(&mut app, "frobnicate");
    assert!(render(&app, 120, 30).contains("unknown command \"frobnicate\""));
    type_line(&mut app, "stop nosuch");
    assert!(render(&app, 120, 30).contains("no app or job named \"nosuch\""));
    type_line(&mut app, "cluster zz");
    assert!(render(&app, 120, 30).contains("unknown cluster \"zz\""));
    // A known cluster filters the list to it (the job stays).
    type_line(&mut app, "cluster c");
    let s = render(&app, 120, 30);
    assert!(s.contains("job") && s.contains("RUNNING"), "{s}");
}

#[test]
fn tab_completes_and_esc_closes() {
    let mut app = console(TermFeatures::default(), false);
    app.update(key(':'));
    for c in "sto".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Tab));
    app.update(key('j'));
    app.update(code(KeyCode::Tab));
    let s = render(&app, 120, 30);
    assert!(s.lines().any(|l| l.starts_with(":stop job")), "{s}");
    app.update(code(KeyCode::Esc));
    let s = render(&app, 120, 30);
    assert!(!s.lines().any(|l| l.starts_with(":stop")), "{s}");
    assert!(!s.contains("with a savepoint?"), "Esc runs nothing:\n{s}");
}

/// Answers the log requests among `fx` (the file list, then the file) with `text` as the
/// JobManager log, and returns what the answers asked for.
fn answer_logs(app: &mut App, fx: Vec<Effect>, text: &str) -> Vec<Effect> {
    let mut next = Vec::new();
    for r in requests(&fx) {
        match r {
            WorkerRequest::LoadLogList { cluster, request } => {
                next.extend(app.update(Msg::Worker(WorkerReply::LogListLoaded {
                    cluster,
                    request,
                    result: Ok(vec![LogFileRef {
                        source: LogSource::JobManager,
                        name: LogName::Log,
                        size: Some(text.len() as u64),
                        mtime: Some(NOW),
                    }]),
                })));
            }
            WorkerRequest::LoadLog {
                cluster,
                file,
                request,
                ..
            } => {
                next.extend(app.update(Msg::Worker(WorkerReply::LogLoaded {
                    cluster,
                    file,
                    request,
                    result: Ok(LogTail {
                        text: text.into(),
                        total_bytes: text.len() as u64,
                        truncated: false,
                        archived_at_ms: None,
                    }),
                })));
            }
            _ => {}
        }
    }
    next
}

#[test]
fn y_in_the_logs_tab_copies_the_log_line() {
    let mut app = console(clipboard(false), false);
    app.update(code(KeyCode::Enter));
    let log = "INFO first\nWARN second line\nINFO last\n";
    // Tab to the logs tab (the last one), which asks for the file list.
    let mut asked_list = false;
    for _ in 0..5 {
        let fx = app.update(code(KeyCode::Tab));
        if requests(&fx)
            .iter()
            .any(|r| matches!(r, WorkerRequest::LoadLogList { .. }))
        {
            let file_asked = answer_logs(&mut app, fx, log);
            answer_logs(&mut app, file_asked, log);
            asked_list = true;
            break;
        }
    }
    assert!(asked_list, "the logs tab asked for the log list");
    let screen = render(&app, 120, 30);
    assert!(screen.contains("WARN second line"), "{screen}");
    // Following the tail: the last line.
    let fx = app.update(key('y'));
    // base64("INFO last")
    assert_eq!(terminal(&fx), ["\x1b]52;c;SU5GTyBsYXN0\x07"]);
    assert!(render(&app, 120, 30).contains("copied log line INFO last"));
    // A search match is what `y` copies next.
    app.update(key('/'));
    for c in "WARN".chars() {
        app.update(key(c));
    }
    app.update(code(KeyCode::Enter));
    let fx = app.update(key('y'));
    // base64("WARN second line")
    assert_eq!(terminal(&fx), ["\x1b]52;c;V0FSTiBzZWNvbmQgbGluZQ==\x07"]);
}
