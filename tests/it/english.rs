//! The engine on English research text: teams whose achievements are English papers (titles and abstracts)
//! ranked against demands that are English paper abstracts on four topics (lithium-ion battery thermal
//! runaway, perovskite solar cells, protein folding, graph neural networks). On-topic demands come first,
//! one threshold separates on-topic from off-topic pairs for every team (scores are comparable across demands
//! and teams), and a pair scores the same from either direction.

use serde_json::json;
use shuanggao::domain::{Dataset, Demand, DemandId, Team, TeamId};
use shuanggao::matching::{OpenOptions, PairMatch};

use crate::support;

/// Topic, team id, team name, papers (title, abstract).
type TeamText = (
    &'static str,
    &'static str,
    &'static str,
    [(&'static str, &'static str); 3],
);

const TEAMS: [TeamText; 4] = [
    (
        "battery",
        "t-battery",
        "Battery Safety Laboratory",
        [
            (
                "Early warning of thermal runaway in lithium-ion cells from electrochemical impedance",
                "Thermal runaway of lithium-ion cells starts with self-heating of the solid electrolyte interphase. \
                 We track the phase of the electrochemical impedance at a fixed frequency, which follows the \
                 internal temperature, and raise a warning minutes before venting in nail penetration and \
                 overcharge tests of pouch cells.",
            ),
            (
                "Propagation of thermal runaway between cells of a battery module",
                "Heat released by one failing lithium-ion cell can trigger its neighbours. Calorimetry of \
                 modules with aerogel and mica barriers shows how spacing and barrier thickness delay the \
                 propagation of thermal runaway and limit the peak temperature of the pack.",
            ),
            (
                "Detecting internal short circuits in battery energy storage stations",
                "Internal short circuits are a common trigger of thermal runaway in stationary lithium-ion \
                 batteries. A voltage and temperature consistency model of each cell string detects the leak \
                 current of a short long before the cell overheats.",
            ),
        ],
    ),
    (
        "perovskite",
        "t-perovskite",
        "Photovoltaic Materials Group",
        [
            (
                "Defect passivation of formamidinium lead iodide perovskite films",
                "Halide vacancies at grain boundaries trap charge carriers and limit the open-circuit voltage \
                 of perovskite solar cells. Passivating the film surface with a bifunctional ammonium salt \
                 raises the power conversion efficiency to 24 percent.",
            ),
            (
                "Moisture stability of encapsulated perovskite solar modules",
                "Perovskite absorbers decompose in humid air. Atomic layer deposited alumina and edge sealing \
                 keep encapsulated modules above 90 percent of their initial efficiency after one thousand \
                 hours of damp heat testing.",
            ),
            (
                "Perovskite on silicon tandem solar cells with a textured front",
                "A conformal perovskite top cell on textured silicon improves light trapping. The tandem \
                 reaches a power conversion efficiency beyond 29 percent thanks to a recombination layer \
                 with low resistive losses.",
            ),
        ],
    ),
    (
        "protein",
        "t-protein",
        "Structural Biology Lab",
        [
            (
                "Folding pathways of a small beta-sheet protein from molecular dynamics",
                "Long molecular dynamics simulations of a three-stranded beta-sheet protein reveal two folding \
                 pathways separated by a hydrophobic collapse. Markov state models estimate folding rates \
                 that agree with temperature jump experiments.",
            ),
            (
                "Predicting protein structures with coevolution contact maps",
                "Residue pairs that mutate together in a multiple sequence alignment are often in contact. \
                 Contact maps inferred from coevolution guide fragment assembly to predict the tertiary \
                 structure of proteins without templates.",
            ),
            (
                "Chaperone assisted refolding of misfolded enzymes",
                "Misfolded enzymes aggregate under heat stress. The chaperone system binds exposed \
                 hydrophobic segments and uses ATP hydrolysis to unfold and refold the protein into its \
                 native conformation.",
            ),
        ],
    ),
    (
        "gnn",
        "t-gnn",
        "Graph Learning Group",
        [
            (
                "Message passing graph neural networks for molecular property prediction",
                "Graph neural networks learn molecular properties by passing messages along chemical bonds. \
                 Edge features and a global readout improve the prediction of solubility and toxicity on \
                 public benchmarks.",
            ),
            (
                "Oversmoothing in deep graph convolutional networks",
                "Stacking many graph convolution layers makes node embeddings indistinguishable. Residual \
                 connections and normalisation of node features keep deep graph neural networks accurate on \
                 node classification of citation graphs.",
            ),
            (
                "Scalable training of graph neural networks by neighbour sampling",
                "Full-batch training of graph neural networks does not fit in memory for graphs with billions \
                 of edges. Sampling a fixed number of neighbours per node and layer makes minibatch training \
                 scale to industrial recommendation graphs.",
            ),
        ],
    ),
];

