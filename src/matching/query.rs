//! A demand as a query: its weighted word and bigram terms, and its pseudo-relevance feedback (the best
//! teams of a lexical first pass, cached per demand until the teams change, and the latent expansion made
//! from them).

use rayon::prelude::*;

use super::state::State;
use super::topk::top_by_bound;
use super::{Engine, MatchError};

/// Words of the bit filter of [`Terms`] (4,096 bits).
pub(super) const FILTER_WORDS: usize = 64;

/// Weighted query terms: `(term, qw × idf)` sorted by term, and their sum (the best possible BM25 share).
/// A bit filter over the terms lets a bag be scanned against them with one predictable test per entry.
pub(super) struct Terms {
    pub(super) terms: Vec<(u32, f32)>,
    pub(super) upper: f32,
    pub(super) filter: [u64; FILTER_WORDS],
}

impl Default for Terms {
    fn default() -> Terms {
        Terms::new(Vec::new())
    }
}

/// The filter bit of a term id or bigram key.
pub(super) fn filter_bit(key: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B1) >> 20) as usize
}

impl Terms {
    pub(super) fn new(mut terms: Vec<(u32, f32)>) -> Terms {
        terms.retain(|(_, w)| *w > 0.0);
        terms.sort_unstable_by_key(|&(t, _)| t);
        let upper = terms.iter().map(|(_, w)| w).sum();
        let mut filter = [0u64; FILTER_WORDS];
        for &(t, _) in &terms {
            let bit = filter_bit(t);
            filter[bit >> 6] |= 1 << (bit & 63);
        }
        Terms {
            terms,
            upper,
            filter,
        }
    }

    /// Terms of query weights `qw`, each weighted `qw × idf`.
    pub(super) fn weighted(
        terms: impl Iterator<Item = (u32, f32)>,
        idf: impl Fn(u32) -> f32,
    ) -> Terms {
        Terms::new(terms.map(|(t, qw)| (t, qw * idf(t))).collect())
    }

    /// The weight of `key`, if it is one of the terms.
    pub(super) fn weight(&self, key: u32) -> Option<f32> {
        let bit = filter_bit(key);
        if self.filter[bit >> 6] & (1 << (bit & 63)) == 0 {
            return None;
        }
        self.terms
            .binary_search_by_key(&key, |&(t, _)| t)
            .ok()
            .map(|i| self.terms[i].1)
    }
}

/// Pseudo-relevance feedback of a demand as cached: the best teams of its lexical first pass (slots, valid
/// until the teams change, which resets every cache) and the best team's lexical share.
#[derive(Default)]
pub(super) struct Feedback {
    pub(super) teams: Vec<u32>,
    pub(super) confidence: f32,
}

/// What pseudo-relevance feedback knows about a demand: the unit mean vector of the best teams of a
/// lexical first pass (empty when there is none) and how sure that pass is (the best team's lexical share).
#[derive(Default)]
pub(super) struct Expansion {
    pub(super) vec: Vec<f32>,
    pub(super) confidence: f32,
}

/// Per-request view of a demand as a query.
pub(super) struct Query {
    /// Word terms, `(term, qw × idf)`.
    pub(super) lexical: Terms,
    /// Character-bigram terms, `(key, qw × idf)`.
    pub(super) bigrams: Terms,
    pub(super) expansion: Expansion,
    /// The demand's latent vector over the cluster model's dimensions, at unit length (empty without a
    /// cluster model), for the `cluster` feature.
    pub(super) cluster_vec: Vec<f32>,
}

impl Engine {
    pub(super) fn query(&self, state: &State, d: usize) -> Query {
        let demand = &state.demands[d];
        let lexical = Terms::weighted(demand.bags.query.iter(), |t| state.team_df.idf(t));
        let bigrams = Terms::weighted(demand.bags.bigrams.iter(), |k| state.team_bigrams.idf(k));
        let feedback = demand
            .expanded
            .get_or_init(|| self.feedback(state, d, &lexical, &bigrams));
        let expansion = self.expansion(state, d, feedback);
        let cluster_vec = self.models.clusters.as_ref().map_or_else(Vec::new, |c| {
            let mut v: Vec<f32> = demand
                .vec
                .iter()
                .take(c.centroids.dims())
                .copied()
                .collect();
            crate::models::normalise(&mut v);
            v
        });
        Query {
            lexical,
            bigrams,
            expansion,
            cluster_vec,
        }
    }

