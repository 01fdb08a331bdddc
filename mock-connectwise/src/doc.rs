//! The compact stored form of a record: a schema-keyed binary document.
//!
//! A [`Doc`] holds the properties a client set, in schema order, as `key value` entries where
//! `key` is the property's index in its [`ObjectSchema`](crate::schema::ObjectSchema) and
//! `value` is a tagged payload (strings inline, enums as their index, date-times as seconds,
//! nested references as nested documents). It is about a fifth of the size of the same record
//! as a `serde_json::Value`, which is what lets one process hold a million members, and reading
//! one property is a short scan with no allocation, which is what keeps `conditions` and
//! `orderBy` fast. Documents are only ever written by [`Doc::encode`] from validated JSON.

use serde_json::{Map, Number, Value};

use crate::datetime;
use crate::schema::{ObjectSchema, SCHEMAS, Type};

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const NUM: u8 = 4;
const STR: u8 = 5;
const ENUM: u8 = 6;
const DATETIME: u8 = 7;
const OBJ: u8 = 8;
const ARR: u8 = 9;
const ANY: u8 = 10;

/// A stored record body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Doc(Box<[u8]>);

/// A borrowed document with its schema.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DocRef<'a> {
    bytes: &'a [u8],
    pub(crate) schema: &'static ObjectSchema,
}

/// A borrowed array with its item type.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ArrRef<'a> {
    bytes: &'a [u8],
    count: usize,
    item: &'static Type,
}

/// One property value, borrowed from a document.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(&'a str),
    /// Seconds since the Unix epoch, UTC.
    DateTime(i64),
    Obj(DocRef<'a>),
    Arr(ArrRef<'a>),
    /// A free-form JSON value, as JSON text.
    Any(&'a str),
}

impl Doc {
    /// Encodes the schema's properties found in `obj` (case-insensitively); unknown properties,
    /// `id` and `_info` are not stored. `obj` must already be validated against `schema`.
    pub(crate) fn encode(schema: &ObjectSchema, obj: &Map<String, Value>) -> Self {
        Self::encode_with_defaults(schema, obj, &[])
    }

    /// Like [`Doc::encode`], with `defaults` (property index, value) stored for the properties
    /// `obj` lacks: bulk generation fills a million records' flags without a map entry each.
    pub(crate) fn encode_with_defaults(
        schema: &ObjectSchema,
        obj: &Map<String, Value>,
        defaults: &[(u16, Value)],
    ) -> Self {
        // Encoded in a reused scratch buffer, then copied to an allocation of exactly its
        // size: growing a vector and shrinking it leaves a tail behind every long-lived
        // document, which cost a third of the memory with a million members.
        thread_local!(static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) });
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut out) => {
                out.clear();
                encode_object(schema, obj, &mut out, true, defaults);
                Self(Box::from(out.as_slice()))
            }
            Err(_) => {
                let mut out = Vec::new();
                encode_object(schema, obj, &mut out, true, defaults);
                Self(out.into_boxed_slice())
            }
        })
    }

    /// A view of this document under its schema.
    pub(crate) fn view(&self, schema: &'static ObjectSchema) -> DocRef<'_> {
        DocRef { bytes: &self.0, schema }
    }

    /// Heap bytes held by this document.
    pub(crate) fn heap_size(&self) -> usize {
        self.0.len()
    }
}

/// `top`: the record itself, whose `id` is kept outside the document; nested objects keep theirs.
fn encode_object(
    schema: &ObjectSchema,
    obj: &Map<String, Value>,
    out: &mut Vec<u8>,
    top: bool,
    defaults: &[(u16, Value)],
) {
    let mut entries: Vec<(u16, &Value)> = obj
        .iter()
        .filter_map(|(k, v)| {
            let (i, p) = schema.prop(k)?;
            let server_managed = matches!(p.ty, Type::Info) || (top && p.name == "id");
            (!server_managed && !v.is_null()).then_some((i, v))
        })
        .collect();
    // Appended after the object's own entries: the stable sort and `dedup` keep the object's.
    entries.extend(defaults.iter().map(|(i, v)| (*i, v)));
    entries.sort_by_key(|&(i, _)| i);
    entries.dedup_by_key(|&mut (i, _)| i);
    for (i, v) in entries {
        write_varint(out, u64::from(i));
        encode_value(&schema.at(i).ty, v, out);
    }
}

