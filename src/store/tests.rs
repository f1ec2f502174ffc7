use super::*;
use crate::domain::{CheckpointRef, ClusterHealth};

fn job(id: &str, name: &str, state: JobState) -> JobSummary {
    JobSummary {
        cluster: "c1".into(),
        id: id.into(),
        name: name.into(),
        state,
        start_time: 1_000,
        end_time: None,
        duration_ms: 5_000,
        last_modification: 2_000,
        tasks_running: 2,
        tasks_total: 2,
        last_checkpoint: None,
        restarts: None,
        stale: false,
        detail_at_ms: None,
        vitals: None,
    }
}

fn cp(id: i64, kind: CheckpointKind, status: CheckpointStatus) -> CheckpointEntry {
    CheckpointEntry {
        id,
        status,
        kind,
        checkpoint_type: Some(match kind {
            CheckpointKind::Checkpoint => "CHECKPOINT".into(),
            CheckpointKind::Savepoint => "SAVEPOINT".into(),
        }),
        trigger_timestamp: 1_000 + id,
        completed_at: Some(1_100 + id),
        duration_ms: Some(100),
        size_bytes: Some(1980),
        state_size_bytes: Some(1980),
        external_path: Some(format!("file:/tmp/chk/chk-{id}")),
        failure_message: None,
        num_subtasks: Some(2),
        num_acknowledged: Some(2),
    }
}

fn health(status: HealthStatus, at: i64, reason: Option<&str>) -> ClusterHealth {
    ClusterHealth {
        status,
        reason: reason.map(str::to_string),
        detail: reason.map(|r| format!("{r} (full chain)")),
        last_ok_ms: None,
        checked_at_ms: at,
        flink_version: Some("2.3.0".into()),
        failures: 0,
    }
}

#[test]
fn migrations_are_idempotent_and_file_db_uses_wal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/dir/flinkdeck.db");
    {
        let mut s = Store::open(&path).expect("first open");
        assert_eq!(s.schema_version().expect("version"), SCHEMA_VERSION);
        assert_eq!(s.journal_mode().expect("mode"), "wal");
        s.record_jobs("c1", &[job("j1", "demo", JobState::Running)], 10)
            .expect("record");
    }
    let s = Store::open(&path).expect("second open");
    assert_eq!(s.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(s.journal_mode().expect("mode"), "wal");
    assert_eq!(s.known_jobs("c1").expect("known").len(), 1);
    // foreign_keys is on for every connection.
    let fk: i64 = s
        .conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(fk, 1);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("flinkdeck.db");
    {
        let s = Store::open(&path).expect("open");
        s.conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 7)
            .expect("bump");
    }
    let err = Store::open(&path).expect_err("must refuse");
    match &err {
        StoreError::TooNew { found, known, .. } => {
            assert_eq!(*found, SCHEMA_VERSION + 7);
            assert_eq!(*known, SCHEMA_VERSION);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains("newer flinkdeck"), "{msg}");
}

#[test]
fn open_reports_the_path_when_the_directory_cannot_be_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").expect("write");
    let err = Store::open(&blocker.join("sub/flinkdeck.db")).expect_err("must fail");
    assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
    assert!(err.to_string().contains("sub/flinkdeck.db"), "{err}");
}

