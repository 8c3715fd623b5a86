//! The chainward command line: `main → run → ExitCode`.

mod cli;
mod commands;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes shared by every command.
pub(crate) mod exit {
    /// Clean: nothing at or above the failure threshold.
    pub(crate) const OK: u8 = 0;
    /// Usage error, unreadable input, or any other failure to do the job.
    pub(crate) const ERROR: u8 = 2;
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    output::init_logging(cli.global.verbose, cli.global.quiet);
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) if output::is_broken_pipe(&e) => ExitCode::from(exit::OK),
        Err(e) => {
            output::report_error(&e);
            ExitCode::from(exit::ERROR)
        }
    }
}
