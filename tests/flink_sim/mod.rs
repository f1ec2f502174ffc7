//! A fleet of Flink REST look-alikes for scale tests and benches: `clusters` JobManagers on
//! loopback (plain HTTP, random ports), each with `jobs` jobs whose states and checkpoints move
//! with the wall clock.
//!
//! It serves **the JSON shapes of real Flink 2.3.0** — the bodies are built from the real answers
//! kept in `tests/fixtures/flink-2.3.0/` with ids, names, states, timestamps and counts replaced —
//! for what flinkdeck polls: `/overview`, `/config`, `/jobs/overview`, `/jobs/:id`,
//! `/jobs/:id/checkpoints`, `/jobs/:id/exceptions`, `/jobs/:id/metrics?get=...` and
//! `/jobs/metrics?get=...[&agg=...][&jobs=...]` (aggregated over the active jobs, or the listed
//! ones, as Flink's `JobsMetricsHandler` does). Any path may carry the `/v1` prefix. Anything else
//! answers 404 with Flink's `{"errors":["Not found: ..."]}`.
//!
//! The jobs of one cluster (index `j`):
//! - every 10th job (`j % 10 == 0`) is terminal from the start: FINISHED, CANCELED or FAILED in
//!   turn, with a fixed last checkpoint;
//! - every 50th job from 3 (`j % 50 == 3`) is *flaky*: it cycles RUNNING 15 s, RESTARTING 5 s
//!   (phase shifted per job), `numRestarts` counts the cycles and `last-modification` moves at
//!   each switch;
//! - the others run; every active job completes a checkpoint every 10 s (phase shifted per job),
//!   so `latest.completed` and `history` move; `history` keeps Flink's default 10 entries;
//! - a test can force a job's state with [`FlinkSim::set_state`] (its `last-modification` becomes
//!   now; a terminal state freezes its checkpoints).
//!
//! Every request is counted per cluster, per endpoint (`/jobs/:id/checkpoints` style) and per
//! job, see [`FlinkSim::requests`]; [`FlinkSim::reset_counts`] starts a new window.
//!
//! Vitals (health score and metric columns): `/jobs/:id/checkpoints/config` (the real 2.3.0
//! answer with the interval set to [`CHECKPOINT_INTERVAL_MS`]) and
//! `/jobs/:id/vertices/:vid/subtasks/metrics` on the two vertices of the real `/jobs/:id` plan
//! (source `Source: sequence -> tag`, sink `count-per-key -> Sink: stdout`): without `get` the
//! real metric list (plus `Source__sequence.pendingRecords` on lagging jobs' sources), with
//! `get=…&agg=…` one row per id with the asked aggregates, or `[]` when one asked id is
//! unknown to the vertex (as real Flink answers). Values: the source emits and
//! the sink receives `5 + j % 7` records/s, busy 20 ms/s, the sink's watermark is 2 s behind the
//! clock; by job index, `j % 50 == 7` is back-pressured (920 ms/s at the source),
//! `j % 50 == 13` has 1.2M pending records, `j % 50 == 17` stopped completing checkpoints 20
//! minutes before the sim started, `j % 50 == 23` has its watermark 10 minutes behind.
//!
//! What it does NOT simulate: task managers, logs, jars, savepoints, stop/cancel or any
//! other write (POST/PATCH answer 404), metrics other than `numRestarts` (an unknown metric
//! answers `[]`, as Flink does), failed checkpoints, HTTPS or authentication, latency (answers
//! are as fast as the machine; add none), and the metric fetcher's delay (metrics are exact).
//! Include it with `#[path = "flink_sim/mod.rs"] mod flink_sim;` (from `benches/`:
//! `#[path = "../tests/flink_sim/mod.rs"]`). It runs on its own tokio runtime (2 threads), so it
//! serves while a test blocks; dropping the [`FlinkSim`] stops it.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};

const JOB_TEMPLATE: &str = include_str!("../fixtures/flink-2.3.0/job_steady.json");
const CHECKPOINTS_TEMPLATE: &str = include_str!("../fixtures/flink-2.3.0/checkpoints_steady.json");
const EXCEPTIONS_TEMPLATE: &str = include_str!("../fixtures/flink-2.3.0/exceptions_flaky.json");
const OVERVIEW_TEMPLATE: &str = include_str!("../fixtures/flink-2.3.0/overview.json");
const CONFIG_TEMPLATE: &str = include_str!("../fixtures/flink-2.3.0/config.json");
const CHECKPOINT_CONFIG_TEMPLATE: &str =
    include_str!("../fixtures/flink-2.3.0/checkpoint_config.json");
