//! Key templates of the etcd keys an agent reads and writes: `{hostname}` and `{ip}` expanded.

use std::net::{IpAddr, UdpSocket};

/// Replaces `{hostname}` and `{ip}` in a key template; `{ip}` is only looked up when present.
pub fn expand_key(template: &str, hostname: &str, endpoints: &[String]) -> String {
    let mut key = template.replace("{hostname}", hostname);
    if key.contains("{ip}") {
        let ip = outbound_ip(endpoints)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "127.0.0.1".into());
        key = key.replace("{ip}", &ip);
    }
    key
}

/// The local address the kernel would use to reach the first etcd endpoint (a UDP `connect`, no packet sent).
pub fn outbound_ip(endpoints: &[String]) -> Option<IpAddr> {
    let endpoint = endpoints.first()?;
    let host_port = endpoint
        .split("://")
        .nth(1)
        .unwrap_or(endpoint)
        .trim_end_matches('/');
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect(host_port).ok()?;
    socket.local_addr().ok().map(|a| a.ip())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn placeholders_expand() {
        let endpoints = vec!["http://127.0.0.1:2379".to_string()];
        assert_eq!(
            expand_key("/logpipe/collect/{hostname}", "web-1", &endpoints),
            "/logpipe/collect/web-1"
        );
        assert_eq!(
            expand_key("/logpipe/collect/{ip}", "web-1", &endpoints),
            "/logpipe/collect/127.0.0.1"
        );
    }
}
