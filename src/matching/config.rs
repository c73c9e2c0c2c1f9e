//! The scoring configuration (`models/scoring.toml`): feature weights, BM25 parameters, field weights and
//! retrieval sizes. The shipped file is compiled in as the default; a `scoring.toml` in the models directory
//! overrides it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::MatchError;

/// The shipped configuration.
pub const DEFAULT_SCORING: &str = include_str!("../../models/scoring.toml");

/// File name of the configuration inside a models directory.
pub const SCORING_FILE: &str = "scoring.toml";

/// Version of the configuration format.
pub const SCORING_FORMAT: u32 = 2;

/// Number of features of a pair.
pub const N_FEATURES: usize = 9;

/// The features of a pair, in explanation order.
pub const FEATURES: [&str; N_FEATURES] = [
    "lexical",
    "feedback",
    "semantic",
    "achievements",
    "track",
    "cluster",
    "evidence",
    "proximity",
    "capacity",
];

/// Position of `lexical` in [`FEATURES`].
pub(crate) const LEXICAL: usize = 0;

/// Position of `achievements` in [`FEATURES`].
pub(crate) const ACHIEVEMENTS: usize = 3;

/// Weight of each feature (scaled to sum to 1 on load).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub lexical: f32,
    pub feedback: f32,
    pub semantic: f32,
    pub achievements: f32,
    pub track: f32,
    pub cluster: f32,
    pub evidence: f32,
    pub proximity: f32,
    pub capacity: f32,
}

impl Weights {
    /// The weights in [`FEATURES`] order.
    pub fn as_array(&self) -> [f32; N_FEATURES] {
        [
            self.lexical,
            self.feedback,
            self.semantic,
            self.achievements,
            self.track,
            self.cluster,
            self.evidence,
            self.proximity,
            self.capacity,
        ]
    }

    /// Weights from an array in [`FEATURES`] order.
    pub fn from_array(a: [f32; N_FEATURES]) -> Weights {
        Weights {
            lexical: a[0],
            feedback: a[1],
            semantic: a[2],
            achievements: a[3],
            track: a[4],
            cluster: a[5],
            evidence: a[6],
            proximity: a[7],
            capacity: a[8],
        }
    }

    fn normalised(self) -> Result<Weights, MatchError> {
        let a = self.as_array();
        if a.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err(MatchError::Config(
                "feature weights must be finite and non-negative".into(),
            ));
        }
        let sum: f32 = a.iter().sum();
        if sum <= 0.0 {
            return Err(MatchError::Config(
                "at least one feature weight must be positive".into(),
            ));
        }
        Ok(Weights::from_array(a.map(|w| w / sum)))
    }
}

/// BM25 parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bm25 {
    pub k1: f32,
    pub b: f32,
    /// Weight of BM25 on character bigrams added to BM25 on words (see `bigrams`).
    pub bigram_weight: f32,
}

/// Weights of the demand fields when a demand is read as a query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryFields {
    pub title: f32,
    pub keywords: f32,
    pub description: f32,
}

/// BM25F boosts of the team profile fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamFields {
    pub name: f32,
    pub fields: f32,
    pub keywords: f32,
    pub description: f32,
}

impl QueryFields {
    /// The weight of a demand field by its name (0 for a field not weighted).
    pub fn weight(&self, field: &str) -> f32 {
        match field {
            "title" => self.title,
            "keywords" => self.keywords,
            "description" => self.description,
            _ => 0.0,
        }
    }
}

impl TeamFields {
    /// The boost of a team profile field by its name (0 for a field outside the profile).
    pub fn boost(&self, field: &str) -> f32 {
        match field {
            "name" => self.name,
            "fields" => self.fields,
            "keywords" => self.keywords,
            "description" => self.description,
            _ => 0.0,
        }
    }
}

/// Candidate generation sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retrieval {
    pub lexical_candidates: usize,
    pub semantic_candidates: usize,
    pub exhaustive_below: usize,
    pub query_terms: usize,
}

/// Pseudo-relevance feedback: the teams that score best on a first, lexical-only pass stand for the
/// demand's topic; the `feedback` feature is a team's latent similarity to them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// Teams of the first pass whose mean vector is used (0 turns the feature off).
    pub documents: usize,
}

