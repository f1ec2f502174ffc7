//! The local SQLite store: jobs seen per cluster, checkpoint and savepoint history, cluster
//! health changes, managed applications with their versions and runs, the operations journal and
//! the audit trail. WAL mode, versioned append-only migrations (`PRAGMA user_version`).
//!
//! All SQLite work runs on one thread ([`StoreHandle`]); async callers get results over oneshot
//! channels, so no tokio worker ever blocks on the disk.

mod apps;
mod audit;
mod builds;
mod handle;
mod incidents;
mod job_tags;
mod journal;
mod names;
mod record;
mod restarts;
mod retention;
mod runs;
mod schema;

#[cfg(test)]
mod app_tests;
#[cfg(test)]
mod store_tests;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use names::completion_names;

use rusqlite::{params, Connection, Row, TransactionBehavior};

use crate::domain::{
    CheckpointEntry, CheckpointKind, CheckpointRef, CheckpointStatus, HealthStatus, JobState,
    JobSummary,
};

pub use apps::ApplyOutcome;
pub use builds::BuildEnd;
pub use handle::StoreHandle;
pub use job_tags::JobTags;
pub use record::{PollRound, RoundStats};
pub use retention::{RetentionPolicy, RetentionReport};
pub use schema::SCHEMA_VERSION;

/// Completed checkpoints (and, separately, savepoints) kept per job by default (`[store]
/// checkpoints_per_job`).
pub const DEFAULT_RETENTION: usize = 100;
/// Health events kept per cluster.
const HEALTH_RETENTION: usize = 2000;

/// Why a store operation failed. Messages name the database and the operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path}: cannot create the directory {dir}: {source}")]
    CreateDir {
        path: String,
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("store {path}: {op}: {source}")]
    Sqlite {
        path: String,
        op: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "store {path}: the database has schema version {found}, but this flinkdeck knows only up \
         to {known}; it was written by a newer flinkdeck (upgrade flinkdeck, or point it at \
         another state directory)"
    )]
    TooNew {
        path: String,
        found: u32,
        known: u32,
    },
    #[error("store {path}: {op}: unexpected stored value: {message}")]
    Decode {
        path: String,
        op: String,
        message: String,
    },
    /// A call the stored data does not allow (an unknown operation id, a job already recorded
    /// as a run of another app, ...).
    #[error("store {path}: {op}: {message}")]
    Invalid {
        path: String,
        op: String,
        message: String,
    },
    #[error("store: the store thread has stopped ({0})")]
    Closed(String),
}

/// The SQLite store. Not `Sync`: use it from one thread, or through [`StoreHandle`].
pub struct Store {
    conn: Connection,
    path: String,
    retention: usize,
    policy: RetentionPolicy,
    /// What `jobs_seen` holds, per cluster, as this connection last read or wrote it.
    jobs_mirror: record::JobsMirror,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("retention", &self.retention)
            .finish()
    }
}

