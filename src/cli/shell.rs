//! `flinkdeck completions SHELL` and `flinkdeck man`: shell completions (bash, zsh, fish) and a
//! man page, generated from the command line's own clap definitions, so they never drift from it.
//!
//! Dynamic completion of app and cluster names: clap_complete writes the static script (its
//! dynamic engine is behind an unstable feature and would replace the whole script with calls
//! into the binary); we add to it. The NAME of the commands that take an app (found in the clap
//! definitions: the positional `name`) and the value of every `--cluster` complete from the
//! hidden `flinkdeck complete apps|clusters PREFIX`, which reads the config file and the local
//! database only (no network), passing on the `--config` / `--data-dir` of the line being
//! completed. bash: the generated function is renamed `_flinkdeck_static` and a `_flinkdeck`
//! in front of it answers those positions; zsh: the `_default` action of those arguments is
//! replaced by a function calling the binary; fish: `complete` lines are appended.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::{Cli, Exit};

/// What `flinkdeck complete` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Names {
    Clusters,
    Apps,
}

/// Prints the cluster or app names starting with `prefix`, one a line: the configured clusters
/// (and those jobs were seen on, discovered ones included), or the managed apps. Quiet: on any
/// error it prints nothing.
pub fn complete(what: Names, prefix: &str, config: Option<&Path>, data_dir: Option<&Path>) -> Exit {
    let config = crate::config::Config::load_or_default(config).ok();
    let data_dir = data_dir
        .map(Path::to_path_buf)
        .or_else(crate::config::default_data_dir);
    let (apps, seen) = data_dir
        .and_then(|d| crate::store::completion_names(&d.join("flinkdeck.db")).ok())
        .unwrap_or_default();
    let mut names = match what {
        Names::Apps => apps,
        Names::Clusters => {
            let mut n: Vec<String> = config
                .iter()
                .flat_map(|c| c.clusters.iter().map(|c| c.name.clone()))
                .collect();
            n.extend(seen);
            n
        }
    };
    names.retain(|n| n.starts_with(prefix));
    names.sort();
    names.dedup();
    let mut out = std::io::stdout().lock();
    for n in names {
        if writeln!(out, "{n}").is_err() {
            break;
        }
    }
    let _ = out.flush();
    Exit::Ok
}

/// Where app and cluster names are completed, from the clap definitions.
#[derive(Debug, Default, PartialEq, Eq)]
struct Dynamic {
    /// Subcommand paths (`start`, `app show`) whose first positional is an app name.
    apps: Vec<String>,
    /// Subcommand paths whose first positional is a cluster name (`cluster kill`).
    clusters: Vec<String>,
    /// Long options that take a value (`--from`), so that their values are not counted as
    /// positionals.
    valued: Vec<String>,
}

fn walk(cmd: &clap::Command, path: &mut Vec<String>, d: &mut Dynamic) {
    for arg in cmd.get_arguments() {
        if let (Some(long), true) = (arg.get_long(), arg.get_action().takes_values()) {
            let long = format!("--{long}");
            if !d.valued.contains(&long) {
                d.valued.push(long);
            }
        }
    }
    if let Some(first) = cmd.get_positionals().next() {
        if first.get_id() == "name" && !path.is_empty() {
            let joined = path.join(" ");
            // The one command whose NAME is a cluster: `cluster kill`.
            if path.first().map(String::as_str) == Some("cluster") {
                d.clusters.push(joined);
            } else {
                d.apps.push(joined);
            }
        }
    }
    for sub in cmd.get_subcommands() {
        path.push(sub.get_name().to_string());
        walk(sub, path, d);
        path.pop();
    }
}

fn dynamic() -> Dynamic {
    let mut d = Dynamic::default();
    walk(&Cli::command(), &mut Vec::new(), &mut d);
    d.valued.sort();
    d
}

/// `a|b|c` for a bash `case` pattern (each path quoted).
fn case_pattern(paths: &[String]) -> String {
    if paths.is_empty() {
        return "\"\"".to_string();
    }
    paths
        .iter()
        .map(|p| format!("\"{p}\""))
        .collect::<Vec<_>>()
        .join("|")
}

