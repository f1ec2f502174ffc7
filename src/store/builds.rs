//! Builds of apps' artifacts (`builds`): one row per `flinkdeck build`, written `running` when
//! it starts and settled when it ends (succeeded, failed, cancelled).

use rusqlite::{params, Row};

use super::{sqlite_err, Store, StoreError};
use crate::domain::{BuildRecord, BuildStatus};

const COLUMNS: &str = "id, app, status, git_ref, commit_sha, subject, artifact, sha256, size, \
                       duration_ms, log, started_at, user, error, version, image";

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
        },
        status,
    ))
}

impl Store {
    /// Records a build of `app` as running; its log is `<log_dir>/<id>.log`. Returns the record.
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
        let tx = self.conn.transaction().map_err(&sq)?;
        tx.execute(
            "INSERT INTO builds (app, status, git_ref, log, started_at, user)
             VALUES (?1, 'running', ?2, '', ?3, ?4)",
            params![app, git_ref, now_ms, user],
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
        let op = format!("read the builds of app {app}");
        let sq = sqlite_err(&self.path, &op);
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM builds WHERE app = ?1
                 AND (?2 IS NULL OR status = ?2) ORDER BY id DESC"
            ))
            .map_err(&sq)?;
        let rows = stmt
            .query_map(params![app, status.map(BuildStatus::as_str)], read)
            .map_err(&sq)?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rec, status) = row.map_err(&sq)?;
            rec.status = BuildStatus::parse(&status).ok_or_else(|| StoreError::Decode {
                path: self.path.clone(),
                op: op.clone(),
                message: format!("build {}: unknown status {status:?}", rec.id),
            })?;
            out.push(rec);
        }
        Ok(out)
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
