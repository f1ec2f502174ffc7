//! Actions on jobs and apps (start, stop with savepoint, cancel, savepoint, adopt): the dialogs
//! that prepare them, the requests they send, and the panel state that keeps their progress and
//! results visible. Pure: requests go out as effects, progress and outcomes come back as replies.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::{
    ActionOutcome, ActionRequest, ActionTarget, JobKey, JobState, RestoreChoice, RestorePoint,
    WorkerRequest,
};

use super::app::{App, Effect};
use super::keymap::{Action, KeyContext};

/// How many actions the panel keeps (finished ones are dropped oldest first; running ones stay
/// until they finish).
pub(crate) const KEEP_ACTIONS: usize = 5;

/// How long a one-line message stays when no key is pressed.
const FLASH_MS: i64 = 8_000;

/// `4f2a…`: enough of a job id to recognise it in a sentence.
pub(crate) fn short_id(id: &str) -> String {
    let head: String = id.chars().take(4).collect();
    if id.chars().count() > 4 {
        format!("{head}…")
    } else {
        head
    }
}

// ---- the actions panel ----------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ActionStatus {
    /// Sent; the latest progress message, if any.
    Running(Option<String>),
    Done(String),
    Refused(String),
    Failed(String),
}

/// One action sent to the workers, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActionEntry {
    pub request: u64,
    /// `stop app orders-agg`, `savepoint job demo-steady on local`.
    pub label: String,
    pub status: ActionStatus,
    pub started_at: i64,
    /// Every progress message and the outcome, oldest first (at most [`ACTION_LOG_LINES`]):
    /// the live log of a Flink CLI submission, shown by `action_log`.
    pub log: Vec<String>,
}

/// Lines kept of one action's log.
pub(crate) const ACTION_LOG_LINES: usize = 2000;

impl ActionEntry {
    pub fn running(&self) -> bool {
        matches!(self.status, ActionStatus::Running(_))
    }
}

/// The running and recent actions, oldest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct Actions {
    pub entries: Vec<ActionEntry>,
    /// An action to send once the running action with this request id is done (the editor's
    /// submit: stop with a savepoint, then start from it), with its label.
    pub then: Option<(u64, ActionRequest, String)>,
}

impl Actions {
    pub(crate) fn push(&mut self, request: u64, label: String, now_ms: i64) {
        self.entries.push(ActionEntry {
            request,
            label,
            status: ActionStatus::Running(None),
            started_at: now_ms,
            log: Vec::new(),
        });
        self.trim();
    }

    /// Drops the oldest finished entries beyond [`KEEP_ACTIONS`].
    fn trim(&mut self) {
        while self.entries.len() > KEEP_ACTIONS {
            match self.entries.iter().position(|e| !e.running()) {
                Some(i) => {
                    self.entries.remove(i);
                }
                None => break,
            }
        }
    }

    /// Records a progress message; `false` when the request is not a running action of ours.
    fn progress(&mut self, request: u64, message: String) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|e| e.request == request && e.running())
        {
            Some(e) => {
                push_log(&mut e.log, &message);
                e.status = ActionStatus::Running(Some(message));
                true
            }
            None => false,
        }
    }

    /// Records the outcome; `false` when the request is not a running action of ours.
    fn finish(&mut self, request: u64, outcome: ActionOutcome) -> bool {
        let Some(e) = self
            .entries
            .iter_mut()
            .find(|e| e.request == request && e.running())
        else {
            return false;
        };
        e.status = match outcome {
            ActionOutcome::Done { message, .. } => ActionStatus::Done(message),
            ActionOutcome::Refused { reason } => ActionStatus::Refused(reason),
            ActionOutcome::Failed { reason } | ActionOutcome::Invalid { reason } => {
                ActionStatus::Failed(reason)
            }
        };
        let last = match &e.status {
            ActionStatus::Running(_) => String::new(),
            ActionStatus::Done(m) => format!("done: {m}"),
            ActionStatus::Refused(r) => format!("refused: {r}"),
            ActionStatus::Failed(r) => format!("failed: {r}"),
        };
        push_log(&mut e.log, &last);
        self.trim();
        true
    }

    pub fn any_finished(&self) -> bool {
        self.entries.iter().any(|e| !e.running())
    }

    pub(crate) fn dismiss_finished(&mut self) {
        self.entries.retain(ActionEntry::running);
    }

    /// The entry whose log `action_log` shows: the newest running one, else the newest.
    pub fn latest(&self) -> Option<&ActionEntry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.running())
            .or_else(|| self.entries.last())
    }

    pub fn get(&self, request: u64) -> Option<&ActionEntry> {
        self.entries.iter().find(|e| e.request == request)
    }
}

