//! The jobs list: clusters with their last known jobs and the managed apps, filters, sorting and
//! a selection that follows the row (by cluster + job id, or app name) across refreshes and
//! re-sorting.

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::HashMap;

use crate::domain::filter::{Filter, FilterError, GroupBy, Subject, View};
use crate::domain::{
    AppSummary, ClusterHealth, ClusterRef, HealthStatus, JobKey, JobState, JobSummary,
};

use super::fmt::short_age;
use super::jobs_group::{self, Collapsed, GroupHeader};
use crate::domain::job_columns::JobColumn;
use crate::domain::job_health::assess;

/// One configured cluster with what its last poll said.
#[derive(Debug, Clone)]
pub(crate) struct ClusterView {
    pub cref: ClusterRef,
    pub health: ClusterHealth,
    pub generation: u64,
    /// Shared with the store's pending round of the same poll.
    pub jobs: std::sync::Arc<Vec<JobSummary>>,
    /// Pods and the operator's view (discovered Kubernetes clusters), from the last poll.
    pub platform: Option<crate::domain::PlatformStatus>,
    /// Not a cluster but what discovery could not look at (an entry `k8s-prod` whose API server
    /// refused us, a namespace `k8s-prod/secret` we may not list): it arrives as a poll of a name
    /// nobody announced, always unreachable, never with jobs.
    pub problem: bool,
}

impl ClusterView {
    pub fn new(cref: ClusterRef, now_ms: i64) -> Self {
        ClusterView {
            cref,
            health: ClusterHealth::pending(now_ms),
            generation: 0,
            jobs: Default::default(),
            platform: None,
            problem: false,
        }
    }

    /// A discovery problem reported under `name` (`<entry>` or `<entry>/<namespace>`).
    pub fn discovery_problem(name: &str, now_ms: i64) -> Self {
        ClusterView {
            problem: true,
            ..ClusterView::new(
                ClusterRef {
                    name: name.to_string(),
                    kind: String::new(),
                    url: String::new(),
                    location: None,
                    web_url: None,
                },
                now_ms,
            )
        }
    }

    pub fn name(&self) -> &str {
        &self.cref.name
    }

    /// The namespace: the discovered cluster's, or the one a discovery problem is about.
    pub fn namespace(&self) -> Option<&str> {
        match &self.cref.location {
            Some(l) => Some(l.namespace.as_str()),
            None if self.problem => self.cref.name.split_once('/').map(|(_, ns)| ns),
            None => None,
        }
    }

