//! The text being edited: a tui-textarea `TextArea` (cursor, selection, undo history, yank,
//! search) with what the editor adds around it: the saved text (for the modified flag), undo of
//! whole-buffer replacements (restoring a version), and the highlighter's cache, told which
//! lines every change touched.

use std::cell::RefCell;

use tui_textarea::{CursorMove, TextArea};

use super::highlight::Highlighter;

/// Edits remembered for undo (tui-textarea keeps 50 by default).
const UNDO_EDITS: usize = 10_000;
/// Whole-buffer replacements remembered for undo.
const UNDO_REPLACEMENTS: usize = 20;

pub(crate) struct Buffer {
    ta: TextArea<'static>,
    /// Buffers replaced by [`Buffer::replace_all`]: undo returns to them once the current one
    /// has nothing left to undo.
    replaced: Vec<TextArea<'static>>,
    /// Buffers left by undoing a replacement (redo returns to them).
    undone: Vec<TextArea<'static>>,
    /// The lines of the saved version (the modified flag compares against them).
    saved: Vec<String>,
    /// Whether the saved script ended with a newline (kept when it is saved again).
    trailing_newline: bool,
    modified: bool,
    /// Counts changes of the text (a validation remembers which text it checked).
    generation: u64,
    pub hl: RefCell<Highlighter>,
}

fn new_textarea(lines: Vec<String>) -> TextArea<'static> {
    let mut ta = TextArea::new(lines);
    ta.set_max_histories(UNDO_EDITS);
    ta
}

