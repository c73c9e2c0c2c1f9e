//! Incremental updates: a team or demand added, replaced or deleted, with the statistics, postings,
//! fingerprint and text index left as a full rebuild would leave them; the load a team carries.

use std::sync::{Arc, MutexGuard, OnceLock};

use super::corpus::{self, Analysed, Bag, QVec, TeamBags};
use super::packed::Packed;
use super::postings::push_gently;
use super::state::{DemandRec, State, TeamRec, TeamSlots, embed_pairs, resolve_tracks};
use super::{DocKind, Engine, MatchError};
use crate::domain::{Dataset, Demand, DemandId, Team, TeamId, TrackId};
use crate::text_index::{FieldTokens, IndexDoc};

impl Engine {
    /// Records how many projects a team already carries (lowers its `capacity` feature).
    pub fn set_team_load(&self, team: &TeamId, load: u32) -> Result<(), MatchError> {
        let mut state = self.write()?;
        state.team_slot(team)?;
        state.loads.insert(team.0.clone(), load);
        Ok(())
    }

    /// Adds a team or replaces the one with its id; it is searchable and matchable when this returns.
    pub fn upsert_team(&self, team: Team) -> Result<(), MatchError> {
        let _writer = self.lock_writer()?;
        self.check_refs(
            "university_id",
            &team.university_id.0,
            &team.track_ids,
            |data| data.universities.iter().any(|u| u.id == team.university_id),
        )?;
        let analysed = corpus::analyse_team(&self.analyzer, &team);
        let mut state = self.write()?;
        let bags = corpus::team_bags(&mut state.interner, &self.config, &team, &analysed);
        state.sync_columns(&self.models);
        let replaced = state.team_slots.get(team.id.as_str());
        let terms: Vec<u32> = bags.all.iter().map(|&(t, _)| t).collect();
        let old_all = replaced.map(|slot| self.team_all(&state, slot));
        let rec = self.team_record(&state, &team, bags, replaced);
        state.count_team(&rec, terms.into_iter(), 1.0);
        state.fingerprint_sum = state.fingerprint_sum.wrapping_add(rec.hash);
        match state.team_slots.get(team.id.as_str()) {
            Some(slot) => {
                let old = std::mem::replace(&mut state.teams[slot], rec);
                let st = &mut *state;
                let (cluster, vec) = (st.teams[slot].cluster, &st.teams[slot].vec);
                st.team_members.replace(slot, cluster, vec);
                let new = &st.teams[slot].bags;
                st.team_postings
                    .replace(slot, &old.bags.profile, &new.profile, new.profile_len);
                if let Some(p) = &mut st.team_bigram_postings {
                    p.replace(slot, &old.bags.bigrams, &new.bigrams, new.bigram_len);
                }
                let old_terms = old_all.unwrap_or_default().into_iter().map(|(t, _)| t);
                state.count_team(&old, old_terms, -1.0);
                state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
                Arc::make_mut(&mut state.data).teams[slot] = team.clone();
            }
            None => {
                let slot = state.teams.len();
                state.team_members.insert(slot, rec.cluster, &rec.vec);
                state
                    .team_postings
                    .push(&rec.bags.profile, rec.bags.profile_len);
                if let Some(p) = &mut state.team_bigram_postings {
                    p.push(&rec.bags.bigrams, rec.bags.bigram_len);
                }
                push_gently(&mut state.teams, rec);
                push_gently(&mut Arc::make_mut(&mut state.data).teams, team.clone());
                state.team_slots.insert(team.id.as_str(), slot);
            }
        }
        let change = replaced.map_or(TeamSlots::Added, TeamSlots::Replaced);
        let old_feedback = state.team_written(change);
        let fp = state.fingerprint();
        drop(state);
        drop(old_feedback);
        self.index
            .upsert(DocKind::Team, &index_doc(team.id.as_str(), &analysed), &fp)?;
        self.refresh_feedback()
    }

    /// Deletes a team (its pairs disappear from every ranking).
    pub fn delete_team(&self, team: &TeamId) -> Result<(), MatchError> {
        let _writer = self.lock_writer()?;
        let mut state = self.write()?;
        let slot = state.team_slot(team)?;
        let old_all = self.team_all(&state, slot);
        let old = state.teams.swap_remove(slot);
        let st = &mut *state;
        st.team_members.swap_remove(slot);
        let last = moved_or(&st.teams, slot, &old.bags.profile, |r| &r.bags.profile);
        st.team_postings.swap_remove(slot, &old.bags.profile, last);
        if let Some(p) = &mut st.team_bigram_postings {
            let last = moved_or(&st.teams, slot, &old.bags.bigrams, |r| &r.bags.bigrams);
            p.swap_remove(slot, &old.bags.bigrams, last);
        }
        state.count_team(&old, old_all.into_iter().map(|(t, _)| t), -1.0);
        state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
        let st = &mut *state;
        let data = Arc::make_mut(&mut st.data);
        st.team_slots
            .swap_remove_doc(&mut data.teams, team.as_str(), slot, |t| t.id.as_str());
        state.loads.remove(team.as_str());
        let last = state.teams.len();
        let old_feedback = state.team_written(TeamSlots::Removed { slot, last });
        let fp = state.fingerprint();
        drop(state);
        drop(old_feedback);
        self.index.delete(DocKind::Team, team.as_str(), &fp)?;
        self.refresh_feedback()
    }

