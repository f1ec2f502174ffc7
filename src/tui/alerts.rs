//! The Alerts view's state: the incidents loaded from the store (open first, newest first, then
//! recently closed), the load in flight, the selection, whether one incident's detail is shown,
//! and the mute / acknowledge in flight.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent};

use crate::domain::alerts::IncidentRecord;
use crate::domain::incident::{IncidentStatus, Quiet, DEFAULT_MUTE};
use crate::domain::{ActionOutcome, WorkerRequest};

use super::actions::FlashLevel;
use super::app::{App, Effect, Overlay};
use super::detail::{step, Load};
use super::keymap::{Action, KeyContext};
use super::ui;

/// How many incidents the view asks for.
pub(crate) const INCIDENTS_LIMIT: usize = 200;

#[derive(Debug, Clone, Default)]
pub(crate) struct AlertsState {
    pub load: Load<Vec<IncidentRecord>>,
    /// Index of the selected incident.
    pub selected: usize,
    /// First visible row (kept by `draw` so the table scrolls as little as possible).
    pub offset: Cell<usize>,
    /// The selected incident's detail (with its deliveries) is shown instead of the list.
    pub detail: bool,
    /// First visible delivery row of the detail.
    pub detail_scroll: usize,
    /// The mute / acknowledge in flight: (request, incident id).
    pub quieting: Option<(u64, i64)>,
}

impl AlertsState {
    pub fn incidents(&self) -> &[IncidentRecord] {
        self.load.data.as_deref().unwrap_or(&[])
    }

    pub fn selected_incident(&self) -> Option<&IncidentRecord> {
        self.incidents().get(self.selected)
    }

    /// The selected incident when it is still open at `now` (what mute / acknowledge act on).
    pub fn selected_open(&self, now_ms: i64) -> Option<&IncidentRecord> {
        self.selected_incident()
            .filter(|i| IncidentStatus::of(i, now_ms).is_open())
    }

    /// Takes a reply: keeps the selection on the same incident (by id) when it is still
    /// listed, else clamps it.
    pub fn finish(&mut self, result: Result<Vec<IncidentRecord>, String>) {
        let keep = self.selected_incident().map(|i| i.id);
        self.load.finish(result);
        let list = self.incidents();
        self.selected = keep
            .and_then(|id| list.iter().position(|i| i.id == id))
            .unwrap_or(self.selected)
            .min(list.len().saturating_sub(1));
        if self.incidents().is_empty() {
            self.detail = false;
        }
    }

    /// Moves the selection by `delta` rows (clamped).
    pub fn move_by(&mut self, delta: isize) {
        self.selected = step(self.selected, delta, self.incidents().len());
    }

    pub fn select_at(&mut self, idx: usize) {
        self.selected = idx.min(self.incidents().len().saturating_sub(1));
    }
}

impl App {
    /// Opens the Alerts view and loads it (it reloads every refresh while open).
    pub(super) fn open_alerts(&mut self, fx: &mut Vec<Effect>) {
        self.alerts = Some(AlertsState::default());
        self.request_alerts(fx);
    }

    /// Sends the load of the incidents (a reply with another id is dropped).
    pub(super) fn request_alerts(&mut self, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let now = self.now_ms;
        let Some(a) = self.alerts.as_mut() else {
            return;
        };
        a.load.start(id, now);
        fx.push(Effect::Worker(WorkerRequest::LoadIncidents {
            request: id,
            limit: INCIDENTS_LIMIT,
        }));
    }

    /// Reloads the incidents when due (never twice in flight).
    pub(super) fn alerts_due(&mut self, fx: &mut Vec<Effect>) {
        let (now, refresh) = (self.now_ms, self.refresh_ms());
        if self
            .alerts
            .as_ref()
            .is_some_and(|a| a.load.due(now, refresh))
        {
            self.request_alerts(fx);
        }
    }

    pub(super) fn on_alerts_key(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let action = self
            .lookup(&[KeyContext::Alerts, KeyContext::Global], &key)
            .or_else(|| {
                // Enter shows the incident even if a custom keymap left it unbound here.
                (key.code == KeyCode::Enter && key.modifiers.is_empty()).then_some(Action::Open)
            });
        let Some(action) = action else {
            return;
        };
        let page = ui::alerts_visible_rows(self, self.screen()).max(1) as isize;
        let rows = ui::deliveries_visible_rows(self, self.screen()).max(1);
        let (now, refresh) = (self.now_ms, self.refresh_ms());
        let Some(a) = self.alerts.as_mut() else {
            return;
        };
        let last = a
            .selected_incident()
            .map_or(0, |i| i.deliveries.len().saturating_sub(rows));
        match action {
            Action::Quit => fx.push(Effect::Quit),
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::ActionLog => self.open_action_log(),
            // Not twice in flight (unless what is in flight looks lost).
            Action::Refresh if !a.load.loading() || a.load.due(now, refresh) => {
                self.request_alerts(fx)
            }
            Action::Mute => self.quiet_selected(Quiet::Mute(DEFAULT_MUTE), fx),
            Action::Acknowledge => self.quiet_selected(Quiet::Acknowledge, fx),
            // One incident's detail: the deliveries scroll; back returns to the list.
            Action::Back | Action::Left | Action::Open if a.detail => a.detail = false,
            _ if a.detail => {
                if let Some(to) = action.move_target(a.detail_scroll.min(last), rows, last) {
                    a.detail_scroll = to.min(last);
                }
            }
            Action::Up => a.move_by(-1),
            Action::Down => a.move_by(1),
            Action::PageUp => a.move_by(-page),
            Action::PageDown => a.move_by(page),
            Action::Top => a.select_at(0),
            Action::Bottom => a.select_at(usize::MAX),
            Action::Back | Action::Left => self.alerts = None,
            Action::Open | Action::Right if a.selected_incident().is_some() => {
                a.detail = true;
                a.detail_scroll = 0;
            }
            _ => {}
        }
    }

