//! The YARN transport's routing: reads (GET) and PUTs go through the ResourceManager's web proxy
//! (`<rm>/proxy/<application id>/<flink path>`), which forwards only GET and PUT; every other
//! method (POST savepoint/stop/jar upload, PATCH cancel, DELETE) goes straight to the JobManager
//! REST address: `amRPCAddress` as YARN reports it (Flink registers its REST port there) or,
//! failing that, `rest.address`/`rest.port` read through the proxy from `/jobmanager/config`.

use std::sync::RwLock;

/// Where one YARN application's JobManager REST API is, for the YARN transport.
#[derive(Debug)]
pub struct YarnRoute {
    /// The YARN application id (for messages).
    pub app_id: String,
    /// `http://host:port/` of the JobManager REST API, once known.
    am_rest: RwLock<Option<url::Url>>,
    /// Where `am_rest` came from (`amRPCAddress`, `rest.address/rest.port`), for messages.
    source: RwLock<&'static str>,
}

impl YarnRoute {
    /// `am_address` is `amRPCAddress` (`host:port`); `None`, empty or `N/A` when YARN reports
    /// none (the JobManager config is read through the proxy on the first write).
    pub fn new(app_id: impl Into<String>, am_address: Option<&str>) -> YarnRoute {
        let am = am_address.and_then(host_port_url);
        YarnRoute {
            app_id: app_id.into(),
            source: RwLock::new(if am.is_some() { "amRPCAddress" } else { "" }),
            am_rest: RwLock::new(am),
        }
    }

    /// The JobManager REST base URL, if known.
    pub fn am_rest(&self) -> Option<url::Url> {
        match self.am_rest.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// What the address was taken from.
    pub fn source(&self) -> &'static str {
        match self.source.read() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }

    pub(super) fn set(&self, url: url::Url, source: &'static str) {
        match self.am_rest.write() {
            Ok(mut g) => *g = Some(url),
            Err(p) => *p.into_inner() = Some(url),
        }
        match self.source.write() {
            Ok(mut g) => *g = source,
            Err(p) => *p.into_inner() = source,
        }
    }
}

/// `host:port` → `http://host:port/`; `None` for `N/A`, empty, a missing or zero port.
pub fn host_port_url(addr: &str) -> Option<url::Url> {
    let addr = addr.trim();
    let (host, port) = addr.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    if host.is_empty() || port == 0 || host.eq_ignore_ascii_case("N/A") {
        return None;
    }
    url::Url::parse(&format!("http://{host}:{port}/")).ok()
}

/// `rest.address` and `rest.port` from `/jobmanager/config` (`[{"key":..,"value":..}]`).
pub(super) fn rest_address_from_config(config: &serde_json::Value) -> Option<url::Url> {
    let entries = config.as_array()?;
    let get = |k: &str| {
        entries
            .iter()
            .find(|e| e.get("key").and_then(|v| v.as_str()) == Some(k))
            .and_then(|e| e.get("value").and_then(|v| v.as_str()))
            .map(str::to_string)
    };
    let host = get("rest.address")?;
    let port = get("rest.port")?;
    host_port_url(&format!("{host}:{port}"))
}

/// Whether a method is forwarded by the ResourceManager's web proxy.
pub(super) fn proxied(method: &reqwest::Method) -> bool {
    *method == reqwest::Method::GET || *method == reqwest::Method::PUT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn am_addresses() {
        assert_eq!(
            host_port_url("node1:18085").map(|u| u.to_string()),
            Some("http://node1:18085/".to_string())
        );
        assert_eq!(host_port_url("N/A"), None);
        assert_eq!(host_port_url("node1:0"), None);
        assert_eq!(host_port_url(""), None);
        assert_eq!(host_port_url("node1"), None);
        let r = YarnRoute::new("application_1_0001", Some("127.0.0.1:8081"));
        assert_eq!(r.source(), "amRPCAddress");
        assert_eq!(
            r.am_rest().map(|u| u.to_string()).as_deref(),
            Some("http://127.0.0.1:8081/")
        );
        assert!(YarnRoute::new("a", Some("N/A")).am_rest().is_none());
    }

    #[test]
    fn rest_address_from_jobmanager_config() {
        let c = serde_json::json!([
            {"key": "rest.address", "value": "node7"},
            {"key": "rest.port", "value": "40123"},
            {"key": "jobmanager.rpc.port", "value": "6123"}
        ]);
        assert_eq!(
            rest_address_from_config(&c).map(|u| u.to_string()),
            Some("http://node7:40123/".to_string())
        );
        assert_eq!(rest_address_from_config(&serde_json::json!([])), None);
        assert!(proxied(&reqwest::Method::PUT));
        assert!(!proxied(&reqwest::Method::POST));
        assert!(!proxied(&reqwest::Method::PATCH));
    }
}
