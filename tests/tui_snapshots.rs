//! TUI snapshots (insta, text of a `TestBackend` buffer) and `update()` unit tests, through the
//! library's public API only. Volatile values are fixed: `NOW` is a constant, every timestamp is
//! relative to it, and wall-clock times are formatted in UTC.

#[path = "common/tui_render.rs"]
mod tui_render;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::*;
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Effect, Msg};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Style};
use tui_render::*;

/// 2026-09-21 14:13:20 UTC.
const NOW: i64 = 1_790_000_000_000;
const S: i64 = 1_000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;

// ---- rendering helpers --------------------------------------------------------------------

/// Text runs drawn with exactly `bg` as background: `row 3: "error"`.
fn runs_with_bg(buf: &Buffer, bg: Color) -> String {
    let w = buf.area.width as usize;
    let mut out = String::new();
    for (y, row) in buf.content.chunks(w.max(1)).enumerate() {
        let mut run = String::new();
        for cell in row
            .iter()
            .chain(std::iter::once(&ratatui::buffer::Cell::EMPTY))
        {
            if cell.bg == bg {
                run.push_str(cell.symbol());
            } else if !run.is_empty() {
                out.push_str(&format!("row {y}: {run:?}\n"));
                run.clear();
            }
        }
    }
    out
}

// ---- fixtures -------------------------------------------------------------------------------

fn opts() -> AppOptions {
    AppOptions {
        refresh: Duration::from_secs(5),
        notice: None,
        readonly: false,
        start_in_editor: None,
        no_clusters: None,
        term: Default::default(),
    }
}

fn cluster(name: &str) -> ClusterRef {
    ClusterRef {
        name: name.into(),
        kind: "standalone".into(),
        url: format!("http://{name}-jobmanager:8081"),
        location: None,
        web_url: None,
    }
}

fn new_app(clusters: &[&str], theme: Theme, opts: AppOptions) -> App {
    let mut app = App::new(
        clusters.iter().map(|c| cluster(c)).collect(),
        theme,
        Keymap::builtin(),
        opts,
        NOW,
    );
    app.update(Msg::Resize(100, 30));
    app
}

fn cp(status: CheckpointStatus, ago: i64, savepoint: bool) -> Option<CheckpointRef> {
    Some(CheckpointRef {
        id: 42,
        status,
        completed_at: match status {
            CheckpointStatus::InProgress => None,
            _ => Some(NOW - ago),
        },
        external_path: None,
        is_savepoint: savepoint,
    })
}

#[allow(clippy::too_many_arguments)]
fn job(
    cluster: &str,
    id: &str,
    name: &str,
    state: JobState,
    started_ago: i64,
    ended_ago: Option<i64>,
    tasks: (u32, u32),
    last_checkpoint: Option<CheckpointRef>,
    restarts: Option<u64>,
) -> JobSummary {
    let start = NOW - started_ago;
    let end = ended_ago.map(|a| NOW - a);
    JobSummary {
        cluster: cluster.into(),
        id: id.into(),
        name: name.into(),
        state,
        start_time: start,
        end_time: end,
        duration_ms: end.unwrap_or(NOW) - start,
        last_modification: NOW - S,
        tasks_running: tasks.0,
        tasks_total: tasks.1,
        last_checkpoint,
        restarts,
        stale: false,
        detail_at_ms: None,
        vitals: None,
    }
}

fn prod_jobs() -> Vec<JobSummary> {
    use CheckpointStatus::*;
    vec![
        job(
            "prod",
            "a1000000000000000000000000000001",
            "orders-enrichment",
            JobState::Running,
            2 * H + 3 * M,
            None,
            (8, 8),
            cp(Completed, 8 * S, false),
            Some(0),
        ),
        job(
            "prod",
            "a1000000000000000000000000000002",
            "payments-aggregation",
            JobState::Restarting,
            5 * M,
            None,
            (3, 8),
            cp(Failed, 2 * M, false),
            Some(4),
        ),
        job(
            "prod",
            "a1000000000000000000000000000003",
            "fraud-detector",
            JobState::Failing,
            H,
            None,
            (4, 6),
            cp(Failed, 30 * S, false),
            Some(12),
        ),
        job(
            "prod",
            "a1000000000000000000000000000004",
            "clickstream-sessionizer",
            JobState::Initializing,
            10 * S,
            None,
            (0, 4),
            None,
            None,
        ),
        job(
            "prod",
            "a1000000000000000000000000000005",
            "inventory-sync",
            JobState::Created,
            2 * S,
            None,
            (0, 2),
            None,
            Some(0),
        ),
        job(
            "prod",
            "a1000000000000000000000000000006",
            "billing-export",
            JobState::Cancelling,
            3 * 24 * H,
            None,
            (2, 4),
            cp(Completed, 10 * M, false),
            Some(1),
        ),
    ]
}

fn staging_jobs() -> Vec<JobSummary> {
    use CheckpointStatus::*;
    let mut jobs = vec![
        job(
            "staging",
            "b2000000000000000000000000000001",
            "payments-aggregation",
            JobState::Running,
            26 * H,
            None,
            (12, 12),
            cp(Completed, 45 * S, false),
            Some(0),
        ),
        job(
            "staging",
            "b2000000000000000000000000000002",
            "nightly-backfill",
            JobState::Finished,
            5 * H,
            Some(4 * H - 2 * M),
            (0, 16),
            cp(Completed, 3 * H, false),
            Some(0),
        ),
        job(
            "staging",
            "b2000000000000000000000000000003",
            "legacy-etl",
            JobState::Canceled,
            2 * H,
            Some(2 * H - 15 * M),
            (0, 4),
            None,
            Some(2),
        ),
        job(
            "staging",
            "b2000000000000000000000000000004",
            "ml-feature-pipeline",
            JobState::Failed,
            30 * H,
            Some(29 * H),
            (0, 6),
            cp(Failed, 25 * H, false),
            Some(3),
        ),
        job(
            "staging",
            "b2000000000000000000000000000005",
            "audit-log",
            JobState::Suspended,
            7 * H,
            None,
            (0, 2),
            cp(Completed, 7 * H, true),
            Some(0),
        ),
        job(
            "staging",
            "b2000000000000000000000000000006",
            "schema-migrator",
            JobState::Reconciling,
            3 * M,
            None,
            (1, 2),
            cp(InProgress, 0, false),
            Some(0),
        ),
        job(
            "staging",
            "b2000000000000000000000000000007",
            "mystery-job",
            JobState::Unknown("WEIRD".into()),
            0,
            None,
            (0, 1),
            None,
            None,
        ),
    ];
    // Never started: Flink reports -1.
    jobs[6].start_time = -1;
    jobs[6].duration_ms = -1;
    jobs
}

fn live(failures: u32) -> ClusterHealth {
    ClusterHealth {
        status: HealthStatus::Live,
        reason: None,
        detail: None,
        last_ok_ms: Some(NOW - S),
        checked_at_ms: NOW - S,
        flink_version: Some("1.20.1".into()),
        failures,
    }
}

fn health(
    status: HealthStatus,
    reason: Option<&str>,
    detail: Option<&str>,
    last_ok_ago: Option<i64>,
) -> ClusterHealth {
    ClusterHealth {
        status,
        reason: reason.map(Into::into),
        detail: detail.map(Into::into),
        last_ok_ms: last_ok_ago.map(|a| NOW - a),
        checked_at_ms: NOW - S,
        flink_version: None,
        failures: if status == HealthStatus::Unreachable {
            3
        } else {
            0
        },
    }
}

fn polled(
    cluster: &str,
    generation: u64,
    health: ClusterHealth,
    jobs: Option<Vec<JobSummary>>,
) -> Msg {
    Msg::Worker(WorkerReply::ClusterPolled {
        cluster: cluster.into(),
        generation,
        health,
        jobs: jobs.map(Into::into),
        platform: None,
    })
}

/// Two clusters, jobs in every state.
fn two_clusters(theme: Theme, opts: AppOptions) -> App {
    let mut app = new_app(&["prod", "staging"], theme, opts);
    app.update(polled("prod", 1, live(0), Some(prod_jobs())));
    app.update(polled(
        "staging",
        1,
        health(
            HealthStatus::Degraded,
            Some("2 of 7 job requests failed: timeout"),
            None,
            Some(S),
        ),
        Some(staging_jobs()),
    ));
    app
}

fn type_str(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(key(c));
    }
}

fn request_id(r: &WorkerRequest) -> u64 {
    match r {
        WorkerRequest::RefreshAll
        | WorkerRequest::FocusJobs { .. }
        | WorkerRequest::EditJobTags { .. } => 0,
        WorkerRequest::LoadJobDetail { request, .. }
        | WorkerRequest::LoadCheckpoints { request, .. }
        | WorkerRequest::LoadExceptions { request, .. }
        | WorkerRequest::LoadLogList { request, .. }
        | WorkerRequest::LoadLog { request, .. }
        | WorkerRequest::SearchLog { request, .. }
        | WorkerRequest::LoadLogWindow { request, .. }
        | WorkerRequest::RunAction { request, .. }
        | WorkerRequest::LoadRestorePoints { request, .. }
        | WorkerRequest::LoadAudit { request, .. }
        | WorkerRequest::LoadIncidents { request, .. }
        | WorkerRequest::QuietIncident { request, .. }
        | WorkerRequest::LoadAppVersions { request, .. }
        | WorkerRequest::SaveAppVersion { request, .. }
        | WorkerRequest::ValidateSql { request, .. }
        | WorkerRequest::DebugSql { request, .. }
        | WorkerRequest::LoadBuilds { request, .. }
        | WorkerRequest::RunBuild { request, .. }
        | WorkerRequest::PreviewUpgrade { request, .. }
        | WorkerRequest::RunUpgrade { request, .. }
        | WorkerRequest::CancelBuild { request, .. }
        | WorkerRequest::FollowBuildLog { request, .. } => *request,
        WorkerRequest::UnfollowBuildLog => 0,
    }
}

/// Filters the list down to one job by name and opens it; returns the load requests.
fn open_job(app: &mut App, name: &str) -> Vec<WorkerRequest> {
    app.update(key('/'));
    type_str(app, name);
    app.update(code(KeyCode::Enter));
    requests(&app.update(code(KeyCode::Enter)))
}

fn find(reqs: &[WorkerRequest], pred: impl Fn(&WorkerRequest) -> bool) -> &WorkerRequest {
    reqs.iter().find(|r| pred(r)).expect("request emitted")
}

fn orders_key() -> JobKey {
    JobKey::new("prod", "a1000000000000000000000000000001")
}

fn vertex(name: &str, par: u32, rin: f64, rout: f64, busy: f64, bp: f64) -> VertexInfo {
    VertexInfo {
        id: format!("v-{name}"),
        name: name.into(),
        parallelism: par,
        status: "RUNNING".into(),
        records_in_per_sec: Some(rin),
        records_out_per_sec: Some(rout),
        bytes_in_per_sec: Some(rin * 180.0),
        bytes_out_per_sec: Some(rout * 150.0),
        busy_ratio: Some(busy),
        backpressure_ratio: Some(bp),
    }
}

fn job_detail() -> JobDetail {
    JobDetail {
        id: "a1000000000000000000000000000001".into(),
        name: "orders-enrichment".into(),
        state: "RUNNING".into(),
        start_time: NOW - (2 * H + 3 * M),
        end_time: None,
        duration_ms: 2 * H + 3 * M,
        job_type: Some("STREAMING".into()),
        max_parallelism: Some(128),
        vertices: vec![
            vertex("Source: Kafka orders", 4, 12_500.0, 12_500.0, 0.31, 0.0),
            vertex("Enrich -> Filter", 8, 12_500.0, 11_900.5, 0.87, 0.12),
            VertexInfo {
                id: "v-sink".into(),
                name: "Sink: Iceberg".into(),
                parallelism: 2,
                status: "RUNNING".into(),
                records_in_per_sec: Some(11_900.5),
                records_out_per_sec: Some(0.0),
                bytes_in_per_sec: None,
                bytes_out_per_sec: None,
                busy_ratio: None,
                backpressure_ratio: Some(0.64),
            },
        ],
    }
}

fn entry(
    id: i64,
    status: CheckpointStatus,
    kind: CheckpointKind,
    ago: i64,
    dur: i64,
    size: i64,
) -> CheckpointEntry {
    let trigger = NOW - ago;
    CheckpointEntry {
        id,
        status,
        kind,
        checkpoint_type: Some(match kind {
            CheckpointKind::Checkpoint => "CHECKPOINT".into(),
            CheckpointKind::Savepoint => "SAVEPOINT".into(),
        }),
        trigger_timestamp: trigger,
        completed_at: match status {
            CheckpointStatus::InProgress => None,
            _ => Some(trigger + dur),
        },
        duration_ms: Some(dur),
        size_bytes: match status {
            CheckpointStatus::Completed => Some(size),
            _ => None,
        },
        state_size_bytes: Some(size * 10),
        external_path: match (status, kind) {
            (CheckpointStatus::Completed, CheckpointKind::Savepoint) => {
                Some(format!("s3://flink/savepoints/savepoint-a10000-{id:04}"))
            }
            (CheckpointStatus::Completed, _) => {
                Some(format!("s3://flink/checkpoints/a10000/chk-{id}"))
            }
            _ => None,
        },
        failure_message: match status {
            CheckpointStatus::Failed => Some("Checkpoint expired before completing.\nmore".into()),
            _ => None,
        },
        num_subtasks: Some(14),
        num_acknowledged: Some(14),
    }
}

fn checkpoints() -> (CheckpointStats, Vec<CheckpointEntry>) {
    use CheckpointKind::*;
    use CheckpointStatus::*;
    let live_history: Vec<CheckpointEntry> = vec![
        entry(
            118,
            Completed,
            Checkpoint,
            8 * S + 1200,
            1200,
            48 * 1024 * 1024,
        ),
        entry(117, Failed, Checkpoint, 68 * S + 600_000, 600_000, 0),
        entry(
            116,
            Completed,
            Checkpoint,
            2 * M + 68 * S,
            900,
            46 * 1024 * 1024,
        ),
        entry(
            115,
            Completed,
            Checkpoint,
            3 * M + 68 * S,
            2_400,
            51 * 1024 * 1024,
        ),
        entry(
            114,
            Completed,
            Checkpoint,
            4 * M + 68 * S,
            700,
            12 * 1024 * 1024,
        ),
    ];
    let stats = CheckpointStats {
        counts: CheckpointCounts {
            restored: 1,
            total: 120,
            in_progress: 0,
            completed: 117,
            failed: 3,
        },
        latest_completed: Some(live_history[0].clone()),
        latest_savepoint: Some(entry(
            100,
            Completed,
            Savepoint,
            50 * M,
            3_100,
            40 * 1024 * 1024,
        )),
        latest_failed: Some(live_history[1].clone()),
        latest_restored: Some(RestoredInfo {
            id: 95,
            restore_timestamp: NOW - (2 * H + 3 * M),
            is_savepoint: true,
            external_path: Some("s3://flink/savepoints/savepoint-a10000-0095".into()),
        }),
        history: live_history.clone(),
    };
    // The store remembers older ones, and one the live history also has.
    let stored = vec![
        live_history[0].clone(),
        entry(100, Completed, Savepoint, 50 * M, 3_100, 40 * 1024 * 1024),
        entry(99, Completed, Checkpoint, 51 * M, 1_900, 39 * 1024 * 1024),
        entry(98, Completed, Checkpoint, 52 * M, 1_500, 30 * 1024 * 1024),
        entry(
            95,
            Completed,
            Savepoint,
            2 * H + 10 * M,
            4_000,
            20 * 1024 * 1024,
        ),
    ];
    (stats, stored)
}

fn exceptions() -> JobExceptions {
    let trace = "org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\
\tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:180)\n\
\tat org.apache.flink.runtime.scheduler.DefaultScheduler.recordTaskFailure(DefaultScheduler.java:277)\n\
Caused by: java.io.IOException: Connection reset by peer\n\
\tat org.apache.kafka.common.network.NetworkReceive.readFrom(NetworkReceive.java:102)\n\
\tat org.apache.kafka.common.network.KafkaChannel.receive(KafkaChannel.java:452)\n\
\tat org.apache.kafka.common.network.Selector.attemptRead(Selector.java:729)\n\
\tat org.apache.kafka.common.network.Selector.pollSelectionKeys(Selector.java:620)\n\
\tat org.apache.kafka.common.network.Selector.poll(Selector.java:481)\n\
\tat org.apache.kafka.clients.NetworkClient.poll(NetworkClient.java:571)\n\
\tat org.apache.kafka.clients.consumer.internals.ConsumerNetworkClient.poll(ConsumerNetworkClient.java:280)\n\
\tat org.apache.kafka.clients.consumer.KafkaConsumer.pollForFetches(KafkaConsumer.java:1251)\n\
\tat org.apache.kafka.clients.consumer.KafkaConsumer.poll(KafkaConsumer.java:1220)\n\
\tat org.apache.flink.connector.kafka.source.reader.KafkaPartitionSplitReader.fetch(KafkaPartitionSplitReader.java:97)\n\
\tat org.apache.flink.connector.base.source.reader.fetcher.FetchTask.run(FetchTask.java:58)\n\
\tat org.apache.flink.connector.base.source.reader.fetcher.SplitFetcher.runOnce(SplitFetcher.java:165)\n\
\tat org.apache.flink.connector.base.source.reader.fetcher.SplitFetcher.run(SplitFetcher.java:117)\n\
\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)\n\
\tat java.base/java.lang.Thread.run(Thread.java:840)\n\
\t... 12 more";
    let root = ExceptionEntry {
        name: "org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy".into(),
        stacktrace: trace.into(),
        timestamp: Some(NOW - 5 * M),
        task: Some("Enrich -> Filter (3/8)".into()),
        location: Some("tm-1.flink.svc:6122".into()),
        taskmanager_id: Some("tm-1".into()),
        failure_labels: vec![],
        concurrent: 0,
    };
    let older = ExceptionEntry {
        // Flink names the class only; the message is on the trace's first line.
        name: "java.util.concurrent.TimeoutException".into(),
        stacktrace: "java.util.concurrent.TimeoutException: Heartbeat of TaskManager tm-2 timed out.\n\tat org.apache.flink.runtime.heartbeat.HeartbeatMonitorImpl.run(HeartbeatMonitorImpl.java:158)".into(),
        timestamp: Some(NOW - 47 * M),
        task: Some("Source: Kafka orders (2/4)".into()),
        location: Some("tm-2.flink.svc:6122".into()),
        taskmanager_id: Some("tm-2".into()),
        failure_labels: vec![],
        concurrent: 0,
    };
    JobExceptions {
        root: Some(root.clone()),
        history: vec![root, older],
        truncated: false,
    }
}

fn log_file(source: LogSource, name: LogName, size: u64) -> LogFileRef {
    LogFileRef {
        source,
        name,
        size: Some(size),
        mtime: None,
    }
}

