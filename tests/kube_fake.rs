//! Tests that keep `tests/fake_kube` (the fake Kubernetes API server the Kubernetes-backend tests
//! run against) honest: they run against the fake, but through the two real clients that matter —
//! the real `kubectl` (Debian's `kubernetes-client`) and the `kube` crate flinkdeck uses — so a
//! fake that drifted from the wire protocol, the object shapes or the error shapes fails here, not
//! silently in the product's tests. Service-proxy and operator tests go through to a real Flink
//! 2.3.0 cluster (`scripts/flink-local.sh`, shared with the other test binaries).
//!
//! `kubectl` is required: without it these tests fail and say how to install it (`KUBECTL=PATH`
//! picks another one; they pass with Debian bookworm's 1.20 and with 1.32).

mod common;
#[path = "fake_kube/mod.rs"]
mod fake_kube;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use fake_kube::{FakeKube, OperatorTarget};
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, LogParams, Patch, PatchParams,
    WatchEvent, WatchParams,
};
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The kubectl to run: `KUBECTL` if set, else `kubectl` on PATH.
fn kubectl_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBECTL") {
        return PathBuf::from(p);
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("kubectl"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "kubectl not found on PATH: these tests run the real kubectl against the fake API \
             server. Install Debian's `kubernetes-client` package (apt-get install -y \
             kubernetes-client; scripts/test.sh does it)"
        )
    })
}

/// `kubectl --kubeconfig KC ARGS`, with a private discovery cache under the kubeconfig's dir.
fn kubectl(kc: &Path, args: &[&str]) -> Output {
    Command::new(kubectl_bin())
        .arg("--kubeconfig")
        .arg(kc)
        .arg("--cache-dir")
        .arg(kc.parent().expect("dir").join("kube-cache"))
        .arg("--request-timeout=20s")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run kubectl")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &Output, what: &str) -> String {
    assert!(
        !out.status.success(),
        "{what} should have failed:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["metadata"]["name"].as_str().expect("name").to_string())
        .collect();
    v.sort();
    v
}

async fn kube_client(k: &FakeKube, dir: &Path, ns: &str) -> kube::Client {
    let path = k.write_kubeconfig(dir, &[("fake", ns)]);
    let kc = kube::config::Kubeconfig::read_from(&path).expect("read kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
        .await
        .expect("kube config");
    kube::Client::try_from(cfg).expect("kube client")
}

fn fd_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("flink.apache.org", "v1beta1", "FlinkDeployment"),
        "flinkdeployments",
    )
}

