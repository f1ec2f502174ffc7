//! Recording what the pollers see: jobs, checkpoints and health, only what changed, one
//! transaction per poll round.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use rusqlite::{params, Connection, OptionalExtension};

use super::{job_row, Store, StoreError};
use crate::config::secret::mask;
use crate::domain::{
    CheckpointEntry, CheckpointKind, CheckpointRef, CheckpointStatus, ClusterHealth, JobSummary,
};

/// Most health changes one pending round keeps when newer rounds are merged into it.
const MAX_PENDING_HEALTH: usize = 16;

/// Everything one poll of one cluster saw, to persist in one transaction.
#[derive(Debug, Clone)]
pub struct PollRound {
    pub cluster: String,
    /// When the poll was made (ms since the epoch).
    pub seen_at_ms: i64,
    /// The health after the poll; more than one when unwritten rounds were merged (oldest
    /// first), so a status change in between is not lost.
    pub health: Vec<ClusterHealth>,
    /// The job list; `None` when the cluster could not be read. Shared with the poll's reply
    /// to the screen.
    pub jobs: Option<std::sync::Arc<Vec<JobSummary>>>,
    /// Completed checkpoints seen per job: (job id, job name, entries).
    pub checkpoints: Vec<(String, String, Vec<CheckpointEntry>)>,
}

impl PollRound {
    /// Folds a newer round of the same cluster into this unwritten one: the newer job list and
    /// health win; checkpoints of both are kept (the store ignores those it has), health changes
    /// are kept up to a bound.
    pub fn absorb(&mut self, newer: PollRound) {
        self.seen_at_ms = self.seen_at_ms.max(newer.seen_at_ms);
        for h in newer.health {
            let same = self
                .health
                .last()
                .is_some_and(|l| l.status == h.status && l.reason == h.reason);
            if same {
                if let Some(l) = self.health.last_mut() {
                    *l = h;
                }
            } else {
                self.health.push(h);
            }
        }
        if self.health.len() > MAX_PENDING_HEALTH {
            let extra = self.health.len() - MAX_PENDING_HEALTH;
            self.health.drain(..extra);
        }
        if newer.jobs.is_some() {
            self.jobs = newer.jobs;
        }
        for (job, name, entries) in newer.checkpoints {
            match self.checkpoints.iter_mut().find(|(j, _, _)| *j == job) {
                Some((_, n, old)) => {
                    *n = name;
                    let known: HashSet<(i64, &str)> =
                        entries.iter().map(|e| (e.id, e.kind.as_str())).collect();
                    old.retain(|e| !known.contains(&(e.id, e.kind.as_str())));
                    old.extend(entries);
                }
                None => self.checkpoints.push((job, name, entries)),
            }
        }
    }
}

/// What recording a round wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundStats {
    pub health_events: usize,
    pub jobs_written: usize,
    pub jobs_gone: usize,
    pub checkpoints_new: usize,
}

impl Store {
    /// Records one poll round in one transaction, writing only what changed: health events on a
    /// status change, job rows whose values changed (or that appeared or vanished), checkpoints
    /// not stored yet.
    pub fn record_round(&mut self, round: &PollRound) -> Result<RoundStats, StoreError> {
        let sq = super::sqlite_err(
            &self.path,
            &format!("record a poll of cluster {}", round.cluster),
        );
        let retention = self.retention.min(i64::MAX as usize) as i64;
        let tx = self.conn.transaction().map_err(&sq)?;
        let mut stats = RoundStats::default();
        for h in &round.health {
            if health_in(&tx, &round.cluster, h).map_err(&sq)? {
                stats.health_events += 1;
            }
        }
        let mut mirrored = None;
        if let Some(jobs) = &round.jobs {
            let known = self.jobs_mirror.take(&tx, &round.cluster).map_err(&sq)?;
            let (written, gone, rows) =
                jobs_in(&tx, &round.cluster, jobs, round.seen_at_ms, known).map_err(&sq)?;
            stats.jobs_written = written;
            stats.jobs_gone = gone;
            mirrored = Some(rows);
        }
        for (job, name, entries) in &round.checkpoints {
            stats.checkpoints_new +=
                checkpoints_in(&tx, &round.cluster, job, name, entries, retention).map_err(&sq)?;
        }
        tx.commit().map_err(&sq)?;
        if let Some(rows) = mirrored {
            self.jobs_mirror.put(&round.cluster, rows);
        }
        Ok(stats)
    }

