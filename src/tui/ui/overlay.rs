//! Windows over the screen: the help (generated from the keymap), the error popup and the live
//! log of an action.

use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::domain::BuildStatus;

use super::super::actions::ActionStatus;
use super::super::app::{App, Overlay};
use super::super::builds::BuildLogView;
use super::super::fmt::{clean, short_age, wrap_words};
use super::super::keymap::KeyContext;
use super::{centered, panel, room_for_border};

const CONTEXTS: [(KeyContext, &str); 15] = [
    (KeyContext::Global, "Everywhere"),
    (KeyContext::Jobs, "Jobs list"),
    (KeyContext::Detail, "Job detail"),
    (KeyContext::Pods, "Pods tab (Kubernetes clusters)"),
    (KeyContext::Logs, "Logs tab"),
    (KeyContext::Clusters, "Clusters view"),
    (KeyContext::Audit, "Audit trail"),
    (KeyContext::Builds, "Builds view"),
    (KeyContext::Alerts, "Alerts (incidents)"),
    (KeyContext::Help, "Help and popups"),
    (
        KeyContext::Editor,
        "SQL editor (normal mode; insert mode: keys that are not characters)",
    ),
    (KeyContext::Versions, "Editor: versions"),
    (KeyContext::Diff, "Editor: diff"),
    (KeyContext::Problems, "Editor: problems"),
    (KeyContext::Debug, "Editor: debug run"),
];

/// The editor's contexts: the help lists them while the editor is open, the others otherwise.
fn is_editor(ctx: KeyContext) -> bool {
    matches!(
        ctx,
        KeyContext::Editor
            | KeyContext::Versions
            | KeyContext::Diff
            | KeyContext::Problems
            | KeyContext::Debug
    )
}

/// Every binding of every context that applies (the editor's or the others') with its
/// description.
fn help_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    let shown = CONTEXTS.into_iter().filter(|(ctx, _)| {
        matches!(ctx, KeyContext::Global | KeyContext::Help)
            || is_editor(*ctx) == app.editor.is_some()
    });
    for (ctx, title) in shown {
        let bindings = app.keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::from(Span::styled(title.to_string(), t.title)));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.to_string()).collect();
            let disabled = app.opts.readonly && b.action.is_mutating();
            let mut spans = vec![
                Span::styled(
                    format!("  {:<16} ", keys.join(", ")),
                    if disabled { t.dim } else { t.key_hint },
                ),
                Span::styled(clean(&b.desc), if disabled { t.dim } else { t.base }),
            ];
            if disabled {
                spans.push(Span::styled(" (disabled: read-only)", t.warning));
            }
            lines.push(Line::from(spans));
        }
    }
    lines
}

/// The popup: as tall as its text (plus borders), at most the screen less a line above and below.
fn popup_area(app: &App, area: Rect, overlay: &Overlay) -> Rect {
    let width = match overlay {
        Overlay::Help { .. } => area.width.saturating_sub(4).clamp(area.width.min(20), 76),
        Overlay::Error { .. } | Overlay::ActionLog { .. } | Overlay::BuildLog { .. } => {
            (area.width.saturating_mul(4) / 5).max(area.width.min(30))
        }
    };
    let text_width = if room_for_border(Rect::new(0, 0, width, area.height)) {
        width.saturating_sub(2)
    } else {
        width
    };
    let max_h = area.height.saturating_sub(2).max(area.height.min(5));
    // A live log keeps its size while lines arrive.
    let rows = match overlay {
        Overlay::ActionLog { .. } | Overlay::BuildLog { .. } => max_h as usize,
        _ => content(app, overlay, text_width as usize).len(),
    };
    let height = (rows.saturating_add(2)).min(max_h as usize) as u16;
    centered(area, width, height.max(area.height.min(5)))
}

fn inner(area: Rect) -> Rect {
    if room_for_border(area) {
        area.inner(Margin::new(1, 1))
    } else {
        area
    }
}

fn error_rows(app: &App, body: &str, width: usize) -> Vec<Line<'static>> {
    body.lines()
        .flat_map(|l| wrap_words(&clean(l), width))
        .map(|row| Line::from(Span::styled(row, app.theme.base)))
        .collect()
}

