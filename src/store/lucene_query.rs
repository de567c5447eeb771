//! Lucene query syntax (`query_string`, the URI `q=` parameter): ES field names rewritten to the schema's,
//! then tantivy's query parser, with `F:*` and `_exists_:F` ("F has a value") answered like the DSL's
//! `exists`, which tantivy's parser refuses, and negations read as ES reads them: `-level:debug` alone is
//! every document but those (tantivy: a 400), `a OR -b` is `a` without `b` (tantivy: `a`).
//!
//! [`rewrite_field_names`] works on the text: `host.name:` becomes `attrs.host.name:`, `event.id:V` looks in
//! `_id` and `attrs` (see `schema`), a single `@timestamp` value becomes a range on the column, and
//! `_exists_:F` becomes `F:*`. [`build`] parses the result; a query with no `F:*`, no group of
//! negations alone and only default fields tantivy's parser can take (not `event.id`, not a path in the
//! JSON field such as `host.name`) goes to tantivy's parser as a whole, so only the others take the path
//! that assembles the boolean structure here. There a term without a field looks in every default field:
//! with `event.id`, where `event.id:term` looks.

use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, EmptyQuery, Occur, Query, QueryParser};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};

use super::error::EsError;
use super::schema::{
    resolve_field, tantivy_name, FieldRef, EVENT_ID, F_ATTRS, F_FOLDED, F_ID, F_TS,
};

type Q = Box<dyn Query>;

/// Parses `rewritten` (the output of [`rewrite_field_names`] for the user's `text`) with `parser`;
/// `exists(name)` answers `name:*`, where `name` is the tantivy name. `and`: the default operator is AND.
/// `defaults`: the default fields besides the parser's own.
pub fn build(
    parser: &QueryParser,
    text: &str,
    rewritten: &str,
    and: bool,
    defaults: DefaultFields,
    exists: &dyn Fn(&str) -> Result<Q, EsError>,
) -> Result<Q, EsError> {
    let failed = |e: &dyn std::fmt::Display| {
        EsError::new(
            400,
            "query_shard_exception",
            format!("Failed to parse query [{text}]: {e}"),
        )
    };
    let ast = match query_grammar::parse_query(rewritten) {
        Ok(ast) if defaults.any() || needs_assembly(&ast) => ast,
        // Otherwise (or when it does not parse: the parser words the error) tantivy does it all.
        _ => return parser.parse_query(rewritten).map_err(|e| failed(&e)),
    };
    let assembler = Assembler {
        parser,
        default: if and { Occur::Must } else { Occur::Should },
        defaults,
        exists,
        failed: &failed,
    };
    Ok(assembler
        .convert(ast)?
        .unwrap_or_else(|| Box::new(EmptyQuery)))
}

/// The default fields of a Lucene query that the parser cannot take as its own: `event.id`, which lives in
/// two fields (see `schema`), and paths in the JSON catch-all (the parser would search its root). A term
/// without a field is given each of them here.
#[derive(Debug, Clone, Default)]
pub struct DefaultFields {
    /// `event.id` is a default field.
    pub event_id: bool,
    /// Tantivy names of default paths in the JSON field (`attrs.host.name`).
    pub paths: Vec<String>,
    /// The parser has default fields of its own (without any, it refuses a term with no field).
    pub parser_has_others: bool,
}

impl DefaultFields {
    fn any(&self) -> bool {
        self.event_id || !self.paths.is_empty()
    }
}

/// Whether `ast` has an `F:*` or a group whose members are all negated (which includes the `(-b)` of
/// `a OR -b`): tantivy's parser refuses the first, and turns the second into a query matching nothing
/// (or, at the top, a 400).
fn needs_assembly(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(children) => {
            all_negated(children) || children.iter().any(|(_, c)| needs_assembly(c))
        }
        UserInputAst::Boost(inner, _) => needs_assembly(inner),
        UserInputAst::Leaf(leaf) => matches!(**leaf, UserInputLeaf::Exists { .. }),
    }
}

fn all_negated(children: &[(Option<Occur>, UserInputAst)]) -> bool {
    !children.is_empty()
        && children
            .iter()
            .all(|(occur, _)| *occur == Some(Occur::MustNot))
}

