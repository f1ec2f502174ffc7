//! Deploy targets through the Flink CLI (`[target]` / `[kubernetes]` in an app spec), end to end
//! through the real `flinkdeck` binary. What is real and what is a stand-in:
//!
//! - Kubernetes application and session modes run the **real** Flink client (`CliFrontend` from
//!   the `lib/` of the real 2.3.0 and 1.20.5 homes of `scripts/flink-local.sh`) against the fake
//!   Kubernetes API server of `tests/fake_kube` (no API server can run here; one fake is shared
//!   by the tests of this binary). For application mode the fake's opt-in emulation of
//!   Kubernetes + the JobManager image (`tests/fake_kube/native_app.rs`) runs the program the
//!   client put in the cluster's ConfigMap on the **real** Flink of that version, from the
//!   savepoint path in it; for session mode the fake's native session cluster is backed by the
//!   real Flink and exposed as a LoadBalancer Service at 127.0.0.1, where the real client
//!   submits the jar. The restores are from real savepoints and verified as for standalone.
//! - YARN cannot be reached from here (no ResourceManager): the YARN submissions run a
//!   **recording stand-in** for `flink` (a shell script in a fake Flink home's `bin/` that writes
//!   its argv to a file and prints what the real CLI prints: the JobID line, the YARN application
//!   id). The ResourceManager is the fake of `tests/fake_yarn`; the session and the application
//!   it lists point at a **real** Flink 2.3.0 cluster, whose REST flinkdeck reads through the
//!   fake RM's proxy to find and record the job.
//! - Command lines per version (1.18, 1.19, 1.20, 2.x) are checked with `start --dry-run`
//!   against fake homes of those versions (nothing runs: the recording file stays absent).

mod common;
#[path = "fake_kube/mod.rs"]
mod fake_kube;
#[path = "fake_yarn/mod.rs"]
mod fake_yarn;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use common::{
    bin, ensure_cluster, flink_home, stderr, stdout, submit_demo, unique, wait_for, DEMO_CLASS, V1,
    V2,
};
use fake_kube::{FakeKube, NativeAppTarget};
use fake_yarn::{FakeApp, FakeYarn, Ha};
use serde_json::Value;

const SESSION: &str = "application_1700000000000_0003";
const SECRET: &str = "s3cr3t-token-value";

/// Runs flinkdeck with the config and data dir, a secret in the environment and extra env.
fn run(config: &Path, data: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(bin());
    c.arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("FLINKDECK_CONFIG")
        .env("DEPLOY_TOKEN", SECRET);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run flinkdeck")
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// A fake Flink home of `version` whose `bin/flink` records its argv (one per line) into
/// `<home>/argv` and prints `<home>/say` (what the real CLI would print).
fn recording_home(root: &Path, version: &str) -> PathBuf {
    let home = root.join(format!("flink-{version}"));
    std::fs::create_dir_all(home.join("lib")).expect("lib");
    std::fs::create_dir_all(home.join("bin")).expect("bin");
    std::fs::create_dir_all(home.join("conf")).expect("conf");
    let cfg = if version.starts_with('2') {
        "config.yaml"
    } else {
        "flink-conf.yaml"
    };
    std::fs::write(home.join("conf").join(cfg), "").expect("conf file");
    let script = format!(
        "#!/bin/sh\n: > '{h}/argv'\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{h}/argv'; done\n\
         echo \"FLINK_CONF_DIR=$FLINK_CONF_DIR\" > '{h}/env'\n\
         if [ -f '{h}/say' ]; then cat '{h}/say'; fi\nexit 0\n",
        h = home.display()
    );
    let path = home.join("bin/flink");
    std::fs::write(&path, script).expect("script");
    let mut perm = std::fs::metadata(&path).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).expect("chmod");
    home
}

fn recorded_argv(home: &Path) -> Option<Vec<String>> {
    std::fs::read_to_string(home.join("argv"))
        .ok()
        .map(|t| t.lines().map(str::to_string).collect())
}

/// A config with a YARN entry on `rm`, a second (standalone) entry, `[[flink]]` homes and the
/// secret variable `token` read from `DEPLOY_TOKEN`.
fn yarn_config(dir: &Path, rm: &str, homes: &[(&str, &Path)]) -> PathBuf {
    let mut text = format!(
        "[[clusters]]\nname = \"yarn-prod\"\nkind = \"yarn\"\nurl = {rm:?}\nuser = \"flink\"\ntimeout = \"10s\"\n\n\
         [[clusters]]\nname = \"other\"\nkind = \"standalone\"\nurl = \"http://127.0.0.1:9\"\n\n\
         [secret_vars]\ntoken = {{ env = \"DEPLOY_TOKEN\" }}\n"
    );
    for (v, h) in homes {
        text.push_str(&format!(
            "\n[[flink]]\nversion = {v:?}\nhome = {:?}\n",
            h.display().to_string()
        ));
    }
    let p = dir.join("config.toml");
    std::fs::write(&p, text).expect("config");
    p
}

fn jar_app(dir: &Path, name: &str, target: &str) -> PathBuf {
    let jar = dir.join("app.jar");
    std::fs::write(&jar, b"PK").expect("jar");
    let text = format!(
        "name = {name:?}\nkind = \"jar\"\njar_file = \"app.jar\"\nentry_class = \"com.example.Orders\"\n\
         args = [\"--topic\", \"orders\"]\n\n{target}"
    );
    let p = dir.join(format!("{name}.app.toml"));
    std::fs::write(&p, text).expect("spec");
    p
}

fn apply(config: &Path, data: &Path, spec: &Path) {
    let o = run(
        config,
        data,
        &[],
        &["apply", "-f", spec.to_str().expect("utf-8")],
    );
    assert_eq!(code(&o), Some(0), "apply: {}", show(&o));
}

