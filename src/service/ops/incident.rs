//! Muting or acknowledging an open incident: one implementation for `flinkdeck alerts
//! mute|ack` and the console's Alerts view. Refused in read-only mode; every attempt, refused or
//! not, goes into the audit trail (action `mute` / `acknowledge`).

use super::{audit, OpsContext};
use crate::domain::incident::Quiet;
use crate::domain::time::{format_timestamp, now_ms};
use crate::domain::ActionOutcome;
use crate::store::Store;

/// Mutes (until now + the duration) or acknowledges incident `id`, and audits it.
pub async fn quiet_incident(ops: &OpsContext, id: i64, how: Quiet) -> ActionOutcome {
    let now = now_ms();
    let until = match how {
        Quiet::Mute(d) => {
            Some(now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)))
        }
        Quiet::Acknowledge => None,
    };
    let outcome = if ops.readonly {
        ActionOutcome::Refused {
            reason: format!(
                "read-only mode: {} is disabled (--readonly or [ui] readonly = true)",
                how.action()
            ),
        }
    } else {
        let user = ops.actor.user.clone();
        let done = ops
            .store
            .call(move |s: &mut Store| match until {
                Some(u) => s.mute_incident(id, Some(u)),
                None => s.acknowledge_incident(id, &user, now),
            })
            .await;
        match done {
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
                reason: format!("cannot {} incident #{id}: {e}", how.action()),
            },
        }
    };
    let params = serde_json::json!({ "incident": id, "until": until }).to_string();
    audit::record(ops, how.action(), None, None, params, &outcome).await;
    outcome
}
