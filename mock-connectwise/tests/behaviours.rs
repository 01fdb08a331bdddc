//! What the server does around tickets, companies, contacts and configurations: a ticket's
//! description becomes its first note, notes need text and list oldest first, a ticket lists
//! its products, new companies and configurations get their defaults, contacts keep their
//! communication items; and generated companies and tickets (`--companies`, `--tickets`)
//! are counted, valid and found by conditions.

use mock_connectwise::{FixtureSet, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().expect("a list")
}

async fn post(app: &TestApp, path: &str, body: Value) -> mock_connectwise::Checked {
    app.call(&app.admin, Method::POST, path, Some(body)).await
}

async fn count(app: &TestApp, path: &str) -> u64 {
    app.get(path).await.expect(200).body["count"].as_u64().expect("a count")
}

#[tokio::test]
async fn a_new_tickets_initial_description_is_its_first_note() {
    let app = TestApp::spawn().await;
    let body = json!({
        "summary": "Screen flickers", "company": { "identifier": "AcmeCorp" },
        "initialDescription": "The screen flickers after lunch."
    });
    let ticket = post(&app, "/service/tickets", body).await.expect(201);
    let id = ticket.body["id"].as_u64().expect("an id");

    let notes = app.get(&format!("/service/tickets/{id}/notes")).await.expect(200);

    let notes = list(&notes.body);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["text"], "The screen flickers after lunch.");
    assert_eq!(notes[0]["detailDescriptionFlag"], true);
    assert_eq!(notes[0]["internalAnalysisFlag"], false);
    assert_eq!(notes[0]["ticketId"], id);
    assert_eq!(notes[0]["createdBy"], "MockAdmin");
    assert_eq!(notes[0]["dateCreated"], "2025-01-15T12:00:00Z");
}

#[tokio::test]
async fn initial_internal_analysis_becomes_an_internal_note_after_the_description() {
    let app = TestApp::spawn().await;
    let body = json!({
        "summary": "Disk full", "company": { "identifier": "Globex" },
        "initialDescription": "Drive C is full.", "initialInternalAnalysis": "Log rotation is off."
    });
    let id = post(&app, "/service/tickets", body).await.expect(201).body["id"].clone();
    let notes = app.get(&format!("/service/tickets/{id}/notes")).await.expect(200);
    let flags: Vec<(bool, bool)> = list(&notes.body)
        .iter()
        .map(|n| (n["detailDescriptionFlag"] == true, n["internalAnalysisFlag"] == true))
        .collect();
    assert_eq!(flags, [(true, false), (false, true)]);
}

#[tokio::test]
async fn a_ticket_without_a_description_has_no_notes() {
    let app = TestApp::spawn().await;
    let body = json!({ "summary": "Quiet ticket", "company": { "identifier": "AcmeCorp" } });
    let id = post(&app, "/service/tickets", body).await.expect(201).body["id"].clone();
    assert_eq!(count(&app, &format!("/service/tickets/{id}/notes/count")).await, 0);
}

#[tokio::test]
async fn a_note_without_text_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let before = count(&app, "/service/tickets/1/notes/count").await;
    for body in [json!({ "internalAnalysisFlag": true }), json!({ "text": "   " }), json!({ "text": null })] {
        let res = post(&app, "/service/tickets/1/notes", body.clone()).await.expect(400);
        assert_eq!(res.body["code"], "InvalidObject", "{body}");
        assert!(list(&res.body["errors"]).iter().any(|e| e["field"] == "text"), "{body}: {}", res.body);
    }
    assert_eq!(count(&app, "/service/tickets/1/notes/count").await, before);
    post(&app, "/service/tickets/1/notes", json!({ "text": "Now with text" })).await.expect(201);
    assert_eq!(count(&app, "/service/tickets/1/notes/count").await, before + 1);
}

#[tokio::test]
async fn a_note_cannot_lose_its_text_by_patch_or_put() {
    let app = TestApp::spawn().await;
    let path = "/service/tickets/4/notes/1";
    let blank = json!([{ "op": "replace", "path": "text", "value": "" }]);
    let patched = app.call(&app.admin, Method::PATCH, path, Some(blank)).await.expect(400);
    let mut note = app.get(path).await.expect(200).body;
    note["text"] = Value::Null;
    let put = app.call(&app.admin, Method::PUT, path, Some(note)).await.expect(400);

    for res in [&patched, &put] {
        assert!(list(&res.body["errors"]).iter().any(|e| e["field"] == "text"), "{}", res.body);
    }
    assert_eq!(app.get(path).await.expect(200).body["text"], "The site-to-site VPN to Malibu Lab dropped at 09:00.");
}

