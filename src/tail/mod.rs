//! Tailing files: from bytes on disk to batches of framed lines.
//!
//! - `discovery`: which files a collect entry means (globs, excludes, directories to watch).
//! - `watcher`: inotify on those directories, with a poll fallback.
//! - `fingerprint`: file identity beyond (device, inode).
//! - `reader`: pread or SIGBUS-guarded mmap (`sigbus`) of a file region.
//! - `framer`: bytes → lines, bounded by `max_line_bytes`.
//! - `multiline`: lines → events (stack traces).
//! - `checkpoint`: the persisted, acknowledged offset of every file.
//! - `file_server`: the thread that ties them together and follows files through rotation and truncation.
//! - `entry_sets`: the local and the etcd entries it runs, changed apart and applied together.
//! - `model_tests` (tests only): random sequences of writes, rotations, acknowledgements and restarts run
//!   against the real file server and checked against a model of what must have been shipped.

pub mod adopt;
pub mod checkpoint;
pub mod discovery;
pub mod entry_sets;
pub mod file_server;
pub mod fingerprint;
pub mod framer;
pub mod multiline;
pub mod open;
pub mod reader;
pub mod sigbus;
pub mod stats;
pub mod tailing;
pub mod watcher;

#[cfg(test)]
mod model_tests;

pub use entry_sets::EntrySets;
pub use file_server::{Command, FileServer, FileServerConfig};
pub use tailing::{CheckpointFinish, Tailing};
