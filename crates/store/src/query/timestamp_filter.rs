//! `@timestamp` range filters decided segment by segment.
//!
//! Nearly every log search is "some query, within this time range". tantivy runs a range on a fast field
//! as a doc set that scans the column for matching rows, intersected with the query: every candidate of the
//! query is sought in that doc set, even in a segment whose documents all lie inside the range (the usual
//! case: segments hold the documents of a few seconds, searches span minutes to days). [`TimestampFilter`]
//! looks at each segment's `@timestamp` column before choosing how to filter it:
//! - no value in the range: the segment is skipped;
//! - every document has a timestamp and all of them lie in the range: the query alone, no filter;
//! - the range holds a large share of the segment's span: the query's own matches, each kept when its
//!   timestamp (read from the column a block at a time) lies in the range;
//! - a small share: tantivy's range doc set intersected with the query, which lets the range skip ahead.
//!
//! Invariant: whatever the choice, a document matches exactly when the query matches it and its
//! `@timestamp` lies in `[lo, hi]` (inclusive, milliseconds: the column's precision); scores are the
//! query's (the filter adds none), or 1.0 without a query, as for ES's `range` query.

use std::ops::Bound;

use tantivy::columnar::{Cardinality, Column};
use tantivy::query::{
    intersect_scorers, AllScorer, ConstScoreQuery, EmptyScorer, EnableScoring, Explanation, Query,
    RangeQuery, Scorer, Weight,
};
use tantivy::{
    DateTime, DocId, DocSet, Score, SegmentReader, Term, COLLECT_BLOCK_BUFFER_LEN, TERMINATED,
};

use crate::doc::schema::F_TS;
use crate::query::stamp_reader::StampReader;

/// Share of a segment's time span covered by the range from which its documents are checked one by one
/// rather than through the range doc set.
const CHECK_SHARE: f64 = 0.25;

/// Documents of `inner` (all documents when `None`) whose `@timestamp` lies in `[lo_ms, hi_ms]`.
#[derive(Debug)]
pub struct TimestampFilter {
    inner: Option<Box<dyn Query>>,
    ts: tantivy::schema::Field,
    lo_ms: i64,
    hi_ms: i64,
    /// Score of every match without a query of its own.
    bare_score: Score,
}

impl Clone for TimestampFilter {
    fn clone(&self) -> Self {
        TimestampFilter {
            inner: self.inner.as_ref().map(|q| q.box_clone()),
            ts: self.ts,
            lo_ms: self.lo_ms,
            hi_ms: self.hi_ms,
            bare_score: self.bare_score,
        }
    }
}

impl TimestampFilter {
    /// The range `[lo_ms, hi_ms]` (inclusive) on the `@timestamp` field `ts`, as a query of its own.
    pub fn range(ts: tantivy::schema::Field, lo_ms: i64, hi_ms: i64) -> TimestampFilter {
        TimestampFilter {
            inner: None,
            ts,
            lo_ms,
            hi_ms,
            bare_score: 1.0,
        }
    }

    /// The same, each match scoring `score` (ES's `range` query scores 1.0, a `bool` with only filters 0.0).
    pub fn scoring(self, score: Score) -> TimestampFilter {
        TimestampFilter {
            bare_score: score,
            ..self
        }
    }

    /// Whether this is a bare range (no query of its own).
    pub fn is_bare(&self) -> bool {
        self.inner.is_none()
    }

    /// `inner` restricted to this range.
    pub fn restrict(self, inner: Box<dyn Query>) -> TimestampFilter {
        TimestampFilter {
            inner: Some(inner),
            ..self
        }
    }

    /// The range intersected with `other`'s.
    pub fn intersect(self, other: &TimestampFilter) -> TimestampFilter {
        TimestampFilter {
            lo_ms: self.lo_ms.max(other.lo_ms),
            hi_ms: self.hi_ms.min(other.hi_ms),
            ..self
        }
    }

