//! Surviving SIGBUS from memory-mapped files that shrink under the mapping.
//!
//! Reading a page of a mapping that lies beyond the file's current end raises SIGBUS, which kills the process by
//! default. Large backlogs are read through mmap, and a writer may truncate the file (copytruncate) at any
//! moment, so the agent installs a SIGBUS handler once: when the faulting address lies inside a mapping that
//! was registered here, the handler maps an anonymous zero page over it (`MAP_FIXED`), counts the fault for that
//! mapping and returns; the interrupted read then sees zeros. The reader checks `GuardedMap::faulted` after it
//! has copied what it needs and discards the region if a fault happened (the file was truncated, which the
//! tailer then handles as such). A SIGBUS outside registered mappings is a real bug: the handler restores the
//! default action and returns, so the fault repeats and the process dies as it would have.
//!
//! The registry of live mappings is the one process-wide state in logpipe: a signal handler can reach nothing
//! else. It is a fixed array of atomics, so the handler never locks or allocates.

use memmap2::{Mmap, MmapOptions};
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

const SLOTS: usize = 64;

struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    faults: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    faults: AtomicUsize::new(0),
};
static REGISTRY: [Slot; SLOTS] = [EMPTY; SLOTS];
static INSTALL: Once = Once::new();

extern "C" fn on_sigbus(
    _signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo_t for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    for slot in REGISTRY.iter() {
        let start = slot.start.load(Ordering::Acquire);
        let len = slot.len.load(Ordering::Acquire);
        if start != 0 && start != usize::MAX && addr.wrapping_sub(start) < len {
            // SAFETY: sysconf and mmap are async-signal-safe system calls; the page lies inside a mapping we own.
            unsafe {
                let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
                let page_start = addr & !(page - 1);
                libc::mmap(
                    page_start as *mut libc::c_void,
                    page,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                    -1,
                    0,
                );
            }
            slot.faults.fetch_add(1, Ordering::AcqRel);
            return;
        }
    }
    // Not ours: fall back to the default action; returning re-executes the fault, which then kills the process.
    // SAFETY: signal() is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
}

/// Installs the handler (idempotent).
pub fn install() {
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction with a valid handler and SA_SIGINFO is a correct argument to sigaction.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut()) != 0 {
                log::warn!(
                    "cannot install the SIGBUS handler: {}",
                    io::Error::last_os_error()
                );
            }
        }
    });
}

/// A read-only mapping of part of a file, registered with the SIGBUS handler for its lifetime.
pub struct GuardedMap {
    map: Mmap,
    slot: usize,
    /// Offset of `bytes()[0]` inside the mapping (the mapping starts on a page boundary).
    skip: usize,
    len: usize,
}