fn encode_value(ty: &Type, v: &Value, out: &mut Vec<u8>) {
    match (ty, v) {
        (_, Value::Null) => out.push(NULL),
        (Type::Enum(options), Value::String(s)) => match options.iter().position(|o| o.eq_ignore_ascii_case(s)) {
            Some(i) => {
                out.push(ENUM);
                out.push(u8::try_from(i).unwrap_or(u8::MAX));
            }
            None => write_str(out, STR, s),
        },
        (Type::DateTime, Value::String(s)) => match datetime::parse(s) {
            Some(t) => {
                out.push(DATETIME);
                write_varint(out, zigzag(t));
            }
            None => write_str(out, STR, s),
        },
        (Type::Object(i), Value::Object(o)) => {
            let mut inner = Vec::with_capacity(32);
            encode_object(SCHEMAS.get(*i), o, &mut inner, false, &[]);
            out.push(OBJ);
            write_varint(out, inner.len() as u64);
            out.extend_from_slice(&inner);
        }
        (Type::Array(item), Value::Array(items)) => {
            let mut inner = Vec::with_capacity(16);
            write_varint(&mut inner, items.len() as u64);
            for it in items {
                encode_value(item, it, &mut inner);
            }
            out.push(ARR);
            write_varint(out, inner.len() as u64);
            out.extend_from_slice(&inner);
        }
        (Type::Any, other) => write_str(out, ANY, &other.to_string()),
        (_, Value::Bool(b)) => out.push(if *b { TRUE } else { FALSE }),
        (_, Value::Number(n)) => match n.as_i64() {
            Some(i) => {
                out.push(INT);
                write_varint(out, zigzag(i));
            }
            None => {
                out.push(NUM);
                out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes());
            }
        },
        (_, Value::String(s)) => write_str(out, STR, s),
        // Validation rejects every other pairing; keep whatever arrived as free JSON.
        (_, other) => write_str(out, ANY, &other.to_string()),
    }
}

fn write_str(out: &mut Vec<u8>, tag: u8, s: &str) {
    out.push(tag);
    write_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// A cursor over encoded bytes. Every read is bounds-checked and yields `None` on a short or
/// malformed buffer instead of panicking.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }

    fn len_prefixed(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.varint()?).ok()?;
        self.take(n)
    }

    /// Steps over one value without decoding it (no UTF-8 check, no allocation).
    fn skip(&mut self) -> Option<()> {
        match self.byte()? {
            NULL | FALSE | TRUE => {}
            INT | DATETIME => {
                self.varint()?;
            }
            NUM => {
                self.take(8)?;
            }
            ENUM => {
                self.byte()?;
            }
            STR | ANY | OBJ | ARR => {
                self.len_prefixed()?;
            }
            _ => return None,
        }
        Some(())
    }

    fn value(&mut self, ty: &'static Type) -> Option<Val<'a>> {
        Some(match self.byte()? {
            NULL => Val::Null,
            FALSE => Val::Bool(false),
            TRUE => Val::Bool(true),
            INT => Val::Int(unzigzag(self.varint()?)),
            NUM => Val::Num(f64::from_le_bytes(self.take(8)?.try_into().ok()?)),
            STR => Val::Str(std::str::from_utf8(self.len_prefixed()?).ok()?),
            ANY => Val::Any(std::str::from_utf8(self.len_prefixed()?).ok()?),
            ENUM => {
                let i = usize::from(self.byte()?);
                match ty {
                    Type::Enum(options) => Val::Str(options.get(i)?.as_str()),
                    _ => return None,
                }
            }
            DATETIME => Val::DateTime(unzigzag(self.varint()?)),
            OBJ => {
                let bytes = self.len_prefixed()?;
                match ty {
                    Type::Object(i) => Val::Obj(DocRef { bytes, schema: SCHEMAS.get(*i) }),
                    _ => return None,
                }
            }
            ARR => {
                let mut inner = Reader { bytes: self.len_prefixed()?, pos: 0 };
                let count = usize::try_from(inner.varint()?).ok()?;
                match ty {
                    Type::Array(item) => Val::Arr(ArrRef { bytes: &inner.bytes[inner.pos..], count, item }),
                    _ => return None,
                }
            }
            _ => return None,
        })
    }
}

impl<'a> DocRef<'a> {
    /// The stored properties, in schema order.
    pub(crate) fn entries(self) -> impl Iterator<Item = (u16, Val<'a>)> {
        let schema = self.schema;
        let mut r = Reader { bytes: self.bytes, pos: 0 };
        std::iter::from_fn(move || {
            if r.pos >= r.bytes.len() {
                return None;
            }
            let key = u16::try_from(r.varint()?).ok()?;
            let prop = schema.props.get(usize::from(key))?;
            Some((key, r.value(&prop.ty)?))
        })
    }

