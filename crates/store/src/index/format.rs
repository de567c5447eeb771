//! The on-disk format of an index: every index directory carries a tag file ([`FORMAT_FILE`]) naming the
//! format it was written in. An index whose tag is missing or names another format is not opened (logged
//! with the reason) rather than misread; format 2 is upgraded in place (the same files plus a translog).

use std::path::Path;

use logpipe_fs::write_atomically;

use crate::index::data_streams::new_uuid;
use crate::index::error::FormatError;

/// File in each index directory naming the on-disk format the index was written in.
pub const FORMAT_FILE: &str = "logpipe-store-format";

/// The on-disk format this build writes. Format 1 (no tag file) had FST term dictionaries; format 2 has
/// tantivy's SSTable term dictionaries, which are cheaper to build and merge for the unique per-document
/// terms (`_id`) that log indices carry; format 3 adds the translog (`translog/`), which a build reading
/// format 2 would ignore, losing what it holds; format 4 indices are created with `_source` as a stored
/// text field instead of bytes, which a build reading format 3 would not find.
pub const FORMAT_VERSION: u32 = 4;

/// Formats this build opens. An older index is tagged 4 when opened, before its translog is created; it
/// keeps its bytes `_source`, which this build reads and writes as well.
const READABLE_FORMATS: [u32; 3] = [2, 3, 4];

/// Contents of [`FORMAT_FILE`].
#[derive(serde::Serialize, serde::Deserialize)]
struct FormatTag {
    format_version: u32,
    /// Informational; only `format_version` decides.
    #[serde(default)]
    term_dictionary: String,
    /// The index's identity (ES's `index.uuid`, `index.creation_date`); absent in tags written before it,
    /// which get one when opened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<Identity>,
}

/// What identifies an index as ES shows it: `index.uuid` (22 characters of URL-safe base64, as ES's) and
/// `index.creation_date` (epoch millis). Kept in the format tag, so it lives and dies with the directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub uuid: String,
    pub creation_date: i64,
}

impl Identity {
    /// A new identity for the index in `dir`, created now.
    fn new(dir: &Path) -> Identity {
        let now = chrono::Utc::now();
        Identity {
            uuid: new_uuid(&dir.display().to_string(), now),
            creation_date: now.timestamp_millis(),
        }
    }
}

/// The tag this build writes.
#[cfg(test)]
pub fn format_tag() -> Vec<u8> {
    tag_bytes(None)
}

fn tag_bytes(identity: Option<Identity>) -> Vec<u8> {
    let tag = FormatTag {
        format_version: FORMAT_VERSION,
        term_dictionary: "sstable".to_string(),
        identity,
    };
    serde_json::to_vec(&tag).unwrap_or_default()
}

fn write_tag(dir: &Path, identity: &Identity) -> Result<(), FormatError> {
    let path = dir.join(FORMAT_FILE);
    write_atomically(&path, &tag_bytes(Some(identity.clone()))).map_err(|source| FormatError::Io {
        action: "write",
        path,
        source,
    })
}

/// Tags a new index directory (before anything else is written in it, so a crash leaves a directory that
/// is not an index yet), giving the index its identity.
pub fn write_format(dir: &Path) -> Result<Identity, FormatError> {
    let identity = Identity::new(dir);
    write_tag(dir, &identity)?;
    Ok(identity)
}

/// Checks the format tag of the index in `dir`, upgrading format 2 to 3 (the same files plus a translog),
/// and returns the index's identity (given one now if its tag has none).
pub fn check_format(dir: &Path) -> Result<Identity, FormatError> {
    let (found, identity) = read_tag(dir)?;
    if !READABLE_FORMATS.contains(&found) {
        return Err(FormatError::Unsupported {
            found,
            readable: &READABLE_FORMATS,
        });
    }
    match identity {
        Some(identity) if found == FORMAT_VERSION => Ok(identity),
        identity => {
            let identity = identity.unwrap_or_else(|| Identity::new(dir));
            write_tag(dir, &identity)?;
            Ok(identity)
        }
    }
}

/// The format version named by the tag in `dir` (1 without a tag).
#[cfg(test)]
pub fn read_format(dir: &Path) -> Result<u32, FormatError> {
    read_tag(dir).map(|(version, _)| version)
}

/// The format version and identity named by the tag in `dir` (1 and none without a tag).
fn read_tag(dir: &Path) -> Result<(u32, Option<Identity>), FormatError> {
    let path = dir.join(FORMAT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<FormatTag>(&bytes)
            .map(|tag| (tag.format_version, tag.identity))
            .map_err(|source| FormatError::NotATag { path, source }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok((1, None)),
        Err(source) => Err(FormatError::Io {
            action: "read",
            path,
            source,
        }),
    }
}
