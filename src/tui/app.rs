//! `App`: the single owner of UI state. `update` is pure (no I/O, no awaits): it changes state and
//! returns effects; `draw` renders the state.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::domain::{
    ClusterRef, JobKey, LogFileRef, LogSearchEvent, LogSource, WorkerReply, WorkerRequest,
};

use super::actions::{Actions, Dialog, Flash, FlashLevel};
use super::alerts::AlertsState;
use super::audit::{AuditState, AUDIT_LIMIT};
use super::builds::BuildsState;
use super::clusters::{self, ClustersScreen};
use super::detail::{exception_entries, step, CheckpointsData, DetailState, Tab};
use super::editor::{EditorState, EditorTarget};
use super::jobs::{ClusterView, JobsState, Managed, PollChange, SortColumn};
use super::keymap::{Action, KeyContext, KeySpec, Keymap};
use super::logs::{sort_files, DeepSearch, LogFocus, LogText, MAX_DEEP_MATCHES};
use super::pods;
use super::theme::Theme;
use super::ui;

/// Largest log tail requested (the TUI keeps only the latest one).
pub(crate) const LOG_MAX_BYTES: usize = 4 * 1024 * 1024;
/// Bytes of a log loaded around a whole-file search match to jump to.
pub(crate) const LOG_WINDOW_BYTES: usize = 1024 * 1024;

/// How the app behaves, from the command line and the config.
#[derive(Debug, Clone, PartialEq)]
pub struct AppOptions {
    /// How often the workers poll; open detail tabs reload at the same pace.
    pub refresh: Duration,
    /// A line shown on screen, e.g. `No config file: watching local at http://localhost:8081`.
    pub notice: Option<String>,
    /// Read-only mode: shown in the header; start, stop, cancel, savepoint and adopt are not
    /// sent (their keys say so, the help lists them as disabled).
    pub readonly: bool,
    /// Open the SQL editor at start (`flinkdeck edit NAME`, the scratch buffer of
    /// `flinkdeck sql`); closing it shows the jobs view.
    pub start_in_editor: Option<EditorTarget>,
    /// Shown in the empty jobs table when the config lists no cluster at all (with the path of
    /// the file to add one to).
    pub no_clusters: Option<String>,
    /// The escape sequences the terminal gets beyond drawing: OSC 8 hyperlinks, OSC 52 copy
    /// (`[ui] hyperlinks`, `[ui] clipboard`), through tmux's passthrough or not.
    pub term: crate::domain::terminal::TermFeatures,
}

impl Default for AppOptions {
    fn default() -> Self {
        AppOptions {
            refresh: Duration::from_secs(5),
            notice: None,
            readonly: false,
            start_in_editor: None,
            no_clusters: None,
            term: Default::default(),
        }
    }
}

/// Everything that can change the UI state.
// Worker replies are the big variant and the common one; boxing them would only add an
// allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    /// The clock advanced (ages, uptimes, due reloads).
    Tick {
        now_ms: i64,
    },
    Worker(WorkerReply),
    /// The theme file in use changed.
    Theme(super::theme::ThemeReload),
}

/// What `update` asks the runtime to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Worker(WorkerRequest),
    /// Escape sequences to write to the terminal as they are (an OSC 52 copy).
    Terminal(String),
    Quit,
}

/// A window over the screen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Overlay {
    Help {
        scroll: usize,
    },
    Error {
        title: String,
        body: String,
        scroll: usize,
    },
    /// The live log of one action (a Flink CLI submission prints its output here); `follow`
    /// keeps the newest line in view until the user scrolls up.
    ActionLog {
        request: u64,
        scroll: usize,
        follow: bool,
    },
    /// The log of the build the Builds view opened (`BuildsState::log`), followed live while
    /// the build runs, like an action's log.
    BuildLog {
        scroll: usize,
        follow: bool,
    },
}

/// The UI state.
pub struct App {
    pub(crate) theme: Theme,
    pub(crate) keymap: Keymap,
    pub(crate) opts: AppOptions,
    pub(crate) now_ms: i64,
    pub(crate) size: (u16, u16),
    pub(crate) clusters: Vec<ClusterView>,
    pub(crate) jobs: JobsState,
    pub(crate) detail: Option<DetailState>,
    /// The audit trail view, when open (it replaces the jobs view).
    pub(crate) audit: Option<AuditState>,
    /// The Alerts view, when open (it replaces the jobs view).
    pub(crate) alerts: Option<AlertsState>,
    /// Open incidents, and how many of them are neither muted nor acknowledged (the header
    /// badge; from the workers).
    pub(crate) incidents_open: (u32, u32),
    /// The clusters view, when open (it replaces the jobs view).
    pub(crate) clusters_view: Option<ClustersScreen>,
    /// The Builds view, when open (it replaces the jobs view).
    pub(crate) builds: Option<BuildsState>,
    pub(crate) overlay: Option<Overlay>,
    /// The SQL editor, when open (it replaces the other views).
    pub(crate) editor: Option<EditorState>,
    /// The managed apps and which job belongs to which (from the workers).
    pub(crate) managed: Managed,
    /// Each managed app's drift (running job vs definition), as last checked by the workers.
    pub(crate) drift: std::collections::BTreeMap<String, crate::domain::drift::AppDrift>,
    /// Running and recent actions (the actions panel).
    pub(crate) actions: Actions,
    /// The open start dialog, confirmation or adopt prompt.
    pub(crate) dialog: Option<Dialog>,
    /// A one-line message in place of the key hints.
    pub(crate) flash: Option<Flash>,
    /// The command palette (`:`), when open.
    pub(crate) palette: Option<super::palette::PaletteState>,
    next_request: u64,
    pub(super) dirty: bool,
    /// The jobs last reported to the workers as on screen (see `WorkerRequest::FocusJobs`).
    focus: Vec<JobKey>,
}

impl App {
    /// The job of `key` as its cluster last listed it, with the cluster's index.
    pub(crate) fn listed_job(&self, key: &JobKey) -> Option<(usize, &crate::domain::JobSummary)> {
        let ci = self.clusters.iter().position(|c| c.name() == key.cluster)?;
        let j = self.clusters[ci].jobs.iter().find(|j| j.id == key.id)?;
        Some((ci, j))
    }

