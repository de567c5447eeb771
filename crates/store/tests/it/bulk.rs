//! `_bulk`: index / create / conflicts / bad lines, and the in-process API under concurrent bulks.

use crate::common::*;
use logpipe_store::{EsError, Refresh};
use serde_json::{json, Value};

#[test]
fn bulk_index_create_conflict_and_bad_line() {
    let es = Es::start();
    let body = [
        json!({"index": {"_index": "t", "_id": "1"}}).to_string(),
        json!({"message": "one", "@timestamp": "2026-11-22T00:00:00Z"}).to_string(),
        json!({"create": {"_index": "t", "_id": "2"}}).to_string(),
        json!({"message": "two"}).to_string(),
        json!({"create": {"_index": "t", "_id": "1"}}).to_string(),
        json!({"message": "conflict"}).to_string(),
        json!({"index": {"_index": "t", "_id": "3"}}).to_string(),
        "{\"message\": broken".to_string(),
        json!({"index": {"_index": "t"}}).to_string(),
        json!({"message": "generated"}).to_string(),
        json!({"index": {"_index": "t", "_id": "1"}}).to_string(),
        json!({"message": "one again"}).to_string(),
        json!({"index": {"_index": "t", "_id": "4"}}).to_string(),
        json!({"@timestamp": "not a date"}).to_string(),
    ]
    .join("\n")
        + "\n";
    let r = es.req("POST", "/_bulk?refresh=true", Some(&body));
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert_eq!(b["errors"], true);
    assert!(b["took"].is_u64());
    let items = b["items"].as_array().expect("items");
    assert_eq!(items.len(), 7);
    assert_eq!(items[0]["index"]["status"], 201);
    assert_eq!(items[0]["index"]["result"], "created");
    assert_eq!(items[0]["index"]["_index"], "t");
    assert_eq!(items[1]["create"]["status"], 201);
    assert_eq!(items[2]["create"]["status"], 409);
    assert_eq!(
        items[2]["create"]["error"]["type"],
        "version_conflict_engine_exception"
    );
    assert!(items[2]["create"]["error"]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("version conflict"));
    assert_eq!(items[3]["index"]["status"], 400);
    assert_eq!(
        items[3]["index"]["error"]["type"],
        "document_parsing_exception"
    );
    assert_eq!(items[4]["index"]["status"], 201);
    let generated = items[4]["index"]["_id"].as_str().unwrap_or("");
    assert_eq!(generated.len(), 20);
    assert_eq!(items[5]["index"]["status"], 200);
    assert_eq!(items[5]["index"]["result"], "updated");
    assert_eq!(items[6]["index"]["status"], 400);

    // Immediately searchable, and the replaced document is not duplicated.
    let c = es.req("GET", "/t/_count", None);
    assert_eq!(c.body["count"], 3, "{}", c.body);
    let s = es.search("t", json!({"query": {"ids": {"values": ["1"]}}}));
    assert_eq!(hits(&s).len(), 1);
    assert_eq!(hits(&s)[0]["_source"]["message"], "one again");

    // Replays of the same ids keep the count stable (event.id dedup).
    let again = es.req("POST", "/_bulk?refresh=wait_for", Some(&body));
    assert_eq!(again.body["items"][0]["index"]["result"], "updated");
    assert_eq!(
        es.req("GET", "/t/_count", None).body["count"],
        4,
        "only the generated id adds a doc"
    );

    // Delete action.
    let d = es.bulk(
        "/t/_bulk",
        &[
            json!({"delete": {"_id": "2"}}),
            json!({"delete": {"_id": "zz"}}),
        ],
    );
    assert_eq!(d["items"][0]["delete"]["result"], "deleted");
    assert_eq!(d["items"][1]["delete"]["status"], 404);
    // Without `?refresh` the delete is durable but searchable only after a refresh.
    assert_eq!(es.req("POST", "/t/_refresh", None).status, 200);
    assert_eq!(es.req("GET", "/t/_count", None).body["count"], 3);
    let r = es.req(
        "POST",
        "/t/_bulk?refresh=soon",
        Some("{\"delete\":{\"_id\":\"1\"}}\n"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["type"], "illegal_argument_exception");
}

#[test]
fn in_process_api_and_concurrent_bulks_share_commits() {
    let es = Es::start();
    let body: String = (0..3)
        .map(|i| format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"message\":\"m{i}\"}}\n"))
        .collect();
    let r = es
        .store
        .bulk(body.as_bytes(), Some("inproc"), Refresh::WaitFor)
        .expect("bulk");
    assert!(!r.errors());
    assert_eq!(
        es.store.count(Some("inproc"), &Value::Null).expect("count")["count"],
        3
    );
    let err = es
        .store
        .bulk(b"garbage\n", None, Refresh::False)
        .expect_err("malformed");
    assert_eq!(EsError::from(err).status, 400);

    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = es.store.clone();
            std::thread::spawn(move || {
                for round in 0..5 {
                    let body: String = (0..100)
                        .map(|i| format!("{{\"index\":{{}}}}\n{{\"message\":\"t{t} r{round} i{i}\",\"@timestamp\":\"2026-11-22T00:00:00Z\"}}\n"))
                        .collect();
                    let r = store
                        .bulk(body.as_bytes(), Some("conc"), Refresh::False)
                        .expect("bulk");
                    assert!(!r.errors());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    es.store.refresh(Some("conc")).expect("refresh");
    assert_eq!(es.req("GET", "/conc/_count", None).body["count"], 2000);
}

/// As ES's bulk parser: an action at the end of the body without its document line is dropped, and the
/// actions before it run.
#[test]
fn a_last_action_without_its_document_line_is_dropped() {
    let es = Es::start();
    let body = "{\"index\":{\"_index\":\"t\",\"_id\":\"1\"}}\n{\"message\":\"one\"}\n{\"index\":{\"_index\":\"t\",\"_id\":\"2\"}}\n";
    let r = es.req("POST", "/_bulk?refresh=true", Some(body));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["errors"], json!(false), "{}", r.body);
    assert_eq!(
        r.body["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
    assert_eq!(es.req("GET", "/t/_count", None).body["count"], json!(1));
}
