//! The typed errors of the library layers → [`EsError`]: for each, the HTTP status and ES exception type
//! Elasticsearch answers the same failure with, the reason (the error's own words) and the index it is
//! about. This is the one place that decides statuses.

use crate::api::error::EsError;
use crate::breaker::DataTooLarge;
use crate::bulk::{BulkError, ItemError};
use crate::doc::DocumentError;
use crate::index::{IndexError, StreamError};
use crate::query::QueryError;
use crate::search::aggs::AggError;
use crate::search::{RequestError, SearchError};

/// 400 `parsing_exception`: malformed DSL or JSON.
const PARSING: (u16, &str) = (400, "parsing_exception");
/// 400 `illegal_argument_exception`: a well-formed request asking for something not allowed.
const ILLEGAL_ARGUMENT: (u16, &str) = (400, "illegal_argument_exception");
/// 500 `exception`: something broke on the store's side.
const INTERNAL: (u16, &str) = (500, "exception");

fn es_error((status, typ): (u16, &str), err: &impl std::fmt::Display) -> EsError {
    EsError::new(status, typ, err.to_string())
}

impl From<&IndexError> for EsError {
    fn from(err: &IndexError) -> EsError {
        let kind = match err {
            IndexError::NotFound { .. } => (404, "index_not_found_exception"),
            IndexError::AlreadyExists { .. } => (400, "resource_already_exists_exception"),
            IndexError::InvalidName { .. } => (400, "invalid_index_name_exception"),
            IndexError::Unopenable { .. } => (500, "illegal_state_exception"),
            IndexError::Deleted { .. } => (503, "index_closed_exception"),
            IndexError::Closed { .. } => (400, "index_closed_exception"),
            // ES names the index in the reason only, not as the error's `index`.
            IndexError::DiskBlocked { .. } => (429, "cluster_block_exception"),
            IndexError::TooManyShards { .. } => (400, "validation_exception"),
            IndexError::TooManyNewIndices { .. } => (429, "es_rejected_execution_exception"),
            IndexError::DestructiveWildcard => ILLEGAL_ARGUMENT,
            IndexError::NotOpen { .. }
            | IndexError::TranslogAppend(_)
            | IndexError::TranslogSync(_)
            | IndexError::TranslogRoll(_)
            | IndexError::Translog(_)
            | IndexError::Format(_)
            | IndexError::CommitPayload { .. }
            | IndexError::Tantivy(_)
            | IndexError::Io(_) => INTERNAL,
            IndexError::Stream(e) => stream_kind(e),
        };
        let es = es_error(kind, err);
        match err.index() {
            Some(index) => es.with_index(index),
            None => es,
        }
    }
}

/// The status and ES type of a template or data stream failure.
fn stream_kind(err: &StreamError) -> (u16, &'static str) {
    match err {
        StreamError::TemplateNotFound { .. } => (404, "resource_not_found_exception"),
        StreamError::TemplateMissing { .. } => (404, "index_template_missing_exception"),
        StreamError::TemplateBody { .. } => (400, "x_content_parse_exception"),
        StreamError::ComponentTemplatesMissing { .. } => (400, "invalid_index_template_exception"),
        StreamError::DataStreamNotFound { .. } => (404, "index_not_found_exception"),
        StreamError::DataStreamExists { .. } => (400, "resource_already_exists_exception"),
        StreamError::TemplateOverlap { .. }
        | StreamError::TemplateInUse { .. }
        | StreamError::NoDataStreamTemplate { .. }
        | StreamError::IndexMatchesStreamTemplate { .. }
        | StreamError::WriteIndexDelete { .. }
        | StreamError::WriteIndexClose { .. }
        | StreamError::AliasNoWriteIndex { .. } => ILLEGAL_ARGUMENT,
        StreamError::AliasesMissing { .. } => (404, "aliases_not_found_exception"),
        StreamError::AliasNameTaken { .. } => (400, "invalid_alias_name_exception"),
        StreamError::IndexNameIsAlias { .. } => (400, "invalid_index_name_exception"),
        StreamError::AliasSeveralWriteIndices { .. } => (500, "illegal_state_exception"),
        StreamError::StateFormat { .. }
        | StreamError::StateNotJson { .. }
        | StreamError::StateIo { .. } => INTERNAL,
    }
}

impl From<IndexError> for EsError {
    fn from(err: IndexError) -> EsError {
        EsError::from(&err)
    }
}

impl From<&DocumentError> for EsError {
    fn from(err: &DocumentError) -> EsError {
        es_error((400, "document_parsing_exception"), err)
    }
}

