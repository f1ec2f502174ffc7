//! The job detail screen: title, tabs, and the Overview / Checkpoints / Exceptions tabs (Logs is
//! in `logs.rs`).

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Sparkline, Tabs};
use ratatui::Frame;

use crate::domain::time::{format_age, format_bytes, format_duration_ms, format_timestamp};
use crate::domain::{CheckpointEntry, CheckpointStatus, ExceptionEntry, JobState};

use super::super::app::App;
use super::super::detail::{exception_entries, DetailState, Load, Tab};
use super::super::fmt::{bytes_rate, clean, first_line, opt_bytes, pct, rate};
use super::super::keymap::{Action, KeyContext};
use super::super::logs::render_line;
use super::{empty_message, hint_spans, panel, render_table, room_for_border, scroll_offset, Col};

pub(crate) struct DetailLayout {
    pub title: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub actions: Rect,
    pub footer: Rect,
}

pub(crate) fn layout(app: &App, area: Rect) -> DetailLayout {
    let h = area.height;
    let [title, tabs, body, actions, footer] = Layout::vertical([
        Constraint::Length(u16::from(h >= 10)),
        Constraint::Length(u16::from(h >= 3)),
        Constraint::Min(0),
        Constraint::Length(super::actions::panel_height(app, h)),
        Constraint::Length(u16::from(h >= 5)),
    ])
    .areas(area);
    DetailLayout {
        title,
        tabs,
        body,
        actions,
        footer,
    }
}

/// The inside of a tab's panel (bordered when there is room).
fn body_inner(body: Rect) -> Rect {
    if room_for_border(body) {
        body.inner(Margin::new(1, 1))
    } else {
        body
    }
}

/// Where the log text goes at this screen size (shared with `update`).
pub(crate) fn log_text_area(app: &App, d: &DetailState, screen: Rect) -> Rect {
    super::logs::areas(app, d, layout(app, screen).body).text
}

/// How many pods are visible at this screen size (for page up/down).
pub(crate) fn pods_visible_rows(app: &App, screen: Rect) -> usize {
    super::super::pods::PodsTab::page(layout(app, screen).body)
}

/// How many stack-trace lines are visible at this screen size.
pub(crate) fn trace_visible_rows(app: &App, screen: Rect) -> usize {
    let inner = body_inner(layout(app, screen).body);
    inner.height.saturating_sub(TRACE_HEADER) as usize
}

const TRACE_HEADER: u16 = 5;

pub(crate) fn draw(app: &App, d: &DetailState, frame: &mut Frame, area: Rect) {
    let l = layout(app, area);
    let t = &app.theme;
    let summary = app.listed_job(&d.key).map(|(_, j)| j);
    if l.title.height > 0 {
        let name = summary
            .map(|s| s.name.clone())
            .or_else(|| d.overview.data.as_ref().map(|o| o.name.clone()))
            .unwrap_or_default();
        let mut spans = vec![Span::styled(clean(&name), t.title), Span::raw("  ")];
        if let Some(s) = summary {
            let (text, style) = if s.stale {
                (format!("{}?", s.state.as_str()), t.dim)
            } else {
                (s.state.as_str().to_string(), t.state(&s.state))
            };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(
            format!("{} · {}", clean(&d.key.cluster), clean(&d.key.id)),
            t.dim,
        ));
        if let Some(a) = app.managed.app_of(&d.key.cluster, &d.key.id) {
            spans.push(Span::styled(" · app ", t.dim));
            spans.push(Span::styled(clean(a), t.title));
        }
        frame.render_widget(Line::from(spans), l.title);
    }
    if l.tabs.height > 0 {
        let with_pods = app.detail_with_pods();
        let tabs = Tabs::new(Tab::list(with_pods).iter().map(|t| t.title()))
            .select(d.tab.index(with_pods))
            .style(t.tab_inactive)
            .highlight_style(t.tab_active)
            .divider(Span::styled("│", t.dim));
        frame.render_widget(tabs, l.tabs);
    }
    match d.tab {
        Tab::Overview => draw_overview(app, d, frame, l.body),
        Tab::Checkpoints => draw_checkpoints(app, d, frame, l.body),
        Tab::Exceptions => draw_exceptions(app, d, frame, l.body),
        Tab::Pods => {
            let cluster = app.clusters.iter().find(|c| c.name() == d.key.cluster);
            d.pods.draw(app, cluster, frame, l.body)
        }
        Tab::Logs => super::logs::draw(app, d, frame, l.body),
    }
    super::actions::draw_panel(app, frame, l.actions);
    if l.footer.height > 0 {
        match &app.flash {
            Some(f) => frame.render_widget(super::actions::flash_line(app, f), l.footer),
            None => frame.render_widget(footer(app, d), l.footer),
        }
    }
}

