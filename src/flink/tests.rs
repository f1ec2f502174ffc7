//! Fixture decoding (real responses of Flink 1.20.5 and 2.3.0) and error classification against
//! real sockets on loopback (a refused port, a silent listener, a tiny HTTP responder).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::*;
use crate::domain::{
    CheckpointKind, CheckpointStatus, FailureClass, JobState, LogFileRef, LogName, LogSource,
};

const VERSIONS: [&str; 2] = ["1.20.5", "2.3.0"];

fn fixture_text(version: &str, name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/flink-{version}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn raw(version: &str, name: &str) -> Value {
    serde_json::from_str(&fixture_text(version, name))
        .unwrap_or_else(|e| panic!("{version}/{name}: {e}"))
}

fn decode<T: DeserializeOwned>(version: &str, name: &str) -> T {
    serde_json::from_str(&fixture_text(version, name))
        .unwrap_or_else(|e| panic!("{version}/{name} does not decode: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Fixtures, both versions

#[test]
fn cluster_overview_and_config() {
    for v in VERSIONS {
        let info = map::cluster_info(decode(v, "overview"), None);
        assert_eq!(info.flink_version.as_deref(), Some(v));
        assert!(info.flink_revision.as_deref().is_some_and(|r| r.len() >= 7));
        assert_eq!(info.taskmanagers, 1);
        assert_eq!(info.slots_total, 8);
        assert!(info.slots_available <= 8);
        assert_eq!(info.jobs_running, 2, "{v}: demo-steady and demo-flaky");

        // An overview without the version falls back to /config.
        let bare: wire::Overview = serde_json::from_str(r#"{"taskmanagers":1}"#).expect("bare");
        let info = map::cluster_info(bare, Some(decode(v, "config")));
        assert_eq!(info.flink_version.as_deref(), Some(v));
        assert!(info
            .flink_revision
            .as_deref()
            .is_some_and(|r| r.contains(" @ ")));
    }
}

#[test]
fn jobs_overview_both_versions() {
    for v in VERSIONS {
        let jobs = map::jobs_overview("local", decode(v, "jobs_overview"));
        let rawj = raw(v, "jobs_overview");
        assert_eq!(jobs.len(), rawj["jobs"].as_array().map_or(0, |a| a.len()));
        let steady = jobs
            .iter()
            .find(|j| j.name == "demo-steady")
            .unwrap_or_else(|| panic!("{v}: no demo-steady"));
        assert_eq!(steady.state, JobState::Running);
        assert_eq!(steady.cluster, "local");
        assert_eq!(steady.id.len(), 32);
        assert_eq!(steady.end_time, None, "end-time -1 means running");
        assert_eq!((steady.tasks_running, steady.tasks_total), (2, 2));
        assert!(steady.start_time > 1_700_000_000_000);
        assert!(steady.duration_ms > 0);
        assert!(steady.last_checkpoint.is_none() && steady.restarts.is_none() && !steady.stale);
        let flaky = jobs
            .iter()
            .find(|j| j.name == "demo-flaky")
            .unwrap_or_else(|| panic!("{v}: no demo-flaky"));
        assert!(
            matches!(flaky.state, JobState::Running | JobState::Restarting),
            "{v}: {}",
            flaky.state
        );
        assert_eq!(flaky.tasks_total, 2);
        let canceled = jobs
            .iter()
            .find(|j| j.state == JobState::Canceled)
            .unwrap_or_else(|| panic!("{v}: no canceled job"));
        assert!(canceled.end_time.is_some_and(|e| e >= canceled.start_time));
    }
}

#[test]
fn job_details_both_versions() {
    for v in VERSIONS {
        for (file, name) in [("job_steady", "demo-steady"), ("job_flaky", "demo-flaky")] {
            let rawj = raw(v, file);
            let d = map::job_detail(decode(v, file));
            assert_eq!(d.name, name);
            assert_eq!(Some(d.id.as_str()), rawj["jid"].as_str());
            assert_eq!(Some(d.state.as_str()), rawj["state"].as_str());
            assert_eq!(
                d.job_type.as_deref(),
                Some("STREAMING"),
                "1.20+ has job-type"
            );
            assert_eq!(d.max_parallelism, None, "-1 means not set");
            assert_eq!(d.end_time, None);
            assert_eq!(d.vertices.len(), 2);
            assert!(d.vertices[0].name.starts_with("Source: sequence"));
            assert_eq!(d.vertices[1].name, "count-per-key -> Sink: stdout");
            let raw_names: Vec<&str> = rawj["vertices"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x["name"].as_str()).collect())
                .unwrap_or_default();
            let names: Vec<&str> = d.vertices.iter().map(|x| x.name.as_str()).collect();
            assert_eq!(names, raw_names);
            assert!(d
                .vertices
                .iter()
                .all(|x| x.parallelism == 1 && x.id.len() == 32));
            assert!(d.vertices.iter().all(|x| x.records_in_per_sec.is_none()));
        }
        let steady = map::job_detail(decode(v, "job_steady"));
        assert!(steady.vertices.iter().all(|x| x.status == "RUNNING"));
    }
}

#[test]
fn vertex_metrics_aggregation_both_versions() {
    for v in VERSIONS {
        let agg: Vec<wire::AggregatedMetric> = decode(v, "vertex_metrics_agg");
        let mut vx = crate::domain::VertexInfo::default();
        map::apply_vertex_metrics(&mut vx, &agg);
        let rawm = raw(v, "vertex_metrics_agg");
        let sum_in = rawm
            .as_array()
            .and_then(|a| a.iter().find(|m| m["id"] == "numRecordsInPerSecond"))
            .and_then(|m| m["sum"].as_f64());
        assert_eq!(vx.records_in_per_sec, sum_in);
        assert!(vx.records_in_per_sec.is_some_and(|r| r > 0.0));
        assert!(vx.bytes_in_per_sec.is_some_and(|r| r > 0.0));
        assert_eq!(vx.records_out_per_sec, Some(0.0));
        assert!(vx.busy_ratio.is_some_and(|r| (0.0..=1.0).contains(&r)));
        assert_eq!(vx.backpressure_ratio, Some(0.0));

        // The source vertex: it only emits.
        let agg: Vec<wire::AggregatedMetric> = decode(v, "vertex_metrics_agg_source");
        let mut src = crate::domain::VertexInfo::default();
        map::apply_vertex_metrics(&mut src, &agg);
        assert_eq!(src.records_in_per_sec, Some(0.0));
        assert!(src.records_out_per_sec.is_some_and(|r| r > 0.0));
        assert!(src.bytes_out_per_sec.is_some_and(|r| r > 0.0));
        let busy_ms = raw(v, "vertex_metrics_agg_source")
            .as_array()
            .and_then(|a| a.iter().find(|m| m["id"] == "busyTimeMsPerSecond"))
            .and_then(|m| m["max"].as_f64());
        assert_eq!(src.busy_ratio, busy_ms.map(|ms| ms / 1000.0));
    }
    // Flink writes NaN as a string; it must not become a number.
    let agg: Vec<wire::AggregatedMetric> = serde_json::from_str(
        r#"[{"id":"busyTimeMsPerSecond","max":"NaN","sum":"NaN"},
            {"id":"backPressuredTimeMsPerSecond","max":250.0},
            {"id":"numRecordsInPerSecond","sum":"12.5"}]"#,
    )
    .expect("decode");
    let mut vx = crate::domain::VertexInfo::default();
    map::apply_vertex_metrics(&mut vx, &agg);
    assert_eq!(vx.busy_ratio, None);
    assert_eq!(vx.backpressure_ratio, Some(0.25));
    assert_eq!(vx.records_in_per_sec, Some(12.5));
    assert_eq!(vx.records_out_per_sec, None);
}

#[test]
fn num_restarts_both_versions() {
    for v in VERSIONS {
        let m: Vec<wire::Metric> = decode(v, "job_metrics_numRestarts");
        let expected = raw(v, "job_metrics_numRestarts")[0]["value"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok());
        assert!(expected.is_some());
        assert_eq!(map::num_restarts(&m), expected);
        // The metric list (without ?get=) decodes too, but has no values.
        let list: Vec<wire::Metric> = decode(v, "job_metrics_list");
        assert!(list.iter().any(|m| m.id == "numRestarts"));
        assert_eq!(map::num_restarts(&list), None);
    }
    assert_eq!(map::num_restarts(&[]), None);
}

fn check_checkpoint_paths(v: &str, stats: &crate::domain::CheckpointStats) {
    for e in &stats.history {
        match (e.status, e.kind) {
            (CheckpointStatus::Completed, CheckpointKind::Checkpoint) => {
                let p = e.external_path.as_deref().unwrap_or_default();
                assert!(p.starts_with("file:/"), "{v}: {p}");
                assert!(p.ends_with(&format!("/chk-{}", e.id)), "{v}: {p}");
                assert!(e.completed_at.is_some_and(|t| t >= e.trigger_timestamp));
                assert!(e.duration_ms.is_some());
                assert_eq!(e.size_bytes, e.state_size_bytes.or(e.size_bytes));
                assert_eq!(e.num_subtasks, Some(2));
                assert_eq!(e.num_acknowledged, Some(2));
                assert_eq!(e.checkpoint_type.as_deref(), Some("CHECKPOINT"));
            }
            (CheckpointStatus::Completed, CheckpointKind::Savepoint) => {
                let p = e.external_path.as_deref().unwrap_or_default();
                assert!(p.contains("/savepoints/savepoint-"), "{v}: {p}");
                assert_eq!(e.checkpoint_type.as_deref(), Some("SAVEPOINT"));
            }
            (CheckpointStatus::Failed, _) => {
                assert!(e.failure_message.is_some(), "{v}: failed without a message");
                assert_eq!(e.external_path, None);
            }
            (CheckpointStatus::InProgress, _) => assert_eq!(e.completed_at, None),
        }
    }
    let ids: Vec<i64> = stats.history.iter().map(|e| e.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted, "{v}: history newest first");
}

#[test]
fn checkpoints_steady_both_versions() {
    for v in VERSIONS {
        let rawc = raw(v, "checkpoints_steady");
        let stats = map::checkpoints(decode(v, "checkpoints_steady"));
        assert_eq!(Some(stats.counts.total), rawc["counts"]["total"].as_i64());
        assert_eq!(
            Some(stats.counts.completed),
            rawc["counts"]["completed"].as_i64()
        );
        assert_eq!(stats.counts.restored, 0);
        assert_eq!(
            stats.history.len(),
            rawc["history"].as_array().map_or(0, |a| a.len())
        );
        check_checkpoint_paths(v, &stats);

        let completed = stats.latest_completed.as_ref().expect("latest completed");
        assert_eq!(
            Some(completed.id),
            rawc["latest"]["completed"]["id"].as_i64()
        );
        assert_eq!(completed.kind, CheckpointKind::Checkpoint);
        assert_eq!(
            completed.external_path.as_deref(),
            rawc["latest"]["completed"]["external_path"].as_str()
        );

        // The fixture script took a savepoint of demo-steady.
        let sp = stats.latest_savepoint.as_ref().expect("latest savepoint");
        assert_eq!(sp.kind, CheckpointKind::Savepoint);
        assert_eq!(sp.status, CheckpointStatus::Completed);
        assert_eq!(
            sp.external_path.as_deref(),
            rawc["latest"]["savepoint"]["external_path"].as_str()
        );
        assert!(stats
            .history
            .iter()
            .any(|e| e.id == sp.id && e.kind == CheckpointKind::Savepoint));
        assert!(stats.latest_restored.is_none());

        // last(): the newest of completed / savepoint / failed by id.
        let last = stats.last().expect("last");
        assert_eq!(last.id, completed.id.max(sp.id));
        let r = last.to_ref();
        assert_eq!(r.is_savepoint, last.kind == CheckpointKind::Savepoint);

        let done = stats.completed_entries();
        assert!(done.iter().all(|e| e.status == CheckpointStatus::Completed));
        assert!(done.iter().any(|e| e.kind == CheckpointKind::Savepoint));
    }
}

#[test]
fn checkpoints_flaky_both_versions() {
    for v in VERSIONS {
        let rawc = raw(v, "checkpoints_flaky");
        let stats = map::checkpoints(decode(v, "checkpoints_flaky"));
        check_checkpoint_paths(v, &stats);
        assert!(stats.counts.restored > 0, "{v}: the flaky job restores");
        let restored = stats.latest_restored.as_ref().expect("restored");
        assert_eq!(Some(restored.id), rawc["latest"]["restored"]["id"].as_i64());
        assert!(!restored.is_savepoint);
        assert!(restored.restore_timestamp > 0);
        let p = restored.external_path.as_deref().unwrap_or_default();
        assert!(p.ends_with(&format!("/chk-{}", restored.id)), "{v}: {p}");
        let failed: Vec<_> = stats
            .history
            .iter()
            .filter(|e| e.status == CheckpointStatus::Failed)
            .collect();
        let raw_failed = rawc["history"].as_array().map_or(0, |a| {
            a.iter().filter(|e| e["className"] == "failed").count()
        });
        assert_eq!(failed.len(), raw_failed);
        if let Some(lf) = &stats.latest_failed {
            assert_eq!(lf.status, CheckpointStatus::Failed);
            assert!(lf.completed_at.is_some(), "failure_timestamp");
            assert_eq!(
                lf.failure_message.as_deref(),
                rawc["latest"]["failed"]["failure_message"].as_str()
            );
        }
    }
}

#[test]
fn polymorphic_checkpoint_entries() {
    let text = r#"{
      "counts": {"restored": 0, "total": 4, "in_progress": 1, "completed": 1, "failed": 1},
      "latest": {"completed": null, "savepoint": null, "failed": null, "restored": null},
      "history": [
        {"className": "in_progress", "id": 7, "status": "IN_PROGRESS", "is_savepoint": false,
         "trigger_timestamp": 100, "latest_ack_timestamp": -1, "checkpointed_size": 0,
         "end_to_end_duration": 12, "num_subtasks": 2, "num_acknowledged_subtasks": 1,
         "checkpoint_type": "CHECKPOINT", "tasks": {}},
        {"className": "failed", "id": 6, "is_savepoint": true, "trigger_timestamp": 90,
         "failure_timestamp": 95, "failure_message": "Checkpoint expired before completing.",
         "checkpoint_type": "SYNC_SAVEPOINT"},
        {"className": "completed", "id": 5, "status": "COMPLETED", "is_savepoint": false,
         "trigger_timestamp": "80", "latest_ack_timestamp": 85, "state_size": 4096,
         "checkpointed_size": 1024, "external_path": "<checkpoint-not-externally-addressable>",
         "checkpoint_type": "UNALIGNED_CHECKPOINT", "discarded": true},
        {"className": "something_new", "id": 4, "status": "COMPLETED", "future_field": [1, 2]},
        {"className": "completed"}
      ]
    }"#;
    let c: wire::Checkpointing = serde_json::from_str(text).expect("decode");
    let stats = map::checkpoints(c);
    assert_eq!(stats.history.len(), 4, "the entry without an id is dropped");
    let by_id = |id: i64| {
        stats
            .history
            .iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let ip = by_id(7);
    assert_eq!(ip.status, CheckpointStatus::InProgress);
    assert_eq!(ip.completed_at, None);
    assert_eq!(ip.num_acknowledged, Some(1));
    let failed = by_id(6);
    assert_eq!(failed.status, CheckpointStatus::Failed, "from className");
    assert_eq!(failed.kind, CheckpointKind::Savepoint);
    assert_eq!(failed.completed_at, Some(95));
    assert_eq!(
        failed.failure_message.as_deref(),
        Some("Checkpoint expired before completing.")
    );
    let done = by_id(5);
    assert_eq!(done.status, CheckpointStatus::Completed);
    assert_eq!(done.trigger_timestamp, 80, "numeric string accepted");
    assert_eq!(done.completed_at, Some(85));
    assert_eq!(done.size_bytes, Some(1024));
    assert_eq!(done.state_size_bytes, Some(4096));
    assert_eq!(done.external_path, None, "not externally addressable");
    assert_eq!(
        done.checkpoint_type.as_deref(),
        Some("UNALIGNED_CHECKPOINT")
    );
    assert_eq!(by_id(4).status, CheckpointStatus::Completed);
    assert_eq!(stats.counts.in_progress, 1);
    assert_eq!(stats.last(), None, "no latest entries");
    // A response without anything still decodes (to empty statistics).
    let empty: wire::Checkpointing = serde_json::from_str("{}").expect("empty");
    assert_eq!(
        map::checkpoints(empty),
        crate::domain::CheckpointStats::default()
    );
}

#[test]
fn exceptions_1x_shape() {
    let rawx = raw("1.20.5", "exceptions_flaky");
    let x = map::exceptions(decode("1.20.5", "exceptions_flaky"));
    let entries = rawx["exceptionHistory"]["entries"]
        .as_array()
        .expect("entries");
    assert_eq!(x.history.len(), entries.len());
    assert!(!x.history.is_empty());
    let root = x.root.as_ref().expect("root");
    assert_eq!(root.name, "java.lang.RuntimeException");
    assert!(root
        .stacktrace
        .starts_with("java.lang.RuntimeException: flinkdeck demo failure: injected after 50"));
    assert_eq!(root.timestamp, rawx["timestamp"].as_i64());
    // Enriched from the matching history entry (the legacy root has no task or location).
    assert_eq!(
        root.task.as_deref(),
        entries[0]["taskName"].as_str(),
        "root task from history"
    );
    assert!(root
        .task
        .as_deref()
        .is_some_and(|t| t.starts_with("count-per-key -> Sink: stdout (1/1)")));
    assert!(root
        .location
        .as_deref()
        .is_some_and(|l| l.starts_with("localhost:")));
    assert!(root.taskmanager_id.is_some());
    assert!(x
        .history
        .iter()
        .all(|e| e.name == "java.lang.RuntimeException" && e.concurrent == 0));
    let ts: Vec<i64> = x.history.iter().filter_map(|e| e.timestamp).collect();
    assert!(ts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(!x.truncated);
}

#[test]
fn exceptions_2x_shape() {
    let rawx = raw("2.3.0", "exceptions_flaky");
    assert!(
        rawx.get("root-exception").is_none(),
        "2.x has no legacy fields"
    );
    let x = map::exceptions(decode("2.3.0", "exceptions_flaky"));
    assert_eq!(
        x.history.len(),
        rawx["exceptionHistory"]["entries"]
            .as_array()
            .map_or(0, |a| a.len())
    );
    let root = x.root.as_ref().expect("root = newest history entry");
    assert_eq!(Some(root), x.history.first());
    assert_eq!(root.name, "java.lang.RuntimeException");
    assert!(root.stacktrace.contains("flinkdeck demo failure"));
    assert_eq!(
        root.location.as_deref(),
        rawx["exceptionHistory"]["entries"][0]["endpoint"].as_str(),
        "2.x: endpoint replaces location"
    );
    assert_eq!(
        root.taskmanager_id.as_deref(),
        rawx["exceptionHistory"]["entries"][0]["taskManagerId"].as_str()
    );
    assert!(root.failure_labels.is_empty());
}

#[test]
fn exceptions_synthetic_shapes() {
    // 1.x with only root-exception and all-exceptions (no history).
    let text = r#"{"root-exception": "java.io.IOException: disk full\n\tat A.b(A.java:1)",
        "timestamp": 500, "truncated": true,
        "all-exceptions": [{"exception": "java.io.IOException: disk full\n\tat A.b",
            "task": "map (1/2)", "location": "host:1234", "timestamp": 499,
            "taskManagerId": "tm-1"}]}"#;
    let x = map::exceptions(serde_json::from_str(text).expect("decode"));
    let root = x.root.expect("root");
    assert_eq!(root.name, "java.io.IOException");
    assert_eq!(root.timestamp, Some(500));
    assert_eq!(x.history.len(), 1);
    assert_eq!(x.history[0].task.as_deref(), Some("map (1/2)"));
    assert_eq!(x.history[0].location.as_deref(), Some("host:1234"));
    assert!(x.truncated);

    // 2.x history with labels and concurrent exceptions; an empty answer.
    let text = r#"{"exceptionHistory": {"truncated": false, "entries": [
        {"exceptionName": "org.apache.flink.X", "stacktrace": "org.apache.flink.X: a",
         "timestamp": 10, "failureLabels": {"type": "user", "retries": 3},
         "concurrentExceptions": [{"exceptionName": "Y"}, {"exceptionName": "Z"}]},
        {"stacktrace": "java.lang.IllegalStateException: b", "timestamp": 20}]}}"#;
    let x = map::exceptions(serde_json::from_str(text).expect("decode"));
    let root = x.root.expect("root");
    assert_eq!(
        root.name, "java.lang.IllegalStateException",
        "newest, name from trace"
    );
    assert_eq!(x.history[1].concurrent, 2);
    assert_eq!(
        x.history[1].failure_labels,
        vec![
            ("retries".to_string(), "3".to_string()),
            ("type".to_string(), "user".to_string())
        ]
    );
    let empty = map::exceptions(
        serde_json::from_str(r#"{"exceptionHistory":{"entries":[],"truncated":false}}"#)
            .expect("decode"),
    );
    assert_eq!(empty, crate::domain::JobExceptions::default());
    let legacy_empty = map::exceptions(
        serde_json::from_str(
            r#"{"root-exception":null,"timestamp":null,"all-exceptions":[],"truncated":false,
                "exceptionHistory":{"entries":[],"truncated":false}}"#,
        )
        .expect("decode"),
    );
    assert_eq!(legacy_empty.root, None);
}

