//! Retention: what the store forgets, and what it never forgets while an app refers to it.
//!
//! - checkpoint history: the newest `checkpoints_per_job` per job and kind, nothing older than
//!   `checkpoint_max_age`;
//! - health events older than `health_max_age` (the latest event of each cluster stays);
//! - jobs gone from their cluster for longer than `gone_jobs_max_age`;
//! - settled journal entries older than `journal_max_age`;
//! - settled builds older than `journal_max_age` of apps that are deleted (build logs without a
//!   row are removed by the next build of the app);
//! - the watcher's automatic restart attempts older than `journal_max_age` (only those within an
//!   app's `[restart] within` window count).
//!
//! Never pruned: a checkpoint or savepoint that is a run's restore point or final savepoint, any
//! savepoint of a job that is a run of an app that is not deleted, a gone job that is a run or
//! has an unsettled journal entry, an unsettled journal entry, and any journal entry of an app
//! that is not deleted.
//!
//! One run deletes at most `max_rows_per_run` rows (per rule), so the store thread is never
//! held for long; what is left is deleted by the next run.

use std::time::Duration;

use rusqlite::params;

use super::{Store, StoreError};

/// A `checkpoints` row (the table named `checkpoints`) that an app still refers to. Lookups by
/// the row's path (indexed), so checking one row costs a few index probes: the poll rounds check
/// the row each new checkpoint pushes out of a job's retention (hundreds a round at fleet scale),
/// where `IN (SELECT …)` lists built temporary tables from `runs` for every statement.
pub(crate) const PROTECTED_CHECKPOINT: &str = "(
    EXISTS (SELECT 1 FROM runs WHERE runs.restored_from = checkpoints.external_path)
    OR EXISTS (SELECT 1 FROM runs WHERE runs.final_savepoint = checkpoints.external_path)
    OR (checkpoints.kind = 'savepoint' AND EXISTS (
        SELECT 1 FROM runs r JOIN apps a ON a.name = r.app
        WHERE a.deleted_at IS NULL AND r.cluster = checkpoints.cluster
          AND r.job_id = checkpoints.job_id)))";

const DAY: Duration = Duration::from_secs(24 * 3600);

/// How long the store keeps what (`[store]` in the config). A zero age keeps forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Completed checkpoints (and, separately, savepoints) kept per job.
    pub checkpoints_per_job: usize,
    pub checkpoint_max_age: Duration,
    pub health_max_age: Duration,
    pub gone_jobs_max_age: Duration,
    /// Settled journal entries of apps that no longer exist (or of no app).
    pub journal_max_age: Duration,
    /// How often the store thread runs retention (it also runs at start).
    pub interval: Duration,
    /// Most rows one run deletes per rule.
    pub max_rows_per_run: usize,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            checkpoints_per_job: super::DEFAULT_RETENTION,
            checkpoint_max_age: 30 * DAY,
            health_max_age: 30 * DAY,
            gone_jobs_max_age: 30 * DAY,
            journal_max_age: 90 * DAY,
            interval: Duration::from_secs(3600),
            max_rows_per_run: 10_000,
        }
    }
}

impl From<&crate::config::StoreConfig> for RetentionPolicy {
    fn from(c: &crate::config::StoreConfig) -> Self {
        RetentionPolicy {
            checkpoints_per_job: c.checkpoints_per_job.max(1),
            checkpoint_max_age: c.checkpoint_max_age,
            health_max_age: c.health_max_age,
            gone_jobs_max_age: c.gone_jobs_max_age,
            journal_max_age: c.journal_max_age,
            interval: c.retention_interval,
            max_rows_per_run: c.retention_batch.max(1),
        }
    }
}

/// What one retention run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub checkpoints: usize,
    pub health_events: usize,
    pub jobs: usize,
    pub operations: usize,
    pub builds: usize,
    pub restarts: usize,
    /// Some rule hit `max_rows_per_run`: there is more to delete next time.
    pub more: bool,
}

impl RetentionReport {
    pub fn total(&self) -> usize {
        self.checkpoints
            + self.health_events
            + self.jobs
            + self.operations
            + self.builds
            + self.restarts
    }
}

/// `now - age` in ms, or `None` when the age is zero (keep forever).
fn cutoff(now_ms: i64, age: Duration) -> Option<i64> {
    if age.is_zero() {
        return None;
    }
    Some(now_ms.saturating_sub(age.as_millis().min(i64::MAX as u128) as i64))
}

impl Store {
    /// Sets the retention policy (and the per-job checkpoint count).
    pub fn set_policy(&mut self, policy: RetentionPolicy) {
        self.retention = policy.checkpoints_per_job.max(1);
        self.policy = policy;
    }

    pub fn policy(&self) -> &RetentionPolicy {
        &self.policy
    }

