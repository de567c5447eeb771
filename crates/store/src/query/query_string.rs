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
use tantivy::query_grammar::{
    self, Delimiter, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral,
};

use crate::doc::schema::{
    resolve_field, tantivy_name, FieldRef, EVENT_ID, F_ATTRS, F_FOLDED, F_ID, F_TS,
};
use crate::query::error::QueryError;

type Q = Box<dyn Query>;

/// Parses `rewritten` (the output of [`rewrite_field_names`] for the user's `text`) with `parser`;
/// `fields` answers `name:*` and ranges over fields mapped as dates, where `name` is the tantivy name.
/// `and`: the default operator is AND. `defaults`: the default fields besides the parser's own.
///
/// tantivy's query grammar (0.25) panics on `- *` ("Exist query without a field isn't allowed", which
/// [`rewrite_field_names`] avoids by writing `-*`) and its term conversion on a NUL in a field name (which
/// [`bad_field_name`] finds first); should another input panic it, the panic is this query's parse
/// error, caught here, not a failed request.
pub fn build(
    parser: &QueryParser,
    text: &str,
    rewritten: &str,
    and: bool,
    defaults: DefaultFields,
    fields: &FieldHooks<'_>,
) -> Result<Q, QueryError> {
    let run = || build_unguarded(parser, text, rewritten, and, defaults, fields);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the query parser failed".to_string());
        Err(QueryError::QueryString {
            query: text.to_string(),
            reason: why,
        })
    })
}

fn build_unguarded(
    parser: &QueryParser,
    text: &str,
    rewritten: &str,
    and: bool,
    defaults: DefaultFields,
    fields: &FieldHooks<'_>,
) -> Result<Q, QueryError> {
    let failed = |e: &dyn std::fmt::Display| QueryError::QueryString {
        query: text.to_string(),
        reason: e.to_string(),
    };
    let parsed = query_grammar::parse_query(rewritten);
    if let Some(field) = parsed.as_ref().ok().and_then(bad_field_name) {
        return Err(QueryError::ControlCharInField {
            query: text.to_string(),
            field: field.escape_debug().to_string(),
        });
    }
    let ast = match parsed {
        Ok(ast) if defaults.by_name() || needs_assembly(&ast, fields.is_date) => ast,
        // Otherwise (or when it does not parse: the parser words the error) tantivy does it all.
        _ => return parser.parse_query(rewritten).map_err(|e| failed(&e)),
    };
    let assembler = Assembler {
        parser,
        default: if and { Occur::Must } else { Occur::Should },
        defaults,
        fields,
        failed: &failed,
    };
    Ok(assembler
        .convert(ast)?
        .unwrap_or_else(|| Box::new(EmptyQuery)))
}

/// What the query builder answers for the assembly: the leaves tantivy's parser cannot build as ES means
/// them. Field names are tantivy names (`attrs.event.created`).
pub struct FieldHooks<'a> {
    /// `F:*`: F has a value.
    pub exists: &'a dyn Fn(&str) -> Result<Q, QueryError>,
    /// Whether F is a path of `attrs` the index maps as a date.
    pub is_date: &'a dyn Fn(&str) -> bool,
    /// A range over such a field (`F:[a TO b]`, `F:>a`), compared as times, with date math.
    pub date_range: &'a dyn Fn(&str, &UserInputBound, &UserInputBound) -> Result<Q, QueryError>,
}

/// The default fields of a Lucene query when some cannot be the parser's own: `event.id`, which lives in two
/// fields (see `schema`), and paths in the JSON catch-all (the parser would search the field's root). Then
/// a term without a field is given every default field by name here, each built on its own.
#[derive(Debug, Clone, Default)]
pub struct DefaultFields {
    /// `event.id` is a default field.
    pub event_id: bool,
    /// Tantivy names of the other default fields (`message`, `attrs.host.name`).
    pub names: Vec<String>,
}

impl DefaultFields {
    /// Whether terms without a field are given their fields here rather than by the parser.
    fn by_name(&self) -> bool {
        self.event_id
            || self.names.iter().any(|n| {
                n.strip_prefix(F_ATTRS)
                    .is_some_and(|path| path.starts_with('.'))
            })
    }
}

