//! Read-only views of the engine: configuration, models, a snapshot of the dataset, the cluster and latent
//! vector of every document, cached expansions and memory use.

use std::sync::Arc;

use super::config::ScoringConfig;
use super::corpus::QVec;
use super::packed::Packed;
use super::{DocKind, Engine, MatchError};
use crate::domain::{Dataset, TeamId};
use crate::models::Models;

impl Engine {
    /// The scoring configuration in use.
    pub fn config(&self) -> &ScoringConfig {
        &self.config
    }

    /// The trained models in use.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// A snapshot of the current dataset (cheap; later updates do not change it).
    pub fn dataset(&self) -> Result<Arc<Dataset>, MatchError> {
        Ok(self.read()?.data.clone())
    }

    /// The cluster of every team as `(team id, cluster, label)`; empty when no clusters were trained.
    pub fn team_clusters(&self) -> Result<Vec<(TeamId, usize, String)>, MatchError> {
        let state = self.read()?;
        let Some(clusters) = &self.models.clusters else {
            return Ok(Vec::new());
        };
        Ok(state
            .teams
            .iter()
            .zip(&state.data.teams)
            .filter_map(|(rec, team)| {
                let c = rec.cluster?;
                Some((
                    team.id.clone(),
                    c,
                    clusters.labels.get(c).map(|l| l.text()).unwrap_or_default(),
                ))
            })
            .collect())
    }

    /// The latent vectors of all teams (or demands), in dataset order.
    pub fn vectors(&self, kind: DocKind) -> Result<Vec<(String, Vec<f32>)>, MatchError> {
        let state = self.read()?;
        let ids: Vec<&str> = match kind {
            DocKind::Team => state.data.teams.iter().map(|t| t.id.as_str()).collect(),
            DocKind::Demand => state.data.demands.iter().map(|d| d.id.as_str()).collect(),
        };
        let vecs: Vec<&Vec<f32>> = match kind {
            DocKind::Team => state.teams.iter().map(|r| &r.vec).collect(),
            DocKind::Demand => state.demands.iter().map(|r| &r.vec).collect(),
        };
        Ok(ids
            .into_iter()
            .zip(vecs)
            .map(|(id, v)| (id.to_owned(), v.clone()))
            .collect())
    }

    /// How many demands have their pseudo-relevance feedback computed and cached.
    pub fn cached_expansions(&self) -> Result<usize, MatchError> {
        let state = self.read()?;
        Ok(state
            .demands
            .iter()
            .filter(|d| d.expanded.get().is_some())
            .count())
    }

    /// Approximate heap bytes held by the engine's in-memory state, per part (buffer lengths and
    /// capacities, hash tables estimated; the dataset itself is not counted).
    pub fn memory(&self) -> Result<Vec<(&'static str, usize)>, MatchError> {
        fn bag(b: &Packed) -> usize {
            b.bytes()
        }
        fn floats(v: &[f32]) -> usize {
            std::mem::size_of_val(v)
        }
        let state = self.read()?;
        let mut parts = vec![
            ("team profile bags", 0),
            ("team achievement bags", 0),
            ("team bigram bags", 0),
            ("team vectors", 0),
            ("team smoothing levels", 0),
            ("achievement vectors", 0),
            ("demand query bags", 0),
            ("demand bigram bags", 0),
            ("demand vectors", 0),
            ("feedback expansions", 0),
            ("kept demand queries", 0),
        ];
        for t in &state.teams {
            parts[0].1 += bag(&t.bags.profile);
            parts[1].1 += t
                .bags
                .achievements
                .iter()
                .map(|(b, _)| bag(b))
                .sum::<usize>();
            parts[2].1 += bag(&t.bags.bigrams);
            parts[3].1 += floats(&t.vec);
            parts[4].1 += t.levels.iter().map(|l| floats(l)).sum::<usize>();
            parts[5].1 += t.achievement_vecs.iter().map(QVec::bytes).sum::<usize>();
        }
        for d in &state.demands {
            parts[6].1 += bag(&d.bags.query);
            parts[7].1 += bag(&d.bags.bigrams);
            parts[8].1 += floats(&d.vec);
            parts[9].1 += d.expanded.get().map_or(0, |e| e.teams.capacity() * 4);
            parts[10].1 += d.query.get().map_or(0, |q| q.bytes());
        }
        parts.push(("term table", state.interner.bytes()));
        parts.push((
            "term frequencies",
            state.team_df.bytes() + state.demand_df.bytes() + state.team_bigrams.bytes(),
        ));
        parts.push(("team postings", state.team_postings.bytes()));
        if let Some(p) = &state.team_bigram_postings {
            parts.push(("team bigram postings", p.bytes()));
        }
        parts.push(("demand postings", state.demand_postings.bytes()));
        if let Some(p) = &state.demand_bigram_postings {
            parts.push(("demand bigram postings", p.bytes()));
        }
        parts.push((
            "cluster member copies",
            state.team_members.bytes() + state.demand_members.bytes(),
        ));
        Ok(parts)
    }
}
