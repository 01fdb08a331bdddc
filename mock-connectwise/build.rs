//! Reduces the vendored OpenAPI files (`openapi/`) to what the mock reads at run time, so
//! start-up parses 0.2 MB instead of 1.4 MB (measured: 36 ms and 26 MB resident at start-up
//! with the whole files, see docs/benchmark.md):
//! - `schemas.jsonl`: the names, then one line per object schema of `connectwise-subset.json`, `openapi-2026.4-get.json`
//!   and `connectwise-extra.json`, the first file that names a schema winning, each property
//!   with its type, format, enum, `$ref`, items and only the `Max length: N;` and
//!   `Required On Updates;` markers of its description;
//!   (and `connectwise-2025.1.json`, every schema the official 2025.1 operations use);
//! - `get-answers.json`: every `GET` path of the 2026.4 file with what it answers (an array of
//!   a schema, one schema, or a non-JSON media type), in file order, then every other `GET`
//!   path of the 2025.1 file and the 2021.1 table;
//! - `methods.json`: the methods the official 2021.1 table and the 2025.1 file give each path;
//! - `operations.json`: every operation of those files, `[path, METHOD, answer kind, answer
//!   schema or media type, body schema]`, the registry's source for what is not a collection.

use std::path::Path;

use serde_json::{Map, Value, json};

const FILES: [&str; 4] =
    ["connectwise-subset.json", "openapi-2026.4-get.json", "connectwise-extra.json", "connectwise-2025.1.json"];

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

/// The name a `$ref` points at.
fn ref_name(v: Option<&Value>) -> Option<String> {
    v.and_then(|r| r.get("$ref")).and_then(Value::as_str).map(|r| r.rsplit('/').next().unwrap_or(r).to_owned())
}

/// What an operation answers: `[kind, name]`, kind `array`, `one`, `binary`, `json` (a free
/// object or list) or `none` (204).
fn answer_of(op: &Value) -> Option<(&'static str, String)> {
    let responses = op.get("responses")?;
    let Some(content) = responses.pointer("/200/content").and_then(Value::as_object) else {
        return Some(("none", String::new()));
    };
    let (media, body) = content.iter().next()?;
    let schema = body.get("schema");
    Some(if !media.contains("json") {
        ("binary", media.clone())
    } else if let Some(item) = ref_name(schema.and_then(|s| s.get("items"))) {
        ("array", item)
    } else if let Some(one) = ref_name(schema) {
        ("one", one)
    } else {
        ("json", String::new())
    })
}

fn answers(file: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for (path, item) in file.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let Some(get) = item.get("get") else { continue };
        if get.pointer("/responses/200/content").is_none() {
            // The file declares no body for `/company/contacts/{id}/image` and
            // `/service/priorities/{id}/image`; the real server answers an image.
            if path.ends_with("/image") {
                out.push(json!([path, "binary", "image/png"]));
            }
            continue;
        }
        if let Some((kind @ ("array" | "one" | "binary"), name)) = answer_of(get) {
            out.push(json!([path, kind, name]));
        }
    }
    out
}

/// `/service/boards/{parentId}/statuses/` → `/service/boards/{}/statuses`, lower case.
fn key(path: &str) -> String {
    let mut out = String::new();
    let mut in_brace = false;
    for c in path.trim_end_matches('/').chars() {
        match c {
            '{' => in_brace = true,
            '}' => {
                in_brace = false;
                out.push_str("{}");
            }
            _ if in_brace => {}
            c => out.push(c.to_ascii_lowercase()),
        }
    }
    out
}

/// The answer of a `GET` the 2025.1 file lacks (six operations of the 2021.1 table): a count
/// for `/count`, else what the path without its `/info` answers, else a free object.
fn fallback(path: &str, known: &std::collections::HashMap<String, (String, String)>) -> (String, String) {
    if path.ends_with("/count") {
        return ("one".into(), "Count".into());
    }
    let bare = key(&path.replace("/info", ""));
    known.get(&bare).cloned().unwrap_or(("json".into(), String::new()))
}

