//! Tests of schema version 2: runs, restore points, savepoints learned from trigger results, the
//! operations journal, the audit trail and the migration from version 1.

use rusqlite::Connection;

use super::*;
use crate::domain::{AppKind, AppSpec, AuditEntry, JobKey, OpKind, OpStatus};

/// A restore point as (path, kind, id, completed_at, job id).
type PointRow<'a> = (
    &'a str,
    CheckpointKind,
    Option<i64>,
    Option<i64>,
    Option<&'a str>,
);

fn spec(name: &str) -> AppSpec {
    AppSpec {
        jar_file: Some("/opt/jobs/wordcount.jar".into()),
        entry_class: Some("org.example.WordCount".into()),
        args: vec!["--x".into(), "1".into()],
        allow_non_restored_state: true,
        ..AppSpec::new(name, "c1", AppKind::Jar)
    }
}

fn cp(id: i64, kind: CheckpointKind, completed_at: i64, path: Option<&str>) -> CheckpointEntry {
    CheckpointEntry {
        id,
        status: CheckpointStatus::Completed,
        kind,
        checkpoint_type: None,
        trigger_timestamp: completed_at - 10,
        completed_at: Some(completed_at),
        duration_ms: Some(10),
        size_bytes: None,
        state_size_bytes: None,
        external_path: path.map(str::to_string),
        failure_message: None,
        num_subtasks: None,
        num_acknowledged: None,
    }
}

/// A store with app `a` (versions 1 and 2) and app `b` (version 1).
fn store_with_apps() -> Store {
    let mut s = Store::open_in_memory().expect("open");
    s.apply_app(&spec("a"), "u", None, 1).expect("a1");
    let mut a2 = spec("a");
    a2.args.push("--y".into());
    s.apply_app(&a2, "u", None, 2).expect("a2");
    s.apply_app(&spec("b"), "u", None, 3).expect("b1");
    s
}

#[test]
fn runs_roundtrip_and_guard_their_keys() {
    let mut s = store_with_apps();
    let r1 = s.insert_run("a", 1, "c1", "j1", 100, None).expect("run 1");
    let r2 = s
        .insert_run("a", 2, "c1", "j2", 200, Some("file:/sp/sp-1"))
        .expect("run 2");
    assert_ne!(r1, r2);
    // The same job again for the same app: the existing run, unchanged.
    assert_eq!(
        s.insert_run("a", 2, "c1", "j1", 999, Some("x"))
            .expect("again"),
        r1
    );
    // ... for another app: refused.
    let e = s
        .insert_run("b", 1, "c1", "j1", 300, None)
        .expect_err("other app");
    assert!(matches!(e, StoreError::Invalid { .. }), "{e:?}");
    assert!(e.to_string().contains("run 1 of app a"), "{e}");
    // Unknown app or version.
    let e = s
        .insert_run("a", 9, "c1", "j9", 300, None)
        .expect_err("no version");
    assert!(e.to_string().contains("app a has no version 9"), "{e}");
    assert!(s.insert_run("zz", 1, "c1", "j9", 300, None).is_err());
    // The same job id on another cluster is another run.
    let r3 = s.insert_run("b", 1, "c2", "j1", 300, None).expect("run 3");

    let runs = s.runs("a", 10).expect("runs");
    assert_eq!(runs.iter().map(|r| r.id).collect::<Vec<_>>(), vec![r2, r1]);
    let latest = s.latest_run("a").expect("latest").expect("some");
    assert_eq!(latest.id, r2);
    assert_eq!(latest.version, 2);
    assert_eq!(latest.restored_from.as_deref(), Some("file:/sp/sp-1"));
    assert_eq!(latest.restore_verified, None);
    assert_eq!(latest.ended_at, None);
    assert_eq!(s.runs("a", 1).expect("limit").len(), 1);
    assert!(s.latest_run("nope").expect("none").is_none());
    assert_eq!(
        s.run_by_job("c2", "j1").expect("by job").map(|r| r.id),
        Some(r3)
    );
    assert!(s.run_by_job("c3", "j1").expect("none").is_none());
    assert_eq!(
        s.job_apps().expect("job apps"),
        vec![
            (JobKey::new("c1", "j1"), "a".to_string()),
            (JobKey::new("c1", "j2"), "a".to_string()),
            (JobKey::new("c2", "j1"), "b".to_string()),
        ]
    );

    s.set_run_restore_verified(r2, true).expect("verified");
    assert_eq!(
        s.run_by_job("c1", "j2")
            .expect("read")
            .and_then(|r| r.restore_verified),
        Some(true)
    );
    s.set_run_restore_verified(r2, false).expect("mismatch");
    assert_eq!(
        s.latest_run("a")
            .expect("read")
            .and_then(|r| r.restore_verified),
        Some(false)
    );
    assert!(s.set_run_restore_verified(4242, true).is_err());
}

