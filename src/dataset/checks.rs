//! The checks each kind of record must pass: text present, numbers in range, years and dates valid,
//! references known.

use super::{
    DEMANDS_FILE, FieldProblem, MIN_YEAR, Record, Refs, TEAMS_FILE, TRACKS_FILE, UNIVERSITIES_FILE,
    ZONES_FILE, max_year, parse_date,
};
use crate::domain::{Demand, Team, Track, TrackId, University, UniversityId, Zone};

/// Collects the problems of one record.
struct Checker<'a> {
    refs: &'a Refs,
    out: Vec<FieldProblem>,
}

impl<'a> Checker<'a> {
    fn new(refs: &'a Refs) -> Self {
        Self {
            refs,
            out: Vec::new(),
        }
    }

    fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.out.push(FieldProblem::new(field, message));
    }

    /// A required text: not empty or blank.
    fn text(&mut self, field: &str, value: &str) -> bool {
        let ok = !value.trim().is_empty();
        if !ok {
            self.push(field, "must not be empty");
        }
        ok
    }

    /// Each entry of a list of texts is not blank.
    fn texts(&mut self, field: &str, values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            self.text(&format!("{field}[{i}]"), value);
        }
    }

    fn track_refs(&mut self, field: &str, ids: &[TrackId]) {
        for (i, id) in ids.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if self.text(&at, id.as_str()) && !self.refs.has_track(id.as_str()) {
                self.push(at, format!("unknown track \"{id}\""));
            }
        }
    }

    fn university_ref(&mut self, field: &str, id: &str) {
        if self.text(field, id) && !self.refs.has_university(id) {
            self.push(field, format!("unknown university \"{id}\""));
        }
    }

    fn platforms(&mut self, platforms: &[crate::domain::Platform]) {
        for (i, platform) in platforms.iter().enumerate() {
            self.text(&format!("platforms[{i}].name"), &platform.name);
            self.text(&format!("platforms[{i}].kind"), &platform.kind);
            let at = format!("platforms[{i}]");
            self.ties(&at, &platform.track_ids, &platform.university_ids);
        }
    }

    /// The tracks and universities a zone's platform or fund is tied to exist.
    fn ties(&mut self, field: &str, track_ids: &[TrackId], university_ids: &[UniversityId]) {
        self.track_refs(&format!("{field}.track_ids"), track_ids);
        for (i, id) in university_ids.iter().enumerate() {
            self.university_ref(&format!("{field}.university_ids[{i}]"), id.as_str());
        }
    }

    /// A team's platform is the team's own: it names no tracks or universities.
    fn untied(&mut self, platforms: &[crate::domain::Platform]) {
        for (i, platform) in platforms.iter().enumerate() {
            if !platform.track_ids.is_empty() || !platform.university_ids.is_empty() {
                self.push(
                    format!("platforms[{i}]"),
                    "only a zone's platforms name track_ids or university_ids",
                );
            }
        }
    }

    fn not_negative(&mut self, field: &str, value: f64) {
        if !value.is_finite() || value < 0.0 {
            self.push(field, format!("must not be negative, found {value}"));
        }
    }

    fn at_least_one(&mut self, field: &str, value: u32) {
        if value == 0 {
            self.push(field, "must be at least 1, found 0");
        }
    }

    fn baseline(&mut self, baseline: Option<&crate::domain::Baseline>) {
        for (field, message) in baseline.map(|b| b.problems()).unwrap_or_default() {
            self.push(field, message);
        }
    }

    fn done(self) -> Vec<FieldProblem> {
        self.out
    }
}

/// Implements [`Record`] for one contract kind: its file, its noun, the `id` field (required text) and the
/// checks of its other fields, given as a block over the record `r`, the [`Checker`] `c` and the `refs`.
macro_rules! record {
    ($kind:ty, $file:expr, $noun:literal, |$r:ident, $c:ident, $refs:ident| $body:block) => {
        impl Record for $kind {
            const FILE: &'static str = $file;
            const NOUN: &'static str = $noun;

            fn id(&self) -> &str {
                self.id.as_str()
            }

            fn check(&self, $refs: &Refs) -> Vec<FieldProblem> {
                let $r = self;
                let mut $c = Checker::new($refs);
                $c.text("id", $r.id.as_str());
                $body
                $c.done()
            }
        }
    };
}

