//! Spreadsheet imports of demands and teams over HTTP: templates, dry runs that name each broken cell,
//! all-or-nothing commits, ownership, refused files, GB18030 CSV, and 200 demands on the shipped dataset
//! searchable and ranked once the import answers.

use std::collections::HashSet;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use calamine::{Reader, Xlsx};
use reqwest::Method;
use rust_xlsxwriter::Workbook;
use serde_json::Value;
use shuanggao::app::App;
use shuanggao::auth::{self, Role};
use shuanggao::dataset;
use shuanggao::http::{self, HttpConfig};
use shuanggao::matching::{Engine, OpenOptions};
use shuanggao::store::Store;

use crate::support::{Reply, TestApp, spawn_app};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const DEMAND_HEADER: [&str; 11] = [
    "编号",
    "所属高新区",
    "需求名称",
    "需求描述",
    "企业名称",
    "企业规模",
    "关键词",
    "产业方向",
    "预算（万元）",
    "截止日期",
    "排除高校",
];

fn xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

fn csv(rows: &[Vec<String>]) -> String {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn gb18030(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

fn header() -> Vec<String> {
    DEMAND_HEADER.iter().map(|s| s.to_string()).collect()
}

/// A demand row: id, zone, title, track and budget; the other columns filled plausibly.
fn demand_row(id: &str, zone: &str, title: &str, track: &str, budget: &str) -> Vec<String> {
    [
        id,
        zone,
        title,
        "需要在线监测电池安全状态，提前发现热失控风险",
        "苏州某储能科技有限公司",
        "中型",
        "电池、储能、热失控",
        track,
        budget,
        "2027-06-30",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

async fn import(app: &TestApp, token: &str, body: Vec<u8>, ctype: &str, dry: bool) -> Reply {
    let path = format!("/v1/imports/demands?dry_run={dry}");
    app.send_raw(Method::POST, &path, token, ctype, body).await
}

fn problems(reply: &Reply) -> Vec<(u64, String)> {
    reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", reply.text))
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn demand_count(app: &TestApp) -> usize {
    let r = app.get("/v1/zones/z1", &app.department).await;
    r.body["demands"]
        .as_array()
        .map_or_else(|| panic!("{}", r.text), Vec::len)
}

#[tokio::test]
async fn templates_carry_headers_an_example_and_an_explanation() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/v1/imports/demands/template?format=xlsx"))
        .bearer_auth(&app.zone1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], XLSX);
    let bytes = res.bytes().await.unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), ["需求", "填写说明", "产业方向", "高新区"]);
    let data = wb.worksheet_range("需求").unwrap();
    let rows: Vec<Vec<String>> = data
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0], header());
    assert_eq!(rows.len(), 2, "one example row");
    let help = wb.worksheet_range("填写说明").unwrap();
    let budget = help
        .rows()
        .find(|r| r[0] == "预算（万元）")
        .expect("budget explained");
    assert!(budget[2].to_string().contains("万元"), "{budget:?}");
    let tracks = wb.worksheet_range("产业方向").unwrap();
    assert!(tracks.rows().any(|r| r[1] == "新型储能"));

    // The example row imports as it is (dry run): the template is a file the service accepts.
    let r = import(&app, &app.zone1, bytes.to_vec(), XLSX, true).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["errors"], serde_json::json!([]), "{}", r.text);

    let r = app
        .get("/v1/imports/teams/template?format=csv", &app.university1)
        .await;
    assert_eq!(r.status, 200);
    let text = r.text.trim_start_matches('\u{feff}');
    assert!(text.starts_with("编号,所属高校,团队名称,负责人"), "{text}");
    assert_eq!(
        app.get("/v1/imports/other/template", &app.department)
            .await
            .code(),
        "not_found"
    );
}

