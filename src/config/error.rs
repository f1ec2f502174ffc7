//! The one error type of configuration, theme and keymap files: where (file, line, column, dotted
//! key path) and what.

use std::fmt;
use std::path::{Path, PathBuf};

/// An error in a configuration, theme or keymap file, or in resolving a secret.
///
/// `Display` prints `<path>:<line>:<column>: <key>: <message>`, leaving out the parts that are
/// unknown, e.g. `/etc/fd.toml:7:7: clusters[1].url: invalid URL "ht!tp://x": ...`.
/// Lines and columns are 1-based; columns count characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: Option<PathBuf>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Dotted key path with array indices, e.g. `clusters[1].url`.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    /// An error with only a message.
    pub fn new(message: impl Into<String>) -> Self {
        ConfigError {
            path: None,
            line: None,
            column: None,
            key: None,
            message: message.into(),
        }
    }

    /// Sets the file the error is about.
    pub fn with_path(mut self, path: impl AsRef<Path>) -> Self {
        self.path = Some(path.as_ref().to_path_buf());
        self
    }

    /// Sets the dotted key path.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the 1-based line and column.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}:", path.display())?;
        }
        if let Some(line) = self.line {
            write!(f, "{line}:")?;
            if let Some(column) = self.column {
                write!(f, "{column}:")?;
            }
        }
        if self.path.is_some() || self.line.is_some() {
            f.write_str(" ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_leaves_out_unknown_parts() {
        let full = ConfigError::new("bad")
            .with_path("/etc/fd.toml")
            .at(7, 7)
            .with_key("clusters[1].url");
        assert_eq!(full.to_string(), "/etc/fd.toml:7:7: clusters[1].url: bad");
        assert_eq!(ConfigError::new("bad").to_string(), "bad");
        assert_eq!(
            ConfigError::new("bad").with_path("/x").to_string(),
            "/x: bad"
        );
        assert_eq!(
            ConfigError::new("bad").with_key("ui").to_string(),
            "ui: bad"
        );
        assert_eq!(ConfigError::new("bad").at(3, 2).to_string(), "3:2: bad");
    }
}
