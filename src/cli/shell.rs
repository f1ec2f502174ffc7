//! `flinkdeck completions SHELL` and `flinkdeck man`: shell completions (bash, zsh, fish) and a
//! man page, generated from the command line's own clap definitions, so they never drift from it.

use std::io::Write;

use clap::CommandFactory;

use super::{Cli, Exit};

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
    clap_complete::generate(gen, &mut cmd, "flinkdeck", &mut out);
    match out.flush() {
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
