//! The pod log archive: a bounded tail of each container's log of every pod flinkdeck has seen,
//! kept in the data dir so that it can still be read after the pod is gone (TaskManager
//! replaced, job failed, cluster deleted).
//!
//! Layout: `<data dir>/log-archive/<entry>/<namespace>/<pod>/<container>.log` plus
//! `<container>.meta.json` (capture time, cluster id, role). Each file holds at most
//! `[logs] archive_bytes`; the whole archive stays under `[logs] archive_total`, the oldest
//! captures going first, and captures older than `[logs] archive_max_age` are deleted (on every
//! capture and every listing). All disk I/O runs on tokio's blocking pool, never on the UI
//! thread.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::{LogTail, PodRole};
use crate::flink::tail_of;

/// The archive directory under the data dir.
pub(crate) const ARCHIVE_DIR: &str = "log-archive";

/// What is known about one archived container log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ArchivedLog {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The Flink cluster id (the pod's `app` label).
    pub cluster_id: String,
    pub role: PodRole,
    /// When the text was read from the API server (epoch ms).
    pub captured_ms: i64,
    /// Bytes kept.
    pub bytes: u64,
}

/// The archive of one entry.
#[derive(Debug, Clone)]
pub(crate) struct Archive {
    /// `<data dir>/log-archive` (eviction runs over all entries).
    base: PathBuf,
    entry: String,
    /// Per container log.
    pub per_container: u64,
    total: u64,
    /// Captures older than this go (zero: no age limit).
    max_age: std::time::Duration,
}

/// A path component from a Kubernetes name (they are DNS labels; anything else is replaced).
fn component(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.chars().all(|c| c == '.') {
        format!("_{s}")
    } else {
        s
    }
}

impl Archive {
    /// `None` when there is no data dir or the archive is off (`archive_bytes = 0`).
    pub(crate) fn new(
        data_dir: Option<&Path>,
        entry: &str,
        per_container: u64,
        total: u64,
        max_age: std::time::Duration,
    ) -> Option<Archive> {
        let dir = data_dir?;
        (per_container > 0).then(|| Archive {
            base: dir.join(ARCHIVE_DIR),
            entry: entry.to_string(),
            per_container,
            total: total.max(per_container),
            max_age,
        })
    }

    fn pod_dir(&self, namespace: &str, pod: &str) -> PathBuf {
        self.base
            .join(component(&self.entry))
            .join(component(namespace))
            .join(component(pod))
    }

    /// Keeps `text` (its last `per_container` bytes) as the archived log of one container, then
    /// evicts the oldest captures while the archive is over its total.
    pub(crate) async fn store(&self, meta: ArchivedLog, text: String) -> std::io::Result<()> {
        let me = self.clone();
        run_blocking(move || me.store_blocking(meta, &text)).await
    }

    fn store_blocking(&self, mut meta: ArchivedLog, text: &str) -> std::io::Result<()> {
        let dir = self.pod_dir(&meta.namespace, &meta.pod);
        std::fs::create_dir_all(&dir)?;
        let tail = tail_of(text.as_bytes(), self.per_container as usize, 1 << 16);
        meta.bytes = tail.text.len() as u64;
        let name = component(&meta.container);
        let log = dir.join(format!("{name}.log"));
        let meta_path = dir.join(format!("{name}.meta.json"));
        write_atomic(&log, tail.text.as_bytes())?;
        let json = serde_json::to_vec_pretty(&meta).map_err(std::io::Error::other)?;
        write_atomic(&meta_path, &json)?;
        evict(&self.base, self.total, self.max_age)?;
        Ok(())
    }

    /// Every archived container log of cluster `cluster_id` in `namespace`.
    pub(crate) async fn list(&self, namespace: &str, cluster_id: &str) -> Vec<ArchivedLog> {
        let dir = self
            .base
            .join(component(&self.entry))
            .join(component(namespace));
        let cluster_id = cluster_id.to_string();
        let (base, total, max_age) = (self.base.clone(), self.total, self.max_age);
        run_blocking(move || {
            if let Err(e) = evict(&base, total, max_age) {
                tracing::debug!(error = %e, "log archive retention");
            }
            Ok(list_blocking(&dir, &cluster_id))
        })
        .await
        .unwrap_or_default()
    }

