//! The editor's debug run panel: what the run is (nothing is written to real systems), which
//! tables datagen replaced, how the run stands, the sinks, and the selected sink's rows as a
//! table (only the visible rows are built).

use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};
use ratatui::Frame;

use super::super::app::App;
use super::super::editor::{DebugRun, DebugSink, DebugStatus, EditorState, Pane};
use super::super::fmt::{clean, wrap_words};
use super::super::theme::Theme;
use super::{empty_message, panel, render_table, room_for_border, Col};

/// Widest a value column gets (longer values are cut by the table).
const MAX_COL_WIDTH: usize = 40;

/// The lines above the table.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Info {
    /// A row of the note (wrapped on two rows when there is room).
    Note(String),
    Replaced,
    Status,
    Sinks,
}

/// The panel's inside, when there is room for its border.
fn inner(area: Rect) -> Rect {
    if room_for_border(area) {
        area.inner(Margin::new(1, 1))
    } else {
        area
    }
}

fn note(run: &DebugRun) -> String {
    match &run.note {
        Some(n) => clean(n),
        None => "starting a debug run on fake data (nothing is written to real systems)…".into(),
    }
}

/// The lines shown above the table in `inner`: the status always; the note (what the run
/// does, that nothing is written) as soon as there are two lines, all of it when there is room.
fn infos(run: &DebugRun, inner: Rect) -> Vec<Info> {
    let sinks = !run.sinks.is_empty() || !matches!(run.status, DebugStatus::Failed(_));
    let mut out = Vec::new();
    match inner.height {
        0 => {}
        1 => out.push(Info::Status),
        h => {
            let mut rows = wrap_words(&note(run), inner.width as usize);
            rows.truncate(if h >= 8 { 2 } else { 1 });
            out.extend(rows.into_iter().map(Info::Note));
            if h >= 7 {
                out.push(Info::Replaced);
            }
            out.push(Info::Status);
            if sinks {
                out.push(Info::Sinks);
            }
        }
    }
    out
}

/// The table's area (header included) inside the panel `area`.
fn table_area(run: &DebugRun, area: Rect) -> Rect {
    let inner = inner(area);
    let n = (infos(run, inner).len() as u16).min(inner.height);
    Rect::new(
        inner.x,
        inner.y + n,
        inner.width,
        inner.height.saturating_sub(n),
    )
}

/// How many rows of the table fit in the panel `area` (without its header).
pub(crate) fn debug_table_rows(ed: &EditorState, area: Rect) -> usize {
    match &ed.debug {
        Some(run) => table_area(run, area).height.saturating_sub(1) as usize,
        None => 0,
    }
}

fn replaced_line(t: &Theme, run: &DebugRun) -> Line<'static> {
    if run.replaced.is_empty() {
        let text = if run.running() {
            ""
        } else {
            "no table was replaced"
        };
        return Line::from(Span::styled(text, t.dim));
    }
    let mut spans = vec![Span::styled("replaced: ", t.dim)];
    for (i, (table, connector)) in run.replaced.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(", ", t.dim));
        }
        spans.push(Span::styled(table.clone(), t.base));
        spans.push(Span::styled(format!(" (was {connector})"), t.dim));
    }
    Line::from(spans)
}

fn received(run: &DebugRun) -> u64 {
    run.sinks.iter().map(|s| s.received).sum()
}

fn status_line(t: &Theme, run: &DebugRun) -> Line<'static> {
    match &run.status {
        DebugStatus::Running => Line::from(Span::styled(
            format!(
                "running… {} rows so far (stops after {} s or {} rows)",
                received(run),
                run.seconds,
                run.rows_limit
            ),
            t.dim,
        )),
        DebugStatus::Done { ok, rows, stopped } => Line::from(Span::styled(
            format!("done: {rows} rows (stopped: {})", clean(stopped)),
            if *ok { t.ok } else { t.warning },
        )),
        DebugStatus::Failed(reason) => Line::from(Span::styled(
            format!("failed: {}", clean(reason.lines().next().unwrap_or(""))),
            t.error,
        )),
    }
}

/// `first-last of n` of the visible rows, and how many were dropped.
fn position(sink: &DebugSink, scroll: usize, visible: usize) -> String {
    let n = sink.rows.len();
    let mut text = if n == 0 {
        "no rows yet".to_string()
    } else {
        format!(
            "rows {}-{} of {n}",
            scroll + 1,
            (scroll + visible.max(1)).min(n)
        )
    };
    if sink.received > n as u64 {
        text.push_str(&format!(" (the newest of {} received)", sink.received));
    }
    if sink.col_off > 0 {
        text.push_str(&format!(
            " · from column {} of {}",
            sink.col_off + 1,
            sink.width()
        ));
    }
    text
}

