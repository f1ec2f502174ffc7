//! The editor's side of `update`: keys (through the keymap's `[editor]`, `[versions]`, `[diff]`
//! and `[problems]` contexts), the prompts, and the workers' replies. Pure: loads, saves and
//! validations are effects.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::CursorMove;

use crate::domain::{
    ActionRequest, ActionTarget, AppKind, AppVersion, RestoreChoice, Run, SqlProblem, WorkerRequest,
};

use super::super::actions::{ConfirmDialog, Dialog, FlashLevel};
use super::super::app::{App, Effect, Overlay};
use super::super::detail::step;
use super::super::keymap::{Action, KeyContext};
use super::super::ui;
use super::debug::{debug_limits, DEBUG_ROWS, DEBUG_SECONDS};
use super::{
    byte_of, AfterSave, DiffView, EditorState, EditorTarget, History, Mode, Pane, PendingSave,
    Prompt, PromptKind, Validation,
};

/// A validation with no answer after this long is taken as lost (the worker serves one request
/// at a time, and a debug run or the first start of the helper JVM can take a while).
const VALIDATE_LOST_MS: i64 = 120_000;

/// The character of a key pressed without Ctrl or Alt.
fn plain_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// Keys that type text in insert mode (everything else goes through the keymap).
fn types_text(key: &KeyEvent) -> bool {
    plain_char(key).is_some()
        || (key.modifiers.is_empty()
            && matches!(key.code, KeyCode::Enter | KeyCode::Tab | KeyCode::Backspace))
}

/// The leading spaces and tabs of `line`.
fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// `3` or `v3` as a version number.
fn parse_version(s: &str) -> Option<u32> {
    s.trim_start_matches(['v', 'V']).parse().ok()
}

impl App {
    // ---- opening and closing -------------------------------------------------------------

    /// Opens the editor on `target`; an app's versions are loaded (the buffer gets the current
    /// one).
    pub(crate) fn open_editor(&mut self, target: EditorTarget, fx: &mut Vec<Effect>) {
        self.editor = Some(EditorState::new(target, ""));
        self.editor_due(fx);
    }

    /// `edit` on the jobs list: the selected row's app, if it is a managed SQL app.
    pub(crate) fn edit_selected_app(&mut self, fx: &mut Vec<Effect>) {
        let Some(app) = self.jobs.selected_row().and_then(|r| r.app.clone()) else {
            self.flash(
                FlashLevel::Info,
                "not a managed app: only managed SQL apps have a script to edit",
            );
            return;
        };
        if let Some(s) = self.managed.app(&app).filter(|s| s.kind != AppKind::Sql) {
            let text = format!("app {app} is a {} app: only SQL apps have a script", s.kind);
            self.flash(FlashLevel::Info, text);
            return;
        }
        self.open_editor(EditorTarget::App(app), fx);
    }

    /// Sends the first load of the editor's app when it has not gone out (or looks lost).
    pub(crate) fn editor_due(&mut self, fx: &mut Vec<Effect>) {
        let (now, refresh) = (self.now_ms, self.refresh_ms());
        let due = self.editor.as_ref().is_some_and(|ed| {
            ed.app().is_some()
                && !ed.ready()
                && ed.history.error.is_none()
                && ed.history.due(now, refresh)
        });
        if due {
            self.request_history(fx);
        }
    }

    fn request_history(&mut self, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let now = self.now_ms;
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let Some(app) = ed.app().map(str::to_string) else {
            return;
        };
        ed.history.start(id, now);
        fx.push(Effect::Worker(WorkerRequest::LoadAppVersions {
            app,
            request: id,
        }));
    }

    /// Closes the editor; with unsaved changes only when `force`.
    fn close_editor(&mut self, force: bool) {
        if let Some(ed) = &self.editor {
            if !force && ed.buf.modified() {
                self.flash(
                    FlashLevel::Warning,
                    "unsaved changes: :w saves a version, :q! closes without saving",
                );
                return;
            }
        }
        self.editor = None;
    }

    /// Ctrl-C with unsaved changes in the editor: warns once; `true` when it may quit.
    pub(crate) fn editor_allows_quit(&mut self) -> bool {
        let Some(ed) = self.editor.as_mut() else {
            return true;
        };
        if !ed.buf.modified() || ed.quit_armed {
            return true;
        }
        ed.quit_armed = true;
        self.flash(
            FlashLevel::Warning,
            "unsaved changes in the editor: ctrl-c again quits without saving",
        );
        false
    }

