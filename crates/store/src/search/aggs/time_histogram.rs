//! The histogram of a log search: a top-level `date_histogram` on `@timestamp` with a fixed interval.
//!
//! Every Discover-style search asks for one, over every matching document, so it sets the cost of a
//! search over a day of logs. tantivy's generic histogram converts each value to a float, floors it and
//! bumps a hash map entry; this one reads a block of timestamps at once, buckets them with integer
//! arithmetic into a dense array sized from the segment's time span, and merges per-bucket counts.
//! [`TimeHistogram::from_params`] takes only what it answers exactly as tantivy does (`field`,
//! `fixed_interval`, `offset`, `min_doc_count`); anything else goes to tantivy.
//!
//! Invariant: the buckets are tantivy's (and ES's): a document at `t` lands in the bucket starting at
//! `floor((t - offset) / interval) * interval + offset`; with `min_doc_count` 0 the empty buckets between
//! the first and the last non-empty one are listed; at most [`MAX_BUCKETS`] buckets.

use std::collections::BTreeMap;

use fastdivide::DividerU64;
use serde_json::{json, Map, Value};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DateTime, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::doc::date::{format_date, DateZone};
use crate::doc::schema::{tantivy_name, F_TS};
use crate::query::stamp_reader::StampReader;
use crate::search::aggs::error::AggError;

/// The most buckets a histogram may return (tantivy's and ES's default limit, as the store's other
/// aggregations).
pub const MAX_BUCKETS: u64 = 65_000;

/// Largest dense bucket array kept per segment; wider spans use a map.
const MAX_DENSE: i64 = 1 << 16;

/// A fixed-interval histogram of `@timestamp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeHistogram {
    interval_ms: i64,
    offset_ms: i64,
    min_doc_count: u64,
    /// How `key_as_string` is written: ES's `time_zone` and `format` of the request.
    pub zone: DateZone,
    pub format: Option<String>,
}

/// Bucket start (millis) → documents.
pub type Counts = BTreeMap<i64, u64>;

/// tantivy's duration syntax: digits and a unit (`ms`, `s`, `m`, `h`, `d` or their long names).
pub(super) fn duration_ms(s: &str) -> Option<i64> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    let unit_ms = match unit {
        "ms" | "milliseconds" => 1,
        "s" | "seconds" => 1000,
        "m" | "minutes" => 60_000,
        "h" | "hours" => 3_600_000,
        "d" | "days" => 86_400_000,
        _ => return None,
    };
    number.parse::<i64>().ok()?.checked_mul(unit_ms)
}

impl TimeHistogram {
    /// The histogram described by translated `date_histogram` parameters, when it is one this module
    /// answers: on `@timestamp`, a fixed interval, and nothing but an offset and `min_doc_count` besides.
    pub fn from_params(params: &Map<String, Value>) -> Option<TimeHistogram> {
        let mut interval_ms = None;
        let mut offset_ms = 0;
        let mut min_doc_count = 0;
        for (k, v) in params {
            match k.as_str() {
                "field" if v.as_str() == Some(tantivy_name(F_TS).as_str()) => {}
                "fixed_interval" => interval_ms = duration_ms(v.as_str()?),
                "offset" => {
                    let s = v.as_str()?;
                    offset_ms = match s.strip_prefix('-') {
                        Some(rest) => -duration_ms(rest)?,
                        None => duration_ms(s.strip_prefix('+').unwrap_or(s))?,
                    };
                }
                "min_doc_count" => min_doc_count = v.as_u64()?,
                _ => return None,
            }
        }
        let interval_ms = interval_ms.filter(|&i| i > 0)?;
        Some(TimeHistogram {
            interval_ms,
            offset_ms,
            min_doc_count,
            zone: DateZone::UTC,
            format: None,
        })
    }

    /// Index of the bucket holding `ms`.
    fn bucket(&self, ms: i64) -> i64 {
        (ms - self.offset_ms).div_euclid(self.interval_ms)
    }

    /// Start of bucket `b`, in millis.
    fn bucket_start(&self, b: i64) -> i64 {
        b * self.interval_ms + self.offset_ms
    }

    /// Adds `more` into `into`.
    pub fn merge(into: &mut Counts, more: Counts) {
        for (k, n) in more {
            *into.entry(k).or_default() += n;
        }
    }