const METRIC_LIST_TEMPLATE: &str =
    include_str!("../fixtures/flink-2.3.0/vertex_subtask_metrics_list.json");
/// The source vertex of `job_steady.json`'s plan (the other one is the sink).
pub const SOURCE_VERTEX: &str = "8e438e001276993a86ff80dcf02e0237";
/// Job kinds by `j % 50` (see the module doc).
pub const BACKPRESSURED: usize = 7;
pub const LAGGING: usize = 13;
pub const STALLED_CHECKPOINTS: usize = 17;
pub const WATERMARK_BEHIND: usize = 23;

/// Checkpoint interval of every active job.
pub const CHECKPOINT_INTERVAL_MS: i64 = 10_000;
/// A flaky job's cycle: RUNNING for `FLAKY_RUNNING_MS`, then RESTARTING for the rest.
pub const FLAKY_CYCLE_MS: i64 = 20_000;
pub const FLAKY_RUNNING_MS: i64 = 15_000;
/// Flink's default `web.checkpoints.history`.
const HISTORY: i64 = 10;

/// Request counts of one cluster since the last [`FlinkSim::reset_counts`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub total: u64,
    /// By endpoint pattern, e.g. `/jobs/overview`, `/jobs/:id/checkpoints`, `/jobs/metrics`.
    pub by_endpoint: BTreeMap<String, u64>,
    /// Per-job requests (`/jobs/:id...`) by job id.
    pub by_job: HashMap<String, u64>,
}

impl Counts {
    pub fn endpoint(&self, pattern: &str) -> u64 {
        self.by_endpoint.get(pattern).copied().unwrap_or(0)
    }
    pub fn job(&self, id: &str) -> u64 {
        self.by_job.get(id).copied().unwrap_or(0)
    }
    /// Everything but `/overview`, `/config` and `/jobs/overview`: the per-job detail spent.
    pub fn detail(&self) -> u64 {
        self.total
            - self.endpoint("/jobs/overview")
            - self.endpoint("/overview")
            - self.endpoint("/config")
    }
}

#[derive(Debug, Clone)]
struct Forced {
    state: &'static str,
    since: i64,
    restarts: u64,
}

struct Cluster {
    index: usize,
    jobs: usize,
    t0: i64,
    counts: Mutex<Counts>,
    forced: Mutex<HashMap<usize, Forced>>,
    templates: Arc<Templates>,
}

struct Templates {
    job: Value,
    checkpoints: Value,
    exceptions: Value,
    overview: Value,
    config: Value,
    checkpoint_config: Value,
    metric_list: Value,
}

