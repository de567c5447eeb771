//! Which filters a topic's documents go through (`[filters]` of transfer.toml).
//!
//! A topic takes the list written under its own name; failing that, the first `^regex` key (in the order of
//! the file) that matches it; failing that, none. An empty list under a name means "no filters for this
//! topic", ahead of any regex. The answer is worked out once per topic and remembered by the consumer
//! thread that owns this value, so a message costs one hash lookup.

use crate::config::FilterList;
use indexmap::IndexMap;
use logpipe_filter::{FilterChain, FilterError};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// A `[filters]` key that cannot be used (only when a table reaches here unvalidated); names the key.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TopicFiltersError {
    #[error("filters.{key}: {source}")]
    Filter { key: String, source: FilterError },
    #[error("filters.\"{key}\": not a regex: {source}")]
    NotARegex { key: String, source: regex::Error },
}

/// The compiled `[filters]` table; one per consumer thread.
#[derive(Debug, Default)]
pub struct TopicFilters {
    by_name: HashMap<String, Option<Arc<FilterChain>>>,
    by_pattern: Vec<(regex::Regex, Option<Arc<FilterChain>>)>,
    resolved: RefCell<HashMap<Arc<str>, Option<Arc<FilterChain>>>>,
}

impl TopicFilters {
    /// Takes the chains of a validated table (`TransferConfig::validate` compiled them); an error names the
    /// key, should a table reach here unvalidated.
    pub fn new(table: &IndexMap<String, FilterList>) -> Result<TopicFilters, TopicFiltersError> {
        let mut filters = TopicFilters::default();
        for (key, list) in table {
            let chain = list.chain().map_err(|e| TopicFiltersError::Filter {
                key: key.clone(),
                source: e.clone(),
            })?;
            if key.starts_with('^') {
                let pattern =
                    regex::Regex::new(key).map_err(|source| TopicFiltersError::NotARegex {
                        key: key.clone(),
                        source,
                    })?;
                filters.by_pattern.push((pattern, chain));
            } else {
                filters.by_name.insert(key.clone(), chain);
            }
        }
        Ok(filters)
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty() && self.by_pattern.is_empty()
    }

    /// The chain for documents of `topic`, if it has one.
    pub fn for_topic(&self, topic: &Arc<str>) -> Option<Arc<FilterChain>> {
        if self.is_empty() {
            return None;
        }
        if let Some(known) = self.resolved.borrow().get(&**topic) {
            return known.clone();
        }
        let chain = match self.by_name.get(&**topic) {
            Some(chain) => chain.clone(),
            None => self
                .by_pattern
                .iter()
                .find(|(pattern, _)| pattern.is_match(topic))
                .and_then(|(_, chain)| chain.clone()),
        };
        self.resolved
            .borrow_mut()
            .insert(topic.clone(), chain.clone());
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(json: &str) -> IndexMap<String, FilterList> {
        serde_json::from_str(json).expect("a filters table")
    }

    #[test]
    fn names_first_then_the_first_matching_regex() {
        let filters = TopicFilters::new(&table(
            r#"{"^web_.*": [{"json": {"source": "message"}}],
                "^w.*": [{"drop": {}}, {"drop": {}}],
                "web_quiet": [],
                "app_log": [{"drop": {}}, {"drop": {}}, {"drop": {}}]}"#,
        ))
        .expect("compiles");
        let len = |topic: &str| filters.for_topic(&Arc::from(topic)).map(|c| c.len());
        assert_eq!(len("app_log"), Some(3));
        assert_eq!(len("web_access"), Some(1), "the first regex in file order");
        assert_eq!(len("worker"), Some(2));
        assert_eq!(
            len("web_quiet"),
            None,
            "an empty list by name wins over regexes"
        );
        assert_eq!(len("other"), None);
        assert_eq!(len("web_access"), Some(1), "remembered");
        assert!(TopicFilters::default().for_topic(&Arc::from("x")).is_none());
    }
}