fn log_files() -> Vec<LogFileRef> {
    // Deliberately out of order: the view sorts JobManager first, then each TaskManager.
    vec![
        log_file(LogSource::TaskManager("tm-1".into()), LogName::Stdout, 120),
        log_file(LogSource::JobManager, LogName::File("gc.log".into()), 3_000),
        log_file(
            LogSource::TaskManager("tm-1".into()),
            LogName::Log,
            2_400_000,
        ),
        log_file(LogSource::JobManager, LogName::Stdout, 512),
        log_file(LogSource::JobManager, LogName::Log, 5_300_000),
    ]
}

fn log_text() -> String {
    let mut s = String::new();
    for i in 0..40 {
        let (level, msg) = match i % 10 {
            3 => (
                "WARN ",
                format!(
                    "Checkpoint {} of job a10000 expired before completing.",
                    100 + i
                ),
            ),
            7 => (
                "ERROR",
                format!(
                    "Task Enrich -> Filter ({}/8) failed: Connection reset by peer",
                    i % 8 + 1
                ),
            ),
            _ => (
                "INFO ",
                format!(
                    "Completed checkpoint {} for job a10000 (48 MB in 1.2 s).",
                    100 + i
                ),
            ),
        };
        s.push_str(&format!(
            "2026-09-21 14:{:02}:{:02},000 {level} org.apache.flink.runtime.checkpoint.CheckpointCoordinator [] - {msg}\n",
            10 + i / 60,
            i % 60
        ));
    }
    s
}

/// Answers every request like a healthy cluster would, and the requests those answers cause
/// (the log list leads to the load of the first file).
fn answer(app: &mut App, reqs: Vec<WorkerRequest>) {
    for r in reqs {
        let reply = match r {
            WorkerRequest::LoadJobDetail { key, request } => WorkerReply::JobDetailLoaded {
                key,
                request,
                result: Ok(job_detail()),
            },
            WorkerRequest::LoadCheckpoints { key, request } => WorkerReply::CheckpointsLoaded {
                key,
                request,
                result: Ok(checkpoints()),
            },
            WorkerRequest::LoadExceptions { key, request } => WorkerReply::ExceptionsLoaded {
                key,
                request,
                result: Ok(exceptions()),
            },
            WorkerRequest::LoadLogList { cluster, request } => WorkerReply::LogListLoaded {
                cluster,
                request,
                result: Ok(log_files()),
            },
            WorkerRequest::LoadLog {
                cluster,
                file,
                request,
                max_bytes,
            } => {
                assert_eq!(max_bytes, 4 * 1024 * 1024);
                WorkerReply::LogLoaded {
                    cluster,
                    file,
                    request,
                    result: Ok(LogTail {
                        total_bytes: 5_300_000,
                        truncated: true,
                        text: log_text(),
                        archived_at_ms: None,
                    }),
                }
            }
            WorkerRequest::LoadAudit { request, limit } => {
                assert_eq!(limit, 500);
                WorkerReply::AuditLoaded {
                    request,
                    result: Ok(audit_entries()),
                }
            }
            WorkerRequest::RefreshAll
            | WorkerRequest::EditJobTags { .. }
            | WorkerRequest::FocusJobs { .. }
            | WorkerRequest::RunAction { .. }
            | WorkerRequest::LoadRestorePoints { .. }
            | WorkerRequest::LoadIncidents { .. }
            | WorkerRequest::QuietIncident { .. }
            | WorkerRequest::LoadAppVersions { .. }
            | WorkerRequest::SaveAppVersion { .. }
            | WorkerRequest::ValidateSql { .. }
            | WorkerRequest::SearchLog { .. }
            | WorkerRequest::LoadLogWindow { .. }
            | WorkerRequest::DebugSql { .. }
            | WorkerRequest::LoadBuilds { .. }
            | WorkerRequest::RunBuild { .. }
            | WorkerRequest::PreviewUpgrade { .. }
            | WorkerRequest::RunUpgrade { .. }
            | WorkerRequest::CancelBuild { .. }
            | WorkerRequest::FollowBuildLog { .. }
            | WorkerRequest::UnfollowBuildLog => continue,
        };
        let more = requests(&app.update(Msg::Worker(reply)));
        answer(app, more);
    }
}

/// Opens orders-enrichment with every tab's data answered.
fn detail_app(theme: Theme, w: u16, h: u16) -> (App, Vec<WorkerRequest>) {
    let mut app = two_clusters(theme, opts());
    app.update(Msg::Resize(w, h));
    let reqs = open_job(&mut app, "orders");
    answer(&mut app, reqs.clone());
    (app, reqs)
}

/// Overview → Logs (Shift-Tab), answering the log list and the tail it asks for.
fn show_logs(app: &mut App) {
    let reqs = requests(&app.update(code(KeyCode::BackTab)));
    assert!(
        matches!(&reqs[..], [WorkerRequest::LoadLogList { cluster, .. }] if cluster == "prod"),
        "{reqs:?}"
    );
    answer(app, reqs);
}

// ---- snapshots: jobs view ------------------------------------------------------------------

#[test]
fn jobs_view_two_clusters_every_state() {
    let app = two_clusters(Theme::plain(), opts());
    insta::assert_snapshot!(render(&app, 110, 22));
}

#[test]
fn jobs_view_80x24_with_notice() {
    let o = AppOptions {
        notice: Some("No config file: watching local at http://localhost:8081".into()),
        ..opts()
    };
    let mut app = two_clusters(Theme::plain(), o);
    app.update(Msg::Resize(80, 24));
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn health_badges() {
    let mut app = new_app(
        &["live", "stale", "degraded", "down", "pending"],
        Theme::plain(),
        AppOptions {
            readonly: true,
            ..opts()
        },
    );
    app.update(polled("live", 1, live(0), Some(vec![])));
    app.update(polled(
        "stale",
        1,
        health(HealthStatus::Stale, Some("timeout"), None, Some(12 * S)),
        None,
    ));
    app.update(polled(
        "degraded",
        1,
        health(
            HealthStatus::Degraded,
            Some("1 of 3 job requests failed"),
            None,
            Some(S),
        ),
        Some(vec![]),
    ));
    app.update(polled(
        "down",
        1,
        health(
            HealthStatus::Unreachable,
            Some("refused"),
            Some("GET http://down:8081/jobs/overview: connection refused"),
            None,
        ),
        None,
    ));
    insta::assert_snapshot!(render(&app, 100, 10));
}

#[test]
fn stale_rows_after_failed_poll() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(polled(
        "prod",
        2,
        health(
            HealthStatus::Unreachable,
            Some("timeout"),
            Some("GET http://prod-jobmanager:8081/jobs/overview: operation timed out after 5s"),
            Some(40 * S),
        ),
        None,
    ));
    insta::assert_snapshot!(render(&app, 100, 20));
}

#[test]
fn filter_typing_then_filtered_list() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(key('/'));
    type_str(&mut app, "PAY");
    insta::assert_snapshot!("filter_typing", render(&app, 90, 12));
    app.update(code(KeyCode::Enter));
    app.update(key('c')); // cluster: prod
    insta::assert_snapshot!("filter_kept_and_cluster", render(&app, 90, 12));
    app.update(key('x'));
    app.update(key('t')); // active
    app.update(key('t')); // RUNNING
    insta::assert_snapshot!("filter_state_running", render(&app, 90, 12));
    app.update(key('/'));
    type_str(&mut app, "zzz");
    app.update(code(KeyCode::Enter));
    insta::assert_snapshot!("filter_no_match", render(&app, 90, 12));
}

#[test]
fn sort_indicator() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(key('o')); // CLUSTER (from the default, problems first)
    app.update(key('o')); // NAME
    app.update(key('o')); // STATE
    app.update(key('o')); // UPTIME
    app.update(key('O')); // reversed: longest first
    insta::assert_snapshot!(render(&app, 100, 20));
}

#[test]
fn empty_states() {
    let app = new_app(&["prod"], Theme::plain(), opts());
    insta::assert_snapshot!("empty_waiting", render(&app, 60, 10));
    let mut app = new_app(&["prod"], Theme::plain(), opts());
    app.update(polled("prod", 1, live(0), Some(vec![])));
    insta::assert_snapshot!("empty_no_jobs", render(&app, 60, 10));
}

#[test]
fn help_screen() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(Msg::Resize(80, 150));
    app.update(key('?'));
    // Tall enough for every binding of every context.
    insta::assert_snapshot!("help_all_bindings", render(&app, 80, 150));
    // On a normal terminal it scrolls.
    app.update(Msg::Resize(80, 24));
    app.update(key('G'));
    insta::assert_snapshot!("help_scrolled_to_end", render(&app, 80, 24));
    app.update(code(KeyCode::Esc));
    assert!(
        !render(&app, 80, 24).contains("Help"),
        "esc closes the help"
    );
}

#[test]
fn error_popup() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(polled(
        "staging",
        2,
        health(
            HealthStatus::Unreachable,
            Some("HTTP 503 server error"),
            Some("GET http://staging-jobmanager:8081/jobs/overview: HTTP 503 Service Unavailable\ncaused by: upstream connect error or disconnect/reset before headers. reset reason: connection failure"),
            Some(3 * M),
        ),
        None,
    ));
    app.update(Msg::Resize(80, 24));
    app.update(key('e'));
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn tiny_terminal_jobs() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(Msg::Resize(20, 6));
    insta::assert_snapshot!(render(&app, 20, 6));
}

// ---- snapshots: detail tabs ----------------------------------------------------------------

#[test]
fn detail_overview() {
    let (app, _) = detail_app(Theme::plain(), 110, 20);
    insta::assert_snapshot!(render(&app, 110, 20));
}

#[test]
fn detail_overview_narrow_hides_columns() {
    let (app, _) = detail_app(Theme::plain(), 60, 16);
    insta::assert_snapshot!(render(&app, 60, 16));
}

#[test]
fn detail_checkpoints() {
    let (mut app, _) = detail_app(Theme::plain(), 120, 34);
    app.update(code(KeyCode::Tab));
    insta::assert_snapshot!(render(&app, 120, 34));
}

#[test]
fn detail_exceptions_and_stack_trace() {
    let (mut app, _) = detail_app(Theme::plain(), 110, 24);
    app.update(code(KeyCode::Tab));
    app.update(code(KeyCode::Tab));
    insta::assert_snapshot!("exceptions_list", render(&app, 110, 24));
    app.update(code(KeyCode::Enter));
    insta::assert_snapshot!("exceptions_trace", render(&app, 110, 24));
    app.update(key('j'));
    app.update(key('j'));
    insta::assert_snapshot!("exceptions_trace_scrolled", render(&app, 110, 24));
    app.update(key('G'));
    insta::assert_snapshot!("exceptions_trace_end", render(&app, 110, 24));
    // Esc closes the trace, a second Esc goes back to the jobs list.
    app.update(code(KeyCode::Esc));
    assert!(render(&app, 110, 24).contains("[root]"));
    app.update(code(KeyCode::Esc));
    assert!(
        render(&app, 110, 24).contains("1 of 13 jobs"),
        "back on the (still filtered) list"
    );
}

#[test]
fn detail_logs_with_search_match() {
    let mut theme = Theme::plain();
    theme.search_match = Style::default().bg(Color::Magenta);
    let (mut app, _) = detail_app(theme, 120, 24);
    show_logs(&mut app); // Overview -> Logs (Shift-Tab)
    insta::assert_snapshot!("logs_tail", render(&app, 120, 24));
    app.update(key('w')); // wrap, so the matches at the end of long lines are visible
    app.update(key('/'));
    type_str(&mut app, "reset by");
    app.update(code(KeyCode::Enter));
    app.update(key('N')); // previous match: scrolls up to it
    let buf = draw(&app, 120, 24);
    insta::assert_snapshot!("logs_search", buffer_text(&buf));
    insta::assert_snapshot!("logs_search_highlights", runs_with_bg(&buf, Color::Magenta));
}

#[test]
fn detail_loading_and_error_states() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(Msg::Resize(80, 12));
    let reqs = open_job(&mut app, "orders");
    insta::assert_snapshot!("detail_loading", render(&app, 80, 12));
    let WorkerRequest::LoadJobDetail { key, request } =
        find(&reqs, |r| matches!(r, WorkerRequest::LoadJobDetail { .. })).clone()
    else {
        unreachable!()
    };
    app.update(Msg::Worker(WorkerReply::JobDetailLoaded {
        key,
        request,
        result: Err("HTTP 404 not found: job a100… is not known to the cluster".into()),
    }));
    insta::assert_snapshot!("detail_error", render(&app, 80, 12));
}

#[test]
fn tiny_terminal_detail() {
    let (mut app, _) = detail_app(Theme::plain(), 20, 6);
    insta::assert_snapshot!("tiny_detail_overview", render(&app, 20, 6));
    show_logs(&mut app);
    insta::assert_snapshot!("tiny_detail_logs", render(&app, 20, 6));
}

/// Every screen at every small size (and 0-sized / 1×1): no panic.
#[test]
fn no_panic_at_any_size() {
    let (mut app, _) = detail_app(Theme::default(), 80, 24);
    let mut screens: Vec<Vec<Msg>> = vec![
        vec![code(KeyCode::Esc)],
        vec![key('?')],
        vec![code(KeyCode::Esc), key('e')],
        vec![code(KeyCode::Esc), code(KeyCode::Esc), code(KeyCode::Enter)],
    ];
    for _ in 0..4 {
        screens.push(vec![code(KeyCode::Tab)]);
    }
    screens.push(vec![
        code(KeyCode::BackTab),
        code(KeyCode::Tab),
        code(KeyCode::Enter),
    ]);
    screens.push(vec![key('w'), key('/'), key('e')]);
    for msgs in screens {
        for sizes in [(0u16, 0u16), (1, 1), (0, 5), (5, 0), (2, 3)] {
            app.update(Msg::Resize(sizes.0, sizes.1));
            for m in &msgs {
                let fx = requests(&app.update(m.clone()));
                answer(&mut app, fx);
            }
            let _ = render(&app, sizes.0, sizes.1);
        }
        for w in (0..=44).step_by(3) {
            for h in 0..=14 {
                app.update(Msg::Resize(w, h));
                let _ = render(&app, w, h);
                app.update(key('j'));
                app.update(key('G'));
                let _ = render(&app, w, h);
            }
        }
    }
}

// ---- update() unit tests -------------------------------------------------------------------

#[test]
fn enter_emits_detail_loads_with_fresh_ids() {
    let mut app = two_clusters(Theme::plain(), opts());
    let first = open_job(&mut app, "orders");
    assert_eq!(first.len(), 3, "{first:?}");
    let key = orders_key();
    assert!(first
        .iter()
        .any(|r| matches!(r, WorkerRequest::LoadJobDetail { key: k, .. } if *k == key)));
    assert!(first
        .iter()
        .any(|r| matches!(r, WorkerRequest::LoadCheckpoints { key: k, .. } if *k == key)));
    assert!(first
        .iter()
        .any(|r| matches!(r, WorkerRequest::LoadExceptions { key: k, .. } if *k == key)));
    // The logs (a tail of up to 4 MiB) load only when the Logs tab is shown.
    assert!(!first
        .iter()
        .any(|r| matches!(r, WorkerRequest::LoadLogList { .. })));
    let mut ids: Vec<u64> = first.iter().map(request_id).collect();
    app.update(code(KeyCode::Esc));
    let second = requests(&app.update(code(KeyCode::Enter)));
    assert_eq!(second.len(), 3);
    ids.extend(second.iter().map(request_id));
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids are fresh: {ids:?}");
}

#[test]
fn reply_with_old_request_id_is_ignored() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(Msg::Resize(100, 20));
    let old = open_job(&mut app, "orders");
    app.update(code(KeyCode::Esc));
    let new = requests(&app.update(code(KeyCode::Enter)));
    let old_id = request_id(find(&old, |r| {
        matches!(r, WorkerRequest::LoadJobDetail { .. })
    }));
    let new_id = request_id(find(&new, |r| {
        matches!(r, WorkerRequest::LoadJobDetail { .. })
    }));
    app.update(Msg::Worker(WorkerReply::JobDetailLoaded {
        key: orders_key(),
        request: old_id,
        result: Ok(job_detail()),
    }));
    let screen = render(&app, 100, 20);
    assert!(screen.contains("loading…"), "{screen}");
    assert!(!screen.contains("Enrich -> Filter"), "{screen}");
    // A reply for another job with the current id is dropped too.
    app.update(Msg::Worker(WorkerReply::JobDetailLoaded {
        key: JobKey::new("staging", "b2000000000000000000000000000001"),
        request: new_id,
        result: Ok(job_detail()),
    }));
    assert!(!render(&app, 100, 20).contains("Enrich -> Filter"));
    app.update(Msg::Worker(WorkerReply::JobDetailLoaded {
        key: orders_key(),
        request: new_id,
        result: Ok(job_detail()),
    }));
    assert!(render(&app, 100, 20).contains("Enrich -> Filter"));
}

#[test]
fn failed_poll_keeps_jobs_and_marks_them_stale() {
    let mut app = two_clusters(Theme::plain(), opts());
    let before = render(&app, 110, 22);
    assert!(!before.contains("RUNNING?"));
    app.update(polled(
        "prod",
        2,
        health(HealthStatus::Stale, Some("timeout"), None, Some(6 * S)),
        None,
    ));
    let after = render(&app, 110, 22);
    for j in prod_jobs() {
        assert!(after.contains(&j.name), "{} kept:\n{after}", j.name);
    }
    assert!(after.contains("RUNNING?"), "{after}");
    assert!(after.contains("RESTARTING?"), "{after}");
    assert!(after.contains("STALE 6s"), "{after}");
    // The staging cluster answered: its jobs are not stale.
    assert_eq!(after.matches("RUNNING?").count(), 1, "{after}");
    // The next good poll clears the marker.
    app.update(polled("prod", 3, live(0), Some(prod_jobs())));
    assert!(!render(&app, 110, 22).contains("RUNNING?"));
}

#[test]
fn poll_with_older_generation_is_dropped() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(polled("prod", 5, live(0), Some(prod_jobs())));
    let mut old = prod_jobs();
    old.truncate(1);
    old[0].name = "renamed-by-an-old-poll".into();
    app.update(polled("prod", 4, live(0), Some(old)));
    let screen = render(&app, 110, 22);
    assert!(!screen.contains("renamed-by-an-old-poll"), "{screen}");
    assert!(screen.contains("fraud-detector"), "{screen}");
}

/// The key of the job Enter opens.
fn selected_key(app: &mut App) -> JobKey {
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    app.update(code(KeyCode::Esc));
    match find(&reqs, |r| matches!(r, WorkerRequest::LoadJobDetail { .. })) {
        WorkerRequest::LoadJobDetail { key, .. } => key.clone(),
        _ => unreachable!(),
    }
}

#[test]
fn selection_follows_the_job_across_sorts_and_refreshes() {
    let mut app = two_clusters(Theme::plain(), opts());
    for _ in 0..3 {
        app.update(key('j'));
    }
    let chosen = selected_key(&mut app);
    for k in ['o', 'o', 'O', 'o', 'o', 'o', 'O'] {
        app.update(key(k));
        assert_eq!(selected_key(&mut app), chosen, "after {k}");
    }
    // A refresh that reorders the jobs and adds one keeps the selection on the same job.
    let mut jobs = prod_jobs();
    jobs.reverse();
    jobs.insert(
        0,
        job(
            "prod",
            "a1000000000000000000000000000000",
            "aaa-new-job",
            JobState::Running,
            S,
            None,
            (1, 1),
            None,
            Some(0),
        ),
    );
    app.update(polled("prod", 2, live(0), Some(jobs.clone())));
    app.update(polled("staging", 2, live(0), Some(staging_jobs())));
    assert_eq!(selected_key(&mut app), chosen);
    // Filtering the selected job out moves the selection to a row that is shown.
    app.update(key('/'));
    type_str(&mut app, "mystery");
    app.update(code(KeyCode::Enter));
    assert_eq!(
        selected_key(&mut app).id,
        "b2000000000000000000000000000007"
    );
}

