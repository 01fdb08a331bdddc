//! What the server fills in on every write, so records look like ConnectWise's own:
//!
//! - every boolean `*Flag` property of the schema is present, `false` unless set (the real
//!   server always returns them, and `conditions=cancelledFlag=false` must match a fresh
//!   record);
//! - computed fields: an agreement addition's `unitPrice`/`unitCost` default to its catalog
//!   item's `price`/`cost`, and `extPrice`, `extCost`, `margin` follow from them; a ticket's
//!   `recordType`, a default `status`, and `closedFlag`/`closedDate`/`closedBy` from its
//!   status; a company's `status`, `types` and `site`; a ticket note's `dateCreated` and
//!   `createdBy`; a configuration's default `status` and its name;
//! - API members are members: each API member has a twin in `/system/members` with
//!   `licenseClass: "A"` and the same id, kept in step both ways.

use serde_json::{Map, Value, json};

use super::table::{Meta, Record};
use super::tenant::Tenant;
use crate::doc::Doc;
use crate::resources::Res;
use crate::schema::{ObjectSchema, Type};

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

/// The schema's boolean `*Flag` properties, in schema order.
pub(crate) fn flag_names(schema: &'static ObjectSchema) -> Vec<&'static str> {
    schema
        .props
        .iter()
        .filter(|p| matches!(p.ty, Type::Bool) && p.name.ends_with("Flag"))
        .map(|p| p.name.as_str())
        .collect()
}

/// Sets every boolean `*Flag` property the object lacks (or has as `null`) to `false`.
pub(crate) fn default_flags(schema: &ObjectSchema, obj: &mut Map<String, Value>) {
    for prop in &schema.props {
        if !matches!(prop.ty, Type::Bool) || !prop.name.ends_with("Flag") {
            continue;
        }
        match obj.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&prop.name)) {
            Some((_, v)) if v.is_null() => *v = Value::Bool(false),
            Some(_) => {}
            None => {
                obj.insert(prop.name.clone(), Value::Bool(false));
            }
        }
    }
}

fn number(obj: &Map<String, Value>, name: &str) -> Option<f64> {
    obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.as_f64())
}

fn set(obj: &mut Map<String, Value>, name: &str, value: Value) {
    obj.retain(|k, _| k == name || !k.eq_ignore_ascii_case(name));
    obj.insert(name.to_owned(), value);
}

fn has(obj: &Map<String, Value>, name: &str) -> bool {
    obj.iter().any(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_null())
}

/// A note's `dateCreated` and `createdBy`: when and by whom it was written, unless given
/// (a fixture's history).
fn derive_note(obj: &mut Map<String, Value>, now: i64, by: &str) {
    if !has(obj, "dateCreated") {
        set(obj, "dateCreated", json!(crate::datetime::format(now)));
    }
    if !has(obj, "createdBy") {
        set(obj, "createdBy", json!(by));
    }
}

/// A money amount rounded to cents, as JSON.
fn money(v: f64) -> Value {
    json!((v * 100.0).round() / 100.0)
}

impl Tenant {
    /// Fills the server-computed fields of a record about to be stored (references already
    /// resolved). `now` and `by` stamp ticket closing.
    pub(crate) fn derive(&self, res: Res, obj: &mut Map<String, Value>, now: i64, by: &str) {
        match res {
            Res::Additions => self.derive_addition(obj),
            Res::Tickets => self.derive_ticket(obj, now, by),
            Res::Companies => self.derive_company(obj),
            _ if super::notes::ticket_notes() == Some(res) => derive_note(obj, now, by),
            _ if Res::at_path("/company/configurations") == Some(res) => self.derive_configuration(obj),
            _ => {}
        }
        default_flags(res.schema(), obj);
    }

    fn derive_addition(&self, obj: &mut Map<String, Value>) {
        let product = obj.get("product").and_then(|p| p.get("id")).and_then(Value::as_u64);
        let item = product.and_then(|id| u32::try_from(id).ok()).and_then(|id| self.table(Res::Catalog).view(id));
        if let Some(item) = item {
            for (field, from) in [("unitPrice", "price"), ("unitCost", "cost")] {
                if !has(obj, field) {
                    let v = match item.get_named(from) {
                        Some(v) => v.to_json(),
                        None => Value::Null,
                    };
                    set(obj, field, if v.is_null() { json!(0.0) } else { v });
                }
            }
        }
        let quantity = number(obj, "quantity").unwrap_or(0.0);
        let included = number(obj, "lessIncluded").unwrap_or(0.0);
        let billed = (quantity - included).max(0.0);
        let price = number(obj, "unitPrice").unwrap_or(0.0);
        let cost = number(obj, "unitCost").unwrap_or(0.0);
        let (ext_price, ext_cost) = (price * billed, cost * quantity);
        set(obj, "extPrice", money(ext_price));
        set(obj, "extCost", money(ext_cost));
        set(obj, "margin", money(ext_price - ext_cost));
    }

