//! The features of a pair, each in [0, 1] (see [`config::FEATURES`]), and their weighted total: BM25
//! shares of the demand's words and bigrams in the team's profile and achievements, latent cosines, shared
//! tracks and clusters, evidence, proximity and capacity.

use super::Engine;
use super::config::{self, Bm25, N_FEATURES};
use super::corpus::dot;
use super::packed::Packed;
use super::query::{Query, Terms};
use super::state::{State, TeamRec, Tracks};

/// The pair whose features are computed: demand `d` with its query `q`, team `t`, and whether the
/// pair is explained (`detail`: the matched terms and achievements behind the features, and the
/// features of no weight, which a score alone leaves at 0).
#[derive(Clone, Copy)]
pub(super) struct PairAt<'q> {
    pub d: usize,
    pub q: &'q Query,
    pub t: usize,
    pub detail: bool,
}

impl<'q> PairAt<'q> {
    pub(super) fn new(d: usize, q: &'q Query, t: usize, detail: bool) -> Self {
        Self { d, q, t, detail }
    }
}

/// Everything about one pair's features, for scoring and explaining.
pub(super) struct PairFeatures {
    pub(super) values: [f32; N_FEATURES],
    /// `(term, share of the demand's lexical weight)` matched in the profile.
    pub(super) profile_terms: Vec<(u32, f32)>,
    /// `(achievement index, relevance)` sorted best first.
    pub(super) achievements: Vec<(usize, f32)>,
    pub(super) shared_track: Option<(usize, bool)>,
}

/// BM25's length normalisation of a bag of length `len` among bags of mean length `avg`:
/// `k1 (1 - b + b len / avg)`.
pub(super) fn bm25_norm(cfg: &Bm25, len: f32, avg: f32) -> f32 {
    cfg.k1 * (1.0 - cfg.b + cfg.b * len / avg.max(1e-6))
}

/// BM25 of weighted terms in a bag: `Σ w·sat(tf)` with `sat(tf) = tf / (tf + norm)` ([`bm25_norm`]), so at
/// most `Σ w`; calls `on_match(term, part)` for each matched term.
pub(super) fn bm25_sum(
    terms: &Terms,
    bag: &Packed,
    norm: f32,
    mut on_match: impl FnMut(u32, f32),
) -> f32 {
    if terms.terms.is_empty() || bag.is_empty() {
        return 0.0;
    }
    let mut sum = 0.0;
    // Matches are met in term order, as a merge of the two sorted lists would meet them.
    bag.matches(
        |t| terms.weight(t),
        |t, qw, tf| {
            let part = qw * tf / (tf + norm);
            sum += part;
            on_match(t, part);
        },
    );
    sum
}

/// BM25 share of a query covered by a bag: [`bm25_sum`] over the best possible (`Σ qw·idf`), in [0, 1];
/// calls `on_match(term, share)` for each matched term.
pub(super) fn bm25_share(
    q: &Terms,
    bag: &Packed,
    norm: f32,
    mut on_match: impl FnMut(u32, f32),
) -> f32 {
    if q.upper <= 0.0 {
        return 0.0;
    }
    let sum = bm25_sum(q, bag, norm, |t, part| on_match(t, part / q.upper));
    (sum / q.upper).clamp(0.0, 1.0)
}

impl Engine {
    pub(super) fn total(&self, values: &[f32; N_FEATURES]) -> f32 {
        let w = self.config.weights.as_array();
        values
            .iter()
            .zip(w)
            .map(|(v, w)| v * w)
            .sum::<f32>()
            .clamp(0.0, 1.0)
    }

    /// Lexical relevance of a team profile: BM25 of the demand's words plus `bigram_weight` times BM25 of
    /// its character bigrams, as a share of the best possible; `on_match(term, share)` for matched words.
    pub(super) fn lexical(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        team: &TeamRec,
        on_match: impl FnMut(u32, f32),
    ) -> f32 {
        self.lexical_with(state, words, bigrams, team, true, on_match)
    }

