//! `TestApp`: a mock on `127.0.0.1:0` with a fresh store and an HTTP client that checks
//! ConnectWise's protocol invariants on every response. Used by this crate's tests, the
//! provisioner's tests and the conformance World alike, and by any other crate's tests through
//! `mock-connectwise = { version = "0.1", features = ["test-util"] }` in `[dev-dependencies]`
//! (as wiremock's `MockServer` is used: one per test, in-process, no port to choose).

use std::sync::Arc;

use cw_model::console::{self, KeyCreated, LevelChanges, NewKeyRequest, SaveAction};
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use secrecy::ExposeSecret;
use serde_json::{Value, to_value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::clock::ManualClock;
use crate::state::ApiConfig;
use crate::store::fixtures::{AdminCredentials, FixtureSet};
use crate::store::{Store, StoreConfig};
use cw_model::{Action, Function, PermissionLevel, RoleLevels};

/// 2025-01-15T12:00:00Z: the test clock's start, so `_info` dates are stable.
pub const TEST_EPOCH: i64 = 1_736_942_400;

/// Credentials for `Authorization: Basic base64(company+public:private)` and `clientId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Creds {
    /// The company id.
    pub company: String,
    /// The public key (or integrator username).
    pub public: String,
    /// The private key (or integrator password).
    pub private: String,
    /// The `clientId` header.
    pub client_id: String,
}

impl From<&AdminCredentials> for Creds {
    fn from(a: &AdminCredentials) -> Self {
        Self {
            company: a.company.clone(),
            public: a.public_key.clone(),
            private: a.private_key.clone(),
            client_id: a.client_id.clone(),
        }
    }
}

/// How to start a [`TestApp`].
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    /// The fixture set (default: the built-in one).
    pub fixtures: FixtureSet,
    /// Start in soft mode.
    pub soft_mode: bool,
    /// One generated record in every empty collection (`--populate`), on start and reset.
    pub populate: bool,
    /// HTTP settings.
    pub api: ApiConfig,
}

/// A running mock for one test: its own store, on its own port, stopped when dropped.
///
/// Point the code under test at [`TestApp::url`] (what `CW_URL` holds) with the seeded admin's
/// [`TestApp::admin`] credentials, or make an integration's own API member with
/// [`TestApp::member_with_levels`]; the console helpers set levels, inject faults and read the
/// request journal.
///
/// ```
/// use mock_connectwise::TestApp;
/// use mock_connectwise::permissions::{Action, Function, PermissionLevel, RoleLevels};
/// use reqwest::Method;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = TestApp::spawn().await;
///
/// // The admin sees every member; each call's status, content type and error body are checked.
/// let members = app.get("/system/members").await.expect(200);
/// assert!(members.body.as_array().is_some_and(|m| !m.is_empty()));
///
/// // An API member whose role may only read companies: tickets are refused as ConnectWise does.
/// let mut levels = RoleLevels::none();
/// levels.set(Function::CompanyMaintenance, Action::Inquire, PermissionLevel::All);
/// let sync = app.member_with_levels("DocSync", &levels).await;
/// app.call(&sync, Method::GET, "/company/companies", None).await.expect(200);
/// let refused = app.call(&sync, Method::GET, "/service/tickets", None).await.expect(403);
/// assert!(!refused.message().is_empty());
///
/// // The request journal saw both calls of that member.
/// assert_eq!(app.requests("member=DocSync").await.len(), 2);
/// # }
/// ```
#[derive(Debug)]
pub struct TestApp {
    /// The site root, `http://127.0.0.1:PORT` (what `CW_URL` holds).
    pub url: String,
    /// The API root, `http://127.0.0.1:PORT/v4_6_release/apis/3.0`.
    pub api: String,
    /// The seeded admin.
    pub admin: Creds,
    /// The store behind the server, for assertions on state.
    pub store: Store,
    /// The store's clock; advance it to expire tokens.
    pub clock: Arc<ManualClock>,
    client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

/// A response whose invariants were checked.
#[derive(Debug)]
pub struct Checked {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as JSON (`Null` for an empty body).
    pub body: Value,
}

impl Checked {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.body);
        self
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `message` of an error body.
    pub fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl TestApp {
    /// A mock with the built-in fixtures.
    pub async fn spawn() -> Self {
        Self::spawn_with(TestOptions::default()).await
    }

    /// A mock with the given options.
    pub async fn spawn_with(options: TestOptions) -> Self {
        // reqwest is built without a default crypto provider; install one (idempotent).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let clock = Arc::new(ManualClock::at(TEST_EPOCH));
        let admin = Creds::from(&options.fixtures.admin().expect("test fixtures have an admin key"));
        let populate = options.populate || options.fixtures.populates();
        let fixtures = options.fixtures.with_populate(populate);
        let store =
            Store::new(StoreConfig { clock: clock.clone(), key_seed: Some(7), fixtures }).expect("test fixtures load");
        store.set_soft_mode(options.soft_mode);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("bound address");
        let (tx, rx) = oneshot::channel();
        let codebase = options.api.codebase.clone();
        let trust = options.api.tls.as_ref().map(|t| t.cert_pem.clone());
        tokio::spawn(crate::serve(listener, store.clone(), options.api, async {
            let _ = rx.await;
        }));
        let scheme = if trust.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{addr}");
        let mut client = reqwest::Client::builder();
        if let Some(pem) = trust {
            client = client.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("a PEM"));
        }
        Self {
            api: format!("{url}/{codebase}apis/3.0"),
            url,
            admin,
            store,
            clock,
            client: client.build().expect("a reqwest client"),
            shutdown: Some(tx),
        }
    }

