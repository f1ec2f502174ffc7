//! Key bindings: the default keymap `config/keymap.toml` (compiled in), overridable by a user
//! file (`[ui] keymap`). Rows look like `{ on = ["j", "down"], run = "down", desc = "Move down" }`,
//! grouped by context (`[global]`, `[jobs]`, `[detail]`, `[logs]`, `[audit]`, `[help]`,
//! `[clusters]`, `[pods]`, `[builds]`, `[alerts]`, and the SQL editor's `[editor]`, `[versions]`, `[diff]`, `[problems]`,
//! `[debug]`), each context's rows in its `keymap` array.
//!
//! Only parsing happens here: the caller (`cli::ui_files`) reads the user's file and hands in its
//! text ([`Keymap::with_overrides`]).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::{describe, expected_list, key_path, ConfigError, Seg, TomlDoc};

const BUILTIN_KEYMAP: &str = include_str!("../../config/keymap.toml");

macro_rules! actions {
    ($($variant:ident => $name:literal, $desc:literal;)*) => {
        /// What a key does. Views decide what an action means for them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
    /// Where a movement key takes a selection at `cur` (`page` rows a page, `last` the bottom);
    /// `None` for an action that is not a movement.
    pub fn move_target(self, cur: usize, page: usize, last: usize) -> Option<usize> {
        match self {
            Action::Up => Some(cur.saturating_sub(1)),
            Action::Down => Some(cur + 1),
            Action::PageUp => Some(cur.saturating_sub(page)),
            Action::PageDown => Some(cur + page),
            Action::Top => Some(0),
            Action::Bottom => Some(last),
            _ => None,
        }
    }

            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name used in keymap files (`page_up`, `show_error`...).
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// A short default description.
            pub fn description(self) -> &'static str {
                match self {
                    $(Action::$variant => $desc,)*
                }
            }

            pub fn from_name(name: &str) -> Option<Action> {
                match name {
                    $($name => Some(Action::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

actions! {
    Up => "up", "Move up";
    Down => "down", "Move down";
    PageUp => "page_up", "Page up";
    PageDown => "page_down", "Page down";
    Top => "top", "Go to the top";
    Bottom => "bottom", "Go to the bottom";
    Left => "left", "Move left";
    Right => "right", "Move right";
    Open => "open", "Open";
    Back => "back", "Back";
    Quit => "quit", "Quit";
    Help => "help", "Show keys";
    Refresh => "refresh", "Refresh now";
    Filter => "filter", "Filter";
    ClearFilter => "clear_filter", "Clear filters";
    NextTab => "next_tab", "Next tab";
    PrevTab => "prev_tab", "Previous tab";
    SortNext => "sort_next", "Sort by next column";
    SortReverse => "sort_reverse", "Reverse sort";
    CycleClusterFilter => "cycle_cluster_filter", "Cycle cluster filter";
    CycleStateFilter => "cycle_state_filter", "Cycle state filter";
    Group => "group", "Group by cluster, team, app, none";
    View => "view", "Next named view ([ui.views])";
    Tag => "tag", "Tag the job (local tags)";
    ShowError => "show_error", "Show error";
    Follow => "follow", "Follow";
    Search => "search", "Search";
    SearchNext => "search_next", "Next match";
    SearchPrev => "search_prev", "Previous match";
    Wrap => "wrap", "Wrap lines";
    Start => "start", "Start (choose the restore point)";
    Stop => "stop", "Stop with a savepoint";
    Cancel => "cancel", "Cancel the job (no savepoint)";
    Savepoint => "savepoint", "Trigger a savepoint";
    Adopt => "adopt", "Adopt the job into a managed app";
    DismissActions => "dismiss_actions", "Dismiss finished actions";
    Audit => "audit", "Show the audit trail";
    Edit => "edit", "Edit the app's SQL";
    Insert => "insert", "Insert mode";
    Append => "append", "Insert after the cursor";
    OpenLine => "open_line", "Open a line below";
    WordForward => "word_forward", "Next word";
    WordBack => "word_back", "Previous word";
    LineStart => "line_start", "Start of the line";
    LineEnd => "line_end", "End of the line";
    DeleteChar => "delete_char", "Delete the character";
    DeleteLine => "delete_line", "Delete the line";
    Undo => "undo", "Undo";
    Redo => "redo", "Redo";
    Select => "select", "Select (visual mode)";
    Copy => "copy", "Copy the selection";
    Paste => "paste", "Paste";
    Command => "command", "Command line";
    Save => "save", "Save a new version";
    Versions => "versions", "Versions of the app";
    Diff => "diff", "Diff against the buffer";
    DiffMarked => "diff_marked", "Diff the two marked versions";
    DiffRunning => "diff_running", "Diff the buffer against the running version";
    Mark => "mark", "Mark for a diff";
    Validate => "validate", "Validate with Flink's planner";
    Problems => "problems", "Problems list";
    Submit => "submit", "Save and start";
    Debug => "debug", "Debug run on fake data";
    Clusters => "clusters", "Clusters view";
    PodLog => "pod_log", "Open the pod's log";
    PreviousLog => "previous_log", "Open the previous container's log";
    KillCluster => "kill_cluster", "Kill the cluster (a YARN application)";
    ActionLog => "action_log", "Show the latest action's log";
    Builds => "builds", "Builds view";
    Rebuild => "rebuild", "Rebuild the app's artifact (asks first)";
    Upgrade => "upgrade", "Upgrade the app: plan, then stop with savepoint, start, health check, rollback";
    CancelBuild => "cancel_build", "Cancel the running build (asks first)";
    Alerts => "alerts", "Show the alert incidents";
    Mute => "mute", "Mute the incident's reminders for 1 h";
    Acknowledge => "acknowledge", "Acknowledge the incident (no more reminders)";
}

impl Action {
    /// Whether the action changes a job or an app (disabled in read-only mode).
    pub fn is_mutating(self) -> bool {
        matches!(
            self,
            Action::Start
                | Action::Stop
                | Action::Cancel
                | Action::Savepoint
                | Action::Adopt
                | Action::Save
                | Action::Submit
                | Action::KillCluster
                | Action::Rebuild
                | Action::CancelBuild
                | Action::Upgrade
                | Action::Mute
                | Action::Acknowledge
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a binding applies. `Global` bindings apply in every context that does not bind the key
/// itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    Global,
    Jobs,
    Detail,
    Logs,
    Audit,
    Help,
    /// The SQL editor's text (normal and visual mode; in insert mode only keys that are not
    /// characters).
    Editor,
    /// The editor's versions list.
    Versions,
    /// A diff in the editor.
    Diff,
    /// The editor's problems list.
    Problems,
    /// The results panel of a debug run in the editor.
    Debug,
    /// The clusters view.
    Clusters,
    /// The pods tab of a job's detail.
    Pods,
    /// The Builds view.
    Builds,
    /// The Alerts view (incidents and one incident's detail).
    Alerts,
}

impl KeyContext {
    pub const ALL: [KeyContext; 15] = [
        KeyContext::Global,
        KeyContext::Jobs,
        KeyContext::Detail,
        KeyContext::Logs,
        KeyContext::Audit,
        KeyContext::Help,
        KeyContext::Editor,
        KeyContext::Versions,
        KeyContext::Diff,
        KeyContext::Problems,
        KeyContext::Debug,
        KeyContext::Clusters,
        KeyContext::Pods,
        KeyContext::Builds,
        KeyContext::Alerts,
    ];

    /// The table name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::Jobs => "jobs",
            KeyContext::Detail => "detail",
            KeyContext::Logs => "logs",
            KeyContext::Audit => "audit",
            KeyContext::Help => "help",
            KeyContext::Editor => "editor",
            KeyContext::Versions => "versions",
            KeyContext::Diff => "diff",
            KeyContext::Problems => "problems",
            KeyContext::Debug => "debug",
            KeyContext::Clusters => "clusters",
            KeyContext::Pods => "pods",
            KeyContext::Builds => "builds",
            KeyContext::Alerts => "alerts",
        }
    }

    pub fn from_name(name: &str) -> Option<KeyContext> {
        KeyContext::ALL.into_iter().find(|c| c.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One key: a code and its modifiers (CONTROL, ALT, SHIFT only). Characters carry their shift
/// themselves: `G` is `Char('G')` without SHIFT, `?` is `Char('?')`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("page_up", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("page_down", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("space", KeyCode::Char(' ')),
];

impl KeySpec {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> Self {
        KeySpec { code, modifiers }.normalized()
    }

    /// Parses `j`, `G`, `?`, `enter`, `shift-tab`, `ctrl-c`, `f1`... (names are
    /// case-insensitive; a single character is taken as is).
    pub fn parse(text: &str) -> Result<KeySpec, String> {
        let invalid = |why: &str| format!("invalid key {text:?}: {why}");
        let mut rest = text;
        let mut modifiers = KeyModifiers::NONE;
        loop {
            if rest.chars().count() <= 1 {
                break;
            }
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            modifiers |= m;
            rest = &rest[len..];
        }
        if rest.is_empty() {
            return Err(invalid("no key after the modifier"));
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if c.is_control() {
                    return Err(invalid("control characters are not keys"));
                }
                KeyCode::Char(c)
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, code)) = NAMED_KEYS.iter().find(|(n, _)| *n == lower) {
                    *code
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=24).contains(n))
                {
                    KeyCode::F(n)
                } else {
                    return Err(invalid(
                        "expected a single character or one of enter, esc, tab, shift-tab, \
                         backspace, delete, insert, up, down, left, right, pageup, pagedown, \
                         home, end, space, f1..f24, with optional ctrl-/alt-/shift- prefixes",
                    ));
                }
            }
        };
        if modifiers.contains(KeyModifiers::SHIFT) {
            if let KeyCode::Char(c) = code {
                if !c.is_ascii_alphabetic() {
                    return Err(invalid(
                        "write the shifted character itself (e.g. \"?\" rather than \"shift-/\")",
                    ));
                }
            }
        }
        Ok(KeySpec { code, modifiers }.normalized())
    }

    /// The canonical form: SHIFT folded into characters and BackTab, ctrl-letters lowercase,
    /// only CONTROL/ALT/SHIFT kept.
    fn normalized(self) -> KeySpec {
        let mut modifiers =
            self.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let mut code = self.code;
        match code {
            KeyCode::Char(c) => {
                if modifiers.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    code = KeyCode::Char(c.to_ascii_uppercase());
                }
                modifiers.remove(KeyModifiers::SHIFT);
                if modifiers.contains(KeyModifiers::CONTROL) && c.is_ascii_uppercase() {
                    code = KeyCode::Char(c.to_ascii_lowercase());
                }
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            _ => {}
        }
        KeySpec { code, modifiers }
    }

    /// The key of a terminal event, normalized like parsed keys (`None` for key releases).
    pub fn from_event(event: &KeyEvent) -> Option<KeySpec> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        Some(KeySpec::new(event.code, event.modifiers))
    }
}

impl FromStr for KeySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeySpec::parse(s)
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::PageUp => f.write_str("pageup"),
            KeyCode::PageDown => f.write_str("pagedown"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{}", format!("{other:?}").to_ascii_lowercase()),
        }
    }
}