fn api_error(e: kube::Error) -> (u16, String, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason.clone(), s.message.clone()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn app_spec(state: &str) -> Value {
    json!({
        "image": "apache/flink:2.3.0",
        "flinkVersion": "v2_3",
        "serviceAccount": "flink",
        "jobManager": {"resource": {"cpu": 1, "memory": "1024m"}},
        "taskManager": {"resource": {"cpu": 1, "memory": "1536m"}},
        "job": {
            "jarURI": "local:///opt/flink/usrlib/flinkdeck-demo.jar",
            "parallelism": 1,
            "upgradeMode": "savepoint",
            "state": state,
        }
    })
}

async fn http_json(url: &str) -> Value {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(url)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON")
}

fn flink_url() -> String {
    common::ensure_cluster(common::V2)
}

// ---------------------------------------------------------------------------------------------
// kubectl
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn kubectl_lists_native_cluster_pods_and_flinkdeployments() {
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = k.write_kubeconfig(dir.path(), &[("fake", "flink"), ("other", "default")]);
    k.add_native_cluster("flink", "native-a", "http://127.0.0.1:9", 2);

    // Without the operator's CRDs the resource type does not exist, as on a plain cluster.
    let err = failed(
        &kubectl(&kc, &["get", "flinkdeployments"]),
        "get flinkdeployments without CRDs",
    );
    assert!(
        err.contains("doesn't have a resource type \"flinkdeployments\""),
        "{err}"
    );

    let pods = json_of(&ok(
        &kubectl(
            &kc,
            &[
                "get",
                "pods",
                "-n",
                "flink",
                "-l",
                "component=jobmanager",
                "-o",
                "json",
            ],
        ),
        "get pods",
    ));
    let jm = names(&pods);
    assert_eq!(jm.len(), 1, "{jm:?}");
    assert!(jm[0].starts_with("native-a-"), "{jm:?}");
    let pod = &pods["items"][0];
    assert_eq!(pod["metadata"]["labels"]["type"], "flink-native-kubernetes");
    assert_eq!(pod["spec"]["containers"][0]["name"], "flink-main-container");
    assert_eq!(pod["status"]["phase"], "Running");

    let tms = names(&json_of(&ok(
        &kubectl(
            &kc,
            &[
                "get",
                "pods",
                "-l",
                "app=native-a,component=taskmanager",
                "-o",
                "json",
            ],
        ),
        "get tms (namespace from the context)",
    )));
    assert_eq!(
        tms,
        ["native-a-taskmanager-1-1", "native-a-taskmanager-1-2"]
    );

    k.add_flink_deployment("flink", "orders", app_spec("running"), "http://127.0.0.1:9");
    let fds = json_of(&ok(
        &kubectl(
            &kc,
            &["get", "flinkdeployments", "-n", "flink", "-o", "json"],
        ),
        "get fd",
    ));
    assert_eq!(names(&fds), ["orders"]);
    let fd = &fds["items"][0];
    assert_eq!(fd["apiVersion"], "flink.apache.org/v1beta1");
    assert_eq!(fd["status"]["lifecycleState"], "STABLE");
    assert_eq!(fd["status"]["jobManagerDeploymentStatus"], "READY");
    assert_eq!(fd["status"]["jobStatus"]["state"], "RUNNING");
    let by_short = json_of(&ok(
        &kubectl(&kc, &["get", "flinkdep", "orders", "-o", "json"]),
        "get flinkdep",
    ));
    assert_eq!(by_short["metadata"]["uid"], fd["metadata"]["uid"]);

    // Human-readable output uses the server-side Table with the CRD's printer columns.
    let table = ok(&kubectl(&kc, &["get", "flinkdep"]), "get flinkdep table");
    assert!(
        table.contains("JOB STATUS") && table.contains("LIFECYCLE STATE"),
        "{table}"
    );
    assert!(
        table.contains("RUNNING") && table.contains("STABLE"),
        "{table}"
    );
    let pods_table = ok(
        &kubectl(&kc, &["get", "pods", "-n", "flink"]),
        "get pods table",
    );
    assert!(
        pods_table.contains("1/1") && pods_table.contains("Running"),
        "{pods_table}"
    );

    // Across namespaces, and the operator's pods (app=orders) next to the native ones.
    let all = names(&json_of(&ok(
        &kubectl(&kc, &["get", "pods", "-A", "-o", "json"]),
        "get pods -A",
    )));
    assert_eq!(
        all.iter().filter(|p| p.starts_with("orders-")).count(),
        2,
        "{all:?}"
    );
    k.add_session_job("flink", "etl", "session-cluster", json!({"job": {"jarURI": "https://x/etl.jar", "parallelism": 2, "upgradeMode": "stateless", "state": "running"}}));
    let sj = json_of(&ok(
        &kubectl(&kc, &["get", "sessionjob", "etl", "-o", "json"]),
        "get sessionjob",
    ));
    assert_eq!(sj["kind"], "FlinkSessionJob");
    assert_eq!(sj["spec"]["deploymentName"], "session-cluster");
    assert_eq!(sj["status"]["jobStatus"]["state"], "RUNNING");
    assert_eq!(sj["status"]["lifecycleState"], "STABLE");
    let missing = failed(
        &kubectl(&kc, &["get", "flinkdep", "nope"]),
        "get missing fd",
    );
    assert!(
        missing.contains("(NotFound): flinkdeployments.flink.apache.org \"nope\" not found"),
        "{missing}"
    );
}

#[tokio::test]
async fn kubectl_service_proxy_reaches_real_flink() {
    let url = flink_url();
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = k.write_kubeconfig(dir.path(), &[("fake", "flink")]);
    k.add_native_cluster("flink", "session", &url, 1);

    let direct = http_json(&format!("{url}/config")).await;
    for svc in [
        "session-rest:rest",
        "session-rest",
        "session-rest:8081",
        "http:session-rest:rest",
    ] {
        let raw = ok(
            &kubectl(
                &kc,
                &[
                    "get",
                    "--raw",
                    &format!("/api/v1/namespaces/flink/services/{svc}/proxy/config"),
                ],
            ),
            "proxy /config",
        );
        assert_eq!(
            json_of(&raw)["flink-version"],
            direct["flink-version"],
            "{svc}"
        );
    }
    // The job list is Flink's own (retry: jobs come and go on the shared cluster).
    let mut same = false;
    for _ in 0..5 {
        let proxied = json_of(&ok(
            &kubectl(
                &kc,
                &[
                    "get",
                    "--raw",
                    "/api/v1/namespaces/flink/services/session-rest:rest/proxy/jobs/overview",
                ],
            ),
            "proxy /jobs/overview",
        ));
        let direct = http_json(&format!("{url}/jobs/overview")).await;
        let ids = |v: &Value| {
            let mut ids: Vec<String> = v["jobs"]
                .as_array()
                .expect("jobs")
                .iter()
                .map(|j| j["jid"].as_str().expect("jid").to_string())
                .collect();
            ids.sort();
            ids
        };
        if ids(&proxied) == ids(&direct) {
            same = true;
            break;
        }
    }
    assert!(same, "the proxied job list never matched Flink's");
    // Query strings and Flink's own errors (status + body) come through.
    let metrics = json_of(&ok(
        &kubectl(&kc, &["get", "--raw", "/api/v1/namespaces/flink/services/session-rest/proxy/jobmanager/metrics?get=Status.JVM.CPU.Load"]),
        "proxy with query",
    ));
    assert_eq!(metrics[0]["id"], "Status.JVM.CPU.Load", "{metrics}");
    let not_found = failed(
        &kubectl(&kc, &["get", "--raw", "/api/v1/namespaces/flink/services/session-rest/proxy/jobs/00000000000000000000000000000000"]),
        "proxy to a missing job",
    );
    assert!(
        not_found.contains("NotFound") || not_found.contains("404"),
        "{not_found}"
    );

    let err = failed(
        &kubectl(
            &kc,
            &[
                "get",
                "--raw",
                "/api/v1/namespaces/flink/services/nope/proxy/config",
            ],
        ),
        "unknown service",
    );
    assert!(err.contains("services \"nope\" not found"), "{err}");
    let err = failed(
        &kubectl(
            &kc,
            &[
                "get",
                "--raw",
                "/api/v1/namespaces/flink/services/session/proxy/config",
            ],
        ),
        "no endpoints",
    );
    assert!(
        err.contains("no endpoints available for service \"session\""),
        "{err}"
    );
    let used: Vec<_> = k
        .requests()
        .into_iter()
        .filter(|r| r.1.contains("/proxy/"))
        .collect();
    assert!(used.iter().all(|r| r.0 == "GET"), "{used:?}");
}

#[tokio::test]
async fn kubectl_logs_current_and_previous() {
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = k.write_kubeconfig(dir.path(), &[("fake", "flink")]);
    k.add_native_cluster("flink", "logs", "http://127.0.0.1:9", 1);
    let tm = "logs-taskmanager-1-1";
    let c = "flink-main-container";
    k.set_pod_log(
        "flink",
        tm,
        c,
        "starting TaskManager\nrunning\n",
        Some("crashed: OutOfMemoryError\n"),
    );

    let cur = ok(&kubectl(&kc, &["logs", tm, "-c", c]), "logs");
    assert_eq!(cur, "starting TaskManager\nrunning\n");
    let prev = ok(
        &kubectl(&kc, &["logs", tm, "-c", c, "--previous"]),
        "logs --previous",
    );
    assert_eq!(prev, "crashed: OutOfMemoryError\n");
    let tail = ok(&kubectl(&kc, &["logs", tm, "--tail=1"]), "logs --tail");
    assert_eq!(tail, "running\n");
    let stamped = ok(
        &kubectl(&kc, &["logs", tm, "--timestamps"]),
        "logs --timestamps",
    );
    assert!(stamped.lines().all(|l| l.contains("Z ")), "{stamped}");
    // The previous instance shows in the pod status, where the kubelet reads it from.
    let pod = json_of(&ok(
        &kubectl(&kc, &["get", "pod", tm, "-o", "json"]),
        "get pod",
    ));
    assert_eq!(pod["status"]["containerStatuses"][0]["restartCount"], 1);
    assert!(pod["status"]["containerStatuses"][0]["lastState"]["terminated"].is_object());

    let jm = k.pods_matching("flink", "component=jobmanager")[0].clone();
    let err = failed(
        &kubectl(&kc, &["logs", &jm, "--previous"]),
        "previous without one",
    );
    assert!(
        err.contains(&format!(
            "previous terminated container \"{c}\" in pod \"{jm}\" not found"
        )),
        "{err}"
    );
    assert!(err.contains("BadRequest"), "{err}");
    // A container that is waiting has no logs yet.
    k.set_pod_status(
        "flink",
        &jm,
        json!({"phase": "Pending", "containerStatuses": [{"name": c, "state": {"waiting": {"reason": "ContainerCreating"}}}]}),
    );
    let err = failed(&kubectl(&kc, &["logs", &jm]), "logs of a waiting container");
    assert!(
        err.contains("is waiting to start: ContainerCreating"),
        "{err}"
    );
    let table = ok(&kubectl(&kc, &["get", "pod", &jm]), "get pod table");
    assert!(
        table.contains("0/1") && table.contains("ContainerCreating"),
        "{table}"
    );
    // An unschedulable TaskManager, as the scheduler reports it.
    k.set_pod_status(
        "flink",
        tm,
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/3 nodes are available: 3 Insufficient memory."}]}),
    );
    let pod = json_of(&ok(
        &kubectl(&kc, &["get", "pod", tm, "-o", "json"]),
        "get pod",
    ));
    let conds = pod["status"]["conditions"].as_array().unwrap();
    let sched = conds.iter().find(|c| c["type"] == "PodScheduled").unwrap();
    assert_eq!(sched["status"], "False");
    assert_eq!(
        sched["message"],
        "0/3 nodes are available: 3 Insufficient memory."
    );
    assert_eq!(pod["status"]["phase"], "Pending");
}

#[tokio::test]
async fn kubectl_patch_merge_changes_the_object_and_bumps_generation() {
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = k.write_kubeconfig(dir.path(), &[("fake", "ops")]);
    k.add_flink_deployment("ops", "orders", app_spec("running"), "http://127.0.0.1:9");
    let before = k
        .get_object(
            "flink.apache.org/v1beta1",
            "FlinkDeployment",
            "ops",
            "orders",
        )
        .expect("fd");
    assert_eq!(before["metadata"]["generation"], 1);

    let out = ok(
        &kubectl(
            &kc,
            &[
                "patch",
                "flinkdeployment",
                "orders",
                "--type",
                "merge",
                "-p",
                r#"{"spec":{"job":{"state":"suspended"}}}"#,
            ],
        ),
        "kubectl patch",
    );
    assert!(
        out.contains("flinkdeployment.flink.apache.org/orders patched"),
        "{out}"
    );
    let after = k
        .get_object(
            "flink.apache.org/v1beta1",
            "FlinkDeployment",
            "ops",
            "orders",
        )
        .expect("fd");
    assert_eq!(after["spec"]["job"]["state"], "suspended");
    assert_eq!(
        after["spec"]["job"]["upgradeMode"], "savepoint",
        "merge keeps siblings"
    );
    assert_eq!(after["metadata"]["generation"], 2);
    assert_eq!(after["metadata"]["uid"], before["metadata"]["uid"]);
    assert_eq!(
        after["status"], before["status"],
        "the main resource does not write status"
    );
    let rv = |o: &Value| {
        o["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(rv(&after) > rv(&before));
    let patch = k
        .requests()
        .into_iter()
        .find(|r| r.0 == "PATCH")
        .expect("a PATCH request");
    assert!(patch.1.contains("fieldManager=kubectl-patch"), "{patch:?}");
    assert_eq!(patch.2.as_deref(), Some("application/merge-patch+json"));
    let managers: Vec<&str> = after["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(managers.contains(&"kubectl-patch"), "{managers:?}");

    // A metadata-only patch does not bump the generation; kubectl's default (strategic) patch is
    // refused for custom resources, as by a real API server.
    ok(
        &kubectl(&kc, &["label", "flinkdep", "orders", "team=data"]),
        "kubectl label",
    );
    let labelled = k
        .get_object(
            "flink.apache.org/v1beta1",
            "FlinkDeployment",
            "ops",
            "orders",
        )
        .unwrap();
    assert_eq!(labelled["metadata"]["labels"]["team"], "data");
    assert_eq!(labelled["metadata"]["generation"], 2);
    let err = failed(
        &kubectl(
            &kc,
            &[
                "patch",
                "flinkdep",
                "orders",
                "-p",
                r#"{"spec":{"job":{"state":"running"}}}"#,
            ],
        ),
        "strategic patch on a CR",
    );
    assert!(
        err.contains("UnsupportedMediaType") || err.contains("unknown format"),
        "{err}"
    );
}

#[tokio::test]
async fn kubectl_watch_sees_a_pod_added_after_it_started() {
    use std::io::{BufRead, BufReader};
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = k.write_kubeconfig(dir.path(), &[("fake", "flink")]);
    k.add_native_cluster("flink", "w", "http://127.0.0.1:9", 1);
    let mut child = Command::new(kubectl_bin())
        .arg("--kubeconfig")
        .arg(&kc)
        .arg("--cache-dir")
        .arg(dir.path().join("kube-cache"))
        .args(["get", "pods", "-w", "-o", "name", "--request-timeout=60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl get -w");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_line = |want: &str| -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(l) if l == want => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
        false
    };
    assert!(wait_line("pod/w-taskmanager-1-1"), "initial list");
    let mut tm2 = k
        .get_object("v1", "Pod", "flink", "w-taskmanager-1-1")
        .expect("tm pod");
    tm2["metadata"] = json!({"name": "w-taskmanager-1-2", "namespace": "flink", "labels": tm2["metadata"]["labels"]});
    k.put_object(tm2);
    let seen = wait_line("pod/w-taskmanager-1-2");
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen, "kubectl get -w did not print the added pod");
    let watches: Vec<_> = k
        .requests()
        .into_iter()
        .filter(|r| r.1.contains("watch="))
        .collect();
    assert!(!watches.is_empty(), "kubectl did not watch");
}

#[tokio::test]
async fn kubectl_errors_unauthorized_and_forbidden() {
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = k.write_kubeconfig(dir.path(), &[("fake", "secret")]);
    k.add_native_cluster("secret", "hidden", "http://127.0.0.1:9", 1);
    k.forbid_namespace("secret");

    let err = failed(
        &kubectl(&kc, &["get", "pods", "-n", "secret"]),
        "forbidden list",
    );
    assert!(err.contains("Forbidden"), "{err}");
    assert!(
        err.contains(r#"pods is forbidden: User "flinkdeck" cannot list resource "pods" in API group "" in the namespace "secret""#),
        "{err}"
    );
    let err = failed(
        &kubectl(&kc, &["logs", "hidden-taskmanager-1-1", "-n", "secret"]),
        "forbidden logs",
    );
    assert!(err.contains("Forbidden"), "{err}");
    let ok_elsewhere = kubectl(&kc, &["get", "pods", "-n", "default", "-o", "json"]);
    assert_eq!(
        names(&json_of(&ok(&ok_elsewhere, "other namespace"))),
        Vec::<String>::new()
    );

    let wrong = dir.path().join("wrong-token");
    std::fs::write(
        &wrong,
        k.kubeconfig_yaml(&[("fake", "default")], "not-the-token"),
    )
    .unwrap();
    let err = failed(&kubectl(&wrong, &["get", "pods"]), "wrong token");
    assert!(err.contains("Unauthorized"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// The kube crate
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn kube_lists_pods_by_label_and_reads_logs() {
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&k, dir.path(), "flink").await;
    k.add_native_cluster("flink", "alpha", "http://127.0.0.1:9", 2);
    k.add_native_cluster("flink", "beta", "http://127.0.0.1:9", 1);
    let pods: Api<Pod> = Api::default_namespaced(client.clone());

    let jms = pods
        .list(&ListParams::default().labels("type=flink-native-kubernetes,component=jobmanager"))
        .await
        .expect("list");
    assert_eq!(jms.items.len(), 2);
    let rv: u64 = jms
        .metadata
        .resource_version
        .as_deref()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(rv, k.resource_version());
    let alpha_tms = pods
        .list(&ListParams::default().labels("app=alpha,component in (taskmanager)"))
        .await
        .expect("list");
    let mut got: Vec<String> = alpha_tms
        .items
        .iter()
        .map(|p| p.metadata.name.clone().unwrap())
        .collect();
    got.sort();
    assert_eq!(got, ["alpha-taskmanager-1-1", "alpha-taskmanager-1-2"]);
    let tm = &alpha_tms.items[0];
    let cs = &tm
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    assert_eq!(cs.name, "flink-main-container");
    assert!(cs.ready);

    let name = "alpha-taskmanager-1-1";
    let c = "flink-main-container";
    k.set_pod_log("flink", name, c, "now\n", Some("before the crash\n"));
    let lp = |previous| LogParams {
        container: Some(c.into()),
        previous,
        ..Default::default()
    };
    assert_eq!(pods.logs(name, &lp(false)).await.unwrap(), "now\n");
    assert_eq!(
        pods.logs(name, &lp(true)).await.unwrap(),
        "before the crash\n"
    );
    let (code, reason, message) = api_error(
        pods.logs("alpha-taskmanager-1-2", &lp(true))
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (400, "BadRequest"));
    assert_eq!(
        message,
        "previous terminated container \"flink-main-container\" in pod \"alpha-taskmanager-1-2\" not found"
    );
    let (code, _, message) = api_error(
        pods.logs(
            name,
            &LogParams {
                container: Some("taskmanager".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(code, 400);
    assert_eq!(
        message,
        format!("container taskmanager is not valid for pod {name}")
    );
    let limited = pods
        .logs(
            name,
            &LogParams {
                limit_bytes: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(limited, "no");

    // follow: appended text arrives; the stream ends when the pod is deleted.
    use futures_util::AsyncBufReadExt;
    let mut lines = pods
        .log_stream(
            name,
            &LogParams {
                follow: true,
                ..Default::default()
            },
        )
        .await
        .expect("log stream")
        .lines();
    assert_eq!(lines.next().await.unwrap().unwrap(), "now");
    k.append_pod_log("flink", name, c, "more\n");
    let next = tokio::time::timeout(Duration::from_secs(10), lines.next())
        .await
        .expect("appended line");
    assert_eq!(next.unwrap().unwrap(), "more");
    k.delete_object("v1", "Pod", "flink", name);
    let end = tokio::time::timeout(Duration::from_secs(10), lines.next())
        .await
        .expect("end of stream");
    assert!(end.is_none(), "{end:?}");
}

#[tokio::test]
async fn kube_watcher_sees_add_and_delete_and_old_versions_expire() {
    use kube::runtime::watcher;
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&k, dir.path(), "flink").await;
    k.add_native_cluster("flink", "wc", "http://127.0.0.1:9", 1);
    let pods: Api<Pod> = Api::namespaced(client.clone(), "flink");
    let mut stream = watcher(
        pods.clone(),
        watcher::Config::default().labels("component=taskmanager"),
    )
    .boxed();
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(15), stream.next())
            .await
            .expect("watch event")
            .expect("stream open")
            .expect("no watch error")
    };
    let mut initial = Vec::new();
    loop {
        match next().await {
            watcher::Event::InitApply(p) => initial.push(p.metadata.name.unwrap()),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    assert_eq!(initial, ["wc-taskmanager-1-1"]);
    let mut tm = k
        .get_object("v1", "Pod", "flink", "wc-taskmanager-1-1")
        .unwrap();
    tm["metadata"] = json!({"name": "wc-taskmanager-1-2", "namespace": "flink", "labels": tm["metadata"]["labels"]});
    k.put_object(tm);
    match next().await {
        watcher::Event::Apply(p) => assert_eq!(p.metadata.name.unwrap(), "wc-taskmanager-1-2"),
        other => panic!("expected Apply, got {other:?}"),
    }
    k.delete_object("v1", "Pod", "flink", "wc-taskmanager-1-1");
    match next().await {
        watcher::Event::Delete(p) => assert_eq!(p.metadata.name.unwrap(), "wc-taskmanager-1-1"),
        other => panic!("expected Delete, got {other:?}"),
    }
    // A label change that makes a pod stop matching is a DELETED for this selector.
    k.set_pod_status("flink", "wc-taskmanager-1-2", json!({"phase": "Running"}));
    let mut relabel = k
        .get_object("v1", "Pod", "flink", "wc-taskmanager-1-2")
        .unwrap();
    relabel["metadata"]["labels"]["component"] = json!("gone");
    k.put_object(relabel);
    loop {
        match next().await {
            watcher::Event::Delete(p) => {
                assert_eq!(p.metadata.name.unwrap(), "wc-taskmanager-1-2");
                break;
            }
            watcher::Event::Apply(_) => {}
            other => panic!("expected Delete, got {other:?}"),
        }
    }

    // A resourceVersion older than the kept history: ERROR 410 Expired in the stream.
    let old = "2";
    k.compact_history();
    let mut raw = pods
        .watch(&WatchParams::default().timeout(5), old)
        .await
        .expect("watch")
        .boxed();
    match raw.next().await.expect("an event").expect("decoded") {
        WatchEvent::Error(s) => {
            assert_eq!((s.code, s.reason.as_str()), (410, "Expired"));
            assert!(
                s.message.starts_with("too old resource version: 2 ("),
                "{}",
                s.message
            );
        }
        other => panic!("expected a 410 error event, got {other:?}"),
    }
}

#[tokio::test]
async fn kube_dynamic_flinkdeployment_merge_patch_and_server_side_apply() {
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&k, dir.path(), "ops").await;
    let ar = fd_resource();
    let fds: Api<DynamicObject> = Api::namespaced_with(client.clone(), "ops", &ar);
    // Without the CRDs: 404 like a cluster without the operator.
    let (code, reason, _) = api_error(fds.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (404, "NotFound"));

    k.add_flink_deployment("ops", "orders", app_spec("running"), "http://127.0.0.1:9");
    let list = fds.list(&ListParams::default()).await.expect("list");
    assert_eq!(list.items.len(), 1);
    let fd = &list.items[0];
    assert_eq!(fd.data["status"]["lifecycleState"], "STABLE");
    let spec_str = fd.data["status"]["reconciliationStatus"]["lastReconciledSpec"]
        .as_str()
        .unwrap();
    assert_eq!(json_of(spec_str)["spec"]["job"]["state"], "running");

    let patched = fds
        .patch(
            "orders",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"job": {"state": "suspended"}}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(patched.data["spec"]["job"]["state"], "suspended");
    assert_eq!(patched.metadata.generation, Some(2));

    // Server-side apply: creates when absent, merges when present, records the field manager.
    let applied = json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": "payments", "labels": {"team": "pay"}},
        "spec": app_spec("running"),
    });
    let created = fds
        .patch(
            "payments",
            &PatchParams::apply("flinkdeck"),
            &Patch::Apply(&applied),
        )
        .await
        .expect("apply (create)");
    assert_eq!(created.metadata.generation, Some(1));
    let mf = created.metadata.managed_fields.clone().unwrap_or_default();
    assert!(
        mf.iter().any(|m| m.manager.as_deref() == Some("flinkdeck")
            && m.operation.as_deref() == Some("Apply")),
        "{mf:?}"
    );
    let again = fds
        .patch(
            "orders",
            &PatchParams::apply("flinkdeck").force(),
            &Patch::Apply(json!({
                "apiVersion": "flink.apache.org/v1beta1",
                "kind": "FlinkDeployment",
                "metadata": {"name": "orders"},
                "spec": {"job": {"state": "running"}},
            })),
        )
        .await
        .expect("apply (update)");
    assert_eq!(again.data["spec"]["job"]["state"], "running");
    assert_eq!(again.data["spec"]["job"]["upgradeMode"], "savepoint");
    assert_eq!(again.metadata.generation, Some(3));
    let ssa = k
        .requests()
        .into_iter()
        .filter(|r| r.0 == "PATCH")
        .collect::<Vec<_>>();
    assert!(
        ssa.iter()
            .any(|r| r.2.as_deref() == Some("application/apply-patch+yaml")
                && r.1.contains("fieldManager=flinkdeck")),
        "{ssa:?}"
    );

    // Apply without a field manager is refused like the real server does.
    let raw = http::Request::patch(
        "/apis/flink.apache.org/v1beta1/namespaces/ops/flinkdeployments/orders",
    )
    .header("content-type", "application/apply-patch+yaml")
    .body(serde_json::to_vec(&applied).unwrap())
    .unwrap();
    let (code, reason, _) = api_error(client.request::<Value>(raw).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (422, "Invalid"));

    // Status subresource: only status changes, no generation bump.
    let st = fds
        .patch_status(
            "orders",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"error": "boom"}, "spec": {"job": {"state": "x"}}})),
        )
        .await
        .expect("status patch");
    assert_eq!(st.data["status"]["error"], "boom");
    assert_eq!(st.data["spec"]["job"]["state"], "running");
    assert_eq!(st.metadata.generation, Some(3));

    // Forbidden namespace: every verb is 403 with the real message.
    k.forbid_namespace("ops");
    let (code, reason, message) = api_error(fds.get("orders").await.unwrap_err());
    assert_eq!((code, reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        message,
        "flinkdeployments.flink.apache.org \"orders\" is forbidden: User \"flinkdeck\" cannot get resource \"flinkdeployments\" in API group \"flink.apache.org\" in the namespace \"ops\""
    );
}

#[tokio::test]
async fn kube_service_proxy_and_discovery() {
    let url = flink_url();
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&k, dir.path(), "flink").await;
    k.add_flink_deployment("flink", "orders", app_spec("running"), &url);
    let req =
        http::Request::get("/api/v1/namespaces/flink/services/orders-rest:rest/proxy/overview")
            .body(Vec::new())
            .unwrap();
    let overview: Value = client.request(req).await.expect("proxied /overview");
    assert_eq!(overview["flink-version"], "2.3.0");
    assert!(overview["taskmanagers"].as_u64().unwrap() >= 1);

    let groups = client.list_api_groups().await.expect("api groups");
    assert!(groups.groups.iter().any(|g| g.name == "flink.apache.org"));
    let res = client
        .list_api_group_resources("flink.apache.org/v1beta1")
        .await
        .expect("flink resources");
    let fd = res
        .resources
        .iter()
        .find(|r| r.name == "flinkdeployments")
        .expect("flinkdeployments");
    assert_eq!(fd.kind, "FlinkDeployment");
    assert!(fd.namespaced);
    assert_eq!(
        fd.short_names.as_deref(),
        Some(&["flinkdep".to_string()][..])
    );
    let snp = res
        .resources
        .iter()
        .find(|r| r.name == "flinkstatesnapshots")
        .expect("snapshots");
    assert_eq!(
        snp.short_names.as_deref(),
        Some(&["flinksnp".to_string()][..])
    );
    k.set_crds_installed(false);
    let groups = client.list_api_groups().await.expect("api groups");
    assert!(!groups.groups.iter().any(|g| g.name == "flink.apache.org"));
}

// ---------------------------------------------------------------------------------------------
// The operator reconciler against real Flink 2.3.0
// ---------------------------------------------------------------------------------------------

async fn wait_fd(
    fds: &Api<DynamicObject>,
    name: &str,
    what: &str,
    f: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let fd = fds.get(name).await.expect("get fd");
        if f(&fd.data) {
            return fd.data;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}; status: {}",
            fd.data["status"]
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn operator_suspends_with_savepoint_and_resumes_from_it_on_real_flink() {
    let url = flink_url();
    let jar = common::demo_jar(common::V2);
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&k, dir.path(), "ops").await;
    let name = common::unique("op");
    let job_name = format!("kube-fake-{name}");
    k.add_flink_deployment("ops", &name, app_spec("running"), &url);
    let fake_id = k
        .get_object("flink.apache.org/v1beta1", "FlinkDeployment", "ops", &name)
        .unwrap()["status"]["jobStatus"]["jobId"]
        .clone();
    k.enable_operator(
        "ops",
        &name,
        OperatorTarget {
            flink_rest_url: url.clone(),
            jar_path: jar,
            entry_class: common::DEMO_CLASS.to_string(),
            args: ["--mode", "steady", "--name", &job_name]
                .map(String::from)
                .to_vec(),
        },
    );
    let fds: Api<DynamicObject> = Api::namespaced_with(client.clone(), "ops", &fd_resource());
    let running = wait_fd(&fds, &name, "first submission", |d| {
        d["status"]["lifecycleState"] == "STABLE"
            && d["status"]["jobStatus"]["state"] == "RUNNING"
            && d["status"]["jobStatus"]["jobId"] != fake_id
    })
    .await;
    let jid = running["status"]["jobStatus"]["jobId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(running["status"]["jobStatus"]["jobName"], job_name.as_str());
    let job = http_json(&format!("{url}/jobs/{jid}")).await;
    assert_eq!(job["state"], "RUNNING");

    fds.patch(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"job": {"state": "suspended"}}})),
    )
    .await
    .expect("suspend");
    let suspended = wait_fd(&fds, &name, "SUSPENDED", |d| {
        d["status"]["lifecycleState"] == "SUSPENDED"
    })
    .await;
    let st = &suspended["status"];
    let path = st["jobStatus"]["upgradeSavepointPath"]
        .as_str()
        .expect("upgradeSavepointPath")
        .to_string();
    assert_eq!(st["jobStatus"]["state"], "FINISHED");
    assert_eq!(st["jobManagerDeploymentStatus"], "MISSING");
    assert_eq!(st["observedGeneration"], 2);
    let last = &st["jobStatus"]["savepointInfo"]["lastSavepoint"];
    assert_eq!(last["location"], path.as_str());
    assert_eq!(last["triggerType"], "UPGRADE");
    assert_eq!(last["formatType"], "CANONICAL");
    let on_disk = PathBuf::from(path.trim_start_matches("file:"));
    assert!(on_disk.exists(), "savepoint {on_disk:?} is not on disk");
    assert_eq!(
        http_json(&format!("{url}/jobs/{jid}")).await["state"],
        "FINISHED"
    );
    assert!(
        k.pods_matching("ops", &format!("app={name}")).is_empty(),
        "pods remain while suspended"
    );
    let snaps: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "ops",
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("flink.apache.org", "v1beta1", "FlinkStateSnapshot"),
            "flinkstatesnapshots",
        ),
    );
    let upgrade = snaps
        .list(&ListParams::default().labels(&format!(
            "snapshot.trigger-type=UPGRADE,job-reference.name={name}"
        )))
        .await
        .expect("snapshots");
    assert_eq!(upgrade.items.len(), 1);
    assert_eq!(upgrade.items[0].data["status"]["state"], "COMPLETED");
    assert_eq!(
        upgrade.items[0].data["spec"]["savepoint"]["path"],
        path.as_str()
    );

    fds.patch(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"job": {"state": "running"}}})),
    )
    .await
    .expect("resume");
    let resumed = wait_fd(&fds, &name, "STABLE again", |d| {
        d["status"]["lifecycleState"] == "STABLE"
            && d["status"]["jobStatus"]["state"] == "RUNNING"
            && d["status"]["jobStatus"]["jobId"] != jid.as_str()
    })
    .await;
    let new_jid = resumed["status"]["jobStatus"]["jobId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        k.pods_matching("ops", &format!("app={name},component=jobmanager"))
            .len(),
        1
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let restored = loop {
        let cp = http_json(&format!("{url}/jobs/{new_jid}/checkpoints")).await;
        if let Some(p) = cp["latest"]["restored"]["external_path"].as_str() {
            break p.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no restore reported: {cp}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(restored, path);

    // savepointTriggerNonce: a manual savepoint, recorded with its nonce.
    fds.patch(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"job": {"savepointTriggerNonce": 7}}})),
    )
    .await
    .expect("trigger nonce");
    let manual = wait_fd(&fds, &name, "manual savepoint", |d| {
        d["status"]["jobStatus"]["savepointInfo"]["lastSavepoint"]["triggerNonce"] == 7
    })
    .await;
    let last = &manual["status"]["jobStatus"]["savepointInfo"]["lastSavepoint"];
    assert_eq!(last["triggerType"], "MANUAL");
    let manual_path = last["location"].as_str().expect("location").to_string();
    assert!(
        PathBuf::from(manual_path.trim_start_matches("file:")).exists(),
        "{manual_path}"
    );
    assert_eq!(
        manual["status"]["jobStatus"]["jobId"],
        new_jid.as_str(),
        "the job keeps running"
    );
    let history = manual["status"]["jobStatus"]["savepointInfo"]["savepointHistory"]
        .as_array()
        .unwrap();
    assert_eq!(history.len(), 2, "{history:?}");

    // savepointRedeployNonce + initialSavepointPath: a new job from exactly that savepoint.
    fds.patch(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"job": {"initialSavepointPath": manual_path, "savepointRedeployNonce": 1}}})),
    )
    .await
    .expect("redeploy nonce");
    let redeployed = wait_fd(&fds, &name, "redeployed", |d| {
        d["status"]["lifecycleState"] == "STABLE"
            && d["status"]["jobStatus"]["state"] == "RUNNING"
            && d["status"]["jobStatus"]["jobId"] != new_jid.as_str()
    })
    .await;
    assert_eq!(
        http_json(&format!("{url}/jobs/{new_jid}")).await["state"],
        "CANCELED"
    );
    let new_jid = redeployed["status"]["jobStatus"]["jobId"]
        .as_str()
        .unwrap()
        .to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let cp = http_json(&format!("{url}/jobs/{new_jid}/checkpoints")).await;
        if let Some(p) = cp["latest"]["restored"]["external_path"].as_str() {
            assert_eq!(p, manual_path);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no restore reported: {cp}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // A FlinkStateSnapshot asks for a savepoint of the running job.
    let snap_name = format!("{name}-manual");
    k.put_object(json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkStateSnapshot",
        "metadata": {"name": snap_name, "namespace": "ops"},
        "spec": {"jobReference": {"kind": "FlinkDeployment", "name": name}, "savepoint": {"formatType": "CANONICAL"}, "backoffLimit": 0},
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let s = snaps.get(&snap_name).await.expect("snapshot");
        let state = s.data["status"]["state"].as_str().unwrap_or("").to_string();
        if state == "COMPLETED" {
            let p = s.data["status"]["path"].as_str().expect("path");
            assert!(PathBuf::from(p.trim_start_matches("file:")).exists(), "{p}");
            break;
        }
        assert_ne!(state, "FAILED", "{}", s.data["status"]);
        assert!(
            std::time::Instant::now() < deadline,
            "snapshot not completed: {}",
            s.data["status"]
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Clean up: suspend statelessly (cancel), which the reconciler also handles.
    fds.patch(
        &name,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"job": {"state": "suspended", "upgradeMode": "stateless"}}})),
    )
    .await
    .expect("cancel");
    wait_fd(&fds, &name, "SUSPENDED (stateless)", |d| {
        d["status"]["lifecycleState"] == "SUSPENDED"
    })
    .await;
    assert_eq!(
        http_json(&format!("{url}/jobs/{new_jid}")).await["state"],
        "CANCELED"
    );
}

