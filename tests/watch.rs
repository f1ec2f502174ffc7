//! `flinkdeck watch` end to end on real Flink (2.3.0 and 1.20.5): a managed app whose job fails
//! for real (the flaky demo job with `restart-strategy.type = none`), a second cluster entry on a
//! closed port (unreachable), and a real HTTP receiver started by the test as the webhook
//! channel. Checked: the failed and unreachable incidents are delivered with app, cluster, job
//! id, state and the root exception's first line; a second `watch --once` (a restarted watcher)
//! sends nothing again; the app running again closes its incident with a recovery notice; the
//! lock (a second watcher exits 4 naming the first one's pid) and a clean SIGTERM stop.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::apps::{job_id_of, AppEnv};
use common::receiver::Receiver;
use common::*;
use serde_json::Value;

fn alerts_config(env: &AppEnv, hook_file: &std::path::Path, app_glob: &str) {
    let mut text = std::fs::read_to_string(&env.config).expect("config");
    text.push_str(&format!(
        "\n[[clusters]]\nname = \"gone\"\nkind = \"standalone\"\nurl = \"http://127.0.0.1:{}\"\ntimeout = \"2s\"\n\n\
         [[alerts.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl_file = {:?}\n\n\
         [[alerts.rules]]\nname = \"app-failed\"\nwhen = \"failed\"\napps = [\"{app_glob}\"]\nchannels = [\"hook\"]\n\n\
         [[alerts.rules]]\nname = \"cluster-down\"\nwhen = \"unreachable\"\nclusters = [\"gone\"]\nchannels = [\"hook\"]\n",
        closed_port(),
        hook_file.display().to_string()
    ));
    std::fs::write(&env.config, text).expect("config");
}

fn watch_once(env: &AppEnv) -> Value {
    let out = env.run(&["watch", "--once", "--json"]);
    assert_eq!(out.status.code(), Some(0), "watch --once: {}", stderr(&out));
    json_of(&["watch"], &stdout(&out))
}

