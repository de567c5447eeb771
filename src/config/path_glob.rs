//! The one glob engine of logpipe's path patterns: collect `path`s, `exclude`s and `allow_paths` are all
//! compiled here, with the same rules, and the files a collect path names are listed here.
//!
//! Rules (globset with `literal_separator`): `*` and `?` stay within one path component, `**` spans any
//! number of components, `[abc]` / `[!a-z]` are classes, `{a,b}` are alternatives (they may hold `/`), and
//! `\` escapes the character after it. Matching is case-sensitive and applies to the whole path.
//!
//! Listing (`PathGlob::list_files`) walks the pattern's literal base directory (the components before the
//! first one with a glob character) no deeper than the pattern can reach, so `/var/log/app/*.log` reads one
//! directory and `/var/log/**/*.log` the whole tree under `/var/log`. Symbolic links, to files or to
//! directories, are skipped unless the entry asks to follow them (Filebeat's default too): a link can
//! point anywhere, so tailing one is a decision the administrator makes explicitly.

use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Characters that make a path component a pattern.
const GLOB_CHARS: [char; 5] = ['*', '?', '[', '{', '\\'];

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    #[error("bad glob `{pattern}`: {reason}")]
    Syntax { pattern: String, reason: String },
    #[error("`{0}` must be an absolute path")]
    NotAbsolute(String),
    #[error("`{0}` must not contain `.` or `..` components")]
    DotComponent(String),
}

fn compile(pattern: &str) -> Result<globset::Glob, GlobError> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| GlobError::Syntax {
            pattern: pattern.to_string(),
            reason: e.kind().to_string(),
        })
}

/// Whether a component of `pattern` is `.` or `..`, also as one alternative of `{..}`.
fn has_dot_component(pattern: &str) -> bool {
    pattern
        .split(['/', '{', '}', ','])
        .any(|part| part == "." || part == "..")
}

/// One compiled path glob.
#[derive(Debug, Clone)]
pub struct PathGlob {
    pattern: String,
    matcher: GlobMatcher,
    base: PathBuf,
    /// Components below `base` a match can have; `None` when `**` makes it unbounded.
    max_depth: Option<usize>,
}

impl PathGlob {
    /// Compiles an absolute pattern without `.` / `..` components.
    pub fn absolute(pattern: &str) -> Result<PathGlob, GlobError> {
        if !pattern.starts_with('/') {
            return Err(GlobError::NotAbsolute(pattern.to_string()));
        }
        if has_dot_component(pattern) {
            return Err(GlobError::DotComponent(pattern.to_string()));
        }
        let matcher = compile(pattern)?.compile_matcher();
        let base = literal_base(pattern);
        let below = pattern_below(pattern, &base);
        let max_depth = (!below.contains("**")).then(|| below.matches('/').count() + 1);
        Ok(PathGlob {
            pattern: pattern.to_string(),
            matcher,
            base,
            max_depth,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Whether `path` matches the whole pattern.
    pub fn is_match(&self, path: &Path) -> bool {
        self.matcher.is_match(path)
    }

    /// The deepest directory every match lies under: the components before the first one holding a glob
    /// character (the parent of a pattern without any).
    pub fn base_dir(&self) -> &Path {
        &self.base
    }

    /// Whether the pattern has no glob character at all (it names one file).
    pub fn is_literal(&self) -> bool {
        !self.pattern.contains(GLOB_CHARS)
    }

    /// Regular files matching now, in no particular order; symbolic links only with `follow_symlinks`.
    /// Unreadable directories are skipped.
    pub fn list_files(&self, follow_symlinks: bool) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut seen_dirs = HashSet::new();
        if let Ok(meta) = std::fs::metadata(&self.base) {
            seen_dirs.insert((meta.dev(), meta.ino()));
        }
        self.walk(&self.base, 1, follow_symlinks, &mut seen_dirs, &mut found);
        found
    }

    fn walk(
        &self,
        dir: &Path,
        depth: usize,
        follow_symlinks: bool,
        seen_dirs: &mut HashSet<(u64, u64)>,
        found: &mut Vec<PathBuf>,
    ) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            let (is_dir, is_file) = if kind.is_symlink() {
                if !follow_symlinks {
                    continue;
                }
                match std::fs::metadata(&path) {
                    Ok(target) if target.is_dir() => {
                        // A link back up the tree would loop forever.
                        if !seen_dirs.insert((target.dev(), target.ino())) {
                            continue;
                        }
                        (true, false)
                    }
                    Ok(target) => (false, target.is_file()),
                    Err(_) => continue,
                }
            } else {
                (kind.is_dir(), kind.is_file())
            };
            if is_file && self.is_match(&path) {
                found.push(path);
            } else if is_dir && self.max_depth.is_none_or(|max| depth < max) {
                self.walk(&path, depth + 1, follow_symlinks, seen_dirs, found);
            }
        }
    }
}

