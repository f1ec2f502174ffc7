//! The jobs list: clusters with their last known jobs, filters, sorting and a selection that
//! follows the job (by cluster + id) across refreshes and re-sorting.

use std::cell::Cell;
use std::cmp::Ordering;

use crate::domain::{ClusterHealth, ClusterRef, HealthStatus, JobKey, JobState, JobSummary};

use super::fmt::short_age;

/// One configured cluster with what its last poll said.
#[derive(Debug, Clone)]
pub(crate) struct ClusterView {
    pub cref: ClusterRef,
    pub health: ClusterHealth,
    pub generation: u64,
    pub jobs: Vec<JobSummary>,
}

impl ClusterView {
    pub fn new(cref: ClusterRef, now_ms: i64) -> Self {
        ClusterView {
            cref,
            health: ClusterHealth::pending(now_ms),
            generation: 0,
            jobs: Vec::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.cref.name
    }

    /// The health as the header shows it. A LIVE/DEGRADED cluster whose polls stopped arriving
    /// (three refresh periods) is shown as STALE with the age of its data.
    pub fn effective_status(&self, now_ms: i64, refresh_ms: i64) -> HealthStatus {
        let overdue = now_ms - self.health.checked_at_ms > 3 * refresh_ms.max(1000);
        match self.health.status {
            HealthStatus::Live | HealthStatus::Degraded if overdue => HealthStatus::Stale,
            s => s,
        }
    }

    /// `LIVE`, `STALE 12s`, `DEGRADED`, `UNREACHABLE refused`, `PENDING`.
    pub fn badge(&self, now_ms: i64, refresh_ms: i64) -> (HealthStatus, String) {
        let status = self.effective_status(now_ms, refresh_ms);
        let text = match status {
            HealthStatus::Stale => match self.health.age_ms(now_ms) {
                Some(age) => format!("STALE {}", short_age(age)),
                None => "STALE".into(),
            },
            HealthStatus::Unreachable => match self.health.reason.as_deref() {
                Some(r) if !r.trim().is_empty() => {
                    format!(
                        "UNREACHABLE {}",
                        super::fmt::truncate(&super::fmt::clean(super::fmt::first_line(r)), 40)
                    )
                }
                _ => "UNREACHABLE".into(),
            },
            s => s.as_str().to_string(),
        };
        (status, text)
    }

    /// Whether the header should offer the error popup for this cluster.
    pub fn unhealthy(&self, now_ms: i64, refresh_ms: i64) -> bool {
        !matches!(
            self.effective_status(now_ms, refresh_ms),
            HealthStatus::Live | HealthStatus::Pending
        )
    }
}

/// Sortable columns of the jobs table, in the order `o` cycles them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortColumn {
    Cluster,
    Name,
    State,
    Uptime,
    Tasks,
    Checkpoint,
    Restarts,
}

impl SortColumn {
    pub const ALL: [SortColumn; 7] = [
        SortColumn::Cluster,
        SortColumn::Name,
        SortColumn::State,
        SortColumn::Uptime,
        SortColumn::Tasks,
        SortColumn::Checkpoint,
        SortColumn::Restarts,
    ];

    pub fn next(self) -> SortColumn {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            SortColumn::Cluster => "CLUSTER",
            SortColumn::Name => "NAME",
            SortColumn::State => "STATE",
            SortColumn::Uptime => "UPTIME",
            SortColumn::Tasks => "TASKS",
            SortColumn::Checkpoint => "CHECKPOINT",
            SortColumn::Restarts => "RESTARTS",
        }
    }
}

/// The state filter `t` cycles through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StateFilter {
    All,
    Active,
    Is(JobState),
}

impl StateFilter {
    fn cycle() -> Vec<StateFilter> {
        let mut v = vec![StateFilter::All, StateFilter::Active];
        for s in [
            JobState::Running,
            JobState::Restarting,
            JobState::Failing,
            JobState::Failed,
            JobState::Finished,
            JobState::Canceled,
            JobState::Cancelling,
            JobState::Suspended,
            JobState::Initializing,
            JobState::Created,
            JobState::Reconciling,
        ] {
            v.push(StateFilter::Is(s));
        }
        v
    }