    /// The Flink version: Flink's own answer, else what the operator resource asks for.
    pub fn flink_version(&self) -> Option<&str> {
        self.health.flink_version.as_deref().or_else(|| {
            self.platform
                .as_ref()
                .and_then(|p| p.operator.as_ref())
                .and_then(|o| o.flink_version.as_deref())
        })
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

/// The managed apps as the workers last reported them (`AppsLoaded`, replaced wholesale).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Managed {
    pub apps: Vec<AppSummary>,
    /// cluster → job id → app name.
    job_apps: HashMap<String, HashMap<String, String>>,
    /// App name → index into `apps`.
    by_name: HashMap<String, usize>,
    /// Local tags of unmanaged jobs: cluster → job name → tags (from the store).
    local_tags: HashMap<String, HashMap<String, Vec<String>>>,
}

impl Managed {
    pub fn new(apps: Vec<AppSummary>, job_apps: Vec<(JobKey, String)>) -> Managed {
        let mut map: HashMap<String, HashMap<String, String>> = HashMap::new();
        for (key, app) in job_apps {
            map.entry(key.cluster).or_default().insert(key.id, app);
        }
        let by_name = apps
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.clone(), i))
            .collect();
        Managed {
            apps,
            job_apps: map,
            by_name,
            local_tags: HashMap::new(),
        }
    }

    /// Takes over the local tags of `old` (they arrive apart from the apps).
    pub fn keep_local_tags(&mut self, old: &Managed) {
        self.local_tags.clone_from(&old.local_tags);
    }

    /// Replaces the local tags of unmanaged jobs (cluster, job name, tags).
    pub fn set_local_tags(&mut self, tags: Vec<(String, String, Vec<String>)>) {
        self.local_tags.clear();
        for (cluster, name, t) in tags {
            self.local_tags.entry(cluster).or_default().insert(name, t);
        }
    }

    /// The local tags of the job named `name` on `cluster`.
    pub fn local_tags(&self, cluster: &str, name: &str) -> &[String] {
        self.local_tags
            .get(cluster)
            .and_then(|m| m.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// What the filter language sees of a row: its app's team and tags (from the spec), or the
    /// job's local tags when no app owns it.
    pub fn subject<'a>(
        &'a self,
        cluster: &'a str,
        j: &'a JobSummary,
        app: Option<&'a str>,
    ) -> Subject<'a> {
        let summary = app.and_then(|a| self.app(a));
        Subject {
            name: &j.name,
            id: &j.id,
            cluster,
            state: Some(&j.state),
            app,
            team: summary.and_then(|s| s.team.as_deref()),
            tags: match (app, summary) {
                (_, Some(s)) => &s.tags,
                (None, None) => self.local_tags(cluster, &j.name),
                (Some(_), None) => &[],
            },
        }
    }

    /// The managed app a job belongs to.
    pub fn app_of(&self, cluster: &str, job_id: &str) -> Option<&str> {
        self.job_apps
            .get(cluster)
            .and_then(|m| m.get(job_id))
            .map(String::as_str)
    }

    /// No managed app at all (the jobs list then has no APP column).
    pub fn is_empty(&self) -> bool {
        self.apps.is_empty() && self.job_apps.is_empty()
    }

    pub fn app(&self, name: &str) -> Option<&AppSummary> {
        self.by_name.get(name).and_then(|i| self.apps.get(*i))
    }
}

/// The state shown for a managed app that has no known job state.
pub(crate) const NO_STATE: &str = "-";

/// Where a row of the table comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowSource {
    /// `(cluster index, job index)`: a job a cluster reported.
    Job(usize, usize),
    /// Index into `JobsState::app_rows`: a managed app whose current job no cluster lists.
    App(usize),
    /// Index into `JobsState::groups`: a group's header (grouping on).
    Header(usize),
}

/// One row of the table: its source and the managed app it belongs to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JobRow {
    pub source: RowSource,
    pub app: Option<String>,
}

impl JobRow {
    /// Whether the row is a job on a cluster (not a managed app without a listed job).
    pub fn is_job(&self) -> bool {
        matches!(self.source, RowSource::Job(..))
    }

    /// Whether the row is a group's header (not a job or an app).
    pub fn is_header(&self) -> bool {
        matches!(self.source, RowSource::Header(..))
    }
}

/// What the selection follows: a job, or a managed app (its row, or the row of its job once it
/// has one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RowKey {
    Job(JobKey),
    App(String),
    Header(String),
}

/// Sortable columns of the jobs table, in the order `o` cycles them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SortColumn {
    /// Problems first: the highest health score (`domain::job_health`) first; healthy rows by
    /// cluster and name.
    Problems,
    Cluster,
    Name,
    State,
    Uptime,
    Tasks,
    Checkpoint,
    Restarts,
    App,
}

impl SortColumn {
    pub const ALL: [SortColumn; 9] = [
        SortColumn::Problems,
        SortColumn::Cluster,
        SortColumn::Name,
        SortColumn::State,
        SortColumn::Uptime,
        SortColumn::Tasks,
        SortColumn::Checkpoint,
        SortColumn::Restarts,
        SortColumn::App,
    ];

