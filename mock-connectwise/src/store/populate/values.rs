//! The body of one generated record, from the collection's official schema (the logic of the
//! test-side generator `tests/common/bodies.rs`, ported): every required and "Required On
//! Updates" property with a plausible value — strings `Sample {noun} {n}` within their
//! `Max length`, an enum's first value, a fixed date, 1 for numbers, false for flags — and
//! every reference pointing at the first record of its collection (populated first, by
//! [`super::Filler::first`]). A few collections whose rules the schema does not carry
//! (callbacks, integrator logins, notes, link collections) get their values here by hand.

use serde_json::{Map, Value, json};

use super::Filler;
use crate::resources::Res;
use crate::schema::{ObjectSchema, SCHEMAS, Type};
use crate::store::tenant::Tenant;

/// How deep embedded (non-reference) objects are filled.
const MAX_NESTING: u8 = 4;

/// The date every generated date-time holds (A24.40).
pub(super) const SAMPLE_DATE: &str = "2024-01-01T00:00:00Z";

impl Filler<'_> {
    /// The POST body of a new record of `res` under `parent`, numbered `n` in its collection.
    pub(super) fn body(&mut self, t: &mut Tenant, res: Res, parent: Option<u32>, n: usize) -> Value {
        let info = res.info();
        // A link collection's record is keyed by the record it links (A15.4).
        if info.parent.is_some() && res.schema().is_reference() {
            let target = Res::for_reference(&res.schema().name).map(|(r, _)| r).filter(|&r| r != res);
            return match target.and_then(|r| self.first(t, r)) {
                Some(id) => json!({ "id": id }),
                None => json!({}),
            };
        }
        let noun = info.noun;
        let mut obj = self.object(t, res.schema(), Some(res), parent, noun, n, 0);
        self.by_hand(res, &mut obj, n);
        Value::Object(obj)
    }

    /// What the schema does not say: a callback's registration rules, a login's password,
    /// a note's text (A15.10).
    fn by_hand(&self, res: Res, obj: &mut Map<String, Value>, n: usize) {
        match res.info().path {
            // Inactive, so that no later write is delivered to it (A24.41).
            "/system/callbacks" => {
                obj.insert("url".into(), json!(format!("http://127.0.0.1:9/sample-callback-{n}")));
                obj.insert("type".into(), json!("ticket"));
                obj.insert("level".into(), json!("owner"));
                obj.insert("objectId".into(), json!(1));
                obj.insert("inactiveFlag".into(), json!(true));
            }
            "/system/integratorlogins" => {
                obj.insert("username".into(), json!(format!("sample-login-{n}")));
                // Stored hashed, never answered: nobody can log in with it.
                obj.insert("password".into(), json!(format!("Sample-{}", self.keys.key())));
            }
            _ => {}
        }
        let path = res.info().path;
        if path.ends_with("/notes") && res.schema().prop("text").is_some() {
            obj.entry("text").or_insert_with(|| json!(format!("Sample note {n}")));
        }
    }

    #[allow(clippy::too_many_arguments)] // one recursive walk; a struct would only rename them
    fn object(
        &mut self,
        t: &mut Tenant,
        schema: &'static ObjectSchema,
        res: Option<Res>,
        parent: Option<u32>,
        noun: &str,
        n: usize,
        depth: u8,
    ) -> Map<String, Value> {
        let mut out = Map::new();
        // In the file's order, so a ticket's board is chosen before its status.
        for (i, prop) in schema.props.iter().enumerate() {
            let required = schema.required.iter().any(|&r| usize::from(r) == i)
                || super::enums::always_answered(&schema.name, &prop.name);
            if !required && !prop.required_on_update {
                continue;
            }
            let value = match &prop.ty {
                Type::Object(idx) => self.object_value(t, *idx, res, &prop.name, parent, noun, n, depth),
                Type::Array(_) => Some(json!([])),
                Type::Str if super::enums::known_value(&schema.name, &prop.name).is_some() => {
                    super::enums::known_value(&schema.name, &prop.name).map(Value::from)
                }
                ty => scalar(ty, &prop.name, prop.max_len, noun, n, parent),
            };
            if let Some(v) = value {
                out.insert(prop.name.clone(), v);
            }
        }
        out
    }

    /// A reference to the first record of its collection, or an embedded object filled in turn.
    #[allow(clippy::too_many_arguments)] // see `object`
    fn object_value(
        &mut self,
        t: &mut Tenant,
        idx: usize,
        res: Option<Res>,
        field: &str,
        parent: Option<u32>,
        noun: &str,
        n: usize,
        depth: u8,
    ) -> Option<Value> {
        let target_schema = SCHEMAS.get(idx);
        if !target_schema.is_reference() {
            if depth >= MAX_NESTING {
                return None;
            }
            return Some(Value::Object(self.object(t, target_schema, None, None, noun, n, depth + 1)));
        }
        let explicit =
            res.and_then(|r| r.info().refs.iter().find(|rf| rf.field.eq_ignore_ascii_case(field))).map(|rf| rf.targets);
        let target = match explicit {
            // A reference the collection fills itself (a new company's `site`).
            Some([]) => return Some(json!({ "name": super::super::derived::MAIN_SITE })),
            Some(targets) => targets.first().copied(),
            None => Res::for_reference(&target_schema.name).map(|(r, _)| r).or_else(|| named_target(target_schema)),
        };
        match target {
            // A child's reference to its parent (a board status's `board`) is set from the path.
            Some(r) if res.and_then(|s| s.info().parent).is_some_and(|(p, f)| p == r && f == field) => {
                parent.map(|p| json!({ "id": p }))
            }
            Some(r) => self.first(t, r).map(|id| json!({ "id": id })),
            // A table the mock does not store: an id and a name, as every reference the real
            // server answers has (A24.42; sync applications key on the id).
            None => Some(json!({ "id": 1, "name": sample(noun, n, None) })),
        }
    }
}

