//! The actions panel (one line per running or recent action) and the action dialogs: the start
//! dialog with its restore choices, and the stop / cancel confirmation. The adopt prompt is a
//! typing line in the jobs view's footer.

use ratatui::layout::{Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::domain::time::format_age;
use crate::domain::RestoreChoice;

use super::super::actions::{
    short_id, ActionEntry, ActionStatus, AdoptPrompt, Dialog, Flash, FlashLevel, StartDialog,
    KEEP_ACTIONS,
};
use super::super::app::App;
use super::super::fmt::{clean, first_line, short_age, truncate, wrap_words};
use super::super::keymap::{Action, KeyContext};
use super::{centered, panel, room_for_border, scroll_offset, SELECTED_MARK};

const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// Rows the actions panel takes in a view of `view_height` rows: none without actions; one line
/// per action (at most [`KEEP_ACTIONS`]) in a bordered panel when there is room, else only the
/// newest line.
pub(crate) fn panel_height(app: &App, view_height: u16) -> u16 {
    let n = app.actions.entries.len().min(KEEP_ACTIONS) as u16;
    if n == 0 {
        0
    } else if view_height >= 16 {
        n + 2
    } else if view_height >= 8 {
        1
    } else {
        0
    }
}

fn action_line(app: &App, e: &ActionEntry, width: usize) -> Line<'static> {
    let t = &app.theme;
    let label = clean(&e.label);
    let (icon, icon_style, text, style) = match &e.status {
        ActionStatus::Running(progress) => {
            let frame = ((app.now_ms / 1000).rem_euclid(SPINNER.len() as i64)) as usize;
            let step = progress
                .as_deref()
                .map(|p| clean(first_line(p)))
                .unwrap_or_else(|| "sent".into());
            (
                SPINNER[frame],
                t.key_hint,
                format!("{label}: {step}  {}", short_age(app.now_ms - e.started_at)),
                t.base,
            )
        }
        // The message names the result: the savepoint path, the new job id.
        ActionStatus::Done(m) => ("✔", t.ok, clean(first_line(m)), t.ok),
        ActionStatus::Refused(r) => (
            "✘",
            t.warning,
            format!("{label} refused: {}", clean(first_line(r))),
            t.warning,
        ),
        ActionStatus::Failed(r) => (
            "✘",
            t.error,
            format!("{label} failed: {}", clean(first_line(r))),
            t.error,
        ),
    };
    Line::from(vec![
        Span::styled(icon, icon_style),
        Span::raw(" "),
        Span::styled(truncate(&text, width.saturating_sub(2)), style),
    ])
}

/// Draws the panel in `area` (its height from [`panel_height`]).
pub(crate) fn draw_panel(app: &App, frame: &mut Frame, area: Rect) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let mut inner = area;
    if area.height >= 3 && room_for_border(Rect { height: 5, ..area }) {
        let mut title = vec![Span::styled(" Actions ", app.theme.title)];
        if app.actions.any_finished() {
            if let Some(k) = app.keymap.hint(KeyContext::Jobs, Action::DismissActions) {
                title.push(Span::styled(
                    format!("· {k} dismiss finished "),
                    app.theme.dim,
                ));
            }
        }
        frame.render_widget(panel(app, Line::from(title), false), area);
        inner = area.inner(Margin::new(1, 1));
    }
    let entries = &app.actions.entries;
    let skip = entries.len().saturating_sub(inner.height as usize);
    let lines: Vec<Line> = entries
        .iter()
        .skip(skip)
        .map(|e| action_line(app, e, inner.width as usize))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A one-line message (in place of the key hints).
pub(crate) fn flash_line(app: &App, f: &Flash) -> Line<'static> {
    let style = match f.level {
        FlashLevel::Info => app.theme.base,
        FlashLevel::Warning => app.theme.warning,
    };
    Line::from(Span::styled(clean(&f.text), style))
}

