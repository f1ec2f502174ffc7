//! The jobs table's columns (`[ui] columns`): each column's cells for the visible rows, widths
//! that follow the content (NAME takes what its names need, not the rest of the row; the rest
//! shows more columns), dropping by priority when narrow, and the metric columns with their
//! sparklines.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;

use crate::domain::job_columns::JobColumn;
use crate::domain::job_health::{assess, short_count, short_duration, JobVitals, VitalSample};
use crate::domain::sparkline::sparkline;
use crate::domain::time::{format_duration_ms, format_rate};
use crate::domain::{CheckpointStatus, JobState, JobSummary};

use super::super::app::App;
use super::super::fmt::{checkpoint_cell, clean, short_age, truncate, truncate_start};
use super::super::jobs::{uptime_ms, JobRow, RowSource, SortColumn, NO_STATE};
use super::{fit_columns, Col, SELECTED_MARK};

/// Sparkline cells after a metric value.
pub(crate) const SPARK_WIDTH: usize = crate::domain::sparkline::SPARK_SAMPLES;
/// NAME never asks for more than this (longer names are cut with `…`).
const NAME_MAX: usize = 60;
/// NAME may shrink to this so that the essential columns fit.
const NAME_MIN: usize = 16;
/// After the app name of a job that differs from its app's definition (`flinkdeck drift`).
const DRIFT_MARKER: &str = " ≠drift";

/// The columns to show: the configured ones, without APP while there are no managed apps.
fn shown(app: &App) -> Vec<JobColumn> {
    let show_app = !app.managed.is_empty();
    app.jobs
        .columns
        .iter()
        .copied()
        .filter(|c| show_app || *c != JobColumn::App)
        .collect()
}

fn title(c: JobColumn) -> &'static str {
    match c {
        JobColumn::Cluster => "CLUSTER",
        JobColumn::App => "APP",
        JobColumn::Name => "NAME",
        JobColumn::State => "STATE",
        JobColumn::Reason => "REASON",
        JobColumn::Uptime => "UPTIME",
        JobColumn::Tasks => "TASKS",
        JobColumn::Checkpoint => "CHECKPOINT",
        JobColumn::Restarts => "RESTARTS",
        JobColumn::RecordsIn => "IN/S",
        JobColumn::RecordsOut => "OUT/S",
        JobColumn::Backpressure => "BP",
        JobColumn::WatermarkLag => "WM LAG",
        JobColumn::Pending => "PENDING",
    }
}

/// The sort a column's title shows the arrow for.
fn sort_of(c: JobColumn) -> Option<SortColumn> {
    Some(match c {
        JobColumn::Cluster => SortColumn::Cluster,
        JobColumn::App => SortColumn::App,
        JobColumn::Name => SortColumn::Name,
        JobColumn::State => SortColumn::State,
        JobColumn::Reason => SortColumn::Problems,
        JobColumn::Uptime => SortColumn::Uptime,
        JobColumn::Tasks => SortColumn::Tasks,
        JobColumn::Checkpoint => SortColumn::Checkpoint,
        JobColumn::Restarts => SortColumn::Restarts,
        _ => return None,
    })
}

/// A metric value right-aligned in `w` cells, then its sparkline.
fn metric_text(value: Option<String>, samples: Vec<f32>, w: usize) -> String {
    match value {
        None => "-".into(),
        Some(v) => format!("{v:>w$} {}", sparkline(&samples, SPARK_WIDTH)),
    }
}

fn series(v: &JobVitals, f: impl Fn(&VitalSample) -> f32) -> Vec<f32> {
    v.history.iter().map(f).collect()
}

/// A group's header row (`z`): `▾ name` in the first column, the counts (problems styled) in
/// NAME, or in the second column when NAME is first or not shown.
fn group_header(app: &App, gi: usize, cols: &[JobColumn]) -> Vec<Cell1> {
    let t = &app.theme;
    let h = &app.jobs.groups[gi];
    let mut cells: Vec<Cell1> = cols
        .iter()
        .map(|_| Cell1 {
            text: String::new(),
            style: Style::default(),
            suffix: None,
        })
        .collect();
    if cells.is_empty() {
        return cells;
    }
    cells[0].text = clean(&h.label());
    cells[0].style = t.title;
    let at = match cols.iter().position(|c| *c == JobColumn::Name) {
        Some(n) if n > 0 => Some(n),
        _ => (cols.len() > 1).then_some(1),
    };
    if let Some(at) = at {
        cells[at].text = h.counts();
        cells[at].style = if h.problems > 0 { t.warning } else { t.dim };
    }
    cells
}

