//! The FlinkDeployment of an app spec with a `[kubernetes]` target, and the diff between what
//! the cluster has and what an apply would make of it.

use serde_json::{json, Map, Value};

use super::{FIELD_MANAGER, GROUP, VERSION};
use crate::domain::{AppSpec, KubeResources, KubeTarget};

/// The FlinkDeployment (application mode) that runs `spec` on its target: the object sent by
/// server-side apply. Only the fields flinkdeck manages are set; `spec.job.state` is left to the
/// lifecycle actions (stop/start), so applying never suspends or resumes a job by itself.
pub fn flink_deployment(spec: &AppSpec, target: &KubeTarget) -> Value {
    let mut job = Map::new();
    job.insert("jarURI".into(), json!(target.jar_uri));
    if let Some(c) = &target.entry_class {
        job.insert("entryClass".into(), json!(c));
    }
    if !target.args.is_empty() {
        job.insert("args".into(), json!(target.args));
    }
    if let Some(p) = target.parallelism {
        job.insert("parallelism".into(), json!(p));
    }
    job.insert("upgradeMode".into(), json!(target.upgrade_mode));
    if spec.allow_non_restored_state {
        job.insert("allowNonRestoredState".into(), json!(true));
    }
    let mut s = Map::new();
    s.insert("image".into(), json!(target.image));
    s.insert("flinkVersion".into(), json!(target.flink_version));
    if !target.flink_configuration.is_empty() {
        s.insert(
            "flinkConfiguration".into(),
            json!(target.flink_configuration),
        );
    }
    if let Some(sa) = &target.service_account {
        s.insert("serviceAccount".into(), json!(sa));
    }
    s.insert("jobManager".into(), component(&target.jobmanager));
    s.insert("taskManager".into(), component(&target.taskmanager));
    s.insert("job".into(), Value::Object(job));
    let mut labels = Map::new();
    labels.insert("app.kubernetes.io/managed-by".into(), json!(FIELD_MANAGER));
    if let Some(o) = &spec.owner {
        if is_label_value(o) {
            labels.insert("flinkdeck/owner".into(), json!(o));
        }
    }
    json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "FlinkDeployment",
        "metadata": {
            "name": spec.name,
            "namespace": target.namespace,
            "labels": labels,
        },
        "spec": s,
    })
}

fn component(r: &KubeResources) -> Value {
    let mut resource = Map::new();
    if let Some(cpu) = r.cpu {
        resource.insert("cpu".into(), json!(cpu));
    }
    if let Some(m) = &r.memory {
        resource.insert("memory".into(), json!(m));
    }
    let mut c = Map::new();
    if !resource.is_empty() {
        c.insert("resource".into(), Value::Object(resource));
    }
    if let Some(n) = r.replicas {
        c.insert("replicas".into(), json!(n));
    }
    Value::Object(c)
}

/// A Kubernetes label value: at most 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends.
fn is_label_value(s: &str) -> bool {
    s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
}

/// RFC 7386 merge of `patch` into `target` (a `null` removes the key).
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The part of an object an apply can change: labels and spec.
fn managed_part(obj: &Value) -> Value {
    json!({
        "metadata": {"labels": obj["metadata"]["labels"].clone()},
        "spec": obj["spec"].clone(),
    })
}

