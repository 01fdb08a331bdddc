//! Issues 15 and 24: the official 2026.4 file and the 2025.1 file (every operation), read
//! from disk, enumerated path by path. Every `GET` answers the admin 200 with records valid
//! against their official schema (stored collections are not empty), every method the
//! official 2021.1 table and the 2025.1 file give a path is served, and every creatable
//! collection keeps what it is given and refuses what its schema forbids; what the table
//! lacks stays 404 or 405.

mod common;

use common::bodies::{
    complete_for_update, concrete, create_body_for, fixtures_with_every_collection, patch_for, reference_patch,
};
use common::get_bytes;
use common::openapi::{Answer, SPEC, key, max_length, validate};
use mock_connectwise::{TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};

async fn app() -> TestApp {
    TestApp::spawn_with(TestOptions { fixtures: fixtures_with_every_collection(), ..Default::default() }).await
}

/// Whether the official table lets clients create records at `path`.
fn creatable(path: &str) -> bool {
    SPEC.official_methods(path).is_some_and(|m| m.iter().any(|x| x == "POST"))
}

/// Lists a stored collection, creating a record first (as the generator makes it) when the
/// list is empty and the official table allows creating one.
async fn list_with_records(app: &TestApp, template: &str, path: &str) -> (u16, Value) {
    let first = app.get(path).await;
    // A child collection nobody can POST to has its fixture record under another parent.
    if first.body.as_array().is_some_and(Vec::is_empty) && !creatable(template) {
        if let Some((parent, rest)) = template.split_once("/{parentId}") {
            let parents = app.get(&format!("{parent}?pageSize=1000")).await;
            for id in parents.body.as_array().into_iter().flatten().filter_map(|p| p["id"].as_u64()) {
                let other = app.get(&format!("{parent}/{id}{rest}")).await;
                if other.body.as_array().is_some_and(|a| !a.is_empty()) {
                    return (other.status, other.body);
                }
            }
        }
    }
    if first.body.as_array().is_some_and(Vec::is_empty)
        && SPEC.collection_schema(template).is_some()
        && creatable(template)
    {
        if let Some(body) = create_body_for(app, template, path).await {
            app.call(&app.admin, Method::POST, path, Some(body)).await.expect(201);
            let again = app.get(path).await;
            return (again.status, again.body);
        }
    }
    (first.status, first.body)
}

#[tokio::test]
async fn every_get_path_of_the_official_file_answers_200_with_records_valid_against_its_schema() {
    let app = app().await;
    let (mut answered, mut records, mut non_empty_lists, mut unstored) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for (template, answer) in &SPEC.get_paths {
        let Some(path) = concrete(&app, template).await else {
            if unseedable(template) {
                unstored += 1;
            } else {
                failures.push(format!("{template}: no record to name"));
            }
            continue;
        };
        let mut errors = Vec::new();
        match answer {
            Answer::Binary(media) => {
                let (status, got, bytes) = get_bytes(&app, &path).await;
                if status != 200 || !got.starts_with(media.as_str()) || bytes.is_empty() {
                    errors.push(format!("{status} {got} with {} bytes, want 200 {media}", bytes.len()));
                }
            }
            // The file calls `/sales/opportunities/{parentId}/notes/count` a list of notes; a
            // count is what every `/count` answers.
            Answer::Array(_) | Answer::One(_) if template.ends_with("/count") => {
                let res = app.get(&path).await;
                match res.status {
                    200 => validate("Count", &res.body, "", &mut errors),
                    s => errors.push(format!("{s}: {}", res.body)),
                }
            }
            // The 2025.1 file calls a few items of stored collections (a product's
            // components) and `/system/info` lists; the mock answers the one record (A24.9).
            Answer::Array(schema) if stored_item(template) || template == "/system/info" => {
                let res = app.get(&path).await;
                match res.status {
                    200 => validate(schema, &res.body, "", &mut errors),
                    s => errors.push(format!("{s}: {}", res.body)),
                }
                records += 1;
            }
            Answer::Array(schema) => {
                let (status, body) = list_with_records(&app, template, &path).await;
                match (status, body.as_array()) {
                    (200, Some(items)) => {
                        let stored = SPEC.collection_schema(template).is_some();
                        if stored && items.is_empty() && !unseedable(template) {
                            errors.push("a stored collection with no record".into());
                        }
                        non_empty_lists += usize::from(!items.is_empty());
                        for (i, item) in items.iter().enumerate() {
                            validate(schema, item, &format!("[{i}]"), &mut errors);
                            records += 1;
                        }
                    }
                    _ => errors.push(format!("{status}, not a list: {body}")),
                }
            }
            Answer::One(schema) => {
                let res = app.get(&path).await;
                if res.status == 404 && res.body["code"] == "NotFound" && names_nothing_stored(template) {
                    unstored += 1;
                } else if res.status == 200 {
                    validate(schema, &res.body, "", &mut errors);
                    records += 1;
                } else {
                    errors.push(format!("{}: {}", res.status, res.body));
                }
            }
        }
        if errors.is_empty() {
            answered += 1;
        } else {
            failures.push(format!("GET {path} ({template}):\n    {}", errors.join("\n    ")));
        }
    }
    println!(
        "{} GET paths, {answered} answered 200 with valid bodies; {records} records validated; {non_empty_lists} lists had records",
        SPEC.get_paths.len()
    );
    assert!(failures.is_empty(), "{} paths failed:\n{}", failures.len(), failures.join("\n"));
    println!("{unstored} item paths name records no collection stores");
    assert_eq!(SPEC.get_paths.len(), 1710, "324 GET paths of the 2026.4 file and 1,386 more of the 2025.1 file");
    assert!(answered >= 1700, "only {answered} GET paths answered");
    assert!(records >= 1000, "only {records} records validated");
    assert!(non_empty_lists >= 450, "only {non_empty_lists} lists had records");
    assert!(unstored <= 40, "{unstored} item paths name nothing stored");
}

