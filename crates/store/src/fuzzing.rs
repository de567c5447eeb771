//! Entry points for the fuzz targets (`crates/store/fuzz`), compiled only with the `fuzzing` feature: each
//! takes arbitrary input the way the store receives it from a client and must return without panicking,
//! overflowing the stack or running for long, whatever the input. They reach the layers' own parsers
//! (which are private to the crate) and the whole API.
//!
//! - [`lucene`]: Lucene syntax (`q=`, `query_string`) checked, rewritten and built into a query;
//! - [`search_body`]: a `_search` body read into a request, its query and aggregations built;
//! - [`bulk_body`]: a `_bulk` body read into actions, each document converted as it would be indexed;
//! - [`request`]: a request line and body routed and, for reads, answered by a store;
//! - [`date_math`]: an ES date-math expression (`now-15m/d`, `2026-11-22||+1M/M`) evaluated rounding down
//!   and up.
//!
//! The tests below run every input of `fuzz/corpus/<target>/` (the seeds) and `fuzz/regressions/<target>/`
//! (each input a fuzzer found a fault with, kept once fixed) through its target, so `cargo test` replays
//! them without cargo-fuzz.

use std::sync::OnceLock;

use serde_json::Value;
use tantivy::Index;

use crate::api::{handle, EsRequest};
use crate::bulk::request::parse_ops;
use crate::doc::log_document::LogDocument;
use crate::doc::schema::{build_schema, Fields, F_MSG};
use crate::query::date_math::parse_date_math;
use crate::query::QueryBuilder;
use crate::search::aggs::AggRequest;
use crate::search::{SearchParams, SearchRequest};
use crate::Store;

/// An empty in-memory index with the store's schema, to build queries against.
fn index() -> Option<&'static (Index, Fields)> {
    static INDEX: OnceLock<Option<(Index, Fields)>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let index = Index::create_in_ram(build_schema());
            let fields = Fields::from_schema(&index.schema()).ok()?;
            Some((index, fields))
        })
        .as_ref()
}

/// Builds `text` as the `q=` parameter is built.
pub fn lucene(text: &str) {
    let Some((index, fields)) = index() else {
        return;
    };
    let builder = QueryBuilder::new(index, *fields, 0);
    let _ = builder.parse_lucene(text, &[F_MSG.to_string()], false);
    let _ = builder.parse_lucene(
        text,
        &["host.name".to_string(), "event.id".to_string()],
        true,
    );
}

/// Reads `body` as a `_search` body and builds its query and aggregations.
pub fn search_body(body: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let Ok(request) = SearchRequest::parse(&value, &SearchParams::default()) else {
        return;
    };
    if let Some((index, fields)) = index() {
        let _ = QueryBuilder::new(index, *fields, 0).build(request.query);
    }
    if let Some(aggs) = request.aggs {
        let _ = AggRequest::parse(aggs, 0, &mut || Some((0, 86_400_000)));
    }
}

/// Reads `body` as a `_bulk` body and converts each document as indexing would.
pub fn bulk_body(body: &[u8]) {
    let Ok(ops) = parse_ops(body) else {
        return;
    };
    let Some((_, fields)) = index() else {
        return;
    };
    for op in ops {
        if let Some(source) = op.source {
            let _ = LogDocument::from_source(fields, op.id.as_deref().unwrap_or("id"), source);
        }
    }
}

/// A store in a temporary directory holding a few documents, shared by every [`request`].
fn store() -> Option<&'static Store> {
    static STORE: OnceLock<Option<Store>> = OnceLock::new();
    STORE
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("logpipe-fuzz-store-{}", std::process::id()));
            let store = Store::open(&dir).ok()?;
            let docs = "{\"index\":{\"_index\":\"logs\",\"_id\":\"a\"}}\n\
                {\"@timestamp\":\"2026-11-22T01:00:00Z\",\"message\":\"connection refused\",\"host\":{\"name\":\"web-1\"}}\n\
                {\"index\":{\"_index\":\"logs\",\"_id\":\"b\"}}\n\
                {\"@timestamp\":\"2026-11-22T02:00:00Z\",\"message\":\"disk full\",\"log.level\":\"error\"}\n";
            store
                .bulk(docs.as_bytes(), None, crate::Refresh::True)
                .ok()?;
            Some(store)
        })
        .as_ref()
}

