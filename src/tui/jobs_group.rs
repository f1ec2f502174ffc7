//! Grouping of the jobs list by cluster, team or app (`z` cycles): header rows with the group's
//! name and counts (jobs, problems), and which groups are collapsed. Pure: the rows come in
//! sorted, the groups keep that order among their rows and sort by name.

use std::collections::HashSet;

use crate::domain::filter::GroupBy;
use crate::domain::{JobState, JobSummary};

use super::jobs::NO_STATE;

/// The label of rows without a team (grouping by team) or without an app (by app).
pub(crate) const NO_TEAM: &str = "(no team)";
pub(crate) const NO_APP: &str = "(unmanaged)";

/// One group header: its key and counts, and a summary to show in place of a job's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupHeader {
    pub key: String,
    pub jobs: usize,
    /// Rows with a health score above 0 (what problems first ranks up).
    pub problems: usize,
    pub collapsed: bool,
    /// What the table shows for the header (name = the group's name).
    pub summary: JobSummary,
}

impl GroupHeader {
    /// `▾ payments` or `▸ payments` (collapsed).
    pub fn label(&self) -> String {
        format!("{} {}", if self.collapsed { "▸" } else { "▾" }, self.key)
    }

    /// `3 jobs · 1 problem`.
    pub fn counts(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        if self.problems > 0 {
            format!(
                "{} · {}",
                plural(self.jobs, "job"),
                plural(self.problems, "problem")
            )
        } else {
            plural(self.jobs, "job")
        }
    }
}

/// Which groups are folded, by key (kept across regroupings of the same kind).
#[derive(Debug, Clone, Default)]
pub(crate) struct Collapsed {
    by: GroupBy,
    keys: HashSet<String>,
}

impl Collapsed {
    pub fn is(&self, by: GroupBy, key: &str) -> bool {
        self.by == by && self.keys.contains(key)
    }

    /// Folds or unfolds the group `key` of grouping `by`.
    pub fn toggle(&mut self, by: GroupBy, key: &str) {
        if self.by != by {
            self.by = by;
            self.keys.clear();
        }
        if !self.keys.remove(key) {
            self.keys.insert(key.to_string());
        }
    }
}

/// Groups `items` (each with its group key, in display order) into headers and members:
/// returns, per group in name order, the header and the indices of its members.
pub(crate) fn group<T>(
    by: GroupBy,
    items: &[T],
    key_of: impl Fn(&T) -> (String, bool),
    collapsed: &Collapsed,
) -> Vec<(GroupHeader, Vec<usize>)> {
    let mut groups: std::collections::BTreeMap<String, (usize, Vec<usize>)> = Default::default();
    for (i, it) in items.iter().enumerate() {
        let (key, problem) = key_of(it);
        let g = groups.entry(key).or_default();
        g.0 += usize::from(problem);
        g.1.push(i);
    }
    groups
        .into_iter()
        .map(|(key, (problems, members))| {
            let summary = JobSummary {
                cluster: String::new(),
                id: String::new(),
                name: key.clone(),
                state: JobState::Unknown(NO_STATE.into()),
                start_time: -1,
                end_time: None,
                duration_ms: -1,
                last_modification: 0,
                tasks_running: 0,
                tasks_total: 0,
                last_checkpoint: None,
                restarts: None,
                stale: false,
                detail_at_ms: None,
                vitals: None,
            };
            let header = GroupHeader {
                collapsed: collapsed.is(by, &key),
                jobs: members.len(),
                problems,
                key,
                summary,
            };
            (header, members)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_key_with_counts_and_folds() {
        let items = [
            ("b", false),
            ("a", true),
            ("b", true),
            ("a", false),
            ("b", false),
        ];
        let mut collapsed = Collapsed::default();
        collapsed.toggle(GroupBy::Team, "b");
        let g = group(
            GroupBy::Team,
            &items,
            |(k, p)| (k.to_string(), *p),
            &collapsed,
        );
        let view: Vec<(String, usize, usize, bool, Vec<usize>)> = g
            .iter()
            .map(|(h, m)| (h.key.clone(), h.jobs, h.problems, h.collapsed, m.clone()))
            .collect();
        assert_eq!(
            view,
            [
                ("a".to_string(), 2, 1, false, vec![1, 3]),
                ("b".to_string(), 3, 1, true, vec![0, 2, 4]),
            ]
        );
        assert_eq!(g[0].0.label(), "▾ a");
        assert_eq!(g[1].0.label(), "▸ b");
        assert_eq!(g[1].0.counts(), "3 jobs · 1 problem");
        // Folds belong to one grouping: another grouping starts unfolded.
        assert!(!collapsed.is(GroupBy::Cluster, "b"));
        collapsed.toggle(GroupBy::Team, "b");
        assert!(!collapsed.is(GroupBy::Team, "b"));
    }
}
