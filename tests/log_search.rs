//! Whole-file log search: the worker streams the file through (a local server that, like Flink,
//! always sends the whole file), reports matches with line numbers and offsets, and loads a
//! window around one; the viewer sends the search on Enter, lists the file's matches and jumps
//! to one with `n`/`N` through `Msg`/`Effect` only.

#[path = "common/log_server.rs"]
mod log_server;

#[path = "common/one_job_console.rs"]
mod one_job_console;

use one_job_console::one_job_console;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::backend::Clusters;
use flinkdeck::config::Config;
use flinkdeck::domain::*;
use flinkdeck::service::loaders;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, Effect, Msg};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const NOW: i64 = 1_790_000_000_000;

fn jm_log() -> LogFileRef {
    LogFileRef {
        source: LogSource::JobManager,
        name: LogName::Log,
        size: None,
        mtime: None,
    }
}

fn line(i: usize) -> String {
    format!("2026-09-21 14:00:00,000 INFO  org.apache.flink.Some [] - message {i:07}\n")
}

#[test]
fn worker_searches_the_whole_file_and_loads_a_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("jobmanager.log");
    let mut data = String::new();
    data.push_str("first line has the NEEDLE\n");
    for i in 1..200_000 {
        data.push_str(&line(i));
    }
    data.push_str("\x1b[31mlast needle\x1b[0m\n");
    std::fs::write(&path, &data).expect("write");
    let url = log_server::serve_log_file(path);
    let config = Config::from_str_named(
        &format!("[[clusters]]\nname = \"c\"\nurl = \"{url}\"\ntimeout = \"5s\"\n"),
        Path::new("/x/config.toml"),
    )
    .expect("config");
    let clusters = Clusters::from_config(&config).expect("clusters");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    rt.block_on(loaders::search_log(
        &clusters,
        "c",
        &jm_log(),
        "needle",
        move |e| {
            ev.lock().unwrap().push(e);
            async { true }
        },
    ));
    let events = events.lock().unwrap().clone();
    let found: Vec<LogMatch> = events
        .iter()
        .filter_map(|e| match e {
            LogSearchEvent::Found(f) => Some(f.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(found.len(), 2, "{events:?}");
    assert_eq!((found[0].line, found[0].offset), (0, 0));
    assert_eq!(found[0].text, "first line has the NEEDLE");
    assert_eq!(found[1].line, 200_000);
    assert_eq!(
        found[1].offset as usize,
        data.len() - "\x1b[31mlast needle\x1b[0m\n".len()
    );
    assert!(
        matches!(
            events.last(),
            Some(LogSearchEvent::Done { scanned, lines: 200_001, matching_lines: 2, capped: false })
                if *scanned == data.len() as u64
        ),
        "{:?}",
        events.last()
    );

    // A window around line 100,000.
    let offset = data
        .find("message 0100000")
        .map(|p| data[..p].rfind('\n').unwrap() + 1);
    let offset = offset.expect("line") as u64;
    let clusters2 = clusters.clone();
    let w = rt
        .block_on(async move {
            let h = clusters2.get("c").expect("cluster");
            loaders::log_window(&h.rest, &jm_log(), offset, 100_000, 64 * 1024).await
        })
        .expect("window");
    assert!(
        w.first_line < 100_000 && w.first_line > 99_000,
        "{}",
        w.first_line
    );
    assert!(w.text.starts_with("2026-09-21"));
    let nth = (100_000 - w.first_line) as usize;
    assert!(w
        .text
        .lines()
        .nth(nth)
        .unwrap()
        .ends_with("message 0100000"));
    assert!(
        w.scanned < data.len() as u64,
        "stopped reading after the window"
    );

    // A pod's log is not streamed whole: said, not silently empty.
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let pod = LogFileRef {
        source: LogSource::Pod {
            pod: "p".into(),
            container: "c".into(),
        },
        name: LogName::Log,
        size: None,
        mtime: None,
    };
    rt.block_on(loaders::search_log(&clusters, "c", &pod, "x", move |e| {
        ev.lock().unwrap().push(e);
        async { true }
    }));
    assert!(
        matches!(&events.lock().unwrap()[..], [LogSearchEvent::Failed(m)] if m.contains("tail"))
    );
}

// ---- the viewer -------------------------------------------------------------------------------

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    let mods = if c == KeyCode::BackTab {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(c, mods))
}

fn requests(fx: &[Effect]) -> Vec<WorkerRequest> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Worker(r) => Some(r.clone()),
            Effect::Quit | Effect::Terminal(_) => None,
        })
        .collect()
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| app.draw(f)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for row in buf.content.chunks(w as usize) {
        for c in row {
            out.push_str(c.symbol());
        }
        out.push('\n');
    }
    out
}