impl From<DocumentError> for EsError {
    fn from(err: DocumentError) -> EsError {
        EsError::from(&err)
    }
}

impl From<&QueryError> for EsError {
    fn from(err: &QueryError) -> EsError {
        let kind = match err {
            // A query no shard could run: ES fails the search phase with the shard's error as cause.
            QueryError::GroupsTooDeep { .. }
            | QueryError::GroupsTooComplex { .. }
            | QueryError::QueryTooLong { .. } => {
                return EsError::all_shards_failed(es_error((400, "query_shard_exception"), err))
            }
            QueryError::TooManyClauses { .. } => {
                return EsError::all_shards_failed(es_error((400, "too_many_nested_clauses"), err))
            }
            QueryError::TooManyTerms { .. } => {
                return EsError::all_shards_failed(es_error(ILLEGAL_ARGUMENT, err))
            }
            QueryError::NestedTooDeep => ILLEGAL_ARGUMENT,
            QueryError::QueryString { .. }
            | QueryError::UnbalancedGroups { .. }
            | QueryError::ControlCharInField { .. }
            | QueryError::Regex { .. } => (400, "query_shard_exception"),
            QueryError::Tantivy(_) => INTERNAL,
            _ => PARSING,
        };
        es_error(kind, err)
    }
}

impl From<QueryError> for EsError {
    fn from(err: QueryError) -> EsError {
        EsError::from(&err)
    }
}

impl From<&AggError> for EsError {
    fn from(err: &AggError) -> EsError {
        let kind = match err {
            AggError::Query(q) => return EsError::from(q),
            AggError::Request(r) => return EsError::from(r),
            AggError::TimeZone { .. }
            | AggError::NoInterval { .. }
            | AggError::CalendarField { .. }
            | AggError::CalendarOffset { .. }
            | AggError::EmptyFilters
            | AggError::TopHitsWindow { .. }
            | AggError::Calendar(_) => ILLEGAL_ARGUMENT,
            AggError::TooManyBuckets { .. } => (400, "too_many_buckets_exception"),
            AggError::Execution(_) => (400, "aggregation_execution_exception"),
            AggError::Render(_) => INTERNAL,
            _ => PARSING,
        };
        es_error(kind, err)
    }
}

impl From<AggError> for EsError {
    fn from(err: AggError) -> EsError {
        EsError::from(&err)
    }
}

impl From<&RequestError> for EsError {
    fn from(err: &RequestError) -> EsError {
        let kind = match err {
            // ES checks the window on each shard: every one fails with it.
            RequestError::ResultWindow { .. } => {
                return EsError::all_shards_failed(es_error(ILLEGAL_ARGUMENT, err))
            }
            RequestError::IntParam { .. }
            | RequestError::Negative { .. }
            | RequestError::SearchAfterWithFrom
            | RequestError::SearchAfterWithoutSort
            | RequestError::SortOnId
            | RequestError::SortOnText { .. }
            | RequestError::SearchAfterLength { .. }
            | RequestError::TotalHitsAsIntInaccurate { .. }
            | RequestError::BooleanParam { .. } => ILLEGAL_ARGUMENT,
            _ => PARSING,
        };
        es_error(kind, err)
    }
}

impl From<RequestError> for EsError {
    fn from(err: RequestError) -> EsError {
        EsError::from(&err)
    }
}

impl From<&SearchError> for EsError {
    fn from(err: &SearchError) -> EsError {
        match err {
            SearchError::Request(e) => e.into(),
            SearchError::Index(e) => e.into(),
            SearchError::Query(e) => e.into(),
            SearchError::Aggregation(e) => e.into(),
            SearchError::Collect(e) => es_error((400, "search_phase_execution_exception"), e),
            SearchError::Tantivy(e) => es_error(INTERNAL, e),
            SearchError::Breaker(e) => e.into(),
        }
    }
}

impl From<&DataTooLarge> for EsError {
    fn from(err: &DataTooLarge) -> EsError {
        es_error((429, "circuit_breaking_exception"), err)
    }
}

impl From<DataTooLarge> for EsError {
    fn from(err: DataTooLarge) -> EsError {
        EsError::from(&err)
    }
}

impl From<SearchError> for EsError {
    fn from(err: SearchError) -> EsError {
        EsError::from(&err)
    }
}

impl From<&BulkError> for EsError {
    fn from(err: &BulkError) -> EsError {
        es_error(ILLEGAL_ARGUMENT, err)
    }
}

