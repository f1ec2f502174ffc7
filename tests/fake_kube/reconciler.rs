//! A small stand-in for the Flink Kubernetes Operator, opt-in per FlinkDeployment
//! ([`super::FakeKube::enable_operator`]), that does what the operator does for an
//! application-mode FlinkDeployment — against a real Flink session cluster through its REST API.
//!
//! On every new `metadata.generation` it compares the spec with the last reconciled one:
//! - `job.state: suspended` → stop with savepoint (`upgradeMode: savepoint`) or cancel
//!   (`stateless`, `last-state`), then lifecycleState `SUSPENDED` (`UPGRADING` meanwhile),
//!   `jobStatus.state` `FINISHED`, the cluster's pods/Deployment/Services removed
//!   (`jobManagerDeploymentStatus: MISSING`); with a savepoint: `upgradeSavepointPath`,
//!   `savepointInfo.lastSavepoint` (UPGRADE) + history, and, with the CRDs installed, a
//!   COMPLETED FlinkStateSnapshot `<name>-upgrade-<ms>`;
//! - `job.state: running` after that → submit the jar (from `upgradeSavepointPath` for savepoint,
//!   from the last checkpoint for last-state, empty for stateless), new pods, `DEPLOYED`, then
//!   `STABLE` once Flink reports RUNNING;
//! - other `job` changes on a running job → the same suspend + submit (an upgrade);
//! - `savepointRedeployNonce` changed → cancel, submit from `initialSavepointPath`;
//! - `savepointTriggerNonce` changed → savepoint, `lastSavepoint` MANUAL with the nonce.
//!
//! New FlinkStateSnapshots with `spec.savepoint` (not `alreadyExists`) referring to the
//! deployment are taken: `TRIGGER_PENDING` → `IN_PROGRESS` → `COMPLETED` with `path` (or
//! `FAILED` with `error`). The first pass adopts the job in `status.jobStatus.jobId` if Flink runs
//! it, else submits one. Failed steps put an operator-style `status.error` and are retried after
//! a pause. Jar, entry class and arguments come from [`OperatorTarget`] (`spec.job.entryClass`,
//! `args` and `parallelism` win when set); `jarURI` is ignored.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::cluster::{self, reconciled_spec};
use super::objects::{meta_str, now_ms, now_rfc3339};
use super::{lock, Shared};

/// The real Flink cluster and program an enabled FlinkDeployment runs.
#[derive(Debug, Clone)]
pub struct OperatorTarget {
    /// A Flink session cluster's REST URL, e.g. `http://127.0.0.1:18081`.
    pub flink_rest_url: String,
    pub jar_path: PathBuf,
    pub entry_class: String,
    pub args: Vec<String>,
}

const FD: &str = "flinkdeployments";
const SNAPSHOTS: &str = "flinkstatesnapshots";

type Res<T> = Result<T, String>;

/// Creates the cluster objects (JM Deployment + pod, TM pods, Services, ConfigMap) of a
/// FlinkDeployment, owned by it.
pub fn create_cluster_objects(shared: &Shared, fd: &Value) {
    let ns = meta_str(fd, "namespace");
    let name = meta_str(fd, "name");
    let owner = json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "name": name,
        "uid": fd["metadata"]["uid"],
        "controller": false,
        "blockOwnerDeletion": false,
    });
    let spec = &fd["spec"];
    let objs = cluster::native_cluster(
        ns,
        name,
        cluster::taskmanager_count(spec),
        &cluster::image_of(spec),
        Some(owner),
    );
    shared.put(objs.config_map);
    shared.put(objs.deployment);
    for s in objs.services {
        shared.put(s);
    }
    for p in objs.pods {
        shared.put(p);
    }
}

