//! `GET /__mock/permission-journal/{member}/profile`: a workload recorded in soft mode exports
//! as an integration profile file, the least privilege the member's calls needed.

use cw_model::{Action, Function, PermissionLevel, Profile};
use mock_connectwise::permissions::RoleLevels;
use mock_connectwise::{Creds, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};

/// A small synchronisation: read customers and members, open a ticket and an agreement and
/// update and re-read only those, so Edit and Inquire of tickets and agreements need only `My`.
/// Returns every call's status.
async fn workload(app: &TestApp, creds: &Creds) -> Vec<(String, u16)> {
    let mut statuses = Vec::new();
    let mut call = async |method: Method, path: String, body: Option<Value>| {
        let res = app.call(creds, method.clone(), &path, body).await;
        statuses.push((format!("{method} {path}"), res.status));
        res.body
    };
    call(Method::GET, "/company/companies?pageSize=50".into(), None).await;
    call(Method::GET, "/system/members?fields=id,identifier".into(), None).await;
    let ticket = call(
        Method::POST,
        "/service/tickets".into(),
        Some(json!({ "summary": "Alert: disk full", "company": { "identifier": "AcmeCorp" } })),
    )
    .await;
    let ticket = format!("/service/tickets/{}", ticket["id"]);
    call(Method::PATCH, ticket.clone(), Some(json!([{ "op": "replace", "path": "summary", "value": "Fixed" }]))).await;
    call(Method::GET, ticket, None).await;
    let agreement = call(
        Method::POST,
        "/finance/agreements".into(),
        Some(json!({ "name": "Endpoint licences", "type": { "id": 1 },
            "company": { "identifier": "AcmeCorp" }, "contact": { "id": 1 } })),
    )
    .await;
    let agreement = format!("/finance/agreements/{}", agreement["id"]);
    call(Method::PATCH, agreement.clone(), Some(json!([{ "op": "replace", "path": "internalNotes", "value": "x" }])))
        .await;
    call(Method::GET, agreement, None).await;
    statuses
}

/// The export's status, content type and text (not JSON, so not through `TestApp::console`).
async fn export(app: &TestApp, path: &str) -> (u16, String, String) {
    let res = app.client().get(format!("{}/__mock{path}", app.url)).send().await.expect("the mock answers");
    let status = res.status().as_u16();
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, content_type, res.text().await.expect("a body"))
}

#[tokio::test]
async fn a_soft_mode_run_exports_the_least_privilege_it_needed_as_a_profile_file() {
    let app = TestApp::spawn_with(TestOptions { soft_mode: true, ..TestOptions::default() }).await;
    let creds = app.member_with_levels("Workload", &RoleLevels::none()).await;
    let statuses = workload(&app, &creds).await;
    assert!(statuses.iter().all(|(_, s)| (200..300).contains(s)), "soft mode refuses nothing: {statuses:?}");

    let (status, content_type, text) = export(&app, "/permission-journal/Workload/profile").await;

    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("application/toml"), "{content_type}");
    let profile = Profile::parse("exported.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let minimal = app.store.minimal_role(&app.admin.company, "Workload").expect("journaled");
    assert_eq!(profile.levels(), minimal, "the profile is the journal's minimal role\n{text}");
    assert!(profile.excess(&minimal).is_empty() && profile.missing(&minimal).is_empty());
    let level = |f: Function, a: Action| profile.row(f).map_or(PermissionLevel::None, |r| r.level(a));
    use PermissionLevel::{All, My, None};
    let tickets =
        [Action::Add, Action::Edit, Action::Delete, Action::Inquire].map(|a| level(Function::ServiceTickets, a));
    // A ticket the run adds is its own, so Add needs only My too (A10).
    assert_eq!(tickets, [My, My, None, My], "own tickets need only My\n{text}");
    assert_eq!(level(Function::Agreements, Action::Edit), My);
    assert_eq!(level(Function::CompanyMaintenance, Action::Inquire), All);
    assert_eq!(level(Function::MemberMaintenance, Action::Inquire), All);
    assert_eq!(profile.rows.len(), 4, "{text}");
    assert_eq!(profile.member.identifier, "Workload");
    assert!(text.starts_with("# Derived by mock-connectwise"), "{text}");
}

#[tokio::test]
async fn calls_refused_outside_soft_mode_are_named_in_a_comment_and_left_out() {
    let app = TestApp::spawn().await;
    let mut levels = RoleLevels::none();
    levels.set(Function::CompanyMaintenance, Action::Inquire, PermissionLevel::All);
    let creds = app.member_with_levels("Strict", &levels).await;
    let statuses = workload(&app, &creds).await;
    assert!(statuses.iter().any(|(_, s)| *s == 403), "{statuses:?}");

    let company = app.admin.company.clone();
    let (status, _, text) = export(&app, &format!("/permission-journal/strict/profile?company={company}")).await;

    assert_eq!(status, 200, "{text}");
    let profile = Profile::parse("strict.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(profile.rows.iter().map(|r| r.function).collect::<Vec<_>>(), [Function::CompanyMaintenance]);
    assert!(text.contains("#   Service Desk > Service Tickets: Add (1 refused)"), "{text}");
}

#[tokio::test]
async fn an_unknown_member_or_company_is_a_connectwise_404() {
    let app = TestApp::spawn_with(TestOptions { soft_mode: true, ..TestOptions::default() }).await;
    let creds = app.member_with_levels("Known", &RoleLevels::none()).await;
    app.call(&creds, Method::GET, "/company/companies", None).await.expect(200);

    let nobody = app.console(Method::GET, "/permission-journal/Nobody/profile", None).await.expect(404);
    let elsewhere = app.console(Method::GET, "/permission-journal/Known/profile?company=other", None).await.expect(404);

    assert_eq!(nobody.body["code"], "NotFound");
    assert!(nobody.message().contains("member 'Nobody'"), "{}", nobody.body);
    assert!(elsewhere.message().contains("in company 'other'"), "{}", elsewhere.body);
}