/// `--dry-run` for YARN application mode on 1.18 / 1.19 / 1.20 / 2.3: the per-version action
/// and restore flags, options from the spec with the secret masked, and nothing run.
#[test]
fn dry_run_prints_the_command_line_of_each_version_with_secrets_masked() {
    let dir = tempfile::tempdir().expect("tmp");
    let versions = ["1.18.1", "1.19.2", "1.20.5", "2.3.0"];
    let homes: Vec<(String, PathBuf)> = versions
        .iter()
        .map(|v| (v.to_string(), recording_home(dir.path(), v)))
        .collect();
    let home_refs: Vec<(&str, &Path)> = homes
        .iter()
        .map(|(v, h)| (v.as_str(), h.as_path()))
        .collect();
    let config = yarn_config(dir.path(), "http://127.0.0.1:9", &home_refs);
    let data = dir.path().join("data");
    for (v, home) in &homes {
        let name = format!("orders-{}", v.replace('.', "-"));
        let spec = jar_app(
            dir.path(),
            &name,
            &format!(
                "[target]\ncluster = \"yarn-prod\"\nmode = \"application\"\nflink = {v:?}\n\
                 options = {{ \"yarn.application.queue\" = \"rt\", \"security.token\" = \"${{token}}\" }}\n"
            ),
        );
        apply(&config, &data, &spec);
        let o = run(
            &config,
            &data,
            &[],
            &[
                "start",
                &name,
                "--dry-run",
                "--from",
                "savepoint:hdfs:///sp/savepoint-1",
                "--allow-non-restored",
            ],
        );
        assert_eq!(code(&o), Some(0), "{v}: {}", show(&o));
        let out = stdout(&o);
        assert!(!out.contains(SECRET), "{v}: the secret is printed:\n{out}");
        let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with("# env ")).collect();
        assert_eq!(
            lines[0],
            home.join("bin/flink").display().to_string(),
            "{v}"
        );
        let action = if v.starts_with('2') {
            "run"
        } else {
            "run-application"
        };
        assert_eq!(
            lines[1..4],
            [action, "-t", "yarn-application"],
            "{v}:\n{out}"
        );
        assert!(
            lines.contains(&"-Dyarn.application.queue=rt"),
            "{v}:\n{out}"
        );
        assert!(lines.contains(&"-Dsecurity.token=***"), "{v}:\n{out}");
        let at = lines.iter().position(|l| *l == "-s").expect("-s");
        assert_eq!(lines[at + 1], "hdfs:///sp/savepoint-1");
        assert_eq!(lines[at + 2], "-n");
        let mode_flag = if v.starts_with("1.18") || v.starts_with("1.19") {
            "-rm"
        } else {
            "-cm"
        };
        assert_eq!(
            lines[at + 3..at + 5],
            [mode_flag, "no_claim"],
            "{v}:\n{out}"
        );
        let jar = dir.path().join("app.jar").display().to_string();
        assert_eq!(
            lines[lines.len() - 5..],
            [
                "-c",
                "com.example.Orders",
                jar.as_str(),
                "--topic",
                "orders"
            ],
            "{v}:\n{out}"
        );
        assert!(recorded_argv(home).is_none(), "{v}: --dry-run ran the CLI");
    }
    // Per-job on 2.x is a spec error: exit 2, nothing run.
    let spec = jar_app(
        dir.path(),
        "perjob",
        "[target]\ncluster = \"yarn-prod\"\nmode = \"per-job\"\nflink = \"2.3.0\"\n",
    );
    apply(&config, &data, &spec);
    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec!["start", "perjob"];
        args.extend_from_slice(extra);
        let o = run(&config, &data, &[], &args);
        assert_eq!(code(&o), Some(2), "{}", show(&o));
        assert!(stderr(&o).contains("removed in 2.0"), "{}", show(&o));
    }
    assert!(
        recorded_argv(&homes[3].1).is_none(),
        "per-job on 2.x ran the CLI"
    );
}

/// A YARN session and a YARN application through the recording stand-in: the command lines,
/// the job id read from the output, the run recorded under the YARN application, the journal
/// settled, the audit entry, the guard against a second start, and a session id the RM does not
/// know (exit 1, nothing run).
#[test]
fn yarn_session_and_application_through_a_recording_flink() {
    let url = ensure_cluster(V2);
    let dir = tempfile::tempdir().expect("tmp");
    let home = recording_home(dir.path(), "1.20.5");
    let rm = FakeYarn::start(Ha::Active);
    let config = yarn_config(dir.path(), &rm.url(), &[("1.20.5", &home)]);
    let data = dir.path().join("data");

    // Session mode: the session runs on the real 2.3.0 cluster, where the job the stand-in
    // "submits" really runs.
    rm.add_app(FakeApp::running(SESSION, "Flink session cluster", &url));
    let app = unique("yarn-sess");
    // Named unlike the app: the guard must not take it for a running instance before the start.
    let job = submit_demo(V2, &url, "steady", &format!("{app}-job"));
    std::fs::write(
        home.join("say"),
        format!("Job has been submitted with JobID {job}\n"),
    )
    .expect("say");
    let spec = jar_app(
        dir.path(),
        &app,
        &format!(
            "[target]\ncluster = \"yarn-prod\"\nmode = \"session\"\nsession = \"{SESSION}\"\nflink = \"1.20.5\"\n\
             options = {{ \"security.token\" = \"${{token}}\" }}\n"
        ),
    );
    apply(&config, &data, &spec);
    let o = run(&config, &data, &[], &["start", &app, "--from", "none"]);
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("as job {job} on yarn-prod/{SESSION}")),
        "{}",
        show(&o)
    );
    assert!(
        stderr(&o).contains(&format!("flink: Job has been submitted with JobID {job}")),
        "the CLI's output streams as progress: {}",
        show(&o)
    );
    let argv = recorded_argv(&home).expect("the stand-in ran");
    assert_eq!(argv[..4], ["run", "-t", "yarn-session", "-d"]);
    assert!(
        argv.contains(&format!("-Dyarn.application.id={SESSION}")),
        "{argv:?}"
    );
    assert!(
        argv.contains(&format!("-Dsecurity.token={SECRET}")),
        "the real value goes to Flink: {argv:?}"
    );
    assert!(
        !stderr(&o).contains(SECRET) && !stdout(&o).contains(SECRET),
        "{}",
        show(&o)
    );

    let h = run(&config, &data, &[], &["history", &app, "--json"]);
    let h: Value = serde_json::from_str(&stdout(&h)).expect("history json");
    assert_eq!(h["runs"][0]["job_id"], job.as_str(), "{h}");
    assert_eq!(
        h["runs"][0]["cluster"],
        format!("yarn-prod/{SESSION}"),
        "{h}"
    );
    let op = &h["operations"][0];
    assert_eq!(
        op["kind"].as_str().map(str::to_lowercase),
        Some("start".into()),
        "{h}"
    );
    assert_eq!(
        op["status"].as_str().map(str::to_lowercase),
        Some("succeeded".into()),
        "{h}"
    );
    assert!(
        !op["params"].as_str().unwrap_or_default().contains(SECRET),
        "{h}"
    );
    assert!(
        op["params"]
            .as_str()
            .unwrap_or_default()
            .contains("-Dsecurity.token=***"),
        "{h}"
    );
    let a = run(&config, &data, &[], &["audit", "--app", &app, "--json"]);
    let a: Value = serde_json::from_str(&stdout(&a)).expect("audit json");
    assert_eq!(a[0]["action"], "start", "{a}");
    assert_eq!(a[0]["ok"], true, "{a}");

    // The guard: the job runs on the session, so a second start is refused (exit 4).
    std::fs::remove_file(home.join("argv")).expect("rm argv");
    let o = run(&config, &data, &[], &["start", &app, "--from", "none"]);
    assert_eq!(code(&o), Some(4), "{}", show(&o));
    assert!(
        recorded_argv(&home).is_none(),
        "a refused start ran the CLI"
    );

    // A session the RM does not know: a runtime error, exit 1, nothing run.
    let bad = unique("yarn-nosess");
    let spec = jar_app(
        dir.path(),
        &bad,
        "[target]\ncluster = \"yarn-prod\"\nmode = \"session\"\nsession = \"application_1700000000000_0999\"\nflink = \"1.20.5\"\n",
    );
    apply(&config, &data, &spec);
    let o = run(&config, &data, &[], &["start", &bad, "--from", "none"]);
    assert_eq!(code(&o), Some(1), "{}", show(&o));
    assert!(
        stderr(&o).contains("application_1700000000000_0999"),
        "{}",
        show(&o)
    );
    assert!(
        recorded_argv(&home).is_none(),
        "a missing session ran the CLI"
    );

    // Application mode: the stand-in prints the new YARN application id; flinkdeck finds the job
    // through that application's JobManager (the real 2.3.0 cluster behind the fake RM).
    let app2 = unique("yarn-app");
    let job2 = submit_demo(V2, &url, "steady", &app2);
    let yarn_id = "application_1700000000000_0042";
    rm.add_app(FakeApp::running(yarn_id, "Flink Application Cluster", &url));
    std::fs::write(
        home.join("say"),
        format!(
            "INFO  org.apache.flink.yarn.YarnClusterDescriptor - Submitting application master {yarn_id}\n\
             INFO  org.apache.flink.yarn.YarnClusterDescriptor - YARN application has been deployed successfully.\n"
        ),
    )
    .expect("say");
    let spec = jar_app(
        dir.path(),
        &app2,
        "[target]\ncluster = \"yarn-prod\"\nmode = \"application\"\nflink = \"1.20.5\"\n",
    );
    apply(&config, &data, &spec);
    let o = run(&config, &data, &[], &["start", &app2, "--from", "none"]);
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    assert!(
        stdout(&o).contains(&format!("as job {job2} on yarn-prod/{yarn_id}")),
        "{}",
        show(&o)
    );
    let argv = recorded_argv(&home).expect("ran");
    assert_eq!(argv[..3], ["run-application", "-t", "yarn-application"]);
    // The app's job is found by app name on the cluster of its run (`yarn-prod/application_…`).
    let o = run(&config, &data, &[], &["cancel", &app2]);
    assert_eq!(code(&o), Some(0), "cancel by app name: {}", show(&o));
    assert!(stdout(&o).contains(&job2), "{}", show(&o));
    let _ = rt_cancel(&url, &job);

    // A read-only YARN entry refuses the start (exit 4) before anything runs.
    let ro = dir.path().join("ro.toml");
    let text = std::fs::read_to_string(&config).expect("config").replacen(
        "user = \"flink\"\n",
        "user = \"flink\"\nreadonly = true\n",
        1,
    );
    std::fs::write(&ro, text).expect("ro config");
    std::fs::remove_file(home.join("argv")).expect("rm argv");
    let o = run(&ro, &data, &[], &["start", &app2, "--from", "none"]);
    assert_eq!(code(&o), Some(4), "{}", show(&o));
    assert!(stderr(&o).contains("read-only"), "{}", show(&o));
    assert!(
        recorded_argv(&home).is_none(),
        "a read-only start ran the CLI"
    );
}

