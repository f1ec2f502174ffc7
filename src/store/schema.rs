//! Schema migrations. Append-only: never edit a released step, add a new one.
//!
//! `PRAGMA user_version` holds how many steps a database has had. Each step runs in its own
//! transaction together with the version bump.
//!
//! Room for later steps: managed applications (`applications`, `application_versions`), their
//! runs (`runs`: application version, cluster, job id, restored-from path), the operations journal
//! (`operations`: savepoint/stop/start with trigger ids, journaled before the request is sent)
//! and an audit trail (`audit`). They reference `jobs_seen`/`checkpoints` by
//! `(cluster, job_id)`, which is why those are the natural keys here.

/// Every migration step, in order. Step `n` (0-based) moves a database to version `n + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: clusters and jobs seen, checkpoint history, cluster health changes, metadata.
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

    -- One row per cluster: when its job list was last recorded (an empty list counts too).
    CREATE TABLE clusters_seen (
        cluster      TEXT    PRIMARY KEY,
        last_jobs_at INTEGER NOT NULL,
        job_count    INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE jobs_seen (
        cluster              TEXT    NOT NULL,
        job_id               TEXT    NOT NULL,
        name                 TEXT    NOT NULL,
        state                TEXT    NOT NULL,
        start_time           INTEGER NOT NULL,
        end_time             INTEGER,
        duration_ms          INTEGER NOT NULL DEFAULT 0,
        last_modification    INTEGER NOT NULL DEFAULT 0,
        tasks_running        INTEGER NOT NULL DEFAULT 0,
        tasks_total          INTEGER NOT NULL DEFAULT 0,
        restarts             INTEGER,
        last_cp_id           INTEGER,
        last_cp_status       TEXT,
        last_cp_completed_at INTEGER,
        last_cp_path         TEXT,
        last_cp_is_savepoint INTEGER,
        first_seen           INTEGER NOT NULL,
        last_seen            INTEGER NOT NULL,
        PRIMARY KEY (cluster, job_id)
    ) WITHOUT ROWID;
    CREATE INDEX jobs_seen_by_last_seen ON jobs_seen (cluster, last_seen);
    CREATE INDEX jobs_seen_by_job_id ON jobs_seen (job_id);

    CREATE TABLE checkpoints (
        cluster          TEXT    NOT NULL,
        job_id           TEXT    NOT NULL,
        job_name         TEXT,
        checkpoint_id    INTEGER NOT NULL,
        kind             TEXT    NOT NULL CHECK (kind IN ('checkpoint', 'savepoint')),
        status           TEXT    NOT NULL CHECK (status IN ('COMPLETED', 'FAILED', 'IN_PROGRESS')),
        checkpoint_type  TEXT,
        trigger_ts       INTEGER NOT NULL,
        completed_at     INTEGER,
        duration_ms      INTEGER,
        size_bytes       INTEGER,
        state_size_bytes INTEGER,
        external_path    TEXT,
        failure_message  TEXT,
        num_subtasks     INTEGER,
        num_acknowledged INTEGER,
        recorded_at      INTEGER NOT NULL,
        UNIQUE (cluster, job_id, checkpoint_id, kind)
    );
    CREATE INDEX checkpoints_by_job_id ON checkpoints (job_id, checkpoint_id);
    CREATE INDEX checkpoints_by_path ON checkpoints (external_path);

    CREATE TABLE health_events (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        cluster       TEXT    NOT NULL,
        at_ms         INTEGER NOT NULL,
        status        TEXT    NOT NULL,
        reason        TEXT,
        detail        TEXT,
        flink_version TEXT
    );
    CREATE INDEX health_events_by_cluster ON health_events (cluster, id);",
];

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;
