//! The jobs view: cluster badges, one table of all jobs, status line, notice and key hints.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::super::actions::Dialog;
use super::super::app::App;
use super::super::fmt::{clean, truncate};
use super::super::jobs::JobsState;
use super::super::keymap::{Action, KeyContext};
use super::actions::{adopt_line, draw_panel, flash_line, panel_height};
use super::render_empty_table;
use super::{hint_spans, panel, render_table, scroll_offset};

struct JobsLayout {
    header: Rect,
    table: Rect,
    bordered: bool,
    actions: Rect,
    status: Rect,
    notice: Rect,
    hints: Rect,
}

/// Header segments: the app name, read-only marker, open incidents, then one badge per cluster.
fn header_segments(app: &App) -> Vec<Vec<Span<'static>>> {
    let t = &app.theme;
    let mut segs = vec![vec![Span::styled("flinkdeck", t.title)]];
    if app.opts.readonly {
        segs.push(vec![Span::styled("READ-ONLY", t.warning)]);
    }
    if let Some(badge) = super::incident_badge(app) {
        segs.push(vec![badge]);
    }
    let refresh = app.opts.refresh.as_millis() as i64;
    for c in &app.clusters {
        let (status, badge) = c.badge(app.now_ms, refresh);
        segs.push(vec![
            Span::styled(clean(c.name()), t.header),
            Span::raw(" "),
            Span::styled(badge, t.health(status)),
        ]);
    }
    segs
}

/// Lays the segments out on lines of `width` cells (greedy).
fn header_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let sep = "  ";
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0usize;
    for seg in header_segments(app) {
        let w: usize = seg.iter().map(|s| s.width()).sum();
        let cur = lines.last_mut().expect("one line");
        if !cur.is_empty() && used + sep.len() + w > width as usize {
            lines.push(Vec::new());
            used = 0;
        }
        let cur = lines.last_mut().expect("one line");
        if !cur.is_empty() {
            cur.push(Span::styled(sep, app.theme.dim));
            used += sep.len();
        }
        used += w;
        cur.extend(seg);
    }
    lines.into_iter().map(Line::from).collect()
}

fn layout(app: &App, area: Rect) -> JobsLayout {
    let h = area.height;
    let header = if h >= 3 {
        let max = if h >= 16 {
            3
        } else if h >= 8 {
            2
        } else {
            1
        };
        header_lines(app, area.width).len().min(max) as u16
    } else {
        0
    };
    let status = u16::from(h >= 8);
    let notice = u16::from(h >= 12 && app.opts.notice.is_some());
    let hints = u16::from(h >= 4);
    let actions = panel_height(app, h);
    let [header, table, actions, status, notice, hints] = Layout::vertical([
        Constraint::Length(header),
        Constraint::Min(0),
        Constraint::Length(actions),
        Constraint::Length(status),
        Constraint::Length(notice),
        Constraint::Length(hints),
    ])
    .areas(area);
    JobsLayout {
        header,
        table,
        bordered: table.height >= 6 && table.width >= 30,
        actions,
        status,
        notice,
        hints,
    }
}

fn table_inner(l: &JobsLayout) -> Rect {
    if l.bordered {
        l.table.inner(ratatui::layout::Margin::new(1, 1))
    } else {
        l.table
    }
}

/// How many job rows fit at the current size (for page up/down).
pub(crate) fn jobs_visible_rows(app: &App, area: Rect) -> usize {
    table_inner(&layout(app, area)).height.saturating_sub(1) as usize
}

pub(crate) fn draw(app: &App, frame: &mut Frame, area: Rect) {
    let l = layout(app, area);
    let lines = header_lines(app, area.width);
    frame.render_widget(Paragraph::new(lines), l.header);
    draw_table(app, frame, &l);
    draw_panel(app, frame, l.actions);
    if l.status.height > 0 {
        frame.render_widget(status_line(app), l.status);
    }
    if l.notice.height > 0 {
        if let Some(n) = &app.opts.notice {
            frame.render_widget(
                Line::from(Span::styled(clean(n), app.theme.warning)),
                l.notice,
            );
        }
    }
    if l.hints.height > 0 {
        let line = if let Some(Dialog::Adopt(p)) = &app.dialog {
            adopt_line(app, p)
        } else if let Some(input) = &app.jobs.tag_input {
            tag_line(app, input)
        } else if app.jobs.typing {
            typing_line(app)
        } else if let Some(f) = &app.flash {
            flash_line(app, f)
        } else if l.status.height == 0 && app.jobs.filters_active() {
            // No status line on tiny terminals: say that a filter is on.
            let mut spans = vec![Span::styled(filter_summary(&app.jobs), app.theme.warning)];
            spans.push(Span::raw("  "));
            spans.extend(hint_spans(
                app,
                &[KeyContext::Jobs, KeyContext::Global],
                &[(Action::ClearFilter, "clear")],
            ));
            Line::from(spans)
        } else {
            Line::from(hint_spans(
                app,
                &[KeyContext::Jobs, KeyContext::Global],
                &hint_items(app),
            ))
        };
        frame.render_widget(line, l.hints);
    }
}

