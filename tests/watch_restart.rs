//! Automatic restart by `flinkdeck watch` (`[restart]` of an app spec) end to end on real Flink
//! (2.3.0 and 1.20.5, the shared cluster of each), with a real HTTP receiver started by the test
//! as the `failed` rule's webhook channel. Three apps of the flaky/steady demo job:
//! - `rs-…`: flaky (fails after 25 records, restart strategy `none`, checkpoints every 1 s) with
//!   `[restart] on_failure = true, max = 2, within = "30m"`: each `watch --once` after a failure
//!   starts it again from its latest checkpoint (a new job, Flink's `latest.restored` is the
//!   announced path), with a "restarting (attempt n/2)" and a "restarted" message; the third
//!   failure gives up (one message with the root exception, no third start, said once);
//! - `rc-…`: steady, with the same `[restart]`, ended by `flinkdeck cancel`: never restarted;
//! - `rn-…`: flaky without `[restart]`: FAILED and never restarted.
//!
//! `audit --json` shows the watcher's two starts as user `watch`. Each `watch --once` is a new
//! process, so the count (attempt 2/2, then the give-up) comes from the store. Also: the
//! long-running watcher restarts once and gives up (max 1), and a bad `[restart]` is exit 2.

mod common;

use std::time::Duration;

use common::apps::{job_id_of, same_location, AppEnv};
use common::receiver::{Received, Receiver};
use common::*;
use serde_json::Value;

fn watch_once(env: &AppEnv) -> Value {
    let out = env.run(&["watch", "--once", "--json"]);
    assert_eq!(out.status.code(), Some(0), "watch --once: {}", stderr(&out));
    json_of(&["watch"], &stdout(&out))
}

fn job_state(env: &AppEnv, job: &str) -> Option<String> {
    let v = rt()
        .block_on(client(&env.url).get_json(&format!("jobs/{job}")))
        .ok()?;
    v["state"].as_str().map(str::to_string)
}

fn wait_failed(env: &AppEnv, job: &str) {
    wait_for(
        &format!("job {job} to fail"),
        Duration::from_secs(120),
        || (job_state(env, job)? == "FAILED").then_some(()),
    );
}

