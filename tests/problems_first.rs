//! "Problems first": jobs in trouble rise to the top of the console's jobs list with a short
//! reason, on REAL Flink (2.3.0 and 1.20.5, the shared clusters of `tests/common`) and on the
//! fleet simulator (`tests/flink_sim`, the JSON shapes of real Flink 2.3.0) at fleet scale within
//! the per-poll request budget.
//!
//! On real Flink: a demo job that throws every ~2 s under the cluster's fixed-delay restart
//! strategy (restarts within the last 10 minutes), a demo job whose checkpoints all expire
//! (`--checkpoints slow`: a 2 s snapshot against a 500 ms timeout, interval 1 s: no completed
//! checkpoint, ever, and no task failure) and a healthy demo job.
//! The console's own pollers' path (`poll_cluster` with the vitals, as `run_poller` calls it)
//! feeds the console's pure state; `flinkdeck jobs --json` reports the same reasons. The shared
//! cluster holds other tests' jobs too: only this test's jobs are looked at.

#[path = "flink_sim/mod.rs"]
mod flink_sim;

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use flinkdeck::backend::ClusterHandle;
use flinkdeck::config::Config;
use flinkdeck::domain::job_health::{assess, ProblemKind};
use flinkdeck::domain::{ClusterHealth, ClusterRef, HealthStatus, JobSummary, WorkerReply};
use flinkdeck::flink::RunJarRequest;
use flinkdeck::service::{poll_cluster, Clusters, DetailCache, PollOptions, VitalsMode};
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Msg};

#[path = "common/tui_render.rs"]
mod tui_render;

use tui_render::render;

fn console(clusters: &[&str], now: i64) -> App {
    let refs = clusters
        .iter()
        .map(|c| ClusterRef {
            name: c.to_string(),
            kind: "standalone".into(),
            url: format!("http://{c}:8081"),
            location: None,
            web_url: None,
        })
        .collect();
    App::new(
        refs,
        Theme::plain(),
        Keymap::builtin(),
        AppOptions::default(),
        now,
    )
}

fn polled(app: &mut App, cluster: &str, generation: u64, jobs: Vec<JobSummary>, now: i64) {
    let mut health = ClusterHealth::pending(now);
    health.status = HealthStatus::Live;
    health.last_ok_ms = Some(now);
    app.update(Msg::Worker(WorkerReply::ClusterPolled {
        cluster: cluster.into(),
        generation,
        health,
        jobs: Some(jobs.into()),
        platform: None,
    }));
}

/// The table's lines that name one of `names`, in screen order, with the name they show.
fn rows<'a>(screen: &'a str, names: &[String]) -> Vec<(String, &'a str)> {
    screen
        .lines()
        .filter_map(|l| {
            names
                .iter()
                .filter(|n| l.contains(&format!(" {n} ")))
                .max_by_key(|n| n.len())
                .map(|n| (n.clone(), l))
        })
        .collect()
}

/// Submits the demo job with extra program arguments and job configuration.
fn submit(version: &str, url: &str, name: &str, args: &[&str], conf: &[(&str, &str)]) -> String {
    let c = common::client(url);
    let jar = common::demo_jar(version);
    let jar_id = common::rt()
        .block_on(c.upload_jar(&jar))
        .expect("upload demo jar");
    let mut program_args = vec!["--name".to_string(), name.to_string()];
    program_args.extend(args.iter().map(|s| s.to_string()));
    let req = RunJarRequest {
        entry_class: Some(common::DEMO_CLASS.to_string()),
        program_args,
        parallelism: Some(1),
        savepoint_path: None,
        allow_non_restored_state: false,
        flink_configuration: conf
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    };
    common::rt()
        .block_on(c.run_jar(&jar_id, &req))
        .expect("run demo job")
}