#[test]
fn r_emits_refresh_all_and_q_quits() {
    let mut app = two_clusters(Theme::plain(), opts());
    assert_eq!(
        app.update(key('r')),
        vec![Effect::Worker(WorkerRequest::RefreshAll)]
    );
    assert_eq!(app.update(key('q')), vec![Effect::Quit]);
    // Ctrl-C quits from anywhere, even while typing a filter.
    app.update(key('/'));
    assert_eq!(
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        ))),
        vec![Effect::Quit]
    );
    // While typing, `q` is text, not quit (the rows it filters out are no longer on screen,
    // which the pollers are told).
    let fx = app.update(key('q'));
    assert!(!fx.contains(&Effect::Quit), "{fx:?}");
    assert_eq!(requests(&fx), vec![]);
}

#[test]
fn tick_while_in_flight_does_not_duplicate() {
    let mut app = two_clusters(Theme::plain(), opts());
    let reqs = open_job(&mut app, "orders");
    // Two refresh periods later: the overview load is still in flight, nothing new is sent.
    let fx = app.update(Msg::Tick {
        now_ms: NOW + 10 * S,
    });
    assert_eq!(requests(&fx), vec![], "no duplicate while in flight");
    let id = request_id(find(&reqs, |r| {
        matches!(r, WorkerRequest::LoadJobDetail { .. })
    }));
    app.update(Msg::Worker(WorkerReply::JobDetailLoaded {
        key: orders_key(),
        request: id,
        result: Ok(job_detail()),
    }));
    // The answer came: the next due tick reloads the open tab (and only it) with a new id.
    let fx = requests(&app.update(Msg::Tick {
        now_ms: NOW + 16 * S,
    }));
    assert_eq!(fx.len(), 1, "{fx:?}");
    assert!(matches!(&fx[0], WorkerRequest::LoadJobDetail { request, .. } if *request > id));
    let again = requests(&app.update(Msg::Tick {
        now_ms: NOW + 17 * S,
    }));
    assert_eq!(again, vec![], "in flight again: no duplicate");
}

#[test]
fn logs_follow_rerequests_each_refresh_and_ignores_other_files() {
    let (mut app, _) = detail_app(Theme::plain(), 100, 24);
    show_logs(&mut app);
    let fx = requests(&app.update(key('f')));
    assert_eq!(fx.len(), 1, "follow reloads now: {fx:?}");
    let WorkerRequest::LoadLog { file, request, .. } = fx[0].clone() else {
        panic!("{fx:?}")
    };
    assert_eq!(file.source, LogSource::JobManager);
    assert_eq!(file.name, LogName::Log);
    assert_eq!(
        requests(&app.update(Msg::Tick {
            now_ms: NOW + 20 * S
        })),
        vec![],
        "in flight"
    );
    // A reply for another file with the same id is dropped; the right one is taken.
    let other = log_file(LogSource::JobManager, LogName::Stdout, 1);
    app.update(Msg::Worker(WorkerReply::LogLoaded {
        cluster: "prod".into(),
        file: other,
        request,
        result: Ok(LogTail {
            text: "WRONG FILE\n".into(),
            total_bytes: 11,
            truncated: false,
            archived_at_ms: None,
        }),
    }));
    assert!(!render(&app, 100, 24).contains("WRONG FILE"));
    app.update(Msg::Worker(WorkerReply::LogLoaded {
        cluster: "prod".into(),
        file: file.clone(),
        request,
        result: Ok(LogTail {
            text: format!("{}new last line\n", log_text()),
            total_bytes: 5_300_100,
            truncated: true,
            archived_at_ms: None,
        }),
    }));
    let screen = render(&app, 100, 24);
    assert!(
        screen.contains("new last line"),
        "follow stays at the bottom:\n{screen}"
    );
    let fx = requests(&app.update(Msg::Tick {
        now_ms: NOW + 26 * S,
    }));
    assert!(
        matches!(&fx[..], [WorkerRequest::LoadLog { file: f, .. }] if *f == file),
        "{fx:?}"
    );
}

// ---- managed apps and actions --------------------------------------------------------------

fn app_summary(
    name: &str,
    cluster: &str,
    job_id: Option<&str>,
    state: Option<JobState>,
) -> AppSummary {
    AppSummary {
        name: name.into(),
        cluster: cluster.into(),
        kind: AppKind::Sql,
        version: 3,
        owner: Some("data-team".into()),
        team: None,
        tags: vec![],
        job_id: job_id.map(Into::into),
        state,
    }
}

/// `orders` runs orders-enrichment on prod, `payments` runs payments-aggregation on staging,
/// `fraud-v2` was never started, `checkout` ran a job that is gone from its cluster.
fn apps_loaded() -> Msg {
    Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![
            app_summary(
                "orders",
                "prod",
                Some("a1000000000000000000000000000001"),
                Some(JobState::Running),
            ),
            app_summary(
                "payments",
                "staging",
                Some("b2000000000000000000000000000001"),
                Some(JobState::Running),
            ),
            app_summary("fraud-v2", "prod", None, None),
            app_summary(
                "checkout",
                "prod",
                Some("c3000000000000000000000000000009"),
                Some(JobState::Canceled),
            ),
        ],
        job_apps: vec![
            (orders_key(), "orders".into()),
            (
                JobKey::new("staging", "b2000000000000000000000000000001"),
                "payments".into(),
            ),
        ],
    })
}

fn managed_app(opts: AppOptions) -> App {
    let mut app = two_clusters(Theme::plain(), opts);
    app.update(apps_loaded());
    app
}

/// Selects the first row matching `text` (filter, then keep it).
fn select(app: &mut App, text: &str) {
    app.update(key('x'));
    app.update(key('/'));
    type_str(app, text);
    app.update(code(KeyCode::Enter));
}

fn restore_points() -> Vec<RestorePoint> {
    vec![
        RestorePoint {
            path: "file:/flink/checkpoints/a1000000000000000000000000000001/chk-131".into(),
            kind: CheckpointKind::Checkpoint,
            id: Some(131),
            completed_at: Some(NOW - 8 * S),
            job_id: Some("a1000000000000000000000000000001".into()),
        },
        RestorePoint {
            path: "file:/flink/savepoints/orders/savepoint-a10000-4f2a9c1b7e3d".into(),
            kind: CheckpointKind::Savepoint,
            id: Some(57),
            completed_at: Some(NOW - 12 * M),
            job_id: Some("a1000000000000000000000000000001".into()),
        },
        RestorePoint {
            path: "file:/flink/savepoints/orders/savepoint-9e0000-11aa22bb33cc".into(),
            kind: CheckpointKind::Savepoint,
            id: None,
            completed_at: Some(NOW - 2 * 24 * H),
            job_id: None,
        },
    ]
}

fn run_actions(fx: &[Effect]) -> Vec<(ActionRequest, u64)> {
    requests(fx)
        .into_iter()
        .filter_map(|r| match r {
            WorkerRequest::RunAction { action, request } => Some((action, request)),
            _ => None,
        })
        .collect()
}

/// Opens the start dialog on the selected row and answers its restore points.
fn open_start_dialog(app: &mut App) -> u64 {
    let reqs = requests(&app.update(key('s')));
    let [WorkerRequest::LoadRestorePoints { app: name, request }] = &reqs[..] else {
        panic!("{reqs:?}")
    };
    assert_eq!(name, "orders");
    let request = *request;
    app.update(Msg::Worker(WorkerReply::RestorePointsLoaded {
        app: "orders".into(),
        request,
        result: Ok(restore_points()),
    }));
    request
}

#[test]
fn jobs_view_managed_and_unmanaged() {
    let mut app = managed_app(opts());
    app.update(Msg::Resize(110, 26));
    let screen = render(&app, 110, 26);
    insta::assert_snapshot!(screen);
    // The text filter matches the app name too.
    app.update(key('/'));
    type_str(&mut app, "fraud-v");
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 110, 26);
    assert!(screen.contains("1 of 15 rows"), "{screen}");
    assert!(screen.contains("fraud-v2"), "{screen}");
    // Enter on an app without a job says so rather than opening a detail.
    let fx = app.update(code(KeyCode::Enter));
    assert_eq!(requests(&fx), vec![]);
    assert!(render(&app, 110, 26).contains("app fraud-v2 has no job on prod — start it with `s`"));
}

#[test]
fn app_rows_sort_filter_and_keep_the_selection() {
    let mut app = managed_app(opts());
    // Sorting by APP puts the managed rows first (the eighth sort after problems first).
    for _ in 0..8 {
        app.update(key('o'));
    }
    let screen = render(&app, 110, 26);
    assert!(screen.contains("sort APP ▲"), "{screen}");
    let lines: Vec<&str> = screen.lines().skip(3).take(4).collect();
    for (line, app_name) in lines
        .iter()
        .zip(["checkout", "fraud-v2", "orders", "payments"])
    {
        assert!(line.contains(app_name), "{app_name} in {line:?}\n{screen}");
    }
    // The selection follows an app row across a refresh that starts its job.
    select(&mut app, "fraud-v2");
    app.update(key('o')); // back to PROBLEMS
    app.update(key('o')); // CLUSTER
    let mut jobs = prod_jobs();
    jobs.push(job(
        "prod",
        "f4000000000000000000000000000001",
        "fraud-v2-job",
        JobState::Running,
        S,
        None,
        (1, 1),
        None,
        Some(0),
    ));
    app.update(key('x'));
    app.update(polled("prod", 2, live(0), Some(jobs)));
    let Msg::Worker(WorkerReply::AppsLoaded {
        mut apps,
        mut job_apps,
    }) = apps_loaded()
    else {
        unreachable!()
    };
    apps[2].job_id = Some("f4000000000000000000000000000001".into());
    apps[2].state = Some(JobState::Running);
    job_apps.push((
        JobKey::new("prod", "f4000000000000000000000000000001"),
        "fraud-v2".into(),
    ));
    app.update(Msg::Worker(WorkerReply::AppsLoaded { apps, job_apps }));
    assert_eq!(
        selected_key(&mut app),
        JobKey::new("prod", "f4000000000000000000000000000001")
    );
    // The state filter applies to app rows: a never-started app has no state.
    app.update(key('t')); // active
    let screen = render(&app, 110, 26);
    assert!(!screen.contains("checkout"), "{screen}");
}

#[test]
fn apps_loaded_replaces_the_previous_list() {
    let mut app = managed_app(opts());
    assert!(render(&app, 110, 26).contains("fraud-v2"));
    app.update(Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![app_summary(
            "orders",
            "prod",
            Some("a1000000000000000000000000000001"),
            Some(JobState::Running),
        )],
        job_apps: vec![(orders_key(), "orders".into())],
    }));
    let screen = render(&app, 110, 26);
    assert!(!screen.contains("fraud-v2"), "{screen}");
    assert!(!screen.contains("checkout"), "{screen}");
    assert!(!screen.contains("staging   payments"), "{screen}");
    assert!(screen.contains("13 jobs · 1 managed app"), "{screen}");
    // An empty list: no managed rows, no APP column.
    app.update(Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![],
        job_apps: vec![],
    }));
    let screen = render(&app, 110, 26);
    assert!(!screen.contains(" APP "), "{screen}");
    assert!(screen.contains("13 jobs │"), "{screen}");
}

#[test]
fn start_sends_load_restore_points_then_the_chosen_point() {
    let mut app = managed_app(opts());
    select(&mut app, "orders-enr");
    open_start_dialog(&mut app);
    app.update(key('j'));
    let fx = app.update(code(KeyCode::Enter));
    let runs = run_actions(&fx);
    assert_eq!(
        runs.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>(),
        vec![ActionRequest::Start {
            app: "orders".into(),
            from: RestoreChoice::Savepoint(
                "file:/flink/checkpoints/a1000000000000000000000000000001/chk-131".into()
            ),
            allow_non_restored: false,
        }]
    );
    // The dialog closed; the action is in the panel.
    let screen = render(&app, 110, 30);
    assert!(!screen.contains("Restore from"), "{screen}");
    assert!(screen.contains("start app orders from"), "{screen}");
}

#[test]
fn start_dialog_choices_latest_none_and_escape() {
    let mut app = managed_app(opts());
    select(&mut app, "orders-enr");
    // While the points load, latest and none are offered; picking none survives the answer.
    let reqs = requests(&app.update(key('s')));
    let WorkerRequest::LoadRestorePoints { request, .. } = reqs[0].clone() else {
        panic!("{reqs:?}")
    };
    app.update(key('G'));
    // A reply for another request is dropped.
    app.update(Msg::Worker(WorkerReply::RestorePointsLoaded {
        app: "orders".into(),
        request: request + 100,
        result: Ok(vec![]),
    }));
    assert!(render(&app, 110, 30).contains("loading restore points…"));
    app.update(Msg::Worker(WorkerReply::RestorePointsLoaded {
        app: "orders".into(),
        request,
        result: Ok(restore_points()),
    }));
    let fx = app.update(code(KeyCode::Enter));
    assert!(matches!(
        &run_actions(&fx)[..],
        [(
            ActionRequest::Start {
                from: RestoreChoice::None,
                ..
            },
            _
        )]
    ));
    // Latest is the first choice.
    open_start_dialog(&mut app);
    let fx = app.update(code(KeyCode::Enter));
    assert!(matches!(
        &run_actions(&fx)[..],
        [(
            ActionRequest::Start {
                from: RestoreChoice::Latest,
                ..
            },
            _
        )]
    ));
    // Esc cancels.
    open_start_dialog(&mut app);
    assert_eq!(app.update(code(KeyCode::Esc)), vec![]);
    assert!(!render(&app, 110, 30).contains("Restore from"));
}

#[test]
fn start_on_an_unmanaged_job_asks_to_adopt_it_first() {
    let mut app = managed_app(opts());
    select(&mut app, "fraud-detector");
    assert_eq!(app.update(key('s')), vec![]);
    let screen = render(&app, 110, 26);
    assert!(
        screen.contains("not a managed app — adopt it first with `a`"),
        "{screen}"
    );
    // The message goes with the next key.
    app.update(key('j'));
    assert!(!render(&app, 110, 26).contains("not a managed app"));
}

#[test]
fn stop_needs_a_yes_and_targets_the_app() {
    let mut app = managed_app(opts());
    select(&mut app, "orders-enr");
    assert_eq!(app.update(key('S')), vec![]);
    assert_eq!(app.update(key('n')), vec![], "n cancels");
    assert!(!render(&app, 110, 26).contains("y/N"));
    app.update(key('S'));
    let fx = app.update(key('y'));
    let runs = run_actions(&fx);
    assert_eq!(
        runs.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>(),
        vec![ActionRequest::Stop {
            target: ActionTarget::App("orders".into()),
            drain: false,
            savepoint_dir: None,
            no_savepoint: false,
        }]
    );
    // Any other key cancels, Esc too.
    app.update(key('S'));
    assert_eq!(app.update(code(KeyCode::Esc)), vec![]);
    app.update(key('S'));
    assert_eq!(app.update(code(KeyCode::Enter)), vec![]);
}

#[test]
fn cancel_on_an_unmanaged_job_targets_the_job() {
    let mut app = managed_app(opts());
    select(&mut app, "fraud-detector");
    app.update(key('C'));
    let fx = app.update(key('y'));
    let runs = run_actions(&fx);
    assert_eq!(
        runs.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>(),
        vec![ActionRequest::Cancel {
            target: ActionTarget::Job(JobKey::new("prod", "a1000000000000000000000000000003")),
        }]
    );
}

#[test]
fn savepoint_is_sent_at_once_with_fresh_ids() {
    let mut app = managed_app(opts());
    select(&mut app, "fraud-detector");
    let first = run_actions(&app.update(key('p')));
    let second = run_actions(&app.update(key('p')));
    assert_eq!(first.len(), 1);
    assert_eq!(
        first[0].0,
        ActionRequest::Savepoint {
            target: ActionTarget::Job(JobKey::new("prod", "a1000000000000000000000000000003")),
            dir: None,
        }
    );
    assert_ne!(first[0].1, second[0].1, "each action has its own id");
    select(&mut app, "payments-agg");
    // The staging payments job is the app's current job: the app is the target.
    app.update(key('j'));
    let runs = run_actions(&app.update(key('p')));
    assert_eq!(
        runs[0].0,
        ActionRequest::Savepoint {
            target: ActionTarget::App("payments".into()),
            dir: None,
        }
    );
}

#[test]
fn adopt_prompts_for_the_app_name() {
    let mut app = managed_app(opts());
    select(&mut app, "fraud-detector");
    assert_eq!(app.update(key('a')), vec![]);
    type_str(&mut app, "fraud-q");
    app.update(code(KeyCode::Backspace));
    app.update(Msg::Paste("v1".into()));
    let fx = app.update(code(KeyCode::Enter));
    assert_eq!(
        run_actions(&fx)
            .into_iter()
            .map(|(a, _)| a)
            .collect::<Vec<_>>(),
        vec![ActionRequest::Adopt {
            job: JobKey::new("prod", "a1000000000000000000000000000003"),
            app: "fraud-v1".into(),
        }]
    );
    // Esc cancels; a managed job cannot be adopted again.
    app.update(key('a'));
    type_str(&mut app, "x");
    assert_eq!(app.update(code(KeyCode::Esc)), vec![]);
    select(&mut app, "orders-enr");
    assert_eq!(app.update(key('a')), vec![]);
    assert!(render(&app, 110, 26).contains("already belongs to app orders"));
}

#[test]
fn read_only_sends_no_action() {
    let mut app = managed_app(AppOptions {
        readonly: true,
        ..opts()
    });
    for row in ["orders-enr", "fraud-detector"] {
        select(&mut app, row);
        for keys in ["s", "Sy", "Cy", "p", "a"] {
            for k in keys.chars() {
                let fx = app.update(key(k));
                assert!(
                    requests(&fx).iter().all(|r| !matches!(
                        r,
                        WorkerRequest::RunAction { .. } | WorkerRequest::LoadRestorePoints { .. }
                    )),
                    "{row} {keys:?}: {fx:?}"
                );
            }
        }
    }
    let screen = render(&app, 110, 26);
    assert!(screen.contains("read-only: adopt is disabled"), "{screen}");
    assert!(!screen.contains("into app:"), "no adopt prompt: {screen}");
    app.update(key('S'));
    let screen = render(&app, 110, 26);
    assert!(screen.contains("read-only: stop is disabled"), "{screen}");
    assert!(!screen.contains("y/N"), "no confirmation: {screen}");
    // The detail view too.
    select(&mut app, "orders-enr");
    app.update(code(KeyCode::Enter));
    for k in ['S', 'y', 'C', 'y', 'p'] {
        assert!(run_actions(&app.update(key(k))).is_empty());
    }
    assert!(render(&app, 110, 26).contains("read-only: savepoint is disabled"));
}

