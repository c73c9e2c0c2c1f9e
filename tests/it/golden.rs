//! `match --json --limit 5` on the shipped dataset, byte for byte: ten demands and ten teams whose rankings and
//! explanations must not change under a refactoring. When a change means to alter rankings or
//! explanations, regenerate the expected files with `SHUANGGAO_BLESS=1 cargo test golden` and review the
//! diff like any other change.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Spread over the files: first, last and between.
const DEMANDS: [&str; 10] = [
    "d-0001", "d-0137", "d-0288", "d-0415", "d-0566", "d-0731", "d-0909", "d-1102", "d-1377",
    "d-1600",
];
const TEAMS: [&str; 10] = [
    "t-0001", "t-0040", "t-0072", "t-0190", "t-0266", "t-0403", "t-0517", "t-0648", "t-0781",
    "t-0900",
];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn match_json(work: &Path, flag: &str, id: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .arg("match")
        .arg("--data")
        .arg(repo().join("datasets/jiangsu"))
        .args([flag, id, "--limit", "5", "--json", "--index-dir"])
        .arg(work.join("index"))
        .arg("--models-dir")
        .arg(work.join("models"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("run shuanggao match");
    assert!(
        out.status.success(),
        "match {flag} {id} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn match_json_is_unchanged_on_the_shipped_dataset() {
    let work = tempfile::tempdir().unwrap();
    let mut actual = String::new();
    for id in DEMANDS {
        actual.push_str(&format!(
            "== demand {id}\n{}",
            match_json(work.path(), "--demand", id)
        ));
    }
    for id in TEAMS {
        actual.push_str(&format!(
            "== team {id}\n{}",
            match_json(work.path(), "--team", id)
        ));
    }
    let expected_path = repo().join("tests/golden/match.txt");
    if std::env::var_os("SHUANGGAO_BLESS").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).expect("tests/golden/match.txt");
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .map_or(actual.lines().count().min(expected.lines().count()), |i| i);
        panic!(
            "match --json differs from tests/golden/match.txt from line {}:\n  got:      {:?}\n  expected: {:?}",
            line + 1,
            actual.lines().nth(line),
            expected.lines().nth(line)
        );
    }
}