    /// The differences between job `job_id` on `cluster` and its app's definition (empty: no
    /// drift known, or not the app's compared job).
    pub(crate) fn drift_of(
        &self,
        cluster: &str,
        job_id: &str,
    ) -> Vec<&crate::domain::drift::Drift> {
        use crate::domain::drift::AppDrift;
        let Some(app) = self.managed.app_of(cluster, job_id) else {
            return Vec::new();
        };
        match self.drift.get(app) {
            Some(AppDrift::Compared(d)) => d
                .iter()
                .filter(|x| x.cluster == cluster && x.job_id == job_id)
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn new(
        clusters: Vec<ClusterRef>,
        theme: Theme,
        keymap: Keymap,
        opts: AppOptions,
        now_ms: i64,
    ) -> App {
        let clusters = clusters
            .into_iter()
            .map(|c| ClusterView::new(c, now_ms))
            .collect();
        // An app's versions are requested by the first `update`.
        let editor = opts
            .start_in_editor
            .clone()
            .map(|t| EditorState::new(t, ""));
        App {
            theme,
            keymap,
            opts,
            now_ms,
            size: (80, 24),
            clusters,
            jobs: JobsState::default(),
            detail: None,
            audit: None,
            alerts: None,
            incidents_open: (0, 0),
            clusters_view: None,
            builds: None,
            overlay: None,
            editor,
            managed: Managed::default(),
            drift: Default::default(),
            actions: Actions::default(),
            dialog: None,
            flash: None,
            palette: None,
            next_request: 1,
            dirty: true,
            focus: Vec::new(),
        }
    }

    /// Whether the state changed since the last `clear_dirty` (the runtime draws only then).
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    pub fn clear_dirty(&mut self) {
        self.dirty = false;
    }

    /// Renders the state. Builds only the visible rows of tables and logs.
    pub fn draw(&self, frame: &mut Frame) {
        ui::draw(self, frame);
    }

    /// Applies one message; returns the effects to run. Pure: no I/O, no awaits.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.editor_due(&mut fx);
        match msg {
            Msg::Key(key) => {
                if key.kind != KeyEventKind::Release {
                    self.dirty = true;
                    self.on_key(key, &mut fx);
                }
            }
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                self.dirty = true;
            }
            Msg::Tick { now_ms } => {
                self.now_ms = now_ms;
                self.dirty = true;
                self.expire_flash();
                // Only an order that depends on the clock changes with it.
                if self.jobs.resort_on_tick(now_ms) {
                    self.rebuild_jobs();
                }
                self.reload_due(&mut fx);
            }
            Msg::Worker(reply) => self.on_reply(reply, &mut fx),
            Msg::Theme(reload) => {
                self.dirty = true;
                match reload {
                    super::theme::ThemeReload::Loaded(t) => {
                        let text = format!("theme {} reloaded", t.name);
                        self.theme = *t;
                        self.flash(FlashLevel::Info, text);
                    }
                    super::theme::ThemeReload::Failed(e) => self.flash(
                        FlashLevel::Warning,
                        format!("theme not reloaded (the old one stays): {e}"),
                    ),
                }
            }
        }
        self.focus_due(&mut fx);
        fx
    }

    /// Tells the workers which jobs are on screen when that changed (their detail goes first).
    fn focus_due(&mut self, fx: &mut Vec<Effect>) {
        let height = usize::from(self.size.1);
        let keys = self.jobs.focus_keys(&self.clusters, height);
        if keys != self.focus {
            self.focus = keys.clone();
            fx.push(Effect::Worker(WorkerRequest::FocusJobs { keys }));
        }
    }

    pub(super) fn refresh_ms(&self) -> i64 {
        (self.opts.refresh.as_millis() as i64).max(100)
    }

    pub(super) fn next_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// Recomputes the jobs list's rows (after the jobs, the apps, the filters or the sort
    /// changed).
    pub(super) fn rebuild_jobs(&mut self) {
        self.jobs
            .rebuild(&self.clusters, &self.managed, self.now_ms);
    }

    pub(super) fn screen(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    // ---- keys ------------------------------------------------------------------------------

    /// The action of a key: the most specific context first (e.g. Logs, then Detail), `Global`
    /// last, so a global binding never shadows a context's own.
    pub(super) fn lookup(&self, contexts: &[KeyContext], key: &KeyEvent) -> Option<Action> {
        let spec = KeySpec::from_event(key)?;
        contexts
            .iter()
            .filter(|c| **c != KeyContext::Global)
            .find_map(|ctx| {
                self.keymap
                    .bindings(*ctx)
                    .into_iter()
                    .find(|b| b.keys.contains(&spec))
                    .map(|b| b.action)
            })
            .or_else(|| self.keymap.action(KeyContext::Global, key))
    }

    fn on_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        if key.modifiers.contains(KeyModifiers::CONTROL)
            && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
        {
            if self.editor_allows_quit() {
                fx.push(Effect::Quit);
            }
            return;
        }
        self.flash = None;
        if self.overlay.is_some() {
            self.on_overlay_key(key, fx);
        } else if self.dialog.is_some() {
            self.on_dialog_key(key, fx);
        } else if self.palette.is_some() {
            self.on_palette_key(key, fx);
        } else if self.editor.is_none()
            && !(self.jobs.typing && self.detail.is_none())
            && !self.detail.as_ref().is_some_and(|d| d.logs.typing)
            && self.keymap.action(KeyContext::Global, &key) == Some(Action::Command)
        {
            self.open_palette();
        } else if self.editor.is_some() {
            self.on_editor_key(key, fx);
        } else if self.alerts.is_some() {
            self.on_alerts_key(key, fx);
        } else if self.audit.is_some() {
            self.on_audit_key(key, fx);
        } else if self.builds.is_some() {
            self.on_builds_key(key, fx);
        } else if self.clusters_view.is_some() && self.detail.is_none() {
            self.on_clusters_key(key, fx);
        } else if self.jobs.tag_input.is_some() && self.detail.is_none() {
            self.on_tag_typing(key, fx);
        } else if self.jobs.typing && self.detail.is_none() {
            self.on_filter_typing(key);
        } else if self.detail.as_ref().is_some_and(|d| d.logs.typing) {
            self.on_search_typing(key, fx);
        } else if self.detail.is_some() {
            self.on_detail_key(key, fx);
        } else {
            self.on_jobs_key(key, fx);
        }
    }

    fn on_paste(&mut self, text: &str) {
        if self.overlay.is_none() && self.dialog.is_none() && self.editor.is_some() {
            self.on_editor_paste(text);
            self.dirty = true;
            return;
        }
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        let into_palette =
            self.overlay.is_none() && self.dialog.is_none() && self.paste_into_palette(&clean);
        if into_palette || (self.overlay.is_none() && self.paste_into_dialog(&clean)) {
            self.dirty = true;
        } else if self.overlay.is_none()
            && self.jobs.typing
            && self.detail.is_none()
            && self.audit.is_none()
            && self.alerts.is_none()
            && self.clusters_view.is_none()
        {
            self.jobs.filter.push_str(&clean);
            self.rebuild_jobs();
            self.dirty = true;
        } else if let Some(d) = self.detail.as_mut().filter(|d| d.logs.typing) {
            d.logs.query.push_str(&clean);
            self.search_changed();
            self.dirty = true;
        }
    }

