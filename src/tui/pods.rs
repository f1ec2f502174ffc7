//! The pods tab of a job's detail (clusters on a platform, i.e. Kubernetes): the pods of the
//! job's cluster with role, status, readiness, restarts, how the last container ended, node and
//! age; `l` opens a pod's log in the logs tab, `P` what its previous container printed. A pod
//! with several containers asks which one first (a small chooser).
//!
//! A self-contained component: its state (selection by pod name, the chooser), its keys
//! (`on_action`, answered with an [`Outcome`] the app carries out), its hints and its drawing.
//! Its data is the cluster's [`PlatformStatus`](crate::domain::PlatformStatus) from the last
//! poll, so there is nothing to load.

use std::cell::Cell;

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell as TableCell, Clear, Paragraph};
use ratatui::Frame;

use crate::domain::{LogFileRef, LogName, LogSource, PodInfo, PodRole};

use super::app::App;
use super::clusters::{pod_summary, sorted_pods};
use super::fmt::{clean, first_line, short_age, truncate};
use super::jobs::ClusterView;
use super::keymap::Action;
use super::ui::{
    centered, empty_message, panel, render_table, room_for_border, scroll_offset, Col,
    SELECTED_MARK,
};

/// What the app should do after a key in the pods tab.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    None,
    /// Close the job's detail (as `esc` does on every tab).
    Back,
    /// Show this log in the logs tab.
    OpenLog(LogFileRef),
    /// Say something in the footer.
    Flash(String),
}

/// Which container of a pod to read, when it has several.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chooser {
    pub pod: String,
    pub containers: Vec<String>,
    pub selected: usize,
    /// The previous instance's log rather than the current one.
    pub previous: bool,
}

/// The pods tab's state.
#[derive(Debug, Default)]
pub(crate) struct PodsTab {
    selected: usize,
    selected_name: Option<String>,
    offset: Cell<usize>,
    pub chooser: Option<Chooser>,
}

/// The log of one container of a pod.
pub(crate) fn pod_log(pod: &str, container: &str, previous: bool) -> LogFileRef {
    LogFileRef {
        source: LogSource::Pod {
            pod: pod.to_string(),
            container: container.to_string(),
        },
        name: if previous {
            LogName::Previous
        } else {
            LogName::Log
        },
        size: None,
        mtime: None,
    }
}

impl PodsTab {
    /// The index of the selected pod in `pods` (the same pod after a refresh reordered the
    /// list, else the row at the same position).
    pub fn index(&self, pods: &[&PodInfo]) -> usize {
        self.selected_name
            .as_deref()
            .and_then(|n| pods.iter().position(|p| p.name == n))
            .unwrap_or(self.selected)
            .min(pods.len().saturating_sub(1))
    }

    fn select(&mut self, idx: usize, pods: &[&PodInfo]) {
        self.selected = idx.min(pods.len().saturating_sub(1));
        self.selected_name = pods.get(self.selected).map(|p| p.name.clone());
    }

    /// The keys of the tab, `pods` as [`sorted_pods`] lists them; `page` is the number of rows a
    /// page holds.
    pub fn on_action(&mut self, action: Action, pods: &[&PodInfo], page: usize) -> Outcome {
        let page = page.max(1);
        if let Some(ch) = self.chooser.as_mut() {
            let last = ch.containers.len().saturating_sub(1);
            match action {
                Action::Up => ch.selected = ch.selected.saturating_sub(1),
                Action::Down => ch.selected = (ch.selected + 1).min(last),
                Action::Top | Action::PageUp => ch.selected = 0,
                Action::Bottom | Action::PageDown => ch.selected = last,
                Action::Back | Action::Left => self.chooser = None,
                Action::Open | Action::Right | Action::PodLog | Action::PreviousLog => {
                    let file = ch
                        .containers
                        .get(ch.selected)
                        .map(|c| pod_log(&ch.pod, c, ch.previous));
                    self.chooser = None;
                    if let Some(file) = file {
                        return Outcome::OpenLog(file);
                    }
                }
                _ => {}
            }
            return Outcome::None;
        }
        let cur = self.index(pods);
        let target = action.move_target(cur, page, usize::MAX);
        if let Some(i) = target {
            self.select(i, pods);
            return Outcome::None;
        }
        match action {
            Action::Back | Action::Left => Outcome::Back,
            Action::Open | Action::Right | Action::PodLog | Action::PreviousLog => {
                let Some(pod) = pods.get(cur) else {
                    return Outcome::None;
                };
                let previous = action == Action::PreviousLog;
                match pod.containers.as_slice() {
                    [] => Outcome::Flash(format!("pod {} lists no containers", pod.name)),
                    [only] => Outcome::OpenLog(pod_log(&pod.name, only, previous)),
                    many => {
                        self.chooser = Some(Chooser {
                            pod: pod.name.clone(),
                            containers: many.to_vec(),
                            selected: 0,
                            previous,
                        });
                        Outcome::None
                    }
                }
            }
            _ => Outcome::None,
        }
    }

