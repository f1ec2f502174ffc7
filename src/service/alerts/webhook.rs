//! The HTTP channels: a plain webhook (the message as JSON), Slack incoming webhooks
//! (`{"text"}`, answer `ok`), DingTalk and WeCom group bots (`{"msgtype":"text"}`, answer
//! `errcode` 0; DingTalk signed on the URL), Lark custom bots (`{"msg_type":"text"}`, answer
//! `code` 0; signed in the body). The URL is a secret: it never appears in errors.

use serde_json::{json, Value};

use super::sign::{dingtalk_sign, lark_sign};
use super::{DeliveryError, Message};
use crate::config::secret::mask;
use crate::config::{ChannelConfig, ChannelKind};
use crate::domain::time::now_ms;

pub(super) async fn send(
    http: &reqwest::Client,
    channel: &ChannelConfig,
    msg: &Message,
) -> Result<String, DeliveryError> {
    let name = &channel.name;
    let url = channel
        .url
        .as_ref()
        .ok_or_else(|| DeliveryError::permanent(format!("channel {name} has no URL")))?
        .resolve_for(&format!("alerts.channels[{name:?}].url"))
        .map_err(|e| DeliveryError::permanent(e.to_string()))?;
    let secret = match &channel.secret {
        None => None,
        Some(s) => Some(
            s.resolve_for(&format!("alerts.channels[{name:?}].secret"))
                .map_err(|e| DeliveryError::permanent(e.to_string()))?,
        ),
    };
    let mut url = url::Url::parse(url.expose().trim()).map_err(|e| {
        DeliveryError::permanent(format!("channel {name}: the webhook URL is not a URL: {e}"))
    })?;
    let text = msg.text();
    let now = now_ms();
    let body: Value = match channel.kind {
        ChannelKind::Webhook => msg.json(),
        ChannelKind::Slack => json!({ "text": text }),
        ChannelKind::Wecom => json!({ "msgtype": "text", "text": { "content": text } }),
        ChannelKind::Dingtalk => {
            if let Some(s) = &secret {
                url.query_pairs_mut()
                    .append_pair("timestamp", &now.to_string())
                    .append_pair("sign", &dingtalk_sign(s.expose(), now));
            }
            json!({ "msgtype": "text", "text": { "content": text } })
        }
        ChannelKind::Lark => {
            let mut b = json!({ "msg_type": "text", "content": { "text": text } });
            if let (Some(s), Some(o)) = (&secret, b.as_object_mut()) {
                let ts = now / 1000;
                o.insert("timestamp".into(), ts.to_string().into());
                o.insert("sign".into(), lark_sign(s.expose(), ts).into());
            }
            b
        }
        ChannelKind::Email => {
            return Err(DeliveryError::permanent(format!(
                "channel {name} is an email channel"
            )))
        }
    };
    let resp = http.post(url).json(&body).send().await.map_err(|e| {
        let what = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            "cannot connect".to_string()
        } else {
            "request failed".to_string()
        };
        // reqwest's error text holds the URL: leave it out.
        DeliveryError::transient(format!("channel {name}: {what}"))
    })?;
    let status = resp.status();
    let answer = resp.text().await.unwrap_or_default();
    let answer = mask(answer.trim()).chars().take(300).collect::<String>();
    if status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408 {
        return Err(DeliveryError::transient(format!(
            "channel {name}: HTTP {status}: {answer}"
        )));
    }
    if !status.is_success() {
        return Err(DeliveryError::permanent(format!(
            "channel {name}: HTTP {status}: {answer}"
        )));
    }
    accepted(channel.kind, &answer)
        .map_err(|why| DeliveryError::permanent(format!("channel {name}: refused: {why}")))?;
    Ok(format!("HTTP {}: {answer}", status.as_u16()))
}

/// Whether a 2xx answer means the service took the message (`Err`: what it said instead).
fn accepted(kind: ChannelKind, answer: &str) -> Result<(), String> {
    let parsed: Option<Value> = serde_json::from_str(answer).ok();
    let code = |keys: &[&str]| {
        parsed
            .as_ref()
            .and_then(|v| keys.iter().find_map(|k| v.get(*k).and_then(Value::as_i64)))
    };
    match kind {
        ChannelKind::Slack => {
            if answer == "ok" {
                Ok(())
            } else {
                Err(answer.to_string())
            }
        }
        ChannelKind::Dingtalk | ChannelKind::Wecom => match code(&["errcode"]) {
            Some(0) => Ok(()),
            _ => Err(answer.to_string()),
        },
        ChannelKind::Lark => match code(&["code", "StatusCode"]) {
            Some(0) => Ok(()),
            _ => Err(answer.to_string()),
        },
        ChannelKind::Webhook | ChannelKind::Email => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_judged_per_service() {
        assert!(accepted(ChannelKind::Slack, "ok").is_ok());
        assert!(accepted(ChannelKind::Slack, "invalid_payload").is_err());
        assert!(accepted(ChannelKind::Dingtalk, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert_eq!(
            accepted(
                ChannelKind::Dingtalk,
                r#"{"errcode":310000,"errmsg":"sign not match"}"#
            ),
            Err(r#"{"errcode":310000,"errmsg":"sign not match"}"#.to_string())
        );
        assert!(accepted(ChannelKind::Wecom, r#"{"errcode":0,"errmsg":"ok"}"#).is_ok());
        assert!(accepted(ChannelKind::Lark, r#"{"code":0,"msg":"success","data":{}}"#).is_ok());
        assert!(accepted(
            ChannelKind::Lark,
            r#"{"StatusCode":0,"StatusMessage":"success"}"#
        )
        .is_ok());
        assert!(accepted(
            ChannelKind::Lark,
            r#"{"code":19021,"msg":"sign match fail"}"#
        )
        .is_err());
        assert!(accepted(ChannelKind::Webhook, "").is_ok());
    }
}