/// The stored collection of a reference the registry points at none (its collection is only in
/// the 2025.1 file): the one whose schema the reference names (`TeamRoleReference` →
/// `TeamRole`, `/company/teamRoles`).
fn named_target(reference: &ObjectSchema) -> Option<Res> {
    let base = reference.name.strip_suffix("Reference")?;
    Res::all().find(|r| r.schema().name == base)
}

/// A record of `schema` the mock stores nothing for (the item of a view, A24.44), with id
/// `id`: every required and "Required On Updates" property as a generated record has it, a
/// reference pointing at the first record of its collection where there is one.
pub(super) fn view_record(t: &Tenant, schema: &'static ObjectSchema, id: u32, depth: u8) -> Map<String, Value> {
    let mut out = Map::new();
    let noun = schema.name.as_str();
    for (i, prop) in schema.props.iter().enumerate() {
        let required =
            schema.required.iter().any(|&r| usize::from(r) == i) || super::enums::always_answered(noun, &prop.name);
        if prop.name == "id" {
            out.insert("id".into(), json!(id));
            continue;
        }
        if !required && !prop.required_on_update {
            continue;
        }
        let value = match &prop.ty {
            Type::Object(idx) if SCHEMAS.get(*idx).is_reference() => {
                let target = Res::for_reference(&SCHEMAS.get(*idx).name)
                    .map(|(r, _)| r)
                    .or_else(|| named_target(SCHEMAS.get(*idx)));
                match target {
                    Some(r) => t.table(r).iter().next().map(|rec| json!({ "id": rec.id })),
                    // A table the mock does not store (A24.42).
                    None if SCHEMAS.get(*idx).prop("name").is_some() => {
                        Some(json!({ "id": 1, "name": sample(noun, 1, None) }))
                    }
                    None => Some(json!({ "id": 1 })),
                }
            }
            Type::Object(idx) if depth < MAX_NESTING => {
                let mut inner = view_record(t, SCHEMAS.get(*idx), 1, depth + 1);
                inner.remove("id");
                Some(Value::Object(inner))
            }
            Type::Array(_) => Some(json!([])),
            Type::Str => match super::enums::known_value(noun, &prop.name) {
                Some(v) => Some(json!(v)),
                None => scalar(&prop.ty, &prop.name, prop.max_len, noun, 1, None),
            },
            ty => scalar(ty, &prop.name, prop.max_len, noun, 1, None),
        };
        if let Some(v) = value {
            out.insert(prop.name.clone(), v);
        }
    }
    out
}

