//! Every filter on real log lines, as a table: filters (the TOML a user writes) + a line → the event.
//!
//! Each case starts from the event the agent ships for a line (`@timestamp` = read time, `message`,
//! `host.name`, `log.file.path`, `log.offset`, `event.id`) and checks the fields the case names (a subset of
//! the result), the fields that must be gone, and the verdict.

use logpipe_filter::{compile, Event, FilterSpec, Verdict};
use serde::Deserialize;
use serde_json::{json, Value};

const READ_AT: &str = "2026-11-22T04:51:21.123Z";

const NGINX: &str = r#"93.184.216.34 - frank [10/Oct/2026:13:55:36 +0200] "GET /apache_pb.gif?user=42 HTTP/1.1" 200 2326 "http://www.example.com/start.html" "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0""#;
const JSON_APP: &str = r#"{"ts":"2026-11-21T23:59:58.5+01:00","level":"error","logger":"billing.Invoice","msg":"payment declined","user":{"id":42},"duration_ms":12.5,"event":{"id":"forged"},"log.origin.function":"charge"}"#;
const SYSLOG: &str =
    "Nov  3 04:05:06 web-1 sshd[1234]: Accepted publickey for deploy from 10.0.0.7 port 52144 ssh2";
const JAVA_TRACE: &str = "2026-11-22 04:51:20,117 ERROR [http-nio-8080-exec-3] c.e.shop.OrderService - Order failed\njava.lang.IllegalStateException: inventory is negative\n\tat com.example.shop.Inventory.take(Inventory.java:88)\n\tat com.example.shop.OrderService.place(OrderService.java:41)\n\tat java.base/java.lang.Thread.run(Thread.java:833)";

#[derive(Deserialize)]
struct Filters {
    filters: Vec<FilterSpec>,
}

fn agent_event(line: &str) -> Event {
    Event::from_map(
        json!({"@timestamp": READ_AT, "message": line, "host": {"name": "web-1"},
               "log": {"file": {"path": "/var/log/app.log"}, "offset": 4096}, "event": {"id": "0123abcd"}})
        .as_object()
        .cloned()
        .expect("object"),
    )
}

struct Case {
    name: &'static str,
    filters: &'static str,
    line: &'static str,
    expect: Value,
    gone: &'static [&'static str],
    verdict: Verdict,
}

/// Every key of `expected` is in `actual` with the same value (objects compared key by key).
fn assert_subset(case: &str, path: &str, expected: &Value, actual: &Value) {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let inner = format!("{path}.{key}");
                let Some(found) = have.get(key) else {
                    panic!("{case}: {inner} missing in {actual}");
                };
                assert_subset(case, &inner, value, found);
            }
        }
        _ => assert_eq!(actual, expected, "{case}: {path}"),
    }
}

fn run(case: &Case) {
    let spec: Filters =
        toml::from_str(case.filters).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let chain = compile(&spec.filters).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let mut event = agent_event(case.line);
    let verdict = chain.apply(&mut event);
    assert_eq!(verdict, case.verdict, "{}", case.name);
    let actual = Value::Object(event.into_map());
    assert_subset(case.name, "", &case.expect, &actual);
    for gone in case.gone {
        let field = logpipe_filter::FieldRef::parse(gone).expect("field");
        assert!(
            field.get(actual.as_object().expect("object")).is_none(),
            "{}: {gone} should be gone from {actual}",
            case.name
        );
    }
}

