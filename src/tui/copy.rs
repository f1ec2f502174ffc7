//! `y`: copies what is selected to the system clipboard with OSC 52 (the job id in the jobs
//! list and the detail, the checkpoint or savepoint path in the checkpoints tab, the log line in
//! the logs tab) and says what it copied; with `[ui] clipboard` off (or unsupported) it says so.

use super::actions::FlashLevel;
use super::app::{App, Effect};
use super::detail::Tab;
use super::osc;

impl App {
    /// What `y` copies here, and how it is called in the message.
    fn copy_subject(&self) -> Result<(String, &'static str), &'static str> {
        let Some(d) = self.detail.as_ref() else {
            return self
                .jobs
                .selected_job(&self.clusters)
                .map(|j| (j.id.clone(), "job id"))
                .ok_or("no job selected: nothing to copy");
        };
        match d.tab {
            Tab::Checkpoints => {
                let entry = d
                    .checkpoints
                    .data
                    .as_ref()
                    .and_then(|c| c.history.get(d.cp_sel))
                    .ok_or("no checkpoint selected: nothing to copy")?;
                entry
                    .external_path
                    .clone()
                    .map(|p| (p, "path"))
                    .ok_or("this checkpoint has no path: nothing to copy")
            }
            Tab::Logs => {
                let logs = &d.logs;
                let text = logs
                    .content
                    .data
                    .as_ref()
                    .filter(|t| t.line_count() > 0)
                    .ok_or("no log loaded: nothing to copy")?;
                // The current search match, else the first line on screen (the last line while
                // following the tail).
                let line = logs
                    .current
                    .and_then(|i| logs.matches.get(i).copied())
                    .or(if logs.follow { None } else { logs.scroll })
                    .unwrap_or(text.line_count() - 1)
                    .min(text.line_count() - 1);
                Ok((text.line(line).to_string(), "log line"))
            }
            _ => Ok((d.key.id.clone(), "job id")),
        }
    }

    /// Copies the selection (see the module doc).
    pub(super) fn copy_selected(&mut self, fx: &mut Vec<Effect>) {
        let (text, what) = match self.copy_subject() {
            Ok(x) => x,
            Err(why) => {
                self.flash(FlashLevel::Info, why);
                return;
            }
        };
        if !self.opts.term.clipboard {
            self.flash(
                FlashLevel::Info,
                "copying is off ([ui] clipboard, or the terminal does not support OSC 52)",
            );
            return;
        }
        fx.push(Effect::Terminal(osc::osc52(&text, self.opts.term.tmux)));
        let shown: String = text.chars().take(60).collect();
        let more = if shown.len() < text.len() { "…" } else { "" };
        self.flash(FlashLevel::Info, format!("copied {what} {shown}{more}"));
    }
}
