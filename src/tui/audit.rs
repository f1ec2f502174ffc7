//! The audit trail view's state: the loaded entries (newest first), the load in flight and the
//! selection.

use std::cell::Cell;

use crate::domain::AuditEntry;

use super::detail::{step, Load};

/// How many entries the view asks for.
pub(crate) const AUDIT_LIMIT: usize = 500;

#[derive(Debug, Clone, Default)]
pub(crate) struct AuditState {
    pub load: Load<Vec<AuditEntry>>,
    /// Index of the selected entry (0 = newest).
    pub selected: usize,
    /// First visible row (kept by `draw` so the table scrolls as little as possible).
    pub offset: Cell<usize>,
}

impl AuditState {
    pub fn entries(&self) -> &[AuditEntry] {
        self.load.data.as_deref().unwrap_or(&[])
    }

    pub fn selected_entry(&self) -> Option<&AuditEntry> {
        self.entries().get(self.selected)
    }

    /// Takes a reply: keeps the selection on the same entry (by id) when it is still listed,
    /// else clamps it.
    pub fn finish(&mut self, result: Result<Vec<AuditEntry>, String>) {
        let keep = self.selected_entry().map(|e| e.id);
        self.load.finish(result);
        let entries = self.entries();
        self.selected = keep
            .and_then(|id| entries.iter().position(|e| e.id == id))
            .unwrap_or(self.selected)
            .min(entries.len().saturating_sub(1));
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        self.selected = step(self.selected, delta, self.entries().len());
    }

    pub fn select_at(&mut self, idx: usize) {
        self.selected = idx.min(self.entries().len().saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64) -> AuditEntry {
        AuditEntry {
            id,
            at: id * 1000,
            user: "ops".into(),
            ssh_origin: None,
            app: None,
            cluster: None,
            action: "stop".into(),
            params: "{}".into(),
            result: "ok".into(),
            ok: true,
        }
    }

    #[test]
    fn selection_follows_the_entry_across_reloads() {
        let mut a = AuditState::default();
        a.load.start(1, 0);
        a.finish(Ok(vec![entry(3), entry(2), entry(1)]));
        a.move_by(1);
        assert_eq!(a.selected_entry().map(|e| e.id), Some(2));
        // A new entry on top: the selection stays on entry 2.
        a.load.start(2, 0);
        a.finish(Ok(vec![entry(4), entry(3), entry(2), entry(1)]));
        assert_eq!(a.selected_entry().map(|e| e.id), Some(2));
        // A failed reload keeps the entries.
        a.load.start(3, 0);
        a.finish(Err("store closed".into()));
        assert_eq!(a.entries().len(), 4);
        assert_eq!(a.load.error.as_deref(), Some("store closed"));
        a.select_at(usize::MAX);
        assert_eq!(a.selected, 3);
        a.move_by(-10);
        assert_eq!(a.selected, 0);
        a.load.start(4, 0);
        a.finish(Ok(vec![]));
        assert_eq!(a.selected, 0);
        assert!(a.selected_entry().is_none());
    }
}
