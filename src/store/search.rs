//! `_search` and `_count`: run a query over one or more indices and shape the ES response.
//!
//! A custom collector ([`SortCollector`]) keeps the best `from + size` hits by the requested sort (fields of
//! `@timestamp`, keyword and numeric attrs, `_score`, `_doc`), applying `search_after` as a strict lower bound,
//! so paging works across indices: each index yields its own best k, merged and cut here. Missing values sort
//! last in both directions (ES's default). Ties break on (index, segment, doc) for a stable order. Total
//! hits come from tantivy's `Count` in the same pass; aggregations from [`super::aggs`]. Then the page's
//! documents are fetched, `_source`-filtered and highlighted.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Map, Value};
use smallvec::SmallVec;
use tantivy::collector::{Collector, Count, SegmentCollector};
use tantivy::columnar::{Column, ColumnType, MonotonicallyMappableToU64, StrColumn};
use tantivy::query::Query;
use tantivy::schema::Value as _;
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyDocument};

use super::aggs::{finish_aggs, AggRequest};
use super::block_collector::{CountTopAggs, StampedSegmentCollector};
use super::date_math::{now_millis, parse_date};
use super::error::EsError;
use super::index_set::{IndexHandle, IndexSet};
use super::query::QueryBuilder;
use super::schema::{resolve_field, tantivy_name, FieldRef, Fields, F_TS};

/// ES's `index.max_result_window`.
const MAX_RESULT_WINDOW: usize = 10_000;
/// Default `track_total_hits` cap.
const DEFAULT_TRACK_TOTAL: u64 = 10_000;

/// A sort value.
#[derive(Clone, Debug)]
pub enum SortVal {
    /// No value for this doc.
    Missing,
    /// Integer (dates are epoch millis).
    Int(i64),
    /// Floating point (also scores).
    Float(f64),
    /// Keyword.
    Str(String),
    /// A keyword's position in one segment's sorted term dictionary (see `keyword_position`): compared
    /// without reading the term, and turned into `Str` before hits leave the segment.
    Ord(u64),
}

impl SortVal {
    fn cmp_present(&self, other: &SortVal) -> Ordering {
        match (self, other) {
            (SortVal::Int(a), SortVal::Int(b)) => a.cmp(b),
            (SortVal::Str(a), SortVal::Str(b)) => a.cmp(b),
            (SortVal::Ord(a), SortVal::Ord(b)) => a.cmp(b),
            (SortVal::Str(_) | SortVal::Ord(_), _) => Ordering::Greater,
            (_, SortVal::Str(_) | SortVal::Ord(_)) => Ordering::Less,
            (a, b) => a.as_f64().total_cmp(&b.as_f64()),
        }
    }

