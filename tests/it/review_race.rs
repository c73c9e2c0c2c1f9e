//! Two department reviewers decide the same pairing version at the same moment: exactly one wins, the
//! other gets 409 `version_conflict`, and the history holds only the winner's step.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;
use tokio::sync::Barrier;

use crate::support::{seed_pairing, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reviewers_exactly_one_wins() {
    let app = Arc::new(spawn_app().await);
    let rounds = 20;
    for i in 0..rounds {
        // One university per pairing: a triple holds one active pairing.
        seed_pairing(
            app.app.store(),
            &format!("race-{i}"),
            "z1",
            &format!("u-race-{i}"),
            "f-storage",
        );
    }
    for i in 0..rounds {
        let id = format!("race-{i}");
        let barrier = Arc::new(Barrier::new(2));
        let bodies = [
            json!({"decision": "approve", "version": 1}),
            json!({"decision": "request_changes", "comment": "补充基金", "version": 1}),
        ];
        let mut tasks = Vec::new();
        for body in bodies {
            let (app, barrier, id) = (app.clone(), barrier.clone(), id.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let path = format!("/v1/pairings/{id}/reviews");
                let r = app
                    .send(Method::POST, &path, Some(&app.department), Some(&body))
                    .await;
                (r.status.as_u16(), r.body)
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap());
        }
        let wins: Vec<_> = results.iter().filter(|(s, _)| *s == 200).collect();
        let conflicts: Vec<_> = results.iter().filter(|(s, _)| *s == 409).collect();
        assert_eq!((wins.len(), conflicts.len()), (1, 1), "{id}: {results:?}");
        assert_eq!(conflicts[0].1["code"], "version_conflict");
        let winner_status = wins[0].1["pairing"]["status"].clone();
        let now = app
            .get(&format!("/v1/pairings/{id}"), &app.department)
            .await;
        assert_eq!(now.body["status"], winner_status);
        assert_eq!(now.body["version"], 2);
        let history = app.app.store().history(&id).unwrap();
        assert_eq!(history.len(), 2, "propose and the one winning review");
    }
}
