//! Who may call the store: users with passwords and API keys, each from a file in the format of
//! Elasticsearch's file realm — one `name:bcrypt-hash` per line, as `elasticsearch-users useradd` or
//! `htpasswd -nbB name password` write them (`$2a$`, `$2b$` and `$2y$` hashes). The API keys file holds
//! `id:bcrypt-hash-of-the-key` lines; a client sends `Authorization: ApiKey base64(id:key)`, as it does to
//! Elasticsearch. Every authenticated caller may do everything (no roles).
//!
//! bcrypt is slow on purpose (~50 ms at cost 10), so a credential that verified once is remembered by its
//! SHA-256 and checked against that afterwards; the memory is dropped when a file changes. The files are
//! looked at again at most once a second (by modification time and size), so adding a user or changing a
//! password needs no restart, as with Elasticsearch's file realm. A file that no longer parses keeps the
//! previous credentials and is logged.

use base64::Engine;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// How often the files are looked at for changes.
const RELOAD_CHECK_EVERY: Duration = Duration::from_secs(1);

/// A credentials file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: expected `name:bcrypt-hash` (as `htpasswd -nbB name password` writes)", path.display())]
    Syntax { path: PathBuf, line: usize },
    #[error("{}:{line}: the hash of `{name}` is not a bcrypt hash ($2a$, $2b$ or $2y$)", path.display())]
    NotBcrypt {
        path: PathBuf,
        line: usize,
        name: String,
    },
}

/// Why a request is not let in (rendered as Elasticsearch's 401 `security_exception`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// No `Authorization` header (or one of another scheme).
    Missing,
    /// A user name and password that do not match.
    User(String),
    /// An API key that does not match, or a malformed one.
    ApiKey,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileStamp {
    modified: Option<SystemTime>,
    len: u64,
}

/// One `name:hash` file and what it held when last read.
struct HashFile {
    path: PathBuf,
    stamp: Option<FileStamp>,
    hashes: HashMap<String, String>,
}

impl HashFile {
    fn load(path: &Path) -> Result<HashFile, CredentialsError> {
        let mut file = HashFile {
            path: path.to_path_buf(),
            stamp: None,
            hashes: HashMap::new(),
        };
        file.read()?;
        Ok(file)
    }

    fn stamp(&self) -> Option<FileStamp> {
        std::fs::metadata(&self.path).ok().map(|m| FileStamp {
            modified: m.modified().ok(),
            len: m.len(),
        })
    }

    fn read(&mut self) -> Result<(), CredentialsError> {
        let stamp = self.stamp();
        let text =
            std::fs::read_to_string(&self.path).map_err(|source| CredentialsError::Read {
                path: self.path.clone(),
                source,
            })?;
        self.hashes = parse(&self.path, &text)?;
        self.stamp = stamp;
        Ok(())
    }

    /// Reads the file again if it changed; whether the credentials changed.
    fn refresh(&mut self) -> bool {
        if self.stamp() == self.stamp {
            return false;
        }
        let before = self.hashes.clone();
        match self.read() {
            Ok(()) => {
                log::info!(
                    "store: {} changed: {} credentials",
                    self.path.display(),
                    self.hashes.len()
                );
                before != self.hashes
            }
            Err(e) => {
                // Keep what worked; say so once per change of the file.
                self.stamp = self.stamp();
                log::error!("store: keeping the previous credentials: {e}");
                false
            }
        }
    }
}

fn parse(path: &Path, text: &str) -> Result<HashMap<String, String>, CredentialsError> {
    let mut hashes = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, hash) = line.split_once(':').ok_or(CredentialsError::Syntax {
            path: path.to_path_buf(),
            line: i + 1,
        })?;
        if name.is_empty() {
            return Err(CredentialsError::Syntax {
                path: path.to_path_buf(),
                line: i + 1,
            });
        }
        if !["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            return Err(CredentialsError::NotBcrypt {
                path: path.to_path_buf(),
                line: i + 1,
                name: name.to_string(),
            });
        }
        hashes.insert(name.to_string(), hash.to_string());
    }
    Ok(hashes)
}

struct State {
    users: Option<HashFile>,
    api_keys: Option<HashFile>,
    /// `user:` or `key:` + name → SHA-256 of the secret that verified.
    verified: HashMap<String, [u8; 32]>,
    last_check: Instant,
}

/// The store's users and API keys.
pub struct Credentials {
    state: Mutex<State>,
}

impl Credentials {
    /// Reads the users file and the API keys file (either may be absent, not both).
    pub fn load(
        users_file: Option<&Path>,
        api_keys_file: Option<&Path>,
    ) -> Result<Credentials, CredentialsError> {
        Ok(Credentials {
            state: Mutex::new(State {
                users: users_file.map(HashFile::load).transpose()?,
                api_keys: api_keys_file.map(HashFile::load).transpose()?,
                verified: HashMap::new(),
                last_check: Instant::now(),
            }),
        })
    }

