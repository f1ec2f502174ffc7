//! Application lifecycle with state safety, against real Flink 2.3.0 and 1.20.5: SQL and JAR
//! apps applied, started fresh, stopped with a savepoint (file on disk), started again from it
//! (Flink confirms the restore), started from a chosen checkpoint and from nothing; the
//! duplicate guard; a stop interrupted right after its request settled by the next process;
//! read-only mode; the audit trail.

mod common;

use std::path::Path;
use std::time::Duration;

use common::apps::{
    job_id_of, local, same_location, savepoint_of, AppEnv as Env, STATEFUL_SQL as SQL,
};
use common::*;

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
    assert!(
        same_location(&restored, &sp),
        "restored {restored}, savepoint {sp}"
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
    assert!(
        same_location(&restored, &chosen_path),
        "restored {restored}, checkpoint {chosen_path}"
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
