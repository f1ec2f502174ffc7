//! The clusters view: one row per cluster (configured, discovered, or a discovery problem) with
//! its kind, namespace, flavour, Flink version, health, the operator's lifecycle and a summary of
//! its pods; below the table, what is wrong with the selected one.
//!
//! A self-contained component: it owns its state (the selection), its keys (`on_action`, which
//! answers with an [`Outcome`] the app carries out), its hints and its drawing. Its data is the
//! app's list of [`ClusterView`]s, which the pollers keep current.

use std::cell::Cell;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell as TableCell, Paragraph};
use ratatui::Frame;

use crate::domain::time::format_age;
use crate::domain::{HealthStatus, PlatformStatus, PodInfo, PodRole};

use super::app::App;
use super::fmt::{clean, first_line, short_age, truncate, truncate_start};
use super::jobs::ClusterView;
use super::keymap::{Action, KeyContext};
use super::ui::{
    empty_message, fit_columns, hint_spans, panel, render_table, scroll_offset, Col, ListLayout,
    SELECTED_MARK,
};

/// What the app should do after a key in the clusters view.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    None,
    /// Back to the jobs view.
    Close,
    Quit,
    Help,
    /// The newest action's log.
    ActionLog,
    Refresh,
    /// Back to the jobs view, filtered to this cluster.
    ShowJobs(String),
    /// A popup with this title and text (the full error and platform status).
    Popup {
        title: String,
        body: String,
    },
    /// Ask to kill this cluster (a YARN application).
    Kill(String),
    /// A one-line message.
    Flash(String),
}

/// The clusters view's state: the selection, which follows the cluster by name.
#[derive(Debug, Default)]
pub(crate) struct ClustersScreen {
    selected: usize,
    selected_name: Option<String>,
    /// First visible row (a render cache, so the table scrolls as little as possible).
    offset: Cell<usize>,
}

impl ClustersScreen {
    /// Opens on the cluster named `name` when it is listed (e.g. the selected job's).
    pub fn new(name: Option<String>) -> Self {
        ClustersScreen {
            selected_name: name,
            ..ClustersScreen::default()
        }
    }

    /// The index of the selected cluster in `clusters` (the same cluster after others came or
    /// went, else the row at the same position).
    pub fn index(&self, clusters: &[ClusterView]) -> usize {
        self.selected_name
            .as_deref()
            .and_then(|n| clusters.iter().position(|c| c.name() == n))
            .unwrap_or(self.selected)
            .min(clusters.len().saturating_sub(1))
    }

    fn select(&mut self, idx: usize, clusters: &[ClusterView]) {
        self.selected = idx.min(clusters.len().saturating_sub(1));
        self.selected_name = clusters.get(self.selected).map(|c| c.name().to_string());
    }

    /// The keys of the view: `page` is the number of rows a page holds.
    pub fn on_action(
        &mut self,
        action: Action,
        clusters: &[ClusterView],
        page: usize,
        now_ms: i64,
        refresh_ms: i64,
    ) -> Outcome {
        let cur = self.index(clusters);
        let page = page.max(1);
        let len = clusters.len();
        let target = action.move_target(cur, page, len.saturating_sub(1));
        if let Some(i) = target {
            self.select(i, clusters);
            return Outcome::None;
        }
        let selected = clusters.get(cur);
        match action {
            Action::Back | Action::Left | Action::Clusters => Outcome::Close,
            Action::Quit => Outcome::Quit,
            Action::Help => Outcome::Help,
            Action::ActionLog => Outcome::ActionLog,
            Action::Refresh => Outcome::Refresh,
            Action::Open | Action::Right => match selected {
                // A discovery problem has no jobs: say what is wrong instead.
                Some(c) if c.problem => popup(c, now_ms, refresh_ms),
                Some(c) => Outcome::ShowJobs(c.name().to_string()),
                None => Outcome::None,
            },
            Action::ShowError => match selected {
                Some(c) => popup(c, now_ms, refresh_ms),
                None => Outcome::None,
            },
            Action::KillCluster => match selected {
                Some(c) if is_yarn(c) && !c.problem => Outcome::Kill(c.name().to_string()),
                Some(c) => Outcome::Flash(format!(
                    "{} is not a YARN application: only those can be killed from here",
                    c.name()
                )),
                None => Outcome::None,
            },
            _ => Outcome::None,
        }
    }

