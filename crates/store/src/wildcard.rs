//! Elasticsearch wildcard expressions: index patterns (`app-*`, in paths and `_msearch` headers) and field
//! patterns (`host.*` in `_source` filters and `highlight`).
//!
//! Only `*` is special: it matches any run of characters, dots and dashes included. Every other character
//! matches itself, so `?`, `[..]` and `{a,b}` are literal, as in Elasticsearch's simple match. This is the
//! one definition the store matches names against patterns with; it allocates nothing.

/// Whether `expression` is a pattern (holds a `*`) rather than a name.
pub fn is_pattern(expression: &str) -> bool {
    expression.contains('*')
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (also none) and every other
/// character matches itself.
pub fn matches(pattern: &str, text: &str) -> bool {
    let Some((first, after_first)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(rest) = text.strip_prefix(first) else {
        return false;
    };
    // The part after the last star must end the text; the parts between stars are found left to right,
    // each as early as possible (with only `*` special, the earliest match never loses a later one).
    let (middle, last) = after_first.rsplit_once('*').unwrap_or(("", after_first));
    let Some(mut rest) = rest.strip_suffix(last) else {
        return false;
    };
    for part in middle.split('*').filter(|p| !p.is_empty()) {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_star_is_special() {
        // (pattern, text, matches)
        let cases = [
            ("host.*", "host.name", true),
            ("host.*", "host.", true),
            ("host.*", "hostname", false),
            ("*", "", true),
            ("*", "x", true),
            ("**", "x", true),
            ("app-*", "app-2026.11.22", true),
            ("app-*-x", "app-1-x", true),
            ("app-*-x", "app-x", false),
            ("*-x", "x", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "acb", false),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("log.*.path", "log.file.path", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            // Glob syntax of other tools is literal.
            ("app-?", "app-1", false),
            ("app-?", "app-?", true),
            ("app-[12]", "app-1", false),
            ("app-[12]", "app-[12]", true),
            ("{a,b}*", "a", false),
            ("{a,b}*", "{a,b}-1", true),
            ("é*", "école", true),
            ("é*", "ecole", false),
            ("*é", "café", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(matches(pattern, text), expected, "{pattern:?} on {text:?}");
        }
        assert!(is_pattern("app-*"));
        assert!(!is_pattern("app-?"));
    }

    /// Against globset with every metacharacter but `*` escaped, for every pattern and text of up to four
    /// characters over an alphabet holding the metacharacters.
    #[test]
    fn agrees_with_globset_on_escaped_patterns() {
        let alphabet = ['a', 'b', '*', '?', '[', '.'];
        let words = |max: usize| {
            let mut all = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..max {
                last = last
                    .iter()
                    .flat_map(|w| {
                        alphabet.iter().map(move |c| {
                            let mut w = w.clone();
                            w.push(*c);
                            w
                        })
                    })
                    .collect();
                all.extend(last.iter().cloned());
            }
            all
        };
        let texts: Vec<String> = words(4).into_iter().filter(|w| !w.contains('*')).collect();
        for pattern in words(4) {
            let escaped: Vec<String> = pattern.split('*').map(globset::escape).collect();
            let glob = globset::GlobBuilder::new(&escaped.join("*"))
                .literal_separator(false)
                .build()
                .map(|g| g.compile_matcher());
            let Ok(glob) = glob else {
                panic!("globset refused the escaped {pattern:?}");
            };
            for text in &texts {
                assert_eq!(
                    matches(&pattern, text),
                    glob.is_match(text.as_str()),
                    "{pattern:?} on {text:?}"
                );
            }
        }
    }
}
