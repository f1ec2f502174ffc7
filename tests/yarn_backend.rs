//! The YARN backend end to end. No YARN ResourceManager can be installed on the test machines, so
//! a fake ResourceManager (`tests/fake_yarn`) stands in for YARN: it serves the RM REST shapes
//! (apps list with filters and `{"apps":null}`, app, state GET/PUT with 202 then 200, cluster
//! info with the HA state, a standby's 307) and the RM web proxy, which forwards only GET and
//! PUT. The Flink behind the proxy is real: Flink 2.3.0 and 1.20.5 clusters started by
//! `scripts/flink-local.sh` (see `tests/common/mod.rs`), whose REST address the fake reports as
//! the application's `amRPCAddress`. The CLI runs as the real binary with a `kind = "yarn"`
//! config entry. (The real `flink` CLI cannot talk to a fake RM, so it is not used.)

mod common;
#[path = "fake_yarn/mod.rs"]
mod fake_yarn;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{
    cli, closed_port, console, ensure_cluster, hyperlink_ending, json_of, ok_stdout, stderr,
    stdout, submit_demo, unique, wait_for, V1, V2, VERSIONS,
};
use fake_yarn::{now_ms, FakeApp, FakeYarn, Ha};
use serde_json::Value;

const SESSION: &str = "Flink session cluster";
const APPLICATION: &str = "Flink Application Cluster";

/// A config with one `kind = "yarn"` entry `yarn` (ResourceManager `url`, optional standby
/// RMs), user `flink`.
fn yarn_config(dir: &Path, url: &str, standby: &[&str]) -> PathBuf {
    let mut text = format!(
        "[ui]\nrefresh = \"1s\"\n\n[[clusters]]\nname = \"yarn\"\nkind = \"yarn\"\n\
         url = {url:?}\nuser = \"flink\"\ntimeout = \"10s\"\n"
    );
    if !standby.is_empty() {
        let list: Vec<String> = standby.iter().map(|u| format!("{u:?}")).collect();
        text.push_str(&format!("standby_urls = [{}]\n", list.join(", ")));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

fn rows_by_name(rows: &Value) -> std::collections::BTreeMap<String, Value> {
    rows.as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default().to_string(),
                r.clone(),
            )
        })
        .collect()
}

/// Methods the fake saw on `/proxy/...` paths.
fn proxy_methods(fake: &FakeYarn) -> Vec<(String, String)> {
    fake.requests()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/proxy/"))
        .collect()
}

fn app_id(n: u32) -> String {
    format!("application_1700000000000_{n:04}")
}

