//! Shared by the integration tests: concrete calls for every route of the permission table.

#![allow(dead_code, unreachable_pub)]

pub mod bodies;
pub mod openapi;

use std::sync::atomic::{AtomicU32, Ordering};

use mock_connectwise::permissions::{Action, Function, route_rules};
use mock_connectwise::{Creds, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

static UNIQUE: AtomicU32 = AtomicU32::new(1);

/// A short name no other call of this process uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", UNIQUE.fetch_add(1, Ordering::Relaxed))
}

/// One concrete call.
#[derive(Clone, Debug)]
pub struct Probe {
    pub method: Method,
    pub path: String,
    pub body: Option<Value>,
    /// The route answers bytes (an image, a PDF), not JSON.
    pub binary: bool,
}

/// A valid creation body for a collection route.
pub fn create_body(path: &str) -> Option<Value> {
    // Matched on the normalised path, so `{parentId}` and `{}` spellings both find it.
    Some(match openapi::key(path).as_str() {
        "/company/companies" => {
            json!({ "identifier": unique("Co"), "name": "Probe Company", "site": { "name": "Main" } })
        }
        "/finance/agreements" => json!({
            "name": unique("Agreement "), "type": { "id": 1 },
            "company": { "identifier": "AcmeCorp" }, "contact": { "id": 1 }
        }),
        "/finance/agreements/{}/additions" => {
            json!({ "product": { "identifier": "EPP-STD" }, "billCustomer": "Billable", "quantity": 3 })
        }
        "/procurement/catalog" => json!({
            "identifier": unique("SKU-"), "description": "Probe item", "customerDescription": "Probe item",
            "subcategory": { "id": 1 }, "type": { "id": 1 }
        }),
        "/service/boards" => json!({ "name": unique("Board "), "location": { "id": 1 }, "department": { "id": 1 } }),
        "/service/tickets" => json!({ "summary": unique("Probe ticket "), "company": { "identifier": "AcmeCorp" } }),
        "/service/priorities" => json!({ "name": unique("Priority "), "color": "Blue" }),
        "/service/boards/{}/statuses" => json!({ "name": unique("Status ") }),
        // A note needs text, though the schema marks nothing required (A15.10).
        "/service/tickets/{}/notes" => json!({ "text": unique("Probe note "), "detailDescriptionFlag": true }),
        "/system/members" => json!({
            "identifier": unique("m"), "firstName": "Pat", "lastName": "Probe", "licenseClass": "F",
            "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
            "securityRole": { "id": 2 }
        }),
        "/system/apimembers" => {
            json!({ "identifier": unique("api"), "name": "Probe API member", "securityRole": { "id": 2 } })
        }
        "/system/securityroles" => json!({ "name": unique("Role ") }),
        // The registration rules of callbacks (issue 26): a known type and level, an http(s) URL.
        "/system/callbacks" => json!({
            "url": format!("http://127.0.0.1:9/{}?id=", unique("cb")), "objectId": 1, "type": "ticket", "level": "owner"
        }),
        // A link collection is keyed by the record it links (A15.4): link configuration 1.
        "/service/tickets/{}/configurations"
        | "/project/tickets/{}/configurations"
        | "/finance/agreements/{}/configurations" => json!({ "id": 1 }),
        "/system/integratorlogins" => json!({ "username": unique("login"), "password": "Probe-Password-1" }),
        _ => return None,
    })
}

/// A PATCH document changing one harmless field of an item route.
pub fn patch_body(path: &str) -> Option<Value> {
    let (field, value) = match path {
        "/company/companies/{id}" => ("phoneNumber", json!("8135550199")),
        "/finance/agreements/{id}" => ("internalNotes", json!(unique("note "))),
        "/finance/agreements/{parentId}/additions/{id}" => ("quantity", json!(7)),
        "/procurement/catalog/{id}" => ("description", json!(unique("Patched "))),
        "/service/boards/{id}" => ("name", json!(unique("Board "))),
        "/service/tickets/{id}" => ("summary", json!(unique("Patched "))),
        "/service/priorities/{id}" => ("sortOrder", json!(9)),
        "/service/boards/{parentId}/statuses/{id}" => ("sortOrder", json!(5)),
        "/system/members/{id}" => ("title", json!(unique("Title "))),
        "/system/apiMembers/{id}" => ("name", json!(unique("Name "))),
        "/system/securityroles/{id}" => ("name", json!(unique("Role "))),
        "/system/integratorlogins/{id}" => ("companyApiFlag", json!(true)),
        _ => return None,
    };
    Some(json!([{ "op": "replace", "path": field, "value": value }]))
}

