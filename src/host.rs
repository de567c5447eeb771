//! This machine's identity as events and status keys name it.

/// The machine's host name, for `host.name`.
pub fn local_host_name() -> String {
    hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".to_string())
}