    /// The archived tail of one container (its last `max_bytes`), with its capture time.
    pub(crate) async fn read(
        &self,
        namespace: &str,
        pod: &str,
        container: &str,
        max_bytes: usize,
    ) -> std::io::Result<Option<LogTail>> {
        let dir = self.pod_dir(namespace, pod);
        let name = component(container);
        run_blocking(move || {
            let meta: ArchivedLog = match std::fs::read(dir.join(format!("{name}.meta.json"))) {
                Ok(b) => serde_json::from_slice(&b).map_err(std::io::Error::other)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let data = match std::fs::read(dir.join(format!("{name}.log"))) {
                Ok(d) => d,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(e),
            };
            let mut tail = tail_of(&data, max_bytes, 1 << 16);
            tail.archived_at_ms = Some(meta.captured_ms);
            Ok(Some(tail))
        })
        .await
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(std::io::Error::other)?
}

fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}

fn list_blocking(ns_dir: &Path, cluster_id: &str) -> Vec<ArchivedLog> {
    let mut out = Vec::new();
    let Ok(pods) = std::fs::read_dir(ns_dir) else {
        return out;
    };
    for pod in pods.flatten() {
        let Ok(files) = std::fs::read_dir(pod.path()) else {
            continue;
        };
        for f in files.flatten() {
            let p = f.path();
            if !p.to_string_lossy().ends_with(".meta.json") {
                continue;
            }
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            if let Ok(meta) = serde_json::from_slice::<ArchivedLog>(&bytes) {
                if meta.cluster_id == cluster_id {
                    out.push(meta);
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.pod, &a.container).cmp(&(&b.pod, &b.container)));
    out
}

/// Deletes archived logs captured longer ago than `max_age` (unless it is zero), then the oldest
/// ones (by modification time, i.e. capture time) until the `.log` files under `base` take at
/// most `total` bytes; empty directories go too.
pub(crate) fn evict(base: &Path, total: u64, max_age: std::time::Duration) -> std::io::Result<()> {
    let mut logs: Vec<(std::time::SystemTime, u64, PathBuf)> = Vec::new();
    collect_logs(base, &mut logs);
    let mut used: u64 = logs.iter().map(|(_, n, _)| n).sum();
    let cutoff = (!max_age.is_zero())
        .then(|| std::time::SystemTime::now().checked_sub(max_age))
        .flatten();
    let expired = |at: std::time::SystemTime| cutoff.is_some_and(|c| at < c);
    if used <= total && !logs.iter().any(|l| expired(l.0)) {
        return Ok(());
    }
    logs.sort_by_key(|l| l.0);
    for (at, size, path) in logs {
        if used <= total && !expired(at) {
            break;
        }
        let _ = std::fs::remove_file(&path);
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let _ = std::fs::remove_file(path.with_file_name(format!("{name}.meta.json")));
        used = used.saturating_sub(size);
        // Remove the pod directory (and its parents) once empty.
        let mut dir = path.parent().map(Path::to_path_buf);
        while let Some(d) = dir {
            if d == base || std::fs::remove_dir(&d).is_err() {
                break;
            }
            dir = d.parent().map(Path::to_path_buf);
        }
    }
    Ok(())
}

fn collect_logs(dir: &Path, out: &mut Vec<(std::time::SystemTime, u64, PathBuf)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(md) = e.metadata() else { continue };
        if md.is_dir() {
            collect_logs(&p, out);
        } else if p.extension().is_some_and(|x| x == "log") {
            let at = md.modified().unwrap_or(std::time::UNIX_EPOCH);
            out.push((at, md.len(), p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn meta(pod: &str, at: i64) -> ArchivedLog {
        ArchivedLog {
            namespace: "streaming".into(),
            pod: pod.into(),
            container: "flink-main-container".into(),
            cluster_id: "orders".into(),
            role: PodRole::TaskManager,
            captured_ms: at,
            bytes: 0,
        }
    }

    #[tokio::test]
    async fn stores_lists_reads_and_evicts_oldest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Archive::new(Some(dir.path()), "k8s", 100, 250, Duration::ZERO).expect("archive");
        let line = "0123456789\n".repeat(20); // 220 bytes: kept as the last <= 100
        a.store(meta("tm-1", 1), line.clone())
            .await
            .expect("store 1");
        let t1 = a
            .read("streaming", "tm-1", "flink-main-container", 1 << 20)
            .await
            .expect("read")
            .expect("archived");
        assert!(t1.text.len() <= 100 && t1.text.ends_with("0123456789\n"));
        assert_eq!(t1.archived_at_ms, Some(1));
        std::thread::sleep(std::time::Duration::from_millis(20));
        a.store(meta("tm-2", 2), line.clone())
            .await
            .expect("store 2");
        std::thread::sleep(std::time::Duration::from_millis(20));
        // The third capture takes the archive over 250 bytes: tm-1 (the oldest) goes.
        a.store(meta("tm-3", 3), line).await.expect("store 3");
        let listed: Vec<String> = a
            .list("streaming", "orders")
            .await
            .into_iter()
            .map(|m| m.pod)
            .collect();
        assert_eq!(listed, ["tm-2", "tm-3"]);
        assert!(a
            .read("streaming", "tm-1", "flink-main-container", 100)
            .await
            .expect("read")
            .is_none());
        assert!(a.list("streaming", "other").await.is_empty());
    }

    /// A capture older than `archive_max_age` goes even though the archive is far under its
    /// total; a recent one stays; a zero age keeps both.
    #[tokio::test]
    async fn captures_older_than_the_max_age_are_deleted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let day = Duration::from_secs(24 * 3600);
        let keep =
            Archive::new(Some(dir.path()), "k8s", 100, 1 << 20, Duration::ZERO).expect("archive");
        keep.store(meta("tm-old", 1), "old\n".into())
            .await
            .expect("store");
        let old = dir
            .path()
            .join(ARCHIVE_DIR)
            .join("k8s/streaming/tm-old/flink-main-container.log");
        std::fs::File::options()
            .write(true)
            .open(&old)
            .expect("open")
            .set_modified(std::time::SystemTime::now() - 40 * day)
            .expect("set mtime");
        keep.store(meta("tm-new", 2), "new\n".into())
            .await
            .expect("store");
        assert_eq!(keep.list("streaming", "orders").await.len(), 2);
        let aged = Archive::new(Some(dir.path()), "k8s", 100, 1 << 20, 30 * day).expect("archive");
        let listed: Vec<String> = aged
            .list("streaming", "orders")
            .await
            .into_iter()
            .map(|m| m.pod)
            .collect();
        assert_eq!(listed, ["tm-new"]);
        assert!(!old.exists());
        assert!(!old.parent().expect("pod dir").exists());
    }

    #[test]
    fn components_are_safe() {
        assert_eq!(component("orders-tm-1-1"), "orders-tm-1-1");
        assert_eq!(component("../x"), ".._x");
        assert_eq!(component(".."), "_..");
        assert_eq!(component(""), "_");
    }
}
