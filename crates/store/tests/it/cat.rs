//! `_cat/indices`: text as Elasticsearch prints it (issue 17, bug 5: it answered a JSON string), and the
//! table parameters `v`, `h=`, `s=`, `bytes=`, `format=`, `health=`.

use crate::check::{case, check, raw};
use crate::common::*;
use serde_json::json;

/// `app-2026.11.21` (3 documents), `app-2026.11.22` (4), `other` (1), all searchable.
fn three_indices(es: &Es) {
    for (index, n) in [("app-2026.11.21", 3), ("app-2026.11.22", 4), ("other", 1)] {
        let mut lines = Vec::new();
        for i in 0..n {
            lines.push(json!({"index": {"_index": index}}));
            lines
                .push(json!({"@timestamp": format!("2026-11-22T00:00:0{i}Z"), "message": "hello"}));
        }
        es.bulk("/_bulk?refresh=true", &lines);
    }
}

#[test]
fn cat_indices_is_text() {
    let es = Es::start();
    three_indices(&es);
    let r = raw(&es, "GET", "/_cat/indices", None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("content-type").starts_with("text/plain"),
        "{}",
        r.header("content-type")
    );
    let rows: Vec<Vec<&str>> = r
        .body
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let summary: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|row| {
            assert_eq!(row.len(), 10, "ten columns: {row:?}");
            (row[0], row[1], row[2], row[6])
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("green", "open", "app-2026.11.21", "3"),
            ("green", "open", "app-2026.11.22", "4"),
            ("green", "open", "other", "1"),
        ],
        "{}",
        r.body
    );
    assert!(r.body.ends_with('\n') && !r.body.starts_with('"'));
}

#[test]
fn cat_indices_parameters() {
    let es = Es::start();
    three_indices(&es);
    let text = "text/plain; charset=UTF-8";
    check(
        &es,
        &[
            case("GET", "/_cat/indices?h=index,dc&s=index")
                .content_type(text)
                .text("app-2026.11.21 3\napp-2026.11.22 4\nother          1\n"),
            case("GET", "/_cat/indices?v&h=i,docs.count&s=dc:desc")
                .content_type(text)
                .text(
                    "index          docs.count\napp-2026.11.22          4\napp-2026.11.21          3\nother                   1\n",
                ),
            case("GET", "/_cat/indices?h=health,s,i,p,r,dd&s=i").text(
                "green open app-2026.11.21 1 0 0\ngreen open app-2026.11.22 1 0 0\ngreen open other          1 0 0\n",
            ),
            case("GET", "/_cat/indices?h=index&s=index:desc")
                .text("other\napp-2026.11.22\napp-2026.11.21\n"),
            case("GET", "/_cat/indices/app-*?h=i&s=i").text("app-2026.11.21\napp-2026.11.22\n"),
            case("GET", "/_cat/indices?h=docs.*&s=docs.count")
                .text("1 0\n3 0\n4 0\n"),
            case("GET", "/_cat/indices?h=index&health=red").text(""),
            case("GET", "/_cat/indices?format=json&h=index,dc&s=i")
                .content_type("application/json")
                .json(json!([
                    {"index": "app-2026.11.21", "docs.count": "3"},
                    {"index": "app-2026.11.22", "docs.count": "4"},
                    {"index": "other", "docs.count": "1"},
                ])),
            case("GET", "/_cat/indices/other?h=index")
                .accept("application/json")
                .content_type("application/json")
                .json(json!([{"index": "other"}])),
            case("GET", "/_cat/indices?s=bogus")
                .status(400)
                .json(json!({"status": 400, "error": {"type": "illegal_argument_exception",
                    "reason": "Unable to sort by unknown sort key `bogus`"}})),
            case("GET", "/_cat/indices?health=purple")
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception"}})),
            case("GET", "/_cat/indices/missing")
                .status(404)
                .json(json!({"error": {"type": "index_not_found_exception", "index": "missing"}})),
        ],
    );
    // Sizes in bytes are plain numbers.
    let r = raw(&es, "GET", "/_cat/indices?h=ss&bytes=b", None, None);
    assert!(
        r.body
            .lines()
            .all(|l| !l.trim().is_empty() && l.trim().bytes().all(|b| b.is_ascii_digit())),
        "{}",
        r.body
    );
}
