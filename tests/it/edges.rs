//! The service at its edges: paging parameters on every paged route, duplicate keys in bodies, ids that
//! cannot be ids, the error body of every status the server writes (hyper's own refusals included),
//! slow and idle connections, the connection cap, request ids, the added metrics and the OpenAPI
//! details that describe them.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use shuanggao::http::HttpConfig;

use crate::support::{Reply, TestApp, spawn_app, spawn_app_with};

/// Asserts a reply is `status` with the error body `code` and a message (and `field`, when given).
fn assert_error(r: &Reply, status: u16, code: &str, field: Option<&str>, what: &str) {
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (status, code),
        "{what}: {}",
        r.text
    );
    assert!(
        r.body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {}",
        r.text
    );
    if let Some(field) = field {
        assert_eq!(r.body["field"], field, "{what}: {}", r.text);
    }
}

/// Writes `request` on a new connection and reads until the server closes it (at most 5 s); returns
/// the status and the body parsed as JSON.
async fn raw(app: &TestApp, request: &[u8]) -> (u16, Value, String) {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body, text)
}

/// A `GET` of `path` written as it is (no client normalises `..` away), closing after the answer.
async fn raw_get(app: &TestApp, method: &str, path: &str) -> (u16, Value, String) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\nconnection: close\r\n\r\n",
        app.department
    );
    raw(app, request.as_bytes()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_parameters_are_checked_on_every_paged_route() {
    let app = spawn_app().await;
    let routes = [
        "/v1/tracks",
        "/v1/zones",
        "/v1/universities",
        "/v1/zones/z1/candidates",
        "/v1/universities/u1/demands",
        "/v1/demands/d1/teams",
        "/v1/teams/t1/demands",
        "/v1/search?q=电池&kind=teams",
        "/v1/pairings",
        "/v1/pairings/p-z1-u1/history",
        "/v1/pairings/p-z1-u1/comments",
        "/v1/proposals",
    ];
    let bad = [
        ("offset", "9223372036854775808"),
        ("offset", "18446744073709551616"),
        ("offset", "-1"),
        ("offset", "abc"),
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "-5"),
        ("limit", "ten"),
        ("limit", "4294967296"),
    ];
    for route in routes {
        let sep = if route.contains('?') { '&' } else { '?' };
        for (name, value) in bad {
            let path = format!("{route}{sep}{name}={value}");
            let r = app.get(&path, &app.department).await;
            assert_error(&r, 400, "invalid_parameter", Some(name), &path);
        }
        let path = format!("{route}{sep}offset=9223372036854775807&limit=100");
        let r = app.get(&path, &app.department).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.body["items"], serde_json::json!([]), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_in_team_and_demand_bodies_are_refused() {
    let app = spawn_app().await;
    let team = r#"{"id": "t-dup", "university_id": "u1", "name": "新团队", "name": "另一个",
        "description": "钠离子电池储能系统", "track_ids": ["f-storage"]}"#;
    let team1 = r#"{"id": "t1", "university_id": "u1", "name": "新团队",
        "description": "钠离子电池", "description": "储能系统", "track_ids": ["f-storage"]}"#;
    let demand = r#"{"id": "d-dup", "id": "d-dup2", "zone_id": "z1", "title": "钠离子电池储能系统集成",
        "track_ids": ["f-storage"]}"#;
    let demand1 = r#"{"id": "d1", "zone_id": "z1", "title": "储能", "track_ids": ["f-storage"],
        "track_ids": ["c-bio"]}"#;
    let cases = [
        (Method::POST, "/v1/teams", team, "name"),
        (Method::PUT, "/v1/teams/t1", team1, "description"),
        (Method::POST, "/v1/demands", demand, "id"),
        (Method::PUT, "/v1/demands/d1", demand1, "track_ids"),
    ];
    for (method, path, body, key) in cases {
        let r = app
            .send_raw(
                method,
                path,
                &app.department,
                "application/json",
                body.as_bytes().to_vec(),
            )
            .await;
        assert_error(&r, 422, "contract_violation", Some(key), path);
        assert!(
            r.body["message"].as_str().unwrap().contains("twice"),
            "{}",
            r.text
        );
    }
    let r = app.get("/v1/teams/t-dup", &app.department).await;
    assert_eq!(r.status, 404, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_cannot_be_ids_are_refused() {
    let app = spawn_app().await;
    for (method, path) in [
        ("GET", "/v1/teams/.."),
        ("GET", "/v1/teams/."),
        ("GET", "/v1/teams/%2E%2E"),
        ("GET", "/v1/demands/%2e"),
        ("DELETE", "/v1/teams/.."),
        ("GET", "/v1/zones/a%2Fb"),
        ("GET", "/v1/pairings/%2E%2E/history"),
        ("GET", "/v1/proposals/.."),
    ] {
        let (status, body, text) = raw_get(&app, method, path).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_parameter")),
            "{method} {path}: {text}"
        );
    }
    for id in ["..", ".", "", "a/b", "a\\b"] {
        for (path, body) in [("/v1/teams", team(id)), ("/v1/demands", demand(id))] {
            let r = post(&app, path, &body).await;
            assert_error(&r, 422, "contract_violation", Some("id"), id);
        }
    }
}

