//! Property tests: no panic on any input for config parsing, app specs, every Flink REST response
//! decoder (with its mapping to domain types) and the log viewer's renderer. Case counts are
//! bounded so the file runs in seconds.

#[path = "common/one_job_console.rs"]
mod one_job_console;

use one_job_console::one_job_console;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::*;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, Effect, Msg};
use proptest::prelude::*;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde_json::Value;

// ---- config and app specs -------------------------------------------------------------------

/// Lines that look like flinkdeck config: known tables and keys with values of any type.
fn config_like() -> impl Strategy<Value = String> {
    let table = prop::sample::select(vec![
        "[ui]",
        "[logs]",
        "[[clusters]]",
        "[[flink]]",
        "[kubernetes]",
        "[secret_vars]",
        "[vars]",
        "[clusters.auth]",
        "[[clusters.kubernetes]]",
        "[ui.theme]",
    ]);
    let key = prop::sample::select(vec![
        "name",
        "url",
        "kind",
        "timeout",
        "refresh",
        "readonly",
        "token",
        "token_env",
        "password",
        "username",
        "ca_cert",
        "insecure_skip_verify",
        "max_bytes",
        "version",
        "home",
        "namespace",
        "namespaces",
        "context",
        "theme",
        "tail",
        "archive",
        "x",
    ]);
    let value = prop_oneof![
        Just("\"\"".to_string()),
        "\"[ -~]{0,20}\"",
        Just("\"http://127.0.0.1:8081\"".to_string()),
        Just("\"5s\"".to_string()),
        Just("\"1 MiB\"".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("[]".to_string()),
        Just("[\"a\", 1]".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("1.5e300".to_string()),
    ];
    let line = prop_oneof![
        table.prop_map(String::from),
        (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        "[ -~]{0,30}",
    ];
    prop::collection::vec(line, 0..25).prop_map(|l| l.join("\n"))
}

/// Lines that look like an app spec.
fn app_spec_like() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "name",
        "cluster",
        "kind",
        "sql",
        "sql_file",
        "jar_file",
        "entry_class",
        "args",
        "parallelism",
        "savepoint_dir",
        "allow_non_restored_state",
        "upgrade",
        "options",
        "vars",
        "description",
        "x",
    ]);
    let value = prop_oneof![
        "\"[ -~]{0,20}\"",
        Just("\"sql\"".to_string()),
        Just("\"jar\"".to_string()),
        Just("\"SELECT 1;\"".to_string()),
        any::<i32>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("[\"--a\", \"b\"]".to_string()),
        Just("{ \"k\" = \"v\" }".to_string()),
    ];
    let line = prop_oneof![
        (key, value).prop_map(|(k, v)| format!("{k} = {v}")),
        Just("[options]".to_string()),
        Just("[vars]".to_string()),
        "[ -~]{0,30}",
    ];
    prop::collection::vec(line, 0..15).prop_map(|l| l.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn config_from_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = flinkdeck::config::Config::from_str_named(&text, Path::new("/nonexistent/c.toml"));
    }

    #[test]
    fn config_from_config_like_text_never_panics(text in config_like()) {
        if let Err(e) = flinkdeck::config::Config::from_str_named(&text, Path::new("/nonexistent/c.toml")) {
            let _ = e.to_string();
        }
    }

    #[test]
    fn app_spec_from_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = flinkdeck::config::app_spec::parse_app_spec(&text, Path::new("/nonexistent/app.toml"));
    }

    #[test]
    fn app_spec_from_spec_like_text_never_panics(text in app_spec_like()) {
        if let Err(e) = flinkdeck::config::app_spec::parse_app_spec(&text, Path::new("/nonexistent/app.toml")) {
            let _ = e.to_string();
        }
    }
}

// ---- Flink REST decoders ---------------------------------------------------------------------

/// Field names Flink's answers use (and flinkdeck reads), so generated objects hit the decoders'
/// real paths, with values of every shape.
const FIELDS: &[&str] = &[
    "jobs",
    "jid",
    "id",
    "name",
    "state",
    "status",
    "start-time",
    "end-time",
    "duration",
    "last-modification",
    "tasks",
    "total",
    "running",
    "vertices",
    "parallelism",
    "metrics",
    "counts",
    "completed",
    "failed",
    "in_progress",
    "restored",
    "latest",
    "history",
    "savepoint",
    "external_path",
    "trigger_timestamp",
    "latest_ack_timestamp",
    "state_size",
    "checkpointed_size",
    "end_to_end_duration",
    "is_savepoint",
    "checkpoint_type",
    "root-exception",
    "all-exceptions",
    "exceptionHistory",
    "entries",
    "exceptionName",
    "stacktrace",
    "timestamp",
    "taskName",
    "location",
    "truncated",
    "logs",
    "size",
    "mtime",
    "taskmanagers",
    "slotsNumber",
    "freeSlots",
    "flink-version",
    "flink-revision",
    "slots-total",
    "slots-available",
    "jobs-running",
    "request-id",
    "operation",
    "failure-cause",
    "stack-trace",
    "files",
    "filename",
    "jobid",
    "value",
    "min",
    "max",
    "avg",
    "sum",
    "job-type",
    "maxParallelism",
    "failure_message",
    "failure_timestamp",
    "concurrentExceptions",
    "failureLabels",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        Just(Value::String("RUNNING".into())),
        Just(Value::String("COMPLETED".into())),
        Just(Value::String("-1".into())),
        Just(Value::String("1e400".into())),
        Just(Value::String("NaN".into())),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        4 => prop::sample::select(FIELDS).prop_map(String::from),
                        1 => "[a-z-]{0,8}",
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn fixtures() -> Vec<Value> {
    let mut out = Vec::new();
    for version in ["flink-1.20.5", "flink-2.3.0"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(version);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("fixtures")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        entries.sort();
        for p in entries {
            let text = std::fs::read_to_string(&p).expect("fixture");
            if let Ok(v) = serde_json::from_str(&text) {
                out.push(v);
            }
        }
    }
    out
}

/// Every node of `v`, depth first, as a mutable reference to replace.
fn node_count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(node_count).sum(),
        Value::Object(o) => o.values().map(node_count).sum(),
        _ => 0,
    }
}

