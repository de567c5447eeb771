//! The reference as text: the configuration section of `logpipe <role> --help`, and docs/CONFIG.md.

use super::{Absent, ConfigFile, Key, Kind, Type, FILES};
use std::fmt::Write;

/// Width of the `key = example` column of `--help`.
const KEY_COLUMN: usize = 37;
/// Lines of `--help` are wrapped at this width.
const WIDTH: usize = 110;

/// The configuration section of `logpipe <role> --help`: every table, key, default and help line.
pub fn help(file: &ConfigFile) -> String {
    let mut out = format!(
        "Configuration keys of {} (TOML; an unknown key is an error naming it; `logpipe config-reference` \
         prints them as Markdown):\n\n",
        file.name
    );
    help_table(&mut out, "", file.keys);
    out
}

fn help_table(out: &mut String, prefix: &str, groups: &[&[Key]]) {
    let keys = || groups.iter().flat_map(|g| g.iter());
    // Values first, then free-form tables, then tables: in TOML a key after a table header belongs to it.
    for key in keys() {
        if let Kind::Value {
            ty,
            absent,
            example,
        } = key.kind
        {
            let left = format!("{} = {example}", key.name);
            let right = format!("{}{}", key.help, absent_note(absent, ty));
            help_line(out, &left, &right);
        }
    }
    for key in keys() {
        if let Kind::Map { example, .. } = key.kind {
            out.push('\n');
            help_line(out, &format!("[{prefix}{}]", key.name), key.help);
            help_line(out, example, "");
        }
    }
    for key in keys() {
        let (open, close) = match key.kind {
            Kind::Table(_) => ("[", "]"),
            Kind::Tables(_) => ("[[", "]]"),
            _ => continue,
        };
        let Some(sub) = key.sub_keys() else { continue };
        let path = format!("{prefix}{}", key.name);
        out.push('\n');
        help_line(out, &format!("{open}{path}{close}"), key.help);
        help_table(out, &format!("{path}."), sub);
    }
}

fn absent_note(absent: Absent, ty: Type) -> String {
    let kind = match ty {
        Type::OneOf(values) => format!(" [{}]", values.join(" | ")),
        _ => String::new(),
    };
    match absent {
        Absent::Required => format!("{kind} (required)"),
        Absent::Unset => kind,
        Absent::Default(value) | Absent::Implied(value) => format!("{kind} (default {value})"),
    }
}

/// `  left                               right…`, the right column wrapped (and pushed to the next line when
/// the left one is too wide).
fn help_line(out: &mut String, left: &str, right: &str) {
    let indent = " ".repeat(KEY_COLUMN + 2);
    let mut line = format!("  {left}");
    if right.is_empty() {
        out.push_str(&line);
        out.push('\n');
        return;
    }
    if line.len() > KEY_COLUMN {
        out.push_str(&line);
        out.push('\n');
        line = indent.clone();
    } else {
        line.push_str(&" ".repeat(KEY_COLUMN + 2 - line.len()));
    }
    let mut empty = true;
    for word in right.split_whitespace() {
        if !empty && line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = indent.clone();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}

/// docs/CONFIG.md: every file, one Markdown table per TOML table.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         <!-- Generated from the key tables in src/config (config::reference): do not edit. Regenerate with\n     \
         `cargo run -- config-reference > docs/CONFIG.md`; a unit test fails while it differs. -->\n\n\
         Every role reads one TOML file (`--config FILE`). An unknown key is an error that names it, and so is a \
         value that is not valid. Durations are written `\"250ms\"`, `\"5s\"`, `\"2m\"`, `\"1h\"` or as an \
         integer of milliseconds. `logpipe store` takes flags only (`logpipe store --help`).\n",
    );
    for file in FILES {
        let _ = write!(
            out,
            "\n## {}\n\n`logpipe {} --config {}`; the smallest file:\n\n```toml\n{}```\n",
            file.name,
            file.command,
            file.name,
            file.minimal.trim_start()
        );
        markdown_table(
            &mut out,
            "",
            &format!("{}: top level", file.name),
            file.keys,
        );
    }
    out
}

fn markdown_table(out: &mut String, prefix: &str, title: &str, groups: &[&[Key]]) {
    let keys = || groups.iter().flat_map(|g| g.iter());
    let _ = write!(
        out,
        "\n### {title}\n\n| key | type | default | meaning |\n|---|---|---|---|\n"
    );
    for key in keys() {
        let (ty, default, example) = match key.kind {
            Kind::Value {
                ty,
                absent,
                example,
            } => (
                ty.describe(),
                match absent {
                    Absent::Required => "required".to_string(),
                    Absent::Unset => "—".to_string(),
                    Absent::Default(v) | Absent::Implied(v) => format!("`{v}`"),
                },
                match absent {
                    Absent::Default(_) | Absent::Implied(_) => String::new(),
                    Absent::Required | Absent::Unset => format!("{} = {example}", key.name),
                },
            ),
            Kind::Map { value, example } => (
                format!("table of {}", value.describe()),
                "—".to_string(),
                example.to_string(),
            ),
            Kind::Table(_) => ("table".into(), "—".into(), String::new()),
            Kind::Tables(_) => ("array of tables".into(), "—".into(), String::new()),
        };
        let example = if example.is_empty() {
            String::new()
        } else {
            format!(". Example: `{example}`")
        };
        let name = match key.kind {
            Kind::Table(_) | Kind::Map { .. } => format!("`[{prefix}{}]`", key.name),
            Kind::Tables(_) => format!("`[[{prefix}{}]]`", key.name),
            Kind::Value { .. } => format!("`{}`", key.name),
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {default} | {}{} |",
            ty.replace('|', "\\|"),
            key.help.replace('|', "\\|"),
            example.replace('|', "\\|")
        );
    }
    for key in keys() {
        let (open, close) = match key.kind {
            Kind::Table(_) => ("[", "]"),
            Kind::Tables(_) => ("[[", "]]"),
            _ => continue,
        };
        let Some(sub) = key.sub_keys() else { continue };
        let path = format!("{prefix}{}", key.name);
        let file = title.split(':').next().unwrap_or_default();
        let title = format!("{file}: {open}{path}{close}");
        markdown_table(out, &format!("{path}."), &title, sub);
    }
}
