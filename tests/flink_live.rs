//! Integration tests against real Flink 2.3.0 and 1.20.5 clusters started by
//! `scripts/flink-local.sh`: job discovery with RUNNING and RESTARTING states, `jobs --json`
//! contents and exit codes, checkpoint history persisted in SQLite (and still shown when the
//! cluster is gone), exceptions, job detail, and JobManager / TaskManager logs.

mod common;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::*;
use flinkdeck::domain::{JobKey, LogName, LogSource, WorkerReply, WorkerRequest};
use flinkdeck::service::loaders;
use serde_json::Value;

/// The demo jobs this test binary submitted to one version's cluster.
#[derive(Clone, Debug)]
struct Demo {
    url: String,
    steady: String,
    steady_name: String,
    flaky: String,
    flaky_name: String,
}

/// Starts the version's cluster and submits one steady and one flaky job, once per binary.
fn demo(version: &str) -> Demo {
    static DEMOS: OnceLock<Mutex<HashMap<String, Demo>>> = OnceLock::new();
    let demos = DEMOS.get_or_init(Default::default);
    let mut map = demos.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = map.get(version) {
        return d.clone();
    }
    let url = ensure_cluster(version);
    let steady_name = unique(&format!("it-steady-{version}"));
    let flaky_name = unique(&format!("it-flaky-{version}"));
    let steady = submit_demo(version, &url, "steady", &steady_name);
    let flaky = submit_demo(version, &url, "flaky", &flaky_name);
    let d = Demo {
        url,
        steady,
        steady_name,
        flaky,
        flaky_name,
    };
    map.insert(version.to_string(), d.clone());
    d
}

fn cluster_name(version: &str) -> String {
    format!("flink-{}", version.replace('.', "-"))
}

fn jobs_json(
    config: &std::path::Path,
    data: &std::path::Path,
    extra: &[&str],
) -> (i32, Vec<Value>, String) {
    let mut args = vec!["jobs", "--json"];
    args.extend_from_slice(extra);
    let out = cli(config, data, &args);
    let code = out.status.code().unwrap_or(-1);
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!(
            "jobs --json is not JSON ({e}): {}\n{}",
            stdout(&out),
            stderr(&out)
        )
    });
    (
        code,
        v.as_array().cloned().unwrap_or_default(),
        stderr(&out),
    )
}

fn find<'a>(jobs: &'a [Value], id: &str) -> Option<&'a Value> {
    jobs.iter().find(|j| j["id"] == id)
}

#[test]
fn jobs_json_discovers_submitted_jobs_running_and_restarting_on_both_versions() {
    let demos: Vec<(String, Demo)> = VERSIONS.iter().map(|v| (v.to_string(), demo(v))).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let names: Vec<String> = demos.iter().map(|(v, _)| cluster_name(v)).collect();
    let clusters: Vec<(&str, &str)> = demos
        .iter()
        .zip(&names)
        .map(|((_, d), n)| (n.as_str(), d.url.as_str()))
        .collect();
    let config = write_config(dir.path(), &clusters, "1s");

    for ((version, d), cname) in demos.iter().zip(&names) {
        // The steady job runs and has a completed checkpoint with a path.
        let steady = wait_for(
            &format!("{version}: steady job RUNNING with a completed checkpoint"),
            Duration::from_secs(120),
            || {
                let (code, jobs, err) = jobs_json(&config, dir.path(), &[]);
                assert_eq!(code, 0, "jobs --json exit code, stderr: {err}");
                let j = find(&jobs, &d.steady)?.clone();
                (j["state"] == "RUNNING" && j["last_checkpoint"]["status"] == "COMPLETED")
                    .then_some(j)
            },
        );
        assert_eq!(steady["cluster"], cname.as_str());
        assert_eq!(steady["name"], d.steady_name.as_str());
        assert!(
            steady["start_time"].as_i64().unwrap_or(0) > 1_600_000_000_000,
            "{steady}"
        );
        assert!(
            steady["duration_ms"].as_i64().unwrap_or(-1) >= 0,
            "{steady}"
        );
        let cp = &steady["last_checkpoint"];
        assert!(cp["id"].as_i64().unwrap_or(0) >= 1, "{cp}");
        assert!(
            cp["completed_at"].as_i64().unwrap_or(0) >= steady["start_time"].as_i64().unwrap_or(0)
        );
        let path = cp["external_path"].as_str().expect("external_path");
        assert!(path.starts_with("file:"), "{path}");
        assert_eq!(steady["tasks_running"], steady["tasks_total"]);

        // The flaky job is seen RESTARTING (it fails every few seconds and restarts after 3 s).
        wait_for(
            &format!("{version}: flaky job seen RESTARTING"),
            Duration::from_secs(120),
            || {
                let (_, jobs, _) = jobs_json(&config, dir.path(), &["--cluster", cname]);
                let j = find(&jobs, &d.flaky)?;
                assert_eq!(j["cluster"], cname.as_str());
                assert_eq!(j["name"], d.flaky_name.as_str());
                (j["state"] == "RESTARTING").then_some(())
            },
        );
        // ... and its restarts are counted.
        wait_for(
            &format!("{version}: flaky restarts > 0"),
            Duration::from_secs(60),
            || {
                let (_, jobs, _) = jobs_json(&config, dir.path(), &["--cluster", cname]);
                (find(&jobs, &d.flaky)?["restarts"].as_u64()? > 0).then_some(())
            },
        );

        // --state filters.
        let (code, running, _) = jobs_json(
            &config,
            dir.path(),
            &["--cluster", cname, "--state", "running"],
        );
        assert_eq!(code, 0);
        assert!(
            running.iter().all(|j| j["state"] == "RUNNING"),
            "{running:?}"
        );
        assert!(find(&running, &d.steady).is_some());
        assert!(running.iter().all(|j| j["cluster"] == cname.as_str()));
    }
}

