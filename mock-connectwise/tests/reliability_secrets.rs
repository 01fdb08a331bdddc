//! Reliability: the binary never writes a secret to its logs, even at trace level, whatever
//! the caller sends; and it shuts down cleanly on SIGTERM.

use std::process::Stdio;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn no_secret_reaches_the_logs_at_trace_level() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-connectwise"))
        .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut env = std::collections::HashMap::new();
    while let Some(line) = lines.next_line().await.expect("stdout") {
        if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_owned(), v.to_owned());
        }
        if env.len() == 5 {
            break;
        }
    }
    let url = env["CW_URL"].clone();
    let api = format!("{url}/v4_6_release/apis/3.0");
    let http = reqwest::Client::new();
    let admin_user = format!("{}+{}", env["CW_COMPANY"], env["CW_PUBLIC_KEY"]);
    let call = |method: Method, path: &str, user: &str, pass: &str| {
        http.request(method, format!("{api}{path}"))
            .basic_auth(user, Some(pass))
            .header("clientId", &env["CW_CLIENT_ID"])
    };

    // Secrets in every place a caller can put them.
    let mut secrets =
        vec![env["CW_PRIVATE_KEY"].clone(), "WrongPrivateKey9".to_owned(), "Login-Secret-Passw0rd".to_owned()];
    call(Method::GET, "/system/info", &admin_user, "WrongPrivateKey9").send().await.unwrap();
    call(Method::POST, "/system/integratorlogins", &admin_user, &env["CW_PRIVATE_KEY"])
        .json(&json!({ "username": "LogProbe", "password": "Login-Secret-Passw0rd" }))
        .send()
        .await
        .unwrap();
    call(Method::GET, "/system/info", "cwmock+LogProbe", "Login-Secret-Passw0rd")
        .header("x-cw-usertype", "integrator")
        .send()
        .await
        .unwrap();
    let key: serde_json::Value = http
        .post(format!("{url}/__mock/companies/cwmock/members/MockAdmin/keys"))
        .json(&json!({ "description": "log probe", "action": "save" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    secrets.push(key["privateKey"].as_str().unwrap().to_owned());
    let token: serde_json::Value =
        call(Method::POST, "/system/members/jdoe/tokens", &admin_user, &env["CW_PRIVATE_KEY"])
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    secrets.push(token["privateKey"].as_str().unwrap().to_owned());
    call(Method::POST, "/system/members", &admin_user, &env["CW_PRIVATE_KEY"])
        .json(&json!({ "identifier": "logm", "password": "Member-Secret-Pw1" }))
        .send()
        .await
        .unwrap();
    secrets.push("Member-Secret-Pw1".to_owned());

    let pid = child.id().expect("a pid").to_string();
    let term = Command::new("kill").args(["-TERM", &pid]).status().await.expect("kill runs");
    let status = child.wait().await.expect("the binary exits");
    let mut logs = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut logs).await.unwrap();

    assert!(term.success());
    assert!(status.success(), "a clean exit on SIGTERM: {status:?}\n{logs}");
    assert!(logs.lines().count() > 5, "trace logs were written: {logs}");
    assert!(logs.contains("mock-connectwise stopped"), "{logs}");
    for s in &secrets {
        assert!(!logs.contains(s.as_str()), "a secret reached the logs: {s}");
    }
    println!("reliability_secrets: {} secrets, {} log lines scanned, none found", secrets.len(), logs.lines().count());
}
