//! Flink SQL highlighting: a tokenizer over one line at a time plus the state carried from one
//! line to the next (inside a block comment, a hint, a string or a quoted identifier), and a
//! cache so that a frame tokenizes only the lines it shows.
//!
//! Tokens are byte ranges of the line; text outside every token (identifiers, operators,
//! punctuation, spaces) is drawn plain.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Where a line starts: in plain SQL, or inside a construct opened on an earlier line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) enum LexState {
    #[default]
    Normal,
    /// Inside `/* … */`.
    Comment,
    /// Inside `/*+ … */`.
    Hint,
    /// Inside `'…'`.
    Str,
    /// Inside `` `…` ``.
    Ident,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TokenKind {
    Keyword,
    Type,
    String,
    Comment,
    Hint,
    Number,
    /// `${name}` or `${a.b}`, also inside strings.
    Variable,
    /// `` `name` `` (or `"name"`): never a keyword.
    QuotedIdent,
    /// An identifier directly followed by `(`.
    Function,
}

/// A highlighted byte range of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: TokenKind,
}

/// Reserved and common words of Flink SQL (upper case, sorted for binary search).
const KEYWORDS: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CALL",
    "CASCADE",
    "CASE",
    "CAST",
    "CATALOG",
    "CATALOGS",
    "COMMENT",
    "COMPILE",
    "COMPUTE",
    "CREATE",
    "CROSS",
    "CUBE",
    "CURRENT",
    "DATABASE",
    "DATABASES",
    "DEFINE",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DESCRIPTOR",
    "DISTINCT",
    "DISTRIBUTED",
    "DROP",
    "ELSE",
    "END",
    "ENFORCED",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDING",
    "EXECUTE",
    "EXISTS",
    "EXPLAIN",
    "FALSE",
    "FETCH",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUNCTIONS",
    "GROUP",
    "GROUPING",
    "HAVING",
    "IF",
    "IN",
    "INCLUDING",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JAR",
    "JOB",
    "JOBS",
    "JOIN",
    "KEY",
    "LAST",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOAD",
    "MATCH_RECOGNIZE",
    "MEASURES",
    "METADATA",
    "MINUS",
    "MODIFY",
    "MODULE",
    "MODULES",
    "NATURAL",
    "NEXT",
    "NOT",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "ONLY",
    "OPTIONS",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "OVERWRITE",
    "PARTITION",
    "PARTITIONED",
    "PATTERN",
    "PER",
    "PRECEDING",
    "PRIMARY",
    "RANGE",
    "RENAME",
    "REPLACE",
    "RESET",
    "RIGHT",
    "ROLLUP",
    "ROWS",
    "SELECT",
    "SET",
    "SETS",
    "SHOW",
    "SKIP",
    "STATEMENT",
    "STOP",
    "SYSTEM",
    "SYSTEM_TIME",
    "TABLE",
    "TABLES",
    "TEMPORARY",
    "THEN",
    "TO",
    "TRUE",
    "TRUNCATE",
    "UNBOUNDED",
    "UNION",
    "UNLOAD",
    "UNNEST",
    "UPDATE",
    "USE",
    "USING",
    "VALUES",
    "VIEW",
    "VIEWS",
    "VIRTUAL",
    "WATERMARK",
    "WATERMARKS",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHIN",
    "WITHOUT",
];

/// Data types and the words of type names (upper case, sorted).
const TYPES: &[&str] = &[
    "ARRAY",
    "BIGINT",
    "BINARY",
    "BOOLEAN",
    "BYTES",
    "CHAR",
    "CHARACTER",
    "DATE",
    "DAY",
    "DEC",
    "DECIMAL",
    "DOUBLE",
    "FLOAT",
    "HOUR",
    "INT",
    "INTEGER",
    "LOCAL",
    "MAP",
    "MINUTE",
    "MONTH",
    "MULTISET",
    "NUMERIC",
    "PRECISION",
    "RAW",
    "REAL",
    "ROW",
    "SECOND",
    "SMALLINT",
    "STRING",
    "TIME",
    "TIMESTAMP",
    "TIMESTAMP_LTZ",
    "TINYINT",
    "VARBINARY",
    "VARCHAR",
    "VARIANT",
    "YEAR",
    "ZONE",
];