/// The whole configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringConfig {
    pub format_version: u32,
    pub weights: Weights,
    pub bm25: Bm25,
    pub query_fields: QueryFields,
    pub team_fields: TeamFields,
    pub retrieval: Retrieval,
    pub feedback: Feedback,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        // The shipped file is checked by a test; an unreadable one falls back to neutral values.
        ScoringConfig::parse(DEFAULT_SCORING).unwrap_or(ScoringConfig {
            format_version: SCORING_FORMAT,
            weights: Weights::from_array([0.2, 0.4, 0.1, 0.12, 0.06, 0.04, 0.04, 0.02, 0.02]),
            bm25: Bm25 {
                k1: 1.2,
                b: 0.75,
                bigram_weight: 0.25,
            },
            query_fields: QueryFields {
                title: 2.0,
                keywords: 2.0,
                description: 1.0,
            },
            team_fields: TeamFields {
                name: 0.5,
                fields: 1.5,
                keywords: 1.5,
                description: 1.0,
            },
            retrieval: Retrieval {
                lexical_candidates: 100,
                semantic_candidates: 100,
                exhaustive_below: 5000,
                query_terms: 32,
            },
            feedback: Feedback { documents: 1 },
        })
    }
}

impl ScoringConfig {
    /// Parses and checks a configuration; weights are scaled to sum to 1.
    pub fn parse(text: &str) -> Result<ScoringConfig, MatchError> {
        let mut config: ScoringConfig =
            toml::from_str(text).map_err(|e| MatchError::Config(e.message().to_lowercase()))?;
        if config.format_version != SCORING_FORMAT {
            return Err(MatchError::Config(format!(
                "scoring format_version {} is not supported (expected {SCORING_FORMAT})",
                config.format_version
            )));
        }
        config.weights = config.weights.normalised()?;
        let bm25 = &config.bm25;
        if !(bm25.k1 > 0.0 && (0.0..=1.0).contains(&bm25.b) && bm25.bigram_weight >= 0.0) {
            return Err(MatchError::Config(
                "bm25 needs k1 > 0, b in [0, 1] and bigram_weight >= 0".into(),
            ));
        }
        Ok(config)
    }

    /// The configuration in `models_dir/scoring.toml`, or the shipped one when there is no such file.
    pub fn load(models_dir: &Path) -> Result<ScoringConfig, MatchError> {
        let path = models_dir.join(SCORING_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => ScoringConfig::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                ScoringConfig::parse(DEFAULT_SCORING)
            }
            Err(e) => Err(MatchError::Config(format!("{}: {e}", path.display()))),
        }
    }

    /// The configuration as TOML, with the given weights (used when weights are refitted).
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# Scoring of a (demand, team) pair, read by the matching engine (src/matching/config.rs).\n\
             # score = sum of weight × feature value; values in [0, 1], weights scaled to sum to 1.\n",
        );
        out.push_str(&toml::to_string_pretty(self).unwrap_or_default());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_positions() {
        assert_eq!(FEATURES[ACHIEVEMENTS], "achievements");
        assert_eq!(FEATURES[LEXICAL], "lexical");
    }

    #[test]
    fn shipped_configuration_parses_and_weights_sum_to_one() {
        let config = ScoringConfig::parse(DEFAULT_SCORING).expect("shipped scoring.toml");
        let sum: f32 = config.weights.as_array().iter().sum();
        assert!((sum - 1.0).abs() < 1e-5);
        let again = ScoringConfig::parse(&config.to_toml()).expect("round trip");
        let (a, b) = (again.weights.as_array(), config.weights.as_array());
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-6));
        assert_eq!(again.feedback, config.feedback);
        assert_eq!(again.bm25, config.bm25);
    }

    #[test]
    fn bad_configurations_are_refused() {
        let negative = DEFAULT_SCORING.replace("lexical = 0.20", "lexical = -1.0");
        assert!(matches!(
            ScoringConfig::parse(&negative),
            Err(MatchError::Config(_))
        ));
        let version = DEFAULT_SCORING.replace("format_version = 2", "format_version = 9");
        assert!(ScoringConfig::parse(&version).is_err());
        assert!(ScoringConfig::parse("weights = 3").is_err());
    }
}
