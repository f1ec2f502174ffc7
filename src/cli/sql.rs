//! `flinkdeck sql validate FILE` and `flinkdeck sql debug FILE`: a Flink SQL script checked by
//! Flink's own planner, or run on fake data, in a local helper JVM built against the Flink version
//! the script will run on (see `crate::sqltools`).
//!
//! The Flink version: `--flink VERSION`, else what `--cluster NAME` reports, else what the only
//! configured cluster reports. Its distribution comes from `[[flink]]` in the config (or the
//! install of `scripts/flink-local.sh`).
//!
//! Exit codes: validate: 0 valid (warnings allowed), 1 errors found (or the helper failed),
//! 2 usage (bad flags, missing file, unknown cluster, no Flink home for the version), 3 the cluster
//! asked for its version could not be reached. debug: 0 it ran (even with no rows), 1 the script
//! or a job failed, 2 and 3 as for validate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, Subcommand};

use super::setup::Context;
use super::{print_json, Exit};
use crate::sqltools::{DebugEvent, DebugOptions, Problem, SqlHelper};

#[derive(Debug, Subcommand)]
pub enum SqlCommand {
    /// Check a script with Flink's own planner (DDL runs in an in-memory catalog, INSERTs and
    /// queries are planned, nothing runs). Prints FILE:LINE:COLUMN: error|warning: message.
    Validate {
        /// The SQL script.
        file: PathBuf,
        #[command(flatten)]
        target: SqlTarget,
        /// Print a JSON array of problems (`[]` when valid).
        #[arg(long)]
        json: bool,
    },
    /// Run a script on fake data: sources read from datagen, sinks are collected and printed as
    /// JSON lines ({"sink","kind","row"}); nothing is written to real systems.
    Debug {
        /// The SQL script.
        file: PathBuf,
        #[command(flatten)]
        target: SqlTarget,
        /// Stop after this many seconds of running.
        #[arg(long, value_name = "N", default_value_t = 10)]
        seconds: u64,
        /// Stop after this many rows (all sinks together).
        #[arg(long, value_name = "N", default_value_t = 100)]
        rows: u64,
    },
}

/// Which Flink, which variables and which extra jars.
#[derive(Debug, Args)]
pub struct SqlTarget {
    /// Use the Flink version this cluster runs.
    #[arg(long, value_name = "NAME", conflicts_with = "flink")]
    pub cluster: Option<String>,
    /// Use this Flink version (its home from `[[flink]]` in the config).
    #[arg(long, value_name = "VERSION")]
    pub flink: Option<String>,
    /// Set ${NAME} in the script (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Set ${NAME} from an environment variable, as a secret: its value never appears in the
    /// output (repeatable).
    #[arg(long = "secret-env", value_name = "NAME=ENV_VAR")]
    pub secret_env: Vec<String>,
    /// A jar to add to the classpath, e.g. a connector or UDFs (repeatable).
    #[arg(long = "jar", value_name = "PATH")]
    pub jars: Vec<PathBuf>,
}

/// Runs `flinkdeck sql ...`.
pub async fn run(ctx: &Context, command: SqlCommand) -> Exit {
    match command {
        SqlCommand::Validate { file, target, json } => validate(ctx, &file, &target, json).await,
        SqlCommand::Debug {
            file,
            target,
            seconds,
            rows,
        } => {
            let opts = DebugOptions {
                seconds: seconds.max(1),
                rows,
                ..DebugOptions::default()
            };
            debug(ctx, &file, &target, opts).await
        }
    }
}

/// What both commands need before the helper starts.
struct Prepared {
    script: String,
    version: String,
    home: PathBuf,
    cache_dir: PathBuf,
    vars: BTreeMap<String, String>,
    secret_names: BTreeSet<String>,
}

