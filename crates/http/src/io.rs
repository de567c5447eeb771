//! The TCP stream as the layer hands it to TLS and hyper: it reports bytes read to the connection's
//! [`Phase`], fails a write that makes no progress for `write_stall`, and closes gently (lingers) when a
//! response was sent before the request body was read.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use crate::phase::{Phase, LINGER};
use crate::stats::Stats;

/// Most bytes read and discarded while lingering.
const LINGER_BYTES: usize = 4 << 20;

pub(crate) struct TrackedStream {
    /// `None` only after `Drop` moved it into a lingering task.
    inner: Option<TcpStream>,
    phase: Arc<Phase>,
    write_stall: Duration,
    stall_timer: Option<Pin<Box<Sleep>>>,
    stats: Arc<Stats>,
    /// Written and not yet flushed (mirrored in the phase only when it changes).
    writing: bool,
}

impl TrackedStream {
    pub(crate) fn new(
        inner: TcpStream,
        phase: Arc<Phase>,
        write_stall: Duration,
        stats: Arc<Stats>,
    ) -> TrackedStream {
        TrackedStream {
            inner: Some(inner),
            phase,
            write_stall,
            stall_timer: None,
            stats,
            writing: false,
        }
    }

    fn mark_writing(&mut self, writing: bool) {
        if self.writing != writing {
            self.writing = writing;
            self.phase.set_writing(writing);
        }
    }

    /// Runs a write-side operation; while it stays pending, the stall timer runs, and when the timer
    /// fires the operation fails with `TimedOut`.
    fn guard_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        op: impl FnOnce(Pin<&mut TcpStream>, &mut Context<'_>) -> Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        match op(Pin::new(inner), cx) {
            Poll::Pending => {
                let stall = self.write_stall;
                let timer = self
                    .stall_timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
                if timer.as_mut().poll(cx).is_ready() {
                    self.stall_timer = None;
                    Stats::bump(&self.stats.write_timeouts);
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the client accepted no response bytes for {stall:?}"),
                    )));
                }
                Poll::Pending
            }
            ready => {
                self.stall_timer = None;
                ready
            }
        }
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        };
        let polled = Pin::new(inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.phase.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.mark_writing(true);
        self.guard_write(cx, |s, cx| s.poll_write(cx, data))
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.mark_writing(true);
        self.guard_write(cx, |s, cx| s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = self.guard_write(cx, |s, cx| s.poll_flush(cx));
        if matches!(flushed, Poll::Ready(Ok(()))) {
            self.mark_writing(false);
        }
        flushed
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.guard_write(cx, |s, cx| s.poll_shutdown(cx))
    }
}

impl Drop for TrackedStream {
    fn drop(&mut self) {
        if !self.phase.linger() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if let Some(stream) = self.inner.take() {
            runtime.spawn(linger(stream));
        }
    }
}

/// Sends FIN, then reads and discards what the client still sends (the rest of a refused body) for a
/// moment: closing with unread bytes would make the kernel send a reset, which can destroy the answer
/// before the client reads it.
async fn linger(mut stream: TcpStream) {
    let drain = async {
        stream.shutdown().await?;
        let mut buf = vec![0u8; 16 * 1024];
        let mut total = 0;
        while total < LINGER_BYTES {
            match stream.read(&mut buf).await? {
                0 => break,
                n => total += n,
            }
        }
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}
