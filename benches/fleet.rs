//! `cargo bench --bench fleet`: flinkdeck against the Flink simulator (`tests/flink_sim`) at
//! fleet scale, `FLINKDECK_BENCH_CLUSTERS` × `FLINKDECK_BENCH_JOBS` (default 10 × 1,000):
//!
//! 1. requests per JobManager per refresh of the console's pollers (default refresh 2 s and
//!    `detail_budget` 10/s), measured over `FLINKDECK_BENCH_WINDOW` seconds (default 20);
//! 2. one refresh round of every cluster (job list + that round's detail budget) to a reply;
//! 3. `flinkdeck jobs --json` (a whole process): the first run with an empty store, then runs
//!    that find the finished jobs in the store;
//! 4. the console (the real binary in a pseudo-terminal, no keys pressed): CPU % of one core
//!    over 60 s (`FLINKDECK_BENCH_IDLE`) once the jobs are on screen, and its resident memory after
//!    `FLINKDECK_BENCH_SOAK` seconds (default 300, the target's 5 minutes), sampled every 30 s,
//!    from `/proc/<pid>/stat` and `status`.
//!
//! Numbers go to stdout; targets are printed next to them, nothing is asserted.
//!
//! `FLINKDECK_BENCH_PARTS` picks the parts to run (default `1234`). `FLINKDECK_BENCH_SERVE=N`
//! runs none of them: it starts the simulator, writes its config, prints the config's path and
//! serves for N seconds (for profiling the real binary by hand, e.g. under valgrind).

