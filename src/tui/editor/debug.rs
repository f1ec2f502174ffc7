//! Debug runs from the editor: the script runs on fake data (sources on datagen, sinks
//! collected) in a local mini cluster through the workers; its events fill a bounded, scrollable
//! results table per sink. Pure: the run is a request, its events are replies.

use std::collections::VecDeque;

use crossterm::event::KeyEvent;

use crate::domain::{SqlDebugEvent, SqlProblem, WorkerRequest};

use super::super::actions::FlashLevel;
use super::super::app::{App, Effect, Overlay};
use super::super::fmt::truncate;
use super::super::keymap::{Action, KeyContext};
use super::super::ui;
use super::{EditorState, Pane, Validation};

/// How long a debug run from the editor runs by default (seconds).
pub(crate) const DEBUG_SECONDS: u32 = 10;
/// How many rows a debug run from the editor collects at most by default.
pub(crate) const DEBUG_ROWS: u32 = 200;
/// The newest rows kept per sink (older ones are dropped: memory stays bounded).
pub(crate) const DEBUG_KEEP_ROWS: usize = 1000;
/// Longest value kept (in characters); longer ones are cut with `…`.
const DEBUG_VALUE_CHARS: usize = 256;
/// Most seconds `:debug N` accepts.
const DEBUG_MAX_SECONDS: u32 = 600;

/// One collected row: its change kind (`+I`, `-U`, `+U`, `-D`) and its values as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DebugRow {
    pub kind: String,
    pub values: Vec<String>,
}

/// A collected sink: its columns, its newest rows, and where its table is scrolled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DebugSink {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: VecDeque<DebugRow>,
    /// Rows received in all (more than `rows.len()` once old ones were dropped).
    pub received: u64,
    /// The first visible row (index into `rows`).
    pub scroll: usize,
    /// Value columns scrolled off to the left.
    pub col_off: usize,
}

impl DebugSink {
    fn new(name: String, columns: Vec<String>) -> DebugSink {
        DebugSink {
            name,
            columns,
            rows: VecDeque::new(),
            received: 0,
            scroll: 0,
            col_off: 0,
        }
    }

    /// Adds a row, dropping the oldest beyond `DEBUG_KEEP_ROWS` (the view stays on its rows).
    fn push(&mut self, row: DebugRow) {
        self.received += 1;
        self.rows.push_back(row);
        while self.rows.len() > DEBUG_KEEP_ROWS {
            self.rows.pop_front();
            self.scroll = self.scroll.saturating_sub(1);
        }
    }

    /// How many value columns the sink has (the widest of its columns and its rows).
    pub fn width(&self) -> usize {
        self.rows
            .iter()
            .map(|r| r.values.len())
            .max()
            .unwrap_or(0)
            .max(self.columns.len())
    }

    /// The title of value column `i` (`#3` when the sink did not name its columns).
    pub fn column(&self, i: usize) -> String {
        self.columns
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("#{}", i + 1))
    }
}

/// Where a debug run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DebugStatus {
    Running,
    Done {
        ok: bool,
        rows: u64,
        stopped: String,
    },
    Failed(String),
}

/// The debug run on screen: its request (events of other requests are dropped), what it
/// replaced, its sinks and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DebugRun {
    pub request: u64,
    /// The buffer generation it runs.
    pub generation: u64,
    pub seconds: u32,
    pub rows_limit: u32,
    /// What the run says about itself (nothing is written to real systems).
    pub note: Option<String>,
    /// Table → the connector datagen replaced.
    pub replaced: Vec<(String, String)>,
    pub sinks: Vec<DebugSink>,
    pub sink_sel: usize,
    pub status: DebugStatus,
}

/// Text as kept: control characters as spaces, at most `DEBUG_VALUE_CHARS` characters.
fn keep(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate(&s, DEBUG_VALUE_CHARS)
}

impl DebugRun {
    pub fn new(request: u64, generation: u64, seconds: u32, rows_limit: u32) -> DebugRun {
        DebugRun {
            request,
            generation,
            seconds,
            rows_limit,
            note: None,
            replaced: Vec::new(),
            sinks: Vec::new(),
            sink_sel: 0,
            status: DebugStatus::Running,
        }
    }

