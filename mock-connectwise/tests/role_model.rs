//! Security roles as ConnectWise has them (issue 16): every catalogue row in the settings,
//! Customize allow-lists, `My` as owned / assigned / entered, and the member's level and
//! excluded boards.

mod common;

use std::collections::BTreeSet;

use mock_connectwise::permissions::{Action, Function, PermissionLevel, RoleLevels};
use mock_connectwise::{Creds, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};

const BOARD: &str = "Service / Service Board";

/// A role holding `levels` on the given rows, all four columns.
fn levels(rows: &[(Function, PermissionLevel)]) -> RoleLevels {
    let mut l = RoleLevels::none();
    for &(f, level) in rows {
        for a in Action::ALL {
            l.set(f, a, level);
        }
    }
    l
}

fn table_setup_for_boards_only() -> RoleLevels {
    let mut l = levels(&[(Function::TableSetup, PermissionLevel::All)]);
    l.set_customize(Function::TableSetup, Some(BTreeSet::from([BOARD.to_owned()])));
    l
}

async fn settings(app: &TestApp, creds: &Creds, path: &str) -> Vec<Value> {
    let found = app.call(creds, Method::GET, &format!("{path}?pageSize=1000"), None).await.expect(200);
    found.body.as_array().cloned().expect("a list")
}

#[tokio::test]
async fn every_catalogue_row_appears_in_the_settings_and_my_security_with_its_module() {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("RowsProbe", &table_setup_for_boards_only()).await;
    let role = common::role_id(&app, "RowsProbe role").await;

    let role_rows = settings(&app, &app.admin, &format!("/system/securityRoles/{role}/settings")).await;
    let my_rows = settings(&app, &creds, "/system/mySecurity").await;

    for rows in [&role_rows, &my_rows] {
        assert_eq!(rows.len(), Function::ALL.len());
        for &f in Function::ALL {
            let info = f.info();
            let row = rows
                .iter()
                .find(|r| r["moduleFunctionIdentifier"] == info.function_identifier)
                .unwrap_or_else(|| panic!("{f} is not in the settings"));
            assert_eq!(row["moduleName"], info.module, "{f}");
            assert_eq!(row["moduleFunctionName"], info.function, "{f}");
            assert_eq!(row["customFlag"], f == Function::TableSetup, "{f}: customFlag");
            let inquire = if f == Function::TableSetup { "All" } else { "None" };
            assert_eq!(row["inquireLevel"], inquire, "{f}");
        }
    }
}

#[tokio::test]
async fn a_customize_list_of_service_board_lets_boards_through_and_refuses_priorities_naming_the_item() {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("BoardsOnly", &table_setup_for_boards_only()).await;

    let boards = app.call(&creds, Method::GET, "/service/boards", None).await;
    let counted = app.call(&creds, Method::GET, "/service/boards/count", None).await;
    let board = app.call(&creds, Method::GET, "/service/boards/1", None).await;
    let statuses = app.call(&creds, Method::GET, "/service/boards/1/statuses", None).await;
    let status = app.call(&creds, Method::GET, "/service/boards/1/statuses/1", None).await;
    let priorities = app.call(&creds, Method::GET, "/service/priorities", None).await;
    let priority = app.call(&creds, Method::GET, "/service/priorities/1", None).await;
    let admin = app.call(&app.admin, Method::GET, "/service/priorities", None).await;

    boards.expect(200);
    counted.expect(200);
    board.expect(200);
    assert_eq!(statuses.expect(200).body.as_array().map(Vec::len), Some(3), "the board's statuses");
    status.expect(200);
    admin.expect(200);
    for refused in [&priorities, &priority] {
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(
            refused.message().contains("System > Table Setup: Service / Priority is not in the role's Customize list"),
            "{}",
            refused.message()
        );
        assert_eq!(refused.body["code"], "Forbidden", "{}", refused.body);
    }
}

