//! The web console through the service's real router: the page and its assets are served next to the
//! API, and `GET /v1/me` tells the console which role a token acts in.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::doubles::OverlapMatcher;
use shuanggao::app::App;
use shuanggao::auth::{self, Role};
use shuanggao::domain::Dataset;
use shuanggao::http::{HttpConfig, router};
use shuanggao::store::Store;

struct Fixture {
    router: axum::Router,
    department: String,
    zone: String,
    university: String,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let data: Dataset = Dataset {
        tracks: vec![
            serde_json::from_value(json!({"id": "f-h2", "name": "氢能", "kind": "future"}))
                .unwrap(),
        ],
        zones: vec![
            serde_json::from_value(
                json!({"id": "z-a", "name": "甲高新区", "city": "苏州", "industries": ["氢能"]}),
            )
            .unwrap(),
        ],
        universities: vec![
            serde_json::from_value(json!({"id": "u-a", "name": "甲大学", "city": "南京"})).unwrap(),
        ],
        ..Dataset::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("t.db")).unwrap();
    store.import_dataset(&data, "fixture").unwrap();
    let (_, department) = auth::create_token(&store, &Role::Department, "审核处").unwrap();
    let (_, zone) = auth::create_token(&store, &"zone:z-a".parse().unwrap(), "甲园区").unwrap();
    let (_, university) =
        auth::create_token(&store, &"university:u-a".parse().unwrap(), "甲大学科技处").unwrap();
    let app = App::new(store, Arc::new(OverlapMatcher::new(&data))).unwrap();
    Fixture {
        router: router(app, &HttpConfig::default()),
        department,
        zone,
        university,
        _dir: dir,
    }
}

async fn get(
    router: &axum::Router,
    uri: &str,
    token: Option<&str>,
) -> (StatusCode, String, Vec<u8>) {
    let mut req = Request::builder().uri(uri);
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    (status, content_type, body)
}

#[tokio::test]
async fn the_console_is_served_next_to_the_api_without_a_token() {
    let f = fixture();
    let (status, content_type, body) = get(&f.router, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("双高协同对接平台")
    );
    let (status, content_type, _) = get(&f.router, "/assets/views/review.js", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/javascript"));
    let (status, _, body) = get(&f.router, "/assets/nope.js", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "not_found");
}

#[tokio::test]
async fn every_script_of_web_is_served() {
    let f = fixture();
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut scripts = Vec::new();
    for dir in [web.clone(), web.join("views")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "js") {
                scripts.push(
                    path.strip_prefix(&web)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    assert!(scripts.len() > 10, "{scripts:?}");
    for script in scripts {
        let (status, _, _) = get(&f.router, &format!("/assets/{script}"), None).await;
        assert_eq!(status, StatusCode::OK, "web/{script} is not served");
    }
}

#[tokio::test]
async fn me_names_the_role_and_what_it_acts_for() {
    let f = fixture();
    let me = |token: String| {
        let router = f.router.clone();
        async move {
            let (status, _, body) = get(&router, "/v1/me", Some(&token)).await;
            assert_eq!(status, StatusCode::OK);
            serde_json::from_slice::<Value>(&body).unwrap()
        }
    };
    assert_eq!(
        me(f.department.clone()).await,
        json!({"role": "department", "kind": "department", "name": "审核处"})
    );
    assert_eq!(
        me(f.zone.clone()).await,
        json!({"role": "zone:z-a", "kind": "zone", "name": "甲园区", "zone_id": "z-a"})
    );
    assert_eq!(
        me(f.university.clone()).await,
        json!({"role": "university:u-a", "kind": "university", "name": "甲大学科技处", "university_id": "u-a"})
    );
}

#[tokio::test]
async fn me_needs_a_known_token() {
    let f = fixture();
    let (status, _, body) = get(&f.router, "/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "missing_token"
    );
    let (status, _, body) = get(&f.router, "/v1/me", Some(&"0".repeat(64))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["code"],
        "invalid_token"
    );
}
