//! Properties: no input line, pattern, template or time text makes the crate panic.

use logpipe_filter::{
    compile, Event, FieldRef, FilterSpec, JodaPattern, Locale, Template, Timestamp, Zone,
};
use proptest::prelude::*;
use serde_json::json;

fn chain(filters: serde_json::Value) -> logpipe_filter::FilterChain {
    let specs: Vec<FilterSpec> = serde_json::from_value(filters).expect("specs");
    compile(&specs).expect("compiles")
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Lines shaped like access logs, with the delimiters mixed up.
        prop::collection::vec(
            prop_oneof![
                Just("93.184.216.34"),
                Just(" - "),
                Just(" "),
                Just("["),
                Just("]"),
                Just("\""),
                Just("10/Oct/2026:13:55:36 +0200"),
                Just("GET"),
                Just("/x?y=1"),
                Just("HTTP/1.1"),
                Just("200"),
                Just("-"),
                Just("ä€"),
                Just("\\\""),
                Just("::1"),
            ],
            0..24,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn dissect_and_grok_never_panic_on_lines(message in line()) {
        let filters = chain(json!([
            {"dissect": {"mapping": {"message": "%{client} - %{user} [%{ts}] \"%{verb} %{path->} %{proto}\" %{status} %{bytes}"},
                         "convert_datatype": {"status": "int"}}},
            {"dissect": {"mapping": {"message": "%{+a/2} %{+a/1} %{?k}=%{&k}"}}},
            {"grok": {"match": {"message": ["%{COMBINEDAPACHELOG}", "%{SYSLOGLINE}", "%{GREEDYDATA:rest}"]},
                      "break_on_match": false}},
            {"date": {"match": ["ts", "dd/MMM/yyyy:HH:mm:ss Z", "ISO8601", "UNIX", "UNIX_MS", "TAI64N"]}},
            {"json": {"source": "message"}},
            {"mutate": {"convert": {"bytes": "integer"}, "gsub": ["message", "[aeiou]+", "\\0\\1"], "split": {"path": "/"}}},
        ]));
        let mut event = Event::with_message(message);
        let _ = filters.apply(&mut event);
    }

    #[test]
    fn dissect_patterns_never_panic(pattern in "(%\\{[?+&*]?[a-z]{0,3}(/[0-9])?(->)?\\}|[ %{}\\-|a-z]){0,12}", message in line()) {
        let specs: Result<Vec<FilterSpec>, _> =
            serde_json::from_value(json!([{"dissect": {"mapping": {"message": pattern}}}]));
        if let Ok(chain) = compile(&specs.expect("specs")) {
            let mut event = Event::with_message(message);
            let _ = chain.apply(&mut event);
        }
    }

    #[test]
    fn grok_patterns_never_panic(pattern in "(%\\{[A-Z0-9_]{0,10}(:[a-z\\[\\]]{0,6}(:(int|float|x))?)?\\}|\\(\\?<[a-z]{0,3}>|[()|.*+?\\\\a-z ]){0,10}", message in line()) {
        let specs: Vec<FilterSpec> =
            serde_json::from_value(json!([{"grok": {"match": {"message": pattern}}}])).expect("specs");
        if let Ok(chain) = compile(&specs) {
            let mut event = Event::with_message(message);
            let _ = chain.apply(&mut event);
        }
    }

    #[test]
    fn references_templates_and_times_never_panic(text in any::<String>(), pattern in "[a-zA-Z' .:/-]{0,12}") {
        let _ = FieldRef::parse(&text);
        let event = Event::with_message(text.clone());
        if let Ok(template) = Template::parse(&text) {
            let _ = template.render(&event);
            let _ = template.render_strict(event.fields(), &|_| None);
        }
        let _ = Timestamp::parse_iso8601(&text, &Zone::UTC);
        if let Ok(joda) = JodaPattern::compile(&pattern) {
            let _ = joda.parse(&text, &Zone::UTC, &Locale::ENGLISH, Timestamp::from_millis(0));
            let mut out = String::new();
            joda.format(Timestamp::from_millis(-62_000_000_000_000), &mut out);
        }
    }
}
