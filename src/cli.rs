//! Command-line interface: one subcommand per job, each parsed here and run by its module.

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
    /// Serve the HTTP API.
    Serve(serve::ServeArgs),
    /// Create, revoke and list access tokens.
    Token(token::TokenArgs),
}

/// Runs one parsed command line; the process exit code comes from the returned value.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Token(args) => token::run(args),
    }
}
