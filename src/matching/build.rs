//! The build path of the engine: every team and demand analysed once, in parallel, into the term bags of
//! [`corpus`](super::corpus) and the text of the index, with both cores busy.
//!
//! Documents are cut into chunks. One worker per core takes the next chunk as soon as it is free and
//! analyses it with its own term table, kept from chunk to chunk (ids in the order the worker first met
//! its terms), which also remembers jieba's segments with their terms: a segment seen before costs one
//! lookup instead of the rules of [`Analyzer::term`]. A feeder thread merges each chunk's terms into the
//! engine's interner, in chunk order, and hands the chunk's documents to the text index, while the workers
//! analyse the next chunks. The feeder then renumbers the chunk's bags to the engine's term ids (in
//! parallel) and hands each document's bags to the caller's `finish`, which packs them.
//!
//! The result is the same as analysing the documents one by one with [`corpus::team_bags`] and
//! [`corpus::demand_bags`]: terms get the same ids (first occurrence over teams, then demands, each document
//! read in the same order: its weighted fields first, then all of its text), bags hold the same weights
//! summed in the same order, and the index receives the same terms per field value.

use std::hash::BuildHasher;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::analysis::Analyzer;
use crate::domain::{Demand, Team};
use crate::text_index::{DocKind, IndexBuilder, TERM_SEPARATOR};

use super::MatchError;
use super::config::ScoringConfig;
use super::corpus::{self, Bag, DemandBags, Interner, TeamBags};

/// Documents analysed together on one thread.
const CHUNK: usize = 256;

/// Marks a segment that gives no term.
const DROPPED: u32 = u32::MAX;

/// Marks a worker's term the feeder has not interned yet.
const UNMAPPED: u32 = u32::MAX;

/// Segments remembered per worker before the cache starts afresh (term ids stay).
const SEGMENTS_MAX: usize = 1 << 20;

/// A worker's term table, kept from chunk to chunk: ids in the order the worker first met its terms. The
/// hash table holds ids only, keyed by the hash of their term, so a new term costs one allocation and a
/// lookup touches 4 bytes per slot. Segments already cut are remembered with the id of their term.
#[derive(Default)]
struct WorkerTerms {
    ids: hashbrown::HashTable<u32>,
    terms: Vec<Box<str>>,
    segments: FxHashMap<Box<str>, u32>,
    scratch: String,
}

impl WorkerTerms {
    fn intern(&mut self, term: &str) -> u32 {
        let hash = rustc_hash::FxBuildHasher.hash_one(term);
        let terms = &self.terms;
        match self.ids.entry(
            hash,
            |&id| *terms[id as usize] == *term,
            |&id| rustc_hash::FxBuildHasher.hash_one(&*terms[id as usize]),
        ) {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let id = terms.len() as u32;
                e.insert(id);
                self.terms.push(term.into());
                id
            }
        }
    }

    /// The id of the term of one segment, `None` when the segment gives none.
    fn segment(&mut self, analyzer: &Analyzer, segment: &str) -> Option<u32> {
        let id = match self.segments.get(segment) {
            Some(&id) => id,
            None => {
                let mut buf = std::mem::take(&mut self.scratch);
                let id = analyzer
                    .term(segment, &mut buf)
                    .map_or(DROPPED, |term| self.intern(term));
                self.scratch = buf;
                if self.segments.len() >= SEGMENTS_MAX {
                    self.segments.clear();
                }
                self.segments.insert(segment.into(), id);
                id
            }
        };
        (id != DROPPED).then_some(id)
    }

    /// The term ids of `text`, in order.
    fn ids(&mut self, analyzer: &Analyzer, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        analyzer.for_each_segment(text, |segment| {
            if let Some(id) = self.segment(analyzer, segment) {
                ids.push(id);
            }
        });
        ids
    }

    /// The terms of `ids` joined for the text index, each followed by [`TERM_SEPARATOR`].
    fn joined(&self, ids: &[u32], capacity: usize) -> String {
        let mut joined = String::with_capacity(capacity);
        for &id in ids {
            joined.push_str(&self.terms[id as usize]);
            joined.push(TERM_SEPARATOR);
        }
        joined
    }
}

/// One analysed field value: its field, its terms joined for the index, its term ids (the worker's).
struct Value {
    field: &'static str,
    joined: String,
    ids: Vec<u32>,
    /// Weight in the weighted bag (the profile of a team, the query of a demand).
    weight: f32,
    /// For teams: the achievement this value is the text of.
    achievement: Option<usize>,
}

