//! Per-job vitals for the health score and the metric columns, kept between polls: the
//! checkpoint interval (fetched once per job), the plan's vertices (once per job id: a job's
//! vertices never change), the source vertices' backlog metric ids (listed once), then one
//! aggregated request per vertex per poll asking for every wanted metric at once; restart-count
//! samples over time (for "restarts in the last 10 minutes") and the last metric samples (for
//! the sparklines).
//!
//! Each poll does at most one step per job besides the interval, so its cost is known before
//! it is spent from the budget: the plan (1 request), then the listing (one per source
//! vertex), then the metrics (one per vertex) on every later poll.
//!
//! Records in/out of a job: the source vertices' `numRecordsOutPerSecond` (what enters the job)
//! and the sink vertices' `numRecordsInPerSecond` (what reaches its sinks); sources and sinks
//! are the plan's vertices without inputs and those that are nobody's input.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::job_health::{restarts_in_window, JobVitals, VitalSample, RESTART_WINDOW_MS};
use crate::domain::JobSummary;
use crate::flink::vitals::{is_backlog_metric, AggMetric, PlanVertex, TASK_METRICS};
use crate::flink::{FlinkClient, FlinkError};

/// How many metric samples are kept per job (the sparklines show the newest).
pub const HISTORY: usize = crate::domain::sparkline::SPARK_SAMPLES;
/// Samples closer together than this replace the newest one (so the history spans minutes
/// even at a short refresh).
pub const SAMPLE_SPACING_MS: i64 = 20_000;
/// Samples older than this are dropped (the span of a full history).
pub const HISTORY_WINDOW_MS: i64 = HISTORY as i64 * SAMPLE_SPACING_MS;

/// What a poll fetches for the health score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VitalsMode {
    /// Nothing beyond the job list and the detail.
    #[default]
    Off,
    /// The checkpoint interval (once per job) and restart samples: a one-shot command.
    Checkpoints,
    /// Also the plan and the metrics (the console's pollers).
    Full,
}

/// A one-shot command (`flinkdeck jobs`) asks for a job's checkpoint interval only when its last
/// completed checkpoint is older than this, or missing: every other job cannot be more than 3
/// intervals late unless its interval is under 5 s. It saves one request per healthy job.
pub const ASK_INTERVAL_AFTER_MS: i64 = 15_000;

/// Whether a job's checkpoints look late enough to ask for its interval (one-shot commands).
pub(crate) fn checkpoints_look_late(stats: &crate::domain::CheckpointStats, now_ms: i64) -> bool {
    match stats.latest_completed.as_ref().and_then(|c| c.completed_at) {
        Some(at) => now_ms - at > ASK_INTERVAL_AFTER_MS,
        None => true,
    }
}

/// The next metrics step of a job.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Plan,
    /// List the backlog metric ids of these source vertices.
    Listing(Vec<String>),
    /// Ask every vertex for its metrics.
    Metrics(Vec<(PlanVertex, Vec<String>)>),
}

/// What one job's vitals fetch brought back.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub interval: Option<Result<Option<i64>, FlinkError>>,
    pub plan: Option<Result<Vec<PlanVertex>, FlinkError>>,
    pub listing: Vec<(String, Result<Vec<String>, FlinkError>)>,
    pub metrics: Vec<(PlanVertex, Result<Vec<AggMetric>, FlinkError>)>,
}

impl Fetched {
    /// The requests made.
    pub fn requests(&self) -> usize {
        usize::from(self.interval.is_some())
            + usize::from(self.plan.is_some())
            + self.listing.len()
            + self.metrics.len()
    }
}

/// One job's vitals state. Small on purpose: a fleet's cache holds one per active job (10,000
/// at 10 × 1,000), in hash tables that keep up to twice as many slots.
#[derive(Debug, Default, Clone)]
pub(crate) struct JobEntry {
    /// `None`: not fetched yet; `Some(None)`: checkpointing off.
    interval: Option<Option<i64>>,
    /// The plan and its backlog metric ids, once fetched.
    plan: Option<Box<PlanState>>,
    restarts: Vec<(i64, u64)>,
    /// What the job lists show, shared with every list a poll sent: a change copies it only
    /// while a list still holds the old value (`Arc::make_mut`), an unchanged job costs a
    /// pointer per list.
    vitals: Arc<JobVitals>,
}

