//! The path allowlist: which files etcd may ask this host to read.
//!
//! `allow_paths` lives in the local TOML only, so whoever can write etcd cannot widen it. Two checks use it:
//!
//! 1. **Entries** (`permits_entry`, before an etcd entry is applied). A collect glob is allowed only when every
//!    file it can ever match is inside the allowlist. The rule, deliberately conservative:
//!    - the pattern must be absolute and have no `.` / `..` component (nor one as a `{a,b}` alternative);
//!    - a pattern without glob characters (`/var/log/s4.log`) is allowed when an allow glob matches it;
//!    - a pattern equal to an allow glob is allowed;
//!    - otherwise its literal base directory (the components before the first one with a glob character,
//!      `{` included, so every alternative lies under it) must lie at or
//!      under the directory `D` of an allow glob of the form `D/**` (`D` itself without glob characters).
//!      So with `allow_paths = ["/var/log/**"]`, `/var/log/app/*.log` and `/var/log/**/x.log` are allowed,
//!      `/var/*/x.log` and `/etc/passwd` are not. An allow glob like `/var/log/*.log` only admits entries
//!      that are literal paths it matches, or that are that very pattern.
//! 2. **Files** (`permits_opened`, in the file server after every `open`, on what the descriptor resolved
//!    to: `tail::open`). The path as listed and the path the kernel resolved the open file to must both
//!    match an allow glob, and the listed path must not contain `..`. A symlink under `/var/log` pointing
//!    elsewhere is therefore refused unless its target is allowed too, even when it is swapped in between
//!    the listing and the open. The file-server list is `allow_paths` plus the local `[[collect]]` globs (the local
//!    administrator already chose those).
//!
//! Globs follow the rules of `config::path_glob`, the one glob engine: `*` stays within one path
//! component, `**` spans any depth.

use super::path_glob::{GlobError, PathGlob, PathGlobSet};
use std::path::{Component, Path, PathBuf};

/// Why a glob or a file is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowError {
    /// A glob that does not compile (an allow glob, or the entry's own).
    #[error(transparent)]
    Glob(#[from] GlobError),
    /// An entry's glob could match files outside the list.
    #[error("outside allow_paths {patterns:?}")]
    EntryOutside { patterns: Vec<String> },
    /// A listed path with a `..` component.
    #[error("{} contains `..`", path.display())]
    ParentDir { path: PathBuf },
    /// A file whose listed path is outside the list.
    #[error("{} is outside allow_paths {patterns:?}", path.display())]
    FileOutside {
        path: PathBuf,
        patterns: Vec<String>,
    },
    /// A file the kernel resolved to a path outside the list (a symbolic link out of it).
    #[error("{} resolves to {}, which is outside allow_paths {patterns:?}", path.display(), resolved.display())]
    ResolvedOutside {
        path: PathBuf,
        resolved: PathBuf,
        patterns: Vec<String>,
    },
}

/// Compiled allow globs.
#[derive(Debug, Clone)]
pub struct PathAllowlist {
    patterns: Vec<String>,
    set: PathGlobSet,
    /// Directories `D` of allow globs `D/**`.
    trees: Vec<PathBuf>,
}

impl PathAllowlist {
    /// Compiles absolute globs; the error names the bad one.
    pub fn new(patterns: &[String]) -> Result<PathAllowlist, AllowError> {
        let mut trees = Vec::new();
        for pattern in patterns {
            let glob = PathGlob::absolute(pattern)?;
            if let Some(dir) = pattern.strip_suffix("/**") {
                if glob.base_dir() == Path::new(if dir.is_empty() { "/" } else { dir }) {
                    trees.push(glob.base_dir().to_path_buf());
                }
            }
        }
        let set = PathGlobSet::new(patterns)?;
        Ok(PathAllowlist {
            patterns: patterns.to_vec(),
            set,
            trees,
        })
    }

