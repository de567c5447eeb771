//! Line framing: bytes in, complete lines out, never an unbounded buffer.
//!
//! Bytes arrive in chunks at known file offsets. Lines end at `\n` (a trailing `\r` is dropped, and is not
//! counted in the line's length); the bytes of an unfinished line are carried to the next chunk, at most
//! `max_line_bytes + 1` of them (the last may be the `\r` of a `\r\n`): a longer line is emitted cut to
//! `max_line_bytes` with the `TRUNCATED` flag, and its remaining bytes up to the next newline are skipped.
//! NUL bytes are removed from a line (flag `NUL_REMOVED`). Empty lines are skipped, as Filebeat does. The
//! lines, their offsets and flags do not depend on where the chunks split the bytes (the `framer` fuzz target,
//! `src/fuzzing/framing.rs`, checks this against the framing of the whole input at once).
//!
//! `position()` is the offset of the first byte that has not yet become part of an emitted or skipped line —
//! where reading must resume after a restart. While a long line is being skipped the position stays at that
//! line's start, so a restart emits the same truncated event again (same offset, same id) instead of a fragment.

use crate::event::flags;

/// Receives framed lines: (offset of the line's first byte, line bytes, flags).
pub trait LineSink {
    fn line(&mut self, offset: u64, line: &[u8], flags: u8);
}

impl<F: FnMut(u64, &[u8], u8)> LineSink for F {
    fn line(&mut self, offset: u64, line: &[u8], flags: u8) {
        self(offset, line, flags)
    }
}

/// Framing state of one file.
#[derive(Debug)]
pub struct LineFramer {
    max_line_bytes: usize,
    /// Bytes of the unfinished line.
    carry: Vec<u8>,
    /// File offset of the unfinished (or skipped) line's first byte.
    line_start: u64,
    /// Offset just past the last byte fed.
    fed_until: u64,
    /// A line longer than `max_line_bytes` was emitted cut; drop bytes until its newline.
    skipping: bool,
    scratch: Vec<u8>,
}

impl LineFramer {
    /// A framer whose next byte is at `offset`.
    pub fn new(offset: u64, max_line_bytes: usize) -> LineFramer {
        LineFramer {
            max_line_bytes,
            carry: Vec::new(),
            line_start: offset,
            fed_until: offset,
            skipping: false,
            scratch: Vec::new(),
        }
    }

    /// Offset where reading resumes after a restart (see module docs).
    pub fn position(&self) -> u64 {
        if self.carry.is_empty() && !self.skipping {
            self.fed_until
        } else {
            self.line_start
        }
    }

    /// Offset just past the last byte fed (where the next read continues).
    pub fn read_offset(&self) -> u64 {
        self.fed_until
    }

