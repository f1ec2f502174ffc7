//! The jobs list's named views (`v` cycles `[ui.views]`), grouping keys (`z` cycles the
//! grouping; Enter, ←, → or space on a header folds or unfolds its group) and the local tags of
//! unmanaged jobs (`T` opens an input: `word` adds a tag, `-word` removes one; the workers store
//! and audit it).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::filter::{GroupBy, View};
use crate::domain::WorkerRequest;

use super::actions::FlashLevel;
use super::app::{App, Effect};

/// The open tag input of `T`: which job (cluster + name) and the text typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TagInput {
    pub cluster: String,
    pub job_name: String,
    pub current: Vec<String>,
    pub text: String,
}

/// `a b -c` → (add [a, b], remove [c]).
pub(crate) fn parse_tag_edit(text: &str) -> (Vec<String>, Vec<String>) {
    let mut add = Vec::new();
    let mut remove = Vec::new();
    for w in text.split([' ', ',']).filter(|w| !w.is_empty()) {
        match w.strip_prefix('-').or_else(|| w.strip_prefix('!')) {
            Some(t) if !t.is_empty() => remove.push(t.to_string()),
            Some(_) => {}
            None => add.push(w.trim_start_matches('+').to_string()),
        }
    }
    add.retain(|t| !t.is_empty());
    (add, remove)
}

impl App {
    /// The named views `v` cycles through (from `[ui.views]`, in name order).
    pub fn set_views(&mut self, views: Vec<View>) {
        self.jobs.views = views;
    }

    /// Next view: none → the first → … → the last → none. A view with a grouping sets it.
    pub(super) fn cycle_view(&mut self) {
        if self.jobs.views.is_empty() {
            self.flash(
                FlashLevel::Info,
                "no named views: add some under [ui.views]",
            );
            return;
        }
        let next = match &self.jobs.view {
            None => Some(0),
            Some(cur) => self
                .jobs
                .views
                .iter()
                .position(|v| v.name == cur.name)
                .map(|i| i + 1)
                .filter(|i| *i < self.jobs.views.len()),
        };
        self.jobs.view = next.map(|i| self.jobs.views[i].clone());
        let text = match &self.jobs.view {
            Some(v) => {
                if let Some(g) = v.group {
                    self.jobs.group = g;
                }
                format!("view {}: {}", v.name, v.filter.source())
            }
            None => "all jobs (no view)".to_string(),
        };
        self.flash(FlashLevel::Info, text);
        self.jobs
            .rebuild(&self.clusters, &self.managed, self.now_ms);
    }

    /// Next grouping: none → cluster → team → app → none.
    pub(super) fn cycle_group(&mut self) {
        self.jobs.group = self.jobs.group.next();
        let text = match self.jobs.group {
            GroupBy::None => "not grouped".to_string(),
            g => format!("grouped by {}", g.as_str()),
        };
        self.flash(FlashLevel::Info, text);
        self.jobs
            .rebuild(&self.clusters, &self.managed, self.now_ms);
    }

    /// Keys on a selected group header: Enter, ←, → and space fold or unfold it. Returns
    /// whether the key was taken.
    pub(super) fn on_header_key(&mut self, key: &KeyEvent) -> bool {
        if !self.jobs.selected_row().is_some_and(|r| r.is_header()) {
            return false;
        }
        if !key.modifiers.is_empty() {
            return false;
        }
        match key.code {
            KeyCode::Enter | KeyCode::Left | KeyCode::Right | KeyCode::Char(' ') => self
                .jobs
                .toggle_selected_group(&self.clusters, &self.managed, self.now_ms),
            _ => false,
        }
    }
}

impl App {
    /// `T`: opens the tag input on the selected unmanaged job (managed apps take their tags
    /// from their spec).
    pub(super) fn open_tag_input(&mut self) {
        let Some(row) = self.jobs.selected_row().cloned() else {
            return;
        };
        if let Some(app) = &row.app {
            let tags = self
                .managed
                .app(app)
                .map(|a| a.tags.join(", "))
                .unwrap_or_default();
            self.flash(
                FlashLevel::Info,
                format!(
                    "{app} is a managed app: its tags come from its spec (tags = [{tags}]); \
                     edit the spec and apply it"
                ),
            );
            return;
        }
        if !row.is_job() {
            return;
        }
        let j = self.jobs.summary(&self.clusters, &row);
        let current = self.managed.local_tags(&j.cluster, &j.name).to_vec();
        self.jobs.tag_input = Some(TagInput {
            cluster: j.cluster.clone(),
            job_name: j.name.clone(),
            current,
            text: String::new(),
        });
    }

    pub(super) fn on_tag_typing(&mut self, key: KeyEvent, fx: &mut Vec<Effect>) {
        let Some(input) = self.jobs.tag_input.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.jobs.tag_input = None,
            KeyCode::Enter => {
                let (add, remove) = parse_tag_edit(&input.text);
                let (cluster, job_name) = (input.cluster.clone(), input.job_name.clone());
                self.jobs.tag_input = None;
                if add.is_empty() && remove.is_empty() {
                    self.flash(FlashLevel::Info, "tags unchanged");
                } else {
                    fx.push(Effect::Worker(WorkerRequest::EditJobTags {
                        cluster,
                        job_name,
                        add,
                        remove,
                    }));
                }
            }
            KeyCode::Backspace => {
                input.text.pop();
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                input.text.clear()
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                    && !c.is_control() =>
            {
                input.text.push(c)
            }
            _ => {}
        }
    }

    /// Every local tag (after a poll round, or an edit with its outcome).
    pub(super) fn on_job_tags(
        &mut self,
        tags: Vec<(String, String, Vec<String>)>,
        message: Option<Result<String, String>>,
    ) {
        let mut managed = self.managed.clone();
        managed.set_local_tags(tags);
        if managed != self.managed {
            self.managed = managed;
            self.jobs
                .rebuild(&self.clusters, &self.managed, self.now_ms);
            self.dirty = true;
        }
        match message {
            Some(Ok(m)) => self.flash(FlashLevel::Info, m),
            Some(Err(e)) => self.flash(FlashLevel::Warning, e),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tag_edits_add_and_remove() {
        let (add, remove) = super::parse_tag_edit("tier-1 +eu,-old  - !gone");
        assert_eq!(add, ["tier-1", "eu"]);
        assert_eq!(remove, ["old", "gone"]);
    }
}
