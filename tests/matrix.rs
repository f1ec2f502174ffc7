//! The core set of flinkdeck features against one real Flink version (the support matrix of
//! `scripts/test.sh --matrix`): discovery (`clusters --json` sees the cluster and its version),
//! jobs (`jobs --json` lists the demo jobs), checkpoints (a completed checkpoint, on disk),
//! exceptions (the flaky demo job's exception history), logs (the JobManager log through
//! `logs`), stop with savepoint (file on disk) and verified restore (Flink reports the restore)
//! for a JAR and a SQL app, and SQL validation (`sql validate --flink V` places a planner error at
//! its line and column and passes a good script). One `#[test]` per capability: the script reads
//! the test names.
//!
//! Real Flink, started by `scripts/flink-local.sh`: `FLINKDECK_MATRIX_VERSION` (e.g. `1.18.1`) on
//! `FLINKDECK_MATRIX_PORT` (default 18581). Without `FLINKDECK_MATRIX_VERSION` the core set runs
//! on the suite's versions 2.3.0 and 1.20.5 and their shared test clusters, so the normal suite
//! exercises this binary too.

mod common;

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::apps::{job_id_of, local, same_location, savepoint_of, AppEnv, STATEFUL_SQL};
use common::*;
use flinkdeck::domain::{JobKey, LogName, LogSource, WorkerReply, WorkerRequest};
use flinkdeck::service::loaders;
use serde_json::Value;

/// Default REST port of the matrix cluster when `FLINKDECK_MATRIX_PORT` is unset.
const DEFAULT_MATRIX_PORT: u16 = 18581;

/// The (version, REST port) pairs this run covers.
fn targets() -> Vec<(String, u16)> {
    match std::env::var("FLINKDECK_MATRIX_VERSION") {
        Ok(v) if !v.trim().is_empty() => {
            let v = v.trim().to_string();
            let port = match std::env::var("FLINKDECK_MATRIX_PORT") {
                Ok(p) => p
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("FLINKDECK_MATRIX_PORT={p:?} is not a port number")),
                Err(_) => DEFAULT_MATRIX_PORT,
            };
            vec![(v, port)]
        }
        _ => VERSIONS
            .iter()
            .map(|v| (v.to_string(), port_for(v)))
            .collect(),
    }
}

/// The cluster of one target, with one steady and one flaky demo job this binary submitted.
#[derive(Clone, Debug)]
struct Demo {
    version: String,
    url: String,
    steady: String,
    steady_name: String,
    flaky: String,
    flaky_name: String,
}

/// Starts (idempotently) the cluster and submits the demo jobs, once per version per binary.
fn demo(version: &str, port: u16) -> Demo {
    static DEMOS: OnceLock<Mutex<HashMap<String, Demo>>> = OnceLock::new();
    let mut map = DEMOS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(d) = map.get(version) {
        return d.clone();
    }
    let url = ensure_cluster_on(version, port);
    let steady_name = unique(&format!("mx-steady-{version}"));
    let flaky_name = unique(&format!("mx-flaky-{version}"));
    let steady = submit_demo(version, &url, "steady", &steady_name);
    let flaky = submit_demo(version, &url, "flaky", &flaky_name);
    let d = Demo {
        version: version.to_string(),
        url,
        steady,
        steady_name,
        flaky,
        flaky_name,
    };
    map.insert(version.to_string(), d.clone());
    d
}

/// Runs `check` on every target's demo cluster.
fn each_demo(check: impl Fn(&Demo)) {
    for (version, port) in targets() {
        check(&demo(&version, port));
    }
}

/// A fresh config (cluster `c`) and data directory for one check.
fn env_for(d: &Demo) -> AppEnv {
    AppEnv::on(&d.version, &d.url)
}

