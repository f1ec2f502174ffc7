//! Objects shaped like the ones Flink's native Kubernetes integration and the Flink Kubernetes
//! Operator create: the JobManager Deployment, JobManager/TaskManager pods, the `<id>-rest` and
//! internal Services, the `flink-config-<id>` ConfigMap, and FlinkDeployment / FlinkSessionJob
//! status as the operator writes it.

use serde_json::{json, Value};

use super::objects::{hex, name_suffix, now_ms, now_rfc3339, rand_u64};

pub const CONTAINER: &str = "flink-main-container";
pub const NATIVE_TYPE: &str = "flink-native-kubernetes";

pub fn labels(app: &str, component: Option<&str>) -> Value {
    let mut l = json!({"app": app, "type": NATIVE_TYPE});
    if let Some(c) = component {
        l["component"] = json!(c);
    }
    l
}

fn flink_image(spec: Option<&Value>) -> String {
    spec.and_then(|s| s["image"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| "apache/flink:2.3.0".to_string())
}

fn owner_ref(api_version: &str, kind: &str, name: &str, uid: &str, controller: bool) -> Value {
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": uid,
        "controller": controller,
        "blockOwnerDeletion": true,
    })
}

fn container_id() -> String {
    format!("containerd://{}", hex(64))
}

fn pod_ip() -> String {
    format!("10.244.{}.{}", rand_u64() % 4, 2 + rand_u64() % 250)
}

/// A Running, Ready pod with one `flink-main-container`.
pub fn pod(
    ns: &str,
    name: &str,
    labels: Value,
    component: &str,
    image: &str,
    owner: Option<Value>,
) -> Value {
    let now = now_rfc3339();
    let (args, ports) = if component == "jobmanager" {
        (
            json!(["bash", "-c", "kubernetes-jobmanager.sh kubernetes-session"]),
            json!([
                {"name": "rest", "containerPort": 8081, "protocol": "TCP"},
                {"name": "jobmanager-rpc", "containerPort": 6123, "protocol": "TCP"},
                {"name": "blobserver", "containerPort": 6124, "protocol": "TCP"}
            ]),
        )
    } else {
        (
            json!([
                "bash",
                "-c",
                "kubernetes-taskmanager.sh -Dtaskmanager.resource-id=".to_string() + name
            ]),
            json!([{"name": "rpc", "containerPort": 6122, "protocol": "TCP"}]),
        )
    };
    let mut p = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "labels": labels,
            "annotations": {},
        },
        "spec": {
            "containers": [{
                "name": CONTAINER,
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "args": args,
                "ports": ports,
                "resources": {
                    "limits": {"cpu": "1", "memory": "1600Mi"},
                    "requests": {"cpu": "1", "memory": "1600Mi"}
                },
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
            }],
            "nodeName": "fake-node-1",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "serviceAccountName": "flink",
            "serviceAccount": "flink",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
                {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
                {"type": "Ready", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
                {"type": "ContainersReady", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}
            ],
            "hostIP": "192.168.49.2",
            "hostIPs": [{"ip": "192.168.49.2"}],
            "podIP": pod_ip(),
            "startTime": now,
            "qosClass": "Guaranteed",
            "containerStatuses": [{
                "name": CONTAINER,
                "state": {"running": {"startedAt": now}},
                "lastState": {},
                "ready": true,
                "restartCount": 0,
                "image": format!("docker.io/{image}"),
                "imageID": format!("docker.io/{}@sha256:{}", image.split(':').next().unwrap_or(image), hex(64)),
                "containerID": container_id(),
                "started": true,
            }],
        }
    });
    let ip = p["status"]["podIP"].clone();
    p["status"]["podIPs"] = json!([{"ip": ip}]);
    if let Some(o) = owner {
        p["metadata"]["ownerReferences"] = json!([o]);
    }
    p
}

/// What `add_native_cluster` / `add_flink_deployment` create, in creation order.
pub struct ClusterObjects {
    pub deployment: Value,
    pub pods: Vec<Value>,
    pub services: Vec<Value>,
    pub config_map: Value,
}