    pub fn next(&self) -> StateFilter {
        let all = Self::cycle();
        let i = all.iter().position(|c| c == self).unwrap_or(0);
        all[(i + 1) % all.len()].clone()
    }

    pub fn label(&self) -> String {
        match self {
            StateFilter::All => "all".into(),
            StateFilter::Active => "active".into(),
            StateFilter::Is(s) => s.as_str().to_string(),
        }
    }

    fn matches(&self, s: &JobState) -> bool {
        match self {
            StateFilter::All => true,
            StateFilter::Active => s.is_active(),
            StateFilter::Is(want) => want == s,
        }
    }
}

/// How long the job has been running (or ran), as of `now_ms`; `-1` when unknown (Flink reports
/// `-1` for a job that never started).
pub(crate) fn uptime_ms(j: &JobSummary, now_ms: i64) -> i64 {
    if j.end_time.is_none() && j.start_time > 0 && !j.state.is_terminal() {
        (now_ms - j.start_time).max(0)
    } else if j.duration_ms >= 0 && (j.start_time > 0 || j.duration_ms > 0) {
        j.duration_ms
    } else {
        -1
    }
}

/// Attention first: failing and restarting jobs sort before healthy ones.
fn state_rank(s: &JobState) -> u8 {
    match s {
        JobState::Failing => 0,
        JobState::Failed => 1,
        JobState::Restarting => 2,
        JobState::Unknown(_) => 3,
        JobState::Cancelling => 4,
        JobState::Initializing => 5,
        JobState::Created => 6,
        JobState::Reconciling => 7,
        JobState::Running => 8,
        JobState::Suspended => 9,
        JobState::Canceled => 10,
        JobState::Finished => 11,
    }
}

/// The jobs view state.
#[derive(Debug)]
pub(crate) struct JobsState {
    pub filter: String,
    pub typing: bool,
    pub sort: SortColumn,
    pub reverse: bool,
    pub cluster_filter: Option<String>,
    pub state_filter: StateFilter,
    /// `(cluster index, job index)` of the rows shown, filtered and sorted.
    pub rows: Vec<(usize, usize)>,
    pub selected: usize,
    pub selected_key: Option<JobKey>,
    /// First visible row (a render cache, kept so the view does not jump).
    pub offset: Cell<usize>,
}

impl Default for JobsState {
    fn default() -> Self {
        JobsState {
            filter: String::new(),
            typing: false,
            sort: SortColumn::Cluster,
            reverse: false,
            cluster_filter: None,
            state_filter: StateFilter::All,
            rows: Vec::new(),
            selected: 0,
            selected_key: None,
            offset: Cell::new(0),
        }
    }
}

impl JobsState {
    pub fn total(clusters: &[ClusterView]) -> usize {
        clusters.iter().map(|c| c.jobs.len()).sum()
    }

    pub fn filters_active(&self) -> bool {
        !self.filter.is_empty()
            || self.cluster_filter.is_some()
            || self.state_filter != StateFilter::All
    }

    pub fn clear_filters(&mut self) {
        self.filter.clear();
        self.typing = false;
        self.cluster_filter = None;
        self.state_filter = StateFilter::All;
    }

    pub fn cycle_cluster(&mut self, clusters: &[ClusterView]) {
        let names: Vec<&str> = clusters.iter().map(|c| c.name()).collect();
        self.cluster_filter = match &self.cluster_filter {
            None => names.first().map(|s| s.to_string()),
            Some(cur) => match names.iter().position(|n| n == cur) {
                Some(i) if i + 1 < names.len() => Some(names[i + 1].to_string()),
                _ => None,
            },
        };
    }

