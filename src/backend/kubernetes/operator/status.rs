//! Reading what the operator writes: a FlinkDeployment's / FlinkSessionJob's generation, `spec.job`
//! and `status`, and a FlinkStateSnapshot's state, into the domain's views. Lenient: a field that
//! is missing or of another type is `None` (operator versions differ).

use serde_json::Value;

use crate::domain::{OperatorJobSpec, OperatorSavepoint, OperatorView, SnapshotView};

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// A number written as a number or a string (`startTime` is a string, `timeStamp` a number).
fn int(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `status.error` is a JSON document (`{"type":…,"message":…}`) on newer operators and a plain
/// message on older ones: one line either way.
fn error_line(v: &Value) -> Option<String> {
    let raw = text(v)?;
    let line = match serde_json::from_str::<Value>(&raw) {
        Ok(doc) => text(&doc["message"]).unwrap_or(raw),
        Err(_) => raw,
    };
    Some(line.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The generation `lastReconciledSpec` (a JSON string) was reconciled at:
/// `resource_metadata.metadata.generation`.
fn reconciled_generation(status: &Value) -> Option<i64> {
    let raw = status["reconciliationStatus"]["lastReconciledSpec"].as_str()?;
    let doc: Value = serde_json::from_str(raw).ok()?;
    int(&doc["resource_metadata"]["metadata"]["generation"])
}

/// The view of a FlinkDeployment or FlinkSessionJob object.
pub fn view_of(obj: &Value) -> OperatorView {
    let status = &obj["status"];
    let js = &status["jobStatus"];
    let last = &js["savepointInfo"]["lastSavepoint"];
    let last_savepoint = text(&last["location"]).map(|location| OperatorSavepoint {
        location,
        time_stamp: int(&last["timeStamp"]),
        trigger_type: text(&last["triggerType"]),
        trigger_nonce: int(&last["triggerNonce"]),
    });
    let job = &obj["spec"]["job"];
    OperatorView {
        generation: int(&obj["metadata"]["generation"]),
        observed_generation: int(&status["observedGeneration"]),
        reconciled_generation: reconciled_generation(status),
        reconciliation_state: text(&status["reconciliationStatus"]["state"]),
        lifecycle_state: text(&status["lifecycleState"]),
        job_state: text(&js["state"]),
        job_id: text(&js["jobId"]),
        upgrade_savepoint_path: text(&js["upgradeSavepointPath"]),
        last_savepoint,
        error: error_line(&status["error"]),
        job: job.is_object().then(|| OperatorJobSpec {
            state: text(&job["state"]),
            upgrade_mode: text(&job["upgradeMode"]),
            savepoint_trigger_nonce: int(&job["savepointTriggerNonce"]),
            savepoint_redeploy_nonce: int(&job["savepointRedeployNonce"]),
            initial_savepoint_path: text(&job["initialSavepointPath"]),
        }),
    }
}

fn rfc3339_ms(v: &Value) -> Option<i64> {
    let s = v.as_str()?;
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The view of a FlinkStateSnapshot object.
pub fn snapshot_of(obj: &Value) -> SnapshotView {
    let status = &obj["status"];
    SnapshotView {
        name: text(&obj["metadata"]["name"]).unwrap_or_default(),
        state: text(&status["state"]),
        path: text(&status["path"]),
        error: error_line(&status["error"]),
        trigger_type: text(&obj["metadata"]["labels"]["snapshot.trigger-type"]),
        created_ms: rfc3339_ms(&obj["metadata"]["creationTimestamp"]),
        result_ms: rfc3339_ms(&status["resultTimestamp"]),
        savepoint: obj["spec"]["savepoint"].is_object(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A FlinkDeployment right after a suspend with savepoint, shaped as operator 1.10+ writes
    /// it (FlinkDeploymentStatus / JobStatus / SavepointInfo field names).
    fn suspended() -> Value {
        json!({
            "apiVersion": "flink.apache.org/v1beta1",
            "kind": "FlinkDeployment",
            "metadata": {"name": "orders", "namespace": "streaming", "generation": 3},
            "spec": {"job": {"jarURI": "local:///opt/flink/usrlib/app.jar", "state": "suspended",
                "upgradeMode": "savepoint", "savepointTriggerNonce": 7}},
            "status": {
                "jobStatus": {
                    "jobName": "orders", "jobId": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                    "state": "FINISHED", "startTime": "1732000000000", "updateTime": "1732000100000",
                    "upgradeSavepointPath": "s3://sp/savepoint-a1b2c3-0123456789ab",
                    "savepointInfo": {
                        "lastSavepoint": {"timeStamp": 1_732_000_099_000_i64,
                            "location": "s3://sp/savepoint-a1b2c3-0123456789ab",
                            "triggerType": "UPGRADE", "formatType": "CANONICAL", "triggerNonce": null},
                        "triggerId": null, "triggerTimestamp": null, "triggerType": null,
                        "formatType": null, "savepointHistory": [], "lastPeriodicSavepointTimestamp": 0
                    },
                    "checkpointInfo": {"lastPeriodicCheckpointTimestamp": 0}
                },
                "error": null,
                "observedGeneration": 3,
                "lifecycleState": "SUSPENDED",
                "jobManagerDeploymentStatus": "MISSING",
                "reconciliationStatus": {
                    "reconciliationTimestamp": 1_732_000_100_000_i64,
                    "lastReconciledSpec": "{\"spec\":{\"job\":{\"state\":\"suspended\"}},\"resource_metadata\":{\"apiVersion\":\"flink.apache.org/v1beta1\",\"metadata\":{\"generation\":3},\"firstDeployment\":false}}",
                    "state": "DEPLOYED"
                }
            }
        })
    }

    #[test]
    fn reads_a_suspended_deployment() {
        let v = view_of(&suspended());
        assert_eq!(v.generation, Some(3));
        assert_eq!(v.observed_generation, Some(3));
        assert_eq!(v.reconciled_generation, Some(3));
        assert!(v.is_suspended() && v.asked_suspended() && v.caught_up(3));
        assert_eq!(v.job_state.as_deref(), Some("FINISHED"));
        assert_eq!(
            v.savepoint_path(),
            Some("s3://sp/savepoint-a1b2c3-0123456789ab")
        );
        let last = v.last_savepoint.expect("last savepoint");
        assert_eq!(last.trigger_type.as_deref(), Some("UPGRADE"));
        assert_eq!(last.time_stamp, Some(1732000099000));
        assert_eq!(last.trigger_nonce, None);
        let job = v.job.expect("job");
        assert_eq!(job.savepoint_trigger_nonce, Some(7));
        assert_eq!(job.upgrade_mode.as_deref(), Some("savepoint"));
    }

    #[test]
    fn falls_back_to_the_last_savepoint_and_reads_errors() {
        let mut o = suspended();
        o["status"]["jobStatus"]["upgradeSavepointPath"] = Value::Null;
        o["status"]["jobStatus"]["savepointInfo"]["lastSavepoint"]["location"] =
            json!("file:/sp/manual-1");
        o["status"]["jobStatus"]["savepointInfo"]["lastSavepoint"]["triggerNonce"] = json!(7);
        o["status"]["error"] = json!("{\"type\":\"org.apache.flink.kubernetes.operator.exception.ReconciliationException\",\"message\":\"Job could not be\\n upgraded\",\"throwableList\":[]}");
        let v = view_of(&o);
        assert_eq!(v.savepoint_path(), Some("file:/sp/manual-1"));
        assert_eq!(v.last_savepoint.and_then(|s| s.trigger_nonce), Some(7));
        assert_eq!(v.error.as_deref(), Some("Job could not be upgraded"));
        // A plain-text error (older operators).
        o["status"]["error"] = json!("boom");
        assert_eq!(view_of(&o).error.as_deref(), Some("boom"));
    }

    #[test]
    fn a_session_cluster_has_no_job_spec() {
        let v = view_of(
            &json!({"metadata": {"generation": 1}, "spec": {"image": "flink:2.0"},
            "status": {"lifecycleState": "STABLE"}}),
        );
        assert!(v.job.is_none());
        assert!(!v.asked_suspended());
        assert_eq!(v.reconciled_generation, None);
    }

    #[test]
    fn reads_snapshots() {
        let s = snapshot_of(&json!({
            "metadata": {"name": "orders-upgrade-1", "creationTimestamp": "2024-11-19T07:08:20Z",
                "labels": {"snapshot.trigger-type": "UPGRADE", "snapshot.state": "COMPLETED"}},
            "spec": {"jobReference": {"kind": "FlinkDeployment", "name": "orders"},
                "savepoint": {"path": "s3://sp/x", "alreadyExists": true}},
            "status": {"state": "COMPLETED", "path": "s3://sp/x", "error": null,
                "resultTimestamp": "2024-11-19T07:08:21Z", "failures": 0}
        }));
        assert_eq!(s.name, "orders-upgrade-1");
        assert_eq!(s.state.as_deref(), Some("COMPLETED"));
        assert_eq!(s.path.as_deref(), Some("s3://sp/x"));
        assert_eq!(s.trigger_type.as_deref(), Some("UPGRADE"));
        assert_eq!(s.created_ms, Some(1_732_000_100_000));
        assert_eq!(s.result_ms, Some(1_732_000_101_000));
        assert!(s.savepoint);
    }
}