/// Keywords after which `name(` is a table or view with its columns, not a function call.
const BEFORE_TABLE_NAME: &[&str] = &["EXISTS", "INTO", "TABLE", "VIEW"];

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_var_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// Where `${…}` starting at `i` ends (exclusive), if it is a variable.
fn variable_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'$') || b.get(i + 1) != Some(&b'{') {
        return None;
    }
    let mut k = i + 2;
    while k < b.len() && is_var_byte(b[k]) {
        k += 1;
    }
    (k > i + 2 && b.get(k) == Some(&b'}')).then_some(k + 1)
}

struct Lexer<'a> {
    line: &'a str,
    b: &'a [u8],
    out: Option<&'a mut Vec<Token>>,
}

impl Lexer<'_> {
    fn emit(&mut self, start: usize, end: usize, kind: TokenKind) {
        if end > start {
            if let Some(out) = self.out.as_deref_mut() {
                out.push(Token { start, end, kind });
            }
        }
    }

    /// A block comment or hint whose body starts at `from` (the token at `start`): where it
    /// ends and whether it closed on this line.
    fn block(&mut self, start: usize, from: usize, kind: TokenKind) -> (usize, bool) {
        match self.line.get(from..).and_then(|rest| rest.find("*/")) {
            Some(off) => {
                let end = from + off + 2;
                self.emit(start, end, kind);
                (end, true)
            }
            None => {
                self.emit(start, self.b.len(), kind);
                (self.b.len(), false)
            }
        }
    }

    /// A quoted string or identifier whose body starts at `from` (the token at `start`); a
    /// doubled quote is the quote itself. Strings contain variables. Returns where it ends and
    /// whether it closed on this line.
    fn quoted(&mut self, start: usize, from: usize, quote: u8, kind: TokenKind) -> (usize, bool) {
        let b = self.b;
        let mut piece = start;
        let mut j = from;
        while j < b.len() {
            if b[j] == quote {
                if b.get(j + 1) == Some(&quote) {
                    j += 2;
                    continue;
                }
                self.emit(piece, j + 1, kind);
                return (j + 1, true);
            }
            if kind == TokenKind::String {
                if let Some(e) = variable_end(b, j) {
                    self.emit(piece, j, kind);
                    self.emit(j, e, TokenKind::Variable);
                    piece = e;
                    j = e;
                    continue;
                }
            }
            j += 1;
        }
        self.emit(piece, b.len(), kind);
        (b.len(), false)
    }

    fn run(&mut self, mut state: LexState) -> LexState {
        let b = self.b;
        let n = b.len();
        let mut i = 0;
        // The last word, upper case, when nothing but spaces followed it.
        let mut prev_word: Option<String> = None;
        while i < n {
            let (end, closed) = match state {
                LexState::Comment => self.block(i, i, TokenKind::Comment),
                LexState::Hint => self.block(i, i, TokenKind::Hint),
                LexState::Str => self.quoted(i, i, b'\'', TokenKind::String),
                LexState::Ident => self.quoted(i, i, b'`', TokenKind::QuotedIdent),
                LexState::Normal => {
                    let c = b[i];
                    let next = b.get(i + 1).copied();
                    if c.is_ascii_whitespace() {
                        i += 1;
                        continue;
                    }
                    let word = prev_word.take();
                    match (c, next) {
                        (b'-', Some(b'-')) => {
                            self.emit(i, n, TokenKind::Comment);
                            return LexState::Normal;
                        }
                        (b'/', Some(b'*')) => {
                            if b.get(i + 2) == Some(&b'+') {
                                state = LexState::Hint;
                                self.block(i, i + 3, TokenKind::Hint)
                            } else {
                                state = LexState::Comment;
                                self.block(i, i + 2, TokenKind::Comment)
                            }
                        }
                        (b'\'', _) => {
                            state = LexState::Str;
                            self.quoted(i, i + 1, b'\'', TokenKind::String)
                        }
                        (b'X' | b'x', Some(b'\'')) => {
                            state = LexState::Str;
                            self.quoted(i, i + 2, b'\'', TokenKind::String)
                        }
                        (b'`', _) => {
                            state = LexState::Ident;
                            self.quoted(i, i + 1, b'`', TokenKind::QuotedIdent)
                        }
                        (b'"', _) => {
                            // Double-quoted names stay on their line.
                            let end = self.line[i + 1..].find('"').map_or(n, |o| i + o + 2);
                            self.emit(i, end, TokenKind::QuotedIdent);
                            i = end;
                            continue;
                        }
                        (b'$', Some(b'{')) => {
                            match variable_end(b, i) {
                                Some(e) => {
                                    self.emit(i, e, TokenKind::Variable);
                                    i = e;
                                }
                                None => i += 1,
                            }
                            continue;
                        }
                        _ if c.is_ascii_digit()
                            || (c == b'.'
                                && next.is_some_and(|d| d.is_ascii_digit())
                                && (i == 0 || !is_ident_byte(b[i - 1]))) =>
                        {
                            let e = number_end(b, i);
                            self.emit(i, e, TokenKind::Number);
                            i = e;
                            continue;
                        }
                        _ if is_ident_start(c) => {
                            let mut e = i + 1;
                            while e < n && is_ident_byte(b[e]) {
                                e += 1;
                            }
                            let upper = self.line[i..e].to_ascii_uppercase();
                            let kind = if KEYWORDS.binary_search(&upper.as_str()).is_ok() {
                                Some(TokenKind::Keyword)
                            } else if TYPES.binary_search(&upper.as_str()).is_ok() {
                                Some(TokenKind::Type)
                            } else if b.get(e) == Some(&b'(')
                                && !word
                                    .as_deref()
                                    .is_some_and(|w| BEFORE_TABLE_NAME.contains(&w))
                            {
                                Some(TokenKind::Function)
                            } else {
                                None
                            };
                            if let Some(kind) = kind {
                                self.emit(i, e, kind);
                            }
                            prev_word = Some(upper);
                            i = e;
                            continue;
                        }
                        _ => {
                            i += 1;
                            continue;
                        }
                    }
                }
            };
            i = end;
            if closed {
                state = LexState::Normal;
            } else {
                return state;
            }
        }
        state
    }
}