#[test]
fn detail_actions_act_on_the_open_job() {
    let (mut app, _) = detail_app(Theme::plain(), 110, 30);
    app.update(apps_loaded());
    app.update(key('S'));
    let screen = render(&app, 110, 30);
    assert!(
        screen.contains("Stop app orders (job a100…) on prod with a savepoint? y/N"),
        "{screen}"
    );
    let runs = run_actions(&app.update(key('y')));
    assert!(matches!(
        &runs[..],
        [(ActionRequest::Stop { target: ActionTarget::App(a), .. }, _)] if a == "orders"
    ));
    // Still in the detail view, with the action shown.
    let screen = render(&app, 110, 30);
    assert!(screen.contains("Overview │ Checkpoints"), "{screen}");
    assert!(screen.contains("stop app orders: sent"), "{screen}");
    // Logs tab: the same keys work.
    show_logs(&mut app);
    let runs = run_actions(&app.update(key('p')));
    assert_eq!(runs.len(), 1);
}

#[test]
fn action_replies_update_the_panel_and_unknown_ids_are_ignored() {
    let mut app = managed_app(opts());
    select(&mut app, "fraud-detector");
    let (_, id) = run_actions(&app.update(key('p')))[0].clone();
    let before = render(&app, 110, 30);
    let fx = app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: id + 1000,
        outcome: ActionOutcome::Failed {
            reason: "should not show".into(),
        },
    }));
    assert_eq!(fx, vec![]);
    assert_eq!(render(&app, 110, 30), before);
    assert!(!app.is_dirty() || !before.contains("should not show"));
    let fx = app.update(Msg::Worker(WorkerReply::ActionProgress {
        request: id + 1000,
        message: "not ours".into(),
    }));
    assert_eq!(fx, vec![]);
    assert!(!render(&app, 110, 30).contains("not ours"));
    // Ours: progress, then done (which refreshes the lists at once).
    app.update(Msg::Worker(WorkerReply::ActionProgress {
        request: id,
        message: "savepoint triggered (trigger 77aa…)".into(),
    }));
    assert!(render(&app, 110, 30).contains("savepoint triggered (trigger 77aa…)"));
    let fx = app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: id,
        outcome: ActionOutcome::Done {
            message: "savepoint file:/flink/savepoints/savepoint-a10000-0001 of job fraud-detector"
                .into(),
            job_id: None,
            savepoint: Some("file:/flink/savepoints/savepoint-a10000-0001".into()),
        },
    }));
    assert_eq!(requests(&fx), vec![WorkerRequest::RefreshAll]);
    let screen = render(&app, 110, 30);
    assert!(
        screen.contains("✔ savepoint file:/flink/savepoints/savepoint-a10000-0001"),
        "{screen}"
    );
    // A second outcome for the same id is ignored; X dismisses finished actions.
    assert_eq!(
        app.update(Msg::Worker(WorkerReply::ActionFinished {
            request: id,
            outcome: ActionOutcome::Failed {
                reason: "late".into()
            },
        })),
        vec![]
    );
    assert!(!render(&app, 110, 30).contains("late"));
    app.update(key('X'));
    assert!(!render(&app, 110, 30).contains("Actions"));
}

/// Three actions: a stop still running (with progress), a savepoint done, a cancel failed.
fn with_actions(app: &mut App) {
    select(app, "orders-enr");
    app.update(key('S'));
    let (_, stop) = run_actions(&app.update(key('y')))[0].clone();
    select(app, "fraud-detector");
    let (_, sp) = run_actions(&app.update(key('p')))[0].clone();
    select(app, "legacy-etl");
    app.update(key('C'));
    let (_, cancel) = run_actions(&app.update(key('y')))[0].clone();
    app.update(key('x'));
    for (request, message) in [
        (stop, "stop-with-savepoint requested (trigger 9c1d…)"),
        (stop, "waiting for the savepoint (12s)"),
        (sp, "savepoint triggered"),
    ] {
        app.update(Msg::Worker(WorkerReply::ActionProgress {
            request,
            message: message.into(),
        }));
    }
    app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: sp,
        outcome: ActionOutcome::Done {
            message:
                "savepoint of job fraud-detector: file:/flink/savepoints/savepoint-a10000-77aa01"
                    .into(),
            job_id: Some("a1000000000000000000000000000003".into()),
            savepoint: Some("file:/flink/savepoints/savepoint-a10000-77aa01".into()),
        },
    }));
    app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: cancel,
        outcome: ActionOutcome::Failed {
            reason: "job b2000000000000000000000000000003 is CANCELED: nothing to cancel\nHTTP 409"
                .into(),
        },
    }));
    app.update(Msg::Tick {
        now_ms: NOW + 14 * S,
    });
}

#[test]
fn actions_panel() {
    let mut app = managed_app(opts());
    with_actions(&mut app);
    insta::assert_snapshot!("actions_panel", render(&app, 110, 30));
    // The detail view shows the same panel.
    select(&mut app, "orders-enr");
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    answer(&mut app, reqs);
    insta::assert_snapshot!("actions_panel_detail", render(&app, 110, 30));
}

#[test]
fn action_dialogs() {
    let mut app = managed_app(opts());
    select(&mut app, "orders-enr");
    open_start_dialog(&mut app);
    app.update(key('j'));
    insta::assert_snapshot!("start_dialog_restore_points", render(&app, 110, 26));
    app.update(code(KeyCode::Esc));

    app.update(key('S'));
    insta::assert_snapshot!("stop_confirmation", render(&app, 110, 26));
    app.update(key('n'));

    select(&mut app, "fraud-detector");
    app.update(key('C'));
    insta::assert_snapshot!("cancel_confirmation", render(&app, 110, 26));
    app.update(key('n'));

    app.update(key('a'));
    type_str(&mut app, "fraud-v1");
    insta::assert_snapshot!("adopt_prompt", render(&app, 110, 26));
}

#[test]
fn start_dialog_when_the_points_fail_and_the_app_runs() {
    let mut app = managed_app(opts());
    select(&mut app, "orders-enr");
    let reqs = requests(&app.update(key('s')));
    let WorkerRequest::LoadRestorePoints { request, .. } = reqs[0].clone() else {
        panic!("{reqs:?}")
    };
    app.update(Msg::Worker(WorkerReply::RestorePointsLoaded {
        app: "orders".into(),
        request,
        result: Err("store: database is locked".into()),
    }));
    insta::assert_snapshot!("start_dialog_error_running", render(&app, 90, 20));
}

#[test]
fn help_read_only_marks_disabled_actions() {
    let mut app = managed_app(AppOptions {
        readonly: true,
        ..opts()
    });
    app.update(Msg::Resize(90, 150));
    app.update(key('?'));
    insta::assert_snapshot!("help_read_only", render(&app, 90, 150));
}

#[test]
fn no_panic_with_actions_and_dialogs_at_any_size() {
    let mut app = managed_app(opts());
    with_actions(&mut app);
    let dialogs: Vec<Vec<Msg>> = vec![
        vec![],
        vec![key('s')],
        vec![key('S')],
        vec![key('a'), key('z')],
        vec![code(KeyCode::Enter), key('C')],
        vec![code(KeyCode::Enter)],
        vec![key('L')],
    ];
    for (i, msgs) in dialogs.into_iter().enumerate() {
        app.update(code(KeyCode::Esc));
        app.update(code(KeyCode::Esc));
        select(
            &mut app,
            if i % 2 == 0 {
                "orders-enr"
            } else {
                "fraud-det"
            },
        );
        for m in msgs {
            let reqs = requests(&app.update(m));
            for r in reqs {
                if let WorkerRequest::LoadRestorePoints { app: a, request } = r {
                    app.update(Msg::Worker(WorkerReply::RestorePointsLoaded {
                        app: a,
                        request,
                        result: Ok(restore_points()),
                    }));
                }
            }
        }
        for w in (0..=64).step_by(3) {
            for h in 0..=20 {
                app.update(Msg::Resize(w, h));
                let _ = render(&app, w, h);
            }
        }
    }
}

// ---- the audit trail -----------------------------------------------------------------------

#[allow(clippy::too_many_arguments)]
fn audit_entry(
    id: i64,
    ago: i64,
    user: &str,
    ssh: Option<&str>,
    action: &str,
    app: Option<&str>,
    cluster: Option<&str>,
    ok: bool,
    result: &str,
) -> AuditEntry {
    AuditEntry {
        id,
        at: NOW - ago,
        user: user.into(),
        ssh_origin: ssh.map(Into::into),
        app: app.map(Into::into),
        cluster: cluster.map(Into::into),
        action: action.into(),
        params: r#"{"drain":false}"#.into(),
        result: result.into(),
        ok,
    }
}

/// Newest first, like the store returns them: ok and failed, local and over SSH, app and
/// bare-job targets.
fn audit_entries() -> Vec<AuditEntry> {
    vec![
        audit_entry(
            6,
            2 * M,
            "alice",
            Some("10.20.30.40:52144"),
            "stop",
            Some("orders"),
            Some("prod"),
            true,
            "stopped with savepoint file:/flink/savepoints/orders/savepoint-a10000-4f2a9c1b7e3d",
        ),
        audit_entry(
            5,
            15 * M,
            "bob",
            None,
            "savepoint",
            None,
            Some("staging"),
            false,
            "failed: savepoint of job b2000000000000000000000000000004 timed out after 10m: \
             the checkpoint coordinator declined the trigger (task not ready: Source: clicks \
             (3/8) is still DEPLOYING)",
        ),
        audit_entry(
            4,
            H,
            "alice",
            Some("10.20.30.40:52144"),
            "start",
            Some("fraud-v2"),
            Some("prod"),
            false,
            "refused: app fraud-v2 is still running (job a1000000000000000000000000000003)",
        ),
        audit_entry(
            3,
            3 * H,
            "carol",
            None,
            "adopt",
            Some("payments"),
            Some("staging"),
            true,
            "adopted job b2000000000000000000000000000001 into app payments",
        ),
        audit_entry(
            2,
            26 * H,
            "ci-deploy",
            Some("192.168.1.7:40022"),
            "cancel",
            None,
            Some("prod"),
            true,
            "canceled job a1000000000000000000000000000009",
        ),
    ]
}

/// Opens the audit view with `A`; returns the id of its load.
fn open_audit(app: &mut App) -> u64 {
    let reqs = requests(&app.update(key('A')));
    let [WorkerRequest::LoadAudit { request, limit }] = &reqs[..] else {
        panic!("{reqs:?}")
    };
    assert_eq!(*limit, 500);
    *request
}

fn audit_loaded(request: u64, result: Result<Vec<AuditEntry>, String>) -> Msg {
    Msg::Worker(WorkerReply::AuditLoaded { request, result })
}

#[test]
fn audit_view_snapshots() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(Msg::Resize(120, 20));
    let id = open_audit(&mut app);
    let loading = render(&app, 120, 20);
    assert!(loading.contains("loading…"), "{loading}");
    app.update(audit_loaded(id, Ok(audit_entries())));
    // The failed savepoint is selected: its whole result is below the table.
    app.update(key('j'));
    insta::assert_snapshot!("audit_view", render(&app, 120, 20));
    // Narrow: the less important columns go, newest first still.
    app.update(Msg::Resize(70, 16));
    insta::assert_snapshot!("audit_view_narrow", render(&app, 70, 16));

    let mut app = two_clusters(Theme::plain(), opts());
    app.update(Msg::Resize(100, 16));
    let id = open_audit(&mut app);
    app.update(audit_loaded(id, Ok(vec![])));
    insta::assert_snapshot!("audit_view_empty", render(&app, 100, 16));
}

#[test]
fn audit_ok_and_failed_marks_are_styled() {
    let mut theme = Theme::plain();
    theme.ok = Style::default().fg(Color::Green);
    theme.error = Style::default().fg(Color::Red);
    let mut app = two_clusters(theme, opts());
    app.update(Msg::Resize(120, 20));
    let id = open_audit(&mut app);
    app.update(audit_loaded(id, Ok(audit_entries())));
    let buf = draw(&app, 120, 20);
    let fg_of = |symbol: &str| -> Vec<Color> {
        buf.content
            .iter()
            .filter(|c| c.symbol() == symbol)
            .map(|c| c.fg)
            .collect()
    };
    assert_eq!(fg_of("✔"), vec![Color::Green; 3]);
    assert_eq!(fg_of("✘"), vec![Color::Red; 2]);
}

#[test]
fn audit_key_emits_load_audit_and_esc_returns_to_the_jobs_view() {
    let mut app = two_clusters(Theme::plain(), opts());
    let jobs = render(&app, 100, 30);
    let id = open_audit(&mut app);
    assert!(id > 0);
    app.update(audit_loaded(id, Ok(audit_entries())));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("Audit trail (5)"), "{screen}");
    assert!(!screen.contains("orders-enrichment"), "{screen}");
    // Job keys do nothing here.
    assert_eq!(requests(&app.update(key('s'))), vec![]);
    assert!(app.update(code(KeyCode::Esc)).is_empty());
    assert_eq!(render(&app, 100, 30), jobs, "back to the jobs view");
}

#[test]
fn audit_reply_with_old_request_id_is_ignored() {
    let mut app = two_clusters(Theme::plain(), opts());
    let old = open_audit(&mut app);
    app.update(code(KeyCode::Esc));
    let new = open_audit(&mut app);
    assert_ne!(old, new);
    app.update(audit_loaded(old, Ok(audit_entries())));
    let screen = render(&app, 100, 20);
    assert!(screen.contains("loading…"), "{screen}");
    assert!(!screen.contains("alice"), "{screen}");
    // The current one is taken.
    app.update(audit_loaded(new, Ok(audit_entries())));
    assert!(render(&app, 100, 20).contains("alice"));
    // A late duplicate of it changes nothing.
    app.update(audit_loaded(new, Ok(vec![])));
    assert!(render(&app, 100, 20).contains("alice"));
    // Closed: replies are dropped without a trace.
    app.update(code(KeyCode::Esc));
    app.update(audit_loaded(new, Ok(vec![])));
    assert!(!render(&app, 100, 20).contains("Audit trail"));
}

