//! Issue #27, defects 13 to 18, each as the adversarial pass reproduced it, through the CLI
//! an operator runs: the calling member is never taken over, the integrator password is on
//! disk the moment it exists, every value is checked before the first change, lookups quote
//! by the conditions grammar, unknown integrator flags are refused at FILE:LINE, and a FIFO
//! at the key-file path is refused instead of hanging.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

mod support;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use mock_connectwise::{Creds, TestApp};
use reqwest::Method;
use serde_json::{Value, json};
use support::{Reply, Request, collector, proxy, scratch, serve};

/// The provisioner binary run in `dir` against `url` with the app's admin keys.
async fn cli(dir: &Path, url: &str, app: &TestApp, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_provisioner"));
    cmd.current_dir(dir).env_remove("CW_PROFILE").env("CW_URL", url);
    cmd.args(["--company", &app.admin.company, "--public-key", &app.admin.public]);
    cmd.args(["--private-key", &app.admin.private, "--client-id", &app.admin.client_id, "--retries", "1"]);
    cmd.args(args);
    let run = tokio::time::timeout(Duration::from_secs(60), cmd.kill_on_drop(true).output());
    run.await.expect("the command ends within 60 s").unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", stderr(out), stdout(out)))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn step<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["steps"].as_array().unwrap().iter().find(|s| s["id"] == id).unwrap()
}

/// Integrator logins, roles, API members and keys on the server.
async fn records(app: &TestApp) -> [Value; 4] {
    let count = |path: &'static str| async move { app.get(path).await.expect(200).body["count"].clone() };
    let keys = app.console(Method::GET, "/companies/cwmock/keys", None).await.expect(200);
    [
        count("/system/integratorlogins/count").await,
        count("/system/securityroles/count").await,
        count("/system/apiMembers/count").await,
        Value::from(keys.body.as_array().map_or(0, Vec::len)),
    ]
}

