//! `FallbackLexicalScorer`: a simple, self-contained [`PairScorer`] over character bigrams, used by the
//! `propose` command until the matching engine provides pair scores. It is deliberately plain: TF-IDF
//! cosine of character bigrams between a demand and a team, plus a bonus for a shared track.

use std::collections::{HashMap, HashSet};

use super::scorer::{PairEvidence, PairScorer};
use crate::domain::{Dataset, DemandId, Team, TeamId};

/// Lexical fallback scorer: `score = 0.5 · min(1, 2 · cosine) + 0.5 · [shared track]`, in [0, 1].
#[derive(Debug)]
pub struct FallbackLexicalScorer {
    team_ids: Vec<TeamId>,
    team_tracks: Vec<Vec<String>>,
    team_text: Vec<String>,
    team_achievements: Vec<Vec<String>>,
    /// Bigram → (team, tf-idf weight), with team vectors unit-normalised.
    postings: HashMap<(char, char), Vec<(u32, f32)>>,
    idf: HashMap<(char, char), f32>,
    /// Teams per track id, for the shared-track bonus.
    by_track: HashMap<String, Vec<u32>>,
    demands: HashMap<String, DemandEntry>,
}

#[derive(Debug)]
struct DemandEntry {
    text: String,
    tracks: Vec<String>,
    terms: Vec<String>,
}

fn bigrams(s: &str) -> Vec<(char, char)> {
    let chars: Vec<char> = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

fn team_text(t: &Team) -> String {
    let mut s = format!(
        "{} {} {} {}",
        t.name,
        t.fields.join(" "),
        t.keywords.join(" "),
        t.description
    );
    for a in &t.achievements {
        s.push(' ');
        s.push_str(&a.title);
    }
    s
}

impl FallbackLexicalScorer {
    pub fn new(data: &Dataset) -> Self {
        let texts: Vec<String> = data.teams.iter().map(team_text).collect();
        let tfs: Vec<HashMap<(char, char), f32>> = texts
            .iter()
            .map(|t| {
                let mut m = HashMap::new();
                for b in bigrams(t) {
                    *m.entry(b).or_insert(0.0) += 1.0;
                }
                m
            })
            .collect();
        let mut df: HashMap<(char, char), f32> = HashMap::new();
        for tf in &tfs {
            for b in tf.keys() {
                *df.entry(*b).or_insert(0.0) += 1.0;
            }
        }
        let n = texts.len().max(1) as f32;
        let idf: HashMap<(char, char), f32> = df
            .into_iter()
            .map(|(b, d)| (b, (1.0 + n / d).ln()))
            .collect();
        let mut postings: HashMap<(char, char), Vec<(u32, f32)>> = HashMap::new();
        for (ti, tf) in tfs.iter().enumerate() {
            let w: Vec<((char, char), f32)> = tf
                .iter()
                .map(|(b, c)| (*b, (1.0 + c.ln()) * idf[b]))
                .collect();
            let norm = w.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt().max(1e-9);
            for (b, x) in w {
                postings.entry(b).or_default().push((ti as u32, x / norm));
            }
        }
        let mut by_track: HashMap<String, Vec<u32>> = HashMap::new();
        for (ti, t) in data.teams.iter().enumerate() {
            for k in &t.track_ids {
                by_track.entry(k.0.clone()).or_default().push(ti as u32);
            }
        }
        let track_keywords: HashMap<&str, &Vec<String>> = data
            .tracks
            .iter()
            .map(|t| (t.id.as_str(), &t.keywords))
            .collect();
        let demands = data
            .demands
            .iter()
            .map(|d| {
                let mut terms: Vec<String> = d.keywords.clone();
                for t in &d.track_ids {
                    if let Some(k) = track_keywords.get(t.as_str()) {
                        terms.extend(k.iter().cloned());
                    }
                }
                terms.sort();
                terms.dedup();
                (
                    d.id.0.clone(),
                    DemandEntry {
                        text: format!("{} {} {}", d.title, d.description, d.keywords.join(" ")),
                        tracks: d.track_ids.iter().map(|t| t.0.clone()).collect(),
                        terms,
                    },
                )
            })
            .collect();
        Self {
            team_ids: data.teams.iter().map(|t| t.id.clone()).collect(),
            team_tracks: data
                .teams
                .iter()
                .map(|t| t.track_ids.iter().map(|k| k.0.clone()).collect())
                .collect(),
            team_achievements: data
                .teams
                .iter()
                .map(|t| t.achievements.iter().map(|a| a.title.clone()).collect())
                .collect(),
            team_text: texts,
            postings,
            idf,
            by_track,
            demands,
        }
    }
}

impl PairScorer for FallbackLexicalScorer {
    fn teams_for_demand(&self, demand: &DemandId, limit: usize) -> Vec<(TeamId, f32)> {
        let Some(d) = self.demands.get(demand.as_str()) else {
            return Vec::new();
        };
        let mut q: HashMap<(char, char), f32> = HashMap::new();
        for b in bigrams(&d.text) {
            *q.entry(b).or_insert(0.0) += 1.0;
        }
        let qw: Vec<((char, char), f32)> = q
            .iter()
            .filter_map(|(b, c)| self.idf.get(b).map(|i| (*b, (1.0 + c.ln()) * i)))
            .collect();
        let qn = qw.iter().map(|x| x.1 * x.1).sum::<f32>().sqrt().max(1e-9);
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for (b, w) in &qw {
            for &(t, x) in self.postings.get(b).map(Vec::as_slice).unwrap_or(&[]) {
                *acc.entry(t).or_insert(0.0) += w / qn * x;
            }
        }
        let shared: HashSet<u32> = d
            .tracks
            .iter()
            .flat_map(|k| self.by_track.get(k).into_iter().flatten().copied())
            .collect();
        for &t in &shared {
            acc.entry(t).or_insert(0.0);
        }
        let mut out: Vec<(u32, f32)> = acc
            .into_iter()
            .map(|(t, cos)| {
                let bonus = if shared.contains(&t) { 0.5 } else { 0.0 };
                (t, (0.5 * (2.0 * cos).min(1.0) + bonus).clamp(0.0, 1.0))
            })
            .filter(|x| x.1 > 0.05)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(limit);
        out.into_iter()
            .map(|(t, s)| (self.team_ids[t as usize].clone(), s))
            .collect()
    }

    fn explain(&self, demand: &DemandId, team: &TeamId) -> Option<PairEvidence> {
        let d = self.demands.get(demand.as_str())?;
        let ti = self.team_ids.iter().position(|t| t == team)?;
        let text = &self.team_text[ti];
        let mut terms: Vec<(String, f32)> = d
            .terms
            .iter()
            .filter(|t| t.chars().count() >= 2 && text.contains(t.as_str()))
            .map(|t| (t.clone(), t.chars().count() as f32))
            .collect();
        if d.tracks.iter().any(|k| self.team_tracks[ti].contains(k)) {
            terms.push(("同属赛道".to_owned(), 0.5));
        }
        let db: HashSet<(char, char)> = bigrams(&d.text).into_iter().collect();
        let achievement = self.team_achievements[ti]
            .iter()
            .filter(|a| !a.is_empty())
            .max_by_key(|a| bigrams(a).iter().filter(|b| db.contains(b)).count())
            .cloned();
        Some(PairEvidence { terms, achievement })
    }
}
