//! librdkafka's error texts → what is wrong and which key fixes it.
//!
//! librdkafka reports connection problems as free text through the client's error callback (`ssl://k:9093/
//! bootstrap: SSL handshake failed: ... certificate verify failed ...`). `diagnose` sorts such a text into a
//! `Cause` and writes one sentence naming the broker and the `kafka.*` key to look at, using the settings
//! (never a secret) for the specifics. The texts matched are OpenSSL's and librdkafka's own, stable across
//! their releases (librdkafka `rdkafka_ssl.c`, `rdkafka_sasl*.c`, `rdkafka_broker.c`).

use crate::config::KafkaConnection;
use serde::Serialize;

/// What kind of problem an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The broker's certificate is not signed by a trusted CA.
    TlsUntrusted,
    /// The broker's certificate does not name the host connected to.
    TlsHostname,
    /// The broker wants a client certificate, or refused the one given.
    TlsClientCertificate,
    /// TLS was tried on a port that does not speak it.
    TlsNotSpoken,
    /// A plaintext client on a TLS port.
    TlsExpected,
    /// SASL login refused (user or password).
    Authentication,
    /// The broker does not offer the SASL mechanism.
    Mechanism,
    /// Connection refused, unresolvable name, timeout, every broker down.
    Unreachable,
    /// Anything else.
    Other,
}

impl Cause {
    pub const ALL: [Cause; 9] = [
        Cause::TlsUntrusted,
        Cause::TlsHostname,
        Cause::TlsClientCertificate,
        Cause::TlsNotSpoken,
        Cause::TlsExpected,
        Cause::Authentication,
        Cause::Mechanism,
        Cause::Unreachable,
        Cause::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::TlsUntrusted => "tls_untrusted",
            Cause::TlsHostname => "tls_hostname",
            Cause::TlsClientCertificate => "tls_client_certificate",
            Cause::TlsNotSpoken => "tls_not_spoken",
            Cause::TlsExpected => "tls_expected",
            Cause::Authentication => "authentication",
            Cause::Mechanism => "sasl_mechanism",
            Cause::Unreachable => "unreachable",
            Cause::Other => "other",
        }
    }

    /// The security settings are wrong (as opposed to the network or the broker being down): no retry
    /// helps until the config is fixed.
    pub fn is_settings_problem(self) -> bool {
        !matches!(self, Cause::Unreachable | Cause::Other)
    }

    /// How specific a cause is: `diagnose_all` reports the most specific error seen, and the health keeps
    /// it over vaguer ones that follow.
    pub fn specificity(self) -> u8 {
        match self {
            Cause::Other => 0,
            Cause::Unreachable => 1,
            _ => 2,
        }
    }
}

/// A cause and the sentence saying what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub cause: Cause,
    pub message: String,
}

/// The most telling of several error texts of one attempt (`None` for none).
pub fn diagnose_all<'a>(
    reasons: impl IntoIterator<Item = &'a str>,
    connection: &KafkaConnection,
) -> Option<Diagnosis> {
    reasons
        .into_iter()
        .map(|reason| diagnose(reason, connection))
        .fold(None, |best: Option<Diagnosis>, next| match best {
            Some(best) if best.cause.specificity() >= next.cause.specificity() => Some(best),
            _ => Some(next),
        })
}

