//! The line framer and the multiline joiner on arbitrary bytes, fed in chunks the input chooses.
//!
//! What is checked is the framer's contract (`tail/framer.rs`), computed here from the whole input at once:
//! a line is the bytes before a `\n` without a final `\r`; a line longer than `max_line_bytes` is cut to
//! that many bytes and flagged `TRUNCATED`; NUL bytes are removed (`NUL_REMOVED`); empty lines are
//! skipped; each line carries the offset of its first byte. The same lines must come out however the bytes
//! are split into reads, offsets strictly increasing, and `position()` (where a restart resumes) must move
//! only forward, never past a byte that is not part of a line already emitted or skipped. The joined events
//! must partition the lines in order as `tail/multiline.rs` describes.

use std::time::Duration;

use crate::config::collect::{MultilineConfig, MultilineMatch};
use crate::event::flags;
use crate::tail::framer::{LineFramer, LineSink};
use crate::tail::multiline::Multiline;

/// The file offset the framer starts at (not 0, so offsets are checked as offsets, not indexes).
const START: u64 = 1000;

/// Continuation patterns an input chooses from (the pattern is configuration, not input).
const PATTERNS: [&str; 4] = [r"^\s", r"^\[", r"\\$", r"a"];

/// One framed line or joined event: (offset, bytes, flags).
type Line = (u64, Vec<u8>, u8);

/// How an input is framed: its first bytes.
struct Setup {
    max_line_bytes: usize,
    multiline: Option<MultilineConfig>,
    /// Lengths of the successive reads, repeated until the data is consumed; one read when all are 0.
    chunks: Vec<usize>,
}

impl Setup {
    /// Byte 0: `max_line_bytes` (16, the configurable minimum, to 79). Byte 1: bits 0–1 multiline off /
    /// `after` / `before` / off, bit 2 `negate`, bits 3–5 `max_lines - 1`, bits 6–7 the pattern. Byte 2: how
    /// many read lengths follow (mod 17), one byte each. The rest is the file's content.
    fn read(input: &[u8]) -> Option<(Setup, &[u8])> {
        let [max, mode, count, rest @ ..] = input else {
            return None;
        };
        let count = usize::from(*count) % 17;
        if rest.len() < count {
            return None;
        }
        let (chunks, data) = rest.split_at(count);
        let match_ = match mode & 3 {
            1 => Some(MultilineMatch::After),
            2 => Some(MultilineMatch::Before),
            _ => None,
        };
        let multiline = match_.map(|match_| MultilineConfig {
            pattern: PATTERNS[usize::from(mode >> 6)].to_string(),
            negate: mode & 4 != 0,
            match_,
            max_lines: 1 + usize::from((mode >> 3) & 7),
            timeout: Duration::from_secs(5),
        });
        let setup = Setup {
            max_line_bytes: 16 + usize::from(*max) % 64,
            multiline,
            chunks: chunks.iter().map(|&n| usize::from(n)).collect(),
        };
        Some((setup, data))
    }
}

/// Records the framer's lines and passes them on to the joiner, recording its events.
struct Recorder<'a> {
    multiline: Option<&'a mut Multiline>,
    lines: Vec<Line>,
    events: Vec<Line>,
}

impl LineSink for Recorder<'_> {
    fn line(&mut self, offset: u64, line: &[u8], line_flags: u8) {
        self.lines.push((offset, line.to_vec(), line_flags));
        if let Some(multiline) = self.multiline.as_deref_mut() {
            let events = &mut self.events;
            multiline.push(offset, line, line_flags, &mut |o: u64, l: &[u8], f: u8| {
                events.push((o, l.to_vec(), f))
            });
        }
    }
}

/// Frames the data of `input` (see [`Setup::read`]) and checks the contract described in the module docs.
pub fn framer(input: &[u8]) {
    let Some((setup, data)) = Setup::read(input) else {
        return;
    };
    let max = setup.max_line_bytes;
    let mut multiline = match &setup.multiline {
        Some(config) => match Multiline::new(config, max) {
            Ok(multiline) => Some(multiline),
            Err(_) => return,
        },
        None => None,
    };
    let mut framer = LineFramer::new(START, max);
    let mut recorder = Recorder {
        multiline: multiline.as_mut(),
        lines: Vec::new(),
        events: Vec::new(),
    };
    let mut fed = 0usize;
    let one_read = setup.chunks.iter().all(|&n| n == 0);
    let mut reads = setup.chunks.iter().copied().cycle();
    while fed < data.len() {
        let len = if one_read {
            data.len()
        } else {
            reads.next().unwrap_or(data.len())
        };
        let chunk = &data[fed..(fed + len).min(data.len())];
        framer.feed(chunk, &mut recorder);
        fed += chunk.len();
        assert_eq!(framer.read_offset(), START + fed as u64);
        // A restart resumes at the unfinished line: every byte before it is in a line emitted or
        // skipped, none after it is (so the position only moves forward).
        let unfinished = memchr::memrchr(b'\n', &data[..fed]).map_or(0, |nl| nl + 1);
        assert_eq!(
            framer.position(),
            START + unfinished as u64,
            "after {fed} bytes"
        );
        // With a pending event the restart resumes at its first line: a line framed, after every event
        // emitted (so nothing is lost and nothing emitted is resent under a shifted offset). It is the
        // framer's position itself when that line is a long one emitted cut before its newline came.
        if let Some(pending) = recorder
            .multiline
            .as_deref()
            .and_then(Multiline::pending_start)
        {
            assert!(pending <= framer.position());
            assert!(recorder.lines.iter().any(|l| l.0 == pending));
            assert!(recorder.events.last().is_none_or(|e| e.0 < pending));
        }
    }
    let Recorder { lines, events, .. } = recorder;
    assert_eq!(
        lines,
        frame_whole(data, max),
        "lines of max_line_bytes {max}"
    );
    for pair in lines.windows(2) {
        assert!(pair[0].0 < pair[1].0, "offsets strictly increase");
    }
    for (_, line, line_flags) in &lines {
        assert!(!line.is_empty() && line.len() <= max && !line.contains(&b'\n'));
        if line_flags & (flags::TRUNCATED | flags::NUL_REMOVED) == flags::TRUNCATED {
            assert_eq!(line.len(), max, "a cut line keeps max_line_bytes");
        }
    }
    let (Some(multiline), Some(config)) = (multiline.as_mut(), setup.multiline.as_ref()) else {
        return;
    };
    let mut events = events;
    multiline.flush(&mut |o: u64, l: &[u8], f: u8| events.push((o, l.to_vec(), f)));
    assert_eq!(multiline.pending_start(), None);
    check_events(&events, &lines, config, max);
}

