//! `flinkdeck upgrade` end to end with real git, real javac and real Flink (2.3.0 and 1.20.5,
//! one shared cluster per version): a git repository holds the demo DataStream job; its commits
//! are a good version, a second good version (another output string, so another artifact), a
//! version that fails to compile, and one that compiles but throws in the keyed function after a
//! few records (Flink's restart strategy then restarts it). On each version:
//! - a broken build stops the upgrade before anything is touched (same job still RUNNING);
//! - an upgrade to the next good commit stops with a savepoint and the new job restores from it;
//! - the runtime-failing commit is rolled back: the previous version runs again, restored from
//!   the same savepoint, with the root exception as the reason, and one job of the app active;
//! - a process killed (debug-only fault hook, as a kill -9) right after the stop's savepoint,
//!   and one killed during the health window, are settled by the next process: `history` says
//!   so, the savepoint is kept and a later `start` restores from it, never two jobs running;
//! - killed right after the stop request: settled after the stop's savepoint is recorded;
//! - a second process (`history`) run during the health window leaves the upgrade alone;
//! - Ctrl-C (SIGINT) during the health window rolls back;
//! - a SQL version the planner rejects stops the upgrade before the stop;
//! - bad input: unknown app and unknown `--version` (2), read-only (4, audited with versions).

mod common;

use std::path::Path;
use std::time::Duration;

use common::apps::{job_id_of, same_location, AppEnv, STATEFUL_SQL};
use common::build_repo::*;
use common::*;
use serde_json::Value;

/// The demo with a different output line (another artifact, same state layout).
fn second_source() -> String {
    let demo = demo_source();
    let v2 = demo.replacen("\"flinkdeck-demo \"", "\"flinkdeck-demo-v2 \"", 1);
    assert_ne!(v2, demo, "the demo source changed: fix second_source");
    v2
}

/// The demo throwing in the keyed function after 10 records of every (re)start.
fn failing_source() -> String {
    let demo = demo_source();
    let failing = demo
        .replacen(
            "boolean flaky = mode.equals(\"flaky\");",
            "boolean flaky = true;",
            1,
        )
        .replacen("failAfter = rate * 10;", "failAfter = 10;", 1);
    assert_eq!(
        failing.matches("flaky = true").count(),
        1,
        "the demo source changed: fix failing_source"
    );
    assert!(failing.contains("failAfter = 10;"));
    failing
}

