//! What the server fills in on every write, so records look like ConnectWise's own.
//!
//! This module is the generic part, the same for every collection (assumption A13.4, A25.1–A25.3):
//! - every boolean property of the schema is present, `false` unless set (the real server
//!   always returns them, and `conditions=inactive=false` must match a fresh board status);
//! - a reference the client left out is filled from its setup table's default row (the one
//!   with `defaultFlag`; a contact's marks its company's default contact, not a setup row):
//!   a ticket's `priority`, a project's `status`, an invoice's `status`, an opportunity's
//!   `status` (a time entry's work type is [`time`]'s, from `overallDefaultFlag`);
//! - a field the schema marks "Required On Updates" gets a default, so a record read back can
//!   be PUT unchanged: an enum its first value, `locationId`/`businessUnitId` the first
//!   location and department;
//! - `customFields` lists every user-defined field of the record's screen ([`crate::store::udf`]).
//!
//! Each family with behaviour of its own has a file: [`service`] (tickets, board statuses,
//! notes), [`company`] (companies, sites, configurations), [`finance`] (additions, invoices,
//! products), [`time`] (time entries), [`project`] (projects), [`sales`] (opportunities),
//! [`members`] (API members' `/system/members` twins), [`links`] (link collections keyed by
//! the record they link), [`communications`] (a contact's items and its communications).

mod communications;
mod company;
mod finance;
mod links;
mod members;
mod project;
mod sales;
mod service;
mod time;

use serde_json::{Map, Value, json};

pub(crate) use links::Link;

use super::tenant::Tenant;
use crate::doc::Val;
use crate::resources::Res;
use crate::schema::{ObjectSchema, SCHEMAS, Type};
use crate::validate::FieldError;

/// The license class of an API member seen through `/system/members`.
pub(crate) const API_LICENSE_CLASS: &str = "A";

/// The name of the site the server makes with every company (assumption A13.5).
pub(crate) const MAIN_SITE: &str = "Main";

/// An API member's name as a member's first and last name: split at the last space; a
/// one-word name gets the last name `API`, since a member needs both (assumption A13.3).
pub(crate) fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_owned(), last.to_owned()),
        None => (name.to_owned(), "API".to_owned()),
    }
}

/// Every boolean property of the schema (not only the `*Flag` ones: a board status's
/// `inactive`, `closedStatus`, `displayOnBoard`), in schema order.
pub(crate) fn flag_names(schema: &'static ObjectSchema) -> Vec<&'static str> {
    schema.props.iter().filter(|p| matches!(p.ty, Type::Bool)).map(|p| p.name.as_str()).collect()
}

/// Sets every boolean property the object lacks (or has as `null`) to `false`.
pub(crate) fn default_flags(schema: &ObjectSchema, obj: &mut Map<String, Value>) {
    for prop in schema.props.iter().filter(|p| matches!(p.ty, Type::Bool)) {
        match obj.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&prop.name)) {
            Some((_, v)) if v.is_null() => *v = Value::Bool(false),
            Some(_) => {}
            None => {
                obj.insert(prop.name.clone(), Value::Bool(false));
            }
        }
    }
}

/// A property of `obj`, by name without case.
pub(super) fn get<'o>(obj: &'o Map<String, Value>, name: &str) -> Option<&'o Value> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).filter(|v| !v.is_null())
}

pub(super) fn number(obj: &Map<String, Value>, name: &str) -> Option<f64> {
    get(obj, name).and_then(Value::as_f64)
}

/// Sets `name`, replacing any spelling of it.
pub(super) fn set(obj: &mut Map<String, Value>, name: &str, value: Value) {
    obj.retain(|k, _| k == name || !k.eq_ignore_ascii_case(name));
    obj.insert(name.to_owned(), value);
}

pub(super) fn has(obj: &Map<String, Value>, name: &str) -> bool {
    get(obj, name).is_some()
}

/// The id a reference property of `obj` holds.
pub(super) fn ref_id(obj: &Map<String, Value>, name: &str) -> Option<u32> {
    get(obj, name)?.get("id")?.as_u64().and_then(|i| u32::try_from(i).ok())
}

/// A money amount rounded to cents, as JSON.
pub(super) fn money(v: f64) -> Value {
    json!((v * 100.0).round() / 100.0)
}

fn is_true(v: Option<Val<'_>>) -> bool {
    matches!(v, Some(Val::Bool(true)))
}

impl Tenant {
    /// Fills the server-computed fields of a record about to be stored (references already
    /// resolved) and checks its custom fields against their definitions. `now` and `by`
    /// stamp what the server stamps (ticket closing, note creation).
    pub(crate) fn derive(&self, res: Res, obj: &mut Map<String, Value>, now: i64, by: &str) -> Vec<FieldError> {
        match res {
            Res::Additions => self.derive_addition(obj),
            Res::Tickets => self.derive_ticket(obj, now, by),
            Res::Companies => self.derive_company(obj),
            Res::BoardStatuses => service::derive_board_status(obj),
            _ => self.derive_family(res, obj, now, by),
        }
        self.default_references(res, obj);
        self.required_on_update_defaults(res, obj);
        let errors = self.custom_fields(res, obj);
        default_flags(res.schema(), obj);
        errors
    }

    /// The collections known only by their route.
    fn derive_family(&self, res: Res, obj: &mut Map<String, Value>, now: i64, by: &str) {
        let path = res.info().path;
        match path {
            "/service/tickets/{parentId}/notes" | "/project/tickets/{parentId}/notes" => {
                service::derive_note(obj, now, by);
            }
            "/company/configurations" => self.derive_configuration(obj),
            "/finance/invoices" => self.derive_invoice(obj, now),
            "/time/entries" => self.derive_time_entry(obj),
            "/project/projects" => self.derive_project(obj),
            "/project/tickets" => self.derive_project_ticket(obj, now, by),
            "/sales/opportunities" => self.derive_opportunity(obj, now),
            "/procurement/products" => self.derive_product(obj),
            _ => {}
        }
    }

