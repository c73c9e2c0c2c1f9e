//! Unit tests of the text index: build, query, update, delete and reopen; boosts; tokenizers; snippets.

use std::collections::HashSet;

use tantivy::tokenizer::{TokenStream, Tokenizer};

use super::*;
use crate::analysis::Analyzer;

fn doc_tokens(
    analyzer: &Analyzer,
    texts: &[(&'static str, &str)],
) -> Vec<(&'static str, Vec<Token>)> {
    texts
        .iter()
        .map(|(f, t)| (*f, analyzer.analyze(t)))
        .collect()
}

fn terms(analyzer: &Analyzer, text: &str) -> Vec<(String, f32)> {
    analyzer.terms(text).into_iter().map(|t| (t, 1.0)).collect()
}

#[test]
fn build_query_update_delete_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let analyzer = Analyzer::shared();
    let t1 = doc_tokens(
        &analyzer,
        &[
            ("name", "储能安全团队"),
            ("description", "锂离子电池热失控预警与安全监测"),
        ],
    );
    let t2 = doc_tokens(
        &analyzer,
        &[("name", "视觉团队"), ("description", "工业视觉缺陷检测")],
    );
    let d1 = doc_tokens(&analyzer, &[("title", "动力电池热失控预警")]);
    fn as_doc<'a>(id: &'a str, toks: &'a [(&'static str, Vec<Token>)]) -> IndexDoc<'a> {
        IndexDoc {
            id,
            fields: toks
                .iter()
                .map(|(f, t)| FieldTokens {
                    field: f,
                    tokens: t,
                })
                .collect(),
        }
    }
    let docs = || {
        vec![
            (DocKind::Team, as_doc("team-1", &t1)),
            (DocKind::Team, as_doc("team-2", &t2)),
            (DocKind::Demand, as_doc("demand-1", &d1)),
        ]
        .into_iter()
    };
    let mut seen = 0;
    let (index, outcome) =
        TextIndex::open_or_build(dir.path(), &analyzer, "fp-1", docs, &mut |n| seen = n)
            .expect("build");
    assert_eq!(outcome, OpenOutcome::Built);
    assert_eq!(seen, 3);
    let hits = index
        .retrieve(DocKind::Team, &terms(&analyzer, "电池热失控"), 10)
        .expect("retrieve");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].0, doc_key("team-1"));

    // Update team-2 so that it matches too; it is searchable at once.
    let t2b = doc_tokens(
        &analyzer,
        &[
            ("name", "视觉团队"),
            ("achievements", "电池极片缺陷视觉检测"),
        ],
    );
    let doc = as_doc("team-2", &t2b);
    index.upsert(DocKind::Team, &doc, "fp-2").expect("upsert");
    let hits = index
        .retrieve(DocKind::Team, &terms(&analyzer, "电池"), 10)
        .expect("retrieve");
    assert_eq!(hits.len(), 2);
    assert_eq!(index.num_docs(DocKind::Team), 2);
    index
        .delete(DocKind::Team, "team-1", "fp-3")
        .expect("delete");
    let hits = index
        .retrieve(DocKind::Team, &terms(&analyzer, "电池"), 10)
        .expect("retrieve");
    assert_eq!(
        hits.iter().map(|h| h.0).collect::<Vec<_>>(),
        [doc_key("team-2")]
    );
    assert_eq!(index.manifest().dataset_fingerprint, "fp-3");
    assert_eq!(index.manifest().teams, 1);
    drop(index);

    // Same fingerprint: reopened without calling docs(); another fingerprint: rebuilt.
    let (index, outcome) = TextIndex::open_or_build(
        dir.path(),
        &analyzer,
        "fp-3",
        || -> std::vec::IntoIter<(DocKind, IndexDoc<'static>)> { panic!("must not rebuild") },
        &mut |_| {},
    )
    .expect("reopen");
    assert_eq!(outcome, OpenOutcome::Reopened);
    assert_eq!(index.num_docs(DocKind::Team), 1);
    drop(index);
    let (index, outcome) =
        TextIndex::open_or_build(dir.path(), &analyzer, "fp-other", docs, &mut |_| {})
            .expect("rebuild");
    assert_eq!(outcome, OpenOutcome::Built);
    assert_eq!(index.num_docs(DocKind::Team), 2);
    assert_eq!(index.num_docs(DocKind::Demand), 1);
}

