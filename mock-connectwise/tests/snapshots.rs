//! Snapshots of representative bodies, so any change to the wire format is reviewed. The
//! server's port is replaced by `http://mock` and the clock is the fixed test clock.

use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn normalized(app: &TestApp, v: &Value) -> Value {
    let host = app.url.trim_start_matches("http://");
    serde_json::from_str(&v.to_string().replace(&app.url, "http://mock").replace(host, "mock")).expect("JSON")
}

#[tokio::test]
async fn wire_format_snapshots() {
    let app = TestApp::spawn().await;
    let member = app.get("/system/members/jdoe").await.expect(200);
    let ticket = app.get("/service/tickets/1?fields=id,summary,company,_info").await.expect(200);
    let setting = app.get("/system/securityRoles/2/settings?pageSize=1").await.expect(200);
    let report = app.get("/system/reports/Company?pageSize=2").await.expect(200);
    let invalid = app
        .call(&app.admin, Method::POST, "/service/boards", Some(json!({ "name": "x".repeat(60) })))
        .await
        .expect(400);
    let forbidden = {
        let creds = app.member_with_levels("Snap", &mock_connectwise::permissions::RoleLevels::none()).await;
        app.call(&creds, Method::GET, "/finance/agreements", None).await.expect(403)
    };
    let info = app.send(app.client().get(format!("{}/login/companyinfo/cwmock", app.url))).await.expect(200);

    insta::assert_json_snapshot!("member", normalized(&app, &member.body));
    insta::assert_json_snapshot!("ticket_fields", normalized(&app, &ticket.body));
    insta::assert_json_snapshot!("role_setting", normalized(&app, &setting.body));
    insta::assert_json_snapshot!("report_data", normalized(&app, &report.body));
    insta::assert_json_snapshot!("error_invalid_object", invalid.body);
    insta::assert_json_snapshot!("error_forbidden", forbidden.body);
    insta::assert_json_snapshot!("company_info", normalized(&app, &info.body));
}
