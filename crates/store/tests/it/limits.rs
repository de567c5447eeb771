//! What a hostile client cannot make the store do (issue 18): nest queries until parsing takes hours or
//! overflows the stack, ask for windows of results that wrap around, wipe every index with one wildcard,
//! or create indices (and writers, threads, memory) without end. Each answer is Elasticsearch's, and the
//! store answers the next request.

use serde_json::{json, Value};

use logpipe_store::StoreSettings;

use crate::check::{case, check};
use crate::common::*;

/// `depth` parentheses around `inner`.
fn nested_groups(depth: usize, inner: &str) -> String {
    format!("{}{inner}{}", "(".repeat(depth), ")".repeat(depth))
}

/// A `bool` query `depth` levels deep (the innermost a `match_all`).
fn nested_bool(depth: usize) -> Value {
    let mut q = json!({"match_all": {}});
    for _ in 1..depth {
        q = json!({"bool": {"must": [q]}});
    }
    q
}

/// A `bool` of `n` `should` clauses, each a `term` on `message`.
fn should_terms(n: usize) -> Value {
    let term = json!({"term": {"message": "server"}});
    json!({"bool": {"should": vec![term; n]}})
}

/// The failed-search body ES answers a query no shard can run with: `search_phase_execution_exception`,
/// its cause the root cause.
fn all_shards_failed(cause_type: &str, reason: Option<&str>) -> Value {
    let mut cause = json!({"type": cause_type});
    if let Some(reason) = reason {
        cause["reason"] = json!(reason);
    }
    json!({"status": 400, "error": {
        "type": "search_phase_execution_exception", "reason": "all shards failed",
        "phase": "query", "root_cause": [cause.clone()], "caused_by": cause}})
}

const NESTED_DEPTH: &str = "The nested depth of the query exceeds the maximum nested depth for \
                            queries set in [indices.query.bool.max_nested_depth]";

