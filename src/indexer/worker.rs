//! The indexer thread: takes `Batch`es from a channel and settles each one exactly once.
//!
//! For one batch: send the documents as one `_bulk` request; of the answer, keep indexed items, collect
//! refused (4xx) items as dead letters, and send the retryable ones again after a backoff, until none is left.
//! A request refused as a whole (`BulkError::Fatal`, e.g. 413) is split in halves down to the single document,
//! which is then dead-lettered with the reason. Dead letters (from the batch and from the index) are written
//! with retries too. Then `on_done(Settled)`. Retries go on as long as it takes (an outage stalls, never
//! drops) unless `abandon` is set, in which case the batch ends `Abandoned` and is not acknowledged.

use super::backoff::Backoff;
use super::bulk_body::build_body;
use super::response::{classify, ItemVerdict};
use super::{
    Batch, BatchOutcome, BulkError, BulkTarget, DeadLetter, DeadLetterSink, Doc, IndexerStats,
};
use crossbeam_channel::Receiver;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Retry pacing.
#[derive(Debug, Clone, Copy)]
pub struct IndexerSettings {
    pub backoff_initial: Duration,
    pub backoff_max: Duration,
}

/// What an indexer thread needs; cheap to clone (one per thread).
#[derive(Clone)]
pub struct Indexer {
    pub target: Arc<dyn BulkTarget>,
    pub dead_letters: Arc<dyn DeadLetterSink>,
    pub stats: Arc<IndexerStats>,
    pub settings: IndexerSettings,
    /// Set at shutdown: stop retrying, end batches `Abandoned`.
    pub abandon: Arc<AtomicBool>,
}

impl Indexer {
    /// Settles batches until the channel is closed and empty.
    pub fn run(&self, batches: Receiver<Batch>) {
        for batch in batches {
            let Batch {
                docs,
                dead_letters,
                on_done,
            } = batch;
            let outcome = self.index(docs, dead_letters);
            if outcome == BatchOutcome::Abandoned {
                self.stats.abandoned();
            }
            on_done(outcome);
        }
    }

    /// Indexes `docs` and writes `dead_letters` plus whatever the index refuses.
    pub fn index(&self, docs: Vec<Doc>, mut dead_letters: Vec<DeadLetter>) -> BatchOutcome {
        let mut indexed = 0;
        let mut groups: Vec<Vec<usize>> = vec![(0..docs.len()).collect()];
        let mut body = Vec::new();
        while let Some(group) = groups.pop() {
            match self.index_group(&docs, group, &mut body, &mut dead_letters) {
                GroupResult::Done(n) => indexed += n,
                GroupResult::Split {
                    indexed: n,
                    first,
                    second,
                } => {
                    indexed += n;
                    groups.push(second);
                    groups.push(first);
                }
                GroupResult::Abandoned => return BatchOutcome::Abandoned,
            }
        }
        let dead_lettered = dead_letters.len();
        if !dead_letters.is_empty() && !self.write_dead_letters(&dead_letters) {
            return BatchOutcome::Abandoned;
        }
        self.stats.indexed(indexed as u64);
        self.stats.dead_lettered(dead_lettered as u64);
        BatchOutcome::Settled {
            indexed,
            dead_lettered,
        }
    }

