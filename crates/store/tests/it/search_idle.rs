//! Search-idle indices.

use crate::common::*;
use serde_json::{json, Value};
use std::time::Duration;

#[test]
fn a_search_idle_index_is_refreshed_by_the_next_search() {
    // Always idle: the refresher leaves writes uncommitted (for 30 s or 500 k operations), so only the
    // searches' own refreshes can make them visible.
    let es = Es::start_with_search_idle_after(Duration::ZERO);
    let docs = |from: usize, to: usize| -> Vec<Value> {
        (from..to)
            .flat_map(|i| {
                doc(
                    &format!("d{i}"),
                    "2026-11-22T10:00:00Z",
                    &format!("idle line {i}"),
                    "h1",
                    "info",
                    i as i64,
                )
            })
            .collect()
    };
    es.bulk("/idle/_bulk", &docs(0, 3));
    let cat = es.req("GET", "/_cat/indices/idle?format=json", None);
    assert_eq!(
        cat.body[0]["docs.count"], "0",
        "not refreshed in the background: {}",
        cat.body
    );
    assert_eq!(es.req("GET", "/idle/_count", None).body["count"], 3);
    es.bulk("/idle/_bulk", &docs(3, 5));
    let r = es.search("idle", json!({"query": {"match": {"message": "idle"}}}));
    assert_eq!(r["hits"]["total"]["value"], 5, "{r}");
    es.bulk("/idle/_bulk", &docs(5, 6));
    let r = es.search("idle*", json!({"query": {"match_all": {}}}));
    assert_eq!(r["hits"]["total"]["value"], 6, "{r}");
}

#[test]
fn concurrent_searches_of_an_index_going_idle_all_see_every_acknowledged_write() {
    // Idle 100 ms after the index is created, before the refresher's quick refresh of a small index
    // (200 ms) could commit it; idle, it is left alone for 30 s.
    let idle_after = Duration::from_millis(100);
    let es = Es::start_with_search_idle_after(idle_after);
    let lines: Vec<Value> = (0..2000)
        .flat_map(|i| {
            doc(
                &format!("c{i}"),
                "2026-11-22T10:00:00Z",
                &format!("line {i}"),
                "h1",
                "info",
                i,
            )
        })
        .collect();
    es.bulk("/burst/_bulk", &lines);
    // Idleness is a matter of time: let it pass, then check that nothing was committed.
    std::thread::sleep(idle_after + Duration::from_millis(300));
    let cat = es.req("GET", "/_cat/indices/burst?format=json", None);
    assert_eq!(cat.body[0]["docs.count"], "0", "{}", cat.body);
    let counts: Vec<Value> = std::thread::scope(|s| {
        let searches: Vec<_> = (0..4)
            .map(|_| s.spawn(|| es.req("GET", "/burst/_count", None).body["count"].clone()))
            .collect();
        searches
            .into_iter()
            .map(|t| t.join().expect("search thread"))
            .collect()
    });
    assert_eq!(counts, vec![json!(2000); 4]);
}