#[test]
fn discovery() {
    each_demo(|d| {
        let env = env_for(d);
        let rows = env.json(&["clusters", "--json"]);
        let rows = rows.as_array().expect("clusters --json is an array");
        assert_eq!(rows.len(), 1, "{rows:?}");
        let c = &rows[0];
        assert_eq!(c["name"], "c", "{c}");
        assert_eq!(c["status"], "LIVE", "{}: {c}", d.version);
        assert_eq!(c["flink_version"], d.version.as_str(), "{c}");
        assert!(c["taskmanagers"].as_u64().unwrap_or(0) >= 1, "{c}");
        assert!(c["slots_total"].as_u64().unwrap_or(0) >= 1, "{c}");
    });
}

#[test]
fn jobs() {
    each_demo(|d| {
        let env = env_for(d);
        wait_for(
            &format!(
                "{}: jobs --json lists the steady job RUNNING and the flaky job",
                d.version
            ),
            Duration::from_secs(120),
            || {
                let jobs = env.json(&["jobs", "--json"]);
                let jobs = jobs.as_array()?;
                let find = |id: &str| jobs.iter().find(|j| j["id"] == id).cloned();
                let (steady, flaky) = (find(&d.steady)?, find(&d.flaky)?);
                assert_eq!(steady["name"], d.steady_name.as_str(), "{steady}");
                assert_eq!(flaky["name"], d.flaky_name.as_str(), "{flaky}");
                assert_eq!(steady["cluster"], "c", "{steady}");
                let flaky_alive = flaky["state"] == "RUNNING" || flaky["state"] == "RESTARTING";
                (steady["state"] == "RUNNING"
                    && steady["tasks_running"] == steady["tasks_total"]
                    && flaky_alive)
                    .then_some(())
            },
        );
        // --state filters on what Flink reports.
        let running = env.json(&["jobs", "--json", "--state", "running"]);
        let running = running.as_array().expect("array");
        assert!(
            running.iter().all(|j| j["state"] == "RUNNING"),
            "{running:?}"
        );
        assert!(running.iter().any(|j| j["id"] == d.steady.as_str()));
    });
}

#[test]
fn checkpoints() {
    each_demo(|d| {
        let env = env_for(d);
        let report = wait_for(
            &format!("{}: a completed checkpoint of the steady job", d.version),
            Duration::from_secs(120),
            || {
                let v = env.json(&["checkpoints", &d.steady, "--json"]);
                let done = v["stored"]
                    .as_array()?
                    .iter()
                    .any(|e| e["status"] == "COMPLETED" && e["kind"] == "checkpoint");
                done.then_some(v)
            },
        );
        assert_eq!(report["job_id"], d.steady.as_str());
        assert_eq!(report["live"], true);
        assert!(
            report["counts"]["completed"].as_i64().unwrap_or(0) >= 1,
            "{report}"
        );
        for e in report["stored"].as_array().expect("stored") {
            let path = e["external_path"].as_str().expect("external_path");
            assert!(
                local(path).join("_metadata").exists(),
                "{}: checkpoint {path} on disk",
                d.version
            );
        }
    });
}

#[test]
fn exceptions() {
    each_demo(|d| {
        let clusters = clusters_for(&d.url);
        let key = JobKey::new("c", d.flaky.clone());
        let ex = wait_for(
            &format!("{}: exception history of the flaky job", d.version),
            Duration::from_secs(120),
            || match rt().block_on(loaders::answer(
                &clusters,
                None,
                WorkerRequest::LoadExceptions {
                    key: key.clone(),
                    request: 1,
                },
            )) {
                Some(WorkerReply::ExceptionsLoaded { result: Ok(ex), .. })
                    if !ex.history.is_empty() =>
                {
                    Some(ex)
                }
                _ => None,
            },
        );
        let root = ex.root.expect("root exception");
        assert!(
            root.name.contains("RuntimeException"),
            "{}: {}",
            d.version,
            root.name
        );
        assert!(
            root.stacktrace.contains("flinkdeck demo failure"),
            "{}",
            d.version
        );
        assert!(root.timestamp.unwrap_or(0) > 0);
        assert!(ex
            .history
            .iter()
            .all(|e| e.stacktrace.contains("flinkdeck demo failure")));
    });
}