#[test]
fn end_run_first_terminal_observation_wins() {
    let mut s = store_with_apps();
    s.insert_run("a", 1, "c1", "j1", 100, None).expect("run");
    s.insert_run("b", 1, "c1", "j2", 100, None).expect("run");
    assert_eq!(s.open_runs().expect("open").len(), 2);

    assert!(s
        .end_run("c1", "j1", 500, &JobState::Finished, None)
        .expect("end"));
    // A later observation changes nothing...
    assert!(!s
        .end_run("c1", "j1", 600, &JobState::Failed, None)
        .expect("again"));
    // ... except filling in the savepoint, once.
    assert!(s
        .end_run("c1", "j1", 700, &JobState::Canceled, Some("file:/sp/sp-9"))
        .expect("savepoint"));
    assert!(!s
        .end_run("c1", "j1", 800, &JobState::Canceled, Some("file:/sp/other"))
        .expect("kept"));
    let run = s.run_by_job("c1", "j1").expect("read").expect("run");
    assert_eq!(run.ended_at, Some(500));
    assert_eq!(run.final_state, Some(JobState::Finished));
    assert_eq!(run.final_savepoint.as_deref(), Some("file:/sp/sp-9"));
    // Not a run of any app.
    assert!(!s
        .end_run("c1", "unmanaged", 1, &JobState::Failed, None)
        .expect("unknown"));

    // Savepoint and end in one call.
    assert!(s
        .end_run("c1", "j2", 900, &JobState::Finished, Some("file:/sp/sp-10"))
        .expect("end"));
    let run = s.run_by_job("c1", "j2").expect("read").expect("run");
    assert_eq!(
        (run.ended_at, run.final_savepoint.as_deref()),
        (Some(900), Some("file:/sp/sp-10"))
    );
    assert!(s.open_runs().expect("open").is_empty());
}

#[test]
fn restore_points_merge_checkpoints_savepoints_and_final_savepoints() {
    let mut s = store_with_apps();
    s.insert_run("a", 1, "c1", "j1", 100, None).expect("run 1");
    s.insert_run("a", 2, "c1", "j2", 2_000, Some("file:/sp/sp-j1"))
        .expect("run 2");
    s.insert_run("b", 1, "c1", "jb", 100, None).expect("run b");
    s.record_checkpoints(
        "c1",
        "j1",
        "a",
        &[
            cp(
                1,
                CheckpointKind::Checkpoint,
                1_000,
                Some("file:/ck/j1/chk-1"),
            ),
            cp(
                2,
                CheckpointKind::Checkpoint,
                1_100,
                Some("file:/ck/j1/chk-2"),
            ),
            cp(3, CheckpointKind::Savepoint, 1_500, Some("file:/sp/sp-j1")),
            cp(4, CheckpointKind::Checkpoint, 1_600, None),
        ],
    )
    .expect("j1");
    s.record_checkpoints(
        "c1",
        "j2",
        "a",
        &[cp(
            8,
            CheckpointKind::Checkpoint,
            3_000,
            Some("file:/ck/j2/chk-8"),
        )],
    )
    .expect("j2");
    // Another app's job and a job nobody runs are not restore points of `a`.
    s.record_checkpoints(
        "c1",
        "jb",
        "b",
        &[cp(
            5,
            CheckpointKind::Checkpoint,
            9_000,
            Some("file:/ck/jb"),
        )],
    )
    .expect("jb");
    s.record_checkpoints(
        "c2",
        "j1",
        "x",
        &[cp(
            5,
            CheckpointKind::Checkpoint,
            9_000,
            Some("file:/ck/c2"),
        )],
    )
    .expect("c2");
    // Run 1 ended with the savepoint Flink also listed (deduplicated), run 2 with one Flink
    // never listed.
    s.end_run(
        "c1",
        "j1",
        1_600,
        &JobState::Finished,
        Some("file:/sp/sp-j1"),
    )
    .expect("end 1");
    s.end_run(
        "c1",
        "j2",
        4_000,
        &JobState::Finished,
        Some("file:/sp/sp-j2"),
    )
    .expect("end 2");

    let points = s.app_restore_points("a", 10).expect("points");
    let got: Vec<PointRow<'_>> = points
        .iter()
        .map(|p| {
            (
                p.path.as_str(),
                p.kind,
                p.id,
                p.completed_at,
                p.job_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "file:/sp/sp-j2",
                CheckpointKind::Savepoint,
                None,
                Some(4_000),
                Some("j2")
            ),
            (
                "file:/ck/j2/chk-8",
                CheckpointKind::Checkpoint,
                Some(8),
                Some(3_000),
                Some("j2")
            ),
            (
                "file:/sp/sp-j1",
                CheckpointKind::Savepoint,
                Some(3),
                Some(1_500),
                Some("j1")
            ),
            (
                "file:/ck/j1/chk-2",
                CheckpointKind::Checkpoint,
                Some(2),
                Some(1_100),
                Some("j1")
            ),
            (
                "file:/ck/j1/chk-1",
                CheckpointKind::Checkpoint,
                Some(1),
                Some(1_000),
                Some("j1")
            ),
        ]
    );
    let two: Vec<String> = s
        .app_restore_points("a", 2)
        .expect("limit")
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(two, vec!["file:/sp/sp-j2", "file:/ck/j2/chk-8"]);
    // With a limit that cuts checkpoint rows off, a final savepoint Flink listed as an older
    // row stays out (it is older than what was kept), and is not duplicated.
    let three: Vec<String> = s
        .app_restore_points("a", 3)
        .expect("limit")
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(
        three,
        vec!["file:/sp/sp-j2", "file:/ck/j2/chk-8", "file:/sp/sp-j1"]
    );
    assert!(s.app_restore_points("a", 0).expect("zero").is_empty());
    assert!(s.app_restore_points("nope", 5).expect("none").is_empty());
    assert_eq!(s.app_restore_points("b", 5).expect("b").len(), 1);
}

