//! Durability (`--state-file`, an SQLite database): the real binary is restarted, killed with
//! SIGKILL at random moments and given a torn WAL; every acknowledged write must come back,
//! secrets only as hashes. Export and import (`/__mock/state`) round-trip the whole state
//! (malformed imports: `state_transfer.rs`).

// The helpers below are test code too: a panic in them is a failed assertion.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use mock_connectwise::TestApp;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A fresh directory for one test's state files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cw-durability-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The mock binary running with `--state-file`.
struct Mock {
    child: Child,
    url: String,
    env: HashMap<String, String>,
    logs: Arc<Mutex<String>>,
    log_reader: tokio::task::JoinHandle<()>,
    http: reqwest::Client,
}

impl Mock {
    async fn start(state: &Path, vars: &[(&str, &str)]) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-connectwise"))
            .args(["--listen", "127.0.0.1:0", "--no-ui", "--state-file"])
            .arg(state)
            .env("RUST_LOG", "info")
            .envs(vars.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let logs = Arc::new(Mutex::new(String::new()));
        let mut err_lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let sink = logs.clone();
        let log_reader = tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut env = HashMap::new();
        while env.len() < 5 {
            let Some(line) = lines.next_line().await.expect("stdout") else {
                panic!("the mock did not start: {}", logs.lock().unwrap());
            };
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.to_owned(), v.to_owned());
            }
        }
        let url = env["CW_URL"].clone();
        Self { child, url, env, logs, log_reader, http: reqwest::Client::new() }
    }

    /// SIGKILL, then the logs it wrote.
    async fn kill(mut self) -> String {
        self.child.kill().await.expect("SIGKILL");
        let _ = self.log_reader.await;
        self.logs.lock().unwrap().clone()
    }

    fn admin(&self) -> (String, String) {
        (format!("{}+{}", self.env["CW_COMPANY"], self.env["CW_PUBLIC_KEY"]), self.env["CW_PRIVATE_KEY"].clone())
    }

    fn call(&self, method: Method, path: &str, (user, pass): &(String, String)) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/v4_6_release/apis/3.0{path}", self.url))
            .basic_auth(user, Some(pass))
            .header("clientId", &self.env["CW_CLIENT_ID"])
    }

    async fn admin_json(&self, method: Method, path: &str, body: Value, status: u16) -> Value {
        let res = self.call(method, path, &self.admin()).json(&body).send().await.expect("an answer");
        assert_eq!(res.status().as_u16(), status, "{path}");
        res.json().await.expect("JSON")
    }

    async fn console(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}/__mock{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("an answer");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn export(&self) -> Value {
        let (status, mut state) = self.console(Method::GET, "/state", None).await;
        assert_eq!(status, 200);
        // The generation counts whole replacements; it is not part of the data.
        state.as_object_mut().expect("an object").remove("generation");
        state
    }

    async fn status_as(&self, path: &str, creds: &(String, String), integrator: bool) -> u16 {
        let mut req = self.call(Method::GET, path, creds);
        if integrator {
            req = req.header("x-cw-usertype", "integrator");
        }
        req.send().await.expect("an answer").status().as_u16()
    }
}

