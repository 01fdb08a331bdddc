//! What real client libraries send and read (issue 13): `Accept` lists, `Content-Type`
//! parameters, `Link` on every list, reference sub-field PATCH, body-less token requests,
//! API members among members, the fields the server fills in, and where links point.

mod common;

use mock_connectwise::{ApiConfig, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};

/// The header connectwise-rest 1.3.0 sends on every call.
const CONNECTWISE_REST_ACCEPT: &str = "application/vnd.connectwise.com+json; version=2021.1, application/json";
/// The header another public integration sends on every call.
const VERSION_FIRST_ACCEPT: &str = "version=3.0.0; application/json";

fn link(res: &mock_connectwise::Checked) -> Option<&str> {
    res.header("link")
}

#[tokio::test]
async fn accept_headers_of_public_clients_are_served_not_refused() {
    let app = TestApp::spawn().await;
    for accept in [
        CONNECTWISE_REST_ACCEPT,
        VERSION_FIRST_ACCEPT,
        "application/vnd.connectwise.com+json; version=3.0.0",
        "application/vnd.connectwise.com+json; version=2018.1",
        "application/vnd.connectwise.com+json; version=not-a-version",
        "application/vnd.connectwise.com+json; version=2025.8; q=0.9, */*; q=0.1",
        "text/html",
    ] {
        let res =
            app.send(app.request(&app.admin, Method::GET, "/system/members?pageSize=1").header("accept", accept)).await;
        assert_eq!(res.status, 200, "{accept}: {}", res.body);
        assert_eq!(res.body.as_array().map(Vec::len), Some(1), "{accept}");
    }
}

#[tokio::test]
async fn content_type_is_read_as_a_media_type_with_parameters() {
    let app = TestApp::spawn().await;
    let post = |ct: &str| {
        let body = json!({ "identifier": common::unique("Ct"), "name": "Media Type Co" }).to_string();
        app.request(&app.admin, Method::POST, "/company/companies").header("content-type", ct).body(body)
    };

    for ok in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/vnd.connectwise.com+json; version=2025.8",
    ] {
        app.send(post(ok)).await.expect(201);
    }
    for refused in ["text/plain; format=json", "application/jsonp", "application/x-www-form-urlencoded"] {
        let res = app.send(post(refused)).await;
        assert_eq!((res.status, res.body["code"].as_str()), (415, Some("UnsupportedMediaType")), "{refused}");
    }
}

#[tokio::test]
async fn every_list_has_a_link_header_empty_when_there_is_no_other_page() {
    let app = TestApp::spawn().await;
    let single = app.get("/company/companies?pageSize=1000").await.expect(200);
    let first = app.get("/company/companies?pageSize=1").await.expect(200);
    let forward = |page_id: &str| {
        app.request(&app.admin, Method::GET, &format!("/company/companies?pageSize=1000{page_id}"))
            .header("pagination-type", "forward-only")
    };
    let forward_last = app.send(forward("")).await.expect(200);
    let report = app.get("/system/reports/Member?pageSize=1000").await.expect(200);
    let count = app.get("/company/companies/count").await.expect(200);

    assert_eq!(link(&single), Some(""));
    assert!(link(&first).is_some_and(|l| l.contains("rel=\"next\"")), "{:?}", link(&first));
    assert_eq!(link(&forward_last), Some(""));
    assert_eq!(link(&report), Some(""));
    assert_eq!(link(&count), None, "a count is not a list");
}

async fn new_ticket(app: &TestApp) -> u64 {
    let body = json!({ "summary": common::unique("Wire ticket "), "company": { "identifier": "AcmeCorp" },
        "board": { "name": "Help Desk" }, "status": { "id": 1 } });
    app.call(&app.admin, Method::POST, "/service/tickets", Some(body)).await.expect(201).body["id"]
        .as_u64()
        .expect("an id")
}

async fn patch(app: &TestApp, path: &str, ops: Value) -> mock_connectwise::Checked {
    app.call(&app.admin, Method::PATCH, path, Some(ops)).await
}

