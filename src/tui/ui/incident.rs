//! One incident of the Alerts view: its fields (state, rule, subject, job, times, who quieted it,
//! the reason) and every delivery attempt (channel, event, attempt, ok, what the service said).

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph};
use ratatui::Frame;

use crate::domain::alerts::IncidentRecord;
use crate::domain::time::format_timestamp;

use super::super::alerts::AlertsState;
use super::super::app::App;
use super::super::fmt::{clean, first_line, short_age, truncate};
use super::alerts::{footer, header_line, labelled_wrap, status_cell};
use super::{empty_message, fit_columns, panel, render_table, room_for_border, Col};

/// Rows of an incident's detail above its deliveries.
const FIELD_ROWS: u16 = 10;

struct DetailLayout {
    header: Rect,
    body: Rect,
    bordered: bool,
    fields: Rect,
    deliveries: Rect,
    footer: Rect,
}

fn detail_layout(area: Rect) -> DetailLayout {
    let h = area.height;
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(u16::from(h >= 8)),
        Constraint::Min(0),
        Constraint::Length(u16::from(h >= 4)),
    ])
    .areas(area);
    let bordered = room_for_border(body);
    let inner = if bordered {
        body.inner(Margin::new(1, 1))
    } else {
        body
    };
    let fields_h = FIELD_ROWS.min(inner.height.saturating_sub(3));
    let [fields, deliveries] =
        Layout::vertical([Constraint::Length(fields_h), Constraint::Min(0)]).areas(inner);
    DetailLayout {
        header,
        body,
        bordered,
        fields,
        deliveries,
        footer,
    }
}

/// How many delivery rows an incident's detail shows at the current size.
pub(crate) fn deliveries_visible_rows(_app: &App, screen: Rect) -> usize {
    (detail_layout(screen).deliveries.height as usize).saturating_sub(1)
}

/// The fields of one incident, one row each (the reason wrapped over the last rows).
fn field_lines(app: &App, i: &IncidentRecord, area: Rect) -> Vec<Line<'static>> {
    let t = &app.theme;
    let now = app.now_ms;
    let when = |ms: i64| format!("{} ({} ago)", format_timestamp(ms), short_age(now - ms));
    let row = |label: &str, spans: Vec<Span<'static>>| {
        let mut v = vec![Span::styled(format!("{label:<10}"), t.dim)];
        v.extend(spans);
        Line::from(v)
    };
    let dim = |s: &str| Span::styled(s.to_string(), t.dim);
    let plain = |s: String| Span::styled(s, t.base);
    let (state, style) = status_cell(app, i);
    let mut lines = vec![
        row("state", vec![Span::styled(state, style)]),
        row(
            "rule",
            vec![
                plain(clean(&i.rule)),
                dim(" · kind "),
                plain(i.kind.as_str().into()),
            ],
        ),
        row(
            "subject",
            vec![
                plain(clean(&i.subject)),
                dim(" · cluster "),
                plain(clean(&i.cluster)),
            ],
        ),
        row(
            "job",
            vec![
                dim("app "),
                plain(i.app.as_deref().map_or("-".into(), clean)),
                dim(" · job "),
                plain(i.job_id.as_deref().map_or("-".into(), clean)),
                dim(" · state "),
                plain(i.state.as_deref().map_or("-".into(), clean)),
            ],
        ),
        row(
            "opened",
            vec![
                plain(when(i.opened_at)),
                dim(" · since "),
                plain(when(i.since)),
            ],
        ),
        row(
            "notified",
            vec![
                plain(when(i.last_notified_at)),
                dim(" · closed "),
                plain(i.closed_at.map_or("-".into(), when)),
            ],
        ),
        row(
            "quiet",
            match (&i.acknowledged_by, i.acknowledged_at, i.muted_until) {
                (Some(by), at, _) => vec![
                    plain(format!("acknowledged by {}", clean(by))),
                    dim(&at
                        .map(|a| format!(" at {}", format_timestamp(a)))
                        .unwrap_or_default()),
                ],
                (None, _, Some(m)) if m > now => {
                    vec![plain(format!("muted until {}", format_timestamp(m)))]
                }
                _ => vec![dim("-")],
            },
        ),
    ];
    // The last row is the deliveries' title.
    let reason_rows = Rect {
        height: area.height.saturating_sub(lines.len() as u16 + 1).max(1),
        ..area
    };
    lines.extend(labelled_wrap(
        app,
        "reason    ",
        &i.reason,
        reason_rows,
        t.base,
    ));
    lines.truncate(area.height as usize);
    lines
}

