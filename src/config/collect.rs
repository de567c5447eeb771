//! One collect entry: which files to tail, where their lines go, and how lines become events.
//!
//! The same struct is read from the agent's TOML (`[[collect]]`), from standalone's command line, and from the
//! etcd value `[{"path":"...","topic":"..."}]` of the original design, which must keep working as-is: only
//! `path` is required by the struct, `topic` is required where the events go to Kafka.

use super::error::ConfigError;
use super::filters::FilterList;
use super::path_glob::{PathGlob, PathGlobSet};
use super::reference::{Key, Type};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Default cap on one line's bytes before it is truncated with a marker (`log.flags: ["truncated"]`).
pub const DEFAULT_MAX_LINE_BYTES: usize = 1024 * 1024;

/// The highest `max_line_bytes` any entry may set: a line is held in memory whole (several times over on
/// its way to Kafka), so this bounds the agent's memory whatever a config asks for.
pub const MAX_LINE_BYTES_LIMIT: usize = 64 << 20;

/// How a line is turned into a Kafka message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    /// One JSON object per line with ECS field names.
    #[default]
    Json,
    /// The line's bytes as the value; metadata in Kafka headers.
    Raw,
}

/// Where reading starts for a file that already exists when the agent first sees it (and has no checkpoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StartAt {
    #[default]
    Beginning,
    End,
}

/// Whether continuation lines join the event before or after them (Filebeat / Logstash semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MultilineMatch {
    #[default]
    After,
    Before,
}

/// Joining several physical lines into one event (a Java stack trace: `pattern = '^\s+at '`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultilineConfig {
    /// Regular expression a line is tested against.
    pub pattern: String,
    /// Invert the test: lines that do NOT match are continuation lines.
    #[serde(default)]
    pub negate: bool,
    /// `after`: continuation lines append to the line before them; `before`: to the line after them.
    #[serde(default, rename = "match")]
    pub match_: MultilineMatch,
    /// Most lines in one event; further lines start a new event.
    #[serde(default = "default_max_lines")]
    pub max_lines: usize,
    /// A pending event is sent after this long without a new line.
    #[serde(
        default = "default_multiline_timeout",
        deserialize_with = "crate::config::duration::deserialize",
        serialize_with = "serialize_duration"
    )]
    pub timeout: Duration,
}

impl MultilineConfig {
    /// The keys of `[collect.multiline]`.
    pub const KEYS: &'static [Key] = &[
        Key::required("pattern", Type::String, "'^\\s+at '", "regular expression each line is tested against"),
        Key::defaulted("negate", Type::Bool, "false", "lines that do NOT match are the continuation lines"),
        Key::defaulted("match", Type::OneOf(&["after", "before"]), "\"after\"", "continuation lines join the line before them (after) or after them (before), as in Filebeat"),
        Key::defaulted("max_lines", Type::Integer, "500", "most lines in one event; further lines start a new one"),
        Key::defaulted("timeout", Type::Duration, "\"5s\"", "a pending event is sent after this long without a new line"),
    ];
}

fn default_max_lines() -> usize {
    500
}

fn default_multiline_timeout() -> Duration {
    Duration::from_secs(5)
}

fn serialize_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{}ms", d.as_millis()))
}

/// One `[[collect]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectEntry {
    /// Glob of files to tail: `*`, `?`, `[..]`, `**`, `{a,b}` (see `config::path_glob`).
    pub path: String,
    /// Kafka topic the lines go to (required by the agent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Globs of files to leave alone even though `path` matches them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// `json` (default) or `raw`.
    #[serde(default)]
    pub codec: Codec,
    /// Static key/values added to every event under `fields`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, serde_json::Value>,
    /// Multiline joining, off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multiline: Option<MultilineConfig>,
    /// Longest line kept whole; longer lines are truncated and marked.
    #[serde(default = "default_max_line_bytes")]
    pub max_line_bytes: usize,
    /// Where reading starts for files that exist when first seen.
    #[serde(default)]
    pub start_at: StartAt,
    /// Tail files reached through symbolic links (off by default, as in Filebeat: a link may point
    /// anywhere). Off, a symbolic link is neither listed nor opened.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow_symlinks: bool,
    /// Logstash filters run on every event of the entry before it is shipped (`json` codec only): `json`,
    /// `date`, `dissect`, `grok`, `mutate`, `drop`. Empty: events are encoded as they always were, without
    /// building a filterable event.
    #[serde(default, skip_serializing_if = "FilterList::is_empty")]
    pub filters: FilterList,
}