    /// Mutes or acknowledges the selected incident. In read-only mode the request still goes
    /// out, so that the refusal is audited like every refused action; the screen says so at once.
    fn quiet_selected(&mut self, how: Quiet, fx: &mut Vec<Effect>) {
        let id = self.next_id();
        let (now, readonly) = (self.now_ms, self.opts.readonly);
        let Some(a) = self.alerts.as_mut() else {
            return;
        };
        let incident = match (a.selected_incident(), a.selected_open(now)) {
            (_, Some(i)) => i.id,
            (Some(i), None) => {
                let text = format!("incident #{} is closed: nothing to {}", i.id, how.action());
                self.flash(FlashLevel::Info, text);
                return;
            }
            (None, None) => {
                self.flash(FlashLevel::Info, "no incident selected");
                return;
            }
        };
        a.quieting = Some((id, incident));
        fx.push(Effect::Worker(WorkerRequest::QuietIncident {
            request: id,
            id: incident,
            how,
        }));
        let text = if readonly {
            format!("read-only: {} is disabled", how.action())
        } else {
            match how {
                Quiet::Mute(_) => format!("muting incident #{incident}…"),
                Quiet::Acknowledge => format!("acknowledging incident #{incident}…"),
            }
        };
        let level = if readonly {
            FlashLevel::Warning
        } else {
            FlashLevel::Info
        };
        self.flash(level, text);
    }

    /// A mute or acknowledgement ended: say how, and reload the list to show it.
    pub(super) fn on_incident_quieted(
        &mut self,
        request: u64,
        id: i64,
        outcome: ActionOutcome,
        fx: &mut Vec<Effect>,
    ) {
        if let Some(a) = self.alerts.as_mut() {
            if a.quieting.is_some_and(|(r, _)| r == request) {
                a.quieting = None;
            }
        }
        let (level, text) = match outcome {
            ActionOutcome::Done { message, .. } => (FlashLevel::Info, message),
            ActionOutcome::Refused { reason } => {
                (FlashLevel::Warning, format!("refused: {reason}"))
            }
            ActionOutcome::Invalid { reason } => (FlashLevel::Warning, reason),
            ActionOutcome::Failed { reason } => {
                (FlashLevel::Warning, format!("incident #{id}: {reason}"))
            }
        };
        self.flash(level, text);
        self.request_alerts(fx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::alerts::AlertKind;

    fn incident(id: i64, closed: Option<i64>) -> IncidentRecord {
        IncidentRecord {
            id,
            rule: "r".into(),
            kind: AlertKind::Failed,
            subject: format!("app:a{id}"),
            cluster: "c".into(),
            app: None,
            job_id: None,
            state: None,
            reason: "boom".into(),
            since: 0,
            opened_at: id,
            closed_at: closed,
            last_notified_at: id,
            muted_until: None,
            acknowledged_by: None,
            acknowledged_at: None,
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn selection_follows_the_incident_and_closed_ones_cannot_be_quieted() {
        let mut a = AlertsState::default();
        a.load.start(1, 0);
        a.finish(Ok(vec![
            incident(3, None),
            incident(2, None),
            incident(1, Some(5)),
        ]));
        a.move_by(1);
        assert_eq!(a.selected_incident().map(|i| i.id), Some(2));
        assert!(a.selected_open(10).is_some());
        // A new incident on top: the selection stays on incident 2.
        a.load.start(2, 0);
        a.finish(Ok(vec![
            incident(4, None),
            incident(3, None),
            incident(2, None),
            incident(1, Some(5)),
        ]));
        assert_eq!(a.selected_incident().map(|i| i.id), Some(2));
        a.select_at(usize::MAX);
        assert_eq!(a.selected_incident().map(|i| i.id), Some(1));
        assert!(a.selected_open(10).is_none(), "closed");
        // A failed reload keeps the list.
        a.load.start(3, 0);
        a.finish(Err("store closed".into()));
        assert_eq!(a.incidents().len(), 4);
        a.detail = true;
        a.load.start(4, 0);
        a.finish(Ok(vec![]));
        assert!(!a.detail, "nothing to show a detail of");
        assert!(a.selected_incident().is_none());
    }
}
