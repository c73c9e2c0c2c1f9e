//! Achievement conversion: a university's transferable patents (可转化成果), each with the enterprise
//! demands that could take it up, ranked and explained by the engine's free-text search with the
//! achievement (title and abstract) as the query; and a zone's demands, each with the transferable patents
//! that fit it.

use serde::Serialize;

use super::{App, AppError, Result, SearchKind};
use crate::auth::Principal;
use crate::domain::{Achievement, AchievementKind, DemandId, TeamId, UniversityId, ZoneId};

/// How many demands are kept per achievement.
const DEMANDS_PER_ACHIEVEMENT: usize = 5;
/// How many demands the engine is asked for per achievement when a university lists its achievements
/// (those under [`MIN_COVERAGE`] are dropped, then the best [`DEMANDS_PER_ACHIEVEMENT`] kept).
const UNIVERSITY_DEPTH: usize = 2 * DEMANDS_PER_ACHIEVEMENT;
/// How many demands the engine is asked for per achievement (zone filters look further down).
const SEARCH_DEPTH: usize = 50;

/// Least share of an achievement's text (terms weighted by rarity among the demands) that a demand must
/// hold to be shown as a fit. Below it a demand shares only common words with the patent (问题, 技术,
/// 评估, 系统): on the shipped data, of 455 fits of four universities' patents, the 77 under 0.15 are
/// nearly all of this kind (一种KV缓存评估方法 for 数据血缘梳理, sharing 问题, 评估, 技术), while fits a
/// reader would keep start at about 0.18 (机械臂轨迹生成 for 机器人离线编程轨迹).
pub const MIN_COVERAGE: f32 = 0.15;

/// Whether a search hit is shown as a fit for an achievement.
fn fits(hit: &super::SearchHit) -> bool {
    hit.score > 0.0 && hit.coverage >= MIN_COVERAGE
}

/// The [`fits`] among an achievement's `hits`, best score first (the order the page shows its scores
/// in), at most [`DEMANDS_PER_ACHIEVEMENT`].
fn best_fits(hits: Vec<super::SearchHit>) -> Vec<super::SearchHit> {
    let mut kept: Vec<_> = hits.into_iter().filter(fits).collect();
    kept.sort_by(|a, b| b.score.total_cmp(&a.score));
    kept.truncate(DEMANDS_PER_ACHIEVEMENT);
    kept
}

/// A demand that could take up an achievement, and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ConversionFit {
    pub demand_id: DemandId,
    pub title: String,
    pub zone_id: ZoneId,
    pub zone_name: String,
    /// The engine's search score of the demand for the achievement's text.
    pub score: f32,
    /// The share of the achievement's text the demand holds (terms weighted by rarity), in [0, 1].
    pub coverage: f32,
    /// The demand's text with the terms it shares with the achievement wrapped in `<mark>`…`</mark>`.
    pub snippet: String,
    /// Those shared terms, in order of appearance.
    pub matched_terms: Vec<String>,
}

/// A transferable achievement of a team and the demands that fit it, best first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TransferableAchievement {
    pub team_id: TeamId,
    pub team_name: String,
    pub university_id: UniversityId,
    pub achievement: Achievement,
    pub demands: Vec<ConversionFit>,
}

/// A zone's demand with the transferable achievements that fit it, best first.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DemandPatents {
    pub demand_id: DemandId,
    pub title: String,
    pub achievements: Vec<PatentFit>,
}

/// A transferable achievement fitting one demand.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PatentFit {
    pub team_id: TeamId,
    pub team_name: String,
    pub university_id: UniversityId,
    pub university_name: String,
    pub achievement: Achievement,
    pub score: f32,
    /// The share of the achievement's text the demand holds (terms weighted by rarity), in [0, 1].
    pub coverage: f32,
    pub snippet: String,
    pub matched_terms: Vec<String>,
}

/// The words between `<mark>` and `</mark>` of a snippet, each once, in order.
fn marked(snippet: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in snippet.split("<mark>").skip(1) {
        if let Some((term, _)) = part.split_once("</mark>")
            && !out.iter().any(|t| t == term)
        {
            out.push(term.to_owned());
        }
    }
    out
}

/// Whether an achievement is a patent its university has marked transferable.
pub fn is_transferable(a: &Achievement) -> bool {
    a.kind == AchievementKind::Patent && a.transferable == Some(true)
}