#[tokio::test]
async fn pod_log_bound_to_a_real_flink_log_file() {
    let url = flink_url();
    let port = url.rsplit(':').next().unwrap();
    let cache = std::env::var("FLINKDECK_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let base = std::env::var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|_| {
                    PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache")
                });
            base.join("flinkdeck")
        });
    let log = cache.join(format!(
        "clusters/{}-{port}/log/flink-jobmanager.log",
        common::V2
    ));
    assert!(log.is_file(), "no JobManager log at {log:?}");
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&k, dir.path(), "flink").await;
    k.add_native_cluster("flink", "real", &url, 1);
    let jm = k.pods_matching("flink", "component=jobmanager")[0].clone();
    k.set_pod_log_file("flink", &jm, "flink-main-container", &log);
    let pods: Api<Pod> = Api::default_namespaced(client);

    let all = pods.logs(&jm, &LogParams::default()).await.expect("logs");
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        all.lines().next(),
        text.lines().next(),
        "same first line as the file"
    );
    assert!(
        all.contains("StandaloneSessionClusterEntrypoint"),
        "real Flink output"
    );
    let mut same_tail = false;
    for _ in 0..5 {
        let tail = pods
            .logs(
                &jm,
                &LogParams {
                    tail_lines: Some(3),
                    ..Default::default()
                },
            )
            .await
            .expect("tail");
        let text = std::fs::read_to_string(&log).unwrap();
        let want: Vec<&str> = text
            .lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if tail.lines().collect::<Vec<_>>() == want {
            same_tail = true;
            break;
        }
    }
    assert!(same_tail, "tailLines=3 never matched the file's last lines");
    // Flink's log4j timestamps date the lines: nothing in a future window, everything since
    // long ago.
    let none = pods
        .logs(
            &jm,
            &LogParams {
                since_time: Some("2999-01-01T00:00:00Z".parse().unwrap()),
                ..Default::default()
            },
        )
        .await
        .expect("sinceTime");
    assert_eq!(none, "");
    let since = pods
        .logs(
            &jm,
            &LogParams {
                since_seconds: Some(10 * 365 * 86400),
                ..Default::default()
            },
        )
        .await
        .expect("sinceSeconds");
    assert!(
        since.lines().count() >= text.lines().count(),
        "old lines are within ten years"
    );
}

