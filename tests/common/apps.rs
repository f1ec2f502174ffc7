//! Managed apps through the CLI, shared by the lifecycle and matrix tests: an [`AppEnv`] (a temp
//! config with one cluster `c` and its data directory) that writes SQL and JAR app definitions,
//! runs commands, and reads what Flink says about checkpoints and restores; plus parsers for the
//! `start` / `stop` output.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use super::*;

/// A stateful aggregation; `;` in comments and strings must not split statements.
pub const STATEFUL_SQL: &str = "-- a stateful aggregation; ';' in comments and strings must not split statements\n\
CREATE TABLE src (k INT, v BIGINT) WITH (\n  'connector' = 'datagen', 'rows-per-second' = '5',\n  'fields.k.min' = '1', 'fields.k.max' = '4'\n);\n\
/* the sink; discards rows */\n\
CREATE TABLE snk (k INT, c BIGINT, s BIGINT, tag STRING) WITH ('connector' = 'blackhole');\n\
INSERT INTO snk SELECT k, COUNT(*), SUM(v), 'a;b' FROM src GROUP BY k;\n";

/// A config naming one cluster `c` (refresh 1 s) and a data directory, both in a temp dir.
pub struct AppEnv {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub url: String,
    pub version: String,
}

impl AppEnv {
    /// On the shared test cluster of `version`.
    pub fn new(version: &str) -> AppEnv {
        AppEnv::on(version, &ensure_cluster(version))
    }

    /// On the (running) cluster of `version` at `url`.
    pub fn on(version: &str, url: &str) -> AppEnv {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = write_config(dir.path(), &[("c", url)], "1s");
        AppEnv {
            dir,
            config,
            url: url.to_string(),
            version: version.to_string(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        cli(&self.config, self.dir.path(), args)
    }

    pub fn run_env(&self, env: (&str, &str), args: &[&str]) -> Output {
        cli_env(&self.config, self.dir.path(), env, args)
    }

    pub fn ok(&self, args: &[&str]) -> String {
        ok_stdout(args, &self.run(args))
    }

    pub fn json(&self, args: &[&str]) -> Value {
        json_of(args, &self.ok(args))
    }

    /// A SQL app `name` running `sql` (checkpoints every 2 s).
    pub fn write_sql_app(&self, name: &str, sql: &str) -> PathBuf {
        std::fs::write(self.dir.path().join(format!("{name}.sql")), sql).expect("sql");
        let p = self.dir.path().join(format!("{name}.app.toml"));
        std::fs::write(
            &p,
            format!(
                "name = \"{name}\"\ncluster = \"c\"\nkind = \"sql\"\nsql_file = \"{name}.sql\"\nparallelism = 1\nowner = \"tests\"\ntags = [\"it\"]\n\n[options]\n\"execution.checkpointing.interval\" = \"2s\"\n"
            ),
        )
        .expect("app");
        p
    }

    /// A JAR app `name` running the steady demo job built for this version.
    pub fn write_jar_app(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(format!("{name}.app.toml"));
        std::fs::write(&p, demo_jar_app_spec(name, "c", &self.version)).expect("app");
        p
    }

    /// The app's active jobs on the cluster (by name).
    pub fn active_jobs(&self, name: &str) -> Vec<Value> {
        let jobs = self.json(&["jobs", "--json", "--state", "active"]);
        jobs.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|j| j["name"] == name)
            .collect()
    }

    /// Waits (up to 2 min) until Flink counts `n` completed checkpoints of `job`.
    pub fn wait_checkpoints(&self, job: &str, n: i64) -> Value {
        let c = client(&self.url);
        wait_for(
            &format!("{n} completed checkpoints of {job}"),
            Duration::from_secs(120),
            || {
                let v = rt()
                    .block_on(c.get_json(&format!("jobs/{job}/checkpoints")))
                    .ok()?;
                (v["counts"]["completed"].as_i64()? >= n).then_some(v)
            },
        )
    }

    /// Where Flink says `job` was restored from (`latest.restored.external_path`), if anywhere.
    pub fn restored_path(&self, job: &str) -> Option<String> {
        let c = client(&self.url);
        let v = rt()
            .block_on(c.get_json(&format!("jobs/{job}/checkpoints")))
            .ok()?;
        v["latest"]["restored"]["external_path"]
            .as_str()
            .map(str::to_string)
    }
}

/// The job id in `start`'s "started app X as job <id> on c ..." line.
pub fn job_id_of(start_stdout: &str) -> String {
    start_stdout
        .split_whitespace()
        .skip_while(|w| *w != "job")
        .nth(1)
        .unwrap_or_else(|| panic!("no job id in {start_stdout:?}"))
        .to_string()
}

/// The savepoint path in `stop`'s "... with savepoint <path>" line.
pub fn savepoint_of(stop_stdout: &str) -> String {
    stop_stdout
        .split("with savepoint ")
        .nth(1)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| panic!("no savepoint path in {stop_stdout:?}"))
}

/// A `file:` URI of Flink's as a local path.
pub fn local(path: &str) -> &Path {
    Path::new(path.trim_start_matches("file:"))
}

/// Two state locations (savepoint / checkpoint paths or URIs) name the same directory.
pub fn same_location(a: &str, b: &str) -> bool {
    local(a).to_string_lossy().trim_end_matches('/')
        == local(b).to_string_lossy().trim_end_matches('/')
}
