//! Tests of the write path off the display path (queued rounds), change-only writes and
//! retention.

use std::time::Duration;

use super::*;
use crate::domain::{AppKind, AppSpec, ClusterHealth, OpKind, OpStatus};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn job(id: &str, state: JobState) -> JobSummary {
    JobSummary {
        cluster: "c1".into(),
        id: id.into(),
        name: format!("name-{id}"),
        state,
        start_time: 1_000,
        end_time: None,
        duration_ms: 5_000,
        last_modification: 2_000,
        tasks_running: 2,
        tasks_total: 2,
        last_checkpoint: None,
        restarts: Some(0),
        stale: false,
        detail_at_ms: None,
        vitals: None,
    }
}

fn cp(id: i64, kind: CheckpointKind, completed_at: i64) -> CheckpointEntry {
    CheckpointEntry {
        id,
        status: CheckpointStatus::Completed,
        kind,
        checkpoint_type: None,
        trigger_timestamp: completed_at - 10,
        completed_at: Some(completed_at),
        duration_ms: Some(10),
        size_bytes: Some(1),
        state_size_bytes: Some(1),
        external_path: Some(format!("file:/x/{}-{id}", kind.as_str())),
        failure_message: None,
        num_subtasks: Some(1),
        num_acknowledged: Some(1),
    }
}

fn health(status: HealthStatus, at: i64) -> ClusterHealth {
    ClusterHealth {
        status,
        reason: None,
        detail: None,
        last_ok_ms: None,
        checked_at_ms: at,
        flink_version: Some("2.3.0".into()),
        failures: 0,
    }
}

fn round(cluster: &str, at: i64, jobs: Vec<JobSummary>) -> PollRound {
    let cps = jobs
        .iter()
        .map(|j| {
            (
                j.id.clone(),
                j.name.clone(),
                (1..=3)
                    .map(|i| cp(i, CheckpointKind::Checkpoint, at - 100 + i))
                    .collect(),
            )
        })
        .collect();
    PollRound {
        cluster: cluster.into(),
        seen_at_ms: at,
        health: vec![health(HealthStatus::Live, at)],
        jobs: Some(jobs.into()),
        checkpoints: cps,
    }
}

#[test]
fn the_same_poll_recorded_twice_writes_nothing_the_second_time() {
    let mut s = Store::open_in_memory().expect("open");
    let jobs: Vec<JobSummary> = (0..50)
        .map(|i| job(&format!("j{i}"), JobState::Running))
        .collect();
    let before = s.total_changes();
    let first = s
        .record_round(&round("c1", 10_000, jobs.clone()))
        .expect("1");
    assert_eq!(first.jobs_written, 50);
    assert_eq!(first.checkpoints_new, 150);
    assert_eq!(first.health_events, 1);
    assert!(s.total_changes() > before);

    // Same poll, a moment later: running jobs' durations grew, nothing else changed.
    let mut later = jobs.clone();
    for j in &mut later {
        j.duration_ms += 2_000;
    }
    let mut r2 = round("c1", 12_000, later);
    r2.checkpoints = round("c1", 10_000, jobs.clone()).checkpoints;
    let before = s.total_changes();
    let second = s.record_round(&r2).expect("2");
    assert_eq!(second, RoundStats::default());
    assert_eq!(s.total_changes(), before, "nothing written the second time");
    assert_eq!(s.known_jobs("c1").expect("known").len(), 50);

    // One job changes state: that row (and the cluster's row) only.
    let mut third = jobs.clone();
    third[7].state = JobState::Failing;
    third[7].last_modification = 3_000;
    let before = s.total_changes();
    let stats = s
        .record_round(&PollRound {
            checkpoints: vec![],
            ..round("c1", 14_000, third)
        })
        .expect("3");
    assert_eq!(stats.jobs_written, 1);
    assert_eq!(s.total_changes() - before, 2, "one job row + clusters_seen");

    // A job that disappears is marked gone once, and is no longer a known job.
    let before = s.total_changes();
    let stats = s
        .record_round(&PollRound {
            checkpoints: vec![],
            ..round("c1", 16_000, jobs[1..].to_vec())
        })
        .expect("4");
    assert_eq!((stats.jobs_written, stats.jobs_gone), (1, 1));
    assert_eq!(
        s.total_changes() - before,
        3,
        "j0 gone, j7 back to RUNNING, count"
    );
    assert_eq!(s.known_jobs("c1").expect("known").len(), 49);
    let before = s.total_changes();
    s.record_round(&PollRound {
        checkpoints: vec![],
        ..round("c1", 18_000, jobs[1..].to_vec())
    })
    .expect("5");
    assert_eq!(s.total_changes(), before);

    // It comes back: one write.
    let stats = s
        .record_round(&PollRound {
            checkpoints: vec![],
            ..round("c1", 20_000, jobs.clone())
        })
        .expect("6");
    assert_eq!(stats.jobs_written, 1);
    assert_eq!(s.known_jobs("c1").expect("known").len(), 50);
}

