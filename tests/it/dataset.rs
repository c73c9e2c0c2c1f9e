//! The dataset contract end to end: every kind of defect is reported as the exact `FILE:LINE: FIELD:
//! message` line, valid datasets load and round-trip, the `validate` subcommand prints counts or problems
//! with the right exit code, and no input makes the loader panic.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use proptest::prelude::*;
use shuanggao::dataset::{self, DatasetError};
use shuanggao::domain::{Demand, Team};

const TRACKS: &str = r#"{"id": "c-ic", "name": "集成电路", "kind": "cluster", "keywords": ["芯片"]}
{"id": "ch-ic", "name": "集成电路（产业链）", "kind": "chain", "parent": "c-ic"}
"#;
const ZONES: &str = r#"{"id": "z-wuxi", "name": "无锡高新区", "city": "无锡", "industries": ["集成电路"], "track_ids": ["c-ic"], "funds": [{"name": "成果转化基金", "size_wan_yuan": 10000}]}
"#;
const UNIVERSITIES: &str = r#"{"id": "u-a", "name": "甲大学", "city": "南京", "kind": "research"}
{"id": "u-b", "name": "乙学院", "city": "无锡", "kind": "applied"}
"#;
const TEAMS: &str = r#"{"id": "t-1", "university_id": "u-a", "name": "封装团队", "description": "从事先进封装研究。"}
{"id": "t-2", "university_id": "u-b", "name": "测试团队", "achievements": [{"kind": "paper", "title": "晶圆测试方法", "year": 2020}]}
"#;
const DEMANDS: &str = r#"{"id": "d-1", "zone_id": "z-wuxi", "title": "封装翘曲控制", "track_ids": ["c-ic"], "budget_wan_yuan": 50, "deadline": "2027-06-30"}
"#;

/// A valid team line with `extra` fields spliced in (`extra` starts with a comma, or is empty).
fn team(id: &str, extra: &str) -> String {
    format!(
        r#"{{"id": "{id}", "university_id": "u-a", "name": "团队{id}", "description": "研究。"{extra}}}"#
    )
}

fn demand(extra: &str) -> String {
    format!(r#"{{"id": "d-9", "zone_id": "z-wuxi", "title": "需求"{extra}}}"#)
}

/// Writes the valid base dataset into a fresh temporary directory.
fn base_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (file, text) in [
        (dataset::TRACKS_FILE, TRACKS),
        (dataset::ZONES_FILE, ZONES),
        (dataset::UNIVERSITIES_FILE, UNIVERSITIES),
        (dataset::TEAMS_FILE, TEAMS),
        (dataset::DEMANDS_FILE, DEMANDS),
    ] {
        fs::write(dir.path().join(file), text).expect("write fixture");
    }
    dir
}

/// Replaces `file` of the dataset in `dir` by `text`.
fn replace(dir: &tempfile::TempDir, file: &str, text: impl AsRef<[u8]>) {
    fs::write(dir.path().join(file), text).expect("write");
}

/// What replaces one file of the base dataset.
enum Content {
    Text(String),
    Bytes(Vec<u8>),
    Missing,
}

/// Replaces `file` of the base dataset by `content` and asserts the exact problem lines.
fn check(file: &str, content: Content, expected: &[&str]) {
    let dir = base_dir();
    let path = dir.path().join(file);
    match content {
        Content::Text(text) => fs::write(&path, text).expect("write case"),
        Content::Bytes(bytes) => fs::write(&path, bytes).expect("write case"),
        Content::Missing => fs::remove_file(&path).expect("remove file"),
    }
    let problems: Vec<String> = match dataset::load(dir.path()) {
        Ok(_) => Vec::new(),
        Err(err) => err.problems().iter().map(ToString::to_string).collect(),
    };
    assert_eq!(problems, expected, "case in {file}");
}

fn lines(lines: &[String]) -> Content {
    Content::Text(lines.join("\n") + "\n")
}

#[test]
fn base_dataset_is_valid_and_round_trips() {
    let dir = base_dir();
    let ds = dataset::load(dir.path()).expect("base dataset is valid");
    assert_eq!(ds.tracks.len(), 2);
    assert_eq!(ds.teams[1].capacity, 3, "capacity defaults to 3");
    let out = tempfile::tempdir().expect("temporary directory");
    dataset::write(out.path(), &ds).expect("write");
    let again = dataset::load(out.path()).expect("written dataset is valid");
    assert_eq!(again, ds);
    let second = tempfile::tempdir().expect("temporary directory");
    dataset::write(second.path(), &again).expect("write");
    for file in dataset::FILES {
        let a = fs::read(out.path().join(file)).expect("read");
        let b = fs::read(second.path().join(file)).expect("read");
        assert_eq!(a, b, "{file} is written deterministically");
    }
}

