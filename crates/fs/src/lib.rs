//! Small state files logpipe keeps on disk (checkpoints, the etcd cache, the store's format tags), replaced
//! atomically and durably: a reader after a crash finds either the old content or the new, never a torn mix.
//!
//! Architecture invariant: this crate knows nothing of what the files hold.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// Replaces `path` with `body`: writes a temp file beside it, fsyncs it, renames it over `path` and fsyncs
/// the directory, so the rename itself survives a power loss.
///
/// On error (a full disk: `ENOSPC` from the write or the fsync) `path` keeps its previous content and the
/// temp file is removed, so a caller can simply try again later; nothing is left behind.
pub fn write_atomically(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    let tmp = path.with_file_name(tmp_name);
    let written = File::create(&tmp).and_then(|mut file| {
        file.write_all(body)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| fs::rename(&tmp, path)) {
        // Best effort: the temp file may not exist (create failed) or the directory may be gone.
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        write_atomically(&path, b"one").expect("first write");
        write_atomically(&path, b"two").expect("second write");
        assert_eq!(fs::read(&path).expect("read"), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    /// A tmpfs of `size` mounted on a temp dir (the tests run as root, as CI does), unmounted on drop.
    struct Tmpfs {
        dir: tempfile::TempDir,
    }

    impl Tmpfs {
        fn mount(size: &str) -> Tmpfs {
            let dir = tempfile::tempdir().expect("tempdir");
            let out = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(dir.path())
                .output()
                .expect("run mount");
            assert!(
                out.status.success(),
                "mount -t tmpfs failed (the disk-full tests need root, as CI has): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Tmpfs { dir }
        }

        /// Writes `name` until the file system is full.
        fn fill(&self, name: &str) {
            let mut file = File::create(self.dir.path().join(name)).expect("create filler");
            let chunk = vec![0u8; 64 * 1024];
            loop {
                match file.write(&chunk) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.raw_os_error() == Some(libc_enospc()) => break,
                    Err(e) => panic!("filling the tmpfs: {e}"),
                }
            }
        }
    }

    fn libc_enospc() -> i32 {
        28 // ENOSPC on Linux
    }

    impl Drop for Tmpfs {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }

    #[test]
    fn a_full_disk_leaves_the_old_file_and_no_temp_file_and_the_next_write_works() {
        let disk = Tmpfs::mount("1m");
        let path = disk.dir.path().join("state.json");
        write_atomically(&path, b"old").expect("first write");
        disk.fill("filler");
        let body = vec![b'n'; 200_000];
        let err = write_atomically(&path, &body).expect_err("no space left");
        assert_eq!(err.raw_os_error(), Some(libc_enospc()), "{err}");
        assert_eq!(
            fs::read(&path).expect("read"),
            b"old",
            "the old file is intact"
        );
        let mut names: Vec<_> = fs::read_dir(disk.dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                std::ffi::OsString::from("filler"),
                std::ffi::OsString::from("state.json")
            ],
            "no temp file left behind"
        );
        fs::remove_file(disk.dir.path().join("filler")).expect("free the disk");
        write_atomically(&path, &body).expect("works again once there is space");
        assert_eq!(fs::read(&path).expect("read"), body);
    }
}
