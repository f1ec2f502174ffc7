//! The SQL runner: a small Java program (`FlinkdeckSqlRunner.java`, embedded here) that runs a
//! Flink SQL script as one Flink job when it is started with `POST /jars/:id/run`.
//!
//! flinkdeck compiles it with `javac` against the `lib/` of the Flink version the target cluster
//! runs ([`runner_jar`], cached per version and source hash), uploads the jar with
//! `/jars/upload`, and runs it with the request [`run_request`] builds. The script travels as a
//! program argument (`--script-base64`), so nothing but the jar has to reach the JobManager.
//!
//! What the runner does with a script (details in the Java file's header):
//! - splits it on `;` outside strings, quoted identifiers and comments, numbering the pieces
//!   1, 2, ... and keeping each one's line;
//! - applies `SET 'k' = 'v'` / `SET k = v` / `RESET ['k']` to the table configuration itself
//!   (the SETs before the first other statement also create the environment, so
//!   `SET 'execution.runtime-mode' = 'batch'` at the top gives a batch job; streaming otherwise);
//! - collects every `INSERT` (and `CREATE TABLE ... AS SELECT`), including those inside
//!   `EXECUTE STATEMENT SET BEGIN ... END;` and `BEGIN STATEMENT SET; ... END;`, into one statement
//!   set that runs as one job named after `--name` (which wins over a `SET 'pipeline.name'`);
//! - runs every other statement (DDL, `USE`, ...) in order, and refuses a top-level `SELECT`.
//!
//! A failure ends `main()` with an exception whose message starts with
//! `statement N (line L): ` (Flink's statement-relative `line X, column Y` positions rewritten to
//! script positions), and no job is created. It is the innermost cause of Flink's REST error, so
//! `FlinkError`'s one-line message shows it.
//!
//! Checked on Flink 1.20.5 and 2.3.0 session clusters: `TableEnvironment.create(inStreamingMode())`
//! works inside the web submission of both; `tests/matrix.rs` runs, stops and restores a SQL app
//! and validates SQL on every version from 1.18.1 to 2.3.0 (`scripts/test.sh --matrix`). A `SET` in the script wins over the request's
//! `parallelism` and `flinkConfiguration`; those two apply when the script does not set the key.
//!
//! The same jar also holds the SQL tools (`FlinkdeckSqlTools.java`): started locally with
//! `--serve`, it validates scripts with Flink's planner and debug-runs them on fake data; the
//! Rust side is `crate::sqltools`.
//!
//! Everything here blocks (child processes, files): call it from `spawn_blocking`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::flink::RunJarRequest;

/// The runner's main class (entry class of the run request).
pub const ENTRY_CLASS: &str = "flinkdeck.sqlrunner.FlinkdeckSqlRunner";

/// The runner's Java source, compiled per Flink version.
pub const SOURCE: &str = include_str!("FlinkdeckSqlRunner.java");

/// The SQL tools' Java source (validation and debug runs in a long-lived local JVM, started with
/// `--serve`; see `crate::sqltools`), compiled into the same jar.
pub const TOOLS_SOURCE: &str = include_str!("FlinkdeckSqlTools.java");

/// Every Java source of the jar: (file name, text).
const SOURCES: [(&str, &str); 2] = [
    ("FlinkdeckSqlRunner.java", SOURCE),
    ("FlinkdeckSqlTools.java", TOOLS_SOURCE),
];

/// Bump when the build recipe (javac flags, jar layout) changes, to invalidate cached jars.
const RECIPE: &str = "2";

