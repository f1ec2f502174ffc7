//! A bounded tail of a byte stream: keeps only the last `max` bytes however much arrives. Also a
//! streaming line search ([`LogSearcher`]) and a window around an offset ([`WindowBuffer`]), both
//! bounded in memory whatever the file's size.

use std::collections::VecDeque;

use memchr::memmem;

use crate::domain::{LogMatch, LogTail, LogWindow};

/// Small pieces are gathered into blocks of this size before they join the kept chunks.
const BLOCK: usize = 64 * 1024;
/// Chunks at least this large are kept as they are, shared.
const SHARED_MIN: usize = 1024;

/// Collects a stream chunk by chunk, keeping at most `max` bytes in memory (plus up to two chunks
/// or 64 KiB blocks).
/// Large chunks are kept as they arrived (shared, not copied): a chunk is only dropped once the
/// newer ones hold `max` bytes, so a 1 GB stream costs no copy beyond the final tail.
#[derive(Debug)]
pub struct TailBuffer {
    max: usize,
    chunks: VecDeque<bytes::Bytes>,
    /// Recent small pieces, after every chunk in `chunks`.
    small: Vec<u8>,
    /// Bytes in `chunks` and `small`.
    kept: usize,
    total: u64,
}

impl TailBuffer {
    pub fn new(max: usize) -> Self {
        TailBuffer {
            max,
            chunks: VecDeque::new(),
            small: Vec::new(),
            kept: 0,
            total: 0,
        }
    }

    /// Takes a chunk by copying it (small pieces are gathered into blocks).
    pub fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        if self.max == 0 {
            return;
        }
        if chunk.len() >= self.max {
            self.chunks.clear();
            self.small.clear();
            self.chunks.push_back(bytes::Bytes::copy_from_slice(
                &chunk[chunk.len() - self.max..],
            ));
            self.kept = self.max;
            return;
        }
        if self.small.capacity() == 0 {
            self.small.reserve(BLOCK);
        }
        self.small.extend_from_slice(chunk);
        self.kept += chunk.len();
        if self.small.len() >= BLOCK {
            let block = bytes::Bytes::from(std::mem::take(&mut self.small));
            self.chunks.push_back(block);
        }
        self.trim();
    }

    /// Takes a chunk without copying it (the stream's own buffers).
    pub fn push_bytes(&mut self, chunk: bytes::Bytes) {
        // Tiny pieces are gathered (a deque of one-byte chunks would cost more than the bytes).
        if chunk.len() < SHARED_MIN {
            self.push(&chunk);
            return;
        }
        self.total += chunk.len() as u64;
        if self.max == 0 {
            return;
        }
        if chunk.len() >= self.max {
            self.chunks.clear();
            self.small.clear();
            self.chunks.push_back(chunk.slice(chunk.len() - self.max..));
            self.kept = self.max;
            return;
        }
        if !self.small.is_empty() {
            let block = bytes::Bytes::from(std::mem::take(&mut self.small));
            self.chunks.push_back(block);
        }
        self.kept += chunk.len();
        self.chunks.push_back(chunk);
        self.trim();
    }

    /// Drops the oldest chunks the newer ones make unneeded.
    fn trim(&mut self) {
        while let Some(front) = self.chunks.front() {
            if self.kept - front.len() >= self.max {
                self.kept -= front.len();
                self.chunks.pop_front();
            } else {
                break;
            }
        }
    }

    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.kept
    }

    /// The last `max` bytes and the total.
    fn into_kept(self) -> (Vec<u8>, u64) {
        let mut out = Vec::with_capacity(self.kept.min(self.max));
        let mut skip = self.kept.saturating_sub(self.max);
        for c in self.chunks.iter().map(|c| &c[..]).chain([&self.small[..]]) {
            let from = skip.min(c.len());
            skip -= from;
            out.extend_from_slice(&c[from..]);
        }
        (out, self.total)
    }

    /// The kept bytes as text. When the beginning was dropped, the text starts after the first
    /// `'\n'` so it never begins in the middle of a line (or a UTF-8 sequence); a tail without any
    /// newline is kept whole. Invalid UTF-8 is replaced.
    pub fn finish(self) -> LogTail {
        let (bytes, total) = self.into_kept();
        let truncated = total > bytes.len() as u64;
        let start = if truncated {
            bytes
                .iter()
                .position(|b| *b == b'\n')
                .map(|p| p + 1)
                .unwrap_or(0)
        } else {
            0
        };
        LogTail {
            text: String::from_utf8_lossy(&bytes[start..]).into_owned(),
            total_bytes: total,
            truncated,
            archived_at_ms: None,
        }
    }
}