#[test]
fn known_jobs_roundtrip_keeps_last_known_values() {
    let mut s = Store::open_in_memory().expect("open");
    let mut j1 = job("j1", "demo-steady", JobState::Running);
    j1.restarts = Some(3);
    j1.last_checkpoint = Some(CheckpointRef {
        id: 45,
        status: CheckpointStatus::Completed,
        completed_at: Some(1_795_246_872_650),
        external_path: Some("file:/ck/chk-45".into()),
        is_savepoint: false,
    });
    let mut j2 = job("j2", "demo-flaky", JobState::Restarting);
    j2.start_time = 2_000;
    j2.end_time = Some(9_000);
    s.record_jobs("c1", &[j1.clone(), j2.clone()], 100)
        .expect("record");
    s.record_jobs("other", &[job("x", "elsewhere", JobState::Failed)], 100)
        .expect("record other");

    let known = s.known_jobs("c1").expect("known");
    assert_eq!(known.len(), 2);
    // Newest start first.
    assert_eq!(known[0].id, "j2");
    assert_eq!(known[0].end_time, Some(9_000));
    assert_eq!(known[0].state, JobState::Restarting);
    let k1 = &known[1];
    assert!(k1.stale);
    assert_eq!(k1.cluster, "c1");
    assert_eq!(k1.name, "demo-steady");
    assert_eq!(k1.restarts, Some(3));
    assert_eq!(k1.last_checkpoint, j1.last_checkpoint);
    assert_eq!(
        JobSummary {
            stale: false,
            detail_at_ms: None,
            vitals: None,
            ..k1.clone()
        },
        j1
    );

    // A later poll without restarts/checkpoint keeps the known ones; j2 is gone from the
    // cluster, so it is not part of the last known list any more.
    let mut j1b = job("j1", "demo-steady", JobState::Failing);
    j1b.duration_ms = 6_000;
    s.record_jobs("c1", &[j1b], 200).expect("record again");
    let known = s.known_jobs("c1").expect("known");
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].state, JobState::Failing);
    assert_eq!(known[0].duration_ms, 6_000);
    assert_eq!(known[0].restarts, Some(3));
    assert_eq!(known[0].last_checkpoint.as_ref().map(|c| c.id), Some(45));
    let first_seen: i64 = s
        .conn
        .query_row(
            "SELECT first_seen FROM jobs_seen WHERE cluster='c1' AND job_id='j1'",
            [],
            |r| r.get(0),
        )
        .expect("first_seen");
    assert_eq!(first_seen, 100);
    assert!(s.known_jobs("nobody").expect("empty").is_empty());

    // A poll that found no jobs at all empties the known list.
    s.record_jobs("other", &[], 150).expect("empty poll");
    assert!(s.known_jobs("other").expect("known").is_empty());
    // An older snapshot arriving late does not replace the newer one.
    s.record_jobs("c1", &[job("late", "late", JobState::Running)], 50)
        .expect("late");
    assert_eq!(s.known_jobs("c1").expect("known")[0].id, "j1");

    // An unknown state string from a newer Flink survives the round trip.
    s.record_jobs("c1", &[job("j3", "x", JobState::parse("DRAINING"))], 300)
        .expect("record");
    assert_eq!(
        s.known_jobs("c1").expect("known")[0].state,
        JobState::Unknown("DRAINING".into())
    );
}

#[test]
fn checkpoints_dedupe_and_only_completed() {
    let mut s = Store::open_in_memory().expect("open");
    let entries = vec![
        cp(3, CheckpointKind::Checkpoint, CheckpointStatus::Completed),
        cp(2, CheckpointKind::Checkpoint, CheckpointStatus::Failed),
        cp(1, CheckpointKind::Checkpoint, CheckpointStatus::Completed),
        cp(4, CheckpointKind::Checkpoint, CheckpointStatus::InProgress),
        cp(5, CheckpointKind::Savepoint, CheckpointStatus::Completed),
    ];
    assert_eq!(
        s.record_checkpoints("c1", "j1", "demo", &entries)
            .expect("record"),
        3
    );
    // Seen again in the next poll: nothing new.
    assert_eq!(
        s.record_checkpoints("c1", "j1", "demo", &entries)
            .expect("again"),
        0
    );
    // Same ids on another cluster are separate rows.
    assert_eq!(
        s.record_checkpoints("c2", "j1", "", &entries[..1])
            .expect("other cluster"),
        1
    );

    let hist = s.checkpoint_history("c1", "j1", 10).expect("history");
    let ids: Vec<(i64, CheckpointKind)> = hist.iter().map(|e| (e.id, e.kind)).collect();
    assert_eq!(
        ids,
        vec![
            (5, CheckpointKind::Savepoint),
            (3, CheckpointKind::Checkpoint),
            (1, CheckpointKind::Checkpoint)
        ]
    );
    assert_eq!(hist[1], entries[0], "all fields round-trip");
    assert_eq!(s.checkpoint_history("c1", "j1", 1).expect("limit").len(), 1);

    let across = s.checkpoints_for_job_id("j1", 10).expect("across");
    assert_eq!(across.len(), 4);
    assert_eq!(across[0].0, "c1");
    assert_eq!(across[0].1.id, 5);
    assert!(across.iter().any(|(c, e)| c == "c2" && e.id == 3));
    assert!(s
        .checkpoints_for_job_id("nope", 10)
        .expect("none")
        .is_empty());

    // The empty job name from c2 was filled in later by a caller that knew it.
    s.record_checkpoints("c2", "j1", "demo", &[]).expect("name");
    let name: Option<String> = s
        .conn
        .query_row(
            "SELECT job_name FROM checkpoints WHERE cluster='c2'",
            [],
            |r| r.get(0),
        )
        .expect("name");
    assert_eq!(name.as_deref(), Some("demo"));
}

