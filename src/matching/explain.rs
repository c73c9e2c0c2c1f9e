//! Explanations of a pair's score, in terms a zone manager understands: what each feature contributed (the
//! contributions sum to the score), which terms matched and how much they weighed, the achievement that
//! matched best with its highlighted snippet, the shared track and cluster, and a one-sentence summary in
//! Chinese (and in English).

use serde::Serialize;

use crate::text_index::Snippet;

/// One feature's part of the score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contribution {
    pub feature: &'static str,
    /// What the feature measures, in Chinese words (`文本相关度`).
    pub label: &'static str,
    /// The feature value in [0, 1].
    pub value: f32,
    /// The feature weight (weights sum to 1).
    pub weight: f32,
    /// `value × weight`; the contributions sum to the score.
    pub contribution: f32,
}

/// A demand term found in the team's text, with its share of the demand's lexical weight.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MatchedTerm {
    pub term: String,
    pub weight: f32,
}

/// The team's achievement that matched the demand best.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AchievementEvidence {
    /// Position in the team's `achievements`.
    pub index: usize,
    pub kind: crate::domain::AchievementKind,
    pub title: String,
    pub year: Option<i32>,
    /// Relevance of this achievement to the demand in [0, 1].
    pub relevance: f32,
    pub snippet: Snippet,
}

/// A track both sides belong to (or are related through).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TrackRef {
    pub id: String,
    pub name: String,
    /// `true` when both sides are in this very track, `false` when only related (parent, child, sibling).
    pub exact: bool,
}

/// The team's cluster and whether the demand falls in it too.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClusterRef {
    pub id: usize,
    pub label: String,
    pub shared: bool,
}

/// A score on the one 0–100 匹配度 scale every pair, team and university is shown on, with its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Degree {
    /// 匹配度, 0–100.
    pub value: u8,
    /// 强, 较强, 一般 or 弱.
    pub label: &'static str,
}

/// (pair score, 匹配度) anchors of the piecewise-linear 匹配度 scale, calibrated on the planted judgements
/// of the shipped dataset (`scripts/calibrate_match_degree.py`, figures in `docs/explanations.md`).
const DEGREE_ANCHORS: [(f32, f32); 5] = [
    (0.0, 0.0),
    (0.10, 40.0),
    (0.15, 60.0),
    (0.25, 80.0),
    (0.45, 100.0),
];

/// The labels of the 匹配度 scale by their lowest value.
const DEGREE_LABELS: [(u8, &str); 4] = [(80, "强"), (60, "较强"), (40, "一般"), (0, "弱")];

impl Degree {
    /// The 匹配度 of a pair score (the engine's score of one demand and one team). Teams and universities
    /// are shown at the 匹配度 of their mean best pair score, so that one scale reads the same everywhere.
    pub fn of(score: f32) -> Degree {
        let value = if score.is_nan() || score <= 0.0 {
            0.0
        } else {
            DEGREE_ANCHORS
                .windows(2)
                .find(|w| score < w[1].0)
                .map_or(100.0, |w| {
                    let ((s0, d0), (s1, d1)) = (w[0], w[1]);
                    d0 + (d1 - d0) * (score - s0) / (s1 - s0)
                })
        };
        let value = value.round().clamp(0.0, 100.0) as u8;
        let label = DEGREE_LABELS
            .iter()
            .find(|(floor, _)| value >= *floor)
            .map_or("弱", |(_, l)| l);
        Degree { value, label }
    }
}

/// Why a pair scored what it scored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// The pair's 匹配度 (0–100) and its label.
    pub degree: Degree,
    pub contributions: Vec<Contribution>,
    pub matched_terms: Vec<MatchedTerm>,
    pub best_achievement: Option<AchievementEvidence>,
    /// Achievements relevant to the demand (relevance at least 0.2 and at least 60 % of the best).
    pub relevant_achievements: usize,
    pub shared_track: Option<TrackRef>,
    pub cluster: Option<ClusterRef>,
    /// One sentence in Chinese.
    pub summary: String,
    /// The same sentence in English.
    pub summary_en: String,
}

/// Language of a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Explanation {
    /// The summary in the requested language.
    pub fn summary_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.summary,
            Lang::En => &self.summary_en,
        }
    }
}

/// Degree words for a score: the label of its 匹配度 ([`Degree::of`]), so that the summary and the
/// 匹配度 shown beside it say the same.
fn level(score: f32) -> (String, &'static str) {
    let label = Degree::of(score).label;
    let en = match label {
        "强" => "strongly relevant",
        "较强" => "fairly strongly relevant",
        "一般" => "moderately relevant",
        _ => "only weakly relevant",
    };
    (format!("匹配度{label}"), en)
}

