//! Validation of request bodies against the official schemas: types, enums, `Max length`,
//! int32 ranges, required fields (and `Required On Updates` for PUT).
//!
//! Scalars are first converted as ConnectWise's .NET reader converts them ([`coerce`]).
//! Unknown properties are ignored, as ConnectWise's .NET deserializer ignores them; property
//! names match case-insensitively. Every problem found is reported, not just the first.

mod coerce;

use serde_json::Value;

use crate::schema::{ObjectSchema, SCHEMAS, Type};
pub(crate) use coerce::{Scalar, coerce, coerce_scalar};

/// What the body is for: a new record, or a full replacement (PUT) of an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Create,
    Replace,
}

/// The `code` of one entry in a ConnectWise error body's `errors` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldErrorCode {
    MissingRequiredField,
    InvalidField,
    OutOfRange,
    ObjectExists,
    /// A value the field's schema allows that the object as a whole does not (a callback's level).
    InvalidObject,
}

impl FieldErrorCode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::MissingRequiredField => "MissingRequiredField",
            Self::InvalidField => "InvalidField",
            Self::OutOfRange => "OutOfRange",
            Self::ObjectExists => "ObjectExists",
            Self::InvalidObject => "InvalidObject",
        }
    }
}

/// One problem with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) code: FieldErrorCode,
    /// The field's path, `/`-separated as in `conditions` (`securityRole/id`).
    pub(crate) field: String,
    pub(crate) message: String,
}

impl FieldError {
    pub(crate) fn new(code: FieldErrorCode, field: impl Into<String>, message: String) -> Self {
        Self { code, field: field.into(), message }
    }

    fn missing(field: &str) -> Self {
        Self::new(FieldErrorCode::MissingRequiredField, field, format!("{field} is required."))
    }
}

/// Every problem with `body` as a `schema` record.
pub(crate) fn validate(schema: &ObjectSchema, body: &Value, mode: Mode) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(obj) = body.as_object() else {
        errors.push(FieldError::new(
            FieldErrorCode::InvalidField,
            "",
            format!("The request body must be a JSON object, not {}.", kind(body)),
        ));
        return errors;
    };
    check_object(schema, obj, "", &mut errors);
    for (i, prop) in schema.props.iter().enumerate() {
        let required =
            schema.required.iter().any(|&r| usize::from(r) == i) || (mode == Mode::Replace && prop.required_on_update);
        if required && !present(&prop.ty, obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(&prop.name)).map(|(_, v)| v))
        {
            errors.push(FieldError::missing(&prop.name));
        }
    }
    errors
}

/// Whether a required value counts as given: not null, not an empty string, and for a
/// reference, something that names the target.
fn present(ty: &Type, v: Option<&Value>) -> bool {
    match (ty, v) {
        (_, None | Some(Value::Null)) => false,
        (_, Some(Value::String(s))) => !s.trim().is_empty(),
        (Type::Object(_), Some(Value::Object(o))) => o.values().any(|v| !v.is_null()),
        _ => true,
    }
}

fn check_object(
    schema: &ObjectSchema,
    obj: &serde_json::Map<String, Value>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) {
    for (k, v) in obj {
        let Some((_, prop)) = schema.prop(k) else { continue };
        let field = format!("{prefix}{}", prop.name);
        check_value(&prop.ty, prop.max_len, v, &field, errors);
    }
}

fn check_value(ty: &Type, max_len: Option<usize>, v: &Value, field: &str, errors: &mut Vec<FieldError>) {
    if v.is_null() {
        return;
    }
    let wrong = |expected: &str| {
        FieldError::new(
            FieldErrorCode::InvalidField,
            field,
            format!("The field {field} must be {expected}, not {}.", kind(v)),
        )
    };
    match ty {
        Type::Object(i) => match v.as_object() {
            Some(o) => check_object(SCHEMAS.get(*i), o, &format!("{field}/"), errors),
            None => errors.push(wrong("an object")),
        },
        Type::Array(item) => match v.as_array() {
            Some(items) => {
                for it in items {
                    check_value(item, None, it, field, errors);
                }
            }
            None => errors.push(wrong("an array")),
        },
        Type::Info | Type::Any => {}
        scalar => errors.extend(check_scalar(scalar, max_len, v, field)),
    }
}

