//! S9 and S9.1: the security role and its assignment.

use cucumber::{given, then, when};
use cw_model::console::{self, LevelChanges};
use cw_model::{Function, RoleLevels};
use reqwest::Method;
use serde_json::{Value, json};

use crate::CwWorld;

async fn role(w: &mut CwWorld, name: &str) -> Value {
    let (status, body) =
        w.admin_call(Method::GET, &format!("/system/securityroles?conditions=name=\"{name}\""), None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().and_then(|a| a.first()).cloned().unwrap_or_else(|| panic!("no security role named {name}"))
}

async fn levels_of(w: &mut CwWorld, name: &str) -> RoleLevels {
    let id = role(w, name).await["id"].clone();
    let (status, rows) =
        w.admin_call(Method::GET, &format!("/system/securityRoles/{id}/settings?pageSize=1000"), None).await;
    assert_eq!(status, 200, "{rows}");
    provisioner::state::levels_from_rows(rows.as_array().map_or(&[][..], Vec::as_slice))
}

#[when(expr = "the administrator creates the security role {string}")]
#[given(expr = "the administrator creates the security role {string}")]
async fn create(w: &mut CwWorld, name: String) {
    let (status, body) = w.admin_call(Method::POST, "/system/securityroles", Some(json!({ "name": name }))).await;
    assert_eq!(status, 201, "{body}");
}

#[then(expr = "the security role {string} has a setting for every function of the permission table")]
async fn settings(w: &mut CwWorld, name: String) {
    let id = role(w, &name).await["id"].clone();
    let (_, rows) =
        w.admin_call(Method::GET, &format!("/system/securityRoles/{id}/settings?pageSize=1000"), None).await;
    for f in Function::ALL {
        let info = f.info();
        let found = rows
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["moduleName"] == info.module && r["moduleFunctionName"] == info.function);
        assert!(found, "no setting row for {f}");
    }
}

#[then(expr = "the security role {string} is missing levels of the integration profile")]
async fn missing(w: &mut CwWorld, name: String) {
    let levels = levels_of(w, &name).await;
    assert!(!w.profile().missing(&levels).is_empty(), "{name} already holds the profile");
}

#[when(expr = "the integration's levels are set on the security role {string}")]
#[given(expr = "the integration's levels are set on the security role {string}")]
async fn set_profile(w: &mut CwWorld, name: String) {
    let id = role(w, &name).await["id"].clone();
    let mut changes = LevelChanges::default();
    for r in w.profile().requirements() {
        changes = changes.level(r.function, r.action, r.level);
    }
    let company = w.company().await;
    let path = console::path::role_levels(&company, &id.to_string());
    let (status, answer) = w.console_call(Method::PATCH, &path, Some(changes.to_json())).await;
    assert_eq!(status, 200, "{answer}");
}

#[then(expr = "the security role {string} holds every level of the integration profile")]
async fn holds(w: &mut CwWorld, name: String) {
    let levels = levels_of(w, &name).await;
    let profile = w.profile();
    let gaps = profile.missing(&levels);
    assert!(gaps.is_empty(), "{name} lacks {gaps:?}");
}

#[when(expr = "the administrator assigns the security role {string} to the API member {string}")]
#[given(expr = "the administrator assigns the security role {string} to the API member {string}")]
async fn assign(w: &mut CwWorld, name: String, member: String) {
    let role_id = role(w, &name).await["id"].clone();
    let found = super::api_member::api_member(w, &member).await.expect("the member exists");
    let ops = json!([{ "op": "replace", "path": "securityRole", "value": { "id": role_id } }]);
    let (status, body) = w.admin_call(Method::PATCH, &format!("/system/apiMembers/{}", found["id"]), Some(ops)).await;
    assert_eq!(status, 200, "{body}");
}

#[then(expr = "the effective rights of {string} are exactly the integration profile")]
async fn effective(w: &mut CwWorld, member: String) {
    let creds = w.creds_of(&member);
    let app = w.mock().await;
    let rows = app.call(&creds, Method::GET, "/system/mySecurity?pageSize=1000", None).await;
    assert_eq!(rows.status, 200, "{}", rows.body);
    let levels = provisioner::state::levels_from_rows(rows.body.as_array().map_or(&[][..], Vec::as_slice));
    assert_eq!(levels, w.profile().levels());
}
