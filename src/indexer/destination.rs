//! Where one document goes and how: the index (a sprintf pattern) or the data stream
//! (`{type}-{dataset}-{namespace}`), the `_bulk` action, the ingest pipeline and the routing value.
//!
//! Data streams follow Logstash's elasticsearch output: the action is `create`; with auto-routing (the
//! default) the event's own `data_stream.type/dataset/namespace` win over the configured ones; with
//! `data_stream_sync_fields` (the default) those three fields are written into the document. Dataset and
//! namespace filled from an event are sanitised as Elasticsearch's `reroute` processor does (lower case,
//! `\ / * ? " < > | space , # :` — and `-` in a dataset — replaced by `_`, at most 100 bytes), so an event
//! field can never make the name invalid; configured literals are checked at start instead.

use super::index_name::{IndexContext, IndexNameError, IndexPattern};
use logpipe_filter::Object;
use serde::Deserialize;
use serde_json::{Map, Value};

/// A destination that cannot be built from the configuration; each names the `[elasticsearch]` key or the
/// value at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DestinationError {
    #[error("elasticsearch.{key}: {source}")]
    Pattern {
        key: &'static str,
        source: IndexNameError,
    },
    #[error("must not be empty")]
    EmptyIdentifier,
    #[error("`{0}` is longer than 100 bytes")]
    IdentifierTooLong(String),
    #[error("`{value}` contains `{character}` (not allowed: \\ / * ? \" < > | space , # :)")]
    IdentifierCharacter { value: String, character: char },
}

/// Why one document cannot be placed (the caller dead-letters it with this reason).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlaceError {
    /// The index (or data stream) name cannot be filled, or is no valid index name.
    #[error(transparent)]
    Name(#[from] IndexNameError),
    /// The event's own `data_stream.type` is not a data stream type.
    #[error("data_stream.type `{0}` is not one of {types}", types = DATA_STREAM_TYPES.join(", "))]
    UnknownType(String),
    /// The pipeline or routing pattern cannot be filled.
    #[error("no {key}: {source}")]
    NoValue {
        key: &'static str,
        source: IndexNameError,
    },
}

/// The `_bulk` action of each document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    /// Add or replace the document with this `_id` (a replay overwrites).
    #[default]
    Index,
    /// Add it only if no document has this `_id` (a replay is answered 409, which counts as done).
    Create,
}

impl BulkAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkAction::Index => "index",
            BulkAction::Create => "create",
        }
    }
}

/// The data stream types Logstash accepts.
pub const DATA_STREAM_TYPES: [&str; 4] = ["logs", "metrics", "synthetics", "traces"];

/// How data stream names are made (`data_stream_*` of `[elasticsearch]`, defaults applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataStreamSettings {
    pub kind: String,
    pub dataset: String,
    pub namespace: String,
    pub auto_routing: bool,
    pub sync_fields: bool,
}

/// The `_bulk` metadata of one document beyond `_index` and `_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkMeta {
    pub action: BulkAction,
    pub pipeline: Option<String>,
    pub routing: Option<String>,
}

/// Where documents go, parsed once from the configuration.
#[derive(Debug, Clone)]
pub struct Destination {
    target: Target,
    action: BulkAction,
    pipeline: Option<IndexPattern>,
    routing: Option<IndexPattern>,
}

#[derive(Debug, Clone)]
enum Target {
    Index(IndexPattern),
    DataStream(DataStreamNaming),
}

#[derive(Debug, Clone)]
struct DataStreamNaming {
    kind: String,
    dataset: IndexPattern,
    namespace: IndexPattern,
    auto_routing: bool,
    sync_fields: bool,
}

/// A placed document: its index (or data stream) name and bulk metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub index: String,
    pub meta: BulkMeta,
    /// The document was changed (data_stream fields written): its source must be serialised again.
    pub document_changed: bool,
}

