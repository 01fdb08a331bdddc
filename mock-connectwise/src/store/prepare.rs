//! The write pipeline up to encoding: defaults, the write-only secret set aside, schema
//! validation, references resolved and their display fields filled in, unique fields checked.

use serde_json::{Map, Value};

use super::StoreError;
use super::records::WriteCtx;
use super::tenant::Tenant;
use crate::doc::{DocRef, Val};
use crate::resources::Res;
use crate::schema::Type;
use crate::validate::{FieldError, FieldErrorCode, Mode, validate};

impl Tenant {
    /// The write pipeline up to encoding: returns the object to store and the secret to hash.
    pub(super) fn prepare(
        &self,
        res: Res,
        parent: Option<u32>,
        body: Value,
        mode: Mode,
        id: Option<u32>,
        w: &WriteCtx<'_>,
    ) -> Result<(Map<String, Value>, Option<String>), StoreError> {
        let info = res.info();
        let schema = res.schema();
        let invalid = |errors| StoreError::Invalid { noun: info.noun, errors };
        let mut body = body;
        crate::validate::coerce(schema, &mut body);
        let mut errors = validate(schema, &body, mode);
        errors.extend(super::notes::check_note(res, &body));
        let Value::Object(mut obj) = body else { return Err(invalid(errors)) };
        for (name, default) in info.defaults {
            if !obj.keys().any(|k| k.eq_ignore_ascii_case(name)) {
                obj.insert((*name).to_owned(), default.to_json());
            }
        }
        if let (Some((_, field)), Some(p)) = (info.parent, parent) {
            obj.retain(|k, _| !k.eq_ignore_ascii_case(field));
            // An id field (`agreementId`) or a reference (a board status's `board`).
            let is_ref = schema.prop(field).is_some_and(|(_, prop)| matches!(prop.ty, Type::Object(_)));
            let value = if is_ref { serde_json::json!({ "id": p }) } else { Value::from(p) };
            obj.insert(field.to_owned(), value);
        }
        let secret = match info.secret {
            Some(name) => {
                let key = obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
                key.and_then(|k| obj.remove(&k)).and_then(|v| v.as_str().map(str::to_owned)).filter(|s| !s.is_empty())
            }
            None => None,
        };
        // A new login needs a password; an update without one keeps the stored hash.
        if res == Res::IntegratorLogins && mode == Mode::Create && id.is_none() && secret.is_none() {
            errors.push(FieldError::new(
                FieldErrorCode::MissingRequiredField,
                "password",
                "password is required.".into(),
            ));
        }
        if errors.is_empty() {
            errors.extend(self.resolve_refs(res, &mut obj));
            errors.extend(self.check_unique(res, &obj, id));
            errors.extend(self.check_callback_entry(res, &mut obj, id, w));
            let derived = self.derive(res, &mut obj, w.now, w.access.caller);
            errors.extend(derived);
        }
        if errors.is_empty() { Ok((obj, secret)) } else { Err(invalid(errors)) }
    }