#[tokio::test]
async fn patching_a_reference_sub_field_looks_the_reference_up_again_by_it() {
    let app = TestApp::spawn().await;
    let id = new_ticket(&app).await;
    let path = format!("/service/tickets/{id}");

    let by_name = patch(&app, &path, json!([{ "op": "replace", "path": "status/name", "value": "In Progress" }]))
        .await
        .expect(200);
    let by_id = patch(&app, &path, json!([{ "op": "replace", "path": "/status/id", "value": 1 }])).await.expect(200);
    // Statuses belong to a board: moving board takes one of the new board's statuses.
    let stale = patch(&app, &path, json!([{ "op": "replace", "path": "board/name", "value": "Alerts" }])).await;
    let board = patch(
        &app,
        &path,
        json!([
            { "op": "replace", "path": "board/name", "value": "Alerts" },
            { "op": "replace", "path": "status/name", "value": "New" }
        ]),
    )
    .await
    .expect(200);
    let company = patch(&app, &path, json!([{ "op": "replace", "path": "company/identifier", "value": "MockMSP" }]))
        .await
        .expect(200);
    let unknown =
        patch(&app, &path, json!([{ "op": "replace", "path": "status/name", "value": "No Such Status" }])).await;

    assert_eq!(
        (by_name.body["status"]["id"].as_u64(), by_name.body["status"]["name"].as_str()),
        (Some(2), Some("In Progress"))
    );
    assert_eq!(by_id.body["status"]["name"], "New");
    assert_eq!((board.body["board"]["id"].as_u64(), board.body["board"]["name"].as_str()), (Some(2), Some("Alerts")));
    assert_eq!((board.body["status"]["id"].as_u64(), board.body["status"]["name"].as_str()), (Some(4), Some("New")));
    assert_eq!(stale.status, 400, "a status of another board: {}", stale.body);
    assert!(stale.body.to_string().contains("BoardStatus 1 does not belong to Board 2"), "{}", stale.body);
    assert_eq!(company.body["company"]["identifier"], "MockMSP");
    assert_eq!(company.body["company"]["name"], "Mock MSP, LLC");
    assert_eq!(unknown.status, 400, "{}", unknown.body);
}

#[tokio::test]
async fn patching_an_unknown_sub_path_is_400_like_an_unknown_field() {
    let app = TestApp::spawn().await;
    for path in ["site/bogus", "status/bogus", "bogus"] {
        let res = patch(&app, "/service/tickets/1", json!([{ "op": "replace", "path": path, "value": 1 }])).await;
        assert_eq!(res.status, 400, "{path}: {}", res.body);
        assert!(res.message().contains("has no field"), "{path}: {}", res.message());
    }
}

#[tokio::test]
async fn a_member_token_request_needs_no_body_and_ignores_one() {
    let app = TestApp::spawn().await;
    let req = || app.request(&app.admin, Method::POST, "/system/members/jdoe/tokens").header("x-cw-usertype", "member");

    let bare = app.send(req()).await;
    let json_body = app.send(req().json(&json!({ "memberIdentifier": "jdoe" }))).await;
    let form =
        app.send(req().header("content-type", "application/x-www-form-urlencoded").body("memberIdentifier=jdoe")).await;
    let junk = app.send(req().header("content-type", "text/plain").body("{not json")).await;

    for res in [&bare, &json_body, &form, &junk] {
        assert_eq!(res.status, 200, "{}", res.body);
        assert!(res.body["publicKey"].is_string() && res.body["privateKey"].is_string());
    }
}

#[tokio::test]
async fn api_members_are_listed_as_members_with_license_class_a() {
    let app = TestApp::spawn().await;
    let created = app
        .call(
            &app.admin,
            Method::POST,
            "/system/apiMembers",
            Some(json!({ "identifier": "SyncBot", "name": "Sync Bot", "securityRole": { "id": 2 } })),
        )
        .await
        .expect(201);
    let id = created.body["id"].as_u64().unwrap();

    let all = app.get("/system/members?pageSize=1000").await.expect(200);
    let total = app.get("/system/members/count").await.expect(200).body["count"].as_u64().unwrap();
    let full = app.get("/system/members/count?conditions=licenseClass!=\"A\"").await.expect(200).body["count"]
        .as_u64()
        .unwrap();
    let api = app.get("/system/members?conditions=licenseClass=\"A\"").await.expect(200);
    let api_count = app.get("/system/apiMembers/count").await.expect(200).body["count"].as_u64().unwrap();
    let twin = app.get(&format!("/system/members/{id}")).await.expect(200);
    let clash = app
        .call(
            &app.admin,
            Method::POST,
            "/system/members",
            Some(json!({ "identifier": "syncbot", "firstName": "A", "lastName": "B",
            "licenseClass": "F", "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
            "securityRole": { "id": 2 } })),
        )
        .await;

    assert_eq!(all.body.as_array().unwrap().len() as u64, total);
    assert_eq!(full + api_count, total);
    let identifiers: Vec<&str> =
        api.body.as_array().unwrap().iter().map(|m| m["identifier"].as_str().unwrap()).collect();
    assert_eq!(identifiers, ["MockAdmin", "SyncBot"]);
    assert_eq!((twin.body["identifier"].as_str(), twin.body["licenseClass"].as_str()), (Some("SyncBot"), Some("A")));
    assert_eq!(twin.body["securityRole"]["id"], 2);
    assert_eq!(clash.status, 400);
    assert_eq!(clash.body["errors"][0]["code"], "ObjectExists");
}