fn on_real_flink(version: &str) {
    let url = common::ensure_cluster(version);
    let prefix = common::unique("pf");
    let steady = format!("{prefix}-steady");
    let flaky = format!("{prefix}-flaky");
    let nockpt = format!("{prefix}-nockpt");
    let ids = [
        submit(version, &url, &steady, &["--mode", "steady"], &[]),
        // 5 records/s, a failure every 10 records: a restart every few seconds.
        submit(
            version,
            &url,
            &flaky,
            &["--mode", "flaky", "--fail-after", "10"],
            &[],
        ),
        submit(
            version,
            &url,
            &nockpt,
            &["--mode", "steady", "--checkpoints", "slow"],
            &[
                ("execution.checkpointing.interval", "1 s"),
                ("execution.checkpointing.timeout", "500 ms"),
                (
                    "execution.checkpointing.tolerable-failed-checkpoints",
                    "2147483647",
                ),
            ],
        ),
    ];
    let _cancel = common::CancelOnDrop::new(&url, ids.to_vec());
    let names = vec![steady.clone(), flaky.clone(), nockpt.clone()];
    let clusters = common::clusters_for(&url);
    let handle: ClusterHandle = clusters.all().remove(0);
    let cluster = handle.name().to_string();
    let mut cache = DetailCache::default();
    let opts = PollOptions {
        vitals: VitalsMode::Full,
        ..PollOptions::default()
    };
    let ours = |jobs: Vec<JobSummary>| -> Vec<JobSummary> {
        jobs.into_iter().filter(|j| ids.contains(&j.id)).collect()
    };
    let by_name = |jobs: &[JobSummary], n: &str| -> JobSummary {
        jobs.iter()
            .find(|j| j.name == n)
            .cloned()
            .unwrap_or_else(|| panic!("{n} not listed: {jobs:?}"))
    };
    // Poll as the console's poller does until every vital is in: the flaky job has restarted
    // within the window, the other job has gone 3 intervals without a completed checkpoint, and
    // the healthy job's metrics arrived (plan, listing, then metrics: three polls at least).
    let jobs = common::wait_for(
        "restarts, overdue checkpoints and metrics",
        Duration::from_secs(120),
        || {
            let poll = common::rt().block_on(poll_cluster(&handle, opts, Some(&mut cache)));
            let jobs = ours(poll.jobs.ok()?);
            let now = flink_sim::now_ms();
            let f = assess(&by_name(&jobs, &flaky), now);
            let n = assess(&by_name(&jobs, &nockpt), now);
            let s = by_name(&jobs, &steady);
            let ready = f.problems.iter().any(|p| p.kind == ProblemKind::Restarts)
                && n.problems.iter().any(|p| p.kind == ProblemKind::Checkpoint)
                // Right after the start a task reports busy 1000 ms/s and no records yet:
                // wait for the healthy job to settle.
                && s.vitals.as_ref().is_some_and(|v| v.records_in_per_sec > Some(0.0))
                && assess(&s, now).problems.is_empty()
                && s.last_checkpoint.is_some();
            if !ready {
                eprintln!(
                    "waiting: flaky {:?} / nockpt {:?} ({:?}) / steady {:?} / partial {:?}",
                    f.problems,
                    n.problems,
                    by_name(&jobs, &nockpt).state,
                    s.vitals,
                    poll.partial
                );
                std::thread::sleep(Duration::from_millis(1000));
            }
            ready.then_some(jobs)
        },
    );
    let now = flink_sim::now_ms();
    let s = by_name(&jobs, &steady);
    assert_eq!(assess(&s, now).problems, vec![], "healthy: {s:?}");
    let sv = s.vitals.as_ref().expect("vitals");
    assert!(
        sv.records_in_per_sec.is_some_and(|r| r > 0.0),
        "the source emits: {sv:?}"
    );
    assert!(
        sv.checkpoint_interval_ms.is_some_and(|i| i > 0),
        "the cluster's checkpoint interval: {sv:?}"
    );
    let nv = by_name(&jobs, &nockpt).vitals.expect("vitals");
    assert_eq!(nv.checkpoint_interval_ms, Some(1_000), "{nv:?}");
    assert_eq!(nv.last_completed_at, None, "{nv:?}");

    // The console: our jobs, problems first, each with its reason.
    let mut app = console(&[&cluster], now);
    app.update(Msg::Resize(160, 12));
    polled(&mut app, &cluster, 1, jobs.clone(), now);
    let screen = render(&app, 160, 12);
    assert!(screen.contains("sort problems first"), "{screen}");
    let order = rows(&screen, &names);
    let shown: Vec<&str> = order.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(shown.len(), 3, "{screen}");
    assert_eq!(shown[2], steady, "healthy last:\n{screen}");
    for (n, line) in &order {
        if *n == flaky {
            assert!(
                line.contains("restarts ") && line.contains("/10m"),
                "{line}\n{screen}"
            );
        } else if *n == nockpt {
            assert!(line.contains("no ckpt "), "{line}\n{screen}");
        } else {
            assert!(
                !line.contains("ckpt") && !line.contains("restarts"),
                "{line}"
            );
        }
    }

    // `flinkdeck jobs --json`: the same reasons, as added fields.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = common::write_config(dir.path(), &[("c", &url)], "1s");
    let data = dir.path().join("data");
    let out = common::cli(&config, &data, &["jobs", "--json"]);
    let text = common::ok_stdout(&["jobs", "--json"], &out);
    let json = common::json_of(&["jobs", "--json"], &text);
    let rows: HashMap<String, serde_json::Value> = json
        .as_array()
        .expect("an array")
        .iter()
        .filter(|j| names.iter().any(|n| j["name"] == n.as_str()))
        .map(|j| (j["name"].as_str().unwrap_or("").to_string(), j.clone()))
        .collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[&steady]["health_score"], 0, "{}", rows[&steady]);
    let problems = |n: &str| -> Vec<String> {
        rows[n]["problems"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        problems(&nockpt).iter().any(|p| p.starts_with("no ckpt ")),
        "{}",
        rows[&nockpt]
    );
    assert!(rows[&nockpt]["health_score"].as_u64().unwrap_or(0) > 0);
    // The job started within the window: all its restarts are recent, even for a one-shot.
    assert!(
        problems(&flaky)
            .iter()
            .any(|p| p.starts_with("restarts ") && p.ends_with("/10m")),
        "{}",
        rows[&flaky]
    );
    // Existing fields are untouched.
    assert!(
        rows[&steady]["last_checkpoint"].is_object(),
        "{}",
        rows[&steady]
    );
}