    /// A record of `res` as JSON, by the id a reference holds.
    pub(super) fn referenced(&self, res: Res, reference: Option<&Value>) -> Option<Map<String, Value>> {
        let id = u32::try_from(reference?.get("id")?.as_u64()?).ok()?;
        Some(self.table(res).view(id)?.to_json())
    }

    /// The default record of a setup table (its `defaultFlag` one, else its first), optionally
    /// among the children of one parent, as a reference `{id, name}`.
    pub(crate) fn default_of(&self, res: Res, parent: Option<u32>) -> Option<Value> {
        let table = self.table(res);
        let rows = || table.iter().filter(|r| parent.is_none_or(|p| r.meta.parent == p));
        let flagged = rows().find(|r| is_true(r.doc.view(table.schema).get_named("defaultFlag")));
        let rec = flagged.or_else(|| rows().next())?;
        let name = rec.doc.view(table.schema).str("name").unwrap_or("").to_owned();
        Some(json!({ "id": rec.id, "name": name }))
    }

    /// The row of a top-level setup table flagged as its default, as a reference of
    /// `ref_schema`'s shape (its display fields copied from the row).
    fn flagged_default(&self, res: Res, ref_schema: &ObjectSchema) -> Option<Value> {
        let table = self.table(res);
        let rec = table.iter().find(|r| {
            let d = r.doc.view(table.schema);
            is_true(d.get_named("defaultFlag")) && !is_true(d.get_named("inactiveFlag"))
        })?;
        Some(self.reference_to(res, rec.id, ref_schema))
    }

    /// A reference to record `id` of `res` with the display fields of `ref_schema` filled in.
    pub(super) fn reference_to(&self, res: Res, id: u32, ref_schema: &ObjectSchema) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(id));
        if let Some(d) = self.table(res).view(id) {
            for p in ref_schema.props.iter().filter(|p| !matches!(p.name.as_str(), "id" | "_info")) {
                let v = match p.name.as_str() {
                    "sort" => d.get_named("sortOrder"),
                    "name" if d.str("name").is_none() => d.get_named("description"),
                    n => d.get_named(n),
                };
                if let Some(v @ (Val::Str(_) | Val::Int(_) | Val::Num(_) | Val::Bool(_))) = v {
                    out.insert(p.name.clone(), v.to_json());
                }
            }
        }
        Value::Object(out)
    }

    /// Every single reference the record lacks whose target is a top-level setup table with
    /// a default row gets that row (assumption A25.2).
    fn default_references(&self, res: Res, obj: &mut Map<String, Value>) {
        let parent_field = res.info().parent.map(|(_, f)| f);
        for prop in &res.schema().props {
            let Type::Object(i) = prop.ty else { continue };
            if has(obj, &prop.name) || Some(prop.name.as_str()) == parent_field {
                continue;
            }
            let ref_schema = SCHEMAS.get(i);
            let Some((target, _)) = Res::for_reference(&ref_schema.name) else { continue };
            // A contact's `defaultFlag` marks its company's default contact, not a setup row.
            if target.info().parent.is_some() || target == res || target.info().path == "/company/contacts" {
                continue;
            }
            if let Some(default) = self.flagged_default(target, ref_schema) {
                set(obj, &prop.name, default);
            }
        }
    }

    /// Fields the schema marks "Required On Updates" that the record still lacks: an enum
    /// takes its first value, a location or business unit id the first of its table, so a
    /// record read back can be PUT unchanged (assumption A25.3).
    fn required_on_update_defaults(&self, res: Res, obj: &mut Map<String, Value>) {
        for prop in res.schema().props.iter().filter(|p| p.required_on_update) {
            if has(obj, &prop.name) {
                continue;
            }
            let value = match (&prop.ty, prop.name.as_str()) {
                (Type::Enum(options), _) => options.first().map(|o| json!(o)),
                (Type::Int, "locationId") => self.first_id("/system/locations").map(Value::from),
                (Type::Int, "businessUnitId" | "departmentId") => self.first_id("/system/departments").map(Value::from),
                _ => None,
            };
            if let Some(v) = value {
                set(obj, &prop.name, v);
            }
        }
    }

    /// The first record of the collection at `path`.
    pub(super) fn first_id(&self, path: &str) -> Option<u32> {
        Res::at_path(path).and_then(|r| self.table(r).iter().next().map(|rec| rec.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;

    #[test]
    fn every_boolean_of_the_schema_defaults_to_false_and_set_ones_are_kept() {
        let mut obj = json!({"cancelledFlag": null, "noEndingDateFlag": true}).as_object().cloned().unwrap();
        default_flags(schema("Agreement"), &mut obj);
        assert_eq!(obj["cancelledFlag"], json!(false));
        assert_eq!(obj["noEndingDateFlag"], json!(true));
        assert_eq!(obj["billZeroAmountFlag"], json!(false));
        let bools = schema("Agreement").props.iter().filter(|p| matches!(p.ty, Type::Bool)).count();
        assert_eq!(obj.len(), bools);
    }

    #[test]
    fn a_board_status_gets_its_booleans_not_named_flag() {
        let mut obj = Map::new();
        default_flags(schema("BoardStatus"), &mut obj);
        for name in ["inactive", "closedStatus", "displayOnBoard", "timeEntryNotAllowed", "defaultFlag"] {
            assert_eq!(obj.get(name), Some(&json!(false)), "{name}");
        }
    }
}
