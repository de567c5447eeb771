//! One pass over the matching documents feeding the hit count, the top hits and the aggregations.
//!
//! tantivy's tuple and `Option` collectors hand a block of matching documents to their children one document
//! at a time; this collector forwards whole blocks (`collect_block`), so the aggregation collector reads its
//! fast fields block-wise and the top-hits collector can too. Scoring queries still get one call per document
//! with its score. Invariant: every child sees exactly the documents the count counts, in order.
//!
//! Sorting by time and the time histogram both need each matching document's `@timestamp`: when a child
//! says it does ([`StampedSegmentCollector::wants_stamps`]), the block's timestamps are read once here and
//! handed to it with the block, instead of each child decoding the column again.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DateTime, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::query::stamp_reader::StampReader;

/// A segment collector that can take a block's `@timestamp`s read by its parent.
pub trait StampedSegmentCollector: SegmentCollector {
    /// Whether it reads every document's `@timestamp`.
    fn wants_stamps(&self) -> bool;
    /// Collects `docs`, whose `@timestamp`s (first value, or `None`) are `stamps`.
    fn collect_stamped(&mut self, docs: &[DocId], stamps: &[Option<DateTime>]);
}

/// Count + optional top hits + optional aggregations.
pub struct CountTopAggs<T, A> {
    pub top: Option<T>,
    pub aggs: Option<A>,
}

/// The per-segment side of [`CountTopAggs`].
pub struct CountTopAggsSegment<T, A> {
    count: usize,
    top: Option<T>,
    aggs: Option<A>,
    /// The `@timestamp` reader, when a child wants stamps.
    stamps: Option<StampReader>,
}

impl<T, A> Collector for CountTopAggs<T, A>
where
    T: Collector,
    A: Collector,
    T::Child: StampedSegmentCollector,
    A::Child: StampedSegmentCollector,
{
    type Fruit = (usize, Option<T::Fruit>, Option<A::Fruit>);
    type Child = CountTopAggsSegment<T::Child, A::Child>;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let top = self
            .top
            .as_ref()
            .map(|c| c.for_segment(segment, reader))
            .transpose()?;
        let aggs = self
            .aggs
            .as_ref()
            .map(|c| c.for_segment(segment, reader))
            .transpose()?;
        let wanted = top.as_ref().is_some_and(|t| t.wants_stamps())
            || aggs.as_ref().is_some_and(|a| a.wants_stamps());
        let stamps = if wanted {
            StampReader::open(reader)?
        } else {
            None
        };
        Ok(CountTopAggsSegment {
            count: 0,
            top,
            aggs,
            stamps,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.top.as_ref().is_some_and(Collector::requires_scoring)
            || self.aggs.as_ref().is_some_and(Collector::requires_scoring)
    }

    fn merge_fruits(
        &self,
        fruits: Vec<<Self::Child as SegmentCollector>::Fruit>,
    ) -> tantivy::Result<Self::Fruit> {
        let mut count = 0;
        let mut tops = Vec::new();
        let mut aggs = Vec::new();
        for (n, top, agg) in fruits {
            count += n;
            tops.extend(top);
            aggs.extend(agg);
        }
        let top = match &self.top {
            Some(c) => Some(c.merge_fruits(tops)?),
            None => None,
        };
        let aggs = match &self.aggs {
            Some(c) => Some(c.merge_fruits(aggs)?),
            None => None,
        };
        Ok((count, top, aggs))
    }
}

/// Hands a block to `child`, with its stamps when it wants them.
fn feed<C: StampedSegmentCollector>(
    child: &mut Option<C>,
    docs: &[DocId],
    stamps: &[Option<DateTime>],
) {
    if let Some(c) = child {
        if c.wants_stamps() {
            c.collect_stamped(docs, stamps);
        } else {
            c.collect_block(docs);
        }
    }
}

impl<T, A> SegmentCollector for CountTopAggsSegment<T, A>
where
    T: StampedSegmentCollector,
    A: StampedSegmentCollector,
{
    type Fruit = (usize, Option<T::Fruit>, Option<A::Fruit>);

    fn collect(&mut self, doc: DocId, score: Score) {
        self.count += 1;
        if let Some(top) = &mut self.top {
            top.collect(doc, score);
        }
        if let Some(aggs) = &mut self.aggs {
            aggs.collect(doc, score);
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        self.count += docs.len();
        let Some(reader) = &mut self.stamps else {
            if let Some(top) = &mut self.top {
                top.collect_block(docs);
            }
            if let Some(aggs) = &mut self.aggs {
                aggs.collect_block(docs);
            }
            return;
        };
        let (top, aggs) = (&mut self.top, &mut self.aggs);
        reader.for_each_chunk(docs, |chunk, stamps| {
            feed(top, chunk, stamps);
            feed(aggs, chunk, stamps);
        });
    }

    fn harvest(self) -> Self::Fruit {
        (
            self.count,
            self.top.map(SegmentCollector::harvest),
            self.aggs.map(SegmentCollector::harvest),
        )
    }
}