    fn check_unique(&self, res: Res, obj: &Map<String, Value>, id: Option<u32>) -> Option<FieldError> {
        let info = res.info();
        let field = info.unique?;
        let value = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(field)).and_then(|(_, v)| v.as_str())?;
        let taken = std::iter::once(res)
            .chain(info.unique_with.iter().copied())
            // Members and API members share one id sequence: the same id is the same person
            // (an API member and its `/system/members` twin).
            .any(|r| self.table(r).find_unique(value).is_some_and(|other| Some(other) != id));
        taken.then(|| {
            FieldError::new(FieldErrorCode::ObjectExists, field, format!("The {field} '{value}' is already in use."))
        })
    }

    /// Points every reference at an existing record (by `id`, or by its identifier or name)
    /// and copies the target's display fields into it. A reference to a child collection's
    /// record (a ticket's `status`) is looked up among the children of the parent the object
    /// also references (the ticket's `board`): a status of another board is refused.
    fn resolve_refs(&self, res: Res, obj: &mut Map<String, Value>) -> Vec<FieldError> {
        let schema = res.schema();
        let mut errors = Vec::new();
        let keys: Vec<String> = obj.keys().cloned().collect();
        // Parents first, so a scoped reference sees its parent resolved.
        let mut scoped = Vec::new();
        for pass in 0..2 {
            let keys = if pass == 0 { keys.clone() } else { std::mem::take(&mut scoped) };
            for key in keys {
                let Some((_, prop)) = schema.prop(&key) else { continue };
                let Type::Object(target_schema) = prop.ty else { continue };
                let ref_schema = crate::schema::SCHEMAS.get(target_schema);
                if !ref_schema.is_reference() {
                    continue;
                }
                let explicit =
                    res.info().refs.iter().find(|rf| rf.field.eq_ignore_ascii_case(&key)).map(|rf| rf.targets);
                let target = Res::for_reference(&ref_schema.name).map(|(t, _)| t);
                let scope = match (explicit, target.and_then(|t| t.info().parent)) {
                    (None, Some((parent, _))) => Some(self.scope_of(obj, parent)),
                    _ => None,
                };
                if pass == 0 && scope.is_some() {
                    scoped.push(key);
                    continue;
                }
                let Some(Value::Object(reference)) = obj.get_mut(&key) else { continue };
                let outcome = match (explicit, target) {
                    // A reference the collection fills itself (a new company's `site`).
                    (Some([]), _) => keep_unknown_ref(reference),
                    (Some(targets), _) => self.fill_record_ref(targets, reference, None, ref_schema),
                    (None, Some(t)) => self.fill_record_ref(&[t], reference, scope.flatten(), ref_schema),
                    (None, None) => keep_unknown_ref(reference),
                };
                if let Err(message) = outcome {
                    errors.push(FieldError::new(
                        FieldErrorCode::InvalidField,
                        format!("{}/id", prop.name),
                        format!("{}: {message}", prop.name),
                    ));
                }
            }
        }
        errors
    }

    /// The id of the `parent` record `obj` references (a ticket's `board`), if any.
    fn scope_of(&self, obj: &Map<String, Value>, parent: Res) -> Option<u32> {
        let name = parent.schema().name.as_str();
        let (_, v) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        let id = ref_id(v.as_object()?)?;
        self.table(parent).get(id).map(|_| id)
    }

    /// Resolves a reference into `targets`; `scope` keeps only children of that parent.
    fn fill_record_ref(
        &self,
        targets: &[Res],
        reference: &mut Map<String, Value>,
        scope: Option<u32>,
        ref_schema: &crate::schema::ObjectSchema,
    ) -> Result<(), String> {
        let id = ref_id(reference);
        let in_scope = |r: &super::table::Record| scope.is_none_or(|p| r.meta.parent == p);
        let found = match id {
            Some(id) => targets.iter().find_map(|&t| self.table(t).get(id).filter(|r| in_scope(r)).map(|r| (t, r.id))),
            None => {
                let by = ["identifier", "name"].iter().find_map(|f| ref_text(reference, f).map(|v| (*f, v)));
                let Some((field, value)) = by else { return Err("give an id".into()) };
                targets.iter().find_map(|&t| {
                    let table = self.table(t);
                    let unique = table.find_unique(value).filter(|&rid| table.get(rid).is_some_and(in_scope));
                    let scanned = || {
                        table.iter().find(|r| {
                            in_scope(r)
                                && named(r.doc.view(table.schema), field).is_some_and(|s| s.eq_ignore_ascii_case(value))
                        })
                    };
                    unique.or_else(|| scanned().map(|r| r.id)).map(|rid| (t, rid))
                })
            }
        };
        if found.is_none() {
            if let (Some(p), Some(t)) = (scope, targets.first()) {
                let shown = id.map_or_else(
                    || ["identifier", "name"].iter().find_map(|f| ref_text(reference, f)).unwrap_or("").to_owned(),
                    |i| i.to_string(),
                );
                let parent = t.info().parent.map_or("parent", |(pr, _)| pr.info().title);
                return Err(format!("{} {shown} does not belong to {parent} {p}", t.info().title));
            }
        }
        let Some((target, rid)) = found else {
            let shown = id.map_or_else(
                || ["identifier", "name"].iter().find_map(|f| ref_text(reference, f)).unwrap_or("").to_owned(),
                |i| i.to_string(),
            );
            return Err(format!("{} {shown} does not exist", targets.first().map_or("record", |t| t.info().title)));
        };
        reference.insert("id".into(), Value::from(rid));
        let doc = self.table(target).view(rid);
        let summary = matches!(target, Res::Members | Res::ApiMembers).then(|| self.member_summary(rid)).flatten();
        for (k, v) in reference.iter_mut() {
            let copied = match (k.as_str(), &summary, doc) {
                ("id" | "_info", _, _) => continue,
                ("name", Some(m), _) => Some(Value::String(m.name.clone())),
                (field, _, Some(d)) => match d.get_named(field) {
                    Some(val @ (Val::Str(_) | Val::Int(_) | Val::Num(_) | Val::Bool(_))) => Some(val.to_json()),
                    _ => None,
                },
                _ => None,
            };
            if let Some(c) = copied {
                *v = c;
            }
        }
        // Fill the display fields of the reference schema the client left out, from the
        // target: same-named fields, `sort` from `sortOrder`, a contact's name from its parts.
        let names: Vec<&str> = ref_schema
            .props
            .iter()
            .map(|p| p.name.as_str())
            .filter(|n| !matches!(*n, "id" | "_info"))
            .filter(|n| !reference.keys().any(|k| k.eq_ignore_ascii_case(n)))
            .collect();
        for f in names {
            let v = match (f, &summary, doc) {
                ("name", Some(m), _) => Some(Value::String(m.name.clone())),
                (_, _, None) => None,
                ("sort", _, Some(d)) => d.get_named("sortOrder").map(|v| v.to_json()),
                ("name", _, Some(d)) if d.str("name").is_none() => {
                    let full =
                        [d.str("firstName"), d.str("lastName")].into_iter().flatten().collect::<Vec<_>>().join(" ");
                    (!full.is_empty()).then_some(Value::String(full))
                }
                (f, _, Some(d)) => match d.get_named(f) {
                    Some(val @ (Val::Str(_) | Val::Int(_) | Val::Num(_) | Val::Bool(_))) => Some(val.to_json()),
                    _ => None,
                },
            };
            if let Some(v) = v {
                reference.insert(f.to_owned(), v);
            }
        }
        Ok(())
    }
}

/// A record's `field`; a `name` is a record's `description` when it has no name (contact
/// types, opportunity types).
fn named<'d>(doc: DocRef<'d>, field: &str) -> Option<&'d str> {
    doc.str(field).or_else(|| if field == "name" { doc.str("description") } else { None })
}

/// A reference to a table the mock knows nothing of: kept as the client sent it.
fn keep_unknown_ref(reference: &Map<String, Value>) -> Result<(), String> {
    if ref_id(reference).is_some() || ["identifier", "name"].iter().any(|f| ref_text(reference, f).is_some()) {
        Ok(())
    } else {
        Err("give an id".into())
    }
}

fn ref_id(reference: &Map<String, Value>) -> Option<u32> {
    reference
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("id"))
        .and_then(|(_, v)| v.as_u64())
        .and_then(|i| u32::try_from(i).ok())
}

fn ref_text<'a>(reference: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    reference
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(field))
        .and_then(|(_, v)| v.as_str())
        .filter(|s| !s.is_empty())
}