    /// Records the jobs of one poll, writing only rows that changed. `first_seen` is kept; a
    /// `None` restart count or last checkpoint keeps the previously known value. Jobs the
    /// cluster no longer lists are marked gone (see [`Store::known_jobs`]); a snapshot older
    /// than the newest recorded one updates rows but marks nothing gone.
    pub fn record_jobs(
        &mut self,
        cluster: &str,
        jobs: &[JobSummary],
        seen_at_ms: i64,
    ) -> Result<(), StoreError> {
        let sq = super::sqlite_err(&self.path, &format!("record jobs of cluster {cluster}"));
        let tx = self.conn.transaction().map_err(&sq)?;
        let known = self.jobs_mirror.take(&tx, cluster).map_err(&sq)?;
        let (_, _, rows) = jobs_in(&tx, cluster, jobs, seen_at_ms, known).map_err(&sq)?;
        tx.commit().map_err(&sq)?;
        self.jobs_mirror.put(cluster, rows);
        Ok(())
    }

    /// Forgets what the store knew of `jobs_seen` (after writes other than a poll's).
    pub(super) fn forget_jobs_mirror(&mut self) {
        self.jobs_mirror = JobsMirror::default();
    }

    /// Records the COMPLETED entries (checkpoints and savepoints); others are ignored. Returns
    /// how many rows were new. Afterwards keeps only the newest `retention` checkpoints and,
    /// separately, the newest `retention` savepoints of the job (savepoints are what restores
    /// need, so a busy checkpoint stream must not push them out); entries an app still refers
    /// to are never removed (see [`super::retention`]).
    ///
    /// An entry whose path was recorded earlier by [`Store::record_savepoint`] without an id
    /// replaces that row (it is not counted as new).
    pub fn record_checkpoints(
        &mut self,
        cluster: &str,
        job_id: &str,
        job_name: &str,
        entries: &[CheckpointEntry],
    ) -> Result<usize, StoreError> {
        let sq = super::sqlite_err(
            &self.path,
            &format!("record checkpoints of job {job_id} on cluster {cluster}"),
        );
        let retention = self.retention.min(i64::MAX as usize) as i64;
        let tx = self.conn.transaction().map_err(&sq)?;
        let n = checkpoints_in(&tx, cluster, job_id, job_name, entries, retention).map_err(&sq)?;
        tx.commit().map_err(&sq)?;
        Ok(n)
    }

    /// Appends a health event when the status differs from the cluster's last one. Returns
    /// whether it wrote. Reason and detail are stored with known secrets masked.
    pub fn record_health(
        &mut self,
        cluster: &str,
        health: &ClusterHealth,
    ) -> Result<bool, StoreError> {
        let sq = super::sqlite_err(&self.path, &format!("record health of cluster {cluster}"));
        let tx = self.conn.transaction().map_err(&sq)?;
        let wrote = health_in(&tx, cluster, health).map_err(&sq)?;
        tx.commit().map_err(&sq)?;
        Ok(wrote)
    }

    /// Rows changed by this connection since it was opened (tests measure writes with it).
    pub fn total_changes(&self) -> u64 {
        self.conn.total_changes()
    }
}

fn health_in(conn: &Connection, cluster: &str, health: &ClusterHealth) -> rusqlite::Result<bool> {
    let last: Option<String> = conn
        .prepare_cached(
            "SELECT status FROM health_events WHERE cluster = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![cluster], |r| r.get(0))
        .optional()?;
    if last.as_deref() == Some(health.status.as_str()) {
        return Ok(false);
    }
    conn.prepare_cached(
        "INSERT INTO health_events (cluster, at_ms, status, reason, detail, flink_version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        cluster,
        health.checked_at_ms,
        health.status.as_str(),
        health.reason.as_deref().map(|r| mask(r).into_owned()),
        health.detail.as_deref().map(|d| mask(d).into_owned()),
        health.flink_version,
    ])?;
    conn.prepare_cached(
        "DELETE FROM health_events WHERE cluster = ?1 AND id <= (
            SELECT id FROM health_events WHERE cluster = ?1
            ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![cluster, super::HEALTH_RETENTION as i64])?;
    Ok(true)
}

/// What one `jobs_seen` row holds, as far as telling a change goes: fingerprints of the values
/// a poll replaces, the values a poll may leave unknown, when it was last seen and whether it is
/// marked gone.
#[derive(Debug, Clone)]
pub(super) struct StoredJob {
    /// Name, state, times, tasks (the duration only once the job ended: a running job's grows
    /// every poll and is not a change by itself).
    core: u64,
    restarts: Option<u64>,
    checkpoint: Option<u64>,
    last_seen: i64,
    gone: bool,
}

