//! The one thread of a process that runs async code: a current-thread tokio runtime driving the etcd tasks.
//!
//! Everything else in logpipe is plain threads. The tasks get a `StopSignal`; `AsyncThread::stop` raises it
//! and joins the thread, so every task must return promptly once it is raised (they `select!` on
//! `stopped(...)` around every await that can block).

use std::future::Future;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// Raised (true) when the tasks must finish.
pub type StopSignal = watch::Receiver<bool>;

/// A thread running one future on its own current-thread runtime.
pub struct AsyncThread {
    stop: watch::Sender<bool>,
    handle: Option<JoinHandle<()>>,
}

impl AsyncThread {
    /// Spawns thread `name` running `task(stop)` to completion.
    pub fn spawn<F, Fut>(name: &str, task: F) -> std::io::Result<AsyncThread>
    where
        F: FnOnce(StopSignal) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let (stop, signal) = watch::channel(false);
        let handle = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        log::error!("cannot start the async runtime: {e}");
                        return;
                    }
                };
                runtime.block_on(task(signal));
            })?;
        Ok(AsyncThread {
            stop,
            handle: Some(handle),
        })
    }

    /// Raises the stop signal and waits for the thread.
    pub fn stop(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        let _ = self.stop.send(true);
        if let Some(handle) = self.handle.take() {
            if handle.join().is_err() {
                log::error!("the etcd thread panicked");
            }
        }
    }
}

impl Drop for AsyncThread {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Resolves once the stop signal is raised (or its sender is gone).
pub async fn stopped(signal: &mut StopSignal) {
    let _ = signal.wait_for(|stop| *stop).await;
}

/// Sleeps `duration`; `false` when the stop signal was raised meanwhile.
pub async fn sleep_unless_stopped(duration: Duration, signal: &mut StopSignal) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(duration) => !*signal.borrow(),
        _ = stopped(signal) => false,
    }
}

/// Reconnection delays: 250 ms doubling up to 2 s.
#[derive(Debug)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            next: Duration::from_millis(250),
        }
    }
}

impl Backoff {
    pub const MAX: Duration = Duration::from_secs(2);

    /// The delay to wait now; the next one doubles.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        delay
    }

    /// After a success.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}
