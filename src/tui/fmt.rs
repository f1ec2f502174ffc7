//! Short formatting helpers for table cells (pure; the long forms live in `domain::time`).

use crate::domain::time::{format_bytes, format_rate};
use crate::domain::{CheckpointRef, CheckpointStatus};

/// One-unit age for tight columns: `0s`, `12s`, `5m`, `3h`, `2d`.
pub(crate) fn short_age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m", s / 60)
    } else if s < 86_400 {
        format!("{}h", s / 3600)
    } else {
        format!("{}d", s / 86_400)
    }
}

/// `37%` from a 0.0–1.0 ratio, `-` when unknown.
pub(crate) fn pct(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) if r.is_finite() => format!("{:.0}%", (r * 100.0).clamp(0.0, 100.0)),
        _ => "-".into(),
    }
}

/// A records-per-second rate, `-` when unknown.
pub(crate) fn rate(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() && v >= 0.0 => format_rate(v),
        _ => "-".into(),
    }
}

/// A bytes-per-second rate, `-` when unknown.
pub(crate) fn bytes_rate(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() && v >= 0.0 => format!("{}/s", format_bytes(v as i64)),
        _ => "-".into(),
    }
}

/// Optional bytes, `-` when unknown.
pub(crate) fn opt_bytes(v: Option<i64>) -> String {
    v.map(format_bytes).unwrap_or_else(|| "-".into())
}

/// The jobs list's checkpoint cell: `8s ok`, `2m FAILED`, `#42 …`, `-`.
pub(crate) fn checkpoint_cell(c: Option<&CheckpointRef>, now_ms: i64) -> String {
    let Some(c) = c else { return "-".into() };
    let age = c
        .completed_at
        .filter(|t| *t > 0)
        .map(|t| short_age(now_ms - t))
        .unwrap_or_else(|| "?".into());
    let sp = if c.is_savepoint { " sp" } else { "" };
    match c.status {
        CheckpointStatus::Completed => format!("{age} ok{sp}"),
        CheckpointStatus::Failed => format!("{age} FAILED{sp}"),
        CheckpointStatus::InProgress => format!("#{} …", c.id),
    }
}

/// The first line of a possibly multi-line text.
pub(crate) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// At most `max` characters, with `…` when cut.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// At most `max` characters keeping the end, with `…` in front when cut: for names whose tail
/// tells them apart (`…/streaming/orders`).
pub(crate) fn truncate_start(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let mut out = String::from("…");
    out.extend(s.chars().skip(n - (max - 1)));
    out
}

/// Replaces control characters (tabs, carriage returns, escapes) so a cell cannot move the
/// terminal's cursor.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Word-wraps one line of text into rows of at most `width` characters (words longer than a row
/// are split).
pub(crate) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0usize;
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let sep = usize::from(cur_len > 0);
            if cur_len + sep + word.len() <= width {
                if sep == 1 {
                    cur.push(' ');
                }
                cur.extend(word.iter());
                cur_len += sep + word.len();
                break;
            }
            if cur_len > 0 {
                rows.push(std::mem::take(&mut cur));
                cur_len = 0;
                continue;
            }
            // A word longer than a row: split it.
            let rest = word.split_off(width);
            rows.push(word.iter().collect());
            word = rest;
        }
    }
    rows.push(cur);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_cells() {
        assert_eq!(short_age(8_000), "8s");
        assert_eq!(short_age(125_000), "2m");
        assert_eq!(short_age(-5), "0s");
        assert_eq!(pct(Some(0.374)), "37%");
        assert_eq!(pct(None), "-");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(
            truncate_start("k8s-prod/streaming/orders", 18),
            "…/streaming/orders"
        );
        assert_eq!(truncate_start("abc", 3), "abc");
        assert_eq!(truncate_start("abc", 1), "…");
        let c = CheckpointRef {
            id: 7,
            status: CheckpointStatus::Failed,
            completed_at: Some(1_000),
            external_path: None,
            is_savepoint: false,
        };
        assert_eq!(checkpoint_cell(Some(&c), 121_000), "2m FAILED");
        assert_eq!(checkpoint_cell(None, 0), "-");
        assert_eq!(wrap_words("ab cd ef", 5), vec!["ab cd", "ef"]);
        assert_eq!(wrap_words("abcdefgh x", 3), vec!["abc", "def", "gh", "x"]);
        assert_eq!(wrap_words("", 3), vec![""]);
    }
}
