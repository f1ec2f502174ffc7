//! What an alert says: one incident event rendered as a title and plain-text lines (chat
//! services) or a JSON object (plain webhooks), with every known secret masked.

use serde::Serialize;

use crate::config::secret::mask;
use crate::domain::alerts::{fmt_ms, AlertKind, Condition};
use crate::domain::time::format_timestamp;

/// Which moment of an incident a message reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    Opened,
    Reminder,
    Resolved,
    /// `flinkdeck alerts test CHANNEL`.
    Test,
    /// The watcher starts a failed app again (`[restart]`).
    Restarting,
    /// That start succeeded.
    Restarted,
    /// That start failed.
    RestartFailed,
    /// `max` attempts within the window: the watcher stopped trying.
    GaveUp,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Opened => "opened",
            Event::Reminder => "reminder",
            Event::Resolved => "resolved",
            Event::Test => "test",
            Event::Restarting => "restarting",
            Event::Restarted => "restarted",
            Event::RestartFailed => "restart_failed",
            Event::GaveUp => "gave_up",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Event::Opened => "FIRING",
            Event::Reminder => "STILL FIRING",
            Event::Resolved => "RESOLVED",
            Event::Test => "TEST",
            Event::Restarting => "RESTARTING",
            Event::Restarted => "RESTARTED",
            Event::RestartFailed => "RESTART FAILED",
            Event::GaveUp => "GAVE UP",
        }
    }
}

/// One message about one incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub event: Event,
    pub incident: Option<i64>,
    pub rule: String,
    pub kind: Option<AlertKind>,
    pub subject: String,
    pub app: Option<String>,
    pub cluster: String,
    pub job_id: Option<String>,
    pub state: Option<String>,
    pub reason: String,
    /// When the incident started (epoch ms).
    pub since: i64,
    /// When the message was made (epoch ms).
    pub at: i64,
    /// What happened in a few words, when it is not the incident's own (restart messages).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headline: Option<String>,
}

impl Message {
    /// A message about `c` (incident `incident`).
    pub fn of(event: Event, incident: Option<i64>, c: &Condition, at: i64) -> Message {
        Message {
            event,
            incident,
            rule: c.rule.clone(),
            kind: Some(c.kind),
            subject: c.subject.clone(),
            app: c.app.clone(),
            cluster: c.cluster.clone(),
            job_id: c.job_id.clone(),
            state: c.state.clone(),
            reason: c.reason.clone(),
            since: c.since,
            at,
            headline: None,
        }
    }

    /// `flinkdeck alerts test CHANNEL`.
    pub fn test(channel: &str, at: i64) -> Message {
        Message {
            event: Event::Test,
            incident: None,
            rule: "test".into(),
            kind: None,
            subject: format!("channel:{channel}"),
            app: None,
            cluster: "-".into(),
            job_id: None,
            state: None,
            reason: format!("a test message to channel {channel} from flinkdeck"),
            since: at,
            at,
            headline: None,
        }
    }

    /// What the incident is about, in a few words.
    fn what(&self) -> String {
        if let Some(h) = &self.headline {
            return h.clone();
        }
        let who = match (&self.app, self.subject.split_once(':')) {
            (Some(a), _) => format!("app {a}"),
            (None, Some(("job", j))) => format!("job {j}"),
            (None, Some(("cluster", c))) => format!("cluster {c}"),
            _ => self.subject.clone(),
        };
        let what = match self.kind {
            Some(AlertKind::Failed) => "failed",
            Some(AlertKind::Restarts) => "keeps restarting",
            Some(AlertKind::NoCheckpoint) => "completes no checkpoint",
            Some(AlertKind::CheckpointFailures) => "fails its checkpoints",
            Some(AlertKind::Unreachable) => "is unreachable",
            Some(AlertKind::Backpressure) => "is backpressured",
            Some(AlertKind::Lost) => "has no job on its cluster",
            None => "test",
        };
        format!("{who} {what}")
    }

    /// `[FIRING] orders-failed: app orders-agg failed`.
    pub fn title(&self) -> String {
        mask(&format!(
            "[{}] {}: {}",
            self.event.tag(),
            self.rule,
            self.what()
        ))
        .into_owned()
    }

