//! What the linked librdkafka can do: its version and `builtin.features` (TLS, SASL mechanisms, codecs),
//! logged at start by the agent and the transfer and printed by `--check-config`.

use rdkafka::config::ClientConfig;

/// librdkafka's `builtin.features`, e.g. `gzip,snappy,ssl,sasl,regex,lz4,sasl_plain,sasl_scram,...`.
pub fn builtin_features() -> String {
    ClientConfig::new()
        .create_native_config()
        .and_then(|native| native.get("builtin.features"))
        .unwrap_or_default()
}

/// `librdkafka 2.12.1 (builtin.features: ...)`.
pub fn summary() -> String {
    let (_, version) = rdkafka::util::get_rdkafka_version();
    format!(
        "librdkafka {version} (builtin.features: {})",
        builtin_features()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_sasl_and_every_documented_codec_are_built_in() {
        let features = builtin_features();
        let list: Vec<&str> = features.split(',').collect();
        for wanted in [
            "ssl",
            "sasl_plain",
            "sasl_scram",
            "sasl_oauthbearer",
            "gzip",
            "snappy",
            "lz4",
            "zstd",
        ] {
            assert!(list.contains(&wanted), "{wanted} missing from {features}");
        }
        assert!(summary().starts_with("librdkafka 2."), "{}", summary());
    }
}
