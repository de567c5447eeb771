//! The translog of one index: every `_bulk` operation acknowledged since the last tantivy commit, so a
//! `_bulk` can be answered once its operations are durable here instead of once tantivy has committed
//! them. Under load, tantivy commits (refreshes) then happen about once a second ([`crate::index::refresher`]),
//! which makes segments of a second's worth of documents instead of one per request, and far fewer merges.
//! This is Elasticsearch's contract: a 200 means durable; searchable after the next refresh (≤ 1 s), or at
//! once with `?refresh=true|wait_for`.
//!
//! On disk: `INDEX_DIR/translog/GGGGGGGGGGGGGGGGGGGG.tlog`, one file per generation `G` (zero-padded
//! decimal). A file starts with a header: the 16 bytes `logpipe-translog`, the format version (u32 LE,
//! [`TRANSLOG_VERSION`]) and the generation (u64 LE). Then records: body length (u32 LE), checksum (the low
//! 32 bits of the body's xxh3-64, u32 LE), body. A body is an operation byte (1 index, 2 delete), the `_id`
//! length (u16 LE), the `_id`, and for index the document source (the rest).
//!
//! Protocol (the writer lock is the index's tantivy writer lock):
//! 1. a `_bulk` applies its operations to the tantivy writer and, under the same lock, appends them to the
//!    current generation, so the log is in writer order;
//! 2. before answering, it syncs the log through its last append ([`Translog::sync_through`]; one
//!    `fdatasync` covers every append before it, so concurrent requests share it);
//! 3. a refresh, under the writer lock, seals the current generation `N` (flush + fsync), starts `N + 1`,
//!    commits tantivy with the payload `{"translog_generation": N + 1}` and then deletes generations ≤ N
//!    (a roll that fails, on a full disk, leaves no file for `N + 1` behind, so the next one can create it);
//! 4. opening an index replays, in order, every generation ≥ its commit payload's (all, without a payload)
//!    and refreshes. Operations are keyed by `_id` (index = delete `_id` + add; delete = delete `_id`), so
//!    replaying one already in the commit changes nothing. A record cut short or failing its checksum ends
//!    its file: the process died while writing it, so it was never acknowledged.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::index::error::TranslogError;

/// Version of the translog file format written and read by this build.
pub const TRANSLOG_VERSION: u32 = 1;

const MAGIC: &[u8; 16] = b"logpipe-translog";
const HEADER_LEN: usize = 16 + 4 + 8;
const OP_INDEX: u8 = 1;
const OP_DELETE: u8 = 2;

/// One logged operation, borrowed from a generation's bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum LoggedOp<'a> {
    /// Add (or replace) the document `id` with this source.
    Index { id: &'a str, source: &'a [u8] },
    /// Delete the document `id`.
    Delete { id: &'a str },
}

/// Records of one write, built while the writer lock is held and appended at its end.
#[derive(Default)]
pub struct LogBatch {
    bytes: Vec<u8>,
    records: u64,
}

impl LogBatch {
    /// Logs "index `id` with `source`".
    pub fn index(&mut self, id: &str, source: &[u8]) {
        self.record(OP_INDEX, id, source);
    }

    /// Logs "delete `id`".
    pub fn delete(&mut self, id: &str) {
        self.record(OP_DELETE, id, &[]);
    }

    fn record(&mut self, op: u8, id: &str, source: &[u8]) {
        // `_id`s are at most 512 bytes (checked by `_bulk`), so the length fits a u16.
        let id = &id.as_bytes()[..id.len().min(usize::from(u16::MAX))];
        let body_len = 1 + 2 + id.len() + source.len();
        let start = self.bytes.len();
        self.bytes
            .extend_from_slice(&(body_len as u32).to_le_bytes());
        self.bytes.extend_from_slice(&[0; 4]);
        self.bytes.push(op);
        self.bytes
            .extend_from_slice(&(id.len() as u16).to_le_bytes());
        self.bytes.extend_from_slice(id);
        self.bytes.extend_from_slice(source);
        let checksum = xxhash_rust::xxh3::xxh3_64(&self.bytes[start + 8..]) as u32;
        self.bytes[start + 4..start + 8].copy_from_slice(&checksum.to_le_bytes());
        self.records += 1;
    }

