//! Alerts, the pure part: rule kinds and parameters, what one watch round observed, the
//! conditions the rules find in it, and the incident lifecycle (open, remind, close) the watcher
//! applies. No I/O: the watcher gathers observations and delivers messages.
//!
//! Subjects: a managed app is its own subject (`app:<name>`, whatever its job id), an unmanaged
//! job is `job:<cluster>/<job name>` (a resubmitted job with the same name is the same subject),
//! a cluster is `cluster:<name>`. Of several jobs of one subject the newest (by start time) is the
//! one judged, so a FAILED job that was resubmitted and runs again is no incident.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::glob::glob_match;

/// `when` of an alert rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The job failed (FAILED, not cancelled or finished).
    Failed,
    /// At least `restarts.count` restarts within `restarts.within`.
    Restarts,
    /// A RUNNING job completed no checkpoint for `no_checkpoint.for`.
    NoCheckpoint,
    /// `checkpoint_failures.count` checkpoints failed in a row.
    CheckpointFailures,
    /// The cluster does not answer.
    Unreachable,
    /// Backpressure at or above `backpressure.ratio` for `backpressure.for`.
    Backpressure,
    /// A managed app that should run has no job on its cluster (which answers).
    Lost,
}

impl AlertKind {
    pub const ALL: [AlertKind; 7] = [
        AlertKind::Failed,
        AlertKind::Restarts,
        AlertKind::NoCheckpoint,
        AlertKind::CheckpointFailures,
        AlertKind::Unreachable,
        AlertKind::Backpressure,
        AlertKind::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::Failed => "failed",
            AlertKind::Restarts => "restarts",
            AlertKind::NoCheckpoint => "no_checkpoint",
            AlertKind::CheckpointFailures => "checkpoint_failures",
            AlertKind::Unreachable => "unreachable",
            AlertKind::Backpressure => "backpressure",
            AlertKind::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `[[alerts.rules]]`: what to watch, where to send it, how often to remind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRule {
    pub name: String,
    pub when: AlertKind,
    /// App name globs (empty with `clusters` empty: everything).
    pub apps: Vec<String>,
    /// Cluster name globs.
    pub clusters: Vec<String>,
    /// Channel names (checked against `[[alerts.channels]]` when the config loads).
    pub channels: Vec<String>,
    pub restarts_count: u32,
    pub restarts_within_ms: i64,
    pub no_checkpoint_for_ms: i64,
    pub checkpoint_failures_count: u32,
    pub backpressure_ratio: f64,
    pub backpressure_for_ms: i64,
    /// Reminder interval while the incident lasts (none: one message, then the recovery).
    pub repeat_ms: Option<i64>,
}

/// Defaults of the rule parameters.
pub const DEFAULT_RESTARTS_COUNT: u32 = 3;
pub const DEFAULT_RESTARTS_WITHIN_MS: i64 = 10 * 60_000;
pub const DEFAULT_NO_CHECKPOINT_FOR_MS: i64 = 10 * 60_000;
pub const DEFAULT_CHECKPOINT_FAILURES_COUNT: u32 = 3;
pub const DEFAULT_BACKPRESSURE_RATIO: f64 = 0.8;
pub const DEFAULT_BACKPRESSURE_FOR_MS: i64 = 5 * 60_000;

impl AlertRule {
    /// A rule of `when` with default parameters, for everything, without channels.
    pub fn new(name: &str, when: AlertKind) -> AlertRule {
        AlertRule {
            name: name.to_string(),
            when,
            apps: Vec::new(),
            clusters: Vec::new(),
            channels: Vec::new(),
            restarts_count: DEFAULT_RESTARTS_COUNT,
            restarts_within_ms: DEFAULT_RESTARTS_WITHIN_MS,
            no_checkpoint_for_ms: DEFAULT_NO_CHECKPOINT_FOR_MS,
            checkpoint_failures_count: DEFAULT_CHECKPOINT_FAILURES_COUNT,
            backpressure_ratio: DEFAULT_BACKPRESSURE_RATIO,
            backpressure_for_ms: DEFAULT_BACKPRESSURE_FOR_MS,
            repeat_ms: None,
        }
    }

    /// Whether the rule covers a subject on `cluster` (of managed app `app`, if any). With
    /// `apps` set, unmanaged jobs are not covered; with `clusters` set, the cluster must match;
    /// with both empty, everything is.
    pub fn covers(&self, cluster: &str, app: Option<&str>) -> bool {
        let app_ok =
            self.apps.is_empty() || app.is_some_and(|a| self.apps.iter().any(|g| glob_match(g, a)));
        let cluster_ok =
            self.clusters.is_empty() || self.clusters.iter().any(|g| glob_match(g, cluster));
        app_ok && cluster_ok
    }
}

/// What one round saw of one job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobObservation {
    pub cluster: String,
    pub job_id: String,
    pub job_name: String,
    /// The managed app whose job this is.
    pub app: Option<String>,
    /// Flink's job state (`RUNNING`, `FAILED`, ...).
    pub state: String,
    /// Epoch ms.
    pub start_time: i64,
    /// When the job's failures happened (epoch ms; Flink's exception history): each one is a
    /// restart, or the end of a job that failed.
    pub failure_times: Vec<i64>,
    /// The newest root exception's first line.
    pub root_exception: Option<String>,
    /// The newest completed checkpoint's completion (epoch ms).
    pub last_checkpoint: Option<i64>,
    /// Checkpoints failed since the newest completed one.
    pub checkpoint_failures: u32,
    pub checkpoint_failure_cause: Option<String>,
    /// Whether checkpointing is on for the job (false: `no_checkpoint` does not apply).
    pub checkpointing: bool,
    /// The highest backpressure ratio of the job's tasks (0..1), when known.
    pub backpressure: Option<f64>,
}

impl JobObservation {
    pub fn subject(&self) -> String {
        match &self.app {
            Some(a) => format!("app:{a}"),
            None => format!("job:{}/{}", self.cluster, self.job_name),
        }
    }
}

/// What one round saw of one cluster: `error` when it did not answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterObservation {
    pub name: String,
    pub error: Option<String>,
}

