//! Publishing one status key on an etcd lease (see the module doc of `status`).
//!
//! Invariant: the key is only ever written attached to the current lease, so it never outlives the
//! process by more than `ttl`.

use crate::config::EtcdConnection;
use crate::etcd::connect::{bounded, EtcdError};
use crate::etcd::runtime::{sleep_unless_stopped, stopped, AsyncThread, Backoff, StopSignal};
use etcd_client::PutOptions;
use std::time::Duration;

/// Builds the JSON published at each refresh.
pub type Report = Box<dyn FnMut() -> serde_json::Value + Send>;

/// Keeps `key = report()` alive on a lease.
pub struct StatusPublisher {
    connection: EtcdConnection,
    key: String,
    interval: Duration,
    ttl: Duration,
    report: Report,
}

/// A publisher on its own thread (for processes without another async thread).
pub struct StatusThread {
    thread: AsyncThread,
}

enum SessionEnd {
    Stopped,
    Broken(EtcdError),
}

impl StatusPublisher {
    /// `ttl` is rounded up to whole seconds (at least 2, etcd's minimum); `interval` should be well below it.
    pub fn new(
        connection: EtcdConnection,
        key: String,
        interval: Duration,
        ttl: Duration,
        report: Report,
    ) -> StatusPublisher {
        StatusPublisher {
            connection,
            key,
            interval: interval.max(Duration::from_millis(50)),
            ttl,
            report,
        }
    }

    /// Runs on a thread of its own until `StatusThread::stop`.
    pub fn spawn(self) -> std::io::Result<StatusThread> {
        let thread = AsyncThread::spawn("etcd-status", move |stop| self.run(stop))?;
        Ok(StatusThread { thread })
    }

    fn ttl_seconds(&self) -> i64 {
        (self.ttl.as_millis().div_ceil(1000) as i64).max(2)
    }

    /// Publishes until the stop signal, then revokes the lease.
    pub async fn run(mut self, mut stop: StopSignal) {
        let mut backoff = Backoff::default();
        loop {
            match self.session(&mut stop, &mut backoff).await {
                SessionEnd::Stopped => return,
                SessionEnd::Broken(error) => {
                    let delay = backoff.next_delay();
                    log::warn!("etcd status {}: {error}; retrying in {delay:?}", self.key);
                    if !sleep_unless_stopped(delay, &mut stop).await {
                        return;
                    }
                }
            }
        }
    }

    async fn session(&mut self, stop: &mut StopSignal, backoff: &mut Backoff) -> SessionEnd {
        let limit = self.connection.connect_timeout;
        let ttl = self.ttl_seconds();
        let setup = async {
            let mut client = self.connection.connect().await?;
            let lease = bounded("lease grant", limit, client.lease_grant(ttl, None))
                .await?
                .id();
            let (keeper, responses) =
                bounded("lease keep-alive", limit, client.lease_keep_alive(lease)).await?;
            Ok::<_, EtcdError>((client, lease, keeper, responses))
        };
        let (mut client, lease, mut keeper, mut responses) = tokio::select! {
            result = setup => match result {
                Ok(ok) => ok,
                Err(e) => return SessionEnd::Broken(e),
            },
            _ = stopped(stop) => return SessionEnd::Stopped,
        };
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stopped(stop) => {
                    if let Err(e) = bounded("lease revoke", limit, client.lease_revoke(lease)).await {
                        log::warn!("etcd status {}: {e}", self.key);
                    }
                    return SessionEnd::Stopped;
                }
            }
            let body = (self.report)().to_string();
            let refresh = async {
                bounded(
                    "put",
                    limit,
                    client.put(
                        self.key.as_str(),
                        body,
                        Some(PutOptions::new().with_lease(lease)),
                    ),
                )
                .await?;
                bounded("lease keep-alive", limit, keeper.keep_alive()).await?;
                match bounded("lease keep-alive", limit, responses.message()).await? {
                    Some(r) if r.ttl() > 0 => Ok(()),
                    _ => Err(EtcdError::LeaseExpired),
                }
            };
            let result = tokio::select! {
                result = refresh => result,
                _ = stopped(stop) => Ok(()),
            };
            match result {
                Ok(()) => backoff.reset(),
                Err(e) => return SessionEnd::Broken(e),
            }
        }
    }
}

impl StatusThread {
    /// Stops publishing and revokes the lease (the key disappears).
    pub fn stop(self) {
        self.thread.stop();
    }
}