fn core_print(j: &JobSummary) -> u64 {
    let mut h = DefaultHasher::new();
    (
        &j.name,
        j.state.as_str(),
        j.start_time,
        j.end_time,
        j.end_time.map(|_| j.duration_ms),
        j.last_modification,
        j.tasks_running,
        j.tasks_total,
    )
        .hash(&mut h);
    h.finish()
}

fn checkpoint_print(c: &CheckpointRef) -> u64 {
    let mut h = DefaultHasher::new();
    (
        c.id,
        c.status.as_str(),
        c.completed_at,
        &c.external_path,
        c.is_savepoint,
    )
        .hash(&mut h);
    h.finish()
}

impl StoredJob {
    fn of(j: &JobSummary, last_seen: i64, gone: bool) -> StoredJob {
        StoredJob {
            core: core_print(j),
            restarts: j.restarts,
            checkpoint: j.last_checkpoint.as_ref().map(checkpoint_print),
            last_seen,
            gone,
        }
    }

    /// Whether the freshly polled `new` differs from this row in anything worth a write.
    fn changed_by(&self, new: &JobSummary) -> bool {
        self.core != core_print(new)
            || (new.restarts.is_some() && new.restarts != self.restarts)
            || new
                .last_checkpoint
                .as_ref()
                .is_some_and(|c| Some(checkpoint_print(c)) != self.checkpoint)
    }
}

/// The `jobs_seen` rows of the clusters this connection recorded, kept between poll rounds so a
/// round compares against memory instead of reading back every row of its cluster (10,000 rows
/// every refresh at fleet scale). Valid while no other connection committed (`PRAGMA
/// data_version` unchanged); otherwise the rows are read again.
#[derive(Debug, Default)]
pub(super) struct JobsMirror {
    data_version: Option<i64>,
    clusters: HashMap<String, HashMap<String, StoredJob>>,
}

impl JobsMirror {
    /// The mirrored rows of `cluster`, if still valid (taken out until [`put`](Self::put)
    /// returns them after a commit, so a failed write leaves nothing stale behind).
    fn take(
        &mut self,
        conn: &Connection,
        cluster: &str,
    ) -> rusqlite::Result<Option<HashMap<String, StoredJob>>> {
        let version: i64 = conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if self.data_version != Some(version) {
            self.clusters.clear();
            self.data_version = Some(version);
        }
        Ok(self.clusters.remove(cluster))
    }

    fn put(&mut self, cluster: &str, rows: HashMap<String, StoredJob>) {
        self.clusters.insert(cluster.to_string(), rows);
    }
}

