//! The operations of the official table that are neither a stored collection's routes nor a
//! view ([`crate::resources::operations`]): a path that names a record answers 404 when the
//! caller cannot see it; a body is checked against the operation's official schema; then the
//! family's [`Effect`] is carried out on the store, or, where no family gives the operation
//! one, a body valid against its official response schema is answered (A24.2).

mod bulk;
mod merges;

use serde_json::{Map, Value, json};

use super::endpoints::{Call, Reply};
use super::error::ApiError;
use super::views::{binary, named};
use crate::query::ListQuery;
use crate::resources::Res;
use crate::resources::families::Effect;
use crate::resources::operations::{Answers, Operation};
use crate::resources::registry;
use crate::schema::{ObjectSchema, SCHEMAS, Type, schema};
use crate::store::records::WriteCtx;
use crate::store::{Listed, StoreError};
use crate::validate::{Mode, validate};

/// How deep [`sample`] fills nested required objects.
const SAMPLE_DEPTH: usize = 3;

/// Serves operation `index` of the registry.
pub(super) fn serve(call: &Call<'_>, index: usize) -> Result<Reply, ApiError> {
    let Some(op) = registry::get().operations.get(index) else {
        return Err(ApiError::internal(&format!("no operation {index}")));
    };
    // A conversion names the record it converts (`createFromProject/{id}`: a project).
    let owner = match (op.effect, op.owner) {
        (Some(Effect::Convert { from, .. }), Some((_, n))) if from.info().parent.is_none() => Some((from, n)),
        _ => op.owner,
    };
    let record = named(call, owner)?;
    check_body(call, op)?;
    let id = record.map(|(_, id)| id);
    let parent = record.and_then(|(p, _)| p);
    match op.effect {
        Some(effect) => carry_out(call, op, effect, parent, id),
        None => answer(call, op, id),
    }
}

/// A JSON body is checked against the operation's body schema (PATCH bodies are operations).
fn check_body(call: &Call<'_>, op: &Operation) -> Result<(), ApiError> {
    let (Some(name), "POST" | "PUT") = (op.body, op.method) else { return Ok(()) };
    let body = call.body();
    if !body.is_object() {
        return Ok(());
    }
    let errors = validate(schema(name), &body, Mode::Create);
    if errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(&noun(name), &errors)) }
}

fn noun(schema: &str) -> String {
    let mut c = schema.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}

/// What the official response promises, with nothing stored behind it.
fn answer(call: &Call<'_>, op: &Operation, id: Option<u32>) -> Result<Reply, ApiError> {
    Ok(match op.answers {
        Answers::Array(name) if op.method == "GET" => {
            let listed = Listed { body: b"[]".to_vec(), total: 0, last_id: None, others: false };
            let q = call.list_query(schema(name), name)?;
            call.list_reply(listed, &q.paging)
        }
        Answers::Array(_) => Reply::value(&json!([])),
        Answers::One(name) => Reply::value(&sample(schema(name), id, SAMPLE_DEPTH)),
        Answers::Binary(media) => binary(media),
        Answers::Json => Reply::value(&json!({})),
        Answers::Nothing => Reply::no_content(false),
    })
}

/// An object valid against `s`: its `id` (where the path names one) and every required
/// property with the plainest value of its type.
pub(super) fn sample(s: &ObjectSchema, id: Option<u32>, depth: usize) -> Value {
    let mut out = Map::new();
    for (i, p) in s.props.iter().enumerate() {
        let required = s.required.iter().any(|&r| usize::from(r) == i);
        let value = match (&p.ty, p.name.as_str()) {
            // `prop` names are matched exactly: a recap's `iD` is not the record's `id`.
            (Type::Int, "id") => id.map(Value::from),
            (_, "success") if matches!(p.ty, Type::Bool) => Some(Value::Bool(true)),
            (ty, _) if required => plain(ty, depth),
            _ => None,
        };
        if let Some(v) = value {
            out.insert(p.name.clone(), v);
        }
    }
    Value::Object(out)
}

