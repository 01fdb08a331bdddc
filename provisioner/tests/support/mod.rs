//! Test helpers shared by the provisioner's test files: connections to a `TestApp`, scratch
//! key files, and hand-written hostile HTTP servers on `127.0.0.1:0` (a server that answers
//! whatever a test says, a proxy that rewrites the mock's answers, and a listener that only
//! records who connects).
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mock_connectwise::TestApp;
use provisioner::{Client, Connection, Limits, RetryPolicy};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const FAST: RetryPolicy =
    RetryPolicy { retries: 5, backoff: Duration::from_millis(10), max_wait: Duration::from_secs(2) };

pub fn admin(app: &TestApp) -> Connection {
    Connection {
        url: app.url.clone(),
        company: app.admin.company.clone(),
        public_key: app.admin.public.clone(),
        private_key: SecretString::from(app.admin.private.clone()),
        client_id: app.admin.client_id.clone(),
    }
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("provisioner-tests-{}/{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

pub async fn connect(conn: &Connection) -> Client {
    Client::connect(conn, FAST, Duration::from_secs(10)).await.expect("connects")
}

/// A connection to `url` with made-up keys.
pub fn conn_to(url: &str) -> Connection {
    Connection {
        url: url.to_owned(),
        company: "cwmock".into(),
        public_key: "AdminPublicKey01".into(),
        private_key: SecretString::from("AdminPrivateKey1".to_owned()),
        client_id: "test-client".into(),
    }
}

/// One request as a hostile server saw it.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What a hostile server answers.
pub enum Reply {
    /// A complete answer.
    Full { status: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// These bytes, then the connection is held open and silent.
    Stall(Vec<u8>),
    /// A `200` head without a length, then body bytes forever.
    Endless,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Self::Full { status, headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Self::Full { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Handler = Arc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// A hostile server: every request is recorded, then answered by the handler.
pub struct Hostile {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Request>>>,
}

impl Hostile {
    pub fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

/// The answer every hostile server gives to discovery (`companyinfo`, `/__mock/`).
pub fn discovery(req: &Request) -> Option<Reply> {
    if req.target.starts_with("/login/companyinfo/") {
        return Some(Reply::json(200, r#"{"Codebase":"v4_6_release/","CompanyName":"Hostile"}"#));
    }
    if req.target.starts_with("/__mock") {
        return Some(Reply::json(404, r#"{"code":"NotFound","message":"no console"}"#));
    }
    None
}

pub async fn serve<F, Fut>(handler: F) -> Hostile
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let handler: Handler = Arc::new(move |r| Box::pin(handler(r)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (handler, log) = (handler.clone(), log.clone());
            tokio::spawn(async move { answer(stream, handler, log).await });
        }
    });
    Hostile { url, seen }
}

async fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 1 << 20 {
            return None;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request { method, target, headers, body })
}

async fn answer(mut stream: TcpStream, handler: Handler, log: Arc<Mutex<Vec<Request>>>) {
    let Some(req) = read_request(&mut stream).await else { return };
    log.lock().unwrap().push(req.clone());
    match handler(req).await {
        Reply::Full { status, headers, body } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
            let _ = stream.shutdown().await;
        }
        Reply::Stall(bytes) => {
            let _ = stream.write_all(&bytes).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Reply::Endless => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[";
            let _ = stream.write_all(head.as_bytes()).await;
            let chunk = vec![b' '; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {}
        }
    }
}

/// A listener that accepts connections, reads what is sent, and answers nothing: it counts
/// connections and keeps the bytes (to look for credentials).
pub struct Collector {
    pub url: String,
    pub connections: Arc<AtomicUsize>,
    pub received: Arc<Mutex<Vec<u8>>>,
}

impl Collector {
    pub fn count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

pub async fn collector() -> Collector {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    let (count, bytes) = (connections.clone(), received.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let bytes = bytes.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    bytes.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    Collector { url, connections, received }
}

/// A proxy in front of `target` that passes every request on and lets `rewrite` change the
/// JSON answer of a request (method, target, body).
pub async fn proxy(
    target: String,
    rewrite: impl Fn(&str, &str, &mut serde_json::Value) + Send + Sync + 'static,
) -> Hostile {
    proxy_with(target, false, rewrite).await
}

/// [`proxy`], and with `hide_console` the mock's console answers 404, so the provisioner
/// takes the server for a real ConnectWise.
pub async fn proxy_with(
    target: String,
    hide_console: bool,
    rewrite: impl Fn(&str, &str, &mut serde_json::Value) + Send + Sync + 'static,
) -> Hostile {
    let rewrite = Arc::new(rewrite);
    let http = reqwest::Client::new();
    let front = Arc::new(Mutex::new(String::new()));
    let front_in = front.clone();
    let hostile = serve(move |req: Request| {
        let (http, target, rewrite, front) = (http.clone(), target.clone(), rewrite.clone(), front_in.clone());
        async move {
            if hide_console && req.target.starts_with("/__mock") {
                return Reply::json(404, r#"{"code":"NotFound","message":"Cannot route."}"#);
            }
            let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
            let mut out = http.request(method, format!("{target}{}", req.target)).body(req.body.clone());
            for (k, v) in &req.headers {
                if !["host", "content-length", "connection"].contains(&k.to_ascii_lowercase().as_str()) {
                    out = out.header(k, v);
                }
            }
            let res = out.send().await.unwrap();
            let status = res.status().as_u16();
            let front = front.lock().unwrap().clone();
            let headers: Vec<(String, String)> = res
                .headers()
                .iter()
                .filter(|(k, _)| ["link", "retry-after"].contains(&k.as_str()))
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").replace(&target, &front)))
                .collect();
            let bytes = res.bytes().await.unwrap();
            let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(mut v) => {
                    rewrite(&req.method, &req.target, &mut v);
                    v.to_string().into_bytes()
                }
                Err(_) => bytes.to_vec(),
            };
            Reply::Full { status, headers, body }
        }
    })
    .await;
    *front.lock().unwrap() = hostile.url.clone();
    hostile
}

/// The limits tests use: short, so a hostile server is found out quickly.
pub fn quick_limits() -> Limits {
    Limits { timeout: Duration::from_secs(1), command_timeout: Some(Duration::from_secs(20)), ..Limits::default() }
}
