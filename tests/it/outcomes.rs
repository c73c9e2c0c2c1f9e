//! Outcomes of approved pairings through the API: a zone records a contract, a payment and a platform;
//! the dashboard's targets move only once the department verifies them, and by exactly what was
//! verified; a university that is not party gets 403, a payment above its contract 422, bad records
//! their stable codes; every step is in the outcome's history.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shuanggao::auth::{self, Role};

use crate::support::{Reply, TestApp, spawn_app};

/// The dashboard's target entry for `key`.
async fn target(t: &TestApp, key: &str) -> Value {
    let r = t.get("/v1/dashboard", &t.department).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no target {key}: {}", r.text))
        .clone()
}

async fn approve(t: &TestApp, pairing: &str) {
    let r = t
        .post(
            &format!("/v1/pairings/{pairing}/reviews"),
            &t.department,
            Some(&json!({"decision": "approve", "version": 1})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

fn contract(amount: f64) -> Value {
    json!({"kind": "contract", "enterprise": "苏州某储能科技有限公司", "amount_wan_yuan": amount,
        "signed_on": "2026-03-02", "title": "储能电池热失控预警系统联合开发"})
}

fn payment(contract_id: &str, amount: f64) -> Value {
    json!({"kind": "payment", "contract_id": contract_id, "amount_wan_yuan": amount,
        "received_on": "2026-05-20"})
}

fn platform() -> Value {
    json!({"kind": "platform", "name": "储能安全联合实验室", "platform_kind": "联合实验室",
        "level": "省级", "built_on": "2026-04-01"})
}

/// Records `body` on pairing `p` as `token`.
async fn record(t: &TestApp, token: &str, p: &str, body: &Value) -> crate::support::Reply {
    t.post(&format!("/v1/pairings/{p}/outcomes"), token, Some(body))
        .await
}

/// Records and expects 201 pending; answers the outcome id.
async fn recorded(t: &TestApp, token: &str, p: &str, body: &Value) -> String {
    let r = record(t, token, p, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "pending", "{}", r.text);
    assert_eq!(r.body["kind"], body["kind"], "{}", r.text);
    r.body["id"].as_str().expect("id").to_owned()
}

async fn verify(t: &TestApp, id: &str) {
    let r = t
        .post(
            &format!("/v1/outcomes/{id}/verify"),
            &t.department,
            Some(&json!({"decision": "verify"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["outcome"]["status"], "verified");
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[tokio::test]
async fn dashboard_actuals_move_only_after_verification_and_by_exactly_what_was_verified() {
    let t = spawn_app().await;
    approve(&t, "p-z1-u1").await;
    let (payments0, platforms0) = (
        target(&t, "contract_payments").await,
        target(&t, "platforms").await,
    );

    let c = recorded(&t, &t.zone1, "p-z1-u1", &contract(500.0)).await;
    let pay = recorded(&t, &t.zone1, "p-z1-u1", &payment(&c, 300.0)).await;
    let plat = recorded(&t, &t.university1, "p-z1-u1", &platform()).await;

    // Pending outcomes do not count.
    let (payments1, platforms1) = (
        target(&t, "contract_payments").await,
        target(&t, "platforms").await,
    );
    assert_eq!(payments1["actual"], payments0["actual"]);
    assert_eq!(platforms1["actual"], platforms0["actual"]);

    // A payment above what remains of its contract is refused, and nothing is written.
    let over = record(&t, &t.zone1, "p-z1-u1", &payment(&c, 200.01)).await;
    assert_eq!(
        (over.status, over.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "payment_above_contract"),
        "{}",
        over.text
    );
    let listed = t.get("/v1/pairings/p-z1-u1/outcomes", &t.zone1).await;
    assert_eq!(listed.body["total"], 3, "{}", listed.text);

    // Only the department verifies.
    let by_zone = t
        .post(
            &format!("/v1/outcomes/{pay}/verify"),
            &t.zone1,
            Some(&json!({"decision": "verify"})),
        )
        .await;
    assert_eq!(by_zone.status, StatusCode::FORBIDDEN);
    for id in [&c, &pay, &plat] {
        verify(&t, id).await;
    }

    let (payments2, platforms2) = (
        target(&t, "contract_payments").await,
        target(&t, "platforms").await,
    );
    assert_eq!(
        number(&payments2["actual"]) - number(&payments0["actual"]),
        300.0
    );
    assert_eq!(
        number(&platforms2["actual"]) - number(&platforms0["actual"]),
        1.0
    );
    assert_eq!(number(&payments2["added"]), 300.0);
    // The zone and the pairing that delivered carry it in the breakdowns.
    let share = |entry: &Value, list: &str, id: &str| {
        entry[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| number(&s["added"]))
    };
    assert_eq!(share(&payments2, "by_zone", "z1"), Some(300.0));
    assert_eq!(share(&payments2, "by_pairing", "p-z1-u1"), Some(300.0));
    assert_eq!(share(&platforms2, "by_university", "u1"), Some(1.0));
    assert_eq!(share(&payments2, "by_year", "2026"), Some(300.0));

    // The payment's history: recorded by the zone, verified by the department.
    let one = t.get(&format!("/v1/outcomes/{pay}"), &t.zone1).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text);
    let steps: Vec<(&str, &str)> = one.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].as_str().unwrap(),
                h["actor"]["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(steps, [("record", "zone:z1"), ("verify", "department")]);

    // A decided outcome is final.
    let again = t
        .post(
            &format!("/v1/outcomes/{pay}/verify"),
            &t.department,
            Some(&json!({"decision": "reject", "comment": "重复"})),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "outcome_decided")
    );
}

#[tokio::test]
async fn only_the_pairings_parties_record_and_see_its_outcomes() {
    let t = spawn_app().await;
    approve(&t, "p-z1-u1").await;
    let (_, stranger) =
        auth::create_token(t.app.store(), &Role::University("u2".into()), "药大科研院").unwrap();
    let r = record(&t, &stranger, "p-z1-u1", &platform()).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let r = t.get("/v1/pairings/p-z1-u1/outcomes", &stranger).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The department verifies; it does not record.
    let r = record(&t, &t.department, "p-z1-u1", &platform()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let id = recorded(&t, &t.zone1, "p-z1-u1", &platform()).await;
    let r = t.get(&format!("/v1/outcomes/{id}"), &stranger).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A zone or university lists its own outcomes only.
    let own = t.get("/v1/outcomes", &stranger).await;
    assert_eq!(
        (own.status, own.body["total"].clone()),
        (StatusCode::OK, json!(0))
    );
    let other = t.get("/v1/outcomes?zone_id=z2", &t.zone1).await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
    let queue = t.get("/v1/outcomes?status=pending", &t.department).await;
    assert_eq!(queue.body["total"], 1, "{}", queue.text);
    assert_eq!(queue.body["items"][0]["id"], id.as_str());
}

#[tokio::test]
async fn bad_records_get_stable_codes_naming_the_field() {
    let t = spawn_app().await;
    approve(&t, "p-z1-u1").await;
    let c = recorded(&t, &t.zone1, "p-z1-u1", &contract(500.0)).await;
    let cases = [
        (contract(-5.0), "invalid_outcome", Some("amount_wan_yuan")),
        (contract(0.0), "invalid_outcome", Some("amount_wan_yuan")),
        (
            contract(2_000_000.0),
            "invalid_outcome",
            Some("amount_wan_yuan"),
        ),
        (
            json!({"kind": "contract", "enterprise": "某公司", "amount_wan_yuan": 5, "signed_on": "2999-01-01"}),
            "invalid_outcome",
            Some("signed_on"),
        ),
        (
            json!({"kind": "contract", "enterprise": "某公司", "amount_wan_yuan": 5, "signed_on": "2026-02-30"}),
            "invalid_outcome",
            Some("signed_on"),
        ),
        (
            json!({"kind": "students", "year": 2026, "degree": "doctoral", "count": 0}),
            "invalid_outcome",
            Some("count"),
        ),
        (
            payment("nope", 10.0),
            "invalid_outcome",
            Some("contract_id"),
        ),
        (
            payment(&c, 500.5),
            "payment_above_contract",
            Some("amount_wan_yuan"),
        ),
        (
            json!({"kind": "project", "demand_id": "d3", "title": "x", "stage": "planned", "date": "2026-01-05"}),
            "invalid_outcome",
            Some("demand_id"),
        ),
    ];
    for (body, code, field) in cases {
        let r = record(&t, &t.zone1, "p-z1-u1", &body).await;
        assert_eq!(
            (r.status, r.code(), r.body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, code, field),
            "{body}: {}",
            r.text
        );
        assert!(r.body["message"].is_string());
    }
    for body in [
        json!({"kind": "award", "name": "x"}),
        json!({"kind": "platform", "name": "x"}),
        json!({"kind": "talent", "name": "王教授", "appointed_on": "2026-01-01", "extra": 1}),
    ] {
        let r = record(&t, &t.zone1, "p-z1-u1", &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
    }
    // Outcomes are recorded on approved pairings only.
    let r = record(&t, &t.zone1, "p-z1-u2", &platform()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "pairing_not_approved")
    );
    let r = record(&t, &t.zone1, "no-such-pairing", &platform()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A rejection needs a comment.
    let r = t
        .post(
            &format!("/v1/outcomes/{c}/verify"),
            &t.department,
            Some(&json!({"decision": "reject"})),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "comment_required")
    );
    let ok = json!({"kind": "project", "demand_id": "d1", "title": "动力电池热失控预警", "stage": "contracted", "date": "2026-01-05"});
    recorded(&t, &t.zone1, "p-z1-u1", &ok).await;
}

#[tokio::test]
async fn every_target_states_baseline_actual_target_and_projection() {
    let t = spawn_app().await;
    let r = t.get("/v1/dashboard", &t.department).await;
    let targets = r.body["targets"].as_array().expect("targets");
    let keys: Vec<&str> = targets.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "platforms",
            "graduate_students",
            "patent_conversion_rate",
            "contract_payments"
        ]
    );
    for e in targets {
        for field in ["name", "unit", "projection_method", "start", "deadline"] {
            assert!(e[field].as_str().is_some_and(|s| !s.is_empty()), "{e}");
        }
        for field in ["target", "baseline", "actual", "projected", "on_track"] {
            assert!(e.get(field).is_some(), "{field} in {e}");
        }
        assert!(!e["by_quarter"].as_array().unwrap().is_empty(), "{e}");
        assert_eq!(e["by_zone"].as_array().unwrap().len(), 2, "{e}");
    }
    // Absolute targets come from the targets file; with nothing verified the count targets stand at 0.
    assert_eq!(number(&targets[0]["target"]), 80.0);
    assert_eq!(number(&targets[1]["target"]), 2000.0);
    assert_eq!(number(&targets[0]["actual"]), 0.0);
    assert_eq!(targets[0]["on_track"], false);
}

/// A university's transferable patent, ranked against every demand by the real engine with the patent's
/// text as the query: the demand the patent was written for comes first, with the shared terms as its
/// explanation; the zone of that demand sees the patent under it; other universities are refused.
#[tokio::test]
async fn a_planted_transferable_patent_finds_the_demand_it_answers_first() {
    use shuanggao::app::App;
    use shuanggao::auth::Principal;
    use shuanggao::domain::{Achievement, AchievementKind};
    use shuanggao::matching::OpenOptions;

    let dir = tempfile::tempdir().unwrap();
    let mut data = crate::support::dataset();
    let planted = Achievement {
        kind: AchievementKind::Patent,
        title: "一种缓释药物制剂的制备工艺".into(),
        r#abstract: "通过包衣与骨架材料控制药物释放速度，提高缓释制剂工艺的稳定性".into(),
        year: Some(2024),
        patent_no: Some("ZL202410000001.5".into()),
        legal_status: Some("有效".into()),
        transferable: Some(true),
    };
    let not_offered = Achievement {
        transferable: Some(false),
        title: "电池热失控预警装置".into(),
        ..planted.clone()
    };
    let team = data
        .teams
        .iter_mut()
        .find(|t| t.id.as_str() == "t3")
        .unwrap();
    team.achievements = vec![planted.clone(), not_offered];
    let store = shuanggao::store::Store::open(&dir.path().join("db.sqlite")).unwrap();
    store.import_dataset(&data, "fixture").unwrap();
    let (engine, _) =
        crate::support::open_engine(data.clone(), dir.path(), &OpenOptions::default());
    let app = App::new(store, std::sync::Arc::new(engine)).unwrap();
    let who = |role: Role| Principal {
        token_id: 0,
        name: "测试".into(),
        role,
    };

    let list = app
        .conversions(&who(Role::University("u2".into())), &"u2".into())
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "only the transferable patent: {list:?}");
    let first = &list[0];
    assert_eq!(first.achievement, planted);
    assert_eq!(first.team_id.as_str(), "t3");
    let top = first.demands.first().expect("a fitting demand");
    assert_eq!(top.demand_id.as_str(), "d3", "{:?}", first.demands);
    assert!(
        top.matched_terms.iter().any(|t| t.contains("缓释")),
        "explained by the shared terms: {top:?}"
    );
    assert!(top.snippet.contains("<mark>"), "{top:?}");
    // The demand written for the patent holds most of its text; no fit shown holds less than the floor.
    assert!(top.coverage > 0.5, "{top:?}");
    assert!(
        first
            .demands
            .iter()
            .all(|f| f.coverage >= shuanggao::app::MIN_COVERAGE),
        "{:?}",
        first.demands
    );
    if let Some(second) = first.demands.get(1) {
        assert!(second.score < top.score, "{:?}", first.demands);
    }

    let zone = app
        .zone_transferable(&who(Role::Zone("z2".into())), &"z2".into())
        .await
        .unwrap();
    let d3 = zone
        .iter()
        .find(|e| e.demand_id.as_str() == "d3")
        .expect("d3 has a fitting patent");
    assert_eq!(
        d3.achievements[0].achievement.patent_no.as_deref(),
        Some("ZL202410000001.5")
    );

    let refused = app
        .conversions(&who(Role::University("u1".into())), &"u2".into())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "forbidden");
    let unknown = app
        .conversions(&who(Role::Department), &"u-none".into())
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "not_found");
}

/// The annual progress report: the zone's outcomes of the year as XLSX, sheet 年度进展 with the Chinese
/// headers, amounts as numbers, a formula-leading text neutralised, other years left out.
#[tokio::test]
async fn the_annual_report_is_an_xlsx_sheet_with_chinese_headers() {
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;

    let t = spawn_app().await;
    approve(&t, "p-z1-u1").await;
    let mut risky = contract(500.0);
    risky["enterprise"] = json!("=HYPERLINK(\"http://x\")某公司");
    recorded(&t, &t.zone1, "p-z1-u1", &risky).await;
    let mut older = platform();
    older["built_on"] = json!("2025-06-01");
    recorded(&t, &t.zone1, "p-z1-u1", &older).await;

    let res = t
        .client
        .get(t.url("/v1/outcomes/export?year=2026"))
        .bearer_auth(&t.zone1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("outcomes-2026.xlsx")
    );
    let bytes = res.bytes().await.unwrap();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    assert_eq!(wb.sheet_names(), [shuanggao::outcome_report::SHEET]);
    let range = wb
        .worksheet_range(shuanggao::outcome_report::SHEET)
        .unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, shuanggao::outcome_report::HEADERS);
    assert_eq!(rows.len(), 2, "only 2026's outcome: {rows:?}");
    let row: Vec<String> = rows[1].iter().map(|c| c.to_string()).collect();
    assert_eq!(row[1], "苏州高新区");
    assert_eq!(row[4], "技术合同");
    assert!(row[5].starts_with("'="), "neutralised: {}", row[5]);
    assert_eq!(rows[1][6], Data::Float(500.0));
    assert_eq!(row[8], "待核实");

    let bad = t.get("/v1/outcomes/export?year=1999", &t.zone1).await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "invalid_parameter")
    );
}