fn plain(ty: &Type, depth: usize) -> Option<Value> {
    Some(match ty {
        Type::Str => Value::from(""),
        Type::Enum(values) => Value::from(values.first()?.as_str()),
        Type::Int | Type::Num => Value::from(0),
        Type::Bool => Value::Bool(false),
        Type::DateTime => Value::from("1970-01-01T00:00:00Z"),
        Type::Object(i) if depth > 0 => sample(SCHEMAS.get(*i), None, depth - 1),
        Type::Array(_) => json!([]),
        _ => return None,
    })
}

/// The ids a body lists under `list`: a clear 400 when it is not a list of ids.
fn listed_ids(call: &Call<'_>, op: &Operation, list: &str) -> Result<Vec<u32>, ApiError> {
    let body = call.body();
    let bad =
        || ApiError::bad_request(&noun(op.body.unwrap_or("request")), list, format!("{list} must be a list of ids"));
    let items = body.get(list).and_then(Value::as_array).ok_or_else(bad)?;
    items.iter().map(|v| v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(bad)).collect()
}

fn carry_out(
    call: &Call<'_>,
    op: &Operation,
    effect: Effect,
    parent: Option<u32>,
    id: Option<u32>,
) -> Result<Reply, ApiError> {
    let (store, company, base, access) = (&call.app.store, call.company(), call.base(), call.access());
    match effect {
        Effect::Copy(res) => {
            let body = call.body();
            let from = id.or_else(|| body.get("id").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()));
            let from =
                from.ok_or_else(|| ApiError::bad_request(res.info().noun, "id", "the record to copy is missing"))?;
            let one = store
                .write_tenant(company, |t, keys, now| {
                    let mut copy = t.current(res, parent, from)?;
                    copy.remove("id");
                    copy.remove("_info");
                    rename(res, &mut copy, body.get("name").and_then(Value::as_str));
                    t.create(res, parent, Value::Object(copy), &WriteCtx { access, now, keys, base: &base })
                })
                .map_err(|e| call.fail(e, res.info().noun, None))?;
            Ok(Reply::ok(one.body, false))
        }
        Effect::SetStatus { res, field, value } => {
            let id = id.ok_or_else(|| ApiError::internal(&"a status action without an id"))?;
            let one = set_fields(call, res, parent, id, &[(field, Value::from(value))])?;
            answer_record(call, op, res, one, Some(id))
        }
        Effect::Attach { res, list, field } => {
            let id = id.ok_or_else(|| ApiError::internal(&"an attach action without an id"))?;
            for child in listed_ids(call, op, list)? {
                set_fields(call, res, None, child, &[(field, Value::from(id))])?;
            }
            answer(call, op, Some(id))
        }
        Effect::Merge { res, list } => {
            let id = id.ok_or_else(|| ApiError::internal(&"a merge action without an id"))?;
            // The merged tickets take the body's status (a closed one closes them) and point
            // at the ticket they were merged into.
            let status = call.body().get("status").cloned().filter(Value::is_object);
            for merged in listed_ids(call, op, list)? {
                let mut fields = vec![("mergedParentTicket", json!({ "id": id }))];
                fields.extend(status.clone().map(|s| ("status", s)));
                set_fields(call, res, None, merged, &fields)?;
            }
            let one = store
                .read_tenant(company, |t| t.get(res, None, id, None, access, &base))
                .map_err(|e| call.fail(e, res.info().noun, None))?;
            answer_record(call, op, res, one.body, Some(id))
        }
        Effect::Defaults(res) => {
            let mut obj = Map::new();
            for (name, default) in res.info().defaults {
                obj.insert((*name).to_owned(), default.to_json());
            }
            crate::store::derived::default_flags(res.schema(), &mut obj);
            if let Value::Object(given) = call.body() {
                obj.extend(given);
            }
            Ok(Reply::value(&Value::Object(obj)))
        }
        Effect::MergeInto { res, into } => {
            let id = id.ok_or_else(|| ApiError::internal(&"a merge action without an id"))?;
            merges::merge_into(call, res, into, id)?;
            answer(call, op, Some(id))
        }
        Effect::Convert { from, to, name } => {
            let id = id.ok_or_else(|| ApiError::internal(&"a conversion without an id"))?;
            let made = merges::convert(call, from, to, name, id)?;
            // An agreement's `invoice` answers the new invoice's id.
            match op.answers {
                Answers::Json => {
                    let new: Value = serde_json::from_slice(&made).unwrap_or_default();
                    Ok(Reply::value(&new.get("id").cloned().unwrap_or(Value::Null)))
                }
                _ => answer_record(call, op, to, made, None),
            }
        }
        Effect::Search(res) => search(call, res, parent),
        // A child collection's bulk path names its parent (`/purchaseorders/{id}/lineitems/bulk`).
        Effect::Bulk(res) => bulk::bulk(call, op.method, res, if res.info().parent.is_some() { id } else { None }),
        Effect::Succeed => answer(call, op, id),
    }
}