    /// The footer's hints for this tab.
    pub fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.chooser.is_some() {
            vec![
                (Action::Down, "down"),
                (Action::Up, "up"),
                (Action::PodLog, "open"),
                (Action::Back, "cancel"),
            ]
        } else {
            vec![
                (Action::PodLog, "log"),
                (Action::PreviousLog, "previous log"),
            ]
        }
    }

    /// Rows of the table at this body size (for page up/down).
    pub fn page(body: Rect) -> usize {
        inner(body).height.saturating_sub(HEADER + 1) as usize
    }

    pub fn draw(&self, app: &App, cluster: Option<&ClusterView>, frame: &mut Frame, body: Rect) {
        let t = &app.theme;
        let platform = cluster.and_then(|c| c.platform.as_ref());
        let pods = platform.map(sorted_pods).unwrap_or_default();
        let inner = inner(body);
        if room_for_border(body) {
            let title = match platform {
                Some(p) => format!(" Pods ({}) · {} ", pods.len(), pod_summary(p).0),
                None => " Pods ".to_string(),
            };
            frame.render_widget(panel(app, title, true), body);
        }
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let Some(p) = platform else {
            empty_message(
                app,
                frame,
                inner,
                "no platform status (yet): the cluster's last poll had none",
            );
            return;
        };
        let mut lines = Vec::new();
        if let Some(why) = &p.jobmanager_problem {
            lines.push(Line::from(vec![
                Span::styled("jobmanager ", t.dim),
                Span::styled(clean(first_line(why)), t.error),
            ]));
        }
        if let Some(o) = &p.operator {
            let opt = |v: &Option<String>| clean(v.as_deref().unwrap_or("-"));
            let mut spans = vec![
                Span::styled("operator   ", t.dim),
                Span::raw(format!(
                    "lifecycle {} · jobmanager {} · job {}",
                    opt(&o.lifecycle_state),
                    opt(&o.jm_deployment_status),
                    opt(&o.job_state)
                )),
            ];
            if let Some(e) = &o.error {
                spans.push(Span::styled(
                    format!("  ✘ {}", clean(first_line(e))),
                    t.error,
                ));
            }
            lines.push(Line::from(spans));
        }
        if lines.is_empty() {
            lines.push(Line::from(Span::styled("no problem reported", t.dim)));
        }
        // The lines, then a blank one before the table.
        let header_h = (lines.len() as u16 + 1).min(HEADER).min(inner.height);
        let [top, table] =
            Layout::vertical([Constraint::Length(header_h), Constraint::Min(0)]).areas(inner);
        frame.render_widget(Paragraph::new(lines), top);
        self.draw_table(app, &pods, frame, table);
        if let Some(ch) = &self.chooser {
            draw_chooser(app, ch, frame, body);
        }
    }

    fn draw_table(&self, app: &App, pods: &[&PodInfo], frame: &mut Frame, area: Rect) {
        let t = &app.theme;
        if pods.is_empty() {
            empty_message(app, frame, area, "no pods");
            return;
        }
        let now = app.now_ms;
        let visible = area.height.saturating_sub(1) as usize;
        let selected = self.index(pods);
        let offset = scroll_offset(self.offset.get(), selected, visible, pods.len());
        self.offset.set(offset);
        let mut widths = [0usize; 8];
        let mut rows = Vec::new();
        for p in pods.iter().skip(offset).take(visible) {
            let texts = [
                clean(&p.name),
                role(p.role).to_string(),
                clean(p.reason.as_deref().map(first_line).unwrap_or(&p.phase)),
                if p.ready { "yes" } else { "no" }.to_string(),
                p.restarts.to_string(),
                truncate(
                    &clean(p.last_termination.as_deref().map(first_line).unwrap_or("-")),
                    28,
                ),
                clean(p.node.as_deref().unwrap_or("-")),
                p.created_ms
                    .filter(|t| *t > 0)
                    .map(|t| short_age(now - t))
                    .unwrap_or_else(|| "-".into()),
            ];
            for (w, s) in widths.iter_mut().zip(texts.iter()) {
                *w = (*w).max(Span::raw(s.as_str()).width());
            }
            let status_style = match (p.reason.is_some(), p.phase.as_str()) {
                (true, _) | (_, "Failed") => t.error,
                (_, "Running") | (_, "Succeeded") => t.ok,
                _ => t.warning,
            };
            let [c0, c1, c2, c3, c4, c5, c6, c7] = texts;
            rows.push((
                vec![
                    TableCell::from(c0),
                    TableCell::from(c1),
                    TableCell::from(Span::styled(c2, status_style)),
                    TableCell::from(Span::styled(c3, if p.ready { t.ok } else { t.warning })),
                    TableCell::from(Span::styled(
                        c4,
                        if p.restarts > 0 {
                            t.warning
                        } else {
                            Style::default()
                        },
                    )),
                    TableCell::from(Span::styled(
                        c5,
                        if p.last_termination.is_some() {
                            t.error
                        } else {
                            Style::default()
                        },
                    )),
                    TableCell::from(c6),
                    TableCell::from(c7),
                ],
                Style::default(),
            ));
        }
        let spec = [
            ("POD", 0u8),
            ("ROLE", 3),
            ("STATUS", 1),
            ("READY", 2),
            ("RESTARTS", 4),
            ("LAST TERMINATION", 5),
            ("NODE", 7),
            ("AGE", 6),
        ];
        let cols: Vec<Col> = spec
            .iter()
            .enumerate()
            .map(|(i, (title, prio))| {
                if i == 0 {
                    Col::new(*title, widths[0].clamp(8, 40), *prio).fill(8)
                } else {
                    Col::new(*title, widths[i], *prio)
                }
            })
            .collect();
        render_table(app, frame, area, &cols, rows, selected.checked_sub(offset));
    }
}