/// A valid team of university u1 with this id.
fn team(id: &str) -> Value {
    serde_json::json!({"id": id, "university_id": "u1", "name": "新团队",
        "description": "钠离子电池储能系统", "track_ids": ["f-storage"]})
}

/// A valid demand of zone z1 with this id.
fn demand(id: &str) -> Value {
    serde_json::json!({"id": id, "zone_id": "z1", "title": "钠离子电池储能系统集成",
        "track_ids": ["f-storage"]})
}

/// Posts `body` to `path` as the department.
async fn post(app: &TestApp, path: &str, body: &Value) -> Reply {
    app.post(path, &app.department, Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_the_server_writes_has_the_error_body() {
    let app = spawn_app().await;
    // 414: a 70 KB URL, refused by hyper before any route runs.
    let long = format!("/v1/tracks?q={}", "a".repeat(70 * 1024));
    let (status, body, text) = raw_get(&app, "GET", &long).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (414, Some("uri_too_long")),
        "{}",
        &text[..text.len().min(300)]
    );
    // 400: not HTTP at all.
    let (status, body, text) = raw(&app, b"NOT HTTP AT ALL\r\n\r\n").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{text}"
    );
    // 405, 404, 413.
    let r = app
        .send(Method::DELETE, "/v1/tracks", Some(&app.department), None)
        .await;
    assert_error(&r, 405, "method_not_allowed", None, "DELETE /v1/tracks");
    let r = app.get("/v2/nowhere", &app.department).await;
    assert_error(&r, 404, "not_found", None, "unknown route");
    let r = app
        .send_raw(
            Method::POST,
            "/v1/teams",
            &app.department,
            "application/json",
            vec![b' '; 2 * 1024 * 1024],
        )
        .await;
    assert_error(&r, 413, "payload_too_large", None, "2 MiB body");

    // 431: a request line and headers over the limit (exactly the limit sent, so that the server reads
    // all of it before it answers).
    let limit = 16 * 1024;
    let small = spawn_app_with(HttpConfig {
        max_head_bytes: limit,
        ..HttpConfig::default()
    })
    .await;
    let mut head = b"GET /v1/tracks HTTP/1.1\r\nhost: x\r\nx-pad: ".to_vec();
    head.resize(limit, b'a');
    let (status, body, text) = raw(&small, &head).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (431, Some("headers_too_large")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed() {
    let app = spawn_app_with(HttpConfig {
        header_read_timeout: Duration::from_millis(400),
        ..HttpConfig::default()
    })
    .await;
    // Half a request line, then nothing.
    let started = Instant::now();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(b"GET /v1/tra").await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "a half-sent request line keeps its connection"
    );
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A kept-alive connection after its answer, then idle.
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = vec![0u8; 1024];
    let n = stream.read(&mut first).await.unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "an idle kept-alive connection stays open");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait() {
    let app = spawn_app_with(HttpConfig {
        max_connections: 2,
        ..HttpConfig::default()
    })
    .await;
    let first = TcpStream::connect(app.addr).await.unwrap();
    let second = TcpStream::connect(app.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::new();
    let waiting = client
        .get(app.url("/healthz"))
        .timeout(Duration::from_millis(500))
        .send()
        .await;
    assert!(waiting.is_err(), "a third connection was served");
    drop((first, second));
    let r = client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_are_kept_when_sane_and_made_otherwise() {
    let app = spawn_app().await;
    let given = "req-42_abc.DEF";
    let echoed = request_id(&app, "/v1/zones/nope", Some(given)).await;
    assert_eq!(echoed, given, "a sane id is echoed (also on errors)");
    for insane in ["has space", &"x".repeat(65), ""] {
        let made = request_id(&app, "/v1/zones/nope", Some(insane)).await;
        assert_eq!(made.len(), 32, "{insane:?} -> {made:?}");
        assert!(made.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    let a = request_id(&app, "/healthz", None).await;
    let b = request_id(&app, "/healthz", None).await;
    assert!(a.len() == 32 && a != b, "{a} {b}");
}

/// Collects what a test's log subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// On one thread, so that the subscriber set for this test sees the server's tasks too.
#[tokio::test(flavor = "current_thread")]
async fn request_ids_are_on_every_log_line_of_the_request() {
    let app = spawn_app().await;
    // A first request registers the server's log call sites before this test's subscriber exists (a
    // call site registering on another test's thread while the subscriber is added can miss it).
    request_id(&app, "/v1/zones/nope", None).await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let id = request_id(&app, "/v1/zones/nope", Some("trace-me-42")).await;
    assert_eq!(id, "trace-me-42");
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("request{")).collect();
    assert!(
        !lines.is_empty(),
        "no request log lines ({} bytes):\n{text}",
        text.len()
    );
    for line in lines {
        assert!(line.contains("request_id=trace-me-42"), "{line}");
    }
}

/// The `x-request-id` of the answer to `GET path` sent with `given` as its request id.
async fn request_id(app: &TestApp, path: &str, given: Option<&str>) -> String {
    let mut req = app.client.get(app.url(path));
    if let Some(id) = given {
        req = req.header("x-request-id", id);
    }
    let res = req.send().await.unwrap();
    res.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_in_flight_cache_engine_updates_and_queue() {
    let app = spawn_app().await;
    for _ in 0..2 {
        let r = app.get("/v1/demands/d1/teams", &app.department).await;
        assert_eq!(r.status, 200);
    }
    let r = post(&app, "/v1/teams", &team("t-metrics")).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let text = app.send(Method::GET, "/metrics", None, None).await.text;
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(' ')))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
    };
    assert_eq!(
        value("shuanggao_http_requests_in_flight"),
        1.0,
        "the metrics request itself"
    );
    assert!(value("shuanggao_ranking_cache_hits_total") >= 1.0);
    assert!(value("shuanggao_ranking_cache_misses_total") >= 1.0);
    assert!(value("shuanggao_ranking_cache_entries") >= 0.0);
    assert_eq!(value("shuanggao_engine_update_seconds_count"), 1.0);
    assert!(value("shuanggao_engine_update_seconds_sum") >= 0.0);
    assert_eq!(value("shuanggao_proposal_jobs_queued"), 0.0);
    assert!(text.contains("# TYPE shuanggao_engine_update_seconds summary"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_limits_and_the_400_and_415_answers() {
    let app = spawn_app().await;
    let spec = app.get("/openapi.json", &app.department).await.body;
    let paths = spec["paths"].as_object().unwrap();
    let mut paged = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let responses = &op["responses"];
            let what = format!("{method} {path}");
            if let Some(limit) = params.iter().find(|p| p["name"] == "limit") {
                paged += 1;
                assert_eq!(limit["schema"]["minimum"], 1, "{what}");
                assert_eq!(limit["schema"]["maximum"], 100, "{what}");
            }
            let takes_input = !params.is_empty() || op.get("requestBody").is_some();
            if takes_input {
                assert!(responses.get("400").is_some(), "{what} gives 400");
            }
            if op.get("requestBody").is_some() {
                assert!(responses.get("415").is_some(), "{what} gives 415");
            }
        }
    }
    assert_eq!(paged, 14, "every paged route documents its limit");
}

/// A write whose engine update fails after the store committed it: the update is retried; if it keeps
/// failing, `/readyz` says so with the write it missed, and the next write's attempt repairs it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_engine_update_makes_the_service_not_ready_until_repaired() {
    let app = spawn_app().await;
    assert_eq!(ready(&app).await.status, 200);
    let team = |id: &str| {
        serde_json::json!({"id": id, "university_id": "u1", "name": "新团队",
            "description": "储能电池热管理"})
    };
    // Two failures: the retries within the write absorb them.
    app.matcher.fail_next_updates(2);
    let r = app
        .post("/v1/teams", &app.department, Some(&team("tx1")))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(ready(&app).await.status, 200);
    // More failures than attempts: the write stands (it is in the store), the service is not ready.
    app.matcher.fail_next_updates(3);
    let r = app
        .post("/v1/teams", &app.department, Some(&team("tx2")))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = ready(&app).await;
    assert_error(&r, 503, "engine_behind", None, "after a missed update");
    assert!(
        r.body["message"].as_str().unwrap().contains("team tx2"),
        "{}",
        r.text
    );
    // The next write first retries the missed update, and both reach the engine.
    let r = app
        .post("/v1/teams", &app.department, Some(&team("tx3")))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(ready(&app).await.status, 200);
    for id in ["tx2", "tx3"] {
        let r = app
            .get(&format!("/v1/teams/{id}/demands"), &app.department)
            .await;
        assert_eq!(r.status, 200, "{id} ranks: {}", r.text);
    }
}

async fn ready(app: &TestApp) -> Reply {
    app.send(Method::GET, "/readyz", None, None).await
}

/// Identical requests that miss the ranking cache together are answered from one computation.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_cold_rankings_are_computed_once() {
    let app = spawn_app().await;
    app.matcher.slow_rankings(150);
    let before = app.matcher.rankings();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (client, token) = (app.client.clone(), app.department.clone());
        let url = app.url("/v1/demands/d1/teams");
        requests.spawn(async move {
            let res = client.get(url).bearer_auth(token).send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        });
    }
    let replies = requests.join_all().await;
    for (status, text) in &replies {
        assert_eq!(*status, 200, "{text}");
        assert_eq!(text, &replies[0].1);
    }
    assert_eq!(
        app.matcher.rankings() - before,
        1,
        "one computation for eight requests"
    );
}

