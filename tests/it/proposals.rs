//! Pairing proposals through the HTTP API: the department runs a proposal on the inline dataset and
//! follows it to `done`; its pairings enter review as `proposed`; other roles are refused; a revise
//! keeps approved pairings and never proposes a rejected one again; a new proposal carries approved
//! triples as they are and supersedes open ones, so no triple has two active pairings; CSV and XLSX
//! exports carry the Chinese headers and the review status; the dashboard counts what the approved
//! pairings hold; finished and interrupted jobs survive a restart.

use std::collections::{BTreeSet, HashMap};
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use crate::doubles::OverlapMatcher;
use reqwest::Method;
use serde_json::{Value, json};
use shuanggao::app::App;
use shuanggao::auth::{self, Role};
use shuanggao::http::{self, HttpConfig};
use shuanggao::store::Store;
use tokio::sync::oneshot;

use crate::support::{self, Reply, TestApp, parse_csv, seeded_store, spawn_app};

/// Asks the department to re-solve a finished batch.
async fn revise(app: &TestApp, job_id: &str) -> Reply {
    let path = format!("/v1/proposals/{job_id}/revise");
    app.post(&path, &app.department, None).await
}

/// The fixture has one or two demands per zone and track, so proposals over it accept pairings of a
/// single benchmark project at any score unless the test says otherwise.
fn on_fixture(mut body: Value) -> Value {
    if let Some(o) = body.as_object_mut() {
        let config = o.entry("config").or_insert_with(|| json!({}));
        if let Some(c) = config.as_object_mut() {
            c.entry("min_projects").or_insert(json!(1));
            c.entry("min_project_score").or_insert(json!(0.0));
        }
    }
    body
}

async fn start(app: &TestApp, body: Value) -> String {
    let body = on_fixture(body);
    let r = app
        .post("/v1/proposals", &app.department, Some(&body))
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let id = r.body["job_id"].as_str().expect("job_id").to_owned();
    assert!(matches!(
        r.body["state"].as_str(),
        Some("queued" | "running" | "done")
    ));
    id
}