record!(Track, TRACKS_FILE, "track", |r, c, refs| {
    c.text("name", &r.name);
    c.texts("keywords", &r.keywords);
    if let Some(parent) = &r.parent {
        if parent == &r.id {
            c.push("parent", "a track cannot be its own parent");
        } else if c.text("parent", parent.as_str()) && !refs.has_track(parent.as_str()) {
            c.push("parent", format!("unknown track \"{parent}\""));
        }
    }
});

record!(Zone, ZONES_FILE, "zone", |r, c, refs| {
    c.text("name", &r.name);
    c.text("city", &r.city);
    c.texts("industries", &r.industries);
    c.track_refs("track_ids", &r.track_ids);
    c.platforms(&r.platforms);
    for (i, fund) in r.funds.iter().enumerate() {
        c.text(&format!("funds[{i}].name"), &fund.name);
        c.not_negative(&format!("funds[{i}].size_wan_yuan"), fund.size_wan_yuan);
        c.ties(
            &format!("funds[{i}]"),
            &fund.track_ids,
            &fund.university_ids,
        );
    }
    c.baseline(r.baseline.as_ref());
});

record!(University, UNIVERSITIES_FILE, "university", |r, c, refs| {
    c.text("name", &r.name);
    c.text("city", &r.city);
    c.texts("disciplines", &r.disciplines);
    c.baseline(r.baseline.as_ref());
});

record!(Team, TEAMS_FILE, "team", |r, c, refs| {
    c.university_ref("university_id", r.university_id.as_str());
    c.text("name", &r.name);
    if let Some(leader) = &r.leader {
        c.text("leader.name", &leader.name);
        c.texts("leader.honors", &leader.honors);
    }
    c.texts("fields", &r.fields);
    c.texts("keywords", &r.keywords);
    c.track_refs("track_ids", &r.track_ids);
    c.platforms(&r.platforms);
    c.untied(&r.platforms);
    let max_year = max_year();
    let mut has_text = !r.description.trim().is_empty();
    for (i, achievement) in r.achievements.iter().enumerate() {
        let titled = !achievement.title.trim().is_empty();
        let abstracted = !achievement.r#abstract.trim().is_empty();
        if titled || abstracted {
            has_text = true;
        } else {
            c.push(
                format!("achievements[{i}]"),
                "needs a non-empty title or abstract",
            );
        }
        if let Some(year) = achievement.year
            && !(MIN_YEAR..=max_year).contains(&year)
        {
            let message = format!("impossible year {year} (expected {MIN_YEAR} to {max_year})");
            c.push(format!("achievements[{i}].year"), message);
        }
        let patent = achievement.kind == crate::domain::AchievementKind::Patent;
        for (name, given) in [
            ("patent_no", achievement.patent_no.as_deref()),
            ("legal_status", achievement.legal_status.as_deref()),
        ] {
            if let Some(value) = given {
                c.text(&format!("achievements[{i}].{name}"), value);
                if !patent {
                    c.push(format!("achievements[{i}].{name}"), "only a patent has one");
                }
            }
        }
        if achievement.transferable.is_some() && !patent {
            c.push(
                format!("achievements[{i}].transferable"),
                "only a patent is marked transferable",
            );
        }
    }
    if !has_text {
        c.push(
            "description",
            "a team needs a description or at least one achievement with text",
        );
    }
    c.at_least_one("capacity", r.capacity);
    if let Some(members) = r.members {
        c.at_least_one("members", members);
    }
});

record!(Demand, DEMANDS_FILE, "demand", |r, c, refs| {
    if c.text("zone_id", r.zone_id.as_str()) && !refs.has_zone(r.zone_id.as_str()) {
        c.push("zone_id", format!("unknown zone \"{}\"", r.zone_id));
    }
    c.text("title", &r.title);
    if let Some(enterprise) = &r.enterprise {
        c.text("enterprise.name", &enterprise.name);
    }
    c.texts("keywords", &r.keywords);
    c.track_refs("track_ids", &r.track_ids);
    if let Some(budget) = r.budget_wan_yuan {
        c.not_negative("budget_wan_yuan", budget);
    }
    if let Some(deadline) = &r.deadline
        && parse_date(deadline).is_none()
    {
        c.push(
            "deadline",
            format!("impossible date \"{deadline}\" (expected a calendar date YYYY-MM-DD)"),
        );
    }
    for (i, id) in r.excluded_university_ids.iter().enumerate() {
        c.university_ref(&format!("excluded_university_ids[{i}]"), id.as_str());
    }
});
