//! The views of the official surface ([`crate::resources::registry::View`]): `/info`
//! projections of a collection, a collection's `/default`, and the lists, counts, objects and
//! binaries the mock keeps nothing behind; a service ticket's `/products` lists the product
//! items (`/procurement/products`) whose `ticket` is that ticket. A path that names a record
//! (`/{id}/usages`, `/{parentId}/products`) answers 404 when the caller cannot see that
//! record, as the collection's own routes do. An item path whose id names a record of no
//! stored collection answers 404 (A24.8), or, in a populated mock, a generated record (A24.44).

use serde_json::{Map, Value, json};

use super::actions::sample;
use super::endpoints::{Call, Reply};
use super::error::ApiError;
use super::routes::Param;
use crate::query::Filter;
use crate::query::conditions;
use crate::resources::Res;
use crate::resources::registry::{self, Shape, View, ViewKind};
use crate::schema::schema;
use crate::store::Listed;
use crate::store::records::to_bytes;

/// A one-page PDF with nothing on it: what `/finance/invoices/{id}/pdf` answers.
pub(super) const EMPTY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A 1×1 transparent PNG: a contact's or priority's image.
pub(super) const EMPTY_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00, 0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn ints(call: &Call<'_>) -> Vec<u32> {
    call.params
        .iter()
        .filter_map(|p| match p {
            Param::Int(n) => Some(*n),
            Param::Text(_) => None,
        })
        .collect()
}

/// `(parent, id)` of the record the path names through `owner` (the `n`th placeholder).
fn named_record(call: &Call<'_>, res: Res, n: usize) -> Option<(Option<u32>, u32)> {
    let ids = ints(call);
    let id = *ids.get(n)?;
    let parent = match res.info().parent {
        Some(_) => Some(*ids.get(n.checked_sub(1)?)?),
        None => None,
    };
    Some((parent, id))
}

/// Serves view `index` of the registry.
pub(super) fn serve(call: &Call<'_>, index: usize) -> Result<Reply, ApiError> {
    let Some(view) = registry::get().views.get(index) else {
        return Err(ApiError::internal(&format!("no view {index}")));
    };
    let owner = check_owner(call, view)?;
    if names_nothing_stored(view) {
        // A record the mock stores nothing for: no id names one (A24.8).
        let id = ints(call).last().copied().unwrap_or(0);
        let title = match view.kind {
            ViewKind::Object(name) | ViewKind::Empty { schema: name, .. } => name,
            _ => "Record",
        };
        // A populated mock has a record behind every path a client can name (A24.44).
        let store = &call.app.store;
        let generated = crate::schema::SCHEMAS
            .named(title)
            .filter(|_| store.populated() && id > 0)
            .and_then(|s| store.view_record(call.company(), s, id));
        if let Some(record) = generated {
            return Ok(Reply::value(&record));
        }
        return Err(ApiError::not_found(format!("{title} {id} not found")));
    }
    if let (ViewKind::Empty { schema: "ProductReference", shape }, Some((Res::Tickets, _)), Some((_, id))) =
        (view.kind, view.owner, owner)
    {
        return ticket_products(call, id, shape);
    }
    if let (true, Some((tickets, _)), Some((_, id))) = (view.path.ends_with("/allNotes"), view.owner, owner) {
        return all_notes(call, tickets, id, view.kind);
    }
    match view.kind {
        ViewKind::Projection { res, schema: name, shape, active } => projection(call, res, name, shape, active),
        ViewKind::Default(res) => {
            // Every required property with a plain value, then the server's defaults (A24.10).
            let mut obj = match sample(res.schema(), None, 1) {
                Value::Object(o) => o,
                _ => Map::new(),
            };
            for (name, default) in res.info().defaults {
                obj.insert((*name).to_owned(), default.to_json());
            }
            crate::store::derived::default_flags(res.schema(), &mut obj);
            Ok(Reply::value(&Value::Object(obj)))
        }
        ViewKind::Empty { schema: name, shape } => {
            let noun = name;
            match shape {
                Shape::Count => Ok(Reply::value(&json!({ "count": 0 }))),
                // One object the mock keeps nothing for (`/service/scheduling/members/{id}/info`).
                Shape::One => Ok(Reply::value(&json!({}))),
                _ => {
                    let q = call.list_query(schema(name), noun)?;
                    let listed = Listed { body: b"[]".to_vec(), total: 0, last_id: None, others: false };
                    Ok(call.list_reply(listed, &q.paging))
                }
            }
        }
        ViewKind::Object(name) => {
            // Its `id` where the path names a record, and every required property (A24.10).
            let id = owner.map(|(_, id)| id);
            Ok(Reply::value(&sample(schema(name), id, 2)))
        }
        ViewKind::Binary(media) => Ok(binary(media)),
    }
}