#[test]
fn logs_and_taskmanagers_both_versions() {
    for v in VERSIONS {
        let tms = map::taskmanagers(decode(v, "taskmanagers"));
        let rawt = raw(v, "taskmanagers");
        assert_eq!(tms.len(), 1);
        assert_eq!(
            Some(tms[0].id.as_str()),
            rawt["taskmanagers"][0]["id"].as_str()
        );
        assert!(tms[0].id.starts_with("127.0.0.1:"));
        assert!(tms[0]
            .path
            .as_deref()
            .is_some_and(|p| p.starts_with("pekko.tcp://flink@127.0.0.1:")));
        assert_eq!(tms[0].slots, 8);
        assert!(tms[0].free_slots <= 8);
        assert!(tms[0].time_since_last_heartbeat.is_some());

        for (file, source) in [
            ("jobmanager_logs", LogSource::JobManager),
            (
                "taskmanager_logs",
                LogSource::TaskManager(tms[0].id.clone()),
            ),
        ] {
            let files = map::log_files(&source, decode(v, file));
            let rawl = raw(v, file);
            assert_eq!(files.len(), rawl["logs"].as_array().map_or(0, |a| a.len()));
            let names: Vec<String> = files.iter().map(|f| f.name.to_string()).collect();
            for expected in [
                "flink-jobmanager.log",
                "flink-jobmanager.out",
                "flink-taskmanager.log",
                "flink-taskmanager.out",
            ] {
                assert!(names.iter().any(|n| n == expected), "{v}/{file}: {names:?}");
            }
            let jm = files
                .iter()
                .find(|f| f.name == LogName::File("flink-jobmanager.log".into()))
                .expect("jm log");
            assert_eq!(jm.source, source);
            assert!(jm.size.is_some_and(|s| s > 0));
            assert!(jm.mtime.is_some_and(|t| t > 1_700_000_000_000));
        }
    }
}