    // ---- keys ----------------------------------------------------------------------------

    pub(crate) fn on_editor_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        ed.quit_armed = false;
        if ed.prompt.is_some() {
            self.on_prompt_key(key, fx);
            return;
        }
        match ed.pane {
            Pane::Text => self.on_text_key(key, fx),
            Pane::Versions => self.on_versions_key(key, fx),
            Pane::Diff => self.on_diff_key(key),
            Pane::Problems => self.on_problems_key(key),
            Pane::Debug => self.on_debug_key(key, fx),
        }
    }

    /// Pasted text goes into the prompt, or into the buffer at the cursor.
    pub(crate) fn on_editor_paste(&mut self, text: &str) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        if let Some(p) = ed.prompt.as_mut() {
            p.input
                .extend(text.chars().map(|c| if c.is_control() { ' ' } else { c }));
            return;
        }
        if ed.pane != Pane::Text || !ed.ready() {
            return;
        }
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        ed.buf.edit(|t| t.insert_str(&text));
    }

    fn on_text_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let page = ui::editor_text_rows(self).max(1);
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        if ed.mode == Mode::Insert && types_text(&key) && ed.ready() {
            if key.code == KeyCode::Enter {
                // Keep the indentation of the line.
                let (row, col) = ed.buf.cursor();
                let line = &ed.buf.lines()[row];
                let indent = indent_of(&line[..byte_of(line, col)]).to_string();
                ed.buf.edit(|t| {
                    t.insert_newline();
                    t.insert_str(&indent);
                    true
                });
            } else {
                ed.buf.edit(|t| t.input_without_shortcuts(key));
            }
            return;
        }
        let action = self.lookup(&[KeyContext::Editor, KeyContext::Global], &key);
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let pending = ed.pending.take();
        let Some(action) = action else {
            return;
        };
        // `gg` and `dd`: the first press waits for the second.
        let ch = plain_char(&key);
        let doubled = match action {
            Action::Top => true,
            Action::DeleteLine => ed.mode == Mode::Normal,
            _ => false,
        };
        if doubled && ch.is_some() && pending != ch {
            ed.pending = ch;
            return;
        }
        match action {
            Action::Quit => return self.close_editor(false),
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return;
            }
            Action::Back => {
                match ed.mode {
                    Mode::Insert => {
                        if ed.buf.cursor().1 > 0 {
                            ed.buf.motion(CursorMove::Back);
                        }
                    }
                    Mode::Visual => ed.buf.cancel_selection(),
                    Mode::Normal => {}
                }
                ed.mode = Mode::Normal;
                return;
            }
            _ => {}
        }
        if !ed.ready() {
            let text = match &ed.history.error {
                Some(e) => format!("cannot edit {}: {e}", ed.name()),
                None => format!("loading {}…", ed.name()),
            };
            self.flash(FlashLevel::Info, text);
            return;
        }
        match action {
            Action::Save => return self.start_save(AfterSave::Nothing),
            Action::Submit => return self.submit(fx),
            Action::Versions => return self.open_versions(fx),
            Action::DiffRunning => return self.diff_running(Pane::Text),
            Action::Validate => return self.validate(fx),
            Action::Debug => {
                // The panel of a run of this very text gets the focus back; otherwise the text
                // as it is now runs.
                if ed
                    .debug
                    .as_ref()
                    .is_some_and(|d| d.generation == ed.buf.generation())
                {
                    ed.pane = Pane::Debug;
                    return;
                }
                return self.start_debug(DEBUG_SECONDS, DEBUG_ROWS, fx);
            }
            Action::Command => {
                ed.prompt = Some(Prompt {
                    kind: PromptKind::Command,
                    input: String::new(),
                });
                return;
            }
            Action::Search => {
                ed.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    input: String::new(),
                });
                return;
            }
            Action::Problems => {
                if ed.problems().is_empty() {
                    let k = self
                        .keymap
                        .hint(KeyContext::Editor, Action::Validate)
                        .unwrap_or_else(|| "validate".into());
                    self.flash(
                        FlashLevel::Info,
                        format!("no problems found (validate with {k})"),
                    );
                } else {
                    ed.show_problems = true;
                    ed.problems_back = Pane::Text;
                    ed.pane = Pane::Problems;
                }
                return;
            }
            Action::SearchNext | Action::SearchPrev => {
                if !ed.buf.search(action == Action::SearchNext, false) {
                    self.flash(FlashLevel::Info, "no match (/ searches)");
                }
                return;
            }
            Action::Undo | Action::Redo => {
                ed.buf.cancel_selection();
                ed.mode = Mode::Normal;
                let done = if action == Action::Undo {
                    ed.buf.undo()
                } else {
                    ed.buf.redo()
                };
                if !done {
                    let text = if action == Action::Undo {
                        "nothing to undo"
                    } else {
                        "nothing to redo"
                    };
                    self.flash(FlashLevel::Info, text);
                }
                return;
            }
            _ => {}
        }
        let (row, col) = ed.buf.cursor();
        let len = ed.buf.lines()[row].chars().count();
        match action {
            Action::Insert => {
                ed.buf.cancel_selection();
                ed.mode = Mode::Insert;
            }
            Action::Append => {
                ed.buf.cancel_selection();
                if col < len {
                    ed.buf.motion(CursorMove::Forward);
                }
                ed.mode = Mode::Insert;
            }
            Action::OpenLine => {
                ed.buf.cancel_selection();
                let indent = indent_of(&ed.buf.lines()[row]).to_string();
                ed.buf.edit(|t| {
                    t.move_cursor(CursorMove::End);
                    t.insert_newline();
                    t.insert_str(&indent);
                    true
                });
                ed.mode = Mode::Insert;
            }
            Action::Left if col > 0 => ed.buf.motion(CursorMove::Back),
            Action::Right if col < len => ed.buf.motion(CursorMove::Forward),
            Action::Up => ed.buf.motion(CursorMove::Up),
            Action::Down => ed.buf.motion(CursorMove::Down),
            Action::WordForward => ed.buf.motion(CursorMove::WordForward),
            Action::WordBack => ed.buf.motion(CursorMove::WordBack),
            Action::LineStart => ed.buf.motion(CursorMove::Head),
            Action::LineEnd => ed.buf.motion(CursorMove::End),
            Action::Top => {
                ed.buf.motion(CursorMove::Top);
                ed.buf.motion(CursorMove::Head);
            }
            Action::Bottom => {
                ed.buf.motion(CursorMove::Bottom);
                ed.buf.motion(CursorMove::Head);
            }
            Action::PageUp | Action::PageDown => {
                let row = if action == Action::PageUp {
                    row.saturating_sub(page)
                } else {
                    row + page
                };
                if ed.mode != Mode::Visual {
                    ed.buf.cancel_selection();
                }
                ed.buf.goto(row, col);
            }
            Action::DeleteChar | Action::DeleteLine if ed.mode == Mode::Visual => {
                visual_inclusive(ed);
                ed.buf.edit(|t| t.cut());
                ed.yank_lines = false;
                ed.mode = Mode::Normal;
            }
            Action::DeleteChar => {
                ed.buf.edit(|t| t.delete_next_char());
            }
            Action::DeleteLine => delete_line(ed),
            Action::Select => {
                if ed.mode == Mode::Visual {
                    ed.buf.cancel_selection();
                    ed.mode = Mode::Normal;
                } else {
                    ed.buf.start_selection();
                    ed.mode = Mode::Visual;
                }
            }
            Action::Copy => {
                if ed.mode == Mode::Visual {
                    visual_inclusive(ed);
                    ed.buf.copy();
                    ed.yank_lines = false;
                    ed.mode = Mode::Normal;
                } else {
                    // `y` on its own copies the line (as `yy` does).
                    let line = format!("{}\n", ed.buf.lines()[row]);
                    ed.buf.set_yank_text(line);
                    ed.yank_lines = true;
                }
            }
            Action::Paste => {
                paste(ed);
            }
            _ => {}
        }
    }

    fn on_prompt_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let Some(p) = ed.prompt.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                ed.prompt = None;
                ed.prompt_then = AfterSave::Nothing;
            }
            KeyCode::Enter => {
                let Some(p) = ed.prompt.take() else {
                    return;
                };
                match p.kind {
                    PromptKind::Command => self.run_command(p.input.trim(), fx),
                    PromptKind::Search => {
                        if ed.buf.set_search(&p.input) && !ed.buf.search(true, false) {
                            let text = format!("no match for {:?}", p.input);
                            self.flash(FlashLevel::Info, text);
                        }
                    }
                    PromptKind::SaveMessage => {
                        let then = std::mem::replace(&mut ed.prompt_then, AfterSave::Nothing);
                        self.send_save(Some(p.input.trim().to_string()), then, fx);
                    }
                }
            }
            KeyCode::Backspace => {
                p.input.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => p.input.clear(),
            _ => {
                if let Some(c) = plain_char(&key) {
                    p.input.push(c);
                }
            }
        }
    }

    /// `:` commands.
    fn run_command(&mut self, cmd: &str, fx: &mut Vec<Effect>) {
        if cmd.is_empty() {
            return;
        }
        if let Ok(n) = cmd.parse::<usize>() {
            if let Some(ed) = self.editor.as_mut() {
                ed.buf.cancel_selection();
                ed.mode = Mode::Normal;
                ed.buf.goto(n.saturating_sub(1), 0);
            }
            return;
        }
        let (word, rest) = cmd.split_once(' ').unwrap_or((cmd, ""));
        let rest = rest.trim();
        let args: Vec<&str> = rest.split_whitespace().collect();
        match word {
            "w" | "write" if rest.is_empty() => self.start_save(AfterSave::Nothing),
            "w" | "write" => self.save_now(Some(rest.to_string()), AfterSave::Nothing, fx),
            "wq" | "x" => {
                if self.editor.as_ref().is_some_and(|e| e.buf.modified()) {
                    self.start_save(AfterSave::Close);
                } else {
                    self.close_editor(false);
                }
            }
            "q" | "quit" => self.close_editor(false),
            "q!" | "quit!" => self.close_editor(true),
            "submit" => self.submit(fx),
            "validate" => self.validate(fx),
            "debug" => match debug_limits(&args) {
                Some((seconds, rows)) => self.start_debug(seconds, rows, fx),
                None => self.flash(
                    FlashLevel::Warning,
                    format!(
                        ":debug [seconds [rows]] (seconds 1-600, rows at least 1), not :debug \
                         {rest}"
                    ),
                ),
            },
            "versions" => self.open_versions(fx),
            "problems" => {
                if let Some(ed) = self.editor.as_mut().filter(|e| !e.problems().is_empty()) {
                    ed.show_problems = true;
                    ed.problems_back = Pane::Text;
                    ed.pane = Pane::Problems;
                }
            }
            "diff" => match (args.first(), args.get(1)) {
                (None, _) => self.diff_running(Pane::Text),
                (Some(a), None) => match parse_version(a) {
                    Some(v) => self.diff_buffer_against(v, Pane::Text),
                    None => self.flash(FlashLevel::Warning, format!("not a version: {a}")),
                },
                (Some(a), Some(b)) => match (parse_version(a), parse_version(b)) {
                    (Some(a), Some(b)) => self.diff_versions(a, b, Pane::Text),
                    _ => self.flash(FlashLevel::Warning, format!("not versions: {rest}")),
                },
            },
            _ => self.flash(
                FlashLevel::Warning,
                format!(
                    "unknown command :{word} (:123 goes to a line; :w [message], :q, :q!, :wq, \
                     :submit, :validate, :debug [seconds [rows]], :versions, :problems, \
                     :diff [N [M]])"
                ),
            ),
        }
    }

    // ---- saving and submitting -------------------------------------------------------------

    /// Why the editor's buffer cannot be saved as a version now, if it cannot.
    fn save_refusal(&self, what: &str) -> Option<String> {
        let ed = self.editor.as_ref()?;
        if ed.app().is_none() {
            return Some(format!(
                "a scratch buffer belongs to no app: nothing to {what}"
            ));
        }
        if self.opts.readonly {
            return Some(format!("read-only: {what} is disabled"));
        }
        if ed.save.is_some() {
            return Some("a save is in flight".into());
        }
        None
    }

    /// Asks for the message of the version to save (then saves).
    fn start_save(&mut self, then: AfterSave) {
        let what = if then == AfterSave::Submit {
            "submit"
        } else {
            "save"
        };
        if let Some(why) = self.save_refusal(what) {
            self.flash(FlashLevel::Warning, why);
            return;
        }
        if let Some(ed) = self.editor.as_mut() {
            ed.prompt = Some(Prompt {
                kind: PromptKind::SaveMessage,
                input: String::new(),
            });
            ed.prompt_then = then;
        }
    }

    /// `:w message`: saves without asking.
    fn save_now(&mut self, message: Option<String>, then: AfterSave, fx: &mut Vec<Effect>) {
        if let Some(why) = self.save_refusal("save") {
            self.flash(FlashLevel::Warning, why);
            return;
        }
        self.send_save(message, then, fx);
    }

    fn send_save(&mut self, message: Option<String>, then: AfterSave, fx: &mut Vec<Effect>) {
        let request = self.next_id();
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let (Some(app), Some(base_version)) = (ed.app().map(str::to_string), ed.version) else {
            return;
        };
        let text = ed.buf.text();
        ed.save = Some(PendingSave {
            request,
            text: text.clone(),
            then,
        });
        fx.push(Effect::Worker(WorkerRequest::SaveAppVersion {
            app,
            sql: text,
            message: message.filter(|m| !m.is_empty()),
            base_version,
            request,
        }));
    }

    /// Submit: save when modified (asking for the message), then start the app.
    fn submit(&mut self, fx: &mut Vec<Effect>) {
        if let Some(why) = self.save_refusal("submit") {
            self.flash(FlashLevel::Warning, why);
            return;
        }
        if self.editor.as_ref().is_some_and(|e| e.buf.modified()) {
            self.start_save(AfterSave::Submit);
        } else {
            self.submit_saved(fx);
        }
    }

    /// The saved version goes live: the start dialog (restore choices), or when the app runs,
    /// stop with a savepoint first and start from it.
    fn submit_saved(&mut self, fx: &mut Vec<Effect>) {
        let Some(ed) = self.editor.as_ref() else {
            return;
        };
        let Some(app) = ed.app().map(str::to_string) else {
            return;
        };
        let version = ed.version.unwrap_or_default();
        let summary = self.managed.app(&app);
        let cluster = summary
            .map(|s| s.cluster.clone())
            .or_else(|| ed.cluster.clone())
            .unwrap_or_default();
        let state = summary.and_then(|s| s.state.clone());
        if state.as_ref().is_some_and(|s| s.is_active()) {
            let running = ed
                .history
                .data
                .as_ref()
                .and_then(History::running)
                .map(|(v, _)| format!(" (version {v})"))
                .unwrap_or_default();
            self.dialog = Some(Dialog::Confirm(ConfirmDialog {
                title: "Submit".into(),
                prompt: format!(
                    "App {app} runs{running} on {cluster}. Stop it with a savepoint, then start \
                     version {version} from that savepoint? y/N"
                ),
                label: format!("stop app {app}"),
                action: ActionRequest::Stop {
                    target: ActionTarget::App(app.clone()),
                    drain: false,
                    savepoint_dir: None,
                    no_savepoint: false,
                },
                then: Some((
                    ActionRequest::Start {
                        app: app.clone(),
                        from: RestoreChoice::Latest,
                        allow_non_restored: false,
                    },
                    format!("start app {app} from latest"),
                )),
            }));
        } else {
            self.open_start_dialog(app, cluster, state, fx);
        }
    }

    // ---- versions and diffs ----------------------------------------------------------------

    fn open_versions(&mut self, fx: &mut Vec<Effect>) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        if ed.app().is_none() {
            self.flash(FlashLevel::Info, "a scratch buffer has no versions");
            return;
        }
        ed.pane = Pane::Versions;
        ed.list.selected = 0;
        if !ed.history.loading() {
            self.request_history(fx);
        }
    }

    fn on_versions_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let page = ui::editor_text_rows(self).saturating_sub(3).max(1) as isize;
        let action = self
            .lookup(&[KeyContext::Versions, KeyContext::Global], &key)
            .or_else(|| (key.code == KeyCode::Enter).then_some(Action::Open));
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let versions: Vec<u32> = ed
            .history
            .data
            .as_ref()
            .map(|h| h.versions.iter().map(|v| v.version).collect())
            .unwrap_or_default();
        let len = versions.len();
        let sel = ed.list.selected.min(len.saturating_sub(1));
        let selected = versions.get(sel).copied();
        match action {
            Some(Action::Up) => ed.list.selected = step(sel, -1, len),
            Some(Action::Down) => ed.list.selected = step(sel, 1, len),
            Some(Action::PageUp) => ed.list.selected = step(sel, -page, len),
            Some(Action::PageDown) => ed.list.selected = step(sel, page, len),
            Some(Action::Top) => ed.list.selected = 0,
            Some(Action::Bottom) => ed.list.selected = len.saturating_sub(1),
            Some(Action::Back | Action::Quit | Action::Versions) => ed.pane = Pane::Text,
            Some(Action::Help) => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Some(Action::Mark) => {
                if let Some(v) = selected {
                    if let Some(i) = ed.list.marked.iter().position(|m| *m == v) {
                        ed.list.marked.remove(i);
                    } else {
                        ed.list.marked.push(v);
                        if ed.list.marked.len() > 2 {
                            ed.list.marked.remove(0);
                        }
                    }
                }
            }
            Some(Action::DiffMarked) => match ed.list.marked.clone()[..] {
                [a, b] => self.diff_versions(a.min(b), a.max(b), Pane::Versions),
                _ => {
                    let k = self
                        .keymap
                        .hint(KeyContext::Versions, Action::Mark)
                        .unwrap_or_else(|| "mark".into());
                    self.flash(FlashLevel::Info, format!("mark two versions with {k}"));
                }
            },
            Some(Action::Diff) => {
                if let Some(v) = selected {
                    self.diff_buffer_against(v, Pane::Versions);
                }
            }
            Some(Action::DiffRunning) => self.diff_running(Pane::Versions),
            Some(Action::Open) => {
                if let Some(v) = selected {
                    self.restore_version(v);
                }
            }
            Some(Action::Refresh) if !ed.history.loading() => self.request_history(fx),
            _ => {}
        }
    }

    /// Puts version `v`'s script into the buffer (one undo step).
    fn restore_version(&mut self, v: u32) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let Some(text) = ed.version_text(v) else {
            return;
        };
        ed.buf.replace_all(&text);
        ed.mode = Mode::Normal;
        ed.pane = Pane::Text;
        let undo = self
            .keymap
            .hint(KeyContext::Editor, Action::Undo)
            .unwrap_or_else(|| "undo".into());
        self.flash(
            FlashLevel::Info,
            format!(
                "version {v} restored into the buffer ({undo} undoes; save makes it a new version)"
            ),
        );
    }

    fn show_diff(&mut self, title: String, old: &str, new: &str, back: Pane) {
        if let Some(ed) = self.editor.as_mut() {
            ed.diff = Some(DiffView::new(title, old, new, back));
            ed.pane = Pane::Diff;
        }
    }

    /// The versions are not loaded (yet): says so.
    fn versions_missing(&mut self, v: u32) {
        let loading = self
            .editor
            .as_ref()
            .is_some_and(|e| e.history.data.is_none());
        let text = if loading {
            "the versions are still loading".to_string()
        } else {
            format!("no version {v}")
        };
        self.flash(FlashLevel::Info, text);
    }

    fn diff_buffer_against(&mut self, v: u32, back: Pane) {
        let Some(ed) = self.editor.as_ref() else {
            return;
        };
        match ed.version_text(v) {
            Some(old) => {
                let new = ed.buf.text();
                self.show_diff(format!("v{v} → buffer"), &old, &new, back);
            }
            None => self.versions_missing(v),
        }
    }

    fn diff_versions(&mut self, a: u32, b: u32, back: Pane) {
        let Some(ed) = self.editor.as_ref() else {
            return;
        };
        match (ed.version_text(a), ed.version_text(b)) {
            (Some(old), Some(new)) => self.show_diff(format!("v{a} → v{b}"), &old, &new, back),
            (None, _) => self.versions_missing(a),
            (_, None) => self.versions_missing(b),
        }
    }

    /// The buffer against the version the app runs (or ran last).
    fn diff_running(&mut self, back: Pane) {
        let Some(ed) = self.editor.as_ref() else {
            return;
        };
        if ed.app().is_none() {
            self.flash(FlashLevel::Info, "a scratch buffer has no running version");
            return;
        }
        let Some(history) = ed.history.data.as_ref() else {
            self.flash(FlashLevel::Info, "the versions are still loading");
            return;
        };
        let Some((v, live)) = history.running() else {
            let text = format!("app {} has not run yet", ed.name());
            self.flash(FlashLevel::Info, text);
            return;
        };
        let Some(old) = ed.version_text(v) else {
            return self.versions_missing(v);
        };
        let which = if live { "running" } else { "last run" };
        let new = ed.buf.text();
        self.show_diff(format!("{which} v{v} → buffer"), &old, &new, back);
    }

    fn on_diff_key(&mut self, key: KeyEvent) {
        let page = ui::diff_visible_rows(self).max(1);
        let action = self.lookup(&[KeyContext::Diff, KeyContext::Global], &key);
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let Some(d) = ed.diff.as_mut() else {
            ed.pane = Pane::Text;
            return;
        };
        let max = d.lines.len().saturating_sub(page);
        let s = d.scroll.min(max);
        d.scroll = match action {
            Some(Action::Up) => s.saturating_sub(1),
            Some(Action::Down) => (s + 1).min(max),
            Some(Action::PageUp) => s.saturating_sub(page),
            Some(Action::PageDown) => (s + page).min(max),
            Some(Action::Top) => 0,
            Some(Action::Bottom) => max,
            Some(Action::SearchNext) => d.hunk_from(s, true).unwrap_or(s).min(max),
            Some(Action::SearchPrev) => d.hunk_from(s, false).unwrap_or(0),
            Some(Action::Back | Action::Quit) => {
                ed.pane = d.back;
                ed.diff = None;
                return;
            }
            Some(Action::Help) => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return;
            }
            _ => s,
        };
    }

    // ---- validation and problems ----------------------------------------------------------

    /// Validates the buffer. While a validation is in flight another is not sent: one more
    /// goes out when it answers, with the text as it is then (the latest wins).
    fn validate(&mut self, fx: &mut Vec<Effect>) {
        let now = self.now_ms;
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let recent = ed
            .validation
            .sent_at
            .is_some_and(|t| now - t < VALIDATE_LOST_MS);
        if ed.validation.loading() && recent {
            ed.validate_queued = ed.buf.generation() != ed.validating_generation;
            return;
        }
        self.send_validation(fx);
    }

    fn send_validation(&mut self, fx: &mut Vec<Effect>) {
        let request = self.next_id();
        let now = self.now_ms;
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        ed.validate_queued = false;
        ed.validation.start(request, now);
        ed.validating_generation = ed.buf.generation();
        fx.push(Effect::Worker(WorkerRequest::ValidateSql {
            request,
            app: ed.app().map(str::to_string),
            cluster: ed.cluster.clone(),
            sql: ed.buf.text(),
        }));
    }

    fn on_problems_key(&mut self, key: KeyEvent) {
        let action = self
            .lookup(&[KeyContext::Problems, KeyContext::Global], &key)
            .or_else(|| (key.code == KeyCode::Enter).then_some(Action::Open));
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        let len = ed.problems().len();
        let sel = ed.problem_sel.min(len.saturating_sub(1));
        match action {
            Some(Action::Up) => ed.problem_sel = step(sel, -1, len),
            Some(Action::Down) => ed.problem_sel = step(sel, 1, len),
            Some(Action::Top) => ed.problem_sel = 0,
            Some(Action::Bottom) => ed.problem_sel = len.saturating_sub(1),
            Some(Action::Back | Action::Quit) => ed.pane = ed.problems_return(),
            Some(Action::Problems) => {
                ed.show_problems = false;
                ed.pane = ed.problems_return();
            }
            Some(Action::Help) => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Some(Action::Open) => {
                if let Some(p) = ed.problems().get(sel).cloned() {
                    ed.buf.cancel_selection();
                    ed.mode = Mode::Normal;
                    ed.buf.goto(
                        (p.line as usize).saturating_sub(1),
                        (p.column as usize).saturating_sub(1),
                    );
                    ed.pane = Pane::Text;
                }
            }
            _ => {}
        }
    }

    // ---- replies ---------------------------------------------------------------------------

    /// The app's versions: the first load fills the buffer with the current version.
    pub(crate) fn on_app_versions(
        &mut self,
        app: &str,
        request: u64,
        result: Result<Vec<AppVersion>, String>,
        latest_run: Option<Run>,
    ) -> bool {
        let Some(ed) = self
            .editor
            .as_mut()
            .filter(|e| e.app() == Some(app) && e.history.accepts(request))
        else {
            return false;
        };
        let first = !ed.ready();
        let current = result.as_ref().ok().and_then(|v| v.first()).cloned();
        ed.history.finish(result.map(|versions| History {
            versions,
            latest_run,
        }));
        let len = ed.history.data.as_ref().map_or(0, |h| h.versions.len());
        ed.list.selected = ed.list.selected.min(len.saturating_sub(1));
        if let (true, Some(v)) = (first, current) {
            match (v.spec.kind, &v.spec.sql) {
                (AppKind::Sql, sql) => {
                    ed.buf.load(sql.as_deref().unwrap_or_default());
                    ed.version = Some(v.version);
                    ed.cluster = Some(v.spec.cluster.clone());
                }
                (kind, _) => {
                    ed.history.error = Some(format!(
                        "app {app} is a {kind} app: only SQL apps have a script"
                    ));
                }
            }
        }
        true
    }

    pub(crate) fn on_version_saved(
        &mut self,
        app: &str,
        request: u64,
        result: Result<u32, String>,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let Some(ed) = self.editor.as_mut().filter(|e| {
            e.app() == Some(app) && e.save.as_ref().is_some_and(|s| s.request == request)
        }) else {
            return false;
        };
        let Some(save) = ed.save.take() else {
            return false;
        };
        match result {
            Ok(v) => {
                let text = if ed.version == Some(v) {
                    format!("no changes to save: {app} stays at version {v}")
                } else {
                    format!("saved version {v} of {app}")
                };
                ed.buf.mark_saved(&save.text);
                ed.version = Some(v);
                self.flash(FlashLevel::Info, text);
                self.request_history(fx);
                match save.then {
                    AfterSave::Nothing => {}
                    AfterSave::Submit => self.submit_saved(fx),
                    AfterSave::Close => self.close_editor(false),
                }
            }
            Err(e) => self.flash(FlashLevel::Warning, format!("save failed: {e}")),
        }
        true
    }

    pub(crate) fn on_sql_validated(
        &mut self,
        request: u64,
        result: Result<(Vec<SqlProblem>, u64), String>,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let Some(ed) = self
            .editor
            .as_mut()
            .filter(|e| e.validation.accepts(request))
        else {
            return false;
        };
        let generation = ed.validating_generation;
        ed.validation
            .finish(result.map(|(problems, elapsed_ms)| Validation {
                problems,
                elapsed_ms,
                generation,
                debug_request: None,
            }));
        ed.problem_sel = 0;
        ed.show_problems = !ed.problems().is_empty();
        if !ed.show_problems && ed.pane == Pane::Problems {
            ed.pane = ed.problems_return();
        }
        if std::mem::take(&mut ed.validate_queued) && ed.buf.generation() != generation {
            self.send_validation(fx);
        }
        true
    }
}