/// A list of `res` whose conditions come from the body (`FilterValues`, names in any case)
/// over the URL's; paging stays the URL's.
fn search(call: &Call<'_>, res: Res, parent: Option<u32>) -> Result<Reply, ApiError> {
    let body = call.body();
    let mut pairs: Vec<(&str, &str)> = call.pairs().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let given = body.as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)));
    pairs.extend(given.filter(|(k, _)| !k.to_ascii_lowercase().starts_with("page")));
    let noun = res.info().noun;
    let q = ListQuery::from_pairs(pairs).bind(res.schema()).map_err(|e| ApiError::from_store(e.into(), noun))?;
    let (company, base, access) = (call.company(), call.base(), call.access());
    let listed = call.app.store.list(company, res, parent, &q, access, &base).map_err(|e| call.fail(e, noun, None))?;
    Ok(call.list_reply(listed, &q.paging))
}

/// A copy's name: the body's, else the original's with " (Copy)" so a unique name stays unique.
fn rename(res: Res, copy: &mut Map<String, Value>, name: Option<&str>) {
    let field = res.info().unique.unwrap_or("name");
    if let Some(name) = name {
        copy.insert(field.to_owned(), Value::from(name));
    } else if let Some(Value::String(old)) = copy.get(field) {
        let max = res.schema().prop(field).and_then(|(_, p)| p.max_len).unwrap_or(usize::MAX);
        let new: String =
            format!("{old} (Copy)").chars().rev().take(max).collect::<Vec<_>>().into_iter().rev().collect();
        copy.insert(field.to_owned(), Value::from(new));
    }
}

/// Sets fields of a record as a full replacement of what it holds; answers its rendering.
fn set_fields(
    call: &Call<'_>,
    res: Res,
    parent: Option<u32>,
    id: u32,
    fields: &[(&str, Value)],
) -> Result<Vec<u8>, ApiError> {
    let (company, base, access) = (call.company(), call.base(), call.access());
    let one = call
        .app
        .store
        .write_tenant(company, |t, keys, now| {
            let mut current = t.current(res, parent, id)?;
            for (k, v) in fields {
                current.insert((*k).to_owned(), v.clone());
            }
            t.update(
                res,
                parent,
                id,
                Value::Object(current),
                Mode::Replace,
                &WriteCtx { access, now, keys, base: &base },
            )
        })
        .map_err(|e: StoreError| call.fail(e, res.info().noun, None))?;
    Ok(one.body)
}

/// The changed record when the official response is the record's schema, else the response.
fn answer_record(call: &Call<'_>, op: &Operation, res: Res, body: Vec<u8>, id: Option<u32>) -> Result<Reply, ApiError> {
    match op.answers {
        Answers::One(name) if name == res.info().schema => Ok(Reply::ok(body, false)),
        _ => answer(call, op, id),
    }
}
