//! Records to JSON, streamed straight from their documents in the official property order,
//! with `id`, `_info` (dates, `enteredBy`/`updatedBy`, `*_href` links) and a `fields`
//! selection applied on the way out.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::datetime;
use crate::doc::{DocRef, Val};
use crate::query::shape::{Fields, Pick};
use crate::resources::Res;
use crate::schema::Type;
use crate::store::table::{Names, Record};

/// What rendering needs besides the record: where links point and who names are.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// The API root for `*_href` links: `http://host:port/v4_6_release/apis/3.0`.
    pub(crate) base: &'a str,
    pub(crate) names: &'a Names,
}

/// One record as a JSON object.
pub(crate) struct RecordJson<'a> {
    pub(crate) ctx: Ctx<'a>,
    pub(crate) doc: DocRef<'a>,
    pub(crate) record: &'a Record,
    /// The record's own route (`/system/members`), for `_info` links; `None` for virtual rows.
    pub(crate) res: Option<Res>,
    pub(crate) fields: Option<&'a Fields>,
}

enum Slot<'a> {
    Id,
    Info,
    Prop(u16, Val<'a>),
}

fn pick(fields: Option<&Fields>, key: u16) -> Pick<'_> {
    fields.map_or(Pick::Whole, |f| f.pick(key))
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let schema = self.doc.schema;
        let id_key = schema.prop("id").map(|(k, _)| k);
        let info_key = schema.prop("_info").map(|(k, _)| k);
        let mut virtuals: Vec<(u16, Slot<'_>)> = Vec::with_capacity(2);
        if let Some(k) = id_key {
            virtuals.push((k, Slot::Id));
        }
        if let Some(k) = info_key {
            virtuals.push((k, Slot::Info));
        }
        let mut map = s.serialize_map(None)?;
        let mut pending = virtuals.into_iter().peekable();
        let emit = |map: &mut S::SerializeMap, key: u16, slot: Slot<'_>| -> Result<(), S::Error> {
            let sel = pick(self.fields, key);
            if sel == Pick::Skip {
                return Ok(());
            }
            let name = schema.at(key).name.as_str();
            match slot {
                Slot::Id => map.serialize_entry(name, &self.record.id),
                Slot::Info => map.serialize_entry(name, &InfoJson(self)),
                Slot::Prop(k, v) => {
                    map.serialize_entry(name, &ValJson { ctx: self.ctx, ty: &schema.at(k).ty, v, fields: sel })
                }
            }
        };
        for (k, v) in self.doc.entries() {
            while let Some((vk, _)) = pending.peek() {
                if *vk > k {
                    break;
                }
                if let Some((vk, slot)) = pending.next() {
                    emit(&mut map, vk, slot)?;
                }
            }
            emit(&mut map, k, Slot::Prop(k, v))?;
        }
        for (vk, slot) in pending {
            emit(&mut map, vk, slot)?;
        }
        map.end()
    }
}

struct InfoJson<'a, 'b>(&'b RecordJson<'a>);

impl Serialize for InfoJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let meta = &r.record.meta;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("lastUpdated", &datetime::format(meta.updated_at))?;
        map.serialize_entry("updatedBy", r.ctx.names.name(meta.updated_by))?;
        map.serialize_entry("dateEntered", &datetime::format(meta.entered_at))?;
        map.serialize_entry("enteredBy", r.ctx.names.name(meta.entered_by))?;
        if r.res == Some(Res::Agreements) {
            let href = format!("{}/finance/agreements/{}/additions", r.ctx.base, r.record.id);
            map.serialize_entry("additions_href", &href)?;
        }
        map.end()
    }
}

struct ValJson<'a, 'f> {
    ctx: Ctx<'a>,
    ty: &'static Type,
    v: Val<'a>,
    fields: Pick<'f>,
}