    /// tantivy's range query for the same bounds, scoring nothing (the query's scores stand).
    fn range_query(&self) -> ConstScoreQuery {
        let bound = |ms: i64, open: i64| {
            if ms == open {
                Bound::Unbounded
            } else {
                Bound::Included(Term::from_field_date(self.ts, date(ms)))
            }
        };
        ConstScoreQuery::new(
            Box::new(RangeQuery::new(
                bound(self.lo_ms, i64::MIN),
                bound(self.hi_ms, i64::MAX),
            )),
            0.0,
        )
    }
}

impl Query for TimestampFilter {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(TimestampFilterWeight {
            inner: self
                .inner
                .as_ref()
                .map(|q| q.weight(enable_scoring))
                .transpose()?,
            // tantivy's range query needs a bound; without either, no segment is intersected.
            range: if (self.lo_ms, self.hi_ms) == (i64::MIN, i64::MAX) {
                None
            } else {
                Some(self.range_query().weight(enable_scoring)?)
            },
            lo: date(self.lo_ms),
            hi: date(self.hi_ms),
            bare_score: self.bare_score,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        if let Some(inner) = &self.inner {
            inner.query_terms(visitor);
        }
    }
}

/// `ms` as a date, saturating at the ends of the nanosecond range.
fn date(ms: i64) -> DateTime {
    DateTime::from_timestamp_nanos(ms.saturating_mul(1_000_000))
}

struct TimestampFilterWeight {
    inner: Option<Box<dyn Weight>>,
    range: Option<Box<dyn Weight>>,
    lo: DateTime,
    hi: DateTime,
    bare_score: Score,
}

/// How one segment is filtered.
enum Plan {
    Skip,
    Unfiltered,
    Check(Column<DateTime>),
    Intersect,
}

impl TimestampFilterWeight {
    fn plan(&self, reader: &SegmentReader) -> tantivy::Result<Plan> {
        if self.lo > self.hi {
            return Ok(Plan::Skip);
        }
        let Some(column) = reader.fast_fields().column_opt::<DateTime>(F_TS)? else {
            return Ok(Plan::Skip);
        };
        let (min, max) = (column.min_value(), column.max_value());
        if column.values.num_vals() == 0 || max < self.lo || min > self.hi {
            return Ok(Plan::Skip);
        }
        let cardinality = column.get_cardinality();
        if cardinality == Cardinality::Full && self.lo <= min && max <= self.hi {
            return Ok(Plan::Unfiltered);
        }
        if cardinality == Cardinality::Multivalued && self.range.is_some() {
            return Ok(Plan::Intersect);
        }
        let nanos = |d: DateTime| d.into_timestamp_nanos() as f64;
        let span = (nanos(max) - nanos(min)).max(1.0);
        let covered = nanos(self.hi.min(max)) - nanos(self.lo.max(min));
        Ok(if covered / span >= CHECK_SHARE || self.range.is_none() {
            Plan::Check(column)
        } else {
            Plan::Intersect
        })
    }

