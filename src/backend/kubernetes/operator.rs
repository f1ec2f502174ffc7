//! Lifecycle of the Flink Kubernetes Operator's resources (FlinkDeployment, FlinkSessionJob):
//! stop, resume and savepoints by changing the resource and waiting for the operator.
//!
//! This module only reads and writes resources (`Api<DynamicObject>`: get, JSON merge patch,
//! FlinkStateSnapshot create/get/list, server-side apply); what to change, the journal and the
//! waiting live in `service::ops`. The status is read as the operator writes it
//! (`status::view_of`), the FlinkDeployment of an app spec is built in `deployment`.

pub mod deployment;
mod status;

use futures_util::future::BoxFuture;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{json, Value};

use super::super::OperatorLifecycle;
use crate::domain::{FailureClass, JobPatch, OperatorRef, OperatorView, SnapshotView};
use crate::flink::FlinkError;

pub use status::{snapshot_of, view_of};

/// The operator's API group and version.
pub const GROUP: &str = "flink.apache.org";
pub const VERSION: &str = "v1beta1";
/// The field manager of every write flinkdeck makes.
pub const FIELD_MANAGER: &str = "flinkdeck";

/// Which operator resource kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorKind {
    FlinkDeployment,
    FlinkSessionJob,
}

impl OperatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorKind::FlinkDeployment => "FlinkDeployment",
            OperatorKind::FlinkSessionJob => "FlinkSessionJob",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            OperatorKind::FlinkDeployment => "flinkdeployments",
            OperatorKind::FlinkSessionJob => "flinksessionjobs",
        }
    }
}

/// The `ApiResource` of an operator kind (`FlinkDeployment`, `FlinkSessionJob`,
/// `FlinkStateSnapshot`).
pub fn api_resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, VERSION, kind), plural)
}

fn snapshot_resource() -> ApiResource {
    api_resource("FlinkStateSnapshot", "flinkstatesnapshots")
}

/// One operator resource that lifecycle actions change.
pub struct OperatorResource {
    pub client: kube::Client,
    pub namespace: String,
    pub kind: OperatorKind,
    pub name: String,
}

impl OperatorResource {
    pub fn new(client: kube::Client, namespace: String, kind: OperatorKind, name: String) -> Self {
        OperatorResource {
            client,
            namespace,
            kind,
            name,
        }
    }

    fn api(&self) -> Api<DynamicObject> {
        let ar = api_resource(self.kind.as_str(), self.kind.plural());
        Api::namespaced_with(self.client.clone(), &self.namespace, &ar)
    }

    fn snapshots_api(&self) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, &snapshot_resource())
    }

    /// The API path of the resource, for messages.
    fn path(&self) -> String {
        format!(
            "/apis/{GROUP}/{VERSION}/namespaces/{}/{}/{}",
            self.namespace,
            self.kind.plural(),
            self.name
        )
    }

    fn snapshots_path(&self) -> String {
        format!(
            "/apis/{GROUP}/{VERSION}/namespaces/{}/flinkstatesnapshots",
            self.namespace
        )
    }
}

/// A kube error as a classified [`FlinkError`] (an API `Status` keeps its code and message).
pub fn kube_err(method: &str, path: &str, err: kube::Error) -> FlinkError {
    if let kube::Error::Api(status) = &err {
        let code = status.code;
        let class = match code {
            401 | 403 => FailureClass::Unauthorized { status: code },
            500..=599 => FailureClass::ServerError { status: code },
            _ => FailureClass::Http { status: code },
        };
        let reason = if status.message.is_empty() {
            format!("{code} {}", status.reason)
        } else {
            format!("{code} {}", status.message)
        };
        return FlinkError::new(
            class,
            method,
            path,
            &reason,
            format!("{method} {path}: {err}"),
        );
    }
    FlinkError::from_kube(method, path, &err, std::time::Duration::from_secs(30))
}

fn to_value(obj: &DynamicObject) -> Value {
    serde_json::to_value(obj).unwrap_or(Value::Null)
}

impl OperatorLifecycle for OperatorResource {
    fn resource(&self) -> String {
        format!("{} {}/{}", self.kind.as_str(), self.namespace, self.name)
    }

    fn reference(&self) -> OperatorRef {
        OperatorRef {
            kind: self.kind.as_str().to_string(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    fn view(&self) -> BoxFuture<'_, Result<OperatorView, FlinkError>> {
        Box::pin(async move {
            let obj = self
                .api()
                .get(&self.name)
                .await
                .map_err(|e| kube_err("GET", &self.path(), e))?;
            Ok(view_of(&to_value(&obj)))
        })
    }

    fn patch_job<'a>(
        &'a self,
        patch: &'a JobPatch,
    ) -> BoxFuture<'a, Result<OperatorView, FlinkError>> {
        Box::pin(async move {
            let pp = PatchParams {
                field_manager: Some(FIELD_MANAGER.to_string()),
                ..PatchParams::default()
            };
            let obj = self
                .api()
                .patch(&self.name, &pp, &Patch::Merge(&patch.body()))
                .await
                .map_err(|e| kube_err("PATCH", &self.path(), e))?;
            Ok(view_of(&to_value(&obj)))
        })
    }