/// The one-sentence summaries, e.g. "该团队在锂离子电池、热失控方面的3项成果与需求高度相关，且同属新型储能赛道".
pub(crate) fn summaries(
    score: f32,
    terms: &[MatchedTerm],
    relevant_achievements: usize,
    track: Option<&TrackRef>,
    cluster_terms: &[String],
) -> (String, String) {
    let (zh_level, en_level) = level(score);
    let zh_level = zh_level.as_str();
    let topic: Vec<&str> = if terms.is_empty() {
        cluster_terms.iter().take(3).map(String::as_str).collect()
    } else {
        terms.iter().take(3).map(|t| t.term.as_str()).collect()
    };
    let zh_topic = topic.join("、");
    let en_topic = topic.join(", ");
    let mut zh = match (relevant_achievements, zh_topic.is_empty()) {
        (0, true) => format!("该团队与需求{zh_level}"),
        (0, false) => format!("该团队的研究方向（{zh_topic}）与需求{zh_level}"),
        (n, true) => format!("该团队的{n}项成果与需求{zh_level}"),
        (n, false) => format!("该团队在{zh_topic}方面的{n}项成果与需求{zh_level}"),
    };
    let mut en = match (relevant_achievements, en_topic.is_empty()) {
        (0, true) => format!("The team is {en_level} to the demand"),
        (0, false) => format!("The team's research on {en_topic} is {en_level} to the demand"),
        (1, true) => format!("One achievement of the team is {en_level} to the demand"),
        (1, false) => format!("The team's achievement on {en_topic} is {en_level} to the demand"),
        (n, true) => format!("{n} achievements of the team are {en_level} to the demand"),
        (n, false) => {
            format!("The team's {n} achievements on {en_topic} are {en_level} to the demand")
        }
    };
    if let Some(t) = track {
        if t.exact {
            zh.push_str(&format!("，且同属{}赛道", t.name));
            en.push_str(&format!(", and both belong to the {} track", t.name));
        } else {
            zh.push_str(&format!("，且同在{}相关赛道", t.name));
            en.push_str(&format!(", and both work in tracks related to {}", t.name));
        }
    }
    en.push('.');
    (zh, en)
}

// The explanation of a scored pair, from its features.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use rustc_hash::FxHashMap;

use super::config::{FEATURES, N_FEATURES};
use super::corpus;
use super::features::{PairFeatures, bm25_norm, bm25_share};
use super::query::Query;
use super::state::State;
use super::{Engine, PairMatch};
use crate::text_index;

/// What explaining a demand's pairs reads of the demand, once for all its pairs.
pub(super) struct DemandWords {
    /// Its whole words: term → the text it stands for in the demand.
    surfaces: HashMap<String, String>,
    /// The [`text_index::term_hash`]es of its query's terms, which an achievement's snippet highlights.
    query_terms: HashSet<u64>,
}

/// Most achievement texts whose tokens are kept; past it the cache starts again.
const SNIPPET_TOKENS_MAX: usize = 16_384;

/// The tokens of achievement texts, by the text's hash: an achievement is explained for many demands,
/// and reading its text again for each was most of an explanation's cost.
#[derive(Debug, Default)]
pub(super) struct SnippetTokens {
    entries: Mutex<FxHashMap<u64, Arc<text_index::Tokens>>>,
}

impl SnippetTokens {
    /// The tokens of `text`, read once.
    fn get(&self, analyzer: &crate::analysis::Analyzer, text: &str) -> Arc<text_index::Tokens> {
        let key = text_index::term_hash(text);
        let held = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some(tokens) = held {
            return tokens;
        }
        let tokens = Arc::new(text_index::tokens(analyzer, text));
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SNIPPET_TOKENS_MAX {
            entries.clear();
        }
        entries.insert(key, tokens.clone());
        tokens
    }
}