    /// Lets the request in, or says why not, from its `Authorization` header.
    pub fn check(&self, authorization: Option<&str>) -> Result<(), Refused> {
        let (scheme, value) = authorization
            .and_then(|h| h.trim().split_once(' '))
            .ok_or(Refused::Missing)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if scheme.eq_ignore_ascii_case("basic") {
            let (user, password) = decoded
                .as_deref()
                .and_then(|d| d.split_once(':'))
                .ok_or(Refused::User(String::new()))?;
            return self
                .verify(Kind::User, user, password)
                .then_some(())
                .ok_or_else(|| Refused::User(user.to_string()));
        }
        if scheme.eq_ignore_ascii_case("apikey") {
            let (id, key) = decoded
                .as_deref()
                .and_then(|d| d.split_once(':'))
                .ok_or(Refused::ApiKey)?;
            return self
                .verify(Kind::ApiKey, id, key)
                .then_some(())
                .ok_or(Refused::ApiKey);
        }
        Err(Refused::Missing)
    }

    fn verify(&self, kind: Kind, name: &str, secret: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        let cache_key = format!("{}:{name}", kind.prefix());
        let hash = {
            let mut guard = self.state.lock();
            let state = &mut *guard;
            if state.last_check.elapsed() >= RELOAD_CHECK_EVERY {
                state.last_check = Instant::now();
                let mut changed = false;
                for file in [&mut state.users, &mut state.api_keys]
                    .into_iter()
                    .flatten()
                {
                    changed |= file.refresh();
                }
                if changed {
                    state.verified.clear();
                }
            }
            if state.verified.get(&cache_key) == Some(&digest) {
                return true;
            }
            let file = match kind {
                Kind::User => state.users.as_ref(),
                Kind::ApiKey => state.api_keys.as_ref(),
            };
            match file.and_then(|f| f.hashes.get(name)) {
                Some(hash) => hash.clone(),
                None => return false,
            }
        };
        // bcrypt outside the lock: other requests are not held up by one slow check.
        let ok = bcrypt::verify(secret, &hash).unwrap_or(false);
        if ok {
            self.state.lock().verified.insert(cache_key, digest);
        }
        ok
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    User,
    ApiKey,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::ApiKey => "key",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, password: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    }

    #[test]
    fn users_and_api_keys_verify_and_files_reload() {
        let dir = tempfile::tempdir().expect("tempdir");
        let users = dir.path().join("users");
        let keys = dir.path().join("api_keys");
        let hash = bcrypt::hash("s3cret", 4).expect("hash");
        // htpasswd writes $2y$; Elasticsearch writes $2a$.
        let hash_y = hash.replacen("$2b$", "$2y$", 1);
        std::fs::write(&users, format!("# writers\nlogpipe:{hash_y}\n")).expect("users");
        std::fs::write(
            &keys,
            format!("key-1:{}\n", bcrypt::hash("k3y", 4).expect("hash")),
        )
        .expect("keys");
        let c = Credentials::load(Some(&users), Some(&keys)).expect("load");
        assert_eq!(c.check(Some(&basic("logpipe", "s3cret"))), Ok(()));
        assert_eq!(c.check(Some(&basic("logpipe", "s3cret"))), Ok(()), "cached");
        assert_eq!(
            c.check(Some(&basic("logpipe", "wrong"))),
            Err(Refused::User("logpipe".into()))
        );
        assert_eq!(
            c.check(Some(&basic("nobody", "s3cret"))),
            Err(Refused::User("nobody".into()))
        );
        assert_eq!(c.check(None), Err(Refused::Missing));
        assert_eq!(c.check(Some("Bearer x")), Err(Refused::Missing));
        let key = base64::engine::general_purpose::STANDARD.encode("key-1:k3y");
        assert_eq!(c.check(Some(&format!("ApiKey {key}"))), Ok(()));
        assert_eq!(c.check(Some("ApiKey !!!")), Err(Refused::ApiKey));

        // A new password takes effect without a restart; the old one (cached) no longer works.
        let new_hash = bcrypt::hash("n3w", 4).expect("hash");
        std::fs::write(&users, format!("logpipe:{new_hash}\nother:{new_hash}\n")).expect("users");
        c.state.lock().last_check = Instant::now() - RELOAD_CHECK_EVERY;
        assert_eq!(
            c.check(Some(&basic("logpipe", "s3cret"))),
            Err(Refused::User("logpipe".into()))
        );
        assert_eq!(c.check(Some(&basic("other", "n3w"))), Ok(()));
        // A broken file keeps the previous credentials.
        std::fs::write(&users, "no colon here\n").expect("users");
        c.state.lock().last_check = Instant::now() - RELOAD_CHECK_EVERY;
        assert_eq!(c.check(Some(&basic("other", "n3w"))), Ok(()));
    }

    #[test]
    fn bad_files_name_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let users = dir.path().join("users");
        std::fs::write(&users, "ok:$2b$04$abc\nplain:password\n").expect("users");
        let e = Credentials::load(Some(&users), None)
            .err()
            .expect("refused");
        assert!(e.to_string().contains("users:2"), "{e}");
        assert!(e.to_string().contains("`plain`"), "{e}");
        let e = Credentials::load(Some(&dir.path().join("missing")), None)
            .err()
            .expect("refused");
        assert!(e.to_string().contains("cannot read"), "{e}");
    }
}
