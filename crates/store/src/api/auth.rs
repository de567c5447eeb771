//! Who may call the store: users with passwords and API keys, each from a file in the format of
//! Elasticsearch's file realm (`logpipe_passwd`: `name:bcrypt-hash` lines, re-read when they change,
//! verified secrets remembered). The API keys file holds `id:bcrypt-hash-of-the-key` lines; a client sends
//! `Authorization: ApiKey base64(id:key)`, as it does to Elasticsearch. Every authenticated caller may do
//! everything (no roles).

use base64::Engine;
use logpipe_passwd::PasswordFile;
use std::path::Path;

/// A credentials file that cannot be used.
pub type CredentialsError = logpipe_passwd::FileError;

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

/// The store's users and API keys.
pub struct Credentials {
    users: Option<PasswordFile>,
    api_keys: Option<PasswordFile>,
}

impl Credentials {
    /// Reads the users file and the API keys file (either may be absent, not both).
    pub fn load(
        users_file: Option<&Path>,
        api_keys_file: Option<&Path>,
    ) -> Result<Credentials, CredentialsError> {
        Ok(Credentials {
            users: users_file.map(PasswordFile::load).transpose()?,
            api_keys: api_keys_file.map(PasswordFile::load).transpose()?,
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
                .verify(self.users.as_ref(), user, password)
                .then_some(())
                .ok_or_else(|| Refused::User(user.to_string()));
        }
        if scheme.eq_ignore_ascii_case("apikey") {
            let (id, key) = decoded
                .as_deref()
                .and_then(|d| d.split_once(':'))
                .ok_or(Refused::ApiKey)?;
            return self
                .verify(self.api_keys.as_ref(), id, key)
                .then_some(())
                .ok_or(Refused::ApiKey);
        }
        Err(Refused::Missing)
    }

    fn verify(&self, file: Option<&PasswordFile>, name: &str, secret: &str) -> bool {
        file.is_some_and(|f| f.verify(name, secret))
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
    fn users_and_api_keys_verify() {
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

        // Re-reading a changed file: logpipe_passwd's tests.
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