    /// The footer's hints.
    fn hints(&self, clusters: &[ClusterView]) -> Vec<(Action, &'static str)> {
        let mut items = vec![(Action::Help, "help"), (Action::Back, "back")];
        match clusters.get(self.index(clusters)) {
            Some(c) if c.problem => items.push((Action::Open, "details")),
            Some(c) => {
                items.extend([(Action::Open, "jobs"), (Action::ShowError, "details")]);
                if is_yarn(c) {
                    items.push((Action::KillCluster, "kill"));
                }
            }
            None => {}
        }
        items.extend([(Action::Refresh, "refresh"), (Action::Quit, "quit")]);
        items
    }

    /// Rows of the table at this screen size (for page up/down).
    pub fn page(screen: Rect) -> usize {
        layout(screen).table_inner().height.saturating_sub(1) as usize
    }

    pub fn draw(&self, app: &App, frame: &mut Frame, area: Rect) {
        let l = layout(area);
        if l.header.height > 0 {
            frame.render_widget(header(app), l.header);
        }
        self.draw_table(app, frame, &l);
        if l.detail.height > 0 {
            if let Some(c) = app.clusters.get(self.index(&app.clusters)) {
                let lines = detail_lines(app, c, l.detail.width as usize);
                frame.render_widget(Paragraph::new(lines), l.detail);
            }
        }
        if l.footer.height > 0 {
            let line = match &app.flash {
                Some(f) => super::ui::flash_line(app, f),
                None => Line::from(hint_spans(
                    app,
                    &[KeyContext::Clusters, KeyContext::Global],
                    &self.hints(&app.clusters),
                )),
            };
            frame.render_widget(line, l.footer);
        }
    }

