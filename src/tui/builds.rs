//! The Builds view: the apps with a `[build]` on the left, the selected app's builds (newest
//! first) on the right; Enter opens a build's log in an overlay that follows it live while the
//! build runs; the rebuild and cancel keys ask first, then go to the workers like other actions
//! (progress in the actions panel and `L`). Pure: loads, builds, cancels and the log follower
//! are requests; their answers come back as replies.

use std::cell::Cell;

use crate::domain::{AppBuilds, BuildLogEvent, BuildRecord, BuildStatus, WorkerRequest};

use super::actions::{Dialog, FlashLevel};
use super::app::{App, Effect, Overlay};
use super::detail::{step, Load};
use super::keymap::{Action, KeyContext};

/// Builds listed per app.
pub(crate) const BUILDS_PER_APP: usize = 50;
/// Lines of a build log kept on screen (the oldest go first; the file keeps them all). Every
/// frame wraps what is kept, so this stays small.
pub(crate) const BUILD_LOG_LINES: usize = 5_000;
/// How often the list reloads while a build runs (ms).
const RUNNING_RELOAD_MS: i64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum BuildsFocus {
    #[default]
    Apps,
    Builds,
}

/// The log of one build, as the follower sends it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BuildLogView {
    pub build: i64,
    pub app: String,
    pub path: String,
    /// The `FollowBuildLog` whose lines are accepted.
    pub request: u64,
    pub lines: Vec<String>,
    /// Lines dropped from the front (beyond [`BUILD_LOG_LINES`]).
    pub dropped: usize,
    /// The first answer came.
    pub loaded: bool,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct BuildsState {
    pub load: Load<Vec<AppBuilds>>,
    pub app_sel: usize,
    pub build_sel: usize,
    pub focus: BuildsFocus,
    /// The app to select when the list arrives (the jobs view's selected app).
    pub want_app: Option<String>,
    pub app_offset: Cell<usize>,
    pub build_offset: Cell<usize>,
    /// The build log shown by `Overlay::BuildLog`.
    pub log: Option<BuildLogView>,
}

/// A confirmed build request, before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BuildAsk {
    Rebuild { app: String },
    Cancel { app: String, build: i64 },
    Upgrade { app: String },
}

/// The yes/no question before a rebuild or a cancel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BuildConfirm {
    pub title: String,
    pub prompt: String,
    pub label: String,
    pub ask: BuildAsk,
}

impl BuildsState {
    pub fn apps(&self) -> &[AppBuilds] {
        self.load.data.as_deref().unwrap_or(&[])
    }

    pub fn selected_app(&self) -> Option<&AppBuilds> {
        self.apps().get(self.app_sel)
    }

    pub fn builds(&self) -> &[BuildRecord] {
        self.selected_app().map_or(&[], |a| a.builds.as_slice())
    }

    pub fn selected_build(&self) -> Option<&BuildRecord> {
        self.builds().get(self.build_sel)
    }

    /// Whether a listed build runs (the list then reloads every second).
    pub fn any_running(&self) -> bool {
        self.apps()
            .iter()
            .any(|a| a.builds.iter().any(|b| b.status == BuildStatus::Running))
    }

    /// Finds a listed build by id.
    pub fn find(&self, id: i64) -> Option<&BuildRecord> {
        self.apps()
            .iter()
            .flat_map(|a| a.builds.iter())
            .find(|b| b.id == id)
    }

    /// Takes a reply: keeps the selected app (by name) and build (by id) when still listed; the
    /// newest build is selected when the app got a new one on top of a selected newest one.
    pub fn finish(&mut self, result: Result<Vec<AppBuilds>, String>) {
        let keep_app = self
            .want_app
            .take()
            .or_else(|| self.selected_app().map(|a| a.app.clone()));
        let keep_build = self.selected_build().map(|b| b.id);
        let was_newest = self.build_sel == 0;
        self.load.finish(result);
        let apps = self.apps();
        self.app_sel = keep_app
            .and_then(|name| apps.iter().position(|a| a.app == name))
            .unwrap_or(self.app_sel)
            .min(apps.len().saturating_sub(1));
        let builds = self.builds();
        self.build_sel = if was_newest {
            0
        } else {
            keep_build
                .and_then(|id| builds.iter().position(|b| b.id == id))
                .unwrap_or(self.build_sel)
                .min(builds.len().saturating_sub(1))
        };
    }

