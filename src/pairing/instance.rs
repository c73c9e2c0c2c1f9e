//! The optimisation instance exactly as `INSTANCE.json` holds it, and its exact solver.
//!
//! Model: the groups are the distinct (zone, track) of `pairs`. Choose pairs maximising total quality
//! such that every group has between `zone_track_min` and `zone_track_max` chosen pairs, every university
//! at most `university_max`, every `forced` triple is chosen and no `forbidden` one. This is a bipartite
//! b-matching with lower bounds, solved as a min-cost flow:
//!
//! `source → group` (two arcs: `min` units at cost −M, `max − min` units at cost 0),
//! `group → university` (one unit per pair, cost −quality), `university → sink` (`university_max` units).
//!
//! With M larger than the total quality the flow first satisfies as many group minimums as possible and
//! then maximises quality: when every minimum can be met this is the exact optimum of the model, and when
//! not it is the best partial proposal (most minimums met, then best quality). Forced triples are fixed
//! first and taken off the bounds. Qualities are handled in integer millionths, so the optimum is exact
//! for qualities given to 6 decimals.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::PairingError;
use super::config::Triple;
use super::flow::MinCostFlow;
use crate::domain::{TrackId, UniversityId, ZoneId};

/// Scale of the integer costs: qualities are exact to this many parts per unit.
pub const QUALITY_SCALE: f64 = 1e6;

/// Rounds a quality to the precision the solver works at.
pub fn round_quality(q: f64) -> f64 {
    (q * QUALITY_SCALE).round() / QUALITY_SCALE
}

/// One candidate pairing of the instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstancePair {
    pub zone_id: ZoneId,
    pub university_id: UniversityId,
    pub track_id: TrackId,
    pub quality: f64,
}

impl InstancePair {
    pub fn triple(&self) -> Triple {
        Triple {
            zone_id: self.zone_id.clone(),
            university_id: self.university_id.clone(),
            track_id: self.track_id.clone(),
        }
    }
}

/// The file `INSTANCE.json`: candidates with their qualities (team capacities already folded in) and
/// the constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub pairs: Vec<InstancePair>,
    pub zone_track_min: u32,
    pub zone_track_max: u32,
    pub university_max: u32,
    pub forced: Vec<Triple>,
    pub forbidden: Vec<Triple>,
}

/// A (zone, track) whose `zone_track_min` could not be met.
#[derive(Debug, Clone, PartialEq)]
pub struct UnmetGroup {
    pub zone_id: ZoneId,
    pub track_id: TrackId,
    pub required: u32,
    pub selected: u32,
    /// Pairs of the group that are neither forbidden nor forced.
    pub eligible: u32,
}

/// Which limit made a forced triple impossible to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedLimit {
    ZoneTrackMax,
    UniversityMax,
}

/// A forced triple that could not be kept because earlier forced triples filled a limit.
#[derive(Debug, Clone, PartialEq)]
pub struct DroppedForced {
    pub triple: Triple,
    pub limit: ForcedLimit,
}

/// A set of groups whose minimums compete for too few universities: every university that could still
/// serve them is full (Hall's condition fails), which proves the shortfall.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockingSet {
    /// Groups that need partners from `universities`, the unmet ones first.
    pub groups: Vec<(ZoneId, TrackId)>,
    /// How many of `groups` (at the front) have an unmet minimum.
    pub unmet_groups: usize,
    pub universities: Vec<UniversityId>,
    /// Partners the groups still need beyond their forced triples.
    pub required: u32,
    /// Pairings the universities can still take beyond their forced triples.
    pub capacity: u32,
    /// Forced triples already held by these universities.
    pub forced_on_universities: u32,
}