    fn on_overlay_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let action = self.lookup(&[KeyContext::Help, KeyContext::Global], &key);
        let page = self.size.1.saturating_sub(6).max(1) as usize;
        let max = ui::overlay_max_scroll(self);
        let Some(overlay) = self.overlay.as_mut() else {
            return;
        };
        let build_log = matches!(overlay, Overlay::BuildLog { .. });
        let scroll = match overlay {
            Overlay::Help { scroll } => scroll,
            Overlay::Error { scroll, .. } => scroll,
            Overlay::ActionLog { scroll, follow, .. } | Overlay::BuildLog { scroll, follow } => {
                if *follow {
                    *scroll = max;
                }
                scroll
            }
        };
        match action {
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::Down) => *scroll = (*scroll + 1).min(max),
            Some(Action::PageUp) => *scroll = scroll.saturating_sub(page),
            Some(Action::PageDown) => *scroll = (*scroll + page).min(max),
            Some(Action::Top) => *scroll = 0,
            Some(Action::Bottom) => *scroll = max,
            Some(Action::Back) | Some(Action::Quit) | Some(Action::Open) => self.overlay = None,
            Some(Action::Help) if matches!(overlay, Overlay::Help { .. }) => self.overlay = None,
            Some(Action::ShowError) if matches!(overlay, Overlay::Error { .. }) => {
                self.overlay = None
            }
            Some(Action::ActionLog) if matches!(overlay, Overlay::ActionLog { .. }) => {
                self.overlay = None
            }
            Some(Action::Refresh) => fx.push(Effect::Worker(WorkerRequest::RefreshAll)),
            _ => {
                if key.code == KeyCode::Esc {
                    self.overlay = None;
                } else if build_log
                    && self.lookup(&[KeyContext::Builds], &key) == Some(Action::CancelBuild)
                {
                    // The cancel key works from the build's log too (the question replaces it).
                    self.overlay = None;
                    self.close_build_log(fx);
                    self.on_builds_key(key, fx);
                    return;
                }
            }
        }
        if build_log && self.overlay.is_none() {
            self.close_build_log(fx);
        }
        // An action log follows its newest line until scrolled up; back at the bottom it
        // follows again.
        if let Some(
            Overlay::ActionLog { scroll, follow, .. } | Overlay::BuildLog { scroll, follow },
        ) = self.overlay.as_mut()
        {
            *follow = *scroll >= max;
        }
    }

    /// Opens the log of the newest running action (else the newest one).
    pub(super) fn open_action_log(&mut self) {
        match self.actions.latest() {
            Some(e) => {
                self.overlay = Some(Overlay::ActionLog {
                    request: e.request,
                    scroll: 0,
                    follow: true,
                })
            }
            None => self.flash(FlashLevel::Info, "no actions yet: their logs show here"),
        }
    }

    fn on_filter_typing(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => self.jobs.typing = false,
            KeyCode::Esc => {
                self.jobs.typing = false;
                self.jobs.filter.clear();
            }
            KeyCode::Backspace => {
                self.jobs.filter.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.jobs.filter.clear()
            }
            KeyCode::Up => self.jobs.move_by(-1, &self.clusters),
            KeyCode::Down => self.jobs.move_by(1, &self.clusters),
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.jobs.filter.push(c)
            }
            _ => return,
        }
        self.rebuild_jobs();
    }

    fn on_search_typing(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let logs = &mut d.logs;
        match key.code {
            KeyCode::Enter => {
                logs.typing = false;
                self.start_deep_search(fx);
                return;
            }
            KeyCode::Esc => {
                logs.typing = false;
                logs.query.clear();
                self.cancel_deep_search(fx);
            }
            KeyCode::Backspace => {
                logs.query.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                logs.query.clear()
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                logs.query.push(c)
            }
            _ => return,
        }
        self.search_changed();
    }

    /// The query was confirmed: when only the tail (or a window) of the file is loaded, search
    /// the whole file in a worker too (Flink REST files; a pod's log is its loaded tail).
    fn start_deep_search(&mut self, fx: &mut Vec<Effect>) {
        let Some(d) = self.detail.as_ref() else {
            return;
        };
        let logs = &d.logs;
        let partial = logs
            .content
            .data
            .as_ref()
            .filter(|t| !matches!(t.file.source, LogSource::Pod { .. }))
            .is_some_and(|t| t.tail.truncated || t.first_line.is_some());
        if logs.query.is_empty() || !partial {
            self.cancel_deep_search(fx);
            return;
        }
        if logs.deep.active_for(&logs.query) {
            return;
        }
        let id = self.next_id();
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let Some(file) = d.logs.file.clone() else {
            return;
        };
        d.logs.deep = DeepSearch {
            request: id,
            pattern: d.logs.query.clone(),
            ..DeepSearch::default()
        };
        fx.push(Effect::Worker(WorkerRequest::SearchLog {
            cluster: d.key.cluster.clone(),
            file,
            pattern: d.logs.query.clone(),
            request: id,
        }));
    }

    /// Forgets the whole-file search; a running one is stopped (an empty pattern replaces it).
    fn cancel_deep_search(&mut self, fx: &mut Vec<Effect>) {
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let deep = std::mem::take(&mut d.logs.deep);
        let running = deep.request != 0 && deep.done.is_none() && deep.error.is_none();
        if let (true, Some(file)) = (running, d.logs.file.clone()) {
            fx.push(Effect::Worker(WorkerRequest::SearchLog {
                cluster: d.key.cluster.clone(),
                file,
                pattern: String::new(),
                request: deep.request,
            }));
        }
    }

    /// `n`/`N` through the whole-file matches; `false` when there are none (the loaded text's
    /// matches are used then).
    fn deep_step(&mut self, forward: bool, fx: &mut Vec<Effect>) -> bool {
        let (width, height) = self.log_view_size();
        let bottom = self.log_bottom_top(width, height);
        let top = self.log_top().unwrap_or(bottom).min(bottom);
        let id = self.next_id();
        let Some(d) = self.detail.as_mut() else {
            return false;
        };
        let logs = &mut d.logs;
        if !logs.deep.active_for(&logs.query) || logs.deep.matches.is_empty() {
            return false;
        }
        let Some(text) = logs.content.data.as_ref() else {
            return false;
        };
        let deep = &mut logs.deep;
        let n = deep.matches.len();
        let next = match deep.current {
            Some(c) if forward => (c + 1) % n,
            Some(c) => (c + n - 1) % n,
            None => {
                let top_offset = text.line_offset(top);
                if forward {
                    deep.matches
                        .iter()
                        .position(|m| m.offset >= top_offset)
                        .unwrap_or(0)
                } else {
                    deep.matches
                        .iter()
                        .rposition(|m| m.offset < top_offset)
                        .unwrap_or(n - 1)
                }
            }
        };
        deep.current = Some(next);
        let m = deep.matches[next].clone();
        match text.line_at_offset(m.offset) {
            Some(line) => {
                logs.current = logs.matches.iter().position(|&l| l == line);
                if line < top || line >= top + height {
                    logs.scroll = Some(line.saturating_sub(height / 3).min(bottom));
                    logs.follow = false;
                }
            }
            None => {
                let Some(file) = logs.file.clone() else {
                    return true;
                };
                deep.jump = Some((id, m.clone()));
                logs.follow = false;
                fx.push(Effect::Worker(WorkerRequest::LoadLogWindow {
                    cluster: d.key.cluster.clone(),
                    file,
                    offset: m.offset,
                    line: m.line,
                    max_bytes: LOG_WINDOW_BYTES,
                    request: id,
                }));
            }
        }
        true
    }

    /// The query changed: find the matching lines and jump to the first one from the current
    /// position.
    fn search_changed(&mut self) {
        let (width, height) = self.log_view_size();
        let bottom = self.log_bottom_top(width, height);
        let top = self.log_top().unwrap_or(bottom).min(bottom);
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let logs = &mut d.logs;
        logs.current = None;
        logs.rerun_search();
        if logs.matches.is_empty() {
            return;
        }
        let idx = logs.matches.iter().position(|&l| l >= top).unwrap_or(0);
        logs.current = Some(idx);
        let line = logs.matches[idx];
        if line < top || line >= top + height {
            logs.scroll = Some(line.saturating_sub(height / 3));
            logs.follow = false;
        }
    }

    fn on_jobs_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        if self.on_header_key(&key) {
            return;
        }
        let Some(action) = self.lookup(&[KeyContext::Jobs, KeyContext::Global], &key) else {
            return;
        };
        self.jobs_action(action, fx);
    }

    /// What `action` does in the jobs list (from its key, or from the command palette).
    pub(super) fn jobs_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        if self.jobs.selected_row().is_some_and(|r| r.is_header()) && header_refuses(action) {
            self.flash(
                FlashLevel::Info,
                "a group header: select a job (enter, ←, → or space folds the group)",
            );
            return;
        }
        let page = ui::jobs_visible_rows(self, self.screen()).max(1) as isize;
        let clusters = &self.clusters;
        match action {
            Action::Up => self.jobs.move_by(-1, clusters),
            Action::Down => self.jobs.move_by(1, clusters),
            Action::PageUp => self.jobs.move_by(-page, clusters),
            Action::PageDown => self.jobs.move_by(page, clusters),
            Action::Top => self.jobs.select_at(0, clusters),
            Action::Bottom => self.jobs.select_at(usize::MAX, clusters),
            Action::Open | Action::Right => {
                if let Some(key) = self.jobs.selected_job(&self.clusters).map(|j| j.key()) {
                    self.open_detail(key, fx);
                } else if let Some(app) = self.jobs.selected_summary(&self.clusters) {
                    // A managed app without a job on its cluster: nothing to open.
                    let text = format!(
                        "app {} has no job on {}{}",
                        app.name,
                        app.cluster,
                        match (
                            self.opts.readonly,
                            self.keymap.hint(KeyContext::Jobs, Action::Start)
                        ) {
                            (false, Some(k)) => format!(" — start it with `{k}`"),
                            _ => String::new(),
                        }
                    );
                    self.flash(FlashLevel::Info, text);
                }
            }
            Action::Back if !self.jobs.filter.is_empty() => {
                self.jobs.filter.clear();
                self.rebuild_jobs();
            }
            Action::Quit => fx.push(Effect::Quit),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::ActionLog => self.open_action_log(),
            Action::Refresh => fx.push(Effect::Worker(WorkerRequest::RefreshAll)),
            Action::Filter | Action::Search => self.jobs.typing = true,
            Action::ClearFilter => {
                self.jobs.clear_filters();
                self.rebuild_jobs();
            }
            Action::SortNext => {
                self.jobs.sort = self.jobs.sort.next();
                if self.jobs.sort == SortColumn::App && self.managed.is_empty() {
                    // No APP column without managed apps.
                    self.jobs.sort = self.jobs.sort.next();
                }
                self.jobs.reverse = false;
                self.rebuild_jobs();
            }
            Action::SortReverse => {
                self.jobs.reverse = !self.jobs.reverse;
                self.rebuild_jobs();
            }
            Action::CycleClusterFilter => {
                self.jobs.cycle_cluster(&self.clusters);
                self.rebuild_jobs();
            }
            Action::CycleStateFilter => {
                self.jobs.state_filter = self.jobs.state_filter.next();
                self.rebuild_jobs();
            }
            Action::Group => self.cycle_group(),
            Action::Tag => self.open_tag_input(),
            Action::View => self.cycle_view(),
            Action::ShowError => self.show_error(),
            Action::Audit => self.open_audit(fx),
            Action::Alerts => self.open_alerts(fx),
            Action::Copy => self.copy_selected(fx),
            Action::Clusters => {
                let on = self
                    .jobs
                    .selected_summary(&self.clusters)
                    .map(|j| j.cluster.clone());
                self.clusters_view = Some(ClustersScreen::new(on));
            }
            Action::Edit => self.edit_selected_app(fx),
            Action::Builds => {
                let app = self.jobs_subject().and_then(|s| s.app);
                self.open_builds(app, fx);
            }
            Action::Upgrade => match self.jobs_subject().and_then(|s| s.app) {
                Some(app) => self.ask_upgrade(app, fx),
                None => self.flash(
                    FlashLevel::Info,
                    "not a managed app: only managed apps are upgraded",
                ),
            },
            Action::Rebuild => match self.jobs_subject().and_then(|s| s.app) {
                Some(app) => self.ask_rebuild(app, None, fx),
                None => self.flash(
                    FlashLevel::Info,
                    "not a managed app: only a managed app with a [build] is rebuilt",
                ),
            },
            Action::Start
            | Action::Stop
            | Action::Cancel
            | Action::Savepoint
            | Action::Adopt
            | Action::DismissActions => {
                let subject = self.jobs_subject();
                self.on_action_key(action, subject, KeyContext::Jobs, fx);
            }
            _ => {}
        }
    }

    /// The error popup: the selected job's cluster if it has an error, else the first unhealthy
    /// cluster.
    fn show_error(&mut self) {
        let refresh = self.refresh_ms();
        let now = self.now_ms;
        let selected_cluster = self
            .jobs
            .selected_summary(&self.clusters)
            .map(|j| j.cluster.clone());
        let has_error = |c: &ClusterView| {
            c.unhealthy(now, refresh) || c.health.detail.is_some() || c.health.reason.is_some()
        };
        let pick = selected_cluster
            .and_then(|name| {
                self.clusters
                    .iter()
                    .find(|c| c.name() == name && has_error(c))
            })
            .or_else(|| self.clusters.iter().find(|c| c.unhealthy(now, refresh)))
            .or_else(|| self.clusters.iter().find(|c| has_error(c)));
        let (title, body) = match pick {
            Some(c) => (
                format!("Error: {}", c.name()),
                clusters::cluster_report(c, now, refresh),
            ),
            None => (
                "Errors".to_string(),
                "No errors: every cluster answered its last poll.".to_string(),
            ),
        };
        self.overlay = Some(Overlay::Error {
            title,
            body,
            scroll: 0,
        });
    }

    /// Opens a job: loads the overview, checkpoints and exceptions at once (small, so switching
    /// tabs is instant); the logs tab loads its file list (and a tail of up to 4 MiB) only when
    /// it is first shown.
    pub(super) fn open_detail(&mut self, key: JobKey, fx: &mut Vec<Effect>) {
        self.detail = Some(DetailState::new(key));
        for tab in [Tab::Overview, Tab::Checkpoints, Tab::Exceptions] {
            self.request_tab(tab, fx);
        }
    }

    /// Sends the load of a tab's data (marks it in flight; a later reply with another id is
    /// dropped).
    fn request_tab(&mut self, tab: Tab, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let now = self.now_ms;
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let key = d.key.clone();
        let req = match tab {
            Tab::Overview => {
                d.overview.start(id, now);
                WorkerRequest::LoadJobDetail { key, request: id }
            }
            Tab::Checkpoints => {
                d.checkpoints.start(id, now);
                WorkerRequest::LoadCheckpoints { key, request: id }
            }
            Tab::Exceptions => {
                d.exceptions.start(id, now);
                WorkerRequest::LoadExceptions { key, request: id }
            }
            Tab::Logs => {
                d.logs.list.start(id, now);
                WorkerRequest::LoadLogList {
                    cluster: key.cluster,
                    request: id,
                }
            }
            // The pods come with every poll of the cluster: nothing to load.
            Tab::Pods => return,
        };
        fx.push(Effect::Worker(req));
    }

    fn request_log(&mut self, file: LogFileRef, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let now = self.now_ms;
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        if d.logs.file.as_ref() != Some(&file) {
            // Another file: drop the old tail (only one is kept) and start at its end.
            d.logs.content.data = None;
            d.logs.content.error = None;
            d.logs.scroll = None;
            d.logs.matches.clear();
            d.logs.current = None;
            let deep = std::mem::take(&mut d.logs.deep);
            if deep.request != 0 && deep.done.is_none() && deep.error.is_none() {
                if let Some(old) = d.logs.file.clone() {
                    fx.push(Effect::Worker(WorkerRequest::SearchLog {
                        cluster: d.key.cluster.clone(),
                        file: old,
                        pattern: String::new(),
                        request: deep.request,
                    }));
                }
            }
        }
        d.logs.file = Some(file.clone());
        d.logs.content.start(id, now);
        fx.push(Effect::Worker(WorkerRequest::LoadLog {
            cluster: d.key.cluster.clone(),
            file,
            max_bytes: LOG_MAX_BYTES,
            request: id,
        }));
    }

    /// On a tick: reload what the open tab (or the audit trail) shows when it is due (never
    /// twice in flight).
    pub(super) fn reload_due(&mut self, fx: &mut Vec<Effect>) {
        let now = self.now_ms;
        let refresh = self.refresh_ms();
        if self
            .audit
            .as_ref()
            .is_some_and(|a| a.load.due(now, refresh))
        {
            self.request_audit(fx);
        }
        self.builds_reload_due(fx);
        self.alerts_due(fx);
        let Some(d) = self.detail.as_ref() else {
            return;
        };
        match d.tab {
            Tab::Overview if d.overview.due(now, refresh) => self.request_tab(Tab::Overview, fx),
            Tab::Checkpoints if d.checkpoints.due(now, refresh) => {
                self.request_tab(Tab::Checkpoints, fx)
            }
            Tab::Exceptions if d.exceptions.due(now, refresh) => {
                self.request_tab(Tab::Exceptions, fx)
            }
            Tab::Logs => {
                if d.logs.list.data.is_none() && d.logs.list.due(now, refresh) {
                    self.request_tab(Tab::Logs, fx);
                } else if d.logs.follow && d.logs.content.due(now, refresh) {
                    if let Some(file) = d.logs.file.clone() {
                        self.request_log(file, fx);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_detail_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(tab) = self.detail.as_ref().map(|d| d.tab) else {
            return;
        };
        let contexts: &[KeyContext] = match tab {
            Tab::Logs => &[KeyContext::Logs, KeyContext::Detail, KeyContext::Global],
            Tab::Pods => &[KeyContext::Pods, KeyContext::Detail, KeyContext::Global],
            _ => &[KeyContext::Detail, KeyContext::Global],
        };
        let action = self.lookup(contexts, &key).or_else(|| {
            // Enter opens (the stack trace, a log file) even if a custom keymap left it unbound
            // in the detail view.
            (key.code == KeyCode::Enter && key.modifiers.is_empty()).then_some(Action::Open)
        });
        let Some(action) = action else {
            return;
        };
        match action {
            Action::Quit => {
                fx.push(Effect::Quit);
                return;
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return;
            }
            Action::ActionLog => {
                self.open_action_log();
                return;
            }
            Action::Refresh => {
                fx.push(Effect::Worker(WorkerRequest::RefreshAll));
                self.refresh_tab(fx);
                return;
            }
            Action::NextTab | Action::PrevTab => {
                let with_pods = self.detail_with_pods();
                if let Some(d) = self.detail.as_mut() {
                    d.tab = if action == Action::NextTab {
                        d.tab.next(with_pods)
                    } else {
                        d.tab.prev(with_pods)
                    };
                }
                self.reload_due(fx);
                return;
            }
            Action::ShowError => {
                self.show_error();
                return;
            }
            Action::Copy => {
                self.copy_selected(fx);
                return;
            }
            Action::Stop | Action::Cancel | Action::Savepoint | Action::DismissActions => {
                let subject = self.detail_subject();
                self.on_action_key(action, subject, KeyContext::Detail, fx);
                return;
            }
            _ => {}
        }
        match tab {
            Tab::Overview => self.overview_key(action),
            Tab::Checkpoints => self.checkpoints_key(action),
            Tab::Exceptions => self.exceptions_key(action),
            Tab::Pods => self.pods_key(action, fx),
            Tab::Logs => self.logs_key(action, fx),
        }
    }

    /// Whether the open job's detail has a Pods tab: its cluster is on a platform (or the tab
    /// is open already, so that it does not vanish under the user while the platform is away).
    pub(crate) fn detail_with_pods(&self) -> bool {
        let Some(d) = self.detail.as_ref() else {
            return false;
        };
        d.tab == Tab::Pods
            || self
                .clusters
                .iter()
                .any(|c| c.name() == d.key.cluster && c.platform.is_some())
    }

    /// The keys of the pods tab; a log it opens is shown in the logs tab.
    fn pods_key(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let page = ui::pods_visible_rows(self, self.screen());
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let platform = self
            .clusters
            .iter()
            .find(|c| c.name() == d.key.cluster)
            .and_then(|c| c.platform.as_ref());
        let pods = platform.map(clusters::sorted_pods).unwrap_or_default();
        match d.pods.on_action(action, &pods, page) {
            pods::Outcome::None => {}
            pods::Outcome::Back => self.detail = None,
            pods::Outcome::Flash(text) => self.flash(FlashLevel::Info, text),
            pods::Outcome::OpenLog(file) => {
                d.tab = Tab::Logs;
                d.logs.focus = LogFocus::Content;
                d.logs.follow = false;
                self.request_log(file, fx);
                // The file list too (for the other pods and containers), once.
                self.reload_due(fx);
            }
        }
    }

    /// `r` in the detail: reload the open tab now unless its load is already in flight.
    fn refresh_tab(&mut self, fx: &mut Vec<Effect>) {
        let Some(d) = self.detail.as_ref() else {
            return;
        };
        match d.tab {
            Tab::Overview if !d.overview.loading() => self.request_tab(Tab::Overview, fx),
            Tab::Checkpoints if !d.checkpoints.loading() => self.request_tab(Tab::Checkpoints, fx),
            Tab::Exceptions if !d.exceptions.loading() => self.request_tab(Tab::Exceptions, fx),
            Tab::Logs => {
                if !d.logs.list.loading() && d.logs.list.data.is_none() {
                    self.request_tab(Tab::Logs, fx);
                } else if !d.logs.content.loading() {
                    if let Some(file) = d.logs.file.clone() {
                        self.request_log(file, fx);
                    } else if !d.logs.list.loading() {
                        self.request_tab(Tab::Logs, fx);
                    }
                }
            }
            _ => {}
        }
    }

    // ---- the clusters view -----------------------------------------------------------------

    fn on_clusters_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let action = self
            .lookup(&[KeyContext::Clusters, KeyContext::Global], &key)
            .or_else(|| {
                // Enter opens even if a custom keymap left it unbound here.
                (key.code == KeyCode::Enter && key.modifiers.is_empty()).then_some(Action::Open)
            });
        let Some(action) = action else {
            return;
        };
        let page = ClustersScreen::page(self.screen());
        let (now, refresh) = (self.now_ms, self.refresh_ms());
        let Some(view) = self.clusters_view.as_mut() else {
            return;
        };
        match view.on_action(action, &self.clusters, page, now, refresh) {
            clusters::Outcome::None => {}
            clusters::Outcome::Close => self.clusters_view = None,
            clusters::Outcome::Quit => fx.push(Effect::Quit),
            clusters::Outcome::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            clusters::Outcome::ActionLog => self.open_action_log(),
            clusters::Outcome::Refresh => fx.push(Effect::Worker(WorkerRequest::RefreshAll)),
            clusters::Outcome::ShowJobs(name) => {
                self.clusters_view = None;
                self.jobs.clear_filters();
                self.jobs.cluster_filter = Some(name);
                self.rebuild_jobs();
            }
            clusters::Outcome::Popup { title, body } => {
                self.overlay = Some(Overlay::Error {
                    title,
                    body,
                    scroll: 0,
                })
            }
            clusters::Outcome::Flash(text) => self.flash(FlashLevel::Warning, text),
            clusters::Outcome::Kill(name) => {
                if self.opts.readonly {
                    self.flash(
                        FlashLevel::Warning,
                        format!("read-only: {} is disabled", Action::KillCluster.name()),
                    );
                    return;
                }
                self.dialog = Some(Dialog::Confirm(super::actions::ConfirmDialog {
                    title: "Kill YARN application".into(),
                    prompt: format!("Kill {name}? Every job on it ends without a savepoint. y/N"),
                    label: format!("kill {name}"),
                    action: crate::domain::ActionRequest::KillCluster { cluster: name },
                    then: None,
                }));
            }
        }
    }

    // ---- the audit trail ------------------------------------------------------------------

    /// Opens the audit trail view and loads it (it reloads every refresh while open).
    fn open_audit(&mut self, fx: &mut Vec<Effect>) {
        self.audit = Some(AuditState::default());
        self.request_audit(fx);
    }

    /// Sends the load of the audit trail (marks it in flight; a reply with another id is
    /// dropped).
    fn request_audit(&mut self, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let now = self.now_ms;
        let Some(a) = self.audit.as_mut() else {
            return;
        };
        a.load.start(id, now);
        fx.push(Effect::Worker(WorkerRequest::LoadAudit {
            request: id,
            limit: AUDIT_LIMIT,
        }));
    }

    fn on_audit_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let action = self
            .lookup(&[KeyContext::Audit, KeyContext::Global], &key)
            .or_else(|| {
                // Enter shows the entry even if a custom keymap left it unbound here.
                (key.code == KeyCode::Enter && key.modifiers.is_empty()).then_some(Action::Open)
            });
        let Some(action) = action else {
            return;
        };
        let page = ui::audit_visible_rows(self, self.screen()).max(1) as isize;
        let (now, refresh) = (self.now_ms, self.refresh_ms());
        let Some(a) = self.audit.as_mut() else {
            return;
        };
        match action {
            Action::Up => a.move_by(-1),
            Action::Down => a.move_by(1),
            Action::PageUp => a.move_by(-page),
            Action::PageDown => a.move_by(page),
            Action::Top => a.select_at(0),
            Action::Bottom => a.select_at(usize::MAX),
            Action::Back | Action::Left => self.audit = None,
            Action::Quit => fx.push(Effect::Quit),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::ActionLog => self.open_action_log(),
            // Not twice in flight (unless what is in flight looks lost).
            Action::Refresh if !a.load.loading() || a.load.due(now, refresh) => {
                self.request_audit(fx)
            }
            Action::Open | Action::Right => {
                if let Some(e) = a.selected_entry() {
                    self.overlay = Some(Overlay::Error {
                        title: format!("Audit entry #{}", e.id),
                        body: ui::audit_entry_text(e),
                        scroll: 0,
                    });
                }
            }
            _ => {}
        }
    }

    fn body_page(&self) -> isize {
        (self.size.1.saturating_sub(8)).max(1) as isize
    }

    fn overview_key(&mut self, action: Action) {
        let page = self.body_page();
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let len = d
            .overview
            .data
            .as_ref()
            .map(|o| o.vertices.len())
            .unwrap_or(0);
        match action {
            Action::Back | Action::Left => self.detail = None,
            a => d.vert_sel = move_sel(d.vert_sel, a, page, len),
        }
    }

    fn checkpoints_key(&mut self, action: Action) {
        let page = self.body_page();
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let len = d
            .checkpoints
            .data
            .as_ref()
            .map(|c| c.history.len())
            .unwrap_or(0);
        match action {
            Action::Back | Action::Left => self.detail = None,
            a => d.cp_sel = move_sel(d.cp_sel, a, page, len),
        }
    }

    fn exceptions_key(&mut self, action: Action) {
        let page = self.body_page();
        let trace_height = ui::trace_visible_rows(self, self.screen());
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        if let Some(scroll) = d.trace {
            let lines = d
                .selected_exception()
                .map(|e| e.stacktrace.lines().count())
                .unwrap_or(0);
            let max = lines.saturating_sub(trace_height);
            d.trace = match action {
                Action::Back | Action::Left | Action::Open => None,
                Action::Up => Some(scroll.saturating_sub(1)),
                Action::Down => Some((scroll + 1).min(max)),
                Action::PageUp => Some(scroll.saturating_sub(trace_height.max(1))),
                Action::PageDown => Some((scroll + trace_height.max(1)).min(max)),
                Action::Top => Some(0),
                Action::Bottom => Some(max),
                _ => Some(scroll),
            };
            return;
        }
        let len = d.exception_count();
        match action {
            Action::Back | Action::Left => self.detail = None,
            Action::Open | Action::Right => {
                if d.selected_exception().is_some() {
                    d.trace = Some(0);
                }
            }
            a => d.exc_sel = move_sel(d.exc_sel, a, page, len),
        }
    }

    fn logs_key(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let content_focus = self
            .detail
            .as_ref()
            .is_some_and(|d| d.logs.focus == LogFocus::Content || d.logs.content.data.is_some());
        match action {
            Action::SearchNext | Action::SearchPrev
                if content_focus && self.deep_step(action == Action::SearchNext, fx) =>
            {
                return;
            }
            Action::Back
                if self
                    .detail
                    .as_ref()
                    .is_some_and(|d| !d.logs.query.is_empty()) =>
            {
                self.cancel_deep_search(fx);
            }
            _ => {}
        }
        let (width, height) = self.log_view_size();
        let top = self.log_top();
        let bottom = self.log_bottom_top(width, height);
        let Some(d) = self.detail.as_mut() else {
            return;
        };
        let logs = &mut d.logs;
        let nfiles = logs.files().len();
        match action {
            Action::Back => {
                if !logs.query.is_empty() {
                    logs.query.clear();
                    logs.matches.clear();
                    logs.current = None;
                } else {
                    self.detail = None;
                }
            }
            Action::Left => logs.focus = LogFocus::List,
            Action::Right => logs.focus = LogFocus::Content,
            Action::Follow => {
                logs.follow = !logs.follow;
                if logs.follow {
                    logs.scroll = None;
                    if let Some(file) = logs.file.clone().filter(|_| !logs.content.loading()) {
                        self.request_log(file, fx);
                    }
                }
            }
            Action::Wrap => logs.wrap = !logs.wrap,
            Action::Search | Action::Filter => {
                logs.typing = true;
                logs.focus = LogFocus::Content;
            }
            Action::SearchNext | Action::SearchPrev => {
                if logs.matches.is_empty() {
                    logs.rerun_search();
                }
                let n = logs.matches.len();
                if n > 0 {
                    let from = top.unwrap_or(bottom);
                    let next = match logs.current {
                        Some(c) if action == Action::SearchNext => (c + 1) % n,
                        Some(c) => (c + n - 1) % n,
                        None if action == Action::SearchNext => {
                            logs.matches.iter().position(|&l| l >= from).unwrap_or(0)
                        }
                        None => logs
                            .matches
                            .iter()
                            .rposition(|&l| l < from + height)
                            .unwrap_or(n - 1),
                    };
                    logs.current = Some(next);
                    let line = logs.matches[next];
                    let cur_top = top.unwrap_or(bottom);
                    if line < cur_top || line >= cur_top + height {
                        logs.scroll = Some(line.saturating_sub(height / 3).min(bottom));
                        logs.follow = false;
                    }
                }
            }
            Action::Open if logs.focus == LogFocus::List => {
                if let Some(file) = logs.files().get(logs.list_sel).cloned() {
                    logs.focus = LogFocus::Content;
                    self.request_log(file, fx);
                }
            }
            a if logs.focus == LogFocus::List => {
                logs.list_sel = move_sel(logs.list_sel, a, height.max(1) as isize, nfiles);
            }
            a => {
                let cur = top.unwrap_or(bottom).min(bottom);
                let page = height.max(1);
                let new = a.move_target(cur, page, usize::MAX);
                if let Some(new) = new {
                    if new >= bottom {
                        logs.scroll = None;
                    } else {
                        logs.scroll = Some(new);
                        logs.follow = false;
                    }
                }
            }
        }
    }

    /// Width and height of the log content viewport at the current terminal size.
    fn log_view_size(&self) -> (usize, usize) {
        match self.detail.as_ref() {
            Some(d) => {
                let r = ui::log_text_area(self, d, self.screen());
                (r.width as usize, r.height as usize)
            }
            None => (0, 0),
        }
    }

    fn log_top(&self) -> Option<usize> {
        self.detail.as_ref().and_then(|d| d.logs.scroll)
    }

    fn log_bottom_top(&self, width: usize, height: usize) -> usize {
        match self.detail.as_ref() {
            Some(d) => ui::log_bottom_top(&d.logs, width, height),
            None => 0,
        }
    }

    // ---- replies -----------------------------------------------------------------------------

    fn on_reply(&mut self, reply: WorkerReply, fx: &mut Vec<Effect>) {
        match reply {
            WorkerReply::ClusterDiscovered { cluster } => {
                match self.clusters.iter_mut().find(|c| c.name() == cluster.name) {
                    Some(c) => {
                        c.cref = cluster;
                        c.problem = false;
                    }
                    None => self.clusters.push(ClusterView::new(cluster, self.now_ms)),
                }
                self.dirty = true;
            }
            WorkerReply::ClusterRemoved { cluster } => {
                self.clusters.retain(|c| c.name() != cluster);
                self.rebuild_jobs();
                self.dirty = true;
            }
            WorkerReply::ClusterPolled {
                cluster,
                generation,
                health,
                jobs,
                platform,
            } => {
                let idx = match self.clusters.iter().position(|c| c.name() == cluster) {
                    Some(i) => i,
                    None => {
                        // Nobody announced it: what a discovery could not look at.
                        self.clusters
                            .push(ClusterView::discovery_problem(&cluster, self.now_ms));
                        self.clusters.len() - 1
                    }
                };
                let c = &mut self.clusters[idx];
                if generation < c.generation {
                    return;
                }
                c.generation = generation;
                // Managed apps' rows show their cluster's health (stale when unreachable).
                let mut rebuild = c.health.status != health.status;
                c.health = health;
                c.platform = platform;
                match jobs {
                    Some(mut list) => {
                        if list.iter().any(|j| j.cluster.is_empty()) {
                            for j in std::sync::Arc::make_mut(&mut list) {
                                if j.cluster.is_empty() {
                                    j.cluster = cluster.clone();
                                }
                            }
                        }
                        let change =
                            self.jobs
                                .poll_change(&c.jobs, &list, &self.managed, self.now_ms);
                        c.jobs = list;
                        match change {
                            PollChange::Same => {}
                            PollChange::Rebuild => rebuild = true,
                            // Only the rows whose score moved are placed again.
                            PollChange::Rescore(moved) if !rebuild => {
                                rebuild =
                                    !self.jobs.rescore(&self.clusters, idx, &moved, self.now_ms);
                            }
                            PollChange::Rescore(_) => {}
                        }
                    }
                    None if c.jobs.iter().any(|j| !j.stale) => {
                        std::sync::Arc::make_mut(&mut c.jobs)
                            .iter_mut()
                            .for_each(|j| j.stale = true)
                    }
                    None => {}
                }
                if rebuild {
                    self.rebuild_jobs();
                }
                self.dirty = true;
            }
            WorkerReply::JobDetailLoaded {
                key,
                request,
                result,
            } => {
                if let Some(d) = self.detail.as_mut() {
                    if d.key == key && d.overview.accepts(request) {
                        d.overview.finish(result);
                        let len = d.overview.data.as_ref().map_or(0, |o| o.vertices.len());
                        d.vert_sel = d.vert_sel.min(len.saturating_sub(1));
                        self.dirty = true;
                    }
                }
            }
            WorkerReply::CheckpointsLoaded {
                key,
                request,
                result,
            } => {
                if let Some(d) = self.detail.as_mut() {
                    if d.key == key && d.checkpoints.accepts(request) {
                        d.checkpoints.finish(
                            result.map(|(stats, stored)| CheckpointsData::new(stats, stored)),
                        );
                        let len = d.checkpoints.data.as_ref().map_or(0, |c| c.history.len());
                        d.cp_sel = d.cp_sel.min(len.saturating_sub(1));
                        self.dirty = true;
                    }
                }
            }
            WorkerReply::ExceptionsLoaded {
                key,
                request,
                result,
            } => {
                if let Some(d) = self.detail.as_mut() {
                    if d.key == key && d.exceptions.accepts(request) {
                        d.exceptions.finish(result);
                        let len = d
                            .exceptions
                            .data
                            .as_ref()
                            .map_or(0, |e| exception_entries(e).len());
                        d.exc_sel = d.exc_sel.min(len.saturating_sub(1));
                        if len == 0 {
                            d.trace = None;
                        }
                        self.dirty = true;
                    }
                }
            }
            WorkerReply::LogListLoaded {
                cluster,
                request,
                result,
            } => {
                let Some(d) = self.detail.as_mut() else {
                    return;
                };
                if d.key.cluster != cluster || !d.logs.list.accepts(request) {
                    return;
                }
                d.logs.list.finish(result.map(|mut files| {
                    sort_files(&mut files);
                    files
                }));
                let nfiles = d.logs.files().len();
                d.logs.list_sel = d.logs.list_sel.min(nfiles.saturating_sub(1));
                // A file opened before the list came (a pod's log from the pods tab): select it.
                if let Some(open) = d.logs.file.as_ref() {
                    if let Some(i) = d.logs.files().iter().position(|f| same_log(f, open)) {
                        d.logs.list_sel = i;
                    }
                }
                let first = d.logs.files().first().cloned();
                let chosen = d.logs.file.is_some();
                self.dirty = true;
                if let (false, Some(file)) = (chosen, first) {
                    d.logs.focus = LogFocus::Content;
                    self.request_log(file, fx);
                }
            }
            WorkerReply::LogLoaded {
                cluster,
                file,
                request,
                result,
            } => {
                let Some(d) = self.detail.as_mut() else {
                    return;
                };
                if d.key.cluster != cluster
                    || d.logs.file.as_ref() != Some(&file)
                    || !d.logs.content.accepts(request)
                {
                    return;
                }
                // Keep only the latest tail: the new one replaces the old one.
                d.logs
                    .content
                    .finish(result.map(|tail| LogText::new(file, tail)));
                if d.logs.follow {
                    d.logs.scroll = None;
                }
                d.logs.rerun_search();
                self.dirty = true;
            }
            WorkerReply::LogSearch { request, event } => {
                let Some(d) = self.detail.as_mut() else {
                    return;
                };
                let deep = &mut d.logs.deep;
                if deep.request != request || deep.request == 0 {
                    return;
                }
                match event {
                    LogSearchEvent::Progress { scanned } => deep.scanned = scanned,
                    LogSearchEvent::Found(found) => {
                        let room = MAX_DEEP_MATCHES.saturating_sub(deep.matches.len());
                        deep.matches.extend(found.into_iter().take(room));
                    }
                    LogSearchEvent::Done {
                        scanned,
                        lines,
                        matching_lines,
                        capped,
                    } => {
                        deep.scanned = scanned;
                        deep.done = Some((lines, matching_lines, capped));
                    }
                    LogSearchEvent::Failed(e) => deep.error = Some(e),
                }
                self.dirty = true;
            }
            WorkerReply::LogWindowLoaded {
                cluster,
                file,
                request,
                result,
            } => {
                let Some(d) = self.detail.as_mut() else {
                    return;
                };
                if d.key.cluster != cluster || d.logs.file.as_ref() != Some(&file) {
                    return;
                }
                let Some((_, m)) = d.logs.deep.jump.take_if(|(id, _)| *id == request) else {
                    return;
                };
                match result {
                    Ok(w) => {
                        d.logs.content.data = Some(LogText::window(file, w));
                        d.logs.content.error = None;
                        d.logs.follow = false;
                        d.logs.rerun_search();
                        let (width, height) = self.log_view_size();
                        let bottom = self.log_bottom_top(width, height);
                        let Some(d) = self.detail.as_mut() else {
                            return;
                        };
                        let line = d
                            .logs
                            .content
                            .data
                            .as_ref()
                            .and_then(|t| t.line_at_offset(m.offset))
                            .unwrap_or(0);
                        d.logs.scroll = Some(line.saturating_sub(height / 3).min(bottom));
                        d.logs.current = d.logs.matches.iter().position(|&l| l == line);
                    }
                    Err(e) => d.logs.deep.error = Some(format!("jump: {e}")),
                }
                self.dirty = true;
            }
            WorkerReply::JobTagsLoaded { tags, message } => self.on_job_tags(tags, message),
            WorkerReply::AppsLoaded { apps, job_apps } => {
                // Sent after every poll round: it replaces the previous one wholesale (the
                // same apps again change nothing).
                let mut managed = Managed::new(apps, job_apps);
                managed.keep_local_tags(&self.managed);
                if managed != self.managed {
                    self.managed = managed;
                    self.rebuild_jobs();
                    self.dirty = true;
                }
            }
            WorkerReply::DriftChecked { drift } => {
                let drift: std::collections::BTreeMap<_, _> = drift.into_iter().collect();
                if drift != self.drift {
                    self.drift = drift;
                    self.dirty = true;
                }
            }
            WorkerReply::ActionProgress { request, message } => {
                if self.on_action_progress(request, message) {
                    self.dirty = true;
                }
            }
            WorkerReply::ActionFinished { request, outcome } => {
                if self.on_action_finished(request, outcome, fx) {
                    self.builds_after_action(fx);
                    self.dirty = true;
                }
            }
            WorkerReply::UpgradePlan { app, result, .. } => {
                self.on_upgrade_plan(app, result);
                self.dirty = true;
            }
            WorkerReply::BuildsLoaded { request, result } => {
                if self.on_builds_loaded(request, result) {
                    self.dirty = true;
                }
            }
            WorkerReply::BuildLog { request, event } => {
                if self.on_build_log(request, event) {
                    self.dirty = true;
                }
            }
            WorkerReply::RestorePointsLoaded {
                app,
                request,
                result,
            } => {
                if self.on_restore_points(&app, request, result) {
                    self.dirty = true;
                }
            }
            WorkerReply::AuditLoaded { request, result } => {
                if let Some(a) = self.audit.as_mut().filter(|a| a.load.accepts(request)) {
                    a.finish(result);
                    self.dirty = true;
                }
            }
            WorkerReply::IncidentsLoaded { request, result } => {
                if let Some(a) = self.alerts.as_mut().filter(|a| a.load.accepts(request)) {
                    a.finish(result);
                    self.dirty = true;
                }
            }
            WorkerReply::IncidentQuieted {
                request,
                id,
                outcome,
            } => {
                self.on_incident_quieted(request, id, outcome, fx);
                self.dirty = true;
            }
            WorkerReply::OpenIncidents { open, unquiet } => {
                if self.incidents_open != (open, unquiet) {
                    self.incidents_open = (open, unquiet);
                    self.dirty = true;
                }
            }
            WorkerReply::AppVersionsLoaded {
                app,
                request,
                result,
                latest_run,
            } => {
                if self.on_app_versions(&app, request, result, latest_run) {
                    self.dirty = true;
                }
            }
            WorkerReply::AppVersionSaved {
                app,
                request,
                result,
            } => {
                if self.on_version_saved(&app, request, result, fx) {
                    self.dirty = true;
                }
            }
            WorkerReply::SqlValidated { request, result } => {
                if self.on_sql_validated(request, result, fx) {
                    self.dirty = true;
                }
            }
            WorkerReply::SqlDebug { request, event } => {
                if self.on_sql_debug(request, event) {
                    self.dirty = true;
                }
            }
        }
    }
}

/// Whether two references name the same log (whatever size or time each was listed with).
pub(crate) fn same_log(a: &LogFileRef, b: &LogFileRef) -> bool {
    a.source == b.source && a.name == b.name
}

/// Moves a list selection by a navigation action.
fn move_sel(cur: usize, action: Action, page: isize, len: usize) -> usize {
    match action {
        Action::Up => step(cur, -1, len),
        Action::Down => step(cur, 1, len),
        Action::PageUp => step(cur, -page, len),
        Action::PageDown => step(cur, page, len),
        Action::Top => 0,
        Action::Bottom => len.saturating_sub(1),
        _ => cur,
    }
}

/// Actions about one job or app, which a group header row does not take.
fn header_refuses(action: Action) -> bool {
    matches!(
        action,
        Action::Open
            | Action::Right
            | Action::Start
            | Action::Stop
            | Action::Cancel
            | Action::Savepoint
            | Action::Adopt
            | Action::Edit
            | Action::Builds
            | Action::Upgrade
            | Action::Rebuild
            | Action::Tag
    )
}
