//! The dataset contract as the service applies it: reading a dataset folder (JSON Lines) at first start,
//! and checking one team or demand written through the API against the catalog it joins.
//!
//! Field names in violations are paths such as `achievements[1].title`, the same form serde reports
//! for type errors, so a client sees one convention for every 422.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::domain::{Dataset, Demand, Team, TrackId, UniversityId, ZoneId};

/// A contract violation in one field of a team or demand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Violation {
    pub field: String,
    pub message: String,
}

impl Violation {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Why a dataset folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Line {
        file: String,
        line: usize,
        message: String,
    },
}

impl LoadError {
    /// Stable snake_case code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Io { .. } => "dataset_unreadable",
            LoadError::Line { .. } => "dataset_invalid",
        }
    }
}

/// What a team or demand may refer to.
pub trait Refs {
    fn has_track(&self, id: &TrackId) -> bool;
    fn has_zone(&self, id: &ZoneId) -> bool;
    fn has_university(&self, id: &UniversityId) -> bool;
}

/// The records of one file with their line numbers.
fn read_jsonl<T: DeserializeOwned>(
    dir: &Path,
    name: &str,
    required: bool,
) -> Result<Vec<(usize, T)>, LoadError> {
    let path = dir.join(name);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(Vec::new());
        }
        Err(source) => {
            return Err(LoadError::Io {
                file: path.display().to_string(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(line);
        let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
            let field = err.path().to_string();
            let message = err.into_inner().to_string();
            LoadError::Line {
                file: name.to_owned(),
                line: i + 1,
                message: if field == "." {
                    message
                } else {
                    format!("{field}: {message}")
                },
            }
        })?;
        out.push((i + 1, value));
    }
    Ok(out)
}

fn records<T>(lines: Vec<(usize, T)>) -> Vec<T> {
    lines.into_iter().map(|(_, t)| t).collect()
}

/// Reads a dataset folder: `zones.jsonl` and `universities.jsonl` are required; `tracks.jsonl`,
/// `teams.jsonl` and `demands.jsonl` are read when present. Every team and demand is checked against
/// the folder's tracks, zones and universities.
pub fn load_dataset(dir: &Path) -> Result<Dataset, LoadError> {
    let teams = read_jsonl::<Team>(dir, "teams.jsonl", false)?;
    let demands = read_jsonl::<Demand>(dir, "demands.jsonl", false)?;
    let mut data = Dataset {
        tracks: records(read_jsonl(dir, "tracks.jsonl", false)?),
        zones: records(read_jsonl(dir, "zones.jsonl", true)?),
        universities: records(read_jsonl(dir, "universities.jsonl", true)?),
        ..Dataset::default()
    };
    let refs = IdSets::of(&data);
    for (line, team) in &teams {
        check_team(team, &refs).map_err(|v| LoadError::Line {
            file: "teams.jsonl".into(),
            line: *line,
            message: v.to_string(),
        })?;
    }
    for (line, demand) in &demands {
        check_demand(demand, &refs).map_err(|v| LoadError::Line {
            file: "demands.jsonl".into(),
            line: *line,
            message: v.to_string(),
        })?;
    }
    data.teams = records(teams);
    data.demands = records(demands);
    Ok(data)
}

struct IdSets {
    tracks: HashSet<TrackId>,
    zones: HashSet<ZoneId>,
    universities: HashSet<UniversityId>,
}

impl IdSets {
    fn of(data: &Dataset) -> Self {
        IdSets {
            tracks: data.tracks.iter().map(|t| t.id.clone()).collect(),
            zones: data.zones.iter().map(|z| z.id.clone()).collect(),
            universities: data.universities.iter().map(|u| u.id.clone()).collect(),
        }
    }
}

impl Refs for IdSets {
    fn has_track(&self, id: &TrackId) -> bool {
        self.tracks.contains(id)
    }
    fn has_zone(&self, id: &ZoneId) -> bool {
        self.zones.contains(id)
    }
    fn has_university(&self, id: &UniversityId) -> bool {
        self.universities.contains(id)
    }
}

