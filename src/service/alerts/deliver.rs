//! Delivery with retries: each channel gets its own task, so one channel that is down never
//! delays the others; a transient failure (5xx, 429, timeout, refused connection) is retried
//! with doubling backoff up to [`MAX_ATTEMPTS`]; every attempt is recorded in the store.

use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use super::{send, Message};
use crate::config::ChannelConfig;
use crate::domain::time::now_ms;
use crate::store::{Store, StoreHandle};

/// Attempts per message and channel.
pub const MAX_ATTEMPTS: u32 = 8;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(120);

/// How a message went to one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub channel: String,
    pub ok: bool,
    pub attempts: u32,
    /// The service's answer, or the last error.
    pub result: String,
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Attempts per channel (at least 1).
    pub attempts: u32,
    /// The wait before the first retry; it doubles (at most 2 minutes).
    pub backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: MAX_ATTEMPTS,
            backoff: Duration::from_secs(2),
        }
    }
}

/// Sends `msg` to every channel in `channels` at once, each with its own retries; waits for all
/// of them.
pub async fn deliver_all(
    http: &reqwest::Client,
    store: &StoreHandle,
    channels: Vec<ChannelConfig>,
    msg: Arc<Message>,
    retry: Retry,
) -> Vec<Delivered> {
    let mut tasks = Vec::new();
    for ch in channels {
        let (http, store, msg) = (http.clone(), store.clone(), msg.clone());
        tasks.push(tokio::spawn(async move {
            deliver_one(&http, &store, &ch, &msg, retry).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        match t.await {
            Ok(d) => out.push(d),
            Err(e) => warn!(error = %e, "a delivery task ended abnormally"),
        }
    }
    out
}

async fn deliver_one(
    http: &reqwest::Client,
    store: &StoreHandle,
    ch: &ChannelConfig,
    msg: &Message,
    retry: Retry,
) -> Delivered {
    let mut wait = retry.backoff;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = send(http, ch, msg).await;
        let (ok, text, transient) = match &result {
            Ok(answer) => (true, answer.clone(), false),
            Err(e) => (false, e.message.clone(), e.retry),
        };
        let (incident, channel, event, t) = (
            msg.incident,
            ch.name.clone(),
            msg.event.as_str(),
            text.clone(),
        );
        if let Err(e) = store
            .call(move |s: &mut Store| {
                s.record_delivery(incident, &channel, event, attempt, now_ms(), ok, &t)
            })
            .await
        {
            warn!(channel = %ch.name, error = %e, "cannot record a delivery");
        }
        if ok {
            info!(channel = %ch.name, event = msg.event.as_str(), subject = %msg.subject, attempt, "alert delivered");
        } else {
            warn!(channel = %ch.name, event = msg.event.as_str(), subject = %msg.subject, attempt, error = %text, "alert delivery failed");
        }
        if ok || !transient || attempt >= retry.attempts.max(1) {
            return Delivered {
                channel: ch.name.clone(),
                ok,
                attempts: attempt,
                result: text,
            };
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_BACKOFF);
    }
}