impl Store {
    /// Opens (creating it and its parent directories if needed) and migrates a database file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: shown.clone(),
                dir: dir.display().to_string(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: shown.clone(),
            op: "open".into(),
            source,
        })?;
        Store::init(conn, shown)
    }

    /// A private in-memory database (tests, `--no-store` runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: ":memory:".into(),
            op: "open".into(),
            source,
        })?;
        Store::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, path: String) -> Result<Store, StoreError> {
        let mut store = Store {
            conn,
            path,
            retention: DEFAULT_RETENTION,
            policy: RetentionPolicy::default(),
            jobs_mirror: record::JobsMirror::default(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, op: &str) -> impl FnOnce(rusqlite::Error) -> StoreError + '_ {
        let op = op.to_string();
        move |source| StoreError::Sqlite {
            path: self.path.clone(),
            op,
            source,
        }
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        // Every poll round runs about 15 different statements (health, jobs, checkpoints); with
        // rusqlite's default of 16 cached ones, other calls pushed them out and each round
        // parsed its SQL again.
        self.conn.set_prepared_statement_cache_capacity(64);
        self.conn
            .busy_timeout(std::time::Duration::from_millis(5000))
            .map_err(self.err("set busy_timeout"))?;
        // Returns the resulting mode: "wal" for files, "memory" for in-memory databases.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(self.err("enable WAL"))?;
        self.conn
            .execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")
            .map_err(self.err("set pragmas"))?;
        Ok(())
    }

    fn read_user_version(conn: &Connection) -> rusqlite::Result<u32> {
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
            .map(|v| v.clamp(0, u32::MAX as i64) as u32)
    }

    /// Applies the missing migrations, each in its own (immediate) transaction, so two
    /// processes opening the same file do not both migrate.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = SCHEMA_VERSION;
        let path = self.path.clone();
        let sq = |op: String| {
            let path = path.clone();
            move |source| StoreError::Sqlite { path, op, source }
        };
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sq("begin migration".into()))?;
            let current =
                Store::read_user_version(&tx).map_err(sq("read schema version".into()))?;
            if current > known {
                return Err(StoreError::TooNew {
                    path: path.clone(),
                    found: current,
                    known,
                });
            }
            if current == known {
                tx.commit().map_err(sq("end migration".into()))?;
                return Ok(());
            }
            let next = current + 1;
            let sql = schema::MIGRATIONS[current as usize];
            tx.execute_batch(sql)
                .map_err(sq(format!("migrate to schema version {next}")))?;
            tx.pragma_update(None, "user_version", next)
                .map_err(sq(format!("set schema version {next}")))?;
            tx.commit()
                .map_err(sq(format!("commit schema version {next}")))?;
            tracing::debug!(store = %path, version = next, "store migrated");
        }
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        Store::read_user_version(&self.conn).map_err(self.err("read schema version"))
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// How many completed checkpoints (and, separately, savepoints) to keep per job.
    pub fn set_retention(&mut self, n: usize) {
        self.retention = n.max(1);
        self.policy.checkpoints_per_job = self.retention;
    }

    /// The SQLite journal mode in effect (`wal` for files).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(self.err("read journal mode"))
    }

    // -----------------------------------------------------------------------------------------
    // Jobs

    /// The jobs of the cluster's most recent recorded poll (those not marked gone), marked `stale`, newest first: what
    /// to show before the cluster answers.
    pub fn known_jobs(&self, cluster: &str) -> Result<Vec<JobSummary>, StoreError> {
        let op = format!("read known jobs of cluster {cluster}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT job_id, name, state, start_time, end_time, duration_ms,
                    last_modification, tasks_running, tasks_total, restarts, last_cp_id,
                    last_cp_status, last_cp_completed_at, last_cp_path, last_cp_is_savepoint
                 FROM jobs_seen
                 WHERE cluster = ?1 AND gone_at IS NULL
                 ORDER BY start_time DESC, job_id",
            )
            .map_err(self.err(&op))?;
        let rows = stmt
            .query_map(params![cluster], |r| job_row(cluster, r))
            .map_err(self.err(&op))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err(&op))
    }

    // -----------------------------------------------------------------------------------------
    // Checkpoints

    /// Stored history of one job, newest first. Savepoints recorded without an id (see
    /// [`Store::record_savepoint`]; their `id` is negative) come first, newest first: they are
    /// the latest savepoints Flink has not listed yet.
    pub fn checkpoint_history(
        &self,
        cluster: &str,
        job_id: &str,
        limit: usize,
    ) -> Result<Vec<CheckpointEntry>, StoreError> {
        let op = format!("read checkpoint history of job {job_id} on cluster {cluster}");
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {CHECKPOINT_COLUMNS} FROM checkpoints
                 WHERE cluster = ?1 AND job_id = ?2
                 ORDER BY checkpoint_id < 0 DESC,
                    CASE WHEN checkpoint_id < 0 THEN completed_at END DESC,
                    checkpoint_id DESC, kind DESC LIMIT ?3"
            ))
            .map_err(self.err(&op))?;
        let rows = stmt
            .query_map(params![cluster, job_id, clamp_limit(limit)], |r| {
                checkpoint_row(r, 0)
            })
            .map_err(self.err(&op))?;
        let raw = rows.collect::<Result<Vec<_>, _>>().map_err(self.err(&op))?;
        raw.into_iter()
            .map(|r| r.decode().map_err(|m| self.decode_err(&op, m)))
            .collect()
    }

    /// Stored history of a job id on any cluster, newest first, with the cluster name (savepoints
    /// without a known id first, as in [`Store::checkpoint_history`]).
    pub fn checkpoints_for_job_id(
        &self,
        job_id: &str,
        limit: usize,
    ) -> Result<Vec<(String, CheckpointEntry)>, StoreError> {
        let op = format!("read checkpoints of job {job_id}");
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT cluster, {CHECKPOINT_COLUMNS} FROM checkpoints
                 WHERE job_id = ?1
                 ORDER BY checkpoint_id < 0 DESC,
                    CASE WHEN checkpoint_id < 0 THEN completed_at END DESC,
                    checkpoint_id DESC, completed_at DESC, cluster, kind DESC LIMIT ?2"
            ))
            .map_err(self.err(&op))?;
        let rows = stmt
            .query_map(params![job_id, clamp_limit(limit)], |r| {
                Ok((r.get::<_, String>(0)?, checkpoint_row(r, 1)?))
            })
            .map_err(self.err(&op))?;
        let raw = rows.collect::<Result<Vec<_>, _>>().map_err(self.err(&op))?;
        raw.into_iter()
            .map(|(c, r)| {
                r.decode()
                    .map(|e| (c, e))
                    .map_err(|m| self.decode_err(&op, m))
            })
            .collect()
    }

    // -----------------------------------------------------------------------------------------
    // Health

    /// The cluster's health changes, newest first.
    pub fn health_events(
        &self,
        cluster: &str,
        limit: usize,
    ) -> Result<Vec<(i64, HealthStatus, Option<String>)>, StoreError> {
        let op = format!("read health events of cluster {cluster}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at_ms, status, reason FROM health_events WHERE cluster = ?1
                 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(self.err(&op))?;
        let rows = stmt
            .query_map(params![cluster, clamp_limit(limit)], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(self.err(&op))?;
        let raw = rows.collect::<Result<Vec<_>, _>>().map_err(self.err(&op))?;
        raw.into_iter()
            .map(|(at, status, reason)| {
                let status = parse_health(&status).ok_or_else(|| {
                    self.decode_err(&op, format!("unknown health status {status:?}"))
                })?;
                Ok((at, status, reason))
            })
            .collect()
    }

    fn invalid(&self, op: &str, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            path: self.path.clone(),
            op: op.to_string(),
            message: message.into(),
        }
    }

    /// Runs `f` with `PRAGMA synchronous=FULL`, so its commits survive a power loss too, not
    /// only a crash of the process (WAL + NORMAL). For the operations journal.
    fn durable<T>(
        &mut self,
        op: &str,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.conn
            .execute_batch("PRAGMA synchronous=FULL")
            .map_err(self.err(op))?;
        let out = f(self);
        let restored = self
            .conn
            .execute_batch("PRAGMA synchronous=NORMAL")
            .map_err(self.err(op));
        let out = out?;
        restored?;
        Ok(out)
    }

    fn decode_err(&self, op: &str, message: String) -> StoreError {
        StoreError::Decode {
            path: self.path.clone(),
            op: op.to_string(),
            message,
        }
    }
}