/// The app's jobs on the cluster in any state (by name), newest first.
fn jobs_of(env: &AppEnv, name: &str) -> Vec<String> {
    let v = rt()
        .block_on(client(&env.url).get_json("jobs/overview"))
        .expect("jobs overview");
    let mut jobs: Vec<(i64, String)> = v["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["name"] == name)
        .map(|j| {
            (
                j["start-time"].as_i64().unwrap_or(0),
                j["jid"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    jobs.sort();
    jobs.into_iter().rev().map(|(_, id)| id).collect()
}

fn of_app(got: &[Received], app: &str, event: &str) -> Vec<Value> {
    got.iter()
        .map(Received::json)
        .filter(|m| m["app"] == app && m["event"] == event)
        .collect()
}

fn write_app(env: &AppEnv, name: &str, mode_args: &str, extra: &str) {
    let spec = env.dir.path().join(format!("{name}.app.toml"));
    std::fs::write(
        &spec,
        format!(
            "name = \"{name}\"\ncluster = \"c\"\nkind = \"jar\"\njar_file = \"{}\"\nentry_class = \"{DEMO_CLASS}\"\n\
             args = [{mode_args}, \"--name\", \"{name}\"]\nparallelism = 1\n{extra}",
            demo_jar(&env.version).display()
        ),
    )
    .expect("spec");
    apply_spec(&env.config, env.dir.path(), &spec);
}

const FLAKY: &str = "\"--mode\", \"flaky\", \"--fail-after\", \"25\"";
const RESTART: &str = "\n[restart]\non_failure = true\nmax = 2\nwithin = \"30m\"\n";
const FAIL_FAST: &str = "\n[options]\n\"restart-strategy.type\" = \"none\"\n\
                         \"execution.checkpointing.interval\" = \"1s\"\n";

/// One restart cycle: the watcher restarts `name` (attempt `n`/2) from its latest checkpoint.
/// Returns the new job.
fn expect_restart(env: &AppEnv, hook: &Receiver, name: &str, failed: &str, n: u64) -> String {
    let seen = hook.received().len();
    let r = watch_once(env);
    assert_eq!(
        (r["restarted"].as_u64(), r["gave_up"].as_u64()),
        (Some(1), Some(0)),
        "only {name} is restarted: {r}"
    );
    assert_eq!(r["restart_failed"], 0, "{r}");
    let got = hook.received()[seen..].to_vec();
    let announced = of_app(&got, name, "restarting");
    assert_eq!(announced.len(), 1, "{got:?}");
    let a = &announced[0];
    assert_eq!(a["rule"], "app-failed");
    assert_eq!(a["job_id"], failed, "the failed job is named: {a}");
    let reason = a["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with(&format!("restarting {name} (attempt {n}/2) from ")),
        "{reason}"
    );
    assert!(reason.contains("flinkdeck demo failure"), "{reason}");
    let from = reason
        .split(" from ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .expect("the restore path");
    assert!(
        from.contains("chk-"),
        "from the latest checkpoint: {reason}"
    );
    let done = of_app(&got, name, "restarted");
    assert_eq!(done.len(), 1, "{got:?}");
    let job = done[0]["job_id"].as_str().expect("new job").to_string();
    assert_ne!(job, failed);
    assert!(
        done[0]["reason"]
            .as_str()
            .expect("reason")
            .contains("restored (verified) from"),
        "{}",
        done[0]
    );
    let restored = env.restored_path(&job).expect("Flink reports a restore");
    assert!(
        same_location(&restored, from),
        "Flink restored {job} from {restored}, the watcher said {from}"
    );
    assert_eq!(jobs_of(env, name)[0], job, "the new job is the newest");
    job
}

fn scenario(version: &str) {
    let env = AppEnv::new(version);
    let hook = Receiver::start(&[(200, "")]);
    let hook_file = env.dir.path().join("hook.url");
    std::fs::write(&hook_file, &hook.url).expect("hook url");
    let mut text = std::fs::read_to_string(&env.config).expect("config");
    text.push_str(&format!(
        "\n[[alerts.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl_file = {:?}\n\n\
         [[alerts.rules]]\nname = \"app-failed\"\nwhen = \"failed\"\napps = [\"r?-*\"]\nchannels = [\"hook\"]\n",
        hook_file.display().to_string()
    ));
    std::fs::write(&env.config, text).expect("config");
    let name = unique("rs");
    let cancelled = unique("rc");
    let plain = unique("rn");
    write_app(&env, &name, FLAKY, &format!("{RESTART}{FAIL_FAST}"));
    write_app(&env, &cancelled, "\"--mode\", \"steady\"", RESTART);
    write_app(&env, &plain, FLAKY, FAIL_FAST);
    let job1 = job_id_of(&env.ok(&["start", &name, "--from", "none"]));
    let plain_job = job_id_of(&env.ok(&["start", &plain, "--from", "none"]));
    env.ok(&["start", &cancelled, "--from", "none", "--wait"]);
    env.ok(&["cancel", &cancelled]);
    wait_failed(&env, &job1);
    wait_failed(&env, &plain_job);

    // 1st failure: restarted (attempt 1/2); the app without [restart] and the cancelled app not.
    let job2 = expect_restart(&env, &hook, &name, &job1, 1);
    let opened: Vec<String> = hook
        .received()
        .iter()
        .map(Received::json)
        .filter(|m| m["event"] == "opened")
        .map(|m| m["app"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        opened.contains(&name) && opened.contains(&plain),
        "{opened:?}"
    );

    // 2nd failure: attempt 2/2.
    wait_failed(&env, &job2);
    let job3 = expect_restart(&env, &hook, &name, &job2, 2);

    // 3rd failure: it gives up, once, with the last root exception; no third start.
    wait_failed(&env, &job3);
    let seen = hook.received().len();
    let r = watch_once(&env);
    assert_eq!(
        (r["restarted"].as_u64(), r["gave_up"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    let got = hook.received()[seen..].to_vec();
    let gave_up = of_app(&got, &name, "gave_up");
    assert_eq!(gave_up.len(), 1, "{got:?}");
    let reason = gave_up[0]["reason"].as_str().expect("reason");
    assert!(
        reason.starts_with(&format!(
            "gave up restarting {name}: 2 attempt(s) within 30m (max 2); last failure: "
        )) && reason.contains("flinkdeck demo failure"),
        "{reason}"
    );
    assert!(of_app(&got, &name, "restarting").is_empty(), "{got:?}");
    let r = watch_once(&env);
    assert_eq!(
        (r["restarted"].as_u64(), r["gave_up"].as_u64()),
        (Some(0), Some(0)),
        "the give-up is said once: {r}"
    );
    assert_eq!(
        jobs_of(&env, &name),
        [job3.clone(), job2.clone(), job1.clone()]
    );

    // Never restarted: the cancelled app and the app without [restart].
    assert_eq!(jobs_of(&env, &cancelled).len(), 1);
    assert_eq!(jobs_of(&env, &plain), [plain_job]);
    let got = hook.received();
    for other in [&cancelled, &plain] {
        for event in ["restarting", "restarted", "gave_up"] {
            assert!(of_app(&got, other, event).is_empty(), "{other}: {got:?}");
        }
    }

    // The audit trail: the watcher's starts, as user `watch`.
    let audit = env.json(&["audit", "--app", &name, "--json"]);
    let by_watch: Vec<&Value> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["user"] == "watch")
        .collect();
    assert_eq!(by_watch.len(), 2, "{audit}");
    for (e, job) in by_watch.iter().zip([&job3, &job2]) {
        assert_eq!(e["action"], "start", "{e}");
        assert_eq!(e["ok"], true, "{e}");
        assert!(
            e["result"].as_str().expect("result").contains(job.as_str()),
            "{e}"
        );
    }
    let starts_by_user = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["action"] == "start" && e["user"] != "watch")
        .count();
    assert_eq!(
        starts_by_user, 1,
        "only the first start was the test's: {audit}"
    );
    for n in [&cancelled, &plain] {
        let a = env.json(&["audit", "--app", n, "--json"]);
        assert!(
            a.as_array()
                .expect("audit")
                .iter()
                .all(|e| e["user"] != "watch"),
            "{n}: {a}"
        );
    }
}

#[test]
fn failed_apps_are_restarted_until_the_limit_on_flink_2() {
    scenario(V2);
}

#[test]
fn failed_apps_are_restarted_until_the_limit_on_flink_1() {
    scenario(V1);
}

/// `apply` refuses a bad `[restart]` with exit 2 naming file, line, column and key (no Flink
/// needed: the cluster entry points at a closed port).
#[test]
fn a_bad_restart_section_is_exit_2_at_apply() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = write_config(
        dir.path(),
        &[("c", &format!("http://127.0.0.1:{}", closed_port()))],
        "1s",
    );
    let spec = dir.path().join("bad.app.toml");
    std::fs::write(
        &spec,
        "name = \"bad\"\ncluster = \"c\"\nkind = \"sql\"\nsql = \"SELECT 1\"\n\
         [restart]\non_failure = true\nwithin = \"1 fortnight\"\n",
    )
    .expect("spec");
    let out = cli(
        &cfg,
        dir.path(),
        &["apply", "-f", &spec.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let want = format!("{}:7:10: restart.within: invalid duration", spec.display());
    assert!(stderr(&out).contains(&want), "{}", stderr(&out));
}

/// The long-running watcher (not `--once`) on real Flink 2.3.0: with `max = 1` it restarts the
/// failed app exactly once — no second start while its app list still shows the failed job —
/// and, when the restarted job fails too, sends one give-up; SIGTERM stops it cleanly.
#[test]
fn the_running_watcher_restarts_once_then_gives_up() {
    let env = AppEnv::new(V2);
    let hook = Receiver::start(&[(200, "")]);
    let hook_file = env.dir.path().join("hook.url");
    std::fs::write(&hook_file, &hook.url).expect("hook url");
    let mut text = std::fs::read_to_string(&env.config).expect("config");
    text.push_str(&format!(
        "\n[[alerts.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl_file = {:?}\n\n\
         [[alerts.rules]]\nname = \"app-failed\"\nwhen = \"failed\"\napps = [\"rw-*\"]\nchannels = [\"hook\"]\n",
        hook_file.display().to_string()
    ));
    std::fs::write(&env.config, text).expect("config");
    let name = unique("rw");
    write_app(
        &env,
        &name,
        FLAKY,
        &format!("\n[restart]\non_failure = true\nmax = 1\n{FAIL_FAST}"),
    );
    let job1 = job_id_of(&env.ok(&["start", &name, "--from", "none"]));
    wait_failed(&env, &job1);
    let mut watcher = std::process::Command::new(bin())
        .arg("--config")
        .arg(&env.config)
        .arg("--data-dir")
        .arg(env.dir.path())
        .arg("watch")
        .env_remove("FLINKDECK_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn watch");
    let gave_up = wait_for("the watcher to give up", Duration::from_secs(120), || {
        let got = hook.received();
        let g = of_app(&got, &name, "gave_up");
        (!g.is_empty()).then_some(g)
    });
    // A few more rounds (refresh 1 s): nothing else is started or sent.
    std::thread::sleep(Duration::from_secs(4));
    let pid = watcher.id().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    assert_eq!(watcher.wait().expect("wait").code(), Some(0));
    let got = hook.received();
    assert_eq!(of_app(&got, &name, "restarting").len(), 1, "{got:?}");
    assert_eq!(of_app(&got, &name, "restarted").len(), 1, "{got:?}");
    assert_eq!(of_app(&got, &name, "gave_up").len(), 1, "{got:?}");
    assert!(
        gave_up[0]["reason"]
            .as_str()
            .expect("reason")
            .contains("1 attempt(s) within 30m (max 1)"),
        "{}",
        gave_up[0]
    );
    let jobs = jobs_of(&env, &name);
    assert_eq!(jobs.len(), 2, "one restart only: {jobs:?}");
    assert_eq!(jobs[1], job1);
    assert_eq!(job_state(&env, &jobs[0]).as_deref(), Some("FAILED"));
}
