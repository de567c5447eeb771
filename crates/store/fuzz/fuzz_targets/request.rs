//! A request as the HTTP layer hands it over: the first line of the input is `METHOD TARGET`, the rest the
//! body. Reads are answered by a store holding a few documents; writes are routed only.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    logpipe_store::fuzzing::request_input(input);
});
