//! One request on an IO task: decode the target, check the size, read the body within its deadlines,
//! queue the request for a handler thread and wait for the answer. Everything that can go wrong before
//! the handler is answered here, through [`crate::Handler::refuse`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use http::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use http_body::Body;
use hyper::body::Incoming;

use crate::body::{read_body, BodyError, ResponseBody};
use crate::handler::{Refusal, RefusalKind};
use crate::phase::Phase;
use crate::pool::Rejected;
use crate::request::{raw_path, Request};
use crate::response::Response;
use crate::shared::Shared;
use crate::stats::Stats;
use crate::target::{decode_segments, Query};

/// An answer and whether the connection must close after it.
struct Answer {
    response: Response,
    close: bool,
}

/// The service hyper calls for each request head on a served connection.
pub(crate) async fn serve_request(
    shared: Arc<Shared>,
    phase: Arc<Phase>,
    peer: SocketAddr,
    tls: bool,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ResponseBody>, Infallible> {
    let done = phase.request_started();
    Stats::bump(&shared.stats.requests);
    let answer = answer(&shared, peer, tls, request).await;
    if answer.close {
        // A refusal sent before the body was read: let the client read it before the connection goes.
        phase.set_linger();
    }
    Ok(into_hyper(answer, Some(done)))
}

/// The service for an over-capacity connection: every request is refused with 503.
pub(crate) async fn refuse_request(
    shared: Arc<Shared>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<ResponseBody>, Infallible> {
    let refusal = Refusal::new(
        RefusalKind::TooManyConnections,
        format!(
            "the server is serving its maximum of {} connections; retry later",
            shared.limits.max_connections
        ),
    )
    .for_request(request.method(), request.headers());
    let response = shared.render(&refusal);
    Ok(into_hyper(
        Answer {
            response,
            close: true,
        },
        None,
    ))
}

async fn answer(
    shared: &Shared,
    peer: SocketAddr,
    tls: bool,
    request: hyper::Request<Incoming>,
) -> Answer {
    let (head, body) = request.into_parts();
    let refuse = |kind: RefusalKind, message: String, close: bool| {
        Stats::bump(&shared.stats.requests_refused);
        let refusal = Refusal::new(kind, message).for_request(&head.method, &head.headers);
        Answer {
            response: shared.render(&refusal),
            close,
        }
    };
    // Whether refusing before reading the body leaves unread bytes behind.
    let body_pending = !body.is_end_stream();
    let target = head
        .uri
        .path_and_query()
        .map_or_else(|| head.uri.path().to_string(), |pq| pq.as_str().to_string());
    let path = raw_path(&target);
    let segments = match decode_segments(path) {
        Ok(segments) => segments,
        Err(e) => return refuse(RefusalKind::BadRequest, e.to_string(), body_pending),
    };
    let query = Query::parse(head.uri.query().unwrap_or_default());

    let limit = catch_unwind(AssertUnwindSafe(|| {
        shared.handler.max_body(&head.method, path)
    }))
    .ok()
    .flatten()
    .unwrap_or(shared.limits.max_body_bytes);
    if let Some(announced) = body.size_hint().exact() {
        if announced > limit as u64 {
            return refuse(
                RefusalKind::BodyTooLarge,
                format!(
                    "request body of {announced} bytes is larger than the limit of {limit} bytes"
                ),
                true,
            );
        }
    }
    let body = match read_body(body, limit, &shared.limits, &shared.budget).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { limit }) => {
            return refuse(
                RefusalKind::BodyTooLarge,
                format!("request body is larger than the limit of {limit} bytes"),
                true,
            )
        }
        Err(BodyError::OverBudget) => {
            Stats::bump(&shared.stats.requests_overloaded);
            return refuse(
                RefusalKind::Overloaded,
                format!(
                    "the server already holds {} bytes of request bodies; retry later",
                    shared.budget.limit()
                ),
                true,
            );
        }
        Err(BodyError::Timeout { total }) => {
            Stats::bump(&shared.stats.body_timeouts);
            let message = if total {
                format!(
                    "the request body did not arrive within {:?}",
                    shared.limits.body_total
                )
            } else {
                format!(
                    "no part of the request body arrived for {:?}",
                    shared.limits.body_idle
                )
            };
            return refuse(RefusalKind::BodyTimeout, message, true);
        }
        Err(BodyError::Malformed(e)) => {
            return refuse(
                RefusalKind::BadRequest,
                format!("cannot read the request body: {e}"),
                true,
            )
        }
    };

    let method = head.method.clone();
    let headers = head.headers.clone();
    let request = Request {
        method: head.method,
        target,
        segments,
        query,
        headers: head.headers,
        body,
        peer,
        tls,
    };
    let pending = match shared.pool.submit(request) {
        Ok(pending) => pending,
        Err(rejected) => {
            let (kind, message) = match rejected {
                Rejected::Full => {
                    Stats::bump(&shared.stats.requests_overloaded);
                    (
                        RefusalKind::Overloaded,
                        format!(
                            "all {} request handlers are busy and {} requests are waiting; retry later",
                            shared.limits.handler_threads, shared.limits.queue_length
                        ),
                    )
                }
                Rejected::Stopped => (
                    RefusalKind::ShuttingDown,
                    "the server is stopping".to_string(),
                ),
            };
            Stats::bump(&shared.stats.requests_refused);
            let refusal = Refusal::new(kind, message).for_request(&method, &headers);
            return Answer {
                response: shared.render(&refusal),
                close: false,
            };
        }
    };
    match pending.await {
        Ok(response) => Answer {
            response,
            close: false,
        },
        // The pool dropped the request without answering: it is stopping.
        Err(_) => {
            Stats::bump(&shared.stats.requests_refused);
            let refusal = Refusal::new(RefusalKind::ShuttingDown, "the server is stopping")
                .for_request(&method, &headers);
            Answer {
                response: shared.render(&refusal),
                close: true,
            }
        }
    }
}

fn into_hyper(
    answer: Answer,
    done: Option<crate::phase::ResponseDone>,
) -> hyper::Response<ResponseBody> {
    let Response {
        status,
        mut headers,
        body,
    } = answer.response;
    // hyper frames the body itself; a handler's own framing headers could only contradict it.
    headers.remove(CONTENT_LENGTH);
    headers.remove(TRANSFER_ENCODING);
    if answer.close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    let mut response = hyper::Response::new(ResponseBody::new(body, done));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