#[test]
fn audit_reloads_every_refresh_without_duplicates() {
    let mut app = two_clusters(Theme::plain(), opts());
    let id = open_audit(&mut app);
    // Still in flight: a tick sends nothing, nor does `r`.
    assert_eq!(
        requests(&app.update(Msg::Tick {
            now_ms: NOW + 6 * S
        })),
        vec![]
    );
    assert_eq!(requests(&app.update(key('r'))), vec![]);
    app.update(audit_loaded(id, Ok(audit_entries())));
    app.update(key('j'));
    // Not due yet.
    assert_eq!(
        requests(&app.update(Msg::Tick {
            now_ms: NOW + 2 * S
        })),
        vec![]
    );
    let fx = requests(&app.update(Msg::Tick {
        now_ms: NOW + 7 * S,
    }));
    let [WorkerRequest::LoadAudit {
        request,
        limit: 500,
    }] = fx[..]
    else {
        panic!("{fx:?}")
    };
    assert!(request > id);
    assert_eq!(
        requests(&app.update(Msg::Tick {
            now_ms: NOW + 13 * S
        })),
        vec![]
    );
    // A failed reload keeps the entries and says so.
    app.update(audit_loaded(
        request,
        Err("store: database is locked".into()),
    ));
    let screen = render(&app, 120, 20);
    assert!(
        screen.contains("error: store: database is locked  (showing last data)"),
        "{screen}"
    );
    assert!(screen.contains("bob"), "{screen}");
    // `r` reloads at once; a new entry on top keeps the selection on the same entry.
    let fx = requests(&app.update(key('r')));
    let [WorkerRequest::LoadAudit { request, .. }] = fx[..] else {
        panic!("{fx:?}")
    };
    let mut entries = audit_entries();
    entries.insert(
        0,
        audit_entry(
            7,
            S,
            "dave",
            None,
            "savepoint",
            Some("orders"),
            Some("prod"),
            true,
            "done",
        ),
    );
    app.update(audit_loaded(request, Ok(entries)));
    let screen = render(&app, 120, 20);
    assert!(screen.contains("> 2026-09-21 13:58:20 bob"), "{screen}");
    // Enter shows the whole entry.
    app.update(code(KeyCode::Enter));
    let popup = render(&app, 120, 30);
    assert!(popup.contains("Audit entry #5"), "{popup}");
    assert!(popup.contains(r#"params:  {"drain":false}"#), "{popup}");
}

#[test]
fn audit_scrolls_and_does_not_panic_at_any_size() {
    let mut app = two_clusters(Theme::default(), opts());
    let id = open_audit(&mut app);
    let many: Vec<AuditEntry> = (0..120)
        .map(|i| {
            audit_entry(
                200 - i,
                i * M,
                "alice",
                (i % 3 == 0).then_some("10.0.0.1:22"),
                "stop",
                Some("orders"),
                Some("prod"),
                i % 4 != 0,
                "stopped with savepoint file:/flink/savepoints/orders/savepoint-a10000-4f2a9c1b7e3d",
            )
        })
        .collect();
    app.update(audit_loaded(id, Ok(many)));
    app.update(Msg::Resize(100, 20));
    app.update(code(KeyCode::PageDown));
    app.update(code(KeyCode::PageDown));
    let screen = render(&app, 100, 20);
    // 20 rows: header, borders, table header, 2 detail lines, footer → 13 entries a page.
    assert!(screen.contains("> 2026-09-21 13:47:20"), "{screen}");
    app.update(key('G'));
    assert!(render(&app, 100, 20).contains("> 2026-09-21 12:14:20"));
    app.update(key('g'));
    app.update(code(KeyCode::PageUp));
    assert!(render(&app, 100, 20).contains("> 2026-09-21 14:13:20"));
    for overlay in [None, Some(key('?')), Some(code(KeyCode::Enter))] {
        let opened = overlay.is_some();
        if let Some(m) = overlay {
            app.update(m);
        }
        for w in (0..=64).step_by(3) {
            for h in 0..=20 {
                app.update(Msg::Resize(w, h));
                let _ = render(&app, w, h);
                app.update(key('j'));
                app.update(key('G'));
                let _ = render(&app, w, h);
            }
        }
        if opened {
            app.update(code(KeyCode::Esc));
        }
        assert!(render(&app, 80, 24).contains("Audit trail"));
    }
    // Loading, error and empty states too.
    for result in [None, Some(Err("boom".to_string())), Some(Ok(vec![]))] {
        app.update(code(KeyCode::Esc));
        let id = open_audit(&mut app);
        if let Some(r) = result {
            app.update(audit_loaded(id, r));
        }
        for w in (0..=40).step_by(4) {
            for h in 0..=12 {
                let _ = render(&app, w, h);
            }
        }
    }
}

// ---- the SQL editor -------------------------------------------------------------------------

/// A script with every token kind: comments, a hint, strings (with `''` and variables), numbers,
/// keywords, types, functions, backtick names.
const SCRIPT: &str = "-- orders per minute
SET 'pipeline.name' = 'orders-${env}';
/* a block comment
   over two lines */
CREATE TEMPORARY TABLE `order` (
    id BIGINT,
    price DECIMAL(10, 2),
    ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'datagen', 'rows-per-second' = '${rate}');
INSERT INTO sink SELECT /*+ OPTIONS('sink.parallelism'='2') */
    id, ROUND(price * 1.5e2, 2), 'it''s' FROM `order` WHERE id > ${min.id};
";

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn sql_spec(sql: &str) -> AppSpec {
    AppSpec {
        sql: Some(sql.into()),
        parallelism: Some(2),
        owner: Some("data-team".into()),
        ..AppSpec::new("orders", "prod", AppKind::Sql)
    }
}

fn app_version(
    version: u32,
    ago: i64,
    author: &str,
    message: Option<&str>,
    sql: &str,
) -> AppVersion {
    AppVersion {
        app: "orders".into(),
        version,
        created_at: NOW - ago,
        author: author.into(),
        message: message.map(Into::into),
        spec: sql_spec(sql),
    }
}

/// Versions 3 (current, `SCRIPT`), 2 (runs now) and 1.
fn versions() -> Vec<AppVersion> {
    let v2 = SCRIPT
        .replace("'${rate}'", "'10'")
        .replace("ROUND(price * 1.5e2, 2)", "price");
    vec![
        app_version(
            3,
            H,
            "alice",
            Some("round the price, rate variable"),
            SCRIPT,
        ),
        app_version(2, 26 * H, "bob", Some("first INSERT"), &v2),
        app_version(
            1,
            3 * 24 * H,
            "alice",
            None,
            "SET 'pipeline.name' = 'orders';\n",
        ),
    ]
}

fn running_run(version: u32) -> Run {
    Run {
        id: 7,
        app: "orders".into(),
        version,
        cluster: "prod".into(),
        job_id: "a1000000000000000000000000000001".into(),
        started_at: NOW - 2 * H,
        ended_at: None,
        final_state: None,
        restored_from: None,
        restore_verified: None,
        final_savepoint: None,
    }
}

/// Answers the editor's loads of the app's versions (the other requests are returned).
fn answer_versions(app: &mut App, fx: Vec<Effect>) -> Vec<WorkerRequest> {
    let mut rest = Vec::new();
    for r in requests(&fx) {
        match r {
            WorkerRequest::LoadAppVersions { app: name, request } => {
                assert_eq!(name, "orders");
                let more = app.update(Msg::Worker(WorkerReply::AppVersionsLoaded {
                    app: name,
                    request,
                    result: Ok(versions()),
                    latest_run: Some(running_run(2)),
                }));
                rest.extend(answer_versions(app, more));
            }
            other => rest.push(other),
        }
    }
    rest
}

/// The jobs list with the managed apps, `E` on orders-enrichment (app `orders`), versions
/// answered: the editor shows version 3.
fn editor_app(theme: Theme, w: u16, h: u16) -> App {
    let mut app = two_clusters(theme, opts());
    app.update(apps_loaded());
    select(&mut app, "orders-enr");
    app.update(Msg::Resize(w, h));
    let fx = app.update(key('E'));
    assert!(
        matches!(&requests(&fx)[..], [WorkerRequest::LoadAppVersions { app, .. }] if app == "orders"),
        "{fx:?}"
    );
    assert!(answer_versions(&mut app, fx).is_empty());
    app
}

/// Text runs drawn with one of the given foregrounds: `row 3: keyword "SELECT"`.
fn runs_by_fg(buf: &Buffer, names: &[(Color, &str)]) -> String {
    let w = buf.area.width as usize;
    let mut out = String::new();
    for (y, row) in buf.content.chunks(w.max(1)).enumerate() {
        let mut run = String::new();
        let mut cur: Option<&str> = None;
        for cell in row
            .iter()
            .chain(std::iter::once(&ratatui::buffer::Cell::EMPTY))
        {
            let name = names.iter().find(|(c, _)| cell.fg == *c).map(|(_, n)| *n);
            if name != cur {
                if let Some(n) = cur {
                    out.push_str(&format!("row {y}: {n} {run:?}\n"));
                }
                run.clear();
                cur = name;
            }
            if cur.is_some() {
                run.push_str(cell.symbol());
            }
        }
    }
    out
}

/// Plain, with one distinct foreground per editor style.
fn editor_theme() -> (Theme, Vec<(Color, &'static str)>) {
    let mut t = Theme::plain();
    let names = vec![
        (Color::Indexed(1), "keyword"),
        (Color::Indexed(2), "type"),
        (Color::Indexed(3), "string"),
        (Color::Indexed(4), "comment"),
        (Color::Indexed(5), "number"),
        (Color::Indexed(6), "variable"),
        (Color::Indexed(7), "hint"),
        (Color::Indexed(9), "function"),
        (Color::Indexed(10), "error"),
        (Color::Indexed(11), "warning"),
        (Color::Indexed(12), "added"),
        (Color::Indexed(13), "removed"),
    ];
    let fg = |i: usize| Style::default().fg(names[i].0);
    t.sql_keyword = fg(0);
    t.sql_type = fg(1);
    t.sql_string = fg(2);
    t.sql_comment = fg(3);
    t.sql_number = fg(4);
    t.sql_variable = fg(5);
    t.sql_hint = fg(6);
    t.sql_function = fg(7);
    t.problem_error = fg(8);
    t.problem_warning = fg(9);
    t.diff_added = fg(10);
    t.diff_removed = fg(11);
    (t, names)
}

#[test]
fn editor_highlighting() {
    let (theme, names) = editor_theme();
    let app = editor_app(theme, 100, 20);
    let buf = draw(&app, 100, 20);
    insta::assert_snapshot!("editor_text", buffer_text(&buf));
    insta::assert_snapshot!("editor_highlight_runs", runs_by_fg(&buf, &names));
}

fn problems() -> Vec<SqlProblem> {
    vec![
        SqlProblem::new(
            2,
            7,
            11,
            ProblemSeverity::Error,
            "Unknown type 'DECIMALS'\n(at the statement's line 3)".into(),
        ),
        SqlProblem::new(
            2,
            10,
            9,
            ProblemSeverity::Warning,
            "connector 'datagen' was not checked: no factory on the classpath".into(),
        ),
        SqlProblem::new(
            3,
            12,
            61,
            ProblemSeverity::Error,
            "Column 'id' not found in any table".into(),
        ),
    ]
}

/// Validates (ctrl-e) and answers with `problems()` in 212 ms.
fn validate(app: &mut App) {
    let reqs = requests(&app.update(ctrl('e')));
    let [WorkerRequest::ValidateSql {
        request,
        app: name,
        cluster,
        sql,
    }] = &reqs[..]
    else {
        panic!("{reqs:?}")
    };
    assert_eq!(name.as_deref(), Some("orders"));
    assert_eq!(cluster.as_deref(), Some("prod"));
    assert_eq!(sql, SCRIPT, "the buffer as saved (with its final newline)");
    assert!(render(app, 100, 30).contains("validating…"));
    app.update(Msg::Worker(WorkerReply::SqlValidated {
        request: *request,
        result: Ok((problems(), 212)),
    }));
}

#[test]
fn editor_problems_gutter_and_list_jump() {
    let (theme, names) = editor_theme();
    let mut app = editor_app(theme, 100, 30);
    validate(&mut app);
    let buf = draw(&app, 100, 30);
    insta::assert_snapshot!("editor_problems", buffer_text(&buf));
    let runs = runs_by_fg(&buf, &names);
    let marks: Vec<&str> = runs
        .lines()
        .filter(|l| l.ends_with("error \"E\"") || l.ends_with("warning \"W\""))
        .collect();
    assert_eq!(
        marks,
        vec![
            "row 7: error \"E\"",
            "row 10: warning \"W\"",
            "row 12: error \"E\""
        ],
        "{runs}"
    );
    // The list: focus it, the second problem, Enter jumps to its line and column.
    app.update(key('P'));
    app.update(key('j'));
    insta::assert_snapshot!("editor_problems_focused", render(&app, 100, 30));
    app.update(code(KeyCode::Enter));
    assert!(
        render(&app, 100, 30).contains("│ 10:9 of 12"),
        "{}",
        render(&app, 100, 30)
    );
    // An edit marks the result as older than the text.
    app.update(key('x'));
    assert!(render(&app, 100, 30).contains("(text changed since)"));
    // A failed validation says why.
    let reqs = requests(&app.update(ctrl('e')));
    app.update(Msg::Worker(WorkerReply::SqlValidated {
        request: request_id(&reqs[0]),
        result: Err("validation backend not wired yet".into()),
    }));
    assert!(render(&app, 120, 30).contains("validation failed: validation backend not wired yet"));
}

#[test]
fn editor_versions_list_and_diffs() {
    let (theme, names) = editor_theme();
    let mut app = editor_app(theme, 110, 26);
    // Edit: a new line after line 1, and the first line changed.
    app.update(key('o'));
    type_str(&mut app, "SET 'parallelism.default' = '2';");
    app.update(code(KeyCode::Esc));
    assert!(render(&app, 110, 26).contains("orders v3 [+]"));
    // The versions list reloads the versions.
    let fx = app.update(key('V'));
    assert!(answer_versions(&mut app, fx).is_empty());
    insta::assert_snapshot!("editor_versions", render(&app, 110, 26));
    // d: the selected version (v3) against the buffer.
    app.update(key('d'));
    let buf = draw(&app, 110, 26);
    insta::assert_snapshot!("editor_diff_buffer", buffer_text(&buf));
    assert!(
        runs_by_fg(&buf, &names).contains("added \"+ SET 'parallelism.default' = '2';\""),
        "{}",
        runs_by_fg(&buf, &names)
    );
    app.update(code(KeyCode::Esc));
    // Two marks: v3 and v2 (j), D diffs them, older first.
    app.update(key('m'));
    app.update(key('j'));
    app.update(key('m'));
    app.update(key('D'));
    let buf = draw(&app, 110, 26);
    insta::assert_snapshot!("editor_diff_marked", buffer_text(&buf));
    assert!(runs_by_fg(&buf, &names).contains("removed"));
    app.update(code(KeyCode::Esc));
    // r: the buffer against the running version (2).
    app.update(key('r'));
    assert!(render(&app, 110, 26).contains("running v2 → buffer"));
    app.update(key('q'));
    assert!(
        render(&app, 110, 26).contains("Versions of orders"),
        "q closes the diff only"
    );
    // Enter restores v2 into the buffer; u takes it back.
    app.update(code(KeyCode::Enter));
    let screen = render(&app, 110, 26);
    assert!(
        screen.contains("version 2 restored into the buffer"),
        "{screen}"
    );
    assert!(screen.contains("'10');"), "{screen}");
    app.update(key('u'));
    let screen = render(&app, 110, 26);
    assert!(screen.contains("'${rate}');"), "{screen}");
    assert!(
        screen.contains("'parallelism.default'"),
        "the edit is still there: {screen}"
    );
}

#[test]
fn editor_vim_keys() {
    let mut app = editor_app(Theme::plain(), 100, 30);
    let status = |app: &App| {
        let s = render(app, 100, 30);
        s.lines()
            .rev()
            .nth(1)
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(
        status(&app).contains("NORMAL  orders v3 │ 1:1 of 12"),
        "{}",
        status(&app)
    );
    // G, gg, :5, w, $, 0.
    app.update(key('G'));
    assert!(status(&app).contains("12:1"), "{}", status(&app));
    app.update(key('g'));
    assert!(status(&app).contains("12:1"), "g waits for the second g");
    app.update(key('g'));
    assert!(status(&app).contains(" 1:1 "), "{}", status(&app));
    app.update(key(':'));
    type_str(&mut app, "5");
    assert!(render(&app, 100, 30).contains(":5█"));
    app.update(code(KeyCode::Enter));
    assert!(status(&app).contains(" 5:1 "), "{}", status(&app));
    app.update(key('w'));
    assert!(status(&app).contains(" 5:8 "), "{}", status(&app));
    app.update(key('$'));
    assert!(
        status(&app).contains(" 5:33 "),
        "past the end: {}",
        status(&app)
    );
    app.update(key('0'));
    // dd deletes the line; p puts it back below; u undoes; ctrl-r redoes.
    app.update(key('d'));
    app.update(key('d'));
    assert!(!render(&app, 100, 30).contains("CREATE TEMPORARY"));
    assert!(status(&app).contains("[+]"));
    app.update(key('p'));
    let s = render(&app, 100, 30);
    let lines: Vec<&str> = s.lines().collect();
    let at = |needle: &str| lines.iter().position(|l| l.contains(needle));
    assert!(
        at("CREATE TEMPORARY") > at("    id BIGINT"),
        "pasted below:\n{s}"
    );
    app.update(key('u'));
    app.update(key('u'));
    assert!(!status(&app).contains("[+]"), "back to the saved text");
    app.update(ctrl('r'));
    assert!(status(&app).contains("[+]"));
    app.update(key('u'));
    // Insert mode: typing, Enter keeps the indentation, Esc back to normal.
    app.update(key(':'));
    type_str(&mut app, "6");
    app.update(code(KeyCode::Enter));
    app.update(key('$'));
    app.update(key('i'));
    assert!(status(&app).contains("INSERT"));
    app.update(code(KeyCode::Enter));
    type_str(&mut app, "qty INT");
    app.update(code(KeyCode::Esc));
    let s = render(&app, 100, 30);
    assert!(
        s.contains("    id BIGINT,\n") && s.contains("    qty INT\n"),
        "{s}"
    );
    // Visual: select a word (the character under the cursor counts), copy it, paste it at the
    // line's end.
    app.update(key('0'));
    app.update(key('w'));
    app.update(key('v'));
    assert!(status(&app).contains("VISUAL"));
    app.update(key('l'));
    app.update(key('l'));
    app.update(key('y'));
    assert!(status(&app).contains("NORMAL"));
    app.update(key('$'));
    app.update(key('p'));
    assert!(
        render(&app, 100, 30).contains("    qty INTqty\n"),
        "{}",
        render(&app, 100, 30)
    );
    // Search: /watermark finds it regardless of case; n again wraps around.
    app.update(key('/'));
    type_str(&mut app, "watermark");
    app.update(code(KeyCode::Enter));
    assert!(status(&app).contains(" 10:5 "), "{}", status(&app));
    app.update(key('n'));
    assert!(status(&app).contains(" 10:5 "), "only one match");
    // ctrl-c with unsaved changes warns first; the second quits.
    assert_eq!(app.update(ctrl('c')), vec![]);
    assert!(render(&app, 100, 30).contains("ctrl-c again quits without saving"));
    assert_eq!(app.update(ctrl('c')), vec![Effect::Quit]);
}

#[test]
fn editor_save_close_and_read_only() {
    let mut app = editor_app(Theme::plain(), 100, 30);
    // q with no changes closes; E opens again.
    app.update(key('q'));
    assert!(render(&app, 100, 30).contains("Jobs ("));
    let fx = app.update(key('E'));
    answer_versions(&mut app, fx);
    app.update(key('x'));
    app.update(key('q'));
    assert!(render(&app, 100, 30).contains("unsaved changes: :w saves a version"));
    // ctrl-s asks for a message, then sends the save with the version it is based on.
    app.update(ctrl('s'));
    type_str(&mut app, "drop a dash");
    assert!(render(&app, 100, 30).contains("message for the new version: drop a dash█"));
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let [WorkerRequest::SaveAppVersion {
        app: name,
        sql,
        message,
        base_version,
        request,
    }] = &reqs[..]
    else {
        panic!("{reqs:?}")
    };
    assert_eq!(name, "orders");
    assert_eq!(sql, &SCRIPT[1..]);
    assert_eq!(message.as_deref(), Some("drop a dash"));
    assert_eq!(*base_version, 3);
    assert!(render(&app, 100, 30).contains("saving…"));
    // A reply to another request is ignored; ours saves version 4 and reloads the versions.
    let fx = app.update(Msg::Worker(WorkerReply::AppVersionSaved {
        app: "orders".into(),
        request: request + 100,
        result: Ok(9),
    }));
    assert_eq!(fx, vec![]);
    let fx = app.update(Msg::Worker(WorkerReply::AppVersionSaved {
        app: "orders".into(),
        request: *request,
        result: Ok(4),
    }));
    assert!(
        matches!(&requests(&fx)[..], [WorkerRequest::LoadAppVersions { .. }]),
        "{fx:?}"
    );
    let s = render(&app, 100, 30);
    assert!(s.contains("saved version 4 of orders"), "{s}");
    assert!(s.contains("orders v4 │"), "not modified any more: {s}");
    // :w message saves at once; a failure says why and keeps the changes.
    app.update(key('x'));
    app.update(key(':'));
    type_str(&mut app, "w second");
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let [WorkerRequest::SaveAppVersion {
        message,
        base_version,
        request,
        ..
    }] = &reqs[..]
    else {
        panic!("{reqs:?}")
    };
    assert_eq!((message.as_deref(), *base_version), (Some("second"), 4));
    app.update(Msg::Worker(WorkerReply::AppVersionSaved {
        app: "orders".into(),
        request: *request,
        result: Err("app orders changed since version 4 was opened".into()),
    }));
    let s = render(&app, 100, 30);
    assert!(s.contains("save failed: app orders changed"), "{s}");
    assert!(s.contains("[+]"), "{s}");
    // :q! discards.
    app.update(key(':'));
    type_str(&mut app, "q!");
    app.update(code(KeyCode::Enter));
    assert!(app_editor_closed(&app));

    // Read-only: the editor opens, saving and submitting are refused.
    let mut app = two_clusters(
        Theme::plain(),
        AppOptions {
            readonly: true,
            ..opts()
        },
    );
    app.update(apps_loaded());
    select(&mut app, "orders-enr");
    let fx = app.update(key('E'));
    answer_versions(&mut app, fx);
    app.update(key('x'));
    for m in [ctrl('s'), ctrl('x')] {
        assert_eq!(requests(&app.update(m)), vec![]);
    }
    assert!(render(&app, 100, 30).contains("read-only: submit is disabled"));
}

fn app_editor_closed(app: &App) -> bool {
    render(app, 100, 30).contains("Jobs (")
}

#[test]
fn editor_opens_only_on_managed_sql_apps_and_at_start() {
    let mut app = two_clusters(Theme::plain(), opts());
    let mut apps = apps_loaded();
    if let Msg::Worker(WorkerReply::AppsLoaded { apps, .. }) = &mut apps {
        apps[1].kind = AppKind::Jar;
    }
    app.update(apps);
    app.update(key('o')); // by cluster: the rows this test picks by position
    select(&mut app, "fraud-detector");
    assert_eq!(app.update(key('E')), vec![]);
    assert!(render(&app, 100, 30).contains("not a managed app"));
    select(&mut app, "payments-agg");
    assert_eq!(app.update(key('E')), vec![]);
    assert!(render(&app, 100, 30).contains("app payments is a jar app"));

    // `flinkdeck edit orders`: the first update loads it.
    let mut app = App::new(
        vec![cluster("prod")],
        Theme::plain(),
        Keymap::builtin(),
        AppOptions {
            start_in_editor: Some(flinkdeck::tui::EditorTarget::App("orders".into())),
            ..opts()
        },
        NOW,
    );
    let fx = app.update(Msg::Resize(100, 30));
    assert!(render(&app, 100, 30).contains("loading orders…"));
    assert_eq!(
        app.update(key('i')),
        vec![],
        "nothing to edit while loading"
    );
    assert!(answer_versions(&mut app, fx).is_empty());
    assert!(render(&app, 100, 30).contains("Edit orders · prod · version 3 · running v2"));
    // A load error is shown and not retried.
    let mut app = App::new(
        vec![cluster("prod")],
        Theme::plain(),
        Keymap::builtin(),
        AppOptions {
            start_in_editor: Some(flinkdeck::tui::EditorTarget::App("gone".into())),
            ..opts()
        },
        NOW,
    );
    let reqs = requests(&app.update(Msg::Resize(80, 24)));
    app.update(Msg::Worker(WorkerReply::AppVersionsLoaded {
        app: "gone".into(),
        request: request_id(&reqs[0]),
        result: Err("no app named gone".into()),
        latest_run: None,
    }));
    assert!(render(&app, 80, 24).contains("cannot edit gone: no app named gone"));
    assert_eq!(app.update(Msg::Tick { now_ms: NOW + H }), vec![]);

    // A scratch buffer: typing works, saving and versions say why not.
    let mut app = App::new(
        vec![cluster("prod")],
        Theme::plain(),
        Keymap::builtin(),
        AppOptions {
            start_in_editor: Some(flinkdeck::tui::EditorTarget::Scratch),
            ..opts()
        },
        NOW,
    );
    assert_eq!(app.update(Msg::Resize(80, 24)), vec![]);
    app.update(key('i'));
    type_str(&mut app, "SELECT 1");
    app.update(code(KeyCode::Esc));
    assert_eq!(requests(&app.update(ctrl('s'))), vec![]);
    assert!(render(&app, 80, 24).contains("a scratch buffer belongs to no app"));
    app.update(key('V'));
    assert!(render(&app, 80, 24).contains("a scratch buffer has no versions"));
    let reqs = requests(&app.update(ctrl('e')));
    assert!(
        matches!(&reqs[..], [WorkerRequest::ValidateSql { app: None, cluster: None, sql, .. }] if sql == "SELECT 1"),
        "{reqs:?}"
    );
    insta::assert_snapshot!("editor_scratch", render(&app, 80, 12));
}

#[test]
fn editor_submit_stops_then_starts_or_opens_the_start_dialog() {
    let mut app = editor_app(Theme::plain(), 110, 30);
    // Modified: ctrl-x asks for the message and saves first.
    app.update(key('x'));
    app.update(ctrl('x'));
    type_str(&mut app, "submit it");
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let request = request_id(&reqs[0]);
    // Saved: orders runs (apps_loaded), so the stop-then-start confirmation.
    let fx = app.update(Msg::Worker(WorkerReply::AppVersionSaved {
        app: "orders".into(),
        request,
        result: Ok(4),
    }));
    answer_versions(&mut app, fx);
    let s = render(&app, 110, 30);
    assert!(
        s.contains("then start version 4 from that savepoint? y/N"),
        "{s}"
    );
    insta::assert_snapshot!("editor_submit_confirm", s);
    let acts = run_actions(&app.update(key('y')));
    let [(ActionRequest::Stop { target, .. }, stop_id)] = &acts[..] else {
        panic!("{acts:?}")
    };
    assert_eq!(target, &ActionTarget::App("orders".into()));
    // The start goes out only once the stop is done.
    let fx = app.update(Msg::Worker(WorkerReply::ActionProgress {
        request: *stop_id,
        message: "savepoint triggered".into(),
    }));
    assert!(run_actions(&fx).is_empty());
    let fx = app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: *stop_id,
        outcome: ActionOutcome::Done {
            message: "stopped with savepoint file:/sp/1".into(),
            job_id: None,
            savepoint: Some("file:/sp/1".into()),
        },
    }));
    let acts = run_actions(&fx);
    assert!(
        matches!(&acts[..], [(ActionRequest::Start { app, from: RestoreChoice::Latest, .. }, _)] if app == "orders"),
        "{acts:?}"
    );
    assert!(render(&app, 110, 30).contains("start app orders from latest"));

    // Not running, not modified: the start dialog with its restore choices.
    let mut app = editor_app(Theme::plain(), 110, 30);
    app.update(Msg::Worker(WorkerReply::AppsLoaded {
        apps: vec![app_summary(
            "orders",
            "prod",
            None,
            Some(JobState::Canceled),
        )],
        job_apps: vec![],
    }));
    let reqs = requests(&app.update(ctrl('x')));
    assert!(
        matches!(&reqs[..], [WorkerRequest::LoadRestorePoints { app, .. }] if app == "orders"),
        "{reqs:?}"
    );
    assert!(render(&app, 110, 30).contains("Restore from"));
    // A failed stop starts nothing.
    let mut app = editor_app(Theme::plain(), 110, 30);
    app.update(ctrl('x'));
    let acts = run_actions(&app.update(key('y')));
    let fx = app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: acts[0].1,
        outcome: ActionOutcome::Failed {
            reason: "savepoint timed out".into(),
        },
    }));
    assert!(run_actions(&fx).is_empty());
}

