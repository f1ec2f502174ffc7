//! Messages between the UI task and the workers: requests out, stamped replies back.
//!
//! Every reply carries the stamp of the request it answers (a `generation` for cluster polls, a
//! `request` id for on-demand loads) so the UI can drop replies that no longer match the screen.

use super::app::{
    ActionOutcome, ActionRequest, AppSummary, AppVersion, AuditEntry, RestorePoint, Run,
};
use super::build::{AppBuilds, BuildLogEvent};
use super::checkpoint::{CheckpointEntry, CheckpointStats};
use super::health::ClusterHealth;
use super::job::{JobDetail, JobExceptions, JobKey, JobSummary};
use super::logs::{LogFileRef, LogSearchEvent, LogTail, LogWindow};
use super::sql::SqlDebugEvent;
use super::sql::SqlProblem;

/// What the UI asks the workers for.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerRequest {
    /// Poll every cluster now instead of waiting for the next tick.
    RefreshAll,
    /// Add and remove local tags of the unmanaged job named `job_name` on `cluster` (stored in
    /// the local database, audited; answered with `JobTagsLoaded`).
    EditJobTags {
        cluster: String,
        job_name: String,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// The jobs the console shows now, the selected one first: the pollers spend their
    /// per-job detail budget on these first. Replaces the previous set.
    FocusJobs {
        keys: Vec<JobKey>,
    },
    LoadJobDetail {
        key: JobKey,
        request: u64,
    },
    LoadCheckpoints {
        key: JobKey,
        request: u64,
    },
    LoadExceptions {
        key: JobKey,
        request: u64,
    },
    /// List the log files of the cluster's JobManager and TaskManagers.
    LoadLogList {
        cluster: String,
        request: u64,
    },
    /// Fetch the tail of one file, at most `max_bytes`.
    LoadLog {
        cluster: String,
        file: LogFileRef,
        max_bytes: usize,
        request: u64,
    },
    /// Search the whole file for `pattern` (ASCII case-insensitive), streaming it through:
    /// `LogSearch` replies with the same `request` (progress, matches in bounded batches, done).
    /// A newer search replaces a running one (only the latest runs).
    SearchLog {
        cluster: String,
        file: LogFileRef,
        pattern: String,
        request: u64,
    },
    /// The lines around byte `offset` (the start of line `line`) of a file: at most `max_bytes`.
    LoadLogWindow {
        cluster: String,
        file: LogFileRef,
        offset: u64,
        line: u64,
        max_bytes: usize,
        request: u64,
    },
    /// Run a mutating action (start, stop, savepoint, cancel); progress and the outcome come
    /// back as `ActionProgress` / `ActionFinished` with the same `request`.
    RunAction {
        action: ActionRequest,
        request: u64,
    },
    /// The restore choices of an app for the start dialog (newest first).
    LoadRestorePoints {
        app: String,
        request: u64,
    },
    /// The newest `limit` entries of the audit trail (newest first).
    LoadAudit {
        request: u64,
        limit: usize,
    },
    /// Alert incidents, open ones first (newest first), then recently closed, at most `limit`,
    /// with their deliveries.
    LoadIncidents {
        request: u64,
        limit: usize,
    },
    /// Mute or acknowledge incident `id` (refused in read-only mode; audited either way).
    QuietIncident {
        request: u64,
        id: i64,
        how: super::incident::Quiet,
    },
    /// Every version of an app (newest first) and its latest run (for the SQL editor).
    LoadAppVersions {
        app: String,
        request: u64,
    },
    /// Save `sql` as a new version of the app: a copy of the current spec with this script,
    /// authored by the user running flinkdeck. Refused when the app's current version is no
    /// longer `base_version` (someone else saved in between) or in read-only mode.
    SaveAppVersion {
        app: String,
        sql: String,
        message: Option<String>,
        base_version: u32,
        request: u64,
    },
    /// Check a script with Flink's planner (the version of `cluster`, or of `app`'s cluster).
    ValidateSql {
        request: u64,
        app: Option<String>,
        cluster: Option<String>,
        sql: String,
    },
    /// Run the script on fake data (sources on datagen, sinks collected) in a local mini cluster
    /// for at most `seconds` and `rows`; events come back as `SqlDebug` replies.
    DebugSql {
        request: u64,
        app: Option<String>,
        cluster: Option<String>,
        sql: String,
        seconds: u32,
        rows: u32,
    },
    /// The apps with builds and the newest `per_app` builds of each (the Builds view).
    LoadBuilds {
        request: u64,
        per_app: usize,
    },
    /// Build `app` at its `[build] ref`; progress and the outcome come back as
    /// `ActionProgress` / `ActionFinished` with the same `request`.
    RunBuild {
        app: String,
        request: u64,
    },
    /// The plan of an upgrade of `app` to its current version (no rebuild), answered with
    /// `UpgradePlan`.
    PreviewUpgrade {
        app: String,
        request: u64,
    },
    /// Upgrade `app` (stop with savepoint, start the current version from it, health window,
    /// rollback if unhealthy); answered like `RunBuild`.
    RunUpgrade {
        app: String,
        request: u64,
    },
    /// Cancel the running build `build` of `app` (started by this console or by another
    /// process); answered like `RunBuild`.
    CancelBuild {
        app: String,
        build: i64,
        request: u64,
    },
    /// Follow the log file `log` of build `build`: its tail, then every new line, as
    /// `BuildLog` replies with this `request`. Replaces the log followed before.
    FollowBuildLog {
        build: i64,
        log: String,
        request: u64,
    },
    /// Stop following the build log.
    UnfollowBuildLog,
}

