//! On-demand loads for the job detail tabs and the log viewer (shared with the CLI).

use crate::backend::Clusters;
use crate::domain::{
    CheckpointEntry, CheckpointStats, JobKey, LogFileRef, LogName, LogSearchEvent, LogSource,
    LogTail, LogWindow, WorkerReply, WorkerRequest,
};
use crate::flink::{LogSearcher, WindowBuffer};
use crate::store::{Store, StoreHandle};

/// How many stored checkpoints the detail tab shows.
pub const STORED_HISTORY_LIMIT: usize = 200;
/// How many exceptions are asked for.
pub const MAX_EXCEPTIONS: u32 = 50;

fn unknown_cluster(name: &str) -> String {
    format!("cluster {name:?} is not configured")
}

/// Answers one request of the UI; `None` for requests that have no reply.
pub async fn answer(
    clusters: &Clusters,
    store: Option<&StoreHandle>,
    req: WorkerRequest,
) -> Option<WorkerReply> {
    let reply = match req {
        // Actions, restore points, the audit trail, incidents and the editor's requests are answered by the
        // dispatcher (they need the operations context).
        WorkerRequest::RefreshAll
        | WorkerRequest::EditJobTags { .. }
        | WorkerRequest::FocusJobs { .. }
        | WorkerRequest::RunAction { .. }
        | WorkerRequest::LoadRestorePoints { .. }
        | WorkerRequest::LoadAudit { .. }
        | WorkerRequest::LoadIncidents { .. }
        | WorkerRequest::QuietIncident { .. }
        | WorkerRequest::LoadAppVersions { .. }
        | WorkerRequest::SaveAppVersion { .. }
        | WorkerRequest::ValidateSql { .. }
        | WorkerRequest::SearchLog { .. }
        | WorkerRequest::DebugSql { .. }
        | WorkerRequest::LoadBuilds { .. }
        | WorkerRequest::RunBuild { .. }
        | WorkerRequest::PreviewUpgrade { .. }
        | WorkerRequest::RunUpgrade { .. }
        | WorkerRequest::CancelBuild { .. }
        | WorkerRequest::FollowBuildLog { .. }
        | WorkerRequest::UnfollowBuildLog => return None,
        WorkerRequest::LoadLogWindow {
            cluster,
            file,
            offset,
            line,
            max_bytes,
            request,
        } => {
            let result = match clusters.get(&cluster) {
                Some(h) => log_window(&h.rest, &file, offset, line, max_bytes).await,
                None => Err(unknown_cluster(&cluster)),
            };
            WorkerReply::LogWindowLoaded {
                cluster,
                file,
                request,
                result,
            }
        }
        WorkerRequest::LoadJobDetail { key, request } => {
            let result = match clusters.get(&key.cluster) {
                Some(h) => h.rest.job_detail(&key.id).await.map_err(|e| e.to_string()),
                None => Err(unknown_cluster(&key.cluster)),
            };
            WorkerReply::JobDetailLoaded {
                key,
                request,
                result,
            }
        }
        WorkerRequest::LoadCheckpoints { key, request } => {
            let result = checkpoints_with_history(clusters, store, &key).await;
            WorkerReply::CheckpointsLoaded {
                key,
                request,
                result,
            }
        }
        WorkerRequest::LoadExceptions { key, request } => {
            let result = match clusters.get(&key.cluster) {
                Some(h) => h
                    .rest
                    .exceptions(&key.id, MAX_EXCEPTIONS)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(unknown_cluster(&key.cluster)),
            };
            WorkerReply::ExceptionsLoaded {
                key,
                request,
                result,
            }
        }
        WorkerRequest::LoadLogList { cluster, request } => {
            let result = match clusters.get(&cluster) {
                Some(h) => h
                    .backend
                    .log_files(&h.rest)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(unknown_cluster(&cluster)),
            };
            WorkerReply::LogListLoaded {
                cluster,
                request,
                result,
            }
        }
        WorkerRequest::LoadLog {
            cluster,
            file,
            max_bytes,
            request,
        } => {
            let result = match clusters.get(&cluster) {
                Some(h) => h
                    .backend
                    .log_tail(&h.rest, &file, max_bytes)
                    .await
                    .map_err(|e| e.to_string()),
                None => Err(unknown_cluster(&cluster)),
            };
            WorkerReply::LogLoaded {
                cluster,
                file,
                request,
                result,
            }
        }
    };
    Some(reply)
}

