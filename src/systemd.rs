//! Talking to the service manager of a `Type=notify` systemd unit (sd_notify(3)): `READY=1` once a role
//! serves, `RELOADING=1` … `READY=1` around a SIGHUP reload, `STOPPING=1` at shutdown, and `WATCHDOG=1`
//! pings while the role's main loop is seen alive.
//!
//! Every role makes one [`ServiceManager`] with [`ServiceManager::from_env`] and calls it at those points;
//! nothing else in logpipe reads `NOTIFY_SOCKET` or `WATCHDOG_USEC`. Without `NOTIFY_SOCKET` (a process
//! not started by systemd, or a `Type=simple` unit) every call does nothing and no thread is started.
//!
//! The watchdog thread pings every half of `WATCHDOG_USEC` (as sd_watchdog_enabled(3) advises), but only
//! when the role's [`Liveness`] check passes: the agent's and standalone's file server must have made a
//! pass since the previous ping (it passes at least every 200 ms, also while Kafka is down and its lanes
//! are full), the transfer's consumers must have polled, the store's and console's HTTP runtime must run a
//! task. A hung main loop therefore stops the pings and systemd restarts the unit after `WatchdogSec=`.

use crossbeam_channel::{RecvTimeoutError, Sender};
use sd_notify::NotifyState;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a server's IO runtime may take to run a probe task before the ping is withheld.
const SERVER_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether the role's main loop is alive, asked before each watchdog ping.
pub struct Liveness(Box<dyn FnMut() -> bool + Send>);

impl Liveness {
    /// Alive when `counter` (a count the main loop increments on each iteration) moved since the last ask.
    pub fn progress(mut counter: impl FnMut() -> u64 + Send + 'static) -> Liveness {
        let mut last = counter();
        Liveness(Box::new(move || {
            let now = counter();
            let moved = now != last;
            last = now;
            moved
        }))
    }

    /// Alive when `check` says so (e.g. a server's runtime ran a probe task in time).
    pub fn check(check: impl FnMut() -> bool + Send + 'static) -> Liveness {
        Liveness(Box::new(check))
    }

    /// Alive while `server` serves: its accept loop runs and its IO runtime runs a task within
    /// [`SERVER_PROBE_TIMEOUT`].
    pub fn server(server: logpipe_http::LivenessProbe) -> Liveness {
        Liveness::check(move || server.responds_within(SERVER_PROBE_TIMEOUT))
    }

    /// Alive when both are (both are always asked, so each progress check keeps its own baseline).
    pub fn and(mut self, mut other: Liveness) -> Liveness {
        Liveness(Box::new(move || {
            let a = (self.0)();
            let b = (other.0)();
            a && b
        }))
    }

    fn alive(&mut self) -> bool {
        (self.0)()
    }
}

/// The service manager of this process, if there is one (`NOTIFY_SOCKET` set).
pub struct ServiceManager {
    enabled: bool,
    /// Half of `WATCHDOG_USEC`, when the unit has `WatchdogSec=` (and the variable is meant for this PID).
    ping_every: Option<Duration>,
    watchdog: Option<(Sender<()>, JoinHandle<()>)>,
}

impl ServiceManager {
    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` of this process.
    pub fn from_env() -> ServiceManager {
        let enabled = std::env::var_os("NOTIFY_SOCKET").is_some_and(|s| !s.is_empty());
        let ping_every = sd_notify::watchdog_enabled()
            .filter(|d| !d.is_zero())
            .map(|d| d / 2);
        ServiceManager {
            enabled,
            ping_every: ping_every.filter(|_| enabled),
            watchdog: None,
        }
    }

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set).
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The role serves: `READY=1` with a one-line status for `systemctl status`.
    pub fn ready(&self, status: &str) {
        self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
    }

    /// A SIGHUP reload begins: `RELOADING=1` with the monotonic time systemd 253+ requires with it.
    pub fn reloading(&self) {
        if !self.enabled {
            return;
        }
        match NotifyState::monotonic_usec_now() {
            Ok(now) => self.send(&[NotifyState::Reloading, now]),
            Err(e) => log::warn!("sd_notify: cannot read the monotonic clock: {e}"),
        }
    }

    /// The reload is over (applied or refused): `READY=1` with what happened as the status.
    pub fn reloaded(&self, status: &str) {
        self.ready(status);
    }

    /// Shutdown began: `STOPPING=1`. The watchdog stops pinging (systemd stops expecting pings then).
    pub fn stopping(&mut self) {
        self.stop_watchdog();
        self.send(&[NotifyState::Stopping, NotifyState::Status("stopping")]);
    }

    /// Starts the watchdog thread when the unit has `WatchdogSec=`: it pings every half of the interval
    /// while `liveness` passes, and logs (once per silence) when it withholds a ping.
    pub fn start_watchdog(&mut self, mut liveness: Liveness) -> std::io::Result<()> {
        let Some(every) = self.ping_every else {
            return Ok(());
        };
        self.stop_watchdog();
        let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
        let thread = std::thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || {
                let mut silent = false;
                while stopped.recv_timeout(every) == Err(RecvTimeoutError::Timeout) {
                    if liveness.alive() {
                        if silent {
                            log::info!("watchdog: the main loop moves again; pinging");
                            silent = false;
                        }
                        notify(&[NotifyState::Watchdog]);
                    } else if !silent {
                        log::error!(
                            "watchdog: the main loop has not moved for {every:?}; withholding the ping \
                             (systemd restarts the unit after WatchdogSec)"
                        );
                        silent = true;
                    }
                }
            })?;
        log::info!("watchdog: pinging systemd every {every:?} while the main loop moves");
        self.watchdog = Some((stop, thread));
        Ok(())
    }

    fn stop_watchdog(&mut self) {
        if let Some((stop, thread)) = self.watchdog.take() {
            drop(stop);
            let _ = thread.join();
        }
    }

    fn send(&self, state: &[NotifyState]) {
        if self.enabled {
            notify(state);
        }
    }
}

impl Drop for ServiceManager {
    fn drop(&mut self) {
        self.stop_watchdog();
    }
}

/// Sends `state`; a failure is logged, never fatal (the service manager may be gone at shutdown).
fn notify(state: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(state) {
        log::warn!("sd_notify: cannot notify the service manager: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[test]
    fn progress_is_alive_only_when_the_counter_moved() {
        let counter = Arc::new(AtomicU64::new(5));
        let read = counter.clone();
        let mut liveness = Liveness::progress(move || read.load(Ordering::Relaxed));
        assert!(!liveness.alive(), "nothing moved since it was made");
        counter.fetch_add(1, Ordering::Relaxed);
        assert!(liveness.alive());
        assert!(!liveness.alive(), "the same value twice is a stall");
    }

    #[test]
    fn and_needs_both_and_asks_both() {
        let counter = Arc::new(AtomicU64::new(0));
        let read = counter.clone();
        let mut liveness =
            Liveness::progress(move || read.load(Ordering::Relaxed)).and(Liveness::check(|| false));
        counter.fetch_add(1, Ordering::Relaxed);
        assert!(!liveness.alive());
        let read = counter.clone();
        let mut liveness =
            Liveness::check(|| true).and(Liveness::progress(move || read.load(Ordering::Relaxed)));
        counter.fetch_add(1, Ordering::Relaxed);
        assert!(liveness.alive());
        assert!(!liveness.alive());
    }
}
