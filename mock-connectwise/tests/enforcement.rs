//! Security-role enforcement, table-driven from the one permission table: for each level of
//! S9.2–S9.8, removing exactly that level makes exactly its calls fail with the 403 that names
//! it, and restoring it makes them pass; `My` restricts to own records; soft mode derives the
//! integration's minimal role from a realistic workload.

mod common;

use common::{Probe, integration_workload, probes, role_id, run};
use mock_connectwise::permissions::{PermissionLevel, Requirement, RoleLevels, integration_requirements};
use mock_connectwise::{TestApp, TestOptions};
use reqwest::Method;

fn requirement(index: usize) -> Requirement<'static> {
    integration_requirements().nth(index).expect("a requirement at this index")
}

/// The probes of every requirement other than `skip`.
async fn other_probes(app: &TestApp, skip: Requirement<'static>) -> Vec<(Requirement<'static>, Probe)> {
    let mut out = Vec::new();
    for other in integration_requirements().filter(|o| *o != skip) {
        for p in probes(app, other.function, other.action).await {
            out.push((other, p));
        }
    }
    out
}

async fn removing_one_level_fails_exactly_its_calls(index: usize) {
    // Arrange: a role with the integration's levels but one.
    let app = TestApp::spawn().await;
    let missing = requirement(index);
    let mut levels = mock_connectwise::permissions::Profile::seed().levels();
    levels.set(missing.function, missing.action, PermissionLevel::None);
    let identifier = format!("Probe{index}");
    let creds = app.member_with_levels(&identifier, &levels).await;
    let own = probes(&app, missing.function, missing.action).await;
    assert!(!own.is_empty(), "{missing} has no probe");

    // Act + assert: its calls are refused, naming the level...
    let named = format!("{}: {} Level = All required", missing.function, missing.action);
    for p in &own {
        let (status, message) = run(&app, &creds, p).await;
        assert_eq!(status, 403, "{} {} without {missing}: {message}", p.method, p.path);
        assert!(message.contains(&named), "{} {}: message {message:?} does not name {named:?}", p.method, p.path);
    }
    // ...and every other level's calls still pass.
    for (other, p) in other_probes(&app, missing).await {
        let (status, message) = run(&app, &creds, &p).await;
        assert!((200..300).contains(&status), "{} {} ({other}) failed without {missing}: {message}", p.method, p.path);
    }

    // Restoring the level makes its calls pass again.
    let role = role_id(&app, &format!("{identifier} role")).await;
    app.set_level(&role.to_string(), missing.function, missing.action, PermissionLevel::All).await;
    for p in probes(&app, missing.function, missing.action).await {
        let (status, message) = run(&app, &creds, &p).await;
        assert!((200..300).contains(&status), "{} {} with {missing} restored: {message}", p.method, p.path);
    }
}

macro_rules! one_case_per_level {
    ($($name:ident => $index:expr,)*) => {
        $(
            #[tokio::test]
            async fn $name() {
                removing_one_level_fails_exactly_its_calls($index).await;
            }
        )*

        #[test]
        fn there_is_one_case_per_required_level() {
            let cases = [$(stringify!($name)),*];
            assert_eq!(cases.len(), integration_requirements().count());
            for (i, name) in cases.iter().enumerate() {
                let r = requirement(i);
                let step = r.step_or_label().replace('.', "_").to_lowercase();
                assert!(name.starts_with(&step), "case {name} is not about {} ({r})", r.step_or_label());
            }
        }
    };
}

one_case_per_level! {
    s9_2_company_maintenance_inquire => 0,
    s9_3_agreements_add => 1,
    s9_3_agreements_edit => 2,
    s9_3_agreements_inquire => 3,
    s9_4_product_catalog_add => 4,
    s9_4_product_catalog_edit => 5,
    s9_4_product_catalog_inquire => 6,
    s9_5_table_setup_add => 7,
    s9_5_table_setup_edit => 8,
    s9_5_table_setup_inquire => 9,
    s9_6_member_maintenance_inquire => 10,
    s9_7_service_tickets_inquire => 11,
    s9_7_service_tickets_add => 12,
    s9_7_service_tickets_edit => 13,
    s9_8_api_reports_inquire => 14,
}

