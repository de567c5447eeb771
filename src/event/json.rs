//! The `json` codec: one ECS JSON object per event, written by hand into a reused buffer.
//!
//! Shape (nested, as Filebeat ships it):
//! `{"@timestamp":"…","message":"…","host":{"name":"…"},"log":{"file":{"path":"…"},"offset":N[,"flags":[…]]
//! [,"original_base64":"…"]},"event":{"id":"…"}[,"tags":["invalid_utf8"]][,"fields":{…}]}`.
//! Everything that is the same for every line of a file is rendered once into a `JsonTemplate`. Invalid UTF-8
//! is shipped lossless: `message` carries the lossy text and `log.original_base64` the exact bytes, and the
//! event is tagged `invalid_utf8`.

use super::flags;
use super::id::{EventId, FileUid};
use base64::Engine;
use std::collections::BTreeMap;

/// The per-file parts of every event, pre-rendered.
#[derive(Debug, Clone)]
pub struct JsonTemplate {
    /// `","host":{"name":"H"},"log":{"file":{"path":"P"},"offset":`
    after_message: Vec<u8>,
    /// `,"fields":{…}}` or `}`.
    closing: Vec<u8>,
}

impl JsonTemplate {
    /// Renders the constant parts for events of `path` on `host` with static `fields`.
    pub fn new(
        host: &str,
        path: &str,
        fields: &BTreeMap<String, serde_json::Value>,
    ) -> JsonTemplate {
        let mut after_message = Vec::with_capacity(64 + host.len() + path.len());
        after_message.extend_from_slice(b"\",\"host\":{\"name\":\"");
        escape_str(host, &mut after_message);
        after_message.extend_from_slice(b"\"},\"log\":{\"file\":{\"path\":\"");
        escape_str(path, &mut after_message);
        after_message.extend_from_slice(b"\"},\"offset\":");
        let mut closing = Vec::new();
        if !fields.is_empty() {
            closing.extend_from_slice(b",\"fields\":");
            // A map of JSON values always serializes.
            closing.extend_from_slice(serde_json::to_string(fields).unwrap_or_default().as_bytes());
        }
        closing.push(b'}');
        JsonTemplate {
            after_message,
            closing,
        }
    }
}

/// Appends the event for `line` (read at `timestamp`, at `offset` of file `uid`) to `out`.
#[inline]
pub fn encode(
    template: &JsonTemplate,
    timestamp: &str,
    uid: FileUid,
    offset: u64,
    line: &[u8],
    line_flags: u8,
    out: &mut Vec<u8>,
) {
    out.reserve(line.len() + template.after_message.len() + template.closing.len() + 128);
    out.extend_from_slice(b"{\"@timestamp\":\"");
    out.extend_from_slice(timestamp.as_bytes());
    out.extend_from_slice(b"\",\"message\":\"");
    let message_at = out.len();
    // Most lines are ASCII, which needs no UTF-8 validation; the rest is validated after the ASCII prefix
    // (which ends on a character boundary).
    let ascii = escape_ascii_prefix(line, out);
    let valid = ascii == line.len()
        || match std::str::from_utf8(&line[ascii..]) {
            Ok(rest) => {
                escape_str(rest, out);
                true
            }
            Err(_) => {
                out.truncate(message_at);
                escape_str(&String::from_utf8_lossy(line), out);
                false
            }
        };
    out.extend_from_slice(&template.after_message);
    let mut digits = itoa_buf();
    out.extend_from_slice(format_u64(offset, &mut digits));
    if line_flags != 0 {
        out.extend_from_slice(b",\"flags\":[");
        for (i, name) in flags::names(line_flags).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.push(b'"');
        }
        out.push(b']');
    }
    if !valid {
        out.extend_from_slice(b",\"original_base64\":\"");
        out.extend_from_slice(
            base64::engine::general_purpose::STANDARD
                .encode(line)
                .as_bytes(),
        );
        out.push(b'"');
    }
    out.extend_from_slice(b"},\"event\":{\"id\":\"");
    out.extend_from_slice(EventId::new(uid, offset).as_bytes());
    out.extend_from_slice(b"\"}");
    if !valid {
        out.extend_from_slice(b",\"tags\":[\"invalid_utf8\"]");
    }
    out.extend_from_slice(&template.closing);
}

fn itoa_buf() -> [u8; 20] {
    [0u8; 20]
}

/// Writes `value` in decimal at the end of `buf`; returns the digits (no allocation).
#[inline]
pub fn format_u64(mut value: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    &buf[pos..]
}

/// Which bytes need escaping inside a JSON string: 0 = none, otherwise the escape's second character
/// (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Appends `text` JSON-escaped (without quotes) to `out`.
#[inline]
pub fn escape_str(text: &str, out: &mut Vec<u8>) {
    escape_run::<false>(text.as_bytes(), out);
}