    /// Records in the batch (not yet appended).
    pub fn records(&self) -> u64 {
        self.records
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// The translog of one index (see the module documentation for the protocol).
pub struct Translog {
    dir: PathBuf,
    current: Mutex<Current>,
    /// Serialises `fdatasync`s; a waiter usually finds its append already synced by the one before.
    syncing: Mutex<()>,
}

struct Current {
    generation: u64,
    file: Arc<File>,
    /// Length of `file` after its last complete append.
    len: u64,
    /// Set when a failed append could not be cut back off the file: appending after a torn record would
    /// hide the later records from replay, so appends fail until the next roll starts a fresh file.
    torn: bool,
    /// Highest write sequence number appended to `file` (or to an earlier generation).
    appended: u64,
    /// Highest write sequence number known to be on disk.
    synced: u64,
}

/// What [`Translog::open`] found: generations to replay, oldest first.
pub struct Recovery {
    /// Files of the generations that are not in the last commit.
    pub generations: Vec<PathBuf>,
}

fn file_name(generation: u64) -> String {
    format!("{generation:020}.tlog")
}

fn generation_of(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    name.strip_suffix(".tlog")?.parse().ok()
}

impl Translog {
    /// Opens the translog under `index_dir`. Generations below `first_uncommitted` are in the tantivy
    /// commit and are deleted, as are those holding no record; the others are returned for replay. Appends go to a new generation after
    /// every existing one (a file that may end in a torn record is never appended to).
    pub fn open(
        index_dir: &Path,
        first_uncommitted: u64,
    ) -> Result<(Translog, Recovery), TranslogError> {
        let dir = index_dir.join("translog");
        fs::create_dir_all(&dir)?;
        let mut found: Vec<(u64, PathBuf)> = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if let Some(g) = generation_of(&path) {
                found.push((g, path));
            }
        }
        found.sort();
        let mut generations = Vec::new();
        for (g, path) in &found {
            // A generation no longer than a header holds no record (a clean shutdown leaves one such; a
            // crash while creating a file may leave it shorter): nothing to replay, so it goes too, and an
            // index closed cleanly opens without replaying (which would open its writer).
            let recordless = fs::metadata(path)?.len() <= HEADER_LEN as u64;
            if *g < first_uncommitted || recordless {
                fs::remove_file(path)?;
            } else {
                generations.push(path.clone());
            }
        }
        let next = found
            .last()
            .map_or(first_uncommitted, |(g, _)| g + 1)
            .max(first_uncommitted)
            .max(1);
        let file = create_generation(&dir, next)?;
        let translog = Translog {
            dir,
            current: Mutex::new(Current {
                generation: next,
                file: Arc::new(file),
                len: HEADER_LEN as u64,
                torn: false,
                appended: 0,
                synced: 0,
            }),
            syncing: Mutex::new(()),
        };
        Ok((translog, Recovery { generations }))
    }

    /// Appends `batch` as the records of write `seq`; returns how many records that was. Call with the
    /// writer lock held. On failure the records stay in `batch` (their operations are in the writer, so
    /// they go out with the next append) and nothing partial is left in the file.
    pub fn append(&self, batch: &mut LogBatch, seq: u64) -> std::io::Result<u64> {
        let mut cur = self.current.lock();
        if cur.torn {
            return Err(std::io::Error::other(
                "an earlier append failed and could not be cut off; waiting for the next refresh",
            ));
        }
        if !batch.is_empty() {
            if let Err(err) = (&*cur.file).write_all(&batch.bytes) {
                if cur.file.set_len(cur.len).is_err() {
                    cur.torn = true;
                }
                return Err(err);
            }
            cur.len += batch.bytes.len() as u64;
            batch.bytes.clear();
        }
        cur.appended = cur.appended.max(seq);
        Ok(std::mem::take(&mut batch.records))
    }

    /// Makes every append up to write `seq` durable.
    pub fn sync_through(&self, seq: u64) -> std::io::Result<()> {
        let _turn = self.syncing.lock();
        let (file, target) = {
            let cur = self.current.lock();
            if cur.synced >= seq {
                return Ok(());
            }
            (cur.file.clone(), cur.appended)
        };
        file.sync_data()?;
        let mut cur = self.current.lock();
        cur.synced = cur.synced.max(target);
        Ok(())
    }

    /// Seals the current generation (fsync) and starts the next; returns the new generation, the one a
    /// commit made now must name in its payload. Call with the writer lock held, right before committing.
    pub fn roll(&self) -> std::io::Result<u64> {
        let mut cur = self.current.lock();
        cur.file.sync_data()?;
        let next = cur.generation + 1;
        let file = create_generation(&self.dir, next)?;
        cur.generation = next;
        cur.file = Arc::new(file);
        cur.len = HEADER_LEN as u64;
        cur.torn = false;
        cur.synced = cur.appended;
        Ok(next)
    }

    /// Deletes the generations below `first_uncommitted` (they are in a durable commit).
    pub fn trim(&self, first_uncommitted: u64) -> std::io::Result<()> {
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if generation_of(&path).is_some_and(|g| g < first_uncommitted) {
                fs::remove_file(&path)?;
            }
        }
        Ok(())
    }

