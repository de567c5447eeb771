//! The configuration model: what a `filters = [...]` list says, as serde reads it from TOML (agent,
//! standalone, transfer) or JSON (etcd entries).
//!
//! Each element is externally tagged by the filter's name, exactly as in Logstash's pipeline language:
//! `{ json = { source = "message" } }`, `{ "grok": { "match": { "message": "%{COMBINEDAPACHELOG}" } } }`.
//! Unknown filters and unknown keys are errors (serde names them). Every filter also takes Logstash's common
//! options `id`, `add_field`, `add_tag`, `remove_field`, `remove_tag` (applied when the filter succeeds, in
//! that order), `tag_on_failure`, and `if` — a condition (see `condition`) under which the filter runs at
//! all, which is how a Logstash `if … { filter }` block maps onto a flat list.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One filter of a list.
// A config value, read once: the variants stay inline so that matching on them stays simple.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterSpec {
    Json(JsonSpec),
    Date(DateSpec),
    Dissect(DissectSpec),
    Grok(GrokSpec),
    Mutate(MutateSpec),
    Drop(DropSpec),
}

impl FilterSpec {
    /// The filter's name as written in the config.
    pub fn kind(&self) -> &'static str {
        match self {
            FilterSpec::Json(_) => "json",
            FilterSpec::Date(_) => "date",
            FilterSpec::Dissect(_) => "dissect",
            FilterSpec::Grok(_) => "grok",
            FilterSpec::Mutate(_) => "mutate",
            FilterSpec::Drop(_) => "drop",
        }
    }

    /// The options every filter has.
    pub fn common(&self) -> CommonSpec<'_> {
        match self {
            FilterSpec::Json(s) => s.common(),
            FilterSpec::Date(s) => s.common(),
            FilterSpec::Dissect(s) => s.common(),
            FilterSpec::Grok(s) => s.common(),
            FilterSpec::Mutate(s) => s.common(),
            FilterSpec::Drop(s) => s.common(),
        }
    }
}

/// A string or a list of strings (Logstash accepts both wherever a list is expected).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringList(pub Vec<String>);

impl StringList {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, String> {
        self.0.iter()
    }
}

