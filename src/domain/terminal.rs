//! Which terminal escape sequences beyond plain drawing the console may send: OSC 8 hyperlinks
//! and OSC 52 clipboard writes (`[ui] hyperlinks` / `[ui] clipboard`), decided from the switch
//! and what the caller read about the terminal (no I/O here).

use std::fmt;
use std::str::FromStr;

/// A `[ui]` switch: `auto` (on when the terminal looks capable, see [`TermEnv::capable`]), `on`
/// or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Switch {
    #[default]
    Auto,
    On,
    Off,
}

impl Switch {
    pub const NAMES: [&'static str; 3] = ["auto", "on", "off"];

    /// Whether the feature is used on a terminal described by `env`.
    pub fn enabled(self, env: &TermEnv) -> bool {
        match self {
            Switch::On => true,
            Switch::Off => false,
            Switch::Auto => env.capable(),
        }
    }
}

impl FromStr for Switch {
    type Err = ();

    fn from_str(s: &str) -> Result<Switch, ()> {
        match s {
            "auto" => Ok(Switch::Auto),
            "on" => Ok(Switch::On),
            "off" => Ok(Switch::Off),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Switch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Switch::Auto => "auto",
            Switch::On => "on",
            Switch::Off => "off",
        })
    }
}

/// What the caller found out about the terminal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TermEnv {
    /// `TERM` (`None` when unset).
    pub term: Option<String>,
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// Standard output is a terminal.
    pub tty: bool,
    /// `TMUX` is set: sequences the terminal must see go through tmux's passthrough.
    pub tmux: bool,
}

impl TermEnv {
    /// Whether `auto` turns the sequences on: a terminal (`tty`), a `TERM` that is set and not
    /// `dumb`, and no `NO_COLOR` (a user who asked for plain output gets no escapes beyond what
    /// drawing needs).
    pub fn capable(&self) -> bool {
        self.tty
            && !self.no_color
            && self
                .term
                .as_deref()
                .is_some_and(|t| !t.is_empty() && t != "dumb")
    }
}

/// What the console sends: hyperlinks, clipboard writes, and whether through tmux.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TermFeatures {
    pub hyperlinks: bool,
    pub clipboard: bool,
    pub tmux: bool,
}

impl TermFeatures {
    /// The features the switches turn on for the terminal `env`.
    pub fn decide(hyperlinks: Switch, clipboard: Switch, env: &TermEnv) -> TermFeatures {
        TermFeatures {
            hyperlinks: hyperlinks.enabled(env),
            clipboard: clipboard.enabled(env),
            tmux: env.tmux,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(term: Option<&str>, no_color: bool, tty: bool) -> TermEnv {
        TermEnv {
            term: term.map(str::to_string),
            no_color,
            tty,
            tmux: false,
        }
    }

    /// The support table: `auto` is on only on a tty with a real TERM and no NO_COLOR; `on` and
    /// `off` ignore the terminal.
    #[test]
    fn support_detection_table() {
        let xterm = Some("xterm-256color");
        let cases = [
            (env(xterm, false, true), true),
            (env(Some("screen-256color"), false, true), true),
            (env(xterm, true, true), false),
            (env(Some("dumb"), false, true), false),
            (env(None, false, true), false),
            (env(Some(""), false, true), false),
            (env(xterm, false, false), false),
        ];
        for (e, want) in cases {
            assert_eq!(Switch::Auto.enabled(&e), want, "auto on {e:?}");
            assert!(Switch::On.enabled(&e), "on on {e:?}");
            assert!(!Switch::Off.enabled(&e), "off on {e:?}");
        }
        let f = TermFeatures::decide(
            Switch::Off,
            Switch::Auto,
            &TermEnv {
                tmux: true,
                ..env(xterm, false, true)
            },
        );
        assert_eq!(
            f,
            TermFeatures {
                hyperlinks: false,
                clipboard: true,
                tmux: true
            }
        );
    }

    #[test]
    fn switch_names_round_trip() {
        for n in Switch::NAMES {
            let s: Switch = n.parse().expect("known");
            assert_eq!(s.to_string(), n);
        }
        assert!("yes".parse::<Switch>().is_err());
    }
}