    /// Adds a demand or replaces the one with its id; it is searchable and matchable when this returns.
    pub fn upsert_demand(&self, demand: Demand) -> Result<(), MatchError> {
        let _writer = self.lock_writer()?;
        self.check_refs("zone_id", &demand.zone_id.0, &demand.track_ids, |data| {
            data.zones.iter().any(|z| z.id == demand.zone_id)
        })?;
        let analysed = corpus::analyse_demand(&self.analyzer, &demand);
        let mut state = self.write()?;
        let bags = corpus::demand_bags(&mut state.interner, &self.config, &demand, &analysed);
        state.sync_columns(&self.models);
        let vec = self.embed(&state, &bags.all);
        let rec = DemandRec {
            expanded: OnceLock::new(),
            query: OnceLock::new(),
            cluster: self.cluster(&vec),
            tracks: resolve_tracks(&self.tracks, &demand.track_ids, &vec),
            city: city_of(&state.data.zones, |z| z.id == demand.zone_id, |z| &z.city),
            hash: corpus::record_hash("demand", &demand),
            bags: bags.pack(),
            vec,
        };
        state.demand_df.add(rec.bags.query.terms());
        state.fingerprint_sum = state.fingerprint_sum.wrapping_add(rec.hash);
        match state.demand_slots.get(demand.id.as_str()) {
            Some(slot) => {
                let old = std::mem::replace(&mut state.demands[slot], rec);
                let st = &mut *state;
                let (cluster, vec) = (st.demands[slot].cluster, &st.demands[slot].vec);
                st.demand_members.replace(slot, cluster, vec);
                let new = &st.demands[slot].bags.query;
                st.demand_postings
                    .replace(slot, &old.bags.query, new, new.weight_sum());
                if let Some(p) = &mut st.demand_bigram_postings {
                    let new = &st.demands[slot].bags.bigrams;
                    p.replace(slot, &old.bags.bigrams, new, new.weight_sum());
                }
                state.demand_df.remove(old.bags.query.terms());
                state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
                Arc::make_mut(&mut state.data).demands[slot] = demand.clone();
            }
            None => {
                let slot = state.demands.len();
                state.demand_members.insert(slot, rec.cluster, &rec.vec);
                let len = rec.bags.query.weight_sum();
                state.demand_postings.push(&rec.bags.query, len);
                if let Some(p) = &mut state.demand_bigram_postings {
                    p.push(&rec.bags.bigrams, rec.bags.bigrams.weight_sum());
                }
                push_gently(&mut state.demands, rec);
                push_gently(&mut Arc::make_mut(&mut state.data).demands, demand.clone());
                state.demand_slots.insert(demand.id.as_str(), slot);
            }
        }
        let fp = state.fingerprint();
        drop(state);
        self.index.upsert(
            DocKind::Demand,
            &index_doc(demand.id.as_str(), &analysed),
            &fp,
        )?;
        Ok(())
    }

    /// Deletes a demand.
    pub fn delete_demand(&self, demand: &DemandId) -> Result<(), MatchError> {
        let _writer = self.lock_writer()?;
        let mut state = self.write()?;
        let slot = state.demand_slot(demand)?;
        let old = state.demands.swap_remove(slot);
        let st = &mut *state;
        st.demand_members.swap_remove(slot);
        let last = moved_or(&st.demands, slot, &old.bags.query, |r| &r.bags.query);
        st.demand_postings.swap_remove(slot, &old.bags.query, last);
        if let Some(p) = &mut st.demand_bigram_postings {
            let last = moved_or(&st.demands, slot, &old.bags.bigrams, |r| &r.bags.bigrams);
            p.swap_remove(slot, &old.bags.bigrams, last);
        }
        state.demand_df.remove(old.bags.query.terms());
        state.fingerprint_sum = state.fingerprint_sum.wrapping_sub(old.hash);
        let st = &mut *state;
        let data = Arc::make_mut(&mut st.data);
        st.demand_slots
            .swap_remove_doc(&mut data.demands, demand.as_str(), slot, |d| d.id.as_str());
        let fp = state.fingerprint();
        drop(state);
        self.index.delete(DocKind::Demand, demand.as_str(), &fp)?;
        Ok(())
    }

