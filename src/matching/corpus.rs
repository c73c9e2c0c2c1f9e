//! The engine's in-memory view of the dataset: every team and demand analysed once into term bags (a term
//! interner, per-field counts, document frequencies) plus their latent vectors, clusters and tracks.
//!
//! A team is read as a *profile* (name, fields, keywords, description; BM25F counts with field boosts) and a
//! set of *achievements* (each its own bag and vector). A demand is read as a *query* (title, keywords and
//! description, weighted per field and dampened). Document frequencies are counted per side over all of a
//! document's text and kept up to date on every change.

use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::analysis::{Analyzer, Token};
use crate::domain::{Achievement, AchievementKind, Demand, Team};

use super::bigrams;
use super::config::ScoringConfig;
use super::packed::Packed;

/// Term counts of one text, sorted by term id, no duplicates.
pub(crate) type Bag = Vec<(u32, f32)>;

/// Grows a table of term ids.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: FxHashMap<String, u32>,
    terms: Vec<String>,
}

impl Interner {
    pub(crate) fn intern(&mut self, term: &str) -> u32 {
        if let Some(&id) = self.ids.get(term) {
            return id;
        }
        let id = self.terms.len() as u32;
        self.terms.push(term.to_owned());
        self.ids.insert(term.to_owned(), id);
        id
    }

