//! Callbacks: registering as the real server validates it, and which changes reach which
//! entry (every type the mock serves × every level its records can name).

mod callbacks_receiver;

use callbacks_receiver::{Receiver, attempts, fast, mock_with, register, register_with, settle};
use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn refused(app: &TestApp, body: Value) -> Value {
    let r = app.call(&app.admin, Method::POST, "/system/callbacks", Some(body)).await.expect(400);
    assert_eq!(r.body["code"], "InvalidObject");
    assert_eq!(r.body["message"], "callbackEntry object is invalid");
    let e = &r.body["errors"][0];
    // The three fields the real server's refusals carry (the mock adds `resource`).
    json!({"code": e["code"], "message": e["message"], "field": e["field"]})
}

#[tokio::test]
async fn registering_fills_in_the_member_guid_and_payload_version_and_owner_means_object_1() {
    let app = TestApp::spawn().await;
    let body = json!({"url": "https://hooks.example/cw?id=", "objectId": 0, "type": "Ticket", "level": "Owner"});
    let e = app.call(&app.admin, Method::POST, "/system/callbacks", Some(body)).await.expect(201).body;
    assert_eq!(e["objectId"], 1);
    assert_eq!(e["type"], "ticket");
    assert_eq!(e["level"], "owner");
    assert_eq!(e["payloadVersion"], "3.0.0");
    assert_eq!(e["inactiveFlag"], false);
    let me = app.get("/system/members?conditions=identifier=\"MockAdmin\"").await.expect(200).body;
    assert_eq!(e["memberId"], me[0]["id"], "the creator");
    let guid = e["connectWiseID"].as_str().expect("a GUID");
    let parts: Vec<usize> = guid.split('-').map(str::len).collect();
    assert_eq!(parts, [8, 4, 4, 4, 12], "{guid}");
    // An update keeps what the server filled in.
    let id = e["id"].as_u64().expect("an id");
    let put = json!({"url": "https://hooks.example/cw2?id=", "objectId": 1, "type": "ticket", "level": "owner", "memberId": 999});
    let u = app.call(&app.admin, Method::PUT, &format!("/system/callbacks/{id}"), Some(put)).await.expect(200).body;
    assert_eq!((&u["memberId"], &u["connectWiseID"]), (&e["memberId"], &e["connectWiseID"]));
}

#[tokio::test]
async fn a_url_that_is_not_absolute_http_is_refused_as_invalid_url() {
    let app = TestApp::spawn().await;
    for url in ["hooks.example/cw", "ftp://hooks.example/cw", "https://", "not a url"] {
        let e = refused(&app, json!({"url": url, "objectId": 1, "type": "ticket", "level": "owner"})).await;
        assert_eq!(e, json!({"code": "InvalidField", "message": "Invalid URL", "field": "url"}), "{url}");
    }
}

#[tokio::test]
async fn a_level_the_type_does_not_accept_is_refused() {
    let app = TestApp::spawn().await;
    for (kind, level) in [("ticket", "company"), ("productcatalog", "status"), ("time", "board"), ("member", "nope")] {
        let e =
            refused(&app, json!({"url": "https://h.example/?id=", "objectId": 5, "type": kind, "level": level})).await;
        assert_eq!(
            e,
            json!({"code": "InvalidObject", "message": "Unrecognized level for type, see documentation for supported levels for each type", "field": "level"}),
            "{kind}/{level}"
        );
    }
}

#[tokio::test]
async fn a_matching_entry_is_refused_as_object_exists_whatever_the_case() {
    let app = TestApp::spawn().await;
    let body = json!({"url": "https://h.example/cb?id=", "objectId": 2, "type": "ticket", "level": "board"});
    app.call(&app.admin, Method::POST, "/system/callbacks", Some(body)).await.expect(201);
    let again = json!({"url": "https://h.example/cb?id=", "objectId": 2, "type": "Ticket", "level": "Board"});
    let e = refused(&app, again).await;
    assert_eq!(
        e,
        json!({"code": "ObjectExists", "message": "A matching callback entry already exists", "field": "objectId"})
    );
    // Another board is another entry.
    let other = json!({"url": "https://h.example/cb?id=", "objectId": 3, "type": "ticket", "level": "board"});
    app.call(&app.admin, Method::POST, "/system/callbacks", Some(other)).await.expect(201);
}

#[tokio::test]
async fn an_unknown_type_and_a_missing_object_id_are_refused() {
    let app = TestApp::spawn().await;
    let e =
        refused(&app, json!({"url": "https://h.example/", "objectId": 1, "type": "tickets", "level": "owner"})).await;
    assert_eq!(e["field"], "type");
    let e =
        refused(&app, json!({"url": "https://h.example/", "objectId": 0, "type": "ticket", "level": "board"})).await;
    assert_eq!(e["field"], "objectId");
}