    /// The shared HTTP client.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and checks the response's protocol invariants.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Checked {
        let res = req.send().await.expect("the mock answers");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("a readable body");
        check_invariants(status, &headers, &bytes);
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).expect("checked JSON") };
        Checked { status, headers, body }
    }

    /// A request to `apis/3.0` authenticated with `creds`.
    pub fn request(&self, creds: &Creds, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.api))
            .basic_auth(format!("{}+{}", creds.company, creds.public), Some(&creds.private))
            .header("clientId", &creds.client_id)
    }

    /// Calls `apis/3.0` as `creds`, with an optional JSON body.
    pub async fn call(&self, creds: &Creds, method: Method, path: &str, body: Option<Value>) -> Checked {
        let mut req = self.request(creds, method, path);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// `GET apis/3.0{path}` as the seeded admin.
    pub async fn get(&self, path: &str) -> Checked {
        self.call(&self.admin, Method::GET, path, None).await
    }

    /// Calls the mock console (`/__mock{path}`).
    pub async fn console(&self, method: Method, path: &str, body: Option<Value>) -> Checked {
        let mut req = self.client.request(method, format!("{}{}{path}", self.url, console::PREFIX));
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.send(req).await
    }

    /// Creates a security role with exactly `levels`, an API member holding it, and an API
    /// key for that member ("Save"), and returns the member's credentials.
    pub async fn member_with_levels(&self, identifier: &str, levels: &RoleLevels) -> Creds {
        let role_name = format!("{identifier} role");
        let role = self
            .call(&self.admin, Method::POST, "/system/securityroles", Some(serde_json::json!({ "name": role_name })))
            .await
            .expect(201);
        let role_id = role.body["id"].as_u64().expect("role id");
        let mut changes = LevelChanges::default();
        for &f in Function::ALL {
            for a in Action::ALL {
                changes = changes.level(f, a, levels.get(f, a));
            }
            changes = changes.customize(f, levels.customize(f).cloned());
        }
        let company = &self.admin.company;
        self.console(Method::PUT, &console::path::role_levels(company, &role_id.to_string()), Some(changes.to_json()))
            .await
            .expect(200);
        let member =
            serde_json::json!({ "identifier": identifier, "name": identifier, "securityRole": { "id": role_id } });
        self.call(&self.admin, Method::POST, "/system/apiMembers", Some(member)).await.expect(201);
        let key = self
            .console(
                Method::POST,
                &console::path::member_keys(company, identifier),
                Some(
                    to_value(NewKeyRequest { description: "test key".into(), action: SaveAction::Save }).expect("JSON"),
                ),
            )
            .await
            .expect(201);
        let key: KeyCreated = serde_json::from_value(key.body).expect("a new key");
        Creds {
            company: company.clone(),
            public: key.key.public_key,
            private: key.private_key.map(|p| p.expose_secret().to_owned()).expect("Save shows the private key"),
            client_id: self.admin.client_id.clone(),
        }
    }

    /// Adds a fault rule (`POST /__mock/faults`, see the console index) and returns its id.
    pub async fn inject_fault(&self, rule: Value) -> u64 {
        let added = self.console(Method::POST, "/faults", Some(rule)).await.expect(201);
        added.body["id"].as_u64().expect("a fault rule id")
    }

    /// The request journal, newest first, filtered by a query string such as `status=429`.
    pub async fn requests(&self, query: &str) -> Vec<Value> {
        let found = self.console(Method::GET, &format!("/requests?{query}"), None).await.expect(200);
        found.body["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Sets one level of a role through the console.
    pub async fn set_level(&self, role: &str, function: Function, action: Action, level: PermissionLevel) {
        let body = LevelChanges::default().level(function, action, level).to_json();
        self.console(Method::PUT, &console::path::role_levels(&self.admin.company, role), Some(body)).await.expect(200);
    }
}

/// The protocol invariants every response must keep.
#[track_caller]
fn check_invariants(status: u16, headers: &HeaderMap, body: &[u8]) {
    if status == 204 {
        assert!(body.is_empty(), "204 with a body: {}", String::from_utf8_lossy(body));
        return;
    }
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "status {status}: content type {ct:?}, body {}",
        String::from_utf8_lossy(body)
    );
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {}", String::from_utf8_lossy(body)));
    if status >= 400 {
        assert!(
            v["code"].is_string() && v["message"].is_string(),
            "status {status}: not a ConnectWise error body: {v}"
        );
        match &v["errors"] {
            Value::Null => {}
            Value::Array(items) => {
                for e in items {
                    assert!(e["code"].is_string() && e["message"].is_string(), "malformed errors entry: {e}");
                }
            }
            other => panic!("errors must be null or a list, not {other}"),
        }
    }
}
