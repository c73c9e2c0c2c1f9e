//! Command-line interface: one subcommand per job, each parsed here and run by its module.

mod generate;
mod validate;

mod serve;
mod token;

use clap::{Parser, Subcommand, ValueEnum};

/// Matchmaking and recommendation service for Jiangsu's 双高协同 programme.
#[derive(Debug, Parser)]
#[command(name = "shuanggao", version, about)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a dataset directory against the dataset contract v1.
    Validate(validate::ValidateArgs),
    /// Generate a deterministic synthetic dataset and its planted relevance judgements.
    Gen(generate::GenArgs),
    /// Serve the HTTP API.
    Serve(serve::ServeArgs),
    /// Create, revoke and list access tokens.
    Token(token::TokenArgs),
}

/// Runs one parsed command line; the process exit code comes from the returned value.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Gen(args) => generate::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Token(args) => token::run(args),
    }
}