/// Lucene syntax (`q=`, `query_string`): tantivy's grammar took 31 s at 24 levels of parentheses and
/// overflowed the stack (aborting the store) at a few thousand; more terms than `max_clause_count`. Both
/// are refused before parsing. The DSL: ES's `max_nested_depth` of 30; JSON nested beyond serde_json's
/// 128 levels, in a search body and in a `_bulk` document.
#[test]
fn nesting_and_clause_limits_as_elasticsearch_answers() {
    let es = Es::start();
    sample(&es);
    let q_string = |q: &str| json!({"query": {"query_string": {"query": q}}}).to_string();
    let or_terms = |n: usize| vec!["server"; n].join(" OR ");
    let deep_json = format!(
        "{{\"query\":{}}}",
        nested_groups(10_000, "")
            .replace('(', "[")
            .replace(')', "]")
    );
    let deep_bool = format!(
        "{{\"query\":{}{{\"match_all\":{{}}}}{}}}",
        "{\"bool\":{\"must\":".repeat(10_000),
        "}}".repeat(10_000)
    );
    let deep_doc = format!(
        "{{\"index\":{{\"_id\":\"deep\"}}}}\n{{\"message\":{}}}\n",
        nested_groups(10_000, "1")
            .replace('(', "[")
            .replace(')', "]")
    );
    check(
        &es,
        &[
            // Ten levels parse (in a millisecond); 24 and 5000 are refused at once.
            case("POST", "/logs/_count")
                .body(q_string(&nested_groups(10, "server")))
                .json(json!({"count": 4})),
            case(
                "GET",
                format!("/logs/_search?q={}", nested_groups(24, "server")),
            )
            .status(400)
            .json(all_shards_failed("query_shard_exception", None)),
            case("POST", "/logs/_search")
                .body(q_string(&nested_groups(5000, "a")))
                .status(400)
                .json(all_shards_failed("query_shard_exception", None)),
            case("GET", format!("/_count?q={}", nested_groups(5000, "a")))
                .status(400)
                .json(all_shards_failed("query_shard_exception", None)),
            // max_clause_count: 4096 terms are one query, 4097 too many.
            case("POST", "/logs/_count")
                .body(q_string(&or_terms(4096)))
                .json(json!({"count": 4})),
            case("POST", "/logs/_search")
                .body(q_string(&or_terms(4097)))
                .status(400)
                .json(all_shards_failed(
                    "too_many_nested_clauses",
                    Some("Query contains too many nested clauses; maxClauseCount is set to 4096"),
                )),
            // max_clause_count counts the whole query: DSL leaves and the terms of every Lucene
            // query in it. 4096 `term` clauses are one query, 4097 too many; two query_strings of
            // 2048 terms each fit, of 2049 they do not.
            case("POST", "/logs/_count")
                .body(json!({"query": should_terms(4096)}).to_string())
                .json(json!({"count": 4})),
            case("POST", "/logs/_search")
                .body(json!({"query": should_terms(4097)}).to_string())
                .status(400)
                .json(all_shards_failed(
                    "too_many_nested_clauses",
                    Some("Query contains too many nested clauses; maxClauseCount is set to 4096"),
                )),
            case("POST", "/logs/_count")
                .body(
                    json!({"query": {"bool": {"should": [
                    {"query_string": {"query": or_terms(2048)}},
                    {"query_string": {"query": or_terms(2048)}}]}}})
                    .to_string(),
                )
                .json(json!({"count": 4})),
            case("POST", "/logs/_count")
                .body(
                    json!({"query": {"bool": {"should": [
                    {"query_string": {"query": or_terms(2049)}},
                    {"query_string": {"query": or_terms(2049)}}]}}})
                    .to_string(),
                )
                .status(400)
                .json(all_shards_failed("too_many_nested_clauses", None)),
            // A `terms` query is one clause of up to index.max_terms_count (65,536) values.
            case("POST", "/logs/_count")
                .body(json!({"query": {"terms": {"message": vec!["server"; 65_536]}}}).to_string())
                .json(json!({"count": 4})),
            case("POST", "/logs/_search")
                .body(json!({"query": {"terms": {"message": vec!["server"; 65_537]}}}).to_string())
                .status(400)
                .json(all_shards_failed(
                    "illegal_argument_exception",
                    Some(
                        "The number of terms [65537] used in the Terms Query request has exceeded \
                          the allowed maximum of [65536]. This maximum can be set by changing the \
                          [index.max_terms_count] index level setting.",
                    ),
                )),
            // The DSL: 30 levels of queries, not 31.
            case("POST", "/logs/_count")
                .body(json!({"query": nested_bool(30)}).to_string())
                .json(json!({"count": 6})),
            case("POST", "/logs/_search")
                .body(json!({"query": nested_bool(31)}).to_string())
                .status(400)
                .json(json!({"status": 400, "error": {
                    "type": "illegal_argument_exception", "reason": NESTED_DEPTH}})),
            // Deeper than the JSON reader goes: a parsing error, not a stack overflow.
            case("POST", "/logs/_search")
                .body(deep_json)
                .status(400)
                .json(json!({"error": {"type": "parsing_exception"}})),
            case("POST", "/logs/_search")
                .body(deep_bool)
                .status(400)
                .json(json!({"error": {"type": "parsing_exception"}})),
            case("POST", "/logs/_bulk")
                .body(deep_doc)
                .json(json!({"errors": true, "items": [
                {"index": {"status": 400, "error": {"type": "document_parsing_exception"}}}]})),
            // tantivy's grammar panics on `- *` (found by the `lucene` fuzz target); ES reads it as
            // `-*`: nothing. A NUL in a field name (which panicked tantivy's term conversion) is a 400.
            case("GET", "/logs/_search?q=-%20*").json(json!({"hits": {"total": {"value": 0}}})),
            case("GET", "/logs/_count?q=%2B%20*").json(json!({"count": 6})),
            // Ten unclosed groups took tantivy's grammar seconds (found by the fuzzer); Lucene cannot
            // parse them either.
            case("GET", "/logs/_search?q=event.id:((a:((a:((a:((a:((a:x")
                .status(400)
                .json(json!({"status": 400, "error": {"type": "query_shard_exception"}})),
            // Many groups ten deep add up (4,096 took 3.9 s per index): refused as the deep ones are.
            case("POST", "/logs/_search")
                .body(q_string(
                    &vec![nested_groups(10, "server").as_str(); 40].join(" OR "),
                ))
                .status(400)
                .json(
                    json!({"status": 400, "error": {"type": "search_phase_execution_exception",
                    "root_cause": [{"type": "query_shard_exception"}]}}),
                ),
            case("GET", "/logs/_search?q=a%00b:%20IN%20[x]")
                .status(400)
                .json(json!({"status": 400, "error": {"type": "query_shard_exception"}})),
            // Still up, and nothing changed.
            case("GET", "/logs/_count").json(json!({"count": 6})),
        ],
    );
}