/// One collection: its type, how to make a record, what to change, and the levels its
/// records name with the field each level reads.
struct Case {
    kind: &'static str,
    path: &'static str,
    body: Value,
    patch: (&'static str, Value),
    levels: &'static [(&'static str, &'static str)],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            kind: "ticket",
            path: "/service/tickets",
            body: json!({"summary": "cb", "company": {"id": 2}, "board": {"id": 1}}),
            patch: ("summary", json!("cb2")),
            levels: &[("board", "board"), ("status", "status")],
        },
        Case {
            kind: "company",
            path: "/company/companies",
            body: json!({"identifier": "CbCo", "name": "Cb Co", "status": {"id": 1}, "types": [{"id": 1}], "site": {"name": "Main"}}),
            patch: ("name", json!("Cb Co 2")),
            levels: &[("status", "status"), ("type", "types")],
        },
        Case {
            kind: "contact",
            path: "/company/contacts",
            body: json!({"firstName": "Cb", "lastName": "Contact", "company": {"id": 2}}),
            patch: ("lastName", json!("Contact 2")),
            levels: &[("company", "company")],
        },
        Case {
            kind: "configuration",
            path: "/company/configurations",
            body: json!({"name": "CB-1", "type": {"id": 1}, "status": {"id": 1}, "company": {"id": 2}}),
            patch: ("name", json!("CB-2")),
            levels: &[("type", "type"), ("status", "status")],
        },
        Case {
            kind: "agreement",
            path: "/finance/agreements",
            body: json!({"name": "Cb Agreement", "type": {"id": 1}, "company": {"id": 2}, "contact": {"id": 1}, "startDate": "2025-01-01T00:00:00Z"}),
            patch: ("name", json!("Cb Agreement 2")),
            levels: &[("type", "type"), ("company", "company")],
        },
        Case {
            kind: "productcatalog",
            path: "/procurement/catalog",
            body: json!({"identifier": "CB-ITEM", "description": "Cb item", "customerDescription": "Cb item", "subcategory": {"id": 1}, "type": {"id": 1}, "productClass": "Service"}),
            patch: ("description", json!("Cb item 2")),
            levels: &[],
        },
    ]
}

fn id_of(v: &Value) -> i64 {
    v.as_i64().or_else(|| v["id"].as_i64()).or_else(|| v[0]["id"].as_i64()).expect("an id")
}

