//! The collect entries a file server runs, as two sets: the local ones (`[[collect]]` of the config file,
//! replaced by a `SIGHUP` reload) and the remote ones (etcd's, replaced by the config watcher). Whoever
//! replaces one set sends `Command::SetEntries(local ++ remote)` under the same lock, so two changes arriving
//! together can never leave the file server with a stale half.

use super::Command;
use crate::config::CollectEntry;
use crossbeam_channel::{RecvTimeoutError, Sender};
use parking_lot::Mutex;
use std::time::Duration;

/// The file server is gone (shutdown): nothing to apply to.
#[derive(Debug, thiserror::Error)]
#[error("the file server has stopped")]
pub struct FileServerGone;

struct Sets {
    local: Vec<CollectEntry>,
    remote: Vec<CollectEntry>,
}

/// Local and remote entries, and the file server they are applied to.
pub struct EntrySets {
    sets: Mutex<Sets>,
    commands: Sender<Command>,
}

impl EntrySets {
    pub fn new(local: Vec<CollectEntry>, commands: Sender<Command>) -> EntrySets {
        EntrySets {
            sets: Mutex::new(Sets {
                local,
                remote: Vec::new(),
            }),
            commands,
        }
    }

    /// The local entries applied now.
    pub fn local(&self) -> Vec<CollectEntry> {
        self.sets.lock().local.clone()
    }

    /// Local then remote entries, as applied.
    pub fn all(&self) -> Vec<CollectEntry> {
        let sets = self.sets.lock();
        sets.local.iter().chain(&sets.remote).cloned().collect()
    }

    /// Replaces the local entries and applies the whole list.
    pub fn set_local(&self, local: Vec<CollectEntry>) -> Result<(), FileServerGone> {
        let mut sets = self.sets.lock();
        sets.local = local;
        self.apply(&sets)
    }

    /// Replaces the remote entries and applies the whole list.
    pub fn set_remote(&self, remote: Vec<CollectEntry>) -> Result<(), FileServerGone> {
        let mut sets = self.sets.lock();
        sets.remote = remote;
        self.apply(&sets)
    }

    /// Sends a command to the file server ahead of the next entry change (under the same lock).
    pub fn send(&self, command: Command) -> Result<(), FileServerGone> {
        let _sets = self.sets.lock();
        self.commands.send(command).map_err(|_| FileServerGone)
    }

    /// Waits until the file server has applied every command sent so far, at most `timeout` (it applies them
    /// between reads, so a lane blocked on a down broker delays it). Whether it did in time.
    pub fn wait_applied(&self, timeout: Duration) -> Result<bool, FileServerGone> {
        let (applied, done) = crossbeam_channel::bounded(1);
        self.send(Command::Barrier(applied))?;
        match done.recv_timeout(timeout) {
            Ok(()) => Ok(true),
            Err(RecvTimeoutError::Timeout) => Ok(false),
            Err(RecvTimeoutError::Disconnected) => Err(FileServerGone),
        }
    }

    fn apply(&self, sets: &Sets) -> Result<(), FileServerGone> {
        let all = sets.local.iter().chain(&sets.remote).cloned().collect();
        self.commands
            .send(Command::SetEntries(all))
            .map_err(|_| FileServerGone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_change_sends_local_then_remote() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let sets = EntrySets::new(vec![CollectEntry::for_path("/l/a.log")], tx);
        sets.set_remote(vec![CollectEntry::for_path("/r/b.log")])
            .expect("sent");
        sets.set_local(vec![CollectEntry::for_path("/l/c.log")])
            .expect("sent");
        let paths = |command: Command| match command {
            Command::SetEntries(entries) => entries.into_iter().map(|e| e.path).collect::<Vec<_>>(),
            Command::Restrict(_) | Command::Barrier(_) => Vec::new(),
        };
        assert_eq!(
            paths(rx.recv().expect("first")),
            vec!["/l/a.log", "/r/b.log"]
        );
        assert_eq!(
            paths(rx.recv().expect("second")),
            vec!["/l/c.log", "/r/b.log"]
        );
        drop(rx);
        assert!(sets.set_local(Vec::new()).is_err());
    }
}
