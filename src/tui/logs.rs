//! The logs tab: file list, the latest tail of one file (only one is kept), a line index, search
//! and wrapping. Rendering works on the visible lines only.

use std::cell::Cell;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::domain::{LogFileRef, LogMatch, LogName, LogSource, LogTail, LogWindow};

use super::detail::Load;

/// The tail of one file (or a window of it around a search match) with the byte offset of each
/// line.
#[derive(Debug, Clone)]
pub(crate) struct LogText {
    pub file: LogFileRef,
    pub tail: LogTail,
    starts: Vec<usize>,
    /// Byte offset of the text's start in the file (for a tail: its size less the text's).
    pub start_offset: u64,
    /// For a window: the line number (0-based) of its first line.
    pub first_line: Option<u64>,
}

impl LogText {
    /// A window of the file around a search match.
    pub fn window(file: LogFileRef, w: LogWindow) -> Self {
        let mut t = LogText::new(
            file,
            LogTail {
                total_bytes: w.scanned,
                truncated: true,
                text: w.text,
                archived_at_ms: None,
            },
        );
        t.start_offset = w.start_offset;
        t.first_line = Some(w.first_line);
        t
    }

    /// The line of this text that starts at (or holds) byte `offset` of the file.
    pub fn line_at_offset(&self, offset: u64) -> Option<usize> {
        let rel = usize::try_from(offset.checked_sub(self.start_offset)?).ok()?;
        if rel >= self.tail.text.len() || self.starts.is_empty() {
            return None;
        }
        Some(match self.starts.binary_search(&rel) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        })
    }

    /// Byte offset in the file of line `i`'s start (the text's end past the last line).
    pub fn line_offset(&self, i: usize) -> u64 {
        self.start_offset + self.starts.get(i).copied().unwrap_or(self.tail.text.len()) as u64
    }

    /// The number shown in the gutter for line `i` (1-based; absolute in a window).
    pub fn line_number(&self, i: usize) -> u64 {
        self.first_line.unwrap_or(0) + i as u64 + 1
    }

    pub fn new(file: LogFileRef, tail: LogTail) -> Self {
        let mut starts = vec![0];
        for (i, b) in tail.text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        // A final newline ends the last line; it does not start an empty one.
        if starts.len() > 1 && *starts.last().unwrap_or(&0) == tail.text.len() {
            starts.pop();
        }
        if tail.text.is_empty() {
            starts.clear();
        }
        let start_offset = tail.total_bytes.saturating_sub(tail.text.len() as u64);
        LogText {
            file,
            tail,
            starts,
            start_offset,
            first_line: None,
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Line `i` without its newline.
    pub fn line(&self, i: usize) -> &str {
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self
            .starts
            .get(i + 1)
            .map(|e| e.saturating_sub(1))
            .unwrap_or(self.tail.text.len());
        let line = self.tail.text.get(start..end.max(start)).unwrap_or("");
        line.strip_suffix('\n').unwrap_or(line)
    }

    /// Indexes of the lines that contain `needle` (ASCII case-insensitive).
    pub fn search(&self, needle: &str) -> Vec<usize> {
        if needle.is_empty() {
            return Vec::new();
        }
        let n = needle.to_ascii_lowercase();
        (0..self.line_count())
            .filter(|&i| find_ci(self.line(i), &n, 0).is_some())
            .collect()
    }
}

/// Byte offset of the first match of `needle_lower` (already ASCII-lowercased) in `hay` at or
/// after `from`, ignoring ASCII case. Matches start and end on character boundaries because the
/// needle is valid UTF-8.
pub(crate) fn find_ci(hay: &str, needle_lower: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle_lower.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| {
        h[i..i + n.len()]
            .iter()
            .zip(n)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// Every match range of `needle` in one line.
pub(crate) fn match_ranges(line: &str, needle: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if needle.is_empty() {
        return out;
    }
    let n = needle.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = find_ci(line, &n, from) {
        out.push((i, i + n.len()));
        from = i + n.len();
    }
    out
}

/// The characters of a log line as the view draws them, with their byte offsets: terminal escape
/// sequences (CSI such as colours and cursor moves, OSC such as window titles, two-character
/// escapes, and the 8-bit CSI) are skipped whole, so nothing from a log ever drives the terminal.
/// Other control characters are left to `char_width`, which gives them no width (never drawn).
pub(crate) struct Visible<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

pub(crate) fn visible(line: &str) -> Visible<'_> {
    Visible {
        chars: line.char_indices().peekable(),
    }
}

impl Visible<'_> {
    /// Skips a CSI's parameter and intermediate bytes and its final byte.
    fn skip_csi(&mut self) {
        while let Some(&(_, c)) = self.chars.peek() {
            match c {
                '\u{30}'..='\u{3f}' | '\u{20}'..='\u{2f}' => {
                    self.chars.next();
                }
                '\u{40}'..='\u{7e}' => {
                    self.chars.next();
                    return;
                }
                // Anything else ends a malformed sequence; it is drawn (or dropped) itself.
                _ => return,
            }
        }
    }

    /// Skips an OSC's text up to BEL or ST (ESC \\).
    fn skip_osc(&mut self) {
        while let Some((_, c)) = self.chars.next() {
            match c {
                '\u{7}' | '\u{9c}' => return,
                '\u{1b}' => {
                    if self.chars.peek().is_some_and(|&(_, c)| c == '\\') {
                        self.chars.next();
                    }
                    return;
                }
                _ => {}
            }
        }
    }
}

impl Iterator for Visible<'_> {
    type Item = (usize, char);

    fn next(&mut self) -> Option<(usize, char)> {
        loop {
            let (i, c) = self.chars.next()?;
            match c {
                '\u{1b}' => match self.chars.peek().map(|&(_, c)| c) {
                    Some('[') => {
                        self.chars.next();
                        self.skip_csi();
                    }
                    Some(']') => {
                        self.chars.next();
                        self.skip_osc();
                    }
                    Some('\u{20}'..='\u{2f}') => {
                        // nF: intermediates, then one final character.
                        while self
                            .chars
                            .peek()
                            .is_some_and(|&(_, c)| ('\u{20}'..='\u{2f}').contains(&c))
                        {
                            self.chars.next();
                        }
                        if self
                            .chars
                            .peek()
                            .is_some_and(|&(_, c)| ('\u{30}'..='\u{7e}').contains(&c))
                        {
                            self.chars.next();
                        }
                    }
                    Some('\u{30}'..='\u{7e}') => {
                        self.chars.next();
                    }
                    _ => {}
                },
                '\u{9b}' => self.skip_csi(),
                '\u{9d}' => self.skip_osc(),
                _ => return Some((i, c)),
            }
        }
    }
}

