//! ConnectWise PATCH: a JSON array of `{op, path, value}` with `op` one of `add`, `replace`,
//! `remove`, and `path` a `/`-separated property path with or without a leading slash
//! (`summary`, `/status/name`, `customFields/0/value`). The result is validated like any other
//! write, so a PATCH can never store what a POST could not.
//!
//! Every path is checked against the schema down to its last part, so `site/bogus` is refused
//! like `bogus`. Setting one key of a reference (`status/name`, `board/name`, `status/id`,
//! `company/identifier`) replaces the whole reference with that key alone, so the write
//! pipeline looks the target up again by it, as ConnectWise does.

use serde_json::{Map, Value};

use crate::schema::{ObjectSchema, SCHEMAS, Type};

/// One operation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PatchOp {
    pub(crate) op: OpKind,
    pub(crate) path: Vec<String>,
    pub(crate) value: Value,
}

/// The operation kinds ConnectWise accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OpKind {
    Add,
    Replace,
    Remove,
}

/// Reads a PATCH body; the error says what is wrong in the client's terms.
pub(crate) fn parse(body: &Value) -> Result<Vec<PatchOp>, String> {
    let Some(items) = body.as_array() else {
        return Err("The PATCH body must be a JSON array of {\"op\", \"path\", \"value\"} operations.".into());
    };
    if items.is_empty() {
        return Err("The PATCH body has no operations.".into());
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let Some(o) = item.as_object() else { return Err(format!("Operation {i} is not an object.")) };
            let get = |name: &str| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v);
            let op = match get("op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("add") => OpKind::Add,
                Some("replace") => OpKind::Replace,
                Some("remove") => OpKind::Remove,
                Some(other) => return Err(format!("Operation {i}: op '{other}' is not add, replace or remove.")),
                None => return Err(format!("Operation {i} has no op.")),
            };
            let Some(path) = get("path").and_then(Value::as_str) else {
                return Err(format!("Operation {i} has no path."));
            };
            let path: Vec<String> = path.trim().trim_start_matches('/').split('/').map(str::to_owned).collect();
            if path.iter().any(String::is_empty) {
                return Err(format!("Operation {i}: '{}' is not a property path.", path.join("/")));
            }
            let value = get("value").cloned().unwrap_or(Value::Null);
            if op != OpKind::Remove && get("value").is_none() {
                return Err(format!("Operation {i} ({}) has no value.", path.join("/")));
            }
            Ok(PatchOp { op, path, value })
        })
        .collect()
}

/// Applies operations to a record's properties; `schema` decides which top-level names exist
/// and gives them their official casing.
pub(crate) fn apply(schema: &ObjectSchema, obj: &mut Map<String, Value>, ops: &[PatchOp]) -> Result<(), String> {
    for op in ops {
        let Some((first, rest)) = op.path.split_first() else { continue };
        let Some((_, prop)) = schema.prop(first) else {
            return Err(format!("{} has no field {first}.", schema.name));
        };
        if prop.name == "id" || prop.name == "_info" {
            return Err(format!("{} is set by the server and cannot be changed.", prop.name));
        }
        let name = prop.name.clone();
        // Keys in a stored record use the official casing; drop a client-cased twin.
        if !obj.contains_key(&name) {
            if let Some(k) = obj.keys().find(|k| k.eq_ignore_ascii_case(&name)).cloned() {
                if let Some(v) = obj.remove(&k) {
                    obj.insert(name.clone(), v);
                }
            }
        }
        let joined = op.path.join("/");
        check_path(&prop.ty, rest)
            .map_err(|bad| format!("{} has no field {joined} ({bad} is not a field of it).", schema.name))?;
        // `status/name` = "x" on a reference: look the target up again by that key alone.
        let reference_key = match (&prop.ty, rest) {
            (Type::Object(s), [key]) if op.op != OpKind::Remove && SCHEMAS.get(*s).is_reference() => {
                SCHEMAS.get(*s).prop(key).map(|(_, p)| p.name.clone()).filter(|k| k != "_info")
            }
            _ => None,
        };
        if let Some(key) = reference_key {
            let mut reference = Map::new();
            reference.insert(key, op.value.clone());
            obj.insert(name, Value::Object(reference));
            continue;
        }
        match op.op {
            OpKind::Remove if rest.is_empty() => {
                obj.remove(&name);
            }
            OpKind::Remove => {
                let Some(slot) = obj.get_mut(&name) else { return Err(format!("{joined} is not set.")) };
                remove_at(slot, rest).ok_or_else(|| format!("{joined} is not set."))?;
            }
            OpKind::Add | OpKind::Replace if rest.is_empty() => {
                obj.insert(name, op.value.clone());
            }
            OpKind::Add | OpKind::Replace => {
                let slot = obj.entry(name).or_insert_with(|| Value::Object(Map::new()));
                set_at(slot, rest, op.value.clone())
                    .ok_or_else(|| format!("{joined} cannot be set: a part of the path is not an object or list."))?;
            }
        }
    }
    Ok(())
}

