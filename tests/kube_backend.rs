//! The Kubernetes backend end to end. No Kubernetes API server can run on the test machines, so
//! these tests run against the fake API server in `tests/fake_kube` (HTTPS with its own CA and a
//! bearer token, list/watch, pod logs, service proxy). Flink REST through its service proxy goes
//! to real Flink 2.3.0 and 1.20.5 clusters started by `scripts/flink-local.sh` (see
//! `tests/common/mod.rs` for how tests get clusters and the demo jobs), and the CLI runs as the
//! real binary with a config file that has a `kind = "kubernetes"` entry pointing at a kubeconfig
//! written for the fake.

mod common;
#[path = "fake_kube/mod.rs"]
mod fake_kube;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{
    cli, ensure_cluster, rt, stderr, stdout, submit_demo, unique, wait_for, V1, V2, VERSIONS,
};
use fake_kube::FakeKube;
use flinkdeck::backend::Clusters;
use flinkdeck::config::Config;
use serde_json::{json, Value};

const MAIN: &str = "flink-main-container";

/// A config with one `kind = "kubernetes"` entry `k8s`.
fn k8s_config(
    dir: &Path,
    kubeconfig: &Path,
    context: Option<&str>,
    namespaces: &[&str],
) -> PathBuf {
    let mut text = format!(
        "[ui]\nrefresh = \"1s\"\n\n[[clusters]]\nname = \"k8s\"\nkind = \"kubernetes\"\n\
         kubeconfig = {:?}\ntimeout = \"10s\"\n",
        kubeconfig.display().to_string()
    );
    if let Some(c) = context {
        text.push_str(&format!("context = {c:?}\n"));
    }
    if !namespaces.is_empty() {
        let list: Vec<String> = namespaces.iter().map(|n| format!("{n:?}")).collect();
        text.push_str(&format!("namespaces = [{}]\n", list.join(", ")));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn json_out(o: &std::process::Output, what: &str) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| {
        panic!(
            "{what} is not JSON ({e}): {}\nstderr: {}",
            stdout(o),
            stderr(o)
        )
    })
}

fn app_spec(version: &str) -> Value {
    json!({
        "image": format!("apache/flink:{version}"),
        "flinkVersion": if version.starts_with('2') { "v2_3" } else { "v1_20" },
        "job": {"jarURI": "local:///opt/flink/usrlib/demo.jar", "parallelism": 1,
                "state": "running", "upgradeMode": "savepoint"},
        "taskManager": {"replicas": 1}
    })
}

