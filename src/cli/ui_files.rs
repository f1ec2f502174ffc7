//! Reads what the console's look and keys come from: the user's theme and keymap files and the
//! colour environment (`NO_COLOR`). The TUI does no I/O of its own, so the files are read here and
//! their text goes to its parsers ([`Theme::resolve`], [`Keymap::with_overrides`]).

use std::path::Path;

use crate::config::ConfigError;
use crate::tui::keymap::Keymap;
use crate::tui::theme::{self, Theme, UserTheme};

/// Whether `NO_COLOR` asks for no colours (set and not empty, see no-color.org).
/// What the environment says about the terminal: `TERM`, `NO_COLOR`, `TMUX`, and whether
/// standard output is a terminal (for `[ui] hyperlinks` / `[ui] clipboard = "auto"`).
pub fn term_env() -> crate::domain::terminal::TermEnv {
    use std::io::IsTerminal;
    crate::domain::terminal::TermEnv {
        term: std::env::var("TERM").ok(),
        no_color: no_color(),
        tty: std::io::stdout().is_terminal(),
        tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
    }
}

pub fn no_color() -> bool {
    theme::no_color_requested(std::env::var_os("NO_COLOR").as_deref())
}

/// Loads theme `name`: the user's `<user_theme_dir>/<name>.toml` on top of the built-in of that
/// name (or of `default`, or of its `extends`), else the built-in. With `no_color`, the `mono`
/// theme (user overrides included) without any colour.
pub fn load_theme(
    name: &str,
    user_theme_dir: Option<&Path>,
    no_color: bool,
) -> Result<Theme, ConfigError> {
    let wanted = Theme::wanted(name, no_color)?;
    let user = match user_theme_dir {
        None => UserTheme::None,
        Some(dir) => {
            let path = dir.join(format!("{wanted}.toml"));
            match std::fs::read_to_string(&path) {
                Ok(text) => UserTheme::File { path, text },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => UserTheme::Missing {
                    dir: dir.to_path_buf(),
                    available: user_theme_names(dir),
                },
                Err(e) => {
                    return Err(
                        ConfigError::new(format!("cannot read theme file: {e}")).with_path(path)
                    )
                }
            }
        }
    };
    Theme::resolve(wanted, &user, no_color)
}

/// The stems of `*.toml` files in the user theme directory.
fn user_theme_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "toml") {
                p.file_stem().and_then(|s| s.to_str()).map(str::to_string)
            } else {
                None
            }
        })
        .collect()
}

/// The built-in keymap with the user file at `path` applied on top.
pub fn load_keymap(path: &Path) -> Result<Keymap, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new(format!("cannot read keymap file: {e}")).with_path(path))?;
    Keymap::builtin().with_overrides(&text, path)
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::style::{Color, Modifier, Style};

    use super::*;
    use crate::tui::keymap::{Action, KeyContext};

    fn ch(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn override_changes_only_the_given_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("default.toml"),
            "error = { fg = \"#ff0000\", modifiers = [\"underlined\"] }\n[state]\nrunning = \"38\"\n",
        )
        .expect("write");
        let base = Theme::builtin("default").expect("builtin");
        let t = load_theme("default", Some(dir.path()), false).expect("loads");
        assert_eq!(
            t.error,
            Style::default()
                .fg(Color::Rgb(255, 0, 0))
                .add_modifier(Modifier::UNDERLINED)
        );
        assert_eq!(t.states.running, Style::default().fg(Color::Indexed(38)));
        let mut expected = base.clone();
        expected.error = t.error;
        expected.states.running = t.states.running;
        assert_eq!(t, expected);
    }

    #[test]
    fn new_user_theme_starts_from_default_or_extends() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ocean.toml"), "ok = \"blue\"\n").expect("write");
        std::fs::write(
            dir.path().join("paper.toml"),
            "extends = \"light\"\nok = \"blue\"\n",
        )
        .expect("write");
        let t = load_theme("ocean", Some(dir.path()), false).expect("loads");
        assert_eq!(t.name, "ocean");
        assert_eq!(t.ok.fg, Some(Color::Blue));
        assert_eq!(t.header, Theme::default().header);
        let p = load_theme("paper", Some(dir.path()), false).expect("loads");
        assert_eq!(p.header, Theme::builtin("light").expect("light").header);
    }

    #[test]
    fn bad_colour_names_file_line_column_and_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("default.toml");
        std::fs::write(
            &path,
            "ok = \"green\"\n\n[state]\nfailed = { fg = \"reed\" }\n",
        )
        .expect("write");
        let e = load_theme("default", Some(dir.path()), false).expect_err("bad colour");
        assert_eq!(e.path.as_deref(), Some(path.as_path()));
        assert_eq!((e.line, e.column), (Some(4), Some(17)));
        assert_eq!(e.key.as_deref(), Some("state.failed.fg"));
        assert!(e.message.starts_with("invalid colour \"reed\""), "{e}");
    }

    #[test]
    fn unknown_theme_lists_the_available_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("ocean.toml"), "").expect("write");
        let e = load_theme("nope", Some(dir.path()), false).expect_err("unknown");
        assert!(
            e.message
                .contains("ansi16, default, high-contrast, light, mono, ocean"),
            "{e}"
        );
        assert_eq!(e.key.as_deref(), Some("ui.theme"));
    }

    #[test]
    fn no_color_gives_no_colours() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Even a user override of mono with colours gets none.
        std::fs::write(dir.path().join("mono.toml"), "ok = \"green\"\n").expect("write");
        let t = load_theme("default", Some(dir.path()), true).expect("loads");
        assert!(!t.has_colors());
        assert!(!Theme::plain().has_colors());
        assert!(Theme::plain()
            .selected
            .add_modifier
            .contains(Modifier::REVERSED));
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.toml");
        std::fs::write(
            &path,
            "[global]\nkeymap = [{ on = \"Q\", run = \"quit\" }]\n",
        )
        .expect("write");
        let km = load_keymap(&path).expect("loads");
        assert_eq!(km.action(KeyContext::Logs, &ch('Q')), Some(Action::Quit));
        let e = load_keymap(&dir.path().join("missing.toml")).expect_err("missing");
        assert!(e.to_string().contains("missing.toml"), "{e}");
    }
}