/// Matching lines a whole-file search reports at most (the rest are counted).
pub const MAX_SEARCH_MATCHES: usize = 10_000;
/// How often a search reports progress (and the matches found since).
const SEARCH_REPORT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);
/// Matches per `Found` report at most.
const SEARCH_BATCH: usize = 500;

/// Streams a whole log file through a [`LogSearcher`] and reports to `emit` (progress and
/// matches about every 200 ms, in batches of at most 500, then `Done` or `Failed`). Memory is one
/// chunk plus at most [`MAX_SEARCH_MATCHES`] matches. Flink REST files only: a pod's log comes
/// from the Kubernetes API as a bounded tail, which the viewer already searches.
pub async fn search_log<F, Fut>(
    clusters: &Clusters,
    cluster: &str,
    file: &LogFileRef,
    pattern: &str,
    mut emit: F,
) where
    F: FnMut(LogSearchEvent) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let Some(h) = clusters.get(cluster) else {
        emit(LogSearchEvent::Failed(unknown_cluster(cluster))).await;
        return;
    };
    if matches!(file.source, LogSource::Pod { .. }) {
        emit(LogSearchEvent::Failed(
            "a pod's log is searched in the loaded tail only (the Kubernetes API serves no whole-file stream here)".into(),
        ))
        .await;
        return;
    }
    let Some(mut searcher) = LogSearcher::new(pattern, MAX_SEARCH_MATCHES) else {
        emit(LogSearchEvent::Done {
            scanned: 0,
            lines: 0,
            matching_lines: 0,
            capped: false,
        })
        .await;
        return;
    };
    let mut body = match h.rest.open_log(file).await {
        Ok(b) => b,
        Err(e) => {
            emit(LogSearchEvent::Failed(e.to_string())).await;
            return;
        }
    };
    let mut last_report = std::time::Instant::now();
    let mut pending: Vec<crate::domain::LogMatch> = Vec::new();
    let mut reported_any = false;
    loop {
        match body.chunk().await {
            Err(e) => {
                emit(LogSearchEvent::Failed(e.to_string())).await;
                return;
            }
            Ok(None) => break,
            Ok(Some(chunk)) => {
                searcher.push(&chunk);
                pending.extend(searcher.take_found());
            }
        }
        // The first match goes out at once (the user may jump to it while the rest is read).
        let first = !pending.is_empty() && !reported_any;
        if first || last_report.elapsed() >= SEARCH_REPORT_EVERY || pending.len() >= SEARCH_BATCH {
            reported_any |= !pending.is_empty();
            last_report = std::time::Instant::now();
            while !pending.is_empty() {
                let batch: Vec<_> = pending.drain(..pending.len().min(SEARCH_BATCH)).collect();
                if !emit(LogSearchEvent::Found(batch)).await {
                    return;
                }
            }
            if !emit(LogSearchEvent::Progress {
                scanned: searcher.scanned(),
            })
            .await
            {
                return;
            }
        }
    }
    while !pending.is_empty() {
        let batch: Vec<_> = pending.drain(..pending.len().min(SEARCH_BATCH)).collect();
        if !emit(LogSearchEvent::Found(batch)).await {
            return;
        }
    }
    emit(LogSearchEvent::Done {
        scanned: searcher.scanned(),
        lines: searcher.lines(),
        matching_lines: searcher.matching_lines(),
        capped: searcher.capped(),
    })
    .await;
}

