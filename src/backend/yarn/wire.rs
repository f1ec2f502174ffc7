//! The ResourceManager REST answers flinkdeck reads (Hadoop `ResourceManagerRest.md`), decoded
//! leniently: every field optional, unknown fields ignored. An empty application list is
//! `{"apps":null}`.

use serde::Deserialize;

use crate::domain::YarnAppStatus;

/// `GET /ws/v1/cluster/info`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct InfoAnswer {
    #[serde(rename = "clusterInfo")]
    pub cluster_info: ClusterInfo,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ClusterInfo {
    /// `ACTIVE`, `STANDBY` (`INITIALIZING`, `STOPPED`); absent on old RMs (then: active).
    #[serde(rename = "haState")]
    pub ha_state: Option<String>,
    #[serde(rename = "resourceManagerVersion")]
    pub version: Option<String>,
}

/// `GET /ws/v1/cluster/apps`: `{"apps":{"app":[...]}}` or `{"apps":null}`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AppsAnswer {
    pub apps: Option<AppList>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AppList {
    pub app: Vec<App>,
}

impl AppsAnswer {
    pub fn into_apps(self) -> Vec<App> {
        self.apps.map(|a| a.app).unwrap_or_default()
    }
}

/// `GET /ws/v1/cluster/apps/{id}`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct AppAnswer {
    pub app: Option<App>,
}

/// `GET|PUT /ws/v1/cluster/apps/{id}/state`.
#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct StateAnswer {
    pub state: Option<String>,
}

/// One application.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct App {
    pub id: String,
    pub user: Option<String>,
    pub name: Option<String>,
    pub queue: Option<String>,
    pub state: Option<String>,
    #[serde(rename = "finalStatus")]
    pub final_status: Option<String>,
    #[serde(rename = "trackingUrl")]
    pub tracking_url: Option<String>,
    pub diagnostics: Option<String>,
    #[serde(rename = "applicationType")]
    pub application_type: Option<String>,
    #[serde(rename = "startedTime")]
    pub started_time: Option<i64>,
    #[serde(rename = "finishedTime")]
    pub finished_time: Option<i64>,
    #[serde(rename = "amHostHttpAddress")]
    pub am_host_http_address: Option<String>,
    /// `host:port`; for a Flink application, the JobManager REST address.
    #[serde(rename = "amRPCAddress")]
    pub am_rpc_address: Option<String>,
}

impl App {
    /// Whether the application runs a Flink session cluster (Flink's default name
    /// `Flink session cluster`; an application or 1.x per-job cluster otherwise).
    pub fn is_session(&self) -> bool {
        self.name
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().contains("session"))
    }

    /// As the console shows it.
    pub fn status(&self) -> YarnAppStatus {
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty() && *v != "N/A")
                .map(str::to_string)
        };
        YarnAppStatus {
            id: self.id.clone(),
            name: self.name.clone().unwrap_or_default(),
            queue: nonempty(&self.queue),
            user: nonempty(&self.user),
            state: self.state.clone().unwrap_or_else(|| "UNKNOWN".into()),
            final_status: nonempty(&self.final_status),
            diagnostics: nonempty(&self.diagnostics).map(|d| crate::flink::one_line(&d, 500)),
            am_address: nonempty(&self.am_rpc_address),
            tracking_url: nonempty(&self.tracking_url),
            started_ms: self.started_time.filter(|t| *t > 0),
            finished_ms: self.finished_time.filter(|t| *t > 0),
            rm_error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_apps_is_an_empty_list() {
        let a: AppsAnswer = serde_json::from_str(r#"{"apps":null}"#).expect("decodes");
        assert!(a.into_apps().is_empty());
        let a: AppsAnswer = serde_json::from_str(
            r#"{"apps":{"app":[{"id":"application_1_0001","name":"Flink session cluster",
                "state":"ACCEPTED","finalStatus":"UNDEFINED","startedTime":5,"finishedTime":0,
                "diagnostics":"waiting for AM container\nto be allocated","amRPCAddress":"N/A",
                "queue":"default","user":"flink","extra":1}]}}"#,
        )
        .expect("decodes");
        let apps = a.into_apps();
        assert_eq!(apps.len(), 1);
        assert!(apps[0].is_session());
        let s = apps[0].status();
        assert_eq!(s.state, "ACCEPTED");
        assert_eq!(s.am_address, None);
        assert_eq!(s.finished_ms, None);
        assert_eq!(
            s.diagnostics.as_deref(),
            Some("waiting for AM container | to be allocated")
        );
        assert_eq!(
            s.problem().as_deref(),
            Some(
                "YARN ACCEPTED: waiting for resources: waiting for AM container | to be allocated"
            )
        );
    }
}
