//! The helper JVM: started once, one JSON request and response per line, restarted when it dies.
//!
//! The child is a `std::process::Child` served by two plain threads (a writer fed through a
//! channel, and a reader that sends bounded lines into a tokio channel), so the async side never
//! blocks on a pipe.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::time::Instant;

use super::jvm_tmp::{self, TmpDir};
use super::vars::{mask, mask_json, substitute, Substituted};
use super::{DebugColumn, DebugEvent, DebugRow, DebugSummary, Problem, SqlToolsError};
use crate::sqlrunner::{self, ENTRY_CLASS};

/// The helper's log is `<cache dir>/sql-helper-<version>.log`.
pub const HELPER_LOG_PREFIX: &str = "sql-helper-";

/// From spawn to the helper's `ready` line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// One validation, including the planner's warm-up in a fresh JVM (≈3 s on 2 cores).
const VALIDATE_TIMEOUT: Duration = Duration::from_secs(180);
/// A debug run may take this much longer than its `seconds` (mini cluster start and stop).
const DEBUG_GRACE: Duration = Duration::from_secs(120);
/// The longest protocol line accepted (a problem list or one row).
const MAX_LINE: usize = 32 << 20;
/// Bound of the debug event channel.
const DEBUG_CHANNEL: usize = 256;

/// JVM options: quick start (C1 only, serial GC), room for Calcite's recursion, and the module
/// opens Flink needs on Java 17 ([`crate::sqlrunner::FLINK_JAVA17_OPENS`]). `FLINKDECK_HELPER_JAVA_OPTS`
/// adds more.
const JVM_OPTIONS: &[&str] = &[
    "-XX:+IgnoreUnrecognizedVMOptions",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseSerialGC",
    "-Xss4m",
    "-Xmx1g",
];

/// Flink's log (WARN and up) to stderr, which is the helper's log file.
const LOG4J: &str = "\
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n
";