/// Keys bound to one action, with the text the help screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<KeySpec>,
    pub action: Action,
    pub desc: String,
}

/// All bindings, per context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    contexts: [Vec<Binding>; KeyContext::ALL.len()],
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::builtin()
    }
}

/// One row of a keymap file: its keys and what they do (`None` unbinds).
struct Row {
    keys: Vec<KeySpec>,
    action: Option<Action>,
    desc: Option<String>,
}

impl Keymap {
    fn empty() -> Keymap {
        Keymap {
            contexts: Default::default(),
        }
    }

    /// The default keymap (`config/keymap.toml`, compiled in).
    pub fn builtin() -> Keymap {
        let mut km = Keymap::empty();
        let path = PathBuf::from("<built-in>/config/keymap.toml");
        // The built-in file is part of the binary and a test asserts that it parses; should it
        // ever fail, the keymap keeps only the emergency exits rather than panicking.
        match TomlDoc::parse(BUILTIN_KEYMAP, Some(&path)).and_then(|doc| parse_rows(&doc)) {
            Ok(rows) => {
                for (ctx, row) in rows {
                    km.apply(ctx, row);
                }
            }
            Err(_) => {
                km.contexts[KeyContext::Global.index()] = vec![Binding {
                    keys: vec![
                        KeySpec::new(KeyCode::Char('q'), KeyModifiers::NONE),
                        KeySpec::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                    ],
                    action: Action::Quit,
                    desc: Action::Quit.description().to_string(),
                }];
            }
        }
        km
    }