#[tokio::test]
async fn lifting_the_customize_list_through_the_levels_document_grants_every_setup_table() {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("Lifted", &table_setup_for_boards_only()).await;
    let role = common::role_id(&app, "Lifted role").await;
    let before = app.call(&creds, Method::GET, "/service/priorities", None).await;

    let doc = json!({ "System > Table Setup": { "customize": null } });
    app.console(Method::PUT, &format!("/companies/cwmock/roles/{role}/levels"), Some(doc)).await.expect(200);
    let after = app.call(&creds, Method::GET, "/service/priorities", None).await;

    assert_eq!(before.status, 403);
    after.expect(200);
}

#[tokio::test]
async fn soft_mode_derives_the_customize_list_the_calls_needed() {
    let app = TestApp::spawn_with(TestOptions { soft_mode: true, ..TestOptions::default() }).await;
    let creds = app.member_with_levels("SoftBoards", &RoleLevels::none()).await;

    app.call(&creds, Method::GET, "/service/boards", None).await.expect(200);
    app.call(&creds, Method::GET, "/service/boards/1", None).await.expect(200);
    let journal = app.console(Method::GET, "/permission-journal", None).await.expect(200);

    let member = journal.body["members"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["member"] == "SoftBoards").cloned())
        .expect("the member is journaled");
    let row = member["minimalRole"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["function"] == "System > Table Setup").cloned())
        .expect("Table Setup was needed");
    assert_eq!(row["inquireLevel"], "All");
    assert_eq!(row["customize"], json!([BOARD]), "{member:#}");
}

