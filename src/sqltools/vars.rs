//! `${name}` variables: substitution before validation or a run, the map from positions in the
//! substituted script back to the script as written, undefined variables as problems, and
//! masking of secret values.
//!
//! Rules: `${name}` with `name` = `[A-Za-z_][A-Za-z0-9_.-]*` is replaced by its value everywhere
//! except in `--` and `/* */` comments (inside strings too: `'topic' = '${topic}'` is the main
//! use). Values are inserted as they are (no quoting). Anything else that starts with `$` stays.
//! Positions are 1-based lines and columns counted in characters.

use std::collections::{BTreeMap, BTreeSet};

use super::{Problem, Severity};

/// A script with its variables substituted.
#[derive(Debug, Clone)]
pub struct Substituted {
    /// The script to hand to Flink.
    pub script: String,
    /// One error per use of an undefined variable (positions in the original script).
    pub undefined: Vec<Problem>,
    /// The values to mask in anything shown (secret variables that the script uses or not).
    pub secrets: Vec<String>,
    /// Replaced ranges, in order: (original byte range, substituted byte range).
    edits: Vec<Edit>,
    original_lines: Vec<usize>,
    substituted_lines: Vec<usize>,
    original: String,
}

#[derive(Debug, Clone, Copy)]
struct Edit {
    orig_start: usize,
    orig_end: usize,
    new_start: usize,
    new_end: usize,
}

