//! Moving a host over from Logstash or Filebeat: their read positions (`sincedb`, `registry`), read into the
//! tailer's `OldPositions` so that the first start neither loses nor re-sends a line.

pub mod filebeat_registry;
pub mod sincedb;

use crate::config::migrate::MigrateConfig;
use crate::tail::adopt::OldPositions;

/// Why an old agent's positions cannot be read (the agent does not start: a wrong path here would silently
/// re-send or skip logs).
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migrate.logstash_sincedb: cannot read {path}: {source}")]
    Sincedb {
        path: String,
        source: std::io::Error,
    },
    #[error("migrate.filebeat_registry: {0}")]
    Registry(#[from] filebeat_registry::RegistryError),
}

/// `data_dir/migrated`: written by the first clean stop after old positions were used (every file that
/// started at one has logpipe's own checkpoint by then); from then on the old agent's files are ignored.
pub fn marker(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("migrated")
}

/// Whether the move is recorded as done.
pub fn is_done(data_dir: &std::path::Path) -> bool {
    marker(data_dir).exists()
}

/// Records the move as done.
pub fn mark_done(data_dir: &std::path::Path) -> std::io::Result<()> {
    logpipe_fs::write_atomically(
        &marker(data_dir),
        b"The read positions of Logstash / Filebeat were adopted; [migrate] is not read again.\n",
    )
}

/// Every position the configured files hold (later files win for the same file).
pub fn load(config: &MigrateConfig) -> Result<OldPositions, MigrateError> {
    let mut positions = OldPositions::default();
    for path in config.sincedb_files() {
        let text = std::fs::read_to_string(&path).map_err(|source| MigrateError::Sincedb {
            path: path.display().to_string(),
            source,
        })?;
        let skipped = sincedb::read(&path, &text, &mut positions);
        for line in skipped {
            log::warn!(
                "migrate: {}:{line}: not a sincedb record, ignored",
                path.display()
            );
        }
    }
    if let Some(dir) = &config.filebeat_registry {
        filebeat_registry::read(dir, &mut positions)?;
    }
    if !positions.is_empty() {
        log::info!(
            "migrate: {} read positions of Logstash / Filebeat, used for the files logpipe has no checkpoint \
             of when it first sees them",
            positions.len()
        );
    }
    Ok(positions)
}