/// What [`SqlHelper::warm_up`] plans: DDL, a view, a windowed aggregate and a join.
const WARM_UP: &str = "\
CREATE TABLE w_src (k INT, v DOUBLE, s STRING, ts TIMESTAMP(3), \
WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) WITH ('connector' = 'datagen');
CREATE TABLE w_dim (k INT, name STRING) WITH ('connector' = 'datagen');
CREATE TABLE w_out (k INT, n BIGINT, total DOUBLE, name STRING) WITH ('connector' = 'blackhole');
CREATE TEMPORARY VIEW w_view AS SELECT k, v, UPPER(s) AS s, ts FROM w_src WHERE v > 0;
INSERT INTO w_out SELECT a.k, a.n, a.total, d.name FROM (
  SELECT k, COUNT(*) AS n, SUM(v) AS total
  FROM TABLE(TUMBLE(TABLE w_view, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
  GROUP BY k, window_start, window_end) AS a JOIN w_dim AS d ON a.k = d.k;
";

/// Limits of a debug run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebugOptions {
    /// Stop after this many seconds of running (default 10).
    pub seconds: u64,
    /// Stop after this many rows over all sinks (default 100).
    pub rows: u64,
    /// Rows per second each datagen source produces (default 20; batch mode: `rows` in total).
    pub rate: u64,
}

impl Default for DebugOptions {
    fn default() -> Self {
        DebugOptions {
            seconds: 10,
            rows: 100,
            rate: 20,
        }
    }
}

/// How to start the helper.
#[derive(Debug)]
struct Spec {
    version: String,
    java: PathBuf,
    classpath: std::ffi::OsString,
    log: PathBuf,
    log4j: PathBuf,
    cache_dir: PathBuf,
}

/// A validator and debug runner for one Flink version, backed by one reusable helper JVM.
///
/// Requests run one at a time (`&mut self`). A debug run keeps the helper busy until its event
/// stream ends; dropping the stream's receiver cancels the run, and so does the next request
/// (which waits for the run to stop, a few seconds at most).
pub struct SqlHelper {
    spec: Arc<Spec>,
    slot: Slot,
    next_id: u64,
    reported_version: String,
    starts: u32,
}

enum Slot {
    Idle(Proc),
    /// A debug run holds the process; it comes back through `back` when the run ends (None: it
    /// died). Notifying `stop` cancels the run.
    Busy {
        back: oneshot::Receiver<Option<Proc>>,
        stop: Arc<Notify>,
    },
    Down,
}

impl SqlHelper {
    /// Builds the helper jar for `version` against `flink_home/lib` (cached in `cache_dir`, like
    /// the SQL runner's) and starts the JVM with `extra_jars` (the app's connectors, UDFs, ...)
    /// on the classpath. Returns once the helper said it is ready.
    pub async fn start(
        flink_home: &Path,
        version: &str,
        cache_dir: &Path,
        extra_jars: &[PathBuf],
    ) -> Result<SqlHelper, SqlToolsError> {
        let (home, v, dir) = (
            flink_home.to_path_buf(),
            version.to_string(),
            cache_dir.to_path_buf(),
        );
        let jar = tokio::task::spawn_blocking(move || sqlrunner::runner_jar(&home, &v, &dir))
            .await
            .map_err(|e| SqlToolsError::Helper(format!("building the helper jar: {e}")))??;
        let java = sqlrunner::java_tool("java")?;
        let services = write_services(cache_dir)?;
        let mut parts = vec![jar, services, flink_home.join("lib").join("*")];
        parts.extend(extra_jars.iter().cloned());
        let classpath = std::env::join_paths(&parts).map_err(|e| {
            SqlToolsError::Helper(format!("a jar path cannot be put on a classpath: {e}"))
        })?;
        let safe: String = version
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let log4j = cache_dir.join("sql-helper-log4j2.properties");
        std::fs::write(&log4j, LOG4J).map_err(|source| SqlToolsError::Io {
            path: log4j.clone(),
            source,
        })?;
        jvm_tmp::sweep(cache_dir);
        let spec = Arc::new(Spec {
            version: version.to_string(),
            java,
            classpath,
            log: cache_dir.join(format!("{HELPER_LOG_PREFIX}{safe}.log")),
            log4j,
            cache_dir: cache_dir.to_path_buf(),
        });
        let (proc, reported) = Proc::start(&spec).await?;
        Ok(SqlHelper {
            spec,
            slot: Slot::Idle(proc),
            next_id: 1,
            reported_version: reported,
            starts: 1,
        })
    }

    /// The Flink version the helper runs (as its jars report it).
    pub fn flink_version(&self) -> &str {
        &self.reported_version
    }

    /// The helper's log file (Flink's warnings, and what a crashed JVM said).
    pub fn log_path(&self) -> &Path {
        &self.spec.log
    }

    /// How many JVMs were started so far (1 unless the helper had to be restarted).
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// Plans a small built-in script so that the next validation is fast (a fresh JVM spends
    /// ≈2 s warming up the planner). For a long-lived helper (the editor): call it right after
    /// [`SqlHelper::start`], while the user types. Returns how long it took.
    pub async fn warm_up(&mut self) -> Result<Duration, SqlToolsError> {
        let t = std::time::Instant::now();
        let problems = self.validate(WARM_UP).await?;
        if let Some(p) = problems.iter().find(|p| p.is_error()) {
            return Err(SqlToolsError::Helper(format!(
                "the warm-up script failed at {}:{}: {}",
                p.line, p.column, p.message
            )));
        }
        Ok(t.elapsed())
    }

    /// Validates a script as it is (no variables).
    pub async fn validate(&mut self, script: &str) -> Result<Vec<Problem>, SqlToolsError> {
        self.validate_with(script, &BTreeMap::new(), &BTreeSet::new())
            .await
    }

    /// Substitutes `${vars}`, validates with Flink's planner, and returns the problems with
    /// positions in `script` as written, secret values (of the variables named in
    /// `secret_names`) masked, undefined variables as errors. Ordered by position.
    pub async fn validate_with(
        &mut self,
        script: &str,
        vars: &BTreeMap<String, String>,
        secret_names: &BTreeSet<String>,
    ) -> Result<Vec<Problem>, SqlToolsError> {
        let sub = substitute(script, vars, secret_names);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut proc = self.take(&sub.secrets).await?;
            let id = self.id();
            let req = json!({"id": id, "op": "validate", "script": sub.script});
            let deadline = Instant::now() + VALIDATE_TIMEOUT;
            let outcome = match proc.send(&req) {
                Ok(()) => proc.answer(id, deadline).await,
                Err(reason) => Err(ProcError::Died(reason)),
            };
            match outcome {
                Ok(ev) => {
                    self.slot = Slot::Idle(proc);
                    return match ev.get("event").and_then(Value::as_str) {
                        Some("result") => {
                            let problems: Vec<Problem> = ev
                                .get("problems")
                                .cloned()
                                .map(serde_json::from_value)
                                .transpose()
                                .map_err(|e| SqlToolsError::Protocol(format!("problems: {e}")))?
                                .unwrap_or_default();
                            Ok(sub.merge(problems))
                        }
                        _ => Err(helper_error(&ev, &sub.secrets)),
                    };
                }
                Err(ProcError::Timeout) => {
                    drop(proc);
                    return Err(SqlToolsError::Timeout {
                        seconds: VALIDATE_TIMEOUT.as_secs(),
                    });
                }
                Err(ProcError::Died(reason)) => {
                    let err = proc.died(&self.spec, reason, &sub.secrets);
                    if attempt >= 2 {
                        return Err(err);
                    }
                    tracing::warn!(error = %err, "SQL helper died; restarting it once");
                }
                Err(ProcError::Protocol(m)) => {
                    drop(proc);
                    return Err(SqlToolsError::Protocol(mask(&m, &sub.secrets)));
                }
            }
        }
    }

    /// Starts a debug run: every table the script creates reads from `datagen` instead (same
    /// columns and watermarks), every INSERT's rows are collected (shaped to its sink's columns)
    /// instead of written, in a local mini cluster inside the helper, for at most
    /// `opts.seconds` and `opts.rows` rows. Nothing reaches the original connectors.
    ///
    /// Events arrive through the returned channel as they happen, the last one is
    /// [`DebugEvent::Done`] (or [`DebugEvent::Failed`]). Dropping the receiver cancels the run.
    /// An undefined variable ends the run before it starts (its problems, then `Done`).
    pub async fn debug(
        &mut self,
        script: &str,
        opts: DebugOptions,
        vars: &BTreeMap<String, String>,
        secret_names: &BTreeSet<String>,
    ) -> Result<mpsc::Receiver<DebugEvent>, SqlToolsError> {
        let sub = substitute(script, vars, secret_names);
        let (tx, rx) = mpsc::channel(DEBUG_CHANNEL);
        if !sub.undefined.is_empty() {
            let problems = sub.undefined.clone();
            tokio::spawn(async move {
                for p in problems {
                    if tx.send(DebugEvent::Problem(p)).await.is_err() {
                        return;
                    }
                }
                let _ = tx
                    .send(DebugEvent::Done(DebugSummary {
                        ok: false,
                        rows: 0,
                        stopped: "failed".to_string(),
                    }))
                    .await;
            });
            return Ok(rx);
        }
        let mut attempt = 0;
        let (proc, id) = loop {
            attempt += 1;
            let proc = self.take(&sub.secrets).await?;
            let id = self.id();
            let req = json!({
                "id": id,
                "op": "debug",
                "script": sub.script,
                "seconds": opts.seconds,
                "rows": opts.rows,
                "rate": opts.rate,
            });
            match proc.send(&req) {
                Ok(()) => break (proc, id),
                Err(reason) => {
                    let err = proc.died(&self.spec, reason, &sub.secrets);
                    if attempt >= 2 {
                        return Err(err);
                    }
                }
            }
        };
        let (back_tx, back_rx) = oneshot::channel();
        let stop = Arc::new(Notify::new());
        self.slot = Slot::Busy {
            back: back_rx,
            stop: Arc::clone(&stop),
        };
        let limit = opts.seconds.saturating_add(DEBUG_GRACE.as_secs());
        let spec = Arc::clone(&self.spec);
        tokio::spawn(async move {
            let proc = pump_debug(proc, id, limit, sub, tx, &stop, &spec).await;
            let _ = back_tx.send(proc);
        });
        Ok(rx)
    }

    /// Ends the helper JVM (politely, then by force).
    pub async fn shutdown(mut self) {
        if let Ok(mut proc) = self.take(&[]).await {
            let _ = proc.send(&json!({"op": "exit"}));
            let until = Instant::now() + Duration::from_secs(3);
            while Instant::now() < until {
                if matches!(proc.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    fn id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The live helper process: the idle one, the one a finished debug run hands back, or a
    /// new one.
    async fn take(&mut self, secrets: &[String]) -> Result<Proc, SqlToolsError> {
        let slot = std::mem::replace(&mut self.slot, Slot::Down);
        let proc = match slot {
            Slot::Idle(p) => Some(p),
            Slot::Busy { back, stop } => {
                // A debug run still going is cancelled (its receiver may never be read again).
                stop.notify_one();
                back.await.ok().flatten()
            }
            Slot::Down => None,
        };
        if let Some(mut p) = proc {
            if matches!(p.child.try_wait(), Ok(None)) {
                return Ok(p);
            }
            let err = p.died(&self.spec, "it exited".to_string(), secrets);
            tracing::warn!(error = %err, "SQL helper had exited; restarting it");
        }
        let (p, reported) = Proc::start(&self.spec).await?;
        self.reported_version = reported;
        self.starts += 1;
        Ok(p)
    }
}

/// Reads a debug run's events and forwards them; returns the process when the run ended
/// normally (None when the helper died or hung, after killing it).
async fn pump_debug(
    mut proc: Proc,
    id: u64,
    limit: u64,
    sub: Substituted,
    tx: mpsc::Sender<DebugEvent>,
    stop: &Notify,
    spec: &Spec,
) -> Option<Proc> {
    let deadline = Instant::now() + Duration::from_secs(limit);
    let mut cancelled = false;
    let mut columns: HashMap<String, Arc<[String]>> = HashMap::new();
    loop {
        enum Step {
            Event(Result<Value, ProcError>),
            Closed,
        }
        let step = tokio::select! {
            ev = proc.next(deadline) => Step::Event(ev),
            _ = tx.closed(), if !cancelled => Step::Closed,
            _ = stop.notified(), if !cancelled => Step::Closed,
        };
        let ev = match step {
            Step::Closed => {
                cancelled = true;
                if proc.send(&json!({"op": "cancel"})).is_err() {
                    return None;
                }
                continue;
            }
            Step::Event(Ok(ev)) => ev,
            Step::Event(Err(e)) => {
                let message = match e {
                    ProcError::Timeout => SqlToolsError::Timeout { seconds: limit }.to_string(),
                    ProcError::Died(reason) => proc.died(spec, reason, &sub.secrets).to_string(),
                    ProcError::Protocol(m) => mask(&m, &sub.secrets),
                };
                let _ = tx.send(DebugEvent::Failed(message)).await;
                return None;
            }
        };
        if ev.get("id").and_then(Value::as_u64) != Some(id) {
            continue; // A late line of an earlier request.
        }
        let Some(event) = to_debug_event(&ev, &sub, &mut columns) else {
            continue;
        };
        let done = matches!(event, DebugEvent::Done(_) | DebugEvent::Failed(_));
        if cancelled {
            if done {
                // Best effort: a receiver that is still there learns how the run ended.
                let _ = tx.try_send(event);
            }
        } else {
            let delivered = tokio::select! {
                r = tx.send(event) => r.is_ok(),
                _ = stop.notified() => false,
            };
            if !delivered {
                cancelled = true;
                if proc.send(&json!({"op": "cancel"})).is_err() {
                    return None;
                }
            }
        }
        if done {
            return Some(proc);
        }
    }
}

/// One protocol line of a debug run as an event (None: not one we show).
fn to_debug_event(
    ev: &Value,
    sub: &Substituted,
    columns: &mut HashMap<String, Arc<[String]>>,
) -> Option<DebugEvent> {
    let s = |k: &str| ev.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match ev.get("event").and_then(Value::as_str)? {
        "replaced" => Some(DebugEvent::Replaced {
            table: mask(&s("table"), &sub.secrets),
            connector: mask(&s("connector"), &sub.secrets),
        }),
        "sink" => {
            let cols: Vec<DebugColumn> = ev
                .get("columns")
                .cloned()
                .and_then(|c| serde_json::from_value(c).ok())
                .unwrap_or_default();
            let sink = s("sink");
            let names: Arc<[String]> = cols.iter().map(|c| c.name.clone()).collect();
            columns.insert(sink.clone(), names);
            Some(DebugEvent::Sink {
                sink,
                statement: ev.get("statement").and_then(Value::as_u64).unwrap_or(0) as u32,
                columns: cols,
            })
        }
        "row" => {
            let sink = s("sink");
            let mut values = match ev.get("values") {
                Some(Value::Array(a)) => a.clone(),
                _ => Vec::new(),
            };
            for v in &mut values {
                mask_json(v, &sub.secrets);
            }
            let names = columns.get(&sink).cloned().unwrap_or_else(|| {
                (0..values.len())
                    .map(|i| format!("f{i}"))
                    .collect::<Vec<_>>()
                    .into()
            });
            Some(DebugEvent::Row(DebugRow {
                sink,
                kind: s("kind"),
                columns: names,
                values,
            }))
        }
        "problem" => {
            let p: Problem = serde_json::from_value(ev.clone()).ok()?;
            Some(DebugEvent::Problem(sub.fix_problem(p)))
        }
        "done" => Some(DebugEvent::Done(DebugSummary {
            ok: ev.get("ok").and_then(Value::as_bool).unwrap_or(false),
            rows: ev.get("rows").and_then(Value::as_u64).unwrap_or(0),
            stopped: s("stopped"),
        })),
        "error" => Some(DebugEvent::Failed(mask(&s("message"), &sub.secrets))),
        _ => None,
    }
}

fn helper_error(ev: &Value, secrets: &[String]) -> SqlToolsError {
    let m = ev
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| ev.to_string());
    SqlToolsError::Helper(mask(&m, secrets))
}

enum ProcError {
    Timeout,
    Died(String),
    Protocol(String),
}

/// One helper JVM and its I/O threads.
struct Proc {
    child: Child,
    /// Its `java.io.tmpdir` (Flink's planner copy lands there); removed after `child` exited.
    _tmp: TmpDir,
    /// Lines to write to its stdin (a thread writes them).
    input: std::sync::mpsc::Sender<String>,
    /// Lines it printed (or why reading stopped).
    output: mpsc::Receiver<Result<String, String>>,
}

impl Proc {
    /// Spawns the JVM and waits for its `ready` line; returns it and the Flink version it reports.
    async fn start(spec: &Spec) -> Result<(Proc, String), SqlToolsError> {
        let log = open_log(&spec.log)?;
        let tmp = jvm_tmp::create(&spec.cache_dir).map_err(|source| SqlToolsError::Io {
            path: spec.cache_dir.join("tmp"),
            source,
        })?;
        let mut cmd = Command::new(&spec.java);
        cmd.arg(format!("-Djava.io.tmpdir={}", tmp.display()));
        let tmp = TmpDir(tmp);
        cmd.args(JVM_OPTIONS)
            .args(crate::sqlrunner::FLINK_JAVA17_OPENS);
        if let Ok(extra) = std::env::var("FLINKDECK_HELPER_JAVA_OPTS") {
            cmd.args(extra.split_whitespace());
        }
        cmd.arg(format!(
            "-Dlog4j.configurationFile={}",
            spec.log4j.display()
        ))
        .arg("-cp")
        .arg(&spec.classpath)
        .arg(ENTRY_CLASS)
        .arg("--serve")
        .current_dir(&spec.cache_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log));
        let mut child = cmd.spawn().map_err(|source| SqlToolsError::Spawn {
            java: spec.java.clone(),
            source,
        })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SqlToolsError::Helper("no pipes to the helper".to_string()));
        };
        let (input, input_rx) = std::sync::mpsc::channel::<String>();
        std::thread::Builder::new()
            .name("flinkdeck-helper-in".to_string())
            .spawn(move || {
                let mut w = io::BufWriter::new(stdin);
                for line in input_rx {
                    if w.write_all(line.as_bytes()).is_err()
                        || w.write_all(b"\n").is_err()
                        || w.flush().is_err()
                    {
                        return;
                    }
                }
            })
            .map_err(|source| SqlToolsError::Spawn {
                java: spec.java.clone(),
                source,
            })?;
        let (out_tx, output) = mpsc::channel(64);
        std::thread::Builder::new()
            .name("flinkdeck-helper-out".to_string())
            .spawn(move || read_lines(stdout, out_tx))
            .map_err(|source| SqlToolsError::Spawn {
                java: spec.java.clone(),
                source,
            })?;
        let mut proc = Proc {
            child,
            _tmp: tmp,
            input,
            output,
        };
        match proc.next(Instant::now() + READY_TIMEOUT).await {
            Ok(ev) if ev.get("event").and_then(Value::as_str) == Some("ready") => {
                let v = ev
                    .get("flink")
                    .and_then(Value::as_str)
                    .unwrap_or(&spec.version)
                    .to_string();
                tracing::info!(flink = %v, log = %spec.log.display(), "SQL helper ready");
                Ok((proc, v))
            }
            Ok(other) => Err(SqlToolsError::Protocol(format!(
                "expected the ready line, got {}",
                truncate(&other.to_string(), 300)
            ))),
            Err(ProcError::Timeout) => Err(SqlToolsError::Timeout {
                seconds: READY_TIMEOUT.as_secs(),
            }),
            Err(ProcError::Died(reason)) => Err(proc.died(spec, reason, &[])),
            Err(ProcError::Protocol(m)) => Err(SqlToolsError::Protocol(m)),
        }
    }

    fn send(&self, v: &Value) -> Result<(), String> {
        self.input
            .send(v.to_string())
            .map_err(|_| "its stdin is closed".to_string())
    }

    /// The next protocol line as JSON, until `deadline`.
    async fn next(&mut self, deadline: Instant) -> Result<Value, ProcError> {
        match tokio::time::timeout_at(deadline, self.output.recv()).await {
            Err(_) => Err(ProcError::Timeout),
            Ok(None) => Err(ProcError::Died("its output ended".to_string())),
            Ok(Some(Err(reason))) => Err(ProcError::Died(reason)),
            Ok(Some(Ok(line))) => serde_json::from_str(&line)
                .map_err(|e| ProcError::Protocol(format!("{e} in {:?}", truncate(&line, 200)))),
        }
    }

    /// The answer to request `id` (skipping late lines of earlier requests).
    async fn answer(&mut self, id: u64, deadline: Instant) -> Result<Value, ProcError> {
        loop {
            let ev = self.next(deadline).await?;
            if ev.get("id").and_then(Value::as_u64) == Some(id) {
                return Ok(ev);
            }
        }
    }

    /// Kills the process and describes its end (exit status and the end of its log).
    fn died(mut self, spec: &Spec, reason: String, secrets: &[String]) -> SqlToolsError {
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        let reason = match status.and_then(|s| s.code()) {
            Some(code) => format!("{reason} (exit code {code})"),
            None => reason,
        };
        SqlToolsError::Died {
            version: spec.version.clone(),
            reason,
            log: spec.log.clone(),
            tail: mask(&log_tail(&spec.log), secrets),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads bounded lines from the helper's stdout into the channel until EOF or an error.
fn read_lines(stdout: ChildStdout, tx: mpsc::Sender<Result<String, String>>) {
    let mut r = BufReader::with_capacity(1 << 16, stdout);
    loop {
        let item = match read_bounded_line(&mut r, MAX_LINE) {
            Ok(Some(line)) => Ok(line),
            Ok(None) => Err("it exited".to_string()),
            Err(e) => Err(format!("reading its output: {e}")),
        };
        let end = item.is_err();
        if tx.blocking_send(item).is_err() || end {
            return;
        }
    }
}

/// One line without its `\n` (None at EOF); an error when it is longer than `max` bytes.
fn read_bounded_line(r: &mut impl BufRead, max: usize) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok((!buf.is_empty()).then(|| String::from_utf8_lossy(&buf).into_owned()));
        }
        if let Some(pos) = avail.iter().position(|&b| b == b'\n') {
            buf.extend_from_slice(&avail[..pos]);
            r.consume(pos + 1);
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        let n = avail.len();
        buf.extend_from_slice(avail);
        r.consume(n);
        if buf.len() > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than {max} bytes"),
            ));
        }
    }
}

