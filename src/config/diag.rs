//! Positions and key paths for errors in TOML files: parse once into a spanned document
//! (`toml::de::DeTable`), and turn byte spans into 1-based line/column and dotted key paths
//! such as `clusters[1].url`. Shared by the config, theme and keymap loaders.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::ConfigError;

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

impl Seg {
    pub(crate) fn key(k: &str) -> Seg {
        Seg::Key(k.to_string())
    }
}

/// `clusters[1].url`; keys that are not bare TOML keys are quoted.
pub(crate) fn key_path(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let bare = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare {
                    out.push_str(k);
                } else {
                    out.push_str(&format!("{k:?}"));
                }
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// A TOML document kept with its text, so errors can say where they are.
pub(crate) struct TomlDoc<'a> {
    text: &'a str,
    path: Option<PathBuf>,
    root: Spanned<DeTable<'a>>,
}

impl<'a> TomlDoc<'a> {
    /// Parses the text; a syntax error comes back with its position (and key, when known).
    pub(crate) fn parse(text: &'a str, path: Option<&Path>) -> Result<Self, ConfigError> {
        let (root, errors) = DeTable::parse_recoverable(text);
        let doc = TomlDoc {
            text,
            path: path.map(Path::to_path_buf),
            root,
        };
        if let Some(err) = errors.into_iter().next() {
            return Err(doc.map_toml_error(&err));
        }
        Ok(doc)
    }

    /// The document's text at `span` (empty when out of range).
    pub(crate) fn text(&self, span: Range<usize>) -> &str {
        self.text.get(span).unwrap_or("")
    }

