//! The SQL runner (`src/sqlrunner/`) against real Flink 2.3.0 and 1.20.5: the Java helper is
//! compiled with `runner_jar` against each version's `lib/`, uploaded and run with flinkdeck's own
//! REST client and `run_request`, and the resulting jobs are checked through the REST API.
//!
//! Also, without a cluster: how scripts are split (the runner's `--print-statements` mode, run
//! with the local `java`), the build cache, and a build error that names the Flink home.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::*;
use flinkdeck::domain::JobDetail;
use flinkdeck::flink::{FlinkClient, FlinkError};
use flinkdeck::sqlrunner::{self, run_request, runner_jar, SqlRunnerError, ENTRY_CLASS};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Where this test binary keeps built runner jars (survives runs, so the cache is exercised).
fn helpers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlrunner-helpers")
}

/// The runner jar for a version (built on first use).
fn jar(version: &str) -> PathBuf {
    let start = Instant::now();
    let jar = runner_jar(&flink_home(version), version, &helpers_dir())
        .unwrap_or_else(|e| panic!("building the SQL runner for {version}: {e}"));
    eprintln!(
        "runner jar for {version}: {} ({} ms)",
        jar.display(),
        start.elapsed().as_millis()
    );
    jar
}

/// Uploads the runner jar once per cluster per test binary; returns the jar id.
fn jar_id(version: &str, url: &str) -> String {
    static IDS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let mut ids = IDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(id) = ids.get(url) {
        return id.clone();
    }
    let path = jar(version);
    let c = client(url);
    // The file name carries a hash of the version and the source: an upload with the same name
    // is the same jar, so reuse it rather than piling up uploads run after run.
    let name = sqlrunner::jar_file_name(version);
    let listed = rt().block_on(c.get_json("jars")).expect("GET /jars");
    let existing = listed
        .get("files")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .find(|f| f.get("name").and_then(serde_json::Value::as_str) == Some(name.as_str()))
        .and_then(|f| f.get("id").and_then(serde_json::Value::as_str))
        .map(str::to_string);
    let id = match existing {
        Some(id) => id,
        None => rt()
            .block_on(c.upload_jar(&path))
            .unwrap_or_else(|e| panic!("uploading {}: {e}", path.display())),
    };
    ids.insert(url.to_string(), id.clone());
    id
}

/// Runs a script on a cluster through the runner; returns the job id or the REST error.
fn submit(
    version: &str,
    url: &str,
    name: &str,
    script: &str,
    parallelism: Option<u32>,
    options: &BTreeMap<String, String>,
) -> Result<String, FlinkError> {
    let id = jar_id(version, url);
    let req = run_request(script, name, parallelism, options, None, false);
    assert_eq!(req.entry_class.as_deref(), Some(ENTRY_CLASS));
    rt().block_on(client(url).run_jar(&id, &req))
}

/// Waits until the job and all its vertices run; returns its detail.
fn wait_running(c: &FlinkClient, job: &str) -> JobDetail {
    wait_for(
        &format!("job {job} and all its tasks RUNNING"),
        Duration::from_secs(120),
        || {
            let d = rt().block_on(c.job_detail(job)).ok()?;
            assert!(
                !matches!(d.state.as_str(), "FAILED" | "CANCELED" | "FINISHED"),
                "job {job} ended: {}",
                d.state
            );
            let all = !d.vertices.is_empty() && d.vertices.iter().all(|v| v.status == "RUNNING");
            (d.state == "RUNNING" && all).then_some(d)
        },
    )
}

/// Ids of the jobs on the cluster with this name (any state).
fn jobs_named(c: &FlinkClient, name: &str) -> Vec<String> {
    rt().block_on(c.jobs_overview("test"))
        .expect("jobs overview")
        .into_iter()
        .filter(|j| j.name == name)
        .map(|j| j.id)
        .collect()
}

/// The vertex names and the plan's operator descriptions, as one text.
fn plan_text(c: &FlinkClient, job: &str, detail: &JobDetail) -> String {
    let plan = rt()
        .block_on(c.get_json(&format!("jobs/{job}/plan")))
        .expect("job plan");
    let mut text: Vec<String> = detail.vertices.iter().map(|v| v.name.clone()).collect();
    if let Some(nodes) = plan
        .pointer("/plan/nodes")
        .and_then(serde_json::Value::as_array)
    {
        for n in nodes {
            if let Some(d) = n.get("description").and_then(serde_json::Value::as_str) {
                text.push(d.to_string());
            }
        }
    }
    text.join("\n")
}

