//! What this binary is: its version, the git revision it was built from, the cargo features it was built
//! with, and what its bundled librdkafka supports (TLS, SASL mechanisms, codecs), as `logpipe --version`
//! prints it and operators check it on a host.

/// The crate version and the git revision (`-modified` when built from a changed work tree).
pub fn short_version() -> String {
    format!(
        "{} (git {})",
        env!("CARGO_PKG_VERSION"),
        env!("LOGPIPE_GIT_REVISION")
    )
}

/// The cargo features this binary was built with.
pub fn features() -> Vec<&'static str> {
    let mut features = Vec::new();
    if cfg!(feature = "store") {
        features.push("store");
    }
    if cfg!(feature = "etcd-tls") {
        features.push("etcd-tls");
    }
    if cfg!(feature = "kafka-gssapi") {
        features.push("kafka-gssapi");
    }
    features
}

/// The text of `logpipe --version`.
pub fn long_version() -> String {
    format!(
        "{}\nfeatures: {}\n{}\n",
        short_version(),
        features().join(", "),
        crate::kafka::features::summary(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_names_the_revision_the_features_and_the_kafka_codecs() {
        let text = long_version();
        assert!(text.starts_with(env!("CARGO_PKG_VERSION")), "{text}");
        assert!(text.contains("(git "), "{text}");
        assert!(text.contains("features: "), "{text}");
        // librdkafka is bundled with these on every build.
        for codec in ["gzip", "snappy", "lz4", "zstd", "ssl", "sasl_scram"] {
            assert!(text.contains(codec), "{text}");
        }
    }
}
