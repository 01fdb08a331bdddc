//! S5–S8: API keys, made in the UI (the mock console stands in for it).

use cucumber::{given, then, when};
use mock_connectwise::{Creds, SaveAction};
use reqwest::Method;
use serde_json::json;

use super::Save;
use crate::CwWorld;

#[when(expr = "the administrator adds an API key {string} for {string} with {save}")]
#[given(expr = "the administrator adds an API key {string} for {string} with {save}")]
async fn add_key(w: &mut CwWorld, description: String, member: String, save: Save) {
    let action = match save.0 {
        SaveAction::Save => "save",
        SaveAction::SaveAndClose => "saveAndClose",
    };
    let company = w.company().await;
    let path = format!("/companies/{company}/members/{member}/keys");
    let (status, key) =
        w.console_call(Method::POST, &path, Some(json!({ "description": description, "action": action }))).await;
    assert_eq!(status, 201, "{key}");
    let app = w.mock().await;
    if let Some(private) = key["privateKey"].as_str() {
        let creds = Creds {
            company: app.admin.company.clone(),
            public: key["publicKey"].as_str().unwrap_or_default().to_owned(),
            private: private.to_owned(),
            client_id: app.admin.client_id.clone(),
        };
        w.creds.push((member, creds));
    }
    w.key = Some(key);
}

#[then("the public and the private key are shown")]
async fn both_shown(w: &mut CwWorld) {
    let key = w.key.clone().expect("a key was made");
    assert_eq!(key["publicKey"].as_str().map(str::len), Some(16), "{key}");
    assert_eq!(key["privateKey"].as_str().map(str::len), Some(16), "{key}");
}

#[then(expr = "the keys authenticate as {string}")]
async fn authenticate(w: &mut CwWorld, member: String) {
    let creds = w.creds_of(&member);
    let app = w.mock().await;
    let me = app.call(&creds, Method::GET, "/system/mySecurity?pageSize=1", None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body[0]["member"]["identifier"], member.as_str());
}

#[then("the key exists but its private key was never shown")]
async fn private_lost(w: &mut CwWorld) {
    let key = w.key.clone().expect("a key was made");
    assert!(key["publicKey"].is_string(), "{key}");
    assert!(key.get("privateKey").is_none_or(serde_json::Value::is_null), "Save and Close showed it: {key}");
    let company = w.company().await;
    let (_, all) = w.console_call(Method::GET, &format!("/companies/{company}/keys"), None).await;
    let listed = all.as_array().into_iter().flatten().find(|k| k["publicKey"] == key["publicKey"]).cloned();
    let listed = listed.expect("the key exists");
    assert_eq!(listed["privateKeyShown"], false, "{listed}");
}

#[then("the private key can never be read back")]
async fn never_again(w: &mut CwWorld) {
    let company = w.company().await;
    let (_, all) = w.console_call(Method::GET, &format!("/companies/{company}/keys"), None).await;
    let (_, members) = w.admin_call(Method::GET, "/system/apiMembers?pageSize=1000", None).await;
    let text = format!("{all}{members}");
    assert!(!text.contains("privateKey\""), "a private key field is listed: {text}");
    if let Some(private) = w.key.as_ref().and_then(|k| k["privateKey"].as_str()) {
        assert!(!text.contains(private), "the private key is readable again");
    }
    let stored = w.mock().await.store.clone();
    let dump = format!("{stored:?}");
    if let Some(private) = w.key.as_ref().and_then(|k| k["privateKey"].as_str()) {
        assert!(!dump.contains(private), "the store holds the private key in clear");
    }
}

#[when("the administrator deletes that key")]
async fn delete_key(w: &mut CwWorld) {
    let key = w.key.clone().expect("a key was made");
    let company = w.company().await;
    let (status, body) =
        w.console_call(Method::DELETE, &format!("/companies/{company}/keys/{}", key["id"]), None).await;
    assert_eq!(status, 204, "{body}");
}

#[then(expr = "{string} has no API key")]
async fn no_keys(w: &mut CwWorld, member: String) {
    let company = w.company().await;
    let (_, keys) = w.console_call(Method::GET, &format!("/companies/{company}/members/{member}/keys"), None).await;
    assert_eq!(keys, json!([]));
}
