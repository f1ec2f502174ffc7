//! Mutating calls: trigger a savepoint, stop with savepoint, poll a trigger, read a job's status.
//!
//! Every trigger carries a client-chosen `triggerId`, so the caller can journal the id *before*
//! the request goes out: a process that dies mid-request leaves an id that a later process can
//! poll (Flink answers 404 for an id it never received).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::FlinkClient;
use super::error::FlinkError;
use crate::domain::JobState;

/// The state of an asynchronous savepoint / stop operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerStatus {
    InProgress,
    Completed { location: String },
    Failed { cause: String },
}

/// A fresh 32-hex-digit trigger id (unique per process and call; not a secret).
pub fn new_trigger_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = u64::from(std::process::id());
    // Mix so that ids of the same nanosecond in two processes differ.
    let mixed = (pid << 40) ^ (n << 8) ^ nanos.rotate_left(17);
    format!("{nanos:016x}{mixed:016x}")
}

#[derive(Serialize)]
struct SavepointBody<'a> {
    #[serde(rename = "target-directory", skip_serializing_if = "Option::is_none")]
    target_directory: Option<&'a str>,
    #[serde(rename = "cancel-job")]
    cancel_job: bool,
    #[serde(rename = "triggerId")]
    trigger_id: &'a str,
}

#[derive(Serialize)]
struct StopBody<'a> {
    #[serde(rename = "targetDirectory", skip_serializing_if = "Option::is_none")]
    target_directory: Option<&'a str>,
    drain: bool,
    #[serde(rename = "triggerId")]
    trigger_id: &'a str,
}

#[derive(Deserialize)]
struct TriggerAnswer {
    #[serde(rename = "request-id")]
    request_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusId {
    id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SavepointOperation {
    location: Option<String>,
    #[serde(rename = "failure-cause", alias = "failureCause")]
    failure_cause: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AsyncStatus {
    status: StatusId,
    operation: Option<SavepointOperation>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JobStatusAnswer {
    status: String,
}

fn trigger_status(s: AsyncStatus) -> TriggerStatus {
    if s.status.id != "COMPLETED" {
        return TriggerStatus::InProgress;
    }
    let op = s.operation.unwrap_or_default();
    match (op.location, op.failure_cause) {
        (Some(location), _) if !location.is_empty() => TriggerStatus::Completed { location },
        (_, Some(cause)) => TriggerStatus::Failed {
            cause: cause_line(&cause),
        },
        _ => TriggerStatus::Failed {
            cause: "Flink reported neither a location nor a failure".into(),
        },
    }
}

/// Runs the action answers' decoders and their mappings on one body (property tests): how many
/// decoded.
pub(crate) fn decode_action_answers(body: &[u8]) -> usize {
    let mut ok = 0;
    if let Ok(a) = serde_json::from_slice::<TriggerAnswer>(body) {
        ok += usize::from(a.request_id.is_some());
    }
    if let Ok(s) = serde_json::from_slice::<AsyncStatus>(body) {
        let _ = trigger_status(s);
        ok += 1;
    }
    if let Ok(s) = serde_json::from_slice::<JobStatusAnswer>(body) {
        let _ = JobState::parse(&s.status);
        ok += 1;
    }
    if let Ok(l) = serde_json::from_slice::<JarList>(body) {
        ok += l.files.len().min(1);
    }
    ok
}

/// The first line of a serialized throwable's stack trace (its class and message).
fn cause_line(v: &serde_json::Value) -> String {
    let trace = v
        .get("stack-trace")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    let mut line = trace
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("unknown failure")
        .trim()
        .to_string();
    // The deepest "Caused by" says most.
    if let Some(c) = trace
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with("Caused by:"))
    {
        line = format!("{line} ({})", c.trim().trim_start_matches("Caused by: "));
    }
    line
}

impl FlinkClient {
    /// `POST /jobs/:id/savepoints` with the given trigger id; returns the id Flink confirmed.
    pub async fn trigger_savepoint(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        trigger_id: &str,
    ) -> Result<String, FlinkError> {
        let url = self.url(&["jobs", job_id, "savepoints"], &[]);
        let body = SavepointBody {
            target_directory: target_dir,
            cancel_job: false,
            trigger_id,
        };
        let a: TriggerAnswer = self
            .call(Method::POST, &url, |rb| rb.json(&body), self.timeout())
            .await?;
        Ok(a.request_id.unwrap_or_else(|| trigger_id.to_string()))
    }

    /// `POST /jobs/:id/stop` (stop with savepoint) with the given trigger id.
    pub async fn stop_with_savepoint(
        &self,
        job_id: &str,
        target_dir: Option<&str>,
        drain: bool,
        trigger_id: &str,
    ) -> Result<String, FlinkError> {
        let url = self.url(&["jobs", job_id, "stop"], &[]);
        let body = StopBody {
            target_directory: target_dir,
            drain,
            trigger_id,
        };
        let a: TriggerAnswer = self
            .call(Method::POST, &url, |rb| rb.json(&body), self.timeout())
            .await?;
        Ok(a.request_id.unwrap_or_else(|| trigger_id.to_string()))
    }

    /// `GET /jobs/:id/savepoints/:triggerid` (also the status of a stop).
    pub async fn savepoint_status(
        &self,
        job_id: &str,
        trigger_id: &str,
    ) -> Result<TriggerStatus, FlinkError> {
        let url = self.url(&["jobs", job_id, "savepoints", trigger_id], &[]);
        let s: AsyncStatus = self.get(&url).await?;
        Ok(trigger_status(s))
    }

    /// `GET /jobs/:id/status`.
    pub async fn job_state(&self, job_id: &str) -> Result<JobState, FlinkError> {
        let url = self.url(&["jobs", job_id, "status"], &[]);
        let s: JobStatusAnswer = self.get(&url).await?;
        Ok(JobState::parse(&s.status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_ids_are_32_hex_and_distinct() {
        let a = new_trigger_id();
        let b = new_trigger_id();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn failure_cause_is_one_line_with_the_root_cause() {
        let v = serde_json::json!({
            "class": "java.util.concurrent.CompletionException",
            "stack-trace": "java.util.concurrent.CompletionException: boom\n\tat x.y(Z.java:1)\nCaused by: java.io.IOException: disk full\n\tat a.b(C.java:2)\n"
        });
        assert_eq!(
            cause_line(&v),
            "java.util.concurrent.CompletionException: boom (java.io.IOException: disk full)"
        );
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JarList {
    files: Vec<JarFile>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct JarFile {
    id: String,
    name: String,
}

impl FlinkClient {
    /// `GET /jars`: the uploaded jars as (id, original file name).
    pub async fn list_jars(&self) -> Result<Vec<(String, String)>, FlinkError> {
        let url = self.url(&["jars"], &[]);
        let list: JarList = self.get(&url).await?;
        Ok(list.files.into_iter().map(|f| (f.id, f.name)).collect())
    }

    /// `DELETE /jars/:id`.
    pub async fn delete_jar(&self, jar_id: &str) -> Result<(), FlinkError> {
        let url = self.url(&["jars", jar_id], &[]);
        self.send(Method::DELETE, &url, |rb| rb, self.timeout())
            .await?;
        Ok(())
    }
}
