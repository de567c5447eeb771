//! `logpipe console --config console.toml`: the console's backends with their security, the same sections
//! as the other roles: `[elasticsearch]` as the transfer's (url/urls, user with password /
//! password_file / password_env, api_key, ssl_*) and `[etcd]` as every etcd client's (endpoints, user /
//! password, `[etcd.tls]`). Flags override the file.
//!
//! ```toml
//! listen = "0.0.0.0:5601"
//! index = "logs-*"
//! users_file = "/etc/logpipe/console-users"              # name:bcrypt-hash (Elasticsearch's file realm)
//! users_roles_file = "/etc/logpipe/console-users_roles"  # viewer:ann,bob / editor:carol
//! [elasticsearch]
//! urls = ["https://es-1:9200"]
//! user = "console_reader"
//! password_file = "/etc/logpipe/console-es.pass"
//! ssl_certificate_authorities = ["/etc/logpipe/es-ca.pem"]
//! [etcd]
//! endpoints = ["https://etcd-1:2379"]
//! user = "console"
//! password = "..."
//! [etcd.tls]
//! ca_file = "/etc/logpipe/etcd-ca.pem"
//! ```

use super::elasticsearch::ElasticsearchConfig;
use super::error::ConfigError;
use super::EtcdConnection;
use anyhow::Context;
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
    /// Reads and checks `path`; errors name the file and the key.
    pub fn load(path: &Path) -> anyhow::Result<ConsoleConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        let config: ConsoleConfig = super::toml_file::parse(&text, &[])
            .with_context(|| format!("bad config {}", path.display()))?;
        config
            .validate()
            .with_context(|| format!("bad config {}", path.display()))?;
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
}