/// The text (and style) of column `c` for job `j`.
fn text(app: &App, c: JobColumn, row: &JobRow, j: &JobSummary, cluster_cap: usize) -> Cell1 {
    let t = &app.theme;
    let now = app.now_ms;
    let plain = |s: String| Cell1 {
        text: s,
        style: Style::default(),
        suffix: None,
    };
    let vitals = j.vitals.as_ref().filter(|_| row.is_job());
    let metric = |value: Option<String>, f: fn(&VitalSample) -> f32, w: usize| match vitals {
        Some(v) => plain(metric_text(value, series(v, f), w)),
        None => plain("-".into()),
    };
    match c {
        JobColumn::Cluster => plain(truncate_start(&clean(&j.cluster), cluster_cap)),
        JobColumn::App => {
            // A drifted app (its job runs something else than its definition) gets a marker.
            let drifted = row.is_job() && !app.drift_of(&j.cluster, &j.id).is_empty();
            Cell1 {
                text: row.app.as_deref().map(clean).unwrap_or_default(),
                style: Style::default(),
                suffix: drifted.then(|| (DRIFT_MARKER.to_string(), t.warning)),
            }
        }
        JobColumn::Name => plain(clean(&j.name)),
        JobColumn::State => {
            let no_state = matches!(&j.state, JobState::Unknown(s) if s == NO_STATE);
            Cell1 {
                text: if j.stale {
                    format!("{}?", j.state.as_str())
                } else {
                    j.state.as_str().to_string()
                },
                style: if j.stale || no_state {
                    t.dim
                } else {
                    t.state(&j.state)
                },
                suffix: None,
            }
        }
        JobColumn::Reason => {
            let h = assess(j, now);
            // With a STATE column the state says itself: the reason is the next problem.
            let reason = if app.jobs.columns.contains(&JobColumn::State) {
                h.reason_besides_state()
            } else {
                h.reason().map(|r| (r, h.problems.len().saturating_sub(1)))
            };
            let text = match reason {
                Some((r, more)) if more > 0 => format!("{} +{more}", clean(r)),
                Some((r, _)) => clean(r),
                None => String::new(),
            };
            Cell1 {
                text,
                style: if h.score >= 80 { t.error } else { t.warning },
                suffix: None,
            }
        }
        JobColumn::Uptime => plain(format_duration_ms(uptime_ms(j, now))),
        JobColumn::Tasks => plain(if row.is_job() {
            format!("{}/{}", j.tasks_running, j.tasks_total)
        } else {
            "-".into()
        }),
        JobColumn::Checkpoint => {
            // Per-job detail is fetched within a budget: say how old it is once it is older
            // than one refresh (` ·45s`, dimmed).
            let refresh_ms = app.refresh_ms();
            let age = j
                .detail_at_ms
                .filter(|at| !j.stale && row.is_job() && now - at > refresh_ms)
                .map(|at| (format!(" ·{}", short_age(now - at)), t.dim));
            Cell1 {
                text: checkpoint_cell(j.last_checkpoint.as_ref(), now),
                style: match j.last_checkpoint.as_ref().map(|c| c.status) {
                    Some(CheckpointStatus::Failed) if !j.stale => t.error,
                    _ => Style::default(),
                },
                suffix: age,
            }
        }
        JobColumn::Restarts => Cell1 {
            text: j
                .restarts
                .map(|r| r.to_string())
                .unwrap_or_else(|| "-".into()),
            style: match j.restarts {
                Some(r) if r > 0 && !j.stale => t.warning,
                _ => Style::default(),
            },
            suffix: None,
        },
        JobColumn::RecordsIn => metric(
            vitals.and_then(|v| v.records_in_per_sec).map(format_rate),
            |s| s.records_in,
            6,
        ),
        JobColumn::RecordsOut => metric(
            vitals.and_then(|v| v.records_out_per_sec).map(format_rate),
            |s| s.records_out,
            6,
        ),
        JobColumn::Backpressure => {
            let bp = vitals.and_then(|v| v.backpressure);
            let mut cell = metric(
                bp.map(|b| format!("{:.0}%", b * 100.0)),
                |s| s.backpressure,
                4,
            );
            if bp.is_some_and(|b| b >= crate::domain::job_health::BP_RATIO) {
                cell.style = t.warning;
            }
            cell
        }
        JobColumn::WatermarkLag => metric(
            vitals
                .and_then(|v| v.watermark_lag_ms(now))
                .map(short_duration),
            |s| s.wm_lag_ms,
            4,
        ),
        JobColumn::Pending => metric(
            vitals.and_then(|v| v.pending_records).map(short_count),
            |s| s.pending,
            5,
        ),
    }
}

/// One cell's text, style and an optional styled suffix (drift marker, detail age).
struct Cell1 {
    text: String,
    style: Style,
    suffix: Option<(String, Style)>,
}

