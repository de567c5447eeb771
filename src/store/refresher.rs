//! When `_bulk` writes become searchable. A `_bulk` answers once its operations are in the translog;
//! tantivy commits them (a "refresh") when the refresher thread next runs, at most [`REFRESH_INTERVAL`]
//! later, or before answering when the request asks with `?refresh=true` or `?refresh=wait_for`, as in
//! Elasticsearch. One commit a second instead of one per request means segments of a second's worth of
//! documents, and far less merging.
//!
//! The thread holds only a weak reference to the store and stops when the store is dropped.

use std::sync::Weak;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::error::EsError;
use super::Inner;

/// How often indices with uncommitted writes are committed.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// The `refresh` parameter of a write request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Refresh {
    /// Durable on return, searchable after the next periodic refresh (the default).
    #[default]
    False,
    /// Durable and searchable on return.
    True,
    /// Also durable and searchable on return: ES waits for the next refresh; here the request's own
    /// commit is that refresh.
    WaitFor,
}

impl Refresh {
    /// Parses `?refresh=` (absent: false; empty: true, as ES).
    pub fn from_param(value: Option<&str>) -> Result<Refresh, EsError> {
        match value {
            None | Some("false") => Ok(Refresh::False),
            Some("" | "true") => Ok(Refresh::True),
            Some("wait_for") => Ok(Refresh::WaitFor),
            Some(other) => Err(EsError::illegal_argument(format!(
                "Unknown value for refresh: [{other}]."
            ))),
        }
    }

    /// Whether the write must be searchable before the request returns.
    pub fn before_return(self) -> bool {
        self != Refresh::False
    }
}

/// Starts the refresher: every [`REFRESH_INTERVAL`] it commits each index with uncommitted writes, until
/// `stop` is signalled or disconnected, or the store is gone.
pub(super) fn spawn(store: Weak<Inner>, stop: Receiver<()>) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("store-refresh".to_string())
        .spawn(move || loop {
            if stop.recv_timeout(REFRESH_INTERVAL) != Err(RecvTimeoutError::Timeout) {
                return;
            }
            let Some(inner) = store.upgrade() else {
                return;
            };
            for index in inner.set.all() {
                if index.has_uncommitted_writes() {
                    if let Err(err) = index.refresh() {
                        log::error!("store: refreshing index [{}]: {err}", index.name);
                    }
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_refresh_parameter_as_es() {
        assert_eq!(Refresh::from_param(None).ok(), Some(Refresh::False));
        assert_eq!(Refresh::from_param(Some("")).ok(), Some(Refresh::True));
        assert_eq!(Refresh::from_param(Some("true")).ok(), Some(Refresh::True));
        assert_eq!(
            Refresh::from_param(Some("wait_for")).ok(),
            Some(Refresh::WaitFor)
        );
        let err = Refresh::from_param(Some("soon")).err();
        assert!(err.is_some_and(|e| e.status == 400 && e.to_string().contains("[soon]")));
    }
}
