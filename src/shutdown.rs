//! SIGTERM / SIGINT handling: a shared flag every long-running thread checks.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Registers SIGTERM and SIGINT to set the returned flag (instead of killing the process).
pub fn on_signal() -> anyhow::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, flag.clone())?;
    }
    Ok(flag)
}
