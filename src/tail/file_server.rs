//! The file server: discovers files, follows them through rotation, reads them and emits batches.
//!
//! One thread runs `FileServer::run`. It owns every open file of its collect entries, an inotify watcher on
//! their directories, and the only sender side of the batch channel it was given. Each loop iteration it
//! applies config commands, waits for inotify (or the poll interval), rescans globs when directories changed,
//! reads every file that grew (at most `READS_PER_PASS` reads of `MAX_CHUNK` per file per pass, so one busy
//! file cannot starve others),
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

use super::adopt::{Adoption, OldPositions};
use crate::config::agent::{PipelineConfig, TailConfig};
use crate::config::PathAllowlist;
use crate::config::{CollectEntry, StartAt};
use crate::event::filtered::FileFilters;
use crate::event::id::FileUid;
use crate::event::json::JsonTemplate;
use crate::event::timestamp;
use crate::ring::{Batch, BatchSender, FileAck, FileSource, LineRef, SendError};
use crate::tail::checkpoint::{Checkpointer, FileIdentity};
use crate::tail::discovery::FileMatcher;
use crate::tail::fingerprint;
use crate::tail::framer::{LineFramer, LineSink};
use crate::tail::multiline::Multiline;
use crate::tail::open::{open_checked, LinkPolicy, OpenError};
use crate::tail::reader::{self, Trusted};
use crate::tail::stats::{FileStatus, TailStats};
use crate::tail::watcher::{Change, DirWatcher};
use crossbeam_channel::Receiver;
use logpipe_filter::FilterChain;
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
    /// Read positions of the agent logpipe replaces, for files without a checkpoint found by an entry's
    /// first scan (see `adopt`).
    pub old_positions: Option<Arc<OldPositions>>,
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
            old_positions: None,
        }
    }
}

/// Instructions to a running file server.
#[derive(Debug)]
pub enum Command {
    /// Replace the collect entries: unchanged ones keep tailing where they are, removed ones stop (their
    /// checkpoints are kept), new ones start.
    SetEntries(Vec<CollectEntry>),
    /// Replace the allowlist every opened file must pass (a reloaded config with other local globs); sent
    /// before the `SetEntries` that needs it.
    Restrict(Arc<PathAllowlist>),
    /// Answered once every command sent before it has been applied (see `EntrySets::wait_applied`).
    Barrier(crossbeam_channel::Sender<()>),
}

type FileKey = (u64, u64);

/// With inotify working, globs are rescanned on directory events and, as a safety net, every this many polls.
const POLLS_PER_SAFETY_SCAN: u32 = 10;

/// Longest wait for inotify when no file has bytes left to read.
const IDLE_WAIT: Duration = Duration::from_millis(200);

/// While `ship` hands batches over (a lane full, or draining slower than the files fill), the globs are
/// scanned at least this often (see `FileServer::ship`).
const SHIPPING_SCAN_EVERY: Duration = Duration::from_millis(200);

/// Whether `ship` looks for new files while it waits for room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discovery {
    WhileBlocked,
    Off,
}

/// What `FileServer::run` keeps between passes: the first scan, the poll clock, and a reused change list.
pub(crate) struct PassClock {
    scanned: bool,
    changes: Vec<Change>,
    last_poll: Instant,
    polls_since_scan: u32,
}

impl PassClock {
    pub(crate) fn new() -> PassClock {
        PassClock {
            scanned: false,
            changes: Vec::new(),
            last_poll: Instant::now(),
            polls_since_scan: 0,
        }
    }
}

