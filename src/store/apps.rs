//! Managed applications: definitions with versions (`apps`, `app_versions`).
//!
//! Every change of a definition is a new version with its time and author. A version is stored
//! as the canonical JSON of its [`AppSpec`]; applying the same spec again creates nothing.
//! Deleting is soft: history (versions, runs) stays, and applying the app again revives it with
//! the next version number.

use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};
use serde::{Deserialize, Serialize};

use super::{sqlite_err, Store, StoreError};
use crate::domain::{AppSpec, AppVersion};

/// What [`Store::apply_app`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ApplyOutcome {
    /// A new app (or a deleted one applied again) with its first (next) version.
    Created { version: u32 },
    /// The spec differed from the current version: a new version.
    Updated { version: u32 },
    /// The spec equals the current version: nothing was written.
    Unchanged { version: u32 },
}

impl ApplyOutcome {
    /// The app's current version after the apply.
    pub fn version(self) -> u32 {
        match self {
            ApplyOutcome::Created { version }
            | ApplyOutcome::Updated { version }
            | ApplyOutcome::Unchanged { version } => version,
        }
    }
}

/// The canonical JSON of a spec: serde's field order, options sorted (a `BTreeMap`).
pub(super) fn canonical_json(spec: &AppSpec) -> Result<String, String> {
    serde_json::to_string(spec).map_err(|e| format!("cannot encode the app spec: {e}"))
}

const VERSION_COLUMNS: &str = "app, version, created_at, author, message, spec_json";

/// An `app_versions` row before its JSON is decoded.
struct VersionRow {
    app: String,
    version: i64,
    created_at: i64,
    author: String,
    message: Option<String>,
    spec_json: String,
}

impl VersionRow {
    fn read(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
        Ok(VersionRow {
            app: r.get(0)?,
            version: r.get(1)?,
            created_at: r.get(2)?,
            author: r.get(3)?,
            message: r.get(4)?,
            spec_json: r.get(5)?,
        })
    }

    fn decode(self) -> Result<AppVersion, String> {
        let version = u32::try_from(self.version)
            .map_err(|_| format!("app {}: invalid version {}", self.app, self.version))?;
        let spec: AppSpec = serde_json::from_str(&self.spec_json).map_err(|e| {
            format!(
                "app {} version {version}: cannot decode the stored spec: {e}",
                self.app
            )
        })?;
        Ok(AppVersion {
            app: self.app,
            version,
            created_at: self.created_at,
            author: self.author,
            message: self.message,
            spec,
        })
    }
}

impl Store {
    /// Creates or updates the app `spec.name`. A new version is written only when the spec
    /// differs from the current one (compared as canonical JSON); applying a deleted app revives
    /// it with the next version number (`Created`).
    pub fn apply_app(
        &mut self,
        spec: &AppSpec,
        author: &str,
        message: Option<&str>,
        now_ms: i64,
    ) -> Result<ApplyOutcome, StoreError> {
        let op = format!("apply app {}", spec.name);
        if spec.name.is_empty() {
            return Err(self.invalid(&op, "the app name is empty"));
        }
        let json = canonical_json(spec).map_err(|m| self.invalid(&op, m))?;
        let path = self.path.clone();
        let sq = sqlite_err(&path, &op);
        let decode = |m: String| StoreError::Decode {
            path: path.clone(),
            op: op.clone(),
            message: m,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sq)?;
        let existing: Option<Option<i64>> = tx
            .query_row(
                "SELECT deleted_at FROM apps WHERE name = ?1",
                params![spec.name],
                |r| r.get(0),
            )
            .optional()
            .map_err(&sq)?;
        let latest: Option<VersionRow> = tx
            .query_row(
                &format!(
                    "SELECT {VERSION_COLUMNS} FROM app_versions WHERE app = ?1
                     ORDER BY version DESC LIMIT 1"
                ),
                params![spec.name],
                VersionRow::read,
            )
            .optional()
            .map_err(&sq)?;
        let latest = latest.map(VersionRow::decode).transpose().map_err(decode)?;
        let last_version = latest.as_ref().map(|v| v.version).unwrap_or(0);
        let deleted = match existing {
            None => true,
            Some(deleted_at) => deleted_at.is_some(),
        };
        if !deleted {
            if let Some(current) = &latest {
                let current_json = canonical_json(&current.spec).map_err(decode)?;
                if current_json == json {
                    return Ok(ApplyOutcome::Unchanged {
                        version: current.version,
                    });
                }
            }
        }
        let version = last_version
            .checked_add(1)
            .ok_or_else(|| decode(format!("app {}: too many versions", spec.name)))?;
        tx.execute(
            "INSERT INTO apps (name, created_at, deleted_at) VALUES (?1, ?2, NULL)
             ON CONFLICT (name) DO UPDATE SET deleted_at = NULL",
            params![spec.name, now_ms],
        )
        .map_err(&sq)?;
        tx.execute(
            "INSERT INTO app_versions (app, version, created_at, author, message, spec_json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![spec.name, version, now_ms, author, message, json],
        )
        .map_err(&sq)?;
        tx.commit().map_err(&sq)?;
        Ok(if deleted || latest.is_none() {
            ApplyOutcome::Created { version }
        } else {
            ApplyOutcome::Updated { version }
        })
    }

