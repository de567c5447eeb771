//! The index set's data stream and template operations: what a write to a name goes to
//! ([`IndexSet::write_kind`], [`IndexSet::stream_write_target`], auto-creating the data stream), creating,
//! listing, rolling over and deleting data streams, the template APIs, and retention by age of backing
//! indices. The metadata is `data_streams.rs`'s; the indices are the set's.
//!
//! Lock order: the streams' admin lock, then the set's admin lock (inside `get_or_create` / `delete`),
//! then the metadata lock, held only to read or change the metadata, never while taking another.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use crate::index::data_streams::{backing_index_name, new_uuid, BackingIndex, DataStream};
use crate::index::error::IndexError;
use crate::index::handle::IndexHandle;
use crate::index::names::validate_index_name;
use crate::index::set::IndexSet;
use crate::index::stream_error::StreamError;
use crate::index::templates::{check_overlaps, template_for, IndexTemplate};
use crate::wildcard;

/// What a write to a name goes to.
#[derive(Debug, PartialEq, Eq)]
pub enum WriteKind {
    /// A plain index (existing or to be created).
    Index,
    /// A data stream (existing, or to be created by a `create`: a data stream template matches).
    DataStream,
    /// A backing index of data stream `stream`, named directly.
    BackingIndex { stream: String },
}

/// Where the `create`s into a data stream go.
pub struct StreamTarget {
    /// The write index.
    pub write: Arc<IndexHandle>,
    /// The other backing indices, where an `_id` must not exist either.
    pub older: Vec<Arc<IndexHandle>>,
}

/// A rollover done.
pub struct Rollover {
    pub old_index: String,
    pub new_index: String,
}

impl IndexSet {
    /// What a write to `name` goes to. An existing plain index stays one even if a data stream template
    /// matches its name (as in ES, templates apply when something is created).
    pub fn write_kind(&self, name: &str) -> WriteKind {
        let template_makes_stream = {
            let meta = self.streams.meta.lock();
            if meta.streams.contains_key(name) {
                return WriteKind::DataStream;
            }
            if let Some(stream) = meta.stream_of_backing(name) {
                return WriteKind::BackingIndex {
                    stream: stream.name.clone(),
                };
            }
            template_for(&meta.templates, name).is_some_and(|(_, t)| t.data_stream.is_some())
        };
        if template_makes_stream && self.get(name).is_none() {
            WriteKind::DataStream
        } else {
            WriteKind::Index
        }
    }

    /// The indices of data stream `name`, creating the data stream if a template with `data_stream`
    /// matches it and it does not exist yet.
    pub fn stream_write_target(&self, name: &str) -> Result<StreamTarget, IndexError> {
        if let Some(target) = self.existing_stream_target(name)? {
            return Ok(target);
        }
        let _admin = self.streams.admin.lock();
        if let Some(target) = self.existing_stream_target(name)? {
            return Ok(target);
        }
        let template = self.stream_template(name)?;
        self.create_stream_locked(name, template)?;
        self.existing_stream_target(name)?
            .ok_or_else(|| StreamError::DataStreamNotFound { name: name.into() }.into())
    }

    /// `PUT _data_stream/{name}`.
    pub fn create_data_stream(&self, name: &str) -> Result<(), IndexError> {
        let _admin = self.streams.admin.lock();
        if self.streams.meta.lock().streams.contains_key(name) {
            return Err(StreamError::DataStreamExists { name: name.into() }.into());
        }
        if self.get(name).is_some() {
            return Err(IndexError::AlreadyExists { name: name.into() });
        }
        let template = self.stream_template(name)?;
        self.create_stream_locked(name, template)
    }

