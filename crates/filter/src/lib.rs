//! Logstash-compatible filters for logpipe: `json`, `date`, `dissect`, `grok`, `mutate` and `drop`, with
//! Logstash's field references, sprintf and condition language.
//!
//! A list of [`FilterSpec`]s (the `filters = [...]` of a collect entry, a transfer topic or an etcd value) is
//! compiled once with [`compile`] into a [`FilterChain`]; [`FilterChain::apply`] runs it on one [`Event`]
//! and says whether to keep it. Compilation checks everything that can be checked before the first event
//! (patterns, regexes, conditions, formats) and names the filter and key of any mistake.
//!
//! ```
//! use logpipe_filter::{compile, Event, FilterSpec, Verdict};
//!
//! #[derive(serde::Deserialize)]
//! struct Entry {
//!     filters: Vec<FilterSpec>,
//! }
//! let entry: Entry = toml::from_str(r#"
//!     filters = [
//!       { grok = { match = { message = "%{IPORHOST:[source][address]} %{WORD:[http][request][method]} %{NUMBER:[http][response][status_code]:int}" } } },
//!       { drop = { if = '[http][response][status_code] < 400' } },
//!     ]
//! "#).unwrap();
//! let chain = compile(&entry.filters).unwrap();
//!
//! let mut event = Event::with_message("10.0.0.7 GET 503");
//! assert_eq!(chain.apply(&mut event), Verdict::Keep);
//! assert_eq!(event.fields()["http"]["response"]["status_code"], 503);
//!
//! let mut fine = Event::with_message("10.0.0.7 GET 200");
//! assert_eq!(chain.apply(&mut fine), Verdict::Drop);
//! ```
//!
//! The pieces, each defined once and used by everything else: [`FieldRef`] (`[log][level]` or
//! `log.level`), [`Template`] (sprintf), [`Condition`], [`JodaPattern`] (date patterns, read and written),
//! [`Timestamp`], [`Regex`] (Oniguruma, Logstash's dialect), [`Fields`] (an event's root object: a small
//! map in insertion order; nested objects are `serde_json::Map`s, both behind [`Object`]).
//!
//! Architecture invariant: this crate knows events only as JSON objects. It knows nothing of files, Kafka,
//! Elasticsearch or the agent's encoders; callers build the event and ship the result. An empty chain
//! ([`FilterChain::is_empty`]) is the caller's cue to keep its own fast path and build no event at all.

mod chain;
pub mod condition;
mod error;
pub mod event;
pub mod field_ref;
pub mod fields;
mod filters;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod joda;
pub mod regex;
pub mod spec;
pub mod sprintf;
pub mod timestamp;

pub use chain::{compile, FilterChain, Verdict};
pub use condition::{Condition, ConditionError};
pub use error::FilterError;
pub use event::Event;
pub use field_ref::{FieldRef, FieldRefError};
pub use fields::{Fields, Object};
pub use filters::grok::{expand_pattern as expand_grok_pattern, PatternError as GrokPatternError};
pub use joda::{JodaError, JodaPattern, Locale};
pub use regex::{Regex, RegexError};
pub use spec::{
    DateSpec, DissectSpec, DropSpec, FilterSpec, GrokSpec, JsonSpec, MutateSpec, StringList,
};
pub use sprintf::{SprintfError, Template};
pub use timestamp::{Timestamp, Zone, ZoneError};
