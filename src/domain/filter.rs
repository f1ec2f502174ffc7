//! The filter language shared by the console's `/` and the CLI's `--filter`:
//! `team:payments tag:tier-1 state:restarting cluster:k8s-prod app:orders-agg orders`.
//!
//! Terms are ANDed; repeated positive terms of one key are ORed (`state:failed state:restarting`);
//! `-term` or `!term` negates; values may be quoted (`"a b"`, `app:"my app"`). A bare word matches
//! the name, id, cluster, state or app as a case-insensitive substring. `team`, `tag`, `cluster`
//! and `app` compare whole values, case-insensitively, with `*`/`?` globs; `cluster:k8s-prod`
//! also matches the clusters discovered under that entry (`k8s-prod/streaming/orders`). `state`
//! takes a Flink state or `active`.

use std::fmt;

use super::glob::glob_match;
use super::job::JobState;

/// A filter key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    Text,
    Team,
    Tag,
    State,
    Cluster,
    App,
}

impl FilterKey {
    /// The keys a term may name, as written.
    pub const NAMED: [(&'static str, FilterKey); 5] = [
        ("team", FilterKey::Team),
        ("tag", FilterKey::Tag),
        ("state", FilterKey::State),
        ("cluster", FilterKey::Cluster),
        ("app", FilterKey::App),
    ];
}

/// A `state:` value: one Flink state, or every active one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateMatch {
    Active,
    Is(JobState),
}

impl StateMatch {
    /// Parses a state name (any case) or `active`; the error lists what is allowed.
    pub fn parse(s: &str) -> Result<StateMatch, String> {
        if s.eq_ignore_ascii_case("active") {
            return Ok(StateMatch::Active);
        }
        match JobState::parse(&s.to_ascii_uppercase()) {
            JobState::Unknown(_) => Err(format!(
                "unknown state {s:?}; expected active or one of {}",
                JobState::KNOWN
                    .iter()
                    .map(JobState::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            st => Ok(StateMatch::Is(st)),
        }
    }

    pub fn matches(&self, state: &JobState) -> bool {
        match self {
            StateMatch::Active => state.is_active(),
            StateMatch::Is(s) => s == state,
        }
    }
}

/// One term of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    key: FilterKey,
    negated: bool,
    /// The value in lower case (patterns and substrings compare case-insensitively).
    value: String,
    state: Option<StateMatch>,
}

/// A parsed filter expression; the empty expression matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
    source: String,
}

/// What a filter is matched against: one row of the jobs list or one managed app.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub name: &'a str,
    pub id: &'a str,
    pub cluster: &'a str,
    pub state: Option<&'a JobState>,
    pub app: Option<&'a str>,
    pub team: Option<&'a str>,
    pub tags: &'a [String],
}

/// A parse error: what is wrong and the 1-based column (in characters) where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at column {}", self.message, self.column)
    }
}

impl std::error::Error for FilterError {}

/// A token of the input: its text (quotes removed), its column, and whether any of it was
/// quoted (a quoted `a:b` is text, not a key).
struct Token {
    text: String,
    column: usize,
    /// Byte offset in `text` where the first quote opened, if any.
    quote_at: Option<usize>,
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().enumerate().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut tok = Token {
            text: String::new(),
            column: i + 1,
            quote_at: None,
        };
        let mut open: Option<usize> = None;
        while let Some(&(j, c)) = chars.peek() {
            if open.is_none() && c.is_whitespace() {
                break;
            }
            chars.next();
            if c == '"' {
                if open.is_some() {
                    open = None;
                } else {
                    open = Some(j);
                    tok.quote_at.get_or_insert(tok.text.len());
                }
            } else {
                tok.text.push(c);
            }
        }
        if let Some(j) = open {
            return Err(FilterError {
                column: j + 1,
                message: "unclosed quote".into(),
            });
        }
        tokens.push(tok);
    }
    Ok(tokens)
}

