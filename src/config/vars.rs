//! `[vars]` (plain strings) and `[secret_vars]` (`{ env = "VAR" }` or `{ file = "path" }`,
//! read when used) of the config, `[vars]` of app specs, and [`Config::resolve_vars`]: the values
//! that `${name}` in SQL scripts is substituted with.
//!
//! Names are `[A-Za-z_][A-Za-z0-9_.]*`; a dotted TOML key (`kafka.topic = "x"`) is the name
//! `kafka.topic`, as is the quoted key `"kafka.topic"`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diag::{describe, key_path, Seg, TomlDoc};
use super::load::resolve_path;
use super::{Config, ConfigError, ConfigSource, SecretSource};
use crate::domain::AppSpec;

/// `[A-Za-z_][A-Za-z0-9_.]*`.
pub fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
}

type Entry<'d, 'a> = (
    Vec<String>,
    &'d Spanned<toml::de::DeString<'a>>,
    &'d Spanned<DeValue<'a>>,
);

/// The entries of `table`, in file order.
fn entries<'d, 'a>(table: &'d DeTable<'a>, prefix: &[String]) -> Vec<Entry<'d, 'a>> {
    let mut out: Vec<Entry<'d, 'a>> = table
        .iter()
        .map(|(k, v)| {
            let mut p = prefix.to_vec();
            p.push(k.get_ref().to_string());
            (p, k, v)
        })
        .collect();
    out.sort_by_key(|(_, k, _)| k.span().start);
    out
}

fn path_of(table: &str, segments: &[String]) -> Vec<Seg> {
    std::iter::once(Seg::key(table))
        .chain(segments.iter().map(|s| Seg::Key(s.clone())))
        .collect()
}

/// The top-level table `name`, if present; an error if it is not a table.
fn top_table<'d, 'a>(
    doc: &'d TomlDoc<'a>,
    name: &str,
    example: &str,
) -> Result<Option<&'d DeTable<'a>>, ConfigError> {
    let Some(value) = doc.root().get(name) else {
        return Ok(None);
    };
    match value.get_ref() {
        DeValue::Table(t) => Ok(Some(t)),
        other => Err(doc.error_at(
            value.span(),
            name,
            format!(
                "invalid type: {}, expected a table ([{name}] with lines like {example})",
                describe(other)
            ),
        )),
    }
}

/// Checks a variable name; the error points at its key.
fn check_name(
    doc: &TomlDoc<'_>,
    table: &str,
    segments: &[String],
    key_span: std::ops::Range<usize>,
) -> Result<String, ConfigError> {
    let name = segments.join(".");
    if !is_var_name(&name) {
        return Err(doc.error_at(
            key_span,
            key_path(&path_of(table, segments)),
            format!(
                "invalid variable name {name:?}: start with a letter or '_', then use letters, \
                 digits, '_' or '.'"
            ),
        ));
    }
    Ok(name)
}

/// A top-level `[vars]` table of plain strings (config or app spec).
pub(super) fn plain_vars(doc: &TomlDoc<'_>) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    if let Some(table) = top_table(doc, "vars", "topic = \"orders\"")? {
        collect_plain(doc, table, &[], &mut out)?;
    }
    Ok(out)
}

