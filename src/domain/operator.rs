//! Lifecycle of Flink Kubernetes Operator resources (FlinkDeployment, FlinkSessionJob) as pure
//! types and rules: what a resource says about itself ([`OperatorView`]), the `spec.job` changes
//! flinkdeck makes ([`JobPatch`]) and what an interrupted change is journaled as
//! ([`OperatorOpParams`]). Reading and writing the resources lives in the kubernetes backend.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One operator resource, as named in messages and the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRef {
    /// `FlinkDeployment` or `FlinkSessionJob`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for OperatorRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
    }
}

/// A savepoint the operator recorded (`status.jobStatus.savepointInfo.lastSavepoint`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OperatorSavepoint {
    pub location: String,
    /// Epoch ms (`timeStamp`).
    pub time_stamp: Option<i64>,
    /// `MANUAL`, `PERIODIC`, `UPGRADE`, `UNKNOWN`.
    pub trigger_type: Option<String>,
    /// The `savepointTriggerNonce` that asked for it (manual savepoints).
    pub trigger_nonce: Option<i64>,
}

/// `spec.job` as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OperatorJobSpec {
    /// `running` or `suspended`.
    pub state: Option<String>,
    /// `stateless`, `savepoint` or `last-state`.
    pub upgrade_mode: Option<String>,
    pub savepoint_trigger_nonce: Option<i64>,
    pub savepoint_redeploy_nonce: Option<i64>,
    pub initial_savepoint_path: Option<String>,
}

/// What an operator resource says about itself now (its `metadata.generation`, `spec.job` and
/// `status`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OperatorView {
    pub generation: Option<i64>,
    /// `status.observedGeneration`.
    pub observed_generation: Option<i64>,
    /// The generation of `status.reconciliationStatus.lastReconciledSpec`.
    pub reconciled_generation: Option<i64>,
    /// `status.reconciliationStatus.state`: `DEPLOYED`, `UPGRADING`, `ROLLING_BACK`,
    /// `ROLLED_BACK`.
    pub reconciliation_state: Option<String>,
    pub lifecycle_state: Option<String>,
    /// `status.jobStatus.state`: a Flink job state.
    pub job_state: Option<String>,
    pub job_id: Option<String>,
    pub upgrade_savepoint_path: Option<String>,
    pub last_savepoint: Option<OperatorSavepoint>,
    /// `status.error` on one line (the operator writes a JSON document there).
    pub error: Option<String>,
    /// `None` for a session cluster (no `spec.job`).
    pub job: Option<OperatorJobSpec>,
}

impl OperatorView {
    /// Whether the operator has reconciled generation `generation` (or a newer one).
    pub fn caught_up(&self, generation: i64) -> bool {
        self.observed_generation.is_some_and(|g| g >= generation)
            || self.reconciled_generation.is_some_and(|g| g >= generation)
    }

    pub fn is_suspended(&self) -> bool {
        self.lifecycle_state.as_deref() == Some("SUSPENDED")
    }

    /// Whether `spec.job.state` asks for a suspended job.
    pub fn asked_suspended(&self) -> bool {
        self.job
            .as_ref()
            .is_some_and(|j| j.state.as_deref() == Some("suspended"))
    }

    pub fn job_running(&self) -> bool {
        self.job_state.as_deref() == Some("RUNNING")
    }

    /// Where the last suspend-with-savepoint (or savepoint) put the job's state:
    /// `upgradeSavepointPath`, else `savepointInfo.lastSavepoint.location`.
    pub fn savepoint_path(&self) -> Option<&str> {
        self.upgrade_savepoint_path
            .as_deref()
            .filter(|p| !p.is_empty())
            .or_else(|| {
                self.last_savepoint
                    .as_ref()
                    .map(|s| s.location.as_str())
                    .filter(|p| !p.is_empty())
            })
    }

