//! The bounded pool of handler threads that run [`Handler::handle`] on complete requests.
//!
//! IO tasks hand over a request only once its body is read, through a queue; when every thread is busy
//! and `queue_length` requests wait, the next is a 503, so a burst costs memory up to the queue length and never an unbounded backlog. A panic in a
//! handler is caught and becomes a 500 for that request.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::{Condvar, Mutex};
use tokio::sync::oneshot;

use crate::handler::{Handler, Refusal, RefusalKind};
use crate::request::Request;
use crate::response::Response;
use crate::stats::Stats;

struct Job {
    request: Request,
    reply: oneshot::Sender<Response>,
}

/// The sending side, held by the IO tasks.
pub(crate) struct PoolSender {
    jobs: Sender<Job>,
    /// Requests queued or being handled, and the most allowed (threads + queue length). Counted
    /// apart from the channel so that a request is never refused while a thread is idle but has not
    /// yet picked up the previous one.
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

/// Why a request was not queued.
pub(crate) enum Rejected {
    /// Every handler is busy and the queue is full.
    Full,
    /// The pool is gone (stopping).
    Stopped,
}

/// The handler threads, held by the server to join them on stop.
pub(crate) struct PoolThreads {
    threads: Vec<JoinHandle<()>>,
    running: Arc<(Mutex<usize>, Condvar)>,
}

/// Starts `threads` handler threads fed by a queue of `queue_length`.
pub(crate) fn start(
    handler: Arc<dyn Handler>,
    threads: usize,
    queue_length: usize,
    stats: Arc<Stats>,
) -> std::io::Result<(PoolSender, PoolThreads)> {
    // Unbounded channel, bounded by `admitted`.
    let (jobs, receiver) = crossbeam_channel::unbounded();
    let admitted = Arc::new(AtomicUsize::new(0));
    let running = Arc::new((Mutex::new(threads), Condvar::new()));
    let mut handles = Vec::with_capacity(threads);
    for i in 0..threads {
        let (handler, receiver, stats, thread_running, admitted) = (
            handler.clone(),
            receiver.clone(),
            stats.clone(),
            running.clone(),
            admitted.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name(format!("http-handler-{i}"))
            .spawn(move || {
                work(&*handler, &receiver, &stats, &admitted);
                let (count, cond) = &*thread_running;
                *count.lock() -= 1;
                cond.notify_all();
            });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                // The threads already started end when `jobs` is dropped here.
                *running.0.lock() -= threads - i;
                return Err(e);
            }
        }
    }
    Ok((
        PoolSender {
            jobs,
            admitted,
            capacity: threads + queue_length,
        },
        PoolThreads {
            threads: handles,
            running,
        },
    ))
}

fn work(handler: &dyn Handler, receiver: &Receiver<Job>, stats: &Stats, admitted: &AtomicUsize) {
    for job in receiver.iter() {
        // The client went away (or the server stopped) while the request waited: nobody would read
        // the answer, and an unanswered request was not accepted, so it is not run.
        if !job.reply.is_closed() {
            let response = run(handler, job.request, stats);
            let _ = job.reply.send(response);
        }
        admitted.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Calls the handler, turning a panic into a 500.
fn run(handler: &dyn Handler, request: Request, stats: &Stats) -> Response {
    let what = format!("{} {}", request.method, request.target);
    match catch_unwind(AssertUnwindSafe(|| handler.handle(request))) {
        Ok(response) => response,
        Err(panic) => {
            Stats::bump(&stats.handler_panics);
            let message = panic_message(&*panic);
            log::error!("http: the handler panicked on {what}: {message}");
            render_refusal(
                handler,
                &Refusal::new(
                    RefusalKind::HandlerPanicked,
                    "internal error: the request handler failed",
                ),
            )
        }
    }
}

/// The consumer's rendering of `refusal`, or plain text if that panics too.
pub(crate) fn render_refusal(handler: &dyn Handler, refusal: &Refusal) -> Response {
    catch_unwind(AssertUnwindSafe(|| handler.refuse(refusal))).unwrap_or_else(|panic| {
        log::error!(
            "http: rendering a refusal ({refusal}) panicked: {}",
            panic_message(&*panic)
        );
        Response::text(refusal.status(), format!("{refusal}\n"))
    })
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

impl PoolSender {
    /// Queues `request`; the receiver yields its response.
    pub(crate) fn submit(&self, request: Request) -> Result<oneshot::Receiver<Response>, Rejected> {
        if self.admitted.fetch_add(1, Ordering::SeqCst) >= self.capacity {
            self.admitted.fetch_sub(1, Ordering::SeqCst);
            return Err(Rejected::Full);
        }
        let (reply, response) = oneshot::channel();
        match self.jobs.send(Job { request, reply }) {
            Ok(()) => Ok(response),
            Err(_) => {
                self.admitted.fetch_sub(1, Ordering::SeqCst);
                Err(Rejected::Stopped)
            }
        }
    }
}

impl PoolThreads {
    /// Waits until every thread has ended (they end once every [`PoolSender`] is dropped and the queue
    /// is drained) or `deadline` passes; joins the ones that ended and leaves the rest (a handler still
    /// running) detached, saying so.
    pub(crate) fn join_until(self, deadline: Instant) {
        let (count, cond) = &*self.running;
        let mut running = count.lock();
        while *running > 0 {
            if cond.wait_until(&mut running, deadline).timed_out() {
                break;
            }
        }
        let left = *running;
        drop(running);
        if left > 0 {
            log::warn!("http: {left} handler thread(s) still busy after the grace period; not waiting for them");
        }
        for thread in self.threads {
            if thread.is_finished() && thread.join().is_err() {
                log::error!("http: a handler thread panicked");
            }
        }
    }
}