/// The objects of a native Flink cluster `id` (JobManager Deployment with one pod, TaskManager
/// pods, `<id>-rest` + internal Service, `flink-config-<id>` ConfigMap). `owner` is the
/// FlinkDeployment that owns them when the operator made them.
pub fn native_cluster(
    ns: &str,
    id: &str,
    taskmanagers: usize,
    image: &str,
    owner: Option<Value>,
) -> ClusterObjects {
    let jm_labels = labels(id, Some("jobmanager"));
    let deploy_uid = super::objects::new_uid();
    let mut deployment = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": id,
            "namespace": ns,
            "uid": deploy_uid,
            "labels": jm_labels,
            "annotations": {"deployment.kubernetes.io/revision": "1"},
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": jm_labels},
            "strategy": {"type": "Recreate"},
            "template": {
                "metadata": {"labels": jm_labels},
                "spec": {"containers": [{"name": CONTAINER, "image": image}], "serviceAccountName": "flink"}
            }
        },
        "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                 "message": "Deployment has minimum availability.",
                 "lastUpdateTime": now_rfc3339(), "lastTransitionTime": now_rfc3339()},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                 "message": "",
                 "lastUpdateTime": now_rfc3339(), "lastTransitionTime": now_rfc3339()}
            ]
        }
    });
    if let Some(o) = &owner {
        deployment["metadata"]["ownerReferences"] = json!([o]);
    }
    // Pods of a Deployment are named <deployment>-<replicaset hash>-<5 chars>.
    let rs_hash = name_suffix(10);
    let rs_name = format!("{id}-{rs_hash}");
    deployment["status"]["conditions"][1]["message"] = json!(format!(
        "ReplicaSet \"{rs_name}\" has successfully progressed."
    ));
    let mut jm_pod_labels = jm_labels.clone();
    jm_pod_labels["pod-template-hash"] = json!(rs_hash);
    let mut pods = vec![pod(
        ns,
        &format!("{rs_name}-{}", name_suffix(5)),
        jm_pod_labels,
        "jobmanager",
        image,
        Some(owner_ref(
            "apps/v1",
            "ReplicaSet",
            &rs_name,
            &super::objects::new_uid(),
            true,
        )),
    )];
    // TaskManagers are created by Flink's ResourceManager directly, owned by the JM Deployment.
    for n in 1..=taskmanagers {
        pods.push(pod(
            ns,
            &format!("{id}-taskmanager-1-{n}"),
            labels(id, Some("taskmanager")),
            "taskmanager",
            image,
            Some(owner_ref("apps/v1", "Deployment", id, &deploy_uid, true)),
        ));
    }
    let deploy_owner = owner_ref("apps/v1", "Deployment", id, &deploy_uid, true);
    let rest = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": format!("{id}-rest"),
            "namespace": ns,
            "labels": labels(id, None),
            "ownerReferences": [deploy_owner],
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": format!("10.96.{}.{}", rand_u64() % 250, 2 + rand_u64() % 250),
            "ports": [{"name": "rest", "port": 8081, "protocol": "TCP", "targetPort": 8081}],
            "selector": jm_labels,
            "sessionAffinity": "None",
        },
        "status": {"loadBalancer": {}}
    });
    let internal = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": id,
            "namespace": ns,
            "labels": labels(id, None),
            "ownerReferences": [deploy_owner],
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "None",
            "ports": [
                {"name": "jobmanager-rpc", "port": 6123, "protocol": "TCP", "targetPort": 6123},
                {"name": "blobserver", "port": 6124, "protocol": "TCP", "targetPort": 6124}
            ],
            "selector": jm_labels,
        },
        "status": {"loadBalancer": {}}
    });
    let config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": format!("flink-config-{id}"),
            "namespace": ns,
            "labels": labels(id, None),
            "ownerReferences": [deploy_owner],
        },
        "data": {
            "config.yaml": format!(
                "kubernetes.cluster-id: {id}\nkubernetes.namespace: {ns}\nrest.port: 8081\n\
                 jobmanager.rpc.port: 6123\nblob.server.port: 6124\ntaskmanager.numberOfTaskSlots: 1\n"
            ),
            "log4j-console.properties": "rootLogger.level = INFO\n",
        }
    });
    ClusterObjects {
        deployment,
        pods,
        services: vec![rest, internal],
        config_map,
    }
}

pub fn image_of(spec: &Value) -> String {
    flink_image(Some(spec))
}