pub(super) fn delete_cluster_objects(shared: &Shared, ns: &str, name: &str) {
    let pods: Vec<String> = lock(&shared.store)
        .list(super::objects::by_plural("pods"), Some(ns))
        .iter()
        .filter(|p| p["metadata"]["labels"]["app"] == name)
        .map(|p| meta_str(p, "name").to_string())
        .collect();
    for p in pods {
        shared.delete("pods", ns, &p);
    }
    shared.delete("deployments", ns, name);
    shared.delete("services", ns, &format!("{name}-rest"));
    shared.delete("services", ns, name);
    shared.delete("configmaps", ns, &format!("flink-config-{name}"));
    shared.notify_logs();
}

fn error_json(message: &str) -> String {
    json!({
        "type": "org.apache.flink.kubernetes.operator.exception.ReconciliationException",
        "message": message,
        "additionalMetadata": {},
        "throwableList": [],
    })
    .to_string()
}

// ---------------------------------------------------------------------------------------------
// Flink REST
// ---------------------------------------------------------------------------------------------

struct Flink {
    http: reqwest::Client,
    url: String,
}

impl Flink {
    async fn json(&self, req: reqwest::RequestBuilder) -> Res<Value> {
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
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
    }

    /// Uploads the jar, or reuses an earlier upload of a jar with the same file name.
    async fn upload(&self, jar: &std::path::Path) -> Res<String> {
        let file_name = jar
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| "job.jar".into());
        let listed = self
            .json(self.http.get(format!("{}/jars", self.url)))
            .await?;
        let existing = listed["files"].as_array().and_then(|files| {
            files
                .iter()
                .find(|f| f["name"] == file_name.as_str())
                .and_then(|f| f["id"].as_str().map(str::to_string))
        });
        if let Some(id) = existing {
            return Ok(id);
        }
        let bytes = std::fs::read(jar).map_err(|e| format!("{}: {e}", jar.display()))?;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name)
            .mime_str("application/x-java-archive")
            .map_err(|e| e.to_string())?;
        let form = reqwest::multipart::Form::new().part("jarfile", part);
        let v = self
            .json(
                self.http
                    .post(format!("{}/jars/upload", self.url))
                    .multipart(form),
            )
            .await?;
        let filename = v["filename"].as_str().ok_or(format!("jar upload: {v}"))?;
        Ok(filename
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(filename)
            .to_string())
    }

    async fn run(&self, jar_id: &str, body: Value) -> Res<String> {
        let v = self
            .json(
                self.http
                    .post(format!("{}/jars/{jar_id}/run", self.url))
                    .json(&body),
            )
            .await?;
        v["jobid"]
            .as_str()
            .map(str::to_string)
            .ok_or(format!("jar run: {v}"))
    }

    async fn job(&self, jid: &str) -> Res<Value> {
        self.json(self.http.get(format!("{}/jobs/{jid}", self.url)))
            .await
    }

    async fn cancel(&self, jid: &str) -> Res<()> {
        self.json(
            self.http
                .patch(format!("{}/jobs/{jid}?mode=cancel", self.url)),
        )
        .await
        .map(|_| ())
    }

    async fn wait_terminal(&self, jid: &str) -> Res<String> {
        for _ in 0..240 {
            let state = self.job(jid).await?["state"]
                .as_str()
                .unwrap_or("")
                .to_string();
            if matches!(state.as_str(), "CANCELED" | "FINISHED" | "FAILED") {
                return Ok(state);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(format!("job {jid} did not end"))
    }

    async fn stop_with_savepoint(&self, jid: &str, dir: Option<&str>) -> Res<String> {
        let mut body = json!({"drain": false, "formatType": "CANONICAL"});
        if let Some(d) = dir {
            body["targetDirectory"] = json!(d);
        }
        let v = self
            .json(
                self.http
                    .post(format!("{}/jobs/{jid}/stop", self.url))
                    .json(&body),
            )
            .await?;
        let trigger = v["request-id"].as_str().ok_or(format!("stop: {v}"))?;
        self.savepoint_result(jid, trigger).await
    }

    async fn trigger_savepoint(&self, jid: &str, dir: Option<&str>) -> Res<String> {
        let mut body = json!({"cancel-job": false, "formatType": "CANONICAL"});
        if let Some(d) = dir {
            body["target-directory"] = json!(d);
        }
        let v = self
            .json(
                self.http
                    .post(format!("{}/jobs/{jid}/savepoints", self.url))
                    .json(&body),
            )
            .await?;
        v["request-id"]
            .as_str()
            .map(str::to_string)
            .ok_or(format!("savepoint: {v}"))
    }

    async fn savepoint_result(&self, jid: &str, trigger: &str) -> Res<String> {
        for _ in 0..600 {
            let v = self
                .json(
                    self.http
                        .get(format!("{}/jobs/{jid}/savepoints/{trigger}", self.url)),
                )
                .await?;
            if v["status"]["id"] == "COMPLETED" {
                if let Some(loc) = v["operation"]["location"].as_str() {
                    return Ok(loc.to_string());
                }
                let cause = &v["operation"]["failure-cause"];
                return Err(cause["stack-trace"]
                    .as_str()
                    .and_then(|s| s.lines().next())
                    .map(str::to_string)
                    .unwrap_or_else(|| cause.to_string()));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!("savepoint {trigger} of job {jid} did not complete"))
    }

    async fn latest_checkpoint(&self, jid: &str) -> Option<String> {
        let v = self
            .json(
                self.http
                    .get(format!("{}/jobs/{jid}/checkpoints", self.url)),
            )
            .await
            .ok()?;
        v["latest"]["completed"]["external_path"]
            .as_str()
            .map(str::to_string)
    }
}

// ---------------------------------------------------------------------------------------------
// The reconcile loop
// ---------------------------------------------------------------------------------------------

struct Op {
    shared: Arc<Shared>,
    ns: String,
    name: String,
    target: OperatorTarget,
    flink: Flink,
    jar_id: Option<String>,
    reconciled_gen: i64,
    last_spec: Value,
    job_id: Option<String>,
    checkpoint_path: Option<String>,
}

fn job_field<'a>(spec: &'a Value, k: &str) -> &'a Value {
    &spec["job"][k]
}

