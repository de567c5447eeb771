//! The committed inputs of a cargo-fuzz target, for the unit tests of the crate it fuzzes: every file of
//! `<fuzz dir>/corpus/<target>/` (the seeds) and `<fuzz dir>/regressions/<target>/` (each input a fuzzer
//! found a fault with, kept once fixed). The crates with fuzz targets (`logpipe`, `logpipe-store`,
//! `logpipe-filter`) replay them through their `fuzzing` entry points, so `cargo test` checks them on
//! stable, without cargo-fuzz.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::Once;

/// The seeds and regressions of `target` under `fuzz_dir`, in name order, seeds first.
pub fn inputs(fuzz_dir: &Path, target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir.join(kind).join(target)) else {
            continue;
        };
        let mut found: Vec<(PathBuf, Vec<u8>)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.path(), std::fs::read(e.path()).ok()?)))
            .collect();
        found.sort();
        all.extend(found);
    }
    all
}

thread_local! {
    /// Panics this thread has begun, caught or not.
    static PANICS: Cell<u64> = const { Cell::new(0) };
}

/// Counts every panic in [`PANICS`] of its thread, then does what the hook before it did.
fn count_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|n| n.set(n.get() + 1));
            previous(info);
        }));
    });
}

/// Runs every input of `target` (see [`inputs`]) through `run`, naming each on stderr first so that a
/// failing test says which input failed. Panics when the target has no committed input at all, and when
/// an input makes anything on this thread panic, even where the code under test catches it: the fuzzer's
/// panic hook aborts on the panic itself, so a caught one still fails the fuzz pass.
pub fn replay(fuzz_dir: &Path, target: &str, mut run: impl FnMut(&[u8])) {
    count_panics();
    let inputs = inputs(fuzz_dir, target);
    assert!(
        !inputs.is_empty(),
        "no seed for {target} in {}",
        fuzz_dir.display()
    );
    for (path, bytes) in inputs {
        eprintln!("{}", path.display());
        let before = PANICS.with(Cell::get);
        run(&bytes);
        assert_eq!(
            PANICS.with(Cell::get),
            before,
            "{} panicked (caught, but the fuzzer aborts on it)",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_come_before_regressions_in_name_order() {
        let dir = std::env::temp_dir().join(format!("logpipe-fuzz-inputs-{}", std::process::id()));
        for (kind, name, body) in [
            ("corpus", "b", "2"),
            ("corpus", "a", "1"),
            ("regressions", "0", "3"),
        ] {
            let at = dir.join(kind).join("t");
            std::fs::create_dir_all(&at).expect("mkdir");
            std::fs::write(at.join(name), body).expect("write");
        }
        let mut seen = Vec::new();
        replay(&dir, "t", |b| seen.push(b.to_vec()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(seen, vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]);
        assert!(inputs(&dir, "none").is_empty());
    }

    #[test]
    fn a_caught_panic_fails_the_replay() {
        let dir = std::env::temp_dir().join(format!("logpipe-fuzz-caught-{}", std::process::id()));
        let at = dir.join("corpus").join("t");
        std::fs::create_dir_all(&at).expect("mkdir");
        std::fs::write(at.join("a"), "x").expect("write");
        let replayed = std::panic::catch_unwind(|| {
            replay(&dir, "t", |_| {
                let _ = std::panic::catch_unwind(|| panic!("inside the code under test"));
            })
        });
        let _ = std::fs::remove_dir_all(&dir);
        assert!(replayed.is_err(), "a caught panic passed the replay");
    }
}