/// How many of these sink tables appear as sink operators in the job's vertices
/// (`Sink: name[N]` for sink functions, `name[N]: Writer` for the unified sink API).
fn sinks_in(detail: &JobDetail, tables: &[&str]) -> usize {
    tables
        .iter()
        .filter(|t| {
            detail.vertices.iter().any(|v| {
                v.name.contains(&format!("Sink: {t}["))
                    || (v.name.contains(&format!("{t}[")) && v.name.contains("Writer"))
            })
        })
        .count()
}

// ---------------------------------------------------------------------------------------------
// 1. A multi-statement script: SET, comments, ';' in strings, two sinks, one job

const MULTI: &str = "\
-- flinkdeck SQL runner test; this comment has a semicolon
SET 'parallelism.default' = '2';

/* A block comment; with a semicolon,
   over two lines. */
CREATE TABLE src (
  s STRING,
  n INT
) WITH (
  'connector' = 'datagen',
  'rows-per-second' = '5',
  'fields.s.length' = '3'
);
CREATE TABLE sink_blackhole (s STRING) WITH ('connector' = 'blackhole');
CREATE TABLE sink_print (s STRING, n INT) WITH ('connector' = 'print');
;
INSERT INTO sink_blackhole
SELECT CONCAT(s, ';x') FROM src WHERE s <> 'a;b'; -- trailing comment; still one statement
INSERT INTO sink_print /*+ OPTIONS('print-identifier' = 'p;1') */ SELECT s, n FROM src;
-- the end; nothing after this
";

fn multi_statement_script(version: &str) {
    let url = ensure_cluster(version);
    let c = client(&url);
    let mut cleanup = CancelOnDrop::new(&url, Vec::new());
    let name = unique(&format!("sql-multi-{version}"));

    let start = Instant::now();
    let job = submit(version, &url, &name, MULTI, None, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("run: {e}\n{}", e.detail));
    cleanup.jobs.push(job.clone());
    let submitted = start.elapsed();
    let detail = wait_running(&c, &job);
    eprintln!(
        "{version}: run_jar answered after {} ms, all tasks RUNNING after {} ms",
        submitted.as_millis(),
        start.elapsed().as_millis()
    );

    assert_eq!(detail.name, name);
    assert_eq!(jobs_named(&c, &name), vec![job.clone()], "exactly one job");
    assert_eq!(
        sinks_in(&detail, &["sink_blackhole", "sink_print"]),
        2,
        "two sink operators in {:#?}",
        detail.vertices
    );
    assert!(
        detail.vertices.iter().all(|v| v.parallelism == 2),
        "SET 'parallelism.default' = '2' applies to every vertex: {:#?}",
        detail.vertices
    );
    let plan = plan_text(&c, &job, &detail);
    assert!(
        plan.contains("'a;b'") && plan.contains("';x'"),
        "the string literals survive splitting intact:\n{plan}"
    );
}

#[test]
fn multi_statement_script_2_3() {
    multi_statement_script(V2);
}

#[test]
fn multi_statement_script_1_20() {
    multi_statement_script(V1);
}

// ---------------------------------------------------------------------------------------------
// 2. Statement-set blocks: EXECUTE STATEMENT SET BEGIN ... END; and BEGIN STATEMENT SET; ... END;

const TABLES: &str = "\
CREATE TABLE src (s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TABLE sink_a (s STRING) WITH ('connector' = 'blackhole');
CREATE TABLE sink_b (s STRING) WITH ('connector' = 'blackhole');
";