/// In visual mode the character under the cursor is part of the selection (as in vim) when
/// the selection runs forward.
fn visual_inclusive(ed: &mut EditorState) {
    let Some((_, end)) = ed.buf.textarea().selection_range() else {
        return;
    };
    let (row, col) = ed.buf.cursor();
    if (row, col) == end && col < ed.buf.lines()[row].chars().count() {
        ed.buf.motion(CursorMove::Forward);
    }
}

/// `dd`: deletes the cursor's line into the yank buffer (as a whole line).
fn delete_line(ed: &mut EditorState) {
    let (row, _) = ed.buf.cursor();
    let n = ed.buf.lines().len();
    let line = ed.buf.lines()[row].clone();
    ed.buf.edit(|t| {
        t.cancel_selection();
        if row + 1 < n {
            t.move_cursor(CursorMove::Head);
            t.start_selection();
            t.move_cursor(CursorMove::Down);
            t.move_cursor(CursorMove::Head);
        } else if row > 0 {
            t.move_cursor(CursorMove::Up);
            t.move_cursor(CursorMove::End);
            t.start_selection();
            t.move_cursor(CursorMove::Down);
            t.move_cursor(CursorMove::End);
        } else {
            t.move_cursor(CursorMove::Head);
            t.start_selection();
            t.move_cursor(CursorMove::End);
        }
        t.cut()
    });
    ed.buf.motion(CursorMove::Head);
    ed.buf.set_yank_text(format!("{line}\n"));
    ed.yank_lines = true;
}

/// `p`: whole lines go below the cursor's line; other text at the cursor (replacing a
/// selection).
fn paste(ed: &mut EditorState) {
    let lines = ed.yank_lines && ed.mode != Mode::Visual;
    if lines {
        let (row, _) = ed.buf.cursor();
        let n = ed.buf.lines().len();
        let text = ed.buf.yank_text();
        ed.buf.edit(|t| {
            if row + 1 < n {
                t.move_cursor(CursorMove::Down);
                t.move_cursor(CursorMove::Head);
                t.paste()
            } else {
                t.move_cursor(CursorMove::End);
                t.insert_newline();
                t.insert_str(text.strip_suffix('\n').unwrap_or(&text));
                true
            }
        });
        ed.buf.goto(row + 1, 0);
    } else {
        if ed.mode == Mode::Visual {
            visual_inclusive(ed);
        }
        ed.buf.edit(|t| t.paste());
    }
    ed.mode = Mode::Normal;
}
