//! OSC 8 hyperlinks on job ids and cluster names. The views draw plain text; after a frame the
//! runtime finds the linkable texts in the drawn buffer ([`find_links`]) and writes those cells
//! again wrapped in OSC 8, so the buffer's cell widths never contain escape sequences.
//!
//! A job id links to `<web UI>#/job/running/<id>/overview` (`completed` for a job in a terminal
//! state), the route of Flink's web dashboard in 1.20 and 2.x; a cluster name links to its Web
//! UI (its `web_url`, else its REST address: for Kubernetes the API server's service proxy, for
//! YARN the ResourceManager's proxy).

use std::collections::{HashMap, HashSet};

use ratatui::buffer::Buffer;

use super::app::App;
use crate::domain::JobSummary;

/// Linkable texts and where they point.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LinkTargets {
    /// Job id → URL.
    pub jobs: HashMap<String, String>,
    /// Cluster name → URL.
    pub clusters: Vec<(String, String)>,
}

/// A run of cells on one row that links to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpan {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub url: String,
}

/// `base` with a trailing `/`.
fn dir(base: &str) -> String {
    if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    }
}

/// The Web UI page of job `id` under the Web UI at `base`.
pub(crate) fn job_url(base: &str, id: &str, finished: bool) -> String {
    let list = if finished { "completed" } else { "running" };
    format!("{}#/job/{list}/{id}/overview", dir(base))
}

impl App {
    /// The job ids in `ids` and every cluster name that link somewhere (clusters without a
    /// known Web UI do not). The ids drawn are looked up among the jobs list's window and the
    /// open job first (where a frame's ids almost always are: a frame costs its rows, not the
    /// fleet's 10,000 jobs); only ids still unknown send it through every cluster's jobs.
    pub(crate) fn link_targets(&self, ids: &HashSet<String>, height: usize) -> LinkTargets {
        let mut t = LinkTargets::default();
        let bases: Vec<Option<&str>> = self
            .clusters
            .iter()
            .map(|c| c.cref.web_url.as_deref().filter(|u| !u.is_empty()))
            .collect();
        for (c, base) in self.clusters.iter().zip(&bases) {
            if let Some(base) = base {
                t.clusters.push((c.name().to_string(), dir(base)));
            }
        }
        // Longer names first, so that `a/b` wins over `a` where both match.
        t.clusters.sort_by_key(|c| std::cmp::Reverse(c.0.len()));
        let mut left: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut resolve = |ci: usize, j: &JobSummary, left: &mut HashSet<&str>| {
            // Known now, linked or not (a cluster without a Web UI): not looked up again.
            if left.remove(j.id.as_str()) {
                if let Some(base) = bases[ci] {
                    t.jobs
                        .insert(j.id.clone(), job_url(base, &j.id, j.state.is_terminal()));
                }
            }
        };
        for (ci, j) in self.jobs.window_jobs(&self.clusters, height) {
            resolve(ci, j, &mut left);
        }
        if let Some((ci, j)) = self.detail.as_ref().and_then(|d| self.listed_job(&d.key)) {
            resolve(ci, j, &mut left);
        }
        if !left.is_empty() {
            for (ci, c) in self.clusters.iter().enumerate() {
                for j in c.jobs.iter() {
                    if left.is_empty() {
                        break;
                    }
                    resolve(ci, j, &mut left);
                }
            }
        }
        t
    }

    /// The hyperlinks of a drawn frame: where the job ids and cluster names are and where they
    /// point (the runtime writes those cells again inside OSC 8).
    pub fn hyperlinks(&self, buf: &Buffer) -> Vec<LinkSpan> {
        let texts = row_texts(buf);
        let ids = job_ids_in(&texts);
        let targets = self.link_targets(&ids, usize::from(buf.area.height));
        links_in(&texts, &targets)
    }
}

/// One row of a buffer: its `y`, its text one char per cell, and the column of each char.
struct RowText {
    y: u16,
    text: Vec<char>,
    columns: Vec<u16>,
}

/// The text of each row of `buf`, one char per cell (`\0` for a wide or combined symbol),
/// with the column each char came from.
fn row_texts(buf: &Buffer) -> Vec<RowText> {
    let area = buf.area;
    (area.top()..area.bottom())
        .map(|y| {
            let mut row = RowText {
                y,
                text: Vec::with_capacity(usize::from(area.width)),
                columns: Vec::with_capacity(usize::from(area.width)),
            };
            for x in area.left()..area.right() {
                let Some(cell) = buf.cell((x, y)) else {
                    continue;
                };
                let mut sym = cell.symbol().chars();
                row.text.push(match (sym.next(), sym.next()) {
                    (Some(c), None) => c,
                    _ => '\u{0}',
                });
                row.columns.push(x);
            }
            row
        })
        .collect()
}

/// The `[start, end)` char ranges of the runs of exactly 32 hex digits that are whole words.
fn id_runs(text: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !text[i].is_ascii_hexdigit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && text[i].is_ascii_hexdigit() {
            i += 1;
        }
        if i - start == 32 && bounded(text, start, 32) {
            out.push((start, i));
        }
    }
    out
}