    pub(crate) fn root(&self) -> &DeTable<'a> {
        self.root.get_ref()
    }

    /// Deserializes the whole document with serde, mapping serde errors to positions and keys.
    pub(crate) fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str::<T>(self.text).map_err(|e| self.map_toml_error(&e))
    }

    /// An error with no position (e.g. the file cannot be read).
    pub(crate) fn plain_error(&self, message: impl Into<String>) -> ConfigError {
        let mut e = ConfigError::new(message);
        e.path = self.path.clone();
        e
    }

    /// An error at the start of `span`, about `key`.
    pub(crate) fn error_at(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = self.line_col(span.start);
        let mut e = self.plain_error(message).at(line, column);
        e.key = Some(key.into());
        e
    }

    /// An error at the key (not the value) of `path`, falling back to `fallback` when the key
    /// cannot be found in the document.
    pub(crate) fn error_at_key(
        &self,
        path: &[Seg],
        fallback: Range<usize>,
        message: impl Into<String>,
    ) -> ConfigError {
        let span = self.lookup(path).map(|(k, _)| k).unwrap_or(fallback);
        self.error_at(span, key_path(path), message)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn line_col(&self, pos: usize) -> (usize, usize) {
        line_col(self.text, pos)
    }

    /// The key and value spans of the entry at `path`.
    pub(crate) fn lookup(&self, path: &[Seg]) -> Option<(Range<usize>, Range<usize>)> {
        let mut table = self.root.get_ref();
        let mut current: Option<(Range<usize>, &Spanned<DeValue<'a>>)> = None;
        let mut iter = path.iter().peekable();
        while let Some(seg) = iter.next() {
            match seg {
                Seg::Key(k) => {
                    let (key, value) = table.get_key_value(k.as_str())?;
                    current = Some((key.span(), value));
                }
                Seg::Index(i) => {
                    let (_, value) = current.clone()?;
                    match value.get_ref() {
                        DeValue::Array(items) => {
                            let item = items.get(*i)?;
                            current = Some((item.span(), item));
                        }
                        _ => return None,
                    }
                }
            }
            if let Some(Seg::Key(_)) = iter.peek() {
                let (_, value) = current.clone()?;
                match value.get_ref() {
                    DeValue::Table(t) => table = t,
                    _ => return None,
                }
            }
        }
        current.map(|(k, v)| (k, v.span()))
    }

    /// The key path of the innermost entry whose key or value contains byte `pos`.
    pub(crate) fn locate(&self, pos: usize) -> Option<Vec<Seg>> {
        let mut best: Option<(usize, usize, Vec<Seg>)> = None;
        let mut path = Vec::new();
        walk_table(self.root.get_ref(), pos, &mut path, &mut best);
        best.map(|(_, _, p)| p)
    }

    /// The key path of the table whose value spans exactly `span`, else empty for the whole
    /// document, else the innermost entry at its start.
    fn table_at(&self, span: &Range<usize>) -> Option<Vec<Seg>> {
        let mut found = None;
        let mut path = Vec::new();
        find_value_span(self.root.get_ref(), span, &mut path, &mut found);
        if found.is_some() {
            return found;
        }
        if *span == self.root.span() || (span.start == 0 && span.end >= self.text.trim_end().len())
        {
            return Some(Vec::new());
        }
        self.locate(span.start)
    }

    /// Maps an error of the toml crate (syntax or serde) to a [`ConfigError`], with a one-line
    /// message (the crate's source snippet is dropped).
    pub(crate) fn map_toml_error(&self, err: &toml::de::Error) -> ConfigError {
        let raw = err.message().trim();
        let raw = raw.lines().next().unwrap_or_default();
        let (message, missing) = rewrite_serde_message(raw);
        let mut e = self.plain_error(message);
        if let Some(span) = err.span() {
            let (line, column) = self.line_col(span.start);
            e = e.at(line, column);
            let mut path = match missing {
                // A missing field is reported on the table that lacks it.
                Some(_) => self.table_at(&span),
                None => self.locate(span.start),
            }
            .unwrap_or_default();
            if let Some(field) = missing {
                path.push(Seg::Key(field));
            }
            if !path.is_empty() {
                e.key = Some(key_path(&path));
            }
        } else if let Some(field) = missing {
            e.key = Some(field);
        }
        e
    }
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = text[line_start..pos].chars().count() + 1;
    (line, column)
}

fn contains(span: &Range<usize>, pos: usize) -> bool {
    if span.start == span.end {
        pos == span.start
    } else {
        span.start <= pos && pos < span.end
    }
}

fn consider(
    best: &mut Option<(usize, usize, Vec<Seg>)>,
    path: &[Seg],
    span: &Range<usize>,
    pos: usize,
) {
    if !contains(span, pos) {
        return;
    }
    let depth = path.len();
    let len = span.end - span.start;
    let better = match best {
        None => true,
        Some((d, l, _)) => depth > *d || (depth == *d && len < *l),
    };
    if better {
        *best = Some((depth, len, path.to_vec()));
    }
}

fn walk_table(
    table: &DeTable<'_>,
    pos: usize,
    path: &mut Vec<Seg>,
    best: &mut Option<(usize, usize, Vec<Seg>)>,
) {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        consider(best, path, &key.span(), pos);
        consider(best, path, &value.span(), pos);
        walk_value(value.get_ref(), pos, path, best);
        path.pop();
    }
}

fn walk_value(
    value: &DeValue<'_>,
    pos: usize,
    path: &mut Vec<Seg>,
    best: &mut Option<(usize, usize, Vec<Seg>)>,
) {
    match value {
        DeValue::Table(t) => walk_table(t, pos, path, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                consider(best, path, &item.span(), pos);
                walk_value(item.get_ref(), pos, path, best);
                path.pop();
            }
        }
        _ => {}
    }
}

fn find_value_span(
    table: &DeTable<'_>,
    span: &Range<usize>,
    path: &mut Vec<Seg>,
    found: &mut Option<Vec<Seg>>,
) {
    for (key, value) in table.iter() {
        if found.is_some() {
            return;
        }
        path.push(Seg::Key(key.get_ref().to_string()));
        find_in_value(value, span, path, found);
        path.pop();
    }
}