/// The bash script: clap's, with its function renamed, and the dynamic front function.
fn bash(generated: &str, d: &Dynamic) -> String {
    let renamed = generated.replacen("_flinkdeck() {", "_flinkdeck_static() {", 1);
    let valued = d.valued.join("|");
    format!(
        r#"{renamed}
# Dynamic completion of app and cluster names (`flinkdeck complete apps|clusters PREFIX`, no
# network), with the --config / --data-dir of the line being completed.
_flinkdeck_names() {{
    local i args=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --config|--data-dir) args+=("${{COMP_WORDS[i]}}" "${{COMP_WORDS[i+1]}}") ;;
            --config=*|--data-dir=*) args+=("${{COMP_WORDS[i]}}") ;;
        esac
    done
    "${{COMP_WORDS[0]}}" "${{args[@]}}" complete "$1" -- "$2" 2>/dev/null
}}

_flinkdeck() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev=""
    ((COMP_CWORD > 0)) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    if [[ "$prev" == "--cluster" ]]; then
        COMPREPLY=($(compgen -W "$(_flinkdeck_names clusters "$cur")" -- "$cur"))
        return 0
    fi
    if [[ "$cur" != -* ]]; then
        # The words before the cursor that are neither options nor option values.
        local i w path=""
        for ((i = 1; i < COMP_CWORD; i++)); do
            w="${{COMP_WORDS[i]}}"
            case "$w" in
                {valued}) ((i++)) ;;
                -*) ;;
                *) path="${{path:+$path }}$w" ;;
            esac
        done
        case "$path" in
            {apps})
                COMPREPLY=($(compgen -W "$(_flinkdeck_names apps "$cur")" -- "$cur"))
                return 0 ;;
            {clusters})
                COMPREPLY=($(compgen -W "$(_flinkdeck_names clusters "$cur")" -- "$cur"))
                return 0 ;;
        esac
    fi
    _flinkdeck_static "$@"
}}
"#,
        apps = case_pattern(&d.apps),
        clusters = case_pattern(&d.clusters),
    )
}

/// The zsh script: the `_default` action of `--cluster` values and of app/cluster NAMEs
/// replaced by functions that ask the binary.
fn zsh(generated: &str) -> String {
    let mut out = String::with_capacity(generated.len() + 1024);
    // The innermost subcommand section, from clap's `(name)` case labels.
    let mut section = String::new();
    for line in generated.lines() {
        let t = line.trim();
        if let Some(label) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            section = label.to_string();
        }
        let is_name = t.starts_with("':name") || t.starts_with("'::name");
        let line = if t.starts_with("'--cluster=") && t.ends_with(":_default' \\") {
            line.replacen(":_default' \\", ":_flinkdeck_clusters' \\", 1)
        } else if is_name && t.ends_with(":_default' \\") {
            let f = if section == "kill" {
                "_flinkdeck_clusters"
            } else {
                "_flinkdeck_apps"
            };
            line.replacen(":_default' \\", &format!(":{f}' \\"), 1)
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    let helpers = r#"
# Dynamic completion of app and cluster names (`flinkdeck complete apps|clusters PREFIX`, no
# network), with the --config / --data-dir of the line being completed.
(( $+functions[_flinkdeck_names] )) ||
_flinkdeck_names() {
    local -a args
    local i
    for ((i = 2; i < CURRENT; i++)); do
        case "${words[i]}" in
            --config|--data-dir) args+=("${words[i]}" "${words[i+1]}") ;;
            --config=*|--data-dir=*) args+=("${words[i]}") ;;
        esac
    done
    local -a names
    names=(${(f)"$("${words[1]}" "${args[@]}" complete "$1" -- "${PREFIX}" 2>/dev/null)"})
    compadd -a names
}
(( $+functions[_flinkdeck_apps] )) ||
_flinkdeck_apps() { _flinkdeck_names apps }
(( $+functions[_flinkdeck_clusters] )) ||
_flinkdeck_clusters() { _flinkdeck_names clusters }
"#;
    // The helpers go before the final `compdef`/call line so they exist when it runs.
    match out.rfind("\nif [ \"$funcstack[1]\" = \"_flinkdeck\" ]") {
        Some(at) => {
            out.insert_str(at + 1, helpers.trim_start());
            out
        }
        None => out + helpers,
    }
}