/// What the workers report back. Replies are moved once through a channel, so the size
/// difference between variants costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerReply {
    /// One poll of one cluster. `jobs` is `None` when the job list could not be read: the UI
    /// keeps what it had and marks it stale. The list is shared with the store's round (one
    /// copy of 1,000 jobs per poll, not two).
    ClusterPolled {
        cluster: String,
        generation: u64,
        health: ClusterHealth,
        jobs: Option<std::sync::Arc<Vec<JobSummary>>>,
        /// What the platform says (pods, operator status); `None` for standalone clusters.
        platform: Option<super::platform::PlatformStatus>,
    },
    /// A cluster that discovery found (it is then polled like any other).
    ClusterDiscovered {
        cluster: super::health::ClusterRef,
    },
    /// A cluster (or discovery problem) that is gone: its rows leave the screen.
    ClusterRemoved {
        cluster: String,
    },
    JobDetailLoaded {
        key: JobKey,
        request: u64,
        result: Result<JobDetail, String>,
    },
    /// Live statistics plus the history the store kept (newest first).
    CheckpointsLoaded {
        key: JobKey,
        request: u64,
        result: Result<(CheckpointStats, Vec<CheckpointEntry>), String>,
    },
    ExceptionsLoaded {
        key: JobKey,
        request: u64,
        result: Result<JobExceptions, String>,
    },
    LogListLoaded {
        cluster: String,
        request: u64,
        result: Result<Vec<LogFileRef>, String>,
    },
    LogLoaded {
        cluster: String,
        file: LogFileRef,
        request: u64,
        result: Result<LogTail, String>,
    },
    LogSearch {
        request: u64,
        event: LogSearchEvent,
    },
    LogWindowLoaded {
        cluster: String,
        file: LogFileRef,
        request: u64,
        result: Result<LogWindow, String>,
    },
    /// Every local job tag: (cluster, job name, tags); sent with the apps and after an edit
    /// (`message` then says what changed, or why nothing did).
    JobTagsLoaded {
        tags: Vec<(String, String, Vec<String>)>,
        message: Option<Result<String, String>>,
    },
    /// The managed apps, and which job belongs to which app (sent after every poll round).
    AppsLoaded {
        apps: Vec<AppSummary>,
        job_apps: Vec<(JobKey, String)>,
    },
    /// The drift of every managed app (running job vs current definition), by app name;
    /// computed on a slow cadence and when an app's version or running job changes.
    DriftChecked {
        drift: Vec<(String, super::drift::AppDrift)>,
    },
    /// A step of a running action, e.g. `savepoint triggered (trigger 1a2b…)`.
    ActionProgress {
        request: u64,
        message: String,
    },
    ActionFinished {
        request: u64,
        outcome: ActionOutcome,
    },
    RestorePointsLoaded {
        app: String,
        request: u64,
        result: Result<Vec<RestorePoint>, String>,
    },
    AuditLoaded {
        request: u64,
        result: Result<Vec<AuditEntry>, String>,
    },
    IncidentsLoaded {
        request: u64,
        result: Result<Vec<super::alerts::IncidentRecord>, String>,
    },
    /// How a mute or acknowledgement of incident `id` ended.
    IncidentQuieted {
        request: u64,
        id: i64,
        outcome: ActionOutcome,
    },
    /// The open incidents (`open`) and how many of them are neither muted nor acknowledged
    /// (`unquiet`); sent when that changes (for the header badge).
    OpenIncidents {
        open: u32,
        unquiet: u32,
    },
    /// The versions of an app (newest first) and its latest run, whose `version` is the one
    /// running (or that ran last).
    AppVersionsLoaded {
        app: String,
        request: u64,
        result: Result<Vec<AppVersion>, String>,
        latest_run: Option<Run>,
    },
    /// The version the save produced (the current one, unchanged, when the script was the same).
    AppVersionSaved {
        app: String,
        request: u64,
        result: Result<u32, String>,
    },
    /// The problems found and how long the validation took (ms).
    SqlValidated {
        request: u64,
        result: Result<(Vec<SqlProblem>, u64), String>,
    },
    SqlDebug {
        request: u64,
        event: SqlDebugEvent,
    },
    /// The plan of an upgrade (its numbered steps), or why there is none.
    UpgradePlan {
        app: String,
        request: u64,
        result: Result<Vec<String>, String>,
    },
    BuildsLoaded {
        request: u64,
        result: Result<Vec<AppBuilds>, String>,
    },
    BuildLog {
        request: u64,
        event: BuildLogEvent,
    },
}