/// Appends the longest ASCII prefix of `bytes` JSON-escaped (without quotes) to `out`; returns its length:
/// the index of the first byte ≥ 0x80, or `bytes.len()`. ASCII is valid UTF-8, so a line that is ASCII
/// needs no separate UTF-8 validation.
#[inline]
pub fn escape_ascii_prefix(bytes: &[u8], out: &mut Vec<u8>) -> usize {
    escape_run::<true>(bytes, out)
}

/// The one escaping loop. Log lines rarely hold a byte to escape, so `bytes` is scanned 16 at a time
/// (`special_bytes`) and only a byte that block marks is looked at alone. With `STOP_AT_NON_ASCII`, it
/// stops before the first byte ≥ 0x80 and returns its index; otherwise such bytes (of valid UTF-8) are
/// copied as they are. (An eight-byte word test before this ran at about 1.7 GB/s in the agent; the plain
/// byte loop before that ran 50 % slower still, `benches/raw_codec.rs` codec/json.)
#[inline(always)]
fn escape_run<const STOP_AT_NON_ASCII: bool>(bytes: &[u8], out: &mut Vec<u8>) -> usize {
    // `bytes[start..i]` is scanned and needs no escape, but is not copied yet.
    let (mut start, mut i) = (0, 0);
    loop {
        while let Some(block) = bytes.get(i..i + BLOCK) {
            let special = special_bytes::<STOP_AT_NON_ASCII>(block);
            if special == 0 {
                i += BLOCK;
            } else {
                i += special.trailing_zeros() as usize;
                break;
            }
        }
        let Some(&byte) = bytes.get(i) else {
            out.extend_from_slice(&bytes[start..]);
            return bytes.len();
        };
        if STOP_AT_NON_ASCII && byte >= 0x80 {
            out.extend_from_slice(&bytes[start..i]);
            return i;
        }
        let escape = ESCAPE[byte as usize];
        if escape != 0 {
            out.extend_from_slice(&bytes[start..i]);
            push_escape(byte, escape, out);
            start = i + 1;
        }
        i += 1;
    }
}

/// Bytes per block of `special_bytes`.
const BLOCK: usize = 16;

/// One bit per byte of a 16-byte `block` (bit n for byte n) that needs a look: a control character (below
/// 0x20), `"`, `\`, and with `NON_ASCII` a byte ≥ 0x80. SSE2 is part of every x86_64 CPU.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn special_bytes<const NON_ASCII: bool>(block: &[u8]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    assert!(block.len() >= BLOCK);
    // SAFETY: SSE2 is in the x86_64 baseline; the unaligned load reads the first 16 bytes of `block`,
    // which it has (asserted above).
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        let unit_separator = _mm_set1_epi8(0x1f);
        // max(v, 0x1f) == 0x1f exactly when v <= 0x1f (unsigned).
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, unit_separator), unit_separator);
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        let mut marked = _mm_or_si128(control, _mm_or_si128(quote, backslash));
        if NON_ASCII {
            // The top bit of a byte ≥ 0x80 is what movemask takes.
            marked = _mm_or_si128(marked, v);
        }
        _mm_movemask_epi8(marked) as u32
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn special_bytes<const NON_ASCII: bool>(block: &[u8]) -> u32 {
    block[..BLOCK]
        .iter()
        .enumerate()
        .filter(|(_, &b)| ESCAPE[b as usize] != 0 || (NON_ASCII && b >= 0x80))
        .fold(0, |mask, (n, _)| mask | 1 << n)
}