/// Display width of one character as the log view draws it (tabs become 4 spaces, other control
/// characters are dropped).
fn char_width(c: char) -> usize {
    if c == '\t' {
        4
    } else if c.is_control() {
        0
    } else if c.is_ascii() {
        1
    } else {
        let mut b = [0u8; 4];
        Span::raw(&*c.encode_utf8(&mut b)).width()
    }
}

/// How many screen rows `line` takes at `width` with wrapping, capped at `cap`.
pub(crate) fn wrapped_rows(line: &str, width: usize, cap: usize) -> usize {
    if width == 0 {
        return 1;
    }
    let mut rows = 1;
    let mut col = 0;
    for (_, c) in visible(line) {
        let w = char_width(c);
        if w == 0 {
            continue;
        }
        if col + w > width && col > 0 {
            rows += 1;
            col = 0;
            if rows >= cap {
                return cap;
            }
        }
        col += w;
    }
    rows
}

/// The screen rows of one line: controls replaced, matches styled, cut (or wrapped) at `width`,
/// at most `max_rows` rows.
pub(crate) fn render_line(
    line: &str,
    matches: &[(usize, usize)],
    base: Style,
    hl: Style,
    width: usize,
    wrap: bool,
    max_rows: usize,
) -> Vec<Line<'static>> {
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_style = base;
    let mut col = 0usize;
    if width == 0 || max_rows == 0 {
        return rows;
    }
    let flush = |run: &mut String, style: Style, spans: &mut Vec<Span<'static>>| {
        if !run.is_empty() {
            spans.push(Span::styled(std::mem::take(run), style));
        }
    };
    // Matches are sorted and disjoint: walk them alongside the characters (a 1 MB line with a
    // match every few bytes stays linear).
    let mut m = 0;
    for (i, c) in visible(line) {
        let w = char_width(c);
        if w == 0 {
            continue;
        }
        while matches.get(m).is_some_and(|(_, e)| *e <= i) {
            m += 1;
        }
        let style = if matches.get(m).is_some_and(|(s, e)| i >= *s && i < *e) {
            hl
        } else {
            base
        };
        if col + w > width {
            if !wrap {
                break;
            }
            flush(&mut run, run_style, &mut spans);
            rows.push(Line::from(std::mem::take(&mut spans)));
            col = 0;
            if rows.len() >= max_rows {
                return rows;
            }
        }
        if style != run_style {
            flush(&mut run, run_style, &mut spans);
            run_style = style;
        }
        if c == '\t' {
            run.push_str("    ");
        } else {
            run.push(c);
        }
        col += w;
    }
    flush(&mut run, run_style, &mut spans);
    rows.push(Line::from(spans));
    rows
}