/// The outcome import's header, in template order.
const OUTCOME_HEADER: [&str; 18] = [
    "对接编号",
    "成果类型",
    "名称",
    "企业",
    "金额（万元）",
    "日期",
    "所属合同",
    "项目阶段",
    "需求编号",
    "专利号",
    "成果名称",
    "转化方式",
    "平台类型",
    "平台级别",
    "职称",
    "年份",
    "学位",
    "人数",
];

/// An outcome row: the pairing, the kind, and the other cells by header.
fn outcome_row(pairing: &str, kind: &str, cells: &[(&str, &str)]) -> Vec<String> {
    OUTCOME_HEADER
        .iter()
        .map(|h| match *h {
            "对接编号" => pairing.to_owned(),
            "成果类型" => kind.to_owned(),
            _ => cells
                .iter()
                .find(|(k, _)| k == h)
                .map_or_else(String::new, |(_, v)| (*v).to_owned()),
        })
        .collect()
}

fn outcome_xlsx(rows: &[Vec<String>]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let header: Vec<String> = OUTCOME_HEADER.iter().map(|s| s.to_string()).collect();
    for (r, row) in std::iter::once(&header).chain(rows).enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    wb.save_to_buffer().unwrap()
}

async fn import_outcomes(t: &TestApp, token: &str, body: Vec<u8>, dry: bool) -> Reply {
    t.send_raw(
        reqwest::Method::POST,
        &format!("/v1/imports/outcomes?dry_run={dry}"),
        token,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body,
    )
    .await
}

