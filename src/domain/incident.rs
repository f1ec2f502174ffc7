//! What a person does to an open incident (mute its reminders for a while, acknowledge it) and
//! the one-word status an incident shows in `flinkdeck alerts` and the console's Alerts view.

use std::time::Duration;

use super::alerts::IncidentRecord;

/// How long `m` in the console (and `alerts mute` without `--for`) mutes an incident.
pub const DEFAULT_MUTE: Duration = Duration::from_secs(3600);

/// Quieting an open incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quiet {
    /// No reminders for this long (the recovery notice is still sent).
    Mute(Duration),
    /// No more reminders at all.
    Acknowledge,
}

impl Quiet {
    /// The audit trail's action name.
    pub fn action(self) -> &'static str {
        match self {
            Quiet::Mute(_) => "mute",
            Quiet::Acknowledge => "acknowledge",
        }
    }
}

/// Where an incident stands, as a person sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentStatus {
    /// Open and reminding.
    Open,
    /// Open, reminders muted until this time (epoch ms).
    Muted { until: i64 },
    /// Open, acknowledged by this user.
    Acked { by: String },
    /// The condition cleared at this time.
    Closed { at: i64 },
}

impl IncidentStatus {
    /// The status of `i` at `now_ms` (a mute that has run out is open again; acknowledged wins
    /// over muted).
    pub fn of(i: &IncidentRecord, now_ms: i64) -> IncidentStatus {
        match (i.closed_at, i.acknowledged_by.as_deref(), i.muted_until) {
            (Some(at), _, _) => IncidentStatus::Closed { at },
            (None, Some(by), _) => IncidentStatus::Acked { by: by.to_string() },
            (None, None, Some(until)) if until > now_ms => IncidentStatus::Muted { until },
            _ => IncidentStatus::Open,
        }
    }

    /// Open and neither muted nor acknowledged: someone should look.
    pub fn needs_attention(&self) -> bool {
        matches!(self, IncidentStatus::Open)
    }

    pub fn is_open(&self) -> bool {
        !matches!(self, IncidentStatus::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alerts::AlertKind;

    fn incident() -> IncidentRecord {
        IncidentRecord {
            id: 1,
            rule: "r".into(),
            kind: AlertKind::Unreachable,
            subject: "cluster:c".into(),
            cluster: "c".into(),
            app: None,
            job_id: None,
            state: None,
            reason: "connection refused".into(),
            since: 0,
            opened_at: 0,
            closed_at: None,
            last_notified_at: 0,
            muted_until: None,
            acknowledged_by: None,
            acknowledged_at: None,
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn status_orders_closed_then_acked_then_muted() {
        let mut i = incident();
        assert_eq!(IncidentStatus::of(&i, 10), IncidentStatus::Open);
        assert!(IncidentStatus::of(&i, 10).needs_attention());
        i.muted_until = Some(20);
        assert_eq!(
            IncidentStatus::of(&i, 10),
            IncidentStatus::Muted { until: 20 }
        );
        assert!(!IncidentStatus::of(&i, 10).needs_attention());
        // The mute ran out.
        assert_eq!(IncidentStatus::of(&i, 20), IncidentStatus::Open);
        i.acknowledged_by = Some("ana".into());
        assert_eq!(
            IncidentStatus::of(&i, 10),
            IncidentStatus::Acked { by: "ana".into() }
        );
        i.closed_at = Some(30);
        let s = IncidentStatus::of(&i, 40);
        assert_eq!(s, IncidentStatus::Closed { at: 30 });
        assert!(!s.is_open() && !s.needs_attention());
        assert_eq!(Quiet::Mute(DEFAULT_MUTE).action(), "mute");
        assert_eq!(Quiet::Acknowledge.action(), "acknowledge");
    }
}