impl Filter {
    /// Parses an expression; errors name the column where the problem is.
    pub fn parse(input: &str) -> Result<Filter, FilterError> {
        let mut terms = Vec::new();
        for tok in tokenize(input)? {
            let mut text = tok.text.as_str();
            let mut column = tok.column;
            let mut quote_at = tok.quote_at;
            let mut negated = false;
            if text.len() > 1 && (text.starts_with('-') || text.starts_with('!')) {
                negated = true;
                text = &text[1..];
                column += 1;
                quote_at = quote_at.map(|q| q.saturating_sub(1));
            }
            let key_part = text
                .split_once(':')
                .filter(|(k, _)| quote_at.is_none_or(|q| q > k.len()))
                .filter(|(k, _)| {
                    !k.is_empty() && k.chars().all(|c| c.is_ascii_alphabetic() || c == '_')
                });
            let Some((k, v)) = key_part else {
                if text.is_empty() {
                    continue;
                }
                terms.push(Term {
                    key: FilterKey::Text,
                    negated,
                    value: text.to_lowercase(),
                    state: None,
                });
                continue;
            };
            let Some(key) = FilterKey::NAMED
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(k))
                .map(|(_, key)| *key)
            else {
                return Err(FilterError {
                    column,
                    message: format!(
                        "unknown filter key {k:?}; expected one of team, tag, state, cluster, app"
                    ),
                });
            };
            let value_column = column + k.chars().count() + 1;
            if v.trim().is_empty() {
                return Err(FilterError {
                    column: value_column,
                    message: format!("{k}: needs a value"),
                });
            }
            let state = if key == FilterKey::State {
                Some(StateMatch::parse(v).map_err(|message| FilterError {
                    column: value_column,
                    message,
                })?)
            } else {
                None
            };
            terms.push(Term {
                key,
                negated,
                value: v.to_lowercase(),
                state,
            });
        }
        Ok(Filter {
            terms,
            source: input.trim().to_string(),
        })
    }

    /// A filter of one positive term (`key:value`, the value taken as is, no quoting needed).
    pub fn term(key: FilterKey, value: &str) -> Filter {
        let state = match key {
            FilterKey::State => StateMatch::parse(value).ok(),
            _ => None,
        };
        let name = FilterKey::NAMED
            .iter()
            .find(|(_, k)| *k == key)
            .map_or("", |(n, _)| *n);
        Filter {
            terms: vec![Term {
                key,
                negated: false,
                value: value.to_lowercase(),
                state,
            }],
            source: if name.is_empty() {
                format!("{value:?}")
            } else {
                format!("{name}:{value:?}")
            },
        }
    }

    /// The expression as given (trimmed).
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Adds `other`'s terms (both must hold).
    pub fn and(mut self, other: &Filter) -> Filter {
        self.terms.extend(other.terms.iter().cloned());
        self.source = match (self.source.is_empty(), other.source.is_empty()) {
            (true, _) => other.source.clone(),
            (_, true) => self.source,
            _ => format!("{} {}", self.source, other.source),
        };
        self
    }

    /// Whether the expression names a key (e.g. whether it can match rows without an app).
    pub fn uses(&self, key: FilterKey) -> bool {
        self.terms.iter().any(|t| t.key == key)
    }

    /// Whether `s` passes: every negated term fails, every bare word matches, and for each key
    /// with positive terms at least one of them matches.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        // Bare words and negations are ANDed one by one.
        for t in &self.terms {
            if (t.negated || t.key == FilterKey::Text) && term_matches(t, s) == t.negated {
                return false;
            }
        }
        // Positive keyed terms: OR within a key, AND across keys.
        for (_, key) in FilterKey::NAMED {
            let mut any = false;
            let mut hit = false;
            for t in self.terms.iter().filter(|t| t.key == key && !t.negated) {
                any = true;
                if term_matches(t, s) {
                    hit = true;
                    break;
                }
            }
            if any && !hit {
                return false;
            }
        }
        true
    }
}

fn ci_glob(pattern: &str, text: &str) -> bool {
    if pattern.contains(['*', '?']) {
        glob_match(pattern, &text.to_lowercase())
    } else {
        pattern.eq_ignore_ascii_case(text)
    }
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    if hay.is_ascii() && needle.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.to_lowercase().contains(needle)
    }
}

fn term_matches(t: &Term, s: &Subject<'_>) -> bool {
    match t.key {
        FilterKey::Text => {
            let state = s.state.map(JobState::as_str).unwrap_or("");
            [s.name, s.id, s.cluster, state, s.app.unwrap_or("")]
                .iter()
                .any(|f| contains_ci(f, &t.value))
        }
        FilterKey::Team => s.team.is_some_and(|team| ci_glob(&t.value, team)),
        FilterKey::Tag => s.tags.iter().any(|tag| ci_glob(&t.value, tag)),
        FilterKey::App => s.app.is_some_and(|app| ci_glob(&t.value, app)),
        FilterKey::Cluster => {
            ci_glob(&t.value, s.cluster)
                || s.cluster
                    .split_once('/')
                    .is_some_and(|(entry, _)| ci_glob(&t.value, entry))
        }
        FilterKey::State => match (&t.state, s.state) {
            (Some(m), Some(st)) => m.matches(st),
            _ => false,
        },
    }
}

/// How the jobs list groups its rows (`g` cycles them in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    #[default]
    None,
    Cluster,
    Team,
    App,
}