#[tokio::test]
async fn notes_are_listed_oldest_first_unless_ordered_otherwise() {
    let app = TestApp::spawn().await;
    let body = json!({ "summary": "Order", "company": { "identifier": "AcmeCorp" }, "initialDescription": "first" });
    let id = post(&app, "/service/tickets", body).await.expect(201).body["id"].clone();
    for text in ["second", "third"] {
        post(&app, &format!("/service/tickets/{id}/notes"), json!({ "text": text })).await.expect(201);
    }
    let texts = |v: &Value| list(v).iter().map(|n| n["text"].as_str().unwrap_or("").to_owned()).collect::<Vec<_>>();

    let plain = app.get(&format!("/service/tickets/{id}/notes")).await.expect(200);
    let desc = app.get(&format!("/service/tickets/{id}/notes?orderBy=id%20desc")).await.expect(200);

    assert_eq!(texts(&plain.body), ["first", "second", "third"]);
    assert_eq!(texts(&desc.body), ["third", "second", "first"]);
}

#[tokio::test]
async fn a_ticket_lists_the_products_on_it_as_product_references() {
    let app = TestApp::spawn().await;
    let on_4 = app.get("/service/tickets/4/products").await.expect(200);
    let ids: Vec<u64> = list(&on_4.body).iter().filter_map(|p| p["id"].as_u64()).collect();
    assert_eq!(ids, [2, 3]);
    for p in list(&on_4.body) {
        let keys: Vec<&str> = p.as_object().expect("an object").keys().map(String::as_str).collect();
        assert!(keys.iter().all(|k| ["id", "description", "_info"].contains(k)), "{keys:?}");
        assert!(p["description"].is_string());
    }
    assert_eq!(app.get("/service/tickets/1/products").await.expect(200).body, json!([]));

    let product = json!({
        "catalogItem": { "identifier": "EPP-STD" }, "billableOption": "Billable",
        "description": "Added later", "ticket": { "id": 1 }, "quantity": 1
    });
    let made = post(&app, "/procurement/products", product).await.expect(201);
    let on_1 = app.get("/service/tickets/1/products").await.expect(200);
    assert_eq!(
        on_1.body,
        json!([{ "id": made.body["id"], "description": "Added later", "_info": made.body["_info"] }])
    );
    let paged = app.get("/service/tickets/4/products?pageSize=1&page=2").await.expect(200);
    assert_eq!(list(&paged.body).len(), 1);
    assert_eq!(paged.body[0]["id"], 3);
    assert_eq!(app.get("/service/tickets/999/products").await.status, 404);
}

#[tokio::test]
async fn a_new_company_gets_the_default_status_and_type_unless_it_names_its_own() {
    let app = TestApp::spawn().await;
    let plain = post(&app, "/company/companies", json!({ "identifier": "DefaultsCo", "name": "Defaults Co" }));
    let plain = plain.await.expect(201);
    let own = json!({
        "identifier": "OwnCo", "name": "Own Co", "status": { "name": "Inactive" },
        "types": [{ "id": 2, "name": "Vendor" }]
    });
    let own = post(&app, "/company/companies", own).await.expect(201);

    assert_eq!((&plain.body["status"]["id"], &plain.body["status"]["name"]), (&json!(1), &json!("Active")));
    let types: Vec<(&Value, &Value)> = list(&plain.body["types"]).iter().map(|t| (&t["id"], &t["name"])).collect();
    assert_eq!(types, [(&json!(1), &json!("Client"))]);
    assert_eq!(own.body["status"]["name"], "Inactive");
    assert_eq!(own.body["types"][0]["name"], "Vendor");
    let vendors = app.get(&format!("/company/companies?childConditions={}", enc("types/name = 'Vendor'"))).await;
    assert!(list(&vendors.expect(200).body).iter().any(|c| c["identifier"] == "OwnCo"));
}

#[tokio::test]
async fn configurations_are_listed_per_company() {
    let app = TestApp::spawn().await;
    let acme = app.get(&format!("/company/configurations?conditions={}", enc("company/id = 2"))).await.expect(200);
    assert_eq!(list(&acme.body).len(), 3);
    assert!(list(&acme.body).iter().all(|c| c["company"]["identifier"] == "AcmeCorp"));

    let body = json!({ "name": "GLX-FW-02", "type": { "name": "Firewall" }, "company": { "identifier": "Globex" } });
    let made = post(&app, "/company/configurations", body).await.expect(201);
    assert_eq!(made.body["status"]["name"], "Active", "the default status, named by its description");

    let globex = app.get(&format!("/company/configurations?conditions={}", enc("company/id = 3"))).await.expect(200);
    let names: Vec<&str> = list(&globex.body).iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, ["GLX-SRV-01", "GLX-FW-02"]);
    assert_eq!(count(&app, &format!("/company/configurations/count?conditions={}", enc("company/id = 2"))).await, 3);
}