    fn sink_mut(&mut self, name: &str) -> &mut DebugSink {
        let i = match self.sinks.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                self.sinks.push(DebugSink::new(keep(name), Vec::new()));
                self.sinks.len() - 1
            }
        };
        &mut self.sinks[i]
    }

    /// Applies one event; a problem is handed back for the problems list.
    pub fn apply(&mut self, event: SqlDebugEvent) -> Option<SqlProblem> {
        match event {
            SqlDebugEvent::Started { note } => self.note = Some(note),
            SqlDebugEvent::Replaced { table, connector } => {
                self.replaced.push((keep(&table), keep(&connector)))
            }
            SqlDebugEvent::Sink { sink, columns } => {
                self.sink_mut(&sink).columns = columns.iter().map(|c| keep(c)).collect();
            }
            SqlDebugEvent::Row { sink, kind, values } => {
                let row = DebugRow {
                    kind: keep(&kind),
                    values: values.iter().map(|v| keep(v)).collect(),
                };
                self.sink_mut(&sink).push(row);
            }
            SqlDebugEvent::Problem(p) => return Some(p),
            SqlDebugEvent::Done { ok, rows, stopped } => {
                self.status = DebugStatus::Done { ok, rows, stopped }
            }
            SqlDebugEvent::Failed { reason } => self.status = DebugStatus::Failed(reason),
        }
        None
    }

    pub fn running(&self) -> bool {
        self.status == DebugStatus::Running
    }

    /// The sink whose table is shown.
    pub fn selected(&self) -> Option<&DebugSink> {
        self.sinks
            .get(self.sink_sel.min(self.sinks.len().saturating_sub(1)))
    }
}

impl EditorState {
    /// Whether the debug run's panel is on screen.
    pub fn debug_shown(&self) -> bool {
        self.debug.is_some()
    }
}

/// `:debug [seconds [rows]]`: the limits of the run (`None` when the arguments are wrong).
pub(crate) fn debug_limits(args: &[&str]) -> Option<(u32, u32)> {
    let num = |i: usize, default: u32| match args.get(i) {
        None => Some(default),
        Some(a) => a.parse::<u32>().ok().filter(|n| *n > 0),
    };
    if args.len() > 2 {
        return None;
    }
    let seconds = num(0, DEBUG_SECONDS)?;
    let rows = num(1, DEBUG_ROWS)?;
    (seconds <= DEBUG_MAX_SECONDS).then_some((seconds, rows))
}

impl App {
    /// Runs the buffer on fake data (a run in progress is replaced: its events are dropped) and
    /// shows the panel with the focus.
    pub(crate) fn start_debug(&mut self, seconds: u32, rows: u32, fx: &mut Vec<Effect>) {
        let request = self.next_id();
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        ed.debug = Some(DebugRun::new(request, ed.buf.generation(), seconds, rows));
        ed.pane = Pane::Debug;
        fx.push(Effect::Worker(WorkerRequest::DebugSql {
            request,
            app: ed.app().map(str::to_string),
            cluster: ed.cluster.clone(),
            sql: ed.buf.text(),
            seconds,
            rows,
        }));
    }

    /// Closes the panel; the run's later events are dropped.
    fn close_debug(&mut self) {
        if let Some(ed) = self.editor.as_mut() {
            ed.debug = None;
            ed.pane = Pane::Text;
        }
    }