    /// Moves the focused list's selection.
    pub fn move_by(&mut self, delta: isize) {
        match self.focus {
            BuildsFocus::Apps => {
                let next = step(self.app_sel, delta, self.apps().len());
                if next != self.app_sel {
                    self.app_sel = next;
                    self.build_sel = 0;
                    self.build_offset.set(0);
                }
            }
            BuildsFocus::Builds => {
                self.build_sel = step(self.build_sel, delta, self.builds().len());
            }
        }
    }

    pub fn select_at(&mut self, idx: usize) {
        match self.focus {
            BuildsFocus::Apps => {
                let next = idx.min(self.apps().len().saturating_sub(1));
                if next != self.app_sel {
                    self.app_sel = next;
                    self.build_sel = 0;
                }
            }
            BuildsFocus::Builds => {
                self.build_sel = idx.min(self.builds().len().saturating_sub(1));
            }
        }
    }
}

impl BuildLogView {
    fn push(&mut self, lines: Vec<String>) {
        self.lines.extend(lines);
        if self.lines.len() > BUILD_LOG_LINES {
            let extra = self.lines.len() - BUILD_LOG_LINES;
            self.lines.drain(..extra);
            self.dropped += extra;
        }
    }
}

impl App {
    /// Opens the Builds view on `app` (when given) and loads it.
    pub(super) fn open_builds(&mut self, app: Option<String>, fx: &mut Vec<Effect>) {
        self.builds = Some(BuildsState {
            want_app: app.clone(),
            focus: if app.is_some() {
                BuildsFocus::Builds
            } else {
                BuildsFocus::Apps
            },
            ..BuildsState::default()
        });
        self.request_builds(fx);
    }

    /// Sends the load of the Builds view (a reply with another id is dropped).
    pub(super) fn request_builds(&mut self, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let now = self.now_ms;
        let Some(b) = self.builds.as_mut() else {
            return;
        };
        b.load.start(id, now);
        fx.push(Effect::Worker(WorkerRequest::LoadBuilds {
            request: id,
            per_app: BUILDS_PER_APP,
        }));
    }

    /// On a tick: the list reloads every refresh, and every second while a build runs.
    pub(super) fn builds_reload_due(&mut self, fx: &mut Vec<Effect>) {
        let (now, refresh) = (self.now_ms, self.refresh_ms());
        let Some(b) = self.builds.as_ref() else {
            return;
        };
        let fast = b.any_running() || self.actions.entries.iter().any(|e| e.running());
        let period = if fast {
            refresh.min(RUNNING_RELOAD_MS)
        } else {
            refresh
        };
        if b.load.due(now, period) {
            self.request_builds(fx);
        }
    }

    pub(super) fn on_builds_loaded(
        &mut self,
        request: u64,
        result: Result<Vec<AppBuilds>, String>,
    ) -> bool {
        match self.builds.as_mut().filter(|b| b.load.accepts(request)) {
            Some(b) => {
                b.finish(result);
                true
            }
            None => false,
        }
    }

    pub(super) fn on_build_log(&mut self, request: u64, event: BuildLogEvent) -> bool {
        let Some(log) = self
            .builds
            .as_mut()
            .and_then(|b| b.log.as_mut())
            .filter(|l| l.request == request)
        else {
            return false;
        };
        match event {
            BuildLogEvent::Lines(lines) => {
                log.loaded = true;
                log.error = None;
                log.push(lines);
            }
            BuildLogEvent::Failed(e) => log.error = Some(e),
        }
        true
    }

    /// A finished build action: the list shows its outcome at once.
    pub(super) fn builds_after_action(&mut self, fx: &mut Vec<Effect>) {
        if self.builds.as_ref().is_some_and(|b| !b.load.loading()) {
            self.request_builds(fx);
        }
    }

