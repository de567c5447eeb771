//! Reading the `@timestamp` column a block of documents at a time: the one place it is read so (the
//! timestamp filter, sorting by time and the time histogram all take their stamps from here).

use tantivy::columnar::Column;
use tantivy::{DateTime, DocId, SegmentReader, COLLECT_BLOCK_BUFFER_LEN};

use crate::doc::schema::F_TS;

/// Reads the `@timestamp`s of blocks of documents: each document's first value, `None` where it has none.
/// The one place the column is read a block at a time (filter, sort, histogram).
pub struct StampReader {
    column: Column<DateTime>,
    stamps: [Option<DateTime>; COLLECT_BLOCK_BUFFER_LEN],
}

impl StampReader {
    /// A reader of `column`.
    pub fn new(column: Column<DateTime>) -> StampReader {
        StampReader {
            column,
            stamps: [None; COLLECT_BLOCK_BUFFER_LEN],
        }
    }

    /// A reader of the segment's `@timestamp` column, if it has one.
    pub fn open(reader: &SegmentReader) -> tantivy::Result<Option<StampReader>> {
        Ok(reader
            .fast_fields()
            .column_opt::<DateTime>(F_TS)?
            .map(StampReader::new))
    }

    /// The column.
    pub fn column(&self) -> &Column<DateTime> {
        &self.column
    }

    /// Calls `f` with each run of at most [`COLLECT_BLOCK_BUFFER_LEN`] of `docs` and their timestamps.
    pub fn for_each_chunk(
        &mut self,
        docs: &[DocId],
        mut f: impl FnMut(&[DocId], &[Option<DateTime>]),
    ) {
        for chunk in docs.chunks(COLLECT_BLOCK_BUFFER_LEN) {
            let stamps = &mut self.stamps[..chunk.len()];
            // `first_vals` leaves the slots of an empty column untouched.
            stamps.fill(None);
            self.column.first_vals(chunk, stamps);
            f(chunk, stamps);
        }
    }
}