#[test]
fn savepoints_from_trigger_results_are_recorded_once() {
    let mut s = store_with_apps();
    s.insert_run("a", 1, "c1", "j1", 100, None).expect("run");
    s.record_jobs(
        "c1",
        &[JobSummary {
            cluster: "c1".into(),
            id: "j1".into(),
            name: "orders".into(),
            state: JobState::Running,
            start_time: 100,
            end_time: None,
            duration_ms: 0,
            last_modification: 0,
            tasks_running: 1,
            tasks_total: 1,
            last_checkpoint: None,
            restarts: None,
            stale: false,
            detail_at_ms: None,
            vitals: None,
        }],
        150,
    )
    .expect("jobs");
    s.record_checkpoints(
        "c1",
        "j1",
        "",
        &[cp(
            7,
            CheckpointKind::Checkpoint,
            1_000,
            Some("file:/ck/chk-7"),
        )],
    )
    .expect("checkpoints");

    // Id unknown: a negative id, listed first in the history, no id as a restore point.
    s.record_savepoint("c1", "j1", "file:/sp/sp-a", 2_000, None)
        .expect("record");
    s.record_savepoint("c1", "j1", "file:/sp/sp-a", 2_100, None)
        .expect("same path again");
    s.record_savepoint("c1", "j1", "file:/sp/sp-b", 3_000, None)
        .expect("second");
    let hist = s.checkpoint_history("c1", "j1", 10).expect("history");
    let got: Vec<(i64, CheckpointKind, Option<&str>)> = hist
        .iter()
        .map(|e| (e.id, e.kind, e.external_path.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (-2, CheckpointKind::Savepoint, Some("file:/sp/sp-b")),
            (-1, CheckpointKind::Savepoint, Some("file:/sp/sp-a")),
            (7, CheckpointKind::Checkpoint, Some("file:/ck/chk-7")),
        ]
    );
    assert_eq!(hist[0].completed_at, Some(3_000));
    assert_eq!(hist[0].status, CheckpointStatus::Completed);
    // Even a history of one sees the newest savepoint.
    assert_eq!(s.checkpoint_history("c1", "j1", 1).expect("one")[0].id, -2);
    assert_eq!(
        s.checkpoints_for_job_id("j1", 1).expect("across")[0].1.id,
        -2
    );
    let name: Option<String> = s
        .conn
        .query_row(
            "SELECT job_name FROM checkpoints WHERE checkpoint_id = -1",
            [],
            |r| r.get(0),
        )
        .expect("name");
    assert_eq!(name.as_deref(), Some("orders"), "named after the job seen");
    let points = s.app_restore_points("a", 10).expect("points");
    assert_eq!(points[0].path, "file:/sp/sp-b");
    assert_eq!(points[0].id, None);
    assert_eq!(points[0].kind, CheckpointKind::Savepoint);

    // Flink reports sp-a with its id: it replaces the row, and is not counted as new.
    let new = s
        .record_checkpoints(
            "c1",
            "j1",
            "orders",
            &[cp(
                9,
                CheckpointKind::Savepoint,
                2_050,
                Some("file:/sp/sp-a"),
            )],
        )
        .expect("flink lists it");
    assert_eq!(new, 0);
    // A trigger result that knows the id names the row recorded without one.
    s.record_savepoint("c1", "j1", "file:/sp/sp-b", 3_000, Some(11))
        .expect("id known now");
    // And recording a path Flink listed already changes nothing.
    s.record_savepoint("c1", "j1", "file:/sp/sp-a", 5_000, None)
        .expect("known path");
    s.record_savepoint("c1", "j1", "file:/sp/sp-a", 5_000, Some(9))
        .expect("known path and id");
    let hist = s.checkpoint_history("c1", "j1", 10).expect("history");
    let got: Vec<(i64, Option<&str>)> = hist
        .iter()
        .map(|e| (e.id, e.external_path.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (11, Some("file:/sp/sp-b")),
            (9, Some("file:/sp/sp-a")),
            (7, Some("file:/ck/chk-7"))
        ]
    );
    assert_eq!(hist[1].completed_at, Some(2_050), "Flink's entry won");
    // A savepoint with a known id straight away.
    s.record_savepoint("c1", "j1", "file:/sp/sp-c", 6_000, Some(12))
        .expect("with id");
    assert_eq!(s.checkpoint_history("c1", "j1", 1).expect("h")[0].id, 12);
    assert!(s.record_savepoint("c1", "j1", "", 1, None).is_err());
}

