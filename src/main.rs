//! The `flinkdeck` binary: everything lives in the library; see `flinkdeck::cli`.

fn main() -> std::process::ExitCode {
    flinkdeck::cli::main_entry()
}