    /// Feeds `data`, which starts at file offset `self.read_offset()`.
    pub fn feed(&mut self, data: &[u8], sink: &mut impl LineSink) {
        let base = self.fed_until;
        // The carry holds at most `max_line_bytes + 1` bytes: a line of exactly `max_line_bytes` may still
        // end in `\r\n`, so one byte more must be seen before it is known to be too long.
        let keep = self.max_line_bytes.saturating_add(1);
        let mut pos = 0usize;
        for nl in memchr::memchr_iter(b'\n', data) {
            let piece = &data[pos..nl];
            if self.skipping {
                self.skipping = false;
            } else if self.carry.is_empty() {
                self.emit(base + pos as u64, piece, piece.len(), piece.last(), sink);
            } else {
                let len = self.carry.len() + piece.len();
                let last = piece.last().or(self.carry.last()).copied();
                let mut line = std::mem::take(&mut self.carry);
                let room = keep.saturating_sub(line.len());
                line.extend_from_slice(&piece[..piece.len().min(room)]);
                self.emit(self.line_start, &line, len, last.as_ref(), sink);
                line.clear();
                self.carry = line;
            }
            pos = nl + 1;
            self.line_start = base + pos as u64;
        }
        let rest = &data[pos..];
        if !rest.is_empty() && !self.skipping {
            if self.carry.is_empty() {
                self.line_start = base + pos as u64;
            }
            let room = keep.saturating_sub(self.carry.len());
            if rest.len() > room {
                // Longer than `max_line_bytes` whatever ends it: emit it cut now, skip to its newline.
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&rest[..room]);
                let len = line.len();
                self.emit(self.line_start, &line, len, None, sink);
                line.clear();
                self.carry = line;
                self.skipping = true;
            } else {
                self.carry.extend_from_slice(rest);
            }
        }
        self.fed_until = base + data.len() as u64;
    }

    /// Emits a line of `len` bytes before its newline (or, unfinished, so far), of which `head` holds at
    /// least the first `max_line_bytes + 1`; `last` is its last byte when the line is complete (a final `\r`
    /// is not part of the line).
    fn emit(
        &mut self,
        offset: u64,
        head: &[u8],
        len: usize,
        last: Option<&u8>,
        sink: &mut impl LineSink,
    ) {
        let len = if last == Some(&b'\r') { len - 1 } else { len };
        let (line, line_flags) = if len > self.max_line_bytes {
            (&head[..self.max_line_bytes], flags::TRUNCATED)
        } else {
            (&head[..len], 0)
        };
        if memchr::memchr(0, line).is_some() {
            self.scratch.clear();
            self.scratch
                .extend(line.iter().copied().filter(|&b| b != 0));
            if self.scratch.is_empty() {
                return;
            }
            let cleaned = std::mem::take(&mut self.scratch);
            sink.line(offset, &cleaned, line_flags | flags::NUL_REMOVED);
            self.scratch = cleaned;
            return;
        }
        if !line.is_empty() {
            sink.line(offset, line, line_flags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(chunks: &[&[u8]], max: usize) -> (Vec<(u64, Vec<u8>, u8)>, u64) {
        let mut framer = LineFramer::new(0, max);
        let mut out = Vec::new();
        for chunk in chunks {
            framer.feed(chunk, &mut |o: u64, l: &[u8], f: u8| {
                out.push((o, l.to_vec(), f))
            });
        }
        (out, framer.position())
    }

    #[test]
    fn lines_across_chunks_keep_their_offsets() {
        let (lines, pos) = frame(&[b"one\ntw", b"o\r\n\nthree\npart"], 100);
        assert_eq!(
            lines,
            vec![
                (0, b"one".to_vec(), 0),
                (4, b"two".to_vec(), 0),
                (10, b"three".to_vec(), 0)
            ]
        );
        assert_eq!(pos, 16, "resume at the unfinished line");
    }

    #[test]
    fn long_lines_are_cut_and_the_rest_skipped() {
        let (lines, pos) = frame(
            &[b"abcdefghijklmnopqrstuvwxyz", b"0123456789", b"end\nok\n"],
            16,
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            (0, b"abcdefghijklmnop".to_vec(), flags::TRUNCATED)
        );
        assert_eq!(lines[1], (40, b"ok".to_vec(), 0));
        assert_eq!(pos, 43);
    }

    #[test]
    fn skip_position_stays_at_line_start() {
        let (lines, pos) = frame(&[b"x\n", &[b'y'; 100]], 16);
        assert_eq!(lines.len(), 2);
        assert_eq!(pos, 2);
    }

    #[test]
    fn nul_bytes_are_removed_and_marked() {
        let (lines, _) = frame(&[b"a\0b\n\0\0\0\nc\n"], 100);
        assert_eq!(
            lines,
            vec![
                (0, b"ab".to_vec(), flags::NUL_REMOVED),
                (8, b"c".to_vec(), 0)
            ]
        );
    }

    /// Found by the `framer` fuzz target: a `\r\n` line of exactly `max_line_bytes` was flagged truncated
    /// when a read ended inside it, and kept whole when it did not.
    #[test]
    fn crlf_line_of_max_bytes_is_whole_however_read() {
        let whole: &[u8] = b"0123456789abcdef\r\nnext\n";
        let expected = vec![
            (0, b"0123456789abcdef".to_vec(), 0),
            (18, b"next".to_vec(), 0),
        ];
        for split in 0..=whole.len() {
            let (lines, pos) = frame(&[&whole[..split], &whole[split..]], 16);
            assert_eq!(lines, expected, "split at {split}");
            assert_eq!(pos, whole.len() as u64);
        }
        let (lines, _) = frame(&[b"0123456789abcdef\r", b"x\n"], 16);
        assert_eq!(
            lines,
            vec![(0, b"0123456789abcdef".to_vec(), flags::TRUNCATED)],
            "a \\r inside the line counts"
        );
    }

    #[test]
    fn whole_long_line_in_one_chunk_is_cut() {
        let (lines, _) = frame(&[b"0123456789abcdefghij\nz\n"], 16);
        assert_eq!(
            lines[0],
            (0, b"0123456789abcdef".to_vec(), flags::TRUNCATED)
        );
        assert_eq!(lines[1], (21, b"z".to_vec(), 0));
    }
}
