//! The `token` and `serve` subcommands as an operator uses them: tokens shown once and stored hashed,
//! exit code 2 for bad input, and a first start that imports the dataset and prints one department
//! token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use shuanggao::auth;
use shuanggao::store::Store;

use crate::support::{dataset, seeded_store, write_dataset};

fn shuanggao(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run shuanggao")
}

#[test]
fn token_create_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    drop(seeded_store(&db));
    let db = db.to_str().unwrap();

    let out = shuanggao(&[
        "token",
        "create",
        "--role",
        "zone:z1",
        "--name",
        "苏州园区",
        "--db",
        db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    {
        let store = Store::open(dir.path().join("db.sqlite").as_path()).unwrap();
        let stored = store
            .active_token(&auth::hash_token(&token))
            .unwrap()
            .unwrap();
        assert_eq!(
            (stored.role.as_str(), stored.name.as_str()),
            ("zone:z1", "苏州园区")
        );
    }

    let list = shuanggao(&["token", "list", "--db", db]);
    let text = String::from_utf8(list.stdout).unwrap();
    assert!(text.contains("zone:z1") && text.contains("苏州园区"));
    assert!(!text.contains(&token), "list never shows a token");

    for (args, what) in [
        (
            vec!["token", "create", "--role", "admin", "--db", db],
            "unknown role",
        ),
        (
            vec!["token", "create", "--role", "zone:nope", "--db", db],
            "unknown zone",
        ),
        (
            vec!["token", "revoke", "99", "--db", db],
            "unknown token id",
        ),
    ] {
        let out = shuanggao(&args);
        assert_eq!(out.status.code(), Some(2), "{what}");
    }

    let id = text
        .lines()
        .find(|l| l.contains("zone:z1"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    assert!(
        shuanggao(&["token", "revoke", &id, "--db", db])
            .status
            .success()
    );
    let store = Store::open(dir.path().join("db.sqlite").as_path()).unwrap();
    assert!(
        store
            .active_token(&auth::hash_token(&token))
            .unwrap()
            .is_none()
    );
}

/// Runs `serve` until it prints its address, returns what it printed before, then kills it. The index
/// and models go next to the database, never into the repository's folders.
fn first_lines_of_serve(data: &str, db: &str) -> Vec<String> {
    let (index, models) = (format!("{db}.index"), format!("{db}.models"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data", data, "--db", db])
        .args(["--index", &index, "--models", &models])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.starts_with("listening on ");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    lines
}

#[test]
fn first_start_imports_and_prints_one_department_token() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data, &dataset());
    let db = dir.path().join("var/shuanggao.db");
    let (data, db_str) = (data.to_str().unwrap(), db.to_str().unwrap());

    let first = first_lines_of_serve(data, db_str);
    assert_eq!(first.len(), 2, "{first:?}");
    let token = first[0].rsplit(' ').next().unwrap();
    assert!(first[0].starts_with("department token"));
    {
        let store = Store::open(&db).unwrap();
        assert_eq!(store.load_dataset().unwrap(), dataset());
        let record = store
            .active_token(&auth::hash_token(token))
            .unwrap()
            .unwrap();
        assert_eq!(record.role, "department");
    }
    let second = first_lines_of_serve(data, db_str);
    assert_eq!(second.len(), 1, "no new token on later starts: {second:?}");
}

#[test]
fn serve_refuses_an_invalid_dataset_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut bad = dataset();
    bad.teams[0].university_id = "nope".into();
    write_dataset(&data, &bad);
    let db = dir.path().join("db.sqlite");
    let out = shuanggao(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--data",
        data.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--index",
        dir.path().join("index").to_str().unwrap(),
        "--models",
        dir.path().join("models").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("teams.jsonl:1: university_id"), "{err}");
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data, &dataset());
    let mut child = Command::new(env!("CARGO_BIN_EXE_shuanggao"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .arg("--data")
        .arg(&data)
        .arg("--db")
        .arg(dir.path().join("db.sqlite"))
        .arg("--index")
        .arg(dir.path().join("index"))
        .arg("--models")
        .arg(dir.path().join("models"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().starts_with("listening on ")));
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a graceful stop exits 0");
}

#[test]
fn backup_of_an_open_database_restores_into_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("var/db.sqlite");
    // The store stays open while the backup runs, as the service would.
    let store = seeded_store(&db);
    let (_, token) = auth::create_token(&store, &auth::Role::Department, "处长").unwrap();
    let out = dir.path().join("db.bak");
    let (db_s, out_s) = (db.to_str().unwrap(), out.to_str().unwrap());
    let backup = shuanggao(&["backup", "--db", db_s, "--out", out_s]);
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(String::from_utf8_lossy(&backup.stdout).starts_with("wrote "));
    // A second backup onto the same file is refused, not overwritten.
    let again = shuanggao(&["backup", "--db", db_s, "--out", out_s]);
    assert_eq!(again.status.code(), Some(2));

    let fresh = dir.path().join("fresh/var/db.sqlite");
    let fresh_s = fresh.to_str().unwrap();
    let restore = shuanggao(&["restore", "--from", out_s, "--db", fresh_s]);
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let restored = Store::open(&fresh).unwrap();
    assert!(restored.is_imported().unwrap());
    assert!(
        restored
            .active_token(&auth::hash_token(&token))
            .unwrap()
            .is_some(),
        "the token written before the backup is in the restored database"
    );
    // Restoring over an existing database is refused.
    let over = shuanggao(&["restore", "--from", out_s, "--db", fresh_s]);
    assert_eq!(over.status.code(), Some(2));
    drop(store);
}

#[test]
fn a_second_server_on_the_same_data_exits_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data, &dataset());
    let paths = |name: &str| dir.path().join(name);
    let serve = |stdout: Stdio| {
        Command::new(env!("CARGO_BIN_EXE_shuanggao"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .arg("--data")
            .arg(&data)
            .arg("--db")
            .arg(paths("db.sqlite"))
            .arg("--index")
            .arg(paths("index"))
            .arg("--models")
            .arg(paths("models"))
            .env("RUST_LOG", "warn")
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = serve(Stdio::piped());
    let mut lines = BufReader::new(first.stdout.take().unwrap()).lines();
    let listening = lines
        .find_map(|l| {
            l.unwrap()
                .strip_prefix("listening on http://")
                .map(str::to_owned)
        })
        .unwrap();
    let second = serve(Stdio::null()).wait_with_output().unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(second.status.code(), Some(3));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("in use by another shuanggao server"), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert!(err.contains(&listening), "{err}");
    // The lock went with the killed server: the next one starts.
    let mut third = serve(Stdio::piped());
    let mut lines = BufReader::new(third.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.unwrap().starts_with("listening on ")));
    third.kill().unwrap();
    third.wait().unwrap();
}
