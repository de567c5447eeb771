//! Indexer threads: batches of events → Elasticsearch `_bulk` (issue 4).