async fn prepare(ctx: &Context, file: &Path, target: &SqlTarget) -> Result<Prepared, Exit> {
    let script = std::fs::read_to_string(file).map_err(|e| {
        eprintln!("flinkdeck: {}: {e}", file.display());
        Exit::Usage
    })?;
    let mut flag_vars = BTreeMap::new();
    for kv in &target.vars {
        let (k, v) = split_var(kv, "--var", "NAME=VALUE")?;
        flag_vars.insert(k.to_string(), v.to_string());
    }
    let mut flag_secrets = Vec::new();
    for kv in &target.secret_env {
        flag_secrets.push(split_var(kv, "--secret-env", "NAME=ENV_VAR")?);
    }
    // The config's [vars] / [secret_vars] (only the secrets the script uses, and not those a
    // flag sets), under the flags.
    let mut overridden = flag_vars.keys().cloned().collect::<BTreeSet<_>>();
    overridden.extend(flag_secrets.iter().map(|(k, _)| k.to_string()));
    let mut config = ctx.config.clone();
    config.secret_vars.retain(|k, _| !overridden.contains(k));
    let (mut vars, mut secret_names) = config.resolve_vars_for(None, &script).map_err(|e| {
        eprintln!("flinkdeck: {e}");
        Exit::Usage
    })?;
    for k in flag_vars.keys() {
        secret_names.remove(k);
    }
    vars.extend(flag_vars);
    for (k, env) in flag_secrets {
        let Some(value) = std::env::var_os(env) else {
            eprintln!(
                "flinkdeck: --secret-env {k}={env}: the environment variable {env} is not set"
            );
            return Err(Exit::Usage);
        };
        vars.insert(k.to_string(), value.to_string_lossy().into_owned());
        secret_names.insert(k.to_string());
    }
    for jar in &target.jars {
        if !jar.is_file() {
            eprintln!("flinkdeck: --jar {}: no such file", jar.display());
            return Err(Exit::Usage);
        }
    }
    let version = flink_version(ctx, target).await?;
    let home = ctx.config.flink_home(&version).map_err(|e| {
        eprintln!("flinkdeck: {e}");
        Exit::Usage
    })?;
    let Some(data_dir) = &ctx.data_dir else {
        eprintln!("flinkdeck: no data directory for the helper jar: pass --data-dir");
        return Err(Exit::Usage);
    };
    let cache_dir = data_dir.join("helpers");
    std::fs::create_dir_all(&cache_dir).map_err(|e| {
        eprintln!("flinkdeck: {}: {e}", cache_dir.display());
        Exit::Failed
    })?;
    Ok(Prepared {
        script,
        version,
        home,
        cache_dir,
        vars,
        secret_names,
    })
}

fn split_var<'a>(kv: &'a str, flag: &str, shape: &str) -> Result<(&'a str, &'a str), Exit> {
    match kv.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim(), v)),
        _ => {
            eprintln!("flinkdeck: {flag} {kv:?}: expected {shape}");
            Err(Exit::Usage)
        }
    }
}

/// `--flink`, else the version `--cluster` (or the only configured cluster) reports.
async fn flink_version(ctx: &Context, target: &SqlTarget) -> Result<String, Exit> {
    if let Some(v) = &target.flink {
        let v = v.trim();
        if v.is_empty() {
            eprintln!("flinkdeck: --flink needs a version, e.g. --flink 1.20.5");
            return Err(Exit::Usage);
        }
        return Ok(v.to_string());
    }
    let handle = match &target.cluster {
        Some(name) => super::select_clusters(ctx, Some(name))?
            .into_iter()
            .next()
            .ok_or(Exit::Usage)?,
        None => match ctx.clusters.all().as_slice() {
            [one] => one.clone(),
            _ => {
                eprintln!(
                    "flinkdeck: which Flink version? pass --flink VERSION or --cluster NAME \
                     (configured clusters: {})",
                    ctx.clusters.names().join(", ")
                );
                return Err(Exit::Usage);
            }
        },
    };
    match handle.rest.cluster_info().await {
        Ok(info) => match info.flink_version.filter(|v| !v.trim().is_empty()) {
            Some(v) => Ok(v.trim().to_string()),
            None => {
                eprintln!(
                    "flinkdeck: cluster {} does not report its Flink version; pass --flink VERSION",
                    handle.name()
                );
                Err(Exit::Usage)
            }
        },
        Err(e) => {
            eprintln!(
                "flinkdeck: cannot ask cluster {} for its Flink version ({e}); pass --flink VERSION",
                handle.name()
            );
            Err(Exit::Unreachable)
        }
    }
}

async fn start_helper(p: &Prepared, target: &SqlTarget) -> Result<SqlHelper, Exit> {
    SqlHelper::start(&p.home, &p.version, &p.cache_dir, &target.jars)
        .await
        .map_err(|e| {
            eprintln!("flinkdeck: {e}");
            Exit::Failed
        })
}

