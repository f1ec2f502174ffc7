//! The command palette (`:`, like k9s): one input line with completion over commands (the
//! console's actions and views), cluster names, and app and job names. The completion and the
//! parsing are pure functions; running a command reuses the key actions' handlers, so
//! confirmations, state checks and read-only rules are exactly those of the keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::actions::FlashLevel;
use super::app::{App, Effect, Overlay};
use super::detail::Tab;
use super::jobs::RowSource;
use super::keymap::{Action, KeyContext};

/// What a command takes after its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    None,
    /// A cluster name (none: every cluster).
    Cluster,
    /// An app or job name or a job id (none: the selected row).
    Target,
}

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    /// What the key of this action does in the jobs list (on the named row, if any).
    Key(Action),
    /// Back to the jobs list.
    Jobs,
    /// Opens the job's detail on this tab.
    Tab(Tab),
    /// Filters the jobs list to one cluster.
    Cluster,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Command {
    pub name: &'static str,
    pub arg: Arg,
    pub run: Run,
    pub desc: &'static str,
}

const fn cmd(name: &'static str, arg: Arg, run: Run, desc: &'static str) -> Command {
    Command {
        name,
        arg,
        run,
        desc,
    }
}

/// Every command, in the order the candidates list shows them.
pub(crate) const COMMANDS: &[Command] = &[
    cmd("jobs", Arg::None, Run::Jobs, "the jobs list"),
    cmd(
        "cluster",
        Arg::Cluster,
        Run::Cluster,
        "show one cluster's jobs",
    ),
    cmd(
        "clusters",
        Arg::None,
        Run::Key(Action::Clusters),
        "the clusters view",
    ),
    cmd("logs", Arg::Target, Run::Tab(Tab::Logs), "the job's logs"),
    cmd(
        "checkpoints",
        Arg::Target,
        Run::Tab(Tab::Checkpoints),
        "the job's checkpoints and savepoints",
    ),
    cmd(
        "exceptions",
        Arg::Target,
        Run::Tab(Tab::Exceptions),
        "the job's exceptions",
    ),
    cmd(
        "overview",
        Arg::Target,
        Run::Tab(Tab::Overview),
        "the job's overview",
    ),
    cmd(
        "start",
        Arg::Target,
        Run::Key(Action::Start),
        "start the app (choose the restore point)",
    ),
    cmd(
        "stop",
        Arg::Target,
        Run::Key(Action::Stop),
        "stop with a savepoint (asks first)",
    ),
    cmd(
        "cancel",
        Arg::Target,
        Run::Key(Action::Cancel),
        "cancel the job, no savepoint (asks first)",
    ),
    cmd(
        "savepoint",
        Arg::Target,
        Run::Key(Action::Savepoint),
        "trigger a savepoint",
    ),
    cmd(
        "adopt",
        Arg::Target,
        Run::Key(Action::Adopt),
        "adopt the job into a managed app",
    ),
    cmd(
        "edit",
        Arg::Target,
        Run::Key(Action::Edit),
        "edit the app's SQL",
    ),
    cmd(
        "rebuild",
        Arg::Target,
        Run::Key(Action::Rebuild),
        "rebuild the app's artifact (asks first)",
    ),
    cmd(
        "upgrade",
        Arg::Target,
        Run::Key(Action::Upgrade),
        "upgrade the app (plan shown, asks first)",
    ),
    cmd(
        "builds",
        Arg::Target,
        Run::Key(Action::Builds),
        "the Builds view",
    ),
    cmd(
        "alerts",
        Arg::None,
        Run::Key(Action::Alerts),
        "the alert incidents",
    ),
    cmd(
        "audit",
        Arg::None,
        Run::Key(Action::Audit),
        "the audit trail",
    ),
    cmd(
        "actions",
        Arg::None,
        Run::Key(Action::ActionLog),
        "the latest action's log",
    ),
    cmd(
        "refresh",
        Arg::None,
        Run::Key(Action::Refresh),
        "refresh now",
    ),
    cmd("help", Arg::None, Run::Key(Action::Help), "the keys"),
    cmd("quit", Arg::None, Run::Key(Action::Quit), "quit flinkdeck"),
];

/// The command named `name` (exactly).
pub(crate) fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// The names an argument can complete to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Names {
    pub clusters: Vec<String>,
    /// App names, then job names (sorted, without duplicates).
    pub targets: Vec<String>,
}

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub text: String,
    pub desc: &'static str,
}

