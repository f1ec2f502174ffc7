//! The Alerts view: the watcher's incidents (open first, newest first, then recently closed) with
//! their state, and the header badge that counts the open incidents in every view (one
//! incident's detail is in `incident.rs`).

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};
use ratatui::Frame;

use crate::domain::alerts::IncidentRecord;
use crate::domain::incident::IncidentStatus;
use crate::domain::time::format_timestamp;

use super::super::alerts::{AlertsState, INCIDENTS_LIMIT};
use super::super::app::App;
use super::super::fmt::{clean, first_line, short_age, truncate, wrap_words};
use super::super::keymap::{Action, KeyContext};
use super::{columns_with_fill, fill_width, render_empty_loaded};
use super::{hint_spans, render_table, scroll_offset, ListLayout};

/// `⚠ 3 open`: the error colour while some open incident is neither muted nor acknowledged,
/// the warning colour when all are; `None` when nothing is open.
pub(crate) fn incident_badge(app: &App) -> Option<Span<'static>> {
    let (open, unquiet) = app.incidents_open;
    (open > 0).then(|| {
        let style = if unquiet > 0 {
            app.theme.error
        } else {
            app.theme.warning
        };
        Span::styled(format!("⚠ {open} open"), style)
    })
}

/// Draws the badge at the right end of the screen's first row (views other than the jobs list,
/// whose header lays it out with the cluster badges).
pub(crate) fn draw_badge_top_right(app: &App, frame: &mut Frame, area: Rect) {
    let Some(badge) = incident_badge(app) else {
        return;
    };
    let w = badge.width() as u16 + 2;
    if area.height == 0 || area.width < w + 10 {
        return;
    }
    let at = Rect::new(area.right() - w, area.y, w, 1);
    let line = Line::from(vec![
        Span::styled(" ", app.theme.base),
        badge,
        Span::raw(" "),
    ]);
    frame.render_widget(line, at);
}

fn layout(area: Rect) -> ListLayout {
    ListLayout::new(area, 6)
}

/// How many incidents fit at the current size (for page up/down).
pub(crate) fn alerts_visible_rows(app: &App, screen: Rect) -> usize {
    let errors = app
        .alerts
        .as_ref()
        .map_or(0, |a| usize::from(a.load.error.is_some()));
    (layout(screen).table_inner().height as usize).saturating_sub(1 + errors)
}

/// `OPEN`, `muted until 15:13`, `acked by ana`, `closed`, with its style.
pub(super) fn status_cell(app: &App, i: &IncidentRecord) -> (String, Style) {
    let t = &app.theme;
    match IncidentStatus::of(i, app.now_ms) {
        IncidentStatus::Open => ("OPEN".into(), t.error),
        IncidentStatus::Muted { until } => (
            format!("muted until {}", short_time(app.now_ms, until)),
            t.warning,
        ),
        IncidentStatus::Acked { by } => (format!("acked by {}", clean(&by)), t.warning),
        IncidentStatus::Closed { .. } => ("closed".into(), t.dim),
    }
}

/// `15:13` within a day of `now`, else `09-22 15:13`.
fn short_time(now: i64, at: i64) -> String {
    let full = format_timestamp(at);
    let within_day = (at - now).abs() < 20 * 3600 * 1000;
    match (within_day, full.get(11..16), full.get(5..16)) {
        (true, Some(hm), _) => hm.to_string(),
        (false, _, Some(mdhm)) => mdhm.to_string(),
        _ => full,
    }
}

pub(super) fn header_line(app: &App, a: &AlertsState) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![Span::styled("flinkdeck", t.title), Span::raw("  ")];
    if app.opts.readonly {
        spans.push(Span::styled("READ-ONLY", t.warning));
        spans.push(Span::raw("  "));
    }
    spans.push(Span::styled("Alerts", t.header));
    let text = match a.load.data {
        Some(_) => {
            let now = app.now_ms;
            let open = a
                .incidents()
                .iter()
                .filter(|i| IncidentStatus::of(i, now).is_open())
                .count();
            format!(
                "  {open} open · {} closed · from `flinkdeck watch`",
                a.incidents().len() - open
            )
        }
        None => "  incidents from `flinkdeck watch`".into(),
    };
    spans.push(Span::styled(text, t.dim));
    Line::from(spans)
}