/// Sorts one librdkafka error text and says what to fix.
pub fn diagnose(reason: &str, connection: &KafkaConnection) -> Diagnosis {
    let text = reason.to_ascii_lowercase();
    let broker = broker_of(reason).unwrap_or_else(|| connection.brokers.clone());
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    let (cause, message) = if has(&["hostname mismatch", "ip address mismatch"]) {
        (
            Cause::TlsHostname,
            format!(
                "TLS: the certificate of broker {broker} does not name the host connected to: write the broker \
                 in kafka.brokers as its certificate names it, or set kafka.tls.verify_hostname = false"
            ),
        )
    } else if has(&[
        "alert certificate required",
        "alert bad certificate",
        "alert unknown ca",
        "alert handshake failure",
        "peer did not return a certificate",
    ]) {
        (
            Cause::TlsClientCertificate,
            format!(
                "TLS: broker {broker} requires a client certificate it trusts: set kafka.tls.cert_file and \
                 kafka.tls.key_file{}",
                match connection.tls.as_ref().and_then(|t| t.cert_file.as_ref()) {
                    Some(cert) => format!(" (it refused {})", cert.display()),
                    None => String::new(),
                }
            ),
        )
    } else if has(&[
        "certificate verify failed",
        "unable to get local issuer",
        "self-signed certificate",
        "self signed certificate",
        "unable to verify the first certificate",
    ]) {
        let store = match connection.tls.as_ref().and_then(|t| t.ca_file.as_ref()) {
            Some(ca) => format!("a CA in kafka.tls.ca_file ({})", ca.display()),
            None => "a CA of the system's store (kafka.tls.ca_file is not set)".to_string(),
        };
        (
            Cause::TlsUntrusted,
            format!(
                "TLS: the certificate of broker {broker} is not signed by {store}: set kafka.tls.ca_file to the \
                 CA that signed the broker's certificate"
            ),
        )
    } else if has(&[
        "wrong version number",
        "packet length too long",
        "http request",
        "unknown protocol",
        "record layer failure",
    ]) {
        (
            Cause::TlsNotSpoken,
            format!(
                "TLS: broker {broker} does not speak TLS on this port: point kafka.brokers at its TLS listener, \
                 or set kafka.security_protocol to \"plaintext\" / \"sasl_plaintext\" (it is \"{}\")",
                connection.protocol().as_str()
            ),
        )
    } else if has(&[
        "connecting to a ssl listener",
        "incorrect security.protocol",
    ]) || (has(&["disconnected"])
        && has(&["state apiversion_query"])
        && !connection.protocol().uses_tls())
    {
        (
            Cause::TlsExpected,
            format!(
                "broker {broker} closed the connection during the first request, as a TLS (or SASL) listener \
                 does with a {} client: check kafka.security_protocol and the port in kafka.brokers",
                connection.protocol().as_str()
            ),
        )
    } else if has(&[
        "unsupported sasl mechanism",
        "does not support sasl mechanism",
        "mechanism not supported",
        "sasl mechanism",
        "no worthy mechs",
    ]) && !has(&["authentication failed", "invalid credentials"])
    {
        let mechanism = connection
            .sasl
            .as_ref()
            .map(|s| s.mechanism.as_str())
            .unwrap_or("(none)");
        let offered = reason
            .split_once("supports ")
            .map(|(_, list)| format!(" (it offers {})", list.trim_end_matches(')').trim()))
            .unwrap_or_default();
        (
            Cause::Mechanism,
            format!(
                "SASL: broker {broker} does not offer mechanism {mechanism}{offered}: set kafka.sasl.mechanism \
                 to one it offers"
            ),
        )
    } else if has(&[
        "authentication failed",
        "invalid credentials",
        "sasl authentication error",
        "authentication error",
        "illegal sasl state",
        "invalid username or password",
    ]) {
        let message = match &connection.sasl {
            Some(sasl) if sasl.mechanism.uses_password() => {
                let source = if let Some(path) = &sasl.password_file {
                    format!("kafka.sasl.password_file ({})", path.display())
                } else if let Some(var) = &sasl.password_env {
                    format!("kafka.sasl.password_env (${var})")
                } else {
                    "kafka.sasl.password".to_string()
                };
                format!(
                    "SASL: broker {broker} refused the {} login of user `{}`: fix kafka.sasl.username or the \
                     password in {source}",
                    sasl.mechanism.as_str(),
                    sasl.username.as_deref().unwrap_or_default()
                )
            }
            Some(sasl) => format!(
                "SASL: broker {broker} refused the {} login: fix the mechanism's settings in [kafka.options] \
                 (sasl.oauthbearer.* / sasl.kerberos.*)",
                sasl.mechanism.as_str()
            ),
            None => format!(
                "SASL: broker {broker} refused the login: fix the sasl.* properties in [kafka.options], or use \
                 [kafka.sasl]"
            ),
        };
        (Cause::Authentication, message)
    } else if has(&[
        "connection refused",
        "failed to resolve",
        "name or service not known",
        "timed out",
        "brokers are down",
        "no route to host",
        "network is unreachable",
        "connection reset",
        "disconnected",
        "transport",
    ]) {
        (
            Cause::Unreachable,
            format!(
                "cannot reach broker {broker} ({}): check kafka.brokers and that the broker is up",
                short(reason)
            ),
        )
    } else {
        (Cause::Other, format!("broker {broker}: {}", short(reason)))
    };
    Diagnosis { cause, message }
}

/// `host:port` of librdkafka's `proto://host:port/id: ` (or `host:port/id: `) prefix.
fn broker_of(reason: &str) -> Option<String> {
    let reason = strip_thread(reason);
    let rest = match reason.find("://") {
        Some(at) => &reason[at + 3..],
        None => reason,
    };
    let candidate = rest.split(['/', ' ']).next()?;
    let (host, port) = candidate.rsplit_once(':')?;
    (!host.is_empty() && port.parse::<u16>().is_ok()).then(|| candidate.to_string())
}

