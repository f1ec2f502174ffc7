//! The console's side of alert incidents: the header badge's counter (one cheap store read per
//! refresh, or at once after a mute or acknowledgement), and the answers to the Alerts view's
//! requests (the incident list, mute / acknowledge through the shared operation).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, Notify};
use tracing::warn;

use super::ops::{quiet_incident, OpsContext};
use crate::domain::time::now_ms;
use crate::domain::{ActionOutcome, WorkerReply, WorkerRequest};
use crate::store::Store;

/// Starts the badge counter; the returned handle makes it count again at once.
pub fn spawn_badge_counter(
    ops: OpsContext,
    refresh: Duration,
    replies: mpsc::Sender<WorkerReply>,
) -> Arc<Notify> {
    let wake = Arc::new(Notify::new());
    tokio::spawn(run_badge_counter(ops, refresh, wake.clone(), replies));
    wake
}

/// Counts the open incidents every refresh (or when woken) and reports the counts when they
/// changed.
async fn run_badge_counter(
    ops: OpsContext,
    refresh: Duration,
    wake: Arc<Notify>,
    replies: mpsc::Sender<WorkerReply>,
) {
    let mut last: Option<(u32, u32)> = None;
    let mut warned = false;
    loop {
        let now = now_ms();
        match ops
            .store
            .call(move |s: &mut Store| s.open_incident_counts(now))
            .await
        {
            Ok(counts) if Some(counts) != last => {
                last = Some(counts);
                warned = false;
                let (open, unquiet) = counts;
                if replies
                    .send(WorkerReply::OpenIncidents { open, unquiet })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Ok(_) => warned = false,
            Err(e) => {
                if !warned {
                    warn!(error = %e, "cannot count the open incidents");
                    warned = true;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(refresh) => {}
            _ = wake.notified() => {}
        }
    }
}

const NO_DATABASE: &str = "the local database could not be opened";

/// Answers `LoadIncidents` and `QuietIncident` (`None` for any other request). After a mute or
/// acknowledgement, `recount` wakes the badge counter.
pub async fn answer(
    ops: Option<&OpsContext>,
    req: WorkerRequest,
    recount: Option<&Notify>,
) -> Option<WorkerReply> {
    Some(match req {
        WorkerRequest::LoadIncidents { request, limit } => {
            let result = match ops {
                Some(ops) => ops
                    .store
                    .call(move |s: &mut Store| s.incidents(false, limit))
                    .await
                    .map_err(|e| format!("cannot read the incidents: {e}")),
                None => Err(NO_DATABASE.to_string()),
            };
            WorkerReply::IncidentsLoaded { request, result }
        }
        WorkerRequest::QuietIncident { request, id, how } => {
            let outcome = match ops {
                Some(ops) => quiet_incident(ops, id, how).await,
                None => ActionOutcome::Failed {
                    reason: NO_DATABASE.to_string(),
                },
            };
            if let Some(n) = recount {
                n.notify_one();
            }
            WorkerReply::IncidentQuieted {
                request,
                id,
                outcome,
            }
        }
        _ => return None,
    })
}
