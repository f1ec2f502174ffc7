//! The TUI's workers: one poller task per cluster and a dispatcher for on-demand loads. They talk
//! to the UI only through bounded channels and stamp every reply.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify, Semaphore};
use tracing::{debug, warn};

use super::loaders;
use super::poll::{poll_cluster, DetailCache, PollOptions};
use super::to_failure;
use crate::backend::{ClusterHandle, Clusters};
use crate::domain::health_rules::HealthTracker;
use crate::domain::time::now_ms;
use crate::domain::ActionOutcome;
use crate::domain::{WorkerReply, WorkerRequest};
use crate::store::{PollRound, Store, StoreHandle};

use super::ops::{
    add_operator_apps, reconcile_runs, restore_points, resume_journal, run_action,
    stored_app_summaries, OpsContext,
};

/// Every this many refreshes, the journal and open runs are settled against the clusters.
const RESUME_EVERY: u32 = 5;

/// Publishes the managed apps (and which job belongs to which) every refresh, and settles the
/// journal now and then.
async fn run_apps_publisher(
    ops: OpsContext,
    refresh: Duration,
    replies: mpsc::Sender<WorkerReply>,
) {
    let mut round: u32 = 0;
    loop {
        if round.is_multiple_of(RESUME_EVERY) {
            resume_journal(&ops).await;
            reconcile_runs(&ops).await;
        }
        round = round.wrapping_add(1);
        let loaded = ops
            .store
            .call(|s: &mut Store| {
                let apps = stored_app_summaries(s)?
                    .into_iter()
                    .map(|(a, _)| a)
                    .collect();
                Ok((apps, s.job_apps()?))
            })
            .await;
        match loaded {
            Ok((mut apps, mut job_apps)) => {
                job_apps.extend(add_operator_apps(&ops, &mut apps).await);
                if let Some(reply) = super::job_tags::load(&ops.store).await {
                    if replies.send(reply).await.is_err() {
                        return;
                    }
                }
                if replies
                    .send(WorkerReply::AppsLoaded { apps, job_apps })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => warn!(error = %e, "cannot read the managed apps"),
        }
        tokio::time::sleep(refresh).await;
    }
}

/// Per-job requests a poller runs at once: a refresh spends about 20 per cluster, so 4 finish
/// them in a few round trips, and each cluster's pool keeps 4 connections (with their buffers)
/// instead of 16.
const POLLER_CONCURRENCY: usize = 4;

/// Capacity of the request and reply channels.
const CHANNEL_CAPACITY: usize = 256;
/// How many on-demand loads run at once.
const MAX_LOADS: usize = 8;

/// The UI's ends of the channels.
pub struct Workers {
    pub requests: mpsc::Sender<WorkerRequest>,
    pub replies: mpsc::Receiver<WorkerReply>,
    /// The builds the console started (cancelled when it exits).
    pub builds: super::build_worker::RunningBuilds,
}

/// Starts a poller per cluster and the request dispatcher on the current tokio runtime.
pub fn spawn_workers(
    clusters: &Clusters,
    store: Option<StoreHandle>,
    settings: impl Into<PollSettings>,
    ops: Option<OpsContext>,
) -> Workers {
    let settings = settings.into();
    let refresh = settings.refresh;
    let (req_tx, req_rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (reply_tx, reply_rx) = mpsc::channel(CHANNEL_CAPACITY);
    let wakers = Wakers::default();
    let focus = Focus::default();
    tokio::spawn(run_supervisor(
        clusters.clone(),
        store.clone(),
        settings,
        wakers.clone(),
        focus.clone(),
        reply_tx.clone(),
    ));
    let recount = ops
        .as_ref()
        .map(|ops| super::incidents::spawn_badge_counter(ops.clone(), refresh, reply_tx.clone()));
    if let Some(ops) = &ops {
        tokio::spawn(run_apps_publisher(ops.clone(), refresh, reply_tx.clone()));
        tokio::spawn(super::drift::run_drift_checker(
            ops.clone(),
            refresh,
            reply_tx.clone(),
        ));
    }
    let builds = super::build_worker::RunningBuilds::default();
    tokio::spawn(run_dispatcher(
        clusters.clone(),
        store,
        ops,
        wakers,
        focus,
        builds.clone(),
        recount,
        req_rx,
        reply_tx,
    ));
    Workers {
        requests: req_tx,
        replies: reply_rx,
        builds,
    }
}

/// The wake-up handles of the running pollers, by cluster name.
type Wakers = Arc<std::sync::Mutex<HashMap<String, Arc<Notify>>>>;

/// The jobs the console shows, by cluster (selected first): their detail is fetched first.
type Focus = Arc<std::sync::Mutex<HashMap<String, Vec<String>>>>;

/// Per-cluster settings of the pollers.
#[derive(Debug, Clone, Copy)]
pub struct PollSettings {
    pub refresh: Duration,
    /// `[ui] detail_budget`: per-job detail requests per second (a cluster may override it).
    pub detail_budget: u32,
}

impl From<Duration> for PollSettings {
    fn from(refresh: Duration) -> Self {
        PollSettings {
            refresh,
            detail_budget: crate::config::DEFAULT_DETAIL_BUDGET,
        }
    }
}

/// Keeps one poller per known cluster: starts pollers for clusters that discovery finds, stops
/// those of clusters that vanished (telling the UI), and reports what discovery could not read
/// as an unreachable pseudo-cluster named after the entry or namespace.
async fn run_supervisor(
    clusters: Clusters,
    store: Option<StoreHandle>,
    settings: PollSettings,
    wakers: Wakers,
    focus: Focus,
    replies: mpsc::Sender<WorkerReply>,
) {
    let mut changes = clusters.subscribe();
    clusters.follow();
    let mut pollers: HashMap<String, tokio::task::JoinHandle<()>> = HashMap::new();
    let mut trackers: HashMap<String, (HealthTracker, u64)> = HashMap::new();
    let mut first = true;
    loop {
        let current = clusters.all();
        for (i, h) in current.iter().enumerate() {
            if !pollers.contains_key(h.name()) {
                // The clusters known at start poll at once, then spread over the refresh
                // interval: rounds that all land at the same moment decode every job list at
                // once, and the memory that peak takes stays with the process.
                let phase = if first {
                    settings.refresh.mul_f64(i as f64 / current.len() as f64)
                } else {
                    Duration::ZERO
                };
                let wake = Arc::new(Notify::new());
                lock(&wakers).insert(h.name().to_string(), wake.clone());
                if h.to_ref().location.is_some()
                    && replies
                        .send(WorkerReply::ClusterDiscovered {
                            cluster: h.to_ref(),
                        })
                        .await
                        .is_err()
                {
                    return;
                }
                let task = tokio::spawn(run_poller(
                    h.clone(),
                    store.clone(),
                    settings,
                    phase,
                    wake,
                    focus.clone(),
                    replies.clone(),
                ));
                pollers.insert(h.name().to_string(), task);
            }
        }
        first = false;
        let problems = clusters.problems();
        let gone: Vec<String> = pollers
            .keys()
            .filter(|n| !current.iter().any(|h| h.name() == n.as_str()))
            .cloned()
            .chain(
                trackers
                    .keys()
                    .filter(|n| !problems.iter().any(|p| &p.name == *n))
                    .cloned(),
            )
            .collect();
        for name in gone {
            if let Some(task) = pollers.remove(&name) {
                task.abort();
            }
            trackers.remove(&name);
            lock(&wakers).remove(&name);
            if replies
                .send(WorkerReply::ClusterRemoved { cluster: name })
                .await
                .is_err()
            {
                return;
            }
        }
        for p in problems {
            let (tracker, generation) = trackers
                .entry(p.name.clone())
                .or_insert_with(|| (HealthTracker::new(now_ms()), 0));
            *generation += 1;
            let health = tracker.on_failure(now_ms(), &to_failure(&p.error)).clone();
            let reply = WorkerReply::ClusterPolled {
                cluster: p.name.clone(),
                generation: *generation,
                health,
                jobs: None,
                platform: None,
            };
            if replies.send(reply).await.is_err() {
                return;
            }
        }
        if changes.changed().await.is_err() {
            return;
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Polls one cluster every `refresh` (or at once when woken) until the UI goes away; the wait
/// after the first poll is longer by `phase`. A poll that is running is never started twice:
/// wake-ups during a poll collapse into one follow-up poll.
///
/// Per-job detail is spent from a token bucket: `detail_budget` requests per second, holding at
/// most one refresh's worth (at least 3; so a wake-up right after a poll finds little to spend).
async fn run_poller(
    handle: ClusterHandle,
    store: Option<StoreHandle>,
    settings: PollSettings,
    phase: Duration,
    wake: Arc<Notify>,
    focus: Focus,
    replies: mpsc::Sender<WorkerReply>,
) {
    let refresh = settings.refresh;
    let mut phase = Some(phase);
    let name = handle.name().to_string();
    let mut tracker = HealthTracker::new(now_ms());
    let mut cache = DetailCache::default();
    // What the store knows: finished jobs are never asked again, restart counts are confirmed
    // by one request instead of one per job.
    if let Some(store) = &store {
        let cluster = name.clone();
        match store
            .call(move |s: &mut Store| s.known_jobs(&cluster))
            .await
        {
            Ok(known) => cache.seed(&known),
            Err(e) => warn!(cluster = %name, error = %e, "cannot read the known jobs"),
        }
    }
    let rate = f64::from(
        handle
            .config
            .detail_budget
            .unwrap_or(settings.detail_budget),
    );
    // One refresh's worth, and at least what the restarts sum plus one job costs (3), so a
    // small budget still makes progress (at its rate, over several refreshes).
    let capacity = if rate > 0.0 {
        (rate * refresh.as_secs_f64()).max(3.0)
    } else {
        0.0
    };
    let mut tokens = capacity;
    let mut filled_at = std::time::Instant::now();
    let mut generation: u64 = 0;
    let mut last_status = None;
    loop {
        generation += 1;
        let elapsed = filled_at.elapsed().as_secs_f64();
        filled_at = std::time::Instant::now();
        tokens = (tokens + rate * elapsed).min(capacity);
        if let Some(ids) = lock(&focus).get(&name) {
            cache.set_focus(ids.clone());
        }
        let opts = PollOptions {
            version: tracker.current().flink_version.is_none(),
            budget: Some(tokens.max(0.0).floor() as usize),
            concurrency: POLLER_CONCURRENCY,
            vitals: super::VitalsMode::Full,
            ..PollOptions::default()
        };
        let (poll, platform) = tokio::join!(
            poll_cluster(&handle, opts, Some(&mut cache)),
            handle.backend.platform_status()
        );
        tokens -= poll.requests as f64;
        let now = now_ms();
        let failures: Vec<_> = poll.partial.iter().map(to_failure).collect();
        let poll_jobs = match poll.jobs {
            // Say why from the platform itself (CrashLoopBackOff, OOMKilled, Pending...).
            Err(e) => Err(explain(&e, platform.as_ref())),
            Ok(jobs) => Ok(jobs),
        };
        let (health, jobs) = match poll_jobs {
            Ok(jobs) => (
                tracker
                    .on_success(now, poll.flink_version, &failures, poll.requests)
                    .clone(),
                Some(std::sync::Arc::new(jobs)),
            ),
            Err(f) => (tracker.on_failure(now, &f).clone(), None),
        };
        if last_status != Some(health.status) {
            debug!(cluster = %name, status = %health.status, reason = ?health.reason, "cluster health");
            last_status = Some(health.status);
        }
        // The poll goes to the screen first; the store writes it later on its own thread,
        // without holding up this poller (a newer round replaces an unwritten older one).
        let round = store.as_ref().map(|_| PollRound {
            cluster: name.clone(),
            seen_at_ms: now,
            health: vec![health.clone()],
            jobs: jobs.clone(),
            checkpoints: poll
                .checkpoints
                .into_iter()
                .map(|c| (c.job_id, c.job_name, c.entries))
                .collect(),
        });
        let reply = WorkerReply::ClusterPolled {
            cluster: name.clone(),
            generation,
            health,
            jobs,
            platform,
        };
        if replies.send(reply).await.is_err() {
            return; // the UI is gone
        }
        if let (Some(store), Some(round)) = (&store, round) {
            store.record_round(round);
        }
        let wait = refresh + phase.take().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
        }
    }
}

/// The failure of a poll, with the platform's own reason in front when it has one.
fn explain(
    e: &crate::flink::FlinkError,
    platform: Option<&crate::domain::PlatformStatus>,
) -> crate::domain::health_rules::PollFailure {
    let mut f = to_failure(e);
    if let Some(why) = platform.and_then(|p| p.jobmanager_problem.as_ref()) {
        f.message = format!("{why} ({})", f.message);
        f.detail = format!("{why}\n{}", f.detail);
    }
    f
}

/// Answers the UI's requests; loads run concurrently (bounded) and reply with the request's stamp.
#[allow(clippy::too_many_arguments)]
async fn run_dispatcher(
    clusters: Clusters,
    store: Option<StoreHandle>,
    ops: Option<OpsContext>,
    wakers: Wakers,
    focus: Focus,
    running_builds: super::build_worker::RunningBuilds,
    recount: Option<Arc<Notify>>,
    mut requests: mpsc::Receiver<WorkerRequest>,
    replies: mpsc::Sender<WorkerReply>,
) {
    let permits = Arc::new(Semaphore::new(MAX_LOADS));
    let sql = ops
        .as_ref()
        .map(|o| super::sql_worker::spawn_sql_worker(o.clone(), replies.clone()));
    // The running whole-file log search: a newer one replaces it (latest wins).
    let mut search: Option<tokio::task::AbortHandle> = None;
    let mut builds = super::build_worker::BuildWorker::new(ops.clone(), running_builds);
    while let Some(req) = requests.recv().await {
        if super::build_worker::BuildWorker::handles(&req) {
            builds.handle(req, &replies);
            continue;
        }
        if let WorkerRequest::SearchLog {
            cluster,
            file,
            pattern,
            request,
        } = req
        {
            if let Some(old) = search.take() {
                old.abort();
            }
            if pattern.is_empty() {
                continue;
            }
            let (clusters, replies) = (clusters.clone(), replies.clone());
            let task = tokio::spawn(async move {
                loaders::search_log(&clusters, &cluster, &file, &pattern, |event| {
                    let replies = replies.clone();
                    async move {
                        replies
                            .send(WorkerReply::LogSearch { request, event })
                            .await
                            .is_ok()
                    }
                })
                .await;
            });
            search = Some(task.abort_handle());
            continue;
        }
        if let WorkerRequest::RefreshAll = req {
            for w in lock(&wakers).values() {
                w.notify_one();
            }
            continue;
        }
        if let WorkerRequest::FocusJobs { keys } = req {
            let mut by_cluster: HashMap<String, Vec<String>> = HashMap::new();
            for k in keys {
                by_cluster.entry(k.cluster).or_default().push(k.id);
            }
            *lock(&focus) = by_cluster;
            continue;
        }
        if let WorkerRequest::RunAction { action, request } = req {
            // Actions are not bounded by the load permits: a stop must never wait for a log.
            let replies = replies.clone();
            let ops = ops.clone();
            tokio::spawn(async move {
                let outcome = match &ops {
                    Some(ops) => {
                        let progress_tx = replies.clone();
                        let progress = move |message: String| {
                            let _ = progress_tx
                                .try_send(WorkerReply::ActionProgress { request, message });
                        };
                        let limit = ops.config.ui.action_timeout;
                        match tokio::time::timeout(limit, run_action(ops, &action, &progress)).await
                        {
                            Ok(outcome) => outcome,
                            Err(_) => ActionOutcome::Failed {
                                reason: format!(
                                    "timed out after {} ([ui] action_timeout); whatever it sent \
                                     is journaled and is settled by the next refreshes",
                                    humantime::format_duration(limit)
                                ),
                            },
                        }
                    }
                    None => ActionOutcome::Failed {
                        reason: "actions need the local database, which could not be opened".into(),
                    },
                };
                let _ = replies
                    .send(WorkerReply::ActionFinished { request, outcome })
                    .await;
            });
            continue;
        }
        if let WorkerRequest::ValidateSql { request, .. }
        | WorkerRequest::DebugSql { request, .. } = &req
        {
            let request = *request;
            match &sql {
                // try_send: a full queue drops the request (the UI asks again), never blocks.
                Some(tx) => {
                    if tx.try_send(req).is_err() {
                        warn!("SQL worker busy: request {request} dropped");
                    }
                }
                None => {
                    let _ = replies
                        .send(WorkerReply::SqlValidated {
                            request,
                            result: Err(
                                "validation needs the local database, which could not be opened"
                                    .into(),
                            ),
                        })
                        .await;
                }
            }
            continue;
        }
        if let WorkerRequest::LoadRestorePoints { app, request } = req {
            let replies = replies.clone();
            let ops = ops.clone();
            tokio::spawn(async move {
                let result = match &ops {
                    Some(ops) => restore_points(ops, &app).await,
                    None => Err("the local database could not be opened".to_string()),
                };
                let _ = replies
                    .send(WorkerReply::RestorePointsLoaded {
                        app,
                        request,
                        result,
                    })
                    .await;
            });
            continue;
        }
        if let WorkerRequest::EditJobTags {
            cluster,
            job_name,
            add,
            remove,
        } = req
        {
            let replies = replies.clone();
            let ops = ops.clone();
            tokio::spawn(async move {
                let reply =
                    super::job_tags::edit(ops.as_ref(), cluster, job_name, add, remove).await;
                let _ = replies.send(reply).await;
            });
            continue;
        }
        if let WorkerRequest::LoadAudit { request, limit } = req {
            let replies = replies.clone();
            let ops = ops.clone();
            tokio::spawn(async move {
                let result = match &ops {
                    Some(ops) => ops
                        .store
                        .call(move |s: &mut Store| s.audit_entries(None, limit))
                        .await
                        .map_err(|e| format!("cannot read the audit trail: {e}")),
                    None => Err("the local database could not be opened".to_string()),
                };
                let _ = replies
                    .send(WorkerReply::AuditLoaded { request, result })
                    .await;
            });
            continue;
        }
        if matches!(
            req,
            WorkerRequest::LoadIncidents { .. } | WorkerRequest::QuietIncident { .. }
        ) {
            let (replies, ops, recount) = (replies.clone(), ops.clone(), recount.clone());
            tokio::spawn(async move {
                let reply = super::incidents::answer(ops.as_ref(), req, recount.as_deref()).await;
                if let Some(reply) = reply {
                    let _ = replies.send(reply).await;
                }
            });
            continue;
        }
        if matches!(
            req,
            WorkerRequest::LoadAppVersions { .. } | WorkerRequest::SaveAppVersion { .. }
        ) {
            let replies = replies.clone();
            let ops = ops.clone();
            tokio::spawn(async move {
                if let Some(reply) = answer_editor(ops.as_ref(), req).await {
                    let _ = replies.send(reply).await;
                }
            });
            continue;
        }
        let (clusters, store, replies, permits) = (
            clusters.clone(),
            store.clone(),
            replies.clone(),
            permits.clone(),
        );
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            if let Some(reply) = loaders::answer(&clusters, store.as_ref(), req).await {
                let _ = replies.send(reply).await;
            }
        });
    }
}

const NO_DATABASE: &str = "the local database could not be opened";

/// Answers the SQL editor's requests: an app's versions, saving a new version, validation.
async fn answer_editor(ops: Option<&OpsContext>, req: WorkerRequest) -> Option<WorkerReply> {
    Some(match req {
        WorkerRequest::LoadAppVersions { app, request } => {
            let loaded = match ops {
                Some(ops) => {
                    let name = app.clone();
                    ops.store
                        .call(move |s: &mut Store| {
                            Ok((s.app_versions(&name)?, s.latest_run(&name)?))
                        })
                        .await
                        .map_err(|e| format!("cannot read the versions of app {app}: {e}"))
                }
                None => Err(NO_DATABASE.to_string()),
            };
            let (result, latest_run) = match loaded {
                Ok((versions, _)) if versions.is_empty() => {
                    (Err(format!("no app named {app}")), None)
                }
                Ok((versions, run)) => (Ok(versions), run),
                Err(e) => (Err(e), None),
            };
            WorkerReply::AppVersionsLoaded {
                app,
                request,
                result,
                latest_run,
            }
        }
        WorkerRequest::SaveAppVersion {
            app,
            sql,
            message,
            base_version,
            request,
        } => {
            let result = match ops {
                None => Err(NO_DATABASE.to_string()),
                Some(ops) if ops.readonly => Err(
                    "read-only mode: saving a version is disabled (--readonly or [ui] readonly = true)"
                        .to_string(),
                ),
                Some(ops) => {
                    let (name, author) = (app.clone(), ops.actor.user.clone());
                    ops.store
                        .call(move |s: &mut Store| {
                            save_sql_version(s, &name, sql, message, base_version, &author)
                        })
                        .await
                        .map_err(|e| format!("cannot save app {app}: {e}"))
                        .and_then(|r| r)
                }
            };
            WorkerReply::AppVersionSaved {
                app,
                request,
                result,
            }
        }
        _ => return None,
    })
}

/// Stores `sql` as a new version of the SQL app `app` (a copy of its current spec with the new
/// script), unless the current version is not `base` any more. The same script as the current
/// version writes nothing and gives that version.
fn save_sql_version(
    s: &mut Store,
    app: &str,
    sql: String,
    message: Option<String>,
    base: u32,
    author: &str,
) -> Result<Result<u32, String>, crate::store::StoreError> {
    let Some(current) = s.app(app)? else {
        return Ok(Err(format!("no app named {app} (was it deleted?)")));
    };
    if current.spec.kind != crate::domain::AppKind::Sql {
        return Ok(Err(format!(
            "app {app} is a {} app: only SQL apps have a script",
            current.spec.kind
        )));
    }
    if current.version != base {
        return Ok(Err(format!(
            "app {app} changed since version {base} was opened: version {} by {} is current; \
             load the versions again and diff before saving",
            current.version, current.author
        )));
    }
    if current.spec.sql.as_deref() == Some(sql.as_str()) {
        return Ok(Ok(current.version));
    }
    let mut spec = current.spec;
    spec.sql = Some(sql);
    // The script now comes from the editor, not from the file it was first applied from.
    spec.sql_file = None;
    let message = message.filter(|m| !m.trim().is_empty());
    let outcome = s.apply_app(&spec, author, message.as_deref(), now_ms())?;
    Ok(Ok(outcome.version()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AppKind, AppSpec};

    fn spec(kind: AppKind, sql: Option<&str>) -> AppSpec {
        AppSpec {
            sql: sql.map(Into::into),
            sql_file: Some("orders.sql".into()),
            ..AppSpec::new("orders", "prod", kind)
        }
    }

    #[test]
    fn saving_a_script_makes_a_version_on_top_of_the_one_opened() {
        let mut s = Store::open_in_memory().expect("store");
        s.apply_app(&spec(AppKind::Sql, Some("SELECT 1;\n")), "bob", None, 1)
            .expect("apply");
        let save = |s: &mut Store, sql: &str, base| {
            save_sql_version(s, "orders", sql.into(), Some("msg".into()), base, "alice")
                .expect("store")
        };
        // The same script: nothing written, still version 1.
        assert_eq!(save(&mut s, "SELECT 1;\n", 1), Ok(1));
        assert_eq!(s.app_versions("orders").expect("versions").len(), 1);
        assert_eq!(save(&mut s, "SELECT 2;\n", 1), Ok(2));
        let v = s.app("orders").expect("read").expect("app");
        assert_eq!((v.version, v.author.as_str()), (2, "alice"));
        assert_eq!(v.message.as_deref(), Some("msg"));
        assert_eq!(v.spec.sql.as_deref(), Some("SELECT 2;\n"));
        assert_eq!(
            v.spec.sql_file, None,
            "the script now comes from the editor"
        );
        // Saved by someone else in between: refused, nothing written.
        let e = save(&mut s, "SELECT 3;\n", 1).expect_err("stale base");
        assert!(
            e.contains("changed since version 1") && e.contains("version 2 by alice"),
            "{e}"
        );
        assert_eq!(s.app("orders").expect("read").expect("app").version, 2);
        // Unknown apps and jar apps are refused.
        assert!(save_sql_version(&mut s, "nope", "x".into(), None, 1, "a")
            .expect("store")
            .expect_err("unknown")
            .contains("no app named nope"));
        let mut jar = spec(AppKind::Jar, None);
        jar.name = "jarapp".into();
        s.apply_app(&jar, "bob", None, 1).expect("apply");
        assert!(save_sql_version(&mut s, "jarapp", "x".into(), None, 1, "a")
            .expect("store")
            .expect_err("jar")
            .contains("jar app"));
    }
}
