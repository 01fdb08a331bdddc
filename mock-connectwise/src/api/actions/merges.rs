//! The effects that write more than one record: a merge repoints every record of the merged
//! company at the one it is merged into (A24.20); a conversion makes a new record from an
//! opportunity and marks the opportunity won (A24.21). Each runs in one write of the tenant;
//! a merge whose record is refused puts back the records it had already moved.

use serde_json::{Map, Value, json};

use crate::api::endpoints::Call;
use crate::api::error::ApiError;
use crate::resources::Res;
use crate::resources::families::at;
use crate::resources::registry;
use crate::schema::{SCHEMAS, Type};
use crate::store::StoreError;
use crate::store::records::WriteCtx;
use crate::store::tenant::Tenant;
use crate::validate::Mode;

/// The id a body gives under `field`: a clear 400 when it is missing or not an id.
fn body_id(call: &Call<'_>, noun: &str, field: &str) -> Result<u32, ApiError> {
    let body = call.body();
    let id = body.get(field).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok());
    id.ok_or_else(|| ApiError::bad_request(noun, field, format!("{field} must be the id of a record")))
}

fn company_of(doc: &Map<String, Value>) -> Option<u64> {
    doc.get("company").and_then(|c| c.get("id")).and_then(Value::as_u64)
}

/// Merges company `from` into the company the body's `into` names.
pub(super) fn merge_into(call: &Call<'_>, res: Res, into: &str, from: u32) -> Result<(), ApiError> {
    let to = body_id(call, "companyMerge", into)?;
    if to == from {
        return Err(ApiError::bad_request("companyMerge", into, "a company cannot be merged into itself"));
    }
    let (company, base, access) = (call.company(), call.base(), call.access());
    call.app
        .store
        .write_tenant(company, |t, keys, now| {
            let w = WriteCtx { access, now, keys, base: &base };
            // Both exist and are the caller's to see before anything changes.
            t.get(res, None, to, None, access, &base)?;
            let mut source = t.current(res, None, from)?;
            let mut moved = Vec::new();
            for other in Res::all().filter(|r| r.info().parent.is_none() && *r != res) {
                let holds = other.schema().prop("company").is_some_and(|(_, p)| matches!(p.ty, Type::Object(_)));
                if !holds {
                    continue;
                }
                for id in t.table(other).iter().map(|r| r.id).collect::<Vec<_>>() {
                    let doc = t.current(other, None, id)?;
                    if company_of(&doc) == Some(u64::from(from)) {
                        moved.push((other, id, doc));
                    }
                }
            }
            moved.push((res, from, source.clone()));
            source.insert("deletedFlag".into(), Value::Bool(true));
            let mut done = Vec::new();
            for (other, id, doc) in moved {
                let changed = if other == res {
                    source.clone()
                } else {
                    let mut repointed = doc.clone();
                    repointed.insert("company".into(), json!({ "id": to }));
                    repointed
                };
                if let Err(e) = t.update(other, None, id, Value::Object(changed), Mode::Replace, &w) {
                    // A refused record undoes the records already moved: all or nothing.
                    for (r, i, old) in done.into_iter().rev() {
                        let _undone = t.update(r, None, i, Value::Object(old), Mode::Replace, &w);
                    }
                    return Err(e);
                }
                done.push((other, id, doc));
            }
            Ok(())
        })
        .map_err(|e| call.fail(e, res.info().noun, None))
}