impl CollectEntry {
    /// The keys of a `[[collect]]` entry (and of an entry of the etcd value).
    pub const KEYS: &'static [Key] = &[
        Key::required("path", Type::Glob, "\"/var/log/app/*.log\"", "absolute glob of the files to tail: * ? [..] ** {a,b}"),
        Key::optional("topic", Type::String, "\"app_log\"", "Kafka topic of the lines (required by the agent; in standalone it fills %{[topic]})"),
        Key::optional("exclude", Type::List(&Type::Glob), "[\"/var/log/app/debug*\"]", "globs of files to skip although path matches them"),
        Key::defaulted("codec", Type::OneOf(&["json", "raw"]), "\"json\"", "json: an ECS event per line; raw: the line's bytes, metadata in Kafka headers"),
        Key::optional("fields", Type::Fields, "{ env = \"prod\" }", "static fields added to every event under `fields`"),
        Key::defaulted("max_line_bytes", Type::Integer, "1048576", "longer lines are truncated and marked log.flags = [\"truncated\"] (16 to 67108864)"),
        Key::defaulted("start_at", Type::OneOf(&["beginning", "end"]), "\"beginning\"", "where reading starts in files present at first sight"),
        Key::defaulted("follow_symlinks", Type::Bool, "false", "tail files reached through symbolic links (off: links are skipped)"),
        Key::optional("filters", Type::Filters, "[{ json = { source = \"message\" } }]", "Logstash filters run on each event, in order (json codec only): json, date, dissect, grok, mutate, drop; failures tag the event (README \"Filters\")"),
        Key::table("multiline", &[MultilineConfig::KEYS], "join several lines into one event, e.g. Java stack traces"),
    ];
}

fn default_max_line_bytes() -> usize {
    DEFAULT_MAX_LINE_BYTES
}

impl CollectEntry {
    /// An entry for `path` with every option at its default (standalone's command line).
    pub fn for_path(path: &str) -> CollectEntry {
        CollectEntry {
            path: path.to_string(),
            topic: None,
            exclude: Vec::new(),
            codec: Codec::Json,
            fields: BTreeMap::new(),
            multiline: None,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            start_at: StartAt::Beginning,
            follow_symlinks: false,
            filters: FilterList::default(),
        }
    }

    /// Whether `other` tails the same files the same way and differs at most in its filters: such a change
    /// applies to the next lines of the open files, which keep their position.
    pub fn differs_only_in_filters(&self, other: &CollectEntry) -> bool {
        let mut same_filters = other.clone();
        same_filters.filters = self.filters.clone();
        *self == same_filters && self.filters != other.filters
    }

    /// Checks what serde cannot: globs and the regex compile, sizes are sane, the topic is a legal Kafka name.
    /// `name` says where the entry came from (`collect[2]`), and every error starts with it.
    pub fn validate(&self, name: &str, require_topic: bool) -> Result<(), ConfigError> {
        if self.path.trim().is_empty() {
            return Err(ConfigError::Invalid(format!(
                "{name}.path: must not be empty"
            )));
        }
        PathGlob::absolute(&self.path)
            .map_err(|e| ConfigError::Invalid(format!("{name}.path: {e}")))?;
        for (i, pattern) in self.exclude.iter().enumerate() {
            PathGlobSet::new(std::slice::from_ref(pattern))
                .map_err(|e| ConfigError::Invalid(format!("{name}.exclude[{i}]: {e}")))?;
        }
        match &self.topic {
            Some(topic) => validate_topic(topic)
                .map_err(|e| ConfigError::Invalid(format!("{name}.topic: {e}")))?,
            None if require_topic => {
                return Err(ConfigError::Invalid(format!(
                    "{name}.topic: missing (every entry needs a Kafka topic)"
                )))
            }
            None => {}
        }
        if self.max_line_bytes > MAX_LINE_BYTES_LIMIT {
            return Err(ConfigError::Invalid(format!(
                "{name}.max_line_bytes: {} is above the limit of {MAX_LINE_BYTES_LIMIT} (64 MiB)",
                self.max_line_bytes
            )));
        }
        if self.max_line_bytes < 16 {
            return Err(ConfigError::Invalid(format!(
                "{name}.max_line_bytes: {} is too small (at least 16)",
                self.max_line_bytes
            )));
        }
        if let Some(ml) = &self.multiline {
            regex::bytes::Regex::new(&ml.pattern).map_err(|e| {
                ConfigError::Invalid(format!(
                    "{name}.multiline.pattern: bad regex `{}`: {e}",
                    ml.pattern
                ))
            })?;
            if ml.max_lines == 0 {
                return Err(ConfigError::Invalid(format!(
                    "{name}.multiline.max_lines: must be at least 1"
                )));
            }
        }
        if !self.filters.is_empty() && self.codec == Codec::Raw {
            return Err(ConfigError::Invalid(format!(
                "{name}.filters: the raw codec ships each line's bytes untouched, so it cannot filter; use \
                 codec = \"json\" here, or filter in the transfer ([filters] in transfer.toml)"
            )));
        }
        self.filters.validate(&format!("{name}.filters"))?;
        Ok(())
    }
}

