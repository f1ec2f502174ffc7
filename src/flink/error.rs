//! `FlinkError`: one classified failure of one request, with a one-line message for tables and
//! the full chain for the error detail view.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

use crate::config::secret::mask;
use crate::domain::FailureClass;

/// A failed request to a Flink REST endpoint.
///
/// `Display` is `<class label>: <message>`, e.g.
/// `refused: GET http://127.0.0.1:8081/jobs/overview: connection refused`.
#[derive(Debug, Clone, thiserror::Error)]
pub struct FlinkError {
    pub class: FailureClass,
    /// The URL that was requested (without credentials).
    pub url: String,
    /// One line: method, URL and the short reason.
    pub message: String,
    /// The full chain, including Flink's `{"errors":[...]}` text when there was one.
    pub detail: String,
}

impl fmt::Display for FlinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.class.label(), self.message)
    }
}

impl FlinkError {
    pub(crate) fn new(
        class: FailureClass,
        method: &str,
        url: &str,
        reason: &str,
        detail: String,
    ) -> Self {
        // Masked before it is cut to one line, so no part of a secret survives the cut. A body
        // that echoes the Authorization header (some gateways do) shows `***`.
        let reason = one_line(&mask(reason), 300);
        let url = mask(url);
        FlinkError {
            class,
            url: url.to_string(),
            message: format!("{method} {url}: {reason}"),
            detail: mask(&detail).into_owned(),
        }
    }

    /// A failure that happened before any request was sent (bad input, unreadable file...).
    pub(crate) fn local(url: &str, message: impl Into<String>) -> Self {
        let message = mask(&message.into()).into_owned();
        FlinkError {
            class: FailureClass::Other,
            url: mask(url).into_owned(),
            detail: message.clone(),
            message: one_line(&message, 300),
        }
    }

    /// The request did not finish within the endpoint's timeout.
    pub(crate) fn timeout(method: &str, url: &str, timeout: Duration) -> Self {
        let reason = format!("no answer after {}", format_timeout(timeout));
        FlinkError::new(
            FailureClass::Timeout,
            method,
            url,
            &reason,
            format!("{method} {url}: {reason}"),
        )
    }

    /// Classifies a transport error (connect, DNS, TLS, timeout, broken body...).
    pub(crate) fn from_reqwest(
        method: &str,
        url: &str,
        err: reqwest::Error,
        timeout: Duration,
    ) -> Self {
        // The URL is already in the message (without credentials): drop reqwest's copy.
        let err = err.without_url();
        let chain = error_chain(&err);
        let detail = format!("{method} {url}: {}", chain.join(": "));
        let innermost = chain.last().cloned().unwrap_or_default();
        let flags = TransportFlags {
            timeout: err.is_timeout(),
            dns: err.is_dns(),
            connect: err.is_connect(),
        };
        let (class, reason) = classify_transport(&err, flags, &chain, timeout, &innermost);
        FlinkError::new(class, method, url, &reason, detail)
    }

    /// Classifies a failure of the Kubernetes client (connect, TLS, auth plugin, timeout...).
    pub(crate) fn from_kube(method: &str, url: &str, err: &kube::Error, timeout: Duration) -> Self {
        let chain = error_chain(err);
        let detail = format!("{method} {url}: {}", chain.join(": "));
        let innermost = chain.last().cloned().unwrap_or_default();
        if let kube::Error::Auth(e) = err {
            let reason = format!("Kubernetes credentials: {e}");
            return FlinkError::new(FailureClass::Other, method, url, &reason, detail);
        }
        let lower = innermost.to_ascii_lowercase();
        let flags = TransportFlags {
            timeout: lower.contains("timed out") || lower.contains("elapsed"),
            dns: false,
            connect: lower.contains("connect"),
        };
        let (class, reason) = classify_transport(err, flags, &chain, timeout, &innermost);
        FlinkError::new(class, method, url, &reason, detail)
    }

    /// Any failure of a Kubernetes API request (list, watch, get, logs): the API server's own
    /// answer (`401 Unauthorized`, `403 Forbidden: pods is forbidden: ...`) or a transport
    /// failure (`certificate verify failed: ...`, `connection refused`), see [`Self::from_kube`].
    pub(crate) fn from_kube_request(
        method: &str,
        url: &str,
        err: &kube::Error,
        timeout: Duration,
    ) -> Self {
        let kube::Error::Api(status) = err else {
            return FlinkError::from_kube(method, url, err, timeout);
        };
        let code = status.code;
        let class = match code {
            401 | 403 => FailureClass::Unauthorized { status: code },
            500..=599 => FailureClass::ServerError { status: code },
            _ => FailureClass::Http { status: code },
        };
        let text = match (status.reason.is_empty(), status.message.is_empty()) {
            (false, false) if status.message != status.reason => {
                format!("{}: {}", status.reason, status.message)
            }
            (false, _) => status.reason.clone(),
            (true, false) => status.message.clone(),
            (true, true) => status_reason(code).to_string(),
        };
        let reason = format!("{code} {}", one_line(&text, 200));
        let detail = format!("{method} {url}: HTTP {code}: {text}");
        FlinkError::new(class, method, url, &reason, detail)
    }

