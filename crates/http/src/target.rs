//! Decoding a request target: path segments (strict percent-decoding) and the query string
//! (`application/x-www-form-urlencoded`, decoded by the `form_urlencoded` crate).

use percent_encoding::percent_decode_str;

/// Why a request path cannot be decoded (the layer answers 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A `%` not followed by two hexadecimal digits (`%zz`, `%+1`, a trailing `%`).
    #[error("path segment [{segment}] holds a `%` not followed by two hexadecimal digits")]
    BadEscape {
        /// The raw segment.
        segment: String,
    },
    /// The decoded bytes are not UTF-8.
    #[error("path segment [{segment}] does not decode to UTF-8")]
    NotUtf8 {
        /// The raw segment.
        segment: String,
    },
}

/// Splits `path` on `/` (empty segments dropped, so `//a/` is `["a"]`) and percent-decodes each segment.
/// Strict: every `%` must start a two-hex-digit escape, and the result must be UTF-8. An encoded slash
/// (`%2F`) stays inside its segment.
pub fn decode_segments(path: &str) -> Result<Vec<String>, PathError> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(decode_segment)
        .collect()
}

fn decode_segment(segment: &str) -> Result<String, PathError> {
    let bytes = segment.as_bytes();
    for (i, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'%') {
        let escape_ok = bytes
            .get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
        if !escape_ok {
            return Err(PathError::BadEscape {
                segment: segment.to_string(),
            });
        }
    }
    percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| PathError::NotUtf8 {
            segment: segment.to_string(),
        })
}

/// The decoded query string: `name=value` pairs in their order, `+` read as a space. Decoding is lenient
/// as browsers' is (the `form_urlencoded` rules): a stray `%` stays as it is and invalid UTF-8 becomes
/// U+FFFD.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a raw query string (what follows `?`, without it).
    pub fn parse(raw: &str) -> Query {
        Query {
            pairs: form_urlencoded::parse(raw.as_bytes())
                .into_owned()
                .collect(),
        }
    }

    /// The value of the first pair named `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the pairs named `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a pair named `name` is present (even with an empty value).
    pub fn contains(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// All pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there is no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_decode_strictly() {
        assert_eq!(
            decode_segments("/app-%2A/_doc/a%2Fb").as_deref(),
            Ok(&["app-*".to_string(), "_doc".into(), "a/b".into()][..])
        );
        assert_eq!(
            decode_segments("//a//").as_deref(),
            Ok(&["a".to_string()][..])
        );
        assert_eq!(decode_segments("/").as_deref(), Ok(&[][..]));
        assert_eq!(
            decode_segments("/caf%C3%A9").as_deref(),
            Ok(&["café".to_string()][..])
        );
        // A plus in a path is a plus.
        assert_eq!(
            decode_segments("/a+b").as_deref(),
            Ok(&["a+b".to_string()][..])
        );
        for bad in ["/%zz", "/%+1", "/a%", "/a%2", "/%%41"] {
            assert!(
                matches!(decode_segments(bad), Err(PathError::BadEscape { .. })),
                "{bad}"
            );
        }
        for bad in ["/%ff", "/%C3", "/%C3%28"] {
            assert!(
                matches!(decode_segments(bad), Err(PathError::NotUtf8 { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn query_decodes_as_a_form() {
        let q = Query::parse("q=a+b&index=logs-%2A&flag&x=1&x=2&e=");
        assert_eq!(q.get("q"), Some("a b"));
        assert_eq!(q.get("index"), Some("logs-*"));
        assert_eq!(q.get("flag"), Some(""));
        assert!(q.contains("flag"));
        assert_eq!(q.get("e"), Some(""));
        assert_eq!(q.get_all("x").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(q.get("missing"), None);
        assert_eq!(q.len(), 6);
        assert!(Query::parse("").is_empty());
        // Lenient: a stray percent stays; `%+1` is not byte 1 (the plus is a space, as in any form).
        let q = Query::parse("a=%zz&b=%+1");
        assert_eq!(q.get("a"), Some("%zz"));
        assert_eq!(q.get("b"), Some("% 1"));
    }
}