fn footer(app: &App, d: &DetailState) -> Line<'static> {
    let t = &app.theme;
    let loading = match d.tab {
        Tab::Overview => d.overview.loading(),
        Tab::Checkpoints => d.checkpoints.loading(),
        Tab::Exceptions => d.exceptions.loading(),
        Tab::Logs => d.logs.list.loading() || d.logs.content.loading(),
        Tab::Pods => false,
    };
    let mut spans = Vec::new();
    if loading {
        spans.push(Span::styled("loading…", t.warning));
        spans.push(Span::raw("  "));
    }
    let ctx: &[KeyContext] = match d.tab {
        Tab::Logs => &[KeyContext::Logs, KeyContext::Detail, KeyContext::Global],
        Tab::Pods => &[KeyContext::Pods, KeyContext::Detail, KeyContext::Global],
        _ => &[KeyContext::Detail, KeyContext::Global],
    };
    if d.tab == Tab::Pods && d.pods.chooser.is_some() {
        // The container chooser has the keys.
        spans.extend(hint_spans(app, ctx, &d.pods.hints()));
        return Line::from(spans);
    }
    let mut items: Vec<(Action, &str)> = vec![
        (Action::Help, "help"),
        (Action::NextTab, "next tab"),
        (Action::Back, "back"),
    ];
    match d.tab {
        Tab::Exceptions if d.trace.is_none() => items.push((Action::Open, "stack trace")),
        Tab::Pods => items.extend(d.pods.hints()),
        Tab::Logs => {
            items.extend([
                (Action::Open, "open file"),
                (Action::Follow, "follow"),
                (Action::Search, "search"),
                (Action::SearchNext, "next"),
                (Action::Wrap, "wrap"),
            ]);
        }
        _ => {}
    }
    if !app.opts.readonly {
        items.extend([
            (Action::Stop, "stop"),
            (Action::Cancel, "cancel"),
            (Action::Savepoint, "savepoint"),
        ]);
    }
    if app.actions.any_finished() {
        items.push((Action::DismissActions, "dismiss"));
    }
    items.extend([(Action::Refresh, "refresh"), (Action::Quit, "quit")]);
    spans.extend(hint_spans(app, ctx, &items));
    Line::from(spans)
}

/// The top of a tab: a panel, and "loading…" or the error when there is no data to show.
/// Returns the area to draw the data in, or `None` when there is nothing to draw.
fn tab_frame<T>(
    app: &App,
    frame: &mut Frame,
    body: Rect,
    title: &str,
    load: &Load<T>,
) -> Option<Rect> {
    let mut inner = body;
    if room_for_border(body) {
        frame.render_widget(panel(app, format!(" {title} "), true), body);
        inner = body.inner(Margin::new(1, 1));
    }
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    super::draw_load_error(app, frame, &mut inner, load);
    if load.data.is_none() {
        if load.error.is_none() {
            let msg = if load.loading() || load.sent_at.is_none() {
                "loading…"
            } else {
                "no data"
            };
            empty_message(app, frame, inner, msg);
        }
        return None;
    }
    Some(inner)
}

fn kv(app: &App, key: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{key:<11}"), app.theme.dim),
        value,
    ])
}

