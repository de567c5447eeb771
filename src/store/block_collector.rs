//! One pass over the matching documents feeding the hit count, the top hits and the aggregations.
//!
//! tantivy's tuple and `Option` collectors hand a block of matching documents to their children one document
//! at a time; this collector forwards whole blocks (`collect_block`), so the aggregation collector reads its
//! fast fields block-wise and the top-hits collector can too. Scoring queries still get one call per document
//! with its score. Invariant: every child sees exactly the documents the count counts, in order.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

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
}

impl<T: Collector, A: Collector> Collector for CountTopAggs<T, A> {
    type Fruit = (usize, Option<T::Fruit>, Option<A::Fruit>);
    type Child = CountTopAggsSegment<T::Child, A::Child>;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        Ok(CountTopAggsSegment {
            count: 0,
            top: self
                .top
                .as_ref()
                .map(|c| c.for_segment(segment, reader))
                .transpose()?,
            aggs: self
                .aggs
                .as_ref()
                .map(|c| c.for_segment(segment, reader))
                .transpose()?,
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

impl<T: SegmentCollector, A: SegmentCollector> SegmentCollector for CountTopAggsSegment<T, A> {
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
        if let Some(top) = &mut self.top {
            top.collect_block(docs);
        }
        if let Some(aggs) = &mut self.aggs {
            aggs.collect_block(docs);
        }
    }

    fn harvest(self) -> Self::Fruit {
        (
            self.count,
            self.top.map(SegmentCollector::harvest),
            self.aggs.map(SegmentCollector::harvest),
        )
    }
}
