//! `flinkdeck sql validate` against the real jars of Flink 2.3.0 and 1.20.5 (no cluster needed:
//! only the Flink homes that `scripts/flink-local.sh install` provides): positions of syntax,
//! unknown-column, unknown-table and type errors in the whole script, missing connectors as
//! warnings, `${vars}`, secrets that never show, the JSON shape, exit codes, and the reuse of the
//! helper JVM through the Rust API (timings printed, not asserted).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;
use flinkdeck::sqltools::{Severity, SqlHelper};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Shared data dir (the helper jars are built once per version and source).
fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sql-validate-data")
}

/// A config with one cluster at `cluster_url` and `[[flink]]` homes for both versions.
fn config(dir: &Path, cluster_url: &str) -> PathBuf {
    let mut text = format!(
        "[[clusters]]\nname = \"only\"\nkind = \"standalone\"\nurl = \"{cluster_url}\"\n\
         timeout = \"2s\"\n"
    );
    for v in VERSIONS {
        text.push_str(&format!(
            "\n[[flink]]\nversion = \"{v}\"\nhome = \"{}\"\n",
            flink_home(v).display()
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new() -> Env {
        Env::with_cluster(&format!("http://127.0.0.1:{}", closed_port()))
    }

    fn with_cluster(url: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = config(dir.path(), url);
        Env { dir, config }
    }

    fn script(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write script");
        p
    }

    /// `flinkdeck sql validate FILE ARGS...` (the file as given, for the human output).
    fn validate(&self, file: &Path, args: &[&str]) -> Output {
        self.validate_env(file, args, &[])
    }

    fn validate_env(&self, file: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let start = Instant::now();
        let mut cmd = Command::new(bin());
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(data_dir())
            .args(["sql", "validate"])
            .arg(file)
            .args(args)
            .env_remove("FLINKDECK_CONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("run flinkdeck");
        eprintln!(
            "sql validate {} {args:?}: exit {:?} in {} ms\nstdout:\n{}stderr:\n{}",
            file.display(),
            out.status.code(),
            start.elapsed().as_millis(),
            stdout(&out),
            stderr(&out)
        );
        out
    }
}

/// The problems of a `--json` run.
fn problems(out: &Output) -> Vec<Value> {
    let v: Value = serde_json::from_str(stdout(out).trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout(out)));
    v.as_array().expect("a JSON array").clone()
}

/// (line, column, statement, severity) of a problem.
fn at(p: &Value) -> (u64, u64, u64, &str) {
    (
        p["line"].as_u64().expect("line"),
        p["column"].as_u64().expect("column"),
        p["statement"].as_u64().expect("statement"),
        p["severity"].as_str().expect("severity"),
    )
}

fn message(p: &Value) -> &str {
    p["message"].as_str().expect("message")
}

/// The first 11 lines of every script: a comment, a SET, two tables (statements 1 to 3).
const PRELUDE: &str = "\
-- orders pipeline
SET 'pipeline.name' = 'orders';

CREATE TABLE orders (
  id BIGINT,
  amount INT,
  name STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'datagen');
CREATE TABLE totals (id BIGINT, amount INT) WITH ('connector' = 'blackhole');
";

// ---------------------------------------------------------------------------------------------
// Valid scripts

fn valid_script_passes(version: &str) {
    let env = Env::new();
    let script = format!(
        "{PRELUDE}
CREATE TEMPORARY VIEW big AS SELECT id, amount FROM orders WHERE amount > 100;
INSERT INTO totals SELECT id, amount FROM big;
EXECUTE STATEMENT SET BEGIN
INSERT INTO totals SELECT id, amount FROM orders;
INSERT INTO totals SELECT id, CAST(COUNT(*) AS INT) FROM orders GROUP BY id;
END;
"
    );
    let file = env.script("valid.sql", &script);
    let out = env.validate(&file, &["--flink", version, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "[]");

    // Human output: nothing on stdout, a verdict on stderr.
    let out = env.validate(&file, &["--flink", version]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("valid"), "{}", stderr(&out));
    assert!(stderr(&out).contains(version), "{}", stderr(&out));
}

#[test]
fn valid_script_passes_2_3() {
    valid_script_passes(V2);
}

#[test]
fn valid_script_passes_1_20() {
    valid_script_passes(V1);
}

// ---------------------------------------------------------------------------------------------
// Errors at the right line and column

/// Lines 13 onwards: one broken statement after another (validation goes on after an error).
const ERRORS: &str = "
INSERT INTO totals
SELECT id, amout FROM orders;
INSERT INTO totals
SELECT id, amount
FROM ordrs;
INSERT INTO totals
SELECT id,, amount FROM orders;
INSERT INTO totals SELECT id, name FROM orders;
SET 'a' = 'b'; INSERT INTO totals SELECT id, amount + TRUE FROM orders;
";

fn errors_are_placed_in_the_whole_script(version: &str) {
    let env = Env::new();
    let file = env.script("errors.sql", &format!("{PRELUDE}{ERRORS}"));
    let out = env.validate(&file, &["--flink", version, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let ps = problems(&out);
    assert_eq!(ps.len(), 5, "{ps:#?}");

    // Unknown column: statement 4 starts on line 13; `amout` is line 14, columns 12-16.
    assert_eq!(at(&ps[0]), (14, 12, 4, "error"));
    assert_eq!(message(&ps[0]), "Column 'amout' not found in any table");
    assert_eq!(
        (ps[0]["end_line"].as_u64(), ps[0]["end_column"].as_u64()),
        (Some(14), Some(16))
    );

    // Unknown table: `ordrs` on line 17, columns 6-10 (statement 5 starts on line 15).
    assert_eq!(at(&ps[1]), (17, 6, 5, "error"));
    assert_eq!(message(&ps[1]), "Object 'ordrs' not found");

    // Syntax error: the second comma, line 19 column 11.
    assert_eq!(at(&ps[2]), (19, 11, 6, "error"));
    assert!(message(&ps[2]).contains("\",\""), "{}", message(&ps[2]));

    // Type mismatch between the query and the sink: the INSERT itself (line 20, column 1).
    assert_eq!(at(&ps[3]), (20, 1, 7, "error"));
    assert!(
        message(&ps[3]).contains("Incompatible types for sink column 'amount'"),
        "{}",
        message(&ps[3])
    );

    // Type mismatch in an expression of a statement that starts mid-line (column 16):
    // `amount + TRUE` is at column 16 + 30 = 46 (statement 8 is the SET before it).
    assert_eq!(at(&ps[4]), (21, 46, 9, "error"));
    assert!(
        message(&ps[4])
            .starts_with("Cannot apply '+' to arguments of type '<INTEGER> + <BOOLEAN>'"),
        "{}",
        message(&ps[4])
    );

    // No Java noise in any message.
    for p in &ps {
        let m = message(p);
        assert!(!m.contains("org.apache"), "{m}");
        assert!(!m.contains("Exception"), "{m}");
        assert!(!m.contains("SQL validation failed"), "{m}");
        assert!(!m.contains('\n'), "{m}");
    }

    // Human output: FILE:LINE:COLUMN: error: message (statement N), in order.
    let out = env.validate(&file, &["--flink", version]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(
        lines[0],
        format!(
            "{}:14:12: error: Column 'amout' not found in any table (statement 4)",
            file.display()
        )
    );
    assert!(
        lines[1].starts_with(&format!("{}:17:6: error: ", file.display())),
        "{}",
        lines[1]
    );
    assert!(stderr(&out).contains("5 errors"), "{}", stderr(&out));
}

#[test]
fn errors_are_placed_in_the_whole_script_2_3() {
    errors_are_placed_in_the_whole_script(V2);
}

#[test]
fn errors_are_placed_in_the_whole_script_1_20() {
    errors_are_placed_in_the_whole_script(V1);
}

fn scripts_that_do_not_split_are_errors(version: &str) {
    let env = Env::new();
    let file = env.script(
        "unclosed.sql",
        &format!("{PRELUDE}\nINSERT INTO totals SELECT id, 'oops FROM orders;\n"),
    );
    let out = env.validate(&file, &["--flink", version, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let ps = problems(&out);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    // The quote on line 13, column 31.
    assert_eq!(at(&ps[0]), (13, 31, 4, "error"));
    assert!(
        message(&ps[0]).contains("never closed"),
        "{}",
        message(&ps[0])
    );
}

#[test]
fn scripts_that_do_not_split_are_errors_2_3() {
    scripts_that_do_not_split_are_errors(V2);
}

#[test]
fn scripts_that_do_not_split_are_errors_1_20() {
    scripts_that_do_not_split_are_errors(V1);
}

// ---------------------------------------------------------------------------------------------
// Missing connectors

fn missing_connector_is_a_warning(version: &str) {
    let env = Env::new();
    let script = format!(
        "{PRELUDE}
CREATE TABLE clicks (
  id BIGINT,
  amount INT
) WITH ('connector' = 'kafka', 'topic' = 'clicks', 'format' = 'json');
INSERT INTO totals SELECT id, amount FROM clicks;
INSERT INTO totals SELECT id, amount FROM orders;
INSERT INTO totals SELECT c.id, o.amount FROM clicks AS c JOIN orders AS o ON c.id = o.id;
"
    );
    let file = env.script("kafka.sql", &script);
    let out = env.validate(&file, &["--flink", version, "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings only: {}",
        stderr(&out)
    );
    let ps = problems(&out);
    assert!(ps.iter().all(|p| p["severity"] == "warning"), "{ps:#?}");
    // The DDL (statement 4, line 13) names the connector and the statements that use the table.
    let ddl = &ps[0];
    assert_eq!(at(ddl), (13, 1, 4, "warning"));
    assert_eq!(ddl["connector"], "kafka");
    let m = message(ddl);
    assert!(m.contains("'kafka'"), "{m}");
    assert!(m.contains("statements 5, 7"), "{m}");
    assert!(!m.contains('6'), "statement 6 does not use clicks: {m}");
    // Each statement that reads it is a warning too, at its own start; statement 6 is clean.
    let dml: Vec<(u64, u64, u64, &str)> = ps[1..].iter().map(at).collect();
    assert_eq!(
        dml,
        vec![(17, 1, 5, "warning"), (19, 1, 7, "warning")],
        "{ps:#?}"
    );
    assert!(ps[1..].iter().all(|p| p["connector"] == "kafka"));

    // A real error next to a missing connector is still an error.
    let file = env.script(
        "kafka-bad.sql",
        &format!(
            "{PRELUDE}CREATE TABLE clicks (id BIGINT) WITH ('connector' = 'kafka');\n\
             INSERT INTO totals SELECT id, amout FROM clicks;\n"
        ),
    );
    let out = env.validate(&file, &["--flink", version, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let ps = problems(&out);
    assert!(
        ps.iter()
            .any(|p| at(p) == (13, 31, 5, "error") && message(p).contains("amout")),
        "{ps:#?}"
    );
}

#[test]
fn missing_connector_is_a_warning_2_3() {
    missing_connector_is_a_warning(V2);
}

#[test]
fn missing_connector_is_a_warning_1_20() {
    missing_connector_is_a_warning(V1);
}

// ---------------------------------------------------------------------------------------------
// Variables and secrets

fn variables_are_substituted(version: &str) {
    let env = Env::new();
    // Valid only once ${src} names a table and ${conn} a connector that exists.
    let script = "\
CREATE TABLE ${src} (id BIGINT, amount INT) WITH ('connector' = '${conn}');
CREATE TABLE sink (id BIGINT, amount INT) WITH ('connector' = 'blackhole');
INSERT INTO sink
SELECT id, amount FROM ${src} WHERE amount > ${min};
";
    let file = env.script("vars.sql", script);
    let out = env.validate(
        &file,
        &[
            "--flink",
            version,
            "--json",
            "--var",
            "src=orders",
            "--var",
            "conn=datagen",
            "--var",
            "min=10",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(stdout(&out).trim(), "[]");

    // Positions after a substituted value still point into the script as written: `amout`
    // follows `${src}` (a longer value) on line 4.
    let file = env.script(
        "vars-bad.sql",
        "CREATE TABLE ${src} (id BIGINT, amount INT) WITH ('connector' = 'datagen');\n\
         CREATE TABLE sink (id BIGINT, amount INT) WITH ('connector' = 'blackhole');\n\
         INSERT INTO sink\n\
         SELECT id, amount FROM ${src} WHERE amout > 1;\n",
    );
    let out = env.validate(
        &file,
        &[
            "--flink",
            version,
            "--json",
            "--var",
            "src=a_much_longer_name",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let ps = problems(&out);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(at(&ps[0]), (4, 37, 3, "error"));

    // Undefined: an error at the variable (line 4, column 46), and no echo of it from Flink.
    let out = env.validate(
        &env.script("vars.sql", script),
        &[
            "--flink",
            version,
            "--json",
            "--var",
            "src=orders",
            "--var",
            "conn=datagen",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let ps = problems(&out);
    assert_eq!(ps.len(), 1, "{ps:#?}");
    assert_eq!(at(&ps[0]), (4, 46, 3, "error"));
    assert!(message(&ps[0]).contains("${min}"), "{}", message(&ps[0]));
}

#[test]
fn variables_are_substituted_2_3() {
    variables_are_substituted(V2);
}

#[test]
fn variables_are_substituted_1_20() {
    variables_are_substituted(V1);
}

fn secrets_never_show(version: &str) {
    const SECRET: &str = "hunter2SuperSecret";
    let env = Env::new();
    // The secret lands in a column name (so Flink's error quotes it), in the options of a table
    // whose connector is missing, and in an option value Flink rejects.
    let script = format!(
        "{PRELUDE}
CREATE TABLE k (id BIGINT, amount INT) WITH (
  'connector' = 'kafka',
  'properties.sasl.jaas.config' = 'password=\"${{pw}}\"'
);
INSERT INTO totals SELECT id, amount FROM k;
INSERT INTO totals SELECT id, ${{pw}} FROM orders;
CREATE TABLE g (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '${{pw}}');
INSERT INTO totals SELECT id, 1 FROM g;
"
    );
    let file = env.script("secret.sql", &script);
    for json in [true, false] {
        let mut args = vec!["--flink", version, "--secret-env", "pw=FD_TEST_SECRET"];
        if json {
            args.push("--json");
        }
        let out = env.validate_env(&file, &args, &[("FD_TEST_SECRET", SECRET)]);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(SECRET), "the secret leaked:\n{all}");
        assert!(
            !all.contains("hunter2"),
            "part of the secret leaked:\n{all}"
        );
        assert!(all.contains("Column '***' not found"), "{all}");
        if json {
            let ps = problems(&out);
            let col = ps
                .iter()
                .find(|p| message(p).contains("Column '***'"))
                .expect("the column error");
            // `${pw}` is at line 18, column 31 of the script as written.
            assert_eq!(at(col), (18, 31, 6, "error"));
        }
    }
    // The helper's log never holds it either (Flink logs at WARN and up only).
    let logs: Vec<PathBuf> = std::fs::read_dir(data_dir().join("helpers"))
        .expect("helpers dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(!text.contains(SECRET), "{} holds the secret", log.display());
    }
}

#[test]
fn secrets_never_show_2_3() {
    secrets_never_show(V2);
}

#[test]
fn secrets_never_show_1_20() {
    secrets_never_show(V1);
}

// ---------------------------------------------------------------------------------------------
// JSON shape, usage errors, the version of a cluster

#[test]
fn json_shape_is_exact() {
    let env = Env::new();
    let file = env.script("shape.sql", &format!("{PRELUDE}{ERRORS}"));
    let out = env.validate(&file, &["--flink", V2, "--json"]);
    for p in problems(&out) {
        let obj = p.as_object().expect("objects");
        for key in ["line", "column", "statement"] {
            assert!(obj[key].as_u64().is_some_and(|n| n >= 1), "{key} in {p}");
        }
        assert!(
            matches!(obj["severity"].as_str(), Some("error" | "warning")),
            "{p}"
        );
        assert!(
            obj["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{p}"
        );
        let allowed = [
            "line",
            "column",
            "statement",
            "severity",
            "message",
            "end_line",
            "end_column",
            "connector",
            "table",
        ];
        for key in obj.keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "unexpected field {key} in {p}"
            );
        }
    }
    // The required fields come first, in the documented order.
    let text = stdout(&out);
    let first = text.find("\"line\"").expect("line");
    let order: Vec<usize> = [
        "\"line\"",
        "\"column\"",
        "\"statement\"",
        "\"severity\"",
        "\"message\"",
    ]
    .iter()
    .map(|k| text[first..].find(k).expect(k))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    let file = env.script("ok.sql", PRELUDE);
    // A missing file.
    let out = env.validate(&env.dir.path().join("nope.sql"), &["--flink", V2]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.sql"), "{}", stderr(&out));
    // A Flink version without a home: the message says how to configure one.
    let out = env.validate(&file, &["--flink", "9.9.9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[[flink]]"), "{}", stderr(&out));
    assert!(stderr(&out).contains("9.9.9"), "{}", stderr(&out));
    // An unknown cluster.
    let out = env.validate(&file, &["--cluster", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope"), "{}", stderr(&out));
    // Both --cluster and --flink.
    let out = env.validate(&file, &["--cluster", "only", "--flink", V2]);
    assert_eq!(out.status.code(), Some(2));
    // A malformed --var.
    let out = env.validate(&file, &["--flink", V2, "--var", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
    // A jar that does not exist.
    let out = env.validate(
        &file,
        &["--flink", V2, "--jar", "/nonexistent/connector.jar"],
    );
    assert_eq!(out.status.code(), Some(2));
    // No --flink and the only cluster is unreachable: exit 3, and the way out is named.
    let out = env.validate(&file, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("--flink"), "{}", stderr(&out));
}

/// A one-endpoint fake JobManager: every request gets an overview naming `version`.
fn fake_cluster(version: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            use std::io::{Read, Write};
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let body = format!(
                "{{\"taskmanagers\":1,\"slots-total\":1,\"slots-available\":1,\
                 \"jobs-running\":0,\"flink-version\":\"{version}\",\"flink-commit\":\"x\"}}"
            );
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn the_version_comes_from_the_cluster() {
    let env = Env::with_cluster(&fake_cluster(V1));
    let file = env.script(
        "ok.sql",
        &format!("{PRELUDE}INSERT INTO totals SELECT id, amount FROM orders;\n"),
    );
    // The only cluster, then by name: both report 1.20.5, so the 1.20.5 jars are used.
    for args in [&[][..], &["--cluster", "only"][..]] {
        let out = env.validate(&file, args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains("Flink 1.20.5"), "{}", stderr(&out));
    }
}

// ---------------------------------------------------------------------------------------------
// The Rust API: the helper JVM is reused (and restarted when it dies)

/// Pids of this process's `java` children.
fn java_children() -> Vec<u32> {
    let me = std::process::id();
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // pid (comm) state ppid ...
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let ppid = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(me) && stat.contains("(java)") {
            out.push(pid);
        }
    }
    out
}

/// Flink's planner copies (`flink-table-planner_<uuid>.jar`) in the helpers' private temp dirs
/// (`<cache>/tmp/<pid>-<n>/`) of this test process.
fn planner_copies(cache: &Path) -> Vec<PathBuf> {
    let mine = format!("{}-", std::process::id());
    let mut out = Vec::new();
    for dir in std::fs::read_dir(cache.join("tmp"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if !dir.file_name().to_string_lossy().starts_with(&mine) {
            continue;
        }
        for f in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            if f.file_name()
                .to_string_lossy()
                .starts_with("flink-table-planner_")
            {
                out.push(f.path());
            }
        }
    }
    out
}

fn helper_is_reused(version: &str) {
    let home = flink_home(version);
    let cache = data_dir().join("helpers");
    std::fs::create_dir_all(&cache).expect("cache dir");
    let script = format!("{PRELUDE}{ERRORS}");
    rt().block_on(async {
        let t = Instant::now();
        let mut helper = SqlHelper::start(&home, version, &cache, &[])
            .await
            .unwrap_or_else(|e| panic!("start the helper for {version}: {e}"));
        let started = t.elapsed();
        assert_eq!(helper.flink_version(), version);

        let t = Instant::now();
        let first = helper.validate(&script).await.expect("first validation");
        let first_time = t.elapsed();
        let t = Instant::now();
        let second = helper.validate(&script).await.expect("second validation");
        let second_time = t.elapsed();
        let t = Instant::now();
        let third = helper
            .validate_with(
                &format!("{PRELUDE}INSERT INTO totals SELECT id, amount FROM ${{t}};\n"),
                &BTreeMap::from([("t".to_string(), "orders".to_string())]),
                &BTreeSet::new(),
            )
            .await
            .expect("third validation");
        let third_time = t.elapsed();
        eprintln!(
            "Flink {version}: helper started in {} ms; first validation {} ms, second {} ms, \
             third (another script) {} ms",
            started.as_millis(),
            first_time.as_millis(),
            second_time.as_millis(),
            third_time.as_millis()
        );
        assert_eq!(first, second);
        assert_eq!(first.len(), 5);
        assert!(first.iter().all(|p| p.severity == Severity::Error));
        assert!(third.is_empty(), "{third:?}");
        assert_eq!(helper.starts(), 1, "one JVM for all three");
        // Flink's planner copy is in the helper's own temp dir, not in /tmp.
        let copies = planner_copies(&cache);
        assert_eq!(copies.len(), 1, "{version}: {copies:?}");

        // A helper that died is started again, and the request still gets its answer.
        let kids = java_children();
        assert_eq!(kids.len(), 1, "one helper JVM: {kids:?}");
        let _ = Command::new("kill")
            .arg("-9")
            .arg(kids[0].to_string())
            .status();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let t = Instant::now();
        helper
            .warm_up()
            .await
            .expect("warm-up (restarts the helper)");
        let restarted = t.elapsed();
        let t = Instant::now();
        let again = helper.validate(&script).await.expect("after a restart");
        eprintln!(
            "Flink {version}: after the helper was killed: restart + warm-up {} ms, then the \
             first validation {} ms",
            restarted.as_millis(),
            t.elapsed().as_millis()
        );
        assert_eq!(again, first);
        assert_eq!(helper.starts(), 2);
        // The killed JVM's copy went with its temp dir; the new JVM has its own.
        let after = planner_copies(&cache);
        assert_eq!(after.len(), 1, "{version}: {after:?}");
        assert_ne!(after, copies, "{version}: a new JVM, a new copy");
        helper.shutdown().await;
        let left = planner_copies(&cache);
        assert!(left.is_empty(), "{version}: left behind: {left:?}");
    });
}

#[test]
fn the_helper_can_live_in_a_task() {
    fn assert_send<T: Send + 'static>() {}
    assert_send::<SqlHelper>();
    assert_send::<flinkdeck::sqltools::DebugEvent>();
    assert_send::<flinkdeck::sqltools::SqlToolsError>();
}

/// One test for both versions: they use `java_children`, which must not see the other's JVM.
#[test]
fn helper_is_reused_and_restarted() {
    helper_is_reused(V2);
    helper_is_reused(V1);
}

// ---------------------------------------------------------------------------------------------
// --jar: an app's own jars (here a UDF) are on the helper's classpath

/// A jar with `flinkdeck.test.Shout` (a scalar function), compiled against `version`'s lib/.
fn udf_jar(version: &str, dir: &Path) -> PathBuf {
    let src = dir.join("src/flinkdeck/test");
    std::fs::create_dir_all(&src).expect("mkdir");
    std::fs::write(
        src.join("Shout.java"),
        "package flinkdeck.test;\n\
         public class Shout extends org.apache.flink.table.functions.ScalarFunction {\n\
         public String eval(String s) { return s == null ? null : s.toUpperCase() + \"!\"; }\n\
         }\n",
    )
    .expect("write udf");
    let classes = dir.join("classes");
    let javac = Command::new("javac")
        .args(["--release", "11", "-nowarn", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(flink_home(version).join("lib").join("*"))
        .arg(src.join("Shout.java"))
        .output()
        .expect("run javac");
    assert!(javac.status.success(), "{}", stderr(&javac));
    let jar = dir.join("udf.jar");
    let packed = Command::new("jar")
        .arg("--create")
        .arg("--file")
        .arg(&jar)
        .arg("-C")
        .arg(&classes)
        .arg(".")
        .output()
        .expect("run jar");
    assert!(packed.status.success(), "{}", stderr(&packed));
    jar
}

#[test]
fn extra_jars_are_on_the_classpath() {
    for version in VERSIONS {
        let env = Env::new();
        let jar = udf_jar(version, env.dir.path());
        let file = env.script(
            "udf.sql",
            &format!(
                "{PRELUDE}CREATE TEMPORARY FUNCTION shout AS 'flinkdeck.test.Shout';\n\
                 CREATE TABLE named (id BIGINT, name STRING) WITH ('connector' = 'blackhole');\n\
                 INSERT INTO named SELECT id, shout(name) FROM orders;\n"
            ),
        );
        // Without the jar the function's class is missing (line 12, statement 4) ...
        let out = env.validate(&file, &["--flink", version, "--json"]);
        assert_eq!(out.status.code(), Some(1));
        let ps = problems(&out);
        assert!(
            ps.iter().any(
                |p| at(p) == (12, 1, 4, "error") && message(p).contains("flinkdeck.test.Shout")
            ),
            "{ps:#?}"
        );
        // ... and with it the script is valid.
        let jar = jar.to_string_lossy().into_owned();
        let out = env.validate(&file, &["--flink", version, "--json", "--jar", &jar]);
        assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
        assert_eq!(stdout(&out).trim(), "[]");
    }
}

#[test]
fn external_catalogs_are_not_opened() {
    for version in VERSIONS {
        let env = Env::new();
        let file = env.script(
            "catalog.sql",
            "CREATE CATALOG lake WITH ('type' = 'hive', 'hive-conf-dir' = '/nonexistent/hive');\n\
             CREATE TABLE sink (id BIGINT) WITH ('connector' = 'blackhole');\n\
             INSERT INTO sink SELECT id FROM lake.sales.orders;\n\
             INSERT INTO sink SELECT id FROM sales_orders;\n",
        );
        let out = env.validate(&file, &["--flink", version, "--json"]);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        let ps = problems(&out);
        let summary: Vec<(u64, u64, u64, &str)> = ps.iter().map(at).collect();
        // The catalog (not opened: a warning), a table in it (unknown here: a warning), and a
        // table that exists nowhere (an error).
        assert_eq!(
            summary,
            vec![
                (1, 1, 1, "warning"),
                (3, 33, 3, "warning"),
                (4, 33, 4, "error")
            ],
            "{ps:#?}"
        );
        assert!(message(&ps[0]).contains("'lake'"), "{}", message(&ps[0]));
    }
}

/// The editor's validation goes through the workers: an app's `jars` (here a UDF) are on the
/// helper's classpath, so its script validates; the same script as a scratch buffer (no app,
/// no jars) does not. Real Flink 2.3.0 cluster (for its version) and libs.
#[test]
fn editor_validation_uses_the_apps_dependency_jars() {
    use flinkdeck::domain::{WorkerReply, WorkerRequest};
    let url = ensure_cluster(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let jar = udf_jar(V2, dir.path());
    let config = write_config(dir.path(), &[("c", &url)], "1s");
    let sql = "CREATE TABLE src (id BIGINT, name STRING) WITH ('connector' = 'datagen');\n\
               CREATE TEMPORARY FUNCTION shout AS 'flinkdeck.test.Shout';\n\
               CREATE TABLE named (id BIGINT, name STRING) WITH ('connector' = 'blackhole');\n\
               INSERT INTO named SELECT id, shout(name) FROM src;\n";
    std::fs::write(dir.path().join("udf.sql"), sql).expect("sql");
    let spec = dir.path().join("udf.app.toml");
    std::fs::write(
        &spec,
        format!(
            "name = \"udf-app\"\ncluster = \"c\"\nkind = \"sql\"\nsql_file = \"udf.sql\"\njars = [\"{}\"]\n",
            jar.display()
        ),
    )
    .expect("spec");
    let out = cli(
        &config,
        dir.path(),
        &["apply", "-f", spec.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let ctx =
        flinkdeck::cli::setup::Context::load(Some(&config), Some(dir.path())).expect("context");
    let _guard = rt().enter();
    let ops = ctx.ops(false, false).expect("ops");
    let mut workers = flinkdeck::service::spawn_workers(
        &ctx.clusters,
        Some(ops.store.clone()),
        Duration::from_secs(5),
        Some(ops),
    );
    let mut validate = |request: u64, app: Option<&str>| {
        workers
            .requests
            .try_send(WorkerRequest::ValidateSql {
                request,
                app: app.map(str::to_string),
                cluster: None,
                sql: sql.to_string(),
            })
            .expect("send");
        loop {
            let reply = rt()
                .block_on(tokio::time::timeout(
                    Duration::from_secs(120),
                    workers.replies.recv(),
                ))
                .expect("a reply in time")
                .expect("workers alive");
            if let WorkerReply::SqlValidated { request: r, result } = reply {
                assert_eq!(r, request);
                return result.expect("validation ran");
            }
        }
    };
    let (with_app, _ms) = validate(1, Some("udf-app"));
    assert!(
        with_app
            .iter()
            .all(|p| p.severity != flinkdeck::domain::ProblemSeverity::Error),
        "{with_app:#?}"
    );
    let (scratch, _ms) = validate(2, None);
    assert!(
        scratch
            .iter()
            .any(|p| p.line == 2 && p.message.contains("flinkdeck.test.Shout")),
        "{scratch:#?}"
    );
}

/// A config that lists only `[[flink]]` homes (no cluster at all) is valid: commands that need no
/// cluster work, and those that list clusters list none.
#[test]
fn a_config_without_clusters_serves_commands_that_need_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("[ui]\nrefresh = \"2s\"\n");
    for v in VERSIONS {
        text.push_str(&format!(
            "\n[[flink]]\nversion = \"{v}\"\nhome = \"{}\"\n",
            flink_home(v).display()
        ));
    }
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).expect("write config");
    let env = Env {
        dir,
        config: config.clone(),
    };
    let file = env.script("bad.sql", "SELECT amout FROM (VALUES (1)) AS t(amount);\n");
    let out = env.validate(&file, &["--flink", V2, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("amout"), "{}", stdout(&out));

    let data = env.dir.path().join("data");
    for (args, want) in [
        (&["jobs", "--json"][..], "[]"),
        (&["clusters", "--json"][..], "[]"),
        (&["apps", "--json"][..], "[]"),
        (&["audit", "--json"][..], "[]"),
    ] {
        let out = Command::new(bin())
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env_remove("FLINKDECK_CONFIG")
            .output()
            .expect("run flinkdeck");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), want, "{args:?}");
    }
}
