//! Flink SQL scripts: the problems a validation reports (pure types; no I/O).

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a problem is: an error stops the script from running; a warning does not (e.g. a
/// connector whose factory is not on the classpath, so its statements were not checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemSeverity {
    Error,
    Warning,
}

impl ProblemSeverity {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemSeverity::Error => "error",
            ProblemSeverity::Warning => "warning",
        }
    }
}

impl fmt::Display for ProblemSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem of a script, located in the whole script as written (not in its statement):
/// 1-based line and column (characters), the 1-based statement number (`;`-separated pieces).
///
/// JSON (`flinkdeck sql validate --json`): `{"line", "column", "statement", "severity",
/// "message"}` plus, when known, `end_line`/`end_column` (the end of the span Flink names,
/// inclusive), `connector` (a missing connector or format) and `table`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqlProblem {
    pub line: u32,
    pub column: u32,
    pub statement: u32,
    pub severity: ProblemSeverity,
    /// Flink's message, without Java stack noise.
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
}

impl SqlProblem {
    pub fn new(
        statement: u32,
        line: u32,
        column: u32,
        severity: ProblemSeverity,
        message: String,
    ) -> SqlProblem {
        SqlProblem {
            line,
            column,
            statement,
            severity,
            message,
            end_line: None,
            end_column: None,
            connector: None,
            table: None,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == ProblemSeverity::Error
    }
}

/// What a debug run of a script (sources on datagen, sinks collected) reports, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SqlDebugEvent {
    /// The run began; `note` says that nothing is written to real systems.
    Started {
        note: String,
    },
    /// A table now reads from datagen instead of `connector`.
    Replaced {
        table: String,
        connector: String,
    },
    /// A collected sink and its columns.
    Sink {
        sink: String,
        columns: Vec<String>,
    },
    /// One row for a sink; values rendered as text, in the sink's column order.
    Row {
        sink: String,
        kind: String,
        values: Vec<String>,
    },
    Problem(SqlProblem),
    /// The run ended by itself (row or time limit, sources finished).
    Done {
        ok: bool,
        rows: u64,
        stopped: String,
    },
    /// The helper could not run it.
    Failed {
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_json_shape() {
        let p = SqlProblem::new(
            2,
            3,
            8,
            ProblemSeverity::Warning,
            "no factory for connector 'kafka'".into(),
        );
        let v = serde_json::to_value(&p).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"line": 3, "column": 8, "statement": 2, "severity": "warning",
                "message": "no factory for connector 'kafka'"})
        );
        assert_eq!(serde_json::from_value::<SqlProblem>(v).expect("back"), p);
    }
}
