//! Acknowledged writes survive `kill -9`: the real binary serves a database seeded through the store,
//! clients stream reviews and comments, the process is SIGKILLed mid-stream, and after a restart on the
//! same database every write that was answered 2xx is there.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use shuanggao::auth::{self, Role};
use shuanggao::review::PairingStatus;
use shuanggao::store::Store;
use tokio::sync::Mutex;

use crate::support::{dataset, seed_pairing, seeded_store, write_dataset};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `shuanggao serve` on port 0 and waits for the address it prints.
fn start(dir: &Path) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shuanggao"));
    command.args(["serve", "--addr", "127.0.0.1:0"]);
    let paths = [
        ("--data", "data"),
        ("--db", "var/shuanggao.db"),
        ("--index", "index"),
        ("--models", "models"),
    ];
    for (flag, path) in paths {
        command.arg(flag).arg(dir.join(path));
    }
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn shuanggao serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .expect("read stdout");
        if let Some(addr) = line.strip_prefix("listening on ") {
            break addr.trim().to_owned();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, base }
}

#[derive(Debug, Clone)]
enum Ack {
    Review(String),
    Comment(String, String),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(&dir.path().join("data"), &dataset());
    let pairings = 400;
    let token = {
        let store = seeded_store(&dir.path().join("var/shuanggao.db"));
        for i in 0..pairings {
            // One university per pairing: a triple holds one active pairing.
            seed_pairing(
                &store,
                &format!("k-{i}"),
                "z1",
                &format!("u-k-{i}"),
                "f-storage",
            );
        }
        auth::create_token(&store, &Role::Department, "reviewer")
            .unwrap()
            .1
    };

