//! Request bodies for ANY collection, generated from the official schema ([`super::openapi`])
//! rather than from the mock's code: every `required` property filled (strings within their
//! ` Max length: N;`, an enum's first value, numbers, booleans, date-times), and every
//! `...Reference` pointing at a record that exists, found by listing its collection as the
//! admin (or created there first, the same way). Hand-written bodies of
//! [`super::create_body`] and [`super::patch_body`] win where they exist.

#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::{Map, Value, json};

use super::openapi::{SPEC, key, max_length, parent_alias, ref_name};
use super::unique;

/// Ids already chosen, by collection key (`/service/boards` → `3`): a record's references and
/// its path agree (a status of the board the ticket is on, a note of the ticket in the path).
pub type Ctx = HashMap<String, String>;

type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How deep the generator may go creating records that references need.
const MAX_DEPTH: u8 = 5;

/// `template` with every placeholder filled by the id of a record that exists (created through
/// POST where the collection is empty), with the ids chosen; `None` when one cannot be found.
pub async fn concrete(app: &TestApp, template: &str) -> Option<String> {
    fill(app, template, Ctx::new(), 0).await.map(|(p, _)| p)
}

fn fill<'a>(app: &'a TestApp, template: &'a str, ctx: Ctx, depth: u8) -> Fut<'a, Option<(String, Ctx)>> {
    Box::pin(async move {
        let mut ctx = ctx;
        let (mut out, mut tmpl) = (String::new(), String::new());
        for seg in template.trim_matches('/').split('/') {
            // `types{id}`: an id run into a literal, as two paths of the official table write it.
            if let Some(at) = seg.find('{').filter(|&at| at > 0) {
                out = format!("{out}/{}1", &seg[..at]);
                tmpl = format!("{tmpl}/{}{{}}", seg[..at].to_ascii_lowercase());
                continue;
            }
            if !seg.starts_with('{') {
                out = format!("{out}/{seg}");
                tmpl = format!("{tmpl}/{}", seg.to_ascii_lowercase());
                continue;
            }
            let id = match seg {
                s if s.starts_with("{memberIdentifier") => "jdoe".to_owned(),
                "{reportName}" => "Member".to_owned(),
                "{podId}" => "1".to_owned(),
                "{catalogItemIdentifier}" => {
                    app.get("/procurement/catalog?pageSize=1").await.body[0]["identifier"].as_str()?.to_owned()
                }
                _ => match ctx.get(&tmpl) {
                    Some(id) => id.clone(),
                    None if parent_alias(&tmpl).is_some() => {
                        let to = parent_alias(&tmpl)?;
                        existing_id(app, to, to, &ctx, depth).await?
                    }
                    // An `/info` path's id names a record of the collection without `/info`.
                    None if SPEC.collection_schema(&tmpl).is_none()
                        && SPEC.collection_schema(&bare(&tmpl)).is_some() =>
                    {
                        existing_id(app, &bare(&tmpl), &bare(&out), &ctx, depth).await?
                    }
                    // A view's id that names no stored collection (`/company/contact/types/{id}/usages/list`).
                    None if SPEC.collection_schema(&tmpl).is_none() => "1".to_owned(),
                    None => existing_id(app, &tmpl, &out, &ctx, depth).await?,
                },
            };
            ctx.insert(tmpl.clone(), id.clone());
            out = format!("{out}/{id}");
            tmpl.push_str("/{}");
        }
        Some((out, ctx))
    })
}

/// A path without its `info` segments: `/system/info/links` → `/system/links`.
fn bare(path: &str) -> String {
    path.split('/').filter(|s| !s.eq_ignore_ascii_case("info")).collect::<Vec<_>>().join("/")
}

/// The id of the first record of `collection` (a concrete path), or of one created there.
async fn existing_id(app: &TestApp, tmpl: &str, collection: &str, ctx: &Ctx, depth: u8) -> Option<String> {
    let list = app.get(&format!("{collection}?pageSize=1")).await;
    if list.status == 200 {
        if let Some(id) = list.body[0]["id"].as_u64() {
            return Some(id.to_string());
        }
    }
    if depth >= MAX_DEPTH {
        return None;
    }
    let body = match super::create_body(tmpl) {
        Some(hand) => hand,
        None => generate(app, tmpl, collection, ctx.clone(), depth + 1).await?,
    };
    let created = app.call(&app.admin, Method::POST, collection, Some(body.clone())).await;
    if created.status != 201 {
        eprintln!("no record in {collection}: POST {body} answered {} {}", created.status, created.body);
    }
    created.body["id"].as_u64().filter(|_| created.status == 201).map(|id| id.to_string())
}

