//! Which files a collect entry means: glob expansion, excludes, and the directories worth watching.

use crate::config::CollectEntry;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::path::{Path, PathBuf};

/// A compiled collect entry's file selection.
#[derive(Debug)]
pub struct FileMatcher {
    pattern: String,
    exclude: GlobSet,
    base_dir: PathBuf,
}

impl FileMatcher {
    /// Compiles the entry's `path` and `exclude` globs (validated before, so errors are unexpected but named).
    pub fn new(entry: &CollectEntry) -> Result<FileMatcher, String> {
        let mut builder = GlobSetBuilder::new();
        for pattern in &entry.exclude {
            builder.add(Glob::new(pattern).map_err(|e| format!("exclude `{pattern}`: {e}"))?);
        }
        let exclude = builder.build().map_err(|e| format!("exclude: {e}"))?;
        Ok(FileMatcher {
            pattern: entry.path.clone(),
            exclude,
            base_dir: base_dir(&entry.path),
        })
    }

    /// The deepest directory without glob characters: watched so new matches are seen at once.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// Regular files matching now, excludes removed.
    pub fn scan(&self) -> Vec<PathBuf> {
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: false,
        };
        let Ok(paths) = glob::glob_with(&self.pattern, options) else {
            return Vec::new();
        };
        paths
            .filter_map(Result::ok)
            .filter(|p| !self.exclude.is_match(p))
            .filter(|p| std::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false))
            .collect()
    }
}

/// The longest leading run of path components without `* ? [ {`.
pub fn base_dir(pattern: &str) -> PathBuf {
    let mut base = PathBuf::from("/");
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        if part.contains(['*', '?', '[', '{']) || i + 1 == parts.len() {
            break;
        }
        base.push(part);
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_dir_stops_at_the_first_glob() {
        assert_eq!(
            base_dir("/var/log/app/*.log"),
            PathBuf::from("/var/log/app")
        );
        assert_eq!(base_dir("/var/log/*/x.log"), PathBuf::from("/var/log"));
        assert_eq!(base_dir("/var/log/s4.log"), PathBuf::from("/var/log"));
    }

    #[test]
    fn scan_applies_excludes() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["a.log", "b.log", "debug.log", "c.txt"] {
            std::fs::write(dir.path().join(name), b"x\n").expect("write");
        }
        let mut entry = CollectEntry::for_path(&format!("{}/*.log", dir.path().display()));
        entry.exclude = vec!["**/debug.log".into()];
        let mut found = FileMatcher::new(&entry).expect("compiles").scan();
        found.sort();
        let names: Vec<_> = found
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["a.log", "b.log"]);
    }
}