#[tokio::test]
async fn a_dry_run_names_each_broken_cell_and_a_commit_with_errors_writes_nothing() {
    let app = spawn_app().await;
    let mut rows = vec![header()];
    for i in 0..8 {
        rows.push(demand_row(
            "",
            "z1",
            &format!("储能电池需求{i}"),
            "新型储能",
            "30",
        ));
    }
    rows[3][7] = "未知方向".into(); // row 4: unknown track
    rows[5][8] = "十万".into(); // row 6: budget in words
    rows[8][2] = String::new(); // row 9: no title
    let file = xlsx(&rows);
    let before = demand_count(&app).await;

    let dry = import(&app, &app.zone1, file.clone(), XLSX, true).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(
        problems(&dry),
        [
            (4, "产业方向".to_owned()),
            (6, "预算（万元）".to_owned()),
            (9, "需求名称".to_owned())
        ]
    );
    let fields: Vec<&str> = dry.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["track_ids", "budget_wan_yuan", "title"]);
    assert!(
        dry.body["errors"][1]["message"]
            .as_str()
            .unwrap()
            .contains("十万")
    );
    assert_eq!(
        (dry.body["rows"].as_u64(), dry.body["created"].as_u64()),
        (Some(8), Some(5))
    );

    let commit = import(&app, &app.zone1, file, XLSX, false).await;
    assert_eq!(commit.status, 422, "{}", commit.text);
    assert_eq!(commit.code(), "import_rejected");
    assert_eq!(problems(&commit), problems(&dry));
    assert_eq!(demand_count(&app).await, before, "nothing written");

    rows[3][7] = "新型储能".into();
    rows[5][8] = "100000 ".into();
    rows[8][2] = "储能电池需求补".into();
    let ok = import(&app, &app.zone1, xlsx(&rows), XLSX, false).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.body["created"], 8);
    assert_eq!(demand_count(&app).await, before + 8);
}

#[tokio::test]
async fn ids_update_their_owners_records_and_unchanged_rows_are_counted() {
    let app = spawn_app().await;
    let mut rows = vec![
        header(),
        demand_row("d-new-1", "", "钠离子电池正极材料", "f-storage", "80"),
    ];
    let r = import(&app, &app.zone1, xlsx(&rows), XLSX, false).await;
    assert_eq!(
        (r.status.as_u16(), r.body["created"].as_u64()),
        (200, Some(1)),
        "{}",
        r.text
    );
    let d = app.get("/v1/demands/d-new-1", &app.zone1).await;
    assert_eq!(d.body["zone_id"], "z1", "a zone's rows default to its zone");
    assert_eq!(d.body["budget_wan_yuan"], 80.0);

    let r = import(&app, &app.zone1, xlsx(&rows), XLSX, false).await;
    assert_eq!(
        (r.body["unchanged"].as_u64(), r.body["updated"].as_u64()),
        (Some(1), Some(0))
    );
    rows[1][8] = "120".into();
    let r = import(&app, &app.zone1, xlsx(&rows), XLSX, false).await;
    assert_eq!(r.body["updated"], 1, "{}", r.text);
    let d = app.get("/v1/demands/d-new-1", &app.zone1).await;
    assert_eq!(d.body["budget_wan_yuan"], 120.0);

    // The same id twice in one file.
    rows.push(rows[1].clone());
    let r = import(&app, &app.zone1, xlsx(&rows), XLSX, true).await;
    assert_eq!(problems(&r), [(3, "编号".to_owned())]);
}

#[tokio::test]
async fn a_file_naming_another_zones_demand_is_refused_whole() {
    let app = spawn_app().await;
    let before = demand_count(&app).await;
    let rows = vec![
        header(),
        demand_row("", "z1", "储能电池需求", "f-storage", "30"),
        demand_row("", "泰州医药高新区", "缓释制剂需求", "c-bio", "30"),
    ];
    let r = import(&app, &app.zone1, xlsx(&rows), XLSX, false).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (403, "forbidden"),
        "{}",
        r.text
    );
    assert!(r.body["message"].as_str().unwrap().contains("row 3"));
    // An existing demand of another zone, by id.
    let rows = vec![
        header(),
        demand_row("d3", "z1", "改别人的需求", "c-bio", "30"),
    ];
    let r = import(&app, &app.zone1, xlsx(&rows), XLSX, true).await;
    assert_eq!(r.code(), "forbidden", "{}", r.text);
    assert_eq!(demand_count(&app).await, before);
    // A university imports no demands, a zone no teams.
    let r = import(&app, &app.university1, xlsx(&rows), XLSX, true).await;
    assert_eq!(r.code(), "forbidden");
    let r = app
        .send_raw(
            Method::POST,
            "/v1/imports/teams",
            &app.zone1,
            "text/csv",
            b"a".to_vec(),
        )
        .await;
    assert_eq!(r.code(), "forbidden");
}

