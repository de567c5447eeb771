//! A sprintf template (first line) filled from a JSON object (the rest): strictly, as index names and
//! document ids are, and the Logstash way, as filters do.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    logpipe_filter::fuzzing::template(input);
});