/// A name Kafka does not accept as a topic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicError {
    #[error("`{0}` must have 1 to 249 characters")]
    Length(String),
    #[error("`{0}` is not a legal topic name")]
    Dots(String),
    #[error("`{topic}` contains `{bad}`; topic names use only a-z A-Z 0-9 . _ -")]
    Character { topic: String, bad: char },
}

/// Kafka's rule for topic names: 1–249 characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
pub fn validate_topic(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() || topic.len() > 249 {
        return Err(TopicError::Length(topic.to_string()));
    }
    if topic == "." || topic == ".." {
        return Err(TopicError::Dots(topic.to_string()));
    }
    if let Some(bad) = topic
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(TopicError::Character {
            topic: topic.to_string(),
            bad,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_etcd_value_parses_as_is() {
        let value = r#"[{"path":"/var/log/s4.log","topic":"s4_log"},{"path":"/var/log/web.log","topic":"web_log"}]"#;
        let entries: Vec<CollectEntry> = serde_json::from_str(value).expect("seed format");
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].topic.as_deref(), Some("s4_log"));
        assert_eq!(entries[1].codec, Codec::Json);
        for (i, e) in entries.iter().enumerate() {
            e.validate(&format!("collect[{i}]"), true).expect("valid");
        }
    }

    #[test]
    fn validation_names_the_key() {
        let mut e = CollectEntry::for_path("/var/log/*.log");
        assert!(e
            .validate("collect[0]", true)
            .unwrap_err()
            .to_string()
            .contains("collect[0].topic"));
        e.topic = Some("bad topic".into());
        assert!(e
            .validate("collect[0]", true)
            .unwrap_err()
            .to_string()
            .contains("collect[0].topic"));
        e.topic = Some("ok_topic".into());
        e.multiline = Some(MultilineConfig {
            pattern: "(".into(),
            negate: false,
            match_: MultilineMatch::After,
            max_lines: 10,
            timeout: Duration::from_secs(1),
        });
        assert!(e
            .validate("collect[0]", true)
            .unwrap_err()
            .to_string()
            .contains("multiline.pattern"));
        let relative = CollectEntry::for_path("logs/*.log");
        assert!(relative
            .validate("collect[1]", false)
            .unwrap_err()
            .to_string()
            .contains("absolute"));
    }

    #[test]
    fn filters_are_compiled_by_validation_and_named_in_its_errors() {
        let entries: Vec<CollectEntry> = serde_json::from_str(
            r#"[{"path":"/var/log/a.log","topic":"a","filters":[{"json":{"source":"message"}},{"date":{"match":["ts","ISO8601"]}},{"grok":{"match":{"message":"%{COMBINEDAPACHELOGG}"}}}]},
                {"path":"/var/log/b.log","topic":"b","codec":"raw","filters":[{"json":{"source":"message"}}]},
                {"path":"/var/log/c.log","topic":"c","filters":[{"dissect":{"mapping":{"message":"%{a} %{b}"}}}]}]"#,
        )
        .expect("entries");
        let err = entries[0]
            .validate("collect[0]", true)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("collect[0].filters[2].grok.match: ")
                && err.contains("COMBINEDAPACHELOGG"),
            "{err}"
        );
        let err = entries[1]
            .validate("collect[1]", true)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("collect[1].filters: the raw codec"),
            "{err}"
        );
        entries[2].validate("collect[2]", true).expect("valid");
        assert!(entries[2].filters.chain().expect("compiled").is_some());
        assert!(CollectEntry::for_path("/x")
            .filters
            .chain()
            .expect("empty")
            .is_none());
        // TOML, as in an agent's [[collect]] entry.
        let entry: CollectEntry = toml::from_str(
            r#"
            path = "/var/log/app/*.log"
            topic = "app"
            filters = [
              { json = { source = "message" } },
              { drop = { if = '[log][level] == "DEBUG"' } },
            ]"#,
        )
        .expect("toml entry");
        entry.validate("collect[0]", true).expect("valid");
        assert_eq!(entry.filters.specs().len(), 2);
    }

    #[test]
    fn a_change_of_filters_alone_is_recognised() {
        let mut a = CollectEntry::for_path("/var/log/a.log");
        let b = a.clone();
        assert!(!a.differs_only_in_filters(&b), "equal entries");
        a.filters = serde_json::from_str(r#"[{"json":{"source":"message"}}]"#).expect("filters");
        assert!(a.differs_only_in_filters(&b));
        assert!(b.differs_only_in_filters(&a));
        let mut c = a.clone();
        c.topic = Some("other".into());
        assert!(!c.differs_only_in_filters(&b));
    }
}