fn statement_sets(version: &str) {
    let url = ensure_cluster(version);
    let c = client(&url);
    let mut cleanup = CancelOnDrop::new(&url, Vec::new());

    // EXECUTE STATEMENT SET, with the request's parallelism and options passed through.
    let name = unique(&format!("sql-exec-set-{version}"));
    let script = format!(
        "{TABLES}EXECUTE STATEMENT SET\nBEGIN\n  INSERT INTO sink_a SELECT s FROM src;\n  \
         INSERT INTO sink_b SELECT UPPER(s) FROM src WHERE s <> 'END;';\nEND;\n"
    );
    let mut options = BTreeMap::new();
    options.insert("pipeline.max-parallelism".to_string(), "64".to_string());
    let job = submit(version, &url, &name, &script, Some(2), &options)
        .unwrap_or_else(|e| panic!("run: {e}\n{}", e.detail));
    cleanup.jobs.push(job.clone());
    let detail = wait_running(&c, &job);
    assert_eq!(detail.name, name);
    assert_eq!(jobs_named(&c, &name), vec![job.clone()], "exactly one job");
    assert_eq!(
        sinks_in(&detail, &["sink_a", "sink_b"]),
        2,
        "{:#?}",
        detail.vertices
    );
    assert!(
        detail.vertices.iter().all(|v| v.parallelism == 2),
        "the request's parallelism applies: {:#?}",
        detail.vertices
    );
    assert_eq!(
        detail.max_parallelism,
        Some(64),
        "flinkConfiguration is passed through"
    );
    rt().block_on(c.cancel_job(&job)).expect("cancel");

    // The SQL client's form, mixed with a top-level INSERT: all three in one job.
    let name = unique(&format!("sql-begin-set-{version}"));
    let script = format!(
        "{TABLES}CREATE TABLE sink_c (s STRING) WITH ('connector' = 'blackhole');\n\
         BEGIN STATEMENT SET;\nINSERT INTO sink_a SELECT s FROM src;\n\
         INSERT INTO sink_b SELECT LOWER(s) FROM src;\nEND;\n\
         INSERT INTO sink_c SELECT s FROM src;\n"
    );
    let job = submit(version, &url, &name, &script, None, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("run: {e}\n{}", e.detail));
    cleanup.jobs.push(job.clone());
    let detail = wait_running(&c, &job);
    assert_eq!(detail.name, name);
    assert_eq!(jobs_named(&c, &name), vec![job.clone()], "exactly one job");
    assert_eq!(
        sinks_in(&detail, &["sink_a", "sink_b", "sink_c"]),
        3,
        "{:#?}",
        detail.vertices
    );
}

#[test]
fn statement_sets_2_3() {
    statement_sets(V2);
}

#[test]
fn statement_sets_1_20() {
    statement_sets(V1);
}

// ---------------------------------------------------------------------------------------------
// SETs at the top configure the environment itself: batch mode

fn leading_set_selects_batch_mode(version: &str) {
    let url = ensure_cluster(version);
    let c = client(&url);
    let mut cleanup = CancelOnDrop::new(&url, Vec::new());
    let name = unique(&format!("sql-batch-{version}"));
    let script = "\
SET 'execution.runtime-mode' = 'batch';
CREATE TABLE src (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '100');
CREATE TABLE snk (c BIGINT) WITH ('connector' = 'blackhole');
INSERT INTO snk SELECT COUNT(*) FROM src;
";
    let job = submit(version, &url, &name, script, None, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("run: {e}\n{}", e.detail));
    cleanup.jobs.push(job.clone());
    let detail = wait_for(
        &format!("batch job {job} FINISHED"),
        Duration::from_secs(120),
        || {
            let d = rt().block_on(c.job_detail(&job)).ok()?;
            assert!(
                !matches!(d.state.as_str(), "FAILED" | "CANCELED"),
                "job {job} ended: {}",
                d.state
            );
            (d.state == "FINISHED").then_some(d)
        },
    );
    assert_eq!(detail.name, name);
    assert_eq!(detail.job_type.as_deref(), Some("BATCH"));
    cleanup.jobs.clear();
}

#[test]
fn leading_set_selects_batch_mode_2_3() {
    leading_set_selects_batch_mode(V2);
}

#[test]
fn leading_set_selects_batch_mode_1_20() {
    leading_set_selects_batch_mode(V1);
}

// ---------------------------------------------------------------------------------------------
// 3. Errors name the statement and its line; no job is created

