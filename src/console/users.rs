//! Who may use the console: named users from a users file and their roles from a roles file, both in the
//! format of Elasticsearch's file realm (`users`: `name:bcrypt-hash` lines, read by `logpipe_passwd` as the
//! store reads its users; `users_roles`: `role:name1,name2` lines), re-read when they change. Roles are
//! `viewer` (reads) and `editor` (reads and collect-config changes); a user in neither cannot log in, as a
//! user without roles can do nothing in Elasticsearch. The bearer token of `--auth-token-file` is the user
//! `token`, an editor.

use logpipe_passwd::{FileError, PasswordFile, Watched};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;

/// The name the bearer token logs in as.
pub const TOKEN_USER: &str = "token";

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads: Discover, Collect config (without saving), History, Fleet, Host metrics.
    Viewer,
    /// Reads and writes: collect-config changes and restores.
    Editor,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
        }
    }

    fn parse(name: &str) -> Option<Role> {
        match name {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            _ => None,
        }
    }
}

/// Parses `role:name1,name2` lines; a user named under both roles is an editor.
fn parse_roles(path: &Path, text: &str) -> Result<HashMap<String, Role>, FileError> {
    let mut roles: HashMap<String, Role> = HashMap::new();
    for (line, text) in logpipe_passwd::lines(text) {
        let error = |message: String| FileError::Line {
            path: path.to_path_buf(),
            line,
            message,
        };
        let (role, names) = text
            .split_once(':')
            .ok_or_else(|| error("expected `role:user1,user2` (roles: viewer, editor)".into()))?;
        let role = Role::parse(role.trim()).ok_or_else(|| {
            error(format!(
                "unknown role `{}` (the console's roles are viewer and editor)",
                role.trim()
            ))
        })?;
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let entry = roles.entry(name.to_string()).or_insert(role);
            *entry = (*entry).max(role);
        }
    }
    Ok(roles)
}

/// Why a login failed (the page shows one sentence for all of them, so as not to tell which names exist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginRefused {
    BadCredentials,
    /// The password is right but the user has no role.
    NoRole,
}

/// The users file, the roles file and the token.
pub struct Users {
    passwords: Option<PasswordFile>,
    roles: Option<Mutex<Watched<HashMap<String, Role>>>>,
    token: Option<String>,
}

