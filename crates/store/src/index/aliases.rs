//! Index aliases: a name standing for one or more indices, as ES has them. Searches of an alias (or of a
//! pattern matching it) cover its indices; writes to it go to its write index: its only index, or the
//! one marked `is_write_index`. Aliases are metadata of the index layer, kept with the templates and
//! data streams (`_state/aliases.json`, `data_streams.rs`); deleting an index removes it from its
//! aliases. A search through an alias with a `filter` sees only the documents the filter matches
//! ([`IndexSet::alias_filters`]); `routing` is kept and shown (there is one shard, so nothing to route).
//!
//! Invariants: an alias names at least one index and never shares its name with an index; at most one
//! of its indices is its write index.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::index::error::IndexError;
use crate::index::stream_error::StreamError;
use crate::index::IndexSet;
use crate::wildcard;

/// What an alias says of one of its indices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AliasProps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_write_index: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_hidden: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_routing: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_routing: Option<String>,
}

/// Alias name → index name → what the alias says of it.
pub type Aliases = BTreeMap<String, BTreeMap<String, AliasProps>>;

/// Index name → alias name → what the alias says of the index.
pub type AliasesByIndex = BTreeMap<String, BTreeMap<String, AliasProps>>;

/// One change of `POST /_aliases` (or of the single-alias APIs). `index` and `alias` may be patterns.
#[derive(Debug, Clone)]
pub enum AliasAction {
    Add {
        index: String,
        alias: String,
        props: AliasProps,
    },
    Remove {
        index: String,
        alias: String,
        must_exist: bool,
    },
    RemoveIndex {
        index: String,
    },
}

/// Where writes to an alias go.
fn write_index(alias: &str, members: &BTreeMap<String, AliasProps>) -> Result<String, StreamError> {
    let mut writers = members
        .iter()
        .filter(|(_, p)| p.is_write_index == Some(true));
    if let Some((index, _)) = writers.next() {
        return Ok(index.clone());
    }
    match (members.len(), members.iter().next()) {
        (1, Some((index, p))) if p.is_write_index != Some(false) => Ok(index.clone()),
        _ => Err(StreamError::AliasNoWriteIndex {
            alias: alias.to_string(),
        }),
    }
}

impl IndexSet {
    /// The aliases and the indices each stands for (for resolving names).
    pub(super) fn alias_members(&self) -> Vec<(String, Vec<String>)> {
        let meta = self.streams.meta.lock();
        meta.aliases
            .iter()
            .map(|(a, members)| (a.clone(), members.keys().cloned().collect()))
            .collect()
    }

    /// The index a write to alias `name` goes to; `None` when `name` is not an alias.
    pub fn alias_write_index(&self, name: &str) -> Result<Option<String>, IndexError> {
        let meta = self.streams.meta.lock();
        match meta.aliases.get(name) {
            None => Ok(None),
            Some(members) => Ok(Some(write_index(name, members)?)),
        }
    }