fn operations(official: &Value, newer: &Value, table: &Map<String, Value>) -> (Vec<Value>, Vec<Value>) {
    use std::collections::HashMap;
    let mut ops: Vec<(String, String, String, String, String)> = Vec::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    // The first file to give an operation wins.
    let mut add = |ops: &mut Vec<_>, path: &str, method: &str, kind: &str, name: &str, body: &str| {
        if seen.insert((key(path), method.to_owned())) {
            ops.push((path.to_owned(), method.to_owned(), kind.to_owned(), name.to_owned(), body.to_owned()));
        }
    };
    let gets = answers(official);
    for a in &gets {
        let s = |i: usize| a.get(i).and_then(Value::as_str).unwrap_or("").to_owned();
        add(&mut ops, &s(0), "GET", &s(1), &s(2), "");
    }
    for (path, item) in newer.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let (kind, name) = match answer_of(op) {
                // A `GET` that declares no body (`/system/members/{id}/image`) answers bytes.
                Some(("none", _)) if method == "get" => ("binary", String::new()),
                Some(found) => found,
                None => ("json", String::new()),
            };
            let body = ref_name(op.pointer("/requestBody/content/application~1json/schema"))
                .or_else(|| ref_name(op.pointer("/requestBody/content/application~1json/schema/items")))
                .unwrap_or_default();
            add(&mut ops, path, &method.to_ascii_uppercase(), kind, &name, &body);
        }
    }
    let known: HashMap<String, (String, String)> =
        ops.iter().filter(|o| o.1 == "GET").map(|o| (key(&o.0), (o.2.clone(), o.3.clone()))).collect();
    for (path, methods) in table {
        for method in methods.as_array().into_iter().flatten().filter_map(Value::as_str) {
            let (kind, name) = if method == "GET" { fallback(path, &known) } else { ("none".into(), String::new()) };
            add(&mut ops, path, method, &kind, &name, "");
        }
    }
    let mut get_answers = gets;
    let official_gets: std::collections::HashSet<String> =
        get_answers.iter().filter_map(|a| a.get(0).and_then(Value::as_str)).map(key).collect();
    for o in &ops {
        if o.1 == "GET" && !official_gets.contains(&key(&o.0)) && matches!(o.2.as_str(), "array" | "one" | "binary") {
            get_answers.push(json!([o.0, o.2, o.3, "2025.1"]));
        }
    }
    (ops.into_iter().map(|o| json!([o.0, o.1, o.2, o.3, o.4])).collect(), get_answers)
}

fn main() {
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|_| panic!("OUT_DIR is set by cargo"));
    let out = Path::new(&out_dir);
    let mut schemas = Map::new();
    let (mut official, mut newer) = (Value::Null, Value::Null);
    for name in FILES {
        let file = read(name);
        for (schema, s) in file.pointer("/components/schemas").and_then(Value::as_object).into_iter().flatten() {
            if !schemas.contains_key(schema) {
                schemas.insert(schema.clone(), slim_schema(s));
            }
        }
        match name {
            "openapi-2026.4-get.json" => official = file,
            "connectwise-2025.1.json" => newer = file,
            _ => {}
        }
    }
    let table: Map<String, Value> = read("manage-paths-2021.1.json")
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(p, m)| {
            (p.clone(), Value::from(m.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default()))
        })
        .collect();
    let (ops, get_answers) = operations(&official, &newer, &table);
    // The methods of every path, 2021.1 and 2025.1 together.
    let mut methods = table;
    for op in &ops {
        let (Some(path), Some(method)) = (op.get(0).and_then(Value::as_str), op.get(1).and_then(Value::as_str)) else {
            continue;
        };
        let list = methods.entry(path.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(v) = list {
            if !v.iter().any(|m| m == method) {
                v.push(Value::from(method));
            }
        }
    }
    let write = |name: &str, v: &Value| {
        let text = serde_json::to_string(v).unwrap_or_else(|e| panic!("{name}: {e}"));
        std::fs::write(out.join(name), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    };
    // JSON lines: the names, then one line per schema `{"p": [[name, property], ...], "r":
    // [required]}`, so the mock reads one schema at a time into typed structs that borrow the
    // text (no JSON tree, no escaped copies: start-up garbage stays resident in the allocator).
    let mut lines = vec![serde_json::to_string(&schemas.keys().collect::<Vec<_>>()).unwrap_or_default()];
    for s in schemas.values() {
        let props: Vec<Value> = s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, p)| json!([name, p]))
            .collect();
        let required = s.get("required").cloned().unwrap_or_else(|| json!([]));
        lines.push(json!({"p": props, "r": required}).to_string());
    }
    std::fs::write(out.join("schemas.jsonl"), lines.join("\n")).unwrap_or_else(|e| panic!("schemas.jsonl: {e}"));
    write("get-answers.json", &Value::Array(get_answers));
    write("methods.json", &Value::Object(methods));
    write("operations.json", &Value::Array(ops));
}
