//! Serving: a bound listener, a store and a shutdown future in; a running mock out.

use std::future::Future;
use std::io;

use tokio::net::TcpListener;

use crate::api::{ApiConfig, router};
use crate::store::Store;

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
    axum::serve(listener, router(store, config)).with_graceful_shutdown(shutdown).await
}