#[tokio::test]
async fn the_integration_role_passes_every_probe() {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("FullProfile", &mock_connectwise::permissions::Profile::seed().levels()).await;
    for r in integration_requirements() {
        for p in probes(&app, r.function, r.action).await {
            let (status, message) = run(&app, &creds, &p).await;
            assert!((200..300).contains(&status), "{} {} ({r}): {status} {message}", p.method, p.path);
        }
    }
}

#[tokio::test]
async fn my_level_restricts_tickets_to_the_callers_own_records() {
    use mock_connectwise::permissions::{Action, Function};
    let app = TestApp::spawn().await;
    let mut levels = RoleLevels::none();
    levels.set(Function::ServiceTickets, Action::Add, PermissionLevel::All);
    levels.set(Function::ServiceTickets, Action::Inquire, PermissionLevel::My);
    levels.set(Function::ServiceTickets, Action::Edit, PermissionLevel::My);
    let me = app.member_with_levels("OwnOnly", &levels).await;
    let all_before = app.get("/service/tickets/count").await.expect(200).body["count"].as_u64().unwrap();
    let body = common::create_body("/service/tickets");

    let mine = app.call(&me, Method::POST, "/service/tickets", body).await.expect(201);
    let id = mine.body["id"].as_u64().unwrap();
    let listed = app.call(&me, Method::GET, "/service/tickets", None).await.expect(200);
    let counted = app.call(&me, Method::GET, "/service/tickets/count", None).await.expect(200);
    let own = app.call(&me, Method::GET, &format!("/service/tickets/{id}"), None).await;
    let others = app.call(&me, Method::GET, "/service/tickets/1", None).await;
    let patch = common::patch_body("/service/tickets/{id}");
    let edit_own = app.call(&me, Method::PATCH, &format!("/service/tickets/{id}"), patch.clone()).await;
    let edit_other = app.call(&me, Method::PATCH, "/service/tickets/1", patch).await;

    assert!(all_before >= 1, "fixtures have tickets of others");
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["id"], id);
    assert_eq!(counted.body["count"], 1);
    own.expect(200);
    assert_eq!(others.status, 403, "{}", others.body);
    assert!(others.message().contains("Service Desk > Service Tickets: Inquire Level = All required"));
    edit_own.expect(200);
    assert_eq!(edit_other.status, 403, "{}", edit_other.body);
}

#[tokio::test]
async fn a_realistic_workload_in_soft_mode_derives_the_integration_role_with_add_at_my() {
    let app = TestApp::spawn_with(TestOptions { soft_mode: true, ..TestOptions::default() }).await;
    let creds = app.member_with_levels("SoftSync", &RoleLevels::none()).await;

    integration_workload(&app, &creds).await;
    let journal = app.console(Method::GET, "/permission-journal", None).await.expect(200);

    let report = journal.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member"] == "SoftSync")
        .cloned()
        .expect("the workload's member is in the journal");
    // Nothing beyond the profile is needed; of the profile, only its Add = All levels are more
    // than the run needed: records a call adds are the caller's own, so Add = My suffices (A10).
    assert_eq!(report["beyondProfile"], serde_json::json!([]), "{report:#}");
    let unused: Vec<&str> =
        report["unusedProfileLevels"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    let adds = integration_requirements().filter(|r| r.action == mock_connectwise::permissions::Action::Add).count();
    assert_eq!(unused.len(), adds, "{report:#}");
    assert!(unused.iter().all(|u| u.contains(": Add Level = All")), "{report:#}");
    assert_eq!(report["matchesIntegrationProfile"], false, "the published profile asks Add = All: {report:#}");
    assert_eq!(report["minimalRole"].as_array().unwrap().len(), 7, "S9.2-S9.8 are seven rows");
}

#[tokio::test]
async fn the_same_workload_with_the_integration_role_and_soft_mode_off_passes() {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("HardSync", &mock_connectwise::permissions::Profile::seed().levels()).await;

    integration_workload(&app, &creds).await;

    let refused = app.requests("status=403").await;
    assert!(refused.is_empty(), "refused calls: {refused:?}");
}
