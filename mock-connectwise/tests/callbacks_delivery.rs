//! Callback deliveries: the body and its signature, the retry rules (404/409/419/429 retried
//! after the configured waits, nothing else), the timeout, disabling, self-suppression, and
//! the console's controls (pause, wait, faults, redelivery, the queue's cap).

mod callbacks_receiver;

use std::time::Duration;

use callbacks_receiver::{Receiver, attempts, fast, mock_with, register, register_with, settle, verify};
use mock_connectwise::{CallbackSettings, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

async fn new_ticket(app: &TestApp) -> Value {
    let t = json!({"summary": "Printer on fire", "company": {"id": 2}, "board": {"id": 1}});
    app.call(&app.admin, Method::POST, "/service/tickets", Some(t)).await.expect(201).body
}

#[tokio::test]
async fn a_delivery_carries_the_documented_body_signed_with_the_key_from_key_url() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    let entry = register(&app, &rx, "t", "ticket", "owner", 1).await;
    let made = new_ticket(&app).await;
    let id = made["id"].as_u64().expect("an id");
    settle(&app).await;
    let got = rx.got();
    assert_eq!(got.len(), 1, "{got:?}");
    let g = &got[0];
    assert_eq!(g.uri, format!("/hook?entry=t&id={id}"));
    assert_eq!(g.content_type.as_deref(), Some("application/json"));
    let body = g.json();
    let keys: Vec<&str> = body.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "MessageId",
            "FromUrl",
            "CompanyId",
            "MemberId",
            "Action",
            "Type",
            "ID",
            "ProductInstanceId",
            "PartnerId",
            "CallbackObjectRecId",
            "Entity",
            "Metadata"
        ]
    );
    assert_eq!(body["FromUrl"], app.url.trim_start_matches("http://"));
    assert_eq!(body["CompanyId"], app.admin.company);
    assert_eq!(body["MemberId"], "MockAdmin");
    assert_eq!((&body["Action"], &body["Type"], &body["ID"]), (&json!("added"), &json!("ticket"), &json!(id)));
    assert_eq!(body["CallbackObjectRecId"], entry["id"]);
    assert_eq!(body["MessageId"].as_str().map(|m| m.split('-').count()), Some(5));
    // The Entity is the record as GET answers it, serialised into a string.
    let entity: Value = serde_json::from_str(body["Entity"].as_str().expect("a string")).expect("JSON inside");
    assert_eq!(entity, app.get(&format!("/service/tickets/{id}")).await.expect(200).body);
    assert!(entity["_info"].is_object());
    let key_url = body["Metadata"]["key_url"].as_str().expect("a key_url");
    assert!(key_url.starts_with(&format!("{}/v4_6_release/system/callbackkey/index.rails?companyName=", app.url)));
    assert!(verify(&app, g).await, "the signature verifies with the key from key_url");
    // A tampered body does not.
    let mut forged = g.clone();
    forged.body = axum::body::Bytes::from([&g.body[..], b" "].concat());
    assert!(!verify(&app, &forged).await);
    // A delete says so, with no Entity.
    app.call(&app.admin, Method::DELETE, &format!("/service/tickets/{id}"), None).await.expect(204);
    settle(&app).await;
    let deleted = rx.got()[1].json();
    assert_eq!((&deleted["Action"], &deleted["Entity"]), (&json!("deleted"), &Value::Null));
}

#[tokio::test]
async fn key_url_with_another_id_or_company_is_404() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    register(&app, &rx, "t", "ticket", "owner", 1).await;
    new_ticket(&app).await;
    settle(&app).await;
    let key_url = rx.got()[0].json()["Metadata"]["key_url"].as_str().expect("a key_url").to_owned();
    let wrong_id = format!("{}0", key_url);
    let wrong_company = key_url.replace("companyName=", "companyName=x");
    for url in [wrong_id, wrong_company] {
        let r = app.send(app.client().get(&url)).await.expect(404);
        assert_eq!(r.body["code"], "NotFound", "{url}");
    }
}

/// Attempts of the only delivery: (retry, status, ms after the first try).
async fn tries(app: &TestApp) -> Vec<(u64, Option<u64>, u64)> {
    attempts(app)
        .await
        .iter()
        .map(|a| (a["retry"].as_u64().expect("retry"), a["status"].as_u64(), a["afterFirstMs"].as_u64().expect("ms")))
        .collect()
}