/// The candidates for the word being typed, and where that word starts in the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Completion {
    pub word_start: usize,
    pub candidates: Vec<Candidate>,
}

/// Names starting with `prefix` first, then names containing it (case-insensitive).
fn matching(names: &[String], prefix: &str, desc: &'static str) -> Vec<Candidate> {
    let p = prefix.to_lowercase();
    let (mut first, mut then) = (Vec::new(), Vec::new());
    for n in names {
        let l = n.to_lowercase();
        if l.starts_with(&p) {
            first.push(n);
        } else if l.contains(&p) {
            then.push(n);
        }
    }
    first
        .into_iter()
        .chain(then)
        .map(|n| Candidate {
            text: n.clone(),
            desc,
        })
        .collect()
}

/// What the input can complete to: command names while the first word is typed, then the
/// command's argument (cluster names, or app and job names).
pub(crate) fn complete(input: &str, names: &Names) -> Completion {
    let Some(space) = input.find(char::is_whitespace) else {
        let p = input.to_lowercase();
        return Completion {
            word_start: 0,
            candidates: COMMANDS
                .iter()
                .filter(|c| c.name.starts_with(&p))
                .map(|c| Candidate {
                    text: c.name.to_string(),
                    desc: c.desc,
                })
                .collect(),
        };
    };
    let rest = &input[space..];
    let word_start = space + (rest.len() - rest.trim_start().len());
    let arg = &input[word_start..];
    let candidates = match command(&input[..space]).map(|c| c.arg) {
        Some(Arg::Cluster) => matching(&names.clusters, arg, "cluster"),
        Some(Arg::Target) => matching(&names.targets, arg, "app or job"),
        Some(Arg::None) | None => Vec::new(),
    };
    Completion {
        word_start,
        candidates,
    }
}

/// The input with the word being typed replaced by `candidate` (a command that takes an
/// argument gets a space after it).
pub(crate) fn accept(input: &str, completion: &Completion, candidate: &Candidate) -> String {
    let mut out = input[..completion.word_start.min(input.len())].to_string();
    out.push_str(&candidate.text);
    if completion.word_start == 0 && command(&candidate.text).is_some_and(|c| c.arg != Arg::None) {
        out.push(' ');
    }
    out
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub command: &'static Command,
    pub arg: Option<String>,
}

/// Parses `input`; the error names what is wrong. `Ok(None)` for an empty line.
pub(crate) fn parse(input: &str, names: &Names) -> Result<Option<Parsed>, String> {
    let mut words = input.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(None);
    };
    let Some(command) = command(name) else {
        return Err(format!(
            "unknown command \"{name}\" (Tab lists the commands)"
        ));
    };
    let arg: Vec<&str> = words.collect();
    let arg = (!arg.is_empty()).then(|| arg.join(" "));
    match (command.arg, &arg) {
        (Arg::None, Some(a)) => Err(format!("{name} takes no argument (got \"{a}\")")),
        (Arg::Cluster, Some(c)) if !names.clusters.contains(c) => Err(format!(
            "unknown cluster \"{c}\" (clusters: {})",
            names.clusters.join(", ")
        )),
        _ => Ok(Some(Parsed { command, arg })),
    }
}

/// The open palette.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PaletteState {
    pub input: String,
    /// The highlighted candidate.
    pub selected: usize,
}

impl App {
    /// The names the palette completes: the clusters, the managed apps and the listed jobs.
    pub(crate) fn palette_names(&self) -> Names {
        let clusters = self.clusters.iter().map(|c| c.name().to_string()).collect();
        let mut apps: Vec<String> = self.managed.apps.iter().map(|a| a.name.clone()).collect();
        apps.sort();
        apps.dedup();
        let mut jobs: Vec<String> = self
            .clusters
            .iter()
            .flat_map(|c| c.jobs.iter().map(|j| j.name.clone()))
            .filter(|n| !apps.contains(n))
            .collect();
        jobs.sort();
        jobs.dedup();
        apps.extend(jobs);
        Names {
            clusters,
            targets: apps,
        }
    }

    /// The candidates of the open palette.
    pub(crate) fn palette_completion(&self) -> Completion {
        match &self.palette {
            Some(p) => complete(&p.input, &self.palette_names()),
            None => Completion::default(),
        }
    }

    pub(super) fn open_palette(&mut self) {
        self.palette = Some(PaletteState::default());
    }

