//! Process logging: plain text by default, or one JSON object per line (`--log-format json`) for log
//! shippers, with ECS field names. Libraries that narrate their work at `info` (tantivy's merges,
//! librdkafka's connection chatter, the HTTP and gRPC stacks) are kept at `warn` unless `RUST_LOG` asks
//! for them by name.

use std::io::Write;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// `[time LEVEL target] message`, for people.
    #[default]
    Text,
    /// `{"@timestamp","log.level","log.logger","message"}` per line, for log shippers.
    Json,
}

/// The default filter: logpipe at `info`, the noisy libraries at `warn`.
pub const DEFAULT_FILTER: &str = "info,tantivy=warn,librdkafka=warn,rdkafka=warn,hyper=warn,\
                                  hyper_util=warn,h2=warn,tower=warn,tonic=warn,etcd_client=warn,\
                                  ureq=warn,rustls=warn";

/// Installs the logger; `RUST_LOG` overrides [`DEFAULT_FILTER`].
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(DEFAULT_FILTER));
    if format == LogFormat::Json {
        builder.format(|out, record| {
            let line = json_line(
                &crate::event::timestamp::now(),
                record.level().as_str(),
                record.target(),
                &record.args().to_string(),
            );
            writeln!(out, "{line}")
        });
    }
    builder.init();
}

/// One JSON log line.
fn json_line(timestamp: &str, level: &str, target: &str, message: &str) -> String {
    serde_json::json!({
        "@timestamp": timestamp,
        "log.level": level,
        "log.logger": target,
        "message": message,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_escape_the_message() {
        let line = json_line(
            "2026-12-03T10:00:00.000Z",
            "WARN",
            "logpipe::agent",
            "a \"b\"\nc",
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(parsed["message"], "a \"b\"\nc");
        assert_eq!(parsed["log.level"], "WARN");
        assert!(!line.contains('\n'));
    }
}
