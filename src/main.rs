//! The `logpipe` binary: one process, several roles chosen by subcommand.
//!
//! Each subcommand lives in its own module of the library and the command line in `logpipe::cli`; this file
//! only sets up the process (umask, open-file limit, logging), dispatches, and turns a returned error into a
//! message on stderr and a non-zero exit code.

use logpipe::cli::{self, Command};

fn main() {
    // Everything logpipe writes (checkpoints, the etcd cache, indices, translogs, dead letters) holds log
    // lines or configuration: readable by the service's user only, files 0600 and directories 0700.
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe { libc::umask(0o077) };
    raise_open_file_limit();
    let cli = cli::parse();
    logpipe::logging::init(cli.log_format);
    let result = match cli.command {
        Command::Agent(args) => logpipe::agent::run(args),
        #[cfg(feature = "store")]
        Command::Store(args) => logpipe::store::run(args),
        #[cfg(feature = "store")]
        Command::Standalone(args) => logpipe::standalone::run(args),
        Command::Transfer(args) => logpipe::transfer::run(args),
        Command::Console(args) => logpipe::console::run(args),
        Command::Import(args) => logpipe::import::run(args).map_err(Into::into),
        Command::Completions { shell } => {
            cli::completions(shell, &mut std::io::stdout());
            Ok(())
        }
        Command::ConfigReference => {
            print!("{}", logpipe::config::reference::render::markdown());
            Ok(())
        }
        Command::Man { dir: None } => cli::man_page(&mut std::io::stdout()).map_err(Into::into),
        Command::Man { dir: Some(dir) } => cli::man_pages(&dir)
            .map(|pages| {
                for page in pages {
                    println!("{}", page.display());
                }
            })
            .map_err(Into::into),
    };
    if let Err(err) = result {
        eprintln!("logpipe: error: {err:#}");
        std::process::exit(1);
    }
}

/// Raises the soft limit of open files to the hard one: the agent holds a descriptor per tailed file and the
/// servers one per connection, and systemd's default soft limit (1024) is far below its hard one.
fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct passed; no other memory is touched.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