fn dotenv(file: &Path, key: &str) -> Option<String> {
    let pairs = cw_model::connection::read_dotenv(file).ok()?;
    pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Whether `username`/`password` authenticate as an integrator login (403 naming the login
/// past authentication, 401 otherwise).
async fn login_works(app: &TestApp, username: &str, password: &str) -> bool {
    let login = Creds {
        company: app.admin.company.clone(),
        public: username.to_owned(),
        private: password.to_owned(),
        client_id: app.admin.client_id.clone(),
    };
    let req = app.request(&login, Method::GET, "/system/info").header("x-cw-usertype", "integrator");
    app.send(req).await.status == 403
}

#[tokio::test]
async fn defect_13_apply_refuses_to_take_over_the_member_whose_keys_it_runs_with() {
    let app = TestApp::spawn().await;
    let dir = scratch("self-takeover");
    let keys = app.console(Method::GET, "/companies/cwmock/keys", None).await.expect(200);
    let me = keys.body.as_array().unwrap().iter().find(|k| k["publicKey"] == app.admin.public.as_str()).unwrap()
        ["memberIdentifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = records(&app).await;
    let role_before = app.get(&format!("/system/apiMembers?conditions=identifier=%22{me}%22")).await.expect(200);

    let out = cli(&dir, &app.url, &app, &["apply", "--member", &me, "--key-file", "k.env"]).await;

    assert_eq!(out.status.code(), Some(2), "{}\n{}", stderr(&out), stdout(&out));
    assert!(stderr(&out).contains(&format!("refusing to take over API member '{me}'")), "{}", stderr(&out));
    assert_eq!(records(&app).await, before, "nothing changed");
    let role_after = app.get(&format!("/system/apiMembers?conditions=identifier=%22{me}%22")).await.expect(200);
    assert_eq!(role_after.body[0]["securityRole"], role_before.body[0]["securityRole"]);
    app.get("/system/members?pageSize=1").await.expect(200);
    assert!(!dir.join("k.env").exists());

    // A server without the mock's console (a real ConnectWise) is checked the same way.
    let real = support::proxy_with(app.url.clone(), true, |_, _, _| {}).await;
    let out = cli(&dir, &real.url, &app, &["apply", "--member", &me.to_lowercase(), "--key-file", "k.env"]).await;
    assert_eq!(out.status.code(), Some(2), "{}\n{}", stderr(&out), stdout(&out));
    assert!(stderr(&out).contains("refusing to take over API member"), "{}", stderr(&out));
    assert_eq!(records(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn defect_14_the_integrator_password_is_on_disk_before_a_later_step_fails_and_a_lost_one_is_noticed() {
    let app = TestApp::spawn().await;
    let dir = scratch("password-kept");
    // The role's create answers with something that is not a role: apply fails after S0.
    let broken = proxy(app.url.clone(), |method, target, body| {
        if method == "POST" && target.contains("/system/securityroles") {
            *body = json!("not a role");
        }
    })
    .await;

    let failed = cli(&dir, &broken.url, &app, &["apply", "--key-file", "k.env"]).await;

    assert_eq!(failed.status.code(), Some(2), "{}", stderr(&failed));
    let file = dir.join("k.env");
    assert_eq!(dotenv(&file, "CW_INTEGRATOR_USERNAME").as_deref(), Some("IntegrationSync"), "{}", stderr(&failed));
    let password = dotenv(&file, "CW_INTEGRATOR_PASSWORD").expect("the password is in the key file");
    assert!(login_works(&app, "IntegrationSync", &password).await, "the kept password is the login's");

    // The next apply completes the setup and carries the password over.
    let again = cli(&dir, &app.url, &app, &["--json", "apply", "--key-file", "k.env"]).await;
    assert_eq!(again.status.code(), Some(0), "{}\n{}", stderr(&again), stdout(&again));
    assert_eq!(dotenv(&file, "CW_INTEGRATOR_PASSWORD").as_deref(), Some(password.as_str()));
    assert!(dotenv(&file, "CW_PRIVATE_KEY").is_some());

    // A key file without the password: the login is of no use, and plan and apply say so.
    let other = cli(&dir, &app.url, &app, &["--json", "apply", "--key-file", "other.env", "--new-key"]).await;
    let planned = cli(&dir, &app.url, &app, &["--json", "plan", "--key-file", "other.env"]).await;
    for out in [&other, &planned] {
        assert_eq!(out.status.code(), Some(1), "{}\n{}", stderr(out), stdout(out));
        let s0 = step(&report(out), "S0").clone();
        assert_eq!(s0["status"], "failed", "{s0}");
        assert!(s0["detail"].as_str().unwrap().contains("does not keep its password"), "{s0}");
    }
    // `--new-password` repairs it: a new password, in the key file before it is sent.
    let repaired = cli(&dir, &app.url, &app, &["--json", "apply", "--key-file", "other.env", "--new-password"]).await;
    assert_eq!(repaired.status.code(), Some(0), "{}\n{}", stderr(&repaired), stdout(&repaired));
    let new = dotenv(&dir.join("other.env"), "CW_INTEGRATOR_PASSWORD").expect("the new password is kept");
    assert_ne!(new, password);
    assert!(login_works(&app, "IntegrationSync", &new).await && !login_works(&app, "IntegrationSync", &password).await);
    assert!(dotenv(&dir.join("other.env"), "CW_PRIVATE_KEY").is_some(), "the key file keeps its keys");
}

/// A proxy to `target` that never answers the first call `stall` picks, and says when it
/// gets one.
async fn stalling_proxy(target: String, stall: Picks) -> (support::Hostile, std::sync::Arc<tokio::sync::Notify>) {
    let reached = std::sync::Arc::new(tokio::sync::Notify::new());
    let notify = reached.clone();
    let http = reqwest::Client::new();
    let hostile = serve(move |req: Request| {
        let (http, target, notify) = (http.clone(), target.clone(), notify.clone());
        async move {
            if stall(&req) {
                notify.notify_one();
                return Reply::Stall(Vec::new());
            }
            let method = Method::from_bytes(req.method.as_bytes()).unwrap();
            let mut out = http.request(method, format!("{target}{}", req.target)).body(req.body.clone());
            for (k, v) in &req.headers {
                if !["host", "content-length", "connection"].contains(&k.to_ascii_lowercase().as_str()) {
                    out = out.header(k, v);
                }
            }
            let res = out.send().await.unwrap();
            let status = res.status().as_u16();
            Reply::Full { status, headers: Vec::new(), body: res.bytes().await.unwrap().to_vec() }
        }
    })
    .await;
    (hostile, reached)
}

/// Whether a call is the one to stall.
type Picks = fn(&Request) -> bool;

/// The calls `apply` makes after it created the login, each a place to be killed at.
const AFTER_THE_LOGIN: [(&str, Picks); 4] = [
    ("the role's create", |r| r.method == "POST" && r.target.contains("/system/securityroles")),
    ("the role's levels", |r| r.method == "PATCH" && r.target.contains("/levels")),
    ("the member's create", |r| r.method == "POST" && r.target.contains("/system/apiMembers")),
    ("the key's create", |r| r.method == "POST" && r.target.ends_with("/keys")),
];

#[cfg(unix)]
#[tokio::test]
async fn defect_14_a_kill_9_anywhere_after_the_login_is_created_loses_no_password() {
    for (at, stall) in AFTER_THE_LOGIN {
        let app = TestApp::spawn().await;
        let dir = scratch(&format!("kill-9-{}", at.replace(' ', "-").replace('\'', "")));
        let (front, reached) = stalling_proxy(app.url.clone(), stall).await;
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_provisioner"));
        cmd.current_dir(&dir).env_remove("CW_PROFILE").env("CW_URL", &front.url);
        cmd.args(["--company", &app.admin.company, "--public-key", &app.admin.public]);
        cmd.args(["--private-key", &app.admin.private, "--client-id", &app.admin.client_id]);
        let mut child = cmd.args(["apply", "--key-file", "k.env"]).kill_on_drop(true).spawn().unwrap();

        // The login exists and the call hangs: kill -9 there.
        tokio::time::timeout(Duration::from_secs(60), reached.notified()).await.expect("apply reached the call");
        child.start_kill().unwrap();
        assert!(!child.wait().await.unwrap().success());

        let file = dir.join("k.env");
        let password = dotenv(&file, "CW_INTEGRATOR_PASSWORD").unwrap_or_else(|| panic!("{at}: the password is lost"));
        assert!(login_works(&app, "IntegrationSync", &password).await, "{at}");
        // The next apply finishes the setup and keeps the same password.
        let again = cli(&dir, &app.url, &app, &["apply", "--key-file", "k.env"]).await;
        assert_eq!(again.status.code(), Some(0), "{at}: {}\n{}", stderr(&again), stdout(&again));
        assert_eq!(dotenv(&file, "CW_INTEGRATOR_PASSWORD").as_deref(), Some(password.as_str()), "{at}");
        assert!(dotenv(&file, "CW_PRIVATE_KEY").is_some(), "{at}");
    }
}

#[tokio::test]
async fn defect_15_a_value_that_cannot_be_kept_is_refused_before_any_change() {
    let app = TestApp::spawn().await;
    let dir = scratch("validate-first");
    let before = records(&app).await;

    for (args, what) in [
        (vec!["--integrator", "Sync\nCW_URL=http://evil"], "integrator username"),
        (vec!["--integrator", &"u".repeat(51)], "integrator username"),
        (vec!["--member", "Has Space"], "member identifier"),
        (vec!["--role", "Role\t1"], "role"),
    ] {
        let mut all = vec!["apply", "--key-file", "k.env"];
        all.extend(args.iter().copied());
        let out = cli(&dir, &app.url, &app, &all).await;

        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(what) && stderr(&out).contains("cannot be used"), "{args:?}: {}", stderr(&out));
        assert_eq!(records(&app).await, before, "{args:?}: the server changed");
        assert!(!dir.join("k.env").exists(), "{args:?}: a key file was written");
    }
}

#[tokio::test]
async fn defect_16_names_with_backslashes_are_found_again_and_never_match_another() {
    let app = TestApp::spawn().await;
    let dir = scratch("backslash");

    let first = cli(&dir, &app.url, &app, &["--json", "apply", "--role", "Sync\\Role", "--key-file", "k.env"]).await;
    let second = cli(&dir, &app.url, &app, &["--json", "apply", "--role", "Sync\\Role", "--key-file", "k.env"]).await;
    // `Admi\n` is a role of its own, not the seeded Admin.
    let admi = cli(&dir, &app.url, &app, &["--json", "plan", "--role", "Admi\\n", "--key-file", "k.env"]).await;

    assert_eq!(first.status.code(), Some(0), "{}\n{}", stderr(&first), stdout(&first));
    assert_eq!(second.status.code(), Some(0), "{}\n{}", stderr(&second), stdout(&second));
    assert_eq!(report(&second)["changes"], json!([]), "the role was found again");
    let roles = app.get("/system/securityroles?pageSize=1000").await.expect(200);
    let named = roles.body.as_array().unwrap().iter().filter(|r| r["name"] == "Sync\\Role").count();
    assert_eq!(named, 1);
    assert_eq!(step(&report(&admi), "S9")["status"], "todo", "{}", stdout(&admi));
}

#[tokio::test]
async fn defect_17_an_unknown_integrator_flag_is_refused_at_its_line_before_any_call() {
    let listener = collector().await;
    let app = TestApp::spawn().await;
    let dir = scratch("flag");
    let text = "name = \"Flags\"\n[member]\nidentifier = \"FlagSync\"\nname = \"Flag Sync\"\n\
                [integrator_login]\nflags = [\"companyApiFlag\",\n  \"compnyApiFlag\"]\n\
                [[rows]]\nfunction = \"Companies > Company Maintenance\"\ninquire = \"All\"\n";
    std::fs::write(dir.join("flags.toml"), text).unwrap();

    let out = cli(&dir, &listener.url, &app, &["--profile", "flags.toml", "apply"]).await;

    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("flags.toml:7:") && stderr(&out).contains("compnyApiFlag"), "{}", stderr(&out));
    assert_eq!(listener.count(), 0, "a connection was made");
}

#[cfg(unix)]
#[tokio::test]
async fn defect_18_a_fifo_at_the_key_file_path_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let dir = scratch("fifo");
    let made = std::process::Command::new("mkfifo").arg(dir.join("k.env")).status().unwrap();
    assert!(made.success());
    let before = records(&app).await;

    for command in ["plan", "apply"] {
        let started = Instant::now();
        let out = cli(&dir, &app.url, &app, &["--command-timeout", "5", command, "--key-file", "k.env"]).await;

        assert!(started.elapsed() < Duration::from_secs(5), "{command} took {:?}", started.elapsed());
        assert_eq!(out.status.code(), Some(2), "{command}: {}", stderr(&out));
        assert!(stderr(&out).contains("is a FIFO (named pipe), not a regular file"), "{command}: {}", stderr(&out));
    }
    assert_eq!(records(&app).await, before, "nothing changed");
}
