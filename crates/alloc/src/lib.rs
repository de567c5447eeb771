//! The global allocator of every logpipe program: the `logpipe` binary and every test, benchmark and example
//! of its crates, so that they measure what users run. A crate whose programs should use it names it once
//! (`use logpipe_alloc as _;`), which links it in.

/// The allocator of every program that links this crate: the `logpipe` binary, and the tests, benchmarks and
/// examples, so that they measure what users run. mimalloc instead of glibc's malloc: the store allocates a
/// document's buffers on the request thread and frees them on tantivy's indexing threads, which glibc serves
/// with lock contention, consolidation and fresh zeroed pages; mimalloc cut `_bulk` CPU per document by
/// about a sixth (perf/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sets the allocator up for long-running processes before anything allocates: a constructor in
/// `.init_array`, which the loader runs before Rust's runtime (whose first allocations reserve mimalloc's
/// first arena). mimalloc commits its arenas eagerly on Linux by default, which kept an idle agent watching
/// 1,000 files at 44 MiB resident (16 MiB with glibc's malloc); committed on demand it stays under 20 MiB,
/// and `_bulk` is as fast (perf/RESULTS.md). Set from `main` instead, the first arena was already committed
/// (32 MiB). Priority 100 runs it before mimalloc's own constructor, which has priority 101 when built by
/// clang. The setting wins over `MIMALLOC_ARENA_EAGER_COMMIT` in the environment.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array.00100"]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

#[cfg(target_os = "linux")]
extern "C" fn tune_allocator() {
    /// `mi_option_arena_eager_commit`, the fifth entry of `mi_option_e` in mimalloc.h (libmimalloc-sys
    /// names only some of the options).
    const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
    // SAFETY: mi_option_set only stores the option's value (marking it set, so mimalloc's own start-up
    // does not read it from the environment again); mimalloc reads it when it commits memory.
    unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0) };
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// Runs this test binary again (only to list its tests) with mimalloc's start-up report switched on,
    /// and reads the option by its name there: a wrong index in `tune_allocator` would set some other
    /// option, and the environment's `1` would show here instead of `0`.
    #[test]
    fn the_allocator_commits_arenas_on_demand_whatever_the_environment_says() {
        let output = std::env::current_exe()
            .and_then(|exe| {
                std::process::Command::new(exe)
                    .arg("--list")
                    .env("MIMALLOC_VERBOSE", "1")
                    .env("MIMALLOC_ARENA_EAGER_COMMIT", "1")
                    .output()
            })
            .expect("run the test binary again");
        let report = String::from_utf8_lossy(&output.stderr);
        assert!(
            report.contains("option 'arena_eager_commit': 0"),
            "mimalloc's report:\n{report}"
        );
    }
}