/// Log lines start with the thread: `[thrd:127.0.0.1:9093/bootstrap]: `.
fn strip_thread(reason: &str) -> &str {
    match reason.strip_prefix("[thrd:") {
        Some(rest) => rest.split_once("]: ").map(|(_, r)| r).unwrap_or(reason),
        None => reason,
    }
}

/// The reason without librdkafka's broker prefix.
fn short(reason: &str) -> &str {
    let reason = strip_thread(reason);
    match broker_of(reason) {
        Some(_) => reason
            .split_once(": ")
            .map(|(_, rest)| rest)
            .unwrap_or(reason),
        None => reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::kafka::KafkaConfig;

    fn secured() -> KafkaConnection {
        let config: KafkaConfig = toml::from_str(
            "brokers = \"k:9093\"\nsecurity_protocol = \"sasl_ssl\"\n[tls]\nca_file = \"/etc/ca.pem\"\n[sasl]\nmechanism = \"SCRAM-SHA-512\"\nusername = \"logpipe\"\npassword_file = \"/etc/kafka.pass\"\n",
        )
        .expect("parses");
        config.connection()
    }

    /// Error texts as librdkafka 2.x reports them through the error callback.
    #[test]
    fn each_failure_kind_names_the_key_to_fix() {
        let c = secured();
        let cases = [
            (
                "ssl://127.0.0.1:9093/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified, verify that ssl.ca.location is correctly configured or root CA certificates are installed (install ca-certificates package) (after 3ms in state SSL_HANDSHAKE)",
                Cause::TlsUntrusted,
                "kafka.tls.ca_file (/etc/ca.pem)",
            ),
            (
                "ssl://127.0.0.1:9093/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: Hostname mismatch (after 2ms in state SSL_HANDSHAKE)",
                Cause::TlsHostname,
                "kafka.tls.verify_hostname",
            ),
            (
                "ssl://127.0.0.1:9093/bootstrap: SSL handshake failed: error:0A00045C:SSL routines::tlsv13 alert certificate required: SSL alert number 116 (after 4ms in state SSL_HANDSHAKE)",
                Cause::TlsClientCertificate,
                "kafka.tls.cert_file",
            ),
            (
                "ssl://127.0.0.1:9092/bootstrap: SSL handshake failed: error:0A00010B:SSL routines::wrong version number (after 1ms in state SSL_HANDSHAKE)",
                Cause::TlsNotSpoken,
                "kafka.security_protocol",
            ),
            (
                "sasl_ssl://127.0.0.1:9093/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after 10ms in state AUTH_REQ)",
                Cause::Authentication,
                "kafka.sasl.password_file (/etc/kafka.pass)",
            ),
            (
                "sasl_ssl://127.0.0.1:9093/bootstrap: Broker: Unsupported SASL mechanism: broker only supports PLAIN (after 2ms in state AUTH_HANDSHAKE)",
                Cause::Mechanism,
                "kafka.sasl.mechanism",
            ),
            (
                "sasl_ssl://127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)",
                Cause::Unreachable,
                "kafka.brokers",
            ),
            (
                "[thrd:127.0.0.1:9093/bootstrap]: 127.0.0.1:9093/bootstrap: Disconnected: connection reset by peer (after 1ms in state APIVERSION_QUERY)",
                Cause::TlsExpected,
                "kafka.security_protocol",
            ),
            (
                "127.0.0.1:9093/bootstrap: Disconnected while requesting ApiVersion: might be caused by incorrect security.protocol configuration (connecting to a SSL listener?) or broker version is < 0.10 (see api.version.request) (after 1ms in state APIVERSION_QUERY)",
                Cause::TlsExpected,
                "kafka.security_protocol",
            ),
        ];
        let plaintext = KafkaConnection::plain("k:9093");
        for (reason, cause, key) in cases {
            let c = if cause == Cause::TlsExpected {
                &plaintext
            } else {
                &c
            };
            let d = diagnose(reason, c);
            assert_eq!(d.cause, cause, "{reason}");
            assert!(d.message.contains(key), "{key} not in: {}", d.message);
            assert!(
                d.message.contains("127.0.0.1:"),
                "broker named: {}",
                d.message
            );
            assert!(
                !d.message.contains("error:0A"),
                "no OpenSSL dump: {}",
                d.message
            );
        }
    }

    #[test]
    fn the_most_specific_error_wins() {
        let c = secured();
        let d = diagnose_all(
            [
                "1/1 brokers are down",
                "sasl_ssl://k:9093/bootstrap: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512",
                "sasl_ssl://k:9093/bootstrap: Disconnected",
            ],
            &c,
        )
        .expect("some");
        assert_eq!(d.cause, Cause::Authentication);
    }
}