#[test]
fn errors_and_jars_both_versions() {
    for v in VERSIONS {
        let body = fixture_text(v, "error_404");
        assert_eq!(
            error::flink_error_line(&body).as_deref(),
            Some("Job 00000000000000000000000000000000 not found")
        );
        let e = FlinkError::from_status("GET", "http://h/jobs/0", 404, &body);
        assert_eq!(e.class, FailureClass::Http { status: 404 });
        assert_eq!(
            e.to_string(),
            "HTTP 404: GET http://h/jobs/0: Job 00000000000000000000000000000000 not found"
        );
        assert!(
            e.detail.contains("FlinkJobNotFoundException"),
            "full trace in detail"
        );

        let up: wire::JarUpload = decode(v, "jars_upload");
        let id = up
            .filename
            .as_deref()
            .and_then(map::jar_id_from_filename)
            .expect("jar id");
        assert!(id.ends_with(".jar"), "{id}");
        assert!(id.contains("_flinkdeck-demo-"), "{id}");
        assert!(!id.contains('/'));
        let listed = raw(v, "jars");
        assert!(listed["files"]
            .as_array()
            .is_some_and(|f| f.iter().any(|j| j["id"].as_str() == Some(id.as_str()))));
        let run: wire::JarRun = decode(v, "jars_run");
        assert_eq!(run.jobid.as_deref().map(str::len), Some(32));
    }
}