/// The framer's contract applied to the whole of `data` at once.
fn frame_whole(data: &[u8], max: usize) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0usize;
    let mut push = |offset: usize, content: &[u8], mut line_flags: u8| {
        let mut content = content;
        if content.len() > max {
            content = &content[..max];
            line_flags |= flags::TRUNCATED;
        }
        let kept: Vec<u8> = content.iter().copied().filter(|&b| b != 0).collect();
        if kept.len() < content.len() {
            line_flags |= flags::NUL_REMOVED;
        }
        if !kept.is_empty() {
            lines.push((START + offset as u64, kept, line_flags));
        }
    };
    for end in memchr::memchr_iter(b'\n', data) {
        let raw = &data[start..end];
        push(start, raw.strip_suffix(b"\r").unwrap_or(raw), 0);
        start = end + 1;
    }
    // An unfinished line is emitted (cut) as soon as it is certainly too long: more than `max` bytes
    // besides a `\r` that may still turn out to end it.
    let unfinished = &data[start..];
    if unfinished.len() > max + 1 {
        push(start, unfinished, 0);
    }
    lines
}

/// The events of `multiline` partition `lines` in order: each is the `\n`-join of consecutive lines (cut
/// to `max` bytes), starting at its first line's offset, grouped as `match`, `negate` and `max_lines` say.
fn check_events(events: &[Line], lines: &[Line], config: &MultilineConfig, max: usize) {
    let Ok(pattern) = regex::bytes::Regex::new(&config.pattern) else {
        return;
    };
    let continuation = |line: &Line| pattern.is_match(&line.1) != config.negate;
    let mut next = 0usize;
    let mut previous_len = 0usize;
    for (i, (offset, bytes, event_flags)) in events.iter().enumerate() {
        assert_eq!(
            lines.get(next).map(|l| l.0),
            Some(*offset),
            "event {i} starts at a line"
        );
        let end = match events.get(i + 1) {
            Some(following) => lines
                .iter()
                .position(|l| l.0 == following.0)
                .unwrap_or(lines.len()),
            None => lines.len(),
        };
        assert!(end > next, "event {i} holds a line");
        let group = &lines[next..end];
        assert!(
            group.len() <= config.max_lines.max(1),
            "event {i} has too many lines"
        );
        let mut joined = Vec::new();
        let mut line_flags = 0u8;
        for (j, line) in group.iter().enumerate() {
            if j > 0 {
                joined.push(b'\n');
            }
            joined.extend_from_slice(&line.1);
            line_flags |= line.2;
        }
        let mut want = line_flags & (flags::TRUNCATED | flags::NUL_REMOVED);
        if joined.len() > max {
            want |= flags::TRUNCATED;
            joined.truncate(max);
        }
        if group.len() > 1 {
            want |= flags::MULTILINE;
        }
        assert_eq!(bytes, &joined, "event {i}");
        assert_eq!(*event_flags, want, "flags of event {i}");
        let full = group.len() == config.max_lines.max(1);
        match config.match_ {
            MultilineMatch::After => {
                assert!(group[1..].iter().all(continuation), "event {i}: after");
                if i > 0 {
                    assert!(
                        !continuation(&group[0]) || previous_len == config.max_lines.max(1),
                        "event {i} starts with a continuation line"
                    );
                }
            }
            MultilineMatch::Before => {
                let (last, body) = group.split_last().unwrap_or((&group[0], &[]));
                assert!(body.iter().all(continuation), "event {i}: before");
                let final_event = i + 1 == events.len();
                assert!(
                    !continuation(last) || full || final_event,
                    "event {i} ends with a continuation line"
                );
            }
        }
        previous_len = group.len();
        next = end;
    }
    assert_eq!(next, lines.len(), "every line is in an event");
}
