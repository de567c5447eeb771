//! The console's named users against a real console and etcd: logins and roles (a viewer cannot save),
//! the session cookie's flags, CSRF token and cross-site refusals on writes, the login rate limit, the
//! bearer token as the user `token`, and the audit trail (history with a diff, restore with
//! compare-and-swap, a stale restore is a 409).

use crate::common::console::{start, users_files, Console};
use crate::common::etcd::Etcd;
use serde_json::{json, Value};

const TOKEN: &str = "users-test-token-0123456789";
const KEY: &str = "/logpipe/collect/web-1";

fn console_with_users(etcd: &Etcd, dir: &std::path::Path) -> Console {
    let (users, roles) = users_files(dir, &[("ann", "editor"), ("vic", "viewer")]);
    let token_file = dir.join("token");
    std::fs::write(&token_file, TOKEN).expect("token");
    start(
        "http://127.0.0.1:9",
        &[
            "--etcd",
            &etcd.endpoint(),
            "--users-file",
            &users,
            "--users-roles-file",
            &roles,
            "--auth-token-file",
            &token_file.to_string_lossy(),
        ],
    )
}

fn entries(topic: &str, revision: i64) -> Value {
    json!({"entries": [{"path": "/var/log/app/*.log", "topic": topic}], "revision": revision})
}