fn files_contain(dir: &Path, needle: &str) -> bool {
    std::fs::read_dir(dir).unwrap().filter_map(Result::ok).any(|e| {
        let bytes = std::fs::read(e.path()).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

#[tokio::test]
async fn a_restarted_mock_has_the_same_records_roles_keys_logins_and_tokens_and_no_plain_secret() {
    let dir = scratch("restart");
    let state = dir.join("state.db");
    let mock = Mock::start(&state, &[]).await;

    let ticket = mock
        .admin_json(
            Method::POST,
            "/service/tickets",
            json!({"summary": "survives", "company": {"identifier": "AcmeCorp"}}),
            201,
        )
        .await;
    let role = mock.admin_json(Method::POST, "/system/securityRoles", json!({"name": "Durable Role"}), 201).await;
    let role_id = role["id"].as_u64().unwrap();
    let (status, _) = mock
        .console(
            Method::PUT,
            &format!("/companies/cwmock/roles/{role_id}/levels"),
            Some(json!({
                "Finance > Agreements": {"Add": "All", "Inquire": "My"},
                "System > My Company": {"Inquire": "All"},
                "System > Table Setup": {"Inquire": "All", "customize": ["Service / Service Board"]},
            })),
        )
        .await;
    assert_eq!(status, 200);
    let body = json!({"identifier": "durable1", "name": "Durable One", "securityRole": {"id": role_id}});
    mock.admin_json(Method::POST, "/system/apiMembers", body, 201).await;
    let (status, key) = mock
        .console(
            Method::POST,
            "/companies/cwmock/members/durable1/keys",
            Some(json!({"description": "durable", "action": "save"})),
        )
        .await;
    assert_eq!(status, 201);
    let key_creds =
        (format!("cwmock+{}", key["publicKey"].as_str().unwrap()), key["privateKey"].as_str().unwrap().to_owned());
    let (status, spare) = mock
        .console(
            Method::POST,
            "/companies/cwmock/members/jdoe/keys",
            Some(json!({"description": "spare", "action": "save"})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = mock
        .console(Method::PATCH, &format!("/companies/cwmock/keys/{}", spare["id"]), Some(json!({"inactiveFlag": true})))
        .await;
    assert_eq!(status, 200);
    let login = json!({"username": "DurableLogin", "password": "Durable-Login-Pw1", "companyApiFlag": true});
    mock.admin_json(Method::POST, "/system/integratorlogins", login, 201).await;
    let token = mock.admin_json(Method::POST, "/system/members/jdoe/tokens", json!({}), 200).await;
    let token_creds =
        (format!("cwmock+{}", token["publicKey"].as_str().unwrap()), token["privateKey"].as_str().unwrap().to_owned());
    let member = json!({"identifier": "durm", "password": "Member-Secret-Pw9", "firstName": "Dur", "lastName": "Able",
        "licenseClass": "F", "hireDate": "2020-01-01T00:00:00Z", "officeEmail": "durm@example.com",
        "defaultEmail": "Office", "defaultPhone": "Office", "securityRole": {"id": role_id}});
    mock.admin_json(Method::POST, "/system/members", member, 201).await;
    let login_creds = ("cwmock+DurableLogin".to_owned(), "Durable-Login-Pw1".to_owned());
    let statuses = [
        mock.status_as("/system/info", &key_creds, false).await,
        mock.status_as("/system/info", &token_creds, false).await,
        mock.status_as("/company/companies", &login_creds, true).await,
        mock.status_as("/finance/agreements", &key_creds, false).await,
    ];
    assert_eq!(statuses[..2], [200, 200]);
    assert_ne!(statuses[2], 401, "the integrator login authenticates");
    let before = mock.export().await;
    let logs = mock.kill().await;

    let mock = Mock::start(&state, &[]).await;
    let after = mock.export().await;
    assert_eq!(after, before, "the restarted state is the state before kill -9\nlogs: {logs}");
    let again = [
        mock.status_as("/system/info", &key_creds, false).await,
        mock.status_as("/system/info", &token_creds, false).await,
        mock.status_as("/company/companies", &login_creds, true).await,
        mock.status_as("/finance/agreements", &key_creds, false).await,
    ];
    assert_eq!(again, statuses, "keys, tokens, logins and role levels act as before the restart");
    let wrong = ("cwmock+DurableLogin".to_owned(), "not-the-password".to_owned());
    assert_eq!(mock.status_as("/company/companies", &wrong, true).await, 401);
    let got = mock.admin_json(Method::GET, &format!("/service/tickets/{}", ticket["id"]), Value::Null, 200).await;
    assert_eq!(got["summary"], "survives");
    mock.kill().await;

    let secrets = [
        key_creds.1.as_str(),
        spare["privateKey"].as_str().unwrap(),
        token_creds.1.as_str(),
        "Durable-Login-Pw1",
        "Member-Secret-Pw9",
        "MockAdminPriv001",
        "backup-sync-password",
    ];
    assert!(files_contain(&dir, key_creds.0.trim_start_matches("cwmock+")), "the files do hold the public key");
    for s in secrets {
        assert!(!files_contain(&dir, s), "a secret is in the state files: {s}");
        assert!(!before.to_string().contains(s), "a secret is in the export: {s}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Acceptable summaries of each acknowledged ticket (two while a PATCH is unanswered).
type Ledger = Arc<Mutex<HashMap<u64, Vec<String>>>>;

async fn writer(mock: Arc<Mock>, round: usize, w: usize, ledger: Ledger, keys: Arc<Mutex<Vec<(String, String)>>>) {
    let admin = mock.admin();
    for i in 0.. {
        let summary = format!("r{round}-w{w}-{i}");
        let body = json!({"summary": summary, "company": {"identifier": "AcmeCorp"}});
        let Ok(res) = mock.call(Method::POST, "/service/tickets", &admin).json(&body).send().await else { return };
        if res.status() != 201 {
            return;
        }
        let Ok(created) = res.json::<Value>().await else { return };
        let id = created["id"].as_u64().unwrap();
        ledger.lock().unwrap().insert(id, vec![summary.clone()]);
        if i % 3 == 0 {
            let patched = format!("{summary}-patched");
            ledger.lock().unwrap().get_mut(&id).unwrap().push(patched.clone());
            let ops = json!([{"op": "replace", "path": "summary", "value": patched}]);
            let Ok(res) = mock.call(Method::PATCH, &format!("/service/tickets/{id}"), &admin).json(&ops).send().await
            else {
                return;
            };
            if res.status() != 200 {
                return;
            }
            ledger.lock().unwrap().insert(id, vec![patched]);
        }
        if i % 7 == 0 {
            let req = mock
                .http
                .post(format!("{}/__mock/companies/cwmock/members/MockAdmin/keys", mock.url))
                .json(&json!({"description": summary, "action": "save"}));
            let Ok(res) = req.send().await else { return };
            if res.status() != 201 {
                return;
            }
            let Ok(k) = res.json::<Value>().await else { return };
            let creds =
                (format!("cwmock+{}", k["publicKey"].as_str().unwrap()), k["privateKey"].as_str().unwrap().to_owned());
            keys.lock().unwrap().push(creds);
        }
    }
}

async fn check_everything_acknowledged(mock: &Mock, ledger: &Ledger, keys: &[(String, String)], logs: &str) {
    let expected: Vec<(u64, Vec<String>)> = ledger.lock().unwrap().iter().map(|(k, v)| (*k, v.clone())).collect();
    for (id, acceptable) in expected {
        let res = mock.call(Method::GET, &format!("/service/tickets/{id}"), &mock.admin()).send().await.unwrap();
        assert_eq!(res.status(), 200, "acknowledged ticket {id} is gone; previous run's logs:\n{logs}");
        let body: Value = res.json().await.unwrap();
        let summary = body["summary"].as_str().unwrap().to_owned();
        assert!(acceptable.contains(&summary), "ticket {id}: {summary} is none of {acceptable:?}");
    }
    for creds in keys {
        assert_eq!(mock.status_as("/system/info", creds, false).await, 200, "acknowledged key {} lost", creds.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_at_random_moments_loses_no_acknowledged_write_and_leaves_loadable_files() {
    const SEED: u64 = 0x18_12;
    const ROUNDS: usize = 10;
    let dir = scratch("kill9");
    let state = dir.join("state.db");
    // SQLite checkpoints its WAL into the database every 1,000 pages (4 MB): over the rounds
    // some kills may land mid-checkpoint.
    let vars: [(&str, &str); 0] = [];
    let mut rng = StdRng::seed_from_u64(SEED);
    let ledger: Ledger = Arc::default();
    let keys: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut logs = String::new();
    for round in 0..ROUNDS {
        let mock = Arc::new(Mock::start(&state, &vars).await);
        let known = keys.lock().unwrap().clone();
        check_everything_acknowledged(&mock, &ledger, &known, &logs).await;
        let writers: Vec<_> =
            (0..4).map(|w| tokio::spawn(writer(mock.clone(), round, w, ledger.clone(), keys.clone()))).collect();
        let delay = rng.random_range(20..400);
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        // SIGKILL while the writers are mid-request.
        let pid = mock.child.id().expect("running");
        let killed = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
        assert!(killed.success());
        for w in writers {
            w.await.unwrap();
        }
        let mock = Arc::into_inner(mock).expect("the writers are done");
        logs = mock.kill().await;
        assert!(!logs.contains("ERROR"), "{logs}");
    }
    let mock = Mock::start(&state, &vars).await;
    let known = keys.lock().unwrap().clone();
    check_everything_acknowledged(&mock, &ledger, &known, &logs).await;
    let n = ledger.lock().unwrap().len();
    mock.kill().await;
    let wal = std::fs::metadata(dir.join("state.db-wal")).map_or(0, |m| m.len());
    println!(
        "kill -9: seed {SEED}, {ROUNDS} rounds, {n} acknowledged tickets and {} keys all present, WAL {wal} bytes",
        known.len()
    );
    assert!(n >= ROUNDS, "the writers got writes acknowledged ({n})");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_torn_last_wal_frame_loses_only_that_unfinished_commit_and_later_writes_follow_intact_ones() {
    let dir = scratch("torn");
    let state = dir.join("state.db");
    let wal = dir.join("state.db-wal");
    let mock = Mock::start(&state, &[]).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = json!({"summary": format!("kept {i}"), "company": {"identifier": "AcmeCorp"}});
        ids.push(mock.admin_json(Method::POST, "/service/tickets", body, 201).await["id"].as_u64().unwrap());
    }
    let good = std::fs::metadata(&wal).unwrap().len();
    let body = json!({"summary": "torn", "company": {"identifier": "AcmeCorp"}});
    let torn = mock.admin_json(Method::POST, "/service/tickets", body, 201).await["id"].as_u64().unwrap();
    let full = std::fs::metadata(&wal).unwrap().len();
    mock.kill().await;
    // Cut the last commit's frames in the middle, as a crash during its write would (before
    // its fsync returned, so it was never acknowledged in real life).
    std::fs::OpenOptions::new().write(true).open(&wal).unwrap().set_len(full - (full - good) / 2).unwrap();

    let mock = Mock::start(&state, &[]).await;
    for (i, id) in ids.iter().enumerate() {
        let t = mock.admin_json(Method::GET, &format!("/service/tickets/{id}"), Value::Null, 200).await;
        assert_eq!(t["summary"], format!("kept {i}"));
    }
    mock.admin_json(Method::GET, &format!("/service/tickets/{torn}"), Value::Null, 404).await;
    let body = json!({"summary": "after the cut", "company": {"identifier": "AcmeCorp"}});
    let after = mock.admin_json(Method::POST, "/service/tickets", body, 201).await["id"].as_u64().unwrap();
    mock.kill().await;

    let mock = Mock::start(&state, &[]).await;
    let t = mock.admin_json(Method::GET, &format!("/service/tickets/{after}"), Value::Null, 200).await;
    assert_eq!(t["summary"], "after the cut", "a write after the cut follows intact commits");
    for id in &ids {
        mock.admin_json(Method::GET, &format!("/service/tickets/{id}"), Value::Null, 200).await;
    }
    mock.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}

fn without_generation(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("generation");
    v
}

#[tokio::test]
async fn an_export_imported_after_a_reset_restores_the_whole_state() {
    let app = TestApp::spawn().await;
    app.call(
        &app.admin,
        Method::POST,
        "/service/tickets",
        Some(json!({"summary": "exported", "company": {"identifier": "AcmeCorp"}})),
    )
    .await
    .expect(201);
    let key = app
        .console(
            Method::POST,
            "/companies/cwmock/members/jdoe/keys",
            Some(json!({"description": "x", "action": "save"})),
        )
        .await
        .expect(201);
    let creds = mock_connectwise::Creds {
        public: key.body["publicKey"].as_str().unwrap().to_owned(),
        private: key.body["privateKey"].as_str().unwrap().to_owned(),
        ..app.admin.clone()
    };
    let exported = app.console(Method::GET, "/state", None).await.expect(200).body;
    app.console(Method::POST, "/reset", None).await.expect(200);
    app.call(&creds, Method::GET, "/system/info", None).await.expect(401);
    assert_ne!(
        without_generation(app.console(Method::GET, "/state", None).await.expect(200).body),
        without_generation(exported.clone())
    );

    let imported = app.console(Method::POST, "/state", Some(exported.clone())).await.expect(200);
    assert_eq!(imported.body["companies"], json!(["cwmock"]));
    let again = app.console(Method::GET, "/state", None).await.expect(200).body;
    assert_eq!(without_generation(again), without_generation(exported));
    app.call(&creds, Method::GET, "/system/info", None).await.expect(200);
}

#[tokio::test]
async fn a_link_record_keyed_by_the_linked_record_reopens() {
    // A link takes the linked record's id (A15.4); its sequence must move past it, or the
    // state file is refused on reopen ("id 2 is beyond lastIds").
    let dir = scratch("link-reopen");
    let state = dir.join("state.db");
    let mock = Mock::start(&state, &[]).await;
    let linked = mock.admin_json(Method::POST, "/service/tickets/1/configurations", json!({ "id": 2 }), 201).await;
    assert_eq!(linked["id"], json!(2), "{linked}");
    mock.kill().await;

    let mock = Mock::start(&state, &[]).await;
    let (user, pass) = mock.admin();
    let listed = mock.call(Method::GET, "/service/tickets/1/configurations", &(user, pass)).send().await.unwrap();
    assert_eq!(listed.status(), 200);
    let ids: Vec<Value> = listed.json::<Vec<Value>>().await.unwrap().iter().map(|c| c["id"].clone()).collect();
    assert!(ids.contains(&json!(2)), "the link survives the restart: {ids:?}");
    mock.kill().await;
}
