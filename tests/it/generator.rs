//! The generator end to end: same seed gives the same bytes, output validates, the planted judgements
//! point at real records, zones get demands in each of their tracks, and larger instances synthesise zones
//! and universities.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::path::Path;

use shuanggao::dataset;
use shuanggao::generator::{self, Material, Params};

const FILES: [&str; 6] = [
    dataset::TRACKS_FILE,
    dataset::ZONES_FILE,
    dataset::UNIVERSITIES_FILE,
    dataset::TEAMS_FILE,
    dataset::DEMANDS_FILE,
    generator::QRELS_FILE,
];

fn generate(params: &Params) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let material = Material::embedded().expect("embedded material is valid");
    generator::generate(&material, params, dir.path()).expect("generate");
    dir
}

fn small(seed: u64) -> Params {
    Params {
        seed,
        teams: 150,
        demands: 300,
        ..Params::default()
    }
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    fs::read(dir.join(file)).expect("read output")
}

#[test]
fn same_seed_same_bytes_other_seed_other_records() {
    let a = generate(&small(7));
    let b = generate(&small(7));
    for file in FILES {
        assert_eq!(
            read(a.path(), file),
            read(b.path(), file),
            "{file} differs between two runs"
        );
    }
    let c = generate(&small(8));
    assert_ne!(
        read(a.path(), dataset::TEAMS_FILE),
        read(c.path(), dataset::TEAMS_FILE)
    );
    assert_ne!(
        read(a.path(), dataset::DEMANDS_FILE),
        read(c.path(), dataset::DEMANDS_FILE)
    );
}

#[test]
fn generated_datasets_validate_and_qrels_point_at_real_records() {
    let dir = generate(&small(3));
    let ds =
        dataset::load(dir.path()).unwrap_or_else(|err| panic!("generated dataset invalid:\n{err}"));
    assert_eq!((ds.teams.len(), ds.demands.len()), (150, 300));
    let teams: BTreeMap<&str, &shuanggao::domain::Team> =
        ds.teams.iter().map(|t| (t.id.as_str(), t)).collect();
    let demands: BTreeMap<&str, &shuanggao::domain::Demand> =
        ds.demands.iter().map(|d| (d.id.as_str(), d)).collect();
    let qrels = String::from_utf8(read(dir.path(), generator::QRELS_FILE)).expect("utf-8");
    let mut judged = BTreeSet::new();
    let mut grades = [0usize; 3];
    for line in qrels.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        assert_eq!(parts.len(), 4, "qrels line {line}");
        assert_eq!(parts[1], "0");
        let demand = demands
            .get(parts[0])
            .unwrap_or_else(|| panic!("unknown demand in {line}"));
        let team = teams
            .get(parts[2])
            .unwrap_or_else(|| panic!("unknown team in {line}"));
        let grade: usize = parts[3].parse().expect("grade");
        assert!(grade == 1 || grade == 2, "grade in {line}");
        grades[grade] += 1;
        // Planted pairs share the topic's primary track, listed first on both sides.
        assert_eq!(demand.track_ids[0], team.track_ids[0], "{line}");
        judged.insert(parts[0]);
    }
    assert_eq!(judged.len(), 300, "small runs judge every demand");
    assert!(
        grades[2] > 0 && grades[1] > 0,
        "both grades planted: {grades:?}"
    );
}

#[test]
fn every_zone_gets_ten_demands_in_each_of_its_tracks_at_the_default_size() {
    let dir = generate(&Params::default());
    let ds =
        dataset::load(dir.path()).unwrap_or_else(|err| panic!("generated dataset invalid:\n{err}"));
    for zone in &ds.zones {
        for track in &zone.track_ids {
            let count = ds
                .demands
                .iter()
                .filter(|d| d.zone_id == zone.id && d.track_ids.contains(track))
                .count();
            assert!(count >= 10, "{} has {count} demands in {track}", zone.id);
        }
    }
    let used: HashSet<&str> = ds.teams.iter().map(|t| t.university_id.as_str()).collect();
    for university in &ds.universities {
        assert!(
            used.contains(university.id.as_str()),
            "no team at {}",
            university.id
        );
    }
    crate::support::assert_tracks_covered(&ds, &ds.tracks);
}

#[test]
fn larger_instances_synthesise_zones_and_universities() {
    let params = Params {
        seed: 11,
        teams: 200,
        demands: 200,
        zones: Some(40),
        universities: Some(90),
    };
    let dir = generate(&params);
    let ds =
        dataset::load(dir.path()).unwrap_or_else(|err| panic!("generated dataset invalid:\n{err}"));
    assert_eq!((ds.zones.len(), ds.universities.len()), (40, 90));
    let zone_names: HashSet<&str> = ds.zones.iter().map(|z| z.name.as_str()).collect();
    let university_names: HashSet<&str> = ds.universities.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(zone_names.len(), 40, "zone names are unique");
    assert_eq!(university_names.len(), 90, "university names are unique");
    assert!(
        ds.demands
            .iter()
            .any(|d| d.zone_id.as_str().starts_with("z-x"))
    );
    assert!(
        ds.teams
            .iter()
            .any(|t| t.university_id.as_str().starts_with("u-x"))
    );
}

