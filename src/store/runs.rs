//! Runs of managed applications (a job started or adopted by flinkdeck), what they restored from
//! and how they ended, and the restore points of an app.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::{clamp_limit, sqlite_err, Store, StoreError};
use crate::domain::{CheckpointKind, JobKey, JobState, RestorePoint, Run};

const RUN_COLUMNS: &str = "id, app, version, cluster, job_id, started_at, ended_at, final_state, \
     restored_from, restore_verified, final_savepoint";

/// What a run was submitted with: (artifact sha256, SQL script sha256).
pub type RunStamp = (Option<String>, Option<String>);

/// A `runs` row before its version is checked.
struct RunRow {
    id: i64,
    app: String,
    version: i64,
    cluster: String,
    job_id: String,
    started_at: i64,
    ended_at: Option<i64>,
    final_state: Option<String>,
    restored_from: Option<String>,
    restore_verified: Option<bool>,
    final_savepoint: Option<String>,
}

impl RunRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<RunRow> {
        Ok(RunRow {
            id: r.get(0)?,
            app: r.get(1)?,
            version: r.get(2)?,
            cluster: r.get(3)?,
            job_id: r.get(4)?,
            started_at: r.get(5)?,
            ended_at: r.get(6)?,
            final_state: r.get(7)?,
            restored_from: r.get(8)?,
            restore_verified: r.get(9)?,
            final_savepoint: r.get(10)?,
        })
    }

    fn decode(self) -> Result<Run, String> {
        let version = u32::try_from(self.version)
            .map_err(|_| format!("run {}: invalid app version {}", self.id, self.version))?;
        Ok(Run {
            id: self.id,
            app: self.app,
            version,
            cluster: self.cluster,
            job_id: self.job_id,
            started_at: self.started_at,
            ended_at: self.ended_at,
            final_state: self.final_state.as_deref().map(JobState::parse),
            restored_from: self.restored_from,
            restore_verified: self.restore_verified,
            final_savepoint: self.final_savepoint,
        })
    }
}