fn savepoint_dir(spec: &Value) -> Option<String> {
    let c = &spec["flinkConfiguration"];
    c["execution.checkpointing.savepoint-dir"]
        .as_str()
        .or(c["state.savepoints.dir"].as_str())
        .map(str::to_string)
}

impl Op {
    fn status(&self, f: impl FnOnce(&mut Value)) {
        self.shared.update(FD, &self.ns, &self.name, |o| {
            f(&mut o["status"]);
            cluster::remove_nulls(&mut o["status"]);
        });
    }

    fn current(&self) -> Option<Value> {
        self.shared.get(FD, &self.ns, &self.name)
    }

    async fn jar(&mut self) -> Res<String> {
        if let Some(j) = &self.jar_id {
            return Ok(j.clone());
        }
        let id = self.flink.upload(&self.target.jar_path).await?;
        self.jar_id = Some(id.clone());
        Ok(id)
    }

    async fn job_running(&self, jid: &str) -> bool {
        self.flink.job(jid).await.is_ok_and(|j| {
            !matches!(
                j["state"].as_str().unwrap_or("FAILED"),
                "CANCELED" | "FINISHED" | "FAILED"
            )
        })
    }

    async fn deploy(&mut self, spec: &Value, savepoint: Option<String>) -> Res<()> {
        let jar = self.jar().await?;
        let args: Vec<String> = match job_field(spec, "args").as_array() {
            Some(a) if !a.is_empty() => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => self.target.args.clone(),
        };
        let mut body = json!({
            "entryClass": job_field(spec, "entryClass").as_str().unwrap_or(&self.target.entry_class),
            "programArgsList": args,
            "parallelism": job_field(spec, "parallelism").as_i64().unwrap_or(1),
            "allowNonRestoredState": job_field(spec, "allowNonRestoredState").as_bool().unwrap_or(false),
        });
        if let Some(sp) = &savepoint {
            body["savepointPath"] = json!(sp);
        }
        if self
            .shared
            .get("deployments", &self.ns, &self.name)
            .is_none()
        {
            if let Some(fd) = self.current() {
                create_cluster_objects(&self.shared, &fd);
            }
        }
        let jid = self.flink.run(&jar, body).await?;
        let job_name = self
            .flink
            .job(&jid)
            .await
            .ok()
            .and_then(|j| j["name"].as_str().map(str::to_string))
            .unwrap_or_else(|| self.name.clone());
        self.job_id = Some(jid.clone());
        let now = now_ms().to_string();
        self.status(|st| {
            st["lifecycleState"] = json!("DEPLOYED");
            st["jobManagerDeploymentStatus"] = json!("READY");
            st["error"] = Value::Null;
            st["jobStatus"]["jobId"] = json!(jid);
            st["jobStatus"]["jobName"] = json!(job_name);
            st["jobStatus"]["state"] = json!("RECONCILING");
            st["jobStatus"]["startTime"] = json!(now);
            st["jobStatus"]["updateTime"] = json!(now);
            st["reconciliationStatus"]["state"] = json!("DEPLOYED");
            st["taskManager"]["replicas"] = json!(cluster::taskmanager_count(spec));
        });
        Ok(())
    }

