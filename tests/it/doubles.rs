//! A deterministic token-overlap [`Matcher`]: the test double the service's tests run against.
//!
//! It scores a pair by the cosine of two token sets (lower-cased Latin words and Chinese character
//! bigrams). It exists so that the HTTP layer, auth and persistence can be tested with predictable
//! rankings; it is not a relevance model.

use std::collections::{BTreeSet, HashMap};
use std::sync::RwLock;

use shuanggao::analysis::char_bigrams;
use shuanggao::app::{Matcher, MatcherError, MatcherResult, SearchHit, SearchKind};
use shuanggao::domain::{Dataset, Demand, DemandId, Team, TeamId};
use shuanggao::matching::{Contribution, Explanation, MatchedTerm, PairMatch};

type Tokens = BTreeSet<String>;

#[derive(Debug, Default)]
struct Docs {
    teams: HashMap<TeamId, (Tokens, String)>,
    demands: HashMap<DemandId, (Tokens, String)>,
}

/// Token-overlap matcher over an in-memory copy of the teams and demands.
#[derive(Debug, Default)]
pub struct OverlapMatcher {
    docs: RwLock<Docs>,
    /// Updates (upserts and deletes) still to fail, like an engine whose index is locked.
    failing_updates: std::sync::atomic::AtomicU32,
    /// Milliseconds each ranking of teams for a demand takes, and how many were asked for.
    ranking_delay_ms: std::sync::atomic::AtomicU64,
    rankings: std::sync::atomic::AtomicU64,
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Lower-cased alphanumeric words, and every pair of adjacent CJK characters.
pub fn tokens(text: &str) -> Tokens {
    let mut out = Tokens::new();
    let mut word = String::new();
    let mut run = String::new();
    fn flush_run(run: &mut String, out: &mut Tokens) {
        for (a, b) in char_bigrams(run, false) {
            out.insert(format!("{a}{b}"));
        }
        run.clear();
    }
    for c in text.chars() {
        if is_cjk(c) {
            if !word.is_empty() {
                out.insert(std::mem::take(&mut word));
            }
            run.push(c);
        } else {
            flush_run(&mut run, &mut out);
            if c.is_alphanumeric() {
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                out.insert(std::mem::take(&mut word));
            }
        }
    }
    flush_run(&mut run, &mut out);
    if !word.is_empty() {
        out.insert(word);
    }
    out
}

fn team_text(team: &Team) -> String {
    let mut parts = vec![team.name.clone(), team.description.clone()];
    parts.extend(team.fields.iter().cloned());
    parts.extend(team.keywords.iter().cloned());
    for a in &team.achievements {
        parts.push(a.title.clone());
        parts.push(a.r#abstract.clone());
    }
    parts.join(" ")
}

fn demand_text(demand: &Demand) -> String {
    let mut parts = vec![demand.title.clone(), demand.description.clone()];
    parts.extend(demand.keywords.iter().cloned());
    parts.join(" ")
}

fn cosine(a: &Tokens, b: &Tokens) -> (f32, Vec<String>) {
    if a.is_empty() || b.is_empty() {
        return (0.0, Vec::new());
    }
    let shared: Vec<String> = a.intersection(b).cloned().collect();
    let score = shared.len() as f32 / ((a.len() * b.len()) as f32).sqrt();
    (score.min(1.0), shared)
}

fn explanation(score: f32, shared: &[String]) -> Explanation {
    let summary = format!("{} shared terms", shared.len());
    Explanation {
        degree: shuanggao::matching::Degree::of(score),
        contributions: vec![Contribution {
            feature: "token_overlap",
            label: "词语重合度",
            value: score,
            weight: 1.0,
            contribution: score,
        }],
        matched_terms: (shared.iter().take(10))
            .map(|t| MatchedTerm {
                term: t.clone(),
                weight: 1.0,
            })
            .collect(),
        best_achievement: None,
        relevant_achievements: 0,
        shared_track: None,
        cluster: None,
        summary_en: summary.clone(),
        summary,
    }
}

/// Marks, in the first 120 characters of `text`, every character inside a matched token.
fn snippet(text: &str, query: &Tokens) -> String {
    let chars: Vec<char> = text.chars().take(120).collect();
    let mut marked = vec![false; chars.len()];
    for i in 0..chars.len() {
        if i + 1 < chars.len() && query.contains(&format!("{}{}", chars[i], chars[i + 1])) {
            marked[i] = true;
            marked[i + 1] = true;
        }
    }
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() && !is_cjk(chars[i]) {
            let start = i;
            while i < chars.len() && chars[i].is_alphanumeric() && !is_cjk(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
            if query.contains(&word) {
                marked[start..i].iter_mut().for_each(|m| *m = true);
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::new();
    let mut open = false;
    for (c, m) in chars.iter().zip(&marked) {
        if *m && !open {
            out.push_str("<mark>");
            open = true;
        } else if !*m && open {
            out.push_str("</mark>");
            open = false;
        }
        out.push(*c);
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

fn rank<K: Clone + Ord>(
    mut scored: Vec<(K, f32, Vec<String>)>,
    limit: usize,
) -> Vec<(K, f32, Vec<String>)> {
    scored.retain(|(_, s, _)| *s > 0.0);
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(limit);
    scored
}

/// The best `limit` of `others` for the document `id` of `side`, by cosine, explained by the tokens they
/// share; `pair(other)` names the demand and the team of each match.
fn by_overlap<Q, K>(
    side: &HashMap<Q, (Tokens, String)>,
    others: &HashMap<K, (Tokens, String)>,
    id: &Q,
    limit: usize,
    pair: impl Fn(K) -> (DemandId, TeamId),
) -> MatcherResult<Vec<PairMatch>>
where
    Q: std::hash::Hash + Eq + std::fmt::Display,
    K: Clone + Ord,
{
    let (query, _) = side
        .get(id)
        .ok_or_else(|| MatcherError::Unknown(id.to_string()))?;
    let scored = others
        .iter()
        .map(|(other, (toks, _))| {
            let (s, shared) = cosine(query, toks);
            (other.clone(), s, shared)
        })
        .collect();
    Ok(rank(scored, limit)
        .into_iter()
        .map(|(other, score, shared)| {
            let (demand_id, team_id) = pair(other);
            PairMatch {
                demand_id,
                team_id,
                score,
                explanation: explanation(score, &shared),
            }
        })
        .collect())
}

impl OverlapMatcher {
    /// Indexes every team and demand of `data`.
    pub fn new(data: &Dataset) -> Self {
        let m = OverlapMatcher::default();
        {
            let mut docs = m.docs.write().unwrap_or_else(|p| p.into_inner());
            for t in &data.teams {
                let text = team_text(t);
                docs.teams.insert(t.id.clone(), (tokens(&text), text));
            }
            for d in &data.demands {
                let text = demand_text(d);
                docs.demands.insert(d.id.clone(), (tokens(&text), text));
            }
        }
        m
    }

    fn docs(&self) -> std::sync::RwLockReadGuard<'_, Docs> {
        self.docs.read().unwrap_or_else(|p| p.into_inner())
    }

    fn docs_mut(&self) -> std::sync::RwLockWriteGuard<'_, Docs> {
        self.docs.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes every ranking of teams for a demand take `ms` milliseconds.
    pub fn slow_rankings(&self, ms: u64) {
        self.ranking_delay_ms
            .store(ms, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many rankings of teams for a demand were computed.
    pub fn rankings(&self) -> u64 {
        self.rankings.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Makes the next `n` updates fail.
    pub fn fail_next_updates(&self, n: u32) {
        self.failing_updates
            .store(n, std::sync::atomic::Ordering::SeqCst);
    }

    /// Fails this update when failures are still due.
    fn update_allowed(&self) -> MatcherResult<()> {
        use std::sync::atomic::Ordering;
        let due = self
            .failing_updates
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        match due {
            Ok(_) => Err(MatcherError::Failed {
                code: "index_locked".into(),
                message: "the index is locked".into(),
            }),
            Err(_) => Ok(()),
        }
    }
}

/// Indexes `text` under `id`, replacing what was there.
fn put<K: Eq + std::hash::Hash>(
    docs: &mut HashMap<K, (Tokens, String)>,
    id: K,
    text: String,
) -> MatcherResult<()> {
    docs.insert(id, (tokens(&text), text));
    Ok(())
}

impl Matcher for OverlapMatcher {
    fn teams_for_demand(&self, id: &DemandId, limit: usize) -> MatcherResult<Vec<PairMatch>> {
        use std::sync::atomic::Ordering;
        self.rankings.fetch_add(1, Ordering::SeqCst);
        let delay = self.ranking_delay_ms.load(Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let docs = self.docs();
        by_overlap(&docs.demands, &docs.teams, id, limit, |t| (id.clone(), t))
    }

    fn demands_for_team(&self, id: &TeamId, limit: usize) -> MatcherResult<Vec<PairMatch>> {
        let docs = self.docs();
        by_overlap(&docs.teams, &docs.demands, id, limit, |d| (d, id.clone()))
    }

    fn search(&self, text: &str, kind: SearchKind, limit: usize) -> MatcherResult<Vec<SearchHit>> {
        let query = tokens(text);
        let docs = self.docs();
        let score = |toks: &Tokens| {
            if query.is_empty() {
                0.0
            } else {
                query.intersection(toks).count() as f32 / query.len() as f32
            }
        };
        let scored: Vec<(String, f32, Vec<String>)> = match kind {
            SearchKind::Teams => docs
                .teams
                .iter()
                .map(|(id, (toks, _))| (id.to_string(), score(toks), Vec::new()))
                .collect(),
            SearchKind::Demands => docs
                .demands
                .iter()
                .map(|(id, (toks, _))| (id.to_string(), score(toks), Vec::new()))
                .collect(),
        };
        Ok(rank(scored, limit)
            .into_iter()
            .map(|(id, score, _)| {
                let body = match kind {
                    SearchKind::Teams => docs.teams.get(&TeamId(id.clone())).map(|d| &d.1),
                    SearchKind::Demands => docs.demands.get(&DemandId(id.clone())).map(|d| &d.1),
                };
                SearchHit {
                    snippet: body.map(|b| snippet(b, &query)).unwrap_or_default(),
                    id,
                    score,
                    coverage: score,
                }
            })
            .collect())
    }

    fn upsert_team(&self, team: &Team) -> MatcherResult<()> {
        self.update_allowed()?;
        put(&mut self.docs_mut().teams, team.id.clone(), team_text(team))
    }

    fn delete_team(&self, id: &TeamId) -> MatcherResult<()> {
        self.update_allowed()?;
        self.docs_mut().teams.remove(id);
        Ok(())
    }

    fn upsert_demand(&self, demand: &Demand) -> MatcherResult<()> {
        self.update_allowed()?;
        put(
            &mut self.docs_mut().demands,
            demand.id.clone(),
            demand_text(demand),
        )
    }

    fn delete_demand(&self, id: &DemandId) -> MatcherResult<()> {
        self.docs_mut().demands.remove(id);
        Ok(())
    }
}

mod tests {
    use super::*;

    #[test]
    fn tokens_are_words_and_cjk_bigrams() {
        let t: Vec<String> = tokens("锂电池 SiC-GaN 5G").into_iter().collect();
        assert_eq!(t, vec!["5g", "gan", "sic", "电池", "锂电"]);
    }

    #[test]
    fn snippet_marks_matched_terms() {
        let q = tokens("电池 sic");
        assert_eq!(
            snippet("动力电池与SiC器件", &q),
            "动力<mark>电池</mark>与<mark>SiC</mark>器件"
        );
    }

    #[test]
    fn ranking_is_by_overlap_then_id() {
        let data = Dataset {
            teams: vec![
                serde_json::from_value(serde_json::json!({"id": "b", "university_id": "u", "name": "电池安全", "description": "热失控"})).unwrap(),
                serde_json::from_value(serde_json::json!({"id": "a", "university_id": "u", "name": "电池安全", "description": "热失控"})).unwrap(),
                serde_json::from_value(serde_json::json!({"id": "c", "university_id": "u", "name": "农业", "description": "育种"})).unwrap(),
            ],
            demands: vec![serde_json::from_value(serde_json::json!({"id": "d", "zone_id": "z", "title": "电池热失控"})).unwrap()],
            ..Dataset::default()
        };
        let m = OverlapMatcher::new(&data);
        let ranked = m.teams_for_demand(&"d".into(), 10).unwrap();
        let ids: Vec<&str> = ranked.iter().map(|p| p.team_id.as_str()).collect();
        assert_eq!(ids, vec!["a", "b"]);
        assert!(ranked[0].score > 0.0 && ranked[0].score <= 1.0);
        assert!(m.teams_for_demand(&"zz".into(), 10).is_err());
        m.delete_team(&"a".into()).unwrap();
        assert_eq!(m.teams_for_demand(&"d".into(), 10).unwrap().len(), 1);
    }
}