    pub fn next(self) -> SortColumn {
        let i = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn title(self) -> &'static str {
        match self {
            SortColumn::Problems => "PROBLEMS",
            SortColumn::Cluster => "CLUSTER",
            SortColumn::Name => "NAME",
            SortColumn::State => "STATE",
            SortColumn::Uptime => "UPTIME",
            SortColumn::Tasks => "TASKS",
            SortColumn::Checkpoint => "CHECKPOINT",
            SortColumn::Restarts => "RESTARTS",
            SortColumn::App => "APP",
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

/// Attention first: failing and restarting jobs sort before healthy ones; apps without a known
/// state last.
fn state_rank(s: &JobState) -> u8 {
    match s {
        JobState::Unknown(x) if x == NO_STATE => 12,
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
    /// The text after `/`: an expression of the filter language ([`Filter`]).
    pub filter: String,
    /// The last valid parse of `filter` (what the list shows while the text has an error).
    parsed: Filter,
    /// The text `parsed`/`filter_error` were made from.
    parsed_from: String,
    /// What is wrong with `filter` as typed, if anything.
    pub filter_error: Option<FilterError>,
    /// The named view in force (`[ui.views]`), ANDed with the other filters.
    pub view: Option<View>,
    /// Every named view (`v` cycles them).
    pub views: Vec<View>,
    /// The tag input of `T`, while open.
    pub tag_input: Option<super::jobs_views::TagInput>,
    pub typing: bool,
    pub sort: SortColumn,
    pub reverse: bool,
    pub cluster_filter: Option<String>,
    pub state_filter: StateFilter,
    /// Managed apps whose current job no cluster lists, as rows (name = the app's name).
    pub app_rows: Vec<JobSummary>,
    /// The rows shown, filtered and sorted.
    pub rows: Vec<JobRow>,
    pub selected: usize,
    pub selected_key: Option<RowKey>,
    /// First visible row (a render cache, kept so the view does not jump).
    pub offset: Cell<usize>,
    /// Grouping of the rows (`z`), the folded groups and the headers of the last rebuild.
    pub group: GroupBy,
    pub collapsed: Collapsed,
    pub groups: Vec<GroupHeader>,
    /// Job and app rows that pass the filters (the rows minus headers, folded ones included).
    pub matching: usize,
    /// `[ui] columns`: the table's columns in order.
    pub columns: Vec<JobColumn>,
    /// When a tick last re-sorted problems first.
    resorted_at: Cell<i64>,
    /// How many times every row was filtered, scored and sorted ([`JobsState::rebuild`]).
    pub full_sorts: u64,
    /// How many rows a poll put in place again by their new score alone ([`JobsState::rescore`]).
    pub rescored: u64,
}

/// What a cluster's new job list changes in the rows ([`JobsState::poll_change`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PollChange {
    /// Nothing sorted or filtered on changed: the rows stay as they are.
    Same,
    /// Only the problems-first scores of these jobs (indices into the new list) may have moved:
    /// their rows are placed again ([`JobsState::rescore`]), every other row stays.
    Rescore(Vec<usize>),
    /// Anything else: every row is filtered and sorted again.
    Rebuild,
}

/// Above this many rescored jobs in one poll a full rebuild is cheaper than placing each row.
const RESCORE_MAX: usize = 64;

/// How often a tick re-sorts problems first.
pub(crate) const PROBLEMS_RESORT_MS: i64 = 5_000;

impl Default for JobsState {
    fn default() -> Self {
        JobsState {
            filter: String::new(),
            parsed: Filter::default(),
            parsed_from: String::new(),
            filter_error: None,
            view: None,
            views: Vec::new(),
            tag_input: None,
            typing: false,
            sort: SortColumn::Problems,
            reverse: false,
            cluster_filter: None,
            state_filter: StateFilter::All,
            app_rows: Vec::new(),
            rows: Vec::new(),
            selected: 0,
            selected_key: None,
            offset: Cell::new(0),
            group: GroupBy::None,
            collapsed: Collapsed::default(),
            groups: Vec::new(),
            matching: 0,
            columns: JobColumn::ALL.to_vec(),
            resorted_at: Cell::new(0),
            full_sorts: 0,
            rescored: 0,
        }
    }
}

/// The row of a managed app whose current job is not in its cluster's list.
fn app_row(app: &AppSummary, clusters: &[ClusterView]) -> JobSummary {
    let cluster = clusters.iter().find(|c| c.name() == app.cluster);
    // Unreachable is not dead: while the cluster does not answer, the state is the last known.
    let stale = cluster.is_some_and(|c| {
        matches!(
            c.health.status,
            HealthStatus::Stale | HealthStatus::Unreachable
        )
    });
    JobSummary {
        cluster: app.cluster.clone(),
        id: app.job_id.clone().unwrap_or_default(),
        name: app.name.clone(),
        state: app
            .state
            .clone()
            .unwrap_or_else(|| JobState::Unknown(NO_STATE.into())),
        start_time: -1,
        end_time: None,
        duration_ms: -1,
        last_modification: 0,
        tasks_running: 0,
        tasks_total: 0,
        last_checkpoint: None,
        restarts: None,
        stale: stale && app.state.is_some(),
        detail_at_ms: None,
        vitals: None,
    }
}

impl JobsState {
    /// Every row there is to show (jobs plus managed apps without a listed job).
    pub fn total(&self, clusters: &[ClusterView]) -> usize {
        clusters.iter().map(|c| c.jobs.len()).sum::<usize>() + self.app_rows.len()
    }

    pub fn filters_active(&self) -> bool {
        !self.filter.is_empty()
            || self.view.is_some()
            || self.cluster_filter.is_some()
            || self.state_filter != StateFilter::All
    }

    pub fn clear_filters(&mut self) {
        self.filter.clear();
        self.view = None;
        self.typing = false;
        self.cluster_filter = None;
        self.state_filter = StateFilter::All;
    }

    pub fn cycle_cluster(&mut self, clusters: &[ClusterView]) {
        // Discovery problems have no jobs to show.
        let names: Vec<&str> = clusters
            .iter()
            .filter(|c| !c.problem)
            .map(|c| c.name())
            .collect();
        self.cluster_filter = match &self.cluster_filter {
            None => names.first().map(|s| s.to_string()),
            Some(cur) => match names.iter().position(|n| n == cur) {
                Some(i) if i + 1 < names.len() => Some(names[i + 1].to_string()),
                _ => None,
            },
        };
    }

    /// The job (or app) summary a row shows.
    pub fn summary<'a>(&'a self, clusters: &'a [ClusterView], row: &JobRow) -> &'a JobSummary {
        match row.source {
            RowSource::Job(c, j) => &clusters[c].jobs[j],
            RowSource::App(i) => &self.app_rows[i],
            RowSource::Header(i) => &self.groups[i].summary,
        }
    }

    pub fn selected_row(&self) -> Option<&JobRow> {
        self.rows.get(self.selected)
    }

    /// The summary of the selected row (for an app without a listed job, a summary made from
    /// the app).
    pub fn selected_summary<'a>(&'a self, clusters: &'a [ClusterView]) -> Option<&'a JobSummary> {
        self.selected_row().map(|r| self.summary(clusters, r))
    }

    /// The selected job, if the selected row is a job on a cluster.
    pub fn selected_job<'a>(&'a self, clusters: &'a [ClusterView]) -> Option<&'a JobSummary> {
        self.selected_row()
            .filter(|r| r.is_job())
            .map(|r| self.summary(clusters, r))
    }

    /// The jobs on screen, the selected one first: the pollers fetch their detail first. The
    /// window is the last drawn one (`offset`), `height` rows tall at most.
    pub fn focus_keys(&self, clusters: &[ClusterView], height: usize) -> Vec<JobKey> {
        let selected = self.selected_job(clusters).map(JobSummary::key);
        let mut keys: Vec<JobKey> = selected.iter().cloned().collect();
        for row in self.rows.iter().skip(self.offset.get()).take(height) {
            if let RowKey::Job(k) = self.row_key(clusters, row) {
                if selected.as_ref() != Some(&k) {
                    keys.push(k);
                }
            }
        }
        keys
    }

    /// The jobs of the last drawn window (`offset`, `height` rows at most), with their
    /// cluster's index.
    pub fn window_jobs<'a>(
        &'a self,
        clusters: &'a [ClusterView],
        height: usize,
    ) -> impl Iterator<Item = (usize, &'a JobSummary)> + 'a {
        self.rows
            .iter()
            .skip(self.offset.get())
            .take(height)
            .filter_map(move |r| match r.source {
                RowSource::Job(ci, ji) => Some((ci, clusters.get(ci)?.jobs.get(ji)?)),
                _ => None,
            })
    }

    fn row_key(&self, clusters: &[ClusterView], row: &JobRow) -> RowKey {
        match row.source {
            RowSource::Job(..) => RowKey::Job(self.summary(clusters, row).key()),
            RowSource::App(i) => RowKey::App(self.app_rows[i].name.clone()),
            RowSource::Header(i) => RowKey::Header(self.groups[i].key.clone()),
        }
    }

    /// Recomputes the visible rows and puts the selection back on the same row if it is still
    /// shown (else on the row at the same position).
    pub fn rebuild(&mut self, clusters: &[ClusterView], managed: &Managed, now_ms: i64) {
        self.app_rows = managed
            .apps
            .iter()
            .filter(|a| {
                let listed = a.job_id.as_deref().is_some_and(|id| {
                    clusters
                        .iter()
                        .filter(|c| c.name() == a.cluster)
                        .any(|c| c.jobs.iter().any(|j| j.id == id))
                });
                !listed
            })
            .map(|a| app_row(a, clusters))
            .collect();
        self.parse_filter();
        let keep = |cluster: &str, j: &JobSummary, app: Option<&str>| -> bool {
            self.keeps(managed, cluster, j, app)
        };
        let mut rows: Vec<JobRow> = Vec::new();
        for (ci, c) in clusters.iter().enumerate() {
            for (ji, j) in c.jobs.iter().enumerate() {
                let app = managed.app_of(c.name(), &j.id);
                if keep(c.name(), j, app) {
                    rows.push(JobRow {
                        source: RowSource::Job(ci, ji),
                        app: app.map(str::to_string),
                    });
                }
            }
        }
        for (i, j) in self.app_rows.iter().enumerate() {
            if keep(&j.cluster, j, Some(&j.name)) {
                rows.push(JobRow {
                    source: RowSource::App(i),
                    app: Some(j.name.clone()),
                });
            }
        }
        let col = self.sort;
        // Scores once per row (not per comparison).
        let mut keyed: Vec<(u32, JobRow)> = rows
            .into_iter()
            .map(|r| {
                let score = match col {
                    SortColumn::Problems => assess(self.summary(clusters, &r), now_ms).score,
                    _ => 0,
                };
                (score, r)
            })
            .collect();
        keyed.sort_by(|(sa, a), (sb, b)| self.row_order(clusters, (*sa, a), (*sb, b), now_ms));
        self.full_sorts += 1;
        self.rows = keyed.into_iter().map(|(_, r)| r).collect();
        self.matching = self.rows.len();
        self.apply_grouping(clusters, managed, now_ms);
        self.reselect(clusters);
    }

    /// With grouping on, puts the sorted rows under their groups' headers (members of a folded
    /// group are left out).
    fn apply_grouping(&mut self, clusters: &[ClusterView], managed: &Managed, now_ms: i64) {
        self.groups.clear();
        if self.group == GroupBy::None {
            return;
        }
        let by = self.group;
        let grouped = jobs_group::group(
            by,
            &self.rows,
            |row| {
                let j = self.summary(clusters, row);
                let key = match by {
                    GroupBy::Cluster => j.cluster.clone(),
                    GroupBy::Team => row
                        .app
                        .as_deref()
                        .and_then(|a| managed.app(a))
                        .and_then(|a| a.team.clone())
                        .unwrap_or_else(|| jobs_group::NO_TEAM.to_string()),
                    GroupBy::App => row
                        .app
                        .clone()
                        .unwrap_or_else(|| jobs_group::NO_APP.to_string()),
                    GroupBy::None => String::new(),
                };
                // A problem is what problems-first ranks up: a health score above 0.
                (key, !j.stale && assess(j, now_ms).score > 0)
            },
            &self.collapsed,
        );
        let mut out = Vec::with_capacity(self.rows.len() + grouped.len());
        for (gi, (header, members)) in grouped.into_iter().enumerate() {
            out.push(JobRow {
                source: RowSource::Header(gi),
                app: None,
            });
            if !header.collapsed {
                out.extend(members.iter().map(|&m| self.rows[m].clone()));
            }
            self.groups.push(header);
        }
        self.rows = out;
    }

    /// Folds or unfolds the group whose header is selected; false when no header is selected.
    pub fn toggle_selected_group(
        &mut self,
        clusters: &[ClusterView],
        managed: &Managed,
        now_ms: i64,
    ) -> bool {
        let Some(RowSource::Header(i)) = self.selected_row().map(|r| r.source) else {
            return false;
        };
        let key = self.groups[i].key.clone();
        self.collapsed.toggle(self.group, &key);
        self.selected_key = Some(RowKey::Header(key));
        self.rebuild(clusters, managed, now_ms);
        true
    }

    /// Parses `filter` if it changed: a valid text replaces the filter in force, an invalid one
    /// only sets `filter_error` (the list keeps the last valid filter while the user types).
    fn parse_filter(&mut self) {
        if self.parsed_from == self.filter {
            return;
        }
        self.parsed_from.clone_from(&self.filter);
        match Filter::parse(&self.filter) {
            Ok(f) => {
                self.parsed = f;
                self.filter_error = None;
            }
            Err(e) => self.filter_error = Some(e),
        }
    }

    /// Whether the row of job `j` (on `cluster`, of managed app `app`) passes the filters.
    fn keeps(&self, managed: &Managed, cluster: &str, j: &JobSummary, app: Option<&str>) -> bool {
        if self
            .cluster_filter
            .as_deref()
            .is_some_and(|cf| cf != cluster)
        {
            return false;
        }
        if !self.state_filter.matches(&j.state) {
            return false;
        }
        let view = self.view.as_ref().map(|v| &v.filter);
        if self.parsed.is_empty() && view.is_none_or(Filter::is_empty) {
            return true;
        }
        let s = managed.subject(cluster, j, app);
        self.parsed.matches(&s) && view.is_none_or(|f| f.matches(&s))
    }

    /// The order of two rows (each with its problems-first score; 0 under other sorts): the
    /// sort column (reversed with `reverse`), then cluster, name, id, job rows before app rows.
    fn row_order(
        &self,
        clusters: &[ClusterView],
        (sa, a): (u32, &JobRow),
        (sb, b): (u32, &JobRow),
        now_ms: i64,
    ) -> Ordering {
        let ja = self.summary(clusters, a);
        let jb = self.summary(clusters, b);
        let primary = match self.sort {
            // Managed rows first, by app name.
            SortColumn::App => (a.app.is_none(), &a.app).cmp(&(b.app.is_none(), &b.app)),
            // Highest score first.
            SortColumn::Problems => sb.cmp(&sa),
            col => compare(col, ja, jb, now_ms),
        };
        let primary = if self.reverse {
            primary.reverse()
        } else {
            primary
        };
        primary
            .then_with(|| ja.cluster.cmp(&jb.cluster))
            .then_with(|| ja.name.cmp(&jb.name))
            .then_with(|| ja.id.cmp(&jb.id))
            .then_with(|| a.is_job().cmp(&b.is_job()).reverse())
    }

    /// What a cluster's new job list `new` (replacing `old`) changes in the rows: nothing when
    /// the same jobs sit at the same positions, each passing the filters as before and comparing
    /// equal under the sort column; under problems first (not grouped), jobs whose score may
    /// have moved are named so that only their rows are placed again; else a rebuild.
    pub fn poll_change(
        &self,
        old: &[JobSummary],
        new: &[JobSummary],
        managed: &Managed,
        now_ms: i64,
    ) -> PollChange {
        if old.len() != new.len() {
            return PollChange::Rebuild;
        }
        // Group headers count problems: a state or score change must recount them.
        let grouped = self.group != GroupBy::None;
        let mut moved = Vec::new();
        for (i, (a, b)) in old.iter().zip(new).enumerate() {
            let app = || managed.app_of(&b.cluster, &b.id);
            let same_row = a.id == b.id
                && a.cluster == b.cluster
                && a.name == b.name
                && (a.state == b.state
                    || !grouped
                        && self.keeps(managed, &a.cluster, a, app())
                            == self.keeps(managed, &b.cluster, b, app()));
            if !same_row {
                return PollChange::Rebuild;
            }
            if compare(self.sort, a, b, now_ms) != Ordering::Equal {
                if self.sort != SortColumn::Problems || grouped || moved.len() == RESCORE_MAX {
                    return PollChange::Rebuild;
                }
                moved.push(i);
            }
        }
        if moved.is_empty() {
            PollChange::Same
        } else {
            PollChange::Rescore(moved)
        }
    }

    /// Puts the rows of cluster `ci`'s jobs `moved` (indices into its list, which the cluster
    /// view already holds) where their new problems-first score belongs, leaving every other
    /// row in place (only these rows are scored, plus the rows a binary search compares with).
    /// False, changing nothing, when that is not possible (another sort, grouping on): then
    /// the caller rebuilds.
    pub fn rescore(
        &mut self,
        clusters: &[ClusterView],
        ci: usize,
        moved: &[usize],
        now_ms: i64,
    ) -> bool {
        if self.sort != SortColumn::Problems || self.group != GroupBy::None {
            return false;
        }
        // Every moved row leaves first, so that the rows searched are in order.
        let moved: std::collections::HashSet<usize> = moved.iter().copied().collect();
        let mut taken = Vec::new();
        self.rows.retain(|r| match r.source {
            // A job filtered out stays out (`poll_change` checked its filters).
            RowSource::Job(c, j) if c == ci && moved.contains(&j) => {
                taken.push(r.clone());
                false
            }
            _ => true,
        });
        for row in taken {
            let score = |r: &JobRow| assess(self.summary(clusters, r), now_ms).score;
            let s = score(&row);
            let at = self.rows.partition_point(|r| {
                self.row_order(clusters, (score(r), r), (s, &row), now_ms) == Ordering::Less
            });
            self.rows.insert(at, row);
            self.rescored += 1;
        }
        self.reselect(clusters);
        true
    }

    /// Whether the order of the rows depends on the clock (so a tick must re-sort them).
    pub fn sorted_by_time(&self) -> bool {
        matches!(
            self.sort,
            SortColumn::Uptime | SortColumn::Checkpoint | SortColumn::Problems
        )
    }

    /// Whether a tick at `now_ms` should re-sort: for the clock-dependent sorts, at most every
    /// [`PROBLEMS_RESORT_MS`] for problems first (its clock-dependent parts, a checkpoint's or
    /// a watermark's age, move in minutes; polls that change a score re-sort at once).
    pub fn resort_on_tick(&self, now_ms: i64) -> bool {
        if !self.sorted_by_time() {
            return false;
        }
        if self.sort == SortColumn::Problems {
            if now_ms - self.resorted_at.get() < PROBLEMS_RESORT_MS {
                return false;
            }
            self.resorted_at.set(now_ms);
        }
        true
    }

    /// Whether `row` is the row that `key` names (without building the row's key).
    fn is_row(&self, clusters: &[ClusterView], row: &JobRow, key: &RowKey) -> bool {
        match (row.source, key) {
            (RowSource::Job(..), RowKey::Job(k)) => {
                let j = self.summary(clusters, row);
                j.id == k.id && j.cluster == k.cluster
            }
            (RowSource::App(i), RowKey::App(name)) => self.app_rows[i].name == *name,
            (RowSource::Header(i), RowKey::Header(key)) => self.groups[i].key == *key,
            _ => false,
        }
    }

    fn reselect(&mut self, clusters: &[ClusterView]) {
        if self.rows.is_empty() {
            self.selected = 0;
            return;
        }
        if let Some(key) = &self.selected_key {
            let same = self
                .rows
                .iter()
                .position(|r| self.is_row(clusters, r, key))
                .or_else(|| match key {
                    // An app that got (or lost) a job on its cluster: follow the app.
                    RowKey::App(name) => self
                        .rows
                        .iter()
                        .position(|r| r.app.as_deref() == Some(name.as_str())),
                    RowKey::Job(_) | RowKey::Header(_) => None,
                });
            if let Some(pos) = same {
                self.selected = pos;
                return;
            }
        }
        self.selected = self.selected.min(self.rows.len() - 1);
        self.remember_selection(clusters);
    }

    fn remember_selection(&mut self, clusters: &[ClusterView]) {
        self.selected_key = self
            .rows
            .get(self.selected)
            .map(|r| self.row_key(clusters, r));
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize, clusters: &[ClusterView]) {
        if self.rows.is_empty() {
            return;
        }
        let max = self.rows.len() as isize - 1;
        self.selected = (self.selected as isize + delta).clamp(0, max) as usize;
        self.remember_selection(clusters);
    }

    pub fn select_at(&mut self, idx: usize, clusters: &[ClusterView]) {
        if self.rows.is_empty() {
            return;
        }
        self.selected = idx.min(self.rows.len() - 1);
        self.remember_selection(clusters);
    }
}

/// Whether two jobs carry the same vitals: the pollers share one `Arc` per job until it changes,
/// so the pointer answers for almost every row; values are compared otherwise (a sample's
/// missing metric is NaN, so equal histories can still compare unequal: then the scores decide).
fn same_vitals(
    a: &Option<std::sync::Arc<crate::domain::job_health::JobVitals>>,
    b: &Option<std::sync::Arc<crate::domain::job_health::JobVitals>>,
) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => std::sync::Arc::ptr_eq(x, y) || x == y,
        (None, None) => true,
        _ => false,
    }
}

fn compare(col: SortColumn, a: &JobSummary, b: &JobSummary, now_ms: i64) -> Ordering {
    match col {
        // The same vitals, state and checkpoint give the same score (the clock aside: ticks
        // re-sort); only then is a score computed.
        SortColumn::Problems
            if same_vitals(&a.vitals, &b.vitals)
                && a.state == b.state
                && a.stale == b.stale
                && a.last_checkpoint == b.last_checkpoint =>
        {
            Ordering::Equal
        }
        SortColumn::Problems => assess(b, now_ms).score.cmp(&assess(a, now_ms).score),
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
        // Compared by the caller (it knows the rows' apps).
        SortColumn::App => Ordering::Equal,
    }
}

impl super::app::App {
    /// `[ui] columns`: the jobs table's columns in order (an empty list keeps the default).
    pub fn set_job_columns(&mut self, columns: Vec<JobColumn>) {
        if !columns.is_empty() {
            self.jobs.columns = columns;
        }
    }
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
mod tests;