/// A job's plan (its vertices never change) and the backlog metric ids of its sources.
#[derive(Debug, Clone)]
struct PlanState {
    vertices: Vec<PlanVertex>,
    /// Backlog metric ids per source vertex, once listed.
    backlog: Option<HashMap<String, Vec<String>>>,
}

impl JobEntry {
    /// Whether the checkpoint interval is still to be asked.
    pub fn interval_unknown(&self) -> bool {
        self.interval.is_none()
    }

    /// The interval request (when not known yet) and the next metrics step (with `full`).
    pub fn plan_step(&self, full: bool) -> (bool, Option<Step>) {
        let interval = self.interval.is_none();
        if !full {
            return (interval, None);
        }
        let step = match self.plan.as_deref().map(|p| (&p.vertices, &p.backlog)) {
            None => Step::Plan,
            Some((plan, None)) => {
                let sources: Vec<String> = plan
                    .iter()
                    .filter(|v| v.source)
                    .map(|v| v.id.clone())
                    .collect();
                if sources.is_empty() {
                    Step::Metrics(with_ids(plan, &HashMap::new()))
                } else {
                    Step::Listing(sources)
                }
            }
            Some((plan, Some(backlog))) => Step::Metrics(with_ids(plan, backlog)),
        };
        (interval, Some(step))
    }

    /// Requests of `plan_step`.
    pub fn cost(step: &(bool, Option<Step>)) -> usize {
        usize::from(step.0)
            + match &step.1 {
                None => 0,
                Some(Step::Plan) => 1,
                Some(Step::Listing(v)) => v.len(),
                Some(Step::Metrics(v)) => v.len(),
            }
    }
}

fn with_ids(
    plan: &[PlanVertex],
    backlog: &HashMap<String, Vec<String>>,
) -> Vec<(PlanVertex, Vec<String>)> {
    plan.iter()
        .map(|v| {
            // Flink answers `[]` for the whole request when one asked id is unknown to the
            // vertex (2.3.0 and 1.20.5): sources have no `currentInputWatermark`.
            let mut ids: Vec<String> = TASK_METRICS
                .iter()
                .filter(|m| !(v.source && **m == "currentInputWatermark"))
                .map(|s| s.to_string())
                .collect();
            if let Some(b) = backlog.get(&v.id) {
                ids.extend(b.iter().cloned());
            }
            (v.clone(), ids)
        })
        .collect()
}

/// Runs one job's step, one request at a time: the job's checkpoints and restarts are already
/// in flight beside it, and every request more at once is another pooled connection keeping
/// its read buffer (at 10 clusters × 4 jobs at once, megabytes).
pub(crate) async fn fetch(
    client: &FlinkClient,
    job_id: &str,
    step: (bool, Option<Step>),
) -> Fetched {
    let mut f = Fetched {
        interval: None,
        plan: None,
        listing: Vec::new(),
        metrics: Vec::new(),
    };
    if step.0 {
        f.interval = Some(client.checkpoint_interval(job_id).await);
    }
    match step.1 {
        None => {}
        Some(Step::Plan) => f.plan = Some(client.job_plan(job_id).await),
        Some(Step::Listing(sources)) => {
            for s in sources {
                let r = client.backlog_metric_ids(job_id, &s).await;
                f.listing.push((s, r));
            }
        }
        Some(Step::Metrics(vertices)) => {
            for (v, ids) in vertices {
                let r = client.vertex_agg_metrics(job_id, &v.id, &ids).await;
                f.metrics.push((v, r));
            }
        }
    }
    f
}

/// Every job's vitals state, by job id.
#[derive(Debug, Default, Clone)]
pub(crate) struct VitalsCache {
    jobs: HashMap<String, JobEntry>,
}

impl VitalsCache {
    pub fn entry(&self, job_id: &str) -> Option<&JobEntry> {
        self.jobs.get(job_id)
    }

