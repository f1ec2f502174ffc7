//! Rendering: pure functions of `&App` into a `Frame`. Layout helpers here are shared with
//! `update` (page sizes, log viewport) so both agree on what is visible.

mod actions;
mod alerts;
mod audit;
mod builds;
mod detail;
mod editor;
mod editor_debug;
mod incident;
mod jobs;
mod jobs_columns;
mod logs;
mod overlay;
mod palette;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, HighlightSpacing, Row, Table, TableState};
use ratatui::Frame;

use super::app::App;
use super::fmt::{clean, first_line};
use super::keymap::{Action, KeyContext};

pub(crate) use actions::flash_line;
pub(crate) use alerts::{alerts_visible_rows, incident_badge};
pub(crate) use audit::{audit_entry_text, audit_visible_rows};
pub(crate) use builds::builds_visible_rows;
pub(crate) use detail::{log_text_area, pods_visible_rows, trace_visible_rows};
pub(crate) use editor::{debug_visible_rows, diff_visible_rows, editor_text_rows};
pub(crate) use incident::deliveries_visible_rows;
pub(crate) use jobs::jobs_visible_rows;
pub(crate) use logs::log_bottom_top;
pub(crate) use overlay::overlay_max_scroll;

/// Marker in front of the selected table row (visible without colours too).
pub(crate) const SELECTED_MARK: &str = "> ";

pub(crate) fn draw(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    frame.buffer_mut().set_style(area, app.theme.base);
    match (&app.editor, &app.detail, &app.clusters_view, &app.audit) {
        (Some(ed), _, _, _) => editor::draw(app, ed, frame, area),
        (None, Some(d), _, _) => detail::draw(app, d, frame, area),
        (None, None, Some(c), _) => c.draw(app, frame, area),
        (None, None, None, Some(a)) => audit::draw(app, a, frame, area),
        (None, None, None, None) => match (&app.alerts, &app.builds) {
            (Some(a), _) => alerts::draw(app, a, frame, area),
            (None, Some(b)) => builds::draw(app, b, frame, area),
            (None, None) => jobs::draw(app, frame, area),
        },
    }
    // The open incidents' badge: the jobs list lays it out in its header, every other view
    // shows it at the right end of the first row.
    let jobs_view = app.editor.is_none()
        && app.detail.is_none()
        && app.clusters_view.is_none()
        && app.audit.is_none()
        && app.alerts.is_none()
        && app.builds.is_none();
    if !jobs_view {
        alerts::draw_badge_top_right(app, frame, area);
    }
    palette::draw(app, frame, area);
    if let Some(d) = &app.dialog {
        actions::draw_dialog(app, d, frame, area);
    }
    if let Some(o) = &app.overlay {
        overlay::draw(app, o, frame, area);
    }
}

/// A table column: its title, the width it wants, whether it takes the rest of the row (and how
/// narrow it may get), and its priority (0 = kept longest when the terminal is narrow).
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub title: String,
    pub width: u16,
    pub prio: u8,
    pub fill: bool,
    pub min: u16,
}

impl Col {
    pub fn new(title: impl Into<String>, width: usize, prio: u8) -> Col {
        let title = title.into();
        let w = width.max(Span::raw(title.as_str()).width());
        let width = w.min(u16::MAX as usize) as u16;
        Col {
            title,
            width,
            prio,
            fill: false,
            min: width,
        }
    }

    /// Takes the rest of the row; may shrink to `min` cells so that an essential column fits.
    pub fn fill(mut self, min: u16) -> Col {
        self.fill = true;
        self.min = min.min(self.width);
        self
    }
}

/// Which columns fit in `avail` cells, in priority order, keeping the original order: the first
/// column that does not fit hides it and every less important one (so columns disappear
/// right-to-left as the terminal narrows). The most important column is always kept; to fit
/// the essential columns (priority 0 and 1) the fill column may shrink to its minimum.
pub(crate) fn fit_columns(cols: &[Col], avail: u16, spacing: u16) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| (cols[i].prio, i));
    let avail = avail as u32;
    let mut used: u32 = 0;
    let mut slack: u32 = 0;
    let mut keep = Vec::new();
    for (n, i) in order.into_iter().enumerate() {
        let col = &cols[i];
        let need = col.width as u32 + if n == 0 { 0 } else { spacing as u32 };
        if n == 0 || used + need <= avail {
            used += need;
        } else if col.prio <= 1 && used + need - avail <= slack {
            slack -= used + need - avail;
            used = avail;
        } else {
            break;
        }
        if col.fill {
            slack += (col.width - col.min) as u32;
        }
        keep.push(i);
    }
    keep.sort_unstable();
    keep
}

/// First visible row so that `selected` is visible, moving as little as possible from `prev`.
pub(crate) fn scroll_offset(prev: usize, selected: usize, visible: usize, len: usize) -> usize {
    if visible == 0 || len == 0 {
        return 0;
    }
    let mut off = prev.min(len.saturating_sub(visible));
    if selected < off {
        off = selected;
    } else if selected >= off + visible {
        off = selected + 1 - visible;
    }
    off
}