async fn validate(ctx: &Context, file: &Path, target: &SqlTarget, json: bool) -> Exit {
    let p = match prepare(ctx, file, target).await {
        Ok(p) => p,
        Err(e) => return e,
    };
    let started = Instant::now();
    let mut helper = match start_helper(&p, target).await {
        Ok(h) => h,
        Err(e) => return e,
    };
    let result = helper
        .validate_with(&p.script, &p.vars, &p.secret_names)
        .await;
    let flink = helper.flink_version().to_string();
    helper.shutdown().await;
    let problems = match result {
        Ok(problems) => problems,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Failed;
        }
    };
    let errors = problems.iter().filter(|p| p.is_error()).count();
    let warnings = problems.len() - errors;
    if json {
        if print_json(&problems) != Exit::Ok {
            return Exit::Failed;
        }
    } else {
        for pr in &problems {
            if !out_line(&human(file, pr)) {
                break;
            }
        }
        let verdict = match (errors, warnings) {
            (0, 0) => "valid".to_string(),
            (0, w) => format!("valid, {w} warning{}", plural(w)),
            (e, 0) => format!("{e} error{}", plural(e)),
            (e, w) => format!("{e} error{}, {w} warning{}", plural(e), plural(w)),
        };
        eprintln!(
            "flinkdeck: {}: {verdict} (Flink {flink}, {:.1} s)",
            file.display(),
            started.elapsed().as_secs_f64()
        );
    }
    if errors > 0 {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

/// Writes one line to stdout; false when stdout is closed.
fn out_line(line: &str) -> bool {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// `FILE:LINE:COLUMN: error: message (statement N)`.
pub fn human(file: &Path, p: &Problem) -> String {
    format!(
        "{}:{}:{}: {}: {} (statement {})",
        file.display(),
        p.line,
        p.column,
        p.severity.as_str(),
        p.message,
        p.statement
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

async fn debug(ctx: &Context, file: &Path, target: &SqlTarget, opts: DebugOptions) -> Exit {
    let p = match prepare(ctx, file, target).await {
        Ok(p) => p,
        Err(e) => return e,
    };
    eprintln!(
        "flinkdeck: debug run of {} on Flink {} with fake data: sources read from datagen, sinks \
         are collected here; nothing is written to real systems (at most {} s, {} rows)",
        file.display(),
        p.version,
        opts.seconds,
        opts.rows
    );
    let mut helper = match start_helper(&p, target).await {
        Ok(h) => h,
        Err(e) => return e,
    };
    let mut events = match helper
        .debug(&p.script, opts, &p.vars, &p.secret_names)
        .await
    {
        Ok(rx) => rx,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Failed;
        }
    };
    let started = Instant::now();
    let mut exit = Exit::Failed;
    while let Some(ev) = events.recv().await {
        match ev {
            DebugEvent::Replaced { table, connector } => {
                let from = if connector.is_empty() {
                    "no connector".to_string()
                } else {
                    format!("connector '{connector}'")
                };
                eprintln!("flinkdeck: table {table}: {from} replaced by datagen");
            }
            DebugEvent::Sink {
                sink,
                statement,
                columns,
            } => {
                let cols: Vec<String> = columns
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.data_type))
                    .collect();
                let what = if sink.starts_with("statement ") {
                    format!("the SELECT of statement {statement}")
                } else {
                    format!("{sink} (statement {statement})")
                };
                eprintln!("flinkdeck: collecting {what}: {}", cols.join(", "));
            }
            DebugEvent::Row(row) => {
                if !out_line(&row.to_json_line()) {
                    // Nobody reads stdout any more (e.g. `| head`): cancel the run.
                    exit = Exit::Ok;
                    break;
                }
            }
            DebugEvent::Problem(pr) => eprintln!("{}", human(file, &pr)),
            DebugEvent::Done(done) => {
                eprintln!(
                    "flinkdeck: {} row{} in {:.1} s (stopped: {})",
                    done.rows,
                    plural(done.rows as usize),
                    started.elapsed().as_secs_f64(),
                    done.stopped
                );
                exit = if done.ok { Exit::Ok } else { Exit::Failed };
                break;
            }
            DebugEvent::Failed(message) => {
                eprintln!("flinkdeck: {message}");
                exit = Exit::Failed;
                break;
            }
        }
    }
    drop(events);
    helper.shutdown().await;
    exit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqltools::Severity;

    #[test]
    fn human_lines_name_file_position_severity_and_statement() {
        let p = Problem::new(
            3,
            7,
            12,
            Severity::Error,
            "Column 'amout' not found in any table".to_string(),
        );
        assert_eq!(
            human(Path::new("jobs/orders.sql"), &p),
            "jobs/orders.sql:7:12: error: Column 'amout' not found in any table (statement 3)"
        );
    }

    #[test]
    fn vars_need_a_name_and_an_equals_sign() {
        assert_eq!(split_var("a=b=c", "--var", "N=V").ok(), Some(("a", "b=c")));
        assert_eq!(split_var("a=", "--var", "N=V").ok(), Some(("a", "")));
        assert!(split_var("=x", "--var", "N=V").is_err());
        assert!(split_var("novalue", "--var", "N=V").is_err());
    }
}
