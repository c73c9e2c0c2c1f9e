//! The HTTP API end to end: the role × endpoint matrix, pagination, every error code, writes that are
//! searchable at once, the OpenAPI document, the docs page and metrics.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{PAIRINGS, TestApp, spawn_app};

fn team_body(id: &str, university: &str) -> Value {
    json!({"id": id, "university_id": university, "name": "新团队",
           "description": "钠离子电池储能系统", "track_ids": ["f-storage"]})
}

fn demand_body(id: &str, zone: &str) -> Value {
    json!({"id": id, "zone_id": zone, "title": "钠离子电池储能系统集成", "track_ids": ["f-storage"]})
}

/// One endpoint and the status each caller gets: [no token, zone:z1, university:u1, department].
struct Row {
    method: Method,
    path: &'static str,
    /// Built per caller (index 0–3) so that creates do not collide.
    body: Option<fn(usize) -> Value>,
    want: [u16; 4],
}

fn row(method: Method, path: &'static str, want: [u16; 4]) -> Row {
    Row {
        method,
        path,
        body: None,
        want,
    }
}

fn with_body(method: Method, path: &'static str, body: fn(usize) -> Value, want: [u16; 4]) -> Row {
    Row {
        method,
        path,
        body: Some(body),
        want,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_endpoint_matrix() {
    let app = spawn_app().await;
    use Method as M;
    let rows = vec![
        row(M::GET, "/healthz", [200, 200, 200, 200]),
        row(M::GET, "/readyz", [200, 200, 200, 200]),
        row(M::GET, "/metrics", [200, 200, 200, 200]),
        row(M::GET, "/openapi.json", [200, 200, 200, 200]),
        row(M::GET, "/docs", [200, 200, 200, 200]),
        row(M::GET, "/v1/me", [401, 200, 200, 200]),
        row(M::GET, "/v1/tracks", [401, 200, 200, 200]),
        row(M::GET, "/v1/zones", [401, 200, 200, 200]),
        row(M::GET, "/v1/zones/z1", [401, 200, 200, 200]),
        row(M::GET, "/v1/universities", [401, 200, 200, 200]),
        row(M::GET, "/v1/universities/u1", [401, 200, 200, 200]),
        row(M::GET, "/v1/teams/t1", [401, 200, 200, 200]),
        row(M::GET, "/v1/demands/d1", [401, 200, 200, 200]),
        row(M::GET, "/v1/zones/z1/candidates", [401, 200, 403, 200]),
        row(M::GET, "/v1/zones/z2/candidates", [401, 403, 403, 200]),
        row(M::GET, "/v1/universities/u1/demands", [401, 403, 200, 200]),
        row(M::GET, "/v1/universities/u2/demands", [401, 403, 403, 200]),
        row(M::GET, "/v1/demands/d1/teams", [401, 200, 403, 200]),
        row(M::GET, "/v1/demands/d3/teams", [401, 403, 403, 200]),
        row(M::GET, "/v1/teams/t1/demands", [401, 403, 200, 200]),
        row(M::GET, "/v1/teams/t3/demands", [401, 403, 403, 200]),
        row(M::GET, "/v1/search?q=电池&kind=teams", [401, 200, 200, 200]),
        row(
            M::GET,
            "/v1/search?q=药物&kind=demands",
            [401, 200, 200, 200],
        ),
        row(M::GET, "/v1/pairings", [401, 200, 200, 200]),
        row(M::GET, "/v1/pairings/p-z1-u1", [401, 200, 200, 200]),
        row(M::GET, "/v1/pairings/p-z1-u2", [401, 200, 403, 200]),
        row(M::GET, "/v1/pairings/p-z2-u1", [401, 403, 200, 200]),
        row(M::GET, "/v1/pairings/p-z2-u2", [401, 403, 403, 200]),
        row(M::GET, "/v1/pairings/p-z1-u1/history", [401, 200, 200, 200]),
        row(M::GET, "/v1/pairings/p-z2-u2/history", [401, 403, 403, 200]),
        row(
            M::GET,
            "/v1/pairings/p-z1-u1/comments",
            [401, 200, 200, 200],
        ),
        with_body(
            M::POST,
            "/v1/pairings/p-z1-u1/comments",
            |_| json!({"body": "请补充中试平台"}),
            [401, 201, 201, 201],
        ),
        with_body(
            M::POST,
            "/v1/pairings/p-z2-u2/comments",
            |_| json!({"body": "意见"}),
            [401, 403, 403, 201],
        ),
        row(M::GET, "/v1/proposals", [401, 403, 403, 200]),
        row(M::GET, "/v1/proposals/pj-nope", [401, 403, 403, 404]),
        row(M::GET, "/v1/dashboard", [401, 403, 403, 200]),
        with_body(
            M::POST,
            "/v1/pairings/p-z1-u1/reviews",
            |_| json!({"decision": "approve", "version": 1}),
            [401, 403, 403, 200],
        ),
        with_body(
            M::POST,
            "/v1/teams",
            |i| team_body(&format!("new-u1-{i}"), "u1"),
            [401, 403, 201, 201],
        ),
        with_body(
            M::POST,
            "/v1/teams",
            |i| team_body(&format!("new-u2-{i}"), "u2"),
            [401, 403, 403, 201],
        ),
        with_body(
            M::PUT,
            "/v1/teams/t2",
            |_| team_body("t2", "u1"),
            [401, 403, 200, 200],
        ),
        with_body(
            M::PUT,
            "/v1/teams/t4",
            |_| team_body("t4", "u2"),
            [401, 403, 403, 200],
        ),
        with_body(
            M::POST,
            "/v1/demands",
            |i| demand_body(&format!("new-z1-{i}"), "z1"),
            [401, 201, 403, 201],
        ),
        with_body(
            M::POST,
            "/v1/demands",
            |i| demand_body(&format!("new-z2-{i}"), "z2"),
            [401, 403, 403, 201],
        ),
        with_body(
            M::PUT,
            "/v1/demands/d2",
            |_| demand_body("d2", "z1"),
            [401, 200, 403, 200],
        ),
        with_body(
            M::PUT,
            "/v1/demands/d4",
            |_| demand_body("d4", "z2"),
            [401, 403, 403, 200],
        ),
        // Last: the job it starts supersedes the open pairings of its track, which rows above review.
        with_body(
            M::POST,
            "/v1/proposals",
            |_| json!({"track_ids": ["f-storage"]}),
            [401, 403, 403, 202],
        ),
    ];
    let callers: [Option<&str>; 4] = [
        None,
        Some(&app.zone1),
        Some(&app.university1),
        Some(&app.department),
    ];
    let mut failures = Vec::new();
    for r in &rows {
        for (i, (caller, want)) in callers.iter().zip(r.want).enumerate() {
            let body = r.body.map(|f| f(i));
            let got = app
                .send(r.method.clone(), r.path, *caller, body.as_ref())
                .await;
            if got.status.as_u16() != want {
                failures.push(format!(
                    "{} {} as caller {i}: want {want}, got {} {}",
                    r.method, r.path, got.status, got.text
                ));
            }
            let want_code = match want {
                401 => Some("missing_token"),
                403 => Some("forbidden"),
                _ => None,
            };
            if let Some(code) = want_code
                && got.code() != code
            {
                failures.push(format!(
                    "{} {}: code {} not {code}",
                    r.method,
                    r.path,
                    got.code()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Deletes: refused to others, then done by the owner.
    let team = "/v1/teams/new-u1-2";
    let demand = "/v1/demands/new-z1-1";
    let steps: [(&str, Option<&str>, u16); 8] = [
        (team, None, 401),
        (team, Some(&app.zone1), 403),
        (team, Some(&app.university1), 204),
        (team, Some(&app.department), 404),
        (demand, None, 401),
        (demand, Some(&app.university1), 403),
        (demand, Some(&app.zone1), 204),
        (demand, Some(&app.department), 404),
    ];
    for (i, (path, caller, want)) in steps.into_iter().enumerate() {
        let got = app.send(Method::DELETE, path, caller, None).await;
        assert_eq!(got.status.as_u16(), want, "step {i}: DELETE {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_scoped_to_the_caller() {
    let app = spawn_app().await;
    let ids = |r: &crate::support::Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.get("/v1/pairings", &app.department).await;
    assert_eq!(all.body["total"], PAIRINGS.len());
    let zone = app.get("/v1/pairings", &app.zone1).await;
    let mut got = ids(&zone);
    got.sort();
    assert_eq!(got, vec!["p-z1-u1", "p-z1-u2"]);
    let univ = app.get("/v1/pairings", &app.university1).await;
    let mut got = ids(&univ);
    got.sort();
    assert_eq!(got, vec!["p-z1-u1", "p-z2-u1"]);
    let other = app.get("/v1/pairings?zone_id=z2", &app.zone1).await;
    assert_eq!((other.status.as_u16(), other.code()), (403, "forbidden"));
    let filtered = app
        .get("/v1/pairings?track=c-bio&status=proposed", &app.department)
        .await;
    assert_eq!(filtered.body["total"], 2);
    // A zone sees its own demand list on its profile, not another zone's.
    let own = app.get("/v1/zones/z1", &app.zone1).await;
    assert_eq!(own.body["demands"].as_array().unwrap().len(), 2);
    let other = app.get("/v1/zones/z2", &app.zone1).await;
    assert_eq!(other.body["name"], "泰州医药高新区");
    assert!(other.body["demands"].as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_with_limit_offset_and_total() {
    let app = spawn_app().await;
    let page = app.get("/v1/zones?limit=1&offset=1", &app.department).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["total"], 2);
    assert_eq!(page.body["limit"], 1);
    assert_eq!(page.body["offset"], 1);
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(page.body["items"][0]["id"], "z2");
    let past = app.get("/v1/tracks?offset=50", &app.department).await;
    assert_eq!(past.body["total"], 2);
    assert!(past.body["items"].as_array().unwrap().is_empty());
    let pairings = app
        .get("/v1/pairings?limit=3&offset=2", &app.department)
        .await;
    assert_eq!(pairings.body["total"], 4);
    assert_eq!(pairings.body["items"].as_array().unwrap().len(), 2);
    let ranked = app
        .get("/v1/demands/d1/teams?limit=1", &app.department)
        .await;
    assert_eq!(ranked.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(ranked.body["items"][0]["team_id"], "t1");
    assert_eq!(ranked.body["items"][0]["rank"], 1);
    assert!(ranked.body["total"].as_u64().unwrap() >= 2);
    let second = app
        .get("/v1/demands/d1/teams?limit=1&offset=1", &app.department)
        .await;
    assert_eq!(second.body["items"][0]["rank"], 2);
    for bad in ["limit=0", "limit=101", "limit=-1", "offset=x"] {
        let r = app.get(&format!("/v1/zones?{bad}"), &app.department).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (400, "invalid_parameter"),
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rankings_carry_explanations_and_respect_exclusions() {
    let app = spawn_app().await;
    let c = app
        .get("/v1/zones/z1/candidates?track=f-storage", &app.zone1)
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let first = &c.body["items"][0];
    assert_eq!(first["university_id"], "u1");
    assert_eq!(first["demands_considered"], 2);
    assert!(first["score"].as_f64().unwrap() > 0.0);
    let best: Vec<&str> = first["best_teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team_id"].as_str().unwrap())
        .collect();
    assert!(
        best.contains(&"t1") && best.iter().all(|t| ["t1", "t2"].contains(t)),
        "{best:?}"
    );
    assert!(first["top_matches"][0]["explanation"]["matched_terms"].is_array());
    let unknown = app
        .get("/v1/zones/z1/candidates?track=nope", &app.zone1)
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (400, "invalid_parameter")
    );
    // d4 excludes u1: no team of u1 is ranked for it, and u1 is not offered d4.
    let ranked = app.get("/v1/demands/d4/teams", &app.department).await;
    assert!(
        ranked.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["university_id"] != "u1")
    );
    let fits = app
        .get("/v1/universities/u1/demands", &app.university1)
        .await;
    assert_eq!(fits.status, 200);
    let demand_ids: Vec<&str> = fits.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["demand_id"].as_str().unwrap())
        .collect();
    assert!(
        demand_ids.contains(&"d1") && !demand_ids.contains(&"d4"),
        "{demand_ids:?}"
    );
    let team = app.get("/v1/teams/t1/demands", &app.university1).await;
    assert_eq!(team.body["items"][0]["demand_id"], "d1");
    assert_eq!(team.body["items"][0]["zone_name"], "苏州高新区");
    let search = app.get("/v1/search?q=热失控&kind=teams", &app.zone1).await;
    assert_eq!(search.body["items"][0]["id"], "t1");
    // A hit names its owner, so that the console can link to the university's or zone's page.
    assert_eq!(search.body["items"][0]["owner_id"], "u1");
    assert_eq!(search.body["items"][0]["owner_name"], "南京大学");
    assert!(
        search.body["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>热失控</mark>")
    );
    let search = app
        .get("/v1/search?q=热失控&kind=demands", &app.zone1)
        .await;
    assert_eq!(search.body["items"][0]["id"], "d1");
    assert_eq!(search.body["items"][0]["owner_id"], "z1");
    assert_eq!(search.body["items"][0]["owner_name"], "苏州高新区");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_stored_and_searchable_at_once() {
    let app = spawn_app().await;
    // Warm the ranking cache, then write: the next ranking must see the new team.
    let before = app.get("/v1/demands/d1/teams", &app.department).await;
    assert_eq!(before.status, 200);
    let team = json!({"id": "t-new", "university_id": "u1", "name": "热失控预警新团队",
                      "description": "动力电池热失控预警与在线监测"});
    let created = app.post("/v1/teams", &app.university1, Some(&team)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["capacity"], 3, "contract default applied");
    let found = app
        .get("/v1/search?q=热失控预警新团队&kind=teams", &app.department)
        .await;
    assert_eq!(found.body["items"][0]["id"], "t-new");
    let after = app.get("/v1/demands/d1/teams", &app.department).await;
    assert!(after.text.contains("t-new"), "{}", after.text);
    let profile = app.get("/v1/universities/u1", &app.department).await;
    assert!(profile.text.contains("t-new"));

    let mut changed = team.clone();
    changed["name"] = json!("改名后的团队");
    let put = app
        .send(
            Method::PUT,
            "/v1/teams/t-new",
            Some(&app.university1),
            Some(&changed),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        app.get("/v1/teams/t-new", &app.zone1).await.body["name"],
        "改名后的团队"
    );
    // It is in the system of record.
    let stored = app.app.store().load_dataset().unwrap();
    assert!(
        stored
            .teams
            .iter()
            .any(|t| t.id.as_str() == "t-new" && t.name == "改名后的团队")
    );

    let del = app
        .send(
            Method::DELETE,
            "/v1/teams/t-new",
            Some(&app.university1),
            None,
        )
        .await;
    assert_eq!(del.status, 204);
    assert_eq!(
        app.get("/v1/teams/t-new", &app.department).await.status,
        404
    );
    let gone = app
        .get("/v1/search?q=改名后的团队&kind=teams", &app.department)
        .await;
    assert!(!gone.text.contains("t-new"));

    // A university cannot move its team to another university.
    let moved = app
        .send(
            Method::PUT,
            "/v1/teams/t1",
            Some(&app.university1),
            Some(&json!({"id": "t1", "university_id": "u2", "name": "x", "description": "y"})),
        )
        .await;
    assert_eq!(moved.status, 403);
}

async fn expect(app: &TestApp, r: crate::support::Reply, status: u16, code: &str) -> Value {
    let _ = app;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (status, code),
        "body: {}",
        r.text
    );
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    r.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_code() {
    let app = spawn_app().await;
    let dept = app.department.clone();
    let d = Some(dept.as_str());

    // 400
    let r = app
        .send_raw(
            Method::POST,
            "/v1/pairings/p-z1-u1/comments",
            &dept,
            "application/json",
            b"{\"body\":".to_vec(),
        )
        .await;
    expect(&app, r, 400, "invalid_json").await;
    let r = app
        .send_raw(
            Method::POST,
            "/v1/teams",
            &dept,
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    expect(&app, r, 400, "invalid_json").await;
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u1/reviews",
            d,
            Some(&json!({"decision": "approve"})),
        )
        .await;
    expect(&app, r, 400, "bad_request").await;
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u1/reviews",
            d,
            Some(&json!({"decision": "maybe", "version": 1})),
        )
        .await;
    expect(&app, r, 400, "bad_request").await;
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u1/comments",
            d,
            Some(&json!({"body": "  "})),
        )
        .await;
    expect(&app, r, 400, "bad_request").await;
    let r = app.get("/v1/zones?limit=abc", &dept).await;
    let body = expect(&app, r, 400, "invalid_parameter").await;
    assert_eq!(body["field"], "limit");
    let r = app.get("/v1/zones?lmit=3", &dept).await;
    expect(&app, r, 400, "invalid_parameter").await;
    let r = app.get("/v1/search?q=%20&kind=teams", &dept).await;
    expect(&app, r, 400, "invalid_parameter").await;
    let r = app.get("/v1/search?q=x&kind=people", &dept).await;
    expect(&app, r, 400, "invalid_parameter").await;
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u1/reviews",
            d,
            Some(&json!({"decision": "reject", "version": 1})),
        )
        .await;
    expect(&app, r, 400, "comment_required").await;

    // 401
    let r = app.send(Method::GET, "/v1/zones", None, None).await;
    expect(&app, r, 401, "missing_token").await;
    let r = app.get("/v1/zones", &"0".repeat(64)).await;
    expect(&app, r, 401, "invalid_token").await;
    let revoked = {
        let (id, token) = shuanggao::auth::create_token(
            app.app.store(),
            &shuanggao::auth::Role::Department,
            "temp",
        )
        .unwrap();
        assert_eq!(app.get("/v1/zones", &token).await.status, 200);
        app.app.store().revoke_token(id).unwrap();
        token
    };
    let r = app.get("/v1/zones", &revoked).await;
    expect(&app, r, 401, "invalid_token").await;
    let r = app
        .client
        .get(app.url("/v1/zones"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    let r = crate::support::reply(r).await;
    expect(&app, r, 401, "invalid_token").await;

    // 403
    let r = app
        .post(
            "/v1/pairings/p-z1-u1/reviews",
            &app.zone1,
            Some(&json!({"decision": "approve", "version": 1})),
        )
        .await;
    expect(&app, r, 403, "forbidden").await;

    // 404
    let r = app.get("/v1/zones/nope", &dept).await;
    expect(&app, r, 404, "not_found").await;
    let r = app.get("/v1/pairings/nope", &dept).await;
    expect(&app, r, 404, "not_found").await;
    let r = app.get("/v1/no-such-route", &dept).await;
    expect(&app, r, 404, "not_found").await;
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/nope/reviews",
            d,
            Some(&json!({"decision": "approve", "version": 1})),
        )
        .await;
    expect(&app, r, 404, "not_found").await;

    // 405
    let r = app.send(Method::DELETE, "/v1/zones", d, None).await;
    expect(&app, r, 405, "method_not_allowed").await;

    // 409
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u1/reviews",
            d,
            Some(&json!({"decision": "approve", "version": 7})),
        )
        .await;
    expect(&app, r, 409, "version_conflict").await;
    let ok = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u1/reviews",
            d,
            Some(&json!({"decision": "approve", "version": 1})),
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["pairing"]["status"], "approved");
    assert_eq!(ok.body["pairing"]["version"], 2);
    assert_eq!(ok.body["entry"]["actor"]["name"], "处长");
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u1/reviews",
            d,
            Some(&json!({"decision": "reject", "comment": "x", "version": 2})),
        )
        .await;
    expect(&app, r, 409, "invalid_transition").await;
    let r = app
        .send(
            Method::POST,
            "/v1/teams",
            d,
            Some(&json!({"id": "t1", "university_id": "u1", "name": "n", "description": "d"})),
        )
        .await;
    expect(&app, r, 409, "already_exists").await;

    // 413
    let big = json!({"id": "t-big", "university_id": "u1", "name": "n", "description": "电".repeat(400_000)});
    let r = app.send(Method::POST, "/v1/teams", d, Some(&big)).await;
    expect(&app, r, 413, "payload_too_large").await;
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u2/comments",
            d,
            Some(&json!({"body": "x".repeat(1_100_000)})),
        )
        .await;
    expect(&app, r, 413, "payload_too_large").await;

    // 415
    let r = app
        .send_raw(
            Method::POST,
            "/v1/teams",
            &dept,
            "text/plain",
            b"{}".to_vec(),
        )
        .await;
    expect(&app, r, 415, "unsupported_media_type").await;

    // 422, naming the field
    let cases = [
        (
            json!({"id": "a", "university_id": "u1", "nmae": "n", "description": "d"}),
            "nmae",
        ),
        (
            json!({"id": "a", "university_id": "u1", "description": "d"}),
            "name",
        ),
        (
            json!({"id": "a", "university_id": "u1", "name": "n", "description": "d", "capacity": "x"}),
            "capacity",
        ),
        (
            json!({"id": "a", "university_id": "u9", "name": "n", "description": "d"}),
            "university_id",
        ),
        (
            json!({"id": "a", "university_id": "u1", "name": "n"}),
            "description",
        ),
        (
            json!({"id": "a", "university_id": "u1", "name": "n",
                "achievements": [{"kind": "paper", "title": "t", "year": 3000}]}),
            "achievements[0].year",
        ),
        (
            json!({"id": "a", "university_id": "u1", "name": "n",
                "achievements": [{"kind": "poem", "title": "t"}]}),
            "achievements[0].kind",
        ),
        (
            json!({"id": "a", "university_id": "u1", "name": "n", "description": "d", "track_ids": ["nope"]}),
            "track_ids[0]",
        ),
        (
            json!({"id": "a/b", "university_id": "u1", "name": "n", "description": "d"}),
            "id",
        ),
        (json!([1, 2]), ""),
    ];
    for (body, field) in cases {
        let r = app.send(Method::POST, "/v1/teams", d, Some(&body)).await;
        let got = expect(&app, r, 422, "contract_violation").await;
        if !field.is_empty() {
            assert_eq!(got["field"], field, "{body}");
        }
    }
    let r = app
        .send(
            Method::POST,
            "/v1/demands",
            d,
            Some(&json!({"id": "x", "zone_id": "z1", "title": "t", "deadline": "2025-02-30"})),
        )
        .await;
    assert_eq!(
        expect(&app, r, 422, "contract_violation").await["field"],
        "deadline"
    );
    let r = app
        .send(
            Method::PUT,
            "/v1/demands/d1",
            d,
            Some(&json!({"id": "d2", "zone_id": "z1", "title": "t"})),
        )
        .await;
    assert_eq!(
        expect(&app, r, 422, "contract_violation").await["field"],
        "id"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_input_never_yields_a_server_error() {
    let app = spawn_app().await;
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        b"{\"id\":".to_vec(),
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[".to_vec(),
        b"{\"id\":\"\\ud800\",\"university_id\":\"u1\",\"name\":\"n\",\"description\":\"d\"}"
            .to_vec(),
        "{\"id\":\"x\",\"zone_id\":\"z1\",\"title\":\"t\",\"budget_wan_yuan\":1e400}"
            .as_bytes()
            .to_vec(),
        b"{\"decision\":\"approve\",\"version\":99999999999999999999999}".to_vec(),
    ];
    let targets = [
        (Method::POST, "/v1/teams"),
        (Method::PUT, "/v1/teams/t1"),
        (Method::POST, "/v1/demands"),
        (Method::PUT, "/v1/demands/d1"),
        (Method::POST, "/v1/pairings/p-z1-u2/reviews"),
        (Method::POST, "/v1/pairings/p-z1-u2/comments"),
    ];
    for (method, path) in &targets {
        for body in &bodies {
            let r = app
                .send_raw(
                    method.clone(),
                    path,
                    &app.department,
                    "application/json",
                    body.clone(),
                )
                .await;
            assert!(
                r.status.is_client_error(),
                "{method} {path} {:?}: {} {}",
                String::from_utf8_lossy(body),
                r.status,
                r.text
            );
            assert!(r.body["code"].is_string());
        }
    }
    for path in [
        "/v1/zones/%ff",
        "/v1/teams/%00/demands",
        "/v1/search?q=%ff&kind=teams",
        "/v1/pairings?status=done",
        "/v1/zones/z1/candidates?limit=99999999999999999999",
    ] {
        let r = app.get(path, &app.department).await;
        assert!(
            !r.status.is_server_error(),
            "{path}: {} {}",
            r.status,
            r.text
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_every_route() {
    let app = spawn_app().await;
    let r = app.send(Method::GET, "/openapi.json", None, None).await;
    let spec = r.body;
    assert_eq!(spec["openapi"], "3.1.0");
    let routes = [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("get", "/docs"),
        ("get", "/v1/me"),
        ("get", "/v1/tracks"),
        ("get", "/v1/zones"),
        ("get", "/v1/zones/{id}"),
        ("get", "/v1/zones/{id}/candidates"),
        ("get", "/v1/universities"),
        ("get", "/v1/universities/{id}"),
        ("get", "/v1/universities/{id}/demands"),
        ("get", "/v1/teams/{id}"),
        ("put", "/v1/teams/{id}"),
        ("delete", "/v1/teams/{id}"),
        ("post", "/v1/teams"),
        ("get", "/v1/teams/{id}/demands"),
        ("get", "/v1/demands/{id}"),
        ("put", "/v1/demands/{id}"),
        ("delete", "/v1/demands/{id}"),
        ("post", "/v1/demands"),
        ("get", "/v1/demands/{id}/teams"),
        ("get", "/v1/search"),
        ("get", "/v1/pairings"),
        ("get", "/v1/pairings/{id}"),
        ("post", "/v1/pairings/{id}/reviews"),
        ("get", "/v1/pairings/{id}/history"),
        ("get", "/v1/pairings/{id}/comments"),
        ("post", "/v1/pairings/{id}/comments"),
        ("post", "/v1/pairings/{id}/outcomes"),
        ("get", "/v1/pairings/{id}/outcomes"),
        ("get", "/v1/outcomes"),
        ("get", "/v1/outcomes/export"),
        ("get", "/v1/outcomes/{id}"),
        ("post", "/v1/outcomes/{id}/verify"),
        ("get", "/v1/universities/{id}/conversions"),
        ("get", "/v1/zones/{id}/transferable-patents"),
        ("post", "/v1/proposals"),
        ("get", "/v1/proposals"),
        ("get", "/v1/proposals/preview"),
        ("get", "/v1/proposals/{job_id}"),
        ("post", "/v1/proposals/{job_id}/revise"),
        ("get", "/v1/proposals/{job_id}/export"),
        ("get", "/v1/dashboard"),
        ("get", "/v1/imports/{kind}/template"),
        ("post", "/v1/imports/{kind}"),
    ];
    let mut count = 0;
    for (method, path) in routes {
        let op = &spec["paths"][path][method];
        assert!(
            op.is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
        for (status, response) in op["responses"].as_object().unwrap() {
            assert!(
                response["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{method} {path} {status} has no description"
            );
        }
        let secured = op["security"].is_array();
        assert_eq!(
            secured,
            path.starts_with("/v1/"),
            "{method} {path} security"
        );
        count += 1;
    }
    let documented: usize = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, count, "every documented operation is a route");
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());
}

/// Every `$ref` under `v`, with the JSON path where it sits.
fn collect_refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.push((at.to_owned(), r.clone())),
                    _ => collect_refs(value, &format!("{at}/{key}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_refs(item, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The schema `schema` stands for, following `$ref`s to the components.
fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(r) = schema["$ref"].as_str() {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        schema = &spec["components"]["schemas"][name];
    }
    schema
}

/// The schema at `path` (property names, `[]` for an array's items) under `schema`.
fn schema_at<'a>(spec: &'a Value, schema: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(resolve(spec, schema), |s, step| {
        let next = match *step {
            "[]" => &s["items"],
            name => &s["properties"][name],
        };
        assert!(!next.is_null(), "no {step} in {s}");
        resolve(spec, next)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_refs_resolve_and_explanations_have_their_real_schema() {
    let app = spawn_app().await;
    let spec = app
        .send(Method::GET, "/openapi.json", None, None)
        .await
        .body;
    let mut refs = Vec::new();
    collect_refs(&spec, "", &mut refs);
    assert!(!refs.is_empty());
    for (at, r) in &refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{at}: {r} is not a component schema"));
        assert!(
            spec["components"]["schemas"][name].is_object(),
            "{at}: {r} does not resolve"
        );
    }
    let rankings = [
        (
            "/v1/demands/{id}/teams",
            &["items", "[]", "explanation"][..],
        ),
        (
            "/v1/teams/{id}/demands",
            &["items", "[]", "explanation"][..],
        ),
        (
            "/v1/universities/{id}/demands",
            &["items", "[]", "explanation"][..],
        ),
        (
            "/v1/zones/{id}/candidates",
            &["items", "[]", "top_matches", "[]", "explanation"][..],
        ),
    ];
    for (path, to_explanation) in rankings {
        let body = &spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let explanation = schema_at(&spec, body, to_explanation);
        assert_eq!(explanation["type"], "object", "{path}: {explanation}");
        for field in [
            "contributions",
            "matched_terms",
            "best_achievement",
            "summary",
        ] {
            assert!(
                explanation["properties"][field].is_object(),
                "{path}: the explanation has no {field}: {explanation}"
            );
        }
        let term = schema_at(&spec, explanation, &["matched_terms", "[]"]);
        assert!(term["properties"]["term"].is_object(), "{path}: {term}");
        assert!(term["properties"]["weight"].is_object(), "{path}: {term}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_page_is_self_contained() {
    let app = spawn_app().await;
    let r = app.send(Method::GET, "/docs", None, None).await;
    assert_eq!(r.status, 200);
    let html = r.text;
    assert!(html.contains("<script id=\"spec\" type=\"application/json\">"));
    assert!(
        html.contains("/v1/zones/{id}/candidates"),
        "the spec is embedded"
    );
    for external in [
        "http://",
        "https://",
        "src=\"//",
        "href=\"//",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(external), "docs page references {external}");
    }
    assert!(
        !html.contains(" src="),
        "no script or image is loaded from anywhere"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_per_route() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.get("/v1/zones/z1", &app.department).await;
    }
    app.get("/v1/zones/nope", &app.department).await;
    let r = app.send(Method::GET, "/metrics", None, None).await;
    assert!(r.text.contains(
        "shuanggao_http_requests_total{method=\"GET\",route=\"/v1/zones/{id}\",status=\"200\"} 3"
    ), "{}", r.text);
    assert!(r.text.contains(
        "shuanggao_http_requests_total{method=\"GET\",route=\"/v1/zones/{id}\",status=\"404\"} 1"
    ));
    assert!(r.text.contains(
        "shuanggao_http_request_duration_seconds_count{method=\"GET\",route=\"/v1/zones/{id}\"} 4"
    ));
    assert!(
        !r.text.contains(&app.department),
        "tokens never appear in metrics"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_history_records_who_when_and_comments() {
    let app = spawn_app().await;
    let d = Some(app.department.as_str());
    let r = app
        .send(
            Method::POST,
            "/v1/pairings/p-z1-u2/reviews",
            d,
            Some(
                &json!({"decision": "request_changes", "comment": "请补充标杆项目", "version": 1}),
            ),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["pairing"]["status"], "changes_requested");
    let h = app.get("/v1/pairings/p-z1-u2/history", &app.zone1).await;
    let entries = h.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[1]["from"], "proposed");
    assert_eq!(entries[1]["to"], "changes_requested");
    assert_eq!(entries[1]["comment"], "请补充标杆项目");
    assert_eq!(entries[1]["actor"]["role"], "department");
    assert!(entries[1]["at"].as_str().unwrap().ends_with('Z'));
    let c = app
        .post(
            "/v1/pairings/p-z1-u2/comments",
            &app.zone1,
            Some(&json!({"body": "已补充"})),
        )
        .await;
    assert_eq!(c.status, 201);
    assert_eq!(c.body["actor"]["role"], "zone:z1");
    let list = app
        .get("/v1/pairings/p-z1-u2/comments", &app.department)
        .await;
    assert_eq!(list.body["items"][0]["body"], "已补充");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_timeout_is_408_with_the_error_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = shuanggao::http::HttpConfig {
        request_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let app = crate::support::spawn_app_with(config).await;
    // A body announced but never sent: the handler waits for it until the timeout answers.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /v1/pairings/p-z1-u1/comments HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"body\":",
        app.addr, app.department
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"request_timeout\""), "{text}");
}
