//! The audit trail view: who did what, from where, and how it ended (newest first), with the
//! whole result of the selected entry below the table.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};
use ratatui::Frame;

use crate::domain::time::format_timestamp;
use crate::domain::AuditEntry;

use super::super::app::App;
use super::super::audit::{AuditState, AUDIT_LIMIT};
use super::super::fmt::{clean, first_line, truncate, wrap_words};
use super::super::keymap::{Action, KeyContext};
use super::{columns_with_fill, fill_width, render_empty_loaded};
use super::{hint_spans, render_table, scroll_offset, ListLayout};

fn layout(area: Rect) -> ListLayout {
    ListLayout::new(area, 6)
}

/// How many entries fit at the current size (for page up/down).
pub(crate) fn audit_visible_rows(app: &App, screen: Rect) -> usize {
    let errors = app
        .audit
        .as_ref()
        .map_or(0, |a| usize::from(a.load.error.is_some()));
    (layout(screen).table_inner().height as usize).saturating_sub(1 + errors)
}

/// The whole entry, for the popup Enter opens.
pub(crate) fn audit_entry_text(e: &AuditEntry) -> String {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    format!(
        "when:    {}\nuser:    {}\nfrom:    {}\naction:  {}\napp:     {}\ncluster: {}\n\
         outcome: {}\nresult:  {}\nparams:  {}",
        format_timestamp(e.at),
        e.user,
        opt(&e.ssh_origin),
        e.action,
        opt(&e.app),
        opt(&e.cluster),
        if e.ok { "✔ ok" } else { "✘ failed" },
        e.result,
        e.params,
    )
}

pub(crate) fn draw(app: &App, a: &AuditState, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let l = layout(area);
    if l.header.height > 0 {
        let mut spans = vec![Span::styled("flinkdeck", t.title), Span::raw("  ")];
        if app.opts.readonly {
            spans.push(Span::styled("READ-ONLY", t.warning));
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled("Audit trail", t.header));
        spans.push(Span::styled(
            "  actions run with flinkdeck, newest first",
            t.dim,
        ));
        frame.render_widget(Line::from(spans), l.header);
    }
    draw_table(app, a, frame, &l);
    if l.detail.height > 0 {
        if let Some(e) = a.selected_entry() {
            frame.render_widget(Paragraph::new(detail_lines(app, e, l.detail)), l.detail);
        }
    }
    if l.footer.height > 0 {
        let line = match &app.flash {
            Some(f) => super::actions::flash_line(app, f),
            None => footer(app, a),
        };
        frame.render_widget(line, l.footer);
    }
}

/// The selected entry's whole result, wrapped over the detail rows (`…` when it is longer).
fn detail_lines(app: &App, e: &AuditEntry, area: Rect) -> Vec<Line<'static>> {
    let t = &app.theme;
    let label = "result ";
    let width = (area.width as usize).saturating_sub(label.len()).max(1);
    let text = clean(&e.result);
    let mut rows = wrap_words(&text, width);
    let height = area.height as usize;
    if rows.len() > height {
        rows.truncate(height);
        if let Some(last) = rows.last_mut() {
            // Room for the ellipsis: cut one character more than the row holds.
            let cut: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{cut}…");
        }
    }
    let style = if e.ok { t.base } else { t.error };
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            let head = if i == 0 { label } else { "       " };
            Line::from(vec![Span::styled(head, t.dim), Span::styled(row, style)])
        })
        .collect()
}

fn footer(app: &App, a: &AuditState) -> Line<'static> {
    let mut spans = Vec::new();
    if a.load.loading() {
        spans.push(Span::styled("loading…", app.theme.warning));
        spans.push(Span::raw("  "));
    }
    let mut items = vec![(Action::Help, "help"), (Action::Back, "back")];
    if a.selected_entry().is_some() {
        items.push((Action::Open, "details"));
    }
    items.extend([(Action::Refresh, "refresh"), (Action::Quit, "quit")]);
    spans.extend(hint_spans(
        app,
        &[KeyContext::Audit, KeyContext::Global],
        &items,
    ));
    Line::from(spans)
}

const RESULT_COL: usize = 7;

fn draw_table(app: &App, a: &AuditState, frame: &mut Frame, l: &ListLayout) {
    let t = &app.theme;
    let entries = a.entries();
    let Some(inner) = l.draw_loaded_frame(app, frame, "Audit trail", &a.load, AUDIT_LIMIT) else {
        return;
    };

    let visible = inner.height.saturating_sub(1) as usize;
    let len = entries.len();
    let offset = scroll_offset(a.offset.get(), a.selected, visible, len);
    a.offset.set(offset);

    let mut widths = [0usize; 8];
    let mut texts_of_rows = Vec::new();
    for e in entries.iter().skip(offset).take(visible) {
        let opt = |v: &Option<String>| v.as_deref().map(clean).unwrap_or_else(|| "-".into());
        let texts = [
            format_timestamp(e.at),
            clean(&e.user),
            opt(&e.ssh_origin),
            clean(&e.action),
            opt(&e.app),
            opt(&e.cluster),
            if e.ok { "✔" } else { "✘" }.to_string(),
            clean(first_line(&e.result)),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
        texts_of_rows.push((texts, e.ok));
    }

    let spec = [
        ("AT", 2u8),
        ("USER", 5),
        ("FROM", 7),
        ("ACTION", 0),
        ("APP", 4),
        ("CLUSTER", 6),
        ("OK", 1),
        ("RESULT", 3),
    ];
    let cols = columns_with_fill(&spec, &widths, RESULT_COL, (6, 24));
    // The width the RESULT column gets, so its text ends with `…` when it is cut.
    let result_width = fill_width(&cols, inner.width, RESULT_COL);

    let rows: Vec<(Vec<Cell<'static>>, Style)> = texts_of_rows
        .into_iter()
        .map(|(texts, ok)| {
            let [at, user, from, action, app_name, cluster, mark, result] = texts;
            let result = truncate(&result, result_width);
            let ok_style = if ok { t.ok } else { t.error };
            (
                vec![
                    Cell::from(at),
                    Cell::from(user),
                    Cell::from(from),
                    Cell::from(action),
                    Cell::from(app_name),
                    Cell::from(cluster),
                    Cell::from(Span::styled(mark, ok_style)),
                    Cell::from(result),
                ],
                Style::default(),
            )
        })
        .collect();

    if rows.is_empty() {
        render_empty_loaded(app, frame, inner, &cols, &a.load, "no actions recorded yet");
        return;
    }
    render_table(
        app,
        frame,
        inner,
        &cols,
        rows,
        a.selected.checked_sub(offset),
    );
}