/// Tails a whole byte slice (for tests and callers that already hold the data).
pub fn tail_of(data: &[u8], max: usize, chunk_size: usize) -> LogTail {
    let mut t = TailBuffer::new(max);
    for c in data.chunks(chunk_size.max(1)) {
        t.push(c);
    }
    t.finish()
}

/// Bytes of context kept around a match for its line's text.
const MATCH_CONTEXT: usize = 160;

/// Finds the lines of a byte stream that contain a pattern (ASCII case-insensitive), chunk by
/// chunk: memory is one lowercased chunk plus the matches kept (at most `max_matches`; the rest
/// are only counted). A match may straddle two chunks; the pattern never spans lines.
pub struct LogSearcher {
    finder: memmem::Finder<'static>,
    n: usize,
    /// The last `n - 1` bytes of the previous chunk (lowercased), then the current chunk.
    low: Vec<u8>,
    carry: usize,
    /// Absolute offset of the next chunk's first byte.
    offset: u64,
    /// Line number and start offset of the line that holds `offset`.
    line: u64,
    line_start: u64,
    last_matched_line: Option<u64>,
    found: Vec<LogMatch>,
    max_matches: usize,
    kept: usize,
    matching_lines: u64,
}

impl LogSearcher {
    /// `None` for a pattern that can match nothing (empty, or with a line break).
    pub fn new(pattern: &str, max_matches: usize) -> Option<LogSearcher> {
        if pattern.is_empty() || pattern.contains('\n') {
            return None;
        }
        let low = pattern.to_ascii_lowercase().into_bytes();
        Some(LogSearcher {
            n: low.len(),
            finder: memmem::Finder::new(&low).into_owned(),
            low: Vec::new(),
            carry: 0,
            offset: 0,
            line: 0,
            line_start: 0,
            last_matched_line: None,
            found: Vec::new(),
            max_matches,
            kept: 0,
            matching_lines: 0,
        })
    }

    pub fn push(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        // Keep the carry at the front, then the lowercased chunk.
        let keep_from = self.low.len() - self.carry;
        self.low.drain(..keep_from);
        let carry = self.carry;
        self.low.extend(chunk.iter().map(u8::to_ascii_lowercase));
        let base = self.offset - carry as u64;
        let mut newlines = memchr::memchr_iter(b'\n', &self.low[carry..])
            .map(|p| p + carry)
            .peekable();
        for m in self.finder.find_iter(&self.low) {
            while let Some(&p) = newlines.peek() {
                if p >= m {
                    break;
                }
                self.line += 1;
                self.line_start = base + p as u64 + 1;
                newlines.next();
            }
            if self.last_matched_line == Some(self.line) {
                continue;
            }
            self.last_matched_line = Some(self.line);
            self.matching_lines += 1;
            if self.kept >= self.max_matches {
                continue;
            }
            self.kept += 1;
            // Context from the original bytes of this chunk (a match starting in the carry
            // shows from the chunk's start).
            let at = m.saturating_sub(carry);
            let line_from = (self.line_start.saturating_sub(self.offset)) as usize;
            let from = at.saturating_sub(MATCH_CONTEXT / 2).max(line_from.min(at));
            let to_max = (at + self.n + MATCH_CONTEXT).min(chunk.len());
            let to = memchr::memchr(b'\n', &chunk[at.min(to_max)..to_max])
                .map(|p| at.min(to_max) + p)
                .unwrap_or(to_max);
            let text = String::from_utf8_lossy(&chunk[from.min(to)..to])
                .trim_end_matches('\r')
                .to_string();
            self.found.push(LogMatch {
                line: self.line,
                offset: self.line_start,
                text,
            });
        }
        for p in newlines {
            self.line += 1;
            self.line_start = base + p as u64 + 1;
        }
        self.offset += chunk.len() as u64;
        self.carry = (self.n - 1).min(self.low.len());
    }

    /// The matches found since the last call.
    pub fn take_found(&mut self) -> Vec<LogMatch> {
        std::mem::take(&mut self.found)
    }

    pub fn scanned(&self) -> u64 {
        self.offset
    }

    /// Lines seen: a last line without a newline counts.
    pub fn lines(&self) -> u64 {
        self.line + u64::from(self.line_start < self.offset)
    }

    pub fn matching_lines(&self) -> u64 {
        self.matching_lines
    }

    /// Whether more lines matched than were kept.
    pub fn capped(&self) -> bool {
        self.matching_lines > self.kept as u64
    }
}