fn find_in_value(
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    path: &mut Vec<Seg>,
    found: &mut Option<Vec<Seg>>,
) {
    if value.span() == *span && matches!(value.get_ref(), DeValue::Table(_)) {
        *found = Some(path.clone());
        return;
    }
    match value.get_ref() {
        DeValue::Table(t) => find_value_span(t, span, path, found),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if found.is_some() {
                    return;
                }
                path.push(Seg::Index(i));
                find_in_value(item, span, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Words inside backticks, in order.
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// `a, b, c` or `a`.
pub(crate) fn expected_list(names: &[&str]) -> String {
    match names.len() {
        0 => "nothing".to_string(),
        1 => names[0].to_string(),
        _ => format!("one of {}", names.join(", ")),
    }
}

/// Turns serde's wording into ours: "unknown field" becomes "unknown key ...; expected one of a,
/// b", "missing field `x`" becomes "missing required key `x`" (and returns `x` so it can go into
/// the key path).
fn rewrite_serde_message(msg: &str) -> (String, Option<String>) {
    if msg.starts_with("unknown field `") {
        let words = backticked(msg);
        if let Some((field, expected)) = words.split_first() {
            let tail = if msg.contains("there are no fields") || expected.is_empty() {
                "no keys are allowed here".to_string()
            } else {
                format!("expected {}", expected_list(expected))
            };
            return (format!("unknown key `{field}`; {tail}"), None);
        }
    }
    if msg.starts_with("unknown variant `") {
        let words = backticked(msg);
        if let Some((variant, expected)) = words.split_first() {
            return (
                format!(
                    "unknown value `{variant}`; expected {}",
                    expected_list(expected)
                ),
                None,
            );
        }
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        if let Some(field) = rest.split('`').next() {
            return (
                format!("missing required key `{field}`"),
                Some(field.to_string()),
            );
        }
    }
    (msg.to_string(), None)
}

/// How a value reads in an error message: `integer `5``, `string "x"`, `table`...
pub(crate) fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => format!("string {s:?}"),
        DeValue::Integer(i) => format!("integer `{}`", i.as_str()),
        DeValue::Float(f) => format!("float `{}`", f.as_str()),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(d) => format!("datetime `{d}`"),
        DeValue::Array(_) => "array".to_string(),
        DeValue::Table(_) => "table".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // After the two-byte 'é' the column counts one character.
        let eq = text.rfind('=').expect("has =");
        assert_eq!(line_col(text, eq), (2, 4));
        assert_eq!(line_col(text, 10_000), (3, 1));
    }

    #[test]
    fn key_paths_quote_odd_keys() {
        let p = vec![Seg::key("clusters"), Seg::Index(1), Seg::key("url")];
        assert_eq!(key_path(&p), "clusters[1].url");
        assert_eq!(key_path(&[Seg::key("a.b")]), "\"a.b\"");
    }

    #[test]
    fn locate_finds_array_of_table_entries() {
        let text = "[[c]]\nname = \"a\"\n\n[[c]]\nname = \"b\"\nurl = 8\n";
        let doc = TomlDoc::parse(text, None).expect("parses");
        let pos = text.rfind('8').expect("has 8");
        let path = doc.locate(pos).expect("found");
        assert_eq!(key_path(&path), "c[1].url");
        let header = text.rfind("[[c]]").expect("has header");
        assert_eq!(key_path(&doc.locate(header).expect("found")), "c[1]");
    }

    #[test]
    fn serde_messages_are_rewritten() {
        let (m, f) = rewrite_serde_message("unknown field `x`, expected `a` or `b`");
        assert_eq!(m, "unknown key `x`; expected one of a, b");
        assert!(f.is_none());
        let (m, f) = rewrite_serde_message("missing field `name`");
        assert_eq!(m, "missing required key `name`");
        assert_eq!(f.as_deref(), Some("name"));
    }
}