    /// A record of `res` as JSON, by the id a reference holds.
    fn referenced(&self, res: Res, reference: Option<&Value>) -> Option<Map<String, Value>> {
        let id = u32::try_from(reference?.get("id")?.as_u64()?).ok()?;
        Some(self.table(res).view(id)?.to_json())
    }

    /// The default record of a setup table (its `defaultFlag` one, else its first), optionally
    /// among the children of one parent, as a reference `{id, name}`.
    pub(super) fn default_of(&self, res: Res, parent: Option<u32>) -> Option<Value> {
        let table = self.table(res);
        let rows = || table.iter().filter(|r| parent.is_none_or(|p| r.meta.parent == p));
        let flagged = rows()
            .find(|r| r.doc.view(table.schema).get_named("defaultFlag").is_some_and(|v| v.to_json() == json!(true)));
        let rec = flagged.or_else(|| rows().next())?;
        let name = rec.doc.view(table.schema).str("name").unwrap_or("").to_owned();
        Some(json!({ "id": rec.id, "name": name }))
    }

    fn derive_ticket(&self, obj: &mut Map<String, Value>, now: i64, by: &str) {
        if !has(obj, "recordType") {
            set(obj, "recordType", json!("ServiceTicket"));
        }
        if !has(obj, "board") {
            // A ticket without a board goes to the first active service board (A15.3).
            let boards = self.table(Res::Boards);
            let first = boards.iter().find(|r| {
                let d = r.doc.view(boards.schema);
                let flag = |f: &str| d.get_named(f).is_some_and(|v| v.to_json() == json!(true));
                !flag("inactiveFlag") && !flag("projectFlag")
            });
            if let Some(b) = first {
                let name = b.doc.view(boards.schema).str("name").unwrap_or("").to_owned();
                set(obj, "board", json!({ "id": b.id, "name": name }));
            }
        }
        let board =
            obj.get("board").and_then(|b| b.get("id")).and_then(Value::as_u64).and_then(|b| u32::try_from(b).ok());
        if !has(obj, "status") {
            // A new ticket gets its board's default status (A15.3).
            if let Some(status) = board.and_then(|b| self.default_of(Res::BoardStatuses, Some(b))) {
                set(obj, "status", status);
            }
        }
        let Some(row) = self.referenced(Res::BoardStatuses, obj.get("status")) else { return };
        // A status is closed when its board says so (`closedStatus`), or by ConnectWise's
        // `>Closed` naming when the board leaves it unset.
        let closed = row
            .get("closedStatus")
            .and_then(Value::as_bool)
            .unwrap_or_else(|| row.get("name").and_then(Value::as_str).is_some_and(|n| n.starts_with('>')));
        set(obj, "closedFlag", Value::Bool(closed));
        if closed {
            if !has(obj, "closedDate") {
                set(obj, "closedDate", json!(crate::datetime::format(now)));
            }
            if !has(obj, "closedBy") {
                set(obj, "closedBy", json!(by));
            }
        } else {
            obj.retain(|k, _| !k.eq_ignore_ascii_case("closedDate") && !k.eq_ignore_ascii_case("closedBy"));
        }
    }

    /// A configuration's `status` reference is named by its status's `description` (a
    /// configuration status has no `name`); a new configuration gets the default status.
    fn derive_configuration(&self, obj: &mut Map<String, Value>) {
        let Some(statuses) = Res::at_path("/company/configurations/statuses") else { return };
        if !has(obj, "status") {
            if let Some(status) = self.default_of(statuses, None) {
                set(obj, "status", json!({ "id": status["id"] }));
            }
        }
        let description = self.referenced(statuses, obj.get("status")).and_then(|s| s.get("description").cloned());
        if let (Some(Value::Object(status)), Some(d)) = (obj.get_mut("status"), description) {
            status.insert("name".into(), d);
        }
    }

    fn derive_company(&self, obj: &mut Map<String, Value>) {
        if !has(obj, "status") {
            if let Some(status) = Res::at_path("/company/companies/statuses").and_then(|r| self.default_of(r, None)) {
                set(obj, "status", status);
            }
        }
        if !has(obj, "types") {
            let types = Res::at_path("/company/companies/types").and_then(|r| self.default_of(r, None));
            set(obj, "types", Value::Array(types.into_iter().collect()));
        }
        if !has(obj, "site") {
            set(obj, "site", json!({ "name": MAIN_SITE }));
        }
    }