/// A search over the whole file (streamed through by a worker), for files larger than the tail.
#[derive(Debug, Default)]
pub(crate) struct DeepSearch {
    /// The search's request id; 0 = none.
    pub request: u64,
    pub pattern: String,
    pub matches: Vec<LogMatch>,
    pub scanned: u64,
    /// `(lines, matching lines, capped)` once the whole file was read.
    pub done: Option<(u64, u64, bool)>,
    pub error: Option<String>,
    /// Index into `matches` of the match jumped to last.
    pub current: Option<usize>,
    /// The window load in flight for a jump, and the match it is for.
    pub jump: Option<(u64, LogMatch)>,
}

/// Whole-file matches the viewer keeps at most (the worker stops reporting there as well).
pub(crate) const MAX_DEEP_MATCHES: usize = 10_000;

impl DeepSearch {
    pub fn active_for(&self, query: &str) -> bool {
        self.request != 0 && self.pattern == query
    }
}

/// Which pane of the logs tab has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFocus {
    List,
    Content,
}

/// The logs tab.
#[derive(Debug)]
pub(crate) struct LogsState {
    pub list: Load<Vec<LogFileRef>>,
    pub list_sel: usize,
    pub list_offset: Cell<usize>,
    pub focus: LogFocus,
    /// The file chosen (requested) last.
    pub file: Option<LogFileRef>,
    pub content: Load<LogText>,
    pub follow: bool,
    pub wrap: bool,
    /// First line shown; `None` = pinned to the end (the tail is shown first).
    pub scroll: Option<usize>,
    pub query: String,
    pub typing: bool,
    /// Lines with a match.
    pub matches: Vec<usize>,
    /// Index into `matches` of the current match.
    pub current: Option<usize>,
    pub deep: DeepSearch,
}

impl Default for LogsState {
    fn default() -> Self {
        LogsState {
            list: Load::default(),
            list_sel: 0,
            list_offset: Cell::new(0),
            focus: LogFocus::List,
            file: None,
            content: Load::default(),
            follow: false,
            wrap: false,
            scroll: None,
            query: String::new(),
            typing: false,
            matches: Vec::new(),
            current: None,
            deep: DeepSearch::default(),
        }
    }
}

impl LogsState {
    pub fn files(&self) -> &[LogFileRef] {
        self.list.data.as_deref().unwrap_or(&[])
    }

    pub fn rerun_search(&mut self) {
        self.matches = match &self.content.data {
            Some(t) => t.search(&self.query),
            None => Vec::new(),
        };
        self.current = match self.current {
            Some(c) if c < self.matches.len() => Some(c),
            _ => None,
        };
    }
}