    /// An upper bound of [`Engine::lexical`] that skips the bigram part: it counts every bigram of the
    /// demand as matched in full. Rounding is monotonic and each bigram's BM25 part is at most its weight,
    /// so the bound holds in floating point too.
    pub(super) fn lexical_bound(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        team: &TeamRec,
    ) -> f32 {
        self.lexical_with(state, words, bigrams, team, false, |_, _| {})
    }

    /// [`Engine::lexical`] (`bigrams_scored`) or [`Engine::lexical_bound`].
    pub(super) fn lexical_with(
        &self,
        state: &State,
        words: &Terms,
        bigrams: &Terms,
        team: &TeamRec,
        bigrams_scored: bool,
        mut on_match: impl FnMut(u32, f32),
    ) -> f32 {
        let cfg = &self.config.bm25;
        let upper = words.upper + cfg.bigram_weight * bigrams.upper;
        if upper <= 0.0 {
            return 0.0;
        }
        let word_part = bm25_sum(
            words,
            &team.bags.profile,
            self.profile_norm(state, team.bags.profile_len),
            |t, part| on_match(t, part / upper),
        );
        let bigram_part = if cfg.bigram_weight <= 0.0 {
            0.0
        } else if bigrams_scored {
            let norm = bm25_norm(cfg, team.bags.bigram_len, state.team_bigrams.avg_len());
            bm25_sum(bigrams, &team.bags.bigrams, norm, |_, _| {})
        } else {
            bigrams.upper
        };
        self.lexical_share(words, bigrams, word_part, bigram_part)
    }

    /// BM25's length normalisation of a team profile of length `len`.
    pub(super) fn profile_norm(&self, state: &State, len: f32) -> f32 {
        bm25_norm(&self.config.bm25, len, state.avg_profile_len())
    }

    /// The lexical share of a team whose profile gives `word_part` of BM25 on `words` and `bigram_part`
    /// on `bigrams` (0 when the demand has no weighted term).
    pub(super) fn lexical_share(
        &self,
        words: &Terms,
        bigrams: &Terms,
        word_part: f32,
        bigram_part: f32,
    ) -> f32 {
        let w = self.config.bm25.bigram_weight;
        let upper = words.upper + w * bigrams.upper;
        if upper <= 0.0 {
            return 0.0;
        }
        let bigram_part = if w <= 0.0 { 0.0 } else { bigram_part };
        ((word_part + w * bigram_part) / upper).clamp(0.0, 1.0)
    }

    pub(super) fn features(&self, state: &State, at: PairAt<'_>) -> PairFeatures {
        let mut f = self.base_features(state, at);
        self.add_achievements(state, at, &mut f);
        f
    }

    /// Every feature but `achievements`, which is left at 0 (see [`Engine::add_achievements`]).
    pub(super) fn base_features(&self, state: &State, at: PairAt<'_>) -> PairFeatures {
        let mut f = self.other_features(state, at, 0.0);
        self.add_lexical(state, at, &mut f);
        f
    }

    /// The `lexical` feature (with the matched profile terms when `at.detail`).
    pub(super) fn add_lexical(&self, state: &State, at: PairAt<'_>, f: &mut PairFeatures) {
        let PairAt { q, t, detail, .. } = at;
        let mut profile_terms = Vec::new();
        let lexical = self.lexical(state, &q.lexical, &q.bigrams, &state.teams[t], |t, s| {
            if detail {
                profile_terms.push((t, s));
            }
        });
        f.values[config::LEXICAL] = lexical.clamp(0.0, 1.0);
        f.profile_terms = profile_terms;
    }

