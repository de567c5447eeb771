//! What can be wrong with a query, as typed errors: each variant says what the query got wrong, in the
//! words Elasticsearch uses for it. The API layer turns them into 400 `parsing_exception` (DSL) or
//! `query_shard_exception` (`query_string`) bodies.

use crate::query::date_math::DateMathError;

/// Why a query cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query is not a JSON object.
    #[error("query malformed, must start with start_object")]
    NotAnObject,
    /// The query object holds more than one query type.
    #[error("[query] malformed query, expected a single query type")]
    SeveralTypes,
    /// A word search of a text field whose expression cannot be built (too large an automaton).
    #[error("failed to build the word search [{pattern}]: {reason}")]
    Regex { pattern: String, reason: String },
    /// A query type this store does not know.
    #[error("unknown query [{name}]")]
    UnknownQuery { name: String },
    /// The body of query `query` is not an object.
    #[error("[{query}] query malformed, no start_object after query name")]
    BodyNotAnObject { query: &'static str },
    /// A field-level query (`term`, `match`, `range`) without its field.
    #[error("[{query}] query does not support an empty field")]
    NoField { query: &'static str },
    /// A field-level query naming more than one field.
    #[error("[{query}] query doesn't support multiple fields")]
    SeveralFields { query: &'static str },
    /// A parameter the query requires is missing or of the wrong shape (`requirement` says which).
    #[error("[{query}] {requirement}")]
    Missing {
        query: &'static str,
        requirement: &'static str,
    },
    /// A parameter the query does not support.
    #[error("[{query}] query does not support [{param}]")]
    UnsupportedParam { query: &'static str, param: String },
    /// An exact-value query whose value is not a string, number or boolean.
    #[error("[term] query on [{field}] requires a scalar value")]
    NotScalar { field: String },
    /// A `match` whose text is not a string, number or boolean.
    #[error("[match] query requires a scalar query")]
    MatchNotScalar,
    /// A date value that is neither a date string nor a number.
    #[error("failed to parse date [{value}]")]
    NotADate { value: String },
    /// A `time_zone` that is neither an offset nor a zone of the tz database.
    #[error("unknown time zone [{time_zone}]")]
    TimeZone { time_zone: String },
    /// A date-math expression with no value.
    #[error(transparent)]
    DateMath(#[from] DateMathError),
    /// `minimum_should_match` that is not a number or string.
    #[error("[minimum_should_match] must be a number or string")]
    MinimumShouldMatchType,
    /// `minimum_should_match` that is not an integer or percentage.
    #[error("invalid minimum_should_match [{value}]")]
    MinimumShouldMatch { value: String },
    /// Lucene syntax (`query_string`, `q=`) that does not parse.
    #[error("Failed to parse query [{query}]: {reason}")]
    QueryString { query: String, reason: String },
    /// Lucene syntax whose parentheses nest deeper than `max` (see `limits`).
    #[error(
        "Failed to parse query [{query}]: parentheses are nested more than [{max}] levels deep"
    )]
    GroupsTooDeep { query: String, max: usize },
    /// Lucene syntax whose groups would cost tantivy's grammar too much to parse (see `limits`).
    #[error(
        "Failed to parse query [{query}]: too many nested groups (each level of parentheses doubles \
         what a group costs)"
    )]
    GroupsTooComplex { query: String },
    /// Lucene syntax with a `(` left unclosed or a `)` never opened (see `limits`).
    #[error("Failed to parse query [{query}]: its parentheses do not balance")]
    UnbalancedGroups { query: String },
    /// Lucene syntax naming a field with a control character (a NUL would end a path inside a term).
    #[error("Failed to parse query [{query}]: field name [{field}] contains a control character")]
    ControlCharInField { query: String, field: String },
    /// Lucene syntax longer than `max` bytes (see `limits`).
    #[error("Failed to parse query [{query}]: it is longer than [{max}] bytes")]
    QueryTooLong { query: String, max: usize },
    /// A query (Lucene syntax, the DSL, or both) with more leaf clauses than ES's
    /// `indices.query.bool.max_clause_count`.
    #[error("Query contains too many nested clauses; maxClauseCount is set to {max}")]
    TooManyClauses { max: usize },
    /// A `terms` or `ids` query with more values than ES's `index.max_terms_count`.
    #[error(
        "The number of terms [{count}] used in the Terms Query request has exceeded the allowed maximum \
         of [{max}]. This maximum can be set by changing the [index.max_terms_count] index level setting."
    )]
    TooManyTerms { count: usize, max: usize },
    /// DSL query objects nested deeper than ES's `indices.query.bool.max_nested_depth`.
    #[error(
        "The nested depth of the query exceeds the maximum nested depth for queries set in \
         [indices.query.bool.max_nested_depth]"
    )]
    NestedTooDeep,
    /// tantivy failed to build the query (a field of the schema missing, a tokenizer missing).
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
}
