//! End-to-end: the SQL editor of the real `flinkdeck` binary in a pseudo-terminal, on a managed
//! SQL app of a real Flink 2.3.0 cluster's config: `flinkdeck edit NAME`, type a statement,
//! save a version with a message, list the versions, diff against the previous one, restore it,
//! undo the restore, close and quit; and type a statement with an error, validate it with Flink's
//! planner, jump to the problem, fix it, validate again, save, diff, and debug-run it on fake
//! data.

mod common;

use std::time::Duration;

use common::*;

const SCRIPT: &str = "SET 'pipeline.name' = 'editor-e2e';
CREATE TEMPORARY TABLE src (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1');
CREATE TEMPORARY TABLE out (n BIGINT) WITH ('connector' = 'print');
INSERT INTO out SELECT n FROM src;
";

const ADDED: &str = "SET 'parallelism.default' = '2';";

#[test]
fn edit_save_a_version_diff_restore_quit() {
    let url = ensure_cluster(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("e2e", &url)], "1s");
    let name = unique("e2e-sql");
    let spec = dir.path().join("app.toml");
    std::fs::write(
        &spec,
        format!(
            "name = \"{name}\"\ncluster = \"e2e\"\nkind = \"sql\"\nsql = \"\"\"\n{SCRIPT}\"\"\"\n"
        ),
    )
    .expect("spec");
    apply_spec(&config, dir.path(), &spec);

    // An unknown app is refused before the console opens.
    let out = cli(&config, dir.path(), &["edit", "no-such-app"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no managed app named"),
        "{}",
        stderr(&out)
    );

    let mut app = console(&config, dir.path(), &["edit", &name], 140, 40);
    app.wait_screen("the editor on version 1", Duration::from_secs(30), |s| {
        s.contains(&format!("Edit {name}"))
            && s.contains("version 1")
            && s.contains("INSERT INTO out SELECT n FROM src;")
            && s.contains("NORMAL")
    });

    // Type a statement below the last line.
    app.send("G");
    app.send("o");
    app.wait_screen("insert mode", Duration::from_secs(5), |s| {
        s.contains("INSERT ")
    });
    app.send(ADDED);
    app.send("\x1b");
    app.wait_screen(
        "modified, back in normal mode",
        Duration::from_secs(5),
        |s| s.contains(ADDED) && s.contains("[+]") && s.contains("NORMAL"),
    );

    // Save a version with a message (ctrl-s).
    app.send("\x13");
    app.wait_screen("the message prompt", Duration::from_secs(5), |s| {
        s.contains("message for the new version:")
    });
    app.send("raise the parallelism");
    app.send("\r");
    app.wait_screen("saved as version 2", Duration::from_secs(20), |s| {
        s.contains(&format!("saved version 2 of {name}")) && !s.contains("[+]")
    });
    let shown: serde_json::Value = serde_json::from_str(&stdout(&cli(
        &config,
        dir.path(),
        &["app", "show", &name, "--json"],
    )))
    .expect("app show --json");
    assert_eq!(shown["app"]["version"], 2, "{shown}");
    assert_eq!(shown["versions"][0][3], "raise the parallelism", "{shown}");
    let sql = shown["app"]["spec"]["sql"].as_str().expect("sql");
    assert_eq!(sql, format!("{SCRIPT}{ADDED}\n"), "the script as typed");

    // The versions list: v2 (current, open) and v1 with its time and author.
    app.send("V");
    app.wait_screen("the versions list", Duration::from_secs(20), |s| {
        s.contains(&format!("Versions of {name} (2)"))
            && s.contains("raise the parallelism")
            && s.contains("v1")
    });
    // Diff the buffer against the previous version: the added line is a `+` line.
    app.send("j");
    app.send("d");
    let s = app.wait_screen("the diff v1 → buffer", Duration::from_secs(5), |s| {
        s.contains("v1 → buffer")
    });
    assert!(
        s.lines().any(|l| l.contains(&format!("+ {ADDED}"))),
        "a + line:\n{s}"
    );
    assert!(
        !s.lines().any(|l| l.contains("- ")),
        "nothing removed:\n{s}"
    );

    // Back to the list; Enter restores v1 into the buffer; u undoes the restore.
    app.send("\x1b");
    app.wait_screen("the list again", Duration::from_secs(5), |s| {
        s.contains("Versions of")
    });
    app.send("\r");
    app.wait_screen("version 1 restored", Duration::from_secs(5), |s| {
        s.contains("version 1 restored into the buffer") && !s.contains(ADDED) && s.contains("[+]")
    });
    app.send("u");
    app.wait_screen("the restore undone", Duration::from_secs(5), |s| {
        s.contains(ADDED) && !s.contains("[+]")
    });

    // :q closes the editor (nothing unsaved): the jobs view; q quits.
    app.send(":q\r");
    app.wait_screen("the jobs view", Duration::from_secs(10), |s| {
        s.contains("Jobs (") && s.contains(&name)
    });
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
    assert!(!app.alternate_screen(), "the terminal is restored");
}

/// The app's script before the statement typed in the editor: `src` has no column `amout`.
const VALIDATE_SCRIPT: &str = "CREATE TEMPORARY TABLE src (id BIGINT, amount DOUBLE) WITH ('connector' = 'datagen', 'rows-per-second' = '5');
CREATE TEMPORARY TABLE snk (amount DOUBLE) WITH ('connector' = 'blackhole');
";

const BAD: &str = "INSERT INTO snk SELECT amout FROM src;";
const FIXED: &str = "INSERT INTO snk SELECT amount FROM src;";

/// `12:24` of the problems list's first `error` row.
fn first_error_at(screen: &str) -> Option<(u32, u32)> {
    screen.lines().find_map(|l| {
        let rest = l
            .trim_start_matches(['│', ' ', '>'])
            .strip_prefix("error")?;
        let at = rest.split_whitespace().next()?;
        let (line, col) = at.split_once(':')?;
        Some((line.parse().ok()?, col.parse().ok()?))
    })
}

#[test]
fn validate_jump_fix_save_diff_and_debug_run() {
    let url = ensure_cluster(V2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &[("e2e", &url)], "1s");
    let name = unique("e2e-val");
    let spec = dir.path().join("app.toml");
    std::fs::write(
        &spec,
        format!(
            "name = \"{name}\"\ncluster = \"e2e\"\nkind = \"sql\"\nsql = \"\"\"\n{VALIDATE_SCRIPT}\"\"\"\n"
        ),
    )
    .expect("spec");
    apply_spec(&config, dir.path(), &spec);

    let mut app = console(&config, dir.path(), &["edit", &name], 140, 40);
    app.wait_screen("the editor on version 1", Duration::from_secs(30), |s| {
        s.contains(&format!("Edit {name}")) && s.contains("snk (amount DOUBLE)")
    });

    // Type the statement with the unknown column below the last line.
    app.send("G");
    app.send("o");
    app.send(BAD);
    app.send("\x1b");
    app.wait_screen("the statement typed", Duration::from_secs(5), |s| {
        s.contains(BAD) && s.contains("[+]") && s.contains("NORMAL")
    });

    // Validate (ctrl-e): Flink's planner finds the column, on the line typed. The first
    // validation starts the helper JVM: give it time.
    app.send("\x05");
    let s = app.wait_screen("a problem naming amout", Duration::from_secs(180), |s| {
        s.contains("Problems:") && s.contains("amout") && first_error_at(s).is_some()
    });
    assert!(s.contains("validated in "), "{s}");
    assert!(s.contains("ms: 1 error, 0 warnings"), "{s}");
    let (line, col) = first_error_at(&s).expect("an error row");
    let bad_line = VALIDATE_SCRIPT.lines().count() as u32 + 1;
    assert_eq!(line, bad_line, "on the typed line:\n{s}");
    assert_eq!(col, 24, "at `amout`:\n{s}");
    let row = s
        .lines()
        .find(|l| l.contains(&format!("{line}:{col}")))
        .unwrap_or_default();
    assert!(row.contains("amout"), "the message names the column: {row}");

    // Focus the problems list (P) and jump (Enter): the status line shows the cursor there.
    app.send("P");
    app.send("\r");
    app.wait_screen("the cursor on the problem", Duration::from_secs(5), |s| {
        s.contains(&format!("│ {line}:{col} of {bad_line}"))
    });

    // Fix it where the cursor is: `amout` → `amount` (insert `n` before the `t`).
    app.send("llll");
    app.send("i");
    app.send("n");
    app.send("\x1b");
    app.wait_screen("the fixed statement", Duration::from_secs(5), |s| {
        s.contains(FIXED) && s.contains("(text changed since)")
    });

    // Validate again: no problems (the helper JVM is reused).
    app.send("\x05");
    let s = app.wait_screen("a clean validation", Duration::from_secs(120), |s| {
        s.contains("ms: 0 errors, 0 warnings") && !s.contains("(text changed since)")
    });
    assert!(!s.contains("Problems:"), "the problems list is gone:\n{s}");
    assert!(!s.contains("amout"), "{s}");

    // Save a version with a message, then diff it against version 1.
    app.send("\x13");
    app.wait_screen("the message prompt", Duration::from_secs(5), |s| {
        s.contains("message for the new version:")
    });
    app.send("select the amount");
    app.send("\r");
    app.wait_screen("saved as version 2", Duration::from_secs(20), |s| {
        s.contains(&format!("saved version 2 of {name}")) && !s.contains("[+]")
    });
    let shown: serde_json::Value = serde_json::from_str(&stdout(&cli(
        &config,
        dir.path(),
        &["app", "show", &name, "--json"],
    )))
    .expect("app show --json");
    assert_eq!(shown["app"]["version"], 2, "{shown}");
    assert_eq!(
        shown["app"]["spec"]["sql"].as_str().expect("sql"),
        format!("{VALIDATE_SCRIPT}{FIXED}\n")
    );
    // The versions list (reloaded after the save) has both; then diff them.
    app.send("V");
    app.wait_screen("the versions list", Duration::from_secs(20), |s| {
        s.contains(&format!("Versions of {name} (2)")) && s.contains("select the amount")
    });
    app.send("\x1b");
    app.send(":diff 1 2\r");
    let s = app.wait_screen("the diff v1 → v2", Duration::from_secs(20), |s| {
        s.contains("v1 → v2")
    });
    assert!(
        s.lines().any(|l| l.contains(&format!("+ {FIXED}"))),
        "the fixed statement is the added line:\n{s}"
    );
    assert!(!s.contains(BAD), "{s}");
    app.send("\x1b");

    // Debug run (F6): on fake data, rows of the sink's schema, nothing written.
    app.send("\x1b[17~");
    let s = app.wait_screen("the debug run done", Duration::from_secs(180), |s| {
        s.contains("Debug run") && (s.contains("done: ") || s.contains("failed: "))
    });
    assert!(s.contains("nothing is written to real"), "{s}");
    assert!(s.contains("done: "), "the run succeeded:\n{s}");
    assert!(
        s.contains("replaced: ") || s.contains("no table was replaced"),
        "{s}"
    );
    assert!(s.contains("snk"), "the sink is listed:\n{s}");
    assert!(
        s.lines().any(|l| l.contains("OP") && l.contains("amount")),
        "the sink's columns:\n{s}"
    );
    assert!(s.lines().any(|l| l.contains("│+I ")), "rows:\n{s}");

    // esc closes the panel; :q closes the editor; q quits.
    app.send("\x1b");
    app.wait_screen("the panel closed", Duration::from_secs(5), |s| {
        !s.contains("Debug run")
    });
    app.send(":q\r");
    app.wait_screen("the jobs view", Duration::from_secs(10), |s| {
        s.contains("Jobs (")
    });
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), 0);
}
