//! Shell-style globs of `*` (any run of characters) and `?` (one character), used for build
//! artifacts (one path segment at a time) and for app and cluster names in alert rules.

/// Whether `text` matches `pattern` as a whole.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    matches(&p, &t)
}

/// Iterative matching with one backtrack point (the last `*`): linear in practice, never
/// exponential.
fn matches(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some('?') => {
                pi += 1;
                ti += 1;
            }
            Some(c) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn stars_and_question_marks() {
        assert!(glob_match("orders-*", "orders-agg"));
        assert!(glob_match("orders-*", "orders-"));
        assert!(!glob_match("orders-*", "order-agg"));
        assert!(glob_match("*-agg", "orders-agg"));
        assert!(glob_match("o?ders*agg", "orders-by-agg"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("?", ""));
        assert!(glob_match("demo-*.jar", "demo-1.2.jar"));
        assert!(!glob_match("demo-*.jar", "demo-1.2.jar.sha1"));
        assert!(glob_match("a*b*c", "aXbYbZc"));
        assert!(!glob_match("a*b*c", "aXbYbZ"));
        assert!(glob_match("prod", "prod"));
        assert!(!glob_match("prod", "prod-2"));
        // Many stars on a long miss stay fast (no exponential backtracking).
        let long = "a".repeat(200);
        assert!(!glob_match("*a*a*a*a*a*a*a*a*b", &long));
    }
}
