//! Alert delivery: one message per incident event (opened, reminder, resolved, test), sent to
//! each of a rule's channels — webhook, Slack, DingTalk, WeCom, Lark (HTTP JSON) and email
//! (SMTP through lettre). Secrets are read when a message is sent and masked in messages.

mod deliver;
mod email;
mod message;
mod sign;
mod webhook;

pub use deliver::{deliver_all, Delivered, Retry, MAX_ATTEMPTS};
pub use message::{Event, Message};
pub use sign::{dingtalk_sign, lark_sign};

use std::time::Duration;

use crate::config::{ChannelConfig, ChannelKind};

/// Why a delivery failed; `retry` says whether trying again may help (a 5xx, a timeout, a
/// refused connection) or not (a 4xx, a rejected signature, a missing secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DeliveryError {
    pub message: String,
    pub retry: bool,
}

impl DeliveryError {
    pub(crate) fn permanent(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            message: message.into(),
            retry: false,
        }
    }

    pub(crate) fn transient(message: impl Into<String>) -> DeliveryError {
        DeliveryError {
            message: message.into(),
            retry: true,
        }
    }
}

/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// An HTTP client for webhooks (system roots, no redirects to other hosts' secrets).
pub fn http_client() -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("flinkdeck/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot build the HTTP client for alerts: {e}"))
}

/// Sends `msg` to `channel` once; `Ok` carries what the service answered (for the record).
pub async fn send(
    http: &reqwest::Client,
    channel: &ChannelConfig,
    msg: &Message,
) -> Result<String, DeliveryError> {
    match channel.kind {
        ChannelKind::Email => email::send(channel, msg).await,
        _ => webhook::send(http, channel, msg).await,
    }
}