    /// The data streams `expr` names (`None`, `*`, `_all`: all; names and patterns, comma separated); a
    /// concrete name naming none is [`StreamError::DataStreamNotFound`].
    pub fn data_streams(&self, expr: Option<&str>) -> Result<Vec<DataStream>, IndexError> {
        let meta = self.streams.meta.lock();
        let mut out: Vec<DataStream> = Vec::new();
        let parts: Vec<&str> = match expr {
            None => vec!["*"],
            Some(e) => e
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect(),
        };
        for part in parts {
            let found: Vec<&DataStream> = if part == "_all" || wildcard::is_pattern(part) {
                let pattern = if part == "_all" { "*" } else { part };
                meta.streams
                    .values()
                    .filter(|s| wildcard::matches(pattern, &s.name))
                    .collect()
            } else {
                match meta.streams.get(part) {
                    Some(s) => vec![s],
                    None => {
                        return Err(StreamError::DataStreamNotFound { name: part.into() }.into())
                    }
                }
            };
            for s in found {
                if !out.iter().any(|o| o.name == s.name) {
                    out.push(s.clone());
                }
            }
        }
        Ok(out)
    }

    /// `DELETE _data_stream/{name}`: forgets the data streams `expr` names, then deletes their backing
    /// indices; returns the data streams' names.
    pub fn delete_data_streams(&self, expr: &str) -> Result<Vec<String>, IndexError> {
        let _admin = self.streams.admin.lock();
        let doomed = self.data_streams(Some(expr))?;
        {
            let mut meta = self.streams.meta.lock();
            for s in &doomed {
                meta.streams.remove(&s.name);
            }
            meta.save_streams()?;
        }
        for s in &doomed {
            for b in &s.indices {
                match self.delete(&b.index_name) {
                    Ok(_) | Err(IndexError::NotFound { .. }) => {}
                    Err(err) => return Err(err),
                }
            }
            log::info!("store: deleted data stream [{}]", s.name);
        }
        Ok(doomed.into_iter().map(|s| s.name).collect())
    }

    /// `POST {name}/_rollover` of a data stream: a new backing index becomes the write index. The old one
    /// is committed first, so the `_id` checks of later `create`s see all it holds.
    pub fn rollover(&self, name: &str) -> Result<Rollover, IndexError> {
        let _admin = self.streams.admin.lock();
        let stream = self
            .streams
            .meta
            .lock()
            .streams
            .get(name)
            .cloned()
            .ok_or_else(|| StreamError::DataStreamNotFound { name: name.into() })?;
        let old_index = stream
            .write_index()
            .map(|b| b.index_name.clone())
            .unwrap_or_default();
        if let Some(h) = self.get(&old_index) {
            h.refresh()?;
        }
        let now = Utc::now();
        let generation = stream.generation + 1;
        let new_index = backing_index_name(name, generation, now);
        self.get_or_create(&new_index)?;
        let mut meta = self.streams.meta.lock();
        if let Some(s) = meta.streams.get_mut(name) {
            s.generation = generation;
            s.indices.push(BackingIndex {
                index_name: new_index.clone(),
                index_uuid: new_uuid(&new_index, now),
                created_millis: now.timestamp_millis(),
            });
        }
        meta.save_streams()?;
        log::info!("store: rolled data stream [{name}] over from [{old_index}] to [{new_index}]");
        Ok(Rollover {
            old_index,
            new_index,
        })
    }

    /// `PUT _index_template/{name}`.
    pub fn put_template(&self, name: &str, template: IndexTemplate) -> Result<(), IndexError> {
        let mut meta = self.streams.meta.lock();
        check_overlaps(&meta.templates, name, &template)?;
        let previous = meta.templates.insert(name.to_string(), template);
        if let Err(err) = meta.save_templates() {
            match previous {
                Some(p) => meta.templates.insert(name.to_string(), p),
                None => meta.templates.remove(name),
            };
            return Err(err.into());
        }
        Ok(())
    }

