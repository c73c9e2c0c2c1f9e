//! Command-line interface: one subcommand per job, each parsed here and run by its module.

mod backup;
mod bench;
mod cluster;
mod eval;
mod generate;
mod import;
mod index;
mod load;
mod r#match;
mod propose;
mod serve;
mod synth;
mod token;
mod train;
mod validate;

use std::process::ExitCode;

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
    /// Build (or reopen) the text index of a dataset, training the models if needed.
    Index(index::IndexArgs),
    /// Train the models (TF-IDF, LSA, clusters) of a dataset; with --qrels, refit the scoring weights.
    Train(train::TrainArgs),
    /// Evaluate the ranking against TREC qrels (builds everything in a temporary directory).
    Eval(eval::EvalArgs),
    /// Measure build throughput, query latency and peak memory on a dataset (built in a temporary directory).
    Bench(bench::BenchArgs),
    /// Cluster teams or demands and write `ID<TAB>CLUSTER<TAB>LABEL` per row.
    Cluster(cluster::ClusterArgs),
    /// Print the ranked matches of a demand or a team, with explanations.
    Match(r#match::MatchArgs),
    /// Serve the HTTP API and the web console.
    Serve(serve::ServeArgs),
    /// Create, revoke and list access tokens.
    Token(token::TokenArgs),
    /// Copy the service's database while it runs (SQLite online backup, WAL included).
    Backup(backup::BackupArgs),
    /// Restore a backup as the service's database (where none exists yet).
    Restore(backup::RestoreArgs),
    /// Import demands, teams or outcomes from an XLSX or CSV file (the service stopped), or write a
    /// template.
    Import(import::ImportArgs),
    /// Propose zone–university pairings with five-in-one bundles for the given tracks.
    Propose(propose::ProposeArgs),
    /// Solve a synthetic dataset or a random instance and write INSTANCE.json and BATCH.json
    /// (benchmarks and external-solver checks).
    #[command(hide = true)]
    SynthPropose(synth::SynthArgs),
}

/// An error in the user's input (arguments or data): reported with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Runs one parsed command line; the process exit code comes from the returned value.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Gen(args) => generate::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Token(args) => token::run(args),
        Command::Backup(args) => backup::backup(args),
        Command::Restore(args) => backup::restore(args),
        Command::Import(args) => import::run(args),
        Command::Propose(args) => propose::run(args),
        Command::SynthPropose(args) => synth::run(args),
        Command::Index(args) => engine_exit(index::run(args)),
        Command::Train(args) => engine_exit(train::run(args)),
        Command::Eval(args) => engine_exit(eval::run(args)),
        Command::Cluster(args) => engine_exit(cluster::run(args)),
        Command::Bench(args) => engine_exit(bench::run(args)),
        Command::Match(args) => engine_exit(r#match::run(args)),
    }
}

/// Maps the result of an engine command to an exit code: bad input (arguments, unknown ids, invalid
/// data) is exit 2, anything else an error.
fn engine_exit(result: anyhow::Result<()>) -> anyhow::Result<ExitCode> {
    use shuanggao::matching::MatchError;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(err) => {
            let input = err.downcast_ref::<InputError>().is_some()
                || matches!(
                    err.downcast_ref::<MatchError>(),
                    Some(MatchError::NotFound { .. } | MatchError::Invalid(_))
                );
            if input {
                eprintln!("error: {err}");
                Ok(ExitCode::from(2))
            } else {
                Err(err)
            }
        }
    }
}