    /// Stops the running job as `upgradeMode` says; returns the savepoint path if one was taken.
    async fn suspend(&mut self, spec: &Value) -> Res<Option<String>> {
        let Some(jid) = self.job_id.clone() else {
            return Ok(None);
        };
        let mode = job_field(spec, "upgradeMode")
            .as_str()
            .unwrap_or("stateless")
            .to_string();
        self.status(|st| {
            st["lifecycleState"] = json!("UPGRADING");
            st["reconciliationStatus"]["state"] = json!("UPGRADING");
        });
        let mut savepoint = None;
        match mode.as_str() {
            "savepoint" => {
                let loc = self
                    .flink
                    .stop_with_savepoint(&jid, savepoint_dir(spec).as_deref())
                    .await?;
                self.flink.wait_terminal(&jid).await?;
                savepoint = Some(loc);
            }
            "last-state" => {
                self.checkpoint_path = self.flink.latest_checkpoint(&jid).await;
                self.flink.cancel(&jid).await?;
                self.flink.wait_terminal(&jid).await?;
            }
            _ => {
                self.flink.cancel(&jid).await?;
                self.flink.wait_terminal(&jid).await?;
            }
        }
        self.job_id = None;
        delete_cluster_objects(&self.shared, &self.ns, &self.name);
        let now = now_ms();
        let sp = savepoint.clone();
        self.status(|st| {
            st["lifecycleState"] = json!("SUSPENDED");
            st["jobManagerDeploymentStatus"] = json!("MISSING");
            st["jobStatus"]["state"] = json!("FINISHED");
            st["jobStatus"]["updateTime"] = json!(now.to_string());
            st["taskManager"]["replicas"] = json!(0);
            st["error"] = Value::Null;
            if let Some(loc) = &sp {
                st["jobStatus"]["upgradeSavepointPath"] = json!(loc);
                let entry = json!({
                    "timeStamp": now,
                    "location": loc,
                    "triggerType": "UPGRADE",
                    "formatType": "CANONICAL",
                });
                push_savepoint(&mut st["jobStatus"]["savepointInfo"], entry);
            }
        });
        if let (Some(loc), true) = (&savepoint, self.shared.crds_installed()) {
            self.shared.put(json!({
                "apiVersion": "flink.apache.org/v1beta1",
                "kind": "FlinkStateSnapshot",
                "metadata": {
                    "name": format!("{}-upgrade-{now}", self.name),
                    "namespace": self.ns,
                    "labels": {
                        "snapshot.type": "SAVEPOINT",
                        "snapshot.state": "COMPLETED",
                        "snapshot.trigger-type": "UPGRADE",
                        "job-reference.kind": "FlinkDeployment",
                        "job-reference.name": self.name,
                    },
                },
                "spec": {
                    "backoffLimit": -1,
                    "jobReference": {"kind": "FlinkDeployment", "name": self.name},
                    "savepoint": {"path": loc, "alreadyExists": true, "formatType": "CANONICAL", "disposeOnDelete": true},
                },
                "status": {
                    "state": "COMPLETED",
                    "path": loc,
                    "resultTimestamp": now_rfc3339(),
                    "triggerTimestamp": now_rfc3339(),
                    "failures": 0,
                },
            }));
        }
        Ok(savepoint)
    }

