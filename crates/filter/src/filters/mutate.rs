//! `mutate`: edits fields, in Logstash's order: coerce, rename, update, replace, convert, gsub, uppercase,
//! capitalize, lowercase, strip, split, join, merge, copy (then the common options: add_field, remove_field,
//! add_tag, remove_tag). Operations on an absent field do nothing; a value a conversion cannot read is left
//! as it is. Case changes, strip and gsub apply to strings and to the strings of a list.

use super::Outcome;
use crate::chain::FieldTemplate;
use crate::error::{field, Invalid};
use crate::event::Event;
use crate::field_ref::FieldRef;
use crate::regex::Regex;
use crate::spec::MutateSpec;
use crate::sprintf::{push_value, Template};
use serde_json::Value;

#[derive(Debug, Clone)]
pub(crate) struct MutateFilter {
    coerce: Vec<(FieldRef, Template)>,
    rename: Vec<(FieldRef, FieldTemplate)>,
    update: Vec<(FieldRef, Template)>,
    replace: Vec<(FieldTemplate, Template)>,
    convert: Vec<(FieldRef, Conversion)>,
    gsub: Vec<(FieldRef, Regex, String)>,
    uppercase: Vec<FieldRef>,
    capitalize: Vec<FieldRef>,
    lowercase: Vec<FieldRef>,
    strip: Vec<FieldRef>,
    split: Vec<(FieldRef, String)>,
    join: Vec<(FieldRef, String)>,
    merge: Vec<(FieldRef, FieldRef)>,
    copy: Vec<(FieldRef, FieldRef)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conversion {
    Integer,
    IntegerEu,
    Float,
    FloatEu,
    String,
    Boolean,
}

fn pairs<T>(
    key: &str,
    map: &indexmap::IndexMap<String, String>,
    mut value: impl FnMut(&str) -> Result<T, Invalid>,
) -> Result<Vec<(FieldRef, T)>, Invalid> {
    map.iter()
        .map(|(name, v)| Ok((field(key, name)?, value(v)?)))
        .collect()
}

fn template(key: &str) -> impl Fn(&str) -> Result<Template, Invalid> + '_ {
    move |text| Template::parse(text).map_err(|e| Invalid::new(key, format!("`{text}`: {e}")))
}

fn fields(key: &str, list: &crate::spec::StringList) -> Result<Vec<FieldRef>, Invalid> {
    list.iter().map(|name| field(key, name)).collect()
}

impl MutateFilter {
    pub(crate) fn compile(spec: &MutateSpec) -> Result<MutateFilter, Invalid> {
        if spec.gsub.len() % 3 != 0 {
            return Err(Invalid::new(
                "gsub",
                format!(
                    "takes triples [field, regex, replacement, …]; {} strings given",
                    spec.gsub.len()
                ),
            ));
        }
        let gsub = spec
            .gsub
            .chunks(3)
            .map(|triple| {
                let regex = Regex::new(&triple[1])
                    .map_err(|e| Invalid::new("gsub", format!("bad regex `{}`: {e}", triple[1])))?;
                Ok((field("gsub", &triple[0])?, regex, triple[2].clone()))
            })
            .collect::<Result<Vec<_>, Invalid>>()?;
        Ok(MutateFilter {
            coerce: pairs("coerce", &spec.coerce, template("coerce"))?,
            rename: pairs("rename", &spec.rename, |to| {
                FieldTemplate::compile("rename", to)
            })?,
            update: pairs("update", &spec.update, template("update"))?,
            replace: spec
                .replace
                .iter()
                .map(|(name, value)| {
                    Ok((
                        FieldTemplate::compile("replace", name)?,
                        template("replace")(value)?,
                    ))
                })
                .collect::<Result<_, Invalid>>()?,
            convert: pairs("convert", &spec.convert, |kind| {
                match kind {
                "integer" | "int" => Ok(Conversion::Integer),
                "integer_eu" => Ok(Conversion::IntegerEu),
                "float" => Ok(Conversion::Float),
                "float_eu" => Ok(Conversion::FloatEu),
                "string" => Ok(Conversion::String),
                "boolean" => Ok(Conversion::Boolean),
                other => Err(Invalid::new(
                    "convert",
                    format!("`{other}` is not a type (integer, integer_eu, float, float_eu, string, boolean)"),
                )),
            }
            })?,
            gsub,
            uppercase: fields("uppercase", &spec.uppercase)?,
            capitalize: fields("capitalize", &spec.capitalize)?,
            lowercase: fields("lowercase", &spec.lowercase)?,
            strip: fields("strip", &spec.strip)?,
            split: pairs("split", &spec.split, |sep| Ok(sep.to_string()))?,
            join: pairs("join", &spec.join, |sep| Ok(sep.to_string()))?,
            merge: pairs("merge", &spec.merge, |from| field("merge", from))?,
            copy: pairs("copy", &spec.copy, |to| field("copy", to))?,
        })
    }