#[tokio::test]
async fn the_role_screen_saves_a_customize_list_one_item_per_line() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let form = "TableSetup%7CInquire=All&TableSetup%7Ccustomize=Service+%2F+Service+Board%0D%0A%0D%0A";

    let saved = http
        .post(format!("{}/__mock/ui/roles/2", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("the form posts");
    let page =
        http.get(format!("{}/__mock/ui/roles/2", app.url)).send().await.expect("page").text().await.expect("html");
    let row = app
        .get("/system/securityRoles/2/settings?conditions=moduleFunctionIdentifier=\"TableSetup\"")
        .await
        .expect(200);

    assert_eq!(saved.status(), 303);
    assert_eq!(row.body[0]["customFlag"], true);
    assert!(page.contains("id=\"TableSetup-customize\""), "the screen has the Customize list");
    assert!(page.contains(">Service / Service Board</textarea>"), "the screen shows the saved list");
}

/// The id of an API member by identifier.
async fn api_member_id(app: &TestApp, identifier: &str) -> u64 {
    let found = app.get(&format!("/system/apiMembers?conditions=identifier=\"{identifier}\"")).await.expect(200);
    found.body[0]["id"].as_u64().expect("an API member with that identifier")
}

/// Sets fields of an API member as the admin (`PATCH` replace operations).
async fn patch_api_member(app: &TestApp, identifier: &str, fields: Value) {
    let id = api_member_id(app, identifier).await;
    let ops: Vec<Value> = fields
        .as_object()
        .expect("an object")
        .iter()
        .map(|(k, v)| json!({ "op": "replace", "path": k, "value": v }))
        .collect();
    app.call(&app.admin, Method::PATCH, &format!("/system/apiMembers/{id}"), Some(Value::Array(ops))).await.expect(200);
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array().expect("a list").iter().filter_map(|r| r["id"].as_u64()).collect()
}

#[tokio::test]
async fn add_at_my_creates_a_ticket_the_member_reads_at_inquire_my_while_others_stay_invisible() {
    let app = TestApp::spawn().await;
    let me = app.member_with_levels("MyTickets", &levels(&[(Function::ServiceTickets, PermissionLevel::My)])).await;
    let ticket = |summary: &str| json!({ "summary": summary, "company": { "identifier": "AcmeCorp" } });

    let created = app.call(&me, Method::POST, "/service/tickets", Some(ticket("mine"))).await.expect(201);
    let mine = created.body["id"].as_u64().expect("id");
    let listed = app.call(&me, Method::GET, "/service/tickets?pageSize=1000", None).await.expect(200);
    let counted = app.call(&me, Method::GET, "/service/tickets/count", None).await.expect(200);
    let read = app.call(&me, Method::GET, &format!("/service/tickets/{mine}"), None).await;
    let others = app.call(&me, Method::GET, "/service/tickets/1", None).await;

    assert_eq!(ids(&listed.body), vec![mine], "only the member's own ticket is listed");
    assert_eq!(counted.body["count"], 1);
    read.expect(200);
    assert_eq!(others.status, 403, "{}", others.body);
    assert!(others.message().contains("Service Desk > Service Tickets: Inquire Level = All required"));
}

#[tokio::test]
async fn my_reaches_tickets_the_member_owns_or_is_assigned_to_not_only_those_it_entered() {
    let app = TestApp::spawn().await;
    let me = app.member_with_levels("Assignee", &levels(&[(Function::ServiceTickets, PermissionLevel::My)])).await;
    let create = |body: Value| async {
        let t = app.call(&app.admin, Method::POST, "/service/tickets", Some(body)).await.expect(201);
        t.body["id"].as_u64().expect("id")
    };
    let company = json!({ "identifier": "AcmeCorp" });
    let owned = create(json!({ "summary": "owned", "company": company, "owner": { "identifier": "Assignee" } })).await;
    let assigned = create(json!({ "summary": "assigned", "company": company, "resources": "jdoe, assignee" })).await;
    let foreign = create(json!({ "summary": "foreign", "company": company, "resources": "jdoe" })).await;

    let listed = app.call(&me, Method::GET, "/service/tickets?pageSize=1000", None).await.expect(200);
    let counted = app.call(&me, Method::GET, "/service/tickets/count", None).await.expect(200);
    let edit = json!([{ "op": "replace", "path": "summary", "value": "assigned, edited" }]);
    let edited = app.call(&me, Method::PATCH, &format!("/service/tickets/{assigned}"), Some(edit.clone())).await;
    let refused = app.call(&me, Method::PATCH, &format!("/service/tickets/{foreign}"), Some(edit)).await;

    assert_eq!(ids(&listed.body), vec![owned, assigned]);
    assert_eq!(counted.body["count"], 2);
    edited.expect(200);
    assert_eq!(refused.status, 403, "{}", refused.body);
}

#[tokio::test]
async fn a_location_level_member_does_not_see_another_locations_company() {
    let app = TestApp::spawn().await;
    let rows = [(Function::CompanyMaintenance, PermissionLevel::All), (Function::Agreements, PermissionLevel::All)];
    let me = app.member_with_levels("Tampa", &levels(&rows)).await;
    patch_api_member(
        &app,
        "Tampa",
        json!({ "structureLevel": { "id": 2, "name": "Location" }, "securityLocation": { "id": 1 } }),
    )
    .await;
    let company = |ident: &str, location: u64| json!({ "identifier": ident, "name": ident, "site": { "name": "Main" }, "territory": { "id": location } });
    let here = app.call(&app.admin, Method::POST, "/company/companies", Some(company("HereCo", 1))).await.expect(201);
    let there = app.call(&app.admin, Method::POST, "/company/companies", Some(company("ThereCo", 2))).await.expect(201);
    let (here, there) = (here.body["id"].as_u64().unwrap(), there.body["id"].as_u64().unwrap());
    let agreement = json!({ "name": "There", "type": { "id": 1 }, "company": { "id": there }, "contact": { "id": 1 } });
    let agreement = app.call(&app.admin, Method::POST, "/finance/agreements", Some(agreement)).await.expect(201);
    let agreement = agreement.body["id"].as_u64().unwrap();

    let listed = app.call(&me, Method::GET, "/company/companies?pageSize=1000", None).await.expect(200);
    let all = app.call(&app.admin, Method::GET, "/company/companies/count", None).await.expect(200);
    let counted = app.call(&me, Method::GET, "/company/companies/count", None).await.expect(200);
    let by_id = app.call(&me, Method::GET, &format!("/company/companies/{there}"), None).await;
    let filtered = app
        .call(&me, Method::GET, "/company/companies/count?conditions=identifier=\"ThereCo\"", None)
        .await
        .expect(200);

    let seen = ids(&listed.body);
    assert!(seen.contains(&here), "its own location's company is listed");
    assert!(!seen.contains(&there), "another location's company is not listed");
    assert_eq!(counted.body["count"].as_u64(), all.body["count"].as_u64().map(|n| n - 1));
    assert_eq!(by_id.status, 404, "{}", by_id.body);
    assert_eq!(filtered.body["count"], 0);
    let agreements = app.call(&me, Method::GET, "/finance/agreements?pageSize=1000", None).await.expect(200);
    assert!(!ids(&agreements.body).contains(&agreement), "the hidden company's agreement is not listed");
    assert!(!ids(&agreements.body).is_empty(), "agreements of companies without a territory are");
    let by_id = app.call(&me, Method::GET, &format!("/finance/agreements/{agreement}"), None).await;
    assert_eq!(by_id.status, 404, "{}", by_id.body);
    app.call(&app.admin, Method::GET, &format!("/company/companies/{there}"), None).await.expect(200);
}

#[tokio::test]
async fn an_excluded_boards_tickets_and_the_board_itself_are_invisible() {
    let app = TestApp::spawn().await;
    let rows = [(Function::ServiceTickets, PermissionLevel::All), (Function::TableSetup, PermissionLevel::All)];
    let me = app.member_with_levels("NoAlerts", &levels(&rows)).await;
    let alerts =
        app.get("/service/boards?conditions=name=\"Alerts\"").await.expect(200).body[0]["id"].as_u64().unwrap();
    patch_api_member(&app, "NoAlerts", json!({ "excludedServiceBoardIds": [alerts] })).await;
    let on_alerts = app.get(&format!("/service/tickets?conditions=board/id={alerts}")).await.expect(200);
    let on_alerts = ids(&on_alerts.body);
    assert!(!on_alerts.is_empty(), "the fixtures have a ticket on Alerts");

    let tickets = app.call(&me, Method::GET, "/service/tickets?pageSize=1000", None).await.expect(200);
    let all = app.call(&app.admin, Method::GET, "/service/tickets/count", None).await.expect(200);
    let counted = app.call(&me, Method::GET, "/service/tickets/count", None).await.expect(200);
    let ticket = app.call(&me, Method::GET, &format!("/service/tickets/{}", on_alerts[0]), None).await;
    let boards = app.call(&me, Method::GET, "/service/boards", None).await.expect(200);
    let board = app.call(&me, Method::GET, &format!("/service/boards/{alerts}"), None).await;

    let seen = ids(&tickets.body);
    assert!(on_alerts.iter().all(|t| !seen.contains(t)), "no ticket of the excluded board is listed");
    assert!(!seen.is_empty(), "tickets of other boards are");
    let hidden = u64::try_from(on_alerts.len()).unwrap();
    assert_eq!(counted.body["count"].as_u64(), all.body["count"].as_u64().map(|n| n - hidden));
    assert_eq!(ticket.status, 404, "{}", ticket.body);
    assert!(!ids(&boards.body).contains(&alerts));
    assert_eq!(board.status, 404);
}

#[tokio::test]
async fn a_board_status_is_created_under_its_board_and_names_it() {
    let app = TestApp::spawn().await;

    let created = app
        .call(&app.admin, Method::POST, "/service/boards/1/statuses", Some(json!({ "name": "Waiting" })))
        .await
        .expect(201);
    let id = created.body["id"].as_u64().expect("id");
    let under_board = app.get(&format!("/service/boards/1/statuses/{id}")).await;
    let under_other = app.get(&format!("/service/boards/2/statuses/{id}")).await;

    assert_eq!(created.body["board"]["id"], 1, "{}", created.body);
    under_board.expect(200);
    assert_eq!(under_other.status, 404);
}
