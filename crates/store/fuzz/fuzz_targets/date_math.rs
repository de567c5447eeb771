//! ES date math (`now-15m/d`, `2026-11-22||+1M/M`), as range bounds and date-histogram bounds evaluate it.
#![no_main]

libfuzzer_sys::fuzz_target!(|expr: &str| {
    logpipe_store::fuzzing::date_math(expr);
});
