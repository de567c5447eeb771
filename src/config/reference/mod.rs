//! The configuration reference, defined once: every key of every config file with its type, its default
//! and one line of help, in tables next to the structs that read them (`AgentConfig::KEYS`,
//! `TlsFiles::KEYS`, ...). `logpipe <role> --help` (`render::help`) and docs/CONFIG.md (`render::markdown`,
//! printed by the hidden `logpipe config-reference`) are generated from these tables, and the unit tests of
//! `accepted` compare each file's tables with the keys its serde types accept, in both directions, so a key
//! cannot be added, renamed or removed without its documentation following.

#[cfg(test)]
mod accepted;
pub mod render;
#[cfg(test)]
mod tests;

/// One key of a config file (or a table of them).
#[derive(Debug)]
pub struct Key {
    /// The key's name in its table (`poll_interval`, `tls`, `collect`).
    pub name: &'static str,
    pub kind: Kind,
    /// One line (a short paragraph at most) saying what it does.
    pub help: &'static str,
}

/// What a key holds.
#[derive(Debug)]
pub enum Kind {
    /// A value: its type, what happens when it is absent, and a valid example in TOML syntax.
    Value {
        ty: Type,
        absent: Absent,
        example: &'static str,
    },
    /// A table (`[kafka]`) whose keys are the concatenation of these groups (groups let two tables share
    /// keys: the agent's and the transfer's `[kafka]` share the connection keys).
    Table(&'static [&'static [Key]]),
    /// An array of tables (`[[collect]]`), each with these keys.
    Tables(&'static [&'static [Key]]),
    /// A table of free-form keys (`[kafka.options]`), each holding a `value`; `example` is one `key = value`
    /// line.
    Map { value: Type, example: &'static str },
}

/// The type of a value, as a person writes it in TOML.
#[derive(Debug, Clone, Copy)]
pub enum Type {
    String,
    Integer,
    Bool,
    /// `"250ms"`, `"5s"`, `"2m"`, `"1h"` or an integer of milliseconds (`config::duration`).
    Duration,
    /// A file or directory path.
    Path,
    /// A secret string (never logged).
    Secret,
    /// A glob (`config::path_glob`).
    Glob,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A list of values of one type.
    List(&'static Type),
    /// An inline table of fields (`{ env = "prod" }`).
    Fields,
    /// A list of Logstash filters (README "Filters").
    Filters,
}

impl Type {
    /// The type in words, for `--help` and the Markdown reference.
    pub fn describe(self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Integer => "integer".into(),
            Type::Bool => "boolean".into(),
            Type::Duration => "duration".into(),
            Type::Path => "path".into(),
            Type::Secret => "secret string".into(),
            Type::Glob => "glob".into(),
            Type::OneOf(values) => values.join(" | "),
            Type::List(inner) => format!("list of {}", inner.describe_plural()),
            Type::Fields => "inline table".into(),
            Type::Filters => "list of filters".into(),
        }
    }

    fn describe_plural(self) -> String {
        match self {
            Type::String => "strings".into(),
            Type::Integer => "integers".into(),
            Type::Path => "paths".into(),
            Type::Glob => "globs".into(),
            other => other.describe(),
        }
    }
}