#[test]
fn filters_on_real_lines() {
    let cases = [
        Case {
            name: "nginx combined, dissect + date + convert",
            filters: r#"filters = [
                { dissect = { mapping = { message = '%{[source][address]} - %{[user][name]} [%{ts}] "%{[http][request][method]} %{[url][original]} HTTP/%{[http][version]}" %{[http][response][status_code]} %{[http][response][body][bytes]} "%{[http][request][referrer]}" "%{[user_agent][original]}"' }, convert_datatype = { "http.response.status_code" = "int", "http.response.body.bytes" = "int" } } },
                { date = { match = ["ts", "dd/MMM/yyyy:HH:mm:ss Z"], remove_field = ["ts"] } },
            ]"#,
            line: NGINX,
            expect: json!({
                "@timestamp": "2026-10-10T11:55:36.000Z",
                "event": {"ingested": READ_AT, "id": "0123abcd"},
                "source": {"address": "93.184.216.34"}, "user": {"name": "frank"},
                "http": {"request": {"method": "GET", "referrer": "http://www.example.com/start.html"},
                         "version": "1.1", "response": {"status_code": 200, "body": {"bytes": 2326}}},
                "url": {"original": "/apache_pb.gif?user=42"},
                "user_agent": {"original": "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/119.0"},
            }),
            gone: &["ts", "tags"],
            verdict: Verdict::Keep,
        },
        Case {
            name: "nginx combined, grok COMBINEDAPACHELOG (ECS names) + date",
            filters: r#"filters = [
                { grok = { match = { message = "%{COMBINEDAPACHELOG}" } } },
                { date = { match = ["timestamp", "dd/MMM/yyyy:HH:mm:ss Z"], remove_field = ["timestamp"] } },
            ]"#,
            line: NGINX,
            expect: json!({
                "@timestamp": "2026-10-10T11:55:36.000Z",
                "source": {"address": "93.184.216.34"}, "user": {"name": "frank"},
                "http": {"request": {"method": "GET", "referrer": "http://www.example.com/start.html"},
                         "version": "1.1", "response": {"status_code": 200, "body": {"bytes": 2326}}},
                "url": {"original": "/apache_pb.gif?user=42"},
            }),
            gone: &["timestamp", "tags", "apache"],
            verdict: Verdict::Keep,
        },
        Case {
            name: "nginx combined, grok with legacy names",
            filters: r#"filters = [ { grok = { match = { message = "%{COMBINEDAPACHELOG}" }, ecs_compatibility = "disabled" } } ]"#,
            line: NGINX,
            expect: json!({
                "clientip": "93.184.216.34", "ident": "-", "auth": "frank", "timestamp": "10/Oct/2026:13:55:36 +0200",
                "verb": "GET", "request": "/apache_pb.gif?user=42", "httpversion": "1.1", "response": "200",
                "bytes": "2326", "referrer": "\"http://www.example.com/start.html\"",
            }),
            gone: &["tags"],
            verdict: Verdict::Keep,
        },
        Case {
            name: "JSON application log: json + date + mutate",
            filters: r#"filters = [
                { json = { source = "message" } },
                { date = { match = ["ts", "ISO8601"], remove_field = ["ts"] } },
                { mutate = { rename = { level = "log.level", logger = "log.logger", msg = "message" }, add_tag = ["app"] } },
            ]"#,
            line: JSON_APP,
            expect: json!({
                "@timestamp": "2026-11-21T22:59:58.500Z",
                "message": "payment declined",
                "log": {"level": "error", "logger": "billing.Invoice", "offset": 4096,
                        "file": {"path": "/var/log/app.log"}, "origin": {"function": "charge"}},
                "event": {"id": "0123abcd", "ingested": READ_AT},
                "user": {"id": 42}, "duration_ms": 12.5, "tags": ["app"], "host": {"name": "web-1"},
            }),
            gone: &["level", "logger", "msg", "ts"],
            verdict: Verdict::Keep,
        },
        Case {
            name: "syslog: grok SYSLOGLINE + date with both day paddings",
            filters: r#"filters = [
                { grok = { match = { message = "%{SYSLOGLINE}" }, overwrite = ["message"] } },
                { date = { match = ["timestamp", "MMM  d HH:mm:ss", "MMM dd HH:mm:ss"], timezone = "Europe/Berlin" } },
            ]"#,
            line: SYSLOG,
            expect: json!({
                "host": {"hostname": "web-1", "name": "web-1"},
                "process": {"name": "sshd", "pid": 1234},
                "message": "Accepted publickey for deploy from 10.0.0.7 port 52144 ssh2",
                "timestamp": "Nov  3 04:05:06",
            }),
            gone: &["tags"],
            verdict: Verdict::Keep,
        },
        Case {
            name: "Java stack trace joined by multiline, then grokked",
            filters: r#"filters = [
                { grok = { match = { message = '(?m)^%{TIMESTAMP_ISO8601:ts} %{LOGLEVEL:[log][level]} \[%{DATA:[process][thread][name]}\] %{JAVACLASS:[log][logger]} - %{DATA:summary}\n%{JAVACLASS:[error][type]}: %{DATA:[error][message]}\n%{JAVASTACKTRACEPART}' } } },
                { date = { match = ["ts", "yyyy-MM-dd HH:mm:ss,SSS"], remove_field = ["ts"] } },
            ]"#,
            line: JAVA_TRACE,
            expect: json!({
                "@timestamp": "2026-11-22T04:51:20.117Z",
                "log": {"level": "ERROR", "logger": "c.e.shop.OrderService",
                        "origin": {"function": "take", "file": {"name": "Inventory.java", "line": 88}}},
                "process": {"thread": {"name": "http-nio-8080-exec-3"}},
                "summary": "Order failed",
                "error": {"type": "java.lang.IllegalStateException", "message": "inventory is negative"},
                "java": {"log": {"origin": {"class": {"name": "com.example.shop.Inventory"}}}},
            }),
            gone: &["tags", "ts"],
            verdict: Verdict::Keep,
        },
        Case {
            name: "drop DEBUG lines after json",
            filters: r#"filters = [
                { json = { source = "message" } },
                { drop = { if = '[log][level] == "DEBUG" or [level] == "debug"' } },
            ]"#,
            line: r#"{"level":"debug","msg":"noise"}"#,
            expect: json!({}),
            gone: &[],
            verdict: Verdict::Drop,
        },
        Case {
            name: "drop keeps what its condition does not hold for; a bare drop drops",
            filters: r#"filters = [
                { drop = { if = '"health" in [message]' } },
                { mutate = { add_field = { kept = "yes" } } },
            ]"#,
            line: "GET /orders 200",
            expect: json!({"kept": "yes"}),
            gone: &[],
            verdict: Verdict::Keep,
        },
        Case {
            name: "a filter runs only under its condition",
            filters: r#"filters = [
                { grok = { if = '[message] =~ /^GET/', match = { message = "%{WORD:verb}" } } },
                { grok = { if = '[message] !~ /^GET/', match = { message = "%{WORD:other}" } } },
            ]"#,
            line: "GET /",
            expect: json!({"verb": "GET"}),
            gone: &["other", "tags"],
            verdict: Verdict::Keep,
        },
        Case {
            name:
                "common options on success: add_field with sprintf, list on existing, remove, tags",
            filters: r#"filters = [
                { dissect = { mapping = { message = "%{verb} %{path}" }, add_field = { route = "%{verb} %{path}", "host.name" = "also-%{verb}" }, remove_field = ["verb"], add_tag = ["routed", "via-%{path}"], remove_tag = ["old"] } },
            ]"#,
            line: "GET /a",
            expect: json!({"route": "GET /a", "host": {"name": ["web-1", "also-GET"]}, "tags": ["routed", "via-/a"], "path": "/a"}),
            gone: &["verb"],
            verdict: Verdict::Keep,
        },
        Case {
            name: "failure tags, each filter its own, options not applied",
            filters: r#"filters = [
                { json = { source = "message", add_tag = ["never"] } },
                { date = { match = ["message", "ISO8601"] } },
                { dissect = { mapping = { message = "%{a}|%{b}" } } },
                { grok = { match = { message = "^%{INT}$" } } },
                { grok = { match = { message = "^%{INT}$" }, tag_on_failure = ["no_int", "custom"] } },
            ]"#,
            line: "plain words",
            expect: json!({"tags": ["_jsonparsefailure", "_dateparsefailure", "_dissectfailure", "_grokparsefailure", "no_int", "custom"], "message": "plain words", "@timestamp": READ_AT}),
            gone: &["a", "event.ingested"],
            verdict: Verdict::Keep,
        },
    ];
    for case in &cases {
        run(case);
    }
}