/// Several globs matched as one (excludes, `allow_paths`).
#[derive(Debug, Clone)]
pub struct PathGlobSet {
    patterns: Vec<String>,
    set: GlobSet,
}

impl PathGlobSet {
    /// Compiles every pattern with the same rules as [`PathGlob`] (absolute or not: an exclude such as
    /// `**/debug.log` matches anywhere); the error names the first bad one.
    pub fn new(patterns: &[String]) -> Result<PathGlobSet, GlobError> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            builder.add(compile(pattern)?);
        }
        let set = builder.build().map_err(|e| GlobError::Syntax {
            pattern: patterns.join(", "),
            reason: e.kind().to_string(),
        })?;
        Ok(PathGlobSet {
            patterns: patterns.to_vec(),
            set,
        })
    }

    /// The patterns as written.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Whether any pattern matches `path`.
    pub fn is_match(&self, path: &Path) -> bool {
        self.set.is_match(path)
    }
}

/// The leading components of an absolute `pattern` without glob characters, as a directory; for a pattern
/// without any, its parent directory.
pub fn literal_base(pattern: &str) -> PathBuf {
    let mut base = PathBuf::from("/");
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        if part.contains(GLOB_CHARS) || i + 1 == parts.len() {
            break;
        }
        base.push(part);
    }
    base
}

