//! Opt-in emulation of what Kubernetes plus the Flink image do after the real Flink client
//! (`flink run[-application] -t kubernetes-application`) has created a native application
//! cluster on the fake API server ([`super::FakeKube::emulate_native_applications`]), with a
//! **real** Flink session cluster standing in for the JobManager the image would start.
//!
//! What it does, for every new Deployment labelled `type=flink-native-kubernetes`,
//! `component=jobmanager` whose container image has a registered [`NativeAppTarget`]:
//! - waits for the cluster's ConfigMap `flink-config-<id>` (the client creates it after the
//!   Deployment) and reads the Flink configuration in it: 2.x nested `config.yaml` or 1.x flat
//!   `flink-conf.yaml` — entry class (`$internal.application.main`), program arguments
//!   (`$internal.application.program-args`: a YAML list in 2.x, `;`-separated in 1.x),
//!   restore path (`execution.state-recovery.path`, or the older `execution.savepoint.path`),
//!   claim mode, ignore-unclaimed-state, `parallelism.default` and `pipeline.jars`;
//! - maps the `local://` jar of `pipeline.jars` to a jar file on the host
//!   ([`NativeAppTarget::jars`]), uploads it to the real Flink and runs it through REST
//!   (`POST /jars/:id/run` with `entryClass`, `programArgsList`, `savepointPath`,
//!   `allowNonRestoredState`, `claimMode`, `parallelism`), as the application entrypoint would;
//! - creates the JobManager pod (Running, Ready, owned by a ReplicaSet, named like a Deployment's
//!   pod), marks the Deployment available, and routes the `<id>-rest` Service's proxy to the real
//!   Flink, so clients that discover native clusters find `<namespace>/<id>` and its job;
//! - when the submitted job reaches a terminal state (FINISHED, CANCELED, FAILED), removes the
//!   cluster's Deployment, pods, Services and ConfigMaps, as an application cluster shuts itself
//!   down after its job (`execution.shutdown-on-application-finish`, default true).
//!
//! What it does NOT do: no TaskManager pods (the real Flink's own TaskManagers run the job), no
//! pod logs, no HA, no `usrlib`/`pipeline.classpaths` handling, one job per application (the
//! first jar of `pipeline.jars`); the job's other configuration keys (`[target] options`) are
//! not passed to Flink; a jar or image with no mapping leaves the JobManager pod in
//! `CrashLoopBackOff` with a log line saying why (its Deployment without pods when the image is
//! unknown). The YAML reader understands the block style Flink writes (nested maps, `- ` lists,
//! quoted scalars, `[a, b]` flow lists), not YAML at large.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::cluster::{self, CONTAINER, NATIVE_TYPE};
use super::objects::{hex, meta_str, name_suffix, new_uid};
use super::{lock, logs, Shared};

/// The real Flink that plays the JobManager of native application clusters made with `image`.
#[derive(Debug, Clone)]
pub struct NativeAppTarget {
    /// The container image (`kubernetes.container.image.ref`) this target serves.
    pub image: String,
    /// A Flink session cluster's REST URL, e.g. `http://127.0.0.1:18081`.
    pub flink_rest_url: String,
    /// `local://` jar URI in `pipeline.jars` → a jar file on the host.
    pub jars: HashMap<String, PathBuf>,
}

type Res<T> = Result<T, String>;

/// A Flink configuration as flat keys: scalars and lists.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FlinkConf {
    pub values: BTreeMap<String, String>,
    pub lists: BTreeMap<String, Vec<String>>,
}

impl FlinkConf {
    fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A list key: a YAML list, or a `;`-separated scalar (the 1.x flat form).
    fn list(&self, key: &str) -> Vec<String> {
        if let Some(l) = self.lists.get(key) {
            return l.clone();
        }
        match self.get(key) {
            Some(v) => v.split(';').map(str::to_string).collect(),
            None => Vec::new(),
        }
    }
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') {
        return s[1..s.len() - 1].replace("''", "'");
    }
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        return s[1..s.len() - 1].replace("\\\"", "\"");
    }
    s.to_string()
}

fn flow_list(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
    if inner.trim().is_empty() {
        return Some(Vec::new());
    }
    Some(inner.split(',').map(unquote).collect())
}