#[test]
fn field_boosts_and_term_weights_order_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let analyzer = Analyzer::shared();
    let a = doc_tokens(&analyzer, &[("keywords", "碳化硅")]);
    let b = doc_tokens(&analyzer, &[("description", "碳化硅")]);
    let docs = vec![
        (
            DocKind::Team,
            IndexDoc {
                id: "a",
                fields: a
                    .iter()
                    .map(|(f, t)| FieldTokens {
                        field: f,
                        tokens: t,
                    })
                    .collect(),
            },
        ),
        (
            DocKind::Team,
            IndexDoc {
                id: "b",
                fields: b
                    .iter()
                    .map(|(f, t)| FieldTokens {
                        field: f,
                        tokens: t,
                    })
                    .collect(),
            },
        ),
    ];
    let index = TextIndex::build(dir.path(), &analyzer, "fp", docs.into_iter(), &mut |_| {})
        .expect("build");
    let hits = index
        .retrieve(DocKind::Team, &[("碳化硅".to_owned(), 1.0)], 10)
        .expect("retrieve");
    assert_eq!(
        hits.iter().map(|h| h.0).collect::<Vec<_>>(),
        [doc_key("a"), doc_key("b")]
    );
    assert!(hits[0].1 > hits[1].1);
    let empty = index.retrieve(DocKind::Team, &[], 10).expect("retrieve");
    assert!(empty.is_empty());
}

#[test]
fn tokenizer_matches_the_analyzer() {
    let analyzer = Analyzer::shared();
    let mut tokenizer = SgTokenizer::new(analyzer.clone());
    let text = "SiC功率器件 for batteries";
    let mut stream = tokenizer.token_stream(text);
    let mut got = Vec::new();
    while stream.advance() {
        got.push(stream.token().text.clone());
    }
    assert_eq!(got, analyzer.terms(text));

    // The index's own tokenizer gives back exactly the analyzer's terms from their joined form.
    let mut terms = TermsTokenizer::default();
    for text in [
        text,
        "动力电池热失控预警，锂离子电池安全状态在线监测。",
        "COVID-19疫情下的β-分泌酶研究，版本v2.0",
        "",
    ] {
        let want = analyzer.terms(text);
        let joined = join_terms(want.iter().map(String::as_str));
        let mut stream = terms.token_stream(&joined);
        let mut got = Vec::new();
        let mut positions = Vec::new();
        while stream.advance() {
            got.push(stream.token().text.clone());
            positions.push(stream.token().position);
        }
        assert_eq!(got, want);
        assert_eq!(positions, (0..want.len()).collect::<Vec<_>>());
    }
}

#[test]
fn snippets_mark_matched_terms() {
    let analyzer = Analyzer::shared();
    let terms: HashSet<String> = ["热失控".to_owned(), "预警".to_owned()].into();
    let s = highlight(
        &analyzer,
        "针对储能电站，研究电池热失控早期预警方法。",
        &terms,
        100,
    );
    assert_eq!(
        s.html,
        "针对储能电站，研究电池<mark>热失控</mark>早期<mark>预警</mark>方法。"
    );
    let long = format!(
        "{}热失控预警{}",
        "无关内容。".repeat(40),
        "其他内容。".repeat(40)
    );
    let s = highlight(&analyzer, &long, &terms, 30);
    assert!(s.text.chars().count() <= 30);
    assert!(s.html.contains("<mark>热失控预警</mark>"), "{}", s.html);
    let s = highlight(&analyzer, "a < b & c", &HashSet::new(), 100);
    assert_eq!(s.html, "a &lt; b &amp; c");
}
