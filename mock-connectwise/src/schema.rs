//! The ConnectWise object schemas the mock serves, read once from the vendored OpenAPI subset
//! (`openapi/connectwise-subset.json`, a copy of `shared/reference/openapi-subset.json`).
//!
//! Every stored record, every validation rule (required fields, `Max length: N;`, enums, types)
//! and every query path is resolved against these schemas, so the mock's wire format is the
//! official one rather than a hand-written imitation of it.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value};

static OPENAPI: &str = include_str!("../openapi/connectwise-subset.json");

/// All object schemas of the vendored OpenAPI file, resolved once on first use.
pub(crate) static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    // The file is part of the binary and parsed by a unit test, so failure here is a build bug.
    Schemas::parse(OPENAPI).expect("the vendored OpenAPI subset parses")
});

/// The schema registry.
#[derive(Debug)]
pub(crate) struct Schemas {
    objects: Vec<ObjectSchema>,
    by_name: HashMap<String, usize>,
}

/// One object schema (`Member`, `SecurityRoleReference`, ...).
#[derive(Debug)]
pub(crate) struct ObjectSchema {
    pub(crate) name: String,
    /// Properties in the order of the official file, which is the order ConnectWise renders.
    pub(crate) props: Vec<Prop>,
    /// Property name (as written and lower-cased) → index: JSON property names are matched
    /// case-insensitively, as the .NET deserializer behind ConnectWise does.
    index: hashbrown::HashMap<String, u16>,
    pub(crate) required: Vec<u16>,
    /// Where `id` and `_info` sit, looked up once: rendering places them on every record.
    pub(crate) id_key: Option<u16>,
    pub(crate) info_key: Option<u16>,
}

/// One property of an object schema.
#[derive(Debug)]
pub(crate) struct Prop {
    pub(crate) name: String,
    /// `"name":`, as rendering writes it before every value.
    pub(crate) json_key: Box<[u8]>,
    pub(crate) ty: Type,
    pub(crate) max_len: Option<usize>,
    /// `Required On Updates;` in the description: required by PUT, not by POST.
    pub(crate) required_on_update: bool,
}

/// The type of a property.
#[derive(Debug)]
pub(crate) enum Type {
    Str,
    Enum(Vec<String>),
    /// `format: int32` (or an unformatted integer), checked to fit in an i32.
    Int,
    Num,
    Bool,
    DateTime,
    Object(usize),
    Array(Box<Type>),
    /// `_info`: a server-generated string map, never stored.
    Info,
    /// A free-form object (`CustomFieldValue.value`, `PatchOperation.value`), stored as JSON text.
    Any,
}

impl Schemas {
    fn parse(text: &str) -> Result<Self, String> {
        let root: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let schemas = root.pointer("/components/schemas").and_then(Value::as_object).ok_or("no components.schemas")?;
        let by_name: HashMap<String, usize> = schemas.keys().enumerate().map(|(i, n)| (n.clone(), i)).collect();
        let objects =
            schemas.iter().map(|(name, s)| ObjectSchema::parse(name, s, &by_name)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { objects, by_name })
    }

    /// The schema with this index.
    pub(crate) fn get(&self, id: usize) -> &ObjectSchema {
        &self.objects[id]
    }

    /// The schema with this name, if the vendored file has it.
    pub(crate) fn named(&self, name: &str) -> Option<&ObjectSchema> {
        self.by_name.get(name).map(|&i| &self.objects[i])
    }
}

/// The schema with this name; the mock only asks for names its own tables list, which a unit
/// test checks against the vendored file.
pub(crate) fn schema(name: &str) -> &'static ObjectSchema {
    SCHEMAS.named(name).unwrap_or_else(|| panic!("schema {name} is not in the vendored OpenAPI subset"))
}

impl ObjectSchema {
    fn parse(name: &str, s: &Value, names: &HashMap<String, usize>) -> Result<Self, String> {
        let empty = Map::new();
        let props_json = s.get("properties").and_then(Value::as_object).unwrap_or(&empty);
        let mut props = Vec::with_capacity(props_json.len());
        let mut index = hashbrown::HashMap::with_capacity(props_json.len());
        for (i, (pname, p)) in props_json.iter().enumerate() {
            let ty = parse_type(p, names).map_err(|e| format!("{name}.{pname}: {e}"))?;
            let description = p.get("description").and_then(Value::as_str).unwrap_or("");
            props.push(Prop {
                json_key: json_key(pname),
                name: pname.clone(),
                ty,
                max_len: max_length(description),
                required_on_update: description.contains("Required On Updates"),
            });
            let i = u16::try_from(i).map_err(|_| format!("{name}: too many properties"))?;
            // Both spellings: lookups by the exact name (the common case) allocate nothing.
            index.insert(pname.clone(), i);
            index.insert(pname.to_ascii_lowercase(), i);
        }
        let required = s
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter().filter_map(Value::as_str).filter_map(|n| index.get(&n.to_ascii_lowercase()).copied()).collect()
            })
            .unwrap_or_default();
        Ok(Self { name: name.to_owned(), props, index, required, id_key: None, info_key: None }.with_keys())
    }

    /// The index and definition of a property, matched case-insensitively.
    pub(crate) fn prop(&self, name: &str) -> Option<(u16, &Prop)> {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => *self.index.get(&name.to_ascii_lowercase())?,
        };
        Some((i, &self.props[usize::from(i)]))
    }

    /// The property at an index.
    pub(crate) fn at(&self, i: u16) -> &Prop {
        &self.props[usize::from(i)]
    }

    /// A schema made at run time (an API report's columns), every property a plain one.
    pub(crate) fn synthetic(name: &str, props: Vec<(String, Type)>) -> Self {
        let index = props
            .iter()
            .enumerate()
            .flat_map(|(i, (n, _))| {
                let i = u16::try_from(i).unwrap_or(u16::MAX);
                [(n.clone(), i), (n.to_ascii_lowercase(), i)]
            })
            .collect();
        let props = props
            .into_iter()
            .map(|(name, ty)| Prop { json_key: json_key(&name), name, ty, max_len: None, required_on_update: false })
            .collect();
        Self { name: name.to_owned(), props, index, required: Vec::new(), id_key: None, info_key: None }.with_keys()
    }

    fn with_keys(mut self) -> Self {
        self.id_key = self.prop("id").map(|(k, _)| k);
        self.info_key = self.prop("_info").map(|(k, _)| k);
        self
    }

    /// Whether this is a `...Reference` schema (a pointer to another record: `{id, name, _info}`).
    pub(crate) fn is_reference(&self) -> bool {
        self.name.ends_with("Reference")
    }
}