/// Whether `ast` has an `F:*`, a range over a field mapped as a date (`is_date`), or a group whose
/// members are all negated (which includes the `(-b)` of `a OR -b`): tantivy's parser refuses the first,
/// compares the second as text, and turns the third into a query matching nothing (or, at the top, a 400).
fn needs_assembly(ast: &UserInputAst, is_date: &dyn Fn(&str) -> bool) -> bool {
    match ast {
        UserInputAst::Clause(children) => {
            all_negated(children) || children.iter().any(|(_, c)| needs_assembly(c, is_date))
        }
        UserInputAst::Boost(inner, _) => needs_assembly(inner, is_date),
        UserInputAst::Leaf(leaf) => {
            matches!(**leaf, UserInputLeaf::Exists { .. })
                || unbounded_range_field(leaf).is_some()
                || date_range_field(leaf, is_date).is_some()
        }
    }
}

/// The field of a range over a field mapped as a date (`is_date`).
fn date_range_field<'l>(
    leaf: &'l UserInputLeaf,
    is_date: &dyn Fn(&str) -> bool,
) -> Option<&'l str> {
    match leaf {
        UserInputLeaf::Range {
            field: Some(field), ..
        } if is_date(field) => Some(field),
        _ => None,
    }
}

/// The field of `F:[* TO *]`, which ES reads as "F has a value" and tantivy as a range (empty on some
/// fields).
fn unbounded_range_field(leaf: &UserInputLeaf) -> Option<&str> {
    match leaf {
        UserInputLeaf::Range {
            field: Some(field),
            lower: UserInputBound::Unbounded,
            upper: UserInputBound::Unbounded,
        } => Some(field),
        _ => None,
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
    fields: &'a FieldHooks<'a>,
    failed: &'a dyn Fn(&dyn std::fmt::Display) -> QueryError,
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
    /// - `F:[* TO *]` is `exists(F)` too, as in ES;
    /// - a range over a field mapped as a date compares times (`date_range`), with date math;
    /// - a leaf without a field is given every default field by name when [`DefaultFields::by_name`].
    ///
    /// `None`: the query is empty (tantivy's parser leaves such a clause out of its parent too).
    fn convert(&self, ast: UserInputAst) -> Result<Option<Q>, QueryError> {
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
            UserInputAst::Leaf(leaf) => self.convert_leaf(*leaf),
        }
    }

    fn convert_leaf(&self, leaf: UserInputLeaf) -> Result<Option<Q>, QueryError> {
        if let UserInputLeaf::Exists { field } = &leaf {
            if field.is_empty() {
                return Err((self.failed)(&"`*` needs a field"));
            }
            return (self.fields.exists)(field).map(Some);
        }
        if let Some(field) = unbounded_range_field(&leaf) {
            return (self.fields.exists)(field).map(Some);
        }
        if let UserInputLeaf::Range {
            field: Some(field),
            lower,
            upper,
        } = &leaf
        {
            if (self.fields.is_date)(field) {
                return (self.fields.date_range)(field, lower, upper).map(Some);
            }
        }
        if self.defaults.by_name() && has_no_field(&leaf) {
            return self.in_default_fields(&leaf);
        }
        let q = self
            .parser
            .build_query_from_user_input_ast(UserInputAst::Leaf(Box::new(leaf)))
            .map_err(|e| (self.failed)(&e))?;
        Ok((!q.is::<EmptyQuery>()).then_some(q))
    }

    /// `leaf` (which has no field) in every default field, as tantivy's parser does with its own: each field
    /// is built on its own, and one that refuses the leaf (a phrase prefix on a keyword, a range on text) is
    /// left out unless all do. `event.id` is where `event.id:V` looks (see [`rewrite_field_names`]): `_id`
    /// of the documents whose `event.id` is their `_id`, or `attrs.event.id`.
    fn in_default_fields(&self, leaf: &UserInputLeaf) -> Result<Option<Q>, QueryError> {
        let mut members = Vec::new();
        if self.defaults.event_id {
            let folded = UserInputLeaf::Literal(UserInputLiteral {
                field_name: Some(F_FOLDED.to_string()),
                phrase: EVENT_ID.to_string(),
                delimiter: Delimiter::None,
                slop: 0,
                prefix: false,
            });
            members.push(UserInputAst::Clause(vec![
                (Some(Occur::Must), with_field(leaf, F_ID)),
                (Some(Occur::Must), UserInputAst::Leaf(Box::new(folded))),
            ]));
            members.push(with_field(leaf, &format!("{F_ATTRS}.{EVENT_ID}")));
        }
        members.extend(
            self.defaults
                .names
                .iter()
                .map(|name| with_field(leaf, name)),
        );
        let mut queries: Vec<(Occur, Q)> = Vec::with_capacity(members.len());
        let mut refused = None;
        for member in members {
            match self.convert(member) {
                Ok(Some(q)) => queries.push((Occur::Should, q)),
                Ok(None) => {}
                Err(e) => {
                    refused.get_or_insert(e);
                }
            }
        }
        match (queries.len(), refused) {
            (0, Some(e)) => Err(e),
            (0, None) => Ok(None),
            (1, _) => Ok(queries.pop().map(|(_, q)| q)),
            _ => Ok(Some(Box::new(BooleanQuery::new(queries)))),
        }
    }
}