    /// `GET _index_template[/{name}]`: the templates `expr` names (`None`: all; a pattern may match
    /// none; a name must exist).
    pub fn templates(
        &self,
        expr: Option<&str>,
    ) -> Result<Vec<(String, IndexTemplate)>, IndexError> {
        let meta = self.streams.meta.lock();
        let mut out = Vec::new();
        let parts: Vec<&str> = expr.map_or(vec!["*"], |e| e.split(',').collect());
        for part in parts {
            if wildcard::is_pattern(part) {
                out.extend(
                    meta.templates
                        .iter()
                        .filter(|(n, _)| wildcard::matches(part, n))
                        .map(|(n, t)| (n.clone(), t.clone())),
                );
            } else {
                let t = meta
                    .templates
                    .get(part)
                    .ok_or_else(|| StreamError::TemplateNotFound { name: part.into() })?;
                out.push((part.to_string(), t.clone()));
            }
        }
        out.dedup_by(|a, b| a.0 == b.0);
        Ok(out)
    }

    /// `DELETE _index_template/{name}`: refused while a data stream matches only it.
    pub fn delete_template(&self, name: &str) -> Result<(), IndexError> {
        let mut meta = self.streams.meta.lock();
        if !meta.templates.contains_key(name) {
            return Err(StreamError::TemplateMissing { name: name.into() }.into());
        }
        let users: Vec<String> = meta
            .streams
            .keys()
            .filter(|s| {
                meta.templates
                    .iter()
                    .filter(|(_, t)| t.matches(s))
                    .all(|(n, _)| n == name)
                    && meta.templates.get(name).is_some_and(|t| t.matches(s))
            })
            .cloned()
            .collect();
        if !users.is_empty() {
            return Err(StreamError::TemplateInUse {
                templates: vec![name.to_string()],
                streams: users,
            }
            .into());
        }
        if let Some(t) = meta.templates.remove(name) {
            if let Err(err) = meta.save_templates() {
                meta.templates.insert(name.to_string(), t);
                return Err(err.into());
            }
        }
        Ok(())
    }

    /// `PUT /{index}`: refused for a name a data stream template matches (ES: use the data stream API).
    pub fn check_plain_index_name(&self, name: &str) -> Result<(), IndexError> {
        let meta = self.streams.meta.lock();
        match template_for(&meta.templates, name) {
            Some((template, t)) if t.data_stream.is_some() => {
                Err(StreamError::IndexMatchesStreamTemplate {
                    name: name.into(),
                    template: template.into(),
                }
                .into())
            }
            _ => Ok(()),
        }
    }

    /// The index called `name`, or the backing indices of data stream `name`, newest first (for reading
    /// one document by `_id`).
    pub fn index_or_stream(&self, name: &str) -> Result<Vec<Arc<IndexHandle>>, IndexError> {
        if let Some(h) = self.get(name) {
            return Ok(vec![h]);
        }
        let backing: Vec<String> = match self.streams.meta.lock().streams.get(name) {
            Some(s) => s
                .indices
                .iter()
                .rev()
                .map(|b| b.index_name.clone())
                .collect(),
            None if self.is_closed(name) => {
                return Err(IndexError::Closed {
                    name: name.to_string(),
                })
            }
            None => {
                return Err(IndexError::NotFound {
                    name: name.to_string(),
                })
            }
        };
        Ok(backing.iter().filter_map(|b| self.get(b)).collect())
    }

    /// Each data stream's name and its backing indices' names (for resolving index expressions).
    pub(super) fn stream_members(&self) -> Vec<(String, Vec<String>)> {
        self.streams
            .meta
            .lock()
            .streams
            .values()
            .map(|s| {
                let names = s.indices.iter().map(|b| b.index_name.clone()).collect();
                (s.name.clone(), names)
            })
            .collect()
    }

    /// Refuses deleting a data stream's write index through the index API, and forgets the other backing
    /// indices among `names` (they are about to be deleted).
    /// Those of `names` that are the write index of a data stream (which cannot be closed).
    pub(super) fn stream_write_indices(&self, names: &[&str]) -> Vec<String> {
        let meta = self.streams.meta.lock();
        names
            .iter()
            .filter(|name| {
                meta.stream_of_backing(name)
                    .and_then(|s| s.write_index())
                    .is_some_and(|w| w.index_name == **name)
            })
            .map(|name| name.to_string())
            .collect()
    }

