//! Turning an etcd value into the collect entries to apply, entry by entry.
//!
//! The value is a JSON array of collect entries: the seeds' `[{"path":"/var/log/s4.log","topic":"s4_log"}]`
//! and every optional key of a local `[[collect]]` entry. Each element is parsed, validated with
//! `CollectEntry::validate(name, true)` (topic required) and checked against the allowlist on its own. A bad
//! element is reported (naming the key, its index and its path) and replaced by the previously applied entry
//! with the same `path`, if there was one: a typo in one entry never stops or changes what that entry was
//! doing, and never affects the other entries. A value that is not a JSON array at all is `Err`: the caller
//! keeps its whole previous config. A deleted key means no etcd entries.

use crate::config::allow::AllowError;
use crate::config::CollectEntry;
use crate::config::ConfigError;
use crate::config::PathAllowlist;

/// Why a value, or one entry of it, is not applied; each names the key (and the entry).
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// The whole value: the caller keeps its previous config.
    #[error(
        "{key}: the value is not a JSON array of collect entries ({source}); keeping the previous config"
    )]
    NotAnArray {
        key: String,
        source: serde_json::Error,
    },
    #[error("{name}: {source}")]
    Malformed {
        name: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error("{name}.path: `{path}` {source}")]
    NotAllowed {
        name: String,
        path: String,
        source: AllowError,
    },
    #[error(
        "{name}.max_line_bytes: {value} is above this host's ceiling of {ceiling} (etcd.max_line_bytes in \
         the local config)"
    )]
    AboveCeiling {
        name: String,
        value: usize,
        ceiling: usize,
    },
}

/// The entries to apply and the problems found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub entries: Vec<CollectEntry>,
    pub errors: Vec<String>,
}

/// Resolves `value` of `key` against the previously applied etcd entries.
pub fn resolve(
    key: &str,
    value: Option<&[u8]>,
    previous: &[CollectEntry],
    limits: &EntryLimits,
) -> Result<Resolved, EntryError> {
    let Some(value) = value else {
        return Ok(Resolved {
            entries: Vec::new(),
            errors: Vec::new(),
        });
    };
    let elements: Vec<serde_json::Value> =
        serde_json::from_slice(value).map_err(|source| EntryError::NotAnArray {
            key: key.to_string(),
            source,
        })?;
    let mut entries = Vec::with_capacity(elements.len());
    let mut errors = Vec::new();
    for (i, element) in elements.into_iter().enumerate() {
        let name = format!("{key}[{i}]");
        let path = element
            .get("path")
            .and_then(|p| p.as_str())
            .map(str::to_string);
        match check(&name, element, limits) {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                let kept = path
                    .as_deref()
                    .and_then(|p| previous.iter().find(|e| e.path == p));
                let outcome = match kept {
                    Some(old) => {
                        entries.push(old.clone());
                        "keeping the previous entry for this path"
                    }
                    None => "entry ignored",
                };
                errors.push(format!(
                    "{name} (path {}): {error}; {outcome}",
                    path.as_deref().unwrap_or("?")
                ));
            }
        }
    }
    Ok(Resolved { entries, errors })
}

/// What the local administrator lets etcd ask of this host.
#[derive(Debug, Clone)]
pub struct EntryLimits {
    /// The files etcd may name (`etcd.allow_paths`).
    pub allow: std::sync::Arc<PathAllowlist>,
    /// The largest `max_line_bytes` an etcd entry may set (`etcd.max_line_bytes`).
    pub max_line_bytes: usize,
}

impl EntryLimits {
    /// Whether an entry from etcd may be applied: valid (topic required), inside the allowlist, and
    /// within the local ceilings. The error starts with `name`.
    pub fn check(&self, name: &str, entry: &CollectEntry) -> Result<(), EntryError> {
        entry.validate(name, true)?;
        self.allow
            .permits_entry(&entry.path)
            .map_err(|source| EntryError::NotAllowed {
                name: name.to_string(),
                path: entry.path.clone(),
                source,
            })?;
        if entry.max_line_bytes > self.max_line_bytes {
            return Err(EntryError::AboveCeiling {
                name: name.to_string(),
                value: entry.max_line_bytes,
                ceiling: self.max_line_bytes,
            });
        }
        Ok(())
    }
}

fn check(
    name: &str,
    element: serde_json::Value,
    limits: &EntryLimits,
) -> Result<CollectEntry, EntryError> {
    let entry: CollectEntry =
        serde_json::from_value(element).map_err(|source| EntryError::Malformed {
            name: name.to_string(),
            source,
        })?;
    limits.check(name, &entry)?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow() -> EntryLimits {
        EntryLimits {
            allow: std::sync::Arc::new(
                PathAllowlist::new(&["/var/log/**".to_string()]).expect("compiles"),
            ),
            max_line_bytes: 4 << 20,
        }
    }

    #[test]
    fn seeds_value_resolves() {
        let value = br#"[{"path":"/var/log/s4.log","topic":"s4_log"},{"path":"/var/log/app/*.log","topic":"app","codec":"raw","fields":{"env":"prod"}}]"#;
        let r = resolve("/k", Some(value), &[], &allow()).expect("array");
        assert_eq!(r.entries.len(), 2);
        assert!(r.errors.is_empty());
    }

    #[test]
    fn malformed_value_is_an_error() {
        assert!(resolve("/k", Some(b"[{"), &[], &allow())
            .unwrap_err()
            .to_string()
            .contains("/k"));
        assert!(resolve("/k", Some(b"{\"path\":\"/x\"}"), &[], &allow()).is_err());
    }

    #[test]
    fn bad_entries_keep_their_previous_version() {
        let previous: Vec<CollectEntry> =
            serde_json::from_str(r#"[{"path":"/var/log/a.log","topic":"a"}]"#).expect("json");
        let value = br#"[{"path":"/var/log/a.log","topic":"bad topic"},{"path":"/etc/passwd","topic":"p"},{"path":"/var/log/b.log","topic":"b"},{"path":"/var/log/c.log"}]"#;
        let r = resolve("/k", Some(value), &previous, &allow()).expect("array");
        let paths: Vec<&str> = r.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec!["/var/log/a.log", "/var/log/b.log"]);
        assert_eq!(r.entries[0].topic.as_deref(), Some("a"));
        assert_eq!(r.errors.len(), 3, "{:?}", r.errors);
        assert!(r.errors[0].contains("/k[0].topic"), "{}", r.errors[0]);
        assert!(r.errors[1].contains("/etc/passwd") && r.errors[1].contains("allow_paths"));
        assert!(r.errors[2].contains("/k[3].topic"), "{}", r.errors[2]);
    }

    #[test]
    fn deleted_key_means_no_entries() {
        let r = resolve("/k", None, &[], &allow()).expect("ok");
        assert!(r.entries.is_empty());
    }

    #[test]
    fn etcd_cannot_raise_max_line_bytes_above_the_local_ceiling() {
        let value = br#"[{"path":"/var/log/a.log","topic":"a","max_line_bytes":419430400},{"path":"/var/log/b.log","topic":"b","max_line_bytes":2097152}]"#;
        let r = resolve("/k", Some(value), &[], &allow()).expect("array");
        let paths: Vec<&str> = r.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec!["/var/log/b.log"]);
        assert!(r.errors[0].contains("max_line_bytes"), "{:?}", r.errors);
    }
}