/// The adopt prompt, typed like the filter: `adopt job X (4f2a…) into app: name█`.
pub(crate) fn adopt_line(app: &App, p: &AdoptPrompt) -> Line<'static> {
    let t = &app.theme;
    Line::from(vec![
        Span::styled(
            format!(
                "adopt job {} ({}) into app: ",
                clean(&p.name),
                short_id(&p.job.id)
            ),
            t.key_hint,
        ),
        Span::styled(clean(&p.input), t.base),
        Span::styled("█", t.key_hint),
        Span::styled("  enter adopt · esc cancel", t.dim),
    ])
}

/// Draws the open start dialog or confirmation (the adopt prompt is drawn by the jobs view).
pub(crate) fn draw_dialog(app: &App, dialog: &Dialog, frame: &mut Frame, area: Rect) {
    match dialog {
        Dialog::Start(d) => draw_start(app, d, frame, area),
        Dialog::Confirm(c) => draw_confirm(app, &c.title, &c.prompt, frame, area),
        Dialog::Build(c) => draw_confirm(app, &c.title, &c.prompt, frame, area),
        Dialog::Adopt(_) => {}
    }
}

/// A popup of `width`×`height` with a title; returns the area inside.
fn popup(app: &App, frame: &mut Frame, area: Rect, width: u16, height: u16, title: &str) -> Rect {
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    frame.buffer_mut().set_style(rect, app.theme.base);
    if room_for_border(rect) {
        frame.render_widget(panel(app, format!(" {} ", clean(title)), true), rect);
        rect.inner(Margin::new(1, 1))
    } else {
        rect
    }
}

fn dialog_width(area: Rect, want: u16) -> u16 {
    area.width
        .saturating_sub(4)
        .min(want)
        .max(area.width.min(30))
}

fn key_or(app: &App, action: Action, default: &str) -> String {
    app.keymap
        .hint(KeyContext::Help, action)
        .unwrap_or_else(|| default.to_string())
}

fn draw_confirm(app: &App, title: &str, prompt: &str, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    // A prompt of several lines (an upgrade's plan) gets the room its lines need.
    let longest = prompt.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let want = if prompt.contains('\n') {
        (longest as u16 + 2).clamp(64, 100)
    } else {
        64
    };
    let width = dialog_width(area, want);
    let text_w = width.saturating_sub(2).max(1) as usize;
    // Each line of the prompt wraps on its own (leading spaces kept: a plan's indented steps).
    let mut lines: Vec<Line> = prompt
        .lines()
        .flat_map(|l| {
            let indent = l.len() - l.trim_start().len();
            let pad = " ".repeat(indent.min(text_w / 2));
            wrap_words(
                &clean(l.trim_start()),
                text_w.saturating_sub(pad.len()).max(1),
            )
            .into_iter()
            .map(move |w| format!("{pad}{w}"))
            .collect::<Vec<_>>()
        })
        .map(|l| Line::from(Span::styled(l, t.base)))
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled("y", t.key_hint),
        Span::styled(" confirm · any other key cancels", t.dim),
    ]));
    let height = (lines.len() as u16 + 2).min(area.height);
    let inner = popup(app, frame, area, width, height, title);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn choice_text(d: &StartDialog, idx: usize, now_ms: i64) -> String {
    let points = d.listed();
    match d.choice(idx) {
        RestoreChoice::Latest => "latest (newest savepoint or checkpoint)".into(),
        RestoreChoice::None => "none (fresh start)".into(),
        _ => {
            let p = &points[idx - 1];
            let id = p.id.map(|i| format!("#{i}")).unwrap_or_else(|| "-".into());
            format!(
                "{:<10} {:>6}  {:<12} {}",
                p.kind.as_str(),
                id,
                format_age(now_ms, p.completed_at),
                clean(&p.path)
            )
        }
    }
}

/// What the selected choice restores, in full (paths are cut in the list).
fn choice_detail(d: &StartDialog) -> (String, bool) {
    match d.choice(d.sel) {
        RestoreChoice::Latest => match &d.points {
            None => ("latest: resolved when the start runs".into(), false),
            Some(Err(_)) => ("latest: resolved when the start runs".into(), false),
            Some(Ok(p)) if p.is_empty() => (
                format!(
                    "latest: no savepoint or checkpoint is recorded for {}",
                    d.app
                ),
                true,
            ),
            Some(Ok(p)) => (format!("restores from {}", p[0].path), false),
        },
        RestoreChoice::None => ("starts without any state".into(), true),
        RestoreChoice::Savepoint(path) => (format!("restores from {path}"), false),
        RestoreChoice::Checkpoint(id) => (format!("restores from checkpoint {id}"), false),
    }
}

