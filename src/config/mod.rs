//! Configuration: the TOML file (`[ui]` and `[[clusters]]`), its defaults, secrets from env or
//! file, and XDG paths.
//!
//! Every table denies unknown keys, and every error says where it is: file, line, column and the
//! dotted key path (`clusters[1].url`), see [`ConfigError`]. `config/flinkdeck.example.toml`
//! documents every key.

mod diag;
mod error;
mod load;
mod secret;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use error::ConfigError;
pub use secret::{Secret, SecretSource};

pub(crate) use diag::{describe, expected_list, key_path, Seg, TomlDoc};
pub(crate) use load::is_name;

/// Default `[ui] refresh`.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(2);
/// Default per-cluster request `timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The smallest `refresh` (and `timeout`) accepted.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Environment variable naming the config file (overrides the XDG location).
pub const CONFIG_ENV: &str = "FLINKDECK_CONFIG";
/// Environment variable naming the data directory (overrides the XDG location).
pub const DATA_DIR_ENV: &str = "FLINKDECK_DATA_DIR";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub ui: UiConfig,
    pub clusters: Vec<ClusterConfig>,
    pub source: ConfigSource,
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
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            refresh: DEFAULT_REFRESH,
            theme: "default".to_string(),
            readonly: false,
            keymap: None,
        }
    }
}

/// How flinkdeck reaches a cluster. Only standalone (a JobManager REST URL) for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClusterKind {
    Standalone,
}

impl ClusterKind {
    pub const ALL: [ClusterKind; 1] = [ClusterKind::Standalone];

    pub fn as_str(self) -> &'static str {
        match self {
            ClusterKind::Standalone => "standalone",
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
    /// REST endpoint, http or https. Its path always ends with `/`, so `url.join("jobs/overview")`
    /// keeps a path prefix such as `https://proxy/flink/`.
    pub url: url::Url,
    /// Per-request timeout. Default 5s.
    pub timeout: Duration,
    pub auth: AuthConfig,
    /// Extra CA certificate (PEM) to trust for https.
    pub ca_cert: Option<PathBuf>,
    /// Accept any TLS certificate. For test clusters only.
    pub insecure_skip_verify: bool,
    /// Read-only: no action that changes a job is offered for this cluster.
    pub readonly: bool,
    /// Link to the Flink Web UI shown to the user (when it differs from `url`).
    pub web_url: Option<url::Url>,
}

impl ClusterConfig {
    /// A standalone cluster at `url` with every other setting at its default.
    pub fn new(name: impl Into<String>, url: url::Url) -> Self {
        ClusterConfig {
            name: name.into(),
            kind: ClusterKind::Standalone,
            url,
            timeout: DEFAULT_TIMEOUT,
            auth: AuthConfig::None,
            ca_cert: None,
            insecure_skip_verify: false,
            readonly: false,
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
                Ok(ResolvedAuth::Basic {
                    username: username.clone(),
                    password: password.resolve_for(&key(field))?,
                })
            }
        }
    }

    /// Whether actions that change jobs are off for this cluster (its own flag or `[ui] readonly`).
    pub fn is_readonly(&self, ui: &UiConfig) -> bool {
        self.readonly || ui.readonly
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
            clusters: vec![ClusterConfig::new("local", local_url())],
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
