//! `flinkdeck logs JOB_ID|--cluster NAME [--taskmanager ID] [--file NAME] [--follow]`.

use std::io::Write;

use futures_util::future::join_all;

use super::setup::Context;
use super::{report_unreachable, table, Exit};
use crate::domain::time::{format_bytes, format_timestamp};
use crate::domain::LogTail;
use crate::service::loaders::{new_log_text, select_log_file};
use crate::service::ClusterHandle;

/// The arguments of `logs`.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// A job id: reads the logs of the cluster that runs it.
    #[arg(value_name = "JOB_ID", required_unless_present = "cluster")]
    pub job_id: Option<String>,
    /// The cluster to read from.
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// A TaskManager id (or a unique prefix of it) instead of the JobManager.
    #[arg(long, value_name = "ID")]
    pub taskmanager: Option<String>,
    /// `log` (default), `stdout`, or a file name from the process's log directory.
    #[arg(long, value_name = "NAME")]
    pub file: Option<String>,
    /// Keep printing what is appended.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// List the available log files instead of printing one.
    #[arg(long)]
    pub list: bool,
    /// With --list: print JSON.
    #[arg(long)]
    pub json: bool,
    /// At most this many bytes of the end of the file are printed.
    #[arg(long, value_name = "N", default_value_t = 4 * 1024 * 1024)]
    pub bytes: usize,
}

/// Finds the cluster to read: `--cluster`, else the one whose job list has the job.
async fn resolve_cluster(ctx: &Context, args: &LogsArgs) -> Result<ClusterHandle, Exit> {
    if let Some(name) = &args.cluster {
        return super::select_clusters(ctx, Some(name)).map(|mut v| v.remove(0));
    }
    let Some(job_id) = &args.job_id else {
        eprintln!("flinkdeck: logs needs a JOB_ID or --cluster NAME");
        return Err(Exit::Usage);
    };
    let all = ctx.clusters.all();
    let answers = join_all(
        all.iter()
            .map(|h| async move { (h, h.rest.jobs_overview(h.name()).await) }),
    )
    .await;
    let mut unreachable = false;
    for (h, res) in answers {
        match res {
            Ok(jobs) if jobs.iter().any(|j| &j.id == job_id) => return Ok(h.clone()),
            Ok(_) => {}
            Err(e) => {
                report_unreachable(h.name(), &e.to_string());
                unreachable = true;
            }
        }
    }
    eprintln!("flinkdeck: no reachable cluster runs job {job_id}");
    Err(if unreachable {
        Exit::Unreachable
    } else {
        Exit::Failed
    })
}

pub async fn run(ctx: &Context, args: LogsArgs) -> Exit {
    let handle = match resolve_cluster(ctx, &args).await {
        Ok(h) => h,
        Err(e) => return e,
    };
    let files = match handle.backend.log_files(&handle.rest).await {
        Ok(f) => f,
        Err(e) => {
            report_unreachable(handle.name(), &e.to_string());
            return Exit::Unreachable;
        }
    };
    if args.list {
        if args.json {
            return super::print_json(&files);
        }
        let rows: Vec<Vec<String>> = files
            .iter()
            .map(|f| {
                vec![
                    f.source.to_string(),
                    f.name.to_string(),
                    f.size.map_or("-".into(), |s| format_bytes(s as i64)),
                    f.mtime.map_or("-".into(), format_timestamp),
                ]
            })
            .collect();
        print!(
            "{}",
            table::render(&["PROCESS", "FILE", "SIZE", "MODIFIED"], &rows)
        );
        return Exit::Ok;
    }
    let file = match select_log_file(&files, args.taskmanager.as_deref(), args.file.as_deref()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("flinkdeck: cluster {}: {e}", handle.name());
            return Exit::Failed;
        }
    };
    let refresh = ctx.config.ui.refresh;
    let mut prev: Option<LogTail> = None;
    loop {
        match handle
            .backend
            .log_tail(&handle.rest, &file, args.bytes)
            .await
        {
            Ok(tail) => {
                let text = new_log_text(prev.as_ref(), &tail);
                let mut out = std::io::stdout().lock();
                if prev.is_none() && tail.truncated {
                    let _ = writeln!(
                        out,
                        "[flinkdeck: showing the last {} of {}]",
                        format_bytes(tail.text.len() as i64),
                        format_bytes(tail.total_bytes as i64)
                    );
                }
                if out
                    .write_all(text.as_bytes())
                    .and_then(|_| out.flush())
                    .is_err()
                {
                    return Exit::Ok; // stdout closed (e.g. piped into head)
                }
                prev = Some(tail);
            }
            Err(e) => {
                report_unreachable(handle.name(), &e.to_string());
                if !args.follow {
                    return Exit::Unreachable;
                }
            }
        }
        if !args.follow {
            return Exit::Ok;
        }
        tokio::time::sleep(refresh).await;
    }
}