/// The text an achievement is searched with: its title and abstract.
fn query_of(a: &Achievement) -> String {
    format!("{} {}", a.title, a.r#abstract).trim().to_owned()
}

impl App {
    /// The transferable achievements of a university's teams, each with the demands that could take it
    /// up (department, or the university itself).
    pub async fn conversions(
        &self,
        who: &Principal,
        university: &UniversityId,
    ) -> Result<Vec<TransferableAchievement>> {
        if !who.role.owns_university(university) {
            return Err(who
                .role
                .forbidden("see another university's transferable achievements")
                .into());
        }
        let teams = {
            let c = self.catalog();
            if c.university(university).is_none() {
                return Err(AppError::not_found("university", university));
            }
            c.teams_of(university)
        };
        let mut wanted = Vec::new();
        for team in &teams {
            for a in team.achievements.iter().filter(|a| is_transferable(a)) {
                wanted.push((team.clone(), a.clone()));
            }
        }
        let queries: Vec<String> = wanted.iter().map(|(_, a)| query_of(a)).collect();
        let hits = self
            .blocking(move |app| {
                queries
                    .iter()
                    .map(|q| {
                        if q.is_empty() {
                            return Ok(Vec::new());
                        }
                        Ok(app
                            .inner
                            .matcher
                            .search(q, SearchKind::Demands, UNIVERSITY_DEPTH)?)
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .await?;
        let c = self.catalog();
        Ok(wanted
            .into_iter()
            .zip(hits)
            .map(|((team, achievement), hits)| TransferableAchievement {
                team_id: team.id.clone(),
                team_name: team.name.clone(),
                university_id: team.university_id.clone(),
                achievement,
                demands: best_fits(hits)
                    .into_iter()
                    .filter_map(|h| {
                        let d = c.demands.get(&DemandId(h.id.clone()))?;
                        Some(ConversionFit {
                            demand_id: d.id.clone(),
                            title: d.title.clone(),
                            zone_name: c.zone_name(&d.zone_id),
                            zone_id: d.zone_id.clone(),
                            score: h.score,
                            coverage: h.coverage,
                            matched_terms: marked(&h.snippet),
                            snippet: h.snippet,
                        })
                    })
                    .collect(),
            })
            .collect())
    }

    /// A zone's demands, each with the transferable achievements (of every university) that fit it
    /// (department, or the zone itself). Demands no transferable achievement fits are left out.
    pub async fn zone_transferable(
        &self,
        who: &Principal,
        zone: &ZoneId,
    ) -> Result<Vec<DemandPatents>> {
        if !who.role.owns_zone(zone) {
            return Err(who
                .role
                .forbidden("see another zone's fitting patents")
                .into());
        }
        let (demands, wanted) = {
            let c = self.catalog();
            if c.zone(zone).is_none() {
                return Err(AppError::not_found("zone", zone));
            }
            let wanted: Vec<_> = c
                .teams
                .values()
                .flat_map(|t| {
                    t.achievements
                        .iter()
                        .filter(|a| is_transferable(a))
                        .map(|a| (t.clone(), a.clone()))
                        .collect::<Vec<_>>()
                })
                .collect();
            (c.demands_of(zone), wanted)
        };
        let queries: Vec<String> = wanted.iter().map(|(_, a)| query_of(a)).collect();
        let hits = self
            .blocking(move |app| {
                queries
                    .iter()
                    .map(|q| {
                        if q.is_empty() {
                            return Ok(Vec::new());
                        }
                        Ok(app
                            .inner
                            .matcher
                            .search(q, SearchKind::Demands, SEARCH_DEPTH)?)
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .await?;
        let c = self.catalog();
        let mut out: Vec<DemandPatents> = demands
            .iter()
            .map(|d| DemandPatents {
                demand_id: d.id.clone(),
                title: d.title.clone(),
                achievements: Vec::new(),
            })
            .collect();
        for ((team, achievement), hits) in wanted.into_iter().zip(hits) {
            for h in hits.into_iter().filter(fits) {
                if let Some(entry) = out.iter_mut().find(|e| e.demand_id.as_str() == h.id) {
                    entry.achievements.push(PatentFit {
                        team_id: team.id.clone(),
                        team_name: team.name.clone(),
                        university_name: c.university_name(&team.university_id),
                        university_id: team.university_id.clone(),
                        achievement: achievement.clone(),
                        score: h.score,
                        coverage: h.coverage,
                        matched_terms: marked(&h.snippet),
                        snippet: h.snippet,
                    });
                }
            }
        }
        out.retain(|e| !e.achievements.is_empty());
        for e in &mut out {
            e.achievements.sort_by(|a, b| b.score.total_cmp(&a.score));
            e.achievements.truncate(DEMANDS_PER_ACHIEVEMENT);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_hold_enough_of_the_patent_and_come_best_score_first() {
        let hit = |id: &str, score: f32, coverage: f32| super::super::SearchHit {
            id: id.into(),
            score,
            coverage,
            snippet: String::new(),
        };
        let hits = vec![
            hit("whole-words-first", 48.9, 0.2),
            hit("common-words-only", 60.0, 0.12),
            hit("best", 159.1, 0.4),
            hit("no-score", 0.0, 0.9),
            hit("at-the-floor", 30.0, MIN_COVERAGE),
        ];
        let ids: Vec<String> = best_fits(hits).into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ["best", "whole-words-first", "at-the-floor"]);
        let many = (0..8)
            .map(|i| hit(&format!("d{i}"), i as f32 + 1.0, 0.5))
            .collect();
        let ids: Vec<String> = best_fits(many).into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ["d7", "d6", "d5", "d4", "d3"]);
    }

    #[test]
    fn marked_terms_are_read_once_in_order() {
        assert_eq!(
            marked("需要<mark>电池</mark>安全<mark>监测</mark>，<mark>电池</mark>"),
            vec!["电池", "监测"]
        );
        assert!(marked("没有标记").is_empty());
    }
}
