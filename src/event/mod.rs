//! Events: what one log line (or one multiline group) becomes on its way to Kafka or an index.
//!
//! `id` derives the deterministic event id from a file's uid and a line's byte offset; `json` encodes the ECS
//! JSON document; `raw` builds the metadata headers of the raw codec. Encoders write into caller-owned buffers
//! so the hot path allocates nothing per line. `filtered` is the other path, taken only by entries with
//! filters: the same ECS event built as a `logpipe_filter::Event`, filtered, then written.

pub mod filtered;
pub mod id;
pub mod json;
pub mod timestamp;

/// Bit flags a tailer attaches to a line; they surface as `log.flags` in the event.
pub mod flags {
    /// The line was longer than `max_line_bytes` and was cut.
    pub const TRUNCATED: u8 = 1;
    /// Several physical lines were joined into one event.
    pub const MULTILINE: u8 = 2;
    /// NUL bytes were removed from the line.
    pub const NUL_REMOVED: u8 = 4;

    /// The names of the flags set in `bits`, in a fixed order.
    pub fn names(bits: u8) -> impl Iterator<Item = &'static str> {
        [
            (TRUNCATED, "truncated"),
            (MULTILINE, "multiline"),
            (NUL_REMOVED, "nul_removed"),
        ]
        .into_iter()
        .filter(move |(bit, _)| bits & bit != 0)
        .map(|(_, name)| name)
    }
}