/// Collects the lines around byte `offset` of a stream: at most `before` bytes before it (cut at
/// a line start) and `after` bytes from it (cut at a line end unless the stream ends).
pub struct WindowBuffer {
    offset: u64,
    line: u64,
    before: TailBuffer,
    after: Vec<u8>,
    after_max: usize,
    seen: u64,
}

impl WindowBuffer {
    /// `offset` is the start of line `line` (0-based).
    pub fn new(offset: u64, line: u64, max_bytes: usize) -> WindowBuffer {
        let before = max_bytes / 3;
        WindowBuffer {
            offset,
            line,
            before: TailBuffer::new(before),
            after: Vec::new(),
            after_max: max_bytes - before,
            seen: 0,
        }
    }

    /// Takes the next chunk; `true` once the window is complete (stop reading).
    pub fn push(&mut self, chunk: &[u8]) -> bool {
        let mut chunk = chunk;
        if self.seen < self.offset {
            let take = ((self.offset - self.seen) as usize).min(chunk.len());
            self.before.push(&chunk[..take]);
            self.seen += take as u64;
            chunk = &chunk[take..];
        }
        let room = self.after_max - self.after.len();
        let take = room.min(chunk.len());
        self.after.extend_from_slice(&chunk[..take]);
        self.seen += take as u64;
        self.after.len() >= self.after_max
    }

    /// The window; `at_end` when the stream ended before the window was full.
    pub fn finish(self, at_end: bool) -> LogWindow {
        let (before_bytes, before_total) = self.before.into_kept();
        let before_len = before_bytes.len();
        let truncated_before = before_total > before_len as u64;
        // Start at a line start: after the first newline when the beginning was dropped.
        let start = if truncated_before {
            before_bytes
                .iter()
                .position(|b| *b == b'\n')
                .map(|p| p + 1)
                .unwrap_or(before_len)
        } else {
            0
        };
        let before = &before_bytes[start..];
        let newlines_before = memchr::memchr_iter(b'\n', before).count() as u64;
        let mut after = &self.after[..];
        if !at_end {
            if let Some(p) = memchr::memrchr(b'\n', after) {
                after = &after[..=p];
            }
        }
        let mut bytes = Vec::with_capacity(before.len() + after.len());
        bytes.extend_from_slice(before);
        bytes.extend_from_slice(after);
        LogWindow {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            start_offset: self.offset.min(before_total) - before.len() as u64,
            first_line: self.line.saturating_sub(newlines_before),
            scanned: self.seen,
            at_end,
        }
    }
}