    /// The value of one property, if stored.
    pub(crate) fn get(self, key: u16) -> Option<Val<'a>> {
        // Entries are in key order, so the scan stops at the first larger key; the values
        // before it are stepped over, not decoded (this is the hot loop of every filter).
        let mut r = Reader { bytes: self.bytes, pos: 0 };
        while r.pos < r.bytes.len() {
            let k = u16::try_from(r.varint()?).ok()?;
            if k == key {
                return r.value(&self.schema.props.get(usize::from(k))?.ty);
            }
            if k > key {
                return None;
            }
            r.skip()?;
        }
        None
    }

    /// The string value of a property by key, if it is a string.
    pub(crate) fn str_at(self, key: u16) -> Option<&'a str> {
        match self.get(key)? {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a property by name (case-insensitive).
    pub(crate) fn get_named(self, name: &str) -> Option<Val<'a>> {
        self.get(self.schema.prop(name)?.0)
    }

    /// The string value of a property, if it is a string.
    pub(crate) fn str(self, name: &str) -> Option<&'a str> {
        match self.get_named(name)? {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer value of a property, if it is an integer.
    pub(crate) fn int(self, name: &str) -> Option<i64> {
        match self.get_named(name)? {
            Val::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The boolean value of a property, if it is a boolean.
    pub(crate) fn flag(self, name: &str) -> Option<bool> {
        match self.get_named(name)? {
            Val::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The document as a JSON object (stored properties only: no `id`, no `_info`).
    pub(crate) fn to_json(self) -> Map<String, Value> {
        self.entries().map(|(k, v)| (self.schema.at(k).name.clone(), v.to_json())).collect()
    }
}

impl<'a> ArrRef<'a> {
    /// The items of the array.
    pub(crate) fn iter(self) -> impl Iterator<Item = Val<'a>> {
        let mut r = Reader { bytes: self.bytes, pos: 0 };
        let item = self.item;
        (0..self.count).map_while(move |_| r.value(item))
    }
}

impl Val<'_> {
    /// The value as JSON, with date-times in ConnectWise's `yyyy-MM-ddTHH:mm:ssZ` form.
    pub(crate) fn to_json(self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(b),
            Val::Int(i) => Value::Number(i.into()),
            Val::Num(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Val::Str(s) => Value::String(s.to_owned()),
            Val::DateTime(t) => Value::String(datetime::format(t)),
            Val::Obj(d) => Value::Object(d.to_json()),
            Val::Arr(a) => Value::Array(a.iter().map(Val::to_json).collect()),
            Val::Any(text) => serde_json::from_str(text).unwrap_or(Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;
    use serde_json::json;

    fn member() -> Value {
        json!({
            "identifier": "jsmith", "firstName": "John", "lastName": "Smith",
            "licenseClass": "f", "defaultEmail": "Office", "defaultPhone": "Mobile",
            "hireDate": "2024-02-29T08:30:00Z", "inactiveFlag": false, "hourlyRate": 87.5,
            "daysTolerance": -3, "memberPersonas": [1, 2, 3],
            "securityRole": {"id": 4, "name": "Admin", "_info": {"x": "y"}},
            "notAProperty": "dropped", "id": 99, "_info": {"lastUpdated": "dropped"}
        })
    }

    #[test]
    fn a_document_round_trips_to_json_with_enums_and_dates_normalised() {
        let s = schema("Member");
        let doc = Doc::encode(s, member().as_object().unwrap());
        let back = Value::Object(doc.view(s).to_json());
        assert_eq!(
            back,
            json!({
                "identifier": "jsmith", "firstName": "John", "lastName": "Smith",
                "licenseClass": "F", "defaultEmail": "Office", "defaultPhone": "Mobile",
                "hireDate": "2024-02-29T08:30:00Z", "inactiveFlag": false, "hourlyRate": 87.5,
                "daysTolerance": -3, "memberPersonas": [1, 2, 3],
                "securityRole": {"id": 4, "name": "Admin"}
            })
        );
    }

    #[test]
    fn reading_one_property_finds_it_without_decoding_the_rest() {
        let s = schema("Member");
        let doc = Doc::encode(s, member().as_object().unwrap());
        let view = doc.view(s);
        assert_eq!(view.str("LASTNAME"), Some("Smith"));
        assert_eq!(view.flag("inactiveFlag"), Some(false));
        assert!(view.get_named("title").is_none());
        let Some(Val::Obj(role)) = view.get_named("securityRole") else { panic!("no role") };
        assert_eq!(role.int("id"), Some(4));
    }

    #[test]
    fn a_member_document_is_compact() {
        let s = schema("Member");
        let doc = Doc::encode(s, member().as_object().unwrap());
        let json_len = serde_json::to_string(&doc.view(s).to_json()).unwrap().len();
        assert!(doc.heap_size() * 2 < json_len, "{} vs {json_len}", doc.heap_size());
    }

    #[test]
    fn truncated_bytes_read_as_fewer_entries_never_a_panic() {
        let s = schema("Member");
        let doc = Doc::encode(s, member().as_object().unwrap());
        for n in 0..doc.0.len() {
            let view = DocRef { bytes: &doc.0[..n], schema: s };
            assert!(view.entries().count() <= 12);
        }
    }
}
