//! The in-terminal Flink SQL editor: a tui-textarea buffer driven by our keymap (vim-like normal,
//! insert and visual modes), drawn by our own renderer with Flink SQL highlighting, problem
//! markers and search matches; versions of the app (list, diffs, restore), saving a version,
//! validation, debug runs on fake data and submit.
//!
//! Everything here is pure: loads, saves and validations go to the workers as requests.

mod buffer;
mod debug;
mod diff;
pub(crate) mod highlight;
mod keys;

use std::cell::Cell;

use crate::domain::{AppVersion, Run, SqlProblem};

pub(crate) use buffer::{byte_of, Buffer};
pub(crate) use debug::{DebugRun, DebugSink, DebugStatus};
pub(crate) use diff::{DiffKind, DiffView};

use super::detail::Load;

/// What the editor opens on: a managed SQL app (its current version), or an empty scratch buffer
/// that is not saved anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorTarget {
    App(String),
    Scratch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Normal,
    Insert,
    /// A selection runs from where `v` was pressed to the cursor.
    Visual,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Normal => "NORMAL",
            Mode::Insert => "INSERT",
            Mode::Visual => "VISUAL",
        }
    }
}

/// A one-line input at the bottom of the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PromptKind {
    /// `:` commands: `:123`, `:w`, `:q`, `:submit`, `:diff`...
    Command,
    /// `/` search.
    Search,
    /// The message of the version being saved.
    SaveMessage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prompt {
    pub kind: PromptKind,
    pub input: String,
}

/// What the editor's body shows (and where keys go).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pane {
    Text,
    Versions,
    Diff,
    /// The problems list has the focus (it is shown below the text).
    Problems,
    /// The debug run's panel has the focus (it takes the lower half of the body).
    Debug,
}

/// The app's versions (newest first) and its latest run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct History {
    pub versions: Vec<AppVersion>,
    pub latest_run: Option<Run>,
}

impl History {
    pub fn version(&self, v: u32) -> Option<&AppVersion> {
        self.versions.iter().find(|x| x.version == v)
    }

    /// The version the latest run runs (or ran), and whether it still runs.
    pub fn running(&self) -> Option<(u32, bool)> {
        self.latest_run
            .as_ref()
            .map(|r| (r.version, r.ended_at.is_none()))
    }
}

/// The versions list: selection, marks (at most two, for a diff between them).
#[derive(Debug, Clone, Default)]
pub(crate) struct VersionsList {
    pub selected: usize,
    pub marked: Vec<u32>,
    pub offset: Cell<usize>,
}

/// What to do once the version being saved is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterSave {
    Nothing,
    Submit,
    Close,
}

/// A save in flight: the text sent (it becomes the saved text once stored).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PendingSave {
    pub request: u64,
    pub text: String,
    pub then: AfterSave,
}

/// The last validation: its problems and time, and the buffer generation it checked. A debug
/// run's problems come as one too (`debug_request` set, no time).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Validation {
    pub problems: Vec<SqlProblem>,
    pub elapsed_ms: u64,
    pub generation: u64,
    pub debug_request: Option<u64>,
}

/// The editor's state (one editor at a time).
pub(crate) struct EditorState {
    pub target: EditorTarget,
    pub buf: Buffer,
    pub mode: Mode,
    pub prompt: Option<Prompt>,
    /// After a save message prompt: what to do once saved.
    pub prompt_then: AfterSave,
    /// The first key of a doubled command (`dd`, `gg`).
    pub pending: Option<char>,
    /// Whether the last `y`/`dd` copied whole lines (`p` then pastes below the cursor line).
    pub yank_lines: bool,
    /// The version the buffer is based on (loaded or last saved); `None` for a scratch buffer
    /// and until the app is loaded.
    pub version: Option<u32>,
    pub cluster: Option<String>,
    pub history: Load<History>,
    pub pane: Pane,
    pub list: VersionsList,
    pub diff: Option<DiffView>,
    pub validation: Load<Validation>,
    /// The buffer generation the validation in flight checks.
    pub validating_generation: u64,
    /// Validate was asked for while a validation was in flight: once it answers, the buffer is
    /// validated again (any number of asks make one more validation; the latest text wins).
    pub validate_queued: bool,
    pub show_problems: bool,
    /// Where `back` from the problems list goes.
    pub problems_back: Pane,
    pub problem_sel: usize,
    pub problems_offset: Cell<usize>,
    pub save: Option<PendingSave>,
    /// The debug run whose panel is open (events of other runs are dropped).
    pub debug: Option<DebugRun>,
    /// Ctrl-C with unsaved changes warned once; the next Ctrl-C quits.
    pub quit_armed: bool,
    /// First visible line and column (kept by `draw` so the cursor stays visible).
    pub top: Cell<usize>,
    pub left: Cell<usize>,
}

impl EditorState {
    pub fn new(target: EditorTarget, text: &str) -> EditorState {
        EditorState {
            target,
            buf: Buffer::new(text),
            mode: Mode::Normal,
            prompt: None,
            prompt_then: AfterSave::Nothing,
            pending: None,
            yank_lines: false,
            version: None,
            cluster: None,
            history: Load::default(),
            pane: Pane::Text,
            list: VersionsList::default(),
            diff: None,
            validation: Load::default(),
            validating_generation: 0,
            validate_queued: false,
            show_problems: false,
            problems_back: Pane::Text,
            problem_sel: 0,
            problems_offset: Cell::new(0),
            save: None,
            debug: None,
            quit_armed: false,
            top: Cell::new(0),
            left: Cell::new(0),
        }
    }

    /// The app's name (`None` for a scratch buffer).
    pub fn app(&self) -> Option<&str> {
        match &self.target {
            EditorTarget::App(a) => Some(a),
            EditorTarget::Scratch => None,
        }
    }

    /// `orders-agg` or `scratch`.
    pub fn name(&self) -> &str {
        self.app().unwrap_or("scratch")
    }

    /// Whether the buffer holds the app's script (always for a scratch buffer).
    pub fn ready(&self) -> bool {
        self.app().is_none() || self.version.is_some()
    }

    /// The problems of the last validation.
    pub fn problems(&self) -> &[SqlProblem] {
        self.validation
            .data
            .as_ref()
            .map(|v| v.problems.as_slice())
            .unwrap_or(&[])
    }

    /// Where `back` from the problems list goes (the debug panel only while it is open).
    pub fn problems_return(&self) -> Pane {
        match self.problems_back {
            Pane::Debug if self.debug.is_none() => Pane::Text,
            p => p,
        }
    }

    /// Whether the problems pane is on screen.
    pub fn problems_shown(&self) -> bool {
        self.show_problems && !self.problems().is_empty()
    }

    /// The text of a version's script (empty when it has none).
    pub fn version_text(&self, v: u32) -> Option<String> {
        self.history
            .data
            .as_ref()
            .and_then(|h| h.version(v))
            .map(|v| v.spec.sql.clone().unwrap_or_default())
    }
}