/// The lines around byte `offset` (the start of line `line`) of a Flink REST log file: the file
/// is read from its start up to the window's end, keeping at most `max_bytes`.
pub async fn log_window(
    rest: &crate::flink::FlinkClient,
    file: &LogFileRef,
    offset: u64,
    line: u64,
    max_bytes: usize,
) -> Result<LogWindow, String> {
    let mut body = rest.open_log(file).await.map_err(|e| e.to_string())?;
    let mut window = WindowBuffer::new(offset, line, max_bytes.max(2));
    while let Some(chunk) = body.chunk().await.map_err(|e| e.to_string())? {
        if window.push(&chunk) {
            return Ok(window.finish(false));
        }
    }
    Ok(window.finish(true))
}

/// Live checkpoint statistics plus the stored history; completed entries are recorded first, so
/// the stored history includes everything just seen.
pub async fn checkpoints_with_history(
    clusters: &Clusters,
    store: Option<&StoreHandle>,
    key: &JobKey,
) -> Result<(CheckpointStats, Vec<CheckpointEntry>), String> {
    let handle = clusters
        .get(&key.cluster)
        .ok_or_else(|| unknown_cluster(&key.cluster))?;
    let live = handle
        .rest
        .checkpoints(&key.id)
        .await
        .map_err(|e| e.to_string());
    let Some(store) = store else {
        return live.map(|s| (s, Vec::new()));
    };
    let (cluster, id) = (key.cluster.clone(), key.id.clone());
    let seen = live.as_ref().ok().map(CheckpointStats::completed_entries);
    let stored = store
        .call(move |s: &mut Store| {
            if let Some(seen) = &seen {
                s.record_checkpoints(&cluster, &id, "", seen)?;
            }
            s.checkpoint_history(&cluster, &id, STORED_HISTORY_LIMIT)
        })
        .await
        .map_err(|e| e.to_string());
    match (live, stored) {
        (Ok(live), Ok(stored)) => Ok((live, stored)),
        (Ok(live), Err(e)) => {
            tracing::warn!(error = %e, "stored checkpoint history unavailable");
            Ok((live, Vec::new()))
        }
        // The cluster forgot the job (or is down): the stored history still answers.
        (Err(_), Ok(stored)) if !stored.is_empty() => Ok((CheckpointStats::default(), stored)),
        (Err(e), _) => Err(e),
    }
}

