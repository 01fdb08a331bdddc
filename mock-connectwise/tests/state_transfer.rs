//! Export and import at size (`/__mock/state`): the mock's own export of 10,000 members
//! (about 16 MB, past the console's 2 MiB body cap) imports back whole, and concurrent
//! exports are streamed one at a time instead of each being built in memory. The million-member
//! round trip runs through the release binary: `tests/state_roundtrip_1m.sh`. A malformed
//! import, an id sequence past int32 included, is a 400 and changes nothing.

// Test code: a panic is a failed assertion.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::process::Stdio;

use mock_connectwise::{FixtureSet, TestApp, TestOptions};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// About 16 MB of export: eight times the console's old 2 MiB cap, small enough for a debug build.
const MEMBERS: usize = 10_000;

fn without_generation(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("generation");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_of_ten_thousand_members_imports_back_whole() {
    let app = TestApp::spawn_with(TestOptions {
        fixtures: FixtureSet::builtin().with_bulk_members(MEMBERS, 3),
        ..TestOptions::default()
    })
    .await;
    let url = format!("{}/__mock/state", app.url);
    let exported = app.client().get(&url).send().await.unwrap().bytes().await.unwrap();
    assert!(exported.len() > 2 << 20, "the export ({} bytes) is past the console's 2 MiB cap", exported.len());
    app.console(Method::POST, "/reset", None).await.expect(200);
    let res =
        app.client().post(&url).header("content-type", "application/json").body(exported.clone()).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let again = app.client().get(&url).send().await.unwrap().bytes().await.unwrap();
    let (a, b): (Value, Value) = (serde_json::from_slice(&exported).unwrap(), serde_json::from_slice(&again).unwrap());
    let members = a["tenants"][0]["collections"]["/system/members"].as_array().map_or(0, Vec::len);
    assert!(members >= MEMBERS, "{members} members exported");
    assert!(without_generation(a) == without_generation(b), "the import is the export");
    println!("{} byte export of {members} members: exported, imported and exported again equal", exported.len());
}

#[tokio::test]
async fn an_import_whose_body_stalls_gets_408_and_changes_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let api = mock_connectwise::ApiConfig { body_timeout: std::time::Duration::from_millis(300), ..Default::default() };
    let app = TestApp::spawn_with(TestOptions { api, ..TestOptions::default() }).await;
    let digest = app.store.data_digest();
    let mut socket = tokio::net::TcpStream::connect(app.url.trim_start_matches("http://")).await.unwrap();
    let head =
        "POST /__mock/state HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
    socket.write_all(format!("{head}{{\"format\": ").as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // Until the answer's body (a ConnectWise error) is in, whether or not the server closes.
    while !String::from_utf8_lossy(&answer).contains("}") {
        match tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("RequestTimeout"), "{answer}");
    assert_eq!(app.store.data_digest(), digest);
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn four_concurrent_exports_do_not_each_hold_the_whole_document_in_memory() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-connectwise"))
        .args(["--listen", "127.0.0.1:0", "--no-ui", "--members", &MEMBERS.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut env = HashMap::new();
    while env.len() < 5 {
        let line = lines.next_line().await.unwrap().expect("the mock starts");
        if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_owned(), v.to_owned());
        }
    }
    let pid = child.id().unwrap();
    let url = format!("{}/__mock/state", env["CW_URL"]);
    let http = reqwest::Client::new();
    // Peak RSS from here on (writing 5 to clear_refs resets VmHWM).
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let base = status_kib(pid, "VmRSS:");
    let exports: Vec<_> = (0..4)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move { http.get(&url).send().await.unwrap().bytes().await.unwrap().len() as u64 })
        })
        .collect();
    let mut sizes = Vec::new();
    for e in exports {
        sizes.push(e.await.unwrap());
    }
    let size = sizes[0];
    assert!(size > 2 << 20 && sizes.iter().all(|&s| s == size), "every export is whole: {sizes:?}");
    let grew = (status_kib(pid, "VmHWM:").saturating_sub(base)) << 10;
    println!("4 concurrent exports of {size} bytes: peak RSS grew {grew} bytes");
    assert!(grew < size, "the exports were held in memory: peak RSS grew {grew} bytes for a {size} byte export");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_malformed_import_is_a_400_with_a_connectwise_body_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let good = app.console(Method::GET, "/state", None).await.expect(200).body;
    let digest = app.store.data_digest();
    let tenant = |f: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        f(&mut doc["tenants"][0]);
        doc
    };
    let cases: Vec<(&str, Value)> = vec![
        ("expected a mock-connectwise state document", json!([1, 2, 3])),
        ("format 'other/1' is not", json!({"format": "other/1", "tenants": []})),
        ("the state has no tenant", json!({"format": "mock-connectwise-state/1", "tenants": []})),
        ("unknown field `surprise`", tenant(&|t| t["surprise"] = json!(1))),
        (
            "maximum length of 15",
            tenant(&|t| {
                t["collections"]["/system/members"][0]["doc"]["identifier"] = json!("far-too-long-an-identifier")
            }),
        ),
        (
            "is already in use",
            tenant(&|t| {
                let first = t["collections"]["/system/members"][0].clone();
                let mut copy = first;
                copy["id"] = json!(999);
                t["collections"]["/system/members"].as_array_mut().unwrap().push(copy);
            }),
        ),
        (
            "secret is not sha256$SALT$DIGEST",
            tenant(&|t| t["collections"]["/system/integratorlogins"][0]["secret"] = json!("hunter2")),
        ),
        ("belongs to member 4242, which does not exist", tenant(&|t| t["apiKeys"][0]["memberId"] = json!(4242))),
        ("is beyond lastIds", tenant(&|t| t["lastIds"]["/system/members"] = json!(1))),
        // Past int32 the next create would give an id no client reads, at u32::MAX one that
        // wraps to 0 and 1 and overwrites ticket 1.
        (
            "lastIds /service/tickets is 4294967295, beyond the largest id ConnectWise gives (2147483647)",
            tenant(&|t| t["lastIds"]["/service/tickets"] = json!(4_294_967_295u32)),
        ),
        (
            "lastIds /service/tickets is 2147483648",
            tenant(&|t| t["lastIds"]["/service/tickets"] = json!(2_147_483_648u32)),
        ),
        ("lastKeyId is 4294967295", tenant(&|t| t["lastKeyId"] = json!(4_294_967_295u32))),
        ("only security roles have levels", tenant(&|t| t["collections"]["/service/tickets"][0]["levels"] = json!({}))),
    ];
    for (what, doc) in cases {
        let res = app.console(Method::POST, "/state", Some(doc)).await.expect(400);
        assert!(res.message().contains(what), "{what}: {}", res.message());
        assert_eq!(app.store.data_digest(), digest, "{what} changed the state");
    }
    let res = app
        .send(
            app.client()
                .post(format!("{}/__mock/state", app.url))
                .header("content-type", "text/plain")
                .body(good.to_string()),
        )
        .await;
    // The console's cross-site guard refuses a non-JSON write before the import sees it.
    assert_eq!(res.status, 403);
    let broken = app
        .send(
            app.client()
                .post(format!("{}/__mock/state", app.url))
                .header("content-type", "application/json")
                .body("{\"format\": "),
        )
        .await;
    assert_eq!(broken.status, 400);
    assert_eq!(app.store.data_digest(), digest);
}