    /// Takes in what a fetch brought; failed requests go to `partial`.
    pub fn apply(&mut self, job_id: &str, f: Fetched, now_ms: i64, partial: &mut Vec<FlinkError>) {
        let e = self.jobs.entry(job_id.to_string()).or_default();
        match f.interval {
            Some(Ok(i)) => {
                e.interval = Some(i);
                let v = Arc::make_mut(&mut e.vitals);
                v.checkpoint_interval_ms = i;
                v.checkpointing_off = i.is_none();
            }
            Some(Err(err)) => partial.push(err),
            None => {}
        }
        match f.plan {
            Some(Ok(vertices)) => {
                e.plan = Some(Box::new(PlanState {
                    vertices,
                    backlog: None,
                }))
            }
            Some(Err(err)) => partial.push(err),
            None => {}
        }
        if !f.listing.is_empty() {
            let mut backlog = HashMap::new();
            for (v, r) in f.listing {
                match r {
                    Ok(ids) => {
                        backlog.insert(v, ids);
                    }
                    // A vertex whose listing failed asks for task metrics only.
                    Err(err) => partial.push(err),
                }
            }
            if let Some(plan) = e.plan.as_mut() {
                plan.backlog = Some(backlog);
            }
        }
        if !f.metrics.is_empty() {
            let mut got = Vec::new();
            for (v, r) in f.metrics {
                match r {
                    Ok(m) => got.push((v, m)),
                    Err(err) => partial.push(err),
                }
            }
            if !got.is_empty() {
                apply_metrics(Arc::make_mut(&mut e.vitals), &got, now_ms);
            }
        }
    }

    /// Records the checkpoint facts of a `/jobs/:id/checkpoints` answer.
    pub fn checkpoints(&mut self, job_id: &str, last_completed_at: Option<i64>, failed: u64) {
        let e = self.jobs.entry(job_id.to_string()).or_default();
        let last = last_completed_at.or(e.vitals.last_completed_at);
        if e.vitals.last_completed_at != last || e.vitals.checkpoints_failed != Some(failed) {
            let v = Arc::make_mut(&mut e.vitals);
            v.last_completed_at = last;
            v.checkpoints_failed = Some(failed);
        }
    }

    /// Samples the restart counts and gives every job listed its vitals.
    pub fn attach(&mut self, jobs: &mut [JobSummary], now_ms: i64) {
        for j in jobs.iter_mut() {
            if j.state.is_terminal() {
                continue;
            }
            if !self.jobs.contains_key(&j.id) {
                self.jobs.insert(j.id.clone(), JobEntry::default());
            }
            let Some(e) = self.jobs.get_mut(&j.id) else {
                continue;
            };
            if let Some(n) = j.restarts {
                // A sample when the count changes (it is constant in between), so a job keeps
                // one or two samples unless it restarts.
                if e.restarts.last().is_none_or(|&(_, last)| last != n) {
                    e.restarts.push((now_ms, n));
                }
                // Keep the window plus the newest sample before it (the baseline).
                let from = now_ms - RESTART_WINDOW_MS;
                let before = e.restarts.iter().filter(|(at, _)| *at <= from).count();
                if before > 1 {
                    e.restarts.drain(..before - 1);
                }
            }
            let restarts_10m = restarts_in_window(&e.restarts, j.start_time, now_ms);
            if e.vitals.restarts_10m != restarts_10m {
                Arc::make_mut(&mut e.vitals).restarts_10m = restarts_10m;
            }
            j.vitals = Some(Arc::clone(&e.vitals));
        }
    }

    /// Forgets jobs no longer listed.
    pub fn retain(&mut self, listed: &std::collections::HashSet<&str>) {
        self.jobs.retain(|id, _| listed.contains(id.as_str()));
    }
}

