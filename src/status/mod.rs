//! Fleet status: every process keeps a JSON status key alive in etcd on a lease.
//!
//! - `publisher`: the generic part. It grants a lease of `ttl`, puts `key = report()` attached to it every
//!   `interval` and renews the lease; on stop it revokes the lease (the key goes at once). When the process
//!   dies the lease expires within `ttl` and etcd deletes the key, so the keys under `/logpipe/status/` are
//!   exactly the live processes. Any etcd error ends the session; a new one grants a new lease.
//! - `identity`: the fields every report starts with (`role`, `version`, `host`, `pid`, `started_at`,
//!   `updated_at`), one definition for every role, since the console's Fleet page reads them by name.
//! - `agent`: the agent's report (config revision and errors, files with offsets and lag, rates, Kafka
//!   errors).
//!
//! The transfer (or any other role) publishes its own JSON with `StatusPublisher::new(...).spawn()`, or runs
//! `StatusPublisher::run` on an existing `etcd::runtime::AsyncThread`:
//!
//! ```no_run
//! use logpipe::config::EtcdConnection;
//! use logpipe::status::StatusPublisher;
//! use std::time::Duration;
//!
//! let connection = EtcdConnection::plain(vec!["http://127.0.0.1:2379".into()]);
//! let host = logpipe::host::local_host_name();
//! let publisher = StatusPublisher::new(
//!     connection,
//!     format!("/logpipe/status/transfer/{host}"),
//!     Duration::from_secs(2),
//!     Duration::from_secs(10),
//!     Box::new(move || serde_json::json!({"role": "transfer", "host": host})),
//! );
//! let thread = publisher.spawn()?; // one thread, one current-thread runtime
//! // ... run the transfer ...
//! thread.stop(); // revokes the lease: the key goes at once
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod agent;
pub mod identity;
pub mod publisher;

pub use agent::AgentReport;
pub use identity::ProcessIdentity;
pub use publisher::{StatusPublisher, StatusThread};