/// `12`, `1.5`, `.5`, `1e10`, `2.5E-3` starting at `i`: where it ends.
fn number_end(b: &[u8], i: usize) -> usize {
    let digits = |mut k: usize| {
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
        }
        k
    };
    let mut e = digits(i);
    if b.get(e) == Some(&b'.') && b.get(e + 1).is_some_and(|d| d.is_ascii_digit()) {
        e = digits(e + 1);
    }
    if matches!(b.get(e), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(e + 1), Some(b'+' | b'-')));
        if b.get(e + 1 + sign).is_some_and(|d| d.is_ascii_digit()) {
            e = digits(e + 1 + sign);
        }
    }
    e
}

/// The tokens of one line that starts in `state`, and the state the next line starts in.
pub(crate) fn tokenize_line(line: &str, state: LexState) -> (Vec<Token>, LexState) {
    let mut out = Vec::new();
    let end = Lexer {
        line,
        b: line.as_bytes(),
        out: Some(&mut out),
    }
    .run(state);
    (out, end)
}

/// The state the next line starts in (no tokens kept).
pub(crate) fn end_state(line: &str, state: LexState) -> LexState {
    Lexer {
        line,
        b: line.as_bytes(),
        out: None,
    }
    .run(state)
}

/// Tokenized lines are kept up to this many (line text, start state) pairs.
const TOKEN_CACHE: usize = 4096;

/// What the editor's renderer keeps between frames: the state at the start of each line (a
/// prefix of the buffer, extended lazily up to the lines drawn and cut back by edits), and the
/// tokens of recently drawn lines keyed by their text and start state.
#[derive(Debug, Default)]
pub(crate) struct Highlighter {
    /// `starts[i]`: the state line `i` starts in; valid for every `i < starts.len()`.
    starts: Vec<LexState>,
    tokens: HashMap<(u64, LexState), Vec<Token>>,
}

impl Highlighter {
    /// The lines from `row` on changed (or moved): their start states are computed again. The
    /// start state of `row` itself depends only on the lines above it.
    pub fn invalidate_from(&mut self, row: usize) {
        self.starts.truncate(row + 1);
    }

    /// The state line `row` starts in (computing the missing ones from the last known line).
    pub fn state_at(&mut self, lines: &[String], row: usize) -> LexState {
        if self.starts.is_empty() {
            self.starts.push(LexState::Normal);
        }
        let row = row.min(lines.len().saturating_sub(1));
        while self.starts.len() <= row {
            let i = self.starts.len() - 1;
            let next = end_state(&lines[i], self.starts[i]);
            self.starts.push(next);
        }
        self.starts[row]
    }

    /// The tokens of `line` starting in `state` (from the cache when it was drawn before).
    pub fn tokens(&mut self, line: &str, state: LexState) -> &[Token] {
        let mut h = DefaultHasher::new();
        line.hash(&mut h);
        let key = (h.finish(), state);
        if self.tokens.len() >= TOKEN_CACHE && !self.tokens.contains_key(&key) {
            self.tokens.clear();
        }
        self.tokens
            .entry(key)
            .or_insert_with(|| tokenize_line(line, state).0)
    }

