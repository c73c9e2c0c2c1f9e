//! Rankings kept current by writes, over the real engine: after a demand write every ranking the service
//! answers equals the one a fresh service over the same store and engine computes; after a team write the
//! team's own pairs are exact at once and everything else once the refresh has run. The lists are patched,
//! not dropped: the same number is held before and after a write.

use std::path::Path;
use std::sync::Arc;

use shuanggao::app::{App, PageRequest};
use shuanggao::auth::{Principal, Role};
use shuanggao::domain::{Dataset, Demand, DemandId, Team, TeamId};
use shuanggao::matching::{Engine, OpenOptions};
use shuanggao::store::Store;

use crate::support::open_engine;

fn department() -> Principal {
    Principal {
        token_id: 0,
        name: "审核处".into(),
        role: Role::Department,
    }
}

fn full() -> PageRequest {
    PageRequest {
        limit: 100,
        offset: 0,
    }
}

/// The rankings the service answers for the catalog as `app` holds it, as JSON: every zone's and every
/// university's (which aggregate every demand's and every team's list) and every fifth demand's and team's
/// own.
async fn every_ranking(app: &App) -> Vec<String> {
    let who = department();
    let data = app.store().load_dataset().unwrap();
    let line = |what: &str, id: &str, page: String| format!("{what} {id}: {page}");
    let mut out = Vec::new();
    for z in &data.zones {
        let page = app.zone_candidates(&who, &z.id, None, full()).await;
        out.push(line("zone", z.id.as_str(), json(page.unwrap())));
    }
    for u in &data.universities {
        let page = app.university_demands(&who, &u.id, None, full()).await;
        out.push(line("university", u.id.as_str(), json(page.unwrap())));
    }
    for d in data.demands.iter().step_by(5) {
        let page = app.demand_teams(&who, &d.id, full()).await;
        out.push(line("demand", d.id.as_str(), json(page.unwrap())));
    }
    for t in data.teams.iter().step_by(5) {
        let page = app.team_demands(&who, &t.id, full()).await;
        out.push(line("team", t.id.as_str(), json(page.unwrap())));
    }
    out
}

fn json(page: impl serde::Serialize) -> String {
    serde_json::to_string(&page).unwrap()
}

/// A service over the same database and engine that has computed nothing yet.
fn fresh(db: &Path, engine: &Arc<Engine>) -> App {
    App::new(Store::open(db).unwrap(), engine.clone()).unwrap()
}

/// Asserts that `app` answers every ranking as a fresh service does, naming the first that differs.
async fn assert_as_fresh(app: &App, db: &Path, engine: &Arc<Engine>, after: &str) {
    let patched = every_ranking(app).await;
    let want = every_ranking(&fresh(db, engine)).await;
    assert_eq!(patched.len(), want.len());
    for (p, w) in patched.iter().zip(&want) {
        assert_eq!(p, w, "after {after}");
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    data: Dataset,
    engine: Arc<Engine>,
    app: App,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let params = shuanggao::generator::Params {
        seed: 11,
        teams: 60,
        demands: 100,
        ..shuanggao::generator::Params::default()
    };
    let material = shuanggao::generator::Material::embedded().unwrap();
    shuanggao::generator::generate(&material, &params, &data_dir).unwrap();
    let data = shuanggao::dataset::load(&data_dir).unwrap();
    let db = dir.path().join("db.sqlite");
    let store = Store::open(&db).unwrap();
    store.import_dataset(&data, "generated").unwrap();
    let (engine, _) = open_engine(
        data.clone(),
        &dir.path().join("engine"),
        &OpenOptions::default(),
    );
    let engine = Arc::new(engine);
    let app = App::new(store, engine.clone()).unwrap();
    Fixture {
        _dir: dir,
        db,
        data,
        engine,
        app,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demand_writes_leave_every_ranking_as_a_fresh_one() {
    let f = fixture();
    let who = department();
    every_ranking(&f.app).await;
    let held = f.app.stats().ranking_lists;
    assert!(held > 0);

    // Rewritten to another demand's text: its pairs move far.
    let mut changed: Demand = f.data.demands[0].clone();
    changed.description = f.data.demands[7].description.clone();
    changed.title = f.data.demands[7].title.clone();
    f.app
        .update_demand(&who, &changed.id.clone(), changed)
        .await
        .unwrap();
    assert_eq!(f.app.stats().ranking_lists, held, "patched, not dropped");
    assert_as_fresh(&f.app, &f.db, &f.engine, "a demand update").await;

    let mut added: Demand = f.data.demands[3].clone();
    added.id = DemandId("d-added".into());
    added.title = format!("{}（二期）", added.title);
    f.app.create_demand(&who, added).await.unwrap();
    assert_as_fresh(&f.app, &f.db, &f.engine, "a demand creation").await;

    f.app
        .delete_demand(&who, &f.data.demands[5].id)
        .await
        .unwrap();
    assert_as_fresh(&f.app, &f.db, &f.engine, "a demand deletion").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_writes_are_exact_for_the_team_at_once_and_everywhere_after_the_refresh() {
    let f = fixture();
    let who = department();
    every_ranking(&f.app).await;
    let held = f.app.stats().ranking_lists;

    let mut changed: Team = f.data.teams[0].clone();
    changed.description = f.data.teams[9].description.clone();
    changed.keywords = f.data.teams[9].keywords.clone();
    let id = changed.id.clone();
    f.app.update_team(&who, &id, changed).await.unwrap();
    // Patched, not dropped: only the team's own list is ranked again, on its next read.
    assert_eq!(f.app.stats().ranking_lists, held - 1);
    assert!(
        f.app.stats().ranking_lists_stale > 0,
        "the other pairs await the refresh"
    );
    // The team's own pairs: its ranking, and its score in every demand's ranking that shows it.
    let own = f.app.team_demands(&who, &id, full()).await.unwrap();
    let own_fresh = fresh(&f.db, &f.engine)
        .team_demands(&who, &id, full())
        .await
        .unwrap();
    assert_eq!(own, own_fresh);
    for d in &f.data.demands {
        let page = f.app.demand_teams(&who, &d.id, full()).await.unwrap();
        if let Some(row) = page.items.iter().find(|r| r.team_id == id) {
            let exact = f.engine.score_pair(&d.id, &id).unwrap();
            assert_eq!(row.score, exact.score, "{} in {}", id, d.id);
        }
    }
    assert!(f.app.refresh_rankings() > 0);
    assert_eq!(f.app.stats().ranking_lists_stale, 0);
    assert_as_fresh(&f.app, &f.db, &f.engine, "a team update and the refresh").await;

    let mut added: Team = f.data.teams[4].clone();
    added.id = TeamId("t-added".into());
    added.name = format!("{}（新）", added.name);
    f.app.create_team(&who, added).await.unwrap();
    f.app.refresh_rankings();
    assert_as_fresh(&f.app, &f.db, &f.engine, "a team creation and the refresh").await;

    f.app.delete_team(&who, &f.data.teams[6].id).await.unwrap();
    f.app.refresh_rankings();
    assert_as_fresh(&f.app, &f.db, &f.engine, "a team deletion and the refresh").await;
}