#[tokio::test]
async fn an_api_member_and_its_member_twin_change_together() {
    let app = TestApp::spawn().await;
    let id = app
        .call(
            &app.admin,
            Method::POST,
            "/system/apiMembers",
            Some(json!({ "identifier": "Twin", "name": "Twin", "securityRole": { "id": 2 } })),
        )
        .await
        .expect(201)
        .body["id"]
        .as_u64()
        .unwrap();

    patch(&app, &format!("/system/apiMembers/{id}"), json!([{ "op": "replace", "path": "name", "value": "Renamed" }]))
        .await
        .expect(200);
    let twin = app.get(&format!("/system/members/{id}")).await.expect(200);
    app.call(&app.admin, Method::POST, &format!("/system/members/{id}/deactivate"), Some(json!({}))).await.expect(200);
    let api = app.get(&format!("/system/apiMembers/{id}")).await.expect(200);

    assert_eq!(twin.body["firstName"], "Renamed");
    assert_eq!(api.body["inactiveFlag"], true);
    assert_eq!(api.body["name"], "Renamed");
}

#[tokio::test]
async fn an_addition_takes_its_price_and_cost_from_the_catalog_and_computes_extensions() {
    let app = TestApp::spawn().await;
    let body = json!({ "product": { "identifier": "EPP-STD" }, "billCustomer": "Billable", "quantity": 10, "lessIncluded": 2 });
    let added = app.call(&app.admin, Method::POST, "/finance/agreements/1/additions", Some(body)).await.expect(201);
    let id = added.body["id"].as_u64().unwrap();
    let repriced = patch(
        &app,
        &format!("/finance/agreements/1/additions/{id}"),
        json!([{ "op": "replace", "path": "unitPrice", "value": 5 }]),
    )
    .await
    .expect(200);

    // EPP-STD: price 4.50, cost 2.10.
    assert_eq!((added.body["unitPrice"].as_f64(), added.body["unitCost"].as_f64()), (Some(4.5), Some(2.1)));
    assert_eq!(added.body["extPrice"].as_f64(), Some(36.0), "(10 - 2 included) x 4.50");
    assert_eq!(added.body["extCost"].as_f64(), Some(21.0), "10 x 2.10");
    assert_eq!(added.body["margin"].as_f64(), Some(15.0));
    assert_eq!(repriced.body["extPrice"].as_f64(), Some(40.0));
    assert_eq!(repriced.body["margin"].as_f64(), Some(19.0));
}

#[tokio::test]
async fn a_ticket_is_closed_by_its_status_and_reopened_by_another() {
    let app = TestApp::spawn().await;
    let created = app
        .call(
            &app.admin,
            Method::POST,
            "/service/tickets",
            Some(json!({ "summary": "No status given", "company": { "identifier": "AcmeCorp" } })),
        )
        .await
        .expect(201);
    let path = format!("/service/tickets/{}", created.body["id"]);

    let closed =
        patch(&app, &path, json!([{ "op": "replace", "path": "status/name", "value": "Closed" }])).await.expect(200);
    let reopened = patch(&app, &path, json!([{ "op": "replace", "path": "status/id", "value": 2 }])).await.expect(200);
    let closed_list = app
        .get(&format!("/service/tickets?conditions=closedFlag=true and id={}", created.body["id"]))
        .await
        .expect(200);

    assert_eq!(created.body["recordType"], "ServiceTicket");
    assert_eq!(
        (created.body["status"]["name"].as_str(), created.body["closedFlag"].as_bool()),
        (Some("New"), Some(false))
    );
    assert_eq!(closed.body["closedFlag"], true);
    assert_eq!(closed.body["closedDate"], "2025-01-15T12:00:00Z");
    assert_eq!(closed.body["closedBy"], "MockAdmin");
    assert_eq!(closed_list.body.as_array().map(Vec::len), Some(0), "reopened before listing");
    assert_eq!(reopened.body["closedFlag"], false);
    assert!(reopened.body.get("closedDate").is_none() && reopened.body.get("closedBy").is_none());
}

