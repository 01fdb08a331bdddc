//! Serving: a bound listener, a store and a shutdown future in; a running mock out.
//!
//! The accept loop is the mock's own rather than `axum::serve` for three things a test
//! double needs: a deadline for slow clients to send their headers, a cap on header size,
//! and a way for a `drop` fault to close one connection without an answer.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower::ServiceExt;

use crate::api::{ApiConfig, Hangup, router};
use crate::store::Store;

/// How long a client may take to send its request headers before the connection is closed.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// The read buffer, and so the largest request head, per connection; larger heads get 431.
const MAX_HEAD_BYTES: usize = 64 * 1024;
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
    let header_timeout = config.header_timeout;
    let tls = config.tls.as_ref().map(|t| tokio_rustls::TlsAcceptor::from(t.config.clone()));
    let app = router(store, config);
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
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            match tls {
                None => serve_connection(stream, app, header_timeout, false, watcher).await,
                Some(acceptor) => {
                    // The handshake is bounded like the headers: a silent client is dropped.
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => serve_connection(tls_stream, app, header_timeout, true, watcher).await,
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

/// Serves one connection (plain or TLS) until it ends, shutdown drains it, or a `drop`
/// fault hangs up on it.
async fn serve_connection<IO>(
    io: IO,
    app: axum::Router,
    header_timeout: Duration,
    https: bool,
    watcher: hyper_util::server::graceful::Watcher,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let hangup = Arc::new(Notify::new());
    let service = {
        let hangup = Hangup(hangup.clone());
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(hangup.clone());
            if https && !req.headers().contains_key("x-forwarded-proto") {
                // Links in answers (`Link`, `*_href`) use the scheme the client used.
                req.headers_mut().insert("x-forwarded-proto", axum::http::HeaderValue::from_static("https"));
            }
            app.clone().oneshot(req.map(axum::body::Body::new))
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
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