/// A valid POST body for the collection `collection` (a concrete path) whose route is
/// `template`: the hand-written one where there is one, else one generated from the schema.
pub async fn create_body_for(app: &TestApp, template: &str, collection: &str) -> Option<Value> {
    if let Some(body) = super::create_body(template) {
        return Some(body);
    }
    let ctx = path_ctx(template, collection);
    generate(app, &key(template), collection, ctx, 0).await
}

/// The ids a concrete path gives its placeholders, by collection key.
fn path_ctx(template: &str, concrete: &str) -> Ctx {
    let mut ctx = Ctx::new();
    let mut tmpl = String::new();
    for (t, c) in template.trim_matches('/').split('/').zip(concrete.trim_matches('/').split('/')) {
        if t.starts_with('{') {
            ctx.insert(tmpl.clone(), c.to_owned());
            tmpl.push_str("/{}");
        } else {
            tmpl = format!("{tmpl}/{}", t.to_ascii_lowercase());
        }
    }
    ctx
}

fn generate<'a>(app: &'a TestApp, tmpl: &'a str, collection: &'a str, ctx: Ctx, depth: u8) -> Fut<'a, Option<Value>> {
    Box::pin(async move {
        let schema = SPEC.collection_schema(tmpl)?;
        // A child's id field (`ticketId`, `agreementId`) holds the parent's id.
        let parent = collection.rsplit('/').nth(1).and_then(|s| s.parse::<u64>().ok());
        let mut ctx = ctx;
        object(app, schema, &mut ctx, parent, depth).await
    })
}

fn object<'a>(
    app: &'a TestApp,
    name: &'a str,
    ctx: &'a mut Ctx,
    parent: Option<u64>,
    depth: u8,
) -> Fut<'a, Option<Value>> {
    Box::pin(async move {
        let schema = SPEC.schema(name)?;
        let required: Vec<&str> =
            schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let mut out = Map::new();
        // In the file's order, so a ticket's board is chosen before its status.
        for (prop, p) in schema["properties"].as_object().into_iter().flatten() {
            // Fields required on updates too, so that the record read back can be PUT.
            let on_update = p["description"].as_str().is_some_and(|d| d.contains("Required On Updates"));
            if on_update || required.iter().any(|r| r.eq_ignore_ascii_case(prop)) {
                let v = value(app, prop, p, ctx, parent, depth).await?;
                out.insert(prop.clone(), v);
            }
        }
        Some(Value::Object(out))
    })
}

async fn value(app: &TestApp, prop: &str, p: &Value, ctx: &mut Ctx, parent: Option<u64>, depth: u8) -> Option<Value> {
    if let Some(r) = ref_name(p) {
        if !r.ends_with("Reference") {
            return object(app, r, ctx, None, depth + 1).await;
        }
        let Some(coll) = SPEC.reference_collection(r) else { return Some(json!({ "id": 1 })) };
        let (path, chosen) = fill(app, &format!("{coll}/{{}}"), ctx.clone(), depth).await?;
        ctx.extend(chosen);
        let id: u64 = path.rsplit('/').next()?.parse().ok()?;
        return Some(json!({ "id": id }));
    }
    if let Some(first) = p["enum"].as_array().and_then(|e| e.first()) {
        return Some(first.clone());
    }
    Some(match (p["type"].as_str(), p["format"].as_str()) {
        (Some("string"), Some("date-time")) => json!("2024-01-01T00:00:00Z"),
        (Some("string"), _) => json!(short(&unique("G"), max_length(p))),
        (Some("integer"), _) => json!(parent.filter(|_| prop.ends_with("Id")).unwrap_or(1)),
        (Some("number"), _) => json!(1.0),
        (Some("boolean"), _) => json!(false),
        (Some("array"), _) => json!([]),
        _ => json!({}),
    })
}

