//! One person, one pairing: which team leader leads each selected pairing.
//!
//! A pairing's leading talent is the leader of one of its teams. A person (a leader's name within their
//! university) leads at most `talent_max` active pairings, approved pairings of earlier batches
//! included. The choice is an exact assignment, solved as a min-cost flow: first as many pairings as
//! possible get a leader, then each pairing gets the leader of the team that carries most of its
//! projects' score. Qualities do not depend on the leader, so the batch stays optimal for its objective.

use std::collections::HashMap;

use super::batch::TalentKey;
use super::bundle::{Candidates, team_ranking};
use super::flow::MinCostFlow;
use crate::domain::Dataset;

/// Outweighs any sum of preferences, so the flow first maximises the number of led pairings.
const LED: i64 = 1_000_000_000;

/// The person who leads a team, if the team names a leader.
pub(crate) fn talent_of(data: &Dataset, team: u32) -> Option<TalentKey> {
    let t = &data.teams[team as usize];
    t.leader.as_ref().map(|l| TalentKey {
        university_id: t.university_id.clone(),
        name: l.name.clone(),
    })
}

/// For every selected candidate, the team whose leader leads it (absent: nobody is free, 待共建).
/// `taken` counts the pairings each person already leads outside the batch.
pub(crate) fn assign_talents(
    data: &Dataset,
    c: &Candidates,
    selected: &[usize],
    taken: &HashMap<TalentKey, u32>,
    talent_max: u32,
) -> HashMap<usize, u32> {
    // Per selected pairing: each person once, with their best team and its summed score.
    let mut people: Vec<TalentKey> = Vec::new();
    let mut index: HashMap<TalentKey, usize> = HashMap::new();
    let mut options: Vec<Vec<(usize, u32, i64)>> = Vec::with_capacity(selected.len());
    for &ci in selected {
        let mut mine: Vec<(usize, u32, i64)> = Vec::new();
        for (team, score_sum, _) in team_ranking(&c.list[ci]) {
            let Some(key) = talent_of(data, team) else {
                continue;
            };
            let p = *index.entry(key.clone()).or_insert_with(|| {
                people.push(key);
                people.len() - 1
            });
            if !mine.iter().any(|m| m.0 == p) {
                mine.push((p, team, (score_sum * 1000.0).round() as i64));
            }
        }
        options.push(mine);
    }
    let (n, m) = (selected.len(), people.len());
    let (source, sink) = (n + m, n + m + 1);
    let mut g = MinCostFlow::new(n + m + 2);
    let mut edges: Vec<(usize, usize, u32)> = Vec::new();
    for (i, mine) in options.iter().enumerate() {
        g.add_edge(source, i, 1, 0);
        for &(p, team, w) in mine {
            let e = g.add_edge(i, n + p, 1, -(LED + w));
            edges.push((e, i, team));
        }
    }
    for (p, key) in people.iter().enumerate() {
        let left = talent_max.saturating_sub(taken.get(key).copied().unwrap_or(0));
        if left > 0 {
            g.add_edge(n + p, sink, i64::from(left), 0);
        }
    }
    g.min_cost_flow(source, sink);
    edges
        .into_iter()
        .filter(|&(e, _, _)| g.flow(e) > 0)
        .map(|(_, i, team)| (selected[i], team))
        .collect()
}