    /// How many start states are known (for tests: they are computed lazily).
    #[cfg(test)]
    pub fn known_states(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::TokenKind::*;
    use super::*;

    /// `(text, kind)` of every token of `line` starting in `state`.
    fn toks(line: &str, state: LexState) -> (Vec<(&str, TokenKind)>, LexState) {
        let (t, end) = tokenize_line(line, state);
        (
            t.iter().map(|t| (&line[t.start..t.end], t.kind)).collect(),
            end,
        )
    }

    fn kinds(line: &str) -> Vec<(&str, TokenKind)> {
        toks(line, LexState::Normal).0
    }

    #[test]
    fn word_lists_are_sorted_upper_case_and_disjoint() {
        for list in [KEYWORDS, TYPES] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted: {list:?}");
            assert!(list.iter().all(|w| w.to_ascii_uppercase() == *w));
        }
        for k in KEYWORDS {
            assert!(TYPES.binary_search(k).is_err(), "{k} is both");
        }
    }

    #[test]
    fn every_token_kind() {
        assert_eq!(
            kinds("SELECT `order`, COUNT(*) AS n, CAST(price AS DECIMAL(10, 2)) FROM t"),
            vec![
                ("SELECT", Keyword),
                ("`order`", QuotedIdent),
                ("COUNT", Function),
                ("AS", Keyword),
                ("CAST", Keyword),
                ("AS", Keyword),
                ("DECIMAL", Type),
                ("10", Number),
                ("2", Number),
                ("FROM", Keyword),
            ]
        );
        assert_eq!(
            kinds("insert into out select /*+ OPTIONS('a'='b') */ 'x''y', 1.5e3, .5 -- done"),
            vec![
                ("insert", Keyword),
                ("into", Keyword),
                ("select", Keyword),
                ("/*+ OPTIONS('a'='b') */", Hint),
                ("'x''y'", String),
                ("1.5e3", Number),
                (".5", Number),
                ("-- done", Comment),
            ]
        );
        assert_eq!(
            kinds("WHERE ts > ${start} /* old */ AND name = \"My Name\""),
            vec![
                ("WHERE", Keyword),
                ("${start}", Variable),
                ("/* old */", Comment),
                ("AND", Keyword),
                ("\"My Name\"", QuotedIdent),
            ]
        );
    }

    #[test]
    fn variables_with_dots_also_inside_strings() {
        assert_eq!(
            kinds("'properties.bootstrap.servers' = '${kafka.brokers}:9092',"),
            vec![
                ("'properties.bootstrap.servers'", String),
                ("'", String),
                ("${kafka.brokers}", Variable),
                (":9092'", String),
            ]
        );
        assert_eq!(kinds("${a.b}"), vec![("${a.b}", Variable)]);
        // Not variables: empty, unclosed, spaces inside.
        assert_eq!(kinds("${} ${a b} ${abc"), vec![]);
        assert_eq!(kinds("'${}'"), vec![("'${}'", String)]);
    }

    #[test]
    fn functions_need_a_parenthesis_and_are_not_table_names() {
        assert_eq!(
            kinds("TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE)"),
            vec![
                ("TUMBLE", Function),
                ("TABLE", Keyword),
                ("DESCRIPTOR", Keyword),
                ("INTERVAL", Keyword),
                ("'1'", String),
                ("MINUTE", Type),
            ]
        );
        assert_eq!(
            kinds("CREATE TABLE orders(id INT); INSERT INTO sink(a) VALUES (my_udf (1))"),
            vec![
                ("CREATE", Keyword),
                ("TABLE", Keyword),
                ("INT", Type),
                ("INSERT", Keyword),
                ("INTO", Keyword),
                ("VALUES", Keyword),
                ("1", Number),
            ]
        );
        assert_eq!(kinds("a.my_udf(x)"), vec![("my_udf", Function)]);
    }

    #[test]
    fn numbers_are_not_parts_of_names() {
        assert_eq!(kinds("col1 + t2.c3 + 42"), vec![("42", Number)]);
        assert_eq!(kinds("x'0AFF'"), vec![("x'0AFF'", String)]);
        assert_eq!(kinds("1e"), vec![("1", Number)]);
    }

