//! The department's constraints and tuning knobs for a proposal, and the (zone, university, track)
//! triple that names a pairing everywhere (config, `INSTANCE.json`, review decisions).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::PairingError;
use crate::domain::{TrackId, UniversityId, ZoneId};

/// A pairing's key: zone × university × track. Written as a JSON array `[zone, university, track]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(
    from = "(ZoneId, UniversityId, TrackId)",
    into = "(ZoneId, UniversityId, TrackId)"
)]
pub struct Triple {
    pub zone_id: ZoneId,
    pub university_id: UniversityId,
    pub track_id: TrackId,
}

impl utoipa::PartialSchema for Triple {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, Object, Type};
        ArrayBuilder::new()
            .items(Object::with_type(Type::String))
            .min_items(Some(3))
            .max_items(Some(3))
            .description(Some("`[zone_id, university_id, track_id]`"))
            .into()
    }
}

impl utoipa::ToSchema for Triple {}

impl Triple {
    pub fn new(
        zone_id: impl Into<ZoneId>,
        university_id: impl Into<UniversityId>,
        track_id: impl Into<TrackId>,
    ) -> Self {
        Self {
            zone_id: zone_id.into(),
            university_id: university_id.into(),
            track_id: track_id.into(),
        }
    }
}

impl From<(ZoneId, UniversityId, TrackId)> for Triple {
    fn from((zone_id, university_id, track_id): (ZoneId, UniversityId, TrackId)) -> Self {
        Self {
            zone_id,
            university_id,
            track_id,
        }
    }
}

impl From<Triple> for (ZoneId, UniversityId, TrackId) {
    fn from(t: Triple) -> Self {
        (t.zone_id, t.university_id, t.track_id)
    }
}

impl fmt::Display for Triple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({}, {}, {})",
            self.zone_id, self.university_id, self.track_id
        )
    }
}

/// The default `min_project_score`: the level calibrated on the shipped dataset's planted judgements
/// (`scripts/calibrate_project_score.py`: 91.5% of the pairs at or above it are relevant).
pub const DEFAULT_MIN_PROJECT_SCORE: f64 = 0.2;

/// Constraints and knobs of one proposal. Every field has a default, so `{}` is a valid config; unknown
/// fields are rejected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PairingConfig {
    /// Each zone with candidates in a selected track gets at least this many partner universities in it.
    pub zone_track_min: u32,
    /// ... and at most this many.
    pub zone_track_max: u32,
    /// A university takes part in at most this many pairings of the batch.
    pub university_max: u32,
    /// Candidates below this quality are not eligible.
    pub min_quality: Option<f64>,
    /// Triples that must be in the batch (department decisions, approved pairings).
    pub forced: Vec<Triple>,
    /// Triples that must not be in the batch (department decisions, rejected pairings).
    pub forbidden: Vec<Triple>,
    /// Benchmark projects a pairing should carry (the programme asks for 10).
    pub benchmark_target: u32,
    /// When true, candidates with fewer than `benchmark_target` projects are not eligible.
    pub require_full_bundle: bool,
    /// How many best teams the scorer is asked for per demand.
    pub teams_per_demand: usize,
    /// Keep only this many best candidate universities per (zone, track); 0 keeps all.
    pub candidates_per_group: usize,
    /// A zone enters a track only where the track, its parent cluster or one of its child chains is
    /// among the zone's declared directions (`track_ids`); false lets any zone with demands in a track in.
    pub declared_tracks_only: bool,
    /// No pairing is proposed with fewer benchmark projects than this.
    pub min_projects: u32,
    /// A (demand, team) fit counts as a benchmark project only from this score on.
    pub min_project_score: f64,
    /// A person leads at most this many active pairings (approved ones of earlier batches included).
    pub talent_max: u32,
}

impl Default for PairingConfig {
    fn default() -> Self {
        Self {
            zone_track_min: 1,
            zone_track_max: 2,
            university_max: 3,
            min_quality: None,
            forced: Vec::new(),
            forbidden: Vec::new(),
            benchmark_target: 10,
            require_full_bundle: false,
            teams_per_demand: 30,
            candidates_per_group: 40,
            declared_tracks_only: true,
            min_projects: 3,
            min_project_score: DEFAULT_MIN_PROJECT_SCORE,
            talent_max: 1,
        }
    }
}

impl PairingConfig {
    /// Checks the values that no solve could make sense of.
    pub fn validate(&self) -> Result<(), PairingError> {
        let bad = |m: String| Err(PairingError::InvalidConfig(m));
        if self.zone_track_min > self.zone_track_max {
            return bad(format!(
                "zone_track_min ({}) exceeds zone_track_max ({})",
                self.zone_track_min, self.zone_track_max
            ));
        }
        if self.zone_track_max == 0 {
            return bad("zone_track_max must be at least 1".into());
        }
        if self.university_max == 0 {
            return bad("university_max must be at least 1".into());
        }
        if let Some(q) = self.min_quality
            && !(0.0..=1.0).contains(&q)
        {
            return bad(format!("min_quality must lie in [0, 1], got {q}"));
        }
        if self.benchmark_target == 0 {
            return bad("benchmark_target must be at least 1".into());
        }
        if self.min_projects == 0 {
            return bad("min_projects must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.min_project_score) {
            return bad(format!(
                "min_project_score must lie in [0, 1], got {}",
                self.min_project_score
            ));
        }
        if self.talent_max == 0 {
            return bad("talent_max must be at least 1".into());
        }
        if self.teams_per_demand == 0 {
            return bad("teams_per_demand must be at least 1".into());
        }
        if let Some(t) = self.forced.iter().find(|t| self.forbidden.contains(t)) {
            return Err(PairingError::ConflictingTriple(t.clone()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triple_is_a_json_array() {
        let t = Triple::new("z", "u", "t");
        assert_eq!(serde_json::to_string(&t).unwrap(), r#"["z","u","t"]"#);
        let back: Triple = serde_json::from_str(r#"["z","u","t"]"#).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn empty_config_takes_defaults_and_unknown_fields_fail() {
        let c: PairingConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, PairingConfig::default());
        assert!(serde_json::from_str::<PairingConfig>(r#"{"zone_track_mni": 1}"#).is_err());
    }

    #[test]
    fn validate_rejects_min_above_max_and_conflicts() {
        let c = PairingConfig {
            zone_track_min: 3,
            ..PairingConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().code(), "invalid_config");
        let t = Triple::new("z", "u", "t");
        let c = PairingConfig {
            forced: vec![t.clone()],
            forbidden: vec![t],
            ..PairingConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().code(), "conflicting_triple");
    }
}
