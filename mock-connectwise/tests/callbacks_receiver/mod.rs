//! A callback receiver for the tests: a small axum server on `127.0.0.1:0` that keeps every
//! delivery it gets and answers with a status (and after a delay) the test sets; and the
//! helpers every callbacks test shares (fast delivery settings, registering, waiting).

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine as _;
use hmac::{KeyInit, Mac};
use mock_connectwise::{ApiConfig, CallbackSettings, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One delivery as the receiver got it.
#[derive(Clone, Debug)]
pub struct Got {
    /// Path and query.
    pub uri: String,
    pub signature: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Inner {
    got: Mutex<Vec<Got>>,
    status: AtomicU16,
    delay_ms: AtomicU64,
}

/// A running receiver.
#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    inner: Arc<Inner>,
}

async fn take(State(inner): State<Arc<Inner>>, uri: Uri, headers: HeaderMap, body: Bytes) -> StatusCode {
    let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
    inner.got.lock().expect("lock").push(Got {
        uri: uri.to_string(),
        signature: text("x-content-signature"),
        content_type: text("content-type"),
        body,
    });
    let delay = inner.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    StatusCode::from_u16(inner.status.load(Ordering::SeqCst)).expect("a status")
}

impl Receiver {
    /// A receiver answering 200 at once.
    pub async fn start() -> Self {
        let inner = Arc::new(Inner { status: AtomicU16::new(200), ..Inner::default() });
        let app = Router::new().fallback(take).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, inner }
    }

    pub fn answer(&self, status: u16) {
        self.inner.status.store(status, Ordering::SeqCst);
    }

    pub fn delay(&self, d: Duration) {
        self.inner.delay_ms.store(u64::try_from(d.as_millis()).expect("ms"), Ordering::SeqCst);
    }

    pub fn got(&self) -> Vec<Got> {
        self.inner.got.lock().expect("lock").clone()
    }

    /// Deliveries whose URL has `?entry={entry}`.
    pub fn got_for(&self, entry: &str) -> Vec<Got> {
        self.got().into_iter().filter(|g| g.uri.contains(&format!("entry={entry}&"))).collect()
    }
}

/// Delivery settings with the real rules but millisecond waits.
pub fn fast() -> CallbackSettings {
    CallbackSettings {
        retry_delays: [Duration::from_millis(60), Duration::from_millis(120)],
        timeout: Duration::from_millis(400),
        ..CallbackSettings::default()
    }
}

/// A mock delivering with `settings`.
pub async fn mock_with(settings: CallbackSettings) -> TestApp {
    TestApp::spawn_with(TestOptions {
        api: ApiConfig { callbacks: settings, ..ApiConfig::default() },
        ..TestOptions::default()
    })
    .await
}

/// Registers an entry as the admin; its JSON (201 expected). The URL ends in
/// `?entry={tag}&id=` so the record id is appended to it.
pub async fn register(app: &TestApp, rx: &Receiver, tag: &str, kind: &str, level: &str, object_id: i64) -> Value {
    register_with(app, rx, tag, json!({ "type": kind, "level": level, "objectId": object_id })).await
}

pub async fn register_with(app: &TestApp, rx: &Receiver, tag: &str, mut body: Value) -> Value {
    body["url"] = json!(format!("{}/hook?entry={tag}&id=", rx.url));
    body["description"] = json!(tag);
    app.call(&app.admin, Method::POST, "/system/callbacks", Some(body)).await.expect(201).body
}

/// Waits until the mock has nothing left to deliver.
pub async fn settle(app: &TestApp) -> Value {
    let body = app.console(Method::POST, "/callbacks/wait?timeoutMs=20000", None).await.expect(200).body;
    assert_eq!(body["idle"], true, "deliveries did not settle: {body}");
    body
}

/// The journaled attempts.
pub async fn attempts(app: &TestApp) -> Vec<Value> {
    app.console(Method::GET, "/callbacks/deliveries", None).await.expect(200).body.as_array().expect("a list").clone()
}

/// Whether `signature` is the body's HMAC under the key `key_url` serves.
pub async fn verify(app: &TestApp, got: &Got) -> bool {
    let body = got.json();
    let key_url = body["Metadata"]["key_url"].as_str().expect("a key_url");
    let answer: Value = app.client().get(key_url).send().await.expect("key_url answers").json().await.expect("JSON");
    let key = answer["signing_key"].as_str().expect("a signing_key");
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&Sha256::digest(key.as_bytes())).expect("a key");
    mac.update(&got.body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    got.signature.as_deref() == Some(expected.as_str())
}