#[tokio::test]
async fn kube_json_patch_create_and_delete() {
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = kube_client(&k, dir.path(), "apps").await;
    k.add_namespace("apps");
    let fds: Api<DynamicObject> = Api::namespaced_with(client.clone(), "apps", &fd_resource());
    k.set_crds_installed(true);
    let mut obj = DynamicObject::new("pipe", &fd_resource()).within("apps");
    obj.data = json!({"spec": app_spec("running")});
    let created = fds.create(&Default::default(), &obj).await.expect("create");
    assert_eq!(created.metadata.generation, Some(1));
    assert!(
        created.data.get("status").is_none(),
        "status is not written on create"
    );
    let (code, reason, message) =
        api_error(fds.create(&Default::default(), &obj).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (409, "AlreadyExists"));
    assert_eq!(
        message,
        "flinkdeployments.flink.apache.org \"pipe\" already exists"
    );

    let req = http::Request::patch(
        "/apis/flink.apache.org/v1beta1/namespaces/apps/flinkdeployments/pipe",
    )
    .header("content-type", "application/json-patch+json")
    .body(
        serde_json::to_vec(&json!([
            {"op": "test", "path": "/spec/job/state", "value": "running"},
            {"op": "replace", "path": "/spec/job/state", "value": "suspended"},
            {"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}
        ]))
        .unwrap(),
    )
    .unwrap();
    let patched: Value = client.request(req).await.expect("json patch");
    assert_eq!(patched["spec"]["job"]["state"], "suspended");
    assert_eq!(patched["metadata"]["labels"]["a"], "b");
    assert_eq!(patched["metadata"]["generation"], 2);

    // A stale resourceVersion in an update is a Conflict.
    let mut stale = created.clone();
    stale.data["spec"]["job"]["parallelism"] = json!(4);
    let (code, reason, _) = api_error(
        fds.replace("pipe", &Default::default(), &stale)
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (409, "Conflict"));

    fds.delete("pipe", &Default::default())
        .await
        .expect("delete");
    let (code, reason, message) = api_error(fds.get("pipe").await.unwrap_err());
    assert_eq!((code, reason.as_str()), (404, "NotFound"));
    assert_eq!(
        message,
        "flinkdeployments.flink.apache.org \"pipe\" not found"
    );
    let pods: Api<Pod> = Api::namespaced(client.clone(), "nowhere");
    let (code, _, message) = api_error(
        pods.create(
            &Default::default(),
            &serde_json::from_value(json!({"metadata": {"name": "p"}})).unwrap(),
        )
        .await
        .unwrap_err(),
    );
    assert_eq!(
        (code, message.as_str()),
        (404, "namespaces \"nowhere\" not found")
    );

    // Unauthorized with a wrong token, as a Status.
    let bad = dir.path().join("bad");
    std::fs::write(&bad, k.kubeconfig_yaml(&[("x", "apps")], "wrong")).unwrap();
    let kc = kube::config::Kubeconfig::read_from(&bad).unwrap();
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .unwrap();
    let bad_client = kube::Client::try_from(cfg).unwrap();
    let (code, reason, _) = api_error(
        Api::<Pod>::namespaced(bad_client, "apps")
            .list(&Default::default())
            .await
            .unwrap_err(),
    );
    assert_eq!((code, reason.as_str()), (401, "Unauthorized"));
}

/// A JobManager Deployment, its `flink-config-<id>` ConfigMap (1.x flat form) and `<id>-rest`
/// Service as the Flink client creates them, for the native-application emulation.
fn native_app_objects(id: &str, image: &str, jar: &str, name: &str) -> [Value; 3] {
    let labels = json!({"app": id, "component": "jobmanager", "type": "flink-native-kubernetes"});
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": id, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [{"name": "flink-main-container", "image": image}]}}}
    });
    let conf = format!(
        "kubernetes.cluster-id: {id}\n$internal.application.main: {}\n\
         $internal.application.program-args: --mode;steady;--name;{name}\n\
         pipeline.jars: {jar}\nparallelism.default: 1\n",
        common::DEMO_CLASS
    );
    let cm = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("flink-config-{id}"), "labels": {"app": id, "type": "flink-native-kubernetes"}},
        "data": {"flink-conf.yaml": conf}
    });
    let rest = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": format!("{id}-rest"), "labels": {"app": id, "type": "flink-native-kubernetes"}},
        "spec": {"type": "ClusterIP", "selector": labels,
            "ports": [{"name": "rest", "port": 8081, "targetPort": 8081}]}
    });
    [deployment, rest, cm]
}