    fn draw_table(&self, app: &App, frame: &mut Frame, l: &ListLayout) {
        let t = &app.theme;
        let inner = l.table_inner();
        if l.bordered {
            let title = format!(" Clusters ({}) ", app.clusters.len());
            frame.render_widget(panel(app, title, true), l.table);
        }
        let (now, refresh) = (app.now_ms, app.refresh_ms());
        let visible = inner.height.saturating_sub(1) as usize;
        let len = app.clusters.len();
        let selected = self.index(&app.clusters);
        let offset = scroll_offset(self.offset.get(), selected, visible, len);
        self.offset.set(offset);
        let mut widths = [0usize; COLUMNS.len()];
        let mut rows = Vec::new();
        let mut names = Vec::new();
        for c in app.clusters.iter().skip(offset).take(visible) {
            let (status, badge) = c.badge(now, refresh);
            let operator = c.platform.as_ref().and_then(|p| p.operator.as_ref());
            let lifecycle = match operator {
                Some(o) => {
                    let state = o.lifecycle_state.as_deref().unwrap_or("-");
                    if o.error.is_some() {
                        format!("{} ✘", clean(state))
                    } else {
                        clean(state)
                    }
                }
                None => match c.platform.as_ref().and_then(|p| p.yarn.as_ref()) {
                    Some(y) => match y.final_status.as_deref() {
                        Some(f) if y.ended() => format!("YARN {}/{}", clean(&y.state), clean(f)),
                        _ => format!("YARN {}", clean(&y.state)),
                    },
                    None => "-".into(),
                },
            };
            let jm = operator
                .and_then(|o| o.jm_deployment_status.as_deref())
                .map(clean)
                .unwrap_or_else(|| "-".into());
            let (pods, pods_level) = match &c.platform {
                Some(p) => pod_summary(p),
                None => ("-".into(), Level::Ok),
            };
            let last_ok = match c.health.age_ms(now) {
                Some(age) => short_age(age),
                None if c.health.status == HealthStatus::Pending => "-".into(),
                None => "never".into(),
            };
            let texts = [
                clean(c.name()),
                kind(c),
                c.namespace().map(clean).unwrap_or_else(|| "-".into()),
                flavor(c),
                c.flink_version().map(clean).unwrap_or_else(|| "-".into()),
                truncate(&badge, 28),
                last_ok,
                lifecycle,
                jm,
                pods,
            ];
            for (w, s) in widths.iter_mut().zip(texts.iter()) {
                *w = (*w).max(Span::raw(s.as_str()).width());
            }
            let lifecycle_style = match operator {
                Some(o) if o.error.is_some() => t.error,
                Some(o) => lifecycle_style(app, o.lifecycle_state.as_deref()),
                None => Style::default(),
            };
            let jm_style = match operator.and_then(|o| o.jm_deployment_status.as_deref()) {
                Some("READY") => t.ok,
                Some("ERROR") | Some("MISSING") => t.error,
                Some(_) => t.warning,
                None => Style::default(),
            };
            let pods_style = match pods_level {
                Level::Ok => Style::default(),
                Level::Warning => t.warning,
                Level::Error => t.error,
            };
            let [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9] = texts;
            names.push(c0);
            let cells = vec![
                TableCell::default(),
                TableCell::from(c1),
                TableCell::from(c2),
                TableCell::from(c3),
                TableCell::from(c4),
                TableCell::from(Span::styled(c5, t.health(status))),
                TableCell::from(c6),
                TableCell::from(Span::styled(c7, lifecycle_style)),
                TableCell::from(Span::styled(c8, jm_style)),
                TableCell::from(Span::styled(c9, pods_style)),
            ];
            let row_style = if c.problem { t.dim } else { Style::default() };
            rows.push((cells, row_style));
        }
        // The name gets at least a quarter of the width, and what the columns that fit leave;
        // when it has to be cut it keeps its tail (the cluster id).
        let avail = inner.width.saturating_sub(SELECTED_MARK.len() as u16);
        let full_name = widths[0];
        let floor = (inner.width as usize / 4).clamp(16, 40);
        widths[0] = full_name.min(floor);
        let kept = fit_columns(&columns(&widths), avail, 1);
        let others: usize = kept
            .iter()
            .filter(|&&i| i > 0)
            .map(|&i| columns(&widths)[i].width as usize + 1)
            .sum();
        let name_cap = (avail as usize).saturating_sub(others).max(floor);
        widths[0] = 0;
        for ((cells, _), name) in rows.iter_mut().zip(names) {
            let name = truncate_start(&name, name_cap);
            widths[0] = widths[0].max(Span::raw(name.as_str()).width());
            cells[0] = TableCell::from(name);
        }
        let cols = columns(&widths);
        if rows.is_empty() {
            render_table(app, frame, inner, &cols, Vec::new(), None);
            let below = Rect {
                y: inner.y.saturating_add(1).min(inner.bottom()),
                height: inner.height.saturating_sub(1),
                ..inner
            };
            empty_message(app, frame, below, "no clusters yet: discovery is running…");
            return;
        }
        render_table(app, frame, inner, &cols, rows, selected.checked_sub(offset));
    }
}

/// The table's columns at these content widths (the last one, the pods, takes the rest).
fn columns(widths: &[usize; COLUMNS.len()]) -> Vec<Col> {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (title, prio))| {
            if i == COLUMNS.len() - 1 {
                Col::new(*title, widths[i].clamp(4, 40), *prio).fill(4)
            } else {
                Col::new(*title, widths[i], *prio)
            }
        })
        .collect()
}

/// The table's columns and their priorities (0 = kept longest on a narrow terminal).
const COLUMNS: [(&str, u8); 10] = [
    ("NAME", 0),
    ("KIND", 7),
    ("NAMESPACE", 5),
    ("FLAVOR", 4),
    ("FLINK", 6),
    ("HEALTH", 1),
    ("LAST OK", 8),
    ("LIFECYCLE", 3),
    ("JM DEPLOY", 9),
    ("PODS", 2),
];

fn layout(area: Rect) -> ListLayout {
    ListLayout::new(area, 8)
}

