//! Transfer: Kafka consumer group → `_bulk` indexer (placeholder until issue 4 lands).

/// Command-line arguments of `logpipe transfer`.
#[derive(clap::Args, Debug)]
pub struct TransferArgs {
    /// Path of the transfer's TOML configuration.
    #[arg(long)]
    pub config: std::path::PathBuf,
}

/// Runs `logpipe transfer`.
pub fn run(_args: TransferArgs) -> anyhow::Result<()> {
    anyhow::bail!("the transfer is not built yet")
}
