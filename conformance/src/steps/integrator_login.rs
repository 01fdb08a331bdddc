//! S0: the integrator login.

use cucumber::{given, then, when};
use mock_connectwise::Creds;
use reqwest::Method;
use serde_json::{Value, json};

use crate::CwWorld;

const PASSWORD: &str = "Integrator-Passw0rd-42";

/// The API flags an integrator login made for the integration gets: the run profile's, or
/// the default profile's where the profile's page needs no integrator login.
fn flags(w: &CwWorld) -> Vec<String> {
    let profile = w.profile();
    let own = profile.integrator_login.as_ref().map(|i| i.flags.clone());
    own.unwrap_or_else(|| cw_model::Profile::seed().integrator_flags().to_vec())
}

async fn login(w: &mut CwWorld, username: &str) -> Option<Value> {
    let (status, body) =
        w.admin_call(Method::GET, &format!("/system/integratorlogins?conditions=username=\"{username}\""), None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().and_then(|a| a.first()).cloned()
}

#[when(expr = "the administrator creates the integrator login {string} for the integration")]
#[given(expr = "the administrator creates the integrator login {string} for the integration")]
async fn create(w: &mut CwWorld, username: String) {
    let mut body = json!({ "username": username, "password": PASSWORD, "canAccessAllRecordsFlag": true });
    for flag in flags(w) {
        body[flag.as_str()] = Value::Bool(true);
    }
    let (status, answer) = w.admin_call(Method::POST, "/system/integratorlogins", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
}

#[when(expr = "the administrator deletes the integrator login {string}")]
async fn delete(w: &mut CwWorld, username: String) {
    let found = login(w, &username).await.expect("the login exists");
    let (status, body) = w.admin_call(Method::DELETE, &format!("/system/integratorlogins/{}", found["id"]), None).await;
    assert_eq!(status, 204, "{body}");
}

#[then(expr = "the integrator login {string} does not exist")]
async fn gone(w: &mut CwWorld, username: String) {
    assert!(login(w, &username).await.is_none(), "{username} still exists");
}

#[then(expr = "the integrator login {string} is active with access to all records")]
async fn active(w: &mut CwWorld, username: String) {
    let found = login(w, &username).await.expect("the login exists");
    assert_eq!(found["inactiveFlag"], false, "{found}");
    assert_eq!(found["canAccessAllRecordsFlag"], true, "{found}");
}

#[then(expr = "the integrator login {string} has the API flags the integration needs")]
async fn has_flags(w: &mut CwWorld, username: String) {
    let found = login(w, &username).await.expect("the login exists");
    for flag in flags(w) {
        assert_eq!(found[flag.as_str()], true, "{flag} of {found}");
    }
}

#[then("no answer contains the integrator password")]
async fn password_never_returned(w: &mut CwWorld) {
    let (_, list) = w.admin_call(Method::GET, "/system/integratorlogins", None).await;
    let text = list.to_string();
    assert!(!text.contains(PASSWORD) && !text.contains("\"password\""), "{text}");
}

#[when(expr = "the integrator login {string} asks for a token for member {string}")]
async fn token(w: &mut CwWorld, username: String, member: String) {
    let app = w.mock().await;
    let req = app
        .client()
        .post(format!("{}/system/members/{member}/tokens", app.api))
        .basic_auth(format!("{}+{username}", app.admin.company), Some(PASSWORD))
        .header("clientId", &app.admin.client_id)
        .header("x-cw-usertype", "integrator")
        .json(&json!({ "memberIdentifier": member }));
    let res = app.send(req).await;
    w.last = Some((res.status, res.body));
}

#[then(expr = "the token authenticates as {string}")]
async fn token_works(w: &mut CwWorld, member: String) {
    let (status, body) = w.last.clone().expect("a token answer");
    assert_eq!(status, 200, "{body}");
    let app = w.mock().await;
    let creds = Creds {
        company: app.admin.company.clone(),
        public: body["publicKey"].as_str().expect("publicKey").to_owned(),
        private: body["privateKey"].as_str().expect("privateKey").to_owned(),
        client_id: app.admin.client_id.clone(),
    };
    let me = app.call(&creds, Method::GET, "/system/mySecurity?pageSize=1", None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body[0]["member"]["identifier"], member.as_str());
}
