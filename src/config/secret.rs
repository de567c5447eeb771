//! `Secret`: a password or passphrase read from the configuration, a file or the environment. Its `Debug`
//! prints a placeholder, so a derived `Debug` of any config struct holding one never shows it; the value
//! itself is reached only through `expose`, by the code that hands it to a client library.

use serde::Deserialize;
use std::fmt;

/// A secret string; `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    /// The secret itself, for the client library that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Whether the file at `path` may be read by its group or by everyone (mode bits `0o077`).
pub fn readable_by_others(path: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

/// Logs a warning for each `(key, present)` password written in the config file `path` when that file may
/// be read by others.
pub fn warn_inline_passwords(path: &std::path::Path, inline: &[(&str, bool)]) {
    if !readable_by_others(path) {
        return;
    }
    for (key, _) in inline.iter().filter(|(_, present)| *present) {
        log::warn!(
            "{key} is written in {}, which its group or everyone may read: chmod 600 it, or use a password \
             file or an environment variable",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("hunter2".into());
        assert_eq!(format!("{secret:?}"), "\"<redacted>\"");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(secret.expose(), "hunter2");
    }
}