/// A unified diff (YAML-like lines) of the labels and spec of the current object (`None`: it
/// does not exist yet) against what applying `applied` makes of it; empty when nothing changes.
pub fn apply_diff(current: Option<&Value>, applied: &Value) -> String {
    let before = current.map(managed_part);
    let mut after = before.clone().unwrap_or_else(|| json!({}));
    merge(&mut after, &managed_part(applied));
    let old = before.as_ref().map(yaml).unwrap_or_default();
    let new = yaml(&after);
    if old == new {
        return String::new();
    }
    let name = applied["metadata"]["name"].as_str().unwrap_or_default();
    let ns = applied["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default();
    let title = format!("FlinkDeployment {ns}/{name}");
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(
            &if current.is_some() {
                format!("{title} (current)")
            } else {
                "/dev/null".to_string()
            },
            &format!("{title} (applied)"),
        )
        .to_string()
}

/// YAML-like rendering, one scalar per line, keys sorted: stable for diffs.
pub fn yaml(v: &Value) -> String {
    let mut out = String::new();
    render(v, 0, &mut out);
    out
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn render(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                let child = &m[k];
                match child {
                    Value::Object(c) if !c.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        render(child, indent + 1, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        render(child, indent + 1, out);
                    }
                    Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                    Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(child))),
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}-\n"));
                        render(item, indent + 1, out);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AppKind;

    fn target() -> KubeTarget {
        KubeTarget {
            namespace: "streaming".into(),
            image: "flink:2.0".into(),
            flink_version: "v2_0".into(),
            jar_uri: "local:///opt/flink/usrlib/orders.jar".into(),
            entry_class: Some("com.example.Orders".into()),
            args: vec!["--topic".into(), "orders".into()],
            parallelism: Some(2),
            upgrade_mode: "savepoint".into(),
            flink_configuration: [("taskmanager.numberOfTaskSlots".to_string(), "2".to_string())]
                .into(),
            jobmanager: KubeResources {
                cpu: Some(1.0),
                memory: Some("2048m".into()),
                replicas: None,
            },
            taskmanager: KubeResources {
                cpu: Some(0.5),
                memory: Some("2g".into()),
                replicas: Some(2),
            },
            service_account: Some("flink".into()),
        }
    }

    #[test]
    fn builds_the_flink_deployment() {
        let spec = AppSpec {
            owner: Some("data-team".into()),
            ..AppSpec::new("orders", "k8s-prod", AppKind::Jar)
        };
        let fd = flink_deployment(&spec, &target());
        assert_eq!(
            fd,
            json!({
                "apiVersion": "flink.apache.org/v1beta1",
                "kind": "FlinkDeployment",
                "metadata": {"name": "orders", "namespace": "streaming",
                    "labels": {"app.kubernetes.io/managed-by": "flinkdeck", "flinkdeck/owner": "data-team"}},
                "spec": {
                    "image": "flink:2.0",
                    "flinkVersion": "v2_0",
                    "flinkConfiguration": {"taskmanager.numberOfTaskSlots": "2"},
                    "serviceAccount": "flink",
                    "jobManager": {"resource": {"cpu": 1.0, "memory": "2048m"}},
                    "taskManager": {"resource": {"cpu": 0.5, "memory": "2g"}, "replicas": 2},
                    "job": {"jarURI": "local:///opt/flink/usrlib/orders.jar",
                        "entryClass": "com.example.Orders", "args": ["--topic", "orders"],
                        "parallelism": 2, "upgradeMode": "savepoint"}
                }
            })
        );
        assert!(fd["spec"]["job"].get("state").is_none());
    }

    #[test]
    fn diff_shows_only_what_changes() {
        let spec = AppSpec::new("orders", "k8s-prod", AppKind::Jar);
        let applied = flink_deployment(&spec, &target());
        let created = apply_diff(None, &applied);
        assert!(created.starts_with("--- /dev/null"), "{created}");
        assert!(created.contains("+    jarURI: \"local:///opt/flink/usrlib/orders.jar\""));

        // The cluster's object has more (status, fields others set): not part of the diff.
        let mut current = applied.clone();
        current["spec"]["job"]["state"] = json!("running");
        current["status"] = json!({"lifecycleState": "STABLE"});
        assert_eq!(apply_diff(Some(&current), &applied), "");

        let mut t = target();
        t.parallelism = Some(4);
        let changed = apply_diff(Some(&current), &flink_deployment(&spec, &t));
        assert!(changed.contains("-    parallelism: 2"), "{changed}");
        assert!(changed.contains("+    parallelism: 4"), "{changed}");
        assert!(!changed.contains("+    state"), "{changed}");
    }

    #[test]
    fn merge_follows_rfc_7386() {
        let mut t = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge(&mut t, &json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(t, json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