/// A grandchild collection nobody can POST to (`/service/boards/{}/items/{}/associations`):
/// the generated fixtures seed children one level deep only, so it stays empty.
fn unseedable(template: &str) -> bool {
    let list = template.trim_end_matches('/').trim_end_matches("/{id}");
    list.matches('{').count() > 1 && !creatable(list)
}

/// Whether `template` is the item route of a stored collection.
fn stored_item(template: &str) -> bool {
    let t = template.trim_end_matches('/');
    t.ends_with('}') && t.rsplit_once('/').is_some_and(|(list, _)| SPEC.collection_schema(list).is_some())
}

/// Whether the last id of an item path names a record of no stored collection (the mock
/// answers 404 for every id there, A24.8).
fn names_nothing_stored(template: &str) -> bool {
    let Some((list, _)) = template.trim_end_matches('/').rsplit_once('/') else { return false };
    template.trim_end_matches('/').ends_with('}') && SPEC.collection_schema(list).is_none() && {
        let bare: String = list.split('/').filter(|s| !s.eq_ignore_ascii_case("info")).collect::<Vec<_>>().join("/");
        SPEC.collection_schema(&bare).is_none()
    }
}

/// Every `*_href` of `_info` maps in `v`, at any depth.
fn hrefs(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match x.as_str() {
                    Some(href) if k.ends_with("_href") => {
                        out.insert(href.to_owned());
                    }
                    _ => hrefs(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| hrefs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_link_a_record_of_the_surface_carries_answers_200() {
    let app = app().await;
    let mut links = std::collections::BTreeSet::new();
    for (template, answer) in &SPEC.get_paths {
        if matches!(answer, Answer::Binary(_)) {
            continue;
        }
        let Some(path) = concrete(&app, template).await else {
            assert!(unseedable(template), "{template}: no record to name");
            continue;
        };
        hrefs(&app.get(&path).await.body, &mut links);
    }
    let mut broken = Vec::new();
    for link in &links {
        let res = app.send(common::with_url(app.request(&app.admin, Method::GET, ""), link)).await;
        if res.status != 200 {
            broken.push(format!("{link}: {} {}", res.status, res.body));
        }
    }
    println!("{} distinct links followed", links.len());
    assert!(broken.is_empty(), "{} broken links:\n{}", broken.len(), broken.join("\n"));
    assert!(links.len() >= 30, "only {} links", links.len());
}

/// A fresh record of the collection of an item route, made as the admin.
async fn fresh_item(app: &TestApp, item: &str) -> Result<String, String> {
    let template = item.rsplit_once('/').map_or(item, |(c, _)| c);
    let collection = concrete(app, template).await.ok_or("no parent")?;
    let body = create_body_for(app, template, &collection).await.ok_or("no body")?;
    let created = app.call(&app.admin, Method::POST, &collection, Some(body.clone())).await;
    match created.status {
        201 => Ok(format!("{collection}/{}", created.body["id"])),
        s => Err(format!("POST {collection} {body}: {s} {}", created.body)),
    }
}

fn m_of(method: &str) -> Method {
    Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET)
}

/// The status wanted of `method` on a path of the file, and the call made.
async fn call_method(app: &TestApp, template: &str, method: &str) -> Result<(u16, u16, String), String> {
    let is_item = template.ends_with('}');
    let stored = SPEC.collection_schema(template).is_some()
        || template.rsplit_once('/').is_some_and(|(c, _)| is_item && SPEC.collection_schema(c).is_some());
    let path = concrete(app, template).await.ok_or("no record to name")?;
    let (m, path, body, want) = match method {
        "POST" if stored && !is_item => {
            let body = create_body_for(app, template, &path).await.ok_or("no body")?;
            (Method::POST, path, Some(body), 201)
        }
        // `POST /forecast/{id}` replaces the record, as PUT does (A15.6).
        "POST" if stored && is_item => {
            let current = app.get(&path).await;
            (Method::POST, path, Some(current.body), 200)
        }
        "POST" => (Method::POST, path, Some(json!({})), 0),
        // An action or a path nothing is stored behind: served, whatever it answers.
        "PUT" | "PATCH" if !stored => {
            (m_of(method), path, Some(if method == "PUT" { json!({}) } else { json!([]) }), 0)
        }
        "PUT" => {
            let mut current = app.get(&path).await.body;
            complete_for_update(template, &mut current);
            (Method::PUT, path, Some(current), 200)
        }
        // On a collection's own path the operations apply to each of its records (A15.6).
        "PATCH" if !is_item => {
            (Method::PATCH, path, Some(patch_for(&format!("{template}/{{id}}")).ok_or("no patch")?), 200)
        }
        // A record with no plain field to change (references only): no operation changes nothing.
        "PATCH" => {
            let body = match patch_for(template) {
                Some(body) => body,
                None => reference_patch(&app.get(&path).await.body).ok_or("no patch")?,
            };
            (Method::PATCH, path, Some(body), 200)
        }
        // A record nobody can create is not deleted from the shared fixtures: an unknown id
        // proves the route (404 naming the record, not the path).
        "DELETE" if stored && is_item && !creatable(template.rsplit_once('/').map_or("", |(c, _)| c)) => {
            let (list, _) = path.rsplit_once('/').ok_or("no id")?;
            (Method::DELETE, format!("{list}/999999"), None, 404)
        }
        "DELETE" if stored && is_item => (Method::DELETE, fresh_item(app, template).await?, None, 204),
        "DELETE" if stored => (Method::DELETE, path, None, 204),
        "DELETE" => (Method::DELETE, path, None, 0),
        other => return Err(format!("unexpected method {other}")),
    };
    let res = app.call(&app.admin, m.clone(), &path, body.clone()).await;
    let detail = format!("{m} {path} {}: {} {}", body.unwrap_or_default(), res.status, res.body);
    Ok((want, res.status, detail))
}

#[tokio::test]
async fn every_method_the_official_table_gives_a_path_of_the_file_is_served() {
    let app = app().await;
    let (mut served, mut failures) = (0, Vec::new());
    for (template, _) in &SPEC.get_paths {
        let methods = SPEC.official_methods(template).map(<[String]>::to_vec).unwrap_or_default();
        for method in methods.iter().filter(|m| *m != "GET") {
            match call_method(&app, template, method).await {
                Ok((want, got, detail)) => {
                    let ok = if want == 0 { got != 404 && got != 405 && got < 500 } else { got == want };
                    if ok {
                        served += 1;
                    } else {
                        failures.push(format!("{template}: {detail}"));
                    }
                }
                Err(_) if unseedable(template.trim_end_matches("/{id}")) => {}
                Err(e) => failures.push(format!("{method} {template}: {e}")),
            }
        }
    }
    println!("{served} non-GET methods of the official table and the 2025.1 file served");
    assert!(failures.is_empty(), "{} methods failed:\n{}", failures.len(), failures.join("\n"));
    assert!(served >= 1200, "only {served} methods served");
}

#[tokio::test]
async fn paths_the_official_table_lacks_are_404_and_methods_it_lacks_are_405() {
    let app = app().await;
    for path in ["/service/nothing", "/company/companies/1/nothing", "/finance/agreements/1/additions/1/nothing"] {
        assert!(SPEC.official_methods(path).is_none(), "{path} is in the table");
        let res = app.get(path).await;
        assert_eq!((res.status, res.body["code"].as_str()), (404, Some("NotFound")), "{path}");
    }
    let cases = [
        (Method::DELETE, "/system/members/2"),
        (Method::POST, "/company/companies/1/usages"),
        (Method::PUT, "/service/boards/1/statuses/count"),
        (Method::PATCH, "/finance/agreements/count"),
        (Method::DELETE, "/system/info"),
    ];
    for (method, path) in cases {
        let official = SPEC.official_methods(path).unwrap_or_default();
        assert!(!official.iter().any(|m| m == method.as_str()), "{method} {path} is in the table: {official:?}");
        let res = app.call(&app.admin, method.clone(), path, Some(json!({}))).await;
        assert_eq!((res.status, res.body["code"].as_str()), (405, Some("MethodNotAllowed")), "{method} {path}");
    }
    assert_eq!(key("/Service/Boards/{parentId}/statuses/"), "/service/boards/{}/statuses");
}

/// Whether `got` (as read back) holds what `sent` set: a reference by its id or identifier.
fn holds(sent: &Value, got: &Value) -> bool {
    match sent {
        Value::Object(r) if r.contains_key("id") => got["id"] == r["id"],
        Value::Object(r) if r.contains_key("identifier") => got["identifier"] == r["identifier"],
        Value::Object(r) => r.iter().all(|(k, v)| holds(v, &got[k])),
        other => got == other,
    }
}

/// Variants of a valid body that the schema makes invalid: each required property left out,
/// a string one character over its ` Max length: N;`, a value outside an enum.
fn invalid_variants(schema: &str, body: &Value) -> Vec<(String, Value)> {
    let s = SPEC.schema(schema).expect("the collection's schema");
    let mut out = Vec::new();
    for r in s["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        let mut b = body.clone();
        if b.as_object_mut().and_then(|o| o.remove(r)).is_some() {
            out.push((format!("without {r}"), b));
        }
    }
    let props = s["properties"].as_object().expect("properties");
    let plain = |p: &Value| p["type"] == "string" && p.get("format").is_none() && p.get("enum").is_none();
    if let Some((k, max)) = props.iter().find_map(|(k, p)| max_length(p).filter(|_| plain(p)).map(|m| (k, m))) {
        let mut b = body.clone();
        b[k] = json!("x".repeat(max + 1));
        out.push((format!("{k} over {max} characters"), b));
    }
    if let Some(k) = props.iter().find_map(|(k, p)| p.get("enum").map(|_| k)) {
        let mut b = body.clone();
        b[k] = json!("NotAValueOfTheEnum");
        out.push((format!("{k} outside its enum"), b));
    }
    out
}

#[tokio::test]
async fn every_creatable_collection_keeps_what_it_is_given_and_refuses_what_its_schema_forbids() {
    let app = app().await;
    let (mut created, mut refused, mut failures) = (0, 0, Vec::new());
    let collections: Vec<(String, String)> = SPEC.collections.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
    for (template, schema) in collections.iter().filter(|(k, _)| creatable(k)) {
        let path = concrete(&app, template).await.expect("a parent");
        let body = create_body_for(&app, template, &path).await.expect("a body");
        let made = app.call(&app.admin, Method::POST, &path, Some(body.clone())).await;
        if made.status != 201 {
            failures.push(format!("POST {path} {body}: {} {}", made.status, made.body));
            continue;
        }
        created += 1;
        let read = common::record_at(&app, &format!("{path}/{}", made.body["id"])).await;
        // Secrets are write-only (an integrator login's password).
        for (k, v) in body.as_object().into_iter().flatten().filter(|(k, _)| *k != "password") {
            if !holds(v, &read[k]) {
                failures.push(format!("{path}: {k} sent {v}, read back {}", read[k]));
            }
        }
        for (what, bad) in invalid_variants(schema, &body) {
            let res = app.call(&app.admin, Method::POST, &path, Some(bad)).await;
            match res.status {
                400 => refused += 1,
                s => failures.push(format!("POST {path} {what}: {s} {}", res.body)),
            }
        }
    }
    println!("{created} collections created a record; {refused} invalid bodies refused with 400");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(created >= 275 && refused >= 700, "{created} created, {refused} refused");
}
