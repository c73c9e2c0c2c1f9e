//! `shuanggao train DATA --qrels FILE` on a small generated dataset: before/after measures on the fit and
//! held-out halves are printed, and the weights written to `scoring.toml` load, sum to 1 and keep the
//! file's comments.

use std::path::Path;
use std::process::{Command, Output};

use shuanggao::generator;
use shuanggao::matching::{FEATURES, ScoringConfig, config};

/// Runs `shuanggao train DATA --qrels QRELS` in `dir`, with the models and the index under it, then the
/// `extra` arguments.
fn train(dir: &Path, data: &Path, qrels: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .arg("train")
        .arg(data)
        .arg("--qrels")
        .arg(qrels)
        .arg("--models-dir")
        .arg(dir.join("models"))
        .arg("--index-dir")
        .arg(dir.join("index"))
        .args(extra)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run shuanggao")
}

/// The nDCG@10 of a measure line such as `after   held-out ndcg@10=0.9123 mrr@10=…`.
fn ndcg_of(stdout: &str, prefix: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{stdout}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("ndcg@10="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no ndcg@10 in {line:?}"))
}

#[test]
fn train_with_qrels_refits_and_writes_weights_that_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    crate::support::generate_small(&data, 11);
    let models = dir.path().join("models");
    let qrels = data.join(generator::QRELS_FILE);
    // Small models and candidate lists keep the debug build quick.
    let quick = ["--dims", "32", "--k", "6", "--depth", "40"];
    let out = train(dir.path(), &data, &qrels, &quick);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for half in ["fit     ", "held-out"] {
        for when in ["before ", "after  "] {
            let v = ndcg_of(&stdout, &format!("{when} {half}"));
            assert!((0.0..=1.0).contains(&v), "{when} {half}: {v}");
        }
    }
    let (before, after) = (
        ndcg_of(&stdout, "before  held-out"),
        ndcg_of(&stdout, "after   held-out"),
    );
    // Every feature's weight is shown before and after.
    for f in FEATURES {
        assert!(
            stdout.lines().any(|l| l.trim_start().starts_with(f)),
            "{f} missing:\n{stdout}"
        );
    }
    // On this dataset the labels (same topic, same track) are learnable: the weights move and are kept.
    assert!(
        stdout.contains("weights written to"),
        "weights not written:\n{stdout}"
    );
    assert!(after >= before, "held-out {before} -> {after}");
    assert!(
        ndcg_of(&stdout, "after   fit") > ndcg_of(&stdout, "before  fit"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(models.join(config::SCORING_FILE)).expect("scoring.toml");
    let loaded = ScoringConfig::load(&models).expect("written weights load");
    let weights = loaded.weights.as_array();
    assert!(weights.iter().all(|w| *w >= 0.0), "{weights:?}");
    assert!(
        (weights.iter().sum::<f32>() - 1.0).abs() < 1e-5,
        "{weights:?}"
    );
    let shipped = ScoringConfig::parse(config::DEFAULT_SCORING).expect("shipped");
    assert_ne!(loaded.weights, shipped.weights);
    assert_eq!(
        (loaded.bm25, loaded.feedback, loaded.retrieval),
        (shipped.bm25, shipped.feedback, shipped.retrieval)
    );
    let comments = |t: &str| t.lines().filter(|l| l.starts_with('#')).count();
    assert_eq!(comments(&written), comments(config::DEFAULT_SCORING));

    // Refitting needs queries on both sides of the split: one query is refused as bad input.
    let one = dir.path().join("one.qrels");
    std::fs::write(&one, "d-0001 0 t-0001 1\n").expect("qrels");
    let out = train(dir.path(), &data, &one, &[]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(models.join(config::SCORING_FILE)).expect("kept"),
        written
    );
}