/// Finds which log file a CLI selection means: the main log by default, `stdout`, or a named
/// file, of the JobManager or of a TaskManager (by id, or its unique prefix).
pub fn select_log_file(
    files: &[LogFileRef],
    taskmanager: Option<&str>,
    file: Option<&str>,
) -> Result<LogFileRef, String> {
    let want_name = match file {
        None | Some("log") => LogName::Log,
        Some("stdout") | Some("out") => LogName::Stdout,
        Some(other) => LogName::File(other.to_string()),
    };
    let source_ok = |s: &LogSource| match (taskmanager, s) {
        (None, LogSource::JobManager) => true,
        (Some(want), LogSource::TaskManager(id)) => id == want || id.starts_with(want),
        _ => false,
    };
    let candidates: Vec<&LogFileRef> = files.iter().filter(|f| source_ok(&f.source)).collect();
    if candidates.is_empty() {
        let tms: Vec<String> = files
            .iter()
            .filter_map(|f| match &f.source {
                LogSource::TaskManager(id) => Some(id.clone()),
                _ => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        return Err(match taskmanager {
            Some(tm) => format!(
                "no taskmanager {tm:?}; known taskmanagers: {}",
                if tms.is_empty() {
                    "none".to_string()
                } else {
                    tms.join(", ")
                }
            ),
            None => "the jobmanager lists no log files".to_string(),
        });
    }
    let sources: std::collections::BTreeSet<&LogSource> =
        candidates.iter().map(|f| &f.source).collect();
    if sources.len() > 1 {
        return Err(format!(
            "taskmanager prefix {:?} is ambiguous: {}",
            taskmanager.unwrap_or_default(),
            sources
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    candidates
        .iter()
        .find(|f| f.name == want_name)
        .map(|f| (*f).clone())
        .or_else(|| {
            // Log and stdout are always served even if the listing did not mention them.
            matches!(want_name, LogName::Log | LogName::Stdout).then(|| LogFileRef {
                source: candidates[0].source.clone(),
                name: want_name.clone(),
                size: None,
                mtime: None,
            })
        })
        .ok_or_else(|| {
            let names: Vec<String> = candidates.iter().map(|f| f.name.to_string()).collect();
            format!("no log file {want_name}; available: {}", names.join(", "))
        })
}

/// Finds which pod log a CLI selection means (Kubernetes clusters): the JobManager pod by
/// default, or the pod named by `pod` (or a unique prefix of it); its main container
/// (`flink-main-container`) unless `container` is given; the running instance, the `previous`
/// one, or the archived tail of a pod that is gone. `pods` are the live pods with their roles.
pub fn select_pod_log(
    files: &[LogFileRef],
    pods: &[crate::domain::PodInfo],
    pod: Option<&str>,
    container: Option<&str>,
    previous: bool,
) -> Result<LogFileRef, String> {
    use crate::domain::PodRole;
    let mut names: Vec<&str> = Vec::new();
    for f in files {
        if let LogSource::Pod { pod, .. } = &f.source {
            if !names.contains(&pod.as_str()) {
                names.push(pod);
            }
        }
    }
    let role = |name: &str| pods.iter().find(|p| p.name == name).map(|p| p.role);
    let chosen: &str = match pod {
        Some(want) => {
            let exact = names.iter().find(|n| **n == want);
            let matching: Vec<&str> = match exact {
                Some(n) => vec![*n],
                None => names
                    .iter()
                    .copied()
                    .filter(|n| n.starts_with(want))
                    .collect(),
            };
            match matching.as_slice() {
                [one] => one,
                [] => {
                    return Err(format!(
                        "no pod {want:?}; pods: {}",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ))
                }
                many => {
                    return Err(format!(
                        "pod prefix {want:?} is ambiguous: {}",
                        many.join(", ")
                    ))
                }
            }
        }
        None => {
            // A live JobManager pod first (the newest), else an archived one.
            let live_jm = pods
                .iter()
                .filter(|p| p.role == PodRole::JobManager && names.contains(&p.name.as_str()))
                .max_by_key(|p| p.created_ms.unwrap_or(0))
                .map(|p| p.name.as_str());
            let archived_jm = || {
                names.iter().copied().find(|n| {
                    role(n).is_none() && !n.contains("-taskmanager-") && {
                        files.iter().any(|f| {
                            f.name == LogName::Archived
                                && matches!(&f.source, LogSource::Pod { pod, .. } if pod == n)
                        })
                    }
                })
            };
            match live_jm.or_else(archived_jm) {
                Some(n) => n,
                None => {
                    return Err(format!(
                        "no JobManager pod; pick one with --taskmanager POD: {}",
                        if names.is_empty() {
                            "none".to_string()
                        } else {
                            names.join(", ")
                        }
                    ))
                }
            }
        }
    };
    let of_pod: Vec<&LogFileRef> = files
        .iter()
        .filter(|f| matches!(&f.source, LogSource::Pod { pod, .. } if pod == chosen))
        .collect();
    let containers: Vec<&str> = of_pod
        .iter()
        .filter_map(|f| match &f.source {
            LogSource::Pod { container, .. } => Some(container.as_str()),
            _ => None,
        })
        .fold(Vec::new(), |mut v, c| {
            if !v.contains(&c) {
                v.push(c);
            }
            v
        });
    let container = match container {
        Some(c) if containers.contains(&c) => c,
        Some(c) => {
            return Err(format!(
                "pod {chosen} has no container {c:?}; containers: {}",
                containers.join(", ")
            ))
        }
        None if containers.contains(&"flink-main-container") => "flink-main-container",
        None => containers.first().copied().unwrap_or_default(),
    };
    let of_container: Vec<&LogFileRef> = of_pod
        .into_iter()
        .filter(|f| matches!(&f.source, LogSource::Pod { container: c, .. } if c == container))
        .collect();
    let find = |name: &LogName| {
        of_container
            .iter()
            .find(|f| &f.name == name)
            .map(|f| (*f).clone())
    };
    if previous {
        return find(&LogName::Previous).ok_or_else(|| {
            if find(&LogName::Archived).is_some() {
                format!("pod {chosen} is gone: only its archived log [{container}] is kept")
            } else {
                format!(
                    "pod {chosen} [{container}] has no previous instance (it has not restarted)"
                )
            }
        });
    }
    find(&LogName::Log)
        .or_else(|| find(&LogName::Archived))
        .ok_or_else(|| format!("pod {chosen} [{container}] has no log"))
}

/// Bytes of `now` that were not in `prev` when a file grew from `prev.total_bytes` to
/// `now.total_bytes` (for following a log). A shrunk file (rotated) is shown whole.
pub fn new_log_text<'a>(prev: Option<&LogTail>, now: &'a LogTail) -> &'a str {
    let Some(prev) = prev else {
        return &now.text;
    };
    if now.total_bytes < prev.total_bytes {
        return &now.text;
    }
    let grown = (now.total_bytes - prev.total_bytes) as usize;
    let text = now.text.as_bytes();
    if grown >= text.len() {
        return &now.text;
    }
    let mut start = text.len() - grown;
    while start < text.len() && !now.text.is_char_boundary(start) {
        start += 1;
    }
    &now.text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(source: LogSource, name: LogName) -> LogFileRef {
        LogFileRef {
            source,
            name,
            size: None,
            mtime: None,
        }
    }

    #[test]
    fn selects_log_files() {
        let files = vec![
            f(LogSource::JobManager, LogName::Log),
            f(LogSource::JobManager, LogName::Stdout),
            f(LogSource::JobManager, LogName::File("gc.log".into())),
            f(LogSource::TaskManager("tm-abc".into()), LogName::Log),
            f(LogSource::TaskManager("tm-abd".into()), LogName::Log),
        ];
        assert_eq!(select_log_file(&files, None, None).unwrap(), files[0]);
        assert_eq!(
            select_log_file(&files, None, Some("gc.log")).unwrap(),
            files[2]
        );
        assert_eq!(
            select_log_file(&files, Some("tm-abc"), None).unwrap(),
            files[3]
        );
        let stdout = select_log_file(&files, Some("tm-abd"), Some("stdout")).unwrap();
        assert_eq!(stdout.name, LogName::Stdout);
        assert!(select_log_file(&files, Some("tm-ab"), None)
            .unwrap_err()
            .contains("ambiguous"));
        assert!(select_log_file(&files, Some("nope"), None)
            .unwrap_err()
            .contains("tm-abc"));
        assert!(select_log_file(&files, None, Some("x.log"))
            .unwrap_err()
            .contains("gc.log"));
    }

    #[test]
    fn follow_prints_only_new_bytes() {
        let a = LogTail {
            text: "l1\nl2\n".into(),
            total_bytes: 6,
            truncated: false,
            archived_at_ms: None,
        };
        let b = LogTail {
            text: "l2\nl3\n".into(),
            total_bytes: 9,
            truncated: true,
            archived_at_ms: None,
        };
        assert_eq!(new_log_text(None, &a), "l1\nl2\n");
        assert_eq!(new_log_text(Some(&a), &b), "l3\n");
        assert_eq!(new_log_text(Some(&b), &a), "l1\nl2\n");
        assert_eq!(new_log_text(Some(&b), &b), "");
    }
}
