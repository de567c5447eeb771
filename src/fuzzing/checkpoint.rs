//! The checkpoint loader on arbitrary bytes: `Checkpointer::open` refuses what is not a version-1
//! checkpoint file with an error naming the file, never panics, and what it accepts it can write back and
//! read again.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::event::id::FileUid;
use crate::ring::FileAck;
use crate::tail::checkpoint::{Checkpointer, FileIdentity, FILE_NAME, FORMAT_VERSION};
use crate::tail::fingerprint::Fingerprint;

/// The version field of a checkpoint file, read as leniently as the loader reads it.
#[derive(serde::Deserialize)]
struct Version {
    version: u32,
}

/// The data dir of this process's inputs: on tmpfs when there is one (the loader's round trip fsyncs).
fn data_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        base.join(format!("logpipe-fuzz-checkpoint-{}", std::process::id()))
    })
}

/// Loads `input` as the checkpoint file. Refused: anything that is not JSON of the version-1 shape, with
/// an error naming the file. Accepted: the stored checkpoints are kept, and after a file is tracked and
/// the set written, it loads again and the file resumes where it was.
pub fn checkpoint(input: &[u8]) {
    let dir = data_dir();
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let path = dir.join(FILE_NAME);
    if std::fs::write(&path, input).is_err() {
        return;
    }
    let checkpointer = match Checkpointer::open(dir) {
        Ok(checkpointer) => checkpointer,
        Err(e) => {
            let message = format!("{e:#}");
            assert!(
                message.contains(&path.display().to_string()),
                "the error names the file: {message}"
            );
            return;
        }
    };
    // Accepted means a version-1 file. (Not necessarily valid JSON throughout: serde_json skips the value
    // of a field the format does not have without checking its UTF-8, and such a file loads.)
    let version = serde_json::from_slice::<Version>(input).map(|v| v.version);
    assert_eq!(version.ok(), Some(FORMAT_VERSION), "accepted {input:?}");

    // What the tailer does with a file it opens: claim its identity (a stored one is taken), then track it.
    let identity = FileIdentity {
        dev: 1,
        ino: 2,
        fingerprint: Fingerprint { hash: 3, len: 4 },
    };
    let _ = checkpointer.claim(&identity);
    let uid = FileUid::new("fuzz", 1, 2, 3, 0x1234);
    checkpointer.track(
        identity,
        uid,
        "/var/log/fuzz.log",
        FileAck::new(4096),
        false,
    );
    if checkpointer.write().is_err() {
        return; // the disk, not the input
    }
    drop(checkpointer);
    let reopened = match Checkpointer::open(dir) {
        Ok(reopened) => reopened,
        Err(e) => panic!("a checkpoint file written from {input:?} does not load: {e:#}"),
    };
    assert_eq!(reopened.claim(&identity), Some((uid, 4096)));
}
