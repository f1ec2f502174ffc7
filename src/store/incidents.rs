//! Alert incidents and their deliveries: an incident is opened once per (rule, subject) while
//! its condition holds (a unique index keeps it so across watcher restarts), reminded, muted or
//! acknowledged, and closed when the condition clears; every delivery attempt is a row.

use rusqlite::{params, OptionalExtension, Row};

use super::{sqlite_err, Store, StoreError};
use crate::domain::alerts::{AlertKind, Condition, DeliveryRecord, IncidentRecord};

const COLUMNS: &str = "id, rule, kind, subject, cluster, app, job_id, state, reason, since, \
                       opened_at, closed_at, last_notified_at, muted_until, acknowledged_by, \
                       acknowledged_at";

fn read(r: &Row<'_>) -> rusqlite::Result<(IncidentRecord, String)> {
    let kind: String = r.get(2)?;
    Ok((
        IncidentRecord {
            id: r.get(0)?,
            rule: r.get(1)?,
            kind: AlertKind::Failed,
            subject: r.get(3)?,
            cluster: r.get(4)?,
            app: r.get(5)?,
            job_id: r.get(6)?,
            state: r.get(7)?,
            reason: r.get(8)?,
            since: r.get(9)?,
            opened_at: r.get(10)?,
            closed_at: r.get(11)?,
            last_notified_at: r.get(12)?,
            muted_until: r.get(13)?,
            acknowledged_by: r.get(14)?,
            acknowledged_at: r.get(15)?,
            deliveries: Vec::new(),
        },
        kind,
    ))
}