    /// Paths of the generations from `first` on, oldest first (for replay after a failed commit).
    pub fn generations_from(&self, first: u64) -> std::io::Result<Vec<PathBuf>> {
        let mut found: Vec<(u64, PathBuf)> = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if let Some(g) = generation_of(&path).filter(|g| *g >= first) {
                found.push((g, path));
            }
        }
        found.sort();
        Ok(found.into_iter().map(|(_, p)| p).collect())
    }
}

/// Creates generation `generation`'s file with its header, durably. A failure (a full disk) leaves no file
/// behind, so the same generation can be tried again; a record-less file left by an earlier failure or
/// crash is replaced.
fn create_generation(dir: &Path, generation: u64) -> std::io::Result<File> {
    let path = dir.join(file_name(generation));
    let open = || {
        fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
    };
    let mut file = match open() {
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            if fs::metadata(&path)?.len() > HEADER_LEN as u64 {
                return Err(err);
            }
            fs::remove_file(&path)?;
            open()?
        }
        opened => opened?,
    };
    let written = (|| {
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&TRANSLOG_VERSION.to_le_bytes());
        header.extend_from_slice(&generation.to_le_bytes());
        file.write_all(&header)?;
        file.sync_all()?;
        File::open(dir)?.sync_all()
    })();
    if let Err(err) = written {
        // Best effort: what is left is record-less, which `open` and the next try both discard.
        let _ = fs::remove_file(&path);
        return Err(err);
    }
    Ok(file)
}

/// The records of one generation file, and why reading stopped early, if it did.
pub struct GenerationContents {
    bytes: Vec<u8>,
    /// Byte offset where the records end.
    end: usize,
    /// Set when the file ends in a torn or corrupt record (bytes past `end` were ignored).
    pub torn_tail: Option<String>,
}

impl GenerationContents {
    /// Reads `path`; fails on an unreadable file or a header of another format.
    pub fn read(path: &Path) -> Result<GenerationContents, TranslogError> {
        let bytes = fs::read(path)?;
        if bytes.len() < HEADER_LEN || &bytes[..16] != MAGIC {
            // A crash between creating the file and writing its header leaves it empty: nothing was
            // ever appended to it.
            if bytes.is_empty() {
                return Ok(GenerationContents {
                    bytes,
                    end: 0,
                    torn_tail: None,
                });
            }
            return Err(TranslogError::NotATranslog {
                path: path.to_path_buf(),
            });
        }
        let version = u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
        if version != TRANSLOG_VERSION {
            return Err(TranslogError::Version {
                path: path.to_path_buf(),
                found: version,
                readable: TRANSLOG_VERSION,
            });
        }
        let mut pos = HEADER_LEN;
        let mut torn_tail = None;
        while pos < bytes.len() {
            match record_at(&bytes, pos) {
                Ok((_, next)) => pos = next,
                Err(why) => {
                    torn_tail = Some(format!(
                        "{}: {why} at byte {pos}; the {} bytes from there were never acknowledged and are ignored",
                        path.display(),
                        bytes.len() - pos
                    ));
                    break;
                }
            }
        }
        Ok(GenerationContents {
            bytes,
            end: pos,
            torn_tail,
        })
    }

    /// The operations, in log order.
    pub fn ops(&self) -> impl Iterator<Item = LoggedOp<'_>> {
        let mut pos = HEADER_LEN.min(self.end);
        std::iter::from_fn(move || {
            if pos >= self.end {
                return None;
            }
            let (op, next) = record_at(&self.bytes[..self.end], pos).ok()?;
            pos = next;
            Some(op)
        })
    }
}