fn scenario(version: &str) {
    let env = AppEnv::new(version);
    let hook = Receiver::start(&[(200, "")]);
    let hook_file = env.dir.path().join("hook.url");
    std::fs::write(&hook_file, &hook.url).expect("hook url");
    let name = unique("wf");
    alerts_config(&env, &hook_file, "wf-*");
    let spec = env.dir.path().join("wf.app.toml");
    std::fs::write(
        &spec,
        format!(
            "name = \"{name}\"\ncluster = \"c\"\nkind = \"jar\"\njar_file = \"{}\"\nentry_class = \"{DEMO_CLASS}\"\n\
             args = [\"--mode\", \"flaky\", \"--fail-after\", \"15\", \"--name\", \"{name}\"]\nparallelism = 1\n\n\
             [options]\n\"restart-strategy.type\" = \"none\"\n",
            demo_jar(version).display()
        ),
    )
    .expect("spec");
    apply_spec(&env.config, env.dir.path(), &spec);
    let job = job_id_of(&env.ok(&["start", &name, "--from", "none"]));
    let c = client(&env.url);
    wait_for(
        &format!("job {job} to fail"),
        Duration::from_secs(90),
        || {
            let v = rt().block_on(c.get_json(&format!("jobs/{job}"))).ok()?;
            (v["state"] == "FAILED").then_some(())
        },
    );

    let r = watch_once(&env);
    assert_eq!(r["opened"], 2, "{r}");
    let got = hook.received();
    assert_eq!(got.len(), 2, "{got:?}");
    let failed = got
        .iter()
        .map(|g| g.json())
        .find(|m| m["rule"] == "app-failed")
        .expect("the failed incident");
    assert_eq!(failed["event"], "opened");
    assert_eq!(failed["app"], name.as_str());
    assert_eq!(failed["cluster"], "c");
    assert_eq!(failed["job_id"], job.as_str());
    assert_eq!(failed["state"], "FAILED");
    let reason = failed["reason"].as_str().expect("reason");
    assert!(
        reason.contains("Exception") && !reason.contains('\n'),
        "the root exception's first line: {reason}"
    );
    assert!(
        failed["text"]
            .as_str()
            .expect("text")
            .contains(&format!("look: flinkdeck checkpoints {job} --cluster c")),
        "{failed}"
    );
    let down = got
        .iter()
        .map(|g| g.json())
        .find(|m| m["rule"] == "cluster-down")
        .expect("the unreachable incident");
    assert_eq!(down["subject"], "cluster:gone");

    // A restarted watcher: the incidents are still open, nothing is sent again.
    let r = watch_once(&env);
    assert_eq!(
        (r["opened"].as_u64(), r["closed"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(hook.received().len(), 2);
    let open = env.json(&["alerts", "--open", "--json"]);
    let open = open.as_array().expect("array");
    assert_eq!(open.len(), 2, "{open:?}");
    assert!(
        open.iter().all(|i| i["deliveries"][0]["ok"] == true),
        "{open:?}"
    );

    // Running again (a steady job of the same app): the failure incident closes with a notice.
    let steady = std::fs::read_to_string(&spec)
        .expect("spec")
        .replace("\"flaky\", \"--fail-after\", \"15\"", "\"steady\"");
    std::fs::write(&spec, steady).expect("spec");
    apply_spec(&env.config, env.dir.path(), &spec);
    let job2 = job_id_of(&env.ok(&["start", &name, "--from", "none", "--wait"]));
    let r = watch_once(&env);
    assert_eq!(r["closed"], 1, "{r}");
    let got = hook.received();
    let resolved = got.last().expect("a message").json();
    assert_eq!(resolved["event"], "resolved", "{resolved}");
    assert_eq!(resolved["rule"], "app-failed");
    assert!(resolved["title"]
        .as_str()
        .expect("title")
        .starts_with("[RESOLVED]"));
    env.ok(&["cancel", &name]);
    let _ = job2;
}

#[test]
fn failed_and_unreachable_are_alerted_once_and_recover_on_flink_2() {
    scenario(V2);
}

#[test]
fn failed_and_unreachable_are_alerted_once_and_recover_on_flink_1() {
    scenario(V1);
}

/// The lock: a second watcher of the same data dir exits 4 naming the first one's pid; SIGTERM
/// stops the first one cleanly (exit 0). No Flink needed (a closed port stands in).
#[test]
fn one_watcher_per_data_dir_and_sigterm_stops_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = write_config(
        dir.path(),
        &[("c", &format!("http://127.0.0.1:{}", closed_port()))],
        "1s",
    );
    let mut first = Command::new(bin())
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("watch")
        .env_remove("FLINKDECK_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn watch");
    let pid = first.id().to_string();
    wait_for(
        "the watcher to hold the lock",
        Duration::from_secs(30),
        || (std::fs::read_to_string(dir.path().join("watch.lock")).ok()? == pid).then_some(()),
    );
    let out = cli(&cfg, dir.path(), &["watch", "--once"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("another watcher (pid {pid})")),
        "{}",
        stderr(&out)
    );
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = first.wait().expect("wait");
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    use std::io::Read;
    first
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    assert!(
        err.contains("watching") && err.contains("SIGTERM: stopping"),
        "{err}"
    );
}

/// The other rule kinds on real Flink 2.3.0, with a webhook receiver that answers 500 twice and
/// then 200 (the delivery is retried with backoff and recorded attempt by attempt):
/// - `restarts`: the flaky demo job under the cluster's fixed-delay restart strategy, 2 restarts
///   within 10m;
/// - `no_checkpoint`: a steady job whose checkpoint interval is 1h, `for = "3s"` (Flink completes
///   a checkpoint or two right at the start, then none for an hour);
/// - `repeat`: a second round after the repeat interval sends a reminder.
#[test]
fn restarts_no_checkpoint_repeat_and_a_channel_that_recovers() {
    let env = AppEnv::new(V2);
    let hook = Receiver::start(&[(500, "busy"), (500, "busy"), (200, "")]);
    let hook_file = env.dir.path().join("hook.url");
    std::fs::write(&hook_file, &hook.url).expect("hook url");
    let flaky = unique("wr-flaky");
    let idle = unique("wr-idle");
    let mut text = std::fs::read_to_string(&env.config).expect("config");
    text.push_str(&format!(
        "\n[[alerts.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl_file = {:?}\n\n\
         [[alerts.rules]]\nname = \"flapping\"\nwhen = \"restarts\"\napps = [\"{flaky}\"]\nchannels = [\"hook\"]\n\
         restarts = {{ count = 2, within = \"10m\" }}\nrepeat = \"2s\"\n\n\
         [[alerts.rules]]\nname = \"stuck\"\nwhen = \"no_checkpoint\"\napps = [\"{idle}\"]\n\
         no_checkpoint = {{ for = \"3s\" }}\n",
        hook_file.display().to_string()
    ));
    std::fs::write(&env.config, text).expect("config");
    for (name, args, options) in [
        (
            &flaky,
            "\"--mode\", \"flaky\", \"--fail-after\", \"10\"",
            "",
        ),
        (
            &idle,
            "\"--mode\", \"steady\"",
            "\n[options]\n\"execution.checkpointing.interval\" = \"1h\"\n",
        ),
    ] {
        let spec = env.dir.path().join(format!("{name}.app.toml"));
        std::fs::write(
            &spec,
            format!(
                "name = \"{name}\"\ncluster = \"c\"\nkind = \"jar\"\njar_file = \"{}\"\nentry_class = \"{DEMO_CLASS}\"\n\
                 args = [{args}, \"--name\", \"{name}\"]\nparallelism = 1\n{options}",
                demo_jar(V2).display()
            ),
        )
        .expect("spec");
        apply_spec(&env.config, env.dir.path(), &spec);
        env.ok(&["start", name, "--from", "none"]);
    }
    let flaky_job = env.active_jobs(&flaky)[0]["id"]
        .as_str()
        .expect("job id")
        .to_string();
    let c = client(&env.url);
    wait_for(
        "2 restarts of the flaky job",
        Duration::from_secs(120),
        || {
            let v = rt()
                .block_on(c.get_json(&format!("jobs/{flaky_job}/exceptions")))
                .ok()?;
            let n = v["exceptionHistory"]["entries"]
                .as_array()
                .map_or(0, Vec::len);
            (n >= 2).then_some(())
        },
    );
    std::thread::sleep(Duration::from_secs(3));

    let r = watch_once(&env);
    assert_eq!(r["opened"], 2, "{r}\n{}", env.json(&["alerts", "--json"]));
    assert_eq!(r["deliveries_failed"], 0, "{r}");
    let incidents = env.json(&["alerts", "--open", "--json"]);
    let incidents = incidents.as_array().expect("array");
    let flapping = incidents
        .iter()
        .find(|i| i["rule"] == "flapping")
        .expect("flapping incident");
    let reason = flapping["reason"].as_str().expect("reason");
    assert!(
        reason.contains("restarts in the last 10m") && reason.contains("flinkdeck demo failure"),
        "{reason}"
    );
    let attempts: Vec<(u64, bool)> = flapping["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| (d["attempt"].as_u64().unwrap_or(0), d["ok"] == true))
        .collect();
    assert_eq!(attempts, [(1, false), (2, false), (3, true)], "{flapping}");
    let stuck = incidents
        .iter()
        .find(|i| i["rule"] == "stuck")
        .expect("no_checkpoint incident");
    assert!(
        stuck["reason"]
            .as_str()
            .expect("reason")
            .starts_with("no checkpoint completed"),
        "{stuck}"
    );
    assert!(
        stuck["deliveries"].as_array().expect("d").is_empty(),
        "no channels: recorded only"
    );

    // The repeat interval passed: a reminder.
    std::thread::sleep(Duration::from_secs(3));
    let r = watch_once(&env);
    assert_eq!(r["reminded"], 1, "{r}");
    let last = hook.received().last().expect("messages").json();
    assert_eq!(last["event"], "reminder", "{last}");
    assert_eq!(last["rule"], "flapping");
    for name in [&flaky, &idle] {
        env.ok(&["cancel", name]);
    }
}

/// `lost` on real Flink 1.20.5: a managed app's job vanishes when its JobManager restarts
/// without HA (the cluster on the outage port is stopped and started again); the cluster
/// answers, so it is `lost`, not `unreachable`.
#[test]
fn a_job_gone_with_its_jobmanager_is_lost() {
    let port: u16 = std::env::var("FLINKDECK_TEST_PORT_OUTAGE")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(18093);
    let url = ensure_cluster_on(V1, port);
    let env = AppEnv::on(V1, &url);
    let hook = Receiver::start(&[(200, "")]);
    let hook_file = env.dir.path().join("hook.url");
    std::fs::write(&hook_file, &hook.url).expect("hook url");
    let name = unique("wl");
    let mut text = std::fs::read_to_string(&env.config).expect("config");
    text.push_str(&format!(
        "\n[[alerts.channels]]\nname = \"hook\"\nkind = \"webhook\"\nurl_file = {:?}\n\n\
         [[alerts.rules]]\nname = \"gone\"\nwhen = \"lost\"\nchannels = [\"hook\"]\n\n\
         [[alerts.rules]]\nname = \"down\"\nwhen = \"unreachable\"\nchannels = [\"hook\"]\n",
        hook_file.display().to_string()
    ));
    std::fs::write(&env.config, text).expect("config");
    let spec = env.write_jar_app(&name);
    apply_spec(&env.config, env.dir.path(), &spec);
    let job = job_id_of(&env.ok(&["start", &name, "--from", "none", "--wait"]));
    let r = watch_once(&env);
    assert_eq!(r["opened"], 0, "a running app is fine: {r}");

    script_run(&["down", "--version", V1, "--port", &port.to_string()]);
    ensure_cluster_on(V1, port);
    let r = watch_once(&env);
    assert_eq!(r["opened"], 1, "{r}");
    let m = hook.received().last().expect("a message").json();
    assert_eq!(m["rule"], "gone", "{m}");
    assert_eq!(m["app"], name.as_str());
    assert_eq!(
        m["reason"],
        format!("job {job} is no longer on cluster c").as_str()
    );
}
