//! Command-line interface: one subcommand per job, each parsed here and run by its module.

mod cluster;
mod eval;
mod index;
mod load;
mod r#match;
mod train;

use std::process::ExitCode;

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
    /// Build (or reopen) the text index of a dataset, training the models if needed.
    Index(index::IndexArgs),
    /// Train the models (TF-IDF, LSA, clusters) of a dataset; with --qrels, refit the scoring weights.
    Train(train::TrainArgs),
    /// Evaluate the ranking against TREC qrels (builds everything in a temporary directory).
    Eval(eval::EvalArgs),
    /// Cluster teams or demands and write `ID<TAB>CLUSTER<TAB>LABEL` per row.
    Cluster(cluster::ClusterArgs),
    /// Print the ranked matches of a demand or a team, with explanations.
    Match(r#match::MatchArgs),
}

/// An error in the user's input (arguments or data): reported with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Runs one parsed command line; the process exit code comes from the returned value.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let result = match cli.command {
        Command::Index(args) => index::run(args),
        Command::Train(args) => train::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Cluster(args) => cluster::run(args),
        Command::Match(args) => r#match::run(args),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(err) => match err.downcast_ref::<InputError>() {
            Some(input) => {
                eprintln!("error: {input}");
                Ok(ExitCode::from(2))
            }
            None => match err.downcast_ref::<shuanggao::matching::MatchError>() {
                Some(e @ shuanggao::matching::MatchError::NotFound { .. })
                | Some(e @ shuanggao::matching::MatchError::Invalid(_)) => {
                    eprintln!("error: {e}");
                    Ok(ExitCode::from(2))
                }
                _ => Err(err),
            },
        },
    }
}