/// Polls a job until it is done or failed, checking every progress report on the way.
async fn wait(app: &TestApp, id: &str) -> Value {
    for _ in 0..2400 {
        let r = app
            .get(&format!("/v1/proposals/{id}"), &app.department)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let job = r.body;
        let progress = job["progress"].as_u64().expect("progress is an integer");
        assert!(progress <= 100, "progress {progress}");
        let stage = job["stage"].as_str().unwrap_or("");
        assert!(
            [
                "queued",
                "scoring",
                "bundling",
                "solving",
                "explaining",
                "saving",
                "done",
                "failed"
            ]
            .contains(&stage),
            "stage {stage}"
        );
        match job["state"].as_str() {
            Some("done") | Some("failed") => return job,
            Some("queued") | Some("running") => {}
            other => panic!("unexpected state {other:?}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("job {id} did not finish");
}

async fn run(app: &TestApp, body: Value) -> Value {
    let id = start(app, body).await;
    let job = wait(app, &id).await;
    assert_eq!(job["state"], "done", "{job}");
    job
}

fn triple(p: &Value) -> (String, String, String) {
    let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
    (s("zone_id"), s("university_id"), s("track_id"))
}

fn pairings(job: &Value) -> &Vec<Value> {
    job["batch"]["pairings"].as_array().expect("batch pairings")
}

async fn review(app: &TestApp, id: &str, decision: &str, comment: &str) -> Reply {
    let p = app
        .get(&format!("/v1/pairings/{id}"), &app.department)
        .await;
    assert_eq!(p.status, 200, "{}", p.text);
    let body = json!({"decision": decision, "comment": comment, "version": p.body["version"]});
    app.post(
        &format!("/v1/pairings/{id}/reviews"),
        &app.department,
        Some(&body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn department_runs_a_proposal_and_its_pairings_enter_review() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/v1/proposals",
            &app.department,
            Some(&on_fixture(json!({"track_ids": ["f-storage", "c-bio"]}))),
        )
        .await;
    assert_eq!(r.status, 202);
    let id = r.body["job_id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["kind"], "propose");
    assert_eq!(r.body["track_ids"], json!(["f-storage", "c-bio"]));
    assert!(r.body.get("batch").is_none(), "no batch before it runs");
    let job = wait(&app, &id).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(
        (job["progress"].as_u64(), job["stage"].as_str()),
        (Some(100), Some("done"))
    );
    assert!(job["error"].is_null());

    let batch = &job["batch"];
    let list = pairings(&job);
    assert!(list.len() >= 2, "{batch}");
    let sum: f64 = list.iter().map(|p| p["quality"].as_f64().unwrap()).sum();
    assert!((batch["objective"].as_f64().unwrap() - sum).abs() < 1e-6);
    assert_eq!(batch["optimality"]["proven_optimal"], true);
    assert_eq!(batch["optimality"]["gap"], 0.0);
    assert!(batch["diagnostics"].is_array());
    assert_eq!(job["summary"]["pairing_count"], list.len());

    let mut ids = BTreeSet::new();
    for p in list {
        assert_eq!(p["status"], "proposed");
        assert_eq!(p["version"], 1);
        assert!(p["bundle"]["industrial_direction"]["track_name"].is_string());
        assert!(
            p["bundle"]["benchmark_projects"]
                .as_array()
                .is_some_and(|b| !b.is_empty())
        );
        // Fewer than 10 fitting demands is a shortfall, never padding.
        let n = p["bundle"]["benchmark_projects"].as_array().unwrap().len();
        assert_eq!(p["bundle"]["shortfall"]["projects"], n);
        assert!(!p["explanation"]["summary"].as_str().unwrap().is_empty());
        assert!(p["explanation"]["breakdown"]["quality"].is_number());
        let pid = p["pairing_id"].as_str().unwrap();
        ids.insert(pid.to_owned());
        // The same pairing in the review workflow, with its bundle and explanation.
        let rec = app
            .get(&format!("/v1/pairings/{pid}"), &app.department)
            .await;
        assert_eq!(rec.status, 200);
        assert_eq!(rec.body["status"], "proposed");
        assert_eq!(rec.body["batch_id"], id.as_str());
        assert_eq!(triple(&rec.body), triple(p));
        assert_eq!(
            rec.body["bundle"]["benchmark_projects"],
            p["bundle"]["benchmark_projects"]
        );
        assert_eq!(rec.body["bundle"]["explanation"], p["explanation"]);
        let h = app
            .get(&format!("/v1/pairings/{pid}/history"), &app.department)
            .await;
        assert_eq!(h.body["items"][0]["action"], "propose");
        assert_eq!(h.body["items"][0]["actor"]["name"], "处长");
    }
    // Demand exclusions hold: d4 excludes u1.
    for p in list {
        if p["university_id"] == "u1" {
            let projects = p["bundle"]["benchmark_projects"].as_array().unwrap();
            assert!(projects.iter().all(|d| d["demand_id"] != "d4"));
        }
    }
    let of_batch = app
        .get(
            &format!("/v1/pairings?status=proposed&batch_id={id}"),
            &app.department,
        )
        .await;
    let listed: BTreeSet<String> = of_batch.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, ids);
    // Parties see the batch's pairings that involve them.
    let zone = app.get("/v1/pairings", &app.zone1).await;
    let zone_batch = zone.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["batch_id"] == id.as_str())
        .count();
    let expected = list.iter().filter(|p| p["zone_id"] == "z1").count();
    assert_eq!(zone_batch, expected);

    let all = app.get("/v1/proposals?limit=5", &app.department).await;
    assert_eq!(all.status, 200);
    assert_eq!(all.body["total"], 1);
    let item = &all.body["items"][0];
    assert_eq!(item["job_id"], id.as_str());
    assert_eq!(item["state"], "done");
    assert!(
        item.get("batch").is_none(),
        "lists carry summaries, not batches"
    );
    assert_eq!(item["summary"]["pairing_count"], list.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_department_works_with_proposals() {
    let app = spawn_app().await;
    let job = run(&app, json!({"track_ids": ["f-storage"]})).await;
    let id = job["job_id"].as_str().unwrap();
    let body = json!({"track_ids": ["f-storage"]});
    let routes: Vec<(Method, String, Option<&Value>)> = vec![
        (Method::POST, "/v1/proposals".into(), Some(&body)),
        (Method::GET, "/v1/proposals".into(), None),
        (Method::GET, format!("/v1/proposals/{id}"), None),
        (Method::POST, format!("/v1/proposals/{id}/revise"), None),
        (
            Method::GET,
            format!("/v1/proposals/{id}/export?format=csv"),
            None,
        ),
        (Method::GET, "/v1/dashboard".into(), None),
    ];
    for (method, path, body) in routes {
        let none = app.send(method.clone(), &path, None, body).await;
        assert_eq!(
            (none.status.as_u16(), none.code()),
            (401, "missing_token"),
            "{path}"
        );
        for token in [&app.zone1, &app.university1] {
            let r = app.send(method.clone(), &path, Some(token), body).await;
            assert_eq!(
                (r.status.as_u16(), r.code()),
                (403, "forbidden"),
                "{method} {path}"
            );
        }
    }
    let all = app.get("/v1/proposals", &app.department).await;
    assert_eq!(all.body["total"], 1, "refused calls queued nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_proposals_and_unknown_jobs_have_stable_codes() {
    let app = spawn_app().await;
    let post = |body: Value| {
        let app = &app;
        async move {
            app.post("/v1/proposals", &app.department, Some(&body))
                .await
        }
    };
    let cases = [
        (
            json!({"track_ids": ["nope"]}),
            422,
            "unknown_track",
            Some("track_ids"),
        ),
        (
            json!({"track_ids": []}),
            422,
            "no_tracks",
            Some("track_ids"),
        ),
        (
            json!({"track_ids": ["f-storage"], "config": {"zone_track_min": 3, "zone_track_max": 2}}),
            422,
            "invalid_config",
            Some("config.zone_track_min"),
        ),
        (
            json!({"track_ids": ["f-storage"], "config": {"min_quality": 1.5}}),
            422,
            "invalid_config",
            Some("config.min_quality"),
        ),
        (
            json!({"track_ids": ["f-storage"], "config": {"forced": [["z9", "u1", "f-storage"]]}}),
            422,
            "unknown_zone",
            Some("config.forced"),
        ),
        (
            json!({"track_ids": ["f-storage"], "config": {"forbidden": [["z1", "u9", "f-storage"]]}}),
            422,
            "unknown_university",
            Some("config.forbidden"),
        ),
        (
            json!({"track_ids": ["f-storage"], "config": {
                "forced": [["z1", "u1", "f-storage"]], "forbidden": [["z1", "u1", "f-storage"]]}}),
            422,
            "conflicting_triple",
            Some("config.forbidden"),
        ),
        (
            json!({"track_ids": ["f-storage"], "config": {"zone_track_mni": 1}}),
            400,
            "bad_request",
            None,
        ),
        (json!({"tracks": ["f-storage"]}), 400, "bad_request", None),
        (
            json!({"track_ids": ["f-storage"], "config": {"forced": [["z1", "u1"]]}}),
            400,
            "bad_request",
            None,
        ),
    ];
    for (body, status, code, field) in cases {
        let r = post(body.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.code()),
            (status, code),
            "{body}: {}",
            r.text
        );
        assert_eq!(r.body["field"].as_str(), field, "{body}");
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let all = app.get("/v1/proposals", &app.department).await;
    assert_eq!(all.body["total"], 0, "refused requests queue nothing");

    for (method, path) in [
        (Method::GET, "/v1/proposals/pj-nope"),
        (Method::POST, "/v1/proposals/pj-nope/revise"),
        (Method::GET, "/v1/proposals/pj-nope/export"),
    ] {
        let r = app.send(method, path, Some(&app.department), None).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"), "{path}");
    }

    // A job recorded but not run yet (as if waiting behind others), and a failed one.
    let store = app.app.store();
    store
        .insert_job("pj-waiting", &json!({"track_ids": ["f-storage"]}), "处长")
        .unwrap();
    store
        .insert_job("pj-failed", &json!({"track_ids": ["f-storage"]}), "处长")
        .unwrap();
    store
        .fail_job(
            "pj-failed",
            r#"{"code":"matcher_failed","message":"matcher failed"}"#,
        )
        .unwrap();
    let w = app.get("/v1/proposals/pj-waiting", &app.department).await;
    assert_eq!(
        (w.body["state"].as_str(), w.body["progress"].as_u64()),
        (Some("queued"), Some(0))
    );
    let f = app.get("/v1/proposals/pj-failed", &app.department).await;
    assert_eq!(f.body["state"], "failed");
    assert_eq!(f.body["error"]["code"], "matcher_failed");
    for id in ["pj-waiting", "pj-failed"] {
        for (method, path) in [
            (Method::POST, format!("/v1/proposals/{id}/revise")),
            (
                Method::GET,
                format!("/v1/proposals/{id}/export?format=xlsx"),
            ),
        ] {
            let r = app.send(method, &path, Some(&app.department), None).await;
            assert_eq!(
                (r.status.as_u16(), r.code()),
                (409, "job_not_done"),
                "{path}"
            );
        }
    }
    let job = run(&app, json!({"track_ids": ["f-storage"]})).await;
    let r = app
        .get(
            &format!(
                "/v1/proposals/{}/export?format=pdf",
                job["job_id"].as_str().unwrap()
            ),
            &app.department,
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "invalid_parameter"));
    let r = app.get("/v1/proposals?limit=0", &app.department).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "invalid_parameter"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revise_keeps_approved_pairings_and_never_reproposes_rejected_ones() {
    let app = spawn_app().await;
    let first = run(&app, json!({"track_ids": ["f-storage", "c-bio"]})).await;
    let first_id = first["job_id"].as_str().unwrap().to_owned();
    let list = pairings(&first);
    let find = |z: &str, u: &str, t: &str| {
        list.iter()
            .find(|p| triple(p) == (z.to_owned(), u.to_owned(), t.to_owned()))
            .unwrap_or_else(|| panic!("({z}, {u}, {t}) in {list:?}"))
    };
    let approved = find("z1", "u1", "f-storage");
    let rejected = find("z1", "u2", "f-storage");
    let open = find("z2", "u2", "c-bio");
    let approved_id = approved["pairing_id"].as_str().unwrap().to_owned();
    let rejected_id = rejected["pairing_id"].as_str().unwrap().to_owned();
    let open_id = open["pairing_id"].as_str().unwrap().to_owned();
    assert_eq!(review(&app, &approved_id, "approve", "").await.status, 200);
    assert_eq!(
        review(&app, &rejected_id, "reject", "方向不符")
            .await
            .status,
        200
    );

    // The batch shows the review state live.
    let seen = app
        .get(&format!("/v1/proposals/{first_id}"), &app.department)
        .await;
    let statuses: HashMap<String, String> = pairings(&seen.body)
        .iter()
        .map(|p| {
            (
                p["pairing_id"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(statuses[&approved_id], "approved");
    assert_eq!(statuses[&rejected_id], "rejected");

    let r = revise(&app, &first_id).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["kind"], "revise");
    assert_eq!(r.body["revises"], first_id.as_str());
    let second_id = r.body["job_id"].as_str().unwrap().to_owned();
    assert_ne!(second_id, first_id);
    let second = wait(&app, &second_id).await;
    assert_eq!(second["state"], "done", "{second}");

    let check = |job: &Value, new_id: &str| {
        let list = pairings(job);
        let kept = list
            .iter()
            .find(|p| p["pairing_id"] == approved_id.as_str())
            .expect("the approved pairing is kept, as the same review record");
        assert_eq!(kept["status"], "approved");
        assert_eq!(kept["forced"], true);
        assert!(
            list.iter().all(|p| triple(p) != triple(rejected)),
            "the rejected pairing is not proposed again"
        );
        assert_eq!(job["batch"]["approved"], json!([["z1", "u1", "f-storage"]]));
        assert_eq!(job["batch"]["rejected"], json!([["z1", "u2", "f-storage"]]));
        for p in list
            .iter()
            .filter(|p| p["pairing_id"] != approved_id.as_str())
        {
            assert_eq!(p["status"], "proposed");
            assert!(p["pairing_id"].as_str().unwrap().starts_with(new_id));
        }
    };
    check(&second, &second_id);

    // The open pairing of the first batch is superseded by its new copy.
    let old = app
        .get(&format!("/v1/pairings/{open_id}"), &app.department)
        .await;
    assert_eq!(old.body["superseded_by"], second_id.as_str());
    let r = review(&app, &open_id, "approve", "").await;
    assert_eq!((r.status.as_u16(), r.code()), (409, "pairing_superseded"));
    let copy = pairings(&second)
        .iter()
        .find(|p| triple(p) == triple(open))
        .expect("the open pairing is proposed again");
    assert_ne!(copy["pairing_id"], open_id.as_str());
    // The review queue holds no superseded and no rejected pairing.
    let queue = app
        .get("/v1/pairings?status=proposed&limit=100", &app.department)
        .await;
    for p in queue.body["items"].as_array().unwrap() {
        assert_ne!(p["id"], open_id.as_str());
        if p["batch_id"] == first_id.as_str() || p["batch_id"] == second_id.as_str() {
            assert_ne!(triple(p), triple(rejected));
        }
    }

    // A revise of the revise carries both decisions on.
    let r = revise(&app, &second_id).await;
    assert_eq!(r.status, 202);
    let third_id = r.body["job_id"].as_str().unwrap().to_owned();
    let third = wait(&app, &third_id).await;
    assert_eq!(third["state"], "done", "{third}");
    check(&third, &third_id);
    let of_third = app
        .get(
            &format!("/v1/pairings?batch_id={third_id}"),
            &app.department,
        )
        .await;
    for p in of_third.body["items"].as_array().unwrap() {
        assert_ne!(triple(p), triple(rejected));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_carry_chinese_headers_and_the_review_status() {
    let app = spawn_app().await;
    let job = run(&app, json!({"track_ids": ["f-storage", "c-bio"]})).await;
    let id = job["job_id"].as_str().unwrap();
    let list = pairings(&job).clone();
    let approved = list[0]["pairing_id"].as_str().unwrap();
    assert_eq!(review(&app, approved, "approve", "").await.status, 200);
    let rejected = list[1]["pairing_id"].as_str().unwrap();
    assert_eq!(review(&app, rejected, "reject", "不合适").await.status, 200);
    let expected_status = |i: usize| match i {
        0 => "已批准",
        1 => "已驳回",
        _ => "拟推荐",
    };
    // The latest note of each pairing: a comment after the approval, the rejection's reason.
    let comment = json!({"body": "请尽快签约"});
    let r = app
        .post(
            &format!("/v1/pairings/{approved}/comments"),
            &app.department,
            Some(&comment),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let expected_note = |i: usize| match i {
        0 => "请尽快签约",
        1 => "不合适",
        _ => "",
    };

    let fetch = |format: &'static str| {
        let app = &app;
        async move {
            app.client
                .get(app.url(&format!("/v1/proposals/{id}/export?format={format}")))
                .bearer_auth(&app.department)
                .send()
                .await
                .unwrap()
        }
    };

    let res = fetch("csv").await;
    assert_eq!(res.status(), 200);
    let header = |name: &str| res.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "text/csv; charset=utf-8");
    let disposition = header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    assert!(disposition.contains(&format!("{id}.csv")), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let bytes = res.bytes().await.unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("UTF-8 byte-order mark");
    let rows = parse_csv(text);
    assert_eq!(rows[0], support::export_headers());
    assert_eq!(rows.len(), list.len() + 1);
    let created = job["created_at"].as_str().unwrap();
    let batch_date = shuanggao::pairing::export::china_date(created);
    assert_eq!(batch_date.len(), 10, "{created}");
    for (i, (row, p)) in rows[1..].iter().zip(&list).enumerate() {
        assert_eq!(row.len(), 15);
        assert_eq!(row[0], (i + 1).to_string());
        assert_eq!(row[1], p["zone_name"].as_str().unwrap());
        assert_eq!(row[2], p["university_name"].as_str().unwrap());
        assert_eq!(row[3], p["track_name"].as_str().unwrap());
        assert!(["达标", "培育"].contains(&row[4].as_str()), "{row:?}");
        for c in 5..=9 {
            assert!(!row[c].is_empty(), "column {c} of {row:?}");
        }
        let n = p["bundle"]["benchmark_projects"].as_array().unwrap().len();
        assert_eq!(row[10], n.to_string());
        let score: f64 = row[11].parse().unwrap();
        assert!((score - p["quality"].as_f64().unwrap()).abs() < 1e-3);
        assert_eq!(row[12], expected_status(i));
        assert_eq!(row[13], expected_note(i));
        assert_eq!(row[14], batch_date);
    }

    let res = fetch("xlsx").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("{id}.xlsx"))
    );
    let bytes = res.bytes().await.unwrap().to_vec();
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let sheets = book.sheet_names();
    assert_eq!(sheets, support::EXPORT_SHEETS);
    let range = book.worksheet_range(&sheets[0]).unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0], support::export_headers());
    assert_eq!(rows.len(), list.len() + 1);
    for (i, (row, p)) in rows[1..].iter().zip(&list).enumerate() {
        assert_eq!(row[1], p["zone_name"].as_str().unwrap());
        assert_eq!(row[12], expected_status(i));
        assert_eq!(row[13], expected_note(i));
        let n = p["bundle"]["benchmark_projects"].as_array().unwrap().len();
        assert_eq!(row[10].parse::<f64>().unwrap(), n as f64);
    }
    let range = book.worksheet_range("标杆项目").unwrap();
    let projects: usize = list
        .iter()
        .map(|p| p["bundle"]["benchmark_projects"].as_array().unwrap().len())
        .sum();
    assert_eq!(range.rows().count(), 1 + projects);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_counts_what_the_approved_pairings_hold() {
    let app = spawn_app().await;
    let empty = app.get("/v1/dashboard", &app.department).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    let d = &empty.body;
    assert_eq!(
        (d["zones"]["covered"].as_u64(), d["zones"]["total"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(d["universities"]["total"], 2);
    assert_eq!(d["pairings"]["proposed"], 4, "the four seeded pairings");
    assert_eq!(d["benchmark_projects"]["planned"], 0);
    assert_eq!(d["by_city"].as_array().unwrap().len(), 2);

    // A seeded pairing with a bare bundle, approved before the proposal: the batch carries it.
    assert_eq!(review(&app, "p-z2-u2", "approve", "").await.status, 200);
    let job = run(&app, json!({"track_ids": ["f-storage", "c-bio"]})).await;
    let list = pairings(&job).clone();
    let carried = list
        .iter()
        .find(|p| p["pairing_id"] == "p-z2-u2")
        .expect("the approved seeded pairing is carried");
    assert_eq!(carried["status"], "approved");
    // Approve every proposed pairing of the batch but one.
    let approve: Vec<&Value> = list
        .iter()
        .filter(|p| p["status"] == "proposed")
        .skip(1)
        .collect();
    for p in &approve {
        let r = review(&app, p["pairing_id"].as_str().unwrap(), "approve", "").await;
        assert_eq!(r.status, 200);
    }

    let d = app.get("/v1/dashboard", &app.department).await.body;
    let zones: BTreeSet<&str> = approve
        .iter()
        .map(|p| p["zone_id"].as_str().unwrap())
        .chain(["z2"])
        .collect();
    let unis: BTreeSet<&str> = approve
        .iter()
        .map(|p| p["university_id"].as_str().unwrap())
        .chain(["u2"])
        .collect();
    assert_eq!(d["pairings"]["approved"], approve.len() + 1);
    assert_eq!(d["zones"]["covered"], zones.len());
    assert_eq!(d["universities"]["covered"], unis.len());
    let projects = |p: &Value| p["bundle"]["benchmark_projects"].as_array().unwrap().len();
    let planned: usize = approve.iter().map(|p| projects(p)).sum::<usize>() + 2;
    assert_eq!(d["benchmark_projects"]["planned"], planned);
    // Every pairing of this tiny dataset is short of 10 projects.
    assert_eq!(d["benchmark_projects"]["short_pairings"], approve.len() + 1);
    assert_eq!(d["benchmark_projects"]["qualified_pairings"], 0);
    let short = d["pairings_short"].as_array().unwrap();
    assert_eq!(short.len(), approve.len() + 1);
    for s in short {
        assert_eq!(
            s["shortfall"].as_u64().unwrap(),
            s["target"].as_u64().unwrap() - s["projects"].as_u64().unwrap()
        );
    }
    let zone_platforms: BTreeSet<String> = approve
        .iter()
        .filter_map(|p| p["bundle"]["innovation_platform"]["zone"]["name"].as_str())
        .map(str::to_owned)
        .collect();
    assert_eq!(d["platforms"]["zone"], zone_platforms.len());
    let talents = approve
        .iter()
        .filter(|p| !p["bundle"]["leading_talent"].is_null())
        .count();
    assert!(d["talents"]["total"].as_u64().unwrap() <= talents as u64);

    let tracks = d["by_track"].as_array().unwrap();
    let track_sum: u64 = tracks.iter().map(|t| t["pairings"].as_u64().unwrap()).sum();
    assert_eq!(track_sum as usize, approve.len() + 1);
    let track_projects: u64 = tracks.iter().map(|t| t["projects"].as_u64().unwrap()).sum();
    assert_eq!(track_projects as usize, planned);
    let cities: HashMap<&str, &Value> = d["by_city"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["city"].as_str().unwrap(), c))
        .collect();
    for (city, zone) in [("苏州", "z1"), ("泰州", "z2")] {
        let c = cities[city];
        assert_eq!(c["zones_total"], 1);
        let n = approve.iter().filter(|p| p["zone_id"] == zone).count() + usize::from(zone == "z2");
        assert_eq!(c["pairings"], n, "{city}");
        assert_eq!(c["zones_covered"], usize::from(n > 0), "{city}");
    }
    let uncovered: Vec<&str> = d["zones"]["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["id"].as_str().unwrap())
        .collect();
    assert_eq!(uncovered.len(), 2 - zones.len());
}

/// Every pairing the list API shows (superseded ones are left out), all pages.
async fn all_pairings(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let r = app
            .get(
                &format!("/v1/pairings?limit=100&offset={}", out.len()),
                &app.department,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let page = r.body["items"].as_array().unwrap().clone();
        let total = r.body["total"].as_u64().unwrap() as usize;
        out.extend(page);
        if out.len() >= total {
            return out;
        }
    }
}

async fn preview(app: &TestApp, tracks: &str) -> Reply {
    app.get(
        &format!("/v1/proposals/preview?track_ids={tracks}"),
        &app.department,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_proposal_carries_approved_triples_and_supersedes_open_ones() {
    let app = spawn_app().await;
    let tracks = "f-storage,c-bio";
    // The four seeded pairings are open; a proposal for their tracks would supersede them.
    let p = preview(&app, tracks).await;
    assert_eq!(p.status, 200, "{}", p.text);
    assert_eq!(p.body, json!({"open_pairings": 4, "approved_carried": 0}));
    let first = run(&app, json!({"track_ids": ["f-storage", "c-bio"]})).await;
    let first_id = first["job_id"].as_str().unwrap().to_owned();
    let seeded = app.get("/v1/pairings/p-z1-u1", &app.department).await;
    assert_eq!(seeded.body["superseded_by"], first_id.as_str());

    let list = pairings(&first).clone();
    assert!(list.len() >= 2, "{list:?}");
    let approved = &list[0];
    let approved_id = approved["pairing_id"].as_str().unwrap().to_owned();
    assert_eq!(review(&app, &approved_id, "approve", "").await.status, 200);
    let p = preview(&app, tracks).await;
    assert_eq!(
        p.body,
        json!({"open_pairings": list.len() - 1, "approved_carried": 1})
    );
    assert_eq!(
        preview(&app, "c-bio,f-storage,c-bio").await.body,
        p.body,
        "order and repeats do not matter"
    );

    // The same tracks again, as a new proposal (not a revise).
    let second = run(&app, json!({"track_ids": ["f-storage", "c-bio"]})).await;
    let second_id = second["job_id"].as_str().unwrap().to_owned();
    assert_eq!(second["kind"], "propose");
    let kept: Vec<&Value> = pairings(&second)
        .iter()
        .filter(|p| triple(p) == triple(approved))
        .collect();
    assert_eq!(kept.len(), 1, "the approved triple is in the batch once");
    assert_eq!(
        kept[0]["pairing_id"],
        approved_id.as_str(),
        "same review record"
    );
    assert_eq!(kept[0]["status"], "approved");
    assert_eq!(kept[0]["forced"], true);
    let of_second = app
        .get(
            &format!("/v1/pairings?batch_id={second_id}&limit=100"),
            &app.department,
        )
        .await;
    assert!(
        of_second.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| triple(p) != triple(approved)),
        "no new row for the approved triple"
    );
    let record = app
        .get(&format!("/v1/pairings/{approved_id}"), &app.department)
        .await;
    assert_eq!(
        (
            record.body["status"].as_str(),
            record.body["version"].as_i64()
        ),
        (Some("approved"), Some(2))
    );
    assert!(record.body["superseded_by"].is_null());
    // The first batch's open pairings are superseded by the second.
    let old = app
        .get(&format!("/v1/proposals/{first_id}"), &app.department)
        .await;
    for p in pairings(&old.body)
        .iter()
        .filter(|p| p["pairing_id"] != approved_id.as_str())
    {
        assert_eq!(p["superseded_by"], second_id.as_str(), "{p}");
    }

    // No triple has two active pairings, over every pairing the API lists.
    let all = all_pairings(&app).await;
    let mut active = BTreeSet::new();
    let mut approved_triples = BTreeSet::new();
    for p in &all {
        let status = p["status"].as_str().unwrap();
        assert!(p["superseded_by"].is_null());
        if ["proposed", "changes_requested", "approved"].contains(&status) {
            assert!(
                active.insert(triple(p)),
                "two active pairings for {:?}",
                triple(p)
            );
        }
        if status == "approved" {
            approved_triples.insert(triple(p));
        }
    }
    assert_eq!(approved_triples.len(), 1);
    let d = app.get("/v1/dashboard", &app.department).await.body;
    assert_eq!(d["pairings"]["approved"], approved_triples.len());
    let planned = approved["bundle"]["benchmark_projects"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(d["benchmark_projects"]["planned"], planned);

    // The preview asks for tracks it knows, and only the department asks.
    for (query, code) in [
        ("", "no_tracks"),
        ("track_ids=", "no_tracks"),
        ("track_ids=nope", "unknown_track"),
    ] {
        let r = app
            .get(&format!("/v1/proposals/preview?{query}"), &app.department)
            .await;
        assert_eq!((r.status.as_u16(), r.code()), (422, code), "{query}");
        assert_eq!(r.body["field"], "track_ids");
    }
    let r = app
        .get("/v1/proposals/preview?track_ids=c-bio", &app.zone1)
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (403, "forbidden"));
    let r = app
        .get("/v1/proposals/preview?tracks=c-bio", &app.department)
        .await;
    assert_eq!(r.status.as_u16(), 400);
}

/// Serves `store` on 127.0.0.1:0 until the returned sender fires; the handle ends with the server.
async fn serve(store: Store) -> (String, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let matcher = Arc::new(OverlapMatcher::new(&store.load_dataset().unwrap()));
    let app = App::new(store, matcher).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        http::serve(listener, app, HttpConfig::default(), async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    (base, tx, handle)
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Value {
    client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_at(client: &reqwest::Client, base: &str, token: &str, id: &str) -> Value {
    for _ in 0..2400 {
        let job = get_json(client, &format!("{base}/v1/proposals/{id}"), token).await;
        if matches!(job["state"].as_str(), Some("done" | "failed")) {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_and_interrupted_jobs_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var/db.sqlite");
    let client = reqwest::Client::new();
    let open = |path: &Path| -> Store {
        if path.exists() {
            Store::open(path).unwrap()
        } else {
            seeded_store(path)
        }
    };
    let store = open(&path);
    let token = auth::create_token(&store, &Role::Department, "处长")
        .unwrap()
        .1;
    let (base, stop, handle) = serve(store).await;
    let res = client
        .post(format!("{base}/v1/proposals"))
        .bearer_auth(&token)
        .json(&json!({"track_ids": ["f-storage"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/v1/proposals/pj-")
    );
    let id = res.json::<Value>().await.unwrap()["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = wait_at(&client, &base, &token, &id).await;
    assert_eq!(done["state"], "done");
    let _ = stop.send(());
    handle.await.unwrap();

    // A job the previous process had started when it stopped.
    let store = open(&path);
    store
        .insert_job(
            "pj-interrupted",
            &on_fixture(json!({"track_ids": ["c-bio"]})),
            "处长",
        )
        .unwrap();
    store
        .set_job_progress("pj-interrupted", "running", 42.0, Some("solving"))
        .unwrap();
    let (base, stop, handle) = serve(store).await;
    let list = get_json(&client, &format!("{base}/v1/proposals"), &token).await;
    assert_eq!(list["total"], 2);
    let again = get_json(&client, &format!("{base}/v1/proposals/{id}"), &token).await;
    assert_eq!(again["state"], "done");
    assert_eq!(
        again["batch"], done["batch"],
        "the batch reads back as it was"
    );
    let resumed = wait_at(&client, &base, &token, "pj-interrupted").await;
    assert_eq!(resumed["state"], "done", "{resumed}");
    assert!(!pairings(&resumed).is_empty());
    let _ = stop.send(());
    handle.await.unwrap();
}
