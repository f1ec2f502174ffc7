//! The service proxy: `/api/v1/namespaces/NS/services/[scheme:]NAME[:PORT]/proxy/PATH?QUERY`
//! forwards method, query, body and the headers that matter to the HTTP URL a test registered for
//! the Service (its "endpoints"), and streams the answer back with status and content-type.

use std::sync::Arc;

use hyper::Response;

use super::api::{channel_body, err_resp, Body, Req};
use super::objects::{by_plural, ApiError};
use super::{lock, Shared};

/// `name`, `name:port`, `scheme:name:port` (as `net.SplitSchemeNamePort` reads them).
fn split_scheme_name_port(id: &str) -> Option<(&str, &str, &str)> {
    let parts: Vec<&str> = id.split(':').collect();
    let (scheme, name, port) = match parts.as_slice() {
        [name] => ("", *name, ""),
        [name, port] => ("", *name, *port),
        [scheme, name, port] => (*scheme, *name, *port),
        _ => return None,
    };
    if name.is_empty() || !matches!(scheme, "" | "http" | "https") {
        return None;
    }
    Some((scheme, name, port))
}

pub async fn serve(
    shared: Arc<Shared>,
    r: &Req,
    ns: &str,
    id: &str,
    rest: &[String],
) -> Response<Body> {
    let services = by_plural("services");
    let Some((_scheme, name, port)) = split_scheme_name_port(id) else {
        return err_resp(&ApiError::bad_request(format!(
            "invalid service request {id:?}"
        )));
    };
    let Some(svc) = lock(&shared.store).get(services, ns, name).cloned() else {
        return err_resp(&ApiError::not_found(services, name));
    };
    if !port.is_empty() {
        let known = svc["spec"]["ports"].as_array().is_some_and(|ps| {
            ps.iter().any(|p| {
                p["name"] == port
                    || p["port"].as_u64().map(|n| n.to_string()).as_deref() == Some(port)
            })
        });
        if !known {
            return err_resp(&ApiError::new(
                503,
                "ServiceUnavailable",
                format!("no service port \"{port}\" found for service \"{name}\""),
            ));
        }
    }
    let backend = lock(&shared.backends)
        .get(&(ns.to_string(), name.to_string()))
        .cloned();
    let Some(base) = backend else {
        return err_resp(&ApiError::new(
            503,
            "ServiceUnavailable",
            format!("no endpoints available for service \"{name}\""),
        ));
    };
    // The path after /proxy, as sent (re-encoded segment by segment).
    let mut url = base.clone();
    url.push('/');
    url.push_str(
        &rest
            .iter()
            .map(|s| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>())
            .map(|s| s.replace('+', "%20"))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if r.path.ends_with('/') && !rest.is_empty() {
        url.push('/');
    }
    if let Some(q) = &r.raw_query {
        url.push('?');
        url.push_str(q);
    }
    let method =
        reqwest::Method::from_bytes(r.method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = shared.http.request(method, &url);
    for h in ["content-type", "accept", "expect"] {
        if let Some(v) = r.header(h) {
            req = req.header(h, v);
        }
    }
    if !r.body.is_empty() {
        req = req.body(r.body.to_vec());
    }
    let mut resp = match req.send().await {
        Ok(resp) => resp,
        Err(e) => {
            return err_resp(&ApiError::new(
                503,
                "ServiceUnavailable",
                format!("error trying to reach service: {e}"),
            ))
        }
    };
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (tx, body) = channel_body();
    tokio::spawn(async move {
        while let Ok(Some(chunk)) = resp.chunk().await {
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
    });
    let mut b = Response::builder().status(status);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body).expect("response")
}