    /// The ES result `{"buckets": [...]}` of merged counts.
    pub fn render(&self, counts: &Counts) -> Result<Value, AggError> {
        let (Some((&first, _)), Some((&last, _))) =
            (counts.first_key_value(), counts.last_key_value())
        else {
            return Ok(json!({ "buckets": [] }));
        };
        let mut buckets = Vec::new();
        let mut push = |key: i64, n: u64| -> Result<(), AggError> {
            if buckets.len() as u64 >= MAX_BUCKETS {
                return Err(AggError::TooManyBuckets { max: MAX_BUCKETS });
            }
            let shown = format_date(key, self.format.as_deref(), self.zone);
            buckets.push(json!({"key": key, "key_as_string": shown, "doc_count": n}));
            Ok(())
        };
        if self.min_doc_count > 0 {
            for (&key, &n) in counts {
                if n >= self.min_doc_count {
                    push(key, n)?;
                }
            }
        } else {
            let mut key = first;
            while key <= last {
                push(key, counts.get(&key).copied().unwrap_or(0))?;
                key += self.interval_ms;
            }
        }
        Ok(json!({ "buckets": buckets }))
    }
}

impl Collector for TimeHistogram {
    type Fruit = Counts;
    type Child = TimeHistogramSegment;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let stamps = StampReader::open(reader)?;
        let (base, dense) = match stamps.as_ref().map(StampReader::column) {
            Some(c) if c.values.num_vals() > 0 => {
                let lo = self.bucket(c.min_value().into_timestamp_millis());
                let hi = self.bucket(c.max_value().into_timestamp_millis());
                if hi - lo < MAX_DENSE {
                    (lo, vec![0u64; (hi - lo + 1) as usize])
                } else {
                    (lo, Vec::new())
                }
            }
            _ => (0, Vec::new()),
        };
        Ok(TimeHistogramSegment {
            hist: self.clone(),
            stamps,
            base,
            base_ns: self.bucket_start(base).saturating_mul(1_000_000),
            interval_ns: DividerU64::divide_by(
                self.interval_ms.unsigned_abs().saturating_mul(1_000_000),
            ),
            dense,
            sparse: Counts::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut all = Counts::new();
        for f in fruits {
            TimeHistogram::merge(&mut all, f);
        }
        Ok(all)
    }
}

/// One segment's counts.
pub struct TimeHistogramSegment {
    hist: TimeHistogram,
    stamps: Option<StampReader>,
    /// Bucket index of `dense[0]`.
    base: i64,
    /// Start of that bucket in nanoseconds (the column's unit; every value of the segment is at or after
    /// it), and the interval as a precomputed divisor: one multiply-shift per document, not two divisions.
    base_ns: i64,
    interval_ns: DividerU64,
    /// Counts by bucket index − `base`, when the segment's span allows; else `sparse`.
    dense: Vec<u64>,
    sparse: Counts,
}

impl TimeHistogramSegment {
    fn add(&mut self, ts: DateTime) {
        let ns = ts.into_timestamp_nanos();
        if ns >= self.base_ns {
            let i = self.interval_ns.divide((ns - self.base_ns) as u64);
            if let Some(n) = usize::try_from(i).ok().and_then(|i| self.dense.get_mut(i)) {
                *n += 1;
                return;
            }
        }
        let b = self.hist.bucket(ts.into_timestamp_millis());
        *self.sparse.entry(self.hist.bucket_start(b)).or_default() += 1;
    }
}

impl TimeHistogramSegment {
    /// Counts documents whose timestamps are `stamps`.
    pub fn collect_stamps(&mut self, stamps: &[Option<DateTime>]) {
        for ts in stamps.iter().flatten() {
            self.add(*ts);
        }
    }
}

impl SegmentCollector for TimeHistogramSegment {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(ts) = self.stamps.as_ref().and_then(|r| r.column().first(doc)) {
            self.add(ts);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        let Some(mut reader) = self.stamps.take() else {
            return;
        };
        reader.for_each_chunk(docs, |_, stamps| self.collect_stamps(stamps));
        self.stamps = Some(reader);
    }

    fn harvest(self) -> Counts {
        let mut counts = self.sparse;
        for (i, &n) in self.dense.iter().enumerate() {
            if n > 0 {
                *counts
                    .entry(self.hist.bucket_start(self.base + i as i64))
                    .or_default() += n;
            }
        }
        counts
    }
}
