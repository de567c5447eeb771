//! The reference against the types: every key serde accepts is documented and every documented key is
//! accepted, each example parses, each documented default is the default, and docs/CONFIG.md and
//! `--help` are what the tables generate.

use super::accepted::{accepted_keys, Shape};
use super::{render, Absent, ConfigFile, Key, Kind, Type, FILES};
use crate::config::agent::{AgentConfig, AGENT_FILE};
use crate::config::console::{ConsoleConfig, CONSOLE_FILE};
use crate::config::standalone::{StandaloneConfig, STANDALONE_FILE};
use crate::config::transfer::{TransferConfig, TRANSFER_FILE};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Debug;

/// The shape serde must have for a documented key.
fn expected_shape(key: &Key) -> &'static str {
    match key.kind {
        Kind::Value {
            ty: Type::Fields, ..
        } => "map",
        Kind::Value { .. } => "value",
        Kind::Table(_) => "table",
        Kind::Tables(_) => "array of tables",
        Kind::Map { .. } => "map",
    }
}

fn shape_name(shape: &Shape) -> &'static str {
    match shape {
        Shape::Value => "value",
        Shape::Seq(inner) if **inner == Shape::Value => "value",
        Shape::Seq(_) => "array of tables",
        Shape::Struct(_) => "table",
        Shape::Map => "map",
    }
}

fn both_directions<T: for<'de> Deserialize<'de>>(file: &ConfigFile) {
    let mut accepted: BTreeMap<String, &'static str> = accepted_keys::<T>()
        .iter()
        .map(|(path, shape)| (path.clone(), shape_name(shape)))
        .collect();
    for key in file.not_for_this_file {
        assert!(
            accepted.remove(*key).is_some(),
            "{}: {key} is listed as not for this file, but serde does not read it",
            file.name
        );
    }
    let documented: BTreeMap<String, &'static str> = file
        .keys_by_path()
        .into_iter()
        .map(|(path, key)| (path, expected_shape(key)))
        .collect();
    let undocumented: Vec<_> = accepted
        .keys()
        .filter(|k| !documented.contains_key(*k))
        .collect();
    assert!(
        undocumented.is_empty(),
        "{}: serde accepts keys the reference lacks: {undocumented:?}",
        file.name
    );
    let unknown: Vec<_> = documented
        .keys()
        .filter(|k| !accepted.contains_key(*k))
        .collect();
    assert!(
        unknown.is_empty(),
        "{}: the reference documents keys serde refuses: {unknown:?}",
        file.name
    );
    assert_eq!(accepted, documented, "{}: shapes differ", file.name);
}

#[test]
fn every_accepted_key_is_documented_and_every_documented_key_accepted() {
    both_directions::<AgentConfig>(&AGENT_FILE);
    both_directions::<TransferConfig>(&TRANSFER_FILE);
    both_directions::<StandaloneConfig>(&STANDALONE_FILE);
    both_directions::<ConsoleConfig>(&CONSOLE_FILE);
}

/// The probe itself finds a key added to a type, whatever its place (a nested table, an array of tables,
/// an optional table), so the test above cannot pass by missing one.
#[test]
fn the_probe_finds_keys_at_every_depth() {
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        deep: u32,
        #[serde(default, deserialize_with = "crate::config::duration::deserialize")]
        wait: std::time::Duration,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        top: String,
        table: Option<Inner>,
        list: Vec<Inner>,
        names: Vec<String>,
        free: BTreeMap<String, String>,
    }
    let keys: Vec<(String, &str)> = accepted_keys::<Outer>()
        .iter()
        .map(|(k, s)| (k.clone(), shape_name(s)))
        .collect();
    let expected = [
        ("free", "map"),
        ("list", "array of tables"),
        ("list.deep", "value"),
        ("list.wait", "value"),
        ("names", "value"),
        ("table", "table"),
        ("table.deep", "value"),
        ("table.wait", "value"),
        ("top", "value"),
    ];
    assert_eq!(
        keys,
        expected
            .iter()
            .map(|(k, s)| (k.to_string(), *s))
            .collect::<Vec<_>>()
    );
}

fn toml_value(text: &str) -> toml::Value {
    let table: toml::Table =
        toml::from_str(&format!("v = {text}")).unwrap_or_else(|e| panic!("{text}: {e}"));
    table["v"].clone()
}

/// Sets `path` (under `groups`) to `value` in `doc`.
fn set(
    doc: &mut toml::Table,
    groups: &'static [&'static [Key]],
    path: &[&str],
    value: toml::Value,
) {
    let (name, parent) = path.split_last().expect("a path");
    table_at(doc, groups, parent).insert(name.to_string(), value);
}

/// The table at `path` (under `groups`) in `doc`, created on the way with the required keys of each table
/// (from the examples); of an array of tables, the first.
fn table_at<'a>(
    doc: &'a mut toml::Table,
    groups: &'static [&'static [Key]],
    path: &[&str],
) -> &'a mut toml::Table {
    let Some((name, rest)) = path.split_first() else {
        return doc;
    };
    let key = groups
        .iter()
        .flat_map(|g| g.iter())
        .find(|k| k.name == *name)
        .unwrap_or_else(|| panic!("{name} is not documented"));
    let sub = key.sub_keys().expect("a table");
    let table = match key.kind {
        Kind::Tables(_) => doc
            .entry(name.to_string())
            .or_insert_with(|| toml::Value::Array(vec![toml::Value::Table(required(sub))]))
            .as_array_mut()
            .and_then(|a| a.first_mut())
            .and_then(toml::Value::as_table_mut)
            .expect("an array of tables"),
        _ => doc
            .entry(name.to_string())
            .or_insert_with(|| toml::Value::Table(required(sub)))
            .as_table_mut()
            .expect("a table"),
    };
    table_at(table, sub, rest)
}

