//! The one regular-expression engine of the crate: Oniguruma with Ruby syntax, the dialect Logstash's grok,
//! conditions (`=~`) and `mutate.gsub` are written in (Logstash runs Joni, Oniguruma's Java port). It has the
//! atomic groups and lookbehind the standard grok patterns use; `benches/filters.rs` has the measurement that
//! chose it over fancy-regex.

use onig::{RegexOptions, SearchOptions, Syntax};
use std::fmt;
use std::sync::Arc;

/// A regular expression Oniguruma refuses; says why in Oniguruma's words.
#[derive(Debug, thiserror::Error)]
#[error("{}", source.description())]
pub struct RegexError {
    pub pattern: String,
    pub source: onig::Error,
}

/// A compiled regular expression that remembers its source.
#[derive(Clone)]
pub struct Regex {
    source: String,
    inner: Arc<onig::Regex>,
}

impl Regex {
    /// Compiles `source`; the error is Oniguruma's description.
    pub fn new(source: &str) -> Result<Regex, RegexError> {
        Regex::with_options(source, RegexOptions::REGEX_OPTION_NONE)
    }

    /// Compiles `source` with Ruby's MULTILINE option, under which `.` matches a newline too. grok compiles
    /// its patterns so, as Logstash's grok library does (`Regexp.new(pattern, Regexp::MULTILINE)`): a
    /// `%{GREEDYDATA}` at the end of a pattern takes a whole multiline event (a Java stack trace).
    pub fn new_dot_matches_newline(source: &str) -> Result<Regex, RegexError> {
        Regex::with_options(source, RegexOptions::REGEX_OPTION_MULTILINE)
    }

    fn with_options(source: &str, options: RegexOptions) -> Result<Regex, RegexError> {
        let inner =
            onig::Regex::with_options(source, options, Syntax::ruby()).map_err(|e| RegexError {
                pattern: source.to_string(),
                source: e,
            })?;
        Ok(Regex {
            source: source.to_string(),
            inner: Arc::new(inner),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the expression matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.inner
            .search_with_options(text, 0, text.len(), SearchOptions::SEARCH_OPTION_NONE, None)
            .is_some()
    }

    /// The engine's regex, for captures.
    pub(crate) fn engine(&self) -> &onig::Regex {
        &self.inner
    }

    /// Replaces every match; in `replacement`, `\N` and `\k<name>` insert groups and `\\` a backslash (Ruby's
    /// `gsub`).
    pub fn replace_all(&self, text: &str, replacement: &str) -> String {
        if !replacement.contains('\\') {
            return self.inner.replace_all(text, replacement);
        }
        self.inner.replace_all(text, |caps: &onig::Captures| {
            let mut out = String::new();
            let mut chars = replacement.chars().peekable();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                match chars.peek().copied() {
                    Some(d) if d.is_ascii_digit() => {
                        chars.next();
                        let index = d.to_digit(10).unwrap_or(0) as usize;
                        out.push_str(caps.at(index).unwrap_or(""));
                    }
                    Some('k') => {
                        chars.next();
                        if chars.peek() == Some(&'<') {
                            chars.next();
                            let name: String = chars.by_ref().take_while(|&n| n != '>').collect();
                            out.push_str(named_group(self, caps, &name).unwrap_or(""));
                        } else {
                            out.push_str("\\k");
                        }
                    }
                    Some('\\') => {
                        chars.next();
                        out.push('\\');
                    }
                    _ => out.push('\\'),
                }
            }
            out
        })
    }
}

fn named_group<'t>(regex: &Regex, caps: &onig::Captures<'t>, name: &str) -> Option<&'t str> {
    let mut found = None;
    regex.inner.foreach_name(|group, indices| {
        if group == name {
            found = indices.iter().rev().find_map(|&i| caps.at(i as usize));
            return false;
        }
        true
    });
    found
}

impl PartialEq for Regex {
    fn eq(&self, other: &Regex) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_and_replaces_like_ruby() {
        let re = Regex::new(r"(?<word>\w+)@(\w+)").expect("compiles");
        assert!(re.is_match("mail: a@b!"));
        assert!(!re.is_match("nothing here"));
        // As in Ruby, plain groups do not capture once a pattern has named ones.
        assert_eq!(re.replace_all("x a@b y", r"\k<word> at \2"), "x a at  y");
        let numbered = Regex::new(r"(\w+)@(\w+)").expect("compiles");
        assert_eq!(
            numbered.replace_all("x a@b y", r"\2 at \1\\"),
            "x b at a\\ y"
        );
        let plain = Regex::new("/").expect("compiles");
        assert_eq!(plain.replace_all("a/b/c", "_"), "a_b_c");
        assert!(Regex::new("(?<![0-9])(?>a+)").is_ok());
        let err = Regex::new("(unclosed").expect_err("refused");
        assert_eq!(err.pattern, "(unclosed");
        assert!(
            err.to_string()
                .contains("end pattern with unmatched parenthesis"),
            "{err}"
        );
    }
}
