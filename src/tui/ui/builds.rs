//! The Builds view: apps with a `[build]` on the left (each with its newest build's status), the
//! selected app's builds on the right (status in the theme's colours, ref, commit and subject,
//! artifact sha, duration, who, when), the actions panel, the selected build's log path and
//! outcome, and the key hints.

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};
use ratatui::Frame;

use crate::domain::time::format_bytes;
use crate::domain::{BuildRecord, BuildStatus};

use super::super::app::App;
use super::super::builds::{BuildsFocus, BuildsState};
use super::super::fmt::{clean, first_line, short_age, truncate};
use super::super::keymap::{Action, KeyContext};
use super::actions::{draw_panel, flash_line, panel_height};
use super::{columns_with_fill, render_empty_loaded, render_empty_table};
use super::{hint_spans, panel, render_table, room_for_border, scroll_offset, Col};

struct Areas {
    header: Rect,
    apps: Rect,
    builds: Rect,
    actions: Rect,
    detail: Rect,
    footer: Rect,
}

fn layout(app: &App, area: Rect) -> Areas {
    let h = area.height;
    let [header, body, actions, detail, footer] = Layout::vertical([
        Constraint::Length(u16::from(h >= 8)),
        Constraint::Min(0),
        Constraint::Length(panel_height(app, h)),
        Constraint::Length(if h >= 14 { 2 } else { u16::from(h >= 10) }),
        Constraint::Length(u16::from(h >= 4)),
    ])
    .areas(area);
    let apps_w = (body.width / 3).clamp(body.width.min(16), 30);
    let [apps, builds] =
        Layout::horizontal([Constraint::Length(apps_w), Constraint::Min(0)]).areas(body);
    Areas {
        header,
        apps,
        builds,
        actions,
        detail,
        footer,
    }
}

fn inner(area: Rect) -> Rect {
    if room_for_border(area) {
        area.inner(Margin::new(1, 1))
    } else {
        area
    }
}

/// How many builds fit at the current size (for page up/down).
pub(crate) fn builds_visible_rows(app: &App, screen: Rect) -> usize {
    (inner(layout(app, screen).builds).height as usize).saturating_sub(1)
}

/// `running`, `succeeded`... in the theme's colour for it.
fn status_style(app: &App, s: BuildStatus) -> Style {
    let t = &app.theme;
    match s {
        BuildStatus::Running => t.warning,
        BuildStatus::Succeeded => t.ok,
        BuildStatus::Failed => t.error,
        BuildStatus::Cancelled => t.dim,
    }
}

fn short_sha(s: Option<&str>, n: usize) -> String {
    s.map(|c| c.chars().take(n).collect())
        .unwrap_or_else(|| "-".into())
}

/// `1m12s`; a running build's time so far, ending with `…`.
fn duration(app: &App, b: &BuildRecord) -> String {
    let fmt = |ms: i64| {
        let s = ms.max(0) / 1000;
        if s < 60 {
            format!("{}.{}s", s, (ms.max(0) % 1000) / 100)
        } else if s < 3600 {
            format!("{}m{:02}s", s / 60, s % 60)
        } else {
            format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
        }
    };
    match (b.status, b.duration_ms) {
        (BuildStatus::Running, _) => format!("{}…", fmt(app.now_ms - b.started_at)),
        (_, Some(d)) => fmt(d),
        (_, None) => "-".into(),
    }
}

pub(crate) fn draw(app: &App, b: &BuildsState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let l = layout(app, area);
    if l.header.height > 0 {
        let mut spans = vec![Span::styled("flinkdeck", t.title), Span::raw("  ")];
        if app.opts.readonly {
            spans.push(Span::styled("READ-ONLY", t.warning));
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled("Builds", t.header));
        spans.push(Span::styled(
            "  apps built from git ([build]), newest builds first",
            t.dim,
        ));
        frame.render_widget(Line::from(spans), l.header);
    }
    draw_apps(app, b, frame, l.apps);
    draw_builds(app, b, frame, l.builds);
    draw_panel(app, frame, l.actions);
    if l.detail.height > 0 {
        if let Some(rec) = b.selected_build() {
            frame.render_widget(Paragraph::new(detail_lines(app, rec, l.detail)), l.detail);
        }
    }
    if l.footer.height > 0 {
        let line = match &app.flash {
            Some(f) => flash_line(app, f),
            None => footer(app, b),
        };
        frame.render_widget(line, l.footer);
    }
}

