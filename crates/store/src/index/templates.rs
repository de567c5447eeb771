//! Composable index templates (`PUT/GET/DELETE _index_template/{name}`): the model of one
//! ([`IndexTemplate`], read from ES's request body and kept as given), the template a new index or data
//! stream name takes (the highest `priority` among those whose `index_patterns` match it), and ES's
//! refusal of two templates of the same priority whose patterns could match one name.
//!
//! The store uses a template for one thing: `data_stream: {}` makes a matching name a data stream on its
//! first `create`. `template` (settings, mappings, aliases) is accepted and returned, not applied: every
//! index has the store's one mapping. There are no component templates, so `composed_of` must be empty.
//! [`builtin_logs_template`] is ES 8's `logs` template (`logs-*-*`, priority 100, a data stream).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::index::stream_error::StreamError;
use crate::wildcard;

/// `data_stream` of a template: names it matches become data streams.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DataStreamTemplate {
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub allow_custom_routing: bool,
}

/// One composable index template, as `PUT _index_template/{name}` takes it and `GET` returns it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IndexTemplate {
    #[serde(deserialize_with = "one_or_many")]
    pub index_patterns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub composed_of: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, rename = "_meta", skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_stream: Option<DataStreamTemplate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_auto_create: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_missing_component_templates: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<bool>,
}

/// `index_patterns` is a list or a single string.
fn one_or_many<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(de)? {
        OneOrMany::One(p) => vec![p],
        OneOrMany::Many(p) => p,
    })
}

impl IndexTemplate {
    /// Reads a `PUT _index_template/{name}` body.
    pub fn from_body(name: &str, body: &Value) -> Result<IndexTemplate, StreamError> {
        let template: IndexTemplate =
            serde_json::from_value(body.clone()).map_err(|e| StreamError::TemplateBody {
                reason: format!("[index_template] failed to parse template [{name}]: {e}"),
            })?;
        if template.index_patterns.is_empty() {
            return Err(StreamError::TemplateBody {
                reason: format!(
                    "index_template [{name}] invalid, cause [index patterns are missing]"
                ),
            });
        }
        if let Some(t) = &template.template {
            if !t.is_object() {
                return Err(StreamError::TemplateBody {
                    reason: format!("[index_template] failed to parse template [{name}]: [template] is not an object"),
                });
            }
        }
        if !template.composed_of.is_empty() {
            return Err(StreamError::ComponentTemplatesMissing {
                name: name.to_string(),
                missing: template.composed_of.clone(),
            });
        }
        Ok(template)
    }

    /// Its priority (0 when not given, as ES).
    pub fn priority(&self) -> u64 {
        self.priority.unwrap_or(0)
    }

    /// Whether one of its patterns matches `name`.
    pub fn matches(&self, name: &str) -> bool {
        self.index_patterns
            .iter()
            .any(|p| wildcard::matches(p, name))
    }
}

/// ES 8's built-in `logs` template: `logs-{dataset}-{namespace}` names are data streams.
pub fn builtin_logs_template() -> IndexTemplate {
    IndexTemplate {
        index_patterns: vec!["logs-*-*".to_string()],
        template: None,
        composed_of: Vec::new(),
        priority: Some(100),
        version: Some(1),
        meta: Some(serde_json::json!({
            "description": "default logs template installed by the logpipe store, as Elasticsearch 8 installs its own",
            "managed": true
        })),
        data_stream: Some(DataStreamTemplate::default()),
        allow_auto_create: Some(true),
        ignore_missing_component_templates: None,
        deprecated: None,
    }
}

/// The templates of a store, by name.
pub type Templates = BTreeMap<String, IndexTemplate>;