#[test]
fn restarting_and_checkpointless_jobs_rise_on_flink_2() {
    on_real_flink(common::V2);
}

#[test]
fn restarting_and_checkpointless_jobs_rise_on_flink_1() {
    on_real_flink(common::V1);
}

/// The simulator at fleet scale: every poll stays within its budget, and once the vitals are in
/// (interval, plan, listing, metrics) the console lists every job with a problem above every
/// healthy one, worst first, with the simulator's planted reasons.
#[test]
fn problems_first_on_the_simulator_within_the_budget() {
    // A TestBackend buffer holds at most 65,535 cells: 360 rows at 160 columns.
    let (nclusters, njobs) = (3usize, 120usize);
    let sim = flink_sim::FlinkSim::start(nclusters, njobs);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = "[ui]\nrefresh = \"1s\"\n".to_string();
    for (i, url) in sim.urls().iter().enumerate() {
        text.push_str(&format!(
            "\n[[clusters]]\nname = \"sim-{i}\"\nurl = \"{url}\"\ntimeout = \"10s\"\n"
        ));
    }
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).expect("config");
    let config = Config::load(&path).expect("config");
    let handles = Clusters::from_config(&config).expect("clusters").all();
    let budget = 800;
    let opts = PollOptions {
        vitals: VitalsMode::Full,
        budget: Some(budget),
        concurrency: 8,
        ..PollOptions::default()
    };
    let mut all: Vec<(String, Vec<JobSummary>)> = Vec::new();
    for (c, h) in handles.iter().enumerate() {
        let mut cache = DetailCache::default();
        let mut last = Vec::new();
        for _ in 0..10 {
            let before = sim.requests(c).detail();
            let poll = common::rt().block_on(poll_cluster(h, opts, Some(&mut cache)));
            let spent = sim.requests(c).detail() - before;
            assert!(spent as usize <= budget, "{spent} requests in one poll");
            assert_eq!(spent as usize, poll.requests, "counted as spent");
            assert!(poll.partial.is_empty(), "{:?}", poll.partial);
            last = poll.jobs.expect("jobs");
        }
        // Every steadily running job's metrics arrived (one request per vertex, not per
        // metric). A flaky job (restarts > 0) may have come back to RUNNING in the last poll,
        // before its tasks report metrics (as on real Flink), so it is not required to have them.
        let running: Vec<&JobSummary> = last
            .iter()
            .filter(|j| j.state.as_str() == "RUNNING" && j.restarts == Some(0))
            .collect();
        assert!(
            !running.is_empty(),
            "steadily running jobs in the simulator"
        );
        for j in running {
            let v = j.vitals.as_ref().expect("vitals");
            assert!(v.metrics_at_ms.is_some(), "{j:?}");
        }
        // The interval and the plan once per job, however many polls.
        let active = last.iter().filter(|j| j.state.is_active()).count() as u64;
        let c = sim.requests(c);
        assert_eq!(
            c.endpoint("/jobs/:id/checkpoints/config"),
            active,
            "{:?}",
            c.by_endpoint
        );
        assert!(c.endpoint("/jobs/:id") <= active, "{:?}", c.by_endpoint);
        all.push((h.name().to_string(), last));
    }
    let now = flink_sim::now_ms();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    let mut app = console(&names, now);
    let height = (nclusters * njobs + 10) as u16;
    app.update(Msg::Resize(160, height));
    for (n, jobs) in &all {
        polled(&mut app, n, 1, jobs.clone(), now);
    }
    let screen = render(&app, 160, height);
    let scores: HashMap<String, u32> = all
        .iter()
        .flat_map(|(_, jobs)| jobs.iter())
        .map(|j| (j.name.clone(), assess(j, now).score))
        .collect();
    let job_names: Vec<String> = scores.keys().cloned().collect();
    let order = rows(&screen, &job_names);
    assert_eq!(
        order.len(),
        nclusters * njobs,
        "every row on screen:\n{}",
        screen.lines().take(8).collect::<Vec<_>>().join("\n")
    );
    let ranked: Vec<u32> = order.iter().map(|(n, _)| scores[n]).collect();
    assert!(
        ranked.windows(2).all(|w| w[0] >= w[1]),
        "highest score first: {ranked:?}"
    );
    let problems = ranked.iter().filter(|s| **s > 0).count();
    assert!(problems >= nclusters * 2 * 4, "{problems} problem rows");
    // The planted problems, each with its reason.
    let line_of = |c: usize, j: usize| -> &str {
        let name = format!("sim-{c}-job-{j:04}");
        order
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, l)| *l)
            .unwrap_or_else(|| panic!("{name} not shown"))
    };
    for c in 0..nclusters {
        assert!(line_of(c, 7).contains("bp 92%"), "{}", line_of(c, 7));
        assert!(line_of(c, 13).contains("lag 1.2M"), "{}", line_of(c, 13));
        assert!(line_of(c, 17).contains("ckpt 2"), "{}", line_of(c, 17));
        assert!(line_of(c, 23).contains("wm 10m"), "{}", line_of(c, 23));
        // A healthy job: no reason, its rates and sparklines.
        let healthy = line_of(c, 1);
        assert!(healthy.contains("6.0"), "{healthy}");
        assert!(healthy.contains('▁') || healthy.contains('█'), "{healthy}");
    }
}