    fn index_group(
        &self,
        docs: &[Doc],
        mut pending: Vec<usize>,
        body: &mut Vec<u8>,
        dead: &mut Vec<DeadLetter>,
    ) -> GroupResult {
        let mut backoff = Backoff::new(self.settings.backoff_initial, self.settings.backoff_max);
        let mut indexed = 0;
        while !pending.is_empty() {
            build_body(docs, &pending, body);
            let started = Instant::now();
            let result = self.target.bulk(body);
            self.stats.request(started.elapsed());
            let retry_reason = match result {
                Ok(response) => match classify(&response, pending.len()) {
                    Ok(verdicts) => {
                        let mut retry = Vec::new();
                        let mut reason = String::new();
                        for (&i, verdict) in pending.iter().zip(verdicts) {
                            match verdict {
                                ItemVerdict::Indexed => indexed += 1,
                                ItemVerdict::Retry(why) => {
                                    reason = why;
                                    retry.push(i);
                                }
                                ItemVerdict::Refused(why) => dead.push(letter(&docs[i], why)),
                            }
                        }
                        pending = retry;
                        if pending.is_empty() {
                            break;
                        }
                        format!("{} documents to retry: {reason}", pending.len())
                    }
                    Err(why) => why.to_string(),
                },
                Err(BulkError::Retryable(why)) => why,
                Err(BulkError::Fatal { status, reason }) => {
                    if pending.len() > 1 {
                        let second = pending.split_off(pending.len() / 2);
                        log::warn!(
                            "_bulk of {} documents refused with HTTP {status}; splitting it",
                            pending.len() + second.len()
                        );
                        return GroupResult::Split {
                            indexed,
                            first: pending,
                            second,
                        };
                    }
                    dead.push(letter(
                        &docs[pending[0]],
                        format!("the _bulk request was refused with HTTP {status}: {reason}"),
                    ));
                    break;
                }
            };
            self.stats.retry();
            if backoff.attempts() == 0 || backoff.attempts() % 10 == 0 {
                log::warn!(
                    "_bulk failed (attempt {}), retrying with backoff: {retry_reason}",
                    backoff.attempts() + 1
                );
            }
            if !backoff.sleep(&self.abandon) {
                return GroupResult::Abandoned;
            }
        }
        GroupResult::Done(indexed)
    }

    fn write_dead_letters(&self, letters: &[DeadLetter]) -> bool {
        let mut backoff = Backoff::new(self.settings.backoff_initial, self.settings.backoff_max);
        loop {
            match self.dead_letters.write(letters) {
                Ok(()) => {
                    log::warn!(
                        "{} documents dead-lettered, first: {} ({})",
                        letters.len(),
                        letters[0].origin,
                        letters[0].reason
                    );
                    return true;
                }
                Err(why) => {
                    log::error!(
                        "cannot write {} dead letters (attempt {}): {why}",
                        letters.len(),
                        backoff.attempts() + 1
                    );
                    if !backoff.sleep(&self.abandon) {
                        return false;
                    }
                }
            }
        }
    }
}

/// How one request group ended: done (with its indexed count), split after a whole-request refusal (the
/// documents indexed before it counted), or abandoned.
enum GroupResult {
    Done(usize),
    Split {
        indexed: usize,
        first: Vec<usize>,
        second: Vec<usize>,
    },
    Abandoned,
}

fn letter(doc: &Doc, reason: String) -> DeadLetter {
    DeadLetter {
        origin: doc.origin.clone(),
        index: Some(doc.index.clone()),
        id: Some(doc.id.clone()),
        reason,
        document: doc.source.clone(),
    }
}

#[cfg(test)]
mod tests {
    //! The retry / split / dead-letter protocol against an in-memory target scripted per request.
    use super::*;
    use crate::indexer::BulkResponse;
    use crate::indexer::{DeadLetterError, Origin};
    use parking_lot::Mutex;
    use serde_json::{json, Value};
    use std::sync::atomic::Ordering;

    struct Scripted {
        answers: Mutex<Vec<Result<BulkResponse, BulkError>>>,
        bodies: Mutex<Vec<usize>>,
    }

    impl BulkTarget for Scripted {
        fn bulk(&self, body: &[u8]) -> Result<BulkResponse, BulkError> {
            let docs = body.iter().filter(|&&b| b == b'\n').count() / 2;
            self.bodies.lock().push(docs);
            let mut answers = self.answers.lock();
            if answers.is_empty() {
                let items: Vec<Value> = (0..docs)
                    .map(|_| json!({"index": {"status": 201}}))
                    .collect();
                return Ok(parsed(json!({"errors": false, "items": items})));
            }
            answers.remove(0)
        }
    }

