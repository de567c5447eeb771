//! A `_search` body: read and checked, its query and aggregations built.
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    logpipe_store::fuzzing::search_body(body);
});