/// Writes the escape of `byte` (`escape` is its `ESCAPE` entry).
#[inline]
fn push_escape(byte: u8, escape: u8, out: &mut Vec<u8>) {
    if escape == b'u' {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[(byte >> 4) as usize],
            HEX[(byte & 0xf) as usize],
        ]);
    } else {
        out.extend_from_slice(&[b'\\', escape]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Escaped as serde_json escapes a string, for any text and any position of the bytes to escape.
        #[test]
        fn escapes_as_serde_json(text in "(\\PC|[\\x00-\\x1f\"\\\\\\x7f])*") {
            let mut out = Vec::new();
            escape_str(&text, &mut out);
            let quoted = serde_json::to_string(&text).unwrap_or_default();
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out), &quoted[1..quoted.len() - 1]);
        }
    }

    #[test]
    fn the_block_test_marks_exactly_the_bytes_to_look_at() {
        for byte in 0..=255u8 {
            for at in 0..BLOCK {
                let mut block = [b'a'; BLOCK];
                block[at] = byte;
                let escape = u32::from(ESCAPE[byte as usize] != 0) << at;
                let non_ascii = u32::from(byte >= 0x80) << at;
                assert_eq!(
                    special_bytes::<false>(&block),
                    escape,
                    "byte {byte:#04x} at {at}"
                );
                assert_eq!(
                    special_bytes::<true>(&block),
                    escape | non_ascii,
                    "byte {byte:#04x} at {at}, stopping at non-ASCII"
                );
            }
        }
    }

    proptest::proptest! {
        /// The ASCII prefix is escaped as serde_json escapes it, and ends at the first byte ≥ 0x80.
        #[test]
        fn the_ascii_prefix_is_escaped_up_to_the_first_non_ascii_byte(
            bytes in proptest::collection::vec(proptest::prop_oneof![
                8 => 0x20u8..0x7f, 1 => 0u8..0x20, 1 => proptest::strategy::Just(b'"'), 1 => 0x80u8..=0xff
            ], 0..80)
        ) {
            let mut out = b"kept".to_vec();
            let consumed = escape_ascii_prefix(&bytes, &mut out);
            let first_non_ascii = bytes.iter().position(|&b| b >= 0x80).unwrap_or(bytes.len());
            proptest::prop_assert_eq!(consumed, first_non_ascii);
            let prefix = std::str::from_utf8(&bytes[..consumed]).unwrap_or_default();
            let quoted = serde_json::to_string(prefix).unwrap_or_default();
            proptest::prop_assert_eq!(&out[..4], b"kept");
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out[4..]), &quoted[1..quoted.len() - 1]);
        }
    }

    #[test]
    fn decimal_digits() {
        let mut buf = itoa_buf();
        assert_eq!(format_u64(0, &mut buf), b"0");
        assert_eq!(format_u64(1_234_567, &mut buf), b"1234567");
        assert_eq!(format_u64(u64::MAX, &mut buf), b"18446744073709551615");
    }
    use serde_json::Value;

    fn encode_one(line: &[u8], line_flags: u8, fields: BTreeMap<String, Value>) -> Value {
        let template = JsonTemplate::new("host-1", "/var/log/a \"b\".log", &fields);
        let mut out = Vec::new();
        encode(
            &template,
            "2026-11-22T04:51:21.123Z",
            FileUid::new("host-1", 1, 2, 3, 4),
            42,
            line,
            line_flags,
            &mut out,
        );
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn ecs_fields_are_present() {
        let event = encode_one(b"hello \"world\"\t\x01 <script>", 0, BTreeMap::new());
        assert_eq!(event["@timestamp"], "2026-11-22T04:51:21.123Z");
        assert_eq!(event["message"], "hello \"world\"\t\u{1} <script>");
        assert_eq!(event["host"]["name"], "host-1");
        assert_eq!(event["log"]["file"]["path"], "/var/log/a \"b\".log");
        assert_eq!(event["log"]["offset"], 42);
        assert_eq!(
            event["event"]["id"],
            super::super::id::event_id(FileUid::new("host-1", 1, 2, 3, 4), 42)
        );
        assert!(event.get("fields").is_none());
        assert!(event.get("tags").is_none());
    }

    #[test]
    fn invalid_utf8_is_lossless_and_tagged() {
        let line = b"bad \xff\xfe bytes";
        let event = encode_one(line, 0, BTreeMap::new());
        assert_eq!(event["tags"][0], "invalid_utf8");
        let original = event["log"]["original_base64"]
            .as_str()
            .expect("base64 present");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(original)
            .expect("decodes");
        assert_eq!(decoded, line);
    }

    proptest::proptest! {
        /// Any bytes: the message is the line's text (lossy when it is not UTF-8, then tagged), whatever
        /// mix of ASCII, other UTF-8 and invalid bytes, and wherever they sit.
        #[test]
        fn any_line_round_trips_as_its_text(
            line in proptest::collection::vec(proptest::prop_oneof![
                6 => 0x20u8..0x7f, 1 => 0u8..0x20, 1 => proptest::strategy::Just(b'\\'), 2 => 0x80u8..=0xff
            ], 0..70),
            text in "\\PC{0,20}",
        ) {
            for line in [line, text.clone().into_bytes(), [b"plain ascii prefix ".as_slice(), text.as_bytes()].concat()] {
                let event = encode_one(&line, 0, BTreeMap::new());
                let valid = std::str::from_utf8(&line).is_ok();
                let expected = String::from_utf8_lossy(&line).into_owned();
                proptest::prop_assert_eq!(event["message"].as_str(), Some(expected.as_str()));
                proptest::prop_assert_eq!(event.get("tags").is_some(), !valid);
            }
        }
    }

    #[test]
    fn flags_and_fields() {
        let mut fields = BTreeMap::new();
        fields.insert("env".to_string(), Value::from("prod"));
        let event = encode_one(b"x", flags::TRUNCATED | flags::MULTILINE, fields);
        assert_eq!(
            event["log"]["flags"],
            serde_json::json!(["truncated", "multiline"])
        );
        assert_eq!(event["fields"]["env"], "prod");
    }
}