fn rt_cancel(url: &str, job: &str) -> Result<(), String> {
    common::rt()
        .block_on(common::client(url).cancel_job(job))
        .map_err(|e| e.to_string())
}

/// Spec and config errors at start: a target cluster that is not in the config, a Flink home
/// missing for the version; exit 2 and nothing run.
#[test]
fn bad_targets_are_usage_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let home = recording_home(dir.path(), "1.20.5");
    let config = yarn_config(dir.path(), "http://127.0.0.1:9", &[("1.20.5", &home)]);
    let data = dir.path().join("data");
    let spec = jar_app(
        dir.path(),
        "nohome",
        "[target]\ncluster = \"yarn-prod\"\nmode = \"application\"\nflink = \"1.17.9\"\n",
    );
    apply(&config, &data, &spec);
    let o = run(&config, &data, &[], &["start", "nohome", "--from", "none"]);
    assert_eq!(code(&o), Some(2), "{}", show(&o));
    assert!(
        stderr(&o).contains("Flink 1.17.9 is needed"),
        "{}",
        show(&o)
    );

    let spec = jar_app(
        dir.path(),
        "gone",
        "[target]\ncluster = \"yarn-prod\"\nmode = \"application\"\nflink = \"1.20.5\"\n",
    );
    apply(&config, &data, &spec);
    // The same data dir with a config that no longer has the YARN entry.
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        format!(
            "[[clusters]]\nname = \"other\"\nkind = \"standalone\"\nurl = \"http://127.0.0.1:9\"\n\n[[flink]]\nversion = \"1.20.5\"\nhome = {:?}\n",
            home.display().to_string()
        ),
    )
    .expect("config");
    for extra in [&["--dry-run"][..], &[][..]] {
        let mut args = vec!["start", "gone", "--from", "none"];
        args.extend_from_slice(extra);
        let o = run(&other, &data, &[], &args);
        assert_eq!(code(&o), Some(2), "{}", show(&o));
        assert!(
            stderr(&o).contains("\"yarn-prod\" is not in the config"),
            "{}",
            show(&o)
        );
    }
    assert!(recorded_argv(&home).is_none(), "a bad target ran the CLI");
}

/// The fake API server shared by the Kubernetes tests of this binary (namespace `streaming`).
fn kube() -> &'static FakeKube {
    static FAKE: OnceLock<FakeKube> = OnceLock::new();
    FAKE.get_or_init(|| {
        let fake = FakeKube::start_blocking();
        fake.add_namespace("streaming");
        fake
    })
}

