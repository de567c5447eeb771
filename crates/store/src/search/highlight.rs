//! Highlighting of `message` in hits: the query's terms found by the field's analyser and wrapped in
//! `pre_tags` / `post_tags`, whole or in fragments of about `fragment_size` bytes.

use std::collections::HashSet;

use serde_json::Value;

use crate::doc::schema::F_MSG;
use crate::index::IndexHandle;
use crate::wildcard;

/// Highlighting options for `message`.
pub struct Highlight {
    pre: String,
    post: String,
    fragment_size: usize,
    fragments: usize,
}

/// The highlighting a request body asks for on `message` (`None`: none).
pub fn parse_highlight(v: Option<&Value>) -> Option<Highlight> {
    let m = v?.as_object()?;
    let fields = m.get("fields")?;
    let opts = match fields {
        Value::Object(f) => f
            .iter()
            .find(|(k, _)| wildcard::matches(k, F_MSG))
            .map(|(_, o)| o.clone())?,
        Value::Array(a) => a.iter().filter_map(Value::as_object).find_map(|f| {
            f.iter()
                .find(|(k, _)| wildcard::matches(k, F_MSG))
                .map(|(_, o)| o.clone())
        })?,
        _ => return None,
    };
    let get = |k: &str| opts.get(k).or_else(|| m.get(k));
    let first = |k: &str, d: &str| {
        get(k)
            .and_then(|v| {
                v.as_array()
                    .and_then(|a| a.first())
                    .and_then(Value::as_str)
                    .or_else(|| v.as_str())
            })
            .unwrap_or(d)
            .to_string()
    };
    Some(Highlight {
        pre: first("pre_tags", "<em>"),
        post: first("post_tags", "</em>"),
        fragment_size: get("fragment_size").and_then(Value::as_u64).unwrap_or(100) as usize,
        fragments: get("number_of_fragments")
            .and_then(Value::as_u64)
            .unwrap_or(5) as usize,
    })
}

/// The highlighted fragments of `text` for the query `terms` (`None`: no term occurs).
pub fn highlight_text(
    handle: &IndexHandle,
    terms: &HashSet<String>,
    text: &str,
    h: &Highlight,
) -> tantivy::Result<Option<Vec<String>>> {
    let mut analyzer = handle.index.tokenizer_for_field(handle.fields.message)?;
    let mut stream = analyzer.token_stream(text);
    let mut spans: Vec<(usize, usize)> = Vec::new();
    while stream.advance() {
        let t = stream.token();
        if terms.contains(&t.text)
            && t.offset_to <= text.len()
            && text.is_char_boundary(t.offset_from)
            && text.is_char_boundary(t.offset_to)
        {
            spans.push((t.offset_from, t.offset_to));
        }
    }
    if spans.is_empty() {
        return Ok(None);
    }
    let mark = |from: usize, to: usize| -> String {
        let mut s = String::new();
        let mut pos = from;
        for &(a, b) in spans.iter().filter(|(a, b)| *a >= from && *b <= to) {
            s.push_str(&text[pos..a]);
            s.push_str(&h.pre);
            s.push_str(&text[a..b]);
            s.push_str(&h.post);
            pos = b;
        }
        s.push_str(&text[pos..to]);
        s
    };
    if h.fragments == 0 || text.len() <= h.fragment_size {
        return Ok(Some(vec![mark(0, text.len())]));
    }
    let mut frags = Vec::new();
    let mut covered = 0;
    for &(a, _) in &spans {
        if a < covered || frags.len() >= h.fragments {
            continue;
        }
        let mut start = a.saturating_sub(h.fragment_size / 4);
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        if let Some(ws) = text[..a].rfind(char::is_whitespace).filter(|&w| w >= start) {
            start = if ws < a { ws + 1 } else { start };
        }
        let mut end = (start + h.fragment_size).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        // Never cut a highlighted token.
        if let Some(&(_, b)) = spans.iter().find(|(x, y)| *x < end && *y > end) {
            end = b;
        }
        frags.push(mark(start, end));
        covered = end;
    }
    Ok(Some(frags))
}