#[test]
fn retention_keeps_savepoints_without_ids() {
    let mut s = Store::open_in_memory().expect("open");
    s.set_retention(2);
    s.record_savepoint("c1", "j1", "file:/sp/x", 50, None)
        .expect("sp");
    let sps: Vec<CheckpointEntry> = (1..=4)
        .map(|i| {
            cp(
                i,
                CheckpointKind::Savepoint,
                100 + i,
                Some(&format!("file:/sp/{i}")),
            )
        })
        .collect();
    assert_eq!(
        s.record_checkpoints("c1", "j1", "j", &sps).expect("record"),
        4
    );
    let ids: Vec<i64> = s
        .checkpoint_history("c1", "j1", 10)
        .expect("history")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, vec![-1, 4, 3]);
}

#[test]
fn journal_lifecycle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("fd.db");
    let mut s = Store::open(&db).expect("open");
    let stop = s
        .op_begin(
            OpKind::Stop,
            Some("a"),
            "c1",
            Some("j1"),
            Some("file:/sp"),
            r#"{"drain":false}"#,
            100,
        )
        .expect("begin");
    // Durable before it returns: another connection (process) sees it at once.
    {
        let other = Store::open(&db).expect("second connection");
        let ops = other.unsettled_ops().expect("unsettled");
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].id, stop);
        assert_eq!(ops[0].status, OpStatus::Pending);
    }
    // The connection is back to synchronous=NORMAL afterwards.
    let sync: i64 = s
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(sync, 1);

    let start = s
        .op_begin(OpKind::Start, Some("b"), "c1", None, None, "{}", 110)
        .expect("begin start");
    let sp = s
        .op_begin(OpKind::Savepoint, None, "c2", Some("jx"), None, "{}", 120)
        .expect("begin savepoint");

    s.op_requested(stop, "trig-1", 130).expect("requested");
    s.op_set_job(start, "j-new", 140).expect("job");
    let o = s.op(stop).expect("read").expect("op");
    assert_eq!(o.status, OpStatus::Requested);
    assert_eq!(o.trigger_id.as_deref(), Some("trig-1"));
    assert_eq!(o.kind, OpKind::Stop);
    assert_eq!(o.app.as_deref(), Some("a"));
    assert_eq!(o.cluster, "c1");
    assert_eq!(o.job_id.as_deref(), Some("j1"));
    assert_eq!(o.target_dir.as_deref(), Some("file:/sp"));
    assert_eq!(o.params, r#"{"drain":false}"#);
    assert_eq!((o.created_at, o.updated_at), (100, 130));
    assert_eq!(o.result, None);
    assert_eq!(
        s.op(start).expect("read").and_then(|o| o.job_id),
        Some("j-new".to_string())
    );

    let ids: Vec<i64> = s
        .unsettled_ops()
        .expect("unsettled")
        .iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, vec![stop, start, sp], "oldest first");

    s.op_settle(stop, OpStatus::Succeeded, "file:/sp/sp-1", 200)
        .expect("settle");
    // Settling again keeps the first settlement.
    s.op_settle(stop, OpStatus::Failed, "timeout", 300)
        .expect("settle twice");
    // A late trigger id answer does not unsettle it.
    s.op_requested(stop, "trig-2", 310).expect("late");
    let o = s.op(stop).expect("read").expect("op");
    assert_eq!(o.status, OpStatus::Succeeded);
    assert_eq!(o.result.as_deref(), Some("file:/sp/sp-1"));
    assert_eq!(o.trigger_id.as_deref(), Some("trig-1"));
    s.op_settle(sp, OpStatus::Failed, "job not found", 320)
        .expect("fail");
    assert_eq!(
        s.op(sp).expect("read").map(|o| o.status),
        Some(OpStatus::Failed)
    );

    assert_eq!(
        s.unsettled_ops()
            .expect("unsettled")
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        vec![start]
    );
    assert_eq!(
        s.ops(None, 10)
            .expect("ops")
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        vec![sp, start, stop],
        "newest first"
    );
    assert_eq!(s.ops(None, 1).expect("limit").len(), 1);
    assert_eq!(
        s.ops(Some("a"), 10)
            .expect("ops of a")
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        vec![stop]
    );
    assert!(s.ops(Some("zz"), 10).expect("none").is_empty());

    // Misuse is an error, not a silent no-op.
    assert!(s.op_settle(start, OpStatus::Pending, "x", 1).is_err());
    assert!(s.op_settle(start, OpStatus::Requested, "x", 1).is_err());
    for e in [
        s.op_settle(4242, OpStatus::Succeeded, "x", 1)
            .expect_err("unknown"),
        s.op_requested(4242, "t", 1).expect_err("unknown"),
        s.op_set_job(4242, "j", 1).expect_err("unknown"),
    ] {
        assert!(e.to_string().contains("no operation 4242"), "{e}");
    }
    assert!(s.op(4242).expect("read").is_none());
    // The start op is still unsettled after all that.
    assert_eq!(
        s.op(start).expect("read").map(|o| o.status),
        Some(OpStatus::Pending)
    );

    // Reopened (a new process): still there.
    drop(s);
    let s = Store::open(&db).expect("reopen");
    assert_eq!(s.unsettled_ops().expect("unsettled").len(), 1);
    assert_eq!(s.ops(None, 10).expect("ops").len(), 3);
}

