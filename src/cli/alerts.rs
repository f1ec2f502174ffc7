//! `flinkdeck alerts [--open] [--json]`: incidents with their rule, subject, opened/closed and
//! deliveries; `alerts test CHANNEL`: a test message (exit 0 only when the channel accepted
//! it); `alerts mute ID [--for 1h]` / `alerts ack ID`: quiet an incident's reminders (audited).

use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;

use super::setup::Context;
use super::{print_json, table, Exit};
use crate::domain::alerts::IncidentRecord;
use crate::domain::time::{format_timestamp, now_ms};
use crate::domain::ActionOutcome;
use crate::service::alerts::{deliver_all, http_client, Message, Retry};
use crate::service::ops::{record_audit, OpsContext};
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
        /// How long (e.g. 30m, 2h).
        #[arg(long = "for", value_name = "DURATION", default_value = "1h")]
        duration: String,
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
            let state = match (i.closed_at, i.acknowledged_by.as_deref(), i.muted_until) {
                (Some(_), _, _) => "closed".to_string(),
                (None, Some(by), _) => format!("acked by {by}"),
                (None, None, Some(m)) if m > now => {
                    format!("muted until {}", format_timestamp(m))
                }
                _ => "OPEN".to_string(),
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
            let d = match humantime::parse_duration(duration.trim()) {
                Ok(d) if !d.is_zero() => d,
                _ => {
                    eprintln!(
                        "flinkdeck: --for: invalid duration {duration:?} (e.g. \"30m\", \"2h\")"
                    );
                    return Exit::Usage;
                }
            };
            quiet(ops, id, Quiet::Mute(d)).await
        }
        AlertsCommand::Ack { id } => quiet(ops, id, Quiet::Ack).await,
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

enum Quiet {
    Mute(Duration),
    Ack,
}

async fn quiet(ops: &OpsContext, id: i64, how: Quiet) -> Exit {
    if ops.readonly {
        eprintln!(
            "flinkdeck: refused: read-only mode: muting or acknowledging incidents is disabled"
        );
        return Exit::Refused;
    }
    let user = ops.actor.user.clone();
    let now = now_ms();
    let (action, until) = match how {
        Quiet::Mute(d) => (
            "mute",
            Some(now + i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)),
        ),
        Quiet::Ack => ("acknowledge", None),
    };
    let done = ops
        .store
        .call(move |s: &mut Store| match until {
            Some(u) => s.mute_incident(id, Some(u)),
            None => s.acknowledge_incident(id, &user, now),
        })
        .await;
    let outcome = match done {
        Ok(true) => ActionOutcome::Done {
            message: match until {
                Some(u) => format!("incident #{id} muted until {}", format_timestamp(u)),
                None => format!("incident #{id} acknowledged"),
            },
            job_id: None,
            savepoint: None,
        },
        Ok(false) => ActionOutcome::Invalid {
            reason: format!("there is no open incident #{id}"),
        },
        Err(e) => ActionOutcome::Failed {
            reason: e.to_string(),
        },
    };
    let params = serde_json::json!({ "incident": id, "until": until }).to_string();
    record_audit(ops, action, None, None, params, &outcome).await;
    match outcome {
        ActionOutcome::Done { message, .. } => {
            println!("{message}");
            Exit::Ok
        }
        ActionOutcome::Invalid { reason } => {
            eprintln!("flinkdeck: {reason}");
            Exit::Usage
        }
        other => {
            eprintln!("flinkdeck: {other:?}");
            Exit::Failed
        }
    }
}