/// A table holding the required keys of `groups`, set to their examples.
fn required(groups: &'static [&'static [Key]]) -> toml::Table {
    let mut table = toml::Table::new();
    for key in groups.iter().flat_map(|g| g.iter()) {
        if let Kind::Value {
            absent: Absent::Required,
            example,
            ..
        } = key.kind
        {
            table.insert(key.name.to_string(), toml_value(example));
        }
    }
    table
}

fn parse<T: for<'de> Deserialize<'de> + Debug>(doc: &toml::Table, what: &str) -> String {
    let text = toml::to_string(doc).expect("serializes");
    let config: T = toml::from_str(&text).unwrap_or_else(|e| panic!("{what}:\n{text}\n{e}"));
    format!("{config:?}")
}

/// Every example value parses (all keys at once), every documented default leaves the parsed config as
/// it was, and every value of a `OneOf` key is accepted.
fn examples_and_defaults<T: for<'de> Deserialize<'de> + Debug>(file: &ConfigFile) {
    let minimal: toml::Table = toml::from_str(file.minimal).expect("minimal parses as TOML");
    parse::<T>(&minimal, &format!("{} minimal", file.name));
    let mut full = minimal.clone();
    for (path, key) in file.keys_by_path() {
        let parts: Vec<&str> = path.split('.').collect();
        match key.kind {
            Kind::Value { example, .. } => set(&mut full, file.keys, &parts, toml_value(example)),
            Kind::Map { example, .. } => {
                let entry: toml::Table = toml::from_str(example).expect("a key = value example");
                set(&mut full, file.keys, &parts, toml::Value::Table(entry));
            }
            Kind::Table(_) | Kind::Tables(_) => {}
        }
    }
    parse::<T>(&full, &format!("{} with every key", file.name));
    for (path, key) in file.keys_by_path() {
        let Kind::Value { ty, absent, .. } = key.kind else {
            continue;
        };
        let parts: Vec<&str> = path.split('.').collect();
        let parent = &parts[..parts.len() - 1];
        // The tables on the way, with their required keys, but without this key.
        let mut baseline = minimal.clone();
        table_at(&mut baseline, file.keys, parent);
        if let Absent::Default(default) = absent {
            let mut with = baseline.clone();
            set(&mut with, file.keys, &parts, toml_value(default));
            assert_eq!(
                parse::<T>(&baseline, &path),
                parse::<T>(&with, &path),
                "{}: {path} = {default} is documented as the default, but writing it changes the config",
                file.name
            );
        }
        if let Type::OneOf(values) = ty {
            for value in values {
                let mut with = baseline.clone();
                set(
                    &mut with,
                    file.keys,
                    &parts,
                    toml::Value::String(value.to_string()),
                );
                parse::<T>(&with, &format!("{path} = {value:?}"));
            }
        }
    }
}

#[test]
fn examples_parse_and_documented_defaults_are_the_defaults() {
    examples_and_defaults::<AgentConfig>(&AGENT_FILE);
    examples_and_defaults::<TransferConfig>(&TRANSFER_FILE);
    examples_and_defaults::<StandaloneConfig>(&STANDALONE_FILE);
    examples_and_defaults::<ConsoleConfig>(&CONSOLE_FILE);
}

#[test]
fn the_minimal_files_are_valid() {
    AgentConfig::parse(AGENT_FILE.minimal).expect("agent");
    TransferConfig::parse(TRANSFER_FILE.minimal).expect("transfer");
    let standalone: StandaloneConfig = toml::from_str(STANDALONE_FILE.minimal).expect("standalone");
    standalone.validate().expect("standalone");
    let _: ConsoleConfig = toml::from_str(CONSOLE_FILE.minimal).expect("console");
}

#[test]
fn help_names_every_key_with_its_example() {
    for file in FILES {
        let help = render::help(file);
        for (path, key) in file.keys_by_path() {
            let (parent, _) = path.rsplit_once('.').unwrap_or(("", ""));
            let expected = match key.kind {
                Kind::Value { example, .. } => format!("  {} = {example}", key.name),
                Kind::Table(_) => format!("  [{path}]"),
                Kind::Tables(_) => format!("  [[{path}]]"),
                Kind::Map { .. } => format!("  [{path}]"),
            };
            assert!(
                help.lines().any(|l| l.starts_with(&expected)),
                "{}: --help lacks `{expected}` (under {parent:?}):\n{help}",
                file.name
            );
        }
    }
}

/// docs/CONFIG.md is generated; `LOGPIPE_WRITE_CONFIG_DOC=1 cargo test -p logpipe --lib reference` (or
/// `logpipe config-reference > docs/CONFIG.md`) writes it.
#[test]
fn docs_config_md_is_the_generated_reference() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/CONFIG.md");
    let generated = render::markdown();
    if std::env::var_os("LOGPIPE_WRITE_CONFIG_DOC").is_some() {
        std::fs::write(&path, &generated).expect("write docs/CONFIG.md");
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == generated,
        "docs/CONFIG.md is not the generated reference: run \
         `LOGPIPE_WRITE_CONFIG_DOC=1 cargo test -p logpipe --lib reference` and commit it"
    );
}
