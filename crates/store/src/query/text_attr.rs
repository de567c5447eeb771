//! Analysed `match` / `match_phrase` on string fields other than `message`, which ES 8's dynamic mapping
//! makes `text`: `match` of `bar` finds a document whose field holds `foo bar`.
//!
//! The store indexes those fields once, raw (keyword semantics, `doc/schema.rs`), and keeps `message`
//! the only analysed field so that indexing pays for no second copy. A token of the query is found at
//! query time instead: a regular expression run over the raw values of the field's path in the term
//! dictionary matches the values holding the token as a word — delimited by the start or end of the
//! value or by a character that is not an ASCII letter or digit, in any letter case — and their postings
//! are the documents. A phrase is its tokens in order with only such separators between them. The cost
//! is one pass over the distinct values of that one field per token, not over documents.

use std::sync::Arc;

use tantivy::query::{AutomatonWeight, EnableScoring, Query, Weight};
use tantivy::schema::Field;
use tantivy::Term;
use tantivy_fst::Regex;

use crate::query::error::QueryError;

/// What separates words in a raw value.
const SEPARATOR: &str = "[^0-9A-Za-z]";

/// Documents whose string value at a path of a JSON field matches a regular expression whole.
#[derive(Clone, Debug)]
pub struct JsonWordsQuery {
    field: Field,
    /// The path's term prefix (path, end of path, string type), which the expression starts with.
    prefix: Vec<u8>,
    regex: Arc<Regex>,
}

/// `token` matched in any letter case (tokens are lowercase letters and digits).
fn any_case(token: &str) -> String {
    token
        .chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
            } else {
                regex_syntax_escape(c)
            }
        })
        .collect()
}

fn regex_syntax_escape(c: char) -> String {
    if c.is_ascii_alphanumeric() {
        c.to_string()
    } else {
        format!("\\x{{{:x}}}", c as u32)
    }
}

impl JsonWordsQuery {
    /// Values of `path` in JSON field `field` holding `tokens` as consecutive words (one token: that word
    /// anywhere).
    pub fn words(
        field: Field,
        path: &str,
        tokens: &[String],
    ) -> Result<JsonWordsQuery, QueryError> {
        let mut term = Term::from_field_json_path(field, path, true);
        term.append_type_and_str("");
        let prefix = term.serialized_value_bytes().to_vec();
        let escaped_prefix: String = String::from_utf8_lossy(&prefix)
            .chars()
            .map(regex_syntax_escape)
            .collect();
        let words: Vec<String> = tokens.iter().map(|t| any_case(t)).collect();
        let pattern = format!(
            "{escaped_prefix}(.*{SEPARATOR})?{}({SEPARATOR}.*)?",
            words.join(&format!("{SEPARATOR}+"))
        );
        let regex = Regex::new(&pattern).map_err(|e| QueryError::Regex {
            pattern,
            reason: e.to_string(),
        })?;
        Ok(JsonWordsQuery {
            field,
            prefix,
            regex: Arc::new(regex),
        })
    }
}

impl Query for JsonWordsQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<Regex>::new_for_json_path(
            self.field,
            self.regex.clone(),
            &self.prefix,
        )))
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::Count;
    use tantivy::schema::{JsonObjectOptions, Schema, TextFieldIndexing};
    use tantivy::{Index, TantivyDocument};

    use super::*;

    #[test]
    fn words_of_raw_values_in_any_case() -> Result<(), Box<dyn std::error::Error>> {
        let mut b = Schema::builder();
        let attrs = b.add_json_field(
            "attrs",
            JsonObjectOptions::default()
                .set_indexing_options(TextFieldIndexing::default().set_tokenizer("raw"))
                .set_expand_dots_enabled(),
        );
        let schema = b.build();
        let index = Index::create_in_ram(schema.clone());
        let mut w = index.writer_with_num_threads(1, 15_000_000)?;
        for v in [
            "foo bar",
            "Foo-Bar baz",
            "foobar",
            "bar",
            "x.bar.y",
            "barfoo",
            "b a r",
        ] {
            let json = serde_json::json!({"attrs": {"f": {"g": v}, "other": "bar"}});
            w.add_document(TantivyDocument::parse_json(&schema, &json.to_string())?)?;
        }
        w.commit()?;
        let searcher = index.reader()?.searcher();
        let count = |tokens: &[&str]| -> Result<usize, Box<dyn std::error::Error>> {
            let tokens: Vec<String> = tokens.iter().map(|t| t.to_string()).collect();
            Ok(searcher.search(&JsonWordsQuery::words(attrs, "f.g", &tokens)?, &Count)?)
        };
        // "foo bar", "Foo-Bar baz", "bar", "x.bar.y".
        assert_eq!(count(&["bar"])?, 4);
        assert_eq!(count(&["foo", "bar"])?, 2);
        assert_eq!(count(&["bar", "foo"])?, 0);
        assert_eq!(count(&["baz"])?, 1);
        assert_eq!(count(&["nope"])?, 0);
        Ok(())
    }
}