impl Store {
    /// Opens an incident for `c` at `now`; returns its id (an incident already open for the same
    /// rule and subject is returned instead, so two watchers never open it twice).
    pub fn open_incident(&mut self, c: &Condition, now: i64) -> Result<i64, StoreError> {
        let op = format!("open an incident of rule {} for {}", c.rule, c.subject);
        let sq = sqlite_err(&self.path, &op);
        if let Some(id) = self.open_incident_id(&c.rule, &c.subject)? {
            return Ok(id);
        }
        self.conn
            .execute(
                "INSERT INTO incidents (rule, kind, subject, cluster, app, job_id, state, reason,
                 since, opened_at, last_notified_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?10)",
                params![
                    c.rule,
                    c.kind.as_str(),
                    c.subject,
                    c.cluster,
                    c.app,
                    c.job_id,
                    c.state,
                    c.reason,
                    c.since,
                    now
                ],
            )
            .map_err(&sq)?;
        Ok(self.conn.last_insert_rowid())
    }

    fn open_incident_id(&self, rule: &str, subject: &str) -> Result<Option<i64>, StoreError> {
        let sq = sqlite_err(&self.path, "find an open incident");
        self.conn
            .query_row(
                "SELECT id FROM incidents WHERE rule = ?1 AND subject = ?2 AND closed_at IS NULL",
                params![rule, subject],
                |r| r.get(0),
            )
            .optional()
            .map_err(&sq)
    }

    /// A reminder went out: the incident's latest facts and `last_notified_at`.
    pub fn remind_incident(&mut self, id: i64, c: &Condition, now: i64) -> Result<(), StoreError> {
        let sq = sqlite_err(&self.path, "record a reminder");
        self.conn
            .execute(
                "UPDATE incidents SET last_notified_at = ?2, job_id = ?3, state = ?4, reason = ?5
                 WHERE id = ?1",
                params![id, now, c.job_id, c.state, c.reason],
            )
            .map_err(&sq)?;
        Ok(())
    }

    pub fn close_incident(&mut self, id: i64, now: i64) -> Result<(), StoreError> {
        let sq = sqlite_err(&self.path, "close an incident");
        self.conn
            .execute(
                "UPDATE incidents SET closed_at = ?2 WHERE id = ?1 AND closed_at IS NULL",
                params![id, now],
            )
            .map_err(&sq)?;
        Ok(())
    }

    /// Mutes reminders of incident `id` until `until` (epoch ms); `None` unmutes. Returns false
    /// when there is no such open incident.
    pub fn mute_incident(&mut self, id: i64, until: Option<i64>) -> Result<bool, StoreError> {
        let sq = sqlite_err(&self.path, "mute an incident");
        let n = self
            .conn
            .execute(
                "UPDATE incidents SET muted_until = ?2 WHERE id = ?1 AND closed_at IS NULL",
                params![id, until],
            )
            .map_err(&sq)?;
        Ok(n == 1)
    }

    /// Acknowledges incident `id` (no more reminders). Returns false when there is no such open
    /// incident.
    pub fn acknowledge_incident(
        &mut self,
        id: i64,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sq = sqlite_err(&self.path, "acknowledge an incident");
        let n = self
            .conn
            .execute(
                "UPDATE incidents SET acknowledged_by = ?2, acknowledged_at = ?3
                 WHERE id = ?1 AND closed_at IS NULL",
                params![id, by, now],
            )
            .map_err(&sq)?;
        Ok(n == 1)
    }

    /// Incidents, open ones first (newest first within each), at most `limit`; with
    /// `open_only`, only open ones. Deliveries are included.
    pub fn incidents(
        &self,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<IncidentRecord>, StoreError> {
        let op = "read the incidents";
        let sq = sqlite_err(&self.path, op);
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM incidents WHERE (?1 = 0 OR closed_at IS NULL)
                 ORDER BY closed_at IS NOT NULL, id DESC LIMIT ?2"
            ))
            .map_err(&sq)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![i64::from(open_only), limit], read)
            .map_err(&sq)?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, kind) = row.map_err(&sq)?;
            rec.kind = AlertKind::parse(&kind).ok_or_else(|| StoreError::Decode {
                path: self.path.clone(),
                op: op.to_string(),
                message: format!("incident {}: unknown kind {kind:?}", rec.id),
            })?;
            rec.deliveries = self.deliveries(Some(rec.id))?;
            out.push(rec);
        }
        Ok(out)
    }

    /// How many incidents are open, and how many of those are neither acknowledged nor muted
    /// at `now` (one cheap query, for the console's header badge).
    pub fn open_incident_counts(&self, now: i64) -> Result<(u32, u32), StoreError> {
        let sq = sqlite_err(&self.path, "count the open incidents");
        self.conn
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(acknowledged_by IS NULL
                 AND (muted_until IS NULL OR muted_until <= ?1)), 0)
                 FROM incidents WHERE closed_at IS NULL",
            )
            .map_err(&sq)?
            .query_row(params![now], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&sq)
    }

    /// Records one delivery attempt.
    #[allow(clippy::too_many_arguments)]
    pub fn record_delivery(
        &mut self,
        incident: Option<i64>,
        channel: &str,
        event: &str,
        attempt: u32,
        at: i64,
        ok: bool,
        result: &str,
    ) -> Result<(), StoreError> {
        let sq = sqlite_err(&self.path, "record a delivery");
        self.conn
            .execute(
                "INSERT INTO deliveries (incident, channel, event, attempt, at, ok, result)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![incident, channel, event, attempt, at, ok, result],
            )
            .map_err(&sq)?;
        Ok(())
    }

    /// What the watcher remembers between runs: (subject, since).
    pub fn alert_marks(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let sq = sqlite_err(&self.path, "read the alert marks");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT subject, since FROM alert_marks ORDER BY subject")
            .map_err(&sq)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&sq)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&sq)
    }

    /// Replaces the alert marks with `marks`.
    pub fn set_alert_marks(&mut self, marks: &[(String, i64)]) -> Result<(), StoreError> {
        let sq = sqlite_err(&self.path, "write the alert marks");
        let tx = self.conn.transaction().map_err(&sq)?;
        tx.execute("DELETE FROM alert_marks", []).map_err(&sq)?;
        for (subject, since) in marks {
            tx.execute(
                "INSERT INTO alert_marks (subject, since) VALUES (?1, ?2)",
                params![subject, since],
            )
            .map_err(&sq)?;
        }
        tx.commit().map_err(&sq)
    }

    /// The delivery attempts of `incident` (`None`: test messages), oldest first.
    pub fn deliveries(&self, incident: Option<i64>) -> Result<Vec<DeliveryRecord>, StoreError> {
        let sq = sqlite_err(&self.path, "read deliveries");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, incident, channel, event, attempt, at, ok, result FROM deliveries
                 WHERE incident IS ?1 ORDER BY id",
            )
            .map_err(&sq)?;
        let rows = stmt
            .query_map(params![incident], |r| {
                Ok(DeliveryRecord {
                    id: r.get(0)?,
                    incident: r.get(1)?,
                    channel: r.get(2)?,
                    event: r.get(3)?,
                    attempt: r.get(4)?,
                    at: r.get(5)?,
                    ok: r.get(6)?,
                    result: r.get(7)?,
                })
            })
            .map_err(&sq)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(&sq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(rule: &str, subject: &str) -> Condition {
        Condition {
            rule: rule.into(),
            kind: AlertKind::Lost,
            subject: subject.into(),
            cluster: "c1".into(),
            app: Some("orders".into()),
            job_id: Some("j1".into()),
            state: None,
            reason: "job j1 is no longer on cluster c1".into(),
            since: 5,
        }
    }

    #[test]
    fn one_open_incident_per_rule_and_subject_and_its_lifecycle() {
        let d = tempfile::tempdir().expect("tmp");
        let mut s = Store::open(&d.path().join("s.db")).expect("open");
        let a = s.open_incident(&cond("r", "app:orders"), 10).expect("open");
        assert_eq!(
            s.open_incident(&cond("r", "app:orders"), 11)
                .expect("again"),
            a
        );
        let b = s
            .open_incident(&cond("r2", "app:orders"), 12)
            .expect("other rule");
        assert_ne!(a, b);
        s.record_delivery(Some(a), "ding", "opened", 1, 10, false, "HTTP 500")
            .expect("delivery");
        s.record_delivery(Some(a), "ding", "opened", 2, 11, true, "HTTP 200")
            .expect("delivery");
        assert_eq!(s.open_incident_counts(50).expect("count"), (2, 2));
        assert!(s.mute_incident(a, Some(100)).expect("mute"));
        assert_eq!(s.open_incident_counts(50).expect("count"), (2, 1));
        // The mute ran out.
        assert_eq!(s.open_incident_counts(100).expect("count"), (2, 2));
        assert!(s.acknowledge_incident(b, "ana", 13).expect("ack"));
        assert_eq!(s.open_incident_counts(50).expect("count"), (2, 0));
        let open = s.incidents(true, 10).expect("open");
        assert_eq!(open.len(), 2);
        let inc = open.iter().find(|i| i.id == a).expect("a");
        assert_eq!(inc.kind, AlertKind::Lost);
        assert_eq!(inc.muted_until, Some(100));
        assert_eq!(inc.deliveries.len(), 2);
        assert!(!inc.deliveries[0].ok && inc.deliveries[1].ok);
        assert!(inc.as_open().muted_until.is_some());
        assert!(
            open.iter()
                .find(|i| i.id == b)
                .expect("b")
                .as_open()
                .acknowledged
        );
        s.close_incident(a, 20).expect("close");
        assert!(!s.mute_incident(a, None).expect("closed: no mute"));
        assert_eq!(s.incidents(true, 10).expect("open").len(), 1);
        assert_eq!(s.open_incident_counts(50).expect("count"), (1, 0));
        let all = s.incidents(false, 10).expect("all");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].id, b, "open ones first");
        assert_eq!(all[1].closed_at, Some(20));
        s.set_alert_marks(&[("job:c/x".into(), 5), ("app:a".into(), 7)])
            .expect("marks");
        assert_eq!(
            s.alert_marks().expect("marks"),
            vec![("app:a".to_string(), 7), ("job:c/x".to_string(), 5)]
        );
        s.set_alert_marks(&[]).expect("clear");
        assert!(s.alert_marks().expect("marks").is_empty());
        // Closed: the same condition opens a new incident.
        let c = s
            .open_incident(&cond("r", "app:orders"), 30)
            .expect("reopen");
        assert!(c > b);
    }
}
