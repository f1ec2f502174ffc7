//! A real git repository holding the demo DataStream job, for the build, upgrade and drift tests:
//! `build.sh` compiles it with `javac` against the target Flink's `lib/` and packs it with `jar`
//! (Maven Central cannot be reached here), so a build is real git plus a real compiler.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::repo_root;

/// Runs git in `repo` (with a fixed identity); panics with git's stderr on failure.
pub fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Commits `files` (name, content) with `subject`; returns the commit sha.
pub fn commit(repo: &Path, files: &[(&str, &str)], subject: &str) -> String {
    for (name, content) in files {
        std::fs::write(repo.join(name), content).expect("write repo file");
    }
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", subject]);
    git(repo, &["rev-parse", "HEAD"])
}

/// An empty repository `<dir>/src-repo` on branch `main`.
pub fn new_repo(dir: &Path) -> PathBuf {
    let repo = dir.join("src-repo");
    std::fs::create_dir_all(&repo).expect("mkdir repo");
    git(&repo, &["init", "-q", "-b", "main"]);
    repo
}

/// Compiles the demo against the Flink `lib/` given as `$1` into `target/demo-job.jar`.
pub const BUILD_SH: &str = "set -eu\nrm -rf classes target\nmkdir -p classes target\n\
javac -nowarn -cp \"$1/*\" -d classes FlinkdeckDemo.java\n\
jar cf target/demo-job.jar -C classes .\necho packed target/demo-job.jar\n";

/// The demo job's source (`scripts/demo/FlinkdeckDemo.java`).
pub fn demo_source() -> String {
    std::fs::read_to_string(repo_root().join("scripts/demo/FlinkdeckDemo.java"))
        .expect("demo source")
}

/// The demo source with a compile error in it.
pub fn broken_source() -> String {
    let demo = demo_source();
    let broken = demo.replacen(
        "private FlinkdeckDemo() {}",
        "private FlinkdeckDemo() { int broken = ; }",
        1,
    );
    assert_ne!(broken, demo, "the demo source changed: fix broken_source");
    broken
}

/// A jar app spec on cluster `c` running the demo in steady mode, with `[build]` from `repo` at
/// `main` followed by `build_tail` (the rest of the `[build]` table).
pub fn app_toml(name: &str, repo: &Path, build_tail: &str) -> String {
    format!(
        "name = \"{name}\"\ncluster = \"c\"\nkind = \"jar\"\nentry_class = \"{}\"\n\
         args = [\"--mode\", \"steady\", \"--name\", \"{name}\"]\nparallelism = 1\n\n\
         [build]\nrepo = \"{}\"\nref = \"main\"\n{build_tail}",
        super::DEMO_CLASS,
        repo.display()
    )
}

/// The `[build]` tail that runs `build.sh` against `lib` (a Flink home's `lib/`).
pub fn build_tail(lib: &Path) -> String {
    format!(
        "command = [\"bash\", \"build.sh\", \"{}\"]\nartifact = \"target/demo-*.jar\"\ntimeout = \"5m\"\n",
        lib.display()
    )
}