/// A config with the Kubernetes entry `k8s` (namespace `streaming` of the shared fake) and the
/// `[[flink]]` homes of 2.3.0 and 1.20.5.
fn kube_config(dir: &Path) -> PathBuf {
    let kc = kube().write_kubeconfig(dir, &[("fake", "streaming")]);
    let mut config = format!(
        "[[clusters]]\nname = \"k8s\"\nkind = \"kubernetes\"\nkubeconfig = {:?}\nnamespaces = [\"streaming\"]\ntimeout = \"10s\"\n",
        kc.display().to_string()
    );
    for v in [V2, V1] {
        config.push_str(&format!(
            "\n[[flink]]\nversion = {v:?}\nhome = {:?}\n",
            flink_home(v).display().to_string()
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, config).expect("config");
    path
}

/// Runs the steady demo job named `name` on the real Flink at `url`, waits until all its tasks
/// run (Flink refuses a savepoint before), stops it with a savepoint (Flink's default savepoint directory) and
/// returns the savepoint's path, checked on disk.
fn demo_savepoint(v: &str, url: &str, name: &str) -> String {
    let job = submit_demo(v, url, "steady", name);
    wait_tasks_running(url, &job);
    let c = common::client(url);
    let http = reqwest::Client::new();
    let trigger: Value = common::rt()
        .block_on(async {
            http.post(format!("{url}/jobs/{job}/stop"))
                .json(&serde_json::json!({"drain": false}))
                .send()
                .await?
                .json()
                .await
        })
        .expect("stop with savepoint");
    let trigger = trigger["request-id"]
        .as_str()
        .unwrap_or_else(|| panic!("no request-id: {trigger}"))
        .to_string();
    let sp = wait_for(
        &format!("the savepoint of {job}"),
        Duration::from_secs(120),
        || {
            let v = common::rt()
                .block_on(c.get_json(&format!("jobs/{job}/savepoints/{trigger}")))
                .ok()?;
            (v["status"]["id"] == "COMPLETED").then(|| {
                v["operation"]["location"]
                    .as_str()
                    .unwrap_or_else(|| panic!("savepoint failed: {v}"))
                    .to_string()
            })
        },
    );
    assert!(
        Path::new(sp.trim_start_matches("file:"))
            .join("_metadata")
            .is_file(),
        "savepoint {sp} on disk"
    );
    sp
}

/// Waits until every task of `job` runs (a liveness bound, not a speed check).
fn wait_tasks_running(url: &str, job: &str) {
    let c = common::client(url);
    wait_for(
        &format!("all tasks of {job} running"),
        Duration::from_secs(120),
        || {
            let j = common::rt()
                .block_on(c.get_json(&format!("jobs/{job}")))
                .ok()?;
            let vertices = j["vertices"].as_array()?;
            (!vertices.is_empty() && vertices.iter().all(|v| v["status"] == "RUNNING"))
                .then_some(())
        },
    );
}

/// What Flink itself says the job restored from (`/jobs/:id/checkpoints` → `latest.restored`),
/// and the job's name and state (`/jobs/:id`).
fn flink_view(url: &str, job: &str) -> (Option<String>, String, String) {
    let c = common::client(url);
    let cp = common::rt()
        .block_on(c.get_json(&format!("jobs/{job}/checkpoints")))
        .expect("checkpoints");
    let j = common::rt()
        .block_on(c.get_json(&format!("jobs/{job}")))
        .expect("job");
    (
        cp["latest"]["restored"]["external_path"]
            .as_str()
            .map(str::to_string),
        j["name"].as_str().unwrap_or_default().to_string(),
        j["state"].as_str().unwrap_or_default().to_string(),
    )
}

fn same_path(a: &str, b: &str) -> bool {
    let norm = |p: &str| {
        p.trim_start_matches("file:")
            .trim_start_matches("//")
            .trim_end_matches('/')
            .to_string()
    };
    norm(a) == norm(b)
}

fn job_id_of(start_stdout: &str) -> String {
    start_stdout
        .split_whitespace()
        .skip_while(|w| *w != "job")
        .nth(1)
        .unwrap_or_else(|| panic!("no job id in {start_stdout:?}"))
        .to_string()
}

/// Journal, run record and audit of a start that restored `sp` as `job` on `cluster`.
fn check_recorded_start(config: &Path, data: &Path, app: &str, job: &str, cluster: &str, sp: &str) {
    let h = run(config, data, &[], &["history", app, "--json"]);
    let h: Value = serde_json::from_str(&stdout(&h)).expect("history json");
    let r = &h["runs"][0];
    assert_eq!(r["job_id"], job, "{h}");
    assert_eq!(r["cluster"], cluster, "{h}");
    assert_eq!(r["restored_from"], sp, "{h}");
    assert_eq!(r["restore_verified"], true, "{h}");
    let op = &h["operations"][0];
    assert_eq!(
        op["kind"].as_str().map(str::to_lowercase),
        Some("start".into()),
        "{h}"
    );
    assert_eq!(
        op["status"].as_str().map(str::to_lowercase),
        Some("succeeded".into()),
        "{h}"
    );
    assert_eq!(op["cluster"], cluster, "{h}");
    let a = run(config, data, &[], &["audit", "--app", app, "--json"]);
    let a: Value = serde_json::from_str(&stdout(&a)).expect("audit json");
    assert_eq!(a[0]["action"], "start", "{a}");
    assert_eq!(a[0]["ok"], true, "{a}");
}

/// Kubernetes application mode end to end on 2.3.0 and 1.20.5: the real Flink client of each
/// home creates the cluster on the fake API server, whose native-application emulation
/// (`tests/fake_kube/native_app.rs`, standing in for Kubernetes + the JobManager image, which
/// cannot run here) runs the program from the created ConfigMap on the real Flink of that
/// version. Checked: exit 0, the job restored from a real savepoint (flinkdeck's verification
/// and Flink's own `latest.restored`), the journal/run/audit, the created Deployment, ConfigMap
/// and Service (image, cluster-id, savepoint path, entry class, jar), the guard against a second
/// start, and `cancel` by app name ending the job (the application cluster then goes away).
#[test]
fn kubernetes_application_with_the_real_flink_cli() {
    let fake = kube();
    let dir = tempfile::tempdir().expect("tmp");
    let config_path = kube_config(dir.path());
    let data = dir.path().join("data");
    let pod_template = dir.path().join("pod-template.yaml");
    std::fs::write(
        &pod_template,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: template\n  labels:\n    team: orders\nspec:\n  containers:\n  - name: flink-main-container\n",
    )
    .expect("pod template");
    let image_jar = "local:///opt/flink/usrlib/orders.jar";
    for v in [V2, V1] {
        let url = ensure_cluster(v);
        let image = format!("registry.local/flink-orders:{v}");
        fake.emulate_native_applications(NativeAppTarget {
            image: image.clone(),
            flink_rest_url: url.clone(),
            jars: [(image_jar.to_string(), common::demo_jar(v))].into(),
        });
        let id = format!("{}-v{}", unique("orders"), &v[..1]);
        // A real savepoint of an earlier run of the app on the real Flink.
        let savepoint = demo_savepoint(v, &url, &id);
        let spec_path = dir.path().join(format!("{id}.app.toml"));
        std::fs::write(
            &spec_path,
            format!(
                "name = {id:?}\nkind = \"jar\"\nentry_class = {DEMO_CLASS:?}\n\
                 args = [\"--mode\", \"steady\", \"--name\", {id:?}]\nparallelism = 1\n\n\
                 [target]\ncluster = \"k8s\"\nmode = \"application\"\nflink = {v:?}\n\
                 options = {{ \"taskmanager.numberOfTaskSlots\" = \"2\" }}\n\n\
                 [kubernetes]\nnamespace = \"streaming\"\ncluster_id = {id:?}\nimage = {image:?}\n\
                 pod_template = \"pod-template.yaml\"\njar = {image_jar:?}\n"
            ),
        )
        .expect("spec");
        apply(&config_path, &data, &spec_path);
        let o = run(
            &config_path,
            &data,
            &[],
            &["start", &id, "--from", &format!("savepoint:{savepoint}")],
        );
        assert_eq!(code(&o), Some(0), "{v}: {}", show(&o));
        let out = stdout(&o);
        assert!(
            out.contains(&format!("on k8s/streaming/{id} (Kubernetes application cluster {id} in namespace streaming)"))
                && out.contains(&format!("restored (verified) from {savepoint}")),
            "{v}: {}",
            show(&o)
        );
        let job = job_id_of(&out);
        let (restored, name, state) = flink_view(&url, &job);
        let restored = restored.unwrap_or_else(|| panic!("{v}: Flink reports no restore of {job}"));
        assert!(
            same_path(&restored, &savepoint),
            "{v}: Flink restored {restored}, not {savepoint}"
        );
        assert_eq!(name, id, "{v}");
        assert!(
            matches!(state.as_str(), "RUNNING" | "INITIALIZING" | "CREATED"),
            "{v}: {state}"
        );
        check_recorded_start(
            &config_path,
            &data,
            &id,
            &job,
            &format!("k8s/streaming/{id}"),
            &savepoint,
        );

        // What the real client created.
        let deployment = fake
            .get_object("apps/v1", "Deployment", "streaming", &id)
            .unwrap_or_else(|| panic!("{v}: no Deployment {id}"));
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["image"], image.as_str(), "{v}: {deployment}");
        assert_eq!(container["name"], "flink-main-container", "{v}");
        assert_eq!(deployment["metadata"]["labels"]["app"], id.as_str(), "{v}");
        assert_eq!(
            deployment["metadata"]["labels"]["type"], "flink-native-kubernetes",
            "{v}"
        );
        assert_eq!(
            deployment["spec"]["template"]["metadata"]["labels"]["team"], "orders",
            "{v}: the pod template applies: {deployment}"
        );
        let cm = fake
            .get_object(
                "v1",
                "ConfigMap",
                "streaming",
                &format!("flink-config-{id}"),
            )
            .expect("ConfigMap");
        let file = if v.starts_with('2') {
            "config.yaml"
        } else {
            "flink-conf.yaml"
        };
        let conf = cm["data"][file].as_str().unwrap_or_default().to_string();
        let flat = conf.replace(' ', "");
        if v.starts_with('2') {
            // 2.x writes nested YAML.
            assert!(flat.contains(&format!("cluster-id:{id}")), "{v}:\n{conf}");
            assert!(flat.contains(&format!("path:{savepoint}")), "{v}:\n{conf}");
            assert!(flat.contains("claim-mode:NO_CLAIM"), "{v}:\n{conf}");
            assert!(
                flat.contains("numberOfTaskSlots:2") || flat.contains("numberOfTaskSlots:'2'"),
                "{v}:\n{conf}"
            );
            assert!(flat.contains(&format!("-{image_jar}")), "{v}:\n{conf}");
        } else {
            assert!(
                flat.contains(&format!("kubernetes.cluster-id:{id}")),
                "{v}:\n{conf}"
            );
            assert!(
                flat.contains(&format!("execution.state-recovery.path:{savepoint}")),
                "{v}:\n{conf}"
            );
            assert!(
                flat.contains("taskmanager.numberOfTaskSlots:2"),
                "{v}:\n{conf}"
            );
            assert!(
                flat.contains(&format!("pipeline.jars:{image_jar}")),
                "{v}:\n{conf}"
            );
        }
        assert!(
            conf.contains(DEMO_CLASS),
            "{v}: the entry class travels in the config:\n{conf}"
        );
        let rest = fake
            .get_object("v1", "Service", "streaming", &format!("{id}-rest"))
            .expect("rest Service");
        assert_eq!(rest["spec"]["ports"][0]["name"], "rest", "{v}: {rest}");
        assert_eq!(
            fake.pods_matching("streaming", &format!("app={id},component=jobmanager"))
                .len(),
            1,
            "{v}: the emulated JobManager pod"
        );

        // A second start is refused: the cluster exists.
        let o = run(&config_path, &data, &[], &["start", &id, "--from", "none"]);
        assert_eq!(code(&o), Some(4), "{v}: {}", show(&o));

        // Cancel by app name goes to the application cluster; the cluster shuts down after it.
        let o = run(&config_path, &data, &[], &["cancel", &id]);
        assert_eq!(code(&o), Some(0), "{v}: cancel: {}", show(&o));
        assert!(stdout(&o).contains(&job), "{v}: {}", show(&o));
        wait_for(
            &format!("{v}: Deployment {id} removed after its job"),
            Duration::from_secs(60),
            || {
                fake.get_object("apps/v1", "Deployment", "streaming", &id)
                    .is_none()
                    .then_some(())
            },
        );
    }
}

/// An application whose image the emulation does not know gets a Deployment without a running
/// JobManager (as an image that never starts): the real 2.3.0 client still succeeds, flinkdeck
/// cannot learn the job id and says the restore is NOT verified (exit 1), the start is settled
/// failed in the journal.
#[test]
fn kubernetes_application_whose_jobmanager_never_answers() {
    let fake = kube();
    let dir = tempfile::tempdir().expect("tmp");
    let config_path = kube_config(dir.path());
    let data = dir.path().join("data");
    let id = unique("lost");
    let savepoint = format!("file:/tmp/flinkdeck-sp/{id}/savepoint-1");
    let spec = jar_app(
        dir.path(),
        &id,
        &format!(
            "[target]\ncluster = \"k8s\"\nmode = \"application\"\nflink = {V2:?}\n\n\
             [kubernetes]\nnamespace = \"streaming\"\ncluster_id = {id:?}\nimage = \"registry.local/unknown:1\"\n\
             jar = \"local:///opt/flink/usrlib/orders.jar\"\n"
        ),
    );
    apply(&config_path, &data, &spec);
    let o = run(
        &config_path,
        &data,
        &[("FLINKDECK_TEST_JOB_WAIT_SECS", "3")],
        &["start", &id, "--from", &format!("savepoint:{savepoint}")],
    );
    assert_eq!(code(&o), Some(1), "{}", show(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "Kubernetes application cluster {id} in namespace streaming"
        )) && err.contains("job id is not known")
            && err.contains("NOT verified"),
        "{}",
        show(&o)
    );
    assert!(
        fake.get_object("apps/v1", "Deployment", "streaming", &id)
            .is_some(),
        "the client created the Deployment"
    );
    assert!(
        fake.pods_matching("streaming", &format!("app={id}"))
            .is_empty(),
        "no JobManager pod for an unknown image"
    );
    let h = run(&config_path, &data, &[], &["history", &id, "--json"]);
    let h: Value = serde_json::from_str(&stdout(&h)).expect("history json");
    let op = &h["operations"][0];
    assert_eq!(
        op["status"].as_str().map(str::to_lowercase),
        Some("failed".into()),
        "{h}"
    );
    assert_eq!(op["cluster"], format!("k8s/streaming/{id}"), "{h}");
}