    /// Pseudo-relevance feedback for a demand: a lexical-only first pass over the teams (all of them, or
    /// the demand's nearest teams in the latent space), whose best `documents` teams stand for the
    /// demand's topic. The best team's own lexical share says how far to trust them.
    pub(super) fn feedback(
        &self,
        state: &State,
        d: usize,
        words: &Terms,
        bigrams: &Terms,
    ) -> Feedback {
        let n = self.config.feedback.documents;
        if n == 0 || state.teams.is_empty() {
            return Feedback::default();
        }
        let r = &self.config.retrieval;
        // Above `exhaustive_below` teams the first pass reads the demand's latent neighbours only: a text
        // index query per demand would make precomputing every demand's feedback too slow at 100k teams.
        let candidates: Vec<usize> = if state.teams.len() <= r.exhaustive_below {
            (0..state.teams.len()).collect()
        } else {
            let mut v = self.nearest(
                &state.demands[d].vec,
                state.teams.len(),
                r.semantic_candidates,
                |t| (state.teams[t].cluster, &state.teams[t].vec),
            );
            v.sort_unstable();
            v
        };
        // The best `n` positive lexical shares, exactly: the bound is the share with every bigram matched,
        // so the bigram part is computed only while a bound can still reach the `n`-th best.
        let bounded: Vec<(usize, f32, ())> = candidates
            .into_iter()
            .map(|t| {
                (
                    t,
                    self.lexical_bound(state, words, bigrams, &state.teams[t]),
                    (),
                )
            })
            .filter(|(_, b, _)| *b > 0.0)
            .collect();
        let mut scored = top_by_bound(bounded, n, 1, |t, ()| {
            self.lexical(state, words, bigrams, &state.teams[t], |_, _| {})
        });
        scored.retain(|(_, s)| *s > 0.0);
        let confidence = scored.first().map_or(0.0, |s| s.1);
        Feedback {
            teams: scored.iter().map(|&(t, _)| t as u32).collect(),
            confidence,
        }
    }

    /// The unit mean latent vector of a demand's feedback teams (empty when there are none).
    pub(super) fn expansion(&self, state: &State, d: usize, feedback: &Feedback) -> Expansion {
        if feedback.teams.is_empty() {
            return Expansion::default();
        }
        let mut vec = vec![0f32; state.demands[d].vec.len()];
        for &t in &feedback.teams {
            for (x, y) in vec.iter_mut().zip(&state.teams[t as usize].vec) {
                *x += y;
            }
        }
        crate::models::normalise(&mut vec);
        Expansion {
            vec,
            confidence: feedback.confidence,
        }
    }

    /// Computes and caches the pseudo-relevance feedback of every demand, in parallel, when the team side
    /// is large enough for candidates to be retrieved (below that, every team is scored and feedback is
    /// computed on first use). Returns how many demands were expanded. [`Engine::open`] calls it when
    /// [`OpenOptions::precompute_feedback`](super::OpenOptions) is set.
    pub fn precompute_feedback(&self) -> Result<usize, MatchError> {
        let state = self.read()?;
        if state.teams.len() <= self.config.retrieval.exhaustive_below {
            return Ok(0);
        }
        // Demands of one cluster scan the same teams first: taken together, those teams stay in cache.
        let mut order: Vec<u32> = (0..state.demands.len() as u32).collect();
        order.sort_by_key(|&d| state.demands[d as usize].cluster);
        order.par_iter().with_min_len(64).for_each(|&d| {
            let _ = self.query(&state, d as usize);
        });
        Ok(state.demands.len())
    }
}
