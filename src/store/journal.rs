//! The durable operations journal: every request that changes a job is written (and committed
//! with `synchronous=FULL`) before it is sent, gets Flink's trigger id as soon as Flink answers,
//! and is settled once. Unsettled operations are what a new flinkdeck process resumes.

use crate::config::secret::mask;
use rusqlite::{params, Row};

use super::{clamp_limit, Store, StoreError};
use crate::domain::{OpKind, OpStatus, Operation};

const OP_COLUMNS: &str = "id, kind, app, cluster, job_id, target_dir, params_json, trigger_id, \
     status, result, created_at, updated_at";

/// An `operations` row before its kind and status are checked.
struct OpRow {
    id: i64,
    kind: String,
    app: Option<String>,
    cluster: String,
    job_id: Option<String>,
    target_dir: Option<String>,
    params: String,
    trigger_id: Option<String>,
    status: String,
    result: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl OpRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<OpRow> {
        Ok(OpRow {
            id: r.get(0)?,
            kind: r.get(1)?,
            app: r.get(2)?,
            cluster: r.get(3)?,
            job_id: r.get(4)?,
            target_dir: r.get(5)?,
            params: r.get(6)?,
            trigger_id: r.get(7)?,
            status: r.get(8)?,
            result: r.get(9)?,
            created_at: r.get(10)?,
            updated_at: r.get(11)?,
        })
    }