#[test]
fn discovers_native_and_operator_clusters_and_reads_jobs_and_checkpoints_through_the_proxy() {
    let jobs: Vec<(String, String)> = VERSIONS
        .iter()
        .map(|v| (v.to_string(), common::shared_demo_job(v, "k8s")))
        .collect();
    let fake = FakeKube::start_blocking();
    fake.add_namespace("streaming");
    // A native cluster on Flink 2.3.0 and an operator application on Flink 1.20.5 (whose own
    // JobManager carries the native labels too: it must not show up twice).
    fake.add_native_cluster("streaming", "orders", &ensure_cluster(V2), 1);
    fake.add_flink_deployment("streaming", "payments", app_spec(V1), &ensure_cluster(V1));
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "streaming")]);
    let config = k8s_config(dir.path(), &kc, None, &[]);

    let out = cli(&config, dir.path(), &["clusters", "--json"]);
    assert_eq!(out.status.code(), Some(0), "clusters: {}", stderr(&out));
    let rows = json_out(&out, "clusters --json");
    let rows = rows.as_array().expect("array");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["k8s/streaming/orders", "k8s/streaming/payments"]);
    let orders = &rows[0];
    assert_eq!(orders["kind"], "kubernetes");
    assert_eq!(orders["namespace"], "streaming");
    assert_eq!(orders["flavor"], "native");
    assert_eq!(orders["status"], "LIVE");
    assert_eq!(orders["flink_version"], V2);
    assert!(
        orders["url"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/api/v1/namespaces/streaming/services/orders-rest:rest/proxy/"),
        "{orders}"
    );
    let payments = &rows[1];
    assert_eq!(payments["flavor"], "operator-app");
    assert_eq!(payments["flink_version"], V1);
    assert_eq!(
        payments["operator"]["lifecycle_state"], "STABLE",
        "{payments}"
    );
    assert_eq!(payments["operator"]["jm_deployment_status"], "READY");
    assert_eq!(payments["operator"]["desired_state"], "running");

    // Jobs and checkpoints of both versions through the proxy, by full name and by prefix.
    for ((version, job), cluster) in jobs
        .iter()
        .zip(["k8s/streaming/orders", "k8s/streaming/payments"])
    {
        let listed = wait_for(
            &format!("{version}: job {job} listed through the proxy"),
            Duration::from_secs(60),
            || {
                let out = cli(
                    &config,
                    dir.path(),
                    &["jobs", "--json", "--cluster", "k8s/streaming"],
                );
                assert_eq!(out.status.code(), Some(0), "jobs: {}", stderr(&out));
                let v = json_out(&out, "jobs --json");
                v.as_array()?
                    .iter()
                    .find(|j| j["id"] == job.as_str() && j["cluster"] == cluster)
                    .cloned()
            },
        );
        assert_eq!(listed["state"], "RUNNING", "{listed}");
        let cps = wait_for(
            &format!("{version}: a completed checkpoint through the proxy"),
            Duration::from_secs(90),
            || {
                let out = cli(
                    &config,
                    dir.path(),
                    &["checkpoints", job, "--json", "--cluster", cluster],
                );
                assert_eq!(out.status.code(), Some(0), "checkpoints: {}", stderr(&out));
                let v = json_out(&out, "checkpoints --json");
                let s = v.to_string();
                s.contains("COMPLETED").then_some(v)
            },
        );
        assert!(cps.to_string().contains("file:"), "{cps}");
    }
    // Every Flink request went through the API server's service proxy.
    let proxied = fake
        .requests()
        .iter()
        .filter(|(_, p, _)| p.contains("/services/orders-rest:rest/proxy/jobs/overview"))
        .count();
    assert!(proxied > 0, "no proxied request seen");
}

#[test]
fn following_sees_clusters_appear_and_vanish_and_serves_pods_from_the_watch_cache() {
    let fake = FakeKube::start_blocking();
    fake.add_namespace("etl");
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "etl")]);
    let path = k8s_config(dir.path(), &kc, Some("fake"), &["etl"]);
    let config = Config::load(&path).expect("config");
    let clusters = Clusters::from_config(&config).expect("clusters");
    rt().block_on(async { clusters.follow() });
    let url = ensure_cluster(V2);
    fake.add_native_cluster("etl", "clicks", &url, 2);
    wait_for("clicks discovered", Duration::from_secs(20), || {
        (clusters.names() == ["k8s/etl/clicks"]).then_some(())
    });
    let h = clusters.get("k8s/etl/clicks").expect("handle");
    let status = rt()
        .block_on(h.backend.platform_status())
        .expect("platform status");
    assert_eq!(status.pods.len(), 3, "{status:?}");
    assert_eq!(status.jobmanager_problem, None);
    // A crash-looping JobManager shows up from the watch, without a request per call.
    let jm = fake.pods_matching("etl", "app=clicks,component=jobmanager")[0].clone();
    fake.set_pod_status(
        "etl",
        &jm,
        json!({"containerStatuses": [{"name": MAIN,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
            "restartCount": 4}]}),
    );
    let problem = wait_for("CrashLoopBackOff seen", Duration::from_secs(20), || {
        rt().block_on(h.backend.platform_status())
            .and_then(|s| s.jobmanager_problem)
    });
    assert_eq!(problem, format!("CrashLoopBackOff: pod {jm} (4 restarts)"));
    let before = fake.requests().len();
    for _ in 0..20 {
        rt().block_on(h.backend.platform_status());
    }
    let after = fake.requests().len();
    assert!(
        after - before <= 2,
        "platform_status sent {} requests",
        after - before
    );
    // A second cluster appears, the first vanishes: the same handle survives while it stays.
    fake.add_native_cluster("etl", "views", &url, 1);
    wait_for("views discovered", Duration::from_secs(20), || {
        (clusters.names() == ["k8s/etl/clicks", "k8s/etl/views"]).then_some(())
    });
    let again = clusters.get("k8s/etl/clicks").expect("handle");
    assert!(std::sync::Arc::ptr_eq(&h.backend, &again.backend));
    fake.delete_object("apps/v1", "Deployment", "etl", "clicks");
    for p in fake.pods_matching("etl", "app=clicks") {
        fake.delete_object("v1", "Pod", "etl", &p);
    }
    wait_for("clicks vanished", Duration::from_secs(20), || {
        (clusters.names() == ["k8s/etl/views"]).then_some(())
    });
    assert!(clusters.problems().is_empty());
}

