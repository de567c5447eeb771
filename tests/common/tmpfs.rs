//! A small tmpfs to run out of space on: `mount -t tmpfs` on a temp dir (the tests run as root, as CI does),
//! filled with a filler file until `ENOSPC`, freed by removing it, unmounted on drop.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const ENOSPC: i32 = 28;

/// A mounted tmpfs; unmounted (lazily) on drop.
pub struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`8m`, ...) on a new temp dir.
    pub fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
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

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn filler(&self) -> PathBuf {
        self.path().join(".filler")
    }

    /// Writes the filler file until the file system is full; then gives back `spare` bytes of it.
    pub fn fill(&self, spare: u64) {
        let path = self.filler();
        let mut file = File::create(&path).expect("create filler");
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(ENOSPC) => break,
                Err(e) => panic!("filling {}: {e}", self.path().display()),
            }
        }
        let len = file.metadata().expect("stat filler").len();
        file.set_len(len.saturating_sub(spare))
            .expect("shrink filler");
    }

    /// Removes the filler: the space is back.
    pub fn free(&self) {
        fs::remove_file(self.filler()).expect("remove filler");
    }

    /// Names in `dir` other than the filler.
    pub fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n != ".filler")
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}
