//! A write refused before its body is read keeps the connection usable (issue #27, defect
//! 10): a keep-alive client sends a POST that is answered 401 or 403, then its next request
//! on the same connection is answered too. A body that cannot be drained is answered with
//! `Connection: close`, never with a silent close.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

use std::time::Duration;

use cw_model::RoleLevels;
use mock_connectwise::{Creds, TestApp};
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request as bytes: the headers `app.request` would send (auth, clientId), then a
/// `Content-Length` body.
fn raw(app: &TestApp, creds: &Creds, method: Method, path: &str, body: &[u8], declared: usize) -> Vec<u8> {
    let req = app.request(creds, method, path).build().unwrap();
    let mut head = format!("{} {} HTTP/1.1\r\nhost: {}\r\n", req.method(), req.url().path(), req.url().authority());
    for (k, v) in req.headers() {
        head.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap()));
    }
    head.push_str(&format!("content-type: application/json\r\ncontent-length: {declared}\r\n\r\n"));
    [head.as_bytes(), body].concat()
}

/// Reads one answer: its status, its lower-cased head, and its body (by `Content-Length`).
async fn answer(conn: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), conn.read(&mut byte)).await.unwrap().unwrap();
        assert_eq!(n, 1, "the connection closed before an answer: {}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap().to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).map_or(0, |v| v.trim().parse().unwrap());
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await.unwrap();
    (status, head, body)
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.url.trim_start_matches("http://")).await.unwrap()
}

#[tokio::test]
async fn a_keep_alive_clients_next_call_works_after_a_write_refused_401_or_403() {
    let app = TestApp::spawn().await;
    let wrong = Creds { private: "NotTheKey0000000".into(), ..app.admin.clone() };
    let nobody = app.member_with_levels("NoRights", &RoleLevels::none()).await;
    // Larger than what the server reads with the head, as a client's body often is: the
    // refusal comes while part of it is still unread.
    let body = serde_json::json!({ "name": "Refused Co", "identifier": "RefusedCo", "notes": "n".repeat(256 * 1024) });
    let body = body.to_string().into_bytes();

    for (who, status) in [(&wrong, 401), (&nobody, 403)] {
        let mut conn = connect(&app).await;
        conn.write_all(&raw(&app, who, Method::POST, "/company/companies", &body, body.len())).await.unwrap();
        let (refused, head, _) = answer(&mut conn).await;
        conn.write_all(&raw(&app, &app.admin, Method::GET, "/system/info", b"", 0)).await.unwrap();
        let (next, _, info) = answer(&mut conn).await;

        assert_eq!(refused, status, "{head}");
        assert!(!head.contains("connection: close"), "{head}");
        assert_eq!(next, 200, "the next call on the same connection: {}", String::from_utf8_lossy(&info));
    }
}

#[tokio::test]
async fn a_refused_write_whose_body_does_not_come_is_told_to_close() {
    let app = TestApp::spawn().await;
    let wrong = Creds { private: "NotTheKey0000000".into(), ..app.admin.clone() };
    let mut conn = connect(&app).await;

    // 100 bytes declared, 10 sent, and the client waits.
    conn.write_all(&raw(&app, &wrong, Method::POST, "/company/companies", b"{\"name\":1,", 100)).await.unwrap();
    let (status, head, _) = answer(&mut conn).await;

    assert_eq!(status, 401, "{head}");
    assert!(head.contains("connection: close"), "{head}");
}
