//! Holds the layering: `src/tui` and `src/domain` do no I/O of their own. They must not name
//! `reqwest`, `kube` or `rusqlite`, nor open files, sockets or processes; the TUI talks to the
//! workers only through messages.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {dir:?}: {e}"));
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Lines of code (comments dropped) that mention any of `forbidden`, outside the files named in
/// `exempt`.
fn violations(layer: &str, forbidden: &[&str], exempt: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "no sources under {root:?}");
    let mut found = Vec::new();
    for f in files {
        if exempt.iter().any(|e| f.ends_with(e)) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    found.push(format!(
                        "{}:{}: uses `{word}`: {}",
                        f.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

const NETWORK_AND_DB: [&str; 3] = ["reqwest", "kube", "rusqlite"];

#[test]
fn tui_uses_no_network_database_or_process_crates() {
    let mut forbidden = NETWORK_AND_DB.to_vec();
    forbidden.extend([
        "std::fs",
        "std::net",
        "std::process",
        "tokio::fs",
        "tokio::net",
        "tokio::process",
    ]);
    // Theme and keymap files are read once at start-up, before the event loop runs; the network,
    // database and process crates stay out of even those.
    let v = violations("tui", &forbidden, &["theme.rs", "keymap.rs"]);
    assert!(
        v.is_empty(),
        "src/tui must do no I/O but the terminal:\n{}",
        v.join("\n")
    );
    let v = violations("tui", &NETWORK_AND_DB, &[]);
    assert!(
        v.is_empty(),
        "src/tui must not use network or database crates:\n{}",
        v.join("\n")
    );
}

#[test]
fn domain_is_pure() {
    let mut forbidden = NETWORK_AND_DB.to_vec();
    forbidden.extend([
        "std::fs",
        "std::net",
        "std::process",
        "tokio::",
        "ratatui",
        "crossterm",
    ]);
    let v = violations("domain", &forbidden, &[]);
    assert!(v.is_empty(), "src/domain must stay pure:\n{}", v.join("\n"));
}

#[test]
fn the_checker_finds_a_violation() {
    // The scan itself works: the flink module does use reqwest.
    assert!(!violations("flink", &["reqwest"], &[]).is_empty());
    assert!(
        violations(
            "flink",
            &["reqwest"],
            &["client.rs", "error.rs", "tests.rs", "tail.rs", "mod.rs"]
        )
        .len()
            < violations("flink", &["reqwest"], &[]).len()
    );
}