    let server = start(dir.path());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let acks = Arc::new(Mutex::new(Vec::<Ack>::new()));
    let acked = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        let (acks, acked, next) = (acks.clone(), acked.clone(), next.clone());
        writers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= pairings {
                    return;
                }
                let id = format!("k-{i}");
                let (url, body, ack) = if i % 2 == 0 {
                    (
                        format!("{base}/v1/pairings/{id}/reviews"),
                        json!({"decision": "approve", "version": 1}),
                        Ack::Review(id),
                    )
                } else {
                    let text = format!("comment {i} from writer {w}");
                    (
                        format!("{base}/v1/pairings/{id}/comments"),
                        json!({"body": text}),
                        Ack::Comment(id, text),
                    )
                };
                match client
                    .post(url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(res) if res.status().is_success() => {
                        acks.lock().await.push(ack);
                        acked.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(res) => panic!("unexpected status {}", res.status()),
                    // The server was killed: stop streaming.
                    Err(_) => return,
                }
            }
        }));
    }
    // Kill mid-stream, once a good part of the writes was acknowledged.
    while acked.load(Ordering::SeqCst) < 120 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut server = server;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acks = acks.lock().await.clone();
    assert!(
        acks.len() >= 120 && acks.len() < pairings,
        "killed mid-stream ({} acks)",
        acks.len()
    );

    // Straight from the database file.
    let store = Store::open(&dir.path().join("var/shuanggao.db")).unwrap();
    for ack in &acks {
        match ack {
            Ack::Review(id) => {
                let p = store.pairing(id).unwrap().expect("pairing");
                assert_eq!((p.status, p.version), (PairingStatus::Approved, 2), "{id}");
                assert_eq!(store.history(id).unwrap().len(), 2, "{id}");
            }
            Ack::Comment(id, text) => {
                let comments = store.comments(id).unwrap();
                assert!(comments.iter().any(|c| &c.body == text), "{id}: {text}");
            }
        }
    }
    drop(store);

    // And through a restarted server on the same database.
    let server = start(dir.path());
    for ack in acks.iter().take(40) {
        let (path, needle) = match ack {
            Ack::Review(id) => (format!("/v1/pairings/{id}"), "\"approved\"".to_owned()),
            Ack::Comment(id, text) => (format!("/v1/pairings/{id}/comments"), text.clone()),
        };
        let res = client
            .get(format!("{}{path}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let text = res.text().await.unwrap();
        assert!(text.contains(&needle), "{path}: {text}");
    }
}

#[derive(Debug, Clone)]
enum OutcomeAck {
    Recorded(String),
    Verified(String),
}

/// Outcomes recorded by a zone and verified by the department while the server is SIGKILLed: every
/// acknowledged record and verification is in the database afterwards, with its history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_outcomes_and_their_history_survive_kill_9() {
    use shuanggao::outcome::{OutcomeAction, OutcomeStatus};
    use shuanggao::review::Decision;

    let dir = tempfile::tempdir().unwrap();
    write_dataset(&dir.path().join("data"), &dataset());
    let pairings = 300;
    let (zone, department) = {
        let store = seeded_store(&dir.path().join("var/shuanggao.db"));
        let seed = crate::support::seed_actor();
        for i in 0..pairings {
            let id = format!("o-{i}");
            seed_pairing(&store, &id, "z1", &format!("u-o-{i}"), "f-storage");
            store
                .review_pairing(&id, &seed, Decision::Approve, "", 1)
                .unwrap();
        }
        let token = |role: Role| auth::create_token(&store, &role, "writer").unwrap().1;
        (token(Role::Zone("z1".into())), token(Role::Department))
    };

    let server = start(dir.path());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let acks = Arc::new(Mutex::new(Vec::<OutcomeAck>::new()));
    let acked = Arc::new(AtomicUsize::new(0));
    let next = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for _ in 0..4 {
        let (client, base) = (client.clone(), server.base.clone());
        let (zone, department) = (zone.clone(), department.clone());
        let (acks, acked, next) = (acks.clone(), acked.clone(), next.clone());
        writers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= pairings {
                    return;
                }
                let body = json!({"kind": "contract", "enterprise": "苏州某公司",
                    "amount_wan_yuan": 100 + i, "signed_on": "2026-03-01"});
                let res = client
                    .post(format!("{base}/v1/pairings/o-{i}/outcomes"))
                    .bearer_auth(&zone)
                    .json(&body)
                    .send()
                    .await;
                let id = match res {
                    Ok(res) if res.status() == reqwest::StatusCode::CREATED => {
                        let v: serde_json::Value = match res.json().await {
                            Ok(v) => v,
                            Err(_) => return,
                        };
                        let id = v["id"].as_str().expect("id").to_owned();
                        acks.lock().await.push(OutcomeAck::Recorded(id.clone()));
                        acked.fetch_add(1, Ordering::SeqCst);
                        id
                    }
                    Ok(res) => panic!("unexpected status {}", res.status()),
                    Err(_) => return,
                };
                if i % 2 == 0 {
                    match client
                        .post(format!("{base}/v1/outcomes/{id}/verify"))
                        .bearer_auth(&department)
                        .json(&json!({"decision": "verify"}))
                        .send()
                        .await
                    {
                        Ok(res) if res.status().is_success() => {
                            acks.lock().await.push(OutcomeAck::Verified(id));
                            acked.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(res) => panic!("unexpected status {}", res.status()),
                        Err(_) => return,
                    }
                }
            }
        }));
    }
    while acked.load(Ordering::SeqCst) < 120 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut server = server;
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acks = acks.lock().await.clone();
    let recorded = acks
        .iter()
        .filter(|a| matches!(a, OutcomeAck::Recorded(_)))
        .count();
    assert!(
        acks.len() >= 120 && recorded < pairings,
        "killed mid-stream ({} acks)",
        acks.len()
    );

    let store = Store::open(&dir.path().join("var/shuanggao.db")).unwrap();
    for ack in &acks {
        let (id, status, steps) = match ack {
            OutcomeAck::Recorded(id) => (id, None, 1),
            OutcomeAck::Verified(id) => (id, Some(OutcomeStatus::Verified), 2),
        };
        let o = store.outcome(id).unwrap().expect("outcome");
        if let Some(status) = status {
            assert_eq!(o.status, status, "{id}");
        }
        let history = store.outcome_history(id).unwrap();
        assert!(history.len() >= steps, "{id}: {history:?}");
        assert_eq!(history[0].action, OutcomeAction::Record, "{id}");
        if status.is_some() {
            assert_eq!(history[1].action, OutcomeAction::Verify, "{id}");
        }
    }
    drop(store);

    // And through a restarted server on the same database.
    let server = start(dir.path());
    for ack in acks.iter().take(40) {
        let (OutcomeAck::Recorded(id) | OutcomeAck::Verified(id)) = ack;
        let res = client
            .get(format!("{}/v1/outcomes/{id}", server.base))
            .bearer_auth(&zone)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{id}");
    }
}