/// The 32-hex-digit words drawn (the job ids that may need a link).
fn job_ids_in(rows: &[RowText]) -> HashSet<String> {
    let mut ids = HashSet::new();
    for row in rows {
        for (a, b) in id_runs(&row.text) {
            ids.insert(row.text[a..b].iter().collect());
        }
    }
    ids
}

/// Whether `text[start..start + len]` is a whole word.
fn bounded(text: &[char], start: usize, len: usize) -> bool {
    (start == 0 || !word_char(text[start - 1]))
        && text.get(start + len).is_none_or(|c| !word_char(*c))
}

/// Characters that continue a name or an id (a match must not be part of a longer word).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

/// The linkable texts drawn in `buf`: 32-hex-digit job ids and cluster names, whole words only.
#[cfg(test)]
pub(crate) fn find_links(buf: &Buffer, targets: &LinkTargets) -> Vec<LinkSpan> {
    links_in(&row_texts(buf), targets)
}

/// [`find_links`] over a buffer's rows.
fn links_in(rows: &[RowText], targets: &LinkTargets) -> Vec<LinkSpan> {
    let mut out = Vec::new();
    if targets.jobs.is_empty() && targets.clusters.is_empty() {
        return out;
    }
    for row in rows {
        let (y, text, columns) = (row.y, &row.text, &row.columns);
        let mut taken = vec![false; text.len()];
        let mut push = |start: usize, len: usize, url: &str, taken: &mut Vec<bool>| {
            if taken[start..start + len].iter().any(|t| *t) {
                return;
            }
            taken[start..start + len].iter_mut().for_each(|t| *t = true);
            let x = columns[start];
            out.push(LinkSpan {
                x,
                y,
                width: columns[start + len - 1] - x + 1,
                url: url.to_string(),
            });
        };
        for (a, b) in id_runs(text) {
            let id: String = text[a..b].iter().collect();
            if let Some(url) = targets.jobs.get(&id) {
                push(a, b - a, url, &mut taken);
            }
        }
        for (name, url) in &targets.clusters {
            let needle: Vec<char> = name.chars().collect();
            if needle.is_empty() || needle.len() > text.len() {
                continue;
            }
            for start in 0..=text.len() - needle.len() {
                // The first char alone rules out almost every place (a call per cell was most
                // of a frame's link finding).
                if text[start] == needle[0]
                    && text[start..start + needle.len()] == needle[..]
                    && bounded(text, start, needle.len())
                {
                    push(start, needle.len(), url, &mut taken);
                }
            }
        }
    }
    out.sort_by_key(|s| (s.y, s.x));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    const ID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

    fn targets() -> LinkTargets {
        LinkTargets {
            jobs: HashMap::from([(ID.to_string(), job_url("http://jm:8081", ID, false))]),
            clusters: vec![
                ("prod/ns/orders".into(), "https://api/proxy/".into()),
                ("e2e".into(), "http://jm:8081/".into()),
            ],
        }
    }

    fn buffer(lines: &[&str]) -> Buffer {
        let w = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16;
        let mut b = Buffer::empty(Rect::new(0, 0, w, lines.len() as u16));
        for (y, l) in lines.iter().enumerate() {
            b.set_string(0, y as u16, l, ratatui::style::Style::default());
        }
        b
    }

    #[test]
    fn job_urls_follow_the_dashboard_routes() {
        assert_eq!(
            job_url("http://jm:8081", ID, false),
            format!("http://jm:8081/#/job/running/{ID}/overview")
        );
        assert_eq!(
            job_url("https://rm/proxy/application_1_2/", ID, true),
            format!("https://rm/proxy/application_1_2/#/job/completed/{ID}/overview")
        );
    }

    #[test]
    fn finds_ids_and_cluster_names_as_whole_words() {
        let b = buffer(&[
            &format!("e2e · {ID}  RUNNING"),
            "e2e-target on prod/ns/orders",
            &format!("x{ID} {ID}0 ab"),
        ]);
        let links = find_links(&b, &targets());
        let got: Vec<(u16, u16, u16, &str)> = links
            .iter()
            .map(|l| (l.x, l.y, l.width, l.url.as_str()))
            .collect();
        let job = format!("http://jm:8081/#/job/running/{ID}/overview");
        assert_eq!(
            got,
            vec![
                (0, 0, 3, "http://jm:8081/"),
                (6, 0, 32, job.as_str()),
                (14, 1, 14, "https://api/proxy/"),
            ],
            "e2e-target is not the cluster e2e; ids inside longer words are not linked"
        );
    }

    #[test]
    fn unknown_ids_and_no_targets_give_no_links() {
        let b = buffer(&["ffffffffffffffffffffffffffffffff"]);
        assert!(find_links(&b, &targets()).is_empty());
        assert!(find_links(&buffer(&[ID]), &LinkTargets::default()).is_empty());
    }
}
