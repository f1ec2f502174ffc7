//! The watcher's automatic restarts: one row per attempt and per give-up, so the attempts within
//! an app's `[restart] within` window survive a watcher restart.

use rusqlite::params;

use super::{sqlite_err, Store, StoreError};
use crate::domain::restart::{RestartEvent, RestartRecord};

impl Store {
    /// Records an attempt or a give-up (`r.id` is ignored); returns the new row's id.
    pub fn record_restart(&mut self, r: &RestartRecord) -> Result<i64, StoreError> {
        let sq = sqlite_err(
            &self.path,
            &format!("record a restart {} of app {}", r.event.as_str(), r.app),
        );
        self.conn
            .execute(
                "INSERT INTO restarts (app, cluster, failed_job, at, event, attempt, ok, job_id,
                 restored_from, detail) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                params![
                    r.app,
                    r.cluster,
                    r.failed_job,
                    r.at,
                    r.event.as_str(),
                    r.attempt,
                    r.ok,
                    r.job_id,
                    r.restored_from,
                    r.detail
                ],
            )
            .map_err(&sq)?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Settles an attempt recorded before its start ran: whether it started, the job it
    /// started, and the start's message or error.
    pub fn finish_restart(
        &mut self,
        id: i64,
        ok: bool,
        job_id: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        let sq = sqlite_err(&self.path, &format!("record the outcome of restart #{id}"));
        self.conn
            .execute(
                "UPDATE restarts SET ok = ?2, job_id = ?3, detail = ?4 WHERE id = ?1",
                params![id, ok, job_id, detail],
            )
            .map_err(&sq)?;
        Ok(())
    }

    /// The app's restart rows at or after `since` (epoch ms), oldest first.
    pub fn restarts(&self, app: &str, since: i64) -> Result<Vec<RestartRecord>, StoreError> {
        let op = format!("read the restarts of app {app}");
        let sq = sqlite_err(&self.path, &op);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, app, cluster, failed_job, at, event, attempt, ok, job_id,
                 restored_from, detail FROM restarts WHERE app = ?1 AND at >= ?2 ORDER BY id",
            )
            .map_err(&sq)?;
        let rows = stmt
            .query_map(params![app, since], |r| {
                let event: String = r.get(5)?;
                Ok((
                    RestartRecord {
                        id: r.get(0)?,
                        app: r.get(1)?,
                        cluster: r.get(2)?,
                        failed_job: r.get(3)?,
                        at: r.get(4)?,
                        event: RestartEvent::Attempt,
                        attempt: r.get(6)?,
                        ok: r.get(7)?,
                        job_id: r.get(8)?,
                        restored_from: r.get(9)?,
                        detail: r.get(10)?,
                    },
                    event,
                ))
            })
            .map_err(&sq)?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, event) = row.map_err(&sq)?;
            rec.event = RestartEvent::parse(&event)
                .ok_or_else(|| self.decode_err(&op, format!("unknown restart event {event:?}")))?;
            out.push(rec);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(app: &str, at: i64, event: RestartEvent, ok: bool) -> RestartRecord {
        RestartRecord {
            id: 0,
            app: app.into(),
            cluster: "c".into(),
            failed_job: format!("job-{at}"),
            at,
            event,
            attempt: 1,
            ok,
            job_id: ok.then(|| "new".to_string()),
            restored_from: Some("file:/cp/chk-3".into()),
            detail: "started".into(),
        }
    }

    #[test]
    fn attempts_survive_a_reopen_and_are_read_per_app_and_window() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("s.db");
        {
            let mut s = Store::open(&path).expect("open");
            s.record_restart(&rec("a", 10, RestartEvent::Attempt, true))
                .expect("write");
            s.record_restart(&rec("a", 20, RestartEvent::GaveUp, false))
                .expect("write");
            s.record_restart(&rec("b", 30, RestartEvent::Attempt, false))
                .expect("write");
        }
        let s = Store::open(&path).expect("reopen");
        let a = s.restarts("a", 0).expect("read");
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].event, RestartEvent::Attempt);
        assert_eq!(a[0].job_id.as_deref(), Some("new"));
        assert_eq!(a[0].restored_from.as_deref(), Some("file:/cp/chk-3"));
        assert_eq!(a[1].event, RestartEvent::GaveUp);
        assert!(!a[1].ok);
        assert_eq!(s.restarts("a", 15).expect("read").len(), 1);
        let mut s = s;
        s.finish_restart(a[0].id, false, None, "failed: boom")
            .expect("settle");
        let a = s.restarts("a", 0).expect("read");
        assert_eq!((a[0].ok, a[0].job_id.as_deref()), (false, None));
        assert_eq!(a[0].detail, "failed: boom");
        assert_eq!(s.restarts("b", 0).expect("read")[0].failed_job, "job-30");
    }
}