/// JobManager first (log, stdout, other files), then each TaskManager the same way, then the
/// pods' containers (log, then the previous instance).
pub(crate) fn sort_files(files: &mut [LogFileRef]) {
    files.sort_by(|a, b| {
        let src = |f: &LogFileRef| match &f.source {
            LogSource::JobManager => (0, String::new(), String::new()),
            LogSource::TaskManager(id) => (1, id.clone(), String::new()),
            LogSource::Pod { pod, container } => (2, pod.clone(), container.clone()),
        };
        let name = |f: &LogFileRef| match &f.name {
            LogName::Log => (0, String::new()),
            LogName::Stdout => (1, String::new()),
            LogName::Previous => (2, String::new()),
            LogName::Archived => (3, String::new()),
            LogName::File(n) => (4, n.clone()),
        };
        src(a).cmp(&src(b)).then_with(|| name(a).cmp(&name(b)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> LogText {
        LogText::new(
            LogFileRef {
                source: LogSource::JobManager,
                name: LogName::Log,
                size: None,
                mtime: None,
            },
            LogTail {
                text: s.into(),
                total_bytes: s.len() as u64,
                truncated: false,
                archived_at_ms: None,
            },
        )
    }

    #[test]
    fn lines_and_search() {
        let t = text("a ERROR x\nb\nc error\n");
        assert_eq!(t.line_count(), 3);
        assert_eq!(t.line(2), "c error");
        assert_eq!(t.search("Error"), vec![0, 2]);
        assert_eq!(match_ranges("eRRor error", "error"), vec![(0, 5), (6, 11)]);
        assert_eq!(text("").line_count(), 0);
        assert_eq!(text("x").line_count(), 1);
        assert_eq!(find_ci("é-ÉRROR", "érror", 0), None);
    }

    fn shown(line: &str) -> String {
        visible(line).map(|(_, c)| c).collect()
    }

    #[test]
    fn escape_sequences_are_skipped_whole() {
        assert_eq!(shown("\x1b[31mERROR\x1b[0m done"), "ERROR done");
        assert_eq!(shown("a\x1b[?1049lb\x1b[2J\x1b[Hc"), "abc");
        assert_eq!(shown("\x1b]0;title\x07x\x1b]8;;http://a\x1b\\y"), "xy");
        assert_eq!(shown("\x1b(Bz\x1b7w"), "zw");
        assert_eq!(shown("\u{9b}1;2Hq"), "q");
        // A lone or cut ESC is dropped by the width rule (control), never drawn.
        assert_eq!(shown("x\x1b"), "x");
        assert_eq!(shown("x\x1b["), "x");
        let rows = render_line(
            "\x1b[1mbold\x1b[0m",
            &match_ranges("\x1b[1mbold\x1b[0m", "old"),
            Style::default(),
            Style::default(),
            80,
            false,
            1,
        );
        let text: String = rows[0].spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "bold");
        assert_eq!(wrapped_rows("\x1b[31m1234\x1b[0m", 4, 10), 1);
    }

    #[test]
    fn a_1mb_line_full_of_matches_renders_quickly() {
        let line = "a".repeat(1 << 20);
        let ranges = match_ranges(&line, "a");
        assert_eq!(ranges.len(), 1 << 20);
        let start = std::time::Instant::now();
        let rows = render_line(
            &line,
            &ranges,
            Style::default(),
            Style::default(),
            200,
            true,
            60,
        );
        assert_eq!(rows.len(), 60);
        assert_eq!(wrapped_rows(&line, 200, 1000), 1000);
        // Linear: far below a second even in a debug build (quadratic took minutes).
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn wrapping_counts_rows() {
        assert_eq!(wrapped_rows("abcdef", 4, 10), 2);
        assert_eq!(wrapped_rows("", 4, 10), 1);
        assert_eq!(wrapped_rows("\tx", 4, 10), 2);
        let rows = render_line(
            "abcdef",
            &[],
            Style::default(),
            Style::default(),
            4,
            true,
            10,
        );
        assert_eq!(rows.len(), 2);
    }
}