    /// Holds the writer lock: one update at a time (readers go on until the update takes the state).
    fn lock_writer(&self) -> Result<MutexGuard<'_, ()>, MatchError> {
        self.writer.lock().map_err(|_| MatchError::Poisoned)
    }

    /// Fails on an owner (`what` `id`, which `found` looks for in the dataset) or a track id the dataset
    /// does not have.
    fn check_refs(
        &self,
        what: &str,
        id: &str,
        tracks: &[TrackId],
        found: impl FnOnce(&Dataset) -> bool,
    ) -> Result<(), MatchError> {
        let state = self.read()?;
        known(found(&state.data), what, id)?;
        self.check_tracks(tracks)
    }

    /// Fails on a track id the dataset does not have.
    fn check_tracks(&self, ids: &[TrackId]) -> Result<(), MatchError> {
        ids.iter().try_for_each(|t| {
            let found = self.tracks.index.contains_key(t.as_str());
            known(found, "track id", &t.0)
        })
    }

    /// The `all` bag of the team in `slot` (raw counts of all its text), from its text.
    pub(super) fn team_all(&self, state: &State, slot: usize) -> Bag {
        state.data.teams.get(slot).map_or_else(Bag::new, |team| {
            corpus::all_counts(&state.interner, &corpus::analyse_team(&self.analyzer, team))
        })
    }

    fn cluster(&self, vec: &[f32]) -> Option<usize> {
        self.models
            .clusters
            .as_ref()
            .map(|c| c.centroids.assign(vec).0)
    }

    pub(super) fn embed(&self, state: &State, bag: &Bag) -> Vec<f32> {
        embed_pairs(&self.models, &state.columns, bag.iter().copied())
    }

    /// The record of a new or changed team; its vector is smoothed over the other teams' vectors
    /// (`replaced`: the slot of the team's previous version, left out).
    pub(super) fn team_record(
        &self,
        state: &State,
        team: &Team,
        bags: TeamBags,
        replaced: Option<usize>,
    ) -> TeamRec {
        let raw = self.embed(state, &bags.all);
        let others = state.teams.len() - usize::from(replaced.is_some());
        let mut levels = crate::models::smooth_one(
            &raw,
            |level, j| {
                let j = match replaced {
                    Some(r) if j >= r => j + 1,
                    _ => j,
                };
                let team = &state.teams[j];
                team.levels.get(level).unwrap_or(&team.vec)
            },
            others,
            &self.models.meta.params.smooth,
        );
        let vec = levels.pop().unwrap_or_default();
        let achievement_vecs = bags
            .achievements
            .iter()
            .map(|(b, _)| QVec::new(&self.embed(state, b)))
            .collect();
        TeamRec {
            cluster: self.cluster(&vec),
            tracks: resolve_tracks(&self.tracks, &team.track_ids, &vec),
            evidence: corpus::evidence(team, state.reference_year),
            city: city_of(
                &state.data.universities,
                |u| u.id == team.university_id,
                |u| &u.city,
            ),
            hash: corpus::record_hash("team", team),
            bags: bags.pack(),
            vec,
            levels,
            achievement_vecs,
        }
    }
}

/// The city of the zone or university of `items` that `is` the owner (`city` reads it).
fn city_of<T>(
    items: &[T],
    is: impl Fn(&T) -> bool,
    city: impl Fn(&T) -> &String,
) -> Option<String> {
    items.iter().find(|x| is(x)).map(|x| city(x).clone())
}

/// The bag of `records[slot]` after a `swap_remove` moved the last record there, or the removed
/// record's `old` bag when it was the last one.
fn moved_or<'a, R>(
    records: &'a [R],
    slot: usize,
    old: &'a Packed,
    bag: impl Fn(&'a R) -> &'a Packed,
) -> &'a Packed {
    records.get(slot).map_or(old, bag)
}

/// The text-index document of an analysed team or demand.
fn index_doc<'a>(id: &'a str, a: &'a Analysed) -> IndexDoc<'a> {
    IndexDoc {
        id,
        fields: a
            .fields
            .iter()
            .map(|(f, toks)| FieldTokens {
                field: f,
                tokens: toks,
            })
            .collect(),
    }
}

/// Fails on a reference (`what` `id`) the dataset does not have (`found` false).
fn known(found: bool, what: &str, id: &str) -> Result<(), MatchError> {
    if found {
        Ok(())
    } else {
        Err(MatchError::Invalid(format!("unknown {what} {id:?}")))
    }
}

impl Engine {
    /// Commits the text index's pending updates (rankings see every update at once; searches commit
    /// before they read, and the service commits in the background, so this bounds how long updates wait
    /// on disk, not when they are seen).
    pub fn flush(&self) -> Result<(), MatchError> {
        self.index.refresh()?;
        Ok(())
    }
}