#[test]
fn lists_flink_applications_with_yarn_fields_and_reads_both_versions_through_the_proxy() {
    let jobs: Vec<(String, String)> = VERSIONS
        .iter()
        .map(|v| (v.to_string(), common::shared_demo_job(v, "yarn")))
        .collect();
    let fake = FakeYarn::start(Ha::Active);
    // A session cluster on Flink 2.3.0, an application cluster on Flink 1.20.5, one waiting for
    // resources, one that ended an hour ago (listed), one that ended a day ago (not listed), and
    // a MapReduce job (not Flink).
    fake.add_app(FakeApp::running(&app_id(1), SESSION, &ensure_cluster(V2)));
    let mut app = FakeApp::running(&app_id(2), APPLICATION, &ensure_cluster(V1));
    app.queue = "streaming".into();
    app.user = "etl".into();
    fake.add_app(app);
    let mut waiting = FakeApp::running(&app_id(3), SESSION, "http://127.0.0.1:1");
    waiting.state = "ACCEPTED".into();
    waiting.am_rpc = "N/A".into();
    waiting.proxy_to = None;
    waiting.diagnostics = "[Mon Jan 01] Application is added to the scheduler and is not yet activated. Queue's AM resource limit exceeded.".into();
    fake.add_app(waiting);
    let mut failed = FakeApp::running(&app_id(4), APPLICATION, "http://127.0.0.1:1");
    failed.state = "FAILED".into();
    failed.final_status = "FAILED".into();
    failed.finished_ms = now_ms() - 3_600_000;
    failed.diagnostics = "Application application_1700000000000_0004 failed 1 times due to AM Container exited with exitCode: 1".into();
    fake.add_app(failed);
    let mut old = FakeApp::running(&app_id(5), SESSION, "http://127.0.0.1:1");
    old.state = "FINISHED".into();
    old.final_status = "SUCCEEDED".into();
    old.finished_ms = now_ms() - 24 * 3_600_000;
    fake.add_app(old);
    let mut mr = FakeApp::running(&app_id(6), "word count", "http://127.0.0.1:1");
    mr.app_type = "MAPREDUCE".into();
    fake.add_app(mr);

    let dir = tempfile::tempdir().expect("tempdir");
    let config = yarn_config(dir.path(), &fake.url(), &[]);
    let args = ["clusters", "--json"];
    let out = cli(&config, dir.path(), &args);
    // The ACCEPTED application has no JobManager yet: unreachable, so exit 3.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rows = rows_by_name(&json_of(&args, &stdout(&out)));
    let names: Vec<&str> = rows.keys().map(String::as_str).collect();
    let expected: Vec<String> = [1, 2, 3, 4]
        .iter()
        .map(|n| format!("yarn/{}", app_id(*n)))
        .collect();
    assert_eq!(
        names, expected,
        "only Flink apps, RUNNING/ACCEPTED and recently ended"
    );

    let session = &rows[&expected[0]];
    assert_eq!(session["kind"], "yarn");
    assert_eq!(session["status"], "LIVE", "{session}");
    assert_eq!(session["flink_version"], V2);
    assert_eq!(session["app_name"], SESSION);
    assert_eq!(session["queue"], "default");
    assert_eq!(session["user"], "flink");
    assert_eq!(session["yarn_state"], "RUNNING");
    assert_eq!(session["flavor"], "yarn-session");
    assert_eq!(
        session["url"],
        format!("{}/proxy/{}/", fake.url(), app_id(1)),
        "{session}"
    );
    let application = &rows[&expected[1]];
    assert_eq!(application["flink_version"], V1);
    assert_eq!(application["flavor"], "yarn-app");
    assert_eq!(application["queue"], "streaming");
    assert_eq!(application["user"], "etl");
    let accepted = &rows[&expected[2]];
    assert_eq!(accepted["status"], "UNREACHABLE");
    assert_eq!(accepted["yarn_state"], "ACCEPTED");
    let why = accepted["error"].as_str().unwrap_or_default();
    assert!(
        why.starts_with("YARN ACCEPTED: waiting for resources: ")
            && why.contains("Queue's AM resource limit exceeded"),
        "{accepted}"
    );
    let ended = &rows[&expected[3]];
    assert_eq!(ended["yarn_state"], "FAILED");
    assert_eq!(ended["final_status"], "FAILED");
    let problem = ended["platform_problem"].as_str().unwrap_or_default();
    assert!(
        problem.starts_with("YARN FAILED (final status FAILED): ")
            && problem.contains("AM Container exited with exitCode: 1"),
        "{ended}"
    );
    // The proxy redirects for an ended application: said as such.
    assert!(
        ended["error"]
            .as_str()
            .unwrap_or_default()
            .contains("has ended"),
        "{ended}"
    );
    // Both lists carried the Flink type and user.name; the ended one the window.
    let lists: Vec<String> = fake
        .requests()
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.starts_with("/ws/v1/cluster/apps?"))
        .collect();
    assert!(
        lists.iter().any(|p| p.contains("states=ACCEPTED%2CRUNNING")
            && p.contains("applicationTypes=Apache+Flink")
            && p.contains("user.name=flink")),
        "{lists:?}"
    );
    assert!(
        lists
            .iter()
            .any(|p| p.contains("states=FINISHED%2CFAILED%2CKILLED")
                && p.contains("finishedTimeBegin=")),
        "{lists:?}"
    );

    // Jobs, checkpoints, exceptions and logs of both versions through the proxy.
    for ((version, job), cluster) in jobs.iter().zip(&expected[..2]) {
        let args = ["jobs", "--cluster", cluster.as_str(), "--json"];
        let listed = wait_for(
            &format!("{version}: job {job} listed through the proxy"),
            Duration::from_secs(60),
            || {
                let out = cli(&config, dir.path(), &args);
                let v = json_of(&args, &ok_stdout(&args, &out));
                v.as_array()
                    .and_then(|a| a.iter().find(|j| j["id"] == job.as_str()).cloned())
            },
        );
        assert_eq!(listed["cluster"], cluster.as_str(), "{listed}");
        let args = [
            "checkpoints",
            job.as_str(),
            "--cluster",
            cluster.as_str(),
            "--json",
        ];
        let out = cli(&config, dir.path(), &args);
        let cp = json_of(&args, &ok_stdout(&args, &out));
        assert!(cp.is_object(), "{version}: {cp}");
        let args = ["logs", "--cluster", cluster.as_str(), "--list", "--json"];
        let out = cli(&config, dir.path(), &args);
        let list = ok_stdout(&args, &out);
        assert!(list.contains("jobmanager"), "{version}: {list}");
        let args = ["logs", "--cluster", cluster.as_str(), "--bytes", "65536"];
        let out = cli(&config, dir.path(), &args);
        let log = ok_stdout(&args, &out);
        assert!(
            log.contains("org.apache.flink"),
            "{version}: the JobManager log through the proxy: {}",
            &log[..log.len().min(400)]
        );
        let prefix = format!("/proxy/{}/", cluster.trim_start_matches("yarn/"));
        let seen = proxy_methods(&fake);
        for path in ["jobs/overview", "checkpoints", "jobmanager/log"] {
            assert!(
                seen.iter()
                    .any(|(m, p)| m == "GET" && p.starts_with(&prefix) && p.contains(path)),
                "{version}: no GET {prefix}...{path} in {seen:?}"
            );
        }
    }
    let args = [
        "checkpoints",
        jobs[0].1.as_str(),
        "--cluster",
        expected[0].as_str(),
        "--json",
    ];
    let out = cli(&config, dir.path(), &args);
    ok_stdout(&args, &out);
    assert!(
        proxy_methods(&fake).iter().all(|(m, _)| m == "GET"),
        "reads only GET through the proxy"
    );
}