    pub(crate) fn get(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    pub(crate) fn term(&self, id: u32) -> &str {
        self.terms.get(id as usize).map_or("", String::as_str)
    }

    pub(crate) fn terms(&self) -> &[String] {
        &self.terms
    }

    pub(crate) fn len(&self) -> usize {
        self.terms.len()
    }

    /// Approximate heap bytes: both copies of every term, the table's slots and the list.
    pub(crate) fn bytes(&self) -> usize {
        let text: usize = self.terms.iter().map(String::capacity).sum();
        let slot = std::mem::size_of::<(String, u32)>() + 1;
        2 * text
            + self.ids.capacity() * slot
            + self.terms.capacity() * std::mem::size_of::<String>()
    }
}

/// The analysed fields of one document: `(field name, tokens)` per text value.
#[derive(Debug, Default)]
pub(crate) struct Analysed {
    pub fields: Vec<(&'static str, Vec<Token>)>,
    /// For teams: which entries of `fields` are achievements (index of the achievement per entry).
    pub achievement_of: Vec<Option<usize>>,
}

fn push(
    out: &mut Analysed,
    analyzer: &Analyzer,
    field: &'static str,
    text: &str,
    achievement: Option<usize>,
) {
    if text.trim().is_empty() {
        return;
    }
    out.fields.push((field, analyzer.analyze(text)));
    out.achievement_of.push(achievement);
}

/// The text of an achievement as indexed and shown: title and abstract.
pub(crate) fn achievement_text(a: &Achievement) -> String {
    match (a.title.is_empty(), a.r#abstract.is_empty()) {
        (false, false) => format!("{}。{}", a.title, a.r#abstract),
        (false, true) => a.title.clone(),
        _ => a.r#abstract.clone(),
    }
}

/// Analyses every text of a team.
pub(crate) fn analyse_team(analyzer: &Analyzer, team: &Team) -> Analysed {
    let mut out = Analysed::default();
    push(&mut out, analyzer, "name", &team.name, None);
    for f in &team.fields {
        push(&mut out, analyzer, "fields", f, None);
    }
    for k in &team.keywords {
        push(&mut out, analyzer, "keywords", k, None);
    }
    push(&mut out, analyzer, "description", &team.description, None);
    for (i, a) in team.achievements.iter().enumerate() {
        push(
            &mut out,
            analyzer,
            "achievements",
            &achievement_text(a),
            Some(i),
        );
    }
    out
}

/// Analyses every text of a demand.
pub(crate) fn analyse_demand(analyzer: &Analyzer, demand: &Demand) -> Analysed {
    let mut out = Analysed::default();
    push(&mut out, analyzer, "title", &demand.title, None);
    for k in &demand.keywords {
        push(&mut out, analyzer, "keywords", k, None);
    }
    push(&mut out, analyzer, "description", &demand.description, None);
    out
}

/// The sorted bag of accumulated weights; `acc` is left empty (with its capacity, for the next text).
pub(crate) fn sorted_bag(acc: &mut FxHashMap<u32, f32>) -> Bag {
    let mut bag: Bag = acc.drain().collect();
    bag.sort_unstable_by_key(|&(t, _)| t);
    bag
}

/// Adds `weight` for every token to a map, then returns the sorted bag.
fn bag_of<'a>(interner: &mut Interner, parts: impl Iterator<Item = (&'a [Token], f32)>) -> Bag {
    let mut acc: FxHashMap<u32, f32> = FxHashMap::default();
    for (tokens, weight) in parts {
        if weight <= 0.0 {
            continue;
        }
        for t in tokens {
            *acc.entry(interner.intern(&t.text)).or_insert(0.0) += weight;
        }
    }
    sorted_bag(&mut acc)
}

/// The raw counts of all of an analysed document's text over terms already interned (the `all` bag of
/// [`team_bags`] and [`demand_bags`] once every term of the document is interned), sorted by term.
pub(crate) fn all_counts(interner: &Interner, a: &Analysed) -> Bag {
    let mut acc: FxHashMap<u32, f32> = FxHashMap::default();
    for t in a.fields.iter().flat_map(|(_, toks)| toks) {
        if let Some(id) = interner.get(&t.text) {
            *acc.entry(id).or_insert(0.0) += 1.0;
        }
    }
    sorted_bag(&mut acc)
}

/// Bags of one team.
#[derive(Debug, Clone, Default)]
pub(crate) struct TeamBags {
    /// BM25F counts of the profile (field boosts applied).
    pub profile: Bag,
    pub profile_len: f32,
    /// Raw counts of all the team's text.
    pub all: Bag,
    /// Raw counts per achievement, in the team's order (empty bag for an achievement without text).
    pub achievements: Vec<(Bag, f32)>,
    /// Character-bigram counts of the profile (field boosts applied), keyed by bigram hash.
    pub bigrams: Bag,
    pub bigram_len: f32,
}

pub(crate) fn team_bags(
    interner: &mut Interner,
    config: &ScoringConfig,
    team: &Team,
    a: &Analysed,
) -> TeamBags {
    let boosts = &config.team_fields;
    let profile_parts = a
        .fields
        .iter()
        .map(|(f, toks)| (toks.as_slice(), boosts.boost(f)));
    let profile = bag_of(interner, profile_parts);
    let profile_len = profile.iter().map(|(_, w)| w).sum();
    let all = bag_of(
        interner,
        a.fields.iter().map(|(_, toks)| (toks.as_slice(), 1.0)),
    );
    let mut achievements = vec![(Bag::new(), 0.0); team.achievements.len()];
    for ((_, toks), of) in a.fields.iter().zip(&a.achievement_of) {
        if let Some(i) = of {
            let bag = bag_of(interner, std::iter::once((toks.as_slice(), 1.0)));
            let len = bag.iter().map(|(_, w)| w).sum();
            if let Some(slot) = achievements.get_mut(*i) {
                *slot = (bag, len);
            }
        }
    }
    let (bigrams, bigram_len) = team_bigrams(config, team, &mut FxHashMap::default());
    TeamBags {
        profile,
        profile_len,
        all,
        achievements,
        bigrams,
        bigram_len,
    }
}

/// Bags of one demand.
#[derive(Debug, Clone, Default)]
pub(crate) struct DemandBags {
    /// Query weights: per-field weights summed, then dampened as `1 + ln w` (for w ≥ 1).
    pub query: Bag,
    /// Raw counts of all the demand's text.
    pub all: Bag,
    /// Query weights of the demand's character bigrams (per field, dampened as for words).
    pub bigrams: Bag,
}

pub(crate) fn demand_bags(
    interner: &mut Interner,
    config: &ScoringConfig,
    demand: &Demand,
    a: &Analysed,
) -> DemandBags {
    let q = &config.query_fields;
    let mut query = bag_of(
        interner,
        a.fields
            .iter()
            .map(|(f, toks)| (toks.as_slice(), q.weight(f))),
    );
    for (_, w) in query.iter_mut() {
        *w = dampen(*w);
    }
    let all = bag_of(
        interner,
        a.fields.iter().map(|(_, toks)| (toks.as_slice(), 1.0)),
    );
    let bigrams = demand_bigrams(config, demand, &mut FxHashMap::default());
    DemandBags {
        query,
        all,
        bigrams,
    }
}

/// A team's bags as the engine keeps them, packed (the same pairs; see [`Packed`]). The `all` bag is not
/// kept: it is needed only for the team's vector, its document frequencies and its rare use as a query,
/// and [`all_counts`] gives it again from the team's text.
#[derive(Debug, Clone, Default)]
pub(crate) struct PackedTeamBags {
    pub profile: Packed,
    pub profile_len: f32,
    pub achievements: Box<[(Packed, f32)]>,
    pub bigrams: Packed,
    pub bigram_len: f32,
}

impl TeamBags {
    pub(crate) fn pack(&self) -> PackedTeamBags {
        PackedTeamBags {
            profile: Packed::new(&self.profile),
            profile_len: self.profile_len,
            achievements: self
                .achievements
                .iter()
                .map(|(b, len)| (Packed::new(b), *len))
                .collect(),
            bigrams: Packed::new(&self.bigrams),
            bigram_len: self.bigram_len,
        }
    }
}

/// A demand's query bags as the engine keeps them, packed (its `all` bag is needed only for its vector).
#[derive(Debug, Clone, Default)]
pub(crate) struct PackedDemandBags {
    pub query: Packed,
    pub bigrams: Packed,
}

impl DemandBags {
    pub(crate) fn pack(&self) -> PackedDemandBags {
        PackedDemandBags {
            query: Packed::new(&self.query),
            bigrams: Packed::new(&self.bigrams),
        }
    }
}

/// Character-bigram counts of a team profile (field boosts applied) and their total.
pub(crate) fn team_bigrams(
    config: &ScoringConfig,
    team: &Team,
    acc: &mut FxHashMap<u32, f32>,
) -> (Bag, f32) {
    let boosts = &config.team_fields;
    bigrams::add(&team.name, boosts.name, acc);
    for f in &team.fields {
        bigrams::add(f, boosts.fields, acc);
    }
    for k in &team.keywords {
        bigrams::add(k, boosts.keywords, acc);
    }
    bigrams::add(&team.description, boosts.description, acc);
    let bag = sorted_bag(acc);
    let len = bag.iter().map(|(_, w)| w).sum();
    (bag, len)
}

/// Query weights of a demand's character bigrams: per field, then dampened as for words.
pub(crate) fn demand_bigrams(
    config: &ScoringConfig,
    demand: &Demand,
    acc: &mut FxHashMap<u32, f32>,
) -> Bag {
    let q = &config.query_fields;
    bigrams::add(&demand.title, q.title, acc);
    for k in &demand.keywords {
        bigrams::add(k, q.keywords, acc);
    }
    bigrams::add(&demand.description, q.description, acc);
    let mut bag = sorted_bag(acc);
    for (_, w) in bag.iter_mut() {
        *w = dampen(*w);
    }
    bag
}

/// `1 + ln w` for `w ≥ 1`, `w` below.
pub(crate) fn dampen(w: f32) -> f32 {
    if w >= 1.0 { 1.0 + w.ln() } else { w }
}

/// BM25 inverse document frequency of a term in `df` of `docs` documents (always positive).
pub(crate) fn bm25_idf(docs: u32, df: u32) -> f32 {
    let (n, df) = (docs as f32, df as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Document frequencies of one side.
#[derive(Debug, Default, Clone)]
pub(crate) struct Frequencies {
    pub df: Vec<u32>,
    pub docs: u32,
    /// The idf of every term, computed on first use after a change.
    idf: std::sync::OnceLock<Vec<f32>>,
}

impl Frequencies {
    /// Counts a document with these terms (each once).
    pub(crate) fn add(&mut self, terms: impl Iterator<Item = u32>) {
        self.docs += 1;
        self.idf = std::sync::OnceLock::new();
        for t in terms {
            let t = t as usize;
            if self.df.len() <= t {
                self.df.resize(t + 1, 0);
            }
            self.df[t] += 1;
        }
    }

    /// Forgets a document with these terms.
    pub(crate) fn remove(&mut self, terms: impl Iterator<Item = u32>) {
        self.docs = self.docs.saturating_sub(1);
        self.idf = std::sync::OnceLock::new();
        for t in terms {
            if let Some(d) = self.df.get_mut(t as usize) {
                *d = d.saturating_sub(1);
            }
        }
    }

    /// Approximate heap bytes of the counts and of the idf table.
    pub(crate) fn bytes(&self) -> usize {
        self.df.capacity() * 4 + self.idf.get().map_or(0, |v| v.capacity() * 4)
    }

    pub(crate) fn df(&self, term: u32) -> u32 {
        self.df.get(term as usize).copied().unwrap_or(0)
    }

    /// BM25 inverse document frequency (always positive).
    pub(crate) fn idf(&self, term: u32) -> f32 {
        let table = self
            .idf
            .get_or_init(|| self.df.iter().map(|&df| bm25_idf(self.docs, df)).collect());
        table
            .get(term as usize)
            .copied()
            .unwrap_or_else(|| bm25_idf(self.docs, 0))
    }
}

/// Evidence of capability of a team in [0, 1]: platforms (up to 3), leader honours (up to 2), patents (up to
/// 4) and achievements of the last five years before `reference_year` (up to 4), averaged. Each part only
/// grows with more evidence.
pub(crate) fn evidence(team: &Team, reference_year: i32) -> f32 {
    let platforms = (team.platforms.len().min(3) as f32) / 3.0;
    let honours = team.leader.as_ref().map_or(0, |l| l.honors.len().min(2)) as f32 / 2.0;
    let patents = team
        .achievements
        .iter()
        .filter(|a| a.kind == AchievementKind::Patent)
        .count()
        .min(4) as f32
        / 4.0;
    let recent = team
        .achievements
        .iter()
        .filter(|a| a.year.is_some_and(|y| y > reference_year - 5))
        .count()
        .min(4) as f32
        / 4.0;
    (platforms + honours + patents + recent) / 4.0
}

/// Order-independent 128-bit digest of one record (kind tag plus JSON), summed into dataset fingerprints.
pub(crate) fn record_hash(kind: &str, value: &impl serde::Serialize) -> u128 {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0u8]);
    h.update(serde_json::to_vec(value).unwrap_or_default());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_le_bytes(b)
}

/// Quantised unit vector (8 bits per dimension) for achievements, which are many.
#[derive(Debug, Clone, Default)]
pub(crate) struct QVec {
    scale: f32,
    data: Vec<i8>,
}

impl QVec {
    pub(crate) fn bytes(&self) -> usize {
        self.data.capacity()
    }

