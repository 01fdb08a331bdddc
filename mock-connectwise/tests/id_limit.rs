//! Ids stop at int32, as ConnectWise's do: once a sequence has given out 2147483647, a create
//! (a record, an API key) is refused with a ConnectWise error body and changes nothing; it
//! never wraps to 0 and overwrites record 1, and never panics.

use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

const MAX: u64 = 2_147_483_647;

/// Imports the mock's own state with `f` applied to its first tenant.
async fn import_with(app: &TestApp, f: impl Fn(&mut Value)) {
    let mut doc = app.console(Method::GET, "/state", None).await.expect(200).body;
    f(&mut doc["tenants"][0]);
    app.console(Method::POST, "/state", Some(doc)).await.expect(200);
}

#[tokio::test]
async fn a_record_create_past_int32_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    import_with(&app, |t| t["lastIds"]["/service/tickets"] = json!(MAX - 1)).await;
    let body = json!({"summary": "last", "company": {"id": 2}, "board": {"id": 1}});
    let last = app.call(&app.admin, Method::POST, "/service/tickets", Some(body.clone())).await.expect(201).body;
    assert_eq!(last["id"], MAX, "the largest int32 is still given");
    let count = app.get("/service/tickets/count").await.expect(200).body["count"].clone();
    let digest = app.store.data_digest();
    for _ in 0..2 {
        let r = app.call(&app.admin, Method::POST, "/service/tickets", Some(body.clone())).await.expect(400);
        assert_eq!(r.body["code"], "InvalidObject", "{}", r.body);
        assert!(r.body["message"].as_str().is_some_and(|m| m.ends_with("object is invalid")), "{}", r.body);
        let e = &r.body["errors"][0];
        assert_eq!((&e["code"], &e["field"]), (&json!("InvalidField"), &json!("id")), "{}", r.body);
        assert!(e["message"].as_str().is_some_and(|m| m.contains("2147483647")), "{}", r.body);
    }
    assert_eq!(app.store.data_digest(), digest, "a refused create changes nothing");
    assert_eq!(app.get("/service/tickets/count").await.expect(200).body["count"], count);
    // Record 1 is untouched (a wrap would have overwritten it) and the last one is there.
    assert_ne!(app.get("/service/tickets/1").await.expect(200).body["summary"], "last");
    app.get(&format!("/service/tickets/{MAX}")).await.expect(200);
    // Other sequences go on.
    let co = json!({"identifier": "AfterMax", "name": "After Max", "site": {"name": "Main"}});
    app.call(&app.admin, Method::POST, "/company/companies", Some(co)).await.expect(201);
}

#[tokio::test]
async fn an_api_key_past_int32_is_refused() {
    let app = TestApp::spawn().await;
    import_with(&app, |t| t["lastKeyId"] = json!(MAX)).await;
    let digest = app.store.data_digest();
    let r = app
        .console(
            Method::POST,
            "/companies/cwmock/members/jdoe/keys",
            Some(json!({"description": "one too many", "action": "save"})),
        )
        .await
        .expect(400);
    assert_eq!(r.body["code"], "InvalidObject", "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "id", "{}", r.body);
    assert_eq!(app.store.data_digest(), digest);
}

#[tokio::test]
async fn a_member_sequence_shared_with_api_members_stops_too() {
    let app = TestApp::spawn().await;
    import_with(&app, |t| t["lastIds"]["/system/members"] = json!(MAX)).await;
    let body = json!({"identifier": "TooMany", "name": "Too Many", "securityRole": {"id": 1}});
    let r = app.call(&app.admin, Method::POST, "/system/apiMembers", Some(body)).await.expect(400);
    assert_eq!(r.body["errors"][0]["field"], "id", "{}", r.body);
}