#[test]
fn editor_tiny_terminal_and_no_panic_at_any_size() {
    let mut app = editor_app(Theme::default(), 20, 6);
    insta::assert_snapshot!("editor_tiny", render(&app, 20, 6));
    validate(&mut app);
    let screens: Vec<Vec<Msg>> = vec![
        vec![],
        vec![key('P')],
        vec![code(KeyCode::Esc), key('G'), key('$'), key('v'), key('k')],
        vec![code(KeyCode::Esc), key('V')],
        vec![key('d')],
        vec![code(KeyCode::Esc), key('m'), key('j'), key('m'), key('D')],
        vec![code(KeyCode::Esc), code(KeyCode::Esc), key(':')],
        vec![code(KeyCode::Esc), key('?')],
    ];
    for msgs in screens {
        for m in msgs {
            let fx = app.update(m);
            answer_versions(&mut app, fx);
        }
        for (w, h) in [
            (0u16, 0u16),
            (1, 1),
            (0, 5),
            (5, 0),
            (2, 3),
            (20, 6),
            (12, 4),
            (40, 12),
        ] {
            app.update(Msg::Resize(w, h));
            let _ = render(&app, w, h);
            for k in ['j', 'k', 'G', 'g', 'g'] {
                app.update(key(k));
            }
            let _ = render(&app, w, h);
        }
    }
}

// ---- the editor's debug run -----------------------------------------------------------------

const NOTE: &str =
    "debug run on fake data: sources replaced by datagen, sinks collected — nothing \
                    is written to real systems";

/// The screen's rows without panel borders, joined by spaces (wrapped text reads as one).
fn joined(screen: &str) -> String {
    screen
        .lines()
        .map(|l| l.trim_matches('│').trim())
        .collect::<Vec<_>>()
        .join(" ")
}

fn debug_event(request: u64, event: SqlDebugEvent) -> Msg {
    Msg::Worker(WorkerReply::SqlDebug { request, event })
}

fn debug_row(request: u64, sink: &str, kind: &str, values: &[&str]) -> Msg {
    debug_event(
        request,
        SqlDebugEvent::Row {
            sink: sink.into(),
            kind: kind.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        },
    )
}

/// F6: the one `DebugSql` it sends (the buffer, the app and its cluster, 10 s, 200 rows).
fn start_debug(app: &mut App) -> u64 {
    let reqs = requests(&app.update(code(KeyCode::F(6))));
    let [WorkerRequest::DebugSql {
        request,
        app: name,
        cluster,
        sql,
        seconds,
        rows,
    }] = &reqs[..]
    else {
        panic!("{reqs:?}")
    };
    assert_eq!(name.as_deref(), Some("orders"));
    assert_eq!(cluster.as_deref(), Some("prod"));
    assert_eq!(sql, SCRIPT);
    assert_eq!((*seconds, *rows), (10, 200));
    *request
}

/// A run with two sinks: `order_totals` (12 rows, an update among them) and `alerts` (2 rows).
fn two_sink_run(app: &mut App, request: u64) {
    app.update(debug_event(
        request,
        SqlDebugEvent::Started { note: NOTE.into() },
    ));
    app.update(debug_event(
        request,
        SqlDebugEvent::Replaced {
            table: "order".into(),
            connector: "kafka".into(),
        },
    ));
    app.update(debug_event(
        request,
        SqlDebugEvent::Sink {
            sink: "order_totals".into(),
            columns: vec!["id".into(), "total".into(), "note".into()],
        },
    ));
    app.update(debug_event(
        request,
        SqlDebugEvent::Sink {
            sink: "alerts".into(),
            columns: vec!["id".into(), "reason".into()],
        },
    ));
    for i in 1..=10 {
        let (id, total) = (i.to_string(), format!("{}.50", i * 10));
        app.update(debug_row(
            request,
            "order_totals",
            "+I",
            &[&id, &total, "it's"],
        ));
    }
    app.update(debug_row(
        request,
        "order_totals",
        "-U",
        &["3", "30.50", "it's"],
    ));
    app.update(debug_row(
        request,
        "order_totals",
        "+U",
        &["3", "61.00", "doubled"],
    ));
    app.update(debug_row(request, "alerts", "+I", &["7", "price above 50"]));
    app.update(debug_row(request, "alerts", "-D", &["7", "price above 50"]));
}

#[test]
fn editor_debug_run_with_two_sinks() {
    let mut app = editor_app(Theme::plain(), 100, 34);
    let request = start_debug(&mut app);
    let s = render(&app, 100, 34);
    assert!(s.contains("starting a debug run on fake data"), "{s}");
    assert!(s.contains("waiting for rows…"), "{s}");
    two_sink_run(&mut app, request);
    let s = render(&app, 100, 34);
    assert!(joined(&s).contains(NOTE), "the note is on screen:\n{s}");
    assert!(s.contains("running… 14 rows so far"), "{s}");
    insta::assert_snapshot!("editor_debug_running", s);
    // Done; tab shows the other sink.
    app.update(debug_event(
        request,
        SqlDebugEvent::Done {
            ok: true,
            rows: 14,
            stopped: "time".into(),
        },
    ));
    assert!(render(&app, 100, 34).contains("done: 14 rows (stopped: time)"));
    app.update(code(KeyCode::Tab));
    let s = render(&app, 100, 34);
    assert!(s.contains("price above 50"), "{s}");
    insta::assert_snapshot!("editor_debug_done_second_sink", s);
    // Back to the first sink; the page shows the first rows, j scrolls, G the newest.
    app.update(code(KeyCode::BackTab));
    let s = render(&app, 100, 34);
    assert!(s.contains("rows 1-"), "{s}");
    app.update(key('G'));
    let s = render(&app, 100, 34);
    assert!(s.contains("doubled") && s.contains("of 12"), "{s}");
    app.update(key('g'));
    app.update(key('j'));
    assert!(render(&app, 100, 34).contains("rows 2-"));
    // F6 again closes it: the text has the whole body.
    app.update(code(KeyCode::F(6)));
    let s = render(&app, 100, 34);
    assert!(!s.contains("Debug run"), "{s}");
    assert!(s.contains("NORMAL"), "{s}");
}

#[test]
fn editor_debug_run_failure_and_problems() {
    let (mut theme, mut names) = editor_theme();
    theme.error = Style::default().fg(Color::Indexed(14));
    names.push((Color::Indexed(14), "theme-error"));
    let mut app = editor_app(theme, 100, 32);
    let request = start_debug(&mut app);
    app.update(debug_event(
        request,
        SqlDebugEvent::Started { note: NOTE.into() },
    ));
    app.update(debug_event(
        request,
        SqlDebugEvent::Problem(SqlProblem::new(
            3,
            12,
            61,
            ProblemSeverity::Error,
            "Column 'id' not found in any table".into(),
        )),
    ));
    app.update(debug_event(
        request,
        SqlDebugEvent::Failed {
            reason: "the script has errors: nothing was run\nsee the problems list".into(),
        },
    ));
    let buf = draw(&app, 100, 32);
    let s = buffer_text(&buf);
    insta::assert_snapshot!("editor_debug_failed", s);
    assert!(joined(&s).contains(NOTE), "{s}");
    assert!(s.contains("debug run: 1 error, 0 warnings"), "{s}");
    let runs = runs_by_fg(&buf, &names);
    assert!(
        runs.contains("theme-error \"failed: the script has errors: nothing was run\""),
        "{runs}"
    );
    assert!(
        runs.contains("theme-error \"see the problems list\""),
        "{runs}"
    );
    // The problem is in the gutter and the list: P from the panel (esc returns to it), Enter
    // jumps to it.
    assert!(runs.contains("row 12: error \"E\""), "{runs}");
    app.update(key('P'));
    app.update(code(KeyCode::Esc));
    assert!(render(&app, 100, 32).contains("r run again"));
    app.update(key('P'));
    app.update(code(KeyCode::Enter));
    let s = render(&app, 100, 32);
    assert!(s.contains("│ 12:61 of 12"), "{s}");
    assert!(s.contains("Debug run"), "the panel stays open: {s}");
    // F6 with the text unchanged goes back to the panel; r there runs it again.
    assert_eq!(requests(&app.update(code(KeyCode::F(6)))), vec![]);
    let reqs = requests(&app.update(key('r')));
    let [WorkerRequest::DebugSql { request: again, .. }] = &reqs[..] else {
        panic!("r runs it again: {reqs:?}")
    };
    assert_ne!(*again, request);
    // From the text, once it changed, F6 runs the new text.
    app.update(key('P'));
    app.update(code(KeyCode::Enter));
    app.update(key('x'));
    let reqs = requests(&app.update(code(KeyCode::F(6))));
    assert!(
        matches!(&reqs[..], [WorkerRequest::DebugSql { request: r, sql, .. }] if r != again && sql.contains("WHERE d > ")),
        "{reqs:?}"
    );
}

#[test]
fn editor_debug_events_of_other_runs_are_dropped() {
    let mut app = editor_app(Theme::plain(), 100, 30);
    let first = start_debug(&mut app);
    // :debug 30 replaces the run.
    app.update(code(KeyCode::Esc));
    app.update(key(':'));
    type_str(&mut app, "debug 30");
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let [WorkerRequest::DebugSql {
        request: second,
        seconds: 30,
        rows: 200,
        ..
    }] = &reqs[..]
    else {
        panic!("{reqs:?}")
    };
    assert_ne!(first, *second);
    let before = render(&app, 100, 30);
    app.clear_dirty();
    for m in [
        debug_event(first, SqlDebugEvent::Started { note: NOTE.into() }),
        debug_row(first, "out", "+I", &["stale"]),
        debug_event(
            first,
            SqlDebugEvent::Failed {
                reason: "old".into(),
            },
        ),
        debug_row(second + 100, "out", "+I", &["unknown"]),
    ] {
        assert_eq!(app.update(m), vec![]);
    }
    assert!(!app.is_dirty(), "nothing changed");
    assert_eq!(render(&app, 100, 30), before);
    app.update(debug_row(*second, "out", "+I", &["fresh"]));
    let s = render(&app, 100, 30);
    assert!(s.contains("fresh") && !s.contains("stale"), "{s}");
    assert!(s.contains("at most 200 rows") && s.contains("30 s"), "{s}");
    // A bad :debug says how to write it.
    app.update(code(KeyCode::Esc));
    app.update(key(':'));
    type_str(&mut app, "debug soon");
    assert_eq!(requests(&app.update(code(KeyCode::Enter))), vec![]);
    assert!(render(&app, 100, 30).contains(":debug [seconds [rows]]"));
    // Closed: the run's later events are dropped.
    assert!(!render(&app, 100, 30).contains("Debug run"));
    app.clear_dirty();
    app.update(debug_row(*second, "out", "+I", &["late"]));
    assert!(!app.is_dirty());
}

#[test]
fn editor_debug_rows_are_bounded_per_sink() {
    let mut app = editor_app(Theme::plain(), 100, 30);
    let request = start_debug(&mut app);
    app.update(debug_event(
        request,
        SqlDebugEvent::Sink {
            sink: "out".into(),
            columns: vec!["n".into()],
        },
    ));
    for i in 0..1500 {
        app.update(debug_row(request, "out", "+I", &[&format!("row-{i}")]));
    }
    app.update(debug_row(request, "other", "+I", &["x"]));
    let s = render(&app, 100, 30);
    assert!(
        s.contains("out (1500)")
            && s.contains("rows 1-")
            && s.contains("of 1000 (the newest of 1500 received)"),
        "{s}"
    );
    assert!(s.contains("row-500") && !s.contains("row-499"), "{s}");
    app.update(key('G'));
    assert!(render(&app, 100, 30).contains("row-1499"));
    // The other sink keeps its own rows.
    app.update(code(KeyCode::Tab));
    let s = render(&app, 100, 30);
    assert!(s.contains("rows 1-1 of 1") && !s.contains("row-"), "{s}");
}

#[test]
fn editor_validation_in_flight_is_coalesced() {
    let mut app = editor_app(Theme::plain(), 100, 30);
    let reqs = requests(&app.update(ctrl('e')));
    let first = request_id(&reqs[0]);
    // Asked again with the same text: nothing more to do.
    assert_eq!(requests(&app.update(ctrl('e'))), vec![]);
    // The text changes; asking again (twice) waits for the one in flight.
    app.update(key('x'));
    assert_eq!(requests(&app.update(ctrl('e'))), vec![]);
    assert_eq!(requests(&app.update(ctrl('e'))), vec![]);
    assert!(render(&app, 100, 30).contains("validating… (again once done"));
    // Its answer is shown, and one more validation of the text as it is now goes out.
    app.update(key('x'));
    let reqs = requests(&app.update(Msg::Worker(WorkerReply::SqlValidated {
        request: first,
        result: Ok((vec![], 1800)),
    })));
    let [WorkerRequest::ValidateSql { request, sql, .. }] = &reqs[..] else {
        panic!("{reqs:?}")
    };
    assert_eq!(sql, &SCRIPT[2..], "the latest text");
    let fx = app.update(Msg::Worker(WorkerReply::SqlValidated {
        request: *request,
        result: Ok((vec![], 35)),
    }));
    assert_eq!(fx, vec![]);
    let s = render(&app, 100, 30);
    assert!(
        s.contains("validated in 35 ms: 0 errors, 0 warnings"),
        "{s}"
    );
    assert!(!s.contains("text changed since"), "{s}");
}

#[test]
fn editor_debug_panel_at_any_size() {
    let mut app = editor_app(Theme::default(), 100, 30);
    let request = start_debug(&mut app);
    two_sink_run(&mut app, request);
    app.update(debug_event(
        request,
        SqlDebugEvent::Failed {
            reason: "a long reason ".repeat(20),
        },
    ));
    for (w, h) in [
        (0u16, 0u16),
        (1, 1),
        (0, 5),
        (5, 0),
        (2, 3),
        (20, 6),
        (12, 4),
        (40, 12),
        (30, 9),
        (100, 30),
    ] {
        app.update(Msg::Resize(w, h));
        let _ = render(&app, w, h);
        for m in [
            key('j'),
            key('G'),
            key('l'),
            key('l'),
            key('l'),
            key('l'),
            code(KeyCode::Tab),
            key('h'),
            key('g'),
        ] {
            app.update(m);
            let _ = render(&app, w, h);
        }
    }
    // Columns scrolled right: the position says from which.
    for _ in 0..5 {
        app.update(key('h'));
    }
    assert!(!render(&app, 100, 30).contains("from column"));
    app.update(key('l'));
    let s = render(&app, 100, 30);
    assert!(s.contains("from column 2 of 3"), "{s}");
}