    fn inner_scorer(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Box<dyn Scorer>> {
        match &self.inner {
            Some(w) => w.scorer(reader, boost),
            None => Ok(Box::new(ConstScored(
                Box::new(AllScorer::new(reader.max_doc())),
                boost * self.bare_score,
            ))),
        }
    }
}

impl TimestampFilterWeight {
    /// The scorer of one segment, filtered as `plan` says.
    fn planned_scorer(
        &self,
        plan: Plan,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match plan {
            Plan::Skip => Box::new(EmptyScorer),
            Plan::Unfiltered => self.inner_scorer(reader, boost)?,
            Plan::Check(column) => Box::new(CheckedScorer::new(
                self.inner_scorer(reader, boost)?,
                column,
                self.lo,
                self.hi,
            )),
            Plan::Intersect => {
                let range = match &self.range {
                    Some(range) => range.scorer(reader, boost)?,
                    None => Box::new(AllScorer::new(reader.max_doc())),
                };
                match &self.inner {
                    Some(w) => intersect_scorers(vec![w.scorer(reader, boost)?, range]),
                    // Alone, every match scores the same.
                    None => Box::new(ConstScored(range, boost * self.bare_score)),
                }
            }
        })
    }
}

impl Weight for TimestampFilterWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.planned_scorer(self.plan(reader)?, reader, boost)
    }

    /// Without scores (counting, sorting by a field, aggregating): the query's blocks of matches, as its
    /// own weight produces them (tantivy's specialised unions stay in use), each filtered on timestamps read
    /// for the whole block.
    fn for_each_no_score(
        &self,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(&[DocId]),
    ) -> tantivy::Result<()> {
        let column = match self.plan(reader)? {
            Plan::Skip => return Ok(()),
            Plan::Intersect => {
                let mut scorer = self.planned_scorer(Plan::Intersect, reader, 1.0)?;
                for_each_block(scorer.as_mut(), callback);
                return Ok(());
            }
            Plan::Unfiltered => None,
            Plan::Check(column) => Some(column),
        };
        let Some(column) = column else {
            return match &self.inner {
                Some(w) => w.for_each_no_score(reader, callback),
                None => {
                    for_each_block(&mut AllScorer::new(reader.max_doc()), callback);
                    Ok(())
                }
            };
        };
        let mut stamps = StampReader::new(column);
        let mut kept: Vec<DocId> = Vec::with_capacity(COLLECT_BLOCK_BUFFER_LEN);
        let mut filter = |docs: &[DocId]| {
            stamps.for_each_chunk(docs, |chunk, stamps| {
                kept.clear();
                kept.extend(
                    chunk
                        .iter()
                        .zip(stamps)
                        .filter(|(_, ts)| within(**ts, self.lo, self.hi))
                        .map(|(doc, _)| *doc),
                );
                if !kept.is_empty() {
                    callback(&kept);
                }
            });
        };
        match &self.inner {
            Some(w) => w.for_each_no_score(reader, &mut filter)?,
            None => for_each_block(&mut AllScorer::new(reader.max_doc()), &mut filter),
        }
        Ok(())
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        Ok(Explanation::new("@timestamp range filter", scorer.score()))
    }
}

/// Whether a document with timestamp `ts` (none: not) lies in `[lo, hi]`.
fn within(ts: Option<DateTime>, lo: DateTime, hi: DateTime) -> bool {
    ts.is_some_and(|ts| lo <= ts && ts <= hi)
}

/// Hands `docset`'s documents to `callback` a block at a time.
fn for_each_block<D: DocSet + ?Sized>(docset: &mut D, callback: &mut dyn FnMut(&[DocId])) {
    let mut buffer = [0; COLLECT_BLOCK_BUFFER_LEN];
    loop {
        let n = docset.fill_buffer(&mut buffer);
        callback(&buffer[..n]);
        if n < buffer.len() {
            break;
        }
    }
}

/// A scorer whose score is a constant.
struct ConstScored(Box<dyn Scorer>, Score);

impl DocSet for ConstScored {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }
    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }
    fn fill_buffer(&mut self, buffer: &mut [DocId; COLLECT_BLOCK_BUFFER_LEN]) -> usize {
        self.0.fill_buffer(buffer)
    }
    fn doc(&self) -> DocId {
        self.0.doc()
    }
    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for ConstScored {
    fn score(&mut self) -> Score {
        self.1
    }
}

/// The documents of `inner` whose (single) timestamp lies in `[lo, hi]`.
struct CheckedScorer {
    inner: Box<dyn Scorer>,
    column: Column<DateTime>,
    lo: DateTime,
    hi: DateTime,
}

impl CheckedScorer {
    fn new(inner: Box<dyn Scorer>, column: Column<DateTime>, lo: DateTime, hi: DateTime) -> Self {
        let mut scorer = CheckedScorer {
            inner,
            column,
            lo,
            hi,
        };
        // A doc set starts on its first document.
        scorer.settle();
        scorer
    }

    fn keeps(&self, doc: DocId) -> bool {
        within(self.column.first(doc), self.lo, self.hi)
    }