    fn snapshots_supported(&self) -> BoxFuture<'_, Result<bool, FlinkError>> {
        Box::pin(async move {
            match self
                .snapshots_api()
                .list(&ListParams::default().limit(1))
                .await
            {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
                Err(e) => Err(kube_err("GET", &self.snapshots_path(), e)),
            }
        })
    }

    fn create_savepoint_snapshot<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<(), FlinkError>> {
        Box::pin(async move {
            let body = savepoint_snapshot(&self.reference(), name);
            let obj: DynamicObject = serde_json::from_value(body).map_err(|e| {
                FlinkError::local(&self.snapshots_path(), format!("snapshot object: {e}"))
            })?;
            let pp = PostParams {
                field_manager: Some(FIELD_MANAGER.to_string()),
                ..PostParams::default()
            };
            self.snapshots_api()
                .create(&pp, &obj)
                .await
                .map_err(|e| kube_err("POST", &self.snapshots_path(), e))?;
            Ok(())
        })
    }

    fn snapshot<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, Result<Option<SnapshotView>, FlinkError>> {
        Box::pin(async move {
            let path = format!("{}/{name}", self.snapshots_path());
            let obj = self
                .snapshots_api()
                .get_opt(name)
                .await
                .map_err(|e| kube_err("GET", &path, e))?;
            Ok(obj.map(|o| snapshot_of(&to_value(&o))))
        })
    }

    fn snapshots(&self) -> BoxFuture<'_, Result<Vec<SnapshotView>, FlinkError>> {
        Box::pin(async move {
            let list = match self.snapshots_api().list(&ListParams::default()).await {
                Ok(l) => l,
                Err(kube::Error::Api(s)) if s.code == 404 => return Ok(Vec::new()),
                Err(e) => return Err(kube_err("GET", &self.snapshots_path(), e)),
            };
            let me = self.reference();
            Ok(list
                .items
                .iter()
                .map(to_value)
                .filter(|v| refers_to(v, &me))
                .map(|v| snapshot_of(&v))
                .collect())
        })
    }
}

/// Whether a FlinkStateSnapshot's `spec.jobReference` names `r`.
fn refers_to(snapshot: &Value, r: &OperatorRef) -> bool {
    let jr = &snapshot["spec"]["jobReference"];
    jr["name"].as_str() == Some(r.name.as_str())
        && jr["kind"].as_str().unwrap_or("FlinkDeployment") == r.kind
}

/// A FlinkStateSnapshot asking for a savepoint of `r` (into the job's configured savepoint
/// directory; the operator disposes it when the snapshot is deleted only if asked to).
pub fn savepoint_snapshot(r: &OperatorRef, name: &str) -> Value {
    json!({
        "apiVersion": format!("{GROUP}/{VERSION}"),
        "kind": "FlinkStateSnapshot",
        "metadata": {
            "name": name,
            "namespace": r.namespace,
            "labels": {"app.kubernetes.io/managed-by": FIELD_MANAGER},
        },
        "spec": {
            "jobReference": {"kind": r.kind, "name": r.name},
            "savepoint": {"alreadyExists": false, "disposeOnDelete": false},
        },
    })
}

/// Writing FlinkDeployments of app specs: the current object and server-side apply.
pub struct Deployer {
    client: kube::Client,
}

impl Deployer {
    /// For the kubeconfig and context of a `kind = "kubernetes"` entry (the same credentials
    /// discovery uses).
    pub async fn for_entry(config: &crate::config::ClusterConfig) -> Result<Deployer, String> {
        let source = super::connect::load(config).map_err(|e| e.to_string())?;
        let conn = super::connect::connect(&source, &config.name)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Deployer {
            client: conn.client,
        })
    }

    pub fn from_client(client: kube::Client) -> Deployer {
        Deployer { client }
    }

    fn api(&self, ns: &str) -> Api<DynamicObject> {
        Api::namespaced_with(
            self.client.clone(),
            ns,
            &api_resource("FlinkDeployment", "flinkdeployments"),
        )
    }

    /// The FlinkDeployment `ns/name` now, if it exists.
    pub async fn current(&self, ns: &str, name: &str) -> Result<Option<Value>, FlinkError> {
        let path = deployment_path(ns, name);
        let obj = self
            .api(ns)
            .get_opt(name)
            .await
            .map_err(|e| kube_err("GET", &path, e))?;
        Ok(obj.as_ref().map(to_value))
    }

    /// Server-side apply of `object` (field manager `flinkdeck`); `force` takes over fields
    /// other managers own.
    pub async fn apply(&self, object: &Value, force: bool) -> Result<Value, FlinkError> {
        let ns = object["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default");
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let path = deployment_path(ns, name);
        let mut pp = PatchParams::apply(FIELD_MANAGER);
        if force {
            pp = pp.force();
        }
        let obj = self
            .api(ns)
            .patch(name, &pp, &Patch::Apply(object))
            .await
            .map_err(|e| kube_err("PATCH", &path, e))?;
        Ok(to_value(&obj))
    }
}

fn deployment_path(ns: &str, name: &str) -> String {
    format!("/apis/{GROUP}/{VERSION}/namespaces/{ns}/flinkdeployments/{name}")
}
