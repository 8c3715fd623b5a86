//! One module per subcommand.

mod pipeline;
mod sbom;

use crate::cli::{Cli, Command};

/// Runs the chosen command and returns its exit code.
pub(crate) fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Sbom(args) => sbom::run(&args, cli.global.quiet),
        Command::Pipeline(cmd) => pipeline::run(cmd),
    }
}
