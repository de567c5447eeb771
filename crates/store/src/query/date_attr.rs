//! `range` on a field other than `@timestamp` that the index maps as a date: its values are compared as
//! times, not as text, so `2026-11-22T03:00:00+02:00` is before `2026-11-22T02:00:00Z` and date math
//! (`now-1h`) works, as in ES.
//!
//! The store keeps such a field's values in the `attrs` JSON field as tantivy indexes JSON: RFC 3339 strings
//! as dates, numbers (epoch millis) as numbers, other strings as they came. The range is a union: ranges
//! over the path's date and number columns, and the path's string terms whose text reads as a date inside
//! the bounds. The strings are found by walking the path's
//! terms in the term dictionary ([`DateTextRange`] as the automaton of tantivy's `AutomatonWeight`), each
//! parsed once: the cost is per distinct value of that one field, not per document, as for the analysed
//! `match` of `text_attr`.

use std::cell::OnceCell;
use std::collections::HashSet;
use std::ops::Bound;
use std::sync::Arc;

use smallvec::SmallVec;
use tantivy::query::{AutomatonWeight, EnableScoring, Query, RangeQuery, Weight};
use tantivy::schema::Field;
use tantivy::Term;
use tantivy_fst::Automaton;

use crate::doc::date::parse_date;

/// The paths an index maps as dates, read from its mapping at most once, and only when asked.
pub struct DatePaths<'a> {
    load: Box<dyn Fn() -> HashSet<String> + 'a>,
    paths: OnceCell<HashSet<String>>,
}

impl<'a> DatePaths<'a> {
    /// The paths `load` returns, called the first time one is asked about.
    pub fn lazy(load: impl Fn() -> HashSet<String> + 'a) -> DatePaths<'a> {
        DatePaths {
            load: Box::new(load),
            paths: OnceCell::new(),
        }
    }

    /// Whether `path` is mapped as a date.
    pub fn contains(&self, path: &str) -> bool {
        self.paths.get_or_init(&self.load).contains(path)
    }
}

/// The string terms of one JSON path whose text is a date in `[lo, hi]` (epoch millis, both included).
#[derive(Clone, Debug)]
pub struct DateTextRange {
    /// The path's term prefix (path, end of path, string type).
    prefix: Vec<u8>,
    lo: i64,
    hi: i64,
}

/// The bytes of a term read so far; `None` once it has left the path's prefix.
type Read = Option<SmallVec<[u8; 48]>>;

impl Automaton for DateTextRange {
    type State = Read;

    fn start(&self) -> Read {
        Some(SmallVec::new())
    }

    fn is_match(&self, state: &Read) -> bool {
        state
            .as_ref()
            .and_then(|bytes| bytes.strip_prefix(self.prefix.as_slice()))
            .and_then(|value| std::str::from_utf8(value).ok())
            .and_then(parse_date)
            .is_some_and(|ms| self.lo <= ms && ms <= self.hi)
    }

    fn can_match(&self, state: &Read) -> bool {
        state.is_some()
    }

    fn accept(&self, state: &Read, byte: u8) -> Read {
        let bytes = state.as_ref()?;
        if let Some(&expected) = self.prefix.get(bytes.len()) {
            if expected != byte {
                return None;
            }
        }
        let mut next = bytes.clone();
        next.push(byte);
        Some(next)
    }
}

/// Documents whose string value at a path of a JSON field is a date in a range.
#[derive(Clone, Debug)]
pub struct DateTextRangeQuery {
    field: Field,
    automaton: Arc<DateTextRange>,
}

impl Query for DateTextRangeQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(
            AutomatonWeight::<DateTextRange>::new_for_json_path(
                self.field,
                self.automaton.clone(),
                &self.automaton.prefix,
            ),
        ))
    }
}