/// A managed app that should run and has no job on its cluster (which answered).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LostApp {
    pub app: String,
    pub cluster: String,
    /// The job it ran last.
    pub job_id: Option<String>,
}

/// Everything one round observed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Observation {
    pub clusters: Vec<ClusterObservation>,
    pub jobs: Vec<JobObservation>,
    pub lost: Vec<LostApp>,
}

/// A rule that holds for a subject now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub rule: String,
    pub kind: AlertKind,
    pub subject: String,
    pub cluster: String,
    pub app: Option<String>,
    pub job_id: Option<String>,
    pub state: Option<String>,
    /// Why, in one line (root exception, checkpoint failure cause, cluster error, ...).
    pub reason: String,
    /// Since when it holds, as far as the round can tell (epoch ms).
    pub since: i64,
}

/// Memory across rounds that observations alone do not carry: since when a job's backpressure
/// is high. Kept by the watcher; a restarted watcher starts over (backpressure must then last
/// `for` again before it alerts).
#[derive(Debug, Default)]
pub struct Evaluator {
    high_backpressure_since: HashMap<String, i64>,
}

impl Evaluator {
    /// The conditions `rules` find in `obs` at `now`.
    pub fn evaluate(&mut self, rules: &[AlertRule], obs: &Observation, now: i64) -> Vec<Condition> {
        let mut out = Vec::new();
        // The newest job per subject.
        let mut newest: BTreeMap<String, &JobObservation> = BTreeMap::new();
        for j in &obs.jobs {
            let s = j.subject();
            match newest.get(&s) {
                Some(o) if o.start_time >= j.start_time => {}
                _ => {
                    newest.insert(s, j);
                }
            }
        }
        let mut seen_bp = Vec::new();
        for (subject, j) in &newest {
            let bp_high_since = match j.backpressure {
                Some(b) if j.state == "RUNNING" => {
                    let min_ratio = rules
                        .iter()
                        .filter(|r| r.when == AlertKind::Backpressure)
                        .map(|r| r.backpressure_ratio)
                        .fold(f64::INFINITY, f64::min);
                    if b >= min_ratio {
                        seen_bp.push(subject.clone());
                        Some(
                            *self
                                .high_backpressure_since
                                .entry(subject.clone())
                                .or_insert(now),
                        )
                    } else {
                        None
                    }
                }
                _ => None,
            };
            for r in rules
                .iter()
                .filter(|r| r.covers(&j.cluster, j.app.as_deref()))
            {
                if let Some((reason, since)) = job_condition(r, j, now, bp_high_since) {
                    out.push(Condition {
                        rule: r.name.clone(),
                        kind: r.when,
                        subject: subject.clone(),
                        cluster: j.cluster.clone(),
                        app: j.app.clone(),
                        job_id: Some(j.job_id.clone()),
                        state: Some(j.state.clone()),
                        reason,
                        since,
                    });
                }
            }
        }
        self.high_backpressure_since
            .retain(|s, _| seen_bp.contains(s));
        for c in &obs.clusters {
            let Some(err) = &c.error else { continue };
            for r in rules
                .iter()
                .filter(|r| r.when == AlertKind::Unreachable && r.covers(&c.name, None))
            {
                out.push(Condition {
                    rule: r.name.clone(),
                    kind: r.when,
                    subject: format!("cluster:{}", c.name),
                    cluster: c.name.clone(),
                    app: None,
                    job_id: None,
                    state: None,
                    reason: err.clone(),
                    since: now,
                });
            }
        }
        for l in &obs.lost {
            for r in rules
                .iter()
                .filter(|r| r.when == AlertKind::Lost && r.covers(&l.cluster, Some(&l.app)))
            {
                out.push(Condition {
                    rule: r.name.clone(),
                    kind: r.when,
                    subject: format!("app:{}", l.app),
                    cluster: l.cluster.clone(),
                    app: Some(l.app.clone()),
                    job_id: l.job_id.clone(),
                    state: None,
                    reason: match &l.job_id {
                        Some(j) => format!("job {j} is no longer on cluster {}", l.cluster),
                        None => format!("no job of the app on cluster {}", l.cluster),
                    },
                    since: now,
                });
            }
        }
        out
    }
}