    pub(crate) fn new(v: &[f32]) -> QVec {
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        if max == 0.0 {
            return QVec {
                scale: 0.0,
                data: vec![0; v.len()],
            };
        }
        let scale = max / 127.0;
        QVec {
            scale,
            data: v
                .iter()
                .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
                .collect(),
        }
    }

    pub(crate) fn dot(&self, v: &[f32]) -> f32 {
        dot_in_lanes(v, &self.data, f32::from) * self.scale
    }
}

/// Dot product of two vectors of equal length, summed in eight lanes plus the tail (the compiler
/// vectorises it; every score and bound reads it, so they round alike).
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    dot_in_lanes(a, b, |y| y)
}

/// `a · b` with `b`'s elements read as `f32` by `value`, summed in eight lanes plus the tail.
#[inline(always)]
pub(crate) fn dot_in_lanes<T: Copy>(a: &[f32], b: &[T], value: impl Fn(T) -> f32) -> f32 {
    let mut lanes = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, &y)| x * value(y))
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += x[i] * value(y[i]);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_dot_is_close() {
        let mut a = vec![0.3f32, -0.5, 0.1, 0.8];
        crate::models::normalise(&mut a);
        let q = QVec::new(&a);
        assert!((q.dot(&a) - 1.0).abs() < 0.01);
        assert_eq!(QVec::new(&[0.0, 0.0]).dot(&[1.0, 1.0]), 0.0);
    }

    #[test]
    fn idf_and_frequencies() {
        let mut f = Frequencies::default();
        f.add([0, 2].into_iter());
        f.add([0].into_iter());
        assert_eq!(f.df(0), 2);
        assert_eq!(f.df(1), 0);
        assert!(f.idf(2) > f.idf(0));
        assert!(f.idf(0) > 0.0);
        f.remove([0].into_iter());
        assert_eq!((f.df(0), f.docs), (1, 1));
    }

    #[test]
    fn dampening_and_bags() {
        assert_eq!(dampen(0.5), 0.5);
        assert!((dampen(std::f32::consts::E) - 2.0).abs() < 1e-6);
        let analyzer = Analyzer::shared();
        let mut interner = Interner::default();
        let demand: Demand = serde_json::from_str(
            r#"{"id":"d","zone_id":"z","title":"电池热失控预警","keywords":["电池"]}"#,
        )
        .expect("demand");
        let bags = demand_bags(
            &mut interner,
            &ScoringConfig::default(),
            &demand,
            &analyse_demand(&analyzer, &demand),
        );
        let battery = interner.get("电池").expect("interned");
        let w = bags
            .query
            .iter()
            .find(|(t, _)| *t == battery)
            .expect("in query")
            .1;
        // Title (2) and keywords (2): 1 + ln 4.
        assert!((w - (1.0 + 4f32.ln())).abs() < 1e-5);
        assert_eq!(
            bags.all.iter().find(|(t, _)| *t == battery).map(|x| x.1),
            Some(2.0)
        );
    }

    /// A team's `all` bag, which the engine does not keep, is given again by its text.
    #[test]
    fn all_counts_give_the_all_bag_again() {
        let analyzer = Analyzer::shared();
        let mut interner = Interner::default();
        let team: Team = serde_json::from_str(
            r#"{"id":"t","university_id":"u","name":"储能课题组","fields":["电池安全"],
                "keywords":["热失控","电池"],"description":"锂离子电池热失控预警与 SiC 器件。",
                "achievements":[{"kind":"paper","title":"电池热失控预警","abstract":"Li-S battery safety"}]}"#,
        )
        .expect("team");
        let analysed = analyse_team(&analyzer, &team);
        let bags = team_bags(&mut interner, &ScoringConfig::default(), &team, &analysed);
        assert!(bags.all.len() > 5);
        assert_eq!(all_counts(&interner, &analysed), bags.all);
        // After later documents add terms, the team's counts are still the same.
        interner.intern("新词");
        assert_eq!(
            all_counts(&interner, &analyse_team(&analyzer, &team)),
            bags.all
        );
    }
}