#[tokio::test]
async fn a_configuration_needs_a_name_type_and_company() {
    let app = TestApp::spawn().await;
    let res = post(&app, "/company/configurations", json!({ "name": "Lonely" })).await.expect(400);
    let fields: Vec<&str> = list(&res.body["errors"]).iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"type") && fields.contains(&"company"), "{fields:?}");
}

#[tokio::test]
async fn a_contacts_communication_items_round_trip_and_can_be_filtered() {
    let app = TestApp::spawn().await;
    let items = json!([
        { "type": { "id": 1, "name": "Email" }, "value": "road.runner@acme.example", "communicationType": "Email", "defaultFlag": true },
        { "type": { "id": 2, "name": "Direct" }, "value": "2175550199", "extension": "12", "communicationType": "Phone", "defaultFlag": false }
    ]);
    let body = json!({ "firstName": "Road", "lastName": "Runner", "company": { "identifier": "AcmeCorp" }, "communicationItems": items });
    let made = post(&app, "/company/contacts", body).await.expect(201);
    let id = made.body["id"].clone();

    let read = app.get(&format!("/company/contacts/{id}")).await.expect(200);
    let found = app
        .get(&format!("/company/contacts?childConditions={}", enc("communicationItems/value = '2175550199'")))
        .await
        .expect(200);

    // Each item comes back as sent, with the id of its communication record (A24.35).
    let mut got = read.body["communicationItems"].clone();
    for item in got.as_array_mut().into_iter().flatten() {
        assert!(item["id"].is_u64(), "{item}");
        item.as_object_mut().map(|o| o.remove("id"));
    }
    assert_eq!(got, items);
    let ids: Vec<&Value> = list(&found.body).iter().map(|c| &c["id"]).collect();
    assert_eq!(ids, [&id]);
}

fn bulk(companies: usize, tickets: usize, seed: u64) -> TestOptions {
    TestOptions {
        fixtures: FixtureSet::builtin().with_bulk_tickets(companies, tickets, seed),
        ..TestOptions::default()
    }
}

#[tokio::test]
async fn generated_companies_and_tickets_are_counted_valid_and_found_by_conditions() {
    let plain = TestApp::spawn().await;
    let (companies, tickets) =
        (count(&plain, "/company/companies/count").await, count(&plain, "/service/tickets/count").await);
    let app = TestApp::spawn_with(bulk(40, 400, 9)).await;

    assert_eq!(count(&app, "/company/companies/count").await, companies + 40);
    assert_eq!(count(&app, "/service/tickets/count").await, tickets + 400);
    // The first generated company: its identifier finds it, its tickets are a tenth of them.
    let first = companies + 1;
    let company = app.get(&format!("/company/companies/{first}")).await.expect(200).body;
    let ident = company["identifier"].as_str().expect("an identifier");
    let by_ident = format!("/company/companies/count?conditions={}", enc(&format!("identifier = '{ident}'")));
    assert_eq!(count(&app, &by_ident).await, 1);
    assert_eq!(
        count(&app, &format!("/service/tickets/count?conditions={}", enc(&format!("company/id = {first}")))).await,
        10
    );
    assert_eq!(company["status"]["name"], "Active");
    let site = app.get(&format!("/company/companies/{first}/sites/{}", company["site"]["id"])).await.expect(200);
    assert_eq!(site.body["name"], "Main");
    // Each ticket's status is one of its board's, and closedFlag follows it.
    let page = app.get(&format!("/service/tickets?conditions={}&pageSize=60", enc(&format!("id > {tickets}")))).await;
    let page = page.expect(200).body;
    for t in list(&page) {
        let status = app.get(&format!("/service/boards/{}/statuses/{}", t["board"]["id"], t["status"]["id"])).await;
        let status = status.expect(200).body;
        assert_eq!(t["closedFlag"], status["closedStatus"] == true, "{t}");
        assert_eq!(t["status"]["name"], status["name"]);
    }
    // A generated ticket passes the API's own validation when written back.
    // (The first one: project tickets share the ticket numbers, A24.34.)
    let id = list(&page)[0]["id"].as_u64().expect("a generated ticket");
    let current = app.get(&format!("/service/tickets/{id}")).await.expect(200).body;
    app.call(&app.admin, Method::PUT, &format!("/service/tickets/{id}"), Some(current)).await.expect(200);
}