pub(crate) fn draw(app: &App, a: &AlertsState, frame: &mut Frame, area: Rect) {
    if a.detail {
        if let Some(i) = a.selected_incident() {
            super::incident::draw(app, a, i, frame, area);
            return;
        }
    }
    let t = &app.theme;
    let l = layout(area);
    if l.header.height > 0 {
        frame.render_widget(header_line(app, a), l.header);
    }
    draw_table(app, a, frame, &l);
    if l.detail.height > 0 {
        if let Some(i) = a.selected_incident() {
            let lines = labelled_wrap(app, "reason ", &i.reason, l.detail, t.base);
            frame.render_widget(Paragraph::new(lines), l.detail);
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

/// `text` wrapped after `label` over the rows of `area` (`…` when it is longer).
pub(super) fn labelled_wrap(
    app: &App,
    label: &str,
    text: &str,
    area: Rect,
    style: Style,
) -> Vec<Line<'static>> {
    let t = &app.theme;
    let width = (area.width as usize).saturating_sub(label.len()).max(1);
    let mut rows = wrap_words(&clean(text), width);
    let height = area.height as usize;
    if rows.len() > height {
        rows.truncate(height);
        if let Some(last) = rows.last_mut() {
            let cut: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{cut}…");
        }
    }
    let pad = " ".repeat(label.len());
    rows.into_iter()
        .enumerate()
        .map(|(n, row)| {
            let head = if n == 0 {
                label.to_string()
            } else {
                pad.clone()
            };
            Line::from(vec![Span::styled(head, t.dim), Span::styled(row, style)])
        })
        .collect()
}

pub(super) fn footer(app: &App, a: &AlertsState) -> Line<'static> {
    let mut spans = Vec::new();
    if a.load.loading() && a.load.data.is_none() {
        spans.push(Span::styled("loading…", app.theme.warning));
        spans.push(Span::raw("  "));
    }
    let mut items = vec![(Action::Help, "help"), (Action::Back, "back")];
    if !a.detail && a.selected_incident().is_some() {
        items.push((Action::Open, "details"));
    }
    if a.selected_open(app.now_ms).is_some() {
        items.push((Action::Mute, "mute 1h"));
        items.push((Action::Acknowledge, "ack"));
    }
    items.extend([(Action::Refresh, "refresh"), (Action::Quit, "quit")]);
    spans.extend(hint_spans(
        app,
        &[KeyContext::Alerts, KeyContext::Global],
        &items,
    ));
    Line::from(spans)
}

const REASON_COL: usize = 7;

fn draw_table(app: &App, a: &AlertsState, frame: &mut Frame, l: &ListLayout) {
    let t = &app.theme;
    let list = a.incidents();
    let Some(inner) = l.draw_loaded_frame(app, frame, "Incidents", &a.load, INCIDENTS_LIMIT) else {
        return;
    };

    let visible = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(a.offset.get(), a.selected, visible, list.len());
    a.offset.set(offset);

    let mut widths = [0usize; 8];
    let mut texts_of_rows = Vec::new();
    for i in list.iter().skip(offset).take(visible) {
        let (state, style) = status_cell(app, i);
        let texts = [
            format!("#{}", i.id),
            state,
            clean(&i.rule),
            i.kind.as_str().to_string(),
            clean(&i.subject),
            clean(&i.cluster),
            short_age(app.now_ms - i.opened_at),
            clean(first_line(&i.reason)),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
        texts_of_rows.push((texts, style));
    }

    let spec = [
        ("ID", 0u8),
        ("STATE", 0),
        ("RULE", 3),
        ("KIND", 5),
        ("SUBJECT", 1),
        ("CLUSTER", 6),
        ("OPENED", 4),
        ("REASON", 2),
    ];
    let cols = columns_with_fill(&spec, &widths, REASON_COL, (6, 24));
    // The width the REASON column gets, so its text ends with `…` when it is cut.
    let reason_width = fill_width(&cols, inner.width, REASON_COL);

    let rows: Vec<(Vec<Cell<'static>>, Style)> = texts_of_rows
        .into_iter()
        .map(|(texts, style)| {
            let [id, state, rule, kind, subject, cluster, opened, reason] = texts;
            let closed = style == t.dim;
            (
                vec![
                    Cell::from(id),
                    Cell::from(Span::styled(state, style)),
                    Cell::from(rule),
                    Cell::from(kind),
                    Cell::from(subject),
                    Cell::from(cluster),
                    Cell::from(opened),
                    Cell::from(truncate(&reason, reason_width)),
                ],
                if closed { t.dim } else { Style::default() },
            )
        })
        .collect();

    if rows.is_empty() {
        render_empty_loaded(
            app,
            frame,
            inner,
            &cols,
            &a.load,
            "no incidents: `flinkdeck watch` opens them when an [[alerts.rules]] rule matches",
        );
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

#[cfg(test)]
mod tests {
    use super::short_time;

    #[test]
    fn short_time_drops_the_date_within_a_day() {
        use crate::domain::time::format_timestamp;
        let now = 1_790_000_000_000;
        let soon = now + 3_600_000;
        let later = now + 30 * 3_600_000;
        assert_eq!(short_time(now, soon), format_timestamp(soon)[11..16]);
        assert_eq!(short_time(now, later), format_timestamp(later)[5..16]);
        assert_eq!(short_time(now, later).len(), "09-22 20:13".len());
    }
}