/// Reads a Flink configuration file: flat `key: value` lines (1.x) or nested block YAML (2.x).
pub fn parse_flink_conf(text: &str) -> FlinkConf {
    let mut conf = FlinkConf::default();
    // (indent, key path) of the open maps.
    let mut stack: Vec<(usize, String)> = Vec::new();
    // The key whose `- ` items are being read, with the indent of its line.
    let mut list_of: Option<(usize, String)> = None;
    for raw in text.lines() {
        let line = raw.trim_end();
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if let Some(item) = body
            .strip_prefix("- ")
            .or(if body == "-" { Some("") } else { None })
        {
            if let Some((at, key)) = &list_of {
                if indent >= *at {
                    conf.lists
                        .entry(key.clone())
                        .or_default()
                        .push(unquote(item));
                    continue;
                }
            }
        }
        list_of = None;
        let Some((k, v)) = body.split_once(':') else {
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        let key = match stack.last() {
            Some((_, parent)) => format!("{parent}.{}", unquote(k)),
            None => unquote(k),
        };
        let v = v.trim();
        if v.is_empty() {
            stack.push((indent, key.clone()));
            list_of = Some((indent, key));
        } else if let Some(items) = flow_list(v) {
            conf.lists.insert(key, items);
        } else {
            conf.values.insert(key, unquote(v));
        }
    }
    conf
}

/// What the application entrypoint would run, read from a cluster's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct AppProgram {
    pub jar_uri: String,
    pub entry_class: Option<String>,
    pub args: Vec<String>,
    pub restore_path: Option<String>,
    pub claim_mode: Option<String>,
    pub allow_non_restored: bool,
    pub parallelism: Option<u32>,
}

pub fn program_of(conf: &FlinkConf) -> Res<AppProgram> {
    let jar_uri = conf
        .list("pipeline.jars")
        .into_iter()
        .find(|j| !j.is_empty())
        .ok_or("pipeline.jars is not set")?;
    let pick = |keys: &[&str]| keys.iter().find_map(|k| conf.get(k)).map(str::to_string);
    Ok(AppProgram {
        jar_uri,
        entry_class: pick(&["$internal.application.main"]),
        args: conf.list("$internal.application.program-args"),
        restore_path: pick(&["execution.state-recovery.path", "execution.savepoint.path"]),
        claim_mode: pick(&[
            "execution.state-recovery.claim-mode",
            "execution.savepoint-restore-mode",
        ]),
        allow_non_restored: pick(&[
            "execution.state-recovery.ignore-unclaimed-state",
            "execution.savepoint.ignore-unclaimed-state",
        ])
        .is_some_and(|v| v == "true"),
        parallelism: pick(&["parallelism.default"]).and_then(|p| p.parse().ok()),
    })
}

