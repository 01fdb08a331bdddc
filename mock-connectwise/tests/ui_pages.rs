//! The console's web UI as HTML: every screen answers, user input is escaped, the forms
//! write through the same store the API reads, and `--no-ui` turns it off.

use mock_connectwise::{ApiConfig, TestApp, TestOptions};
use reqwest::Method;
use serde_json::json;

async fn html(app: &TestApp, path: &str) -> (u16, String) {
    let res = app.client().get(format!("{}/__mock/ui{path}", app.url)).send().await.expect("an answer");
    (res.status().as_u16(), res.text().await.expect("a page"))
}

#[tokio::test]
async fn every_screen_answers_with_the_mock_banner() {
    let app = TestApp::spawn().await;
    for path in [
        "",
        "/",
        "/members?tab=api",
        "/members?tab=members",
        "/members/new",
        "/members/MockAdmin",
        "/members/MockAdmin?tab=keys",
        "/members/MockAdmin/keys/new",
        "/roles",
        "/roles/2",
        "/integrator-logins",
    ] {
        let (status, page) = html(&app, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains("MOCK CONSOLE - not ConnectWise"), "{path}");
    }
    assert_eq!(html(&app, "/members/nobody").await.0, 404);
    assert_eq!(html(&app, "/roles/999").await.0, 404);
}

