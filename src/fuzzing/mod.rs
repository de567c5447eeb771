//! Entry points for the fuzz targets (`fuzz/`), compiled only with the `fuzzing` feature (and in tests): each
//! takes arbitrary bytes, must return without panicking, overflowing the stack or running for long, and
//! checks what its module promises (a failed check is a panic, which the fuzzer reports as a fault).
//!
//! - [`framer`]: bytes fed to the line framer in chunks the input chooses, lines through the multiline
//!   joiner; the result is checked against the framing of the whole input at once.
//! - [`checkpoint`]: arbitrary bytes as `checkpoints.json`, loaded by `Checkpointer::open`.
//! - [`index_pattern`]: the transfer's index-name pattern parsed and filled from a JSON object.
//!
//! The tests below run every input of `fuzz/corpus/<target>/` (the seeds) and `fuzz/regressions/<target>/`
//! (each input a fuzzer found a fault with, kept once fixed) through its target, so `cargo test` replays
//! them without cargo-fuzz.

mod checkpoint;
mod framing;
mod index_pattern;

pub use checkpoint::checkpoint;
pub use framing::framer;
pub use index_pattern::index_pattern;

#[cfg(test)]
mod tests {
    fn replay(target: &str, run: impl FnMut(&[u8])) {
        let fuzz_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
        logpipe_fuzz_inputs::replay(&fuzz_dir, target, run);
    }

    #[test]
    fn framer_inputs() {
        replay("framer", super::framer);
    }

    #[test]
    fn checkpoint_inputs() {
        replay("checkpoint", super::checkpoint);
    }

    #[test]
    fn index_pattern_inputs() {
        replay("index_pattern", super::index_pattern);
    }
}