/// Topic, demand id, title, abstract.
const DEMANDS: [(&str, &str, &str, &str); 8] = [
    (
        "battery",
        "a-battery-warning",
        "Thermal runaway warning for lithium-ion energy storage",
        "Containerised battery energy storage stations have suffered fires caused by thermal runaway of \
         lithium-ion cells. We need an early warning method that detects internal short circuits and abnormal \
         self-heating of cells before the runaway propagates through the module.",
    ),
    (
        "battery",
        "a-battery-module",
        "Barriers against thermal runaway propagation in battery modules",
        "When one cell of an electric vehicle battery module goes into thermal runaway, its neighbours heat up \
         and fail in turn. We study thermal barriers between lithium-ion cells and their effect on the \
         propagation and on the peak temperature of the pack.",
    ),
    (
        "perovskite",
        "a-perovskite-efficiency",
        "Passivation of perovskite solar cells",
        "Grain boundary defects of lead halide perovskite films cause nonradiative recombination. We look for \
         passivation treatments that raise the open-circuit voltage and power conversion efficiency of \
         perovskite solar cells.",
    ),
    (
        "perovskite",
        "a-perovskite-stability",
        "Damp heat stability of perovskite photovoltaic modules",
        "Commercial perovskite solar modules must survive humidity and heat. We seek encapsulation and \
         barrier layers that keep the efficiency of perovskite modules stable in damp heat tests.",
    ),
    (
        "protein",
        "a-protein-folding",
        "Simulating the folding of small proteins",
        "How a protein chain finds its native structure is still debated. Molecular dynamics and Markov state \
         models of small proteins can resolve folding pathways and intermediates that experiments miss.",
    ),
    (
        "protein",
        "a-protein-structure",
        "Protein structure prediction from sequence alignments",
        "Coevolution of residues in multiple sequence alignments reveals contacts in the folded protein. We \
         want to predict tertiary structures of protein families that have no template in the structure \
         database.",
    ),
    (
        "gnn",
        "a-gnn-molecules",
        "Graph neural networks for molecules",
        "Predicting toxicity and solubility of drug candidates from their molecular graph. Message passing \
         graph neural networks with edge features should outperform fingerprints on these benchmarks.",
    ),
    (
        "gnn",
        "a-gnn-scale",
        "Training graph neural networks on very large graphs",
        "Our recommendation graph has billions of edges and does not fit in GPU memory. We need minibatch \
         training of graph neural networks with neighbour sampling that keeps node classification accurate.",
    ),
];

fn dataset() -> Dataset {
    let mut data = support::dataset();
    for (_, id, name, papers) in TEAMS {
        let achievements: Vec<_> = papers
            .iter()
            .map(|(title, text)| json!({"kind": "paper", "title": title, "abstract": text, "year": 2024}))
            .collect();
        let team: Team = serde_json::from_value(json!({
            "id": id, "university_id": "u1", "name": name, "achievements": achievements
        }))
        .expect("team fixture");
        data.teams.push(team);
    }
    for (_, id, title, text) in DEMANDS {
        let demand: Demand = serde_json::from_value(
            json!({"id": id, "zone_id": "z1", "title": title, "description": text}),
        )
        .expect("demand fixture");
        data.demands.push(demand);
    }
    data
}

fn topic_of_demand(id: &str) -> Option<&'static str> {
    DEMANDS.iter().find(|d| d.1 == id).map(|d| d.0)
}

fn check_sums(m: &PairMatch) {
    assert!((0.0..=1.0).contains(&m.score), "score {}", m.score);
    let sum: f32 = m
        .explanation
        .contributions
        .iter()
        .map(|c| c.contribution)
        .sum();
    assert!((sum - m.score).abs() < 1e-4, "{sum} vs {}", m.score);
}

