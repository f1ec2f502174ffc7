//! TUI snapshots (insta, text of a `TestBackend` buffer) and `update()` unit tests, through the
//! library's public API only. Volatile values are fixed: `NOW` is a constant, every timestamp is
//! relative to it, and wall-clock times are formatted in UTC.

use std::sync::Once;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flinkdeck::domain::*;
use flinkdeck::tui::keymap::Keymap;
use flinkdeck::tui::theme::Theme;
use flinkdeck::tui::{App, AppOptions, Effect, Msg};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Style};
use ratatui::text::Span;
use ratatui::Terminal;

/// 2026-09-21 14:13:20 UTC.
const NOW: i64 = 1_790_000_000_000;
const S: i64 = 1_000;
const M: i64 = 60 * S;
const H: i64 = 60 * M;

fn utc() {
    static TZ: Once = Once::new();
    // Wall-clock times are formatted in local time: make "local" UTC for every test.
    TZ.call_once(|| std::env::set_var("TZ", "UTC"));
}

// ---- rendering helpers --------------------------------------------------------------------

/// The buffer as text: one line per row, trailing spaces trimmed, wide symbols counted once.
fn buffer_text(buf: &Buffer) -> String {
    let w = buf.area.width as usize;
    let mut out = String::new();
    if w == 0 {
        return out;
    }
    for row in buf.content.chunks(w) {
        let mut line = String::new();
        let mut skip = 0usize;
        for cell in row {
            if skip == 0 {
                line.push_str(cell.symbol());
            }
            skip = skip.max(Span::raw(cell.symbol()).width()).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn draw(app: &App, w: u16, h: u16) -> Buffer {
    utc();
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| app.draw(f)).expect("draw");
    term.backend().buffer().clone()
}

fn render(app: &App, w: u16, h: u16) -> String {
    buffer_text(&draw(app, w, h))
}

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
    }
}

fn cluster(name: &str) -> ClusterRef {
    ClusterRef {
        name: name.into(),
        kind: "standalone".into(),
        url: format!("http://{name}-jobmanager:8081"),
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
        jobs,
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

fn key(c: char) -> Msg {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

fn code(c: KeyCode) -> Msg {
    let mods = if c == KeyCode::BackTab {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Msg::Key(KeyEvent::new(c, mods))
}

fn type_str(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(key(c));
    }
}

fn requests(fx: &[Effect]) -> Vec<WorkerRequest> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Worker(r) => Some(r.clone()),
            Effect::Quit => None,
        })
        .collect()
}

fn request_id(r: &WorkerRequest) -> u64 {
    match r {
        WorkerRequest::RefreshAll => 0,
        WorkerRequest::LoadJobDetail { request, .. }
        | WorkerRequest::LoadCheckpoints { request, .. }
        | WorkerRequest::LoadExceptions { request, .. }
        | WorkerRequest::LoadLogList { request, .. }
        | WorkerRequest::LoadLog { request, .. }
        | WorkerRequest::RunAction { request, .. }
        | WorkerRequest::LoadRestorePoints { request, .. } => *request,
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
                    }),
                }
            }
            WorkerRequest::RefreshAll
            | WorkerRequest::RunAction { .. }
            | WorkerRequest::LoadRestorePoints { .. } => continue,
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
    app.update(Msg::Resize(80, 80));
    app.update(key('?'));
    // Tall enough for every binding of every context.
    insta::assert_snapshot!("help_all_bindings", render(&app, 80, 80));
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
    // While typing, `q` is text, not quit.
    assert_eq!(app.update(key('q')), vec![]);
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
    // Sorting by APP puts the managed rows first.
    for _ in 0..7 {
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
    app.update(key('o')); // back to CLUSTER
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
    app.update(Msg::Resize(90, 90));
    app.update(key('?'));
    insta::assert_snapshot!("help_read_only", render(&app, 90, 90));
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
