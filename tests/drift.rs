//! `flinkdeck drift` against real Flink (2.3.0 and 1.20.5, the shared test clusters): a jar app
//! and a SQL app are started; `drift` finds none; then the specs change without a restart (the
//! jar app's jar — a copy of the demo jar with one more entry, so other bytes — and its
//! parallelism; the SQL app's script, its checkpoint interval and an option Flink does not show)
//! and `drift --json` reports exactly those fields with the running and defined values, read
//! from Flink's REST API (the `flinkdeck.*` entries of the job's `user-config`, the checkpoint
//! config, the job parallelism) or, for the option Flink does not show
//! (`table.exec.source.idle-timeout`), from what the run was submitted with (`"source": "run
//! record"`). The expected hashes are computed here with `sha256sum`, independently of
//! flinkdeck. Restarting the apps on their new versions clears the drift. A cluster that cannot
//! be reached (a closed loopback port stands in for a stopped cluster) gives exit 3 while the
//! reachable cluster's drift is still printed; an unknown app is exit 2.

mod common;

use std::path::Path;
use std::process::Command;

use common::apps::{AppEnv, STATEFUL_SQL};
use common::*;
use serde_json::Value;

/// The sha256 of a file, as `sha256sum` prints it.
fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    assert!(out.status.success(), "sha256sum {path:?}: {}", stderr(&out));
    stdout(&out)
        .split_whitespace()
        .next()
        .expect("a hash")
        .to_string()
}

/// `drift ARGS --json`, its exit code and the parsed array.
fn drift_json(env: &AppEnv, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut all = vec!["drift"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = env.run(&all);
    let v = json_of(&all, &stdout(&out));
    let arr = v.as_array().cloned().expect("drift --json is an array");
    (out.status.code(), arr)
}

/// (field, running, defined) of each element for `app`, sorted by field.
fn fields_of(drift: &[Value], app: &str) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = drift
        .iter()
        .filter(|d| d["app"] == app)
        .map(|d| {
            let s = |k: &str| {
                d[k].as_str()
                    .unwrap_or_else(|| panic!("{k} is not a string in {d}"))
                    .to_string()
            };
            (s("field"), s("running"), s("defined"))
        })
        .collect();
    out.sort();
    out
}

/// A copy of `jar` with one more entry: a valid jar of other bytes.
fn other_jar(jar: &Path, dir: &Path) -> std::path::PathBuf {
    let copy = dir.join("other-demo.jar");
    std::fs::copy(jar, &copy).expect("copy jar");
    std::fs::write(dir.join("drift-note.txt"), "another build\n").expect("note");
    let out = Command::new("jar")
        .current_dir(dir)
        .args(["uf", "other-demo.jar", "drift-note.txt"])
        .output()
        .expect("run jar");
    assert!(out.status.success(), "jar uf: {}", stderr(&out));
    copy
}