#[test]
fn migration_3_marks_jobs_missing_from_the_last_poll_as_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("v2.db");
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        for step in &super::schema::MIGRATIONS[..2] {
            conn.execute_batch(step).expect("step");
        }
        conn.execute_batch(
            "PRAGMA user_version = 2;
             INSERT INTO clusters_seen VALUES ('c1', 200, 1);
             INSERT INTO jobs_seen (cluster, job_id, name, state, start_time, first_seen,
                last_seen) VALUES ('c1', 'old', 'o', 'FINISHED', 1, 100, 100),
                ('c1', 'now', 'n', 'RUNNING', 1, 100, 200);",
        )
        .expect("v2 data");
    }
    let s = Store::open(&db).expect("migrate");
    assert_eq!(s.schema_version().expect("v"), SCHEMA_VERSION);
    let known: Vec<String> = s
        .known_jobs("c1")
        .expect("known")
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(known, vec!["now".to_string()]);
}

#[tokio::test]
async fn rounds_are_queued_without_waiting_and_a_newer_round_replaces_an_unwritten_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let handle = StoreHandle::spawn(Store::open(&dir.path().join("s.db")).expect("open"));
    // Hold the store thread busy, as a slow disk would.
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let (busy_tx, busy_rx) = tokio::sync::oneshot::channel::<()>();
    let blocker = handle.clone();
    let blocked = tokio::spawn(async move {
        blocker
            .call(move |_s| {
                let _ = busy_tx.send(());
                let _ = release_rx.recv_timeout(Duration::from_secs(30));
                Ok(())
            })
            .await
    });
    busy_rx.await.expect("store thread busy");

    let started = std::time::Instant::now();
    for i in 0..100i64 {
        let mut jobs = vec![job("j1", JobState::Running)];
        jobs[0].tasks_running = i as u32; // every round differs
        handle.record_round(round("a", 1_000 + i, jobs));
    }
    handle.record_round(round("b", 1_000, vec![job("k1", JobState::Running)]));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "queuing never waits for the store"
    );
    assert_eq!(handle.pending_rounds(), 2, "one pending round per cluster");

    release_tx.send(()).expect("release");
    blocked.await.expect("join").expect("blocker");
    handle.flush().await.expect("flush");
    assert_eq!(handle.pending_rounds(), 0);
    let (a, b) = handle
        .call(|s| Ok((s.known_jobs("a")?, s.known_jobs("b")?)))
        .await
        .expect("read");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].tasks_running, 99, "the newest round of a was written");
    assert_eq!(b.len(), 1);
}

#[test]
fn absorbing_keeps_health_changes_and_checkpoints_of_both_rounds() {
    let mut older = round("a", 1_000, vec![job("j1", JobState::Running)]);
    let mut newer = round("a", 2_000, vec![job("j1", JobState::Failing)]);
    newer.health = vec![health(HealthStatus::Unreachable, 2_000)];
    newer.checkpoints[0].2 = vec![cp(9, CheckpointKind::Checkpoint, 1_950)];
    older.absorb(newer);
    assert_eq!(older.seen_at_ms, 2_000);
    assert_eq!(older.health.len(), 2);
    assert_eq!(
        older.jobs.as_ref().expect("jobs")[0].state,
        JobState::Failing
    );
    let ids: Vec<i64> = older.checkpoints[0].2.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 9]);
}

