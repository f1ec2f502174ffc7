//! OSC 8 hyperlinks on job ids and cluster names. The views draw plain text; after a frame the
//! runtime finds the linkable texts in the drawn buffer ([`find_links`]) and writes those cells
//! again wrapped in OSC 8, so the buffer's cell widths never contain escape sequences.
//!
//! A job id links to `<web UI>#/job/running/<id>/overview` (`completed` for a job in a terminal
//! state), the route of Flink's web dashboard in 1.20 and 2.x; a cluster name links to its Web
//! UI (its `web_url`, else its REST address: for Kubernetes the API server's service proxy, for
//! YARN the ResourceManager's proxy).

use std::collections::HashMap;

use ratatui::buffer::Buffer;

use super::app::App;

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
pub(crate) struct LinkSpan {
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
    /// Every job id and cluster name that links somewhere (clusters without a known Web UI do
    /// not).
    pub(crate) fn link_targets(&self) -> LinkTargets {
        let mut t = LinkTargets::default();
        for c in &self.clusters {
            let Some(base) = c.cref.web_url.as_deref().filter(|u| !u.is_empty()) else {
                continue;
            };
            t.clusters.push((c.name().to_string(), dir(base)));
            for j in &c.jobs {
                t.jobs
                    .insert(j.id.clone(), job_url(base, &j.id, j.state.is_terminal()));
            }
        }
        // Longer names first, so that `a/b` wins over `a` where both match.
        t.clusters.sort_by_key(|c| std::cmp::Reverse(c.0.len()));
        t
    }
}

/// Characters that continue a name or an id (a match must not be part of a longer word).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')
}

/// The linkable texts drawn in `buf`: 32-hex-digit job ids and cluster names, whole words only.
pub(crate) fn find_links(buf: &Buffer, targets: &LinkTargets) -> Vec<LinkSpan> {
    let area = buf.area;
    let mut out = Vec::new();
    if targets.jobs.is_empty() && targets.clusters.is_empty() {
        return out;
    }
    for y in area.top()..area.bottom() {
        // The row's text, and the column each character came from.
        let mut chars: Vec<(char, u16)> = Vec::with_capacity(area.width as usize);
        for x in area.left()..area.right() {
            let Some(cell) = buf.cell((x, y)) else {
                continue;
            };
            let mut sym = cell.symbol().chars();
            match (sym.next(), sym.next()) {
                (Some(c), None) => chars.push((c, x)),
                // A wide or combined symbol, or the blank half of a wide one: never in an id.
                _ => chars.push(('\u{0}', x)),
            }
        }
        let text: Vec<char> = chars.iter().map(|(c, _)| *c).collect();
        let mut taken = vec![false; text.len()];
        let mut push = |start: usize, len: usize, url: &str, taken: &mut Vec<bool>| {
            if taken[start..start + len].iter().any(|t| *t) {
                return;
            }
            taken[start..start + len].iter_mut().for_each(|t| *t = true);
            let x = chars[start].1;
            out.push(LinkSpan {
                x,
                y,
                width: chars[start + len - 1].1 - x + 1,
                url: url.to_string(),
            });
        };
        let bounded = |start: usize, len: usize| {
            (start == 0 || !word_char(text[start - 1]))
                && text.get(start + len).is_none_or(|c| !word_char(*c))
        };
        // Job ids: runs of exactly 32 hex digits.
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
            if i - start == 32 && bounded(start, 32) {
                let id: String = text[start..i].iter().collect();
                if let Some(url) = targets.jobs.get(&id) {
                    push(start, 32, url, &mut taken);
                }
            }
        }
        // Cluster names.
        for (name, url) in &targets.clusters {
            let needle: Vec<char> = name.chars().collect();
            if needle.is_empty() || needle.len() > text.len() {
                continue;
            }
            for start in 0..=text.len() - needle.len() {
                if text[start..start + needle.len()] == needle[..] && bounded(start, needle.len()) {
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
