//! API members are members: each API member has a twin in `/system/members` with
//! `licenseClass: "A"` and the same id, kept in step both ways.

use serde_json::{Map, Value, json};

use super::{API_LICENSE_CLASS, default_flags, split_name};
use crate::doc::Doc;
use crate::resources::Res;
use crate::store::table::{Meta, Record};
use crate::store::tenant::Tenant;

impl Tenant {
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