impl Engine {
    /// The pair of demand `d` and team `t` with its score and its explanation, from the pair's features
    /// (computed with detail: matched profile terms and every achievement's relevance). `words` are the
    /// demand's [`Engine::demand_words`] (a ranking of one demand's teams reads them once).
    pub(super) fn pair_match(
        &self,
        state: &State,
        (d, t): (usize, usize),
        score: f32,
        f: &PairFeatures,
        words: &DemandWords,
    ) -> PairMatch {
        let q = self.query(state, d);
        let matched_terms =
            matched_terms(state, self.matched_shares(state, &q, t, f), &words.surfaces);
        let best = f.achievements.first().copied();
        let best_value = best.map_or(0.0, |b| b.1);
        let relevant = f
            .achievements
            .iter()
            .filter(|(_, r)| *r >= 0.2 && *r >= 0.6 * best_value)
            .count();
        let best_achievement = best
            .filter(|(_, r)| *r > 0.0)
            .and_then(|(i, r)| self.achievement_evidence(state, &words.query_terms, t, i, r));
        let shared_track = f.shared_track.map(|(k, exact)| TrackRef {
            id: self.tracks.ids[k].clone(),
            name: self.tracks.names[k].clone(),
            exact,
        });
        let (cluster, cluster_terms) = self.cluster_ref(state, d, t);
        let (summary, summary_en) = summaries(
            score,
            &matched_terms,
            relevant,
            shared_track.as_ref(),
            &cluster_terms,
        );
        PairMatch {
            demand_id: state.data.demands[d].id.clone(),
            team_id: state.data.teams[t].id.clone(),
            score,
            explanation: Explanation {
                degree: Degree::of(score),
                contributions: self.contributions(&f.values),
                matched_terms,
                best_achievement,
                relevant_achievements: relevant,
                shared_track,
                cluster,
                summary,
                summary_en,
            },
        }
    }

    /// The whole words of a demand's title, keywords and description (no parts of longer words), by term,
    /// each with the text it first stands for.
    pub(super) fn demand_words(&self, state: &State, d: usize) -> DemandWords {
        let demand = &state.data.demands[d];
        let mut words = HashMap::new();
        let texts = std::iter::once(demand.title.as_str())
            .chain(demand.keywords.iter().map(String::as_str))
            .chain(std::iter::once(demand.description.as_str()));
        for text in texts {
            for (term, surface) in self.analyzer.whole_words(text) {
                words.entry(term).or_insert(surface);
            }
        }
        let query_terms = self
            .query(state, d)
            .lexical
            .terms
            .iter()
            .map(|(t, _)| text_index::term_hash(state.interner.term(*t)))
            .collect();
        DemandWords {
            surfaces: words,
            query_terms,
        }
    }

    /// What each feature contributed: its value times its weight.
    fn contributions(&self, values: &[f32; N_FEATURES]) -> Vec<Contribution> {
        let weights = self.config.weights.as_array();
        FEATURES
            .iter()
            .zip(values.iter().zip(weights))
            .map(|(name, (v, w))| Contribution {
                feature: name,
                label: feature_label(name),
                value: *v,
                weight: w,
                contribution: v * w,
            })
            .collect()
    }

    /// The demand's terms matched in the team's profile and in its best achievement, each at its larger
    /// share of the demand's lexical weight.
    fn matched_shares(
        &self,
        state: &State,
        q: &Query,
        t: usize,
        f: &PairFeatures,
    ) -> HashMap<u32, f32> {
        let mut shares: HashMap<u32, f32> = HashMap::new();
        for &(term, s) in &f.profile_terms {
            shares.insert(term, s);
        }
        if let Some(&(i, _)) = f.achievements.first()
            && let Some((bag, len)) = state.teams[t].bags.achievements.get(i)
        {
            let norm = bm25_norm(&self.config.bm25, *len, state.avg_achievement_len());
            bm25_share(&q.lexical, bag, norm, |term, s| {
                let e = shares.entry(term).or_insert(0.0);
                *e = e.max(s);
            });
        }
        shares
    }

    /// The team's achievement `i` (of relevance `r`) as evidence, its snippet highlighting the demand's terms.
    fn achievement_evidence(
        &self,
        state: &State,
        terms: &HashSet<u64>,
        t: usize,
        i: usize,
        r: f32,
    ) -> Option<AchievementEvidence> {
        let a = state.data.teams[t].achievements.get(i)?;
        let text = corpus::achievement_text(a);
        let tokens = self.snippet_tokens.get(&self.analyzer, &text);
        Some(AchievementEvidence {
            index: i,
            kind: a.kind,
            title: a.title.clone(),
            year: a.year,
            relevance: r,
            snippet: text_index::highlight_tokens(&text, &tokens, terms, 120),
        })
    }

    /// The team's cluster (shared or not with the demand) and the top terms of its label.
    fn cluster_ref(&self, state: &State, d: usize, t: usize) -> (Option<ClusterRef>, Vec<String>) {
        match (&self.models.clusters, state.teams[t].cluster) {
            (Some(c), Some(k)) => {
                let label = c.labels.get(k);
                let track_name = |l: &crate::models::ClusterLabel| {
                    let id = l.track_id.as_deref()?;
                    let &i = self.tracks.index.get(id)?;
                    Some(self.tracks.names[i].clone())
                };
                (
                    Some(ClusterRef {
                        id: k,
                        label: label
                            .map(|l| cluster_words(l, track_name(l).as_deref()))
                            .unwrap_or_default(),
                        shared: state.demands[d].cluster == Some(k),
                    }),
                    label.map(|l| l.top_terms.clone()).unwrap_or_default(),
                )
            }
            _ => (None, Vec::new()),
        }
    }
}

