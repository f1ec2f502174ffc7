//! The command line: global flags, subcommands, and the dispatch to the TUI or a CLI command.
//!
//! Exit codes (a public contract): 0 every cluster answered; 1 the command failed; 2 usage or
//! config error; 3 some cluster could not be reached (the others' results are still printed).

pub mod checkpoints;
pub mod clusters;
pub mod jobs;
pub mod logs;
pub mod setup;
pub mod table;

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
    after_help = "With no command, opens the full-screen console.\nExit codes: 0 ok, 1 failed, 2 usage or config error, 3 some cluster unreachable."
)]
pub struct Cli {
    /// Config file (default: the platform config dir, e.g. ~/.config/flinkdeck/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Directory of the SQLite database and the log file (default: the platform data dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub data_dir: Option<PathBuf>,
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
    Logs {
        /// A job id: reads the logs of the cluster that runs it.
        #[arg(value_name = "JOB_ID", required_unless_present = "cluster")]
        job_id: Option<String>,
        /// The cluster to read from.
        #[arg(long, value_name = "NAME")]
        cluster: Option<String>,
        /// A TaskManager id (or a unique prefix of it) instead of the JobManager.
        #[arg(long, value_name = "ID")]
        taskmanager: Option<String>,
        /// `log` (default), `stdout`, or a file name from the process's log directory.
        #[arg(long, value_name = "NAME")]
        file: Option<String>,
        /// Keep printing what is appended.
        #[arg(long, short = 'f')]
        follow: bool,
        /// List the available log files instead of printing one.
        #[arg(long)]
        list: bool,
        /// With --list: print JSON.
        #[arg(long)]
        json: bool,
        /// At most this many bytes of the end of the file are printed.
        #[arg(long, value_name = "N", default_value_t = 4 * 1024 * 1024)]
        bytes: usize,
    },
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
    let rt = match setup::runtime(cli.command.is_none()) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("flinkdeck: cannot start the async runtime: {e}");
            return Exit::Failed;
        }
    };
    match cli.command {
        None => rt.block_on(setup::run_tui(ctx)),
        Some(Command::Clusters { json }) => rt.block_on(clusters::run(&ctx, json)),
        Some(Command::Jobs {
            cluster,
            state,
            json,
        }) => rt.block_on(jobs::run(&ctx, cluster.as_deref(), state.as_deref(), json)),
        Some(Command::Checkpoints {
            job_id,
            cluster,
            json,
        }) => rt.block_on(checkpoints::run(&ctx, &job_id, cluster.as_deref(), json)),
        Some(Command::Logs {
            job_id,
            cluster,
            taskmanager,
            file,
            follow,
            list,
            json,
            bytes,
        }) => rt.block_on(logs::run(
            &ctx,
            logs::LogsArgs {
                job_id,
                cluster,
                taskmanager,
                file,
                follow,
                list,
                json,
                bytes,
            },
        )),
    }
}

/// Prints `flinkdeck: cluster NAME: REASON` on stderr for a cluster that could not be read.
pub fn report_unreachable(cluster: &str, reason: &str) {
    eprintln!("flinkdeck: cluster {cluster} unreachable: {reason}");
}

/// Selects the clusters a command runs on; an unknown `--cluster` is a usage error.
pub fn select_clusters(
    ctx: &setup::Context,
    only: Option<&str>,
) -> Result<Vec<crate::service::ClusterHandle>, Exit> {
    match only {
        None => Ok(ctx.clusters.all().to_vec()),
        Some(name) => match ctx.clusters.get(name) {
            Some(h) => Ok(vec![h.clone()]),
            None => {
                eprintln!(
                    "flinkdeck: unknown cluster {name:?}; configured: {}",
                    ctx.clusters.names().join(", ")
                );
                Err(Exit::Usage)
            }
        },
    }
}