    /// The current (latest) version of an app; `None` if there is no such app or it is deleted.
    pub fn app(&self, name: &str) -> Result<Option<AppVersion>, StoreError> {
        let op = format!("read app {name}");
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS} FROM app_versions
                 WHERE app = ?1
                   AND EXISTS (SELECT 1 FROM apps WHERE name = ?1 AND deleted_at IS NULL)
                 ORDER BY version DESC LIMIT 1"
            ))
            .and_then(|mut s| s.query_row(params![name], VersionRow::read).optional())
            .map_err(self.err(&op))?;
        row.map(|r| r.decode().map_err(|m| self.decode_err(&op, m)))
            .transpose()
    }

    /// One version of an app, also of a deleted app (history is kept).
    pub fn app_version(&self, name: &str, version: u32) -> Result<Option<AppVersion>, StoreError> {
        let op = format!("read app {name} version {version}");
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {VERSION_COLUMNS} FROM app_versions WHERE app = ?1 AND version = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(params![name, version], VersionRow::read)
                    .optional()
            })
            .map_err(self.err(&op))?;
        row.map(|r| r.decode().map_err(|m| self.decode_err(&op, m)))
            .transpose()
    }

    /// Every version of an app, newest first (also of a deleted app).
    pub fn app_versions(&self, name: &str) -> Result<Vec<AppVersion>, StoreError> {
        let op = format!("read versions of app {name}");
        self.versions(
            &op,
            &format!(
                "SELECT {VERSION_COLUMNS} FROM app_versions WHERE app = ?1
                 ORDER BY version DESC"
            ),
            params![name],
        )
    }

    /// The current versions of all apps that are not deleted, by name.
    pub fn apps(&self) -> Result<Vec<AppVersion>, StoreError> {
        self.versions(
            "read apps",
            "SELECT v.app, v.version, v.created_at, v.author, v.message, v.spec_json
             FROM apps a JOIN app_versions v ON v.app = a.name
             WHERE a.deleted_at IS NULL
               AND v.version = (SELECT MAX(version) FROM app_versions WHERE app = a.name)
             ORDER BY a.name",
            params![],
        )
    }

    /// Soft-deletes an app: it no longer shows in [`Store::apps`] / [`Store::app`], its versions
    /// and runs stay. `false` if there is no such app (or it is already deleted).
    pub fn delete_app(&mut self, name: &str, now_ms: i64) -> Result<bool, StoreError> {
        let op = format!("delete app {name}");
        let n = self
            .conn
            .execute(
                "UPDATE apps SET deleted_at = ?2 WHERE name = ?1 AND deleted_at IS NULL",
                params![name, now_ms],
            )
            .map_err(self.err(&op))?;
        Ok(n > 0)
    }

    fn versions(
        &self,
        op: &str,
        sql: &str,
        args: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<AppVersion>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(self.err(op))?;
        let rows = stmt
            .query_map(args, VersionRow::read)
            .map_err(self.err(op))?;
        let raw = rows.collect::<Result<Vec<_>, _>>().map_err(self.err(op))?;
        raw.into_iter()
            .map(|r| r.decode().map_err(|m| self.decode_err(op, m)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::AppKind;

    pub(crate) fn sql_spec(name: &str) -> AppSpec {
        AppSpec {
            sql: Some("INSERT INTO out SELECT * FROM src;".into()),
            sql_file: Some("x.sql".into()),
            parallelism: Some(2),
            options: BTreeMap::from([("execution.checkpointing.interval".into(), "10s".into())]),
            owner: Some("data-team".into()),
            team: None,
            tags: vec!["orders".into()],
            ..AppSpec::new(name, "c1", AppKind::Sql)
        }
    }

    #[test]
    fn apply_creates_updates_and_detects_unchanged() {
        let mut s = Store::open_in_memory().expect("open");
        let spec = sql_spec("orders-agg");
        assert_eq!(
            s.apply_app(&spec, "alice", Some("first"), 100)
                .expect("apply"),
            ApplyOutcome::Created { version: 1 }
        );
        assert_eq!(
            s.apply_app(&spec.clone(), "bob", None, 200).expect("again"),
            ApplyOutcome::Unchanged { version: 1 }
        );
        let mut v2 = spec.clone();
        v2.parallelism = Some(4);
        v2.options.insert("a.b".into(), "1".into());
        let out = s.apply_app(&v2, "bob", None, 300).expect("update");
        assert_eq!(out, ApplyOutcome::Updated { version: 2 });
        assert_eq!(out.version(), 2);
        // Options are a map: the order they were inserted in does not matter.
        let mut same = spec.clone();
        same.options = BTreeMap::new();
        same.options.insert("a.b".into(), "1".into());
        same.options
            .insert("execution.checkpointing.interval".into(), "10s".into());
        same.parallelism = Some(4);
        assert_eq!(
            s.apply_app(&same, "carol", None, 400).expect("same"),
            ApplyOutcome::Unchanged { version: 2 }
        );

        let cur = s.app("orders-agg").expect("read").expect("exists");
        assert_eq!(cur.version, 2);
        assert_eq!(cur.author, "bob");
        assert_eq!(cur.created_at, 300);
        assert_eq!(cur.spec, v2);
        let first = s
            .app_version("orders-agg", 1)
            .expect("read")
            .expect("exists");
        assert_eq!(first.spec, spec);
        assert_eq!(first.message.as_deref(), Some("first"));
        assert_eq!(first.author, "alice");
        assert!(s.app_version("orders-agg", 3).expect("read").is_none());
        let versions: Vec<u32> = s
            .app_versions("orders-agg")
            .expect("versions")
            .iter()
            .map(|v| v.version)
            .collect();
        assert_eq!(versions, vec![2, 1]);
        assert!(s.app("nope").expect("read").is_none());
        assert!(s.app_versions("nope").expect("read").is_empty());
    }

    #[test]
    fn apps_lists_current_versions_by_name_and_delete_is_soft() {
        let mut s = Store::open_in_memory().expect("open");
        s.apply_app(&sql_spec("zeta"), "u", None, 1).expect("z");
        s.apply_app(&sql_spec("alpha"), "u", None, 2).expect("a");
        let mut a2 = sql_spec("alpha");
        a2.tags = vec!["x".into()];
        s.apply_app(&a2, "u", None, 3).expect("a2");
        let list: Vec<(String, u32)> = s
            .apps()
            .expect("apps")
            .into_iter()
            .map(|v| (v.app, v.version))
            .collect();
        assert_eq!(list, vec![("alpha".into(), 2), ("zeta".into(), 1)]);

        assert!(s.delete_app("alpha", 10).expect("delete"));
        assert!(!s.delete_app("alpha", 11).expect("twice"));
        assert!(!s.delete_app("nope", 11).expect("missing"));
        assert!(s.app("alpha").expect("read").is_none());
        assert_eq!(s.apps().expect("apps").len(), 1);
        // History is kept.
        assert_eq!(s.app_versions("alpha").expect("versions").len(), 2);
        assert!(s.app_version("alpha", 1).expect("v1").is_some());

        // Applying it again (even unchanged) revives it and continues the numbering.
        assert_eq!(
            s.apply_app(&a2, "u", Some("back"), 20).expect("revive"),
            ApplyOutcome::Created { version: 3 }
        );
        let cur = s.app("alpha").expect("read").expect("revived");
        assert_eq!(cur.version, 3);
        assert_eq!(cur.spec, a2);
        assert_eq!(s.apps().expect("apps").len(), 2);
        assert_eq!(
            s.apply_app(&a2, "u", None, 21).expect("unchanged"),
            ApplyOutcome::Unchanged { version: 3 }
        );
    }

    #[test]
    fn corrupt_spec_json_is_an_error() {
        let mut s = Store::open_in_memory().expect("open");
        s.apply_app(&sql_spec("a"), "u", None, 1).expect("apply");
        s.conn
            .execute(
                "UPDATE app_versions SET spec_json = '{\"kind\":\"wasm\"}'",
                [],
            )
            .expect("corrupt");
        let e = s.app("a").expect_err("must fail");
        assert!(matches!(e, StoreError::Decode { .. }), "{e:?}");
        assert!(e.to_string().contains("app a version 1"), "{e}");
        assert!(s.apply_app(&sql_spec("a"), "u", None, 2).is_err());
        assert!(s.apply_app(&sql_spec(""), "u", None, 2).is_err());
    }
}
