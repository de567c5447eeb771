//! File identity beyond (device, inode): a hash of the file's first line (at most 1 KiB).
//!
//! Inodes are reused as soon as a file is deleted and closed, so (dev, ino) alone would mistake a new file for
//! an old one and resume it at the old offset. The fingerprint covers the first line including its newline, or
//! the first `FINGERPRINT_BYTES` when the first line is longer; a file with neither yet has no fingerprint and
//! is not read until it does (it has no complete line to ship anyway). Copytruncate and in-place rewrites
//! change the first line, which changes the fingerprint.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use xxhash_rust::xxh3::xxh3_64;

/// Most bytes a fingerprint covers.
pub const FINGERPRINT_BYTES: usize = 1024;

/// Hash of the first bytes, and how many bytes it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    pub hash: u64,
    pub len: u32,
}

/// Computes the fingerprint of `file`; `Ok(None)` while the file has neither a full first line nor 1 KiB.
pub fn compute(file: &File) -> io::Result<Option<Fingerprint>> {
    let mut buf = [0u8; FINGERPRINT_BYTES];
    let n = read_at_most(file, &mut buf)?;
    let head = &buf[..n];
    let len = match memchr::memchr(b'\n', head) {
        Some(nl) => nl + 1,
        None if n == FINGERPRINT_BYTES => n,
        None => return Ok(None),
    };
    Ok(Some(Fingerprint {
        hash: xxh3_64(&head[..len]),
        len: len as u32,
    }))
}

/// Whether `file` still starts with the bytes `expected` was computed from.
pub fn still_matches(file: &File, expected: Fingerprint) -> io::Result<bool> {
    let mut buf = [0u8; FINGERPRINT_BYTES];
    let want = (expected.len as usize).min(FINGERPRINT_BYTES);
    let n = read_at_most(file, &mut buf[..want])?;
    Ok(n == want && xxh3_64(&buf[..n]) == expected.hash)
}

fn read_at_most(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn first_line_is_the_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.log");
        let mut f = File::create(&path).expect("create");
        f.write_all(b"partial").expect("write");
        let r = File::open(&path).expect("open");
        assert_eq!(compute(&r).expect("read"), None, "no full line yet");
        f.write_all(b" line\nsecond\n").expect("write");
        let fp = compute(&r).expect("read").expect("fingerprint");
        assert_eq!(fp.len, 13);
        assert!(still_matches(&r, fp).expect("read"));
        f.set_len(0).expect("truncate");
        assert!(!still_matches(&r, fp).expect("read"));
    }
}
