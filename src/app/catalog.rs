//! The catalog kept in memory for reads (tracks, zones, universities, teams and demands, with the
//! indexes the rankings walk) and the catalog reads of the app.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::sync::Arc;

use super::{
    App, AppError, ItemRef, Page, PageRequest, PairingView, Result, UniversityView, ZoneView,
};
use crate::auth::Principal;
use crate::dataset;
use crate::domain::{
    Dataset, Demand, DemandId, Team, TeamId, Track, TrackId, University, UniversityId, Zone, ZoneId,
};
use crate::store::PairingRecord;

/// The catalog kept in memory for reads, ordered as imported.
#[derive(Default)]
pub(super) struct Catalog {
    pub(super) tracks: Vec<Track>,
    pub(super) zones: Vec<Zone>,
    pub(super) universities: Vec<University>,
    pub(super) track_idx: HashMap<TrackId, usize>,
    pub(super) zone_idx: HashMap<ZoneId, usize>,
    pub(super) university_idx: HashMap<UniversityId, usize>,
    pub(super) teams: HashMap<TeamId, Arc<Team>>,
    pub(super) demands: HashMap<DemandId, Arc<Demand>>,
    pub(super) teams_by_university: HashMap<UniversityId, BTreeMap<TeamId, ()>>,
    pub(super) demands_by_zone: HashMap<ZoneId, BTreeMap<DemandId, ()>>,
    /// Moved by every team filed or taken out under a university, and every demand under a zone: a view
    /// that walked an owner's records stands while its stamp does.
    university_stamps: HashMap<UniversityId, u64>,
    zone_stamps: HashMap<ZoneId, u64>,
    /// What a team or demand may refer to (tracks, zones and universities do not change while serving).
    pub(super) refs: dataset::Refs,
    pub(super) generation: u64,
}

impl Catalog {
    pub(super) fn new(data: Dataset) -> Self {
        let mut c = Catalog {
            refs: dataset::Refs::of(&data),
            track_idx: index(&data.tracks, |t| t.id.clone()),
            zone_idx: index(&data.zones, |z| z.id.clone()),
            university_idx: index(&data.universities, |u| u.id.clone()),
            tracks: data.tracks,
            zones: data.zones,
            universities: data.universities,
            ..Catalog::default()
        };
        for t in data.teams {
            c.team_filing().put(t.id.clone(), t);
        }
        for d in data.demands {
            c.demand_filing().put(d.id.clone(), d);
        }
        c
    }

    pub(super) fn zone(&self, id: &ZoneId) -> Option<&Zone> {
        self.zone_idx.get(id).map(|&i| &self.zones[i])
    }

    pub(super) fn university(&self, id: &UniversityId) -> Option<&University> {
        self.university_idx.get(id).map(|&i| &self.universities[i])
    }

    pub(super) fn track(&self, id: &TrackId) -> Option<&Track> {
        self.track_idx.get(id).map(|&i| &self.tracks[i])
    }

    /// The teams, filed by id and under their university.
    pub(super) fn team_filing(&mut self) -> Filing<'_, TeamId, UniversityId, Team> {
        Filing {
            records: &mut self.teams,
            by_owner: &mut self.teams_by_university,
            stamps: &mut self.university_stamps,
            owner: |t| &t.university_id,
        }
    }

    /// The demands, filed by id and under their zone.
    pub(super) fn demand_filing(&mut self) -> Filing<'_, DemandId, ZoneId, Demand> {
        Filing {
            records: &mut self.demands,
            by_owner: &mut self.demands_by_zone,
            stamps: &mut self.zone_stamps,
            owner: |d| &d.zone_id,
        }
    }

    /// The stamp of a zone's demands: it moves whenever one is filed or taken out.
    pub(super) fn zone_stamp(&self, zone: &ZoneId) -> u64 {
        self.zone_stamps.get(zone).copied().unwrap_or(0)
    }

    /// The stamp of a university's teams: it moves whenever one is filed or taken out.
    pub(super) fn university_stamp(&self, university: &UniversityId) -> u64 {
        self.university_stamps.get(university).copied().unwrap_or(0)
    }

    pub(super) fn zone_name(&self, id: &ZoneId) -> String {
        self.zone(id).map(|z| z.name.clone()).unwrap_or_default()
    }

    pub(super) fn university_name(&self, id: &UniversityId) -> String {
        self.university(id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    }

    pub(super) fn team_name(&self, id: &TeamId) -> String {
        self.teams
            .get(id)
            .map(|t| t.name.clone())
            .unwrap_or_default()
    }

    /// The teams of a university, in id order.
    pub(super) fn teams_of(&self, university: &UniversityId) -> Vec<Arc<Team>> {
        owned(&self.teams_by_university, &self.teams, university)
    }

    /// The demands of a zone, in id order.
    pub(super) fn demands_of(&self, zone: &ZoneId) -> Vec<Arc<Demand>> {
        owned(&self.demands_by_zone, &self.demands, zone)
    }

    pub(super) fn pairing_view(&self, pairing: PairingRecord) -> PairingView {
        PairingView {
            zone_name: self.zone_name(&pairing.zone_id),
            university_name: self.university_name(&pairing.university_id),
            track_name: self
                .track(&pairing.track_id)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            pairing,
        }
    }
}

