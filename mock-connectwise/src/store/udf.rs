//! User-defined fields: the definitions of `/system/userDefinedFields` (screen, caption,
//! field type, entry method, list values) drive the `customFields` of every record of their
//! screen.
//!
//! A record of a screen with definitions carries one `CustomFieldValue` per definition, in
//! definition order (`sequenceNumber`, then id), with the official shape `{id, caption, type,
//! entryMethod, numberOfDecimals, value}` — `value` absent until set — as the real server
//! lists every field of the screen on every record (assumption A25.9). A write keeps the
//! values it gives (matched by `id`, else by `caption`), checked against the definition: a
//! checkbox takes a boolean, a number, currency or percent a number, a date a date-time, a
//! list or option entry one of its list values; an unknown field is refused.
//!
//! A screen is named by the record's schema (`Ticket`, `Company`, `Contact`, `Project`, …,
//! without case); `ServiceTicket` is also read as `Ticket` (assumption A25.9).

use serde_json::{Map, Value, json};

use super::tenant::Tenant;
use crate::resources::Res;
use crate::validate::{FieldError, FieldErrorCode, Scalar, coerce_scalar};

/// One user-defined field, as a record's `customFields` presents it.
#[derive(Debug)]
struct Definition {
    id: u32,
    caption: String,
    field_type: String,
    entry: String,
    decimals: Option<i64>,
    /// Active list values, for `List` and `Option` entry.
    values: Vec<String>,
    order: f64,
}

/// Screen names read as another (the UI's name for a schema).
const SCREEN_ALIASES: &[(&str, &str)] = &[("ServiceTicket", "Ticket"), ("Service Ticket", "Ticket")];

/// The collection of definitions.
pub(crate) fn definitions() -> Option<Res> {
    Res::at_path("/system/userDefinedFields")
}

fn screen_matches(screen: &str, schema: &str) -> bool {
    let screen = SCREEN_ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(screen)).map_or(screen, |(_, s)| s);
    screen.eq_ignore_ascii_case(schema)
}

impl Tenant {
    /// The definitions of `res`'s screen, in order; none when its schema has no
    /// `customFields`.
    fn definitions_for(&self, res: Res) -> Vec<Definition> {
        let Some(udfs) = definitions() else { return Vec::new() };
        let schema = res.schema();
        if schema.prop("customFields").is_none() || res == udfs {
            return Vec::new();
        }
        let table = self.table(udfs);
        let mut defs: Vec<Definition> = table
            .iter()
            .filter_map(|r| {
                let d = r.doc.view(table.schema).to_json();
                let text = |f: &str| d.get(f).and_then(Value::as_str).unwrap_or("").to_owned();
                if !screen_matches(&text("screenId"), &schema.name) {
                    return None;
                }
                let values = d
                    .get("userDefinedFieldValues")
                    .and_then(Value::as_array)
                    .map(|vs| {
                        vs.iter()
                            .filter(|v| v.get("inactiveFlag").and_then(Value::as_bool) != Some(true))
                            .filter_map(|v| v.get("value").and_then(Value::as_str).map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Definition {
                    id: r.id,
                    caption: text("caption"),
                    field_type: text("fieldTypeIdentifier"),
                    entry: text("entryTypeIdentifier"),
                    decimals: d.get("numberDecimals").and_then(Value::as_i64),
                    values,
                    order: d.get("sequenceNumber").and_then(Value::as_f64).unwrap_or(0.0),
                })
            })
            .collect();
        defs.sort_by(|a, b| a.order.total_cmp(&b.order).then(a.id.cmp(&b.id)));
        defs
    }

    /// Sets `customFields` to one value per definition of the record's screen, keeping the
    /// values given and checking them; the errors name `customFields/{i}/value`.
    pub(crate) fn custom_fields(&self, res: Res, obj: &mut Map<String, Value>) -> Vec<FieldError> {
        let defs = self.definitions_for(res);
        if defs.is_empty() {
            return Vec::new();
        }
        let mut errors = Vec::new();
        let key = obj.keys().find(|k| k.eq_ignore_ascii_case("customFields")).cloned();
        let given = key.and_then(|k| obj.remove(&k)).and_then(|v| v.as_array().cloned()).unwrap_or_default();
        let mut values: Vec<Option<Value>> = vec![None; defs.len()];
        for (i, item) in given.iter().enumerate() {
            let field = |f: &str| item.get(f).filter(|v| !v.is_null());
            let id = field("id").and_then(Value::as_u64);
            let caption = field("caption").and_then(Value::as_str);
            let at = defs.iter().position(|d| match (id, caption) {
                (Some(id), _) => u64::from(d.id) == id,
                (None, Some(c)) => d.caption.eq_ignore_ascii_case(c),
                _ => false,
            });
            let Some(at) = at else {
                let shown = id.map_or_else(|| caption.unwrap_or("").to_owned(), |i| i.to_string());
                errors.push(FieldError::new(
                    FieldErrorCode::InvalidField,
                    format!("customFields/{i}/id"),
                    format!(
                        "customFields: there is no user-defined field {shown} on the {} screen.",
                        res.schema().name
                    ),
                ));
                continue;
            };
            let Some(v) = field("value") else { continue };
            match check(&defs[at], v) {
                Ok(v) => values[at] = Some(v),
                Err(message) => errors.push(FieldError::new(
                    FieldErrorCode::InvalidField,
                    format!("customFields/{i}/value"),
                    format!("customFields: {} {message}", defs[at].caption),
                )),
            }
        }
        let list = defs
            .iter()
            .zip(values)
            .map(|(d, v)| {
                let mut cf = Map::new();
                cf.insert("id".into(), json!(d.id));
                cf.insert("caption".into(), json!(d.caption));
                cf.insert("type".into(), json!(d.field_type));
                cf.insert("entryMethod".into(), json!(d.entry));
                cf.insert("numberOfDecimals".into(), json!(d.decimals.unwrap_or(0)));
                if let Some(v) = v {
                    cf.insert("value".into(), v);
                }
                Value::Object(cf)
            })
            .collect();
        obj.insert("customFields".into(), Value::Array(list));
        errors
    }

    /// The `customFields` of a record of `res` with no values set (generated records).
    pub(crate) fn empty_custom_fields(&self, res: Res) -> Option<Value> {
        let mut obj = Map::new();
        let _ = self.custom_fields(res, &mut obj);
        obj.remove("customFields")
    }
}

/// A value as the definition takes it, or why not.
fn check(d: &Definition, v: &Value) -> Result<Value, String> {
    let scalar = match d.field_type.as_str() {
        "Checkbox" => Scalar::Bool,
        "Number" | "Currency" | "Percent" => Scalar::Num,
        "Date" => Scalar::DateTime,
        _ => Scalar::Str,
    };
    let v = coerce_scalar(scalar, v).ok_or_else(|| match scalar {
        Scalar::Bool => "must be true or false.".to_owned(),
        Scalar::Num => "must be a number.".to_owned(),
        Scalar::DateTime => "must be a date such as 2024-01-31T00:00:00Z.".to_owned(),
        _ => "must be text.".to_owned(),
    })?;
    if matches!(d.entry.as_str(), "List" | "Option") && !d.values.is_empty() {
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        return match d.values.iter().find(|o| o.eq_ignore_ascii_case(&text)) {
            Some(o) => Ok(json!(o)),
            None => Err(format!("must be one of: {}.", d.values.join(", "))),
        };
    }
    Ok(v)
}