/// Appends each line of `message` to an action's log, dropping the oldest beyond
/// [`ACTION_LOG_LINES`].
fn push_log(log: &mut Vec<String>, message: &str) {
    log.extend(message.lines().map(str::to_string));
    if log.len() > ACTION_LOG_LINES {
        log.drain(..log.len() - ACTION_LOG_LINES);
    }
}

// ---- one-line messages --------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlashLevel {
    Info,
    Warning,
}

/// A one-line message in place of the key hints, until the next key (or a few seconds).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Flash {
    pub text: String,
    pub level: FlashLevel,
    pub at: i64,
}

// ---- dialogs ----------------------------------------------------------------------------------

/// What an action is about: the selected row of the jobs list, or the job the detail shows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Subject {
    pub cluster: String,
    /// The job the row shows (`None` for a managed app without a listed job).
    pub job_id: Option<String>,
    /// The job's name (the app's name for an app without a listed job).
    pub name: String,
    pub app: Option<String>,
    /// The app's (or job's) last known state.
    pub state: Option<JobState>,
    pub target: ActionTarget,
}

impl Subject {
    /// `app orders-agg (job 4f2a…) on prod`, `job demo-steady (4f2a…) on local-2.3`.
    pub fn describe(&self) -> String {
        match (&self.target, &self.job_id) {
            (ActionTarget::App(a), Some(id)) => {
                format!("app {a} (job {}) on {}", short_id(id), self.cluster)
            }
            (ActionTarget::App(a), None) => format!("app {a} on {}", self.cluster),
            (ActionTarget::Job(k), _) => {
                format!("job {} ({}) on {}", self.name, short_id(&k.id), k.cluster)
            }
        }
    }

    /// `app orders-agg`, `job demo-steady on local-2.3` (for the actions panel).
    fn short(&self) -> String {
        match &self.target {
            ActionTarget::App(a) => format!("app {a}"),
            ActionTarget::Job(k) => format!("job {} on {}", self.name, k.cluster),
        }
    }
}

/// The start dialog: what to restore from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StartDialog {
    pub app: String,
    pub cluster: String,
    /// The app's last known state (a warning when it looks running).
    pub state: Option<JobState>,
    /// The `LoadRestorePoints` in flight (a reply with another id is dropped).
    pub request: u64,
    /// `None` while loading.
    pub points: Option<Result<Vec<RestorePoint>, String>>,
    /// Index into the choices: latest, each point, none.
    pub sel: usize,
}

impl StartDialog {
    pub fn listed(&self) -> &[RestorePoint] {
        match &self.points {
            Some(Ok(p)) => p,
            _ => &[],
        }
    }

    /// latest + each listed point + none.
    pub fn len(&self) -> usize {
        self.listed().len() + 2
    }

    pub fn choice(&self, idx: usize) -> RestoreChoice {
        let points = self.listed();
        if idx == 0 {
            RestoreChoice::Latest
        } else if idx <= points.len() {
            RestoreChoice::Savepoint(points[idx - 1].path.clone())
        } else {
            RestoreChoice::None
        }
    }
}

/// A yes/no question before a stop or a cancel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfirmDialog {
    pub title: String,
    pub prompt: String,
    pub action: ActionRequest,
    pub label: String,
    /// What to send once the confirmed action is done, with its label.
    pub then: Option<(ActionRequest, String)>,
}

/// The adopt prompt: the app name being typed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AdoptPrompt {
    pub job: JobKey,
    pub name: String,
    pub input: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Dialog {
    Start(StartDialog),
    Confirm(ConfirmDialog),
    Adopt(AdoptPrompt),
    /// A rebuild or a build cancel (see `builds`).
    Build(super::builds::BuildConfirm),
}

// ---- App: keys and replies --------------------------------------------------------------------

impl App {
    /// Shows a one-line message until the next key.
    pub(super) fn flash(&mut self, level: FlashLevel, text: impl Into<String>) {
        self.flash = Some(Flash {
            text: text.into(),
            level,
            at: self.now_ms,
        });
    }

