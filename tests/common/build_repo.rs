//! A real git repository holding the demo DataStream job, for the build, upgrade and drift tests:
//! `build.sh` compiles it with `javac` against the target Flink's `lib/` and packs it with `jar`
//! (Maven Central cannot be reached here), so a build is real git plus a real compiler.

use std::path::{Path, PathBuf};
use std::process::Command;

use std::time::Duration;

use super::{apply_spec, closed_port, repo_root, wait_for, write_config};

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

/// A `[build]` app `slow` whose build writes its `sleep 300`'s pid to `pid_file` and prints
/// `tick-N` every 0.5 s.
pub fn slow_app(dir: &Path, config: &Path, pid_file: &Path) {
    let repo = new_repo(dir);
    commit(
        &repo,
        &[(
            "slow.sh",
            "sleep 300 &\necho $! > \"$1\"\necho started-sleep\n\
             for i in $(seq 1 600); do echo tick-$i; sleep 0.5; done\nwait\n",
        )],
        "slow",
    );
    let spec = dir.join("slow.app.toml");
    std::fs::write(
        &spec,
        app_toml(
            "slow",
            &repo,
            &format!(
                "command = [\"bash\", \"slow.sh\", \"{}\"]\nartifact = \"*.jar\"\n",
                pid_file.display()
            ),
        ),
    )
    .expect("spec");
    apply_spec(config, dir, &spec);
}

/// A temp dir and a config whose one cluster `c` is a closed port: builds need no Flink.
pub fn offline_env() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &[("c", &format!("http://127.0.0.1:{}", closed_port()))],
        "1s",
    );
    (dir, config)
}

/// Whether process `pid` is gone (or a zombie).
pub fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

pub fn sleeper_pid(pid_file: &Path) -> String {
    wait_for(
        "the build's sleep to start",
        Duration::from_secs(60),
        || {
            std::fs::read_to_string(pid_file)
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        },
    )
}
