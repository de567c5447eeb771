//! `docvalue_fields` and `fields` of a search: the values of the fields they name (names or `*` patterns,
//! with an optional date `format`) shown under each hit's `fields`, every value in an array, as ES shows
//! them. The values are read from the hit's `_source` (the store keeps no separate doc values): a
//! `name.keyword` is the string `name`, a date field is written in the format asked (ES's
//! `strict_date_optional_time` unless said).

use serde_json::{Map, Value};

use crate::doc::date::{format_date, parse_date, DateZone};
use crate::doc::schema::F_TS;
use crate::search::error::RequestError;
use crate::wildcard;

/// One entry of `docvalue_fields` / `fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// A field name or `*` pattern.
    pub field: String,
    /// The format of dates.
    pub format: Option<String>,
}

impl FieldSpec {
    /// A name without a format.
    pub fn named(field: String) -> FieldSpec {
        FieldSpec {
            field,
            format: None,
        }
    }
}

/// The entries of `docvalue_fields` or `fields` (`key`): names, or `{"field": .., "format": ..}`.
pub fn parse_field_specs(
    v: Option<&Value>,
    key: &'static str,
) -> Result<Vec<FieldSpec>, RequestError> {
    let items: Vec<&Value> = match v {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => vec![other],
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => Ok(FieldSpec::named(s.clone())),
            Value::Object(o) => match o.get("field").and_then(Value::as_str) {
                Some(f) => Ok(FieldSpec {
                    field: f.to_string(),
                    format: o.get("format").and_then(Value::as_str).map(str::to_string),
                }),
                None => Err(RequestError::FieldsEntry {
                    key,
                    found: item.to_string(),
                }),
            },
            other => Err(RequestError::FieldsEntry {
                key,
                found: other.to_string(),
            }),
        })
        .collect()
}

/// Every leaf of `source` by its dotted path, arrays flattened, in document order.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&path, v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| leaves(prefix, v, out)),
        Value::Null => {}
        leaf => out.push((prefix.to_string(), leaf.clone())),
    }
}

/// The `fields` of a hit whose source is `source` (`None`: no spec matched anything).
pub fn hit_fields(
    specs: &[FieldSpec],
    source: &Value,
    is_date: &dyn Fn(&str) -> bool,
) -> Option<Value> {
    if specs.is_empty() {
        return None;
    }
    let mut all = Vec::new();
    leaves("", source, &mut all);
    let mut out = Map::new();
    for spec in specs {
        // A field named by two specs (in `docvalue_fields` and `fields`) shows the later one's values,
        // once, as ES's fetch phases replace a hit's field.
        let mut of_spec = Map::new();
        for (path, value) in &all {
            let keyword = format!("{path}.keyword");
            let name = if wildcard::matches(&spec.field, path) {
                path
            } else if spec.field == keyword && value.is_string() {
                &keyword
            } else {
                continue;
            };
            let shown = match value {
                Value::String(s) if is_date(path) => match parse_date(s) {
                    Some(ms) => {
                        Value::String(format_date(ms, spec.format.as_deref(), DateZone::UTC))
                    }
                    None => value.clone(),
                },
                Value::Number(n) if is_date(path) => match n.as_i64() {
                    Some(ms) => {
                        Value::String(format_date(ms, spec.format.as_deref(), DateZone::UTC))
                    }
                    None => value.clone(),
                },
                _ => value.clone(),
            };
            let entry = of_spec
                .entry(name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = entry {
                a.push(shown);
            }
        }
        out.extend(of_spec);
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Whether `path` is a date field of every index: `@timestamp`.
pub fn is_timestamp(path: &str) -> bool {
    path == F_TS
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_of_named_and_matched_fields() -> Result<(), RequestError> {
        let specs = parse_field_specs(
            Some(
                &json!(["host.*", {"field": "@timestamp", "format": "epoch_millis"}, "tags.keyword"]),
            ),
            "docvalue_fields",
        )?;
        let src = json!({"@timestamp": "2026-11-22T01:00:00Z", "host": {"name": "a", "port": 8}, "tags": ["x", "y"]});
        assert_eq!(
            hit_fields(&specs, &src, &is_timestamp),
            Some(
                json!({"host.name": ["a"], "host.port": [8], "@timestamp": ["1795309200000"], "tags.keyword": ["x", "y"]})
            )
        );
        let iso = parse_field_specs(Some(&json!(["@timestamp"])), "fields")?;
        assert_eq!(
            hit_fields(
                &iso,
                &json!({"@timestamp": "2026-11-22T01:00:00Z"}),
                &is_timestamp
            ),
            Some(json!({"@timestamp": ["2026-11-22T01:00:00.000Z"]}))
        );
        assert!(parse_field_specs(Some(&json!([1])), "fields").is_err());
        let twice = parse_field_specs(
            Some(&json!(["@timestamp", {"field": "@timestamp", "format": "epoch_millis"}])),
            "fields",
        )?;
        assert_eq!(
            hit_fields(
                &twice,
                &json!({"@timestamp": "2026-11-22T01:00:00Z"}),
                &is_timestamp
            ),
            Some(json!({"@timestamp": ["1795309200000"]}))
        );
        Ok(())
    }
}