/// What [`Assembler::convert`] builds with.
struct Assembler<'a> {
    parser: &'a QueryParser,
    /// The occur of a clause's unmarked members.
    default: Occur,
    defaults: DefaultFields,
    exists: &'a dyn Fn(&str) -> Result<Q, EsError>,
    failed: &'a dyn Fn(&dyn std::fmt::Display) -> EsError,
}

impl Assembler<'_> {
    /// The query of `ast`, built as tantivy's parser builds it (a clause's unmarked members take the
    /// default occur; a leaf that yields no query, such as a term of punctuation only, is left out of its
    /// clause), except:
    /// - `F:*` is `exists(F)`;
    /// - a negated member of an OR (`a OR -b`, which tantivy's grammar reads as `a OR (-b)`) is a negation
    ///   of the clause, as in ES (`a OR -b` is `a` without `b`). A written-out `a OR (-b)` reads the same,
    ///   so it too means `a` without `b`, where ES would take `(-b)` as everything but `b`;
    /// - a clause of negations alone (`-a -b`) matches every document without them, as in ES (which adds a
    ///   `match_all` to it);
    /// - a leaf without a field also looks in the [`DefaultFields`].
    ///
    /// `None`: the query is empty (tantivy's parser leaves such a clause out of its parent too).
    fn convert(&self, ast: UserInputAst) -> Result<Option<Q>, EsError> {
        match ast {
            UserInputAst::Clause(children) => {
                let mut clauses = Vec::with_capacity(children.len() + 1);
                for (occur, child) in children {
                    let (occur, child) = lift_negation(occur.unwrap_or(self.default), child);
                    if let Some(q) = self.convert(child)? {
                        clauses.push((occur, q));
                    }
                }
                if clauses.is_empty() {
                    return Ok(None);
                }
                if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    clauses.push((Occur::Must, Box::new(AllQuery)));
                }
                Ok(Some(Box::new(BooleanQuery::new(clauses))))
            }
            UserInputAst::Boost(inner, boost) => Ok(self
                .convert(*inner)?
                .map(|q| Box::new(BoostQuery::new(q, boost as f32)) as Q)),
            UserInputAst::Leaf(leaf) => match *leaf {
                UserInputLeaf::Exists { field } if field.is_empty() => {
                    Err((self.failed)(&"`*` needs a field"))
                }
                UserInputLeaf::Exists { field } => (self.exists)(&field).map(Some),
                other => {
                    let ast = match self.defaults.any() {
                        true => in_default_fields(other, &self.defaults),
                        false => UserInputAst::Leaf(Box::new(other)),
                    };
                    let q = self
                        .parser
                        .build_query_from_user_input_ast(ast)
                        .map_err(|e| (self.failed)(&e))?;
                    Ok((!q.is::<EmptyQuery>()).then_some(q))
                }
            },
        }
    }
}

/// A leaf without a field, in every default field: in `_id` of the documents whose `event.id` is their `_id`
/// or in `attrs.event.id` (as `event.id:V` is rewritten, see [`rewrite_field_names`]) when `event.id` is
/// one, in each default path of the JSON field, and in the parser's own default fields when it has any.
/// Other leaves are returned as they are.
fn in_default_fields(leaf: UserInputLeaf, defaults: &DefaultFields) -> UserInputAst {
    let has_field = match &leaf {
        UserInputLeaf::Literal(literal) => literal.field_name.is_some(),
        UserInputLeaf::Range { field, .. } | UserInputLeaf::Set { field, .. } => field.is_some(),
        UserInputLeaf::All | UserInputLeaf::Exists { .. } => true,
    };
    if has_field {
        return UserInputAst::Leaf(Box::new(leaf));
    }
    let in_field = |field: &str| {
        let field = Some(field.to_string());
        let leaf = match leaf.clone() {
            UserInputLeaf::Literal(literal) => UserInputLeaf::Literal(UserInputLiteral {
                field_name: field,
                ..literal
            }),
            UserInputLeaf::Range { lower, upper, .. } => UserInputLeaf::Range {
                field,
                lower,
                upper,
            },
            UserInputLeaf::Set { elements, .. } => UserInputLeaf::Set { field, elements },
            other => other,
        };
        (Some(Occur::Should), UserInputAst::Leaf(Box::new(leaf)))
    };
    let mut members = Vec::new();
    if defaults.event_id {
        let folded = UserInputLeaf::Literal(UserInputLiteral {
            field_name: Some(F_FOLDED.to_string()),
            phrase: EVENT_ID.to_string(),
            delimiter: Delimiter::None,
            slop: 0,
            prefix: false,
        });
        let (_, in_id) = in_field(F_ID);
        members.push((
            Some(Occur::Should),
            UserInputAst::Clause(vec![
                (Some(Occur::Must), in_id),
                (Some(Occur::Must), UserInputAst::Leaf(Box::new(folded))),
            ]),
        ));
        members.push(in_field(&format!("{F_ATTRS}.{EVENT_ID}")));
    }
    members.extend(defaults.paths.iter().map(|path| in_field(path)));
    if defaults.parser_has_others {
        members.push((Some(Occur::Should), UserInputAst::Leaf(Box::new(leaf))));
    }
    UserInputAst::Clause(members)
}

