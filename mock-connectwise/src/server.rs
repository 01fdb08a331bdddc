//! Serving: a bound listener, a store and a shutdown future in; a running mock out.
//!
//! The accept loop is the mock's own rather than `axum::serve` for what a test double needs:
//! a deadline for slow clients to send their headers, a cap on header size, a cap on
//! connections, a deadline for clients that stop reading their answers ([`bounded`]), a 413
//! before any `100 Continue` for a body declared too large, and a way for a `drop` fault to
//! close one connection without an answer. A write refused before its body is read (401, 403)
//! has that body drained after the answer is made, within the body limit and timeout, so a
//! keep-alive client's next call on the connection works; a body that cannot be drained gets
//! `Connection: close` on the answer instead of a silent close.

mod bounded;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};

use crate::api::error::ApiError;
use crate::app::App;
use crate::state::{ApiConfig, Hangup};
use crate::store::Store;
use bounded::{Leftover, WriteTimeout, drain};

/// The read buffer, and so the largest request head, per connection; larger heads get 431.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The longest a refused write's unread body is waited for before the answer says
/// `Connection: close` instead (A27.54).
const LEFTOVER_WAIT: Duration = Duration::from_secs(2);
/// How long in-flight calls may take to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves the mock on `listener` until `shutdown` completes, then finishes in-flight requests.
///
/// The listener is bound by the caller (tests bind `127.0.0.1:0`), so the address is known
/// before the first request and nothing has to wait for readiness.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    config: ApiConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = Limits {
        header_timeout: config.header_timeout,
        body_timeout: config.body_timeout,
        write_timeout: config.write_timeout,
        max_body_bytes: config.max_body_bytes,
    };
    let slots = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let tls = config.tls.as_ref().map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
    let app = App::new(store, config);
    if let Ok(addr) = listener.local_addr() {
        app.listening_on(addr);
    }
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refuse(stream, tls.is_none());
            continue;
        };
        let _ = stream.set_nodelay(true);
        let stream = WriteTimeout::new(stream, limits.write_timeout);
        let app = app.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // Held until the connection ends: it frees the slot.
            let _slot = slot;
            match tls {
                None => serve_connection(stream, app, limits, false, watcher).await,
                Some(acceptor) => {
                    // The handshake is bounded like the headers: a silent client is dropped.
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => serve_connection(tls_stream, app, limits, true, watcher).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("calls still in flight after {DRAIN:?}; stopping anyway");
    }
    Ok(())
}

/// The per-connection limits.
#[derive(Clone, Copy, Debug)]
struct Limits {
    header_timeout: Duration,
    body_timeout: Duration,
    write_timeout: Duration,
    max_body_bytes: usize,
}

/// Answers a connection over the cap with 503 (plain http; a TLS client just sees the
/// close) and closes it, without waiting for anything: one non-blocking write to a fresh
/// socket, whose send buffer is empty.
fn refuse(stream: TcpStream, plain: bool) {
    tracing::warn!("connection refused: the connection cap is reached");
    if plain {
        let body = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ConnectWiseApi",
            "The server has too many open connections; retry shortly.",
        )
        .body();
        let head = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.try_write(&[head.as_bytes(), &body].concat());
    }
}

/// The body limit of a path: the console's for `/__mock`, the API's for the rest.
fn body_limit(path: &str, limits: Limits) -> usize {
    if path.starts_with("/__mock") { crate::console::guard::body_limit(path) } else { limits.max_body_bytes }
}

/// 413 for a request that asks `Expect: 100-continue` for a body larger than the limit:
/// answered before the body is read, so hyper never sends `100 Continue`.
fn early_refusal(headers: &HeaderMap, limit: usize) -> Option<axum::response::Response> {
    let expects = headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
    let declared = headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse::<u64>().ok()?;
    (expects && declared > limit as u64).then(|| {
        let mut res = ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestTooLarge",
            format!("The request body is larger than {limit} bytes."),
        )
        .into_response();
        res.headers_mut().insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
        res
    })
}

/// Serves one connection (plain or TLS) until it ends, shutdown drains it, or a `drop`
/// fault hangs up on it.
async fn serve_connection<IO>(
    io: IO,
    app: App,
    limits: Limits,
    https: bool,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let hangup = Arc::new(Notify::new());
    let service = {
        let hangup = Hangup(hangup.clone());
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            let limit = body_limit(req.uri().path(), limits);
            let early = early_refusal(req.headers(), limit);
            req.extensions_mut().insert(hangup.clone());
            if https && !req.headers().contains_key("x-forwarded-proto") {
                // Links in answers (`Link`, `*_href`) use the scheme the client used.
                req.headers_mut().insert("x-forwarded-proto", axum::http::HeaderValue::from_static("https"));
            }
            let app = app.clone();
            async move {
                if let Some(res) = early {
                    return Ok(res);
                }
                if http_body::Body::is_end_stream(req.body()) {
                    // No body (most calls): nothing can be left unread.
                    return Ok(app.serve(req.map(axum::body::Body::new)).await);
                }
                let left = Arc::new(std::sync::Mutex::new(None));
                let req = req.map(|b| axum::body::Body::new(Leftover::new(b, left.clone())));
                let mut res = app.serve(req).await;
                let unread = left.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
                if let Some(body) = unread {
                    // Not the whole body timeout: a refusal is not held back long for a
                    // client that sends no more; it is told to close instead.
                    if !drain(body, limit, limits.body_timeout.min(LEFTOVER_WAIT)).await {
                        res.headers_mut().insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
                    }
                }
                Ok::<_, std::convert::Infallible>(res)
            }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(io), service);
    let conn = watcher.watch(conn);
    tokio::select! {
        ended = conn => if let Err(e) = ended {
            tracing::debug!(error = %e, "connection ended with an error");
        },
        () = hangup.notified() => tracing::debug!("connection dropped by an injected fault"),
    }
}