    /// Moves `inner` forward to its first document this filter keeps (or the end).
    fn settle(&mut self) -> DocId {
        let mut doc = self.inner.doc();
        while doc != TERMINATED && !self.keeps(doc) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl DocSet for CheckedScorer {
    fn advance(&mut self) -> DocId {
        self.inner.advance();
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.inner.seek(target);
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for CheckedScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::schema::{build_schema, Fields};
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{AllQuery, TermQuery};
    use tantivy::schema::IndexRecordOption;
    use tantivy::{Index, IndexWriter, TantivyDocument};

    /// Three segments: 0..1000 ms, 1000..2000 ms (every other document without a time), 10000..10100 ms;
    /// `message` is "even" or "odd".
    fn index() -> anyhow::Result<(Index, Fields)> {
        let index = Index::create_in_ram(build_schema());
        let fields = Fields::from_schema(&index.schema())?;
        let mut writer: IndexWriter<TantivyDocument> =
            index.writer_with_num_threads(1, 15_000_000)?;
        for (range, every_time) in [(0..1000, true), (1000..2000, false), (10_000..10_100, true)] {
            for ms in range {
                let mut doc = TantivyDocument::new();
                if every_time || ms % 2 == 0 {
                    doc.add_date(fields.ts, DateTime::from_timestamp_millis(ms));
                }
                doc.add_text(fields.message, if ms % 2 == 0 { "even" } else { "odd" });
                writer.add_document(doc)?;
            }
            writer.commit()?;
        }
        Ok((index, fields))
    }

    #[test]
    fn matches_exactly_the_query_within_the_range_whatever_each_segment_plans() -> anyhow::Result<()>
    {
        let (index, fields) = index()?;
        let searcher = index.reader()?.searcher();
        assert_eq!(searcher.segment_readers().len(), 3);
        let even = || -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(fields.message, "even"),
                IndexRecordOption::Basic,
            ))
        };
        // (lo, hi, documents in range, even documents in range)
        let cases = [
            (i64::MIN, i64::MAX, 1600, 1050), // all unfiltered but the second, which has gaps: checked
            (0, 999, 1000, 500),              // one segment whole, the others skipped
            (500, 1499, 750, 500),            // checked: half of two segments
            (10_050, 10_050, 1, 1),           // a single millisecond: intersected
            (10_001, 10_003, 3, 1),           // a sliver: intersected
            (3000, 9000, 0, 0),               // between segments
            (5, 4, 0, 0),                     // empty range
        ];
        for (lo, hi, all, evens) in cases {
            let range = TimestampFilter::range(fields.ts, lo, hi);
            // Without scores (block path) and with scores (scorer path), alone and around a query.
            assert_eq!(searcher.search(&range, &Count)?, all, "[{lo}, {hi}]");
            let top = searcher.search(&range, &TopDocs::with_limit(5000))?;
            assert_eq!(top.len(), all, "[{lo}, {hi}] scored");
            assert!(top.iter().all(|(score, _)| *score == 1.0));
            // As a `bool` with only this filter: every match scores 0.
            let zero = searcher.search(&range.clone().scoring(0.0), &TopDocs::with_limit(5000))?;
            assert_eq!(zero.len(), all);
            assert!(zero.iter().all(|(score, _)| *score == 0.0));
            let filtered = range.clone().restrict(even());
            assert_eq!(
                searcher.search(&filtered, &Count)?,
                evens,
                "even in [{lo}, {hi}]"
            );
            let top = searcher.search(&filtered, &TopDocs::with_limit(5000))?;
            assert_eq!(top.len(), evens, "even in [{lo}, {hi}] scored");
            // Scores are the query's own.
            let plain = searcher.search(&even(), &TopDocs::with_limit(1))?;
            if let (Some((with_filter, _)), Some((without, _))) = (top.first(), plain.first()) {
                assert_eq!(with_filter, without);
            }
        }
        // The same as tantivy's range query, document for document.
        let ours = searcher.search(
            &TimestampFilter::range(fields.ts, 500, 1499).restrict(Box::new(AllQuery)),
            &tantivy::collector::DocSetCollector,
        )?;
        let theirs = searcher.search(
            &TimestampFilter::range(fields.ts, 500, 1499).range_query(),
            &tantivy::collector::DocSetCollector,
        )?;
        assert_eq!(ours, theirs);
        Ok(())
    }
}