/// Checks that `rest` names fields (or list positions) below a property of type `ty`; the
/// error is the first part that does not.
fn check_path<'p>(ty: &Type, rest: &'p [String]) -> Result<(), &'p str> {
    let Some((head, tail)) = rest.split_first() else { return Ok(()) };
    match ty {
        // Free-form values take any path.
        Type::Any => Ok(()),
        Type::Object(s) => {
            let sub = SCHEMAS.get(*s);
            let Some((_, p)) = sub.prop(head) else { return Err(head) };
            check_path(&p.ty, tail)
        }
        Type::Array(item) => match head.parse::<usize>() {
            Ok(_) => check_path(item, tail),
            Err(_) => Err(head),
        },
        // A scalar has no parts; `set_at` explains that.
        _ => Ok(()),
    }
}

fn set_at(slot: &mut Value, path: &[String], value: Value) -> Option<()> {
    let Some((head, rest)) = path.split_first() else {
        *slot = value;
        return Some(());
    };
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    let child = match slot {
        Value::Object(o) => {
            let key = o.keys().find(|k| k.eq_ignore_ascii_case(head)).cloned().unwrap_or_else(|| head.clone());
            o.entry(key).or_insert(Value::Null)
        }
        Value::Array(a) => {
            let i: usize = head.parse().ok()?;
            if i == a.len() {
                a.push(Value::Null);
            }
            a.get_mut(i)?
        }
        _ => return None,
    };
    set_at(child, rest, value)
}

fn remove_at(slot: &mut Value, path: &[String]) -> Option<()> {
    let (head, rest) = path.split_first()?;
    match slot {
        Value::Object(o) => {
            let key = o.keys().find(|k| k.eq_ignore_ascii_case(head)).cloned()?;
            if rest.is_empty() { o.remove(&key).map(|_| ()) } else { remove_at(o.get_mut(&key)?, rest) }
        }
        Value::Array(a) => {
            let i: usize = head.parse().ok()?;
            if rest.is_empty() {
                (i < a.len()).then(|| {
                    a.remove(i);
                })
            } else {
                remove_at(a.get_mut(i)?, rest)
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;
    use serde_json::json;

    fn run(start: Value, ops: Value) -> Result<Value, String> {
        let mut obj = start.as_object().cloned().unwrap();
        apply(schema("Ticket"), &mut obj, &parse(&ops)?)?;
        Ok(Value::Object(obj))
    }

    #[test]
    fn replace_add_and_remove_follow_connectwise_paths() {
        let out = run(
            json!({"summary": "old", "company": {"id": 1, "name": "A"}, "customFields": [{"id": 1, "value": "x"}]}),
            json!([
                {"op": "replace", "path": "summary", "value": "new"},
                {"op": "Replace", "path": "/company/id", "value": 2},
                {"op": "add", "path": "customFields/0/value", "value": "y"},
                {"op": "add", "path": "status", "value": {"name": "Open", "id": 4}},
                {"op": "remove", "path": "status/id"}
            ]),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"summary": "new", "company": {"id": 2}, "customFields": [{"id": 1, "value": "y"}], "status": {"name": "Open"}})
        );
    }

    #[test]
    fn setting_one_key_of_a_reference_replaces_the_reference_with_that_key() {
        let start = json!({"status": {"id": 1, "name": "New"}, "board": {"id": 1, "name": "Help Desk"}, "company": {"id": 1, "identifier": "A", "name": "A"}});
        for (path, value, field, expect) in [
            ("status/name", json!("In Progress"), "status", json!({"name": "In Progress"})),
            ("/Status/ID", json!(2), "status", json!({"id": 2})),
            ("board/name", json!("Alerts"), "board", json!({"name": "Alerts"})),
            ("company/identifier", json!("B"), "company", json!({"identifier": "B"})),
        ] {
            let out = run(start.clone(), json!([{"op": "replace", "path": path, "value": value}])).unwrap();
            assert_eq!(out[field], expect, "{path}");
        }
    }

    #[test]
    fn an_unknown_sub_path_is_refused_like_an_unknown_field() {
        for path in ["site/bogus", "status/bogus", "customFields/x/value", "customFields/0/bogus"] {
            let e = run(json!({"summary": "s"}), json!([{"op": "replace", "path": path, "value": 1}])).unwrap_err();
            assert!(e.contains("has no field"), "{path}: {e}");
        }
    }

    #[test]
    fn client_casing_is_folded_into_the_official_name() {
        let out =
            run(json!({"Summary": "old"}), json!([{"op": "replace", "path": "SUMMARY", "value": "new"}])).unwrap();
        assert_eq!(out, json!({"summary": "new"}));
    }

    #[test]
    fn malformed_operations_are_explained() {
        for (ops, needle) in [
            (json!({"op": "replace"}), "must be a JSON array"),
            (json!([]), "no operations"),
            (json!([{"op": "move", "path": "summary", "value": 1}]), "not add, replace or remove"),
            (json!([{"op": "replace", "value": 1}]), "no path"),
            (json!([{"op": "replace", "path": "summary"}]), "no value"),
            (json!([{"op": "replace", "path": "nope", "value": 1}]), "Ticket has no field nope"),
            (json!([{"op": "replace", "path": "id", "value": 1}]), "set by the server"),
            (json!([{"op": "replace", "path": "summary/x", "value": 1}]), "cannot be set"),
            (json!([{"op": "remove", "path": "company/name"}]), "is not set"),
            (json!([{"op": "replace", "path": "site/bogus", "value": 1}]), "Ticket has no field site/bogus"),
        ] {
            let e = run(json!({"summary": "s"}), ops.clone()).unwrap_err();
            assert!(e.contains(needle), "{ops}: {e}");
        }
    }
}