    /// Every feature but `lexical`, which is set to `lexical` (an upper bound of it, to be replaced by
    /// [`Engine::add_lexical`]), and `achievements`, left at 0: the features that cost a few dot products.
    pub(super) fn other_features(
        &self,
        state: &State,
        at: PairAt<'_>,
        lexical: f32,
    ) -> PairFeatures {
        let PairAt { d, q, t, detail } = at;
        let demand = &state.demands[d];
        let team = &state.teams[t];
        let profile_terms = Vec::new();
        let feedback = if q.expansion.vec.is_empty() {
            0.0
        } else {
            dot(&q.expansion.vec, &team.vec).max(0.0) * q.expansion.confidence
        };
        let semantic = dot(&demand.vec, &team.vec).max(0.0);
        let shared_track = shared_track(&self.tracks, &demand.tracks, &team.tracks);
        let track = match shared_track {
            Some((_, true)) => 1.0,
            Some((_, false)) => 0.5,
            None => 0.0,
        };
        // A feature of no weight changes no score: it is computed for explanations only.
        let cluster = match (&self.models.clusters, team.cluster) {
            (Some(c), Some(k)) if detail || self.config.weights.cluster > 0.0 => {
                dot(&q.cluster_vec, c.centroids.centroid(k)).max(0.0)
            }
            _ => 0.0,
        };
        let proximity = match (&demand.city, &team.city) {
            (Some(a), Some(b)) if a == b => 1.0,
            _ => 0.0,
        };
        let team_data = &state.data.teams[t];
        let capacity = if team_data.capacity == 0 {
            0.0
        } else if state.loads.is_empty() {
            1.0
        } else {
            let load = state.loads.get(team_data.id.as_str()).copied().unwrap_or(0);
            team_data.capacity.saturating_sub(load) as f32 / team_data.capacity as f32
        };
        PairFeatures {
            values: [
                lexical,
                feedback,
                semantic,
                0.0,
                track,
                cluster,
                team.evidence,
                proximity,
                capacity,
            ]
            .map(|v| v.clamp(0.0, 1.0)),
            profile_terms,
            achievements: Vec::new(),
            shared_track,
        }
    }

    /// The `achievements` feature: the team as a set of achievements, each scored by its BM25 share and
    /// its LSA cosine with the demand; the best and the mean of the best three count.
    pub(super) fn add_achievements(&self, state: &State, at: PairAt<'_>, f: &mut PairFeatures) {
        let PairAt { d, q, t, detail } = at;
        let demand = &state.demands[d];
        let team = &state.teams[t];
        let cfg = &self.config.bm25;
        let avg_achievement = state.avg_achievement_len();
        let relevance = team
            .bags
            .achievements
            .iter()
            .zip(&team.achievement_vecs)
            .enumerate()
            .map(|(i, ((bag, len), v))| {
                let norm = bm25_norm(cfg, *len, avg_achievement);
                let lex = bm25_share(&q.lexical, bag, norm, |_, _| {});
                let sem = v.dot(&demand.vec).clamp(0.0, 1.0);
                (i, 0.5 * lex + 0.5 * sem)
            });
        // The three best relevances, best first (a full sort only when the explanation lists them all).
        let mut achievements: Vec<(usize, f32)> = Vec::new();
        let mut best3 = [0f32; 3];
        if detail {
            achievements = relevance.collect();
            achievements.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
            for (slot, a) in best3.iter_mut().zip(&achievements) {
                *slot = a.1;
            }
        } else {
            for (_, r) in relevance {
                if let Some(at) = best3.iter().position(|&b| r > b) {
                    best3.copy_within(at..2, at + 1);
                    best3[at] = r;
                }
            }
        }
        let top3: f32 = best3.iter().sum::<f32>() / 3.0;
        let achievement_value = 0.5 * best3[0] + 0.5 * top3;
        f.values[config::ACHIEVEMENTS] = achievement_value.clamp(0.0, 1.0);
        if detail {
            f.achievements = achievements;
        }
    }
}

/// A track shared by both sides (`exact`), or one that relates them (parent, child or sibling).
pub(super) fn shared_track(tracks: &Tracks, a: &[usize], b: &[usize]) -> Option<(usize, bool)> {
    if let Some(&t) = a.iter().find(|t| b.contains(t)) {
        return Some((t, true));
    }
    for &x in a {
        for &y in b {
            let (px, py) = (tracks.parent[x], tracks.parent[y]);
            if px == Some(y) {
                return Some((y, false));
            }
            if py == Some(x) {
                return Some((x, false));
            }
            if let (Some(p), Some(q)) = (px, py)
                && p == q
            {
                return Some((p, false));
            }
        }
    }
    None
}