/// What a feature measures, in the words the console shows.
pub fn feature_label(feature: &str) -> &'static str {
    match feature {
        "lexical" => "文本相关度",
        "feedback" => "相近需求扩展词相关度",
        "semantic" => "语义相似度",
        "achievements" => "成果匹配",
        "track" => "赛道一致",
        "cluster" => "研究方向相近",
        "evidence" => "能力佐证",
        "proximity" => "同城便利",
        "capacity" => "剩余承接能力",
        _ => "其他",
    }
}

/// A cluster's label in words: the name of its nearest track when it is close, then its top terms that
/// are words (two characters or more), e.g. `合成生物：发酵、放大`.
fn cluster_words(label: &crate::models::ClusterLabel, track_name: Option<&str>) -> String {
    let terms: Vec<&str> = label
        .top_terms
        .iter()
        .map(String::as_str)
        .filter(|t| t.chars().count() >= 2)
        .take(4)
        .collect();
    let terms = terms.join("、");
    match (
        track_name.filter(|_| label.track_similarity >= 0.3),
        terms.is_empty(),
    ) {
        (Some(track), true) => track.to_owned(),
        (Some(track), false) => format!("{track}：{terms}"),
        (None, _) => terms,
    }
}

/// Matched terms shown at most.
const SHOWN_TERMS: usize = 8;

/// The heaviest matched terms a reader recognises, heaviest first (ties by term id), each shown as the
/// demand writes it (`words`: SiC, not the index term sic): whole words of the demand (search mode also
/// yields parts such as 理器 of 处理器), of two characters or more, and not contained in a heavier shown
/// term (电池 beside 锂离子电池).
fn matched_terms(
    state: &State,
    shares: HashMap<u32, f32>,
    words: &HashMap<String, String>,
) -> Vec<MatchedTerm> {
    let mut matched: Vec<(u32, f32)> = shares.into_iter().collect();
    matched.sort_by(|a, b| {
        b.1.partial_cmp(&a.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.0.cmp(&b.0))
    });
    let mut kept: Vec<MatchedTerm> = Vec::new();
    for (term, s) in matched {
        let Some(surface) = words.get(state.interner.term(term)) else {
            continue;
        };
        if surface.chars().count() < 2 || kept.iter().any(|k| k.term.contains(surface.as_str())) {
            continue;
        }
        kept.push(MatchedTerm {
            term: surface.clone(),
            weight: s,
        });
        if kept.len() == SHOWN_TERMS {
            break;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_reads_like_the_example() {
        let terms = vec![
            MatchedTerm {
                term: "锂离子电池".into(),
                weight: 0.3,
            },
            MatchedTerm {
                term: "热失控".into(),
                weight: 0.2,
            },
        ];
        let track = TrackRef {
            id: "f-storage".into(),
            name: "新型储能".into(),
            exact: true,
        };
        let (zh, en) = summaries(0.62, &terms, 3, Some(&track), &[]);
        assert_eq!(
            zh,
            "该团队在锂离子电池、热失控方面的3项成果与需求匹配度强，且同属新型储能赛道"
        );
        assert_eq!(
            en,
            "The team's 3 achievements on 锂离子电池, 热失控 are strongly relevant to the demand, and both belong to the 新型储能 track."
        );
        let (zh, _) = summaries(0.05, &[], 0, None, &["视觉".into()]);
        assert_eq!(level(0.15).0, "匹配度较强");
        assert_eq!(zh, "该团队的研究方向（视觉）与需求匹配度弱");
    }

    #[test]
    fn the_degree_scale_is_monotone_bounded_and_labelled_at_its_anchors() {
        let mut last = 0;
        for i in 0..=100 {
            let d = Degree::of(i as f32 / 100.0);
            assert!(d.value >= last, "falls at {i}");
            last = d.value;
        }
        assert_eq!(Degree::of(-1.0).value, 0);
        assert_eq!(Degree::of(f32::NAN).value, 0);
        assert_eq!(Degree::of(3.0).value, 100);
        for (score, value, label) in [(0.10, 40, "一般"), (0.15, 60, "较强"), (0.25, 80, "强")]
        {
            assert_eq!(Degree::of(score), Degree { value, label }, "at {score}");
        }
        assert_eq!(Degree::of(0.05).label, "弱");
        assert_eq!(Degree::of(0.45).value, 100);
    }
}