/// One field value of a document, before analysis.
struct Pending<'a> {
    field: &'static str,
    text: std::borrow::Cow<'a, str>,
    /// Weight in the weighted bag (the profile of a team, the query of a demand).
    weight: f32,
    /// For teams: the achievement this value is the text of.
    achievement: Option<usize>,
}

impl<'a> Pending<'a> {
    fn new(field: &'static str, text: &'a str, weight: f32) -> Pending<'a> {
        Pending {
            field,
            text: text.into(),
            weight,
            achievement: None,
        }
    }

    /// One value per entry of a list field.
    fn each(
        field: &'static str,
        texts: &'a [String],
        weight: f32,
    ) -> impl Iterator<Item = Pending<'a>> {
        texts.iter().map(move |t| Pending::new(field, t, weight))
    }
}

/// Sums weights per term in a dense scratch table indexed by the worker's term id.
#[derive(Default)]
struct Accumulator {
    sums: Vec<f32>,
    touched: Vec<u32>,
}

impl Accumulator {
    fn add(&mut self, id: u32, weight: f32) {
        let i = id as usize;
        if self.sums.len() <= i {
            self.sums.resize(i + 1, 0.0);
        }
        if self.sums[i] == 0.0 {
            self.touched.push(id);
        }
        self.sums[i] += weight;
    }

    /// The bag summed so far, in the order its terms were first added (renumbering sorts it); the table is
    /// left empty.
    fn take(&mut self) -> Bag {
        let bag = self
            .touched
            .iter()
            .map(|&t| (t, self.sums[t as usize]))
            .collect();
        for &t in &self.touched {
            self.sums[t as usize] = 0.0;
        }
        self.touched.clear();
        bag
    }
}

/// Field values up to this many bytes (names, fields, keywords) are remembered with their analysis: they
/// repeat across documents, and jieba's cost per call is mostly fixed for short text.
const MEMO_MAX_BYTES: usize = 48;

/// Short values remembered per worker before the memo starts afresh.
const MEMO_MAX_ENTRIES: usize = 1 << 16;

/// A worker's analysis state: its term table and scratch kept between chunks.
#[derive(Default)]
struct ChunkState {
    /// Which worker this is (its term ids are renumbered with its own map).
    worker: usize,
    terms: WorkerTerms,
    acc: Accumulator,
    /// Short field values already analysed by this worker, with their term ids.
    memo: FxHashMap<Box<str>, Box<[u32]>>,
    /// Bigram weights of the current document.
    bigrams: FxHashMap<u32, f32>,
    /// Number of the current chunk (from 1).
    chunk: u32,
    /// Per term id, the last chunk that listed it in `order`.
    listed: Vec<u32>,
    /// The current chunk's distinct terms, in the order the engine interns them.
    order: Vec<u32>,
}

impl ChunkState {
    /// Analyses one text value (skipped when blank, as [`corpus::analyse_team`] does).
    fn value(&mut self, analyzer: &Analyzer, out: &mut Vec<Value>, pending: &Pending<'_>) {
        let text: &str = &pending.text;
        if text.trim().is_empty() {
            return;
        }
        let ids = if text.len() > MEMO_MAX_BYTES {
            self.terms.ids(analyzer, text)
        } else if let Some(ids) = self.memo.get(text) {
            ids.to_vec()
        } else {
            let ids = self.terms.ids(analyzer, text);
            if self.memo.len() >= MEMO_MAX_ENTRIES {
                self.memo.clear();
            }
            self.memo.insert(text.into(), ids.as_slice().into());
            ids
        };
        out.push(Value {
            field: pending.field,
            joined: self.terms.joined(&ids, text.len()),
            ids,
            weight: pending.weight,
            achievement: pending.achievement,
        });
    }

