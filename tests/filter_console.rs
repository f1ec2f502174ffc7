//! End-to-end: the real `flinkdeck` console in a pseudo-terminal against real Flink 2.3.0. A
//! managed app of team `payments` and an unmanaged job: `/team:payments state:running` narrows
//! the list to the app, a bad key shows its error, grouping by team folds a header, and a tag put
//! on the unmanaged job with `T` is found by `tag:` in the console and by `jobs --json --tag`
//! (and is in the audit trail).

mod common;

use std::time::Duration;

use common::apps::{job_id_of, AppEnv};
use common::*;

#[test]
fn filter_group_and_tag_in_the_console() {
    let env = AppEnv::new(V2);
    let prefix = unique("fcon");
    let app_name = format!("{prefix}-pay");
    let free = format!("{prefix}-free");
    let spec = demo_jar_app_spec(&app_name, "c", V2) + "team = \"payments\"\ntags = [\"tier-1\"]\n";
    let spec_path = env.dir.path().join("pay.app.toml");
    std::fs::write(&spec_path, spec).expect("spec");
    env.ok(&["apply", "-f", spec_path.to_str().expect("utf-8")]);
    let app_job = job_id_of(&env.ok(&["start", &app_name, "--wait"]));
    let free_job = submit_demo(V2, &env.url, "steady", &free);
    let _cancel = CancelOnDrop::new(&env.url, vec![app_job, free_job]);

    let mut con = console(&env.config, env.dir.path(), &[], 160, 40);
    con.wait_screen("both jobs running", Duration::from_secs(60), |s| {
        s.contains(&app_name) && s.contains(&free) && s.contains("LIVE")
    });

    // The filter language: team and state.
    con.send("/team:payments state:running\r");
    let s = con.wait_screen("only the app", Duration::from_secs(10), |s| {
        s.contains(&app_name) && !s.contains(&free)
    });
    assert!(s.contains("team:payments state:running"), "{s}");

    // A bad key: the error with its column in the footer while typing.
    con.send("/\x15team:payments tem");
    con.send(":x");
    let s = con.wait_screen("the filter error", Duration::from_secs(10), |s| {
        s.contains("unknown filter key \"tem\"")
    });
    assert!(s.contains("at column 15"), "{s}");
    // Esc clears the filter: every job is back.
    con.send("\x1b");
    con.wait_screen("all jobs again", Duration::from_secs(10), |s| {
        s.contains(&app_name) && s.contains(&free) && !s.contains("unknown filter key")
    });

    // Grouping by team, with our jobs only: (no team) then payments; fold the first.
    con.send(&format!("/{prefix}\r"));
    con.send("zz");
    let s = con.wait_screen("grouped by team", Duration::from_secs(10), |s| {
        s.contains("▾ (no team)") && s.contains("▾ payments")
    });
    assert!(s.contains("grouped by team"), "{s}");
    con.send("g\r");
    let s = con.wait_screen("(no team) folded", Duration::from_secs(10), |s| {
        s.contains("▸ (no team)") && !s.contains(&free)
    });
    assert!(s.contains(&app_name), "{s}");
    // Unfold, select the unmanaged job and tag it.
    con.send(" ");
    con.wait_screen("unfolded", Duration::from_secs(10), |s| s.contains(&free));
    con.send("j");
    con.send("T");
    con.wait_screen("the tag input", Duration::from_secs(10), |s| {
        s.contains(&format!("tags of {free} (local; now none)"))
    });
    con.send("oncall-x\r");
    con.wait_screen("the tag stored", Duration::from_secs(20), |s| {
        s.contains("oncall-x") && s.contains("tags of")
    });
    // tag: finds it (and not the app).
    con.send("/\x15tag:oncall-x\r");
    con.wait_screen("only the tagged job", Duration::from_secs(10), |s| {
        s.contains(&free) && !s.contains(&app_name)
    });
    con.send("q");
    con.wait_exit(Duration::from_secs(20));

    // The CLI sees the local tag too.
    let rows = env.json(&["jobs", "--json", "--tag", "oncall-x"]);
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["name"], free.as_str());
    assert_eq!(rows[0]["tags"], serde_json::json!(["oncall-x"]));
    // And the audit trail has it.
    let audit = env.ok(&["audit"]);
    assert!(
        audit.contains("tag") && audit.contains("oncall-x"),
        "{audit}"
    );
}