    /// The HTTP status of the API server's answer, when the failure is one.
    pub(crate) fn kube_status(err: &kube::Error) -> Option<u16> {
        match err {
            kube::Error::Api(s) => Some(s.code),
            _ => None,
        }
    }

    /// A non-2xx answer: the message carries Flink's first error line, the detail the whole body.
    pub(crate) fn from_status(method: &str, url: &str, status: u16, body: &str) -> Self {
        let class = match status {
            401 | 403 => FailureClass::Unauthorized { status },
            500..=599 => FailureClass::ServerError { status },
            _ => FailureClass::Http { status },
        };
        let head = flink_error_line(body).map(|head| {
            // A 404's cause only repeats it ("Job x not found" <- "Could not find Flink job x").
            match flink_root_cause(body, &head) {
                Some(cause) if status != 404 => format!("{head} (caused by {cause})"),
                _ => head,
            }
        });
        let head = head.or_else(|| {
            kube_status_line(body).map(|line| format!("{status} {}", one_line(&line, 200)))
        });
        let reason = head.unwrap_or_else(|| {
            let trimmed = body.trim();
            if trimmed.is_empty() || trimmed.starts_with('<') {
                // Empty, or an HTML page from a proxy: the status says enough.
                status_reason(status).to_string()
            } else {
                trimmed.to_string()
            }
        });
        let detail = match flink_errors(body) {
            Some(entries) => format!("{method} {url}: HTTP {status}\n{}", entries.join("\n")),
            None if body.trim().is_empty() => format!("{method} {url}: HTTP {status}"),
            None => format!("{method} {url}: HTTP {status}\n{}", body.trim_end()),
        };
        FlinkError::new(class, method, url, &reason, detail)
    }

    /// The body was not the JSON we expected.
    pub(crate) fn bad_json(method: &str, url: &str, err: &serde_json::Error, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let path = if err.is_data() {
            super::jsonpath::path_at(&text, err.line(), err.column())
        } else {
            None
        };
        let reason = match &path {
            Some(p) => format!("unexpected JSON at {p}: {err}"),
            None if body.iter().all(|b| b.is_ascii_whitespace()) => "empty body".to_string(),
            None => format!("invalid JSON: {err}"),
        };
        let excerpt = excerpt_at(&text, err.line(), err.column());
        let detail = format!("{method} {url}: {reason}\nbody near the error: {excerpt}");
        FlinkError::new(FailureClass::BadJson, method, url, &reason, detail)
    }
}

/// `5s`, `1.5s`, `300ms`.
pub(crate) fn format_timeout(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms >= 1000 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{ms}ms")
    }
}

/// Every message of the error and its sources, outermost first, with repeats removed.
fn error_chain(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        let msg = e.to_string();
        if !msg.is_empty() && out.last() != Some(&msg) {
            out.push(msg);
        }
        cur = e.source();
    }
    out
}

fn any_io_kind(err: &(dyn StdError + 'static), kind: io::ErrorKind) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            if io.kind() == kind {
                return true;
            }
        }
        cur = e.source();
    }
    false
}

fn any_rustls(err: &(dyn StdError + 'static)) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<rustls::Error>() {
            return true;
        }
        // io::Error's source() skips the error it wraps: look at it directly.
        if let Some(inner) = e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            if inner.is::<rustls::Error>() {
                return true;
            }
        }
        cur = e.source();
    }
    false
}

/// What a transport error says about itself, beyond its message chain.
#[derive(Default, Clone, Copy)]
struct TransportFlags {
    timeout: bool,
    dns: bool,
    connect: bool,
}

fn classify_transport(
    root: &(dyn StdError + 'static),
    flags: TransportFlags,
    chain: &[String],
    timeout: Duration,
    innermost: &str,
) -> (FailureClass, String) {
    let lower = chain.join(": ").to_ascii_lowercase();
    if flags.timeout || any_io_kind(root, io::ErrorKind::TimedOut) {
        return (
            FailureClass::Timeout,
            format!("no answer after {}", format_timeout(timeout)),
        );
    }
    if flags.dns
        || lower.contains("dns error")
        || lower.contains("failed to lookup address")
        || lower.contains("name or service not known")
        || lower.contains("no such host")
    {
        return (FailureClass::Dns, format!("DNS lookup failed: {innermost}"));
    }
    if any_io_kind(root, io::ErrorKind::ConnectionRefused) || lower.contains("connection refused") {
        return (FailureClass::Refused, "connection refused".to_string());
    }
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        return (
            FailureClass::Tls,
            format!("certificate verify failed: {innermost}"),
        );
    }
    if any_rustls(root)
        || lower.contains("tls")
        || lower.contains("handshake")
        || lower.contains("corrupt message")
    {
        return (FailureClass::Tls, format!("handshake failed: {innermost}"));
    }
    if flags.connect {
        return (FailureClass::Other, format!("connect failed: {innermost}"));
    }
    (FailureClass::Other, innermost.to_string())
}