/// The bytes of a binary answer: an empty PDF, a 1×1 PNG, or a small document of the
/// declared type.
pub(super) fn binary(media: &str) -> Reply {
    if media.contains("pdf") {
        Reply::bytes(EMPTY_PDF.to_vec(), "application/pdf")
    } else if media.is_empty() || media.contains("image") {
        Reply::bytes(EMPTY_PNG.to_vec(), "image/png")
    } else {
        Reply::bytes(b"mock-connectwise document\n".to_vec(), "application/octet-stream")
    }
}

/// Whether the view's last segment is an id of a record no collection stores (an object or
/// an item of a list the mock keeps nothing behind).
fn names_nothing_stored(view: &View) -> bool {
    let one = matches!(view.kind, ViewKind::Object(_) | ViewKind::Empty { shape: Shape::One, .. });
    let placeholders = view.path.matches('{').count();
    let last_is_id = view.path.trim_end_matches('/').ends_with('}');
    one && last_is_id && view.owner.is_none_or(|(_, n)| n + 1 != placeholders)
}

/// The record the path names, checked to exist and be visible to the caller.
fn check_owner(call: &Call<'_>, view: &View) -> Result<Option<(Option<u32>, u32)>, ApiError> {
    named(call, view.owner)
}

/// `(parent, id)` of the record a path names through `owner`, checked to exist and be
/// visible to the caller.
pub(super) fn named(call: &Call<'_>, owner: Option<(Res, usize)>) -> Result<Option<(Option<u32>, u32)>, ApiError> {
    let Some((res, n)) = owner else { return Ok(None) };
    let Some((parent, id)) = named_record(call, res, n) else { return Ok(None) };
    let (access, base) = (call.access(), call.base());
    call.app
        .store
        .read_tenant(call.company(), |t| t.get(res, parent, id, None, access, &base))
        .map_err(|e| call.fail(e, res.info().noun, None))?;
    Ok(Some((parent, id)))
}

/// `/service/tickets/{id}/allNotes` (and a project ticket's): the notes of the ticket and
/// its child tickets and time entries, from the store; paged like any list.
fn all_notes(call: &Call<'_>, tickets: Res, id: u32, kind: ViewKind) -> Result<Reply, ApiError> {
    let notes = call
        .app
        .store
        .read_tenant(call.company(), |t| Ok(t.all_notes(tickets, id)))
        .map_err(|e| call.fail(e, "note", None))?;
    let shape = match kind {
        ViewKind::Empty { shape, .. } | ViewKind::Projection { shape, .. } => shape,
        _ => Shape::List,
    };
    if shape == Shape::Count {
        return Ok(Reply::value(&json!({ "count": notes.len() })));
    }
    let q = call.list_query(schema("ProjectTicketNote"), "note")?;
    let size = q.paging.size as usize;
    let skip = (q.paging.page as usize).saturating_sub(1).saturating_mul(size);
    let page: Vec<&Value> = notes.iter().skip(skip).take(size).collect();
    let last_id = page.last().and_then(|n| n.get("id")).and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok());
    let listed = Listed { body: to_bytes(&page), total: notes.len(), last_id, others: false };
    Ok(call.list_reply(listed, &q.paging))
}