impl Serialize for ValJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.v {
            Val::Null => s.serialize_unit(),
            Val::Bool(b) => s.serialize_bool(b),
            Val::Int(i) => s.serialize_i64(i),
            Val::Num(f) => s.serialize_f64(f),
            Val::Str(t) => s.serialize_str(t),
            Val::DateTime(t) => s.serialize_str(&datetime::format(t)),
            Val::Any(text) => {
                serde_json::from_str::<serde_json::Value>(text).unwrap_or(serde_json::Value::Null).serialize(s)
            }
            Val::Obj(d) => {
                let fields = match self.fields {
                    Pick::Part(f) => Some(f),
                    _ => None,
                };
                NestedJson { ctx: self.ctx, doc: d, fields }.serialize(s)
            }
            Val::Arr(a) => {
                let item_ty = match self.ty {
                    Type::Array(item) => item.as_ref(),
                    other => other,
                };
                let mut seq = s.serialize_seq(Some(a.len()))?;
                for it in a.iter() {
                    seq.serialize_element(&ValJson { ctx: self.ctx, ty: item_ty, v: it, fields: self.fields })?;
                }
                seq.end()
            }
        }
    }
}

/// A nested object; references to records the mock serves get an `_info` link to them.
struct NestedJson<'a, 'f> {
    ctx: Ctx<'a>,
    doc: DocRef<'a>,
    fields: Option<&'f Fields>,
}

impl Serialize for NestedJson<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let schema = self.doc.schema;
        let mut map = s.serialize_map(None)?;
        for (k, v) in self.doc.entries() {
            let sel = pick(self.fields, k);
            if sel != Pick::Skip {
                map.serialize_entry(
                    &schema.at(k).name,
                    &ValJson { ctx: self.ctx, ty: &schema.at(k).ty, v, fields: sel },
                )?;
            }
        }
        let info_wanted = schema.prop("_info").is_some_and(|(k, _)| pick(self.fields, k) != Pick::Skip);
        if let (true, Some((res, key)), Some(id)) = (info_wanted, Res::for_reference(&schema.name), self.doc.int("id"))
        {
            let href = format!("{}{}/{id}", self.ctx.base, res.info().path);
            map.serialize_entry("_info", &[(key, href)].into_iter().collect::<std::collections::BTreeMap<_, _>>())?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::Doc;
    use crate::schema::schema;
    use crate::store::table::Meta;
    use serde_json::json;

    fn render(fields: Option<&str>) -> serde_json::Value {
        let s = schema("ApiMember");
        let body = json!({"identifier": "Integration", "name": "Sync", "inactiveFlag": false,
            "securityRole": {"id": 9, "name": "Integration"}});
        let mut names = Names::default();
        let by = names.intern("Admin1");
        let record = Record {
            id: 12,
            meta: Meta {
                entered_at: 1_700_000_000,
                updated_at: 1_700_000_060,
                entered_by: by,
                updated_by: by,
                parent: 0,
            },
            doc: Doc::encode(s, body.as_object().unwrap()),
        };
        let fields = fields.map(|f| Fields::parse(s, f).unwrap());
        let ctx = Ctx { base: "http://h/v4_6_release/apis/3.0", names: &names };
        let json = RecordJson {
            ctx,
            doc: record.doc.view(s),
            record: &record,
            res: Some(Res::ApiMembers),
            fields: fields.as_ref(),
        };
        serde_json::to_value(&json).unwrap()
    }

    #[test]
    fn a_record_renders_id_first_then_schema_order_then_info() {
        let v = render(None);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "identifier", "name", "inactiveFlag", "securityRole", "_info"]);
        assert_eq!(
            v["securityRole"]["_info"]["securityRole_href"],
            "http://h/v4_6_release/apis/3.0/system/securityroles/9"
        );
        assert_eq!(v["_info"]["enteredBy"], "Admin1");
        assert_eq!(v["_info"]["dateEntered"], "2023-11-14T22:13:20Z");
        assert_eq!(v["_info"]["lastUpdated"], "2023-11-14T22:14:20Z");
    }

    #[test]
    fn fields_keep_only_what_was_asked_including_nested_parts() {
        assert_eq!(render(Some("id,securityRole/name")), json!({"id": 12, "securityRole": {"name": "Integration"}}));
        assert_eq!(render(Some("identifier")), json!({"identifier": "Integration"}));
    }
}
