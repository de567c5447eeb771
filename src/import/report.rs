//! What an import could not carry over, and what it decided on the user's behalf: `IMPORT.md`.

use std::fmt::Write;

/// One thing the import could not map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    pub file: String,
    pub line: usize,
    /// The plugin or option, as written (`filter ruby`, `file.close_older`).
    pub what: String,
    pub why: String,
}

/// The import's findings.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub unmapped: Vec<Unmapped>,
    /// Decisions worth knowing (`start_position` default, where the password went…).
    pub notes: Vec<String>,
    /// The files written, with what they are for.
    pub written: Vec<(String, String)>,
}

impl Report {
    pub fn unmapped(
        &mut self,
        file: &str,
        line: usize,
        what: impl Into<String>,
        why: impl Into<String>,
    ) {
        self.unmapped.push(Unmapped {
            file: file.to_string(),
            line,
            what: what.into(),
            why: why.into(),
        });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// `IMPORT.md`.
    pub fn markdown(&self, tool: &str) -> String {
        let mut out = format!("# Imported from {tool}\n\n");
        if self.written.is_empty() {
            out.push_str("No logpipe configuration was written.\n\n");
        } else {
            out.push_str("Written:\n\n");
            for (file, what) in &self.written {
                let _ = writeln!(out, "- `{file}`: {what}");
            }
            out.push('\n');
        }
        if self.unmapped.is_empty() {
            out.push_str("Everything was carried over.\n\n");
        } else {
            let _ = writeln!(
                out,
                "## Not carried over ({})\n\nThese have no logpipe equivalent, or none this import knows; the \
                 written configuration runs without them.\n",
                self.unmapped.len()
            );
            for u in &self.unmapped {
                // Line 0: a YAML file, whose key path (in `what`) locates it.
                let place = if u.line == 0 {
                    u.file.clone()
                } else {
                    format!("{}:{}", u.file, u.line)
                };
                let _ = writeln!(out, "- `{place}` {}: {}", u.what, u.why);
            }
            out.push('\n');
        }
        if !self.notes.is_empty() {
            out.push_str("## Decisions\n\n");
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}
