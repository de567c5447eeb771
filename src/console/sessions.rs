//! Login sessions: a random id in a cookie (`HttpOnly`, `SameSite=Strict`, `Secure` and the `__Host-`
//! prefix when served over TLS), a per-session CSRF token the page sends back in `X-CSRF-Token` on every
//! non-GET request, kept in memory (a restart logs everyone out). A session ends after
//! [`IDLE_TIMEOUT`] without requests, [`MAX_AGE`] after the login, or at logout.

use super::users::{constant_time_eq, Role};
use base64::Engine;
use cookie::{Cookie, SameSite};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A session unused this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// A session ends this long after its login, used or not.
pub const MAX_AGE: Duration = Duration::from_secs(12 * 60 * 60);
/// Most sessions kept; the least recently used goes first.
const MAX_SESSIONS: usize = 10_000;

/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// One logged-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// The role at login (requests look the role up again: files change).
    pub role: Role,
    pub csrf: String,
    created: Instant,
    last_used: Instant,
}

/// The sessions of one console.
#[derive(Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
}

/// The system gave no random numbers for a session's id or CSRF token.
#[derive(Debug, thiserror::Error)]
#[error("no random numbers: {0}")]
pub struct NoRandomness(getrandom::Error);

/// 32 random bytes, URL-safe base64.
fn random_token() -> Result<String, NoRandomness> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(NoRandomness)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The cookie's name: `__Host-` prefixed over TLS (the browser then only takes it Secure, Path=/, and
/// from this host).
pub fn cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-logpipe_session"
    } else {
        "logpipe_session"
    }
}

/// The `Set-Cookie` value carrying `id` (an empty id with max-age 0 removes the cookie).
pub fn set_cookie(id: &str, tls: bool) -> String {
    let mut cookie = Cookie::new(cookie_name(tls), id.to_string());
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_secure(tls);
    cookie.set_path("/");
    if id.is_empty() {
        cookie.set_max_age(cookie::time::Duration::ZERO);
    }
    cookie.to_string()
}

/// The session id in a `Cookie` header, if any.
pub fn session_id(cookie_header: Option<&str>, tls: bool) -> Option<String> {
    let name = cookie_name(tls);
    Cookie::split_parse(cookie_header?)
        .flatten()
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

impl Sessions {
    /// Starts a session; its id (for the cookie) and the session.
    pub fn create(&self, user: &str, role: Role) -> Result<(String, Session), NoRandomness> {
        let id = random_token()?;
        let now = Instant::now();
        let session = Session {
            user: user.to_string(),
            role,
            csrf: random_token()?,
            created: now,
            last_used: now,
        };
        let mut sessions = self.by_id.lock();
        sessions.retain(|_, s| alive(s, now));
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(id, _)| id.clone())
            {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(id.clone(), session.clone());
        Ok((id, session))
    }

    /// The live session `id` names, marked as used.
    pub fn get(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut sessions = self.by_id.lock();
        let session = sessions.get_mut(id)?;
        if !alive(session, now) {
            sessions.remove(id);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// Ends session `id`.
    pub fn remove(&self, id: &str) {
        self.by_id.lock().remove(id);
    }
}

fn alive(session: &Session, now: Instant) -> bool {
    now.duration_since(session.last_used) < IDLE_TIMEOUT
        && now.duration_since(session.created) < MAX_AGE
}

impl Session {
    /// Whether `given` (the `X-CSRF-Token` header) is this session's token.
    pub fn csrf_matches(&self, given: Option<&str>) -> bool {
        given.is_some_and(|g| constant_time_eq(g.as_bytes(), self.csrf.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_carry_the_flags_and_parse_back() {
        let plain = set_cookie("abc", false);
        assert!(plain.starts_with("logpipe_session=abc"), "{plain}");
        assert!(
            plain.contains("HttpOnly") && plain.contains("SameSite=Strict"),
            "{plain}"
        );
        assert!(!plain.contains("Secure"), "{plain}");
        let tls = set_cookie("abc", true);
        assert!(
            tls.starts_with("__Host-logpipe_session=abc") && tls.contains("Secure"),
            "{tls}"
        );
        assert!(set_cookie("", false).contains("Max-Age=0"));
        assert_eq!(
            session_id(Some("a=1; logpipe_session=xyz; b=2"), false).as_deref(),
            Some("xyz")
        );
        assert_eq!(session_id(Some("logpipe_session=xyz"), true), None);
        assert_eq!(session_id(None, false), None);
    }

    #[test]
    fn sessions_and_their_csrf_tokens() {
        let sessions = Sessions::default();
        let (id, session) = sessions.create("ann", Role::Editor).expect("create");
        assert_ne!(id, session.csrf);
        let again = sessions.get(&id).expect("live");
        assert_eq!(again.user, "ann");
        assert!(again.csrf_matches(Some(&session.csrf)));
        assert!(!again.csrf_matches(Some("guess")));
        assert!(!again.csrf_matches(None));
        sessions.remove(&id);
        assert!(sessions.get(&id).is_none());
        assert!(sessions.get("made-up").is_none());
    }
}
