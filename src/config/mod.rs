//! Configuration: the TOML file (`[ui]`, `[[clusters]]`, `[[flink]]`, `[vars]` and
//! `[secret_vars]`), its defaults, secrets from env or file, and XDG paths. Managed application
//! definitions (`app.toml` files) are parsed by [`app_spec`].
//!
//! Every table denies unknown keys, and every error says where it is: file, line, column and the
//! dotted key path (`clusters[1].url`), see [`ConfigError`]. `config/flinkdeck.example.toml`
//! documents every key.

pub mod alerts;
pub mod app_spec;
mod diag;
mod error;
mod load;
pub mod secret;
mod vars;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use alerts::{AlertsConfig, ChannelConfig, ChannelKind, EmailConfig, SmtpTls};
pub use error::ConfigError;
pub use secret::{Secret, SecretSource};
pub use vars::is_var_name;

pub(crate) use diag::{describe, expected_list, key_path, Seg, TomlDoc};
pub(crate) use load::is_name;

/// Default `[ui] refresh`.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(2);
/// How long a console action (start, stop, savepoint, cancel) may run before it is reported as
/// timed out (its journal entry stays for settlement).
pub const DEFAULT_ACTION_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Default per-cluster request `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The smallest `refresh` (and `timeout`) accepted.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Environment variable naming the config file (overrides the XDG location).
pub const CONFIG_ENV: &str = "FLINKDECK_CONFIG";
/// Environment variable naming the data directory (overrides the XDG location).
pub const DATA_DIR_ENV: &str = "FLINKDECK_DATA_DIR";
/// Environment variable naming the cache directory shared with `scripts/flink-local.sh`.
pub const CACHE_ENV: &str = "FLINKDECK_CACHE";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub ui: UiConfig,
    /// `[logs]`: the archive of Kubernetes pod logs.
    pub logs: LogsConfig,
    /// `[store]`: what the local SQLite store keeps, and for how long.
    pub store: StoreConfig,
    /// `[alerts]`: channels and rules of `flinkdeck watch`.
    pub alerts: AlertsConfig,
    pub clusters: Vec<ClusterConfig>,
    /// `[[flink]]`: Flink distributions per version (to build against their `lib/`).
    pub flink: Vec<FlinkHome>,
    /// `[vars]`: `${name}` values for SQL scripts (an app's `[vars]` override them).
    pub vars: BTreeMap<String, String>,
    /// `[secret_vars]`: `${name}` values read from env or a file when used, never shown.
    pub secret_vars: BTreeMap<String, SecretSource>,
    pub source: ConfigSource,
}

/// One `[[flink]]` entry: where the distribution of a Flink version is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlinkHome {
    /// As the cluster's REST API reports it, e.g. `1.20.5`. Unique in the file.
    pub version: String,
    /// The Flink home (it must contain `lib/`; checked by [`Config::flink_home`]).
    pub home: PathBuf,
}

/// Where the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    File(PathBuf),
    /// No config file was found: one local cluster on `http://localhost:8081`.
    DefaultLocal,
}

/// `[ui]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiConfig {
    /// How often clusters are polled. At least 100ms; default 2s.
    pub refresh: Duration,
    /// Theme name: a built-in (`default`, `light`, `mono`) or `<config dir>/themes/<name>.toml`.
    pub theme: String,
    /// Read-only for every cluster: no action that changes a job is offered.
    pub readonly: bool,
    /// A user keymap file that overrides the built-in bindings.
    pub keymap: Option<PathBuf>,
    /// How long a console action may run before the panel reports it timed out.
    pub action_timeout: Duration,
    /// Requests per second the console may spend on per-job detail (checkpoints, restarts) of
    /// one cluster, on top of one job list per refresh. Default 10; a cluster's own
    /// `detail_budget` overrides it.
    pub detail_budget: u32,
    /// `[ui] hyperlinks`: OSC 8 links from job ids and cluster names to the Flink Web UI.
    pub hyperlinks: crate::domain::terminal::Switch,
    /// `[ui] clipboard`: `y` copies through OSC 52.
    pub clipboard: crate::domain::terminal::Switch,
    /// `[ui.views]`: named filters (with an optional grouping), by name.
    pub views: Vec<crate::domain::filter::View>,
    /// `[ui] columns`: the jobs list's columns in order; `None`: all, in the default order.
    pub columns: Option<Vec<crate::domain::job_columns::JobColumn>>,
}

