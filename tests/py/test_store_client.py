"""Drive the logpipe store with the official Elasticsearch Python client.

Usage: python3 tests/py/test_store_client.py http://127.0.0.1:PORT

Exits 0 when every check passes; any failed assertion or client error exits non-zero. The client checks the
X-Elastic-Product header and the (compatible-with) media type of every response, so merely getting answers
proves the store speaks the protocol the client expects.
"""

import sys

from elasticsearch import BadRequestError, ConflictError, Elasticsearch, NotFoundError, helpers


def main(url: str) -> None:
    es = Elasticsearch(url, request_timeout=30)
    info = es.info()
    assert info["version"]["number"].startswith("8."), info
    assert info["tagline"] == "You Know, for Search"

    actions = [
        {
            "_index": "pylogs-2026.11.22",
            "_id": f"ev-{i}",
            "_source": {
                "@timestamp": f"2026-11-22T04:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
                "message": f"request {i} {'failed' if i % 10 == 0 else 'ok'}",
                "host": {"name": f"web-{i % 3}"},
                "log": {"offset": i},
                "event": {"id": f"ev-{i}"},
            },
        }
        for i in range(500)
    ]
    ok, errors = helpers.bulk(es, actions)
    assert ok == 500 and not errors, (ok, errors)
    # Durable on return, searchable after a refresh (periodic, or asked for as here).
    es.indices.refresh(index="pylogs-*")
    # Replaying the same events overwrites them.
    ok, errors = helpers.bulk(es, actions[:50], refresh="wait_for")
    assert ok == 50 and not errors

    assert es.indices.exists(index="pylogs-2026.11.22")
    assert not es.indices.exists(index="nope")
    assert es.count(index="pylogs-*")["count"] == 500

    resp = es.search(
        index="pylogs-*",
        query={"bool": {"must": [{"match": {"message": "failed"}}], "filter": [{"term": {"host.name": "web-0"}}]}},
        sort=[{"@timestamp": {"order": "desc"}}],
        size=5,
        highlight={"fields": {"message": {}}},
    )
    hits = resp["hits"]["hits"]
    # i % 10 == 0 and i % 3 == 0 -> i % 30 == 0 -> 17 docs in 0..500
    assert resp["hits"]["total"]["value"] == 17, resp["hits"]["total"]
    assert [h["_id"] for h in hits] == ["ev-480", "ev-450", "ev-420", "ev-390", "ev-360"], [h["_id"] for h in hits]
    assert hits[0]["highlight"]["message"] == ["request 480 <em>failed</em>"], hits[0]

    # search_after paging through everything.
    seen = []
    after = None
    while True:
        kwargs = {"search_after": after} if after else {}
        page = es.search(index="pylogs-2026.11.22", sort=[{"@timestamp": "asc"}, {"event.id": "asc"}], size=100, **kwargs)
        page_hits = page["hits"]["hits"]
        if not page_hits:
            break
        seen.extend(h["_id"] for h in page_hits)
        after = page_hits[-1]["sort"]
    assert len(seen) == 500 and len(set(seen)) == 500, len(seen)

    aggs = es.search(
        index="pylogs-*",
        size=0,
        aggs={
            "hosts": {"terms": {"field": "host.name"}},
            "per_min": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1m"}},
        },
    )["aggregations"]
    assert sorted((b["key"], b["doc_count"]) for b in aggs["hosts"]["buckets"]) == [
        ("web-0", 167),
        ("web-1", 167),
        ("web-2", 166),
    ], aggs["hosts"]
    assert sum(b["doc_count"] for b in aggs["per_min"]["buckets"]) == 500

    # msearch (as Grafana's data source sends it) and a single-document delete.
    multi = es.msearch(
        searches=[
            {"index": "pylogs-*"},
            {"size": 0, "query": {"term": {"host.name": "web-1"}}},
            {"index": "missing-index"},
            {"query": {"match_all": {}}},
        ]
    )["responses"]
    assert [r["status"] for r in multi] == [200, 404], multi
    assert multi[0]["hits"]["total"]["value"] == 167, multi[0]
    assert es.delete(index="pylogs-2026.11.22", id=seen[0], refresh=True)["result"] == "deleted"
    assert es.count(index="pylogs-*")["count"] == 499

    try:
        es.search(index="missing-index", query={"match_all": {}})
        raise AssertionError("expected NotFoundError")
    except NotFoundError as e:
        assert e.error == "index_not_found_exception", e.error

    # As Elasticsearch 8 (action.destructive_requires_name): a wildcard delete is refused, a named one works.
    try:
        es.indices.delete(index="pylogs-*")
        raise AssertionError("expected the wildcard delete to be refused")
    except BadRequestError as e:
        assert e.error == "illegal_argument_exception", e.error
    es.indices.delete(index="pylogs-2026.11.22")
    assert not es.indices.exists(index="pylogs-2026.11.22")

    # Versions and optimistic concurrency control, as the client's users write them.
    first = es.index(index="pyversions", id="v", document={"n": 1})
    assert (first["result"], first["_version"], first["_seq_no"]) == ("created", 1, 0), first
    second = es.index(index="pyversions", id="v", document={"n": 2})
    assert (second["result"], second["_version"], second["_seq_no"]) == ("updated", 2, 1), second
    got = es.get(index="pyversions", id="v")
    assert (got["_version"], got["_seq_no"], got["_primary_term"]) == (2, 1, 1), got
    try:
        es.index(index="pyversions", id="v", document={"n": 3}, if_seq_no=0, if_primary_term=1)
        raise AssertionError("expected a version conflict")
    except ConflictError as e:
        assert e.error == "version_conflict_engine_exception", e.error
    third = es.index(index="pyversions", id="v", document={"n": 3}, if_seq_no=1, if_primary_term=1)
    assert (third["_version"], third["_seq_no"]) == (3, 2), third

    # A closed index refuses searches until it is opened again.
    closed = es.indices.close(index="pyversions")
    assert closed["indices"] == {"pyversions": {"closed": True}}, closed
    try:
        es.search(index="pyversions")
        raise AssertionError("expected index_closed_exception")
    except BadRequestError as e:
        assert e.error == "index_closed_exception", e.error
    es.indices.open(index="pyversions")
    assert es.count(index="pyversions")["count"] == 1
    print("python client checks passed")


if __name__ == "__main__":
    main(sys.argv[1])