    /// The allow globs as configured.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// This list plus more globs (the local `[[collect]]` paths, for the file server's check).
    pub fn with_extra(&self, extra: &[String]) -> Result<PathAllowlist, AllowError> {
        let mut all = self.patterns.clone();
        all.extend(extra.iter().cloned());
        PathAllowlist::new(&all)
    }

    /// Whether a collect glob may be tailed (rule 1 of the module doc); the error says why not.
    pub fn permits_entry(&self, pattern: &str) -> Result<(), AllowError> {
        let glob = PathGlob::absolute(pattern)?;
        if glob.is_literal() {
            return if self.set.is_match(Path::new(pattern)) {
                Ok(())
            } else {
                Err(self.outside())
            };
        }
        if self.patterns.iter().any(|p| p == pattern) {
            return Ok(());
        }
        if self
            .trees
            .iter()
            .any(|tree| glob.base_dir().starts_with(tree))
        {
            Ok(())
        } else {
            Err(self.outside())
        }
    }

    /// Whether the file server may keep a file it opened as `requested` and the kernel resolved to
    /// `resolved` (rule 2 of the module doc): both must be inside, and `requested` must have no `..`.
    pub fn permits_opened(&self, requested: &Path, resolved: &Path) -> Result<(), AllowError> {
        if requested
            .components()
            .any(|c| matches!(c, Component::ParentDir))
        {
            return Err(AllowError::ParentDir {
                path: requested.to_path_buf(),
            });
        }
        if !self.set.is_match(requested) {
            return Err(AllowError::FileOutside {
                path: requested.to_path_buf(),
                patterns: self.patterns.clone(),
            });
        }
        if !self.set.is_match(resolved) {
            return Err(AllowError::ResolvedOutside {
                path: requested.to_path_buf(),
                resolved: resolved.to_path_buf(),
                patterns: self.patterns.clone(),
            });
        }
        Ok(())
    }

    fn outside(&self) -> AllowError {
        AllowError::EntryOutside {
            patterns: self.patterns.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(p: &[&str]) -> PathAllowlist {
        PathAllowlist::new(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).expect("compiles")
    }

    #[test]
    fn entries_inside_a_tree_are_allowed() {
        let allow = list(&["/var/log/**"]);
        for ok in [
            "/var/log/s4.log",
            "/var/log/app/*.log",
            "/var/log/**/x.log",
            "/var/log/a?/[ab].log",
            "/var/log/{a,b}.log",
            "/var/log/{app,web}/*.log",
        ] {
            assert_eq!(allow.permits_entry(ok), Ok(()), "{ok}");
        }
        for bad in [
            "/etc/passwd",
            "/var/*/x.log",
            "/var/log/../../etc/passwd",
            "/var/log/./x.log",
            "/var/log/{a,../../etc}/x",
            "/var/{log,etc}/x",
            "/var/logs/x.log",
            "/var/**",
            "relative/x.log",
        ] {
            assert!(allow.permits_entry(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn narrow_allow_globs_admit_only_what_they_match() {
        let allow = list(&["/var/log/*.log"]);
        assert_eq!(allow.permits_entry("/var/log/a.log"), Ok(()));
        assert_eq!(allow.permits_entry("/var/log/*.log"), Ok(()));
        assert!(allow.permits_entry("/var/log/a/b.log").is_err());
        assert!(allow.permits_entry("/var/log/a*").is_err());
    }

    #[test]
    fn opened_files_are_judged_by_what_they_resolved_to() {
        let allow = list(&["/var/log/**"]);
        let inside = Path::new("/var/log/a.log");
        assert_eq!(allow.permits_opened(inside, inside), Ok(()));
        assert!(allow
            .permits_opened(inside, Path::new("/etc/shadow"))
            .unwrap_err()
            .to_string()
            .contains("resolves to /etc/shadow"));
        assert!(allow
            .permits_opened(Path::new("/etc/x.log"), Path::new("/etc/x.log"))
            .is_err());
        assert!(allow
            .permits_opened(Path::new("/var/log/../x"), Path::new("/var/x"))
            .unwrap_err()
            .to_string()
            .contains(".."));
    }
}
