//! `cargo bench --bench kube_proxy`: one refresh round over 50 Flink clusters in one Kubernetes
//! namespace, every request through the API server's service proxy, against `kubectl get --raw`
//! of the same `/jobs/overview` URLs run one after another (what a shell loop over kubectl does).
//!
//! No Kubernetes API server can run on these machines, so both sides talk to the fake API server
//! of the test suite (`tests/fake_kube/`: HTTPS, its own CA, a bearer token, the real service
//! proxy path), which forwards every proxied request to one real local Flink 2.3.0 cluster with
//! the demo jobs (`scripts/flink-local.sh`, port `FLINKDECK_BENCH_PORT`, default 18081). Each of
//! the 50 native clusters is a Service `<id>-rest` in namespace `bench`.
//!
//! Measured (median of `FLINKDECK_BENCH_RUNS` rounds, default 10):
//! 1. flinkdeck, in process: discovery done once, then one round of `/jobs/overview` for all 50
//!    clusters, and one full poller round (job list + each job's checkpoints and restarts);
//! 2. `flinkdeck jobs --json` as a whole process (discovery + full round);
//! 3. `kubectl get --raw .../proxy/jobs/overview` for the 50 clusters one after another.
//!
//! Numbers go to stdout; nothing is asserted on them.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/fake_kube/mod.rs"]
mod fake_kube;

use std::process::Command;
use std::time::{Duration, Instant};

use flinkdeck::config::Config;
use flinkdeck::service::{poll_cluster, Clusters, PollOptions};

const CLUSTERS: usize = 50;
const NS: &str = "bench";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let port: u16 = std::env::var("FLINKDECK_BENCH_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(18081);
    let runs: usize = std::env::var("FLINKDECK_BENCH_RUNS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(10);
    let url = common::ensure_cluster_on(common::V2, port);
    let rt = common::rt();
    let jobs = rt
        .block_on(common::client(&url).jobs_overview("bench"))
        .expect("jobs overview");
    if !jobs.iter().any(|j| j.state.is_active()) {
        common::script_run(&[
            "submit-demo",
            "--version",
            common::V2,
            "--port",
            &port.to_string(),
        ]);
    }

    let fake = rt.block_on(fake_kube::FakeKube::start());
    fake.add_namespace(NS);
    for i in 0..CLUSTERS {
        fake.add_native_cluster(NS, &format!("flink-{i:02}"), &url, 1);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let kubeconfig = fake.write_kubeconfig(dir.path(), &[("bench", NS)]);
    let config_path = dir.path().join("config.toml");
    std::fs::write(
        &config_path,
        format!(
            "[[clusters]]\nname = \"k8s\"\nkind = \"kubernetes\"\nkubeconfig = \"{}\"\ntimeout = \"10s\"\n",
            kubeconfig.display()
        ),
    )
    .expect("write config");

    // 1. In process: the registry as the console has it, then refresh rounds.
    let config = Config::load_or_default(Some(&config_path)).expect("config");
    let clusters = Clusters::from_config(&config).expect("clusters");
    let t = Instant::now();
    rt.block_on(clusters.discover());
    let discovery = t.elapsed();
    let handles = clusters.all();
    assert_eq!(handles.len(), CLUSTERS, "discovered clusters");
    let overview_round = || {
        rt.block_on(futures_util::future::join_all(
            handles.iter().map(|h| h.rest.jobs_overview(h.name())),
        ))
        .into_iter()
        .for_each(|r| {
            r.expect("jobs overview through the proxy");
        });
    };
    let full_round = || {
        rt.block_on(futures_util::future::join_all(
            handles
                .iter()
                .map(|h| poll_cluster(h, PollOptions::default(), None)),
        ))
        .into_iter()
        .for_each(|p| {
            p.jobs.expect("poll through the proxy");
        });
    };
    overview_round(); // warm-up: connections to the API server
    let overview: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            overview_round();
            t.elapsed()
        })
        .collect();
    let full: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            full_round();
            t.elapsed()
        })
        .collect();

    // 2. The CLI as a whole process.
    let cli: Vec<Duration> = (0..runs.min(5))
        .map(|_| {
            let t = Instant::now();
            let out = common::cli(&config_path, dir.path(), &["jobs", "--json"]);
            assert!(out.status.success(), "{}", common::stderr(&out));
            t.elapsed()
        })
        .collect();

    // 3. kubectl, one URL after another.
    let kubectl_round = || {
        for i in 0..CLUSTERS {
            let path = format!(
                "/api/v1/namespaces/{NS}/services/flink-{i:02}-rest:rest/proxy/jobs/overview"
            );
            let out = Command::new("kubectl")
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .args(["get", "--raw", &path])
                .output()
                .expect("kubectl (Debian package kubernetes-client)");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    let kubectl: Vec<Duration> = (0..runs.min(3))
        .map(|_| {
            let t = Instant::now();
            kubectl_round();
            t.elapsed()
        })
        .collect();

    let (o, f, c, k) = (median(overview), median(full), median(cli), median(kubectl));
    println!(
        "{CLUSTERS} Flink clusters in one namespace through the API server proxy ({} jobs each)",
        jobs.len()
    );
    println!("  discovery (list deployments, pods, CRDs)     {discovery:>10.2?}");
    println!("  flinkdeck round, /jobs/overview only         {o:>10.2?}  (median of {runs})");
    println!("  flinkdeck round, full poll (+checkpoints)    {f:>10.2?}  (median of {runs})");
    println!("  flinkdeck jobs --json, whole process         {c:>10.2?}");
    println!("  kubectl get --raw x{CLUSTERS}, one after another  {k:>10.2?}");
    println!(
        "  kubectl / flinkdeck (/jobs/overview round)   {:.1}x",
        k.as_secs_f64() / o.as_secs_f64()
    );
}
