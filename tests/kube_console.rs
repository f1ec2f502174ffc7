//! The console on Kubernetes, end to end: the real `flinkdeck` binary in a pseudo-terminal (keys
//! in, screen out) with a `kind = "kubernetes"` entry. No Kubernetes API server can run on the
//! test machines, so the entry's kubeconfig points at the fake API server in `tests/fake_kube`
//! (HTTPS with its own CA, a bearer token, watches, pod logs, service proxy); the Flink REST
//! traffic goes through its service proxy to a real Flink 2.3.0 started by
//! `scripts/flink-local.sh`, running a demo job.
//!
//! Checked: the job of a discovered native cluster is listed under `k8s/streaming/orders`, a
//! FlinkDeployment is listed as an application named like the resource, the job's
//! detail has a Pods tab with the JobManager and TaskManager pods and the TaskManager's last
//! termination (`OOMKilled`), `P` on the TaskManager opens what its previous (OOM-killed)
//! container printed, the Clusters view shows the cluster as native, a cluster that appears
//! while the console runs is listed without a restart, the job id is an OSC 8 hyperlink to the
//! Web UI through the API server's service proxy, and the terminal is restored on quit.

mod common;
#[path = "fake_kube/mod.rs"]
mod fake_kube;

use std::time::Duration;

use common::*;
use fake_kube::FakeKube;
use serde_json::json;

const MAIN: &str = "flink-main-container";

#[test]
fn kubernetes_job_pods_tab_previous_log_and_clusters_view() {
    let url = ensure_cluster(V2);
    let job = unique("k8s-console");
    let job_id = submit_demo(V2, &url, "steady", &job);

    let fake = FakeKube::start_blocking();
    fake.add_namespace("streaming");
    fake.add_native_cluster("streaming", "orders", &url, 1);
    // An operator application: listed as an app named like the resource, without any `apply`.
    fake.add_flink_deployment(
        "streaming",
        "billing",
        json!({
            "image": "apache/flink:2.3.0",
            "flinkVersion": "v2_3",
            "job": {"jarURI": "local:///opt/flink/usrlib/demo.jar", "parallelism": 1,
                    "state": "running", "upgradeMode": "savepoint"},
            "taskManager": {"replicas": 1}
        }),
        // Its JobManager does not answer: the app row comes from the operator's status alone, and
        // the shared test cluster's many jobs are not listed a second time.
        &format!("http://127.0.0.1:{}", closed_port()),
    );
    let tm = fake
        .pods_matching("streaming", "app=orders,component=taskmanager")
        .into_iter()
        .next()
        .expect("a TaskManager pod");
    fake.set_pod_log(
        "streaming",
        &tm,
        MAIN,
        "TaskManager started again\n",
        Some("java.lang.OutOfMemoryError: Java heap space (the instance before the restart)\n"),
    );
    fake.set_pod_status(
        "streaming",
        &tm,
        json!({"containerStatuses": [{
            "name": MAIN,
            "restartCount": 3,
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}
        }]}),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let kc = fake.write_kubeconfig(dir.path(), &[("fake", "streaming")]);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[ui]\nrefresh = \"1s\"\n\n[[clusters]]\nname = \"k8s\"\nkind = \"kubernetes\"\n\
             kubeconfig = {:?}\ntimeout = \"10s\"\n",
            kc.display().to_string()
        ),
    )
    .expect("write config");
    let mut app = console(&config, dir.path(), &[], 160, 40);

    app.wait_screen(
        "the Kubernetes cluster live",
        Duration::from_secs(60),
        |s| s.contains("orders LIVE"),
    );
    // An app row names the app and its cluster (job rows of that cluster name it once); the
    // billing cluster sorts first, so its row is on screen however many jobs the shared Flink
    // lists.
    app.wait_screen(
        "the operator resource listed as an app",
        Duration::from_secs(30),
        |s| s.lines().any(|l| l.matches("billing").count() >= 2),
    );

    // The job under its Kubernetes cluster: filter to it (the shared Flink may list many jobs
    // of other tests), then Enter.
    app.send("/");
    app.send(&job);
    app.send("\r");
    let s = app.wait_screen(
        "the job listed under its Kubernetes cluster",
        Duration::from_secs(60),
        |s| s.contains(&job) && s.contains("k8s/streaming/orders"),
    );
    assert!(s.contains("RUNNING"), "{s}");
    app.send("\r");
    let s = app.wait_screen("the job's detail", Duration::from_secs(30), |s| {
        s.contains(&job_id) && s.contains("Pods")
    });
    assert!(s.contains("Logs"), "{s}");
    // The job id links (OSC 8) to the Flink Web UI through the API server's service proxy.
    let url = hyperlink_ending(
        &app,
        &format!(":rest/proxy/#/job/running/{job_id}/overview"),
    );
    let proxy = format!(
        "{}/api/v1/namespaces/streaming/services/",
        fake.url().trim_end_matches('/')
    );
    assert!(url.starts_with(&proxy), "proxied URL: {url}");

    // Overview → Checkpoints → Exceptions → Pods.
    for _ in 0..3 {
        app.send("\t");
    }
    let s = app.wait_screen(
        "the Pods tab with both pods",
        Duration::from_secs(30),
        |s| s.contains(&tm) && s.contains("OOMKilled"),
    );
    assert!(s.contains("orders-"), "the JobManager pod is listed:\n{s}");

    // The TaskManager is the last pod: its previous container's log.
    app.send("G");
    app.send("P");
    let s = app.wait_screen(
        "the previous container's log",
        Duration::from_secs(30),
        |s| s.contains("OutOfMemoryError: Java heap space"),
    );
    assert!(s.contains("previous"), "{s}");
    assert!(!s.contains("TaskManager started again"), "{s}");

    // Back to the list, then the Clusters view.
    app.send("\x1b");
    app.wait_screen("the jobs list again", Duration::from_secs(10), |s| {
        s.contains(&job) && !s.contains(&job_id)
    });
    app.send("\x1b");
    app.send("K");
    let s = app.wait_screen("the clusters view", Duration::from_secs(10), |s| {
        s.contains("k8s/streaming/orders") && s.contains("native")
    });
    assert!(s.contains("streaming"), "{s}");

    // A cluster deployed while the console runs shows up by itself (the discovery follows).
    fake.add_native_cluster("streaming", "payments", &url, 1);
    app.wait_screen("the new cluster listed", Duration::from_secs(30), |s| {
        s.contains("k8s/streaming/payments")
    });

    app.send("q");
    let code = app.wait_exit(Duration::from_secs(10));
    assert_eq!(code, 0, "exit code");
    assert!(!app.alternate_screen(), "alternate screen left on quit");
    let _ = rt().block_on(client(&url).cancel_job(&job_id));
}
