//! The file server: discovers files, follows them through rotation, reads them and emits batches.
//!
//! One thread runs `FileServer::run`. It owns every open file of its collect entries, an inotify watcher on
//! their directories, and the only sender side of the batch channel it was given. Each loop iteration it
//! applies config commands, waits for inotify (or the poll interval), rescans globs when directories changed,
//! reads every file that grew (at most `MAX_CHUNK` per file per pass, so one busy file cannot starve others),
//! flushes timed-out multiline events and closes files that are gone and drained.
//!
//! # File lifecycle
//! - *Identity* is (device, inode) plus the fingerprint of the first line. A file is opened once, when a glob
//!   first matches it, and keyed by (dev, ino) from then on, so a rename (rotation) changes nothing: the open
//!   descriptor is read to its end.
//! - *Rotation / deletion*: a file no longer found under any matching path, or deleted, is `gone`; it stays
//!   open and keeps being read until it has been both gone and silent for `rotate_wait` (writers keep
//!   appending to a renamed file for a while), then closes. A deleted file's checkpoint is forgotten.
//! - *Truncation / copytruncate*: a size below the read offset, or a first line that no longer matches the
//!   fingerprint, starts a new generation: a new uid (so new event ids), offset 0.
//! - *New files* are read from the beginning; files that exist when their entry is first scanned and have no
//!   checkpoint start at `start_at`.

use crate::config::agent::{PipelineConfig, TailConfig};
use crate::config::{CollectEntry, StartAt};
use crate::etcd::PathAllowlist;
use crate::event::id::FileUid;
use crate::event::json::JsonTemplate;
use crate::event::timestamp;
use crate::ring::{Batch, BatchSender, FileAck, FileSource, LineRef, SendError};
use crate::tail::checkpoint::{Checkpointer, FileIdentity};
use crate::tail::discovery::FileMatcher;
use crate::tail::fingerprint;
use crate::tail::framer::{LineFramer, LineSink};
use crate::tail::multiline::Multiline;
use crate::tail::reader::{self, Trusted};
use crate::tail::stats::{FileStatus, TailStats};
use crate::tail::watcher::{Change, DirWatcher};
use crossbeam_channel::Receiver;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Settings of a file server.
#[derive(Debug, Clone)]
pub struct FileServerConfig {
    pub host: String,
    pub poll_interval: Duration,
    pub rotate_wait: Duration,
    pub mmap_threshold: u64,
    pub batch_lines: usize,
    pub batch_bytes: usize,
    /// Topic / index name used for entries without a topic (standalone).
    pub default_topic: String,
}

impl FileServerConfig {
    /// The file server settings of an agent or standalone configuration.
    pub fn new(
        host: String,
        tail: &TailConfig,
        pipeline: &PipelineConfig,
        default_topic: &str,
    ) -> FileServerConfig {
        FileServerConfig {
            host,
            poll_interval: tail.poll_interval,
            rotate_wait: tail.rotate_wait,
            mmap_threshold: tail.mmap_threshold,
            batch_lines: pipeline.batch_lines,
            batch_bytes: pipeline.batch_bytes,
            default_topic: default_topic.to_string(),
        }
    }
}

/// Instructions to a running file server.
#[derive(Debug)]
pub enum Command {
    /// Replace the collect entries: unchanged ones keep tailing where they are, removed ones stop (their
    /// checkpoints are kept), new ones start.
    SetEntries(Vec<CollectEntry>),
}

type FileKey = (u64, u64);

/// With inotify working, globs are rescanned on directory events and, as a safety net, every this many polls.
const POLLS_PER_SAFETY_SCAN: u32 = 10;

struct EntryState {
    entry: CollectEntry,
    matcher: FileMatcher,
    fields_json: Option<String>,
    /// Set by the entry's first scan: files found then start at `start_at`.
    scanned_once: AtomicBool,
}

struct TrackedFile {
    file: File,
    path: PathBuf,
    entry: Arc<EntryState>,
    identity: FileIdentity,
    source: Arc<FileSource>,
    ack: Arc<FileAck>,
    framer: LineFramer,
    multiline: Option<Multiline>,
    gone_since: Option<Instant>,
    last_data_at: Instant,
    size: u64,
}

