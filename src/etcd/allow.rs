//! The path allowlist: which files etcd may ask this host to read.
//!
//! `allow_paths` lives in the local TOML only, so whoever can write etcd cannot widen it. Two checks use it:
//!
//! 1. **Entries** (`permits_entry`, before an etcd entry is applied). A collect glob is allowed only when every
//!    file it can ever match is inside the allowlist. The rule, deliberately conservative:
//!    - the pattern must be absolute and have no `.` / `..` component and no `{a,b}` alternation;
//!    - a pattern without glob characters (`/var/log/s4.log`) is allowed when an allow glob matches it;
//!    - a pattern equal to an allow glob is allowed;
//!    - otherwise its literal base directory (the components before the first one with `* ? [`) must lie at or
//!      under the directory `D` of an allow glob of the form `D/**` (`D` itself without glob characters).
//!      So with `allow_paths = ["/var/log/**"]`, `/var/log/app/*.log` and `/var/log/**/x.log` are allowed,
//!      `/var/*/x.log` and `/etc/passwd` are not. An allow glob like `/var/log/*.log` only admits entries
//!      that are literal paths it matches, or that are that very pattern.
//! 2. **Files** (`permits_file`, in the file server before any `open`, defence in depth). The path as found
//!    and its canonical form (symlinks resolved) must both match an allow glob, and the path must not
//!    contain `..`. A symlink under `/var/log` pointing elsewhere is therefore refused unless its target is
//!    allowed too. The file-server list is `allow_paths` plus the local `[[collect]]` globs (the local
//!    administrator already chose those).
//!
//! Globs use globset with `literal_separator`: `*` stays within one path component, `**` spans any depth.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::path::{Component, Path, PathBuf};

const GLOB_CHARS: [char; 4] = ['*', '?', '[', '{'];

/// Compiled allow globs.
#[derive(Debug, Clone)]
pub struct PathAllowlist {
    patterns: Vec<String>,
    set: GlobSet,
    /// Directories `D` of allow globs `D/**`.
    trees: Vec<PathBuf>,
}

impl PathAllowlist {
    /// Compiles absolute globs; the error names the bad one.
    pub fn new(patterns: &[String]) -> Result<PathAllowlist, String> {
        let mut builder = GlobSetBuilder::new();
        let mut trees = Vec::new();
        for pattern in patterns {
            if !pattern.starts_with('/') {
                return Err(format!("`{pattern}` must be an absolute glob"));
            }
            if has_dot_components(pattern) {
                return Err(format!("`{pattern}` must not contain `.` or `..`"));
            }
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("bad glob `{pattern}`: {e}"))?;
            builder.add(glob);
            if let Some(dir) = pattern.strip_suffix("/**") {
                if !dir.contains(GLOB_CHARS) {
                    trees.push(PathBuf::from(if dir.is_empty() { "/" } else { dir }));
                }
            }
        }
        let set = builder.build().map_err(|e| format!("{e}"))?;
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
    pub fn with_extra(&self, extra: &[String]) -> Result<PathAllowlist, String> {
        let mut all = self.patterns.clone();
        all.extend(extra.iter().cloned());
        PathAllowlist::new(&all)
    }

    /// Whether a collect glob may be tailed (rule 1 of the module doc); the error says why not.
    pub fn permits_entry(&self, pattern: &str) -> Result<(), String> {
        if !pattern.starts_with('/') {
            return Err("is not absolute".into());
        }
        if has_dot_components(pattern) {
            return Err("contains a `.` or `..` component".into());
        }
        if pattern.contains('{') {
            return Err(
                "uses `{a,b}` alternation, which the allowlist check does not accept".into(),
            );
        }
        if !pattern.contains(GLOB_CHARS) {
            return if self.set.is_match(pattern) {
                Ok(())
            } else {
                Err(self.outside())
            };
        }
        if self.patterns.iter().any(|p| p == pattern) {
            return Ok(());
        }
        let base = literal_base(pattern);
        if self.trees.iter().any(|tree| base.starts_with(tree)) {
            Ok(())
        } else {
            Err(self.outside())
        }
    }

    /// Whether the file server may open `path` (rule 2 of the module doc).
    pub fn permits_file(&self, path: &Path) -> Result<(), String> {
        if path.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(format!("{} contains `..`", path.display()));
        }
        if !self.set.is_match(path) {
            return Err(format!("{} is {}", path.display(), self.outside()));
        }
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| format!("cannot resolve {}: {e}", path.display()))?;
        if !self.set.is_match(&canonical) {
            return Err(format!(
                "{} resolves to {}, which is {}",
                path.display(),
                canonical.display(),
                self.outside()
            ));
        }
        Ok(())
    }

    fn outside(&self) -> String {
        format!("outside allow_paths {:?}", self.patterns)
    }
}

fn has_dot_components(pattern: &str) -> bool {
    pattern.split('/').any(|part| part == "." || part == "..")
}

/// The leading components of `pattern` without glob characters, as a directory.
fn literal_base(pattern: &str) -> PathBuf {
    let mut base = PathBuf::from("/");
    for part in pattern.split('/').filter(|p| !p.is_empty()) {
        if part.contains(GLOB_CHARS) {
            break;
        }
        base.push(part);
    }
    base
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
        ] {
            assert_eq!(allow.permits_entry(ok), Ok(()), "{ok}");
        }
        for bad in [
            "/etc/passwd",
            "/var/*/x.log",
            "/var/log/../../etc/passwd",
            "/var/log/./x.log",
            "/var/log/{a,../../etc}/x",
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
    fn files_are_checked_through_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        let inside = root.join("logs");
        std::fs::create_dir_all(&inside).expect("mkdir");
        std::fs::write(inside.join("a.log"), b"x\n").expect("write");
        std::fs::write(root.join("secret"), b"x\n").expect("write");
        std::os::unix::fs::symlink(root.join("secret"), inside.join("link.log")).expect("symlink");
        let allow = list(&[&format!("{}/**", inside.display())]);
        assert_eq!(allow.permits_file(&inside.join("a.log")), Ok(()));
        assert!(allow.permits_file(&inside.join("link.log")).is_err());
        assert!(allow.permits_file(&root.join("secret")).is_err());
        assert!(allow
            .permits_file(&inside.join("../secret"))
            .unwrap_err()
            .contains(".."));
    }
}
