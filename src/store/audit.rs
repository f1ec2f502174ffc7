//! The audit trail: every action with time, OS user, SSH origin, app, cluster, parameters and
//! result. Append-only.

use crate::config::secret::mask;
use rusqlite::{params, Row};

use super::{clamp_limit, Store, StoreError};
use crate::domain::AuditEntry;

const AUDIT_COLUMNS: &str =
    "id, at, user, ssh_origin, app, cluster, action, params_json, result, ok";

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        user: r.get(2)?,
        ssh_origin: r.get(3)?,
        app: r.get(4)?,
        cluster: r.get(5)?,
        action: r.get(6)?,
        params: r.get(7)?,
        result: r.get(8)?,
        ok: r.get(9)?,
    })
}

impl Store {
    /// Appends an audit entry (`entry.id` is ignored) and returns its id.
    pub fn audit(&mut self, entry: &AuditEntry) -> Result<i64, StoreError> {
        let op = format!("record audit entry for action {}", entry.action);
        self.conn
            .execute(
                "INSERT INTO audit (at, user, ssh_origin, app, cluster, action, params_json,
                    result, ok)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    entry.at,
                    entry.user,
                    entry.ssh_origin,
                    entry.app,
                    entry.cluster,
                    entry.action,
                    mask(&entry.params),
                    mask(&entry.result),
                    entry.ok,
                ],
            )
            .map_err(self.err(&op))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest audit entries, of one app or of all, newest first.
    pub fn audit_entries(
        &self,
        app: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = clamp_limit(limit);
        let (op, sql, rows) = match app {
            Some(app) => (
                format!("read audit entries of app {app}"),
                format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit WHERE app = ?1 ORDER BY id DESC LIMIT ?2"
                ),
                vec![
                    Box::new(app.to_string()) as Box<dyn rusqlite::ToSql>,
                    Box::new(limit),
                ],
            ),
            None => (
                "read audit entries".to_string(),
                format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY id DESC LIMIT ?1"),
                vec![Box::new(limit) as Box<dyn rusqlite::ToSql>],
            ),
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err(&op))?;
        let it = stmt
            .query_map(rusqlite::params_from_iter(rows.iter()), audit_row)
            .map_err(self.err(&op))?;
        it.collect::<Result<Vec<_>, _>>().map_err(self.err(&op))
    }
}
