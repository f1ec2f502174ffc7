//! The job detail screen's state: tabs, one `Load` per data source (with its request in flight,
//! its last data and its last error), and per-tab selection.

use std::cell::Cell;

use crate::domain::{
    CheckpointEntry, CheckpointKind, CheckpointStats, CheckpointStatus, ExceptionEntry, JobDetail,
    JobExceptions, JobKey,
};

use super::logs::LogsState;
use super::pods::PodsTab;

/// One thing loaded on demand: the last data (kept when a reload fails), the request in flight
/// (replies with another id are dropped), and the last error.
#[derive(Debug, Clone)]
pub(crate) struct Load<T> {
    pub data: Option<T>,
    pub in_flight: Option<u64>,
    /// When the last request was sent (epoch ms).
    pub sent_at: Option<i64>,
    pub error: Option<String>,
}

impl<T> Default for Load<T> {
    fn default() -> Self {
        Load {
            data: None,
            in_flight: None,
            sent_at: None,
            error: None,
        }
    }
}

/// A request with no answer after this long is taken as lost (the request channel may have
/// dropped it) and may be sent again.
pub(crate) fn lost_after_ms(refresh_ms: i64) -> i64 {
    (refresh_ms.saturating_mul(4)).max(30_000)
}

impl<T> Load<T> {
    pub fn start(&mut self, request: u64, now_ms: i64) {
        self.in_flight = Some(request);
        self.sent_at = Some(now_ms);
    }

    pub fn accepts(&self, request: u64) -> bool {
        self.in_flight == Some(request)
    }