/// The fish script: clap's, plus `complete` lines that ask the binary.
fn fish(generated: &str, d: &Dynamic) -> String {
    let apps: Vec<&str> = d
        .apps
        .iter()
        .filter(|p| !p.contains(' '))
        .map(String::as_str)
        .collect();
    format!(
        r#"{generated}
# Dynamic completion of app and cluster names (`flinkdeck complete apps|clusters PREFIX`, no
# network), with the --config / --data-dir of the line being completed.
function __fish_flinkdeck_names
    set -l words (commandline -opc)
    set -l args
    for i in (seq 2 (count $words))
        switch $words[$i]
            case --config --data-dir
                set -l j (math $i + 1)
                if test $j -le (count $words)
                    set -a args $words[$i] $words[$j]
                end
            case '--config=*' '--data-dir=*'
                set -a args $words[$i]
        end
    end
    $words[1] $args complete $argv[1] -- (commandline -ct) 2>/dev/null
end
complete -c flinkdeck -l cluster -x -a "(__fish_flinkdeck_names clusters)"
complete -c flinkdeck -n "__fish_seen_subcommand_from {apps}; and not __fish_seen_subcommand_from cluster" -f -a "(__fish_flinkdeck_names apps)"
"#,
        apps = apps.join(" ")
    )
}

/// The shells completions are generated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Prints the completion script for `shell` to stdout.
pub fn completions(shell: Shell) -> Exit {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    let gen = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut script = Vec::new();
    clap_complete::generate(gen, &mut cmd, "flinkdeck", &mut script);
    let script = String::from_utf8_lossy(&script);
    let d = dynamic();
    let script = match shell {
        Shell::Bash => bash(&script, &d),
        Shell::Zsh => zsh(&script),
        Shell::Fish => fish(&script, &d),
    };
    match out.write_all(script.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("flinkdeck: cannot write the completions: {e}");
            Exit::Failed
        }
    }
}

/// Prints the man page (roff) to stdout.
pub fn man() -> Exit {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = std::io::stdout().lock();
    match page.render(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("flinkdeck: cannot write the man page: {e}");
            Exit::Failed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The app and cluster NAME positions come from the clap definitions.
    #[test]
    fn dynamic_positions_from_the_clap_definitions() {
        let d = dynamic();
        for app in [
            "start",
            "stop",
            "savepoint",
            "cancel",
            "upgrade",
            "history",
            "edit",
        ] {
            assert!(d.apps.contains(&app.to_string()), "{app}: {:?}", d.apps);
        }
        assert!(d.apps.contains(&"app show".to_string()), "{:?}", d.apps);
        assert_eq!(d.clusters, ["cluster kill"]);
        assert!(d.valued.contains(&"--cluster".to_string()));
        assert!(d.valued.contains(&"--config".to_string()));
        assert!(
            !d.valued.contains(&"--json".to_string()),
            "a flag takes no value"
        );
    }

    #[test]
    fn zsh_names_use_the_dynamic_functions() {
        let mut cmd = Cli::command();
        let mut raw = Vec::new();
        clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, "flinkdeck", &mut raw);
        let z = zsh(&String::from_utf8_lossy(&raw));
        assert!(
            !z.contains("'--cluster=[Only this cluster]:NAME:_default'"),
            "replaced"
        );
        assert!(z.contains(":NAME:_flinkdeck_clusters'"));
        assert!(z.contains(":_flinkdeck_apps' \\"));
        let helpers = z.find("_flinkdeck_names() {").expect("helpers");
        let call = z
            .rfind("if [ \"$funcstack[1]\" = \"_flinkdeck\" ]")
            .expect("call");
        assert!(helpers < call, "the helpers exist before the script runs");
    }
}