/// A copy of the record `found`, or not found (`noun` `id`).
fn copy_of<T: Clone>(found: Option<&Arc<T>>, noun: &'static str, id: impl ToString) -> Result<T> {
    found
        .map(|r| T::clone(r))
        .ok_or_else(|| AppError::not_found(noun, id))
}

/// One kind of record as the catalog files it: by id, and by id under its owner (a team's university,
/// a demand's zone), so that the rankings can walk an owner's records in id order.
pub(super) struct Filing<'c, K, O, V> {
    records: &'c mut HashMap<K, Arc<V>>,
    by_owner: &'c mut HashMap<O, BTreeMap<K, ()>>,
    stamps: &'c mut HashMap<O, u64>,
    owner: fn(&V) -> &O,
}

impl<K: Hash + Ord + Clone, O: Hash + Eq + Clone, V> Filing<'_, K, O, V> {
    /// Keeps `record` under `id` and files it under its owner, replacing any record of that id.
    pub(super) fn put(&mut self, id: K, record: V) {
        self.remove(&id);
        let owner = (self.owner)(&record).clone();
        *self.stamps.entry(owner.clone()).or_default() += 1;
        self.by_owner
            .entry(owner)
            .or_default()
            .insert(id.clone(), ());
        self.records.insert(id, Arc::new(record));
    }

    /// Takes out the record of `id` and its filing under its owner.
    pub(super) fn remove(&mut self, id: &K) {
        if let Some(old) = self.records.remove(id) {
            let owner = (self.owner)(&old);
            *self.stamps.entry(owner.clone()).or_default() += 1;
            if let Some(set) = self.by_owner.get_mut(owner) {
                set.remove(id);
            }
        }
    }
}

/// The records filed under `owner` in `by_owner`, in id order.
fn owned<O: Hash + Eq, K: Hash + Eq, V>(
    by_owner: &HashMap<O, BTreeMap<K, ()>>,
    records: &HashMap<K, Arc<V>>,
    owner: &O,
) -> Vec<Arc<V>> {
    by_owner
        .get(owner)
        .into_iter()
        .flat_map(|set| set.keys())
        .filter_map(|id| records.get(id).cloned())
        .collect()
}

fn index<T, K: std::hash::Hash + Eq>(items: &[T], key: impl Fn(&T) -> K) -> HashMap<K, usize> {
    items.iter().enumerate().map(|(i, t)| (key(t), i)).collect()
}

pub(super) fn track_matches(track: Option<&TrackId>, ids: &[TrackId]) -> bool {
    track.is_none_or(|t| ids.contains(t))
}

impl App {
    pub fn tracks(&self, _who: &Principal, page: PageRequest) -> Page<Track> {
        page.slice(&self.catalog().tracks)
    }

    pub fn zones(&self, _who: &Principal, page: PageRequest) -> Page<Zone> {
        page.slice(&self.catalog().zones)
    }

    pub fn universities(&self, _who: &Principal, page: PageRequest) -> Page<University> {
        page.slice(&self.catalog().universities)
    }

    /// A zone's profile; its demand list only for the department and the zone itself.
    pub fn zone(&self, who: &Principal, id: &ZoneId) -> Result<ZoneView> {
        let c = self.catalog();
        let zone = c.zone(id).ok_or_else(|| AppError::not_found("zone", id))?;
        let demands = if who.role.owns_zone(id) {
            c.demands_of(id)
                .iter()
                .map(|d| ItemRef {
                    id: d.id.to_string(),
                    name: d.title.clone(),
                    track_ids: d.track_ids.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(ZoneView {
            zone: zone.clone(),
            demands,
        })
    }

    /// A university's profile with its teams.
    pub fn university(&self, _who: &Principal, id: &UniversityId) -> Result<UniversityView> {
        let c = self.catalog();
        let university = c
            .university(id)
            .ok_or_else(|| AppError::not_found("university", id))?;
        let teams = c
            .teams_of(id)
            .iter()
            .map(|t| ItemRef {
                id: t.id.to_string(),
                name: t.name.clone(),
                track_ids: t.track_ids.clone(),
            })
            .collect();
        Ok(UniversityView {
            university: university.clone(),
            teams,
        })
    }

    pub fn team(&self, _who: &Principal, id: &TeamId) -> Result<Team> {
        copy_of(self.catalog().teams.get(id), "team", id)
    }

    pub fn demand(&self, _who: &Principal, id: &DemandId) -> Result<Demand> {
        copy_of(self.catalog().demands.get(id), "demand", id)
    }
}