#[test]
fn roles_sessions_csrf_and_cross_site_writes() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let console = console_with_users(&etcd, dir.path());

    // Nothing but the login without a session.
    let answer = console.send("GET", "/api/collect", &[], None);
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(answer.body["error"]["kind"], "login_required");
    let answer = console.send("GET", "/api/info", &[], None);
    assert_eq!(answer.body["login_required"], true);
    let answer = console.send(
        "POST",
        "/api/login",
        &[],
        Some(json!({"user": "vic", "password": "wrong"})),
    );
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(answer.body["error"]["kind"], "bad_credentials");
    assert!(answer.headers.get("set-cookie").is_none());

    // The cookie's flags (plain HTTP: not Secure).
    let answer = console.send(
        "POST",
        "/api/login",
        &[],
        Some(json!({"user": "vic", "password": "vic-password"})),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["role"], "viewer");
    assert_eq!(answer.body["can_write"], false);
    let set_cookie = answer.headers["set-cookie"].to_str().expect("ascii");
    assert!(set_cookie.starts_with("logpipe_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");

    // A viewer reads but cannot save, even with a valid CSRF token.
    let (vic, vic_csrf) = console.login("vic");
    let answer = console.send("GET", "/api/collect", &[("Cookie", &vic)], None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["can_write"], false);
    let answer = console.send(
        "PUT",
        "/api/collect/web-1",
        &[("Cookie", &vic), ("X-CSRF-Token", &vic_csrf)],
        Some(entries("a", 0)),
    );
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(answer.body["error"]["kind"], "forbidden");
    assert_eq!(etcd.get(KEY), None, "a viewer wrote nothing");

    // An editor's write needs the session's CSRF token and a same-origin request.
    let (ann, csrf) = console.login("ann");
    let host = console.url.trim_start_matches("http://").to_string();
    for (headers, kind) in [
        (vec![("Cookie", ann.as_str())], "csrf"),
        (
            vec![
                ("Cookie", ann.as_str()),
                ("X-CSRF-Token", vic_csrf.as_str()),
            ],
            "csrf",
        ),
        (
            vec![
                ("Cookie", ann.as_str()),
                ("X-CSRF-Token", csrf.as_str()),
                ("Origin", "http://evil.example"),
            ],
            "cross_site",
        ),
        (
            vec![
                ("Cookie", ann.as_str()),
                ("X-CSRF-Token", csrf.as_str()),
                ("Sec-Fetch-Site", "same-site"),
            ],
            "cross_site",
        ),
    ] {
        let answer = console.send("PUT", "/api/collect/web-1", &headers, Some(entries("a", 0)));
        assert_eq!(answer.status, 403, "{headers:?}: {}", answer.body);
        assert_eq!(answer.body["error"]["kind"], kind, "{headers:?}");
    }
    assert_eq!(
        etcd.get(KEY),
        None,
        "nothing written without CSRF token / cross-site"
    );
    let origin = format!("http://{host}");
    let write = |headers: &[(&str, &str)], body| {
        let mut all = vec![("Cookie", ann.as_str()), ("X-CSRF-Token", csrf.as_str())];
        all.extend_from_slice(headers);
        console.send("PUT", "/api/collect/web-1", &all, Some(body))
    };
    let first = write(
        &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
        entries("a", 0),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let first_revision = first.body["revision"].as_i64().expect("revision");
    let second = write(&[], entries("b", first_revision));
    assert_eq!(second.status, 200, "{}", second.body);
    let second_revision = second.body["revision"].as_i64().expect("revision");

    // The bearer token is the user `token`, an editor, without cookie or CSRF token.
    let bearer = format!("Bearer {TOKEN}");
    let third = console.send(
        "PUT",
        "/api/collect/web-1",
        &[("Authorization", &bearer)],
        Some(entries("c", second_revision)),
    );
    assert_eq!(third.status, 200, "{}", third.body);
    let third_revision = third.body["revision"].as_i64().expect("revision");

    // History: newest first, who, before and after, a diff.
    let history = console.send(
        "GET",
        "/api/collect/web-1/history",
        &[("Cookie", &vic)],
        None,
    );
    assert_eq!(history.status, 200, "{}", history.body);
    let records = history.body["records"].as_array().expect("records").clone();
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(records[0]["revision"], third_revision);
    assert_eq!(records[0]["user"], "token");
    assert_eq!(records[1]["user"], "ann");
    assert_eq!(records[1]["before"][0]["topic"], "a");
    assert_eq!(records[1]["after"][0]["topic"], "b");
    assert_eq!(records[1]["before_revision"], first_revision);
    assert_eq!(records[2]["revision"], first_revision);
    assert_eq!(records[2]["before"], Value::Null);
    let changed: Vec<String> = records[1]["diff"]
        .as_array()
        .expect("diff")
        .iter()
        .filter(|l| l["op"] != "equal")
        .map(|l| {
            format!(
                "{} {}",
                l["op"].as_str().unwrap_or(""),
                l["line"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec!["delete     \"topic\": \"a\"", "insert     \"topic\": \"b\""]
    );

    // Restore: a viewer may not; a stale current revision is a conflict; then the old entries are back.
    let restore = |cookie: &str, csrf: &str, body: Value| {
        console.send(
            "POST",
            "/api/collect/web-1/restore",
            &[("Cookie", cookie), ("X-CSRF-Token", csrf)],
            Some(body),
        )
    };
    let answer = restore(
        &vic,
        &vic_csrf,
        json!({"revision": first_revision, "current_revision": third_revision}),
    );
    assert_eq!(answer.status, 403, "{}", answer.body);
    let answer = restore(
        &ann,
        &csrf,
        json!({"revision": first_revision, "current_revision": second_revision}),
    );
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert_eq!(answer.body["error"]["current_revision"], third_revision);
    let answer = restore(
        &ann,
        &csrf,
        json!({"revision": first_revision, "current_revision": third_revision}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let stored: Value = serde_json::from_str(&etcd.get(KEY).expect("key")).expect("JSON");
    assert_eq!(stored[0]["topic"], "a");
    let history = console.send(
        "GET",
        "/api/collect/web-1/history",
        &[("Cookie", &ann)],
        None,
    );
    let newest = &history.body["records"][0];
    assert_eq!(newest["action"], "restore");
    assert_eq!(newest["user"], "ann");
    assert_eq!(newest["restored_from"]["revision"], first_revision);
    assert_eq!(newest["revision"], answer.body["revision"]);
    // The side before the first change (no key then) restores no entries.
    let answer = restore(
        &ann,
        &csrf,
        json!({"revision": first_revision, "side": "before",
               "current_revision": answer.body["revision"]}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(etcd.get(KEY).as_deref(), Some("[]"));
    // Every record lives under the audit prefix, one per change.
    assert_eq!(etcd.get_prefix("/logpipe/audit/web-1/").len(), 5);

    // Logout ends the session.
    let answer = console.send(
        "POST",
        "/api/logout",
        &[("Cookie", &ann), ("X-CSRF-Token", &csrf)],
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = console.send("GET", "/api/collect", &[("Cookie", &ann)], None);
    assert_eq!(answer.status, 401, "{}", answer.body);
}

#[test]
fn login_is_rate_limited_per_user_and_per_address() {
    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let console = console_with_users(&etcd, dir.path());
    let attempt = |user: &str, password: &str| {
        console.send(
            "POST",
            "/api/login",
            &[],
            Some(json!({"user": user, "password": password})),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("ann", "guess").status, 401);
    }
    // The sixth attempt is refused before the password is looked at, even the right one.
    let answer = attempt("ann", "ann-password");
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.body["error"]["kind"], "too_many_attempts");
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("for ann"), "{message}");
    let wait: u64 = answer.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=12).contains(&wait), "{wait}");
    // Another user is not held up by ann's limit.
    assert_eq!(attempt("vic", "vic-password").status, 200);
    // One address trying many names runs into the address's limit (20 a minute).
    let mut last = 0;
    for i in 0..20 {
        last = attempt(&format!("made-up-{i}"), "guess").status;
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429);
    let answer = attempt("other", "guess");
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("from 127.0.0.1"),
        "{}",
        answer.body
    );
}

#[test]
fn hash_password_makes_a_users_file_line_that_logs_in() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_logpipe"))
        .args(["console", "hash-password", "carol"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run logpipe");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"carol-password\n")
        .expect("password");
    let out = child.wait_with_output().expect("output");
    assert!(out.status.success());
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(line.starts_with("carol:$2b$"), "{line}");

    let etcd = Etcd::start();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("users"), format!("{line}\n")).expect("users");
    std::fs::write(dir.path().join("users_roles"), "editor:carol\n").expect("roles");
    let console = start(
        "http://127.0.0.1:9",
        &[
            "--etcd",
            &etcd.endpoint(),
            "--users-file",
            &dir.path().join("users").to_string_lossy(),
            "--users-roles-file",
            &dir.path().join("users_roles").to_string_lossy(),
        ],
    );
    let (_cookie, csrf) = console.login("carol");
    assert!(!csrf.is_empty());
}