pub fn fill(path: &str) -> String {
    // Members and API members share one id space; the fixtures' first member is id 2.
    let id = if path.starts_with("/system/members/") { "2" } else { "1" };
    path.replace("{parentId}", "1")
        .replace("{id}", id)
        .replace("{memberIdentifier}", "jdoe")
        .replace("{reportName}", "Member")
}

/// [`fill`], with the id of a record that exists where the fixture's id 1 does not: the
/// first record the admin lists there, or `None` when there is none.
async fn fill_existing(app: &TestApp, path: &str) -> Option<String> {
    let Some((head, tail)) = path.split_once("/{id}") else { return Some(fill(path)) };
    let filled = fill(path);
    let item = fill(&format!("{head}/{{id}}"));
    if app.get(&item).await.status == 200 {
        return Some(filled);
    }
    let list = app.get(&format!("{}?pageSize=1", fill(head))).await;
    let id = list.body.get(0)?.get("id")?.as_u64()?;
    Some(format!("{}/{id}{}", fill(head), fill(tail)))
}

/// The calls that exercise `(function, action)`: every route the permission table lists for
/// it, made concrete. PUT sends back the record as the admin reads it; DELETE is left out
/// (the integration needs no Delete level, and deleting fixtures would break other probes).
pub async fn probes(app: &TestApp, function: Function, action: Action) -> Vec<Probe> {
    let mut out = Vec::new();
    // Actions change or answer things of their own: the stored routes and views probe a row.
    let rules = route_rules().into_iter().filter(|r| r.needs == Some((function, action)));
    for rule in rules.filter(|r| !matches!(r.served, "action" | "answered")) {
        // A route naming a record probes a record that exists; a collection with none (most
        // of the official surface, empty in the fixtures) is probed through its list only.
        let Some(path) = fill_existing(app, &rule.path).await else { continue };
        // A parent the fixtures lack (`/company/portalConfigurations/1/...`): nothing to probe.
        if openapi::SPEC.binary(&rule.path).is_none() && app.get(&path).await.status != 200 {
            continue;
        }
        let body = match rule.method {
            "GET" => None,
            "POST" => match create_body(&rule.path) {
                Some(b) => Some(b),
                None => continue,
            },
            "PATCH" => match patch_body(&rule.path) {
                Some(b) => Some(b),
                None => continue,
            },
            "PUT" => Some(app.get(&path).await.expect(200).body),
            _ => continue,
        };
        let method = Method::from_bytes(rule.method.as_bytes()).expect("an HTTP method");
        let binary = openapi::SPEC.binary(&rule.path).is_some();
        out.push(Probe { method, path, body, binary });
    }
    out
}

/// Runs a probe and returns its status and error message.
pub async fn run(app: &TestApp, creds: &Creds, probe: &Probe) -> (u16, String) {
    if probe.binary {
        // Bytes when allowed, a JSON error body when refused.
        let res = app.request(creds, probe.method.clone(), &probe.path).send().await.expect("the mock answers");
        let status = res.status().as_u16();
        let body: Value = serde_json::from_slice(&res.bytes().await.expect("a body")).unwrap_or_default();
        return (status, body["message"].as_str().unwrap_or_default().to_owned());
    }
    let res = app.call(creds, probe.method.clone(), &probe.path, probe.body.clone()).await;
    (res.status, res.message().to_owned())
}

/// The record at the item path `path`: its GET, or where the official table gives the item
/// no GET (an agreement's work-role exclusions, A24.31), its row of the list.
pub async fn record_at(app: &TestApp, path: &str) -> Value {
    let got = app.get(path).await;
    if got.status != 405 {
        return got.expect(200).body;
    }
    let (list, id) = path.rsplit_once('/').expect("an item path");
    let rows = app.get(&format!("{list}?conditions=id={id}")).await.expect(200).body;
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "GET {list} lists {id} once: {rows}");
    rows[0].clone()
}

/// `GET {path}` as the admin without the JSON invariants: for binary answers (PDFs, images).
/// Returns the status, the content type and the bytes.
pub async fn get_bytes(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let res = app.request(&app.admin, Method::GET, path).send().await.expect("the mock answers");
    let status = res.status().as_u16();
    let media = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, media, res.bytes().await.expect("a body").to_vec())
}