    pub fn finish(&mut self, result: Result<T, String>) {
        self.in_flight = None;
        match result {
            Ok(v) => {
                self.data = Some(v);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub fn loading(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Whether a (re)load should be sent now: never requested, or the last answer is older than
    /// the refresh period and nothing is in flight (or what is in flight looks lost).
    pub fn due(&self, now_ms: i64, refresh_ms: i64) -> bool {
        match (self.in_flight, self.sent_at) {
            (_, None) => true,
            (None, Some(t)) => now_ms - t >= refresh_ms,
            (Some(_), Some(t)) => now_ms - t >= lost_after_ms(refresh_ms),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tab {
    Overview,
    Checkpoints,
    Exceptions,
    /// Only for clusters on a platform (Kubernetes): their pods.
    Pods,
    Logs,
}

impl Tab {
    /// The tabs of a job on a cluster without a platform (standalone).
    pub const ALL: [Tab; 4] = [Tab::Overview, Tab::Checkpoints, Tab::Exceptions, Tab::Logs];
    /// The tabs of a job on a cluster with a platform: the pods come right before the logs.
    pub const WITH_PODS: [Tab; 5] = [
        Tab::Overview,
        Tab::Checkpoints,
        Tab::Exceptions,
        Tab::Pods,
        Tab::Logs,
    ];

    pub fn list(with_pods: bool) -> &'static [Tab] {
        if with_pods {
            &Self::WITH_PODS
        } else {
            &Self::ALL
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Checkpoints => "Checkpoints",
            Tab::Exceptions => "Exceptions",
            Tab::Pods => "Pods",
            Tab::Logs => "Logs",
        }
    }

    pub fn index(self, with_pods: bool) -> usize {
        Self::list(with_pods)
            .iter()
            .position(|t| *t == self)
            .unwrap_or(0)
    }

    pub fn next(self, with_pods: bool) -> Tab {
        let list = Self::list(with_pods);
        list[(self.index(with_pods) + 1) % list.len()]
    }

    pub fn prev(self, with_pods: bool) -> Tab {
        let list = Self::list(with_pods);
        list[(self.index(with_pods) + list.len() - 1) % list.len()]
    }
}

/// The checkpoints tab's data: the live statistics plus the history merged with what the store
/// kept (deduplicated by id + kind, newest first).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckpointsData {
    pub stats: CheckpointStats,
    pub history: Vec<CheckpointEntry>,
}

impl CheckpointsData {
    pub fn new(stats: CheckpointStats, stored: Vec<CheckpointEntry>) -> Self {
        let mut history: Vec<CheckpointEntry> = Vec::new();
        let live = stats
            .history
            .iter()
            .chain(stats.latest_completed.iter())
            .chain(stats.latest_savepoint.iter())
            .chain(stats.latest_failed.iter());
        for e in live.chain(stored.iter()) {
            if !history.iter().any(|h| h.id == e.id && h.kind == e.kind) {
                history.push(e.clone());
            }
        }
        history.sort_by(|a, b| {
            b.trigger_timestamp
                .cmp(&a.trigger_timestamp)
                .then_with(|| b.id.cmp(&a.id))
                .then_with(|| kind_rank(b.kind).cmp(&kind_rank(a.kind)))
        });
        CheckpointsData { stats, history }
    }

    /// Completed entries, oldest → newest (for the sparklines).
    pub fn completed_oldest_first(&self) -> Vec<&CheckpointEntry> {
        let mut v: Vec<&CheckpointEntry> = self
            .history
            .iter()
            .filter(|e| e.status == CheckpointStatus::Completed)
            .collect();
        v.reverse();
        v
    }
}

fn kind_rank(k: CheckpointKind) -> u8 {
    match k {
        CheckpointKind::Checkpoint => 0,
        CheckpointKind::Savepoint => 1,
    }
}

/// The exceptions list: the root exception first, then the history without the root's twin.
pub(crate) fn exception_entries(e: &JobExceptions) -> Vec<(&ExceptionEntry, bool)> {
    let mut out: Vec<(&ExceptionEntry, bool)> = Vec::new();
    if let Some(root) = &e.root {
        out.push((root, true));
    }
    for h in &e.history {
        let twin = e
            .root
            .as_ref()
            .is_some_and(|r| r.name == h.name && r.timestamp == h.timestamp);
        if !twin {
            out.push((h, false));
        }
    }
    out
}

/// The detail screen of one job.
#[derive(Debug)]
pub(crate) struct DetailState {
    pub key: JobKey,
    pub tab: Tab,
    pub overview: Load<JobDetail>,
    pub vert_sel: usize,
    pub vert_offset: Cell<usize>,
    pub checkpoints: Load<CheckpointsData>,
    pub cp_sel: usize,
    pub cp_offset: Cell<usize>,
    pub exceptions: Load<JobExceptions>,
    pub exc_sel: usize,
    pub exc_offset: Cell<usize>,
    /// `Some(first line)` while the stack trace of the selected exception is open.
    pub trace: Option<usize>,
    pub pods: PodsTab,
    pub logs: LogsState,
}

impl DetailState {
    pub fn new(key: JobKey) -> Self {
        DetailState {
            key,
            tab: Tab::Overview,
            overview: Load::default(),
            vert_sel: 0,
            vert_offset: Cell::new(0),
            checkpoints: Load::default(),
            cp_sel: 0,
            cp_offset: Cell::new(0),
            exceptions: Load::default(),
            exc_sel: 0,
            exc_offset: Cell::new(0),
            trace: None,
            pods: PodsTab::default(),
            logs: LogsState::default(),
        }
    }

    pub fn exception_count(&self) -> usize {
        self.exceptions
            .data
            .as_ref()
            .map(|e| exception_entries(e).len())
            .unwrap_or(0)
    }

    pub fn selected_exception(&self) -> Option<&ExceptionEntry> {
        let e = self.exceptions.data.as_ref()?;
        exception_entries(e).get(self.exc_sel).map(|(x, _)| *x)
    }
}

/// Moves an index by `delta` within `0..len`.
pub(crate) fn step(cur: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as isize + delta).clamp(0, len as isize - 1) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, kind: CheckpointKind, t: i64) -> CheckpointEntry {
        CheckpointEntry {
            id,
            status: CheckpointStatus::Completed,
            kind,
            checkpoint_type: None,
            trigger_timestamp: t,
            completed_at: Some(t + 10),
            duration_ms: Some(10),
            size_bytes: Some(100),
            state_size_bytes: None,
            external_path: None,
            failure_message: None,
            num_subtasks: None,
            num_acknowledged: None,
        }
    }

    #[test]
    fn merge_dedupes_by_id_and_kind_newest_first() {
        let stats = CheckpointStats {
            history: vec![entry(5, CheckpointKind::Checkpoint, 500)],
            ..Default::default()
        };
        let stored = vec![
            entry(5, CheckpointKind::Checkpoint, 500),
            entry(5, CheckpointKind::Savepoint, 510),
            entry(3, CheckpointKind::Checkpoint, 300),
        ];
        let d = CheckpointsData::new(stats, stored);
        let ids: Vec<(i64, CheckpointKind)> = d.history.iter().map(|e| (e.id, e.kind)).collect();
        assert_eq!(
            ids,
            vec![
                (5, CheckpointKind::Savepoint),
                (5, CheckpointKind::Checkpoint),
                (3, CheckpointKind::Checkpoint)
            ]
        );
        let spark: Vec<i64> = d.completed_oldest_first().iter().map(|e| e.id).collect();
        assert_eq!(spark, vec![3, 5, 5]);
    }

    #[test]
    fn pods_tab_only_with_a_platform() {
        assert_eq!(Tab::Overview.prev(false), Tab::Logs);
        assert_eq!(Tab::Exceptions.next(false), Tab::Logs);
        assert_eq!(Tab::Exceptions.next(true), Tab::Pods);
        assert_eq!(Tab::Pods.next(true), Tab::Logs);
        assert_eq!(Tab::Overview.prev(true), Tab::Logs);
        assert_eq!(Tab::Logs.prev(true), Tab::Pods);
    }

    #[test]
    fn load_due_rules() {
        let mut l: Load<u8> = Load::default();
        assert!(l.due(0, 5_000));
        l.start(1, 0);
        assert!(!l.due(10_000, 5_000), "in flight: no duplicate");
        assert!(l.due(40_000, 5_000), "lost request is retried");
        l.finish(Ok(1));
        assert!(!l.due(4_000, 5_000));
        assert!(l.due(5_000, 5_000));
        l.start(2, 5_000);
        l.finish(Err("boom".into()));
        assert_eq!(l.data, Some(1), "a failed reload keeps the data");
        assert_eq!(l.error.as_deref(), Some("boom"));
    }
}