/// The error of a non-null scalar value of type `ty`, if it has one.
fn check_scalar(ty: &Type, max_len: Option<usize>, v: &Value, field: &str) -> Option<FieldError> {
    use FieldErrorCode::{InvalidField, OutOfRange};
    let wrong = |expected: &str| {
        Some(FieldError::new(InvalidField, field, format!("The field {field} must be {expected}, not {}.", kind(v))))
    };
    match ty {
        Type::Str => match v.as_str() {
            Some(s) => max_len.filter(|&m| s.chars().count() > m).map(|max| {
                FieldError::new(
                    InvalidField,
                    field,
                    format!("The field {field} must be a string with a maximum length of {max}."),
                )
            }),
            None => wrong("a string"),
        },
        Type::Enum(options) => match v.as_str() {
            Some(s) if options.iter().any(|o| o.eq_ignore_ascii_case(s)) => None,
            _ => Some(FieldError::new(
                InvalidField,
                field,
                format!("The field {field} must be one of: {}.", options.join(", ")),
            )),
        },
        Type::Int => match v.as_number() {
            Some(n) if n.is_i64() || n.is_u64() => {
                n.as_i64().and_then(|i| i32::try_from(i).ok()).is_none().then(|| {
                    FieldError::new(
                        OutOfRange,
                        field,
                        format!("The field {field} must be between {} and {}.", i32::MIN, i32::MAX),
                    )
                })
            }
            _ => wrong("a whole number"),
        },
        Type::Num if !v.is_number() => wrong("a number"),
        Type::Bool if !v.is_boolean() => wrong("true or false"),
        Type::DateTime if v.as_str().and_then(coerce::parse_date).is_none() => Some(FieldError::new(
            InvalidField,
            field,
            format!("The field {field} must be a date-time such as 2024-01-31T00:00:00Z."),
        )),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::schema;
    use serde_json::json;

    fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors.iter().map(|e| (e.code.as_str(), e.field.as_str())).collect()
    }

    #[test]
    fn a_complete_member_is_valid() {
        let body = json!({"identifier": "a", "firstName": "A", "lastName": "B", "licenseClass": "F",
            "hireDate": "2024-01-01T00:00:00Z", "defaultEmail": "Office", "defaultPhone": "Office",
            "securityRole": {"id": 1}});
        assert_eq!(validate(schema("Member"), &body, Mode::Create), vec![]);
    }

    #[test]
    fn every_missing_required_field_is_reported() {
        let errors = validate(schema("Member"), &json!({"firstName": "  "}), Mode::Create);
        assert_eq!(errors.len(), 8);
        assert!(errors.iter().all(|e| e.code == FieldErrorCode::MissingRequiredField));
    }

    #[test]
    fn an_identifier_longer_than_15_is_invalid() {
        let errors = validate(schema("ApiMember"), &json!({"identifier": "x".repeat(16)}), Mode::Create);
        assert_eq!(codes(&errors), [("InvalidField", "identifier")]);
        assert!(errors[0].message.contains("maximum length of 15"));
    }

    #[test]
    fn an_enum_outside_its_values_is_invalid_but_case_is_forgiven() {
        let s = schema("SecurityRoleSetting");
        assert_eq!(validate(s, &json!({"addLevel": "all"}), Mode::Create), vec![]);
        assert_eq!(codes(&validate(s, &json!({"addLevel": "Mine"}), Mode::Create)), [("InvalidField", "addLevel")]);
    }

    #[test]
    fn an_int32_out_of_range_is_out_of_range() {
        let errors = validate(
            schema("Company"),
            &json!({"identifier": "a", "name": "b", "yearEstablished": 5_000_000_000i64}),
            Mode::Create,
        );
        assert_eq!(codes(&errors), [("OutOfRange", "yearEstablished")]);
    }

    #[test]
    fn nested_reference_fields_are_typed_with_their_path() {
        let errors =
            validate(schema("ApiMember"), &json!({"identifier": "a", "securityRole": {"id": "x"}}), Mode::Create);
        assert_eq!(codes(&errors), [("InvalidField", "securityRole/id")]);
    }

    #[test]
    fn required_on_updates_applies_to_put_only() {
        let s = schema("Agreement");
        let body = json!({"name": "n", "type": {"id": 1}, "company": {"id": 1}, "contact": {"id": 1}});
        assert_eq!(validate(s, &body, Mode::Create), vec![]);
        let on_put = validate(s, &body, Mode::Replace);
        assert!(on_put.iter().any(|e| e.field == "billTime"), "{on_put:?}");
    }

    #[test]
    fn a_body_that_is_not_an_object_is_one_clear_error() {
        let errors = validate(schema("Member"), &json!([1, 2]), Mode::Create);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("must be a JSON object, not an array"));
    }
}