fn draw_overview(app: &App, d: &DetailState, frame: &mut Frame, body: Rect) {
    let Some(inner) = tab_frame(app, frame, body, "Overview", &d.overview) else {
        return;
    };
    let Some(o) = d.overview.data.as_ref() else {
        return;
    };
    let t = &app.theme;
    let now = app.now_ms;
    let state = JobState::parse(&o.state);
    let running = o.end_time.is_none() && !state.is_terminal() && o.start_time > 0;
    let duration = if running {
        now - o.start_time
    } else {
        o.duration_ms
    };
    let mut ty = o.job_type.clone().unwrap_or_else(|| "-".into());
    if let Some(p) = o.max_parallelism {
        ty.push_str(&format!("   max parallelism {p}"));
    }
    let start = if o.start_time > 0 {
        format!(
            "{} ({})",
            format_timestamp(o.start_time),
            format_age(now, Some(o.start_time))
        )
    } else {
        "-".into()
    };
    let mut info = vec![
        kv(app, "Job", Span::styled(clean(&o.name), t.base)),
        kv(app, "Job id", Span::styled(clean(&o.id), t.base)),
        kv(app, "State", Span::styled(clean(&o.state), t.state(&state))),
        kv(app, "Started", Span::styled(start, t.base)),
        kv(
            app,
            "Duration",
            Span::styled(format_duration_ms(duration), t.base),
        ),
        kv(app, "Type", Span::styled(clean(&ty), t.base)),
    ];
    if let Some(end) = o.end_time {
        info.push(kv(
            app,
            "Ended",
            Span::styled(format_timestamp(end), t.base),
        ));
    }
    // What the job runs that its app's definition no longer says (`flinkdeck drift`).
    for x in app.drift_of(&d.key.cluster, &d.key.id) {
        info.push(kv(
            app,
            "Drift",
            Span::styled(
                clean(&format!(
                    "{}: running {}, defined {} ({})",
                    x.field,
                    short_hash(&x.running),
                    short_hash(&x.defined),
                    x.source
                )),
                t.warning,
            ),
        ));
    }
    let info_h = (info.len() as u16 + 1).min(inner.height);
    let [top, table] =
        Layout::vertical([Constraint::Length(info_h), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(info), top);

    let visible = table.height.saturating_sub(1) as usize;
    let len = o.vertices.len();
    if len == 0 {
        empty_message(app, frame, table, "no vertices");
        return;
    }
    let offset = scroll_offset(d.vert_offset.get(), d.vert_sel, visible, len);
    d.vert_offset.set(offset);
    let mut widths = [0usize; 9];
    let mut rows = Vec::new();
    for v in o.vertices.iter().skip(offset).take(visible) {
        let texts = [
            clean(&v.name),
            v.parallelism.to_string(),
            clean(&v.status),
            rate(v.records_in_per_sec),
            rate(v.records_out_per_sec),
            bytes_rate(v.bytes_in_per_sec),
            bytes_rate(v.bytes_out_per_sec),
            pct(v.busy_ratio),
            pct(v.backpressure_ratio),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
        let busy_style = match v.busy_ratio {
            Some(r) if r >= 0.8 => t.warning,
            _ => Style::default(),
        };
        let bp_style = match v.backpressure_ratio {
            Some(r) if r >= 0.5 => t.error,
            Some(r) if r >= 0.1 => t.warning,
            _ => Style::default(),
        };
        let status_style = t.state(&JobState::parse(&v.status));
        let [c0, c1, c2, c3, c4, c5, c6, c7, c8] = texts;
        rows.push((
            vec![
                Cell::from(c0),
                Cell::from(c1),
                Cell::from(Span::styled(c2, status_style)),
                Cell::from(c3),
                Cell::from(c4),
                Cell::from(c5),
                Cell::from(c6),
                Cell::from(Span::styled(c7, busy_style)),
                Cell::from(Span::styled(c8, bp_style)),
            ],
            Style::default(),
        ));
    }
    let spec = [
        ("VERTEX", 0u8),
        ("PAR", 5),
        ("STATUS", 1),
        ("REC IN/s", 2),
        ("REC OUT/s", 3),
        ("BYTES IN/s", 7),
        ("BYTES OUT/s", 8),
        ("BUSY", 4),
        ("BACKPR", 6),
    ];
    let cols: Vec<Col> = spec
        .iter()
        .enumerate()
        .map(|(i, (title, prio))| {
            if i == 0 {
                Col::new(*title, widths[0].clamp(6, 20), *prio).fill(4)
            } else {
                Col::new(*title, widths[i], *prio)
            }
        })
        .collect();
    render_table(
        app,
        frame,
        table,
        &cols,
        rows,
        d.vert_sel.checked_sub(offset),
    );
}

/// A sha256 in hex shortened to 12 characters; other values as they are.
fn short_hash(v: &str) -> String {
    if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("{}…", &v[..12])
    } else {
        v.to_string()
    }
}

fn status_style(app: &App, s: CheckpointStatus) -> Style {
    match s {
        CheckpointStatus::Completed => app.theme.ok,
        CheckpointStatus::Failed => app.theme.error,
        CheckpointStatus::InProgress => app.theme.warning,
    }
}

fn latest_line(app: &App, label: &str, e: Option<&CheckpointEntry>) -> Line<'static> {
    let t = &app.theme;
    let now = app.now_ms;
    let mut spans = vec![Span::styled(format!("{label:<11}"), t.dim)];
    match e {
        None => spans.push(Span::styled("-", t.dim)),
        Some(e) => {
            spans.push(Span::styled(
                format!("#{}", e.id),
                status_style(app, e.status),
            ));
            spans.push(Span::raw(format!(
                "  {}",
                format_age(now, e.completed_at.or(Some(e.trigger_timestamp)))
            )));
            if let Some(ms) = e.duration_ms {
                spans.push(Span::raw(format!("  took {}", format_duration_ms(ms))));
            }
            if let Some(b) = e.size_bytes {
                spans.push(Span::raw(format!("  {}", format_bytes(b))));
            }
            if let Some(p) = &e.external_path {
                spans.push(Span::styled(format!("  {}", clean(p)), t.dim));
            }
            if let Some(m) = &e.failure_message {
                spans.push(Span::styled(format!("  {}", clean(first_line(m))), t.error));
            }
        }
    }
    Line::from(spans)
}

