//! `GET /__mock/state` exports and `POST /__mock/state` imports the whole state (every
//! tenant's records, roles and levels, API keys and tokens as hashes, lookups and reports)
//! in the state document form ([`crate::store::persist::form`]). `POST /__mock/populate`
//! adds a generated record to every empty collection ([`crate::store::populate`]).
//!
//! Both stream. An export is written under the read lock to an unlinked temporary file (fast,
//! and a slow client never holds the lock), then sent from it in chunks; one export runs at a
//! time, so neither memory nor disk grows with concurrent exports. An import is parsed as its
//! body arrives, on a blocking thread fed chunk by chunk, and checked whole before anything
//! changes: a malformed document is a 400 with a ConnectWise error body and the state stays as
//! it was; an accepted one replaces all state at once (and, with `--state-file`, is committed
//! before the answer).

use std::io::{Read, Seek, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};

use crate::api::error::ApiError;
use crate::api::json_response;
use crate::state::AppState;
use crate::store::persist;
use crate::store::records::to_bytes;

/// The largest state document `POST /__mock/state` reads: the export of a million generated
/// members is about 1.6 GB (assumption A27.3). Streamed, so this bounds time, not memory.
pub(crate) const MAX_IMPORT_BYTES: usize = 4 << 30;

/// The longest an import's body may take to arrive in all (each chunk has the body timeout).
const MAX_IMPORT_TIME: std::time::Duration = std::time::Duration::from_secs(600);

/// One export at a time (see the module docs).
static EXPORTS: Semaphore = Semaphore::const_new(1);

/// The routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/state", get(export).post(import)).route("/populate", axum::routing::post(populate))
}

/// The index lines for these routes.
pub(crate) const ROUTES: &[&str] = &[
    "GET    /__mock/state                                   export all state (secrets only as hashes)",
    "POST   /__mock/state                                   replace all state with an export (checked whole first)",
    "POST   /__mock/populate                                one generated record in every empty collection (as --populate): {created, collections}",
];

/// Fills every empty collection now (idempotent: a second call creates nothing) and answers
/// what it created; committed to the state file before the answer, no callback fired.
async fn populate(State(app): State<AppState>) -> Result<Response, ApiError> {
    let done = app.store.populate().map_err(|e| ApiError::unsaved(&e))?;
    let failed: Vec<_> = done.failed.iter().map(|(c, why)| json!({ "collection": c, "message": why })).collect();
    let body = json!({ "created": done.created, "collections": done.collections, "failed": failed });
    Ok(json_response(StatusCode::OK, to_bytes(&body)))
}

/// A file in the temporary directory that is already unlinked: nothing is left behind
/// whatever happens to the process.
fn spool() -> std::io::Result<std::fs::File> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("mock-connectwise-export-{}-{n}", std::process::id()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// A response body fed by a channel of chunks.
struct Chunks(mpsc::Receiver<std::io::Result<Bytes>>);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|c| c.map(http_body::Frame::data)))
    }
}

async fn export(State(app): State<AppState>) -> Result<Response, ApiError> {
    let permit = EXPORTS.acquire().await.map_err(|e| ApiError::internal(&e))?;
    let store = app.store.clone();
    let file = tokio::task::spawn_blocking(move || {
        let mut file = spool()?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, &mut file);
        store.export_state(&mut out)?;
        out.flush()?;
        drop(out);
        file.rewind()?;
        Ok::<_, std::io::Error>(file)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))?;
    let (tx, rx) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut file = file;
        loop {
            let mut chunk = vec![0; 256 << 10];
            let sent = match file.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => {
                    chunk.truncate(n);
                    tx.blocking_send(Ok(Bytes::from(chunk)))
                }
                Err(e) => tx.blocking_send(Err(e)),
            };
            if sent.is_err() {
                return; // the client went away
            }
        }
    });
    let mut res = Response::new(Body::new(Chunks(rx)));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    Ok(res)
}

/// The import's side of the body channel, as a `Read` for the JSON parser.
struct Fed {
    rx: mpsc::Receiver<Bytes>,
    chunk: Bytes,
}

impl Read for Fed {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(c) => self.chunk = c,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

async fn import(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "Send the state document as application/json.",
        ));
    }
    let (tx, rx) = mpsc::channel(8);
    let parsed =
        tokio::task::spawn_blocking(move || persist::import(std::io::BufReader::new(Fed { rx, chunk: Bytes::new() })));
    let fed = feed(body, tx, app.config.body_timeout).await;
    let parsed = parsed.await.map_err(|e| ApiError::internal(&e))?;
    // A body that broke off may still parse; only a whole one is imported.
    fed?;
    let state = parsed.map_err(|m| ApiError::bad_request("state", "body", m))?;
    let store = app.store.clone();
    let companies = tokio::task::spawn_blocking(move || {
        store.replace_state(state).map_err(|e| ApiError::unsaved(&e))?;
        Ok::<_, ApiError>(store.companies())
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    app.store.clear_permission_journal();
    app.traffic.reset();
    Ok(json_response(StatusCode::OK, to_bytes(&json!({ "imported": true, "companies": companies }))))
}

/// Sends the body to the parser chunk by chunk, under the size cap and with the body
/// timeout between chunks. Stops early if the parser has stopped (it found an error).
async fn feed(mut body: Body, tx: mpsc::Sender<Bytes>, timeout: std::time::Duration) -> Result<(), ApiError> {
    use http_body::Body as _;
    let mut total = 0usize;
    let deadline = tokio::time::Instant::now() + MAX_IMPORT_TIME;
    loop {
        let next = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx));
        let wait = timeout.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let frame = tokio::time::timeout(wait, next).await.map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!(
                    "The request body stalled for {} seconds, or took longer than {} seconds in all.",
                    timeout.as_secs_f64(),
                    MAX_IMPORT_TIME.as_secs()
                ),
            )
        })?;
        let Some(frame) = frame else { return Ok(()) };
        let frame = frame.map_err(|e| ApiError::bad_request("state", "body", format!("The body broke off: {e}")))?;
        let Ok(data) = frame.into_data() else { continue };
        total += data.len();
        if total > MAX_IMPORT_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLarge",
                format!("The request body is larger than {MAX_IMPORT_BYTES} bytes."),
            ));
        }
        if tx.send(data).await.is_err() {
            return Ok(()); // the parser stopped; its error is the answer
        }
    }
}