/// Runs `upgrade ARGS --json`: (exit code, the JSON report, stderr).
fn upgrade(env: &AppEnv, fault: Option<&str>, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["upgrade"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = match fault {
        Some(f) => env.run_env(("FLINKDECK_FAULT", f), &all),
        None => env.run(&all),
    };
    let json = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    (out.status.code(), json, stderr(&out))
}

fn active(env: &AppEnv, name: &str) -> Vec<(String, String)> {
    env.active_jobs(name)
        .iter()
        .map(|j| {
            (
                j["id"].as_str().unwrap_or_default().to_string(),
                j["state"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The one active job of the app, once it is RUNNING.
fn one_running(env: &AppEnv, name: &str) -> String {
    wait_for(
        "exactly one RUNNING job of the app",
        std::time::Duration::from_secs(60),
        || match active(env, name).as_slice() {
            [(id, state)] if state == "RUNNING" => Some(id.clone()),
            [] | [_] => None,
            many => panic!("more than one job of {name} is active: {many:?}"),
        },
    )
}

fn history(env: &AppEnv, name: &str) -> Value {
    env.json(&["history", name, "--json"])
}

/// The upgrade operations of the app, newest first.
fn upgrade_ops(h: &Value) -> Vec<Value> {
    h["operations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o["kind"] == "upgrade")
        .collect()
}

/// The app version job `job` runs, from `history`.
fn run_version(h: &Value, job: &str) -> u64 {
    h["runs"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["job_id"] == job))
        .and_then(|r| r["version"].as_u64())
        .unwrap_or_else(|| panic!("no run of job {job} in {h}"))
}

/// Starts `upgrade ARGS --json` in the background.
fn spawn_upgrade(env: &AppEnv, args: &[&str]) -> std::process::Child {
    std::process::Command::new(bin())
        .arg("--config")
        .arg(&env.config)
        .arg("--data-dir")
        .arg(env.dir.path())
        .arg("upgrade")
        .args(args)
        .arg("--json")
        .env_remove("FLINKDECK_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn upgrade")
}

/// Waits until the newest upgrade of the app journaled its health step; returns the operation.
fn wait_for_health_step(env: &AppEnv, name: &str) -> Value {
    wait_for(
        "the upgrade to journal its health step",
        std::time::Duration::from_secs(120),
        || {
            let ops = upgrade_ops(&history(env, name));
            let op = ops.first()?.clone();
            let params: Value = serde_json::from_str(op["params"].as_str()?).ok()?;
            (params["step"] == "health").then_some(op)
        },
    )
}

fn move_main(repo: &Path, tag: &str) {
    git(repo, &["reset", "-q", "--hard", tag]);
}

fn end_to_end(version: &str) {
    let env = AppEnv::new(version);
    let lib = flink_home(version).join("lib");
    let repo = new_repo(env.dir.path());
    for (tag, source, subject) in [
        ("v-broken", broken_source(), "break it"),
        ("v-failing", failing_source(), "fail at runtime"),
        ("v-good2", second_source(), "second good version"),
        ("v-good1", demo_source(), "the demo job"),
    ] {
        commit(
            &repo,
            &[("FlinkdeckDemo.java", &source), ("build.sh", BUILD_SH)],
            subject,
        );
        git(&repo, &["tag", tag]);
    }
    let name = unique("upg");
    let spec = env.dir.path().join("upg.app.toml");
    let tail = build_tail(&lib);
    std::fs::write(
        &spec,
        app_toml(&name, &repo, &tail).replacen(
            "parallelism = 1\n",
            "parallelism = 1\nupgrade_health = \"20s\"\n",
            1,
        ),
    )
    .expect("spec");
    apply_spec(&env.config, env.dir.path(), &spec);

    // Bad input, before anything runs.
    let (code, _, err) = upgrade(&env, None, &["no-such-app"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("no managed app named"), "{err}");

    env.ok(&["build", &name]); // version 2 (version 1 has no artifact)
    let job1 = job_id_of(&env.ok(&["start", &name, "--wait"]));
    let (code, _, err) = upgrade(&env, None, &[&name, "--version", "99"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("has no version 99"), "{err}");
    let (code, json, err) = upgrade(&env, None, &[&name, "--version", "2"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json["outcome"], "unchanged", "{json}");
    let out = env.run(&["--readonly", "upgrade", &name, "--version", "1"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let audit = env.json(&["audit", "--app", &name, "--json"]);
    let refused = audit
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|e| e["action"] == "upgrade" && e["ok"] == false)
        })
        .unwrap_or_else(|| panic!("no refused upgrade in the audit trail: {audit}"));
    let params: Value = serde_json::from_str(refused["params"].as_str().unwrap_or("{}"))
        .expect("audit params are JSON");
    assert_eq!(params["from_version"], 2, "{refused}");
    assert_eq!(params["to_version"], 1, "{refused}");
    assert!(
        refused["result"]
            .as_str()
            .is_some_and(|r| r.contains("read-only")),
        "{refused}"
    );

    // A broken build: nothing touched.
    move_main(&repo, "v-broken");
    let (code, json, err) = upgrade(&env, None, &[&name, "--rebuild"]);
    assert_eq!(code, Some(1), "{json}\n{err}");
    assert_eq!(json["outcome"], "failed", "{json}");
    assert!(
        json["reason"]
            .as_str()
            .is_some_and(|r| r.contains("build #") && r.contains("nothing was touched")),
        "{json}"
    );
    assert!(json["savepoint"].is_null(), "{json}");
    assert_eq!(
        active(&env, &name),
        vec![(job1.clone(), "RUNNING".to_string())]
    );

    // The next good commit: stop with savepoint, start from it, healthy. While its health
    // window runs, another flinkdeck process leaves the journaled upgrade alone.
    move_main(&repo, "v-good2");
    let child = spawn_upgrade(&env, &[&name, "--rebuild", "--health", "20s", "--wait"]);
    let in_health = wait_for_health_step(&env, &name);
    assert_eq!(in_health["status"], "pending", "{in_health}");
    let params: Value =
        serde_json::from_str(in_health["params"].as_str().unwrap_or("{}")).expect("params");
    assert_eq!(
        params["steps"],
        serde_json::json!(["plan", "build", "stop", "start", "health"])
    );
    assert!(
        params["savepoint"].is_string() && params["new_job_id"].is_string(),
        "{params}"
    );
    let out = child.wait_with_output().expect("upgrade output");
    let (code, err) = (out.status.code(), stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    assert_eq!(code, Some(0), "{json}\n{err}");
    for line in [
        "1. build",
        "2. stop job",
        "3. start",
        "4. watch 20s",
        "5. if unhealthy",
    ] {
        assert!(err.contains(line), "no {line:?} in the plan: {err}");
    }
    assert_eq!(json["outcome"], "upgraded", "{json}");
    assert_eq!(json["from_version"], 2, "{json}");
    assert_eq!(json["to_version"], 3, "{json}");
    assert_eq!(json["previous_job_id"], job1.as_str(), "{json}");
    let sp1 = json["savepoint"].as_str().expect("savepoint").to_string();
    let job2 = json["job_id"].as_str().expect("job_id").to_string();
    let restored = env.restored_path(&job2).expect("job2 restored");
    assert!(same_location(&restored, &sp1), "{restored} vs {sp1}");
    assert_eq!(one_running(&env, &name), job2);
    assert!(
        err.contains("health: watching job"),
        "no health window shown: {err}"
    );
    let steps: Vec<&str> = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["step"].as_str())
        .collect();
    assert_eq!(steps, ["build", "stop", "start", "health"], "{json}");
    let health = json["steps"][3]["detail"].as_str().unwrap_or_default();
    assert!(
        health.contains("stayed RUNNING without a restart and completed"),
        "checkpointing is on for the demo (5 s): {json}"
    );
    let h = history(&env, &name);
    assert_eq!(upgrade_ops(&h)[0]["status"], "succeeded", "{h}");
    let audit = env.json(&["audit", "--app", &name, "--json"]);
    let done = audit
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|e| e["action"] == "upgrade" && e["ok"] == true)
        })
        .unwrap_or_else(|| panic!("no upgrade in the audit trail: {audit}"));
    let params: Value =
        serde_json::from_str(done["params"].as_str().unwrap_or("{}")).expect("json");
    assert_eq!(
        (
            params["from_version"].as_u64(),
            params["to_version"].as_u64()
        ),
        (Some(2), Some(3)),
        "{done}"
    );

    // Killed during the health window: the new job is the one job running.
    let (code, _, err) = upgrade(
        &env,
        Some("upgrade-in-health"),
        &[&name, "--version", "2", "--health", "20s"],
    );
    assert_eq!(code, Some(137), "{err}");
    let h = history(&env, &name);
    let op = &upgrade_ops(&h)[0];
    assert_eq!(op["status"], "failed", "{op}");
    let result = op["result"].as_str().unwrap_or_default();
    assert!(
        result.contains("interrupted at step health") && result.contains("(version 2) runs"),
        "{op}"
    );
    let job_v2 = one_running(&env, &name);
    assert_eq!(run_version(&h, &job_v2), 2);
    assert_ne!(job_v2, job2);
    // Killed right after the stop's savepoint: the next process settles it.
    let (code, _, err) = upgrade(
        &env,
        Some("upgrade-after-savepoint"),
        &[&name, "--version", "3", "--health", "20s"],
    );
    assert_eq!(code, Some(137), "{err}");
    let h = history(&env, &name);
    let op = &upgrade_ops(&h)[0];
    let result = op["result"].as_str().unwrap_or_default().to_string();
    assert_eq!(op["status"], "failed", "{op}");
    assert!(
        result.contains("interrupted at step start") && result.contains("no job of"),
        "{op}"
    );
    let params: Value = serde_json::from_str(op["params"].as_str().unwrap_or("{}")).expect("json");
    let sp3 = params["savepoint"]
        .as_str()
        .expect("journaled savepoint")
        .to_string();
    assert!(result.contains(&sp3), "{op}");
    assert!(
        h["savepoints"]
            .as_array()
            .is_some_and(|s| s.iter().any(|p| p["path"] == sp3.as_str())),
        "the savepoint is not in the history: {h}"
    );
    assert!(active(&env, &name).is_empty(), "a job runs after the kill");
    let text = env.ok(&["history", &name]);
    assert!(
        text.contains("[plan → stop → start] interrupted at step start"),
        "{text}"
    );
    let job4 = job_id_of(&env.ok(&["start", &name, "--wait"]));
    let restored = env.restored_path(&job4).expect("job4 restored");
    assert!(same_location(&restored, &sp3), "{restored} vs {sp3}");

    // The runtime-failing commit: rolled back to version 3 from the same savepoint.
    move_main(&repo, "v-failing");
    let (code, json, err) = upgrade(&env, None, &[&name, "--rebuild", "--health", "20s"]);
    assert_eq!(code, Some(1), "{json}\n{err}");
    assert_eq!(json["outcome"], "rolled_back", "{json}\n{err}");
    assert_eq!(json["from_version"], 3, "{json}");
    assert_eq!(json["previous_job_id"], job4.as_str(), "{json}");
    assert_eq!(json["to_version"], 4, "{json}");
    assert!(
        json["reason"]
            .as_str()
            .is_some_and(|r| r.contains("flinkdeck demo failure: injected after")),
        "{json}"
    );
    let sp2 = json["savepoint"].as_str().expect("savepoint").to_string();
    let job3 = json["job_id"].as_str().expect("job_id").to_string();
    assert_eq!(one_running(&env, &name), job3);
    let restored = env.restored_path(&job3).expect("job3 restored");
    assert!(same_location(&restored, &sp2), "{restored} vs {sp2}");
    let h = history(&env, &name);
    assert_eq!(
        run_version(&h, &job3),
        3,
        "the rolled back job runs version 3"
    );
    // Version 3 is bound to the second good commit's artifact, version 4 to the failing one's.
    let builds = env.json(&["builds", &name, "--json"]);
    let artifact_of = |v: u64| {
        builds
            .as_array()
            .and_then(|b| b.iter().find(|b| b["version"] == v))
            .and_then(|b| b["artifact"].as_str())
            .unwrap_or_else(|| panic!("no artifact of version {v}: {builds}"))
            .to_string()
    };
    assert_ne!(artifact_of(3), artifact_of(4));
    assert!(
        builds
            .as_array()
            .and_then(|b| b.iter().find(|b| b["version"] == 3))
            .is_some_and(|b| b["subject"] == "second good version"),
        "{builds}"
    );
    let ops = upgrade_ops(&h);
    assert_eq!(ops[0]["status"], "failed", "{ops:?}");
    assert!(
        ops[0]["result"]
            .as_str()
            .is_some_and(|r| r.starts_with("rolled back")),
        "{ops:?}"
    );
    assert!(
        ops[0]["params"]
            .as_str()
            .is_some_and(|p| p.contains("rollback_start")),
        "{ops:?}"
    );

    // Ctrl-C (SIGINT) during the health window: rolled back to version 3 as well.
    let child = spawn_upgrade(&env, &[&name, "--version", "2", "--health", "2m"]);
    wait_for_health_step(&env, &name);
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let out = child.wait_with_output().expect("upgrade output");
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap_or(Value::Null);
    assert_eq!(out.status.code(), Some(1), "{json}\n{}", stderr(&out));
    assert_eq!(json["outcome"], "rolled_back", "{json}");
    assert_eq!(
        json["reason"], "cancelled (Ctrl-C) during the health window",
        "{json}"
    );
    let sp = json["savepoint"].as_str().expect("savepoint").to_string();
    let job = one_running(&env, &name);
    assert_eq!(json["job_id"], job.as_str(), "{json}");
    assert_eq!(run_version(&history(&env, &name), &job), 3);
    let restored = env.restored_path(&job).expect("restored");
    assert!(same_location(&restored, &sp), "{restored} vs {sp}");

    // Killed right after the stop request went out (the stop's own fault point): the next
    // processes settle the stop once Flink finished the savepoint, then the upgrade.
    let (code, _, err) = upgrade(
        &env,
        Some("exit-after-stop-request"),
        &[&name, "--version", "2", "--health", "20s"],
    );
    assert_eq!(code, Some(137), "{err}");
    let (op, h) = wait_for(
        "the interrupted upgrade to be settled",
        std::time::Duration::from_secs(60),
        || {
            let h = history(&env, &name);
            let op = upgrade_ops(&h).first()?.clone();
            (op["status"] != "pending").then_some((op, h))
        },
    );
    let stop_op = h["operations"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["kind"] == "stop"))
        .expect("the stop operation")
        .clone();
    assert_eq!(stop_op["status"], "succeeded", "{stop_op}");
    let sp = stop_op["result"].as_str().expect("savepoint").to_string();
    let result = op["result"].as_str().unwrap_or_default();
    assert!(
        result.contains("interrupted at step stop")
            && result.contains(&format!("savepoint {sp} is kept")),
        "{op}"
    );
    assert!(active(&env, &name).is_empty());
    let job = job_id_of(&env.ok(&["start", &name, "--wait"]));
    let restored = env.restored_path(&job).expect("restored");
    assert!(same_location(&restored, &sp), "{restored} vs {sp}");
    env.ok(&["cancel", &name]);
}

#[test]
fn upgrade_rollback_and_interrupted_upgrades_on_flink_2() {
    end_to_end(V2);
}

#[test]
fn upgrade_rollback_and_interrupted_upgrades_on_flink_1() {
    end_to_end(V1);
}

/// A SQL app's new version is validated by Flink's planner before the running job is touched.
fn invalid_sql_stops_before_the_stop(version: &str) {
    let env = AppEnv::new(version);
    let name = unique("upgsql");
    let file = env.write_sql_app(&name, STATEFUL_SQL);
    apply_spec(&env.config, env.dir.path(), &file);
    let job = job_id_of(&env.ok(&["start", &name, "--wait"]));
    let bad = STATEFUL_SQL.replace("FROM src GROUP BY k", "FROM no_such_table GROUP BY k");
    assert_ne!(bad, STATEFUL_SQL);
    let file = env.write_sql_app(&name, &bad);
    apply_spec(&env.config, env.dir.path(), &file);
    let (code, json, err) = upgrade(&env, None, &[&name, "--health", "20s"]);
    assert_eq!(code, Some(1), "{json}\n{err}");
    assert_eq!(json["outcome"], "failed", "{json}");
    assert_eq!(json["to_version"], 2, "{json}");
    let reason = json["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("the SQL of version 2 has 1 error(s); first at line 8")
            && reason.contains("nothing was touched"),
        "{json}"
    );
    assert_eq!(json["steps"][0]["step"], "validate", "{json}");
    assert_eq!(json["steps"][0]["ok"], false, "{json}");
    assert!(json["savepoint"].is_null(), "{json}");
    assert_eq!(active(&env, &name), vec![(job, "RUNNING".to_string())]);
    env.ok(&["cancel", &name]);
}

#[test]
fn invalid_sql_stops_the_upgrade_on_flink_2() {
    invalid_sql_stops_before_the_stop(V2);
}

#[test]
fn invalid_sql_stops_the_upgrade_on_flink_1() {
    invalid_sql_stops_before_the_stop(V1);
}

/// No Flink needed: the spec keys are checked when the app is applied.
#[test]
fn upgrade_spec_keys_are_checked_with_their_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &[("c", &format!("http://127.0.0.1:{}", closed_port()))],
        "1s",
    );
    let repo = new_repo(dir.path());
    let spec = dir.path().join("a.app.toml");
    let base = |extra: &str, with_build: bool| {
        let mut s = app_toml(
            "keys",
            &repo,
            "command = [\"true\"]\nartifact = \"x.jar\"\n",
        )
        .replacen("parallelism = 1\n", &format!("parallelism = 1\n{extra}"), 1);
        if !with_build {
            s = s[..s.find("[build]").expect("build table")].to_string();
            s.push_str("jar_file = \"x.jar\"\n");
        }
        s
    };
    std::fs::write(dir.path().join("x.jar"), b"jar").expect("jar");
    for (extra, with_build, key) in [
        ("upgrade_rebuilds = \"yes\"\n", true, "upgrade_rebuilds"),
        ("upgrade_health = \"soon\"\n", true, "upgrade_health"),
        ("upgrade_health = \"0s\"\n", true, "upgrade_health"),
        ("upgrade_rebuilds = true\n", false, "upgrade_rebuilds"),
    ] {
        std::fs::write(&spec, base(extra, with_build)).expect("spec");
        let out = cli(
            &config,
            dir.path(),
            &["apply", "-f", spec.to_str().expect("utf-8")],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{extra}: {err}");
        assert!(err.contains(key), "{extra}: no key {key} in {err}");
        assert!(err.contains(":7:"), "{extra}: no line 7 in {err}");
    }
    std::fs::write(
        &spec,
        base("upgrade_rebuilds = true\nupgrade_health = \"45s\"\n", true),
    )
    .expect("spec");
    apply_spec(&config, dir.path(), &spec);
    let shown = json_of(
        &["app", "show"],
        &stdout(&cli(
            &config,
            dir.path(),
            &["app", "show", "keys", "--json"],
        )),
    );
    let text = shown.to_string();
    assert!(
        text.contains("\"upgrade_rebuilds\":true") && text.contains("\"upgrade_health_ms\":45000"),
        "{shown}"
    );
    // `--version` with a rebuild (here from the spec) is a usage error, before any cluster call.
    let out = cli(&config, dir.path(), &["upgrade", "keys", "--version", "1"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--version cannot be combined"),
        "{}",
        stderr(&out)
    );
}

/// The console's upgrade key end to end on real Flink 2.3.0, in a pseudo-terminal: a jar app
/// runs version 1; version 2 (other program arguments) is applied; in the console `U` on the
/// app's job shows the plan, `y` upgrades (health window 8 s), and the actions panel reports
/// "upgraded"; then exactly one job of the app runs, restored from the stop's savepoint, and
/// the audit trail has the upgrade with both versions.
#[test]
fn the_console_upgrade_key_shows_the_plan_and_upgrades() {
    let env = AppEnv::new(V2);
    let name = unique("cu");
    let spec = env.dir.path().join("cu.app.toml");
    let write = |every: &str| {
        std::fs::write(
            &spec,
            format!(
                "{}upgrade_health = \"8s\"\n",
                demo_jar_app_spec(&name, "c", V2).replace(
                    "\"steady\"",
                    &format!("\"steady\", \"--print-every\", \"{every}\"")
                )
            ),
        )
        .expect("spec");
    };
    write("5");
    apply_spec(&env.config, env.dir.path(), &spec);
    let old = job_id_of(&env.ok(&["start", &name, "--from", "none", "--wait"]));
    env.wait_checkpoints(&old, 1);
    write("7");
    apply_spec(&env.config, env.dir.path(), &spec);

    let mut app = console(&env.config, env.dir.path(), &[], 160, 40);
    app.wait_screen("the app's job", Duration::from_secs(30), |s| {
        s.contains(&name) && s.contains("RUNNING")
    });
    app.send("/");
    app.send(&name);
    app.send("\r");
    app.wait_screen("only the app's job", Duration::from_secs(10), |s| {
        s.contains("Jobs (1)")
    });
    app.send("U");
    let s = app.wait_screen("the plan", Duration::from_secs(30), |s| {
        s.contains(&format!("Upgrade {name}")) && s.contains("Upgrade now? y/N")
    });
    assert!(s.contains("version 1") && s.contains("version 2"), "{s}");
    app.send("y");
    let s = app.wait_screen("the upgrade to finish", Duration::from_secs(240), |s| {
        s.contains(&format!("upgraded {name} from version 1 to 2"))
            || s.contains("rolled back")
            || s.contains("failed")
    });
    assert!(
        s.contains(&format!("upgraded {name} from version 1 to 2")),
        "{s}"
    );
    app.send("q");
    app.wait_exit(Duration::from_secs(20));

    let active = env.active_jobs(&name);
    assert_eq!(active.len(), 1, "{active:?}");
    let new = active[0]["id"].as_str().expect("id").to_string();
    assert_ne!(new, old);
    let restored = env.restored_path(&new).expect("the new job was restored");
    assert!(restored.contains("savepoint"), "restored from {restored}");
    let audit = env.json(&["audit", "--app", &name, "--json"]);
    let upgrade = audit
        .as_array()
        .expect("audit")
        .iter()
        .find(|a| a["action"] == "upgrade")
        .cloned()
        .expect("the upgrade is audited");
    assert_eq!(upgrade["ok"], true, "{upgrade}");
    let params: Value =
        serde_json::from_str(upgrade["params"].as_str().unwrap_or("{}")).unwrap_or_default();
    assert_eq!(
        (
            params["from_version"].as_u64(),
            params["to_version"].as_u64()
        ),
        (Some(1), Some(2)),
        "{upgrade}"
    );
    env.ok(&["cancel", &name]);
}
