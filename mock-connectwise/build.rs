//! Reduces the vendored OpenAPI files (`openapi/`) to what the mock reads at run time, so
//! start-up parses 0.2 MB instead of 1.4 MB (measured: 36 ms and 26 MB resident at start-up
//! with the whole files, see docs/benchmark.md):
//! - `schemas.json`: every object schema of `connectwise-subset.json`, `openapi-2026.4-get.json`
//!   and `connectwise-extra.json`, the first file that names a schema winning, each property
//!   with its type, format, enum, `$ref`, items and only the `Max length: N;` and
//!   `Required On Updates;` markers of its description;
//! - `get-answers.json`: every `GET` path of the 2026.4 file with what it answers (an array of
//!   a schema, one schema, or a non-JSON media type), in file order;
//! - `methods.json`: the methods the official 2021.1 table gives each path.

use std::path::Path;

use serde_json::{Map, Value, json};

const FILES: [&str; 3] = ["connectwise-subset.json", "openapi-2026.4-get.json", "connectwise-extra.json"];

fn read(name: &str) -> Value {
    let path = Path::new("openapi").join(name);
    println!("cargo::rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn markers(description: &str) -> String {
    let mut out = Vec::new();
    if let Some(at) = description.find("Max length:") {
        let rest = &description[at + "Max length:".len()..];
        let digits: String = rest.trim_start().chars().take_while(char::is_ascii_digit).collect();
        out.push(format!("Max length: {digits};"));
    }
    if description.contains("Required On Updates") {
        out.push("Required On Updates;".to_owned());
    }
    out.join(" ")
}

fn slim_type(p: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["type", "format", "enum", "$ref", "additionalProperties"] {
        if let Some(v) = p.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    if let Some(Value::Object(items)) = p.get("items") {
        out.insert("items".to_owned(), Value::Object(slim_type(items)));
    }
    out
}

fn slim_schema(s: &Value) -> Value {
    let mut props = Map::new();
    for (name, p) in s.get("properties").and_then(Value::as_object).into_iter().flatten() {
        let Some(p) = p.as_object() else { continue };
        let mut slim = slim_type(p);
        let m = markers(p.get("description").and_then(Value::as_str).unwrap_or(""));
        if !m.is_empty() {
            slim.insert("description".to_owned(), Value::from(m));
        }
        props.insert(name.clone(), Value::Object(slim));
    }
    let mut out = Map::new();
    out.insert("properties".to_owned(), Value::Object(props));
    if let Some(r) = s.get("required") {
        out.insert("required".to_owned(), r.clone());
    }
    Value::Object(out)
}

fn answers(file: &Value) -> Value {
    let mut out = Vec::new();
    for (path, item) in file.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let Some(content) = item.pointer("/get/responses/200/content").and_then(Value::as_object) else {
            // The file declares no body for `/company/contacts/{id}/image` and
            // `/service/priorities/{id}/image`; the real server answers an image.
            if item.get("get").is_some() && path.ends_with("/image") {
                out.push(json!([path, "binary", "image/png"]));
            }
            continue;
        };
        let Some((media, body)) = content.iter().next() else { continue };
        let name = |v: Option<&Value>| {
            v.and_then(|r| r.get("$ref")).and_then(Value::as_str).map(|r| r.rsplit('/').next().unwrap_or(r).to_owned())
        };
        let schema = body.get("schema");
        let answer = if !media.contains("json") {
            json!([path, "binary", media])
        } else if let Some(item) = name(schema.and_then(|s| s.get("items"))) {
            json!([path, "array", item])
        } else if let Some(one) = name(schema) {
            json!([path, "one", one])
        } else {
            continue;
        };
        out.push(answer);
    }
    Value::Array(out)
}

fn main() {
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| panic!("OUT_DIR is set by cargo"));
    let out = Path::new(&out_dir);
    let mut schemas = Map::new();
    let mut official = Value::Null;
    for name in FILES {
        let file = read(name);
        for (schema, s) in file.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten() {
            if !schemas.contains_key(schema) {
                schemas.insert(schema.clone(), slim_schema(s));
            }
        }
        if name == "openapi-2026.4-get.json" {
            official = file;
        }
    }
    let methods: Map<String, Value> = read("manage-paths-2021.1.json")
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(p, m)| {
            (p.clone(), Value::from(m.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()))
        })
        .collect();
    let write = |name: &str, v: &Value| {
        let text = serde_json::to_string(v).unwrap_or_else(|e| panic!("{name}: {e}"));
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    write("schemas.json", &json!({ "components": { "schemas": schemas } }));
    write("get-answers.json", &answers(&official));
    write("methods.json", &Value::Object(methods));
}
