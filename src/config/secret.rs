//! Secrets (bearer tokens, passwords) read from an environment variable or a file at the moment
//! they are needed. A [`Secret`] never prints its value.

use std::fmt;
use std::io::Read;
use std::path::PathBuf;

use super::ConfigError;

/// Secret files larger than this are refused (a token or password is a line, not a file dump).
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Where a secret comes from. The value itself is never stored in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The name of an environment variable.
    Env(String),
    /// A file whose content (without the trailing newline) is the secret. Relative paths were
    /// resolved against the config file's directory when the config was loaded.
    File(PathBuf),
}

impl SecretSource {
    /// Reads the secret. The error names the variable or file, never the value.
    pub fn resolve(&self) -> Result<Secret, ConfigError> {
        match self {
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(v) if v.is_empty() => Err(ConfigError::new(format!(
                    "environment variable `{var}` is empty"
                ))),
                Ok(v) => Ok(Secret(v)),
                Err(std::env::VarError::NotPresent) => Err(ConfigError::new(format!(
                    "environment variable `{var}` is not set"
                ))),
                Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::new(format!(
                    "environment variable `{var}` is not valid UTF-8"
                ))),
            },
            SecretSource::File(path) => {
                let shown = path.display();
                let file = std::fs::File::open(path).map_err(|e| {
                    ConfigError::new(format!("cannot read secret file {shown}: {e}"))
                })?;
                let mut bytes = Vec::new();
                file.take(MAX_SECRET_FILE + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| {
                        ConfigError::new(format!("cannot read secret file {shown}: {e}"))
                    })?;
                if bytes.len() as u64 > MAX_SECRET_FILE {
                    return Err(ConfigError::new(format!(
                        "secret file {shown} is larger than {} KiB",
                        MAX_SECRET_FILE / 1024
                    )));
                }
                let text = String::from_utf8(bytes).map_err(|_| {
                    ConfigError::new(format!("secret file {shown} is not valid UTF-8"))
                })?;
                let value = text.trim_end_matches(['\n', '\r']);
                if value.is_empty() {
                    return Err(ConfigError::new(format!("secret file {shown} is empty")));
                }
                Ok(Secret(value.to_string()))
            }
        }
    }

    /// Like [`resolve`](Self::resolve), with `key` (e.g. `clusters["prod-a"].token_env`) in the
    /// error.
    pub fn resolve_for(&self, key: &str) -> Result<Secret, ConfigError> {
        self.resolve().map_err(|e| e.with_key(key))
    }

    /// What the source is, for messages: `env FLINK_A_TOKEN` or `file /etc/token`.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(var) => format!("env {var}"),
            SecretSource::File(path) => format!("file {}", path.display()),
        }
    }
}

/// A secret value. `Debug` and `Display` print `***`; use [`expose`](Secret::expose) where the
/// value is really needed (building a request header).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn file_secret_trims_trailing_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("tok");
        std::fs::write(&p, "abc def\r\n").expect("write");
        let s = SecretSource::File(p).resolve().expect("resolves");
        assert_eq!(s.expose(), "abc def");
    }

    #[test]
    fn missing_file_names_the_file() {
        let e = SecretSource::File(PathBuf::from("/nonexistent/flinkdeck/tok"))
            .resolve_for("clusters[\"a\"].token_file")
            .expect_err("missing");
        let shown = e.to_string();
        assert!(shown.contains("/nonexistent/flinkdeck/tok"), "{shown}");
        assert!(shown.starts_with("clusters[\"a\"].token_file: "), "{shown}");
    }
}
