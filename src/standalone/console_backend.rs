//! The console's search backend in `logpipe standalone`: the store of this process, without a socket.

use crate::console::backend::{error_reason, BackendError, SearchBackend, SearchTargets};
use logpipe_store::{EsError, Store};
use serde_json::Value;

/// The store of this process (standalone), without a socket.
pub struct StoreBackend {
    store: Store,
}

impl StoreBackend {
    pub fn new(store: Store) -> StoreBackend {
        StoreBackend { store }
    }
}

impl SearchBackend for StoreBackend {
    fn search(&self, index: &str, body: &Value) -> Result<Value, BackendError> {
        self.store.search(Some(index), body).map_err(|e| {
            // As the console reads an ES error answer over HTTP.
            let e = EsError::from(e);
            BackendError::Rejected {
                status: e.status,
                reason: error_reason(&e.to_body()),
            }
        })
    }

    fn targets(&self) -> Result<SearchTargets, BackendError> {
        Ok(SearchTargets {
            indices: self.store.index_names(),
            data_streams: self.store.data_stream_names(),
            aliases: self.store.alias_names(),
        }
        .visible())
    }
}
