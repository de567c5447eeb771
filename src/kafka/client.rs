//! Typed settings → librdkafka properties: `bootstrap.servers`, `security.protocol`, `ssl.*`, `sasl.*`, then
//! the role's own defaults, then `[kafka.options]` (which may not repeat a typed key: see `config::kafka`).
//!
//! Secrets (the SASL password, the key passphrase) are read from their files or the environment here, at
//! each client build, so a `SIGHUP` after fixing a password file picks up the new one. They go into the
//! `ClientConfig` only, which is never logged.

use crate::config::{ConfigError, KafkaConnection};
use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;
use std::path::Path;

/// Why a Kafka client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum KafkaSetupError {
    /// A setting or a file it names is wrong (the message names the key).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// librdkafka refused the properties (a bad `[kafka.options]` entry, an unreadable certificate, ...).
    #[error("librdkafka refused the [kafka] settings: {0}")]
    Client(#[from] KafkaError),
}

/// The librdkafka properties of a client of `connection`; `role` adds the role's defaults (`acks`,
/// `group.id`, ...), which `[kafka.options]` may still override.
pub fn client_config(
    connection: &KafkaConnection,
    role: impl FnOnce(&mut ClientConfig),
) -> Result<ClientConfig, ConfigError> {
    let mut config = ClientConfig::new();
    // rdkafka derives librdkafka's log level from the `log` crate's; some connection failures are only
    // reported as info-level `FAIL` lines, which `kafka::diagnose` needs whatever is printed.
    config.set_log_level(rdkafka::config::RDKafkaLogLevel::Info);
    config.set("bootstrap.servers", &connection.brokers);
    if let Some(protocol) = connection.security_protocol {
        config.set("security.protocol", protocol.as_str());
    }
    let options_protocol = connection
        .options
        .get("security.protocol")
        .map(str::to_ascii_lowercase);
    let tls = connection.protocol().uses_tls()
        || options_protocol
            .as_deref()
            .is_some_and(|p| p.contains("ssl"));
    if tls {
        let files = connection.tls.clone().unwrap_or_default();
        match &files.ca_file {
            Some(ca) => {
                readable("kafka.tls.ca_file", ca)?;
                config.set("ssl.ca.location", path_text(ca));
            }
            // OpenSSL is compiled in, so its built-in default CA directory is not the host's: let
            // librdkafka look in the usual places of Debian, RHEL, SUSE and Alpine instead.
            None if !connection.options.contains("ssl.ca.location")
                && !connection.options.contains("ssl.ca.pem") =>
            {
                config.set("ssl.ca.location", "probe");
            }
            None => {}
        }
        if let (Some(cert), Some(key)) = (&files.cert_file, &files.key_file) {
            readable("kafka.tls.cert_file", cert)?;
            readable("kafka.tls.key_file", key)?;
            config
                .set("ssl.certificate.location", path_text(cert))
                .set("ssl.key.location", path_text(key));
        }
        if let Some(password) = files.key_password("kafka.tls")? {
            config.set("ssl.key.password", password.expose());
        }
        if connection.tls.is_some() {
            config.set(
                "ssl.endpoint.identification.algorithm",
                if files.verify_hostname {
                    "https"
                } else {
                    "none"
                },
            );
        }
    }
    if let Some(sasl) = &connection.sasl {
        config.set("sasl.mechanism", sasl.mechanism.as_str());
        if let Some(user) = &sasl.username {
            config.set("sasl.username", user);
        }
        if let Some(password) = sasl.resolve_password()? {
            config.set("sasl.password", password.expose());
        }
    }
    role(&mut config);
    for (key, value) in connection.options.iter() {
        config.set(key, value);
    }
    Ok(config)
}

fn readable(key: &str, path: &Path) -> Result<(), ConfigError> {
    std::fs::File::open(path)
        .map(|_| ())
        .map_err(|source| ConfigError::Unreadable {
            key: key.to_string(),
            path: path.to_path_buf(),
            source,
        })
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::kafka::KafkaConfig;

    fn connection(text: &str) -> KafkaConnection {
        let config: KafkaConfig = toml::from_str(text).expect("parses");
        config.validate().expect("valid");
        config.connection()
    }

    #[test]
    fn typed_settings_become_librdkafka_properties() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pass = dir.path().join("pass");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&pass, "s3cret\n").expect("write");
        std::fs::write(&ca, "not read here").expect("write");
        let text = format!(
            "brokers = \"k:9093\"\nsecurity_protocol = \"sasl_ssl\"\n[tls]\nca_file = \"{}\"\nverify_hostname = false\n[sasl]\nmechanism = \"SCRAM-SHA-256\"\nusername = \"u\"\npassword_file = \"{}\"\n[options]\n\"client.id\" = \"mine\"\n",
            ca.display(),
            pass.display()
        );
        let config = client_config(&connection(&text), |c| {
            c.set("client.id", "role-default");
        })
        .expect("builds");
        assert_eq!(config.get("security.protocol"), Some("sasl_ssl"));
        assert_eq!(config.get("ssl.ca.location"), ca.to_str());
        assert_eq!(
            config.get("ssl.endpoint.identification.algorithm"),
            Some("none")
        );
        assert_eq!(config.get("sasl.mechanism"), Some("SCRAM-SHA-256"));
        assert_eq!(config.get("sasl.password"), Some("s3cret"));
        assert_eq!(
            config.get("client.id"),
            Some("mine"),
            "options win over role defaults"
        );
    }

    #[test]
    fn tls_without_a_ca_file_probes_the_system_store() {
        let config = client_config(
            &connection("brokers = \"k:9093\"\nsecurity_protocol = \"ssl\"\n"),
            |_| {},
        )
        .expect("builds");
        assert_eq!(config.get("ssl.ca.location"), Some("probe"));
    }

    #[test]
    fn a_missing_file_names_its_key() {
        let err = client_config(
            &connection(
                "brokers = \"k:9093\"\nsecurity_protocol = \"ssl\"\n[tls]\nca_file = \"/nonexistent/ca.pem\"\n",
            ),
            |_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("kafka.tls.ca_file: cannot read /nonexistent/ca.pem"),
            "{err}"
        );
    }
}
