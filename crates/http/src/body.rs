//! Reading a whole request body within a size limit and two deadlines; and the response body type.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::time::Instant;

use crate::budget::{charged, BodyBudget};
use crate::limits::Limits;
use crate::phase::ResponseDone;

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// More than the limit.
    TooLarge { limit: usize },
    /// All bodies held together would pass `max_buffered_body_bytes`.
    OverBudget,
    /// No data for `body_idle`, or not complete within `body_total`.
    Timeout { total: bool },
    /// Malformed framing (a garbage chunk size) or the client closed mid-body.
    Malformed(hyper::Error),
}

/// Reads all of `body`, failing as soon as it passes `limit` bytes, the server's body budget, or a
/// deadline. The bytes stay charged to the budget until the returned `Bytes` (every clone) is dropped.
pub(crate) async fn read_body(
    mut body: Incoming,
    limit: usize,
    limits: &Limits,
    budget: &BodyBudget,
) -> Result<Bytes, BodyError> {
    let mut reservation = budget.reservation();
    let total_deadline = Instant::now() + limits.body_total;
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut len = 0usize;
    loop {
        let idle_deadline = Instant::now() + limits.body_idle;
        let deadline = idle_deadline.min(total_deadline);
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err(BodyError::Timeout {
                    total: deadline == total_deadline,
                })
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(BodyError::Malformed(e)),
            Ok(Some(Ok(frame))) => frame,
        };
        // Trailers are ignored.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        len = len.saturating_add(data.len());
        if len > limit {
            return Err(BodyError::TooLarge { limit });
        }
        if !budget.grow(&mut reservation, data.len()) {
            return Err(BodyError::OverBudget);
        }
        if !data.is_empty() {
            chunks.push(data);
        }
    }
    let data = match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => {
            let mut joined = BytesMut::with_capacity(len);
            for chunk in chunks {
                joined.extend_from_slice(&chunk);
            }
            joined.freeze()
        }
    };
    Ok(charged(data, reservation))
}

/// A complete response body. Holds the connection's [`ResponseDone`] so that the connection counts as
/// idle again only once hyper has taken the whole body (and dropped it).
pub(crate) struct ResponseBody {
    data: Option<Bytes>,
    _done: Option<ResponseDone>,
}

impl ResponseBody {
    pub(crate) fn new(data: Bytes, done: Option<ResponseDone>) -> ResponseBody {
        ResponseBody {
            data: Some(data).filter(|d| !d.is_empty()),
            _done: done,
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.data.take().map(|d| Ok(Frame::data(d))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64))
    }
}