#[tokio::test]
async fn user_supplied_text_is_escaped() {
    let app = TestApp::spawn().await;
    let evil = "<script>alert(1)</script>";
    app.call(&app.admin, Method::POST, "/system/apiMembers", Some(json!({ "identifier": "Evil1", "name": evil })))
        .await
        .expect(201);

    let (_, list) = html(&app, "/members?tab=api").await;

    assert!(!list.contains(evil), "unescaped markup in the page");
    assert!(list.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

/// Text with every character HTML gives a meaning to (21 characters: fits a role's name).
const HOSTILE: &str = "<script>x</script>\"'&";
/// `HOSTILE` as the templates write it: `<`, `>`, `&` and `"` escaped (attribute values are
/// always double-quoted, so `'` needs no escape).
const HOSTILE_ESCAPED: &str = "&lt;script&gt;x&lt;/script&gt;&quot;'&amp;";

/// Asserts that `page` shows `HOSTILE` escaped and never as markup.
fn assert_escaped(path: &str, page: &str) {
    assert!(!page.contains("<script"), "{path}: unescaped <script> in\n{page}");
    assert!(!page.contains("\"'&"), "{path}: unescaped quote and ampersand in\n{page}");
    assert!(page.contains(HOSTILE_ESCAPED), "{path}: the hostile text is not shown, escaped, in\n{page}");
}

/// The form-encoded body that posts `HOSTILE`.
fn form_value(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn hostile_text_is_escaped_on_every_screen_that_shows_user_data() {
    let app = TestApp::spawn().await;
    let role = app.call(&app.admin, Method::POST, "/system/securityroles", Some(json!({ "name": HOSTILE }))).await;
    let role = role.expect(201).body["id"].as_u64().unwrap();
    let member = json!({ "identifier": "Evil1", "name": HOSTILE, "securityRole": { "id": role } });
    app.call(&app.admin, Method::POST, "/system/apiMembers", Some(member)).await.expect(201);
    let login = json!({ "username": HOSTILE, "password": "p4ssword-unused", "canAccessAllRecordsFlag": true });
    app.call(&app.admin, Method::POST, "/system/integratorlogins", Some(login)).await.expect(201);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let key = http
        .post(format!("{}/__mock/ui/members/Evil1/keys", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("description={}&action=saveAndClose", form_value(HOSTILE)))
        .send()
        .await
        .unwrap();
    assert_eq!(key.status(), 303);
    let hostile = form_value(HOSTILE);

    for (path, status) in [
        (format!("/?company={hostile}"), 200),
        ("/members?tab=api".to_owned(), 200),
        ("/members/Evil1".to_owned(), 200),
        ("/members/Evil1?tab=keys".to_owned(), 200),
        ("/members/new".to_owned(), 200),
        ("/roles".to_owned(), 200),
        (format!("/roles/{role}"), 200),
        ("/integrator-logins".to_owned(), 200),
        (format!("/members/{hostile}/keys/new"), 200),
        (format!("/members/{hostile}"), 404),
        (format!("/roles?company={hostile}"), 404),
    ] {
        let (got, page) = html(&app, &path).await;
        assert_eq!(got, status, "{path}");
        assert_escaped(&path, &page);
    }
}

/// The text of the first element whose `data-test` is `test`, if it holds only text.
fn cell<'p>(page: &'p str, test: &str) -> Option<&'p str> {
    let start = page.find(&format!("data-test=\"{test}\">"))? + test.len() + 13;
    page[start..].split('<').next()
}

#[tokio::test]
async fn an_ordinary_member_is_shown_with_name_and_e_mail() {
    let app = TestApp::spawn().await;

    let (_, list) = html(&app, "/members?tab=members").await;
    let (status, profile) = html(&app, "/members/jdoe").await;

    let row = list.split("<tr>").find(|r| r.contains("data-test=\"member-jdoe\"")).expect("a row for jdoe");
    assert_eq!(cell(row, "member-name"), Some("Jane Doe"));
    assert_eq!(cell(row, "member-email"), Some("jane.doe@example.com"));
    assert_eq!(status, 200);
    assert_eq!(cell(&profile, "profile-name"), Some("Jane Doe"));
    assert_eq!(cell(&profile, "profile-emailAddress"), Some("jane.doe@example.com"));
    assert_eq!(cell(&profile, "profile-role"), Some("Admin"));
}

#[tokio::test]
async fn an_api_member_is_shown_with_name_and_e_mail() {
    let app = TestApp::spawn().await;

    let (_, list) = html(&app, "/members?tab=api").await;
    let (_, profile) = html(&app, "/members/mockadmin").await;

    let row = list.split("<tr>").find(|r| r.contains("data-test=\"member-MockAdmin\"")).expect("a row");
    assert_eq!(cell(row, "member-name"), Some("Mock Admin"));
    assert_eq!(cell(row, "member-email"), Some("mockadmin@example.com"));
    assert_eq!(cell(&profile, "profile-name"), Some("Mock Admin"));
    assert_eq!(cell(&profile, "profile-emailAddress"), Some("mockadmin@example.com"));
}

#[tokio::test]
async fn the_forms_create_members_and_keys_and_set_levels_in_the_store_the_api_enforces() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let post = |path: &str, body: &str| {
        http.post(format!("{}/__mock/ui{path}", app.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
    };

    let member = post("/members", "identifier=FormSync&name=Form+Sync&securityRole=2").await.unwrap();
    let closed = post("/members/FormSync/keys", "description=closed&action=saveAndClose").await.unwrap();
    let saved = post("/members/FormSync/keys", "description=kept&action=save").await.unwrap();
    let saved_page = saved.text().await.unwrap();
    let level = post("/roles/2", "CompanyMaintenance%7CInquire=None").await.unwrap();

    assert_eq!(member.status(), 303);
    assert_eq!(closed.status(), 303, "Save and Close returns to the list");
    assert!(saved_page.contains("id=\"private-key\""), "Save shows the private key");
    assert_eq!(level.status(), 303);
    let listed = app.get("/system/apiMembers?conditions=identifier=\"FormSync\"").await.expect(200);
    assert_eq!(listed.body[0]["name"], "Form Sync");
    let keys = app.console(Method::GET, "/companies/cwmock/members/FormSync/keys", None).await.expect(200);
    assert_eq!(keys.body.as_array().unwrap().len(), 2);
    let setting = app
        .get("/system/securityRoles/2/settings?conditions=moduleFunctionName=\"Company Maintenance\"")
        .await
        .expect(200);
    assert_eq!(setting.body[0]["inquireLevel"], "None", "the role screen's save reached the store");
    let bad = post("/members", "identifier=&name=x").await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn no_ui_turns_the_screens_off_but_not_the_json_console() {
    let app = TestApp::spawn_with(TestOptions {
        api: ApiConfig { ui: false, ..ApiConfig::default() },
        ..TestOptions::default()
    })
    .await;

    let (status, _) = html(&app, "/members").await;

    assert_eq!(status, 404);
    app.console(Method::GET, "/faults", None).await.expect(200);
}