    pub fn selected_job<'a>(&self, clusters: &'a [ClusterView]) -> Option<&'a JobSummary> {
        let (c, j) = *self.rows.get(self.selected)?;
        clusters.get(c)?.jobs.get(j)
    }

    /// Recomputes the visible rows and puts the selection back on the same job if it is still
    /// shown (else on the row at the same position).
    pub fn rebuild(&mut self, clusters: &[ClusterView], now_ms: i64) {
        let needle = self.filter.to_lowercase();
        let mut rows: Vec<(usize, usize)> = Vec::new();
        for (ci, c) in clusters.iter().enumerate() {
            if let Some(cf) = &self.cluster_filter {
                if c.name() != cf {
                    continue;
                }
            }
            for (ji, j) in c.jobs.iter().enumerate() {
                if !self.state_filter.matches(&j.state) {
                    continue;
                }
                if !needle.is_empty() && !text_matches(j, &needle) {
                    continue;
                }
                rows.push((ci, ji));
            }
        }
        let col = self.sort;
        let reverse = self.reverse;
        rows.sort_by(|a, b| {
            let ja = &clusters[a.0].jobs[a.1];
            let jb = &clusters[b.0].jobs[b.1];
            let primary = compare(col, ja, jb, now_ms);
            let primary = if reverse { primary.reverse() } else { primary };
            primary
                .then_with(|| ja.cluster.cmp(&jb.cluster))
                .then_with(|| ja.name.cmp(&jb.name))
                .then_with(|| ja.id.cmp(&jb.id))
        });
        self.rows = rows;
        self.reselect(clusters);
    }

    fn reselect(&mut self, clusters: &[ClusterView]) {
        if self.rows.is_empty() {
            self.selected = 0;
            return;
        }
        if let Some(key) = &self.selected_key {
            if let Some(pos) = self.rows.iter().position(|(c, j)| {
                let job = &clusters[*c].jobs[*j];
                job.cluster == key.cluster && job.id == key.id
            }) {
                self.selected = pos;
                return;
            }
        }
        self.selected = self.selected.min(self.rows.len() - 1);
        self.selected_key = self.selected_job(clusters).map(|j| j.key());
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize, clusters: &[ClusterView]) {
        if self.rows.is_empty() {
            return;
        }
        let max = self.rows.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
        self.selected_key = self.selected_job(clusters).map(|j| j.key());
    }

    pub fn select_at(&mut self, idx: usize, clusters: &[ClusterView]) {
        if self.rows.is_empty() {
            return;
        }
        self.selected = idx.min(self.rows.len() - 1);
        self.selected_key = self.selected_job(clusters).map(|j| j.key());
    }
}

fn text_matches(j: &JobSummary, needle: &str) -> bool {
    [
        j.name.as_str(),
        j.id.as_str(),
        j.cluster.as_str(),
        j.state.as_str(),
    ]
    .iter()
    .any(|s| s.to_lowercase().contains(needle))
}

fn compare(col: SortColumn, a: &JobSummary, b: &JobSummary, now_ms: i64) -> Ordering {
    match col {
        SortColumn::Cluster => a.cluster.cmp(&b.cluster),
        SortColumn::Name => a
            .name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then_with(|| a.name.cmp(&b.name)),
        SortColumn::State => state_rank(&a.state).cmp(&state_rank(&b.state)),
        SortColumn::Uptime => uptime_ms(a, now_ms).cmp(&uptime_ms(b, now_ms)),
        SortColumn::Tasks => {
            (a.tasks_running, a.tasks_total).cmp(&(b.tasks_running, b.tasks_total))
        }
        SortColumn::Checkpoint => {
            // Freshest first; jobs without a checkpoint last.
            let age = |j: &JobSummary| {
                j.last_checkpoint
                    .as_ref()
                    .and_then(|c| c.completed_at)
                    .map(|t| now_ms - t)
                    .unwrap_or(i64::MAX)
            };
            age(a).cmp(&age(b))
        }
        SortColumn::Restarts => a
            .restarts
            .map(|r| r as i128)
            .unwrap_or(-1)
            .cmp(&b.restarts.map(|r| r as i128).unwrap_or(-1)),
    }
}