/// Whether job rule `r` holds for `j`: the reason and since when.
fn job_condition(
    r: &AlertRule,
    j: &JobObservation,
    now: i64,
    bp_high_since: Option<i64>,
) -> Option<(String, i64)> {
    let running = j.state == "RUNNING";
    match r.when {
        AlertKind::Failed => (j.state == "FAILED").then(|| {
            let since = j.failure_times.iter().copied().max().unwrap_or(now);
            (
                j.root_exception
                    .clone()
                    .unwrap_or_else(|| "the job failed (no exception recorded)".into()),
                since,
            )
        }),
        AlertKind::Restarts => {
            let from = now - r.restarts_within_ms;
            let recent: Vec<i64> = j
                .failure_times
                .iter()
                .copied()
                .filter(|t| *t >= from)
                .collect();
            let n = u32::try_from(recent.len()).unwrap_or(u32::MAX);
            (n >= r.restarts_count && j.state != "FAILED").then(|| {
                (
                    format!(
                        "{n} restarts in the last {}{}",
                        fmt_ms(r.restarts_within_ms),
                        j.root_exception
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    ),
                    recent.iter().copied().min().unwrap_or(now),
                )
            })
        }
        AlertKind::NoCheckpoint => {
            if !running || !j.checkpointing {
                return None;
            }
            let last = j.last_checkpoint.unwrap_or(j.start_time).max(j.start_time);
            (now - last >= r.no_checkpoint_for_ms).then(|| {
                let what = match j.last_checkpoint {
                    Some(t) if t > j.start_time => {
                        format!("no checkpoint completed for {}", fmt_ms(now - last))
                    }
                    _ => format!(
                        "no checkpoint completed since the start {} ago",
                        fmt_ms(now - last)
                    ),
                };
                let cause = j
                    .checkpoint_failure_cause
                    .as_deref()
                    .map(|c| format!(" (last failure: {c})"))
                    .unwrap_or_default();
                (format!("{what}{cause}"), last)
            })
        }
        AlertKind::CheckpointFailures => (j.checkpoint_failures >= r.checkpoint_failures_count
            && j.checkpoint_failures > 0)
            .then(|| {
                (
                    format!(
                        "{} checkpoints failed in a row{}",
                        j.checkpoint_failures,
                        j.checkpoint_failure_cause
                            .as_deref()
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default()
                    ),
                    j.last_checkpoint.unwrap_or(now),
                )
            }),
        AlertKind::Backpressure => {
            let since = bp_high_since?;
            let ratio = j.backpressure?;
            (running && ratio >= r.backpressure_ratio && now - since >= r.backpressure_for_ms).then(
                || {
                    (
                        format!(
                            "backpressure {:.0}% for {}",
                            ratio * 100.0,
                            fmt_ms(now - since)
                        ),
                        since,
                    )
                },
            )
        }
        AlertKind::Unreachable | AlertKind::Lost => None,
    }
}