    /// The alias filters a search of `expr` applies, by index: an index reached only through aliases that
    /// have a `filter` is searched with those filters (a document matching any of them is seen), as ES
    /// does; an index reached by its own name (or a pattern matching it), through a data stream, or through
    /// an alias without a filter is searched whole and is not in the map.
    pub fn alias_filters(&self, expr: &str) -> BTreeMap<String, Vec<Value>> {
        let streams = self.stream_members();
        let indices: Vec<String> = self.map.read().keys().cloned().collect();
        let meta = self.streams.meta.lock();
        // Index → its filters, `None` once it is reached whole.
        let mut reached: BTreeMap<&str, Option<Vec<&Value>>> = BTreeMap::new();
        for part in expr.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let part = if part == "_all" { "*" } else { part };
            let pattern = wildcard::is_pattern(part);
            let named = |name: &str| {
                if pattern {
                    wildcard::matches(part, name)
                } else {
                    part == name
                }
            };
            let direct = indices.iter().filter(|i| named(i));
            let by_stream = streams
                .iter()
                .filter(|(s, _)| named(s))
                .flat_map(|(_, members)| members.iter());
            for index in direct.chain(by_stream) {
                reached.insert(index, None);
            }
            for (_, members) in meta.aliases.iter().filter(|(a, _)| named(a)) {
                for (index, props) in members {
                    let Some(filter) = &props.filter else {
                        reached.insert(index, None);
                        continue;
                    };
                    match reached.entry(index) {
                        Entry::Vacant(v) => {
                            v.insert(Some(vec![filter]));
                        }
                        Entry::Occupied(mut o) => {
                            if let Some(filters) = o.get_mut() {
                                filters.push(filter);
                            }
                        }
                    }
                }
            }
        }
        reached
            .into_iter()
            .filter_map(|(index, filters)| {
                filters.map(|f| (index.to_string(), f.into_iter().cloned().collect()))
            })
            .collect()
    }

    /// Whether `name` is an alias.
    pub fn is_alias(&self, name: &str) -> bool {
        self.streams.meta.lock().aliases.contains_key(name)
    }

    /// Applies `actions` all or none (as ES's `POST /_aliases`): indices and aliases named must exist
    /// (patterns may match none of them), an alias may not take an index's name, and an alias keeps at
    /// most one write index.
    pub fn update_aliases(&self, actions: &[AliasAction]) -> Result<(), IndexError> {
        let removed_indices = {
            let _admin = self.streams.admin.lock();
            self.change_aliases(actions)?
        };
        // `remove_index`: deleted as `DELETE /{index}` deletes (after the lock, which deleting takes).
        if !removed_indices.is_empty() {
            self.delete(&removed_indices.join(","))?;
        }
        Ok(())
    }

    /// The metadata part of [`IndexSet::update_aliases`]; returns the indices to delete.
    fn change_aliases(&self, actions: &[AliasAction]) -> Result<Vec<String>, IndexError> {
        for action in actions {
            if let AliasAction::Add { alias, .. } = action {
                if self.get(alias).is_some() {
                    return Err(StreamError::AliasNameTaken {
                        alias: alias.clone(),
                    }
                    .into());
                }
            }
        }
        let mut resolved: Vec<(AliasAction, Vec<String>)> = Vec::with_capacity(actions.len());
        for action in actions {
            let index = match action {
                AliasAction::Add { index, .. }
                | AliasAction::Remove { index, .. }
                | AliasAction::RemoveIndex { index } => index,
            };
            let names: Vec<String> = self
                .resolve(index)?
                .iter()
                .map(|h| h.name.clone())
                .collect();
            if names.is_empty() && !wildcard::is_pattern(index) {
                return Err(IndexError::NotFound {
                    name: index.clone(),
                });
            }
            resolved.push((action.clone(), names));
        }
        let mut meta = self.streams.meta.lock();
        let mut aliases = meta.aliases.clone();
        let mut removed_indices = Vec::new();
        for (action, indices) in resolved {
            match action {
                AliasAction::Add { alias, props, .. } => {
                    if meta.streams.contains_key(&alias) {
                        return Err(StreamError::AliasNameTaken { alias }.into());
                    }
                    let members = aliases.entry(alias).or_default();
                    for index in indices {
                        members.insert(index, props.clone());
                    }
                }
                AliasAction::Remove {
                    alias, must_exist, ..
                } => {
                    let mut found = false;
                    for (name, members) in aliases.iter_mut() {
                        if wildcard::matches(&alias, name) {
                            for index in &indices {
                                found |= members.remove(index).is_some();
                            }
                        }
                    }
                    if !found && must_exist {
                        return Err(StreamError::AliasesMissing {
                            aliases: vec![alias],
                        }
                        .into());
                    }
                }
                AliasAction::RemoveIndex { .. } => removed_indices.extend(indices),
            }
        }
        aliases.retain(|_, members| !members.is_empty());
        for (alias, members) in &aliases {
            let writers: Vec<&String> = members
                .iter()
                .filter(|(_, p)| p.is_write_index == Some(true))
                .map(|(i, _)| i)
                .collect();
            if writers.len() > 1 {
                return Err(StreamError::AliasSeveralWriteIndices {
                    alias: alias.clone(),
                    indices: writers.into_iter().cloned().collect(),
                }
                .into());
            }
        }
        let previous = std::mem::replace(&mut meta.aliases, aliases);
        if let Err(err) = meta.save_aliases() {
            meta.aliases = previous;
            return Err(err.into());
        }
        Ok(removed_indices)
    }

    /// Forgets `indices` in every alias (they are being deleted).
    pub(super) fn forget_in_aliases(&self, indices: &[String]) -> Result<(), IndexError> {
        let mut meta = self.streams.meta.lock();
        let before = meta.aliases.clone();
        for members in meta.aliases.values_mut() {
            members.retain(|i, _| !indices.contains(i));
        }
        meta.aliases.retain(|_, m| !m.is_empty());
        if meta.aliases != before {
            meta.save_aliases()?;
        }
        Ok(())
    }

    /// The aliases of the indices `index` resolves to (`None`: all indices) whose names match `alias`
    /// (`None`: all), by index; with the alias names asked for that matched nothing.
    pub fn aliases_of(
        &self,
        index: Option<&str>,
        alias: Option<&str>,
    ) -> Result<(AliasesByIndex, Vec<String>), IndexError> {
        let handles = match index {
            Some(expr) => self.resolve(expr)?,
            None => self.all(),
        };
        let patterns: Vec<&str> = alias
            .map(|a| {
                a.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let wanted = |name: &str| {
            patterns.is_empty()
                || patterns
                    .iter()
                    .any(|p| *p == "_all" || wildcard::matches(p, name))
        };
        let meta = self.streams.meta.lock();
        let mut out = AliasesByIndex::new();
        for h in &handles {
            let entry = out.entry(h.name.clone()).or_default();
            for (a, members) in &meta.aliases {
                if let (true, Some(p)) = (wanted(a), members.get(&h.name)) {
                    entry.insert(a.clone(), p.clone());
                }
            }
        }
        let missing = patterns
            .iter()
            .filter(|p| !wildcard::is_pattern(p) && **p != "_all")
            .filter(|p| !out.values().any(|m| m.contains_key(**p)))
            .map(|p| p.to_string())
            .collect();
        if !patterns.is_empty() {
            out.retain(|_, m| !m.is_empty());
        }
        Ok((out, missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_write_index_of_an_alias() {
        let props = |w: Option<bool>| AliasProps {
            is_write_index: w,
            ..AliasProps::default()
        };
        let members = |m: &[(&str, Option<bool>)]| -> BTreeMap<String, AliasProps> {
            m.iter().map(|(i, w)| (i.to_string(), props(*w))).collect()
        };
        assert_eq!(
            write_index("a", &members(&[("x", None)])).ok(),
            Some("x".into())
        );
        assert!(write_index("a", &members(&[("x", Some(false))])).is_err());
        assert!(write_index("a", &members(&[("x", None), ("y", None)])).is_err());
        assert_eq!(
            write_index("a", &members(&[("x", None), ("y", Some(true))])).ok(),
            Some("y".into())
        );
    }
}
