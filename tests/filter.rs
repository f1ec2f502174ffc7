//! `flinkdeck jobs` and `flinkdeck apps` with `--team`, `--tag`, `--filter` and `--view` on real
//! Flink (2.3.0 and 1.20.5, the shared clusters of tests/common): one managed JAR app of team
//! `payments` tagged `tier-1`, one unmanaged demo job, and filters that must pick each of them
//! (the shared cluster runs other binaries' jobs too, so every expectation is about our names).

mod common;

use std::time::Duration;

use common::apps::{job_id_of, AppEnv};
use common::*;
use serde_json::Value;

fn names(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|j| j["name"].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

fn filters_on(version: &str) {
    let env = AppEnv::new(version);
    let prefix = unique(&format!("flt{}", version.replace('.', "")));
    let app = format!("{prefix}-pay");
    let free = format!("{prefix}-free");

    // The managed app: team payments, tags tier-1 and eu.
    let spec = demo_jar_app_spec(&app, "c", version)
        + "team = \"payments\"\ntags = [\"tier-1\", \"eu\"]\nowner = \"tests\"\n";
    let spec_path = env.dir.path().join("pay.app.toml");
    std::fs::write(&spec_path, spec).expect("spec");
    env.ok(&["apply", "-f", spec_path.to_str().expect("utf-8")]);
    let started = env.ok(&["start", &app, "--wait"]);
    let app_job = job_id_of(&started);
    // The unmanaged job.
    let free_job = submit_demo(version, &env.url, "steady", &free);
    let _cleanup = CancelOnDrop::new(&env.url, vec![app_job.clone(), free_job.clone()]);
    // A view in the config.
    let mut cfg = std::fs::read_to_string(&env.config).expect("config");
    cfg = cfg.replacen(
        "[ui]\n",
        &format!("[ui]\nviews = {{ pay = \"team:payments state:active\", mine = {{ filter = \"{prefix}\", group = \"cluster\" }} }}\n"),
        1,
    );
    std::fs::write(&env.config, cfg).expect("config with views");

    wait_for("both jobs running", Duration::from_secs(90), || {
        let all = env.json(&[
            "jobs",
            "--json",
            "--filter",
            &format!("{prefix} state:running"),
        ]);
        (names(&all).len() == 2).then_some(())
    });

    // --team: only the app's job, with app/team/tags in the JSON row.
    let rows = env.json(&["jobs", "--json", "--team", "payments"]);
    assert_eq!(names(&rows), [app.as_str()], "{rows}");
    assert_eq!(rows[0]["id"], app_job.as_str());
    assert_eq!(rows[0]["app"], app.as_str());
    assert_eq!(rows[0]["team"], "payments");
    assert_eq!(rows[0]["tags"], serde_json::json!(["tier-1", "eu"]));
    assert_eq!(rows[0]["state"], "RUNNING");
    assert_eq!(
        names(&env.json(&["jobs", "--json", "--team", "search"])),
        Vec::<String>::new()
    );

    // --tag (repeatable: any of them) and --filter with keys, OR within a key, negation.
    let rows = env.json(&["jobs", "--json", "--tag", "nope", "--tag", "EU"]);
    assert_eq!(names(&rows), [app.as_str()]);
    let rows = env.json(&[
        "jobs",
        "--json",
        "--filter",
        &format!("{prefix} -team:payments"),
    ]);
    assert_eq!(names(&rows), [free.as_str()]);
    let row = &rows[0];
    assert_eq!(row["id"], free_job.as_str());
    assert!(
        row.get("team").is_none() && row.get("app").is_none(),
        "{row}"
    );
    let rows = env.json(&[
        "jobs",
        "--json",
        "--filter",
        &format!("{prefix} state:failed state:running cluster:c"),
    ]);
    assert_eq!(names(&rows), [free.as_str(), app.as_str()]);
    let rows = env.json(&[
        "jobs",
        "--json",
        "--filter",
        &format!("{prefix} state:failed"),
    ]);
    assert_eq!(names(&rows), Vec::<String>::new());
    let rows = env.json(&["jobs", "--json", "--filter", &format!("app:{app}")]);
    assert_eq!(names(&rows), [app.as_str()]);
    // Flags AND with the expression.
    let rows = env.json(&["jobs", "--json", "--team", "payments", "--filter", &free]);
    assert_eq!(names(&rows), Vec::<String>::new());
    // Views.
    assert_eq!(
        names(&env.json(&["jobs", "--json", "--view", "pay"])),
        [app.as_str()]
    );
    assert_eq!(
        names(&env.json(&["jobs", "--json", "--view", "mine"])),
        [free.as_str(), app.as_str()]
    );
    // The human table is filtered too.
    let text = env.ok(&["jobs", "--team", "payments"]);
    assert!(text.contains(&app) && !text.contains(&free), "{text}");

    // apps: --team / --tag / --filter, JSON with team.
    let apps = env.json(&["apps", "--json", "--team", "payments"]);
    assert_eq!(names(&apps), [app.as_str()]);
    assert_eq!(apps[0]["team"], "payments");
    assert_eq!(
        names(&env.json(&["apps", "--json", "--tag", "tier-1"])),
        [app.as_str()]
    );
    assert_eq!(
        names(&env.json(&["apps", "--json", "--team", "search"])),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&env.json(&["apps", "--json", "--filter", "state:running team:pay*"])),
        [app.as_str()]
    );
    assert_eq!(
        names(&env.json(&["apps", "--json", "--filter", "state:finished"])),
        Vec::<String>::new()
    );
    let text = env.ok(&["apps"]);
    assert!(text.contains("TEAM") && text.contains("payments"), "{text}");

    // Bad expressions: exit 2 with the error and its column, for both commands.
    for cmd in ["jobs", "apps"] {
        let out = env.run(&[cmd, "--filter", "team:payments tem:x"]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("unknown filter key \"tem\"") && err.contains("at column 15"),
            "{cmd}: {err}"
        );
        assert!(stdout(&out).is_empty(), "{cmd}: {}", stdout(&out));
        let out = env.run(&[cmd, "--json", "--filter", "state:runing"]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("unknown state \"runing\""),
            "{}",
            stderr(&out)
        );
        let out = env.run(&[cmd, "--view", "nope"]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("no view \"nope\""),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn filters_on_flink_2() {
    filters_on(V2);
}

#[test]
fn filters_on_flink_1_20() {
    filters_on(V1);
}
