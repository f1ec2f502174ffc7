//! A private `java.io.tmpdir` for each helper JVM, removed when the JVM is gone.
//!
//! Flink's planner loader copies the whole table planner (≈45 MB) to
//! `<java.io.tmpdir>/flink-table-planner_<uuid>.jar` in every JVM that plans SQL and deletes it
//! only on a normal JVM exit. A helper that is killed (a hung request, a cancelled debug run,
//! the console quitting) would leave that copy behind in `/tmp` for good, 45 MB each time. Each
//! helper therefore gets `<cache dir>/tmp/<flinkdeck pid>-<n>`, removed after the JVM exited;
//! directories left by a flinkdeck process that no longer runs are swept on the next start.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The parent of the helpers' temp directories.
fn root(cache_dir: &Path) -> PathBuf {
    cache_dir.join("tmp")
}

/// A helper JVM's temp directory, removed on drop (the helper's process handle kills and reaps
/// the JVM before its fields drop).
#[derive(Debug)]
pub(super) struct TmpDir(pub(super) PathBuf);

impl Drop for TmpDir {
    fn drop(&mut self) {
        remove(&self.0);
    }
}

/// A new, empty temp directory for one helper JVM of this process.
pub(super) fn create(cache_dir: &Path) -> std::io::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = root(cache_dir).join(format!("{}-{n}", std::process::id()));
    // A directory of an earlier process with the same pid holds nothing of value.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Removes the temp directory of a helper JVM that has exited.
pub(super) fn remove(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove a helper's temp dir");
        }
    }
}

/// Removes the temp directories whose flinkdeck process no longer runs (it was killed before it
/// could clean up). Only where liveness can be told (`/proc`); elsewhere nothing is removed.
pub(super) fn sweep(cache_dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(root(cache_dir)) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != me && !Path::new(&format!("/proc/{pid}")).exists() {
            remove(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirs_are_per_process_and_stale_ones_are_swept() {
        let cache = tempfile::tempdir().expect("tempdir");
        let a = create(cache.path()).expect("create");
        let b = create(cache.path()).expect("create");
        assert_ne!(a, b);
        assert!(a.is_dir() && b.is_dir());
        std::fs::write(a.join("flink-table-planner_x.jar"), b"jar").expect("write");

        // A process id that cannot be running (above the kernel's pid_max limit of 2^22).
        let stale = root(cache.path()).join("4194305-1");
        std::fs::create_dir_all(&stale).expect("stale dir");
        std::fs::write(stale.join("flink-table-planner_y.jar"), b"jar").expect("write");
        let other = root(cache.path()).join("notes");
        std::fs::create_dir_all(&other).expect("other dir");

        sweep(cache.path());
        if Path::new("/proc/self").exists() {
            assert!(!stale.exists(), "a dead process's dir is swept");
        }
        assert!(a.is_dir() && b.is_dir(), "this process's dirs stay");
        assert!(
            other.is_dir(),
            "names that are not <pid>-<n> are left alone"
        );

        remove(&a);
        assert!(!a.exists());
        remove(&a); // already gone: no error
    }
}
