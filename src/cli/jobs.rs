//! `flinkdeck jobs [--cluster NAME] [--state STATE] [--team T] [--tag T] [--filter EXPR]
//! [--view NAME] [--json]`: the jobs of every cluster. JSON rows of managed apps carry `app`,
//! `team` and `tags`; unmanaged jobs with local tags (set in the console) carry `tags`.

use futures_util::future::join_all;

use super::filter_args::{FilterArgs, Labels};
use super::setup::Context;
use super::{
    print_json, report_discovery_problems, report_unreachable, select_clusters, table, Exit,
};
use crate::backend::ClusterHandle;
use crate::domain::filter::StateMatch;
use crate::domain::filter::Subject;
use crate::domain::job_health::assess;
use crate::domain::time::{format_age, format_duration_ms, now_ms};
use crate::domain::{CheckpointStatus, JobSummary};
use crate::service::{poll_cluster, ClusterPoll, DetailCache, PollOptions, VitalsMode};
use crate::store::{PollRound, Store, StoreHandle};

/// A row of `jobs --json`: the job as before, plus what the store knows about it.
#[derive(Debug, serde::Serialize)]
struct JobOut<'a> {
    #[serde(flatten)]
    job: &'a JobSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
}

/// The app, team and tags of `j` as `labels` know them.
fn label<'a>(labels: &'a Labels, j: &'a JobSummary) -> JobOut<'a> {
    match labels.app_of(&j.cluster, &j.id) {
        Some((app, summary)) => JobOut {
            job: j,
            app: Some(app),
            team: summary.and_then(|s| s.team.as_deref()),
            tags: summary.map_or(&[][..], |s| s.tags.as_slice()),
        },
        None => JobOut {
            job: j,
            app: None,
            team: None,
            tags: labels.local_tags(&j.cluster, &j.name),
        },
    }
}

pub async fn run(
    ctx: &Context,
    cluster: Option<&str>,
    state: Option<&str>,
    select: &FilterArgs,
    json: bool,
) -> Exit {
    let filter = match state.map(StateMatch::parse).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("flinkdeck: --state: {e}");
            return Exit::Usage;
        }
    };
    let expr = match select.build(&ctx.config) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("flinkdeck: {e}");
            return Exit::Usage;
        }
    };
    let handles = match select_clusters(ctx, cluster) {
        Ok(h) => h,
        Err(e) => return e,
    };
    // With a data directory, the store gives the final detail of finished jobs (never fetched
    // again) and known restart counts (confirmed by one aggregated request), and keeps what
    // this poll learns. Active jobs' checkpoints are always fetched: a one-shot command has no
    // budget (see README, "Speed").
    let store = ctx
        .data_dir
        .as_ref()
        .filter(|d| d.is_dir())
        .and_then(|_| ctx.open_store().ok());
    let polls = join_all(handles.iter().map(|h| poll_one(h, store.as_ref()))).await;
    let mut exit = if report_discovery_problems(ctx, cluster) {
        Exit::Unreachable
    } else {
        Exit::Ok
    };
    let mut jobs: Vec<JobSummary> = Vec::new();
    for poll in polls {
        match poll.jobs {
            Ok(js) => jobs.extend(js),
            Err(e) => {
                report_unreachable(&poll.cluster, &e.to_string());
                exit = Exit::Unreachable;
            }
        }
        for e in &poll.partial {
            eprintln!("flinkdeck: cluster {}: {e}", poll.cluster);
        }
    }
    if let Some(f) = &filter {
        jobs.retain(|j| f.matches(&j.state));
    }
    let labels = match &store {
        Some(store) => store.call(Labels::load).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "cannot read the apps and tags of jobs");
            Labels::default()
        }),
        None => Labels::default(),
    };
    let rows: Vec<JobOut<'_>> = jobs
        .iter()
        .map(|j| label(&labels, j))
        .filter(|r| {
            expr.matches(&Subject {
                name: &r.job.name,
                id: &r.job.id,
                cluster: &r.job.cluster,
                state: Some(&r.job.state),
                app: r.app,
                team: r.team,
                tags: r.tags,
            })
        })
        .collect();
    if json {
        let now = now_ms();
        let rows: Vec<JobJson> = rows
            .iter()
            .map(|out| {
                let h = assess(out.job, now);
                JobJson {
                    out,
                    health_score: h.score,
                    problems: h.problems.into_iter().map(|p| p.reason).collect(),
                }
            })
            .collect();
        if print_json(&rows) == Exit::Failed {
            return Exit::Failed;
        }
    } else {
        let shown: Vec<JobSummary> = rows.iter().map(|r| r.job.clone()).collect();
        print!("{}", human(&shown, now_ms()));
    }
    exit
}