impl Destination {
    /// `index` (a pattern) or a data stream; the action; optional pipeline and routing patterns. Errors name
    /// the `[elasticsearch]` key.
    pub fn new(
        index: &str,
        action: BulkAction,
        pipeline: Option<&str>,
        routing: Option<&str>,
        data_stream: Option<DataStreamSettings>,
    ) -> Result<Destination, DestinationError> {
        let parse = |key: &'static str, pattern: &str| {
            IndexPattern::parse(pattern).map_err(|source| DestinationError::Pattern { key, source })
        };
        let target = match data_stream {
            Some(ds) => Target::DataStream(DataStreamNaming {
                dataset: parse("data_stream_dataset", &ds.dataset)?,
                namespace: parse("data_stream_namespace", &ds.namespace)?,
                kind: ds.kind,
                auto_routing: ds.auto_routing,
                sync_fields: ds.sync_fields,
            }),
            None => Target::Index(parse("index", index)?),
        };
        Ok(Destination {
            target,
            action,
            pipeline: pipeline.map(|p| parse("pipeline", p)).transpose()?,
            routing: routing.map(|p| parse("routing", p)).transpose()?,
        })
    }

    /// Plain indexing into `pattern` with the `index` action (standalone, tests).
    pub fn index(pattern: IndexPattern) -> Destination {
        Destination {
            target: Target::Index(pattern),
            action: BulkAction::Index,
            pipeline: None,
            routing: None,
        }
    }

    /// Places `document` (arriving on `topic`; a parsed JSON object or a filtered event's fields); may write
    /// `data_stream.*` into it. `Err` says why it cannot be placed (the caller dead-letters it).
    /// Whether [`Destination::place`] leaves every document as it is (an index, not a data stream, whose
    /// placing may add `data_stream.*` fields).
    pub fn keeps_documents(&self) -> bool {
        matches!(self.target, Target::Index(_))
    }

    pub fn place<M: Object>(
        &self,
        document: &mut M,
        topic: Option<&str>,
    ) -> Result<Placement, PlaceError> {
        let (index, document_changed) = match &self.target {
            Target::Index(pattern) => {
                let index = match pattern.literal() {
                    Some(name) => name.to_string(),
                    None => pattern.format(&IndexContext { document, topic })?,
                };
                (index, false)
            }
            Target::DataStream(naming) => naming.place(document, topic)?,
        };
        let text = |pattern: &Option<IndexPattern>,
                    key: &'static str|
         -> Result<Option<String>, PlaceError> {
            match pattern {
                None => Ok(None),
                Some(p) => p
                    .format_text(&IndexContext { document, topic })
                    .map(Some)
                    .map_err(|source| PlaceError::NoValue { key, source }),
            }
        };
        let meta = BulkMeta {
            action: self.action,
            pipeline: text(&self.pipeline, "pipeline")?,
            routing: text(&self.routing, "routing")?,
        };
        Ok(Placement {
            index,
            meta,
            document_changed,
        })
    }
}

impl DataStreamNaming {
    fn place<M: Object>(
        &self,
        document: &mut M,
        topic: Option<&str>,
    ) -> Result<(String, bool), PlaceError> {
        let own = |field: &str| -> Option<String> {
            if !self.auto_routing {
                return None;
            }
            document
                .get("data_stream")?
                .get(field)?
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let kind = match own("type") {
            Some(kind) if DATA_STREAM_TYPES.contains(&kind.as_str()) => kind,
            Some(kind) => return Err(PlaceError::UnknownType(kind)),
            None => self.kind.clone(),
        };
        let dataset = match own("dataset") {
            Some(value) => sanitize(&value, true),
            None => fill(&self.dataset, document, topic, true, "generic")?,
        };
        let namespace = match own("namespace") {
            Some(value) => sanitize(&value, false),
            None => fill(&self.namespace, document, topic, false, "default")?,
        };
        let name = format!("{kind}-{dataset}-{namespace}");
        super::index_name::validate_index_name(&name)?;
        let mut changed = false;
        if self.sync_fields {
            if !matches!(document.get("data_stream"), Some(Value::Object(_))) {
                document.insert("data_stream".into(), Value::Object(Map::new()));
            }
            if let Some(Value::Object(fields)) = document.get_mut("data_stream") {
                for (key, value) in [
                    ("type", kind),
                    ("dataset", dataset),
                    ("namespace", namespace),
                ] {
                    if fields.get(key).and_then(Value::as_str) != Some(value.as_str()) {
                        fields.insert(key.into(), Value::String(value));
                        changed = true;
                    }
                }
            }
        }
        Ok((name, changed))
    }
}

/// A dataset or namespace pattern filled from the event and sanitised; empty becomes `fallback`.
fn fill<M: Object>(
    pattern: &IndexPattern,
    document: &M,
    topic: Option<&str>,
    dataset: bool,
    fallback: &str,
) -> Result<String, IndexNameError> {
    let raw = match pattern.literal() {
        Some(text) => return Ok(text.to_string()),
        None => pattern.format_text(&IndexContext { document, topic })?,
    };
    let clean = sanitize(&raw, dataset);
    Ok(if clean.is_empty() {
        fallback.to_string()
    } else {
        clean
    })
}

/// Elasticsearch's sanitising of a data stream's dataset (`dataset`) or namespace.
pub fn sanitize(value: &str, dataset: bool) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars().flat_map(char::to_lowercase) {
        let disallowed = matches!(
            c,
            '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
        ) || (dataset && c == '-');
        let c = if disallowed { '_' } else { c };
        if out.len() + c.len_utf8() > 100 {
            break;
        }
        out.push(c);
    }
    out
}