/// `401 Unauthorized: <message>` from a Kubernetes `Status` body (the API server's own errors,
/// e.g. from its service proxy), when the body is one.
pub(crate) fn kube_status_line(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    if v.get("kind").and_then(|k| k.as_str()) != Some("Status") {
        return None;
    }
    let message = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
    let reason = v.get("reason").and_then(|m| m.as_str()).unwrap_or("");
    Some(match (reason.is_empty(), message.is_empty()) {
        (false, false) if message != reason => format!("{reason}: {message}"),
        (false, _) => reason.to_string(),
        (true, _) => message.to_string(),
    })
}

/// The first entry of Flink's `{"errors":[...]}`, on one line.
///
/// Flink sends plain messages (`Unable to load requested file /x.`), whole stack traces
/// (`org.apache.flink.runtime.rest.NotFoundException: Job abc not found\n\tat ...`) and wrapped
/// server-side exceptions (`<Exception on server side:\norg.apache...Exception: text\n\tat ...>`).
/// Keep the first meaningful line and drop the REST wrapper class names; a generic first entry
/// ("Internal server error.") is followed by the exception line of the next entry.
pub(crate) fn flink_error_line(body: &str) -> Option<String> {
    let entries = flink_errors(body)?;
    let first = entries.first()?;
    let head = exception_line(first);
    let generic = head.eq_ignore_ascii_case("internal server error.")
        || head.eq_ignore_ascii_case("internal server error");
    if generic {
        if let Some(next) = entries.get(1) {
            return Some(format!(
                "{}: {}",
                head.trim_end_matches('.'),
                exception_line(next)
            ));
        }
    }
    Some(head)
}

/// The innermost `Caused by:` of Flink's errors, when it says more than the first line
/// (`Could not execute application.` ← `java.io.FileNotFoundException: Cannot find ...`).
pub(crate) fn flink_root_cause(body: &str, head: &str) -> Option<String> {
    let entries = flink_errors(body)?;
    let cause = entries
        .iter()
        .flat_map(|e| e.lines())
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("Caused by: "))
        .next_back()?;
    let cause = strip_wrapper_classes(cause.trim_end_matches('>').trim());
    // The message part, without the class name, to compare with the head.
    let text = cause.split_once(": ").map_or(cause, |(_, m)| m);
    if text.is_empty() || head.contains(text) {
        None
    } else {
        Some(cause.to_string())
    }
}

/// The strings of Flink's `{"errors":[...]}`, if the body has that shape.
pub(crate) fn flink_errors(body: &str) -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<serde_json::Value>,
    }
    let parsed: Errors = serde_json::from_str(body).ok()?;
    let entries: Vec<String> = parsed
        .errors
        .iter()
        .filter_map(|v| match v {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            serde_json::Value::String(_) | serde_json::Value::Null => None,
            other => Some(other.to_string()),
        })
        .collect();
    if entries.is_empty() {
        None
    } else {
        Some(entries)
    }
}

/// The first non-empty line of an error entry, without REST wrapper class names.
fn exception_line(entry: &str) -> String {
    let body = entry
        .strip_prefix("<Exception on server side:")
        .unwrap_or(entry);
    let line = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .trim_end_matches('>')
        .trim();
    strip_wrapper_classes(line).to_string()
}

/// `org.apache.flink.runtime.rest.NotFoundException: Job x not found` → `Job x not found`.
/// Only wrappers that add nothing are stripped; a meaningful class (`java.io.IOException`) stays.
fn strip_wrapper_classes(mut line: &str) -> &str {
    const WRAPPERS: [&str; 5] = [
        "org.apache.flink.runtime.rest.handler.RestHandlerException",
        "org.apache.flink.runtime.rest.NotFoundException",
        "org.apache.flink.runtime.rest.messages.ConversionException",
        "java.util.concurrent.CompletionException",
        "org.apache.flink.util.FlinkException",
    ];
    loop {
        let before = line;
        for w in WRAPPERS {
            if let Some(rest) = line.strip_prefix(w).and_then(|r| r.strip_prefix(':')) {
                if !rest.trim().is_empty() {
                    line = rest.trim_start();
                }
            }
        }
        if line == before {
            return line;
        }
    }
}

