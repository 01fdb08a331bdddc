//! Issue 24: the actions of the official table carry out the effect their name, parameters and
//! schema make clear (docs/assumptions.md A24.2-A24.7), and refuse bad bodies as creates do.

mod common;

use common::bodies::fixtures_with_every_collection;
use mock_connectwise::{TestApp, TestOptions};
use reqwest::Method;
use serde_json::json;

async fn app() -> TestApp {
    TestApp::spawn_with(TestOptions { fixtures: fixtures_with_every_collection(), ..Default::default() }).await
}

async fn new_ticket(app: &TestApp, summary: &str) -> u64 {
    let body = json!({ "summary": summary, "company": { "id": 1 }, "board": { "id": 1 } });
    let made = app.call(&app.admin, Method::POST, "/service/tickets", Some(body)).await.expect(201);
    made.body["id"].as_u64().expect("an id")
}

#[tokio::test]
async fn attaching_children_makes_the_listed_tickets_children_of_the_named_one() {
    let app = app().await;
    let (parent, a, b) = (new_ticket(&app, "parent").await, new_ticket(&app, "a").await, new_ticket(&app, "b").await);

    let body = json!({ "childTicketIds": [a, b] });
    app.call(&app.admin, Method::POST, &format!("/service/tickets/{parent}/attachChildren"), Some(body))
        .await
        .expect(200);

    for child in [a, b] {
        let read = app.get(&format!("/service/tickets/{child}")).await.expect(200);
        assert_eq!(read.body["parentTicketId"], json!(parent), "ticket {child}");
    }
    let bad = json!({ "childTicketIds": "all" });
    let refused =
        app.call(&app.admin, Method::POST, &format!("/service/tickets/{parent}/attachChildren"), Some(bad)).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let missing = json!({ "childTicketIds": [999_999] });
    let gone =
        app.call(&app.admin, Method::POST, &format!("/service/tickets/{parent}/attachChildren"), Some(missing)).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
}