/// Folds one round of vertex metrics into a job's vitals and its history.
fn apply_metrics(v: &mut JobVitals, got: &[(PlanVertex, Vec<AggMetric>)], now_ms: i64) {
    let find = |m: &[AggMetric], id: &str| m.iter().find(|x| x.id == id).cloned();
    let sum_opt = |acc: Option<f64>, x: Option<f64>| match (acc, x) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    };
    let max_opt = |acc: Option<f64>, x: Option<f64>| match (acc, x) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let (mut rin, mut rout, mut bp, mut busy, mut wm, mut pending, mut lag) =
        (None, None, None, None, None::<f64>, None, None);
    for (vx, m) in got {
        let sum = |id: &str| find(m, id).and_then(|x| x.sum);
        let max = |id: &str| find(m, id).and_then(|x| x.max);
        if vx.source {
            rin = sum_opt(rin, sum("numRecordsOutPerSecond"));
        }
        if vx.sink {
            // A fully chained job (one vertex, source and sink): its source rate.
            let rate = if vx.source {
                sum("numRecordsOutPerSecond")
            } else {
                sum("numRecordsInPerSecond")
            };
            rout = sum_opt(rout, rate);
        }
        bp = max_opt(bp, max("backPressuredTimeMsPerSecond"));
        busy = max_opt(busy, max("busyTimeMsPerSecond"));
        // Long.MIN_VALUE (no watermark yet) and 0 are no watermark.
        if let Some(w) = find(m, "currentInputWatermark")
            .and_then(|x| x.min)
            .filter(|w| *w > 0.0 && *w < 9.0e15)
        {
            wm = Some(wm.map_or(w, |x: f64| x.min(w)));
        }
        for x in m.iter().filter(|x| is_backlog_metric(&x.id)) {
            if x.id.ends_with("records-lag-max") {
                lag = max_opt(lag, x.max);
            } else {
                pending = sum_opt(pending, x.sum);
            }
        }
    }
    let ratio = |ms: Option<f64>| ms.map(|m| (m / 1000.0).clamp(0.0, 1.0));
    v.records_in_per_sec = rin;
    v.records_out_per_sec = rout;
    v.backpressure = ratio(bp);
    v.busy = ratio(busy);
    v.watermark_ms = wm.map(|w| w as i64);
    v.pending_records = max_opt(pending, lag);
    v.metrics_at_ms = Some(now_ms);
    let nan = |x: Option<f64>| x.map_or(f32::NAN, |x| x as f32);
    let sample = VitalSample {
        at_ms: now_ms,
        records_in: nan(v.records_in_per_sec),
        records_out: nan(v.records_out_per_sec),
        backpressure: nan(v.backpressure),
        wm_lag_ms: nan(v.watermark_lag_ms(now_ms).map(|l| l as f64)),
        pending: nan(v.pending_records),
    };
    let history = Arc::make_mut(&mut v.history);
    match history.last_mut() {
        // Within the newest sample's slot: it takes the newest values (and keeps its time),
        // so the history spans minutes even at a short refresh.
        Some(last) if now_ms - last.at_ms < SAMPLE_SPACING_MS => {
            *last = VitalSample {
                at_ms: last.at_ms,
                ..sample
            }
        }
        _ => history.push(sample),
    }
    // The sparklines show the last minutes: older samples go (a job off screen gets its
    // metrics every few minutes, so it keeps its newest sample alone, and little memory).
    let oldest = now_ms - HISTORY_WINDOW_MS;
    let stale = history.iter().take_while(|s| s.at_ms < oldest).count();
    let extra = history.len().saturating_sub(HISTORY).max(stale);
    if extra > 0 {
        history.drain(..extra);
        if history.capacity() > 2 * history.len().max(1) {
            history.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(id: &str, min: f64, max: f64, sum: f64) -> AggMetric {
        AggMetric {
            id: id.into(),
            min: Some(min),
            max: Some(max),
            sum: Some(sum),
        }
    }

    fn vx(id: &str, source: bool, sink: bool) -> PlanVertex {
        PlanVertex {
            id: id.into(),
            source,
            sink,
        }
    }

    #[test]
    fn job_rates_come_from_sources_and_sinks() {
        let mut v = JobVitals::default();
        let got = vec![
            (
                vx("src", true, false),
                vec![
                    agg("numRecordsOutPerSecond", 1.0, 6.0, 10.0),
                    agg("numRecordsInPerSecond", 0.0, 0.0, 0.0),
                    agg("backPressuredTimeMsPerSecond", 0.0, 900.0, 900.0),
                    agg("Source__orders.pendingRecords", 10.0, 500.0, 700.0),
                ],
            ),
            (
                vx("sink", false, true),
                vec![
                    agg("numRecordsInPerSecond", 1.0, 2.0, 3.0),
                    agg("busyTimeMsPerSecond", 0.0, 970.0, 970.0),
                    agg("currentInputWatermark", 5_000.0, 9_000.0, 14_000.0),
                ],
            ),
        ];
        apply_metrics(&mut v, &got, 100_000);
        assert_eq!(v.records_in_per_sec, Some(10.0));
        assert_eq!(v.records_out_per_sec, Some(3.0));
        assert_eq!(v.backpressure, Some(0.9));
        assert_eq!(v.busy, Some(0.97));
        assert_eq!(v.watermark_ms, Some(5_000), "the minimum over subtasks");
        assert_eq!(v.pending_records, Some(700.0));
        assert_eq!(v.history.len(), 1);
    }

    /// One fully chained vertex reporting its rate.
    fn one_rate() -> Vec<(PlanVertex, Vec<AggMetric>)> {
        vec![(
            vx("a", true, true),
            vec![agg("numRecordsOutPerSecond", 1.0, 1.0, 1.0)],
        )]
    }

    #[test]
    fn history_keeps_spaced_samples() {
        let mut v = JobVitals::default();
        let got = one_rate();
        for i in 0..40 {
            apply_metrics(&mut v, &got, i * 5_000);
        }
        assert_eq!(
            v.history.len(),
            HISTORY,
            "full, and no more than a sparkline shows"
        );
        let spans = v
            .history
            .windows(2)
            .all(|w| w[1].at_ms - w[0].at_ms >= SAMPLE_SPACING_MS);
        assert!(spans);
        let first = v.history.first().map(|s| s.at_ms).unwrap_or(0);
        let last = v.history.last().map(|s| s.at_ms).unwrap_or(0);
        assert!(last - first >= 100_000, "spans minutes: {first}..{last}");
    }

    #[test]
    fn samples_older_than_the_window_go() {
        let mut v = JobVitals::default();
        let got = one_rate();
        for i in 0..4 {
            apply_metrics(&mut v, &got, i * SAMPLE_SPACING_MS);
        }
        assert_eq!(v.history.len(), 4);
        // A job looked at again minutes later: only the new sample is recent.
        let later = 3 * SAMPLE_SPACING_MS + HISTORY_WINDOW_MS + 1;
        apply_metrics(&mut v, &got, later);
        let at: Vec<i64> = v.history.iter().map(|s| s.at_ms).collect();
        assert_eq!(at, vec![later]);
        assert!(v.history.capacity() <= 2, "{}", v.history.capacity());
    }

    #[test]
    fn steps_go_plan_listing_metrics() {
        let mut e = JobEntry::default();
        let s = e.plan_step(true);
        assert_eq!(s, (true, Some(Step::Plan)));
        assert_eq!(JobEntry::cost(&s), 2);
        assert_eq!(e.plan_step(false), (true, None));
        e.interval = Some(Some(5_000));
        e.plan = Some(Box::new(PlanState {
            vertices: vec![vx("a", true, false), vx("b", false, true)],
            backlog: None,
        }));
        assert_eq!(e.plan_step(true).1, Some(Step::Listing(vec!["a".into()])));
        if let Some(p) = e.plan.as_mut() {
            p.backlog = Some(HashMap::from([(
                "a".to_string(),
                vec!["Source__x.pendingRecords".to_string()],
            )]));
        }
        let s = e.plan_step(true);
        assert_eq!(JobEntry::cost(&s), 2, "one request per vertex");
        let Some(Step::Metrics(m)) = s.1 else {
            panic!("metrics step expected: {s:?}")
        };
        assert!(m[0].1.contains(&"Source__x.pendingRecords".to_string()));
        assert!(!m[1].1.iter().any(|id| id.contains("pending")));
    }

    fn running(id: &str, restarts: u64) -> JobSummary {
        let mut j = JobSummary::test_job("c", id, id, crate::domain::JobState::Running, 1_000);
        j.restarts = Some(restarts);
        j
    }

    #[test]
    fn unchanged_vitals_are_shared_between_polls_and_a_change_makes_new_ones() {
        let mut cache = VitalsCache::default();
        let mut first = vec![running("a", 0)];
        cache.attach(&mut first, 10_000);
        let mut second = vec![running("a", 0)];
        cache.attach(&mut second, 20_000);
        let (a, b) = (
            first[0].vitals.clone().expect("vitals"),
            second[0].vitals.clone().expect("vitals"),
        );
        assert!(Arc::ptr_eq(&a, &b), "an unchanged job shares its vitals");
        let mut third = vec![running("a", 2)];
        cache.attach(&mut third, 30_000);
        let c = third[0].vitals.clone().expect("vitals");
        assert!(!Arc::ptr_eq(&b, &c), "new restarts make new vitals");
        assert_eq!(c.restarts_10m, Some(2));
        assert_eq!(b.restarts_10m, Some(0), "the earlier list keeps its value");
    }
}
