//! The console's build requests: the Builds view's rows, rebuilds (each a task whose cancel
//! channel is kept while it runs), cancels, the one build log followed live (its tail, then
//! each new line as the build writes it), and upgrades (the plan first, then the run).

use std::collections::HashMap;
use std::io::SeekFrom;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;

use super::ops::{
    cancel_build, console_build, load_builds, preview_upgrade, run_upgrade, OpsContext,
    UpgradeRequest,
};
use crate::domain::{ActionOutcome, BuildLogEvent, WorkerReply, WorkerRequest};

/// How much of a build log is shown when it is opened (its end).
pub const LOG_TAIL_BYTES: u64 = 1024 * 1024;
/// How often a followed log is read for new lines.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);
/// Lines per reply at most (a burst of output goes in several).
const LINES_PER_REPLY: usize = 2000;

const NO_DATABASE: &str = "builds need the local database, which could not be opened";

/// The running console builds' cancel channels, by app.
type Running = Arc<Mutex<HashMap<String, watch::Sender<bool>>>>;

/// The console's running builds, for the console's exit: they are cancelled (recorded as
/// cancelled, their process groups stopped) instead of being cut off with the runtime.
#[derive(Clone, Default)]
pub struct RunningBuilds(Running);

impl RunningBuilds {
    /// Cancels every build this console runs and waits (at most `limit`) until each has
    /// settled; returns how many were cancelled.
    pub async fn cancel_all(&self, limit: Duration) -> usize {
        let n = {
            let map = lock(&self.0);
            for tx in map.values() {
                let _ = tx.send(true);
            }
            map.len()
        };
        let deadline = tokio::time::Instant::now() + limit;
        while !lock(&self.0).is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        n
    }
}

