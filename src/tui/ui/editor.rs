//! The SQL editor's screen: a header, the text with line numbers and problem markers (only the
//! visible lines are built: highlighted from the cached tokens, with search matches, the
//! selection and the cursor on top), or the versions list, or a diff; a debug run's results
//! below it; the problems list, the actions panel, the status line and the prompt or key hints.

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Wrap};
use ratatui::Frame;

use crate::domain::time::format_timestamp;
use crate::domain::ProblemSeverity;

use super::super::app::App;
use super::super::editor::highlight::TokenKind;
use super::super::editor::{byte_of, DiffKind, EditorState, Mode, Pane, PromptKind};
use super::super::fmt::clean;
use super::super::keymap::{Action, KeyContext};
use super::super::theme::Theme;
use super::actions::{draw_panel, flash_line, panel_height};
use super::editor_debug::{debug_table_rows, draw_debug};
use super::{empty_message, hint_spans, panel, render_table, room_for_border, scroll_offset, Col};

/// Columns a tab takes on screen.
const TAB: &str = "    ";

struct EditorLayout {
    header: Rect,
    body: Rect,
    debug: Rect,
    problems: Rect,
    actions: Rect,
    status: Rect,
    bottom: Rect,
}

fn layout(app: &App, ed: &EditorState, area: Rect) -> EditorLayout {
    let h = area.height;
    let problems = if ed.problems_shown() && h >= 12 {
        // At least 5 rows: room for the border (and its title with the counts).
        (ed.problems().len() as u16 + 3).max(5).min(h / 3).min(10)
    } else {
        0
    };
    let [header, body, problems, actions, status, bottom] = Layout::vertical([
        Constraint::Length(u16::from(h >= 8)),
        Constraint::Min(0),
        Constraint::Length(problems),
        Constraint::Length(panel_height(app, h)),
        Constraint::Length(u16::from(h >= 3)),
        Constraint::Length(u16::from(h >= 2)),
    ])
    .areas(area);
    // The debug run takes the lower half of the body; when there is no room for both, only
    // the one with the focus.
    let (body, debug) = if !ed.debug_shown() {
        (body, Rect::new(body.x, body.bottom(), body.width, 0))
    } else if body.height >= 8 {
        let [text, debug] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(body.height / 2)]).areas(body);
        (text, debug)
    } else if ed.pane == Pane::Debug {
        (Rect::new(body.x, body.y, body.width, 0), body)
    } else {
        (body, Rect::new(body.x, body.bottom(), body.width, 0))
    };
    EditorLayout {
        header,
        body,
        debug,
        problems,
        actions,
        status,
        bottom,
    }
}

fn screen(app: &App) -> Rect {
    Rect::new(0, 0, app.size.0, app.size.1)
}

/// How many lines of text the editor shows at the current size (a page).
pub(crate) fn editor_text_rows(app: &App) -> usize {
    match &app.editor {
        Some(ed) => layout(app, ed, screen(app)).body.height as usize,
        None => 0,
    }
}

/// The body inside its border, when there is room for one.
fn framed(body: Rect) -> Rect {
    if room_for_border(body) {
        body.inner(Margin::new(1, 1))
    } else {
        body
    }
}

/// How many rows of a debug run's results table fit at the current size (a page).
pub(crate) fn debug_visible_rows(app: &App) -> usize {
    match &app.editor {
        Some(ed) => debug_table_rows(ed, layout(app, ed, screen(app)).debug),
        None => 0,
    }
}

/// How many diff lines fit at the current size.
pub(crate) fn diff_visible_rows(app: &App) -> usize {
    match &app.editor {
        Some(ed) => framed(layout(app, ed, screen(app)).body).height as usize,
        None => 0,
    }
}

