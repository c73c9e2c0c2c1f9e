//! Retrieval and clustering quality measures, following trec_eval's conventions: nDCG@k with linear gain and
//! log2 discount (ideal ordering over all judged documents), reciprocal rank of the first relevant document
//! within k, recall@k, average precision over the whole run; unjudged documents count as not relevant and a
//! query without results scores zero. Also TREC qrels/run parsing and writing, and normalised mutual
//! information of two labellings.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::error_code::ErrorCode;

/// Relevance judgements: query id → document id → grade.
pub type Qrels = HashMap<String, HashMap<String, u32>>;

/// Errors of reading judgement files.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    #[error("qrels line {line}: {message}")]
    Qrels { line: usize, message: String },
}

impl EvaluationError {
    /// Stable snake_case code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            EvaluationError::Qrels { .. } => ErrorCode::QrelsInvalid,
        }
    }
}

/// Parses TREC qrels (`query iteration doc grade`, whitespace separated; blank lines and `#` comments skipped).
/// The query order of the file is returned too.
pub fn parse_qrels(text: &str) -> Result<(Qrels, Vec<String>), EvaluationError> {
    let mut qrels: Qrels = HashMap::new();
    let mut order = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() != 4 {
            return Err(EvaluationError::Qrels {
                line: i + 1,
                message: format!("expected 4 columns, found {}", parts.len()),
            });
        }
        let grade: i64 = parts[3].parse().map_err(|_| EvaluationError::Qrels {
            line: i + 1,
            message: format!("grade {:?} is not an integer", parts[3]),
        })?;
        let entry = qrels.entry(parts[0].to_owned()).or_insert_with(|| {
            order.push(parts[0].to_owned());
            HashMap::new()
        });
        entry.insert(parts[2].to_owned(), grade.max(0) as u32);
    }
    Ok((qrels, order))
}

/// Measures of one query's ranking.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QueryMetrics {
    pub ndcg10: f64,
    pub mrr10: f64,
    pub recall100: f64,
    pub ap: f64,
}

/// nDCG@k of a ranking against graded judgements.
pub fn ndcg(ranking: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let dcg: f64 = ranking
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| f64::from(judged.get(*d).copied().unwrap_or(0)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| f64::from(*g) / ((i + 2) as f64).log2())
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// Reciprocal rank of the first relevant document within the top k (0 when there is none).
pub fn mrr(ranking: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    ranking
        .iter()
        .take(k)
        .position(|d| judged.get(*d).copied().unwrap_or(0) > 0)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// Share of the relevant documents found in the top k.
pub fn recall(ranking: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|d| judged.get(**d).copied().unwrap_or(0) > 0)
        .count();
    found as f64 / relevant as f64
}

/// Average precision over the whole ranking.
pub fn average_precision(ranking: &[&str], judged: &HashMap<String, u32>) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let mut hits = 0usize;
    let mut sum = 0.0;
    for (i, d) in ranking.iter().enumerate() {
        if judged.get(*d).copied().unwrap_or(0) > 0 {
            hits += 1;
            sum += hits as f64 / (i + 1) as f64;
        }
    }
    sum / relevant as f64
}

/// All measures of one query.
pub fn evaluate_query(ranking: &[&str], judged: &HashMap<String, u32>) -> QueryMetrics {
    QueryMetrics {
        ndcg10: ndcg(ranking, judged, 10),
        mrr10: mrr(ranking, judged, 10),
        recall100: recall(ranking, judged, 100),
        ap: average_precision(ranking, judged),
    }
}

/// Mean measures over the queries of the qrels that have at least one relevant document.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    pub ndcg10: f64,
    pub mrr10: f64,
    pub recall100: f64,
    pub map: f64,
    pub queries: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ndcg@10={:.4} mrr@10={:.4} recall@100={:.4} map={:.4} queries={}",
            self.ndcg10, self.mrr10, self.recall100, self.map, self.queries
        )
    }
}

/// Evaluates rankings (query → documents, best first) against qrels; queries without a ranking score 0.
pub fn evaluate(qrels: &Qrels, rankings: &HashMap<String, Vec<String>>) -> Summary {
    let mut s = Summary::default();
    let empty = Vec::new();
    for (query, judged) in qrels {
        if !judged.values().any(|&g| g > 0) {
            continue;
        }
        let ranking: Vec<&str> = rankings
            .get(query)
            .unwrap_or(&empty)
            .iter()
            .map(String::as_str)
            .collect();
        let m = evaluate_query(&ranking, judged);
        s.ndcg10 += m.ndcg10;
        s.mrr10 += m.mrr10;
        s.recall100 += m.recall100;
        s.map += m.ap;
        s.queries += 1;
    }
    if s.queries > 0 {
        let n = s.queries as f64;
        s.ndcg10 /= n;
        s.mrr10 /= n;
        s.recall100 /= n;
        s.map /= n;
    }
    s
}

