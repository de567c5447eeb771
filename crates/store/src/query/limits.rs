//! The bounds a query must stay within before any work is spent on it, as Elasticsearch has them:
//!
//! - the DSL: at most [`MAX_NESTED_DEPTH`] query objects inside each other (ES's
//!   `indices.query.bool.max_nested_depth`, 30), checked while the query is built;
//! - Lucene syntax (`query_string`, `q=`): at most [`MAX_QUERY_BYTES`], [`MAX_CLAUSE_COUNT`] terms (ES's
//!   `indices.query.bool.max_clause_count`, 4096) and groups nested at most [`MAX_GROUP_DEPTH`] deep,
//!   checked on the text by [`check_lucene`] before it is parsed;
//! - the whole query: at most [`MAX_CLAUSE_COUNT`] leaf clauses, the terms of every Lucene query in it
//!   counted one by one ([`check_clause_count`], while the query is built), and at most
//!   [`MAX_TERMS_COUNT`] values in one `terms` or `ids` query (ES's `index.max_terms_count`; such a query
//!   is one clause, as ES makes it one term-set query).
//!
//! Why a group depth of its own: tantivy's query grammar (0.25) takes about twice as long per level of
//! parentheses opening right after each other (`((a))`: 1 ms at depth 10, 0.2 s at 16, 31 s at 24) and
//! recurses once per level (a few thousand overflow the stack and abort the process). Lucene has no such
//! limit; its parser is linear. Ten levels parse in a millisecond or two, and no query a person writes
//! nests that deep.

use crate::query::error::QueryError;

/// ES's `indices.query.bool.max_nested_depth`.
pub const MAX_NESTED_DEPTH: usize = 30;
/// ES's `indices.query.bool.max_clause_count`.
pub const MAX_CLAUSE_COUNT: usize = 4096;
/// ES's `index.max_terms_count`: values of one `terms` (or `ids`) query.
pub const MAX_TERMS_COUNT: usize = 65_536;
/// The deepest nesting of parentheses a Lucene query may have.
pub const MAX_GROUP_DEPTH: usize = 10;
/// The longest Lucene query, in bytes: [`MAX_CLAUSE_COUNT`] terms of 256 bytes each. (ES has no such
/// bound, but its clause count stops what a longer text would hold; here the text is rewritten and
/// parsed once per index before terms are counted, so its length is bounded first.)
pub const MAX_QUERY_BYTES: usize = MAX_CLAUSE_COUNT * 256;
/// How much of a refused query its error repeats.
const QUOTED_MAX: usize = 200;

/// What [`scan`] found in a Lucene query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LuceneShape {
    /// Deepest nesting of parentheses (outside quotes, not escaped).
    pub depth: usize,
    /// Terms: runs of letters and digits, quoted ones too, without the operators `AND`, `OR`, `NOT`.
    /// A term the analyser splits further (`a-b`) counts as its parts, as it becomes that many clauses.
    pub terms: usize,
    /// Every `(` is closed by a `)` after it (outside quotes, not escaped).
    pub balanced: bool,
}

/// The depth and term count of `text`, in one pass over it.
pub fn scan(text: &str) -> LuceneShape {
    let mut shape = LuceneShape {
        balanced: true,
        ..LuceneShape::default()
    };
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut escaped = false;
    let mut word = String::new();
    let end_word = |word: &mut String, shape: &mut LuceneShape| {
        if !word.is_empty() && !matches!(word.as_str(), "AND" | "OR" | "NOT") {
            shape.terms += 1;
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() {
            // Only the first few letters matter for telling an operator from a term.
            if word.len() < 4 {
                word.push(c);
            }
            escaped = false;
            continue;
        }
        end_word(&mut word, &mut shape);
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quote = !in_quote,
            '(' if !in_quote => {
                depth += 1;
                shape.depth = shape.depth.max(depth);
            }
            ')' if !in_quote => match depth.checked_sub(1) {
                Some(outer) => depth = outer,
                None => shape.balanced = false,
            },
            _ => {}
        }
    }
    end_word(&mut word, &mut shape);
    shape.balanced &= depth == 0;
    shape
}

