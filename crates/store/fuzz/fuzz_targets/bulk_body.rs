//! A `_bulk` NDJSON body: action lines read, each document converted as indexing would.
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    logpipe_store::fuzzing::bulk_body(body);
});