#[tokio::test]
async fn only_404_409_419_and_429_are_retried_twice_after_the_configured_waits() {
    for status in [404u16, 409, 419, 429] {
        let app = mock_with(fast()).await;
        let rx = Receiver::start().await;
        rx.answer(status);
        register(&app, &rx, "t", "ticket", "owner", 1).await;
        new_ticket(&app).await;
        settle(&app).await;
        let t = tries(&app).await;
        assert_eq!(
            t.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>(),
            [(0, Some(status.into())), (1, Some(status.into())), (2, Some(status.into()))]
        );
        // 60 ms after the first try, then 120 ms after the first retry (fast() scales 2 s and 4 s).
        assert!((60..400).contains(&t[1].2), "{status}: first retry at {} ms", t[1].2);
        assert!((180..700).contains(&t[2].2), "{status}: second retry at {} ms", t[2].2);
        assert_eq!(rx.got().len(), 3);
        let journal = attempts(&app).await;
        assert_eq!(journal[0]["nextRetryInMs"], 60);
        assert_eq!(journal[1]["nextRetryInMs"], 120);
        assert!(journal[2].get("nextRetryInMs").is_none());
    }
    for status in [400u16, 401, 500, 502, 503] {
        let app = mock_with(fast()).await;
        let rx = Receiver::start().await;
        rx.answer(status);
        register(&app, &rx, "t", "ticket", "owner", 1).await;
        new_ticket(&app).await;
        settle(&app).await;
        assert_eq!(rx.got().len(), 1, "{status} is not retried");
    }
}

#[tokio::test]
async fn the_real_schedule_retries_2_s_after_the_first_try_then_4_s_after_the_first_retry() {
    let app = mock_with(CallbackSettings::default()).await;
    let rx = Receiver::start().await;
    rx.answer(429);
    register(&app, &rx, "t", "ticket", "owner", 1).await;
    new_ticket(&app).await;
    settle(&app).await;
    let t = tries(&app).await;
    assert_eq!(t.len(), 3);
    assert!((2_000..2_500).contains(&t[1].2), "first retry at {} ms", t[1].2);
    assert!((6_000..6_800).contains(&t[2].2), "second retry at {} ms", t[2].2);
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_fails_without_a_retry() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    rx.delay(Duration::from_millis(1_500));
    register(&app, &rx, "t", "ticket", "owner", 1).await;
    new_ticket(&app).await;
    settle(&app).await;
    let journal = attempts(&app).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["error"], "timed out after 400 ms");
    assert!(journal[0]["latencyMs"].as_u64().is_some_and(|ms| (400..1_000).contains(&ms)));
}

#[tokio::test]
async fn an_entry_failing_for_the_configured_days_is_disabled_and_hears_nothing_more() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    rx.answer(500);
    let entry = register(&app, &rx, "t", "ticket", "owner", 1).await;
    let path = format!("/system/callbacks/{}", entry["id"]);
    new_ticket(&app).await;
    settle(&app).await;
    app.clock.advance(2 * 86_400);
    new_ticket(&app).await;
    settle(&app).await;
    assert_eq!(app.get(&path).await.expect(200).body["inactiveFlag"], false, "two days are not three");
    app.clock.advance(86_400);
    new_ticket(&app).await;
    settle(&app).await;
    assert_eq!(app.get(&path).await.expect(200).body["inactiveFlag"], true);
    assert_eq!(attempts(&app).await.last().expect("an attempt")["disabledEntry"], true);
    new_ticket(&app).await;
    settle(&app).await;
    assert_eq!(rx.got().len(), 3, "a disabled entry gets nothing");
}

#[tokio::test]
async fn a_success_ends_a_run_of_failures() {
    let app = mock_with(CallbackSettings { disable_after_days: 1, ..fast() }).await;
    let rx = Receiver::start().await;
    let entry = register(&app, &rx, "t", "ticket", "owner", 1).await;
    rx.answer(500);
    new_ticket(&app).await;
    settle(&app).await;
    rx.answer(204);
    new_ticket(&app).await;
    settle(&app).await;
    app.clock.advance(86_400);
    rx.answer(500);
    new_ticket(&app).await;
    settle(&app).await;
    assert_eq!(app.get(&format!("/system/callbacks/{}", entry["id"])).await.expect(200).body["inactiveFlag"], false);
}

