//! The mapping of an index as ES reports it (`_mapping`, `_field_caps`): every field with its type.
//!
//! Fields seen in documents are mapped as ES 8's dynamic mapping maps them, read from what tantivy
//! already keeps (the paths and value types of the `attrs` JSON field, per segment: tantivy's
//! `fields_metadata`), so indexing pays nothing for it:
//! strings are `text` with a `keyword` sub-field (`ignore_above` 256) unless their first value looks like a
//! date (ES's `dynamic_date_formats`), whole numbers `long`, other numbers `float`, booleans `boolean`,
//! objects `object` by path. `@timestamp` is a `date`, `message` `text`. Mappings given explicitly — the
//! `mappings` of `PUT /{index}` (kept in the index directory, [`MAPPINGS_FILE`]) and of the index template
//! matching the index's name — take precedence over dynamic ones. Fields of writes not yet refreshed
//! appear after the next refresh.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde_json::{json, Map, Value};
use tantivy::schema::Type;
use tantivy::Searcher;

use crate::doc::date::parse_date;
use crate::doc::schema::{EVENT_ID, F_ATTRS, F_EVENT_ID, F_MSG, F_TS};
use crate::index::error::IndexError;

/// File in an index directory holding the explicit `mappings` it was created with.
pub const MAPPINGS_FILE: &str = "mappings.json";

/// Leaf fields by dotted path, each with its ES mapping (`{"type": ..}`, maybe `fields`).
pub type FieldMappings = BTreeMap<String, Value>;

/// The mapping of a dynamically mapped string field: `text` with a `keyword` sub-field.
fn text_with_keyword() -> Value {
    json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
}

/// Whether a string would be mapped as a date by ES's default `dynamic_date_formats`
/// (`strict_date_optional_time`, `yyyy/MM/dd HH:mm:ss Z||yyyy/MM/dd Z`): it starts with a date.
fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    digits(0..4)
        && matches!(b.get(4), Some(b'-' | b'/'))
        && digits(5..7)
        && b.get(7) == b.get(4)
        && digits(8..10)
        && parse_date(&s.replace('/', "-")).is_some()
}

/// The dynamic mappings of the fields in `searcher`'s segments.
pub fn dynamic_mappings(searcher: &Searcher) -> FieldMappings {
    let mut out = FieldMappings::new();
    out.insert(F_TS.to_string(), json!({"type": "date"}));
    out.insert(F_MSG.to_string(), json!({"type": "text"}));
    let prefix = format!("{F_ATTRS}.");
    for seg in searcher.segment_readers() {
        let Ok(fields) = seg.fields_metadata() else {
            continue;
        };
        for field in fields {
            let name = field.field_name;
            let path = if name == F_EVENT_ID {
                EVENT_ID.to_string()
            } else if let Some(p) = name.strip_prefix(&prefix) {
                p.to_string()
            } else {
                continue;
            };
            let mapping = match field.typ {
                Type::I64 | Type::U64 => json!({"type": "long"}),
                Type::F64 => json!({"type": "float"}),
                Type::Bool => json!({"type": "boolean"}),
                Type::Date => json!({"type": "date"}),
                Type::IpAddr => json!({"type": "ip"}),
                Type::Bytes => json!({"type": "binary"}),
                Type::Json | Type::Facet => continue,
                Type::Str => {
                    let first = seg.fast_fields().str(&name).ok().flatten().and_then(|c| {
                        let mut s = String::new();
                        c.ord_to_str(0, &mut s)
                            .ok()
                            .filter(|found| *found)
                            .map(|_| s)
                    });
                    match first {
                        Some(s) if looks_like_date(&s) => json!({"type": "date"}),
                        _ => text_with_keyword(),
                    }
                }
            };
            // One path with values of several kinds: a number beside strings is still a string field, and
            // beside dates a date (ES takes epoch millis for a date field).
            match out.get(&path).and_then(|m| m["type"].as_str()) {
                Some("text") => {}
                Some("date") if matches!(mapping["type"].as_str(), Some("long" | "float")) => {}
                Some("float") if mapping["type"] == "long" => {}
                _ => {
                    out.insert(path, mapping);
                }
            }
        }
    }
    out
}

/// The leaf fields of an ES `mappings` object (its `properties`, recursively; `object` and `nested`
/// fields are descended into), by dotted path.
pub fn explicit_mappings(mappings: &Value) -> FieldMappings {
    fn walk(prefix: &str, properties: &Map<String, Value>, out: &mut FieldMappings) {
        for (name, field) in properties {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            match field.get("properties").and_then(Value::as_object) {
                Some(inner) => walk(&path, inner, out),
                None => {
                    out.insert(path, field.clone());
                }
            }
        }
    }
    let mut out = FieldMappings::new();
    if let Some(p) = mappings.get("properties").and_then(Value::as_object) {
        walk("", p, &mut out);
    }
    out
}