/// Returns (rows written, rows marked gone, the cluster's rows as they now are). `known`: the
/// rows as mirrored after the previous write (read from the table when `None`).
fn jobs_in(
    conn: &Connection,
    cluster: &str,
    jobs: &[JobSummary],
    seen_at_ms: i64,
    known: Option<HashMap<String, StoredJob>>,
) -> rusqlite::Result<(usize, usize, HashMap<String, StoredJob>)> {
    let newest: Option<i64> = conn
        .prepare_cached("SELECT last_jobs_at FROM clusters_seen WHERE cluster = ?1")?
        .query_row(params![cluster], |r| r.get(0))
        .optional()?;
    let late = newest.is_some_and(|n| seen_at_ms < n);
    let mut stored = match known {
        Some(rows) => rows,
        None => stored_jobs(conn, cluster)?,
    };
    let mut written = 0usize;
    {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO jobs_seen (cluster, job_id, name, state, start_time, end_time,
                duration_ms, last_modification, tasks_running, tasks_total, restarts,
                last_cp_id, last_cp_status, last_cp_completed_at, last_cp_path,
                last_cp_is_savepoint, first_seen, last_seen, gone_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                ?16, ?17, ?17, CASE WHEN ?18 THEN ?17 END)
             ON CONFLICT (cluster, job_id) DO UPDATE SET
                name = excluded.name,
                state = excluded.state,
                start_time = excluded.start_time,
                end_time = excluded.end_time,
                duration_ms = excluded.duration_ms,
                last_modification = excluded.last_modification,
                tasks_running = excluded.tasks_running,
                tasks_total = excluded.tasks_total,
                restarts = COALESCE(excluded.restarts, jobs_seen.restarts),
                last_cp_id = COALESCE(excluded.last_cp_id, jobs_seen.last_cp_id),
                last_cp_status = CASE WHEN excluded.last_cp_id IS NULL
                    THEN jobs_seen.last_cp_status ELSE excluded.last_cp_status END,
                last_cp_completed_at = CASE WHEN excluded.last_cp_id IS NULL
                    THEN jobs_seen.last_cp_completed_at
                    ELSE excluded.last_cp_completed_at END,
                last_cp_path = CASE WHEN excluded.last_cp_id IS NULL
                    THEN jobs_seen.last_cp_path ELSE excluded.last_cp_path END,
                last_cp_is_savepoint = CASE WHEN excluded.last_cp_id IS NULL
                    THEN jobs_seen.last_cp_is_savepoint
                    ELSE excluded.last_cp_is_savepoint END,
                last_seen = MAX(jobs_seen.last_seen, excluded.last_seen),
                gone_at = CASE WHEN ?18 THEN jobs_seen.gone_at END",
        )?;
        for j in jobs {
            let old = stored.get(&j.id);
            let unchanged = old.is_some_and(|s| !s.changed_by(j) && (late || !s.gone));
            if unchanged {
                continue;
            }
            // The row as the upsert leaves it.
            let mut row = StoredJob::of(j, seen_at_ms, late);
            if let Some(s) = old {
                row.restarts = j.restarts.or(s.restarts);
                row.checkpoint = row.checkpoint.or(s.checkpoint);
                row.last_seen = s.last_seen.max(seen_at_ms);
                row.gone = late && s.gone;
            }
            let cp = j.last_checkpoint.as_ref();
            stmt.execute(params![
                cluster,
                j.id,
                j.name,
                j.state.as_str(),
                j.start_time,
                j.end_time,
                j.duration_ms,
                j.last_modification,
                j.tasks_running,
                j.tasks_total,
                j.restarts.map(|r| r.min(i64::MAX as u64) as i64),
                cp.map(|c| c.id),
                cp.map(|c| c.status.as_str()),
                cp.and_then(|c| c.completed_at),
                cp.and_then(|c| c.external_path.clone()),
                cp.map(|c| c.is_savepoint),
                seen_at_ms,
                late,
            ])?;
            stored.insert(j.id.clone(), row);
            written += 1;
        }
    }
    let mut gone = 0usize;
    if !late {
        let listed: HashSet<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        let mut stmt = conn.prepare_cached(
            "UPDATE jobs_seen SET gone_at = ?3 WHERE cluster = ?1 AND job_id = ?2",
        )?;
        for (id, row) in stored.iter_mut() {
            // Rows stamped with this very snapshot time belong to it (several callers may
            // record parts of one snapshot).
            if !row.gone && row.last_seen < seen_at_ms && !listed.contains(id.as_str()) {
                stmt.execute(params![cluster, id, seen_at_ms])?;
                row.gone = true;
                gone += 1;
            }
        }
        let count = jobs.len() as i64;
        let known_count: Option<i64> = conn
            .prepare_cached("SELECT job_count FROM clusters_seen WHERE cluster = ?1")?
            .query_row(params![cluster], |r| r.get(0))
            .optional()?;
        if written > 0 || gone > 0 || known_count != Some(count) {
            conn.prepare_cached(
                "INSERT INTO clusters_seen (cluster, last_jobs_at, job_count) VALUES (?1, ?2, ?3)
                 ON CONFLICT (cluster) DO UPDATE SET
                    job_count = CASE WHEN excluded.last_jobs_at >= clusters_seen.last_jobs_at
                        THEN excluded.job_count ELSE clusters_seen.job_count END,
                    last_jobs_at = MAX(clusters_seen.last_jobs_at, excluded.last_jobs_at)",
            )?
            .execute(params![cluster, seen_at_ms, count])?;
        }
    }
    Ok((written, gone, stored))
}

/// Every `jobs_seen` row of `cluster`, by job id.
fn stored_jobs(conn: &Connection, cluster: &str) -> rusqlite::Result<HashMap<String, StoredJob>> {
    let mut stmt = conn.prepare_cached(
        "SELECT job_id, name, state, start_time, end_time, duration_ms,
            last_modification, tasks_running, tasks_total, restarts, last_cp_id,
            last_cp_status, last_cp_completed_at, last_cp_path, last_cp_is_savepoint,
            last_seen, gone_at
         FROM jobs_seen WHERE cluster = ?1",
    )?;
    let rows = stmt.query_map(params![cluster], |r| {
        let j = job_row(cluster, r)?;
        let gone = r.get::<_, Option<i64>>(16)?.is_some();
        Ok((j.id.clone(), StoredJob::of(&j, r.get(15)?, gone)))
    })?;
    rows.collect()
}