/// TaskManager count the operator would start: `taskManager.replicas`, else
/// ceil(parallelism / taskmanager.numberOfTaskSlots).
pub fn taskmanager_count(spec: &Value) -> usize {
    if let Some(r) = spec["taskManager"]["replicas"].as_u64() {
        return r as usize;
    }
    let parallelism = spec["job"]["parallelism"].as_u64().unwrap_or(1).max(1);
    let slots = spec["flinkConfiguration"]["taskmanager.numberOfTaskSlots"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
        .or_else(|| spec["flinkConfiguration"]["taskmanager.numberOfTaskSlots"].as_u64())
        .unwrap_or(1)
        .max(1);
    parallelism.div_ceil(slots) as usize
}

/// `reconciliationStatus.lastReconciledSpec`: the spec plus `resource_metadata`, serialised to a
/// string, as the operator stores it.
pub fn reconciled_spec(spec: &Value, generation: i64, first: bool) -> String {
    json!({
        "spec": spec,
        "resource_metadata": {
            "apiVersion": "flink.apache.org/v1beta1",
            "metadata": {"generation": generation},
            "firstDeployment": first,
        }
    })
    .to_string()
}

/// Drops `null` members recursively: the operator (Jackson, NON_NULL) omits unset status fields.
pub fn remove_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(remove_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(remove_nulls),
        _ => {}
    }
}

pub fn empty_savepoint_info() -> Value {
    json!({
        "savepointHistory": [],
        "lastPeriodicSavepointTimestamp": 0,
    })
}

/// A FlinkDeployment as the operator leaves it once the cluster (and job) are up.
pub fn flink_deployment(ns: &str, name: &str, spec: &Value) -> Value {
    let now = now_ms();
    let has_job = spec["job"].is_object();
    let mut job_status = json!({
        "checkpointInfo": {"lastPeriodicCheckpointTimestamp": 0},
        "savepointInfo": empty_savepoint_info(),
    });
    if has_job {
        job_status["jobName"] = json!(name);
        job_status["jobId"] = json!(hex(32));
        let state = if spec["job"]["state"] == "suspended" {
            "FINISHED"
        } else {
            "RUNNING"
        };
        job_status["state"] = json!(state);
        job_status["startTime"] = json!(now.to_string());
        job_status["updateTime"] = json!(now.to_string());
    }
    let suspended = has_job && spec["job"]["state"] == "suspended";
    let flink_version = spec["flinkVersion"]
        .as_str()
        .unwrap_or("v2_3")
        .trim_start_matches('v')
        .replace('_', ".");
    json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {
            "name": name,
            "namespace": ns,
            "finalizers": ["flinkdeployments.flink.apache.org/finalizer"],
        },
        "spec": spec,
        "status": {
            "jobStatus": job_status,
            "observedGeneration": 1,
            "lifecycleState": if suspended { "SUSPENDED" } else { "STABLE" },
            "clusterInfo": if suspended { json!({}) } else { json!({
                "flink-version": format!("{flink_version}.0"),
                "flink-revision": "fake@2025-01-01T00:00:00+01:00",
                "total-cpu": "2.0",
                "total-memory": "3355443200",
                "state-size": "0",
            })},
            "jobManagerDeploymentStatus": if suspended { "MISSING" } else { "READY" },
            "reconciliationStatus": {
                "reconciliationTimestamp": now,
                "lastReconciledSpec": reconciled_spec(spec, 1, true),
                "lastStableSpec": reconciled_spec(spec, 1, true),
                "state": "DEPLOYED",
            },
            "taskManager": {
                "labelSelector": format!("component=taskmanager,app={name}"),
                "replicas": if suspended { 0 } else { taskmanager_count(spec) },
            },
        }
    })
}

pub fn session_job(ns: &str, name: &str, deployment: &str, spec: &Value) -> Value {
    let now = now_ms();
    let mut spec = spec.clone();
    spec["deploymentName"] = json!(deployment);
    let suspended = spec["job"]["state"] == "suspended";
    json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkSessionJob",
        "metadata": {
            "name": name,
            "namespace": ns,
            "finalizers": ["flinksessionjobs.flink.apache.org/finalizer"],
            "labels": {"target.session": deployment},
        },
        "spec": spec,
        "status": {
            "jobStatus": {
                "jobName": name,
                "jobId": hex(32),
                "state": if suspended { "FINISHED" } else { "RUNNING" },
                "startTime": now.to_string(),
                "updateTime": now.to_string(),
                "checkpointInfo": {"lastPeriodicCheckpointTimestamp": 0},
                "savepointInfo": empty_savepoint_info(),
            },
            "observedGeneration": 1,
            "lifecycleState": if suspended { "SUSPENDED" } else { "STABLE" },
            "reconciliationStatus": {
                "reconciliationTimestamp": now,
                "lastReconciledSpec": reconciled_spec(&spec, 1, true),
                "lastStableSpec": reconciled_spec(&spec, 1, true),
                "state": "DEPLOYED",
            },
        }
    })
}