/// `90s`, `10m`, `2h5m`: short durations for messages.
pub fn fmt_ms(ms: i64) -> String {
    let s = (ms.max(0) + 500) / 1000;
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// An open incident as the watcher keeps it (in the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenIncident {
    pub id: i64,
    pub rule: String,
    pub subject: String,
    pub cluster: String,
    pub opened_at: i64,
    /// When the last message (the first one or a reminder) went out.
    pub last_notified_at: i64,
    /// Muted until then (epoch ms): no reminders.
    pub muted_until: Option<i64>,
    /// Acknowledged: no reminders; the recovery is still sent.
    pub acknowledged: bool,
}

/// An incident as `flinkdeck alerts --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub id: i64,
    pub rule: String,
    pub kind: AlertKind,
    pub subject: String,
    pub cluster: String,
    pub app: Option<String>,
    pub job_id: Option<String>,
    pub state: Option<String>,
    pub reason: String,
    /// When the condition started (epoch ms).
    pub since: i64,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub last_notified_at: i64,
    pub muted_until: Option<i64>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    #[serde(default)]
    pub deliveries: Vec<DeliveryRecord>,
}

impl IncidentRecord {
    /// The open-incident view the lifecycle works with.
    pub fn as_open(&self) -> OpenIncident {
        OpenIncident {
            id: self.id,
            rule: self.rule.clone(),
            subject: self.subject.clone(),
            cluster: self.cluster.clone(),
            opened_at: self.opened_at,
            last_notified_at: self.last_notified_at,
            muted_until: self.muted_until,
            acknowledged: self.acknowledged_by.is_some(),
        }
    }
}

/// One attempt to deliver one message of an incident to one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub incident: Option<i64>,
    pub channel: String,
    /// opened | reminder | resolved | test
    pub event: String,
    /// 1 for the first try.
    pub attempt: u32,
    pub at: i64,
    pub ok: bool,
    /// What the service answered, or why it failed.
    pub result: String,
}

/// What the watcher does with its incidents after a round.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    /// A new incident: send it.
    Open(Condition),
    /// Still open and due for a reminder.
    Remind { id: i64, condition: Condition },
    /// No longer holds: close it and send the recovery.
    Close { id: i64 },
}