/// Refuses a Lucene query longer than [`MAX_QUERY_BYTES`], nested deeper than [`MAX_GROUP_DEPTH`], with
/// more than [`MAX_CLAUSE_COUNT`] terms or with a parenthesis left unclosed or never opened (which Lucene
/// cannot parse either, and which tantivy's grammar backtracks over for seconds: 3.9 s for ten unclosed
/// `((a:`), before it is parsed; its shape otherwise.
pub fn check_lucene(text: &str) -> Result<LuceneShape, QueryError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(QueryError::QueryTooLong {
            query: quoted(text),
            max: MAX_QUERY_BYTES,
        });
    }
    let shape = scan(text);
    if shape.terms > MAX_CLAUSE_COUNT {
        return Err(QueryError::TooManyClauses {
            max: MAX_CLAUSE_COUNT,
        });
    }
    if shape.depth > MAX_GROUP_DEPTH {
        return Err(QueryError::GroupsTooDeep {
            query: quoted(text),
            max: MAX_GROUP_DEPTH,
        });
    }
    if !shape.balanced {
        return Err(QueryError::UnbalancedGroups {
            query: quoted(text),
        });
    }
    Ok(shape)
}

/// Refuses a query of more than [`MAX_CLAUSE_COUNT`] leaf clauses in all (`total` so far).
pub fn check_clause_count(total: usize) -> Result<(), QueryError> {
    if total > MAX_CLAUSE_COUNT {
        return Err(QueryError::TooManyClauses {
            max: MAX_CLAUSE_COUNT,
        });
    }
    Ok(())
}

/// Refuses a `terms` or `ids` query of more than [`MAX_TERMS_COUNT`] values.
pub fn check_terms_count(values: usize) -> Result<(), QueryError> {
    if values > MAX_TERMS_COUNT {
        return Err(QueryError::TooManyTerms {
            count: values,
            max: MAX_TERMS_COUNT,
        });
    }
    Ok(())
}

/// Refuses a DSL query object at `depth` (the top-level query is 1) deeper than [`MAX_NESTED_DEPTH`].
pub fn check_nested_depth(depth: usize) -> Result<(), QueryError> {
    if depth > MAX_NESTED_DEPTH {
        return Err(QueryError::NestedTooDeep);
    }
    Ok(())
}

/// `text` as an error repeats it: whole if short, else its start and `...`.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_MAX) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_depth_and_terms() {
        let shape = |t: &str| {
            let s = scan(t);
            (s.depth, s.terms)
        };
        assert_eq!(shape("a AND (b OR (c NOT d))"), (2, 4));
        assert_eq!(shape(r#"message:"(((x" \( y"#), (0, 3));
        assert_eq!(shape("host.name:web-1"), (0, 4));
        assert_eq!(shape("((((((((((((a))))))))))))"), (12, 1));
        assert_eq!(shape(")))a(("), (2, 1));
        assert_eq!(shape(""), (0, 0));
    }

    #[test]
    fn refuses_unbalanced_parentheses() {
        for text in [
            "(a",
            "a)",
            ")a(",
            "((a) OR b",
            "a:(b OR (c)",
            "event.id:((a",
        ] {
            assert!(!scan(text).balanced, "{text}");
            assert!(
                matches!(check_lucene(text), Err(QueryError::UnbalancedGroups { .. })),
                "{text}"
            );
        }
        for text in ["(a)", r#""(" a"#, r"\(a", "a:(b OR (c))", "", "a"] {
            assert!(scan(text).balanced, "{text}");
        }
    }

    #[test]
    fn refuses_deep_groups_and_many_terms() {
        let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
        assert!(check_lucene(&nested(MAX_GROUP_DEPTH)).is_ok());
        assert!(matches!(
            check_lucene(&nested(MAX_GROUP_DEPTH + 1)),
            Err(QueryError::GroupsTooDeep { max: 10, .. })
        ));
        let terms = |n: usize| vec!["x"; n].join(" OR ");
        assert!(check_lucene(&terms(MAX_CLAUSE_COUNT)).is_ok());
        assert!(matches!(
            check_lucene(&terms(MAX_CLAUSE_COUNT + 1)),
            Err(QueryError::TooManyClauses { max: 4096 })
        ));
        assert!(matches!(
            check_lucene(&"x".repeat(MAX_QUERY_BYTES + 1)),
            Err(QueryError::QueryTooLong { .. })
        ));
        let long = nested(5000);
        match check_lucene(&long) {
            Err(QueryError::GroupsTooDeep { query, .. }) => assert!(query.len() < 300),
            other => panic!("{other:?}"),
        }
    }
}