#[test]
fn run_jar_body_shape() {
    let mut conf = BTreeMap::new();
    conf.insert("execution.runtime-mode".to_string(), "BATCH".to_string());
    let args = vec!["--mode".to_string(), "steady".to_string()];
    let body = wire::JarRunBody {
        entry_class: Some("flinkdeck.demo.FlinkdeckDemo"),
        program_args_list: &args,
        parallelism: Some(2),
        savepoint_path: Some("file:/sp/savepoint-1"),
        allow_non_restored_state: true,
        flink_configuration: &conf,
    };
    let v = serde_json::to_value(&body).expect("encode");
    assert_eq!(
        v,
        serde_json::json!({
            "entryClass": "flinkdeck.demo.FlinkdeckDemo",
            "programArgsList": ["--mode", "steady"],
            "parallelism": 2,
            "savepointPath": "file:/sp/savepoint-1",
            "allowNonRestoredState": true,
            "flinkConfiguration": {"execution.runtime-mode": "BATCH"}
        })
    );
    let empty = BTreeMap::new();
    let body = wire::JarRunBody {
        entry_class: None,
        program_args_list: &[],
        parallelism: None,
        savepoint_path: None,
        allow_non_restored_state: false,
        flink_configuration: &empty,
    };
    assert_eq!(
        serde_json::to_value(&body).expect("encode"),
        serde_json::json!({"allowNonRestoredState": false})
    );
}

