//! A console action that outlives `[ui] action_timeout` is reported as timed out (never "running"
//! forever), through the same workers the console uses. The cluster is a socket that accepts
//! connections and never answers (a hung JobManager), with a request timeout far longer than the
//! action timeout, so only the action timeout can end the stop.

use std::time::Duration;

use flinkdeck::cli::setup::Context;
use flinkdeck::domain::{
    ActionOutcome, ActionRequest, ActionTarget, JobKey, WorkerReply, WorkerRequest,
};
use flinkdeck::service::spawn_workers;

#[test]
fn an_action_that_outlives_its_timeout_says_so() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accept and hold every connection, answer nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            held.push(s);
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[ui]\nrefresh = \"1s\"\naction_timeout = \"1s\"\n\n[[clusters]]\nname = \"hung\"\n\
             url = \"http://127.0.0.1:{port}\"\ntimeout = \"60s\"\n"
        ),
    )
    .expect("write config");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let outcome = rt.block_on(async {
        let ctx = Context::load(Some(&config), Some(dir.path())).expect("config");
        let store = ctx.open_store().expect("store");
        let ops = ctx.ops_with(store.clone(), false, true).expect("ops");
        let mut workers =
            spawn_workers(&ctx.clusters, Some(store), ctx.config.ui.refresh, Some(ops));
        let action = ActionRequest::Stop {
            target: ActionTarget::Job(JobKey::new("hung", "0123456789abcdef0123456789abcdef")),
            drain: false,
            savepoint_dir: None,
            no_savepoint: false,
        };
        workers
            .requests
            .send(WorkerRequest::RunAction { action, request: 7 })
            .await
            .expect("send");
        let wait = async {
            while let Some(reply) = workers.replies.recv().await {
                if let WorkerReply::ActionFinished {
                    request: 7,
                    outcome,
                } = reply
                {
                    return Some(outcome);
                }
            }
            None
        };
        tokio::time::timeout(Duration::from_secs(30), wait).await
    });
    let outcome = outcome
        .expect("the action finished within 30 s (its timeout is 1 s)")
        .expect("an outcome");
    match outcome {
        ActionOutcome::Failed { reason } => {
            assert!(reason.contains("timed out after 1s"), "{reason}");
            assert!(reason.contains("journaled"), "{reason}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
}
