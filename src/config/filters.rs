//! A `filters = [...]` list as configured (a collect entry, an etcd entry, a transfer topic): the specs as
//! written and the chain they compile into, compiled at most once.
//!
//! Compilation is what validation does (`FilterList::validate`), and the chain it builds is kept: the file
//! server, the producers and the transfer's decoders take that same chain (`FilterList::chain`) instead of
//! compiling the list again. Clones of a list share its compiled chain.

use super::error::ConfigError;
use logpipe_filter::{compile, FilterChain, FilterError, FilterSpec};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::{Arc, OnceLock};

/// A filter list and, once compiled, its chain.
#[derive(Debug, Clone, Default)]
pub struct FilterList {
    specs: Vec<FilterSpec>,
    compiled: OnceLock<Result<Arc<FilterChain>, FilterError>>,
}

impl FilterList {
    pub fn new(specs: Vec<FilterSpec>) -> FilterList {
        FilterList {
            specs,
            compiled: OnceLock::new(),
        }
    }

    pub fn specs(&self) -> &[FilterSpec] {
        &self.specs
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The compiled chain, `None` for an empty list (the caller's cue to build no event at all).
    pub fn chain(&self) -> Result<Option<Arc<FilterChain>>, &FilterError> {
        if self.specs.is_empty() {
            return Ok(None);
        }
        self.compiled
            .get_or_init(|| compile(&self.specs).map(Arc::new))
            .as_ref()
            .map(|chain| Some(chain.clone()))
    }

    /// Compiles the list; the error names the list (`name`, such as `collect[0].filters`), the filter's
    /// position, its kind and the key at fault: `collect[0].filters[2].grok.match: unknown pattern …`.
    pub fn validate(&self, name: &str) -> Result<(), ConfigError> {
        self.chain().map(|_| ()).map_err(|e| {
            ConfigError::Invalid(format!(
                "{name}[{}].{}.{}: {}",
                e.index, e.kind, e.key, e.reason
            ))
        })
    }
}

/// Lists are equal when they say the same; whether either was compiled yet does not matter.
impl PartialEq for FilterList {
    fn eq(&self, other: &FilterList) -> bool {
        self.specs == other.specs
    }
}

impl Serialize for FilterList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.specs.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for FilterList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FilterList, D::Error> {
        Vec::<FilterSpec>::deserialize(deserializer).map(FilterList::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(json: &str) -> FilterList {
        serde_json::from_str(json).expect("a filter list")
    }

    #[test]
    fn compiled_once_and_shared_by_clones() {
        let filters = list(r#"[{"grok":{"match":{"message":"%{IP:client} %{WORD:verb}"}}}]"#);
        let first = filters.chain().expect("compiles").expect("not empty");
        let copy = filters.clone();
        let again = copy.chain().expect("compiles").expect("not empty");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(
            filters,
            list(r#"[{"grok":{"match":{"message":"%{IP:client} %{WORD:verb}"}}}]"#)
        );
        // Written back (the etcd cache) and read again, it is the same list.
        let written = serde_json::to_string(&filters).expect("serializes");
        assert_eq!(list(&written), filters);
    }

    #[test]
    fn errors_name_the_list_the_filter_and_the_key() {
        let filters = list(
            r#"[{"json":{"source":"message"}},{"date":{"match":["ts","ISO8601"]}},{"grok":{"match":{"message":"%{NOPE}"}}}]"#,
        );
        let err = filters
            .validate("collect[0].filters")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("collect[0].filters[2].grok.match: "),
            "{err}"
        );
        assert!(err.contains("NOPE"), "{err}");
        assert!(FilterList::default().chain().expect("empty").is_none());
        assert!(FilterList::default().validate("x").is_ok());
    }
}