    #[test]
    fn unterminated_string_and_comment_carry_over() {
        assert_eq!(
            toks("SELECT 'abc", LexState::Normal),
            (vec![("SELECT", Keyword), ("'abc", String)], LexState::Str)
        );
        assert_eq!(
            toks("def' AS x", LexState::Str),
            (vec![("def'", String), ("AS", Keyword)], LexState::Normal)
        );
        assert_eq!(
            toks("a /* open", LexState::Normal),
            (vec![("/* open", Comment)], LexState::Comment)
        );
        assert_eq!(
            toks("still -- 'in' the comment", LexState::Comment),
            (
                vec![("still -- 'in' the comment", Comment)],
                LexState::Comment
            )
        );
        assert_eq!(
            toks("end */ SELECT", LexState::Comment),
            (
                vec![("end */", Comment), ("SELECT", Keyword)],
                LexState::Normal
            )
        );
        assert_eq!(
            toks("`odd", LexState::Normal),
            (vec![("`odd", QuotedIdent)], LexState::Ident)
        );
        assert_eq!(
            toks("name` FROM", LexState::Ident),
            (
                vec![("name`", QuotedIdent), ("FROM", Keyword)],
                LexState::Normal
            )
        );
        // A line comment ends with its line.
        assert_eq!(
            toks("-- 'not a string", LexState::Normal).1,
            LexState::Normal
        );
        // An empty line keeps the state.
        assert_eq!(toks("", LexState::Comment), (vec![], LexState::Comment));
    }

    #[test]
    fn hints_versus_comments() {
        assert_eq!(
            kinds("/*+ LOOKUP('table'='d') */"),
            vec![("/*+ LOOKUP('table'='d') */", Hint)]
        );
        assert_eq!(
            kinds("/* + not a hint */"),
            vec![("/* + not a hint */", Comment)]
        );
        assert_eq!(
            toks("SELECT /*+ BROADCAST(d)", LexState::Normal),
            (
                vec![("SELECT", Keyword), ("/*+ BROADCAST(d)", Hint)],
                LexState::Hint
            )
        );
        assert_eq!(
            toks("*/ d", LexState::Hint),
            (vec![("*/", Hint)], LexState::Normal)
        );
        // `/*/` does not close itself.
        assert_eq!(toks("/*/ x", LexState::Normal).1, LexState::Comment);
    }

    #[test]
    fn multi_line_block_comment_through_the_cache() {
        let lines: Vec<std::string::String> = [
            "SELECT 1; /* first",
            "SELECT 'inside'",
            "*/ SELECT 2;",
            "SELECT 'two",
            "lines';",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut h = Highlighter::default();
        assert_eq!(h.state_at(&lines, 1), LexState::Comment);
        assert_eq!(
            h.known_states(),
            2,
            "computed lazily, only up to the line asked for"
        );
        assert_eq!(
            h.tokens(&lines[1], LexState::Comment),
            &[Token {
                start: 0,
                end: 15,
                kind: Comment
            }]
        );
        assert_eq!(h.state_at(&lines, 2), LexState::Comment);
        assert_eq!(h.state_at(&lines, 3), LexState::Normal);
        assert_eq!(h.state_at(&lines, 4), LexState::Str);
        // An edit on line 0 closes the comment: the states below are computed again.
        let mut edited = lines.clone();
        edited[0] = "SELECT 1; /* first */".into();
        h.invalidate_from(0);
        assert_eq!(h.known_states(), 1);
        assert_eq!(h.state_at(&edited, 1), LexState::Normal);
        assert_eq!(
            h.tokens(&edited[1], LexState::Normal),
            &[
                Token {
                    start: 0,
                    end: 6,
                    kind: Keyword
                },
                Token {
                    start: 7,
                    end: 15,
                    kind: String
                }
            ]
        );
        // Rows past the end are clamped.
        assert_eq!(h.state_at(&edited, 99), LexState::Str);
    }

    #[test]
    fn non_ascii_text_keeps_char_boundaries() {
        let line = "SELECT 'héllo' AS größe, ünïcode(1) -- ✓";
        let (t, _) = tokenize_line(line, LexState::Normal);
        for tok in &t {
            assert!(line.is_char_boundary(tok.start) && line.is_char_boundary(tok.end));
        }
        assert_eq!(
            kinds(line),
            vec![
                ("SELECT", Keyword),
                ("'héllo'", String),
                ("AS", Keyword),
                ("ünïcode", Function),
                ("1", Number),
                ("-- ✓", Comment),
            ]
        );
    }
}
