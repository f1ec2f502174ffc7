//! Runs one step of a build (git or the build command) as a child process in its own process
//! group: output streamed line by line to the log and to progress, the whole group killed at the
//! deadline or on cancel.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::service::ops::Progress;

/// How many output lines a failure shows.
pub const TAIL_LINES: usize = 20;

/// The build log plus the last lines of output (shared by the stdout and stderr readers).
pub struct Output {
    log: Mutex<std::fs::File>,
    tail: Mutex<VecDeque<String>>,
}

impl Output {
    pub fn new(log: std::fs::File) -> Arc<Output> {
        Arc::new(Output {
            log: Mutex::new(log),
            tail: Mutex::new(VecDeque::new()),
        })
    }

    /// Writes `line` to the log (and keeps it in the tail); errors writing the log are ignored
    /// after the first line, which is checked by [`Output::note`].
    pub fn line(&self, line: &str) {
        use std::io::Write;
        if let Ok(mut f) = self.log.lock() {
            let _ = writeln!(f, "{line}");
        }
        if let Ok(mut t) = self.tail.lock() {
            if t.len() == TAIL_LINES {
                t.pop_front();
            }
            t.push_back(line.to_string());
        }
    }

    /// The last output lines.
    pub fn tail(&self) -> Vec<String> {
        self.tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// How a step ended other than with exit status 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepError {
    Cancelled,
    TimedOut,
    /// Could not start, or exited non-zero: what happened.
    Failed(String),
}

/// One child process to run.
pub struct Step<'a> {
    pub argv: &'a [String],
    pub cwd: &'a Path,
    pub env: &'a BTreeMap<String, String>,
    /// Output lines go to progress too (the build command), not only to the log.
    pub show: bool,
}

/// Runs `step` until it exits, the deadline passes or `cancel` turns true; on the latter two the
/// whole process group is killed and reaped. Returns the captured stdout when asked for it.
pub async fn run(
    step: Step<'_>,
    out: &Arc<Output>,
    progress: Progress<'_>,
    deadline: Instant,
    cancel: &mut watch::Receiver<bool>,
    capture: bool,
) -> Result<String, StepError> {
    let Some((program, args)) = step.argv.split_first() else {
        return Err(StepError::Failed("empty command".into()));
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(step.cwd)
        .envs(step.env)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| {
        StepError::Failed(format!(
            "cannot run {program:?} in {}: {e}",
            step.cwd.display()
        ))
    })?;
    let pgid = child.id().and_then(|p| i32::try_from(p).ok());
    let (line_tx, mut line_rx) = tokio::sync::mpsc::unbounded_channel::<(bool, String)>();
    if let Some(s) = child.stdout.take() {
        tokio::spawn(pump(s, true, line_tx.clone()));
    }
    if let Some(s) = child.stderr.take() {
        tokio::spawn(pump(s, false, line_tx.clone()));
    }
    drop(line_tx);
    let mut captured = String::new();
    let mut lines_open = true;
    let status = loop {
        tokio::select! {
            line = line_rx.recv(), if lines_open => match line {
                Some((is_stdout, l)) => {
                    out.line(&l);
                    if step.show {
                        progress(format!("  | {l}"));
                    }
                    if capture && is_stdout {
                        captured.push_str(&l);
                        captured.push('\n');
                    }
                }
                None => lines_open = false,
            },
            status = child.wait(), if !lines_open => break status,
            _ = tokio::time::sleep_until(deadline) => {
                kill_group(pgid);
                let _ = child.wait().await;
                return Err(StepError::TimedOut);
            }
            changed = cancel.changed() => {
                if changed.is_err() || *cancel.borrow() {
                    kill_group(pgid);
                    let _ = child.wait().await;
                    return Err(StepError::Cancelled);
                }
            }
        }
    };
    // The group may hold children that outlive the leader (`cmd &`): they go too.
    kill_group(pgid);
    match status {
        Ok(s) if s.success() => Ok(captured),
        Ok(s) => Err(StepError::Failed(format!(
            "{} exited with {s}",
            step.argv.join(" ")
        ))),
        Err(e) => Err(StepError::Failed(format!("waiting for {program:?}: {e}"))),
    }
}

async fn pump<R: AsyncRead + Unpin>(
    r: R,
    is_stdout: bool,
    tx: tokio::sync::mpsc::UnboundedSender<(bool, String)>,
) {
    let mut lines = BufReader::new(r).lines();
    while let Ok(Some(l)) = lines.next_line().await {
        if tx.send((is_stdout, l)).is_err() {
            break;
        }
    }
}

/// SIGKILL to the whole process group led by `pgid`.
fn kill_group(pgid: Option<i32>) {
    if let Some(p) = pgid.filter(|p| *p > 0) {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is touched.
        unsafe {
            libc::kill(-p, libc::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gone(pid: &str) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        }
    }

    /// Runs `script` with bash as a build step (log in a temp dir), within `secs`.
    async fn run_bash(
        script: &str,
        secs: u64,
    ) -> (tempfile::TempDir, Arc<Output>, Result<String, StepError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Output::new(std::fs::File::create(dir.path().join("b.log")).expect("log"));
        let argv: Vec<String> = vec!["bash".into(), "-c".into(), script.into()];
        let env = BTreeMap::new();
        let (_tx, mut rx) = watch::channel(false);
        let step = Step {
            argv: &argv,
            cwd: dir.path(),
            env: &env,
            show: false,
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(secs);
        let r = run(step, &out, &|_| {}, deadline, &mut rx, false).await;
        (dir, out, r)
    }

    #[tokio::test]
    async fn the_deadline_kills_the_whole_process_group() {
        let (_dir, out, r) = run_bash("sleep 30 & echo $!; wait", 1).await;
        assert_eq!(r, Err(StepError::TimedOut));
        let pid = out.tail().first().cloned().expect("the sleep's pid");
        for _ in 0..50 {
            if gone(&pid) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("sleep {pid} outlived the build's deadline");
    }

    #[tokio::test]
    async fn a_failing_command_says_its_exit_status_and_keeps_its_output() {
        let (dir, out, r) = run_bash(
            "echo compiling; echo 'X.java:3: error: boom' >&2; exit 3",
            30,
        )
        .await;
        match r {
            Err(StepError::Failed(m)) => assert!(m.contains("exit status: 3"), "{m}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        let tail = out.tail();
        assert!(
            tail.contains(&"X.java:3: error: boom".to_string()),
            "{tail:?}"
        );
        let log = std::fs::read_to_string(dir.path().join("b.log")).expect("log");
        assert!(log.contains("compiling"), "{log}");
    }
}
