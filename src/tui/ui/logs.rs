//! The logs tab: file list on the left, the tail of the chosen file on the right (only visible
//! lines are rendered), search bar, follow and wrap.

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::domain::time::{format_age, format_bytes, format_timestamp};
use crate::domain::{LogFileRef, LogSource};

use super::super::app::App;
use super::super::detail::DetailState;
use super::super::fmt::{clean, first_line};
use super::super::logs::{match_ranges, render_line, wrapped_rows, LogFocus, LogsState};
use super::{empty_message, panel, room_for_border, scroll_offset, SELECTED_MARK};

pub(crate) struct LogsAreas {
    pub list: Rect,
    pub content: Rect,
    pub text: Rect,
    pub gutter: Rect,
    pub search: Rect,
}

fn gutter_width(logs: &LogsState) -> u16 {
    let Some(t) = logs.content.data.as_ref().filter(|t| t.line_count() > 0) else {
        return 0;
    };
    t.line_number(t.line_count() - 1).to_string().len() as u16 + 1
}

pub(crate) fn areas(_app: &App, d: &DetailState, body: Rect) -> LogsAreas {
    let logs = &d.logs;
    let (list, content) = if body.width >= 50 {
        let w = (body.width / 3).clamp(20, 40);
        let [l, c] = Layout::horizontal([Constraint::Length(w), Constraint::Min(0)]).areas(body);
        (l, c)
    } else if logs.focus == LogFocus::List {
        (body, Rect::new(body.x, body.y, 0, 0))
    } else {
        (Rect::new(body.x, body.y, 0, 0), body)
    };
    let inner = if room_for_border(content) {
        content.inner(Margin::new(1, 1))
    } else {
        content
    };
    let want_search = (logs.typing || !logs.query.is_empty()) && inner.height >= 2;
    let [text_row, search] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(u16::from(want_search)),
    ])
    .areas(inner);
    let gw = if text_row.width >= 30 {
        gutter_width(logs)
    } else {
        0
    };
    let [gutter, text] =
        Layout::horizontal([Constraint::Length(gw), Constraint::Min(0)]).areas(text_row);
    LogsAreas {
        list,
        content,
        text,
        gutter,
        search,
    }
}

/// The first line to show so that the end of the file is at the bottom of the view.
pub(crate) fn log_bottom_top(logs: &LogsState, width: usize, height: usize) -> usize {
    let Some(t) = logs.content.data.as_ref() else {
        return 0;
    };
    let n = t.line_count();
    if n == 0 {
        return 0;
    }
    if !logs.wrap {
        return n.saturating_sub(height.max(1));
    }
    let mut rows = 0;
    let mut i = n;
    while i > 0 {
        let r = wrapped_rows(t.line(i - 1), width, height + 1);
        if rows + r > height {
            break;
        }
        rows += r;
        i -= 1;
    }
    i.min(n - 1)
}

pub(crate) fn draw(app: &App, d: &DetailState, frame: &mut Frame, body: Rect) {
    let a = areas(app, d, body);
    draw_list(app, d, frame, a.list);
    draw_content(app, d, frame, &a);
}

