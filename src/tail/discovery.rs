//! Which files a collect entry means: its path glob, its excludes, and the directory worth watching, all
//! with the rules of `config::path_glob` (the one glob engine).

use crate::config::path_glob::{GlobError, PathGlob, PathGlobSet};
use crate::config::CollectEntry;
use std::path::{Path, PathBuf};

/// Why an entry's globs do not compile (its `validate` catches this before; named anyway).
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("path: {0}")]
    Path(GlobError),
    #[error("exclude: {0}")]
    Exclude(GlobError),
}

/// A compiled collect entry's file selection.
#[derive(Debug)]
pub struct FileMatcher {
    path: PathGlob,
    exclude: PathGlobSet,
    follow_symlinks: bool,
}

impl FileMatcher {
    /// Compiles the entry's `path` and `exclude` globs.
    pub fn new(entry: &CollectEntry) -> Result<FileMatcher, MatcherError> {
        Ok(FileMatcher {
            path: PathGlob::absolute(&entry.path).map_err(MatcherError::Path)?,
            exclude: PathGlobSet::new(&entry.exclude).map_err(MatcherError::Exclude)?,
            follow_symlinks: entry.follow_symlinks,
        })
    }

    /// The deepest directory without glob characters: watched so new matches are seen at once.
    pub fn base_dir(&self) -> &Path {
        self.path.base_dir()
    }

    /// Whether `path` is one of this entry's files (by name: its glob matches, no exclude does).
    pub fn matches(&self, path: &Path) -> bool {
        self.path.is_match(path) && !self.exclude.is_match(path)
    }

    /// Regular files matching now, excludes removed (symbolic links only when the entry follows them).
    pub fn scan(&self) -> Vec<PathBuf> {
        let mut files = self.path.list_files(self.follow_symlinks);
        files.retain(|p| !self.exclude.is_match(p));
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    /// Bug: `path = "/var/log/{a,b}.log"` passed validation but tailed nothing (the listing used another
    /// glob crate, without alternatives).
    #[test]
    fn brace_alternatives_are_tailed() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in ["a.log", "b.log", "c.log"] {
            std::fs::write(dir.path().join(name), b"x\n").expect("write");
        }
        let entry = CollectEntry::for_path(&format!("{}/{{a,b}}.log", dir.path().display()));
        entry.validate("collect[0]", false).expect("valid");
        let mut found = FileMatcher::new(&entry).expect("compiles").scan();
        found.sort();
        assert_eq!(
            found,
            vec![dir.path().join("a.log"), dir.path().join("b.log")]
        );
    }

    /// Excludes follow the same rules as paths: `*` stays within one component.
    #[test]
    fn excludes_use_the_path_rules() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("debug")).expect("mkdir");
        for name in ["debug/x.log", "debug.log", "y.log"] {
            std::fs::write(dir.path().join(name), b"x\n").expect("write");
        }
        let mut entry = CollectEntry::for_path(&format!("{}/**/*.log", dir.path().display()));
        entry.exclude = vec![format!("{}/debug*", dir.path().display())];
        let mut found = FileMatcher::new(&entry).expect("compiles").scan();
        found.sort();
        assert_eq!(
            found,
            vec![dir.path().join("debug/x.log"), dir.path().join("y.log")]
        );
    }
}