/// A plausible value of a scalar property.
fn scalar(ty: &Type, prop: &str, max: Option<usize>, noun: &str, n: usize, parent: Option<u32>) -> Option<Value> {
    Some(match ty {
        Type::Enum(values) => json!(values.first()?),
        Type::Str => json!(string(prop, max, noun, n)),
        Type::DateTime => json!(SAMPLE_DATE),
        // A child's id field (`ticketId`, `agreementId`) holds the parent's id.
        Type::Int => json!(parent.filter(|_| prop.ends_with("Id")).unwrap_or(1)),
        Type::Num => json!(1.0),
        Type::Bool => json!(false),
        Type::Any => json!({}),
        Type::Info | Type::Object(_) | Type::Array(_) => return None,
    })
}

/// A string for `prop`: an e-mail or web address where the name says so, else `Sample {noun} {n}`.
fn string(prop: &str, max: Option<usize>, noun: &str, n: usize) -> String {
    let lower = prop.to_ascii_lowercase();
    let s = if lower.contains("email") {
        format!("sample{n}@example.com")
    } else if lower.ends_with("url") || lower.contains("website") {
        format!("https://example.com/sample-{n}")
    } else if lower.ends_with("date") {
        // A date kept as text (a holiday's `date`): what the real server writes there.
        SAMPLE_DATE[..10].to_owned()
    } else if lower.ends_with("time")
        || (lower.starts_with("time") && (lower.ends_with("start") || lower.ends_with("end")))
    {
        "08:00:00".to_owned()
    } else {
        return sample(noun, n, max);
    };
    if max.is_some_and(|m| s.len() > m) { sample(noun, n, max) } else { s }
}

/// `Sample {noun} {n}`, cut to `max` characters keeping the number (unique within a
/// collection): `Sample address format 1`, `Sample ag 1`, or `S1` (A24.40).
pub(super) fn sample(noun: &str, n: usize, max: Option<usize>) -> String {
    let full = format!("Sample {noun} {n}");
    let Some(max) = max.filter(|&m| full.len() > m) else { return full };
    let tail = format!(" {n}");
    if max > tail.len() + "Sample".len() {
        let head: String = full.chars().take(max - tail.len()).collect();
        return format!("{}{tail}", head.trim_end());
    }
    let short = format!("S{n}");
    if short.len() <= max {
        return short;
    }
    let digits = n.to_string();
    digits[digits.len() - max.clamp(1, digits.len())..].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_string_fits_its_max_length_and_keeps_its_number() {
        assert_eq!(sample("address format", 1, None), "Sample address format 1");
        assert_eq!(sample("address format", 12, Some(15)), "Sample addre 12");
        assert_eq!(sample("address format", 3, Some(4)), "S3");
        assert_eq!(sample("x", 7, Some(1)), "7");
        for max in 1..30 {
            assert!(sample("agreement type", 123, Some(max)).len() <= max, "{max}");
        }
    }

    #[test]
    fn strings_named_as_addresses_look_like_addresses() {
        assert_eq!(string("emailAddress", Some(50), "contact", 2), "sample2@example.com");
        assert_eq!(string("website", None, "company", 2), "https://example.com/sample-2");
        assert_eq!(string("name", Some(10), "company", 2), "Sample c 2");
    }
}