/// Why the runner jar could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SqlRunnerError {
    #[error(
        "Flink home {home}: no jars in {home}/lib (expected the lib/ of a Flink distribution)",
        home = .home.display()
    )]
    NoFlinkLib { home: PathBuf },
    #[error(
        "cannot find `{tool}` (looked in {looked}): install a JDK 11 or newer or set JAVA_HOME"
    )]
    ToolMissing { tool: &'static str, looked: String },
    #[error("cannot run {tool}: {source}", tool = .tool.display())]
    Spawn {
        tool: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "compiling the SQL runner against Flink {version} (home {home}) failed: {output}",
        home = .home.display()
    )]
    Compile {
        version: String,
        home: PathBuf,
        /// javac's output (bounded).
        output: String,
    },
    #[error("packing the SQL runner jar with {tool} failed: {output}", tool = .tool.display())]
    Pack { tool: PathBuf, output: String },
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SqlRunnerError + '_ {
    move |source| SqlRunnerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Builds (once; cached by Flink version + source hash under `cache_dir`, e.g.
/// `<data dir>/helpers/`) the runner jar against `flink_home/lib/*` with `javac` and `jar` from
/// `$JAVA_HOME/bin` or `PATH`. Safe when two processes build at once (each builds in its own
/// temporary directory and renames the jar into place). Returns the jar path.
pub fn runner_jar(
    flink_home: &Path,
    flink_version: &str,
    cache_dir: &Path,
) -> Result<PathBuf, SqlRunnerError> {
    let jar = cache_dir.join(jar_file_name(flink_version));
    if std::fs::metadata(&jar).is_ok_and(|m| m.is_file() && m.len() > 0) {
        return Ok(jar);
    }
    let lib = flink_home.join("lib");
    if !has_jars(&lib) {
        return Err(SqlRunnerError::NoFlinkLib {
            home: flink_home.to_path_buf(),
        });
    }
    let javac = java_tool("javac")?;
    let jar_tool = java_tool("jar")?;

    std::fs::create_dir_all(cache_dir).map_err(io_err(cache_dir))?;
    let tmp = TempDir::new(cache_dir)?;
    let src_dir = tmp.0.join("src/flinkdeck/sqlrunner");
    std::fs::create_dir_all(&src_dir).map_err(io_err(&src_dir))?;
    let mut srcs = Vec::with_capacity(SOURCES.len());
    for (name, text) in SOURCES {
        let src = src_dir.join(name);
        std::fs::write(&src, text).map_err(io_err(&src))?;
        srcs.push(src);
    }
    let classes = tmp.0.join("classes");

    let out = Command::new(&javac)
        .args(["--release", "11", "-nowarn", "-encoding", "UTF-8", "-d"])
        .arg(&classes)
        .arg("-cp")
        .arg(lib.join("*"))
        .args(&srcs)
        .output()
        .map_err(|source| SqlRunnerError::Spawn {
            tool: javac.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(SqlRunnerError::Compile {
            version: flink_version.to_string(),
            home: flink_home.to_path_buf(),
            output: process_output(&out),
        });
    }

    let built = tmp.0.join("runner.jar");
    let out = Command::new(&jar_tool)
        .arg("--create")
        .arg("--file")
        .arg(&built)
        .args(["--main-class", ENTRY_CLASS, "-C"])
        .arg(&classes)
        .arg(".")
        .output()
        .map_err(|source| SqlRunnerError::Spawn {
            tool: jar_tool.clone(),
            source,
        })?;
    if !out.status.success() || !built.is_file() {
        return Err(SqlRunnerError::Pack {
            tool: jar_tool,
            output: process_output(&out),
        });
    }
    if let Err(e) = std::fs::rename(&built, &jar) {
        // Another process may have put the same jar there first (rename does not replace
        // an existing file everywhere).
        if !jar.is_file() {
            return Err(io_err(&jar)(e));
        }
    }
    Ok(jar)
}

/// The `/jars/:id/run` request for a script: the runner's entry class, `--name` and
/// `--script-base64`; parallelism, savepoint path, `allowNonRestoredState` and
/// `flinkConfiguration` passed through. (A `SET` in the script wins over both parallelism and
/// options.)
pub fn run_request(
    script: &str,
    job_name: &str,
    parallelism: Option<u32>,
    options: &BTreeMap<String, String>,
    savepoint_path: Option<&str>,
    allow_non_restored_state: bool,
) -> RunJarRequest {
    RunJarRequest {
        entry_class: Some(ENTRY_CLASS.to_string()),
        program_args: vec![
            "--name".to_string(),
            job_name.to_string(),
            "--script-base64".to_string(),
            base64_encode(script.as_bytes()),
        ],
        parallelism,
        savepoint_path: savepoint_path.map(str::to_string),
        allow_non_restored_state,
        flink_configuration: options.clone(),
    }
}

/// `flinkdeck-sqlrunner-<version>-<hash>.jar`: the hash covers the recipe, the version and the
/// source, so a changed runner gets a new file (and a new name in Flink's `/jars` list).
pub fn jar_file_name(flink_version: &str) -> String {
    let version: String = flink_version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut h = Fnv1a::new();
    h.write(RECIPE.as_bytes());
    h.write(&[0]);
    h.write(flink_version.as_bytes());
    for (name, text) in SOURCES {
        h.write(&[0]);
        h.write(name.as_bytes());
        h.write(&[0]);
        h.write(text.as_bytes());
    }
    format!("flinkdeck-sqlrunner-{version}-{:012x}.jar", h.0 >> 16)
}

/// 64-bit FNV-1a: a tiny hash that is stable across Rust versions and platforms.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Standard base64 (RFC 4648 alphabet, `=` padding), as `java.util.Base64.getDecoder()` reads.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether `dir` holds at least one `*.jar`.
fn has_jars(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("jar"))
        })
    })
}

