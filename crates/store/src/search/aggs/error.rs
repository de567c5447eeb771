//! What can be wrong with an aggregation request or go wrong computing it. The API layer answers the
//! request-shape errors with 400 `parsing_exception`, unsupported options with 400
//! `illegal_argument_exception`, bucket limits with 400 `too_many_buckets_exception` and tantivy's
//! failures with 400 `aggregation_execution_exception`.

use crate::query::date_math::DateMathError;
use crate::query::QueryError;
use crate::search::error::RequestError;

/// Why aggregations cannot be computed.
#[derive(Debug, thiserror::Error)]
pub enum AggError {
    /// `aggs` (or a sub-`aggs`) is not an object.
    #[error("[aggs] must be an object")]
    NotAnObject,
    /// The definition of aggregation `name` is not an object.
    #[error("Expected [START_OBJECT] under [{name}]")]
    DefinitionNotAnObject { name: String },
    /// Aggregation `name` has no type.
    #[error("Missing definition for aggregation [{name}]")]
    NoType { name: String },
    /// Aggregation `name` has two types.
    #[error("Found two aggregation type definitions in [{name}]")]
    TwoTypes { name: String },
    /// The parameters of aggregation `name` are not an object.
    #[error("[{kind}] in [{name}] must be an object")]
    ParamsNotAnObject { kind: String, name: String },
    /// An aggregation type the store does not compute.
    #[error("Unknown aggregation type [{kind}] for aggregation [{name}]")]
    UnknownType { kind: String, name: String },
    /// Sub-aggregations under a metric.
    #[error("Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations")]
    SubAggregations { kind: String, name: String },
    /// A parameter of the wrong type (`requirement` says what it must be).
    #[error("[{param}] must be {requirement}")]
    ParamType {
        param: String,
        requirement: &'static str,
    },
    /// tantivy refused the translated request.
    #[error("invalid aggregation: {0}")]
    Invalid(#[source] serde_json::Error),
    /// A bound holds date math that has no value.
    #[error(transparent)]
    DateMath(#[from] DateMathError),
    /// A `date_histogram` `time_zone` that is neither an offset nor a tz database name.
    #[error("[{name}] failed to parse field [time_zone]: Unknown time-zone ID: {time_zone}")]
    TimeZone { name: String, time_zone: String },
    /// A `date_histogram` without an interval.
    #[error("Invalid interval specified, must be non-null and non-empty for [{name}]")]
    NoInterval { name: String },
    /// A month, quarter or year interval on a field other than `@timestamp`.
    #[error(
        "[date_histogram] [{name}]: month, quarter and year intervals are supported on [@timestamp] \
         only; use fixed_interval"
    )]
    CalendarField { name: String },
    /// `offset` with a month, quarter or year interval.
    #[error(
        "[date_histogram] [{name}]: [offset] is not supported with month, quarter and year intervals"
    )]
    CalendarOffset { name: String },
    /// Calendar buckets cannot be laid out over the data.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// A parameter the aggregation does not take.
    #[error("[{kind}] unknown field [{param}]")]
    UnknownParam { kind: &'static str, param: String },
    /// A `filters` aggregation without filters.
    #[error("[filters] cannot be empty.")]
    EmptyFilters,
    /// A `top_hits` `sort` that is not a sort.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// A `top_hits` asking for more than ES's `index.max_inner_result_window`.
    #[error(
        "Top hits result window is too large, the top hits aggregator [{name}]'s from + size must be \
         less than or equal to: [100] but was [{window}]. This limit can be set by changing the \
         [index.max_inner_result_window] index level setting."
    )]
    TopHitsWindow { name: String, window: usize },
    /// The query of a `filters` / `filter` bucket is wrong.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// More buckets than a histogram may return.
    #[error("Trying to create too many buckets. Must be less than or equal to: [{max}]")]
    TooManyBuckets { max: u64 },
    /// tantivy failed to collect, merge or finish the aggregations.
    #[error("{0}")]
    Execution(#[source] tantivy::TantivyError),
    /// The finished results could not be rendered.
    #[error(transparent)]
    Render(#[from] serde_json::Error),
}

/// Why month, quarter or year buckets cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The span reaches outside the dates this store represents.
    #[error("date out of range [{min_ms}..{max_ms}]")]
    OutOfRange { min_ms: i64, max_ms: i64 },
    /// The span needs more buckets than allowed.
    #[error("Trying to create too many buckets. Must be less than or equal to: [{max}]")]
    TooManyBuckets { max: usize },
}
