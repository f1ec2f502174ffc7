//! Builds of apps' artifacts (`builds`): one row per `flinkdeck build`, written `running` when
//! it starts and settled when it ends (succeeded, failed, cancelled).

use rusqlite::{params, Row};

use super::{sqlite_err, Store, StoreError};
use crate::domain::{BuildRecord, BuildStatus};

const COLUMNS: &str = "id, app, status, git_ref, commit_sha, subject, artifact, sha256, size, \
                       duration_ms, log, started_at, user, error, version, image, pid";

/// How a build ended.
#[derive(Debug, Clone, Default)]
pub struct BuildEnd {
    pub commit: Option<String>,
    pub subject: Option<String>,
    pub artifact: Option<String>,
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub version: Option<u32>,
    pub image: Option<String>,
}

fn read(r: &Row<'_>) -> rusqlite::Result<(BuildRecord, String)> {
    let status: String = r.get(2)?;
    let size: Option<i64> = r.get(8)?;
    let version: Option<i64> = r.get(14)?;
    let pid: Option<i64> = r.get(16)?;
    Ok((
        BuildRecord {
            id: r.get(0)?,
            app: r.get(1)?,
            status: BuildStatus::Running,
            git_ref: r.get(3)?,
            commit: r.get(4)?,
            subject: r.get(5)?,
            artifact: r.get(6)?,
            sha256: r.get(7)?,
            size: size.and_then(|s| u64::try_from(s).ok()),
            duration_ms: r.get(9)?,
            log: r.get(10)?,
            started_at: r.get(11)?,
            user: r.get(12)?,
            error: r.get(13)?,
            version: version.and_then(|v| u32::try_from(v).ok()),
            image: r.get(15)?,
            pid: pid.and_then(|p| u32::try_from(p).ok()),
        },
        status,
    ))
}

impl Store {
    /// Records a build of `app` as running, by this process (its pid is the builder's, so that
    /// another process can cancel it); its log is `<log_dir>/<id>.log`. Returns the record.
    pub fn begin_build(
        &mut self,
        app: &str,
        git_ref: &str,
        user: &str,
        log_dir: &str,
        now_ms: i64,
    ) -> Result<BuildRecord, StoreError> {
        let op = format!("record a build of app {app}");
        let sq = sqlite_err(&self.path, &op);
        let pid = std::process::id();
        let tx = self.conn.transaction().map_err(&sq)?;
        tx.execute(
            "INSERT INTO builds (app, status, git_ref, log, started_at, user, pid)
             VALUES (?1, 'running', ?2, '', ?3, ?4, ?5)",
            params![app, git_ref, now_ms, user, pid],
        )
        .map_err(&sq)?;
        let id = tx.last_insert_rowid();
        let log = format!("{log_dir}/{id}.log");
        tx.execute("UPDATE builds SET log = ?1 WHERE id = ?2", params![log, id])
            .map_err(&sq)?;
        tx.commit().map_err(&sq)?;
        Ok(BuildRecord {
            id,
            app: app.to_string(),
            status: BuildStatus::Running,
            git_ref: git_ref.to_string(),
            commit: None,
            subject: None,
            artifact: None,
            sha256: None,
            size: None,
            duration_ms: None,
            log,
            started_at: now_ms,
            user: user.to_string(),
            error: None,
            version: None,
            image: None,
            pid: Some(pid),
        })
    }

    /// Settles build `id` with `status` (not `running`).
    pub fn finish_build(
        &mut self,
        id: i64,
        status: BuildStatus,
        end: &BuildEnd,
    ) -> Result<(), StoreError> {
        let op = format!("settle build {id}");
        let sq = sqlite_err(&self.path, &op);
        let size = end.size.and_then(|s| i64::try_from(s).ok());
        let n = self
            .conn
            .execute(
                "UPDATE builds SET status = ?2, commit_sha = ?3, subject = ?4, artifact = ?5,
                 sha256 = ?6, size = ?7, duration_ms = ?8, error = ?9, version = ?10,
                 image = ?11 WHERE id = ?1",
                params![
                    id,
                    status.as_str(),
                    end.commit,
                    end.subject,
                    end.artifact,
                    end.sha256,
                    size,
                    end.duration_ms,
                    end.error,
                    end.version,
                    end.image,
                ],
            )
            .map_err(&sq)?;
        if n == 0 {
            return Err(self.invalid(&op, format!("there is no build {id}")));
        }
        Ok(())
    }

    /// The builds of `app`, newest first (`status` filters, e.g. only running ones).
    pub fn builds(
        &self,
        app: &str,
        status: Option<BuildStatus>,
    ) -> Result<Vec<BuildRecord>, StoreError> {
        self.builds_limited(app, status, None)
    }

