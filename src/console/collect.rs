//! Collect entries in etcd as the console reads and writes them: `/logpipe/collect/{host}` holds a JSON
//! array of collect entries (the agent's format, see `config::collect`), and the agents' status keys
//! (`/logpipe/status/agent/{host}`) say which revision each agent applied and what it found wrong.
//!
//! Invariant: the console writes a value only after every entry passed `CollectEntry::validate(_, true)`
//! (absolute, compilable glob; legal Kafka topic; sane sizes) and no two entries share a path — the same
//! checks the agent applies, so a saved value is one the agent accepts (apart from its local allowlist,
//! which only the agent knows and reports back in its status).

use super::etcd_gateway::KeyValue;
use super::queries::validate_host;
use crate::config::CollectEntry;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

/// Most entries one host may have.
pub const MAX_ENTRIES: usize = 1000;

/// Parses and validates entries for `host`; the error lists every problem, each naming its entry.
pub fn validate_entries(host: &str, entries: &[Value]) -> Result<Vec<CollectEntry>, Vec<String>> {
    if let Err(e) = validate_host(host) {
        return Err(vec![e]);
    }
    if entries.len() > MAX_ENTRIES {
        return Err(vec![format!("at most {MAX_ENTRIES} entries")]);
    }
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(entries.len());
    let mut paths = HashSet::new();
    for (i, value) in entries.iter().enumerate() {
        let name = format!("entries[{i}]");
        match serde_json::from_value::<CollectEntry>(value.clone()) {
            Ok(entry) => {
                if let Err(e) = entry.validate(&name, true) {
                    errors.push(e.to_string());
                } else if !paths.insert(entry.path.clone()) {
                    errors.push(format!(
                        "{name}.path: `{}` appears twice (one entry per path)",
                        entry.path
                    ));
                }
                parsed.push(entry);
            }
            Err(e) => errors.push(format!("{name}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

/// One row of the Collect config page: a host, its entries in etcd, and its agent's report (if alive).
pub fn hosts_view(collect_prefix: &str, collect: &[KeyValue], statuses: &[KeyValue]) -> Value {
    let mut hosts: BTreeMap<String, Value> = BTreeMap::new();
    for kv in collect {
        let Some(host) = kv.key.strip_prefix(collect_prefix) else {
            continue;
        };
        let parsed: Result<Value, _> = serde_json::from_slice(&kv.value);
        let (entries, error) = match parsed {
            Ok(Value::Array(entries)) => (Value::Array(entries), Value::Null),
            Ok(_) => (json!([]), json!("the value is not a JSON array")),
            Err(e) => (json!([]), json!(format!("the value is not JSON: {e}"))),
        };
        hosts.insert(
            host.to_string(),
            json!({"host": host, "key": kv.key, "revision": kv.mod_revision,
                   "entries": entries, "value_error": error, "agent": null}),
        );
    }
    for kv in statuses {
        let Ok(status) = serde_json::from_slice::<Value>(&kv.value) else {
            continue;
        };
        if status["role"] != "agent" {
            continue;
        }
        let Some(host) = status["host"].as_str() else {
            continue;
        };
        let config = &status["config"];
        let agent = json!({
            "status_key": kv.key,
            "updated_at": status["updated_at"],
            "version": status["version"],
            "key": config["key"],
            "applied_revision": config["revision"],
            "source": config["source"],
            "connected": config["connected"],
            "errors": config["errors"],
            "connection_error": config["connection_error"],
        });
        let row = hosts.entry(host.to_string()).or_insert_with(|| {
            json!({"host": host, "key": format!("{collect_prefix}{host}"), "revision": 0,
                   "entries": [], "value_error": null})
        });
        row["agent"] = agent;
    }
    json!({"hosts": hosts.into_values().collect::<Vec<_>>()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_validated_like_the_agent_does() {
        let ok = vec![json!({"path": "/var/log/a.log", "topic": "a"})];
        assert_eq!(validate_entries("web-1", &ok).map(|e| e.len()), Ok(1));
        let bad = vec![
            json!({"path": "/var/log/a.log", "topic": "bad topic"}),
            json!({"path": "relative.log", "topic": "t"}),
            json!({"path": "/var/log/[.log", "topic": "t"}),
            json!({"path": "/var/log/b.log"}),
            json!({"path": "/var/log/c.log", "topic": "c", "unknown": 1}),
            json!({"path": "/var/log/d.log", "topic": "d"}),
            json!({"path": "/var/log/d.log", "topic": "d2"}),
        ];
        let errors = validate_entries("web-1", &bad).unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:?}");
        assert!(errors[0].starts_with("entries[0].topic"));
        assert!(errors[1].starts_with("entries[1].path"));
        assert!(errors[2].contains("bad glob"));
        assert!(errors[3].contains("topic: missing"));
        assert!(errors[4].contains("unknown"));
        assert!(errors[5].contains("twice"));
        assert!(validate_entries("a/b", &ok).is_err());
    }

    #[test]
    fn hosts_join_collect_keys_and_agent_statuses() {
        let collect = vec![KeyValue {
            key: "/logpipe/collect/web-1".into(),
            value: br#"[{"path":"/var/log/a.log","topic":"a"}]"#.to_vec(),
            mod_revision: 7,
        }];
        let statuses = vec![KeyValue {
            key: "/logpipe/status/agent/web-2".into(),
            value: br#"{"role":"agent","host":"web-2","config":{"revision":0,"errors":[]}}"#
                .to_vec(),
            mod_revision: 9,
        }];
        let view = hosts_view("/logpipe/collect/", &collect, &statuses);
        assert_eq!(view["hosts"][0]["host"], "web-1");
        assert_eq!(view["hosts"][0]["revision"], 7);
        assert_eq!(view["hosts"][1]["host"], "web-2");
        assert_eq!(view["hosts"][1]["agent"]["applied_revision"], 0);
    }
}