/// The footer's hints: the actions that apply to the selected row (none in read-only mode)
/// come right after opening and filtering.
fn hint_items(app: &App) -> Vec<(Action, &'static str)> {
    let mut items = vec![
        (Action::Help, "help"),
        (Action::Quit, "quit"),
        (Action::Open, "open"),
        (Action::Filter, "filter"),
    ];
    // With discovered clusters (or discovery problems) the clusters view says most: offer it
    // early; otherwise last.
    let discovered = app
        .clusters
        .iter()
        .any(|c| c.problem || c.cref.location.is_some());
    if discovered {
        items.push((Action::Clusters, "clusters"));
    }
    let sql_app = app
        .jobs
        .selected_row()
        .and_then(|r| r.app.as_deref())
        .and_then(|a| app.managed.app(a))
        .is_some_and(|a| a.kind == crate::domain::AppKind::Sql);
    if sql_app {
        items.push((Action::Edit, "edit"));
    }
    if let (false, Some(row)) = (app.opts.readonly, app.jobs.selected_row()) {
        if row.app.is_some() {
            items.push((Action::Start, "start"));
        }
        // An app without a listed job that is not known to run has nothing to stop.
        let runs = row.is_job() || app.jobs.summary(&app.clusters, row).state.is_active();
        if runs {
            items.extend([
                (Action::Stop, "stop"),
                (Action::Cancel, "cancel"),
                (Action::Savepoint, "savepoint"),
            ]);
        }
        if row.app.is_none() {
            items.push((Action::Adopt, "adopt"));
        }
    }
    if app.actions.any_finished() {
        items.push((Action::DismissActions, "dismiss"));
    }
    items.extend([
        (Action::SortNext, "sort"),
        (Action::SortReverse, "reverse"),
        (Action::CycleClusterFilter, "cluster"),
        (Action::CycleStateFilter, "state"),
        (Action::ClearFilter, "clear"),
        (Action::ShowError, "error"),
        (Action::Refresh, "refresh"),
    ]);
    if !discovered {
        items.push((Action::Clusters, "clusters"));
    }
    items
}

/// The tag input of `T` (local tags of an unmanaged job).
fn tag_line(app: &App, input: &crate::tui::jobs_views::TagInput) -> Line<'static> {
    let now = if input.current.is_empty() {
        "none".to_string()
    } else {
        input.current.join(", ")
    };
    Line::from(vec![
        Span::styled(
            format!(
                "tags of {} (local; now {}): ",
                clean(&input.job_name),
                clean(&now)
            ),
            app.theme.key_hint,
        ),
        Span::styled(clean(&input.text), app.theme.base),
        Span::styled("█", app.theme.key_hint),
        Span::styled(
            "  tag adds · -tag removes · enter save · esc cancel",
            app.theme.dim,
        ),
    ])
}

fn typing_line(app: &App) -> Line<'static> {
    let mut spans = vec![
        Span::styled("filter: /", app.theme.key_hint),
        Span::styled(clean(&app.jobs.filter), app.theme.base),
        Span::styled("█", app.theme.key_hint),
    ];
    match &app.jobs.filter_error {
        // The list keeps the last valid filter meanwhile.
        Some(e) => spans.push(Span::styled(
            format!("  {}", clean(&e.to_string())),
            app.theme.error,
        )),
        None => spans.push(Span::styled(
            "  team: tag: state: cluster: app: · enter keep · esc clear",
            app.theme.dim,
        )),
    }
    Line::from(spans)
}

fn filter_summary(jobs: &JobsState) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &jobs.view {
        parts.push(format!("view {}", clean(&v.name)));
    }
    if let Some(e) = &jobs.filter_error {
        parts.push(format!("filter error: {}", clean(&e.to_string())));
    }
    if !jobs.filter.is_empty() {
        parts.push(format!("filter \"{}\"", clean(&jobs.filter)));
    }
    if let Some(c) = &jobs.cluster_filter {
        parts.push(format!("cluster {}", clean(c)));
    }
    if jobs.state_filter != super::super::jobs::StateFilter::All {
        parts.push(format!("state {}", jobs.state_filter.label()));
    }
    parts.join(" · ")
}

