//! `_id` bookkeeping of a writer: [`IdKey`] (an `_id` hashed once per document) and [`IdFilter`], a Bloom
//! filter over every `_id` an index holds, which answers "new id" without a term lookup in every segment.

use tantivy::Searcher;

/// An `_id` as its 128-bit xxh3 hash: the key of `pending` and the source of the Bloom filter's probes,
/// computed once per document. (Two ids sharing a 128-bit hash among the ids of one index is not a
/// practical concern.)
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct IdKey(u128);

impl IdKey {
    /// The key of `id`.
    pub fn of(id: &str) -> IdKey {
        IdKey::of_bytes(id.as_bytes())
    }

    /// The key of an `_id` term's bytes.
    fn of_bytes(id: &[u8]) -> IdKey {
        IdKey(xxhash_rust::xxh3::xxh3_128(id))
    }
}

/// A Bloom filter of `_id`s (~10 bits per id, 7 probes, ~1% false positives at capacity).
pub struct IdFilter {
    bits: Vec<u64>,
    mask: u64,
    count: u64,
    capacity: u64,
}

impl IdFilter {
    fn with_capacity(capacity: u64) -> IdFilter {
        let capacity = capacity.max(1 << 16);
        let nbits = (capacity * 10).next_power_of_two();
        IdFilter {
            bits: vec![0; (nbits / 64) as usize],
            mask: nbits - 1,
            count: 0,
            capacity,
        }
    }

    fn probes(key: IdKey) -> impl Iterator<Item = u64> {
        let h = key.0;
        let (a, b) = (h as u64, ((h >> 64) as u64) | 1);
        (0..7u64).map(move |i| a.wrapping_add(i.wrapping_mul(b)))
    }

    /// Records `id`.
    pub fn insert(&mut self, key: IdKey) {
        for p in Self::probes(key) {
            let p = p & self.mask;
            self.bits[(p / 64) as usize] |= 1 << (p % 64);
        }
        self.count += 1;
    }

    /// Whether more ids were inserted than the filter was sized for (its false positives grow).
    pub fn is_over_capacity(&self) -> bool {
        self.count > self.capacity
    }

    /// How many ids the filter was sized for.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// False means `id` was never inserted.
    pub fn may_contain(&self, key: IdKey) -> bool {
        Self::probes(key).all(|p| {
            let p = p & self.mask;
            self.bits[(p / 64) as usize] & (1 << (p % 64)) != 0
        })
    }

    /// A filter holding every `_id` term of `searcher` (deleted ones included, which is harmless).
    pub fn build(
        searcher: &Searcher,
        id_field: tantivy::schema::Field,
        capacity: u64,
    ) -> tantivy::Result<IdFilter> {
        let mut f = IdFilter::with_capacity(capacity.max(searcher.num_docs() * 2));
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(id_field)?;
            let mut stream = inv.terms().stream()?;
            while stream.advance() {
                for p in Self::probes(IdKey::of_bytes(stream.key())) {
                    let p = p & f.mask;
                    f.bits[(p / 64) as usize] |= 1 << (p % 64);
                }
                f.count += 1;
            }
        }
        Ok(f)
    }
}