#[test]
fn clusters_json_says_why_from_kubernetes() {
    let url = ensure_cluster(V2);
    let fake = FakeKube::start_blocking();
    fake.add_namespace("streaming");
    fake.add_native_cluster("streaming", "crashy", &url, 1);
    fake.add_native_cluster("streaming", "pending", &url, 1);
    fake.add_flink_deployment("streaming", "failing", app_spec(V2), &url);
    let jm = fake.pods_matching("streaming", "app=crashy,component=jobmanager")[0].clone();
    fake.set_pod_status(
        "streaming",
        &jm,
        json!({"containerStatuses": [{"name": MAIN,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}},
            "restartCount": 5}]}),
    );
    // Its REST service has no endpoints while the JobManager crash-loops.
    fake.set_service_backend("streaming", "crashy-rest", None);
    let tm = fake.pods_matching("streaming", "app=pending,component=taskmanager")[0].clone();
    fake.set_pod_status(
        "streaming",
        &tm,
        json!({"phase": "Pending", "containerStatuses": [{"name": MAIN,
            "state": {"waiting": {"reason": "ContainerCreating"}}, "restartCount": 0}],
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available."}]}),
    );
    let pjm = fake.pods_matching("streaming", "app=pending,component=jobmanager")[0].clone();
    fake.set_pod_status(
        "streaming",
        &pjm,
        json!({"phase": "Pending", "containerStatuses": [{"name": MAIN,
            "state": {"waiting": {"reason": "ContainerCreating"}}, "restartCount": 0}],
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient memory."}]}),
    );
    let mut fd = fake
        .get_object(
            "flink.apache.org/v1beta1",
            "FlinkDeployment",
            "streaming",
            "failing",
        )
        .expect("fd");
    fd["status"]["lifecycleState"] = json!("FAILED");
    fd["status"]["jobManagerDeploymentStatus"] = json!("ERROR");
    fd["status"]["error"] = json!("{\"type\":\"org.apache.flink.kubernetes.operator.exception.ReconciliationException\",\"message\":\"Could not deploy: image not found\"}");
    fake.put_object(fd);

    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "streaming")]);
    let config = k8s_config(dir.path(), &kc, None, &["streaming"]);
    let out = cli(&config, dir.path(), &["clusters", "--json"]);
    assert_eq!(out.status.code(), Some(3), "stderr: {}", stderr(&out));
    let rows = json_out(&out, "clusters --json");
    let row = |name: &str| {
        rows.as_array()
            .and_then(|a| a.iter().find(|r| r["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no row {name}: {rows}"))
    };
    let crashy = row("k8s/streaming/crashy");
    assert_eq!(crashy["status"], "UNREACHABLE");
    assert_eq!(
        crashy["platform_problem"],
        format!("CrashLoopBackOff: pod {jm} (5 restarts)").as_str()
    );
    assert!(
        crashy["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("CrashLoopBackOff"),
        "{crashy}"
    );
    let pending = row("k8s/streaming/pending");
    assert_eq!(
        pending["platform_problem"],
        format!("Pending: Insufficient memory: pod {pjm}").as_str()
    );
    let failing = row("k8s/streaming/failing");
    assert_eq!(failing["operator"]["lifecycle_state"], "FAILED");
    assert_eq!(failing["operator"]["jm_deployment_status"], "ERROR");
    assert_eq!(
        failing["operator"]["error"],
        "ReconciliationException: Could not deploy: image not found"
    );
    // The table shows the same.
    let out = cli(&config, dir.path(), &["clusters"]);
    let table = stdout(&out);
    assert!(
        table.contains("NAMESPACE") && table.contains("CrashLoopBackOff"),
        "{table}"
    );
    assert!(table.contains("FAILED JM ERROR"), "{table}");
}

#[test]
fn previous_pod_log_and_the_archive_after_the_pod_is_deleted() {
    let url = ensure_cluster(V2);
    let fake = FakeKube::start_blocking();
    fake.add_namespace("streaming");
    fake.add_native_cluster("streaming", "orders", &url, 2);
    let tm = "orders-taskmanager-1-1";
    fake.set_pod_log(
        "streaming",
        tm,
        MAIN,
        "tm started again\nprocessing\n",
        Some("tm line 1\njava.lang.OutOfMemoryError: Java heap space\n"),
    );
    let jm = fake.pods_matching("streaming", "app=orders,component=jobmanager")[0].clone();
    fake.set_pod_log("streaming", &jm, MAIN, "jobmanager says hello\n", None);
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "streaming")]);
    let config = k8s_config(dir.path(), &kc, None, &[]);
    let c = "k8s/streaming/orders";

    let out = cli(
        &config,
        dir.path(),
        &["logs", "--cluster", c, "--list", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let files = json_out(&out, "logs --list --json");
    let has = |pod: &str, name: &str| {
        files.as_array().is_some_and(|a| {
            a.iter().any(|f| {
                f["source"]["process"] == "pod"
                    && f["source"]["id"]["pod"] == pod
                    && f["source"]["id"]["container"] == MAIN
                    && f["name"]["file"] == name
            })
        })
    };
    assert!(
        has(tm, "log") && has(tm, "previous") && has(&jm, "log"),
        "{files}"
    );
    assert!(!has("orders-taskmanager-1-2", "previous"), "{files}");

    // The JobManager by default; a TaskManager's previous instance (what it printed before the
    // OOM kill) with --previous.
    let out = cli(&config, dir.path(), &["logs", "--cluster", c]);
    assert_eq!(stdout(&out), "jobmanager says hello\n", "{}", stderr(&out));
    let out = cli(
        &config,
        dir.path(),
        &["logs", "--cluster", c, "--taskmanager", tm, "--previous"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("OutOfMemoryError"),
        "{}",
        stdout(&out)
    );
    let prev_req = fake
        .requests()
        .iter()
        .any(|(_, p, _)| p.contains(&format!("/pods/{tm}/log")) && p.contains("previous=true"));
    assert!(prev_req, "no previous=true request");
    // Reading the current log also archives it.
    let out = cli(
        &config,
        dir.path(),
        &[
            "logs",
            "--cluster",
            c,
            "--taskmanager",
            "orders-taskmanager-1-1",
        ],
    );
    assert_eq!(stdout(&out), "tm started again\nprocessing\n");
    let out = cli(
        &config,
        dir.path(),
        &[
            "logs",
            "--cluster",
            c,
            "--taskmanager",
            "orders-taskmanager-1-2",
            "--previous",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has no previous instance"),
        "{}",
        stderr(&out)
    );

    // The pod is deleted: its archived tail is still listed (marked archived) and printed.
    fake.delete_object("v1", "Pod", "streaming", tm);
    let out = cli(
        &config,
        dir.path(),
        &["logs", "--cluster", c, "--list", "--json"],
    );
    let files = json_out(&out, "logs --list --json");
    let archived: Vec<&Value> = files
        .as_array()
        .expect("array")
        .iter()
        .filter(|f| f["source"]["id"]["pod"] == tm)
        .collect();
    assert_eq!(archived.len(), 1, "{files}");
    assert_eq!(archived[0]["name"]["file"], "archived");
    assert!(archived[0]["mtime"].as_i64().unwrap_or(0) > 1_600_000_000_000);
    let out = cli(
        &config,
        dir.path(),
        &["logs", "--cluster", c, "--taskmanager", tm],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("[flinkdeck: archived log of pod orders-taskmanager-1-1"),
        "{text}"
    );
    assert!(text.ends_with("tm started again\nprocessing\n"), "{text}");
    assert!(dir
        .path()
        .join("log-archive/k8s/streaming/orders-taskmanager-1-1/flink-main-container.log")
        .is_file());
}

#[test]
fn follow_prints_what_a_pod_appends() {
    let url = ensure_cluster(V2);
    let fake = FakeKube::start_blocking();
    fake.add_namespace("streaming");
    fake.add_native_cluster("streaming", "orders", &url, 1);
    let jm = fake.pods_matching("streaming", "app=orders,component=jobmanager")[0].clone();
    fake.set_pod_log("streaming", &jm, MAIN, "one\ntwo\n", None);
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "streaming")]);
    let config = k8s_config(dir.path(), &kc, None, &[]);
    let mut child = std::process::Command::new(common::bin())
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["logs", "--cluster", "k8s/streaming/orders", "--follow"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_secs(2));
    fake.append_pod_log("streaming", &jm, MAIN, "three\n");
    std::thread::sleep(Duration::from_secs(2));
    fake.delete_object("v1", "Pod", "streaming", &jm);
    let out = wait_for(
        "logs --follow ends with the pod",
        Duration::from_secs(20),
        || child.try_wait().ok().flatten(),
    );
    let mut text = String::new();
    use std::io::Read;
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut text)
        .expect("read");
    assert!(out.success(), "{out:?}");
    assert_eq!(text, "one\ntwo\nthree\n");
}