fn sort_arrow(reverse: bool) -> &'static str {
    if reverse {
        "▼"
    } else {
        "▲"
    }
}

fn status_line(app: &App) -> Line<'static> {
    let t = &app.theme;
    let total = app.jobs.total(&app.clusters);
    let shown = app.jobs.matching;
    let napps = app.managed.apps.len();
    let count = match (app.jobs.filters_active(), napps) {
        (true, 0) => format!("{shown} of {total} jobs"),
        (true, _) => format!("{shown} of {total} rows"),
        (false, 0) => format!("{total} jobs"),
        (false, _) => format!(
            "{} jobs · {napps} managed app{}",
            total - app.jobs.app_rows.len(),
            if napps == 1 { "" } else { "s" }
        ),
    };
    let mut spans = vec![Span::styled(count, t.base)];
    if app.jobs.filters_active() {
        spans.push(Span::styled(" │ ", t.dim));
        spans.push(Span::styled(filter_summary(&app.jobs), t.warning));
    }
    if app.jobs.group != crate::domain::filter::GroupBy::None {
        spans.push(Span::styled(" │ ", t.dim));
        spans.push(Span::styled(
            format!("grouped by {}", app.jobs.group.as_str()),
            t.base,
        ));
    }
    spans.push(Span::styled(" │ ", t.dim));
    let sort = match (app.jobs.sort, app.jobs.reverse) {
        (super::super::jobs::SortColumn::Problems, false) => "sort problems first".to_string(),
        (super::super::jobs::SortColumn::Problems, true) => "sort problems last".to_string(),
        (col, rev) => format!("sort {} {}", col.title(), sort_arrow(rev)),
    };
    spans.push(Span::styled(sort, t.base));
    let any_stale = app
        .jobs
        .rows
        .iter()
        .any(|r| app.jobs.summary(&app.clusters, r).stale);
    if any_stale {
        spans.push(Span::styled(" │ ", t.dim));
        spans.push(Span::styled(
            "? = last known state (cluster not answering)",
            t.dim,
        ));
    }
    // What discovery could not look at is not a job: say it here (the header has its reason).
    let problems: Vec<&str> = app
        .clusters
        .iter()
        .filter(|c| c.problem)
        .map(|c| c.name())
        .collect();
    if !problems.is_empty() {
        spans.push(Span::styled(" │ ", t.dim));
        spans.push(Span::styled(
            format!(
                "cannot discover in {}",
                truncate(&clean(&problems.join(", ")), 40)
            ),
            t.error,
        ));
    }
    Line::from(spans)
}

fn draw_table(app: &App, frame: &mut Frame, l: &JobsLayout) {
    let inner = table_inner(l);
    if l.bordered {
        let title = format!(" Jobs ({}) ", app.jobs.matching);
        frame.render_widget(panel(app, title, true), l.table);
    }
    let visible = inner.height.saturating_sub(1) as usize;
    let len = app.jobs.rows.len();
    let offset = scroll_offset(app.jobs.offset.get(), app.jobs.selected, visible, len);
    app.jobs.offset.set(offset);
    let (cols, rows) = super::jobs_columns::build(app, inner.width, offset, visible);

    if rows.is_empty() {
        let no_cluster: String;
        let msg = if app.jobs.total(&app.clusters) > 0 {
            "no job matches filter"
        } else if let Some(m) = app
            .opts
            .no_clusters
            .as_deref()
            .filter(|_| app.clusters.is_empty())
        {
            m
        } else if !app.clusters.is_empty() && app.clusters.iter().all(|c| c.problem) {
            no_cluster = match app.keymap.hint(KeyContext::Jobs, Action::ShowError) {
                Some(k) => format!("no Flink cluster discovered: {k} shows why"),
                None => "no Flink cluster discovered".into(),
            };
            &no_cluster
        } else if app
            .clusters
            .iter()
            .all(|c| c.health.status == crate::domain::HealthStatus::Pending)
        {
            "no jobs yet: waiting for the first poll…"
        } else {
            "no jobs"
        };
        render_empty_table(app, frame, inner, &cols, msg);
        return;
    }
    let selected = app.jobs.selected.checked_sub(offset);
    render_table(app, frame, inner, &cols, rows, selected);
}
