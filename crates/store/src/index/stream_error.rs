//! What can go wrong with index templates, data streams and aliases, as typed errors (wrapped in
//! [`crate::index::IndexError::Stream`]); their statuses and ES types are chosen in `api/error_map.rs`.
//! The reasons are worded as Elasticsearch words them.

use std::path::PathBuf;

/// A failure of the index template or data stream APIs, or of their metadata files.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// `GET _index_template/{name}` of a name that is not a template.
    #[error("index template matching [{name}] not found")]
    TemplateNotFound { name: String },
    /// `DELETE _index_template/{name}` of a name that is not a template.
    #[error("index_template [{name}] missing")]
    TemplateMissing { name: String },
    /// A `PUT _index_template/{name}` body that is not a template.
    #[error("{reason}")]
    TemplateBody { reason: String },
    /// A template whose patterns overlap another's of the same priority.
    #[error(
        "index template [{name}] has index patterns {} matching patterns from existing templates [{}] with \
         patterns ({}) that have the same priority [{priority}], multiple index templates may not match \
         during index creation, please use a different priority",
        java_list(patterns),
        others.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(","),
        others.iter().map(|(n, p)| format!("{n} => {}", java_list(p))).collect::<Vec<_>>().join(",")
    )]
    TemplateOverlap {
        name: String,
        patterns: Vec<String>,
        others: Vec<(String, Vec<String>)>,
        priority: u64,
    },
    /// A template composed of component templates (the store has none).
    #[error(
        "index_template [{name}] invalid, cause [index template [{name}] specifies component templates {} \
         that do not exist]",
        java_list(missing)
    )]
    ComponentTemplatesMissing { name: String, missing: Vec<String> },
    /// Deleting the templates data streams depend on.
    #[error(
        "unable to remove composable templates {} as they are in use by a data streams {}",
        java_list(templates),
        java_list(streams)
    )]
    TemplateInUse {
        templates: Vec<String>,
        streams: Vec<String>,
    },
    /// A data stream name that names none.
    #[error("no such index [{name}]")]
    DataStreamNotFound { name: String },
    /// Creating a data stream no template with `data_stream` matches.
    #[error("no matching index template found for data stream [{name}]")]
    NoDataStreamTemplate { name: String },
    /// Creating a data stream that exists.
    #[error("data_stream [{name}] already exists")]
    DataStreamExists { name: String },
    /// Creating an index whose name a data stream template matches.
    #[error(
        "cannot create index with name [{name}], because it matches with template [{template}] that creates \
         data streams only, use create data stream api instead"
    )]
    IndexMatchesStreamTemplate { name: String, template: String },
    /// Deleting the write index of a data stream through the index API.
    #[error("index [{index}] is the write index for data stream [{stream}] and cannot be deleted")]
    WriteIndexDelete { index: String, stream: String },
    /// Closing write indices of data streams.
    #[error("cannot close the following data stream write indices [{}]", indices.join(","))]
    WriteIndexClose { indices: Vec<String> },
    /// A write to an alias with several indices and none of them its write index.
    #[error(
        "no write index is defined for alias [{alias}]. The write index may be explicitly disabled using \
         is_write_index=false or the alias points to multiple indices without one being designated as a \
         write index"
    )]
    AliasNoWriteIndex { alias: String },
    /// Aliases asked for that do not exist.
    #[error("aliases {} missing", java_list(aliases))]
    AliasesMissing { aliases: Vec<String> },
    /// An alias named as an index or data stream is.
    #[error("Invalid alias name [{alias}]: an index or data stream exists with the same name as the alias")]
    AliasNameTaken { alias: String },
    /// An index named as an alias is.
    #[error("Invalid index name [{name}], already exists as alias")]
    IndexNameIsAlias { name: String },
    /// An alias given two write indices.
    #[error("alias [{alias}] has more than one write index [{}]", indices.join(","))]
    AliasSeveralWriteIndices { alias: String, indices: Vec<String> },
    /// A metadata file of a format this build does not read.
    #[error(
        "{} is metadata format {found}, this logpipe reads format {readable}",
        path.display()
    )]
    StateFormat {
        path: PathBuf,
        found: u64,
        readable: u32,
    },
    /// A metadata file that is not JSON of the expected shape.
    #[error("{} is not a logpipe metadata file: {source}", path.display())]
    StateNotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A metadata file that cannot be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    StateIo {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StreamError {
    /// The index or data stream the error is about, when it names one.
    pub fn index(&self) -> Option<&str> {
        match self {
            StreamError::DataStreamNotFound { name }
            | StreamError::NoDataStreamTemplate { name }
            | StreamError::DataStreamExists { name }
            | StreamError::IndexMatchesStreamTemplate { name, .. } => Some(name),
            StreamError::WriteIndexDelete { index, .. } => Some(index),
            StreamError::AliasNameTaken { alias } => Some(alias),
            StreamError::IndexNameIsAlias { name } => Some(name),
            _ => None,
        }
    }
}

/// A list as Java prints one: `[a, b]`.
fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}
