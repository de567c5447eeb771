//! logpipe's integration tests, one binary: each module drives the `logpipe` binary or the library against
//! real services (Tansu, etcd, the store, chromium) started by `common` on free loopback ports.
//!
//! The store's own HTTP API tests live in `crates/store/tests`; these cover the roles and the processes.

#[path = "../common/mod.rs"]
mod common;

mod agent_input;
mod agent_kafka;
mod agent_migrate;
mod agent_recovery;
mod agent_reload;
mod agent_rotation;
mod agent_symlinks;
mod architecture;
mod chaos_soak;
mod console_api;
mod console_browser;
mod console_secured;
mod console_users;
mod disk_full;
mod etcd_config;
mod etcd_reload_bench;
mod etcd_secure_connection;
mod filters;
mod import_logstash;
mod kafka_security;
mod metrics_agent;
mod package;
mod service_notify;
mod standalone;
mod store_process;
mod store_python_client;
mod transfer_dead_letter_topic;
mod transfer_e2e;
mod transfer_secured;
mod transfer_status;
