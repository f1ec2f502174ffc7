//! What Kubernetes says about a Flink cluster, from the objects in the watch cache (pure
//! functions, no requests): pods as [`PodInfo`] with the reason they are not running
//! (`CrashLoopBackOff`, `ImagePullBackOff`, `OOMKilled`, `Pending: Insufficient memory`), one line
//! on why the JobManager is not serving, and the operator's view of its resource.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::api::DynamicObject;
use serde_json::Value;

use crate::domain::{OperatorStatus, PodInfo, PodRole};
use crate::flink::one_line;

/// Flink's label for the process a pod runs (`jobmanager` / `taskmanager`).
pub(crate) const COMPONENT_LABEL: &str = "component";
/// Flink's label for the cluster id.
pub(crate) const APP_LABEL: &str = "app";

/// The role of a pod from its `component` label.
pub(crate) fn pod_role(pod: &Pod) -> PodRole {
    match pod
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(COMPONENT_LABEL))
        .map(String::as_str)
    {
        Some("jobmanager") => PodRole::JobManager,
        Some("taskmanager") => PodRole::TaskManager,
        _ => PodRole::Other,
    }
}

/// The `app` label (Flink's cluster id) of an object's labels.
pub(crate) fn app_label(
    labels: Option<&std::collections::BTreeMap<String, String>>,
) -> Option<&str> {
    labels.and_then(|l| l.get(APP_LABEL)).map(String::as_str)
}

/// One pod as the console shows it.
pub(crate) fn pod_info(pod: &Pod) -> PodInfo {
    let status = pod.status.as_ref();
    let statuses: &[ContainerStatus] = status
        .and_then(|s| s.container_statuses.as_deref())
        .unwrap_or(&[]);
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Unknown".to_string());
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    let restarts = statuses.iter().map(|c| c.restart_count.max(0) as u32).sum();
    let last_termination = statuses.iter().find_map(|c| {
        let t = c.last_state.as_ref()?.terminated.as_ref()?;
        Some(termination_line(t.reason.as_deref(), t.exit_code))
    });
    PodInfo {
        name: pod.metadata.name.clone().unwrap_or_default(),
        role: pod_role(pod),
        phase,
        ready,
        restarts,
        reason: pod_reason(pod),
        last_termination,
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
        containers: pod
            .spec
            .as_ref()
            .map(|s| s.containers.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default(),
        created_ms: pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_millisecond()),
    }
}

/// `OOMKilled (exit 137)`.
fn termination_line(reason: Option<&str>, exit_code: i32) -> String {
    match reason.filter(|r| !r.is_empty()) {
        Some(r) => format!("{r} (exit {exit_code})"),
        None => format!("exit {exit_code}"),
    }
}

/// Why a pod is not running now, from Kubernetes itself: a terminating pod, an init or main
/// container's waiting reason (`CrashLoopBackOff`, `ImagePullBackOff`), a terminated container's
/// reason (`OOMKilled`), the pod's own reason (`Evicted`), or an unschedulable pod's condition
/// (`Pending: Insufficient memory`). `None` for a pod that runs and is ready.
pub(crate) fn pod_reason(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    if pod.metadata.deletion_timestamp.is_some() {
        return Some("Terminating".to_string());
    }
    // Not scheduled: the scheduler's reason says more than any container state.
    let unscheduled = status
        .conditions
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c.type_ == "PodScheduled"))
        .filter(|c| c.status == "False");
    if let Some(c) = unscheduled {
        let why = c
            .message
            .as_deref()
            .map(unschedulable_reason)
            .or_else(|| c.reason.clone())
            .unwrap_or_else(|| "Unschedulable".to_string());
        return Some(format!("Pending: {why}"));
    }
    let init = status.init_container_statuses.as_deref().unwrap_or(&[]);
    for c in init {
        let Some(state) = &c.state else { continue };
        if let Some(w) = state.waiting.as_ref().and_then(|w| w.reason.as_deref()) {
            return Some(format!("Init:{w}"));
        }
        if let Some(t) = &state.terminated {
            if t.exit_code != 0 {
                return Some(format!("Init:{}", t.reason.as_deref().unwrap_or("Error")));
            }
        }
    }
    let main = status.container_statuses.as_deref().unwrap_or(&[]);
    for c in main {
        let Some(state) = &c.state else { continue };
        if let Some(w) = state.waiting.as_ref().and_then(|w| w.reason.as_deref()) {
            return Some(w.to_string());
        }
        if let Some(t) = &state.terminated {
            return Some(
                t.reason
                    .clone()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| format!("exit {}", t.exit_code)),
            );
        }
    }
    if let Some(r) = status.reason.as_deref().filter(|r| !r.is_empty()) {
        return Some(r.to_string());
    }
    if status.phase.as_deref() == Some("Pending") {
        return Some("Pending".to_string());
    }
    None
}