#[test]
fn unknown_op_kind_is_a_decode_error() {
    let mut s = Store::open_in_memory().expect("open");
    let id = s
        .op_begin(OpKind::Cancel, None, "c1", Some("j"), None, "{}", 1)
        .expect("begin");
    s.conn
        .execute("UPDATE operations SET kind = 'teleport'", [])
        .expect("corrupt");
    let e = s.op(id).expect_err("must fail");
    assert!(matches!(e, StoreError::Decode { .. }), "{e:?}");
    assert!(e.to_string().contains("teleport"), "{e}");
}

#[test]
fn audit_trail() {
    let mut s = Store::open_in_memory().expect("open");
    let entry = |at: i64, app: Option<&str>, action: &str, ok: bool| AuditEntry {
        id: 999,
        at,
        user: "alice".into(),
        ssh_origin: app.map(|_| "10.0.0.1 52314".to_string()),
        app: app.map(str::to_string),
        cluster: Some("c1".into()),
        action: action.into(),
        params: r#"{"from":"latest"}"#.into(),
        result: if ok { "ok".into() } else { "refused".into() },
        ok,
    };
    let a = s.audit(&entry(1, Some("a"), "start", true)).expect("a");
    let b = s.audit(&entry(2, None, "cancel", false)).expect("b");
    let c = s.audit(&entry(3, Some("a"), "stop", true)).expect("c");
    assert!(a < b && b < c);
    let all = s.audit_entries(None, 10).expect("all");
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), vec![c, b, a]);
    assert_eq!(
        all[1],
        AuditEntry {
            id: b,
            ..entry(2, None, "cancel", false)
        }
    );
    assert_eq!(
        all[0],
        AuditEntry {
            id: c,
            ..entry(3, Some("a"), "stop", true)
        }
    );
    let of_a = s.audit_entries(Some("a"), 10).expect("of a");
    assert_eq!(
        of_a.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        vec!["stop", "start"]
    );
    assert_eq!(s.audit_entries(Some("a"), 1).expect("limit").len(), 1);
    assert!(s.audit_entries(Some("b"), 10).expect("none").is_empty());
}

