//! Issue 15, "Done when" #2: a vendor sync played end to end as the integration's own
//! identity, an API member holding exactly the default profile's role (S9.2–S9.8): lookups,
//! customer mapping, a catalog item and an agreement addition with computed prices, an alert
//! ticket with a note closed through its board's closed status, report data. Every call is
//! permitted; a call outside the role (contacts) is refused with the 403 that names its row.

mod common;

use mock_connectwise::permissions::{Action, Function, Profile};
use mock_connectwise::{Creds, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// The integration's session: every call must be permitted (2xx), or the test names it.
struct Sync<'a> {
    app: &'a TestApp,
    creds: Creds,
}

impl Sync<'_> {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let res = self.app.call(&self.creds, method.clone(), path, body).await;
        assert!(
            (200..300).contains(&res.status),
            "{method} {path} was refused the integration: {} {}",
            res.status,
            res.body
        );
        res.body
    }

    async fn get(&self, path: &str) -> Value {
        self.call(Method::GET, path, None).await
    }

    /// A lookup list that must not be empty.
    async fn lookup(&self, path: &str) -> Vec<Value> {
        let found = self.get(path).await;
        let rows = found.as_array().cloned().unwrap_or_default();
        assert!(!rows.is_empty(), "{path}: nothing to look up");
        rows
    }
}

fn id(v: &Value) -> u64 {
    v["id"].as_u64().unwrap_or_else(|| panic!("no id in {v}"))
}

async fn sync_session(app: &TestApp) -> Sync<'_> {
    let creds = app.member_with_levels("Sync", &Profile::seed().levels()).await;
    Sync { app, creds }
}

#[tokio::test]
async fn a_vendor_sync_as_the_integration_is_permitted_end_to_end_and_computes_what_the_real_server_does() {
    let app = TestApp::spawn().await;
    let sync = sync_session(&app).await;

    // Lookups (S9.5, S9.6).
    let boards = sync.lookup("/service/boards?conditions=name=\"Alerts\"").await;
    let board = id(&boards[0]);
    let statuses = sync.lookup(&format!("/service/boards/{board}/statuses?orderBy=sortOrder")).await;
    let closed = statuses.iter().find(|s| s["closedStatus"] == true).expect("the Alerts board has a closed status");
    let priorities = sync.lookup("/service/priorities?orderBy=sortOrder").await;
    sync.lookup("/company/companies/types").await;
    sync.lookup("/company/companies/statuses").await;
    sync.lookup("/system/locations").await;
    sync.lookup("/system/members?fields=id,identifier&pageSize=10").await;

    // Customer mapping (S9.2).
    let customers =
        sync.lookup("/company/companies?conditions=identifier=\"AcmeCorp\"&fields=id,identifier,name").await;
    assert_eq!(customers.len(), 1, "{customers:?}");
    let customer = id(&customers[0]);

    // A catalog item for the licensed product (S9.4).
    let sku = common::unique("SKU-");
    let item = sync
        .call(
            Method::POST,
            "/procurement/catalog",
            Some(json!({
                "identifier": sku, "description": "Endpoint protection", "customerDescription": "Endpoint protection",
                "subcategory": { "id": 1 }, "type": { "id": 1 }, "price": 12.5, "cost": 7.25
            })),
        )
        .await;

    // An agreement addition with the item (S9.3): prices from the catalog, totals computed.
    let agreements = sync.lookup(&format!("/finance/agreements?conditions=company/id={customer}")).await;
    let additions = format!("/finance/agreements/{}/additions", id(&agreements[0]));
    let addition = sync
        .call(
            Method::POST,
            &additions,
            Some(json!({ "product": { "id": id(&item) }, "billCustomer": "Billable", "quantity": 3 })),
        )
        .await;
    assert_eq!((addition["unitPrice"].as_f64(), addition["unitCost"].as_f64()), (Some(12.5), Some(7.25)), "{addition}");
    assert_eq!(addition["extPrice"].as_f64(), Some(37.5), "12.5 x 3: {addition}");
    assert_eq!(addition["extCost"].as_f64(), Some(21.75), "7.25 x 3: {addition}");
    assert_eq!(addition["margin"].as_f64(), Some(15.75), "37.5 - 21.75: {addition}");
    let listed = sync.get(&format!("{additions}?conditions=product/identifier=\"{sku}\"")).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    // An alert ticket on the Alerts board, with a note (S9.7).
    let ticket = sync
        .call(
            Method::POST,
            "/service/tickets",
            Some(json!({
                "summary": common::unique("Alert: malware detected on WS-"), "company": { "id": customer },
                "board": { "id": board }, "priority": { "id": id(&priorities[0]) }
            })),
        )
        .await;
    let path = format!("/service/tickets/{}", id(&ticket));
    assert_eq!(ticket["board"]["id"].as_u64(), Some(board), "{ticket}");
    assert_eq!(ticket["closedFlag"], false, "a new alert is open: {ticket}");
    let opened = statuses.iter().find(|s| s["id"] == ticket["status"]["id"]).expect("a status of the Alerts board");
    assert_ne!(opened["closedStatus"], true, "{ticket}");
    let text = "Quarantined by the endpoint agent.";
    let note = sync
        .call(Method::POST, &format!("{path}/notes"), Some(json!({ "text": text, "internalAnalysisFlag": true })))
        .await;
    assert_eq!(note["ticketId"].as_u64(), Some(id(&ticket)), "{note}");
    let notes = sync.get(&format!("{path}/notes")).await;
    assert!(notes.as_array().is_some_and(|n| n.iter().any(|x| x["text"] == text)), "{notes}");

    // Closed through the board's closed status.
    let ops = json!([{ "op": "replace", "path": "status", "value": { "id": id(closed) } }]);
    sync.call(Method::PATCH, &path, Some(ops)).await;
    let done = sync.get(&path).await;
    assert_eq!(done["status"]["id"].as_u64(), Some(id(closed)), "{done}");
    assert_eq!(done["closedFlag"], true, "{done}");
    assert!(done["closedDate"].as_str().is_some_and(|d| d.ends_with('Z')), "closedDate set: {done}");

    // Report data (S9.8).
    let report = sync.get("/system/reports/Company?pageSize=5").await;
    assert!(report["row_values"].as_array().is_some_and(|r| !r.is_empty()), "{report}");
    assert!(report["column_definitions"].is_array(), "{report}");
}

#[tokio::test]
async fn a_call_outside_the_integration_role_is_refused_with_the_403_naming_its_row() {
    let app = TestApp::spawn().await;
    let sync = sync_session(&app).await;
    let named = format!("{}: {} Level = All required", Function::Contacts, Action::Inquire);

    let contacts = app.call(&sync.creds, Method::GET, "/company/contacts", None).await;
    let admin = app.get("/company/contacts").await;

    assert_eq!(contacts.status, 403, "{}", contacts.body);
    assert!(contacts.message().contains(&named), "{:?} does not name {named:?}", contacts.message());
    assert_eq!(admin.status, 200, "the admin reads contacts: {}", admin.body);
}
