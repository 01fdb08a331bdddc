//! The state file (`--state-file`) against what broke the old log and snapshot, through the
//! real binary: a second process on the same file is refused; a WAL damaged in the middle is
//! refused at start rather than cut short; a full disk refuses writes, resets and fixture
//! loads with a ConnectWise error body, changes nothing, leaves no file behind, and the mock
//! serves on and writes again once there is room.

// Test code: a panic is a failed assertion.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cw-state-file-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command(state: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mock-connectwise"));
    c.args(["--listen", "127.0.0.1:0", "--no-ui", "--state-file"]).arg(state).env("RUST_LOG", "warn");
    c
}

/// The mock binary, running.
struct Mock {
    child: Child,
    url: String,
    env: HashMap<String, String>,
    http: reqwest::Client,
}

impl Mock {
    async fn start(state: &Path) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut child = command(state).stdout(Stdio::piped()).stderr(Stdio::null()).kill_on_drop(true).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut env = HashMap::new();
        while env.len() < 5 {
            let line = lines.next_line().await.unwrap().expect("the mock starts");
            if let Some((k, v)) = line.split_once('=') {
                env.insert(k.to_owned(), v.to_owned());
            }
        }
        Self { child, url: env["CW_URL"].clone(), env, http: reqwest::Client::new() }
    }

    async fn ticket(&self, summary: &str) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/v4_6_release/apis/3.0/service/tickets", self.url))
            .basic_auth(format!("cwmock+{}", self.env["CW_PUBLIC_KEY"]), Some(&self.env["CW_PRIVATE_KEY"]))
            .header("clientId", &self.env["CW_CLIENT_ID"])
            .json(&json!({"summary": summary, "company": {"identifier": "AcmeCorp"}}))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    async fn console(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}/__mock{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
    }

    async fn export(&self) -> Value {
        let (status, mut v) = self.console(Method::GET, "/state", None).await;
        assert_eq!(status, 200);
        v.as_object_mut().unwrap().remove("generation");
        v
    }

    async fn kill(mut self) {
        self.child.kill().await.unwrap();
    }
}

/// Runs the binary on `state` expecting it to refuse to start; its stderr.
async fn refused(state: &Path) -> String {
    let mut child = command(state).stdout(Stdio::null()).stderr(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).await.unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success(), "the mock started: {err}");
    err
}

#[tokio::test]
async fn a_second_process_on_the_same_state_file_is_refused_and_the_first_keeps_every_write() {
    let dir = scratch("second");
    let state = dir.join("state.db");
    let first = Mock::start(&state).await;
    let err = refused(&state).await;
    assert!(err.contains("is in use by another process") && err.contains("state.db"), "{err}");
    let (status, t) = first.ticket("only the first writes").await;
    assert_eq!(status, 201);
    first.kill().await;
    let again = Mock::start(&state).await;
    let ids = again.export().await["tenants"][0]["collections"]["/service/tickets"].clone();
    assert!(ids.as_array().unwrap().iter().any(|r| r["id"] == t["id"]), "the acknowledged ticket is there");
    again.kill().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_bit_flipped_in_the_middle_of_the_wal_stops_the_start_instead_of_dropping_later_commits() {
    let dir = scratch("walflip");
    let state = dir.join("state.db");
    let wal = dir.join("state.db-wal");
    let mock = Mock::start(&state).await;
    for i in 0..20 {
        assert_eq!(mock.ticket(&format!("acknowledged {i}")).await.0, 201);
    }
    mock.kill().await;
    let mut bytes = std::fs::read(&wal).unwrap();
    let page = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    let frames = (bytes.len() - 32) / (24 + page);
    bytes[32 + (frames / 2) * (24 + page) + 24 + 100] ^= 0x04;
    std::fs::write(&wal, &bytes).unwrap();
    let err = refused(&state).await;
    assert!(err.contains("state.db is damaged") && err.contains("would be lost"), "{err}");
    assert!(err.contains("move both files aside"), "the message says what to do: {err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small tmpfs at a fresh directory, unmounted when dropped; `None` where mounting is not
/// allowed (not root, or no CAP_SYS_ADMIN).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, bytes: u64) -> Option<Self> {
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the file system holding `dir` until a write fails for want of space (again, if
/// SQLite has given some back meanwhile).
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).unwrap();
    let block = vec![0x5a; 64 << 10];
    loop {
        if let Err(e) = f.write_all(&block).and_then(|()| f.sync_all()) {
            assert_eq!(e.raw_os_error(), Some(28), "ENOSPC, not {e}");
            break;
        }
    }
    // The last partial block may have fitted byte by byte: fill to the last byte.
    while f.write_all(&[0]).and_then(|()| f.sync_all()).is_ok() {}
    path
}

#[tokio::test]
async fn on_a_full_disk_writes_resets_and_fixture_loads_are_refused_changing_nothing_and_the_mock_serves_on() {
    let dir = scratch("full");
    let Some(tmpfs) = Tmpfs::mount(&dir, 8 << 20) else {
        panic!("this test needs a tmpfs (run as root): mount -t tmpfs failed at {}", dir.display());
    };
    let state = dir.join("state.db");
    let mock = Mock::start(&state).await;
    assert_eq!(mock.ticket("before the disk filled").await.0, 201);
    let before = mock.export().await;
    let filler = fill(&dir);

    let mut refusals = 0;
    for i in 0..50 {
        let (status, body) = mock.ticket(&format!("on a full disk {i} {}", "f".repeat(60))).await;
        if status == 201 {
            continue; // it fitted in a page already allocated; the disk is full all the same
        }
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["code"], "ConnectWiseApi");
        assert!(!body.to_string().contains("state.db") && !body.to_string().contains("SQLite"), "{body}");
        refusals += 1;
    }
    assert!(refusals > 0, "writes on a full disk are refused");
    let during = mock.export().await;
    fill(&dir);
    let (status, body) = mock.console(Method::POST, "/reset", None).await;
    assert_eq!(status, 503, "a reset on a full disk: {body}");
    assert_eq!(body["code"], "ConnectWiseApi");
    fill(&dir);
    let fixtures: Value = serde_json::from_str(include_str!("../../fixtures/default/cwmock.json")).unwrap();
    let (status, body) = mock.console(Method::POST, "/fixtures", Some(fixtures)).await;
    assert_eq!(status, 503, "a fixture load on a full disk: {body}");
    assert_eq!(mock.export().await, during, "the refused reset and fixture load changed nothing");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["filler", "state.db", "state.db-wal"], "no temporary file is left behind");

    std::fs::remove_file(&filler).unwrap();
    let (status, after) = mock.ticket("once there is room").await;
    assert_eq!(status, 201, "the mock serves on and writes again: {after}");
    let acknowledged = mock.export().await;
    mock.kill().await;
    let again = Mock::start(&state).await;
    assert_eq!(again.export().await, acknowledged, "every acknowledged write, and only those, is back");
    assert_ne!(acknowledged, before);
    again.kill().await;
    drop(tmpfs);
    let _ = std::fs::remove_dir_all(&dir);
}