    /// Applies the retention policy once, as of `now_ms`, in one transaction.
    pub fn run_retention(&mut self, now_ms: i64) -> Result<RetentionReport, StoreError> {
        let sq = super::sqlite_err(&self.path, "apply retention");
        let p = self.policy.clone();
        let limit = p.max_rows_per_run.clamp(1, i64::MAX as usize) as i64;
        let per_job = p.checkpoints_per_job.clamp(1, i64::MAX as usize) as i64;
        let tx = self.conn.transaction().map_err(&sq)?;
        let mut r = RetentionReport::default();
        // Checkpoints beyond the per-job count (the count may have been lowered since they
        // were recorded), then those older than the age limit.
        r.checkpoints += tx
            .execute(
                &format!(
                    "DELETE FROM checkpoints WHERE rowid IN (
                        SELECT rowid FROM (
                            SELECT rowid, ROW_NUMBER() OVER (
                                PARTITION BY cluster, job_id, kind
                                ORDER BY checkpoint_id DESC) AS rn
                            FROM checkpoints WHERE checkpoint_id >= 0)
                        WHERE rn > ?1 LIMIT ?2)
                       AND NOT {PROTECTED_CHECKPOINT}"
                ),
                params![per_job, limit],
            )
            .map_err(&sq)?;
        if let Some(before) = cutoff(now_ms, p.checkpoint_max_age) {
            r.checkpoints += tx
                .execute(
                    &format!(
                        "DELETE FROM checkpoints WHERE rowid IN (
                            SELECT rowid FROM checkpoints
                            WHERE COALESCE(completed_at, trigger_ts) < ?1
                              AND NOT {PROTECTED_CHECKPOINT}
                            LIMIT ?2)"
                    ),
                    params![before, limit],
                )
                .map_err(&sq)?;
        }
        if let Some(before) = cutoff(now_ms, p.health_max_age) {
            r.health_events = tx
                .execute(
                    "DELETE FROM health_events WHERE id IN (
                        SELECT id FROM health_events
                        WHERE at_ms < ?1
                          AND id NOT IN (SELECT MAX(id) FROM health_events GROUP BY cluster)
                        LIMIT ?2)",
                    params![before, limit],
                )
                .map_err(&sq)?;
        }
        if let Some(before) = cutoff(now_ms, p.gone_jobs_max_age) {
            r.jobs = tx
                .execute(
                    "DELETE FROM jobs_seen WHERE (cluster, job_id) IN (
                        SELECT j.cluster, j.job_id FROM jobs_seen j
                        WHERE j.gone_at IS NOT NULL AND j.gone_at < ?1
                          AND NOT EXISTS (SELECT 1 FROM runs r
                              WHERE r.cluster = j.cluster AND r.job_id = j.job_id)
                          AND NOT EXISTS (SELECT 1 FROM operations o
                              WHERE o.cluster = j.cluster AND o.job_id = j.job_id
                                AND o.status IN ('pending', 'requested'))
                        LIMIT ?2)",
                    params![before, limit],
                )
                .map_err(&sq)?;
        }
        if let Some(before) = cutoff(now_ms, p.journal_max_age) {
            r.operations = tx
                .execute(
                    "DELETE FROM operations WHERE id IN (
                        SELECT o.id FROM operations o
                        WHERE o.status NOT IN ('pending', 'requested')
                          AND o.updated_at < ?1
                          AND (o.app IS NULL OR NOT EXISTS (SELECT 1 FROM apps a
                              WHERE a.name = o.app AND a.deleted_at IS NULL))
                        LIMIT ?2)",
                    params![before, limit],
                )
                .map_err(&sq)?;
        }
        if let Some(before) = cutoff(now_ms, p.journal_max_age) {
            r.builds = tx
                .execute(
                    "DELETE FROM builds WHERE id IN (
                        SELECT b.id FROM builds b
                        WHERE b.status <> 'running'
                          AND b.started_at < ?1
                          AND NOT EXISTS (SELECT 1 FROM apps a
                              WHERE a.name = b.app AND a.deleted_at IS NULL)
                        LIMIT ?2)",
                    params![before, limit],
                )
                .map_err(&sq)?;
        }
        if let Some(before) = cutoff(now_ms, p.journal_max_age) {
            r.restarts = tx
                .execute(
                    "DELETE FROM restarts WHERE id IN (
                        SELECT id FROM restarts WHERE at < ?1 LIMIT ?2)",
                    params![before, limit],
                )
                .map_err(&sq)?;
        }
        tx.commit().map_err(&sq)?;
        if r.jobs > 0 {
            self.forget_jobs_mirror();
        }
        let full = |n: usize| n as i64 >= limit;
        r.more = full(r.health_events)
            || full(r.jobs)
            || full(r.operations)
            || full(r.checkpoints)
            || full(r.builds)
            || full(r.restarts);
        Ok(r)
    }
}
