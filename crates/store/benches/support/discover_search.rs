//! The Discover-style search shared by `benches/store_search_latency.rs` and `examples/search_repeat.rs`:
//! a `query_string` on `message`, an `@timestamp` range from `from` to now, a 1-minute `date_histogram` and
//! the newest 100 hits with the total count.

use serde_json::{json, Value};

/// The `_search` body for `query` over `[from, now]`.
pub fn discover_search(query: &str, from: &str) -> Value {
    json!({
        "size": 100,
        "sort": [{"@timestamp": "desc"}],
        "track_total_hits": true,
        "query": {"bool": {
            "must": [{"query_string": {"query": query, "default_field": "message"}}],
            "filter": [{"range": {"@timestamp": {"gte": from, "lte": "now"}}}]
        }},
        "aggs": {"histogram": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1m"}}}
    })
}
