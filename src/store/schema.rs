//! Schema migrations. Append-only: never edit a released step, add a new one.
//!
//! `PRAGMA user_version` holds how many steps a database has had. Each step runs in its own
//! transaction together with the version bump.
//!
//! Step 2 adds managed applications (`apps`, `app_versions`), their runs (`runs`: app version,
//! cluster, job id, restored-from path), the operations journal (`operations`: start, stop,
//! savepoint, cancel with trigger ids, written before the request is sent) and the audit trail
//! (`audit`). Runs reference `jobs_seen`/`checkpoints` by `(cluster, job_id)`, which is why those
//! are the natural keys there.
//!
//! Kinds and statuses are plain text without CHECK constraints, so a later version can add values
//! without rebuilding tables; readers reject values they do not know.

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
    // 2: managed applications with versions, runs, the operations journal, the audit trail.
    "CREATE TABLE apps (
        name       TEXT    PRIMARY KEY,
        created_at INTEGER NOT NULL,
        -- Soft delete: the versions and runs stay; applying the app again revives it.
        deleted_at INTEGER
    ) WITHOUT ROWID;

    CREATE TABLE app_versions (
        app        TEXT    NOT NULL REFERENCES apps (name),
        version    INTEGER NOT NULL CHECK (version >= 1),
        created_at INTEGER NOT NULL,
        author     TEXT    NOT NULL,
        message    TEXT,
        -- The AppSpec as canonical JSON (serde field order, options sorted).
        spec_json  TEXT    NOT NULL,
        PRIMARY KEY (app, version)
    ) WITHOUT ROWID;

    CREATE TABLE runs (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        app              TEXT    NOT NULL,
        version          INTEGER NOT NULL,
        cluster          TEXT    NOT NULL,
        job_id           TEXT    NOT NULL,
        started_at       INTEGER NOT NULL,
        ended_at         INTEGER,
        final_state      TEXT,
        restored_from    TEXT,
        restore_verified INTEGER,
        final_savepoint  TEXT,
        UNIQUE (cluster, job_id),
        FOREIGN KEY (app, version) REFERENCES app_versions (app, version)
    );
    CREATE INDEX runs_by_app ON runs (app, started_at);

    CREATE TABLE operations (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT    NOT NULL,
        app         TEXT,
        cluster     TEXT    NOT NULL,
        job_id      TEXT,
        target_dir  TEXT,
        params_json TEXT    NOT NULL,
        trigger_id  TEXT,
        status      TEXT    NOT NULL,
        result      TEXT,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE INDEX operations_by_app ON operations (app, id);
    CREATE INDEX operations_unsettled ON operations (id)
        WHERE status IN ('pending', 'requested');

    CREATE TABLE audit (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        at          INTEGER NOT NULL,
        user        TEXT    NOT NULL,
        ssh_origin  TEXT,
        app         TEXT,
        cluster     TEXT,
        action      TEXT    NOT NULL,
        params_json TEXT    NOT NULL,
        result      TEXT    NOT NULL,
        ok          INTEGER NOT NULL
    );
    CREATE INDEX audit_by_app ON audit (app, id);",
    // 3: only changes are written. A job that is no longer listed by its cluster is marked
    // `gone_at` (instead of every listed job's `last_seen` moving every poll); retention uses it
    // and the timestamps below.
    "ALTER TABLE jobs_seen ADD COLUMN gone_at INTEGER;
    UPDATE jobs_seen SET gone_at = last_seen
        WHERE last_seen < (SELECT last_jobs_at FROM clusters_seen c
                           WHERE c.cluster = jobs_seen.cluster);
    CREATE INDEX jobs_seen_by_gone_at ON jobs_seen (gone_at) WHERE gone_at IS NOT NULL;
    CREATE INDEX checkpoints_by_recorded ON checkpoints (recorded_at);
    CREATE INDEX health_events_by_at ON health_events (at_ms);
    CREATE INDEX operations_by_updated ON operations (updated_at);",
    // 4: builds of apps' artifacts (`flinkdeck build`): status, commit, artifact, log path.
    "CREATE TABLE builds (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        app         TEXT    NOT NULL,
        status      TEXT    NOT NULL,
        git_ref     TEXT    NOT NULL,
        commit_sha  TEXT,
        subject     TEXT,
        artifact    TEXT,
        sha256      TEXT,
        size        INTEGER,
        duration_ms INTEGER,
        log         TEXT    NOT NULL,
        started_at  INTEGER NOT NULL,
        user        TEXT    NOT NULL,
        error       TEXT,
        version     INTEGER
    );
    CREATE INDEX builds_by_app ON builds (app, id);",
    // 5: the container image a build made (the image step of Kubernetes targets).
    "ALTER TABLE builds ADD COLUMN image TEXT;",
    // 6: alert incidents (`flinkdeck watch`) and every delivery attempt of their messages.
    "CREATE TABLE incidents (
        id               INTEGER PRIMARY KEY AUTOINCREMENT,
        rule             TEXT    NOT NULL,
        kind             TEXT    NOT NULL,
        subject          TEXT    NOT NULL,
        cluster          TEXT    NOT NULL,
        app              TEXT,
        job_id           TEXT,
        state            TEXT,
        reason           TEXT    NOT NULL,
        since            INTEGER NOT NULL,
        opened_at        INTEGER NOT NULL,
        closed_at        INTEGER,
        last_notified_at INTEGER NOT NULL,
        muted_until      INTEGER,
        acknowledged_by  TEXT,
        acknowledged_at  INTEGER
    );
    CREATE UNIQUE INDEX incidents_open ON incidents (rule, subject) WHERE closed_at IS NULL;
    CREATE INDEX incidents_by_closed ON incidents (closed_at);
    CREATE TABLE deliveries (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        incident INTEGER,
        channel  TEXT    NOT NULL,
        event    TEXT    NOT NULL,
        attempt  INTEGER NOT NULL,
        at       INTEGER NOT NULL,
        ok       INTEGER NOT NULL,
        result   TEXT    NOT NULL
    );
    CREATE INDEX deliveries_by_incident ON deliveries (incident, id);",
    // 7: what a run was submitted with (`flinkdeck drift` falls back to it when Flink does not
    // show the job's `flinkdeck.*` configuration entries).
    "ALTER TABLE runs ADD COLUMN artifact_sha256 TEXT;
    ALTER TABLE runs ADD COLUMN sql_sha256 TEXT;",
    // 8: what the alert watcher remembers between runs: since when a subject's backpressure
    // has been high (`backpressure.for` across `watch --once` runs and restarts).
    "CREATE TABLE alert_marks (
        subject TEXT PRIMARY KEY,
        since   INTEGER NOT NULL
    );",
    // 9: the process running a build (so that a console can cancel a `flinkdeck build`).
    "ALTER TABLE builds ADD COLUMN pid INTEGER;",
    // 10: the watcher's automatic restarts (`[restart]` of an app): every attempt and give-up,
    // so a restarted watcher keeps counting within the window.
    "CREATE TABLE restarts (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        app           TEXT    NOT NULL,
        cluster       TEXT    NOT NULL,
        failed_job    TEXT    NOT NULL,
        at            INTEGER NOT NULL,
        event         TEXT    NOT NULL,
        attempt       INTEGER NOT NULL,
        ok            INTEGER NOT NULL,
        job_id        TEXT,
        restored_from TEXT,
        detail        TEXT    NOT NULL
    );
    CREATE INDEX restarts_by_app ON restarts (app, at);",
    // 11: tags put on unmanaged jobs from the console, keyed by cluster and job NAME (a job
    // resubmitted under the same name keeps its tags; managed apps take theirs from the spec).
    "CREATE TABLE job_tags (
        cluster  TEXT    NOT NULL,
        job_name TEXT    NOT NULL,
        tag      TEXT    NOT NULL,
        added_at INTEGER NOT NULL,
        PRIMARY KEY (cluster, job_name, tag)
    ) WITHOUT ROWID;",
    // 12: the paths runs were restored from and stopped at, indexed: every checkpoint pruned is
    // first checked against them (`retention::PROTECTED_CHECKPOINT`).
    "CREATE INDEX runs_by_restored_from ON runs (restored_from);
    CREATE INDEX runs_by_final_savepoint ON runs (final_savepoint);",
];

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;
