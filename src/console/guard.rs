//! Who is calling and whether the request may come from where it comes from, decided before the API
//! routes it:
//! - a non-GET request that a browser marks as made by another site or origin (`Sec-Fetch-Site` other than
//!   `same-origin`, or an `Origin` other than this console's) is refused, whoever sends it: a form on
//!   another port of the same host is same-site, so `SameSite=Strict` alone would let its post carry the
//!   session cookie;
//! - the caller is the user of the bearer token (`Authorization: Bearer`, for automation: no cookie, so no
//!   CSRF token) or of the session cookie; a session's non-GET requests must carry its CSRF token in
//!   `X-CSRF-Token` (login excepted: it has no session yet, and the origin check covers it).

use super::sessions::{self, Session, Sessions, CSRF_HEADER};
use super::users::{Role, Users, TOKEN_USER};
use logpipe_http::{Method, Request};

/// The caller of one API request.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The user and their role now; `None` for an anonymous caller.
    pub user: Option<(String, Role)>,
    /// The session the cookie named, if it is live.
    pub session: Option<(String, Session)>,
}

impl Caller {
    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|(_, role)| *role)
    }

    pub fn name(&self) -> Option<&str> {
        self.user.as_ref().map(|(name, _)| name.as_str())
    }
}

/// Why a request was refused before routing: status, kind, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
}

fn writes(method: &Method) -> bool {
    method != Method::GET && method != Method::HEAD && method != Method::OPTIONS
}

/// `Some(why)` when a browser says the request comes from another site or origin.
pub fn cross_site(request: &Request) -> Option<String> {
    if let Some(site) = request.header("sec-fetch-site") {
        if !site.eq_ignore_ascii_case("same-origin") {
            return Some(format!("Sec-Fetch-Site: {site}"));
        }
    }
    if let Some(origin) = request.header("origin") {
        let scheme = if request.tls { "https" } else { "http" };
        let own = request
            .header("host")
            .map(|host| format!("{scheme}://{host}"));
        if own.is_none_or(|own| !origin.eq_ignore_ascii_case(&own)) {
            return Some(format!("Origin: {origin}"));
        }
    }
    None
}

/// The caller of `request`, or why it is refused.
pub fn caller(request: &Request, users: &Users, sessions: &Sessions) -> Result<Caller, Refusal> {
    let write = writes(&request.method);
    if write {
        if let Some(why) = cross_site(request) {
            return Err(Refusal {
                status: 403,
                kind: "cross_site",
                message: format!("refused: a change requested by another site ({why})"),
            });
        }
    }
    // Without a configured token a bearer header stands for no one (the routes then say writes are off).
    if let Some(given) = request
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|_| users.has_token())
    {
        return match users.bearer(given) {
            Some(role) => Ok(Caller {
                user: Some((TOKEN_USER.to_string(), role)),
                session: None,
            }),
            None => Err(Refusal {
                status: 401,
                kind: "unauthorized",
                message: "a valid bearer token is required".into(),
            }),
        };
    }
    let Some((id, session)) = sessions::session_id(request.header("cookie"), request.tls)
        .and_then(|id| sessions.get(&id).map(|s| (id, s)))
    else {
        return Ok(Caller::default());
    };
    let Some(role) = users.role(&session.user) else {
        // Removed from the users or roles file since the login.
        sessions.remove(&id);
        return Ok(Caller::default());
    };
    if write && request.path() != "/api/login" && !session.csrf_matches(request.header(CSRF_HEADER))
    {
        return Err(Refusal {
            status: 403,
            kind: "csrf",
            message: "refused: the request lacks this session's CSRF token (reload the page)"
                .into(),
        });
    }
    Ok(Caller {
        user: Some((session.user.clone(), role)),
        session: Some((id, session)),
    })
}