// ---- Kubernetes: discovered clusters, the clusters view, the pods tab -----------------------

fn k8s_ref(entry: &str, ns: &str, id: &str, flavor: ClusterFlavor) -> ClusterRef {
    ClusterRef {
        name: format!("{entry}/{ns}/{id}"),
        kind: "kubernetes".into(),
        url: format!("https://10.0.0.1:6443/api/v1/namespaces/{ns}/services/{id}-rest:rest/proxy"),
        location: Some(ClusterLocation {
            entry: entry.into(),
            namespace: ns.into(),
            cluster_id: id.into(),
            flavor,
        }),
        web_url: None,
    }
}

fn discovered(c: ClusterRef) -> Msg {
    Msg::Worker(WorkerReply::ClusterDiscovered { cluster: c })
}

fn polled_on(
    cluster: &str,
    generation: u64,
    health: ClusterHealth,
    jobs: Option<Vec<JobSummary>>,
    platform: Option<PlatformStatus>,
) -> Msg {
    Msg::Worker(WorkerReply::ClusterPolled {
        cluster: cluster.into(),
        generation,
        health,
        jobs: jobs.map(Into::into),
        platform,
    })
}

#[allow(clippy::too_many_arguments)]
fn pod(
    name: &str,
    role: PodRole,
    phase: &str,
    ready: bool,
    restarts: u32,
    reason: Option<&str>,
    last_termination: Option<&str>,
    containers: &[&str],
    age: i64,
) -> PodInfo {
    PodInfo {
        name: name.into(),
        role,
        phase: phase.into(),
        ready,
        restarts,
        reason: reason.map(Into::into),
        last_termination: last_termination.map(Into::into),
        node: Some("ip-10-1-2-3.ec2.internal".into()),
        containers: containers.iter().map(|c| c.to_string()).collect(),
        created_ms: Some(NOW - age),
    }
}

const MAIN: &str = "flink-main-container";

/// A native cluster whose TaskManager was OOM-killed once (and has a log shipper sidecar).
fn orders_platform() -> PlatformStatus {
    PlatformStatus {
        pods: vec![
            pod(
                "orders-taskmanager-1-2",
                PodRole::TaskManager,
                "Running",
                true,
                1,
                None,
                Some("OOMKilled (exit 137)"),
                &[MAIN, "fluent-bit"],
                3 * H,
            ),
            pod(
                "orders-7d9f8c6b5-x2x4k",
                PodRole::JobManager,
                "Running",
                true,
                0,
                None,
                None,
                &[MAIN],
                26 * H,
            ),
            pod(
                "orders-taskmanager-1-1",
                PodRole::TaskManager,
                "Running",
                true,
                0,
                None,
                None,
                &[MAIN],
                26 * H,
            ),
        ],
        operator: None,
        jobmanager_problem: None,
        yarn: None,
    }
}

fn payments_platform() -> PlatformStatus {
    PlatformStatus {
        pods: vec![
            pod(
                "payments-6b8c9d7f4-abcde",
                PodRole::JobManager,
                "Running",
                true,
                0,
                None,
                None,
                &[MAIN],
                2 * 24 * H,
            ),
            pod(
                "payments-taskmanager-1-1",
                PodRole::TaskManager,
                "Running",
                true,
                0,
                None,
                None,
                &[MAIN],
                2 * 24 * H,
            ),
        ],
        operator: Some(OperatorStatus {
            lifecycle_state: Some("STABLE".into()),
            jm_deployment_status: Some("READY".into()),
            job_state: Some("RUNNING".into()),
            job_id: Some("c3000000000000000000000000000001".into()),
            error: None,
            desired_state: Some("running".into()),
            flink_version: Some("v1_20".into()),
        }),
        jobmanager_problem: None,
        yarn: None,
    }
}

fn crashloop_platform() -> PlatformStatus {
    PlatformStatus {
        pods: vec![pod(
            "enrichment-pipeline-5c9d8-qq7zt",
            PodRole::JobManager,
            "Running",
            false,
            7,
            Some("CrashLoopBackOff"),
            Some("Error (exit 1)"),
            &[MAIN],
            25 * M,
        )],
        operator: Some(OperatorStatus {
            lifecycle_state: Some("DEPLOYED".into()),
            jm_deployment_status: Some("DEPLOYED_NOT_READY".into()),
            job_state: Some("RECONCILING".into()),
            job_id: None,
            error: Some(
                "org.apache.flink.configuration.IllegalConfigurationException: \
                 The configured Total Flink Memory is less than the JVM overhead\nat ..."
                    .into(),
            ),
            desired_state: Some("running".into()),
            flink_version: Some("v1_20".into()),
        }),
        jobmanager_problem: Some(
            "CrashLoopBackOff: pod enrichment-pipeline-5c9d8-qq7zt (7 restarts)".into(),
        ),
        yarn: None,
    }
}

const ORDERS: &str = "k8s-prod/streaming/orders";
const PAYMENTS: &str = "k8s-prod/streaming/payments";
const ENRICH: &str = "k8s-prod/etl/enrichment-pipeline-with-a-long-name";

/// A standalone cluster and a kubernetes entry: a native cluster, an operator application, a
/// crash-looping JobManager, the whole entry `k8s-dev` refused (401) and a namespace we may not
/// list.
fn k8s_app(opts: AppOptions) -> App {
    let mut app = new_app(&["prod"], Theme::plain(), opts);
    app.update(polled("prod", 1, live(0), Some(prod_jobs()[..2].to_vec())));
    app.update(discovered(k8s_ref(
        "k8s-prod",
        "streaming",
        "orders",
        ClusterFlavor::Native,
    )));
    app.update(discovered(k8s_ref(
        "k8s-prod",
        "streaming",
        "payments",
        ClusterFlavor::OperatorApplication,
    )));
    app.update(discovered(k8s_ref(
        "k8s-prod",
        "etl",
        "enrichment-pipeline-with-a-long-name",
        ClusterFlavor::OperatorApplication,
    )));
    let mut orders_jobs = vec![job(
        ORDERS,
        "d4000000000000000000000000000001",
        "orders-enrichment",
        JobState::Running,
        26 * H,
        None,
        (6, 6),
        cp(CheckpointStatus::Completed, 12 * S, false),
        Some(1),
    )];
    orders_jobs[0].cluster = String::new(); // filled in from the poll's cluster
    app.update(polled_on(
        ORDERS,
        1,
        ClusterHealth {
            flink_version: Some("1.20.1".into()),
            ..live(0)
        },
        Some(orders_jobs),
        Some(orders_platform()),
    ));
    app.update(polled_on(
        PAYMENTS,
        1,
        ClusterHealth {
            flink_version: Some("1.20.1".into()),
            ..live(0)
        },
        Some(vec![job(
            PAYMENTS,
            "c3000000000000000000000000000001",
            "payments-aggregation",
            JobState::Running,
            2 * 24 * H,
            None,
            (4, 4),
            cp(CheckpointStatus::Completed, 40 * S, false),
            Some(0),
        )]),
        Some(payments_platform()),
    ));
    app.update(polled_on(
        ENRICH,
        1,
        health(
            HealthStatus::Unreachable,
            Some("CrashLoopBackOff: pod enrichment-pipeline-5c9d8-qq7zt (7 restarts) (HTTP 503 server error)"),
            Some("CrashLoopBackOff: pod enrichment-pipeline-5c9d8-qq7zt (7 restarts)\nGET https://10.0.0.1:6443/api/v1/namespaces/etl/services/enrichment-pipeline-with-a-long-name-rest:rest/proxy/jobs/overview: HTTP 503 Service Unavailable\nno endpoints available for service \"enrichment-pipeline-with-a-long-name-rest\""),
            Some(20 * M),
        ),
        None,
        Some(crashloop_platform()),
    ));
    app.update(polled_on(
        "k8s-dev",
        1,
        health(
            HealthStatus::Unreachable,
            Some("401 Unauthorized"),
            Some("GET https://dev-api.example.com:6443/api/v1/namespaces/flink/pods: 401 Unauthorized\nthe kubeconfig's token for context dev-east was refused (expired?)"),
            None,
        ),
        None,
        None,
    ));
    app.update(polled_on(
        "k8s-prod/secret",
        1,
        health(
            HealthStatus::Unreachable,
            Some("403 Forbidden: cannot list pods in namespace secret"),
            Some("GET https://10.0.0.1:6443/api/v1/namespaces/secret/pods: 403 Forbidden\npods is forbidden: User \"ops\" cannot list resource \"pods\" in API group \"\" in the namespace \"secret\""),
            None,
        ),
        None,
        None,
    ));
    app
}

#[test]
fn k8s_jobs_view_names_and_discovery_problems() {
    let mut app = k8s_app(opts());
    app.update(Msg::Resize(120, 16));
    let wide = render(&app, 120, 16);
    assert!(wide.contains("k8s-prod/streaming/orders"), "{wide}");
    insta::assert_snapshot!("k8s_jobs_view", wide);
    // Narrow: the long name keeps its tail (the cluster id).
    app.update(Msg::Resize(80, 16));
    let narrow = render(&app, 80, 16);
    assert!(narrow.contains("…"), "{narrow}");
    insta::assert_snapshot!("k8s_jobs_view_80", narrow);
    // The cluster filter cycles through clusters, not through discovery problems.
    let mut seen = Vec::new();
    for _ in 0..6 {
        app.update(key('c'));
        let s = render(&app, 200, 16);
        let filter = s
            .lines()
            .find(|l| l.contains("│ cluster "))
            .map(|l| l.split("│ cluster ").nth(1).unwrap_or("").to_string());
        seen.push(filter.unwrap_or_default());
    }
    assert!(
        !seen
            .iter()
            .any(|s| s.starts_with("k8s-dev ") || s.starts_with("k8s-prod/secret")),
        "{seen:?}"
    );
}

#[test]
fn k8s_cluster_removed_takes_its_rows() {
    let mut app = k8s_app(opts());
    assert!(render(&app, 120, 16).contains("k8s-prod/streaming/payments payments-aggregation"));
    app.update(Msg::Worker(WorkerReply::ClusterRemoved {
        cluster: PAYMENTS.into(),
    }));
    app.update(Msg::Worker(WorkerReply::ClusterRemoved {
        cluster: "k8s-dev".into(),
    }));
    let s = render(&app, 120, 16);
    assert!(!s.contains("k8s-prod/streaming/payments"), "{s}");
    assert!(!s.contains("k8s-dev"), "{s}");
    assert!(s.contains("orders-enrichment"), "{s}");
}

#[test]
fn only_discovery_problems_say_so() {
    let mut app = new_app(&[], Theme::plain(), opts());
    assert!(render(&app, 80, 10).contains("waiting for the first poll"));
    app.update(polled_on(
        "k8s-dev",
        1,
        health(
            HealthStatus::Unreachable,
            Some("401 Unauthorized"),
            None,
            None,
        ),
        None,
        None,
    ));
    insta::assert_snapshot!("k8s_only_discovery_problem", render(&app, 80, 10));
}

/// A config without any cluster: the empty jobs table says how to add one.
#[test]
fn no_clusters_configured_says_where_to_add_one() {
    let app = new_app(
        &[],
        Theme::plain(),
        AppOptions {
            no_clusters: Some(
                "no clusters configured: add a [[clusters]] table to /home/u/.config/flinkdeck/config.toml"
                    .into(),
            ),
            ..opts()
        },
    );
    let s = render(&app, 120, 12);
    assert!(
        s.contains("no clusters configured: add a [[clusters]] table to /home/u/.config/flinkdeck/config.toml"),
        "{s}"
    );
    assert!(!s.contains("waiting for the first poll"), "{s}");
}

#[test]
fn clusters_view() {
    let mut app = k8s_app(opts());
    app.update(Msg::Resize(200, 16));
    app.update(key('K'));
    insta::assert_snapshot!("clusters_view", render(&app, 200, 16));
    // The crash-looping one: its platform problem below the table.
    app.update(key('j'));
    app.update(key('j'));
    app.update(key('j'));
    insta::assert_snapshot!("clusters_view_crashloop_selected", render(&app, 200, 16));
    // Narrower: the less important columns go first.
    app.update(Msg::Resize(120, 16));
    insta::assert_snapshot!("clusters_view_120", render(&app, 120, 16));
    // e: everything about it.
    app.update(Msg::Resize(100, 30));
    app.update(key('e'));
    insta::assert_snapshot!("clusters_view_crashloop_details", render(&app, 100, 30));
    app.update(code(KeyCode::Esc));
    // Enter on a discovery problem: what is wrong (there are no jobs to show).
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    insta::assert_snapshot!("clusters_view_unauthorized", render(&app, 100, 30));
    app.update(code(KeyCode::Esc));
    app.update(key('j'));
    app.update(key('e'));
    let s = render(&app, 100, 30);
    assert!(s.contains("Discovery: k8s-prod/secret"), "{s}");
    assert!(s.contains("cannot list resource"), "{s}");
    app.update(code(KeyCode::Esc));
    // Enter on a cluster: the jobs view, filtered to it.
    app.update(key('g'));
    app.update(key('j'));
    app.update(code(KeyCode::Enter));
    let s = render(&app, 120, 16);
    assert!(s.contains("cluster k8s-prod/streaming/orders"), "{s}");
    assert!(s.contains("1 of 4 jobs"), "{s}");
    assert!(
        s.contains("orders-enrichment") && !s.contains("payments-aggregation"),
        "{s}"
    );
    // K opens it on the selected job's cluster; K (or esc) goes back.
    app.update(key('K'));
    let s = render(&app, 200, 16);
    assert!(s.contains("> k8s-prod/streaming/orders"), "{s}");
    app.update(key('K'));
    assert!(render(&app, 120, 16).contains("Jobs ("));
    app.update(key('K'));
    app.update(code(KeyCode::Esc));
    assert!(render(&app, 120, 16).contains("Jobs ("));
}

#[test]
fn clusters_view_standalone_only_and_tiny() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(key('K'));
    insta::assert_snapshot!("clusters_view_standalone", render(&app, 110, 12));
    for (w, h) in [(0u16, 0u16), (1, 1), (20, 6), (30, 3), (40, 9)] {
        app.update(Msg::Resize(w, h));
        let _ = render(&app, w, h);
        app.update(key('j'));
        app.update(key('G'));
        let _ = render(&app, w, h);
    }
}

/// Opens orders-enrichment on the native cluster and goes to its Pods tab.
fn pods_tab(w: u16, h: u16) -> App {
    let mut app = k8s_app(opts());
    app.update(Msg::Resize(w, h));
    let reqs = open_job(&mut app, "streaming/orders");
    assert!(reqs
        .iter()
        .any(|r| matches!(r, WorkerRequest::LoadJobDetail { key, .. } if key.cluster == ORDERS)));
    answer(&mut app, reqs);
    for _ in 0..3 {
        let reqs = requests(&app.update(code(KeyCode::Tab)));
        assert!(reqs.is_empty(), "{reqs:?}");
    }
    app
}

fn pod_file(pod: &str, container: &str, name: LogName) -> LogFileRef {
    LogFileRef {
        source: LogSource::Pod {
            pod: pod.into(),
            container: container.into(),
        },
        name,
        size: Some(4_096),
        mtime: None,
    }
}

fn pod_tail(text: &str, archived: Option<i64>) -> LogTail {
    LogTail {
        text: text.into(),
        total_bytes: text.len() as u64,
        truncated: false,
        archived_at_ms: archived,
    }
}

#[test]
fn pods_tab_and_pod_logs() {
    let mut app = pods_tab(120, 20);
    insta::assert_snapshot!("pods_tab", render(&app, 120, 20));
    // l on the JobManager (one container): its log, in the logs tab, with the file list.
    let reqs = requests(&app.update(key('l')));
    let WorkerRequest::LoadLog {
        cluster,
        file,
        request,
        ..
    } = find(&reqs, |r| matches!(r, WorkerRequest::LoadLog { .. })).clone()
    else {
        unreachable!()
    };
    assert_eq!(cluster, ORDERS);
    assert_eq!(
        file.source,
        LogSource::Pod {
            pod: "orders-7d9f8c6b5-x2x4k".into(),
            container: MAIN.into()
        }
    );
    assert_eq!(file.name, LogName::Log);
    let reqs_first_list = request_id(find(
        &reqs,
        |r| matches!(r, WorkerRequest::LoadLogList { cluster, .. } if cluster == ORDERS),
    ));
    app.update(Msg::Worker(WorkerReply::LogLoaded {
        cluster: cluster.clone(),
        file,
        request,
        result: Ok(pod_tail(
            "2026-09-21 14:10:00,000 INFO  JobMaster [] - Job orders-enrichment switched to RUNNING.\n",
            None,
        )),
    }));
    let s = render(&app, 120, 20);
    assert!(
        s.contains("pod orders-7d9f8c6b5-x2x4k [flink-main-container] / log"),
        "{s}"
    );
    assert!(!s.contains("ARCHIVED"), "{s}");

    // Back to the pods; P on the OOM-killed TaskManager, which has two containers: a chooser.
    app.update(code(KeyCode::BackTab));
    app.update(key('G'));
    assert!(requests(&app.update(key('P'))).is_empty());
    insta::assert_snapshot!("pods_tab_container_chooser", render(&app, 120, 20));
    app.update(key('k')); // already on the first container
    let reqs = requests(&app.update(code(KeyCode::Enter)));
    let WorkerRequest::LoadLog {
        cluster,
        file,
        request,
        ..
    } = find(&reqs, |r| matches!(r, WorkerRequest::LoadLog { .. })).clone()
    else {
        unreachable!()
    };
    assert_eq!(
        file.source,
        LogSource::Pod {
            pod: "orders-taskmanager-1-2".into(),
            container: MAIN.into()
        }
    );
    assert_eq!(file.name, LogName::Previous);
    // The list the first `l` asked for arrives: the opened file is selected in it.
    let list_request = reqs_first_list;
    app.update(Msg::Worker(WorkerReply::LogListLoaded {
        cluster: cluster.clone(),
        request: list_request,
        result: Ok(vec![
            pod_file("orders-taskmanager-1-2", "fluent-bit", LogName::Log),
            pod_file("orders-taskmanager-1-2", MAIN, LogName::Previous),
            pod_file("orders-7d9f8c6b5-x2x4k", MAIN, LogName::Log),
            pod_file("orders-taskmanager-1-2", MAIN, LogName::Log),
            pod_file("orders-taskmanager-1-1", MAIN, LogName::Log),
        ]),
    }));
    // The pod was replaced since: the text comes from the archive.
    app.update(Msg::Worker(WorkerReply::LogLoaded {
        cluster,
        file,
        request,
        result: Ok(pod_tail(
            "2026-09-21 11:02:11,250 INFO  TaskExecutor [] - Heap: 1.2 GiB used of 1.5 GiB\n\
             2026-09-21 11:02:13,004 ERROR TaskExecutor [] - OutOfMemoryError: Java heap space\n\
             2026-09-21 11:02:13,010 INFO  TaskExecutor [] - Terminating TaskManager process.\n",
            Some(NOW - 3 * H),
        )),
    }));
    insta::assert_snapshot!("pods_previous_log_archived", render(&app, 120, 20));
}

