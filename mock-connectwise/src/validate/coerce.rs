//! Scalars as ConnectWise's .NET JSON reader (Newtonsoft Json.NET) takes them, turned into
//! the JSON types of the schema before a body is validated and stored (assumption A25.10):
//!
//! - an integer property takes a number with no fraction (`4.00`) or a string holding one
//!   (`"2"`, with surrounding blanks), as Json.NET converts a primitive to the target type
//!   whenever it can; an empty string is `null`;
//! - a number property takes a numeric string in the invariant culture (`"1.5"`, `"1e3"`);
//! - a boolean takes `"true"`/`"false"` in any case, and an integer (non-zero is true);
//! - a string takes a number or boolean, as its invariant text (`123`, `True`);
//! - a date-time takes ISO 8601 (with or without zone or fraction, or a bare date),
//!   `yyyy-MM-dd HH:mm:ss`, `MM/dd/yyyy[ HH:mm:ss]` (the invariant culture's form) and
//!   Microsoft's `/Date(ms)/`, and is stored as `yyyy-MM-ddTHH:mm:ssZ`.
//!
//! Whatever cannot be converted is left as it is, for validation to refuse it by name.

use serde_json::{Map, Value};

use crate::datetime;
use crate::schema::{ObjectSchema, SCHEMAS, Type};

/// The scalar kinds a value can be converted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scalar {
    Str,
    Int,
    Num,
    Bool,
    DateTime,
}

/// Converts every scalar of `body` to its schema type where Json.NET would.
pub(crate) fn coerce(schema: &ObjectSchema, body: &mut Value) {
    if let Value::Object(obj) = body {
        coerce_object(schema, obj, 0);
    }
}

/// How deep nested objects are followed (a body's depth is bounded by the JSON reader too).
const MAX_DEPTH: usize = 8;

fn coerce_object(schema: &ObjectSchema, obj: &mut Map<String, Value>, depth: usize) {
    for (k, v) in obj.iter_mut() {
        if let Some((_, prop)) = schema.prop(k) {
            coerce_value(&prop.ty, v, depth);
        }
    }
}

fn coerce_value(ty: &Type, v: &mut Value, depth: usize) {
    if v.is_null() || depth > MAX_DEPTH {
        return;
    }
    let scalar = match ty {
        Type::Object(i) => {
            if let Value::Object(o) = v {
                coerce_object(SCHEMAS.get(*i), o, depth + 1);
            }
            return;
        }
        Type::Array(item) => {
            if let Value::Array(items) = v {
                for it in items {
                    coerce_value(item, it, depth + 1);
                }
            }
            return;
        }
        Type::Str => Scalar::Str,
        Type::Int => Scalar::Int,
        Type::Num => Scalar::Num,
        Type::Bool => Scalar::Bool,
        Type::DateTime => Scalar::DateTime,
        Type::Enum(_) | Type::Info | Type::Any => return,
    };
    if matches!(v, Value::String(s) if s.trim().is_empty()) && scalar != Scalar::Str {
        // Json.NET reads an empty string into a nullable number, boolean or date as null.
        *v = Value::Null;
        return;
    }
    if let Some(c) = coerce_scalar(scalar, v) {
        *v = c;
    }
}

