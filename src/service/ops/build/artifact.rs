//! The artifact of a build: the one file matching `[build] artifact` (a glob of `*` and `?` per
//! path segment, relative to `build.dir`), stored by its sha256 so later builds never overwrite
//! what an app version runs.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::domain::glob::glob_match;

/// A stored artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
}

/// Every file under `dir` matching `glob`, sorted.
pub fn find(dir: &Path, glob: &str) -> Vec<PathBuf> {
    let mut current = vec![dir.to_path_buf()];
    let segments: Vec<&str> = glob
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let mut next = Vec::new();
        for d in &current {
            let Ok(entries) = std::fs::read_dir(d) else {
                continue;
            };
            for e in entries.flatten() {
                if !glob_match(seg, &e.file_name().to_string_lossy()) {
                    continue;
                }
                let p = e.path();
                if (last && p.is_file()) || (!last && p.is_dir()) {
                    next.push(p);
                }
            }
        }
        current = next;
    }
    if segments.is_empty() {
        return Vec::new();
    }
    current.sort();
    current
}

/// The one file matching `glob` under `dir`; none or several is an error listing them.
pub fn find_one(dir: &Path, glob: &str) -> Result<PathBuf, String> {
    let mut found = find(dir, glob);
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(format!(
            "artifact: no file matches build.artifact {glob:?} in {}",
            dir.display()
        )),
        n => Err(format!(
            "artifact: {n} files match build.artifact {glob:?} (exactly one must): {}",
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Copies `file` to `<dir>/<sha256>.jar` (unless there already) and returns it.
pub fn store(file: &Path, dir: &Path) -> Result<Artifact, String> {
    let err = |what: &str, e: std::io::Error| format!("artifact: {what} {}: {e}", file.display());
    let mut f = std::fs::File::open(file).map_err(|e| err("cannot open", e))?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(|e| err("cannot read", e))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        ctx.update(&buf[..n]);
    }
    let sha256: String = ctx
        .finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = dir.join(format!("{sha256}.jar"));
    if !path.is_file() {
        let tmp = dir.join(format!(".{sha256}.tmp"));
        std::fs::copy(file, &tmp)
            .map_err(|e| err(&format!("cannot copy to {} from", tmp.display()), e))?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            format!(
                "artifact: cannot move {} to {}: {e}",
                tmp.display(),
                path.display()
            )
        })?;
    }
    Ok(Artifact { path, sha256, size })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_one_segment_each() {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(d.path().join("target/sub")).expect("mkdir");
        for f in [
            "target/orders-1.0.jar",
            "target/orders-1.0-sources.txt",
            "target/sub/x.jar",
        ] {
            std::fs::write(d.path().join(f), f).expect("write");
        }
        let one = find_one(d.path(), "target/orders-*.jar").expect("one match");
        assert!(one.ends_with("target/orders-1.0.jar"));
        assert_eq!(find(d.path(), "target/*").len(), 2);
        assert_eq!(find(d.path(), "*/sub/?.jar").len(), 1);
        let none = find_one(d.path(), "target/*.war").expect_err("no match");
        assert!(none.contains("no file matches"), "{none}");
        let many = find_one(d.path(), "target/orders-1.0*").expect_err("two matches");
        assert!(
            many.contains("2 files match") && many.contains("sources.txt"),
            "{many}"
        );
    }

    #[test]
    fn stored_artifacts_are_named_by_sha256() {
        let d = tempfile::tempdir().expect("tempdir");
        let f = d.path().join("a.jar");
        std::fs::write(&f, b"abc").expect("write");
        let a = store(&f, d.path()).expect("store");
        assert_eq!(
            a.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(a.size, 3);
        assert_eq!(std::fs::read(&a.path).expect("read"), b"abc");
    }
}