/// Decodes the record at `pos`: the operation and the offset after it.
fn record_at(bytes: &[u8], pos: usize) -> Result<(LoggedOp<'_>, usize), &'static str> {
    let head = bytes.get(pos..pos + 8).ok_or("truncated record header")?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let checksum = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let body = bytes
        .get(pos + 8..pos + 8 + len)
        .ok_or("truncated record")?;
    if xxhash_rust::xxh3::xxh3_64(body) as u32 != checksum {
        return Err("checksum mismatch");
    }
    let (&op, rest) = body.split_first().ok_or("empty record")?;
    let id_len = rest
        .get(..2)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .ok_or("record too short")?;
    let id = rest.get(2..2 + id_len).ok_or("record too short")?;
    let id = std::str::from_utf8(id).map_err(|_| "_id is not UTF-8")?;
    let source = &rest[2 + id_len..];
    let op = match op {
        OP_INDEX => LoggedOp::Index { id, source },
        OP_DELETE => LoggedOp::Delete { id },
        _ => return Err("unknown operation"),
    };
    Ok((op, pos + 8 + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops_of(path: &Path) -> Vec<String> {
        let contents = GenerationContents::read(path).expect("read");
        contents
            .ops()
            .map(|op| match op {
                LoggedOp::Index { id, source } => {
                    format!("index {id} {}", String::from_utf8_lossy(source))
                }
                LoggedOp::Delete { id } => format!("delete {id}"),
            })
            .collect()
    }

    #[test]
    fn appended_operations_read_back_in_order_across_generations() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (log, recovery) = Translog::open(dir.path(), 0)?;
        assert!(recovery.generations.is_empty());
        let mut batch = LogBatch::default();
        batch.index("a", br#"{"message":"one"}"#);
        batch.delete("b");
        log.append(&mut batch, 1)?;
        log.sync_through(1)?;
        let next = log.roll()?;
        batch.index("c", b"{}");
        log.append(&mut batch, 2)?;
        drop(log);

        let (log, recovery) = Translog::open(dir.path(), 0)?;
        assert_eq!(recovery.generations.len(), 2);
        assert_eq!(
            ops_of(&recovery.generations[0]),
            [r#"index a {"message":"one"}"#, "delete b"]
        );
        assert_eq!(ops_of(&recovery.generations[1]), ["index c {}"]);
        assert!(
            log.current.lock().generation > next,
            "appends go to a fresh generation"
        );
        drop(log);

        // Generations below the committed one are dropped, and so are those without records: the empty
        // one the last open started, and one cut short inside its header (a crash while creating it).
        let short = dir.path().join("translog").join(file_name(next + 100));
        fs::write(&short, &MAGIC[..10])?;
        let (log, recovery) = Translog::open(dir.path(), next)?;
        assert_eq!(recovery.generations.len(), 1);
        assert_eq!(ops_of(&recovery.generations[0]), ["index c {}"]);
        assert!(!short.exists());
        // A clean close: a commit through everything names the new, empty generation. The next open has
        // nothing to replay.
        let committed = log.roll()?;
        drop(log);
        let (_log, recovery) = Translog::open(dir.path(), committed)?;
        assert!(recovery.generations.is_empty());
        Ok(())
    }

    #[test]
    fn a_torn_or_corrupt_tail_ends_the_file_without_losing_what_precedes_it() -> anyhow::Result<()>
    {
        let dir = tempfile::tempdir()?;
        let (log, _) = Translog::open(dir.path(), 0)?;
        let mut batch = LogBatch::default();
        batch.index("a", b"{}");
        batch.index("b", b"{}");
        log.append(&mut batch, 1)?;
        let path = log.generations_from(0)?.remove(0);
        drop(log);
        let full = fs::read(&path)?;

        // Cut in the middle of the second record.
        fs::write(&path, &full[..full.len() - 3])?;
        let contents = GenerationContents::read(&path)?;
        assert_eq!(contents.ops().count(), 1);
        assert!(contents
            .torn_tail
            .as_deref()
            .is_some_and(|t| t.contains("truncated record")));

        // A flipped byte in the second record's source.
        let mut bad = full.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        fs::write(&path, &bad)?;
        let contents = GenerationContents::read(&path)?;
        assert_eq!(contents.ops().count(), 1);
        assert!(contents
            .torn_tail
            .as_deref()
            .is_some_and(|t| t.contains("checksum")));

        // Another format is refused, not misread.
        let mut other = full;
        other[16] = 9;
        fs::write(&path, &other)?;
        let err = GenerationContents::read(&path).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("translog format 9")));
        Ok(())
    }

    #[test]
    fn a_roll_after_a_failed_one_replaces_the_file_it_left() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (log, _) = Translog::open(dir.path(), 0)?;
        let mut batch = LogBatch::default();
        batch.index("a", b"{}");
        log.append(&mut batch, 1)?;
        let generation = log.current.lock().generation;
        // A roll that failed on a full disk after creating the next file, in its header (issue 25: every
        // later refresh then failed with "File exists" until a restart).
        let leftover = dir.path().join("translog").join(file_name(generation + 1));
        fs::write(&leftover, &MAGIC[..7])?;
        assert_eq!(log.roll()?, generation + 1);
        batch.index("b", b"{}");
        log.append(&mut batch, 2)?;
        log.sync_through(2)?;
        assert_eq!(ops_of(&leftover), ["index b {}"]);
        // A generation holding records is never overwritten.
        let next = dir.path().join("translog").join(file_name(generation + 2));
        fs::copy(&leftover, &next)?;
        assert_eq!(
            log.roll().err().map(|e| e.kind()),
            Some(std::io::ErrorKind::AlreadyExists)
        );
        assert_eq!(ops_of(&next), ["index b {}"]);
        Ok(())
    }

    #[test]
    fn sync_covers_every_earlier_append() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (log, _) = Translog::open(dir.path(), 0)?;
        let mut batch = LogBatch::default();
        for seq in 1..=3 {
            batch.index(&format!("d{seq}"), b"{}");
            log.append(&mut batch, seq)?;
        }
        log.sync_through(2)?;
        assert_eq!(log.current.lock().synced, 3);
        log.sync_through(3)?;
        Ok(())
    }
}
