//! The audit trail of collect-config changes made through the console: each save or restore writes a
//! record under `{audit_prefix}{host}/{time}-{random}` in the same etcd transaction as the change (so the
//! record exists exactly when the change does, and its `mod_revision` is the change's revision). A record
//! holds who, when, the host and key, the entries before and after, and the revision the change was made
//! against. The History page lists them per host with a line diff, and restores one side of a record with
//! the same compare-and-swap as an edit.

use super::etcd_gateway::{EtcdError, EtcdGateway, KeyValue};
use crate::config::CollectEntry;
use serde_json::{json, Value};
use similar::{ChangeTag, TextDiff};

/// Most records a history page lists (the newest).
pub const MAX_LISTED: usize = 200;

/// One change to write.
pub struct Change<'a> {
    pub host: &'a str,
    pub entries: &'a [CollectEntry],
    /// The key's mod_revision the change was made against (0: the key must not exist).
    pub expect_revision: i64,
    pub user: &'a str,
    /// `save` or `restore`.
    pub action: &'a str,
    /// For a restore: the revision of the record restored, and which side.
    pub restored_from: Option<(i64, &'a str)>,
}

/// The prefix of `host`'s records.
pub fn host_prefix(audit_prefix: &str, host: &str) -> String {
    format!("{audit_prefix}{host}/")
}

/// Writes `change` to `{collect_prefix}{host}` with its audit record; the new revision.
pub fn write(
    etcd: &EtcdGateway,
    collect_prefix: &str,
    audit_prefix: &str,
    change: &Change,
) -> Result<i64, EtcdError> {
    let key = format!("{collect_prefix}{}", change.host);
    let current = etcd.get(&key)?;
    let current_revision = current.as_ref().map_or(0, |kv| kv.mod_revision);
    if current_revision != change.expect_revision {
        return Err(EtcdError::Conflict {
            current: current_revision,
        });
    }
    let before: Value = match &current {
        Some(kv) => recorded_entries(&kv.value),
        None => Value::Null,
    };
    let now = chrono::Utc::now();
    let record = json!({
        "user": change.user,
        "time": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "host": change.host,
        "key": key,
        "action": change.action,
        "restored_from": change.restored_from.map(|(revision, side)| json!({"revision": revision, "side": side})),
        "before_revision": change.expect_revision,
        "before": before,
        "after": change.entries,
    });
    let record_key = format!(
        "{}{:013}-{:08x}",
        host_prefix(audit_prefix, change.host),
        now.timestamp_millis().max(0),
        random_u32()
    );
    let value = serde_json::to_string(change.entries)
        .map_err(|e| EtcdError::Unavailable(format!("cannot encode the entries: {e}")))?;
    etcd.put(
        &key,
        value,
        change.expect_revision,
        vec![(record_key, record.to_string())],
    )
}

fn random_u32() -> u32 {
    let mut bytes = [0u8; 4];
    // A clash needs the same millisecond too; without randomness the time alone still orders the keys.
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes)
}

/// A record as the History page shows it: its revision, the record's fields and a line diff of the
/// entries before and after (newest first).
pub fn history(records: &[KeyValue]) -> Vec<Value> {
    let mut out: Vec<Value> = records
        .iter()
        .filter_map(|kv| {
            let mut record: Value = serde_json::from_slice(&kv.value).ok()?;
            record["revision"] = json!(kv.mod_revision);
            record["diff"] = diff(&record["before"], &record["after"]);
            Some(record)
        })
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r["revision"].as_i64().unwrap_or(0)));
    out.truncate(MAX_LISTED);
    out
}

/// The record of `host` written at `revision`.
pub fn find(records: &[KeyValue], revision: i64) -> Option<Value> {
    let kv = records.iter().find(|kv| kv.mod_revision == revision)?;
    serde_json::from_slice(&kv.value).ok()
}

fn pretty(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        v => serde_json::to_string_pretty(v).unwrap_or_default() + "\n",
    }
}

/// A value from etcd as a record's `before`: entries the agent reads are written as the console writes
/// `after` (every key, in its order), so the diff shows what changed and not how the value was typed (a
/// hand-written `[{"path":"/a","topic":"t"}]` differs from a saved one in the defaults it leaves out).
/// Anything else (not entries, not JSON) is kept as it is.
fn recorded_entries(raw: &[u8]) -> Value {
    if let Ok(entries) = serde_json::from_slice::<Vec<CollectEntry>>(raw) {
        if let Ok(value) = serde_json::to_value(entries) {
            return value;
        }
    }
    serde_json::from_slice(raw)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(raw).into_owned()))
}

/// A line diff of two values as pretty JSON: `[{"op": "equal" | "delete" | "insert", "line"}]`.
pub fn diff(before: &Value, after: &Value) -> Value {
    let (old, new) = (pretty(before), pretty(after));
    let lines: Vec<Value> = TextDiff::from_lines(&old, &new)
        .iter_all_changes()
        .map(|change| {
            let op = match change.tag() {
                ChangeTag::Equal => "equal",
                ChangeTag::Delete => "delete",
                ChangeTag::Insert => "insert",
            };
            json!({"op": op, "line": change.value().trim_end_matches('\n')})
        })
        .collect();
    Value::Array(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_written_before_is_recorded_as_the_console_writes_entries() {
        let typed = br#"[{"topic":"t","path":"/var/log/a.log"}]"#;
        let entries: Vec<CollectEntry> = serde_json::from_slice(typed).expect("entries");
        let after = serde_json::to_value(&entries).expect("value");
        let before = recorded_entries(typed);
        assert_eq!(before, after);
        let d = diff(&before, &after);
        assert!(
            d.as_array()
                .expect("lines")
                .iter()
                .all(|l| l["op"] == "equal"),
            "{d}"
        );
        // Not entries: kept as they are.
        assert_eq!(recorded_entries(br#"{"x":1}"#), json!({"x": 1}));
        assert_eq!(recorded_entries(b"not json"), json!("not json"));
    }

    #[test]
    fn diff_marks_changed_lines() {
        let before = json!([{"path": "/var/log/a.log", "topic": "a"}]);
        let after = json!([{"path": "/var/log/a.log", "topic": "b"}]);
        let d = diff(&before, &after);
        let changed: Vec<(&str, &str)> = d
            .as_array()
            .expect("array")
            .iter()
            .filter(|l| l["op"] != "equal")
            .map(|l| {
                (
                    l["op"].as_str().unwrap_or(""),
                    l["line"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            changed,
            vec![
                ("delete", "    \"topic\": \"a\""),
                ("insert", "    \"topic\": \"b\"")
            ]
        );
        // A key that did not exist: every line is new.
        let created = diff(&Value::Null, &after);
        assert!(created
            .as_array()
            .expect("array")
            .iter()
            .all(|l| l["op"] == "insert"));
    }

    #[test]
    fn history_is_newest_first_with_revisions() {
        let record = |rev: i64, topic: &str| KeyValue {
            key: format!("/logpipe/audit/web-1/{rev}"),
            value:
                json!({"user": "ann", "before": null, "after": [{"path": "/a", "topic": topic}]})
                    .to_string()
                    .into_bytes(),
            mod_revision: rev,
        };
        let records = vec![record(5, "a"), record(9, "b")];
        let h = history(&records);
        assert_eq!(h[0]["revision"], 9);
        assert_eq!(h[1]["revision"], 5);
        assert_eq!(find(&records, 5).expect("found")["after"][0]["topic"], "a");
        assert!(find(&records, 6).is_none());
    }
}