fn content(app: &App, overlay: &Overlay, width: usize) -> Vec<Line<'static>> {
    match overlay {
        Overlay::Help { .. } => help_lines(app),
        Overlay::Error { body, .. } => error_rows(app, body, width),
        Overlay::ActionLog { request, .. } => action_log_rows(app, *request, width),
        Overlay::BuildLog { .. } => {
            let items = BuildLogItems::of(app);
            (0..items.len())
                .flat_map(|i| items.rows(app, i, width))
                .collect()
        }
    }
}

/// The build log window's items: its path (0), the kept log lines (1..=n), and a status line
/// (loading, an error, no output yet) when there is one. The window scrolls by items and wraps
/// only the items it shows, so a frame costs the visible rows, not the kept log.
struct BuildLogItems<'a> {
    log: Option<&'a BuildLogView>,
}

impl<'a> BuildLogItems<'a> {
    fn of(app: &'a App) -> BuildLogItems<'a> {
        BuildLogItems {
            log: app.builds.as_ref().and_then(|b| b.log.as_ref()),
        }
    }

    fn trailer(&self) -> Option<(String, bool)> {
        let log = self.log?;
        match &log.error {
            Some(e) => Some((e.clone(), true)),
            None if !log.loaded => Some(("loading…".into(), false)),
            None if log.lines.is_empty() => Some(("(no output yet)".into(), false)),
            None => None,
        }
    }

    fn len(&self) -> usize {
        match self.log {
            None => 1,
            Some(log) => 1 + log.lines.len() + usize::from(self.trailer().is_some()),
        }
    }

    /// Item `i`, wrapped to `width`.
    fn rows(&self, app: &App, i: usize, width: usize) -> Vec<Line<'static>> {
        let t = &app.theme;
        let (text, style) = match self.log {
            None => ("no build log open".to_string(), t.dim),
            Some(log) if i == 0 => (
                if log.dropped > 0 {
                    format!(
                        "log {} (its first {} lines are not shown here)",
                        log.path, log.dropped
                    )
                } else {
                    format!("log {}", log.path)
                },
                t.dim,
            ),
            Some(log) if i <= log.lines.len() => {
                let l = &log.lines[i - 1];
                let style = if l.starts_with("==> ") {
                    t.title
                } else {
                    t.base
                };
                (l.clone(), style)
            }
            Some(_) => match self.trailer() {
                Some((text, true)) => (text, t.error),
                Some((text, false)) => (text, t.dim),
                None => return Vec::new(),
            },
        };
        wrap_words(&clean(&text), width)
            .into_iter()
            .map(|row| Line::from(Span::styled(row, style)))
            .collect()
    }

    /// The first item of the bottom page: the items from it to the end fill `height` rows.
    fn bottom(&self, app: &App, width: usize, height: usize) -> usize {
        let len = self.len();
        let mut rows = 0;
        let mut first = len;
        while first > 0 {
            let r = self.rows(app, first - 1, width).len();
            if rows + r > height {
                break;
            }
            rows += r;
            first -= 1;
        }
        first.min(len.saturating_sub(1))
    }

    /// The rows shown from item `first` on, at most `height`; and the last item shown.
    fn window(
        &self,
        app: &App,
        first: usize,
        width: usize,
        height: usize,
    ) -> (Vec<Line<'static>>, usize) {
        let mut out = Vec::new();
        let mut last = first;
        for i in first..self.len() {
            if out.len() >= height {
                break;
            }
            out.extend(self.rows(app, i, width));
            last = i;
        }
        out.truncate(height);
        (out, last)
    }
}

/// `build #12 of orders · running 40s` / `· failed`.
fn build_log_title(app: &App) -> String {
    let Some(log) = app.builds.as_ref().and_then(|b| b.log.as_ref()) else {
        return "build log".to_string();
    };
    let head = format!("build #{} of {}", log.build, log.app);
    match app.builds.as_ref().and_then(|b| b.find(log.build)) {
        Some(r) if r.status == BuildStatus::Running => format!(
            "{head} · running {} · following",
            short_age(app.now_ms - r.started_at)
        ),
        Some(r) => format!("{head} · {}", r.status.as_str()),
        None => head,
    }
}