/// Events of one read pass, cut into batches.
struct BatchBuilder {
    max_lines: usize,
    max_bytes: usize,
    data: Vec<u8>,
    lines: Vec<LineRef>,
    done: Vec<(Vec<u8>, Vec<LineRef>, u64)>,
}

impl BatchBuilder {
    fn new(max_lines: usize, max_bytes: usize) -> BatchBuilder {
        BatchBuilder {
            max_lines,
            max_bytes,
            data: Vec::new(),
            lines: Vec::new(),
            done: Vec::new(),
        }
    }

    /// Closes the current batch; `end_offset` is where the next event starts.
    fn cut(&mut self, end_offset: u64) {
        let data = std::mem::take(&mut self.data);
        let lines = std::mem::take(&mut self.lines);
        self.done.push((data, lines, end_offset));
    }
}

impl LineSink for BatchBuilder {
    fn line(&mut self, offset: u64, line: &[u8], flags: u8) {
        if !self.lines.is_empty()
            && (self.lines.len() >= self.max_lines || self.data.len() + line.len() > self.max_bytes)
        {
            self.cut(offset);
        }
        let start = self.data.len() as u32;
        self.data.extend_from_slice(line);
        self.lines.push(LineRef {
            offset,
            start,
            len: line.len() as u32,
            flags,
        });
    }
}

/// Feeds framed lines through the optional multiline joiner into a batch builder.
struct Joiner<'a> {
    multiline: &'a mut Option<Multiline>,
    builder: &'a mut BatchBuilder,
}

impl LineSink for Joiner<'_> {
    fn line(&mut self, offset: u64, line: &[u8], flags: u8) {
        match self.multiline {
            Some(ml) => ml.push(offset, line, flags, self.builder),
            None => self.builder.line(offset, line, flags),
        }
    }
}

/// The file server of one agent (or standalone) process.
pub struct FileServer {
    config: FileServerConfig,
    checkpointer: Arc<Checkpointer>,
    out: BatchSender,
    stop: Arc<AtomicBool>,
    commands: Receiver<Command>,
    stats: Arc<TailStats>,
    entries: Vec<Arc<EntryState>>,
    files: HashMap<FileKey, TrackedFile>,
    by_path: HashMap<PathBuf, FileKey>,
    watcher: DirWatcher,
    dirty: HashSet<FileKey>,
    buffer: Vec<u8>,
    /// When set, no file outside it is ever opened (etcd-driven agents); refused paths are logged once.
    allow: Option<Arc<PathAllowlist>>,
    refused: HashSet<PathBuf>,
    /// Fingerprint of the file list last published (`publish_file_list`); `None` forces the next publish.
    published_signature: Option<u64>,
}

impl FileServer {
    /// A file server for `entries`; batches go to `out`, progress to `checkpointer`.
    pub fn new(
        config: FileServerConfig,
        entries: Vec<CollectEntry>,
        checkpointer: Arc<Checkpointer>,
        out: BatchSender,
        commands: Receiver<Command>,
        stop: Arc<AtomicBool>,
        stats: Arc<TailStats>,
    ) -> FileServer {
        let mut server = FileServer {
            config,
            checkpointer,
            out,
            stop,
            commands,
            stats,
            entries: Vec::new(),
            files: HashMap::new(),
            by_path: HashMap::new(),
            watcher: DirWatcher::new(),
            dirty: HashSet::new(),
            buffer: Vec::new(),
            allow: None,
            refused: HashSet::new(),
            published_signature: None,
        };
        server.set_entries(entries);
        server
    }

    /// Never opens a file `allow` does not permit, whatever the entries say (defence in depth).
    pub fn restrict_to(mut self, allow: Arc<PathAllowlist>) -> FileServer {
        self.allow = Some(allow);
        self
    }