/// The byte offset of character `col` of `line` (its length past the end).
pub(crate) fn byte_of(line: &str, col: usize) -> usize {
    line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

impl Buffer {
    pub fn new(text: &str) -> Buffer {
        let lines = split_lines(text);
        Buffer {
            ta: new_textarea(lines.clone()),
            replaced: Vec::new(),
            undone: Vec::new(),
            saved: lines,
            trailing_newline: text.ends_with('\n'),
            modified: false,
            generation: 0,
            hl: RefCell::new(Highlighter::default()),
        }
    }

    /// Replaces everything (text, history) by `text` as saved: loading an app.
    pub fn load(&mut self, text: &str) {
        *self = Buffer::new(text);
    }

    pub fn textarea(&self) -> &TextArea<'static> {
        &self.ta
    }

    pub fn lines(&self) -> &[String] {
        self.ta.lines()
    }

    /// `(row, col)`, col in characters.
    pub fn cursor(&self) -> (usize, usize) {
        self.ta.cursor()
    }

    pub fn modified(&self) -> bool {
        self.modified
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The script as it would be saved (a final newline when the loaded one had it).
    pub fn text(&self) -> String {
        let mut s = self.ta.lines().join("\n");
        if self.trailing_newline && !s.is_empty() {
            s.push('\n');
        }
        s
    }

    /// `text` was stored: it is the saved text from now on.
    pub fn mark_saved(&mut self, text: &str) {
        self.saved = split_lines(text);
        self.trailing_newline = text.ends_with('\n');
        self.modified = self.ta.lines() != self.saved.as_slice();
    }

    fn changed(&mut self, from_row: usize) {
        self.hl.borrow_mut().invalidate_from(from_row);
        self.generation += 1;
        self.modified = self.ta.lines() != self.saved.as_slice();
    }

    /// Runs an edit on the textarea; `f` returns whether the text changed. The lines from the
    /// first one the edit could touch (the cursor before and after, the selection) are
    /// highlighted again.
    pub fn edit(&mut self, f: impl FnOnce(&mut TextArea<'static>) -> bool) -> bool {
        let before = self.ta.cursor().0;
        let sel = self.ta.selection_range().map(|(s, _)| s.0);
        let changed = f(&mut self.ta);
        if changed {
            let row = before
                .min(self.ta.cursor().0)
                .min(sel.unwrap_or(usize::MAX));
            self.undone.clear();
            self.changed(row);
        }
        changed
    }

    /// Moves the cursor (extending the selection when one is active).
    pub fn motion(&mut self, m: CursorMove) {
        self.ta.move_cursor(m);
    }

    /// Moves the cursor to `(row, col)` (clamped to the text).
    pub fn goto(&mut self, row: usize, col: usize) {
        let jump_row = row.min(u16::MAX as usize) as u16;
        let jump_col = col.min(u16::MAX as usize) as u16;
        self.ta.move_cursor(CursorMove::Jump(jump_row, jump_col));
        // Beyond what a jump reaches: step down the rest.
        for _ in (u16::MAX as usize)..row.min(self.lines().len()) {
            self.ta.move_cursor(CursorMove::Down);
        }
    }

    pub fn start_selection(&mut self) {
        self.ta.start_selection();
    }

    pub fn cancel_selection(&mut self) {
        self.ta.cancel_selection();
    }

    /// Copies the selection into the yank buffer (and ends the selection).
    pub fn copy(&mut self) {
        self.ta.copy();
    }

    pub fn yank_text(&self) -> String {
        self.ta.yank_text()
    }

    pub fn set_yank_text(&mut self, text: impl Into<String>) {
        self.ta.set_yank_text(text);
    }

    pub fn undo(&mut self) -> bool {
        if self.ta.undo() {
            self.changed(0);
            return true;
        }
        match self.replaced.pop() {
            Some(prev) => {
                let cur = std::mem::replace(&mut self.ta, prev);
                self.undone.push(cur);
                self.changed(0);
                true
            }
            None => false,
        }
    }

    pub fn redo(&mut self) -> bool {
        if self.ta.redo() {
            self.changed(0);
            return true;
        }
        match self.undone.pop() {
            Some(next) => {
                let cur = std::mem::replace(&mut self.ta, next);
                self.replaced.push(cur);
                self.changed(0);
                true
            }
            None => false,
        }
    }

    /// Replaces the whole text (restoring a version) as one step that `undo` takes back. The
    /// cursor stays on its line when it can.
    pub fn replace_all(&mut self, text: &str) {
        let (row, col) = self.ta.cursor();
        let mut ta = new_textarea(split_lines(text));
        ta.set_yank_text(self.ta.yank_text());
        let old = std::mem::replace(&mut self.ta, ta);
        self.replaced.push(old);
        if self.replaced.len() > UNDO_REPLACEMENTS {
            self.replaced.remove(0);
        }
        self.undone.clear();
        self.goto(row, col);
        self.changed(0);
    }

    /// Sets the search pattern (a literal text; case-insensitive unless it has upper case);
    /// `false` when empty.
    pub fn set_search(&mut self, query: &str) -> bool {
        if query.is_empty() {
            let _ = self.ta.set_search_pattern("");
            return false;
        }
        let mut pattern = String::new();
        if !query.chars().any(char::is_uppercase) {
            pattern.push_str("(?i)");
        }
        for c in query.chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        self.ta.set_search_pattern(pattern).is_ok()
    }

    /// Moves to the next (or previous) match; `false` when there is none.
    pub fn search(&mut self, forward: bool, include_cursor: bool) -> bool {
        if forward {
            self.ta.search_forward(include_cursor)
        } else {
            self.ta.search_back(include_cursor)
        }
    }

    /// The byte ranges of the search matches in `line` (none without a search).
    pub fn matches(&self, line: &str) -> Vec<(usize, usize)> {
        match self.ta.search_pattern() {
            Some(re) => re.find_iter(line).map(|m| (m.start(), m.end())).collect(),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_follows_the_text_not_the_history() {
        let mut b = Buffer::new("SELECT 1;\n");
        assert!(!b.modified());
        assert!(b.edit(|t| {
            t.insert_char('x');
            true
        }));
        assert!(b.modified());
        assert_eq!(b.text(), "xSELECT 1;\n");
        assert!(b.undo());
        assert!(!b.modified(), "back to the saved text");
        assert_eq!(b.text(), "SELECT 1;\n");
        b.edit(|t| {
            t.insert_char('y');
            true
        });
        let text = b.text();
        b.mark_saved(&text);
        assert!(!b.modified());
    }

    #[test]
    fn replacing_everything_is_one_undo_step() {
        let mut b = Buffer::new("a\nb\nc");
        b.goto(1, 1);
        b.edit(|t| {
            t.insert_char('!');
            true
        });
        b.replace_all("x\ny");
        assert_eq!(b.lines(), ["x", "y"]);
        assert_eq!(b.cursor(), (1, 1), "the cursor stays on its line");
        assert!(b.undo());
        assert_eq!(b.lines(), ["a", "b!", "c"]);
        assert!(b.undo());
        assert_eq!(b.lines(), ["a", "b", "c"]);
        assert!(!b.undo());
        assert!(b.redo());
        assert!(b.redo());
        assert_eq!(b.lines(), ["x", "y"]);
        assert!(!b.redo());
        // A new edit after an undo drops what could be redone.
        b.undo();
        b.edit(|t| {
            t.insert_char('z');
            true
        });
        assert!(!b.redo());
    }

    #[test]
    fn literal_search_smart_case() {
        let mut b = Buffer::new("select a.b\nSELECT (x)\n");
        assert!(b.set_search("select"));
        assert_eq!(b.matches("SeLeCt"), vec![(0, 6)]);
        assert!(b.set_search("SELECT"));
        assert_eq!(b.matches("select"), vec![]);
        assert!(b.set_search("(x)"));
        assert_eq!(b.matches("SELECT (x)"), vec![(7, 10)]);
        assert!(b.set_search("a.b"));
        assert_eq!(b.matches("axb a.b"), vec![(4, 7)]);
        assert!(b.search(true, true));
        assert_eq!(b.cursor(), (0, 7));
        assert!(!b.set_search(""));
        assert_eq!(b.matches("a.b"), vec![]);
    }

    #[test]
    fn edits_invalidate_highlighting_from_the_touched_line() {
        let mut b = Buffer::new("/* a\nb\nc */\nSELECT 1");
        let lines = b.lines().to_vec();
        assert_eq!(
            b.hl.borrow_mut().state_at(&lines, 3),
            super::super::highlight::LexState::Normal
        );
        b.goto(2, 0);
        // Remove the comment's end: line 3 is now inside the comment.
        b.edit(|t| {
            t.move_cursor(CursorMove::End);
            t.delete_char();
            t.delete_char()
        });
        let lines = b.lines().to_vec();
        assert_eq!(
            b.hl.borrow_mut().state_at(&lines, 3),
            super::super::highlight::LexState::Comment
        );
    }
}