/// A ranking whose client has gone stops between demands: of zone z1's two demands, only the first is
/// ranked, and the abandonment is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ranking_whose_client_has_gone_is_dropped() {
    let app = spawn_app().await;
    app.matcher.slow_rankings(400);
    let before = app.matcher.rankings();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(100))
        .build()
        .unwrap();
    let gone = client
        .get(app.url("/v1/zones/z1/candidates"))
        .bearer_auth(&app.department)
        .send()
        .await;
    assert!(gone.is_err(), "the client gives up before the answer");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.app.stats().rankings_abandoned == 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.app.stats().rankings_abandoned, 1);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.matcher.rankings() - before,
        1,
        "the second demand is never ranked"
    );
}

/// At the concurrency limit, one more request is refused at once with 503 and Retry-After instead of
/// waiting in an unbounded queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn past_the_concurrency_limit_requests_are_refused_with_retry_after() {
    let config = HttpConfig {
        concurrency_limit: 1,
        ..HttpConfig::default()
    };
    let app = spawn_app_with(config).await;
    app.matcher.slow_rankings(400);
    let (client, token) = (app.client.clone(), app.department.clone());
    let url = app.url("/v1/demands/d1/teams");
    let slow = tokio::spawn(async move { client.get(url).bearer_auth(token).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let res = app
        .client
        .get(app.url("/v1/demands/d3/teams"))
        .bearer_auth(&app.department)
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "refused at once"
    );
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "overloaded");
    assert_eq!(slow.await.unwrap().unwrap().status().as_u16(), 200);
}