/// The native-application emulation (`tests/fake_kube/native_app.rs`) seen through kubectl,
/// without the Flink CLI: a Deployment + ConfigMap created like the client does get a Running
/// JobManager pod, and the job from the ConfigMap runs on the real Flink 2.3.0 behind the
/// `<id>-rest` service proxy; cancelling it removes the cluster's objects. A jar the image does
/// not have leaves the JobManager in CrashLoopBackOff with the reason in its log.
#[tokio::test]
async fn native_application_emulation_runs_the_configmap_program_on_real_flink() {
    let url = flink_url();
    let k = FakeKube::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = k.write_kubeconfig(dir.path(), &[("fake", "apps")]);
    k.add_namespace("apps");
    let jar_uri = "local:///opt/flink/usrlib/demo.jar";
    k.emulate_native_applications(fake_kube::NativeAppTarget {
        image: "registry.local/demo:1".into(),
        flink_rest_url: url.clone(),
        jars: [(jar_uri.to_string(), common::demo_jar(common::V2))].into(),
    });
    let name = common::unique("emulated");
    let create = |obj: &Value, file: &str| {
        let p = dir.path().join(file);
        std::fs::write(&p, obj.to_string()).expect("write");
        ok(
            &kubectl(
                &kc,
                &[
                    "create",
                    "--validate=false",
                    "-f",
                    p.to_str().expect("utf-8"),
                ],
            ),
            "create",
        );
    };
    // In the client's order: Deployment, Services, ConfigMap.
    let good = native_app_objects("good", "registry.local/demo:1", jar_uri, &name);
    let bad = native_app_objects(
        "bad",
        "registry.local/demo:1",
        "local:///opt/missing.jar",
        "x",
    );
    for (i, o) in good.iter().enumerate() {
        create(o, &format!("good-{i}.json"));
    }
    for (i, o) in bad.iter().enumerate() {
        create(o, &format!("bad-{i}.json"));
    }

    let job = common::wait_for("the emulated job on Flink", Duration::from_secs(60), || {
        let out = kubectl(
            &kc,
            &[
                "get",
                "--raw",
                "/api/v1/namespaces/apps/services/good-rest:rest/proxy/jobs/overview",
            ],
        );
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        v["jobs"]
            .as_array()?
            .iter()
            .find(|j| j["name"] == name.as_str() && j["state"] == "RUNNING")
            .and_then(|j| j["jid"].as_str().map(str::to_string))
    });
    let pod = json_of(&ok(
        &kubectl(
            &kc,
            &[
                "get",
                "pods",
                "-l",
                "app=good,component=jobmanager",
                "-o",
                "json",
            ],
        ),
        "get pods",
    ));
    assert_eq!(pod["items"][0]["status"]["phase"], "Running", "{pod}");
    let d = json_of(&ok(
        &kubectl(&kc, &["get", "deployment", "good", "-o", "json"]),
        "get deployment",
    ));
    assert_eq!(d["status"]["availableReplicas"], 1, "{d}");

    let bad = common::wait_for("the failing JobManager", Duration::from_secs(30), || {
        let out = kubectl(&kc, &["get", "pods", "-l", "app=bad", "-o", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        let p = v["items"].get(0)?.clone();
        (p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff")
            .then_some(p)
    });
    let bad_pod = bad["metadata"]["name"].as_str().expect("name").to_string();
    let log = ok(&kubectl(&kc, &["logs", &bad_pod]), "logs");
    assert!(log.contains("local:///opt/missing.jar"), "{log}");

    // The job ends: the application cluster goes away.
    reqwest::Client::new()
        .patch(format!("{url}/jobs/{job}?mode=cancel"))
        .send()
        .await
        .expect("cancel");
    common::wait_for("the cluster removed", Duration::from_secs(60), || {
        (k.get_object("apps/v1", "Deployment", "apps", "good")
            .is_none()
            && k.pods_matching("apps", "app=good").is_empty()
            && k.get_object("v1", "ConfigMap", "apps", "flink-config-good")
                .is_none())
        .then_some(())
    });
    assert!(
        k.get_object("apps/v1", "Deployment", "apps", "bad")
            .is_some(),
        "the failing cluster stays (the kubelet would keep restarting it)"
    );
}