/// The solver's answer for an [`Instance`].
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Indices into `pairs` of the chosen triples, ascending.
    pub selected: Vec<usize>,
    /// Sum of the chosen qualities.
    pub objective: f64,
    /// Whether every constraint of the instance holds.
    pub feasible: bool,
    /// Always true: the flow is exact (the field exists for the report format).
    pub proven_optimal: bool,
    /// Relative gap to the best bound; 0 when proven optimal.
    pub gap: f64,
    /// Number of partner slots required by `zone_track_min` and left empty.
    pub unmet_units: u32,
    pub unmet: Vec<UnmetGroup>,
    pub dropped_forced: Vec<DroppedForced>,
    pub blocking: Vec<BlockingSet>,
}

fn invalid(m: String) -> PairingError {
    PairingError::InvalidInstance(m)
}

/// Solves an instance exactly (see the module docs for the model).
pub fn solve_instance(inst: &Instance) -> Result<Solution, PairingError> {
    if inst.zone_track_min > inst.zone_track_max {
        return Err(invalid(format!(
            "zone_track_min ({}) exceeds zone_track_max ({})",
            inst.zone_track_min, inst.zone_track_max
        )));
    }
    let mut by_triple: HashMap<Triple, usize> = HashMap::with_capacity(inst.pairs.len());
    let mut groups: BTreeMap<(&ZoneId, &TrackId), usize> = BTreeMap::new();
    let mut universities: BTreeMap<&UniversityId, usize> = BTreeMap::new();
    for (i, p) in inst.pairs.iter().enumerate() {
        if !p.quality.is_finite() || p.quality.abs() > 1e6 {
            return Err(invalid(format!("pair {i} has quality {}", p.quality)));
        }
        if by_triple.insert(p.triple(), i).is_some() {
            return Err(invalid(format!("pair {} appears twice", p.triple())));
        }
        groups.insert((&p.zone_id, &p.track_id), 0);
        universities.insert(&p.university_id, 0);
    }
    for (i, v) in groups.values_mut().enumerate() {
        *v = i;
    }
    for (i, v) in universities.values_mut().enumerate() {
        *v = i;
    }
    let group_of: Vec<usize> = inst
        .pairs
        .iter()
        .map(|p| groups[&(&p.zone_id, &p.track_id)])
        .collect();
    let univ_of: Vec<usize> = inst
        .pairs
        .iter()
        .map(|p| universities[&p.university_id])
        .collect();
    let ng = groups.len();
    let nu = universities.len();

    let forbidden: BTreeSet<usize> = inst
        .forbidden
        .iter()
        .filter_map(|t| by_triple.get(t).copied())
        .collect();
    let mut forced_kept: Vec<usize> = Vec::new();
    let mut dropped_forced = Vec::new();
    let mut forced_g = vec![0u32; ng];
    let mut forced_u = vec![0u32; nu];
    let mut seen = BTreeSet::new();
    for t in &inst.forced {
        let Some(&i) = by_triple.get(t) else {
            return Err(invalid(format!("forced triple {t} is not among the pairs")));
        };
        if forbidden.contains(&i) {
            return Err(PairingError::ConflictingTriple(t.clone()));
        }
        if !seen.insert(i) {
            continue;
        }
        let (g, u) = (group_of[i], univ_of[i]);
        if forced_g[g] >= inst.zone_track_max {
            dropped_forced.push(DroppedForced {
                triple: t.clone(),
                limit: ForcedLimit::ZoneTrackMax,
            });
        } else if forced_u[u] >= inst.university_max {
            dropped_forced.push(DroppedForced {
                triple: t.clone(),
                limit: ForcedLimit::UniversityMax,
            });
        } else {
            forced_g[g] += 1;
            forced_u[u] += 1;
            forced_kept.push(i);
        }
    }

    let q_int: Vec<i64> = inst
        .pairs
        .iter()
        .map(|p| (p.quality * QUALITY_SCALE).round() as i64)
        .collect();
    let free = |i: usize| !forbidden.contains(&i) && !seen.contains(&i);
    let big_m: i64 = 1
        + (0..inst.pairs.len())
            .filter(|&i| free(i))
            .map(|i| q_int[i].abs())
            .sum::<i64>();

    // Nodes: 0 source, 1 sink, groups, universities.
    let (s, t) = (0usize, 1usize);
    let gnode = |g: usize| 2 + g;
    let unode = |u: usize| 2 + ng + u;
    let mut net = MinCostFlow::new(2 + ng + nu);
    for (g, &f) in forced_g.iter().enumerate() {
        let min_left = inst.zone_track_min.saturating_sub(f);
        let max_left = inst.zone_track_max.saturating_sub(f);
        net.add_edge(s, gnode(g), i64::from(min_left), -big_m);
        net.add_edge(s, gnode(g), i64::from(max_left - min_left), 0);
    }
    let mut pair_arc = vec![usize::MAX; inst.pairs.len()];
    for i in (0..inst.pairs.len()).filter(|&i| free(i)) {
        pair_arc[i] = net.add_edge(gnode(group_of[i]), unode(univ_of[i]), 1, -q_int[i]);
    }
    for (u, &f) in forced_u.iter().enumerate() {
        let left = inst.university_max.saturating_sub(f);
        net.add_edge(unode(u), t, i64::from(left), 0);
    }
    net.min_cost_flow(s, t);

    let mut selected: Vec<usize> = forced_kept.clone();
    selected.extend(
        (0..inst.pairs.len()).filter(|&i| pair_arc[i] != usize::MAX && net.flow(pair_arc[i]) > 0),
    );
    selected.sort_unstable();
    let objective: f64 = selected.iter().map(|&i| inst.pairs[i].quality).sum();

    let group_keys: Vec<(&ZoneId, &TrackId)> = groups.keys().copied().collect();
    let univ_keys: Vec<&UniversityId> = universities.keys().copied().collect();
    let mut chosen_g = vec![0u32; ng];
    for &i in &selected {
        chosen_g[group_of[i]] += 1;
    }
    let mut eligible_g = vec![0u32; ng];
    for i in (0..inst.pairs.len()).filter(|&i| free(i)) {
        eligible_g[group_of[i]] += 1;
    }
    let mut unmet = Vec::new();
    let mut unmet_units = 0;
    for g in 0..ng {
        if chosen_g[g] < inst.zone_track_min {
            unmet_units += inst.zone_track_min - chosen_g[g];
            unmet.push(UnmetGroup {
                zone_id: group_keys[g].0.clone(),
                track_id: group_keys[g].1.clone(),
                required: inst.zone_track_min,
                selected: chosen_g[g],
                eligible: eligible_g[g],
            });
        }
    }

    // Hall violators: from the unmet groups with eligible pairs, walk alternating paths (unused pair
    // arcs forward, used ones backward). Every university reached is full (else the flow would not be
    // optimal) and takes flow only from reached groups at their minimums, so each connected part of
    // what is reached needs more partners than its universities can give.
    let mut parent: Vec<usize> = (0..ng + nu).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut reached_g = vec![false; ng];
    let mut reached_u = vec![false; nu];
    let mut queue = VecDeque::new();
    for g in 0..ng {
        if chosen_g[g] < inst.zone_track_min && eligible_g[g] > 0 {
            reached_g[g] = true;
            queue.push_back(gnode(g));
        }
    }
    while let Some(v) = queue.pop_front() {
        let vi = v - 2;
        for &e in net.edges_from(v) {
            let w = net.head(e);
            if w < 2 || net.residual(e) <= 0 {
                continue;
            }
            let is_univ = w >= 2 + ng;
            let forward = e % 2 == 0;
            if is_univ && forward || !is_univ && !forward {
                let wi = w - 2;
                let (ra, rb) = (find(&mut parent, vi), find(&mut parent, wi));
                parent[ra] = rb;
                let fresh = if is_univ {
                    !std::mem::replace(&mut reached_u[wi - ng], true)
                } else {
                    !std::mem::replace(&mut reached_g[wi], true)
                };
                if fresh {
                    queue.push_back(w);
                }
            }
        }
    }
    // Per component: unmet groups, other groups, universities.
    type Part = (Vec<usize>, Vec<usize>, Vec<usize>);
    let mut parts: BTreeMap<usize, Part> = BTreeMap::new();
    let mut root_order: Vec<usize> = Vec::new();
    for g in 0..ng {
        if !reached_g[g] {
            continue;
        }
        let r = find(&mut parent, g);
        let unmet_here = chosen_g[g] < inst.zone_track_min;
        let entry = parts.entry(r).or_insert_with(|| {
            root_order.push(r);
            Default::default()
        });
        if unmet_here {
            entry.0.push(g);
        } else {
            entry.1.push(g);
        }
    }
    for (u, _) in reached_u.iter().enumerate().filter(|(_, r)| **r) {
        let r = find(&mut parent, ng + u);
        if let Some(entry) = parts.get_mut(&r) {
            entry.2.push(u);
        }
    }
    let mut blocking: Vec<BlockingSet> = Vec::new();
    for r in root_order {
        let (unmet_gs, other_gs, us) = &parts[&r];
        let gs: Vec<usize> = unmet_gs.iter().chain(other_gs).copied().collect();
        blocking.push(BlockingSet {
            groups: gs
                .iter()
                .map(|&g| (group_keys[g].0.clone(), group_keys[g].1.clone()))
                .collect(),
            unmet_groups: unmet_gs.len(),
            universities: us.iter().map(|&u| univ_keys[u].clone()).collect(),
            required: gs
                .iter()
                .map(|&g| inst.zone_track_min.saturating_sub(forced_g[g]))
                .sum(),
            capacity: us.iter().map(|&u| inst.university_max - forced_u[u]).sum(),
            forced_on_universities: us.iter().map(|&u| forced_u[u]).sum(),
        });
    }

    Ok(Solution {
        feasible: unmet.is_empty() && dropped_forced.is_empty(),
        selected,
        objective,
        proven_optimal: true,
        gap: 0.0,
        unmet_units,
        unmet,
        dropped_forced,
        blocking,
    })
}

