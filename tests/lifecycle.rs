//! Application lifecycle with state safety, against real Flink 2.3.0 and 1.20.5: SQL and JAR
//! apps applied, started fresh, stopped with a savepoint (file on disk), started again from it
//! (Flink confirms the restore), started from a chosen checkpoint and from nothing; the
//! duplicate guard; a stop interrupted right after its request settled by the next process;
//! read-only mode; the audit trail.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;
use serde_json::Value;

const SQL: &str = "-- a stateful aggregation; ';' in comments and strings must not split statements\n\
CREATE TABLE src (k INT, v BIGINT) WITH (\n  'connector' = 'datagen', 'rows-per-second' = '5',\n  'fields.k.min' = '1', 'fields.k.max' = '4'\n);\n\
/* the sink; discards rows */\n\
CREATE TABLE snk (k INT, c BIGINT, s BIGINT, tag STRING) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT k, COUNT(*), SUM(v), 'a;b' FROM src GROUP BY k;\n";

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
    url: String,
    version: String,
}

impl Env {
    fn new(version: &str) -> Env {
        let url = ensure_cluster(version);
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), &[("c", &url)], "1s");
        Env {
            dir,
            config,
            url,
            version: version.to_string(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        cli(&self.config, self.dir.path(), args)
    }

    fn run_env(&self, env: (&str, &str), args: &[&str]) -> Output {
        cli_env(&self.config, self.dir.path(), env, args)
    }

    fn ok(&self, args: &[&str]) -> String {
        ok_stdout(args, &self.run(args))
    }

    fn json(&self, args: &[&str]) -> Value {
        json_of(args, &self.ok(args))
    }

    fn write_sql_app(&self, name: &str, sql: &str) -> PathBuf {
        std::fs::write(self.dir.path().join(format!("{name}.sql")), sql).expect("sql");
        let p = self.dir.path().join(format!("{name}.app.toml"));
        std::fs::write(
            &p,
            format!(
                "name = \"{name}\"\ncluster = \"c\"\nkind = \"sql\"\nsql_file = \"{name}.sql\"\nparallelism = 1\nowner = \"tests\"\ntags = [\"it\"]\n\n[options]\n\"execution.checkpointing.interval\" = \"2s\"\n"
            ),
        )
        .expect("app");
        p
    }

    fn write_jar_app(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.app.toml"));
        std::fs::write(&p, demo_jar_app_spec(name, "c", &self.version)).expect("app");
        p
    }

    /// The app's active jobs on the cluster (by name).
    fn active_jobs(&self, name: &str) -> Vec<Value> {
        let jobs = self.json(&["jobs", "--json", "--state", "active"]);
        jobs.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|j| j["name"] == name)
            .collect()
    }

    fn wait_checkpoints(&self, job: &str, n: i64) -> Value {
        let c = client(&self.url);
        wait_for(
            &format!("{n} completed checkpoints of {job}"),
            Duration::from_secs(120),
            || {
                let v = rt()
                    .block_on(c.get_json(&format!("jobs/{job}/checkpoints")))
                    .ok()?;
                (v["counts"]["completed"].as_i64()? >= n).then_some(v)
            },
        )
    }

    fn restored_path(&self, job: &str) -> Option<String> {
        let c = client(&self.url);
        let v = rt()
            .block_on(c.get_json(&format!("jobs/{job}/checkpoints")))
            .ok()?;
        v["latest"]["restored"]["external_path"]
            .as_str()
            .map(str::to_string)
    }
}

fn job_id_of(start_stdout: &str) -> String {
    // "started app X as job <id> on c ..."
    start_stdout
        .split_whitespace()
        .skip_while(|w| *w != "job")
        .nth(1)
        .unwrap_or_else(|| panic!("no job id in {start_stdout:?}"))
        .to_string()
}

fn savepoint_of(stop_stdout: &str) -> String {
    stop_stdout
        .split("with savepoint ")
        .nth(1)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no savepoint path in {stop_stdout:?}"))
}

fn local(path: &str) -> &Path {
    Path::new(path.trim_start_matches("file:"))
}