/// The scheduler's message, shortened to what matters: `0/3 nodes are available: 3 Insufficient
/// memory. preemption: ...` → `Insufficient memory`; other messages on one line.
fn unschedulable_reason(message: &str) -> String {
    let mut found: Vec<String> = Vec::new();
    for part in message.split([',', '.', ':']) {
        let p = part.trim();
        if let Some(i) = p.find("Insufficient ") {
            let r = p[i..].trim().to_string();
            if !found.contains(&r) {
                found.push(r);
            }
        }
    }
    if found.is_empty() {
        one_line(message, 120)
    } else {
        found.join(", ")
    }
}

/// One line on why the JobManager is not serving, from its pods: `None` while some JobManager pod
/// is ready (or there is nothing to say).
pub(crate) fn jobmanager_problem(
    pods: &[PodInfo],
    operator: Option<&OperatorStatus>,
) -> Option<String> {
    let jms: Vec<&PodInfo> = pods
        .iter()
        .filter(|p| p.role == PodRole::JobManager)
        .collect();
    if jms.iter().any(|p| p.ready) {
        return None;
    }
    // The newest JobManager pod says the most about now.
    if let Some(p) = jms.iter().max_by_key(|p| p.created_ms.unwrap_or(0)) {
        let why = p
            .reason
            .clone()
            .or_else(|| p.last_termination.clone())
            .unwrap_or_else(|| format!("{} (not ready)", p.phase));
        let restarts = match p.restarts {
            0 => String::new(),
            1 => " (1 restart)".to_string(),
            n => format!(" ({n} restarts)"),
        };
        return Some(format!("{why}: pod {}{restarts}", p.name));
    }
    let op = operator?;
    if let Some(e) = &op.error {
        return Some(format!("no JobManager pod; operator: {}", one_line(e, 200)));
    }
    match op.jm_deployment_status.as_deref() {
        Some("READY") | None => None,
        Some(s) => Some(format!("no JobManager pod (JobManager deployment {s})")),
    }
}

/// The operator's view of a FlinkDeployment or FlinkSessionJob.
pub(crate) fn operator_status(obj: &DynamicObject) -> OperatorStatus {
    let data = &obj.data;
    let s = |v: &Value, path: &[&str]| -> Option<String> {
        let mut cur = v;
        for p in path {
            cur = cur.get(p)?;
        }
        match cur {
            Value::String(x) if !x.is_empty() => Some(x.clone()),
            Value::Null => None,
            Value::String(_) => None,
            other => Some(other.to_string()),
        }
    };
    OperatorStatus {
        lifecycle_state: s(data, &["status", "lifecycleState"]),
        jm_deployment_status: s(data, &["status", "jobManagerDeploymentStatus"]),
        job_state: s(data, &["status", "jobStatus", "state"]),
        job_id: s(data, &["status", "jobStatus", "jobId"]),
        error: s(data, &["status", "error"]).map(|e| operator_error_line(&e)),
        desired_state: s(data, &["spec", "job", "state"]),
        flink_version: s(data, &["spec", "flinkVersion"]),
    }
}