    /// One line on where the resource is: `lifecycle SUSPENDED, job FINISHED, generation 3
    /// (reconciled 3)`, plus the operator's error.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "lifecycle {}, job {}",
            self.lifecycle_state.as_deref().unwrap_or("-"),
            self.job_state.as_deref().unwrap_or("-")
        );
        if let Some(g) = self.generation {
            let seen = self.observed_generation.or(self.reconciled_generation);
            s.push_str(&format!(
                ", generation {g} (reconciled {})",
                seen.map_or("-".to_string(), |g| g.to_string())
            ));
        }
        if let Some(e) = &self.error {
            s.push_str(&format!("; operator error: {e}"));
        }
        s
    }
}

/// A `FlinkStateSnapshot` as far as flinkdeck reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnapshotView {
    pub name: String,
    /// `TRIGGER_PENDING`, `IN_PROGRESS`, `COMPLETED`, `FAILED`, `ABANDONED`.
    pub state: Option<String>,
    pub path: Option<String>,
    pub error: Option<String>,
    /// The `snapshot.trigger-type` label: `MANUAL`, `PERIODIC`, `UPGRADE`.
    pub trigger_type: Option<String>,
    /// `metadata.creationTimestamp` / `status.resultTimestamp`, epoch ms.
    pub created_ms: Option<i64>,
    pub result_ms: Option<i64>,
    /// Whether it is a savepoint (`spec.savepoint`), not a checkpoint.
    pub savepoint: bool,
}

/// A change of `spec.job` that flinkdeck makes (sent as a JSON merge patch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "patch", rename_all = "snake_case")]
pub enum JobPatch {
    /// `state: suspended` with `upgradeMode: savepoint` (`stateless` without a savepoint).
    Suspend { savepoint: bool },
    /// `state: running`; `upgradeMode: savepoint` resumes from the last savepoint, `stateless`
    /// starts empty.
    Resume { from_savepoint: bool },
    /// `state: running` from a chosen savepoint: `initialSavepointPath` and a new
    /// `savepointRedeployNonce`.
    RedeployFrom { path: String, nonce: i64 },
    /// A manual savepoint: a new `savepointTriggerNonce`.
    TriggerSavepoint { nonce: i64 },
}

impl JobPatch {
    /// The merge patch body.
    pub fn body(&self) -> Value {
        let job = match self {
            JobPatch::Suspend { savepoint } => json!({
                "state": "suspended",
                "upgradeMode": if *savepoint { "savepoint" } else { "stateless" },
            }),
            JobPatch::Resume { from_savepoint } => json!({
                "state": "running",
                "upgradeMode": if *from_savepoint { "savepoint" } else { "stateless" },
            }),
            JobPatch::RedeployFrom { path, nonce } => json!({
                "state": "running",
                "initialSavepointPath": path,
                "savepointRedeployNonce": nonce,
            }),
            JobPatch::TriggerSavepoint { nonce } => json!({ "savepointTriggerNonce": nonce }),
        };
        json!({ "spec": { "job": job } })
    }

    /// Whether `spec` already says what this patch says (after the patch arrived, or when it
    /// changes nothing).
    pub fn is_in(&self, spec: &OperatorJobSpec) -> bool {
        let s = |v: &Option<String>, want: &str| v.as_deref() == Some(want);
        match self {
            JobPatch::Suspend { savepoint } => {
                s(&spec.state, "suspended")
                    && s(
                        &spec.upgrade_mode,
                        if *savepoint { "savepoint" } else { "stateless" },
                    )
            }
            JobPatch::Resume { from_savepoint } => {
                s(&spec.state, "running")
                    && s(
                        &spec.upgrade_mode,
                        if *from_savepoint {
                            "savepoint"
                        } else {
                            "stateless"
                        },
                    )
            }
            JobPatch::RedeployFrom { path, nonce } => {
                s(&spec.state, "running")
                    && spec.initial_savepoint_path.as_deref() == Some(path.as_str())
                    && spec.savepoint_redeploy_nonce == Some(*nonce)
            }
            JobPatch::TriggerSavepoint { nonce } => spec.savepoint_trigger_nonce == Some(*nonce),
        }
    }
}

/// The next value of a nonce: any change asks the operator to act; one more than now.
pub fn next_nonce(current: Option<i64>) -> i64 {
    current.unwrap_or(0).saturating_add(1).max(1)
}