/// `/service/tickets/{id}/products`: the product items whose `ticket` is ticket `id`, as
/// `ProductReference`s; the caller's conditions, order and paging apply to the product items.
fn ticket_products(call: &Call<'_>, id: u32, shape: Shape) -> Result<Reply, ApiError> {
    let Some(products) = Res::at_path("/procurement/products") else {
        return Err(ApiError::internal(&"no /procurement/products collection"));
    };
    let noun = products.info().noun;
    let mut q = call.list_query(products.schema(), noun)?;
    let on_ticket = conditions::parse(&format!("ticket/id = {id}"))
        .map_err(|e| e.to_string())
        .and_then(|expr| Filter::bind(products.schema(), &expr))
        .map_err(|e| ApiError::internal(&format!("ticket filter: {e}")))?;
    q.filters.push(on_ticket);
    let store = &call.app.store;
    let (company, base, access) = (call.company(), call.base(), call.access());
    if shape == Shape::Count {
        let (n, others) = store.count(company, products, None, &q, access).map_err(|e| call.fail(e, noun, None))?;
        return Ok(Reply::ok(to_bytes(&json!({ "count": n })), others));
    }
    let listed = store.list(company, products, None, &q, access, &base).map_err(|e| call.fail(e, noun, None))?;
    let records: Vec<Value> = serde_json::from_slice(&listed.body).unwrap_or_default();
    let kept: Vec<Value> = records.iter().map(|r| project(r, "ProductReference")).collect();
    Ok(call.list_reply(Listed { body: to_bytes(&kept), ..listed }, &q.paging))
}

/// Keeps the properties `schema` has, in its order.
fn project(record: &Value, name: &str) -> Value {
    let s = schema(name);
    let Value::Object(obj) = record else { return record.clone() };
    let mut out = Map::new();
    for p in &s.props {
        if let Some(v) = obj.get(&p.name) {
            out.insert(p.name.clone(), v.clone());
        }
    }
    Value::Object(out)
}

fn projection(call: &Call<'_>, res: Res, name: &'static str, shape: Shape, active: bool) -> Result<Reply, ApiError> {
    let store = &call.app.store;
    let (company, base, access) = (call.company(), call.base(), call.access());
    let noun = res.info().noun;
    match shape {
        Shape::Count => {
            let q = call.list_query(res.schema(), noun)?;
            let parent = res.info().parent.and_then(|_| ints(call).last().copied());
            let (n, others) = store.count(company, res, parent, &q, access).map_err(|e| call.fail(e, noun, None))?;
            Ok(Reply::ok(to_bytes(&json!({ "count": n })), others))
        }
        Shape::One => {
            let ids = ints(call);
            let id = ids.last().copied().unwrap_or(0);
            let parent = res.info().parent.and_then(|_| ids.len().checked_sub(2).and_then(|i| ids.get(i).copied()));
            let one = store
                .read_tenant(company, |t| t.get(res, parent, id, None, access, &base))
                .map_err(|e| call.fail(e, noun, None))?;
            let record: Value = serde_json::from_slice(&one.body).unwrap_or(Value::Null);
            Ok(Reply::ok(to_bytes(&project(&record, name)), one.others))
        }
        Shape::List => {
            let q = call.list_query(res.schema(), noun)?;
            let parent = res.info().parent.and_then(|_| ints(call).last().copied());
            let listed = store.list(company, res, parent, &q, access, &base).map_err(|e| call.fail(e, noun, None))?;
            let records: Vec<Value> = serde_json::from_slice(&listed.body).unwrap_or_default();
            let kept: Vec<Value> = records
                .iter()
                .filter(|r| !active || r.get("inactiveFlag").and_then(Value::as_bool) != Some(true))
                .map(|r| project(r, name))
                .collect();
            let body = to_bytes(&kept);
            Ok(call.list_reply(Listed { body, ..listed }, &q.paging))
        }
    }
}
