//! Lifecycle of the Flink Kubernetes Operator's resources (FlinkDeployment, FlinkSessionJob):
//! stop, resume and savepoints by changing the resource and waiting for the operator.

use super::super::OperatorLifecycle;

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
}

impl OperatorLifecycle for OperatorResource {
    fn resource(&self) -> String {
        format!("{} {}/{}", self.kind.as_str(), self.namespace, self.name)
    }
}
