//! Query DSL and `query_string`.

use crate::common::*;
use serde_json::{json, Value};

#[test]
fn query_types() {
    let es = Es::start();
    sample(&es);
    let ids = |q: Value| es.ids("logs", q);
    assert_eq!(ids(json!({"match_all": {}})).len(), 6);
    assert_eq!(
        ids(json!({"match": {"message": "server upstream"}})),
        ["a", "c", "d", "e"]
    );
    assert_eq!(
        ids(json!({"match": {"message": {"query": "server upstream", "operator": "and"}}})),
        ["a", "c"]
    );
    assert_eq!(
        ids(json!({"match_phrase": {"message": "connection refused"}})),
        ["a"]
    );
    assert_eq!(
        ids(json!({"match_phrase": {"message": "refused connection"}})),
        ["f"]
    );
    // Nested and dotted documents are the same.
    assert_eq!(ids(json!({"term": {"host.name": "web-2"}})), ["c", "f"]);
    assert_eq!(
        ids(json!({"term": {"host.name": {"value": "web-2"}}})),
        ["c", "f"]
    );
    // `match` analyses a string field (`text` in ES's dynamic mapping): `web-2` is `web` OR `2`; its
    // `.keyword` is exact; `match_phrase` wants the words in order.
    assert_eq!(
        ids(json!({"match": {"host.name": "web-2"}})),
        ["a", "b", "c", "f"]
    );
    assert_eq!(
        ids(json!({"match": {"host.name": {"query": "web-2", "operator": "and"}}})),
        ["c", "f"]
    );
    assert_eq!(
        ids(json!({"match": {"host.name.keyword": "web-2"}})),
        ["c", "f"]
    );
    assert_eq!(
        ids(json!({"match": {"log.level": "ERROR"}})),
        ["a", "e", "f"]
    );
    assert_eq!(
        ids(json!({"match": {"log.file.path": "web"}})),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(json!({"match_phrase": {"log.file.path": "log web"}})),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(json!({"match_phrase": {"log.file.path": "web log"}})),
        Vec::<String>::new()
    );
    assert_eq!(ids(json!({"match": {"log.offset": 20}})), ["b"]);
    assert_eq!(
        ids(json!({"term": {"host.name.keyword": "web-1"}})),
        ["a", "b"]
    );
    assert_eq!(
        ids(json!({"terms": {"log.level": ["warn", "info"]}})),
        ["b", "c", "d"]
    );
    assert_eq!(ids(json!({"term": {"log.offset": 60}})), ["f"]);
    assert_eq!(
        ids(json!({"term": {"log.file.path": "/var/log/db-1.log"}})),
        ["d", "e"]
    );
    assert_eq!(ids(json!({"term": {"_id": "b"}})), ["b"]);
    assert_eq!(
        ids(
            json!({"range": {"@timestamp": {"gte": "2026-11-22T02:00:00Z", "lt": "2026-11-22T02:40:00Z"}}})
        ),
        ["c", "d"]
    );
    assert_eq!(
        ids(
            json!({"range": {"@timestamp": {"gt": "2026-11-22T02:20:00.000Z", "format": "strict_date_optional_time"}}})
        ),
        ["e", "f"]
    );
    // `@timestamp` is a column only: one value is a range from it to itself, in the DSL and in Lucene.
    assert_eq!(
        ids(json!({"term": {"@timestamp": "2026-11-22T02:20:00Z"}})),
        ["d"]
    );
    assert_eq!(
        ids(
            json!({"query_string": {"query": "@timestamp:\"2026-11-22T02:20:00Z\" OR log.offset:10"}})
        ),
        ["a", "d"]
    );
    // A Lucene range on `@timestamp` reads its bounds as the DSL's `range` does: date math, partial dates
    // (rounded up in an inclusive upper bound, so a second covers its milliseconds), and the
    // `time_zone` of `query_string`.
    let lucene_in = |q: &str, zone: Option<&str>| match zone {
        Some(zone) => ids(json!({"query_string": {"query": q, "time_zone": zone}})),
        None => ids(json!({"query_string": {"query": q}})),
    };
    assert_eq!(lucene_in("@timestamp:[now-10y TO now]", None).len(), 6);
    assert_eq!(lucene_in("@timestamp:[now-10y/y TO now/d]", None).len(), 6);
    assert!(lucene_in("@timestamp:[now-15m TO *]", None).is_empty());
    assert_eq!(
        lucene_in("@timestamp:[2026-11-22T02:00 TO 2026-11-22T02:30]", None),
        ["c", "d"]
    );
    assert_eq!(
        lucene_in(
            "@timestamp:[2026-11-22T03:00 TO 2026-11-22T03:30]",
            Some("+01:00")
        ),
        ["c", "d"]
    );
    assert_eq!(
        lucene_in("@timestamp:[2026-11-22T03:00 TO 2026-11-22T03:30]", None),
        Vec::<String>::new()
    );
    assert_eq!(lucene_in("@timestamp:2026-11-22T04:51:21Z", None), ["f"]);
    let t = 1_795_314_000_000i64; // 2026-11-22T02:20:00Z
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"lte": t}}})),
        ["a", "b", "c", "d"]
    );
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"gte": "2026-11-22||/d", "lte": "2026-11-22||/d"}}}))
            .len(),
        6
    );
    assert!(ids(json!({"range": {"@timestamp": {"gte": "now-15m"}}})).is_empty());
    assert_eq!(
        ids(json!({"range": {"@timestamp": {"lte": "now", "gte": "now-10y/y"}}})).len(),
        6
    );
    assert_eq!(
        ids(json!({"range": {"log.offset": {"gt": 20, "lte": 40}}})),
        ["c", "d"]
    );
    assert_eq!(ids(json!({"range": {"log.offset": {"gte": 55.5}}})), ["f"]);
    assert_eq!(
        ids(json!({"exists": {"field": "event.id"}})),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        ids(json!({"exists": {"field": "log.file"}})),
        ["a", "b", "c", "d", "e"]
    );
    assert!(ids(json!({"exists": {"field": "nope"}})).is_empty());
    assert_eq!(
        ids(
            json!({"bool": {"must": [{"match": {"message": "server"}}], "filter": [{"term": {"log.level": "error"}}], "must_not": [{"term": {"host.name": "db-1"}}]}})
        ),
        ["a"]
    );
    assert_eq!(
        ids(json!({"bool": {"must_not": {"term": {"log.level": "error"}}}})),
        ["b", "c", "d"]
    );
    assert_eq!(
        ids(
            json!({"bool": {"should": [{"term": {"log.level": "warn"}}, {"term": {"host.name": "web-1"}}]}})
        ),
        ["a", "b", "c"]
    );
    assert_eq!(
        ids(
            json!({"bool": {"should": [{"term": {"log.level": "error"}}, {"term": {"host.name": "web-1"}}, {"match": {"message": "server"}}], "minimum_should_match": 2}})
        ),
        ["a", "e"]
    );
    assert_eq!(
        ids(
            json!({"bool": {"filter": {"term": {"log.level": "info"}}, "should": [{"term": {"host.name": "nope"}}]}})
        ),
        ["b", "d"]
    );
    assert_eq!(
        ids(json!({"query_string": {"query": "upstream AND host.name:web-2"}})),
        ["c"]
    );
    assert_eq!(
        ids(json!({"query_string": {"query": "log.level:error -host.name:db-1"}})),
        ["a", "f"]
    );
    assert_eq!(
        ids(json!({"query_string": {"query": "\"disk full\""}})),
        ["e"]
    );
    assert_eq!(ids(json!({"query_string": {"query": "*"}})).len(), 6);
    // `F:*` and `_exists_:F` are the DSL's `exists`, alone, negated, and inside larger queries.
    let lucene = |q: &str| ids(json!({"query_string": {"query": q}}));
    assert_eq!(lucene("_exists_:log.file"), ["a", "b", "c", "d", "e"]);
    assert_eq!(lucene("log.file.path:*"), ["a", "b", "c", "d", "e"]);
    assert_eq!(lucene("refused AND -_exists_:log.file"), ["f"]);
    assert_eq!(
        lucene("(log.level:warn OR log.level:info) AND host.name:*"),
        ["b", "c", "d"]
    );
    assert_eq!(lucene("_exists_:message AND _exists_:@timestamp").len(), 6);
    assert!(lucene("_exists_:nope").is_empty());
    // Negations alone match every document without them (ES adds a match_all to such a group).
    assert_eq!(lucene("-host.name:db-1"), ["a", "b", "c", "f"]);
    assert_eq!(lucene("-host.name:db-1 -log.level:error"), ["b", "c"]);
    assert_eq!(lucene("log.level:error AND (-host.name:db-1)"), ["a", "f"]);
    // A negated member of an OR is a negation of the whole, as in ES (`a OR -b` is `a` without `b`).
    assert_eq!(lucene("refused OR -host.name:web-2"), ["a"]);
    assert_eq!(lucene("refused OR NOT host.name:web-2"), ["a"]);
    assert_eq!(lucene("log.level:error AND NOT host.name:db-1"), ["a", "f"]);
    assert_eq!(
        lucene("NOT log.level:error OR NOT host.name:web-1"),
        ["c", "d"]
    );
    // A leaf that yields no query is left out, on either path.
    assert_eq!(lucene("host.name:web-1 AND \"--\""), ["a", "b"]);
    assert_eq!(
        lucene("_exists_:log.file AND host.name:web-1 AND \"--\""),
        ["a", "b"]
    );
    assert_eq!(
        lucene("_exists_:_exists_:log.file"),
        ["a", "b", "c", "d", "e"]
    );
    let r = es.json(
        "POST",
        "/logs/_search",
        json!({"query": {"query_string": {"query": "_exists_:message AND message:(unclosed"}}}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(
        ids(json!({"query_string": {"query": "server refused", "default_operator": "AND"}})),
        ["a"]
    );
    assert_eq!(
        ids(json!({"constant_score": {"filter": {"term": {"host.name": "db-1"}}}})),
        ["d", "e"]
    );
    // `host.name` is text: `web-1` is `web` OR `1`, which every host name holds (as in ES).
    assert_eq!(
        ids(json!({"multi_match": {"query": "web-1", "fields": ["host.name", "message"]}})),
        ["a", "b", "c", "d", "e", "f"]
    );
    assert_eq!(
        ids(json!({"multi_match": {"query": "web-1", "fields": ["host.name.keyword", "message"]}})),
        ["a", "b"]
    );
    // URI search and count with a query.
    let r = es.req("GET", "/logs/_search?q=host.name:web-1&size=1", None);
    assert_eq!(r.body["hits"]["total"]["value"], 2);
    assert_eq!(hits(&r.body).len(), 1);
    let r = es.json(
        "POST",
        "/logs/_count",
        json!({"query": {"match": {"message": "server"}}}),
    );
    assert_eq!(r.body["count"], 4);
}

/// `event.id` equal to `_id` is indexed once (as `_id`); searches, sorts and aggregations on `event.id` must
/// not tell the difference from documents whose `event.id` differs or that have none.
#[test]
fn event_id_equal_to_id_or_not_searches_alike() {
    let es = Es::start();
    let lines = [
        json!({"index": {"_id": "k1"}}),
        json!({"@timestamp": "2026-11-22T01:00:00Z", "message": "same", "event": {"id": "k1", "kind": "event"}}),
        json!({"index": {"_id": "k2"}}),
        json!({"@timestamp": "2026-11-22T01:00:01Z", "message": "dotted line", "event.id": "k2"}),
        json!({"index": {"_id": "k3"}}),
        json!({"@timestamp": "2026-11-22T01:00:02Z", "message": "other", "event": {"id": "j9"}}),
        json!({"index": {"_id": "k4"}}),
        json!({"@timestamp": "2026-11-22T01:00:03Z", "message": "none"}),
    ];
    es.bulk("/evid/_bulk?refresh=true", &lines);
    let ids = |q: Value| es.ids("evid", q);
    let lucene = |q: &str| ids(json!({"query_string": {"query": q}}));

    assert_eq!(ids(json!({"term": {"event.id": "k1"}})), ["k1"]);
    assert_eq!(ids(json!({"term": {"event.id": "j9"}})), ["k3"]);
    assert!(
        ids(json!({"term": {"event.id": "k3"}})).is_empty(),
        "k3 is only an _id"
    );
    assert_eq!(
        ids(json!({"terms": {"event.id": ["k2", "j9", "k4"]}})),
        ["k2", "k3"]
    );
    assert_eq!(ids(json!({"match": {"event.id": "k2"}})), ["k2"]);
    assert_eq!(
        ids(json!({"exists": {"field": "event.id"}})),
        ["k1", "k2", "k3"]
    );
    assert_eq!(
        ids(json!({"range": {"event.id": {"gte": "j", "lte": "k2"}}})),
        ["k1", "k2", "k3"]
    );
    assert_eq!(lucene("event.id:k1 OR event.id:j9"), ["k1", "k3"]);
    assert_eq!(lucene(r#"event.id:"k2""#), ["k2"]);
    assert_eq!(lucene("event.id:[j TO k1]"), ["k1", "k3"]);
    assert_eq!(
        lucene("(message:same OR message:dotted OR message:other) AND -event.id:k1"),
        ["k2", "k3"]
    );
    assert!(lucene("event.id:k3").is_empty(), "k3 is only an _id");
    assert_eq!(lucene("_exists_:event.id"), ["k1", "k2", "k3"]);
    assert_eq!(lucene("message:* AND -event.id:*"), ["k4"]);
    assert_eq!(ids(json!({"term": {"event.kind": "event"}})), ["k1"]);

    // event.id, or another field of the JSON catch-all, as the default field of query_string.
    let in_default =
        |q: &str, field: &str| ids(json!({"query_string": {"query": q, "default_field": field}}));
    assert_eq!(in_default("k1 OR j9", "event.id"), ["k1", "k3"]);
    assert!(in_default("k3", "event.id").is_empty(), "k3 is only an _id");
    assert_eq!(in_default("k2 OR message:none", "event.id"), ["k2", "k4"]);
    assert_eq!(in_default("[j TO k1]", "event.id"), ["k1", "k3"]);
    assert_eq!(in_default("-k1", "event.id"), ["k2", "k3", "k4"]);
    assert_eq!(in_default("event", "event.kind"), ["k1"]);
    let in_fields = |q: &str, and: bool| {
        ids(
            json!({"query_string": {"query": q, "fields": ["message", "event.id"],
                   "default_operator": if and { "AND" } else { "OR" }}}),
        )
    };
    assert_eq!(in_fields("j9 OR dotted", false), ["k2", "k3"]);
    assert_eq!(in_fields("k1 same", true), ["k1"]);
    assert!(in_fields("k1 dotted", true).is_empty());
    // A field that refuses a term (a phrase prefix on a keyword) leaves it to the others.
    assert_eq!(in_fields(r#""dotted li"*"#, false), ["k2"]);
    assert_eq!(in_fields("[j TO k1]", false), ["k1", "k3"]);
    // [* TO *] is "has a value", as in ES.
    assert_eq!(in_default("[* TO *]", "event.id"), ["k1", "k2", "k3"]);
    assert_eq!(in_default("[* TO *]", "event.kind"), ["k1"]);
    assert_eq!(lucene("event.id:[* TO *]"), ["k1", "k2", "k3"]);
    assert_eq!(lucene("event.kind:[* TO *]"), ["k1"]);

    // _source is returned as sent.
    let r = es.search("evid", json!({"query": {"term": {"_id": "k1"}}}));
    assert_eq!(
        hits(&r)[0]["_source"]["event"],
        json!({"id": "k1", "kind": "event"})
    );

    // Sorting and aggregating read every event.id.
    let r = es.search(
        "evid",
        json!({"sort": [{"event.id": "desc"}], "size": 10,
               "aggs": {"ids": {"terms": {"field": "event.id"}}, "n": {"cardinality": {"field": "event.id"}}}}),
    );
    let order: Vec<String> = hits(&r)
        .iter()
        .map(|h| h["_id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(order, ["k2", "k1", "k3", "k4"], "{r}");
    assert_eq!(bucket_counts(&r["aggregations"]["ids"]).len(), 3, "{r}");
    assert_eq!(r["aggregations"]["n"]["value"], json!(3), "{r}");
}