/// Default `[ui] detail_budget` (requests per second per cluster).
pub const DEFAULT_DETAIL_BUDGET: u32 = 10;

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            refresh: DEFAULT_REFRESH,
            theme: "default".to_string(),
            readonly: false,
            keymap: None,
            action_timeout: DEFAULT_ACTION_TIMEOUT,
            detail_budget: DEFAULT_DETAIL_BUDGET,
            hyperlinks: Default::default(),
            clipboard: Default::default(),
            views: Vec::new(),
            columns: None,
        }
    }
}

/// `[logs]`: the archive that keeps the tail of every Kubernetes pod log flinkdeck has seen, so
/// that it can still be read after the pod is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsConfig {
    /// The last this many bytes of each container's log are kept. Default 1 MiB; 0 turns the
    /// archive off.
    pub archive_bytes: u64,
    /// The whole archive stays under this many bytes: the oldest captures go first. Default
    /// 64 MiB.
    pub archive_total: u64,
    /// How often the console refreshes the archived tail of a running pod (it is also captured
    /// when the pod is seen terminating, failing or restarting). Default 5m.
    pub archive_interval: Duration,
    /// Archived logs captured longer ago than this are deleted (whatever the total). Default
    /// 30d; zero keeps them until `archive_total` pushes them out.
    pub archive_max_age: Duration,
}

/// Default `[logs] archive_bytes`.
pub const DEFAULT_ARCHIVE_BYTES: u64 = 1 << 20;
/// Default `[logs] archive_total`.
pub const DEFAULT_ARCHIVE_TOTAL: u64 = 64 << 20;
/// Default `[logs] archive_interval`.
pub const DEFAULT_ARCHIVE_INTERVAL: Duration = Duration::from_secs(300);
/// Default `[logs] archive_max_age`.
pub const DEFAULT_ARCHIVE_MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

impl Default for LogsConfig {
    fn default() -> Self {
        LogsConfig {
            archive_bytes: DEFAULT_ARCHIVE_BYTES,
            archive_total: DEFAULT_ARCHIVE_TOTAL,
            archive_interval: DEFAULT_ARCHIVE_INTERVAL,
            archive_max_age: DEFAULT_ARCHIVE_MAX_AGE,
        }
    }
}

/// `[store]`: retention of the local store. An age of `"0"` keeps forever. Never pruned,
/// whatever the ages: a run's restore point and final savepoint, the savepoints of an app's jobs,
/// the jobs of runs, unsettled journal entries and the journal of apps that are not deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// Completed checkpoints (and, separately, savepoints) kept per job. Default 100.
    pub checkpoints_per_job: usize,
    /// Checkpoint history older than this is deleted. Default 30 days.
    pub checkpoint_max_age: Duration,
    /// Cluster health events older than this are deleted (the latest per cluster stays).
    /// Default 30 days.
    pub health_max_age: Duration,
    /// Jobs no longer listed by their cluster for this long are forgotten. Default 30 days.
    pub gone_jobs_max_age: Duration,
    /// Settled journal entries (of deleted apps, or of none) older than this are deleted.
    /// Default 90 days.
    pub journal_max_age: Duration,
    /// How often retention runs (also once at start). Default 1 hour.
    pub retention_interval: Duration,
    /// Most rows one retention run deletes per rule (the rest waits for the next run).
    /// Default 10000.
    pub retention_batch: usize,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            checkpoints_per_job: 100,
            checkpoint_max_age: 30 * DAY,
            health_max_age: 30 * DAY,
            gone_jobs_max_age: 30 * DAY,
            journal_max_age: 90 * DAY,
            retention_interval: Duration::from_secs(3600),
            retention_batch: 10_000,
        }
    }
}

/// `1MiB`, `512 KiB`, `64MB`, `1000`: a byte size (binary `KiB/MiB/GiB`, decimal `KB/MB/GB`,
/// `K/M/G` as binary). `None` when the text is not one.
pub fn parse_byte_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return None,
    };
    let v = num * mult as f64;
    (v.is_finite() && v >= 0.0 && v < u64::MAX as f64).then_some(v as u64)
}