/// Maps rusqlite errors of one operation (for use while `self.conn` is borrowed).
fn sqlite_err(path: &str, op: &str) -> impl Fn(rusqlite::Error) -> StoreError {
    let path = path.to_string();
    let op = op.to_string();
    move |source| StoreError::Sqlite {
        path: path.clone(),
        op: op.clone(),
        source,
    }
}

fn clamp_limit(limit: usize) -> i64 {
    limit.min(i64::MAX as usize) as i64
}

fn parse_health(s: &str) -> Option<HealthStatus> {
    HealthStatus::ALL.into_iter().find(|h| h.as_str() == s)
}

fn job_row(cluster: &str, r: &Row<'_>) -> rusqlite::Result<JobSummary> {
    let last_cp_id: Option<i64> = r.get(10)?;
    let last_checkpoint = match last_cp_id {
        Some(id) => Some(CheckpointRef {
            id,
            status: CheckpointStatus::parse(&r.get::<_, Option<String>>(11)?.unwrap_or_default()),
            completed_at: r.get(12)?,
            external_path: r.get(13)?,
            is_savepoint: r.get::<_, Option<bool>>(14)?.unwrap_or(false),
        }),
        None => None,
    };
    Ok(JobSummary {
        cluster: cluster.to_string(),
        id: r.get(0)?,
        name: r.get(1)?,
        state: JobState::parse(&r.get::<_, String>(2)?),
        start_time: r.get(3)?,
        end_time: r.get(4)?,
        duration_ms: r.get(5)?,
        last_modification: r.get(6)?,
        tasks_running: r.get::<_, i64>(7)?.clamp(0, u32::MAX as i64) as u32,
        tasks_total: r.get::<_, i64>(8)?.clamp(0, u32::MAX as i64) as u32,
        restarts: r.get::<_, Option<i64>>(9)?.map(|n| n.max(0) as u64),
        last_checkpoint,
        stale: true,
        detail_at_ms: None,
        vitals: None,
    })
}