/// `flinkdeck  Clusters  5 clusters · 3 LIVE · 1 UNREACHABLE · 1 discovery problem`.
fn header(app: &App) -> Line<'static> {
    let t = &app.theme;
    let (now, refresh) = (app.now_ms, app.refresh_ms());
    let mut spans = vec![Span::styled("flinkdeck", t.title), Span::raw("  ")];
    if app.opts.readonly {
        spans.push(Span::styled("READ-ONLY", t.warning));
        spans.push(Span::raw("  "));
    }
    spans.push(Span::styled("Clusters", t.header));
    let real: Vec<&ClusterView> = app.clusters.iter().filter(|c| !c.problem).collect();
    spans.push(Span::styled(
        format!(
            "  {} cluster{}",
            real.len(),
            if real.len() == 1 { "" } else { "s" }
        ),
        t.dim,
    ));
    for status in HealthStatus::ALL {
        let n = real
            .iter()
            .filter(|c| c.effective_status(now, refresh) == status)
            .count();
        if n > 0 {
            spans.push(Span::styled(" · ", t.dim));
            spans.push(Span::styled(format!("{n} {status}"), t.health(status)));
        }
    }
    let problems = app.clusters.len() - real.len();
    if problems > 0 {
        spans.push(Span::styled(" · ", t.dim));
        spans.push(Span::styled(
            format!(
                "{problems} discovery problem{}",
                if problems == 1 { "" } else { "s" }
            ),
            t.error,
        ));
    }
    Line::from(spans)
}

/// The selected cluster below the table: where it is, then what is wrong with it (the platform's
/// reason first: it says more than "unreachable").
fn detail_lines(app: &App, c: &ClusterView, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut where_ = vec![Span::styled(clean(c.name()), t.title)];
    if let Some(l) = c.cref.location.as_ref().filter(|l| l.flavor.is_yarn()) {
        let yarn = c.platform.as_ref().and_then(|p| p.yarn.as_ref());
        where_.push(Span::styled(
            format!(
                "  entry {} · queue {} · application {} · {}",
                clean(&l.entry),
                clean(&l.namespace),
                clean(&l.cluster_id),
                yarn.map_or_else(
                    || "YARN state unknown".to_string(),
                    |y| format!("YARN {} ({})", clean(&y.state), clean(&y.name))
                )
            ),
            t.dim,
        ));
    } else if let Some(l) = &c.cref.location {
        where_.push(Span::styled(
            format!(
                "  entry {} · namespace {} · cluster id {}",
                clean(&l.entry),
                clean(&l.namespace),
                clean(&l.cluster_id)
            ),
            t.dim,
        ));
        if let crate::domain::ClusterFlavor::SessionJob { deployment } = &l.flavor {
            where_.push(Span::styled(
                format!(" · on session {}", clean(deployment)),
                t.dim,
            ));
        }
    } else if c.problem {
        where_.push(Span::styled("  discovery could not look here", t.dim));
    } else if !c.cref.url.is_empty() {
        where_.push(Span::styled(format!("  {}", clean(&c.cref.url)), t.dim));
    }
    let mut lines = vec![Line::from(where_)];
    let problem = problem_line(c);
    let key = app
        .keymap
        .hint(KeyContext::Clusters, Action::ShowError)
        .map(|k| format!("  ({k} for details)"))
        .unwrap_or_default();
    lines.push(match problem {
        Some(p) => Line::from(vec![
            Span::styled(
                truncate(&clean(&p), width.saturating_sub(key.chars().count())),
                t.error,
            ),
            Span::styled(key, t.dim),
        ]),
        None => Line::from(Span::styled("no problem reported", t.dim)),
    });
    lines
}

/// The one line that says what is wrong: the platform's reason, the operator's error, the poll's.
fn problem_line(c: &ClusterView) -> Option<String> {
    let platform = c.platform.as_ref();
    platform
        .and_then(|p| p.jobmanager_problem.clone())
        .or_else(|| {
            platform
                .and_then(|p| p.operator.as_ref())
                .and_then(|o| o.error.as_deref())
                .map(|e| format!("operator: {}", first_line(e)))
        })
        .or_else(|| {
            let healthy = matches!(c.health.status, HealthStatus::Live | HealthStatus::Pending);
            c.health
                .reason
                .as_deref()
                .filter(|_| !healthy)
                .map(|r| format!("{}: {}", c.health.status, first_line(r)))
        })
}