fn sinks_line(t: &Theme, run: &DebugRun, visible: usize) -> Line<'static> {
    if run.sinks.is_empty() {
        return Line::from(Span::styled("sinks: none yet", t.dim));
    }
    let sel = run.sink_sel.min(run.sinks.len() - 1);
    let mut spans = vec![Span::styled("sinks: ", t.dim)];
    for (i, s) in run.sinks.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", t.dim));
        }
        // Brackets mark the selected sink without colours too.
        let (style, open, close) = if i == sel {
            (t.tab_active, "[", "]")
        } else {
            (t.tab_inactive, " ", " ")
        };
        spans.push(Span::styled(
            format!("{open}{} ({}){close}", s.name, s.received),
            style,
        ));
    }
    if let Some(s) = run.selected() {
        let scroll = s.scroll.min(s.rows.len().saturating_sub(visible));
        spans.push(Span::styled(
            format!("  · {}", position(s, scroll, visible)),
            t.dim,
        ));
    }
    Line::from(spans)
}

fn kind_style(t: &Theme, kind: &str) -> Style {
    match kind {
        "+I" | "+U" => t.diff_added,
        "-U" | "-D" => t.diff_removed,
        _ => t.base,
    }
}

fn draw_table(app: &App, sink: &DebugSink, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let visible = area.height.saturating_sub(1) as usize;
    let max = sink.rows.len().saturating_sub(visible);
    let scroll = sink.scroll.min(max);
    let first = sink.col_off.min(sink.width().saturating_sub(1));
    let ncols = sink.width().saturating_sub(first);
    let mut widths = vec![0usize; ncols];
    let mut rows = Vec::with_capacity(visible);
    for r in sink.rows.iter().skip(scroll).take(visible) {
        let mut cells = vec![Cell::from(Span::styled(
            r.kind.clone(),
            kind_style(t, &r.kind),
        ))];
        for (i, w) in widths.iter_mut().enumerate() {
            let v = r.values.get(first + i).map(String::as_str).unwrap_or("");
            *w = (*w).max(Span::raw(v).width());
            cells.push(Cell::from(v.to_string()));
        }
        rows.push((cells, Style::default()));
    }
    let mut cols = vec![Col::new("OP", 2, 0)];
    for (i, w) in widths.into_iter().enumerate() {
        let title = clean(&sink.column(first + i));
        cols.push(Col::new(
            title,
            w.clamp(1, MAX_COL_WIDTH),
            (i + 1).min(u8::MAX as usize) as u8,
        ));
    }
    render_table(app, frame, area, &cols, rows, None);
    if sink.rows.is_empty() && area.height > 1 {
        let rest = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
        empty_message(app, frame, rest, "no rows yet");
    }
}

pub(crate) fn draw_debug(app: &App, ed: &EditorState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(run) = ed.debug.as_ref() else {
        return;
    };
    if area.width == 0 || area.height == 0 {
        return;
    }
    if room_for_border(area) {
        let title = vec![
            Span::styled(" Debug run ", t.title),
            Span::styled(
                format!(
                    "· {} · {} s, at most {} rows ",
                    clean(ed.name()),
                    run.seconds,
                    run.rows_limit
                ),
                t.dim,
            ),
        ];
        frame.render_widget(panel(app, Line::from(title), ed.pane == Pane::Debug), area);
    }
    let inner = inner(area);
    let table = table_area(run, area);
    let visible = table.height.saturating_sub(1) as usize;
    let note_style = if run.note.is_some() { t.ok } else { t.dim };
    let rows = inner.height as usize;
    for (i, info) in infos(run, inner).into_iter().take(rows).enumerate() {
        let line = match info {
            Info::Note(text) => Line::from(Span::styled(text, note_style)),
            Info::Replaced => replaced_line(t, run),
            Info::Status => status_line(t, run),
            Info::Sinks => sinks_line(t, run, visible),
        };
        let row = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
        frame.render_widget(Paragraph::new(line), row);
    }
    if table.height == 0 {
        return;
    }
    match (run.selected(), &run.status) {
        (Some(sink), _) => draw_table(app, sink, frame, table),
        (None, DebugStatus::Failed(reason)) => {
            // The rest of the reason, wrapped (the status line has its first line, all of it
            // when it fits).
            let first = reason.lines().next().unwrap_or("");
            let fits =
                Span::raw(format!("failed: {}", clean(first))).width() <= inner.width as usize;
            let lines: Vec<Line> = reason
                .lines()
                .skip(usize::from(fits))
                .flat_map(|l| wrap_words(&clean(l), table.width as usize))
                .map(|l| Line::from(Span::styled(l, t.error)))
                .collect();
            frame.render_widget(Paragraph::new(lines), table);
        }
        (None, DebugStatus::Running) => empty_message(app, frame, table, "waiting for rows…"),
        (None, DebugStatus::Done { .. }) => {
            empty_message(app, frame, table, "no sink produced rows")
        }
    }
}
