//! What every task of one server shares.

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::budget::BodyBudget;
use crate::handler::{Handler, Refusal};
use crate::limits::Limits;
use crate::pool::{render_refusal, PoolSender};
use crate::response::Response;
use crate::stats::Stats;

pub(crate) struct Shared {
    pub(crate) budget: BodyBudget,
    pub(crate) handler: Arc<dyn Handler>,
    pub(crate) limits: Limits,
    pub(crate) stats: Arc<Stats>,
    pub(crate) pool: PoolSender,
    pub(crate) tls: Option<TlsAcceptor>,
    /// Becomes `true` when the server is asked to stop.
    pub(crate) stopping: watch::Receiver<bool>,
    /// Over-capacity connections being answered 503 now.
    pub(crate) refusing: AtomicUsize,
    /// The bound address, for log lines.
    pub(crate) addr: SocketAddr,
}

impl Shared {
    /// The consumer's rendering of a refusal (plain text if it panics).
    pub(crate) fn render(&self, refusal: &Refusal) -> Response {
        render_refusal(&*self.handler, refusal)
    }
}

/// Resolves when `stopping` becomes `true` (or its sender is gone, which only happens on stop).
pub(crate) async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}