// ---------------------------------------------------------------------------------------------
// Retention

fn policy() -> RetentionPolicy {
    RetentionPolicy {
        checkpoints_per_job: 3,
        checkpoint_max_age: Duration::from_secs(30 * 86_400),
        health_max_age: Duration::from_secs(30 * 86_400),
        gone_jobs_max_age: Duration::from_secs(30 * 86_400),
        journal_max_age: Duration::from_secs(90 * 86_400),
        interval: Duration::from_secs(3600),
        max_rows_per_run: 10_000,
    }
}

fn app(s: &mut Store, name: &str) {
    s.apply_app(&AppSpec::new(name, "c1", AppKind::Jar), "u", None, 1)
        .expect("app");
}

fn count(s: &Store, sql: &str) -> i64 {
    s.conn.query_row(sql, [], |r| r.get(0)).expect("count")
}

#[test]
fn retention_keeps_the_newest_checkpoints_per_job_and_none_too_old() {
    let now = 100 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    s.set_retention(1_000); // record all, then lower the count as a config change would
    let old = now - 40 * DAY_MS;
    let entries: Vec<CheckpointEntry> = (1..=10)
        .map(|i| {
            cp(
                i,
                CheckpointKind::Checkpoint,
                if i <= 2 { old } else { now - i },
            )
        })
        .collect();
    s.record_checkpoints("c1", "j1", "j", &entries).expect("j1");
    s.record_checkpoints("c1", "j2", "j", &entries[..2])
        .expect("j2, only old ones");
    s.set_policy(policy());
    let r = s.run_retention(now).expect("retention");
    let ids = |job: &str| -> Vec<i64> {
        s.checkpoint_history("c1", job, 100)
            .expect("h")
            .iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(ids("j1"), vec![10, 9, 8], "newest 3 per job");
    assert!(ids("j2").is_empty(), "older than 30 days");
    assert_eq!(r.checkpoints, 7 + 2);
    assert!(!r.more);
    // A second run has nothing left to do.
    assert_eq!(s.run_retention(now).expect("again").total(), 0);
}

#[test]
fn retention_never_prunes_restore_points_or_an_apps_savepoints() {
    let now = 100 * DAY_MS;
    let old = now - 60 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    app(&mut s, "a");
    // j1 is a run of app a; j2 was a run of app a too and restored from j9's checkpoint 1.
    s.insert_run("a", 1, "c1", "j1", old, None).expect("run j1");
    s.insert_run("a", 1, "c1", "j2", old, Some("file:/x/checkpoint-1"))
        .expect("run j2");
    let sps: Vec<CheckpointEntry> = (1..=5)
        .map(|i| cp(i, CheckpointKind::Savepoint, old + i))
        .collect();
    s.record_checkpoints("c1", "j1", "j", &sps)
        .expect("app savepoints");
    s.record_checkpoints("c1", "j3", "j", &sps)
        .expect("savepoints of an unmanaged job");
    s.record_checkpoints("c1", "j9", "j", &[cp(1, CheckpointKind::Checkpoint, old)])
        .expect("restore point");
    s.set_policy(RetentionPolicy {
        checkpoints_per_job: 2,
        ..policy()
    });
    s.run_retention(now).expect("retention");
    assert_eq!(
        s.checkpoint_history("c1", "j1", 100).expect("j1").len(),
        5,
        "an app's savepoints stay, old or many"
    );
    assert!(
        s.checkpoint_history("c1", "j3", 100)
            .expect("j3")
            .is_empty(),
        "an unmanaged job's old savepoints go"
    );
    assert_eq!(
        s.checkpoint_history("c1", "j9", 100).expect("j9").len(),
        1,
        "a run's restore point stays"
    );
    // A final savepoint stays too, even after its app is deleted.
    s.end_run(
        "c1",
        "j1",
        old,
        &JobState::Finished,
        Some("file:/x/savepoint-5"),
    )
    .expect("end run");
    s.delete_app("a", now).expect("delete");
    s.run_retention(now).expect("retention");
    let left: Vec<i64> = s
        .checkpoint_history("c1", "j1", 100)
        .expect("j1")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        left,
        vec![5],
        "the deleted app's savepoints go but the final one"
    );
    assert_eq!(s.checkpoint_history("c1", "j9", 100).expect("j9").len(), 1);
}