/// Whether the cluster is a YARN application.
fn is_yarn(c: &ClusterView) -> bool {
    c.cref.location.as_ref().is_some_and(|l| l.flavor.is_yarn())
}

fn kind(c: &ClusterView) -> String {
    if c.problem {
        "discovery".into()
    } else if c.cref.kind.is_empty() {
        "-".into()
    } else {
        clean(&c.cref.kind)
    }
}

fn flavor(c: &ClusterView) -> String {
    match &c.cref.location {
        Some(l) => l.flavor.label().to_string(),
        None => "-".into(),
    }
}

fn lifecycle_style(app: &App, state: Option<&str>) -> Style {
    match state {
        Some("STABLE") | Some("DEPLOYED") => app.theme.ok,
        Some("FAILED") | Some("ROLLED_BACK") => app.theme.error,
        Some("SUSPENDED") | None => Style::default(),
        Some(_) => app.theme.warning,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Ok,
    Warning,
    Error,
}

/// The pods of a cluster, JobManagers first, then TaskManagers, then others, by name.
pub(crate) fn sorted_pods(p: &PlatformStatus) -> Vec<&PodInfo> {
    let rank = |r: PodRole| match r {
        PodRole::JobManager => 0,
        PodRole::TaskManager => 1,
        PodRole::Other => 2,
    };
    let mut pods: Vec<&PodInfo> = p.pods.iter().collect();
    pods.sort_by(|a, b| {
        rank(a.role)
            .cmp(&rank(b.role))
            .then_with(|| a.name.cmp(&b.name))
    });
    pods
}

/// `2/3 ready, 5 restarts, CrashLoopBackOff`: how many pods are ready, their restarts, and the
/// first reason one is not running (a JobManager's first); with how worrying it is.
pub(crate) fn pod_summary(p: &PlatformStatus) -> (String, Level) {
    if p.pods.is_empty() {
        return ("no pods".into(), Level::Warning);
    }
    let pods = sorted_pods(p);
    let ready = pods.iter().filter(|x| x.ready).count();
    let restarts: u64 = pods.iter().map(|x| u64::from(x.restarts)).sum();
    let mut parts = vec![format!("{ready}/{} ready", pods.len())];
    if restarts > 0 {
        parts.push(format!(
            "{restarts} restart{}",
            if restarts == 1 { "" } else { "s" }
        ));
    }
    let reason = pods.iter().find_map(|x| x.reason.as_deref());
    if let Some(r) = reason {
        parts.push(clean(first_line(r)));
    }
    let level = if reason.is_some() {
        Level::Error
    } else if ready < pods.len() || restarts > 0 {
        Level::Warning
    } else {
        Level::Ok
    };
    (parts.join(", "), level)
}

/// Everything known about a cluster's trouble, for the popup: the poll's health and error, the
/// platform's reason, the operator's status and error, and the pods.
pub(crate) fn cluster_report(c: &ClusterView, now_ms: i64, refresh_ms: i64) -> String {
    let (_, badge) = c.badge(now_ms, refresh_ms);
    let mut body = format!("{}  {}  {}\n", c.name(), badge, c.cref.url);
    if let Some(r) = &c.health.reason {
        body.push_str(&format!("reason: {r}\n"));
    }
    body.push_str(&format!(
        "failed polls in a row: {}   last good poll: {}\n\n",
        c.health.failures,
        format_age(now_ms, c.health.last_ok_ms)
    ));
    body.push_str(
        c.health
            .detail
            .as_deref()
            .or(c.health.reason.as_deref())
            .unwrap_or("no error details"),
    );
    if let Some(y) = c.platform.as_ref().and_then(|p| p.yarn.as_ref()) {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        body.push_str(&format!(
            "\n\nyarn: application {} ({}), queue {}, user {}, state {}, final status {}, JobManager {}",
            y.id,
            y.name,
            opt(&y.queue),
            opt(&y.user),
            y.state,
            opt(&y.final_status),
            opt(&y.am_address)
        ));
        if let Some(d) = &y.diagnostics {
            body.push_str(&format!("\nyarn diagnostics: {d}"));
        }
        if let Some(e) = &y.rm_error {
            body.push_str(&format!("\nresourcemanager: {e}"));
        }
        return body;
    }
    if let Some(l) = &c.cref.location {
        body.push_str(&format!(
            "\n\nkubernetes: entry {}, namespace {}, cluster id {}, {}",
            l.entry,
            l.namespace,
            l.cluster_id,
            l.flavor.label()
        ));
        if let crate::domain::ClusterFlavor::SessionJob { deployment } = &l.flavor {
            body.push_str(&format!(" on session cluster {deployment}"));
        }
    }
    let Some(p) = &c.platform else {
        return body;
    };
    if let Some(why) = &p.jobmanager_problem {
        body.push_str(&format!("\njobmanager: {why}"));
    }
    if let Some(o) = &p.operator {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        body.push_str(&format!(
            "\noperator: lifecycle {}, jobmanager deployment {}, job {} (asked: {})",
            opt(&o.lifecycle_state),
            opt(&o.jm_deployment_status),
            opt(&o.job_state),
            opt(&o.desired_state),
        ));
        if let Some(e) = &o.error {
            body.push_str(&format!("\noperator error: {e}"));
        }
    }
    let (summary, _) = pod_summary(p);
    body.push_str(&format!("\npods: {summary}"));
    for pod in sorted_pods(p) {
        let role = match pod.role {
            PodRole::JobManager => "jobmanager",
            PodRole::TaskManager => "taskmanager",
            PodRole::Other => "other",
        };
        body.push_str(&format!(
            "\n  {} ({role}): {}{}, {} restart{}",
            pod.name,
            pod.reason.as_deref().unwrap_or(&pod.phase),
            if pod.ready { ", ready" } else { ", not ready" },
            pod.restarts,
            if pod.restarts == 1 { "" } else { "s" },
        ));
        if let Some(last) = &pod.last_termination {
            body.push_str(&format!(", last ended {last}"));
        }
        if let Some(node) = &pod.node {
            body.push_str(&format!(", on {node}"));
        }
    }
    body
}

fn popup(c: &ClusterView, now_ms: i64, refresh_ms: i64) -> Outcome {
    Outcome::Popup {
        title: if c.problem {
            format!("Discovery: {}", c.name())
        } else {
            format!("Cluster: {}", c.name())
        },
        body: cluster_report(c, now_ms, refresh_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, role: PodRole, ready: bool, restarts: u32, reason: Option<&str>) -> PodInfo {
        PodInfo {
            name: name.into(),
            role,
            phase: "Running".into(),
            ready,
            restarts,
            reason: reason.map(Into::into),
            last_termination: None,
            node: None,
            containers: vec!["flink-main-container".into()],
            created_ms: None,
        }
    }

    #[test]
    fn pod_summaries() {
        let p = PlatformStatus {
            pods: vec![
                pod("tm-2", PodRole::TaskManager, true, 0, Some("OOMKilled")),
                pod(
                    "jm",
                    PodRole::JobManager,
                    false,
                    5,
                    Some("CrashLoopBackOff"),
                ),
                pod("tm-1", PodRole::TaskManager, true, 0, None),
            ],
            ..Default::default()
        };
        assert_eq!(
            pod_summary(&p),
            (
                "2/3 ready, 5 restarts, CrashLoopBackOff".to_string(),
                Level::Error
            )
        );
        let names: Vec<&str> = sorted_pods(&p).iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["jm", "tm-1", "tm-2"]);
        let ok = PlatformStatus {
            pods: vec![pod("jm", PodRole::JobManager, true, 1, None)],
            ..Default::default()
        };
        assert_eq!(
            pod_summary(&ok),
            ("1/1 ready, 1 restart".to_string(), Level::Warning)
        );
        assert_eq!(
            pod_summary(&PlatformStatus::default()).0,
            "no pods".to_string()
        );
    }
}