pub(crate) fn draw(app: &App, a: &AlertsState, i: &IncidentRecord, frame: &mut Frame, area: Rect) {
    let l = detail_layout(area);
    if l.header.height > 0 {
        frame.render_widget(header_line(app, a), l.header);
    }
    if l.bordered {
        frame.render_widget(panel(app, format!(" Incident #{} ", i.id), true), l.body);
    }
    if l.fields.height > 0 {
        frame.render_widget(Paragraph::new(field_lines(app, i, l.fields)), l.fields);
        if l.fields.height == FIELD_ROWS {
            let ok = i.deliveries.iter().filter(|d| d.ok).count();
            let label = format!(
                "Deliveries ({} attempt{}, {ok} accepted)",
                i.deliveries.len(),
                if i.deliveries.len() == 1 { "" } else { "s" }
            );
            let row = Rect {
                y: l.fields.bottom() - 1,
                height: 1,
                ..l.fields
            };
            frame.render_widget(Line::from(Span::styled(label, app.theme.title)), row);
        }
    }
    if l.deliveries.height > 0 {
        draw_deliveries(app, a, i, frame, l.deliveries);
    }
    if l.footer.height > 0 {
        let line = match &app.flash {
            Some(f) => super::actions::flash_line(app, f),
            None => footer(app, a),
        };
        frame.render_widget(line, l.footer);
    }
}

const RESULT_COL: usize = 5;

fn draw_deliveries(app: &App, a: &AlertsState, i: &IncidentRecord, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let visible = area.height.saturating_sub(1) as usize;
    let last = i.deliveries.len().saturating_sub(visible);
    let offset = a.detail_scroll.min(last);
    let mut widths = [0usize; 6];
    let mut texts_of_rows = Vec::new();
    for d in i.deliveries.iter().skip(offset).take(visible) {
        let texts = [
            format_timestamp(d.at),
            clean(&d.channel),
            clean(&d.event),
            d.attempt.to_string(),
            if d.ok { "✔" } else { "✘" }.to_string(),
            clean(first_line(&d.result)),
        ];
        for (w, s) in widths.iter_mut().zip(texts.iter()) {
            *w = (*w).max(Span::raw(s.as_str()).width());
        }
        texts_of_rows.push((texts, d.ok));
    }
    let spec = [
        ("AT", 3u8),
        ("CHANNEL", 0),
        ("EVENT", 1),
        ("ATTEMPT", 4),
        ("OK", 0),
        ("RESULT", 2),
    ];
    let cols: Vec<Col> = spec
        .iter()
        .enumerate()
        .map(|(n, (title, prio))| {
            if n == RESULT_COL {
                Col::new(*title, widths[n].clamp(6, 60), *prio).fill(6)
            } else {
                Col::new(*title, widths[n], *prio)
            }
        })
        .collect();
    let keep = fit_columns(&cols, area.width, 1);
    let others: u16 = keep
        .iter()
        .filter(|&&n| n != RESULT_COL)
        .map(|&n| cols[n].width + 1)
        .sum();
    let result_width = area.width.saturating_sub(others) as usize;
    let rows: Vec<(Vec<Cell<'static>>, Style)> = texts_of_rows
        .into_iter()
        .map(|(texts, ok)| {
            let [at, channel, event, attempt, mark, result] = texts;
            let style = if ok { t.ok } else { t.error };
            (
                vec![
                    Cell::from(at),
                    Cell::from(channel),
                    Cell::from(event),
                    Cell::from(attempt),
                    Cell::from(Span::styled(mark, style)),
                    Cell::from(truncate(&result, result_width)),
                ],
                Style::default(),
            )
        })
        .collect();
    let empty = rows.is_empty();
    render_table(app, frame, area, &cols, rows, None);
    if empty {
        let below = Rect {
            y: area.y.saturating_add(1).min(area.bottom()),
            height: area.height.saturating_sub(1),
            ..area
        };
        empty_message(
            app,
            frame,
            below,
            "no deliveries (the rule names no channel)",
        );
    }
}
