//! Test support: a tiny inline dataset, and `spawn_app`, which serves the real HTTP stack on
//! 127.0.0.1:0 over a temporary SQLite file with tokens for each role and a few seeded pairings.
//! Set `TEST_LOG=1` to see the server's logs.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Once};

use crate::doubles::OverlapMatcher;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shuanggao::app::App;
use shuanggao::auth::{self, Role};
use shuanggao::domain::{Dataset, Track};
use shuanggao::http::{self, HttpConfig};
use shuanggao::matching::{Engine, OpenOptions, OpenReport, PairMatch};
use shuanggao::store::{Actor, NewPairing, Store};
use tokio::sync::oneshot;

/// The header line of the CSV export, as a zone manager reads it; the XLSX sheet 汇总 has the same
/// columns.
pub const EXPORT_HEADER_LINE: &str = "序号,园区,高校,赛道,等级,产业方向,创新平台,领军人才,成果转化基金,标杆项目,项目数,得分,状态,审核意见,批次日期";

/// The sheets of the XLSX export, in order.
pub const EXPORT_SHEETS: [&str; 3] = ["汇总", "标杆项目", "诊断"];

/// The column headers of the CSV and of the XLSX sheet 汇总, in order.
pub fn export_headers() -> Vec<&'static str> {
    EXPORT_HEADER_LINE.split(',').collect()
}

/// The column headers of the XLSX sheet 标杆项目, in order.
pub fn export_project_headers() -> Vec<&'static str> {
    "序号,园区,高校,赛道,企业,需求,承接团队,团队带头人,匹配度"
        .split(',')
        .collect()
}

/// The column headers of the XLSX sheet 诊断, in order.
pub fn export_diagnostic_headers() -> Vec<&'static str> {
    "类别,代码,说明,涉及园区,涉及高校,涉及赛道"
        .split(',')
        .collect()
}

/// Two tracks, two zones, two universities, four teams and four demands.
pub fn dataset() -> Dataset {
    let tracks = json!([
        {"id": "f-storage", "name": "新型储能", "kind": "future", "keywords": ["储能", "电池"]},
        {"id": "c-bio", "name": "生物医药", "kind": "cluster", "keywords": ["药物"]}
    ]);
    let zones = json!([
        {"id": "z1", "name": "苏州高新区", "city": "苏州", "industries": ["新型储能"], "track_ids": ["f-storage"],
         "platforms": [{"name": "储能中试平台", "kind": "pilot"}], "funds": [{"name": "科创基金", "size_wan_yuan": 5000.0}]},
        {"id": "z2", "name": "泰州医药高新区", "city": "泰州", "industries": ["生物医药"], "track_ids": ["c-bio"]}
    ]);
    let universities = json!([
        {"id": "u1", "name": "南京大学", "city": "南京", "kind": "research", "disciplines": ["化学"]},
        {"id": "u2", "name": "中国药科大学", "city": "南京", "kind": "research", "disciplines": ["药学"]}
    ]);
    let teams = json!([
        {"id": "t1", "university_id": "u1", "name": "锂电池安全团队", "track_ids": ["f-storage"],
         "description": "锂离子电池安全状态在线监测与热失控预警",
         "achievements": [{"kind": "paper", "title": "电池热失控早期预警方法", "year": 2023}]},
        {"id": "t2", "university_id": "u1", "name": "固态电池团队", "track_ids": ["f-storage"],
         "description": "固态电解质与储能电池材料"},
        {"id": "t3", "university_id": "u2", "name": "药物制剂团队", "track_ids": ["c-bio"],
         "description": "缓释药物制剂与质量控制"},
        {"id": "t4", "university_id": "u2", "name": "储能药物交叉团队", "track_ids": ["f-storage", "c-bio"],
         "description": "电池材料与药物载体"}
    ]);
    let demands = json!([
        {"id": "d1", "zone_id": "z1", "title": "动力电池热失控预警", "track_ids": ["f-storage"],
         "description": "需要电池安全在线监测方案"},
        {"id": "d2", "zone_id": "z1", "title": "储能电池材料降本", "track_ids": ["f-storage"]},
        {"id": "d3", "zone_id": "z2", "title": "缓释药物制剂工艺", "track_ids": ["c-bio"]},
        {"id": "d4", "zone_id": "z2", "title": "药物质量控制", "track_ids": ["c-bio"],
         "excluded_university_ids": ["u1"]}
    ]);
    fn parse<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).expect("fixture parses")
    }
    Dataset {
        tracks: parse(tracks),
        zones: parse(zones),
        universities: parse(universities),
        teams: parse(teams),
        demands: parse(demands),
    }
}

/// Opens an engine over `data` with its index and models under `dir`, building what is missing.
pub fn open_engine(
    data: impl Into<Arc<Dataset>>,
    dir: &Path,
    options: &OpenOptions<'_>,
) -> (Engine, OpenReport) {
    Engine::open(data, &dir.join("index"), &dir.join("models"), options).expect("engine opens")
}

/// The words an explanation says made the match, in its order.
pub fn matched_terms(m: &PairMatch) -> Vec<&str> {
    m.explanation
        .matched_terms
        .iter()
        .map(|t| t.term.as_str())
        .collect()
}

/// Asserts that every track of `tracks` has at least one team and one demand in `ds`.
pub fn assert_tracks_covered<'a>(ds: &Dataset, tracks: impl IntoIterator<Item = &'a Track>) {
    for track in tracks {
        let id = &track.id;
        assert!(
            ds.teams.iter().any(|t| t.track_ids.contains(id)),
            "no team in {id}"
        );
        assert!(
            ds.demands.iter().any(|d| d.track_ids.contains(id)),
            "no demand in {id}"
        );
    }
}