    /// Applies the rows of a keymap file's `text` (read from `path`) on top of `self`.
    pub fn with_overrides(mut self, text: &str, path: &Path) -> Result<Keymap, ConfigError> {
        let doc = TomlDoc::parse(text, Some(path))?;
        for (ctx, row) in parse_rows(&doc)? {
            self.apply(ctx, row);
        }
        Ok(self)
    }

    /// Binds a row's keys in `ctx`, replacing what they were bound to there.
    fn apply(&mut self, ctx: KeyContext, row: Row) {
        let list = &mut self.contexts[ctx.index()];
        for b in list.iter_mut() {
            b.keys.retain(|k| !row.keys.contains(k));
        }
        list.retain(|b| !b.keys.is_empty());
        if let Some(action) = row.action {
            let mut keys: Vec<KeySpec> = Vec::with_capacity(row.keys.len());
            for k in row.keys {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            list.push(Binding {
                keys,
                action,
                desc: row.desc.unwrap_or_else(|| action.description().to_string()),
            });
        }
    }

    fn lookup(&self, ctx: KeyContext, key: &KeySpec) -> Option<Action> {
        let find = |c: KeyContext| {
            self.contexts[c.index()]
                .iter()
                .find(|b| b.keys.contains(key))
                .map(|b| b.action)
        };
        find(ctx).or_else(|| {
            if ctx == KeyContext::Global {
                None
            } else {
                find(KeyContext::Global)
            }
        })
    }

    /// The action of a key event in `ctx`: the context's own bindings first, then `Global`.
    /// Tolerant of SHIFT reported with characters (`G`, `?`) and of Shift+Tab as BackTab.
    pub fn action(&self, ctx: KeyContext, key: &KeyEvent) -> Option<Action> {
        let spec = KeySpec::from_event(key)?;
        self.lookup(ctx, &spec)
    }

    /// The bindings of `ctx` itself (not those of `Global`; ask for `KeyContext::Global` too),
    /// in file order, for the help screen.
    pub fn bindings(&self, ctx: KeyContext) -> Vec<&Binding> {
        self.contexts[ctx.index()].iter().collect()
    }

    /// The first key that triggers `action` in `ctx` (looking at `Global` too), e.g. `"j"` or
    /// `"enter"`, for the hint bar.
    pub fn hint(&self, ctx: KeyContext, action: Action) -> Option<String> {
        let mut searched = vec![ctx];
        if ctx != KeyContext::Global {
            searched.push(KeyContext::Global);
        }
        searched
            .into_iter()
            .flat_map(|c| self.contexts[c.index()].iter())
            .filter(|b| b.action == action)
            .flat_map(|b| b.keys.iter())
            .find(|k| self.lookup(ctx, k) == Some(action))
            .map(KeySpec::to_string)
    }
}

const ROW_KEYS: &[&str] = &["on", "run", "desc"];

/// Reads every row of a keymap document, in file order within each context.
fn parse_rows(doc: &TomlDoc<'_>) -> Result<Vec<(KeyContext, Row)>, ConfigError> {
    let mut out = Vec::new();
    let names: Vec<&str> = KeyContext::ALL.iter().map(|c| c.name()).collect();
    // Contexts in their fixed order (the document's table is sorted by key, not by position).
    let mut contexts: Vec<(KeyContext, &Spanned<DeValue<'_>>)> = Vec::new();
    for (key, value) in doc.root().iter() {
        let k = key.get_ref().as_ref();
        let Some(ctx) = KeyContext::from_name(k) else {
            return Err(doc.error_at(
                key.span(),
                key_path(&[Seg::key(k)]),
                format!("unknown context `{k}`; expected {}", expected_list(&names)),
            ));
        };
        contexts.push((ctx, value));
    }
    contexts.sort_by_key(|(c, _)| c.index());
    for (ctx, value) in contexts {
        let cpath = [Seg::key(ctx.name())];
        let DeValue::Table(table) = value.get_ref() else {
            return Err(type_error(doc, value, &cpath, "a table"));
        };
        for (key, v) in table.iter() {
            let k = key.get_ref().as_ref();
            if k != "keymap" {
                let mut p = cpath.to_vec();
                p.push(Seg::key(k));
                return Err(doc.error_at(
                    key.span(),
                    key_path(&p),
                    format!("unknown key `{k}`; expected keymap"),
                ));
            }
            let mut p = cpath.to_vec();
            p.push(Seg::key("keymap"));
            let DeValue::Array(rows) = v.get_ref() else {
                return Err(type_error(doc, v, &p, "an array of rows"));
            };
            for (i, row) in rows.iter().enumerate() {
                let mut rp = p.clone();
                rp.push(Seg::Index(i));
                out.push((ctx, parse_row(doc, row, &rp)?));
            }
        }
    }
    Ok(out)
}

fn type_error(
    doc: &TomlDoc<'_>,
    value: &Spanned<DeValue<'_>>,
    path: &[Seg],
    expected: &str,
) -> ConfigError {
    doc.error_at(
        value.span(),
        key_path(path),
        format!(
            "invalid type: {}, expected {expected}",
            describe(value.get_ref())
        ),
    )
}

fn parse_row(
    doc: &TomlDoc<'_>,
    value: &Spanned<DeValue<'_>>,
    path: &[Seg],
) -> Result<Row, ConfigError> {
    let DeValue::Table(row) = value.get_ref() else {
        return Err(type_error(
            doc,
            value,
            path,
            "a row like { on = [\"j\"], run = \"down\", desc = \"Move down\" }",
        ));
    };
    check_keys(doc, row, path)?;
    let sub = |k: &str| {
        let mut p = path.to_vec();
        p.push(Seg::key(k));
        p
    };

    let Some(on) = row.get("on") else {
        return Err(doc.error_at(value.span(), key_path(path), "missing required key `on`"));
    };
    let on_path = sub("on");
    let key_items: Vec<(&Spanned<DeValue<'_>>, Vec<Seg>)> = match on.get_ref() {
        DeValue::String(_) => vec![(on, on_path.clone())],
        DeValue::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let mut p = on_path.clone();
                p.push(Seg::Index(i));
                (item, p)
            })
            .collect(),
        DeValue::Array(_) => {
            return Err(doc.error_at(on.span(), key_path(&on_path), "`on` is empty"));
        }
        _ => return Err(type_error(doc, on, &on_path, "a key or an array of keys")),
    };
    let mut keys = Vec::with_capacity(key_items.len());
    for (item, p) in key_items {
        let DeValue::String(s) = item.get_ref() else {
            return Err(type_error(
                doc,
                item,
                &p,
                "a key such as \"j\" or \"ctrl-c\"",
            ));
        };
        keys.push(KeySpec::parse(s).map_err(|m| doc.error_at(item.span(), key_path(&p), m))?);
    }