pub(super) struct BuildWorker {
    ops: Option<OpsContext>,
    running: Running,
    follower: Option<AbortHandle>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl BuildWorker {
    pub fn new(ops: Option<OpsContext>, running: RunningBuilds) -> BuildWorker {
        BuildWorker {
            ops,
            running: running.0,
            follower: None,
        }
    }

    /// Whether `req` is one of ours.
    pub fn handles(req: &WorkerRequest) -> bool {
        matches!(
            req,
            WorkerRequest::LoadBuilds { .. }
                | WorkerRequest::RunBuild { .. }
                | WorkerRequest::CancelBuild { .. }
                | WorkerRequest::PreviewUpgrade { .. }
                | WorkerRequest::RunUpgrade { .. }
                | WorkerRequest::FollowBuildLog { .. }
                | WorkerRequest::UnfollowBuildLog
        )
    }

    /// Starts the work `req` asks for (never waits for it).
    pub fn handle(&mut self, req: WorkerRequest, replies: &mpsc::Sender<WorkerReply>) {
        let replies = replies.clone();
        let ops = self.ops.clone();
        match req {
            WorkerRequest::LoadBuilds { request, per_app } => {
                tokio::spawn(async move {
                    let result = match &ops {
                        Some(ops) => load_builds(ops, per_app).await,
                        None => Err(NO_DATABASE.to_string()),
                    };
                    let _ = replies
                        .send(WorkerReply::BuildsLoaded { request, result })
                        .await;
                });
            }
            WorkerRequest::RunBuild { app, request } => {
                let running = self.running.clone();
                tokio::spawn(async move {
                    let outcome = match &ops {
                        Some(ops) => run(ops, &app, request, &running, &replies).await,
                        None => failed(NO_DATABASE),
                    };
                    let _ = replies
                        .send(WorkerReply::ActionFinished { request, outcome })
                        .await;
                });
            }
            WorkerRequest::PreviewUpgrade { app, request } => {
                tokio::spawn(async move {
                    let result = match &ops {
                        Some(ops) => preview_upgrade(ops, &console_upgrade_request(&app)).await,
                        None => Err(NO_DATABASE.to_string()),
                    };
                    let _ = replies
                        .send(WorkerReply::UpgradePlan {
                            app,
                            request,
                            result,
                        })
                        .await;
                });
            }
            WorkerRequest::RunUpgrade { app, request } => {
                tokio::spawn(async move {
                    let outcome = match &ops {
                        Some(ops) => {
                            let progress = progress_to(&replies, request);
                            // The console's upgrade is not cancelled from here: a console that
                            // quits mid-upgrade leaves it to the journal (settled by the next
                            // flinkdeck process).
                            let (_keep, cancel) = watch::channel(false);
                            let req = console_upgrade_request(&app);
                            run_upgrade(ops, &ops.data_dir, &req, &progress, cancel)
                                .await
                                .action_outcome()
                        }
                        None => failed(NO_DATABASE),
                    };
                    let _ = replies
                        .send(WorkerReply::ActionFinished { request, outcome })
                        .await;
                });
            }
            WorkerRequest::CancelBuild {
                app,
                build,
                request,
            } => {
                let own = lock(&self.running).get(&app).cloned();
                tokio::spawn(async move {
                    let outcome = match &ops {
                        Some(ops) => {
                            let progress = progress_to(&replies, request);
                            cancel_build(ops, &app, build, own, &progress).await
                        }
                        None => failed(NO_DATABASE),
                    };
                    let _ = replies
                        .send(WorkerReply::ActionFinished { request, outcome })
                        .await;
                });
            }
            WorkerRequest::FollowBuildLog {
                build,
                log,
                request,
            } => {
                tracing::debug!(build, log = %log, "following a build log");
                if let Some(old) = self.follower.take() {
                    old.abort();
                }
                let task = tokio::spawn(follow(log, request, replies));
                self.follower = Some(task.abort_handle());
            }
            WorkerRequest::UnfollowBuildLog => {
                if let Some(old) = self.follower.take() {
                    old.abort();
                }
            }
            _ => {}
        }
    }
}

/// The console's upgrade: to the app's current version, the spec's `upgrade_rebuilds` and
/// `upgrade_health` deciding the rest (as `flinkdeck upgrade NAME`).
fn console_upgrade_request(app: &str) -> UpgradeRequest {
    UpgradeRequest {
        app: app.to_string(),
        rebuild: false,
        version: None,
        health: None,
        wait: false,
    }
}

fn failed(reason: &str) -> ActionOutcome {
    ActionOutcome::Failed {
        reason: reason.to_string(),
    }
}

/// Progress lines of action `request` (dropped when the reply channel is full: the build log
/// keeps every line).
fn progress_to(
    replies: &mpsc::Sender<WorkerReply>,
    request: u64,
) -> impl Fn(String) + Send + Sync + 'static {
    let tx = replies.clone();
    move |message: String| {
        let _ = tx.try_send(WorkerReply::ActionProgress { request, message });
    }
}

/// One console build of `app`: its cancel channel is registered while it runs (unless another
/// build of the app from this console holds the slot: that one is refused by the build lock).
async fn run(
    ops: &OpsContext,
    app: &str,
    request: u64,
    running: &Running,
    replies: &mpsc::Sender<WorkerReply>,
) -> ActionOutcome {
    let (tx, rx) = watch::channel(false);
    let registered = {
        let mut map = lock(running);
        if map.contains_key(app) {
            false
        } else {
            map.insert(app.to_string(), tx.clone());
            true
        }
    };
    let progress = progress_to(replies, request);
    let outcome = console_build(ops, app, &progress, rx).await;
    if registered {
        lock(running).remove(app);
    }
    outcome
}

