//! Issue 25: records as ConnectWise fills them. Every stored collection's fresh record answers
//! every boolean of its schema and filters on it; references fill from setup-table defaults;
//! computed fields per family; custom fields from the user-defined field definitions; scalars
//! as Json.NET reads them; link collections keyed by the linked record.

mod common;

use common::bodies::{concrete, create_body_for, fixtures_with_every_collection};
use common::openapi::SPEC;
use mock_connectwise::{TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn post(app: &TestApp, path: &str, body: Value) -> mock_connectwise::Checked {
    app.call(&app.admin, Method::POST, path, Some(body)).await
}

/// The boolean properties of a schema of the official files.
fn booleans(schema: &str) -> Vec<String> {
    let Some(s) = SPEC.schema(schema) else { return Vec::new() };
    s["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, p)| p["type"] == "boolean")
        .map(|(n, _)| n.clone())
        .collect()
}

#[tokio::test]
async fn a_fresh_record_of_every_collection_answers_every_boolean_and_filters_on_it() {
    let app =
        TestApp::spawn_with(TestOptions { fixtures: fixtures_with_every_collection(), ..Default::default() }).await;
    let (mut collections, mut checked) = (0, 0);
    let mut failures = Vec::new();
    for (template, schema) in &SPEC.collections {
        let creatable = SPEC.official_methods(template).is_some_and(|m| m.iter().any(|x| x == "POST"));
        let bools = booleans(schema);
        if !creatable || bools.is_empty() {
            continue;
        }
        let Some(collection) = concrete(&app, template).await else {
            failures.push(format!("{template}: no parent to create under"));
            continue;
        };
        let Some(body) = create_body_for(&app, template, &collection).await else {
            failures.push(format!("{template}: no body"));
            continue;
        };
        let made = post(&app, &collection, body.clone()).await;
        if made.status != 201 {
            failures.push(format!("POST {collection} {body}: {} {}", made.status, made.body));
            continue;
        }
        collections += 1;
        let id = &made.body["id"];
        for b in &bools {
            let Some(v) = made.body.get(b).and_then(Value::as_bool) else {
                failures.push(format!("{collection}/{id}: no boolean {b} in {}", made.body));
                continue;
            };
            let q = enc(&format!("id = {id} and {b} = {v}"));
            let found = app.get(&format!("{collection}?conditions={q}")).await;
            if found.status != 200 || found.body.as_array().map(Vec::len) != Some(1) {
                failures
                    .push(format!("{collection}?conditions=id = {id} and {b} = {v}: {} {}", found.status, found.body));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(collections >= 40, "only {collections} collections");
    assert!(checked >= 200, "only {checked} booleans");
}

#[tokio::test]
async fn board_statuses_listed_as_active_are_all_of_a_boards_statuses() {
    let app = TestApp::spawn().await;
    let all = app.get("/service/boards/1/statuses").await.expect(200).body;
    let active = app.get(&format!("/service/boards/1/statuses?conditions={}", enc("inactive=False"))).await.expect(200);
    assert!(!all.as_array().unwrap().is_empty());
    assert_eq!(active.body, all);
    for s in all.as_array().unwrap() {
        for b in ["inactive", "closedStatus", "displayOnBoard", "timeEntryNotAllowed"] {
            assert!(s[b].is_boolean(), "{b} in {s}");
        }
    }
    // A status named `>Closed` is a closed status unless it says otherwise (A25.4).
    let made = post(&app, "/service/boards/1/statuses", json!({"name": ">Done"})).await.expect(201);
    assert_eq!(made.body["closedStatus"], json!(true));
}

#[tokio::test]
async fn records_carry_the_custom_fields_of_their_screen_in_definition_order() {
    let app = TestApp::spawn().await;
    let defs = app.get(&format!("/system/userDefinedFields?conditions={}", enc("screenId='Ticket'"))).await.expect(200);
    let want: Vec<&Value> = defs.body.as_array().unwrap().iter().map(|d| &d["caption"]).collect();
    assert!(want.len() >= 2);
    let ticket = post(&app, "/service/tickets", json!({"summary": "udf", "company": {"id": 2}})).await.expect(201);
    let got: Vec<&Value> = ticket.body["customFields"].as_array().unwrap().iter().map(|c| &c["caption"]).collect();
    assert_eq!(got, want);
    let first = &ticket.body["customFields"][0];
    for k in ["id", "caption", "type", "entryMethod", "numberOfDecimals"] {
        assert!(first.get(k).is_some(), "{k} in {first}");
    }
    for path in ["/company/companies/1", "/company/contacts/1", "/project/projects/1"] {
        let r = app.get(path).await.expect(200);
        assert!(!r.body["customFields"].as_array().unwrap().is_empty(), "{path}");
    }
}

#[tokio::test]
async fn custom_field_values_are_kept_checked_against_their_definition_and_filtered() {
    let app = TestApp::spawn().await;
    let body = json!({"summary": "udf values", "company": {"id": 2},
        "customFields": [{"id": 4, "value": "tier 2"}, {"caption": "Billable Review", "value": "true"}]});
    let made = post(&app, "/service/tickets", body).await.expect(201);
    let cf = made.body["customFields"].as_array().unwrap();
    let value = |caption: &str| cf.iter().find(|c| c["caption"] == caption).map(|c| c["value"].clone());
    assert_eq!(value("Escalation Tier"), Some(json!("Tier 2")));
    assert_eq!(value("Billable Review"), Some(json!(true)));
    let id = &made.body["id"];
    let q = enc("caption = 'Escalation Tier' and value = 'Tier 2'");
    let found = app.get(&format!("/service/tickets?customFieldConditions={q}&fields=id")).await.expect(200);
    assert!(found.body.as_array().unwrap().iter().any(|t| &t["id"] == id), "{}", found.body);
    // A value outside the list, and a field of no definition, are refused by name.
    let bad = json!({"summary": "bad", "company": {"id": 2}, "customFields": [{"id": 4, "value": "Tier 9"}, {"id": 999, "value": "x"}]});
    let refused = post(&app, "/service/tickets", bad).await.expect(400);
    let fields: Vec<&str> =
        refused.body["errors"].as_array().unwrap().iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["customFields/0/value", "customFields/1/id"], "{}", refused.body);
}

#[tokio::test]
async fn an_invoice_gets_the_next_number_and_the_default_billing_status() {
    let app = TestApp::spawn().await;
    let statuses = app.get("/finance/billingStatuses").await.expect(200).body;
    assert!(!statuses.as_array().unwrap().is_empty());
    let a = post(&app, "/finance/invoices", json!({"type": "Standard", "company": {"id": 2}})).await.expect(201);
    let b = post(&app, "/finance/invoices", json!({"type": "Standard", "company": {"id": 2}})).await.expect(201);
    let n = |v: &Value| v["invoiceNumber"].as_str().unwrap().parse::<u64>().unwrap();
    assert_eq!(n(&b.body), n(&a.body) + 1);
    assert_eq!(a.body["status"]["name"], json!("New"));
    let company = app.get("/company/companies/2").await.expect(200).body;
    assert_eq!(a.body["billingSite"]["id"], company["billingSite"]["id"]);
    // Read back and PUT unchanged: the fields required on updates are all there.
    let path = format!("/finance/invoices/{}", a.body["id"]);
    app.call(&app.admin, Method::PUT, &path, Some(a.body.clone())).await.expect(200);
}

#[tokio::test]
async fn a_time_entry_charged_to_a_ticket_takes_its_company() {
    let app = TestApp::spawn().await;
    let ticket = app.get("/service/tickets/1").await.expect(200).body;
    let body = json!({"chargeToType": "ServiceTicket", "chargeToId": "1", "member": {"identifier": "jdoe"},
        "timeStart": "2024-05-02 09:00:00", "timeEnd": "05/02/2024 10:00:00"});
    let made = post(&app, "/time/entries", body).await.expect(201);
    assert_eq!(made.body["company"]["id"], ticket["company"]["id"]);
    assert_eq!(made.body["ticket"]["id"], json!(1));
    assert_eq!(made.body["timeStart"], json!("2024-05-02T09:00:00Z"));
    assert_eq!(made.body["timeEnd"], json!("2024-05-02T10:00:00Z"));
    assert_eq!(made.body["workType"]["name"], json!("Regular"));
}

#[tokio::test]
async fn a_project_gets_the_default_status_and_its_board_resolved_by_name() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "P", "board": {"name": "Projects"}, "company": {"id": 2}, "billingMethod": "ActualRates",
        "estimatedStart": "2024-01-01T00:00:00Z", "estimatedEnd": "2024-02-01T00:00:00Z"});
    let made = post(&app, "/project/projects", body).await.expect(201);
    assert_eq!(made.body["status"]["name"], json!("Open"));
    assert!(made.body["board"]["id"].is_u64(), "{}", made.body["board"]);
    assert!(made.body["board"]["_info"]["board_href"].is_string(), "{}", made.body["board"]);
    let bad = json!({"name": "P", "board": {"name": "No Such Board"}, "company": {"id": 2}, "billingMethod": "ActualRates",
        "estimatedStart": "2024-01-01T00:00:00Z", "estimatedEnd": "2024-02-01T00:00:00Z"});
    let refused = post(&app, "/project/projects", bad).await.expect(400);
    assert_eq!(refused.body["errors"][0]["field"], json!("board/id"));
}

#[tokio::test]
async fn an_opportunity_gets_the_default_status_and_a_company_its_billing_site() {
    let app = TestApp::spawn().await;
    let body =
        json!({"name": "O", "primarySalesRep": {"identifier": "asmith"}, "company": {"id": 2}, "contact": {"id": 1}});
    let made = post(&app, "/sales/opportunities", body).await.expect(201);
    assert_eq!(made.body["status"]["name"], json!("Open"));
    assert!(made.body["expectedCloseDate"].is_string());
    let company =
        post(&app, "/company/companies", json!({"identifier": "BillMe", "name": "Bill Me"})).await.expect(201);
    assert_eq!(company.body["billingSite"], company.body["site"]);
    assert!(company.body["billingSite"]["id"].is_u64());
}

#[tokio::test]
async fn scalars_are_read_as_json_net_reads_them() {
    let app = TestApp::spawn().await;
    let body = json!({"summary": "strings", "company": {"id": "2"}, "board": {"id": 1.0}, "budgetHours": "2.5",
        "customerUpdatedFlag": "true", "requiredDate": "/Date(1706695200000)/"});
    let made = post(&app, "/service/tickets", body).await.expect(201);
    assert_eq!(made.body["company"]["id"], json!(2));
    assert_eq!(made.body["board"]["id"], json!(1));
    assert_eq!(made.body["budgetHours"], json!(2.5));
    assert_eq!(made.body["customerUpdatedFlag"], json!(true));
    assert_eq!(made.body["requiredDate"], json!("2024-01-31T10:00:00Z"));
    // What the reader cannot convert is still refused by name.
    let refused = post(&app, "/service/tickets", json!({"summary": "s", "company": {"id": "two"}})).await.expect(400);
    assert_eq!(refused.body["errors"][0]["field"], json!("company/id"));
}

#[tokio::test]
async fn references_resolve_by_name_in_collections_beyond_tickets() {
    let app = TestApp::spawn().await;
    // An opportunity type is named by its description.
    let body = json!({"name": "O", "primarySalesRep": {"identifier": "asmith"}, "company": {"identifier": "AcmeCorp"},
        "contact": {"id": 1}, "type": {"name": "New Business"}});
    let made = post(&app, "/sales/opportunities", body).await.expect(201);
    assert!(made.body["type"]["id"].is_u64(), "{}", made.body["type"]);
    let patched = app
        .call(
            &app.admin,
            Method::PATCH,
            &format!("/sales/opportunities/{}", made.body["id"]),
            Some(json!([{"op": "replace", "path": "status", "value": {"name": "Won"}}])),
        )
        .await
        .expect(200);
    assert_eq!(patched.body["status"]["name"], json!("Won"));
    assert!(patched.body["closedDate"].is_string());
}

#[tokio::test]
async fn a_link_collection_is_keyed_by_the_linked_record() {
    let app = TestApp::spawn().await;
    let made = post(&app, "/service/tickets/1/configurations", json!({"id": 3})).await.expect(201);
    assert_eq!(made.body["id"], json!(3));
    assert_eq!(app.get("/service/tickets/1/configurations/3").await.expect(200).body["id"], json!(3));
    let list = app.get("/service/tickets/1/configurations").await.expect(200).body;
    assert!(list.as_array().unwrap().iter().any(|l| l["id"] == json!(3)), "{list}");
    // Linking again answers the same link.
    post(&app, "/service/tickets/1/configurations", json!({"id": 3})).await.expect(201);
    app.call(&app.admin, Method::DELETE, "/service/tickets/1/configurations/3", None).await.expect(204);
    app.get("/service/tickets/1/configurations/3").await.expect(404);
    post(&app, "/service/tickets/1/configurations", json!({"id": 999})).await.expect(400);
}

#[tokio::test]
async fn all_notes_are_the_tickets_notes_and_its_time_entries_notes() {
    let app = TestApp::spawn().await;
    let project = app.get("/project/projects/1").await.expect(200).body;
    let phase = post(&app, &format!("/project/projects/{}/phases", project["id"]), json!({"description": "Phase 1"}))
        .await
        .expect(201);
    let ticket = post(
        &app,
        "/project/tickets",
        json!({"summary": "PT", "phase": {"id": phase.body["id"]}, "project": {"id": project["id"]}}),
    )
    .await
    .expect(201);
    let id = &ticket.body["id"];
    post(&app, &format!("/project/tickets/{id}/notes"), json!({"text": "a note"})).await.expect(201);
    let entry = json!({"chargeToType": "ProjectTicket", "chargeToId": id, "member": {"identifier": "jdoe"},
        "timeStart": "2024-05-02T09:00:00Z", "notes": "worked on it"});
    post(&app, "/time/entries", entry).await.expect(201);
    let all = app.get(&format!("/project/tickets/{id}/allNotes")).await.expect(200).body;
    let texts: Vec<&Value> = all.as_array().unwrap().iter().map(|n| &n["text"]).collect();
    assert_eq!(texts, [&json!("a note"), &json!("worked on it")], "{all}");
    assert_eq!(all[1]["noteType"], json!("TimeEntryNote"));
}

#[tokio::test]
async fn a_service_tickets_all_notes_hold_its_notes_and_its_child_tickets_notes() {
    let app = TestApp::spawn().await;
    let parent = post(&app, "/service/tickets", json!({"summary": "Parent", "company": {"id": 2}})).await.expect(201);
    let child = post(&app, "/service/tickets", json!({"summary": "Child", "company": {"id": 2}})).await.expect(201);
    let (parent, child) = (&parent.body["id"], &child.body["id"]);
    post(&app, &format!("/service/tickets/{parent}/notes"), json!({"text": "on the parent"})).await.expect(201);
    post(&app, &format!("/service/tickets/{child}/notes"), json!({"text": "on the child"})).await.expect(201);
    post(&app, &format!("/service/tickets/{parent}/attachChildren"), json!({"childTicketIds": [child]}))
        .await
        .expect(200);
    let notes = app.get(&format!("/service/tickets/{parent}/notes")).await.expect(200).body;
    let all = app.get(&format!("/service/tickets/{parent}/allNotes")).await.expect(200).body;
    let texts = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().filter_map(|n| n["text"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(texts(&notes), ["on the parent"], "{notes}");
    let all_texts = texts(&all);
    assert!(
        all_texts.contains(&"on the parent".to_owned()) && all_texts.contains(&"on the child".to_owned()),
        "allNotes lists what /notes lists and the child's note: {all}"
    );
}

#[tokio::test]
async fn service_and_project_tickets_are_numbered_in_one_series() {
    // A sync application that keeps tickets in one table by id (django-connectwise) found the
    // project ticket overwriting the service ticket of the same number.
    let app = TestApp::spawn().await;
    let ids = |path: &'static str| {
        let app = &app;
        async move {
            let list = app.get(&format!("{path}?fields=id&pageSize=1000")).await.expect(200).body;
            list.as_array().expect("a list").iter().filter_map(|t| t["id"].as_u64()).collect::<Vec<u64>>()
        }
    };
    let (service, project) = (ids("/service/tickets").await, ids("/project/tickets").await);
    assert!(!service.is_empty() && !project.is_empty(), "the fixtures hold both kinds");
    assert!(project.iter().all(|p| !service.contains(p)), "service {service:?} and project {project:?} share none");

    let body = create_body_for(&app, "/project/tickets", "/project/tickets").await.expect("a project ticket body");
    let made = post(&app, "/project/tickets", body).await.expect(201).body["id"].as_u64().expect("an id");
    let next =
        post(&app, "/service/tickets", json!({ "summary": "after", "company": { "id": 1 }, "board": { "id": 1 } }))
            .await
            .expect(201);
    assert_eq!(next.body["id"].as_u64(), Some(made + 1), "the service ticket follows the project ticket {made}");

    // Their notes are one series too (with --populate a sync found note 1 on both kinds).
    let note = json!({ "text": "a note", "detailDescriptionFlag": true });
    let on_project = post(&app, &format!("/project/tickets/{made}/notes"), note.clone()).await.expect(201);
    let on_service = post(&app, "/service/tickets/1/notes", note).await.expect(201);
    let (p, s) = (on_project.body["id"].as_u64().expect("an id"), on_service.body["id"].as_u64().expect("an id"));
    assert_eq!(s, p + 1, "the service ticket's note follows the project ticket's note {p}");
}

#[tokio::test]
async fn a_project_ticket_is_served_under_the_service_tickets_path_too() {
    // django-connectwise reads every ticket's notes through /service/tickets/{id}/notes,
    // project tickets included, and fails its whole note sync on a 404 (A24.36).
    let app = TestApp::spawn().await;
    let project = app.get("/project/tickets?pageSize=1").await.expect(200).body[0].clone();
    let id = project["id"].as_u64().expect("a fixture project ticket");
    let note = json!({ "text": "a note on a project ticket", "detailDescriptionFlag": true });
    post(&app, &format!("/project/tickets/{id}/notes"), note).await.expect(201);

    let read = app.get(&format!("/service/tickets/{id}")).await.expect(200).body;
    assert_eq!((read["id"].clone(), read["summary"].clone()), (project["id"].clone(), project["summary"].clone()));
    let notes = app.get(&format!("/service/tickets/{id}/notes")).await.expect(200).body;
    let texts: Vec<&str> = notes.as_array().expect("a list").iter().filter_map(|n| n["text"].as_str()).collect();
    assert!(texts.contains(&"a note on a project ticket"), "{notes}");

    // An id that names no ticket at all is still the service ticket's 404.
    let missing = app.get("/service/tickets/999999/notes").await;
    assert_eq!(missing.status, 404, "{}", missing.body);
}

#[tokio::test]
async fn every_boolean_flag_is_present_and_filtering_on_its_default_matches() {
    let app = TestApp::spawn().await;
    let body = json!({ "name": common::unique("Flags "), "type": { "id": 1 }, "company": { "identifier": "AcmeCorp" }, "contact": { "id": 1 } });
    let agreement = app.call(&app.admin, Method::POST, "/finance/agreements", Some(body)).await.expect(201);
    let id = agreement.body["id"].as_u64().unwrap();

    let matched = app.get(&format!("/finance/agreements?conditions=cancelledFlag=false and id={id}")).await.expect(200);
    let member = app.get("/system/members/jdoe").await.expect(200);

    for flag in ["cancelledFlag", "noEndingDateFlag", "billZeroAmountFlag", "restrictLocationFlag"] {
        assert_eq!(agreement.body[flag], false, "{flag}");
    }
    assert_eq!(matched.body.as_array().map(Vec::len), Some(1));
    for flag in ["inactiveFlag", "enableMobileFlag", "restrictDefaultWarehouseBinFlag"] {
        assert_eq!(member.body[flag], false, "{flag}");
    }
}

#[tokio::test]
async fn a_new_company_gets_a_status_types_and_a_main_site() {
    let app = TestApp::spawn().await;
    let body = json!({ "identifier": common::unique("Site"), "name": "Site Co" });
    let co = app.call(&app.admin, Method::POST, "/company/companies", Some(body)).await.expect(201);

    assert_eq!(co.body["status"]["name"], "Active");
    assert_eq!(co.body["types"][0]["name"], "Client");
    assert_eq!(co.body["site"]["name"], "Main");
    let site = app.get(&format!("/company/companies/{}/sites/{}", co.body["id"], co.body["site"]["id"])).await;
    assert_eq!(site.expect(200).body["name"], "Main");
    assert_eq!(co.body["deletedFlag"], false);
}