fn draw_checkpoints(app: &App, d: &DetailState, frame: &mut Frame, body: Rect) {
    let Some(inner) = tab_frame(app, frame, body, "Checkpoints", &d.checkpoints) else {
        return;
    };
    let Some(c) = d.checkpoints.data.as_ref() else {
        return;
    };
    let t = &app.theme;
    let now = app.now_ms;
    let n = c.stats.counts;
    let counts = Line::from(vec![
        Span::styled("total ", t.dim),
        Span::raw(n.total.to_string()),
        Span::styled("  completed ", t.dim),
        Span::styled(n.completed.to_string(), t.ok),
        Span::styled("  failed ", t.dim),
        Span::styled(
            n.failed.to_string(),
            if n.failed > 0 { t.error } else { t.base },
        ),
        Span::styled("  in progress ", t.dim),
        Span::raw(n.in_progress.to_string()),
        Span::styled("  restored ", t.dim),
        Span::raw(n.restored.to_string()),
    ]);
    let restored = match &c.stats.latest_restored {
        None => Line::from(vec![
            Span::styled(format!("{:<11}", "restored"), t.dim),
            Span::styled("-", t.dim),
        ]),
        Some(r) => Line::from(vec![
            Span::styled(format!("{:<11}", "restored"), t.dim),
            Span::raw(format!(
                "#{}  {}  {}",
                r.id,
                format_age(now, Some(r.restore_timestamp)),
                if r.is_savepoint {
                    "savepoint"
                } else {
                    "checkpoint"
                }
            )),
            Span::styled(
                r.external_path
                    .as_deref()
                    .map(|p| format!("  {}", clean(p)))
                    .unwrap_or_default(),
                t.dim,
            ),
        ]),
    };
    let info = vec![
        counts,
        latest_line(app, "completed", c.stats.latest_completed.as_ref()),
        latest_line(app, "failed", c.stats.latest_failed.as_ref()),
        latest_line(app, "savepoint", c.stats.latest_savepoint.as_ref()),
        restored,
    ];
    let spark_h = if inner.height >= 16 { 4 } else { 0 };
    let [top, sparks, table] = Layout::vertical([
        Constraint::Length((info.len() as u16).min(inner.height)),
        Constraint::Length(spark_h),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(info), top);

    if sparks.height > 0 {
        let completed = c.completed_oldest_first();
        let [left, right] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(sparks);
        let durations: Vec<u64> = completed
            .iter()
            .map(|e| e.duration_ms.unwrap_or(0).max(0) as u64)
            .collect();
        let sizes: Vec<u64> = completed
            .iter()
            .map(|e| e.size_bytes.unwrap_or(0).max(0) as u64)
            .collect();
        let dur_title = last_max_title("duration", &durations, format_duration_ms);
        let size_title = last_max_title("size", &sizes, format_bytes);
        for (area, data, title) in [(left, durations, dur_title), (right, sizes, size_title)] {
            let block = Block::default()
                .borders(Borders::TOP)
                .border_style(t.border)
                .title(Span::styled(title, t.title));
            let inner_w = area.width as usize;
            // The newest values that fit, oldest → newest.
            let data: Vec<u64> = data[data.len().saturating_sub(inner_w)..].to_vec();
            frame.render_widget(
                Sparkline::default()
                    .block(block)
                    .data(&data)
                    .style(t.sparkline),
                area,
            );
        }
    }

    let len = c.history.len();
    if len == 0 {
        empty_message(app, frame, table, "no checkpoints yet");
        return;
    }
    let visible = table.height.saturating_sub(1) as usize;
    let offset = scroll_offset(d.cp_offset.get(), d.cp_sel, visible, len);
    d.cp_offset.set(offset);
    let mut widths = [0usize; 7];
    let mut rows = Vec::new();
    for e in c.history.iter().skip(offset).take(visible) {
        let texts = [
            e.id_label(),
            e.status.as_str().to_string(),
            e.kind.as_str().to_string(),
            format_timestamp(e.trigger_timestamp),
            e.duration_ms
                .map(format_duration_ms)
                .unwrap_or_else(|| "-".into()),
            opt_bytes(e.size_bytes),
            e.external_path
                .as_deref()
                .map(clean)
                .or_else(|| e.failure_message.as_deref().map(|m| clean(first_line(m))))
                .unwrap_or_else(|| "-".into()),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
        let st = status_style(app, e.status);
        let [c0, c1, c2, c3, c4, c5, c6] = texts;
        rows.push((
            vec![
                Cell::from(c0),
                Cell::from(Span::styled(c1, st)),
                Cell::from(c2),
                Cell::from(c3),
                Cell::from(c4),
                Cell::from(c5),
                Cell::from(Span::styled(c6, t.dim)),
            ],
            Style::default(),
        ));
    }
    let spec = [
        ("ID", 0u8),
        ("STATUS", 1),
        ("KIND", 3),
        ("TRIGGERED", 4),
        ("DURATION", 2),
        ("SIZE", 5),
        ("PATH", 6),
    ];
    let cols: Vec<Col> = spec
        .iter()
        .enumerate()
        .map(|(i, (title, prio))| {
            if i == 6 {
                Col::new(*title, widths[i].min(12), *prio).fill(4)
            } else {
                Col::new(*title, widths[i], *prio)
            }
        })
        .collect();
    render_table(app, frame, table, &cols, rows, d.cp_sel.checked_sub(offset));
}

fn draw_exceptions(app: &App, d: &DetailState, frame: &mut Frame, body: Rect) {
    let Some(inner) = tab_frame(app, frame, body, "Exceptions", &d.exceptions) else {
        return;
    };
    let Some(ex) = d.exceptions.data.as_ref() else {
        return;
    };
    let t = &app.theme;
    let now = app.now_ms;
    let entries = exception_entries(ex);
    if entries.is_empty() {
        empty_message(app, frame, inner, "no exceptions");
        return;
    }
    if let (Some(scroll), Some(e)) = (d.trace, d.selected_exception()) {
        let mut head = vec![Line::from(Span::styled(clean(exception_title(e)), t.error))];
        head.extend(exception_facts(app, e, now));
        head.push(Line::from(Span::styled(
            "─".repeat(inner.width as usize),
            t.border,
        )));
        let [top, rest] = Layout::vertical([
            Constraint::Length(TRACE_HEADER.min(inner.height)),
            Constraint::Min(0),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(head), top);
        let trace = if e.stacktrace.trim().is_empty() {
            e.name.as_str()
        } else {
            e.stacktrace.as_str()
        };
        let lines: Vec<Line> = trace
            .lines()
            .skip(scroll)
            .take(rest.height as usize)
            .flat_map(|l| render_line(l, &[], t.base, t.base, rest.width as usize, false, 1))
            .collect();
        frame.render_widget(Paragraph::new(lines), rest);
        return;
    }

    let root_h = if ex.root.is_some() && inner.height >= 10 {
        5
    } else {
        0
    };
    let [top, table] =
        Layout::vertical([Constraint::Length(root_h), Constraint::Min(0)]).areas(inner);
    if let (Some(r), true) = (&ex.root, root_h > 0) {
        let mut lines = vec![Line::from(vec![
            Span::styled(format!("{:<11}", "root cause"), t.dim),
            Span::styled(clean(exception_title(r)), t.error),
        ])];
        lines.extend(exception_facts(app, r, now));
        frame.render_widget(Paragraph::new(lines), top);
    }
    let visible = table.height.saturating_sub(1) as usize;
    let offset = scroll_offset(d.exc_offset.get(), d.exc_sel, visible, entries.len());
    d.exc_offset.set(offset);
    let mut widths = [0usize; 4];
    let mut rows = Vec::new();
    for (e, is_root) in entries.iter().skip(offset).take(visible) {
        let texts = [
            e.timestamp
                .filter(|ts| *ts > 0)
                .map(|ts| format!("{} ago", super::super::fmt::short_age(now - ts)))
                .unwrap_or_else(|| "-".into()),
            format!(
                "{}{}",
                if *is_root { "[root] " } else { "" },
                clean(exception_title(e))
            ),
            clean(e.task.as_deref().unwrap_or("-")),
            clean(e.location.as_deref().unwrap_or("-")),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
        let [c0, c1, c2, c3] = texts;
        rows.push((
            vec![
                Cell::from(c0),
                Cell::from(Span::styled(c1, t.error)),
                Cell::from(c2),
                Cell::from(c3),
            ],
            Style::default(),
        ));
    }
    let title_exc = if ex.truncated {
        "EXCEPTION (history truncated)"
    } else {
        "EXCEPTION"
    };
    let cols = vec![
        Col::new("WHEN", widths[0], 1),
        Col::new(title_exc, widths[1].clamp(10, 30), 0).fill(6),
        Col::new("TASK", truncate_w(widths[2]), 2),
        Col::new("LOCATION", truncate_w(widths[3]), 3),
    ];
    render_table(
        app,
        frame,
        table,
        &cols,
        rows,
        d.exc_sel.checked_sub(offset),
    );
}

/// Caps a free-text column so it leaves room for the others.
fn truncate_w(w: usize) -> usize {
    w.min(28)
}

/// The one-line title of an exception: the first line of its stack trace when that is the same
/// exception with its message (`java.lang.RuntimeException: boom`), else its name.
/// The time, task and location lines of an exception.
fn exception_facts(app: &App, e: &ExceptionEntry, now: i64) -> [Line<'static>; 3] {
    let when = match e.timestamp {
        Some(ts) if ts > 0 => format!("{} ({})", format_timestamp(ts), format_age(now, Some(ts))),
        _ => "-".into(),
    };
    let or_dash = |v: &Option<String>| Span::raw(clean(v.as_deref().unwrap_or("-")));
    [
        kv(app, "time", Span::raw(when)),
        kv(app, "task", or_dash(&e.task)),
        kv(app, "location", or_dash(&e.location)),
    ]
}

fn exception_title(e: &ExceptionEntry) -> &str {
    let name = first_line(&e.name);
    let head = first_line(&e.stacktrace);
    if !name.is_empty() && head.starts_with(name) {
        head
    } else {
        name
    }
}

/// ` what · last X · max Y ` for a sparkline over `values`, each formatted with `fmt`.
fn last_max_title(what: &str, values: &[u64], fmt: fn(i64) -> String) -> String {
    let show = |v: Option<&u64>| v.map_or_else(|| "-".to_string(), |v| fmt(*v as i64));
    format!(
        " {what} · last {} · max {} ",
        show(values.last()),
        show(values.iter().max())
    )
}
