//! Condition text → tokens with their byte positions.

use crate::field_ref::FieldRef;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Str(String),
    Int(i64),
    Float(f64),
    Regex(String),
    Field(FieldRef),
    /// `and`, `or`, `xor`, `nand`, `not`, `in`, `true`, `false`.
    Keyword(&'static str),
    ListOpen,
    ListClose,
    Comma,
    ParenOpen,
    ParenClose,
    Compare(super::CompareOp),
    Match,
    NotMatch,
    Bang,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const KEYWORDS: [&str; 8] = ["and", "or", "xor", "nand", "not", "in", "true", "false"];

type LexError = (usize, String);

pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, LexError> {
    use super::CompareOp::*;
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let pos = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = b.get(i..i + 2);
        let (tok, len) = match (c, two) {
            (_, Some(b"==")) => (Tok::Compare(Eq), 2),
            (_, Some(b"!=")) => (Tok::Compare(Ne), 2),
            (_, Some(b"<=")) => (Tok::Compare(Le), 2),
            (_, Some(b">=")) => (Tok::Compare(Ge), 2),
            (_, Some(b"=~")) => (Tok::Match, 2),
            (_, Some(b"!~")) => (Tok::NotMatch, 2),
            (b'<', _) => (Tok::Compare(Lt), 1),
            (b'>', _) => (Tok::Compare(Gt), 1),
            (b'!', _) => (Tok::Bang, 1),
            (b'(', _) => (Tok::ParenOpen, 1),
            (b')', _) => (Tok::ParenClose, 1),
            (b',', _) => (Tok::Comma, 1),
            (b']', _) => (Tok::ListClose, 1),
            (b'"' | b'\'', _) => {
                let (value, len) = string(text, i)?;
                (Tok::Str(value), len)
            }
            (b'/', _) => {
                let (value, len) = regex(text, i)?;
                (Tok::Regex(value), len)
            }
            (b'[', _) => {
                if is_list(&text[i + 1..]) {
                    (Tok::ListOpen, 1)
                } else {
                    let (field, len) = selector(text, i)?;
                    (Tok::Field(field), len)
                }
            }
            (b'-' | b'0'..=b'9', _) => number(text, i)?,
            (c, _) if c.is_ascii_alphabetic() || c == b'_' || c == b'@' => {
                let len = b[i..]
                    .iter()
                    .take_while(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, b'_' | b'@' | b'.' | b'-')
                    })
                    .count();
                let word = &text[i..i + len];
                match KEYWORDS.iter().find(|k| **k == word) {
                    Some(keyword) => (Tok::Keyword(keyword), len),
                    None => {
                        let field = FieldRef::parse(word).map_err(|e| (pos, e.to_string()))?;
                        (Tok::Field(field), len)
                    }
                }
            }
            _ => {
                let shown = text[i..].chars().next().unwrap_or('?');
                return Err((pos, format!("unexpected `{shown}`")));
            }
        };
        tokens.push(Token { tok, pos });
        i += len;
    }
    Ok(tokens)
}

/// Whether the text after a `[` is a list literal rather than a field reference: its first bracket group is
/// empty, starts with a quote, holds a comma, or is a number (`[1]` is a list, `[1a]` a field).
fn is_list(after: &str) -> bool {
    let group = after.split(']').next().unwrap_or_default().trim();
    group.is_empty()
        || group.starts_with(['"', '\''])
        || group.contains(',')
        || (group.starts_with(|c: char| c.is_ascii_digit() || c == '-')
            && group.parse::<f64>().is_ok())
}

/// A quoted string starting at `start`; returns its value and length in bytes.
fn string(text: &str, start: usize) -> Result<(String, usize), LexError> {
    let quote = text.as_bytes()[start] as char;
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        if c == quote {
            return Ok((value, offset + 2));
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        match chars.next() {
            Some((_, 'n')) => value.push('\n'),
            Some((_, 't')) => value.push('\t'),
            Some((_, 'r')) => value.push('\r'),
            Some((_, e)) if e == '\\' || e == '"' || e == '\'' => value.push(e),
            Some((_, e)) => {
                value.push('\\');
                value.push(e);
            }
            None => break,
        }
    }
    Err((start, "the string is not closed".into()))
}

/// A `/regex/` starting at `start`: `\/` stands for `/`, other escapes are kept for the regex engine.
fn regex(text: &str, start: usize) -> Result<(String, usize), LexError> {
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices();
    while let Some((offset, c)) = chars.next() {
        match c {
            '/' => return Ok((value, offset + 2)),
            '\\' => match chars.next() {
                Some((_, '/')) => value.push('/'),
                Some((_, e)) => {
                    value.push('\\');
                    value.push(e);
                }
                None => break,
            },
            c => value.push(c),
        }
    }
    Err((start, "the regular expression is not closed with /".into()))
}

/// `[a][b]…` starting at `start`.
fn selector(text: &str, start: usize) -> Result<(FieldRef, usize), LexError> {
    let b = text.as_bytes();
    let mut end = start;
    while b.get(end) == Some(&b'[') {
        let close = text[end..]
            .find(']')
            .ok_or((end, "the field reference `[` is not closed".to_string()))?;
        let segment = &text[end + 1..end + close];
        if segment.contains(',') {
            return Err((
                end,
                "a list holds quoted strings or numbers (`[\"a\", \"b\"]`); a field reference has no commas"
                    .into(),
            ));
        }
        end += close + 1;
    }
    let field = FieldRef::parse(&text[start..end]).map_err(|e| (start, e.to_string()))?;
    Ok((field, end - start))
}

fn number(text: &str, start: usize) -> Result<(Tok, usize), LexError> {
    let b = text.as_bytes();
    let mut i = start;
    if b[i] == b'-' {
        i += 1;
    }
    let digits_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    if i == digits_start {
        return Err((start, "a `-` must start a number".into()));
    }
    let mut float = false;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        float = true;
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            float = true;
            i = j;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    let literal = &text[start..i];
    if !float {
        if let Ok(value) = literal.parse::<i64>() {
            return Ok((Tok::Int(value), i - start));
        }
    }
    match literal.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok((Tok::Float(value), i - start)),
        _ => Err((start, format!("`{literal}` is not a usable number"))),
    }
}
