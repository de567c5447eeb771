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

pub mod checkpoint;
pub mod discovery;
pub mod file_server;
pub mod fingerprint;
pub mod framer;
pub mod multiline;
pub mod reader;
pub mod sigbus;
pub mod stats;
pub mod watcher;

pub use file_server::{Command, FileServer, FileServerConfig};