/// Deletes a job's rows of one kind (`?4`) older than its `?3`-th newest (none when it has
/// fewer), except protected ones: an index range and a scalar subquery, no temporary tables.
static PRUNE_KIND: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "DELETE FROM checkpoints
         WHERE cluster = ?1 AND job_id = ?2 AND kind = ?4 AND checkpoint_id >= 0
           AND checkpoint_id < (
               SELECT checkpoint_id FROM checkpoints
               WHERE cluster = ?1 AND job_id = ?2 AND kind = ?4 AND checkpoint_id >= 0
               ORDER BY checkpoint_id DESC LIMIT 1 OFFSET ?3 - 1)
           AND NOT {}",
        super::retention::PROTECTED_CHECKPOINT
    )
});

fn checkpoints_in(
    conn: &Connection,
    cluster: &str,
    job_id: &str,
    job_name: &str,
    entries: &[CheckpointEntry],
    retention: i64,
) -> rusqlite::Result<usize> {
    let name = Some(job_name).filter(|n| !n.is_empty());
    // Rows recorded without a name get it once a caller knows it (no write otherwise).
    if let Some(n) = name {
        conn.prepare_cached(
            "UPDATE checkpoints SET job_name = ?3
             WHERE cluster = ?1 AND job_id = ?2 AND job_name IS NULL",
        )?
        .execute(params![cluster, job_id, n])?;
    }
    let completed: Vec<&CheckpointEntry> = entries
        .iter()
        .filter(|e| e.status == CheckpointStatus::Completed)
        .collect();
    if completed.is_empty() {
        return Ok(0);
    }
    // Only ids not stored yet are written.
    let mut known: HashSet<(i64, CheckpointKind)> = HashSet::new();
    {
        let min_id = completed.iter().map(|e| e.id).min().unwrap_or(0);
        let mut stmt = conn.prepare_cached(
            "SELECT checkpoint_id, kind FROM checkpoints
             WHERE cluster = ?1 AND job_id = ?2 AND checkpoint_id >= ?3",
        )?;
        let rows = stmt.query_map(params![cluster, job_id, min_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                CheckpointKind::parse(r.get_ref(1)?.as_str()?),
            ))
        })?;
        for row in rows {
            known.insert(row?);
        }
    }
    let now = crate::domain::time::now_ms();
    let mut inserted = 0usize;
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO checkpoints (cluster, job_id, job_name, checkpoint_id,
            kind, status, checkpoint_type, trigger_ts, completed_at, duration_ms,
            size_bytes, state_size_bytes, external_path, failure_message,
            num_subtasks, num_acknowledged, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
            ?16, ?17)",
    )?;
    let mut replace = conn.prepare_cached(
        "DELETE FROM checkpoints WHERE cluster = ?1 AND job_id = ?2
            AND external_path = ?3 AND checkpoint_id < 0",
    )?;
    // The kinds that got a row: only those can have gone over the retention count.
    let mut wrote: Vec<&str> = Vec::new();
    for e in completed {
        if known.contains(&(e.id, e.kind)) {
            continue;
        }
        let mut replaced = 0usize;
        if let Some(p) = e.external_path.as_deref().filter(|_| e.id >= 0) {
            replaced = replace.execute(params![cluster, job_id, p])?;
        }
        let added = stmt.execute(params![
            cluster,
            job_id,
            name,
            e.id,
            e.kind.as_str(),
            e.status.as_str(),
            e.checkpoint_type,
            e.trigger_timestamp,
            e.completed_at,
            e.duration_ms,
            e.size_bytes,
            e.state_size_bytes,
            e.external_path,
            e.failure_message.as_deref().map(|m| mask(m).into_owned()),
            e.num_subtasks,
            e.num_acknowledged,
            now,
        ])?;
        if added > 0 && !wrote.contains(&e.kind.as_str()) {
            wrote.push(e.kind.as_str());
        }
        inserted += added.saturating_sub(replaced);
    }
    if wrote.is_empty() {
        return Ok(0);
    }
    // Each kind that got a row keeps its newest `retention` (savepoints recorded without an id,
    // negative ids, are not counted: they are few, and Flink replaces them with the real entry
    // once it reports them). As cheap as counting the rows first, so no count is made.
    let mut prune = conn.prepare_cached(&PRUNE_KIND)?;
    for kind in wrote {
        prune.execute(params![cluster, job_id, retention, kind])?;
    }
    Ok(inserted)
}
