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
pub const MAX_CHUNK: usize = 2 * 1024 * 1024;

/// Reads of one file in a row before the file server moves on to the next file (at most
/// `READS_PER_PASS × MAX_CHUNK` = 8 MiB per file per pass). A file's lines reach the producer in runs this
/// long, which keeps librdkafka's batches full (perf/RESULTS.md, issue 28), while each read's batches are
/// shipped before the next read, so at most one read's lines wait in memory.
pub const READS_PER_PASS: usize = 4;
/// Size of one plain read, and of the pieces a mapped region is handed out in (each piece's pages are
/// released once it has been used).
pub const READ_CHUNK: usize = 1024 * 1024;

/// Whether bytes handed out can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trusted {
    Yes,
    /// A mapped page faulted: the file was truncated while being read.
    No,
}

/// Reads up to `backlog` bytes at `offset` and calls `use_bytes` with them in order, in one or more
/// consecutive pieces (possibly fewer bytes than asked, never zero unless the file has none there). Returns
/// how many bytes were handed out and whether they are trustworthy.
pub fn read_region(
    file: &File,
    offset: u64,
    backlog: u64,
    mmap_threshold: u64,
    buffer: &mut Vec<u8>,
    mut use_bytes: impl FnMut(&[u8]),
) -> io::Result<(usize, Trusted)> {
    if backlog >= mmap_threshold {
        let len = backlog.min(MAX_CHUNK as u64) as usize;
        if let Ok(map) = GuardedMap::new(file, offset, len) {
            // Piece by piece, each piece's pages released after use: what the region costs in RSS is one
            // piece of mapped pages, not all of them (measured in perf/RESULTS.md, issue 28).
            let mut used = 0;
            for piece in map.bytes().chunks(READ_CHUNK) {
                use_bytes(piece);
                used += piece.len();
                map.release_before(used);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapped region (at most `MAX_CHUNK`) comes in `READ_CHUNK` pieces that together are exactly the
    /// bytes asked for, from an offset that is not on a page boundary; a plain read comes whole.
    #[test]
    fn a_mapped_region_is_handed_out_in_order_in_pieces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.log");
        let content: Vec<u8> = (0..5 * READ_CHUNK as u32 + 77)
            .map(|i| (i % 253) as u8)
            .collect();
        std::fs::write(&path, &content).expect("write");
        let file = File::open(&path).expect("open");
        let offset = 12_345;
        let backlog = (content.len() - offset) as u64;
        let mut buffer = Vec::new();
        for (threshold, pieces_expected) in [(1, MAX_CHUNK / READ_CHUNK), (u64::MAX, 1)] {
            let mut got = Vec::new();
            let mut pieces = 0;
            let (n, trusted) =
                read_region(&file, offset as u64, backlog, threshold, &mut buffer, |b| {
                    got.extend_from_slice(b);
                    pieces += 1;
                })
                .expect("read");
            assert_eq!(trusted, Trusted::Yes);
            assert_eq!(n, got.len());
            assert_eq!(pieces, pieces_expected, "threshold {threshold}");
            assert_eq!(got, content[offset..offset + n]);
        }
    }
}
