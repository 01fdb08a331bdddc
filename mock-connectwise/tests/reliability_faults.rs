//! Reliability: injected faults, the request journal, the rate limit and slow or oversized
//! requests, through a real socket.

use std::time::{Duration, Instant};

use mock_connectwise::{ApiConfig, TestApp, TestOptions};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn api_member(identifier: &str) -> serde_json::Value {
    json!({ "identifier": identifier, "name": "Fault test", "securityRole": { "id": 1 } })
}

#[tokio::test]
async fn a_429_fault_with_times_answers_that_many_calls_with_retry_after_then_lets_calls_through() {
    let app = TestApp::spawn().await;
    app.inject_fault(json!({"method": "GET", "path": "/system/info", "action": "status", "status": 429, "retryAfter": 3, "times": 2})).await;

    let first = app.get("/system/info").await.expect(429);
    let second = app.get("/system/info").await.expect(429);
    let third = app.get("/system/info").await.expect(200);

    assert_eq!(first.header("retry-after"), Some("3"));
    assert_eq!(second.body["code"], "ConnectWiseApi");
    assert!(third.body["version"].is_string());
    let journal = app.requests("path=/system/info").await;
    assert_eq!(journal.len(), 3);
    assert_eq!(journal[2]["fault"], "#1 status 429");
    assert_eq!(journal[0]["fault"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_drop_fault_closes_the_connection_without_running_the_call() {
    let app = TestApp::spawn().await;
    app.inject_fault(json!({"method": "POST", "path": "/system/apiMembers", "action": "drop", "times": 1})).await;

    let sent = app.request(&app.admin, Method::POST, "/system/apiMembers").json(&api_member("dropped1")).send().await;

    assert!(sent.is_err(), "a dropped call must not get an answer: {sent:?}");
    let again = app.call(&app.admin, Method::POST, "/system/apiMembers", Some(api_member("dropped2"))).await;
    again.expect(201);
    let count = app.get("/system/apiMembers/count?conditions=identifier=\"dropped1\"").await.expect(200);
    assert_eq!(count.body["count"], 0, "a dropped call must not have run");
    assert_eq!(app.requests("status=0").await.len(), 1, "the journal shows the call without an answer");
}

#[tokio::test]
async fn a_commit_then_drop_fault_keeps_the_write_but_loses_the_answer() {
    let app = TestApp::spawn().await;
    app.inject_fault(json!({"method": "POST", "path": "/system/apiMembers", "action": "commitThenDrop", "times": 1}))
        .await;

    let sent = app.request(&app.admin, Method::POST, "/system/apiMembers").json(&api_member("committed1")).send().await;

    assert!(sent.is_err(), "the answer must be lost: {sent:?}");
    let count = app.get("/system/apiMembers/count?conditions=identifier=\"committed1\"").await.expect(200);
    assert_eq!(count.body["count"], 1, "the write must have happened");
}

#[tokio::test]
async fn a_latency_fault_delays_the_answer_by_at_least_its_latency() {
    let app = TestApp::spawn().await;
    app.inject_fault(json!({"path": "/system/info", "action": "latency", "latencyMs": 150, "times": 1})).await;

    let started = Instant::now();
    app.get("/system/info").await.expect(200);

    assert!(started.elapsed() >= Duration::from_millis(150), "answered after {:?}", started.elapsed());
    assert_eq!(app.requests("").await[0]["fault"], "#1 latency 150ms");
}

#[tokio::test]
async fn faults_filtered_by_member_leave_other_callers_alone() {
    let app = TestApp::spawn().await;
    let other = app.member_with_levels("Bystander", &mock_connectwise::permissions::RoleLevels::all()).await;
    app.inject_fault(json!({"path": "/**", "member": "MockAdmin", "action": "status", "status": 503})).await;

    app.get("/system/info").await.expect(503);
    app.call(&other, Method::GET, "/system/info", None).await.expect(200);
}

#[tokio::test]
async fn fault_rules_are_listed_removed_and_cleared_by_a_reset() {
    let app = TestApp::spawn().await;
    let id = app.inject_fault(json!({"path": "/system/info", "action": "drop"})).await;
    app.inject_fault(json!({"path": "/company/**", "action": "status", "status": 500, "probability": 0.5, "seed": 1}))
        .await;

    let listed = app.console(Method::GET, "/faults", None).await.expect(200);
    app.console(Method::DELETE, &format!("/faults/{id}"), None).await.expect(204);
    app.console(Method::DELETE, &format!("/faults/{id}"), None).await.expect(404);
    app.console(Method::POST, "/reset", None).await.expect(200);

    assert_eq!(listed.body.as_array().map(Vec::len), Some(2));
    assert_eq!(listed.body[0]["remaining"], serde_json::Value::Null);
    assert_eq!(app.console(Method::GET, "/faults", None).await.body, json!([]));
    assert!(app.requests("").await.is_empty(), "a reset clears the journal");
}

#[tokio::test]
async fn bad_fault_rules_get_a_connectwise_error_body() {
    let app = TestApp::spawn().await;
    for bad in [
        json!({"path": "/x", "action": "explode"}),
        json!({"path": "x", "action": "drop"}),
        json!({"path": "/x", "action": "status", "status": 302}),
        json!({"path": "/x", "action": "drop", "unknown": 1}),
        json!([1, 2]),
    ] {
        let refused = app.console(Method::POST, "/faults", Some(bad.clone())).await;
        assert!(refused.status == 400 || refused.status == 422, "{bad} got {}", refused.status);
    }
    assert_eq!(app.console(Method::GET, "/faults", None).await.body, json!([]));
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after_until_the_window_ends() {
    let app = TestApp::spawn().await;
    app.console(Method::PUT, "/rate-limit", Some(json!({"requests": 3, "perSeconds": 60}))).await.expect(200);

    for _ in 0..3 {
        app.get("/system/info").await.expect(200);
    }
    let limited = app.get("/system/info").await.expect(429);
    app.clock.advance(60);
    app.get("/system/info").await.expect(200);

    assert_eq!(limited.header("retry-after"), Some("60"));
    app.console(Method::PUT, "/rate-limit", Some(json!(null))).await.expect(200);
    assert_eq!(app.console(Method::GET, "/rate-limit", None).await.body, json!({"rateLimit": null}));
}

#[tokio::test]
async fn the_request_journal_records_caller_status_and_permission_but_no_secret() {
    let app = TestApp::spawn().await;
    app.get("/company/companies?pageSize=2").await.expect(200);
    let mut wrong = app.admin.clone();
    wrong.private = "NotTheRightKey99".into();
    app.call(&wrong, Method::GET, "/system/info", None).await.expect(401);

    let journal = app.requests("").await;
    let text = serde_json::to_string(&journal).unwrap();

    assert_eq!(journal[1]["member"], "MockAdmin");
    assert_eq!(journal[1]["query"], "pageSize=2");
    assert_eq!(journal[1]["permission"], "Companies > Company Maintenance: Inquire (granted All)");
    assert_eq!(journal[0]["status"], 401);
    for secret in [app.admin.private.as_str(), "NotTheRightKey99"] {
        assert!(!text.contains(secret), "the journal holds a secret: {text}");
    }
}

async fn raw(app: &TestApp, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(app.url.trim_start_matches("http://")).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    // The server answers or closes; the outer timeout only bounds a broken server.
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected_after_the_header_timeout() {
    let api = ApiConfig { header_timeout: Duration::from_millis(200), ..ApiConfig::default() };
    let app = TestApp::spawn_with(TestOptions { api, ..TestOptions::default() }).await;

    let started = Instant::now();
    let answer = raw(&app, b"GET /v4_6_release/apis/3.0/system/info HTTP/1.1\r\nHost: x\r\n").await;

    assert!(started.elapsed() < Duration::from_secs(5), "not disconnected: {:?}", started.elapsed());
    assert!(!answer.contains("200 OK"), "{answer}");
}

#[tokio::test]
async fn a_client_that_stalls_in_its_body_gets_408() {
    let api = ApiConfig { body_timeout: Duration::from_millis(200), ..ApiConfig::default() };
    let app = TestApp::spawn_with(TestOptions { api, ..TestOptions::default() }).await;
    let auth = base64_basic(&app);
    let head = format!(
        "POST /v4_6_release/apis/3.0/system/members HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nclientId: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"identifier\"",
        app.admin.client_id
    );

    let answer = raw(&app, head.as_bytes()).await;

    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("RequestTimeout"), "{answer}");
}

#[tokio::test]
async fn oversized_request_headers_get_431_and_oversized_bodies_413() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(256 * 1024);

    let headers = app.request(&app.admin, Method::GET, "/system/info").header("x-padding", &huge).send().await;
    let body =
        app.call(&app.admin, Method::POST, "/system/apiMembers", Some(json!({ "identifier": "x".repeat(2 << 20) })));

    assert_eq!(headers.map(|r| r.status().as_u16()).unwrap_or(0), 431);
    body.await.expect(413);
}

fn base64_basic(app: &TestApp) -> String {
    use base64::Engine;
    let raw = format!("{}+{}:{}", app.admin.company, app.admin.public, app.admin.private);
    base64::engine::general_purpose::STANDARD.encode(raw)
}