    async fn resume(&mut self, spec: &Value) -> Res<()> {
        let mode = job_field(spec, "upgradeMode")
            .as_str()
            .unwrap_or("stateless");
        let upgrade_path = self.current().and_then(|fd| {
            fd["status"]["jobStatus"]["upgradeSavepointPath"]
                .as_str()
                .map(str::to_string)
        });
        let from = match mode {
            "savepoint" => upgrade_path,
            "last-state" => self.checkpoint_path.clone().or(upgrade_path),
            _ => None,
        };
        self.deploy(spec, from).await
    }

    async fn manual_savepoint(&mut self, spec: &Value) -> Res<()> {
        let Some(jid) = self.job_id.clone() else {
            return Ok(());
        };
        let nonce = job_field(spec, "savepointTriggerNonce").clone();
        let trigger = self
            .flink
            .trigger_savepoint(&jid, savepoint_dir(spec).as_deref())
            .await?;
        let started = now_ms();
        self.status(|st| {
            let si = &mut st["jobStatus"]["savepointInfo"];
            si["triggerId"] = json!(trigger);
            si["triggerTimestamp"] = json!(started);
            si["triggerType"] = json!("MANUAL");
            si["formatType"] = json!("CANONICAL");
        });
        let loc = self.flink.savepoint_result(&jid, &trigger).await?;
        let now = now_ms();
        self.status(|st| {
            let si = &mut st["jobStatus"]["savepointInfo"];
            for k in ["triggerId", "triggerTimestamp", "triggerType", "formatType"] {
                si[k] = Value::Null;
            }
            push_savepoint(
                si,
                json!({
                    "timeStamp": now,
                    "location": loc,
                    "triggerType": "MANUAL",
                    "formatType": "CANONICAL",
                    "triggerNonce": nonce,
                }),
            );
        });
        Ok(())
    }

    /// One pass over a changed spec.
    async fn reconcile(&mut self, fd: &Value) -> Res<()> {
        let spec = fd["spec"].clone();
        let old = self.last_spec.clone();
        let desired_running = job_field(&spec, "state").as_str() != Some("suspended");
        let nonce_changed = |k: &str| job_field(&spec, k) != job_field(&old, k);
        let other_change = |a: &Value, b: &Value| {
            let strip = |v: &Value| {
                let mut j = v["job"].clone();
                if let Some(m) = j.as_object_mut() {
                    for k in ["state", "savepointTriggerNonce", "checkpointTriggerNonce"] {
                        m.remove(k);
                    }
                }
                j
            };
            strip(a) != strip(b)
        };
        let running = match &self.job_id {
            Some(j) => self.job_running(j).await,
            None => false,
        };
        if nonce_changed("savepointRedeployNonce") && desired_running {
            if let Some(jid) = self.job_id.take() {
                if running {
                    self.flink.cancel(&jid).await?;
                    self.flink.wait_terminal(&jid).await?;
                }
            }
            let from = job_field(&spec, "initialSavepointPath")
                .as_str()
                .map(str::to_string);
            self.deploy(&spec, from).await?;
        } else if !desired_running && running {
            self.suspend(&spec).await?;
        } else if desired_running && !running {
            self.resume(&spec).await?;
        } else if desired_running && running && other_change(&spec, &old) {
            self.suspend(&spec).await?;
            self.resume(&spec).await?;
        } else if desired_running && running && nonce_changed("savepointTriggerNonce") {
            self.manual_savepoint(&spec).await?;
        }
        Ok(())
    }