/// The logs tab of one job showing the tail (lines 900,000 to 900,099) of a large file.
fn tail_app() -> App {
    let mut app = one_job_console(Theme::plain(), NOW, 120, 30);
    app.update(code(KeyCode::Enter));
    let reqs = requests(&app.update(code(KeyCode::BackTab)));
    let Some(WorkerRequest::LoadLogList { request, .. }) = reqs.first().cloned() else {
        panic!("{reqs:?}");
    };
    let reqs = requests(&app.update(Msg::Worker(WorkerReply::LogListLoaded {
        cluster: "c".into(),
        request,
        result: Ok(vec![jm_log()]),
    })));
    let Some(WorkerRequest::LoadLog { request, .. }) = reqs.first().cloned() else {
        panic!("{reqs:?}");
    };
    let text: String = (900_000..900_100).map(line).collect();
    app.update(Msg::Worker(WorkerReply::LogLoaded {
        cluster: "c".into(),
        file: jm_log(),
        request,
        result: Ok(LogTail {
            total_bytes: 1_000_000_000,
            truncated: true,
            text,
            archived_at_ms: None,
        }),
    }));
    app
}

#[test]
fn viewer_searches_the_whole_file_and_jumps_to_a_match() {
    let mut app = tail_app();
    let s = render(&app, 120, 30);
    assert!(s.contains("message 0900099"), "{s}");
    app.update(key('/'));
    for c in "needle".chars() {
        app.update(key(c));
    }
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let Some(WorkerRequest::SearchLog {
        pattern, request, ..
    }) = reqs.first().cloned()
    else {
        panic!("Enter starts the whole-file search: {reqs:?}");
    };
    assert_eq!(pattern, "needle");
    let s = render(&app, 120, 30);
    assert!(
        s.contains("no match") && s.contains("file: 0 so far"),
        "{s}"
    );

    // Progress, then two matches far before the tail, then the end.
    for event in [
        LogSearchEvent::Progress { scanned: 500_000 },
        LogSearchEvent::Found(vec![
            LogMatch {
                line: 3,
                offset: 300,
                text: "the needle at the start".into(),
            },
            LogMatch {
                line: 500_000,
                offset: 40_000_000,
                text: "a needle in the middle".into(),
            },
        ]),
        LogSearchEvent::Done {
            scanned: 1_000_000_000,
            lines: 1_000_000,
            matching_lines: 2,
            capped: false,
        },
    ] {
        app.update(Msg::Worker(WorkerReply::LogSearch { request, event }));
    }
    // Replies of another search are dropped.
    app.update(Msg::Worker(WorkerReply::LogSearch {
        request: request + 1000,
        event: LogSearchEvent::Failed("stale".into()),
    }));
    let s = render(&app, 120, 30);
    assert!(s.contains("file: 2 lines (n/N)"), "{s}");

    // n: the first match is not in the tail: a window around it is asked for.
    let reqs = requests(&app.update(key('n')));
    let Some(WorkerRequest::LoadLogWindow {
        offset,
        line,
        request: wreq,
        ..
    }) = reqs.first().cloned()
    else {
        panic!("n loads a window: {reqs:?}");
    };
    assert_eq!((offset, line), (300, 3));
    let mut window = String::new();
    for i in 0..10 {
        if i == 3 {
            window.push_str("the needle at the start, line four\n");
        } else {
            window.push_str(&format!("early line {i}\n"));
        }
    }
    // The window's offsets: line 3 starts at byte 300 of the file.
    let first_three: usize = window.lines().take(3).map(|l| l.len() + 1).sum();
    app.update(Msg::Worker(WorkerReply::LogWindowLoaded {
        cluster: "c".into(),
        file: jm_log(),
        request: wreq,
        result: Ok(LogWindow {
            text: window,
            start_offset: 300 - first_three as u64,
            first_line: 0,
            scanned: 10_000,
            at_end: false,
        }),
    }));
    let s = render(&app, 120, 30);
    assert!(s.contains("the needle at the start, line four"), "{s}");
    assert!(s.contains("match 1/2") || s.contains("1/2 lines"), "{s}");
    assert!(s.contains("lines 1–10 around a match"), "{s}");
    assert!(s.contains(" 4 the needle"), "absolute line numbers: {s}");

    // N wraps around to the last match: another window.
    let reqs = requests(&app.update(key('N')));
    assert!(
        matches!(
            &reqs[..],
            [WorkerRequest::LoadLogWindow {
                offset: 40_000_000,
                line: 500_000,
                ..
            }]
        ),
        "{reqs:?}"
    );
    // f goes back to following the end: the tail is loaded again.
    let reqs = requests(&app.update(key('f')));
    assert!(
        matches!(&reqs[..], [WorkerRequest::LoadLog { .. }]),
        "{reqs:?}"
    );
    // Esc clears the query.
    app.update(code(KeyCode::Esc));
    let s = render(&app, 120, 30);
    assert!(!s.contains("file:"), "{s}");
}

/// A file loaded whole needs no worker search.
#[test]
fn a_whole_file_is_searched_locally_only() {
    let mut app = tail_app();
    // Replace the tail by a complete small file (follow reload).
    let reqs = requests(&app.update(key('f')));
    let Some(WorkerRequest::LoadLog { request, .. }) = reqs.first().cloned() else {
        panic!("{reqs:?}");
    };
    app.update(Msg::Worker(WorkerReply::LogLoaded {
        cluster: "c".into(),
        file: jm_log(),
        request,
        result: Ok(LogTail {
            total_bytes: 12,
            truncated: false,
            text: "a needle\nb\n".into(),
            archived_at_ms: None,
        }),
    }));
    app.update(key('/'));
    app.update(key('x'));
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    assert!(reqs.is_empty(), "{reqs:?}");
}
