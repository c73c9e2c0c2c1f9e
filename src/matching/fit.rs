//! Refitting the scoring weights from labelled pairs: the feature vectors of a query's candidate pairs (the
//! engine's best N plus every judged document), a deterministic split of the queries into a fit half and a
//! held-out half, coordinate ascent of the weights on mean nDCG@10, and the rewrite of `scoring.toml` that
//! keeps its comments.
//!
//! Nothing here names a feature: everything goes through [`FEATURES`] and [`N_FEATURES`], so a new feature
//! set is refitted the same way. Weights stay non-negative and sum to 1, so scores stay in [0, 1] and the
//! contributions of an explanation still sum to the score.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;

use super::config::ScoringConfig;
use super::features::PairAt;
use super::rank::Ranking;
use super::state::State;
use super::{Engine, FEATURES, MatchError, N_FEATURES, Weights};
use crate::domain::{DemandId, TeamId};
use crate::evaluation;

/// One candidate of a query: the other side's id and the pair's feature values in [`FEATURES`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: String,
    pub values: [f32; N_FEATURES],
}

/// A labelled query: its judgements (document id → grade) and its candidates.
#[derive(Debug, Clone, PartialEq)]
pub struct FitQuery {
    pub id: String,
    pub judged: HashMap<String, u32>,
    pub candidates: Vec<Candidate>,
}

/// The outcome of [`coordinate_ascent`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// The fitted weights in [`FEATURES`] order (non-negative, summing to 1).
    pub weights: [f32; N_FEATURES],
    /// Mean nDCG@10 of the candidates re-ranked with the starting weights.
    pub start_ndcg: f64,
    /// The same with the fitted weights.
    pub ndcg: f64,
    /// Rounds over all coordinates until none improved.
    pub rounds: usize,
}

impl Engine {
    /// Feature vectors of the `depth` best teams for a demand (best first under the current weights; 0: all),
    /// followed by those of the `also` teams not among them (ids unknown to the dataset are skipped).
    pub fn team_candidates(
        &self,
        demand: &DemandId,
        depth: usize,
        also: &[TeamId],
    ) -> Result<Vec<Candidate>, MatchError> {
        let state = self.read()?;
        let of = Ranking::TeamsOf(state.demand_slot(demand)?);
        let also = also.iter().filter_map(|t| state.team_slot(t).ok());
        self.candidates(&state, of, depth, also)
    }

    /// Feature vectors of the `depth` best demands for a team (best first under the current weights; 0: all),
    /// followed by those of the `also` demands not among them (ids unknown to the dataset are skipped).
    pub fn demand_candidates(
        &self,
        team: &TeamId,
        depth: usize,
        also: &[DemandId],
    ) -> Result<Vec<Candidate>, MatchError> {
        let state = self.read()?;
        let of = Ranking::DemandsOf(state.team_slot(team)?);
        let also = also.iter().filter_map(|d| state.demand_slot(d).ok());
        self.candidates(&state, of, depth, also)
    }

    /// Feature vectors of the `depth` best documents of a ranking (0: all), then of the `also` slots not
    /// among them.
    fn candidates(
        &self,
        state: &State,
        of: Ranking,
        depth: usize,
        also: impl Iterator<Item = usize>,
    ) -> Result<Vec<Candidate>, MatchError> {
        let ranked = self.ranked(state, of, of.limit(state, depth))?;
        let mut seen: HashSet<usize> = ranked.iter().map(|(i, _, _)| *i).collect();
        let mut out: Vec<Candidate> = ranked
            .into_iter()
            .map(|(i, _, f)| Candidate {
                id: of.id(state, i).to_owned(),
                values: f.values,
            })
            .collect();
        for i in also {
            if seen.insert(i) {
                let (d, t) = of.pair(i);
                let q = self.query(state, d);
                out.push(Candidate {
                    id: of.id(state, i).to_owned(),
                    values: self.features(state, PairAt::new(d, &q, t, false)).values,
                });
            }
        }
        Ok(out)
    }
}

/// Whether a query belongs to the held-out half: the parity of the 64-bit FNV-1a hash of its id, so the
/// split is the same on every machine and every run, and does not depend on the order of the qrels.
pub fn held_out(query_id: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in query_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // The low bit of FNV-1a follows the low bit of the last byte; mix the high half in first.
    (h ^ (h >> 32)) & 1 == 1
}

/// The score of a candidate under `weights`.
fn score(values: &[f32; N_FEATURES], weights: &[f32; N_FEATURES]) -> f32 {
    values.iter().zip(weights).map(|(v, w)| v * w).sum()
}