    #[derive(Default)]
    struct Letters(Mutex<Vec<DeadLetter>>);
    impl DeadLetterSink for Letters {
        fn write(&self, letters: &[DeadLetter]) -> Result<(), DeadLetterError> {
            self.0.lock().extend_from_slice(letters);
            Ok(())
        }
    }

    fn docs(n: usize) -> Vec<Doc> {
        (0..n)
            .map(|i| Doc {
                index: "i".into(),
                id: i.to_string(),
                source: b"{}".to_vec(),
                meta: Default::default(),
                origin: Origin {
                    source: "t".into(),
                    partition: 0,
                    offset: i as i64,
                },
            })
            .collect()
    }

    fn parsed(value: Value) -> BulkResponse {
        serde_json::from_value(value).expect("a _bulk response")
    }

    fn indexer(answers: Vec<Result<Value, BulkError>>) -> (Indexer, Arc<Scripted>, Arc<Letters>) {
        let answers = answers.into_iter().map(|a| a.map(parsed)).collect();
        let target = Arc::new(Scripted {
            answers: Mutex::new(answers),
            bodies: Mutex::new(Vec::new()),
        });
        let letters = Arc::new(Letters::default());
        let settings = IndexerSettings {
            backoff_initial: Duration::from_millis(1),
            backoff_max: Duration::from_millis(5),
        };
        let indexer = Indexer {
            target: target.clone(),
            dead_letters: letters.clone(),
            stats: Arc::default(),
            settings,
            abandon: Arc::default(),
        };
        (indexer, target, letters)
    }

    #[test]
    fn retries_until_settled_and_dead_letters_refusals() {
        let (indexer, target, letters) = indexer(vec![
            Err(BulkError::Retryable("connection refused".into())),
            Ok(json!({"errors": true, "items": [
                {"index": {"status": 201}},
                {"index": {"status": 429, "error": {"type": "x", "reason": "busy"}}},
                {"index": {"status": 400, "error": {"type": "mapper_parsing_exception", "reason": "bad"}}},
            ]})),
        ]);
        assert_eq!(
            indexer.index(docs(3), Vec::new()),
            BatchOutcome::Settled {
                indexed: 2,
                dead_lettered: 1
            }
        );
        assert_eq!(
            *target.bodies.lock(),
            vec![3, 3, 1],
            "only the 429 item is sent again"
        );
        let letters = letters.0.lock();
        assert_eq!(letters[0].origin.offset, 2);
        assert!(letters[0].reason.contains("mapper_parsing_exception"));
    }

    #[test]
    fn whole_request_refusals_split_down_to_one_document() {
        let fatal = || {
            Err(BulkError::Fatal {
                status: 413,
                reason: "too large".into(),
            })
        };
        // 4 docs refused → halves of 2: first half refused again → 1 + 1, the first single doc refused.
        let (indexer, target, letters) = indexer(vec![fatal(), fatal(), fatal()]);
        assert_eq!(
            indexer.index(docs(4), Vec::new()),
            BatchOutcome::Settled {
                indexed: 3,
                dead_lettered: 1
            }
        );
        assert_eq!(*target.bodies.lock(), vec![4, 2, 1, 1, 2]);
        assert_eq!(letters.0.lock()[0].origin.offset, 0);
    }

    #[test]
    fn abandon_ends_a_stalled_batch_unsettled() {
        let answers = (0..1000)
            .map(|_| Err(BulkError::Retryable("down".into())))
            .collect();
        let (indexer, _, _) = indexer(answers);
        let abandon = indexer.abandon.clone();
        let handle = std::thread::spawn(move || indexer.index(docs(2), Vec::new()));
        std::thread::sleep(Duration::from_millis(50));
        abandon.store(true, Ordering::Relaxed);
        assert_eq!(handle.join().expect("joins"), BatchOutcome::Abandoned);
    }
}