/// Kubernetes session mode end to end on 2.3.0 and 1.20.5: a native session cluster on the fake
/// API server backed by the real Flink of that version, its `<id>-rest` Service a LoadBalancer
/// with ingress 127.0.0.1 (what the real client reads to reach a session from outside the
/// cluster). The real CLI (`run -t kubernetes-session -Dkubernetes.cluster-id=…`) submits the jar
/// to the real Flink; flinkdeck reads the job id from its output and verifies the restore from a
/// real savepoint. A session id that does not exist is exit 1 before the CLI runs.
#[test]
fn kubernetes_session_with_the_real_flink_cli() {
    let fake = kube();
    let dir = tempfile::tempdir().expect("tmp");
    let config_path = kube_config(dir.path());
    let data = dir.path().join("data");
    for v in [V2, V1] {
        let url = ensure_cluster(v);
        let session = format!("{}-v{}", unique("session"), &v[..1]);
        fake.add_native_cluster("streaming", &session, &url, 1);
        fake.expose_rest_as_load_balancer("streaming", &session, &url);
        let app = format!("{}-v{}", unique("sess-app"), &v[..1]);
        let savepoint = demo_savepoint(v, &url, &app);
        let spec_path = dir.path().join(format!("{app}.app.toml"));
        std::fs::write(
            &spec_path,
            format!(
                "name = {app:?}\nkind = \"jar\"\njar_file = {:?}\nentry_class = {DEMO_CLASS:?}\n\
                 args = [\"--mode\", \"steady\", \"--name\", {app:?}]\nparallelism = 1\n\n\
                 [target]\ncluster = \"k8s\"\nmode = \"session\"\nsession = {session:?}\nflink = {v:?}\n\n\
                 [kubernetes]\nnamespace = \"streaming\"\n",
                common::demo_jar(v).display().to_string()
            ),
        )
        .expect("spec");
        apply(&config_path, &data, &spec_path);
        let o = run(
            &config_path,
            &data,
            &[],
            &["start", &app, "--from", &format!("savepoint:{savepoint}")],
        );
        assert_eq!(code(&o), Some(0), "{v}: {}", show(&o));
        let out = stdout(&o);
        let job = job_id_of(&out);
        assert!(
            out.contains(&format!("on k8s/streaming/{session}"))
                && out.contains(&format!("restored (verified) from {savepoint}")),
            "{v}: {}",
            show(&o)
        );
        assert!(
            stderr(&o).contains(&format!("flink: Job has been submitted with JobID {job}")),
            "{v}: the job id comes from the CLI's output: {}",
            show(&o)
        );
        assert!(
            stderr(&o).contains(&url),
            "{v}: the client reached the session at the LoadBalancer address {url}: {}",
            show(&o)
        );
        let (restored, name, _) = flink_view(&url, &job);
        let restored = restored.unwrap_or_else(|| panic!("{v}: Flink reports no restore of {job}"));
        assert!(
            same_path(&restored, &savepoint),
            "{v}: Flink restored {restored}, not {savepoint}"
        );
        assert_eq!(name, app, "{v}");
        check_recorded_start(
            &config_path,
            &data,
            &app,
            &job,
            &format!("k8s/streaming/{session}"),
            &savepoint,
        );
        let o = run(&config_path, &data, &[], &["cancel", &app]);
        assert_eq!(code(&o), Some(0), "{v}: cancel: {}", show(&o));
        assert!(stdout(&o).contains(&job), "{v}: {}", show(&o));
    }

    // A session that does not exist: exit 1, and the CLI never asked for its Service.
    let app = unique("sess-none");
    let spec_path = dir.path().join(format!("{app}.app.toml"));
    std::fs::write(
        &spec_path,
        format!(
            "name = {app:?}\nkind = \"jar\"\njar_file = {:?}\nentry_class = {DEMO_CLASS:?}\n\n\
             [target]\ncluster = \"k8s\"\nmode = \"session\"\nsession = \"no-such-session\"\nflink = {V2:?}\n\n\
             [kubernetes]\nnamespace = \"streaming\"\n",
            common::demo_jar(V2).display().to_string()
        ),
    )
    .expect("spec");
    apply(&config_path, &data, &spec_path);
    let o = run(&config_path, &data, &[], &["start", &app, "--from", "none"]);
    assert_eq!(code(&o), Some(1), "{}", show(&o));
    assert!(stderr(&o).contains("no-such-session"), "{}", show(&o));
    assert!(
        !fake
            .requests()
            .iter()
            .any(|(_, path, _)| path.contains("no-such-session")),
        "the CLI ran for a missing session"
    );
}