    /// Drops the message once it is old.
    pub(super) fn expire_flash(&mut self) {
        if self
            .flash
            .as_ref()
            .is_some_and(|f| self.now_ms - f.at >= FLASH_MS)
        {
            self.flash = None;
        }
    }

    /// The first key bound to `action` in the jobs list (for messages), e.g. `a`.
    fn key_for(&self, ctx: KeyContext, action: Action) -> String {
        self.keymap
            .hint(ctx, action)
            .unwrap_or_else(|| action.name().to_string())
    }

    /// The subject of the jobs list's selected row.
    pub(super) fn jobs_subject(&self) -> Option<Subject> {
        let row = self.jobs.selected_row()?;
        let j = self.jobs.summary(&self.clusters, row);
        let is_job = row.is_job();
        let app = row.app.clone();
        let target = match &app {
            // A managed app's own row, or its current job: act through the app. An older job of
            // the app that is still listed is acted on as a job.
            Some(a)
                if !is_job
                    || self
                        .managed
                        .app(a)
                        .and_then(|s| s.job_id.as_deref())
                        .is_none_or(|id| id == j.id) =>
            {
                ActionTarget::App(a.clone())
            }
            _ => ActionTarget::Job(j.key()),
        };
        let state = match (is_job, &app) {
            (false, Some(a)) => self.managed.app(a).and_then(|s| s.state.clone()),
            _ => Some(j.state.clone()),
        };
        Some(Subject {
            cluster: j.cluster.clone(),
            job_id: is_job.then(|| j.id.clone()),
            name: j.name.clone(),
            app,
            state,
            target,
        })
    }

    /// The subject of the job the detail view shows.
    pub(super) fn detail_subject(&self) -> Option<Subject> {
        let d = self.detail.as_ref()?;
        let key = d.key.clone();
        let summary = self.listed_job(&key).map(|(_, j)| j);
        let name = summary
            .map(|s| s.name.clone())
            .or_else(|| d.overview.data.as_ref().map(|o| o.name.clone()))
            .unwrap_or_else(|| key.id.clone());
        let app = self
            .managed
            .app_of(&key.cluster, &key.id)
            .map(str::to_string);
        let target = match &app {
            Some(a)
                if self
                    .managed
                    .app(a)
                    .and_then(|s| s.job_id.as_deref())
                    .is_none_or(|id| id == key.id) =>
            {
                ActionTarget::App(a.clone())
            }
            _ => ActionTarget::Job(key.clone()),
        };
        Some(Subject {
            cluster: key.cluster.clone(),
            job_id: Some(key.id.clone()),
            name,
            app,
            state: summary.map(|s| s.state.clone()),
            target,
        })
    }

    /// A key bound to an action on jobs: prepares it (dialog or confirmation) or sends it.
    /// `ctx` is where the key was pressed (for the keys named in messages).
    pub(super) fn on_action_key(
        &mut self,
        action: Action,
        subject: Option<Subject>,
        ctx: KeyContext,
        fx: &mut Vec<Effect>,
    ) {
        if action == Action::DismissActions {
            self.actions.dismiss_finished();
            return;
        }
        if self.opts.readonly && action.is_mutating() {
            self.flash(
                FlashLevel::Warning,
                format!("read-only: {} is disabled", action.name()),
            );
            return;
        }
        let Some(subject) = subject else {
            self.flash(FlashLevel::Info, "no job selected");
            return;
        };
        match action {
            Action::Start => {
                let Some(app) = subject.app.clone() else {
                    let adopt = self.key_for(ctx, Action::Adopt);
                    self.flash(
                        FlashLevel::Warning,
                        format!("not a managed app — adopt it first with `{adopt}`"),
                    );
                    return;
                };
                let cluster = self
                    .managed
                    .app(&app)
                    .map(|a| a.cluster.clone())
                    .unwrap_or_else(|| subject.cluster.clone());
                let state = self
                    .managed
                    .app(&app)
                    .and_then(|a| a.state.clone())
                    .or(subject.state.clone());
                self.open_start_dialog(app, cluster, state, fx);
            }
            Action::Stop => {
                self.dialog = Some(Dialog::Confirm(ConfirmDialog {
                    title: "Stop with savepoint".into(),
                    prompt: format!("Stop {} with a savepoint? y/N", subject.describe()),
                    label: format!("stop {}", subject.short()),
                    action: ActionRequest::Stop {
                        target: subject.target,
                        drain: false,
                        savepoint_dir: None,
                        no_savepoint: false,
                    },
                    then: None,
                }));
            }
            Action::Cancel => {
                self.dialog = Some(Dialog::Confirm(ConfirmDialog {
                    title: "Cancel".into(),
                    prompt: format!(
                        "Cancel {} without a savepoint? Its state since the last checkpoint \
                         is lost. y/N",
                        subject.describe()
                    ),
                    label: format!("cancel {}", subject.short()),
                    action: ActionRequest::Cancel {
                        target: subject.target,
                    },
                    then: None,
                }));
            }
            Action::Savepoint => {
                let label = format!("savepoint {}", subject.short());
                self.run_action(
                    ActionRequest::Savepoint {
                        target: subject.target,
                        dir: None,
                    },
                    label,
                    fx,
                );
            }
            Action::Adopt => match (&subject.app, &subject.job_id) {
                (Some(app), Some(_)) => self.flash(
                    FlashLevel::Info,
                    format!("job {} already belongs to app {app}", subject.name),
                ),
                (Some(app), None) => self.flash(
                    FlashLevel::Info,
                    format!("{app} is a managed app already; adopt works on unmanaged jobs"),
                ),
                (None, _) => {
                    let ActionTarget::Job(job) = subject.target else {
                        return;
                    };
                    self.dialog = Some(Dialog::Adopt(AdoptPrompt {
                        job,
                        name: subject.name,
                        input: String::new(),
                    }));
                }
            },
            _ => {}
        }
    }

