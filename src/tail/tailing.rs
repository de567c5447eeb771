//! The file server and checkpoint threads as one unit, started and stopped in order: shared by the agent
//! (ring → Kafka producers) and standalone (ring → the in-process store).

use super::checkpoint::{CheckpointError, Checkpointer};
use super::stats::TailStats;
use super::{Command, FileServer, FileServerConfig};
use crate::config::{CollectEntry, PathAllowlist};
use crate::ring;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Why tailing could not start or did not end cleanly.
#[derive(Debug, thiserror::Error)]
pub enum TailingError {
    #[error("cannot start the {thread} thread: {source}")]
    Spawn {
        thread: &'static str,
        source: std::io::Error,
    },
    /// The last checkpoint write failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("the checkpoint thread panicked")]
    CheckpointThreadPanicked,
}

fn spawn_error(thread: &'static str) -> impl FnOnce(std::io::Error) -> TailingError {
    move |source| TailingError::Spawn { thread, source }
}

/// The file server and checkpoint threads, shared by the agent and standalone mode.
pub struct Tailing {
    stop_reading: Arc<AtomicBool>,
    stop_checkpoints: Sender<()>,
    server: JoinHandle<()>,
    checkpoints: JoinHandle<Result<(), CheckpointError>>,
}

/// What is left of `Tailing` once reading stopped: the checkpoint thread, for its final write.
pub struct CheckpointFinish {
    stop_checkpoints: Sender<()>,
    checkpoints: JoinHandle<Result<(), CheckpointError>>,
}

impl Tailing {
    /// Starts the file server and the checkpoint thread.
    pub fn start(
        config: FileServerConfig,
        entries: Vec<CollectEntry>,
        checkpointer: Arc<Checkpointer>,
        sender: ring::BatchSender,
        stats: Arc<TailStats>,
        checkpoint_interval: Duration,
    ) -> Result<(Sender<Command>, Tailing), TailingError> {
        let (commands, command_rx) = crossbeam_channel::unbounded();
        let tailing = Tailing::start_with(
            config,
            entries,
            checkpointer,
            sender,
            stats,
            checkpoint_interval,
            command_rx,
            None,
        )?;
        Ok((commands, tailing))
    }

    /// `start` with the command channel made by the caller, and optionally an allowlist that every file
    /// must pass before the file server opens it.
    #[allow(clippy::too_many_arguments)]
    pub fn start_with(
        config: FileServerConfig,
        entries: Vec<CollectEntry>,
        checkpointer: Arc<Checkpointer>,
        sender: ring::BatchSender,
        stats: Arc<TailStats>,
        checkpoint_interval: Duration,
        commands: Receiver<Command>,
        allow: Option<Arc<PathAllowlist>>,
    ) -> Result<Tailing, TailingError> {
        let stop_reading = Arc::new(AtomicBool::new(false));
        let mut server = FileServer::new(
            config,
            entries,
            checkpointer.clone(),
            sender,
            commands,
            stop_reading.clone(),
            stats.clone(),
        );
        if let Some(allow) = allow {
            server = server.restrict_to(allow);
        }
        let server = std::thread::Builder::new()
            .name("file-server".into())
            .spawn(move || server.run())
            .map_err(spawn_error("file-server"))?;
        let (stop_checkpoints, stop) = crossbeam_channel::bounded(1);
        let checkpoints = std::thread::Builder::new()
            .name("checkpoints".into())
            .spawn(move || checkpoint_loop(&checkpointer, &stats, checkpoint_interval, &stop))
            .map_err(spawn_error("checkpoints"))?;
        Ok(Tailing {
            stop_reading,
            stop_checkpoints,
            server,
            checkpoints,
        })
    }

    /// Stops the file server and waits for it (its batch sender is dropped, so consumers see the end).
    pub fn stop_reading(self) -> CheckpointFinish {
        self.stop_reading.store(true, Ordering::Relaxed);
        if self.server.join().is_err() {
            log::error!("the file server thread panicked");
        }
        CheckpointFinish {
            stop_checkpoints: self.stop_checkpoints,
            checkpoints: self.checkpoints,
        }
    }
}

impl CheckpointFinish {
    /// Writes the checkpoints one last time and ends the thread.
    pub fn finish(self) -> Result<(), TailingError> {
        // A closed channel is a stop too, so the send result does not matter.
        let _ = self.stop_checkpoints.send(());
        match self.checkpoints.join() {
            Ok(result) => Ok(result?),
            Err(_) => Err(TailingError::CheckpointThreadPanicked),
        }
    }
}

/// Writes checkpoints every `interval` (sleeping in between, so an idle agent costs nothing) until `stop`
/// receives or closes, then once more. A failed write (a full disk) is retried at the next interval; the
/// offsets wait in memory, and `stats` says so (logged once per change of state).
fn checkpoint_loop(
    checkpointer: &Checkpointer,
    stats: &TailStats,
    interval: Duration,
    stop: &Receiver<()>,
) -> Result<(), CheckpointError> {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(interval) {
        stats.record_checkpoint_write(&checkpointer.write());
    }
    let last = checkpointer.write();
    stats.record_checkpoint_write(&last);
    last.map(|_| ())
}