const SQL: &str = "CREATE TABLE src (k INT, v BIGINT) WITH ('connector' = 'datagen', \
'rows-per-second' = '5', 'fields.k.min' = '1', 'fields.k.max' = '4');\n\
CREATE TABLE snk (k INT, c BIGINT) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT k, COUNT(*) FROM src GROUP BY k;\n";

/// A SQL app on a Kubernetes application target, on 2.3.0 and 1.20.5: `[kubernetes] jar` names
/// flinkdeck's SQL runner inside the image, which the fake's emulation maps to the runner jar
/// compiled for that version (`flinkdeck::sqlrunner::runner_jar`). The real CLI carries the
/// runner's entry class and `--script-base64` arguments in the ConfigMap; the job runs on the real
/// Flink named like the app. Then the whole cycle through the app cluster: `stop` (savepoint; the
/// application cluster goes away after its job), `start` again restores that savepoint (default
/// `latest`), verified by flinkdeck and by Flink.
#[test]
fn kubernetes_application_sql_app_stops_and_restores() {
    let fake = kube();
    let dir = tempfile::tempdir().expect("tmp");
    let config_path = kube_config(dir.path());
    let data = dir.path().join("data");
    let runner_uri = "local:///opt/flink/usrlib/flinkdeck-sqlrunner.jar";
    let helpers = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlrunner-helpers");
    for v in [V2, V1] {
        let url = ensure_cluster(v);
        let runner = flinkdeck::sqlrunner::runner_jar(&flink_home(v), v, &helpers)
            .unwrap_or_else(|e| panic!("building the SQL runner for {v}: {e}"));
        let image = format!("registry.local/flink-sql:{v}");
        fake.emulate_native_applications(NativeAppTarget {
            image: image.clone(),
            flink_rest_url: url.clone(),
            jars: [(runner_uri.to_string(), runner)].into(),
        });
        let id = format!("{}-v{}", unique("sql"), &v[..1]);
        std::fs::write(dir.path().join(format!("{id}.sql")), SQL).expect("sql");
        let spec_path = dir.path().join(format!("{id}.app.toml"));
        std::fs::write(
            &spec_path,
            format!(
                "name = {id:?}\nkind = \"sql\"\nsql_file = \"{id}.sql\"\nparallelism = 1\n\n\
                 [target]\ncluster = \"k8s\"\nmode = \"application\"\nflink = {v:?}\n\n\
                 [kubernetes]\nnamespace = \"streaming\"\ncluster_id = {id:?}\nimage = {image:?}\n\
                 jar = {runner_uri:?}\n"
            ),
        )
        .expect("spec");
        apply(&config_path, &data, &spec_path);
        let o = run(&config_path, &data, &[], &["start", &id, "--from", "none"]);
        assert_eq!(code(&o), Some(0), "{v}: {}", show(&o));
        assert!(
            stdout(&o).contains(&format!("on k8s/streaming/{id}")),
            "{v}: {}",
            show(&o)
        );
        let job1 = job_id_of(&stdout(&o));
        let (_, name, _) = flink_view(&url, &job1);
        assert_eq!(name, id, "{v}: the runner names the job like the app");
        let cm = fake
            .get_object(
                "v1",
                "ConfigMap",
                "streaming",
                &format!("flink-config-{id}"),
            )
            .expect("ConfigMap");
        let conf = cm["data"][if v.starts_with('2') {
            "config.yaml"
        } else {
            "flink-conf.yaml"
        }]
        .as_str()
        .unwrap_or_default()
        .to_string();
        assert!(
            conf.contains(flinkdeck::sqlrunner::ENTRY_CLASS) && conf.contains("--script-base64"),
            "{v}: the runner's entry class and script travel in the config:\n{conf}"
        );
        wait_tasks_running(&url, &job1);

        // Stop with a savepoint through the application cluster; the cluster then shuts down.
        let o = run(&config_path, &data, &[], &["stop", &id, "--wait"]);
        assert_eq!(code(&o), Some(0), "{v}: stop: {}", show(&o));
        let sp = stdout(&o)
            .split("with savepoint ")
            .nth(1)
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("{v}: no savepoint in {}", show(&o)));
        assert!(
            Path::new(sp.trim_start_matches("file:"))
                .join("_metadata")
                .is_file(),
            "{v}: savepoint {sp} on disk"
        );
        wait_for(
            &format!("{v}: Deployment {id} removed after its job"),
            Duration::from_secs(60),
            || {
                fake.get_object("apps/v1", "Deployment", "streaming", &id)
                    .is_none()
                    .then_some(())
            },
        );

        // Start again: `latest` is that savepoint; a new application cluster restores it.
        let o = run(&config_path, &data, &[], &["start", &id]);
        assert_eq!(code(&o), Some(0), "{v}: restart: {}", show(&o));
        assert!(
            stdout(&o).contains(&format!("restored (verified) from {sp}")),
            "{v}: {}",
            show(&o)
        );
        let job2 = job_id_of(&stdout(&o));
        assert_ne!(job1, job2, "{v}");
        let (restored, _, _) = flink_view(&url, &job2);
        let restored = restored.unwrap_or_else(|| panic!("{v}: Flink reports no restore"));
        assert!(
            same_path(&restored, &sp),
            "{v}: Flink restored {restored}, not {sp}"
        );
        check_recorded_start(
            &config_path,
            &data,
            &id,
            &job2,
            &format!("k8s/streaming/{id}"),
            &sp,
        );
        let o = run(&config_path, &data, &[], &["cancel", &id]);
        assert_eq!(code(&o), Some(0), "{v}: cancel: {}", show(&o));
    }
}

