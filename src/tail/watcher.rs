//! Directory watching: inotify on the directories that hold (or may hold) tailed files.
//!
//! Watching directories rather than files sees creations, renames and deletions as well as writes, and keeps
//! working across rotation. `wait` blocks on the inotify descriptor with `poll(2)` for at most a timeout, so an
//! idle agent sleeps instead of spinning; when inotify is unavailable (or its queue overflows) callers fall
//! back to periodic polling, which they do anyway every `poll_interval`.

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};
use std::collections::HashMap;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A file's content changed.
    Written(PathBuf),
    /// A name appeared, moved or disappeared in a watched directory (or events were lost): rescan.
    Structure,
}

/// inotify watches on directories.
pub struct DirWatcher {
    inotify: Option<Inotify>,
    by_dir: HashMap<PathBuf, WatchDescriptor>,
    by_wd: HashMap<WatchDescriptor, PathBuf>,
    buffer: Vec<u8>,
}

impl DirWatcher {
    /// A watcher; without inotify it only sleeps in `wait` (polling mode).
    pub fn new() -> DirWatcher {
        let inotify = match Inotify::init() {
            Ok(inotify) => Some(inotify),
            Err(e) => {
                log::warn!("inotify unavailable ({e}); falling back to polling");
                None
            }
        };
        DirWatcher {
            inotify,
            by_dir: HashMap::new(),
            by_wd: HashMap::new(),
            buffer: vec![0u8; 64 * 1024],
        }
    }

    /// Watches `dir` (idempotent). A directory that does not exist yet is skipped; the periodic scan retries.
    pub fn watch(&mut self, dir: &Path) {
        if self.by_dir.contains_key(dir) {
            return;
        }
        let Some(inotify) = &self.inotify else { return };
        let mask = WatchMask::MODIFY
            | WatchMask::CREATE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
            | WatchMask::ATTRIB;
        match inotify.watches().add(dir, mask) {
            Ok(wd) => {
                self.by_dir.insert(dir.to_path_buf(), wd.clone());
                self.by_wd.insert(wd, dir.to_path_buf());
            }
            Err(e) => log::debug!("cannot watch {}: {e}", dir.display()),
        }
    }

    /// Whether inotify works here (otherwise callers must poll for new files too).
    pub fn has_inotify(&self) -> bool {
        self.inotify.is_some()
    }

    /// Directories watched.
    pub fn watched(&self) -> usize {
        self.by_dir.len()
    }

    /// Waits up to `timeout` for changes and appends them to `out`.
    pub fn wait(&mut self, timeout: Duration, out: &mut Vec<Change>) {
        let Some(inotify) = &mut self.inotify else {
            std::thread::sleep(timeout);
            return;
        };
        let mut pollfd = libc::pollfd {
            fd: inotify.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut pollfd, 1, millis) };
        if ready <= 0 {
            return;
        }
        loop {
            let events = match inotify.read_events(&mut self.buffer) {
                Ok(events) => events,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    log::warn!("reading inotify events failed: {e}");
                    out.push(Change::Structure);
                    return;
                }
            };
            for event in events {
                if event.mask.contains(EventMask::Q_OVERFLOW) {
                    out.push(Change::Structure);
                    continue;
                }
                if event
                    .mask
                    .intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF | EventMask::IGNORED)
                {
                    if let Some(dir) = self.by_wd.remove(&event.wd) {
                        self.by_dir.remove(&dir);
                    }
                    out.push(Change::Structure);
                    continue;
                }
                let Some(dir) = self.by_wd.get(&event.wd) else {
                    continue;
                };
                let path = match event.name {
                    Some(name) => dir.join(name),
                    None => dir.clone(),
                };
                if event.mask.intersects(EventMask::MODIFY | EventMask::ATTRIB) {
                    out.push(Change::Written(path));
                } else {
                    out.push(Change::Structure);
                }
            }
        }
    }
}

impl Default for DirWatcher {
    fn default() -> Self {
        DirWatcher::new()
    }
}
