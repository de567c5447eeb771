//! `logpipe standalone`: agent tailers + indexer + embedded store in one process (placeholder).

/// Command-line arguments of `logpipe standalone`.
#[derive(clap::Args, Debug)]
pub struct StandaloneArgs {
    /// Directory holding checkpoints and indices.
    #[arg(long)]
    pub data_dir: std::path::PathBuf,
}

/// Runs `logpipe standalone`.
pub fn run(_args: StandaloneArgs) -> anyhow::Result<()> {
    anyhow::bail!("standalone is not built yet")
}