/// A standalone target keeps the REST submission: `--dry-run` prints the upload and the run
/// request with its JSON body (restore path, options with the secret masked) and sends nothing
/// (the cluster's URL is a closed port). Application mode on standalone is a spec error.
#[test]
fn standalone_dry_run_prints_the_rest_requests() {
    let dir = tempfile::tempdir().expect("tmp");
    let port = common::closed_port();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"local\"\nkind = \"standalone\"\nurl = \"http://127.0.0.1:{port}\"\n\n\
             [secret_vars]\ntoken = {{ env = \"DEPLOY_TOKEN\" }}\n"
        ),
    )
    .expect("config");
    let data = dir.path().join("data");
    let spec = jar_app(
        dir.path(),
        "rest-app",
        "[target]\ncluster = \"local\"\nmode = \"session\"\n\
         options = { \"security.token\" = \"${token}\", \"pipeline.name\" = \"x\" }\n",
    );
    apply(&config, &data, &spec);
    let o = run(
        &config,
        &data,
        &[],
        &[
            "start",
            "rest-app",
            "--dry-run",
            "--from",
            "savepoint:file:/sp/savepoint-7",
        ],
    );
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!("POST http://127.0.0.1:{port}/jars/upload"),
        "{out}"
    );
    assert_eq!(
        lines[1],
        format!(
            "  multipart jarfile={}",
            dir.path().join("app.jar").display()
        )
    );
    assert_eq!(
        lines[2],
        format!("POST http://127.0.0.1:{port}/jars/<id of the uploaded jar>/run")
    );
    let body: Value = serde_json::from_str(&lines[3..].join("\n")).expect("JSON body");
    assert_eq!(body["savepointPath"], "file:/sp/savepoint-7", "{body}");
    assert_eq!(body["entryClass"], "com.example.Orders", "{body}");
    assert_eq!(
        body["flinkConfiguration"]["security.token"], "***",
        "{body}"
    );
    assert!(!out.contains(SECRET), "{out}");

    let spec = jar_app(
        dir.path(),
        "rest-app2",
        "[target]\ncluster = \"local\"\nmode = \"application\"\n",
    );
    apply(&config, &data, &spec);
    let o = run(
        &config,
        &data,
        &[],
        &["start", "rest-app2", "--from", "none"],
    );
    assert_eq!(code(&o), Some(2), "{}", show(&o));
    assert!(stderr(&o).contains("session mode only"), "{}", show(&o));
}