fn replace_node(v: &mut Value, mut index: usize, with: Value) {
    fn go(v: &mut Value, index: &mut usize, with: &mut Option<Value>) {
        if *index == 0 {
            if let Some(w) = with.take() {
                *v = w;
            }
            return;
        }
        *index -= 1;
        match v {
            Value::Array(a) => a.iter_mut().for_each(|c| go(c, index, with)),
            Value::Object(o) => o.values_mut().for_each(|c| go(c, index, with)),
            _ => {}
        }
    }
    let mut with = Some(with);
    go(v, &mut index, &mut with);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_decoder_survives_arbitrary_json(v in json_value()) {
        let body = serde_json::to_vec(&v).expect("serializes");
        let _ = flinkdeck::flink::fuzz::decode_every_response(&body);
    }

    #[test]
    fn every_decoder_survives_arbitrary_bytes(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = flinkdeck::flink::fuzz::decode_every_response(&body);
    }

    /// Real answers of Flink 1.20 and 2.3 with one node (anywhere, the root too) replaced by a
    /// value of any shape.
    #[test]
    fn every_decoder_survives_mutated_real_answers(
        pick in any::<prop::sample::Index>(),
        node in any::<prop::sample::Index>(),
        with in json_value(),
    ) {
        let all = fixtures();
        let mut v = all[pick.index(all.len())].clone();
        let n = node_count(&v);
        replace_node(&mut v, node.index(n), with);
        let body = serde_json::to_vec(&v).expect("serializes");
        let _ = flinkdeck::flink::fuzz::decode_every_response(&body);
    }
}

#[test]
fn real_answers_decode() {
    for v in fixtures() {
        let body = serde_json::to_vec(&v).expect("serializes");
        assert!(flinkdeck::flink::fuzz::decode_every_response(&body) > 0);
    }
}

// ---- the log viewer --------------------------------------------------------------------------

const NOW: i64 = 1_790_000_000_000;

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

/// A console on one job's log tab showing `tail`.
fn log_app(tail: LogTail, w: u16, h: u16) -> App {
    let mut app = one_job_console(Theme::default(), NOW, w, h);
    app.update(code(KeyCode::Enter));
    let mut pending = requests(&app.update(code(KeyCode::BackTab)));
    let mut tail = Some(tail);
    while let Some(r) = pending.pop() {
        let reply = match r {
            WorkerRequest::LoadLogList { cluster, request } => WorkerReply::LogListLoaded {
                cluster,
                request,
                result: Ok(vec![LogFileRef {
                    source: LogSource::JobManager,
                    name: LogName::Log,
                    size: None,
                    mtime: None,
                }]),
            },
            WorkerRequest::LoadLog {
                cluster,
                file,
                request,
                ..
            } => match tail.take() {
                Some(t) => WorkerReply::LogLoaded {
                    cluster,
                    file,
                    request,
                    result: Ok(t),
                },
                None => continue,
            },
            _ => continue,
        };
        pending.extend(requests(&app.update(Msg::Worker(reply))));
    }
    app
}

/// Draws and returns every cell's symbol; panics on a control character reaching the buffer.
pub fn drawn(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| app.draw(f)).expect("draw");
    let buf = term.backend().buffer();
    let mut out = String::new();
    for cell in &buf.content {
        let s = cell.symbol();
        assert!(
            !s.chars().any(|c| c.is_control()),
            "a control character reached the screen: {s:?}"
        );
        out.push_str(s);
    }
    out
}

/// Log-ish bytes: text, escape sequences, invalid UTF-8, tabs, carriage returns, long runs.
fn log_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        "[ -~]{0,40}".prop_map(|s| s.into_bytes()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\x1b[31mERROR\x1b[0m".to_vec()),
        Just(b"\x1b]0;title\x07".to_vec()),
        Just(b"\x1b[2J\x1b[H".to_vec()),
        Just(b"\x1b[?1049l".to_vec()),
        Just(b"\x1b".to_vec()),
        Just(b"\x1b[".to_vec()),
        Just("\u{9b}31m".as_bytes().to_vec()),
        Just(vec![0xff, 0xfe, 0xc3]),
        Just("é漢字🙂".as_bytes().to_vec()),
        Just("\u{200b}\u{301}".as_bytes().to_vec()),
        (1usize..3000).prop_map(|n| vec![b'x'; n]),
        prop::collection::vec(any::<u8>(), 0..30),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn log_viewer_draws_any_bytes_inert(
        bytes in log_bytes(),
        w in 0u16..130,
        h in 0u16..40,
        needle in "[a-zA-Z\\[]{0,3}",
    ) {
        let tail = flinkdeck::flink::tail_of(&bytes, 4 * 1024 * 1024, 4096);
        let mut app = log_app(tail, w, h);
        let _ = drawn(&app, w, h);
        app.update(key('w'));
        let _ = drawn(&app, w, h);
        app.update(key('/'));
        for c in needle.chars() {
            app.update(key(c));
        }
        app.update(code(KeyCode::Enter));
        let _ = drawn(&app, w, h);
        for m in [key('n'), key('N'), key('g'), key('G'), key('k'), key('w')] {
            app.update(m);
            let _ = drawn(&app, w, h);
        }
    }
}
