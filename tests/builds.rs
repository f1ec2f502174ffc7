//! `flinkdeck build` / `builds` with real git, real javac and real Flink (2.3.0 and 1.20.5): the
//! test creates a git repository holding the demo DataStream job and a `build.sh` that compiles
//! it with `javac` against the target Flink's `lib/` and packs it with `jar` (Maven Central
//! cannot be reached here). A good commit is built, bound and started on the real cluster; a
//! commit that fails to compile fails the build and leaves the bound artifact alone. Also: an
//! artifact glob without a match, bad `[build]` keys (line/column), Ctrl-C (SIGINT) cancelling a
//! build and killing its process group, and a second concurrent build of one app being refused.

mod common;

use std::process::Command;
use std::time::Duration;

use common::apps::{job_id_of, AppEnv};
use common::build_repo::*;
use common::*;
use serde_json::Value;

fn builds_json(env: &AppEnv, name: &str) -> Vec<Value> {
    env.json(&["builds", name, "--json"])
        .as_array()
        .cloned()
        .expect("builds --json is an array")
}

fn end_to_end(version: &str) {
    let env = AppEnv::new(version);
    let lib = flink_home(version).join("lib");
    let repo = new_repo(env.dir.path());
    let demo = demo_source();
    let good = commit(
        &repo,
        &[("FlinkdeckDemo.java", &demo), ("build.sh", BUILD_SH)],
        "the demo job",
    );
    let broken_src = broken_source();
    let broken = commit(&repo, &[("FlinkdeckDemo.java", &broken_src)], "break it");
    // `main` must build the good commit: put the broken one on a side branch.
    git(&repo, &["branch", "-q", "broken"]);
    git(&repo, &["reset", "-q", "--hard", &good]);

    let name = unique("built");
    let spec = env.dir.path().join("built.app.toml");
    let tail = build_tail(&lib);
    std::fs::write(&spec, app_toml(&name, &repo, &tail)).expect("spec");
    apply_spec(&env.config, env.dir.path(), &spec);

    // Not built yet: start is a usage error.
    let out = env.run(&["start", &name]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("has no built artifact yet"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["build", &name]);
    let text = ok_stdout(&["build"], &out);
    for step in [
        "fetch",
        &format!("checkout {good}"),
        "build: bash build.sh",
        "packed target/demo-job.jar",
        "artifact",
        "bind",
    ] {
        assert!(
            text.contains(step),
            "no {step:?} in the build output:\n{text}"
        );
    }
    let b = builds_json(&env, &name);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0]["status"], "succeeded");
    assert_eq!(b[0]["commit"], good.as_str());
    assert_eq!(b[0]["subject"], "the demo job");
    let sha = b[0]["sha256"].as_str().expect("sha256").to_string();
    assert_eq!(sha.len(), 64);
    let artifact = b[0]["artifact"].as_str().expect("artifact").to_string();
    assert!(artifact.ends_with(&format!("{sha}.jar")), "{artifact}");
    assert_eq!(
        std::fs::metadata(&artifact).expect("stored artifact").len(),
        b[0]["size"].as_u64().expect("size")
    );
    assert!(std::fs::read_to_string(b[0]["log"].as_str().expect("log"))
        .expect("build log")
        .contains("packed target/demo-job.jar"));

    // The bound artifact runs on the real cluster.
    let job = job_id_of(&env.ok(&["start", &name, "--wait"]));
    let running = env.active_jobs(&name);
    assert!(
        running
            .iter()
            .any(|j| j["id"] == job.as_str() && j["state"] == "RUNNING"),
        "{running:?}"
    );
    env.ok(&["cancel", &name]);

    // The broken commit: exit 1 with javac's error, nothing rebound.
    let out = env.run(&["build", &name, "--ref", &broken]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains("FlinkdeckDemo.java") && err.contains("error:"),
        "no compiler error in:\n{err}"
    );
    let b = builds_json(&env, &name);
    assert_eq!(b[0]["status"], "failed");
    assert_eq!(b[0]["commit"], broken.as_str());
    assert_eq!(b[1]["status"], "succeeded");
    let shown = env.json(&["app", "show", &name, "--json"]);
    assert!(
        shown.to_string().contains(&artifact),
        "the app no longer runs {artifact}: {shown}"
    );
}