#[test]
fn every_fixture_is_valid_json() {
    for v in VERSIONS {
        let dir = format!("{}/tests/fixtures/flink-{v}", env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) == Some("json") {
                let text = std::fs::read_to_string(&path).expect("read");
                serde_json::from_str::<Value>(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                n += 1;
            }
        }
        assert!(n >= 15, "{dir}: only {n} fixtures");
    }
}

// ---------------------------------------------------------------------------------------------
// Real sockets on loopback

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        content_type: "application/json; charset=UTF-8",
        body: body.into(),
    }
}

/// A tiny HTTP/1.1 responder: one request per connection, answered by `route`.
struct FakeFlink {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeFlink {
    fn start(route: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> FakeFlink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let route = Arc::new(route);
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (route, seen) = (route.clone(), seen2.clone());
                std::thread::spawn(move || serve_one(stream, &*route, &seen));
            }
        });
        FakeFlink { addr, seen }
    }

    fn url(&self) -> url::Url {
        url::Url::parse(&format!("http://{}/", self.addr)).expect("url")
    }

    fn client(&self) -> FlinkClient {
        FlinkClient::new(Endpoint::new(self.url())).expect("client")
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn serve_one(mut stream: TcpStream, route: &dyn Fn(&Seen) -> Reply, seen: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match stream.read(&mut tmp) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        match stream.read(&mut tmp) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&tmp[..n]),
        }
    }
    let req = Seen {
        method,
        target,
        headers,
        body,
    };
    let reply = route(&req);
    seen.lock().expect("lock").push(req);
    let head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
    let _ = stream.flush();
}

fn endpoint(url: &str, timeout: Duration) -> Endpoint {
    Endpoint {
        timeout,
        ..Endpoint::new(url::Url::parse(url).expect("url"))
    }
}

#[tokio::test]
async fn refused_port_is_classified() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let c = FlinkClient::new(endpoint(
        &format!("http://127.0.0.1:{port}"),
        Duration::from_secs(5),
    ))
    .expect("client");
    let e = c.jobs_overview("x").await.expect_err("refused");
    assert_eq!(e.class, FailureClass::Refused, "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("refused: GET http://127.0.0.1:{port}/jobs/overview: connection refused")
    );
    assert_eq!(e.url, format!("http://127.0.0.1:{port}/jobs/overview"));
    assert!(
        e.detail.to_ascii_lowercase().contains("refused"),
        "{}",
        e.detail
    );
}

#[tokio::test]
async fn silent_listener_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    // Accept and hold connections without ever answering.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    let c = FlinkClient::new(endpoint(
        &format!("http://{addr}/"),
        Duration::from_millis(300),
    ))
    .expect("client");
    let started = Instant::now();
    let e = c.cluster_info().await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(e.class, FailureClass::Timeout, "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("timeout: GET http://{addr}/overview: no answer after 300ms")
    );
    // The log tail has its own (per-chunk) timeout handling.
    let file = LogFileRef {
        source: LogSource::JobManager,
        name: LogName::Log,
        size: None,
        mtime: None,
    };
    let e = c.log_tail(&file, 1024).await.expect_err("timeout");
    assert_eq!(e.class, FailureClass::Timeout, "{e:?}");
    assert!(e.message.ends_with("after 300ms"), "{}", e.message);
}