/// The pruning each poll round does (`record_checkpoints` over the retention count) keeps the
/// same rows as the retention pass: a run's restore point and final savepoint, and an app's
/// savepoints, stay; the rest of each kind beyond the newest `retention` go.
#[test]
fn poll_round_pruning_keeps_restore_points_and_an_apps_savepoints() {
    let at = 10 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    s.set_retention(2);
    app(&mut s, "a");
    // j2 is app a's run, restored from j1's checkpoint 2; j1 ended with savepoint 1.
    s.insert_run("a", 1, "c1", "j2", at, Some("file:/x/checkpoint-2"))
        .expect("run j2");
    s.insert_run("a", 1, "c1", "j1", at, None).expect("run j1");
    s.end_run(
        "c1",
        "j1",
        at,
        &JobState::Finished,
        Some("file:/x/savepoint-1"),
    )
    .expect("end j1");
    for i in 1..=6 {
        s.record_checkpoints(
            "c1",
            "j1",
            "j",
            &[cp(i, CheckpointKind::Checkpoint, at + i)],
        )
        .expect("j1 checkpoint");
        s.record_checkpoints("c1", "j1", "j", &[cp(i, CheckpointKind::Savepoint, at + i)])
            .expect("j1 savepoint");
        let mut other = cp(i, CheckpointKind::Savepoint, at + i);
        other.external_path = Some(format!("file:/y/savepoint-{i}"));
        s.record_checkpoints("c1", "j3", "j", &[other])
            .expect("j3 savepoint");
    }
    let ids = |s: &Store, job: &str, kind: CheckpointKind| -> Vec<i64> {
        s.checkpoint_history("c1", job, 100)
            .expect("history")
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(
        ids(&s, "j1", CheckpointKind::Checkpoint),
        vec![6, 5, 2],
        "the newest two, and the checkpoint a run was restored from"
    );
    assert_eq!(
        ids(&s, "j1", CheckpointKind::Savepoint),
        vec![6, 5, 4, 3, 2, 1],
        "every savepoint of an app's run stays"
    );
    assert_eq!(
        ids(&s, "j3", CheckpointKind::Savepoint),
        vec![6, 5],
        "an unmanaged job keeps the newest two savepoints"
    );
}

#[test]
fn retention_of_health_events_keeps_the_latest_of_each_cluster() {
    let now = 100 * DAY_MS;
    let old = now - 40 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    s.record_health("c1", &health(HealthStatus::Live, old))
        .expect("1");
    s.record_health("c1", &health(HealthStatus::Unreachable, old + 1))
        .expect("2");
    s.record_health("c2", &health(HealthStatus::Live, old))
        .expect("3");
    s.record_health("c1", &health(HealthStatus::Live, now - 1))
        .expect("4");
    s.set_policy(policy());
    let r = s.run_retention(now).expect("retention");
    assert_eq!(r.health_events, 2);
    assert_eq!(s.health_events("c1", 10).expect("c1").len(), 1);
    assert_eq!(
        s.health_events("c2", 10).expect("c2").len(),
        1,
        "the latest event of a cluster stays, however old"
    );
}

#[test]
fn retention_forgets_jobs_gone_long_ago_unless_an_app_or_the_journal_refers_to_them() {
    let now = 100 * DAY_MS;
    let old = now - 40 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    app(&mut s, "a");
    let jobs = vec![
        job("gone", JobState::Finished),
        job("run", JobState::Finished),
        job("pending", JobState::Running),
        job("recent", JobState::Finished),
    ];
    s.record_jobs("c1", &jobs, old - 10).expect("seen");
    s.record_jobs("c1", &jobs[3..], old).expect("three gone");
    s.record_jobs("c1", &[], now - DAY_MS).expect("recent gone");
    s.insert_run("a", 1, "c1", "run", old - 20, None)
        .expect("run");
    s.op_begin(OpKind::Stop, None, "c1", Some("pending"), None, "{}", old)
        .expect("unsettled");
    s.set_policy(policy());
    let r = s.run_retention(now).expect("retention");
    assert_eq!(r.jobs, 1);
    let left: Vec<String> = {
        let mut stmt = s
            .conn
            .prepare("SELECT job_id FROM jobs_seen ORDER BY job_id")
            .expect("prep");
        let rows = stmt.query_map([], |r| r.get(0)).expect("q");
        rows.collect::<Result<_, _>>().expect("rows")
    };
    assert_eq!(left, vec!["pending", "recent", "run"]);
}

#[test]
fn retention_never_prunes_unsettled_or_live_apps_journal_entries() {
    let now = 200 * DAY_MS;
    let old = now - 100 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    app(&mut s, "live");
    app(&mut s, "gone");
    let settled = |s: &mut Store, app: Option<&str>| {
        let id = s
            .op_begin(OpKind::Stop, app, "c1", Some("j"), None, "{}", old)
            .expect("begin");
        s.op_settle(id, OpStatus::Succeeded, "ok", old)
            .expect("settle");
        id
    };
    let live = settled(&mut s, Some("live"));
    let gone = settled(&mut s, Some("gone"));
    let none = settled(&mut s, None);
    let unsettled = s
        .op_begin(OpKind::Savepoint, None, "c1", Some("j"), None, "{}", old)
        .expect("unsettled");
    s.delete_app("gone", old).expect("delete");
    s.set_policy(policy());
    let r = s.run_retention(now).expect("retention");
    assert_eq!(r.operations, 2);
    assert!(
        s.op(live).expect("op").is_some(),
        "a live app's journal stays"
    );
    assert!(s.op(unsettled).expect("op").is_some(), "unsettled stays");
    assert!(s.op(gone).expect("op").is_none());
    assert!(s.op(none).expect("op").is_none());
}

#[test]
fn retention_work_per_run_is_bounded() {
    let now = 100 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    for i in 0..5 {
        s.record_health(
            "c1",
            &health(
                if i % 2 == 0 {
                    HealthStatus::Live
                } else {
                    HealthStatus::Unreachable
                },
                i,
            ),
        )
        .expect("h");
    }
    s.set_policy(RetentionPolicy {
        max_rows_per_run: 2,
        ..policy()
    });
    let r = s.run_retention(now).expect("1");
    assert_eq!(r.health_events, 2);
    assert!(r.more);
    assert_eq!(s.run_retention(now).expect("2").health_events, 2);
    assert_eq!(s.run_retention(now).expect("3").health_events, 0);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM health_events"), 1);
}

#[test]
fn stored_messages_are_masked() {
    crate::config::secret::register("store-secret-token-77");
    let mut s = Store::open_in_memory().expect("open");
    let mut h = health(HealthStatus::Unreachable, 1);
    h.reason = Some("500: Authorization: Bearer store-secret-token-77".into());
    h.detail = Some("body: store-secret-token-77".into());
    s.record_health("c1", &h).expect("h");
    let mut e = cp(1, CheckpointKind::Checkpoint, 5);
    e.failure_message = Some("x store-secret-token-77".into());
    s.record_checkpoints("c1", "j", "j", &[e]).expect("cp");
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM health_events WHERE reason LIKE '%store-secret%'
                OR detail LIKE '%store-secret%'"
        ),
        0
    );
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM checkpoints WHERE failure_message LIKE '%store-secret%'"
        ),
        0
    );
    assert_eq!(
        s.health_events("c1", 1).expect("ev")[0].2.as_deref(),
        Some("500: Authorization: Bearer ***")
    );
}

