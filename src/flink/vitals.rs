//! The requests behind a job's vitals (health score and metric columns): the job's plan (which
//! vertices are sources and sinks, fetched once per job), the source vertices' operator metric
//! ids (`<operator>.pendingRecords`, Kafka `…records-lag-max`, listed once), the checkpoint
//! interval (once per job) and one aggregated metrics request per vertex for every wanted id.
//!
//! On Flink 1.20 and 2.3 operator metrics appear in `/jobs/:id/vertices/:vid/subtasks/metrics`
//! prefixed with the operator's name, spaces and colons replaced (`Source: orders` →
//! `Source__orders.pendingRecords`); the task-level `currentInputWatermark` exists only on
//! vertices with inputs. An aggregated request that names one id the vertex does not report
//! answers `[]` for every id (checked on both versions), so sources are not asked for it.

use serde_json::Value;

use super::client::FlinkClient;
use super::error::FlinkError;
use super::wire;

/// The task-level metrics asked of every vertex.
pub const TASK_METRICS: [&str; 5] = [
    "numRecordsInPerSecond",
    "numRecordsOutPerSecond",
    "busyTimeMsPerSecond",
    "backPressuredTimeMsPerSecond",
    "currentInputWatermark",
];

/// One vertex of a job's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVertex {
    pub id: String,
    /// No inputs: a source.
    pub source: bool,
    /// Nobody's input: a sink.
    pub sink: bool,
}

/// One metric aggregated over a vertex's subtasks.
#[derive(Debug, Clone, PartialEq)]
pub struct AggMetric {
    pub id: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub sum: Option<f64>,
}

/// Whether an operator metric id is a source's backlog (`pendingRecords`, Kafka's
/// `records-lag-max`).
pub fn is_backlog_metric(id: &str) -> bool {
    id.ends_with(".pendingRecords") || id.ends_with("records-lag-max")
}

/// The vertices of a plan (`/jobs/:id` → `plan.nodes[].{id, inputs[].id}`).
pub fn plan_vertices(job: &Value) -> Vec<PlanVertex> {
    let nodes = job
        .pointer("/plan/nodes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let inputs_of = |n: &Value| -> Vec<String> {
        n.get("inputs")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|i| i.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let all_inputs: Vec<String> = nodes.iter().flat_map(inputs_of).collect();
    let mut out: Vec<PlanVertex> = nodes
        .iter()
        .filter_map(|n| {
            let id = n.get("id").and_then(Value::as_str)?.to_string();
            Some(PlanVertex {
                source: inputs_of(n).is_empty(),
                sink: !all_inputs.contains(&id),
                id,
            })
        })
        .collect();
    if out.is_empty() {
        // No plan (an unusual answer): the vertex list, each treated as source and sink.
        out = job
            .get("vertices")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter_map(|v| v.get("id").and_then(Value::as_str))
                    .map(|id| PlanVertex {
                        id: id.to_string(),
                        source: true,
                        sink: true,
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    out
}

impl FlinkClient {
    /// `GET /jobs/:id`: the plan's vertices.
    pub async fn job_plan(&self, job_id: &str) -> Result<Vec<PlanVertex>, FlinkError> {
        let v: Value = self.get(&self.url(&["jobs", job_id], &[])).await?;
        Ok(plan_vertices(&v))
    }

    /// `GET /jobs/:id/vertices/:vid/subtasks/metrics` (no `get`): the backlog metric ids a
    /// source vertex reports (see [`is_backlog_metric`]).
    pub async fn backlog_metric_ids(
        &self,
        job_id: &str,
        vertex: &str,
    ) -> Result<Vec<String>, FlinkError> {
        let url = self.url(
            &["jobs", job_id, "vertices", vertex, "subtasks", "metrics"],
            &[],
        );
        let list: Vec<Value> = self.get(&url).await?;
        Ok(list
            .iter()
            .filter_map(|m| m.get("id").and_then(Value::as_str))
            .filter(|id| is_backlog_metric(id))
            .map(str::to_string)
            .collect())
    }

    /// `GET /jobs/:id/vertices/:vid/subtasks/metrics?get=a,b,…&agg=min,max,sum`: every id in
    /// one request.
    pub async fn vertex_agg_metrics(
        &self,
        job_id: &str,
        vertex: &str,
        ids: &[String],
    ) -> Result<Vec<AggMetric>, FlinkError> {
        let get = ids.join(",");
        let url = self.url(
            &["jobs", job_id, "vertices", vertex, "subtasks", "metrics"],
            &[("get", &get), ("agg", "min,max,sum")],
        );
        let m: Vec<wire::AggregatedMetric> = self.get(&url).await?;
        let finite = |x: Option<f64>| x.filter(|f| f.is_finite());
        Ok(m.into_iter()
            .map(|m| AggMetric {
                id: m.id,
                min: finite(m.min),
                max: finite(m.max),
                sum: finite(m.sum),
            })
            .collect())
    }

    /// `GET /jobs/:id/checkpoints/config`: the checkpoint interval in ms; `None` when
    /// checkpointing is off (Flink answers "not enabled", or an interval of `Long.MAX_VALUE`).
    pub async fn checkpoint_interval(&self, job_id: &str) -> Result<Option<i64>, FlinkError> {
        let url = self.url(&["jobs", job_id, "checkpoints", "config"], &[]);
        match self.get::<Value>(&url).await {
            Ok(v) => Ok(v
                .get("interval")
                .and_then(Value::as_i64)
                .filter(|i| *i > 0 && *i < i64::MAX)),
            Err(e) if super::client::checkpointing_not_enabled(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_and_sinks_from_the_plan() {
        // The shape of Flink 2.3's `/jobs/:id` for the demo job (two chained vertices).
        let job = json!({"vertices": [{"id": "a"}, {"id": "b"}], "plan": {"nodes": [
            {"id": "b", "inputs": [{"id": "a", "num": 0}]},
            {"id": "a"}
        ]}});
        let v = plan_vertices(&job);
        assert_eq!(
            v,
            vec![
                PlanVertex {
                    id: "b".into(),
                    source: false,
                    sink: true
                },
                PlanVertex {
                    id: "a".into(),
                    source: true,
                    sink: false
                },
            ]
        );
        let no_plan = json!({"vertices": [{"id": "x"}]});
        assert!(plan_vertices(&no_plan)[0].source && plan_vertices(&no_plan)[0].sink);
    }

    #[test]
    fn backlog_metrics_by_name() {
        assert!(is_backlog_metric("Source__orders.pendingRecords"));
        assert!(is_backlog_metric(
            "Source__kafka.KafkaSourceReader.KafkaConsumer.records-lag-max"
        ));
        assert!(!is_backlog_metric("Source__orders.numRecordsOut"));
    }
}