/// One query's results as TREC run lines: `QUERY Q0 DOC RANK SCORE tag`.
pub fn run_lines(query: &str, results: &[(String, f32)], tag: &str) -> String {
    let mut out = String::new();
    for (i, (doc, score)) in results.iter().enumerate() {
        let _ = writeln!(out, "{query} Q0 {doc} {} {score:.6} {tag}", i + 1);
    }
    out
}

/// Normalised mutual information of two labellings of the same items (arithmetic-mean normalisation, as
/// scikit-learn's default): `I(A; B) / ((H(A) + H(B)) / 2)`; 1 for identical partitions.
pub fn nmi<A: std::hash::Hash + Eq, B: std::hash::Hash + Eq>(a: &[A], b: &[B]) -> f64 {
    let n = a.len().min(b.len());
    if n == 0 {
        return 0.0;
    }
    let mut ca: HashMap<&A, f64> = HashMap::new();
    let mut cb: HashMap<&B, f64> = HashMap::new();
    let mut joint: HashMap<(&A, &B), f64> = HashMap::new();
    for i in 0..n {
        *ca.entry(&a[i]).or_insert(0.0) += 1.0;
        *cb.entry(&b[i]).or_insert(0.0) += 1.0;
        *joint.entry((&a[i], &b[i])).or_insert(0.0) += 1.0;
    }
    let nf = n as f64;
    let entropy = |counts: &mut dyn Iterator<Item = f64>| -> f64 {
        counts
            .map(|c| c / nf)
            .filter(|p| *p > 0.0)
            .map(|p| -p * p.ln())
            .sum()
    };
    let ha = entropy(&mut ca.values().copied());
    let hb = entropy(&mut cb.values().copied());
    let mut mi = 0.0;
    for ((x, y), c) in &joint {
        let pxy = c / nf;
        mi += pxy * (pxy / ((ca[x] / nf) * (cb[y] / nf))).ln();
    }
    let denom = (ha + hb) / 2.0;
    if denom <= 0.0 {
        if ha == hb { 1.0 } else { 0.0 }
    } else {
        (mi / denom).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    #[test]
    fn hand_computed_ranking_measures() {
        // Ranking a b c d; judgements: a 0, b 2, c 0, d 1, e 1 (e never retrieved).
        let j = judged(&[("a", 0), ("b", 2), ("c", 0), ("d", 1), ("e", 1)]);
        let r = ["a", "b", "c", "d"];
        // DCG = 2/log2(3) + 1/log2(5); IDCG = 2/log2(2) + 1/log2(3) + 1/log2(4).
        let dcg = 2.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let idcg = 2.0 + 1.0 / 3f64.log2() + 0.5;
        assert!((ndcg(&r, &j, 10) - dcg / idcg).abs() < 1e-12);
        assert!((mrr(&r, &j, 10) - 0.5).abs() < 1e-12);
        assert_eq!(mrr(&r, &j, 1), 0.0);
        assert!((recall(&r, &j, 100) - 2.0 / 3.0).abs() < 1e-12);
        // AP = (1/2 + 2/4) / 3.
        assert!((average_precision(&r, &j) - (0.5 + 0.5) / 3.0).abs() < 1e-12);
        // nDCG@1 of a ranking starting with the best document is 1.
        assert!((ndcg(&["b"], &j, 1) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn missing_queries_score_zero_and_unjudged_count_as_irrelevant() {
        let (qrels, order) = parse_qrels("q1 0 a 1\nq2 0 b 1\n\nq3 0 c 0\n").expect("parse");
        assert_eq!(order, ["q1", "q2", "q3"]);
        let mut runs = HashMap::new();
        runs.insert("q1".to_string(), vec!["x".to_string(), "a".to_string()]);
        let s = evaluate(&qrels, &runs);
        // q3 has no relevant document and is not counted; q2 has no ranking and scores 0.
        assert_eq!(s.queries, 2);
        assert!((s.mrr10 - 0.25).abs() < 1e-12);
        assert!((s.map - 0.25).abs() < 1e-12);
        assert!(s.to_string().starts_with("ndcg@10="));
        assert!(parse_qrels("q1 0 a").is_err());
        assert!(parse_qrels("q1 0 a x").is_err());
    }

    #[test]
    fn cutoffs_at_10_and_100_and_map_over_queries() {
        // q1 ranks d0..d119; relevant: d2 (1) at rank 3, d11 (2) at rank 12, d100 (1) at rank 101, and z (3)
        // never retrieved. q2 ranks a, b with b relevant.
        let (qrels, _) =
            parse_qrels("q1 0 d2 1\nq1 0 d11 2\nq1 0 d100 1\nq1 0 z 3\nq1 0 d0 0\nq2 0 b 1\n")
                .expect("parse");
        let ranking: Vec<String> = (0..120).map(|i| format!("d{i}")).collect();
        let r: Vec<&str> = ranking.iter().map(String::as_str).collect();
        let q1 = &qrels["q1"];
        // Only d2 counts within 10: DCG@10 = 1/log2(4); IDCG@10 = 3 + 2/log2(3) + 1/log2(4) + 1/log2(5).
        let idcg = 3.0 + 2.0 / 3f64.log2() + 0.5 + 1.0 / 5f64.log2();
        assert!((ndcg(&r, q1, 10) - 0.5 / idcg).abs() < 1e-12);
        assert!((mrr(&r, q1, 10) - 1.0 / 3.0).abs() < 1e-12);
        // Without d2 the first relevant document (d11) is at rank 11, outside MRR@10.
        let late: Vec<&str> = r.iter().copied().filter(|d| *d != "d2").collect();
        assert_eq!(late[10], "d11");
        assert_eq!(mrr(&late, q1, 10), 0.0);
        assert!((mrr(&late, q1, 11) - 1.0 / 11.0).abs() < 1e-12);
        // d100 is at rank 101: two of the four relevant documents are in the top 100.
        assert!((recall(&r, q1, 100) - 0.5).abs() < 1e-12);
        assert!((recall(&r, q1, 101) - 0.75).abs() < 1e-12);
        // AP runs over the whole ranking: (1/3 + 2/12 + 3/101) / 4.
        let ap1 = (1.0 / 3.0 + 2.0 / 12.0 + 3.0 / 101.0) / 4.0;
        assert!((average_precision(&r, q1) - ap1).abs() < 1e-12);
        let mut runs = HashMap::new();
        runs.insert("q1".to_string(), ranking.clone());
        runs.insert("q2".to_string(), vec!["a".to_string(), "b".to_string()]);
        let s = evaluate(&qrels, &runs);
        assert_eq!(s.queries, 2);
        assert!((s.map - (ap1 + 0.5) / 2.0).abs() < 1e-12);
        assert!((s.mrr10 - (1.0 / 3.0 + 0.5) / 2.0).abs() < 1e-12);
        assert!((s.ndcg10 - (0.5 / idcg + 1.0 / 3f64.log2()) / 2.0).abs() < 1e-12);
        assert!((s.recall100 - (0.5 + 1.0) / 2.0).abs() < 1e-12);
    }

    #[test]
    fn run_file_lines() {
        let lines = run_lines("q1", &[("a".into(), 0.5), ("b".into(), 0.25)], "shuanggao");
        assert_eq!(
            lines,
            "q1 Q0 a 1 0.500000 shuanggao\nq1 Q0 b 2 0.250000 shuanggao\n"
        );
    }

    #[test]
    fn nmi_of_hand_examples() {
        assert!((nmi(&[0, 0, 1, 1], &["x", "x", "y", "y"]) - 1.0).abs() < 1e-12);
        assert!(nmi(&[0, 1, 0, 1], &[0, 0, 1, 1]).abs() < 1e-12);
        // a = [0,0,1,1], b = [0,0,0,1]: H(a) = ln 2, H(b) = -(3/4 ln 3/4 + 1/4 ln 1/4),
        // I = 1/2 ln(1/2 / (1/2 · 3/4)) + 1/4 ln(1/4 / (1/2 · 3/4)) + 1/4 ln(1/4 / (1/2 · 1/4)).
        let ha = 2f64.ln();
        let hb = -(0.75 * 0.75f64.ln() + 0.25 * 0.25f64.ln());
        let i = 0.5 * (0.5f64 / 0.375).ln()
            + 0.25 * (0.25f64 / 0.375).ln()
            + 0.25 * (0.25f64 / 0.125).ln();
        assert!((nmi(&[0, 0, 1, 1], &[0, 0, 0, 1]) - i / ((ha + hb) / 2.0)).abs() < 1e-12);
    }
}