impl From<Vec<String>> for StringList {
    fn from(items: Vec<String>) -> StringList {
        StringList(items)
    }
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StringList, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StringList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<StringList, E> {
                Ok(StringList(vec![text.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StringList, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    items.push(item);
                }
                Ok(StringList(items))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Serialize for StringList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The common options of one filter, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct CommonSpec<'a> {
    pub id: Option<&'a str>,
    pub condition: Option<&'a str>,
    pub add_field: &'a IndexMap<String, StringList>,
    pub add_tag: &'a StringList,
    pub remove_field: &'a StringList,
    pub remove_tag: &'a StringList,
    pub tag_on_failure: Option<&'a StringList>,
}

/// Declares a filter's options struct with the common options appended (serde's `flatten` cannot be
/// combined with `deny_unknown_fields`, so the fields are spelled into each struct).
macro_rules! filter_spec {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
            /// Logstash's `id`: a name for the filter in logs.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub id: Option<String>,
            /// Run only for events this condition holds for.
            #[serde(default, rename = "if", skip_serializing_if = "Option::is_none")]
            pub condition: Option<String>,
            /// On success: fields to add (sprintf in names and values); an existing field becomes a list.
            #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
            pub add_field: IndexMap<String, StringList>,
            /// On success: tags to add (sprintf).
            #[serde(default, skip_serializing_if = "StringList::is_empty")]
            pub add_tag: StringList,
            /// On success: fields to remove (sprintf).
            #[serde(default, skip_serializing_if = "StringList::is_empty")]
            pub remove_field: StringList,
            /// On success: tags to remove (sprintf).
            #[serde(default, skip_serializing_if = "StringList::is_empty")]
            pub remove_tag: StringList,
            /// On failure: tags to add instead of the filter's default.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub tag_on_failure: Option<StringList>,
        }

        impl $name {
            pub fn common(&self) -> CommonSpec<'_> {
                CommonSpec {
                    id: self.id.as_deref(),
                    condition: self.condition.as_deref(),
                    add_field: &self.add_field,
                    add_tag: &self.add_tag,
                    remove_field: &self.remove_field,
                    remove_tag: &self.remove_tag,
                    tag_on_failure: self.tag_on_failure.as_ref(),
                }
            }
        }
    };
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_false(value: &bool) -> bool {
    !*value
}

filter_spec! {
    /// `json`: parses a field holding JSON text.
    pub struct JsonSpec {
        /// The field with the JSON text.
        pub source: String,
        /// Where the parsed value goes; without it an object's keys go to the event's root.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub target: Option<String>,
        /// Leave events whose text is not JSON alone, without the failure tag.
        #[serde(default, skip_serializing_if = "is_false")]
        pub skip_on_invalid_json: bool,
        /// Let the JSON replace `event.id`, `host.name` and existing `log.*` fields.
        #[serde(default, skip_serializing_if = "is_false")]
        pub overwrite: bool,
    }
}

filter_spec! {
    /// `date`: sets the event time from a field.
    pub struct DateSpec {
        /// The field, then the formats to try in order: `ISO8601`, `UNIX`, `UNIX_MS`, `TAI64N` or a Joda
        /// pattern.
        #[serde(rename = "match")]
        pub match_: Vec<String>,
        /// Field to write (default `@timestamp`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub target: Option<String>,
        /// Zone of times written without one (default UTC): `Europe/Berlin`, `+02:00`, `local`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub timezone: Option<String>,
        /// Language of month and day names (default `en`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub locale: Option<String>,
    }
}

filter_spec! {
    /// `dissect`: splits a field on fixed delimiters.
    pub struct DissectSpec {
        /// Source field → dissect pattern.
        pub mapping: IndexMap<String, String>,
        /// Field → `int` or `float`, applied after a successful dissection.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub convert_datatype: IndexMap<String, String>,
    }
}

filter_spec! {
    /// `grok`: matches a field against named regular-expression patterns.
    pub struct GrokSpec {
        /// Source field → pattern or list of patterns.
        #[serde(rename = "match")]
        pub match_: IndexMap<String, StringList>,
        /// Stop at the first pattern that matches (default true).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        pub break_on_match: bool,
        /// Keep only captures that name a field (default true).
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        pub named_captures_only: bool,
        /// Keep captures that matched empty text.
        #[serde(default, skip_serializing_if = "is_false")]
        pub keep_empty_captures: bool,
        /// Fields a capture replaces instead of turning into a list.
        #[serde(default, skip_serializing_if = "StringList::is_empty")]
        pub overwrite: StringList,
        /// Extra patterns: name → regular expression (may use `%{OTHER}`).
        #[serde(default, alias = "patterns", skip_serializing_if = "IndexMap::is_empty")]
        pub pattern_definitions: IndexMap<String, String>,
        /// Directories of pattern files (`NAME regex` per line).
        #[serde(default, skip_serializing_if = "StringList::is_empty")]
        pub patterns_dir: StringList,
        /// Which files of `patterns_dir` to read (a `*` glob, default all).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub patterns_files_glob: Option<String>,
        /// Put captures under this field.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub target: Option<String>,
        /// `disabled` (legacy field names), `v1` or `v8` (ECS names, the default as in Logstash 8).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub ecs_compatibility: Option<String>,
    }
}

filter_spec! {
    /// `mutate`: renames, converts and edits fields. Operations run in Logstash's order: coerce, rename,
    /// update, replace, convert, gsub, uppercase, capitalize, lowercase, strip, split, join, merge, copy.
    pub struct MutateSpec {
        /// Field → value for fields that exist but are null.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub coerce: IndexMap<String, String>,
        /// Old field → new field.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub rename: IndexMap<String, String>,
        /// Field → value (sprintf), only when the field exists.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub update: IndexMap<String, String>,
        /// Field → value (sprintf), always.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub replace: IndexMap<String, String>,
        /// Field → `integer`, `integer_eu`, `float`, `float_eu`, `string` or `boolean`.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub convert: IndexMap<String, String>,
        /// Triples: field, regular expression, replacement.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub gsub: Vec<String>,
        #[serde(default, skip_serializing_if = "StringList::is_empty")]
        pub uppercase: StringList,
        #[serde(default, skip_serializing_if = "StringList::is_empty")]
        pub capitalize: StringList,
        #[serde(default, skip_serializing_if = "StringList::is_empty")]
        pub lowercase: StringList,
        #[serde(default, skip_serializing_if = "StringList::is_empty")]
        pub strip: StringList,
        /// Field → separator: a string becomes a list.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub split: IndexMap<String, String>,
        /// Field → separator: a list becomes a string.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub join: IndexMap<String, String>,
        /// Destination field → field whose values are appended to it.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub merge: IndexMap<String, String>,
        /// Source field → destination field.
        #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
        pub copy: IndexMap<String, String>,
    }
}

filter_spec! {
    /// `drop`: discards the event (every event it sees; give it an `if`).
    pub struct DropSpec {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Entry {
        filters: Vec<FilterSpec>,
    }

    #[test]
    fn the_issue_example_reads_from_toml() {
        let text = r#"
filters = [
  { json = { source = "message" } },
  { date = { match = ["ts", "ISO8601", "UNIX_MS", "dd/MMM/yyyy:HH:mm:ss Z"], timezone = "UTC" } },
  { dissect = { mapping = { message = '%{client} - %{user} [%{ts}] "%{verb} %{path} %{proto}" %{status} %{bytes}' } } },
  { grok = { match = { message = "%{COMBINEDAPACHELOG}" } } },
  { mutate = { rename = { lvl = "log.level" }, remove_field = ["ts"], add_field = { env = "prod" }, convert = { status = "integer" } } },
  { drop = { if = '[log][level] == "DEBUG"' } },
]
"#;
        let entry: Entry = toml::from_str(text).expect("parses");
        let kinds: Vec<_> = entry.filters.iter().map(FilterSpec::kind).collect();
        assert_eq!(kinds, ["json", "date", "dissect", "grok", "mutate", "drop"]);
        let FilterSpec::Mutate(mutate) = &entry.filters[4] else {
            panic!("mutate")
        };
        assert_eq!(mutate.remove_field, StringList(vec!["ts".into()]));
        assert_eq!(mutate.add_field["env"], StringList(vec!["prod".into()]));
        assert_eq!(
            entry.filters[5].common().condition,
            Some(r#"[log][level] == "DEBUG""#)
        );
    }

    #[test]
    fn json_form_and_round_trip() {
        let text =
            r#"[{"grok":{"match":{"message":["%{A}","%{B}"]},"add_tag":"parsed"}},{"drop":{}}]"#;
        let filters: Vec<FilterSpec> = serde_json::from_str(text).expect("parses");
        let FilterSpec::Grok(grok) = &filters[0] else {
            panic!("grok")
        };
        assert!(grok.break_on_match);
        assert_eq!(grok.match_["message"].0.len(), 2);
        assert_eq!(grok.add_tag, StringList(vec!["parsed".into()]));
        let again: Vec<FilterSpec> =
            serde_json::from_str(&serde_json::to_string(&filters).expect("serializes"))
                .expect("parses");
        assert_eq!(again, filters);
    }

    #[test]
    fn unknown_filters_and_keys_are_named() {
        let err =
            serde_json::from_str::<Vec<FilterSpec>>(r#"[{"jsn":{"source":"m"}}]"#).unwrap_err();
        assert!(err.to_string().contains("unknown variant `jsn`"), "{err}");
        let err =
            serde_json::from_str::<Vec<FilterSpec>>(r#"[{"json":{"sorce":"m"}}]"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `sorce`"), "{err}");
        let err = toml::from_str::<Entry>("filters = [{ date = { match = 5 } }]").unwrap_err();
        assert!(err.to_string().contains("match"), "{err}");
    }
}
