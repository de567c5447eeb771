//! Reading a region of a file: `pread` into a reused buffer, or a SIGBUS-guarded mmap for large backlogs.
//!
//! mmap pays only when there is a lot to read (it saves the copy into a user buffer but costs page-table
//! work), so it is used when the unread backlog is at least `mmap_threshold`. Either way the caller gets a byte
//! slice and a verdict: `Trusted::No` means the file shrank under a mapping and the bytes must be discarded.

use crate::tail::sigbus::GuardedMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Largest region handed out in one call.
pub const MAX_CHUNK: usize = 8 * 1024 * 1024;
/// Size of one plain read.
pub const READ_CHUNK: usize = 1024 * 1024;

/// Whether bytes handed out can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trusted {
    Yes,
    /// A mapped page faulted: the file was truncated while being read.
    No,
}

/// Reads up to `backlog` bytes at `offset` and calls `use_bytes` with them (possibly fewer bytes, never zero
/// unless the file has none there). Returns how many bytes were handed out and whether they are trustworthy.
pub fn read_region(
    file: &File,
    offset: u64,
    backlog: u64,
    mmap_threshold: u64,
    buffer: &mut Vec<u8>,
    use_bytes: impl FnOnce(&[u8]),
) -> io::Result<(usize, Trusted)> {
    if backlog >= mmap_threshold {
        let len = backlog.min(MAX_CHUNK as u64) as usize;
        if let Ok(map) = GuardedMap::new(file, offset, len) {
            use_bytes(map.bytes());
            let trusted = if map.faulted() {
                Trusted::No
            } else {
                Trusted::Yes
            };
            return Ok((len, trusted));
        }
    }
    let want = backlog.min(READ_CHUNK as u64) as usize;
    buffer.resize(want, 0);
    let n = loop {
        match file.read_at(&mut buffer[..want], offset) {
            Ok(n) => break n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if n > 0 {
        use_bytes(&buffer[..n]);
    }
    Ok((n, Trusted::Yes))
}