#[tokio::test]
async fn formulas_macros_hidden_sheets_and_large_files_are_refused() {
    let app = spawn_app().await;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in DEMAND_HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    ws.write_string(1, 2, "储能需求").unwrap();
    ws.write_formula(1, 8, "=10*10").unwrap();
    let r = import(&app, &app.zone1, wb.save_to_buffer().unwrap(), XLSX, true).await;
    assert_eq!((r.status.as_u16(), r.code()), (422, "spreadsheet_refused"));
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains("I2") && message.contains("公式"),
        "{message}"
    );

    let mut wb = Workbook::new();
    wb.add_worksheet().write_string(0, 0, "编号").unwrap();
    wb.add_worksheet().set_hidden(true);
    let r = import(&app, &app.zone1, wb.save_to_buffer().unwrap(), XLSX, true).await;
    assert_eq!(r.code(), "spreadsheet_refused");
    assert!(r.body["message"].as_str().unwrap().contains("隐藏"));

    let macro_type = "application/vnd.ms-excel.sheet.macroEnabled.12";
    let r = import(&app, &app.zone1, xlsx(&[header()]), macro_type, true).await;
    assert_eq!(r.code(), "spreadsheet_refused");
    assert!(r.body["message"].as_str().unwrap().contains("宏"));

    let r = import(
        &app,
        &app.zone1,
        vec![b'a'; 1024 * 1024 + 1],
        "text/csv",
        true,
    )
    .await;
    assert_eq!((r.status.as_u16(), r.code()), (413, "payload_too_large"));
    let r = import(&app, &app.zone1, b"{}".to_vec(), "application/json", true).await;
    assert_eq!(r.code(), "unsupported_media_type");
}

#[tokio::test]
async fn csv_in_gb18030_or_utf8_with_a_bom_imports_like_xlsx() {
    let app = spawn_app().await;
    let rows = vec![
        header(),
        demand_row(
            "d-gb-1",
            "苏州高新区",
            "储能电池梯次利用",
            "新型储能、生物医药",
            "45万元",
        ),
    ];
    let text = csv(&rows);
    let r = import(&app, &app.zone1, gb18030(&text), "text/csv", false).await;
    assert_eq!(
        (r.status.as_u16(), r.body["created"].as_u64()),
        (200, Some(1)),
        "{}",
        r.text
    );
    let d = app.get("/v1/demands/d-gb-1", &app.zone1).await;
    assert_eq!(d.body["title"], "储能电池梯次利用");
    assert_eq!(
        d.body["track_ids"],
        serde_json::json!(["f-storage", "c-bio"])
    );
    assert_eq!(d.body["budget_wan_yuan"], 45.0);
    let mut bom = "\u{feff}".as_bytes().to_vec();
    bom.extend_from_slice(text.as_bytes());
    let r = import(&app, &app.zone1, bom, "text/csv", true).await;
    assert_eq!(r.body["unchanged"], 1, "{}", r.text);
}