    /// Opens the start dialog of `app` and loads its restore choices.
    pub(super) fn open_start_dialog(
        &mut self,
        app: String,
        cluster: String,
        state: Option<JobState>,
        fx: &mut Vec<Effect>,
    ) {
        let request = self.next_id();
        self.dialog = Some(Dialog::Start(StartDialog {
            app: app.clone(),
            cluster,
            state,
            request,
            points: None,
            sel: 0,
        }));
        fx.push(Effect::Worker(WorkerRequest::LoadRestorePoints {
            app,
            request,
        }));
    }

    /// Sends an action with a fresh request id and shows it in the panel; returns the id
    /// (`None` in read-only mode: nothing is sent).
    fn run_action(
        &mut self,
        action: ActionRequest,
        label: String,
        fx: &mut Vec<Effect>,
    ) -> Option<u64> {
        if self.opts.readonly {
            return None;
        }
        let request = self.next_id();
        self.actions.push(request, label, self.now_ms);
        fx.push(Effect::Worker(WorkerRequest::RunAction { action, request }));
        Some(request)
    }

    /// Keys while a dialog is open: it takes every key (Ctrl-C still quits).
    pub(super) fn on_dialog_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(dialog) = self.dialog.take() else {
            return;
        };
        match dialog {
            Dialog::Start(mut d) => {
                let action = self.lookup(&[KeyContext::Help, KeyContext::Global], &key);
                let last = d.len() - 1;
                let page = self.size.1.saturating_sub(10).max(1) as usize;
                match (key.code, action) {
                    (KeyCode::Enter, _) => {
                        let from = d.choice(d.sel.min(last));
                        let label = format!("start app {} from {}", d.app, choice_label(&from));
                        self.run_action(
                            ActionRequest::Start {
                                app: d.app,
                                from,
                                allow_non_restored: false,
                            },
                            label,
                            fx,
                        );
                        return;
                    }
                    (KeyCode::Esc, _) | (_, Some(Action::Back | Action::Quit)) => return,
                    (_, Some(Action::Up)) => d.sel = d.sel.saturating_sub(1),
                    (_, Some(Action::Down)) => d.sel = (d.sel + 1).min(last),
                    (_, Some(Action::PageUp)) => d.sel = d.sel.saturating_sub(page),
                    (_, Some(Action::PageDown)) => d.sel = (d.sel + page).min(last),
                    (_, Some(Action::Top)) => d.sel = 0,
                    (_, Some(Action::Bottom)) => d.sel = last,
                    _ => {}
                }
                self.dialog = Some(Dialog::Start(d));
            }
            Dialog::Confirm(c) => {
                let yes = matches!(key.code, KeyCode::Char('y' | 'Y'))
                    && !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
                if yes {
                    let request = self.run_action(c.action, c.label, fx);
                    if let (Some(request), Some((next, label))) = (request, c.then) {
                        self.actions.then = Some((request, next, label));
                    }
                }
            }
            Dialog::Build(c) => {
                let yes = matches!(key.code, KeyCode::Char('y' | 'Y'))
                    && !key
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
                if yes {
                    self.confirm_build(c, fx);
                }
            }
            Dialog::Adopt(mut p) => {
                match key.code {
                    KeyCode::Esc => return,
                    KeyCode::Enter => {
                        let app = p.input.trim().to_string();
                        if !app.is_empty() {
                            let label =
                                format!("adopt job {} on {} into app {app}", p.name, p.job.cluster);
                            self.run_action(ActionRequest::Adopt { job: p.job, app }, label, fx);
                            return;
                        }
                    }
                    KeyCode::Backspace => {
                        p.input.pop();
                    }
                    KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        p.input.clear()
                    }
                    KeyCode::Char(c)
                        if !key
                            .modifiers
                            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                    {
                        p.input.push(c)
                    }
                    _ => {}
                }
                self.dialog = Some(Dialog::Adopt(p));
            }
        }
    }

    /// Pasted text goes into the adopt prompt when it is open.
    pub(super) fn paste_into_dialog(&mut self, text: &str) -> bool {
        match self.dialog.as_mut() {
            Some(Dialog::Adopt(p)) => {
                p.input.push_str(text);
                true
            }
            Some(_) => true,
            None => false,
        }
    }

    pub(super) fn on_restore_points(
        &mut self,
        app: &str,
        request: u64,
        result: Result<Vec<RestorePoint>, String>,
    ) -> bool {
        let Some(Dialog::Start(d)) = self.dialog.as_mut() else {
            return false;
        };
        if d.app != app || d.request != request {
            return false;
        }
        // While loading only "latest" (0) and "none" (1) were offered: keep the choice.
        let was_none = d.points.is_none() && d.sel > 0;
        d.points = Some(result);
        d.sel = if was_none {
            d.len() - 1
        } else {
            d.sel.min(d.len() - 1)
        };
        true
    }

    pub(super) fn on_action_progress(&mut self, request: u64, message: String) -> bool {
        self.actions.progress(request, message)
    }

    /// An outcome for one of our actions; a done action refreshes the lists at once.
    pub(super) fn on_action_finished(
        &mut self,
        request: u64,
        outcome: ActionOutcome,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let done = matches!(outcome, ActionOutcome::Done { .. });
        if !self.actions.finish(request, outcome) {
            return false;
        }
        if done {
            fx.push(Effect::Worker(WorkerRequest::RefreshAll));
        }
        // The follow-up of a finished action goes out only when it succeeded.
        if let Some((after, next, label)) = self.actions.then.take() {
            if after != request {
                self.actions.then = Some((after, next, label));
            } else if done {
                self.run_action(next, label, fx);
            }
        }
        true
    }
}