/// The operator writes `status.error` as a JSON-serialised exception (`{"type":...,"message":
/// ...}`) or as plain text: one line either way.
fn operator_error_line(raw: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(raw) {
        if let Some(m) = v.get("message").and_then(Value::as_str) {
            let ty = v
                .get("type")
                .and_then(Value::as_str)
                .map(|t| t.rsplit('.').next().unwrap_or(t));
            return one_line(
                &match ty {
                    Some(t) if !m.starts_with(t) => format!("{t}: {m}"),
                    _ => m.to_string(),
                },
                300,
            );
        }
    }
    one_line(raw, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(v: Value) -> Pod {
        serde_json::from_value(v).expect("pod json")
    }

    #[test]
    fn crash_loop_with_last_oom() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "orders-7d9", "labels": {"app": "orders", "component": "jobmanager"},
                         "creationTimestamp": "2024-05-01T10:00:00Z"},
            "spec": {"nodeName": "node-1", "containers": [{"name": "flink-main-container"}]},
            "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "flink-main-container", "ready": false, "restartCount": 5,
                    "image": "flink:2.3", "imageID": "",
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}
        }));
        let info = pod_info(&p);
        assert_eq!(info.role, PodRole::JobManager);
        assert_eq!(info.reason.as_deref(), Some("CrashLoopBackOff"));
        assert_eq!(
            info.last_termination.as_deref(),
            Some("OOMKilled (exit 137)")
        );
        assert_eq!(info.restarts, 5);
        assert!(!info.ready);
        assert_eq!(info.node.as_deref(), Some("node-1"));
        assert_eq!(info.containers, ["flink-main-container"]);
        assert_eq!(
            jobmanager_problem(&[info], None).as_deref(),
            Some("CrashLoopBackOff: pod orders-7d9 (5 restarts)")
        );
    }

    #[test]
    fn pending_insufficient_memory() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "orders-tm-1-1", "labels": {"component": "taskmanager"}},
            "spec": {"containers": [{"name": "flink-main-container"}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}]}
        }));
        assert_eq!(
            pod_reason(&p).as_deref(),
            Some("Pending: Insufficient memory")
        );
    }

    #[test]
    fn image_pull_and_running_pods() {
        let waiting = pod(serde_json::json!({
            "metadata": {"name": "x"},
            "status": {"phase": "Pending", "containerStatuses": [{"name": "c", "ready": false,
                "restartCount": 0, "image": "", "imageID": "",
                "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}
        }));
        assert_eq!(pod_reason(&waiting).as_deref(), Some("ImagePullBackOff"));
        let running = pod(serde_json::json!({
            "metadata": {"name": "y", "labels": {"component": "jobmanager"}},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "c", "ready": true, "restartCount": 0, "image": "",
                "imageID": "", "state": {"running": {}}}]}
        }));
        assert_eq!(pod_reason(&running), None);
        assert_eq!(jobmanager_problem(&[pod_info(&running)], None), None);
        let oom = pod(serde_json::json!({
            "metadata": {"name": "z"},
            "status": {"phase": "Failed", "containerStatuses": [{"name": "c", "ready": false,
                "restartCount": 0, "image": "", "imageID": "",
                "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}
        }));
        assert_eq!(pod_reason(&oom).as_deref(), Some("OOMKilled"));
    }

    #[test]
    fn operator_status_fields() {
        let obj: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "orders", "namespace": "streaming"},
            "spec": {"flinkVersion": "v1_20", "job": {"state": "running", "jarURI": "local:///x.jar"}},
            "status": {"lifecycleState": "STABLE", "jobManagerDeploymentStatus": "READY",
                "jobStatus": {"state": "RUNNING", "jobId": "abc"},
                "error": "{\"type\":\"org.apache.flink.kubernetes.operator.exception.ReconciliationException\",\"message\":\"boom\\nmore\"}"}
        }))
        .expect("dynamic object");
        let s = operator_status(&obj);
        assert_eq!(s.lifecycle_state.as_deref(), Some("STABLE"));
        assert_eq!(s.jm_deployment_status.as_deref(), Some("READY"));
        assert_eq!(s.job_state.as_deref(), Some("RUNNING"));
        assert_eq!(s.job_id.as_deref(), Some("abc"));
        assert_eq!(s.desired_state.as_deref(), Some("running"));
        assert_eq!(s.flink_version.as_deref(), Some("v1_20"));
        assert_eq!(
            s.error.as_deref(),
            Some("ReconciliationException: boom | more")
        );
        let none = jobmanager_problem(&[], Some(&s));
        assert_eq!(
            none.as_deref(),
            Some("no JobManager pod; operator: ReconciliationException: boom | more")
        );
    }
}
