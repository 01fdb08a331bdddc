//! Issue 24's last criterion: a populated mock (`TestOptions::populate`, `--populate`) has a
//! record behind every GET path of the official files. Ids are taken from the first record of
//! each parent list, as a client walks them (nothing is created here); every list of a stored
//! collection has a record, every item and object answers 200 valid against its official
//! schema. Also: the console's populate is idempotent, a reset repopulates, a state file
//! keeps the populated records without duplicating them, and without the option an empty
//! collection stays empty.

mod common;

use common::get_bytes;
use common::openapi::{Answer, SPEC, validate};
use mock_connectwise::{Store, StoreConfig, TestApp, TestOptions};
use reqwest::Method;
use serde_json::Value;

async fn populated() -> TestApp {
    TestApp::spawn_with(TestOptions { populate: true, ..Default::default() }).await
}

/// `template` with every placeholder the id of the first record its list answers (1 where the
/// list answers none: a view the mock keeps nothing behind).
async fn walk_path(app: &TestApp, template: &str) -> String {
    let mut out = String::new();
    for seg in template.trim_matches('/').split('/') {
        if let Some(at) = seg.find('{').filter(|&at| at > 0) {
            out = format!("{out}/{}1", &seg[..at]);
            continue;
        }
        if !seg.starts_with('{') {
            out = format!("{out}/{seg}");
            continue;
        }
        let id = match seg {
            s if s.starts_with("{memberIdentifier") => "jdoe".to_owned(),
            "{reportName}" => "Member".to_owned(),
            "{podId}" => "1".to_owned(),
            "{catalogItemIdentifier}" => app.get("/procurement/catalog?pageSize=1").await.body[0]["identifier"]
                .as_str()
                .unwrap_or("1")
                .to_owned(),
            _ => {
                let list = app.get(&format!("{out}?pageSize=1")).await;
                list.body[0]["id"].as_u64().map_or_else(|| "1".to_owned(), |id| id.to_string())
            }
        };
        out = format!("{out}/{id}");
    }
    out
}

#[tokio::test]
async fn a_populated_mock_answers_every_get_path_of_the_official_files_with_a_valid_record() {
    let app = populated().await;
    let (mut lists, mut items) = (0, 0);
    let mut failures = Vec::new();
    for (template, answer) in &SPEC.get_paths {
        let path = walk_path(&app, template).await;
        let mut errors = Vec::new();
        let is_item = template.trim_end_matches('/').ends_with('}');
        match answer {
            Answer::Binary(_) => {
                let (status, _, bytes) = get_bytes(&app, &path).await;
                if status != 200 || bytes.is_empty() {
                    errors.push(format!("{status} with {} bytes", bytes.len()));
                }
            }
            // Every `/count` answers a count (A15.22).
            _ if template.ends_with("/count") => {
                let res = app.get(&path).await;
                match res.status {
                    200 => validate("Count", &res.body, "", &mut errors),
                    s => errors.push(format!("{s}: {}", res.body)),
                }
            }
            // An item the 2025.1 file calls an array: the one record (A24.9), or the list of a
            // view the mock keeps nothing behind.
            Answer::Array(schema) | Answer::One(schema) if is_item || matches!(answer, Answer::One(_)) => {
                let res = app.get(&path).await;
                match (res.status, res.body.as_array()) {
                    (200, Some(records)) if matches!(answer, Answer::Array(_)) => {
                        for (i, r) in records.iter().enumerate() {
                            validate(schema, r, &format!("[{i}]"), &mut errors);
                        }
                    }
                    (200, _) => validate(schema, &res.body, "", &mut errors),
                    (s, _) => errors.push(format!("{s}: {}", res.body)),
                }
                items += 1;
            }
            Answer::Array(schema) | Answer::One(schema) => {
                let res = app.get(&path).await;
                match (res.status, res.body.as_array()) {
                    (200, Some(records)) => {
                        if SPEC.collection_schema(template).is_some() && records.is_empty() {
                            errors.push("a stored collection with no record".into());
                        }
                        for (i, r) in records.iter().enumerate() {
                            validate(schema, r, &format!("[{i}]"), &mut errors);
                        }
                        lists += 1;
                    }
                    (s, _) => errors.push(format!("{s}, not a list: {}", res.body)),
                }
            }
        }
        if !errors.is_empty() {
            failures.push(format!("GET {path} ({template}):\n    {}", errors.join("\n    ")));
        }
    }
    println!("{} GET paths: {lists} lists, {items} items and objects", SPEC.get_paths.len());
    assert!(failures.is_empty(), "{} paths failed:\n{}", failures.len(), failures.join("\n"));
    assert!(lists > 500 && items > 500, "only {lists} lists and {items} items walked");
}

/// `POST /__mock/populate` as the admin's browser would send it (the console's guard wants JSON).
async fn populate_now(app: &TestApp) -> Value {
    let res = app.client().post(format!("{}/__mock/populate", app.url)).json(&serde_json::json!({})).send().await;
    let res = res.expect("the console answers");
    assert_eq!(res.status(), 200);
    res.json().await.expect("JSON")
}

#[tokio::test]
async fn the_console_populate_fills_what_is_empty_once_and_a_reset_repopulates() {
    let plain = TestApp::spawn().await;
    let empty = "/company/addressFormats";
    assert_eq!(plain.get(empty).await.expect(200).body, serde_json::json!([]), "empty without populate");
    let first = populate_now(&plain).await;
    assert!(first["created"].as_u64().unwrap_or(0) > 100, "{first}");
    assert!(first["collections"].as_array().is_some_and(|c| c.iter().any(|p| p == empty)), "{first}");
    assert_eq!(plain.get(empty).await.expect(200).body.as_array().map(Vec::len), Some(1));
    let second = populate_now(&plain).await;
    assert_eq!(second["created"], 0, "{second}");

    let app = populated().await;
    let before = app.get(empty).await.expect(200).body;
    assert_eq!(before.as_array().map(Vec::len), Some(1));
    let id = before[0]["id"].as_u64().unwrap_or(0);
    app.call(&app.admin, Method::DELETE, &format!("{empty}/{id}"), None).await.expect(204);
    assert_eq!(app.get(empty).await.expect(200).body, serde_json::json!([]));
    let reset = app.client().post(format!("{}/__mock/reset", app.url)).json(&serde_json::json!({})).send().await;
    assert_eq!(reset.expect("reset").status(), 200);
    assert_eq!(app.get(empty).await.expect(200).body, before, "a reset repopulates the same record");
    assert_eq!(populate_now(&app).await["created"], 0);
}

#[test]
fn a_state_file_keeps_the_populated_records_and_a_reopen_does_not_duplicate_them() {
    let dir = std::env::temp_dir().join(format!("cwmock-populate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("state.db");
    let config = || StoreConfig {
        clock: std::sync::Arc::new(mock_connectwise::ManualClock::at(mock_connectwise::TEST_EPOCH)),
        key_seed: Some(7),
        fixtures: mock_connectwise::FixtureSet::builtin().with_populate(true),
    };
    let first = Store::open(config(), &path).expect("a new state file");
    let bytes = first.records_heap_bytes();
    drop(first);
    let again = Store::open(config(), &path).expect("the state file reopens");
    assert_eq!(again.records_heap_bytes(), bytes, "the same records, none added on reopen");
    let plain =
        Store::new(StoreConfig { fixtures: mock_connectwise::FixtureSet::builtin(), ..config() }).expect("fixtures");
    assert!(plain.records_heap_bytes() < bytes, "the populated records are in the state file");
    drop(again);
    std::fs::remove_dir_all(&dir).expect("clean up");
}
