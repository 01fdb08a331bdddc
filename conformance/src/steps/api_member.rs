//! S1–S4: the API member the keys belong to.

use cucumber::{given, then, when};
use reqwest::Method;
use serde_json::{Value, json};

use crate::CwWorld;

pub(crate) async fn api_member(w: &mut CwWorld, identifier: &str) -> Option<Value> {
    let path = format!("/system/apiMembers?conditions=identifier=\"{identifier}\"");
    let (status, body) = w.admin_call(Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().and_then(|a| a.first()).cloned()
}

#[when(expr = "the administrator adds the API member {string} named {string}")]
#[given(expr = "the administrator added the API member {string} named {string}")]
async fn add(w: &mut CwWorld, identifier: String, name: String) {
    let body = json!({ "identifier": identifier, "name": name, "emailAddress": "integration@example.com", "securityRole": { "name": "Admin" } });
    let (status, answer) = w.admin_call(Method::POST, "/system/apiMembers", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
}

#[then(expr = "the API member {string} is in the API member list")]
async fn listed(w: &mut CwWorld, identifier: String) {
    let (status, list) = w.admin_call(Method::GET, "/system/apiMembers?pageSize=1000", None).await;
    assert_eq!(status, 200);
    let found = list.as_array().into_iter().flatten().any(|m| m["identifier"] == identifier.as_str());
    assert!(found, "{identifier} not in {list}");
}

#[then(expr = "the API member {string} is a member of its own, not a shared account")]
async fn own_member(w: &mut CwWorld, identifier: String) {
    let member = api_member(w, &identifier).await.expect("the member exists");
    // Its own record, id and audit trail: activity can be traced to it.
    assert!(member["id"].as_u64().is_some(), "{member}");
    assert_eq!(member["_info"]["enteredBy"], "MockAdmin", "{member}");
    let (_, all) = w.admin_call(Method::GET, "/system/apiMembers/count", None).await;
    assert!(all["count"].as_u64().unwrap_or(0) >= 2, "separate from the administrator's own API member");
}

#[when(expr = "the administrator opens the API member {string} from the list")]
async fn open(w: &mut CwWorld, identifier: String) {
    let member = api_member(w, &identifier).await.expect("the member is listed");
    let (status, body) = w.admin_call(Method::GET, &format!("/system/apiMembers/{}", member["id"]), None).await;
    assert_eq!(status, 200, "{body}");
}

#[then(expr = "the member's details show the name {string}")]
async fn shows_name(w: &mut CwWorld, name: String) {
    let (_, body) = w.last.clone().expect("an opened member");
    assert_eq!(body["name"], name.as_str(), "{body}");
}
