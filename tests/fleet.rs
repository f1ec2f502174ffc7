//! Polling at fleet scale against the Flink simulator (`tests/flink_sim`): the per-cluster
//! detail budget, the priority of changed/restarting jobs, finished jobs fetched once (by the
//! poller's cache and, for `flinkdeck jobs`, through the store), and the simulator's shapes
//! decoding with flinkdeck's own client.

#[path = "flink_sim/mod.rs"]
mod flink_sim;

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use flink_sim::FlinkSim;
use flinkdeck::backend::ClusterHandle;
use flinkdeck::config::Config;
use flinkdeck::domain::{JobState, JobSummary, WorkerReply};
use flinkdeck::service::PollSettings;
use flinkdeck::service::{poll_cluster, spawn_workers, Clusters, DetailCache, PollOptions};

fn handles(sim: &FlinkSim, dir: &std::path::Path, extra: &str) -> Vec<ClusterHandle> {
    let mut text = format!("[ui]\nrefresh = \"1s\"\n{extra}\n");
    for (i, url) in sim.urls().iter().enumerate() {
        text.push_str(&format!(
            "\n[[clusters]]\nname = \"sim-{i}\"\nurl = \"{url}\"\ntimeout = \"10s\"\n"
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    let config = Config::load(&path).expect("config");
    Clusters::from_config(&config).expect("clusters").all()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn by_id(jobs: &[JobSummary]) -> HashMap<String, JobSummary> {
    jobs.iter().map(|j| (j.id.clone(), j.clone())).collect()
}

#[test]
fn simulator_answers_decode_and_move() {
    let sim = FlinkSim::start(1, 60);
    let dir = tempfile::tempdir().expect("tempdir");
    let h = handles(&sim, dir.path(), "").remove(0);
    let rt = rt();
    let poll = rt.block_on(poll_cluster(&h, PollOptions::default(), None));
    assert!(poll.partial.is_empty(), "{:?}", poll.partial);
    let jobs = poll.jobs.expect("jobs");
    assert_eq!(jobs.len(), 60);
    let jobs = by_id(&jobs);
    let finished = &jobs[&sim.job_id(0, 0)];
    assert_eq!(finished.state, JobState::Finished);
    assert!(finished.end_time.is_some());
    let running = &jobs[&sim.job_id(0, 1)];
    assert_eq!(running.state, JobState::Running);
    let cp = running.last_checkpoint.as_ref().expect("a checkpoint");
    assert_eq!(cp.id, sim.job_now(0, 1).3);
    assert_eq!(running.restarts, Some(0));
    let flaky = &jobs[&sim.job_id(0, 3)];
    assert!(flaky.restarts.unwrap_or(0) >= 3, "{flaky:?}");
    // The other endpoints decode with the client's own types.
    let detail = rt
        .block_on(h.rest.job_detail(&sim.job_id(0, 1)))
        .expect("detail");
    assert_eq!(detail.state, "RUNNING");
    let info = rt.block_on(h.rest.cluster_info()).expect("overview");
    assert_eq!(info.flink_version.as_deref(), Some("2.3.0"));
    let x = rt
        .block_on(h.rest.exceptions(&sim.job_id(0, 3), 5))
        .expect("exceptions");
    assert!(!x.history.is_empty());
    assert_eq!(
        rt.block_on(h.rest.num_restarts(&sim.job_id(0, 3)))
            .expect("metric"),
        Some(sim.job_now(0, 3).2)
    );
    let sum: u64 = (0..60)
        .filter(|&j| j % 10 != 0)
        .map(|j| sim.job_now(0, j).2)
        .sum();
    assert_eq!(rt.block_on(h.rest.restarts_sum()).expect("sum"), Some(sum));
}

/// The console's pollers send one job list per refresh and spend at most `detail_budget`
/// per-job requests per second (plus one refresh's worth held in the bucket).
#[test]
fn console_pollers_respect_the_detail_budget() {
    let sim = FlinkSim::start(2, 300);
    let dir = tempfile::tempdir().expect("tempdir");
    let refresh = Duration::from_millis(500);
    let text = {
        let mut t = "[ui]\nrefresh = \"500ms\"\ndetail_budget = 4\n".to_string();
        for (i, url) in sim.urls().iter().enumerate() {
            t.push_str(&format!(
                "\n[[clusters]]\nname = \"sim-{i}\"\nurl = \"{url}\"\n"
            ));
            if i == 1 {
                t.push_str("detail_budget = 20\n");
            }
        }
        t
    };
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("config");
    let config = Config::load(&path).expect("config");
    assert_eq!(config.ui.detail_budget, 4);
    assert_eq!(config.clusters[1].detail_budget(&config.ui), 20);
    let clusters = Clusters::from_config(&config).expect("clusters");
    let rt = rt();
    let _guard = rt.enter();
    let settings = PollSettings {
        refresh,
        detail_budget: config.ui.detail_budget,
    };
    let mut workers = spawn_workers(&clusters, None, settings, None);
    // Let the pollers start, then measure a window.
    std::thread::sleep(Duration::from_millis(300));
    sim.reset_counts();
    let window = Duration::from_secs(4);
    let t = Instant::now();
    let mut polls = 0;
    while t.elapsed() < window {
        if let Ok(Some(WorkerReply::ClusterPolled { jobs: Some(_), .. })) = rt.block_on(
            tokio::time::timeout(Duration::from_millis(100), workers.replies.recv()),
        ) {
            polls += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let (a, b) = (sim.requests(0), sim.requests(1));
    let rounds = secs / refresh.as_secs_f64();
    assert!(polls >= 10, "{polls} polls");
    for c in [&a, &b] {
        assert!(
            (c.endpoint("/jobs/overview") as f64) <= rounds + 2.0,
            "one job list per refresh: {c:?}"
        );
    }
    // Budget × window plus what the bucket holds at the start (one refresh's worth, at least 3).
    let allowed = |rate: f64| rate * secs + (rate * refresh.as_secs_f64()).max(3.0) + 1.0;
    assert!(
        (a.detail() as f64) <= allowed(4.0),
        "cluster 0 spent {} detail requests in {secs:.1}s: {:?}",
        a.detail(),
        a.by_endpoint
    );
    assert!(a.detail() >= 8, "the budget is used: {:?}", a.by_endpoint);
    assert!(
        (b.detail() as f64) <= allowed(20.0),
        "cluster 1 spent {} in {secs:.1}s: {:?}",
        b.detail(),
        b.by_endpoint
    );
    assert!(b.detail() > a.detail(), "the per-cluster override applies");
}

/// A job whose state changed (or that restarts) gets its detail before the rotation over the
/// rest; the jobs on screen come before both.
#[test]
fn changed_and_focused_jobs_come_before_the_rotation() {
    let sim = FlinkSim::start(1, 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let h = handles(&sim, dir.path(), "").remove(0);
    let rt = rt();
    // The flaky jobs hold still, so only the job this test changes has changed.
    sim.set_state(0, 3, "RUNNING");
    sim.set_state(0, 53, "RUNNING");
    sim.set_state(0, 103, "RUNNING");
    sim.set_state(0, 153, "RUNNING");
    let mut cache = DetailCache::default();
    let opts = |budget| PollOptions {
        budget: Some(budget),
        ..PollOptions::default()
    };
    // Learn everything once.
    rt.block_on(poll_cluster(&h, PollOptions::default(), Some(&mut cache)));
    let job7 = sim.job_id(0, 7);
    let job9 = sim.job_id(0, 9);
    sim.set_state(0, 7, "RESTARTING");
    cache.set_focus(vec![job9.clone()]);
    sim.reset_counts();
    // Budget 6: the restarts sum (1), the focused job, the changed job (2 each: the sum
    // changed, so restarts are asked per job), and what is left for others.
    let poll = rt.block_on(poll_cluster(&h, opts(6), Some(&mut cache)));
    let c = sim.requests(0);
    assert!(c.detail() <= 6, "{:?}", c.by_endpoint);
    assert_eq!(c.endpoint("/jobs/metrics"), 1, "{:?}", c.by_endpoint);
    assert_eq!(c.job(&job9), 2, "the focused job first: {:?}", c.by_job);
    assert_eq!(c.job(&job7), 2, "then the changed job: {:?}", c.by_job);
    let jobs = by_id(&poll.jobs.expect("jobs"));
    assert_eq!(jobs[&job7].state, JobState::Restarting);
    assert_eq!(jobs[&job7].restarts, Some(sim.job_now(0, 7).2));
    // Jobs left out keep their last known detail, with its (older) time.
    let other = &jobs[&sim.job_id(0, 151)];
    assert!(other.last_checkpoint.is_some() && other.detail_at_ms.is_some());
    assert!(
        jobs[&job7].detail_at_ms > other.detail_at_ms,
        "{:?} {:?}",
        jobs[&job7],
        other
    );

    // Without changes the rotation goes round, oldest detail first: after enough rounds every
    // active job has been refreshed, and a round never exceeds its budget.
    cache.set_focus(Vec::new());
    let mut seen: HashMap<String, u64> = HashMap::new();
    sim.reset_counts();
    for _ in 0..40 {
        let before = sim.requests(0).detail();
        rt.block_on(poll_cluster(&h, opts(10), Some(&mut cache)));
        assert!(sim.requests(0).detail() - before <= 10);
    }
    for (id, n) in sim.requests(0).by_job {
        *seen.entry(id).or_default() += n;
    }
    let active = (0..200).filter(|j| j % 10 != 0).count();
    assert!(
        seen.len() >= active,
        "rotation covered {} of {active} active jobs",
        seen.len()
    );
}

/// Finished jobs: their checkpoints and restarts are fetched once by a poller, and the CLI takes
/// them from the store on its next run.
#[test]
fn finished_jobs_are_fetched_once() {
    let sim = FlinkSim::start(1, 100);
    let dir = tempfile::tempdir().expect("tempdir");
    let h = handles(&sim, dir.path(), "").remove(0);
    let rt = rt();
    sim.set_state(0, 3, "RUNNING");
    sim.set_state(0, 53, "RUNNING");
    let mut cache = DetailCache::default();
    let finished: Vec<String> = (0..100).step_by(10).map(|j| sim.job_id(0, j)).collect();
    let first = rt.block_on(poll_cluster(&h, PollOptions::default(), Some(&mut cache)));
    let c = sim.requests(0);
    for id in &finished {
        assert_eq!(c.job(id), 1, "fetched once (checkpoints only): {id}");
    }
    // A job that finishes later is fetched once more after it finished, then never again.
    sim.set_state(0, 5, "FINISHED");
    sim.reset_counts();
    let second = rt.block_on(poll_cluster(&h, PollOptions::default(), Some(&mut cache)));
    let c = sim.requests(0);
    for id in &finished {
        assert_eq!(c.job(id), 0, "not asked again: {id}");
    }
    assert_eq!(c.job(&sim.job_id(0, 5)), 1, "{:?}", c.by_job);
    sim.reset_counts();
    rt.block_on(poll_cluster(&h, PollOptions::default(), Some(&mut cache)));
    assert_eq!(sim.requests(0).job(&sim.job_id(0, 5)), 0);
    // Same values as when fetched.
    let (a, b) = (
        by_id(&first.jobs.expect("jobs")),
        by_id(&second.jobs.expect("jobs")),
    );
    for id in &finished {
        assert_eq!(a[id].last_checkpoint, b[id].last_checkpoint);
        assert!(b[id].last_checkpoint.is_some());
    }
    assert_eq!(cache.final_jobs(), finished.len() + 1);

    // The CLI: the first `jobs --json` fetches and records; the next one takes finished jobs
    // from the store.
    let config = dir.path().join("config.toml");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let run = || {
        let out = common::cli(&config, &data, &["jobs", "--json"]);
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        let jobs: Vec<JobSummary> = serde_json::from_slice(&out.stdout).expect("json");
        jobs
    };
    sim.reset_counts();
    let cli1 = run();
    let c1 = sim.requests(0);
    assert!(c1.job(&finished[1]) >= 1, "{:?}", c1.by_job);
    sim.reset_counts();
    let cli2 = run();
    let c2 = sim.requests(0);
    for id in &finished {
        assert_eq!(c2.job(id), 0, "from the store: {id}");
    }
    let (a, b) = (by_id(&cli1), by_id(&cli2));
    for id in &finished {
        assert_eq!(a[id].last_checkpoint, b[id].last_checkpoint, "{id}");
        assert!(b[id].last_checkpoint.is_some(), "{id}");
    }
    // Every active job still has its fresh last checkpoint, and restarts were confirmed by one
    // aggregated request instead of one per job.
    assert_eq!(c2.endpoint("/jobs/:id/metrics"), 0, "{:?}", c2.by_endpoint);
    assert_eq!(c2.endpoint("/jobs/metrics"), 1);
    for j in b.values().filter(|j| !j.state.is_terminal()) {
        assert!(j.last_checkpoint.is_some() && j.restarts.is_some(), "{j:?}");
    }
}