/// The module opens Flink needs on Java 17 (as `env.java.opts.all` of Flink's default config),
/// for every JVM flinkdeck starts with a Flink home's `lib/` (the SQL helper, the Flink client);
/// harmless on Java 11.
pub(crate) const FLINK_JAVA17_OPENS: &[&str] = &[
    "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.net=ALL-UNNAMED",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
    "--add-opens=java.base/java.time=ALL-UNNAMED",
    "--add-opens=java.base/java.text=ALL-UNNAMED",
    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
    "--add-opens=java.sql/java.sql=ALL-UNNAMED",
];

/// `$JAVA_HOME/bin/<tool>` when it exists, else the first `<tool>` on `PATH`.
pub(crate) fn java_tool(tool: &'static str) -> Result<PathBuf, SqlRunnerError> {
    let file = if cfg!(windows) {
        format!("{tool}.exe")
    } else {
        tool.to_string()
    };
    let mut looked = Vec::new();
    if let Some(home) = std::env::var_os("JAVA_HOME").filter(|h| !h.is_empty()) {
        let p = PathBuf::from(home).join("bin").join(&file);
        if p.is_file() {
            return Ok(p);
        }
        looked.push(format!("{}", p.display()));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(&file);
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    looked.push("PATH".to_string());
    Err(SqlRunnerError::ToolMissing {
        tool,
        looked: looked.join(", "),
    })
}

/// A tool's stderr and stdout, trimmed and bounded, for error messages.
fn process_output(out: &std::process::Output) -> String {
    const MAX: usize = 4000;
    let mut text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.trim().is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(stdout.trim());
    }
    if text.is_empty() {
        text = format!("no output ({})", out.status);
    }
    if text.len() > MAX {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// A build directory inside the cache, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(parent: &Path) -> Result<Self, SqlRunnerError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for attempt in 0u32..100 {
            let dir = parent.join(format!(
                ".build-sqlrunner-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok(TempDir(dir)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err(&dir)(e)),
            }
        }
        Err(io_err(parent)(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "cannot create a build directory",
        )))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), encoded, "{plain:?}");
        }
        // The characters beyond the letters: '+' and '/'.
        assert_eq!(base64_encode(&[0xfb, 0xff, 0xbf]), "+/+/");
        // UTF-8 text and every byte value round-trip through a reference decoder.
        assert_eq!(base64_encode("é;'".as_bytes()), "w6k7Jw==");
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(decode(&base64_encode(&all)), all);
    }

    /// A straightforward decoder, only to check the encoder.
    fn decode(s: &str) -> Vec<u8> {
        let val = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'+' => 62,
                b'/' => 63,
                _ => panic!("bad char {c}"),
            }
        };
        let mut out = Vec::new();
        for quad in s.as_bytes().chunks(4) {
            let pad = quad.iter().filter(|&&c| c == b'=').count();
            let n = quad
                .iter()
                .map(|&c| if c == b'=' { 0 } else { val(c) })
                .fold(0u32, |acc, v| (acc << 6) | v);
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        out
    }

    #[test]
    fn run_request_carries_script_and_options() {
        let script = "SET 'parallelism.default' = '2';\nINSERT INTO a SELECT 'x;y';\n";
        let mut options = BTreeMap::new();
        options.insert(
            "execution.checkpointing.interval".to_string(),
            "10s".to_string(),
        );
        let req = run_request(
            script,
            "orders-agg",
            Some(3),
            &options,
            Some("file:///sp/savepoint-1"),
            true,
        );
        assert_eq!(req.entry_class.as_deref(), Some(ENTRY_CLASS));
        assert_eq!(req.program_args.len(), 4);
        assert_eq!(req.program_args[0], "--name");
        assert_eq!(req.program_args[1], "orders-agg");
        assert_eq!(req.program_args[2], "--script-base64");
        assert_eq!(decode(&req.program_args[3]), script.as_bytes());
        assert_eq!(req.parallelism, Some(3));
        assert_eq!(
            req.savepoint_path.as_deref(),
            Some("file:///sp/savepoint-1")
        );
        assert!(req.allow_non_restored_state);
        assert_eq!(req.flink_configuration, options);

        let plain = run_request("", "n", None, &BTreeMap::new(), None, false);
        assert_eq!(plain.parallelism, None);
        assert_eq!(plain.savepoint_path, None);
        assert!(!plain.allow_non_restored_state);
        assert!(plain.flink_configuration.is_empty());
        assert_eq!(plain.program_args[3], "");
    }

    #[test]
    fn fnv1a_is_the_reference_function() {
        // Published FNV-1a 64 test vectors.
        let hash = |s: &str| {
            let mut h = Fnv1a::new();
            h.write(s.as_bytes());
            h.0
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn jar_names_are_stable_per_version_and_safe() {
        let a = jar_file_name("2.3.0");
        assert_eq!(a, jar_file_name("2.3.0"));
        assert_ne!(a, jar_file_name("1.20.5"));
        assert!(a.starts_with("flinkdeck-sqlrunner-2.3.0-"), "{a}");
        assert!(a.ends_with(".jar"));
        let odd = jar_file_name("1.20/../x y");
        assert!(!odd.contains('/') && !odd.contains(' '), "{odd}");
    }

    #[test]
    fn missing_lib_names_the_home() {
        let dir = std::env::temp_dir().join(format!(
            "flinkdeck-sqlrunner-test-{}-{}",
            std::process::id(),
            line!()
        ));
        let home = dir.join("not-flink");
        std::fs::create_dir_all(home.join("lib")).expect("mkdir");
        let err = runner_jar(&home, "9.9.9", &dir.join("cache")).expect_err("no jars in lib");
        assert!(matches!(err, SqlRunnerError::NoFlinkLib { .. }), "{err:?}");
        assert!(err.to_string().contains("not-flink"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn source_is_the_runner() {
        assert!(SOURCE.contains("package flinkdeck.sqlrunner;"));
        assert!(SOURCE.contains("public final class FlinkdeckSqlRunner"));
        assert!(TOOLS_SOURCE.contains("package flinkdeck.sqlrunner;"));
        assert!(TOOLS_SOURCE.contains("public final class FlinkdeckSqlTools"));
        // The runner hands `--serve` to the tools.
        assert!(SOURCE.contains("FlinkdeckSqlTools.serve()"));
        assert_eq!(
            ENTRY_CLASS, "flinkdeck.sqlrunner.FlinkdeckSqlRunner",
            "the entry class must match the Java package and class"
        );
    }
}
