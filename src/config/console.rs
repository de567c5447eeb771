//! `logpipe console --config console.toml`: the console's backends with their security, the same sections
//! as the other roles: `[elasticsearch]` as the transfer's (url/urls, user with password /
//! password_file / password_env, api_key, ssl_*) and `[etcd]` as every etcd client's (endpoints, user /
//! password, `[etcd.tls]`). Flags override the file.
//!
//! The keys, their types, defaults and help are in `ConsoleConfig::KEYS`, next to the structs: `--help` and
//! docs/CONFIG.md are generated from them (`config::reference`).

use super::elasticsearch::ElasticsearchConfig;
use super::error::ConfigError;
use super::reference::{ConfigFile, Key, Type};
use super::toml_file::{LoadError, ParseError};
use super::EtcdConnection;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The console's configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// Address of the web console.
    #[serde(default)]
    pub listen: Option<String>,
    /// Index pattern Discover opens with.
    #[serde(default)]
    pub index: Option<String>,
    /// Named users: `name:bcrypt-hash` lines (Elasticsearch's file-realm `users`).
    #[serde(default)]
    pub users_file: Option<PathBuf>,
    /// Their roles: `viewer:name1,name2` / `editor:name3` lines (Elasticsearch's `users_roles`).
    #[serde(default)]
    pub users_roles_file: Option<PathBuf>,
    /// The search backend.
    #[serde(default)]
    pub elasticsearch: Option<ElasticsearchConfig>,
    /// etcd, for the Collect config and Fleet pages.
    #[serde(default)]
    pub etcd: Option<EtcdConnection>,
}

impl ConsoleConfig {
    /// The top-level keys of console.toml.
    pub const KEYS: &'static [Key] = &[
        Key::optional("listen", Type::String, "\"0.0.0.0:5601\"", "address of the web console (or --listen)"),
        Key::optional("index", Type::String, "\"logs-*\"", "index pattern Discover opens with"),
        Key::optional("users_file", Type::Path, "\"/etc/logpipe/console-users\"", "named users: `name:bcrypt-hash` lines, Elasticsearch's file-realm `users` (or --users-file; `logpipe console hash-password` makes a line)"),
        Key::optional("users_roles_file", Type::Path, "\"/etc/logpipe/console-users_roles\"", "their roles: `viewer:ann,bob` / `editor:carol` lines, Elasticsearch's `users_roles` (or --users-roles-file)"),
        Key::table("elasticsearch", &[ElasticsearchConfig::CONNECTION_KEYS], "the search backend, with the transfer's connection keys (its writing keys are refused)"),
        Key::table("etcd", &[EtcdConnection::KEYS], "etcd, for the Collect config and Fleet pages"),
    ];
}

/// console.toml in the reference.
pub const CONSOLE_FILE: ConfigFile = ConfigFile {
    name: "console.toml",
    command: "console",
    keys: &[ConsoleConfig::KEYS],
    minimal: r#"
listen = "127.0.0.1:5601"
"#,
    not_for_this_file: &[
        "elasticsearch.index",
        "elasticsearch.codec",
        "elasticsearch.action",
        "elasticsearch.pipeline",
        "elasticsearch.routing",
        "elasticsearch.data_stream",
        "elasticsearch.data_stream_type",
        "elasticsearch.data_stream_dataset",
        "elasticsearch.data_stream_namespace",
        "elasticsearch.data_stream_auto_routing",
        "elasticsearch.data_stream_sync_fields",
    ],
};

impl ConsoleConfig {
    /// Reads and checks `path`; errors name the file and the key.
    pub fn load(path: &Path) -> Result<ConsoleConfig, LoadError> {
        let text = super::toml_file::read(path)?;
        let config: ConsoleConfig =
            super::toml_file::parse(&text, &[]).map_err(|e| ParseError::from(e).in_file(path))?;
        config
            .validate()
            .map_err(|e| ParseError::from(e).in_file(path))?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.users_file.is_some() != self.users_roles_file.is_some() {
            return Err(ConfigError::Invalid(
                "users_file and users_roles_file go together".into(),
            ));
        }
        if let Some(es) = &self.elasticsearch {
            es.validate()?;
            let writer_keys = [
                ("index", es.index.is_some()),
                ("action", es.action.is_some()),
                ("pipeline", es.pipeline.is_some()),
                ("routing", es.routing.is_some()),
                ("data_stream", es.data_stream),
            ];
            if let Some((key, _)) = writer_keys.iter().find(|(_, set)| *set) {
                return Err(ConfigError::Invalid(format!(
                    "elasticsearch.{key}: a key of the transfer's writing; the console only reads (use \
                     index = \"...\" at the top of the file for Discover's default pattern)"
                )));
            }
        }
        if let Some(etcd) = &self.etcd {
            etcd.validate()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_parse_and_writer_keys_are_refused() {
        let text = r#"
listen = "127.0.0.1:5601"
[elasticsearch]
urls = ["https://es-1:9200"]
user = "reader"
password = "x"
ssl_certificate_authorities = ["/etc/ca.pem"]
[etcd]
endpoints = ["http://127.0.0.1:2379"]
"#;
        let c: ConsoleConfig = toml::from_str(text).expect("parses");
        c.validate().expect("valid");
        let bad: ConsoleConfig =
            toml::from_str(&text.replace("user = \"reader\"", "index = \"x\"\nuser = \"reader\""))
                .expect("parses");
        let e = bad.validate().unwrap_err().to_string();
        assert!(e.contains("elasticsearch.index"), "{e}");
    }

    /// The packaged example (pkg/debian/etc/console.toml) is valid as shipped, and its commented keys
    /// (`# key = ...`, `# [table]`) are keys of this file: uncommented (a key already set in its table
    /// stays, and `api_key`, the alternative to user / password, stays commented), it is valid too.
    #[test]
    fn the_packaged_example_and_its_commented_keys_are_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pkg/debian/etc/console.toml");
        ConsoleConfig::load(&path).expect("the example as shipped");
        let text = std::fs::read_to_string(&path).expect("read the example");
        let key_line = regex::Regex::new(r"^(?:# )?(\[[a-z.]+\]|[a-z_]+ = .*)$").expect("regex");
        let (mut uncommented, mut table) = (String::new(), String::new());
        let mut seen = std::collections::HashSet::new();
        for line in text.lines() {
            let Some(found) = key_line.captures(line) else {
                continue;
            };
            // A trailing comment is set off by two spaces.
            let entry = found[1].split("  ").next().unwrap_or_default().trim();
            if entry.starts_with('[') {
                table = entry.to_string();
            } else {
                let name = entry.split(" = ").next().unwrap_or_default();
                if name == "api_key" || !seen.insert(format!("{table}{name}")) {
                    continue;
                }
            }
            uncommented.push_str(entry);
            uncommented.push('\n');
        }
        let config: ConsoleConfig =
            toml::from_str(&uncommented).unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        config.validate().expect("valid uncommented");
        assert!(
            config.users_file.is_some() && config.index.is_some(),
            "{config:?}"
        );
        let etcd = config.etcd.expect("[etcd]");
        assert!(etcd.user.is_some() && etcd.tls.is_some_and(|t| t.cert_file.is_some()));
        let es = config.elasticsearch.expect("[elasticsearch]");
        assert!(es.user.is_some() && es.password_file.is_some());
    }
}
