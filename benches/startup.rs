//! `cargo bench --bench startup`: in one run, against one real local Flink 2.3.0 cluster with the
//! demo jobs (started by `scripts/flink-local.sh`, port `FLINKDECK_BENCH_PORT`, default 18081):
//!
//! 1. `flinkdeck jobs --json` versus `curl -s /jobs/overview`, each run `FLINKDECK_BENCH_RUNS`
//!    times (default 30) as whole processes: median, mean and the ratio (goal: within 1.5×).
//! 2. Time from launching the TUI in a pseudo-terminal to the first frame that shows the jobs
//!    (median of 5 launches).
//!
//! Numbers go to stdout; no assertion on them (speed goals live in benchmarks, not tests).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::pty::PtyApp;

fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let median = v[v.len() / 2];
    let mean = v.iter().sum::<Duration>() / v.len() as u32;
    (median, mean)
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f(); // warm-up (page cache, connection set-up on the server side)
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let port: u16 = std::env::var("FLINKDECK_BENCH_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(18081);
    let runs: usize = std::env::var("FLINKDECK_BENCH_RUNS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(30);
    let url = common::ensure_cluster_on(common::V2, port);
    let c = common::client(&url);
    let jobs = common::rt()
        .block_on(c.jobs_overview("bench"))
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
    let dir = tempfile::tempdir().expect("tempdir");
    let config = common::write_config(dir.path(), &[("bench", &url)], "2s");
    let bin = common::bin();

    let overview = format!("{url}/jobs/overview");
    let curl = time_runs(runs, || {
        let out = Command::new("curl")
            .args(["-s", &overview])
            .output()
            .expect("curl");
        assert!(out.status.success());
    });
    let ours = time_runs(runs, || {
        let out = Command::new(&bin)
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path())
            .args(["jobs", "--json"])
            .output()
            .expect("flinkdeck");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
    let (cm, ca) = stats(curl);
    let (om, oa) = stats(ours);
    println!(
        "jobs --json vs curl /jobs/overview ({runs} runs, {} jobs)",
        jobs.len()
    );
    println!("  curl            median {:>8.2?}  mean {:>8.2?}", cm, ca);
    println!("  flinkdeck jobs  median {:>8.2?}  mean {:>8.2?}", om, oa);
    println!(
        "  ratio (median)  {:.2}x  (goal <= 1.5x)",
        om.as_secs_f64() / cm.as_secs_f64()
    );

    let first_job = jobs
        .first()
        .map(|j| j.name.clone())
        .unwrap_or_else(|| "demo-steady".into());
    let args = [
        "--config",
        config.to_str().expect("utf-8"),
        "--data-dir",
        dir.path().to_str().expect("utf-8"),
    ];
    let mut frames = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut app = PtyApp::spawn(&bin, &args, &[], 120, 30);
        app.wait_screen("first frame with jobs", Duration::from_secs(30), |s| {
            s.contains(&first_job)
        });
        frames.push(t.elapsed());
        app.send("q");
        app.wait_exit(Duration::from_secs(5));
    }
    let (fm, fa) = stats(frames);
    println!("launch to first frame showing jobs (5 launches)");
    println!("  median {:>8.2?}  mean {:>8.2?}", fm, fa);
}