/// Why the users cannot be read, or a password cannot be hashed.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error(
        "--users-file and --users-roles-file go together (users_file / users_roles_file in the config \
         file)"
    )]
    Unpaired,
    #[error(transparent)]
    File(#[from] logpipe_passwd::FileError),
    #[error("reading the password from standard input: {0}")]
    Stdin(#[from] std::io::Error),
    #[error("no password on standard input")]
    NoPassword,
    #[error("hashing the password: {0}")]
    Hash(#[from] bcrypt::BcryptError),
}

impl Users {
    /// `users_file` and `roles_file` go together; `token` is the `--auth-token-file` token.
    pub fn load(
        users_file: Option<&Path>,
        roles_file: Option<&Path>,
        token: Option<String>,
    ) -> Result<Users, UsersError> {
        let (passwords, roles) = match (users_file, roles_file) {
            (Some(users), Some(roles)) => (
                Some(PasswordFile::load(users)?),
                Some(Mutex::new(Watched::load(roles, parse_roles)?)),
            ),
            (None, None) => (None, None),
            _ => return Err(UsersError::Unpaired),
        };
        Ok(Users {
            passwords,
            roles,
            token,
        })
    }

    /// Whether named users are configured: then every page needs a login.
    pub fn named(&self) -> bool {
        self.passwords.is_some()
    }

    /// Whether a bearer token is configured.
    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether anyone can log in at all.
    pub fn any(&self) -> bool {
        self.passwords.is_some() || self.token.is_some()
    }

    /// The role `name` has now (the files may have changed since the login); `None` for a user removed
    /// from either file.
    pub fn role(&self, name: &str) -> Option<Role> {
        if name == TOKEN_USER && self.token.is_some() {
            return Some(Role::Editor);
        }
        let passwords = self.passwords.as_ref()?;
        if !passwords.contains(name) {
            return None;
        }
        let mut roles = self.roles.as_ref()?.lock();
        roles.current().0.get(name).copied()
    }

    /// Checks a name and password (the token for the user `token`).
    pub fn login(&self, name: &str, password: &str) -> Result<Role, LoginRefused> {
        if name == TOKEN_USER {
            if let Some(token) = &self.token {
                return constant_time_eq(password.as_bytes(), token.as_bytes())
                    .then_some(Role::Editor)
                    .ok_or(LoginRefused::BadCredentials);
            }
        }
        let passwords = self
            .passwords
            .as_ref()
            .ok_or(LoginRefused::BadCredentials)?;
        if !passwords.verify(name, password) {
            return Err(LoginRefused::BadCredentials);
        }
        self.role(name).ok_or(LoginRefused::NoRole)
    }

    /// The user a bearer token stands for.
    pub fn bearer(&self, given: &str) -> Option<Role> {
        let token = self.token.as_ref()?;
        (!given.is_empty() && constant_time_eq(given.as_bytes(), token.as_bytes()))
            .then_some(Role::Editor)
    }
}

/// Equal-length-independent comparison that does not stop at the first differing byte.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() != b.len()) as u8;
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// `logpipe console hash-password [USER]`: a bcrypt hash of the password on standard input (its first
/// line), as a line of the users file when a user is named.
pub fn hash_password(user: Option<&str>) -> Result<String, UsersError> {
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("password (echoed; pipe it in to keep it off the screen):");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(UsersError::NoPassword);
    }
    let hash = bcrypt::hash(password, bcrypt::DEFAULT_COST)?;
    Ok(match user {
        Some(user) => format!("{user}:{hash}"),
        None => hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_roles_and_the_token() {
        let dir = tempfile::tempdir().expect("tempdir");
        let users = dir.path().join("users");
        let roles = dir.path().join("users_roles");
        let hash = bcrypt::hash("pw", 4).expect("hash");
        std::fs::write(&users, format!("ann:{hash}\nvic:{hash}\nnobody:{hash}\n")).expect("users");
        std::fs::write(&roles, "# roles\neditor:ann\nviewer: vic, ann\n").expect("roles");
        let u = Users::load(Some(&users), Some(&roles), Some("t".repeat(16))).expect("load");
        assert_eq!(u.login("ann", "pw"), Ok(Role::Editor));
        assert_eq!(u.login("vic", "pw"), Ok(Role::Viewer));
        assert_eq!(u.login("vic", "nope"), Err(LoginRefused::BadCredentials));
        assert_eq!(u.login("nobody", "pw"), Err(LoginRefused::NoRole));
        assert_eq!(u.login("ghost", "pw"), Err(LoginRefused::BadCredentials));
        assert_eq!(u.login(TOKEN_USER, &"t".repeat(16)), Ok(Role::Editor));
        assert_eq!(u.login(TOKEN_USER, "t"), Err(LoginRefused::BadCredentials));
        assert_eq!(u.bearer(&"t".repeat(16)), Some(Role::Editor));
        assert_eq!(u.bearer(""), None);
        assert_eq!(u.role("ghost"), None);
    }

    #[test]
    fn bad_roles_files_name_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let users = dir.path().join("users");
        let roles = dir.path().join("users_roles");
        std::fs::write(&users, "").expect("users");
        std::fs::write(&roles, "editor:ann\nsuperuser:bob\n").expect("roles");
        let e = Users::load(Some(&users), Some(&roles), None)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            e.contains("users_roles:2") && e.contains("superuser"),
            "{e}"
        );
        assert!(Users::load(Some(&users), None, None).is_err());
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