/// Starts the emulation task (see the module doc).
pub async fn run(shared: Arc<Shared>, targets: Arc<std::sync::Mutex<Vec<NativeAppTarget>>>) {
    let mut seen: HashSet<String> = HashSet::new();
    let mut changed = shared.changed.subscribe();
    loop {
        let deployments: Vec<Value> = lock(&shared.store)
            .list(super::objects::by_plural("deployments"), None)
            .into_iter()
            .filter(|d| {
                d["metadata"]["labels"]["type"] == NATIVE_TYPE
                    && d["metadata"]["labels"]["component"] == "jobmanager"
            })
            .collect();
        for d in deployments {
            let uid = meta_str(&d, "uid").to_string();
            if !seen.insert(uid) {
                continue;
            }
            let image = d["spec"]["template"]["spec"]["containers"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["name"] == CONTAINER))
                .and_then(|c| c["image"].as_str())
                .unwrap_or_default()
                .to_string();
            let target = lock(&targets).iter().find(|t| t.image == image).cloned();
            // Only what a client created through the API (the real Flink client records itself in
            // managedFields), not clusters a test or the operator stand-in put in place.
            let by_client = d["metadata"]["managedFields"]
                .as_array()
                .is_some_and(|m| !m.is_empty());
            let owned = d["metadata"]["ownerReferences"].is_array();
            if let (Some(t), true, false) = (target, by_client, owned) {
                tokio::spawn(application(shared.clone(), d, t));
            }
        }
        tokio::select! {
            _ = changed.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// One application cluster: submit, run the pod, tear down after the job.
async fn application(shared: Arc<Shared>, deployment: Value, target: NativeAppTarget) {
    let ns = meta_str(&deployment, "namespace").to_string();
    let id = meta_str(&deployment, "name").to_string();
    let pod = jobmanager_pod(&shared, &deployment, &target.image);
    let submitted = submit(&shared, &ns, &id, &target).await;
    let job = match submitted {
        Ok(job) => job,
        Err(e) => {
            crash(&shared, &ns, &pod, &e);
            return;
        }
    };
    lock(&shared.backends).insert(
        (ns.clone(), format!("{id}-rest")),
        target.flink_rest_url.trim_end_matches('/').to_string(),
    );
    logs::set(
        &shared,
        &ns,
        &pod,
        CONTAINER,
        logs::Source::text(&format!(
            "INFO  org.apache.flink.client.deployment.application.ApplicationDispatcherBootstrap - \
             [fake_kube native_app] submitted job {job} to {}\n",
            target.flink_rest_url
        )),
        None,
    );
    // The application cluster lives as long as its job.
    let http = shared.http.clone();
    let url = format!("{}/jobs/{job}", target.flink_rest_url.trim_end_matches('/'));
    loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        if shared.get("deployments", &ns, &id).is_none() {
            break;
        }
        let state = match http.get(&url).send().await {
            Ok(r) => r
                .json::<Value>()
                .await
                .ok()
                .and_then(|v| v["state"].as_str().map(str::to_string)),
            Err(_) => None,
        };
        if matches!(state.as_deref(), Some("FINISHED" | "CANCELED" | "FAILED")) {
            break;
        }
    }
    teardown(&shared, &ns, &id);
}

fn teardown(shared: &Shared, ns: &str, id: &str) {
    lock(&shared.backends).remove(&(ns.to_string(), format!("{id}-rest")));
    shared.delete("configmaps", ns, &format!("pod-template-{id}"));
    super::reconciler::delete_cluster_objects(shared, ns, id);
}

/// The JobManager pod of the Deployment, Running and Ready; the Deployment marked available.
fn jobmanager_pod(shared: &Shared, deployment: &Value, image: &str) -> String {
    let ns = meta_str(deployment, "namespace");
    let id = meta_str(deployment, "name");
    let rs_hash = name_suffix(10);
    let rs = format!("{id}-{rs_hash}");
    let name = format!("{rs}-{}", name_suffix(5));
    let mut labels = deployment["spec"]["template"]["metadata"]["labels"].clone();
    if !labels.is_object() {
        labels = cluster::labels(id, Some("jobmanager"));
    }
    labels["pod-template-hash"] = json!(rs_hash);
    let owner = json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": rs,
        "uid": new_uid(),
        "controller": true,
        "blockOwnerDeletion": true,
    });
    let mut p = cluster::pod(ns, &name, labels, "jobmanager", image, Some(owner));
    p["spec"]["containers"][0]["args"] = json!([
        "bash",
        "-c",
        "kubernetes-jobmanager.sh kubernetes-application "
    ]);
    shared.put(p);
    shared.update("deployments", ns, id, |d| {
        d["status"] = json!({
            "observedGeneration": 1,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                 "message": "Deployment has minimum availability."},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                 "message": format!("ReplicaSet \"{rs}\" has successfully progressed.")}
            ]
        });
    });
    name
}

/// The JobManager container fails as the entrypoint would, with the reason in its log.
fn crash(shared: &Shared, ns: &str, pod: &str, reason: &str) {
    let line = format!(
        "ERROR org.apache.flink.runtime.entrypoint.ClusterEntrypoint - Could not start cluster entrypoint KubernetesApplicationClusterEntrypoint. [fake_kube native_app] {reason}\n"
    );
    shared.update("pods", ns, pod, |p| {
        cluster::apply_pod_status(
            p,
            &json!({"containerStatuses": [{
                "name": CONTAINER,
                "state": {"waiting": {"reason": "CrashLoopBackOff",
                    "message": "back-off 10s restarting failed container"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1,
                    "containerID": format!("containerd://{}", hex(64))}},
                "restartCount": 1
            }]}),
        )
    });
    // While it crash-loops, the log served is the last failed instance's (current and previous).
    logs::set(
        shared,
        ns,
        pod,
        CONTAINER,
        logs::Source::text(&line),
        Some(logs::Source::text(&line)),
    );
}

