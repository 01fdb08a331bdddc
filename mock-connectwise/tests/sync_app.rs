//! Issue 25, "Done when" #2: an application that syncs ConnectWise into its own database, as
//! public sync apps do it, run unchanged against the mock: it lists every setup table, keeps
//! the board statuses with `inactive=False`, pages the open tickets with
//! `closedFlag=False and status/id in (...)`, reads the user-defined field definitions off
//! one ticket and fetches each ticket's notes. It must sync every open ticket with no failed
//! call, on the fixtures and on 500 generated tickets.

use mock_connectwise::{FixtureSet, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The setup tables a sync reads before any ticket; each must hold something.
const SETUP: &[&str] = &[
    "/service/boards",
    "/service/priorities",
    "/service/sources",
    "/company/companies/statuses",
    "/company/companies/types",
    "/company/contacts/types",
    "/company/contacts/departments",
    "/project/statuses",
    "/project/projectTypes",
    "/sales/opportunities/statuses",
    "/sales/opportunities/types",
    "/sales/activities/types",
    "/finance/billingStatuses",
    "/finance/agreements/types",
    "/time/workTypes",
    "/time/workRoles",
    "/system/locations",
    "/system/departments",
    "/system/userDefinedFields",
    "/sales/stages",
    "/sales/probabilities",
    "/project/phaseStatuses",
    "/finance/invoiceTemplates",
    "/sales/activities/statuses",
    "/company/noteTypes",
    "/schedule/types",
    "/schedule/statuses",
    "/schedule/calendars",
    "/schedule/holidayLists",
    "/company/teamRoles",
    "/company/communicationTypes",
    "/service/knowledgeBaseArticles",
];

/// What the app stored, and every call that did not answer 200.
#[derive(Default)]
struct Synced {
    statuses: usize,
    tickets: Vec<u64>,
    notes: usize,
    udf_captions: Vec<String>,
    failed: Vec<String>,
    calls: usize,
}

impl Synced {
    async fn get(&mut self, app: &TestApp, path: &str) -> Value {
        self.calls += 1;
        let res = app.get(path).await;
        if res.status != 200 {
            self.failed.push(format!("GET {path}: {} {}", res.status, res.body));
            return Value::Null;
        }
        res.body
    }
}

async fn sync(app: &TestApp) -> Synced {
    let mut s = Synced::default();
    for table in SETUP {
        let rows = s.get(app, &format!("{table}?pageSize=1000")).await;
        if rows.as_array().is_none_or(Vec::is_empty) {
            s.failed.push(format!("{table}: empty"));
        }
    }
    let boards = s.get(app, "/service/boards?pageSize=1000").await;
    let mut status_ids = Vec::new();
    for b in boards.as_array().into_iter().flatten() {
        let path = format!("/service/boards/{}/statuses?conditions={}&pageSize=1000", b["id"], enc("inactive=False"));
        let statuses = s.get(app, &path).await;
        for st in statuses.as_array().into_iter().flatten() {
            status_ids.push(st["id"].to_string());
        }
    }
    s.statuses = status_ids.len();
    let cond = enc(&format!("closedFlag=False and status/id in ({})", status_ids.join(",")));
    for page in 1.. {
        let tickets = s.get(app, &format!("/service/tickets?conditions={cond}&pageSize=100&page={page}")).await;
        let Some(rows) = tickets.as_array().filter(|r| !r.is_empty()) else { break };
        s.tickets.extend(rows.iter().filter_map(|t| t["id"].as_u64()));
    }
    if let Some(first) = s.tickets.first().copied() {
        let ticket = s.get(app, &format!("/service/tickets/{first}")).await;
        s.udf_captions = ticket["customFields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["caption"].as_str())
            .map(str::to_owned)
            .collect();
    }
    for id in s.tickets.clone() {
        let notes = s.get(app, &format!("/service/tickets/{id}/notes")).await;
        s.notes += notes.as_array().map_or(0, Vec::len);
    }
    s
}

/// The open tickets, counted independently of the app's query.
async fn open_tickets(app: &TestApp) -> usize {
    let n = app.get(&format!("/service/tickets/count?conditions={}", enc("closedFlag=false"))).await.expect(200);
    usize::try_from(n.body["count"].as_u64().unwrap_or(0)).unwrap_or(0)
}

fn check(s: &Synced, open: usize) {
    assert!(s.failed.is_empty(), "{} failed calls of {}:\n{}", s.failed.len(), s.calls, s.failed.join("\n"));
    assert!(s.statuses >= 8, "only {} active statuses", s.statuses);
    assert!(open > 0);
    assert_eq!(s.tickets.len(), open, "synced {} of {open} open tickets", s.tickets.len());
    assert!(s.udf_captions.len() >= 2, "user-defined fields off a ticket: {:?}", s.udf_captions);
}

#[tokio::test]
async fn a_sync_app_syncs_every_open_ticket_of_the_fixtures_with_no_failed_call() {
    let app = TestApp::spawn().await;
    let s = sync(&app).await;
    check(&s, open_tickets(&app).await);
    assert!(s.notes > 0, "no notes synced");
}

#[tokio::test]
async fn a_sync_app_syncs_every_open_ticket_of_500_generated_ones_with_no_failed_call() {
    let fixtures = FixtureSet::builtin().with_bulk_tickets(0, 500, 7);
    let app = TestApp::spawn_with(TestOptions { fixtures, ..Default::default() }).await;
    let open = open_tickets(&app).await;
    let s = sync(&app).await;
    check(&s, open);
    assert!(open > 250, "only {open} of 500 generated tickets are open");
}

/// A record made through the API with `body`, as the admin.
async fn made(app: &TestApp, path: &str, body: Value) -> Value {
    app.call(&app.admin, Method::POST, path, Some(body)).await.expect(201).body
}

#[tokio::test]
async fn fresh_records_get_the_default_stage_and_status_rows_of_the_fixtures() {
    let app = TestApp::spawn().await;
    let name = |v: &Value| v["name"].as_str().unwrap_or("").to_owned();
    let activity = made(
        &app,
        "/sales/activities",
        json!({"name": "Call back", "company": {"id": 2}, "assignTo": {"identifier": "asmith"}}),
    )
    .await;
    assert_eq!(name(&activity["status"]), "Open", "{activity}");
    assert_eq!(name(&activity["scheduleStatus"]), "Firm", "{activity}");
    let phase = made(&app, "/project/projects/1/phases", json!({"description": "Design"})).await;
    assert_eq!(name(&phase["status"]), "Open", "{phase}");
    let entry = json!({"objectId": 1, "type": {"identifier": "S"}, "member": {"identifier": "asmith"},
        "dateStart": "2027-01-04T14:00:00Z", "dateEnd": "2027-01-04T15:00:00Z"});
    let entry = made(&app, "/schedule/entries", entry).await;
    assert_eq!(name(&entry["status"]), "Firm", "{entry}");
    assert_eq!(entry["type"]["identifier"], json!("S"), "{entry}");
    let note = made(&app, "/company/companies/2/notes", json!({"text": "met the CFO"})).await;
    assert_eq!(name(&note["type"]), "General", "{note}");
    // A stage has no `defaultFlag` in the schema: an opportunity gets its status's default,
    // and a stage or probability it names resolves to the fixtures' row.
    let body = json!({"name": "Upsell", "company": {"id": 2}, "contact": {"id": 1},
        "primarySalesRep": {"identifier": "asmith"}, "expectedCloseDate": "2027-01-31T00:00:00Z",
        "stage": {"id": 2}, "probability": {"id": 3}});
    let opp = made(&app, "/sales/opportunities", body).await;
    assert_eq!(name(&opp["status"]), "Open", "{opp}");
    assert_eq!(name(&opp["stage"]), "Qualified", "{opp}");
    assert_eq!(opp["probability"]["id"], json!(3), "{opp}");
}

#[tokio::test]
async fn generated_tickets_get_the_default_source_as_api_created_ones_do() {
    let fixtures = FixtureSet::builtin().with_bulk_tickets(0, 20, 7);
    let app = TestApp::spawn_with(TestOptions { fixtures, ..Default::default() }).await;
    let made = made(&app, "/service/tickets", json!({"summary": "by the API", "company": {"id": 2}})).await;
    assert_eq!(made["source"]["name"], json!("Phone"), "{made}");
    let q = enc("summary not like 'by the API'");
    let all = app.get(&format!("/service/tickets?conditions={q}&pageSize=1000&orderBy=id desc")).await.expect(200);
    let generated: Vec<&Value> = all.body.as_array().unwrap().iter().take(20).collect();
    assert_eq!(generated.len(), 20);
    for t in generated {
        assert_eq!(t["source"]["id"], made["source"]["id"], "{t}");
    }
}
