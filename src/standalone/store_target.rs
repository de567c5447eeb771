//! The in-process store as a `_bulk` target: the indexer sends the same NDJSON body it would send to
//! Elasticsearch and reads the same response, without a socket in between.

use crate::indexer::{BulkError, BulkResponse, BulkTarget};
use logpipe_store::{EsError, Refresh, Store};

/// `BulkTarget` over a `Store` in the same process.
pub struct StoreBulkTarget {
    store: Store,
}

impl StoreBulkTarget {
    pub fn new(store: Store) -> StoreBulkTarget {
        StoreBulkTarget { store }
    }
}

impl BulkTarget for StoreBulkTarget {
    fn bulk(&self, body: &[u8]) -> Result<BulkResponse, BulkError> {
        let response = self.store.bulk(body, None, Refresh::False).map_err(|e| {
            // As the indexer reads an ES answer over HTTP: the status decides.
            let e = EsError::from(e);
            if e.status >= 500 {
                BulkError::Retryable(e.to_string())
            } else {
                BulkError::Fatal {
                    status: e.status,
                    reason: e.to_string(),
                }
            }
        })?;
        // The same bytes the store answers over HTTP, read by the same typed model: no `Value` tree of
        // every item is built on the way.
        serde_json::from_slice::<BulkResponse>(&response.to_vec())
            .map_err(|e| BulkError::Retryable(format!("the store's _bulk answer: {e}")))
    }
}
