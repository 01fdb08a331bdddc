//! Time: a time entry takes its company (and agreement) from what it is charged to, as the
//! real server fills them (assumption A25.7).

use serde_json::{Map, Value, json};

use super::{get, has, set};
use crate::resources::Res;
use crate::store::tenant::Tenant;

impl Tenant {
    pub(super) fn derive_time_entry(&self, obj: &mut Map<String, Value>) {
        self.default_work_type(obj);
        let kind = get(obj, "chargeToType").and_then(Value::as_str).unwrap_or("").to_owned();
        let id = get(obj, "chargeToId").and_then(Value::as_u64).and_then(|i| u32::try_from(i).ok());
        if kind == "Company" {
            // Time against a company: the company charged is the entry's company.
            if let Some(id) = id.filter(|&i| !has(obj, "company") && self.table(Res::Companies).get(i).is_some()) {
                let reference = self.reference_to(Res::Companies, id, crate::schema::schema("CompanyReference"));
                set(obj, "company", reference);
            }
            return;
        }
        let charged = match (kind.as_str(), id) {
            ("ServiceTicket", Some(id)) => Some((Res::Tickets, id, "ticket")),
            ("ProjectTicket", Some(id)) => Res::at_path("/project/tickets").map(|r| (r, id, "ticket")),
            _ => None,
        };
        let Some((res, id, link)) = charged else { return };
        let Some(record) = self.table(res).view(id).map(|d| d.to_json()) else { return };
        for field in ["company", "agreement"] {
            if !has(obj, field) {
                if let Some(v) = get(&record, field) {
                    set(obj, field, v.clone());
                }
            }
        }
        if !has(obj, link) {
            let mut r = json!({ "id": id });
            if let Some(s) = get(&record, "summary") {
                r["summary"] = s.clone();
            }
            set(obj, link, r);
        }
        if !has(obj, "project") {
            if let Some(p) = get(&record, "project") {
                set(obj, "project", p.clone());
            }
        }
        // `ticketBoard` is the board's name (a string in the schema).
        if !has(obj, "ticketBoard") {
            if let Some(b) = get(&record, "board").and_then(|b| b.get("name")).cloned() {
                set(obj, "ticketBoard", b);
            }
        }
    }

    /// A time entry without a work type gets the one flagged `overallDefaultFlag`.
    fn default_work_type(&self, obj: &mut Map<String, Value>) {
        let Some(types) = Res::at_path("/time/workTypes") else { return };
        if has(obj, "workType") {
            return;
        }
        let table = self.table(types);
        let flagged = table.iter().find(|r| {
            let d = r.doc.view(table.schema);
            d.get_named("overallDefaultFlag").is_some_and(|v| v.to_json() == json!(true))
        });
        if let Some(rec) = flagged {
            let reference = self.reference_to(types, rec.id, crate::schema::schema("WorkTypeReference"));
            set(obj, "workType", reference);
        }
    }
}
