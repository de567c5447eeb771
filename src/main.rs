//! The `logpipe` binary: one process, several roles chosen by subcommand.
//!
//! Each subcommand lives in its own module of the library; this file only parses the command line, sets up
//! logging and turns a returned error into a message on stderr and a non-zero exit code.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "logpipe",
    version,
    about = "Tail log files into Kafka, index them, search them."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tail log files and ship every line to Kafka.
    #[command(long_about = logpipe::agent::AGENT_HELP)]
    Agent(logpipe::agent::AgentArgs),
    /// Serve the embedded log store with its Elasticsearch-compatible API.
    Store(logpipe::store::StoreArgs),
    /// Agent + embedded store in one process: no Kafka, etcd or Elasticsearch needed.
    Standalone(logpipe::standalone::StandaloneArgs),
    /// Consume Kafka and index into Elasticsearch (or logpipe's store) with `_bulk`.
    Transfer(logpipe::transfer::TransferArgs),
    /// Web console: search, live tail, collect config in etcd, fleet status, host metrics.
    Console(logpipe::console::ConsoleArgs),
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Agent(args) => logpipe::agent::run(args),
        Command::Store(args) => logpipe::store::run(args),
        Command::Standalone(args) => logpipe::standalone::run(args),
        Command::Transfer(args) => logpipe::transfer::run(args),
        Command::Console(args) => logpipe::console::run(args),
    };
    if let Err(err) = result {
        eprintln!("logpipe: error: {err:#}");
        std::process::exit(1);
    }
}
