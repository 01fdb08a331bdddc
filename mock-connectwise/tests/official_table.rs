//! Issue 24: the whole official table. Every method of every path of the official 2021.1
//! table (`openapi/manage-paths-2021.1.json`, 1,647 paths and 2,814 methods, read from disk)
//! has a route: no "The requested resource … was not found", no 405, no 5xx, as the admin.
//! Placeholders are filled with `1` (or a word for the text ones); a 404 naming a missing
//! record, or a 400 for a body the operation's schema refuses, is a route that answered.

use mock_connectwise::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

fn table() -> Vec<(String, String)> {
    let path = format!("{}/openapi/manage-paths-2021.1.json", env!("CARGO_MANIFEST_DIR"));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("the table")).expect("JSON");
    let mut out = Vec::new();
    for (p, methods) in file["paths"].as_object().expect("paths") {
        for m in methods.as_object().expect("methods").keys() {
            out.push((p.clone(), m.clone()));
        }
    }
    out
}

/// `/system/members/{memberIdentifier}/tokens` → `/system/members/jdoe/tokens`;
/// `/finance/agreements/types{id}/copy` → `/finance/agreements/types1/copy`.
fn concrete(template: &str) -> String {
    let mut out = String::new();
    for seg in template.trim_end_matches('/').split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        match seg.find('{') {
            Some(at) => {
                out.push_str(&seg[..at]);
                let name = &seg[at..];
                let word = name.contains("Identifier") || name.contains("reportName") || name.contains("ssoid");
                out.push_str(if name.starts_with("{memberIdentifier") {
                    "jdoe"
                } else if word {
                    "Member"
                } else {
                    "1"
                });
            }
            None => out.push_str(seg),
        }
    }
    out
}

#[tokio::test]
async fn every_method_of_the_official_table_has_a_route() {
    let app = TestApp::spawn().await;
    let ops = table();
    let mut failures = Vec::new();
    for (template, method) in &ops {
        let path = concrete(template);
        let m = Method::from_bytes(method.as_bytes()).expect("a method");
        let body = match method.as_str() {
            "GET" | "DELETE" => None,
            "PATCH" => Some(json!([])),
            _ => Some(json!({})),
        };
        let mut req = app.request(&app.admin, m, &path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("the mock answers");
        let status = res.status().as_u16();
        let media = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let text = res.text().await.unwrap_or_default();
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let unrouted = status == 404 && json["message"].as_str().is_some_and(|s| s.starts_with("The requested"));
        // Every answer is JSON, an empty 204, or the bytes of a binary operation.
        let shaped = status == 204 || media.starts_with("application/json") || !media.contains("json") && status == 200;
        if unrouted || status == 405 || status >= 500 || !shaped {
            failures.push(format!("{method} {path} ({template}): {status} {media} {}", &text[..text.len().min(200)]));
        }
    }
    let routed = ops.len() - failures.len();
    println!("{routed} of {} methods of the official table have a route", ops.len());
    assert!(failures.is_empty(), "{} unrouted:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(ops.len(), 2814, "the 2021.1 table has 2,814 methods");
}