#[tokio::test]
async fn the_store_thread_runs_retention_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("s.db");
    {
        let mut s = Store::open(&db).expect("open");
        s.record_health("c1", &health(HealthStatus::Live, 1))
            .expect("1");
        s.record_health("c1", &health(HealthStatus::Unreachable, 2))
            .expect("2");
    }
    let mut s = Store::open(&db).expect("reopen");
    s.set_policy(policy());
    let handle = StoreHandle::spawn(s);
    let start = std::time::Instant::now();
    loop {
        let n = handle
            .call(|s| s.health_events("c1", 10).map(|e| e.len()))
            .await
            .expect("read");
        if n == 1 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "retention never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Rounds compare against the rows this connection wrote last (not read back every round);
/// when another process wrote meanwhile (a `flinkdeck jobs` run beside the console), the rows
/// are read again, so a value it overwrote is put back by the next round that sees it.
#[test]
fn rows_written_by_another_connection_are_read_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flinkdeck.db");
    let mut console = Store::open(&path).expect("open");
    let mut other = Store::open(&path).expect("open again");
    let jobs = vec![job("a", JobState::Running), job("b", JobState::Running)];
    console.record_jobs("c1", &jobs, 10_000).expect("1");
    // The same poll again: nothing to write (compared in memory).
    let before = console.total_changes();
    console.record_jobs("c1", &jobs, 12_000).expect("2");
    assert_eq!(console.total_changes(), before);
    // Another process records job a as failed.
    let mut failed = jobs.clone();
    failed[0].state = JobState::Failed;
    other.record_jobs("c1", &failed, 13_000).expect("other");
    let state = |s: &Store| {
        s.known_jobs("c1")
            .expect("known")
            .into_iter()
            .find(|j| j.id == "a")
            .map(|j| j.state)
    };
    assert_eq!(state(&console), Some(JobState::Failed));
    // The console's next round sees it running again and writes that back.
    console.record_jobs("c1", &jobs, 14_000).expect("3");
    assert_eq!(state(&other), Some(JobState::Running));
    // And then, with no other writer, writes nothing again.
    let before = console.total_changes();
    console.record_jobs("c1", &jobs, 16_000).expect("4");
    assert_eq!(console.total_changes(), before);
}

