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
    let priorities = app.call(&creds, Method::GET, "/service/priorities", None).await;
    let priority = app.call(&creds, Method::GET, "/service/priorities/1", None).await;
    let admin = app.call(&app.admin, Method::GET, "/service/priorities", None).await;

    boards.expect(200);
    counted.expect(200);
    board.expect(200);
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
