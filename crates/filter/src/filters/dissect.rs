//! `dissect`: splits a field on the fixed delimiters between `%{…}` keys (Logstash's dissect filter).
//!
//! Keys: `%{name}` (a field, `[a][b]` or `a.b`), `%{}` or `%{?name}` (skipped; a named skip can name an
//! indirect field), `%{+name}` (appended to `name`, joined with the delimiter written before it — after it
//! for a key at the very start; `/N` orders the parts), `%{&name}` (stored in the field whose name the skip `%{?name}` captured), and a `->` suffix
//! (`%{name->}`: repeats of the following delimiter are padding and skipped). Text before the first key
//! must start the value; each key takes the text up to the next occurrence of its delimiter, the last key
//! the rest. If any delimiter is missing (or the source field is) nothing is written and the event is
//! tagged `_dissectfailure`. `convert_datatype` (`int`, `float`) converts fields after a dissection.

use super::Outcome;
use crate::error::{field, Invalid};
use crate::event::Event;
use crate::field_ref::FieldRef;
use crate::fields::Object;
use crate::spec::DissectSpec;
use memchr::memmem::Finder;
use serde_json::{Map, Value};
use std::borrow::Cow;

pub(crate) const FAILURE_TAG: &str = "_dissectfailure";

#[derive(Debug, Clone)]
pub(crate) struct DissectFilter {
    dissections: Vec<Dissection>,
    convert: Vec<(FieldRef, Conversion)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    Int,
    Float,
}

#[derive(Debug, Clone)]
struct Dissection {
    source: FieldRef,
    prefix: String,
    keys: Vec<Key>,
    /// Fields built from several keys (`%{a} %{+a}`): the field and its members (key index, order).
    appends: Vec<(FieldRef, Vec<(usize, u32)>)>,
    /// The fields written, grouped by their keys from the root (`None` when a field name depends on the
    /// line, `%{&name}`, or one field lies inside another: those are set one by one, in order).
    tree: Option<Vec<WriteNode>>,
}

/// One key of the fields a dissection writes: a value, or an object holding more of them. Writing the
/// nginx mapping with ECS names (`[http][request][method]`, `[http][response][status_code]`, …) as a tree
/// looks up or creates each object once per event, where setting field by field walked from the root for
/// each of the ten fields (measured in benches/filters.rs, `dissect_nginx_combined`: see `apply`).
#[derive(Debug, Clone)]
struct WriteNode {
    key: String,
    what: NodeKind,
}

#[derive(Debug, Clone)]
enum NodeKind {
    /// The index of the value in the dissection's `values` (field keys in order, then appended fields).
    Value(usize),
    Object(Vec<WriteNode>),
}

/// Adds `path` (written from `slot`) to the tree; `false` when it collides with a field already in it.
fn plant(nodes: &mut Vec<WriteNode>, path: &[String], slot: usize) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let at = nodes.iter().position(|n| n.key == *first);
    if rest.is_empty() {
        if at.is_some() {
            return false;
        }
        nodes.push(WriteNode {
            key: first.clone(),
            what: NodeKind::Value(slot),
        });
        return true;
    }
    let index = match at {
        Some(index) => index,
        None => {
            nodes.push(WriteNode {
                key: first.clone(),
                what: NodeKind::Object(Vec::new()),
            });
            nodes.len() - 1
        }
    };
    match &mut nodes[index].what {
        NodeKind::Object(children) => plant(children, rest, slot),
        NodeKind::Value(_) => false,
    }
}