#[tokio::test]
async fn a_university_imports_its_teams_keeping_what_the_file_does_not_hold() {
    let app = spawn_app().await;
    let text = "编号,团队名称,负责人,研究领域,承接能力（项）,团队简介\n\
                t1,锂电池安全团队,王教授,电池安全、储能,5,锂离子电池安全状态在线监测与热失控预警\n\
                ,新建钠电团队,李教授,钠离子电池,两项,钠离子电池正极材料与储能系统\n";
    let path = "/v1/imports/teams?dry_run=true";
    let r = app
        .send_raw(
            Method::POST,
            path,
            &app.university1,
            "text/csv",
            text.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(problems(&r), [(3, "承接能力（项）".to_owned())]);
    let text = text.replace("两项", "2");
    let path = "/v1/imports/teams";
    let r = app
        .send_raw(
            Method::POST,
            path,
            &app.university1,
            "text/csv",
            text.into_bytes(),
        )
        .await;
    assert_eq!(
        (r.body["created"].as_u64(), r.body["updated"].as_u64()),
        (Some(1), Some(1)),
        "{}",
        r.text
    );
    let t = app.get("/v1/teams/t1", &app.university1).await;
    assert_eq!(t.body["capacity"], 5);
    assert_eq!(t.body["leader"]["name"], "王教授");
    assert_eq!(t.body["achievements"][0]["year"], 2023, "achievements kept");
    assert_eq!(
        t.body["description"],
        "锂离子电池安全状态在线监测与热失控预警"
    );
}

/// A server over the shipped dataset with a real engine, and a department token.
async fn spawn_shipped(dir: &Path) -> (String, String, reqwest::Client) {
    crate::support::init_logs();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = dataset::load(&repo.join("datasets/jiangsu")).expect("shipped dataset");
    let store = Store::open(&dir.join("db.sqlite")).unwrap();
    store.import_dataset(&data, "shipped").unwrap();
    let (_, token) = auth::create_token(&store, &Role::Department, "处长").unwrap();
    let (engine, _) = Engine::open(
        data.clone(),
        &dir.join("index"),
        &dir.join("models"),
        &OpenOptions::default(),
    )
    .expect("engine");
    let app = App::with_catalog(store, data, Arc::new(engine)).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(http::serve(
        listener,
        app,
        HttpConfig::default(),
        std::future::pending(),
    ));
    (url, token, reqwest::Client::new())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_demands_on_the_shipped_dataset_import_whole_searchable_and_ranked() {
    let dir = tempfile::tempdir().unwrap();
    let (url, token, client) = spawn_shipped(dir.path()).await;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shipped = dataset::load(&repo.join("datasets/jiangsu")).unwrap();
    let track_name = |id: &str| {
        shipped
            .tracks
            .iter()
            .find(|t| t.id.as_str() == id)
            .map(|t| t.name.clone())
            .unwrap()
    };
    // 200 rows copied from shipped demands (text, zone by name, tracks by name), half with new ids.
    let rows_for = |prefix: &str| {
        let mut rows = vec![header()];
        for (i, d) in shipped
            .demands
            .iter()
            .filter(|d| !d.track_ids.is_empty())
            .take(200)
            .enumerate()
        {
            let zone = shipped.zones.iter().find(|z| z.id == d.zone_id).unwrap();
            let tracks: Vec<String> = d.track_ids.iter().map(|t| track_name(t.as_str())).collect();
            let id = if i % 2 == 0 {
                format!("{prefix}-{i:03}")
            } else {
                String::new()
            };
            let mut row = demand_row(&id, &zone.name, &d.title, &tracks.join("、"), "50");
            row[3] = d.description.clone();
            rows.push(row);
        }
        rows
    };
    let post = |body: Vec<u8>, ctype: &'static str, dry: bool| {
        let req = client
            .post(format!("{url}/v1/imports/demands?dry_run={dry}"))
            .bearer_auth(&token)
            .header("content-type", ctype)
            .body(body);
        async move { crate::support::reply(req.send().await.unwrap()).await }
    };
    let mut rows = rows_for("d-xlsx");
    rows[4][7] = "不存在的方向".into(); // row 5
    rows[50][8] = "十万".into(); // row 51
    rows[121][2] = String::new(); // row 122
    let broken = xlsx(&rows);

    let dry = post(broken.clone(), XLSX, true).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(
        problems(&dry),
        [
            (5, "产业方向".to_owned()),
            (51, "预算（万元）".to_owned()),
            (122, "需求名称".to_owned())
        ]
    );
    let commit = post(broken, XLSX, false).await;
    assert_eq!(
        (commit.status.as_u16(), commit.code()),
        (422, "import_rejected")
    );
    let probe = client
        .get(format!("{url}/v1/demands/d-xlsx-000"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 404, "nothing written");

    let rows = rows_for("d-xlsx");
    let started = Instant::now();
    let done = post(xlsx(&rows), XLSX, false).await;
    let took = started.elapsed();
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["created"], 200, "{}", done.text);
    // Within one request's time (the server answers 408 past 30 s); see docs/service.md for the figure.
    assert!(took < Duration::from_secs(30), "import took {took:?}");
    println!("200 demands imported in {took:?}");

    // Searchable: the copy of the first demand is found by its title; ranked: it has fitting teams.
    let title = &rows[1][2];
    let hits = client
        .get(format!("{url}/v1/search"))
        .query(&[("q", title.as_str()), ("kind", "demands"), ("limit", "20")])
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let hits: Value = hits.json().await.unwrap();
    let ids: HashSet<&str> = hits["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["id"].as_str())
        .collect();
    assert!(ids.contains("d-xlsx-000"), "{hits}");
    let teams: Value = client
        .get(format!("{url}/v1/demands/d-xlsx-000/teams"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!teams["items"].as_array().unwrap().is_empty(), "{teams}");

    // The same rows as GB18030 CSV (new ids) import the same.
    let rows = rows_for("d-csv");
    let started = Instant::now();
    let done = post(gb18030(&csv(&rows)), "text/csv", false).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["created"], 200, "{}", done.text);
    assert!(started.elapsed() < Duration::from_secs(30));
    println!(
        "200 demands (GB18030 CSV) imported in {:?}",
        started.elapsed()
    );
}