/// The debug runs' connector (`flinkdeck-debug`, in the runner jar) is registered for the helper
/// only: a classpath directory with its services file, so the jar submitted to clusters does not
/// announce it.
const DEBUG_FACTORY: &str = "flinkdeck.sqlrunner.FlinkdeckSqlTools$DebugSourceFactory\n";

/// Writes `<cache>/sql-helper-services/META-INF/services/...Factory`; returns the directory.
fn write_services(cache_dir: &Path) -> Result<PathBuf, SqlToolsError> {
    let root = cache_dir.join("sql-helper-services");
    let dir = root.join("META-INF").join("services");
    let file = dir.join("org.apache.flink.table.factories.Factory");
    if std::fs::read_to_string(&file).is_ok_and(|t| t == DEBUG_FACTORY) {
        return Ok(root);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SqlToolsError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    // Written aside and renamed, so a helper starting at the same time never reads half a file.
    let tmp = dir.join(format!(".factory-{}", std::process::id()));
    std::fs::write(&tmp, DEBUG_FACTORY).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &file).map_err(io(&file))?;
    Ok(root)
}

/// Opens (truncates) the helper's log, readable by the owner only (it may quote table options).
fn open_log(path: &Path) -> Result<std::fs::File, SqlToolsError> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map_err(|source| SqlToolsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The last lines of the log (at most ~2 KB), with a leading newline, or "".
fn log_tail(path: &Path) -> String {
    const MAX: u64 = 2048;
    let Ok(mut f) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX {
        use std::io::Seek;
        let _ = f.seek(io::SeekFrom::Start(len - MAX));
    }
    let mut buf = Vec::new();
    let _ = f.take(MAX).read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(12)..];
    if tail.is_empty() {
        String::new()
    } else {
        format!("\n{}", tail.join("\n"))
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines() {
        let mut r = BufReader::with_capacity(4, &b"ab\ncdefgh\n\nlast"[..]);
        assert_eq!(
            read_bounded_line(&mut r, 100).ok().flatten().as_deref(),
            Some("ab")
        );
        assert_eq!(
            read_bounded_line(&mut r, 100).ok().flatten().as_deref(),
            Some("cdefgh")
        );
        assert_eq!(
            read_bounded_line(&mut r, 100).ok().flatten().as_deref(),
            Some("")
        );
        assert_eq!(
            read_bounded_line(&mut r, 100).ok().flatten().as_deref(),
            Some("last")
        );
        assert!(matches!(read_bounded_line(&mut r, 100), Ok(None)));
        let mut long = BufReader::with_capacity(4, &b"0123456789abcdef\n"[..]);
        assert!(read_bounded_line(&mut long, 8).is_err());
    }

    #[test]
    fn debug_events_are_decoded_masked_and_named() {
        let vars: BTreeMap<String, String> = [("pw".to_string(), "hunter2".to_string())].into();
        let secret: BTreeSet<String> = ["pw".to_string()].into();
        let sub = substitute("SELECT '${pw}';", &vars, &secret);
        let mut cols = HashMap::new();
        let sink = to_debug_event(
            &json!({"id":1,"event":"sink","sink":"out","statement":3,
                    "columns":[{"name":"a","type":"INT"},{"name":"b","type":"STRING"}]}),
            &sub,
            &mut cols,
        );
        assert!(
            matches!(&sink, Some(DebugEvent::Sink { sink, statement: 3, columns }) if sink == "out" && columns.len() == 2),
            "{sink:?}"
        );
        let row = to_debug_event(
            &json!({"id":1,"event":"row","sink":"out","kind":"+I","values":[1,"hunter2!"]}),
            &sub,
            &mut cols,
        );
        let Some(DebugEvent::Row(row)) = row else {
            panic!("{row:?}");
        };
        assert_eq!(
            row.to_json_line(),
            r#"{"sink":"out","kind":"+I","row":{"a":1,"b":"***!"}}"#
        );
        let done = to_debug_event(
            &json!({"id":1,"event":"done","ok":true,"rows":1,"stopped":"rows"}),
            &sub,
            &mut cols,
        );
        assert_eq!(
            done,
            Some(DebugEvent::Done(DebugSummary {
                ok: true,
                rows: 1,
                stopped: "rows".to_string()
            }))
        );
    }
}