/// `s` cut to at most `max` characters, keeping its unique tail.
fn short(s: &str, max: Option<usize>) -> String {
    match max {
        Some(m) if s.len() > m => s[s.len() - m.max(1)..].to_owned(),
        _ => s.to_owned(),
    }
}

/// Properties a PATCH may change without consequences elsewhere, by preference.
const HARMLESS: &[&str] = &["notes", "description", "internalNotes", "note", "text", "comment", "name", "title"];

/// A PATCH document for an item route (`.../{id}`): the hand-written one where there is one,
/// else a `replace` of a harmless optional string property of the collection's schema.
pub fn patch_for(template: &str) -> Option<Value> {
    if let Some(body) = super::patch_body(template) {
        return Some(body);
    }
    let collection = template.rsplit_once('/')?.0;
    let schema = SPEC.schema(SPEC.collection_schema(collection)?)?;
    let required: Vec<&str> = schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let props = schema["properties"].as_object()?;
    let string = |name: &str, optional: bool| {
        props.get(name).is_some_and(|p| {
            p["type"] == "string"
                && p.get("format").is_none()
                && p.get("enum").is_none()
                && !(optional && required.contains(&name))
        })
    };
    let field = HARMLESS
        .iter()
        .map(|s| (*s).to_owned())
        .find(|h| string(h, true))
        .or_else(|| props.keys().find(|k| string(k, true) && !k.ends_with("Id")).cloned())
        // Only required strings (a custom note's text): a new value for one of them.
        .or_else(|| props.keys().find(|k| string(k, false) && !k.ends_with("Id")).cloned());
    let Some(field) = field else {
        // No string at all (a forecast): a flag, else a number.
        let optional = |ty: &str| props.keys().find(|k| props[*k]["type"] == ty && !required.contains(&k.as_str()));
        let (field, value) = match optional("boolean") {
            Some(flag) => (flag, json!(false)),
            None => (optional("number").or_else(|| optional("integer").filter(|k| *k != "id"))?, json!(1)),
        };
        return Some(json!([{ "op": "replace", "path": field, "value": value }]));
    };
    let value = short(&unique("Patched "), max_length(&props[&field]));
    Some(json!([{ "op": "replace", "path": field, "value": value }]))
}

/// The default fixture set (`fixtures/default/cwmock.json`) plus one record in every
/// collection the official table gives no POST (agreement recaps, teams, time sheets, ...),
/// so every route of the surface has a record to name. Records are generated from the schema
/// like POST bodies, their references pointing at record 1.
pub fn fixtures_with_every_collection() -> mock_connectwise::FixtureSet {
    let path = format!("{}/../fixtures/default/cwmock.json", env!("CARGO_MANIFEST_DIR"));
    let mut tenant: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("the default fixtures"))
        .expect("the default fixtures are JSON");
    let seeded: Vec<String> =
        tenant["collections"].as_array().into_iter().flatten().filter_map(|c| c["path"].as_str().map(key)).collect();
    let mut added = Vec::new();
    // Records of the 2025.1 file name an integrator login (`/company/management`): one to name.
    if !seeded.iter().any(|c| c == "/system/integratorlogins") {
        let mut login = fixture_record("IntegratorLogin");
        login["username"] = json!("fixture-login");
        login["password"] = json!("Fixture-Login-Passw0rd");
        added.push(json!({ "path": "/system/integratorlogins", "records": [login] }));
    }
    for (coll, schema) in &SPEC.collections {
        let creatable = SPEC.official_methods(coll).is_some_and(|m| m.iter().any(|x| x == "POST"));
        // Reports are API reports, not records (`/system/reports/{reportName}`).
        if creatable || seeded.contains(coll) || coll.matches('{').count() > 1 || coll == "/system/reports" {
            continue;
        }
        let record = fixture_record(schema);
        let entry = match coll.rsplit_once("/{}/") {
            // A child nests in the parent's first fixture record, where it has one (the record
            // a path names first), under its last path segment.
            Some((parent, child)) if first_record(&mut tenant, &mut added, parent).is_some() => {
                if let Some(first) = first_record(&mut tenant, &mut added, parent) {
                    first[child] = json!([record]);
                }
                continue;
            }
            // Else in a new record of its parent.
            Some((parent, child)) => {
                let Some(pschema) = SPEC.collection_schema(parent) else { continue };
                let mut p = fixture_record(pschema);
                p[child] = json!([record]);
                json!({ "path": parent, "records": [p] })
            }
            None => json!({ "path": coll, "records": [record] }),
        };
        added.push(entry);
    }
    tenant["collections"].as_array_mut().expect("a collections array").extend(added);
    mock_connectwise::FixtureSet::from_json_str("fixtures with every collection", &tenant.to_string())
        .expect("the generated fixtures load")
}