    /// The body as plain lines (title first).
    pub fn text(&self) -> String {
        let mut lines = vec![self.title()];
        if let Some(a) = &self.app {
            lines.push(format!("app: {a}"));
        }
        lines.push(format!("cluster: {}", self.cluster));
        if let Some(j) = &self.job_id {
            lines.push(format!("job: {j}"));
        }
        if let Some(s) = &self.state {
            lines.push(format!("state: {s}"));
        }
        lines.push(format!("reason: {}", self.reason));
        let dur = fmt_ms(self.at - self.since);
        match self.event {
            Event::Resolved => lines.push(format!(
                "started: {} (lasted {dur})",
                format_timestamp(self.since)
            )),
            _ => lines.push(format!(
                "since: {} ({dur} ago)",
                format_timestamp(self.since)
            )),
        }
        if let Some(i) = self.incident {
            lines.push(format!("incident: #{i}"));
        }
        if let Some(look) = self.look() {
            lines.push(format!("look: {look}"));
        }
        mask(&lines.join("\n")).into_owned()
    }

    /// The command to look at it.
    fn look(&self) -> Option<String> {
        if self.event == Event::Test {
            return None;
        }
        let restart = matches!(
            self.event,
            Event::Restarting | Event::Restarted | Event::RestartFailed | Event::GaveUp
        );
        Some(match (&self.app, &self.job_id) {
            (Some(a), _) if self.kind == Some(AlertKind::Lost) || restart => {
                format!("flinkdeck history {a}")
            }
            (_, Some(j)) => format!("flinkdeck checkpoints {j} --cluster {}", self.cluster),
            (Some(a), None) => format!("flinkdeck history {a}"),
            (None, None) => format!("flinkdeck clusters (cluster {})", self.cluster),
        })
    }

    /// The JSON of a plain webhook: every field plus `title` and `text`, masked.
    pub fn json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("title".into(), self.title().into());
            o.insert("text".into(), self.text().into());
            o.insert("reason".into(), mask(&self.reason).into_owned().into());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition() -> Condition {
        Condition {
            rule: "orders-failed".into(),
            kind: AlertKind::Failed,
            subject: "app:orders-agg".into(),
            cluster: "prod-1".into(),
            app: Some("orders-agg".into()),
            job_id: Some("a1b2".into()),
            state: Some("FAILED".into()),
            reason: "java.lang.IllegalStateException: boom".into(),
            since: 1_700_000_000_000,
        }
    }

    #[test]
    fn a_failed_app_says_what_where_why_since_and_how_to_look() {
        let m = Message::of(Event::Opened, Some(4), &condition(), 1_700_000_720_000);
        assert_eq!(m.title(), "[FIRING] orders-failed: app orders-agg failed");
        let text = m.text();
        for want in [
            "app: orders-agg",
            "cluster: prod-1",
            "job: a1b2",
            "state: FAILED",
            "reason: java.lang.IllegalStateException: boom",
            "(12m ago)",
            "incident: #4",
            "look: flinkdeck checkpoints a1b2 --cluster prod-1",
        ] {
            assert!(text.contains(want), "no {want:?} in:\n{text}");
        }
        let r = Message::of(Event::Resolved, Some(4), &condition(), 1_700_000_720_000);
        assert!(r.title().starts_with("[RESOLVED]"));
        assert!(r.text().contains("(lasted 12m)"), "{}", r.text());
        let j = m.json();
        assert_eq!(j["event"], "opened");
        assert_eq!(j["kind"], "failed");
        assert_eq!(j["app"], "orders-agg");
        assert_eq!(j["incident"], 4);
        assert_eq!(j["title"], m.title());
    }

    #[test]
    fn a_restart_message_says_what_the_watcher_did() {
        let m = Message {
            headline: Some("restarting app orders-agg (attempt 2/3)".into()),
            reason: "restarting orders-agg (attempt 2/3) from file:/cp/chk-4; job a1b2 failed: x"
                .into(),
            ..Message::of(Event::Restarting, Some(4), &condition(), 1_700_000_720_000)
        };
        assert_eq!(
            m.title(),
            "[RESTARTING] orders-failed: restarting app orders-agg (attempt 2/3)"
        );
        let text = m.text();
        assert!(
            text.contains("look: flinkdeck history orders-agg"),
            "{text}"
        );
        assert!(text.contains("reason: restarting orders-agg (attempt 2/3) from file:/cp/chk-4"));
        let j = m.json();
        assert_eq!(j["event"], "restarting");
        assert_eq!(j["headline"], "restarting app orders-agg (attempt 2/3)");
        let g = Message {
            event: Event::GaveUp,
            headline: Some("gave up restarting app orders-agg".into()),
            ..m
        };
        assert!(g.title().starts_with("[GAVE UP] orders-failed: gave up"));
        assert_eq!(g.json()["event"], "gave_up");
    }
}