#[test]
fn logs() {
    each_demo(|d| {
        let env = env_for(d);
        let files: Vec<flinkdeck::domain::LogFileRef> =
            serde_json::from_str(&env.ok(&["logs", "--cluster", "c", "--list", "--json"]))
                .expect("logs --list --json");
        assert!(
            files
                .iter()
                .any(|f| f.source == LogSource::JobManager && f.name == LogName::Log),
            "{}: {files:?}",
            d.version
        );
        // The JobManager logs the flaky job's restarts: its id shows up in the log's tail.
        wait_for(
            &format!("{}: the JobManager log names the flaky job", d.version),
            Duration::from_secs(90),
            || {
                let out = env.run(&["logs", &d.flaky, "--bytes", "200000"]);
                assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
                stdout(&out).contains(&d.flaky).then_some(())
            },
        );
    });
}

/// An app stopped with a savepoint, waiting to be restored.
struct Stopped {
    env: AppEnv,
    name: String,
    savepoint: String,
}

/// The app kinds the stop and restore checks run on (the SQL one goes through the SQL runner
/// built for that Flink version).
const KINDS: [&str; 2] = ["jar", "sql"];

/// apply → start fresh → one checkpoint → stop with savepoint (on disk, no job left); once per
/// version and kind, shared by [`stop_with_savepoint`] and [`verified_restore`] (a failure is
/// kept as its message, so both report it).
fn stopped(version: &str, port: u16, kind: &str) -> Arc<Result<Stopped, String>> {
    type Cell = Arc<OnceLock<Arc<Result<Stopped, String>>>>;
    static STOPS: OnceLock<Mutex<HashMap<String, Cell>>> = OnceLock::new();
    let cell: Cell = STOPS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(format!("{version}/{kind}"))
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let run = std::panic::catch_unwind(AssertUnwindSafe(|| stop_app(version, port, kind)));
        Arc::new(run.map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into())
        }))
    })
    .clone()
}

fn stop_app(version: &str, port: u16, kind: &str) -> Stopped {
    let env = AppEnv::on(version, &ensure_cluster_on(version, port));
    let name = unique(&format!("mx-{kind}"));
    let file = match kind {
        "jar" => env.write_jar_app(&name),
        _ => env.write_sql_app(&name, STATEFUL_SQL),
    };
    env.ok(&["apply", "-f", file.to_str().expect("utf-8")]);
    let out = env.run(&["start", &name, "--wait"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{version} {kind}: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("restore: none (fresh start)"),
        "{}",
        stderr(&out)
    );
    let job = job_id_of(&stdout(&out));
    env.wait_checkpoints(&job, 1);
    let out = env.ok(&["stop", &name, "--wait"]);
    let savepoint = savepoint_of(&out);
    // Checked here, before `verified_restore` (running beside) can start the app again.
    assert!(
        local(&savepoint).join("_metadata").exists(),
        "{version} {kind}: savepoint {savepoint} on disk"
    );
    assert!(
        env.active_jobs(&name).is_empty(),
        "{version} {kind}: no job left after the stop"
    );
    Stopped {
        env,
        name,
        savepoint,
    }
}

/// Runs `check` for both app kinds at once, on every target.
fn each_kind(check: impl Fn(&str, u16, &str) + Sync) {
    for (version, port) in targets() {
        std::thread::scope(|s| {
            for kind in KINDS {
                let (check, version) = (&check, &version);
                s.spawn(move || check(version, port, kind));
            }
        });
    }
}

#[test]
fn stop_with_savepoint() {
    each_kind(|version, port, kind| {
        let st = stopped(version, port, kind);
        let st = st
            .as_ref()
            .as_ref()
            .unwrap_or_else(|e| panic!("{version} {kind}: {e}"));
        // Still on disk (a restore in NO_CLAIM mode, Flink's default, never deletes it).
        assert!(
            local(&st.savepoint).join("_metadata").exists(),
            "{version} {kind}: savepoint {} on disk",
            st.savepoint
        );
    });
}

#[test]
fn verified_restore() {
    each_kind(|version, port, kind| {
        let st = stopped(version, port, kind);
        let st = st
            .as_ref()
            .as_ref()
            .unwrap_or_else(|e| panic!("{version} {kind}: no savepoint to restore: {e}"));
        let (env, name, sp) = (&st.env, st.name.as_str(), st.savepoint.as_str());
        let out = env.run(&["start", name]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{version} {kind}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(sp), "{}", stderr(&out));
        assert!(stdout(&out).contains("(verified)"), "{}", stdout(&out));
        let job = job_id_of(&stdout(&out));
        let restored = env.restored_path(&job).expect("Flink reports a restore");
        assert!(
            same_location(&restored, sp),
            "{version} {kind}: restored {restored}, savepoint {sp}"
        );
        let h = env.json(&["history", name, "--json"]);
        let run = h["runs"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["job_id"] == job.as_str()).cloned())
            .unwrap_or_else(|| panic!("{version} {kind}: run {job} in {h:#}"));
        assert_eq!(run["restore_verified"], true, "{run}");
        env.ok(&["cancel", name]);
        env.ok(&["app", "delete", name]);
    });
}

