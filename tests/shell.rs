//! Shell completions and the man page, generated from the clap definitions: the bash script is
//! loaded into a real bash and its completion function asked (`complete -p`, `COMPREPLY` for a
//! subcommand prefix and for an option of `upgrade`); the man page is rendered by the real
//! `man`/groff. Neither needs a config (a broken one is ignored) nor Flink. zsh and fish are not
//! installed here: their scripts are checked to be generated and to name the subcommands.

mod common;

use std::process::Command;

use common::{bin, stderr, stdout};

fn flinkdeck(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(["--config", "/nonexistent/broken.toml"])
        .args(args)
        .env_remove("FLINKDECK_CONFIG")
        .output()
        .expect("run flinkdeck")
}

/// What the bash completion function offers for `line` (the cursor at its end).
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let words_arr = words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let line = words.join(" ");
    let cur = words.last().copied().unwrap_or_default();
    let prev = if words.len() > 1 {
        words[words.len() - 2]
    } else {
        ""
    };
    let prog = format!(
        "source '{}'; COMP_WORDS=({words_arr}); COMP_CWORD={}; COMP_LINE='{line}'; \
         COMP_POINT=${{#COMP_LINE}}; _flinkdeck flinkdeck '{cur}' '{prev}'; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words.len() - 1
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &prog])
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_subcommands_and_options() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = flinkdeck(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let script = dir.path().join("flinkdeck.bash");
    std::fs::write(&script, stdout(&out)).expect("script");

    let registered = Command::new("bash")
        .args([
            "--norc",
            "-c",
            &format!("source '{}'; complete -p flinkdeck", script.display()),
        ])
        .output()
        .expect("bash");
    assert!(
        String::from_utf8_lossy(&registered.stdout).contains("-F _flinkdeck flinkdeck"),
        "{}",
        String::from_utf8_lossy(&registered.stderr)
    );
    assert_eq!(bash_complete(&script, &["flinkdeck", "upg"]), ["upgrade"]);
    let all = bash_complete(&script, &["flinkdeck", ""]);
    for sub in [
        "jobs", "start", "stop", "build", "upgrade", "drift", "watch", "alerts", "man",
    ] {
        assert!(all.iter().any(|w| w == sub), "no {sub} in {all:?}");
    }
    assert_eq!(
        bash_complete(&script, &["flinkdeck", "upgrade", "--hea"]),
        ["--health"]
    );
    assert_eq!(
        bash_complete(&script, &["flinkdeck", "completions", "f"]),
        ["fish"]
    );
}

#[test]
fn zsh_and_fish_scripts_and_the_man_page() {
    for (shell, marker) in [
        ("zsh", "#compdef flinkdeck"),
        ("fish", "complete -c flinkdeck"),
    ] {
        let out = flinkdeck(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        for sub in ["upgrade", "watch", "alerts"] {
            assert!(text.contains(sub), "{shell}: no {sub}");
        }
    }
    let out = flinkdeck(&["completions", "powershell"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );

    let out = flinkdeck(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let roff = stdout(&out);
    assert!(roff.contains(".TH flinkdeck 1"), "{roff}");
    let dir = tempfile::tempdir().expect("tmp");
    let page = dir.path().join("flinkdeck.1");
    std::fs::write(&page, &roff).expect("page");
    let rendered = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man");
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    assert!(
        text.contains("NAME") && text.contains("terminal console for running Apache Flink"),
        "{text}"
    );
    for sub in ["upgrade", "watch", "alerts", "completions"] {
        assert!(text.contains(sub), "the man page lists no {sub}:\n{text}");
    }
}