pub(crate) fn draw(app: &App, ed: &EditorState, frame: &mut Frame, area: Rect) {
    let l = layout(app, ed, area);
    if l.header.height > 0 {
        frame.render_widget(header_line(app, ed), l.header);
    }
    match ed.pane {
        Pane::Versions => draw_versions(app, ed, frame, l.body),
        Pane::Diff => draw_diff(app, ed, frame, l.body),
        Pane::Text | Pane::Problems | Pane::Debug => draw_text(app, ed, frame, l.body),
    }
    if l.debug.height > 0 {
        draw_debug(app, ed, frame, l.debug);
    }
    if l.problems.height > 0 {
        draw_problems(app, ed, frame, l.problems);
    }
    draw_panel(app, frame, l.actions);
    if l.status.height > 0 {
        frame.render_widget(status_line(app, ed), l.status);
    }
    if l.bottom.height > 0 {
        frame.render_widget(bottom_line(app, ed), l.bottom);
    }
}

fn header_line(app: &App, ed: &EditorState) -> Line<'static> {
    let t = &app.theme;
    let sep = || Span::styled(" · ", t.dim);
    let mut spans = vec![Span::styled("flinkdeck", t.title), Span::raw("  ")];
    if app.opts.readonly {
        spans.push(Span::styled("READ-ONLY", t.warning));
        spans.push(Span::raw("  "));
    }
    match ed.app() {
        None => {
            spans.push(Span::styled("SQL scratch buffer", t.base));
            spans.push(sep());
            spans.push(Span::styled("not saved anywhere", t.dim));
        }
        Some(name) => {
            spans.push(Span::styled(format!("Edit {}", clean(name)), t.base));
            if let Some(c) = &ed.cluster {
                spans.push(sep());
                spans.push(Span::styled(clean(c), t.base));
            }
            match ed.version {
                Some(v) => {
                    spans.push(sep());
                    spans.push(Span::styled(format!("version {v}"), t.base));
                }
                None if ed.history.error.is_none() => {
                    spans.push(sep());
                    spans.push(Span::styled("loading…", t.dim));
                }
                None => {}
            }
            if let Some((v, live)) = ed.history.data.as_ref().and_then(|h| h.running()) {
                spans.push(sep());
                let text = if live {
                    format!("running v{v}")
                } else {
                    format!("last run v{v}")
                };
                spans.push(Span::styled(text, if live { t.ok } else { t.dim }));
            }
        }
    }
    Line::from(spans)
}

// ---- the text ---------------------------------------------------------------------------------

