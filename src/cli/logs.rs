//! `flinkdeck logs JOB_ID|--cluster NAME [--taskmanager ID|POD] [--file NAME] [--previous]
//! [--follow]`: Flink's own log files (standalone) or pod logs (Kubernetes: the running
//! container, its previous instance, or the archived tail of a pod that is gone).

use std::io::Write;

use futures_util::future::join_all;

use super::setup::Context;
use super::{report_unreachable, table, Exit};
use crate::domain::time::{format_bytes, format_timestamp};
use crate::domain::LogSource;
use crate::domain::LogTail;
use crate::service::loaders::{new_log_text, select_log_file, select_pod_log};
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
    /// A TaskManager id (or a unique prefix of it) instead of the JobManager; on Kubernetes a
    /// pod name (or a unique prefix of it).
    #[arg(long, value_name = "ID|POD")]
    pub taskmanager: Option<String>,
    /// `log` (default), `stdout`, or a file name from the process's log directory.
    #[arg(long, value_name = "NAME")]
    pub file: Option<String>,
    /// Kubernetes: the pod's container (default `flink-main-container`).
    #[arg(long, value_name = "NAME")]
    pub container: Option<String>,
    /// Kubernetes: the previous instance of the container (what it printed before its last
    /// restart, e.g. before an OOM kill).
    #[arg(long)]
    pub previous: bool,
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
        let mut found = super::select_clusters(ctx, Some(name))?;
        return match found.len() {
            1 => Ok(found.remove(0)),
            0 => {
                super::report_discovery_problems(ctx, Some(name));
                eprintln!("flinkdeck: no cluster found under {name:?}");
                Err(Exit::Unreachable)
            }
            _ => {
                let names: Vec<&str> = found.iter().map(|h| h.name()).collect();
                eprintln!(
                    "flinkdeck: {name:?} names {} clusters; pick one: {}",
                    found.len(),
                    names.join(", ")
                );
                Err(Exit::Usage)
            }
        };
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
    let pods = files
        .iter()
        .any(|f| matches!(f.source, LogSource::Pod { .. }));
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
        let modified = if pods { "CAPTURED" } else { "MODIFIED" };
        print!(
            "{}",
            table::render(&["PROCESS", "FILE", "SIZE", modified], &rows)
        );
        return Exit::Ok;
    }
    let selected = if pods {
        if args.file.is_some() {
            eprintln!(
                "flinkdeck: cluster {}: --file does not apply to pod logs (use --container)",
                handle.name()
            );
            return Exit::Usage;
        }
        let live = handle
            .backend
            .platform_status()
            .await
            .map(|p| p.pods)
            .unwrap_or_default();
        select_pod_log(
            &files,
            &live,
            args.taskmanager.as_deref(),
            args.container.as_deref(),
            args.previous,
        )
    } else if args.previous || args.container.is_some() {
        eprintln!(
            "flinkdeck: cluster {}: --previous and --container apply to Kubernetes pods only",
            handle.name()
        );
        return Exit::Usage;
    } else {
        select_log_file(&files, args.taskmanager.as_deref(), args.file.as_deref())
    };
    let file = match selected {
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
                if prev.is_none() {
                    if let Some(at) = tail.archived_at_ms {
                        let _ = writeln!(
                            out,
                            "[flinkdeck: archived log of {}, captured {}]",
                            file.source,
                            format_timestamp(at)
                        );
                    }
                }
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
                drop(out);
                if args.follow && prev.is_none() {
                    if let Some(stream) = handle.backend.log_follow(&file, &tail) {
                        return follow_stream(handle.name(), stream).await;
                    }
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

/// Prints a followed log's stream until it ends (the container stopped) or stdout closes.
async fn follow_stream(
    cluster: &str,
    mut stream: futures_util::stream::BoxStream<'static, Result<String, crate::flink::FlinkError>>,
) -> Exit {
    use futures_util::StreamExt;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(text) => {
                let mut out = std::io::stdout().lock();
                if out
                    .write_all(text.as_bytes())
                    .and_then(|_| out.flush())
                    .is_err()
                {
                    return Exit::Ok;
                }
            }
            Err(e) => {
                report_unreachable(cluster, &e.to_string());
                return Exit::Unreachable;
            }
        }
    }
    eprintln!("flinkdeck: the log stream ended (the container stopped)");
    Exit::Ok
}