#[test]
fn pods_tab_only_for_platform_clusters_and_no_panic() {
    // A standalone job has no Pods tab.
    let (app, _) = detail_app(Theme::plain(), 110, 20);
    assert!(!render(&app, 110, 20).contains("Pods"));
    let mut app = pods_tab(120, 20);
    assert!(render(&app, 120, 20).contains(" Pods "));
    app.update(key('G'));
    app.update(key('l')); // chooser open
    for (w, h) in [(0u16, 0u16), (1, 1), (20, 6), (30, 4), (44, 10), (60, 14)] {
        app.update(Msg::Resize(w, h));
        let _ = render(&app, w, h);
    }
    app.update(code(KeyCode::Esc)); // closes the chooser only
    for (w, h) in [(0u16, 0u16), (1, 1), (20, 6), (30, 4), (44, 10), (60, 14)] {
        app.update(Msg::Resize(w, h));
        let _ = render(&app, w, h);
        app.update(key('j'));
        let _ = render(&app, w, h);
    }
    app.update(Msg::Resize(120, 20));
    assert!(render(&app, 120, 20).contains(" Pods "));
    app.update(code(KeyCode::Esc));
    assert!(render(&app, 120, 20).contains("Jobs ("));
}

// ---- every screen and dialog at every size, resized while in use ----------------------------

/// Sizes from nothing through 20×5 to large, and odd ones in between.
const SWEEP_W: &[u16] = &[
    0, 1, 2, 3, 5, 8, 12, 19, 20, 21, 27, 33, 40, 52, 64, 80, 101, 132, 200,
];
const SWEEP_H: &[u16] = &[0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 16, 24, 37, 60];

/// Renders at every size (a resize before each), then leaves the app at 20×5.
fn sweep(app: &mut App, what: &str) {
    for &w in SWEEP_W {
        for &h in SWEEP_H {
            app.update(Msg::Resize(w, h));
            let _ = render(app, w, h);
        }
    }
    app.update(Msg::Resize(20, 5));
    let s = render(app, 20, 5);
    assert_eq!(s.lines().count(), 5, "{what} at 20×5:\n{s}");
}

/// Applies `msgs` one by one at a size that changes with every message (20×5 among them),
/// answering what they ask for, and renders after each.
fn drive(app: &mut App, msgs: Vec<Msg>) {
    let sizes = [(20u16, 5u16), (80, 24), (21, 6), (3, 2), (120, 40), (20, 5)];
    for (i, m) in msgs.into_iter().enumerate() {
        let (w, h) = sizes[i % sizes.len()];
        app.update(Msg::Resize(w, h));
        let reqs = requests(&app.update(m));
        for r in reqs {
            match r {
                WorkerRequest::LoadRestorePoints { app: a, request } => {
                    app.update(Msg::Worker(WorkerReply::RestorePointsLoaded {
                        app: a,
                        request,
                        result: Ok(restore_points()),
                    }));
                }
                WorkerRequest::LoadAudit { request, .. } => {
                    app.update(audit_loaded(request, Ok(audit_entries())));
                }
                WorkerRequest::SearchLog { request, .. } => {
                    app.update(Msg::Worker(WorkerReply::LogSearch {
                        request,
                        event: LogSearchEvent::Found(vec![LogMatch {
                            line: 2,
                            offset: 10,
                            text: "a match early in the file".into(),
                        }]),
                    }));
                }
                WorkerRequest::LoadLogWindow {
                    cluster,
                    file,
                    request,
                    ..
                } => {
                    app.update(Msg::Worker(WorkerReply::LogWindowLoaded {
                        cluster,
                        file,
                        request,
                        result: Ok(LogWindow {
                            text: "zero\none\na match early in the file\nthree\n".into(),
                            start_offset: 0,
                            first_line: 0,
                            scanned: 40,
                            at_end: false,
                        }),
                    }));
                }
                other => answer(app, vec![other]),
            }
        }
        let _ = render(app, w, h);
    }
}

/// Every view and dialog, reached through `Msg`/`Effect` only while the terminal is resized,
/// then drawn at every size down to nothing: no panic, and 20×5 always draws five rows.
#[test]
fn every_screen_and_dialog_at_every_size_and_resize() {
    type Scenario = (&'static str, fn() -> App, Vec<Msg>);
    let plain = || two_clusters(Theme::default(), opts());
    let managed = || managed_app(opts());
    fn unreachable() -> App {
        let mut app = two_clusters(Theme::default(), opts());
        app.update(polled(
            "staging",
            2,
            health(
                HealthStatus::Unreachable,
                Some("HTTP 503 server error"),
                Some(
                    "GET http://staging-jobmanager:8081/jobs/overview: HTTP 503\ncaused by: reset",
                ),
                Some(3 * M),
            ),
            None,
        ));
        app
    }
    let scenarios: Vec<Scenario> = vec![
        ("jobs", plain, vec![]),
        (
            "jobs filter typing",
            plain,
            vec![key('/'), key('o'), key('r')],
        ),
        (
            "jobs sorted and filtered",
            plain,
            vec![key('o'), key('O'), key('c'), key('t')],
        ),
        ("help", plain, vec![key('?'), key('j'), key('G')]),
        ("cluster error", unreachable, vec![key('e'), key('j')]),
        ("clusters view", plain, vec![key('K'), key('j')]),
        (
            "clusters view error",
            plain,
            vec![key('K'), key('j'), key('e')],
        ),
        ("audit", plain, vec![key('A'), key('j')]),
        (
            "audit entry",
            plain,
            vec![key('A'), key('j'), code(KeyCode::Enter)],
        ),
        ("detail overview", plain, vec![code(KeyCode::Enter)]),
        (
            "detail checkpoints",
            plain,
            vec![code(KeyCode::Enter), code(KeyCode::Tab), key('j')],
        ),
        (
            "detail exception stack trace",
            plain,
            vec![
                code(KeyCode::Enter),
                code(KeyCode::Tab),
                code(KeyCode::Tab),
                code(KeyCode::Enter),
            ],
        ),
        (
            "logs list",
            plain,
            vec![
                code(KeyCode::Enter),
                code(KeyCode::BackTab),
                key('h'),
                key('j'),
            ],
        ),
        (
            "logs content wrapped",
            plain,
            vec![
                code(KeyCode::Enter),
                code(KeyCode::BackTab),
                key('w'),
                key('k'),
            ],
        ),
        (
            "logs search typing",
            plain,
            vec![
                code(KeyCode::Enter),
                code(KeyCode::BackTab),
                key('/'),
                key('e'),
            ],
        ),
        (
            "logs whole-file search and jump",
            plain,
            vec![
                code(KeyCode::Enter),
                code(KeyCode::BackTab),
                key('/'),
                key('m'),
                code(KeyCode::Enter),
                key('n'),
            ],
        ),
        ("managed apps", managed, vec![key('j'), key('o')]),
        (
            "start dialog",
            managed,
            vec![
                key('/'),
                key('o'),
                key('r'),
                key('d'),
                code(KeyCode::Enter),
                key('s'),
                key('j'),
            ],
        ),
        (
            "stop confirm",
            managed,
            vec![
                key('/'),
                key('o'),
                key('r'),
                key('d'),
                code(KeyCode::Enter),
                key('S'),
            ],
        ),
        (
            "cancel confirm",
            managed,
            vec![key('/'), key('f'), key('r'), code(KeyCode::Enter), key('C')],
        ),
        (
            "savepoint",
            managed,
            vec![key('/'), key('f'), key('r'), code(KeyCode::Enter), key('p')],
        ),
        ("adopt prompt", managed, {
            let mut m = vec![key('/')];
            m.extend("fraud-detector".chars().map(key));
            m.extend([code(KeyCode::Enter), key('a'), key('z')]);
            m
        }),
        (
            "detail stop confirm",
            managed,
            vec![
                key('/'),
                key('o'),
                key('r'),
                key('d'),
                code(KeyCode::Enter),
                code(KeyCode::Enter),
                key('S'),
            ],
        ),
    ];
    for (what, make, msgs) in scenarios {
        let mut app = make();
        app.update(Msg::Resize(20, 5));
        drive(&mut app, msgs);
        sweep(&mut app, what);
    }
    // The actions panel, with actions running, done and failed.
    let mut app = managed_app(opts());
    with_actions(&mut app);
    sweep(&mut app, "actions panel");
    // The SQL editor, validated, with its problems listed.
    let mut app = editor_app(Theme::default(), 20, 5);
    let _ = render(&app, 20, 5);
    app.update(Msg::Resize(100, 30));
    validate(&mut app);
    sweep(&mut app, "editor");
}

/// Per-job detail is fetched within a budget: a row whose detail is older than one refresh shows
/// its age, dimmed, after the checkpoint (`·45s`); fresh detail shows nothing more.
#[test]
fn detail_age_shown_when_older_than_a_refresh() {
    let mut app = new_app(&["prod"], Theme::plain(), opts());
    let mut jobs = prod_jobs();
    jobs[0].detail_at_ms = Some(NOW - 45 * S); // older than the 5 s refresh
    jobs[1].detail_at_ms = Some(NOW - 2 * S); // fresh
    jobs[2].detail_at_ms = Some(NOW - 3 * M);
    app.update(polled("prod", 1, live(0), Some(jobs)));
    let screen = render(&app, 110, 14);
    insta::assert_snapshot!(screen);
    let line = |name: &str| {
        screen
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not on screen:\n{screen}"))
            .to_string()
    };
    assert!(line("orders-enrichment").contains("8s ok ·45s"), "{screen}");
    assert!(!line("payments-aggregation").contains('·'), "{screen}");
    assert!(line("fraud-detector").contains("·3m"), "{screen}");
    // Dimmed: drawn with the theme's dim style.
    let buf = draw(&app, 110, 14);
    let dim = app_theme_dim();
    let row = (0..buf.area.height)
        .find(|&y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .contains("orders-enrichment")
        })
        .expect("row");
    let dot = (0..buf.area.width)
        .find(|&x| buf[(x, row)].symbol() == "·")
        .expect("the age mark");
    assert_eq!(buf[(dot, row)].modifier, dim.add_modifier, "dimmed");
}

fn app_theme_dim() -> ratatui::style::Style {
    Theme::plain().dim
}

/// The console tells the pollers which jobs are on screen (selected first) whenever that
/// changes, and only then.
#[test]
fn focus_jobs_follow_the_screen() {
    let mut app = new_app(&["prod"], Theme::plain(), opts());
    let fx = app.update(polled("prod", 1, live(0), Some(prod_jobs())));
    let focus = |fx: &[Effect]| -> Option<Vec<String>> {
        fx.iter().find_map(|e| match e {
            Effect::Worker(WorkerRequest::FocusJobs { keys }) => {
                Some(keys.iter().map(|k| k.id.clone()).collect())
            }
            _ => None,
        })
    };
    let first = focus(&fx).expect("focus after the first poll");
    assert_eq!(first.len(), prod_jobs().len(), "{first:?}");
    render(&app, 110, 30);
    // Same screen: nothing new to say.
    assert_eq!(focus(&app.update(Msg::Tick { now_ms: NOW + S })), None);
    // Moving the selection puts the new row first.
    let fx = app.update(key('j'));
    let moved = focus(&fx).expect("focus after a move");
    assert_ne!(moved[0], first[0]);
    assert!(moved.contains(&first[0]));
}

/// `L` opens the live log of the newest running action (a Flink CLI submission streams its
/// output there): every progress line in order, following the newest line as more arrive until
/// the user scrolls up; `G` follows again; the outcome closes the log in its colour.
#[test]
fn action_log_follows_a_cli_submission() {
    let mut app = managed_app(opts());
    app.update(key('L'));
    assert!(
        render(&app, 110, 30).contains("no actions yet"),
        "{}",
        render(&app, 110, 30)
    );
    select(&mut app, "orders-enr");
    app.update(key('S'));
    let (_, stop) = run_actions(&app.update(key('y')))[0].clone();
    let progress = |app: &mut App, message: String| {
        app.update(Msg::Worker(WorkerReply::ActionProgress {
            request: stop,
            message,
        }));
    };
    progress(&mut app, "restore: savepoint file:/sp/savepoint-1".into());
    for i in 1..=40 {
        progress(&mut app, format!("flink: client log line {i}"));
    }
    app.update(key('L'));
    let screen = render(&app, 110, 30);
    insta::assert_snapshot!("action_log_following", screen);
    assert!(screen.contains("client log line 40"), "{screen}");
    // Following: the oldest lines are scrolled out.
    assert!(!screen.contains("restore: savepoint"), "{screen}");
    // Scrolled up, new lines do not move the view.
    app.update(key('k'));
    app.update(key('k'));
    progress(&mut app, "flink: client log line 41".into());
    let screen = render(&app, 110, 30);
    assert!(!screen.contains("client log line 41"), "{screen}");
    assert!(screen.contains("client log line 38"), "{screen}");
    // At the bottom it follows again, up to the outcome.
    app.update(key('G'));
    progress(&mut app, "flink: client log line 42".into());
    app.update(Msg::Worker(WorkerReply::ActionFinished {
        request: stop,
        outcome: ActionOutcome::Failed {
            reason: "the Flink CLI exited with 1: Could not deploy".into(),
        },
    }));
    let screen = render(&app, 110, 30);
    assert!(screen.contains("client log line 42"), "{screen}");
    assert!(
        screen.contains("failed: the Flink CLI exited with 1"),
        "{screen}"
    );
    // `L` again closes it.
    app.update(key('L'));
    assert!(!render(&app, 110, 30).contains("client log line 42"));
}

/// The row order of the jobs view, by job name.
fn row_names(app: &App) -> Vec<String> {
    let text = render(app, 160, 40);
    let names = prod_jobs()
        .into_iter()
        .chain(staging_jobs())
        .map(|j| j.name)
        .collect::<Vec<_>>();
    text.lines()
        .filter(|l| l.contains(" prod ") || l.contains(" staging "))
        .filter_map(|l| {
            names
                .iter()
                .filter(|n| l.contains(n.as_str()))
                .max_by_key(|n| n.len())
                .cloned()
        })
        .collect()
}

/// A poll that changes only what is not sorted on keeps the rows (the console skips the
/// re-sort then); one that changes the sorted value, a filtered state or the set of jobs
/// re-sorts and re-filters them.
#[test]
fn polls_resort_only_when_the_sorted_values_change() {
    let mut app = two_clusters(Theme::plain(), opts());
    let before = row_names(&app);
    // Same jobs, newer checkpoints and durations: the cluster/name order stands.
    let mut jobs = prod_jobs();
    for j in &mut jobs {
        j.duration_ms += 5_000;
        j.last_checkpoint = cp(CheckpointStatus::Completed, 1_000, false);
    }
    app.update(polled("prod", 2, live(0), Some(jobs.clone())));
    assert_eq!(row_names(&app), before);
    // Sorted by restarts: a restart count that grows moves its job.
    for _ in 0..7 {
        app.update(key('o'));
    }
    let by_restarts = row_names(&app);
    let moved = "orders-enrichment".to_string();
    assert_ne!(by_restarts.last(), Some(&moved), "{by_restarts:?}");
    let i = jobs
        .iter()
        .position(|j| j.name == moved)
        .expect("a prod job");
    jobs[i].restarts = Some(1_000);
    app.update(polled("prod", 3, live(0), Some(jobs.clone())));
    let after = row_names(&app);
    assert_eq!(after.last(), Some(&moved), "{after:?}");
    assert_eq!(after.len(), by_restarts.len());
    // Filtered on RUNNING: a job that stops running leaves the list at the next poll.
    app.update(key('/'));
    type_str(&mut app, "running");
    app.update(code(KeyCode::Enter));
    let running = row_names(&app);
    let k = jobs
        .iter()
        .position(|j| j.state == JobState::Running)
        .expect("a running prod job");
    let gone = jobs[k].name.clone();
    assert!(running.contains(&gone), "{running:?}");
    jobs[k].state = JobState::Restarting;
    app.update(polled("prod", 4, live(0), Some(jobs)));
    let now_running = row_names(&app);
    assert!(!now_running.contains(&gone), "{now_running:?}");
    assert_eq!(now_running.len(), running.len() - 1);
}

// ---- drift ------------------------------------------------------------------------------------

/// `orders` (job a1…01 on prod) runs another jar and parallelism than its definition says.
fn drift_checked() -> Msg {
    use flinkdeck::domain::drift::{AppDrift, Drift};
    let d = |field: &str, running: &str, defined: &str| Drift {
        app: "orders".into(),
        field: field.into(),
        running: running.into(),
        defined: defined.into(),
        source: "rest".into(),
        cluster: "prod".into(),
        job_id: "a1000000000000000000000000000001".into(),
    };
    Msg::Worker(WorkerReply::DriftChecked {
        drift: vec![
            (
                "orders".into(),
                AppDrift::Compared(vec![
                    d(
                        "artifact",
                        "5f0c3a9e1b2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
                        "9a8b7c6d5e4f30211203a4b5c6d7e8f9aabbccddeeff00112233445566778899",
                    ),
                    d("parallelism", "2", "4"),
                ]),
            ),
            ("payments".into(), AppDrift::Compared(vec![])),
            ("fraud-v2".into(), AppDrift::NotRunning),
        ],
    })
}

#[test]
fn jobs_view_marks_drifted_apps() {
    let mut app = managed_app(opts());
    let before = render(&app, 110, 26);
    assert!(!before.contains("≠drift"), "{before}");
    app.update(drift_checked());
    let screen = render(&app, 110, 26);
    // Only the drifted app's job row carries the marker, in the theme's warning colour.
    assert_eq!(screen.matches("≠drift").count(), 1, "{screen}");
    let line = screen
        .lines()
        .find(|l| l.contains("≠drift"))
        .expect("marked row");
    assert!(line.contains("orders"), "{line}");
    let mut colored = two_clusters(Theme::default(), opts());
    colored.update(apps_loaded());
    colored.update(drift_checked());
    let buf = draw(&colored, 110, 26);
    let warning = Theme::default().warning.fg.expect("a warning colour");
    let marked = (0..buf.area.height).any(|y| {
        (0..buf.area.width).any(|x| {
            let c = &buf[(x, y)];
            c.symbol() == "≠" && c.fg == warning
        })
    });
    assert!(marked, "the marker is not drawn in the warning colour");
    insta::assert_snapshot!(screen);
}

#[test]
fn detail_overview_shows_the_drift() {
    let mut app = two_clusters(Theme::plain(), opts());
    app.update(Msg::Resize(110, 22));
    app.update(apps_loaded());
    app.update(drift_checked());
    let reqs = open_job(&mut app, "orders-enrichment");
    answer(&mut app, reqs);
    let screen = render(&app, 110, 22);
    assert!(
        screen.contains("artifact: running 5f0c3a9e1b2d…, defined 9a8b7c6d5e4f… (rest)"),
        "{screen}"
    );
    assert!(
        screen.contains("parallelism: running 2, defined 4 (rest)"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}