#[tokio::test]
async fn merging_closes_the_listed_tickets_into_the_named_one() {
    let app = app().await;
    let (into, merged) = (new_ticket(&app, "into").await, new_ticket(&app, "merged").await);

    let board = app.get(&format!("/service/tickets/{merged}")).await.expect(200).body["board"]["id"].clone();
    let closed = app.get(&format!("/service/boards/{board}/statuses?conditions=closedStatus=true")).await.expect(200);
    let status = closed.body[0]["id"].clone();
    assert!(status.is_u64(), "board {board} has a closed status: {}", closed.body);

    let body = json!({ "mergeTicketIds": [merged], "status": { "id": status } });
    app.call(&app.admin, Method::POST, &format!("/service/tickets/{into}/merge"), Some(body)).await.expect(200);

    let read = app.get(&format!("/service/tickets/{merged}")).await.expect(200);
    assert_eq!(read.body["status"]["id"], status);
    assert_eq!(read.body["closedFlag"], json!(true));
    assert_eq!(read.body["mergedParentTicket"]["id"], json!(into));
    // `TicketMerge` requires its status: a body without it is refused as a create would be.
    let refused = app
        .call(
            &app.admin,
            Method::POST,
            &format!("/service/tickets/{into}/merge"),
            Some(json!({ "mergeTicketIds": [] })),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
}

#[tokio::test]
async fn copying_a_board_makes_a_new_board_under_the_given_name() {
    let app = app().await;
    let before = app.get("/service/boards/count").await.expect(200).body["count"].as_u64().expect("a count");

    let copy = app
        .call(&app.admin, Method::POST, "/service/boards/copy", Some(json!({ "id": 1, "name": "Copied board" })))
        .await
        .expect(200);

    let id = copy.body["id"].as_u64().expect("the new board's id");
    assert_ne!(id, 1);
    let read = app.get(&format!("/service/boards/{id}")).await.expect(200);
    assert_eq!(read.body["name"], "Copied board");
    let after = app.get("/service/boards/count").await.expect(200).body["count"].as_u64().expect("a count");
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn a_time_sheet_moves_through_submit_approve_reject_and_reverse() {
    let app = app().await;
    let id = app.get("/time/sheets?pageSize=1").await.expect(200).body[0]["id"].as_u64().expect("a time sheet");
    for (action, status) in
        [("submit", "PendingApproval"), ("approve", "ApprovedByTierOne"), ("reject", "Rejected"), ("reverse", "Open")]
    {
        app.call(&app.admin, Method::POST, &format!("/time/sheets/{id}/{action}"), Some(json!({}))).await.expect(200);
        let read = app.get(&format!("/time/sheets/{id}")).await.expect(200);
        assert_eq!(read.body["status"], status, "after {action}");
    }
}

#[tokio::test]
async fn an_answered_action_names_its_record_checks_its_body_and_changes_nothing() {
    let app = app().await;
    let before = app.get("/procurement/products/1").await.expect(200).body;

    let unknown = app.call(&app.admin, Method::POST, "/procurement/products/999999/detach", Some(json!({}))).await;
    let answered = app.call(&app.admin, Method::POST, "/procurement/products/1/detach", Some(json!({}))).await;

    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert!(answered.status < 300, "{}: {}", answered.status, answered.body);
    assert_eq!(app.get("/procurement/products/1").await.expect(200).body, before);
}

async fn new_company(app: &TestApp, identifier: &str) -> u64 {
    let body = json!({ "identifier": identifier, "name": identifier });
    let made = app.call(&app.admin, Method::POST, "/company/companies", Some(body)).await.expect(201);
    made.body["id"].as_u64().expect("an id")
}

#[tokio::test]
async fn merging_a_company_moves_its_records_to_the_target_and_deletes_it() {
    let app = app().await;
    let (from, to) = (new_company(&app, "MergedCo").await, new_company(&app, "TargetCo").await);
    let body = json!({ "summary": "moved", "company": { "id": from }, "board": { "id": 1 } });
    let ticket =
        app.call(&app.admin, Method::POST, "/service/tickets", Some(body)).await.expect(201).body["id"].clone();
    let contact = json!({ "firstName": "Moved", "company": { "id": from } });
    let contact =
        app.call(&app.admin, Method::POST, "/company/contacts", Some(contact)).await.expect(201).body["id"].clone();

    // `CompanyMerge` requires `toCompanyId`; a company is not merged into itself.
    let refused =
        app.call(&app.admin, Method::POST, &format!("/company/companies/{from}/merge"), Some(json!({}))).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let itself = json!({ "toCompanyId": from });
    let itself = app.call(&app.admin, Method::POST, &format!("/company/companies/{from}/merge"), Some(itself)).await;
    assert_eq!(itself.status, 400, "{}", itself.body);
    let nowhere = json!({ "toCompanyId": 999_999 });
    let nowhere = app.call(&app.admin, Method::POST, &format!("/company/companies/{from}/merge"), Some(nowhere)).await;
    assert_eq!(nowhere.status, 404, "{}", nowhere.body);
    assert_eq!(app.get(&format!("/service/tickets/{ticket}")).await.expect(200).body["company"]["id"], json!(from));

    let merged = app
        .call(&app.admin, Method::POST, &format!("/company/companies/{from}/merge"), Some(json!({ "toCompanyId": to })))
        .await
        .expect(200);
    assert_eq!(merged.body["success"], json!(true), "{}", merged.body);

    assert_eq!(app.get(&format!("/service/tickets/{ticket}")).await.expect(200).body["company"]["id"], json!(to));
    assert_eq!(app.get(&format!("/company/contacts/{contact}")).await.expect(200).body["company"]["id"], json!(to));
    let source = app.get(&format!("/company/companies/{from}")).await.expect(200);
    assert_eq!(source.body["deletedFlag"], json!(true));
}

#[tokio::test]
async fn converting_an_opportunity_makes_the_record_its_response_names() {
    let app = app().await;
    let opp = app.get("/sales/opportunities/1").await.expect(200).body;
    let company = opp["company"]["id"].clone();

    let ticket = app
        .call(
            &app.admin,
            Method::POST,
            "/sales/opportunities/1/convertToServiceTicket",
            Some(json!({ "summary": "From the opportunity" })),
        )
        .await
        .expect(200);
    let id = ticket.body["id"].as_u64().expect("the new ticket's id");
    let read = app.get(&format!("/service/tickets/{id}")).await.expect(200);
    assert_eq!(read.body["summary"], "From the opportunity");
    assert_eq!(read.body["company"]["id"], company);

    let body = json!({ "name": "Converted project", "estimatedStart": "2026-01-01T00:00:00Z", "estimatedEnd": "2026-02-01T00:00:00Z" });
    let project =
        app.call(&app.admin, Method::POST, "/sales/opportunities/1/convertToProject", Some(body)).await.expect(200);
    let pid = project.body["id"].as_u64().expect("the new project's id");
    let read = app.get(&format!("/project/projects/{pid}")).await.expect(200);
    assert_eq!(read.body["name"], "Converted project");
    assert_eq!(read.body["company"]["id"], company);
    assert_eq!(read.body["opportunity"]["id"], json!(1));

    // An order needs a status: the conversion takes the first stored one.
    let status = json!({ "name": "New order" });
    app.call(&app.admin, Method::POST, "/sales/orders/statuses", Some(status)).await.expect(201);
    let order = app
        .call(&app.admin, Method::POST, "/sales/opportunities/1/convertToSalesOrder", Some(json!({})))
        .await
        .expect(200);
    let oid = order.body["id"].as_u64().expect("the new order's id");
    assert_eq!(app.get(&format!("/sales/orders/{oid}")).await.expect(200).body["company"]["id"], company);
    // The converted opportunity takes the stored won status.
    let won = app.get("/sales/opportunities/statuses?conditions=wonFlag=true").await.expect(200).body[0]["id"].clone();
    assert!(won.is_u64(), "a won status is stored");
    assert_eq!(app.get("/sales/opportunities/1").await.expect(200).body["status"]["id"], won);

    let gone =
        app.call(&app.admin, Method::POST, "/sales/opportunities/999999/convertToServiceTicket", Some(json!({}))).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
}

#[tokio::test]
async fn an_action_needs_its_row_like_any_route() {
    let app = app().await;
    let creds = app.member_with_levels("NoTickets", &mock_connectwise::permissions::RoleLevels::default()).await;
    let id = new_ticket(&app, "guarded").await;

    let refused = app
        .call(
            &creds,
            Method::POST,
            &format!("/service/tickets/{id}/attachChildren"),
            Some(json!({ "childTicketIds": [] })),
        )
        .await;

    assert_eq!(refused.status, 403, "{}", refused.body);
}

#[tokio::test]
async fn an_order_converts_to_a_ticket_and_a_project_to_a_template() {
    let app = app().await;
    let status = json!({ "name": "New order" });
    app.call(&app.admin, Method::POST, "/sales/orders/statuses", Some(status)).await.expect(201);
    let order = app
        .call(&app.admin, Method::POST, "/sales/opportunities/1/convertToSalesOrder", Some(json!({ "name": "Order" })))
        .await
        .expect(200);
    let (oid, company) = (order.body["id"].as_u64().expect("an order"), order.body["company"]["id"].clone());

    let ticket = app
        .call(&app.admin, Method::POST, &format!("/sales/orders/{oid}/convertToServiceTicket"), Some(json!({})))
        .await
        .expect(200);
    let tid = ticket.body["id"].as_u64().expect("the new ticket's id");
    let read = app.get(&format!("/service/tickets/{tid}")).await.expect(200);
    assert_eq!(read.body["summary"], "Order");
    assert_eq!(read.body["company"]["id"], company);

    let project = app.get("/project/projects?pageSize=1").await.expect(200).body[0]["id"].as_u64().expect("a project");
    let before = app.get("/project/projectTemplates/count").await.expect(200).body["count"].as_u64().expect("a count");
    let template = app
        .call(
            &app.admin,
            Method::POST,
            &format!("/project/projectTemplates/createFromProject/{project}"),
            Some(json!({ "name": "From a project" })),
        )
        .await
        .expect(200);
    let id = template.body["id"].as_u64().expect("the new template's id");
    assert_eq!(app.get(&format!("/project/projectTemplates/{id}")).await.expect(200).body["name"], "From a project");
    let after = app.get("/project/projectTemplates/count").await.expect(200).body["count"].as_u64().expect("a count");
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn invoicing_an_agreement_makes_an_invoice_that_applies_to_it() {
    let app = app().await;
    let agreement = app.get("/finance/agreements?pageSize=1").await.expect(200).body[0].clone();
    let id = agreement["id"].as_u64().expect("an agreement");

    let made = app
        .call(&app.admin, Method::POST, &format!("/finance/agreements/{id}/invoice"), Some(json!({})))
        .await
        .expect(200);

    let invoice = made.body.as_u64().expect("the new invoice's id");
    let read = app.get(&format!("/finance/invoices/{invoice}")).await.expect(200);
    assert_eq!(read.body["type"], "Agreement");
    assert_eq!(read.body["applyToType"], "Agreement");
    assert_eq!(read.body["applyToId"], json!(id));
    assert_eq!(read.body["company"]["id"], agreement["company"]["id"]);
    let gone = app.call(&app.admin, Method::POST, "/finance/agreements/999999/invoice", Some(json!({}))).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
}

#[tokio::test]
async fn a_search_lists_what_its_body_filters_and_needs_only_inquire() {
    let app = app().await;
    new_ticket(&app, "search-me: apple").await;
    let wanted = new_ticket(&app, "search-me: zebra").await;

    // The body's FilterValues (names as the official schema writes them: `childconditions`)
    // filter and order; the URL's paging applies.
    let body = json!({ "conditions": "summary like \"search-me%\"", "orderBy": "summary desc" });
    let found = app.call(&app.admin, Method::POST, "/service/tickets/search?pageSize=1", Some(body)).await.expect(200);
    let rows = found.body.as_array().expect("a list");
    assert_eq!(rows.len(), 1, "{}", found.body);
    assert_eq!(rows[0]["id"], json!(wanted), "summary desc puts the newer 'zebra' before 'apple'");
    assert!(found.header("link").is_some_and(|l| l.contains("rel=\"next\"")), "a next page is linked");

    // The body wins over the URL's conditions.
    let over = json!({ "conditions": format!("id = {wanted}") });
    let one = app.call(&app.admin, Method::POST, "/service/tickets/search?conditions=id=1", Some(over)).await;
    assert_eq!(one.expect(200).body.as_array().map(Vec::len), Some(1));

    // A bad condition is the list's 400, not an empty list.
    let bad = json!({ "conditions": "summary lik \"x\"" });
    assert_eq!(app.call(&app.admin, Method::POST, "/service/tickets/search", Some(bad)).await.status, 400);

    // Project tickets search their own collection.
    let none = json!({ "conditions": "summary = \"no such project ticket\"" });
    let empty = app.call(&app.admin, Method::POST, "/project/tickets/search", Some(none)).await.expect(200);
    assert_eq!(empty.body, json!([]));

    // Reading needs Inquire: the route's row says so.
    let rules = mock_connectwise::permissions::route_rules();
    let rule = rules.iter().find(|r| r.method == "POST" && r.path == "/service/tickets/search").expect("a row");
    assert_eq!(rule.needs.map(|(_, a)| a), Some(cw_model::Action::Inquire), "{:?}", rule.needs);
    assert_eq!(rule.served, "action");
}

#[tokio::test]
async fn a_bulk_call_writes_each_item_on_its_own_and_answers_a_result_per_item() {
    let app = app().await;
    let coll = "/company/configurations";
    let good = common::bodies::create_body_for(&app, coll, coll).await.expect("a configuration body");
    let mut second = good.clone();
    second["name"] = json!("bulk second");
    let bad = json!({ "name": "no type or company" });

    let made = app.call(&app.admin, Method::POST, "/company/configurations/bulk", Some(json!([good, bad, second])));
    let made = made.await.expect(200);
    let payload = made.body["payload"].as_array().expect("a BulkResult").clone();
    assert_eq!(payload.len(), 3, "{}", made.body);
    assert_eq!((payload[0]["success"].clone(), payload[0]["statusCode"].clone()), (json!(true), json!(201)));
    assert_eq!((payload[1]["success"].clone(), payload[1]["statusCode"].clone()), (json!(false), json!(400)));
    assert_eq!(payload[1]["error"]["code"], json!("InvalidObject"), "{}", payload[1]);
    assert_eq!(payload[2]["originalIndex"], json!(2));
    let ids: Vec<u64> = [&payload[0], &payload[2]].iter().map(|p| p["data"]["id"].as_u64().expect("an id")).collect();
    // The refused item did not undo the others: both are stored.
    for id in &ids {
        app.get(&format!("{coll}/{id}")).await.expect(200);
    }

    // PUT replaces each named record; an item without an id is refused on its own.
    let mut renamed = app.get(&format!("{coll}/{}", ids[0])).await.expect(200).body;
    renamed["name"] = json!("bulk renamed");
    let put =
        app.call(&app.admin, Method::PUT, "/company/configurations/bulk", Some(json!([renamed, { "name": "x" }])));
    let put = put.await.expect(200);
    assert_eq!(put.body["payload"][0]["statusCode"], json!(200), "{}", put.body);
    assert_eq!(put.body["payload"][1]["success"], json!(false));
    assert_eq!(app.get(&format!("{coll}/{}", ids[0])).await.expect(200).body["name"], json!("bulk renamed"));

    // DELETE takes an IdCollection; an unknown id is a 404 of its own.
    let gone = json!({ "ids": [ids[0], 999_999] });
    let del = app.call(&app.admin, Method::DELETE, "/company/configurations/bulk", Some(gone)).await.expect(200);
    assert_eq!(del.body["payload"][0]["success"], json!(true), "{}", del.body);
    assert_eq!(del.body["payload"][1]["statusCode"], json!(404));
    assert_eq!(app.get(&format!("{coll}/{}", ids[0])).await.status, 404);
    app.get(&format!("{coll}/{}", ids[1])).await.expect(200);

    // Not a list: one clear 400.
    let not_list = app.call(&app.admin, Method::POST, "/company/configurations/bulk", Some(json!({ "a": 1 }))).await;
    assert_eq!(not_list.status, 400, "{}", not_list.body);
}

#[tokio::test]
async fn a_child_collections_bulk_path_names_the_parent_its_items_go_under() {
    let app = app().await;
    let template = "/procurement/purchaseorders/{parentId}/lineitems";
    let items = common::bodies::concrete(&app, template).await.expect("a purchase order");
    let body = common::bodies::create_body_for(&app, template, &items).await.expect("a line item body");
    let made = app.call(&app.admin, Method::POST, &format!("{items}/bulk"), Some(json!([body]))).await.expect(200);
    assert_eq!(made.body["payload"][0]["statusCode"], json!(201), "{}", made.body);
    let id = made.body["payload"][0]["data"]["id"].clone();
    let listed = app.get(&format!("{items}?conditions=id={id}")).await.expect(200);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1), "{items} lists the new line item {id}");
}
