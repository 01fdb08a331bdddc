//! Every route of the permission table answers with the real server's status codes, and
//! wrong ids, wrong methods and unknown paths get ConnectWise's error bodies.

mod common;

use common::bodies::{
    complete_for_update, concrete, create_body_for, fixtures_with_every_collection, patch_for, reference_patch,
};
use common::openapi::SPEC;
use common::{get_bytes, record_at};
use mock_connectwise::permissions::route_rules;
use mock_connectwise::{TestApp, TestOptions};
use reqwest::Method;
use serde_json::json;

/// A fresh record to delete for a DELETE route, made as the admin; returns the item path.
async fn fresh_item(app: &TestApp, item: &str) -> Result<String, String> {
    let template = item.trim_end_matches("/{id}");
    let collection = concrete(app, template).await.ok_or(format!("DELETE {item}: no parent"))?;
    let body = create_body_for(app, template, &collection).await.ok_or(format!("DELETE {item}: no body"))?;
    let created = app.call(&app.admin, Method::POST, &collection, Some(body.clone())).await;
    if created.status != 201 {
        return Err(format!("DELETE {item}: POST {collection} {body}: {} {}", created.status, created.body));
    }
    Ok(format!("{collection}/{}", created.body["id"]))
}

#[tokio::test]
async fn every_route_answers_the_admin_with_the_status_of_the_real_api() {
    let app =
        TestApp::spawn_with(TestOptions { fixtures: fixtures_with_every_collection(), ..Default::default() }).await;
    let mut tried = 0;
    let mut failures = Vec::new();
    for rule in route_rules() {
        let Some(path) = concrete(&app, &rule.path).await else {
            // A grandchild collection nobody can POST to: the fixtures seed one level deep.
            let list = rule.path.trim_end_matches("/{id}");
            let creatable = route_rules().iter().any(|r| r.method == "POST" && r.path == list);
            if list.matches('{').count() < 2 || creatable {
                failures.push(format!("{} {}: no record to name", rule.method, rule.path));
            }
            continue;
        };
        if let (Some(media), "GET") = (SPEC.binary(&rule.path), rule.method) {
            let (status, got, bytes) = get_bytes(&app, &path).await;
            if status != 200 || !got.starts_with(media) || bytes.is_empty() {
                failures.push(format!("GET {path}: {status} {got}, {} bytes, want {media}", bytes.len()));
            }
            tried += 1;
            continue;
        }
        // Actions and answered operations: routed, whatever the body makes them answer.
        if matches!(rule.served, "action" | "answered") {
            let m = Method::from_bytes(rule.method.as_bytes()).expect("a method");
            let body = match rule.method {
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
            let text = res.text().await.unwrap_or_default();
            if status == 405 || status >= 500 || text.contains("The requested resource") {
                failures.push(format!("{} {path} ({}): {status} {text}", rule.method, rule.path));
            }
            tried += 1;
            continue;
        }
        let (method, path, body, want) = match rule.method {
            "GET" => (Method::GET, path, None, 200),
            "POST" if rule.path.ends_with("/deactivate") => {
                (Method::POST, "/system/members/5/deactivate".into(), Some(json!({})), 200)
            }
            "POST" if rule.path.ends_with("/tokens") => (Method::POST, path, Some(json!({})), 200),
            // `POST /forecast/{id}` replaces the record, as PUT does (A15.6).
            "POST" if rule.path.ends_with("/{id}") => {
                let current = record_at(&app, &path).await;
                (Method::POST, path, Some(current), 200)
            }
            "POST" => match create_body_for(&app, &rule.path, &path).await {
                Some(body) => (Method::POST, path, Some(body), 201),
                None => {
                    failures.push(format!("POST {}: no body", rule.path));
                    continue;
                }
            },
            "PUT" => {
                let mut current = record_at(&app, &path).await;
                complete_for_update(&rule.path, &mut current);
                (Method::PUT, path, Some(current), 200)
            }
            // A collection's own path: the operations apply to each of its records (A15.6).
            "PATCH" if !rule.path.ends_with('}') => match patch_for(&format!("{}/{{id}}", rule.path)) {
                Some(body) => (Method::PATCH, path, Some(body), 200),
                None => {
                    failures.push(format!("PATCH {}: no patch", rule.path));
                    continue;
                }
            },
            "PATCH" => match patch_for(&rule.path).or(reference_patch(&record_at(&app, &path).await)) {
                Some(body) => (Method::PATCH, path, Some(body), 200),
                None => {
                    failures.push(format!("PATCH {}: no patch", rule.path));
                    continue;
                }
            },
            "DELETE" if !rule.path.ends_with('}') => (Method::DELETE, path, None, 204),
            // A record nobody can create stays in the shared fixtures: an unknown id proves
            // the route (404 naming the record).
            "DELETE"
                if !route_rules()
                    .iter()
                    .any(|r| r.method == "POST" && r.path == rule.path.trim_end_matches("/{id}")) =>
            {
                let list = path.rsplit_once('/').map_or(path.as_str(), |(l, _)| l).to_owned();
                (Method::DELETE, format!("{list}/999999"), None, 404)
            }
            "DELETE" => match fresh_item(&app, &rule.path).await {
                Ok(item) => (Method::DELETE, item, None, 204),
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            },
            other => panic!("unexpected method {other}"),
        };
        let res = app.call(&app.admin, method.clone(), &path, body.clone()).await;
        // An item view of records nothing stores names no record for any id (A24.8).
        let unstored = rule.served == "view"
            && res.status == 404
            && res.body["message"].as_str().is_some_and(|m| !m.starts_with("The requested"));
        if res.status != want && !unstored {
            failures.push(format!(
                "{method} {path} ({}) {}: {} {}",
                rule.path,
                body.unwrap_or_default(),
                res.status,
                res.body
            ));
        }
        tried += 1;
    }
    assert!(failures.is_empty(), "{} of {tried} routes failed:\n{}", failures.len(), failures.join("\n"));
    assert!(tried >= 2900, "only {tried} routes");
}

#[tokio::test]
async fn unknown_ids_on_every_item_route_are_404_not_found() {
    let app = TestApp::spawn().await;
    let mut failures = Vec::new();
    for rule in route_rules().into_iter().filter(|r| r.method == "GET" && r.path.ends_with("/{id}")) {
        let path = rule.path.replace("{parentId}", "1").replace("{id}", "999999");
        let res = app.get(&path).await;
        if res.status != 404 || res.body["code"] != "NotFound" {
            failures.push(format!("{path}: {} {}", res.status, res.body));
        }
    }
    assert!(failures.is_empty(), "{} item routes answered an unknown id:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_method_a_path_does_not_have_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let cases = [
        (Method::DELETE, "/system/members/2", "GET, PUT, PATCH"),
        (Method::DELETE, "/system/apiMembers/1", "GET, PUT, PATCH"),
        (Method::POST, "/system/securityRoles/1/settings", "GET"),
        (Method::PUT, "/system/mySecurity", "GET"),
    ];
    for (method, path, allow) in cases {
        let res = app.call(&app.admin, method.clone(), path, Some(json!({}))).await;
        assert_eq!(res.status, 405, "{method} {path}");
        assert_eq!(res.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(res.body["code"], "MethodNotAllowed");
    }
}

#[tokio::test]
async fn unknown_paths_are_404_in_the_error_body_and_unknown_codebases_cannot_route() {
    let app = TestApp::spawn().await;
    let unknown = app.get("/system/nothing").await;
    // A18: the plain-text answer real servers give, not a JSON body.
    let codebase = app.client().get(format!("{}/v2019_1/apis/3.0/system/info", app.url)).send().await.unwrap();
    let company = app.send(app.client().get(format!("{}/login/companyinfo/nosuchco", app.url))).await;

    assert_eq!((unknown.status, unknown.body["code"].as_str()), (404, Some("NotFound")));
    assert_eq!(codebase.status(), 404);
    assert!(codebase.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(codebase.text().await.unwrap(), "Cannot route. Codebase/company is invalid");
    // Public client code tests the discovery answer for `null`.
    assert_eq!((company.status, &company.body), (200, &serde_json::Value::Null));
}

#[tokio::test]
async fn routes_match_without_regard_to_case_as_on_the_real_server() {
    let app = TestApp::spawn().await;
    app.get("/System/SecurityRoles/1/Settings?pageSize=1").await.expect(200);
    app.get("/SYSTEM/MEMBERS/jdoe").await.expect(200);
}

#[tokio::test]
async fn deactivating_a_member_marks_it_inactive_and_its_keys_stop_working() {
    let app = TestApp::spawn().await;
    let creds = app.member_with_levels("Leaver", &mock_connectwise::permissions::RoleLevels::all()).await;
    app.call(&creds, Method::GET, "/system/info", None).await.expect(200);
    let member = app.get("/system/apiMembers?conditions=identifier=\"Leaver\"").await.body[0].clone();

    let ops = json!([{ "op": "replace", "path": "inactiveFlag", "value": true }]);
    app.call(&app.admin, Method::PATCH, &format!("/system/apiMembers/{}", member["id"]), Some(ops)).await.expect(200);
    let refused = app.call(&creds, Method::GET, "/system/info", None).await;

    assert_eq!(refused.status, 401, "{}", refused.body);
}

#[tokio::test]
async fn a_record_read_changed_and_read_again_shows_the_change_under_any_host_name() {
    let app = TestApp::spawn().await;
    let before = app.get("/procurement/catalog/1").await.expect(200);
    let listed = app.get("/procurement/catalog?conditions=id=1").await.expect(200);
    let ops = json!([{ "op": "replace", "path": "description", "value": "Changed after a read" }]);

    app.call(&app.admin, Method::PATCH, "/procurement/catalog/1", Some(ops)).await.expect(200);
    let after = app.get("/procurement/catalog/1").await.expect(200);
    let relisted = app.get("/procurement/catalog?conditions=id=1").await.expect(200);
    app.get("/system/members?pageSize=1").await.expect(200);
    let other_host = app
        .send(app.request(&app.admin, Method::GET, "/system/members?pageSize=1").header("host", "cw.example.test"))
        .await
        .expect(200);

    assert_eq!(before.body, listed.body[0]);
    assert_eq!(after.body["description"], "Changed after a read");
    assert_eq!(relisted.body[0]["description"], "Changed after a read");
    let href = other_host.body[0]["securityRole"]["_info"]["securityRole_href"].as_str().unwrap();
    assert!(href.starts_with("http://cw.example.test/"), "links follow the Host the client used: {href}");
}