    /// The newest `limit` builds of `app` (all with `None`), newest first.
    pub fn builds_limited(
        &self,
        app: &str,
        status: Option<BuildStatus>,
        limit: Option<usize>,
    ) -> Result<Vec<BuildRecord>, StoreError> {
        let op = format!("read the builds of app {app}");
        let sq = sqlite_err(&self.path, &op);
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM builds WHERE app = ?1
                 AND (?2 IS NULL OR status = ?2) ORDER BY id DESC LIMIT ?3"
            ))
            .map_err(&sq)?;
        let rows = stmt
            .query_map(params![app, status.map(BuildStatus::as_str), limit], read)
            .map_err(&sq)?;
        let mut out = Vec::new();
        for row in rows {
            let (rec, status) = row.map_err(&sq)?;
            out.push(self.with_status(&op, rec, &status)?);
        }
        Ok(out)
    }

    /// One build by id.
    pub fn build(&self, id: i64) -> Result<Option<BuildRecord>, StoreError> {
        let op = format!("read build {id}");
        let sq = sqlite_err(&self.path, &op);
        let found = self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM builds WHERE id = ?1"),
                params![id],
                read,
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(sq(e)),
            })?;
        found
            .map(|(rec, status)| self.with_status(&op, rec, &status))
            .transpose()
    }

    fn with_status(
        &self,
        op: &str,
        mut rec: BuildRecord,
        status: &str,
    ) -> Result<BuildRecord, StoreError> {
        rec.status = BuildStatus::parse(status).ok_or_else(|| StoreError::Decode {
            path: self.path.clone(),
            op: op.to_string(),
            message: format!("build {}: unknown status {status:?}", rec.id),
        })?;
        Ok(rec)
    }

    /// The apps that have builds recorded (sorted by name).
    pub fn apps_with_builds(&self) -> Result<Vec<String>, StoreError> {
        let sq = sqlite_err(&self.path, "list the apps with builds");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT app FROM builds ORDER BY app")
            .map_err(&sq)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(&sq)?;
        rows.collect::<Result<Vec<String>, _>>().map_err(&sq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_are_recorded_settled_and_listed_newest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Store::open(&dir.path().join("t.db")).expect("open");
        let a = s
            .begin_build("orders", "main", "ann", "/d/builds/orders", 10)
            .expect("begin");
        assert_eq!(a.log, format!("/d/builds/orders/{}.log", a.id));
        let b = s
            .begin_build("orders", "v2", "bob", "/d/builds/orders", 20)
            .expect("begin");
        s.begin_build("other", "main", "ann", "/d/builds/other", 30)
            .expect("begin");
        let end = BuildEnd {
            commit: Some("abc".into()),
            sha256: Some("ff".into()),
            size: Some(42),
            duration_ms: 5,
            version: Some(3),
            ..BuildEnd::default()
        };
        s.finish_build(a.id, BuildStatus::Succeeded, &end)
            .expect("finish");
        let all = s.builds("orders", None).expect("list");
        assert_eq!(
            all.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![b.id, a.id]
        );
        assert_eq!(all[1].status, BuildStatus::Succeeded);
        assert_eq!(all[1].size, Some(42));
        assert_eq!(all[1].version, Some(3));
        let running = s
            .builds("orders", Some(BuildStatus::Running))
            .expect("running");
        assert_eq!(running.len(), 1);
        assert_eq!(running[0].user, "bob");
        assert!(s.finish_build(999, BuildStatus::Failed, &end).is_err());
        // The builder is this process; one build by id; the apps with builds; a limit.
        assert_eq!(b.pid, Some(std::process::id()));
        let one = s.build(b.id).expect("read").expect("build b");
        assert_eq!(
            (one.git_ref.as_str(), one.pid),
            ("v2", Some(std::process::id()))
        );
        assert_eq!(one.status, BuildStatus::Running);
        assert!(s.build(999).expect("read").is_none());
        assert_eq!(
            s.apps_with_builds().expect("apps"),
            vec!["orders".to_string(), "other".to_string()]
        );
        let newest = s.builds_limited("orders", None, Some(1)).expect("limited");
        assert_eq!(newest.iter().map(|r| r.id).collect::<Vec<_>>(), vec![b.id]);
    }

    #[test]
    fn retention_forgets_old_builds_of_deleted_apps_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Store::open(&dir.path().join("t.db")).expect("open");
        let day = 24 * 3600 * 1000;
        let now = 400 * day;
        for app in ["live", "gone"] {
            let spec = crate::domain::AppSpec::new(app, "c1", crate::domain::AppKind::Jar);
            s.apply_app(&spec, "ann", None, 1).expect("apply");
            for status in [BuildStatus::Succeeded, BuildStatus::Failed] {
                let b = s.begin_build(app, "main", "ann", "/d", 10).expect("begin");
                s.finish_build(b.id, status, &BuildEnd::default())
                    .expect("finish");
            }
            // Recent: kept whatever the app.
            s.begin_build(app, "main", "ann", "/d", now - day)
                .expect("begin");
        }
        s.delete_app("gone", 2).expect("delete");
        let r = s.run_retention(now).expect("retention");
        assert_eq!(r.builds, 2);
        assert_eq!(s.builds("live", None).expect("live").len(), 3);
        let gone = s.builds("gone", None).expect("gone");
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].started_at, now - day);
    }
}