#[test]
fn texts_vary_within_a_topic() {
    let dir = generate(&small(5));
    let ds = dataset::load(dir.path()).expect("valid");
    // No sentence is shared by most team profiles or most demand descriptions.
    for (what, texts) in [
        (
            "team",
            ds.teams
                .iter()
                .map(|t| t.description.as_str())
                .collect::<Vec<_>>(),
        ),
        (
            "demand",
            ds.demands
                .iter()
                .map(|d| d.description.as_str())
                .collect::<Vec<_>>(),
        ),
    ] {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for text in &texts {
            for sentence in text.split_terminator('。').collect::<BTreeSet<_>>() {
                *counts.entry(sentence).or_default() += 1;
            }
        }
        let (sentence, most) = counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(s, n)| (*s, *n))
            .unwrap_or_default();
        assert!(
            most * 10 < texts.len(),
            "{what} sentence repeated {most} times: {sentence}"
        );
    }
    // Teams of one topic do not all list the same achievements.
    let titles: HashSet<&str> = ds
        .teams
        .iter()
        .flat_map(|t| t.achievements.iter().map(|a| a.title.as_str()))
        .collect();
    let total: usize = ds.teams.iter().map(|t| t.achievements.len()).sum();
    assert!(
        titles.len() * 2 > total,
        "{} distinct titles of {total}",
        titles.len()
    );
}

#[test]
fn material_from_parts_drives_the_generator() {
    let tracks = r#"{"id": "f-storage", "name": "新型储能", "kind": "future"}"#;
    let zones = r#"{"id": "z-a", "name": "甲高新区", "city": "常州", "industries": ["储能"], "track_ids": ["f-storage"]}"#;
    let universities =
        r#"{"id": "u-a", "name": "甲大学", "city": "南京", "disciplines": ["电气工程"]}"#;
    let topic = r#"[{"id": "storage-safety", "track_id": "f-storage", "name": "储能电池安全监测", "disciplines": ["电气工程"],
      "team": {"fields": ["电池安全", "状态估计"], "directions": ["锂离子电池安全状态在线监测研究"], "methods": ["电化学阻抗谱", "多物理场建模"],
               "objects": ["锂离子电池"], "problems": ["内短路早期特征微弱"], "results": ["内短路识别准确率达到97.6%"],
               "papers": [{"title": "锂离子电池内短路在线辨识", "abstract": "提出在线辨识方法。"}], "patents": [], "platforms": [],
               "keywords": ["热失控", "内短路"]},
      "demand": {"titles": ["动力电池热失控预警"], "pains": ["报警太晚"], "goals": ["提前预警"], "indicators": ["提前量不少于30分钟"],
                 "scenarios": ["储能柜"], "keywords": ["热失控预警"], "enterprise_kinds": ["储能系统集成商"]}}]"#;
    let with_affinity = |affinity: &str| {
        Material::from_parts(
            tracks,
            zones,
            universities,
            &[("fixture.json", topic)],
            affinity,
        )
    };
    let material = with_affinity(r#"{"u-a": ["f-storage"]}"#).expect("fixture material");
    let dir = tempfile::tempdir().expect("temporary directory");
    let summary = generator::generate(
        &material,
        &Params {
            seed: 1,
            teams: 20,
            demands: 30,
            ..Params::default()
        },
        dir.path(),
    )
    .expect("generate");
    assert_eq!(
        summary.qrels_lines,
        30 * 20,
        "one topic: every pair is planted"
    );
    let ds = dataset::load(dir.path()).unwrap_or_else(|err| panic!("invalid:\n{err}"));
    assert!(ds.demands.iter().all(|d| d.zone_id.as_str() == "z-a"));

    let broken = with_affinity(r#"{"u-x": ["f-storage"]}"#);
    assert_eq!(
        broken.expect_err("unknown university").code(),
        "invalid_gen_material"
    );
}

#[test]
fn the_shipped_teams_demands_and_qrels_are_the_generator_output_for_seed_2025() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/jiangsu");
    let fresh = generate(&Params::default());
    for file in [
        dataset::TEAMS_FILE,
        dataset::DEMANDS_FILE,
        generator::QRELS_FILE,
    ] {
        assert!(
            read(&shipped, file) == read(fresh.path(), file),
            "datasets/jiangsu/{file} is stale: regenerate it as datasets/README.md describes"
        );
    }
}