    pub(crate) fn apply(&self, event: &mut Event) -> Outcome {
        for (name, value) in &self.coerce {
            if matches!(event.get(name), Some(Value::Null)) {
                let value = value.render(event);
                event.set(name, Value::String(value));
            }
        }
        for (from, to) in &self.rename {
            if !event.contains(from) {
                continue;
            }
            let Some(to) = to.resolve(event).map(|t| t.into_owned()) else {
                continue;
            };
            if let Some(value) = event.remove(from) {
                event.set(&to, value);
            }
        }
        for (name, value) in &self.update {
            if event.contains(name) {
                let value = value.render(event);
                event.set(name, Value::String(value));
            }
        }
        for (name, value) in &self.replace {
            if let Some(name) = name.resolve(event).map(|n| n.into_owned()) {
                let value = value.render(event);
                event.set(&name, Value::String(value));
            }
        }
        for (name, conversion) in &self.convert {
            if let Some(value) = event.get_mut(name) {
                convert(value, *conversion);
            }
        }
        for (name, regex, replacement) in &self.gsub {
            if let Some(value) = event.get_mut(name) {
                each_string(value, &mut |text| regex.replace_all(text, replacement));
            }
        }
        self.case(event, &self.uppercase, &|s: &str| s.to_uppercase());
        self.case(event, &self.capitalize, &capitalize);
        self.case(event, &self.lowercase, &|s: &str| s.to_lowercase());
        self.case(event, &self.strip, &|s: &str| s.trim().to_string());
        for (name, separator) in &self.split {
            if let Some(value) = event.get_mut(name) {
                if let Value::String(text) = value {
                    *value = Value::Array(split(text, separator));
                }
            }
        }
        for (name, separator) in &self.join {
            if let Some(value @ Value::Array(_)) = event.get_mut(name) {
                let mut joined = String::new();
                if let Value::Array(items) = value {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            joined.push_str(separator);
                        }
                        push_value(&mut joined, item);
                    }
                }
                *value = Value::String(joined);
            }
        }
        for (into, from) in &self.merge {
            let Some(added) = event.get(from).cloned() else {
                continue;
            };
            match event.get_mut(into) {
                None => {
                    event.set(into, added);
                }
                Some(existing) => merge(existing, added),
            }
        }
        for (from, to) in &self.copy {
            if let Some(value) = event.get(from).cloned() {
                event.set(to, value);
            }
        }
        Outcome::Success
    }

    fn case(&self, event: &mut Event, names: &[FieldRef], change: &dyn Fn(&str) -> String) {
        for name in names {
            if let Some(value) = event.get_mut(name) {
                each_string(value, &mut |text| change(text));
            }
        }
    }
}

/// Applies `change` to a string, or to every string of a list.
fn each_string(value: &mut Value, change: &mut dyn FnMut(&str) -> String) {
    match value {
        Value::String(text) => *text = change(text),
        Value::Array(items) => {
            for item in items {
                if let Value::String(text) = item {
                    *text = change(text);
                }
            }
        }
        _ => {}
    }
}

/// Ruby's `capitalize`: first character upper case, the rest lower case.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// Ruby's `split`: trailing empty parts are dropped; an empty separator splits into characters.
fn split(text: &str, separator: &str) -> Vec<Value> {
    let mut parts: Vec<Value> = if separator.is_empty() {
        text.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        text.split(separator).map(Value::from).collect()
    };
    while parts.last().is_some_and(|p| p.as_str() == Some("")) {
        parts.pop();
    }
    parts
}

fn merge(existing: &mut Value, added: Value) {
    match (existing, added) {
        (Value::Object(into), Value::Object(from)) => into.extend(from),
        (Value::Array(into), Value::Array(mut from)) => into.append(&mut from),
        (Value::Array(into), added) => into.push(added),
        (existing, added) => {
            let first = existing.take();
            let mut list = vec![first];
            match added {
                Value::Array(mut items) => list.append(&mut items),
                other => list.push(other),
            }
            *existing = Value::Array(list);
        }
    }
}

fn convert(value: &mut Value, conversion: Conversion) {
    if let Value::Array(items) = value {
        for item in items {
            convert(item, conversion);
        }
        return;
    }
    let converted = match conversion {
        Conversion::Integer => to_integer(value, false),
        Conversion::IntegerEu => to_integer(value, true),
        Conversion::Float => to_float(value, false),
        Conversion::FloatEu => to_float(value, true),
        Conversion::String => match &*value {
            Value::String(_) | Value::Null => None,
            other => {
                let mut text = String::new();
                push_value(&mut text, other);
                Some(Value::String(text))
            }
        },
        Conversion::Boolean => to_boolean(value),
    };
    if let Some(converted) = converted {
        *value = converted;
    }
}

/// `1.234,5` → `1234.5`.
fn european(text: &str) -> String {
    text.replace('.', "").replace(',', ".")
}

fn to_integer(value: &Value, eu: bool) -> Option<Value> {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => None,
        Value::Number(n) => truncate(n.as_f64()?),
        Value::Bool(b) => Some(Value::from(i64::from(*b))),
        Value::String(text) => {
            let text = if eu {
                european(text.trim())
            } else {
                text.trim().replace('_', "")
            };
            match text.parse::<i64>() {
                Ok(i) => Some(Value::from(i)),
                Err(_) => truncate(text.parse::<f64>().ok()?),
            }
        }
        _ => None,
    }
}

