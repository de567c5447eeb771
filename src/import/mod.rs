//! `logpipe import logstash FILE… --out DIR` and `logpipe import filebeat filebeat.yml --out DIR`: another
//! agent's configuration → logpipe configuration files, with `IMPORT.md` listing what could not be carried
//! over (file:line, or file and key, and why). Exits non-zero when something
//! was left out, unless `--allow-partial`. Every written file is parsed back with logpipe's own config
//! types before the command succeeds.

pub mod filebeat;
pub mod filter_table;
pub mod logstash;
pub mod logstash_config;
pub mod report;

use report::Report;
use std::path::{Path, PathBuf};

/// `logpipe import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub from: ImportFrom,
}

/// The tools logpipe imports from.
#[derive(clap::Subcommand, Debug)]
pub enum ImportFrom {
    /// Logstash pipeline files (one pipeline: Logstash concatenates its files).
    Logstash {
        /// The pipeline's `.conf` files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Directory to write agent.toml / transfer.toml / standalone.toml and IMPORT.md into.
        #[arg(long)]
        out: PathBuf,
        /// Exit 0 even when IMPORT.md lists something that was not carried over.
        #[arg(long)]
        allow_partial: bool,
    },
    /// A filebeat.yml (filestream / log inputs, output.kafka or output.elasticsearch).
    Filebeat {
        /// The filebeat.yml.
        file: PathBuf,
        /// Directory to write agent.toml / standalone.toml and IMPORT.md into.
        #[arg(long)]
        out: PathBuf,
        /// Exit 0 even when IMPORT.md lists something that was not carried over.
        #[arg(long)]
        allow_partial: bool,
    },
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Syntax {
        path: PathBuf,
        source: logstash_config::SyntaxError,
    },
    #[error("{}: not YAML: {reason}", path.display())]
    Yaml { path: PathBuf, reason: String },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the written {file} does not parse (a bug of the import, please report it): {reason}")]
    Unparsable { file: String, reason: String },
    #[error(
        "{count} things were not carried over, listed in {}; rerun with --allow-partial to accept that",
        report.display()
    )]
    Partial { count: usize, report: PathBuf },
    #[error("nothing to write: no file input with a kafka or elasticsearch output, and no kafka input with an elasticsearch output")]
    // (for Filebeat: no filestream / log input with output.kafka or output.elasticsearch)
    Nothing,
}

/// Runs `logpipe import`.
pub fn run(args: ImportArgs) -> Result<(), ImportError> {
    match args.from {
        ImportFrom::Logstash {
            files,
            out,
            allow_partial,
        } => import_logstash(&files, &out, allow_partial),
        ImportFrom::Filebeat {
            file,
            out,
            allow_partial,
        } => import_filebeat(&file, &out, allow_partial),
    }
}

fn import_filebeat(path: &Path, out: &Path, allow_partial: bool) -> Result<(), ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).map_err(|e| ImportError::Yaml {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let empty = yaml_rust2::Yaml::Null;
    let doc = docs.first().unwrap_or(&empty);
    let mut report = Report::default();
    let name = path.display().to_string();
    let files: Vec<(String, String)> = filebeat::convert(&name, doc, &mut report)
        .into_iter()
        .map(|(file, table)| (file, toml::to_string(&table).unwrap_or_default()))
        .collect();
    write_all(
        "Filebeat",
        &[path.to_path_buf()],
        &files,
        &report,
        out,
        allow_partial,
    )
}

fn import_logstash(files: &[PathBuf], out: &Path, allow_partial: bool) -> Result<(), ImportError> {
    let mut parsed = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
            path: path.clone(),
            source,
        })?;
        let pipeline = logstash_config::parse(&text).map_err(|source| ImportError::Syntax {
            path: path.clone(),
            source,
        })?;
        parsed.push((path.display().to_string(), pipeline));
    }
    let sources: Vec<logstash::Source<'_>> = parsed
        .iter()
        .map(|(name, pipeline)| logstash::Source { name, pipeline })
        .collect();
    let mut report = Report::default();
    let converted = logstash::convert(&sources, &mut report);
    write_all(
        "Logstash",
        files,
        &converted.files,
        &report,
        out,
        allow_partial,
    )
}

/// Checks and writes the converted `files` and IMPORT.md into `out`; the exit decision.
fn write_all(
    tool: &str,
    sources: &[PathBuf],
    files: &[(String, String)],
    report: &Report,
    out: &Path,
    allow_partial: bool,
) -> Result<(), ImportError> {
    if files.is_empty() {
        return Err(ImportError::Nothing);
    }
    std::fs::create_dir_all(out).map_err(|source| ImportError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    for (name, text) in files {
        check_parses(name, text)?;
        let header = format!(
            "# Written by `logpipe import {}` from {}; see IMPORT.md.\n",
            tool.to_lowercase(),
            sources
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        write(&out.join(name), &format!("{header}{text}"))?;
    }
    let report_path = out.join("IMPORT.md");
    write(&report_path, &report.markdown(tool))?;
    for (file, what) in &report.written {
        log::info!("import: wrote {}: {what}", out.join(file).display());
    }
    if !report.unmapped.is_empty() && !allow_partial {
        return Err(ImportError::Partial {
            count: report.unmapped.len(),
            report: report_path,
        });
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), ImportError> {
    std::fs::write(path, text).map_err(|source| ImportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses a written file with the config type of its role.
fn check_parses(name: &str, text: &str) -> Result<(), ImportError> {
    let result = match name {
        "agent.toml" => crate::config::AgentConfig::parse(text).map(|_| ()),
        "transfer.toml" => crate::config::transfer::TransferConfig::parse(text).map(|_| ()),
        #[cfg(feature = "store")]
        "standalone.toml" => crate::config::standalone::StandaloneConfig::parse(text).map(|_| ()),
        _ => Ok(()),
    };
    result.map_err(|e| ImportError::Unparsable {
        file: name.to_string(),
        reason: e.to_string(),
    })
}