/// What a value is when the key is absent.
#[derive(Debug, Clone, Copy)]
pub enum Absent {
    /// The file is refused without it.
    Required,
    /// Off, or nothing: the help says what that means.
    Unset,
    /// This value (TOML syntax), which serde fills in: the tests check that writing it changes nothing.
    Default(&'static str),
    /// This value (TOML syntax), applied by the code that reads the key rather than by serde (the key's
    /// absence itself matters, e.g. to refuse it beside a `[kafka.options]` property it would set).
    Implied(&'static str),
}

impl Key {
    /// A key the file cannot do without.
    pub const fn required(
        name: &'static str,
        ty: Type,
        example: &'static str,
        help: &'static str,
    ) -> Key {
        Key {
            name,
            kind: Kind::Value {
                ty,
                absent: Absent::Required,
                example,
            },
            help,
        }
    }

    /// A key that is off (or empty) when absent.
    pub const fn optional(
        name: &'static str,
        ty: Type,
        example: &'static str,
        help: &'static str,
    ) -> Key {
        Key {
            name,
            kind: Kind::Value {
                ty,
                absent: Absent::Unset,
                example,
            },
            help,
        }
    }

    /// A key with a default (TOML syntax), which is also its example.
    pub const fn defaulted(
        name: &'static str,
        ty: Type,
        default: &'static str,
        help: &'static str,
    ) -> Key {
        Key {
            name,
            kind: Kind::Value {
                ty,
                absent: Absent::Default(default),
                example: default,
            },
            help,
        }
    }

    /// A key whose default the code applies (see `Absent::Implied`).
    pub const fn implied(
        name: &'static str,
        ty: Type,
        default: &'static str,
        help: &'static str,
    ) -> Key {
        Key {
            name,
            kind: Kind::Value {
                ty,
                absent: Absent::Implied(default),
                example: default,
            },
            help,
        }
    }

    /// A table of keys.
    pub const fn table(
        name: &'static str,
        keys: &'static [&'static [Key]],
        help: &'static str,
    ) -> Key {
        Key {
            name,
            kind: Kind::Table(keys),
            help,
        }
    }

    /// An array of tables.
    pub const fn tables(
        name: &'static str,
        keys: &'static [&'static [Key]],
        help: &'static str,
    ) -> Key {
        Key {
            name,
            kind: Kind::Tables(keys),
            help,
        }
    }

    /// A table of free-form keys.
    pub const fn map(
        name: &'static str,
        value: Type,
        example: &'static str,
        help: &'static str,
    ) -> Key {
        Key {
            name,
            kind: Kind::Map { value, example },
            help,
        }
    }

    /// Whether this key holds a table (or tables) of documented keys.
    pub fn sub_keys(&self) -> Option<&'static [&'static [Key]]> {
        match self.kind {
            Kind::Table(keys) | Kind::Tables(keys) => Some(keys),
            _ => None,
        }
    }
}

/// One configuration file: its name, how a role reads it, its keys, and what to say around them.
#[derive(Debug)]
pub struct ConfigFile {
    /// `agent.toml`.
    pub name: &'static str,
    /// The subcommand reading it (`agent`).
    pub command: &'static str,
    /// The top-level keys.
    pub keys: &'static [&'static [Key]],
    /// The smallest file that starts the role (the tests build on it).
    pub minimal: &'static str,
    /// Keys serde reads in this file that are documented for another file only, because this role refuses
    /// (or ignores) them: the console's `[elasticsearch]` takes the transfer's type but none of its writing
    /// keys. The tests check each one is not in the reference.
    pub not_for_this_file: &'static [&'static str],
}

/// Every config file of logpipe (the store takes flags only: `logpipe store --help`).
pub const FILES: [&ConfigFile; 4] = [
    &super::agent::AGENT_FILE,
    &super::transfer::TRANSFER_FILE,
    &super::standalone::STANDALONE_FILE,
    &super::console::CONSOLE_FILE,
];

/// The file a subcommand reads.
pub fn file(command: &str) -> Option<&'static ConfigFile> {
    FILES.iter().copied().find(|f| f.command == command)
}

impl ConfigFile {
    /// Every key with its dotted path (`kafka.tls.ca_file`; the keys of `[[collect]]` as `collect.path`),
    /// tables before their keys, in the order of the reference.
    pub fn keys_by_path(&self) -> Vec<(String, &'static Key)> {
        let mut out = Vec::new();
        collect_paths("", self.keys, &mut out);
        out
    }
}

fn collect_paths(
    prefix: &str,
    groups: &'static [&'static [Key]],
    out: &mut Vec<(String, &'static Key)>,
) {
    for key in groups.iter().flat_map(|g| g.iter()) {
        let path = format!("{prefix}{}", key.name);
        out.push((path.clone(), key));
        if let Some(sub) = key.sub_keys() {
            collect_paths(&format!("{path}."), sub, out);
        }
    }
}
