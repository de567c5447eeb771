//! The fields every status report starts with, whatever the role: the console's Fleet page reads them by
//! name (health from `updated_at`, the Started column from `started_at`).

use crate::event::timestamp;
use serde_json::{json, Map, Value};

/// Who reports: set once at start.
#[derive(Debug, Clone)]
pub struct ProcessIdentity {
    pub role: &'static str,
    pub host: String,
    pub started_at: String,
}

impl ProcessIdentity {
    /// This process in `role` on `host`, started now.
    pub fn new(role: &'static str, host: String) -> ProcessIdentity {
        ProcessIdentity {
            role,
            host,
            started_at: timestamp::now(),
        }
    }

    /// `role`, `version`, `host`, `pid`, `started_at` and `updated_at` (now), followed by `rest`'s fields.
    pub fn report(&self, rest: Value) -> Value {
        let mut fields = Map::new();
        fields.insert("role".into(), json!(self.role));
        fields.insert("version".into(), json!(env!("CARGO_PKG_VERSION")));
        fields.insert("host".into(), json!(self.host));
        fields.insert("pid".into(), json!(std::process::id()));
        fields.insert("started_at".into(), json!(self.started_at));
        fields.insert("updated_at".into(), json!(timestamp::now()));
        if let Value::Object(rest) = rest {
            fields.extend(rest);
        }
        Value::Object(fields)
    }
}
