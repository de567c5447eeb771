//! Data-driven API tests, as rust-analyzer's `check()`: each area states a table of requests and the
//! answers Elasticsearch's reference gives for them (status, and the JSON the body must contain or its
//! exact text), run against one store; every mismatch of a table is reported at once.
//!
//! Requests go over a plain TCP socket, written as given: a path the HTTP client would normalise or refuse
//! (`/%+1`) reaches the store as sent.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

use crate::common::Es;

/// What the body of an answer must be.
pub enum Expect {
    /// JSON containing this (objects: at least these keys, recursively; arrays and scalars: equal).
    Json(Value),
    /// Exactly this text.
    Text(&'static str),
}

/// One request and the answer it must get.
pub struct Case {
    method: &'static str,
    target: String,
    body: Option<String>,
    accept: Option<&'static str>,
    status: u16,
    content_type: Option<&'static str>,
    expect: Option<Expect>,
    absent: Vec<&'static str>,
}

/// A request: `target` is the path and query as sent on the request line.
pub fn case(method: &'static str, target: impl Into<String>) -> Case {
    Case {
        method,
        target: target.into(),
        body: None,
        accept: None,
        status: 200,
        content_type: None,
        expect: None,
        absent: Vec::new(),
    }
}

impl Case {
    /// The request's body.
    pub fn body(mut self, body: impl Into<String>) -> Case {
        self.body = Some(body.into());
        self
    }

    /// The request's `Accept`.
    pub fn accept(mut self, accept: &'static str) -> Case {
        self.accept = Some(accept);
        self
    }

    /// The answer's status (200 unless said).
    pub fn status(mut self, status: u16) -> Case {
        self.status = status;
        self
    }

    /// The start of the answer's `Content-Type`.
    pub fn content_type(mut self, content_type: &'static str) -> Case {
        self.content_type = Some(content_type);
        self
    }

    /// JSON the answer's body must contain.
    pub fn json(mut self, expected: Value) -> Case {
        self.expect = Some(Expect::Json(expected));
        self
    }

    /// A JSON pointer (`/hits/hits/0/_source`) the answer's body must not have.
    pub fn absent(mut self, pointer: &'static str) -> Case {
        self.absent.push(pointer);
        self
    }

    /// The answer's exact body.
    pub fn text(mut self, expected: &'static str) -> Case {
        self.expect = Some(Expect::Text(expected));
        self
    }
}

/// An answer as read off the socket.
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Raw {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

/// Sends one request on a fresh connection and reads the answer (the connection is closed after it).
pub fn raw(es: &Es, method: &str, target: &str, body: Option<&str>, accept: Option<&str>) -> Raw {
    let addr = es.base.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let body = body.unwrap_or("");
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(accept) = accept {
        head.push_str(&format!("Accept: {accept}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("write head");
    s.write_all(body.as_bytes()).expect("write body");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read answer");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or((answer.as_str(), ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Raw {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Whether `actual` contains `expected` (see [`Expect::Json`]).
pub fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| contains(av, v))),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| contains(a, e))
        }
        (a, e) => a == e,
    }
}

/// Runs every case against `es`; fails listing every mismatch.
pub fn check(es: &Es, cases: &[Case]) {
    let mut failures = Vec::new();
    for c in cases {
        let r = raw(es, c.method, &c.target, c.body.as_deref(), c.accept);
        let mut wrong = Vec::new();
        if r.status != c.status {
            wrong.push(format!("status {} instead of {}", r.status, c.status));
        }
        if r.header("x-elastic-product") != "Elasticsearch" {
            wrong.push("no X-Elastic-Product: Elasticsearch".to_string());
        }
        if let Some(ct) = c.content_type {
            if !r.header("content-type").starts_with(ct) {
                wrong.push(format!(
                    "content type {:?} instead of {ct}",
                    r.header("content-type")
                ));
            }
        }
        match &c.expect {
            Some(Expect::Json(expected)) => match serde_json::from_str::<Value>(&r.body) {
                Ok(actual) if contains(&actual, expected) => {}
                _ => wrong.push(format!("body does not contain {expected}")),
            },
            Some(Expect::Text(expected)) if r.body != *expected => {
                wrong.push(format!("body is not {expected:?}"))
            }
            _ => {}
        }
        if !c.absent.is_empty() {
            let actual: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
            for pointer in &c.absent {
                if actual.pointer(pointer).is_some() {
                    wrong.push(format!("body has {pointer}"));
                }
            }
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "{} {}: {}\n    body: {}",
                c.method,
                c.target,
                wrong.join("; "),
                r.body
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn contains_is_a_recursive_subset() {
    let actual = serde_json::json!({"a": {"b": 1, "c": [1, {"d": 2, "e": 3}]}, "f": "x"});
    assert!(contains(
        &actual,
        &serde_json::json!({"a": {"c": [1, {"d": 2}]}})
    ));
    assert!(!contains(&actual, &serde_json::json!({"a": {"c": [1]}})));
    assert!(!contains(&actual, &serde_json::json!({"f": "y"})));
    assert!(!contains(&actual, &serde_json::json!({"g": null})));
}
