//! `_msearch`.

use crate::common::*;
use serde_json::{json, Value};

/// `_msearch`, as Grafana's data source sends it: answers in order, each with its status; a failing search
/// fails alone; the path's index is the default of a header without one.
#[test]
fn msearch_answers_each_search_in_order() {
    let es = Es::start();
    sample(&es);
    let lines = [
        json!({"index": "logs"}),
        json!({"size": 0, "query": {"term": {"log.level": "error"}},
               "aggs": {"h": {"terms": {"field": "host.name"}}}}),
        json!({"index": ["nothere"]}),
        json!({}),
        json!({}),
        json!({"query": {"query_string": {"query": "upstream"}}, "sort": [{"@timestamp": "asc"}]}),
        json!({"index": "logs"}),
        json!({"query": {"bogus": {}}}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let r = es.req("POST", "/logs/_msearch", Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    let responses = r.body["responses"].as_array().cloned().unwrap_or_default();
    assert_eq!(responses.len(), 4, "{}", r.body);
    assert_eq!(responses[0]["status"], 200);
    assert_eq!(responses[0]["hits"]["total"]["value"], 3);
    let mut hosts: Vec<String> = responses[0]["aggregations"]["h"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|b| format!("{}={}", b["key"], b["doc_count"]))
        .collect();
    hosts.sort();
    assert_eq!(hosts, [r#""db-1"=1"#, r#""web-1"=1"#, r#""web-2"=1"#]);
    assert_eq!(
        (
            responses[1]["status"].clone(),
            responses[1]["error"]["type"].clone()
        ),
        (json!(404), json!("index_not_found_exception"))
    );
    let ids: Vec<Value> = hits(&responses[2])
        .iter()
        .map(|h| h["_id"].clone())
        .collect();
    assert_eq!(ids, [json!("a"), json!("c")], "the path's index");
    assert_eq!(responses[3]["status"], 400);
    assert_eq!(responses[3]["error"]["type"], "parsing_exception");

    let r = es.req("POST", "/_msearch", Some("{}\nnot json\n"));
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body["error"]["reason"].to_string().contains("line [2]"),
        "{}",
        r.body
    );
}