/// Generates a small dataset (120 teams, 200 demands) from the embedded material with `seed` into `dir`.
pub fn generate_small(dir: &Path, seed: u64) {
    let params = shuanggao::generator::Params {
        seed,
        teams: 120,
        demands: 200,
        ..shuanggao::generator::Params::default()
    };
    let material = shuanggao::generator::Material::embedded().expect("embedded material");
    shuanggao::generator::generate(&material, &params, dir).expect("generate");
}

/// Writes the dataset as JSON Lines files into `dir`.
pub fn write_dataset(dir: &Path, data: &Dataset) {
    fn lines<T: serde::Serialize>(items: &[T]) -> String {
        items
            .iter()
            .map(|i| serde_json::to_string(i).unwrap() + "\n")
            .collect()
    }
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("tracks.jsonl"), lines(&data.tracks)).unwrap();
    std::fs::write(dir.join("zones.jsonl"), lines(&data.zones)).unwrap();
    std::fs::write(dir.join("universities.jsonl"), lines(&data.universities)).unwrap();
    std::fs::write(dir.join("teams.jsonl"), lines(&data.teams)).unwrap();
    std::fs::write(dir.join("demands.jsonl"), lines(&data.demands)).unwrap();
}

pub fn seed_actor() -> Actor {
    Actor {
        name: "seed".into(),
        role: "department".into(),
    }
}

/// Inserts a proposed pairing through the store: a bare bundle with two benchmark projects.
pub fn seed_pairing(store: &Store, id: &str, zone: &str, university: &str, track: &str) {
    store
        .insert_pairing(
            &NewPairing {
                id: id.into(),
                batch_id: None,
                zone_id: zone.into(),
                university_id: university.into(),
                track_id: track.into(),
                bundle: serde_json::from_value(json!({
                    "industrial_direction": {"track_id": track, "track_name": "储能", "zone_industries": ["储能"], "zone_track": true},
                    "innovation_platform": {"university": null, "zone": null},
                    "benchmark_projects": [
                        {"demand_id": "d1", "title": "储能电池安全监测", "enterprise": null, "team_id": "t1", "team_name": "储能团队", "score": 0.5},
                        {"demand_id": "d2", "title": "储能电池材料降本", "enterprise": null, "team_id": "t1", "team_name": "储能团队", "score": 0.5}
                    ],
                    "explanation": {"summary": "储能电池安全方向相关度高", "terms": [], "teams": [], "breakdown": {"target": 10,
                        "projects": 0, "topped_up": 0, "score_sum": 0.0, "mean_score": 0.0, "coverage": 0.0, "quality": 0.5}},
                    "forced": false
                }))
                .expect("a bundle record"),
                quality: 0.5,
            },
            &seed_actor(),
        )
        .expect("seed pairing");
}

/// The programme targets of the shipped dataset (`datasets/jiangsu/targets.jsonl`).
pub fn shipped_targets() -> Vec<shuanggao::targets::TargetSpec> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/jiangsu");
    shuanggao::dataset::load_targets(&dir).expect("shipped targets")
}

/// A database at `path` with the fixture imported.
pub fn seeded_store(path: &Path) -> Store {
    let store = Store::open(path).expect("open store");
    store.import_dataset(&dataset(), "fixture").expect("import");
    store
}

pub fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("info")
                .with_test_writer()
                .init();
        }
    });
}

/// A running server and tokens for each role.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub app: App,
    /// The app's matcher, to make its updates fail.
    pub matcher: Arc<OverlapMatcher>,
    pub department: String,
    pub zone1: String,
    pub university1: String,
    shutdown: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A response's status and JSON body (`Null` when the body is not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// Pairings seeded by `spawn_app`: (id, zone, university, track).
pub const PAIRINGS: [(&str, &str, &str, &str); 4] = [
    ("p-z1-u1", "z1", "u1", "f-storage"),
    ("p-z1-u2", "z1", "u2", "f-storage"),
    ("p-z2-u2", "z2", "u2", "c-bio"),
    ("p-z2-u1", "z2", "u1", "c-bio"),
];

pub async fn spawn_app() -> TestApp {
    spawn_app_with(HttpConfig::default()).await
}

pub async fn spawn_app_with(config: HttpConfig) -> TestApp {
    init_logs();
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("var/test.db");
    let store = seeded_store(&db_path);
    let token = |role: Role, name: &str| auth::create_token(&store, &role, name).unwrap().1;
    let department = token(Role::Department, "处长");
    let zone1 = token(Role::Zone("z1".into()), "苏州园区");
    let university1 = token(Role::University("u1".into()), "南大科研院");
    for (id, zone, university, track) in PAIRINGS {
        seed_pairing(&store, id, zone, university, track);
    }
    store
        .set_programme_targets(&shipped_targets())
        .expect("targets");
    let matcher = Arc::new(OverlapMatcher::new(&store.load_dataset().unwrap()));
    let app = App::new(store, matcher.clone()).expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let served = app.clone();
    tokio::spawn(async move {
        http::serve(listener, served, config, async {
            let _ = rx.await;
        })
        .await
        .expect("serve");
    });
    TestApp {
        addr,
        client: reqwest::Client::new(),
        app,
        matcher,
        department,
        zone1,
        university1,
        shutdown: Some(tx),
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.expect("request");
        reply(res).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    /// Posts `body` (none if `None`) with a bearer token.
    pub async fn post(&self, path: &str, token: &str, body: Option<&Value>) -> Reply {
        self.send(Method::POST, path, Some(token), body).await
    }

    /// Sends raw bytes with a content type.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let res = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        reply(res).await
    }
}

pub async fn reply(res: reqwest::Response) -> Reply {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, body, text }
}

/// A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF).
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}