/// The ids of a query's candidates re-ranked by `weights` (the first `k`; ties keep the candidates' order).
pub fn rerank<'q>(query: &'q FitQuery, weights: &[f32; N_FEATURES], k: usize) -> Vec<&'q str> {
    let mut scored: Vec<(f32, usize)> = query
        .candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (score(&c.values, weights), i))
        .collect();
    let cmp = |a: &(f32, usize), b: &(f32, usize)| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.cmp(&b.1))
    };
    if k > 0 && k < scored.len() {
        scored.select_nth_unstable_by(k - 1, cmp);
        scored.truncate(k);
    }
    scored.sort_by(cmp);
    scored
        .into_iter()
        .map(|(_, i)| query.candidates[i].id.as_str())
        .collect()
}

/// Mean nDCG@10 of the queries' candidates re-ranked by `weights` (0 without queries).
pub fn mean_ndcg(queries: &[FitQuery], weights: &[f32; N_FEATURES]) -> f64 {
    if queries.is_empty() {
        return 0.0;
    }
    let total: f64 = queries
        .par_iter()
        .map(|q| evaluation::ndcg(&rerank(q, weights, 10), &q.judged, 10))
        .sum();
    total / queries.len() as f64
}

/// Weights scaled to sum to 1 (uniform when they sum to zero or are not usable).
pub fn normalised(weights: [f32; N_FEATURES]) -> [f32; N_FEATURES] {
    let clean = weights.map(|w| if w.is_finite() { w.max(0.0) } else { 0.0 });
    let sum: f32 = clean.iter().sum();
    if sum > 0.0 {
        clean.map(|w| w / sum)
    } else {
        [1.0 / N_FEATURES as f32; N_FEATURES]
    }
}

/// Values tried for one weight while the others stay (before scaling back to a sum of 1).
const STEPS: [f32; 16] = [
    0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0,
];

/// Factors of the current weight tried as well (finer steps near it).
const FACTORS: [f32; 8] = [0.5, 0.67, 0.8, 0.9, 1.1, 1.25, 1.5, 2.0];

/// Smallest gain of the objective that moves a weight (keeps the fit from wandering on ties).
const MIN_GAIN: f64 = 1e-6;

/// How far one fit may move the weights from where it starts. Feature values are measured under the
/// starting weights, and some depend on them (pseudo-relevance feedback ranks a first pass with them), so a
/// fit that stays near its start can trust them; the next pass measures again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// Each weight stays within `[w / factor, w × factor]` of its starting value `w`...
    pub factor: f32,
    /// ...or within `w + slack` (lets a zero weight grow).
    pub slack: f32,
}

impl Region {
    fn contains(&self, start: &[f32; N_FEATURES], w: &[f32; N_FEATURES]) -> bool {
        start.iter().zip(w).all(|(&s, &x)| {
            x >= s / self.factor - 1e-7 && x <= (s * self.factor).max(s + self.slack) + 1e-7
        })
    }
}