/// Applies a kubelet-style status change to a pod: a merge patch, except that
/// `containerStatuses` entries are matched by `name` (their `state`/`lastState` replaced as a
/// whole) and `conditions` by `type`; then the derived fields (container `ready`/`started`,
/// containerIDs of terminated states, the Ready/ContainersReady conditions) are made consistent.
pub fn apply_pod_status(pod: &mut Value, change: &Value) {
    let mut change = change.clone();
    let statuses = change
        .as_object_mut()
        .and_then(|m| m.remove("containerStatuses"));
    let conditions = change.as_object_mut().and_then(|m| m.remove("conditions"));
    super::objects::merge_patch(&mut pod["status"], &change);
    if let Some(Value::Array(list)) = statuses {
        if !pod["status"]["containerStatuses"].is_array() {
            pod["status"]["containerStatuses"] = json!([]);
        }
        for cs in list {
            let name = cs["name"].as_str().unwrap_or(CONTAINER).to_string();
            let arr = pod["status"]["containerStatuses"]
                .as_array_mut()
                .expect("array");
            let idx = match arr.iter().position(|c| c["name"] == name.as_str()) {
                Some(i) => i,
                None => {
                    arr.push(json!({"name": name, "state": {}, "lastState": {}, "ready": false, "restartCount": 0}));
                    arr.len() - 1
                }
            };
            let target = &mut arr[idx];
            if let Value::Object(m) = &cs {
                for (k, v) in m {
                    match k.as_str() {
                        "state" | "lastState" => target[k] = v.clone(),
                        _ => super::objects::merge_patch(&mut target[k.as_str()], v),
                    }
                }
            }
            for which in ["state", "lastState"] {
                if target[which]["terminated"].is_object()
                    && target[which]["terminated"]["containerID"].is_null()
                {
                    target[which]["terminated"]["containerID"] = json!(container_id());
                }
            }
            let running = target["state"]["running"].is_object();
            if cs.get("ready").is_none() {
                target["ready"] = json!(running);
            }
            if cs.get("started").is_none() {
                target["started"] = json!(running);
            }
        }
    }
    if let Some(Value::Array(list)) = conditions {
        if !pod["status"]["conditions"].is_array() {
            pod["status"]["conditions"] = json!([]);
        }
        for c in list {
            let arr = pod["status"]["conditions"].as_array_mut().expect("array");
            let mut c = c.clone();
            if c["lastTransitionTime"].is_null() {
                c["lastTransitionTime"] = json!(now_rfc3339());
            }
            if c.get("lastProbeTime").is_none() {
                c["lastProbeTime"] = Value::Null;
            }
            match arr.iter().position(|x| x["type"] == c["type"]) {
                Some(i) => super::objects::merge_patch(&mut arr[i], &c),
                None => arr.push(c),
            }
        }
    }
    // Ready / ContainersReady follow the containers.
    let not_ready: Vec<String> = pod["status"]["containerStatuses"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|c| c["ready"] != true)
                .filter_map(|c| c["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(arr) = pod["status"]["conditions"].as_array_mut() {
        for c in arr.iter_mut() {
            if c["type"] != "Ready" && c["type"] != "ContainersReady" {
                continue;
            }
            let want = if not_ready.is_empty() {
                "True"
            } else {
                "False"
            };
            if c["status"] != want {
                c["status"] = json!(want);
                c["lastTransitionTime"] = json!(now_rfc3339());
            }
            if let Some(m) = c.as_object_mut() {
                if not_ready.is_empty() {
                    m.remove("reason");
                    m.remove("message");
                } else {
                    m.insert("reason".into(), json!("ContainersNotReady"));
                    m.insert(
                        "message".into(),
                        json!(format!(
                            "containers with unready status: [{}]",
                            not_ready.join(" ")
                        )),
                    );
                }
            }
        }
    }
}