/// One job of `jobs --json`: the summary's fields plus its health (added fields only).
#[derive(serde::Serialize)]
struct JobJson<'a> {
    #[serde(flatten)]
    out: &'a JobOut<'a>,
    /// `domain::job_health` score, 0 = healthy.
    health_score: u32,
    /// The problems' short reasons, worst first (`ckpt 14m`, `restarts 5/10m`).
    problems: Vec<String>,
}

/// Polls one cluster with what the store knows, and records the result.
async fn poll_one(handle: &ClusterHandle, store: Option<&StoreHandle>) -> ClusterPoll {
    let mut cache = DetailCache::default();
    let name = handle.name().to_string();
    if let Some(store) = store {
        let cluster = name.clone();
        if let Ok(known) = store
            .call(move |s: &mut Store| s.known_jobs(&cluster))
            .await
        {
            cache.seed(&known);
        }
    }
    // The checkpoint interval too, for the health score (`health_score`, `problems`).
    let opts = PollOptions {
        vitals: VitalsMode::Checkpoints,
        ..PollOptions::default()
    };
    let mut poll = poll_cluster(handle, opts, Some(&mut cache)).await;
    if let (Some(store), Ok(jobs)) = (store, &poll.jobs) {
        // One transaction for the jobs and every job's checkpoints (one per job made the
        // store's commits most of the time of a first run over thousands of jobs).
        let round = PollRound {
            cluster: name,
            seen_at_ms: now_ms(),
            health: Vec::new(),
            jobs: Some(std::sync::Arc::new(jobs.clone())),
            checkpoints: std::mem::take(&mut poll.checkpoints)
                .into_iter()
                .map(|c| (c.job_id, c.job_name, c.entries))
                .collect(),
        };
        let res = store
            .call(move |s: &mut Store| s.record_round(&round).map(|_| ()))
            .await;
        if let Err(e) = res {
            tracing::warn!(cluster = %handle.name(), error = %e, "cannot record jobs in the store");
        }
    }
    poll
}

fn human(jobs: &[JobSummary], now: i64) -> String {
    let rows: Vec<Vec<String>> = jobs
        .iter()
        .map(|j| {
            let cp = match &j.last_checkpoint {
                None => "-".to_string(),
                Some(c) => {
                    let status = match c.status {
                        CheckpointStatus::Completed => "ok",
                        CheckpointStatus::Failed => "FAILED",
                        CheckpointStatus::InProgress => "in progress",
                    };
                    format!("#{} {} {}", c.id, status, format_age(now, c.completed_at))
                }
            };
            vec![
                j.cluster.clone(),
                j.id.clone(),
                j.name.clone(),
                j.state.to_string(),
                format_duration_ms(j.duration_ms),
                format!("{}/{}", j.tasks_running, j.tasks_total),
                j.restarts.map_or("-".into(), |r| r.to_string()),
                cp,
            ]
        })
        .collect();
    table::render(
        &[
            "CLUSTER",
            "JOB ID",
            "NAME",
            "STATE",
            "UPTIME",
            "TASKS",
            "RESTARTS",
            "LAST CHECKPOINT",
        ],
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JobState;

    #[test]
    fn state_filter_parses_and_matches() {
        assert_eq!(
            StateMatch::parse("running").unwrap(),
            StateMatch::Is(JobState::Running)
        );
        assert!(StateMatch::parse("active")
            .unwrap()
            .matches(&JobState::Restarting));
        assert!(!StateMatch::parse("active")
            .unwrap()
            .matches(&JobState::Finished));
        let err = StateMatch::parse("runing").unwrap_err();
        assert!(err.contains("RESTARTING"), "{err}");
    }
}