    /// Analyses the values of one document, in order, and lists the terms the chunk has not listed yet in
    /// the order the engine interns them: those of the weighted values first, then the rest.
    fn values(&mut self, analyzer: &Analyzer, pending: &[Pending<'_>]) -> Vec<Value> {
        let mut values = Vec::with_capacity(pending.len());
        for p in pending {
            self.value(analyzer, &mut values, p);
        }
        for weighted in [true, false] {
            for v in values.iter().filter(|v| (v.weight > 0.0) == weighted) {
                for &id in &v.ids {
                    let i = id as usize;
                    if self.listed.len() <= i {
                        self.listed.resize(i + 1, 0);
                    }
                    if self.listed[i] != self.chunk {
                        self.listed[i] = self.chunk;
                        self.order.push(id);
                    }
                }
            }
        }
        values
    }

    /// The raw counts of every value of a document.
    fn all_bag(&mut self, values: &[Value]) -> Bag {
        self.bag(values.iter().map(|v| (v.ids.as_slice(), 1.0)))
    }

    fn bag<'v>(&mut self, parts: impl Iterator<Item = (&'v [u32], f32)>) -> Bag {
        for (ids, w) in parts {
            if w <= 0.0 {
                continue;
            }
            for &id in ids {
                self.acc.add(id, w);
            }
        }
        self.acc.take()
    }

    fn team(
        &mut self,
        analyzer: &Analyzer,
        config: &ScoringConfig,
        team: &Team,
    ) -> (TeamBags, Vec<Value>) {
        let b = &config.team_fields;
        let mut pending = vec![Pending::new("name", &team.name, b.name)];
        pending.extend(Pending::each("fields", &team.fields, b.fields));
        pending.extend(Pending::each("keywords", &team.keywords, b.keywords));
        pending.push(Pending::new(
            "description",
            &team.description,
            b.description,
        ));
        pending.extend(team.achievements.iter().enumerate().map(|(i, a)| Pending {
            field: "achievements",
            text: corpus::achievement_text(a).into(),
            weight: 0.0,
            achievement: Some(i),
        }));
        let values = self.values(analyzer, &pending);
        let profile = self.bag(values.iter().map(|v| (v.ids.as_slice(), v.weight)));
        // Lengths are summed in engine term order once the bags are renumbered (see `remap_team`).
        let profile_len = 0.0;
        let all = self.all_bag(&values);
        let mut achievements = vec![(Bag::new(), 0.0); team.achievements.len()];
        for v in &values {
            if let Some(i) = v.achievement {
                let bag = self.bag(std::iter::once((v.ids.as_slice(), 1.0)));
                if let Some(slot) = achievements.get_mut(i) {
                    *slot = (bag, 0.0);
                }
            }
        }
        let (bigrams, bigram_len) = corpus::team_bigrams(config, team, &mut self.bigrams);
        let bags = TeamBags {
            profile,
            profile_len,
            all,
            achievements,
            bigrams,
            bigram_len,
        };
        (bags, values)
    }

    fn demand(
        &mut self,
        analyzer: &Analyzer,
        config: &ScoringConfig,
        demand: &Demand,
    ) -> (DemandBags, Vec<Value>) {
        let q = &config.query_fields;
        let mut pending = vec![Pending::new("title", &demand.title, q.title)];
        pending.extend(Pending::each("keywords", &demand.keywords, q.keywords));
        pending.push(Pending::new(
            "description",
            &demand.description,
            q.description,
        ));
        let values = self.values(analyzer, &pending);
        let mut query = self.bag(values.iter().map(|v| (v.ids.as_slice(), v.weight)));
        for (_, w) in query.iter_mut() {
            *w = corpus::dampen(*w);
        }
        let all = self.all_bag(&values);
        let bigrams = corpus::demand_bigrams(config, demand, &mut self.bigrams);
        (
            DemandBags {
                query,
                all,
                bigrams,
            },
            values,
        )
    }
}

/// One analysed chunk on its way to the feeder.
struct Chunk<B> {
    /// The worker that analysed it: its bags hold that worker's term ids.
    worker: usize,
    /// The worker's ids of the chunk's distinct terms, in the order the engine interns them.
    order: Vec<u32>,
    /// The worker's terms first met in this chunk, with ids from `first_new` on.
    new_terms: Vec<Box<str>>,
    first_new: usize,
    bags: Vec<B>,
    docs: Vec<IndexedDoc>,
}