/// Logstash's check of a configured dataset or namespace: not empty, at most 100 bytes, none of
/// `\ / * ? " < > | space , # :` (a sprintf reference is checked once filled, and sanitised).
pub fn validate_identifier(value: &str) -> Result<(), DestinationError> {
    if value.is_empty() {
        return Err(DestinationError::EmptyIdentifier);
    }
    if value.contains("%{") {
        return Ok(());
    }
    if value.len() > 100 {
        return Err(DestinationError::IdentifierTooLong(value.to_string()));
    }
    // Part of an index name (`logs-{dataset}-{namespace}`): none of the characters an index name refuses.
    if let Some(character) = value
        .chars()
        .find(|c| logpipe_index_name::FORBIDDEN_CHARACTERS.contains(c))
    {
        return Err(DestinationError::IdentifierCharacter {
            value: value.to_string(),
            character,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn data_stream(dataset: &str) -> DataStreamSettings {
        DataStreamSettings {
            kind: "logs".into(),
            dataset: dataset.into(),
            namespace: "default".into(),
            auto_routing: true,
            sync_fields: true,
        }
    }

    #[test]
    fn data_streams_are_named_from_config_and_event_and_synced() {
        let d = Destination::new(
            "ignored",
            BulkAction::Create,
            None,
            None,
            Some(data_stream("%{[fields][app]}")),
        )
        .expect("destination");
        let mut doc = object(json!({"message": "m", "fields": {"app": "Web-Shop: EU"}}));
        let p = d.place(&mut doc, Some("t")).expect("placed");
        assert_eq!(p.index, "logs-web_shop__eu-default");
        assert_eq!(p.meta.action, BulkAction::Create);
        assert!(p.document_changed);
        assert_eq!(
            doc["data_stream"],
            json!({"type": "logs", "dataset": "web_shop__eu", "namespace": "default"})
        );
        // Auto-routing: the event's own fields win; synced fields already right change nothing.
        let mut doc = object(
            json!({"data_stream": {"type": "metrics", "dataset": "nginx", "namespace": "prod"}}),
        );
        let p = d.place(&mut doc, None).expect("placed");
        assert_eq!(p.index, "metrics-nginx-prod");
        assert!(!p.document_changed);
        let mut doc = object(json!({"data_stream": {"type": "bogus"}}));
        let err = d.place(&mut doc, None).unwrap_err();
        assert_eq!(err, PlaceError::UnknownType("bogus".into()));
        assert!(err.to_string().contains("bogus"), "{err}");
        // A missing sprintf field is a reason to dead-letter, as for index names.
        let mut doc = object(json!({"message": "no fields"}));
        assert!(d.place(&mut doc, None).is_err());
    }

    #[test]
    fn index_pipeline_and_routing_are_filled_per_document() {
        let d = Destination::new(
            "%{[topic]}-x",
            BulkAction::Create,
            Some("p-%{[app]}"),
            Some("%{[user]}"),
            None,
        )
        .expect("destination");
        let mut doc = object(json!({"app": "a", "user": "U1"}));
        let p = d.place(&mut doc, Some("t")).expect("placed");
        assert_eq!(p.index, "t-x");
        assert_eq!(
            p.meta,
            BulkMeta {
                action: BulkAction::Create,
                pipeline: Some("p-a".into()),
                routing: Some("U1".into()),
            }
        );
        assert!(!p.document_changed);
    }

    #[test]
    fn sanitising_matches_elasticsearch() {
        assert_eq!(sanitize("My-App/1", true), "my_app_1");
        assert_eq!(sanitize("My-App/1", false), "my-app_1");
        assert_eq!(sanitize(&"x".repeat(150), true).len(), 100);
        assert_eq!(
            validate_identifier("a b"),
            Err(DestinationError::IdentifierCharacter {
                value: "a b".into(),
                character: ' '
            })
        );
        assert_eq!(
            validate_identifier(""),
            Err(DestinationError::EmptyIdentifier)
        );
        assert!(validate_identifier("%{[a b]}").is_ok());
        assert!(validate_identifier("nginx.access").is_ok());
    }
}