/// A table over the visible rows only: `rows` are already the window starting at the offset;
/// `selected` is relative to that window.
pub(crate) fn render_table(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    cols: &[Col],
    rows: Vec<(Vec<Cell<'static>>, Style)>,
    selected: Option<usize>,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let mark = if selected.is_some() {
        SELECTED_MARK.len() as u16
    } else {
        0
    };
    let keep = fit_columns(cols, area.width.saturating_sub(mark), 1);
    let widths: Vec<ratatui::layout::Constraint> = keep
        .iter()
        .map(|&i| {
            if cols[i].fill {
                ratatui::layout::Constraint::Fill(1)
            } else {
                ratatui::layout::Constraint::Length(cols[i].width)
            }
        })
        .collect();
    let header = Row::new(
        keep.iter()
            .map(|&i| Cell::from(cols[i].title.clone()))
            .collect::<Vec<_>>(),
    )
    .style(app.theme.table_header);
    let body: Vec<Row> = rows
        .into_iter()
        .map(|(cells, style)| {
            let cells: Vec<Cell> = keep
                .iter()
                .map(|&i| cells.get(i).cloned().unwrap_or_default())
                .collect();
            Row::new(cells).style(style)
        })
        .collect();
    let mut table = Table::new(body, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(app.theme.selected);
    if selected.is_some() {
        table = table
            .highlight_symbol(SELECTED_MARK)
            .highlight_spacing(HighlightSpacing::Always);
    }
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

/// A bordered panel (only when there is room for borders).
pub(crate) fn panel<'a>(app: &App, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            app.theme.border_focused
        } else {
            app.theme.border
        })
        .title(title.into().style(app.theme.title))
}

/// Whether `area` has room for a bordered panel.
pub(crate) fn room_for_border(area: Rect) -> bool {
    area.width >= 20 && area.height >= 5
}

/// Key hints from the keymap: `enter open  / filter  …` for the actions that are bound.
pub(crate) fn hint_spans(
    app: &App,
    contexts: &[KeyContext],
    items: &[(Action, &str)],
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for (action, label) in items {
        let key = contexts
            .iter()
            .find_map(|ctx| app.keymap.hint(*ctx, *action))
            // Enter opens in the detail view even when the keymap does not bind it there.
            .or_else(|| (*action == Action::Open).then(|| "enter".to_string()));
        if let Some(key) = key {
            if !spans.is_empty() {
                spans.push(Span::styled("  ", app.theme.dim));
            }
            spans.push(Span::styled(key, app.theme.key_hint));
            spans.push(Span::styled(format!(" {label}"), app.theme.dim));
        }
    }
    spans
}

/// A rectangle of `w`×`h` centred in `area` (clamped to it).
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The message of an empty table, centred in its area.
pub(crate) fn empty_message(app: &App, frame: &mut Frame, area: Rect, text: &str) {
    if area.height == 0 {
        return;
    }
    let y = area.y + area.height / 2;
    let line = Line::from(Span::styled(text.to_string(), app.theme.dim)).centered();
    frame.render_widget(line, Rect::new(area.x, y, area.width, 1));
}

/// A load's error on the first row of `area` (saying the last data is shown, if any), which then
/// starts one row lower.
pub(crate) fn draw_load_error<T>(
    app: &App,
    frame: &mut Frame,
    area: &mut Rect,
    load: &crate::tui::detail::Load<T>,
) {
    let Some(e) = &load.error else {
        return;
    };
    if area.height == 0 {
        return;
    }
    let t = &app.theme;
    let line = Line::from(vec![
        Span::styled("error: ", t.error),
        Span::styled(clean(first_line(e)), t.error),
        Span::styled(
            if load.data.is_some() {
                "  (showing last data)"
            } else {
                ""
            },
            t.dim,
        ),
    ]);
    frame.render_widget(line, Rect { height: 1, ..*area });
    area.y += 1;
    area.height -= 1;
}

/// An empty table: its header, and `msg` centred in the rows below it.
pub(crate) fn render_empty_table(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    cols: &[Col],
    msg: &str,
) {
    render_table(app, frame, area, cols, Vec::new(), None);
    let below = Rect {
        y: area.y.saturating_add(1).min(area.bottom()),
        height: area.height.saturating_sub(1),
        ..area
    };
    empty_message(app, frame, below, msg);
}

/// An empty loaded list: `empty` once loaded, `loading…` before, only the header after an error
/// (the error line says why).
pub(crate) fn render_empty_loaded<T>(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    cols: &[Col],
    load: &crate::tui::detail::Load<T>,
    empty: &str,
) {
    match (&load.data, &load.error) {
        (Some(_), _) => render_empty_table(app, frame, area, cols, empty),
        (None, Some(_)) => render_table(app, frame, area, cols, Vec::new(), None),
        (None, None) => render_empty_table(app, frame, area, cols, "loading…"),
    }
}