/// The log of one action, each line wrapped; the outcome line in its colour.
fn action_log_rows(app: &App, request: u64, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let Some(e) = app.actions.get(request) else {
        return vec![Line::from(Span::styled(
            "this action was dismissed".to_string(),
            t.dim,
        ))];
    };
    if e.log.is_empty() {
        return vec![Line::from(Span::styled(
            "(no output yet)".to_string(),
            t.dim,
        ))];
    }
    let last = e.log.len() - 1;
    e.log
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            let style = match (&e.status, i == last) {
                (ActionStatus::Done(_), true) => t.ok,
                (ActionStatus::Failed(_), true) => t.error,
                (ActionStatus::Refused(_), true) => t.warning,
                _ => t.base,
            };
            wrap_words(&clean(l), width)
                .into_iter()
                .map(move |row| Line::from(Span::styled(row, style)))
        })
        .collect()
}

/// The largest scroll offset of the open overlay at the current size.
pub(crate) fn overlay_max_scroll(app: &App) -> usize {
    let Some(o) = &app.overlay else {
        return 0;
    };
    let screen = Rect::new(0, 0, app.size.0, app.size.1);
    let inner = inner(popup_area(app, screen, o));
    if let Overlay::BuildLog { .. } = o {
        return BuildLogItems::of(app).bottom(app, inner.width as usize, inner.height as usize);
    }
    let n = content(app, o, inner.width as usize).len();
    n.saturating_sub(inner.height as usize)
}

pub(crate) fn draw(app: &App, overlay: &Overlay, frame: &mut Frame, area: Rect) {
    let popup = popup_area(app, area, overlay);
    if popup.width == 0 || popup.height == 0 {
        return;
    }
    frame.render_widget(Clear, popup);
    frame.buffer_mut().set_style(popup, app.theme.base);
    let (title, scroll) = match overlay {
        Overlay::Help { scroll } => ("Help".to_string(), *scroll),
        Overlay::Error { title, scroll, .. } => (clean(title), *scroll),
        Overlay::ActionLog {
            request, scroll, ..
        } => {
            let title = match app.actions.get(*request) {
                Some(e) if e.running() => format!(
                    "{} · running {}",
                    e.label,
                    short_age(app.now_ms - e.started_at)
                ),
                Some(e) => e.label.clone(),
                None => "action".to_string(),
            };
            (clean(&title), *scroll)
        }
        Overlay::BuildLog { scroll, .. } => (clean(&build_log_title(app)), *scroll),
    };
    let inner = inner(popup);
    if let Overlay::BuildLog { follow, .. } = overlay {
        draw_build_log(app, frame, popup, inner, &title, scroll, *follow);
        return;
    }
    let lines = content(app, overlay, inner.width as usize);
    let max = lines.len().saturating_sub(inner.height as usize);
    // A following log shows its newest lines.
    let scroll = match overlay {
        Overlay::ActionLog { follow: true, .. } | Overlay::BuildLog { follow: true, .. } => max,
        _ => scroll,
    };
    if room_for_border(popup) {
        // Say where we are when the text does not fit.
        let position = if max > 0 {
            let first = scroll.min(max) + 1;
            let last = (scroll.min(max) + inner.height as usize).min(lines.len());
            format!(" · {first}-{last} of {}", lines.len())
        } else {
            String::new()
        };
        frame.render_widget(
            panel(app, format!(" {title}{position} · esc close "), true),
            popup,
        );
    }
    let visible: Vec<Line> = lines
        .into_iter()
        .skip(scroll.min(max))
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(visible), inner);
}

/// The build log window: only the items on screen are wrapped.
fn draw_build_log(
    app: &App,
    frame: &mut Frame,
    popup: Rect,
    inner: Rect,
    title: &str,
    scroll: usize,
    follow: bool,
) {
    let items = BuildLogItems::of(app);
    let (width, height) = (inner.width as usize, inner.height as usize);
    let max = items.bottom(app, width, height);
    let first = if follow { max } else { scroll.min(max) };
    let (rows, last) = items.window(app, first, width, height);
    if room_for_border(popup) {
        let position = if max > 0 {
            format!(" · {}-{} of {}", first + 1, last + 1, items.len())
        } else {
            String::new()
        };
        frame.render_widget(
            panel(app, format!(" {title}{position} · esc close "), true),
            popup,
        );
    }
    frame.render_widget(Paragraph::new(rows), inner);
}
