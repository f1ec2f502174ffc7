//! The rules that turn poll outcomes into a cluster's health (pure, so they are unit-tested).
//!
//! - A poll that answered fully: LIVE.
//! - The job list answered but some per-job requests failed: DEGRADED, with how many and why.
//! - A failed poll right after a good one: STALE (a blip; the data is shown with its age).
//! - Failed polls in a row, or no good poll ever: UNREACHABLE with the one-line reason.

use super::health::{ClusterHealth, FailureClass, HealthStatus};

/// How many failed polls in a row turn STALE into UNREACHABLE.
pub const UNREACHABLE_AFTER_FAILURES: u32 = 2;

/// One failed request, as the rules need it.
#[derive(Debug, Clone, PartialEq)]
pub struct PollFailure {
    pub class: FailureClass,
    /// One line, e.g. `refused: GET http://x:8081/jobs/overview: connection refused`.
    pub message: String,
    /// The full error chain.
    pub detail: String,
}

/// Carries a cluster's health from one poll to the next.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthTracker {
    current: ClusterHealth,
}

impl HealthTracker {
    pub fn new(now_ms: i64) -> Self {
        HealthTracker {
            current: ClusterHealth::pending(now_ms),
        }
    }

    pub fn current(&self) -> &ClusterHealth {
        &self.current
    }

    /// The job list answered. `partial` lists the per-job requests that failed, out of `total`.
    pub fn on_success(
        &mut self,
        now_ms: i64,
        flink_version: Option<String>,
        partial: &[PollFailure],
        total: usize,
    ) -> &ClusterHealth {
        let h = &mut self.current;
        h.checked_at_ms = now_ms;
        h.last_ok_ms = Some(now_ms);
        h.failures = 0;
        if flink_version.is_some() {
            h.flink_version = flink_version;
        }
        if let Some(first) = partial.first() {
            h.status = HealthStatus::Degraded;
            h.reason = Some(format!(
                "{} of {} job requests failed: {}",
                partial.len(),
                total,
                first.class.label()
            ));
            h.detail = Some(
                partial
                    .iter()
                    .map(|f| f.detail.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        } else {
            h.status = HealthStatus::Live;
            h.reason = None;
            h.detail = None;
        }
        &self.current
    }

    /// The poll failed as a whole (the job list could not be read).
    pub fn on_failure(&mut self, now_ms: i64, failure: &PollFailure) -> &ClusterHealth {
        let h = &mut self.current;
        h.checked_at_ms = now_ms;
        h.failures = h.failures.saturating_add(1);
        let blip = h.last_ok_ms.is_some() && h.failures < UNREACHABLE_AFTER_FAILURES;
        h.status = if blip {
            HealthStatus::Stale
        } else {
            HealthStatus::Unreachable
        };
        h.reason = Some(one_line_reason(failure));
        h.detail = Some(failure.detail.clone());
        &self.current
    }
}

/// `refused`, `timeout`, `HTTP 503 server error: <flink's first error line>`; at most 120 chars.
pub fn one_line_reason(failure: &PollFailure) -> String {
    let label = failure.class.label();
    let extra = match failure.class {
        FailureClass::Refused | FailureClass::Timeout | FailureClass::Dns | FailureClass::Tls => {
            String::new()
        }
        _ => {
            // The message's tail after the last ": " is the most specific part.
            let tail = failure
                .message
                .rsplit(": ")
                .next()
                .unwrap_or(&failure.message);
            if tail.is_empty() || tail == label {
                String::new()
            } else {
                format!(": {tail}")
            }
        }
    };
    let mut line = format!("{label}{extra}").replace(['\n', '\r'], " ");
    if line.chars().count() > 120 {
        line = line.chars().take(119).collect::<String>() + "…";
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> PollFailure {
        PollFailure {
            class: FailureClass::Refused,
            message: "refused: GET http://x/jobs/overview: connection refused".into(),
            detail: "full chain".into(),
        }
    }

    #[test]
    fn first_failure_after_success_is_stale_then_unreachable() {
        let mut t = HealthTracker::new(0);
        assert_eq!(t.current().status, HealthStatus::Pending);
        t.on_success(1_000, Some("2.3.0".into()), &[], 2);
        assert_eq!(t.current().status, HealthStatus::Live);
        t.on_failure(2_000, &refused());
        assert_eq!(t.current().status, HealthStatus::Stale);
        assert_eq!(t.current().age_ms(5_000), Some(4_000));
        t.on_failure(3_000, &refused());
        assert_eq!(t.current().status, HealthStatus::Unreachable);
        assert_eq!(t.current().reason.as_deref(), Some("refused"));
        assert_eq!(t.current().flink_version.as_deref(), Some("2.3.0"));
        t.on_success(4_000, None, &[], 2);
        assert_eq!(t.current().status, HealthStatus::Live);
        assert_eq!(t.current().failures, 0);
    }

    #[test]
    fn never_answered_is_unreachable_at_once() {
        let mut t = HealthTracker::new(0);
        t.on_failure(1, &refused());
        assert_eq!(t.current().status, HealthStatus::Unreachable);
    }

    #[test]
    fn partial_failures_degrade() {
        let mut t = HealthTracker::new(0);
        let f = PollFailure {
            class: FailureClass::ServerError { status: 500 },
            message: "HTTP 500 server error: GET /jobs/x/checkpoints: boom".into(),
            detail: "boom".into(),
        };
        t.on_success(1, None, &[f], 3);
        assert_eq!(t.current().status, HealthStatus::Degraded);
        assert_eq!(
            t.current().reason.as_deref(),
            Some("1 of 3 job requests failed: HTTP 500 server error")
        );
    }

    #[test]
    fn reason_keeps_flink_message_for_http_errors() {
        let f = PollFailure {
            class: FailureClass::Unauthorized { status: 401 },
            message: "HTTP 401 unauthorized: GET http://x/jobs/overview: bad token".into(),
            detail: String::new(),
        };
        assert_eq!(one_line_reason(&f), "HTTP 401 unauthorized: bad token");
    }
}
