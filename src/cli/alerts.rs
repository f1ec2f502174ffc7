//! `flinkdeck alerts [--open] [--json]`: incidents with their rule, subject, opened/closed and
//! deliveries; `alerts test CHANNEL`: a test message (exit 0 only when the channel accepted
//! it); `alerts mute ID [--for 1h]` / `alerts ack ID`: quiet an incident's reminders (audited).

use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;

use super::setup::Context;
use super::{print_json, table, Exit};
use crate::domain::alerts::IncidentRecord;
use crate::domain::incident::{IncidentStatus, Quiet, DEFAULT_MUTE};
use crate::domain::time::{format_timestamp, now_ms};
use crate::domain::ActionOutcome;
use crate::service::alerts::{deliver_all, http_client, Message, Retry};
use crate::service::ops::{quiet_incident, OpsContext};
use crate::store::Store;

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Send a test message to a channel; exit 0 only when the channel accepted it.
    Test {
        channel: String,
        #[arg(long)]
        json: bool,
    },
    /// Mute an open incident's reminders (the recovery notice is still sent).
    Mute {
        id: i64,
        /// How long (e.g. 30m, 2h; default 1h, as `m` in the console).
        #[arg(long = "for", value_name = "DURATION")]
        duration: Option<String>,
    },
    /// Acknowledge an open incident: no more reminders.
    Ack { id: i64 },
}

/// How many incidents `alerts` lists.
const LIST_LIMIT: usize = 200;

pub async fn list(ops: &OpsContext, open: bool, json: bool) -> Exit {
    let incidents: Vec<IncidentRecord> = match ops
        .store
        .call(move |s: &mut Store| s.incidents(open, LIST_LIMIT))
        .await
    {
        Ok(i) => i,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Failed;
        }
    };
    if json {
        return print_json(&incidents);
    }
    let now = now_ms();
    let rows: Vec<Vec<String>> = incidents
        .iter()
        .map(|i| {
            let ok = i.deliveries.iter().filter(|d| d.ok).count();
            let state = match IncidentStatus::of(i, now) {
                IncidentStatus::Closed { .. } => "closed".to_string(),
                IncidentStatus::Acked { by } => format!("acked by {by}"),
                IncidentStatus::Muted { until } => {
                    format!("muted until {}", format_timestamp(until))
                }
                IncidentStatus::Open => "OPEN".to_string(),
            };
            vec![
                format!("#{}", i.id),
                state,
                i.rule.clone(),
                i.subject.clone(),
                format_timestamp(i.opened_at),
                i.closed_at
                    .map(format_timestamp)
                    .unwrap_or_else(|| "-".into()),
                format!("{ok}/{}", i.deliveries.len()),
                i.reason.clone(),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &["ID", "STATE", "RULE", "SUBJECT", "OPENED", "CLOSED", "SENT", "REASON"],
            &rows
        )
    );
    Exit::Ok
}

pub async fn run(ctx: &Context, ops: &OpsContext, command: AlertsCommand) -> Exit {
    match command {
        AlertsCommand::Test { channel, json } => test(ctx, ops, &channel, json).await,
        AlertsCommand::Mute { id, duration } => {
            let parsed = match &duration {
                None => Ok(DEFAULT_MUTE),
                Some(text) => humantime::parse_duration(text.trim()),
            };
            let d = match parsed {
                Ok(d) if !d.is_zero() => d,
                _ => {
                    let duration = duration.unwrap_or_default();
                    eprintln!(
                        "flinkdeck: --for: invalid duration {duration:?} (e.g. \"30m\", \"2h\")"
                    );
                    return Exit::Usage;
                }
            };
            quiet(ops, id, Quiet::Mute(d)).await
        }
        AlertsCommand::Ack { id } => quiet(ops, id, Quiet::Acknowledge).await,
    }
}

async fn test(ctx: &Context, ops: &OpsContext, channel: &str, json: bool) -> Exit {
    let Some(ch) = ctx.config.alerts.channel(channel).cloned() else {
        let known: Vec<&str> = ctx
            .config
            .alerts
            .channels
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        eprintln!(
            "flinkdeck: no channel {channel:?} in [[alerts.channels]] (defined: {})",
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        );
        return Exit::Usage;
    };
    let http = match http_client() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Failed;
        }
    };
    let msg = Arc::new(Message::test(channel, now_ms()));
    let retry = Retry {
        attempts: 1,
        backoff: Duration::ZERO,
    };
    let done = deliver_all(&http, &ops.store, vec![ch], msg, retry).await;
    let Some(d) = done.into_iter().next() else {
        eprintln!("flinkdeck: the delivery task ended abnormally");
        return Exit::Failed;
    };
    if json {
        let e = print_json(&serde_json::json!({
            "channel": d.channel, "ok": d.ok, "result": d.result,
        }));
        if e != Exit::Ok {
            return e;
        }
    } else if d.ok {
        println!(
            "channel {} accepted the test message: {}",
            d.channel, d.result
        );
    }
    if d.ok {
        Exit::Ok
    } else {
        eprintln!("flinkdeck: {}", d.result);
        Exit::Failed
    }
}

async fn quiet(ops: &OpsContext, id: i64, how: Quiet) -> Exit {
    match quiet_incident(ops, id, how).await {
        ActionOutcome::Done { message, .. } => {
            println!("{message}");
            Exit::Ok
        }
        ActionOutcome::Refused { reason } => {
            eprintln!("flinkdeck: refused: {reason}");
            Exit::Refused
        }
        ActionOutcome::Invalid { reason } => {
            eprintln!("flinkdeck: {reason}");
            Exit::Usage
        }
        ActionOutcome::Failed { reason } => {
            eprintln!("flinkdeck: {reason}");
            Exit::Failed
        }
    }
}