#[test]
fn unauthorized_and_bad_ca_make_the_entry_unreachable_with_the_reason() {
    let fake = FakeKube::start_blocking();
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("wrong-token");
    std::fs::write(
        &kc,
        fake.kubeconfig_yaml(&[("fake", "default")], "not-the-token"),
    )
    .expect("write");
    let config = k8s_config(dir.path(), &kc, None, &[]);
    let out = cli(&config, dir.path(), &["clusters", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rows = json_out(&out, "clusters --json");
    assert_eq!(rows[0]["name"], "k8s");
    assert_eq!(rows[0]["status"], "UNREACHABLE");
    let err = rows[0]["error"].as_str().unwrap_or_default();
    assert!(err.contains("401 Unauthorized"), "{err}");
    assert!(!err.contains("not-the-token") && !stderr(&out).contains("not-the-token"));

    // A kubeconfig whose CA is another server's: TLS verification fails.
    let other = FakeKube::start_blocking();
    let good = fake.kubeconfig_yaml(&[("fake", "default")], fake.token());
    use base64::Engine;
    let b64 = |pem: String| base64::engine::general_purpose::STANDARD.encode(pem.as_bytes());
    let bad = good.replace(&b64(fake.ca_pem()), &b64(other.ca_pem()));
    assert_ne!(good, bad);
    let kc = dir.path().join("bad-ca");
    std::fs::write(&kc, bad).expect("write");
    let config = k8s_config(dir.path(), &kc, None, &[]);
    let out = cli(&config, dir.path(), &["clusters"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("certificate verify failed"),
        "{}",
        stderr(&out)
    );
    let out = cli(&config, dir.path(), &["jobs", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[test]
fn a_forbidden_namespace_is_marked_while_another_still_lists_its_jobs() {
    let job = common::shared_demo_job(V2, "k8s");
    let fake = FakeKube::start_blocking();
    fake.add_namespace("streaming");
    fake.add_namespace("secret");
    fake.add_native_cluster("streaming", "orders", &ensure_cluster(V2), 1);
    fake.forbid_namespace("secret");
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "streaming")]);
    let config = k8s_config(dir.path(), &kc, None, &["streaming", "secret"]);
    let out = cli(&config, dir.path(), &["jobs", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v = json_out(&out, "jobs --json");
    assert!(
        v.as_array()
            .is_some_and(|a| a.iter().any(|j| j["id"] == job.as_str())),
        "{v}"
    );
    let err = stderr(&out);
    assert!(err.contains("k8s/secret") && err.contains("403"), "{err}");
    let out = cli(&config, dir.path(), &["clusters", "--json"]);
    assert_eq!(out.status.code(), Some(3));
    let rows = json_out(&out, "clusters --json");
    let secret = rows
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == "k8s/secret"))
        .cloned()
        .expect("k8s/secret row");
    assert_eq!(secret["status"], "UNREACHABLE");
    assert_eq!(secret["namespace"], "secret");
    assert!(secret["error"]
        .as_str()
        .unwrap_or_default()
        .contains("Forbidden"));
}

#[test]
fn missing_kubeconfig_and_unknown_context_are_config_errors() {
    let fake = FakeKube::start_blocking();
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope/kubeconfig");
    let config = k8s_config(dir.path(), &missing, None, &[]);
    let out = cli(&config, dir.path(), &["clusters"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("nope/kubeconfig") && err.contains("not found"),
        "{err}"
    );

    let kc = fake.write_kubeconfig(
        dir.path(),
        &[("prod-east", "default"), ("prod-west", "default")],
    );
    let config = k8s_config(dir.path(), &kc, Some("staging"), &[]);
    let out = cli(&config, dir.path(), &["jobs"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("clusters[\"k8s\"].context")
            && err.contains("\"staging\"")
            && err.contains("\"prod-east\", \"prod-west\""),
        "{err}"
    );

    let broken = dir.path().join("broken");
    std::fs::write(&broken, "apiVersion: v1\nclusters: [\n  - name: x\n").expect("write");
    let config = k8s_config(dir.path(), &broken, None, &[]);
    let out = cli(&config, dir.path(), &["clusters"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("broken") && err.contains("YAML"), "{err}");
}

/// A FlinkSessionJob shares its session cluster's REST API with the session's other jobs: only
/// the job its status names is listed under it, while the session cluster lists them all.
#[test]
fn a_session_job_lists_only_its_own_job() {
    let job = common::shared_demo_job(V2, "k8s");
    let other = submit_demo(
        V2,
        &ensure_cluster(V2),
        "steady",
        &unique("k8s-session-other"),
    );
    let fake = FakeKube::start_blocking();
    fake.add_namespace("streaming");
    fake.add_flink_deployment(
        "streaming",
        "sessions",
        json!({"image": "apache/flink:2.3.0", "flinkVersion": "v2_3",
               "taskManager": {"replicas": 1}}),
        &ensure_cluster(V2),
    );
    fake.add_session_job(
        "streaming",
        "enrich",
        "sessions",
        json!({"deploymentName": "sessions",
               "job": {"jarURI": "https://repo/enrich.jar", "state": "running"}}),
    );
    // The operator's status names the session job's Flink job.
    let mut sj = fake
        .get_object(
            "flink.apache.org/v1beta1",
            "FlinkSessionJob",
            "streaming",
            "enrich",
        )
        .expect("session job stored");
    sj["status"]["jobStatus"]["jobId"] = json!(job);
    sj["status"]["jobStatus"]["state"] = json!("RUNNING");
    fake.put_object(sj);

    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "streaming")]);
    let config = k8s_config(dir.path(), &kc, None, &[]);
    let ids = |cluster: &str| -> Vec<String> {
        let out = cli(
            &config,
            dir.path(),
            &["jobs", "--json", "--cluster", cluster],
        );
        assert_eq!(out.status.code(), Some(0), "jobs: {}", stderr(&out));
        json_out(&out, "jobs --json")
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|j| j["id"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(ids("k8s/streaming/enrich"), vec![job.clone()]);
    let session = ids("k8s/streaming/sessions");
    assert!(
        session.contains(&job) && session.contains(&other),
        "{session:?}"
    );
    let _ = rt().block_on(common::client(&ensure_cluster(V2)).cancel_job(&other));
}