/// The id of a security role by name.
pub async fn role_id(app: &TestApp, name: &str) -> u64 {
    let found = app.get(&format!("/system/securityroles?conditions=name=\"{name}\"")).await.expect(200);
    found.body[0]["id"].as_u64().expect("a role with that name")
}

/// A realistic integration workload, as a synchronisation run makes it: read customers,
/// members, boards and reports; create and update agreements, additions, catalog items and
/// tickets.
pub async fn integration_workload(app: &TestApp, creds: &Creds) {
    let ok = |status: u16, what: &str| assert!((200..300).contains(&status), "{what} answered {status}");
    let call = |m: Method, p: String, b: Option<Value>| async move {
        let r = app.call(creds, m, &p, b).await;
        (r.status, r.body)
    };
    let (s, _) = call(Method::GET, "/company/companies?conditions=deletedFlag=false&pageSize=50".into(), None).await;
    ok(s, "companies");
    let (s, _) = call(Method::GET, "/system/members?fields=id,identifier".into(), None).await;
    ok(s, "members");
    let (s, _) = call(Method::GET, "/service/boards".into(), None).await;
    ok(s, "boards");
    let (s, _) = call(Method::GET, "/system/reports/Company?pageSize=10".into(), None).await;
    ok(s, "report");
    let (s, item) = call(Method::POST, "/procurement/catalog".into(), create_body("/procurement/catalog")).await;
    ok(s, "catalog create");
    // Updates touch records others entered too (existing agreements, items, tickets), so
    // the workload needs `All`, not `My`.
    for path in [format!("/procurement/catalog/{}", item["id"]), "/procurement/catalog/1".into()] {
        let (s, _) = call(Method::PATCH, path, patch_body("/procurement/catalog/{id}")).await;
        ok(s, "catalog patch");
    }
    let (s, _) = call(Method::GET, "/procurement/catalog?conditions=identifier like \"EPP%\"".into(), None).await;
    ok(s, "catalog list");
    let (s, agreement) = call(Method::POST, "/finance/agreements".into(), create_body("/finance/agreements")).await;
    ok(s, "agreement create");
    let id = &agreement["id"];
    for path in [format!("/finance/agreements/{id}"), "/finance/agreements/1".into()] {
        let (s, _) = call(Method::PATCH, path, patch_body("/finance/agreements/{id}")).await;
        ok(s, "agreement patch");
    }
    let (s, _) = call(Method::GET, "/finance/agreements?conditions=company/identifier=\"AcmeCorp\"".into(), None).await;
    ok(s, "agreements list");
    let additions = format!("/finance/agreements/{id}/additions");
    let (s, addition) =
        call(Method::POST, additions.clone(), create_body("/finance/agreements/{parentId}/additions")).await;
    ok(s, "addition create");
    let body = patch_body("/finance/agreements/{parentId}/additions/{id}");
    let (s, _) = call(Method::PATCH, format!("{additions}/{}", addition["id"]), body.clone()).await;
    ok(s, "addition patch");
    let (s, _) = call(Method::PATCH, "/finance/agreements/1/additions/1".into(), body).await;
    ok(s, "existing addition patch");
    let (s, _) = call(Method::GET, additions, None).await;
    ok(s, "additions list");
    let (s, _) = call(Method::POST, "/service/boards".into(), create_body("/service/boards")).await;
    ok(s, "board create");
    let (s, _) = call(Method::PATCH, "/service/boards/2".into(), patch_body("/service/boards/{id}")).await;
    ok(s, "board patch");
    let (s, ticket) = call(Method::POST, "/service/tickets".into(), create_body("/service/tickets")).await;
    ok(s, "ticket create");
    let body = patch_body("/service/tickets/{id}");
    for path in [format!("/service/tickets/{}", ticket["id"]), "/service/tickets/1".into()] {
        let (s, _) = call(Method::PATCH, path, body.clone()).await;
        ok(s, "ticket patch");
    }
    let (s, _) = call(Method::GET, "/service/tickets?conditions=status/name!=\"Closed\"".into(), None).await;
    ok(s, "ticket list");
}

/// Points a prepared request (auth, clientId, headers) at another URL, such as a `Link`
/// target or an `_info` href.
pub fn with_url(req: reqwest::RequestBuilder, url: &str) -> reqwest::RequestBuilder {
    let (client, req) = req.build_split();
    let mut req = req.expect("a request");
    *req.url_mut() = url.parse().expect("a URL");
    reqwest::RequestBuilder::from_parts(client, req)
}