#[test]
fn retention_prunes_per_job_and_kind() {
    let mut s = Store::open_in_memory().expect("open");
    s.set_retention(5);
    let checkpoints: Vec<CheckpointEntry> = (1..=12)
        .map(|i| cp(i, CheckpointKind::Checkpoint, CheckpointStatus::Completed))
        .collect();
    let savepoints: Vec<CheckpointEntry> = [2, 6]
        .iter()
        .map(|i| cp(*i, CheckpointKind::Savepoint, CheckpointStatus::Completed))
        .collect();
    s.record_checkpoints("c1", "j1", "demo", &savepoints)
        .expect("savepoints");
    // Arrive in several polls, oldest first, like the poller sees them.
    for chunk in checkpoints.chunks(4) {
        s.record_checkpoints("c1", "j1", "demo", chunk)
            .expect("record");
    }
    s.record_checkpoints("c1", "j2", "other", &checkpoints[..3])
        .expect("other job");

    let hist = s.checkpoint_history("c1", "j1", 100).expect("history");
    let cps: Vec<i64> = hist
        .iter()
        .filter(|e| e.kind == CheckpointKind::Checkpoint)
        .map(|e| e.id)
        .collect();
    assert_eq!(cps, vec![12, 11, 10, 9, 8]);
    let sps: Vec<i64> = hist
        .iter()
        .filter(|e| e.kind == CheckpointKind::Savepoint)
        .map(|e| e.id)
        .collect();
    assert_eq!(
        sps,
        vec![6, 2],
        "savepoints are not pushed out by checkpoints"
    );
    assert_eq!(s.checkpoint_history("c1", "j2", 100).expect("j2").len(), 3);

    // A pruned (old) checkpoint seen again is inserted, then pruned again at once.
    s.record_checkpoints("c1", "j1", "demo", &checkpoints[..1])
        .expect("old again");
    let hist = s.checkpoint_history("c1", "j1", 100).expect("history");
    assert_eq!(hist.len(), 7);
    assert!(!hist.iter().any(|e| e.id == 1));
}

#[test]
fn health_events_only_on_change() {
    let mut s = Store::open_in_memory().expect("open");
    assert!(s
        .record_health("c1", &health(HealthStatus::Live, 1, None))
        .expect("1"));
    assert!(!s
        .record_health("c1", &health(HealthStatus::Live, 2, None))
        .expect("2"));
    assert!(s
        .record_health("c1", &health(HealthStatus::Unreachable, 3, Some("refused")))
        .expect("3"));
    assert!(!s
        .record_health(
            "c1",
            &health(HealthStatus::Unreachable, 4, Some("timeout after 5s"))
        )
        .expect("4"));
    // Another cluster has its own history.
    assert!(s
        .record_health("c2", &health(HealthStatus::Live, 4, None))
        .expect("c2"));
    assert!(s
        .record_health("c1", &health(HealthStatus::Live, 5, None))
        .expect("5"));

    let ev = s.health_events("c1", 10).expect("events");
    assert_eq!(
        ev,
        vec![
            (5, HealthStatus::Live, None),
            (3, HealthStatus::Unreachable, Some("refused".to_string())),
            (1, HealthStatus::Live, None),
        ]
    );
    assert_eq!(s.health_events("c1", 1).expect("limit").len(), 1);
    assert_eq!(s.health_events("c2", 10).expect("c2").len(), 1);
}

#[test]
fn corrupt_rows_are_errors_not_panics() {
    let mut s = Store::open_in_memory().expect("open");
    s.record_health("c1", &health(HealthStatus::Live, 1, None))
        .expect("record");
    s.conn
        .execute("UPDATE health_events SET status = 'SIDEWAYS'", [])
        .expect("corrupt");
    let err = s.health_events("c1", 10).expect_err("must fail");
    assert!(err.to_string().contains("SIDEWAYS"), "{err}");
    assert!(err.to_string().contains(":memory:"), "{err}");
}

#[tokio::test]
async fn handle_runs_calls_on_the_store_thread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("s.db")).expect("open");
    let handle = StoreHandle::spawn(store);
    let thread = handle
        .call(|_s| {
            Ok(std::thread::current()
                .name()
                .map(str::to_string)
                .unwrap_or_default())
        })
        .await
        .expect("call");
    assert_eq!(thread, "flinkdeck-store");

    // Many concurrent callers (more than the queue holds) all get their answers.
    let mut tasks = Vec::new();
    for i in 0..600i64 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            h.call(move |s| {
                s.record_jobs("c1", &[job(&format!("j{i}"), "x", JobState::Running)], 7)?;
                Ok(i)
            })
            .await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.expect("join").expect("call"), i as i64);
    }
    let n = handle
        .call(|s| s.known_jobs("c1").map(|j| j.len()))
        .await
        .expect("count");
    assert_eq!(n, 600);

    // Errors come back as errors; a panicking call does not stop the thread.
    let err = handle
        .call(|s| -> Result<(), StoreError> {
            Err(StoreError::Decode {
                path: s.path().to_string(),
                op: "test".into(),
                message: "boom".into(),
            })
        })
        .await
        .expect_err("error");
    assert!(err.to_string().contains("boom"));
    let panicked = handle
        .call(|_s| -> Result<(), StoreError> { panic!("deliberate") })
        .await;
    assert!(matches!(panicked, Err(StoreError::Closed(_))));
    assert_eq!(
        handle
            .call(|s| s.schema_version())
            .await
            .expect("still alive"),
        SCHEMA_VERSION
    );
}
