//! The `[kafka]` section in force, shared by the agent's producer threads and the host-metrics thread.
//! A `SIGHUP` reload replaces it; each thread sees the generation change and rebuilds its client (see
//! `run_producer`), so the new brokers, credentials or certificates apply without a restart.

use crate::config::KafkaConfig;
use parking_lot::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The current Kafka settings and how many times they were replaced.
pub struct SharedKafkaConfig {
    generation: AtomicU64,
    current: RwLock<Arc<KafkaConfig>>,
}

impl SharedKafkaConfig {
    pub fn new(config: KafkaConfig) -> Arc<SharedKafkaConfig> {
        Arc::new(SharedKafkaConfig {
            generation: AtomicU64::new(0),
            current: RwLock::new(Arc::new(config)),
        })
    }

    /// Cheap check for a loop: has the config been replaced since `seen`?
    #[inline]
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The settings in force and their generation.
    pub fn current(&self) -> (u64, Arc<KafkaConfig>) {
        let current = self.current.read();
        (self.generation(), current.clone())
    }

    /// Replaces the settings; every client rebuilds on its next loop.
    pub fn replace(&self, config: KafkaConfig) {
        let mut current = self.current.write();
        *current = Arc::new(config);
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
