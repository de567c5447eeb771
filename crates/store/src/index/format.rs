//! The on-disk format of an index: every index directory carries a tag file ([`FORMAT_FILE`]) naming the
//! format it was written in. An index whose tag is missing or names another format is not opened (logged
//! with the reason) rather than misread; format 2 is upgraded in place (the same files plus a translog).

use std::path::Path;

use logpipe_fs::write_atomically;

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
}

/// The tag this build writes.
pub fn format_tag() -> Vec<u8> {
    let tag = FormatTag {
        format_version: FORMAT_VERSION,
        term_dictionary: "sstable".to_string(),
    };
    serde_json::to_vec(&tag).unwrap_or_default()
}

/// Tags a new index directory (before anything else is written in it, so a crash leaves a directory that
/// is not an index yet).
pub fn write_format(dir: &Path) -> Result<(), FormatError> {
    let path = dir.join(FORMAT_FILE);
    write_atomically(&path, &format_tag()).map_err(|source| FormatError::Io {
        action: "write",
        path,
        source,
    })
}

/// Checks the format tag of the index in `dir`, upgrading format 2 to 3 (the same files plus a translog).
pub fn check_format(dir: &Path) -> Result<(), FormatError> {
    let found = read_format(dir)?;
    if !READABLE_FORMATS.contains(&found) {
        return Err(FormatError::Unsupported {
            found,
            readable: &READABLE_FORMATS,
        });
    }
    if found != FORMAT_VERSION {
        write_format(dir)?;
    }
    Ok(())
}

/// The format version named by the tag in `dir` (1 without a tag).
pub fn read_format(dir: &Path) -> Result<u32, FormatError> {
    let path = dir.join(FORMAT_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice::<FormatTag>(&bytes)
            .map(|tag| tag.format_version)
            .map_err(|source| FormatError::NotATag { path, source }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(1),
        Err(source) => Err(FormatError::Io {
            action: "read",
            path,
            source,
        }),
    }
}