#[tokio::test]
async fn the_same_seed_generates_the_same_companies_and_another_seed_others() {
    let names = |app: TestApp| async move {
        let got = app.get(&format!("/company/companies?conditions={}&fields=identifier", enc("id > 8"))).await;
        let got = got.expect(200).body;
        list(&got).iter().map(|c| c["identifier"].to_string()).collect::<Vec<_>>()
    };
    let a = names(TestApp::spawn_with(bulk(20, 0, 5)).await).await;
    let b = names(TestApp::spawn_with(bulk(20, 0, 5)).await).await;
    let c = names(TestApp::spawn_with(bulk(20, 0, 6)).await).await;
    assert_eq!(a.len(), 20);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[tokio::test]
async fn generated_tickets_without_generated_companies_go_to_the_fixture_companies() {
    let app = TestApp::spawn_with(bulk(0, 80, 2)).await;
    let on_acme = format!("/service/tickets/count?conditions={}", enc("company/identifier = 'AcmeCorp'"));
    assert_eq!(count(&app, &on_acme).await, 3 + 10, "three fixture tickets and one in eight generated");
}

#[tokio::test]
async fn a_record_any_collection_references_cannot_be_deleted_and_the_conflict_names_the_field() {
    let app = TestApp::spawn().await;
    // Help Desk's "New" status (1) holds fixture tickets; a contact names Acme (2).
    let status = app.call(&app.admin, Method::DELETE, "/service/boards/1/statuses/1", None).await;
    let company = app.call(&app.admin, Method::DELETE, "/company/companies/2", None).await;
    let unused = app
        .call(&app.admin, Method::POST, "/service/boards/1/statuses", Some(json!({ "name": "Unused" })))
        .await
        .expect(201);
    let gone =
        app.call(&app.admin, Method::DELETE, &format!("/service/boards/1/statuses/{}", unused.body["id"]), None).await;

    assert_eq!(status.status, 409, "{}", status.body);
    assert!(status.body.to_string().contains("(status)"), "{}", status.body);
    assert_eq!(company.status, 409, "{}", company.body);
    assert!(company.body.to_string().contains("contact"), "{}", company.body);
    assert_eq!(gone.status, 204, "{}", gone.body);
}

#[tokio::test]
async fn a_contacts_communication_items_are_its_communications_both_ways() {
    // django-connectwise syncs `/company/contacts/{id}/communications` and stored nothing:
    // the items lived only inline on the contact.
    let app = TestApp::spawn().await;
    let with_items = app.get("/company/contacts?conditions=lastName=\"Stark\"&pageSize=1").await.expect(200);
    let contact = with_items.body[0]["id"].as_u64().expect("a fixture contact");
    let inline = with_items.body[0]["communicationItems"].as_array().expect("items").clone();
    let listed = app.get(&format!("/company/contacts/{contact}/communications")).await.expect(200).body;
    assert_eq!(listed.as_array().map(Vec::len), Some(inline.len()), "{listed}");
    for (item, rec) in inline.iter().zip(listed.as_array().expect("a list")) {
        assert_eq!(item["id"], rec["id"], "an item carries its record's id");
        assert_eq!(item["value"], rec["value"]);
        assert_eq!(rec["contactId"], json!(contact));
    }

    // Added through the collection: it shows on the contact.
    let path = format!("/company/contacts/{contact}/communications");
    let body = json!({ "type": { "id": 1 }, "value": "second@stark.example", "communicationType": "Email" });
    let made = app.call(&app.admin, Method::POST, &path, Some(body)).await.expect(201).body;
    let items = app.get(&format!("/company/contacts/{contact}")).await.expect(200).body["communicationItems"].clone();
    assert!(
        items
            .as_array()
            .is_some_and(|i| i.iter().any(|x| x["id"] == made["id"] && x["value"] == json!("second@stark.example"))),
        "{items}"
    );

    // Deleted through the collection: gone from the contact.
    app.call(&app.admin, Method::DELETE, &format!("{path}/{}", made["id"]), None).await.expect(204);
    let items = app.get(&format!("/company/contacts/{contact}")).await.expect(200).body["communicationItems"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(inline.len()), "{items}");

    // The contact's items replaced: the collection follows, and keeps the ids it names.
    let keep = inline[0].clone();
    let patch = json!([{ "op": "replace", "path": "communicationItems", "value": [keep] }]);
    app.call(&app.admin, Method::PATCH, &format!("/company/contacts/{contact}"), Some(patch)).await.expect(200);
    let listed = app.get(&path).await.expect(200).body;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["id"], inline[0]["id"]);

    // A new contact with items has them as records.
    let new = json!({ "firstName": "Comm", "lastName": "Items", "company": { "id": 1 },
        "communicationItems": [{ "type": { "id": 1 }, "value": "comm@items.example", "communicationType": "Email" }] });
    let made = app.call(&app.admin, Method::POST, "/company/contacts", Some(new)).await.expect(201).body;
    let listed = app.get(&format!("/company/contacts/{}/communications", made["id"])).await.expect(200).body;
    assert_eq!(listed[0]["value"], json!("comm@items.example"), "{listed}");
    assert_eq!(listed[0]["id"], made["communicationItems"][0]["id"]);
}
