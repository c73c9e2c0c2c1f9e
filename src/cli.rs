//! Command-line interface: one subcommand per job, each parsed here and run by its module.

mod generate;
mod validate;

use clap::{Parser, Subcommand};

/// Matchmaking and recommendation service for Jiangsu's 双高协同 programme.
#[derive(Debug, Parser)]
#[command(name = "shuanggao", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a dataset directory against the dataset contract v1.
    Validate(validate::ValidateArgs),
    /// Generate a deterministic synthetic dataset and its planted relevance judgements.
    Gen(generate::GenArgs),
}

/// Runs one parsed command line; the process exit code comes from the returned value.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Gen(args) => generate::run(args),
    }
}
