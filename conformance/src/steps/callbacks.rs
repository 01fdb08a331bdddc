//! Callbacks (issue 26): registering in `/system/callbacks` and its refusals, and a signed
//! delivery a handler verifies with the key from the body's `key_url`.

use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};

use crate::CwWorld;
use crate::receiver::{CallbackReceiver, expected_signature};

impl CwWorld {
    fn receiver(&self) -> &CallbackReceiver {
        self.receiver.as_ref().expect("a callback receiver was started (Given a callback receiver)")
    }

    async fn register_callback(
        &mut self,
        kind: &str,
        level: &str,
        object_id: i64,
        url: Option<String>,
    ) -> (u16, Value) {
        let url = url.unwrap_or_else(|| format!("{}/cw?recordId=", self.receiver().url));
        let body =
            json!({ "url": url, "objectId": object_id, "type": kind, "level": level, "description": "conformance" });
        self.admin_call(Method::POST, "/system/callbacks", Some(body)).await
    }

    /// Waits until the mock has delivered everything it queued.
    async fn deliveries_settled(&mut self) {
        let (status, body) = self.console_call(Method::POST, "/callbacks/wait?timeoutMs=20000", None).await;
        assert_eq!((status, &body["idle"]), (200, &json!(true)), "deliveries did not settle: {body}");
    }
}

#[given("a callback receiver")]
async fn receiver(w: &mut CwWorld) {
    w.receiver = Some(CallbackReceiver::start().await.expect("a receiver on 127.0.0.1:0"));
}

#[given(expr = "the integration registered a callback for {string} at level {string} on object {int}")]
#[when(expr = "the integration registers a callback for {string} at level {string} on object {int}")]
async fn register(w: &mut CwWorld, kind: String, level: String, object_id: i64) {
    w.register_callback(&kind, &level, object_id, None).await;
}

#[when(expr = "the integration registers a callback for {string} at level {string} with the url {string}")]
async fn register_url(w: &mut CwWorld, kind: String, level: String, url: String) {
    w.register_callback(&kind, &level, 5, Some(url)).await;
}

#[then(expr = "the registration is kept with type {string}, level {string} and objectId {int}")]
async fn kept(w: &mut CwWorld, kind: String, level: String, object_id: i64) {
    let (status, entry) = w.last.clone().expect("a registration was sent");
    assert_eq!(status, 201, "{entry}");
    assert_eq!((&entry["type"], &entry["level"], &entry["objectId"]), (&json!(kind), &json!(level), &json!(object_id)));
    assert!(entry["connectWiseID"].as_str().is_some_and(|g| g.len() == 36), "a GUID: {entry}");
    assert!(entry["memberId"].as_u64().is_some_and(|m| m > 0), "the creator: {entry}");
    let (_, read) = w.admin_call(Method::GET, &format!("/system/callbacks/{}", entry["id"]), None).await;
    assert_eq!(read["url"], entry["url"]);
}

#[then(expr = "the registration is refused with {string} on the field {string}")]
async fn refused(w: &mut CwWorld, message: String, field: String) {
    let (status, body) = w.last.clone().expect("a registration was sent");
    assert_eq!(status, 400, "{body}");
    assert_eq!((&body["code"], &body["message"]), (&json!("InvalidObject"), &json!("callbackEntry object is invalid")));
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    assert!(errors.iter().any(|e| e["message"] == message.as_str() && e["field"] == field.as_str()), "{body}");
}

#[when(expr = "a ticket is created on board {int}")]
async fn ticket_on_board(w: &mut CwWorld, board: u64) {
    let body =
        json!({ "summary": "Callback probe", "company": { "identifier": "AcmeCorp" }, "board": { "id": board } });
    let (status, made) = w.admin_call(Method::POST, "/service/tickets", Some(body)).await;
    assert_eq!(status, 201, "{made}");
    if board == 1 {
        if let Some(r) = w.receiver.as_mut() {
            r.last_record = made["id"].as_u64();
        }
    }
}

#[then(expr = "the receiver gets {int} delivery/deliveries")]
async fn gets(w: &mut CwWorld, count: usize) {
    w.deliveries_settled().await;
    let got = w.receiver().deliveries();
    assert_eq!(got.len(), count, "{got:?}");
}

#[then(expr = "the delivery says the ticket was {string}, with the ticket as its Entity")]
async fn says(w: &mut CwWorld, action: String) {
    let id = w.receiver().last_record.expect("a ticket was created on board 1");
    let got = w.receiver().deliveries();
    let d = got.last().expect("a delivery");
    assert!(d.uri.ends_with(&format!("recordId={id}")), "the record id is appended to the URL: {}", d.uri);
    let body: Value = serde_json::from_slice(&d.body).expect("a JSON body");
    assert_eq!((&body["Action"], &body["Type"], &body["ID"]), (&json!(action), &json!("ticket"), &json!(id)));
    let entity: Value = serde_json::from_str(body["Entity"].as_str().expect("Entity is a string")).expect("JSON");
    let (_, ticket) = w.admin_call(Method::GET, &format!("/service/tickets/{id}"), None).await;
    assert_eq!(entity, ticket, "the Entity is the ticket as GET answers it");
}

#[then("the delivery's signature verifies with the key from its key_url")]
async fn verifies(w: &mut CwWorld) {
    let got = w.receiver().deliveries();
    let d = got.last().expect("a delivery");
    let body: Value = serde_json::from_slice(&d.body).expect("a JSON body");
    let key_url = body["Metadata"]["key_url"].as_str().expect("a key_url");
    let app = w.mock().await;
    let answer: Value = app.client().get(key_url).send().await.expect("key_url answers").json().await.expect("JSON");
    let key = answer["signing_key"].as_str().expect("a signing_key");
    assert_eq!(d.signature.as_deref(), Some(expected_signature(key, &d.body).as_str()));
    assert_ne!(d.signature.as_deref(), Some(expected_signature(key, b"{}").as_str()), "it depends on the body");
}

#[then(expr = "the permission table marks the row of {string} as an assumption")]
async fn row_is_assumption(w: &mut CwWorld, path: String) {
    let (status, table) = w.console_call(Method::GET, "/permissions", None).await;
    assert_eq!(status, 200);
    let rows: Vec<&Value> =
        table["routes"].as_array().into_iter().flatten().filter(|r| r["path"] == path.as_str()).collect();
    assert!(!rows.is_empty(), "{path} is in the permission table");
    assert!(rows.iter().all(|r| r["evidence"] == false && r["function"].is_string()), "{rows:?}");
}