    fn mark_reconciled(&mut self, fd: &Value, first: bool) {
        let gen = fd["metadata"]["generation"].as_i64().unwrap_or(1);
        let spec = fd["spec"].clone();
        let now = now_ms();
        self.reconciled_gen = gen;
        self.last_spec = spec.clone();
        self.status(|st| {
            st["observedGeneration"] = json!(gen);
            st["reconciliationStatus"]["lastReconciledSpec"] =
                json!(reconciled_spec(&spec, gen, first));
            st["reconciliationStatus"]["reconciliationTimestamp"] = json!(now);
            if st["lifecycleState"] != "UPGRADING" {
                st["reconciliationStatus"]["state"] = json!("DEPLOYED");
            }
        });
    }

    /// Follows the Flink job: state and updateTime, DEPLOYED → STABLE, FAILED.
    async fn observe(&mut self) {
        let Some(jid) = self.job_id.clone() else {
            return;
        };
        let Ok(job) = self.flink.job(&jid).await else {
            return;
        };
        let state = job["state"].as_str().unwrap_or("").to_string();
        let Some(fd) = self.current() else {
            return;
        };
        let st = &fd["status"];
        let lifecycle = st["lifecycleState"].as_str().unwrap_or("");
        let new_lifecycle = match (state.as_str(), lifecycle) {
            ("RUNNING", "DEPLOYED") => Some("STABLE"),
            ("FAILED", _) => Some("FAILED"),
            _ => None,
        };
        if st["jobStatus"]["state"] == state.as_str() && new_lifecycle.is_none() {
            return;
        }
        let now = now_ms().to_string();
        let gen = self.reconciled_gen;
        let spec = self.last_spec.clone();
        self.status(|st| {
            st["jobStatus"]["state"] = json!(state);
            st["jobStatus"]["updateTime"] = json!(now);
            if let Some(l) = new_lifecycle {
                st["lifecycleState"] = json!(l);
                if l == "STABLE" {
                    st["reconciliationStatus"]["lastStableSpec"] =
                        json!(reconciled_spec(&spec, gen, false));
                }
            }
        });
    }

    /// Takes the savepoints that new FlinkStateSnapshots ask for.
    async fn snapshots(&mut self) {
        if !self.shared.crds_installed() {
            return;
        }
        let pending: Vec<Value> = lock(&self.shared.store)
            .list(super::objects::by_plural(SNAPSHOTS), Some(&self.ns))
            .into_iter()
            .filter(|s| {
                s["spec"]["jobReference"]["name"] == self.name.as_str()
                    && s["spec"]["jobReference"]["kind"] == "FlinkDeployment"
                    && s["spec"]["savepoint"].is_object()
                    && s["spec"]["savepoint"]["alreadyExists"] != true
                    && matches!(
                        s["status"]["state"].as_str(),
                        None | Some("TRIGGER_PENDING")
                    )
            })
            .collect();
        for snap in pending {
            let sname = meta_str(&snap, "name").to_string();
            let set = |state: &str, extra: Value| {
                let name = self.name.clone();
                let state = state.to_string();
                self.shared.update(SNAPSHOTS, &self.ns, &sname, |o| {
                    let labels = &mut o["metadata"]["labels"];
                    if !labels.is_object() {
                        *labels = json!({});
                    }
                    labels["snapshot.type"] = json!("SAVEPOINT");
                    labels["snapshot.state"] = json!(state);
                    labels["snapshot.trigger-type"] = json!("MANUAL");
                    labels["job-reference.kind"] = json!("FlinkDeployment");
                    labels["job-reference.name"] = json!(name);
                    if !o["status"].is_object() {
                        o["status"] = json!({"failures": 0});
                    }
                    o["status"]["state"] = json!(state);
                    super::objects::merge_patch(&mut o["status"], &extra);
                });
            };
            set("TRIGGER_PENDING", json!({}));
            let running = match &self.job_id {
                Some(j) => self.job_running(j).await,
                None => false,
            };
            let Some(jid) = self.job_id.clone().filter(|_| running) else {
                set(
                    "FAILED",
                    json!({"error": format!("Job of FlinkDeployment {} is not running", self.name), "failures": 1}),
                );
                continue;
            };
            let dir = snap["spec"]["savepoint"]["path"]
                .as_str()
                .map(str::to_string)
                .or_else(|| savepoint_dir(&self.last_spec));
            match self.flink.trigger_savepoint(&jid, dir.as_deref()).await {
                Err(e) => set("FAILED", json!({"error": e, "failures": 1})),
                Ok(trigger) => {
                    set(
                        "IN_PROGRESS",
                        json!({"triggerId": trigger, "triggerTimestamp": now_rfc3339()}),
                    );
                    match self.flink.savepoint_result(&jid, &trigger).await {
                        Ok(path) => set(
                            "COMPLETED",
                            json!({"path": path, "resultTimestamp": now_rfc3339()}),
                        ),
                        Err(e) => set("FAILED", json!({"error": e, "failures": 1})),
                    }
                }
            }
        }
    }
}