fn draw_apps(app: &App, b: &BuildsState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let apps = b.apps();
    if room_for_border(area) {
        let title = match b.load.data {
            Some(_) => format!(" Apps ({}) ", apps.len()),
            None => " Apps ".to_string(),
        };
        frame.render_widget(panel(app, title, b.focus == BuildsFocus::Apps), area);
    }
    let mut inner = inner(area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    if let Some(e) = &b.load.error {
        frame.render_widget(
            Line::from(Span::styled(clean(first_line(e)), t.error)),
            Rect { height: 1, ..inner },
        );
        inner.y += 1;
        inner.height -= 1;
    }
    let visible = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(b.app_offset.get(), b.app_sel, visible, apps.len());
    b.app_offset.set(offset);
    let cols = [Col::new("APP", 12, 0).fill(6), Col::new("LAST", 9, 1)];
    let rows: Vec<(Vec<Cell<'static>>, Style)> = apps
        .iter()
        .skip(offset)
        .take(visible)
        .map(|a| {
            let last = match a.builds.first() {
                Some(r) => Cell::from(Span::styled(
                    r.status.as_str().to_string(),
                    status_style(app, r.status),
                )),
                None => Cell::from(Span::styled("never", t.dim)),
            };
            (vec![Cell::from(clean(&a.app)), last], Style::default())
        })
        .collect();
    if rows.is_empty() {
        render_empty_loaded(app, frame, inner, &cols, &b.load, "no app has a [build]");
        return;
    }
    render_table(
        app,
        frame,
        inner,
        &cols,
        rows,
        b.app_sel.checked_sub(offset),
    );
}

const SUBJECT_COL: usize = 4;

fn draw_builds(app: &App, b: &BuildsState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let selected_app = b.selected_app();
    if room_for_border(area) {
        let title = match selected_app {
            Some(a) if a.git_ref.is_empty() => {
                format!(" Builds of {} (no [build] now) ", clean(&a.app))
            }
            Some(a) => format!(
                " Builds of {} · {} at {} ",
                clean(&a.app),
                clean(&a.repo),
                clean(&a.git_ref)
            ),
            None => " Builds ".to_string(),
        };
        let max = area.width.saturating_sub(4) as usize;
        frame.render_widget(
            panel(app, truncate(&title, max), b.focus == BuildsFocus::Builds),
            area,
        );
    }
    let inner = inner(area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let builds = b.builds();
    let visible = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(b.build_offset.get(), b.build_sel, visible, builds.len());
    b.build_offset.set(offset);

    let texts: Vec<([String; 9], BuildStatus)> = builds
        .iter()
        .skip(offset)
        .take(visible)
        .map(|r| {
            (
                [
                    format!("#{}", r.id),
                    r.status.as_str().to_string(),
                    clean(&r.git_ref),
                    short_sha(r.commit.as_deref(), 10),
                    clean(r.subject.as_deref().unwrap_or("")),
                    short_sha(r.sha256.as_deref(), 12),
                    duration(app, r),
                    clean(&r.user),
                    format!("{} ago", short_age(app.now_ms - r.started_at)),
                ],
                r.status,
            )
        })
        .collect();
    let mut widths = [0usize; 9];
    for (row, _) in &texts {
        for (w, s) in widths.iter_mut().zip(row.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
    }
    let spec = [
        ("#", 1u8),
        ("STATUS", 0),
        ("REF", 3),
        ("COMMIT", 2),
        ("SUBJECT", 4),
        ("SHA256", 6),
        ("DURATION", 5),
        ("BY", 8),
        ("STARTED", 7),
    ];
    let cols = columns_with_fill(&spec, &widths, SUBJECT_COL, (7, 40));
    let rows: Vec<(Vec<Cell<'static>>, Style)> = texts
        .into_iter()
        .map(|(row, status)| {
            let cells = row
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    if i == 1 {
                        Cell::from(Span::styled(s, status_style(app, status)))
                    } else {
                        Cell::from(s)
                    }
                })
                .collect();
            (cells, Style::default())
        })
        .collect();
    if rows.is_empty() {
        let msg = match (selected_app, &b.load.data) {
            (Some(a), _) => format!(
                "{} was never built: press {} to build it",
                a.app,
                key(app, Action::Rebuild)
            ),
            (None, Some(_)) => "add [build] to an app spec to build its jar from git".into(),
            (None, None) => String::new(),
        };
        render_empty_table(app, frame, inner, &cols, &msg);
        return;
    }
    let selected = match b.focus {
        BuildsFocus::Builds => b.build_sel.checked_sub(offset),
        BuildsFocus::Apps => None,
    };
    let _ = t;
    render_table(app, frame, inner, &cols, rows, selected);
}

fn key(app: &App, action: Action) -> String {
    app.keymap
        .hint(KeyContext::Builds, action)
        .unwrap_or_else(|| action.name().to_string())
}

/// The selected build: its log, and how it ended (artifact and version, or why it did not).
fn detail_lines(app: &App, r: &BuildRecord, area: Rect) -> Vec<Line<'static>> {
    let t = &app.theme;
    let w = area.width as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("#{} log ", r.id), t.dim),
        Span::styled(truncate(&clean(&r.log), w.saturating_sub(12)), t.base),
    ])];
    let second = match r.status {
        BuildStatus::Running => Line::from(vec![
            Span::styled("running ", t.warning),
            Span::styled(
                format!(
                    "for {} by {}{} · {} log · {} cancel",
                    short_age(app.now_ms - r.started_at),
                    clean(&r.user),
                    r.pid.map(|p| format!(" (process {p})")).unwrap_or_default(),
                    key(app, Action::Open),
                    key(app, Action::CancelBuild),
                ),
                t.dim,
            ),
        ]),
        BuildStatus::Succeeded => Line::from(vec![
            Span::styled("bound ", t.ok),
            Span::styled(
                format!(
                    "as version {} · {}{}",
                    r.version
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into()),
                    clean(r.artifact.as_deref().unwrap_or("-")),
                    r.size
                        .map(|s| format!(
                            " ({})",
                            format_bytes(i64::try_from(s).unwrap_or(i64::MAX))
                        ))
                        .unwrap_or_default()
                ),
                t.base,
            ),
        ]),
        BuildStatus::Failed | BuildStatus::Cancelled => Line::from(vec![
            Span::styled(
                format!("{} ", r.status.as_str()),
                status_style(app, r.status),
            ),
            Span::styled(
                clean(first_line(r.error.as_deref().unwrap_or("-"))),
                if r.status == BuildStatus::Failed {
                    t.error
                } else {
                    t.base
                },
            ),
        ]),
    };
    lines.push(second);
    lines
        .into_iter()
        .take(area.height as usize)
        .map(|l| truncate_line(l, w))
        .collect()
}

