//! A socket whose writes may stall only so long: a client that stops reading its answers
//! (pipelining requests without reading, or just gone) fills its receive buffer and ours,
//! the next write waits, and after the write timeout the connection is closed instead of
//! holding its buffered answers for ever.
//!
//! And a request body the handler left unread ([`Leftover`]), drained ([`drain`]) so a
//! refused write does not cost a keep-alive client its connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// `io` with a deadline on every stretch of time in which no byte can be written.
#[derive(Debug)]
pub(super) struct WriteTimeout<IO> {
    io: IO,
    timeout: Duration,
    /// Started when a write or flush first waits; cleared by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<IO> WriteTimeout<IO> {
    pub(super) fn new(io: IO, timeout: Duration) -> Self {
        Self { io, timeout, stalled: None }
    }

    /// Called when the socket is not writable: an error once it has been so for too long.
    fn waited<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let timeout = self.timeout;
        let sleep = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {timeout:?}; closing"),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<T>(&mut self, ready: io::Result<T>) -> Poll<io::Result<T>> {
        self.stalled = None;
        Poll::Ready(ready)
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for WriteTimeout<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write(cx, buf) {
            Poll::Ready(r) => self.progressed(r),
            Poll::Pending => self.waited(cx),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.io).poll_write_vectored(cx, bufs) {
            Poll::Ready(r) => self.progressed(r),
            Poll::Pending => self.waited(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.io).poll_flush(cx) {
            Poll::Ready(r) => self.progressed(r),
            Poll::Pending => self.waited(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.io).poll_shutdown(cx) {
            Poll::Ready(r) => self.progressed(r),
            Poll::Pending => self.waited(cx),
        }
    }
}

/// A request body that, when the handler drops it unread (a write refused with 401 or 403
/// before its body is read), hands what is left to the connection, so the connection can
/// drain it ([`drain`]) and stay usable for the client's next request on it (issue #27,
/// defect 10).
pub(super) struct Leftover {
    body: Option<hyper::body::Incoming>,
    slot: std::sync::Arc<std::sync::Mutex<Option<hyper::body::Incoming>>>,
}

impl Leftover {
    /// Wraps `body`; what the handler leaves of it lands in `slot`.
    pub(super) fn new(
        body: hyper::body::Incoming,
        slot: std::sync::Arc<std::sync::Mutex<Option<hyper::body::Incoming>>>,
    ) -> Self {
        Self { body: Some(body), slot }
    }
}

impl http_body::Body for Leftover {
    type Data = hyper::body::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        match self.body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.as_ref().is_none_or(http_body::Body::is_end_stream)
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.as_ref().map(http_body::Body::size_hint).unwrap_or_default()
    }
}

impl Drop for Leftover {
    fn drop(&mut self) {
        if let Some(body) = self.body.take().filter(|b| !http_body::Body::is_end_stream(b)) {
            *self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(body);
        }
    }
}

/// Reads and discards what is left of a request body, at most `limit` bytes and for at most
/// `timeout`; `false` when it could not (too long, too slow, broken): the answer then says
/// `Connection: close`, since the connection cannot carry another request.
pub(super) async fn drain(mut body: hyper::body::Incoming, limit: usize, timeout: Duration) -> bool {
    use http_body::Body as _;
    let read = async {
        let mut seen = 0usize;
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            let Ok(frame) = frame else { return false };
            seen = seen.saturating_add(frame.data_ref().map_or(0, hyper::body::Bytes::len));
            if seen > limit {
                return false;
            }
        }
        true
    };
    tokio::time::timeout(timeout, read).await.unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[tokio::test]
    async fn a_writer_whose_reader_never_reads_fails_after_the_timeout() {
        // A 1 KiB pipe: the far end never reads, so writing 1 MiB must stall.
        let (near, _far) = tokio::io::duplex(1024);
        let mut io = WriteTimeout::new(near, Duration::from_millis(100));
        let started = std::time::Instant::now();
        let written = tokio::time::timeout(Duration::from_secs(10), io.write_all(&vec![0u8; 1 << 20])).await;
        let err = written.expect("the write gave up by itself").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(100));
    }

    #[tokio::test]
    async fn a_slow_but_steady_reader_is_never_cut_off() {
        let (near, mut far) = tokio::io::duplex(1024);
        let reader = tokio::spawn(async move {
            let mut sink = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut far, &mut sink).await.map(|_| sink.len())
        });
        let mut io = WriteTimeout::new(near, Duration::from_millis(200));
        io.write_all(&vec![1u8; 256 * 1024]).await.unwrap();
        io.shutdown().await.unwrap();
        drop(io);
        assert_eq!(reader.await.unwrap().unwrap(), 256 * 1024);
    }
}
