//! Password files in the format of Elasticsearch's file realm, shared by the store (users, API keys) and
//! the console (users): one `name:bcrypt-hash` per line, as `elasticsearch-users useradd` or
//! `htpasswd -nbB name password` write them (`$2a$`, `$2b$` and `$2y$` hashes); blank lines and `#`
//! comments are skipped.
//!
//! bcrypt is slow on purpose (~50 ms at cost 10), so a secret that verified once is remembered by its
//! SHA-256 and checked against that afterwards; the memory is dropped when the file changes. A file is
//! looked at again at most once a second (by modification time and size), so adding a user or changing a
//! password needs no restart, as with Elasticsearch's file realm. A file that no longer parses keeps the
//! previous contents and is logged. [`Watched`] is that re-reading for any line-based file (the console's
//! roles file uses it too).

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How often a file is looked at for changes.
pub const RELOAD_CHECK_EVERY: Duration = Duration::from_secs(1);

/// A file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// Turns a file's text into its value; errors name the line.
pub type Parser<T> = fn(&Path, &str) -> Result<T, FileError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

/// A file, parsed, and re-read when its modification time or size changes (checked at most once per
/// [`RELOAD_CHECK_EVERY`]).
pub struct Watched<T> {
    path: PathBuf,
    parse: Parser<T>,
    stamp: Option<FileStamp>,
    value: T,
    last_check: Instant,
}