impl From<BulkError> for EsError {
    fn from(err: BulkError) -> EsError {
        EsError::from(&err)
    }
}

impl From<&ItemError> for EsError {
    fn from(err: &ItemError) -> EsError {
        let es = match err {
            ItemError::IndexMissing
            | ItemError::IdInvalid { .. }
            | ItemError::IdMissing { .. }
            | ItemError::CasInvalid { .. } => {
                es_error((400, "action_request_validation_exception"), err)
            }
            ItemError::UpdateUnsupported { .. }
            | ItemError::StreamOpType
            | ItemError::BackingCreate { .. }
            | ItemError::BackingIndex { .. }
            | ItemError::PipelineMissing { .. } => es_error(ILLEGAL_ARGUMENT, err),
            ItemError::VersionConflict { .. } | ItemError::SeqNoConflict { .. } => {
                es_error((409, "version_conflict_engine_exception"), err)
            }
            ItemError::Document { source, .. } => source.into(),
            ItemError::Index { source, .. } => {
                let mut es = EsError::from(source.as_ref());
                // The item names its index itself (or not, for a failure of one lookup).
                es.index = None;
                es
            }
            ItemError::NotProcessed => es_error(INTERNAL, err),
        };
        match err.index() {
            Some(_) if matches!(err, ItemError::Index { source, .. } if matches!(**source, IndexError::DiskBlocked { .. })) => {
                es
            }
            Some(index) => es.with_index(index),
            None => es,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (error, status, ES type, index) for a sample of every layer's errors.
    #[test]
    fn statuses_and_types_as_elasticsearch_answers() {
        let name = || "app".to_string();
        let cases: Vec<(EsError, u16, &str, Option<&str>)> = vec![
            (
                IndexError::NotFound { name: name() }.into(),
                404,
                "index_not_found_exception",
                Some("app"),
            ),
            (
                IndexError::AlreadyExists { name: name() }.into(),
                400,
                "resource_already_exists_exception",
                Some("app"),
            ),
            (
                IndexError::Deleted { name: name() }.into(),
                503,
                "index_closed_exception",
                Some("app"),
            ),
            (
                IndexError::Io(std::io::Error::other("disk")).into(),
                500,
                "exception",
                None,
            ),
            (
                IndexError::DiskBlocked { name: name() }.into(),
                429,
                "cluster_block_exception",
                None,
            ),
            (
                (&ItemError::Index {
                    index: Some(name()),
                    source: std::sync::Arc::new(IndexError::DiskBlocked { name: name() }),
                })
                    .into(),
                429,
                "cluster_block_exception",
                None,
            ),
            (
                (&QueryError::UnknownQuery { name: "x".into() }).into(),
                400,
                "parsing_exception",
                None,
            ),
            (
                (&QueryError::QueryString {
                    query: "(".into(),
                    reason: "unclosed".into(),
                })
                    .into(),
                400,
                "query_shard_exception",
                None,
            ),
            (
                (&RequestError::ResultWindow {
                    window: 20_000,
                    max: 10_000,
                })
                    .into(),
                400,
                "search_phase_execution_exception",
                None,
            ),
            (
                (&AggError::TooManyBuckets { max: 65_000 }).into(),
                400,
                "too_many_buckets_exception",
                None,
            ),
            (
                BulkError::NotOneAction { line: 3 }.into(),
                400,
                "illegal_argument_exception",
                None,
            ),
            (
                (&ItemError::VersionConflict {
                    index: name(),
                    id: "a".into(),
                    version: 1,
                })
                    .into(),
                409,
                "version_conflict_engine_exception",
                Some("app"),
            ),
            (
                (&ItemError::IndexMissing).into(),
                400,
                "action_request_validation_exception",
                None,
            ),
            (
                (&ItemError::StreamOpType).into(),
                400,
                "illegal_argument_exception",
                None,
            ),
            (
                (&ItemError::PipelineMissing {
                    pipeline: "p".into(),
                })
                    .into(),
                400,
                "illegal_argument_exception",
                None,
            ),
            (
                IndexError::from(StreamError::DataStreamNotFound { name: name() }).into(),
                404,
                "index_not_found_exception",
                Some("app"),
            ),
            (
                IndexError::from(StreamError::TemplateNotFound { name: name() }).into(),
                404,
                "resource_not_found_exception",
                None,
            ),
        ];
        for (es, status, typ, index) in cases {
            assert_eq!(
                (es.status, es.typ.as_str(), es.index.as_deref()),
                (status, typ, index),
                "{es}"
            );
        }
    }
}
