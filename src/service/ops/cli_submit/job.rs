//! Finding the job a CLI submission started when the client prints no job id (application
//! clusters): through the created cluster's REST API, once discovery lists it.

use std::time::Duration;

use crate::service::ops::actions::POLL;
use crate::service::ops::{OpsContext, Progress};

/// How long a created application cluster's REST may take to list the job.
const JOB_WAIT: Duration = Duration::from_secs(180);

/// The job of an application cluster, once its REST API lists one.
pub(super) async fn find_job(
    ctx: &OpsContext,
    run_cluster: &str,
    app: &str,
    progress: Progress<'_>,
) -> Result<String, String> {
    let wait = job_wait();
    progress(format!(
        "waiting up to {}s for {run_cluster} to list the job",
        wait.as_secs()
    ));
    let start = std::time::Instant::now();
    let mut last = String::from("the cluster was not found");
    loop {
        if ctx.clusters.has_discovery() {
            ctx.clusters.discover().await;
        }
        if let Some(h) = ctx.clusters.get(run_cluster) {
            match h.rest.jobs_overview(run_cluster).await {
                Ok(jobs) => match pick_app_job(&jobs, app) {
                    Ok(id) => return Ok(id),
                    Err(why) => last = why,
                },
                Err(e) => last = format!("its JobManager REST does not answer ({e})"),
            }
        }
        if start.elapsed() > wait {
            return Err(format!("{run_cluster}: {last} after {}s", wait.as_secs()));
        }
        tokio::time::sleep(POLL * 2).await;
    }
}

/// The job of app `app` among the jobs an application cluster lists: the newest job not yet
/// ended whose name is the app's, else the cluster's only job (an application cluster runs its
/// program's jobs, whatever the program names them). Several jobs and none named like the app is
/// ambiguous: an error that names them.
fn pick_app_job(jobs: &[crate::domain::JobSummary], app: &str) -> Result<String, String> {
    let newest = |it: &mut dyn Iterator<Item = &crate::domain::JobSummary>| {
        it.max_by_key(|j| j.start_time).map(|j| j.id.clone())
    };
    if let Some(id) = newest(
        &mut jobs
            .iter()
            .filter(|j| j.name == app && !j.state.is_terminal()),
    ) {
        return Ok(id);
    }
    if let Some(id) = newest(&mut jobs.iter().filter(|j| j.name == app)) {
        return Ok(id);
    }
    match jobs {
        [] => Err("its JobManager lists no job yet".to_string()),
        [only] => Ok(only.id.clone()),
        _ => Err(format!(
            "none of its {} jobs is named {app:?} ({})",
            jobs.len(),
            jobs.iter()
                .map(|j| format!("{} {:?}", j.id, j.name))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// [`JOB_WAIT`]; debug builds (the test suite's) take `FLINKDECK_TEST_JOB_WAIT_SECS`.
fn job_wait() -> Duration {
    #[cfg(debug_assertions)]
    if let Some(s) = std::env::var("FLINKDECK_TEST_JOB_WAIT_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        return Duration::from_secs(s);
    }
    JOB_WAIT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(
        id: &str,
        name: &str,
        state: crate::domain::JobState,
        start: i64,
    ) -> crate::domain::JobSummary {
        crate::domain::JobSummary {
            cluster: "k8s/ns/c".into(),
            id: id.into(),
            name: name.into(),
            state,
            start_time: start,
            end_time: None,
            duration_ms: 0,
            last_modification: start,
            tasks_running: 0,
            tasks_total: 0,
            last_checkpoint: None,
            restarts: None,
            stale: false,
            detail_at_ms: None,
            vitals: None,
        }
    }

    #[test]
    fn the_app_job_is_the_newest_live_one_named_like_the_app_or_the_only_one() {
        use crate::domain::JobState::{Finished, Running};
        let jobs = [
            job("old", "orders", Finished, 10),
            job("other", "clicks", Running, 30),
            job("new", "orders", Running, 20),
            job("newer-ended", "orders", Finished, 40),
        ];
        assert_eq!(pick_app_job(&jobs, "orders").as_deref(), Ok("new"));
        assert_eq!(
            pick_app_job(&jobs[..1], "orders").as_deref(),
            Ok("old"),
            "an ended job named like the app when there is no live one"
        );
        assert_eq!(pick_app_job(&jobs[1..2], "orders").as_deref(), Ok("other"));
        let err = pick_app_job(&jobs[1..3], "payments").unwrap_err();
        assert!(
            err.contains("none of its 2 jobs") && err.contains("clicks"),
            "{err}"
        );
        assert!(pick_app_job(&[], "orders")
            .unwrap_err()
            .contains("no job yet"));
    }
}