fn draw_list(app: &App, d: &DetailState, frame: &mut Frame, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let t = &app.theme;
    let logs = &d.logs;
    let inner = if room_for_border(area) {
        frame.render_widget(panel(app, " Files ", logs.focus == LogFocus::List), area);
        area.inner(Margin::new(1, 1))
    } else {
        area
    };
    let files = logs.files();
    if files.is_empty() {
        let msg = match (
            &logs.list.error,
            logs.list.loading() || logs.list.sent_at.is_none(),
        ) {
            (Some(e), _) => format!("error: {}", clean(first_line(e))),
            (None, true) => "loading…".into(),
            (None, false) => "no log files".into(),
        };
        let style = if logs.list.error.is_some() {
            t.error
        } else {
            t.dim
        };
        frame.render_widget(
            Paragraph::new(Line::from(Span::styled(msg, style)))
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    let mut inner = inner;
    if let Some(e) = &logs.list.error {
        frame.render_widget(
            Line::from(Span::styled(
                format!("error: {}", clean(first_line(e))),
                t.error,
            )),
            Rect { height: 1, ..inner },
        );
        inner.y += 1;
        inner.height = inner.height.saturating_sub(1);
    }
    // Files grouped by process: a header line per process (per pod: its containers' logs are
    // listed under it as `<container> log`, `<container> previous`), then its files.
    let group = |f: &LogFileRef| match &f.source {
        LogSource::Pod { pod, .. } => format!("pod {pod}"),
        other => other.to_string(),
    };
    let mut rows: Vec<(Option<usize>, Line<'static>)> = Vec::with_capacity(files.len() * 2);
    let mut last_group = None;
    for (i, f) in files.iter().enumerate() {
        let g = group(f);
        if last_group.as_ref() != Some(&g) {
            rows.push((None, Line::from(Span::styled(clean(&g), t.header))));
            last_group = Some(g);
        }
        let sel = i == logs.list_sel;
        let open = logs
            .file
            .as_ref()
            .is_some_and(|o| super::super::app::same_log(o, f));
        let mark = if sel { SELECTED_MARK } else { "  " };
        let label = match &f.source {
            LogSource::Pod { container, .. } => format!("{container} {}", f.name),
            _ => f.name.to_string(),
        };
        let mut spans = vec![
            Span::raw(mark),
            Span::styled(clean(&label), if open { t.title } else { t.base }),
        ];
        if let Some(s) = f.size {
            spans.push(Span::styled(format!("  {}", format_bytes(s as i64)), t.dim));
        }
        let line = Line::from(spans);
        let line = if sel && logs.focus == LogFocus::List {
            line.style(t.selected)
        } else {
            line
        };
        rows.push((Some(i), line));
    }
    let visible = inner.height as usize;
    let sel_row = rows
        .iter()
        .position(|(i, _)| *i == Some(logs.list_sel))
        .unwrap_or(0);
    let mut offset = scroll_offset(logs.list_offset.get(), sel_row, visible, rows.len());
    // Keep the process header of the selected file in view when scrolling up to it.
    if offset == sel_row && offset > 0 && visible >= 2 && rows[offset - 1].0.is_none() {
        offset -= 1;
    }
    logs.list_offset.set(offset);
    let lines: Vec<Line> = rows
        .into_iter()
        .skip(offset)
        .take(visible)
        .map(|(_, l)| l)
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn content_title(app: &App, logs: &LogsState) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" ", t.title)];
    // From flinkdeck's archive (the pod or container is gone): said first, so that it shows
    // however long the rest of the title is.
    if let Some(at) = logs
        .content
        .data
        .as_ref()
        .and_then(|d| d.tail.archived_at_ms)
    {
        spans.push(Span::styled(
            format!(
                "ARCHIVED {} ({})",
                format_timestamp(at),
                format_age(app.now_ms, Some(at))
            ),
            t.warning,
        ));
        spans.push(Span::styled(" · ", t.dim));
    }
    let shown = logs
        .content
        .data
        .as_ref()
        .map(|d| &d.file)
        .or(logs.file.as_ref());
    match shown {
        None => spans.push(Span::styled("Log", t.title)),
        Some(f) => spans.push(Span::styled(clean(&f.label()), t.title)),
    }
    if let Some(text) = logs
        .content
        .data
        .as_ref()
        .filter(|t| t.first_line.is_some())
    {
        spans.push(Span::styled(
            format!(
                " · lines {}–{} around a match (f follows the end)",
                text.line_number(0),
                text.line_number(text.line_count().saturating_sub(1))
            ),
            t.dim,
        ));
    } else if let Some(text) = &logs.content.data {
        let mut info = format!(" · {}", format_bytes(text.tail.total_bytes as i64));
        if text.tail.truncated {
            info.push_str(&format!(
                " (last {} shown)",
                format_bytes(text.tail.text.len() as i64)
            ));
        }
        spans.push(Span::styled(info, t.dim));
    }
    if logs.follow {
        spans.push(Span::styled(" · following", t.ok));
    }
    if logs.wrap {
        spans.push(Span::styled(" · wrap", t.dim));
    }
    if let (Some(e), true) = (&logs.content.error, logs.content.data.is_some()) {
        spans.push(Span::styled(
            format!(" · error: {}", clean(first_line(e))),
            t.error,
        ));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

fn draw_content(app: &App, d: &DetailState, frame: &mut Frame, a: &LogsAreas) {
    let t = &app.theme;
    let logs = &d.logs;
    if a.content.width == 0 || a.content.height == 0 {
        return;
    }
    if room_for_border(a.content) {
        frame.render_widget(
            panel(
                app,
                content_title(app, logs),
                logs.focus == LogFocus::Content,
            ),
            a.content,
        );
    }
    draw_search(app, logs, frame, a.search);
    let area = Rect {
        x: a.gutter.x,
        width: a.gutter.width + a.text.width,
        ..a.text
    };
    let Some(text) = logs.content.data.as_ref() else {
        let msg = match (&logs.content.error, &logs.file) {
            (Some(e), _) => format!("error: {}", clean(first_line(e))),
            (None, None) if logs.list.data.is_some() => "choose a file".into(),
            (None, _) => "loading…".into(),
        };
        let style = if logs.content.error.is_some() {
            t.error
        } else {
            t.dim
        };
        if logs.content.error.is_some() {
            frame.render_widget(Line::from(Span::styled(msg, style)), area);
        } else {
            empty_message(app, frame, area, &msg);
        }
        return;
    };
    if text.line_count() == 0 {
        empty_message(app, frame, area, "empty file");
        return;
    }
    let width = a.text.width as usize;
    let height = a.text.height as usize;
    if width == 0 || height == 0 {
        return;
    }
    let bottom = log_bottom_top(logs, width, height);
    let top = logs.scroll.unwrap_or(bottom).min(bottom);
    let current_line = logs.current.and_then(|c| logs.matches.get(c)).copied();
    let mut text_lines: Vec<Line> = Vec::with_capacity(height);
    let mut gutter_lines: Vec<Line> = Vec::with_capacity(height);
    let mut i = top;
    while text_lines.len() < height && i < text.line_count() {
        let line = text.line(i);
        let ranges = if logs.query.is_empty() {
            Vec::new()
        } else {
            match_ranges(line, &logs.query)
        };
        let rows = render_line(
            line,
            &ranges,
            t.base,
            t.search_match,
            width,
            logs.wrap,
            height - text_lines.len(),
        );
        let is_current = current_line == Some(i);
        for (k, row) in rows.into_iter().enumerate() {
            let num = if k == 0 {
                format!(
                    "{:>w$} ",
                    text.line_number(i),
                    w = (a.gutter.width as usize).saturating_sub(1)
                )
            } else {
                String::new()
            };
            gutter_lines.push(Line::from(Span::styled(
                num,
                if is_current { t.search_match } else { t.gutter },
            )));
            text_lines.push(row);
        }
        i += 1;
    }
    if a.gutter.width > 0 {
        frame.render_widget(Paragraph::new(gutter_lines), a.gutter);
    }
    frame.render_widget(Paragraph::new(text_lines), a.text);
}

fn draw_search(app: &App, logs: &LogsState, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    let mut spans = vec![
        Span::styled("/", t.key_hint),
        Span::styled(clean(&logs.query), t.base),
    ];
    if logs.typing {
        spans.push(Span::styled("█", t.key_hint));
    }
    if !logs.query.is_empty() {
        let info = if logs.matches.is_empty() {
            Span::styled("  no match", t.error)
        } else {
            let cur = logs
                .current
                .map(|c| (c + 1).to_string())
                .unwrap_or_else(|| "-".into());
            Span::styled(format!("  match {cur}/{} lines", logs.matches.len()), t.dim)
        };
        spans.push(info);
    }
    let deep = &logs.deep;
    if deep.active_for(&logs.query) {
        let found = deep.matches.len();
        let cur = deep
            .current
            .map(|c| format!("{}/", c + 1))
            .unwrap_or_default();
        let text = match (&deep.error, deep.done) {
            (Some(e), _) => format!("  · file: {}", clean(first_line(e))),
            (None, Some((_, matching, capped))) => format!(
                "  · file: {cur}{matching} lines{} (n/N)",
                if capped {
                    format!(", first {found} listed")
                } else {
                    String::new()
                }
            ),
            (None, None) => format!(
                "  · file: {cur}{found} so far, {} read…",
                format_bytes(deep.scanned as i64)
            ),
        };
        let style = if deep.error.is_some() { t.error } else { t.dim };
        spans.push(Span::styled(text, style));
    }
    if logs.typing {
        spans.push(Span::styled("  enter keep · esc cancel", t.dim));
    }
    frame.render_widget(Line::from(spans), area);
}