fn errors_point_at_the_statement(version: &str) {
    let url = ensure_cluster(version);
    let c = client(&url);

    let name = unique(&format!("sql-error-{version}"));
    let script = "\
CREATE TABLE src (s STRING) WITH ('connector' = 'datagen');
CREATE TABLE snk (s STRING) WITH ('connector' = 'blackhole');
-- the third statement reads a table that does not exist
INSERT INTO snk
SELECT s FROM missing_orders_xyz;
";
    let err = submit(version, &url, &name, script, None, &BTreeMap::new())
        .expect_err("an unknown table fails the run");
    let msg = err.to_string();
    eprintln!("{version}: {msg}");
    assert!(msg.contains("statement 3 (line 4): "), "{msg}");
    assert!(msg.contains("missing_orders_xyz"), "{msg}");
    assert!(
        msg.contains("line 5, column 15"),
        "Flink's position is mapped to the script: {msg}"
    );
    assert!(jobs_named(&c, &name).is_empty(), "no job was created");

    // A failure that only planning the statement set finds is still blamed on its INSERT.
    let name = unique(&format!("sql-plan-error-{version}"));
    let script = "\
CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen');
CREATE TABLE ok_sink (k INT) WITH ('connector' = 'blackhole');
CREATE TABLE append_only (k INT, c BIGINT)
  WITH ('connector' = 'filesystem', 'path' = 'file:///nonexistent/flinkdeck', 'format' = 'csv');
INSERT INTO ok_sink SELECT k FROM src;

INSERT INTO append_only SELECT k, COUNT(*) FROM src GROUP BY k;
";
    let err = submit(version, &url, &name, script, None, &BTreeMap::new())
        .expect_err("an updating query into an append-only sink fails the run");
    let msg = err.to_string();
    assert!(msg.contains("statement 5 (line 7): "), "{msg}");
    assert!(msg.contains("append_only"), "{msg}");
    assert!(jobs_named(&c, &name).is_empty(), "no job was created");

    let name = unique(&format!("sql-select-{version}"));
    let script =
        "CREATE TABLE src (s STRING) WITH ('connector' = 'datagen');\nSELECT * FROM src;\n";
    let err = submit(version, &url, &name, script, None, &BTreeMap::new())
        .expect_err("a SELECT fails the run");
    let msg = err.to_string();
    assert!(
        msg.contains("statement 2 (line 2): a SELECT has no sink; use INSERT INTO"),
        "{msg}"
    );
    assert!(jobs_named(&c, &name).is_empty(), "no job was created");
}

#[test]
fn errors_point_at_the_statement_2_3() {
    errors_point_at_the_statement(V2);
}

#[test]
fn errors_point_at_the_statement_1_20() {
    errors_point_at_the_statement(V1);
}

// ---------------------------------------------------------------------------------------------
// Splitting, without a cluster (`--print-statements` with the local java)

fn java() -> PathBuf {
    match std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        Some(home) if Path::new(&home).join("bin/java").is_file() => {
            Path::new(&home).join("bin/java")
        }
        _ => PathBuf::from("java"),
    }
}