#[path = "../tests/flink_sim/mod.rs"]
mod flink_sim;

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use flink_sim::FlinkSim;
use flinkdeck::config::Config;
use flinkdeck::domain::JobSummary;
use flinkdeck::service::PollSettings;
use flinkdeck::service::{poll_cluster, spawn_workers, Clusters, DetailCache, PollOptions};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn main() {
    let n_clusters = env_or("FLINKDECK_BENCH_CLUSTERS", 10) as usize;
    let n_jobs = env_or("FLINKDECK_BENCH_JOBS", 1000) as usize;
    let window = Duration::from_secs(env_or("FLINKDECK_BENCH_WINDOW", 20));
    let soak = Duration::from_secs(env_or("FLINKDECK_BENCH_SOAK", 300));
    let idle = Duration::from_secs(env_or("FLINKDECK_BENCH_IDLE", 60));
    let parts = std::env::var("FLINKDECK_BENCH_PARTS").unwrap_or_else(|_| "1234".into());
    let serve = env_or("FLINKDECK_BENCH_SERVE", 0);
    let sim = FlinkSim::start(n_clusters, n_jobs);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = "[ui]\nrefresh = \"2s\"\n".to_string();
    for (i, url) in sim.urls().iter().enumerate() {
        text.push_str(&format!(
            "\n[[clusters]]\nname = \"sim-{i}\"\nurl = \"{url}\"\ntimeout = \"10s\"\n"
        ));
    }
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, text).expect("config");
    let config = Config::load(&config_path).expect("config");
    let clusters = Clusters::from_config(&config).expect("clusters");
    let refresh = config.ui.refresh;
    let budget = config.ui.detail_budget;
    println!(
        "fleet: {n_clusters} simulated clusters x {n_jobs} jobs, refresh {refresh:?}, detail_budget {budget}/s"
    );
    if serve > 0 {
        println!("config {}", config_path.display());
        std::thread::sleep(Duration::from_secs(serve));
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    // 1. The console's pollers, in process.
    if parts.contains('1') {
        let _guard = rt.enter();
        let settings = PollSettings {
            refresh,
            detail_budget: budget,
        };
        let mut workers = spawn_workers(&clusters, None, settings, None);
        // Past the first round (which learns every job within the budget, like the others).
        std::thread::sleep(refresh + Duration::from_millis(500));
        sim.reset_counts();
        let t = Instant::now();
        while t.elapsed() < window {
            let _ = rt.block_on(tokio::time::timeout(
                Duration::from_millis(200),
                workers.replies.recv(),
            ));
        }
        let secs = t.elapsed().as_secs_f64();
        let rounds = secs / refresh.as_secs_f64();
        let (mut max_ov, mut max_detail) = (0f64, 0f64);
        for c in 0..n_clusters {
            let r = sim.requests(c);
            max_ov = max_ov.max(r.endpoint("/jobs/overview") as f64 / rounds);
            max_detail = max_detail.max(r.detail() as f64 / secs);
        }
        let r0 = sim.requests(0);
        println!("1. requests per JobManager ({secs:.0} s window, worst cluster)");
        println!("  /jobs/overview per refresh  {max_ov:.2}  (target <= 1)");
        println!(
            "  per-job detail per second   {max_detail:.2}  (target <= budget {budget}); per refresh {:.1}",
            max_detail * refresh.as_secs_f64()
        );
        println!("  cluster 0 by endpoint: {:?}", r0.by_endpoint);
        drop(workers);
    }

    // 2. One refresh round of every cluster, caches warm, each with one refresh's budget.
    if parts.contains('2') {
        let handles = clusters.all();
        let mut caches: Vec<DetailCache> = handles.iter().map(|_| DetailCache::default()).collect();
        let per_round = (f64::from(budget) * refresh.as_secs_f64()) as usize;
        let round = |caches: &mut Vec<DetailCache>, budget: Option<usize>| {
            let t = Instant::now();
            let opts = PollOptions {
                budget,
                ..PollOptions::default()
            };
            let polls = rt.block_on(futures_util::future::join_all(
                handles
                    .iter()
                    .zip(caches.iter_mut())
                    .map(|(h, c)| poll_cluster(h, opts, Some(c))),
            ));
            for p in polls {
                p.jobs.expect("poll");
            }
            t.elapsed()
        };
        let first = round(&mut caches, None);
        let rounds: Vec<Duration> = (0..10)
            .map(|_| round(&mut caches, Some(per_round)))
            .collect();
        let overviews: Vec<Duration> = (0..10)
            .map(|_| {
                let t = Instant::now();
                rt.block_on(futures_util::future::join_all(
                    handles.iter().map(|h| h.rest.jobs_overview(h.name())),
                ));
                t.elapsed()
            })
            .collect();
        println!("2. one refresh round of all {n_clusters} clusters, to a reply (median of 10)");
        println!(
            "  job lists + {per_round} detail requests each   {:>8.2?}  (target <= 1 s)",
            median(rounds)
        );
        println!(
            "  job lists only                      {:>8.2?}",
            median(overviews)
        );
        println!("  first round, every job's detail     {first:>8.2?}");
    }

    // 3. `flinkdeck jobs --json`, whole processes.
    if parts.contains('3') {
        let data = dir.path().join("cli-data");
        std::fs::create_dir_all(&data).expect("data dir");
        let run = || {
            let t = Instant::now();
            let out = common::cli(&config_path, &data, &["jobs", "--json"]);
            let took = t.elapsed();
            assert!(out.status.success(), "{}", common::stderr(&out));
            let jobs: Vec<JobSummary> = serde_json::from_slice(&out.stdout).expect("json");
            let with_cp = jobs.iter().filter(|j| j.last_checkpoint.is_some()).count();
            (took, jobs.len(), with_cp)
        };
        sim.reset_counts();
        let (cold, n, with_cp) = run();
        let cold_requests = sim.requests(0).total;
        let mut warm = Vec::new();
        sim.reset_counts();
        for _ in 0..5 {
            let (t, n2, cp2) = run();
            assert_eq!((n2, cp2), (n, with_cp));
            warm.push(t);
        }
        let warm_requests = sim.requests(0).total / 5;
        println!("3. flinkdeck jobs --json ({n} jobs, {with_cp} with a last checkpoint)");
        println!(
            "  empty store     {cold:>8.2?}  ({cold_requests} requests to cluster 0)  (target <= 2 s)"
        );
        println!(
            "  store warm      {:>8.2?}  median of 5 ({warm_requests} requests to cluster 0)",
            median(warm)
        );
        let no_store = dir.path().join("no-such-dir");
        let t = Instant::now();
        let out = common::cli(&config_path, &no_store, &["jobs", "--json"]);
        assert!(out.status.success(), "{}", common::stderr(&out));
        println!("  no data dir     {:>8.2?}", t.elapsed());
    }

    // 4. The console, idle.
    if parts.contains('4') {
        let data = dir.path().join("console-data");
        std::fs::create_dir_all(&data).expect("data dir");
        let mut app = common::console(&config_path, &data, &[], 160, 50);
        let t0 = Instant::now();
        app.wait_screen("jobs on screen", Duration::from_secs(60), |s| {
            s.contains("-job-0")
        });
        let pid = app.pid().expect("pid");
        println!("4. console (pty 160x50), no keys pressed");
        println!("  launch to jobs on screen  {:>8.2?}", t0.elapsed());
        std::thread::sleep(Duration::from_secs(5));
        let tck = clk_tck();
        let (c0, w0) = (cpu_ticks(pid).expect("stat"), Instant::now());
        std::thread::sleep(idle);
        let (c1, w1) = (cpu_ticks(pid).expect("stat"), Instant::now());
        let cpu = (c1 - c0) as f64 / tck / (w1 - w0).as_secs_f64() * 100.0;
        println!(
            "  idle CPU over {:>3} s       {cpu:>7.1} % of one core  (target <= 3 %)",
            idle.as_secs()
        );
        println!(
            "  RSS after {:>3.0} s          {:>7.1} MiB",
            t0.elapsed().as_secs_f64(),
            rss_kib(pid).unwrap_or(0) as f64 / 1024.0
        );
        // RSS every 30 s until the soak ends, to see whether it levels off.
        let mut samples = Vec::new();
        while t0.elapsed() < soak {
            let left = soak.saturating_sub(t0.elapsed());
            std::thread::sleep(left.min(Duration::from_secs(30)));
            samples.push(format!(
                "{:.0} s {:.1}",
                t0.elapsed().as_secs_f64(),
                rss_kib(pid).unwrap_or(0) as f64 / 1024.0
            ));
        }
        println!("  RSS over time (MiB)       {}", samples.join(", "));
        println!(
            "  RSS after {:>3.0} s          {:>7.1} MiB  (target <= 50 MiB after 5 min)",
            t0.elapsed().as_secs_f64(),
            rss_kib(pid).unwrap_or(0) as f64 / 1024.0
        );
        app.send("q");
        app.wait_exit(Duration::from_secs(10));
    }
}