    pub(crate) fn on_debug_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let page = ui::debug_visible_rows(self).max(1);
        // The editor's debug key closes the panel too (whatever it is bound to).
        let action = self
            .lookup(&[KeyContext::Debug, KeyContext::Global], &key)
            .or_else(|| {
                (self.lookup(&[KeyContext::Editor], &key) == Some(Action::Debug))
                    .then_some(Action::Debug)
            });
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let Some(run) = ed.debug.as_mut() else {
            ed.pane = Pane::Text;
            return;
        };
        let nsinks = run.sinks.len();
        match action {
            Some(Action::Back | Action::Quit | Action::Debug) => return self.close_debug(),
            Some(Action::Help) => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return;
            }
            Some(Action::Refresh) => {
                let (seconds, rows) = (run.seconds, run.rows_limit);
                return self.start_debug(seconds, rows, fx);
            }
            Some(Action::Problems) => {
                if ed.problems().is_empty() {
                    self.flash(FlashLevel::Info, "no problems");
                } else {
                    ed.show_problems = true;
                    ed.problems_back = Pane::Debug;
                    ed.pane = Pane::Problems;
                }
                return;
            }
            Some(Action::NextTab) if nsinks > 0 => {
                run.sink_sel = (run.sink_sel.min(nsinks - 1) + 1) % nsinks;
                return;
            }
            Some(Action::PrevTab) if nsinks > 0 => {
                run.sink_sel = (run.sink_sel.min(nsinks - 1) + nsinks - 1) % nsinks;
                return;
            }
            _ => {}
        }
        let sel = run.sink_sel.min(nsinks.saturating_sub(1));
        let Some(sink) = run.sinks.get_mut(sel) else {
            return;
        };
        let max = sink.rows.len().saturating_sub(page);
        let s = sink.scroll.min(max);
        let width = sink.width();
        match action {
            Some(Action::Up) => sink.scroll = s.saturating_sub(1),
            Some(Action::Down) => sink.scroll = (s + 1).min(max),
            Some(Action::PageUp) => sink.scroll = s.saturating_sub(page),
            Some(Action::PageDown) => sink.scroll = (s + page).min(max),
            Some(Action::Top) => sink.scroll = 0,
            Some(Action::Bottom) => sink.scroll = max,
            Some(Action::Left) => sink.col_off = sink.col_off.saturating_sub(1),
            Some(Action::Right) => {
                sink.col_off = (sink.col_off + 1).min(width.saturating_sub(1));
            }
            _ => {}
        }
    }

    /// One event of a debug run; events of another run than the one on screen are dropped.
    pub(crate) fn on_sql_debug(&mut self, request: u64, event: SqlDebugEvent) -> bool {
        let Some(ed) = self
            .editor
            .as_mut()
            .filter(|e| e.debug.as_ref().is_some_and(|d| d.request == request))
        else {
            return false;
        };
        let Some(run) = ed.debug.as_mut() else {
            return false;
        };
        let generation = run.generation;
        if let Some(p) = run.apply(event) {
            // The run's problems replace those of an earlier validation or run.
            match ed.validation.data.as_mut() {
                Some(v) if v.debug_request == Some(request) => v.problems.push(p),
                _ => {
                    ed.validation.data = Some(Validation {
                        problems: vec![p],
                        elapsed_ms: 0,
                        generation,
                        debug_request: Some(request),
                    });
                    ed.validation.error = None;
                    ed.problem_sel = 0;
                }
            }
            ed.show_problems = true;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize) -> SqlDebugEvent {
        SqlDebugEvent::Row {
            sink: "out".into(),
            kind: "+I".into(),
            values: vec![i.to_string()],
        }
    }

    #[test]
    fn rows_are_bounded_and_the_view_stays_on_its_rows() {
        let mut run = DebugRun::new(1, 0, 10, 200);
        for i in 0..DEBUG_KEEP_ROWS {
            run.apply(row(i));
        }
        run.sinks[0].scroll = 10;
        for i in DEBUG_KEEP_ROWS..DEBUG_KEEP_ROWS + 5 {
            run.apply(row(i));
        }
        let s = &run.sinks[0];
        assert_eq!(s.rows.len(), DEBUG_KEEP_ROWS);
        assert_eq!(s.received, DEBUG_KEEP_ROWS as u64 + 5);
        assert_eq!(s.rows[0].values, vec!["5"]);
        assert_eq!(s.scroll, 5, "still on row 10");
        assert_eq!(s.rows[s.scroll].values, vec!["10"]);
    }

    #[test]
    fn long_values_are_cut_and_rows_without_a_sink_event_make_one() {
        let mut run = DebugRun::new(1, 0, 10, 200);
        run.apply(SqlDebugEvent::Row {
            sink: "s".into(),
            kind: "+I".into(),
            values: vec!["x".repeat(10_000), "a\nb".into()],
        });
        let s = &run.sinks[0];
        assert_eq!(s.rows[0].values[0].chars().count(), DEBUG_VALUE_CHARS);
        assert_eq!(s.rows[0].values[1], "a b");
        assert_eq!((s.width(), s.column(1).as_str()), (2, "#2"));
    }

    #[test]
    fn limits() {
        assert_eq!(debug_limits(&[]), Some((DEBUG_SECONDS, DEBUG_ROWS)));
        assert_eq!(debug_limits(&["30"]), Some((30, DEBUG_ROWS)));
        assert_eq!(debug_limits(&["30", "5"]), Some((30, 5)));
        assert_eq!(debug_limits(&["0"]), None);
        assert_eq!(debug_limits(&["x"]), None);
        assert_eq!(debug_limits(&["9999"]), None);
        assert_eq!(debug_limits(&["1", "2", "3"]), None);
    }
}