    fn decode(self) -> Result<Operation, String> {
        let kind = OpKind::parse(&self.kind).ok_or_else(|| {
            format!(
                "operation {}: unknown operation kind {:?}",
                self.id, self.kind
            )
        })?;
        let status = OpStatus::parse(&self.status).ok_or_else(|| {
            format!(
                "operation {}: unknown operation status {:?}",
                self.id, self.status
            )
        })?;
        Ok(Operation {
            id: self.id,
            kind,
            app: self.app,
            cluster: self.cluster,
            job_id: self.job_id,
            target_dir: self.target_dir,
            params: self.params,
            trigger_id: self.trigger_id,
            status,
            result: self.result,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl Store {
    /// Journals an operation (status `pending`) and returns its id. Committed durably before it
    /// returns: call it before sending the request.
    #[allow(clippy::too_many_arguments)]
    pub fn op_begin(
        &mut self,
        kind: OpKind,
        app: Option<&str>,
        cluster: &str,
        job_id: Option<&str>,
        target_dir: Option<&str>,
        params_json: &str,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let op = format!("journal {} operation on cluster {cluster}", kind.as_str());
        self.durable(&op, |s| {
            s.conn
                .execute(
                    "INSERT INTO operations (kind, app, cluster, job_id, target_dir, params_json,
                        status, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
                    params![
                        kind.as_str(),
                        app,
                        cluster,
                        job_id,
                        target_dir,
                        params_json,
                        now_ms
                    ],
                )
                .map_err(s.err(&op))?;
            Ok(s.conn.last_insert_rowid())
        })
    }

    /// Flink answered with a trigger (request) id: `pending` becomes `requested`. On a settled
    /// operation only a missing trigger id is filled in (a late answer never unsettles it).
    pub fn op_requested(
        &mut self,
        id: i64,
        trigger_id: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let op = format!("journal trigger id of operation {id}");
        self.durable(&op, |s| {
            let n = s
                .conn
                .execute(
                    "UPDATE operations SET
                        trigger_id = CASE WHEN status IN ('pending', 'requested') THEN ?2
                            ELSE COALESCE(trigger_id, ?2) END,
                        status = CASE WHEN status = 'pending' THEN 'requested' ELSE status END,
                        updated_at = ?3
                     WHERE id = ?1",
                    params![id, trigger_id, now_ms],
                )
                .map_err(s.err(&op))?;
            s.expect_op(&op, id, n)
        })
    }

    /// Records the job an operation acts on once it is known (the new job of a start).
    pub fn op_set_job(&mut self, id: i64, job_id: &str, now_ms: i64) -> Result<(), StoreError> {
        let op = format!("journal job of operation {id}");
        self.durable(&op, |s| {
            let n = s
                .conn
                .execute(
                    "UPDATE operations SET job_id = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, job_id, now_ms],
                )
                .map_err(s.err(&op))?;
            s.expect_op(&op, id, n)
        })
    }

    /// Replaces the parameters of an unsettled operation (a multi-step operation records the
    /// step it is at before running it). Committed durably before it returns.
    pub fn op_set_params(
        &mut self,
        id: i64,
        params_json: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let op = format!("journal the parameters of operation {id}");
        self.durable(&op, |s| {
            let n = s
                .conn
                .execute(
                    "UPDATE operations SET params_json = ?2, updated_at = ?3
                     WHERE id = ?1 AND status IN ('pending', 'requested')",
                    params![id, params_json, now_ms],
                )
                .map_err(s.err(&op))?;
            s.expect_op(&op, id, n)
        })
    }

    /// Settles an operation as `succeeded` or `failed` with its result (savepoint path, new job
    /// id, failure message). Settling again keeps the first settlement and returns `Ok`.
    pub fn op_settle(
        &mut self,
        id: i64,
        status: OpStatus,
        result: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let op = format!("settle operation {id}");
        if !status.is_settled() {
            return Err(self.invalid(
                &op,
                format!(
                    "{} is not a final status (expected succeeded or failed)",
                    status.as_str()
                ),
            ));
        }
        self.durable(&op, |s| {
            let n = s
                .conn
                .execute(
                    "UPDATE operations SET status = ?2, result = ?3, updated_at = ?4
                     WHERE id = ?1 AND status IN ('pending', 'requested')",
                    params![id, status.as_str(), mask(result), now_ms],
                )
                .map_err(s.err(&op))?;
            if n > 0 {
                return Ok(());
            }
            let exists: bool = s
                .conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM operations WHERE id = ?1)",
                    params![id],
                    |r| r.get(0),
                )
                .map_err(s.err(&op))?;
            s.expect_op(&op, id, usize::from(exists))
        })
    }

    /// One operation.
    pub fn op(&self, id: i64) -> Result<Option<Operation>, StoreError> {
        let op = format!("read operation {id}");
        Ok(self
            .op_rows(
                &op,
                &format!("SELECT {OP_COLUMNS} FROM operations WHERE id = ?1"),
                params![id],
            )?
            .into_iter()
            .next())
    }

    /// The operations still `pending` or `requested`, oldest first: what to resume.
    pub fn unsettled_ops(&self) -> Result<Vec<Operation>, StoreError> {
        self.op_rows(
            "read unsettled operations",
            &format!(
                "SELECT {OP_COLUMNS} FROM operations
                 WHERE status IN ('pending', 'requested') ORDER BY id"
            ),
            params![],
        )
    }

    /// The newest operations, of one app or of all, newest first.
    pub fn ops(&self, app: Option<&str>, limit: usize) -> Result<Vec<Operation>, StoreError> {
        let limit = clamp_limit(limit);
        match app {
            Some(app) => self.op_rows(
                &format!("read operations of app {app}"),
                &format!(
                    "SELECT {OP_COLUMNS} FROM operations WHERE app = ?1
                     ORDER BY id DESC LIMIT ?2"
                ),
                params![app, limit],
            ),
            None => self.op_rows(
                "read operations",
                &format!("SELECT {OP_COLUMNS} FROM operations ORDER BY id DESC LIMIT ?1"),
                params![limit],
            ),
        }
    }

    fn expect_op(&self, op: &str, id: i64, rows: usize) -> Result<(), StoreError> {
        if rows == 0 {
            return Err(self.invalid(op, format!("there is no operation {id}")));
        }
        Ok(())
    }

    fn op_rows(
        &self,
        op: &str,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<Operation>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err(op))?;
        let rows = stmt.query_map(args, OpRow::read).map_err(self.err(op))?;
        let raw = rows.collect::<Result<Vec<_>, _>>().map_err(self.err(op))?;
        raw.into_iter()
            .map(|r| r.decode().map_err(|m| self.decode_err(op, m)))
            .collect()
    }
}
