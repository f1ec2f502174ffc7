//! Who acts (OS user, SSH origin) and the audit record of every action.

use serde::Serialize;

use super::OpsContext;
use crate::domain::time::now_ms;
use crate::domain::{ActionOutcome, AuditEntry};
use crate::store::Store;

/// The person behind an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user: String,
    /// `ip:port` from `SSH_CLIENT` / `SSH_CONNECTION`, when present.
    pub ssh_origin: Option<String>,
}

impl Actor {
    /// From the environment: `USER`/`LOGNAME`, and the SSH variables.
    pub fn from_env() -> Actor {
        let user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "unknown".to_string());
        let ssh = std::env::var("SSH_CLIENT")
            .ok()
            .or_else(|| std::env::var("SSH_CONNECTION").ok())
            .and_then(|v| ssh_origin(&v));
        Actor {
            user,
            ssh_origin: ssh,
        }
    }
}

/// `"10.1.2.3 51234 22"` → `10.1.2.3:51234`.
fn ssh_origin(v: &str) -> Option<String> {
    let mut parts = v.split_whitespace();
    let ip = parts.next()?;
    Some(match parts.next() {
        Some(port) => format!("{ip}:{port}"),
        None => ip.to_string(),
    })
}

/// Writes one audit line; a failure to write is logged, never hides the action's outcome.
pub async fn record(
    ctx: &OpsContext,
    action: &str,
    app: Option<String>,
    cluster: Option<String>,
    params: String,
    outcome: &ActionOutcome,
) {
    let (result, ok) = match outcome {
        ActionOutcome::Done { message, .. } => (message.clone(), true),
        ActionOutcome::Refused { reason } => (format!("refused: {reason}"), false),
        ActionOutcome::Failed { reason } => (format!("failed: {reason}"), false),
        ActionOutcome::Invalid { reason } => (format!("invalid: {reason}"), false),
    };
    let entry = AuditEntry {
        id: 0,
        at: now_ms(),
        user: ctx.actor.user.clone(),
        ssh_origin: ctx.actor.ssh_origin.clone(),
        app,
        cluster,
        action: action.to_string(),
        params,
        result,
        ok,
    };
    if let Err(e) = ctx.store.call(move |s: &mut Store| s.audit(&entry)).await {
        tracing::error!(error = %e, "cannot write the audit trail");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ssh_origin_takes_ip_and_port() {
        assert_eq!(
            super::ssh_origin("10.1.2.3 51234 22").as_deref(),
            Some("10.1.2.3:51234")
        );
        assert_eq!(super::ssh_origin("").as_deref(), None);
    }
}
