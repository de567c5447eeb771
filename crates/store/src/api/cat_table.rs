//! The tables of the `_cat` APIs, rendered as Elasticsearch renders them.
//!
//! A table has columns (a name, aliases, right-aligned or not) and rows of typed cells. The request picks
//! and orders columns (`h=`, names, aliases or `*` patterns), sorts rows (`s=col[:asc|:desc],..`), shows
//! byte sizes in a unit (`bytes=b|kb|mb|gb|tb|pb`, else human: `4.5kb`), and chooses the format: JSON
//! (`format=json`, or an `Accept` naming JSON first) is an array of objects of strings; otherwise
//! `text/plain`, one line per row, cells padded to their column's width and separated by a space, with
//! a header line when `v` is set.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use crate::api::error::EsError;
use crate::api::request::EsRequest;
use crate::api::response::{accepts_json_first, EsResponse};
use crate::wildcard;

/// A column of a table.
pub struct Column {
    /// Its name (the header shown, the key in JSON).
    pub name: &'static str,
    /// Other names `h=` and `s=` accept.
    pub aliases: &'static [&'static str],
    /// Numbers are right-aligned in text.
    pub right_aligned: bool,
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A count.
    Number(u64),
    /// A size in bytes (shown in the unit `bytes=` asks for).
    Bytes(u64),
}

impl Cell {
    fn render(&self, unit: Option<u64>) -> String {
        match (self, unit) {
            (Cell::Text(s), _) => s.clone(),
            (Cell::Number(n), _) => n.to_string(),
            (Cell::Bytes(n), Some(unit)) => (n / unit).to_string(),
            (Cell::Bytes(n), None) => human_bytes(*n),
        }
    }

    fn compare(&self, other: &Cell) -> Ordering {
        match (self, other) {
            (Cell::Text(a), Cell::Text(b)) => a.cmp(b),
            (Cell::Number(a) | Cell::Bytes(a), Cell::Number(b) | Cell::Bytes(b)) => a.cmp(b),
            (Cell::Text(_), _) => Ordering::Greater,
            (_, Cell::Text(_)) => Ordering::Less,
        }
    }
}

/// A size as ES shows it: the largest unit it reaches, one decimal, cut (not rounded), and none when
/// that decimal is 0 (`225b`, `4.5kb`, `1mb`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [(u32, &str); 5] = [(50, "pb"), (40, "tb"), (30, "gb"), (20, "mb"), (10, "kb")];
    for (shift, suffix) in UNITS {
        if n >> shift > 0 {
            let tenths = (u128::from(n) * 10) >> shift;
            return match tenths % 10 {
                0 => format!("{}{suffix}", tenths / 10),
                d => format!("{}.{d}{suffix}", tenths / 10),
            };
        }
    }
    format!("{n}b")
}

/// The divisor of `bytes=` (`None`: human sizes).
fn bytes_unit(req: &EsRequest) -> Result<Option<u64>, EsError> {
    let Some(unit) = req.param("bytes") else {
        return Ok(None);
    };
    let shift = match unit {
        "b" => 0,
        "k" | "kb" => 10,
        "m" | "mb" => 20,
        "g" | "gb" => 30,
        "t" | "tb" => 40,
        "p" | "pb" => 50,
        other => {
            return Err(EsError::illegal_argument(format!(
                "failed to parse [bytes] parameter value [{other}], expected one of [b, kb, mb, gb, tb, pb]"
            )))
        }
    };
    Ok(Some(1u64 << shift))
}

/// Whether the answer is JSON: `format=json`, or no `format` and an `Accept` naming JSON first.
fn wants_json(req: &EsRequest) -> Result<bool, EsError> {
    match req.param("format") {
        None => Ok(accepts_json_first(&req.headers)),
        Some(f) if f.eq_ignore_ascii_case("json") => Ok(true),
        Some(f) if f.eq_ignore_ascii_case("text") || f.eq_ignore_ascii_case("txt") => Ok(false),
        Some(other) => Err(EsError::illegal_argument(format!(
            "format [{other}] is not supported by the logpipe store; use json or text"
        ))),
    }
}

/// A flag parameter: present without value or `true`.
fn flag(req: &EsRequest, name: &str) -> bool {
    matches!(req.param(name), Some("" | "true"))
}

/// Indices of the columns `h=` asks for, in its order (all when absent). Unknown names are skipped, as
/// in ES.
fn displayed(columns: &[Column], req: &EsRequest) -> Vec<usize> {
    let Some(h) = req.param("h") else {
        return (0..columns.len()).collect();
    };
    let mut out: Vec<usize> = Vec::new();
    for wanted in h.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        for (i, c) in columns.iter().enumerate() {
            let names = std::iter::once(c.name).chain(c.aliases.iter().copied());
            let hit = names.into_iter().any(|n| wildcard::matches(wanted, n));
            if hit && !out.contains(&i) {
                out.push(i);
            }
        }
    }
    out
}