/// Writes the tree's values into `map`, as setting each field would: objects on the way are created, or
/// replace a value that is not an object; a value replaces what was there.
fn write_tree<M: Object>(map: &mut M, nodes: &[WriteNode], values: &mut [String]) {
    for node in nodes {
        match &node.what {
            NodeKind::Value(slot) => {
                let value = std::mem::take(&mut values[*slot]);
                map.insert(node.key.clone(), Value::String(value));
            }
            NodeKind::Object(children) => match map.get_mut(&node.key) {
                Some(Value::Object(inner)) => write_tree(inner, children, values),
                _ => {
                    let mut inner = Map::new();
                    write_tree(&mut inner, children, values);
                    map.insert(node.key.clone(), Value::Object(inner));
                }
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Key {
    kind: KeyKind,
    /// Padding: skip repeats of the delimiter after the value.
    pad: bool,
    /// The delimiter before this key (the append separator).
    before: String,
    /// The delimiter after this key; `None` for the last key, which takes the rest.
    after: Option<Finder<'static>>,
}

#[derive(Debug, Clone)]
enum KeyKind {
    Field(FieldRef),
    /// Part of an appended field (see `Dissection::appends`).
    Appended,
    Skip,
    NamedSkip(String),
    Indirect(String),
}

impl Key {
    /// What joins this key's value to the parts before it in an appended field: the delimiter written
    /// before the key, or for a key at the very start the one after it.
    fn separator(&self) -> &str {
        if !self.before.is_empty() {
            return &self.before;
        }
        self.after
            .as_ref()
            .and_then(|finder| std::str::from_utf8(finder.needle()).ok())
            .unwrap_or(" ")
    }
}

impl DissectFilter {
    pub(crate) fn compile(spec: &DissectSpec) -> Result<DissectFilter, Invalid> {
        if spec.mapping.is_empty() {
            return Err(Invalid::new(
                "mapping",
                "give at least one field and its pattern",
            ));
        }
        let dissections = spec
            .mapping
            .iter()
            .map(|(source, pattern)| {
                Dissection::compile(field("mapping", source)?, pattern)
                    .map_err(|e| Invalid::new("mapping", e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let convert = spec
            .convert_datatype
            .iter()
            .map(|(name, kind)| {
                let conversion = match kind.as_str() {
                    "int" | "integer" => Conversion::Int,
                    "float" => Conversion::Float,
                    other => {
                        return Err(Invalid::new(
                            "convert_datatype",
                            format!("`{other}` is not a type (int or float)"),
                        ))
                    }
                };
                Ok((field("convert_datatype", name)?, conversion))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(DissectFilter {
            dissections,
            convert,
        })
    }

    pub(crate) fn apply(&self, event: &mut Event) -> Outcome {
        for dissection in &self.dissections {
            if !dissection.apply(event) {
                return Outcome::Failure;
            }
        }
        for (name, conversion) in &self.convert {
            if let Some(value) = event.get_mut(name) {
                let converted = value.as_str().and_then(|text| match conversion {
                    Conversion::Int => text.trim().parse::<i64>().ok().map(Value::from),
                    Conversion::Float => text
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number),
                });
                if let Some(converted) = converted {
                    *value = converted;
                }
            }
        }
        Outcome::Success
    }
}

/// A `mapping` pattern that cannot be used; names the pattern and the key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DissectError {
    #[error("`{0}`: it has no %{{…}} key")]
    NoKey(String),
    #[error("`{0}`: a %{{ is not closed")]
    Unclosed(String),
    #[error("`{pattern}`: keys `%{{{key}}}` and the next one have no delimiter between them")]
    NoDelimiter { pattern: String, key: String },
    #[error("`{pattern}`: `/{order}` in `%{{{key}}}` is not an order number")]
    BadOrder {
        pattern: String,
        key: String,
        order: String,
    },
    #[error("`{pattern}`: {source}")]
    BadField {
        pattern: String,
        source: crate::field_ref::FieldRefError,
    },
}

impl Dissection {
    fn compile(source: FieldRef, pattern: &str) -> Result<Dissection, DissectError> {
        let bad_field = |source| DissectError::BadField {
            pattern: pattern.to_string(),
            source,
        };
        let mut rest = pattern;
        let prefix_end = rest
            .find("%{")
            .ok_or_else(|| DissectError::NoKey(pattern.to_string()))?;
        let prefix = rest[..prefix_end].to_string();
        rest = &rest[prefix_end..];
        let mut raw: Vec<(&str, String)> = Vec::new();
        while let Some(body) = rest.strip_prefix("%{") {
            let close = body
                .find('}')
                .ok_or_else(|| DissectError::Unclosed(pattern.to_string()))?;
            let key = &body[..close];
            rest = &body[close + 1..];
            let delimiter_end = rest.find("%{").unwrap_or(rest.len());
            raw.push((key, rest[..delimiter_end].to_string()));
            rest = &rest[delimiter_end..];
        }
        let mut keys = Vec::with_capacity(raw.len());
        let mut appends: Vec<(FieldRef, Vec<(usize, u32)>)> = Vec::new();
        let mut plain_names: Vec<(FieldRef, usize)> = Vec::new();
        let mut previous_delimiter = prefix.clone();
        let count = raw.len();
        for (index, (key, delimiter)) in raw.into_iter().enumerate() {
            let (key, pad) = match key.strip_suffix("->") {
                Some(key) => (key, true),
                None => (key, false),
            };
            let after = if index + 1 == count && delimiter.is_empty() {
                None
            } else {
                if delimiter.is_empty() && index + 1 < count {
                    return Err(DissectError::NoDelimiter {
                        pattern: pattern.to_string(),
                        key: key.to_string(),
                    });
                }
                Some(Finder::new(delimiter.as_bytes()).into_owned())
            };
            let kind = match key.chars().next() {
                None => KeyKind::Skip,
                Some('?' | '*') if key.len() == 1 => KeyKind::Skip,
                Some('?' | '*') => KeyKind::NamedSkip(key[1..].to_string()),
                Some('&') => KeyKind::Indirect(key[1..].to_string()),
                Some('+') => {
                    let (name, order) = match key[1..].rsplit_once('/') {
                        Some((name, order)) => (
                            name,
                            order.parse::<u32>().map_err(|_| DissectError::BadOrder {
                                pattern: pattern.to_string(),
                                key: key.to_string(),
                                order: order.to_string(),
                            })?,
                        ),
                        None => (&key[1..], index as u32 + 1000),
                    };
                    let target = FieldRef::parse(name).map_err(bad_field)?;
                    match appends.iter_mut().find(|(f, _)| *f == target) {
                        Some((_, members)) => members.push((index, order)),
                        None => appends.push((target, vec![(index, order)])),
                    }
                    KeyKind::Appended
                }
                Some(_) => {
                    let target = FieldRef::parse(key).map_err(bad_field)?;
                    plain_names.push((target.clone(), index));
                    KeyKind::Field(target)
                }
            };
            keys.push(Key {
                kind,
                pad,
                before: std::mem::replace(&mut previous_delimiter, delimiter),
                after,
            });
        }
        // A plain key with the name of an appended field is its first part.
        for (target, members) in &mut appends {
            if let Some((_, index)) = plain_names.iter().find(|(f, _)| f == target) {
                members.push((*index, 0));
                keys[*index].kind = KeyKind::Appended;
            }
            members.sort_by_key(|&(index, order)| (order, index));
        }
        let tree = Dissection::write_tree(&keys, &appends);
        Ok(Dissection {
            source,
            prefix,
            keys,
            appends,
            tree,
        })
    }

    /// The tree of the fields written, in the order `values` lists them; `None` when they cannot be
    /// written as one tree (see `Dissection::tree`).
    fn write_tree(
        keys: &[Key],
        appends: &[(FieldRef, Vec<(usize, u32)>)],
    ) -> Option<Vec<WriteNode>> {
        let mut nodes = Vec::new();
        let mut slot = 0;
        for key in keys {
            match &key.kind {
                KeyKind::Field(target) => {
                    if !plant(&mut nodes, target.segments(), slot) {
                        return None;
                    }
                    slot += 1;
                }
                KeyKind::Indirect(_) => return None,
                KeyKind::Appended | KeyKind::Skip | KeyKind::NamedSkip(_) => {}
            }
        }
        for (target, _) in appends {
            if !plant(&mut nodes, target.segments(), slot) {
                return None;
            }
            slot += 1;
        }
        Some(nodes)
    }

    /// Dissects into the event; false (and the event untouched) when the value does not fit.
    fn apply(&self, event: &mut Event) -> bool {
        let Some(Value::String(text)) = event.get(&self.source) else {
            return false;
        };
        let Some(spans) = self.split(text) else {
            return false;
        };
        let value = |index: usize| &text[spans[index].0..spans[index].1];
        if let Some(tree) = &self.tree {
            // Measured (benches/filters.rs, thread CPU time, same machine and load, the filter alone):
            // the nginx mapping with ECS names went from 0.56 to 0.91 M events/s, top-level names from
            // 1.17 to 1.46 M/s (field by field, `Event::set` was 38 % of the filter's samples).
            let mut values: Vec<String> = Vec::with_capacity(self.keys.len());
            for (index, key) in self.keys.iter().enumerate() {
                if let KeyKind::Field(_) = key.kind {
                    values.push(value(index).to_string());
                }
            }
            for (_, members) in &self.appends {
                values.push(self.joined(members, &value));
            }
            write_tree(event.fields_mut(), tree, &mut values);
            return true;
        }
        let mut writes: Vec<(Cow<'_, FieldRef>, String)> = Vec::with_capacity(self.keys.len());
        for (index, key) in self.keys.iter().enumerate() {
            match &key.kind {
                KeyKind::Field(target) => {
                    writes.push((Cow::Borrowed(target), value(index).to_string()));
                }
                KeyKind::Indirect(name) => {
                    let named = self
                        .keys
                        .iter()
                        .enumerate()
                        .find_map(|(i, k)| match &k.kind {
                            KeyKind::NamedSkip(skip) if skip == name => Some(value(i)),
                            _ => None,
                        });
                    if let Some(target) = named.and_then(|n| FieldRef::parse(n).ok()) {
                        writes.push((Cow::Owned(target), value(index).to_string()));
                    }
                }
                KeyKind::Appended | KeyKind::Skip | KeyKind::NamedSkip(_) => {}
            }
        }
        for (target, members) in &self.appends {
            writes.push((Cow::Borrowed(target), self.joined(members, &value)));
        }
        for (target, text) in writes {
            event.set(&target, Value::String(text));
        }
        true
    }

    /// An appended field's value: its members joined by their separators.
    fn joined<'t>(&self, members: &[(usize, u32)], value: &impl Fn(usize) -> &'t str) -> String {
        let mut joined = String::new();
        for (position, &(index, _)) in members.iter().enumerate() {
            if position > 0 {
                joined.push_str(self.keys[index].separator());
            }
            joined.push_str(value(index));
        }
        joined
    }

    /// Byte ranges of each key's value, or `None` when a delimiter is missing.
    fn split(&self, text: &str) -> Option<Vec<(usize, usize)>> {
        if !text.starts_with(&self.prefix) {
            return None;
        }
        let bytes = text.as_bytes();
        let mut at = self.prefix.len();
        let mut spans = Vec::with_capacity(self.keys.len());
        for key in &self.keys {
            match &key.after {
                None => {
                    spans.push((at, bytes.len()));
                    at = bytes.len();
                }
                Some(finder) => {
                    let found = finder.find(&bytes[at..])?;
                    spans.push((at, at + found));
                    at += found + finder.needle().len();
                    if key.pad {
                        let needle = finder.needle();
                        while bytes[at..].starts_with(needle) {
                            at += needle.len();
                        }
                    }
                }
            }
        }
        Some(spans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mapping: &str, message: &str) -> (Outcome, Value) {
        run_spec(json!({"mapping": {"message": mapping}}), message)
    }

    fn run_spec(spec: Value, message: &str) -> (Outcome, Value) {
        let spec: DissectSpec = serde_json::from_value(spec).expect("spec");
        let filter = DissectFilter::compile(&spec).expect("compiles");
        let mut event = Event::with_message(message);
        let outcome = filter.apply(&mut event);
        (outcome, Value::Object(event.into_map()))
    }

    #[test]
    fn keys_and_modifiers() {
        let (outcome, e) = run(
            "%{ts} %{+ts} %{+ts} %{host} %{} %{prog}[%{pid}]: %{msg}",
            "Mar 16 00:01:25 evita mail postfix/smtpd[1713]: connect from camomile",
        );
        assert_eq!(outcome, Outcome::Success);
        assert_eq!(e["ts"], "Mar 16 00:01:25");
        assert_eq!(e["host"], "evita");
        assert_eq!(e["prog"], "postfix/smtpd");
        assert_eq!(e["pid"], "1713");
        assert_eq!(e["msg"], "connect from camomile");
        let (_, e) = run("%{+name/2} %{+name/1}", "john doe");
        assert_eq!(e["name"], "doe john");
        let (_, e) = run("%{?k1}=%{&k1} %{?k2}=%{&k2}", "user=alice role=admin");
        assert_eq!(e["user"], "alice");
        assert_eq!(e["role"], "admin");
        let (_, e) = run("%{a->} %{b}", "left      right");
        assert_eq!(
            (e["a"].as_str(), e["b"].as_str()),
            (Some("left"), Some("right"))
        );
        let (_, e) = run(
            "[%{[log][level]}] %{log.logger}: %{message}",
            "[WARN] main: disk at 91%",
        );
        assert_eq!(e["log"], json!({"level": "WARN", "logger": "main"}));
        assert_eq!(e["message"], "disk at 91%");
    }

    #[test]
    fn the_write_tree_writes_what_field_by_field_sets_write() {
        let nginx = r#"%{[source][address]} - %{[user][name]} [%{ts}] "%{[http][request][method]} %{[url][original]} HTTP/%{[http][version]}" %{[http][response][status_code]} %{[http][response][body][bytes]} "%{[http][request][referrer]}" "%{[user_agent][original]}""#;
        let line = r#"93.184.216.34 - frank [10/Oct/2026:13:55:36 +0200] "GET /a.gif HTTP/1.1" 200 2326 "http://example.com/" "Mozilla/5.0""#;
        let cases = [
            (nginx, line),
            ("%{a.b} %{a.c.d} %{+a.b} %{e}", "1 2 3 4"),
            ("%{ts} %{+ts} %{http.version} %{message}", "x y 1.1 rest"),
        ];
        // Events already holding some of the fields: an object to merge into, a value to replace.
        let starts = [
            json!({}),
            json!({"http": {"request": {"bytes": 1}, "version": 2}, "a": "scalar", "user": 7}),
            json!({"a": {"z": true}, "source": {"address": "old", "port": 1}}),
        ];
        for (pattern, message) in cases {
            let mut dissection =
                Dissection::compile(FieldRef::root("message"), pattern).expect("compiles");
            assert!(dissection.tree.is_some(), "{pattern}");
            for start in &starts {
                let mut fields = start.as_object().cloned().expect("object");
                fields.insert("message".into(), Value::from(message));
                let mut by_tree = Event::from_map(fields.clone());
                assert!(dissection.apply(&mut by_tree));
                let tree = dissection.tree.take();
                let mut one_by_one = Event::from_map(fields);
                assert!(dissection.apply(&mut one_by_one));
                dissection.tree = tree;
                assert_eq!(by_tree, one_by_one, "{pattern} on {start}");
                let keys = |e: &Event| e.fields().keys().cloned().collect::<Vec<_>>();
                assert_eq!(keys(&by_tree), keys(&one_by_one), "root key order");
            }
        }
        // Names that depend on the line, or a field inside another: set one by one.
        for pattern in ["%{?k}=%{&k}", "%{a} %{a.b}", "%{a.b} %{a}", "%{a} %{a}"] {
            let dissection =
                Dissection::compile(FieldRef::root("message"), pattern).expect("compiles");
            assert!(dissection.tree.is_none(), "{pattern}");
        }
    }

    #[test]
    fn failures_leave_the_event_alone() {
        let (outcome, e) = run("%{a} - %{b} | %{c}", "x - y without the bar");
        assert_eq!(outcome, Outcome::Failure);
        assert!(e.get("a").is_none() && e.get("b").is_none());
        assert_eq!(run("<%{a}>", "no angle").0, Outcome::Failure);
        let (outcome, _) = run_spec(json!({"mapping": {"absent": "%{a}"}}), "x");
        assert_eq!(outcome, Outcome::Failure);
    }

    #[test]
    fn conversions() {
        let (_, e) = run_spec(
            json!({"mapping": {"message": "%{status} %{bytes} %{ratio} %{odd}"},
                   "convert_datatype": {"status": "int", "ratio": "float", "odd": "int"}}),
            "200 512 0.5 n/a",
        );
        assert_eq!(e["status"], 200);
        assert_eq!(e["bytes"], "512");
        assert_eq!(e["ratio"], 0.5);
        assert_eq!(e["odd"], "n/a");
    }

    #[test]
    fn bad_patterns_are_errors() {
        for (spec, key) in [
            (json!({"mapping": {"message": "no keys"}}), "mapping"),
            (json!({"mapping": {"message": "%{a"}}), "mapping"),
            (json!({"mapping": {"message": "%{a}%{b}"}}), "mapping"),
            (json!({"mapping": {"message": "%{+a/x}"}}), "mapping"),
            (json!({"mapping": {}}), "mapping"),
            (
                json!({"mapping": {"message": "%{a}"}, "convert_datatype": {"a": "date"}}),
                "convert_datatype",
            ),
        ] {
            let spec: DissectSpec = serde_json::from_value(spec).expect("spec");
            assert_eq!(
                DissectFilter::compile(&spec).map(|_| ()).map_err(|e| e.key),
                Err(key.into())
            );
        }
        let err =
            Dissection::compile(FieldRef::root("message"), "%{+a/x}").expect_err("no order number");
        assert_eq!(
            err.to_string(),
            "`%{+a/x}`: `/x` in `%{+a/x}` is not an order number"
        );
    }
}