/// Which lifecycle action an operator change carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperatorAction {
    Stop,
    Start,
    Savepoint,
    Cancel,
}

impl OperatorAction {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorAction::Stop => "stop",
            OperatorAction::Start => "start",
            OperatorAction::Savepoint => "savepoint",
            OperatorAction::Cancel => "cancel",
        }
    }
}

/// What an `operator_patch` operation in the journal holds (its `params_json`): enough for a
/// later process to tell whether the change reached the API server and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorOpParams {
    pub action: OperatorAction,
    pub resource: OperatorRef,
    /// The change (`None` when a FlinkStateSnapshot is created instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<JobPatch>,
    /// The merge patch body as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// `metadata.generation` before the change.
    pub base_generation: Option<i64>,
    /// The generation the change makes (base + 1).
    pub expect_generation: Option<i64>,
    /// The FlinkStateSnapshot created for a savepoint (its name is chosen before it is sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<String>,
    /// The path a start restores from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_path: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_bodies_are_the_operators_merge_patches() {
        assert_eq!(
            JobPatch::Suspend { savepoint: true }.body(),
            json!({"spec":{"job":{"state":"suspended","upgradeMode":"savepoint"}}})
        );
        assert_eq!(
            JobPatch::Suspend { savepoint: false }.body(),
            json!({"spec":{"job":{"state":"suspended","upgradeMode":"stateless"}}})
        );
        assert_eq!(
            JobPatch::Resume {
                from_savepoint: true
            }
            .body(),
            json!({"spec":{"job":{"state":"running","upgradeMode":"savepoint"}}})
        );
        assert_eq!(
            JobPatch::Resume {
                from_savepoint: false
            }
            .body(),
            json!({"spec":{"job":{"state":"running","upgradeMode":"stateless"}}})
        );
        assert_eq!(
            JobPatch::RedeployFrom {
                path: "s3://b/sp-1".into(),
                nonce: 4
            }
            .body(),
            json!({"spec":{"job":{"state":"running","initialSavepointPath":"s3://b/sp-1","savepointRedeployNonce":4}}})
        );
        assert_eq!(
            JobPatch::TriggerSavepoint { nonce: 2 }.body(),
            json!({"spec":{"job":{"savepointTriggerNonce":2}}})
        );
    }

    #[test]
    fn patches_know_whether_the_spec_has_them() {
        let spec = OperatorJobSpec {
            state: Some("suspended".into()),
            upgrade_mode: Some("savepoint".into()),
            savepoint_trigger_nonce: Some(3),
            ..Default::default()
        };
        assert!(JobPatch::Suspend { savepoint: true }.is_in(&spec));
        assert!(!JobPatch::Suspend { savepoint: false }.is_in(&spec));
        assert!(!JobPatch::Resume {
            from_savepoint: true
        }
        .is_in(&spec));
        assert!(JobPatch::TriggerSavepoint { nonce: 3 }.is_in(&spec));
        assert!(!JobPatch::TriggerSavepoint { nonce: 4 }.is_in(&spec));
    }

    #[test]
    fn nonces_move_forward() {
        assert_eq!(next_nonce(None), 1);
        assert_eq!(next_nonce(Some(0)), 1);
        assert_eq!(next_nonce(Some(41)), 42);
        assert_eq!(next_nonce(Some(-5)), 1);
    }

    #[test]
    fn savepoint_path_prefers_the_upgrade_path() {
        let mut v = OperatorView {
            last_savepoint: Some(OperatorSavepoint {
                location: "file:/sp/manual".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(v.savepoint_path(), Some("file:/sp/manual"));
        v.upgrade_savepoint_path = Some("file:/sp/upgrade".into());
        assert_eq!(v.savepoint_path(), Some("file:/sp/upgrade"));
        v.generation = Some(3);
        v.observed_generation = Some(2);
        assert!(!v.caught_up(3));
        v.reconciled_generation = Some(3);
        assert!(v.caught_up(3));
    }
}
