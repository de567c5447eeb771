//! The command line of the `logpipe` binary, defined once: parsing, `--help`, `--version`, the shell
//! completions and the man pages are all generated from these definitions.

use crate::logging::LogFormat;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

/// `logpipe`: one process, several roles chosen by subcommand.
#[derive(Parser)]
#[command(
    name = "logpipe",
    about = "Tail log files into Kafka, index them, search them."
)]
pub struct Cli {
    /// Log lines as text (default) or as JSON objects with ECS names, for log shippers.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        env = "LOGPIPE_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// The roles, and the commands operators run around them.
#[derive(Subcommand)]
pub enum Command {
    /// Tail log files and ship every line to Kafka.
    #[command(long_about = crate::agent::AGENT_HELP, after_long_help = config_keys("agent"))]
    Agent(crate::agent::AgentArgs),
    #[cfg(feature = "store")]
    /// Serve the embedded log store with its Elasticsearch-compatible API.
    Store(crate::store::StoreArgs),
    #[cfg(feature = "store")]
    /// Agent + embedded store in one process: no Kafka, etcd or Elasticsearch needed.
    #[command(after_long_help = config_keys("standalone"))]
    Standalone(crate::standalone::StandaloneArgs),
    /// Consume Kafka and index into Elasticsearch (or logpipe's store) with `_bulk`.
    #[command(long_about = crate::transfer::TRANSFER_HELP, after_long_help = config_keys("transfer"))]
    Transfer(crate::transfer::TransferArgs),
    /// Web console: search, live tail, collect config in etcd, fleet status, host metrics.
    #[command(after_long_help = config_keys("console"))]
    Console(crate::console::ConsoleArgs),
    /// Convert another agent's configuration (Logstash pipelines) into logpipe's, listing what could not
    /// be carried over in IMPORT.md.
    Import(crate::import::ImportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Write the man pages: logpipe(1) to standard output, or every page into a directory.
    Man {
        /// Directory to write logpipe.1 and logpipe-<command>.1 into.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Print the configuration reference of every config file as Markdown (docs/CONFIG.md).
    #[command(hide = true)]
    ConfigReference,
}

/// The configuration section of `logpipe <command> --help` (`-h` stays short), generated from
/// `config::reference`.
fn config_keys(command: &str) -> String {
    crate::config::reference::file(command)
        .map(crate::config::reference::render::help)
        .unwrap_or_default()
}

/// The command definition with the version filled in: `-V` prints the version and git revision, `--version`
/// also the build features and librdkafka's TLS/SASL/codec support (it asks librdkafka).
pub fn command() -> clap::Command {
    Cli::command()
        .version(crate::build_info::short_version())
        .long_version(crate::build_info::long_version())
}

/// Parses the process's arguments (exiting with clap's message on a bad one, or after --help/--version).
pub fn parse() -> Cli {
    let matches = command().get_matches();
    match <Cli as clap::FromArgMatches>::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

/// Writes a completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    clap_complete::generate(shell, &mut command(), "logpipe", out);
}

/// Writes logpipe(1) to `out`.
pub fn man_page(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    clap_mangen::Man::new(command()).render(out)
}

/// Writes logpipe.1 and one page per subcommand (logpipe-agent.1, ...) into `dir`; returns the files.
pub fn man_pages(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let command = command();
    let mut written = Vec::new();
    let top = dir.join("logpipe.1");
    man_page(&mut std::fs::File::create(&top)?)?;
    written.push(top);
    for sub in command.get_subcommands() {
        let name = format!("logpipe-{}", sub.get_name());
        let page = sub.clone().name(name.clone());
        let path = dir.join(format!("{name}.1"));
        clap_mangen::Man::new(page).render(&mut std::fs::File::create(&path)?)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn completions_know_every_subcommand_and_flag() {
        let mut bash = Vec::new();
        completions(clap_complete::Shell::Bash, &mut bash);
        let bash = String::from_utf8(bash).expect("utf-8");
        for word in [
            "agent",
            "transfer",
            "console",
            "completions",
            "--log-format",
            "--config",
        ] {
            assert!(bash.contains(word), "bash completion lacks {word}");
        }
        let mut fish = Vec::new();
        completions(clap_complete::Shell::Fish, &mut fish);
        assert!(String::from_utf8_lossy(&fish).contains("metrics-listen"));
    }

    #[test]
    fn man_pages_are_written_for_every_subcommand() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pages = man_pages(dir.path()).expect("write");
        let names: Vec<String> = pages
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        for page in [
            "logpipe.1",
            "logpipe-agent.1",
            "logpipe-transfer.1",
            "logpipe-console.1",
        ] {
            assert!(names.contains(&page.to_string()), "{names:?}");
        }
        let agent = std::fs::read_to_string(dir.path().join("logpipe-agent.1")).expect("read");
        assert!(agent.contains(".TH logpipe-agent"), "{agent}");
        assert!(agent.contains("metrics\\-listen"), "{agent}");
    }
}