#[test]
fn tracks_file_is_optional_and_blank_lines_and_crlf_are_allowed() {
    let dir = base_dir();
    fs::remove_file(dir.path().join(dataset::TRACKS_FILE)).expect("remove");
    let zones = ZONES.replace(r#", "track_ids": ["c-ic"]"#, "");
    replace(
        &dir,
        dataset::ZONES_FILE,
        format!("\n  \n{}", zones.replace('\n', "\r\n")),
    );
    replace(
        &dir,
        dataset::DEMANDS_FILE,
        format!("\u{feff}{}", demand("")),
    );
    let ds = dataset::load(dir.path()).expect("valid without tracks");
    assert!(ds.tracks.is_empty());
    assert_eq!(ds.zones.len(), 1);
}

#[test]
fn every_defect_is_reported_at_its_line_and_field() {
    let max = dataset::max_year();
    let five_good: Vec<String> = (1..=6).map(|i| team(&format!("t-{i}"), "")).collect();
    let with_line_7 = |bad: String| {
        let mut all = five_good.clone();
        all.push(bad);
        lines(&all)
    };

    // Malformed JSON, encoding, shape.
    check(
        dataset::TEAMS_FILE,
        Content::Text("{\"id\": \"t-1\", \"university_id\": \"u-a\"\n".to_owned()),
        &["teams.jsonl:1: -: malformed JSON: EOF while parsing an object (column 36)"],
    );
    check(
        dataset::TEAMS_FILE,
        Content::Text(format!("{} trailing\n", team("t-1", ""))),
        &["teams.jsonl:1: -: malformed JSON: trailing characters (column 78)"],
    );
    check(
        dataset::TEAMS_FILE,
        Content::Bytes([team("t-1", "").as_bytes(), b"\n{\"id\": \"t-\xff\"}\n"].concat()),
        &["teams.jsonl:2: -: not valid UTF-8 (byte 11)"],
    );
    check(
        dataset::TEAMS_FILE,
        Content::Text("\n[\"t-1\", \"u-a\", \"名\"]\n".to_owned()),
        &["teams.jsonl:2: -: wrong type: expected an object, found an array"],
    );
    // Unknown, missing and mistyped fields, at any depth.
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", r#", "nmae": "x""#)]),
        &["teams.jsonl:1: nmae: unknown field"],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team(
            "t-1",
            r#", "leader": {"name": "王明", "honours": []}"#,
        )]),
        &["teams.jsonl:1: leader.honours: unknown field"],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[r#"{"id": "t-1", "name": "团队", "description": "研究。"}"#.to_owned()]),
        &["teams.jsonl:1: university_id: missing required field"],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", r#", "achievements": [{"title": "论文"}]"#)]),
        &["teams.jsonl:1: achievements[0].kind: missing required field"],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", r#", "capacity": "3""#)]),
        &[
            "teams.jsonl:1: capacity: wrong type: expected a non-negative integer, found string \"3\"",
        ],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team(
            "t-1",
            r#", "achievements": [{"kind": "paper", "title": "a"}, {"kind": "paper", "title": "b", "year": "2020"}]"#,
        )]),
        &[
            "teams.jsonl:1: achievements[1].year: wrong type: expected an integer, found string \"2020\"",
        ],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", r#", "keywords": "封装""#)]),
        &["teams.jsonl:1: keywords: wrong type: expected an array, found string \"封装\""],
    );
    check(
        dataset::TRACKS_FILE,
        Content::Text(r#"{"id": "c-ic", "name": "集成电路", "kind": "industry"}"#.to_owned()),
        &[
            "tracks.jsonl:1: kind: unknown value \"industry\", expected one of cluster, chain, future",
        ],
    );
    // Empty text.
    check(
        dataset::TEAMS_FILE,
        lines(&[
            r#"{"id": "t-1", "university_id": "u-a", "name": " ", "description": "研究。"}"#
                .to_owned(),
        ]),
        &["teams.jsonl:1: name: must not be empty"],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[r#"{"id": "t-1", "university_id": "u-a", "name": "团队"}"#.to_owned()]),
        &[
            "teams.jsonl:1: description: a team needs a description or at least one achievement with text",
        ],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team(
            "t-1",
            r#", "achievements": [{"kind": "patent", "title": "", "abstract": "  "}]"#,
        )]),
        &["teams.jsonl:1: achievements[0]: needs a non-empty title or abstract"],
    );
    check(
        dataset::DEMANDS_FILE,
        lines(&[r#"{"id": "", "zone_id": "z-wuxi", "title": "需求"}"#.to_owned()]),
        &["demands.jsonl:1: id: must not be empty"],
    );
    // Duplicate ids.
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", ""), String::new(), team("t-1", "")]),
        &["teams.jsonl:3: id: duplicate id \"t-1\" (first on line 1)"],
    );
    // Dangling references.
    check(
        dataset::TEAMS_FILE,
        with_line_7(r#"{"id": "t-7", "university_id": "u-nowhere", "name": "团队", "description": "研究。"}"#.to_owned()),
        &["teams.jsonl:7: university_id: unknown university \"u-nowhere\""],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", r#", "track_ids": ["c-ic", "c-nowhere"]"#)]),
        &["teams.jsonl:1: track_ids[1]: unknown track \"c-nowhere\""],
    );
    check(
        dataset::DEMANDS_FILE,
        lines(&[r#"{"id": "d-1", "zone_id": "z-nowhere", "title": "需求"}"#.to_owned()]),
        &["demands.jsonl:1: zone_id: unknown zone \"z-nowhere\""],
    );
    check(
        dataset::DEMANDS_FILE,
        lines(&[demand(r#", "excluded_university_ids": ["u-a", "u-x"]"#)]),
        &["demands.jsonl:1: excluded_university_ids[1]: unknown university \"u-x\""],
    );
    check(
        dataset::TRACKS_FILE,
        Content::Text(TRACKS.replace(r#""parent": "c-ic""#, r#""parent": "c-x""#)),
        &["tracks.jsonl:2: parent: unknown track \"c-x\""],
    );
    check(
        dataset::TRACKS_FILE,
        Content::Text(format!(
            "{}{}",
            TRACKS.replace(
                r#""kind": "cluster","#,
                r#""kind": "cluster", "parent": "ch-ic","#
            ),
            ""
        )),
        &[
            "tracks.jsonl:1: parent: parent chain of \"c-ic\" loops back to itself",
            "tracks.jsonl:2: parent: parent chain of \"ch-ic\" loops back to itself",
        ],
    );
    // Impossible years and dates.
    check(
        dataset::TEAMS_FILE,
        lines(&[team(
            "t-1",
            r#", "achievements": [{"kind": "paper", "title": "a", "year": 1850}]"#,
        )]),
        &[&format!(
            "teams.jsonl:1: achievements[0].year: impossible year 1850 (expected 1900 to {max})"
        )],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team(
            "t-1",
            r#", "achievements": [{"kind": "award", "title": "a"}, {"kind": "paper", "title": "b", "year": 3000}]"#,
        )]),
        &[&format!(
            "teams.jsonl:1: achievements[1].year: impossible year 3000 (expected 1900 to {max})"
        )],
    );
    check(
        dataset::DEMANDS_FILE,
        lines(&[demand(r#", "deadline": "2025-02-30""#)]),
        &[
            "demands.jsonl:1: deadline: impossible date \"2025-02-30\" (expected a calendar date YYYY-MM-DD)",
        ],
    );
    check(
        dataset::DEMANDS_FILE,
        lines(&[demand(r#", "deadline": "30/06/2027""#)]),
        &[
            "demands.jsonl:1: deadline: impossible date \"30/06/2027\" (expected a calendar date YYYY-MM-DD)",
        ],
    );
    // Negative and zero numbers.
    check(
        dataset::DEMANDS_FILE,
        lines(&[demand(r#", "budget_wan_yuan": -5"#)]),
        &["demands.jsonl:1: budget_wan_yuan: must not be negative, found -5"],
    );
    check(
        dataset::ZONES_FILE,
        Content::Text(ZONES.replace("10000", "-1.5")),
        &["zones.jsonl:1: funds[0].size_wan_yuan: must not be negative, found -1.5"],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", r#", "capacity": -1"#)]),
        &["teams.jsonl:1: capacity: must not be negative, found -1"],
    );
    check(
        dataset::TEAMS_FILE,
        lines(&[team("t-1", r#", "capacity": 0, "members": 0"#)]),
        &[
            "teams.jsonl:1: capacity: must be at least 1, found 0",
            "teams.jsonl:1: members: must be at least 1, found 0",
        ],
    );
    // Missing required files.
    check(
        dataset::DEMANDS_FILE,
        Content::Missing,
        &["demands.jsonl:0: -: missing required file"],
    );
    check(
        dataset::UNIVERSITIES_FILE,
        Content::Missing,
        &[
            "universities.jsonl:0: -: missing required file",
            "teams.jsonl:1: university_id: unknown university \"u-a\"",
            "teams.jsonl:2: university_id: unknown university \"u-b\"",
        ],
    );
}

#[test]
fn problems_of_all_files_are_collected_in_file_and_line_order() {
    let dir = base_dir();
    replace(
        &dir,
        dataset::DEMANDS_FILE,
        demand(r#", "budget_wan_yuan": -1"#),
    );
    replace(
        &dir,
        dataset::TEAMS_FILE,
        [
            team("t-1", r#", "nmae": 1"#),
            team("t-2", ""),
            team("t-2", ""),
        ]
        .join("\n"),
    );
    let err = dataset::load(dir.path()).expect_err("invalid");
    assert_eq!(err.code(), "invalid_dataset");
    let text = err.to_string();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "teams.jsonl:1: nmae: unknown field",
            "teams.jsonl:3: id: duplicate id \"t-2\" (first on line 2)",
            "demands.jsonl:1: budget_wan_yuan: must not be negative, found -1",
        ]
    );
}

#[test]
fn a_broken_line_does_not_cascade_into_dangling_references() {
    let dir = base_dir();
    replace(
        &dir,
        dataset::UNIVERSITIES_FILE,
        r#"{"id": "u-a", "name": "甲大学", "city": "南京", "kind": "college"}
{"id": "u-b", "name": "乙学院", "city": "无锡"}"#,
    );
    let err = dataset::load(dir.path()).expect_err("invalid");
    let problems: Vec<String> = err.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        ["universities.jsonl:1: kind: unknown value \"college\", expected research or applied"]
    );
}

#[test]
fn more_than_a_hundred_problems_are_summarised() {
    let dir = base_dir();
    let teams: Vec<String> = (0..150)
        .map(|i| team(&format!("t-{i}"), r#", "capacity": 0"#))
        .collect();
    replace(&dir, dataset::TEAMS_FILE, teams.join("\n"));
    let err = dataset::load(dir.path()).expect_err("invalid");
    assert_eq!(err.problems().len(), 150);
    let text = err.to_string();
    assert_eq!(text.lines().count(), 101);
    assert_eq!(text.lines().last(), Some("... and 50 more problems"));
}

#[test]
fn single_records_are_validated_against_a_dataset() {
    let ds = dataset::load(base_dir().path()).expect("valid");
    let ok = dataset::validate_record::<Team>(&team("t-new", r#", "track_ids": ["ch-ic"]"#), &ds)
        .expect("valid team");
    assert_eq!(ok.id.as_str(), "t-new");
    let problems = dataset::validate_record::<Demand>(
        r#"{"id": "d-2", "zone_id": "z-x", "title": "", "budget_wan_yuan": -3}"#,
        &ds,
    )
    .expect_err("invalid demand");
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "zone_id: unknown zone \"z-x\"",
            "title: must not be empty",
            "budget_wan_yuan: must not be negative, found -3"
        ]
    );
    let value = serde_json::json!({"id": "t-3", "university_id": "u-a", "name": "团队", "achievements": [{"kind": "paper"}]});
    let problems = dataset::validate_record_value::<Team>(value, &ds).expect_err("invalid team");
    assert_eq!(
        problems[0].to_string(),
        "achievements[0]: needs a non-empty title or abstract"
    );
    let parse =
        dataset::validate_record_value::<Team>(serde_json::json!(["t-3"]), &ds).expect_err("array");
    assert_eq!(
        parse[0].to_string(),
        "-: wrong type: expected an object, found an array"
    );
}

/// Runs `shuanggao validate DIR`.
fn validate(dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .arg("validate")
        .arg(dir)
        .output()
        .expect("run shuanggao")
}

#[test]
fn validate_rejects_a_dangling_university_on_line_7_with_exit_code_2() {
    let dir = base_dir();
    let mut teams: Vec<String> = (1..=6).map(|i| team(&format!("t-{i}"), "")).collect();
    teams.push(
        r#"{"id": "t-7", "university_id": "u-nowhere", "name": "团队", "description": "研究。"}"#
            .to_owned(),
    );
    replace(&dir, dataset::TEAMS_FILE, teams.join("\n"));
    let output = validate(dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.trim_end(),
        "teams.jsonl:7: university_id: unknown university \"u-nowhere\""
    );
}

#[test]
fn validate_prints_one_count_per_file() {
    let dir = base_dir();
    let output = validate(dir.path());
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "tracks.jsonl: 2 tracks (1 cluster, 1 chain, 0 future)\nzones.jsonl: 1 zones\nuniversities.jsonl: 2 universities\nteams.jsonl: 2 teams\ndemands.jsonl: 1 demands\n"
    );
}

/// A dataset shipped or provided next to the repository, or `None` (with a note) when it is absent.
fn external(relative: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if dir.join(dataset::TEAMS_FILE).exists() {
        Some(dir)
    } else {
        println!("note: {} is absent, skipping", dir.display());
        None
    }
}

#[test]
fn the_external_csl_dev_dataset_is_accepted_as_is() {
    let Some(dir) = external("../shared/eval/csl-dev") else {
        return;
    };
    let ds = dataset::load(&dir).unwrap_or_else(|err| panic!("csl-dev must validate:\n{err}"));
    assert_eq!(ds.teams.len(), 1000);
    assert_eq!(ds.demands.len(), 2000);
}

#[test]
fn the_shipped_jiangsu_dataset_is_valid_and_complete() {
    let Some(dir) = external("datasets/jiangsu") else {
        return;
    };
    let ds =
        dataset::load(&dir).unwrap_or_else(|err| panic!("datasets/jiangsu must validate:\n{err}"));
    assert_eq!(ds.zones.len(), 18);
    assert!(ds.universities.len() >= 40);
    assert!(ds.teams.len() >= 800);
    assert!(ds.demands.len() >= 1500);
    // The future industries "10 + X" of 苏政发〔2023〕104号, each a future track of its own.
    let future: Vec<&str> = ds
        .tracks
        .iter()
        .filter(|t| t.kind == shuanggao::domain::TrackKind::Future)
        .map(|t| t.name.as_str())
        .collect();
    for name in [
        "第三代半导体",
        "未来网络",
        "氢能",
        "新型储能",
        "细胞和基因技术",
        "合成生物",
        "通用智能",
        "虚拟现实",
        "前沿新材料",
        "零碳负碳",
        "量子科技",
        "深海深地空天",
        "类人机器人",
        "先进核能",
    ] {
        assert!(
            future.iter().any(|f| f.starts_with(name)),
            "future track {name} missing from {future:?}"
        );
    }
    let future_tracks = ds
        .tracks
        .iter()
        .filter(|t| t.kind == shuanggao::domain::TrackKind::Future);
    crate::support::assert_tracks_covered(&ds, future_tracks);
}

/// Mutations of valid contract lines, to feed the loader things that are almost right.
fn mutated_line() -> impl Strategy<Value = Vec<u8>> {
    let valid = prop::sample::select(vec![
        team(
            "t-1",
            r#", "achievements": [{"kind": "paper", "title": "论文", "year": 2020}], "capacity": 2"#,
        ),
        TEAMS.lines().nth(1).unwrap_or_default().to_owned(),
        demand(
            r#", "budget_wan_yuan": 12.5, "deadline": "2027-01-31", "enterprise": {"name": "公司"}"#,
        ),
    ]);
    (valid, any::<usize>(), any::<u8>(), 0..4u8).prop_map(|(line, at, byte, how)| {
        let mut bytes = line.into_bytes();
        let at = at % (bytes.len() + 1);
        match how {
            0 => bytes.truncate(at),
            1 => bytes.insert(at, byte),
            2 if at < bytes.len() => bytes[at] = byte,
            _ => {
                if at < bytes.len() {
                    bytes.remove(at);
                }
            }
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_loader_never_panics(
        teams in prop::collection::vec(prop_oneof![mutated_line(), prop::collection::vec(any::<u8>(), 0..80)], 0..6),
        demands in prop::collection::vec(mutated_line(), 0..4),
    ) {
        let dir = base_dir();
        replace(&dir, dataset::TEAMS_FILE, teams.join(&b'\n'));
        replace(&dir, dataset::DEMANDS_FILE, demands.join(&b'\n'));
        match dataset::load(dir.path()) {
            Ok(_) => {}
            Err(DatasetError::Invalid(problems)) => {
                for problem in problems.as_slice() {
                    prop_assert!(!problem.field.is_empty());
                    prop_assert!(!problem.message.is_empty());
                }
            }
            Err(err) => prop_assert!(false, "unexpected error {err}"),
        }
    }
}