impl Store {
    /// Records a run: job `job_id` on `cluster` runs version `version` of `app`, asked to restore
    /// from `restored_from`. Returns the run id. Recording the same job again for the same app
    /// returns the existing run (unchanged); a job already recorded for another app, or an app
    /// version that does not exist, is an [`StoreError::Invalid`] error.
    pub fn insert_run(
        &mut self,
        app: &str,
        version: u32,
        cluster: &str,
        job_id: &str,
        started_at: i64,
        restored_from: Option<&str>,
    ) -> Result<i64, StoreError> {
        let op = format!("record run of app {app} (job {job_id} on cluster {cluster})");
        let path = self.path.clone();
        let sq = sqlite_err(&path, &op);
        let invalid = |message: String| StoreError::Invalid {
            path: path.clone(),
            op: op.clone(),
            message,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sq)?;
        let existing: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, app FROM runs WHERE cluster = ?1 AND job_id = ?2",
                params![cluster, job_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&sq)?;
        if let Some((id, other)) = existing {
            if other == app {
                return Ok(id);
            }
            return Err(invalid(format!(
                "the job is already recorded as run {id} of app {other}"
            )));
        }
        let known: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM app_versions WHERE app = ?1 AND version = ?2)",
                params![app, version],
                |r| r.get(0),
            )
            .map_err(&sq)?;
        if !known {
            return Err(invalid(format!("app {app} has no version {version}")));
        }
        tx.execute(
            "INSERT INTO runs (app, version, cluster, job_id, started_at, restored_from)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![app, version, cluster, job_id, started_at, restored_from],
        )
        .map_err(&sq)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(&sq)?;
        Ok(id)
    }

    /// Records whether Flink confirmed the run restored from its `restored_from` path.
    pub fn set_run_restore_verified(
        &mut self,
        run_id: i64,
        verified: bool,
    ) -> Result<(), StoreError> {
        let op = format!("record restore verification of run {run_id}");
        let n = self
            .conn
            .execute(
                "UPDATE runs SET restore_verified = ?2 WHERE id = ?1",
                params![run_id, verified],
            )
            .map_err(self.err(&op))?;
        if n == 0 {
            return Err(self.invalid(&op, format!("there is no run {run_id}")));
        }
        Ok(())
    }

    /// Records what run `run_id` was submitted with: the jar's sha256 (jar apps) and the sha256
    /// of the SQL script the runner received (SQL apps).
    pub fn set_run_stamp(
        &mut self,
        run_id: i64,
        artifact_sha256: Option<&str>,
        sql_sha256: Option<&str>,
    ) -> Result<(), StoreError> {
        let op = format!("record the submission stamp of run {run_id}");
        let n = self
            .conn
            .execute(
                "UPDATE runs SET artifact_sha256 = ?2, sql_sha256 = ?3 WHERE id = ?1",
                params![run_id, artifact_sha256, sql_sha256],
            )
            .map_err(self.err(&op))?;
        if n == 0 {
            return Err(self.invalid(&op, format!("there is no run {run_id}")));
        }
        Ok(())
    }

    /// What the run of job `job_id` on `cluster` was submitted with: (artifact sha256, SQL
    /// script sha256); `None` when the job is no run of flinkdeck's.
    pub fn run_stamp(&self, cluster: &str, job_id: &str) -> Result<Option<RunStamp>, StoreError> {
        let op = format!("read the submission stamp of job {job_id} on cluster {cluster}");
        self.conn
            .query_row(
                "SELECT artifact_sha256, sql_sha256 FROM runs WHERE cluster = ?1 AND job_id = ?2",
                params![cluster, job_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.err(&op))
    }

    /// Records the end of the run of job `job_id` on `cluster`. `ended_at` and `final_state`
    /// are set once (the first terminal observation wins); `final_savepoint` is filled in when
    /// still empty, also later. Returns whether anything changed (`false` also when the job is
    /// not a run of any app).
    pub fn end_run(
        &mut self,
        cluster: &str,
        job_id: &str,
        ended_at: i64,
        final_state: &JobState,
        final_savepoint: Option<&str>,
    ) -> Result<bool, StoreError> {
        let op = format!("record end of job {job_id} on cluster {cluster}");
        let n = self
            .conn
            .execute(
                "UPDATE runs SET
                    final_state = CASE WHEN ended_at IS NULL THEN ?4 ELSE final_state END,
                    ended_at = COALESCE(ended_at, ?3),
                    final_savepoint = COALESCE(final_savepoint, ?5)
                 WHERE cluster = ?1 AND job_id = ?2
                   AND (ended_at IS NULL OR (final_savepoint IS NULL AND ?5 IS NOT NULL))",
                params![
                    cluster,
                    job_id,
                    ended_at,
                    final_state.as_str(),
                    final_savepoint
                ],
            )
            .map_err(self.err(&op))?;
        Ok(n > 0)
    }

    /// The runs of an app, newest first.
    pub fn runs(&self, app: &str, limit: usize) -> Result<Vec<Run>, StoreError> {
        let op = format!("read runs of app {app}");
        self.run_rows(
            &op,
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE app = ?1
                 ORDER BY started_at DESC, id DESC LIMIT ?2"
            ),
            params![app, clamp_limit(limit)],
        )
    }

    /// The newest run of an app.
    pub fn latest_run(&self, app: &str) -> Result<Option<Run>, StoreError> {
        Ok(self.runs(app, 1)?.into_iter().next())
    }

    /// The runs not recorded as ended (of all apps), oldest first: the jobs to reconcile with
    /// their clusters.
    pub fn open_runs(&self) -> Result<Vec<Run>, StoreError> {
        self.run_rows(
            "read open runs",
            &format!(
                "SELECT {RUN_COLUMNS} FROM runs WHERE ended_at IS NULL ORDER BY started_at, id"
            ),
            params![],
        )
    }

    /// The run of a job, if the job was started or adopted by flinkdeck.
    pub fn run_by_job(&self, cluster: &str, job_id: &str) -> Result<Option<Run>, StoreError> {
        let op = format!("read run of job {job_id} on cluster {cluster}");
        Ok(self
            .run_rows(
                &op,
                &format!("SELECT {RUN_COLUMNS} FROM runs WHERE cluster = ?1 AND job_id = ?2"),
                params![cluster, job_id],
            )?
            .into_iter()
            .next())
    }

    /// Every run's job and the app it belongs to (also runs of deleted apps), by cluster and job.
    pub fn job_apps(&self) -> Result<Vec<(JobKey, String)>, StoreError> {
        let op = "read the jobs of all apps";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT cluster, job_id, app FROM runs ORDER BY cluster, job_id")
            .map_err(self.err(op))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    JobKey::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(self.err(op))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err(op))
    }

    /// What a start of `app` can restore from, newest completion first: the completed
    /// checkpoints and savepoints recorded for the jobs of all its runs, and the runs' final
    /// savepoints, deduplicated by path (a recorded checkpoint row wins over a run's final
    /// savepoint with the same path, as it knows the id). Entries without a path are left out.
    pub fn app_restore_points(
        &self,
        app: &str,
        limit: usize,
    ) -> Result<Vec<RestorePoint>, StoreError> {
        let op = format!("read restore points of app {app}");
        if limit == 0 {
            return Ok(Vec::new());
        }
        // (sort key, point)
        let mut out: Vec<(i64, RestorePoint)> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT c.external_path, c.kind, c.checkpoint_id, c.completed_at,
                        c.trigger_ts, c.job_id
                     FROM runs r JOIN checkpoints c
                        ON c.cluster = r.cluster AND c.job_id = r.job_id
                     WHERE r.app = ?1 AND c.status = 'COMPLETED'
                       AND c.external_path IS NOT NULL AND c.external_path <> ''
                     ORDER BY COALESCE(c.completed_at, c.trigger_ts) DESC,
                        c.checkpoint_id DESC, c.kind DESC",
                )
                .map_err(self.err(&op))?;
            let mut rows = stmt.query(params![app]).map_err(self.err(&op))?;
            while out.len() < limit {
                let Some(r) = rows.next().map_err(self.err(&op))? else {
                    break;
                };
                let path: String = r.get(0).map_err(self.err(&op))?;
                if !seen.insert(path.clone()) {
                    continue;
                }
                let kind: String = r.get(1).map_err(self.err(&op))?;
                let kind = match kind.as_str() {
                    "checkpoint" | "savepoint" => CheckpointKind::parse(&kind),
                    other => {
                        return Err(
                            self.decode_err(&op, format!("unknown checkpoint kind {other:?}"))
                        )
                    }
                };
                let id: i64 = r.get(2).map_err(self.err(&op))?;
                let completed_at: Option<i64> = r.get(3).map_err(self.err(&op))?;
                let trigger_ts: i64 = r.get(4).map_err(self.err(&op))?;
                let job_id: String = r.get(5).map_err(self.err(&op))?;
                out.push((
                    completed_at.unwrap_or(trigger_ts),
                    RestorePoint {
                        path,
                        kind,
                        id: Some(id).filter(|i| *i >= 0),
                        completed_at,
                        job_id: Some(job_id),
                    },
                ));
            }
        }
        let full = out.len() >= limit;
        let finals: Vec<(String, Option<i64>, i64, String)> = {
            let mut stmt = self
                .conn
                .prepare_cached(
                    "SELECT final_savepoint, ended_at, started_at, job_id FROM runs
                     WHERE app = ?1 AND final_savepoint IS NOT NULL AND final_savepoint <> ''
                     ORDER BY COALESCE(ended_at, started_at) DESC, id DESC",
                )
                .map_err(self.err(&op))?;
            let rows = stmt
                .query_map(params![app], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(self.err(&op))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(self.err(&op))?
        };
        for (path, ended_at, started_at, job_id) in finals {
            if seen.contains(&path) {
                continue;
            }
            if full {
                // Recorded as a checkpoint row older than everything kept above: not in the
                // newest `limit` either.
                let recorded: bool = self
                    .conn
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM checkpoints WHERE external_path = ?1)",
                        params![path],
                        |r| r.get(0),
                    )
                    .map_err(self.err(&op))?;
                if recorded {
                    continue;
                }
            }
            seen.insert(path.clone());
            out.push((
                ended_at.unwrap_or(started_at),
                RestorePoint {
                    path,
                    kind: CheckpointKind::Savepoint,
                    id: None,
                    completed_at: ended_at,
                    job_id: Some(job_id),
                },
            ));
        }
        // Stable: ties keep the order above (checkpoint rows before final savepoints).
        out.sort_by_key(|(key, _)| std::cmp::Reverse(*key));
        out.truncate(limit);
        Ok(out.into_iter().map(|(_, p)| p).collect())
    }

    /// The completed savepoints recorded for every job of one cluster (an operator resource's
    /// jobs come and go under one cluster name), newest first.
    pub fn cluster_savepoints(
        &self,
        cluster: &str,
        limit: usize,
    ) -> Result<Vec<RestorePoint>, StoreError> {
        let op = format!("read savepoints of cluster {cluster}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT external_path, checkpoint_id, completed_at, job_id FROM checkpoints
                 WHERE cluster = ?1 AND kind = 'savepoint' AND status = 'COMPLETED'
                   AND external_path IS NOT NULL AND external_path <> ''
                 ORDER BY COALESCE(completed_at, trigger_ts) DESC LIMIT ?2",
            )
            .map_err(self.err(&op))?;
        let rows = stmt
            .query_map(params![cluster, clamp_limit(limit)], |r| {
                let id: i64 = r.get(1)?;
                Ok(RestorePoint {
                    path: r.get(0)?,
                    kind: CheckpointKind::Savepoint,
                    id: Some(id).filter(|i| *i >= 0),
                    completed_at: r.get(2)?,
                    job_id: Some(r.get(3)?),
                })
            })
            .map_err(self.err(&op))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(self.err(&op))
    }

    /// Records a savepoint learned from a trigger result (stop with savepoint, savepoint), so
    /// [`Store::app_restore_points`] and [`Store::checkpoint_history`] see it at once, as kind
    /// savepoint. Its id is often unknown then: such a row gets a negative id (-1, -2, ... per
    /// job) until Flink reports the same path with its id, which replaces it (see
    /// [`Store::record_checkpoints`]). A path already recorded for the job is not duplicated.
    pub fn record_savepoint(
        &mut self,
        cluster: &str,
        job_id: &str,
        path: &str,
        completed_at: i64,
        checkpoint_id: Option<i64>,
    ) -> Result<(), StoreError> {
        let op = format!("record savepoint {path} of job {job_id} on cluster {cluster}");
        if path.is_empty() {
            return Err(self.invalid(&op, "the savepoint path is empty"));
        }
        let checkpoint_id = checkpoint_id.filter(|id| *id >= 0);
        let now = crate::domain::time::now_ms();
        let db = self.path.clone();
        let sq = sqlite_err(&db, &op);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sq)?;
        let existing: Option<i64> = tx
            .query_row(
                "SELECT MAX(checkpoint_id) FROM checkpoints
                 WHERE cluster = ?1 AND job_id = ?2 AND external_path = ?3",
                params![cluster, job_id, path],
                |r| r.get(0),
            )
            .map_err(&sq)?;
        match (existing, checkpoint_id) {
            (Some(old), Some(id)) if old < 0 => {
                // Now the id is known: give it to the row recorded without one.
                tx.execute(
                    "UPDATE OR IGNORE checkpoints SET checkpoint_id = ?4
                     WHERE cluster = ?1 AND job_id = ?2 AND external_path = ?3
                       AND checkpoint_id < 0",
                    params![cluster, job_id, path, id],
                )
                .map_err(&sq)?;
            }
            (Some(_), _) => {}
            (None, id) => {
                let id = match id {
                    Some(id) => {
                        // Flink may have listed it without a path.
                        tx.execute(
                            "UPDATE checkpoints SET external_path = ?4
                             WHERE cluster = ?1 AND job_id = ?2 AND checkpoint_id = ?3
                               AND kind = 'savepoint' AND external_path IS NULL",
                            params![cluster, job_id, id, path],
                        )
                        .map_err(&sq)?;
                        id
                    }
                    None => tx
                        .query_row(
                            "SELECT MIN(0, COALESCE(MIN(checkpoint_id), 0)) - 1 FROM checkpoints
                             WHERE cluster = ?1 AND job_id = ?2",
                            params![cluster, job_id],
                            |r| r.get(0),
                        )
                        .map_err(&sq)?,
                };
                tx.execute(
                    "INSERT OR IGNORE INTO checkpoints (cluster, job_id, job_name, checkpoint_id,
                        kind, status, checkpoint_type, trigger_ts, completed_at, external_path,
                        recorded_at)
                     VALUES (?1, ?2,
                        COALESCE(
                            (SELECT job_name FROM checkpoints WHERE cluster = ?1 AND job_id = ?2
                                AND job_name IS NOT NULL LIMIT 1),
                            (SELECT name FROM jobs_seen WHERE cluster = ?1 AND job_id = ?2)),
                        ?3, 'savepoint', 'COMPLETED', NULL, ?4, ?4, ?5, ?6)",
                    params![cluster, job_id, id, completed_at, path, now],
                )
                .map_err(&sq)?;
            }
        }
        tx.commit().map_err(&sq)?;
        Ok(())
    }

    fn run_rows(
        &self,
        op: &str,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Run>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err(op))?;
        let rows = stmt.query_map(args, RunRow::read).map_err(self.err(op))?;
        let raw = rows.collect::<Result<Vec<_>, _>>().map_err(self.err(op))?;
        raw.into_iter()
            .map(|r| r.decode().map_err(|m| self.decode_err(op, m)))
            .collect()
    }
}