/// Ids travel in URL paths: non-empty, at most 128 characters, no whitespace, `/`, `?` or `#`.
fn check_id(field: &str, id: &str) -> Result<(), Violation> {
    if id.is_empty() {
        return Err(Violation::new(field, "must not be empty"));
    }
    if id.chars().count() > 128 {
        return Err(Violation::new(field, "must be at most 128 characters"));
    }
    if id
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '?' | '#' | '%'))
    {
        return Err(Violation::new(
            field,
            "must not contain whitespace, '/', '?', '#' or '%'",
        ));
    }
    Ok(())
}

fn check_text(field: &str, text: &str) -> Result<(), Violation> {
    if text.trim().is_empty() {
        Err(Violation::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn check_list(field: &str, items: &[String]) -> Result<(), Violation> {
    for (i, item) in items.iter().enumerate() {
        check_text(&format!("{field}[{i}]"), item)?;
    }
    Ok(())
}

fn check_tracks(ids: &[TrackId], refs: &dyn Refs) -> Result<(), Violation> {
    for (i, id) in ids.iter().enumerate() {
        if !refs.has_track(id) {
            return Err(Violation::new(
                format!("track_ids[{i}]"),
                format!("unknown track {id}"),
            ));
        }
    }
    Ok(())
}

/// Checks a team against the contract and the catalog it joins.
pub fn check_team(team: &Team, refs: &dyn Refs) -> Result<(), Violation> {
    check_id("id", team.id.as_str())?;
    check_text("name", &team.name)?;
    if !refs.has_university(&team.university_id) {
        return Err(Violation::new(
            "university_id",
            format!("unknown university {}", team.university_id),
        ));
    }
    if let Some(leader) = &team.leader {
        check_text("leader.name", &leader.name)?;
        check_list("leader.honors", &leader.honors)?;
    }
    check_list("fields", &team.fields)?;
    check_list("keywords", &team.keywords)?;
    check_tracks(&team.track_ids, refs)?;
    for (i, platform) in team.platforms.iter().enumerate() {
        check_text(&format!("platforms[{i}].name"), &platform.name)?;
    }
    for (i, a) in team.achievements.iter().enumerate() {
        if a.title.trim().is_empty() && a.r#abstract.trim().is_empty() {
            return Err(Violation::new(
                format!("achievements[{i}].title"),
                "an achievement needs a title or an abstract",
            ));
        }
        if let Some(year) = a.year
            && !(1900..=2100).contains(&year)
        {
            return Err(Violation::new(
                format!("achievements[{i}].year"),
                format!("impossible year {year}"),
            ));
        }
    }
    if team.description.trim().is_empty() && team.achievements.is_empty() {
        return Err(Violation::new(
            "description",
            "a team needs a description or at least one achievement",
        ));
    }
    Ok(())
}

/// Checks a demand against the contract and the catalog it joins.
pub fn check_demand(demand: &Demand, refs: &dyn Refs) -> Result<(), Violation> {
    check_id("id", demand.id.as_str())?;
    check_text("title", &demand.title)?;
    if !refs.has_zone(&demand.zone_id) {
        return Err(Violation::new(
            "zone_id",
            format!("unknown zone {}", demand.zone_id),
        ));
    }
    if let Some(enterprise) = &demand.enterprise {
        check_text("enterprise.name", &enterprise.name)?;
    }
    check_list("keywords", &demand.keywords)?;
    check_tracks(&demand.track_ids, refs)?;
    if let Some(budget) = demand.budget_wan_yuan
        && !(budget.is_finite() && budget >= 0.0)
    {
        return Err(Violation::new(
            "budget_wan_yuan",
            "must be a non-negative number",
        ));
    }
    if let Some(deadline) = &demand.deadline
        && !is_date(deadline)
    {
        return Err(Violation::new(
            "deadline",
            format!("{deadline:?} is not a date (YYYY-MM-DD)"),
        ));
    }
    for (i, id) in demand.excluded_university_ids.iter().enumerate() {
        if !refs.has_university(id) {
            return Err(Violation::new(
                format!("excluded_university_ids[{i}]"),
                format!("unknown university {id}"),
            ));
        }
    }
    Ok(())
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|t| t.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    if !s[0..4].bytes().all(|c| c.is_ascii_digit()) || !(1900..=2100).contains(&y) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Fixed;
    impl Refs for Fixed {
        fn has_track(&self, id: &TrackId) -> bool {
            id.as_str() == "t1"
        }
        fn has_zone(&self, id: &ZoneId) -> bool {
            id.as_str() == "z1"
        }
        fn has_university(&self, id: &UniversityId) -> bool {
            id.as_str() == "u1"
        }
    }

    fn team(patch: serde_json::Value) -> Team {
        let mut base =
            json!({"id": "team1", "university_id": "u1", "name": "团队", "description": "研究"});
        for (k, v) in patch.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    fn demand(patch: serde_json::Value) -> Demand {
        let mut base = json!({"id": "d1", "zone_id": "z1", "title": "需求"});
        for (k, v) in patch.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn team_violations_name_their_field() {
        let cases = [
            (json!({}), None),
            (json!({"id": ""}), Some("id")),
            (json!({"id": "a/b"}), Some("id")),
            (json!({"name": "  "}), Some("name")),
            (json!({"university_id": "u9"}), Some("university_id")),
            (json!({"track_ids": ["t1", "t9"]}), Some("track_ids[1]")),
            (json!({"keywords": ["a", ""]}), Some("keywords[1]")),
            (
                json!({"achievements": [{"kind": "paper", "title": "x", "year": 1800}]}),
                Some("achievements[0].year"),
            ),
            (
                json!({"achievements": [{"kind": "patent"}]}),
                Some("achievements[0].title"),
            ),
            (json!({"description": ""}), Some("description")),
            (
                json!({"description": "", "achievements": [{"kind": "paper", "abstract": "摘要"}]}),
                None,
            ),
            (json!({"leader": {"name": ""}}), Some("leader.name")),
        ];
        for (patch, want) in cases {
            let got = check_team(&team(patch.clone()), &Fixed)
                .err()
                .map(|v| v.field);
            assert_eq!(got.as_deref(), want, "{patch}");
        }
    }

    #[test]
    fn demand_violations_name_their_field() {
        let cases = [
            (json!({}), None),
            (json!({"title": ""}), Some("title")),
            (json!({"zone_id": "z9"}), Some("zone_id")),
            (json!({"budget_wan_yuan": -1.0}), Some("budget_wan_yuan")),
            (json!({"deadline": "2025-02-29"}), Some("deadline")),
            (json!({"deadline": "2024-02-29"}), None),
            (json!({"deadline": "2024-13-01"}), Some("deadline")),
            (json!({"deadline": "24-01-01"}), Some("deadline")),
            (
                json!({"excluded_university_ids": ["u9"]}),
                Some("excluded_university_ids[0]"),
            ),
            (json!({"enterprise": {"name": ""}}), Some("enterprise.name")),
        ];
        for (patch, want) in cases {
            let got = check_demand(&demand(patch.clone()), &Fixed)
                .err()
                .map(|v| v.field);
            assert_eq!(got.as_deref(), want, "{patch}");
        }
    }

    #[test]
    fn load_reports_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("zones.jsonl"),
            "{\"id\":\"z1\",\"name\":\"园区\",\"city\":\"苏州\",\"industries\":[]}\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("universities.jsonl"),
            "{\"id\":\"u1\",\"name\":\"大学\",\"city\":\"南京\"}\n",
        )
        .unwrap();
        fs::write(
            dir.path().join("teams.jsonl"),
            "\n{\"id\":\"t\",\"university_id\":\"u2\",\"name\":\"n\",\"description\":\"d\"}\n",
        )
        .unwrap();
        let err = load_dataset(dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "teams.jsonl:2: university_id: unknown university u2"
        );
        fs::write(dir.path().join("teams.jsonl"), "{\"id\":1}\n").unwrap();
        let err = load_dataset(dir.path()).unwrap_err();
        assert!(err.to_string().starts_with("teams.jsonl:1: id: "), "{err}");
        fs::remove_file(dir.path().join("teams.jsonl")).unwrap();
        let data = load_dataset(dir.path()).unwrap();
        assert_eq!((data.zones.len(), data.teams.len()), (1, 0));
    }
}