/// The image step of a build for a Kubernetes target (`[build] image = { name, build, push }`):
/// no container daemon can run here, so a **recording stand-in** for the image tool (a shell
/// script) takes the argvs: `build` copies the `{artifact}` it is given into a directory that
/// plays the registry's image and records its argv, `push` records its argv. The fake
/// Kubernetes API's native-application emulation serves only the pushed image name, whose
/// `local://` jar is the stand-in's copy, and runs it on the real Flink 2.3.0 through the
/// real Flink CLI: so the job runs only when `[kubernetes].image` followed the pushed name and
/// the image holds the built artifact. Also: placeholders in the recorded argvs, `builds
/// --json` `image`, and spec errors for an unknown placeholder and an image step without a
/// Kubernetes target.
#[test]
fn build_with_an_image_step_runs_on_kubernetes_through_a_recording_image_tool() {
    use common::build_repo::{build_tail, commit, demo_source, new_repo, BUILD_SH};
    let fake = kube();
    let dir = tempfile::tempdir().expect("tmp");
    let config_path = kube_config(dir.path());
    let data = dir.path().join("data");
    let url = ensure_cluster(V2);
    let repo = new_repo(dir.path());
    let sha = commit(
        &repo,
        &[
            ("FlinkdeckDemo.java", &demo_source()),
            ("build.sh", BUILD_SH),
        ],
        "the demo job",
    );
    let registry = dir.path().join("registry");
    let record = dir.path().join("image-tool.argv");
    let tool = dir.path().join("image-tool");
    std::fs::write(
        &tool,
        format!(
            "#!/bin/sh\nset -eu\necho \"$*\" >> {record:?}\ncase \"$1\" in\n\
             build) d={registry:?}/$(echo \"$2\" | tr '/:' '__'); mkdir -p \"$d\"; cp \"$3\" \"$d/app.jar\"; echo built \"$2\";;\n\
             push) test -f {registry:?}/$(echo \"$2\" | tr '/:' '__')/app.jar; echo pushed \"$2\";;\n\
             *) exit 9;;\nesac\n"
        ),
    )
    .expect("image tool");
    Command::new("chmod")
        .arg("+x")
        .arg(&tool)
        .status()
        .expect("chmod");
    let id = unique("imaged");
    let image = format!("registry.local/{id}:{sha}-v2");
    let image_jar = "local:///opt/flink/usrlib/app.jar";
    fake.emulate_native_applications(NativeAppTarget {
        image: image.clone(),
        flink_rest_url: url.clone(),
        jars: [(
            image_jar.to_string(),
            registry
                .join(image.replace(['/', ':'], "_"))
                .join("app.jar"),
        )]
        .into(),
    });
    let spec_text = |image_line: &str| {
        format!(
            "name = {id:?}\nkind = \"jar\"\nentry_class = {DEMO_CLASS:?}\n\
             args = [\"--mode\", \"steady\", \"--name\", {id:?}]\nparallelism = 1\n\n\
             [target]\ncluster = \"k8s\"\nmode = \"application\"\nflink = {V2:?}\n\n\
             [kubernetes]\nnamespace = \"streaming\"\ncluster_id = {id:?}\n\
             image = \"registry.local/{id}:unbuilt\"\njar = {image_jar:?}\n\n\
             [build]\nrepo = {:?}\nref = \"main\"\n{}{image_line}\n",
            repo.display().to_string(),
            build_tail(&flink_home(V2).join("lib"))
        )
    };
    let spec = dir.path().join(format!("{id}.app.toml"));
    let tool_s = tool.display().to_string();

    // Spec errors first: an unknown placeholder, with line and column.
    std::fs::write(
        &spec,
        spec_text(&format!(
            "image = {{ name = \"registry.local/{id}:{{sha}}\", build = [{tool_s:?}, \"build\"] }}"
        )),
    )
    .expect("spec");
    let o = run(
        &config_path,
        &data,
        &[],
        &["apply", "-f", spec.to_str().expect("utf-8")],
    );
    assert_eq!(code(&o), Some(2), "{}", show(&o));
    assert!(
        stderr(&o).contains("build.image.name") && stderr(&o).contains("unknown placeholder {sha}"),
        "{}",
        show(&o)
    );

    std::fs::write(
        &spec,
        spec_text(&format!(
            "image = {{ name = \"registry.local/{id}:{{commit}}-v{{version}}\", \
             build = [{tool_s:?}, \"build\", \"{{image}}\", \"{{artifact}}\", \"{{commit}}\"], \
             push = [{tool_s:?}, \"push\", \"{{image}}\"] }}"
        )),
    )
    .expect("spec");
    apply(&config_path, &data, &spec);
    let o = run(&config_path, &data, &[], &["build", &id, "--json"]);
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    let built: Value = serde_json::from_str(&stdout(&o)).expect("build --json");
    assert_eq!(built["image"], image.as_str(), "{built}");
    assert_eq!(built["version"], 2, "{built}");
    let artifact = built["artifact"].as_str().expect("artifact").to_string();
    let recorded = std::fs::read_to_string(&record).expect("the image tool ran");
    assert_eq!(
        recorded.lines().collect::<Vec<_>>(),
        [
            format!("build {image} {artifact} {sha}"),
            format!("push {image}")
        ],
        "{recorded}"
    );
    assert!(
        stderr(&o).contains(&format!("pushed {image}")),
        "the image tool's output is not streamed: {}",
        show(&o)
    );
    let listed = run(&config_path, &data, &[], &["builds", &id, "--json"]);
    let listed: Value = serde_json::from_str(&stdout(&listed)).expect("builds --json");
    assert_eq!(listed[0]["image"], image.as_str(), "{listed}");

    // [kubernetes].image now follows the pushed name: the fake serves only that image, whose jar
    // is the stand-in's copy of the artifact, and the real Flink runs it.
    let o = run(&config_path, &data, &[], &["start", &id, "--from", "none"]);
    assert_eq!(code(&o), Some(0), "{}", show(&o));
    let job = job_id_of(&stdout(&o));
    let (_, name, _) = flink_view(&url, &job);
    assert_eq!(name, id);
    let o = run(&config_path, &data, &[], &["cancel", &id]);
    assert_eq!(code(&o), Some(0), "{}", show(&o));

    // An image step needs a Kubernetes target.
    let plain = dir.path().join("plain.app.toml");
    std::fs::write(
        &plain,
        format!(
            "name = \"plain\"\ncluster = \"k8s\"\nkind = \"jar\"\nentry_class = {DEMO_CLASS:?}\n\n\
             [build]\nrepo = {:?}\nref = \"main\"\ncommand = [\"true\"]\nartifact = \"x.jar\"\n\
             image = {{ name = \"r/x:{{commit}}\", build = [\"true\"] }}\n",
            repo.display().to_string()
        ),
    )
    .expect("spec");
    let o = run(
        &config_path,
        &data,
        &[],
        &["apply", "-f", plain.to_str().expect("utf-8")],
    );
    assert_eq!(code(&o), Some(2), "{}", show(&o));
    assert!(
        stderr(&o).contains("build.image") && stderr(&o).contains(":11:"),
        "{}",
        show(&o)
    );
}
