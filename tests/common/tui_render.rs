//! Drawing the console into a ratatui `TestBackend` and driving it with keys, for the snapshot
//! tests (`tui_snapshots`, `tui_alerts`, `tui_builds`): the buffer as text, keys as `Msg`s, the
//! worker requests an update asks for. Wall-clock times are formatted in UTC.
#![allow(dead_code)]

use std::sync::Once;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::WorkerRequest;
use flinkdeck::tui::{App, Effect, Msg};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::text::Span;
use ratatui::Terminal;

/// Makes "local time" UTC for every test of the binary.
pub fn utc() {
    static TZ: Once = Once::new();
    TZ.call_once(|| std::env::set_var("TZ", "UTC"));
}

/// The buffer as text: one line per row, trailing spaces trimmed, wide symbols counted once.
pub fn buffer_text(buf: &Buffer) -> String {
    let w = buf.area.width as usize;
    let mut out = String::new();
    if w == 0 {
        return out;
    }
    for row in buf.content.chunks(w) {
        let mut line = String::new();
        let mut skip = 0usize;
        for cell in row {
            if skip == 0 {
                line.push_str(cell.symbol());
            }
            skip = skip.max(Span::raw(cell.symbol()).width()).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One frame of `app` at `w`×`h`.
pub fn draw(app: &App, w: u16, h: u16) -> Buffer {
    utc();
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| app.draw(f)).expect("draw");
    term.backend().buffer().clone()
}

/// One frame of `app` as text.
pub fn render(app: &App, w: u16, h: u16) -> String {
    buffer_text(&draw(app, w, h))
}

/// A character key (upper case with SHIFT, as terminals send it).
pub fn key(c: char) -> Msg {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

/// A named key (BackTab with SHIFT).
pub fn code(c: KeyCode) -> Msg {
    let mods = if c == KeyCode::BackTab {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(c, mods))
}

/// The worker requests among `fx` (focus updates left out).
pub fn requests(fx: &[Effect]) -> Vec<WorkerRequest> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Worker(WorkerRequest::FocusJobs { .. }) => None,
            Effect::Worker(r) => Some(r.clone()),
            Effect::Quit | Effect::Terminal(_) => None,
        })
        .collect()
}