/// `v` as a `kind`, if Json.NET would read it as one.
pub(crate) fn coerce_scalar(kind: Scalar, v: &Value) -> Option<Value> {
    match (kind, v) {
        (Scalar::Str, Value::String(_)) => Some(v.clone()),
        (Scalar::Str, Value::Number(n)) => Some(Value::String(n.to_string())),
        // .NET writes booleans as `True` and `False`.
        (Scalar::Str, Value::Bool(b)) => Some(Value::String(if *b { "True" } else { "False" }.to_owned())),
        (Scalar::Int, Value::Number(n)) if n.is_i64() || n.is_u64() => Some(v.clone()),
        (Scalar::Int, Value::Number(n)) => integral(n.as_f64()?),
        (Scalar::Int, Value::String(s)) => {
            let t = s.trim();
            t.parse::<i64>()
                .ok()
                .map(Value::from)
                .or_else(|| integral(t.parse::<f64>().ok()?).filter(|_| t.contains('.')))
        }
        (Scalar::Num, Value::Number(_)) => Some(v.clone()),
        (Scalar::Num, Value::String(s)) => {
            let t = s.trim();
            let f: f64 = t.parse().ok().filter(|f: &f64| f.is_finite())?;
            Some(
                t.parse::<i64>()
                    .map_or_else(|_| serde_json::Number::from_f64(f).map(Value::Number), |i| Some(Value::from(i)))?,
            )
        }
        (Scalar::Bool, Value::Bool(_)) => Some(v.clone()),
        (Scalar::Bool, Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        (Scalar::Bool, Value::Number(n)) if n.is_i64() || n.is_u64() => Some(Value::Bool(n.as_f64() != Some(0.0))),
        (Scalar::DateTime, Value::String(s)) => parse_date(s).map(|t| Value::String(datetime::format(t))),
        _ => None,
    }
}

/// A whole float as an integer (`4.00` → 4), as Json.NET reads a float token into an int.
fn integral(f: f64) -> Option<Value> {
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then(|| Value::from(f as i64))
}

/// A date-time in any form the reader takes, as seconds since the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = datetime::parse(s) {
        return Some(t);
    }
    if let Some(ms) = s.strip_prefix("/Date(").and_then(|r| r.strip_suffix(")/")) {
        // `/Date(1706659200000)/`, optionally with an offset (`+0100`) that does not move
        // the instant.
        let digits = ms.find(['+', '-']).filter(|&i| i > 0).map_or(ms, |i| &ms[..i]);
        return digits.parse::<i64>().ok().map(|ms| ms.div_euclid(1000));
    }
    // `2024-01-31 10:00:00`: ISO with a space.
    if s.len() >= 19 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(10) == Some(&b' ') {
        return datetime::parse(&format!("{}T{}", &s[..10], &s[11..]));
    }
    // `01/31/2024` and `01/31/2024 10:00:00`: the invariant culture's month/day/year.
    let (date, time) = s.split_once(' ').unwrap_or((s, "00:00:00"));
    let mut parts = date.split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    let (m, d): (u8, u8) = (m.parse().ok()?, d.parse().ok()?);
    let time = if time.len() == 5 { format!("{time}:00") } else { time.to_owned() };
    datetime::parse(&format!("{y}-{m:02}-{d:02}T{time}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;
    use serde_json::json;

    #[test]
    fn numeric_strings_become_integers_in_nested_references_as_json_net_reads_them() {
        let mut body = json!({"summary": "s", "company": {"id": "2"}, "board": {"id": " 3 "}, "budgetHours": "1.5"});
        coerce(schema("Ticket"), &mut body);
        assert_eq!(body["company"]["id"], json!(2));
        assert_eq!(body["board"]["id"], json!(3));
        assert_eq!(body["budgetHours"], json!(1.5));
    }

    #[test]
    fn whole_floats_are_integers_but_fractions_and_words_are_left_for_validation() {
        assert_eq!(coerce_scalar(Scalar::Int, &json!(4.0)), Some(json!(4)));
        assert_eq!(coerce_scalar(Scalar::Int, &json!("4.00")), Some(json!(4)));
        assert_eq!(coerce_scalar(Scalar::Int, &json!(4.5)), None);
        assert_eq!(coerce_scalar(Scalar::Int, &json!("two")), None);
    }

    #[test]
    fn booleans_are_read_from_true_and_false_in_any_case_and_from_integers() {
        assert_eq!(coerce_scalar(Scalar::Bool, &json!("True")), Some(json!(true)));
        assert_eq!(coerce_scalar(Scalar::Bool, &json!(" false ")), Some(json!(false)));
        assert_eq!(coerce_scalar(Scalar::Bool, &json!(0)), Some(json!(false)));
        assert_eq!(coerce_scalar(Scalar::Bool, &json!("yes")), None);
    }

    #[test]
    fn strings_take_numbers_and_booleans_as_their_invariant_text() {
        assert_eq!(coerce_scalar(Scalar::Str, &json!(123)), Some(json!("123")));
        assert_eq!(coerce_scalar(Scalar::Str, &json!(true)), Some(json!("True")));
    }

    #[test]
    fn dates_in_the_forms_of_the_reader_are_stored_in_connectwise_form() {
        let want = Some(json!("2024-01-31T10:00:00Z"));
        for s in [
            "2024-01-31T10:00:00Z",
            "2024-01-31T10:00:00",
            "2024-01-31 10:00:00",
            "01/31/2024 10:00:00",
            "/Date(1706695200000)/",
        ] {
            assert_eq!(coerce_scalar(Scalar::DateTime, &json!(s)), want, "{s}");
        }
        assert_eq!(coerce_scalar(Scalar::DateTime, &json!("1/5/2024")), Some(json!("2024-01-05T00:00:00Z")));
        assert_eq!(coerce_scalar(Scalar::DateTime, &json!("31/01/2024")), None);
    }

    #[test]
    fn an_empty_string_for_a_number_is_null() {
        let mut body = json!({"summary": "s", "budgetHours": ""});
        coerce(schema("Ticket"), &mut body);
        assert_eq!(body["budgetHours"], Value::Null);
    }
}