#[test]
fn config_errors_name_the_filter_and_key() {
    let table = [
        (
            r#"{ grok = { match = { message = "%{COMBINEDAPACHELOGG}" } } }"#,
            "filters[1].grok.match: unknown pattern COMBINEDAPACHELOGG",
        ),
        (
            r#"{ date = { match = ["ts", "dd/MMM/yyyy QQ"] } }"#,
            "filters[1].date.match: ",
        ),
        (
            r#"{ date = { match = ["ts", "ISO8601"], timezone = "Mars/Base" } }"#,
            "filters[1].date.timezone: ",
        ),
        (
            r#"{ dissect = { mapping = { message = "%{a" } } }"#,
            "filters[1].dissect.mapping: ",
        ),
        (
            r#"{ mutate = { convert = { a = "decimal" } } }"#,
            "filters[1].mutate.convert: ",
        ),
        (r#"{ drop = { if = '[a] === 1' } }"#, "filters[1].drop.if: "),
        (
            r#"{ json = { source = "a..b" } }"#,
            "filters[1].json.source: ",
        ),
        (
            r#"{ mutate = { add_field = { "x" = "%{" } } }"#,
            "filters[1].mutate.add_field: ",
        ),
        (
            r#"{ json = { source = "m", remove_field = ["[a"] } }"#,
            "filters[1].json.remove_field: ",
        ),
    ];
    for (second, expected) in table {
        let text = format!("filters = [ {{ json = {{ source = \"message\" }} }}, {second} ]");
        let spec: Filters = toml::from_str(&text).unwrap_or_else(|e| panic!("{second}: {e}"));
        let err = compile(&spec.filters).expect_err(second).to_string();
        assert!(err.starts_with(expected), "{second}: got `{err}`");
    }
}

#[test]
fn an_empty_chain_keeps_the_event_as_it_is() {
    let chain = compile(&[]).expect("compiles");
    assert!(chain.is_empty());
    let mut event = agent_event(NGINX);
    let before = event.clone();
    assert_eq!(chain.apply(&mut event), Verdict::Keep);
    assert_eq!(event, before);
}

#[test]
fn filters_from_an_etcd_json_value() {
    let value = r#"[{"path":"/var/log/app/*.log","topic":"app","filters":[{"json":{"source":"message"}},{"drop":{"if":"[level] == \"debug\""}}]}]"#;
    #[derive(Deserialize)]
    struct Entry {
        filters: Vec<FilterSpec>,
    }
    let entries: Vec<serde_json::Value> = serde_json::from_str(value).expect("json");
    let entry: Entry =
        serde_json::from_value(json!({"filters": entries[0]["filters"]})).expect("entry");
    let chain = compile(&entry.filters).expect("compiles");
    let mut event = agent_event(r#"{"level":"debug"}"#);
    assert_eq!(chain.apply(&mut event), Verdict::Drop);
}