/// The template a new index or data stream called `name` takes: the highest priority among those
/// matching it (ties, which [`check_overlaps`] keeps from arising, go to the first name).
pub fn template_for<'a>(
    templates: &'a Templates,
    name: &str,
) -> Option<(&'a str, &'a IndexTemplate)> {
    templates.iter().filter(|(_, t)| t.matches(name)).fold(
        None,
        |best: Option<(&str, &IndexTemplate)>, (n, t)| match best {
            Some((_, b)) if b.priority() >= t.priority() => best,
            _ => Some((n.as_str(), t)),
        },
    )
}

/// Refuses `template` (to be stored as `name`) when another template of the same priority has a pattern
/// that can match a name one of its patterns matches.
pub fn check_overlaps(
    templates: &Templates,
    name: &str,
    template: &IndexTemplate,
) -> Result<(), StreamError> {
    let others: Vec<(String, Vec<String>)> = templates
        .iter()
        .filter(|(n, t)| *n != name && t.priority() == template.priority())
        .filter(|(_, t)| {
            t.index_patterns.iter().any(|a| {
                template
                    .index_patterns
                    .iter()
                    .any(|b| patterns_overlap(a, b))
            })
        })
        .map(|(n, t)| (n.clone(), t.index_patterns.clone()))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    Err(StreamError::TemplateOverlap {
        name: name.to_string(),
        patterns: template.index_patterns.clone(),
        others,
        priority: template.priority(),
    })
}

/// Whether some name matches both patterns (`*` the only wildcard): a walk over the pairs of positions
/// in the two patterns, as the intersection of their automata.
pub fn patterns_overlap(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut seen = vec![false; (a.len() + 1) * (b.len() + 1)];
    let mut todo = vec![(0usize, 0usize)];
    while let Some((i, j)) = todo.pop() {
        let at = i * (b.len() + 1) + j;
        if seen[at] {
            continue;
        }
        seen[at] = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        // A star may match nothing.
        if ca == Some(b'*') {
            todo.push((i + 1, j));
        }
        if cb == Some(b'*') {
            todo.push((i, j + 1));
        }
        match (ca, cb) {
            // A star takes the other pattern's next character (a star there matches what this one does).
            (Some(b'*'), Some(_)) => todo.push((i, j + 1)),
            (Some(_), Some(b'*')) => todo.push((i + 1, j)),
            (Some(x), Some(y)) if x == y => todo.push((i + 1, j + 1)),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_patterns() {
        let cases = [
            ("logs-*-*", "logs-*", true),
            ("logs-*", "metrics-*", false),
            ("a*", "*b", true),
            ("abc", "a*c", true),
            ("abc", "abd", false),
            ("*", "x", true),
            ("logs-*-*", "logs-web", false),
            ("logs-*-*", "logs-web-default", true),
            ("a*b*c", "*bc", true),
            ("ab", "a*b*c", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(patterns_overlap(a, b), expected, "{a} / {b}");
            assert_eq!(patterns_overlap(b, a), expected, "{b} / {a}");
        }
    }

    #[test]
    fn highest_priority_wins() {
        let t = |p: &str, prio: u64| IndexTemplate {
            index_patterns: vec![p.to_string()],
            priority: Some(prio),
            ..builtin_logs_template()
        };
        let mut all = Templates::new();
        all.insert("low".into(), t("logs-*", 10));
        all.insert("high".into(), t("logs-web-*", 200));
        all.insert("logs".into(), builtin_logs_template());
        assert_eq!(
            template_for(&all, "logs-web-x").map(|(n, _)| n),
            Some("high")
        );
        assert_eq!(
            template_for(&all, "logs-app-x").map(|(n, _)| n),
            Some("logs")
        );
        assert_eq!(template_for(&all, "logs-app").map(|(n, _)| n), Some("low"));
        assert_eq!(template_for(&all, "other").map(|(n, _)| n), None);
        assert!(check_overlaps(&all, "again", &t("logs-a*", 10)).is_err());
        assert!(check_overlaps(&all, "low", &t("logs-a*", 10)).is_ok());
        assert!(check_overlaps(&all, "new", &t("logs-a*", 11)).is_ok());
    }
}