#[tokio::test]
async fn a_self_suppressed_entry_does_not_hear_its_creators_changes() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    register_with(
        &app,
        &rx,
        "quiet",
        json!({"type": "ticket", "level": "owner", "objectId": 1, "isSelfSuppressedFlag": true}),
    )
    .await;
    register(&app, &rx, "loud", "ticket", "owner", 1).await;
    new_ticket(&app).await;
    let levels = cw_model::RoleLevels::all();
    let other = app.member_with_levels("CbOther", &levels).await;
    let t = json!({"summary": "by another", "company": {"id": 2}, "board": {"id": 1}});
    app.call(&other, Method::POST, "/service/tickets", Some(t)).await.expect(201);
    settle(&app).await;
    assert_eq!(rx.got_for("loud").len(), 2);
    let quiet = rx.got_for("quiet");
    assert_eq!(quiet.len(), 1, "only the other member's change");
    assert_eq!(quiet[0].json()["MemberId"], "CbOther");
}

#[tokio::test]
async fn pause_holds_deliveries_and_wait_says_when_all_are_done() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    register(&app, &rx, "t", "ticket", "owner", 1).await;
    app.console(Method::POST, "/callbacks/pause", None).await.expect(200);
    new_ticket(&app).await;
    let waited = app.console(Method::POST, "/callbacks/wait?timeoutMs=200", None).await.expect(200).body;
    assert_eq!((&waited["idle"], &waited["waiting"]), (&json!(false), &json!(1)));
    assert!(rx.got().is_empty());
    app.console(Method::POST, "/callbacks/resume", None).await.expect(200);
    let status = settle(&app).await;
    assert_eq!(status["delivered"], 1);
    assert_eq!(rx.got().len(), 1);
}

#[tokio::test]
async fn a_status_fault_answers_for_the_receiver_and_a_redelivery_sends_the_same_message() {
    let app = mock_with(fast()).await;
    let rx = Receiver::start().await;
    let entry = register(&app, &rx, "t", "ticket", "owner", 1).await;
    let rule = json!({"entryId": entry["id"], "action": "status", "status": 429, "times": 1});
    app.console(Method::POST, "/callbacks/faults", Some(rule)).await.expect(201);
    new_ticket(&app).await;
    settle(&app).await;
    let journal = attempts(&app).await;
    assert_eq!(journal.iter().map(|a| a["status"].as_u64()).collect::<Vec<_>>(), [Some(429), Some(200)]);
    assert_eq!(rx.got().len(), 1, "the faulted try never reached the receiver");
    let first = journal[0]["id"].as_u64().expect("an id");
    app.console(Method::POST, &format!("/callbacks/deliveries/{first}/redeliver"), None).await.expect(202);
    settle(&app).await;
    let got = rx.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].body, got[1].body);
    assert_eq!(got[0].signature, got[1].signature);
    app.console(Method::POST, "/callbacks/deliveries/999999/redeliver", None).await.expect(404);
    let bad = json!({"action": "status"});
    app.console(Method::POST, "/callbacks/faults", Some(bad)).await.expect(400);
}

#[tokio::test]
async fn the_mock_never_delivers_to_its_own_console() {
    let app = mock_with(fast()).await;
    let body =
        json!({"url": format!("{}/__mock/reset?id=", app.url), "type": "ticket", "level": "owner", "objectId": 1});
    app.call(&app.admin, Method::POST, "/system/callbacks", Some(body)).await.expect(201);
    let made = new_ticket(&app).await;
    settle(&app).await;
    let journal = attempts(&app).await;
    assert!(journal[0]["error"].as_str().is_some_and(|e| e.contains("own console")), "{journal:?}");
    app.get(&format!("/service/tickets/{}", made["id"])).await.expect(200);
}

#[tokio::test]
async fn with_callbacks_off_nothing_is_delivered() {
    let app = mock_with(CallbackSettings { enabled: false, ..fast() }).await;
    let rx = Receiver::start().await;
    register(&app, &rx, "t", "ticket", "owner", 1).await;
    new_ticket(&app).await;
    let status = settle(&app).await;
    assert_eq!(status["enabled"], false);
    assert!(rx.got().is_empty());
}

#[tokio::test]
async fn past_the_queue_cap_the_oldest_waiting_delivery_is_dropped_and_counted() {
    let app = mock_with(CallbackSettings { queue_capacity: 2, concurrency: 1, ..fast() }).await;
    let rx = Receiver::start().await;
    register(&app, &rx, "t", "ticket", "owner", 1).await;
    app.console(Method::POST, "/callbacks/pause", None).await.expect(200);
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(new_ticket(&app).await["id"].clone());
    }
    app.console(Method::POST, "/callbacks/resume", None).await.expect(200);
    let status = settle(&app).await;
    assert_eq!((&status["dropped"], &status["delivered"]), (&json!(3), &json!(2)));
    let delivered: Vec<Value> = rx.got().iter().map(|g| g.json()["ID"].clone()).collect();
    assert_eq!(delivered, ids[3..], "the newest two are kept");
}