    pub(super) fn on_builds_key(&mut self, key: crossterm::event::KeyEvent, fx: &mut Vec<Effect>) {
        use crossterm::event::KeyCode;
        let action = self
            .lookup(&[KeyContext::Builds, KeyContext::Global], &key)
            .or_else(|| {
                // Enter opens even if a custom keymap left it unbound here.
                (key.code == KeyCode::Enter && key.modifiers.is_empty()).then_some(Action::Open)
            });
        let Some(action) = action else {
            return;
        };
        let page = super::ui::builds_visible_rows(self, self.screen()).max(1) as isize;
        let (now, refresh) = (self.now_ms, self.refresh_ms());
        let Some(b) = self.builds.as_mut() else {
            return;
        };
        match action {
            Action::Up => b.move_by(-1),
            Action::Down => b.move_by(1),
            Action::PageUp => b.move_by(-page),
            Action::PageDown => b.move_by(page),
            Action::Top => b.select_at(0),
            Action::Bottom => b.select_at(usize::MAX),
            Action::Left => b.focus = BuildsFocus::Apps,
            Action::Right => b.focus = BuildsFocus::Builds,
            Action::Back | Action::Builds => self.builds = None,
            Action::Quit => fx.push(Effect::Quit),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::ActionLog => self.open_action_log(),
            Action::DismissActions => self.actions.dismiss_finished(),
            Action::Refresh if !b.load.loading() || b.load.due(now, refresh) => {
                self.request_builds(fx)
            }
            Action::Open => match b.focus {
                BuildsFocus::Apps => {
                    if b.selected_app().is_some() {
                        b.focus = BuildsFocus::Builds;
                    }
                }
                BuildsFocus::Builds => self.open_build_log(fx),
            },
            Action::Rebuild => {
                let app = b.selected_app().map(|a| (a.app.clone(), a.git_ref.clone()));
                match app {
                    Some((app, git_ref)) => self.ask_rebuild(app, Some(git_ref), fx),
                    None => self.flash(FlashLevel::Info, "no app with a [build] selected"),
                }
            }
            Action::CancelBuild => self.ask_cancel_build(fx),
            _ => {}
        }
    }

    /// Opens the selected build's log, followed live while the build runs.
    fn open_build_log(&mut self, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let Some(b) = self.builds.as_mut() else {
            return;
        };
        let Some(rec) = b.selected_build().cloned() else {
            return;
        };
        b.log = Some(BuildLogView {
            build: rec.id,
            app: rec.app.clone(),
            path: rec.log.clone(),
            request: id,
            lines: Vec::new(),
            dropped: 0,
            loaded: false,
            error: None,
        });
        fx.push(Effect::Worker(WorkerRequest::FollowBuildLog {
            build: rec.id,
            log: rec.log.clone(),
            request: id,
        }));
        self.overlay = Some(Overlay::BuildLog {
            scroll: 0,
            follow: true,
        });
    }

    /// The build log overlay closed: its follower stops.
    pub(super) fn close_build_log(&mut self, fx: &mut Vec<Effect>) {
        if let Some(b) = self.builds.as_mut() {
            if b.log.take().is_some() {
                fx.push(Effect::Worker(WorkerRequest::UnfollowBuildLog));
            }
        }
    }

    /// The rebuild key (Builds view or jobs view): asks first. `git_ref` is `[build] ref` when
    /// known.
    pub(super) fn ask_rebuild(
        &mut self,
        app: String,
        git_ref: Option<String>,
        fx: &mut Vec<Effect>,
    ) {
        if self.refuse_readonly(Action::Rebuild) {
            // Refused by the workers too, which record the refusal in the audit trail.
            let request = self.next_id();
            fx.push(Effect::Worker(WorkerRequest::RunBuild { app, request }));
            return;
        }
        let at = match git_ref.filter(|r| !r.is_empty()) {
            Some(r) => format!("its [build] ref {r}"),
            None => "its [build] ref".to_string(),
        };
        self.dialog = Some(Dialog::Build(BuildConfirm {
            title: "Rebuild".into(),
            prompt: format!(
                "Rebuild app {app} at {at}? Fetch, build, and bind the artifact as a new \
                 version (a running job is not touched). y/N"
            ),
            label: format!("build app {app}"),
            ask: BuildAsk::Rebuild { app },
        }));
    }