    /// Runs until `stop` is set or every receiver is gone.
    pub fn run(mut self) {
        crate::tail::sigbus::install();
        let mut changes = Vec::new();
        let mut last_poll = Instant::now();
        let mut polls_since_scan = 0u32;
        self.scan();
        while !self.stop.load(Ordering::Relaxed) {
            while let Ok(command) = self.commands.try_recv() {
                match command {
                    Command::SetEntries(entries) => {
                        self.set_entries(entries);
                        self.scan();
                    }
                }
            }
            let busy = !self.dirty.is_empty();
            let timeout = if busy {
                Duration::ZERO
            } else {
                Duration::from_millis(200)
            };
            changes.clear();
            self.watcher.wait(timeout, &mut changes);
            let mut rescan = false;
            for change in changes.drain(..) {
                match change {
                    Change::Written(path) => match self.by_path.get(&path) {
                        Some(key) => {
                            self.dirty.insert(*key);
                        }
                        None => rescan = true,
                    },
                    Change::Structure => rescan = true,
                }
            }
            if last_poll.elapsed() >= self.config.poll_interval {
                last_poll = Instant::now();
                polls_since_scan += 1;
                // With inotify, directory changes trigger a scan and writes a read at once; the periodic glob
                // scan and stat of every file are only a safety net (writes through a hard link or mmap raise
                // no event). Files that left their watched name (rotated, deleted) are stat'ed every poll,
                // since writes to them may no longer raise events. Without inotify, every poll does it all.
                let full_poll =
                    !self.watcher.has_inotify() || polls_since_scan >= POLLS_PER_SAFETY_SCAN;
                rescan |= full_poll;
                let due = self
                    .files
                    .iter()
                    .filter(|(_, f)| full_poll || f.gone_since.is_some())
                    .map(|(k, _)| *k);
                self.dirty.extend(due);
                self.publish_file_list();
            }
            if rescan {
                polls_since_scan = 0;
                self.scan();
            }
            if self.read_dirty().is_err() {
                break;
            }
            if self.flush_timed_out_multiline().is_err() {
                break;
            }
            self.close_finished();
            self.stats.set_files(self.files.len());
        }
        log::debug!("file server stopping with {} open files", self.files.len());
    }

    /// Publishes the per-file progress for status and metrics, unless nothing moved since the last time.
    fn publish_file_list(&mut self) {
        let signature = self.files.values().fold(self.files.len() as u64, |h, f| {
            [f.framer.read_offset(), f.ack.acked_offset(), f.size]
                .into_iter()
                .fold(h, |h, v| {
                    (h.rotate_left(7) ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                })
        });
        if self.published_signature == Some(signature) {
            return;
        }
        self.published_signature = Some(signature);
        let mut list: Vec<FileStatus> = self
            .files
            .values()
            .map(|f| {
                let acked_offset = f.ack.acked_offset();
                FileStatus {
                    path: f.path.to_string_lossy().into_owned(),
                    offset: f.framer.read_offset(),
                    acked_offset,
                    size: f.size,
                    lag_bytes: f.size.saturating_sub(acked_offset),
                }
            })
            .collect();
        list.sort_by(|a, b| a.path.cmp(&b.path));
        self.stats.set_file_list(list);
    }

    fn set_entries(&mut self, entries: Vec<CollectEntry>) {
        let mut next = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(existing) = self.entries.iter().find(|e| e.entry == entry) {
                next.push(existing.clone());
                continue;
            }
            let matcher = match FileMatcher::new(&entry) {
                Ok(m) => m,
                Err(e) => {
                    log::error!("collect entry {}: {e}", entry.path);
                    continue;
                }
            };
            let fields_json = (!entry.fields.is_empty())
                .then(|| serde_json::to_string(&entry.fields).unwrap_or_default());
            next.push(Arc::new(EntryState {
                entry,
                matcher,
                fields_json,
                scanned_once: AtomicBool::new(false),
            }));
        }
        let keep: Vec<*const EntryState> = next.iter().map(Arc::as_ptr).collect();
        let removed: Vec<FileKey> = self
            .files
            .iter()
            .filter(|(_, f)| !keep.contains(&Arc::as_ptr(&f.entry)))
            .map(|(k, _)| *k)
            .collect();
        for key in removed {
            if let Some(file) = self.files.remove(&key) {
                log::info!("stopped tailing {} (entry removed)", file.path.display());
                self.by_path.retain(|_, k| *k != key);
                self.out.release(&file.source.key);
                self.checkpointer.untrack(file.source.uid, false);
            }
        }
        self.entries = next;
    }