/// Helper jars are built once per version and source, for every run of this binary.
fn sql_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("matrix-sql-data")
}

/// `sql validate FILE --flink VERSION --json` with the version's home in `[[flink]]`.
fn validate(dir: &Path, version: &str, script: &str) -> std::process::Output {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[flink]]\nversion = \"{version}\"\nhome = \"{}\"\n",
            flink_home(version).display()
        ),
    )
    .expect("config");
    let file = dir.join("script.sql");
    std::fs::write(&file, script).expect("script");
    let data = sql_data_dir();
    let args = [
        "sql",
        "validate",
        file.to_str().expect("utf-8"),
        "--flink",
        version,
        "--json",
    ];
    cli(&config, &data, &args)
}

const TABLES: &str = "\
CREATE TABLE orders (id BIGINT, amount INT, ts TIMESTAMP(3)) WITH ('connector' = 'datagen');
CREATE TABLE totals (id BIGINT, amount INT) WITH ('connector' = 'blackhole');
";

#[test]
fn sql_validate() {
    for (version, _) in targets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let good = format!("{TABLES}INSERT INTO totals\nSELECT id, amount FROM orders;\n");
        let out = validate(dir.path(), &version, &good);
        assert_eq!(out.status.code(), Some(0), "{version}: {}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "[]", "{version}");

        // `amout` is on line 4, columns 12-16, in statement 3.
        let bad = format!("{TABLES}INSERT INTO totals\nSELECT id, amout FROM orders;\n");
        let out = validate(dir.path(), &version, &bad);
        assert_eq!(out.status.code(), Some(1), "{version}: {}", stderr(&out));
        let ps: Value = serde_json::from_str(stdout(&out).trim())
            .unwrap_or_else(|e| panic!("{version}: not JSON ({e}): {}", stdout(&out)));
        let ps = ps.as_array().expect("problems");
        assert_eq!(ps.len(), 1, "{version}: {ps:#?}");
        let p = &ps[0];
        assert_eq!(
            (&p["line"], &p["column"], &p["statement"], &p["severity"]),
            (
                &Value::from(4),
                &Value::from(12),
                &Value::from(3),
                &Value::from("error")
            ),
            "{version}: {p}"
        );
        assert_eq!(
            p["message"], "Column 'amout' not found in any table",
            "{version}: {p}"
        );
    }
}
