//! Line diffs of two scripts (the `similar` crate), unified with context, as the diff view shows
//! them.

use std::time::Duration;

use similar::{ChangeTag, TextDiff};

use super::Pane;

/// Lines of context around each change.
pub(crate) const CONTEXT: usize = 3;
/// A diff that takes longer than this falls back to a coarser (still correct) result.
const DIFF_TIMEOUT: Duration = Duration::from_millis(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffKind {
    /// `@@ -1,4 +1,5 @@`
    Hunk,
    Context,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiffLine {
    pub kind: DiffKind,
    /// 1-based line numbers in the old and the new text.
    pub old: Option<usize>,
    pub new: Option<usize>,
    pub text: String,
}

/// The diff view: what is compared, the lines, and where it was opened from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DiffView {
    /// `v3 → buffer`.
    pub title: String,
    pub lines: Vec<DiffLine>,
    pub added: usize,
    pub removed: usize,
    pub scroll: usize,
    /// Where Esc goes back to.
    pub back: Pane,
}

impl DiffView {
    pub fn new(title: String, old: &str, new: &str, back: Pane) -> DiffView {
        let lines = diff_lines(old, new, CONTEXT);
        let count = |k| lines.iter().filter(|l| l.kind == k).count();
        DiffView {
            title,
            added: count(DiffKind::Added),
            removed: count(DiffKind::Removed),
            lines,
            scroll: 0,
            back,
        }
    }

    /// The first line of the next (or previous) hunk after (before) line `from`.
    pub fn hunk_from(&self, from: usize, forward: bool) -> Option<usize> {
        let hunks = self
            .lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == DiffKind::Hunk)
            .map(|(i, _)| i);
        if forward {
            hunks.into_iter().find(|&i| i > from)
        } else {
            hunks.into_iter().rev().find(|&i| i < from)
        }
    }
}

/// Texts compared line by line; a missing final newline is not a difference.
fn with_newline(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_empty() || s.ends_with('\n') {
        s.into()
    } else {
        format!("{s}\n").into()
    }
}

/// The unified diff of `old` and `new`: hunks with `context` lines around each change. Empty
/// when the texts are the same.
pub(crate) fn diff_lines(old: &str, new: &str, context: usize) -> Vec<DiffLine> {
    let (old, new) = (with_newline(old), with_newline(new));
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old.as_ref(), new.as_ref());
    let mut out = Vec::new();
    for group in diff.grouped_ops(context) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (o, n) = (first.old_range().start, first.new_range().start);
        let (olen, nlen) = (last.old_range().end - o, last.new_range().end - n);
        // Unified diff numbering: an empty range is named by the line before it.
        let start = |s: usize, len: usize| if len == 0 { s } else { s + 1 };
        out.push(DiffLine {
            kind: DiffKind::Hunk,
            old: None,
            new: None,
            text: format!(
                "@@ -{},{olen} +{},{nlen} @@",
                start(o, olen),
                start(n, nlen)
            ),
        });
        for op in &group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Equal => DiffKind::Context,
                    ChangeTag::Insert => DiffKind::Added,
                    ChangeTag::Delete => DiffKind::Removed,
                };
                out.push(DiffLine {
                    kind,
                    old: change.old_index().map(|i| i + 1),
                    new: change.new_index().map(|i| i + 1),
                    text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lines: &[DiffLine]) -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let sign = match l.kind {
                    DiffKind::Hunk => return l.text.clone(),
                    DiffKind::Context => ' ',
                    DiffKind::Added => '+',
                    DiffKind::Removed => '-',
                };
                format!("{sign}{}", l.text)
            })
            .collect()
    }

    #[test]
    fn unified_with_context_and_numbers() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj";
        let lines = diff_lines(old, new, 1);
        assert_eq!(
            render(&lines),
            vec![
                "@@ -3,3 +3,3 @@",
                " c",
                "-d",
                "+D",
                " e",
                "@@ -9,1 +9,2 @@",
                " i",
                "+j",
            ]
        );
        let d = lines
            .iter()
            .find(|l| l.kind == DiffKind::Removed)
            .expect("-");
        assert_eq!((d.old, d.new), (Some(4), None));
        let view = DiffView::new("t".into(), old, new, Pane::Text);
        assert_eq!((view.added, view.removed), (2, 1));
        assert_eq!(
            view.hunk_from(0, true),
            None,
            "one hunk with 3 lines of context"
        );
        let view = DiffView { lines, ..view };
        assert_eq!(view.hunk_from(0, true), Some(5));
        assert_eq!(view.hunk_from(5, false), Some(0));
        assert_eq!(view.hunk_from(5, true), None);
    }

    #[test]
    fn same_text_and_final_newline_make_no_diff() {
        assert!(diff_lines("x\ny", "x\ny\n", 3).is_empty());
        assert!(diff_lines("", "", 3).is_empty());
        assert_eq!(
            render(&diff_lines("", "new", 3)),
            vec!["@@ -0,0 +1,1 @@", "+new"]
        );
    }
}