/// Routes `method target` (a path with an optional query string) with `body`; a read (`GET`, `HEAD`, and
/// `POST` to `_search`, `_count`, `_msearch`) is answered by a store holding a few documents. Writes are
/// routed only, so the store stays small however long the fuzzer runs.
pub fn request(method: &str, target: &str, body: &[u8]) {
    let Ok(method) = http::Method::from_bytes(method.as_bytes()) else {
        return;
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Ok(segments) = logpipe_http::decode_segments(path) else {
        return;
    };
    let read_endpoint = matches!(
        segments.last().map(String::as_str),
        Some("_search" | "_count" | "_msearch")
    );
    let read = method == http::Method::GET
        || method == http::Method::HEAD
        || (method == http::Method::POST && read_endpoint);
    if !read {
        let _ = crate::api::routes::route(&method, &segments);
        return;
    }
    let Some(store) = store() else {
        return;
    };
    let request = EsRequest {
        method,
        segments,
        query: form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect(),
        headers: http::HeaderMap::new(),
        body: bytes::Bytes::copy_from_slice(body),
    };
    let _ = handle(store, request);
}

/// Splits a `request` input as the fuzz target does: the first line is `METHOD TARGET`, the rest the body.
pub fn request_input(input: &[u8]) {
    let (line, body) = match input.iter().position(|b| *b == b'\n') {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &[][..]),
    };
    let Ok(line) = std::str::from_utf8(line) else {
        return;
    };
    let (method, target) = line.split_once(' ').unwrap_or(("GET", line));
    request(method, target, body);
}

/// `now` of [`date_math`]: 2026-11-22T04:51:21.123Z. The store's clock is not input; the anchors of
/// `date||` expressions reach every date the store represents.
const DATE_MATH_NOW_MS: i64 = 1_795_323_081_123;

/// Evaluates `expr` as a range bound is evaluated, rounding down (`gte`, `lt`) and up (`gt`, `lte`).
/// When both are values, rounding up never gives an earlier instant than rounding down (it moves to the
/// last millisecond of the unit instead of the first, and the arithmetic after it is monotonic). Only one
/// may be an error: rounding up can step past the last representable date.
pub fn date_math(expr: &str) {
    let down = parse_date_math(expr, DATE_MATH_NOW_MS, false);
    let up = parse_date_math(expr, DATE_MATH_NOW_MS, true);
    if let (Ok(down), Ok(up)) = (down, up) {
        assert!(
            down <= up,
            "{expr:?}: rounded up {up} < rounded down {down}"
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn replay(target: &str, run: impl FnMut(&[u8])) {
        let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        logpipe_fuzz_inputs::replay(&fuzz_dir, target, run);
    }

    #[test]
    fn lucene_inputs() {
        replay("lucene", |b| {
            if let Ok(text) = std::str::from_utf8(b) {
                super::lucene(text);
            }
        });
    }

    #[test]
    fn search_body_inputs() {
        replay("search_body", super::search_body);
    }

    #[test]
    fn bulk_body_inputs() {
        replay("bulk_body", super::bulk_body);
    }

    #[test]
    fn request_inputs() {
        replay("request", super::request_input);
    }

    #[test]
    fn date_math_inputs() {
        replay("date_math", |b| {
            if let Ok(text) = std::str::from_utf8(b) {
                super::date_math(text);
            }
        });
    }

    #[test]
    fn date_math_now_is_the_documented_instant() {
        assert_eq!(
            crate::doc::date::parse_date("2026-11-22T04:51:21.123Z"),
            Some(super::DATE_MATH_NOW_MS)
        );
    }
}
