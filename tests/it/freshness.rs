//! Rankings kept current by writes, over the real engine: a written item's own ranking shows the write at
//! once; once the write's pairs are patched into the other lists, after a demand write every ranking the
//! service answers equals the one a fresh service over the same store and engine computes, and after a
//! team write the team's pairs are exact and everything else is once the refresh has run. The lists are
//! patched, not dropped: only the written item's own list is ranked again, and only the views built on
//! lists the write changed are built again. Concurrent writes are made together in batches, each write
//! succeeding or failing on its own.

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
        .update_demand(&who, &changed.id.clone(), changed.clone())
        .await
        .unwrap();
    // Its own ranking shows the write at once.
    let own = f.app.demand_teams(&who, &changed.id, full()).await.unwrap();
    let own_fresh = fresh(&f.db, &f.engine)
        .demand_teams(&who, &changed.id, full())
        .await
        .unwrap();
    assert_eq!(own, own_fresh);
    f.app.patch_rankings();
    assert_eq!(f.app.stats().ranking_lists, held, "patched, not dropped");
    // Views the write cannot change are served from the cache: every other zone's candidates (their
    // demands' lists are untouched); the written demand's zone's are built again.
    let hits = f.app.stats().ranking_cache_hits;
    for z in &f.data.zones {
        f.app
            .zone_candidates(&who, &z.id, None, full())
            .await
            .unwrap();
    }
    assert_eq!(
        f.app.stats().ranking_cache_hits - hits,
        f.data.zones.len() as u64 - 1,
        "only zone {}'s candidates are built again",
        changed.zone_id
    );
    assert_as_fresh(&f.app, &f.db, &f.engine, "a demand update").await;

    let mut added: Demand = f.data.demands[3].clone();
    added.id = DemandId("d-added".into());
    added.title = format!("{}（二期）", added.title);
    f.app.create_demand(&who, added).await.unwrap();
    f.app.patch_rankings();
    assert_as_fresh(&f.app, &f.db, &f.engine, "a demand creation").await;

    f.app
        .delete_demand(&who, &f.data.demands[5].id)
        .await
        .unwrap();
    f.app.patch_rankings();
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
    // The team's own pairs: its ranking at once, and its score in every demand's ranking that shows it
    // once the background patcher has patched it in.
    let own = f.app.team_demands(&who, &id, full()).await.unwrap();
    let own_fresh = fresh(&f.db, &f.engine)
        .team_demands(&who, &id, full())
        .await
        .unwrap();
    assert_eq!(own, own_fresh);
    let waited = std::time::Instant::now();
    while f.app.stats().ranking_patches_pending > 0 {
        assert!(waited.elapsed().as_secs() < 30, "the patcher never ran");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(f.app.patch_rankings(), 0, "patched in the background");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_made_together_each_with_its_own_outcome() {
    let f = fixture();
    let who = department();
    every_ranking(&f.app).await;
    let before = f.app.stats();

    let mut writes = tokio::task::JoinSet::new();
    for i in 0..6 {
        let (app, who) = (f.app.clone(), who.clone());
        let mut d: Demand = f.data.demands[i * 3].clone();
        d.description = f.data.demands[i * 3 + 40].description.clone();
        writes.spawn(async move {
            (
                "demand update",
                app.update_demand(&who, &d.id.clone(), d).await.err(),
            )
        });
    }
    for i in 0..4 {
        let (app, who) = (f.app.clone(), who.clone());
        let mut t: Team = f.data.teams[i * 2].clone();
        t.keywords = f.data.teams[i * 2 + 30].keywords.clone();
        writes.spawn(async move {
            (
                "team update",
                app.update_team(&who, &t.id.clone(), t).await.err(),
            )
        });
    }
    {
        // An id already taken: this write fails, the others of its batch do not.
        let (app, who) = (f.app.clone(), who.clone());
        let taken: Demand = f.data.demands[50].clone();
        writes.spawn(async move { ("taken", app.create_demand(&who, taken).await.err()) });
    }
    {
        let (app, who) = (f.app.clone(), who.clone());
        let gone = f.data.demands[60].id.clone();
        writes.spawn(async move { ("demand delete", app.delete_demand(&who, &gone).await.err()) });
    }
    let mut failed = Vec::new();
    while let Some(done) = writes.join_next().await {
        let (what, err) = done.unwrap();
        if let Some(err) = err {
            failed.push((what, err.code().as_str().to_owned()));
        }
    }
    assert_eq!(failed, [("taken", "already_exists".to_owned())]);

    let after = f.app.stats();
    let made = after.catalog_writes - before.catalog_writes;
    let batches = after.engine_updates - before.engine_updates;
    assert_eq!(made, 11, "every write but the refused one");
    assert!(
        batches < made,
        "{made} writes in {batches} batches: some were made together"
    );

    f.app.patch_rankings();
    let stored = f.app.store().load_dataset().unwrap();
    assert!(!stored.demands.iter().any(|d| d.id == f.data.demands[60].id));
    let first = stored
        .demands
        .iter()
        .find(|d| d.id == f.data.demands[0].id)
        .unwrap();
    assert_eq!(first.description, f.data.demands[40].description);
    f.app.refresh_rankings();
    assert_as_fresh(
        &f.app,
        &f.db,
        &f.engine,
        "concurrent writes and the refresh",
    )
    .await;
}