/// A document for the text index: its id and its field values (joined terms).
type IndexedDoc = (String, Vec<(&'static str, String)>);

fn index_values(values: Vec<Value>) -> Vec<(&'static str, String)> {
    values.into_iter().map(|v| (v.field, v.joined)).collect()
}

/// Analyses one chunk of documents (teams or demands) with `analyse`. `state` is the worker's, kept from
/// chunk to chunk.
fn analyse_chunk<D, B>(
    state: &mut ChunkState,
    docs: &[D],
    id: impl Fn(&D) -> &str,
    analyse: impl Fn(&mut ChunkState, &D) -> (B, Vec<Value>),
) -> Chunk<B> {
    state.chunk += 1;
    state.order.clear();
    let first_new = state.terms.terms.len();
    let mut bags = Vec::with_capacity(docs.len());
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let (b, values) = analyse(state, doc);
        bags.push(b);
        out.push((id(doc).to_owned(), index_values(values)));
    }
    Chunk {
        worker: state.worker,
        order: std::mem::take(&mut state.order),
        new_terms: state.terms.terms[first_new..].to_vec(),
        first_new,
        bags,
        docs: out,
    }
}

/// Renumbers a bag from a worker's to the engine's term ids, sorted by them.
fn remap(bag: &mut Bag, map: &[u32]) {
    for (t, _) in bag.iter_mut() {
        *t = map[*t as usize];
    }
    bag.sort_unstable_by_key(|&(t, _)| t);
}

/// Renumbers a team's bags and sums their lengths as [`corpus::team_bags`] does (in term id order).
fn remap_team(b: &mut TeamBags, map: &[u32]) {
    remap(&mut b.profile, map);
    b.profile_len = b.profile.iter().map(|(_, w)| w).sum();
    remap(&mut b.all, map);
    for (a, len) in b.achievements.iter_mut() {
        remap(a, map);
        *len = a.iter().map(|(_, w)| w).sum();
    }
}

/// Everything the analysis of a dataset yields: the term table, and what `finish` made of each team's and
/// demand's bags, in dataset order.
pub(super) struct Analysed<T, D> {
    pub interner: Interner,
    pub team_bags: Vec<T>,
    pub demand_bags: Vec<D>,
}

/// What becomes of each document's bags once they carry the engine's term ids: `team` and `demand` are
/// applied as each chunk arrives (in parallel within the chunk), so that the bags of the whole dataset
/// never wait together in their unpacked form.
pub(super) struct Finish<FT, FD> {
    pub team: FT,
    pub demand: FD,
}

enum Work {
    Teams(Chunk<TeamBags>),
    Demands(Chunk<DemandBags>),
}

/// Interns a chunk's new terms in the engine's interner, in the chunk's order, records their engine ids in
/// its worker's map (`maps`, per worker: its ids to the engine's), renumbers its bags with `remap` and
/// appends what `finish` makes of each to `out`; returns its documents.
fn merge_chunk<B: Send, T: Send>(
    interner: &mut Interner,
    maps: &mut [Vec<u32>],
    chunk: Chunk<B>,
    remap: impl Fn(&mut B, &[u32]) + Sync,
    finish: &(impl Fn(B) -> T + Sync),
    out: &mut Vec<T>,
) -> Result<Vec<IndexedDoc>, MatchError> {
    let Chunk {
        worker,
        order,
        new_terms,
        first_new,
        bags: chunk_bags,
        docs,
    } = chunk;
    let map = maps
        .get_mut(worker)
        .ok_or_else(|| MatchError::Invalid(format!("no worker {worker}")))?;
    map.resize(first_new + new_terms.len(), UNMAPPED);
    for &id in &order {
        let id = id as usize;
        let known = map
            .get_mut(id)
            .ok_or_else(|| MatchError::Invalid(format!("term {id} beyond its worker's table")))?;
        if *known == UNMAPPED {
            // A term the feeder has not seen from this worker is one the worker first met in this chunk.
            let term = id
                .checked_sub(first_new)
                .and_then(|i| new_terms.get(i))
                .ok_or_else(|| {
                    MatchError::Invalid(format!("term {id} listed before it was sent"))
                })?;
            *known = interner.intern(term);
        }
    }
    let map = &map[..];
    out.par_extend(chunk_bags.into_par_iter().map(|mut b| {
        remap(&mut b, map);
        finish(b)
    }));
    Ok(docs)
}

/// Renumbers a demand's bags (its bigram keys need none).
fn remap_demand(b: &mut DemandBags, map: &[u32]) {
    remap(&mut b.query, map);
    remap(&mut b.all, map);
}

/// Analyses every team and demand (teams first), feeding `builder` when given; `progress(done)` is called
/// after each chunk.
pub(super) fn analyse<T: Send, D: Send>(
    analyzer: &Analyzer,
    config: &ScoringConfig,
    teams: &[Team],
    demands: &[Demand],
    builder: Option<&mut IndexBuilder>,
    finish: Finish<impl Fn(TeamBags) -> T + Sync + Send, impl Fn(DemandBags) -> D + Sync + Send>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Analysed<T, D>, MatchError> {
    let threads = rayon::current_num_threads().max(1);
    let team_chunks_total = teams.len().div_ceil(CHUNK);
    let chunks_total = team_chunks_total + demands.len().div_ceil(CHUNK);
    // Workers take chunks in order from a shared counter and send them as they finish; the feeder puts
    // them back in order. A worker is never more than a few chunks ahead, so little waits in between.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Work)>(threads * 2);
    std::thread::scope(|scope| {
        let feeder = scope.spawn(move || -> Result<_, MatchError> {
            let mut builder = builder;
            let mut interner = Interner::default();
            // Per worker: its term ids to the engine's.
            let mut maps: Vec<Vec<u32>> = vec![Vec::new(); threads];
            let mut team_bags: Vec<T> = Vec::with_capacity(teams.len());
            let mut demand_bags: Vec<D> = Vec::with_capacity(demands.len());
            let mut done = 0;
            let mut teams_committed = false;
            let mut waiting: std::collections::BTreeMap<usize, Work> = Default::default();
            let mut expected = 0;
            for (i, work) in rx {
                waiting.insert(i, work);
                while let Some(work) = waiting.remove(&expected) {
                    expected += 1;
                    let (kind, docs_out) = match work {
                        Work::Teams(c) => (
                            DocKind::Team,
                            merge_chunk(
                                &mut interner,
                                &mut maps,
                                c,
                                remap_team,
                                &finish.team,
                                &mut team_bags,
                            )?,
                        ),
                        Work::Demands(c) => (
                            DocKind::Demand,
                            merge_chunk(
                                &mut interner,
                                &mut maps,
                                c,
                                remap_demand,
                                &finish.demand,
                                &mut demand_bags,
                            )?,
                        ),
                    };
                    let docs = docs_out.len();
                    if let Some(b) = builder.as_deref_mut() {
                        if kind == DocKind::Demand && !teams_committed {
                            // Teams come first: their indexing memory goes before the demands need some.
                            b.commit(DocKind::Team)?;
                            teams_committed = true;
                        }
                        for (id, fields) in docs_out {
                            b.add_joined(kind, &id, fields)?;
                        }
                    }
                    done += docs;
                    progress(done);
                }
            }
            Ok(Analysed {
                interner,
                team_bags,
                demand_bags,
            })
        });
        for worker in 0..threads {
            let (tx, next) = (tx.clone(), &next);
            scope.spawn(move || {
                let mut state = ChunkState {
                    worker,
                    ..ChunkState::default()
                };
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let work = if i < team_chunks_total {
                        let c = &teams[i * CHUNK..((i + 1) * CHUNK).min(teams.len())];
                        Work::Teams(analyse_chunk(
                            &mut state,
                            c,
                            |t: &Team| t.id.as_str(),
                            |s, t| s.team(analyzer, config, t),
                        ))
                    } else if i < chunks_total {
                        let j = i - team_chunks_total;
                        let c = &demands[j * CHUNK..((j + 1) * CHUNK).min(demands.len())];
                        Work::Demands(analyse_chunk(
                            &mut state,
                            c,
                            |d: &Demand| d.id.as_str(),
                            |s, d| s.demand(analyzer, config, d),
                        ))
                    } else {
                        break;
                    };
                    // A failed send means the feeder stopped on an error, which its result carries.
                    if tx.send((i, work)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        feeder
            .join()
            .map_err(|_| MatchError::Invalid("analysis feeder panicked".into()))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parallel build gives the same term ids and bags as analysing document by document.
    #[test]
    fn same_bags_as_one_by_one() {
        let analyzer = Analyzer::shared();
        // With the default boosts terms are interned as they are analysed; a zero boost on the first
        // field changes the order in which terms are first seen, and they are interned afterwards.
        let mut zero_name = ScoringConfig::default();
        zero_name.team_fields.name = 0.0;
        for config in [ScoringConfig::default(), zero_name] {
            same_bags_with(&analyzer, &config);
        }
    }

    /// The index receives each value's terms as the analyzer gives them, whether the value is cut afresh,
    /// remembered whole (short values) or made of remembered segments.
    #[test]
    fn index_text_is_the_analyzer_terms() {
        let analyzer = Analyzer::shared();
        let texts = [
            "碳化硅",
            "SiC MOSFETs",
            "面向动力电池热失控预警的安全监测研究，采用Li-S电池与GaN器件 for wind turbines and batteries",
            "的",
            "  ",
        ];
        let mut state = ChunkState::default();
        for round in 0..2 {
            let pending: Vec<Pending<'_>> =
                texts.iter().map(|t| Pending::new("f", t, 1.0)).collect();
            let values = state.values(&analyzer, &pending);
            let want: Vec<String> = texts
                .iter()
                .filter(|t| !t.trim().is_empty())
                .map(|t| {
                    crate::text_index::join_terms(analyzer.terms(t).iter().map(String::as_str))
                })
                .collect();
            let got: Vec<&str> = values.iter().map(|v| v.joined.as_str()).collect();
            assert_eq!(got, want, "round {round}");
            for v in &values {
                let terms: Vec<&str> = v
                    .ids
                    .iter()
                    .map(|&id| &*state.terms.terms[id as usize])
                    .collect();
                assert_eq!(
                    v.joined,
                    crate::text_index::join_terms(terms),
                    "round {round}"
                );
            }
        }
        assert!(state.memo.contains_key("碳化硅"));
        assert_eq!(state.terms.segments.get("的"), Some(&DROPPED));
    }

    fn same_bags_with(analyzer: &Analyzer, config: &ScoringConfig) {
        let team = |i: usize| -> Team {
            serde_json::from_value(serde_json::json!({
                "id": format!("t{i}"),
                "university_id": "u",
                "name": format!("储能团队{i} Batteries"),
                "fields": ["新型储能", "电力电子"],
                "keywords": [format!("关键词{}", i % 7), "碳化硅"],
                "description": "面向动力电池热失控预警的安全监测研究，SiC功率器件",
                "achievements": [
                    {"kind": "paper", "title": format!("锂离子电池{}", i % 5), "abstract": "热失控早期预警方法"},
                    {"kind": "patent", "title": "", "abstract": ""},
                    {"kind": "patent", "title": "虚拟电厂调度系统"}
                ]
            }))
            .expect("team")
        };
        let demand = |i: usize| -> Demand {
            serde_json::from_value(serde_json::json!({
                "id": format!("d{i}"),
                "zone_id": "z",
                "title": format!("需求{i}：电池安全"),
                "keywords": ["预警", format!("词{}", i % 11)],
                "description": "动力电池热失控预警，GaN器件 for wind turbines"
            }))
            .expect("demand")
        };
        let teams: Vec<Team> = (0..700).map(team).collect();
        let demands: Vec<Demand> = (0..600).map(demand).collect();
        let same = Finish {
            team: |b| b,
            demand: |b| b,
        };
        let got =
            analyse(analyzer, config, &teams, &demands, None, same, &|_| {}).expect("analyse");

        let mut interner = Interner::default();
        let want_teams: Vec<TeamBags> = teams
            .iter()
            .map(|t| {
                corpus::team_bags(&mut interner, config, t, &corpus::analyse_team(analyzer, t))
            })
            .collect();
        let want_demands: Vec<DemandBags> = demands
            .iter()
            .map(|d| {
                corpus::demand_bags(
                    &mut interner,
                    config,
                    d,
                    &corpus::analyse_demand(analyzer, d),
                )
            })
            .collect();
        assert_eq!(got.interner.terms(), interner.terms());
        assert_eq!(got.team_bags.len(), want_teams.len());
        for (g, w) in got.team_bags.iter().zip(&want_teams) {
            assert_eq!(g.profile, w.profile);
            assert_eq!(g.profile_len, w.profile_len);
            assert_eq!(g.all, w.all);
            assert_eq!(g.achievements, w.achievements);
            assert_eq!(g.bigrams, w.bigrams);
            assert_eq!(g.bigram_len, w.bigram_len);
        }
        for (g, w) in got.demand_bags.iter().zip(&want_demands) {
            assert_eq!(g.query, w.query);
            assert_eq!(g.all, w.all);
            assert_eq!(g.bigrams, w.bigrams);
        }
    }
}