/// The size of a memory page.
fn page_size() -> usize {
    // SAFETY: sysconf(_SC_PAGESIZE) has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

impl GuardedMap {
    /// Maps `len` bytes of `file` starting at `offset`. Fails when every slot is taken or mmap fails; the
    /// caller then reads with plain `pread`.
    pub fn new(file: &File, offset: u64, len: usize) -> io::Result<GuardedMap> {
        install();
        let page = page_size() as u64;
        let aligned = offset - offset % page;
        let skip = (offset - aligned) as usize;
        // SAFETY: the file may change under the mapping; truncation is made safe by the SIGBUS handler above,
        // and the bytes are only copied out, never trusted to stay the same.
        let map = unsafe {
            MmapOptions::new()
                .offset(aligned)
                .len(skip + len)
                .map(file)?
        };
        let start = map.as_ptr() as usize;
        for (i, slot) in REGISTRY.iter().enumerate() {
            if slot
                .start
                .compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                slot.faults.store(0, Ordering::Release);
                slot.len.store(map.len(), Ordering::Release);
                slot.start.store(start, Ordering::Release);
                #[cfg(target_os = "linux")]
                let _ = map.advise(memmap2::Advice::Sequential);
                return Ok(GuardedMap {
                    map,
                    slot: i,
                    skip,
                    len,
                });
            }
        }
        Err(io::Error::other("no free SIGBUS guard slot"))
    }

    /// The requested bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map[self.skip..self.skip + self.len]
    }

    /// Drops the mapped pages that hold only `bytes()[..consumed]` from this process's memory, so that a
    /// region read piece by piece does not keep every page it has read resident until it is unmapped (each
    /// of them counts in the agent's RSS until then). The page cache keeps them; reading those bytes again
    /// would fault them back in from the file.
    pub fn release_before(&self, consumed: usize) {
        let page = page_size();
        let end = (self.skip + consumed.min(self.len)) / page * page;
        if end == 0 {
            return;
        }
        // SAFETY: a read-only private mapping of a file that this process never writes: MADV_DONTNEED only
        // unmaps its pages, and a later read maps the file's bytes (or, past a truncation, the guarded zero
        // page) back in. Nothing is freed that a reference could still point into.
        let _ = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, end)
        };
    }

    /// Whether any page of the mapping faulted (the file shrank): its bytes must not be trusted.
    pub fn faulted(&self) -> bool {
        REGISTRY[self.slot].faults.load(Ordering::Acquire) > 0
    }
}

impl Drop for GuardedMap {
    fn drop(&mut self) {
        let slot = &REGISTRY[self.slot];
        slot.len.store(0, Ordering::Release);
        slot.start.store(0, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn truncation_under_a_mapping_does_not_crash() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.log");
        let mut f = File::create(&path).expect("create");
        f.write_all(&vec![b'x'; 1 << 20]).expect("write");
        let reader = File::open(&path).expect("open");
        let map = GuardedMap::new(&reader, 4096, (1 << 20) - 4096).expect("map");
        assert!(!map.faulted());
        assert_eq!(map.bytes()[0], b'x');
        f.set_len(0).expect("truncate");
        // Every page is now beyond the end of the file: reading faults, the handler substitutes zeros.
        let sum: u64 = map.bytes().iter().step_by(4096).map(|&b| b as u64).sum();
        assert_eq!(sum, 0);
        assert!(map.faulted());
    }

    /// Pages released after reading leave the process (RSS falls) and read back as the file's bytes.
    #[test]
    fn released_pages_leave_memory_and_read_back_from_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.log");
        let content: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
        std::fs::write(&path, &content).expect("write");
        let reader = File::open(&path).expect("open");
        let map = GuardedMap::new(&reader, 100, content.len() - 100).expect("map");
        let touched: u64 = map.bytes().iter().step_by(4096).map(|&b| b as u64).sum();
        let at = map.bytes().as_ptr() as usize;
        let before = resident_kib_of_mapping(at);
        map.release_before(map.bytes().len() - 1);
        let after = resident_kib_of_mapping(at);
        assert!(
            before >= 8 * 1024 - 4 && after <= 4,
            "{before} KiB of the mapping resident before, {after} KiB after releasing it (sum {touched})"
        );
        assert_eq!(map.bytes(), &content[100..]);
        assert!(!map.faulted());
    }

    /// Rss of the mapping that contains address `at`, KiB (from /proc/self/smaps, so other tests' mappings
    /// do not count).
    fn resident_kib_of_mapping(at: usize) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("smaps");
        let mut inside = false;
        for line in smaps.lines() {
            let range = line
                .split_whitespace()
                .next()
                .and_then(|r| r.split_once('-'));
            if let Some((start, end)) =
                range.filter(|_| line.contains(' ') && !line.ends_with("kB"))
            {
                if let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                ) {
                    inside = (start..end).contains(&at);
                    continue;
                }
            }
            if let Some(kib) = line.strip_prefix("Rss:").filter(|_| inside) {
                return kib
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse()
                    .expect("Rss");
            }
        }
        panic!("no mapping holds {at:#x}")
    }
}