/// Reads the cluster's configuration and runs its program on the real Flink; the job id.
async fn submit(shared: &Shared, ns: &str, id: &str, target: &NativeAppTarget) -> Res<String> {
    let cm_name = format!("flink-config-{id}");
    let start = Instant::now();
    let cm = loop {
        if let Some(cm) = shared.get("configmaps", ns, &cm_name) {
            break cm;
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err(format!("ConfigMap {ns}/{cm_name} was never created"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let text = ["config.yaml", "flink-conf.yaml"]
        .iter()
        .find_map(|f| cm["data"][*f].as_str())
        .ok_or(format!(
            "ConfigMap {cm_name} has neither config.yaml nor flink-conf.yaml"
        ))?;
    let program = program_of(&parse_flink_conf(text)).map_err(|e| format!("{cm_name}: {e}"))?;
    let jar = target.jars.get(&program.jar_uri).ok_or(format!(
        "{}: no such file in the image (the emulation maps {:?})",
        program.jar_uri,
        target.jars.keys().collect::<Vec<_>>()
    ))?;
    let url = target.flink_rest_url.trim_end_matches('/');
    let bytes = std::fs::read(jar).map_err(|e| format!("{}: {e}", jar.display()))?;
    let file_name = jar
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| "job.jar".into());
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name)
        .mime_str("application/x-java-archive")
        .map_err(|e| e.to_string())?;
    let form = reqwest::multipart::Form::new().part("jarfile", part);
    let up = flink_json(
        shared
            .http
            .post(format!("{url}/jars/upload"))
            .multipart(form),
    )
    .await?;
    let filename = up["filename"].as_str().ok_or(format!("jar upload: {up}"))?;
    let jar_id = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    let mut body = json!({
        "programArgsList": program.args,
        "allowNonRestoredState": program.allow_non_restored,
    });
    if let Some(c) = &program.entry_class {
        body["entryClass"] = json!(c);
    }
    if let Some(p) = &program.restore_path {
        body["savepointPath"] = json!(p);
    }
    if let Some(m) = &program.claim_mode {
        body["claimMode"] = json!(m);
    }
    if let Some(p) = program.parallelism {
        body["parallelism"] = json!(p);
    }
    let run = flink_json(
        shared
            .http
            .post(format!("{url}/jars/{jar_id}/run"))
            .json(&body),
    )
    .await?;
    run["jobid"]
        .as_str()
        .map(str::to_string)
        .ok_or(format!("jar run: {run}"))
}

async fn flink_json(req: reqwest::RequestBuilder) -> Res<Value> {
    let resp = req
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("Flink answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_nested_2x_and_the_flat_1x_forms() {
        let nested = "kubernetes:\n  cluster-id: a\n$internal:\n  application:\n    program-args:\n    - --mode\n    - steady\n    main: x.Main\nexecution:\n  state-recovery:\n    claim-mode: NO_CLAIM\n    path: 'file:/sp/1'\npipeline:\n  jars:\n  - local:///opt/a.jar\nparallelism:\n  default: 2\n";
        let p = super::program_of(&super::parse_flink_conf(nested)).expect("program");
        let flat = "$internal.application.main: x.Main\n$internal.application.program-args: --mode;steady\nexecution.state-recovery.path: file:/sp/1\nexecution.state-recovery.claim-mode: NO_CLAIM\npipeline.jars: local:///opt/a.jar\nparallelism.default: 2\n";
        let q = super::program_of(&super::parse_flink_conf(flat)).expect("program");
        assert_eq!(p, q);
        assert_eq!(p.args, ["--mode", "steady"]);
        assert_eq!(p.restore_path.as_deref(), Some("file:/sp/1"));
        assert_eq!(p.jar_uri, "local:///opt/a.jar");
        assert_eq!(p.parallelism, Some(2));
    }
}