#[test]
fn empty_app_list_is_null_and_means_no_clusters() {
    let fake = FakeYarn::start(Ha::Active);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = yarn_config(dir.path(), &fake.url(), &[]);
    let args = ["clusters", "--json"];
    let out = cli(&config, dir.path(), &args);
    let rows = json_of(&args, &ok_stdout(&args, &out));
    assert_eq!(rows, serde_json::json!([]));
    let bodies = fake.list_bodies();
    assert!(
        !bodies.is_empty() && bodies.iter().all(|b| b == r#"{"apps":null}"#),
        "{bodies:?}"
    );
}

#[test]
fn resource_manager_down_is_unreachable_with_exit_3() {
    let port = closed_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = yarn_config(dir.path(), &format!("http://127.0.0.1:{port}"), &[]);
    let args = ["clusters", "--json"];
    let out = cli(&config, dir.path(), &args);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rows = json_of(&args, &stdout(&out));
    let row = &rows[0];
    assert_eq!(row["name"], "yarn");
    assert_eq!(row["kind"], "yarn");
    assert_eq!(row["status"], "UNREACHABLE");
    let error = row["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("no active ResourceManager") && error.contains(&port.to_string()),
        "{row}"
    );
    assert!(error.starts_with("refused"), "{row}");
    assert!(
        stderr(&out).contains("cluster yarn unreachable"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn standby_resource_manager_fails_over_to_standby_urls() {
    let active = FakeYarn::start(Ha::Active);
    active.add_app(FakeApp::running(&app_id(11), SESSION, &ensure_cluster(V2)));
    let standby = FakeYarn::start(Ha::Standby { active: None });
    let dir = tempfile::tempdir().expect("tempdir");
    // `url` is the standby: the active one among standby_urls serves.
    let config = yarn_config(dir.path(), &standby.url(), &[&active.url()]);
    let args = ["clusters", "--json"];
    let out = cli(&config, dir.path(), &args);
    let rows = json_of(&args, &ok_stdout(&args, &out));
    assert_eq!(rows[0]["name"], format!("yarn/{}", app_id(11)));
    assert_eq!(rows[0]["status"], "LIVE", "{rows}");
    assert_eq!(
        rows[0]["url"],
        format!("{}/proxy/{}/", active.url(), app_id(11))
    );
    // The standby was asked who it is, and nothing was listed there.
    let asked: Vec<String> = standby.requests().into_iter().map(|(_, p)| p).collect();
    assert!(
        asked.iter().all(|p| p.starts_with("/ws/v1/cluster/info")),
        "{asked:?}"
    );
    assert!(!asked.is_empty());

    // A standby that knows the active one answers REST calls with 307 + Location (followed);
    // with the other RM down, the entry is UNREACHABLE and says why for each RM.
    let port = closed_port();
    let config = yarn_config(
        dir.path(),
        &standby.url(),
        &[&format!("http://127.0.0.1:{port}")],
    );
    let out = cli(&config, dir.path(), &args);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let rows = json_of(&args, &stdout(&out));
    let error = rows[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("in STANDBY (haState)") && error.contains(&port.to_string()),
        "{rows}"
    );
}

#[test]
fn standby_redirect_is_followed_for_resource_manager_calls() {
    let active = FakeYarn::start(Ha::Active);
    let id = app_id(21);
    active.add_app(FakeApp::running(&id, SESSION, &ensure_cluster(V1)));
    let standby = FakeYarn::start(Ha::Standby {
        active: Some(active.url()),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = yarn_config(dir.path(), &active.url(), &[&standby.url()]);
    let args = ["clusters", "--json"];
    let out = cli(&config, dir.path(), &args);
    ok_stdout(&args, &out);
    // The active RM turns standby (pointing at the other one, which is now active).
    active.set_ha(Ha::Standby {
        active: Some(standby.url()),
    });
    standby.set_ha(Ha::Active);
    standby.add_app(FakeApp::running(&id, SESSION, &ensure_cluster(V1)));
    let out = cli(&config, dir.path(), &args);
    let rows = json_of(&args, &ok_stdout(&args, &out));
    assert_eq!(
        rows[0]["url"],
        format!("{}/proxy/{id}/", standby.url()),
        "{rows}"
    );
}

/// A console keeps its cluster handles across RM failover: once the RM it discovered the
/// application through is gone and a standby has taken over, the same handle's Flink reads go
/// through the new active RM's proxy (the registry and the transport share which RM is active).
#[test]
fn reads_of_a_discovered_application_follow_an_rm_failover() {
    let first = FakeYarn::start(Ha::Active);
    let id = app_id(22);
    let flink = ensure_cluster(V2);
    first.add_app(FakeApp::running(&id, SESSION, &flink));
    let second = FakeYarn::start(Ha::Standby {
        active: Some(first.url()),
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let path = yarn_config(dir.path(), &first.url(), &[&second.url()]);
    let config = flinkdeck::config::Config::load(&path).expect("load config");
    let clusters = flinkdeck::backend::Clusters::from_config(&config).expect("clusters");
    common::rt().block_on(clusters.discover());
    let name = format!("yarn/{id}");
    let handle = clusters.get(&name).expect("discovered application");
    common::rt()
        .block_on(handle.rest.jobs_overview(&name))
        .expect("jobs through the first RM's proxy");
    // The first RM goes away; the second one becomes active and knows the application.
    drop(first);
    second.set_ha(Ha::Active);
    second.add_app(FakeApp::running(&id, SESSION, &flink));
    // A poll asks YARN for the application's state, which finds the active RM.
    let platform = common::rt().block_on(handle.backend.platform_status());
    let yarn = platform.and_then(|p| p.yarn).expect("YARN status");
    assert_eq!(yarn.rm_error, None, "{yarn:?}");
    common::rt()
        .block_on(handle.rest.jobs_overview(&name))
        .expect("jobs through the second RM's proxy");
    let proxied: Vec<String> = second
        .requests()
        .into_iter()
        .filter(|(m, p)| m == "GET" && p.starts_with(&format!("/proxy/{id}/")))
        .map(|(_, p)| p)
        .collect();
    assert!(
        proxied.iter().any(|p| p.contains("jobs/overview")),
        "the second RM's proxy saw {proxied:?}"
    );
}

/// A fresh steady job on `version`'s cluster and its YARN application on a fake RM.
fn yarn_job(version: &str, app: FakeApp) -> (FakeYarn, String) {
    let url = ensure_cluster(version);
    let job = submit_demo(
        version,
        &url,
        "steady",
        &unique(&format!("yarn-stop-{version}")),
    );
    let c = common::client(&url);
    wait_for(
        &format!("{version}: job {job} running"),
        Duration::from_secs(60),
        || {
            let jobs = common::rt().block_on(c.jobs_overview("x")).ok()?;
            // Every task running: a stop with savepoint before that is refused by Flink.
            jobs.iter()
                .any(|j| {
                    j.id == job
                        && j.state == flinkdeck::domain::JobState::Running
                        && j.tasks_total > 0
                        && j.tasks_running == j.tasks_total
                })
                .then_some(())
        },
    );
    let fake = FakeYarn::start(Ha::Active);
    fake.add_app(app);
    (fake, job)
}

#[test]
fn stop_with_savepoint_goes_to_the_am_address_never_through_the_proxy() {
    for (n, version) in VERSIONS.iter().enumerate() {
        let id = app_id(31 + n as u32);
        let (fake, job) = yarn_job(
            version,
            FakeApp::running(&id, SESSION, &ensure_cluster(version)),
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let config = yarn_config(dir.path(), &fake.url(), &[]);
        let cluster = format!("yarn/{id}");
        let args = [
            "stop",
            job.as_str(),
            "--cluster",
            cluster.as_str(),
            "--wait",
        ];
        let out = cli(&config, dir.path(), &args);
        let text = ok_stdout(&args, &out);
        let sp = text
            .split("with savepoint ")
            .nth(1)
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| panic!("{version}: no savepoint path in {text:?}"));
        let local = Path::new(sp.trim_start_matches("file:"));
        assert!(
            local.join("_metadata").exists(),
            "{version}: savepoint {sp} on disk"
        );
        let seen = proxy_methods(&fake);
        assert!(
            seen.iter().all(|(m, _)| m == "GET" || m == "PUT"),
            "{version}: a write went through the proxy: {seen:?}"
        );
        // The trigger (`POST /jobs/:id/stop`) never reached the proxy; only reads of its
        // status (`GET /jobs/:id/savepoints/:trigger`) did.
        assert!(
            !seen
                .iter()
                .any(|(_, p)| p.ends_with("/stop") || p.ends_with("/savepoints")),
            "{version}: {seen:?}"
        );
        assert!(
            seen.iter()
                .any(|(m, p)| m == "GET" && p.contains("/savepoints/")),
            "{version}: the trigger's status is read through the proxy: {seen:?}"
        );
        // The job is gone on the real cluster.
        let c = common::client(&ensure_cluster(version));
        let state = common::rt().block_on(c.job_state(&job)).expect("job state");
        assert_eq!(state, flinkdeck::domain::JobState::Finished, "{version}");
    }
}

#[test]
fn unreachable_am_address_is_named_in_the_error() {
    let id = app_id(41);
    let port = closed_port();
    let mut app = FakeApp::running(&id, SESSION, &ensure_cluster(V2));
    app.am_rpc = format!("127.0.0.1:{port}");
    let (fake, job) = yarn_job(V2, app);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = yarn_config(dir.path(), &fake.url(), &[]);
    let cluster = format!("yarn/{id}");
    let args = ["savepoint", job.as_str(), "--cluster", cluster.as_str()];
    let out = cli(&config, dir.path(), &args);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("127.0.0.1:{port}"))
            && err.contains("not reachable from this host")
            && err.contains("amRPCAddress"),
        "{err}"
    );
    assert!(proxy_methods(&fake)
        .iter()
        .all(|(m, _)| m == "GET" || m == "PUT"));
    // The job still runs (nothing reached it); cancel it so it does not hold a slot.
    let c = common::client(&ensure_cluster(V2));
    common::rt().block_on(c.cancel_job(&job)).expect("cancel");
}

#[test]
fn kill_of_a_session_repeats_while_202_is_audited_and_refused_read_only() {
    let fake = FakeYarn::start(Ha::Active);
    let id = app_id(51);
    fake.add_app(FakeApp::running(&id, SESSION, &ensure_cluster(V2)));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = yarn_config(dir.path(), &fake.url(), &[]);
    let cluster = format!("yarn/{id}");
    let puts = |fake: &FakeYarn| {
        fake.requests()
            .into_iter()
            .filter(|(m, p)| {
                m == "PUT" && p.starts_with(&format!("/ws/v1/cluster/apps/{id}/state"))
            })
            .collect::<Vec<_>>()
    };

    // Read-only: refused with exit 4, nothing sent.
    let out = cli(
        &config,
        dir.path(),
        &["--readonly", "cluster", "kill", &cluster, "--yes"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    // Without --yes and without a terminal: not confirmed, exit 2, nothing sent.
    let out = cli(&config, dir.path(), &["cluster", "kill", &cluster]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(puts(&fake).is_empty(), "{:?}", puts(&fake));
    assert_eq!(fake.app(&id).map(|a| a.state).as_deref(), Some("RUNNING"));

    let args = ["cluster", "kill", cluster.as_str(), "--yes", "--json"];
    let out = cli(&config, dir.path(), &args);
    let outcome = json_of(&args, &ok_stdout(&args, &out));
    assert_eq!(outcome["outcome"], "done", "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap_or_default()
            .contains("KILLED"),
        "{outcome}"
    );
    let sent = puts(&fake);
    assert_eq!(sent.len(), 2, "a 202, then the 200: {sent:?}");
    assert!(
        sent.iter().all(|(_, p)| p.contains("user.name=flink")),
        "{sent:?}"
    );
    let app = fake.app(&id).expect("app");
    assert_eq!(
        (app.state.as_str(), app.final_status.as_str()),
        ("KILLED", "KILLED")
    );

    // Audited: the refusal and the kill.
    let args = ["audit", "--json"];
    let out = cli(&config, dir.path(), &args);
    let audit = json_of(&args, &ok_stdout(&args, &out));
    let kills: Vec<&Value> = audit
        .as_array()
        .expect("array")
        .iter()
        .filter(|e| e["action"] == "kill" && e["cluster"] == cluster.as_str())
        .collect();
    assert_eq!(kills.len(), 2, "{audit}");
    assert!(kills.iter().any(|e| e["ok"] == true), "{audit}");
    assert!(
        kills.iter().any(|e| e["ok"] == false
            && e["result"]
                .as_str()
                .unwrap_or_default()
                .contains("read-only")),
        "{audit}"
    );

    // The killed app is listed as ended (for post-mortems), with YARN's diagnostics.
    let args = ["clusters", "--json"];
    let out = cli(&config, dir.path(), &args);
    let rows = json_of(&args, &stdout(&out));
    assert_eq!(rows[0]["yarn_state"], "KILLED", "{rows}");
    assert_eq!(rows[0]["diagnostics"], "Application killed by user.");
}

/// The console (the real binary in a pseudo-terminal) on a YARN entry: the job of a Flink
/// application is listed under `yarn/<application id>`, and its id is an OSC 8 hyperlink to the
/// Flink Web UI through the ResourceManager's web proxy (`<rm>/proxy/<id>/#/job/running/…`),
/// the address a browser on the bastion can reach. (The link is the same for every Flink
/// version: one version is driven.)
#[test]
fn console_links_a_yarn_job_to_the_web_ui_through_the_rm_proxy() {
    let id = app_id(61);
    let (fake, job) = yarn_job(V2, FakeApp::running(&id, APPLICATION, &ensure_cluster(V2)));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = yarn_config(dir.path(), &fake.url(), &[]);
    let mut app = console(&config, dir.path(), &[], 160, 40);
    // Filter to the job (the shared Flink lists other tests' jobs too), then Enter.
    app.send("/");
    app.send(&job);
    app.send("\r");
    let cluster = format!("yarn/{id}");
    let s = app.wait_screen(
        "the job listed under its YARN application",
        Duration::from_secs(60),
        |s| s.contains(&job) && s.contains(&cluster),
    );
    assert!(s.contains("RUNNING"), "{s}");
    app.send("\r");
    app.wait_screen("the job's detail", Duration::from_secs(30), |s| {
        s.contains(&job) && s.contains("Checkpoints")
    });
    let url = hyperlink_ending(&app, &format!("/#/job/running/{job}/overview"));
    assert_eq!(
        url,
        format!(
            "{}/proxy/{id}/#/job/running/{job}/overview",
            fake.url().trim_end_matches('/')
        ),
        "the RM proxy's URL"
    );
    app.send("q");
    app.wait_exit(Duration::from_secs(10));
}