#[tokio::test]
async fn console_errors_use_the_connectwise_error_body() {
    let app = TestApp::spawn().await;
    let bad_id = app.console(Method::DELETE, "/companies/cwmock/keys/not-a-number", None).await;
    let bad_json = app
        .send(
            app.client()
                .patch(format!("{}/__mock/companies/cwmock/keys/1", app.url))
                .header("content-type", "application/json")
                .body("{"),
        )
        .await;
    let too_large = app
        .send(
            app.client()
                .post(format!("{}/__mock/fixtures", app.url))
                .header("content-type", "application/json")
                .body(vec![b' '; 3 * 1024 * 1024]),
        )
        .await;
    let wrong_method = app.console(Method::PUT, "/permissions", None).await;

    assert_eq!((bad_id.status, bad_id.body["code"].as_str()), (400, Some("InvalidObject")));
    assert!(bad_id.message().contains("not-a-number"), "{}", bad_id.body);
    assert_eq!(bad_json.status, 400);
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.body["code"], "RequestTooLarge");
    assert_eq!((wrong_method.status, wrong_method.body["code"].as_str()), (405, Some("MethodNotAllowed")));
}

#[tokio::test]
async fn links_point_at_the_listener_and_never_at_a_forwarded_scheme() {
    let app = TestApp::spawn().await;
    let res = app
        .send(
            app.request(&app.admin, Method::GET, "/service/tickets/1")
                .header("x-forwarded-proto", "https")
                .header("x-mock-connectwise-site", "https://evil.example"),
        )
        .await
        .expect(200);
    let list = app
        .send(
            app.request(&app.admin, Method::GET, "/company/companies?pageSize=1").header("x-forwarded-proto", "https"),
        )
        .await
        .expect(200);

    let href = res.body["company"]["_info"]["company_href"].as_str().unwrap();
    assert!(href.starts_with(&format!("{}/v4_6_release/apis/3.0/company/companies/", app.url)), "{href}");
    assert!(link(&list).unwrap().starts_with(&format!("<{}/", app.url)), "{:?}", link(&list));
}

#[tokio::test]
async fn a_configured_public_url_is_used_for_every_link() {
    let options = TestOptions {
        api: ApiConfig { public_url: Some("https://cw.example.test/".into()), ..ApiConfig::default() },
        ..TestOptions::default()
    };
    let app = TestApp::spawn_with(options).await;
    let ticket = app.get("/service/tickets/1").await.expect(200);
    let list = app.get("/company/companies?pageSize=1").await.expect(200);
    let info = app.send(app.client().get(format!("{}/login/companyinfo/cwmock", app.url))).await.expect(200);

    assert_eq!(
        ticket.body["company"]["_info"]["company_href"],
        "https://cw.example.test/v4_6_release/apis/3.0/company/companies/2"
    );
    assert!(link(&list).unwrap().starts_with("<https://cw.example.test/v4_6_release/apis/3.0/company/companies?"));
    assert_eq!(info.body["SiteUrl"], "cw.example.test");
}

#[tokio::test]
async fn fuller_records_snapshots() {
    let app = TestApp::spawn().await;
    let host = app.url.trim_start_matches("http://").to_owned();
    let normalized = |v: &Value| -> Value {
        serde_json::from_str(&v.to_string().replace(&app.url, "http://mock").replace(&host, "mock")).unwrap()
    };
    let ticket = app.get("/service/tickets/1").await.expect(200);
    let addition = app.get("/finance/agreements/1/additions/1").await.expect(200);
    let company = app.get("/company/companies/2").await.expect(200);
    let api_member = app.get("/system/members/MockAdmin").await.expect(200);

    insta::assert_json_snapshot!("full_ticket", normalized(&ticket.body));
    insta::assert_json_snapshot!("full_addition", normalized(&addition.body));
    insta::assert_json_snapshot!("full_company", normalized(&company.body));
    insta::assert_json_snapshot!("api_member_as_member", normalized(&api_member.body));
}

