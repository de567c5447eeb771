//! Single-document reads as ES's reference documents them (get API): `GET` and `HEAD /{index}/_doc/{id}`,
//! with source filtering by `_source`, `_source_includes`, `_source_excludes` and `stored_fields`.

use crate::check::{case, check};
use crate::common::*;
use serde_json::json;

#[test]
fn get_and_head_of_a_document() {
    let es = Es::start();
    sample(&es);
    check(
        &es,
        &[
            case("HEAD", "/logs/_doc/a").text(""),
            case("HEAD", "/logs/_doc/zz").status(404).text(""),
            case("HEAD", "/nothere/_doc/a").status(404).text(""),
            case("GET", "/logs/_doc/a").json(json!({"_index": "logs", "_id": "a", "found": true,
                "_source": {"host": {"name": "web-1"}, "log": {"level": "error"}}})),
            case("GET", "/logs/_doc/a?_source=false")
                .json(json!({"_id": "a", "found": true}))
                .absent("/_source"),
            case("GET", "/logs/_doc/a?_source=host.name,log.level")
                .json(json!({
                "_source": {"host": {"name": "web-1"}, "log": {"level": "error"}}}))
                .absent("/_source/message"),
            case(
                "GET",
                "/logs/_doc/a?_source_includes=log.*&_source_excludes=log.file.*",
            )
            .json(json!({"_source": {"log": {"level": "error", "offset": 10}}}))
            .absent("/_source/log/file/path")
            .absent("/_source/host"),
            case("GET", "/logs/_doc/a?_source_excludes=message")
                .json(json!({"_source": {"host": {"name": "web-1"}}}))
                .absent("/_source/message"),
            case("GET", "/logs/_doc/a?stored_fields=host.name")
                .json(json!({"found": true}))
                .absent("/_source"),
            case("GET", "/logs/_doc/zz?_source=false")
                .status(404)
                .json(json!({"_index": "logs", "_id": "zz", "found": false})),
        ],
    );
}