/// `from + size` beyond `index.max_result_window`, however large the numbers, is ES's error, never a
/// wrapped-around window answered 200.
#[test]
fn result_windows_as_elasticsearch_answers() {
    let es = Es::start();
    sample(&es);
    let window = |n: &str| {
        format!(
            "Result window is too large, from + size must be less than or equal to: [10000] but was \
             [{n}]. See the scroll api for a more efficient way to request large data sets. This \
             limit can be set by changing the [index.max_result_window] index level setting."
        )
    };
    let max = u64::MAX;
    check(
        &es,
        &[
            case("POST", "/logs/_search")
                .body(r#"{"from": 9990, "size": 10}"#)
                .json(json!({"hits": {"hits": []}})),
            case("POST", "/logs/_search")
                .body(r#"{"from": 9991, "size": 10}"#)
                .status(400)
                .json(all_shards_failed(
                    "illegal_argument_exception",
                    Some(&window("10001")),
                )),
            case("POST", "/logs/_search")
                .body(format!(r#"{{"from": {max}, "size": {max}}}"#))
                .status(400)
                .json(all_shards_failed("illegal_argument_exception", None)),
            case("GET", format!("/logs/_search?from={max}&size=1"))
                .status(400)
                .json(all_shards_failed("illegal_argument_exception", None)),
            case("GET", "/logs/_search?from=1&size=18446744073709551616")
                .status(400)
                .json(
                    json!({"error": {"type": "illegal_argument_exception", "reason":
                    "Failed to parse int parameter [size] with value [18446744073709551616]"}}),
                ),
            case("GET", "/logs/_search?size=-1")
                .status(400)
                .json(json!({"error": {
                "type": "illegal_argument_exception",
                "reason": "[size] parameter cannot be negative, found [-1]"}})),
            case("POST", "/logs/_search")
                .body(r#"{"from": -5}"#)
                .status(400)
                .json(
                    json!({"error": {"reason": "[from] parameter cannot be negative, found [-5]"}}),
                ),
            case("GET", "/logs/_count").json(json!({"count": 6})),
        ],
    );
}

/// `action.destructive_requires_name` (on by default, as in ES 8): wildcards and `_all` delete nothing.
#[test]
fn wildcard_deletes_are_refused_unless_allowed() {
    let es = Es::start();
    sample(&es);
    let refused = json!({"status": 400, "error": {"type": "illegal_argument_exception",
        "reason": "Wildcard expressions or all indices are not allowed"}});
    check(
        &es,
        &[
            case("DELETE", "/*").status(400).json(refused.clone()),
            case("DELETE", "/_all").status(400).json(refused.clone()),
            case("DELETE", "/log*").status(400).json(refused.clone()),
            case("DELETE", "/other,lo*").status(400).json(refused),
            case("GET", "/logs/_count").json(json!({"count": 6})),
        ],
    );

    let es = Es::start_with(StoreSettings {
        destructive_requires_name: false,
        ..StoreSettings::default()
    });
    sample(&es);
    check(
        &es,
        &[
            case("DELETE", "/log*").json(json!({"acknowledged": true})),
            case("HEAD", "/logs").status(404),
        ],
    );
}

/// One `_bulk` naming more new indices than `cluster.max_shards_per_node` creates that many, and the
/// rest of its items get ES's `validation_exception`; writing to more indices than `max_open_writers`
/// keeps that many writers open, and every acknowledged document is found.
#[test]
fn index_count_and_open_writers_are_bounded() {
    let es = Es::start_with(StoreSettings {
        max_shards_per_node: 6,
        max_open_writers: 2,
        ..StoreSettings::default()
    });
    let mut lines = Vec::new();
    for i in 0..10 {
        lines.push(json!({"index": {"_index": format!("many-{i}")}}));
        lines.push(json!({"message": format!("doc {i}")}));
    }
    let r = es.bulk("/_bulk", &lines);
    let items = r["items"].as_array().cloned().unwrap_or_default();
    let statuses: Vec<u64> = items
        .iter()
        .map(|i| i["index"]["status"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(statuses, [201, 201, 201, 201, 201, 201, 400, 400, 400, 400]);
    assert_eq!(
        items[6]["index"]["error"],
        json!({"type": "validation_exception", "reason": "Validation Failed: 1: this action would add \
            [1] shards, but this cluster currently has [6]/[6] maximum normal shards open;",
            "index": "many-6", "shard": "0", "index_uuid": "_na_"})
    );
    assert!(
        es.store.open_writers() <= 2,
        "{} writers open",
        es.store.open_writers()
    );
    // A second round over the same indices reopens writers in turn; nothing acknowledged is lost.
    let r = es.bulk("/_bulk?refresh=true", &lines[..12]);
    assert_eq!(r["errors"], json!(false), "{r}");
    assert!(es.store.open_writers() <= 2);
    assert_eq!(es.req("GET", "/many-*/_count", None).body["count"], 12);
    assert_eq!(
        es.req("PUT", "/one-more", None).body["error"]["type"],
        "validation_exception"
    );
}

/// One `_bulk` creates at most `max_new_indices_per_request` indices; its items for the next new ones
/// get a 429 `es_rejected_execution_exception` (which clients retry), items for existing indices are
/// written, and the same request sent again creates the rest.
#[test]
fn new_indices_per_request_are_bounded_and_the_rest_is_retried() {
    let es = Es::start_with(StoreSettings {
        max_new_indices_per_request: 3,
        ..StoreSettings::default()
    });
    sample(&es);
    let mut lines = vec![
        json!({"index": {"_index": "logs", "_id": "old"}}),
        json!({"message": "x"}),
    ];
    for i in 0..5 {
        lines.push(json!({"index": {"_index": format!("new-{i}"), "_id": "1"}}));
        lines.push(json!({"message": format!("doc {i}")}));
    }
    let statuses = |r: &Value| -> Vec<u64> {
        r["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| i["index"]["status"].as_u64().unwrap_or(0))
                    .collect()
            })
            .unwrap_or_default()
    };
    let r = es.bulk("/_bulk", &lines);
    assert_eq!(statuses(&r), [201, 201, 201, 201, 429, 429], "{r}");
    assert_eq!(
        r["items"][4]["index"]["error"]["type"], "es_rejected_execution_exception",
        "{r}"
    );
    let r = es.bulk("/_bulk?refresh=true", &lines);
    assert_eq!(statuses(&r), [200, 200, 200, 200, 201, 201], "{r}");
    assert_eq!(es.req("GET", "/new-*/_count", None).body["count"], 5);
}

/// A search whose hits' `_source` would exceed the request breaker fails with ES's 429
/// `circuit_breaking_exception` instead of gathering it; a smaller page of the same search is served, and
/// `_msearch` answers are bounded by the same setting.
#[test]
fn the_request_breaker_bounds_what_a_search_gathers() {
    let es = Es::start_with(StoreSettings {
        request_breaker_bytes: 8 * 1024,
        ..StoreSettings::default()
    });
    let mut lines = Vec::new();
    for i in 0..20 {
        lines.push(json!({"index": {"_index": "big", "_id": i.to_string()}}));
        lines.push(json!({"message": format!("{i} {}", "x".repeat(1000))}));
    }
    let r = es.bulk("/_bulk?refresh=true", &lines);
    assert_eq!(r["errors"], json!(false), "{r}");
    check(
        &es,
        &[
            case("GET", "/big/_search?size=5").json(json!({"hits": {"total": {"value": 20}}})),
            case("GET", "/big/_search?size=20")
                .status(429)
                .json(json!({"status": 429, "error": {"type": "circuit_breaking_exception"}})),
            case("POST", "/big/_msearch")
                .body("{}\n{\"size\":5}\n{}\n{\"size\":5}\n")
                .status(429)
                .json(json!({"status": 429, "error": {"type": "circuit_breaking_exception"}})),
            case("GET", "/big/_count").json(json!({"count": 20})),
        ],
    );
}
