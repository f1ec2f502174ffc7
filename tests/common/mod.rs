//! Shared set-up for the tests that run against real Flink: clusters started by the project's own
//! `scripts/flink-local.sh` (idempotent, so every test binary shares the same clusters), demo jobs
//! submitted through flinkdeck's own REST client, the CLI binary, and bounded waiting.
//!
//! Under `CI=true` a cluster that cannot be set up fails the test (never a skip); the same holds
//! everywhere else: these tests always need real Flink.
#![allow(dead_code)]

pub mod apps;
pub mod build_repo;
pub mod pty;
pub mod receiver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use flinkdeck::flink::{Auth, Endpoint, FlinkClient, RunJarRequest};

pub const V2: &str = "2.3.0";
pub const V1: &str = "1.20.5";
/// Both Flink versions every REST feature is tested on.
pub const VERSIONS: [&str; 2] = [V2, V1];

pub const DEMO_CLASS: &str = "flinkdeck.demo.FlinkdeckDemo";

/// REST port of the shared test cluster of a version (`FLINKDECK_TEST_PORT_2` / `_1` override).
pub fn port_for(version: &str) -> u16 {
    let (var, default) = if version.starts_with('2') {
        ("FLINKDECK_TEST_PORT_2", 18081)
    } else {
        ("FLINKDECK_TEST_PORT_1", 18082)
    };
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn script() -> PathBuf {
    repo_root().join("scripts/flink-local.sh")
}

/// Runs `scripts/flink-local.sh ARGS`, panicking with its output when it fails.
pub fn script_run(args: &[&str]) -> String {
    // Many small test jobs run at once on the shared clusters: give them room.
    let slots = std::env::var("FLINKDECK_SLOTS").unwrap_or_else(|_| "32".into());
    let out = Command::new("bash")
        .arg(script())
        .args(args)
        .env("FLINKDECK_SLOTS", slots)
        .output()
        .expect("cannot run scripts/flink-local.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "scripts/flink-local.sh {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Serialises cluster start-ups within one test binary (the script also locks across processes).
fn startup_lock() -> &'static Mutex<()> {
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| Mutex::new(()))
}

/// Makes sure a cluster of `version` runs on `port` and returns its REST URL.
pub fn ensure_cluster_on(version: &str, port: u16) -> String {
    let _guard = startup_lock().lock().unwrap_or_else(|e| e.into_inner());
    script_run(&["up", "--version", version, "--port", &port.to_string()]);
    format!("http://127.0.0.1:{port}")
}

/// The shared test cluster of a version.
pub fn ensure_cluster(version: &str) -> String {
    ensure_cluster_on(version, port_for(version))
}

/// The Flink home of a version, as `scripts/flink-local.sh install` prints it (once per binary).
pub fn flink_home(version: &str) -> PathBuf {
    static HOMES: OnceLock<Mutex<std::collections::HashMap<String, PathBuf>>> = OnceLock::new();
    let mut homes = HOMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    homes
        .entry(version.to_string())
        .or_insert_with(|| {
            let out = script_run(&["install", "--version", version]);
            let home = PathBuf::from(out.lines().last().unwrap_or_default().trim());
            assert!(home.join("lib").is_dir(), "no lib/ in Flink home {home:?}");
            home
        })
        .clone()
}

/// Path of the demo job jar compiled against `version`'s lib/.
pub fn demo_jar(version: &str) -> PathBuf {
    let out = script_run(&["demo-jar", "--version", version]);
    let last = out.lines().last().unwrap_or_default().trim().to_string();
    let p = PathBuf::from(last);
    assert!(p.exists(), "demo jar {p:?} does not exist");
    p
}

/// A tokio runtime for calling flinkdeck's async library from synchronous tests.
pub fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// Cancels the jobs it holds when dropped, also when an assertion failed (the shared cluster
/// outlives the test and its slots are limited).
pub struct CancelOnDrop {
    client: FlinkClient,
    pub jobs: Vec<String>,
}

impl CancelOnDrop {
    pub fn new(url: &str, jobs: Vec<String>) -> Self {
        CancelOnDrop {
            client: client(url),
            jobs,
        }
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        for job in &self.jobs {
            if let Err(e) = rt().block_on(self.client.cancel_job(job)) {
                eprintln!("cancelling {job}: {e}");
            }
        }
    }
}

pub fn client(url: &str) -> FlinkClient {
    FlinkClient::new(Endpoint {
        base_url: url.parse().expect("url"),
        timeout: Duration::from_secs(10),
        auth: Auth::None,
        ca_cert_pem: None,
        insecure_skip_verify: false,
    })
    .expect("client")
}

/// Uploads the demo jar (once per cluster per test binary) and runs one demo job; returns its id.
pub fn submit_demo(version: &str, url: &str, mode: &str, name: &str) -> String {
    static JARS: OnceLock<Mutex<std::collections::HashMap<String, String>>> = OnceLock::new();
    let jars = JARS.get_or_init(Default::default);
    let c = client(url);
    let jar_id = {
        let mut map = jars.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(url) {
            Some(id) => id.clone(),
            None => {
                let jar = demo_jar(version);
                let id = rt().block_on(c.upload_jar(&jar)).expect("upload demo jar");
                map.insert(url.to_string(), id.clone());
                id
            }
        }
    };
    let req = RunJarRequest {
        entry_class: Some(DEMO_CLASS.to_string()),
        program_args: vec!["--mode".into(), mode.into(), "--name".into(), name.into()],
        parallelism: Some(1),
        savepoint_path: None,
        allow_non_restored_state: false,
        flink_configuration: Default::default(),
    };
    rt().block_on(c.run_jar(&jar_id, &req))
        .expect("run demo job")
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    format!("{prefix}-{}", n % 100_000_000)
}

/// Polls `f` until it returns `Some`, at most `limit`; panics with `what` otherwise. A liveness
/// bound for things Flink does asynchronously, not a speed assertion.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// flinkdeck's cluster registry for one standalone cluster `c` at `url` (for the loaders the
/// console's workers call).
pub fn clusters_for(url: &str) -> flinkdeck::service::Clusters {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_config(dir.path(), &[("c", url)], "1s");
    let config = flinkdeck::config::Config::load(&path).expect("config");
    flinkdeck::service::Clusters::from_config(&config).expect("clusters")
}

/// Writes a config file with the given clusters (name, url) into `dir`.
pub fn write_config(dir: &Path, clusters: &[(&str, &str)], refresh: &str) -> PathBuf {
    let mut text = format!("[ui]\nrefresh = \"{refresh}\"\n");
    for (name, url) in clusters {
        text.push_str(&format!(
            "\n[[clusters]]\nname = \"{name}\"\nkind = \"standalone\"\nurl = \"{url}\"\ntimeout = \"3s\"\n"
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_flinkdeck"))
}

/// Runs the CLI with `--config` and `--data-dir` set and one extra environment variable.
pub fn cli_env(config: &Path, data_dir: &Path, env: (&str, &str), args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("FLINKDECK_CONFIG")
        .env(env.0, env.1)
        .output()
        .expect("run flinkdeck")
}

/// The stdout of a command that must exit 0 (the panic shows both streams).
pub fn ok_stdout(args: &[&str], out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}\n{}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// A command's stdout parsed as JSON.
pub fn json_of(args: &[&str], text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{args:?} not JSON ({e}): {text}"))
}

/// Runs the CLI with `--config` and `--data-dir` set.
pub fn cli(config: &Path, data_dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("FLINKDECK_CONFIG")
        .output()
        .expect("run flinkdeck")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let p = l.local_addr().expect("addr").port();
    drop(l);
    p
}

/// The URL of the first OSC 8 hyperlink the console wrote whose URL ends with `url_end`
/// (waits up to 10 s for it).
pub fn hyperlink_ending(app: &pty::PtyApp, url_end: &str) -> String {
    let close = format!("{url_end}\x1b\\");
    let raw = wait_for(
        &format!("a hyperlink to …{url_end}"),
        Duration::from_secs(10),
        || {
            let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
            raw.contains(&close).then_some(raw)
        },
    );
    let at = raw.find(&close).expect("link");
    let start = raw[..at].rfind("\x1b]8;;").expect("link start") + "\x1b]8;;".len();
    format!("{}{url_end}", &raw[start..at])
}

/// Opens the console (`flinkdeck --config … --data-dir … EXTRA…`) in a `cols`×`rows` pseudo-terminal.
pub fn console(
    config: &Path,
    data_dir: &Path,
    extra: &[&str],
    cols: u16,
    rows: u16,
) -> pty::PtyApp {
    let mut args = vec![
        "--config",
        config.to_str().expect("utf-8 config path"),
        "--data-dir",
        data_dir.to_str().expect("utf-8 data path"),
    ];
    args.extend_from_slice(extra);
    pty::PtyApp::spawn(&bin(), &args, &[], cols, rows)
}

/// `flinkdeck apply -f SPEC`, which must succeed.
pub fn apply_spec(config: &Path, data_dir: &Path, spec: &Path) {
    let out = cli(
        config,
        data_dir,
        &["apply", "-f", spec.to_str().expect("utf-8 spec path")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "apply {spec:?}: {}",
        stderr(&out)
    );
}

/// The definition of a JAR app running the steady demo job (named like the app) on `cluster`.
pub fn demo_jar_app_spec(name: &str, cluster: &str, version: &str) -> String {
    format!(
        "name = \"{name}\"\ncluster = \"{cluster}\"\nkind = \"jar\"\njar_file = \"{}\"\nentry_class = \"{DEMO_CLASS}\"\nargs = [\"--mode\", \"steady\", \"--name\", \"{name}\"]\nparallelism = 1\n",
        demo_jar(version).display()
    )
}

/// One steady demo job per Flink version, submitted once and shared by the tests of a binary
/// (named `<prefix>-<version>-…`).
#[allow(dead_code)]
pub fn shared_demo_job(version: &str, prefix: &str) -> String {
    static JOBS: OnceLock<Mutex<std::collections::HashMap<String, String>>> = OnceLock::new();
    let mut jobs = JOBS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    jobs.entry(version.to_string())
        .or_insert_with(|| {
            let url = ensure_cluster(version);
            submit_demo(
                version,
                &url,
                "steady",
                &unique(&format!("{prefix}-{version}")),
            )
        })
        .clone()
}
