//! Document versions and sequence numbers as ES's reference documents them (index, get, delete and bulk
//! APIs; optimistic concurrency control): `_seq_no` counts the operations of an index from 0, `_version`
//! counts the writes of one `_id` from 1, `result` says `created` or `updated`, and `if_seq_no` /
//! `if_primary_term` make a write conditional (409 `version_conflict_engine_exception` otherwise, 400
//! `action_request_validation_exception` when given wrongly). Both survive a restart.

use crate::check::{case, check};
use crate::common::*;
use serde_json::json;

fn conflict(reason: &str) -> serde_json::Value {
    json!({"error": {"root_cause": [{"type": "version_conflict_engine_exception", "reason": reason}],
        "type": "version_conflict_engine_exception", "reason": reason, "index": "app"}, "status": 409})
}

fn invalid(reason: &str) -> serde_json::Value {
    json!({"error": {"type": "action_request_validation_exception", "reason": reason}, "status": 400})
}

#[test]
fn single_document_writes_count_versions_and_sequence_numbers() {
    let es = Es::start();
    check(
        &es,
        &[
            case("PUT", "/app/_doc/1").body(r#"{"n":1}"#).status(201).json(json!({
                "_index": "app", "_id": "1", "_version": 1, "result": "created",
                "_seq_no": 0, "_primary_term": 1})),
            case("PUT", "/app/_doc/1").body(r#"{"n":2}"#).json(json!({
                "_version": 2, "result": "updated", "_seq_no": 1, "_primary_term": 1})),
            case("POST", "/app/_doc/2").body(r#"{"n":1}"#).status(201).json(json!({
                "_id": "2", "_version": 1, "result": "created", "_seq_no": 2})),
            case("PUT", "/app/_create/2").body(r#"{"n":9}"#).status(409).json(conflict(
                "[2]: version conflict, document already exists (current version [1])",
            )),
            case("GET", "/app/_doc/1").json(json!({"_index": "app", "_id": "1", "_version": 2,
                "_seq_no": 1, "_primary_term": 1, "found": true, "_source": {"n": 2}})),
            // Optimistic concurrency control: the write applies only to the document as it was read.
            case("PUT", "/app/_doc/1?if_seq_no=0&if_primary_term=1")
                .body(r#"{"n":3}"#)
                .status(409)
                .json(conflict(
                    "[1]: version conflict, required seqNo [0], primary term [1]. current document \
                     has seqNo [1] and primary term [1]",
                )),
            case("PUT", "/app/_doc/1?if_seq_no=1&if_primary_term=2")
                .body(r#"{"n":3}"#)
                .status(409)
                .json(conflict(
                    "[1]: version conflict, required seqNo [1], primary term [2]. current document \
                     has seqNo [1] and primary term [1]",
                )),
            case("PUT", "/app/_doc/1?if_seq_no=1&if_primary_term=1")
                .body(r#"{"n":3}"#)
                .json(json!({"_version": 3, "result": "updated", "_seq_no": 3})),
            case("PUT", "/app/_doc/9?if_seq_no=1&if_primary_term=1")
                .body(r#"{"n":3}"#)
                .status(409)
                .json(conflict(
                    "[9]: version conflict, required seqNo [1], primary term [1]. but no document \
                     was found",
                )),
            case("PUT", "/app/_doc/1?if_seq_no=3")
                .body(r#"{"n":4}"#)
                .status(400)
                .json(invalid(
                    "Validation Failed: 1: ifSeqNo is set, but primary term is [0];",
                )),
            case("PUT", "/app/_doc/1?if_primary_term=1")
                .body(r#"{"n":4}"#)
                .status(400)
                .json(invalid(
                    "Validation Failed: 1: ifSeqNo is unassigned, but primary term is [1];",
                )),
            case("PUT", "/app/_create/7?if_seq_no=3&if_primary_term=1")
                .body(r#"{"n":4}"#)
                .status(400)
                .json(invalid(
                    "Validation Failed: 1: create operations do not support compare and set. use \
                     index instead;",
                )),
            case("DELETE", "/app/_doc/1?if_seq_no=1&if_primary_term=1")
                .status(409)
                .json(conflict(
                    "[1]: version conflict, required seqNo [1], primary term [1]. current document \
                     has seqNo [3] and primary term [1]",
                )),
            case("DELETE", "/app/_doc/1?if_seq_no=3&if_primary_term=1").json(json!({
                "_id": "1", "_version": 4, "result": "deleted", "_seq_no": 4, "_primary_term": 1})),
            // A delete of nothing takes a sequence number too.
            case("DELETE", "/app/_doc/1")
                .status(404)
                .json(json!({"result": "not_found", "_seq_no": 5})),
            case("PUT", "/app/_doc/1?refresh=true")
                .body(r#"{"n":5}"#)
                .status(201)
                .json(json!({"result": "created", "_seq_no": 6})),
            case("GET", "/app/_doc/2").json(json!({"_version": 1, "_seq_no": 2, "found": true})),
            case("POST", "/app/_search")
                .body(r#"{"version":true,"seq_no_primary_term":true,"query":{"ids":{"values":["2"]}}}"#)
                .json(json!({"hits": {"hits": [{"_id": "2", "_version": 1, "_seq_no": 2,
                    "_primary_term": 1}]}})),
            case("POST", "/app/_search")
                .body(r#"{"query":{"ids":{"values":["2"]}}}"#)
                .json(json!({"hits": {"hits": [{"_id": "2"}]}}))
                .absent("/hits/hits/0/_version")
                .absent("/hits/hits/0/_seq_no"),
        ],
    );
}

/// ES remembers a delete's version for `index.gc_deletes` (60 s), refreshes or not: a write to the `_id`
/// within that time goes on from it.
#[test]
fn a_delete_is_remembered_after_a_refresh() {
    let es = Es::start();
    check(
        &es,
        &[
            case("PUT", "/app/_doc/x")
                .body(r#"{"n":1}"#)
                .status(201)
                .json(json!({"_version": 1})),
            case("DELETE", "/app/_doc/x?refresh=true")
                .json(json!({"_version": 2, "result": "deleted"})),
            case("POST", "/app/_refresh"),
            case("GET", "/app/_doc/x")
                .status(404)
                .json(json!({"found": false})),
            case("PUT", "/app/_doc/x?refresh=true")
                .body(r#"{"n":2}"#)
                .status(201)
                .json(json!({"_version": 3, "result": "created"})),
            // A delete of an `_id` that never existed is remembered too.
            case("DELETE", "/app/_doc/y?refresh=true")
                .status(404)
                .json(json!({"_version": 1, "result": "not_found"})),
            case("PUT", "/app/_doc/y")
                .body(r#"{"n":1}"#)
                .status(201)
                .json(json!({"_version": 2})),
        ],
    );
}

#[test]
fn bulk_items_report_versions_and_take_if_seq_no() {
    let es = Es::start();
    let body = concat!(
        "{\"index\":{\"_index\":\"app\",\"_id\":\"a\"}}\n{\"n\":1}\n",
        "{\"index\":{\"_index\":\"app\",\"_id\":\"a\"}}\n{\"n\":2}\n",
        "{\"create\":{\"_index\":\"app\",\"_id\":\"a\"}}\n{\"n\":3}\n",
        "{\"index\":{\"_index\":\"app\",\"_id\":\"a\",\"if_seq_no\":0,\"if_primary_term\":1}}\n{\"n\":4}\n",
        "{\"index\":{\"_index\":\"app\",\"_id\":\"a\",\"if_seq_no\":1,\"if_primary_term\":1}}\n{\"n\":5}\n",
        "{\"index\":{\"_index\":\"app\"}}\n{\"n\":6}\n",
        "{\"delete\":{\"_index\":\"app\",\"_id\":\"a\"}}\n",
        "{\"index\":{\"_index\":\"other\",\"_id\":\"a\"}}\n{\"n\":7}\n",
    );
    let item = |action: &str, status: u16, fields: serde_json::Value| {
        let mut inner = fields;
        inner["status"] = json!(status);
        json!({ action: inner })
    };
    check(
        &es,
        &[case("POST", "/_bulk").body(body).json(json!({"errors": true, "items": [
            item("index", 201, json!({"_id": "a", "_version": 1, "result": "created", "_seq_no": 0})),
            item("index", 200, json!({"_id": "a", "_version": 2, "result": "updated", "_seq_no": 1})),
            item("create", 409, json!({"_id": "a", "error": {"type": "version_conflict_engine_exception",
                "reason": "[a]: version conflict, document already exists (current version [2])"}})),
            item("index", 409, json!({"_id": "a", "error": {"type": "version_conflict_engine_exception",
                "reason": "[a]: version conflict, required seqNo [0], primary term [1]. current \
                           document has seqNo [1] and primary term [1]"}})),
            item("index", 200, json!({"_id": "a", "_version": 3, "result": "updated", "_seq_no": 2})),
            item("index", 201, json!({"_version": 1, "result": "created", "_seq_no": 3})),
            item("delete", 200, json!({"_id": "a", "_version": 4, "result": "deleted", "_seq_no": 4})),
            // Each index counts its own.
            item("index", 201, json!({"_id": "a", "_version": 1, "result": "created", "_seq_no": 0})),
        ]}))],
    );
}

#[test]
fn versions_and_sequence_numbers_survive_a_restart() {
    let es = Es::start();
    check(
        &es,
        &[
            case("PUT", "/app/_doc/1").body(r#"{"n":1}"#).status(201),
            case("PUT", "/app/_doc/1")
                .body(r#"{"n":2}"#)
                .json(json!({"_version": 2})),
            case("PUT", "/app/_doc/2")
                .body(r#"{"n":1}"#)
                .status(201)
                .json(json!({"_seq_no": 2})),
        ],
    );
    let es = es.restart();
    check(
        &es,
        &[
            case("GET", "/app/_doc/1").json(json!({"_version": 2, "_seq_no": 1})),
            case("PUT", "/app/_doc/1").body(r#"{"n":3}"#).json(json!({
                "_version": 3, "result": "updated", "_seq_no": 3})),
            case("PUT", "/app/_doc/3")
                .body(r#"{"n":1}"#)
                .status(201)
                .json(json!({
                "_version": 1, "result": "created", "_seq_no": 4})),
        ],
    );
}