impl GroupBy {
    pub const ALL: [GroupBy; 4] = [GroupBy::None, GroupBy::Cluster, GroupBy::Team, GroupBy::App];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::None => "none",
            GroupBy::Cluster => "cluster",
            GroupBy::Team => "team",
            GroupBy::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<GroupBy> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s))
    }

    pub fn next(self) -> GroupBy {
        let i = Self::ALL.iter().position(|g| *g == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

/// A named view (`[ui.views]`): a filter and, optionally, a grouping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub name: String,
    pub filter: Filter,
    pub group: Option<GroupBy>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(
        name: &'a str,
        cluster: &'a str,
        state: &'a JobState,
        app: Option<&'a str>,
        team: Option<&'a str>,
        tags: &'a [String],
    ) -> Subject<'a> {
        Subject {
            name,
            id: "a1b2c3",
            cluster,
            state: Some(state),
            app,
            team,
            tags,
        }
    }

    #[test]
    fn keyed_terms_and_bare_words() {
        let tags = vec!["tier-1".to_string(), "eu".to_string()];
        let running = JobState::Running;
        let s = subject(
            "Orders Aggregation",
            "k8s-prod/streaming/orders",
            &running,
            Some("orders-agg"),
            Some("payments"),
            &tags,
        );
        for yes in [
            "",
            "orders",
            "ORDERS aggreg",
            "team:payments",
            "team:PAY*",
            "tag:tier-1",
            "tag:EU",
            "state:running",
            "state:active",
            "cluster:k8s-prod",
            "cluster:k8s-prod/streaming/orders",
            "app:orders-agg",
            "team:payments tag:tier-1 state:running cluster:k8s-prod app:orders-agg orders",
            "state:failed state:running",
            "-state:failed",
            "!team:search",
            "a1b2",
            "\"orders aggregation\"",
        ] {
            let f = Filter::parse(yes).unwrap_or_else(|e| panic!("{yes}: {e}"));
            assert!(f.matches(&s), "{yes:?} should match");
        }
        for no in [
            "search",
            "team:pay",
            "team:search",
            "tag:tier-2",
            "state:restarting",
            "state:failed state:restarting",
            "cluster:k8s",
            "app:orders",
            "-orders",
            "!tag:eu",
            "orders team:search",
            "\"orders  aggregation\"",
        ] {
            let f = Filter::parse(no).unwrap_or_else(|e| panic!("{no}: {e}"));
            assert!(!f.matches(&s), "{no:?} should not match");
        }
    }

    #[test]
    fn unmanaged_rows_have_no_team_or_app() {
        let st = JobState::Restarting;
        let s = subject("etl", "local", &st, None, None, &[]);
        assert!(!Filter::parse("team:x").unwrap().matches(&s));
        assert!(!Filter::parse("app:*").unwrap().matches(&s));
        assert!(Filter::parse("-app:*").unwrap().matches(&s));
        assert!(Filter::parse("state:RESTARTING etl").unwrap().matches(&s));
    }

    #[test]
    fn quoted_values() {
        let tags = vec!["tier 1".to_string()];
        let st = JobState::Running;
        let s = subject("a:b job", "local", &st, Some("my app"), None, &tags);
        assert!(Filter::parse("app:\"my app\"").unwrap().matches(&s));
        assert!(Filter::parse("tag:\"tier 1\"").unwrap().matches(&s));
        // A quoted colon is text, not a key.
        assert!(Filter::parse("\"a:b\"").unwrap().matches(&s));
        assert!(Filter::parse("\"a:b job\"").unwrap().matches(&s));
    }

    #[test]
    fn errors_name_the_column() {
        let e = Filter::parse("tem:payments").unwrap_err();
        assert_eq!(e.column, 1);
        assert_eq!(
            e.to_string(),
            "unknown filter key \"tem\"; expected one of team, tag, state, cluster, app at column 1"
        );
        let e = Filter::parse("orders  state:runing").unwrap_err();
        assert_eq!(e.column, 15, "{e}");
        assert!(e.message.contains("unknown state \"runing\""), "{e}");
        assert!(e.message.contains("RESTARTING"), "{e}");
        let e = Filter::parse("team:a -foo:x").unwrap_err();
        assert_eq!(e.column, 9, "{e}");
        let e = Filter::parse("tag:").unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (5, "tag: needs a value"));
        let e = Filter::parse("app:\"open").unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (5, "unclosed quote"));
        // Columns count characters, not bytes.
        let e = Filter::parse("é tem:x").unwrap_err();
        assert_eq!(e.column, 3);
    }

    #[test]
    fn and_combines_and_keeps_source() {
        let a = Filter::parse("team:payments").unwrap();
        let b = Filter::parse(" state:active ").unwrap();
        let both = a.and(&b);
        assert_eq!(both.source(), "team:payments state:active");
        let st = JobState::Finished;
        let s = subject("x", "c", &st, None, Some("payments"), &[]);
        assert!(!both.matches(&s));
        assert!(Filter::default().is_empty());
        assert!(both.uses(FilterKey::Team) && !both.uses(FilterKey::Tag));
    }

    #[test]
    fn group_by_cycles_and_parses() {
        assert_eq!(GroupBy::None.next(), GroupBy::Cluster);
        assert_eq!(GroupBy::App.next(), GroupBy::None);
        assert_eq!(GroupBy::parse("Team"), Some(GroupBy::Team));
        assert_eq!(GroupBy::parse("owner"), None);
    }

    #[test]
    fn state_match_parses() {
        assert_eq!(
            StateMatch::parse("running").unwrap(),
            StateMatch::Is(JobState::Running)
        );
        assert!(StateMatch::parse("Active")
            .unwrap()
            .matches(&JobState::Restarting));
        assert!(StateMatch::parse("runing").is_err());
    }
}
