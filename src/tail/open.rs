//! Opening a file to tail: open first, then check what was opened.
//!
//! Checking a path and then opening it by name is a race: between the two, whoever can write the directory
//! can swap the file for a symbolic link to a secret. So the file is opened first (without following a
//! final symbolic link unless the entry asks to, and without blocking on a FIFO), and then the open
//! descriptor is checked: it must be a regular file, the path the kernel resolved it to
//! (`/proc/self/fd/N`) must be the one listed when links are not followed, and with an allowlist the
//! resolved path must be inside it. What the checks refuse is closed unread.
//!
//! Architecture invariant: no file of a collect entry is read through a descriptor that has not passed
//! [`open_checked`].

use crate::config::PathAllowlist;
use std::fs::File;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

/// Why a file was not opened, or was closed again unread.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open it: {0}")]
    Io(#[from] std::io::Error),
    #[error("it is a symbolic link (set follow_symlinks = true on the entry to tail links)")]
    FinalSymlink,
    #[error(
        "it resolves to {0} through a symbolic link (set follow_symlinks = true on the entry to tail links)"
    )]
    ThroughSymlink(PathBuf),
    #[error("it is not a regular file")]
    NotRegular,
    #[error(transparent)]
    Outside(crate::config::allow::AllowError),
}

/// How a collect entry treats symbolic links.
#[derive(Debug, Clone, Copy)]
pub struct LinkPolicy<'a> {
    /// Follow links, to files and to directories.
    pub follow: bool,
    /// The entry's literal base directory: links in it or above it are the administrator's and always
    /// followed; below it, the listing saw no link, so any link found at open time was swapped in.
    pub base_dir: &'a Path,
}

/// Opens `path` for reading and checks the descriptor (module doc).
pub fn open_checked(
    path: &Path,
    links: LinkPolicy<'_>,
    allow: Option<&PathAllowlist>,
) -> Result<File, OpenError> {
    let mut flags = libc::O_NONBLOCK;
    if !links.follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) && !links.follow {
                OpenError::FinalSymlink
            } else {
                OpenError::Io(e)
            }
        })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(OpenError::NotRegular);
    }
    let resolved = resolved_path(&file, path, &meta)?;
    if !links.follow {
        let expected = expected_resolution(path, links.base_dir)?;
        if resolved != expected {
            return Err(OpenError::ThroughSymlink(resolved));
        }
    }
    if let Some(allow) = allow {
        allow
            .permits_opened(path, &resolved)
            .map_err(OpenError::Outside)?;
    }
    Ok(file)
}

/// The path the kernel resolved the open descriptor to. Without `/proc`, the canonical form of `path`,
/// if it is still the very file that is open.
fn resolved_path(file: &File, path: &Path, meta: &std::fs::Metadata) -> Result<PathBuf, OpenError> {
    let fd_link = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    if let Ok(resolved) = std::fs::read_link(&fd_link) {
        return Ok(resolved);
    }
    let canonical = std::fs::canonicalize(path)?;
    let now = std::fs::metadata(&canonical)?;
    if now.dev() == meta.dev() && now.ino() == meta.ino() {
        Ok(canonical)
    } else {
        Err(OpenError::Io(std::io::Error::other(
            "the file was replaced while it was opened",
        )))
    }
}

/// Where `path` must resolve to when no link below `base_dir` is followed: the canonical base directory
/// joined with the rest of the path as listed.
fn expected_resolution(path: &Path, base_dir: &Path) -> Result<PathBuf, OpenError> {
    let rest = path.strip_prefix(base_dir).unwrap_or(path);
    let base = std::fs::canonicalize(base_dir)?;
    Ok(if rest == path {
        // A path outside its base directory cannot come from a listing; resolve it as a whole.
        match path.parent() {
            Some(parent) => {
                std::fs::canonicalize(parent)?.join(path.file_name().unwrap_or_default())
            }
            None => path.to_path_buf(),
        }
    } else {
        base.join(rest)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn policy(base: &Path, follow: bool) -> LinkPolicy<'_> {
        LinkPolicy {
            follow,
            base_dir: base,
        }
    }

    #[test]
    fn a_regular_file_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"x\n").expect("write");
        assert!(open_checked(&path, policy(dir.path(), false), None).is_ok());
    }

    #[test]
    fn a_final_link_opens_only_when_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, b"s\n").expect("write");
        let link = dir.path().join("a.log");
        symlink(&secret, &link).expect("symlink");
        assert!(matches!(
            open_checked(&link, policy(dir.path(), false), None),
            Err(OpenError::FinalSymlink)
        ));
        assert!(open_checked(&link, policy(dir.path(), true), None).is_ok());
    }

    #[test]
    fn a_directory_swapped_for_a_link_below_the_base_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("x.log"), b"s\n").expect("write");
        symlink(outside.path(), dir.path().join("app")).expect("symlink");
        let path = dir.path().join("app/x.log");
        assert!(matches!(
            open_checked(&path, policy(dir.path(), false), None),
            Err(OpenError::ThroughSymlink(_))
        ));
        // A link above the base directory is the administrator's choice.
        let link_base = tempfile::tempdir().expect("tempdir");
        let base = link_base.path().join("logs");
        symlink(outside.path(), &base).expect("symlink");
        assert!(open_checked(&base.join("x.log"), policy(&base, false), None).is_ok());
    }

    #[test]
    fn fifos_and_directories_are_not_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("pipe.log");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("cstring");
        // SAFETY: mkfifo reads a NUL-terminated path and creates a FIFO; no memory is shared.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        // Without O_NONBLOCK this open would wait forever for a writer.
        assert!(matches!(
            open_checked(&fifo, policy(dir.path(), false), None),
            Err(OpenError::NotRegular)
        ));
        assert!(matches!(
            open_checked(dir.path(), policy(dir.path(), false), None),
            Err(OpenError::NotRegular) | Err(OpenError::Io(_))
        ));
    }

    #[test]
    fn the_allowlist_judges_what_was_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical");
        let logs = root.join("logs");
        std::fs::create_dir_all(&logs).expect("mkdir");
        std::fs::write(root.join("secret"), b"s\n").expect("write");
        std::fs::write(logs.join("a.log"), b"x\n").expect("write");
        symlink(root.join("secret"), logs.join("b.log")).expect("symlink");
        let allow = PathAllowlist::new(&[format!("{}/**", logs.display())]).expect("allow");
        assert!(open_checked(&logs.join("a.log"), policy(&logs, true), Some(&allow)).is_ok());
        assert!(matches!(
            open_checked(&logs.join("b.log"), policy(&logs, true), Some(&allow)),
            Err(OpenError::Outside(_))
        ));
    }
}