#[test]
fn jobs_exit_3_when_one_cluster_is_unreachable_and_still_prints_the_others() {
    let d = demo(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let config = write_config(dir.path(), &[("live", &d.url), ("dead", &dead)], "1s");
    let (code, jobs, err) = jobs_json(&config, dir.path(), &[]);
    assert_eq!(code, 3, "stderr: {err}");
    assert!(
        find(&jobs, &d.steady).is_some(),
        "live cluster's jobs still printed"
    );
    assert!(err.contains("dead") && err.contains("refused"), "{err}");

    let out = cli(&config, dir.path(), &["clusters", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let rows: Value = serde_json::from_str(&stdout(&out)).expect("clusters json");
    let live = rows
        .as_array()
        .and_then(|r| r.iter().find(|c| c["name"] == "live"))
        .expect("live row");
    assert_eq!(live["status"], "LIVE");
    assert_eq!(live["flink_version"], V2);
    assert_eq!(live["kind"], "standalone");
    assert!(live["error"].is_null());
    let dead_row = rows
        .as_array()
        .and_then(|r| r.iter().find(|c| c["name"] == "dead"))
        .expect("dead row");
    assert_eq!(dead_row["status"], "UNREACHABLE");
    assert!(dead_row["error"].as_str().unwrap_or("").contains("refused"));
}

#[test]
fn usage_and_config_errors_exit_2() {
    let d = demo(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("live", &d.url)], "1s");
    let out = cli(&config, dir.path(), &["jobs", "--cluster", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown cluster \"nope\""),
        "{}",
        stderr(&out)
    );
    let out = cli(&config, dir.path(), &["jobs", "--state", "runing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("RUNNING"));
    let out = cli(&config, dir.path(), &["jobs", "--bogus-flag"]);
    assert_eq!(out.status.code(), Some(2));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[ui]\nrefresh = \"2s\"\ncolour = 1\n").expect("write");
    let out = cli(&bad, dir.path(), &["jobs", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("bad.toml:3:1") && err.contains("colour"),
        "{err}"
    );
}

#[test]
fn checkpoint_history_is_persisted_and_outlives_the_cluster() {
    for version in VERSIONS {
        let url = ensure_cluster(version);
        let name = unique(&format!("it-history-{version}"));
        let id = submit_demo(version, &url, "steady", &name);
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), &[("c", &url)], "1s");

        let report = wait_for(
            &format!("{version}: two completed checkpoints"),
            Duration::from_secs(120),
            || {
                let out = cli(&config, dir.path(), &["checkpoints", &id, "--json"]);
                assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
                let v: Value = serde_json::from_str(&stdout(&out)).ok()?;
                (v["stored"].as_array()?.len() >= 2).then_some(v)
            },
        );
        assert_eq!(report["cluster"], "c");
        assert_eq!(report["job_id"], id.as_str());
        assert_eq!(report["live"], true);
        assert!(report["counts"]["completed"].as_i64().unwrap_or(0) >= 2);
        let stored = report["stored"].as_array().expect("stored");
        for e in stored {
            assert_eq!(e["status"], "COMPLETED");
            assert_eq!(e["kind"], "checkpoint");
            let p = e["external_path"].as_str().expect("path");
            let local = p.trim_start_matches("file:");
            assert!(
                std::path::Path::new(local).exists(),
                "checkpoint dir {local} exists on disk"
            );
        }
        let stored_ids: Vec<i64> = stored.iter().filter_map(|e| e["id"].as_i64()).collect();

        // The rows are in SQLite.
        let store =
            flinkdeck::store::Store::open(&dir.path().join("flinkdeck.db")).expect("open store");
        let rows = store.checkpoint_history("c", &id, 100).expect("history");
        assert!(rows.len() >= stored_ids.len());
        drop(store);

        // Stop the job; then point the same cluster name at a dead port: the recorded history
        // still answers (exit 3 says the cluster could not be reached).
        rt().block_on(client(&url).cancel_job(&id)).expect("cancel");
        let dead = format!("http://127.0.0.1:{}", closed_port());
        let config_dead = write_config(dir.path(), &[("c", &dead)], "1s");
        let out = cli(
            &config_dead,
            dir.path(),
            &["checkpoints", &id, "--cluster", "c", "--json"],
        );
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).expect("json");
        assert_eq!(v["live"], false);
        let again: Vec<i64> = v["stored"]
            .as_array()
            .expect("stored")
            .iter()
            .filter_map(|e| e["id"].as_i64())
            .collect();
        for sid in &stored_ids {
            assert!(
                again.contains(sid),
                "checkpoint {sid} still listed after the cluster went away"
            );
        }
    }
}

#[test]
fn exceptions_of_a_failing_job_in_both_shapes() {
    for version in VERSIONS {
        let d = demo(version);
        let clusters = clusters_for(&d.url);
        let key = JobKey::new("c", d.flaky.clone());
        let ex = wait_for(
            &format!("{version}: exception history"),
            Duration::from_secs(120),
            || {
                let reply = rt().block_on(loaders::answer(
                    &clusters,
                    None,
                    WorkerRequest::LoadExceptions {
                        key: key.clone(),
                        request: 7,
                    },
                ));
                match reply {
                    Some(WorkerReply::ExceptionsLoaded {
                        request: 7,
                        result: Ok(ex),
                        ..
                    }) if !ex.history.is_empty() => Some(ex),
                    _ => None,
                }
            },
        );
        let root = ex.root.expect("root exception");
        assert!(
            root.name.contains("RuntimeException"),
            "{version}: {}",
            root.name
        );
        assert!(
            root.stacktrace.contains("flinkdeck demo failure"),
            "{version}"
        );
        assert!(root.timestamp.unwrap_or(0) > 0);
        assert!(ex
            .history
            .iter()
            .all(|e| e.stacktrace.contains("flinkdeck demo failure")));
    }
}

#[test]
fn job_detail_lists_vertices_with_parallelism_and_rates() {
    for version in VERSIONS {
        let d = demo(version);
        let clusters = clusters_for(&d.url);
        let key = JobKey::new("c", d.steady.clone());
        let detail = wait_for(
            &format!("{version}: job detail with rates"),
            Duration::from_secs(90),
            || match rt().block_on(loaders::answer(
                &clusters,
                None,
                WorkerRequest::LoadJobDetail {
                    key: key.clone(),
                    request: 1,
                },
            )) {
                Some(WorkerReply::JobDetailLoaded { result: Ok(d), .. })
                    if d.vertices
                        .iter()
                        .any(|v| v.records_out_per_sec.unwrap_or(0.0) > 0.0) =>
                {
                    Some(d)
                }
                _ => None,
            },
        );
        assert_eq!(detail.id, d.steady);
        assert_eq!(detail.name, d.steady_name);
        assert_eq!(detail.state, "RUNNING");
        assert!(detail.vertices.len() >= 2, "{:?}", detail.vertices);
        assert!(detail
            .vertices
            .iter()
            .all(|v| v.parallelism == 1 && v.status == "RUNNING"));
        assert!(detail
            .vertices
            .iter()
            .any(|v| v.name.contains("count-per-key")));
    }
}

#[test]
fn jobmanager_and_taskmanager_logs() {
    for version in VERSIONS {
        let d = demo(version);
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), &[("c", &d.url)], "1s");

        // JobManager log via the job id (the cluster is found by its job list).
        let out = cli(&config, dir.path(), &["logs", &d.steady]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let jm = stdout(&out);
        assert!(
            jm.contains("StandaloneSessionClusterEntrypoint") || jm.contains("Starting"),
            "{version}: JM log: {}",
            &jm[..jm.len().min(500)]
        );

        // The listing names the TaskManager; its stdout has the demo's records.
        let out = cli(
            &config,
            dir.path(),
            &["logs", "--cluster", "c", "--list", "--json"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let files: Vec<flinkdeck::domain::LogFileRef> =
            serde_json::from_str(&stdout(&out)).expect("list json");
        assert!(files
            .iter()
            .any(|f| f.source == LogSource::JobManager && f.name == LogName::Log));
        let tm = files
            .iter()
            .find_map(|f| match &f.source {
                LogSource::TaskManager(id) => Some(id.clone()),
                _ => None,
            })
            .expect("a taskmanager in the listing");
        let stdout_text = wait_for(
            &format!("{version}: TM stdout has demo output"),
            Duration::from_secs(60),
            || {
                let out = cli(
                    &config,
                    dir.path(),
                    &[
                        "logs",
                        "--cluster",
                        "c",
                        "--taskmanager",
                        &tm,
                        "--file",
                        "stdout",
                    ],
                );
                let s = stdout(&out);
                s.contains("flinkdeck-demo steady").then_some(s)
            },
        );
        assert!(stdout_text.contains("count="));
        let out = cli(
            &config,
            dir.path(),
            &["logs", "--cluster", "c", "--taskmanager", &tm],
        );
        assert_eq!(out.status.code(), Some(0));
        assert!(
            stdout(&out).contains("TaskManagerRunner") || stdout(&out).contains("TaskExecutor"),
            "{version}"
        );

        // Bounded: asking for 2000 bytes prints about that much.
        let out = cli(
            &config,
            dir.path(),
            &["logs", "--cluster", "c", "--bytes", "2000"],
        );
        let s = stdout(&out);
        assert!(s.len() < 2200, "{} bytes", s.len());
        assert!(
            s.starts_with("[flinkdeck: showing the last"),
            "{}",
            &s[..s.len().min(200)]
        );

        // Unknown file and taskmanager are clear errors.
        let out = cli(
            &config,
            dir.path(),
            &["logs", "--cluster", "c", "--file", "nope.log"],
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("no log file nope.log"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn logs_follow_prints_what_is_appended() {
    use std::io::Read;
    let d = demo(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("c", &d.url)], "1s");
    let out = cli(
        &config,
        dir.path(),
        &["logs", "--cluster", "c", "--list", "--json"],
    );
    let files: Vec<flinkdeck::domain::LogFileRef> =
        serde_json::from_str(&stdout(&out)).expect("list json");
    let tm = files
        .iter()
        .find_map(|f| match &f.source {
            LogSource::TaskManager(id) => Some(id.clone()),
            _ => None,
        })
        .expect("a taskmanager");
    let mut child = std::process::Command::new(bin())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "logs",
            "--cluster",
            "c",
            "--taskmanager",
            &tm,
            "--file",
            "stdout",
            "--follow",
            "--bytes",
            "4000",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn logs --follow");
    let mut pipe = child.stdout.take().expect("stdout");
    let seen = std::sync::Arc::new(Mutex::new(String::new()));
    let sink = seen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let count = |s: &str| s.matches("flinkdeck-demo").count();
    let first = wait_for("initial tail", Duration::from_secs(20), || {
        let n = count(&seen.lock().unwrap_or_else(|e| e.into_inner()));
        (n > 0).then_some(n)
    });
    // The demo jobs print about once a second each: following shows the new lines.
    wait_for("appended lines", Duration::from_secs(30), || {
        (count(&seen.lock().unwrap_or_else(|e| e.into_inner())) >= first + 3).then_some(())
    });
    let _ = child.kill();
    let _ = child.wait();
}
