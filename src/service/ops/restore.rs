//! Choosing what a start restores from, and comparing the path Flink reports with it.

use super::{store_err, OpsContext};
use crate::domain::{CheckpointKind, RestoreChoice, RestorePoint};
use crate::store::Store;

/// How many recorded points are considered.
const POINTS_LIMIT: usize = 200;

/// The app's recorded savepoints and checkpoints, newest completion first, without those whose
/// local files are gone (Flink deletes old checkpoints; restoring from one would fail).
pub async fn restore_points(ctx: &OpsContext, app: &str) -> Result<Vec<RestorePoint>, String> {
    let name = app.to_string();
    let points = ctx
        .store
        .call(move |s: &mut Store| s.app_restore_points(&name, POINTS_LIMIT))
        .await
        .map_err(store_err("cannot read restore points"))?;
    Ok(points.into_iter().filter(still_there).collect())
}

/// A `file:` path must still exist (with its `_metadata`); other schemes are trusted.
fn still_there(p: &RestorePoint) -> bool {
    match local_path(&p.path) {
        Some(path) => {
            let path = std::path::Path::new(&path);
            path.join("_metadata").exists() || path.is_file()
        }
        None => true,
    }
}

/// `file:/x`, `file:///x` or `/x` → `/x`; other schemes → None.
fn local_path(p: &str) -> Option<String> {
    if let Some(rest) = p.strip_prefix("file://") {
        return Some(rest.to_string());
    }
    if let Some(rest) = p.strip_prefix("file:") {
        return Some(rest.to_string());
    }
    p.starts_with('/').then(|| p.to_string())
}

/// Whether two checkpoint paths name the same location (`file:/x/` = `file:///x` = `/x`).
pub fn same_path(a: &str, b: &str) -> bool {
    let norm = |p: &str| -> String {
        let p = local_path(p).unwrap_or_else(|| p.to_string());
        let mut p = p.trim_end_matches('/').to_string();
        while p.contains("//") {
            p = p.replace("//", "/");
        }
        p
    };
    norm(a) == norm(b)
}

/// Resolves the user's choice to a concrete point (`None` = fresh start).
pub async fn resolve(
    ctx: &OpsContext,
    app: &str,
    choice: &RestoreChoice,
) -> Result<Option<RestorePoint>, String> {
    match choice {
        RestoreChoice::None => Ok(None),
        RestoreChoice::Savepoint(path) => Ok(Some(RestorePoint {
            path: path.clone(),
            kind: CheckpointKind::Savepoint,
            id: None,
            completed_at: None,
            job_id: None,
        })),
        RestoreChoice::Latest => Ok(restore_points(ctx, app).await?.into_iter().next()),
        RestoreChoice::Checkpoint(id) => {
            let points = restore_points(ctx, app).await?;
            points
                .into_iter()
                .find(|p| p.kind == CheckpointKind::Checkpoint && p.id == Some(*id))
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "no retained checkpoint #{id} is recorded for app {app} (see `flinkdeck history {app}`)"
                    )
                })
        }
    }
}

/// `savepoint #12 file:/… (completed 2026-11-21 08:00:01)` or `none (fresh start)`.
pub fn describe(point: Option<&RestorePoint>) -> String {
    match point {
        None => "none (fresh start)".to_string(),
        Some(p) => {
            let id = p.id.map(|i| format!(" #{i}")).unwrap_or_default();
            let when = p
                .completed_at
                .map(|t| format!(" (completed {})", crate::domain::time::format_timestamp(t)))
                .unwrap_or_default();
            format!("{}{id} {}{when}", p.kind.as_str(), p.path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compare_across_spellings() {
        assert!(same_path(
            "file:/tmp/sp/savepoint-1",
            "file:///tmp/sp/savepoint-1/"
        ));
        assert!(same_path("/tmp/sp/x", "file:/tmp/sp/x"));
        assert!(!same_path("file:/tmp/sp/x", "file:/tmp/sp/y"));
        assert!(same_path("s3://b/sp/x", "s3://b/sp/x/"));
    }

    #[test]
    fn local_paths() {
        assert_eq!(local_path("file:/a/b").as_deref(), Some("/a/b"));
        assert_eq!(local_path("file:///a/b").as_deref(), Some("/a/b"));
        assert_eq!(local_path("s3://x/y"), None);
    }
}