/// Runs the runner's `--print-statements` on a script: Ok(stdout) or Err(stderr).
fn split(script: &str) -> Result<String, String> {
    let req = run_request(script, "x", None, &BTreeMap::new(), None, false);
    let home = flink_home(V2);
    let cp = std::env::join_paths([jar(V2), home.join("lib").join("*")]).expect("classpath");
    let out = Command::new(java())
        .arg("-cp")
        .arg(cp)
        .arg(ENTRY_CLASS)
        .arg("--print-statements")
        .args(&req.program_args[2..])
        .output()
        .expect("run java");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn scripts_split_on_semicolons_outside_quotes_comments_and_blocks() {
    let script = "\
-- header; comment
SET 'parallelism.default' = '2';
SET execution.checkpointing.interval = 10s; /* block; comment */
SET 'k''q' = 'it''s; fine';
CREATE TABLE src (s STRING) WITH ('connector' = 'datagen', 'x' = 'a;b''c;');
  ;  ; -- empty statements
INSERT INTO t SELECT /*+ hint; */ CONCAT(s, ';x') FROM \"we;ird\" WHERE `a;b` <> 'a;b' -- c;
;
EXECUTE STATEMENT SET
BEGIN
  INSERT INTO a SELECT 1;
  INSERT INTO b SELECT 'END;';
END;
begin statement set;
INSERT INTO c SELECT 3;
end;
RESET 'x';
RESET;
/* trailing; */ -- comments only
";
    let out = split(script).unwrap_or_else(|e| panic!("split failed: {e}"));
    let expected = "\
1\t2:1\ttop\tSET 'parallelism.default' = '2'\t=> parallelism.default = 2
2\t3:1\ttop\tSET execution.checkpointing.interval = 10s\t=> execution.checkpointing.interval = 10s
3\t4:1\ttop\tSET 'k''q' = 'it''s; fine'\t=> k'q = it's; fine
4\t5:1\ttop\tCREATE TABLE src (s STRING) WITH ('connector' = 'datagen', 'x' = 'a;b''c;')
5\t7:1\ttop\tINSERT INTO t SELECT /*+ hint; */ CONCAT(s, ';x') FROM \"we;ird\" WHERE `a;b` <> 'a;b' -- c;
6\t11:3\tset\tINSERT INTO a SELECT 1
7\t12:3\tset\tINSERT INTO b SELECT 'END;'
10\t15:1\tset\tINSERT INTO c SELECT 3
12\t17:1\ttop\tRESET 'x'\t=> x
13\t18:1\ttop\tRESET\t=> (all)
";
    assert_eq!(out, expected, "{out}");

    // Line numbers count every line, also with CRLF line ends.
    let out = split("SET 'a' = 'b';\r\n\r\nCREATE TABLE t (x INT);\r\n").expect("split");
    assert!(
        out.contains("2\t3:1\ttop\tCREATE TABLE t (x INT)\n"),
        "{out:?}"
    );

    for (bad, message) in [
        (
            "CREATE TABLE t (x INT);\nSELECT 'abc;\nfoo",
            "statement 2 (line 2): the string that starts at line 2 with ' is never closed",
        ),
        (
            "CREATE TABLE t (x INT);\nINSERT /* x;",
            "statement 2 (line 2): the comment that starts at line 2 is never closed with */",
        ),
        (
            "SELECT `x;",
            "statement 1 (line 1): the quoted identifier that starts at line 1 with ` is never closed",
        ),
        ("SET 'a' = 'b';\nEND;", "statement 2 (line 2): END without BEGIN STATEMENT SET"),
        (
            "CREATE TABLE t (x INT);\nBEGIN STATEMENT SET;\nINSERT INTO a SELECT 1;",
            "statement 2 (line 2): the statement set is not closed with END;",
        ),
        ("SET 'a';", "statement 1 (line 1): SET needs 'key' = 'value'"),
    ] {
        let err = split(bad).expect_err(bad);
        assert!(err.contains(message), "{bad:?} -> {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// The build: cached, safe when built concurrently, errors that name the Flink home

#[test]
fn runner_jar_is_cached_and_safe_to_build_concurrently() {
    let home = flink_home(V1);
    let cache = tempfile::tempdir().expect("tempdir");
    let start = Instant::now();
    let built: Vec<PathBuf> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|_| s.spawn(|| runner_jar(&home, V1, cache.path())))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("thread").expect("build"))
            .collect()
    });
    eprintln!(
        "two concurrent builds against {V1}: {} ms",
        start.elapsed().as_millis()
    );
    assert_eq!(built[0], built[1]);
    let jar = &built[0];
    assert_eq!(jar.parent(), Some(cache.path()));
    assert_eq!(
        jar.file_name().and_then(|n| n.to_str()),
        Some(sqlrunner::jar_file_name(V1).as_str())
    );
    let before = std::fs::metadata(jar)
        .expect("jar")
        .modified()
        .expect("mtime");
    assert!(std::fs::metadata(jar).expect("jar").len() > 0);

    let again = runner_jar(&home, V1, cache.path()).expect("cached");
    assert_eq!(&again, jar);
    let after = std::fs::metadata(jar)
        .expect("jar")
        .modified()
        .expect("mtime");
    assert_eq!(before, after, "a cached jar is not rebuilt");

    let leftovers: Vec<_> = std::fs::read_dir(cache.path())
        .expect("read cache")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".build"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "build directories left: {leftovers:?}"
    );

    // The jar lists the runner as its main class.
    let listing = Command::new("unzip")
        .arg("-p")
        .arg(jar)
        .arg("META-INF/MANIFEST.MF")
        .output();
    if let Ok(out) = listing {
        if out.status.success() {
            let manifest = String::from_utf8_lossy(&out.stdout);
            assert!(manifest.contains(ENTRY_CLASS), "{manifest}");
        }
    }
}

#[test]
fn a_failed_build_names_the_flink_home_and_javac_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("not-really-flink");
    std::fs::create_dir_all(home.join("lib")).expect("mkdir");
    // A real jar, but not Flink's: javac cannot find the Flink classes.
    let log4j = std::fs::read_dir(flink_home(V2).join("lib"))
        .expect("lib")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("log4j-api"))
        })
        .expect("a log4j-api jar in Flink's lib/");
    std::fs::copy(&log4j, home.join("lib/log4j-api.jar")).expect("copy");
    let err = runner_jar(&home, "9.9.9", &dir.path().join("cache")).expect_err("cannot compile");
    assert!(matches!(err, SqlRunnerError::Compile { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("not-really-flink"), "{msg}");
    assert!(msg.contains("9.9.9"), "{msg}");
    assert!(
        msg.contains("org.apache.flink"),
        "javac's output is included: {msg}"
    );
    assert!(
        !dir.path()
            .join("cache")
            .join(sqlrunner::jar_file_name("9.9.9"))
            .exists(),
        "no jar is cached after a failed build"
    );
}
