//! Hits: sort, paging, `_source`, highlight, totals.

use crate::check::{case, check};
use crate::common::*;
use serde_json::{json, Value};

#[test]
fn sort_paging_source_highlight_total() {
    let es = Es::start();
    let mut lines = Vec::new();
    for i in 0..25 {
        lines.push(json!({"index": {"_id": format!("d{i:02}")}}));
        // Pairs of documents share a timestamp: paging must use the tiebreaker.
        lines.push(json!({"@timestamp": 1_763_769_600_000i64 + (i / 2) * 1000, "message": format!("event number {i}"), "seq": i, "host": {"name": format!("h{}", i % 3)}, "event": {"id": format!("d{i:02}")}}));
    }
    es.bulk("/p/_bulk?refresh=true", &lines);

    // search_after paging, desc on @timestamp with event.id as tiebreaker.
    let mut seen = Vec::new();
    let mut after: Option<Value> = None;
    loop {
        let mut body = json!({"size": 10, "sort": [{"@timestamp": {"order": "desc"}}, {"event.id": "asc"}], "query": {"match_all": {}}});
        if let Some(a) = &after {
            body["search_after"] = a.clone();
        }
        let r = es.search("p", body);
        let page = hits(&r);
        if page.is_empty() {
            break;
        }
        assert_eq!(r["hits"]["total"]["value"], 25);
        for h in &page {
            assert!(h["_score"].is_null());
            seen.push(h["_source"]["seq"].as_i64().unwrap_or(-1));
        }
        after = page.last().map(|h| h["sort"].clone());
        assert!(seen.len() <= 25, "paging does not terminate");
    }
    let mut expected: Vec<i64> = (0..25).collect();
    expected.sort_by_key(|i| (-(i / 2), *i));
    assert_eq!(seen, expected);

    // Sort value shape and from/size.
    let r = es.search(
        "p",
        json!({"sort": [{"@timestamp": "asc"}], "from": 3, "size": 2}),
    );
    let page = hits(&r);
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["sort"], json!([1_763_769_601_000i64]));
    // Keyword sort and string sort form.
    let r = es.search(
        "p",
        json!({"sort": [{"host.name": "desc"}, "seq"], "size": 3}),
    );
    let seqs: Vec<i64> = hits(&r)
        .iter()
        .map(|h| h["_source"]["seq"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(seqs, [2, 5, 8]);
    assert_eq!(hits(&r)[0]["sort"], json!(["h2", 2]));
    // Numeric field sort desc.
    let r = es.search(
        "p",
        json!({"sort": [{"seq": {"order": "desc"}}], "size": 1}),
    );
    assert_eq!(hits(&r)[0]["_source"]["seq"], 24);

    // _source filtering.
    let r = es.search(
        "p",
        json!({"_source": ["host.name"], "size": 1, "sort": ["seq"]}),
    );
    assert_eq!(hits(&r)[0]["_source"], json!({"host": {"name": "h0"}}));
    let r = es.search(
        "p",
        json!({"_source": {"excludes": ["host", "event.*"]}, "size": 1, "sort": ["seq"]}),
    );
    assert_eq!(
        hits(&r)[0]["_source"],
        json!({"@timestamp": 1_763_769_600_000i64, "message": "event number 0", "seq": 0, "event": {}})
    );
    let r = es.search("p", json!({"_source": false, "size": 1}));
    assert!(hits(&r)[0].get("_source").is_none());

    // track_total_hits.
    let r = es.search("p", json!({"track_total_hits": false, "size": 0}));
    assert!(r["hits"].get("total").is_none());
    let r = es.search("p", json!({"track_total_hits": 10, "size": 0}));
    assert_eq!(r["hits"]["total"], json!({"value": 10, "relation": "gte"}));
    let r = es.search("p", json!({"track_total_hits": true, "size": 0}));
    assert_eq!(r["hits"]["total"], json!({"value": 25, "relation": "eq"}));

    // Relevance order and highlight.
    let r = es.search("p", json!({"query": {"match": {"message": "number 7"}}, "highlight": {"fields": {"message": {}}}}));
    let top = &hits(&r)[0];
    assert_eq!(top["_id"], "d07");
    assert!(top["_score"].as_f64().unwrap_or(0.0) > 0.0);
    assert!(r["hits"]["max_score"].as_f64().is_some());
    assert_eq!(
        top["highlight"]["message"],
        json!(["event <em>number</em> <em>7</em>"])
    );
    let r = es.search(
        "p",
        json!({"query": {"query_string": {"query": "event AND seq:3"}}, "highlight": {"pre_tags": ["<b>"], "post_tags": ["</b>"], "fields": {"message": {}}}}),
    );
    assert_eq!(
        hits(&r)[0]["highlight"]["message"],
        json!(["<b>event</b> number 3"])
    );
}

#[test]
fn keyword_sort_pages_across_segments_and_indices() {
    let es = Es::start();
    // Three bulks into two indices: several segments whose term dictionaries differ ("m-host" exists only in
    // the last one, so a search_after key is missing from the others).
    let hosts_per_bulk = [
        vec!["b-host", "d-host", "f-host"],
        vec!["a-host", "d-host", "z-host"],
        vec!["m-host", "b-host"],
    ];
    let mut expected: Vec<(String, String)> = Vec::new();
    for (bulk, hosts) in hosts_per_bulk.iter().enumerate() {
        let mut lines = Vec::new();
        for (i, host) in hosts.iter().enumerate() {
            for copy in 0..2 {
                let id = format!("k{bulk}{i}{copy}");
                let index = if copy == 0 { "kw-a" } else { "kw-b" };
                lines.push(json!({"index": {"_index": index, "_id": id}}));
                lines.push(json!({"@timestamp": "2026-11-22T00:00:00Z", "message": "m", "host": {"name": host}, "event": {"id": id}}));
                expected.push((host.to_string(), id));
            }
        }
        // One document without the field: sorted last.
        lines.push(json!({"index": {"_index": "kw-a", "_id": format!("none{bulk}")}}));
        lines.push(json!({"@timestamp": "2026-11-22T00:00:00Z", "message": "m", "event": {"id": format!("none{bulk}")}}));
        let r = es.bulk("/_bulk?refresh=true", &lines);
        assert_eq!(r["errors"], json!(false), "{r}");
    }
    expected.sort();
    let mut want: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    want.extend((0..3).map(|b| format!("none{b}")));

    let mut got: Vec<String> = Vec::new();
    let mut after: Option<Value> = None;
    let mut pages = 0;
    loop {
        let mut body = json!({"size": 4, "sort": [{"host.name": "asc"}, {"event.id": "asc"}]});
        if let Some(a) = &after {
            body["search_after"] = a.clone();
        }
        let page = hits(&es.search("kw-*", body));
        if page.is_empty() {
            break;
        }
        pages += 1;
        got.extend(
            page.iter()
                .map(|h| h["_id"].as_str().unwrap_or("").to_string()),
        );
        after = page.last().map(|h| h["sort"].clone());
        assert!(pages < 20, "paging does not end: {got:?}");
    }
    assert_eq!(got, want);

    // A search_after key no segment holds: everything after it, in order.
    let r = es.search(
        "kw-*",
        json!({"size": 100, "sort": [{"host.name": "asc"}, {"event.id": "asc"}], "search_after": ["c-host", ""]}),
    );
    let first: Vec<Value> = hits(&r)
        .iter()
        .take(2)
        .map(|h| h["sort"][0].clone())
        .collect();
    assert_eq!(first, [json!("d-host"), json!("d-host")]);
    assert_eq!(
        hits(&r).len(),
        want.len() - 6,
        "a-host ×2 and b-host ×4 come before c-host"
    );
    // An empty sort is the default order.
    let r = es.search("kw-*", json!({"size": 3, "sort": []}));
    assert_eq!(hits(&r).len(), 3);
    // Descending.
    let r = es.search("kw-*", json!({"size": 3, "sort": [{"host.name": "desc"}]}));
    let top: Vec<Value> = hits(&r).iter().map(|h| h["sort"][0].clone()).collect();
    assert_eq!(top, [json!("z-host"), json!("z-host"), json!("m-host")]);
}

/// URL parameters and body keys of `_search` that shape hits, as ES's reference documents them (search
/// API: `rest_total_hits_as_int`, `_source`, `_source_includes`, `_source_excludes`, `stored_fields`,
/// `docvalue_fields`; request body: `fields`, `version`, `seq_no_primary_term`, `profile`).
#[test]
fn hit_shaping_parameters_as_es_reference() {
    let es = Es::start();
    sample(&es);
    let one = r#"{"query": {"ids": {"values": ["a"]}}}"#;
    let hit = |h: serde_json::Value| json!({"hits": {"hits": [h]}});
    check(
        &es,
        &[
            // `rest_total_hits_as_int`: the total as a number, counted exactly (past 10,000 too).
            case("GET", "/logs/_search?rest_total_hits_as_int=true&size=0")
                .json(json!({"hits": {"total": 6}})),
            case("GET", "/logs/_search?rest_total_hits_as_int&track_total_hits=false&size=0")
                .json(json!({"hits": {"total": -1}})),
            case("GET", "/logs/_search?rest_total_hits_as_int=true&track_total_hits=3")
                .status(400)
                .json(json!({"error": {"type": "illegal_argument_exception", "reason":
                    "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got 3"}})),
            case("GET", "/logs/_search?size=0").json(json!({"hits": {"total": {"value": 6, "relation": "eq"}}})),
            // `_source` in the URL replaces the body's.
            case("POST", "/logs/_search?_source=false").body(one)
                .json(hit(json!({"_id": "a", "_index": "logs"})))
                .absent("/hits/hits/0/_source"),
            case("POST", "/logs/_search?_source=host.name").body(one)
                .json(hit(json!({"_source": {"host": {"name": "web-1"}}}))),
            case("POST", "/logs/_search?_source_includes=log.*&_source_excludes=log.file")
                .body(r#"{"query": {"ids": {"values": ["a"]}}, "_source": false}"#)
                .json(hit(json!({"_source": {"log": {"level": "error", "offset": 10}}}))),
            case("POST", "/logs/_search?_source_excludes=log,event,message,@timestamp").body(one)
                .json(hit(json!({"_source": {"host": {"name": "web-1"}}}))),
            // `stored_fields` drops `_source` unless it is asked for; `_none_` drops `_id` too.
            case("POST", "/logs/_search?stored_fields=host.name").body(one)
                .json(hit(json!({"_id": "a"})))
                .absent("/hits/hits/0/_source"),
            case("POST", "/logs/_search")
                .body(r#"{"query": {"ids": {"values": ["a"]}}, "stored_fields": "_none_"}"#)
                .json(hit(json!({"_index": "logs"})))
                .absent("/hits/hits/0/_source")
                .absent("/hits/hits/0/_id"),
            case("POST", "/logs/_search?stored_fields=x&_source=host.name").body(one)
                .json(hit(json!({"_source": {"host": {"name": "web-1"}}}))),
            // `docvalue_fields` (and the `fields` API): values in arrays, dates in their format.
            case("POST", "/logs/_search?docvalue_fields=log.level").body(one)
                .json(hit(json!({"fields": {"log.level": ["error"]}}))),
            case("POST", "/logs/_search")
                .body(r#"{"query": {"ids": {"values": ["a"]}}, "_source": false,
                    "docvalue_fields": [{"field": "@timestamp", "format": "epoch_millis"}, "host.name.keyword"],
                    "fields": ["log.o*"]}"#)
                .json(hit(json!({"fields": {"@timestamp": ["1795309200000"],
                    "host.name.keyword": ["web-1"], "log.offset": [10]}}))),
            case("POST", "/logs/_search")
                .body(r#"{"query": {"ids": {"values": ["a"]}}, "fields": ["@timestamp"], "version": true, "seq_no_primary_term": true}"#)
                .json(hit(json!({"fields": {"@timestamp": ["2026-11-22T01:00:00.000Z"]},
                    "_version": 1, "_primary_term": 1}))),
            // `version` and `seq_no_primary_term` in the URL replace the body's.
            case("POST", "/logs/_search?version=true&seq_no_primary_term").body(one)
                .json(hit(json!({"_id": "a", "_version": 1, "_seq_no": 0, "_primary_term": 1}))),
            case("POST", "/logs/_search?version=false")
                .body(r#"{"query": {"ids": {"values": ["a"]}}, "version": true}"#)
                .json(hit(json!({"_id": "a"})))
                .absent("/hits/hits/0/_version"),
            case("POST", "/logs/_search?version=yes").body(one).status(400)
                .json(json!({"error": {"type": "illegal_argument_exception",
                    "reason": "Failed to parse value [yes] only [true] or [false] are allowed."}})),
            // `profile: true` is taken; each shard is listed.
            case("POST", "/logs/_search").body(r#"{"profile": true, "size": 0}"#)
                .json(json!({"profile": {"shards": [{"index": "logs", "shard_id": 0}]}})),
        ],
    );
}

/// Sorting on and ranges over a date field other than `@timestamp`, as ES's reference describes them: a
/// field mapped as `date` (dynamically, from its first value, or explicitly) sorts by time, not by its text,
/// shows epoch millis or the sort's `format`, and `search_after` takes either; `range` compares times, with
/// date math; a `keyword` field whose values look like dates still sorts as text.
#[test]
fn date_fields_sort_and_range_by_time() {
    let es = Es::start();
    let created = |id: &str, created: Option<&str>| {
        let mut source = json!({"@timestamp": "2026-11-22T05:00:00Z", "message": id});
        if let Some(c) = created {
            source["event"] = json!({"created": c});
        }
        [json!({"index": {"_id": id}}), source]
    };
    // By text the order is d3, d2, d1; by time it is d1 (01:00Z), d2 (02:00Z), d3 (02:30Z).
    let lines: Vec<Value> = [
        created("d1", Some("2026-11-22T03:00:00+02:00")),
        // Not RFC 3339 (a space, no offset): a string to the index, still a date to the mapping.
        created("d2", Some("2026-11-22 02:00:00")),
        created("d3", Some("2026-11-21T23:30:00-03:00")),
        created("d5", None),
    ]
    .into_iter()
    .flatten()
    .collect();
    let r = es.bulk("/events/_bulk?refresh=true", &lines);
    assert_eq!(r["errors"], json!(false), "{r}");
    let put = es.json(
        "PUT",
        "/typed",
        json!({"mappings": {"properties": {"when": {"type": "date"}, "code": {"type": "keyword"}}}}),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let typed = [
        json!({"index": {"_id": "t1"}}),
        json!({"@timestamp": "2026-11-22T05:00:00Z", "when": 1_795_309_200_000i64, "code": "2026-11-22"}),
        json!({"index": {"_id": "t2"}}),
        json!({"@timestamp": "2026-11-22T05:00:00Z", "when": "2026-11-22T00:30:00Z", "code": "2026-01-01"}),
    ];
    let r = es.bulk("/typed/_bulk?refresh=true", &typed);
    assert_eq!(r["errors"], json!(false), "{r}");
    let page = |ids_sorts: &[(&str, Value)]| {
        let hits: Vec<Value> = ids_sorts
            .iter()
            .map(|(id, sort)| json!({"_id": id, "sort": sort}))
            .collect();
        json!({"hits": {"hits": hits}})
    };
    check(
        &es,
        &[
            case("POST", "/events/_search?size=3")
                .body(r#"{"sort": [{"event.created": "asc"}]}"#)
                .json(page(&[
                    ("d1", json!([1_795_309_200_000i64])),
                    ("d2", json!([1_795_312_800_000i64])),
                    ("d3", json!([1_795_314_600_000i64])),
                ])),
            case("POST", "/events/_search?size=2")
                .body(r#"{"sort": [{"event.created": {"order": "desc", "format": "strict_date_optional_time"}}]}"#)
                .json(page(&[
                    ("d3", json!(["2026-11-22T02:30:00.000Z"])),
                    ("d2", json!(["2026-11-22T02:00:00.000Z"])),
                ])),
            // `search_after` with the millis of a hit, or with its formatted value.
            case("POST", "/events/_search?size=2")
                .body(r#"{"sort": [{"event.created": "asc"}], "search_after": [1795309200000]}"#)
                .json(page(&[
                    ("d2", json!([1_795_312_800_000i64])),
                    ("d3", json!([1_795_314_600_000i64])),
                ])),
            case("POST", "/events/_search?size=1")
                .body(r#"{"sort": [{"event.created": {"order": "asc", "format": "strict_date_optional_time"}}],
                    "search_after": ["2026-11-22T02:00:00.000Z"]}"#)
                .json(page(&[("d3", json!(["2026-11-22T02:30:00.000Z"]))])),
            case("POST", "/events/_search?size=1")
                .body(r#"{"sort": [{"event.created": {"order": "asc", "format": "epoch_second"}}],
                    "search_after": ["1795309200"]}"#)
                .json(page(&[("d2", json!(["1795312800"]))])),
            // A document without the date shows the `long` that sorts where it is, as ES does: the largest
            // last ascending (or first descending), else the smallest; `search_after` takes it back.
            case("POST", "/events/_search?size=4")
                .body(r#"{"sort": [{"event.created": "asc"}]}"#)
                .json(page(&[
                    ("d1", json!([1_795_309_200_000i64])),
                    ("d2", json!([1_795_312_800_000i64])),
                    ("d3", json!([1_795_314_600_000i64])),
                    ("d5", json!([i64::MAX])),
                ])),
            case("POST", "/events/_search?size=1")
                .body(r#"{"sort": [{"event.created": "desc"}], "search_after": [1795309200000]}"#)
                .json(page(&[("d5", json!([i64::MIN]))])),
            case("POST", "/events/_search?size=1")
                .body(r#"{"sort": [{"event.created": {"order": "asc", "missing": "_first"}}]}"#)
                .json(page(&[("d5", json!([i64::MIN]))])),
            case("POST", "/events/_search?size=1")
                .body(r#"{"sort": [{"event.created": {"order": "desc", "missing": "_first"}}]}"#)
                .json(page(&[("d5", json!([i64::MAX]))])),
            // Under a `format`, that `long` is printed as a date too, as java.time prints it.
            case("POST", "/events/_search?size=1")
                .body(r#"{"sort": [{"event.created": {"order": "desc", "missing": "_first", "format": "strict_date_optional_time"}}]}"#)
                .json(page(&[("d5", json!(["+292278994-08-17T07:12:55.807Z"]))])),
            case("POST", "/events/_search")
                .body(r#"{"sort": [{"event.created": "asc"}], "search_after": [9223372036854775807]}"#)
                .json(json!({"hits": {"hits": []}})),
            case("POST", "/events/_search")
                .body(r#"{"sort": [{"event.created": {"order": "asc", "missing": "_first"}}],
                    "search_after": [-9223372036854775808], "size": 1}"#)
                .json(page(&[("d1", json!([1_795_309_200_000i64]))])),
            // `@timestamp` takes a `format` too.
            case("POST", "/events/_search?size=1")
                .body(r#"{"sort": [{"@timestamp": {"order": "asc", "format": "yyyy-MM-dd HH:mm"}}, {"event.created": "asc"}]}"#)
                .json(page(&[("d1", json!(["2026-11-22 05:00", 1_795_309_200_000i64]))])),
            // The `fields` of a date field are dates in UTC, as ES writes them.
            case("POST", "/events/_search")
                .body(r#"{"query": {"ids": {"values": ["d1"]}}, "fields": ["event.created"]}"#)
                .json(json!({"hits": {"hits": [{"fields": {"event.created": ["2026-11-22T01:00:00.000Z"]}}]}})),
            // Explicitly mapped: numbers are epoch millis; a `keyword` holding dates sorts as text.
            case("POST", "/typed/_search")
                .body(r#"{"sort": [{"when": "asc"}]}"#)
                .json(page(&[
                    ("t2", json!([1_795_307_400_000i64])),
                    ("t1", json!([1_795_309_200_000i64])),
                ])),
            case("POST", "/typed/_search")
                .body(r#"{"sort": [{"code": "desc"}]}"#)
                .json(page(&[("t1", json!(["2026-11-22"])), ("t2", json!(["2026-01-01"]))])),
            // `range` on such a field compares times (by text only d2 is inside), with date math.
            case("POST", "/events/_search")
                .body(r#"{"query": {"range": {"event.created": {"gte": "2026-11-22T00:30:00Z", "lte": "2026-11-22T02:00:00Z"}}},
                    "sort": [{"event.created": "asc"}]}"#)
                .json(page(&[
                    ("d1", json!([1_795_309_200_000i64])),
                    ("d2", json!([1_795_312_800_000i64])),
                ])),
            case("POST", "/events/_count")
                .body(r#"{"query": {"range": {"event.created": {"gte": "2026-11-22T02:00:00Z||-1h", "lt": "2026-11-22T02:30:00Z"}}}}"#)
                .json(json!({"count": 2})),
            case("POST", "/typed/_search")
                .body(r#"{"query": {"range": {"when": {"gte": 1795307400000, "lte": "2026-11-22T01:00:00Z"}}}, "sort": [{"when": "desc"}]}"#)
                .json(page(&[
                    ("t1", json!([1_795_309_200_000i64])),
                    ("t2", json!([1_795_307_400_000i64])),
                ])),
            case("POST", "/typed/_count")
                .body(r#"{"query": {"range": {"when": {"gt": "2026-11-22T00:30:00Z"}}}}"#)
                .json(json!({"count": 1})),
        ],
    );
}

/// A `range` query's `format` and `time_zone` (ES's range query reference: the bounds are read in the
/// format, local ones in the zone, date math after `||`), and `query_string` ranges (`F:[a TO b]`,
/// `F:>a`) on a field mapped as a date compared as times, as the `range` query compares them.
#[test]
fn date_ranges_in_formats_zones_and_query_strings() {
    let es = Es::start();
    // By time: d1 01:00Z, d2 02:00Z, d3 02:30Z; d5 has none.
    let lines: Vec<Value> = [
        ("d1", Some("2026-11-22T03:00:00+02:00")),
        ("d2", Some("2026-11-22 02:00:00")),
        ("d3", Some("2026-11-21T23:30:00-03:00")),
        ("d5", None),
    ]
    .into_iter()
    .flat_map(|(id, created)| {
        let mut source = json!({"@timestamp": "2026-11-22T05:00:00Z", "message": id});
        if let Some(c) = created {
            source["event"] = json!({"created": c});
        }
        [json!({"index": {"_id": id}}), source]
    })
    .collect();
    let r = es.bulk("/events/_bulk?refresh=true", &lines);
    assert_eq!(r["errors"], json!(false), "{r}");
    let count = |query: Value, n: u64| {
        case("POST", "/events/_count")
            .body(json!({ "query": query }).to_string())
            .json(json!({ "count": n }))
    };
    let range = |params: Value| json!({"range": {"event.created": params}});
    let qs = |q: &str| json!({"query_string": {"query": q}});
    check(
        &es,
        &[
            count(range(json!({"gte": "22/11/2026 01:30", "lte": "22/11/2026 02:00", "format": "dd/MM/yyyy HH:mm"})), 1),
            count(range(json!({"gte": "22/11/2026", "format": "dd/MM/yyyy||yyyy"})), 3),
            count(range(json!({"gte": "2026", "lt": "22/11/2026||+2h", "format": "dd/MM/yyyy||yyyy"})), 1),
            count(range(json!({"lt": 1_795_312_800, "format": "epoch_second"})), 1),
            // `lte` and `gt` read a date to the last millisecond it covers (the whole day here).
            count(range(json!({"lte": "2026-11-22"})), 3),
            count(range(json!({"gt": "2026-11-22"})), 0),
            count(range(json!({"gte": "2026-11-22", "lt": "2026-11-22"})), 0),
            count(range(json!({"gt": "2026-11-22T01:59"})), 2),
            // A term on a date matches the time the date covers.
            count(json!({"term": {"@timestamp": "2026-11-22"}}), 4),
            count(json!({"term": {"@timestamp": "2026-11-22T05:00:00Z"}}), 4),
            count(json!({"term": {"@timestamp": "2026-11-21"}}), 0),
            // Local times of the zone: 03:30 at +02:00 is 01:30Z.
            count(range(json!({"gte": "2026-11-22T03:30:00", "time_zone": "+02:00"})), 2),
            count(range(json!({"gte": "2026-11-22T01:30:00Z", "time_zone": "+02:00"})), 2),
            count(range(json!({"lt": "22/11/2026 03:30", "format": "dd/MM/yyyy HH:mm", "time_zone": "Europe/Berlin"})), 2),
            case("POST", "/events/_count")
                .body(json!({"query": range(json!({"gte": "2026-11-22", "format": "dd/MM/yyyy"}))}).to_string())
                .status(400),
            case("POST", "/events/_count")
                .body(json!({"query": range(json!({"gte": "2026-11-22", "time_zone": "Mars/Olympus"}))}).to_string())
                .status(400),
            // query_string: by text only d2 would be in these (`2026-11-22 02:00:00` sorts before `T`).
            count(qs("event.created:[2026-11-22T00:30:00Z TO 2026-11-22T02:00:00Z]"), 2),
            count(qs("event.created:{2026-11-22T01:00:00Z TO 2026-11-22T02:30:00Z]"), 2),
            count(qs("event.created:[* TO 2026-11-22T01:30:00Z]"), 1),
            count(qs("event.created:>2026-11-22T02:00:00Z"), 1),
            count(qs("event.created:>=2026-11-22T02:00:00Z AND message:d3"), 1),
            count(qs("event.created:[now-100y TO now+100y]"), 3),
            count(qs("event.created:[2026-11-22||+1h TO 2026-11-22||+2h]"), 2),
            count(qs("event.created:[* TO *]"), 3),
            count(qs("NOT event.created:<2026-11-22T02:00:00Z"), 3),
            case("POST", "/events/_count")
                .body(json!({"query": qs("event.created:[yesterday TO now]")}).to_string())
                .status(400),
        ],
    );
}