    let Some(run) = row.get("run") else {
        return Err(doc.error_at(value.span(), key_path(path), "missing required key `run`"));
    };
    let run_path = sub("run");
    let DeValue::String(name) = run.get_ref() else {
        return Err(type_error(doc, run, &run_path, "an action name"));
    };
    let action = if name.as_ref() == "none" {
        None
    } else {
        Some(Action::from_name(name).ok_or_else(|| {
            let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            names.push("none");
            doc.error_at(
                run.span(),
                key_path(&run_path),
                format!(
                    "unknown action {name:?}; expected {}",
                    expected_list(&names)
                ),
            )
        })?)
    };

    let desc = match row.get("desc") {
        None => None,
        Some(d) => match d.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => return Err(type_error(doc, d, &sub("desc"), "a string")),
        },
    };
    Ok(Row { keys, action, desc })
}

fn check_keys(doc: &TomlDoc<'_>, row: &DeTable<'_>, path: &[Seg]) -> Result<(), ConfigError> {
    for (key, _) in row.iter() {
        let k = key.get_ref().as_ref();
        if !ROW_KEYS.contains(&k) {
            let mut p = path.to_vec();
            p.push(Seg::key(k));
            return Err(doc.error_at(
                key.span(),
                key_path(&p),
                format!("unknown key `{k}`; expected {}", expected_list(ROW_KEYS)),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn ch(c: char) -> KeyEvent {
        ev(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn builtin_keymap_parses() {
        let path = PathBuf::from("keymap.toml");
        let doc = TomlDoc::parse(BUILTIN_KEYMAP, Some(&path)).expect("parses");
        let rows = parse_rows(&doc).expect("rows parse");
        assert!(rows.len() > 30);
        let km = Keymap::builtin();
        assert_eq!(km.bindings(KeyContext::Global).len(), 7);
    }

    #[test]
    fn builtin_has_no_key_bound_twice_in_a_context() {
        let km = Keymap::builtin();
        for ctx in KeyContext::ALL {
            let mut seen = std::collections::HashSet::new();
            for b in km.bindings(ctx) {
                for k in &b.keys {
                    assert!(seen.insert(*k), "{k} bound twice in {ctx:?}");
                }
            }
        }
    }

    #[test]
    fn every_action_has_a_default_binding() {
        let km = Keymap::builtin();
        for a in Action::ALL {
            let bound = KeyContext::ALL
                .iter()
                .any(|c| km.bindings(*c).iter().any(|b| b.action == *a));
            assert!(bound, "{a} has no default binding");
        }
    }

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(*a));
        }
        assert_eq!(Action::PageUp.name(), "page_up");
        assert_eq!(Action::CycleClusterFilter.name(), "cycle_cluster_filter");
    }

    #[test]
    fn actions_for_keys() {
        let km = Keymap::builtin();
        assert_eq!(km.action(KeyContext::Jobs, &ch('j')), Some(Action::Down));
        assert_eq!(
            km.action(KeyContext::Jobs, &ev(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        // Global fallback.
        assert_eq!(km.action(KeyContext::Jobs, &ch('q')), Some(Action::Quit));
        assert_eq!(
            km.action(
                KeyContext::Jobs,
                &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        // Context first: q closes help rather than quitting.
        assert_eq!(km.action(KeyContext::Help, &ch('q')), Some(Action::Back));
        // SHIFT reported with the character.
        assert_eq!(
            km.action(
                KeyContext::Jobs,
                &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(
                KeyContext::Jobs,
                &ev(KeyCode::Char('g'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(
                KeyContext::Jobs,
                &ev(KeyCode::Char('?'), KeyModifiers::SHIFT)
            ),
            Some(Action::Help)
        );
        assert_eq!(
            km.action(
                KeyContext::Detail,
                &ev(KeyCode::BackTab, KeyModifiers::SHIFT)
            ),
            Some(Action::PrevTab)
        );
        assert_eq!(
            km.action(KeyContext::Logs, &ch('N')),
            Some(Action::SearchPrev)
        );
        assert_eq!(km.action(KeyContext::Jobs, &ch('Z')), None);
        let mut release = ch('j');
        release.kind = KeyEventKind::Release;
        assert_eq!(km.action(KeyContext::Jobs, &release), None);
    }

    #[test]
    fn hints() {
        let km = Keymap::builtin();
        assert_eq!(
            km.hint(KeyContext::Jobs, Action::Down).as_deref(),
            Some("j")
        );
        assert_eq!(
            km.hint(KeyContext::Jobs, Action::Open).as_deref(),
            Some("enter")
        );
        assert_eq!(
            km.hint(KeyContext::Jobs, Action::Quit).as_deref(),
            Some("q")
        );
        // In help, q closes the help: the quit hint is ctrl-c.
        assert_eq!(
            km.hint(KeyContext::Help, Action::Quit).as_deref(),
            Some("ctrl-c")
        );
        assert_eq!(km.hint(KeyContext::Jobs, Action::NextTab), None);
    }

    #[test]
    fn key_labels_round_trip() {
        for label in [
            "j",
            "G",
            "?",
            "/",
            "enter",
            "esc",
            "tab",
            "shift-tab",
            "up",
            "down",
            "left",
            "right",
            "pageup",
            "pagedown",
            "home",
            "end",
            "ctrl-c",
            "ctrl-d",
            "ctrl-u",
            "space",
            "f1",
            "alt-x",
            "shift-up",
        ] {
            let k = KeySpec::parse(label).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(k.to_string(), label);
        }
        assert_eq!(
            KeySpec::parse("shift-tab").map(|k| k.code),
            Ok(KeyCode::BackTab)
        );
        assert_eq!(
            KeySpec::parse("Ctrl-C"),
            Ok(KeySpec::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
        );
        assert_eq!(
            KeySpec::parse("shift-g").map(|k| k.to_string()),
            Ok("G".into())
        );
        assert_eq!(KeySpec::parse("-").map(|k| k.code), Ok(KeyCode::Char('-')));
        assert!(KeySpec::parse("ctrl-").is_err());
        assert!(KeySpec::parse("hyper").is_err());
        assert!(KeySpec::parse("shift-/").is_err());
    }

    #[test]
    fn overrides_replace_only_their_keys() {
        let text = r#"
[jobs]
keymap = [
    { on = ["j"], run = "bottom", desc = "Jump" },
    { on = "J", run = "down" },
    { on = ["x"], run = "none" },
]
"#;
        let km = Keymap::builtin()
            .with_overrides(text, Path::new("/u/keys.toml"))
            .expect("valid");
        assert_eq!(km.action(KeyContext::Jobs, &ch('j')), Some(Action::Bottom));
        assert_eq!(km.action(KeyContext::Jobs, &ch('J')), Some(Action::Down));
        // `down` keeps its other key.
        assert_eq!(
            km.action(KeyContext::Jobs, &ev(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(km.action(KeyContext::Jobs, &ch('x')), None);
        // Other contexts are untouched.
        assert_eq!(km.action(KeyContext::Detail, &ch('j')), Some(Action::Down));
        let jump = km
            .bindings(KeyContext::Jobs)
            .into_iter()
            .find(|b| b.desc == "Jump")
            .expect("row added");
        assert_eq!(jump.action, Action::Bottom);
    }

    #[test]
    fn bad_keymaps_have_positions() {
        let p = Path::new("/u/keys.toml");
        let e = Keymap::builtin()
            .with_overrides(
                "[jobs]\nkeymap = [\n  { on = [\"j\"], run = \"jump\" },\n]\n",
                p,
            )
            .expect_err("unknown action");
        assert_eq!(e.path.as_deref(), Some(p));
        assert_eq!((e.line, e.column), (Some(3), Some(23)));
        assert_eq!(e.key.as_deref(), Some("jobs.keymap[0].run"));
        assert!(
            e.message
                .starts_with("unknown action \"jump\"; expected one of up, down"),
            "{e}"
        );

        let e = Keymap::builtin()
            .with_overrides(
                "[logs]\nkeymap = [{ on = [\"f\", \"ctrl-\"], run = \"follow\" }]\n",
                p,
            )
            .expect_err("bad key");
        assert_eq!((e.line, e.column), (Some(2), Some(24)));
        assert_eq!(e.key.as_deref(), Some("logs.keymap[0].on[1]"));

        let e = Keymap::builtin()
            .with_overrides("[view]\nkeymap = []\n", p)
            .expect_err("bad context");
        assert_eq!((e.line, e.column), (Some(1), Some(2)));
        assert!(
            e.message
                .contains("expected one of global, jobs, detail, logs, audit, help, editor,"),
            "{e}"
        );

        let e = Keymap::builtin()
            .with_overrides(
                "[jobs]\nkeymap = [{ on = \"j\", run = \"down\", help = \"x\" }]\n",
                p,
            )
            .expect_err("bad row key");
        assert_eq!(e.key.as_deref(), Some("jobs.keymap[0].help"));
    }
}