    /// Matches every entry's glob against the file system; opens new files, notices gone ones.
    fn scan(&mut self) {
        let mut seen: HashSet<FileKey> = HashSet::new();
        let mut opened = false;
        let entries = self.entries.clone();
        for entry in entries.iter() {
            self.watcher.watch(entry.matcher.base_dir());
            let initial = !entry.scanned_once.swap(true, Ordering::Relaxed);
            for path in entry.matcher.scan() {
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                let key = (meta.dev(), meta.ino());
                if !seen.insert(key) {
                    continue;
                }
                if let Some(dir) = path.parent() {
                    self.watcher.watch(dir);
                }
                if let Some(file) = self.files.get_mut(&key) {
                    file.gone_since = None;
                    if meta.len() != file.size {
                        // Grown or shrunk without an event for it (or under another name): read it now.
                        self.dirty.insert(key);
                    }
                    if file.path != path {
                        self.published_signature = None;
                        self.by_path.retain(|_, k| *k != key);
                        file.path = path.clone();
                        self.by_path.insert(path, key);
                    }
                    continue;
                }
                opened |= self.open(&path, entry.clone(), initial);
            }
        }
        let now = Instant::now();
        for (key, file) in self.files.iter_mut() {
            if !seen.contains(key) && file.gone_since.is_none() {
                log::debug!(
                    "{} no longer matches (rotated or deleted); draining",
                    file.path.display()
                );
                file.gone_since = Some(now);
                self.dirty.insert(*key);
            }
        }
        if opened {
            self.persist_uids();
        }
    }

    /// Writes the checkpoint file now if it lacks a file (or a uid) tracked since the last write: a uid must be
    /// on disk before the first event carrying it leaves, or a crash would re-read the file under a new uid and
    /// every resent line would get a second id.
    fn persist_uids(&self) {
        if let Err(e) = self.checkpointer.write() {
            log::error!("{e:#}");
        }
    }

