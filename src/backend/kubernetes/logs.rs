//! Pod logs through the API server (`/api/v1/namespaces/<ns>/pods/<pod>/log`): a bounded tail of
//! a container's current or previous instance, and following it as it grows.
//!
//! Kubernetes' `limitBytes` counts from the start of what is sent, so it cannot give "the last N
//! bytes": the tail asks for `tailLines` (estimated from the byte budget) and keeps only the last
//! `max_bytes` of the answer in memory.

use std::time::Duration;

use futures_util::io::{AsyncBufReadExt, AsyncReadExt};
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};

use super::connect::Connected;
use crate::domain::LogTail;
use crate::flink::{FlinkError, TailBuffer};

/// One container of one pod.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Container<'a> {
    pub ns: &'a str,
    pub pod: &'a str,
    pub container: &'a str,
}

/// Lines asked for per byte of budget (Flink's log lines are rarely shorter than 64 bytes).
const BYTES_PER_LINE: usize = 64;

fn shown(api_url: &url::Url, ns: &str, pod: &str, container: &str, previous: bool) -> String {
    format!(
        "{}api/v1/namespaces/{ns}/pods/{pod}/log?container={container}{}",
        api_url.as_str(),
        if previous { "&previous=true" } else { "" }
    )
}

/// The last `max_bytes` of one container's log (`previous`: of the instance before the last
/// restart). The timeout applies to the answer's start and to every pause between chunks.
pub(crate) async fn tail(
    conn: &Connected,
    c: Container<'_>,
    previous: bool,
    max_bytes: usize,
    timeout: Duration,
) -> Result<LogTail, FlinkError> {
    let Container { ns, pod, container } = c;
    let client = &conn.client;
    let url = shown(&conn.api_url, ns, pod, container, previous);
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let lines = (max_bytes / BYTES_PER_LINE).max(100);
    let params = LogParams {
        container: Some(container.to_string()),
        previous,
        tail_lines: Some(lines as i64),
        ..LogParams::default()
    };
    let mut reader = match tokio::time::timeout(timeout, api.log_stream(pod, &params)).await {
        Err(_) => return Err(FlinkError::timeout("GET", &url, timeout)),
        Ok(Err(e)) => return Err(FlinkError::from_kube_request("GET", &url, &e, timeout)),
        Ok(Ok(r)) => r,
    };
    let mut buf = TailBuffer::new(max_bytes);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut newlines = 0usize;
    loop {
        match tokio::time::timeout(timeout, reader.read(&mut chunk)).await {
            Err(_) => return Err(FlinkError::timeout("GET", &url, timeout)),
            Ok(Err(e)) => {
                return Err(FlinkError::local(&url, format!("GET {url}: {e}")));
            }
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                newlines += chunk[..n].iter().filter(|b| **b == b'\n').count();
                buf.push(&chunk[..n]);
            }
        }
    }
    let mut t = buf.finish();
    // As many lines as asked for: older ones were not sent.
    t.truncated |= newlines >= lines;
    Ok(t)
}

/// Follows one container's log after `after` (the tail already shown): a stream of the text
/// appended since. The stream starts with the last few lines (`tailLines`) and skips those that
/// `after` already ends with, so nothing is lost or repeated between the tail and the follow.
pub(crate) fn follow(
    client: kube::Client,
    api_url: url::Url,
    ns: String,
    pod: String,
    container: String,
    after: &LogTail,
) -> BoxStream<'static, Result<String, FlinkError>> {
    let known: Vec<String> = after
        .text
        .lines()
        .rev()
        .take(10)
        .map(str::to_string)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let overlap = known.len();
    let url = shown(&api_url, &ns, &pod, &container, false);
    let start = async move {
        let api: Api<Pod> = Api::namespaced(client, &ns);
        let params = LogParams {
            container: Some(container),
            follow: true,
            tail_lines: Some(overlap as i64),
            ..LogParams::default()
        };
        match api.log_stream(&pod, &params).await {
            Ok(r) => Ok(r.lines()),
            Err(e) => Err(FlinkError::from_kube_request(
                "GET",
                &url,
                &e,
                Duration::from_secs(30),
            )),
        }
    };
    let stream = futures_util::stream::once(start).flat_map(move |r| match r {
        Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
        Ok(lines) => skip_known(lines.map(|l| l.map_err(|e| e.to_string())), known.clone()).boxed(),
    });
    stream.boxed()
}

/// Drops the first lines of `lines` that repeat the end of `known`, then yields each line with
/// its newline.
fn skip_known<S>(
    lines: S,
    known: Vec<String>,
) -> impl futures_util::Stream<Item = Result<String, FlinkError>>
where
    S: futures_util::Stream<Item = Result<String, String>> + Send + 'static,
{
    let want = known.len();
    let mut head: Vec<String> = Vec::new();
    let mut decided = want == 0;
    lines
        .map(move |l| -> Vec<Result<String, FlinkError>> {
            let l = match l {
                Ok(l) => l,
                Err(e) => {
                    return vec![Err(FlinkError::local(
                        "pod log",
                        format!("log stream: {e}"),
                    ))]
                }
            };
            if decided {
                return vec![Ok(format!("{l}\n"))];
            }
            head.push(l);
            if head.len() < want {
                return Vec::new();
            }
            decided = true;
            let skip = overlap_len(&known, &head);
            head.drain(..)
                .skip(skip)
                .map(|l| Ok(format!("{l}\n")))
                .collect()
        })
        .flat_map(futures_util::stream::iter)
}

/// The longest prefix of `head` that is a suffix of `known`.
fn overlap_len(known: &[String], head: &[String]) -> usize {
    (0..=head.len().min(known.len()))
        .rev()
        .find(|&n| known[known.len() - n..] == head[..n])
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn overlap_between_tail_and_follow() {
        // Nothing new between the tail and the follow: all of head is known.
        assert_eq!(overlap_len(&v(&["a", "b", "c"]), &v(&["a", "b", "c"])), 3);
        // Two lines were appended in between: the follow's head starts two lines later.
        assert_eq!(overlap_len(&v(&["a", "b", "c"]), &v(&["c", "d", "e"])), 1);
        assert_eq!(overlap_len(&v(&["a", "b", "c"]), &v(&["x", "y", "z"])), 0);
    }

    #[tokio::test]
    async fn follow_skips_what_the_tail_showed() {
        let lines = futures_util::stream::iter(
            ["b", "c", "d", "e"].map(|s| Ok::<_, String>(s.to_string())),
        );
        let out: Vec<String> = skip_known(lines, v(&["a", "b", "c"]))
            .map(|r| r.expect("line"))
            .collect()
            .await;
        assert_eq!(out, ["d\n", "e\n"]);
    }
}