/// Follows the log at `path`: its last [`LOG_TAIL_BYTES`] (from a line start), then every new
/// complete line, until aborted or the UI is gone. A file that cannot be read is reported and
/// tried again (a build's log appears when its build begins).
async fn follow(path: String, request: u64, replies: mpsc::Sender<WorkerReply>) {
    let mut reader = LogReader::default();
    let mut reported_error = false;
    loop {
        match reader.read_new(&path).await {
            Ok(lines) => {
                reported_error = false;
                // The first read always answers (an empty log is "loaded, no lines yet").
                let first = !reader.answered;
                reader.answered = true;
                if first && lines.is_empty() {
                    let event = BuildLogEvent::Lines(Vec::new());
                    if replies
                        .send(WorkerReply::BuildLog { request, event })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                for chunk in lines.chunks(LINES_PER_REPLY) {
                    let event = BuildLogEvent::Lines(chunk.to_vec());
                    if replies
                        .send(WorkerReply::BuildLog { request, event })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Err(e) if !reported_error => {
                reported_error = true;
                let event = BuildLogEvent::Failed(e);
                if replies
                    .send(WorkerReply::BuildLog { request, event })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(_) => {}
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
    }
}

/// Reads a growing file in complete lines.
#[derive(Default)]
struct LogReader {
    /// Where the next read starts (`None`: not opened yet).
    offset: Option<u64>,
    /// Bytes after the last newline, kept until their line is complete.
    partial: Vec<u8>,
    answered: bool,
}

impl LogReader {
    async fn read_new(&mut self, path: &str) -> Result<Vec<String>, String> {
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| format!("cannot read the build log {path}: {e}"))?;
        let len = file
            .metadata()
            .await
            .map_err(|e| format!("cannot read the build log {path}: {e}"))?
            .len();
        let mut skip_first = false;
        let start = match self.offset {
            Some(o) if o <= len => o,
            // First read, or the file was truncated: start again from its tail.
            _ => {
                self.partial.clear();
                if len > LOG_TAIL_BYTES {
                    skip_first = true;
                    len - LOG_TAIL_BYTES
                } else {
                    0
                }
            }
        };
        if start == len {
            self.offset = Some(len);
            return Ok(Vec::new());
        }
        file.seek(SeekFrom::Start(start))
            .await
            .map_err(|e| format!("cannot read the build log {path}: {e}"))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        (&mut file)
            .take(len - start)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| format!("cannot read the build log {path}: {e}"))?;
        self.offset = Some(start + buf.len() as u64);
        let mut data = std::mem::take(&mut self.partial);
        data.extend_from_slice(&buf);
        let mut lines: Vec<String> = Vec::new();
        let mut rest: &[u8] = &data;
        while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
            let line = rest[..nl].strip_suffix(b"\r").unwrap_or(&rest[..nl]);
            lines.push(String::from_utf8_lossy(line).into_owned());
            rest = &rest[nl + 1..];
        }
        self.partial = rest.to_vec();
        if skip_first && !lines.is_empty() {
            // Cut in the middle of a line.
            lines.remove(0);
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[tokio::test]
    async fn a_growing_log_is_read_in_complete_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("1.log");
        let p = path.to_string_lossy().into_owned();
        let mut r = LogReader::default();
        assert!(r.read_new(&p).await.is_err(), "no file yet");
        let mut f = std::fs::File::create(&path).expect("create");
        assert_eq!(r.read_new(&p).await, Ok(vec![]));
        write!(f, "==> fetch\nhalf").expect("write");
        assert_eq!(r.read_new(&p).await, Ok(vec!["==> fetch".to_string()]));
        assert_eq!(r.read_new(&p).await, Ok(vec![]));
        write!(f, " a line\r\nnext\n").expect("write");
        assert_eq!(
            r.read_new(&p).await,
            Ok(vec!["half a line".to_string(), "next".to_string()])
        );
        // Truncated: read again from the start.
        drop(f);
        std::fs::write(&path, "new\n").expect("rewrite");
        assert_eq!(r.read_new(&p).await, Ok(vec!["new".to_string()]));
    }

    #[tokio::test]
    async fn a_big_log_opens_at_its_tail_on_a_line_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("2.log");
        let line = "x".repeat(99);
        let n = (LOG_TAIL_BYTES / 100) as usize + 50;
        let text: String = (0..n).map(|i| format!("{i:05}{line}\n")).collect();
        std::fs::write(&path, &text).expect("write");
        let mut r = LogReader::default();
        let lines = r
            .read_new(&path.to_string_lossy())
            .await
            .expect("read the tail");
        assert!(lines.len() < n, "only the tail");
        assert_eq!(lines.last(), Some(&format!("{:05}{line}", n - 1)));
        let first = lines.first().expect("a line");
        assert_eq!(first.len(), 104, "starts on a whole line: {first}");
    }
}