/// The part of `pattern` below `base` (without the separating `/`).
fn pattern_below<'a>(pattern: &'a str, base: &Path) -> &'a str {
    let base = base.to_string_lossy();
    pattern
        .strip_prefix(base.as_ref())
        .unwrap_or(pattern)
        .trim_start_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// (pattern, path, matches)
    const MATCHING: &[(&str, &str, bool)] = &[
        ("/var/log/*.log", "/var/log/a.log", true),
        ("/var/log/*.log", "/var/log/app/a.log", false),
        ("/var/log/**/*.log", "/var/log/a.log", true),
        ("/var/log/**/*.log", "/var/log/app/x/a.log", true),
        ("/var/log/**", "/var/log/app/x/a.log", true),
        ("/var/log/{a,b}.log", "/var/log/a.log", true),
        ("/var/log/{a,b}.log", "/var/log/b.log", true),
        ("/var/log/{a,b}.log", "/var/log/c.log", false),
        ("/var/{log/app,tmp}/*.log", "/var/log/app/x.log", true),
        ("/var/{log/app,tmp}/*.log", "/var/tmp/x.log", true),
        ("/var/log/app?.log", "/var/log/app1.log", true),
        ("/var/log/app?.log", "/var/log/app/.log", false),
        ("/var/log/[ab].log", "/var/log/b.log", true),
        ("/var/log/[!ab].log", "/var/log/b.log", false),
        ("/var/log/\\*.log", "/var/log/*.log", true),
        ("/var/log/\\*.log", "/var/log/a.log", false),
        ("/var/log/A.log", "/var/log/a.log", false),
    ];

    #[test]
    fn every_form_matches_as_documented() {
        for (pattern, path, expected) in MATCHING {
            let glob = PathGlob::absolute(pattern).expect(pattern);
            assert_eq!(
                glob.is_match(Path::new(path)),
                *expected,
                "{pattern} vs {path}"
            );
            let set = PathGlobSet::new(&[pattern.to_string()]).expect(pattern);
            assert_eq!(set.is_match(Path::new(path)), *expected, "set {pattern}");
        }
    }

    #[test]
    fn refusals_name_the_pattern() {
        assert_eq!(
            PathGlob::absolute("var/log/*.log").unwrap_err(),
            GlobError::NotAbsolute("var/log/*.log".into())
        );
        for bad in ["/var/log/../etc/*", "/var/log/{..,x}/a", "/var/./log"] {
            assert!(
                matches!(PathGlob::absolute(bad), Err(GlobError::DotComponent(_))),
                "{bad}"
            );
        }
        let err = PathGlob::absolute("/var/log/[a.log").unwrap_err();
        assert!(err.to_string().contains("/var/log/[a.log"), "{err}");
    }

    #[test]
    fn base_dirs_stop_at_the_first_glob_component() {
        for (pattern, base) in [
            ("/var/log/app/*.log", "/var/log/app"),
            ("/var/log/*/x.log", "/var/log"),
            ("/var/log/s4.log", "/var/log"),
            ("/var/log/{a,b}.log", "/var/log"),
            ("/var/{log,tmp}/x.log", "/var"),
            ("/*.log", "/"),
        ] {
            assert_eq!(
                PathGlob::absolute(pattern).expect(pattern).base_dir(),
                Path::new(base),
                "{pattern}"
            );
        }
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for file in [
            "a.log",
            "b.log",
            "c.txt",
            "app/x.log",
            "app/deep/y.log",
            "other/z.log",
        ] {
            let path = dir.path().join(file);
            fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            fs::write(&path, b"line\n").expect("write");
        }
        dir
    }

    fn names(root: &Path, mut files: Vec<PathBuf>) -> Vec<String> {
        files.sort();
        files
            .iter()
            .map(|f| {
                f.strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn listing_follows_the_same_rules_as_matching() {
        let dir = tree();
        let root = dir.path().display().to_string();
        for (pattern, expected) in [
            ("*.log", vec!["a.log", "b.log"]),
            ("{a,c}.*", vec!["a.log", "c.txt"]),
            ("*/*.log", vec!["app/x.log", "other/z.log"]),
            (
                "**/*.log",
                vec![
                    "a.log",
                    "app/deep/y.log",
                    "app/x.log",
                    "b.log",
                    "other/z.log",
                ],
            ),
            (
                "{app/deep,other}/*.log",
                vec!["app/deep/y.log", "other/z.log"],
            ),
            ("app/**", vec!["app/deep/y.log", "app/x.log"]),
            ("a.log", vec!["a.log"]),
        ] {
            let glob = PathGlob::absolute(&format!("{root}/{pattern}")).expect(pattern);
            assert_eq!(
                names(dir.path(), glob.list_files(false)),
                expected,
                "{pattern}"
            );
        }
    }

    #[test]
    fn symbolic_links_are_listed_only_when_followed() {
        let dir = tree();
        let outside = tempfile::tempdir().expect("tempdir");
        fs::write(outside.path().join("secret.log"), b"s\n").expect("write");
        std::os::unix::fs::symlink(
            outside.path().join("secret.log"),
            dir.path().join("link.log"),
        )
        .expect("file link");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linkdir")).expect("dir link");
        // A link to an ancestor must not make the walk loop.
        std::os::unix::fs::symlink(dir.path(), dir.path().join("app/up")).expect("loop link");
        let glob = PathGlob::absolute(&format!("{}/**/*.log", dir.path().display())).expect("glob");
        let plain = names(dir.path(), glob.list_files(false));
        assert!(!plain.iter().any(|n| n.contains("link")), "{plain:?}");
        let followed = names(dir.path(), glob.list_files(true));
        assert!(followed.contains(&"link.log".to_string()), "{followed:?}");
        assert!(
            followed.contains(&"linkdir/secret.log".to_string()),
            "{followed:?}"
        );
        assert!(
            !followed.iter().any(|n| n.starts_with("app/up")),
            "{followed:?}"
        );
    }
}
