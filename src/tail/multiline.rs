//! Multiline joining (Filebeat / Logstash semantics): several physical lines become one event.
//!
//! A line is a *continuation* when `pattern` matches it (or does not, with `negate`). With `match = "after"`
//! continuation lines append to the event before them (Java stack traces: `pattern = '^\s+at '`); with
//! `match = "before"` they prepend to the line after them, which ends the event. Joined lines are separated by
//! `\n`; an event stops growing at `max_lines`; a pending event is flushed after `timeout` without new lines.
//! While an event is pending, `pending_start()` holds the checkpoint back to its first line.

use crate::config::{MultilineConfig, MultilineMatch};
use crate::event::flags;
use crate::tail::framer::LineSink;
use regex::bytes::Regex;
use std::time::{Duration, Instant};

/// Joining state of one file.
#[derive(Debug)]
pub struct Multiline {
    pattern: Regex,
    negate: bool,
    match_: MultilineMatch,
    max_lines: usize,
    max_bytes: usize,
    timeout: Duration,
    pending: Vec<u8>,
    pending_offset: u64,
    pending_lines: usize,
    pending_flags: u8,
    last_line_at: Instant,
}

impl Multiline {
    /// Compiles `config`; `max_bytes` caps the joined event (longer events are cut and flagged).
    pub fn new(config: &MultilineConfig, max_bytes: usize) -> Result<Multiline, regex::Error> {
        Ok(Multiline {
            pattern: Regex::new(&config.pattern)?,
            negate: config.negate,
            match_: config.match_,
            max_lines: config.max_lines.max(1),
            max_bytes,
            timeout: config.timeout,
            pending: Vec::new(),
            pending_offset: 0,
            pending_lines: 0,
            pending_flags: 0,
            last_line_at: Instant::now(),
        })
    }

    /// Offset of the pending event's first line, if one is pending.
    pub fn pending_start(&self) -> Option<u64> {
        (self.pending_lines > 0).then_some(self.pending_offset)
    }

    /// Whether a pending event has waited longer than the timeout.
    pub fn timed_out(&self, now: Instant) -> bool {
        self.pending_lines > 0 && now.duration_since(self.last_line_at) >= self.timeout
    }

    /// Takes one framed line.
    pub fn push(&mut self, offset: u64, line: &[u8], line_flags: u8, sink: &mut impl LineSink) {
        self.last_line_at = Instant::now();
        let continuation = self.pattern.is_match(line) != self.negate;
        match self.match_ {
            MultilineMatch::After => {
                if !(continuation && self.pending_lines > 0 && self.pending_lines < self.max_lines)
                {
                    self.flush(sink);
                }
                self.append(offset, line, line_flags);
            }
            MultilineMatch::Before => {
                if self.pending_lines >= self.max_lines {
                    self.flush(sink);
                }
                self.append(offset, line, line_flags);
                if !continuation {
                    self.flush(sink);
                }
            }
        }
    }

    /// Emits the pending event, if any.
    pub fn flush(&mut self, sink: &mut impl LineSink) {
        if self.pending_lines == 0 {
            return;
        }
        let mut event_flags = self.pending_flags;
        if self.pending_lines > 1 {
            event_flags |= flags::MULTILINE;
        }
        sink.line(self.pending_offset, &self.pending, event_flags);
        self.pending.clear();
        self.pending_lines = 0;
        self.pending_flags = 0;
    }

    fn append(&mut self, offset: u64, line: &[u8], line_flags: u8) {
        if self.pending_lines == 0 {
            self.pending_offset = offset;
        } else if self.pending.len() < self.max_bytes {
            self.pending.push(b'\n');
        }
        let room = self.max_bytes.saturating_sub(self.pending.len());
        if line.len() > room {
            self.pending_flags |= flags::TRUNCATED;
        }
        self.pending
            .extend_from_slice(&line[..line.len().min(room)]);
        self.pending_flags |= line_flags;
        self.pending_lines += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(config: MultilineConfig, lines: &[&str]) -> Vec<(u64, String, u8)> {
        let mut ml = Multiline::new(&config, 1 << 20).expect("regex");
        let mut out = Vec::new();
        let mut offset = 0u64;
        for line in lines {
            ml.push(
                offset,
                line.as_bytes(),
                0,
                &mut |o: u64, l: &[u8], f: u8| {
                    out.push((o, String::from_utf8_lossy(l).into_owned(), f))
                },
            );
            offset += line.len() as u64 + 1;
        }
        ml.flush(&mut |o: u64, l: &[u8], f: u8| {
            out.push((o, String::from_utf8_lossy(l).into_owned(), f))
        });
        out
    }

    fn config(pattern: &str, negate: bool, match_: MultilineMatch) -> MultilineConfig {
        MultilineConfig {
            pattern: pattern.into(),
            negate,
            match_,
            max_lines: 500,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn java_stack_trace_is_one_event() {
        let events = join(
            config(r"^\s+at ", false, MultilineMatch::After),
            &[
                "INFO start",
                "ERROR boom java.lang.NullPointerException",
                "    at com.example.A.b(A.java:10)",
                "    at com.example.C.d(C.java:20)",
                "INFO next",
            ],
        );
        assert_eq!(events.len(), 3);
        assert_eq!(events[1].0, 11);
        assert_eq!(
            events[1].1,
            "ERROR boom java.lang.NullPointerException\n    at com.example.A.b(A.java:10)\n    at com.example.C.d(C.java:20)"
        );
        assert_eq!(events[1].2, flags::MULTILINE);
        assert_eq!(events[2].1, "INFO next");
    }

    #[test]
    fn negate_after_joins_lines_without_a_timestamp() {
        let events = join(
            config(r"^\[", true, MultilineMatch::After),
            &["[1] a", "b", "c", "[2] d"],
        );
        assert_eq!(
            events.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
            vec!["[1] a\nb\nc", "[2] d"]
        );
    }

    #[test]
    fn before_prepends_continuations_to_the_next_line() {
        let events = join(
            config(r"\\$", false, MultilineMatch::Before),
            &["a \\", "b \\", "c", "d"],
        );
        assert_eq!(
            events.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(),
            vec!["a \\\nb \\\nc", "d"]
        );
    }

    #[test]
    fn max_lines_caps_an_event() {
        let mut c = config(r"^\s", false, MultilineMatch::After);
        c.max_lines = 2;
        let events = join(c, &["a", " 1", " 2", " 3"]);
        assert_eq!(events.len(), 2);
    }
}