/// The first fixture record of the collection `key`, among the default fixtures and those added.
fn first_record<'a>(tenant: &'a mut Value, added: &'a mut [Value], key_of: &str) -> Option<&'a mut Value> {
    let seeded = tenant["collections"].as_array_mut()?.iter_mut();
    seeded
        .chain(added.iter_mut())
        .find(|c| c["path"].as_str().is_some_and(|p| key(p) == key_of))
        .and_then(|c| c["records"].as_array_mut()?.first_mut())
}

/// A record of `schema` with its required fields, references to record 1.
fn fixture_record(schema: &str) -> Value {
    let Some(s) = SPEC.schema(schema) else { return json!({}) };
    let required: Vec<&str> = s["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let mut out = Map::new();
    for (prop, p) in s["properties"].as_object().into_iter().flatten() {
        if !required.contains(&prop.as_str()) {
            continue;
        }
        let v = match ref_name(p) {
            Some(r) if r.ends_with("Reference") => json!({ "id": 1 }),
            Some(r) => fixture_record(r),
            None => match p["enum"].as_array().and_then(|e| e.first()) {
                Some(first) => first.clone(),
                None => match (p["type"].as_str(), p["format"].as_str()) {
                    (Some("string"), Some("date-time")) => json!("2024-01-01T00:00:00Z"),
                    (Some("string"), _) => json!(short(&unique("F"), max_length(p))),
                    (Some("integer"), _) => json!(1),
                    (Some("number"), _) => json!(1.0),
                    (Some("boolean"), _) => json!(false),
                    (Some("array"), _) => json!([]),
                    _ => json!({}),
                },
            },
        };
        out.insert(prop.clone(), v);
    }
    Value::Object(out)
}

/// A record of references only (a type association): one of them set to what it holds.
pub fn reference_patch(current: &Value) -> Option<Value> {
    let obj = current.as_object()?;
    if let Some((k, v)) = obj.iter().find(|(k, v)| *k != "_info" && v.get("id").is_some()) {
        return Some(json!([{ "op": "replace", "path": k, "value": { "id": v["id"] } }]));
    }
    // Else any plain value, set to what it holds.
    let (k, v) = obj.iter().find(|(k, v)| *k != "id" && (v.is_boolean() || v.is_number() || v.is_string()))?;
    Some(json!([{ "op": "replace", "path": k, "value": v }]))
}

/// Fields the schema marks `Required On Updates;` that a record read back lacks (the server's
/// own numbering and defaults the mock does not derive yet: an invoice's `invoiceNumber`, a
/// time entry's `billableOption`), filled so the PUT tests the route, not the derivation.
pub fn complete_for_update(template: &str, current: &mut Value) {
    let list = template.trim_end_matches('/').rsplit_once('/').map_or("", |(c, _)| c);
    let Some(schema) = SPEC.collection_schema(list).and_then(|s| SPEC.schema(s)) else { return };
    for (k, p) in schema["properties"].as_object().into_iter().flatten() {
        let on_update = p["description"].as_str().is_some_and(|d| d.contains("Required On Updates"));
        if !on_update || !current[k].is_null() {
            continue;
        }
        current[k] = match (p["enum"].as_array(), p["type"].as_str()) {
            (Some(values), _) => values[0].clone(),
            (_, Some("integer" | "number")) => json!(1),
            (_, Some("boolean")) => json!(false),
            (_, Some("string")) => json!("U1"),
            _ => json!({ "id": 1 }),
        };
    }
}