/// Entry tags that got a delivery with `action`.
fn reached(rx: &Receiver, action: &str) -> std::collections::BTreeSet<String> {
    rx.got()
        .into_iter()
        .filter(|g| g.json()["Action"] == action)
        .map(|g| g.uri.split("entry=").nth(1).and_then(|s| s.split('&').next()).unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn every_change_reaches_exactly_the_entries_whose_type_and_level_match() {
    let app = mock_with(fast()).await;
    for case in cases() {
        let rx = Receiver::start().await;
        let made = app.call(&app.admin, Method::POST, case.path, Some(case.body.clone())).await.expect(201).body;
        let id = made["id"].as_i64().expect("an id");
        let mut expected = std::collections::BTreeSet::from(["owner".to_owned()]);
        register(&app, &rx, "owner", case.kind, "owner", 1).await;
        if case.kind != "productcatalog" {
            // The type's own level: that record only.
            register(&app, &rx, "own", case.kind, case.kind, id).await;
            register(&app, &rx, "own-other", case.kind, case.kind, id + 1000).await;
            expected.insert("own".to_owned());
        }
        // Another type's owner entry hears nothing of this one.
        let other = if case.kind == "ticket" { "company" } else { "ticket" };
        register(&app, &rx, "other-type", other, "owner", 1).await;
        for (level, field) in case.levels {
            let target = id_of(&made[*field]);
            register(&app, &rx, level, case.kind, level, target).await;
            register(&app, &rx, &format!("{level}-other"), case.kind, level, target + 1000).await;
            expected.insert((*level).to_owned());
        }
        let path = format!("{}/{id}", case.path);
        let patch = json!([{"op": "replace", "path": case.patch.0, "value": case.patch.1}]);
        app.call(&app.admin, Method::PATCH, &path, Some(patch)).await.expect(200);
        settle(&app).await;
        assert_eq!(reached(&rx, "updated"), expected, "{}: updated", case.kind);
        app.call(&app.admin, Method::DELETE, &path, None).await.expect(204);
        settle(&app).await;
        assert_eq!(reached(&rx, "deleted"), expected, "{}: deleted (as the record was)", case.kind);
        for g in rx.got() {
            assert!(g.uri.ends_with(&format!("&id={id}")), "the record id is appended: {}", g.uri);
        }
    }
}

#[tokio::test]
async fn a_new_record_is_added_to_owner_and_level_entries_and_changes_of_other_records_are_not() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    register(&app, &rx, "owner", "ticket", "owner", 1).await;
    register(&app, &rx, "board1", "ticket", "board", 1).await;
    register(&app, &rx, "board2", "ticket", "board", 2).await;
    let t = json!({"summary": "new", "company": {"id": 2}, "board": {"id": 1}});
    let made = app.call(&app.admin, Method::POST, "/service/tickets", Some(t)).await.expect(201).body;
    // A change of a company (another type) and of the callbacks themselves fire nothing here.
    let patch = json!([{"op": "replace", "path": "name", "value": "Renamed"}]);
    app.call(&app.admin, Method::PATCH, "/company/companies/2", Some(patch)).await.expect(200);
    settle(&app).await;
    assert_eq!(reached(&rx, "added"), ["board1".to_owned(), "owner".to_owned()].into());
    assert_eq!(rx.got().len(), 2, "nothing else: {:?}", rx.got());
    let journal = attempts(&app).await;
    assert!(journal.iter().all(|a| a["recordId"] == made["id"] && a["type"] == "ticket"));
}

#[tokio::test]
async fn changes_made_in_the_console_ui_fire_too() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    register(&app, &rx, "members", "member", "owner", 1).await;
    // A new API member made in the web UI (its /system/members twin is a member record).
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    let form = http
        .post(format!("{}/__mock/ui/members", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("identifier=UiMade&name=Ui+Made")
        .send()
        .await
        .expect("the UI answers");
    assert!(form.status().is_redirection(), "{}", form.status());
    settle(&app).await;
    let got = rx.got_for("members");
    assert!(got.iter().any(|g| g.json()["Action"] == "added"), "{got:?}");
}

#[tokio::test]
async fn entries_survive_a_restart_with_a_state_file() {
    let dir = std::env::temp_dir().join(format!("cb-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a dir");
    let file = dir.join("state.json");
    let config = || mock_connectwise::StoreConfig {
        clock: std::sync::Arc::new(mock_connectwise::ManualClock::at(mock_connectwise::TEST_EPOCH)),
        key_seed: Some(3),
        fixtures: mock_connectwise::FixtureSet::builtin(),
    };
    let store = mock_connectwise::Store::open(config(), &file).expect("opened");
    let app = mock_connectwise::router(store.clone(), mock_connectwise::ApiConfig::default());
    let admin = mock_connectwise::FixtureSet::builtin().admin().expect("an admin");
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}+{}:{}", admin.company, admin.public_key, admin.private_key),
    );
    let req = axum::http::Request::post("/v4_6_release/apis/3.0/system/callbacks")
        .header("authorization", format!("Basic {auth}"))
        .header("clientid", admin.client_id)
        .header("content-type", "application/json")
        .body(axum::body::Body::from(
            r#"{"url":"https://h.example/?id=","objectId":1,"type":"ticket","level":"owner"}"#,
        ))
        .expect("a request");
    let res = tower::ServiceExt::oneshot(app, req).await.expect("an answer");
    assert_eq!(res.status(), 201);
    drop(store);
    let reopened = mock_connectwise::Store::open(config(), &file).expect("reopened");
    let export: Value = serde_json::from_slice(&reopened_export(&reopened).await).expect("JSON");
    assert!(export.to_string().contains("https://h.example/?id="), "the entry is kept");
    let _ = std::fs::remove_dir_all(&dir);
}

async fn reopened_export(store: &mock_connectwise::Store) -> Vec<u8> {
    // The state document is the console's export; reach it through a router.
    let app = mock_connectwise::router(store.clone(), mock_connectwise::ApiConfig::default());
    let req = axum::http::Request::get("/__mock/state").body(axum::body::Body::empty()).expect("a request");
    let res = tower::ServiceExt::oneshot(app, req).await.expect("an answer");
    axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("a body").to_vec()
}

#[tokio::test]
async fn a_registration_via_the_json_body_keeps_the_self_suppressed_flag() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    let e = register_with(
        &app,
        &rx,
        "s",
        json!({"type": "ticket", "level": "owner", "objectId": 1, "isSelfSuppressedFlag": true}),
    )
    .await;
    assert_eq!(e["isSelfSuppressedFlag"], true);
}