    fn as_f64(&self) -> f64 {
        match self {
            SortVal::Int(i) => *i as f64,
            SortVal::Float(f) => *f,
            _ => 0.0,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            SortVal::Missing | SortVal::Ord(_) => Value::Null,
            SortVal::Int(i) => json!(i),
            SortVal::Float(f) => json!(f),
            SortVal::Str(s) => json!(s),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum SortKind {
    Score,
    Doc,
    Timestamp,
    /// A fast column of the JSON field (`attrs.x.y`).
    Attr(String),
}

#[derive(Clone, Debug)]
struct SortSpec {
    kind: SortKind,
    desc: bool,
    missing_first: bool,
}

fn cmp_vals(specs: &[SortSpec], a: &[SortVal], b: &[SortVal]) -> Ordering {
    for ((spec, x), y) in specs.iter().zip(a).zip(b) {
        let o = cmp_val(spec, x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Compares two values of one sort key, in the key's order (`Less` sorts first).
fn cmp_val(spec: &SortSpec, x: &SortVal, y: &SortVal) -> Ordering {
    match (x, y) {
        (SortVal::Missing, SortVal::Missing) => Ordering::Equal,
        (SortVal::Missing, _) => {
            if spec.missing_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (_, SortVal::Missing) => {
            if spec.missing_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (x, y) => {
            let o = x.cmp_present(y);
            if spec.desc {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// The sort values of one hit, inline for up to three sort keys: collecting a hit allocates nothing.
type SortVals = SmallVec<[SortVal; 3]>;

/// One candidate hit.
#[derive(Clone, Debug)]
struct Hit {
    vals: SortVals,
    score: Score,
    index_ord: u32,
    seg: SegmentOrdinal,
    doc: DocId,
}

fn cmp_hits(specs: &[SortSpec], a: &Hit, b: &Hit) -> Ordering {
    cmp_vals(specs, &a.vals, &b.vals)
        .then(a.index_ord.cmp(&b.index_ord))
        .then(a.seg.cmp(&b.seg))
        .then(a.doc.cmp(&b.doc))
}

/// The sort position of term `ord` of a segment's keyword column: odd numbers, leaving the even ones between
/// them for `search_after` keys the segment does not hold.
fn keyword_position(ord: u64) -> u64 {
    ord.saturating_mul(2).saturating_add(1)
}

/// The sort position of a `search_after` keyword in one segment: the position of that term when the segment
/// holds it, else the even number just below the first greater term, so comparisons with the segment's own
/// terms come out as with the strings.
fn after_position(strs: &StrColumn, key: &str) -> u64 {
    let dictionary = strs.dictionary();
    let beyond_all = (dictionary.num_terms() as u64).saturating_mul(2);
    let Ok(mut terms) = dictionary.range().ge(key.as_bytes()).into_stream() else {
        return beyond_all;
    };
    if !terms.advance() {
        return beyond_all;
    }
    let ord = terms.term_ord();
    if terms.key() == key.as_bytes() {
        keyword_position(ord)
    } else {
        ord.saturating_mul(2)
    }
}

/// Keeps the best `k` hits by `specs`, strictly after `after`.
struct SortCollector {
    specs: Arc<Vec<SortSpec>>,
    k: usize,
    after: Option<Arc<Vec<SortVal>>>,
    index_ord: u32,
}

enum ValReader {
    Score,
    Doc,
    Date(Option<Column<tantivy::DateTime>>),
    Attr {
        nums: Vec<(Column<u64>, ColumnType)>,
        strs: Option<StrColumn>,
    },
}

struct SortSegmentCollector {
    specs: Arc<Vec<SortSpec>>,
    readers: Vec<ValReader>,
    k: usize,
    after: Option<Arc<Vec<SortVal>>>,
    index_ord: u32,
    seg: SegmentOrdinal,
    buf: Vec<Hit>,
    threshold: Option<Hit>,
    scratch: String,
}

impl Collector for SortCollector {
    type Fruit = Vec<Hit>;
    type Child = SortSegmentCollector;

    fn for_segment(
        &self,
        seg: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SortSegmentCollector> {
        let ff = reader.fast_fields();
        let mut readers: Vec<ValReader> = Vec::with_capacity(self.specs.len());
        for spec in self.specs.iter() {
            readers.push(match &spec.kind {
                SortKind::Score => ValReader::Score,
                SortKind::Doc => ValReader::Doc,
                SortKind::Timestamp => ValReader::Date(ff.column_opt::<tantivy::DateTime>(F_TS)?),
                SortKind::Attr(name) => ValReader::Attr {
                    nums: ff.u64_lenient_for_type_all(
                        Some(&[
                            ColumnType::I64,
                            ColumnType::U64,
                            ColumnType::F64,
                            ColumnType::DateTime,
                            ColumnType::Bool,
                        ]),
                        name,
                    )?,
                    strs: ff.str(name)?,
                },
            });
        }
        // Keyword values of `search_after` become positions in this segment's dictionaries.
        let after = self.after.as_ref().map(|after| {
            let translated: Vec<SortVal> = after
                .iter()
                .zip(&readers)
                .map(|(val, reader)| match (val, reader) {
                    (
                        SortVal::Str(key),
                        ValReader::Attr {
                            strs: Some(strs), ..
                        },
                    ) => SortVal::Ord(after_position(strs, key)),
                    (val, _) => val.clone(),
                })
                .collect();
            Arc::new(translated)
        });
        Ok(SortSegmentCollector {
            specs: self.specs.clone(),
            readers,
            k: self.k,
            after,
            index_ord: self.index_ord,
            seg,
            buf: Vec::new(),
            threshold: None,
            scratch: String::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.specs.iter().any(|s| s.kind == SortKind::Score)
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Hit>>) -> tantivy::Result<Vec<Hit>> {
        let mut all: Vec<Hit> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| cmp_hits(&self.specs, a, b));
        all.truncate(self.k);
        Ok(all)
    }
}

impl SortSegmentCollector {
    fn value(&mut self, i: usize, doc: DocId, score: Score) -> SortVal {
        match &self.readers[i] {
            ValReader::Score => SortVal::Float(f64::from(score)),
            ValReader::Doc => SortVal::Int(
                (i64::from(self.index_ord) << 48) | (i64::from(self.seg) << 32) | i64::from(doc),
            ),
            ValReader::Date(col) => match col.as_ref().and_then(|c| c.first(doc)) {
                Some(d) => SortVal::Int(d.into_timestamp_millis()),
                None => SortVal::Missing,
            },
            ValReader::Attr { nums, strs } => {
                for (col, typ) in nums {
                    if let Some(raw) = col.first(doc) {
                        return match typ {
                            ColumnType::I64 => SortVal::Int(i64::from_u64(raw)),
                            ColumnType::U64 => {
                                i64::try_from(raw).map_or(SortVal::Float(raw as f64), SortVal::Int)
                            }
                            ColumnType::F64 => SortVal::Float(f64::from_u64(raw)),
                            ColumnType::DateTime => SortVal::Int(
                                tantivy::DateTime::from_u64(raw).into_timestamp_millis(),
                            ),
                            _ => SortVal::Int(raw as i64),
                        };
                    }
                }
                if let Some(strs) = strs {
                    if let Some(ord) = strs.term_ords(doc).next() {
                        return SortVal::Ord(keyword_position(ord));
                    }
                }
                SortVal::Missing
            }
        }
    }
}

impl SegmentCollector for SortSegmentCollector {
    type Fruit = Vec<Hit>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let first = self.value(0, doc, score);
        self.collect_with_first(doc, score, first);
    }

    fn harvest(mut self) -> Vec<Hit> {
        self.harvest_hits()
    }
}

impl StampedSegmentCollector for SortSegmentCollector {
    fn wants_stamps(&self) -> bool {
        matches!(self.readers.first(), Some(ValReader::Date(Some(_))))
    }

    fn collect_stamped(&mut self, docs: &[DocId], firsts: &[Option<tantivy::DateTime>]) {
        let mut cutoff = self.timestamp_cutoff();
        for (doc, date) in docs.iter().zip(firsts) {
            // Most documents lose on the time alone: compare nanoseconds, without building a sort value.
            if let (Some((limit, desc)), Some(d)) = (cutoff, date) {
                let ns = d.into_timestamp_nanos();
                if (desc && ns < limit) || (!desc && ns > limit) {
                    continue;
                }
            }
            let first = match date {
                Some(d) => SortVal::Int(d.into_timestamp_millis()),
                None => SortVal::Missing,
            };
            self.collect_with_first(*doc, 0.0, first);
            cutoff = self.timestamp_cutoff();
        }
    }
}

impl SortSegmentCollector {
    /// When the buffer is full and the first key is a time: the current worst kept time in nanoseconds
    /// (the column's unit) and whether the order is descending. A document whose time is on the wrong
    /// side of it cannot enter the top; one equal to it is decided by the other keys.
    fn timestamp_cutoff(&self) -> Option<(i64, bool)> {
        let spec = self.specs.first()?;
        match self.threshold.as_ref()?.vals.first()? {
            SortVal::Int(ms) => Some((ms.saturating_mul(1_000_000), spec.desc)),
            _ => None,
        }
    }

    /// Collects `doc` whose first sort value is `first`.
    fn collect_with_first(&mut self, doc: DocId, score: Score, first: SortVal) {
        // Once the buffer is full, most documents lose on the first key alone: decide on it before reading
        // the other keys.
        if let (Some(t), Some(spec)) = (&self.threshold, self.specs.first()) {
            if let Some(t_first) = t.vals.first() {
                if cmp_val(spec, &first, t_first) == Ordering::Greater {
                    return;
                }
            }
        }
        let mut vals = SortVals::new();
        vals.push(first);
        for i in 1..self.specs.len() {
            let val = self.value(i, doc, score);
            vals.push(val);
        }
        if let Some(after) = &self.after {
            if cmp_vals(&self.specs, &vals, after) != Ordering::Greater {
                return;
            }
        }
        let hit = Hit {
            vals,
            score,
            index_ord: self.index_ord,
            seg: self.seg,
            doc,
        };
        if let Some(t) = &self.threshold {
            if cmp_hits(&self.specs, &hit, t) != Ordering::Less {
                return;
            }
        }
        self.buf.push(hit);
        if self.buf.len() >= 2 * self.k.max(64) {
            let specs = self.specs.clone();
            self.buf.sort_by(|a, b| cmp_hits(&specs, a, b));
            self.buf.truncate(self.k);
            self.threshold = self.buf.last().cloned();
        }
    }

    fn harvest_hits(&mut self) -> Vec<Hit> {
        let specs = self.specs.clone();
        self.buf.sort_by(|a, b| cmp_hits(&specs, a, b));
        self.buf.truncate(self.k);
        // Only the kept hits read their keywords.
        for hit in &mut self.buf {
            for (val, reader) in hit.vals.iter_mut().zip(&self.readers) {
                if let (
                    SortVal::Ord(position),
                    ValReader::Attr {
                        strs: Some(strs), ..
                    },
                ) = (&*val, reader)
                {
                    self.scratch.clear();
                    *val = match strs.ord_to_str(*position / 2, &mut self.scratch) {
                        Ok(true) => SortVal::Str(self.scratch.clone()),
                        _ => SortVal::Missing,
                    };
                }
            }
        }
        std::mem::take(&mut self.buf)
    }
}

fn parse_sort(v: Option<&Value>) -> Result<Option<Vec<SortSpec>>, EsError> {
    let Some(v) = v else { return Ok(None) };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut specs = Vec::new();
    for item in items {
        let (field, opts): (&str, Option<&Value>) = match item {
            Value::String(s) => (s.as_str(), None),
            Value::Object(m) if m.len() == 1 => {
                let (k, v) = m
                    .iter()
                    .next()
                    .ok_or_else(|| EsError::parsing("empty sort"))?;
                (k.as_str(), Some(v))
            }
            _ => return Err(EsError::parsing(format!("malformed sort [{item}]"))),
        };
        let (order, missing) = match opts {
            None => (None, None),
            Some(Value::String(o)) => (Some(o.as_str()), None),
            Some(Value::Object(m)) => (
                m.get("order").and_then(Value::as_str),
                m.get("missing").and_then(Value::as_str),
            ),
            Some(other) => {
                return Err(EsError::parsing(format!(
                    "malformed sort options [{other}]"
                )))
            }
        };
        let kind = match field {
            "_score" => SortKind::Score,
            "_doc" | "_shard_doc" => SortKind::Doc,
            f => match resolve_field(f) {
                FieldRef::Timestamp => SortKind::Timestamp,
                FieldRef::Attr(_) | FieldRef::EventId => SortKind::Attr(tantivy_name(f)),
                FieldRef::Id => {
                    return Err(EsError::illegal_argument(
                        "Fielddata access on the _id field is disallowed, sort on a keyword field such as event.id instead",
                    ))
                }
                FieldRef::Message => {
                    return Err(EsError::illegal_argument(
                        "Text fields are not optimised for sorting; [message] cannot be used for sorting",
                    ))
                }
            },
        };
        let desc = match order {
            Some(o) if o.eq_ignore_ascii_case("desc") => true,
            Some(o) if o.eq_ignore_ascii_case("asc") => false,
            Some(o) => return Err(EsError::parsing(format!("[sort] unknown order [{o}]"))),
            None => kind == SortKind::Score,
        };
        specs.push(SortSpec {
            kind,
            desc,
            missing_first: missing == Some("_first"),
        });
    }
    // `"sort": []` is the default order (by score), as in ES; collectors rely on at least one key.
    Ok((!specs.is_empty()).then_some(specs))
}

fn parse_after(v: &Value, specs: &[SortSpec]) -> Result<Vec<SortVal>, EsError> {
    let arr = v
        .as_array()
        .ok_or_else(|| EsError::parsing("[search_after] must be an array"))?;
    if arr.len() != specs.len() {
        return Err(EsError::illegal_argument(format!(
            "search_after has {} value(s) but sort has {}",
            arr.len(),
            specs.len()
        )));
    }
    arr.iter()
        .zip(specs)
        .map(|(v, spec)| {
            Ok(match v {
                Value::Null => SortVal::Missing,
                Value::Number(n) => match n.as_i64() {
                    Some(i) => SortVal::Int(i),
                    None => SortVal::Float(n.as_f64().unwrap_or(0.0)),
                },
                Value::String(s) if spec.kind == SortKind::Timestamp => SortVal::Int(
                    parse_date(s)
                        .ok_or_else(|| EsError::parsing(format!("failed to parse date [{s}]")))?,
                ),
                Value::String(s) => SortVal::Str(s.clone()),
                other => {
                    return Err(EsError::parsing(format!(
                        "invalid search_after value [{other}]"
                    )))
                }
            })
        })
        .collect()
}

/// `_source` filtering.
#[derive(Clone, Debug)]
enum SourceFilter {
    None,
    All,
    Filter {
        includes: Vec<String>,
        excludes: Vec<String>,
    },
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn parse_source_filter(v: Option<&Value>) -> SourceFilter {
    match v {
        None | Some(Value::Bool(true)) | Some(Value::Null) => SourceFilter::All,
        Some(Value::Bool(false)) => SourceFilter::None,
        Some(Value::Object(m)) => SourceFilter::Filter {
            includes: strings(m.get("includes").or_else(|| m.get("include"))),
            excludes: strings(m.get("excludes").or_else(|| m.get("exclude"))),
        },
        Some(other) => SourceFilter::Filter {
            includes: strings(Some(other)),
            excludes: Vec::new(),
        },
    }
}

/// `*`-glob match.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != b'*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

fn may_match_below(pattern: &str, path: &str) -> bool {
    let prefix = format!("{path}.");
    let literal = pattern.split('*').next().unwrap_or("");
    pattern.starts_with(&prefix)
        || (pattern.contains('*') && (prefix.starts_with(literal) || literal.starts_with(&prefix)))
}

fn filter_object(
    obj: Map<String, Value>,
    prefix: &str,
    includes: &[String],
    excludes: &[String],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in obj {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if excludes.iter().any(|e| glob_match(e, &path)) {
            continue;
        }
        let included = includes.is_empty() || includes.iter().any(|i| glob_match(i, &path));
        match v {
            Value::Object(inner) => {
                let sub_includes: &[String] = if included { &[] } else { includes };
                if included || includes.iter().any(|i| may_match_below(i, &path)) {
                    let filtered = filter_object(inner, &path, sub_includes, excludes);
                    if included || !filtered.is_empty() {
                        out.insert(k, Value::Object(filtered));
                    }
                }
            }
            v if included => {
                out.insert(k, v);
            }
            _ => {}
        }
    }
    out
}

fn apply_source_filter(filter: &SourceFilter, src: Value) -> Option<Value> {
    match filter {
        SourceFilter::None => None,
        SourceFilter::All => Some(src),
        SourceFilter::Filter { includes, excludes } => match src {
            Value::Object(m) => Some(Value::Object(filter_object(m, "", includes, excludes))),
            other => Some(other),
        },
    }
}

/// Highlighting options for `message`.
struct Highlight {
    pre: String,
    post: String,
    fragment_size: usize,
    fragments: usize,
}

fn parse_highlight(v: Option<&Value>) -> Option<Highlight> {
    let m = v?.as_object()?;
    let fields = m.get("fields")?;
    let opts = match fields {
        Value::Object(f) => f
            .iter()
            .find(|(k, _)| glob_match(k, "message"))
            .map(|(_, o)| o.clone())?,
        Value::Array(a) => a.iter().filter_map(Value::as_object).find_map(|f| {
            f.iter()
                .find(|(k, _)| glob_match(k, "message"))
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

fn highlight_text(
    handle: &IndexHandle,
    terms: &HashSet<String>,
    text: &str,
    h: &Highlight,
) -> Result<Option<Vec<String>>, EsError> {
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

/// URI parameters of a search request.
pub type Params = HashMap<String, String>;

struct Request<'a> {
    query: Option<&'a Value>,
    size: usize,
    from: usize,
    sort: Option<Vec<SortSpec>>,
    after: Option<&'a Value>,
    source: SourceFilter,
    track_total: Option<u64>,
    highlight: Option<Highlight>,
    aggs: Option<&'a Value>,
    q: Option<String>,
}

const KNOWN_KEYS: &[&str] = &[
    "query",
    "size",
    "from",
    "sort",
    "search_after",
    "_source",
    "track_total_hits",
    "highlight",
    "aggs",
    "aggregations",
    "timeout",
    "version",
    "seq_no_primary_term",
    "stored_fields",
    "docvalue_fields",
    "fields",
    "track_scores",
    "explain",
    "min_score",
    "terminate_after",
    "runtime_mappings",
    "script_fields",
    "post_filter",
];

fn usize_param(
    body: Option<&Value>,
    params: &Params,
    key: &str,
    default: usize,
) -> Result<usize, EsError> {
    if let Some(p) = params.get(key) {
        return p.parse().map_err(|_| {
            EsError::illegal_argument(format!(
                "Failed to parse int parameter [{key}] with value [{p}]"
            ))
        });
    }
    match body {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize).ok_or_else(|| {
            EsError::illegal_argument(format!("[{key}] parameter cannot be negative, found [{n}]"))
        }),
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| EsError::parsing(format!("[{key}] must be a number"))),
        Some(other) => Err(EsError::parsing(format!(
            "[{key}] must be a number, found [{other}]"
        ))),
    }
}

fn parse_request<'a>(body: &'a Value, params: &Params) -> Result<Request<'a>, EsError> {
    let m = match body {
        Value::Object(m) => m,
        _ => return Err(EsError::parsing("request body must be a JSON object")),
    };
    for k in m.keys() {
        if !KNOWN_KEYS.contains(&k.as_str()) {
            return Err(EsError::parsing(format!(
                "Unknown key for a START_OBJECT in [{k}]."
            )));
        }
    }
    let size = usize_param(m.get("size"), params, "size", 10)?;
    let from = usize_param(m.get("from"), params, "from", 0)?;
    let mut sort = parse_sort(m.get("sort"))?;
    if let Some(s) = params.get("sort") {
        let items: Vec<Value> = s
            .split(',')
            .map(|part| match part.split_once(':') {
                Some((f, o)) => json!({ f: o }),
                None => json!(part),
            })
            .collect();
        sort = parse_sort(Some(&Value::Array(items)))?;
    }
    let track_total = match params
        .get("track_total_hits")
        .map(|s| Value::String(s.clone()))
        .as_ref()
        .or(m.get("track_total_hits"))
    {
        None => Some(DEFAULT_TRACK_TOTAL),
        Some(Value::Bool(true)) => Some(u64::MAX),
        Some(Value::Bool(false)) => None,
        Some(Value::Number(n)) => Some(n.as_u64().unwrap_or(u64::MAX)),
        Some(Value::String(s)) => match s.as_str() {
            "true" => Some(u64::MAX),
            "false" => None,
            n => Some(n.parse().map_err(|_| {
                EsError::parsing("[track_total_hits] must be a boolean or a number")
            })?),
        },
        Some(_) => {
            return Err(EsError::parsing(
                "[track_total_hits] must be a boolean or a number",
            ))
        }
    };
    let source = match params.get("_source") {
        Some(s) if s == "false" => SourceFilter::None,
        Some(s) if s == "true" => SourceFilter::All,
        Some(s) => SourceFilter::Filter {
            includes: s.split(',').map(str::to_string).collect(),
            excludes: Vec::new(),
        },
        None => parse_source_filter(m.get("_source")),
    };
    let aggs = m.get("aggs").or_else(|| m.get("aggregations"));
    let after = m.get("search_after");
    if after.is_some() && from > 0 {
        return Err(EsError::illegal_argument(
            "`from` parameter must be set to 0 when `search_after` is used.",
        ));
    }
    if from + size > MAX_RESULT_WINDOW {
        return Err(EsError::illegal_argument(format!(
            "Result window is too large, from + size must be less than or equal to: [{MAX_RESULT_WINDOW}] but was [{}]. See the scroll api for a more efficient way to request large data sets.",
            from + size
        )));
    }
    if after.is_some() && sort.is_none() {
        return Err(EsError::illegal_argument(
            "Sort must contain at least one field when search_after is used",
        ));
    }
    Ok(Request {
        query: m.get("query"),
        size,
        from,
        sort,
        after,
        source,
        track_total,
        highlight: parse_highlight(m.get("highlight")),
        aggs,
        q: params.get("q").cloned(),
    })
}

/// Resolves the target indices of a search (`None` = all); missing concrete names are errors. Each is
/// recorded as searched, and refreshed first if it was search idle.
fn targets(set: &IndexSet, expr: Option<&str>) -> Result<Vec<Arc<IndexHandle>>, EsError> {
    let handles = match expr {
        None => set.all(),
        Some(e) => set.resolve(e)?,
    };
    for h in &handles {
        h.prepare_search(set.search_idle_after())?;
    }
    Ok(handles)
}

fn build_query(
    handle: &IndexHandle,
    req_query: Option<&Value>,
    q: Option<&str>,
    now: i64,
) -> Result<Box<dyn Query>, EsError> {
    let qb = QueryBuilder::new(&handle.index, handle.fields, now);
    match q {
        Some(q) => qb.parse_lucene(q, &["message".to_string()], false),
        None => qb.build(req_query),
    }
}

fn shards(n: usize) -> Value {
    json!({"total": n, "successful": n, "skipped": 0, "failed": 0})
}

/// Executes `_search`.
/// The smallest and largest `@timestamp` (millis) in the given indices, from the column statistics of each
/// segment (no document is read); `None` when they hold none.
fn timestamp_span(handles: &[Arc<IndexHandle>]) -> Option<(i64, i64)> {
    let mut span: Option<(i64, i64)> = None;
    for h in handles {
        for seg in h.searcher().segment_readers() {
            if seg.num_docs() == 0 {
                continue;
            }
            let Ok(column) = seg.fast_fields().date(F_TS) else {
                continue;
            };
            if column.values.num_vals() == 0 {
                continue;
            }
            let lo = column.min_value().into_timestamp_millis();
            let hi = column.max_value().into_timestamp_millis();
            span = Some(match span {
                Some((a, b)) => (a.min(lo), b.max(hi)),
                None => (lo, hi),
            });
        }
    }
    span
}

pub fn search(
    set: &IndexSet,
    expr: Option<&str>,
    body: &Value,
    params: &Params,
) -> Result<Value, EsError> {
    let start = Instant::now();
    let empty = Value::Object(Map::new());
    let body = if body.is_null() { &empty } else { body };
    let req = parse_request(body, params)?;
    let handles = targets(set, expr)?;
    let now = now_millis();
    let aggs = match req.aggs {
        Some(a) => Some(AggRequest::parse(a, now, &mut || timestamp_span(&handles))?),
        None => None,
    };
    let sorted_by_field = req.sort.is_some();
    let specs = Arc::new(req.sort.clone().unwrap_or_else(|| {
        vec![SortSpec {
            kind: SortKind::Score,
            desc: true,
            missing_first: false,
        }]
    }));
    let after = match req.after {
        Some(a) => Some(Arc::new(parse_after(a, &specs)?)),
        None => None,
    };
    let k = req.from + req.size;
    let mut total: u64 = 0;
    let mut hits: Vec<Hit> = Vec::new();
    let mut searchers: Vec<Searcher> = Vec::with_capacity(handles.len());
    let mut queries: Vec<Box<dyn Query>> = Vec::with_capacity(handles.len());
    let mut agg_parts = Vec::new();
    for (ord, h) in handles.iter().enumerate() {
        let searcher = h.searcher();
        let query = build_query(h, req.query, req.q.as_deref(), now)?;
        let top = (k > 0).then(|| SortCollector {
            specs: specs.clone(),
            k,
            after: after.clone(),
            index_ord: ord as u32,
        });
        let agg = aggs.as_ref().map(|a| a.collector());
        let (count, top_hits, agg_res) = searcher
            .search(&*query, &CountTopAggs { top, aggs: agg })
            .map_err(|e| EsError::new(400, "search_phase_execution_exception", e.to_string()))?;
        total += count as u64;
        hits.extend(top_hits.unwrap_or_default());
        if let Some(a) = agg_res {
            agg_parts.push(a);
        }
        searchers.push(searcher);
        queries.push(query);
    }
    hits.sort_by(|a, b| cmp_hits(&specs, a, b));
    let page: Vec<Hit> = hits.into_iter().skip(req.from).take(req.size).collect();

    // Terms of `message` in each index's query, for highlighting.
    let hl_terms: Vec<HashSet<String>> = queries
        .iter()
        .zip(&handles)
        .map(|(q, h)| {
            let mut set = HashSet::new();
            if req.highlight.is_some() {
                q.query_terms(&mut |t, _| {
                    if t.field() == h.fields.message {
                        if let Some(s) = t.value().as_str() {
                            set.insert(s.to_string());
                        }
                    }
                });
            }
            set
        })
        .collect();

    let mut max_score: Option<f32> = None;
    let mut out_hits = Vec::with_capacity(page.len());
    for hit in &page {
        let ord = hit.index_ord as usize;
        let (Some(h), Some(searcher)) = (handles.get(ord), searchers.get(ord)) else {
            continue;
        };
        let doc: TantivyDocument = searcher.doc(DocAddress::new(hit.seg, hit.doc))?;
        let id = doc
            .get_first(h.fields.id)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let source = stored_source(&doc, &h.fields);
        let mut o = Map::new();
        o.insert("_index".into(), json!(h.name));
        o.insert("_id".into(), json!(id));
        if sorted_by_field {
            o.insert("_score".into(), Value::Null);
        } else {
            max_score = Some(max_score.map_or(hit.score, |m: f32| m.max(hit.score)));
            o.insert("_score".into(), json!(hit.score));
        }
        if let (Some(hl), Some(msg)) = (
            &req.highlight,
            source.get("message").and_then(Value::as_str),
        ) {
            if let Some(frags) = highlight_text(h, &hl_terms[ord], msg, hl)? {
                o.insert("highlight".into(), json!({ "message": frags }));
            }
        }
        if let Some(src) = apply_source_filter(&req.source, source) {
            o.insert("_source".into(), src);
        }
        if sorted_by_field {
            o.insert(
                "sort".into(),
                Value::Array(hit.vals.iter().map(SortVal::to_json).collect()),
            );
        }
        out_hits.push(Value::Object(o));
    }

    let mut hits_obj = Map::new();
    if let Some(cap) = req.track_total {
        let (value, relation) = if total > cap {
            (cap, "gte")
        } else {
            (total, "eq")
        };
        hits_obj.insert(
            "total".into(),
            json!({"value": value, "relation": relation}),
        );
    }
    hits_obj.insert(
        "max_score".into(),
        max_score.map_or(Value::Null, |s| json!(s)),
    );
    hits_obj.insert("hits".into(), Value::Array(out_hits));

    let mut resp = json!({
        "took": start.elapsed().as_millis() as u64,
        "timed_out": false,
        "_shards": shards(handles.len()),
        "hits": Value::Object(hits_obj),
    });
    if let Some(aggs) = &aggs {
        resp["aggregations"] = finish_aggs(aggs, agg_parts)?;
    }
    Ok(resp)
}

/// Executes `_count`.
pub fn count(
    set: &IndexSet,
    expr: Option<&str>,
    body: &Value,
    params: &Params,
) -> Result<Value, EsError> {
    let query = match body {
        Value::Null => None,
        Value::Object(m) => {
            if let Some(k) = m.keys().find(|k| *k != "query") {
                return Err(EsError::parsing(format!("request does not support [{k}]")));
            }
            m.get("query")
        }
        _ => return Err(EsError::parsing("request body must be a JSON object")),
    };
    let handles = targets(set, expr)?;
    let now = now_millis();
    let mut total = 0u64;
    for h in &handles {
        let q = build_query(h, query, params.get("q").map(String::as_str), now)?;
        total += h.searcher().search(&*q, &Count)? as u64;
    }
    Ok(json!({"count": total, "_shards": shards(handles.len())}))
}

/// `GET /{index}/_doc/{id}`.
pub fn get_doc(set: &IndexSet, index: &str, id: &str) -> Result<(u16, Value), EsError> {
    let h = set
        .get(index)
        .ok_or_else(|| EsError::index_not_found(index))?;
    // GET is realtime in ES: it sees acknowledged writes not yet refreshed. Refreshing first does that.
    if h.uncommitted().is_some() {
        h.refresh()?;
    }
    let searcher = h.searcher();
    let term = tantivy::Term::from_field_text(h.fields.id, id);
    let q = tantivy::query::TermQuery::new(term, tantivy::schema::IndexRecordOption::Basic);
    let top = searcher.search(&q, &tantivy::collector::TopDocs::with_limit(1))?;
    let Some((_, addr)) = top.first() else {
        return Ok((404, json!({"_index": index, "_id": id, "found": false})));
    };
    let doc: TantivyDocument = searcher.doc(*addr)?;
    let source = stored_source(&doc, &h.fields);
    Ok((
        200,
        json!({"_index": index, "_id": id, "_version": 1, "_seq_no": 0, "_primary_term": 1, "found": true, "_source": source}),
    ))
}

/// The `_source` of a stored document: text in format-4 indices, bytes in older ones.
fn stored_source(doc: &TantivyDocument, fields: &Fields) -> Value {
    let Some(stored) = doc.get_first(fields.source) else {
        return Value::Null;
    };
    let parsed = match (stored.as_str(), stored.as_bytes()) {
        (Some(text), _) => serde_json::from_str(text).ok(),
        (None, Some(bytes)) => serde_json::from_slice(bytes).ok(),
        (None, None) => None,
    };
    parsed.unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globbing() {
        assert!(glob_match("host.*", "host.name"));
        assert!(glob_match("*", "x"));
        assert!(!glob_match("host.*", "hostname"));
    }

    #[test]
    fn source_filter() {
        let src =
            json!({"a": 1, "host": {"name": "h", "ip": "x"}, "log": {"file": {"path": "/p"}}});
        let f = SourceFilter::Filter {
            includes: vec!["host.name".into(), "log.*".into()],
            excludes: vec![],
        };
        assert_eq!(
            apply_source_filter(&f, src.clone()),
            Some(json!({"host": {"name": "h"}, "log": {"file": {"path": "/p"}}}))
        );
        let f = SourceFilter::Filter {
            includes: vec![],
            excludes: vec!["host".into()],
        };
        assert_eq!(
            apply_source_filter(&f, src),
            Some(json!({"a": 1, "log": {"file": {"path": "/p"}}}))
        );
    }
}