fn collect_plain(
    doc: &TomlDoc<'_>,
    table: &DeTable<'_>,
    prefix: &[String],
    out: &mut BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    for (segments, key, value) in entries(table, prefix) {
        match value.get_ref() {
            DeValue::Table(t) => collect_plain(doc, t, &segments, out)?,
            DeValue::String(s) => {
                let name = check_name(doc, "vars", &segments, key.span())?;
                out.insert(name, s.to_string());
            }
            other => {
                return Err(doc.error_at(
                    value.span(),
                    key_path(&path_of("vars", &segments)),
                    format!(
                        "invalid type: {}, expected a string (variable values are inserted into \
                         the script as written; quote numbers: n = \"10\")",
                        describe(other)
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// The config's `[secret_vars]`: `name = { env = "VAR" }` or `name = { file = "path" }` (relative
/// to `base`). A name that is also in `plain` is an error.
pub(super) fn secret_vars(
    doc: &TomlDoc<'_>,
    base: Option<&Path>,
    plain: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, SecretSource>, ConfigError> {
    let mut out = BTreeMap::new();
    if let Some(table) = top_table(doc, "secret_vars", "password = { env = \"DB_PASSWORD\" }")? {
        collect_secret(doc, table, &[], base, plain, &mut out)?;
    }
    Ok(out)
}

const SECRET_SHAPE: &str = "{ env = \"VAR\" } or { file = \"path\" }";

fn collect_secret(
    doc: &TomlDoc<'_>,
    table: &DeTable<'_>,
    prefix: &[String],
    base: Option<&Path>,
    plain: &BTreeMap<String, String>,
    out: &mut BTreeMap<String, SecretSource>,
) -> Result<(), ConfigError> {
    for (segments, key, value) in entries(table, prefix) {
        let path = path_of("secret_vars", &segments);
        let shape_error = |what: String| {
            doc.error_at(
                value.span(),
                key_path(&path),
                format!("invalid type: {what}, expected {SECRET_SHAPE}"),
            )
        };
        let DeValue::Table(t) = value.get_ref() else {
            return Err(shape_error(describe(value.get_ref())));
        };
        let is_source = t.get("env").is_some() || t.get("file").is_some();
        if !is_source {
            // A dotted key (`db.password = { env = "X" }`) nests tables: flatten it.
            if !t.is_empty()
                && t.iter()
                    .all(|(_, v)| matches!(v.get_ref(), DeValue::Table(_)))
            {
                collect_secret(doc, t, &segments, base, plain, out)?;
                continue;
            }
            let stray = entries(t, &segments)
                .into_iter()
                .find(|(_, _, v)| !matches!(v.get_ref(), DeValue::Table(_)));
            if let Some((sub, k, _)) = stray {
                return Err(doc.error_at(
                    k.span(),
                    key_path(&path_of("secret_vars", &sub)),
                    format!(
                        "unknown key `{}`; expected one of env, file",
                        k.get_ref().as_ref()
                    ),
                ));
            }
            return Err(shape_error("empty table".to_string()));
        }
        let name = check_name(doc, "secret_vars", &segments, key.span())?;
        let mut env = None;
        let mut file = None;
        for (sub, k, v) in entries(t, &segments) {
            let field = k.get_ref().as_ref();
            let kpath = key_path(&path_of("secret_vars", &sub));
            let slot = match field {
                "env" => &mut env,
                "file" => &mut file,
                other => {
                    return Err(doc.error_at(
                        k.span(),
                        kpath,
                        format!("unknown key `{other}`; expected one of env, file"),
                    ))
                }
            };
            let DeValue::String(s) = v.get_ref() else {
                return Err(doc.error_at(
                    v.span(),
                    kpath,
                    format!("invalid type: {}, expected a string", describe(v.get_ref())),
                ));
            };
            *slot = Some((s.to_string(), v.span(), kpath));
        }
        let source = match (env, file) {
            (Some(_), Some((_, span, kpath))) => {
                return Err(doc.error_at(span, kpath, "set either `env` or `file`, not both"))
            }
            (Some((var, span, kpath)), None) => {
                if var.is_empty() || var.contains(['=', '\0']) {
                    return Err(doc.error_at(
                        span,
                        kpath,
                        format!("invalid environment variable name {var:?}"),
                    ));
                }
                SecretSource::Env(var)
            }
            (None, Some((f, span, kpath))) => SecretSource::File(
                resolve_path(&f, base).ok_or_else(|| doc.error_at(span, kpath, "path is empty"))?,
            ),
            (None, None) => unreachable!("checked above: env or file is present"),
        };
        if plain.contains_key(&name) {
            return Err(doc.error_at(
                key.span(),
                key_path(&path),
                format!("variable `{name}` is defined in [vars] too; define it once"),
            ));
        }
        out.insert(name, source);
    }
    Ok(())
}

/// An app spec must not hold secrets: `[secret_vars]` there is an error.
pub(super) fn deny_secret_vars(doc: &TomlDoc<'_>) -> Result<(), ConfigError> {
    if let Some((key, _)) = doc.lookup(&[Seg::key("secret_vars")]) {
        return Err(doc.error_at(
            key,
            "secret_vars",
            "secret variables are not allowed in an app spec (specs are stored with every \
             version): define them under [secret_vars] in the flinkdeck config",
        ));
    }
    Ok(())
}

impl Config {
    /// Every variable for `app` (or for a script without an app): `[vars]`, overridden by the
    /// app's `[vars]`, and the `[secret_vars]` values (read now). Returns the values and the
    /// names of the secret ones. Errors name the key and the variable or file, never a value.
    pub fn resolve_vars(
        &self,
        app: Option<&AppSpec>,
    ) -> Result<(BTreeMap<String, String>, BTreeSet<String>), ConfigError> {
        self.resolve_vars_where(app, |_| true)
    }

    /// Like [`resolve_vars`](Self::resolve_vars), but reads only the secrets that `script` uses
    /// (`${name}`), so an unrelated secret that is not available does not get in the way.
    pub fn resolve_vars_for(
        &self,
        app: Option<&AppSpec>,
        script: &str,
    ) -> Result<(BTreeMap<String, String>, BTreeSet<String>), ConfigError> {
        self.resolve_vars_where(app, |name| script.contains(&format!("${{{name}}}")))
    }

    /// Reads every secret of the config once, best effort (an unset variable or a missing file
    /// is skipped here and reported where the secret is used), so that [`super::secret::mask`]
    /// knows them all from the start: a `[secret_vars]` value in a job's exception or a token
    /// echoed by a proxy is masked even in a process that never uses that secret itself.
    pub fn register_secrets(&self) {
        for source in self.secret_vars.values() {
            let _ = source.resolve();
        }
        for c in &self.clusters {
            let _ = c.resolve_auth();
        }
    }

    fn resolve_vars_where(
        &self,
        app: Option<&AppSpec>,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<(BTreeMap<String, String>, BTreeSet<String>), ConfigError> {
        let mut values = self.vars.clone();
        let mut secrets = BTreeSet::new();
        let app_vars = app.map(|a| &a.vars);
        for (name, source) in &self.secret_vars {
            if app_vars.is_some_and(|v| v.contains_key(name)) || !wanted(name) {
                continue;
            }
            let key = key_path(&[Seg::key("secret_vars"), Seg::Key(name.clone())]);
            let mut secret = source.resolve_for(&key);
            if let (Err(e), ConfigSource::File(p)) = (&mut secret, &self.source) {
                e.path = Some(p.clone());
            }
            values.insert(name.clone(), secret?.expose().to_string());
            secrets.insert(name.clone());
        }
        if let Some(v) = app_vars {
            values.extend(v.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        Ok((values, secrets))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_names() {
        for ok in ["a", "_x", "kafka.topic", "A_1.b2"] {
            assert!(is_var_name(ok), "{ok}");
        }
        for bad in ["", "1a", ".a", "a-b", "a b", "ä"] {
            assert!(!is_var_name(bad), "{bad}");
        }
    }
}