/// The documents whose value at `path` of JSON field `field` is a date in `[lo, hi]` (epoch millis, both
/// included): RFC 3339 strings (which tantivy indexes as dates), numbers as epoch millis, other strings
/// read as dates. The first two are ranges over the path's fast columns.
pub fn date_range(field: Field, path: &str, lo: i64, hi: i64) -> Vec<Box<dyn Query>> {
    let number = |ms: i64| {
        let mut term = Term::from_field_json_path(field, path, true);
        term.append_type_and_fast_value(ms);
        term
    };
    let date = |ms: i64| {
        let mut term = Term::from_field_json_path(field, path, true);
        // tantivy's dates are nanoseconds in an i64: an open bound is the furthest one it holds.
        let ms = ms.clamp(i64::MIN / 1_000_000, i64::MAX / 1_000_000);
        term.append_type_and_fast_value(tantivy::DateTime::from_timestamp_millis(ms));
        term
    };
    let mut text = Term::from_field_json_path(field, path, true);
    text.append_type_and_str("");
    vec![
        Box::new(RangeQuery::new(
            Bound::Included(date(lo)),
            Bound::Included(date(hi)),
        )),
        Box::new(RangeQuery::new(
            Bound::Included(number(lo)),
            Bound::Included(number(hi)),
        )),
        Box::new(DateTextRangeQuery {
            field,
            automaton: Arc::new(DateTextRange {
                prefix: text.serialized_value_bytes().to_vec(),
                lo,
                hi,
            }),
        }),
    ]
}

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::BooleanQuery;
    use tantivy::schema::{
        JsonObjectOptions, Schema, TextFieldIndexing, Value as _, STORED, STRING,
    };
    use tantivy::{Index, TantivyDocument};

    use super::*;

    #[test]
    fn strings_and_numbers_compared_as_times() -> Result<(), Box<dyn std::error::Error>> {
        let mut b = Schema::builder();
        let id = b.add_text_field("id", STRING | STORED);
        let attrs = b.add_json_field(
            "attrs",
            JsonObjectOptions::default()
                .set_indexing_options(TextFieldIndexing::default().set_tokenizer("raw"))
                .set_fast(None)
                .set_expand_dots_enabled(),
        );
        let schema = b.build();
        let index = Index::create_in_ram(schema.clone());
        let mut w = index.writer_with_num_threads(1, 15_000_000)?;
        for (name, value) in [
            // 01:00Z, 02:00Z, 02:30Z, 00:00Z as millis, not a date, another path.
            (
                "d1",
                serde_json::json!({"when": "2026-11-22T03:00:00+02:00"}),
            ),
            // Not RFC 3339 (a space, no offset): kept as a string.
            ("d2", serde_json::json!({"when": "2026-11-22 02:00:00"})),
            (
                "d3",
                serde_json::json!({"when": "2026-11-21T23:30:00-03:00"}),
            ),
            ("d4", serde_json::json!({"when": 1_795_305_600_000i64})),
            ("d5", serde_json::json!({"when": "soon"})),
            ("d6", serde_json::json!({"other": "2026-11-22T02:00:00Z"})),
        ] {
            let json = serde_json::json!({"id": name, "attrs": value});
            w.add_document(TantivyDocument::parse_json(&schema, &json.to_string())?)?;
        }
        w.commit()?;
        let searcher = index.reader()?.searcher();
        let ids = |lo: &str, hi: &str| -> Result<Vec<String>, Box<dyn std::error::Error>> {
            let (lo, hi) = (
                parse_date(lo).unwrap_or(i64::MIN),
                parse_date(hi).unwrap_or(i64::MAX),
            );
            let clauses = date_range(attrs, "when", lo, hi);
            let query = BooleanQuery::union(clauses);
            let mut found = Vec::new();
            for address in searcher.search(&query, &DocSetCollector)? {
                let doc: TantivyDocument = searcher.doc(address)?;
                found.extend(
                    doc.get_first(id)
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                );
            }
            found.sort();
            Ok(found)
        };
        assert_eq!(
            ids("2026-11-22T00:30:00Z", "2026-11-22T02:00:00Z")?,
            ["d1", "d2"]
        );
        assert_eq!(ids("2026-11-22T02:00:00Z", "2026-11-23")?, ["d2", "d3"]);
        assert_eq!(ids("2026-11-21", "2026-11-22T00:00:00Z")?, ["d4"]);
        assert_eq!(ids("", "")?, ["d1", "d2", "d3", "d4"]);
        Ok(())
    }
}