#[test]
fn build_bind_start_and_a_broken_commit_on_flink_2() {
    end_to_end(V2);
}

#[test]
fn build_bind_start_and_a_broken_commit_on_flink_1() {
    end_to_end(V1);
}

#[test]
fn no_matching_artifact_fails_and_bad_build_keys_are_spec_errors() {
    let (dir, config) = offline_env();
    let repo = new_repo(dir.path());
    commit(&repo, &[("README", "nothing to build\n")], "empty");
    let spec = dir.path().join("a.app.toml");
    std::fs::write(
        &spec,
        app_toml(
            "nomatch",
            &repo,
            "command = [\"true\"]\nartifact = \"target/*.jar\"\n",
        ),
    )
    .expect("spec");
    apply_spec(&config, dir.path(), &spec);
    let out = cli(&config, dir.path(), &["build", "nomatch"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no file matches build.artifact"),
        "{}",
        stderr(&out)
    );
    let b = json_of(
        &["builds"],
        &stdout(&cli(&config, dir.path(), &["builds", "nomatch", "--json"])),
    );
    assert_eq!(b[0]["status"], "failed", "{b}");
    let audit = json_of(
        &["audit"],
        &stdout(&cli(
            &config,
            dir.path(),
            &["audit", "--app", "nomatch", "--json"],
        )),
    );
    let audit = audit.as_array().expect("audit array");
    assert!(
        audit
            .iter()
            .any(|a| a["action"] == "build" && a["ok"] == false),
        "{audit:?}"
    );

    for (tail, key, line) in [
        ("command = []\nartifact = \"x.jar\"\n", "build.command", 11),
        (
            "command = [\"true\"]\nartifact = \"x.jar\"\ntimeout = \"soon\"\n",
            "build.timeout",
            13,
        ),
        (
            "command = [\"true\"]\nartifact = \"../x.jar\"\n",
            "build.artifact",
            12,
        ),
        (
            "command = [\"true\"]\nartifact = \"x.jar\"\nenv = { A = 1 }\n",
            "build.env",
            13,
        ),
        (
            "command = [\"true\"]\nartifact = \"x.jar\"\nshell = \"bash\"\n",
            "shell",
            13,
        ),
    ] {
        std::fs::write(&spec, app_toml("bad", &repo, tail)).expect("spec");
        let out = cli(
            &config,
            dir.path(),
            &["apply", "-f", spec.to_str().expect("utf-8")],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{tail}: {err}");
        assert!(err.contains(key), "{tail}: no key {key} in {err}");
        assert!(
            err.contains(&format!(":{line}:")),
            "{tail}: no line {line} in {err}"
        );
    }
}

#[test]
fn sigint_cancels_the_build_and_its_process_group_and_one_build_runs_at_a_time() {
    let (dir, config) = offline_env();
    let pid_file = dir.path().join("sleep.pid");
    slow_app(dir.path(), &config, &pid_file);
    let mut first = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["build", "slow"])
        .env_remove("FLINKDECK_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn build");
    let sleeper = sleeper_pid(&pid_file);
    assert!(!gone(&sleeper));

    let out = cli(&config, dir.path(), &["build", "slow"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is running; one build per app at a time"),
        "{}",
        stderr(&out)
    );

    let kill = Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(kill.success());
    let status = first.wait().expect("wait for the build");
    assert_eq!(status.code(), Some(1));
    wait_for("the sleep to be killed", Duration::from_secs(10), || {
        gone(&sleeper).then_some(())
    });
    let b = json_of(
        &["builds"],
        &stdout(&cli(&config, dir.path(), &["builds", "slow", "--json"])),
    );
    let b = b.as_array().expect("array");
    assert_eq!(b.len(), 1, "the refused build is not recorded: {b:?}");
    assert_eq!(b[0]["status"], "cancelled");
}