/// How flinkdeck reaches a cluster: a JobManager REST URL (`standalone`), every Flink cluster
/// a kubeconfig context can see (`kubernetes`: native clusters and the operator's resources), or
/// every Flink application of a YARN ResourceManager (`yarn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusterKind {
    Standalone,
    Kubernetes,
    Yarn,
}

impl ClusterKind {
    pub const ALL: [ClusterKind; 3] = [
        ClusterKind::Standalone,
        ClusterKind::Kubernetes,
        ClusterKind::Yarn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Standalone => "standalone",
            ClusterKind::Kubernetes => "kubernetes",
            ClusterKind::Yarn => "yarn",
        }
    }

    pub fn parse(s: &str) -> Option<ClusterKind> {
        ClusterKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for ClusterKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[clusters]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Unique, `[A-Za-z0-9._-]+`.
    pub name: String,
    pub kind: ClusterKind,
    /// REST endpoint of a standalone cluster, or the ResourceManager web address of a yarn
    /// entry; http or https. Its path always ends with `/`, so `url.join("jobs/overview")` keeps
    /// a path prefix such as `https://proxy/flink/`. `None` for kubernetes.
    pub url: Option<url::Url>,
    /// Where and what to discover, for `kind = "kubernetes"`.
    pub kubernetes: Option<KubernetesConfig>,
    /// The ResourceManager HA addresses, user and window, for `kind = "yarn"`.
    pub yarn: Option<YarnConfig>,
    /// Per-request timeout. Default 5s.
    pub timeout: Duration,
    pub auth: AuthConfig,
    /// Extra CA certificate (PEM) to trust for https.
    pub ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate. For test clusters only.
    pub insecure_skip_verify: bool,
    /// Read-only: no action that changes a job is offered for this cluster.
    pub readonly: bool,
    /// This cluster's `detail_budget` (requests per second), overriding `[ui] detail_budget`.
    pub detail_budget: Option<u32>,
    /// Link to the Flink Web UI shown to the user (when it differs from `url`).
    pub web_url: Option<url::Url>,
}

impl ClusterConfig {
    /// Requests per second for per-job detail on this cluster: its own `detail_budget`, else
    /// `[ui] detail_budget`.
    pub fn detail_budget(&self, ui: &UiConfig) -> u32 {
        self.detail_budget.unwrap_or(ui.detail_budget)
    }

    /// A standalone cluster at `url` with every other setting at its default.
    pub fn new(name: impl Into<String>, url: url::Url) -> Self {
        ClusterConfig {
            name: name.into(),
            kind: ClusterKind::Standalone,
            url: Some(url),
            kubernetes: None,
            yarn: None,
            timeout: DEFAULT_TIMEOUT,
            auth: AuthConfig::None,
            ca_cert: None,
            insecure_skip_verify: false,
            readonly: false,
            detail_budget: None,
            web_url: None,
        }
    }

    /// Reads the cluster's secrets. Errors name the cluster key (`clusters["prod-a"].token_env`)
    /// and the variable or file, never the value.
    pub fn resolve_auth(&self) -> Result<ResolvedAuth, ConfigError> {
        let key = |field: &str| format!("clusters[{:?}].{field}", self.name);
        match &self.auth {
            AuthConfig::None => Ok(ResolvedAuth::None),
            AuthConfig::Token { source } => {
                let field = match source {
                    SecretSource::Env(_) => "token_env",
                    SecretSource::File(_) => "token_file",
                };
                Ok(ResolvedAuth::Bearer(source.resolve_for(&key(field))?))
            }
            AuthConfig::Basic { username, password } => {
                let field = match password {
                    SecretSource::Env(_) => "password_env",
                    SecretSource::File(_) => "password_file",
                };
                let password = password.resolve_for(&key(field))?;
                // A server that reflects the Authorization header shows the encoded pair.
                secret::register(&secret::base64(
                    format!("{username}:{}", password.expose()).as_bytes(),
                ));
                Ok(ResolvedAuth::Basic {
                    username: username.clone(),
                    password,
                })
            }
        }
    }

    /// Whether actions that change jobs are off for this cluster (its own flag or `[ui] readonly`).
    pub fn is_readonly(&self, ui: &UiConfig) -> bool {
        self.readonly || ui.readonly
    }
}

