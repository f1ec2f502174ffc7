//! `cargo bench --bench editor`: key-to-frame time of the SQL editor on a 10,000-line script:
//! `App::update(key)` plus drawing the frame into a 120×40 `TestBackend`, per key, for several
//! kinds of keys (moving, typing, new lines, jumps, undo). Median, 95th percentile and maximum
//! over `FLINKDECK_BENCH_KEYS` keys (default 400) per kind.
//!
//! Numbers go to stdout; no assertion on them (speed goals live in benchmarks, not tests).

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::{AppKind, AppSpec, AppVersion, WorkerReply, WorkerRequest};
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, EditorTarget, Effect, Msg};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const LINES: usize = 10_000;
const WIDTH: u16 = 120;
const HEIGHT: u16 = 40;

/// A realistic script of `LINES` lines: tables with comments, a block comment over several
/// lines, hints, strings with variables, statement sets.
fn script() -> String {
    let block = |i: usize| {
        format!(
            "-- part {i}: orders enriched with customers
/* customers come from the CDC topic;
   keys are stable across restarts */
CREATE TEMPORARY TABLE orders_{i} (
    order_id   BIGINT,
    customer   STRING,
    price      DECIMAL(10, 2),
    ts         TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
    'connector' = 'kafka',
    'topic' = 'orders-{i}',
    'properties.bootstrap.servers' = '${{kafka.brokers}}',
    'format' = 'json'
);
INSERT INTO sink_{i} SELECT /*+ OPTIONS('sink.parallelism'='4') */
    order_id, UPPER(customer), ROUND(price * 1.19, 2), 'it''s', ts
FROM orders_{i} WHERE price > 0.5e1;
"
        )
    };
    let mut text = String::new();
    let mut i = 0;
    while text.lines().count() < LINES {
        text.push_str(&block(i));
        i += 1;
    }
    text.lines().take(LINES).collect::<Vec<_>>().join("\n") + "\n"
}

fn key(code: KeyCode) -> Msg {
    let mods = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    Msg::Key(KeyEvent::new(code, mods))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// The editor opened on app `bench` whose current version is the script.
fn editor() -> (App, Terminal<TestBackend>) {
    let opts = AppOptions {
        start_in_editor: Some(EditorTarget::App("bench".into())),
        ..AppOptions::default()
    };
    let mut app = App::new(vec![], Theme::default(), Keymap::builtin(), opts, 0);
    let fx = app.update(Msg::Resize(WIDTH, HEIGHT));
    let request = fx
        .iter()
        .find_map(|e| match e {
            Effect::Worker(WorkerRequest::LoadAppVersions { request, .. }) => Some(*request),
            _ => None,
        })
        .expect("the editor loads the app");
    let spec = AppSpec {
        sql: Some(script()),
        ..AppSpec::new("bench", "local", AppKind::Sql)
    };
    app.update(Msg::Worker(WorkerReply::AppVersionsLoaded {
        app: "bench".into(),
        request,
        result: Ok(vec![AppVersion {
            app: "bench".into(),
            version: 1,
            created_at: 0,
            author: "bench".into(),
            message: None,
            spec,
        }]),
        latest_run: None,
    }));
    let mut term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("terminal");
    term.draw(|f| app.draw(f)).expect("draw");
    (app, term)
}

/// Sends the keys one by one, timing each key's update and frame.
fn time_keys(app: &mut App, term: &mut Terminal<TestBackend>, keys: &[Msg]) -> Vec<Duration> {
    keys.iter()
        .map(|k| {
            let t = Instant::now();
            app.update(k.clone());
            term.draw(|f| app.draw(f)).expect("draw");
            t.elapsed()
        })
        .collect()
}

fn report(what: &str, mut v: Vec<Duration>) {
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q) as usize];
    println!(
        "  {what:<44} median {:>9.2?}  p95 {:>9.2?}  max {:>9.2?}  ({} keys)",
        at(0.5),
        at(0.95),
        v[v.len() - 1],
        v.len()
    );
}

fn goto(app: &mut App, line: usize) {
    app.update(ch(':'));
    for c in line.to_string().chars() {
        app.update(ch(c));
    }
    app.update(key(KeyCode::Enter));
}

fn main() {
    let n: usize = std::env::var("FLINKDECK_BENCH_KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let t = Instant::now();
    let (mut app, mut term) = editor();
    println!(
        "SQL editor, {LINES}-line script, {WIDTH}x{HEIGHT} frame (open: load + first frame {:.2?})",
        t.elapsed()
    );

    goto(&mut app, LINES / 2);
    let down: Vec<Msg> = (0..n).map(|_| ch('j')).collect();
    report(
        "j (move down, scrolls)",
        time_keys(&mut app, &mut term, &down),
    );

    let page: Vec<Msg> = (0..n).map(|_| key(KeyCode::PageDown)).collect();
    goto(&mut app, 1);
    report(
        "pagedown (new lines every frame)",
        time_keys(&mut app, &mut term, &page[..n.min(LINES / 40)]),
    );

    goto(&mut app, LINES / 2);
    app.update(ch('A'.to_ascii_lowercase()));
    let typing: Vec<Msg> = "SELECT price FROM t WHERE x > 1 -- ok "
        .chars()
        .cycle()
        .take(n)
        .map(ch)
        .collect();
    report(
        "typing in insert mode (line re-highlighted)",
        time_keys(&mut app, &mut term, &typing),
    );

    let enters: Vec<Msg> = (0..n).map(|_| key(KeyCode::Enter)).collect();
    report(
        "enter in insert mode (lines below move)",
        time_keys(&mut app, &mut term, &enters[..n.min(200)]),
    );
    app.update(key(KeyCode::Esc));

    let jumps: Vec<Msg> = (0..n).flat_map(|_| [ch('G'), ch('g'), ch('g')]).collect();
    report(
        "G / gg (jumps across the file)",
        time_keys(&mut app, &mut term, &jumps[..n.min(300)]),
    );

    // Comment out the top of the file: every line below changes its highlighting state.
    goto(&mut app, 1);
    app.update(ch('i'));
    let open_comment = time_keys(&mut app, &mut term, &[ch('/'), ch('*')]);
    app.update(key(KeyCode::Esc));
    app.update(ch('G'));
    report(
        "/* at line 1, then G (states of all lines)",
        [open_comment, time_keys(&mut app, &mut term, &[ch('G')])].concat(),
    );

    let undo: Vec<Msg> = (0..n).map(|_| ch('u')).collect();
    report("u (undo)", time_keys(&mut app, &mut term, &undo));
}