/// A random instance for tests and external-solver checks: `zones × tracks` groups, `universities`
/// universities, each group offering each university with probability `density`, random qualities,
/// a few forced and forbidden triples.
pub fn random_instance(
    seed: u64,
    zones: usize,
    universities: usize,
    tracks: usize,
    density: f64,
) -> Instance {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut pairs = Vec::new();
    for z in 0..zones {
        for t in 0..tracks {
            for u in 0..universities {
                if rng.gen_bool(density.clamp(0.0, 1.0)) {
                    pairs.push(InstancePair {
                        zone_id: ZoneId(format!("z{z}")),
                        university_id: UniversityId(format!("u{u}")),
                        track_id: TrackId(format!("t{t}")),
                        quality: round_quality(rng.gen_range(0.0..1.0)),
                    });
                }
            }
        }
    }
    let zone_track_min = rng.gen_range(0..=2);
    let zone_track_max = rng.gen_range(zone_track_min.max(1)..=3);
    let university_max = rng.gen_range(1..=4);
    let mut forced = Vec::new();
    let mut forbidden = Vec::new();
    for p in &pairs {
        let r: f64 = rng.r#gen();
        if r < 0.03 {
            forced.push(p.triple());
        } else if r < 0.10 {
            forbidden.push(p.triple());
        }
    }
    Instance {
        pairs,
        zone_track_min,
        zone_track_max,
        university_max,
        forced,
        forbidden,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instance of `(zone, university, track, quality)` candidates with `[zone_track_min,
    /// zone_track_max, university_max]`.
    fn inst(pairs: &[(&str, &str, &str, f64)], [min, max, umax]: [u32; 3]) -> Instance {
        Instance {
            pairs: pairs
                .iter()
                .map(|&(z, u, t, quality)| InstancePair {
                    zone_id: z.into(),
                    university_id: u.into(),
                    track_id: t.into(),
                    quality,
                })
                .collect(),
            zone_track_min: min,
            zone_track_max: max,
            university_max: umax,
            forced: vec![],
            forbidden: vec![],
        }
    }

    #[test]
    fn minimums_beat_quality() {
        // u1 is best for both zones but can serve one; z2 has only u1, so z1 must take u2.
        let i = inst(
            &[
                ("z1", "u1", "t", 0.9),
                ("z1", "u2", "t", 0.2),
                ("z2", "u1", "t", 0.5),
            ],
            [1, 1, 1],
        );
        let s = solve_instance(&i).unwrap();
        assert_eq!(s.selected, vec![1, 2]);
        assert!(s.feasible);
        assert!((s.objective - 0.7).abs() < 1e-12);
    }

    #[test]
    fn hall_violation_is_reported_with_the_parties() {
        let i = inst(
            &[
                ("z1", "u1", "h2", 0.9),
                ("z2", "u1", "h2", 0.8),
                ("z3", "u1", "h2", 0.7),
            ],
            [1, 2, 2],
        );
        let s = solve_instance(&i).unwrap();
        assert!(!s.feasible);
        assert_eq!(s.unmet_units, 1);
        assert_eq!(s.selected, vec![0, 1]);
        assert_eq!(s.blocking.len(), 1);
        let b = &s.blocking[0];
        assert_eq!(b.universities, vec![UniversityId::from("u1")]);
        assert_eq!(b.groups.len(), 3);
        assert_eq!((b.required, b.capacity), (3, 2));
    }

    #[test]
    fn forced_are_kept_and_forbidden_never_chosen() {
        let mut i = inst(
            &[
                ("z1", "u1", "t", 0.9),
                ("z1", "u2", "t", 0.1),
                ("z1", "u3", "t", 0.8),
            ],
            [1, 2, 3],
        );
        i.forced = vec![Triple::new("z1", "u2", "t")];
        i.forbidden = vec![Triple::new("z1", "u1", "t")];
        let s = solve_instance(&i).unwrap();
        assert_eq!(s.selected, vec![1, 2]);
    }

    #[test]
    fn forced_over_the_limit_is_dropped_and_reported() {
        let mut i = inst(&[("z1", "u1", "t", 0.9), ("z1", "u2", "t", 0.1)], [1, 1, 3]);
        i.forced = vec![Triple::new("z1", "u1", "t"), Triple::new("z1", "u2", "t")];
        let s = solve_instance(&i).unwrap();
        assert_eq!(s.selected, vec![0]);
        assert!(!s.feasible);
        assert_eq!(s.dropped_forced[0].limit, ForcedLimit::ZoneTrackMax);
    }

    #[test]
    fn bad_instances_are_errors() {
        let i = inst(&[("z", "u", "t", 0.5), ("z", "u", "t", 0.4)], [1, 1, 1]);
        assert_eq!(solve_instance(&i).unwrap_err().code(), "invalid_instance");
        let mut i = inst(&[("z", "u", "t", 0.5)], [1, 1, 1]);
        i.forced = vec![Triple::new("z", "x", "t")];
        assert_eq!(solve_instance(&i).unwrap_err().code(), "invalid_instance");
        let i = inst(&[("z", "u", "t", f64::NAN)], [1, 1, 1]);
        assert_eq!(solve_instance(&i).unwrap_err().code(), "invalid_instance");
    }

    #[test]
    fn instance_json_has_the_exact_shape() {
        let mut i = inst(&[("z", "u", "t", 0.5)], [1, 2, 3]);
        i.forced = vec![Triple::new("z", "u", "t")];
        let json = serde_json::to_string(&i).unwrap();
        assert_eq!(
            json,
            r#"{"pairs":[{"zone_id":"z","university_id":"u","track_id":"t","quality":0.5}],"zone_track_min":1,"zone_track_max":2,"university_max":3,"forced":[["z","u","t"]],"forbidden":[]}"#
        );
        let back: Instance = serde_json::from_str(&json).unwrap();
        assert_eq!(back, i);
    }
}
