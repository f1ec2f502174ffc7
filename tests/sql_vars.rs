//! `${name}` variables of SQL apps against real Flink 2.3.0: the config's `[vars]` and
//! `[secret_vars]` are substituted when an app starts (the job runs, which it cannot with the
//! literal `${...}` in a connector option), the secret value appears in no CLI output, `sql
//! validate` with the same config passes, and a start with an undefined variable fails naming it
//! and submits nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;
use serde_json::Value;

/// The secret's value: it must never be printed.
const SECRET: &str = "s3cr3t-sink-4f9a1c";

/// `rows-per-second` must be a number: unsubstituted, the job could not start.
const SQL: &str = "CREATE TABLE src (n BIGINT) WITH (\n  'connector' = 'datagen',\n  'rows-per-second' = '${rows_per_second}'\n);\n\
CREATE TABLE snk (n BIGINT, tag STRING) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT n, '${sink_secret}' FROM src;\n";

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new() -> Env {
        let url = ensure_cluster(V2);
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("sink.secret"), format!("{SECRET}\n")).expect("secret");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[[clusters]]\nname = \"c\"\nurl = \"{url}\"\ntimeout = \"3s\"\n\n\
                 [[flink]]\nversion = \"{V2}\"\nhome = \"{}\"\n\n\
                 [vars]\nrows_per_second = \"5\"\n\n\
                 [secret_vars]\nsink_secret = {{ file = \"sink.secret\" }}\n",
                flink_home(V2).display()
            ),
        )
        .expect("config");
        Env { dir, config }
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = cli(&self.config, self.dir.path(), args);
        for text in [stdout(&out), stderr(&out)] {
            assert!(
                !text.contains(SECRET),
                "{args:?} printed the secret value:\n{text}"
            );
        }
        out
    }

    fn ok(&self, args: &[&str]) -> String {
        ok_stdout(args, &self.run(args))
    }

    /// The cluster's jobs called `name`, in any state.
    fn jobs_named(&self, name: &str) -> Vec<Value> {
        let s = self.ok(&["jobs", "--json"]);
        let jobs: Value = serde_json::from_str(&s).expect("jobs JSON");
        jobs.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|j| j["name"] == name)
            .collect()
    }

    fn write_app(&self, name: &str, sql: &str) -> PathBuf {
        std::fs::write(self.dir.path().join(format!("{name}.sql")), sql).expect("sql");
        let p = self.dir.path().join(format!("{name}.app.toml"));
        std::fs::write(
            &p,
            format!(
                "name = \"{name}\"\ncluster = \"c\"\nkind = \"sql\"\nsql_file = \"{name}.sql\"\nparallelism = 1\n"
            ),
        )
        .expect("app");
        p
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn config_vars_and_secrets_are_substituted_at_start_and_never_shown() {
    let env = Env::new();
    let name = unique("it-sql-vars");
    let app = env.write_app(&name, SQL);
    env.ok(&["apply", "-f", path_str(&app)]);

    let out = env.run(&["start", &name, "--wait"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let job = wait_for("the app's job RUNNING", Duration::from_secs(60), || {
        env.jobs_named(&name)
            .into_iter()
            .find(|j| j["state"] == "RUNNING")
    });
    let job_id = job["id"].as_str().expect("job id").to_string();

    for args in [
        vec!["history", name.as_str()],
        vec!["history", name.as_str(), "--json"],
        vec!["app", "show", name.as_str()],
        vec!["app", "show", name.as_str(), "--json"],
        vec!["apps"],
        vec!["checkpoints", job_id.as_str()],
    ] {
        env.ok(&args);
    }

    // The same script validates with the same config (secret included), without showing it.
    let sql_file = env.dir.path().join(format!("{name}.sql"));
    let out = env.run(&["sql", "validate", path_str(&sql_file), "--cluster", "c"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stderr(&out).contains("valid"), "{}", stderr(&out));

    env.ok(&["cancel", &name]);
}

#[test]
fn an_undefined_variable_fails_the_start_and_submits_nothing() {
    let env = Env::new();
    let name = unique("it-sql-undef");
    let sql = SQL.replace("${rows_per_second}", "${nope}");
    let app = env.write_app(&name, &sql);
    env.ok(&["apply", "-f", path_str(&app)]);

    let out = env.run(&["start", &name]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "app {name}: undefined variable ${{nope}} at line 3, column 24"
        )),
        "{err}"
    );
    assert!(env.jobs_named(&name).is_empty(), "nothing was submitted");
    let h: Value = serde_json::from_str(&env.ok(&["history", &name, "--json"])).expect("json");
    assert_eq!(h["runs"].as_array().map(Vec::len), Some(0), "{h:#}");
}
