//! The condition language: a table of conditions against one event, parse errors with positions, and
//! properties (parsing never panics; printing an AST and parsing it again gives the same AST).

use logpipe_filter::condition::{CompareOp, Operand};
use logpipe_filter::{Condition, Event, FieldRef};
use proptest::prelude::*;
use serde_json::Value;

fn event() -> Event {
    Event::from_json_slice(
        br#"{"message":"GET /index.html 200","log":{"level":"DEBUG","offset":42},
             "http":{"response":{"status_code":503}},"tags":["web","_grokparsefailure"],
             "ratio":0.5,"flag":false,"nothing":null,"empty":"","service.name":"api",
             "list":["a","b"],"obj":{"k":1}}"#,
    )
    .expect("event")
}

#[test]
fn conditions_against_an_event() {
    let table: &[(&str, bool)] = &[
        (r#"[log][level] == "DEBUG""#, true),
        (r#"log.level == "DEBUG""#, true),
        (r#"[log][level] != "DEBUG""#, false),
        (r#"[log][level] == 'INFO'"#, false),
        ("[log][offset] == 42", true),
        ("[log][offset] == 42.0", true),
        (r#"[log][offset] == "42""#, false),
        ("[http][response][status_code] >= 500", true),
        ("[http][response][status_code] < 500", false),
        ("[ratio] > 0.25 and [ratio] <= 0.5", true),
        (r#"[log][level] < "E""#, true),
        (r#"[log][offset] < "z""#, false),
        (r#"[message] =~ /^GET /"#, true),
        (r#"[message] =~ "index\.html""#, true),
        (r#"[message] !~ /POST/"#, true),
        (r#"[missing] !~ /x/"#, true),
        (r#"[missing] =~ /x/"#, false),
        (r#""web" in [tags]"#, true),
        (r#""_grokparsefailure" not in [tags]"#, false),
        (r#""nope" not in [tags]"#, true),
        (r#"[log][level] in ["DEBUG", "TRACE"]"#, true),
        (r#"[log][offset] in [1, 42]"#, true),
        (r#""index" in [message]"#, true),
        (r#""k" in [obj]"#, true),
        (r#""x" in [missing]"#, false),
        ("[log][level]", true),
        ("[missing]", false),
        ("[flag]", false),
        ("[nothing]", false),
        ("[empty]", true),
        ("![missing]", true),
        ("not [log]", false),
        ("[service][name]", true),
        (r#"service.name == "api""#, true),
        (r#"[log][level] == "DEBUG" or [missing]"#, true),
        ("[missing] or [log] and [flag]", false),
        ("([missing] or [log]) and [flag]", false),
        ("[log] or [missing] and [flag]", true),
        ("[log] xor [message]", false),
        ("[log] xor [missing]", true),
        ("[log] nand [message]", false),
        ("[log] nand [missing]", true),
        (r#"!([log][level] == "DEBUG" and "web" in [tags])"#, false),
        (r#"not [log][level] == "INFO""#, true),
        ("[flag] == false", true),
        ("[list] == [\"a\", \"b\"]", true),
        ("[missing] == [also_missing]", true),
        ("[missing] != 1", true),
    ];
    let event = event();
    for (text, expected) in table {
        let condition = Condition::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(condition.eval(&event), *expected, "{text}");
        let printed = condition.to_string();
        assert_eq!(
            Condition::parse(&printed).as_ref(),
            Ok(&condition),
            "{text} printed as {printed}"
        );
    }
}

#[test]
fn errors_say_where() {
    let table: &[(&str, usize, &str)] = &[
        ("", 0, "empty"),
        ("[a] ==", 6, "ends where a value"),
        ("[a] == 1 1", 9, "unexpected number 1"),
        ("[b] or ([a] == 1", 7, "not closed"),
        (r#"[a] == "open"#, 7, "not closed"),
        ("[a] =~ /(/", 7, "bad regular expression"),
        ("[a] =~ 1", 7, "take a /regex/"),
        ("[a] == #", 7, "unexpected `#`"),
        ("[a][b", 3, "not closed"),
        ("[a] in [1, [b]]", 11, "a list holds"),
        ("a..b == 1", 0, "empty segment"),
        ("and", 0, "expected a value"),
    ];
    for (text, position, needle) in table {
        let err = Condition::parse(text).expect_err(text);
        assert_eq!(err.position, *position, "{text}: {err}");
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    let deep = format!("{}[a]{}", "(".repeat(500), ")".repeat(500));
    assert!(Condition::parse(&deep)
        .unwrap_err()
        .message
        .contains("nesting"));
}

#[test]
fn the_ast_is_what_the_text_says() {
    let parsed = Condition::parse(r#"[a] == 1 or [b] and not [c] =~ /x\/y/"#).expect("parses");
    let a = Condition::Compare {
        left: Operand::Field(FieldRef::parse("a").expect("ref")),
        op: CompareOp::Eq,
        right: Operand::Value(Value::from(1)),
    };
    let Condition::Or(left, right) = parsed else {
        panic!("or at the top")
    };
    assert_eq!(*left, a);
    let Condition::And(b, not_c) = *right else {
        panic!("and binds tighter")
    };
    assert_eq!(*b, Condition::Truthy(Operand::Field(FieldRef::root("b"))));
    let Condition::Not(c) = *not_c else {
        panic!("not")
    };
    let Condition::Match { regex, .. } = *c else {
        panic!("match")
    };
    assert_eq!(regex.as_str(), "x/y");
}

fn field() -> impl Strategy<Value = Operand> {
    prop::collection::vec("[a-z_@][a-z0-9_.@-]{0,5}", 1..4)
        .prop_map(|segments| Operand::Field(FieldRef::from_segments(segments).expect("non-empty")))
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
    ]
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        field(),
        scalar().prop_map(Operand::Value),
        any::<bool>().prop_map(|b| Operand::Value(Value::Bool(b))),
        prop::collection::vec(scalar(), 0..4).prop_map(|items| Operand::Value(Value::Array(items))),
    ]
}

fn regex_source() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("[a-z]+"),
            Just("\\d"),
            Just("."),
            Just("/"),
            Just("\\/"),
            Just("(?<x>b)"),
            Just("^"),
        ],
        0..5,
    )
    .prop_map(|parts| parts.concat())
    // `\/` reads back as `/`; both spell the same regex, the parser keeps the plain one.
    .prop_map(|source| source.replace("\\/", "/"))
}

fn leaf() -> impl Strategy<Value = Condition> {
    let ops = prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Lt),
        Just(CompareOp::Gt),
        Just(CompareOp::Le),
        Just(CompareOp::Ge),
    ];
    prop_oneof![
        (operand(), ops, operand()).prop_map(|(left, op, right)| Condition::Compare {
            left,
            op,
            right
        }),
        (operand(), regex_source(), any::<bool>()).prop_map(|(left, source, negated)| {
            Condition::Match {
                left,
                regex: logpipe_filter::Regex::new(&source).expect("generated regexes compile"),
                negated,
            }
        }),
        (operand(), operand(), any::<bool>()).prop_map(|(item, collection, negated)| {
            Condition::In {
                item,
                collection,
                negated,
            }
        }),
        operand().prop_map(Condition::Truthy),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    leaf().prop_recursive(5, 40, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::Xor(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| Condition::Nand(Box::new(a), Box::new(b))),
            inner.prop_map(|c| Condition::Not(Box::new(c))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn printing_then_parsing_gives_the_same_ast(condition in condition()) {
        let printed = condition.to_string();
        let reparsed = Condition::parse(&printed);
        prop_assert_eq!(reparsed.as_ref(), Ok(&condition), "printed: {}", printed);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        let _ = Condition::parse(&text);
    }

    #[test]
    fn parsing_condition_like_text_never_panics(
        parts in prop::collection::vec(
            prop_oneof![
                Just("["), Just("]"), Just("("), Just(")"), Just("=="), Just("!="), Just("=~"), Just("!~"),
                Just("<"), Just(">="), Just("and"), Just("or"), Just("not"), Just("in"), Just("!"), Just(","),
                Just("\""), Just("'"), Just("/"), Just("\\"), Just("-"), Just("1"), Just("2.5e3"), Just("a"),
                Just("[a]"), Just("b.c"), Just(" "), Just("true"), Just("xor"), Just("nand"),
            ],
            0..30,
        )
    ) {
        let text = parts.concat();
        if let Ok(condition) = Condition::parse(&text) {
            let _ = condition.eval(&event());
            let reparsed = Condition::parse(&condition.to_string());
            prop_assert_eq!(reparsed.as_ref(), Ok(&condition));
        }
    }
}