/// The keys of a `kind = "kubernetes"` entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KubernetesConfig {
    /// Default: `$KUBECONFIG`, then `~/.kube/config`, then the in-cluster service account.
    pub kubeconfig: Option<PathBuf>,
    /// Default: the kubeconfig's current-context.
    pub context: Option<String>,
    /// Empty: the context's namespace; `["*"]`: all namespaces.
    pub namespaces: Vec<String>,
}

impl KubernetesConfig {
    /// Whether every namespace is watched (`namespaces = ["*"]`).
    pub fn all_namespaces(&self) -> bool {
        self.namespaces.iter().any(|n| n == "*")
    }
}

/// Default `ended_window` of a yarn entry: applications that ended this long ago or later are
/// still listed (for post-mortems).
pub const DEFAULT_YARN_ENDED_WINDOW: Duration = Duration::from_secs(6 * 3600);

/// The keys of a `kind = "yarn"` entry (besides `url`, the ResourceManager web address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YarnConfig {
    /// Other ResourceManagers of an HA pair (`standby_urls`), tried in order when `url` is down,
    /// in standby or points elsewhere.
    pub standby_urls: Vec<url::Url>,
    /// Simple auth: sent as `user.name=<user>` on ResourceManager REST calls. Credentials (token,
    /// password) come only from the auth keys (env or file).
    pub user: Option<String>,
    /// Applications that ended (FINISHED, FAILED, KILLED) at most this long ago are listed too.
    pub ended_window: Duration,
}

impl Default for YarnConfig {
    fn default() -> Self {
        YarnConfig {
            standby_urls: Vec::new(),
            user: None,
            ended_window: DEFAULT_YARN_ENDED_WINDOW,
        }
    }
}

/// How requests to a cluster authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthConfig {
    None,
    /// `Authorization: Bearer <token>` (`token_env` or `token_file`).
    Token {
        source: SecretSource,
    },
    /// HTTP basic auth (`username` + `password_env` or `password_file`).
    Basic {
        username: String,
        password: SecretSource,
    },
}

/// [`AuthConfig`] with its secrets read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedAuth {
    None,
    Bearer(Secret),
    Basic { username: String, password: Secret },
}

impl Config {
    /// Loads the file at `path`, which must exist.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_str_named(&text, path),
            Err(e) => Err(read_error(path, &e)),
        }
    }

    /// Loads `path`, or the default location when `path` is `None`. A file missing at the
    /// default (XDG) location gives [`Config::default_local`]; a missing file that was asked for
    /// explicitly (the argument, or the `FLINKDECK_CONFIG` variable) is an error.
    pub fn load_or_default(path: Option<&Path>) -> Result<Config, ConfigError> {
        if let Some(path) = path {
            return Config::load(path);
        }
        let Some((path, explicit)) = default_location() else {
            return Ok(Config::default_local());
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::from_str_named(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                Ok(Config::default_local())
            }
            Err(e) => Err(read_error(&path, &e)),
        }
    }

    /// Parses `text` as if read from `path` (used in messages and to resolve relative paths).
    pub fn from_str_named(text: &str, path: &Path) -> Result<Config, ConfigError> {
        load::parse(text, path)
    }

    /// One standalone cluster `local` on `http://localhost:8081`, default UI settings.
    pub fn default_local() -> Config {
        Config {
            ui: UiConfig::default(),
            logs: LogsConfig::default(),
            store: StoreConfig::default(),
            alerts: AlertsConfig::default(),
            clusters: vec![ClusterConfig::new("local", local_url())],
            flink: Vec::new(),
            vars: BTreeMap::new(),
            secret_vars: BTreeMap::new(),
            source: ConfigSource::DefaultLocal,
        }
    }

    /// `$FLINKDECK_CONFIG` if set, else `<XDG config dir>/flinkdeck/config.toml`
    /// (`None` when no home directory is known).
    pub fn default_path() -> Option<PathBuf> {
        default_location().map(|(p, _)| p)
    }

    pub fn cluster(&self, name: &str) -> Option<&ClusterConfig> {
        self.clusters.iter().find(|c| c.name == name)
    }

    /// The directory of the config file in use (or the default config directory).
    pub fn config_dir(&self) -> Option<PathBuf> {
        match &self.source {
            ConfigSource::File(p) => Some(
                p.parent()
                    .map(Path::to_path_buf)
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or_else(|| PathBuf::from(".")),
            ),
            ConfigSource::DefaultLocal => default_config_dir(),
        }
    }

    /// Where user themes live: `<config dir>/themes`.
    pub fn theme_dir(&self) -> Option<PathBuf> {
        self.config_dir().map(|d| d.join("themes"))
    }

    /// The Flink home (a directory with `lib/`) for `version`: the `[[flink]]` entry for it,
    /// else the install of `scripts/flink-local.sh` (`<cache>/flink/<version>`, see
    /// [`default_cache_dir`]). The error says which version is needed and how to provide it.
    pub fn flink_home(&self, version: &str) -> Result<PathBuf, ConfigError> {
        self.flink_home_in(version, default_cache_dir().as_deref())
    }

    fn flink_home_in(&self, version: &str, cache: Option<&Path>) -> Result<PathBuf, ConfigError> {
        let version = version.trim();
        if let Some((i, entry)) = self
            .flink
            .iter()
            .enumerate()
            .find(|(_, f)| f.version == version)
        {
            if entry.home.join("lib").is_dir() {
                return Ok(entry.home.clone());
            }
            let mut e = ConfigError::new(format!(
                "the Flink home {} configured for Flink {version} has no lib/ directory \
                 (point `home` at an unpacked Flink {version} distribution)",
                entry.home.display()
            ))
            .with_key(format!("flink[{i}].home"));
            if let ConfigSource::File(p) = &self.source {
                e = e.with_path(p);
            }
            return Err(e);
        }
        let local = cache.map(|c| c.join("flink").join(version));
        if let Some(home) = local.as_ref().filter(|h| h.join("lib").is_dir()) {
            return Ok(home.clone());
        }
        let looked = match &local {
            Some(h) => format!(" (not installed at {} either)", h.display()),
            None => String::new(),
        };
        let mut e = ConfigError::new(format!(
            "Flink {version} is needed, but no Flink home is configured for it{looked}: add \
             [[flink]] version = \"{version}\", home = \"/path/to/flink-{version}\" to the \
             config, or run `scripts/flink-local.sh install --version {version}`"
        ))
        .with_key("flink");
        if let ConfigSource::File(p) = &self.source {
            e = e.with_path(p);
        }
        Err(e)
    }
}