    /// The cancel key in the Builds view: the selected build if it runs, else the app's running
    /// build.
    fn ask_cancel_build(&mut self, fx: &mut Vec<Effect>) {
        let Some(b) = self.builds.as_ref() else {
            return;
        };
        let focused = match b.focus {
            BuildsFocus::Builds => b.selected_build(),
            BuildsFocus::Apps => None,
        };
        let running = focused
            .filter(|r| r.status == BuildStatus::Running)
            .or_else(|| b.builds().iter().find(|r| r.status == BuildStatus::Running))
            .map(|r| (r.app.clone(), r.id, r.user.clone(), r.pid));
        let Some((app, build, user, pid)) = running else {
            let what = b
                .selected_app()
                .map(|a| format!("app {} has no running build", a.app))
                .unwrap_or_else(|| "no app selected".into());
            self.flash(FlashLevel::Info, what);
            return;
        };
        if self.refuse_readonly(Action::CancelBuild) {
            let request = self.next_id();
            fx.push(Effect::Worker(WorkerRequest::CancelBuild {
                app,
                build,
                request,
            }));
            return;
        }
        let by = match pid {
            Some(p) => format!(" (run by {user}, process {p})"),
            None => format!(" (run by {user})"),
        };
        self.dialog = Some(Dialog::Build(BuildConfirm {
            title: "Cancel build".into(),
            prompt: format!(
                "Cancel build #{build} of {app}{by}? Its whole process group is stopped and \
                 the build is recorded as cancelled. y/N"
            ),
            label: format!("cancel build #{build} of {app}"),
            ask: BuildAsk::Cancel { app, build },
        }));
    }

    /// The upgrade key on a managed app: asks the workers for the plan first (the question
    /// shows it; see [`App::on_upgrade_plan`]).
    pub(super) fn ask_upgrade(&mut self, app: String, fx: &mut Vec<Effect>) {
        if self.refuse_readonly(Action::Upgrade) {
            // Refused by the workers too, which record the refusal in the audit trail.
            let request = self.next_id();
            fx.push(Effect::Worker(WorkerRequest::RunUpgrade { app, request }));
            return;
        }
        let request = self.next_id();
        self.flash(FlashLevel::Info, format!("planning the upgrade of {app}…"));
        fx.push(Effect::Worker(WorkerRequest::PreviewUpgrade {
            app,
            request,
        }));
    }

    /// The plan came: the question shows it (or why there is none).
    pub(super) fn on_upgrade_plan(&mut self, app: String, result: Result<Vec<String>, String>) {
        match result {
            Ok(lines) => {
                self.dialog = Some(Dialog::Build(BuildConfirm {
                    title: format!("Upgrade {app}"),
                    prompt: format!(
                        "{}\nA failed health check rolls back to the running version from the \
                         same savepoint. Upgrade now? y/N",
                        lines.join("\n")
                    ),
                    label: format!("upgrade app {app}"),
                    ask: BuildAsk::Upgrade { app },
                }));
            }
            Err(e) => self.flash(FlashLevel::Warning, format!("cannot upgrade {app}: {e}")),
        }
    }

    /// Read-only mode: the usual message; `true` when refused.
    fn refuse_readonly(&mut self, action: Action) -> bool {
        if self.opts.readonly {
            self.flash(
                FlashLevel::Warning,
                format!("read-only: {} is disabled", action.name()),
            );
        }
        self.opts.readonly
    }