/// What a line looks like on screen: tabs as spaces, other control characters as spaces.
fn shown(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push_str(TAB),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The end of the character starting at byte `b`.
fn char_end(line: &str, b: usize) -> usize {
    line[b..].chars().next().map_or(b, |c| b + c.len_utf8())
}

/// Styled byte ranges covering a line, in order.
type Runs = Vec<(usize, usize, Style)>;

/// Patches `style` onto the bytes `s..e` of the runs.
fn patch(runs: &mut Runs, s: usize, e: usize, style: Style) {
    if s >= e {
        return;
    }
    let mut out = Vec::with_capacity(runs.len() + 2);
    for &(a, b, st) in runs.iter() {
        if b <= s || a >= e {
            out.push((a, b, st));
            continue;
        }
        if a < s {
            out.push((a, s, st));
        }
        out.push((a.max(s), b.min(e), st.patch(style)));
        if b > e {
            out.push((e, b, st));
        }
    }
    *runs = out;
}

fn token_style(t: &Theme, kind: TokenKind) -> Style {
    match kind {
        TokenKind::Keyword => t.sql_keyword,
        TokenKind::Type => t.sql_type,
        TokenKind::String => t.sql_string,
        TokenKind::Comment => t.sql_comment,
        TokenKind::Hint => t.sql_hint,
        TokenKind::Number => t.sql_number,
        TokenKind::Variable => t.sql_variable,
        TokenKind::Function => t.sql_function,
        TokenKind::QuotedIdent => t.base,
    }
}

fn problem_style(t: &Theme, s: ProblemSeverity) -> Style {
    match s {
        ProblemSeverity::Error => t.problem_error,
        ProblemSeverity::Warning => t.problem_warning,
    }
}

fn cursor_style() -> Style {
    Style::default().add_modifier(Modifier::REVERSED)
}

fn draw_text(app: &App, ed: &EditorState, frame: &mut Frame, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let t = &app.theme;
    if !ed.ready() {
        match &ed.history.error {
            Some(e) => frame.render_widget(
                Paragraph::new(Span::styled(
                    format!("cannot edit {}: {}", clean(ed.name()), clean(e)),
                    t.warning,
                ))
                .wrap(Wrap { trim: false }),
                area,
            ),
            None => empty_message(app, frame, area, &format!("loading {}…", clean(ed.name()))),
        }
        return;
    }
    let lines = ed.buf.lines();
    let n = lines.len();
    let height = area.height as usize;
    let (crow, ccol) = ed.buf.cursor();
    let top = scroll_offset(ed.top.get(), crow, height, n);
    ed.top.set(top);

    let digits = n.to_string().len().max(3);
    let gutter_w = if area.width as usize >= digits + 12 {
        digits + 2
    } else {
        0
    };
    let [gutter, text] =
        Layout::horizontal([Constraint::Length(gutter_w as u16), Constraint::Min(0)]).areas(area);

    // Scroll sideways so that the cursor is visible.
    let cline = &lines[crow];
    let cx = Span::raw(shown(&cline[..byte_of(cline, ccol)])).width();
    let width = (text.width as usize).max(1);
    let mut left = ed.left.get();
    if cx < left {
        left = cx;
    } else if cx >= left + width {
        left = cx + 1 - width;
    }
    ed.left.set(left);

    let show_cursor = ed.prompt.is_none() && ed.pane == Pane::Text;
    let selection = ed.buf.textarea().selection_range();
    let problems = ed.problems();
    let mut hl = ed.buf.hl.borrow_mut();
    let mut gutter_lines = Vec::with_capacity(height);
    let mut text_lines = Vec::with_capacity(height);
    for row in top..(top + height).min(n) {
        let line = lines[row].as_str();
        let len = line.len();
        let state = hl.state_at(lines, row);
        let mut runs: Runs = if len > 0 {
            vec![(0, len, t.base)]
        } else {
            Vec::new()
        };
        for tok in hl.tokens(line, state) {
            patch(&mut runs, tok.start, tok.end, token_style(t, tok.kind));
        }
        for (s, e) in ed.buf.matches(line) {
            patch(&mut runs, s, e, t.search_match);
        }
        let mut worst: Option<ProblemSeverity> = None;
        let mut eol_style: Option<Style> = None;
        for p in problems.iter().filter(|p| p.line as usize == row + 1) {
            worst = Some(worst.map_or(p.severity, |w| w.min(p.severity)));
            let style = problem_style(t, p.severity).add_modifier(Modifier::UNDERLINED);
            let b = byte_of(line, (p.column as usize).saturating_sub(1));
            if b < len {
                patch(&mut runs, b, char_end(line, b), style);
            } else {
                eol_style = Some(style);
            }
        }
        if let Some(((sr, sc), (er, ec))) = selection {
            if (sr..=er).contains(&row) {
                let s = if row == sr { byte_of(line, sc) } else { 0 };
                let e = if row == er { byte_of(line, ec) } else { len };
                patch(&mut runs, s, e, t.selected);
            }
        }
        let mut trailing = eol_style.map(|s| Span::styled(" ", s));
        if show_cursor && row == crow {
            let b = byte_of(line, ccol);
            if b < len {
                patch(&mut runs, b, char_end(line, b), cursor_style());
            } else {
                trailing = Some(Span::styled(
                    " ",
                    eol_style.unwrap_or_default().patch(cursor_style()),
                ));
            }
        }
        let mut spans: Vec<Span> = runs
            .into_iter()
            .map(|(a, b, st)| Span::styled(shown(&line[a..b]), st))
            .collect();
        spans.extend(trailing);
        text_lines.push(Line::from(spans));

        if gutter_w > 0 {
            let (mark, mark_style) = match worst {
                Some(ProblemSeverity::Error) => ("E", problem_style(t, ProblemSeverity::Error)),
                Some(ProblemSeverity::Warning) => ("W", problem_style(t, ProblemSeverity::Warning)),
                None => (" ", t.gutter),
            };
            let number_style = if row == crow { t.title } else { t.gutter };
            gutter_lines.push(Line::from(vec![
                Span::styled(mark, mark_style),
                Span::styled(format!("{:>digits$} ", row + 1), number_style),
            ]));
        }
    }
    drop(hl);
    frame.render_widget(Paragraph::new(gutter_lines), gutter);
    let left = left.min(u16::MAX as usize) as u16;
    frame.render_widget(Paragraph::new(text_lines).scroll((0, left)), text);
}

// ---- the versions list ------------------------------------------------------------------------

fn draw_versions(app: &App, ed: &EditorState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let inner = framed(area);
    let history = ed.history.data.as_ref();
    let len = history.map_or(0, |h| h.versions.len());
    if room_for_border(area) {
        let mut title = format!(" Versions of {} ({len}) ", clean(ed.name()));
        if !ed.list.marked.is_empty() {
            let marks: Vec<String> = ed.list.marked.iter().map(|v| format!("v{v}")).collect();
            title.push_str(&format!("· marked {} ", marks.join(" ")));
        }
        frame.render_widget(panel(app, title, true), area);
    }
    let Some(history) = history else {
        let text = match &ed.history.error {
            Some(e) => format!("cannot load the versions: {}", clean(e)),
            None => "loading the versions…".to_string(),
        };
        empty_message(app, frame, inner, &text);
        return;
    };
    let running = history.running();
    let visible = inner.height.saturating_sub(1) as usize;
    let sel = ed.list.selected.min(len.saturating_sub(1));
    let offset = scroll_offset(ed.list.offset.get(), sel, visible, len);
    ed.list.offset.set(offset);
    let mut rows = Vec::new();
    let mut widths = [0usize; 6];
    for (i, v) in history
        .versions
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
    {
        let mut notes = Vec::new();
        if i == 0 {
            notes.push("current");
        }
        if ed.version == Some(v.version) {
            notes.push("open");
        }
        match running {
            Some((r, true)) if r == v.version => notes.push("running"),
            Some((r, false)) if r == v.version => notes.push("last run"),
            _ => {}
        }
        let texts = [
            if ed.list.marked.contains(&v.version) {
                "*".to_string()
            } else {
                String::new()
            },
            format!("v{}", v.version),
            format_timestamp(v.created_at),
            clean(&v.author),
            notes.join(", "),
            clean(v.message.as_deref().unwrap_or("")),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
        let cells = texts
            .into_iter()
            .enumerate()
            .map(|(c, s)| match c {
                0 => Cell::from(Span::styled(s, t.key_hint)),
                4 => Cell::from(Span::styled(s, t.ok)),
                _ => Cell::from(s),
            })
            .collect();
        rows.push((cells, Style::default()));
    }
    let cols = vec![
        Col::new("", widths[0].max(1), 0),
        Col::new("VERSION", widths[1], 0),
        Col::new("SAVED", widths[2], 2),
        Col::new("AUTHOR", widths[3], 3),
        Col::new("NOTE", widths[4], 4),
        Col::new("MESSAGE", widths[5].max(10), 1).fill(10),
    ];
    if rows.is_empty() {
        render_table(app, frame, inner, &cols, Vec::new(), None);
        return;
    }
    render_table(app, frame, inner, &cols, rows, sel.checked_sub(offset));
}

// ---- a diff -----------------------------------------------------------------------------------

fn draw_diff(app: &App, ed: &EditorState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(d) = ed.diff.as_ref() else {
        return;
    };
    let inner = framed(area);
    let height = inner.height as usize;
    let max = d.lines.len().saturating_sub(height);
    let scroll = d.scroll.min(max);
    if room_for_border(area) {
        let mut title = vec![
            Span::styled(format!(" {} ", clean(&d.title)), t.title),
            Span::styled(format!("+{}", d.added), t.diff_added),
            Span::styled(" ", t.dim),
            Span::styled(format!("-{}", d.removed), t.diff_removed),
            Span::raw(" "),
        ];
        if max > 0 {
            title.push(Span::styled(
                format!(
                    "· {}-{} of {} ",
                    scroll + 1,
                    (scroll + height).min(d.lines.len()),
                    d.lines.len()
                ),
                t.dim,
            ));
        }
        frame.render_widget(panel(app, Line::from(title), true), area);
    }
    if d.lines.is_empty() {
        empty_message(app, frame, inner, "no differences");
        return;
    }
    let widest = d
        .lines
        .iter()
        .filter_map(|l| l.old.max(l.new))
        .max()
        .unwrap_or(0);
    let w = widest.to_string().len().max(3);
    let number = |n: Option<usize>| n.map_or(" ".repeat(w), |n| format!("{n:>w$}"));
    let lines: Vec<Line> = d
        .lines
        .iter()
        .skip(scroll)
        .take(height)
        .map(|l| {
            let (sign, style) = match l.kind {
                DiffKind::Hunk => return Line::from(Span::styled(clean(&l.text), t.title)),
                DiffKind::Context => (" ", t.base),
                DiffKind::Added => ("+", t.diff_added),
                DiffKind::Removed => ("-", t.diff_removed),
            };
            Line::from(vec![
                Span::styled(format!("{} {} ", number(l.old), number(l.new)), t.gutter),
                Span::styled(format!("{sign} {}", shown(&l.text)), style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

// ---- the problems list ------------------------------------------------------------------------

/// `2 errors, 1 warning`, `0 errors, 0 warnings`.
fn problem_counts(ed: &EditorState) -> String {
    let n = |s| ed.problems().iter().filter(|p| p.severity == s).count();
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let (e, w) = (n(ProblemSeverity::Error), n(ProblemSeverity::Warning));
    format!("{}, {}", plural(e, "error"), plural(w, "warning"))
}

fn draw_problems(app: &App, ed: &EditorState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let focused = ed.pane == Pane::Problems;
    let inner = framed(area);
    if room_for_border(area) {
        frame.render_widget(
            panel(app, format!(" Problems: {} ", problem_counts(ed)), focused),
            area,
        );
    }
    let problems = ed.problems();
    let visible = inner.height.saturating_sub(1) as usize;
    let sel = ed.problem_sel.min(problems.len().saturating_sub(1));
    let offset = scroll_offset(ed.problems_offset.get(), sel, visible, problems.len());
    ed.problems_offset.set(offset);
    let mut widths = [0usize; 3];
    let mut rows = Vec::new();
    for p in problems.iter().skip(offset).take(visible) {
        let texts = [
            p.severity.as_str().to_string(),
            format!("{}:{}", p.line, p.column),
            p.statement.to_string(),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(s.len());
        }
        let [sev, at, stmt] = texts;
        rows.push((
            vec![
                Cell::from(Span::styled(sev, problem_style(t, p.severity))),
                Cell::from(at),
                Cell::from(stmt),
                Cell::from(clean(p.message.lines().next().unwrap_or(""))),
            ],
            Style::default(),
        ));
    }
    let cols = vec![
        Col::new("", widths[0], 1),
        Col::new("AT", widths[1], 0),
        Col::new("STMT", widths[2], 3),
        Col::new("MESSAGE", 20, 2).fill(10),
    ];
    let selected = if focused {
        sel.checked_sub(offset)
    } else {
        None
    };
    render_table(app, frame, inner, &cols, rows, selected);
}

// ---- status and bottom lines ------------------------------------------------------------------

fn status_line(app: &App, ed: &EditorState) -> Line<'static> {
    let t = &app.theme;
    let sep = || Span::styled(" │ ", t.dim);
    let mut spans = vec![
        Span::styled(format!(" {} ", ed.mode.label()), t.tab_active),
        Span::raw(" "),
        Span::styled(clean(ed.name()), t.base),
    ];
    if let Some(v) = ed.version {
        spans.push(Span::styled(format!(" v{v}"), t.dim));
    }
    if ed.buf.modified() {
        spans.push(Span::styled(" [+]", t.warning));
    }
    let (row, col) = ed.buf.cursor();
    spans.push(sep());
    spans.push(Span::styled(format!("{}:{}", row + 1, col + 1), t.base));
    spans.push(Span::styled(format!(" of {}", ed.buf.lines().len()), t.dim));
    if ed.save.is_some() {
        spans.push(sep());
        spans.push(Span::styled("saving…", t.dim));
    }
    let v = &ed.validation;
    if v.loading() {
        spans.push(sep());
        spans.push(Span::styled("validating…", t.dim));
        if ed.validate_queued {
            spans.push(Span::styled(" (again once done: the text changed)", t.dim));
        }
    } else if let Some(e) = &v.error {
        spans.push(sep());
        spans.push(Span::styled(
            format!(
                "validation failed: {}",
                clean(e.lines().next().unwrap_or(""))
            ),
            t.warning,
        ));
    } else if let Some(data) = &v.data {
        spans.push(sep());
        let style = if ed
            .problems()
            .iter()
            .any(|p| p.severity == ProblemSeverity::Error)
        {
            t.problem_error
        } else if ed.problems().is_empty() {
            t.ok
        } else {
            t.problem_warning
        };
        let text = match data.debug_request {
            Some(_) => format!("debug run: {}", problem_counts(ed)),
            None => format!(
                "validated in {} ms: {}",
                data.elapsed_ms,
                problem_counts(ed)
            ),
        };
        spans.push(Span::styled(text, style));
        if data.generation != ed.buf.generation() {
            spans.push(Span::styled(" (text changed since)", t.dim));
        }
    }
    if let Some(c) = ed.pending {
        spans.push(sep());
        spans.push(Span::styled(format!("{c}…"), t.key_hint));
    }
    Line::from(spans)
}

fn bottom_line(app: &App, ed: &EditorState) -> Line<'static> {
    let t = &app.theme;
    if let Some(p) = &ed.prompt {
        let (label, help) = match p.kind {
            PromptKind::Command => (":", "  enter run · esc cancel"),
            PromptKind::Search => ("/", "  enter search · esc cancel"),
            PromptKind::SaveMessage => {
                ("message for the new version: ", "  enter save · esc cancel")
            }
        };
        return Line::from(vec![
            Span::styled(label, t.key_hint),
            Span::styled(clean(&p.input), t.base),
            Span::styled("█", t.key_hint),
            Span::styled(help, t.dim),
        ]);
    }
    if let Some(f) = &app.flash {
        return flash_line(app, f);
    }
    let (ctx, items): (KeyContext, &[(Action, &str)]) = match (ed.pane, ed.mode) {
        (Pane::Versions, _) => (
            KeyContext::Versions,
            &[
                (Action::Open, "restore"),
                (Action::Diff, "diff with buffer"),
                (Action::Mark, "mark"),
                (Action::DiffMarked, "diff marked"),
                (Action::DiffRunning, "diff running"),
                (Action::Back, "back"),
            ],
        ),
        (Pane::Diff, _) => (
            KeyContext::Diff,
            &[
                (Action::Down, "scroll"),
                (Action::SearchNext, "next change"),
                (Action::SearchPrev, "previous"),
                (Action::Back, "close"),
            ],
        ),
        (Pane::Debug, _) => (
            KeyContext::Debug,
            &[
                (Action::NextTab, "next sink"),
                (Action::Down, "scroll"),
                (Action::Right, "columns"),
                (Action::Refresh, "run again"),
                (Action::Problems, "problems"),
                (Action::Back, "close"),
            ],
        ),
        (Pane::Problems, _) => (
            KeyContext::Problems,
            &[
                (Action::Open, "jump to it"),
                (Action::Down, "next"),
                (Action::Problems, "hide"),
                (Action::Back, "back"),
            ],
        ),
        (Pane::Text, Mode::Insert) => (
            KeyContext::Editor,
            &[
                (Action::Back, "normal mode"),
                (Action::Save, "save"),
                (Action::Validate, "validate"),
                (Action::Submit, "submit"),
            ],
        ),
        (Pane::Text, Mode::Visual) => (
            KeyContext::Editor,
            &[
                (Action::Copy, "copy"),
                (Action::DeleteChar, "cut"),
                (Action::Paste, "replace"),
                (Action::Back, "cancel"),
            ],
        ),
        (Pane::Text, Mode::Normal) => (
            KeyContext::Editor,
            &[
                (Action::Help, "help"),
                (Action::Insert, "insert"),
                (Action::Command, "command"),
                (Action::Save, "save"),
                (Action::Versions, "versions"),
                (Action::Validate, "validate"),
                (Action::Debug, "debug"),
                (Action::Problems, "problems"),
                (Action::Submit, "submit"),
                (Action::Quit, "close"),
            ],
        ),
    };
    Line::from(hint_spans(app, &[ctx, KeyContext::Global], items))
}