fn truncate(f: f64) -> Option<Value> {
    (f.is_finite() && f.abs() < 9.2e18).then(|| Value::from(f.trunc() as i64))
}

fn to_float(value: &Value, eu: bool) -> Option<Value> {
    let f = match value {
        Value::Number(n) => n.as_f64()?,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(text) => {
            let text = if eu {
                european(text.trim())
            } else {
                text.trim().to_string()
            };
            text.parse::<f64>().ok()?
        }
        _ => return None,
    };
    serde_json::Number::from_f64(f).map(Value::Number)
}

fn to_boolean(value: &Value) -> Option<Value> {
    match value {
        Value::String(text) => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "1" | "1.0" => Some(Value::Bool(true)),
            "false" | "f" | "no" | "n" | "0" | "0.0" => Some(Value::Bool(false)),
            _ => None,
        },
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(Value::Bool(true)),
            Some(0.0) => Some(Value::Bool(false)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(spec: Value, event: Value) -> Value {
        let spec: MutateSpec = serde_json::from_value(spec).expect("spec");
        let filter = MutateFilter::compile(&spec).expect("compiles");
        let mut event = Event::from_map(event.as_object().cloned().expect("object"));
        assert_eq!(filter.apply(&mut event), Outcome::Success);
        Value::Object(event.into_map())
    }

    #[test]
    fn operations() {
        let event = run(
            json!({
                "coerce": {"nil": "default"},
                "rename": {"lvl": "log.level", "absent": "x"},
                "update": {"app": "%{app}-v2", "nothere": "y"},
                "replace": {"env": "prod-%{app}"},
                "convert": {"status": "integer", "ratio": "float", "ok": "boolean", "n": "string",
                            "eu": "float_eu", "many": "integer", "bad": "integer"},
                "gsub": ["path", "/+", "/", "path", "v(\\d)", "version\\1"],
                "uppercase": ["verb"],
                "capitalize": ["name"],
                "lowercase": ["list"],
                "strip": ["padded"],
                "split": {"csv": ","},
                "join": {"parts": "-"},
                "merge": {"tags": "more"},
                "copy": {"status": "http.status"}
            }),
            json!({"nil": null, "lvl": "warn", "app": "shop", "status": "404", "ratio": "0.25", "ok": "yes",
                   "n": 5, "eu": "1.234,5", "many": ["1", "2.9", "x"], "bad": "abc", "path": "//api//v1",
                   "verb": "get", "name": "aLICE", "list": ["A", "B"], "padded": "  x  ", "csv": "a,b,,",
                   "parts": ["a", 1, true], "tags": "t1", "more": ["t2", "t3"]}),
        );
        assert_eq!(event["nil"], "default");
        assert_eq!(event["log"]["level"], "warn");
        assert!(event.get("lvl").is_none() && event.get("x").is_none());
        assert_eq!(event["app"], "shop-v2");
        assert!(event.get("nothere").is_none());
        assert_eq!(event["env"], "prod-shop-v2");
        assert_eq!(event["status"], 404);
        assert_eq!(event["http"]["status"], 404);
        assert_eq!(event["ratio"], 0.25);
        assert_eq!(event["ok"], true);
        assert_eq!(event["n"], "5");
        assert_eq!(event["eu"], 1234.5);
        assert_eq!(event["many"], json!([1, 2, "x"]));
        assert_eq!(event["bad"], "abc");
        assert_eq!(event["path"], "/api/version1");
        assert_eq!(event["verb"], "GET");
        assert_eq!(event["name"], "Alice");
        assert_eq!(event["list"], json!(["a", "b"]));
        assert_eq!(event["padded"], "x");
        assert_eq!(event["csv"], json!(["a", "b"]));
        assert_eq!(event["parts"], "a-1-true");
        assert_eq!(event["tags"], json!(["t1", "t2", "t3"]));
    }

    #[test]
    fn order_is_logstash_s() {
        // rename runs before convert, and convert before copy, whatever order the config lists them in.
        let event = run(
            json!({"copy": {"code": "copied"}, "convert": {"code": "integer"}, "rename": {"status": "code"}}),
            json!({"status": "200"}),
        );
        assert_eq!(event["code"], 200);
        assert_eq!(event["copied"], 200);
    }

    #[test]
    fn bad_config_names_the_key() {
        let compile = |spec: Value| {
            MutateFilter::compile(&serde_json::from_value::<MutateSpec>(spec).expect("spec"))
                .map(|_| ())
                .map_err(|e| e.key)
        };
        assert_eq!(
            compile(json!({"convert": {"a": "number"}})),
            Err("convert".into())
        );
        assert_eq!(compile(json!({"gsub": ["a", "b"]})), Err("gsub".into()));
        assert_eq!(
            compile(json!({"gsub": ["a", "(", "x"]})),
            Err("gsub".into())
        );
        assert_eq!(
            compile(json!({"rename": {"a..b": "c"}})),
            Err("rename".into())
        );
    }
}