#[tokio::test]
async fn unknown_host_is_dns() {
    let c = FlinkClient::new(endpoint(
        "http://nonexistent.invalid:8081",
        Duration::from_secs(5),
    ))
    .expect("client");
    let e = c.jobs_overview("x").await.expect_err("dns");
    assert_eq!(e.class, FailureClass::Dns, "{e:?}");
    assert!(
        e.to_string().starts_with(
            "DNS: GET http://nonexistent.invalid:8081/jobs/overview: DNS lookup failed"
        ),
        "{e}"
    );
}

#[tokio::test]
async fn https_to_a_plain_http_port_is_tls() {
    // A plain HTTP server answers the TLS ClientHello with an HTTP error page.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    let c = FlinkClient::new(endpoint(
        &format!("https://{addr}/"),
        Duration::from_secs(5),
    ))
    .expect("client");
    let e = c.cluster_info().await.expect_err("tls");
    assert_eq!(e.class, FailureClass::Tls, "{e:?}");
}

#[tokio::test]
async fn http_statuses_and_bad_bodies_are_classified() {
    let not_found = fixture_text("2.3.0", "error_404");
    let fake = FakeFlink::start(move |req| match req.target.as_str() {
        "/overview" => json(
            503,
            r#"{"errors":["Service temporarily unavailable due to an ongoing leader election. Please refresh."]}"#,
        ),
        t if t.starts_with("/jobs/00000000000000000000000000000000") => {
            json(404, not_found.clone())
        }
        "/jobs/overview" => Reply {
            status: 200,
            content_type: "text/html",
            body: b"<html>login page</html>".to_vec(),
        },
        "/taskmanagers" => json(401, ""),
        "/jobs/j1/exceptions?maxExceptions=3" => json(
            200,
            r#"{"exceptionHistory":{"entries":[{"exceptionName":"a.B"},{"exceptionName":7}]}}"#,
        ),
        _ => json(404, r#"{"errors":["Not found: /x"]}"#),
    });
    let c = fake.client();
    let base = format!("http://{}", fake.addr);

    let e = c.cluster_info().await.expect_err("503");
    assert_eq!(e.class, FailureClass::ServerError { status: 503 });
    assert_eq!(
        e.to_string(),
        format!("HTTP 503 server error: GET {base}/overview: Service temporarily unavailable due to an ongoing leader election. Please refresh.")
    );

    let e = c
        .job_detail("00000000000000000000000000000000")
        .await
        .expect_err("404");
    assert_eq!(e.class, FailureClass::Http { status: 404 });
    assert_eq!(
        e.to_string(),
        format!("HTTP 404: GET {base}/jobs/00000000000000000000000000000000: Job 00000000000000000000000000000000 not found")
    );
    assert!(
        e.detail.contains("\tat org.apache.flink"),
        "whole trace in detail"
    );
    assert!(!e.message.contains('\n'));

    // The job is unknown: that is an error, not "no checkpointing".
    let e = c
        .checkpoints("00000000000000000000000000000000")
        .await
        .expect_err("404");
    assert_eq!(e.class, FailureClass::Http { status: 404 });

    let e = c.jobs_overview("x").await.expect_err("html");
    assert_eq!(e.class, FailureClass::BadJson);
    assert!(
        e.to_string().starts_with(&format!(
            "bad JSON: GET {base}/jobs/overview: invalid JSON: expected value"
        )),
        "{e}"
    );
    assert!(e.detail.contains("<html>login page</html>"), "{}", e.detail);

    let e = c.taskmanagers().await.expect_err("401");
    assert_eq!(e.class, FailureClass::Unauthorized { status: 401 });
    assert_eq!(
        e.to_string(),
        format!("HTTP 401 unauthorized: GET {base}/taskmanagers: unauthorized")
    );

    // A field of the wrong type: the message names the JSON path.
    let v = c
        .get_json("/jobs/j1/exceptions?maxExceptions=3")
        .await
        .expect("untyped is fine");
    assert_eq!(v["exceptionHistory"]["entries"][0]["exceptionName"], "a.B");
    let e = c.exceptions("j1", 3).await.expect_err("typed fails");
    assert_eq!(e.class, FailureClass::BadJson);
    assert!(
        e.message
            .contains("at $.exceptionHistory.entries[1].exceptionName: invalid type: integer `7`"),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn checkpointing_not_enabled_is_empty_stats() {
    // Both 1.20.5 and 2.3.0 answer like this for a job without checkpointing (e.g. BATCH).
    let body = r#"{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Checkpointing has not been enabled.\n\tat org.apache.flink.runtime.rest.handler.job.checkpoints.CheckpointingStatisticsHandler.createCheckpointingStatistics(CheckpointingStatisticsHandler.java:107)\n"]}"#;
    let fake = FakeFlink::start(move |_| json(404, body));
    let c = fake.client();
    let stats = c
        .checkpoints("d219df718c7190895c585eb925548f96")
        .await
        .expect("empty");
    assert_eq!(stats, crate::domain::CheckpointStats::default());
    assert_eq!(
        c.last_checkpoint("d219df718c7190895c585eb925548f96")
            .await
            .expect("none"),
        None
    );
}

#[tokio::test]
async fn typed_calls_against_recorded_answers() {
    let v = "2.3.0";
    let steady: Value = raw(v, "job_steady");
    let jid = steady["jid"].as_str().expect("jid").to_string();
    let vertices: Vec<String> = steady["vertices"]
        .as_array()
        .expect("vertices")
        .iter()
        .filter_map(|x| x["id"].as_str().map(str::to_string))
        .collect();
    let (jid2, v0, v1) = (jid.clone(), vertices[0].clone(), vertices[1].clone());
    let fake = FakeFlink::start(move |req| {
        let path = req.target.split('?').next().unwrap_or("");
        let f = |name: &str| json(200, fixture_text(v, name));
        match path {
            "/overview" => f("overview"),
            "/jobs/overview" => f("jobs_overview"),
            "/taskmanagers" => f("taskmanagers"),
            "/jobmanager/logs" => f("jobmanager_logs"),
            p if p == format!("/jobs/{jid2}") => f("job_steady"),
            p if p == format!("/jobs/{jid2}/vertices/{v0}/subtasks/metrics") => {
                f("vertex_metrics_agg")
            }
            p if p == format!("/jobs/{jid2}/vertices/{v1}/subtasks/metrics") => {
                json(500, r#"{"errors":["Internal server error."]}"#)
            }
            p if p == format!("/jobs/{jid2}/checkpoints") => f("checkpoints_steady"),
            p if p == format!("/jobs/{jid2}/exceptions") => f("exceptions_flaky"),
            p if p == format!("/jobs/{jid2}/metrics") => f("job_metrics_numRestarts"),
            // The TaskManager's listing fails: it is skipped, not fatal.
            p if p.starts_with("/taskmanagers/") => json(500, r#"{"errors":["boom"]}"#),
            _ => json(404, r#"{"errors":["Not found"]}"#),
        }
    });
    let c = fake.client();

    let info = c.cluster_info().await.expect("info");
    assert_eq!(info.flink_version.as_deref(), Some("2.3.0"));
    let jobs = c.jobs_overview("dev").await.expect("jobs");
    assert!(jobs
        .iter()
        .any(|j| j.name == "demo-steady" && j.cluster == "dev"));

    let d = c.job_detail(&jid).await.expect("detail");
    assert_eq!(d.name, "demo-steady");
    assert!(d.vertices[0].records_in_per_sec.is_some_and(|r| r > 0.0));
    assert_eq!(
        d.vertices[1].records_in_per_sec, None,
        "failed metrics call"
    );
    assert_eq!(d.vertices[1].busy_ratio, None);

    let rawc = raw(v, "checkpoints_steady");
    let newest = ["completed", "savepoint", "failed"]
        .iter()
        .filter_map(|k| rawc["latest"][*k]["id"].as_i64())
        .max();
    let last = c.last_checkpoint(&jid).await.expect("cp").expect("some");
    assert_eq!(Some(last.id), newest);
    assert_eq!(
        c.num_restarts(&jid).await.expect("restarts"),
        raw(v, "job_metrics_numRestarts")[0]["value"]
            .as_str()
            .and_then(|n| n.parse().ok())
    );
    let x = c.exceptions(&jid, 5).await.expect("exceptions");
    assert!(x.root.is_some());

    let files = c.log_files().await.expect("files");
    assert_eq!(files[0].name, LogName::Log);
    assert_eq!(files[1].name, LogName::Stdout);
    assert!(files.iter().all(|f| f.source == LogSource::JobManager));
    assert!(files
        .iter()
        .any(|f| f.name == LogName::File("flink-jobmanager.log".into()) && f.size.is_some()));

    let seen = fake.seen();
    let metric_calls: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.target.contains("/subtasks/metrics?"))
        .collect();
    assert_eq!(metric_calls.len(), 2);
    assert!(metric_calls[0].target.contains(
        "get=numRecordsInPerSecond%2CnumRecordsOutPerSecond%2CnumBytesInPerSecond%2CnumBytesOutPerSecond%2CbusyTimeMsPerSecond%2CbackPressuredTimeMsPerSecond&agg=sum%2Cmax"
    ));
    assert!(seen
        .iter()
        .any(|s| s.target == format!("/jobs/{jid}/exceptions?maxExceptions=5")));
    assert!(seen
        .iter()
        .any(|s| s.target == format!("/jobs/{jid}/metrics?get=numRestarts")));
    assert!(seen
        .iter()
        .all(|s| s.header("accept") == Some("application/json") && s.method == "GET"));
}

#[tokio::test]
async fn log_tail_streams_and_bounds_a_big_file() {
    let mut big = Vec::new();
    for i in 0..150_000 {
        big.extend_from_slice(format!("2026-11-21 07:30:05,123 INFO  line {i:07}\n").as_bytes());
    }
    let total = big.len();
    let body = Arc::new(big);
    let fake = FakeFlink::start(move |req| match req.target.as_str() {
        "/taskmanagers/127.0.0.1:33645-373d8b/logs/flink-taskmanager.log.1" => Reply {
            status: 200,
            content_type: "text/plain",
            body: body.as_ref().clone(),
        },
        _ => json(404, r#"{"errors":["Unable to load requested file /x."]}"#),
    });
    let c = fake.client();
    let file = LogFileRef {
        source: LogSource::TaskManager("127.0.0.1:33645-373d8b".into()),
        name: LogName::File("flink-taskmanager.log.1".into()),
        size: None,
        mtime: None,
    };
    let tail = c.log_tail(&file, 64 * 1024).await.expect("tail");
    assert_eq!(tail.total_bytes, total as u64);
    assert!(tail.truncated);
    assert!(tail.text.len() <= 64 * 1024);
    assert!(tail.text.starts_with("2026-11-21 07:30:05,123 INFO  line "));
    assert!(tail.text.ends_with("line 0149999\n"));

    let missing = LogFileRef {
        name: LogName::File("nope.log".into()),
        ..file
    };
    let e = c.log_tail(&missing, 1024).await.expect_err("404");
    assert_eq!(e.class, FailureClass::Http { status: 404 });
    assert!(
        e.message.ends_with("Unable to load requested file /x."),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn auth_jars_cancel_and_prefix_urls() {
    let fake = FakeFlink::start(|req| match (req.method.as_str(), req.target.as_str()) {
        ("POST", "/proxy/jars/upload") => json(
            200,
            r#"{"filename":"/tmp/flink-web-upload/0e11a937-a793-4642-b953-45e34eb18c3d_app.jar","status":"success"}"#,
        ),
        ("POST", t) if t.ends_with("/run") => {
            json(200, r#"{"jobid":"b247e85f1c5df2cf3e6c4f14e54cf60f"}"#)
        }
        ("PATCH", _) => json(202, "{}"),
        _ => json(404, r#"{"errors":["Not found"]}"#),
    });
    let mut ep =
        Endpoint::new(url::Url::parse(&format!("http://{}/proxy/", fake.addr)).expect("url"));
    ep.auth = Auth::Bearer("s3cret-token".into());
    assert!(!format!("{ep:?}").contains("s3cret"));
    let c = FlinkClient::new(ep).expect("client");
    assert!(!format!("{c:?}").contains("s3cret"));

    let dir = tempfile::tempdir().expect("tempdir");
    let jar = dir.path().join("app.jar");
    std::fs::write(&jar, b"PK\x03\x04 not really a jar").expect("write");
    let id = c.upload_jar(&jar).await.expect("upload");
    assert_eq!(id, "0e11a937-a793-4642-b953-45e34eb18c3d_app.jar");
    let not_jar = dir.path().join("app.zip");
    std::fs::write(&not_jar, b"x").expect("write");
    assert!(c.upload_jar(&not_jar).await.is_err());

    let mut req = RunJarRequest {
        entry_class: Some("flinkdeck.demo.FlinkdeckDemo".into()),
        program_args: vec!["--name".into(), "a b".into()],
        parallelism: Some(1),
        ..RunJarRequest::default()
    };
    req.flink_configuration
        .insert("pipeline.name".into(), "x".into());
    let job = c.run_jar(&id, &req).await.expect("run");
    assert_eq!(job, "b247e85f1c5df2cf3e6c4f14e54cf60f");
    c.cancel_job(&job).await.expect("cancel");

    let seen = fake.seen();
    assert!(seen
        .iter()
        .all(|s| s.header("authorization") == Some("Bearer s3cret-token")));
    let upload = seen
        .iter()
        .find(|s| s.target == "/proxy/jars/upload")
        .expect("upload seen");
    assert!(upload
        .header("content-type")
        .is_some_and(|t| t.starts_with("multipart/form-data")));
    let text = String::from_utf8_lossy(&upload.body);
    assert!(
        text.contains("name=\"jarfile\"; filename=\"app.jar\""),
        "{text}"
    );
    let run = seen
        .iter()
        .find(|s| s.target.ends_with("/run"))
        .expect("run seen");
    assert_eq!(run.target, format!("/proxy/jars/{id}/run"));
    let body: Value = serde_json::from_slice(&run.body).expect("json body");
    assert_eq!(
        body["programArgsList"],
        serde_json::json!(["--name", "a b"])
    );
    assert_eq!(body["entryClass"], "flinkdeck.demo.FlinkdeckDemo");
    assert_eq!(body["flinkConfiguration"]["pipeline.name"], "x");
    assert!(seen.iter().any(|s| s.method == "PATCH"
        && s.target == "/proxy/jobs/b247e85f1c5df2cf3e6c4f14e54cf60f?mode=cancel"));

    // Basic auth.
    let mut ep = Endpoint::new(fake.url());
    ep.auth = Auth::Basic {
        username: "ops".into(),
        password: "pw".into(),
    };
    let c = FlinkClient::new(ep).expect("client");
    let _ = c.get_json("/whatever").await;
    assert!(fake
        .seen()
        .iter()
        .any(|s| s.header("authorization") == Some("Basic b3BzOnB3")));
}

/// Every public call can run inside `tokio::spawn` (its future is `Send + 'static` once it owns
/// the client).
#[test]
fn client_futures_are_spawnable() {
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    let c = FlinkClient::new(Endpoint::new(
        url::Url::parse("http://127.0.0.1:1/").expect("url"),
    ))
    .expect("client");
    let file = LogFileRef {
        source: LogSource::JobManager,
        name: LogName::Log,
        size: None,
        mtime: None,
    };
    let c1 = c.clone();
    spawnable(async move { c1.cluster_info().await });
    let c1 = c.clone();
    spawnable(async move { c1.jobs_overview("x").await });
    let c1 = c.clone();
    spawnable(async move { c1.job_detail("j").await });
    let c1 = c.clone();
    spawnable(async move { c1.checkpoints("j").await });
    let c1 = c.clone();
    spawnable(async move { c1.last_checkpoint("j").await });
    let c1 = c.clone();
    spawnable(async move { c1.num_restarts("j").await });
    let c1 = c.clone();
    spawnable(async move { c1.exceptions("j", 3).await });
    let c1 = c.clone();
    spawnable(async move { c1.taskmanagers().await });
    let c1 = c.clone();
    spawnable(async move { c1.log_files().await });
    let c1 = c.clone();
    spawnable(async move { c1.log_tail(&file, 10).await });
    let c1 = c.clone();
    spawnable(async move { c1.upload_jar(std::path::Path::new("a.jar")).await });
    let c1 = c.clone();
    spawnable(async move { c1.run_jar("a.jar", &RunJarRequest::default()).await });
    let c1 = c.clone();
    spawnable(async move { c1.cancel_job("j").await });
    spawnable(async move { c.get_json("/x").await });
}

#[test]
fn bad_endpoints_are_rejected() {
    let e = FlinkClient::new(Endpoint::new(
        url::Url::parse("ftp://example.com/").expect("url"),
    ))
    .expect_err("scheme");
    assert!(e.message.contains("http://"), "{}", e.message);
    let mut ep = Endpoint::new(url::Url::parse("https://example.com/").expect("url"));
    ep.ca_cert_pem = Some(b"not a pem".to_vec());
    assert!(FlinkClient::new(ep).is_err());
}