    /// Keeps the `/system/members` twin of API member `id` in step with it (made when
    /// missing), or an API member in step with its twin after a write through
    /// `/system/members`. `from` is the collection just written.
    pub(crate) fn sync_api_member(&mut self, from: Res, id: u32) {
        match from {
            Res::ApiMembers => self.mirror_api_member(id),
            Res::Members => self.follow_twin(id),
            _ => {}
        }
    }

    fn mirror_api_member(&mut self, id: u32) {
        let Some(rec) = self.table(Res::ApiMembers).get(id) else { return };
        let api = rec.doc.view(Res::ApiMembers.schema()).to_json();
        let meta = rec.meta;
        let mut twin = Map::new();
        let identifier = api.get("identifier").cloned().unwrap_or(Value::Null);
        let name = api.get("name").and_then(Value::as_str).map(str::to_owned);
        twin.insert("identifier".into(), identifier.clone());
        let name = name.unwrap_or_else(|| identifier.as_str().unwrap_or("").to_owned());
        let (first, last) = split_name(&name);
        twin.insert("firstName".into(), json!(first));
        twin.insert("lastName".into(), json!(last));
        twin.insert("licenseClass".into(), json!(API_LICENSE_CLASS));
        twin.insert("hireDate".into(), json!(crate::datetime::format(meta.entered_at)));
        twin.insert("defaultEmail".into(), json!("Office"));
        twin.insert("defaultPhone".into(), json!("Office"));
        if let Some(e) = api.get("emailAddress") {
            twin.insert("officeEmail".into(), e.clone());
        }
        for k in [
            "inactiveFlag",
            "inactiveDate",
            "timeZone",
            "securityRole",
            "structureLevel",
            "securityLocation",
            "defaultLocation",
            "defaultDepartment",
            "salesDefaultLocation",
            "serviceDefaultBoard",
            "notes",
        ] {
            if let Some(v) = api.get(k) {
                twin.insert(k.into(), v.clone());
            }
        }
        for (name, default) in Res::Members.info().defaults {
            if !twin.contains_key(*name) {
                twin.insert((*name).to_owned(), default.to_json());
            }
        }
        default_flags(Res::Members.schema(), &mut twin);
        let table = self.table_mut(Res::Members);
        let doc = Doc::encode(table.schema, &twin);
        if table.get(id).is_some() {
            table.update(id, doc, meta);
        } else {
            table.insert(Record::new(id, meta, doc));
        }
    }

    /// After a write to `/system/members/{id}` of an API member's twin: the API member takes
    /// the fields the two share.
    fn follow_twin(&mut self, id: u32) {
        let Some(twin) = self.table(Res::Members).get(id) else { return };
        let Some(api_rec) = self.table(Res::ApiMembers).get(id) else { return };
        let t = twin.doc.view(Res::Members.schema()).to_json();
        let mut api = api_rec.doc.view(Res::ApiMembers.schema()).to_json();
        let meta: Meta = twin.meta;
        for k in [
            "identifier",
            "inactiveFlag",
            "inactiveDate",
            "securityRole",
            "timeZone",
            "defaultLocation",
            "defaultDepartment",
            "serviceDefaultBoard",
            "notes",
        ] {
            match t.get(k) {
                Some(v) => {
                    api.insert(k.into(), v.clone());
                }
                None => {
                    api.remove(k);
                }
            }
        }
        let first = t.get("firstName").and_then(Value::as_str).unwrap_or("");
        let last = t.get("lastName").and_then(Value::as_str).unwrap_or("");
        let current = api.get("name").and_then(Value::as_str).unwrap_or("");
        // Renamed through `/system/members`: the API member takes the new name.
        if split_name(current) != (first.to_owned(), last.to_owned()) {
            api.insert("name".into(), json!(format!("{first} {last}").trim()));
        }
        if let Some(e) = t.get("officeEmail") {
            api.insert("emailAddress".into(), e.clone());
        }
        let table = self.table_mut(Res::ApiMembers);
        let doc = Doc::encode(table.schema, &api);
        table.update(id, doc, meta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;

    #[test]
    fn every_boolean_flag_of_the_schema_defaults_to_false_and_set_ones_are_kept() {
        let mut obj = json!({"cancelledFlag": null, "noEndingDateFlag": true}).as_object().cloned().unwrap();
        default_flags(schema("Agreement"), &mut obj);
        assert_eq!(obj["cancelledFlag"], json!(false));
        assert_eq!(obj["noEndingDateFlag"], json!(true));
        assert_eq!(obj["billZeroAmountFlag"], json!(false));
        assert!(obj.keys().all(|k| k.ends_with("Flag")));
        assert_eq!(obj.len(), 11);
    }
}