/// Searches a whole byte slice chunk by chunk (tests, benches).
pub fn search_in(data: &[u8], pattern: &str, chunk_size: usize, max: usize) -> Vec<LogMatch> {
    let Some(mut s) = LogSearcher::new(pattern, max) else {
        return Vec::new();
    };
    for c in data.chunks(chunk_size.max(1)) {
        s.push(c);
    }
    s.take_found()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_log(lines: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..lines {
            out.extend_from_slice(format!("2026-01-01 INFO line {i:08} some text é\n").as_bytes());
        }
        out
    }

    #[test]
    fn small_input_is_kept_whole() {
        let t = tail_of(b"a\nb\nc", 100, 2);
        assert_eq!(t.text, "a\nb\nc");
        assert_eq!(t.total_bytes, 5);
        assert!(!t.truncated);
    }

    #[test]
    fn big_input_is_bounded_and_cut_at_a_line_start() {
        let data = big_log(200_000); // ~9 MB
        let max = 64 * 1024;
        for chunk in [1usize, 7, 4096, 100_000, data.len()] {
            if chunk == 1 && data.len() > 2_000_000 {
                // Byte-by-byte over 9 MB is slow in debug builds; use a prefix-free slice.
                let small = &data[data.len() - 300_000..];
                let t = tail_of(small, max, 1);
                assert!(t.text.len() <= max);
                assert!(t.text.starts_with("2026-01-01 INFO line "));
                continue;
            }
            let mut tb = TailBuffer::new(max);
            for c in data.chunks(chunk) {
                tb.push(c);
                assert!(
                    tb.held() <= max + 2 * chunk.max(BLOCK),
                    "buffer must stay bounded"
                );
            }
            let t = tb.finish();
            assert!(t.truncated);
            assert_eq!(t.total_bytes, data.len() as u64);
            assert!(t.text.len() <= max);
            assert!(
                t.text.len() > max - 100,
                "only the partial first line is cut"
            );
            assert!(t.text.starts_with("2026-01-01 INFO line "), "chunk {chunk}");
            assert!(t.text.ends_with("line 00199999 some text é\n"));
            assert!(!t.text.contains('\u{FFFD}'));
        }
    }

    #[test]
    fn search_finds_every_matching_line_at_any_chunk_size() {
        let data = big_log(5_000);
        let line_len = data.iter().position(|b| *b == b'\n').unwrap() as u64 + 1;
        for chunk in [1usize, 3, 7, 64, 4096, data.len()] {
            let found = search_in(&data, "LINE 000012", chunk, 1000);
            assert_eq!(found.len(), 100, "chunk {chunk}");
            assert_eq!(found[0].line, 1200);
            assert_eq!(found[0].offset, 1200 * line_len);
            assert_eq!(found[99].line, 1299);
            if chunk >= 64 {
                assert!(found[0].text.contains("line 00001200"), "{:?}", found[0]);
            }
        }
        // One report per line; the cap keeps counting.
        let mut s = LogSearcher::new("i", 10).unwrap();
        s.push(&data);
        assert_eq!(s.take_found().len(), 10);
        assert_eq!(s.matching_lines(), 5_000);
        assert!(s.capped());
        assert_eq!(s.lines(), 5_000);
        assert!(LogSearcher::new("", 1).is_none());
        let mut s = LogSearcher::new("x", 1).unwrap();
        s.push(b"a\nb");
        assert_eq!(s.lines(), 2);
    }

    #[test]
    fn search_handles_invalid_utf8_and_long_lines() {
        let mut data = vec![0xffu8; 3];
        data.extend(vec![b'a'; 2_000_000]);
        data.extend_from_slice(b"NeedLE\xc3\nnext needle\n");
        let found = search_in(&data, "needle", 8192, 10);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].line, found[0].offset), (0, 0));
        assert!(found[0].text.len() < 400);
        assert_eq!(found[1].line, 1);
        assert_eq!(found[1].text, "next needle");
    }

    #[test]
    fn window_around_an_offset() {
        let data = big_log(10_000);
        let line_len = data.iter().position(|b| *b == b'\n').unwrap() + 1;
        let at = 5_000 * line_len;
        for chunk in [1000usize, 65536] {
            let mut w = WindowBuffer::new(at as u64, 5_000, 30 * line_len);
            let mut done = false;
            for c in data.chunks(chunk) {
                if w.push(c) {
                    done = true;
                    break;
                }
            }
            assert!(done);
            let win = w.finish(false);
            assert_eq!(win.first_line, 5_000 - 9);
            assert_eq!(win.start_offset, (at - 9 * line_len) as u64);
            assert!(win.text.starts_with("2026-01-01 INFO line 00004991"));
            assert!(
                win.text.ends_with("line 00005019 some text é\n"),
                "{}",
                win.text
            );
        }
        // Near the start and past the end.
        let mut w = WindowBuffer::new(line_len as u64, 1, 1 << 20);
        assert!(!w.push(&data[..10 * line_len]));
        let win = w.finish(true);
        assert_eq!((win.first_line, win.start_offset), (0, 0));
        assert_eq!(win.text.lines().count(), 10);
        assert!(win.at_end);
    }

    #[test]
    fn shared_chunks_give_the_same_tail() {
        let data = big_log(50_000);
        for chunk in [100usize, 70_000, 300_000] {
            for max in [1000usize, 100_000, 1 << 20] {
                let mut a = TailBuffer::new(max);
                let mut b = TailBuffer::new(max);
                for c in data.chunks(chunk) {
                    a.push(c);
                    b.push_bytes(bytes::Bytes::copy_from_slice(c));
                    assert!(b.held() <= max + 2 * chunk.max(BLOCK));
                }
                let (a, b) = (a.finish(), b.finish());
                assert_eq!(a, b, "chunk {chunk} max {max}");
                assert!(b.text.len() <= max);
                assert!(b.text.ends_with("line 00049999 some text é\n"));
            }
        }
    }

    #[test]
    fn tail_without_newline_is_kept_and_lossy() {
        let mut data = vec![b'x'; 10_000];
        data.extend_from_slice("é".as_bytes());
        let t = tail_of(&data, 1, 100);
        assert!(t.truncated);
        // The last byte of "é" alone is not valid UTF-8.
        assert_eq!(t.text, "\u{FFFD}");
        let t = tail_of(&data, 0, 100);
        assert_eq!(t.text, "");
        assert_eq!(t.total_bytes, 10_002);
    }
}