struct EntryState {
    entry: CollectEntry,
    matcher: FileMatcher,
    fields_json: Option<String>,
    /// The entry's compiled filters, `None` without filters.
    filters: Option<Arc<FilterChain>>,
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
    /// Its uid is in the checkpoint file on disk. Until then the file is not read (see `read_file`).
    uid_on_disk: bool,
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
    /// Files truncated to nothing, kept open until their first new line (see `restart_generation`).
    awaiting: HashMap<FileKey, TrackedFile>,
    /// Fingerprint of the file list last published (`publish_file_list`); `None` forces the next publish.
    published_signature: Option<u64>,
    /// When a checkpoint write for a file waiting on its uid was last tried.
    last_uid_write: Option<Instant>,
    /// When the globs were last scanned.
    last_scan: Instant,
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
            awaiting: HashMap::new(),
            published_signature: None,
            last_uid_write: None,
            last_scan: Instant::now(),
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
        let mut clock = PassClock::new();
        while !self.stop.load(Ordering::Relaxed) {
            if self.pass(&mut clock, IDLE_WAIT).is_err() {
                break;
            }
            self.stats.add_pass();
        }
        log::debug!("file server stopping with {} open files", self.files.len());
    }

    /// One iteration of `run`: applies config commands, waits for inotify (at most `idle_wait`, and not at all
    /// while a file has bytes left to read), rescans globs when directories changed or a poll is due, reads
    /// every dirty file once, flushes timed-out multiline events and closes files that are gone and drained.
    /// `Err` when the channel closed or shutdown began.
    pub(crate) fn pass(
        &mut self,
        clock: &mut PassClock,
        idle_wait: Duration,
    ) -> Result<(), SendError> {
        if !clock.scanned {
            clock.scanned = true;
            self.scan();
            // Counted at once: a Barrier answered below proves the first scan happened, with this count.
            self.stats.set_files(self.files.len());
        }
        while let Ok(command) = self.commands.try_recv() {
            match command {
                Command::SetEntries(entries) => {
                    self.set_entries(entries);
                    self.scan();
                }
                Command::Restrict(allow) => {
                    self.allow = Some(allow);
                    self.refused.clear();
                }
                Command::Barrier(applied) => {
                    let _ = applied.send(());
                }
            }
        }
        let timeout = if self.dirty.is_empty() {
            idle_wait
        } else {
            Duration::ZERO
        };
        clock.changes.clear();
        self.watcher.wait(timeout, &mut clock.changes);
        let mut rescan = false;
        for change in clock.changes.drain(..) {
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
        if clock.last_poll.elapsed() >= self.config.poll_interval {
            clock.last_poll = Instant::now();
            clock.polls_since_scan += 1;
            // With inotify, directory changes trigger a scan and writes a read at once; the periodic glob
            // scan and stat of every file are only a safety net (writes through a hard link or mmap raise
            // no event). Files that left their watched name (rotated, deleted) are stat'ed every poll,
            // since writes to them may no longer raise events. Without inotify, every poll does it all.
            let full_poll =
                !self.watcher.has_inotify() || clock.polls_since_scan >= POLLS_PER_SAFETY_SCAN;
            rescan |= full_poll;
            let due = self
                .files
                .iter()
                .filter(|(_, f)| full_poll || f.gone_since.is_some() || !f.uid_on_disk)
                .map(|(k, _)| *k);
            self.dirty.extend(due);
            self.publish_file_list();
        }
        if rescan {
            clock.polls_since_scan = 0;
            self.scan();
        }
        self.check_awaiting();
        self.read_dirty()?;
        self.flush_timed_out_multiline()?;
        self.close_finished();
        self.stats.set_files(self.files.len());
        Ok(())
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
        let mut refiltered: Vec<(Arc<EntryState>, Arc<EntryState>)> = Vec::new();
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
            // Compiled when the entry was validated; this takes that chain.
            let filters = match entry.filters.chain() {
                Ok(chain) => chain,
                Err(e) => {
                    log::error!("collect entry {}: {e}", entry.path);
                    continue;
                }
            };
            // Only the filters changed: the entry's open files stay open where they are, and their next
            // lines take the new filters (batches already cut keep the filters they were cut with).
            let previous = self
                .entries
                .iter()
                .find(|e| {
                    e.entry.differs_only_in_filters(&entry)
                        && !refiltered.iter().any(|(taken, _)| Arc::ptr_eq(taken, e))
                })
                .cloned();
            let fields_json = (!entry.fields.is_empty())
                .then(|| serde_json::to_string(&entry.fields).unwrap_or_default());
            let state = Arc::new(EntryState {
                entry,
                matcher,
                fields_json,
                filters,
                scanned_once: AtomicBool::new(previous.is_some()),
            });
            if let Some(previous) = previous {
                refiltered.push((previous, state.clone()));
            }
            next.push(state);
        }
        for (previous, state) in refiltered {
            let mut files = 0;
            for file in self.files.values_mut() {
                if Arc::ptr_eq(&file.entry, &previous) {
                    let mut source = FileSource::clone(&file.source);
                    source.filters = file_filters(&state, &self.config.host, &source.path);
                    file.source = Arc::new(source);
                    file.entry = state.clone();
                    files += 1;
                }
            }
            log::info!(
                "collect entry {}: new filters ({} filters), applied to the next lines of its {files} open files",
                state.entry.path,
                state.filters.as_ref().map_or(0, |chain| chain.len()),
            );
        }
        let keep: Vec<*const EntryState> = next.iter().map(Arc::as_ptr).collect();
        let removed: Vec<FileKey> = self
            .files
            .iter()
            .filter(|(_, f)| !keep.contains(&Arc::as_ptr(&f.entry)))
            .map(|(k, _)| *k)
            .collect();
        for key in removed {
            if self.hand_over(key, &next) {
                continue;
            }
            if let Some(file) = self.files.remove(&key) {
                log::info!("stopped tailing {} (entry removed)", file.path.display());
                self.by_path.retain(|_, k| *k != key);
                self.out.release(&file.source.key);
                self.checkpointer.untrack(file.source.uid, false);
            }
        }
        self.entries = next;
    }

    /// An entry was replaced by one that still names the file (a changed topic, fields or codec): the file
    /// stays open under the new entry with its uid, position and descriptor, so nothing is read twice and a
    /// rotated or deleted file still being drained is not lost (closed, it could not be opened again). Not
    /// when the framing changes (multiline, max_line_bytes): such a file stops, and the new entry resumes it
    /// from its checkpoint. Returns whether the file was handed over.
    fn hand_over(&mut self, key: FileKey, next: &[Arc<EntryState>]) -> bool {
        let Some(file) = self.files.get(&key) else {
            return false;
        };
        let Some(successor) = next.iter().find(|e| {
            e.matcher.matches(&file.path)
                && e.entry.multiline == file.entry.entry.multiline
                && e.entry.max_line_bytes == file.entry.entry.max_line_bytes
        }) else {
            return false;
        };
        let successor = successor.clone();
        let source = self.source_for(
            &successor,
            file.source.path.clone(),
            file.source.uid,
            file.source.key.clone(),
        );
        if let Some(file) = self.files.get_mut(&key) {
            log::debug!(
                "{} stays open under the changed entry {}",
                file.path.display(),
                successor.entry.path
            );
            file.entry = successor;
            file.source = source;
        }
        true
    }

    /// Matches every entry's glob against the file system; opens new files, notices gone ones.
    fn scan(&mut self) {
        self.last_scan = Instant::now();
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
                if self.awaiting.contains_key(&key) {
                    continue;
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
    fn persist_uids(&mut self) {
        self.last_uid_write = Some(Instant::now());
        let result = self.checkpointer.write();
        self.stats.record_checkpoint_write(&result);
    }

    /// Whether the uid of `key` is on disk, trying a checkpoint write (at most once per poll interval) when
    /// it is not. A file whose uid is not on disk is not read: after a crash it would be read again under a
    /// new uid, and every line would get a second id. With the disk full, files opened meanwhile (new
    /// rotations) wait, their bytes safe in the file, while the files already known go on.
    fn uid_on_disk(&mut self, key: FileKey) -> bool {
        let Some(file) = self.files.get(&key) else {
            return false;
        };
        if file.uid_on_disk {
            return true;
        }
        let uid = file.source.uid;
        if !self.checkpointer.is_on_disk(uid)
            && self
                .last_uid_write
                .is_none_or(|t| t.elapsed() >= self.config.poll_interval)
        {
            self.persist_uids();
        }
        let on_disk = self.checkpointer.is_on_disk(uid);
        if let Some(file) = self.files.get_mut(&key) {
            file.uid_on_disk = on_disk;
        }
        on_disk
    }

    /// Starts tailing `path`; returns whether it did (not when refused, unreadable or without a first line).
    fn open(&mut self, path: &Path, entry: Arc<EntryState>, initial_scan: bool) -> bool {
        let links = LinkPolicy {
            follow: entry.entry.follow_symlinks,
            base_dir: entry.matcher.base_dir(),
        };
        let file = match open_checked(path, links, self.allow.as_deref()) {
            Ok(f) => f,
            Err(OpenError::Io(e)) => {
                log::warn!("cannot open {}: {e}", path.display());
                return false;
            }
            Err(why) => {
                if self.refused.insert(path.to_path_buf()) {
                    log::error!("refusing to tail {}: {why}", path.display());
                }
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
        let (uid, offset, on_disk) = match self.checkpointer.claim(&identity) {
            Some((uid, offset)) if offset <= meta.len() => (uid, offset, true),
            _ => {
                let start_at = if initial_scan && entry.entry.start_at == StartAt::End {
                    meta.len()
                } else {
                    0
                };
                let adoption = match (&self.config.old_positions, initial_scan) {
                    (Some(old), true) => {
                        old.decide(meta.dev(), meta.ino(), meta.len(), meta.created().ok())
                    }
                    _ => None,
                };
                let offset = match adoption {
                    Some(Adoption::Adopt { offset, origin }) => {
                        log::info!(
                            "adopting the read position {offset} of {} from {origin}",
                            path.display()
                        );
                        self.stats.position_adopted();
                        offset
                    }
                    Some(Adoption::Refuse { origin, reason }) => {
                        log::warn!(
                            "not adopting the read position of {} from {origin}: {reason}; starting per \
                             start_at",
                            path.display()
                        );
                        self.stats.position_refused();
                        start_at
                    }
                    None => start_at,
                };
                (self.new_uid(&identity), offset, false)
            }
        };
        log::info!("tailing {} from offset {offset}", path.display());
        let key = (meta.dev(), meta.ino());
        let tracked = self.track(
            file,
            path.to_path_buf(),
            entry,
            identity,
            (uid, on_disk),
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
        (uid, uid_on_disk): (FileUid, bool),
        offset: u64,
        size: u64,
    ) -> TrackedFile {
        let path_text = path.to_string_lossy().into_owned();
        let key = format!("{}:{:x}:{:x}", self.config.host, identity.dev, identity.ino);
        let source = self.source_for(&entry, path_text.clone(), uid, key);
        let ack = FileAck::new(offset);
        self.checkpointer
            .track(identity, uid, &path_text, ack.clone(), uid_on_disk);
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
            uid_on_disk,
        }
    }

    /// What the events of a file generation share, under `entry`.
    fn source_for(
        &self,
        entry: &EntryState,
        path_text: String,
        uid: FileUid,
        key: String,
    ) -> Arc<FileSource> {
        Arc::new(FileSource {
            host: self.config.host.clone(),
            topic: entry
                .entry
                .topic
                .clone()
                .unwrap_or_else(|| self.config.default_topic.clone()),
            codec: entry.entry.codec,
            uid,
            key,
            fields_json: entry.fields_json.clone(),
            template: JsonTemplate::new(&self.config.host, &path_text, &entry.entry.fields),
            filters: file_filters(entry, &self.config.host, &path_text),
            path: path_text,
        })
    }

    /// Reads every dirty file once (up to a chunk each). `Err` when the channel closed or shutdown began.
    fn read_dirty(&mut self) -> Result<(), SendError> {
        let keys: Vec<FileKey> = self.dirty.drain().collect();
        for key in keys {
            if self.stop.load(Ordering::Relaxed) {
                return Err(SendError::ShuttingDown);
            }
            let mut more = self.read_file(key)?;
            for _ in 1..reader::READS_PER_PASS {
                if !more {
                    break;
                }
                more = self.read_file(key)?;
            }
            if more {
                self.dirty.insert(key);
            }
        }
        Ok(())
    }

    /// Reads one chunk of `key`; returns whether bytes remain.
    fn read_file(&mut self, key: FileKey) -> Result<bool, SendError> {
        if !self.uid_on_disk(key) {
            // Looked at again on the next poll (`pass`).
            return Ok(false);
        }
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
        // Shrunk below what was read, or rewritten in place (copytruncate, then refilled past the read offset,
        // or to the very same size): the first line is no longer the one the file was opened with. Also
        // checked before the first read (offset 0): a file held back while its uid could not be written may
        // have been truncated and refilled meanwhile, and must not ship the new content under the old uid.
        let truncated = size < read_offset
            || (size > 0
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
        let stamp = timestamp::Stamp::now();
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
        self.ship(&source, &ack, builder, stamp, Discovery::WhileBlocked)?;
        Ok(more)
    }

    /// Sends the batches of one read pass, registering each with the file's acknowledgements in order.
    ///
    /// A full lane (Kafka or the store away) blocks here: that is the backpressure, the files are the buffer.
    /// With `Discovery::WhileBlocked` the globs are scanned every `SHIPPING_SCAN_EVERY` meanwhile, so files
    /// that appear (new rotations) are opened and their descriptors held: a file rotated and deleted during
    /// an outage is still read once the lane drains, instead of being lost unopened. Callers that hold a file
    /// outside `files` pass `Discovery::Off` (a scan would open it a second time).
    fn ship(
        &mut self,
        source: &Arc<FileSource>,
        ack: &Arc<FileAck>,
        builder: BatchBuilder,
        stamp: timestamp::Stamp,
        discovery: Discovery,
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
            let mut pending = Some(batch);
            while let Some(batch) = pending.take() {
                pending = self.out.send_within(batch, SHIPPING_SCAN_EVERY)?;
                if pending.is_some() && self.stop.load(Ordering::Relaxed) {
                    return Err(SendError::ShuttingDown);
                }
                // Also when the lane moves but slowly: a long backlog must not keep a file that appears
                // meanwhile (and is rotated away and deleted a second later) from being opened.
                if discovery == Discovery::WhileBlocked
                    && self.last_scan.elapsed() >= SHIPPING_SCAN_EVERY
                {
                    self.scan();
                }
            }
        }
        Ok(())
    }

    /// The file was truncated or replaced in place: ship what is pending, then start a new generation at 0.
    /// A file truncated to nothing stays open (in `awaiting`) until its first new line: copytruncate is
    /// often followed, within milliseconds, by a last burst of lines and a rename or delete, which a file
    /// closed now and looked for by name later would never see.
    fn restart_generation(&mut self, key: FileKey) -> Result<(), SendError> {
        let Some(mut file) = self.files.remove(&key) else {
            return Ok(());
        };
        self.flush_multiline(&mut file)?;
        self.checkpointer.untrack(file.source.uid, true);
        match fingerprint::compute(&file.file) {
            Ok(Some(fp)) => self.start_generation(key, file, fp),
            _ => {
                log::info!(
                    "{} was truncated; waiting for new content",
                    file.path.display()
                );
                file.gone_since = None;
                self.awaiting.insert(key, file);
            }
        }
        Ok(())
    }

    /// Tracks `file` again as a new generation (a new uid) read from offset 0.
    fn start_generation(
        &mut self,
        key: FileKey,
        file: TrackedFile,
        fingerprint: fingerprint::Fingerprint,
    ) {
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
        let tracked = self.track(
            file.file,
            file.path,
            file.entry,
            identity,
            (uid, false),
            0,
            size,
        );
        self.files.insert(key, tracked);
        self.dirty.insert(key);
        self.persist_uids();
    }

    /// Files truncated to nothing: a first new line starts their new generation; one deleted (or renamed
    /// away) and still empty after `rotate_wait` is let go.
    fn check_awaiting(&mut self) {
        if self.awaiting.is_empty() {
            return;
        }
        let keys: Vec<FileKey> = self.awaiting.keys().copied().collect();
        for key in keys {
            let Some(file) = self.awaiting.get_mut(&key) else {
                continue;
            };
            match fingerprint::compute(&file.file) {
                Ok(Some(fp)) => {
                    if let Some(mut file) = self.awaiting.remove(&key) {
                        file.size = file.file.metadata().map(|m| m.len()).unwrap_or(0);
                        self.start_generation(key, file, fp);
                    }
                }
                _ => {
                    let linked = file.file.metadata().is_ok_and(|m| m.nlink() > 0);
                    let gone = *file.gone_since.get_or_insert_with(Instant::now);
                    if linked {
                        file.gone_since = None;
                    } else if gone.elapsed() >= self.config.rotate_wait {
                        log::info!(
                            "{} was deleted while empty after a truncation",
                            file.path.display()
                        );
                        self.awaiting.remove(&key);
                        self.by_path.retain(|_, k| *k != key);
                    }
                }
            }
        }
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
        self.ship(
            &source,
            &ack,
            builder,
            timestamp::Stamp::now(),
            Discovery::Off,
        )
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
                // The size as it is now, not as last read: a file not read since (its uid not yet on
                // disk, say) may have grown before it was deleted, and closing it would lose those bytes.
                f.gone_since.is_some_and(|t| t.elapsed() >= wait)
                    && f.last_data_at.elapsed() >= wait
                    && f.framer.read_offset() >= f.file.metadata().map_or(f.size, |m| m.len())
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

/// What filtering the events of `path` takes, when its entry has filters.
fn file_filters(entry: &EntryState, host: &str, path: &str) -> Option<FileFilters> {
    let chain = entry.filters.clone()?;
    Some(FileFilters::new(chain, host, path, &entry.entry.fields))
}

fn position_of(file: &TrackedFile) -> u64 {
    let framed = file.framer.position();
    match file.multiline.as_ref().and_then(Multiline::pending_start) {
        Some(start) => start.min(framed),
        None => framed,
    }
}

#[cfg(test)]
impl FileServer {
    /// Identities of the files open now (the model tests check which file generations the server holds).
    pub(crate) fn open_identities(&self) -> Vec<FileIdentity> {
        self.files.values().map(|f| f.identity).collect()
    }

    /// (device, inode) of the files truncated to nothing and kept open for their next line.
    pub(crate) fn awaiting_files(&self) -> Vec<(u64, u64)> {
        self.awaiting.keys().copied().collect()
    }

    /// Whether a file has bytes left to read (or a check pending).
    pub(crate) fn has_dirty_files(&self) -> bool {
        !self.dirty.is_empty()
    }
}