/// A member that is a group of one negation, `(-b)`, is the negation itself: `(occur, (-b))` → `(-, b)`.
fn lift_negation(occur: Occur, child: UserInputAst) -> (Occur, UserInputAst) {
    match child {
        UserInputAst::Clause(mut inner)
            if occur != Occur::MustNot
                && inner.len() == 1
                && inner[0].0 == Some(Occur::MustNot) =>
        {
            match inner.pop() {
                Some((_, negated)) => (Occur::MustNot, negated),
                None => (occur, UserInputAst::Clause(inner)),
            }
        }
        other => (occur, other),
    }
}

/// Rewrites `field:` prefixes in a Lucene query string to the schema's names (`host.name:` →
/// `attrs.host.name:`), leaving quoted text and values alone.
pub fn rewrite_field_names(q: &str) -> String {
    let chars: Vec<char> = q.chars().collect();
    let mut out = String::with_capacity(q.len() + 16);
    let mut i = 0;
    let mut in_quote = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            out.push(c);
            if let Some(&n) = chars.get(i + 1) {
                out.push(n);
            }
            i += 2;
            continue;
        }
        if c == '"' {
            in_quote = !in_quote;
            out.push(c);
            i += 1;
            continue;
        }
        let at_start = i == 0 || matches!(chars[i - 1], ' ' | '\t' | '\n' | '(' | '+' | '-' | '!');
        if !in_quote && at_start && (c.is_alphabetic() || c == '_' || c == '@') {
            let mut j = i;
            while j < chars.len()
                && (chars[j].is_alphanumeric() || matches!(chars[j], '.' | '_' | '@' | '-'))
            {
                j += 1;
            }
            if chars.get(j) == Some(&':') {
                let name: String = chars[i..j].iter().collect();
                if name == "_exists_" {
                    // `_exists_:F` is `F:*`, with F's name rewritten like any other.
                    let end = value_end(&chars, j + 1);
                    let value: String = chars[j + 1..end].iter().collect();
                    let mut field = value.trim_matches('"');
                    while let Some(inner) = field.strip_prefix("_exists_:") {
                        field = inner.trim_matches('"');
                    }
                    // `field` does not start with `_exists_:`, so this goes one level deep at most.
                    out.push_str(&rewrite_field_names(&format!("{field}:*")));
                    i = end;
                    continue;
                } else if resolve_field(&name) == FieldRef::EventId {
                    // `event.id:V` → `((_id:V AND _folded:event.id) OR attrs.event.id:V)`: see `schema`.
                    let end = value_end(&chars, j + 1);
                    let value: String = chars[j + 1..end].iter().collect();
                    out.push_str(&format!(
                        "(({F_ID}:{value} AND {F_FOLDED}:{EVENT_ID}) OR {F_ATTRS}.{EVENT_ID}:{value})"
                    ));
                    i = end;
                    continue;
                } else if resolve_field(&name) == FieldRef::Timestamp {
                    // `@timestamp` is a column, not a term index (see `schema`): a single value is the
                    // range from it to itself; ranges and groups pass through.
                    let end = value_end(&chars, j + 1);
                    let value: String = chars[j + 1..end].iter().collect();
                    let bare = value.trim_matches('"');
                    if value.is_empty()
                        || value == "*"
                        || value.starts_with(['[', '{', '(', '>', '<'])
                    {
                        out.push_str(&format!("{F_TS}:{value}"));
                    } else {
                        out.push_str(&format!("{F_TS}:[{bare} TO {bare}]"));
                    }
                    i = end;
                    continue;
                } else {
                    out.push_str(&tantivy_name(&name));
                }
                i = j;
                continue;
            }
            let word: String = chars[i..j].iter().collect();
            out.push_str(&word);
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// End (exclusive) of the Lucene value starting at `start`: a quoted phrase, a `[..]`/`{..}` range, a
/// parenthesised group, or a bare term up to whitespace or `)`.
fn value_end(chars: &[char], start: usize) -> usize {
    let mut i = start;
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut range_close = None;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            i += 2;
            continue;
        }
        if in_quote {
            in_quote = c != '"';
            i += 1;
            if !in_quote && depth == 0 && range_close.is_none() {
                return i;
            }
            continue;
        }
        match (c, range_close) {
            (_, Some(close)) if c == close => return i + 1,
            (_, Some(_)) => {}
            ('"', None) => in_quote = true,
            ('[', None) if i == start => range_close = Some(']'),
            ('{', None) if i == start => range_close = Some('}'),
            ('(', None) => depth += 1,
            (')', None) if depth == 0 => return i,
            (')', None) => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            (c, None) if c.is_whitespace() && depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    chars.len().min(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_fields() {
        assert_eq!(
            rewrite_field_names(r#"host.name:web-1 AND message:"a:b" error"#),
            r#"attrs.host.name:web-1 AND message:"a:b" error"#
        );
        assert_eq!(
            rewrite_field_names("(log.level:error OR -x:y)"),
            "(attrs.log.level:error OR -attrs.x:y)"
        );
        assert_eq!(
            rewrite_field_names("@timestamp:[2026-01-01T00:00:00Z TO *]"),
            "@timestamp:[2026-01-01T00:00:00Z TO *]"
        );
        assert_eq!(
            rewrite_field_names(r#"@timestamp:"2026-01-01T00:00:00Z" AND x"#),
            "@timestamp:[2026-01-01T00:00:00Z TO 2026-01-01T00:00:00Z] AND x"
        );
        assert_eq!(
            rewrite_field_names("(@timestamp:2026-01-01T00:00:00Z)"),
            "(@timestamp:[2026-01-01T00:00:00Z TO 2026-01-01T00:00:00Z])"
        );
    }

    #[test]
    fn event_id_looks_in_id_and_attrs() {
        let both = |v: &str| format!("((_id:{v} AND _folded:event.id) OR attrs.event.id:{v})");
        assert_eq!(
            rewrite_field_names("event.id:ab12 AND error"),
            format!("{} AND error", both("ab12"))
        );
        assert_eq!(
            rewrite_field_names(r#"-event.id:"a b" x"#),
            format!("-{} x", both(r#""a b""#))
        );
        assert_eq!(
            rewrite_field_names("(event.id:[a TO c])"),
            format!("({})", both("[a TO c]"))
        );
        assert_eq!(
            rewrite_field_names("event.id:(a OR b) y"),
            format!("{} y", both("(a OR b)"))
        );
        assert_eq!(rewrite_field_names("event.id:ab*"), both("ab*"));
    }

    #[test]
    fn exists_is_field_star() {
        assert_eq!(
            rewrite_field_names("_exists_:host.name"),
            "attrs.host.name:*"
        );
        assert_eq!(
            rewrite_field_names("a AND _exists_:\"log.level\""),
            "a AND attrs.log.level:*"
        );
        assert_eq!(rewrite_field_names("-_exists_:message"), "-message:*");
        assert_eq!(rewrite_field_names("@timestamp:*"), "@timestamp:*");
        assert_eq!(rewrite_field_names("_exists_:@timestamp"), "@timestamp:*");
    }
}
