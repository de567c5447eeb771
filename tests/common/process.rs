//! The `logpipe` binary as a child process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `logpipe` subcommand; killed on drop. Its stderr goes to `log_path`.
pub struct Logpipe {
    child: Option<Child>,
    pub log_path: PathBuf,
}

impl Logpipe {
    /// Starts `logpipe ARGS...`, logging to `log_path`.
    pub fn start(args: &[&str], log_path: &Path) -> Logpipe {
        Logpipe::start_with_env(args, log_path, &[])
    }

    /// Starts `logpipe ARGS...` with extra environment variables, logging to `log_path`.
    pub fn start_with_env(args: &[&str], log_path: &Path, env: &[(&str, &str)]) -> Logpipe {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .expect("open log file");
        let child = Command::new(env!("CARGO_BIN_EXE_logpipe"))
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn logpipe");
        Logpipe {
            child: Some(child),
            log_path: log_path.to_path_buf(),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("running")
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit status.
    pub fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.pid() as libc::pid_t, libc::SIGTERM);
        }
        self.terminate_wait(timeout)
    }

    /// Waits up to `timeout` for the exit status of a process already told to stop.
    pub fn terminate_wait(&mut self, timeout: Duration) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "logpipe did not exit within {timeout:?} of SIGTERM; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGHUP (reload the config file).
    pub fn reload(&self) {
        // SAFETY: kill(2) on our own child.
        let rc = unsafe { libc::kill(self.pid() as libc::pid_t, libc::SIGHUP) };
        assert_eq!(rc, 0, "kill -HUP failed");
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }
}

impl Drop for Logpipe {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Runs `logpipe ARGS...` to completion and returns (status, stderr).
pub fn run_to_end(args: &[&str]) -> (ExitStatus, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_logpipe"))
        .args(args)
        .output()
        .expect("run logpipe");
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `logpipe ARGS...` to completion and returns (status, stdout, stderr).
pub fn run_output(args: &[&str]) -> (ExitStatus, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_logpipe"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run logpipe");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
