//! Problems first after a poll: only the rows whose score moved are placed again
//! (`JobsState::poll_change` / `rescore`), and the result is the order a full rebuild gives.

use super::*;

const NOW: i64 = 1_700_000_000_000;

fn job(cluster: &str, name: &str, state: JobState) -> JobSummary {
    JobSummary::test_job(cluster, &format!("id-{name}"), name, state, NOW)
}

fn cluster(name: &str, jobs: Vec<JobSummary>) -> ClusterView {
    let mut c = ClusterView::new(
        ClusterRef {
            name: name.into(),
            kind: "standalone".into(),
            url: format!("http://{name}:8081"),
            location: None,
            web_url: None,
        },
        NOW,
    );
    c.jobs = jobs.into();
    c
}

/// Two clusters of healthy jobs `a`..`f` (`b` restarting), rebuilt under problems first.
fn fleet() -> (Vec<ClusterView>, JobsState) {
    let names = ["a", "b", "c", "d", "e", "f"];
    let jobs = |c: &str| {
        names
            .iter()
            .map(|n| {
                let s = if *n == "b" {
                    JobState::Restarting
                } else {
                    JobState::Running
                };
                job(c, n, s)
            })
            .collect::<Vec<_>>()
    };
    let clusters = vec![cluster("c1", jobs("c1")), cluster("c2", jobs("c2"))];
    let mut state = JobsState::default();
    state.rebuild(&clusters, &Managed::default(), NOW);
    (clusters, state)
}

fn names(state: &JobsState, clusters: &[ClusterView]) -> Vec<String> {
    state
        .rows
        .iter()
        .map(|r| {
            let j = state.summary(clusters, r);
            format!("{}/{}", j.cluster, j.name)
        })
        .collect()
}

/// What the console does with a poll of cluster `ci`: the change, then the list, then rows.
fn poll(state: &mut JobsState, clusters: &mut [ClusterView], ci: usize, new: Vec<JobSummary>) {
    let managed = Managed::default();
    let change = state.poll_change(&clusters[ci].jobs, &new, &managed, NOW);
    clusters[ci].jobs = new.into();
    match change {
        PollChange::Same => {}
        PollChange::Rescore(moved) => {
            if !state.rescore(clusters, ci, &moved, NOW) {
                state.rebuild(clusters, &managed, NOW);
            }
        }
        PollChange::Rebuild => state.rebuild(clusters, &managed, NOW),
    }
}

fn fresh(clusters: &[ClusterView], template: &JobsState) -> Vec<String> {
    let mut s = JobsState {
        reverse: template.reverse,
        ..JobsState::default()
    };
    s.rebuild(clusters, &Managed::default(), NOW);
    names(&s, clusters)
}

#[test]
fn a_rescored_row_moves_without_a_full_sort() {
    let (mut clusters, mut state) = fleet();
    assert_eq!(names(&state, &clusters)[..2], ["c1/b", "c2/b"]);
    assert_eq!(state.full_sorts, 1);
    // Select c1/d: the selection follows it wherever the rescored rows go.
    let d = state
        .rows
        .iter()
        .position(|r| state.summary(&clusters, r).name == "d" && r.source == RowSource::Job(0, 3))
        .expect("c1/d listed");
    state.select_at(d, &clusters);
    let mut new = clusters[1].jobs.to_vec();
    new[4].state = JobState::Failing; // c2/e: score 0 -> above b's
    new[1].state = JobState::Running; // c2/b: healthy again
    poll(&mut state, &mut clusters, 1, new);
    let got = names(&state, &clusters);
    assert_eq!(got[..2], ["c2/e", "c1/b"]);
    assert_eq!(
        got,
        fresh(&clusters, &state),
        "same order as a full rebuild"
    );
    assert_eq!(state.full_sorts, 1, "no full sort for two rescored rows");
    assert_eq!(state.rescored, 2);
    let sel = state.selected_job(&clusters).expect("a selection");
    assert_eq!((sel.cluster.as_str(), sel.name.as_str()), ("c1", "d"));
}

#[test]
fn an_unchanged_poll_keeps_the_rows_without_scoring() {
    let (mut clusters, mut state) = fleet();
    let before = state.rows.clone();
    let mut new = clusters[0].jobs.to_vec();
    // Columns that are not sorted on move (tasks, the detail's time): nothing to re-sort.
    new[2].tasks_running = 0;
    new[3].detail_at_ms = Some(NOW);
    let change = state.poll_change(&clusters[0].jobs, &new, &Managed::default(), NOW);
    assert_eq!(change, PollChange::Same);
    poll(&mut state, &mut clusters, 0, new);
    assert_eq!(state.rows, before);
    assert_eq!((state.full_sorts, state.rescored), (1, 0));
}

#[test]
fn rescoring_matches_a_rebuild_reversed_too() {
    for reverse in [false, true] {
        let (mut clusters, mut state) = fleet();
        state.reverse = reverse;
        state.rebuild(&clusters, &Managed::default(), NOW);
        let states = [
            JobState::Failing,
            JobState::Running,
            JobState::Suspended,
            JobState::Restarting,
            JobState::Running,
            JobState::Initializing,
        ];
        for round in 0..6 {
            let ci = round % 2;
            let mut new = clusters[ci].jobs.to_vec();
            for (i, j) in new.iter_mut().enumerate() {
                j.state = states[(i + round) % states.len()].clone();
            }
            poll(&mut state, &mut clusters, ci, new);
            assert_eq!(
                names(&state, &clusters),
                fresh(&clusters, &state),
                "round {round}, reverse {reverse}"
            );
        }
        assert_eq!(
            state.full_sorts, 2,
            "only the two rebuilds before the polls"
        );
        assert!(state.rescored > 0);
    }
}

#[test]
fn grouped_rows_or_a_new_job_rebuild() {
    let (clusters, mut state) = fleet();
    let mut new = clusters[0].jobs.to_vec();
    new[0].state = JobState::Failing;
    let managed = Managed::default();
    assert_eq!(
        state.poll_change(&clusters[0].jobs, &new, &managed, NOW),
        PollChange::Rescore(vec![0])
    );
    // Group headers count problems: a score change recounts them.
    state.group = GroupBy::Cluster;
    assert_eq!(
        state.poll_change(&clusters[0].jobs, &new, &managed, NOW),
        PollChange::Rebuild
    );
    state.group = GroupBy::None;
    let mut longer = clusters[0].jobs.to_vec();
    longer.push(job("c1", "g", JobState::Running));
    assert_eq!(
        state.poll_change(&clusters[0].jobs, &longer, &managed, NOW),
        PollChange::Rebuild
    );
    // Another sort: a score change alone leaves the rows.
    state.sort = SortColumn::Name;
    assert_eq!(
        state.poll_change(&clusters[0].jobs, &new, &managed, NOW),
        PollChange::Same
    );
}
