//! Lucene syntax as `q=` and `query_string` take it: checked against the limits, rewritten, parsed, built.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    logpipe_store::fuzzing::lucene(text);
});
