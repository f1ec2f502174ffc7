//! The command line: global flags, subcommands, and the dispatch to the TUI or a CLI command.
//!
//! Exit codes (a public contract): 0 every cluster answered / the action was done; 1 the command
//! or action failed; 2 usage or config error; 3 some cluster could not be reached (the others'
//! results are still printed); 4 the action was refused (duplicate guard, read-only).

pub mod actions;
pub mod alerts;
pub mod apps;
pub mod build;
pub mod checkpoints;
pub mod clusters;
pub mod drift;
pub mod filter_args;
pub mod jobs;
pub mod logs;
pub mod setup;
pub mod shell;
pub mod signals;
pub mod sql;
pub mod table;
pub mod theme_watch;
pub mod ui_files;
pub mod upgrade;
pub mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes of every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    Unreachable = 3,
    Refused = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "flinkdeck",
    version,
    about = "A terminal console for running Apache Flink: many clusters, live jobs, checkpoints, exceptions, logs",
    after_help = "With no command, opens the full-screen console.\nExit codes: 0 ok, 1 failed, 2 usage or config error, 3 some cluster unreachable, 4 refused (guard, read-only)."
)]
pub struct Cli {
    /// Config file (default: the platform config dir, e.g. ~/.config/flinkdeck/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory of the SQLite database and the log file (default: the platform data dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub data_dir: Option<PathBuf>,
    /// Refuse every mutating action (also `[ui] readonly = true`, or `readonly` on a cluster).
    #[arg(long, global = true)]
    pub readonly: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the configured clusters with their status and Flink version.
    Clusters {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the jobs of every cluster (or one), with state and last checkpoint.
    Jobs {
        /// Only this cluster.
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// Only jobs in this state (e.g. RUNNING, RESTARTING, FAILED) or `active`.
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        #[command(flatten)]
        select: filter_args::FilterArgs,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Show a job's checkpoints and savepoints: live statistics and the stored history.
    Checkpoints {
        /// The Flink job id.
        job_id: String,
        /// The cluster that runs the job (default: whichever cluster knows it).
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a JobManager or TaskManager log file (the tail of it), optionally following it.
    Logs(logs::LogsArgs),
    /// Create or update a managed application from a TOML definition.
    Apply {
        /// The app definition (see config/orders-agg.app.toml).
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: PathBuf,
        /// A note stored with the new version.
        #[arg(long, short = 'm', value_name = "TEXT")]
        message: Option<String>,
        /// With a [kubernetes] target: only show the diff of what would change.
        #[arg(long)]
        dry_run: bool,
        /// With a [kubernetes] target: take over fields other field managers own.
        #[arg(long)]
        force_conflicts: bool,
    },
    /// List the managed applications with their current job and state.
    Apps {
        #[command(flatten)]
        select: filter_args::FilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Show or delete one managed application.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Start an app: fresh or restored from a savepoint or checkpoint (default: the latest).
    Start {
        name: String,
        /// latest | none | savepoint:PATH | checkpoint:ID
        #[arg(long, value_name = "FROM", default_value = "latest")]
        from: String,
        /// Allow savepoint state that maps to no operator.
        #[arg(long)]
        allow_non_restored: bool,
        /// Wait until the job runs.
        #[arg(long)]
        wait: bool,
        /// Print what would run and run nothing: the Flink CLI command line (one argument per
        /// line, secrets masked) or, for a standalone cluster, the REST requests.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Stop an app (or a job id) with a savepoint; prints the savepoint path.
    Stop {
        /// An app name or a job id.
        name: String,
        /// Emit MAX_WATERMARK before stopping (end of event time).
        #[arg(long)]
        drain: bool,
        #[arg(long, value_name = "DIR")]
        savepoint_dir: Option<String>,
        /// Cancel instead (no savepoint).
        #[arg(long)]
        no_savepoint: bool,
        /// Wait until the job has ended.
        #[arg(long)]
        wait: bool,
        /// With a job id: the cluster that runs it.
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Trigger a savepoint of an app (or a job id).
    Savepoint {
        name: String,
        #[arg(long, value_name = "DIR")]
        dir: Option<String>,
        /// Wait for the savepoint and print its path.
        #[arg(long)]
        wait: bool,
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cancel an app's job (or a job id) without a savepoint.
    Cancel {
        name: String,
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Record a running job as the current run of an existing managed app.
    Adopt {
        job_id: String,
        app: String,
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
    },
    /// Build an app's jar from its `[build]` git repository and bind it as a new app version.
    Build {
        name: String,
        /// Branch, tag or commit to build (default: `[build] ref`).
        #[arg(long = "ref", value_name = "REF")]
        git_ref: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Running managed apps (or NAME) compared with their current definitions: artifact, SQL
    /// script, parallelism, options. Exit 0 no drift, 1 drift, 2 unknown app, 3 unreachable.
    Drift {
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The builds of an app, newest first: status, commit, artifact, duration, log.
    Builds {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Upgrade a running app: build (--rebuild), stop with savepoint, start the new version
    /// from it, watch a health window, roll back to the previous version when unhealthy.
    Upgrade {
        name: String,
        /// Build first (`[build]`); the version the build binds is the one to run.
        #[arg(long)]
        rebuild: bool,
        /// The stored app version to run (default: the app's current version).
        #[arg(long, value_name = "N", conflicts_with = "rebuild")]
        version: Option<u32>,
        /// The health window, e.g. 2m, 90s (default: the spec's upgrade_health, else 2m).
        #[arg(long, value_name = "DURATION")]
        health: Option<String>,
        /// Also wait until the job that runs at the end has all its tasks RUNNING.
        #[arg(long)]
        wait: bool,
        #[arg(long)]
        json: bool,
    },
    /// Runs, savepoints, checkpoints and operations of an app.
    History {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Check a Flink SQL script with Flink's planner, or run it on fake data. Without a
    /// subcommand: opens the console's SQL editor on a scratch buffer.
    Sql {
        #[command(subcommand)]
        command: Option<sql::SqlCommand>,
    },
    /// The audit trail of actions.
    Audit {
        #[arg(long, value_name = "NAME")]
        app: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Alert incidents (open ones first) with their deliveries; `alerts test CHANNEL` sends a
    /// test message; `alerts mute ID` / `alerts ack ID` quiet an incident's reminders.
    Alerts {
        #[command(subcommand)]
        command: Option<alerts::AlertsCommand>,
        /// Only open incidents.
        #[arg(long)]
        open: bool,
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (bash, zsh or fish), e.g.
    /// `flinkdeck completions bash > /etc/bash_completion.d/flinkdeck`.
    Completions {
        #[arg(value_enum)]
        shell: shell::Shell,
    },
    /// Print the man page (roff), e.g. `flinkdeck man | man -l -`.
    Man,
    /// For the completion scripts: print the configured cluster names or the managed app names
    /// starting with PREFIX, one a line (reads the config file and the local database, never
    /// the network; prints nothing on errors).
    #[command(hide = true)]
    Complete {
        #[arg(value_enum)]
        what: shell::Names,
        prefix: Option<String>,
    },
    /// Watch every cluster headless and alert ([alerts] rules and channels), restarting FAILED
    /// apps that have `[restart] on_failure = true`; one per data dir.
    Watch {
        /// Evaluate one round, deliver, and exit (cron-friendly).
        #[arg(long)]
        once: bool,
        /// With --once: print what the round did as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Act on a whole cluster (e.g. kill a YARN session cluster).
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
    /// Open the console in the SQL editor on a managed SQL app (its current version).
    Edit {
        /// The app's name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Kill a YARN application (e.g. a session cluster): every job on it ends without a
    /// savepoint. Asks for confirmation unless --yes; refused in read-only mode; audited.
    Kill {
        /// The cluster's full name, `<entry>/<application id>`.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// The current definition and its versions.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete an app (refused while it runs); its history is kept.
    Delete { name: String },
}

/// Parses the command line and runs it; returns the process exit code.
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let usage = e.use_stderr();
            let _ = e.print();
            return if usage { Exit::Usage } else { Exit::Ok }.into();
        }
    };
    run(cli).into()
}

fn run(cli: Cli) -> Exit {
    // Need no config: they describe the command line itself.
    match cli.command {
        Some(Command::Completions { shell }) => return shell::completions(shell),
        Some(Command::Man) => return shell::man(),
        Some(Command::Complete { what, prefix }) => {
            return shell::complete(
                what,
                prefix.as_deref().unwrap_or(""),
                cli.config.as_deref(),
                cli.data_dir.as_deref(),
            )
        }
        _ => {}
    }
    if matches!(cli.command, Some(Command::Watch { .. })) {
        // Before the log file takes the tracing output: the watcher logs to stderr.
        setup::init_stderr_tracing();
    }
    let ctx = match setup::Context::load(cli.config.as_deref(), cli.data_dir.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            if cli.command.is_none() {
                // The TUI shows config errors on an error screen.
                return crate::tui::error_screen::show(&format!("{e}"))
                    .map(|_| Exit::Usage)
                    .unwrap_or(Exit::Usage);
            }
            eprintln!("flinkdeck: {e}");
            return Exit::Usage;
        }
    };
    let tui = matches!(
        cli.command,
        None | Some(Command::Edit { .. }) | Some(Command::Sql { command: None })
    );
    let rt = match setup::runtime(tui) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("flinkdeck: cannot start the async runtime: {e}");
            return Exit::Failed;
        }
    };
    let readonly = cli.readonly || ctx.config.ui.readonly;
    if !tui && ctx.clusters.has_discovery() {
        rt.block_on(ctx.clusters.discover());
    }
    match cli.command {
        None => rt.block_on(setup::run_tui(ctx, readonly)),
        Some(Command::Edit { name }) => rt.block_on(setup::run_tui_with(
            ctx,
            readonly,
            Some(crate::tui::EditorTarget::App(name)),
        )),
        Some(Command::Clusters { json }) => {
            rt.block_on(with_resume(&ctx, readonly, clusters::run(&ctx, json)))
        }
        Some(Command::Jobs {
            cluster,
            state,
            select,
            json,
        }) => rt.block_on(with_resume(
            &ctx,
            readonly,
            jobs::run(&ctx, cluster.as_deref(), state.as_deref(), &select, json),
        )),
        Some(Command::Checkpoints {
            job_id,
            cluster,
            json,
        }) => rt.block_on(with_resume(
            &ctx,
            readonly,
            checkpoints::run(&ctx, &job_id, cluster.as_deref(), json),
        )),
        Some(Command::Logs(args)) => {
            rt.block_on(with_resume(&ctx, readonly, logs::run(&ctx, args)))
        }
        Some(Command::Sql { command: None }) => rt.block_on(setup::run_tui_with(
            ctx,
            readonly,
            Some(crate::tui::EditorTarget::Scratch),
        )),
        Some(Command::Sql {
            command: Some(command),
        }) => rt.block_on(sql::run(&ctx, command)),
        Some(other) => rt.block_on(run_managed(&ctx, other, readonly)),
    }
}

/// Runs a viewing command while, beside it, the journal left by an interrupted process is
/// settled (only when a database exists: without one there is nothing to settle).
async fn with_resume(
    ctx: &setup::Context,
    readonly: bool,
    command: impl std::future::Future<Output = Exit>,
) -> Exit {
    let has_db = ctx
        .data_dir
        .as_ref()
        .is_some_and(|d| d.join("flinkdeck.db").exists());
    let resume = async {
        if !has_db {
            return;
        }
        if let Ok(ops) = ctx.ops(readonly, false) {
            for line in crate::service::ops::resume_journal(&ops).await {
                eprintln!("flinkdeck: {line}");
            }
        }
    };
    let (exit, ()) = tokio::join!(command, resume);
    exit
}

/// The commands that work with managed apps: they need the store, and settle the journal first.
async fn run_managed(ctx: &setup::Context, command: Command, readonly: bool) -> Exit {
    use crate::domain::{ActionRequest, JobKey, RestoreChoice};
    let wait = matches!(
        command,
        Command::Start { wait: true, .. }
            | Command::Stop { wait: true, .. }
            | Command::Savepoint { wait: true, .. }
    );
    let ops = match ctx.ops(readonly, wait) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Failed;
        }
    };
    for line in crate::service::ops::resume_journal(&ops).await {
        eprintln!("flinkdeck: {line}");
    }
    match command {
        Command::Apply {
            file,
            message,
            dry_run,
            force_conflicts,
        } => {
            apps::apply(
                ctx,
                &ops,
                &file,
                message.as_deref(),
                apps::KubeFlags {
                    dry_run,
                    force_conflicts,
                },
            )
            .await
        }
        Command::Apps { select, json } => apps::list(ctx, &ops, &select, json).await,
        Command::App {
            command: AppCommand::Show { name, json },
        } => apps::show(&ops, &name, json).await,
        Command::App {
            command: AppCommand::Delete { name },
        } => apps::delete(ctx, &ops, &name).await,
        Command::Build {
            name,
            git_ref,
            json,
        } => build::build(ctx, &ops, &name, git_ref.as_deref(), json).await,
        Command::Builds { name, json } => build::list(&ops, &name, json).await,
        Command::Watch { once, json } => watch::run(ctx, &ops, once, json).await,
        Command::Completions { shell } => shell::completions(shell),
        Command::Man => shell::man(),
        Command::Complete { .. } => Exit::Ok,
        Command::Alerts {
            command: None,
            open,
            json,
        } => alerts::list(&ops, open, json).await,
        Command::Alerts {
            command: Some(c), ..
        } => alerts::run(ctx, &ops, c).await,
        Command::Drift { name, json } => drift::run(&ops, name.as_deref(), json).await,
        Command::History { name, json } => apps::history(&ops, &name, json).await,
        Command::Upgrade {
            name,
            rebuild,
            version,
            health,
            wait,
            json,
        } => {
            let req = crate::service::ops::UpgradeRequest {
                app: name,
                rebuild,
                version,
                health: None,
                wait,
            };
            upgrade::upgrade(ctx, &ops, req, health.as_deref(), json).await
        }
        Command::Audit { app, limit, json } => apps::audit(&ops, app.as_deref(), limit, json).await,
        Command::Start {
            name,
            from,
            allow_non_restored,
            json,
            dry_run,
            ..
        } => {
            let from = match RestoreChoice::parse(&from) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("flinkdeck: --from: {e}");
                    return Exit::Usage;
                }
            };
            if let Some(exit) = build::unbuilt(&ops, &name).await {
                return exit;
            }
            if dry_run {
                return actions::preview(&ops, &name, &from, allow_non_restored, json).await;
            }
            actions::run(
                &ops,
                ActionRequest::Start {
                    app: name,
                    from,
                    allow_non_restored,
                },
                json,
            )
            .await
        }
        Command::Stop {
            name,
            drain,
            savepoint_dir,
            no_savepoint,
            cluster,
            json,
            ..
        } => {
            let target = match actions::target(ctx, &name, cluster.as_deref()).await {
                Ok(t) => t,
                Err(e) => return e,
            };
            actions::run(
                &ops,
                ActionRequest::Stop {
                    target,
                    drain,
                    savepoint_dir,
                    no_savepoint,
                },
                json,
            )
            .await
        }
        Command::Savepoint {
            name,
            dir,
            cluster,
            json,
            ..
        } => {
            let target = match actions::target(ctx, &name, cluster.as_deref()).await {
                Ok(t) => t,
                Err(e) => return e,
            };
            actions::run(&ops, ActionRequest::Savepoint { target, dir }, json).await
        }
        Command::Cancel {
            name,
            cluster,
            json,
        } => {
            let target = match actions::target(ctx, &name, cluster.as_deref()).await {
                Ok(t) => t,
                Err(e) => return e,
            };
            actions::run(&ops, ActionRequest::Cancel { target }, json).await
        }
        Command::Adopt {
            job_id,
            app,
            cluster,
        } => {
            let target = match actions::target(ctx, &job_id, cluster.as_deref()).await {
                Ok(crate::domain::ActionTarget::Job(k)) => k,
                Ok(_) => {
                    eprintln!("flinkdeck: {job_id:?} is not a job id (32 hex digits)");
                    return Exit::Usage;
                }
                Err(e) => return e,
            };
            let job = JobKey::new(target.cluster, target.id);
            actions::run(&ops, ActionRequest::Adopt { job, app }, false).await
        }
        Command::Cluster {
            command: ClusterCommand::Kill { name, yes, json },
        } => {
            if ctx.clusters.get(&name).is_none() {
                report_discovery_problems(ctx, Some(&name));
                eprintln!(
                    "flinkdeck: unknown cluster {name:?}; known: {}",
                    ctx.clusters.names().join(", ")
                );
                return Exit::Usage;
            }
            if !yes
                && !readonly
                && !confirm(&format!(
                    "Kill {name}? Every job on it ends without a savepoint. [y/N] "
                ))
            {
                eprintln!("flinkdeck: not killed (confirm, or pass --yes)");
                return Exit::Usage;
            }
            actions::run(&ops, ActionRequest::KillCluster { cluster: name }, json).await
        }
        Command::Clusters { .. }
        | Command::Jobs { .. }
        | Command::Checkpoints { .. }
        | Command::Logs(_)
        | Command::Sql { .. }
        | Command::Edit { .. } => Exit::Usage,
    }
}

/// Asks a yes/no question on the terminal; `false` without a terminal (use `--yes` there).
fn confirm(question: &str) -> bool {
    use std::io::{BufRead, IsTerminal, Write};
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return false;
    }
    matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

/// Prints `v` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(v: &T) -> Exit {
    match serde_json::to_string_pretty(v) {
        Ok(s) => {
            println!("{s}");
            Exit::Ok
        }
        Err(e) => {
            eprintln!("flinkdeck: cannot encode JSON: {e}");
            Exit::Failed
        }
    }
}

/// Prints `flinkdeck: cluster NAME: REASON` on stderr for a cluster that could not be read.
pub fn report_unreachable(cluster: &str, reason: &str) {
    eprintln!("flinkdeck: cluster {cluster} unreachable: {reason}");
}

/// Selects the clusters a command runs on: all, one by its full name, or every cluster under a
/// prefix (`k8s-prod` or `k8s-prod/streaming` for discovered clusters). An unknown `--cluster`
/// is a usage error. Discovery problems under the selection are reported (exit 3 follows from
/// `report_discovery_problems`).
pub fn select_clusters(
    ctx: &setup::Context,
    only: Option<&str>,
) -> Result<Vec<crate::service::ClusterHandle>, Exit> {
    let all = ctx.clusters.all();
    let Some(name) = only else {
        return Ok(all);
    };
    if let Some(h) = all.iter().find(|h| h.name() == name) {
        return Ok(vec![h.clone()]);
    }
    let prefix = format!("{name}/");
    let under: Vec<_> = all
        .into_iter()
        .filter(|h| h.name().starts_with(&prefix))
        .collect();
    let known_entry = ctx.clusters.entry_names().iter().any(|e| e == name)
        || ctx
            .clusters
            .problems()
            .iter()
            .any(|p| p.name == name || p.name.starts_with(&prefix));
    if !under.is_empty() || known_entry {
        return Ok(under);
    }
    let mut known = ctx.clusters.entry_names();
    for n in ctx.clusters.names() {
        if !known.contains(&n) {
            known.push(n);
        }
    }
    eprintln!(
        "flinkdeck: unknown cluster {name:?}; configured: {}",
        known.join(", ")
    );
    Err(Exit::Usage)
}

/// Reports what discovery could not look at (under `only`, when given) as unreachable; returns
/// whether there was anything.
pub fn report_discovery_problems(ctx: &setup::Context, only: Option<&str>) -> bool {
    let mut any = false;
    for p in ctx.clusters.problems() {
        let selected = only.is_none_or(|o| {
            p.name == o
                || p.name.starts_with(&format!("{o}/"))
                || o.starts_with(&format!("{}/", p.name))
        });
        if selected {
            report_unreachable(&p.name, &p.error.to_string());
            any = true;
        }
    }
    any
}
