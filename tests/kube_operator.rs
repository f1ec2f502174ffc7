//! Lifecycle of Flink Kubernetes Operator resources through the `flinkdeck` binary: a
//! FlinkDeployment is an application without any `apply`; stop with savepoint (file on disk,
//! path printed, history recorded), start from the latest savepoint and from a chosen one
//! (verified through the proxied Flink REST API), savepoints via FlinkStateSnapshot and via
//! `savepointTriggerNonce`, a stop interrupted right after its PATCH settled by the next process,
//! read-only refusal without any PATCH, exit 4 for what the operator cannot do, and
//! `apply -f` with a `[kubernetes]` target (server-side apply, field manager `flinkdeck`, diff).
//!
//! No Kubernetes API server can run here: these tests run against the fake API server in
//! `tests/fake_kube` and its reconciler, which does what the operator does (suspend with
//! savepoint, resume, redeploy from `initialSavepointPath`, nonces, FlinkStateSnapshots) against
//! a real Flink session cluster started by `scripts/flink-local.sh` (2.3.0 on 18081, 1.20.5 on
//! 18082). Flink is real; the operator is the fake's.

mod common;
#[path = "fake_kube/mod.rs"]
mod fake_kube;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;
use fake_kube::{FakeKube, OperatorTarget};
use serde_json::{json, Value};

const NS: &str = "streaming";

struct Env {
    k: FakeKube,
    dir: tempfile::TempDir,
    config: PathBuf,
    url: String,
    version: String,
}

impl Env {
    fn new(version: &str) -> Env {
        let url = ensure_cluster(version);
        let k = FakeKube::start_blocking();
        let dir = tempfile::tempdir().expect("tempdir");
        let kc = k.write_kubeconfig(dir.path(), &[("fake", NS)]);
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[[clusters]]\nname = \"k8s\"\nkind = \"kubernetes\"\nkubeconfig = \"{}\"\nnamespaces = [\"{NS}\"]\ntimeout = \"10s\"\n",
                kc.display()
            ),
        )
        .expect("config");
        Env {
            k,
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

    fn fd(&self, name: &str) -> Value {
        self.k
            .get_object("flink.apache.org/v1beta1", "FlinkDeployment", NS, name)
            .expect("FlinkDeployment")
    }

    /// A FlinkDeployment running the steady demo job, reconciled by the fake operator; waits
    /// until the real job runs. Returns its job id.
    fn deploy(&self, name: &str) -> String {
        self.k.add_flink_deployment(
            NS,
            name,
            json!({
                "image": format!("apache/flink:{}", self.version),
                "flinkVersion": if self.version.starts_with('2') { "v2_3" } else { "v1_20" },
                "serviceAccount": "flink",
                "jobManager": {"resource": {"cpu": 1, "memory": "1024m"}},
                "taskManager": {"resource": {"cpu": 1, "memory": "1536m"}},
                "job": {"jarURI": "local:///opt/flink/usrlib/flinkdeck-demo.jar",
                    "parallelism": 1, "upgradeMode": "savepoint", "state": "running"}
            }),
            &self.url,
        );
        let fake_id = self.fd(name)["status"]["jobStatus"]["jobId"].clone();
        self.k.enable_operator(
            NS,
            name,
            OperatorTarget {
                flink_rest_url: self.url.clone(),
                jar_path: demo_jar(&self.version),
                entry_class: DEMO_CLASS.to_string(),
                args: ["--mode", "steady", "--name", name]
                    .map(String::from)
                    .to_vec(),
            },
        );
        let job = wait_for(
            "the operator's first submission",
            Duration::from_secs(120),
            || {
                let st = self.fd(name)["status"].clone();
                (st["lifecycleState"] == "STABLE"
                    && st["jobStatus"]["state"] == "RUNNING"
                    && st["jobStatus"]["jobId"] != fake_id)
                    .then(|| st["jobStatus"]["jobId"].as_str().map(str::to_string))
                    .flatten()
            },
        );
        self.wait_checkpoints(&job, 1);
        job
    }

    fn checkpoints(&self, job: &str) -> Option<Value> {
        rt().block_on(client(&self.url).get_json(&format!("jobs/{job}/checkpoints")))
            .ok()
    }

    fn wait_checkpoints(&self, job: &str, n: i64) {
        wait_for(
            &format!("{n} completed checkpoints of {job}"),
            Duration::from_secs(120),
            || (self.checkpoints(job)?["counts"]["completed"].as_i64()? >= n).then_some(()),
        );
    }

    fn restored_path(&self, job: &str) -> Option<String> {
        self.checkpoints(job)?["latest"]["restored"]["external_path"]
            .as_str()
            .map(str::to_string)
    }

    fn patches(&self) -> Vec<String> {
        self.k
            .requests()
            .into_iter()
            .filter(|(m, ..)| m == "PATCH" || m == "POST" || m == "PUT" || m == "DELETE")
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect()
    }

    fn job_of_status(&self, name: &str) -> String {
        self.fd(name)["status"]["jobStatus"]["jobId"]
            .as_str()
            .expect("jobId")
            .to_string()
    }
}

fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    text.split(marker)
        .nth(1)
        .map(|s| s.split_whitespace().next().unwrap_or(""))
        .unwrap_or_else(|| panic!("no {marker:?} in {text:?}"))
}

fn local(path: &str) -> &Path {
    Path::new(path.trim_start_matches("file:"))
}

fn same(a: &str, b: &str) -> bool {
    local(a).to_string_lossy().trim_end_matches('/')
        == local(b).to_string_lossy().trim_end_matches('/')
}

/// stop with savepoint → start --from latest (verified) → the resource's app row and history.
fn stop_start_round(env: &Env, name: &str) -> String {
    let apps = env.json(&["apps", "--json"]);
    let app = apps
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == name))
        .unwrap_or_else(|| panic!("{name} in apps: {apps:#}"));
    assert_eq!(app["cluster"], format!("k8s/{NS}/{name}").as_str());
    assert_eq!(app["state"], "RUNNING");
    assert_eq!(app["version"], 0);
    let job1 = env.job_of_status(name);
    assert_eq!(app["job_id"], job1.as_str());

    // stop: PATCH suspended + savepoint, waits for SUSPENDED, prints the savepoint.
    let out = env.run(&["stop", name, "--wait"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let sp = after(&stdout(&out), "with savepoint ").to_string();
    assert!(
        local(&sp).join("_metadata").exists(),
        "savepoint {sp} on disk"
    );
    let fd = env.fd(name);
    assert_eq!(fd["status"]["lifecycleState"], "SUSPENDED");
    assert_eq!(fd["spec"]["job"]["state"], "suspended");
    assert_eq!(fd["spec"]["job"]["upgradeMode"], "savepoint");
    let h = env.json(&["history", name, "--json"]);
    assert!(
        h["savepoints"]
            .as_array()
            .expect("savepoints")
            .iter()
            .any(|p| p["path"] == sp.as_str()),
        "{h:#}"
    );
    let op = &h["operations"][0];
    assert_eq!(op["kind"], "operator_patch");
    assert_eq!(op["status"], "succeeded");
    assert_eq!(op["result"], sp.as_str());
    assert!(op["params"]
        .as_str()
        .unwrap_or("")
        .contains("\"expect_generation\""));

    // A second stop: already suspended.
    let out = env.run(&["stop", name]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("already suspended"),
        "{}",
        stderr(&out)
    );

    // start --from latest: shows the path first, Flink confirms the restore from exactly it.
    let out = env.run(&["start", name, "--from", "latest", "--wait"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(&format!("restore: savepoint {sp}")),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("restored (verified) from"),
        "{}",
        stdout(&out)
    );
    let job2 = after(&stdout(&out), " as job ").to_string();
    assert_ne!(job2, job1);
    assert_eq!(env.job_of_status(name), job2);
    let restored = env.restored_path(&job2).expect("Flink reports a restore");
    assert!(same(&restored, &sp), "{restored} vs {sp}");

    // The duplicate guard: running already.
    let out = env.run(&["start", name]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("already running"), "{}", stderr(&out));
    job2
}

#[test]
fn operator_stop_and_verified_start_on_both_versions() {
    for version in VERSIONS {
        let env = Env::new(version);
        let name = unique("op-round");
        env.deploy(&name);
        stop_start_round(&env, &name);
        env.ok(&["cancel", &name]);
    }
}

#[test]
fn savepoints_chosen_restores_refusals_and_an_interrupted_stop() {
    let env = Env::new(V2);
    let name = unique("op-sp");
    env.deploy(&name);

    // Read-only: exit 4, and not a single write reaches the API server.
    env.k.clear_requests();
    for args in [
        vec!["--readonly", "stop", name.as_str()],
        vec!["--readonly", "savepoint", name.as_str()],
        vec!["--readonly", "cancel", name.as_str()],
        vec!["--readonly", "start", name.as_str()],
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("read-only"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let ro = env.dir.path().join("ro.toml");
    let text = std::fs::read_to_string(&env.config).expect("config") + "readonly = true\n";
    std::fs::write(&ro, text).expect("ro config");
    let out = cli(&ro, env.dir.path(), &["stop", &name]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("cluster k8s/"), "{}", stderr(&out));
    assert_eq!(env.patches(), Vec::<String>::new(), "no write was sent");

    // What the operator cannot do: exit 4 with the reason, nothing sent.
    for (args, why) in [
        (
            vec!["start", name.as_str(), "--from", "checkpoint:1"],
            "savepoints only",
        ),
        (vec!["stop", name.as_str(), "--drain"], "--drain"),
        (vec!["savepoint", name.as_str(), "--dir", "/tmp/x"], "--dir"),
    ] {
        let out = env.run(&args);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(env.patches(), Vec::<String>::new(), "no write was sent");

    // savepoint via FlinkStateSnapshot (the CRD is installed).
    let out = env.run(&["savepoint", &name, "--wait"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("created FlinkStateSnapshot"),
        "{}",
        stderr(&out)
    );
    let sp1 = after(&stdout(&out), "written: ").to_string();
    assert!(local(&sp1).join("_metadata").exists(), "{sp1}");
    assert!(env
        .patches()
        .iter()
        .any(|r| r.starts_with("POST") && r.contains("/flinkstatesnapshots")));

    // savepoint via savepointTriggerNonce (operators that ignore snapshot resources).
    env.k.clear_requests();
    let out = env.run_env(
        ("FLINKDECK_OPERATOR_SNAPSHOTS", "off"),
        &["savepoint", &name, "--wait"],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let sp2 = after(&stdout(&out), "written: ").to_string();
    assert!(local(&sp2).join("_metadata").exists(), "{sp2}");
    assert_eq!(env.fd(&name)["spec"]["job"]["savepointTriggerNonce"], 1);
    assert_eq!(
        env.fd(&name)["status"]["jobStatus"]["savepointInfo"]["lastSavepoint"]["location"],
        sp2.as_str()
    );

    // cancel = suspend stateless; then start from the chosen (snapshot) savepoint.
    let out = env.ok(&["cancel", &name]);
    assert!(out.contains("without a savepoint"), "{out}");
    assert_eq!(env.fd(&name)["spec"]["job"]["upgradeMode"], "stateless");
    let out = env.run(&[
        "start",
        &name,
        "--from",
        &format!("savepoint:{sp1}"),
        "--wait",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let job = after(&stdout(&out), " as job ").to_string();
    let fd = env.fd(&name);
    assert_eq!(fd["spec"]["job"]["initialSavepointPath"], sp1.as_str());
    assert_eq!(fd["spec"]["job"]["savepointRedeployNonce"], 1);
    assert!(same(&env.restored_path(&job).expect("restored"), &sp1));
    env.wait_checkpoints(&job, 1);

    // A stop killed right after its PATCH: journaled, settled by the next process.
    let out = env.run_env(
        ("FLINKDECK_FAULT", "exit-after-stop-request"),
        &["stop", &name],
    );
    assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
    let store = flinkdeck::store::Store::open(&env.dir.path().join("flinkdeck.db")).expect("store");
    let open = store.unsettled_ops().expect("journal");
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].kind.as_str(), "operator_patch");
    assert!(open[0]
        .trigger_id
        .as_deref()
        .is_some_and(|t| t.starts_with("generation ")));
    drop(store);
    let h = wait_for(
        "the interrupted stop settled",
        Duration::from_secs(120),
        || {
            let h = env.json(&["history", &name, "--json"]);
            let op = h["operations"].as_array()?.first()?.clone();
            (op["status"] == "succeeded").then_some(h)
        },
    );
    let sp3 = h["operations"][0]["result"]
        .as_str()
        .expect("path")
        .to_string();
    assert!(local(&sp3).join("_metadata").exists(), "{sp3}");
    assert!(h["savepoints"]
        .as_array()
        .expect("sps")
        .iter()
        .any(|p| p["path"] == sp3.as_str()));
    assert_eq!(env.fd(&name)["status"]["lifecycleState"], "SUSPENDED");

    // Interrupted before the PATCH: settled as never sent; the resource is unchanged.
    let out = env.ok(&["start", &name, "--from", "none", "--wait"]);
    let fresh = after(&out, " as job ").to_string();
    assert_eq!(env.restored_path(&fresh), None);
    let out = env.run_env(
        ("FLINKDECK_FAULT", "exit-before-stop-request"),
        &["stop", &name],
    );
    assert_eq!(out.status.code(), Some(137));
    let h = env.json(&["history", &name, "--json"]);
    assert_eq!(h["operations"][0]["status"], "failed", "{h:#}");
    assert!(h["operations"][0]["result"]
        .as_str()
        .unwrap_or("")
        .contains("never reached"));
    assert_eq!(env.fd(&name)["spec"]["job"]["state"], "running");

    // A real kill -9 while `stop --wait` waits for the operator, right after its PATCH went out:
    // the next process settles it from the resource's status, savepoint recorded.
    let patches_before = env.patches().len();
    let mut child = std::process::Command::new(bin())
        .arg("--config")
        .arg(&env.config)
        .arg("--data-dir")
        .arg(env.dir.path())
        .args(["stop", &name, "--wait"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn stop --wait");
    wait_for("the stop's PATCH sent", Duration::from_secs(60), || {
        env.patches()[patches_before..]
            .iter()
            .any(|p| p.starts_with("PATCH") && p.contains(&format!("/flinkdeployments/{name}")))
            .then_some(())
    });
    child.kill().expect("kill -9");
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed: {status:?}");
    let h = wait_for("the killed stop settled", Duration::from_secs(120), || {
        let h = env.json(&["history", &name, "--json"]);
        let op = h["operations"].as_array()?.first()?.clone();
        (op["status"] == "succeeded" && op["kind"] == "operator_patch").then_some(h)
    });
    let sp4 = h["operations"][0]["result"]
        .as_str()
        .expect("path")
        .to_string();
    assert!(local(&sp4).join("_metadata").exists(), "{sp4}");
    assert!(h["savepoints"]
        .as_array()
        .expect("sps")
        .iter()
        .any(|p| p["path"] == sp4.as_str()));
    assert_eq!(env.fd(&name)["status"]["lifecycleState"], "SUSPENDED");
    env.ok(&["start", &name, "--from", "latest", "--wait"]);

    // The audit trail has the refusals and the actions.
    let audit = env.json(&["audit", "--app", &name, "--json"]);
    let actions: Vec<(String, bool)> = audit
        .as_array()
        .expect("audit")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_string(),
                e["ok"] == true,
            )
        })
        .collect();
    for want in [
        ("stop", false),
        ("savepoint", true),
        ("cancel", true),
        ("start", true),
    ] {
        assert!(
            actions.contains(&(want.0.to_string(), want.1)),
            "{want:?} in {actions:?}"
        );
    }
    env.ok(&["cancel", &name]);
}

#[test]
fn apply_creates_a_flink_deployment_by_server_side_apply_and_shows_the_diff() {
    let env = Env::new(V2);
    env.k.set_crds_installed(true);
    env.k.add_namespace(NS);
    let name = unique("op-apply");
    let app = env.dir.path().join("app.toml");
    let write = |parallelism: u32| {
        std::fs::write(
            &app,
            format!(
                "name = \"{name}\"\ncluster = \"k8s\"\nnamespace = \"{NS}\"\n\n[kubernetes]\nimage = \"apache/flink:2.3.0\"\nflink_version = \"v2_3\"\njar_uri = \"local:///opt/flink/usrlib/demo.jar\"\nentry_class = \"{DEMO_CLASS}\"\nargs = [\"--mode\", \"steady\"]\nparallelism = {parallelism}\n\n[kubernetes.flink_configuration]\n\"taskmanager.numberOfTaskSlots\" = 2\n\n[kubernetes.jobmanager]\ncpu = 1\nmemory = \"1024m\"\n\n[kubernetes.taskmanager]\ncpu = 1\nmemory = \"1536m\"\nreplicas = 1\n"
            ),
        )
        .expect("app");
    };
    let f = app.to_str().expect("utf-8");
    write(1);

    // Read-only: refused, nothing sent.
    env.k.clear_requests();
    let out = env.run(&["--readonly", "apply", "-f", f]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(env.patches(), Vec::<String>::new());

    let out = env.ok(&["apply", "-f", f]);
    assert!(out.contains("--- /dev/null"), "{out}");
    assert!(out.contains("+    parallelism: 1"), "{out}");
    assert!(
        out.contains("created (server-side apply, field manager flinkdeck); version 1"),
        "{out}"
    );
    let reqs = env.k.requests();
    assert!(
        reqs.iter().any(|(m, p, ct)| m == "PATCH"
            && p.contains(&format!("/namespaces/{NS}/flinkdeployments/{name}"))
            && p.contains("fieldManager=flinkdeck")
            && ct.as_deref() == Some("application/apply-patch+yaml")),
        "{reqs:?}"
    );
    let fd = env.fd(&name);
    assert_eq!(fd["spec"]["job"]["parallelism"], 1);
    assert_eq!(fd["spec"]["flinkVersion"], "v2_3");
    assert_eq!(fd["spec"]["taskManager"]["replicas"], 1);
    assert!(fd["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .any(|m| m["manager"] == "flinkdeck" && m["operation"] == "Apply"));

    // Unchanged: nothing sent.
    env.k.clear_requests();
    let out = env.ok(&["apply", "-f", f]);
    assert!(out.contains("unchanged"), "{out}");
    assert!(env.patches().is_empty(), "{:?}", env.patches());

    // A change: the diff, --dry-run sends nothing, then the apply.
    write(2);
    let out = env.ok(&["apply", "-f", f, "--dry-run"]);
    assert!(
        out.contains("-    parallelism: 1") && out.contains("+    parallelism: 2"),
        "{out}"
    );
    assert!(
        out.contains("would be updated (dry run; nothing sent)"),
        "{out}"
    );
    assert!(env.patches().is_empty(), "{:?}", env.patches());
    assert_eq!(env.fd(&name)["spec"]["job"]["parallelism"], 1);
    let out = env.ok(&["apply", "-f", f]);
    assert!(out.contains("+    parallelism: 2"), "{out}");
    assert!(!out.contains("+    image"), "only what changes: {out}");
    assert!(
        out.contains("updated (server-side apply, field manager flinkdeck); version 2"),
        "{out}"
    );
    assert_eq!(env.fd(&name)["spec"]["job"]["parallelism"], 2);
}

#[test]
fn native_clusters_use_the_proxied_rest_and_names_resolve_across_namespaces() {
    let env = Env::new(V2);
    env.k.set_crds_installed(true);
    env.k.add_native_cluster(NS, "nat", &env.url, 1);
    let native = format!("k8s/{NS}/nat");

    // stop / savepoint / cancel of a native cluster's job by id, through the proxy.
    let name = unique("native-job");
    let job = submit_demo(V2, &env.url, "steady", &name);
    env.wait_checkpoints(&job, 1);
    let out = env.ok(&["savepoint", &job, "--cluster", &native, "--wait"]);
    let sp = after(&out, "written: ").to_string();
    assert!(local(&sp).join("_metadata").exists(), "{sp}");
    let out = env.ok(&["stop", &job, "--cluster", &native, "--wait"]);
    let sp = after(&out, "with savepoint ").to_string();
    assert!(local(&sp).join("_metadata").exists(), "{sp}");
    let job = submit_demo(V2, &env.url, "steady", &name);
    wait_for("the job runs", Duration::from_secs(60), || {
        let st = rt()
            .block_on(client(&env.url).get_json(&format!("jobs/{job}")))
            .ok()?;
        (st["state"] == "RUNNING").then_some(())
    });
    let out = env.ok(&["cancel", &job, "--cluster", &native]);
    assert!(out.contains("CANCELED"), "{out}");

    // Starting an app on a native cluster is for the Flink CLI targets: exit 4.
    let app = env.dir.path().join("native.app.toml");
    std::fs::write(&app, demo_jar_app_spec("on-native", &native, V2)).expect("app");
    env.ok(&["apply", "-f", app.to_str().expect("utf-8")]);
    let out = env.run(&["start", "on-native"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out)
            .contains("submitting to native Kubernetes clusters comes with Flink CLI targets"),
        "{}",
        stderr(&out)
    );

    // The same resource name in two namespaces: ambiguous, named with the full cluster names;
    // NAMESPACE/NAME picks one (read-only here, so nothing is sent).
    let twin = unique("twin");
    let spec = json!({"job": {"jarURI": "local:///x.jar", "state": "running", "upgradeMode": "savepoint"}});
    env.k
        .add_flink_deployment(NS, &twin, spec.clone(), &env.url);
    env.k.add_flink_deployment("etl", &twin, spec, &env.url);
    let two = env.dir.path().join("two.toml");
    let text = std::fs::read_to_string(&env.config)
        .expect("config")
        .replace(&format!("[\"{NS}\"]"), &format!("[\"{NS}\", \"etl\"]"));
    std::fs::write(&two, text).expect("config");
    let out = cli(&two, env.dir.path(), &["stop", &twin]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("k8s/{NS}/{twin}")) && err.contains(&format!("k8s/etl/{twin}")),
        "{err}"
    );
    let out = cli(
        &two,
        env.dir.path(),
        &["--readonly", "stop", &format!("etl/{twin}")],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cluster k8s/etl/{twin} is read-only"))
            || stderr(&out).contains("read-only mode"),
        "{}",
        stderr(&out)
    );
}