    /// `y` on a build question: sends it and shows it in the actions panel.
    pub(super) fn confirm_build(&mut self, c: BuildConfirm, fx: &mut Vec<Effect>) {
        let request = self.next_id();
        self.actions.push(request, c.label, self.now_ms);
        let req = match c.ask {
            BuildAsk::Rebuild { app } => WorkerRequest::RunBuild { app, request },
            BuildAsk::Upgrade { app } => WorkerRequest::RunUpgrade { app, request },
            BuildAsk::Cancel { app, build } => WorkerRequest::CancelBuild {
                app,
                build,
                request,
            },
        };
        fx.push(Effect::Worker(req));
        // The new build shows in the list as soon as it is recorded.
        if self.builds.is_some() {
            self.builds_after_action(fx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: i64, app: &str, status: BuildStatus) -> BuildRecord {
        BuildRecord {
            id,
            app: app.into(),
            status,
            git_ref: "main".into(),
            commit: None,
            subject: None,
            artifact: None,
            sha256: None,
            size: None,
            duration_ms: None,
            log: format!("/d/{id}.log"),
            started_at: id,
            user: "ann".into(),
            error: None,
            version: None,
            image: None,
            pid: None,
        }
    }

    fn app(name: &str, builds: Vec<BuildRecord>) -> AppBuilds {
        AppBuilds {
            app: name.into(),
            git_ref: "main".into(),
            repo: "/r".into(),
            builds,
        }
    }

    #[test]
    fn selection_follows_the_app_and_a_new_build_on_top() {
        let mut s = BuildsState {
            want_app: Some("b".into()),
            ..BuildsState::default()
        };
        s.load.start(1, 0);
        s.finish(Ok(vec![
            app("a", vec![rec(1, "a", BuildStatus::Succeeded)]),
            app(
                "b",
                vec![
                    rec(3, "b", BuildStatus::Failed),
                    rec(2, "b", BuildStatus::Succeeded),
                ],
            ),
        ]));
        assert_eq!(s.selected_app().map(|a| a.app.as_str()), Some("b"));
        assert!(!s.any_running());
        // The newest build is selected: a new one on top takes its place.
        s.load.start(2, 0);
        s.finish(Ok(vec![
            app("a", vec![rec(1, "a", BuildStatus::Succeeded)]),
            app(
                "b",
                vec![
                    rec(4, "b", BuildStatus::Running),
                    rec(3, "b", BuildStatus::Failed),
                    rec(2, "b", BuildStatus::Succeeded),
                ],
            ),
        ]));
        assert_eq!(s.selected_build().map(|b| b.id), Some(4));
        assert!(s.any_running());
        assert_eq!(s.find(2).map(|b| b.status), Some(BuildStatus::Succeeded));
        // An older build stays selected across reloads.
        s.focus = BuildsFocus::Builds;
        s.move_by(2);
        assert_eq!(s.selected_build().map(|b| b.id), Some(2));
        s.load.start(3, 0);
        s.finish(Ok(vec![
            app("a", vec![rec(1, "a", BuildStatus::Succeeded)]),
            app(
                "b",
                vec![
                    rec(5, "b", BuildStatus::Running),
                    rec(4, "b", BuildStatus::Cancelled),
                    rec(3, "b", BuildStatus::Failed),
                    rec(2, "b", BuildStatus::Succeeded),
                ],
            ),
        ]));
        assert_eq!(s.selected_app().map(|a| a.app.as_str()), Some("b"));
        assert_eq!(s.selected_build().map(|b| b.id), Some(2));
        // Moving to another app starts at its newest build.
        s.focus = BuildsFocus::Apps;
        s.move_by(-1);
        assert_eq!(s.selected_app().map(|a| a.app.as_str()), Some("a"));
        assert_eq!(s.build_sel, 0);
    }

    #[test]
    fn a_followed_log_keeps_its_newest_lines() {
        let mut v = BuildLogView {
            build: 1,
            app: "a".into(),
            path: "/d/1.log".into(),
            request: 1,
            lines: Vec::new(),
            dropped: 0,
            loaded: false,
            error: None,
        };
        v.push((0..BUILD_LOG_LINES + 5).map(|i| i.to_string()).collect());
        assert_eq!(v.lines.len(), BUILD_LOG_LINES);
        assert_eq!(v.lines.first().map(String::as_str), Some("5"));
        assert_eq!(v.dropped, 5);
    }
}