#[tokio::test]
async fn generated_members_carry_the_same_flags_and_filter_on_them() {
    let fixtures = mock_connectwise::FixtureSet::default().with_bulk_members(40, 3);
    let app = TestApp::spawn_with(TestOptions { fixtures, ..TestOptions::default() }).await;
    let total = app.get("/system/members/count").await.expect(200).body["count"].as_u64().unwrap();
    let unflagged = app
        .get("/system/members/count?conditions=enableMobileFlag=false and restrictDefaultWarehouseBinFlag=false")
        .await
        .expect(200)
        .body["count"]
        .as_u64()
        .unwrap();
    let last = app.get("/system/members?orderBy=id desc&pageSize=1").await.expect(200);

    assert!(total >= 40);
    assert_eq!(unflagged, total);
    assert_eq!(last.body[0]["partnerPortalFlag"], false);
    assert!(last.body[0]["inactiveFlag"].is_boolean());
}

/// Every `*_href` inside `v`, at any depth.
fn hrefs(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match x.as_str() {
                    Some(s) if k.ends_with("_href") => out.push((k.clone(), s.to_owned())),
                    _ => hrefs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| hrefs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_link_in_a_record_leads_to_the_record_it_names() {
    let app = TestApp::spawn().await;
    let mut links = Vec::new();
    for path in [
        "/service/tickets/1",
        "/finance/agreements/1",
        "/company/companies/2",
        "/service/boards/1",
        "/procurement/catalog/1",
        "/finance/agreements/1/additions/1",
        "/system/members/jdoe",
    ] {
        let record = app.get(path).await.expect(200).body;
        hrefs(&record, &mut links);
    }

    let kinds: std::collections::BTreeSet<&str> = links.iter().map(|(k, _)| k.as_str()).collect();
    for kind in [
        "status_href",
        "priority_href",
        "type_href",
        "contact_href",
        "location_href",
        "department_href",
        "subcategory_href",
        "company_href",
        "board_href",
        "securityRole_href",
        "catalog_href",
    ] {
        assert!(kinds.contains(kind), "no {kind} in {kinds:?}");
    }
    assert!(links.len() >= 12, "{links:?}");
    for (_, link) in links {
        let res = app.send(common::with_url(app.request(&app.admin, Method::GET, ""), &link)).await;
        assert_eq!(res.status, 200, "{link}: {}", res.body);
        let id = link.rsplit('/').next().unwrap();
        if let Ok(id) = id.parse::<u64>() {
            assert_eq!(res.body["id"].as_u64(), Some(id), "{link}");
        }
    }
}

#[tokio::test]
async fn setup_tables_are_stored_collections_with_conditions_paging_and_writes() {
    let app = TestApp::spawn().await;
    // Setup tables are collections like any other, with the writes the official table gives.
    let types = app.get("/company/companies/types?conditions=name like \"C%\"").await.expect(200);
    let departments = app.get("/system/departments/count").await.expect(200);
    let paged = app.get("/system/locations?pageSize=1").await.expect(200);
    let missing_board = app.get("/service/boards/999/statuses").await;
    let missing_row = app.get("/company/contacts/999").await;
    let incomplete = app.call(&app.admin, Method::POST, "/system/locations", Some(json!({ "name": "x" }))).await;
    let location = json!({ "name": "Branch", "structureLevel": { "id": 1, "name": "Location" } });
    let written = app.call(&app.admin, Method::POST, "/system/locations", Some(location)).await;
    let read_back = app.get(&format!("/system/locations/{}", written.body["id"])).await;

    assert!(
        types
            .body
            .as_array()
            .is_some_and(|t| !t.is_empty() && t.iter().all(|r| r["name"].as_str().is_some_and(|n| n.starts_with('C')))),
        "{}",
        types.body
    );
    assert!(departments.body["count"].as_u64().is_some_and(|n| n >= 1), "{}", departments.body);
    assert!(link(&paged).is_some_and(|l| l.contains("rel=\"next\"")));
    assert_eq!((missing_board.status, missing_row.status), (404, 404));
    assert_eq!(incomplete.status, 400, "structureLevel is required: {}", incomplete.body);
    assert_eq!((written.status, read_back.status), (201, 200), "{}", written.body);
    assert_eq!(read_back.body["name"], "Branch");
}