/// The cache shared with `scripts/flink-local.sh`: `$FLINKDECK_CACHE`, else
/// `$XDG_CACHE_HOME/flinkdeck`, else `~/.cache/flinkdeck` (empty variables count as unset).
/// Flink installs live in `<cache>/flink/<version>`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let home = env_path("HOME")
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()));
    cache_dir_from(env_path(CACHE_ENV), env_path("XDG_CACHE_HOME"), home)
}

/// [`default_cache_dir`] from the variables' values.
fn cache_dir_from(
    flinkdeck_cache: Option<PathBuf>,
    xdg_cache_home: Option<PathBuf>,
    home: Option<PathBuf>,
) -> Option<PathBuf> {
    if let Some(c) = flinkdeck_cache {
        return Some(c);
    }
    xdg_cache_home
        .or_else(|| home.map(|h| h.join(".cache")))
        .map(|c| c.join("flinkdeck"))
}

/// `$FLINKDECK_DATA_DIR` if set, else the XDG data directory (`~/.local/share/flinkdeck`).
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = env_path(DATA_DIR_ENV) {
        return Some(dir);
    }
    project_dirs().map(|d| d.data_dir().to_path_buf())
}

/// The XDG config directory (`~/.config/flinkdeck`), ignoring `FLINKDECK_CONFIG`.
pub fn default_config_dir() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().to_path_buf())
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "flinkdeck")
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The default config path and whether it was given explicitly (`FLINKDECK_CONFIG`).
fn default_location() -> Option<(PathBuf, bool)> {
    if let Some(p) = env_path(CONFIG_ENV) {
        return Some((p, true));
    }
    default_config_dir().map(|d| (d.join("config.toml"), false))
}

fn read_error(path: &Path, e: &std::io::Error) -> ConfigError {
    let message = if e.kind() == std::io::ErrorKind::NotFound {
        "config file not found".to_string()
    } else {
        format!("cannot read config file: {e}")
    };
    ConfigError::new(message).with_path(path)
}

fn local_url() -> url::Url {
    url::Url::parse("http://localhost:8081/").expect("constant URL parses")
}

#[cfg(test)]
mod tests;