fn push_savepoint(si: &mut Value, entry: Value) {
    if !si.is_object() {
        *si = cluster::empty_savepoint_info();
    }
    si["lastSavepoint"] = entry.clone();
    if !si["savepointHistory"].is_array() {
        si["savepointHistory"] = json!([]);
    }
    si["savepointHistory"]
        .as_array_mut()
        .expect("array")
        .push(entry);
}

pub async fn run(shared: Arc<Shared>, ns: String, name: String, target: OperatorTarget) {
    shared
        .backends
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            (ns.clone(), format!("{name}-rest")),
            target.flink_rest_url.trim_end_matches('/').to_string(),
        );
    let flink = Flink {
        http: shared.http.clone(),
        url: target.flink_rest_url.trim_end_matches('/').to_string(),
    };
    let mut op = Op {
        shared: shared.clone(),
        ns,
        name,
        target,
        flink,
        jar_id: None,
        reconciled_gen: 0,
        last_spec: Value::Null,
        job_id: None,
        checkpoint_path: None,
    };
    let mut changed = shared.changed.subscribe();
    let mut first = true;
    loop {
        let Some(fd) = op.current() else {
            // Deleted: the operator tears the cluster down.
            if let Some(jid) = op.job_id.take() {
                let _ = op.flink.cancel(&jid).await;
            }
            delete_cluster_objects(&op.shared, &op.ns, &op.name);
            return;
        };
        let gen = fd["metadata"]["generation"].as_i64().unwrap_or(1);
        let outcome = if first {
            let adopt = match fd["status"]["jobStatus"]["jobId"].as_str() {
                Some(j) if op.job_running(j).await => Some(j.to_string()),
                _ => None,
            };
            match adopt {
                Some(j) => {
                    op.job_id = Some(j);
                    Ok(())
                }
                None if job_field(&fd["spec"], "state").as_str() != Some("suspended") => {
                    let from = job_field(&fd["spec"], "initialSavepointPath")
                        .as_str()
                        .map(str::to_string);
                    let spec = fd["spec"].clone();
                    op.deploy(&spec, from).await
                }
                None => Ok(()),
            }
        } else if gen != op.reconciled_gen {
            op.reconcile(&fd).await
        } else {
            Ok(())
        };
        match outcome {
            Ok(()) => {
                if first || gen != op.reconciled_gen {
                    op.mark_reconciled(&fd, first);
                }
                first = false;
            }
            Err(e) => {
                op.status(|st| st["error"] = json!(error_json(&e)));
                tokio::time::sleep(Duration::from_secs(3)).await;
                continue;
            }
        }
        op.observe().await;
        op.snapshots().await;
        tokio::select! {
            _ = changed.changed() => {}
            _ = tokio::time::sleep(Duration::from_millis(700)) => {}
        }
    }
}
