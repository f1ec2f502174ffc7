//! `kill` of a whole cluster through its platform: a YARN application (typically a session
//! cluster) is asked to go to KILLED (`PUT /ws/v1/cluster/apps/<id>/state {"state":"KILLED"}`),
//! repeating while the ResourceManager answers 202, until it answers 200. Read-only mode and the
//! audit trail are handled by `run_action`, like every action.

use std::time::Duration;

use super::{OpsContext, Progress};
use crate::domain::{ActionOutcome, KillAnswer};

/// How long to wait between two PUTs while YARN answers 202.
const KILL_POLL: Duration = Duration::from_millis(500);
/// How many PUTs before giving up (YARN kills an application within seconds).
const KILL_TRIES: u32 = 120;

pub(super) async fn kill(ctx: &OpsContext, cluster: &str, progress: Progress<'_>) -> ActionOutcome {
    let Some(handle) = ctx.clusters.get(cluster) else {
        return ActionOutcome::Failed {
            reason: format!("unknown cluster {cluster:?}"),
        };
    };
    if handle.backend.kill().is_none() {
        return ActionOutcome::Refused {
            reason: format!(
                "cluster {cluster} ({}) cannot be killed from here: only YARN applications can",
                handle.kind()
            ),
        };
    }
    let mut accepted = false;
    for _ in 0..KILL_TRIES {
        let Some(ask) = handle.backend.kill() else {
            break;
        };
        match ask.await {
            Ok(KillAnswer::Accepted) => {
                if !accepted {
                    progress(format!("YARN accepted the kill of {cluster}; waiting"));
                    accepted = true;
                }
                tokio::time::sleep(KILL_POLL).await;
            }
            Ok(KillAnswer::Done { state }) => {
                let message = if state == "KILLED" {
                    format!("killed YARN application {cluster}: state KILLED")
                } else {
                    format!("YARN application {cluster} is {state} (it had ended already)")
                };
                return ActionOutcome::Done {
                    message,
                    job_id: None,
                    savepoint: None,
                };
            }
            Err(e) => {
                return ActionOutcome::Failed {
                    reason: format!("kill of {cluster}: {e}"),
                }
            }
        }
    }
    ActionOutcome::Failed {
        reason: format!(
            "kill of {cluster}: YARN still answers 202 (in progress) after {KILL_TRIES} tries"
        ),
    }
}
