//! Unit tests of the dataset contract: parsing, checks, problem messages, calendar.

use super::calendar::year_of_day;
use super::*;
use crate::domain::{Demand, Team, Track, University, Zone};

fn team_problem(json: &str) -> String {
    match parse_record::<Team>(json) {
        Ok(_) => "ok".to_owned(),
        Err(p) => p.to_string(),
    }
}

#[test]
fn parse_problems_name_the_field() {
    let base = r#""id":"t","university_id":"u","name":"n""#;
    assert_eq!(
        team_problem(&format!("{{{base},\"nmae\":1}}")),
        "nmae: unknown field"
    );
    assert_eq!(
        team_problem(&format!(
            "{{{base},\"leader\":{{\"name\":\"x\",\"titel\":\"y\"}}}}"
        )),
        "leader.titel: unknown field"
    );
    assert_eq!(
        team_problem(r#"{"id":"t","name":"n"}"#),
        "university_id: missing required field"
    );
    assert_eq!(
        team_problem(&format!("{{{base},\"leader\":{{\"title\":\"y\"}}}}")),
        "leader.name: missing required field"
    );
    assert_eq!(
        team_problem(&format!(
            "{{{base},\"achievements\":[{{\"kind\":\"paper\",\"title\":\"a\"}},{{\"kind\":\"paper\",\"title\":\"b\",\"year\":\"2020\"}}]}}"
        )),
        "achievements[1].year: wrong type: expected an integer, found string \"2020\""
    );
    assert_eq!(
        team_problem(&format!("{{{base},\"capacity\":-2}}")),
        "capacity: must not be negative, found -2"
    );
    assert_eq!(
        team_problem(&format!(
            "{{{base},\"achievements\":[{{\"kind\":\"book\",\"title\":\"a\"}}]}}"
        )),
        "achievements[0].kind: unknown value \"book\", expected one of paper, patent, project, standard, award"
    );
    assert_eq!(
        team_problem(&format!("{{{base},\"id\":\"again\"}}")),
        "id: field appears twice"
    );
    assert_eq!(team_problem("{\"\""), "\"\": unknown field");
    assert_eq!(
        team_problem("[1]"),
        "-: wrong type: expected an object, found an array"
    );
    assert_eq!(
        team_problem(r#"{"id": "t""#),
        "-: malformed JSON: EOF while parsing an object (column 10)"
    );
    assert_eq!(
        team_problem(&format!("{{{base}}} x")),
        "-: malformed JSON: trailing characters (column 43)"
    );
}

#[test]
fn dates_must_exist() {
    assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
    assert_eq!(parse_date("2025-02-29"), None);
    assert_eq!(parse_date("2025-13-01"), None);
    assert_eq!(parse_date("2025-1-01"), None);
    assert_eq!(parse_date("1800-01-01"), None);
    assert_eq!(parse_date("２０２５-01-01"), None);
    assert_eq!(parse_date(""), None);
}

#[test]
fn civil_years() {
    assert_eq!(year_of_day(0), 1970);
    assert_eq!(year_of_day(-1), 1969);
    assert_eq!(year_of_day(20_454), 2026); // 2026-01-01
    assert_eq!(year_of_day(20_453), 2025);
}

#[test]
fn problems_display_is_capped() {
    let problems = Problems(
        (1..=103)
            .map(|line| {
                Problem::at(
                    TEAMS_FILE,
                    line,
                    FieldProblem::new("id", "must not be empty"),
                )
            })
            .collect(),
    );
    let text = problems.to_string();
    assert_eq!(text.lines().count(), 101);
    assert_eq!(
        text.lines().next(),
        Some("teams.jsonl:1: id: must not be empty")
    );
    assert_eq!(text.lines().last(), Some("... and 3 more problems"));
}

fn check_all<R: Record>(bytes: &[u8]) {
    let refs = Refs::default();
    let (records, problems, _) = parse_lines::<R>(bytes);
    for (_, record) in records {
        let _ = record.check(&refs);
    }
    for (line, problem) in problems {
        assert!(line >= 1 && !problem.field.is_empty() && !problem.message.is_empty());
    }
}

proptest::proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        check_all::<Track>(&bytes);
        check_all::<Zone>(&bytes);
        check_all::<University>(&bytes);
        check_all::<Team>(&bytes);
        check_all::<Demand>(&bytes);
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[{}\[\]":,0-9a-z_ .\-\n]{0,120}"#) {
        check_all::<Team>(text.as_bytes());
        check_all::<Demand>(text.as_bytes());
    }
}