/// apply → start fresh → checkpoints → stop with savepoint → start (default: latest) restores it
/// → duplicate guard → cancel → start from a chosen checkpoint → cancel → start --from none.
fn lifecycle(env: &Env, name: &str, app_file: &Path) {
    let out = env.ok(&["apply", "-f", app_file.to_str().expect("utf-8")]);
    assert_eq!(out.trim(), format!("{name}: created (version 1)"));
    let out = env.ok(&["apply", "-f", app_file.to_str().expect("utf-8")]);
    assert_eq!(out.trim(), format!("{name}: unchanged (version 1)"));

    // Start: no savepoint recorded yet, so `latest` is a fresh start.
    let out = env.run(&["start", name, "--wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("restore: none (fresh start)"),
        "{}",
        stderr(&out)
    );
    let job1 = job_id_of(&stdout(&out));
    assert_eq!(env.active_jobs(name).len(), 1);
    env.wait_checkpoints(&job1, 2);

    // Duplicate guard: refused (exit 4), and still exactly one job.
    let out = env.run(&["start", name]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("already has job"), "{}", stderr(&out));
    assert_eq!(env.active_jobs(name).len(), 1, "no second job appeared");

    // Stop with savepoint: path printed, files on disk.
    let out = env.ok(&["stop", name, "--wait"]);
    let sp = savepoint_of(&out);
    assert!(
        local(&sp).join("_metadata").exists(),
        "savepoint {sp} on disk"
    );
    assert!(env.active_jobs(name).is_empty());

    // Start again with the default: restores that savepoint, and Flink confirms it.
    let out = env.run(&["start", name]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("restore: savepoint {sp}")) || stderr(&out).contains(&sp),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).contains("(verified)"), "{}", stdout(&out));
    let job2 = job_id_of(&stdout(&out));
    let restored = env.restored_path(&job2).expect("Flink reports a restore");
    assert_eq!(
        local(&restored).to_string_lossy().trim_end_matches('/'),
        local(&sp).to_string_lossy().trim_end_matches('/')
    );

    // A chosen checkpoint: take checkpoints, cancel (they are retained), start from one by id.
    let cps = env.wait_checkpoints(&job2, 2);
    env.ok(&["checkpoints", &job2, "--json"]); // records them (the TUI's poller does too)
    let out = env.ok(&["cancel", name]);
    assert!(out.contains("CANCELED"), "{out}");
    let cps_after = env.json(&["checkpoints", &job2, "--json"]);
    let chosen = cps_after["latest_completed"]["id"]
        .as_i64()
        .or_else(|| cps["latest"]["completed"]["id"].as_i64())
        .expect("a checkpoint id");
    let chosen_path = cps_after["latest_completed"]["external_path"]
        .as_str()
        .expect("path")
        .to_string();
    let out = env.run(&["start", name, "--from", &format!("checkpoint:{chosen}")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(verified)"), "{}", stdout(&out));
    let job3 = job_id_of(&stdout(&out));
    let restored = env.restored_path(&job3).expect("restored");
    assert_eq!(
        local(&restored).to_string_lossy().trim_end_matches('/'),
        local(&chosen_path).to_string_lossy().trim_end_matches('/')
    );
    env.ok(&["cancel", name]);

    // --from none starts fresh even though savepoints exist.
    let out = env.run(&["start", name, "--from", "none", "--wait"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let job4 = job_id_of(&stdout(&out));
    assert_eq!(env.restored_path(&job4), None);

    // History: every run with its restore point, the savepoint, the operations.
    let h = env.json(&["history", name, "--json"]);
    let runs = h["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 4, "{h:#}");
    let run2 = runs
        .iter()
        .find(|r| r["job_id"] == job2.as_str())
        .expect("run 2");
    assert_eq!(run2["restore_verified"], true);
    assert!(run2["restored_from"]
        .as_str()
        .is_some_and(|p| p.contains(sp.trim_start_matches("file:"))));
    let run1 = runs
        .iter()
        .find(|r| r["job_id"] == job1.as_str())
        .expect("run 1");
    assert_eq!(run1["final_savepoint"], sp.as_str());
    assert!(h["savepoints"]
        .as_array()
        .expect("sps")
        .iter()
        .any(|p| p["path"] == sp.as_str()));
    let apps = env.json(&["apps", "--json"]);
    let app = apps
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .expect("app listed");
    assert_eq!(app["job_id"], job4.as_str());
    assert_eq!(app["state"], "RUNNING");

    // Delete is refused while running; allowed after.
    let out = env.run(&["app", "delete", name]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    env.ok(&["cancel", name]);
    env.ok(&["app", "delete", name]);
}

#[test]
fn sql_app_lifecycle_on_both_versions() {
    for version in VERSIONS {
        let env = Env::new(version);
        let name = unique("it-sql-app");
        let file = env.write_sql_app(&name, SQL);
        lifecycle(&env, &name, &file);
    }
}

#[test]
fn jar_app_lifecycle_on_both_versions() {
    for version in VERSIONS {
        let env = Env::new(version);
        let name = unique("it-jar-app");
        let file = env.write_jar_app(&name);
        lifecycle(&env, &name, &file);
    }
}

#[test]
fn a_stop_interrupted_after_its_request_is_settled_by_the_next_process() {
    for version in VERSIONS {
        let env = Env::new(version);
        let name = unique("it-journal");
        let file = env.write_jar_app(&name);
        env.ok(&["apply", "-f", file.to_str().expect("utf-8")]);
        let job = job_id_of(&env.ok(&["start", name.as_str(), "--wait"]));
        env.wait_checkpoints(&job, 1);

        // The process dies right after the stop request went out.
        let out = env.run_env(
            ("FLINKDECK_FAULT", "exit-after-stop-request"),
            &["stop", &name],
        );
        assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
        let store =
            flinkdeck::store::Store::open(&env.dir.path().join("flinkdeck.db")).expect("store");
        let open = store.unsettled_ops().expect("journal");
        assert_eq!(open.len(), 1, "the interrupted stop is journaled: {open:?}");
        assert!(open[0].trigger_id.is_some());
        drop(store);

        // Any next process settles it: the savepoint path shows up in history.
        let h = wait_for("journal settled", Duration::from_secs(60), || {
            let h = env.json(&["history", &name, "--json"]);
            let ops = h["operations"].as_array()?;
            let stop = ops.iter().find(|o| o["kind"] == "stop")?;
            (stop["status"] == "succeeded").then_some(h)
        });
        let sp = h["savepoints"].as_array().expect("sps")[0]["path"]
            .as_str()
            .expect("path")
            .to_string();
        assert!(local(&sp).join("_metadata").exists(), "{sp}");
        let run = &h["runs"].as_array().expect("runs")[0];
        assert_eq!(run["final_savepoint"], sp.as_str());
        // And the next start restores from it.
        let out = env.ok(&["start", &name]);
        assert!(out.contains(&sp) && out.contains("(verified)"), "{out}");
        env.ok(&["cancel", &name]);
        // An interrupted stop *before* the request: settled as never sent, the job keeps running.
        let job = job_id_of(&env.ok(&["start", &name, "--from", "none", "--wait"]));
        let out = env.run_env(
            ("FLINKDECK_FAULT", "exit-before-stop-request"),
            &["stop", &name],
        );
        assert_eq!(out.status.code(), Some(137));
        let h = wait_for(
            "journal settled as not sent",
            Duration::from_secs(60),
            || {
                let h = env.json(&["history", &name, "--json"]);
                let failed = h["operations"]
                    .as_array()?
                    .iter()
                    .any(|o| o["kind"] == "stop" && o["status"] == "failed");
                failed.then_some(h)
            },
        );
        assert!(
            h["operations"].to_string().contains("never reached Flink"),
            "{h:#}"
        );
        assert_eq!(env.active_jobs(&name)[0]["id"], job.as_str());
        env.ok(&["cancel", &name]);
    }
}

#[test]
fn read_only_refuses_every_mutating_command_and_audit_records_actions() {
    let env = Env::new(V2);
    let name = unique("it-ro");
    let file = env.write_jar_app(&name);
    let f = file.to_str().expect("utf-8");
    for args in [
        vec!["--readonly", "apply", "-f", f],
        vec!["--readonly", "start", name.as_str()],
        vec!["--readonly", "stop", name.as_str()],
        vec!["--readonly", "savepoint", name.as_str()],
        vec!["--readonly", "cancel", name.as_str()],
        vec!["--readonly", "app", "delete", name.as_str()],
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("read-only"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // Read-only through the config, for one cluster.
    env.ok(&["apply", "-f", f]);
    let ro = env.dir.path().join("ro.toml");
    std::fs::write(
        &ro,
        format!(
            "[[clusters]]\nname = \"c\"\nurl = \"{}\"\nreadonly = true\n",
            env.url
        ),
    )
    .expect("config");
    let out = cli(&ro, env.dir.path(), &["start", &name]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cluster c is read-only"),
        "{}",
        stderr(&out)
    );
    assert!(env.active_jobs(&name).is_empty(), "nothing started");

    // Real actions are audited, with user and outcome.
    let job = job_id_of(&env.ok(&["start", &name, "--wait"]));
    env.ok(&["savepoint", &name, "--wait"]);
    env.ok(&["cancel", &name]);
    let audit = env.json(&["audit", "--app", &name, "--json"]);
    let entries = audit.as_array().expect("entries");
    let actions: Vec<(&str, bool)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["ok"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    for want in [
        ("start", true),
        ("savepoint", true),
        ("cancel", true),
        ("start", false),
    ] {
        assert!(actions.contains(&want), "audit has {want:?}: {actions:?}");
    }
    assert!(entries
        .iter()
        .all(|e| !e["user"].as_str().unwrap_or("").is_empty()));
    assert!(entries
        .iter()
        .any(|e| e["result"].as_str().unwrap_or("").contains(&job)));
}