#[test]
fn migration_from_v1_keeps_old_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("v1.db");
    {
        // A database as flinkdeck 0.1 (schema version 1) left it.
        let conn = Connection::open(&db).expect("open raw");
        conn.execute_batch(schema::MIGRATIONS[0])
            .expect("v1 schema");
        conn.pragma_update(None, "user_version", 1)
            .expect("version");
        conn.execute(
            "INSERT INTO checkpoints (cluster, job_id, job_name, checkpoint_id, kind, status,
                trigger_ts, completed_at, external_path, recorded_at)
             VALUES ('c1', 'j1', 'old', 4, 'savepoint', 'COMPLETED', 1, 2, 'file:/sp/old', 3)",
            [],
        )
        .expect("old checkpoint");
        conn.execute(
            "INSERT INTO health_events (cluster, at_ms, status) VALUES ('c1', 5, 'LIVE')",
            [],
        )
        .expect("old health");
    }
    let mut s = Store::open(&db).expect("migrate");
    // Versions 3 (gone_at, retention indexes), 4 (builds), 5 (build images), 6 (incidents),
    // 7 (run stamps), 8 (alert marks), 9 (the builder's pid), 10 (automatic restarts), 11
    // (local job tags) and 12 (runs' paths indexed) came after this test was written.
    assert_eq!(s.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 12);
    let hist = s.checkpoint_history("c1", "j1", 10).expect("old history");
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].external_path.as_deref(), Some("file:/sp/old"));
    assert_eq!(s.health_events("c1", 10).expect("health").len(), 1);
    // The new tables work, and old checkpoints count as restore points of an adopted job.
    s.apply_app(&spec("a"), "u", None, 10).expect("apply");
    s.insert_run("a", 1, "c1", "j1", 1, None).expect("adopt");
    let points = s.app_restore_points("a", 5).expect("points");
    assert_eq!(points.len(), 1);
    assert_eq!(points[0].id, Some(4));
    drop(s);
    let s = Store::open(&db).expect("reopen");
    assert_eq!(s.schema_version().expect("version"), SCHEMA_VERSION);
    assert_eq!(s.apps().expect("apps").len(), 1);
}

#[tokio::test]
async fn new_calls_work_through_the_handle() {
    let handle = StoreHandle::spawn(Store::open_in_memory().expect("open"));
    let out = handle
        .call(|s| s.apply_app(&spec("h"), "u", None, 1))
        .await
        .expect("apply");
    assert_eq!(out, ApplyOutcome::Created { version: 1 });
    let id = handle
        .call(|s| s.op_begin(OpKind::Start, Some("h"), "c1", None, None, "{}", 2))
        .await
        .expect("begin");
    let ops = handle.call(|s| s.unsettled_ops()).await.expect("unsettled");
    assert_eq!(ops[0].id, id);
}

#[test]
fn run_stamps_are_kept_per_job() {
    let mut s = Store::open_in_memory().expect("open");
    s.apply_app(&spec("a"), "u", None, 10).expect("apply");
    let run = s.insert_run("a", 1, "c1", "j1", 1, None).expect("run");
    assert_eq!(
        s.run_stamp("c1", "j1").expect("stamp"),
        Some((None, None)),
        "a run without a stamp"
    );
    s.set_run_stamp(run, Some("ab"), None).expect("set");
    assert_eq!(
        s.run_stamp("c1", "j1").expect("stamp"),
        Some((Some("ab".to_string()), None))
    );
    assert_eq!(s.run_stamp("c1", "other").expect("stamp"), None);
    assert!(s.set_run_stamp(run + 100, None, Some("cd")).is_err());
}