/// Keeps the explicit `mappings` of a new index in its directory (nothing when there are none).
pub fn save_mappings(dir: &Path, mappings: &Value) -> Result<(), IndexError> {
    if explicit_mappings(mappings).is_empty() {
        return Ok(());
    }
    let bytes = serde_json::to_vec(mappings).unwrap_or_default();
    logpipe_fs::write_atomically(&dir.join(MAPPINGS_FILE), &bytes)?;
    Ok(())
}

/// The explicit `mappings` kept for the index in `dir` (`Null`: none).
pub fn load_mappings(dir: &Path) -> Value {
    std::fs::read(dir.join(MAPPINGS_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

/// `fields` as ES's `properties` tree (`object` parents implied by dotted paths).
pub fn properties(fields: &FieldMappings) -> Value {
    let mut root = Map::new();
    for (path, mapping) in fields {
        let mut node = &mut root;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                node.insert(part.to_string(), mapping.clone());
                break;
            }
            let entry = node
                .entry(part.to_string())
                .or_insert_with(|| json!({"properties": {}}));
            if entry.get("properties").is_none() {
                // A leaf with the same name as an object: ES refuses that; keep the leaf.
                break;
            }
            node = match entry.get_mut("properties").and_then(Value::as_object_mut) {
                Some(n) => n,
                None => break,
            };
        }
    }
    Value::Object(root)
}

impl crate::index::IndexSet {
    /// The mapping of `index`: its dynamic mappings, overridden by the `mappings` of the template matching
    /// its name, overridden by those it was created with.
    pub fn field_mappings(&self, index: &crate::index::IndexHandle) -> FieldMappings {
        self.with_explicit(dynamic_mappings(&index.searcher()), &index.name, &index.dir)
    }

    /// The mapping of the closed index `name`, as [`IndexSet::field_mappings`]: ES keeps a closed index's
    /// mapping, so its dynamic mappings are read from its last commit (a reader of its directory that
    /// takes no lock and is dropped at once; the index stays closed).
    pub fn closed_field_mappings(
        &self,
        name: &str,
        closed: &crate::index::open_close::ClosedIndex,
    ) -> Result<FieldMappings, IndexError> {
        let index = tantivy::Index::open_in_dir(&closed.dir)?;
        let reader = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()?;
        Ok(self.with_explicit(dynamic_mappings(&reader.searcher()), name, &closed.dir))
    }

    /// `dynamic` overridden by the `mappings` of the template matching `name`, overridden by those the
    /// index in `dir` was created with.
    fn with_explicit(&self, mut fields: FieldMappings, name: &str, dir: &Path) -> FieldMappings {
        let template = {
            let meta = self.streams.meta.lock();
            crate::index::templates::template_for(&meta.templates, name)
                .and_then(|(_, t)| t.template.as_ref())
                .and_then(|t| t.get("mappings"))
                .cloned()
        };
        for explicit in [template.unwrap_or(Value::Null), load_mappings(dir)] {
            fields.extend(explicit_mappings(&explicit));
        }
        fields
    }

    /// The paths `index` maps as dates (`date` or `date_nanos`): searches sort and range over them by time.
    pub fn date_paths(&self, index: &crate::index::IndexHandle) -> HashSet<String> {
        self.field_mappings(index)
            .into_iter()
            .filter(|(_, m)| matches!(m["type"].as_str(), Some("date" | "date_nanos")))
            .map(|(path, _)| path)
            .collect()
    }

    /// Creates `name` (as [`crate::index::IndexSet::create`]) with the explicit `mappings` of its create
    /// request.
    pub fn create_with_mappings(
        &self,
        name: &str,
        mappings: &Value,
    ) -> Result<std::sync::Arc<crate::index::IndexHandle>, IndexError> {
        let h = self.create(name)?;
        save_mappings(&h.dir, mappings)?;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_es_dynamic_date_formats() {
        assert!(looks_like_date("2026-11-22T01:00:00Z"));
        assert!(looks_like_date("2026-11-22"));
        assert!(looks_like_date("2026/11/22 01:00:00"));
        assert!(!looks_like_date("20261122"));
        assert!(!looks_like_date("web-1"));
        assert!(!looks_like_date("2026-13-99"));
    }

    #[test]
    fn explicit_properties_flatten_and_nest_back() {
        let m = json!({"properties": {"host": {"properties": {"name": {"type": "keyword"}}},
            "bytes": {"type": "long"}}});
        let flat = explicit_mappings(&m);
        assert_eq!(
            flat.keys().cloned().collect::<Vec<_>>(),
            ["bytes", "host.name"]
        );
        assert_eq!(properties(&flat), m["properties"]);
    }
}