impl<T: PartialEq> Watched<T> {
    /// Reads and parses `path`.
    pub fn load(path: &Path, parse: Parser<T>) -> Result<Watched<T>, FileError> {
        let stamp = stamp(path);
        let value = read(path, parse)?;
        Ok(Watched {
            path: path.to_path_buf(),
            parse,
            stamp,
            value,
            last_check: Instant::now(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value, read again first if the file changed; and whether the value changed.
    pub fn current(&mut self) -> (&T, bool) {
        let mut changed = false;
        if self.last_check.elapsed() >= RELOAD_CHECK_EVERY {
            self.last_check = Instant::now();
            changed = self.refresh();
        }
        (&self.value, changed)
    }

    fn refresh(&mut self) -> bool {
        let now = stamp(&self.path);
        if now == self.stamp {
            return false;
        }
        // Whatever happens, say so once per change of the file.
        self.stamp = now;
        match read(&self.path, self.parse) {
            Ok(value) => {
                log::info!("{} changed: read again", self.path.display());
                let changed = value != self.value;
                self.value = value;
                changed
            }
            Err(e) => {
                log::error!("keeping the previous contents: {e}");
                false
            }
        }
    }

    #[cfg(test)]
    fn expire(&mut self) {
        self.last_check = Instant::now() - RELOAD_CHECK_EVERY;
    }
}

fn stamp(path: &Path) -> Option<FileStamp> {
    std::fs::metadata(path).ok().map(|m| FileStamp {
        modified: m.modified().ok(),
        len: m.len(),
    })
}

fn read<T>(path: &Path, parse: Parser<T>) -> Result<T, FileError> {
    let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// The meaningful lines of a file: trimmed, without blanks and `#` comments, with their 1-based numbers.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

/// Parses `name:bcrypt-hash` lines.
pub fn parse_hashes(path: &Path, text: &str) -> Result<HashMap<String, String>, FileError> {
    let mut hashes = HashMap::new();
    for (line, text) in lines(text) {
        let error = |message: String| FileError::Line {
            path: path.to_path_buf(),
            line,
            message,
        };
        let (name, hash) = text
            .split_once(':')
            .filter(|(name, _)| !name.is_empty())
            .ok_or_else(|| {
                error(
                    "expected `name:bcrypt-hash` (as `htpasswd -nbB name password` writes)".into(),
                )
            })?;
        if !["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            return Err(error(format!(
                "the hash of `{name}` is not a bcrypt hash ($2a$, $2b$ or $2y$)"
            )));
        }
        hashes.insert(name.to_string(), hash.to_string());
    }
    Ok(hashes)
}

struct State {
    file: Watched<HashMap<String, String>>,
    /// name → SHA-256 of the secret that verified.
    verified: HashMap<String, [u8; 32]>,
}

/// One `name:bcrypt-hash` file, verifying secrets against it.
pub struct PasswordFile {
    state: Mutex<State>,
    /// bcrypt checks made (the tests count them).
    #[cfg(test)]
    bcrypt_checks: std::sync::atomic::AtomicUsize,
}

impl PasswordFile {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<PasswordFile, FileError> {
        Ok(PasswordFile {
            state: Mutex::new(State {
                file: Watched::load(path, parse_hashes)?,
                verified: HashMap::new(),
            }),
            #[cfg(test)]
            bcrypt_checks: Default::default(),
        })
    }

    /// Whether `name` is in the file (as last read).
    pub fn contains(&self, name: &str) -> bool {
        let mut guard = self.state.lock();
        let state = &mut *guard;
        let (hashes, changed) = state.file.current();
        let known = hashes.contains_key(name);
        if changed {
            state.verified.clear();
        }
        known
    }

    /// Whether `secret` is `name`'s. Unknown names verify nothing, but take as long as a known name with
    /// a wrong secret (a bcrypt check against another user's hash), so the time of a refusal does not tell
    /// which names exist.
    pub fn verify(&self, name: &str, secret: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let (hash, known) = {
            let mut guard = self.state.lock();
            let state = &mut *guard;
            let (hashes, changed) = state.file.current();
            let hash = match hashes.get(name) {
                Some(hash) => (hash.clone(), true),
                None => match hashes.values().next() {
                    Some(other) => (other.clone(), false),
                    None => return false,
                },
            };
            if changed {
                state.verified.clear();
            }
            if hash.1 && state.verified.get(name) == Some(&digest) {
                return true;
            }
            hash
        };
        // bcrypt outside the lock: other callers are not held up by one slow check.
        #[cfg(test)]
        self.bcrypt_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ok = bcrypt::verify(secret, &hash).unwrap_or(false) && known;
        if ok {
            self.state.lock().verified.insert(name.to_string(), digest);
        }
        ok
    }

    #[cfg(test)]
    fn expire(&self) {
        self.state.lock().file.expire();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_and_the_file_is_read_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let users = dir.path().join("users");
        let hash = bcrypt::hash("s3cret", 4).expect("hash");
        // htpasswd writes $2y$; Elasticsearch writes $2a$.
        let hash_y = hash.replacen("$2b$", "$2y$", 1);
        std::fs::write(&users, format!("# writers\nlogpipe:{hash_y}\n")).expect("users");
        let f = PasswordFile::load(&users).expect("load");
        assert!(f.verify("logpipe", "s3cret"));
        assert!(f.verify("logpipe", "s3cret"), "remembered");
        assert!(!f.verify("logpipe", "wrong"));
        assert!(!f.verify("nobody", "s3cret"));
        assert!(f.contains("logpipe") && !f.contains("nobody"));

        // A new password takes effect without a restart; the old one (remembered) no longer works.
        let new_hash = bcrypt::hash("n3w", 4).expect("hash");
        std::fs::write(&users, format!("logpipe:{new_hash}\nother:{new_hash}\n")).expect("users");
        f.expire();
        assert!(!f.verify("logpipe", "s3cret"));
        assert!(f.verify("other", "n3w"));
        // A broken file keeps the previous contents.
        std::fs::write(&users, "no colon here\n").expect("users");
        f.expire();
        assert!(f.verify("other", "n3w"));
    }

    #[test]
    fn an_unknown_name_costs_a_bcrypt_check_and_verifies_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let users = dir.path().join("users");
        let hash = bcrypt::hash("s3cret", 4).expect("hash");
        std::fs::write(&users, format!("ann:{hash}\n")).expect("write");
        let file = PasswordFile::load(&users).expect("load");
        let checks = || {
            file.bcrypt_checks
                .load(std::sync::atomic::Ordering::Relaxed)
        };
        assert!(!file.verify("bob", "s3cret"), "ann's password is not bob's");
        assert_eq!(checks(), 1, "as slow as a wrong password for a known name");
        assert!(!file.verify("ann", "wrong"));
        assert_eq!(checks(), 2);
        assert!(file.verify("ann", "s3cret"));
        assert!(
            !file.verify("bob", "s3cret"),
            "not remembered for bob either"
        );
        assert_eq!(checks(), 4);
    }

    #[test]
    fn bad_files_name_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let users = dir.path().join("users");
        std::fs::write(&users, "ok:$2b$04$abc\nplain:password\n").expect("users");
        let e = PasswordFile::load(&users).err().expect("refused");
        assert!(e.to_string().contains("users:2"), "{e}");
        assert!(e.to_string().contains("`plain`"), "{e}");
        std::fs::write(&users, ":$2b$04$abc\n").expect("users");
        let e = PasswordFile::load(&users).err().expect("refused");
        assert!(
            e.to_string()
                .contains("users:1: expected `name:bcrypt-hash`"),
            "{e}"
        );
        let e = PasswordFile::load(&dir.path().join("missing"))
            .err()
            .expect("refused");
        assert!(e.to_string().contains("cannot read"), "{e}");
    }
}