/// Columns from `(title, priority)` with their content `widths`; column `fill` takes the rest of
/// the row (its own width clamped to `clamp`, at least `clamp.0` when the row is short).
pub(crate) fn columns_with_fill(
    spec: &[(&str, u8)],
    widths: &[usize],
    fill: usize,
    clamp: (usize, usize),
) -> Vec<Col> {
    spec.iter()
        .enumerate()
        .map(|(i, (title, prio))| {
            if i == fill {
                Col::new(*title, widths[i].clamp(clamp.0, clamp.1), *prio).fill(clamp.0 as u16)
            } else {
                Col::new(*title, widths[i], *prio)
            }
        })
        .collect()
}

/// The width column `fill` gets in a table `width` wide (after the selection mark), so that its
/// text can be cut with `…` to fit.
pub(crate) fn fill_width(cols: &[Col], width: u16, fill: usize) -> usize {
    let avail = width.saturating_sub(SELECTED_MARK.len() as u16);
    let others: u16 = fit_columns(cols, avail, 1)
        .iter()
        .filter(|&&i| i != fill)
        .map(|&i| cols[i].width + 1)
        .sum();
    avail.saturating_sub(others) as usize
}

/// The layout of a full-screen list (audit trail, clusters): a header line, the table (bordered
/// when there is room), a detail area under it (two lines from a height of 14) and a footer line.
pub(crate) struct ListLayout {
    pub header: Rect,
    pub table: Rect,
    pub bordered: bool,
    pub detail: Rect,
    pub footer: Rect,
}

impl ListLayout {
    /// `detail_from`: the smallest height at which a one-line detail area is shown.
    pub fn new(area: Rect, detail_from: u16) -> ListLayout {
        use ratatui::layout::{Constraint, Layout};
        let h = area.height;
        let detail = if h >= 14 {
            2
        } else {
            u16::from(h >= detail_from)
        };
        let [header, table, detail, footer] = Layout::vertical([
            Constraint::Length(u16::from(h >= 8)),
            Constraint::Min(0),
            Constraint::Length(detail),
            Constraint::Length(u16::from(h >= 4)),
        ])
        .areas(area);
        ListLayout {
            header,
            table,
            bordered: table.height >= 6 && table.width >= 30,
            detail,
            footer,
        }
    }

    /// The table's area inside its border, if it has one.
    pub fn table_inner(&self) -> Rect {
        if self.bordered {
            self.table.inner(ratatui::layout::Margin::new(1, 1))
        } else {
            self.table
        }
    }

    /// Draws the frame of a loaded list: the panel titled `name (count)` (or `name (newest
    /// limit)` when the list is at its limit), and the load error on the first row (saying the
    /// last data is shown, if any). Returns the rows left for the table; `None` when there are
    /// none.
    pub fn draw_loaded_frame<T>(
        &self,
        app: &App,
        frame: &mut Frame,
        name: &str,
        load: &crate::tui::detail::Load<Vec<T>>,
        limit: usize,
    ) -> Option<Rect> {
        let mut inner = self.table_inner();
        if self.bordered {
            let title = match &load.data {
                Some(d) if d.len() >= limit => format!(" {name} (newest {limit}) "),
                Some(d) => format!(" {name} ({}) ", d.len()),
                None => format!(" {name} "),
            };
            frame.render_widget(panel(app, title, true), self.table);
        }
        if inner.width == 0 || inner.height == 0 {
            return None;
        }
        draw_load_error(app, frame, &mut inner, load);
        Some(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_drop_by_priority() {
        let cols = vec![
            Col::new("A", 5, 0),
            Col::new("B", 5, 2),
            Col::new("C", 5, 1),
            Col::new("D", 1, 3),
        ];
        assert_eq!(fit_columns(&cols, 19, 1), vec![0, 1, 2, 3]);
        assert_eq!(fit_columns(&cols, 17, 1), vec![0, 1, 2]);
        // B does not fit: D, less important, is hidden too even though it would fit.
        assert_eq!(fit_columns(&cols, 13, 1), vec![0, 2]);
        assert_eq!(fit_columns(&cols, 1, 1), vec![0]);
        // The fill column shrinks so the essential column still fits.
        let cols = vec![Col::new("NAME", 16, 0).fill(4), Col::new("STATE", 12, 1)];
        assert_eq!(fit_columns(&cols, 18, 1), vec![0, 1]);
        assert_eq!(fit_columns(&cols, 16, 1), vec![0]);
    }

    #[test]
    fn offsets_keep_selection_visible() {
        assert_eq!(scroll_offset(0, 12, 10, 30), 3);
        assert_eq!(scroll_offset(5, 2, 10, 30), 2);
        assert_eq!(scroll_offset(25, 29, 10, 30), 20);
        assert_eq!(scroll_offset(3, 0, 0, 30), 0);
    }
}