/// Compares the open incidents with this round's conditions. Incidents on a cluster that did
/// not answer this round stay as they are (nothing is known about their subjects), except the
/// cluster's own `unreachable` incidents. Incidents of rules no longer configured close.
pub fn reconcile(
    rules: &[AlertRule],
    open: &[OpenIncident],
    conditions: &[Condition],
    unreachable: &[String],
    now: i64,
) -> Vec<Transition> {
    let mut out = Vec::new();
    let key = |rule: &str, subject: &str| (rule.to_string(), subject.to_string());
    let open_by: HashMap<(String, String), &OpenIncident> =
        open.iter().map(|i| (key(&i.rule, &i.subject), i)).collect();
    let mut held = std::collections::HashSet::new();
    for c in conditions {
        let k = key(&c.rule, &c.subject);
        if !held.insert(k.clone()) {
            continue;
        }
        match open_by.get(&k) {
            None => out.push(Transition::Open(c.clone())),
            Some(i) => {
                let repeat = rules
                    .iter()
                    .find(|r| r.name == c.rule)
                    .and_then(|r| r.repeat_ms);
                let quiet = i.acknowledged || i.muted_until.is_some_and(|m| m > now);
                if let Some(rep) = repeat {
                    if !quiet && now - i.last_notified_at >= rep {
                        out.push(Transition::Remind {
                            id: i.id,
                            condition: c.clone(),
                        });
                    }
                }
            }
        }
    }
    for i in open {
        if held.contains(&key(&i.rule, &i.subject)) {
            continue;
        }
        let rule_kind = rules.iter().find(|r| r.name == i.rule).map(|r| r.when);
        let unknown = unreachable.contains(&i.cluster) && rule_kind != Some(AlertKind::Unreachable);
        if rule_kind.is_some() && unknown {
            continue;
        }
        out.push(Transition::Close { id: i.id });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn job(app: Option<&str>, state: &str, start: i64) -> JobObservation {
        JobObservation {
            cluster: "prod-1".into(),
            job_id: format!("j{start}"),
            job_name: "orders".into(),
            app: app.map(str::to_string),
            state: state.into(),
            start_time: start,
            checkpointing: true,
            ..JobObservation::default()
        }
    }

    fn obs(jobs: Vec<JobObservation>) -> Observation {
        Observation {
            clusters: vec![ClusterObservation {
                name: "prod-1".into(),
                error: None,
            }],
            jobs,
            lost: Vec::new(),
        }
    }

    #[test]
    fn rule_scope_by_app_and_cluster_globs() {
        let mut r = AlertRule::new("r", AlertKind::Failed);
        assert!(r.covers("prod-1", None));
        r.apps = vec!["orders-*".into()];
        assert!(r.covers("x", Some("orders-agg")));
        assert!(!r.covers("x", Some("billing")));
        assert!(!r.covers("x", None), "app globs leave unmanaged jobs out");
        r.apps.clear();
        r.clusters = vec!["prod-*".into()];
        assert!(r.covers("prod-1", None));
        assert!(!r.covers("staging", Some("orders-agg")));
    }

    #[test]
    fn failed_judges_the_newest_job_of_a_subject() {
        let rules = [AlertRule::new("f", AlertKind::Failed)];
        let mut e = Evaluator::default();
        let mut failed = job(Some("orders"), "FAILED", 100);
        failed.root_exception = Some("java.lang.RuntimeException: boom".into());
        failed.failure_times = vec![150];
        let c = e.evaluate(&rules, &obs(vec![failed.clone()]), 1000);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].subject, "app:orders");
        assert_eq!(c[0].reason, "java.lang.RuntimeException: boom");
        assert_eq!(c[0].since, 150);
        // Restarted: the newer RUNNING job wins.
        let c = e.evaluate(
            &rules,
            &obs(vec![failed, job(Some("orders"), "RUNNING", 200)]),
            1000,
        );
        assert!(c.is_empty(), "{c:?}");
        // CANCELED is no failure.
        let c = e.evaluate(&rules, &obs(vec![job(None, "CANCELED", 1)]), 1000);
        assert!(c.is_empty());
    }

    #[test]
    fn restarts_count_failures_within_the_window() {
        let mut r = AlertRule::new("r", AlertKind::Restarts);
        r.restarts_count = 3;
        r.restarts_within_ms = 10 * MIN;
        let now = 100 * MIN;
        let mut j = job(None, "RUNNING", 0);
        j.failure_times = vec![now - 11 * MIN, now - 9 * MIN, now - 5 * MIN];
        let mut e = Evaluator::default();
        assert!(e
            .evaluate(std::slice::from_ref(&r), &obs(vec![j.clone()]), now)
            .is_empty());
        j.failure_times.push(now - MIN);
        let c = e.evaluate(&[r], &obs(vec![j]), now);
        assert_eq!(c.len(), 1);
        assert!(
            c[0].reason.starts_with("3 restarts in the last 10m"),
            "{}",
            c[0].reason
        );
        assert_eq!(c[0].subject, "job:prod-1/orders");
    }

    #[test]
    fn no_checkpoint_counts_from_the_start_or_the_last_checkpoint() {
        let r = AlertRule::new("n", AlertKind::NoCheckpoint);
        let mut e = Evaluator::default();
        let now = 100 * MIN;
        let mut j = job(None, "RUNNING", now - 5 * MIN);
        assert!(e
            .evaluate(std::slice::from_ref(&r), &obs(vec![j.clone()]), now)
            .is_empty());
        j.start_time = now - 30 * MIN;
        j.last_checkpoint = Some(now - 12 * MIN);
        j.checkpoint_failure_cause = Some("Checkpoint expired before completing.".into());
        let c = e.evaluate(std::slice::from_ref(&r), &obs(vec![j.clone()]), now);
        assert_eq!(c.len(), 1);
        assert_eq!(
            c[0].reason,
            "no checkpoint completed for 12m (last failure: Checkpoint expired before completing.)"
        );
        j.checkpointing = false;
        assert!(e.evaluate(&[r], &obs(vec![j]), now).is_empty());
    }

    #[test]
    fn backpressure_must_last() {
        let mut r = AlertRule::new("b", AlertKind::Backpressure);
        r.backpressure_ratio = 0.8;
        r.backpressure_for_ms = 5 * MIN;
        let mut e = Evaluator::default();
        let mut j = job(None, "RUNNING", 0);
        j.backpressure = Some(0.92);
        assert!(e
            .evaluate(std::slice::from_ref(&r), &obs(vec![j.clone()]), 10 * MIN)
            .is_empty());
        let c = e.evaluate(std::slice::from_ref(&r), &obs(vec![j.clone()]), 15 * MIN);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].reason, "backpressure 92% for 5m");
        // A dip resets it.
        j.backpressure = Some(0.1);
        assert!(e
            .evaluate(std::slice::from_ref(&r), &obs(vec![j.clone()]), 16 * MIN)
            .is_empty());
        j.backpressure = Some(0.95);
        assert!(e.evaluate(&[r], &obs(vec![j]), 17 * MIN).is_empty());
    }

    #[test]
    fn unreachable_and_lost() {
        let rules = [
            AlertRule::new("u", AlertKind::Unreachable),
            AlertRule::new("l", AlertKind::Lost),
        ];
        let o = Observation {
            clusters: vec![ClusterObservation {
                name: "prod-2".into(),
                error: Some("connection refused".into()),
            }],
            jobs: Vec::new(),
            lost: vec![LostApp {
                app: "orders".into(),
                cluster: "prod-1".into(),
                job_id: Some("abc".into()),
            }],
        };
        let c = Evaluator::default().evaluate(&rules, &o, 5);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].subject, "cluster:prod-2");
        assert_eq!(c[0].reason, "connection refused");
        assert_eq!(c[1].subject, "app:orders");
        assert_eq!(c[1].reason, "job abc is no longer on cluster prod-1");
    }

    fn cond(rule: &str, subject: &str, cluster: &str) -> Condition {
        Condition {
            rule: rule.into(),
            kind: AlertKind::Failed,
            subject: subject.into(),
            cluster: cluster.into(),
            app: None,
            job_id: None,
            state: None,
            reason: "x".into(),
            since: 0,
        }
    }

    fn incident(id: i64, rule: &str, subject: &str, cluster: &str, last: i64) -> OpenIncident {
        OpenIncident {
            id,
            rule: rule.into(),
            subject: subject.into(),
            cluster: cluster.into(),
            opened_at: 0,
            last_notified_at: last,
            muted_until: None,
            acknowledged: false,
        }
    }

    #[test]
    fn incidents_open_remind_close_and_survive_unknown_clusters() {
        let mut f = AlertRule::new("f", AlertKind::Failed);
        f.repeat_ms = Some(30 * MIN);
        let u = AlertRule::new("u", AlertKind::Unreachable);
        let rules = [f, u];
        // New.
        let t = reconcile(&rules, &[], &[cond("f", "app:a", "c1")], &[], 0);
        assert_eq!(t, vec![Transition::Open(cond("f", "app:a", "c1"))]);
        // Still open, not yet due; then due.
        let open = [incident(7, "f", "app:a", "c1", 0)];
        assert!(reconcile(&rules, &open, &[cond("f", "app:a", "c1")], &[], 29 * MIN).is_empty());
        let t = reconcile(&rules, &open, &[cond("f", "app:a", "c1")], &[], 30 * MIN);
        assert!(
            matches!(t.as_slice(), [Transition::Remind { id: 7, .. }]),
            "{t:?}"
        );
        // Muted or acknowledged: no reminder.
        let mut muted = open.clone();
        muted[0].muted_until = Some(90 * MIN);
        assert!(reconcile(&rules, &muted, &[cond("f", "app:a", "c1")], &[], 60 * MIN).is_empty());
        let mut acked = open.clone();
        acked[0].acknowledged = true;
        assert!(reconcile(&rules, &acked, &[cond("f", "app:a", "c1")], &[], 60 * MIN).is_empty());
        // Cleared: closed.
        assert_eq!(
            reconcile(&rules, &open, &[], &[], MIN),
            vec![Transition::Close { id: 7 }]
        );
        // Its cluster did not answer: unknown, stays open; the cluster's own incident closes
        // when it answers again.
        assert!(reconcile(&rules, &open, &[], &["c1".into()], MIN).is_empty());
        let down = [incident(8, "u", "cluster:c1", "c1", 0)];
        assert_eq!(
            reconcile(&rules, &down, &[], &[], MIN),
            vec![Transition::Close { id: 8 }]
        );
        // A rule removed from the config closes its incidents.
        let gone = [incident(9, "old", "app:a", "c1", 0)];
        assert_eq!(
            reconcile(&rules, &gone, &[], &["c1".into()], MIN),
            vec![Transition::Close { id: 9 }]
        );
    }

    #[test]
    fn short_durations() {
        assert_eq!(fmt_ms(90_000), "1m30s");
        assert_eq!(fmt_ms(600_000), "10m");
        assert_eq!(fmt_ms(45_000), "45s");
        assert_eq!(fmt_ms(7_500_000), "2h5m");
    }
}
