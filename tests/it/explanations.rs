//! Explanations as a zone manager reads them, over shipped demands (whole words only, no track ids, at most
//! eight terms by contribution, features and clusters in Chinese, one 0–100 匹配度 with its label), and
//! search that puts whole-word matches before hits that share only characters.

use std::path::Path;

use serde_json::json;
use shuanggao::dataset;
use shuanggao::domain::{Dataset, Demand};
use shuanggao::matching::{Degree, DocKind, OpenOptions};

use crate::support;

#[test]
fn fifty_shipped_demands_explain_in_whole_words_and_chinese_labels() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = dataset::load(&repo.join("datasets/jiangsu")).expect("shipped dataset");
    let track_ids: Vec<String> = data.tracks.iter().map(|t| t.id.0.clone()).collect();
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = support::open_engine(data.clone(), dir.path(), &OpenOptions::default());
    let step = data.demands.len() / 50;
    let mut shown = 0;
    for d in data.demands.iter().step_by(step.max(1)).take(50) {
        for m in engine.teams_for_demand(&d.id, 5).expect("ranked") {
            let ex = &m.explanation;
            assert!(
                ex.matched_terms.len() <= 8,
                "{}: {:?}",
                d.id,
                ex.matched_terms
            );
            for w in ex.matched_terms.windows(2) {
                assert!(w[0].weight >= w[1].weight, "{}: not by contribution", d.id);
            }
            for t in &ex.matched_terms {
                assert!(
                    t.term.chars().count() >= 2,
                    "{}: single character {:?}",
                    d.id,
                    t.term
                );
                assert!(
                    !track_ids.contains(&t.term),
                    "{}: track id {:?}",
                    d.id,
                    t.term
                );
                shown += 1;
            }
            for c in &ex.contributions {
                assert!(
                    c.label.chars().all(|ch| !ch.is_ascii_alphabetic()),
                    "feature {} reads {:?}",
                    c.feature,
                    c.label
                );
            }
            if let Some(cluster) = &ex.cluster {
                for id in &track_ids {
                    assert!(
                        !cluster.label.contains(id.as_str()),
                        "cluster reads {:?}",
                        cluster.label
                    );
                }
                for part in cluster.label.split(['：', '、']) {
                    assert!(
                        part.chars().count() >= 2,
                        "cluster reads {:?}",
                        cluster.label
                    );
                }
            }
            assert_eq!(ex.degree, Degree::of(m.score));
            assert!(
                ex.summary.contains(&format!("匹配度{}", ex.degree.label)),
                "{}",
                ex.summary
            );
            for id in &track_ids {
                assert!(!ex.summary.contains(id.as_str()), "{}", ex.summary);
            }
        }
    }
    assert!(shown > 100, "only {shown} terms shown");
}

fn demand(id: &str, title: &str, description: &str) -> Demand {
    serde_json::from_value(json!({
        "id": id, "zone_id": "z1", "title": title, "description": description,
        "track_ids": ["f-storage"]
    }))
    .unwrap()
}

#[test]
fn a_whole_word_match_outranks_one_that_shares_only_characters() {
    let mut data: Dataset = support::dataset();
    data.demands = vec![
        demand(
            "d-nitride",
            "氮化硅陶瓷基板",
            "氮化硅陶瓷基板烧结致密化，氮化硅粉体国产化，氮化硅轴承球，碳化炉改造",
        ),
        demand(
            "d-concrete",
            "混凝土碳化养护",
            "混凝土碳化养护工艺，碳化深度检测，碳化窑温控，二氧化碳碳化固化",
        ),
        demand(
            "d-sic",
            "功率器件衬底开发",
            "本企业生产新能源汽车电驱系统，需要开发6英寸碳化硅衬底，降低微管密度，提升良率与一致性，\
             并配套外延工艺与晶圆检测能力，形成稳定的量产供应",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let (engine, _) = support::open_engine(data, dir.path(), &OpenOptions::default());
    let hits = engine.search("碳化硅", DocKind::Demand, 3).expect("search");
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids.first(), Some(&"d-sic"), "{hits:?}");
    let sic = &hits[0];
    assert!(
        hits[1..].iter().any(|h| h.score > sic.score),
        "the rule must be what puts d-sic first here, not BM25 alone: {hits:?}"
    );
}
