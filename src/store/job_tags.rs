//! Tags put on unmanaged jobs from the console: local metadata keyed by cluster and job NAME, so
//! a job resubmitted under the same name (a new job id) keeps its tags.

use rusqlite::params;

use super::{sqlite_err, Store, StoreError};

/// The local tags of one job (cluster + job name), sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTags {
    pub cluster: String,
    pub job_name: String,
    pub tags: Vec<String>,
}

impl Store {
    /// Every job's local tags, by cluster and job name.
    pub fn job_tags(&self) -> Result<Vec<JobTags>, StoreError> {
        let sq = sqlite_err(&self.path, "read the local job tags");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT cluster, job_name, tag FROM job_tags ORDER BY cluster, job_name, tag",
            )
            .map_err(&sq)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(&sq)?;
        let mut out: Vec<JobTags> = Vec::new();
        for row in rows {
            let (cluster, job_name, tag) = row.map_err(&sq)?;
            match out.last_mut() {
                Some(last) if last.cluster == cluster && last.job_name == job_name => {
                    last.tags.push(tag)
                }
                _ => out.push(JobTags {
                    cluster,
                    job_name,
                    tags: vec![tag],
                }),
            }
        }
        Ok(out)
    }

    /// Adds and removes tags of the job named `job_name` on `cluster` in one transaction;
    /// returns its tags afterwards.
    pub fn edit_job_tags(
        &mut self,
        cluster: &str,
        job_name: &str,
        add: &[String],
        remove: &[String],
        now_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sq = sqlite_err(
            &self.path,
            &format!("change the tags of job {job_name:?} on cluster {cluster}"),
        );
        let tx = self.conn.transaction().map_err(&sq)?;
        for t in remove {
            tx.execute(
                "DELETE FROM job_tags WHERE cluster = ?1 AND job_name = ?2 AND tag = ?3",
                params![cluster, job_name, t],
            )
            .map_err(&sq)?;
        }
        for t in add {
            tx.execute(
                "INSERT OR IGNORE INTO job_tags (cluster, job_name, tag, added_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![cluster, job_name, t, now_ms],
            )
            .map_err(&sq)?;
        }
        let tags = {
            let mut stmt = tx
                .prepare(
                    "SELECT tag FROM job_tags WHERE cluster = ?1 AND job_name = ?2 ORDER BY tag",
                )
                .map_err(&sq)?;
            let rows = stmt
                .query_map(params![cluster, job_name], |r| r.get::<_, String>(0))
                .map_err(&sq)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(&sq)?
        };
        tx.commit().map_err(&sq)?;
        Ok(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_kept_by_cluster_and_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut s = Store::open(&dir.path().join("t.db")).expect("open");
        let tags = s
            .edit_job_tags("c1", "etl", &["tier-1".into(), "eu".into()], &[], 1)
            .expect("add");
        assert_eq!(tags, ["eu", "tier-1"]);
        s.edit_job_tags("c2", "etl", &["other".into()], &[], 2)
            .expect("add c2");
        let tags = s
            .edit_job_tags("c1", "etl", &["tier-1".into()], &["eu".into()], 3)
            .expect("edit");
        assert_eq!(tags, ["tier-1"]);
        assert_eq!(
            s.job_tags().expect("read"),
            vec![
                JobTags {
                    cluster: "c1".into(),
                    job_name: "etl".into(),
                    tags: vec!["tier-1".into()]
                },
                JobTags {
                    cluster: "c2".into(),
                    job_name: "etl".into(),
                    tags: vec!["other".into()]
                },
            ]
        );
        let tags = s
            .edit_job_tags("c1", "etl", &[], &["tier-1".into()], 4)
            .expect("remove");
        assert!(tags.is_empty());
        assert_eq!(s.job_tags().expect("read").len(), 1);
    }
}