    /// Starts tailing `path`; returns whether it did (not when refused, unreadable or without a first line).
    fn open(&mut self, path: &Path, entry: Arc<EntryState>, initial_scan: bool) -> bool {
        if let Some(allow) = &self.allow {
            if let Err(why) = allow.permits_file(path) {
                if self.refused.insert(path.to_path_buf()) {
                    log::error!("refusing to open {}: {why}", path.display());
                }
                return false;
            }
        }
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                log::warn!("cannot open {}: {e}", path.display());
                return false;
            }
        };
        let Ok(meta) = file.metadata() else {
            return false;
        };
        let fingerprint = match fingerprint::compute(&file) {
            Ok(Some(fp)) => fp,
            Ok(None) => return false, // no complete first line yet: looked at again on the next change or poll
            Err(e) => {
                log::warn!("cannot read {}: {e}", path.display());
                return false;
            }
        };
        let identity = FileIdentity {
            dev: meta.dev(),
            ino: meta.ino(),
            fingerprint,
        };
        let (uid, offset) = match self.checkpointer.claim(&identity) {
            Some((uid, offset)) if offset <= meta.len() => (uid, offset),
            _ => {
                let offset = if initial_scan && entry.entry.start_at == StartAt::End {
                    meta.len()
                } else {
                    0
                };
                (self.new_uid(&identity), offset)
            }
        };
        log::info!("tailing {} from offset {offset}", path.display());
        let key = (meta.dev(), meta.ino());
        let tracked = self.track(
            file,
            path.to_path_buf(),
            entry,
            identity,
            uid,
            offset,
            meta.len(),
        );
        self.files.insert(key, tracked);
        self.by_path.insert(path.to_path_buf(), key);
        self.dirty.insert(key);
        true
    }

    fn new_uid(&self, identity: &FileIdentity) -> FileUid {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        FileUid::new(
            &self.config.host,
            identity.dev,
            identity.ino,
            identity.fingerprint.hash,
            nanos,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn track(
        &self,
        file: File,
        path: PathBuf,
        entry: Arc<EntryState>,
        identity: FileIdentity,
        uid: FileUid,
        offset: u64,
        size: u64,
    ) -> TrackedFile {
        let path_text = path.to_string_lossy().into_owned();
        let source = Arc::new(FileSource {
            path: path_text.clone(),
            host: self.config.host.clone(),
            topic: entry
                .entry
                .topic
                .clone()
                .unwrap_or_else(|| self.config.default_topic.clone()),
            codec: entry.entry.codec,
            uid,
            key: format!("{}:{:x}:{:x}", self.config.host, identity.dev, identity.ino),
            fields_json: entry.fields_json.clone(),
            template: JsonTemplate::new(&self.config.host, &path_text, &entry.entry.fields),
        });
        let ack = FileAck::new(offset);
        self.checkpointer
            .track(identity, uid, &path_text, ack.clone());
        let max_line = entry.entry.max_line_bytes;
        let multiline = entry
            .entry
            .multiline
            .as_ref()
            .and_then(|ml| Multiline::new(ml, max_line).ok());
        TrackedFile {
            file,
            path,
            identity,
            source,
            ack,
            framer: LineFramer::new(offset, max_line),
            multiline,
            entry,
            gone_since: None,
            last_data_at: Instant::now(),
            size,
        }
    }

    /// Reads every dirty file once (up to a chunk each). `Err` when the channel closed or shutdown began.
    fn read_dirty(&mut self) -> Result<(), SendError> {
        let keys: Vec<FileKey> = self.dirty.drain().collect();
        for key in keys {
            if self.stop.load(Ordering::Relaxed) {
                return Err(SendError::ShuttingDown);
            }
            let more = self.read_file(key)?;
            if more {
                self.dirty.insert(key);
            }
        }
        Ok(())
    }

    /// Reads one chunk of `key`; returns whether bytes remain.
    fn read_file(&mut self, key: FileKey) -> Result<bool, SendError> {
        let Some(file) = self.files.get_mut(&key) else {
            return Ok(false);
        };
        let meta = match file.file.metadata() {
            Ok(m) => m,
            Err(e) => {
                log::warn!("cannot stat {}: {e}", file.path.display());
                return Ok(false);
            }
        };
        if meta.nlink() == 0 && file.gone_since.is_none() {
            file.gone_since = Some(Instant::now());
        }
        let size = meta.len();
        file.size = size;
        let read_offset = file.framer.read_offset();
        let truncated = size < read_offset
            || (read_offset > 0
                && size > read_offset
                && !fingerprint::still_matches(&file.file, file.identity.fingerprint)
                    .unwrap_or(true));
        if truncated {
            self.restart_generation(key)?;
            return Ok(true);
        }
        if size == read_offset {
            return Ok(false);
        }
        let Some(file) = self.files.get_mut(&key) else {
            return Ok(false);
        };
        let mut builder = BatchBuilder::new(self.config.batch_lines, self.config.batch_bytes);
        let stamp = timestamp::now();
        let framer = &mut file.framer;
        let multiline = &mut file.multiline;
        let result = reader::read_region(
            &file.file,
            read_offset,
            size - read_offset,
            self.config.mmap_threshold,
            &mut self.buffer,
            |bytes| {
                framer.feed(
                    bytes,
                    &mut Joiner {
                        multiline,
                        builder: &mut builder,
                    },
                );
            },
        );
        match result {
            Ok((_, Trusted::No)) => {
                log::warn!(
                    "{} shrank while mapped; treating it as truncated",
                    file.path.display()
                );
                self.restart_generation(key)?;
                return Ok(true);
            }
            Ok((0, _)) => return Ok(false),
            Ok((n, Trusted::Yes)) => {
                self.stats.add_bytes(n as u64);
            }
            Err(e) => {
                log::warn!("cannot read {}: {e}", file.path.display());
                return Ok(false);
            }
        }
        file.last_data_at = Instant::now();
        let position = position_of(file);
        builder.cut(position);
        let more = file.framer.read_offset() < size;
        let source = file.source.clone();
        let ack = file.ack.clone();
        self.ship(&source, &ack, builder, stamp)?;
        Ok(more)
    }

    /// Sends the batches of one read pass, registering each with the file's acknowledgements in order.
    fn ship(
        &mut self,
        source: &Arc<FileSource>,
        ack: &Arc<FileAck>,
        builder: BatchBuilder,
        stamp: String,
    ) -> Result<(), SendError> {
        for (data, lines, end_offset) in builder.done {
            let handle = ack.register(end_offset, lines.len());
            if lines.is_empty() {
                continue;
            }
            self.stats.add_lines(lines.len() as u64);
            let batch = Batch {
                source: source.clone(),
                timestamp: stamp.clone(),
                data,
                lines,
                ack: handle,
            };
            self.out.send(batch, &self.stop)?;
        }
        Ok(())
    }

    /// The file was truncated or replaced in place: ship what is pending, then start a new generation at 0.
    fn restart_generation(&mut self, key: FileKey) -> Result<(), SendError> {
        let Some(mut file) = self.files.remove(&key) else {
            return Ok(());
        };
        self.flush_multiline(&mut file)?;
        self.checkpointer.untrack(file.source.uid, true);
        let fingerprint = match fingerprint::compute(&file.file) {
            Ok(Some(fp)) => fp,
            _ => {
                // Empty for now: forget it; the next scan opens it again once it has a first line.
                self.by_path.retain(|_, k| *k != key);
                log::info!(
                    "{} was truncated; waiting for new content",
                    file.path.display()
                );
                return Ok(());
            }
        };
        let identity = FileIdentity {
            fingerprint,
            ..file.identity
        };
        let uid = self.new_uid(&identity);
        log::info!(
            "{} was truncated or rewritten; reading the new content from offset 0",
            file.path.display()
        );
        let size = file.size;
        let tracked = self.track(file.file, file.path, file.entry, identity, uid, 0, size);
        self.files.insert(key, tracked);
        self.dirty.insert(key);
        self.persist_uids();
        Ok(())
    }

    fn flush_multiline(&mut self, file: &mut TrackedFile) -> Result<(), SendError> {
        let Some(ml) = file.multiline.as_mut() else {
            return Ok(());
        };
        if ml.pending_start().is_none() {
            return Ok(());
        }
        let mut builder = BatchBuilder::new(self.config.batch_lines, self.config.batch_bytes);
        ml.flush(&mut builder);
        builder.cut(file.framer.position());
        let source = file.source.clone();
        let ack = file.ack.clone();
        self.ship(&source, &ack, builder, timestamp::now())
    }

    fn flush_timed_out_multiline(&mut self) -> Result<(), SendError> {
        let now = Instant::now();
        let due: Vec<FileKey> = self
            .files
            .iter()
            .filter(|(_, f)| f.multiline.as_ref().is_some_and(|ml| ml.timed_out(now)))
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            if let Some(mut file) = self.files.remove(&key) {
                let result = self.flush_multiline(&mut file);
                self.files.insert(key, file);
                result?;
            }
        }
        Ok(())
    }

    fn close_finished(&mut self) {
        let wait = self.config.rotate_wait;
        let done: Vec<FileKey> = self
            .files
            .iter()
            .filter(|(_, f)| {
                f.gone_since.is_some_and(|t| t.elapsed() >= wait)
                    && f.last_data_at.elapsed() >= wait
                    && f.framer.read_offset() >= f.size
            })
            .map(|(k, _)| *k)
            .collect();
        for key in done {
            let Some(mut file) = self.files.remove(&key) else {
                continue;
            };
            if self.flush_multiline(&mut file).is_err() {
                self.files.insert(key, file);
                return;
            }
            let deleted = file.file.metadata().map(|m| m.nlink() == 0).unwrap_or(true);
            log::info!(
                "closed {} ({})",
                file.path.display(),
                if deleted { "deleted" } else { "rotated away" }
            );
            self.by_path.retain(|_, k| *k != key);
            self.checkpointer.untrack(file.source.uid, deleted);
            self.out.release(&file.source.key);
        }
    }
}

fn position_of(file: &TrackedFile) -> u64 {
    let framed = file.framer.position();
    match file.multiline.as_ref().and_then(Multiline::pending_start) {
        Some(start) => start.min(framed),
        None => framed,
    }
}