const CHECKPOINT_COLUMNS: &str = "checkpoint_id, kind, status, checkpoint_type, trigger_ts, \
     completed_at, duration_ms, size_bytes, state_size_bytes, external_path, failure_message, \
     num_subtasks, num_acknowledged";

/// A checkpoint row before its text columns are checked.
struct CheckpointRow {
    id: i64,
    kind: String,
    status: String,
    checkpoint_type: Option<String>,
    trigger_timestamp: i64,
    completed_at: Option<i64>,
    duration_ms: Option<i64>,
    size_bytes: Option<i64>,
    state_size_bytes: Option<i64>,
    external_path: Option<String>,
    failure_message: Option<String>,
    num_subtasks: Option<i64>,
    num_acknowledged: Option<i64>,
}

impl CheckpointRow {
    fn decode(self) -> Result<CheckpointEntry, String> {
        let kind = match self.kind.as_str() {
            "checkpoint" | "savepoint" => CheckpointKind::parse(&self.kind),
            other => return Err(format!("unknown checkpoint kind {other:?}")),
        };
        let status = match self.status.as_str() {
            "COMPLETED" | "FAILED" | "IN_PROGRESS" => CheckpointStatus::parse(&self.status),
            other => return Err(format!("unknown checkpoint status {other:?}")),
        };
        Ok(CheckpointEntry {
            id: self.id,
            status,
            kind,
            checkpoint_type: self.checkpoint_type,
            trigger_timestamp: self.trigger_timestamp,
            completed_at: self.completed_at,
            duration_ms: self.duration_ms,
            size_bytes: self.size_bytes,
            state_size_bytes: self.state_size_bytes,
            external_path: self.external_path,
            failure_message: self.failure_message,
            num_subtasks: self.num_subtasks,
            num_acknowledged: self.num_acknowledged,
        })
    }
}

fn checkpoint_row(r: &Row<'_>, o: usize) -> rusqlite::Result<CheckpointRow> {
    Ok(CheckpointRow {
        id: r.get(o)?,
        kind: r.get(o + 1)?,
        status: r.get(o + 2)?,
        checkpoint_type: r.get(o + 3)?,
        trigger_timestamp: r.get(o + 4)?,
        completed_at: r.get(o + 5)?,
        duration_ms: r.get(o + 6)?,
        size_bytes: r.get(o + 7)?,
        state_size_bytes: r.get(o + 8)?,
        external_path: r.get(o + 9)?,
        failure_message: r.get(o + 10)?,
        num_subtasks: r.get(o + 11)?,
        num_acknowledged: r.get(o + 12)?,
    })
}
