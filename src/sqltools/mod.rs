//! SQL tools: validation of Flink SQL scripts by Flink's own planner, and debug runs on fake data,
//! both in a local "helper" JVM that is started once and reused.
//!
//! The helper is the SQL runner's jar (`crate::sqlrunner`, compiled against the `lib/` of the
//! Flink version the script will run on) started as
//! `java -cp <runner jar>:<home>/lib/*:<app jars> flinkdeck.sqlrunner.FlinkdeckSqlRunner --serve`;
//! it answers one JSON request per line on stdin with JSON lines on stdout (protocol in
//! `src/sqlrunner/FlinkdeckSqlTools.java`). Its stderr (Flink's log, WARN and up) goes to
//! `<cache dir>/sql-helper-<version>.log`.
//!
//! [`SqlHelper`] is the API for the CLI and the editor:
//! - [`SqlHelper::start`] builds the jar if needed and starts the JVM (≈0.3 s until ready);
//! - [`SqlHelper::validate_with`] substitutes `${vars}`, validates, maps positions back to the
//!   script as written and masks secret values: a list of [`Problem`]s. The first validation in
//!   a fresh JVM takes ≈2–3 s (planner warm-up), later ones ≈0.05–0.2 s;
//! - [`SqlHelper::debug`] runs the script on datagen sources with collected sinks and streams
//!   [`DebugEvent`]s through a bounded channel (dropping the receiver cancels the run).
//!
//! A helper that died (or hangs past a request's time limit) is killed and started again on the
//! next request; a request that met a dead helper is retried once.

mod helper;
mod jvm_tmp;
pub mod vars;

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

pub use helper::{DebugOptions, SqlHelper, HELPER_LOG_PREFIX};
pub use vars::{mask, substitute, Substituted};

/// Problems are the domain's: one type from the helper's JSON to the editor's gutter.
pub use crate::domain::{ProblemSeverity as Severity, SqlProblem as Problem};

/// A column of a debug run's sink.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DebugColumn {
    pub name: String,
    /// Flink's type, e.g. `BIGINT NOT NULL`.
    #[serde(rename = "type")]
    pub data_type: String,
}

/// One row a sink of a debug run received.
#[derive(Debug, Clone, PartialEq)]
pub struct DebugRow {
    /// The sink table's name (or `statement N` for a top-level SELECT).
    pub sink: String,
    /// `+I`, `-U`, `+U` or `-D`.
    pub kind: String,
    /// The sink's column names (shared by all rows of the sink), in schema order.
    pub columns: Arc<[String]>,
    /// One value per column: numbers, strings (also for DECIMAL, exact, e.g. `"716.00"`; times,
    /// as `2024-05-01 10:00:00.123`; bytes, base64), booleans, null, objects for ROW and MAP
    /// (arrays of `[key, value]` when keys are not strings; MULTISET is a map to counts), arrays
    /// for ARRAY.
    pub values: Vec<serde_json::Value>,
}

impl DebugRow {
    /// `{"sink":…,"kind":…,"row":{"col":value,…}}` with the columns in schema order.
    pub fn to_json_line(&self) -> String {
        let mut out = String::with_capacity(64 + self.values.len() * 16);
        out.push_str("{\"sink\":");
        out.push_str(&json_string(&self.sink));
        out.push_str(",\"kind\":");
        out.push_str(&json_string(&self.kind));
        out.push_str(",\"row\":{");
        for (i, (name, value)) in self.columns.iter().zip(&self.values).enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json_string(name));
            out.push(':');
            out.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".to_string()));
        }
        out.push_str("}}");
        out
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// How a debug run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebugSummary {
    /// The jobs ran (even with no rows). False when the script or a job failed.
    pub ok: bool,
    pub rows: u64,
    /// `rows` (the row limit), `time`, `finished` (every source ended), `cancelled`, `failed`.
    pub stopped: String,
}

/// What a debug run reports, in order: `Replaced` per table, `Sink` per collected query, then
/// `Row`s (and `Problem`s), and always one `Done` or `Failed` last.
#[derive(Debug, Clone, PartialEq)]
pub enum DebugEvent {
    /// A table the script created now reads from datagen (`connector` was its connector).
    Replaced {
        table: String,
        connector: String,
    },
    /// A collected sink (or top-level SELECT) and its columns.
    Sink {
        sink: String,
        statement: u32,
        columns: Vec<DebugColumn>,
    },
    Row(DebugRow),
    Problem(Problem),
    Done(DebugSummary),
    /// The helper itself failed (died, timed out, protocol error); it restarts on next use.
    Failed(String),
}

/// Why the helper could not do what was asked (not problems in the script: those are
/// [`Problem`]s).
#[derive(Debug, thiserror::Error)]
pub enum SqlToolsError {
    #[error(transparent)]
    Build(#[from] crate::sqlrunner::SqlRunnerError),
    #[error("cannot start the SQL helper ({java}): {source}", java = .java.display())]
    Spawn {
        java: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the SQL helper (Flink {version}) stopped: {reason}; its log: {log}{tail}", log = .log.display())]
    Died {
        version: String,
        reason: String,
        log: PathBuf,
        /// The end of the log, masked, with a leading newline (or empty).
        tail: String,
    },
    #[error("the SQL helper did not answer within {seconds} s (killed; it restarts on next use)")]
    Timeout { seconds: u64 },
    #[error("the SQL helper answered something unexpected: {0}")]
    Protocol(String),
    #[error("the SQL helper failed: {0}")]
    Helper(String),
}
