//! Command-line interface: one subcommand per job, each parsed here and run by its module.

mod propose;
mod synth;

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
    /// Propose zone–university pairings with five-in-one bundles for the given tracks.
    Propose(propose::ProposeArgs),
    /// Solve a synthetic dataset or a random instance and write INSTANCE.json and BATCH.json
    /// (benchmarks and external-solver checks).
    #[command(hide = true)]
    SynthPropose(synth::SynthArgs),
}

/// Runs one parsed command line; the process exit code comes from the returned value.
pub fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    match cli.command {
        Command::Propose(args) => propose::run(args),
        Command::SynthPropose(args) => synth::run(args),
    }
}