/// The row order `s=` asks for (stable; rows as given when absent).
fn row_order(
    columns: &[Column],
    rows: &[Vec<Cell>],
    req: &EsRequest,
) -> Result<Vec<usize>, EsError> {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let Some(s) = req.param("s") else {
        return Ok(order);
    };
    let mut keys: Vec<(usize, bool)> = Vec::new();
    for key in s.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let (name, desc) = match key.rsplit_once(':') {
            Some((name, "desc")) => (name, true),
            Some((name, "asc")) => (name, false),
            _ => (key, false),
        };
        let column = columns
            .iter()
            .position(|c| c.name == name || c.aliases.contains(&name))
            .ok_or_else(|| {
                EsError::illegal_argument(format!("Unable to sort by unknown sort key `{name}`"))
            })?;
        keys.push((column, desc));
    }
    order.sort_by(|&a, &b| {
        keys.iter()
            .map(|&(c, desc)| {
                let o = rows[a][c].compare(&rows[b][c]);
                if desc {
                    o.reverse()
                } else {
                    o
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    });
    Ok(order)
}

/// The answer to `req` showing `rows` (one cell per column, in the order of `columns`).
pub fn render(
    columns: &[Column],
    rows: &[Vec<Cell>],
    req: &EsRequest,
) -> Result<EsResponse, EsError> {
    let shown = displayed(columns, req);
    let order = row_order(columns, rows, req)?;
    let unit = bytes_unit(req)?;
    let cells: Vec<Vec<String>> = order
        .iter()
        .map(|&r| shown.iter().map(|&c| rows[r][c].render(unit)).collect())
        .collect();
    if wants_json(req)? {
        let objects: Vec<Value> = cells
            .into_iter()
            .map(|row| {
                let object: Map<String, Value> = shown
                    .iter()
                    .zip(row)
                    .map(|(&c, v)| (columns[c].name.to_string(), Value::String(v)))
                    .collect();
                Value::Object(object)
            })
            .collect();
        return Ok(EsResponse::json(200, &Value::Array(objects), &req.headers));
    }
    let header: Vec<String> = shown.iter().map(|&c| columns[c].name.to_string()).collect();
    let verbose = flag(req, "v");
    let mut widths: Vec<usize> = vec![0; shown.len()];
    for row in cells.iter().chain(verbose.then_some(&header)) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in verbose.then_some(&header).into_iter().chain(&cells) {
        let last = row.len().saturating_sub(1);
        for (i, ((cell, &width), &c)) in row.iter().zip(&widths).zip(&shown).enumerate() {
            let pad = width.saturating_sub(cell.chars().count());
            if columns[c].right_aligned {
                text.extend(std::iter::repeat_n(' ', pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                // The last column is not padded on the right.
                if i != last {
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            if i != last {
                text.push(' ');
            }
        }
        text.push('\n');
    }
    Ok(EsResponse::text(200, text))
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    const COLUMNS: [Column; 3] = [
        Column {
            name: "index",
            aliases: &["i", "idx"],
            right_aligned: false,
        },
        Column {
            name: "docs.count",
            aliases: &["dc"],
            right_aligned: true,
        },
        Column {
            name: "store.size",
            aliases: &["ss"],
            right_aligned: true,
        },
    ];

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec![
                Cell::Text("logs".into()),
                Cell::Number(12),
                Cell::Bytes(4608),
            ],
            vec![Cell::Text("a".into()), Cell::Number(7), Cell::Bytes(225)],
            vec![
                Cell::Text("metrics-long".into()),
                Cell::Number(1000),
                Cell::Bytes(1 << 20),
            ],
        ]
    }

    fn rendered(query: &str) -> (String, String) {
        let mut req = EsRequest::new(Method::GET, "/_cat/indices");
        req.query = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        match render(&COLUMNS, &rows(), &req) {
            Ok(r) => (
                r.header("content-type").unwrap_or_default().to_string(),
                r.body_text(),
            ),
            Err(e) => ("error".to_string(), e.reason),
        }
    }

    /// (query string, content type, body)
    #[test]
    fn renders_as_elasticsearch() {
        let text = "text/plain; charset=UTF-8";
        let json = "application/json";
        let cases = [
            (
                "",
                text,
                "logs           12 4.5kb\na               7  225b\nmetrics-long 1000   1mb\n",
            ),
            (
                "v",
                text,
                "index        docs.count store.size\nlogs                 12      4.5kb\na                     7       225b\nmetrics-long       1000        1mb\n",
            ),
            ("h=i,dc&s=dc", text, "a               7\nlogs           12\nmetrics-long 1000\n"),
            ("h=index&s=index:desc", text, "metrics-long\nlogs\na\n"),
            ("h=s*&bytes=b&s=ss", text, "    225\n   4608\n1048576\n"),
            ("h=ss&bytes=kb&s=ss:desc", text, "1024\n   4\n   0\n"),
            (
                "format=json&h=index,store.size&s=i",
                json,
                r#"[{"index":"a","store.size":"225b"},{"index":"logs","store.size":"4.5kb"},{"index":"metrics-long","store.size":"1mb"}]"#,
            ),
            ("s=nope", "error", "Unable to sort by unknown sort key `nope`"),
            ("bytes=zb", "error", "failed to parse [bytes] parameter value [zb], expected one of [b, kb, mb, gb, tb, pb]"),
            ("format=yaml", "error", "format [yaml] is not supported by the logpipe store; use json or text"),
        ];
        for (query, content_type, body) in cases {
            assert_eq!(
                rendered(query),
                (content_type.to_string(), body.to_string()),
                "?{query}"
            );
        }
    }

    #[test]
    fn human_sizes_cut_to_one_decimal() {
        let cases = [
            (0, "0b"),
            (1023, "1023b"),
            (1024, "1kb"),
            (1500, "1.4kb"),
            (4608, "4.5kb"),
            (1 << 20, "1mb"),
            ((1 << 30) + (1 << 29), "1.5gb"),
            (u64::MAX, "16383.9pb"),
        ];
        for (n, shown) in cases {
            assert_eq!(human_bytes(n), shown, "{n}");
        }
    }
}