/// Coordinate ascent from one starting point: each round tries every weight on [`STEPS`] and [`FACTORS`] of
/// its value, keeping the others, scales the result to a sum of 1, and keeps the best that stays in the
/// region; stops when a round improves nothing.
fn ascend(
    queries: &[FitQuery],
    start: [f32; N_FEATURES],
    region: Option<Region>,
) -> ([f32; N_FEATURES], f64, usize) {
    const MAX_ROUNDS: usize = 25;
    let origin = normalised(start);
    let mut weights = origin;
    let mut best = mean_ndcg(queries, &weights);
    let mut rounds = 0;
    while rounds < MAX_ROUNDS {
        rounds += 1;
        let mut improved = false;
        for i in 0..N_FEATURES {
            let current = weights[i];
            let tries = STEPS
                .iter()
                .copied()
                .chain(FACTORS.iter().map(|f| f * current));
            for value in tries {
                if (value - current).abs() < 1e-7 {
                    continue;
                }
                let mut trial = weights;
                trial[i] = value;
                if trial.iter().sum::<f32>() <= 0.0 {
                    continue;
                }
                let trial = normalised(trial);
                if region.is_some_and(|r| !r.contains(&origin, &trial)) {
                    continue;
                }
                let ndcg = mean_ndcg(queries, &trial);
                if ndcg > best + MIN_GAIN {
                    best = ndcg;
                    weights = trial;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    (weights, best, rounds)
}

/// Fits the weights by coordinate ascent on the mean nDCG@10 of `queries` (Metzler and Croft's linear
/// feature-based model). Within a region, only from `start`; without one, from `start` and from uniform
/// weights, the start winning ties, so weights only move when the labels say so.
pub fn coordinate_ascent(
    queries: &[FitQuery],
    start: [f32; N_FEATURES],
    region: Option<Region>,
) -> Fit {
    let start = normalised(start);
    let start_ndcg = mean_ndcg(queries, &start);
    let (mut weights, mut ndcg, mut rounds) = ascend(queries, start, region);
    if region.is_none() {
        let (w, n, r) = ascend(queries, [1.0; N_FEATURES], None);
        if n > ndcg + MIN_GAIN {
            (weights, ndcg, rounds) = (w, n, r);
        }
    }
    Fit {
        weights,
        start_ndcg,
        ndcg,
        rounds,
    }
}

/// `text` (a `scoring.toml`) with the weight of every feature of [`FEATURES`] in its `[weights]` table
/// replaced by `weights`, everything else (comments, order, other tables) unchanged. Checked by parsing: the
/// result must read back as `config` with the new weights.
pub fn rewrite_weights(
    text: &str,
    config: &ScoringConfig,
    weights: &[f32; N_FEATURES],
) -> Result<String, MatchError> {
    let mut out = String::with_capacity(text.len());
    let mut in_weights = false;
    let mut written = [false; N_FEATURES];
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_weights = trimmed == "[weights]";
        }
        let key = trimmed.split('=').next().map(str::trim).unwrap_or("");
        let feature = FEATURES.iter().position(|f| *f == key);
        match feature {
            Some(i) if in_weights && trimmed.contains('=') && !trimmed.starts_with('#') => {
                let end = if line.ends_with('\n') { "\n" } else { "" };
                out.push_str(&format!("{key} = {:.4}{end}", weights[i]));
                written[i] = true;
            }
            _ => out.push_str(line),
        }
    }
    if let Some(i) = written.iter().position(|w| !w) {
        return Err(MatchError::Config(format!(
            "[weights] has no line for feature {:?}",
            FEATURES[i]
        )));
    }
    let parsed = ScoringConfig::parse(&out)?;
    let want = normalised(*weights);
    let same_weights = parsed
        .weights
        .as_array()
        .iter()
        .zip(&want)
        .all(|(a, b)| (a - b).abs() < 1e-3);
    let mut expected = *config;
    expected.weights = parsed.weights;
    if !same_weights || parsed != expected {
        return Err(MatchError::Config(
            "rewritten scoring configuration does not read back as intended".into(),
        ));
    }
    Ok(out)
}

/// The configuration `config` with `weights`, as the text of a `scoring.toml`: `previous` (the file it was
/// read from) with the weights rewritten in place when possible, else the configuration written afresh.
pub fn scoring_toml(previous: &str, config: &ScoringConfig, weights: &[f32; N_FEATURES]) -> String {
    rewrite_weights(previous, config, weights).unwrap_or_else(|_| {
        let mut c = *config;
        c.weights = Weights::from_array(normalised(*weights));
        c.to_toml()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::config::DEFAULT_SCORING;

    fn query(
        id: &str,
        judged: &[(&str, u32)],
        candidates: &[(&str, [f32; N_FEATURES])],
    ) -> FitQuery {
        FitQuery {
            id: id.into(),
            judged: judged.iter().map(|(d, g)| (d.to_string(), *g)).collect(),
            candidates: candidates
                .iter()
                .map(|(d, v)| Candidate {
                    id: d.to_string(),
                    values: *v,
                })
                .collect(),
        }
    }

    fn unit(i: usize, x: f32) -> [f32; N_FEATURES] {
        let mut v = [0.0; N_FEATURES];
        v[i] = x;
        v
    }

    #[test]
    fn split_is_stable_and_near_half() {
        let held = (0..2000).filter(|i| held_out(&format!("d-{i:04}"))).count();
        assert!((900..1100).contains(&held), "{held} of 2000 held out");
        assert_eq!(held_out("d-0001"), held_out("d-0001"));
        // Ids differing only in their last character still land on both sides.
        let sides: HashSet<bool> = ["t-0", "t-1", "t-2", "t-3", "t-4", "t-5"]
            .iter()
            .map(|q| held_out(q))
            .collect();
        assert_eq!(sides.len(), 2);
    }

    #[test]
    fn ascent_moves_weight_to_the_feature_that_ranks_the_judged_first() {
        // Feature 0 puts the relevant document last, feature 1 puts it first; start all on feature 0.
        let queries: Vec<FitQuery> = (0..6)
            .map(|k| {
                let rel = format!("r{k}");
                query(
                    &format!("q{k}"),
                    &[(rel.as_str(), 1)],
                    &[
                        ("a", unit(0, 0.9)),
                        ("b", unit(0, 0.8)),
                        (rel.as_str(), {
                            let mut v = unit(0, 0.1);
                            v[1] = 0.7;
                            v
                        }),
                    ],
                )
            })
            .collect();
        let fit = coordinate_ascent(&queries, unit(0, 1.0), None);
        assert!(fit.start_ndcg < 0.6, "{fit:?}");
        assert!((fit.ndcg - 1.0).abs() < 1e-9, "{fit:?}");
        assert!(fit.weights[1] > 0.0);
        assert!((fit.weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        assert!(fit.weights.iter().all(|w| *w >= 0.0));
        assert_eq!(rerank(&queries[0], &fit.weights, 1), ["r0"]);
    }

    #[test]
    fn a_region_bounds_each_move() {
        // Feature 1 ranks the relevant document first only when it outweighs feature 0 by far.
        let queries = vec![query(
            "q",
            &[("r", 1)],
            &[
                ("a", unit(0, 1.0)),
                ("r", {
                    let mut v = unit(0, 0.1);
                    v[1] = 1.0;
                    v
                }),
            ],
        )];
        let mut start = [0.0; N_FEATURES];
        start[0] = 0.8;
        start[1] = 0.2;
        let region = Region {
            factor: 1.5,
            slack: 0.01,
        };
        // r wins when 0.1·w0 + w1 > w0, i.e. w1 > 0.9·w0: out of reach within the region (w1 ≤ 0.3,
        // w0 ≥ 0.53), reached without it.
        let one = coordinate_ascent(&queries, start, Some(region));
        assert_eq!(one.weights, normalised(start));
        assert!(
            one.weights
                .iter()
                .zip(&start)
                .all(|(w, s)| *w <= (s * 1.5).max(s + 0.01) + 1e-6 && *w >= s / 1.5 - 1e-6)
        );
        let free = coordinate_ascent(&queries, start, None);
        assert_eq!(free.ndcg, 1.0);
        assert!(free.weights[1] > 0.9 * free.weights[0]);
    }

    #[test]
    fn weights_stay_when_nothing_is_gained() {
        let queries = vec![query(
            "q",
            &[("a", 2)],
            &[("a", unit(0, 1.0)), ("b", unit(0, 0.5))],
        )];
        let start = normalised([1.0; N_FEATURES]);
        let fit = coordinate_ascent(&queries, start, None);
        assert_eq!(fit.weights, start);
        assert_eq!((fit.start_ndcg, fit.ndcg), (1.0, 1.0));
    }

    #[test]
    fn rerank_breaks_ties_by_candidate_order_and_cuts_at_k() {
        let q = query(
            "q",
            &[],
            &[
                ("x", unit(0, 0.5)),
                ("y", unit(0, 0.5)),
                ("z", unit(0, 0.9)),
            ],
        );
        assert_eq!(rerank(&q, &unit(0, 1.0), 0), ["z", "x", "y"]);
        assert_eq!(rerank(&q, &unit(0, 1.0), 2), ["z", "x"]);
    }

    #[test]
    fn weights_are_rewritten_in_place_keeping_comments() {
        let config = ScoringConfig::parse(DEFAULT_SCORING).expect("shipped");
        let mut w = [0.0; N_FEATURES];
        w[N_FEATURES - 1] = 0.25;
        w[0] = 0.75;
        let text = rewrite_weights(DEFAULT_SCORING, &config, &w).expect("rewrite");
        let comments = |t: &str| t.lines().filter(|l| l.starts_with('#')).count();
        assert_eq!(comments(&text), comments(DEFAULT_SCORING));
        assert_eq!(text.lines().count(), DEFAULT_SCORING.lines().count());
        let back = ScoringConfig::parse(&text).expect("parses");
        assert_eq!(back.weights.as_array(), w);
        assert_eq!(back.bm25, config.bm25);
        // A file without a line for some feature is written afresh instead.
        let partial: String = DEFAULT_SCORING
            .lines()
            .filter(|l| !l.starts_with(&format!("{} =", FEATURES[1])))
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(rewrite_weights(&partial, &config, &w).is_err());
        let fresh = scoring_toml(&partial, &config, &w);
        assert_eq!(
            ScoringConfig::parse(&fresh)
                .expect("fresh")
                .weights
                .as_array(),
            w
        );
    }
}