/// The (row, column) of every problem of an import answer.
fn import_problems(r: &Reply) -> Vec<(u64, String)> {
    r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {}", r.text))
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn outcome_total(t: &TestApp) -> u64 {
    let r = t.get("/v1/outcomes?limit=100", &t.department).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["total"].as_u64().unwrap()
}

/// Six outcomes of six kinds, a payment naming its contract by row.
fn six_outcomes() -> Vec<Vec<String>> {
    vec![
        outcome_row(
            "p-z1-u1",
            "技术合同",
            &[
                ("名称", "储能电池热失控预警系统联合开发"),
                ("企业", "苏州某储能科技有限公司"),
                ("金额（万元）", "500"),
                ("日期", "2026-03-02"),
            ],
        ),
        outcome_row(
            "p-z1-u1",
            "合同到账",
            &[
                ("所属合同", "第 2 行"),
                ("金额（万元）", "300"),
                ("日期", "2026-05-20"),
            ],
        ),
        outcome_row(
            "p-z1-u1",
            "共建平台",
            &[
                ("名称", "储能安全联合实验室"),
                ("平台类型", "联合实验室"),
                ("平台级别", "省级"),
                ("日期", "2026-04-01"),
            ],
        ),
        outcome_row(
            "p-z1-u1",
            "联合培养研究生",
            &[("年份", "2026"), ("学位", "硕士"), ("人数", "12")],
        ),
        outcome_row(
            "p-z1-u1",
            "标杆项目进展",
            &[
                ("名称", "储能电站热失控预警示范"),
                ("项目阶段", "实施中"),
                ("日期", "2026-06-01"),
            ],
        ),
        outcome_row(
            "p-z1-u1",
            "专利转化",
            &[
                ("专利号", "ZL202310123456.6"),
                ("转化方式", "许可"),
                ("金额（万元）", "80"),
                ("企业", "苏州某储能科技有限公司"),
                ("日期", "2026-07-01"),
            ],
        ),
    ]
}

/// A zone imports six outcomes from one spreadsheet: a broken file names each broken cell and records
/// nothing; the fixed one records all six pending (the payment on the contract of row 2); uploading it
/// again records nothing twice; verified, they move the dashboard by exactly what they carry.
#[tokio::test]
async fn outcomes_import_from_one_spreadsheet_all_or_none_and_only_once() {
    let t = spawn_app().await;
    approve(&t, "p-z1-u1").await;
    let (payments0, platforms0) = (
        target(&t, "contract_payments").await,
        target(&t, "platforms").await,
    );

    let mut broken = six_outcomes();
    broken[1] = outcome_row(
        "p-z1-u1",
        "合同到账",
        &[
            ("所属合同", "第 2 行"),
            ("金额（万元）", "600"),
            ("日期", "2026-05-20"),
        ],
    );
    broken[2][4] = "20".into(); // an amount on a platform
    broken[3][16] = "本科".into();
    let mut unknown = broken[2].clone();
    unknown[0] = "p-nope".into();
    unknown[4] = String::new();
    broken.push(unknown);
    broken.push(outcome_row(
        "p-z1-u1",
        "领军人才",
        &[("名称", "王某"), ("日期", "2099-01-01")],
    ));
    broken.push(outcome_row("p-z1-u1", "奖励", &[]));
    broken.push(outcome_row(
        "p-z1-u2",
        "共建平台",
        &[
            ("名称", "平台"),
            ("平台类型", "中试基地"),
            ("平台级别", "市级"),
            ("日期", "2026-04-01"),
        ],
    ));
    let expected: Vec<(u64, String)> = [
        (3, "金额（万元）"),
        (4, "金额（万元）"),
        (5, "学位"),
        (8, "对接编号"),
        (9, "日期"),
        (10, "成果类型"),
        (11, "对接编号"),
    ]
    .iter()
    .map(|(r, c)| (*r, (*c).to_owned()))
    .collect();
    for dry in [true, false] {
        let r = import_outcomes(&t, &t.zone1, outcome_xlsx(&broken), dry).await;
        let status = if dry {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(import_problems(&r), expected, "{}", r.text);
        let messages: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["message"].as_str().unwrap())
            .collect();
        assert!(messages[0].contains("超过合同金额 500"), "{messages:?}");
        assert!(messages[1].contains("不适用于共建平台"), "{messages:?}");
        assert!(messages[4].contains("不能晚于今天"), "{messages:?}");
        assert!(messages[6].contains("尚未批准"), "{messages:?}");
    }
    assert_eq!(
        outcome_total(&t).await,
        0,
        "a rejected file records nothing"
    );

    let dry = import_outcomes(&t, &t.zone1, outcome_xlsx(&six_outcomes()), true).await;
    assert_eq!(
        (dry.status, dry.body["created"].clone()),
        (StatusCode::OK, json!(6)),
        "{}",
        dry.text
    );
    assert_eq!(outcome_total(&t).await, 0, "a dry run records nothing");
    let done = import_outcomes(&t, &t.zone1, outcome_xlsx(&six_outcomes()), false).await;
    assert_eq!(
        (
            done.status,
            done.body["created"].clone(),
            done.body["errors"].clone()
        ),
        (StatusCode::OK, json!(6), json!([])),
        "{}",
        done.text
    );
    let listed = t
        .get("/v1/pairings/p-z1-u1/outcomes?limit=100", &t.zone1)
        .await;
    let items = listed.body["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 6);
    assert!(items.iter().all(|o| o["status"] == "pending"));
    assert!(
        items.iter().all(|o| o["recorded_by"]["role"] == "zone:z1"),
        "{}",
        listed.text
    );
    let of = |kind: &str| items.iter().find(|o| o["kind"] == kind).unwrap().clone();
    let contract = of("contract");
    assert_eq!(of("payment")["detail"]["contract_id"], contract["id"]);

    let again = import_outcomes(&t, &t.zone1, outcome_xlsx(&six_outcomes()), false).await;
    assert_eq!(
        (
            again.body["created"].clone(),
            again.body["unchanged"].clone()
        ),
        (json!(0), json!(6)),
        "{}",
        again.text
    );
    assert_eq!(outcome_total(&t).await, 6, "nothing recorded twice");

    // A later file names the contract by its id; its payments stay within what remains.
    let contract_id = contract["id"].as_str().unwrap();
    let later = |amount: &str| {
        outcome_xlsx(&[outcome_row(
            "p-z1-u1",
            "到账",
            &[
                ("所属合同", contract_id),
                ("金额（万元）", amount),
                ("日期", "2026-08-01"),
            ],
        )])
    };
    let over = import_outcomes(&t, &t.zone1, later("200.01"), false).await;
    assert_eq!(
        over.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        over.text
    );
    assert_eq!(import_problems(&over), [(2, "金额（万元）".to_owned())]);
    let fits = import_outcomes(&t, &t.zone1, later("200"), false).await;
    assert_eq!(fits.body["created"], 1, "{}", fits.text);

    // Imported outcomes count once verified, by exactly what they carry.
    for o in &items {
        verify(&t, o["id"].as_str().unwrap()).await;
    }
    let payments1 = target(&t, "contract_payments").await;
    let platforms1 = target(&t, "platforms").await;
    assert!((number(&payments1["actual"]) - number(&payments0["actual"]) - 300.0).abs() < 1e-9);
    assert!((number(&platforms1["actual"]) - number(&platforms0["actual"]) - 1.0).abs() < 1e-9);
}

/// Only the pairings' parties import outcomes: a file naming another's pairing is refused whole, the
/// department records none, and the template lists the caller's own approved pairings.
#[tokio::test]
async fn an_outcome_file_naming_anothers_pairing_is_refused_whole() {
    use calamine::{Reader, Xlsx};

    let t = spawn_app().await;
    approve(&t, "p-z1-u1").await;
    approve(&t, "p-z2-u2").await;
    let platform_row = |p: &str| {
        outcome_row(
            p,
            "共建平台",
            &[
                ("名称", "联合实验室"),
                ("平台类型", "联合实验室"),
                ("平台级别", "省级"),
                ("日期", "2026-04-01"),
            ],
        )
    };
    let mixed = outcome_xlsx(&[platform_row("p-z1-u1"), platform_row("p-z2-u2")]);
    let r = import_outcomes(&t, &t.zone1, mixed.clone(), true).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{}",
        r.text
    );
    let r = import_outcomes(&t, &t.department, mixed, false).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{}",
        r.text
    );
    assert_eq!(outcome_total(&t).await, 0);

    // The university party imports on the same pairing.
    let own = outcome_xlsx(&[platform_row("p-z1-u1")]);
    let r = import_outcomes(&t, &t.university1, own, false).await;
    assert_eq!(r.body["created"], 1, "{}", r.text);

    let res = t
        .client
        .get(t.url("/v1/imports/outcomes/template"))
        .bearer_auth(&t.zone1)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["成果", "填写说明", "对接", "成果类型", "可填的值", "合同"]
    );
    let sheet = |wb: &mut Xlsx<_>, name: &str| -> Vec<Vec<String>> {
        wb.worksheet_range(name)
            .unwrap()
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let first = sheet(&mut wb, "成果");
    assert_eq!(first[0], OUTCOME_HEADER);
    assert_eq!(
        first[1][0], "p-z1-u1",
        "the example names the zone's pairing"
    );
    let pairings: Vec<String> = sheet(&mut wb, "对接")
        .iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(pairings, ["p-z1-u1"], "only the zone's approved pairings");
}
