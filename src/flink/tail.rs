//! A bounded tail of a byte stream: keeps only the last `max` bytes however much arrives.

use std::collections::VecDeque;

use crate::domain::LogTail;

/// Collects a stream chunk by chunk, keeping at most `max` bytes in memory.
#[derive(Debug)]
pub struct TailBuffer {
    max: usize,
    buf: VecDeque<u8>,
    total: u64,
}

impl TailBuffer {
    pub fn new(max: usize) -> Self {
        TailBuffer {
            max,
            buf: VecDeque::with_capacity(max.min(1 << 20)),
            total: 0,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) {
        self.total += chunk.len() as u64;
        if self.max == 0 {
            return;
        }
        if chunk.len() >= self.max {
            self.buf.clear();
            self.buf.extend(&chunk[chunk.len() - self.max..]);
            return;
        }
        let overflow = (self.buf.len() + chunk.len()).saturating_sub(self.max);
        if overflow > 0 {
            self.buf.drain(..overflow);
        }
        self.buf.extend(chunk);
    }

    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// The kept bytes as text. When the beginning was dropped, the text starts after the first
    /// `'\n'` so it never begins in the middle of a line (or a UTF-8 sequence); a tail without any
    /// newline is kept whole. Invalid UTF-8 is replaced.
    pub fn finish(mut self) -> LogTail {
        let truncated = self.total > self.buf.len() as u64;
        let bytes = self.buf.make_contiguous();
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
            total_bytes: self.total,
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
                assert!(tb.buf.len() <= max, "buffer must stay bounded");
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