/// Substitutes `${name}` from `vars`. Names in `secret_names` are secret: their values are listed
/// in [`Substituted::secrets`] so that [`mask`] can hide them.
pub fn substitute(
    script: &str,
    vars: &BTreeMap<String, String>,
    secret_names: &BTreeSet<String>,
) -> Substituted {
    let bytes = script.as_bytes();
    let mut out = String::with_capacity(script.len());
    let mut edits = Vec::new();
    let mut undefined_at = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'-' && bytes.get(i + 1) == Some(&b'-') {
            i = script[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = script[i + 2..]
                .find("*/")
                .map_or(bytes.len(), |n| i + 2 + n + 2);
            continue;
        }
        if c == b'$' && bytes.get(i + 1) == Some(&b'{') {
            if let Some(len) = var_name_len(&script[i + 2..]) {
                if bytes.get(i + 2 + len) == Some(&b'}') {
                    let name = &script[i + 2..i + 2 + len];
                    let end = i + 2 + len + 1;
                    match vars.get(name) {
                        Some(value) => {
                            out.push_str(&script[copied..i]);
                            let new_start = out.len();
                            out.push_str(value);
                            edits.push(Edit {
                                orig_start: i,
                                orig_end: end,
                                new_start,
                                new_end: out.len(),
                            });
                            copied = end;
                        }
                        None => undefined_at.push((i, name.to_string())),
                    }
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push_str(&script[copied..]);

    let original_lines = line_starts(script);
    let undefined = undefined_at
        .into_iter()
        .map(|(offset, name)| {
            let (line, column) = line_col(script, &original_lines, offset);
            let mut p = Problem::new(
                statement_at(script, offset),
                line,
                column,
                Severity::Error,
                format!(
                    "undefined variable ${{{name}}}: define it (e.g. --var {name}=VALUE) or \
                     remove it"
                ),
            );
            p.end_line = Some(line);
            p.end_column = Some(column + name.chars().count() as u32 + 2);
            p
        })
        .collect();
    let mut secrets: Vec<String> = secret_names
        .iter()
        .filter_map(|n| vars.get(n))
        .filter(|v| !v.is_empty())
        .cloned()
        .collect();
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let substituted_lines = line_starts(&out);
    Substituted {
        script: out,
        undefined,
        secrets,
        edits,
        original_lines,
        substituted_lines,
        original: script.to_string(),
    }
}

impl Substituted {
    /// Maps a 1-based (line, column) of the substituted script to the original script. A
    /// position inside a substituted value maps to the `$` of its `${name}`.
    pub fn to_original(&self, line: u32, column: u32) -> (u32, u32) {
        if self.edits.is_empty() {
            return (line, column);
        }
        let offset = offset_of(&self.script, &self.substituted_lines, line, column);
        let mut delta: isize = 0;
        let mut orig = None;
        for e in &self.edits {
            if offset < e.new_start {
                break;
            }
            if offset < e.new_end {
                orig = Some(e.orig_start);
                break;
            }
            delta = e.orig_end as isize - e.new_end as isize;
        }
        let orig = orig.unwrap_or_else(|| (offset as isize + delta).max(0) as usize);
        let orig = orig.min(self.original.len());
        line_col(&self.original, &self.original_lines, orig)
    }

    /// Statement numbers (as the helper numbers them) that use an undefined variable.
    pub fn statements_with_undefined(&self) -> BTreeSet<u32> {
        self.undefined.iter().map(|p| p.statement).collect()
    }

    /// Rewrites a problem the helper found in the substituted script: positions back to the
    /// original script, secret values masked.
    pub fn fix_problem(&self, mut p: Problem) -> Problem {
        let (line, column) = self.to_original(p.line, p.column);
        p.line = line;
        p.column = column;
        if let (Some(l), Some(c)) = (p.end_line, p.end_column) {
            let (l, c) = self.to_original(l, c);
            p.end_line = Some(l);
            p.end_column = Some(c);
        }
        p.message = mask(&p.message, &self.secrets);
        p.connector = p.connector.map(|c| mask(&c, &self.secrets));
        p.table = p.table.map(|t| mask(&t, &self.secrets));
        p
    }

    /// The final problem list: the helper's (fixed; those of statements that use an undefined
    /// variable are dropped, they only repeat it) and the undefined variables, by position.
    pub fn merge(&self, helper: Vec<Problem>) -> Vec<Problem> {
        let skip = self.statements_with_undefined();
        let mut all: Vec<Problem> = helper
            .into_iter()
            .filter(|p| !skip.contains(&p.statement))
            .map(|p| self.fix_problem(p))
            .chain(self.undefined.iter().cloned())
            .collect();
        all.sort_by_key(|p| (p.line, p.column));
        all
    }
}

/// Replaces every secret value in `text` by `***`.
pub fn mask(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if !s.is_empty() && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

/// Masks secrets in every string of a JSON value.
pub fn mask_json(v: &mut serde_json::Value, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    match v {
        serde_json::Value::String(s) => {
            let m = mask(s, secrets);
            if m != *s {
                *s = m;
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| mask_json(x, secrets)),
        serde_json::Value::Object(o) => o.values_mut().for_each(|x| mask_json(x, secrets)),
        _ => {}
    }
}

/// The length of a variable name at the start of `s`, if one starts there.
fn var_name_len(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return None,
    }
    let end = chars
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map_or(s.len(), |(i, _)| i);
    Some(end)
}

/// Byte offsets where lines start.
fn line_starts(s: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(s.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// 1-based (line, column in characters) of a byte offset.
fn line_col(s: &str, starts: &[usize], offset: usize) -> (u32, u32) {
    let idx = starts.partition_point(|&st| st <= offset).saturating_sub(1);
    let start = starts.get(idx).copied().unwrap_or(0);
    let col = s
        .get(start..offset)
        .map_or(offset - start, |t| t.chars().count());
    (idx as u32 + 1, col as u32 + 1)
}

/// The byte offset of a 1-based (line, column in characters), clamped to the text.
fn offset_of(s: &str, starts: &[usize], line: u32, column: u32) -> usize {
    let Some(&start) = starts.get((line.max(1) - 1) as usize) else {
        return s.len();
    };
    let rest = &s[start..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let wanted = (column.max(1) - 1) as usize;
    rest[..line_end]
        .char_indices()
        .nth(wanted)
        .map_or(start + line_end, |(i, _)| start + i)
}

/// The number of the statement that holds byte `offset`, numbered like the Java splitter: the
/// `;`-separated pieces that hold something other than whitespace and comments, 1, 2, ...
/// (quotes and comments respected). An offset after the last piece belongs to the next number.
pub fn statement_at(script: &str, offset: usize) -> u32 {
    let b = script.as_bytes();
    let mut number = 0u32;
    let mut in_piece = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i = script[i..].find('\n').map_or(b.len(), |n| i + n);
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = script[i + 2..]
                .find("*/")
                .map_or(b.len(), |n| i + 2 + n + 2);
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b';' {
            if in_piece && offset < i {
                return number;
            }
            in_piece = false;
            i += 1;
            continue;
        }
        if !in_piece {
            in_piece = true;
            number += 1;
        }
        if matches!(c, b'\'' | b'"' | b'`') {
            let mut j = i + 1;
            while j < b.len() {
                if b[j] == c {
                    if b.get(j + 1) == Some(&c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            if offset < j {
                return number;
            }
            i = j + 1;
            continue;
        }
        if offset <= i {
            return number;
        }
        i += 1;
    }
    if in_piece {
        number
    } else {
        number + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn substitutes_outside_comments_and_keeps_other_dollars() {
        let v = vars(&[("topic", "orders"), ("n", "42")]);
        let s = substitute(
            "SELECT '${topic}', ${n}, '$x', '${ bad}' -- ${topic}\n/* ${n} */ FROM t;",
            &v,
            &BTreeSet::new(),
        );
        assert_eq!(
            s.script,
            "SELECT 'orders', 42, '$x', '${ bad}' -- ${topic}\n/* ${n} */ FROM t;"
        );
        assert!(s.undefined.is_empty());
    }

    #[test]
    fn undefined_variables_are_errors_at_their_position() {
        let s = substitute(
            "SET 'a' = 'b';\n\nINSERT INTO t\nSELECT ${col} FROM ${missing};",
            &vars(&[("col", "x")]),
            &BTreeSet::new(),
        );
        assert_eq!(s.undefined.len(), 1);
        let p = &s.undefined[0];
        assert_eq!((p.line, p.column, p.statement), (4, 20, 2));
        assert_eq!((p.end_line, p.end_column), (Some(4), Some(29)));
        assert_eq!(p.severity, Severity::Error);
        assert!(p.message.contains("${missing}"), "{}", p.message);
    }

    #[test]
    fn positions_map_back_through_longer_and_shorter_values() {
        let v = vars(&[("long", "a_much_longer_value"), ("s", "x"), ("nl", "1\n2")]);
        let script = "SELECT ${long}, ${s}, bad1\nFROM ${nl} t, bad2;";
        let s = substitute(script, &v, &BTreeSet::new());
        assert_eq!(
            s.script,
            "SELECT a_much_longer_value, x, bad1\nFROM 1\n2 t, bad2;"
        );
        // "bad1" is at 1:32 in the substituted script and 1:23 in the original.
        assert_eq!(s.to_original(1, 32), (1, 23));
        // Inside a value: the `$` of its `${...}`.
        assert_eq!(s.to_original(1, 12), (1, 8));
        // "bad2" is on line 3 after a value with a newline; originally 2:15.
        assert_eq!(s.to_original(3, 6), (2, 15));
        // Before any variable: unchanged.
        assert_eq!(s.to_original(1, 1), (1, 1));
    }

    #[test]
    fn masks_secrets_longest_first() {
        let v = vars(&[("pw", "hunter2"), ("pw2", "hunter22x"), ("user", "bob")]);
        let secret: BTreeSet<String> = ["pw".to_string(), "pw2".to_string()].into();
        let s = substitute("x", &v, &secret);
        assert_eq!(
            s.secrets,
            vec!["hunter22x".to_string(), "hunter2".to_string()]
        );
        assert_eq!(
            mask("bob hunter22x hunter2!", &s.secrets),
            "bob *** ***!".to_string()
        );
        let mut j = serde_json::json!({"a": ["hunter2", 1], "b": "xhunter2x"});
        mask_json(&mut j, &s.secrets);
        assert_eq!(j, serde_json::json!({"a": ["***", 1], "b": "x***x"}));
    }

    #[test]
    fn merge_drops_echoes_of_undefined_variables_and_fixes_the_rest() {
        let v = vars(&[("pw", "hunter2")]);
        let secret: BTreeSet<String> = ["pw".to_string()].into();
        let s = substitute("SELECT ${pw} FROM a;\nSELECT ${nope} FROM b;", &v, &secret);
        let helper = vec![
            Problem::new(
                1,
                1,
                8,
                Severity::Error,
                "Column 'hunter2' not found".into(),
            ),
            Problem::new(2, 2, 8, Severity::Error, "Encountered \"$\"".into()),
        ];
        let all = s.merge(helper);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!(all[0].message, "Column '***' not found");
        assert_eq!((all[0].line, all[0].column), (1, 8));
        assert!(all[1].message.contains("undefined variable ${nope}"));
        assert_eq!((all[1].line, all[1].column, all[1].statement), (2, 8, 2));
    }

    #[test]
    fn statements_are_numbered_like_the_java_splitter() {
        let script = "-- c; x\nSET 'a;' = 'b';\n ; ;\nCREATE TABLE t (s STRING) /* ; */;\n\nINSERT INTO t SELECT 'x;y';";
        let at = |needle: &str| statement_at(script, script.find(needle).expect("needle"));
        assert_eq!(at("SET"), 1);
        assert_eq!(at("'b'"), 1);
        assert_eq!(at("CREATE"), 2);
        assert_eq!(at("/* ;"), 2);
        assert_eq!(at("INSERT"), 3);
        assert_eq!(at("x;y"), 3);
    }
}