impl Type {
    /// The schema of an object property, or of the items of an array of objects.
    pub(crate) fn object_schema(&self) -> Option<usize> {
        match self {
            Type::Object(s) => Some(*s),
            Type::Array(item) => item.object_schema(),
            _ => None,
        }
    }
}

/// `"name":` (property names are plain identifiers; a test checks it).
fn json_key(name: &str) -> Box<[u8]> {
    format!("\"{name}\":").into_bytes().into_boxed_slice()
}

fn parse_type(p: &Value, names: &HashMap<String, usize>) -> Result<Type, String> {
    if let Some(r) = p.get("$ref").and_then(Value::as_str) {
        let target = r.rsplit('/').next().unwrap_or(r);
        return names.get(target).map(|&i| Type::Object(i)).ok_or(format!("unresolved $ref {r}"));
    }
    if let Some(e) = p.get("enum").and_then(Value::as_array) {
        return Ok(Type::Enum(e.iter().filter_map(Value::as_str).map(str::to_owned).collect()));
    }
    Ok(match p.get("type").and_then(Value::as_str) {
        Some("string") => match p.get("format").and_then(Value::as_str) {
            Some("date-time") => Type::DateTime,
            _ => Type::Str,
        },
        Some("integer") => Type::Int,
        Some("number") => Type::Num,
        Some("boolean") => Type::Bool,
        Some("array") => {
            let items = p.get("items").ok_or("array without items")?;
            Type::Array(Box::new(parse_type(items, names)?))
        }
        Some("object") => match p.get("additionalProperties") {
            Some(a) if a.get("type").and_then(Value::as_str) == Some("string") => Type::Info,
            _ => Type::Any,
        },
        other => return Err(format!("unsupported type {other:?}")),
    })
}

/// `" Max length: 30;"` → 30. ConnectWise states string lengths in descriptions, not `maxLength`.
fn max_length(description: &str) -> Option<usize> {
    let rest = &description[description.find("Max length:")? + "Max length:".len()..];
    let digits: String = rest.trim_start().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_property_name_is_a_plain_identifier_that_json_keys_need_not_escape() {
        for name in SCHEMAS.by_name.keys() {
            let schema = SCHEMAS.named(name).unwrap();
            for p in &schema.props {
                assert!(
                    !p.name.is_empty() && p.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                    "{}.{}",
                    schema.name,
                    p.name
                );
            }
        }
    }

    #[test]
    fn the_vendored_openapi_file_parses_with_every_reference_resolved() {
        let member = schema("Member");
        assert_eq!(member.props.len(), 126);
        let (_, role) = member.prop("securityRole").unwrap();
        assert!(matches!(role.ty, Type::Object(i) if SCHEMAS.get(i).name == "SecurityRoleReference"));
    }

    #[test]
    fn max_length_is_read_from_the_description() {
        assert_eq!(max_length(" Max length: 30;"), Some(30));
        assert_eq!(max_length("ConditionallyRequired. Max length: 60;"), Some(60));
        assert_eq!(max_length("no limit"), None);
        assert_eq!(schema("Member").prop("identifier").unwrap().1.max_len, Some(15));
    }

    #[test]
    fn required_fields_and_required_on_update_are_read() {
        let member = schema("Member");
        let required: Vec<&str> = member.required.iter().map(|&i| member.at(i).name.as_str()).collect();
        assert_eq!(
            required,
            [
                "identifier",
                "licenseClass",
                "firstName",
                "lastName",
                "hireDate",
                "defaultEmail",
                "defaultPhone",
                "securityRole"
            ]
        );
        assert!(schema("Agreement").prop("billTime").unwrap().1.required_on_update);
    }

    #[test]
    fn property_lookup_ignores_case() {
        assert_eq!(schema("Member").prop("FIRSTNAME").unwrap().1.name, "firstName");
    }

    #[test]
    fn enums_and_info_maps_are_typed() {
        let (_, lc) = schema("Member").prop("licenseClass").unwrap();
        assert!(matches!(&lc.ty, Type::Enum(v) if v == &["A", "C", "F", "X"]));
        assert!(matches!(schema("Member").prop("_info").unwrap().1.ty, Type::Info));
    }
}
