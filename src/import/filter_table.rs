//! The TOML shape both importers write a logpipe filter in: `{ NAME = { OPTIONS } }`.

use toml::{Table, Value};

/// `{ name = options }`: one entry of a `filters` list.
pub fn filter_spec(name: &str, options: Table) -> Value {
    Value::Table(table_of(name, Value::Table(options)))
}

/// A table with one key.
pub fn table_of(key: &str, value: Value) -> Table {
    let mut table = Table::new();
    table.insert(key.into(), value);
    table
}
