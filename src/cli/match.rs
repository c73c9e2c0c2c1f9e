//! `shuanggao match --data DIR (--demand ID | --team ID) [--limit N] [--json]`: ranked matches with
//! explanations.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use shuanggao::domain::{DemandId, TeamId};
use shuanggao::matching::{Engine, Lang, OpenOptions, PairMatch};

use super::InputError;

/// Language of the summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Language {
    Zh,
    En,
}

/// Arguments of `match`.
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// Dataset directory.
    #[arg(long)]
    pub data: PathBuf,
    /// Rank teams for this demand.
    #[arg(long, conflicts_with = "team", required_unless_present = "team")]
    pub demand: Option<String>,
    /// Rank demands for this team.
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value = "zh")]
    pub lang: Language,
    #[arg(long, default_value = "index")]
    pub index_dir: PathBuf,
    #[arg(long, default_value = "models")]
    pub models_dir: PathBuf,
}

fn print_text(matches: &[PairMatch], lang: Lang, by_team: bool) {
    for (i, m) in matches.iter().enumerate() {
        let other = if by_team {
            m.demand_id.as_str()
        } else {
            m.team_id.as_str()
        };
        println!(
            "{:>3}. {other}  score {:.3}  {}",
            i + 1,
            m.score,
            m.explanation.summary_in(lang)
        );
        let parts: Vec<String> = m
            .explanation
            .contributions
            .iter()
            .filter(|c| c.contribution > 0.0)
            .map(|c| format!("{} {:.3}", c.feature, c.contribution))
            .collect();
        println!("     {}", parts.join(", "));
        if !m.explanation.matched_terms.is_empty() {
            let terms: Vec<String> = m
                .explanation
                .matched_terms
                .iter()
                .take(8)
                .map(|t| format!("{}({:.2})", t.term, t.weight))
                .collect();
            println!("     terms: {}", terms.join(" "));
        }
        if let Some(a) = &m.explanation.best_achievement {
            println!(
                "     best achievement #{} ({:.2}): {}",
                a.index, a.relevance, a.snippet.html
            );
        }
    }
}

pub fn run(args: MatchArgs) -> anyhow::Result<()> {
    let data = super::load::dataset(&args.data)?;
    let engine = Engine::open(
        data,
        &args.index_dir,
        &args.models_dir,
        &OpenOptions::default(),
    )?
    .0;
    let lang = match args.lang {
        Language::Zh => Lang::Zh,
        Language::En => Lang::En,
    };
    let (matches, by_team) = match (&args.demand, &args.team) {
        (Some(d), None) => (
            engine.teams_for_demand(&DemandId(d.clone()), args.limit)?,
            false,
        ),
        (None, Some(t)) => (
            engine.demands_for_team(&TeamId(t.clone()), args.limit)?,
            true,
        ),
        _ => return Err(InputError("give exactly one of --demand and --team".into()).into()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&matches)?);
    } else {
        print_text(&matches, lang, by_team);
    }
    Ok(())
}