fn status_reason(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not found",
        405 => "method not allowed",
        409 => "conflict",
        500 => "internal server error",
        502 => "bad gateway",
        503 => "service unavailable",
        504 => "gateway timeout",
        _ => "unexpected status",
    }
}

/// Squeezes text into one line of at most `max` characters.
pub(crate) fn one_line(s: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, part) in s
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push_str(" | ");
        }
        out.push_str(part);
        if out.chars().count() > max {
            break;
        }
    }
    if out.chars().count() > max {
        let cut: String = out.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// About 120 characters of the body around a (1-based) line/column.
fn excerpt_at(text: &str, line: usize, column: usize) -> String {
    let line_text = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let chars: Vec<char> = line_text.chars().collect();
    let at = column.saturating_sub(1).min(chars.len());
    let from = at.saturating_sub(80);
    let to = (at + 40).min(chars.len());
    let snippet: String = chars[from..to].iter().collect();
    if snippet.is_empty() {
        let head: String = text.chars().take(120).collect();
        one_line(&head, 120)
    } else {
        one_line(&snippet, 140)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flink_error_lines() {
        assert_eq!(
            flink_error_line(r#"{"errors":["Job 0123 not found"]}"#).as_deref(),
            Some("Job 0123 not found")
        );
        // As Flink 1.20.5 / 2.3.0 send it for an unknown job (trimmed).
        let not_found = "{\"errors\":[\"org.apache.flink.runtime.rest.NotFoundException: Job 00000000000000000000000000000000 not found\\n\\tat org.apache.flink.runtime.rest.handler.job.AbstractExecutionGraphHandler.lambda$handleRequest$1(AbstractExecutionGraphHandler.java:99)\\nCaused by: org.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (00000000000000000000000000000000)\\n\"]}";
        assert_eq!(
            flink_error_line(not_found).as_deref(),
            Some("Job 00000000000000000000000000000000 not found")
        );
        let server = "{\"errors\":[\"Internal server error.\",\"<Exception on server side:\\njava.util.concurrent.CompletionException: java.io.IOException: disk full\\n\\tat Foo.bar(Foo.java:1)\\n\\nEnd of exception on server side>\"]}";
        assert_eq!(
            flink_error_line(server).as_deref(),
            Some("Internal server error: java.io.IOException: disk full")
        );
        assert_eq!(
            flink_error_line(r#"{"errors":["Unable to load requested file /nope."]}"#).as_deref(),
            Some("Unable to load requested file /nope.")
        );
        assert_eq!(flink_error_line("not json"), None);
        assert_eq!(flink_error_line(r#"{"errors":[]}"#), None);
    }

    #[test]
    fn root_cause_is_appended() {
        // Shortened from Flink 1.20.5's answer to a run with a missing savepoint.
        let body = "{\"errors\":[\"org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\\n\\tat A.b(A.java:1)\\nCaused by: java.util.concurrent.CompletionException: org.apache.flink.util.FlinkRuntimeException: Could not execute application.\\n\\t... 1 more\\nCaused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory 'file:/nonexistent/sp' on file system 'file'.\\n\\t... 5 more\\n\"]}";
        let e = FlinkError::from_status("POST", "http://h/jars/x.jar/run", 400, body);
        assert_eq!(e.class, FailureClass::Http { status: 400 });
        assert_eq!(
            e.message,
            "POST http://h/jars/x.jar/run: Could not execute application. (caused by java.io.FileNotFoundException: Cannot find checkpoint or savepoint file/directory 'file:/nonexistent/sp' on file system 'file'.)"
        );
    }

    #[test]
    fn one_line_squeezes() {
        assert_eq!(one_line("a\n  b\r\n\nc", 100), "a | b | c");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }

    #[test]
    fn timeouts_format() {
        assert_eq!(format_timeout(Duration::from_secs(5)), "5s");
        assert_eq!(format_timeout(Duration::from_millis(300)), "300ms");
        assert_eq!(format_timeout(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn status_classes() {
        let e = FlinkError::from_status("GET", "http://x/jobs", 403, "");
        assert_eq!(e.class, FailureClass::Unauthorized { status: 403 });
        assert_eq!(
            e.to_string(),
            "HTTP 403 unauthorized: GET http://x/jobs: forbidden"
        );
        let e = FlinkError::from_status("GET", "http://x/jobs", 502, "<html>proxy</html>");
        assert_eq!(e.class, FailureClass::ServerError { status: 502 });
        assert!(e.message.ends_with("bad gateway"), "{}", e.message);
        assert!(e.detail.contains("<html>proxy</html>"));
    }
}
