//! Secrets (bearer tokens, passwords) read from an environment variable or a file at the moment
//! they are needed. A [`Secret`] never prints its value.

use std::borrow::Cow;
use std::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::sync::RwLock;

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
    /// Reads the secret. The error names the variable or file, never the value. The value is
    /// registered for [`mask`]ing from then on.
    pub fn resolve(&self) -> Result<Secret, ConfigError> {
        let secret = self.read()?;
        register(secret.expose());
        Ok(secret)
    }

    fn read(&self) -> Result<Secret, ConfigError> {
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

// ---------------------------------------------------------------------------------------------
// The process-wide registry of secret values: the one masking point for everything flinkdeck
// prints, logs or stores.

/// Values shorter than this are not registered: masking every `a` or `42` in every message would
/// make text unreadable and would hide nothing (such a secret is guessable anyway).
pub const MIN_MASKED_LEN: usize = 4;

/// Known secret values, longest first (so a secret containing another is masked whole).
static KNOWN: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Registers a secret value: from now on [`mask`] replaces it by `***`. Called when secrets are
/// resolved (cluster tokens and passwords, `[secret_vars]`); derived forms that may be reflected
/// (e.g. the base64 of a basic-auth pair) are registered by their users.
pub fn register(value: &str) {
    if value.chars().count() < MIN_MASKED_LEN {
        return;
    }
    let mut known = match KNOWN.write() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if known.iter().any(|k| k == value) {
        return;
    }
    known.push(value.to_string());
    known.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
}

/// `text` with every registered secret replaced by `***` (borrowed when nothing matched).
pub fn mask(text: &str) -> Cow<'_, str> {
    let known = match KNOWN.read() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    if known.is_empty() || !known.iter().any(|k| text.contains(k.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for k in known.iter() {
        if out.contains(k.as_str()) {
            out = out.replace(k.as_str(), "***");
        }
    }
    Cow::Owned(out)
}

/// Masks in place; for `String` fields on their way out.
pub fn mask_in_place(text: &mut String) {
    if let Cow::Owned(m) = mask(text) {
        *text = m;
    }
}

/// Standard base64 with padding (how HTTP basic auth encodes `user:password`).
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A writer that masks known secrets in what goes through it (the log file). Each `write` is
/// masked on its own: tracing writes one whole event per call.
pub struct MaskingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        match mask(&text) {
            Cow::Borrowed(_) => self.0.write_all(buf)?,
            Cow::Owned(masked) => self.0.write_all(masked.as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Whether `text` contains a registered secret (tests and assertions).
pub fn contains_secret(text: &str) -> bool {
    matches!(mask(text), Cow::Owned(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_longest_first() {
        register("tok-registry-abcdef");
        register("tok-registry-abcdef-longer");
        register("ab"); // too short: never masked
        assert_eq!(
            mask("x tok-registry-abcdef-longer y tok-registry-abcdef z ab"),
            "x *** y *** z ab"
        );
        assert!(matches!(mask("nothing here"), Cow::Borrowed(_)));
        let mut s = String::from("Bearer tok-registry-abcdef");
        mask_in_place(&mut s);
        assert_eq!(s, "Bearer ***");
    }

    #[test]
    fn masking_writer_masks_whole_writes() {
        use std::io::Write;
        register("writer-secret-5150");
        let mut w = MaskingWriter(Vec::new());
        w.write_all(b"event token=writer-secret-5150 done\n")
            .expect("write");
        assert_eq!(
            String::from_utf8(w.0).expect("utf8"),
            "event token=*** done\n"
        );
    }

    #[test]
    fn base64_matches_basic_auth() {
        assert_eq!(base64(b"ops:pw"), "b3BzOnB3");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
    }

    #[test]
    fn resolving_registers_the_value() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("tok");
        std::fs::write(&p, "file-secret-registered-9f\n").expect("write");
        SecretSource::File(p).resolve().expect("resolves");
        assert_eq!(mask("got file-secret-registered-9f back"), "got *** back");
    }

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