/// Cuts a line of spans to `width` cells.
fn truncate_line(line: Line<'static>, width: usize) -> Line<'static> {
    let mut left = width;
    let mut spans = Vec::new();
    for s in line.spans {
        if left == 0 {
            break;
        }
        let text = truncate(&s.content, left);
        left = left.saturating_sub(Span::raw(text.as_str()).width());
        spans.push(Span::styled(text, s.style));
    }
    Line::from(spans)
}

fn footer(app: &App, b: &BuildsState) -> Line<'static> {
    let mut spans = Vec::new();
    if b.load.loading() && b.load.data.is_none() {
        spans.push(Span::styled("loading…", app.theme.warning));
        spans.push(Span::raw("  "));
    }
    let mut items = vec![(Action::Help, "help"), (Action::Back, "back")];
    if b.selected_build().is_some() {
        items.push((Action::Open, "log"));
    }
    if b.selected_app().is_some() {
        items.push((Action::Rebuild, "rebuild"));
    }
    if b.builds().iter().any(|r| r.status == BuildStatus::Running) {
        items.push((Action::CancelBuild, "cancel build"));
    }
    items.extend([
        (Action::ActionLog, "action log"),
        (Action::Refresh, "refresh"),
        (Action::Quit, "quit"),
    ]);
    spans.extend(hint_spans(
        app,
        &[KeyContext::Builds, KeyContext::Global],
        &items,
    ));
    Line::from(spans)
}