fn draw_start(app: &App, d: &StartDialog, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let width = dialog_width(area, 100);
    let text_w = width.saturating_sub(2).max(1) as usize;

    let mut top: Vec<Line> = Vec::new();
    if let Some(state) = d.state.as_ref().filter(|s| s.is_active()) {
        for l in wrap_words(
            &format!(
                "{} is {} on {}: a start is refused while it runs.",
                clean(&d.app),
                state.as_str(),
                clean(&d.cluster)
            ),
            text_w,
        ) {
            top.push(Line::from(Span::styled(l, t.warning)));
        }
    }
    top.push(Line::from(Span::styled("Restore from:", t.title)));

    // The list: every choice, plus a note about the restore points while they load or failed.
    let mut rows: Vec<(Option<usize>, Line<'static>)> = Vec::new();
    let choice_row = |idx: usize| -> (Option<usize>, Line<'static>) {
        let mark = if idx == d.sel { SELECTED_MARK } else { "  " };
        let text = truncate(
            &format!("{mark}{}", choice_text(d, idx, app.now_ms)),
            text_w,
        );
        let style = if idx == d.sel { t.selected } else { t.base };
        (Some(idx), Line::from(Span::styled(text, style)))
    };
    rows.push(choice_row(0));
    match &d.points {
        None => rows.push((
            None,
            Line::from(Span::styled("  loading restore points…", t.dim)),
        )),
        Some(Err(e)) => rows.push((
            None,
            Line::from(Span::styled(
                truncate(
                    &format!("  cannot list restore points: {}", clean(first_line(e))),
                    text_w,
                ),
                t.error,
            )),
        )),
        Some(Ok(p)) if p.is_empty() => rows.push((
            None,
            Line::from(Span::styled(
                "  (no savepoint or checkpoint recorded)",
                t.dim,
            )),
        )),
        Some(Ok(_)) => {}
    }
    for idx in 1..d.len() {
        rows.push(choice_row(idx));
    }

    let (detail, warn) = choice_detail(d);
    let mut bottom: Vec<Line> = vec![Line::default()];
    for l in wrap_words(&clean(&detail), text_w) {
        bottom.push(Line::from(Span::styled(
            l,
            if warn { t.warning } else { t.base },
        )));
    }
    bottom.push(Line::from(vec![
        Span::styled("enter", t.key_hint),
        Span::styled(" start · ", t.dim),
        Span::styled(
            format!(
                "{}/{}",
                key_or(app, Action::Down, "down"),
                key_or(app, Action::Up, "up")
            ),
            t.key_hint,
        ),
        Span::styled(" choose · ", t.dim),
        Span::styled("esc", t.key_hint),
        Span::styled(" cancel", t.dim),
    ]));

    let want = (top.len() + rows.len() + bottom.len() + 2) as u16;
    let max_h = area.height.saturating_sub(2).max(area.height.min(5));
    let height = want.min(max_h);
    let title = format!("Start app {} on {}", d.app, d.cluster);
    let inner = popup(app, frame, area, width, height, &title);
    if inner.height == 0 {
        return;
    }
    // The list shrinks first; the selected choice stays visible.
    let fixed = (top.len() + bottom.len()) as u16;
    let list_h = inner.height.saturating_sub(fixed).max(1) as usize;
    let sel_row = rows
        .iter()
        .position(|(i, _)| *i == Some(d.sel))
        .unwrap_or(0);
    let off = scroll_offset(0, sel_row, list_h, rows.len());
    let mut lines: Vec<Line> = top;
    lines.extend(rows.into_iter().skip(off).take(list_h).map(|(_, l)| l));
    lines.extend(bottom);
    frame.render_widget(Paragraph::new(lines).style(Style::default()), inner);
}