#[test]
fn english_papers_rank_english_abstracts_on_topic_first_with_comparable_scores() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engine = support::open_engine(dataset(), dir.path(), &OpenOptions::default()).0;

    let mut on_topic = Vec::new();
    let mut off_topic = Vec::new();
    for (topic, team, _, papers) in TEAMS {
        let ranked = engine
            .demands_for_team(&TeamId::from(team), 100)
            .expect("ranking");
        let english: Vec<&PairMatch> = ranked
            .iter()
            .filter(|m| topic_of_demand(m.demand_id.as_str()).is_some())
            .collect();
        assert_eq!(english.len(), DEMANDS.len(), "{team}");
        // The two abstracts of the team's topic come first, before any other demand (Chinese ones too).
        let first: Vec<&str> = ranked
            .iter()
            .take(2)
            .map(|m| m.demand_id.as_str())
            .collect();
        assert!(
            first.iter().all(|d| topic_of_demand(d) == Some(topic)),
            "{team}: top two {first:?}"
        );
        for m in &english {
            check_sums(m);
            if topic_of_demand(m.demand_id.as_str()) == Some(topic) {
                on_topic.push((m.score, team, m.demand_id.as_str().to_owned()));
            } else {
                off_topic.push((m.score, team, m.demand_id.as_str().to_owned()));
            }
        }
        // The top match is explained by English terms of the topic and by one of the team's papers.
        let top = &ranked[0].explanation;
        assert!(!top.matched_terms.is_empty(), "{team}: {top:?}");
        assert!(
            top.matched_terms.iter().all(|t| t.term.is_ascii()),
            "{team}: {:?}",
            top.matched_terms
        );
        let best = top.best_achievement.as_ref().expect("best achievement");
        assert!(
            papers.iter().any(|(title, _)| *title == best.title),
            "{team}: {}",
            best.title
        );
        assert!(
            best.snippet.html.contains("<mark>"),
            "{}",
            best.snippet.html
        );
    }

    // Comparable across demands: for each team, every on-topic abstract clearly outscores every off-topic one.
    for (_, team, _, _) in TEAMS {
        let lowest_on = on_topic
            .iter()
            .filter(|p| p.1 == team)
            .map(|p| p.0)
            .fold(f32::INFINITY, f32::min);
        let highest_off = off_topic
            .iter()
            .filter(|p| p.1 == team)
            .map(|p| p.0)
            .fold(0.0, f32::max);
        assert!(
            lowest_on > 1.5 * highest_off,
            "{team}: lowest on-topic {lowest_on} vs highest off-topic {highest_off}"
        );
    }
    // And across teams: one threshold separates all on-topic pairs from all off-topic pairs, and the typical
    // on-topic pair scores several times the typical off-topic one.
    let lowest_on = on_topic
        .iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("on-topic pairs");
    let highest_off = off_topic
        .iter()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .expect("off-topic pairs");
    assert!(
        lowest_on.0 > highest_off.0,
        "lowest on-topic {lowest_on:?} vs highest off-topic {highest_off:?}"
    );
    let median = |v: &[(f32, &str, String)]| {
        let mut s: Vec<f32> = v.iter().map(|p| p.0).collect();
        s.sort_by(f32::total_cmp);
        s[s.len() / 2]
    };
    assert!(
        median(&on_topic) > 5.0 * median(&off_topic),
        "median on-topic {} vs off-topic {}",
        median(&on_topic),
        median(&off_topic)
    );

    // The battery team's explanation names the words that made the match.
    let battery = engine
        .demands_for_team(&TeamId::from("t-battery"), 1)
        .expect("ranking");
    let terms: Vec<&str> = support::matched_terms(&battery[0]);
    assert!(
        terms.contains(&"thermal") && terms.contains(&"runaway"),
        "{terms:?}"
    );

    // The same pair scores the same from the demand's side, the team's side and on its own.
    for (_, demand, _, _) in DEMANDS {
        let d = DemandId::from(demand);
        let teams = engine.teams_for_demand(&d, 100).expect("teams");
        for (_, team, _, _) in TEAMS {
            let t = TeamId::from(team);
            let from_demand = teams.iter().find(|m| m.team_id == t).expect("team ranked");
            let from_team = engine
                .demands_for_team(&t, 100)
                .expect("demands")
                .into_iter()
                .find(|m| m.demand_id == d)
                .expect("demand ranked");
            let pair = engine.score_pair(&d, &t).expect("pair");
            assert!(
                (from_demand.score - from_team.score).abs() < 1e-6
                    && (pair.score - from_team.score).abs() < 1e-6,
                "{demand} × {team}: {} / {} / {}",
                from_demand.score,
                from_team.score,
                pair.score
            );
        }
    }
}
