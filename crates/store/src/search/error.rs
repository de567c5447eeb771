//! What can go wrong in a search: a request the search layer cannot run ([`RequestError`]), or a failure of
//! the layers it uses. The API layer turns each into an ES status and error type.

use crate::index::IndexError;
use crate::query::QueryError;
use crate::search::aggs::AggError;

/// Why a `_search`, `_count` or get fails.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request is malformed or asks for something not allowed.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// An index could not be resolved, refreshed or read.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The query cannot be built.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The aggregations cannot be computed.
    #[error(transparent)]
    Aggregation(#[from] AggError),
    /// Collecting the matches of an index failed.
    #[error("{0}")]
    Collect(#[source] tantivy::TantivyError),
    /// Reading documents or analysing text for highlighting failed.
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    /// The hits' `_source` would hold more than the request breaker allows.
    #[error(transparent)]
    Breaker(#[from] crate::breaker::DataTooLarge),
}

/// What is wrong with a search request (its body or its URL parameters), in Elasticsearch's words.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The body is not a JSON object.
    #[error("request body must be a JSON object")]
    BodyNotAnObject,
    /// A key `_search` does not know.
    #[error("Unknown key for a START_OBJECT in [{key}].")]
    UnknownKey { key: String },
    /// A key `_count` does not take.
    #[error("request does not support [{key}]")]
    CountKey { key: String },
    /// A URL parameter that should be an integer.
    #[error("Failed to parse int parameter [{key}] with value [{value}]")]
    IntParam { key: &'static str, value: String },
    /// A negative `size` or `from`.
    #[error("[{key}] parameter cannot be negative, found [{value}]")]
    Negative { key: &'static str, value: String },
    /// A `size` or `from` string in the body that is not a number.
    #[error("[{key}] must be a number")]
    NotANumber { key: &'static str },
    /// A `size` or `from` in the body that is neither a number nor a string.
    #[error("[{key}] must be a number, found [{found}]")]
    NotANumberFound { key: &'static str, found: String },
    /// A boolean URL parameter that is neither `true` nor `false`.
    #[error("Failed to parse value [{value}] only [true] or [false] are allowed.")]
    BooleanParam { param: &'static str, value: String },
    /// `track_total_hits` that is neither a boolean nor a number.
    #[error("[track_total_hits] must be a boolean or a number")]
    TrackTotalHits,
    /// `search_after` with a `from` other than 0.
    #[error("`from` parameter must be set to 0 when `search_after` is used.")]
    SearchAfterWithFrom,
    /// `from + size` beyond `index.max_result_window`.
    #[error(
        "Result window is too large, from + size must be less than or equal to: [{max}] but was \
         [{window}]. See the scroll api for a more efficient way to request large data sets. This limit \
         can be set by changing the [index.max_result_window] index level setting."
    )]
    ResultWindow { window: usize, max: usize },
    /// `rest_total_hits_as_int=true` with a `track_total_hits` cap.
    #[error(
        "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got {got}"
    )]
    TotalHitsAsIntInaccurate { got: u64 },
    /// A `docvalue_fields` / `fields` entry that is neither a name nor `{"field": .., "format": ..}`.
    #[error("[{key}] entries must be a field name or an object with a [field], found [{found}]")]
    FieldsEntry { key: &'static str, found: String },
    /// `search_after` without a sort.
    #[error("Sort must contain at least one field when search_after is used")]
    SearchAfterWithoutSort,
    /// A sort item that is neither a field name nor a one-key object.
    #[error("malformed sort [{sort}]")]
    MalformedSort { sort: String },
    /// Sort options that are neither an order nor an object.
    #[error("malformed sort options [{options}]")]
    SortOptions { options: String },
    /// A sort order other than `asc` / `desc`.
    #[error("[sort] unknown order [{order}]")]
    SortOrder { order: String },
    /// A sort on `_id`.
    #[error(
        "Fielddata access on the _id field is disallowed, sort on a keyword field such as event.id instead"
    )]
    SortOnId,
    /// A sort on the analysed text field.
    #[error("Text fields are not optimised for sorting; [{field}] cannot be used for sorting")]
    SortOnText { field: &'static str },
    /// `search_after` that is not an array.
    #[error("[search_after] must be an array")]
    SearchAfterNotArray,
    /// `search_after` with another number of values than the sort has keys.
    #[error("search_after has {values} value(s) but sort has {keys}")]
    SearchAfterLength { values: usize, keys: usize },
    /// A `search_after` time that is not a date.
    #[error("failed to parse date [{value}]")]
    SearchAfterDate { value: String },
    /// A `search_after` value that is not a scalar.
    #[error("invalid search_after value [{value}]")]
    SearchAfterValue { value: String },
}