/// Most lines above the table: the JobManager's problem, the operator's view, a blank line (page
/// sizes count with all three).
const HEADER: u16 = 3;

fn inner(body: Rect) -> Rect {
    if room_for_border(body) {
        body.inner(Margin::new(1, 1))
    } else {
        body
    }
}

fn role(r: PodRole) -> &'static str {
    match r {
        PodRole::JobManager => "jobmanager",
        PodRole::TaskManager => "taskmanager",
        PodRole::Other => "other",
    }
}

fn draw_chooser(app: &App, ch: &Chooser, frame: &mut Frame, body: Rect) {
    let t = &app.theme;
    let title = format!(
        " {} of {} ",
        if ch.previous { "Previous log" } else { "Log" },
        clean(&ch.pod)
    );
    let widest = ch
        .containers
        .iter()
        .map(|c| c.chars().count() + SELECTED_MARK.len())
        .max()
        .unwrap_or(0)
        .max(title.chars().count());
    let w = (widest as u16).saturating_add(4);
    let h = (ch.containers.len() as u16).saturating_add(2);
    let area = centered(body, w, h);
    if area.width == 0 || area.height == 0 {
        return;
    }
    frame.render_widget(Clear, area);
    frame.buffer_mut().set_style(area, t.base);
    let list = if room_for_border(area) || area.height >= 3 {
        frame.render_widget(panel(app, title, true), area);
        area.inner(Margin::new(1, 1))
    } else {
        area
    };
    let visible = list.height as usize;
    let offset = ch.selected.saturating_sub(visible.saturating_sub(1));
    let lines: Vec<Line> = ch
        .containers
        .iter()
        .enumerate()
        .skip(offset)
        .take(visible)
        .map(|(i, c)| {
            if i == ch.selected {
                Line::from(format!("{SELECTED_MARK}{}", clean(c))).style(t.selected)
            } else {
                Line::from(format!("  {}", clean(c)))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, containers: &[&str]) -> PodInfo {
        PodInfo {
            name: name.into(),
            role: PodRole::TaskManager,
            phase: "Running".into(),
            ready: true,
            restarts: 0,
            reason: None,
            last_termination: None,
            node: None,
            containers: containers.iter().map(|c| c.to_string()).collect(),
            created_ms: None,
        }
    }

    #[test]
    fn one_container_opens_at_once_several_ask() {
        let a = pod("tm-a", &["flink-main-container"]);
        let b = pod("tm-b", &["flink-main-container", "fluent-bit"]);
        let c = pod("tm-c", &[]);
        let pods = vec![&a, &b, &c];
        let mut tab = PodsTab::default();
        assert_eq!(
            tab.on_action(Action::PodLog, &pods, 10),
            Outcome::OpenLog(pod_log("tm-a", "flink-main-container", false))
        );
        tab.on_action(Action::Down, &pods, 10);
        assert_eq!(tab.on_action(Action::PreviousLog, &pods, 10), Outcome::None);
        assert!(tab.chooser.as_ref().is_some_and(|c| c.previous));
        tab.on_action(Action::Down, &pods, 10);
        tab.on_action(Action::Down, &pods, 10);
        assert_eq!(
            tab.on_action(Action::Open, &pods, 10),
            Outcome::OpenLog(pod_log("tm-b", "fluent-bit", true))
        );
        assert!(tab.chooser.is_none());
        // Esc closes the chooser, not the detail.
        tab.on_action(Action::PodLog, &pods, 10);
        assert_eq!(tab.on_action(Action::Back, &pods, 10), Outcome::None);
        assert!(tab.chooser.is_none());
        assert_eq!(tab.on_action(Action::Back, &pods, 10), Outcome::Back);
        tab.on_action(Action::Bottom, &pods, 10);
        assert!(matches!(
            tab.on_action(Action::PodLog, &pods, 10),
            Outcome::Flash(m) if m.contains("no containers")
        ));
        // The selection follows the pod when the list changes.
        let pods2 = vec![&c, &a];
        assert_eq!(tab.index(&pods2), 0);
    }
}