fn end_to_end(version: &str) {
    let env = AppEnv::new(version);
    let jar_app = unique("drift-jar");
    let sql_app = unique("drift-sql");
    let jar_spec = env.write_jar_app(&jar_app);
    let sql_spec = env.write_sql_app(&sql_app, STATEFUL_SQL);
    // An option Flink's REST does not show: compared with what the run was submitted with.
    let mut text = std::fs::read_to_string(&sql_spec).expect("sql spec");
    text.push_str("\"table.exec.source.idle-timeout\" = \"1 min\"\n");
    std::fs::write(&sql_spec, text).expect("sql spec");
    apply_spec(&env.config, env.dir.path(), &jar_spec);
    apply_spec(&env.config, env.dir.path(), &sql_spec);
    env.ok(&["start", &jar_app, "--wait"]);
    env.ok(&["start", &sql_app, "--wait"]);

    // Nothing changed: no drift, and the text says so per app.
    let out = env.run(&["drift"]);
    let text = ok_stdout(&["drift"], &out);
    for app in [&jar_app, &sql_app] {
        assert!(
            text.contains(&format!("{app}: no drift")),
            "no 'no drift' line for {app}:\n{text}"
        );
    }
    let (code, d) = drift_json(&env, &[]);
    assert_eq!((code, d.len()), (Some(0), 0), "{d:?}");

    // The jar app: another jar and parallelism 2; the SQL app: another script, interval 3 s.
    let demo = demo_jar(version);
    let old_sha = sha256sum(&demo);
    let new_jar = other_jar(&demo, env.dir.path());
    let new_sha = sha256sum(&new_jar);
    assert_ne!(old_sha, new_sha);
    let spec = std::fs::read_to_string(&jar_spec).expect("jar spec");
    let spec = spec
        .replace(&demo.display().to_string(), &new_jar.display().to_string())
        .replace("parallelism = 1", "parallelism = 2");
    std::fs::write(&jar_spec, spec).expect("jar spec");
    apply_spec(&env.config, env.dir.path(), &jar_spec);

    let sql_file = env.dir.path().join(format!("{sql_app}.sql"));
    let old_sql_sha = sha256sum(&sql_file);
    std::fs::write(&sql_file, format!("{STATEFUL_SQL}-- changed\n")).expect("sql");
    let new_sql_sha = sha256sum(&sql_file);
    let spec = std::fs::read_to_string(&sql_spec)
        .expect("sql spec")
        .replace("\"2s\"", "\"3s\"")
        .replace("\"1 min\"", "\"2 min\"");
    std::fs::write(&sql_spec, spec).expect("sql spec");
    apply_spec(&env.config, env.dir.path(), &sql_spec);

    let (code, d) = drift_json(&env, &[]);
    assert_eq!(code, Some(1), "{d:#?}");
    assert_eq!(
        fields_of(&d, &jar_app),
        vec![
            ("artifact".into(), old_sha.clone(), new_sha.clone()),
            ("parallelism".into(), "1".into(), "2".into()),
        ],
        "{d:#?}"
    );
    assert_eq!(
        fields_of(&d, &sql_app),
        vec![
            (
                "options.execution.checkpointing.interval".into(),
                "2 s".into(),
                "3s".into()
            ),
            (
                "options.table.exec.source.idle-timeout".into(),
                "1 min".into(),
                "2 min".into()
            ),
            ("sql".into(), old_sql_sha, new_sql_sha),
        ],
        "{d:#?}"
    );
    assert_eq!(d.len(), 5, "one element per differing field: {d:#?}");
    for x in &d {
        let expected = if x["field"] == "options.table.exec.source.idle-timeout" {
            "run record"
        } else {
            "rest"
        };
        assert_eq!(x["source"], expected, "{x}");
    }
    // NAME narrows to one app.
    let (code, only) = drift_json(&env, &[&jar_app]);
    assert_eq!(code, Some(1));
    assert_eq!(fields_of(&only, &jar_app).len(), 2, "{only:#?}");
    assert!(fields_of(&only, &sql_app).is_empty(), "{only:#?}");
    // The text form names the fields.
    let out = env.run(&["drift"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("artifact") && text.contains("options.execution.checkpointing.interval"),
        "{text}"
    );

    // Restarted on the new versions: no drift left.
    env.ok(&["cancel", &jar_app]);
    env.ok(&["cancel", &sql_app]);
    let out = env.run(&["drift"]);
    let text = ok_stdout(&["drift"], &out);
    assert!(
        text.contains(&format!("{jar_app}: not running")),
        "a stopped app is not drift:\n{text}"
    );
    env.ok(&["start", &jar_app, "--wait", "--from", "none"]);
    env.ok(&["start", &sql_app, "--wait", "--from", "none"]);
    let (code, d) = drift_json(&env, &[]);
    assert_eq!((code, d.len()), (Some(0), 0), "{d:#?}");

    // Unknown app: exit 2.
    let out = env.run(&["drift", "no-such-app", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no-such-app"), "{}", stderr(&out));

    env.ok(&["cancel", &jar_app]);
    env.ok(&["cancel", &sql_app]);
}

#[test]
fn drift_of_jar_and_sql_apps_on_flink_2() {
    end_to_end(V2);
}

#[test]
fn drift_of_jar_and_sql_apps_on_flink_1() {
    end_to_end(V1);
}

/// Cluster `d` is a closed loopback port (standing in for a stopped cluster): its app cannot be
/// compared, the command exits 3, and the drift found on the live cluster `c` is still printed.
#[test]
fn an_unreachable_cluster_is_exit_3_and_the_rest_is_still_printed() {
    let mut env = AppEnv::new(V2);
    let down = format!("http://127.0.0.1:{}", closed_port());
    env.config = write_config(env.dir.path(), &[("c", &env.url), ("d", &down)], "1s");
    let live = unique("drift-live");
    let spec = env.write_sql_app(&live, STATEFUL_SQL);
    apply_spec(&env.config, env.dir.path(), &spec);
    let gone = unique("drift-gone");
    let gone_spec = env.dir.path().join("gone.app.toml");
    std::fs::write(&gone_spec, demo_jar_app_spec(&gone, "d", V2)).expect("spec");
    apply_spec(&env.config, env.dir.path(), &gone_spec);
    env.ok(&["start", &live, "--wait"]);
    let text = std::fs::read_to_string(&spec)
        .expect("spec")
        .replace("parallelism = 1", "parallelism = 3");
    std::fs::write(&spec, text).expect("spec");
    apply_spec(&env.config, env.dir.path(), &spec);

    let out = env.run(&["drift", "--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let d = json_of(&["drift"], &stdout(&out));
    let d = d.as_array().cloned().expect("array");
    assert_eq!(
        fields_of(&d, &live),
        vec![("parallelism".into(), "1".into(), "3".into())],
        "{d:#?}"
    );
    assert!(
        stderr(&out).contains(&gone) && stderr(&out).contains("cannot reach cluster d"),
        "{}",
        stderr(&out)
    );
    env.ok(&["cancel", &live]);
}
