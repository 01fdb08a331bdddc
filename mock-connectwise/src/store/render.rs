//! Records to JSON, written straight from their documents in the official property order,
//! with `id`, `_info` (dates, `enteredBy`/`updatedBy`, `*_href` links) and a `fields`
//! selection applied on the way out.
//!
//! This is the hot path of every read, so it writes bytes directly instead of going through
//! `serde`: most stored strings need no escaping, and checking that in one pass and copying
//! them whole is several times cheaper than escaping byte by byte. Numbers and the rare
//! string that does need escaping go through `serde_json`, so the output is the same.

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
    /// The service board of the record being rendered, for its status's link
    /// (`/service/boards/{board}/statuses/{id}`); set per record.
    pub(crate) board: Option<i64>,
    /// The company of the record being rendered, for its site's link
    /// (`/company/companies/{company}/sites/{id}`); set per record.
    pub(crate) company: Option<i64>,
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

/// Writes a JSON string: copied whole when nothing in it needs escaping.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    // No short-circuit, so the check compiles to a vectorised pass over the bytes.
    let needs_escape = s.as_bytes().iter().fold(false, |acc, &b| acc | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if !needs_escape {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

/// Writes a date-time as a JSON string, without an intermediate `String`.
fn write_date(out: &mut Vec<u8>, secs: i64) {
    out.push(b'"');
    out.extend_from_slice(&datetime::digits(secs));
    out.push(b'"');
}

/// Writes an integer, without an intermediate `String`.
fn write_int(out: &mut Vec<u8>, i: i64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut v = i.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

/// A JSON object being written: keys and commas in order.
struct Obj<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Obj<'o> {
    fn open(out: &'o mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Starts an entry. Keys are property names of the official schemas and the mock's own
    /// fixed names: plain identifiers that never need escaping (a schema test checks it).
    /// Starts an entry whose key is already written as `"name":`.
    fn key_bytes(&mut self, key: &[u8]) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.extend_from_slice(key);
        self.out
    }

    fn key(&mut self, k: &str) -> &mut Vec<u8> {
        self.out.reserve(k.len() + 4);
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

impl RecordJson<'_> {
    /// Appends the record's JSON to `out`: from the record's cache when it was rendered whole
    /// for this API root before, else rendered (and cached when whole).
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let whole = self.fields.is_none() && self.res.is_some();
        if whole {
            if let Some(json) = self.record.cache.get(self.ctx.base) {
                out.extend_from_slice(json);
                return;
            }
        }
        let start = out.len();
        self.render(out);
        // Not for the empty root fixtures and the console render with: a record keeps the
        // first rendering cached, and clients' calls need theirs.
        if whole && !self.ctx.base.is_empty() {
            self.record.cache.put(self.ctx.base, &out[start..]);
        }
    }

    fn render(&self, out: &mut Vec<u8>) {
        let schema = self.doc.schema;
        let board = match self.res {
            Some(Res::Boards) => Some(i64::from(self.record.id)),
            _ => match self.doc.get_named("board") {
                Some(Val::Obj(b)) => b.int("id"),
                _ => None,
            },
        };
        let company = match self.res {
            Some(Res::Companies) => Some(i64::from(self.record.id)),
            _ => match self.doc.get_named("company") {
                Some(Val::Obj(c)) => c.int("id"),
                _ => None,
            },
        };
        let ctx = Ctx { board, company, ..self.ctx };
        let virtuals = [schema.id_key.map(|k| (k, Slot::Id)), schema.info_key.map(|k| (k, Slot::Info))];
        let mut obj = Obj::open(out);
        let mut pending = virtuals.into_iter().flatten().peekable();
        let emit = |obj: &mut Obj<'_>, key: u16, slot: Slot<'_>| {
            let sel = pick(self.fields, key);
            if sel == Pick::Skip {
                return;
            }
            let out = obj.key_bytes(&schema.at(key).json_key);
            match slot {
                Slot::Id => write_int(out, i64::from(self.record.id)),
                Slot::Info => self.write_info(out),
                Slot::Prop(k, v) => write_val(out, ctx, &schema.at(k).ty, v, sel),
            }
        };
        for (k, v) in self.doc.entries() {
            while let Some((vk, _)) = pending.peek() {
                if *vk > k {
                    break;
                }
                if let Some((vk, slot)) = pending.next() {
                    emit(&mut obj, vk, slot);
                }
            }
            emit(&mut obj, k, Slot::Prop(k, v));
        }
        for (vk, slot) in pending {
            emit(&mut obj, vk, slot);
        }
        obj.close();
    }

    fn write_info(&self, out: &mut Vec<u8>) {
        let meta = &self.record.meta;
        let mut obj = Obj::open(out);
        write_date(obj.key("lastUpdated"), meta.updated_at);
        write_str(obj.key("updatedBy"), self.ctx.names.name(meta.updated_by));
        write_date(obj.key("dateEntered"), meta.entered_at);
        write_str(obj.key("enteredBy"), self.ctx.names.name(meta.entered_by));
        if self.res == Some(Res::Agreements) {
            let href = format!("{}/finance/agreements/{}/additions", self.ctx.base, self.record.id);
            write_str(obj.key("additions_href"), &href);
        }
        obj.close();
    }
}

/// Records as a JSON array, into a buffer sized for them.
pub(crate) fn write_list(records: &[RecordJson<'_>]) -> Vec<u8> {
    // Sized from the cached renderings (about 2 KiB for the larger schemas otherwise), so the
    // buffer is not copied as it grows.
    let size: usize = records.iter().map(|r| r.record.cache.get(r.ctx.base).map_or(2048, <[u8]>::len) + 1).sum();
    let mut out = Vec::with_capacity(2 + size);
    out.push(b'[');
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        r.write(&mut out);
    }
    out.push(b']');
    out
}

/// One record's JSON.
pub(crate) fn write_one(record: &RecordJson<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    record.write(&mut out);
    out
}

fn write_val(out: &mut Vec<u8>, ctx: Ctx<'_>, ty: &'static Type, v: Val<'_>, fields: Pick<'_>) {
    match v {
        Val::Null => out.extend_from_slice(b"null"),
        Val::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        Val::Int(i) => write_int(out, i),
        Val::Num(f) => match serde_json::Number::from_f64(f) {
            Some(n) => out.extend_from_slice(n.to_string().as_bytes()),
            None => out.extend_from_slice(b"null"),
        },
        Val::Str(t) => write_str(out, t),
        Val::DateTime(t) => write_date(out, t),
        // Stored as the JSON text it came in as (written by `doc`, so valid): written through.
        Val::Any(text) => out.extend_from_slice(text.as_bytes()),
        Val::Obj(d) => {
            let fields = match fields {
                Pick::Part(f) => Some(f),
                _ => None,
            };
            write_nested(out, ctx, d, fields);
        }
        Val::Arr(a) => {
            let item_ty = match ty {
                Type::Array(item) => item.as_ref(),
                other => other,
            };
            out.push(b'[');
            for (i, it) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_val(out, ctx, item_ty, it, fields);
            }
            out.push(b']');
        }
    }
}

/// `{base}{path}/{id}`, without `format!`'s machinery (one per reference rendered).
fn join_href(base: &str, path: &str, id: i64) -> String {
    let id = id.to_string();
    let mut href = String::with_capacity(base.len() + path.len() + 1 + id.len());
    href.push_str(base);
    href.push_str(path);
    href.push('/');
    href.push_str(&id);
    href
}

/// The `_info` link of a reference to a record the mock serves; a child's link goes through
/// the parent the rendered record names (a status through its board, a site through its
/// company), and there is none when it names no such parent.
fn reference_link(ctx: Ctx<'_>, reference_schema: &str, id: i64) -> Option<(&'static str, String)> {
    let (res, key) = Res::for_reference(reference_schema)?;
    let info = res.info();
    let Some((parent, _)) = info.parent else { return Some((key, join_href(ctx.base, info.path, id))) };
    let parent_id = match parent {
        Res::Boards => ctx.board?,
        Res::Companies => ctx.company?,
        _ => return None,
    };
    let (head, tail) = info.path.split_once("{parentId}")?;
    Some((key, join_href(ctx.base, &format!("{head}{parent_id}{tail}"), id)))
}

/// A nested object; references to records the mock serves get an `_info` link to them.
fn write_nested(out: &mut Vec<u8>, ctx: Ctx<'_>, doc: DocRef<'_>, fields: Option<&Fields>) {
    let schema = doc.schema;
    let mut obj = Obj::open(out);
    for (k, v) in doc.entries() {
        let sel = pick(fields, k);
        if sel != Pick::Skip {
            write_val(obj.key_bytes(&schema.at(k).json_key), ctx, &schema.at(k).ty, v, sel);
        }
    }
    let info_wanted = schema.info_key.is_some_and(|k| pick(fields, k) != Pick::Skip);
    let link = match (info_wanted, doc.int("id")) {
        (true, Some(id)) => reference_link(ctx, &schema.name, id),
        _ => None,
    };
    if let Some((key, href)) = link {
        let out = obj.key("_info");
        out.push(b'{');
        write_str(out, key);
        out.push(b':');
        write_str(out, &href);
        out.push(b'}');
    }
    obj.close();
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
        let meta =
            Meta { entered_at: 1_700_000_000, updated_at: 1_700_000_060, entered_by: by, updated_by: by, parent: 0 };
        let record = Record::new(12, meta, Doc::encode(s, body.as_object().unwrap()));
        let fields = fields.map(|f| Fields::parse(s, f).unwrap());
        let ctx = Ctx { base: "http://h/v4_6_release/apis/3.0", names: &names, board: None, company: None };
        let json = RecordJson {
            ctx,
            doc: record.doc.view(s),
            record: &record,
            res: Some(Res::ApiMembers),
            fields: fields.as_ref(),
        };
        serde_json::from_slice(&write_one(&json)).unwrap()
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

    #[test]
    fn strings_that_need_escaping_and_numbers_render_as_serde_json_would() {
        let mut out = Vec::new();
        for s in ["plain", "quote \" and \\ backslash", "tab\tnew\nline\u{1}", "ünïcødé ✓", ""] {
            out.clear();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
        let s = schema("CatalogItem");
        let body = json!({"identifier": "Q\"1", "description": "a\nb", "price": 4.5, "cost": 1e-7});
        let names = Names::default();
        let meta = Meta { entered_at: 0, updated_at: 0, entered_by: 0, updated_by: 0, parent: 0 };
        let record = Record::new(3, meta, Doc::encode(s, body.as_object().unwrap()));
        let ctx = Ctx { base: "http://h", names: &names, board: None, company: None };
        let json = RecordJson { ctx, doc: record.doc.view(s), record: &record, res: None, fields: None };
        let v: serde_json::Value = serde_json::from_slice(&write_one(&json)).unwrap();
        assert_eq!(v["identifier"], "Q\"1");
        assert_eq!(v["description"], "a\nb");
        assert_eq!(v["price"], 4.5);
        assert_eq!(v["cost"], 1e-7);
    }
}
