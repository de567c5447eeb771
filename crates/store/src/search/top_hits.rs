//! The top hits of a search ([`SortCollector`]): the best `from + size` hits of each index by the requested
//! sort (`@timestamp`, keyword and numeric attrs, `_score`, `_doc`), with `search_after` as a strict lower
//! bound, so paging works across indices: each index yields its own best k, merged and cut by the caller.
//! Ties break on (index, segment, doc) for a stable order. Keyword values are compared as positions in a
//! segment's term dictionary and read only for the hits kept.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use smallvec::SmallVec;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, ColumnType, MonotonicallyMappableToU64, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::doc::date::parse_date;
use crate::doc::schema::F_TS;
use crate::search::block_collector::StampedSegmentCollector;
use crate::search::sort::{cmp_val, cmp_vals, SortKind, SortSpec, SortVal};

/// The sort values of one hit, inline for up to three sort keys: collecting a hit allocates nothing.
pub type SortVals = SmallVec<[SortVal; 3]>;

/// One candidate hit.
#[derive(Clone, Debug)]
pub struct Hit {
    pub vals: SortVals,
    pub score: Score,
    /// Position of the hit's index among the searched ones.
    pub index_ord: u32,
    pub seg: SegmentOrdinal,
    pub doc: DocId,
}

/// Compares two hits by the sort, then by (index, segment, doc) for a stable order.
pub fn cmp_hits(specs: &[SortSpec], a: &Hit, b: &Hit) -> Ordering {
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

/// The numeric columns of attr `name` (a JSON path may hold several kinds), read as `u64`.
fn numeric_columns(
    ff: &tantivy::fastfield::FastFieldReaders,
    name: &str,
) -> tantivy::Result<Vec<(Column<u64>, ColumnType)>> {
    ff.u64_lenient_for_type_all(
        Some(&[
            ColumnType::I64,
            ColumnType::U64,
            ColumnType::F64,
            ColumnType::DateTime,
            ColumnType::Bool,
        ]),
        name,
    )
}

/// A numeric column value as a sort value.
fn numeric_value(raw: u64, typ: ColumnType) -> SortVal {
    match typ {
        ColumnType::I64 => SortVal::Int(i64::from_u64(raw)),
        ColumnType::U64 => i64::try_from(raw).map_or(SortVal::Float(raw as f64), SortVal::Int),
        ColumnType::F64 => SortVal::Float(f64::from_u64(raw)),
        ColumnType::DateTime => {
            SortVal::Int(tantivy::DateTime::from_u64(raw).into_timestamp_millis())
        }
        _ => SortVal::Int(raw as i64),
    }
}

/// Keeps the best `k` hits by `specs`, strictly after `after`.
pub struct SortCollector {
    pub specs: Arc<Vec<SortSpec>>,
    pub k: usize,
    pub after: Option<Arc<Vec<SortVal>>>,
    pub index_ord: u32,
}

/// How one sort key's value is read in a segment.
enum ValReader {
    Score,
    Doc,
    Date(Option<Column<tantivy::DateTime>>),
    Attr {
        nums: Vec<(Column<u64>, ColumnType)>,
        strs: Option<StrColumn>,
    },
    /// A field mapped as a date: numbers are epoch millis, strings are parsed (once per term of the segment).
    DateAttr {
        nums: Vec<(Column<u64>, ColumnType)>,
        strs: Option<StrColumn>,
        parsed: HashMap<u64, Option<i64>>,
    },
}

/// The per-segment side of [`SortCollector`].
pub struct SortSegmentCollector {
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
                    nums: numeric_columns(ff, name)?,
                    strs: ff.str(name)?,
                },
                SortKind::DateAttr(name) => ValReader::DateAttr {
                    nums: numeric_columns(ff, name)?,
                    strs: ff.str(name)?,
                    parsed: HashMap::new(),
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
        match &mut self.readers[i] {
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
                        return numeric_value(raw, *typ);
                    }
                }
                if let Some(strs) = strs {
                    if let Some(ord) = strs.term_ords(doc).next() {
                        return SortVal::Ord(keyword_position(ord));
                    }
                }
                SortVal::Missing
            }
            ValReader::DateAttr { nums, strs, parsed } => {
                for (col, typ) in nums {
                    if let Some(raw) = col.first(doc) {
                        // Epoch millis given as a number; a float's fraction is below a millisecond.
                        return match numeric_value(raw, *typ) {
                            SortVal::Float(f) => SortVal::Int(f as i64),
                            other => other,
                        };
                    }
                }
                let Some(strs) = strs else {
                    return SortVal::Missing;
                };
                let Some(ord) = strs.term_ords(doc).next() else {
                    return SortVal::Missing;
                };
                let scratch = &mut self.scratch;
                let millis = *parsed.entry(ord).or_insert_with(|| {
                    scratch.clear();
                    match strs.ord_to_str(ord, scratch) {
                        Ok(true) => parse_date(scratch),
                        _ => None,
                    }
                });
                millis.map_or(SortVal::Missing, SortVal::Int)
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