/// Whether `leaf` is a term, phrase, range or set without a field (which takes the default fields).
fn has_no_field(leaf: &UserInputLeaf) -> bool {
    match leaf {
        UserInputLeaf::Literal(literal) => literal.field_name.is_none(),
        UserInputLeaf::Range { field, .. } | UserInputLeaf::Set { field, .. } => field.is_none(),
        UserInputLeaf::All | UserInputLeaf::Exists { .. } => false,
    }
}

/// `leaf` in `field`.
fn with_field(leaf: &UserInputLeaf, field: &str) -> UserInputAst {
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
    UserInputAst::Leaf(Box::new(leaf))
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
    guard_match_all(&out)
}

/// Keeps tantivy's grammar (0.25) off its panic on a `*` that follows whitespace where a leaf begins
/// ("Exist query without a field isn't allowed"): `- *` (an operator, then spaces) becomes `-*`, as Lucene
/// reads an operator across spaces; any other such `*` outside a range becomes `(*)`, the same match-all
/// as a group, which the grammar takes wherever a leaf may begin (after `-01`, a negative number, a `-` is
/// an operator too). Quoted and escaped text is left alone.
fn guard_match_all(q: &str) -> String {
    let chars: Vec<char> = q.chars().collect();
    let mut out = String::with_capacity(q.len());
    let mut i = 0;
    let mut in_quote = false;
    let mut in_range = false;
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
        match c {
            '"' => in_quote = !in_quote,
            '[' | '{' if !in_quote => in_range = true,
            ']' | '}' if !in_quote => in_range = false,
            _ => {}
        }
        let free = !in_quote && !in_range;
        if free && matches!(c, '+' | '-') && operator_before_match_all(&chars, i) {
            // The `*` comes right after: an operand, not a group.
            out.push(c);
            out.push('*');
            i = next_non_space(&chars, i + 1) + 1;
            continue;
        }
        if free && c == '*' && spaced_match_all(&chars, i) {
            out.push_str("(*)");
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Whether the `*` at `i` follows grammar whitespace and ends there (whitespace, a character that ends a
/// word, or the end follows): where tantivy's grammar reads it as an exists query without a field.
fn spaced_match_all(chars: &[char], i: usize) -> bool {
    let after = chars.get(i + 1);
    i > 0
        && is_grammar_space(chars[i - 1])
        && after.is_none_or(|&c| c.is_whitespace() || ENDS_A_WORD.contains(&c))
}

/// The characters that end a word in tantivy's grammar (its `ESCAPE_IN_WORD`).
const ENDS_A_WORD: &[char] = &['^', '`', ':', '{', '}', '"', '\'', '[', ']', '(', ')', '\\'];

/// The whitespace of tantivy's grammar (nom's `multispace`).
fn is_grammar_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Index of the first character at or after `i` that is not grammar whitespace.
fn next_non_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|&c| is_grammar_space(c)) {
        i += 1;
    }
    i
}

/// Whether the `+`/`-` at `i` is an operator (it starts a token) followed by whitespace and then a `*`.
fn operator_before_match_all(chars: &[char], i: usize) -> bool {
    let starts_token = i == 0 || matches!(chars[i - 1], '(') || is_grammar_space(chars[i - 1]);
    let star = next_non_space(chars, i + 1);
    starts_token && star > i + 1 && chars.get(star) == Some(&'*')
}

/// The first field name of `ast` a query cannot have: one with a control character (a NUL ends a JSON
/// path inside a term, so tantivy's term conversion asserts on it; ES has no such field either).
fn bad_field_name(ast: &UserInputAst) -> Option<&str> {
    fn bad(name: Option<&String>) -> Option<&str> {
        name.map(String::as_str)
            .filter(|n| n.chars().any(char::is_control))
    }
    match ast {
        UserInputAst::Clause(children) => children.iter().find_map(|(_, c)| bad_field_name(c)),
        UserInputAst::Boost(inner, _) => bad_field_name(inner),
        UserInputAst::Leaf(leaf) => match &**leaf {
            UserInputLeaf::Literal(literal) => bad(literal.field_name.as_ref()),
            UserInputLeaf::All => None,
            UserInputLeaf::Range { field, .. } | UserInputLeaf::Set { field, .. } => {
                bad(field.as_ref())
            }
            UserInputLeaf::Exists { field } => bad(Some(field)),
        },
    }
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

    /// Every query of up to five characters over the grammar's operators (and of up to four after a field
    /// whose value the rewrite copies): none makes tantivy's grammar panic once rewritten (without the rewrite, 508 do: `- *`, `+\t*`, `(- *`…).
    #[test]
    fn no_short_query_panics_the_grammar() {
        let alphabet: Vec<char> = " \t*-+()a:\"".chars().collect();
        let mut panicked = Vec::new();
        let mut query = Vec::new();
        for len in 1..=5u32 {
            for mut n in 0..alphabet.len().pow(len) {
                query.clear();
                for _ in 0..len {
                    query.push(alphabet[n % alphabet.len()]);
                    n /= alphabet.len();
                }
                // Values the rewrite copies whole (`event.id`'s, `@timestamp`'s) as well as the others.
                for prefix in ["", "event.id:(", "@timestamp:(", "_exists_:"] {
                    if len == 5 && !prefix.is_empty() {
                        continue;
                    }
                    let text: String = prefix.chars().chain(query.iter().copied()).collect();
                    let rewritten = rewrite_field_names(&text);
                    let parse = || drop(query_grammar::parse_query(&rewritten));
                    if std::panic::catch_unwind(parse).is_err() {
                        panicked.push(text);
                    }
                }
            }
        }
        assert!(
            panicked.is_empty(),
            "{} panic, e.g. {:?}",
            panicked.len(),
            &panicked[..panicked.len().min(5)]
        );
    }

    #[test]
    fn an_operator_reaches_across_spaces_to_match_all() {
        assert_eq!(rewrite_field_names("- *"), "-*");
        assert_eq!(rewrite_field_names("a OR +  \t*"), "a OR +*");
        assert_eq!(rewrite_field_names("(- * b)"), "(-* b)");
        // Not an operator: inside a word, a phrase, or escaped (the `*` then is a group of its own).
        assert_eq!(rewrite_field_names("a- *"), "a- (*)");
        assert_eq!(rewrite_field_names("\"- *\""), "\"- *\"");
        assert_eq!(rewrite_field_names("\\- *"), "\\- (*)");
        // A spaced `*` elsewhere is a group; in a range it is a bound.
        assert_eq!(rewrite_field_names("h:-01- *]"), "attrs.h:-01- (*)]");
        assert_eq!(rewrite_field_names("a *"), "a (*)");
        assert_eq!(
            rewrite_field_names("message:[1 TO *] OR {* TO 2}"),
            "message:[1 TO *] OR {* TO 2}"
        );
        assert_eq!(rewrite_field_names("a *b"), "a *b");
    }

    #[test]
    fn a_field_name_with_a_control_character_is_refused() {
        let ast = query_grammar::parse_query("a\u{0}b:c").expect("parses");
        assert_eq!(bad_field_name(&ast), Some("a\u{0}b"));
        let ast = query_grammar::parse_query("x:[a TO b] AND (attrs.y:1)").expect("parses");
        assert_eq!(bad_field_name(&ast), None);
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