/// Makes a `to` record from record `id` of `from` (an opportunity, an order, a project);
/// answers its rendering.
pub(super) fn convert(call: &Call<'_>, from: Res, to: Res, name: &str, id: u32) -> Result<Vec<u8>, ApiError> {
    let body = call.body();
    let (company, base, access) = (call.company(), call.base(), call.access());
    let schema = to.schema();
    // Only an opportunity is won by its conversion and named by the new record.
    let opportunity = from.info().path == "/sales/opportunities";
    let won = at(registry::get(), "/sales/opportunities/statuses").filter(|_| opportunity);
    call.app
        .store
        .write_tenant(company, |t, keys, now| {
            let w = WriteCtx { access, now, keys, base: &base };
            t.get(from, None, id, None, access, &base)?;
            let mut opp = t.current(from, None, id)?;
            let mut new = Map::new();
            for field in ["company", "contact", "site", "currency"] {
                if let Some(v) = opp.get(field).filter(|_| schema.prop(field).is_some()) {
                    new.insert(field.to_owned(), id_only(v));
                }
            }
            if let Some(rep) = opp.get("primarySalesRep") {
                for field in ["salesRep", "manager", "owner"] {
                    if schema.prop(field).is_some() {
                        new.insert(field.to_owned(), id_only(rep));
                    }
                }
            }
            let given = body.get(if name == "summary" { "summary" } else { "name" }).and_then(Value::as_str);
            let own = ["name", "summary", "description"].iter().find_map(|f| opp.get(*f).and_then(Value::as_str));
            let title = given.or(own).map(str::to_owned);
            new.extend(title.map(|n| (name.to_owned(), Value::from(n))));
            if opportunity && schema.prop("opportunity").is_some() {
                new.insert("opportunity".into(), json!({ "id": id }));
            }
            // The conversion's own fields where the new record has them (board, manager,
            // estimatedStart, type, startDate, …).
            if let Value::Object(given) = &body {
                for (k, v) in given {
                    if schema.prop(k).is_some() && k != "name" && k != "id" {
                        new.insert(k.clone(), v.clone());
                    }
                }
            }
            // An invoice made from a record applies to it (`applyToType`, `applyToId`).
            let kind = from.info().schema;
            let applies = schema
                .prop("applyToType")
                .is_some_and(|(_, p)| matches!(&p.ty, Type::Enum(v) if v.iter().any(|x| x == kind)));
            if applies {
                new.insert("applyToType".into(), Value::from(kind));
                new.insert("applyToId".into(), Value::from(id));
            }
            fill_required(t, to, &mut new, now);
            let made = t.create(to, None, Value::Object(new), &w)?;
            if let Some(status) = won.and_then(|s| won_status(t, s)) {
                opp.insert("status".into(), json!({ "id": status }));
                if let Err(e) = t.update(from, None, id, Value::Object(opp), Mode::Replace, &w) {
                    // The opportunity refused its won status: the new record goes too.
                    let _undone = t.delete(to, None, made.id, access);
                    return Err(e);
                }
            }
            Ok(made.body)
        })
        .map_err(|e: StoreError| call.fail(e, to.info().noun, None))
}

fn id_only(v: &Value) -> Value {
    match v.get("id") {
        Some(id) => json!({ "id": id }),
        None => v.clone(),
    }
}

/// The first stored opportunity status with `wonFlag`.
fn won_status(t: &Tenant, statuses: Res) -> Option<u32> {
    let ids: Vec<u32> = t.table(statuses).iter().map(|r| r.id).collect();
    ids.into_iter().find(|&s| t.current(statuses, None, s).is_ok_and(|d| d.get("wonFlag") == Some(&Value::Bool(true))))
}

/// What the server fills in a conversion's new record that the opportunity does not give: a
/// required reference takes the first stored record it may name, a required enum its first
/// value, a required date now.
fn fill_required(t: &Tenant, to: Res, new: &mut Map<String, Value>, now: i64) {
    let schema = to.schema();
    for &r in &schema.required {
        let p = &schema.props[usize::from(r)];
        if new.contains_key(&p.name) {
            continue;
        }
        let value = match &p.ty {
            // A status without a mapped reference names the record's own `…/statuses`.
            Type::Object(s) => Res::for_reference(&SCHEMAS.get(*s).name)
                .map(|(target, _)| target)
                .or_else(|| at(registry::get(), &format!("{}/{}es", to.info().path, p.name)))
                .and_then(|target| t.table(target).iter().next().map(|rec| json!({ "id": rec.id }))),
            Type::Enum(values) => values.first().map(|v| Value::from(v.as_str())),
            Type::DateTime | Type::Str
                if p.name.to_ascii_lowercase().contains("date") || p.name.starts_with("estimated") =>
            {
                Some(Value::from(crate::datetime::format(now)))
            }
            _ => None,
        };
        new.extend(value.map(|v| (p.name.clone(), v)));
    }
}