    pub(super) fn release_backing_indices(&self, names: &[String]) -> Result<(), IndexError> {
        let mut meta = self.streams.meta.lock();
        for name in names {
            if let Some(stream) = meta.stream_of_backing(name) {
                if stream.write_index().is_some_and(|w| &w.index_name == name) {
                    return Err(StreamError::WriteIndexDelete {
                        index: name.clone(),
                        stream: stream.name.clone(),
                    }
                    .into());
                }
            }
        }
        let mut changed = false;
        for stream in meta.streams.values_mut() {
            let before = stream.indices.len();
            stream.indices.retain(|b| !names.contains(&b.index_name));
            changed |= stream.indices.len() != before;
        }
        if changed {
            meta.save_streams()?;
        }
        Ok(())
    }

    /// Retention of data streams: rolls over a write index holding documents once it is as old as ES's
    /// automatic rollover for this retention would allow (1 day for up to 14 days of retention, 7 days up
    /// to 90, else 30), then deletes the backing indices that stopped taking writes before `today - days`
    /// (never a write index). Returns the deleted names.
    pub fn apply_stream_retention(&self, days: u32, today: NaiveDate) -> Vec<String> {
        let Some(cutoff) = today.checked_sub_days(chrono::Days::new(u64::from(days))) else {
            return Vec::new();
        };
        let max_age_days: u64 = match days {
            0..=14 => 1,
            15..=90 => 7,
            _ => 30,
        };
        let date_of =
            |millis: i64| chrono::DateTime::from_timestamp_millis(millis).map(|t| t.date_naive());
        for stream in self.data_streams(None).unwrap_or_default() {
            let Some(write) = stream.write_index() else {
                continue;
            };
            let old_enough = date_of(write.created_millis)
                .and_then(|d| d.checked_add_days(chrono::Days::new(max_age_days)))
                .is_some_and(|due| due <= today);
            let holds_documents = self
                .get(&write.index_name)
                .is_some_and(|h| h.doc_count() > 0 || h.uncommitted().is_some());
            if old_enough && holds_documents {
                if let Err(err) = self.rollover(&stream.name) {
                    log::warn!(
                        "store: retention could not roll [{}] over: {err}",
                        stream.name
                    );
                }
            }
        }
        let mut deleted = Vec::new();
        for stream in self.data_streams(None).unwrap_or_default() {
            for b in &stream.indices {
                let expired = stream
                    .rolled_over_millis(&b.index_name)
                    .and_then(date_of)
                    .is_some_and(|d| d < cutoff);
                if !expired {
                    continue;
                }
                match self.delete(&b.index_name) {
                    Ok(mut n) => deleted.append(&mut n),
                    Err(err) => log::warn!(
                        "store: retention could not delete [{}]: {err}",
                        b.index_name
                    ),
                }
            }
        }
        deleted
    }

    /// The target of an existing data stream `name`.
    fn existing_stream_target(&self, name: &str) -> Result<Option<StreamTarget>, IndexError> {
        let Some(stream) = self.streams.meta.lock().streams.get(name).cloned() else {
            return Ok(None);
        };
        let Some(write_name) = stream.write_index().map(|b| b.index_name.clone()) else {
            return Ok(None);
        };
        let write = self
            .get(&write_name)
            .ok_or(IndexError::NotFound { name: write_name })?;
        let older = stream.indices[..stream.indices.len() - 1]
            .iter()
            .filter_map(|b| self.get(&b.index_name))
            .collect();
        Ok(Some(StreamTarget { write, older }))
    }