/// `latest`, `savepoint`, `none`, as the panel names a start's restore choice.
fn choice_label(c: &RestoreChoice) -> String {
    match c {
        RestoreChoice::Latest => "latest".into(),
        RestoreChoice::None => "none (fresh)".into(),
        RestoreChoice::Savepoint(p) => p.clone(),
        RestoreChoice::Checkpoint(id) => format!("checkpoint {id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panel_keeps_running_actions_and_the_last_finished() {
        let mut a = Actions::default();
        for r in 1..=7 {
            a.push(r, format!("a{r}"), 0);
        }
        assert_eq!(a.entries.len(), 7, "running actions are never dropped");
        let done = || ActionOutcome::Done {
            message: "ok".into(),
            job_id: None,
            savepoint: None,
        };
        assert!(a.finish(1, done()));
        assert!(!a.finish(1, done()), "finished once");
        assert!(!a.finish(99, done()), "unknown id");
        assert!(a.finish(2, done()));
        // 7 entries, 2 finished: both dropped as soon as there are more than 5.
        assert_eq!(a.entries.len(), 5);
        assert!(a.entries.iter().all(ActionEntry::running));
        assert!(a.finish(3, done()));
        assert!(a.progress(4, "step".into()));
        assert!(!a.progress(3, "late".into()), "finished: no more progress");
        a.dismiss_finished();
        assert_eq!(
            a.entries.iter().map(|e| e.request).collect::<Vec<_>>(),
            vec![4, 5, 6, 7]
        );
    }

    #[test]
    fn short_ids() {
        assert_eq!(short_id("4f2a1b2c"), "4f2a…");
        assert_eq!(short_id("4f2"), "4f2");
    }
}