    pub(super) fn on_palette_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let completion = self.palette_completion();
        let Some(p) = self.palette.as_mut() else {
            return;
        };
        let n = completion.candidates.len();
        match key.code {
            KeyCode::Esc => self.palette = None,
            KeyCode::Enter => {
                let input = std::mem::take(&mut p.input);
                self.palette = None;
                self.run_palette(&input, fx);
            }
            KeyCode::Tab => {
                if let Some(c) = completion
                    .candidates
                    .get(p.selected.min(n.saturating_sub(1)))
                {
                    p.input = accept(&p.input, &completion, c);
                    p.selected = 0;
                }
            }
            KeyCode::Up | KeyCode::BackTab if n > 0 => p.selected = (p.selected + n - 1) % n,
            KeyCode::Down if n > 0 => p.selected = (p.selected + 1) % n,
            KeyCode::Backspace => {
                if p.input.pop().is_none() {
                    self.palette = None;
                } else {
                    p.selected = 0;
                }
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                p.input.clear();
                p.selected = 0;
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                p.input.push(c);
                p.selected = 0;
            }
            _ => {}
        }
    }

    /// Pasted text goes into the open palette's line (without control characters).
    pub(super) fn paste_into_palette(&mut self, text: &str) -> bool {
        match self.palette.as_mut() {
            Some(p) => {
                p.input.extend(text.chars().filter(|c| !c.is_control()));
                true
            }
            None => false,
        }
    }

    /// Runs a command line: an error (unknown command, cluster, app or job) is flashed.
    pub(crate) fn run_palette(&mut self, input: &str, fx: &mut Vec<Effect>) {
        let parsed = match parse(input, &self.palette_names()) {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => {
                self.flash(FlashLevel::Warning, e);
                return;
            }
        };
        let cmd = parsed.command;
        match cmd.run {
            Run::Key(Action::Quit) => fx.push(Effect::Quit),
            Run::Key(Action::Help) => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Run::Key(Action::Refresh) => {
                fx.push(Effect::Worker(crate::domain::WorkerRequest::RefreshAll))
            }
            Run::Key(Action::ActionLog) => self.open_action_log(),
            // Stop, cancel and savepoint of the job the detail shows, as its keys do.
            Run::Key(a @ (Action::Stop | Action::Cancel | Action::Savepoint))
                if parsed.arg.is_none() && self.detail.is_some() =>
            {
                let subject = self.detail_subject();
                self.on_action_key(a, subject, KeyContext::Detail, fx);
            }
            Run::Jobs => self.close_views(),
            Run::Cluster => {
                self.close_views();
                self.jobs.clear_filters();
                self.jobs.cluster_filter = parsed.arg;
                self.rebuild_jobs();
            }
            Run::Key(action) => {
                if self.palette_select(cmd, parsed.arg.as_deref()) {
                    self.jobs_action(action, fx);
                }
            }
            Run::Tab(tab) => {
                if !self.palette_select(cmd, parsed.arg.as_deref()) {
                    return;
                }
                let key = match (&self.detail, self.jobs.selected_job(&self.clusters)) {
                    (Some(d), _) => Some(d.key.clone()),
                    (None, Some(j)) => Some(j.key()),
                    (None, None) => None,
                };
                let Some(key) = key else {
                    self.flash(
                        FlashLevel::Info,
                        "no job selected: :logs NAME opens a job's logs",
                    );
                    return;
                };
                if self.detail.as_ref().is_none_or(|d| d.key != key) {
                    self.open_detail(key, fx);
                }
                if let Some(d) = self.detail.as_mut() {
                    d.tab = tab;
                }
                self.reload_due(fx);
            }
        }
    }

    /// Shows the jobs list (closes the other views).
    fn close_views(&mut self) {
        self.detail = None;
        self.clusters_view = None;
        self.audit = None;
        self.alerts = None;
        self.builds = None;
    }

    /// Before a command on `target` (an app or job name, or a job id): the jobs list, without
    /// filters, with that row selected. Without a target the views stay (a tab command uses
    /// the open job) unless the command acts on the jobs list. `false` (and a message) when no
    /// row matches.
    fn palette_select(&mut self, cmd: &Command, target: Option<&str>) -> bool {
        let Some(target) = target else {
            if !matches!(cmd.run, Run::Tab(_)) {
                self.close_views();
            }
            return true;
        };
        self.close_views();
        if self.jobs.filters_active() {
            self.jobs.clear_filters();
            self.rebuild_jobs();
        }
        match self.row_of(target) {
            Some(idx) => {
                self.jobs.select_at(idx, &self.clusters);
                true
            }
            None => {
                self.flash(
                    FlashLevel::Warning,
                    format!("no app or job named \"{target}\""),
                );
                false
            }
        }
    }

    /// The row of app `target` (its current job's row when listed), else of the job with that
    /// name (a running one first) or id.
    fn row_of(&self, target: &str) -> Option<usize> {
        let rows = &self.jobs.rows;
        let summary = |i: usize| self.jobs.summary(&self.clusters, &rows[i]);
        let app_job = self.managed.app(target).and_then(|a| a.job_id.clone());
        let by_app = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.app.as_deref() == Some(target))
            .map(|(i, _)| i)
            .min_by_key(|&i| {
                let s = summary(i);
                match (&app_job, rows[i].source) {
                    (Some(id), RowSource::Job(..)) if *id == s.id => 0,
                    (_, RowSource::App(_)) => 1,
                    _ => 2,
                }
            });
        by_app.or_else(|| {
            (0..rows.len())
                .filter(|&i| {
                    let s = summary(i);
                    s.name == target || s.id == target
                })
                .min_by_key(|&i| if summary(i).state.is_terminal() { 1 } else { 0 })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            clusters: vec!["k8s-prod/streaming/orders".into(), "local".into()],
            targets: vec![
                "orders-agg".into(),
                "orders-enrich".into(),
                "wordcount".into(),
            ],
        }
    }

    fn texts(c: &Completion) -> Vec<&str> {
        c.candidates.iter().map(|c| c.text.as_str()).collect()
    }

    #[test]
    fn commands_complete_by_prefix() {
        let c = complete("sto", &names());
        assert_eq!(texts(&c), ["stop"]);
        assert_eq!(accept("sto", &c, &c.candidates[0]), "stop ");
        let c = complete("s", &names());
        assert_eq!(texts(&c), ["start", "stop", "savepoint"]);
        let c = complete("q", &names());
        assert_eq!(
            accept("q", &c, &c.candidates[0]),
            "quit",
            "no space: takes no argument"
        );
        assert!(complete("zz", &names()).candidates.is_empty());
        assert_eq!(complete("", &names()).candidates.len(), COMMANDS.len());
    }

    #[test]
    fn arguments_complete_to_clusters_or_targets() {
        let c = complete("cluster k8s", &names());
        assert_eq!(c.word_start, 8);
        assert_eq!(texts(&c), ["k8s-prod/streaming/orders"]);
        assert_eq!(
            accept("cluster k8s", &c, &c.candidates[0]),
            "cluster k8s-prod/streaming/orders"
        );
        // Prefix matches first, then the names containing the text.
        let c = complete("stop  or", &names());
        assert_eq!(c.word_start, 6);
        assert_eq!(texts(&c), ["orders-agg", "orders-enrich", "wordcount"]);
        let c = complete("logs count", &names());
        assert_eq!(texts(&c), ["wordcount"]);
        let c = complete("stop ORD", &names());
        assert_eq!(
            texts(&c),
            ["orders-agg", "orders-enrich", "wordcount"],
            "case-insensitive"
        );
        assert!(complete("quit x", &names()).candidates.is_empty());
        assert!(complete("nope x", &names()).candidates.is_empty());
    }

    #[test]
    fn parse_names_what_is_wrong() {
        let p = parse("stop orders-agg", &names())
            .expect("ok")
            .expect("some");
        assert_eq!(p.command.run, Run::Key(Action::Stop));
        assert_eq!(p.arg.as_deref(), Some("orders-agg"));
        let p = parse("  logs ", &names()).expect("ok").expect("some");
        assert_eq!((p.command.run, p.arg), (Run::Tab(Tab::Logs), None));
        assert_eq!(parse("   ", &names()), Ok(None));
        let e = parse("frobnicate now", &names()).expect_err("unknown");
        assert!(e.contains("unknown command \"frobnicate\""), "{e}");
        let e = parse("quit now", &names()).expect_err("no arg");
        assert!(e.contains("quit takes no argument"), "{e}");
        let e = parse("cluster nowhere", &names()).expect_err("cluster");
        assert!(e.contains("unknown cluster \"nowhere\""), "{e}");
        let p = parse("cluster local", &names()).expect("ok").expect("some");
        assert_eq!(p.command.run, Run::Cluster);
    }

    #[test]
    fn every_command_name_is_unique_and_actions_are_real() {
        let mut seen = std::collections::HashSet::new();
        for c in COMMANDS {
            assert!(seen.insert(c.name), "duplicate {}", c.name);
            if let Run::Key(a) = c.run {
                assert_eq!(Action::from_name(a.name()), Some(a));
            }
        }
    }
}