/// The running fleet. Dropping it stops the servers.
pub struct FlinkSim {
    clusters: Vec<Arc<Cluster>>,
    urls: Vec<String>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for FlinkSim {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The id of job `job` of cluster `cluster` (32 hex digits, like Flink's).
pub fn job_id(cluster: usize, job: usize) -> String {
    format!("5153{:012x}{:016x}", cluster, job)
}

fn job_index(cluster: usize, id: &str) -> Option<usize> {
    if id.len() != 32 || !id.starts_with("5153") {
        return None;
    }
    let c = usize::from_str_radix(&id[4..16], 16).ok()?;
    let j = usize::from_str_radix(&id[16..], 16).ok()?;
    (c == cluster).then_some(j)
}

impl FlinkSim {
    /// Starts `clusters` JobManagers with `jobs` jobs each.
    pub fn start(clusters: usize, jobs: usize) -> FlinkSim {
        let parse = |s: &str| serde_json::from_str::<Value>(s).expect("fixture JSON");
        let templates = Arc::new(Templates {
            job: parse(JOB_TEMPLATE),
            checkpoints: parse(CHECKPOINTS_TEMPLATE),
            exceptions: parse(EXCEPTIONS_TEMPLATE),
            overview: parse(OVERVIEW_TEMPLATE),
            config: parse(CONFIG_TEMPLATE),
            checkpoint_config: parse(CHECKPOINT_CONFIG_TEMPLATE),
            metric_list: parse(METRIC_LIST_TEMPLATE),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("flink-sim")
            .enable_all()
            .build()
            .expect("flink_sim runtime");
        let t0 = now_ms();
        let mut all = Vec::new();
        let mut urls = Vec::new();
        for index in 0..clusters {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.set_nonblocking(true).expect("nonblocking");
            urls.push(format!(
                "http://127.0.0.1:{}",
                listener.local_addr().expect("addr").port()
            ));
            let cluster = Arc::new(Cluster {
                index,
                jobs,
                t0,
                counts: Mutex::new(Counts::default()),
                forced: Mutex::new(HashMap::new()),
                templates: templates.clone(),
            });
            runtime.spawn(serve(cluster.clone(), listener));
            all.push(cluster);
        }
        FlinkSim {
            clusters: all,
            urls,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:PORT` of each cluster, in order.
    pub fn urls(&self) -> Vec<String> {
        self.urls.clone()
    }

    pub fn job_id(&self, cluster: usize, job: usize) -> String {
        job_id(cluster, job)
    }

    /// Request counts of one cluster since the last reset.
    pub fn requests(&self, cluster: usize) -> Counts {
        lock(&self.clusters[cluster].counts).clone()
    }

    pub fn reset_counts(&self) {
        for c in &self.clusters {
            *lock(&c.counts) = Counts::default();
        }
    }

    /// Forces a job's state from now on (`"RESTARTING"`, `"FINISHED"`, ...): its
    /// `last-modification` becomes now and its `numRestarts` stays what it is (one more for
    /// `RESTARTING`), so a flaky job forced to `RUNNING` holds still.
    pub fn set_state(&self, cluster: usize, job: usize, state: &'static str) {
        let c = &self.clusters[cluster];
        let now = now_ms();
        let restarts = c.job(job, now).restarts + u64::from(state == "RESTARTING");
        lock(&c.forced).insert(
            job,
            Forced {
                state,
                since: now,
                restarts,
            },
        );
    }

    /// What the cluster says about one job now: (state, last-modification, numRestarts,
    /// latest completed checkpoint id).
    pub fn job_now(&self, cluster: usize, job: usize) -> (String, i64, u64, i64) {
        let j = self.clusters[cluster].job(job, now_ms());
        (j.state.to_string(), j.last_mod, j.restarts, j.last_cp)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One job at one instant.
struct JobNow {
    index: usize,
    id: String,
    name: String,
    state: &'static str,
    start: i64,
    end: Option<i64>,
    last_mod: i64,
    restarts: u64,
    /// Latest completed checkpoint id (0: none yet).
    last_cp: i64,
    /// Trigger time of checkpoint `last_cp`.
    last_cp_at: i64,
    /// When checkpoint 1 was triggered.
    first_cp_at: i64,
}

fn is_terminal(s: &str) -> bool {
    matches!(s, "FINISHED" | "CANCELED" | "FAILED")
}

impl Cluster {
    fn job(&self, j: usize, now: i64) -> JobNow {
        let start = self.t0 - 3_600_000 - (j as i64) * 1_000;
        let phase = (j as i64 * 37) % CHECKPOINT_INTERVAL_MS;
        let first_cp_at = start + phase + CHECKPOINT_INTERVAL_MS;
        let cps_until = |t: i64| ((t - first_cp_at) / CHECKPOINT_INTERVAL_MS + 1).max(0);
        let mut s = JobNow {
            index: j,
            id: job_id(self.index, j),
            name: format!("sim-{}-job-{j:04}", self.index),
            state: "RUNNING",
            start,
            end: None,
            last_mod: start + 200,
            restarts: 0,
            last_cp: 0,
            last_cp_at: 0,
            first_cp_at,
        };
        let mut frozen_at = None;
        if j.is_multiple_of(10) {
            s.state = ["FINISHED", "CANCELED", "FAILED"][(j / 10) % 3];
            let end = self.t0 - 600_000 - j as i64;
            (s.end, s.last_mod) = (Some(end), end);
            frozen_at = Some(end);
        } else if j % 50 == 3 {
            let p = (j as i64 * 997) % FLAKY_CYCLE_MS;
            let t = now - self.t0 + p;
            let cycles = t / FLAKY_CYCLE_MS;
            let within = t % FLAKY_CYCLE_MS;
            s.restarts = 3 + cycles as u64;
            if within < FLAKY_RUNNING_MS {
                s.state = "RUNNING";
                s.last_mod = now - within;
            } else {
                s.state = "RESTARTING";
                s.last_mod = now - (within - FLAKY_RUNNING_MS);
                s.restarts += 1;
            }
        }
        if let Some(f) = lock(&self.forced).get(&j) {
            s.state = f.state;
            s.last_mod = f.since;
            s.restarts = f.restarts;
            if is_terminal(f.state) {
                s.end = Some(f.since);
                frozen_at = Some(f.since);
            }
        }
        if j % 50 == STALLED_CHECKPOINTS && frozen_at.is_none() {
            frozen_at = Some(self.t0 - 1_200_000);
        }
        let until = frozen_at.unwrap_or(now);
        s.last_cp = cps_until(until);
        s.last_cp_at = first_cp_at + (s.last_cp - 1).max(0) * CHECKPOINT_INTERVAL_MS;
        s
    }

    fn overview_row(&self, j: &JobNow, now: i64) -> Value {
        let running = if j.state == "RUNNING" { 2 } else { 0 };
        let end = j.end.unwrap_or(-1);
        json!({
            "jid": j.id,
            "name": j.name,
            "jobType": "STREAMING",
            "schedulerType": "Default",
            "start-time": j.start,
            "end-time": end,
            "duration": j.end.unwrap_or(now) - j.start,
            "state": j.state,
            "last-modification": j.last_mod,
            "tasks": {
                "running": running,
                "canceling": 0,
                "canceled": if j.state == "CANCELED" { 2 } else { 0 },
                "total": 2,
                "created": 0,
                "scheduled": if j.state == "RESTARTING" { 2 } else { 0 },
                "deploying": 0,
                "reconciling": 0,
                "finished": if j.state == "FINISHED" { 2 } else { 0 },
                "initializing": 0,
                "failed": if j.state == "FAILED" { 2 } else { 0 }
            },
            "pending-operators": 0
        })
    }

    fn checkpoint_entry(&self, j: &JobNow, id: i64) -> Value {
        let mut e = self.templates.checkpoints["latest"]["completed"].clone();
        let trigger = j.first_cp_at + (id - 1) * CHECKPOINT_INTERVAL_MS;
        e["id"] = json!(id);
        e["trigger_timestamp"] = json!(trigger);
        e["latest_ack_timestamp"] = json!(trigger + 16);
        e["external_path"] = json!(format!("file:/sim/checkpoints/{}/chk-{id}", j.id));
        e
    }

    fn checkpoints(&self, j: &JobNow) -> Value {
        let mut v = self.templates.checkpoints.clone();
        let n = j.last_cp;
        v["counts"] =
            json!({"restored": 0, "total": n, "in_progress": 0, "completed": n, "failed": 0});
        v["latest"]["completed"] = if n > 0 {
            self.checkpoint_entry(j, n)
        } else {
            Value::Null
        };
        v["latest"]["savepoint"] = Value::Null;
        let history: Vec<Value> = (1.max(n - HISTORY + 1)..=n)
            .rev()
            .map(|id| self.checkpoint_entry(j, id))
            .collect();
        v["history"] = Value::Array(history);
        v
    }

    fn job_detail(&self, j: &JobNow, now: i64) -> Value {
        let mut v = self.templates.job.clone();
        v["jid"] = json!(j.id);
        v["name"] = json!(j.name);
        v["state"] = json!(j.state);
        v["start-time"] = json!(j.start);
        v["end-time"] = json!(j.end.unwrap_or(-1));
        v["duration"] = json!(j.end.unwrap_or(now) - j.start);
        v["now"] = json!(now);
        v["isStoppable"] = json!(false);
        if let Some(ts) = v["timestamps"].as_object_mut() {
            for (_, t) in ts.iter_mut() {
                *t = json!(0);
            }
            ts.insert("INITIALIZING".into(), json!(j.start));
            ts.insert("CREATED".into(), json!(j.start + 100));
            ts.insert("RUNNING".into(), json!(j.start + 200));
            ts.insert(j.state.into(), json!(j.last_mod));
        }
        v["plan"]["jid"] = json!(j.id);
        v["plan"]["name"] = json!(j.name);
        v
    }

    /// `/jobs/:id/vertices/:vid/subtasks/metrics[?get=…&agg=…]` (see the module doc).
    fn vertex_metrics(
        &self,
        j: &JobNow,
        vid: &str,
        query: &HashMap<String, String>,
        now: i64,
    ) -> Value {
        let source = vid == SOURCE_VERTEX;
        let kind = j.index % 50;
        let Some(get) = query.get("get") else {
            let mut list = self.templates.metric_list.clone();
            if let (true, Some(a)) = (source && kind == LAGGING, list.as_array_mut()) {
                a.push(json!({"id": "Source__sequence.pendingRecords"}));
            }
            return list;
        };
        let running = j.state == "RUNNING";
        let rate = if running {
            5.0 + (j.index % 7) as f64
        } else {
            0.0
        };
        let value = |id: &str| -> Option<f64> {
            Some(match id {
                "numRecordsOutPerSecond" if source => rate,
                "numRecordsInPerSecond" if !source => rate,
                "numRecordsOutPerSecond" | "numRecordsInPerSecond" => 0.0,
                "busyTimeMsPerSecond" => 20.0,
                "backPressuredTimeMsPerSecond" if source && kind == BACKPRESSURED => 920.0,
                "backPressuredTimeMsPerSecond" => 0.0,
                "currentInputWatermark" if !source => {
                    let behind = if kind == WATERMARK_BEHIND {
                        600_000
                    } else {
                        2_000
                    };
                    (now - behind) as f64
                }
                "Source__sequence.pendingRecords" if source && kind == LAGGING => 1_200_000.0,
                _ => return None,
            })
        };
        let aggs: Vec<String> = query
            .get("agg")
            .map(|a| a.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        // Like Flink: one unknown id empties the whole answer.
        if get.split(',').any(|id| value(id).is_none()) {
            return Value::Array(Vec::new());
        }
        let rows: Vec<Value> = get
            .split(',')
            .filter_map(|id| {
                let v = value(id)?;
                let mut row = json!({ "id": id });
                for a in &aggs {
                    if matches!(a.as_str(), "min" | "max" | "avg" | "sum") {
                        row[a.as_str()] = json!(v);
                    }
                }
                Some(row)
            })
            .collect();
        Value::Array(rows)
    }

    fn exceptions(&self, j: &JobNow) -> Value {
        let mut v = self.templates.exceptions.clone();
        let keep = (j.restarts as usize).min(
            v["exceptionHistory"]["entries"]
                .as_array()
                .map_or(0, |a| a.len()),
        );
        if let Some(a) = v["exceptionHistory"]["entries"].as_array_mut() {
            a.truncate(keep);
        }
        v
    }

    fn overview(&self, now: i64) -> Value {
        let mut v = self.templates.overview.clone();
        let (mut running, mut finished, mut cancelled, mut failed) = (0, 0, 0, 0);
        for j in 0..self.jobs {
            match self.job(j, now).state {
                "FINISHED" => finished += 1,
                "CANCELED" => cancelled += 1,
                "FAILED" => failed += 1,
                _ => running += 1,
            }
        }
        v["jobs-running"] = json!(running);
        v["jobs-finished"] = json!(finished);
        v["jobs-cancelled"] = json!(cancelled);
        v["jobs-failed"] = json!(failed);
        v["taskmanagers"] = json!(self.jobs.div_ceil(4).max(1));
        v["slots-total"] = json!(self.jobs.max(1) * 2);
        v["slots-available"] = json!(0);
        v
    }

    fn count(&self, endpoint: &str, job: Option<&str>) {
        let mut c = lock(&self.counts);
        c.total += 1;
        *c.by_endpoint.entry(endpoint.to_string()).or_default() += 1;
        if let Some(id) = job {
            *c.by_job.entry(id.to_string()).or_default() += 1;
        }
    }

    /// (status, body) for one GET.
    fn answer(&self, path: &str, query: &HashMap<String, String>) -> (StatusCode, Value) {
        let now = now_ms();
        let path = path.strip_prefix("/v1").unwrap_or(path);
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let not_found = |what: &str| {
            (
                StatusCode::NOT_FOUND,
                json!({"errors": [format!("Not found: {what}")]}),
            )
        };
        let metric_names = || -> Vec<String> {
            query
                .get("get")
                .map(|g| g.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        };
        match parts.as_slice() {
            ["overview"] => {
                self.count("/overview", None);
                (StatusCode::OK, self.overview(now))
            }
            ["config"] => {
                self.count("/config", None);
                (StatusCode::OK, self.templates.config.clone())
            }
            ["jobs", "overview"] => {
                self.count("/jobs/overview", None);
                let jobs: Vec<Value> = (0..self.jobs)
                    .map(|j| self.overview_row(&self.job(j, now), now))
                    .collect();
                (StatusCode::OK, json!({ "jobs": jobs }))
            }
            ["jobs", "metrics"] => {
                self.count("/jobs/metrics", None);
                let selected: Vec<JobNow> = match query.get("jobs") {
                    Some(list) => list
                        .split(',')
                        .filter_map(|id| job_index(self.index, id))
                        .filter(|&j| j < self.jobs)
                        .map(|j| self.job(j, now))
                        .collect(),
                    None => (0..self.jobs)
                        .map(|j| self.job(j, now))
                        .filter(|j| !is_terminal(j.state))
                        .collect(),
                };
                let aggs: Vec<String> = query
                    .get("agg")
                    .map(|a| a.split(',').map(str::to_string).collect())
                    .unwrap_or_else(|| {
                        ["min", "max", "avg", "sum", "skew"]
                            .map(String::from)
                            .to_vec()
                    });
                let mut out = Vec::new();
                for m in metric_names() {
                    if m != "numRestarts" || selected.is_empty() {
                        continue;
                    }
                    let vals: Vec<f64> = selected.iter().map(|j| j.restarts as f64).collect();
                    let sum: f64 = vals.iter().sum();
                    let mut row = serde_json::Map::new();
                    row.insert("id".into(), json!(m));
                    for a in &aggs {
                        let v = match a.as_str() {
                            "min" => vals.iter().cloned().fold(f64::INFINITY, f64::min),
                            "max" => vals.iter().cloned().fold(0.0, f64::max),
                            "avg" => sum / vals.len() as f64,
                            "sum" => sum,
                            "skew" => 0.0,
                            _ => continue,
                        };
                        row.insert(a.clone(), json!(v));
                    }
                    out.push(Value::Object(row));
                }
                (StatusCode::OK, Value::Array(out))
            }
            ["jobs", id, rest @ ..] => {
                let Some(j) = job_index(self.index, id).filter(|&j| j < self.jobs) else {
                    self.count("/jobs/:id (unknown)", None);
                    return not_found(&format!("Job {id} not found"));
                };
                let job = self.job(j, now);
                match rest {
                    [] => {
                        self.count("/jobs/:id", Some(id));
                        (StatusCode::OK, self.job_detail(&job, now))
                    }
                    ["checkpoints"] => {
                        self.count("/jobs/:id/checkpoints", Some(id));
                        (StatusCode::OK, self.checkpoints(&job))
                    }
                    ["checkpoints", "config"] => {
                        self.count("/jobs/:id/checkpoints/config", Some(id));
                        let mut v = self.templates.checkpoint_config.clone();
                        v["interval"] = json!(CHECKPOINT_INTERVAL_MS);
                        (StatusCode::OK, v)
                    }
                    ["vertices", vid, "subtasks", "metrics"] => {
                        self.count("/jobs/:id/vertices/:vid/subtasks/metrics", Some(id));
                        (StatusCode::OK, self.vertex_metrics(&job, vid, query, now))
                    }
                    ["exceptions"] => {
                        self.count("/jobs/:id/exceptions", Some(id));
                        (StatusCode::OK, self.exceptions(&job))
                    }
                    ["metrics"] => {
                        self.count("/jobs/:id/metrics", Some(id));
                        let rows: Vec<Value> = metric_names()
                            .into_iter()
                            .filter(|m| m == "numRestarts")
                            .map(|m| json!({"id": m, "value": job.restarts.to_string()}))
                            .collect();
                        (StatusCode::OK, Value::Array(rows))
                    }
                    _ => {
                        self.count("(other)", None);
                        not_found(path)
                    }
                }
            }
            _ => {
                self.count("(other)", None);
                not_found(path)
            }
        }
    }
}

fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    q.unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn serve(cluster: Arc<Cluster>, listener: std::net::TcpListener) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let cluster = cluster.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let cluster = cluster.clone();
                async move {
                    let (status, body) = if req.method() == hyper::Method::GET {
                        let q = parse_query(req.uri().query());
                        cluster.answer(req.uri().path(), &q)
                    } else {
                        cluster.count("(other)", None);
                        (
                            StatusCode::NOT_FOUND,
                            json!({"errors": ["Not found: the simulator only answers GET"]}),
                        )
                    };
                    let bytes = serde_json::to_vec(&body).unwrap_or_default();
                    let resp = Response::builder()
                        .status(status)
                        .header("content-type", "application/json; charset=UTF-8")
                        .body(Full::new(Bytes::from(bytes)))
                        .expect("response");
                    Ok::<_, Infallible>(resp)
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, svc)
                .await;
        });
    }
}
