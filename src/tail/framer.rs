//! Line framing: bytes in, complete lines out, never an unbounded buffer.
//!
//! Bytes arrive in chunks at known file offsets. Lines end at `\n` (a trailing `\r` is dropped); the bytes of an
//! unfinished line are carried to the next chunk, at most `max_line_bytes` of them: a longer line is emitted
//! cut to `max_line_bytes` with the `TRUNCATED` flag, and its remaining bytes up to the next newline are
//! skipped. NUL bytes are removed from a line (flag `NUL_REMOVED`). Empty lines are skipped, as Filebeat does.
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
        let mut pos = 0usize;
        for nl in memchr::memchr_iter(b'\n', data) {
            let piece = &data[pos..nl];
            if self.skipping {
                self.skipping = false;
            } else if self.carry.is_empty() {
                self.emit(base + pos as u64, piece, 0, sink);
            } else {
                let room = self.max_line_bytes.saturating_sub(self.carry.len());
                let mut line = std::mem::take(&mut self.carry);
                let cut = piece.len() > room;
                line.extend_from_slice(&piece[..piece.len().min(room)]);
                self.emit(
                    self.line_start,
                    &line,
                    if cut { flags::TRUNCATED } else { 0 },
                    sink,
                );
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
            let room = self.max_line_bytes.saturating_sub(self.carry.len());
            if rest.len() > room {
                let mut line = std::mem::take(&mut self.carry);
                line.extend_from_slice(&rest[..room]);
                self.emit(self.line_start, &line, flags::TRUNCATED, sink);
                line.clear();
                self.carry = line;
                self.skipping = true;
            } else {
                self.carry.extend_from_slice(rest);
            }
        }
        self.fed_until = base + data.len() as u64;
    }

    fn emit(&mut self, offset: u64, line: &[u8], mut line_flags: u8, sink: &mut impl LineSink) {
        let mut line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > self.max_line_bytes {
            line = &line[..self.max_line_bytes];
            line_flags |= flags::TRUNCATED;
        }
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