impl Cell1 {
    fn width(&self) -> usize {
        Span::raw(self.text.as_str()).width()
            + self
                .suffix
                .as_ref()
                .map_or(0, |(s, _)| Span::raw(s.as_str()).width())
    }

    fn into_cell(self, max: Option<usize>) -> Cell<'static> {
        let text = match max {
            Some(m) if Span::raw(self.text.as_str()).width() > m => truncate(&self.text, m),
            _ => self.text,
        };
        let mut spans = vec![Span::styled(text, self.style)];
        if let Some((s, st)) = self.suffix {
            spans.push(Span::styled(s, st));
        }
        Cell::from(Line::from(spans))
    }
}

/// The columns and the cells of the rows `offset..offset + visible`, for a table `width` wide.
pub(crate) fn build(
    app: &App,
    width: u16,
    offset: usize,
    visible: usize,
) -> (Vec<Col>, Vec<(Vec<Cell<'static>>, Style)>) {
    let cols_shown = shown(app);
    // Long discovered names (`k8s-prod/streaming/orders`) keep their tail, the cluster id.
    let cluster_cap = (width as usize / 3).clamp(16, 40);
    let mut texts: Vec<(Vec<Cell1>, Style)> = Vec::new();
    let mut widths = vec![0usize; cols_shown.len()];
    for row in app.jobs.rows.iter().skip(offset).take(visible) {
        if let RowSource::Header(gi) = row.source {
            let cells = group_header(app, gi, &cols_shown);
            for (w, c) in widths.iter_mut().zip(&cells) {
                *w = (*w).max(c.width());
            }
            texts.push((cells, Style::default()));
            continue;
        }
        let j = app.jobs.summary(&app.clusters, row);
        let cells: Vec<Cell1> = cols_shown
            .iter()
            .map(|&c| text(app, c, row, j, cluster_cap))
            .collect();
        for (w, c) in widths.iter_mut().zip(&cells) {
            *w = (*w).max(c.width());
        }
        let row_style = if j.stale {
            app.theme.dim
        } else {
            Style::default()
        };
        texts.push((cells, row_style));
    }
    let arrow = if app.jobs.reverse { "▼" } else { "▲" };
    let mut cols: Vec<Col> = cols_shown
        .iter()
        .zip(&widths)
        .map(|(&c, &w)| {
            let t = match sort_of(c) {
                Some(s) if s == app.jobs.sort => format!("{} {arrow}", title(c)),
                _ => title(c).to_string(),
            };
            if c == JobColumn::Name {
                let w = w.clamp(6, NAME_MAX);
                Col::new(t, w, c.priority()).fill(w.min(NAME_MIN) as u16)
            } else {
                Col::new(t, w, c.priority())
            }
        })
        .collect();
    // NAME takes only what it needs; when the terminal is narrow it gives way (down to
    // NAME_MIN, names cut with `…`) to the other essential columns (state, reason, cluster).
    let avail = width.saturating_sub(SELECTED_MARK.len() as u16);
    let name_idx = cols_shown.iter().position(|c| *c == JobColumn::Name);
    let mut name_max = None;
    if let Some(n) = name_idx {
        let others: usize = cols
            .iter()
            .enumerate()
            .filter(|(i, c)| *i != n && c.prio <= 2)
            .map(|(_, c)| c.width as usize + 1)
            .sum();
        let room = (avail as usize).saturating_sub(others).max(NAME_MIN);
        if (cols[n].width as usize) > room {
            cols[n].width = room as u16;
            cols[n].min = cols[n].min.min(cols[n].width);
            name_max = Some(room);
        }
    }
    // When everything kept fits, NAME keeps its width (the rest of the row stays empty);
    // a cut NAME takes what is left (and its names are cut to that).
    let keep = fit_columns(&cols, avail, 1);
    let used: usize = keep.iter().map(|&i| cols[i].width as usize + 1).sum();
    if let Some(n) = name_idx {
        // A name cut to make room takes whatever the row has left.
        if used.saturating_sub(1) <= avail as usize && name_max.is_none() {
            cols[n].fill = false;
        } else {
            name_max = Some(super::fill_width(&cols, width, n).max(1));
        }
    }
    let rows = texts
        .into_iter()
        .map(|(cells, style)| {
            let cells = cells
                .into_iter()
                .enumerate()
                .map(|(i, c)| c.into_cell(if Some(i) == name_idx { name_max } else { None }))
                .collect();
            (cells, style)
        })
        .collect();
    (cols, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_text_aligns_the_value_before_the_sparkline() {
        assert_eq!(
            metric_text(Some("12.5".into()), vec![0.0, 7.0], 6),
            "  12.5     ▁█"
        );
        assert_eq!(metric_text(None, vec![1.0], 6), "-");
    }
}
