//! Shell completions and the man page, generated from the clap definitions: the bash script is
//! loaded into a real bash and its completion function asked (`complete -p`, `COMPREPLY` for a
//! subcommand prefix and for an option of `upgrade`); the man page is rendered by the real
//! `man`/groff. Neither needs a config (a broken one is ignored) nor Flink. zsh and fish are not
//! installed here: their scripts are checked to be generated and to name the subcommands.
//! Dynamic names: a config with two clusters and a data dir with two applied apps; bash's
//! completion function (which calls the hidden `flinkdeck complete`) offers them for an app
//! command's NAME and for `--cluster`.

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
    // The script runs `flinkdeck` (the completed line's first word) for the dynamic names.
    let bin_dir = bin().parent().expect("bin dir").to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &prog])
        .env("PATH", path)
        .env_remove("FLINKDECK_CONFIG")
        .env_remove("FLINKDECK_DATA_DIR")
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

/// `flinkdeck apply -f SPEC` of a JAR app named `name` on `cluster` (the JAR only has to exist).
fn apply_app(config: &std::path::Path, data: &std::path::Path, name: &str, cluster: &str) {
    let dir = config.parent().expect("config dir");
    let jar = dir.join("app.jar");
    std::fs::write(&jar, b"PK").expect("jar");
    let spec = dir.join(format!("{name}.app.toml"));
    std::fs::write(
        &spec,
        format!(
            "name = \"{name}\"\ncluster = \"{cluster}\"\nkind = \"jar\"\njar_file = \"{}\"\nentry_class = \"a.Main\"\n",
            jar.display()
        ),
    )
    .expect("spec");
    let out = Command::new(bin())
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["apply", "-f"])
        .arg(&spec)
        .output()
        .expect("apply");
    assert_eq!(out.status.code(), Some(0), "apply {name}: {}", stderr(&out));
}

#[test]
fn bash_completes_configured_cluster_and_app_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[[clusters]]\nname = \"prod-east\"\nurl = \"http://127.0.0.1:9/\"\n\n\
         [[clusters]]\nname = \"staging\"\nurl = \"http://127.0.0.1:9/\"\n",
    )
    .expect("config");
    let data = dir.path().join("data");
    apply_app(&config, &data, "orders-agg", "prod-east");
    apply_app(&config, &data, "payments-enrich", "staging");

    let out = flinkdeck(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let script = dir.path().join("flinkdeck.bash");
    std::fs::write(&script, stdout(&out)).expect("script");
    let (c, d) = (
        config.to_str().expect("utf-8"),
        data.to_str().expect("utf-8"),
    );
    let line = |rest: &[&'static str]| -> Vec<String> {
        let mut words = vec!["flinkdeck", "--config", c, "--data-dir", d];
        words.extend_from_slice(rest);
        bash_complete(&script, &words)
    };
    // An app command's NAME: the applied apps.
    assert_eq!(line(&["stop", ""]), ["orders-agg", "payments-enrich"]);
    assert_eq!(line(&["start", "pay"]), ["payments-enrich"]);
    assert_eq!(line(&["app", "show", "ord"]), ["orders-agg"]);
    // An option's value is not the NAME: `--from latest` then the NAME.
    assert_eq!(line(&["start", "--from", "latest", "o"]), ["orders-agg"]);
    // `--cluster`: the configured clusters.
    assert_eq!(line(&["jobs", "--cluster", ""]), ["prod-east", "staging"]);
    assert_eq!(line(&["logs", "--cluster", "st"]), ["staging"]);
    // Everything else is still clap's: subcommands, options.
    assert_eq!(line(&["upg"]), ["upgrade"]);
    assert_eq!(line(&["upgrade", "--hea"]), ["--health"]);
    // Another data dir: no apps (the names come from this line's --data-dir).
    let empty = dir.path().join("empty");
    let words = [
        "flinkdeck",
        "--config",
        c,
        "--data-dir",
        empty.to_str().expect("utf-8"),
        "stop",
        "",
    ];
    assert!(bash_complete(&script, &words).is_empty());
    // The helper itself: quiet and fast on a broken config.
    let out = flinkdeck(&["complete", "clusters"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty() && stderr(&out).is_empty());
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
        assert!(
            text.contains("complete \"$1\" --") || text.contains("complete $argv[1] --"),
            "{shell}: asks `flinkdeck complete` for names"
        );
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