    /// The template with `data_stream` that data stream `name` is created from.
    fn stream_template(&self, name: &str) -> Result<String, IndexError> {
        validate_index_name(name)?;
        let meta = self.streams.meta.lock();
        match template_for(&meta.templates, name) {
            Some((template, t)) if t.data_stream.is_some() && !name.starts_with(".ds-") => {
                Ok(template.to_string())
            }
            _ => Err(StreamError::NoDataStreamTemplate { name: name.into() }.into()),
        }
    }

    /// Creates data stream `name` from `template` (the streams' admin lock held): its first backing index,
    /// then the metadata naming it.
    fn create_stream_locked(&self, name: &str, template: String) -> Result<(), IndexError> {
        let now = Utc::now();
        let index_name = backing_index_name(name, 1, now);
        self.get_or_create(&index_name)?;
        let stream = DataStream {
            name: name.to_string(),
            template,
            generation: 1,
            indices: vec![BackingIndex {
                index_uuid: new_uuid(&index_name, now),
                index_name,
                created_millis: now.timestamp_millis(),
            }],
        };
        let mut meta = self.streams.meta.lock();
        meta.streams.insert(name.to_string(), stream);
        if let Err(err) = meta.save_streams() {
            meta.streams.remove(name);
            return Err(err.into());
        }
        log::info!("store: created data stream [{name}]");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Days;

    use super::*;
    use crate::bulk::{bulk, IdGen};
    use crate::index::refresher::Refresh;

    fn create_into(set: &IndexSet, stream: &str, id: &str) {
        let body = format!(
            "{{\"create\":{{\"_index\":\"{stream}\",\"_id\":\"{id}\"}}}}\n{{\"@timestamp\":\"2026-12-04T00:00:00Z\"}}\n"
        );
        let r = bulk(set, &IdGen::default(), body.as_bytes(), None, Refresh::True);
        assert!(r.is_ok_and(|r| !r.errors()));
    }

    /// Retention rolls a write index holding documents over once it is a day old (retention up to 14
    /// days), deletes the generations that stopped taking writes before the cutoff, and never the write
    /// index.
    #[test]
    fn retention_rolls_over_and_deletes_old_generations() {
        let dir = tempfile::tempdir().expect("tempdir");
        let set =
            IndexSet::open(dir.path(), &crate::index::StoreSettings::default()).expect("open");
        create_into(&set, "logs-a-default", "1");
        let today = Utc::now().date_naive();
        let gen1 = set.data_streams(Some("logs-a-default")).expect("stream")[0].indices[0]
            .index_name
            .clone();

        // Today nothing is old: no rollover, nothing deleted.
        assert!(set.apply_retention(3, today).is_empty());
        assert_eq!(set.data_streams(None).expect("streams")[0].generation, 1);

        // Ten days on, with 3 days of retention: the first generation is rolled over, then deleted.
        let later = today.checked_add_days(Days::new(10)).expect("date");
        assert_eq!(set.apply_retention(3, later), vec![gen1.clone()]);
        let stream = &set.data_streams(None).expect("streams")[0];
        assert_eq!(stream.generation, 2);
        assert_eq!(stream.indices.len(), 1);
        assert!(set.get(&gen1).is_none());

        // The new write index is empty: it is neither rolled over nor deleted, however late.
        let much_later = today.checked_add_days(Days::new(400)).expect("date");
        assert!(set.apply_retention(0, much_later).is_empty());
        assert_eq!(set.data_streams(None).expect("streams")[0].indices.len(), 1);

        // With 30 days of retention, a write index is rolled over after 7 days, not after 1.
        create_into(&set, "logs-a-default", "2");
        let two_days = today.checked_add_days(Days::new(2)).expect("date");
        assert!(set.apply_retention(30, two_days).is_empty());
        assert_eq!(set.data_streams(None).expect("streams")[0].generation, 2);
        let eight_days = today.checked_add_days(Days::new(8)).expect("date");
        assert!(set.apply_retention(30, eight_days).is_empty());
        assert_eq!(set.data_streams(None).expect("streams")[0].generation, 3);
        set.close_all();
    }
}
