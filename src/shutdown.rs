//! SIGTERM / SIGINT handling: either a shared flag every long-running thread checks, or a blocking wait for
//! the main thread of a process whose workers are stopped explicitly (no periodic wake-up while idle), which
//! may also receive SIGHUP (reload the config file).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

const SIGNALS: [i32; 2] = [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT];

/// Registers SIGTERM and SIGINT to set the returned flag (instead of killing the process).
pub fn on_signal() -> std::io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in SIGNALS {
        signal_hook::flag::register(signal, flag.clone())?;
    }
    Ok(flag)
}

/// SIGTERM and SIGINT, caught from creation on (so a signal during start-up is not lost) until `wait`.
pub struct StopSignals(signal_hook::iterator::Signals);

impl StopSignals {
    /// Starts catching SIGTERM and SIGINT.
    pub fn catch() -> std::io::Result<StopSignals> {
        Ok(StopSignals(signal_hook::iterator::Signals::new(SIGNALS)?))
    }

    /// Blocks until SIGTERM or SIGINT arrived (returns at once if one already did).
    pub fn wait(mut self) {
        if let Some(signal) = self.0.forever().next() {
            log::debug!("caught signal {signal}");
        }
    }
}

/// What the main thread was woken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM or SIGINT.
    Stop,
    /// SIGHUP: re-read the config file.
    Reload,
}

/// SIGTERM, SIGINT and SIGHUP, caught from creation on.
pub struct Signals(signal_hook::iterator::Signals);

impl Signals {
    /// Starts catching SIGTERM, SIGINT and SIGHUP.
    pub fn catch() -> std::io::Result<Signals> {
        let mut all = SIGNALS.to_vec();
        all.push(signal_hook::consts::SIGHUP);
        Ok(Signals(signal_hook::iterator::Signals::new(all)?))
    }

    /// Blocks until the next signal.
    pub fn wait_next(&mut self) -> Signal {
        match self.0.forever().next() {
            Some(signal_hook::consts::SIGHUP) => Signal::Reload,
            _ => Signal::Stop,
        }
    }
}