#[test]
fn retention_forgets_restart_attempts_older_than_the_journal_age() {
    use crate::domain::restart::{RestartEvent, RestartRecord};
    let now = 200 * DAY_MS;
    let mut s = Store::open_in_memory().expect("open");
    for at in [now - 100 * DAY_MS, now - DAY_MS] {
        s.record_restart(&RestartRecord {
            id: 0,
            app: "a".into(),
            cluster: "c1".into(),
            failed_job: format!("j{at}"),
            at,
            event: RestartEvent::Attempt,
            attempt: 1,
            ok: true,
            job_id: None,
            restored_from: None,
            detail: "started".into(),
        })
        .expect("record");
    }
    s.set_policy(policy());
    let r = s.run_retention(now).expect("retention");
    assert_eq!(r.restarts, 1);
    let left = s.restarts("a", 0).expect("read");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].at, now - DAY_MS);
}

#[tokio::test]
async fn a_clusters_rounds_are_written_at_most_every_spacing_and_flush_writes_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let handle = StoreHandle::spawn(Store::open(&dir.path().join("s.db")).expect("open"));
    let known = |h: &StoreHandle| {
        let h = h.clone();
        async move {
            h.call(|s| s.known_jobs("a"))
                .await
                .expect("read")
                .into_iter()
                .map(|j| j.tasks_running)
                .collect::<Vec<_>>()
        }
    };
    let polled = |tasks: u32| {
        let mut jobs = vec![job("j1", JobState::Running)];
        jobs[0].tasks_running = tasks;
        jobs
    };
    // The first round of a cluster is written at once.
    handle.record_round(round("a", 1_000, polled(1)));
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while handle.pending_rounds() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(known(&handle).await, vec![1]);
    // The next ones wait for the spacing, merged into one pending round.
    handle.record_round(round("a", 2_000, polled(2)));
    handle.record_round(round("a", 3_000, polled(3)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(handle.pending_rounds(), 1, "held, as one round");
    assert_eq!(
        known(&handle).await,
        vec![1],
        "not written before the spacing"
    );
    assert!(super::handle::ROUND_SPACING >= Duration::from_secs(5));
    // A flush writes it now: the newest list.
    handle.flush().await.expect("flush");
    assert_eq!(handle.pending_rounds(), 0);
    assert_eq!(known(&handle).await, vec![3]);
}
