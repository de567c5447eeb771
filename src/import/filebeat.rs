//! `filebeat.yml` → logpipe configuration files.
//!
//! `filestream` and `log` inputs become `[[collect]]` entries (paths, `exclude_files` of the `\.ext$` form,
//! the `ndjson` and `multiline` parsers or the `log` input's `json.*` / `multiline.*`, `fields` and
//! `fields_under_root`, `tags`, and the processors `drop_event`, `drop_fields`, `rename`, `add_fields`,
//! `add_tags` and `decode_json_fields` as filters); `output.kafka` becomes `agent.toml`'s `[kafka]`,
//! `output.elasticsearch` a `standalone.toml`; the registry becomes `[migrate] filebeat_registry`.
//! Filebeat's dotted keys (`output.kafka`, `multiline.pattern`) are read nested or flat alike.

use super::filter_table::{filter_spec as filter, table_of as one};
use super::report::Report;
use toml::{Table, Value};
use yaml_rust2::Yaml;

/// Filebeat's registry of a package install (`path.data` = /var/lib/filebeat).
const DEFAULT_REGISTRY: &str = "/var/lib/filebeat/registry/filebeat";

/// The value at a dotted `path`, whether the file nests it or writes the dots literally.
fn get<'a>(node: &'a Yaml, path: &str) -> Option<&'a Yaml> {
    let parts: Vec<&str> = path.split('.').collect();
    lookup(node, &parts)
}

fn lookup<'a>(node: &'a Yaml, parts: &[&str]) -> Option<&'a Yaml> {
    if parts.is_empty() {
        return Some(node);
    }
    let Yaml::Hash(map) = node else {
        return None;
    };
    for take in (1..=parts.len()).rev() {
        let key = Yaml::String(parts[..take].join("."));
        if let Some(child) = map.get(&key) {
            if let Some(found) = lookup(child, &parts[take..]) {
                return Some(found);
            }
        }
    }
    None
}

fn text(node: Option<&Yaml>) -> Option<String> {
    match node? {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn texts(node: Option<&Yaml>) -> Vec<String> {
    match node {
        Some(Yaml::Array(items)) => items.iter().filter_map(|i| text(Some(i))).collect(),
        other => text(other).into_iter().collect(),
    }
}

fn to_toml(node: &Yaml) -> Option<Value> {
    Some(match node {
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Integer(i) => Value::Integer(*i),
        Yaml::Real(r) => Value::Float(r.parse().ok()?),
        Yaml::Boolean(b) => Value::Boolean(*b),
        Yaml::Array(items) => Value::Array(items.iter().filter_map(to_toml).collect()),
        Yaml::Hash(map) => {
            let mut table = Table::new();
            for (k, v) in map {
                table.insert(text(Some(k))?, to_toml(v)?);
            }
            Value::Table(table)
        }
        _ => return None,
    })
}

/// A Filebeat field name (`a.b`) as a logpipe field reference (`[a][b]`).
fn field_ref(name: &str) -> String {
    name.split('.').map(|p| format!("[{p}]")).collect()
}

/// Why a processor or its condition is not carried over (listed in IMPORT.md).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Untranslatable {
    #[error("a condition must be a mapping")]
    ConditionNotMapping,
    #[error("`{0}` needs a list")]
    NeedsList(String),
    #[error("the `{0}` condition has no logpipe equivalent")]
    Condition(String),
    #[error("a processor must be a mapping")]
    ProcessorNotMapping,
    #[error("an empty processor")]
    EmptyProcessor,
    #[error("the `{0}` processor has no logpipe equivalent")]
    Processor(String),
}

/// A Filebeat `when` condition in logpipe's (Logstash's) condition syntax.
fn condition(node: &Yaml) -> Result<String, Untranslatable> {
    let Yaml::Hash(map) = node else {
        return Err(Untranslatable::ConditionNotMapping);
    };
    let mut parts = Vec::new();
    for (kind, body) in map {
        let kind = text(Some(kind)).unwrap_or_default();
        let pairs = |body: &Yaml| -> Vec<(String, Yaml)> {
            match body {
                Yaml::Hash(m) => m
                    .iter()
                    .filter_map(|(k, v)| Some((text(Some(k))?, v.clone())))
                    .collect(),
                _ => Vec::new(),
            }
        };
        let quote = |v: &Yaml| match v {
            Yaml::Integer(i) => i.to_string(),
            other => format!(
                "\"{}\"",
                text(Some(other)).unwrap_or_default().replace('"', "\\\"")
            ),
        };
        let part = match kind.as_str() {
            "equals" => pairs(body)
                .iter()
                .map(|(f, v)| format!("{} == {}", field_ref(f), quote(v)))
                .collect::<Vec<_>>()
                .join(" and "),
            "contains" => pairs(body)
                .iter()
                .map(|(f, v)| format!("{} in {}", quote(v), field_ref(f)))
                .collect::<Vec<_>>()
                .join(" and "),
            "regexp" => pairs(body)
                .iter()
                .map(|(f, v)| {
                    format!(
                        "{} =~ /{}/",
                        field_ref(f),
                        text(Some(v)).unwrap_or_default().replace('/', "\\/")
                    )
                })
                .collect::<Vec<_>>()
                .join(" and "),
            "has_fields" => texts(Some(body))
                .iter()
                .map(|f| field_ref(f))
                .collect::<Vec<_>>()
                .join(" and "),
            "not" => format!("not ({})", condition(body)?),
            "and" | "or" => {
                let Yaml::Array(items) = body else {
                    return Err(Untranslatable::NeedsList(kind));
                };
                let inner: Result<Vec<String>, Untranslatable> = items
                    .iter()
                    .map(|i| condition(i).map(|c| format!("({c})")))
                    .collect();
                inner?.join(&format!(" {kind} "))
            }
            _ => return Err(Untranslatable::Condition(kind)),
        };
        parts.push(part);
    }
    Ok(parts.join(" and "))
}

/// A processor as filters; `Err` says why it cannot be.
fn processor(node: &Yaml) -> Result<Vec<Value>, Untranslatable> {
    let Yaml::Hash(map) = node else {
        return Err(Untranslatable::ProcessorNotMapping);
    };
    let Some((name, body)) = map.iter().next() else {
        return Err(Untranslatable::EmptyProcessor);
    };
    let name = text(Some(name)).unwrap_or_default();
    let when = match get(body, "when") {
        Some(w) => Some(condition(w)?),
        None => None,
    };
    let mut filters = match name.as_str() {
        "drop_event" => vec![filter("drop", Table::new())],
        "drop_fields" => {
            let fields: Vec<Value> = texts(get(body, "fields"))
                .iter()
                .map(|f| Value::String(field_ref(f)))
                .collect();
            vec![filter("mutate", one("remove_field", Value::Array(fields)))]
        }
        "rename" => {
            let mut renames = Table::new();
            if let Some(Yaml::Array(items)) = get(body, "fields") {
                for item in items {
                    if let (Some(from), Some(to)) = (text(get(item, "from")), text(get(item, "to")))
                    {
                        renames.insert(field_ref(&from), Value::String(field_ref(&to)));
                    }
                }
            }
            vec![filter("mutate", one("rename", renames.into()))]
        }
        "add_fields" => {
            let target = text(get(body, "target")).unwrap_or_else(|| "fields".into());
            let mut added = Table::new();
            if let Some(Yaml::Hash(fields)) = get(body, "fields") {
                for (k, v) in fields {
                    let key = text(Some(k)).unwrap_or_default();
                    let name = if target.is_empty() {
                        field_ref(&key)
                    } else {
                        format!("{}{}", field_ref(&target), field_ref(&key))
                    };
                    if let Some(v) = to_toml(v) {
                        added.insert(name, v);
                    }
                }
            }
            vec![filter("mutate", one("add_field", added.into()))]
        }
        "add_tags" => {
            let tags: Vec<Value> = texts(get(body, "tags"))
                .into_iter()
                .map(Value::String)
                .collect();
            vec![filter("mutate", one("add_tag", Value::Array(tags)))]
        }
        "decode_json_fields" => texts(get(body, "fields"))
            .iter()
            .map(|f| {
                let mut options = one("source", Value::String(field_ref(f)));
                if let Some(target) = text(get(body, "target")).filter(|t| !t.is_empty()) {
                    options.insert("target".into(), Value::String(field_ref(&target)));
                }
                filter("json", options)
            })
            .collect(),
        _ => return Err(Untranslatable::Processor(name)),
    };
    if let Some(when) = when {
        for f in &mut filters {
            if let Some((_, Value::Table(options))) =
                f.as_table_mut().and_then(|t| t.iter_mut().next())
            {
                options.insert("if".into(), Value::String(when.clone()));
            }
        }
    }
    Ok(filters)
}

/// Converts a parsed `filebeat.yml` (file name `file` for the report); (file name, TOML table) pairs.
pub fn convert(file: &str, doc: &Yaml, report: &mut Report) -> Vec<(String, Table)> {
    let mut entries = Vec::new();
    let global_processors: Vec<Value> = match get(doc, "processors") {
        Some(Yaml::Array(items)) => items
            .iter()
            .filter_map(|p| match processor(p) {
                Ok(f) => Some(f),
                Err(why) => {
                    report.unmapped(file, 0, "processors", why.to_string());
                    None
                }
            })
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    let inputs = match get(doc, "filebeat.inputs") {
        Some(Yaml::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    let kafka = get(doc, "output.kafka");
    let topic = kafka.and_then(|k| text(get(k, "topic")));
    for (i, input) in inputs.iter().enumerate() {
        let what = format!("filebeat.inputs[{i}]");
        if text(get(input, "enabled")).as_deref() == Some("false") {
            continue;
        }
        let kind = text(get(input, "type")).unwrap_or_else(|| "log".into());
        if kind != "filestream" && kind != "log" {
            report.unmapped(
                file,
                0,
                format!("{what} type {kind}"),
                "logpipe tails files",
            );
            continue;
        }
        let paths = texts(get(input, "paths"));
        let mut common = Table::new();
        if let Some(topic) = &topic {
            common.insert("topic".into(), topic.clone().into());
        }
        let mut filters: Vec<Value> = Vec::new();
        let mut excludes = Vec::new();
        for pattern in texts(get(input, "exclude_files")) {
            // `\.gz$` → `*.gz` next to each path; other regexes cannot become globs.
            match pattern
                .strip_prefix("\\.")
                .and_then(|p| p.strip_suffix('$'))
                .filter(|ext| ext.chars().all(|c| c.is_ascii_alphanumeric()))
            {
                Some(ext) => excludes.extend(paths.iter().filter_map(|p| {
                    std::path::Path::new(p)
                        .parent()
                        .map(|d| Value::String(format!("{}/*.{ext}", d.display())))
                })),
                None => report.unmapped(
                    file,
                    0,
                    format!("{what}.exclude_files `{pattern}`"),
                    "only `\\.ext$` regexes become logpipe globs",
                ),
            }
        }
        if !excludes.is_empty() {
            common.insert("exclude".into(), Value::Array(excludes));
        }
        let mut multiline = None;
        if let Some(Yaml::Array(parsers)) = get(input, "parsers") {
            for parser in parsers {
                if let Some(ml) = get(parser, "multiline") {
                    multiline = Some(ml.clone());
                } else if let Some(nd) = get(parser, "ndjson") {
                    let mut options = one("source", "message".into());
                    if let Some(target) = text(get(nd, "target")).filter(|t| !t.is_empty()) {
                        options.insert("target".into(), Value::String(field_ref(&target)));
                    }
                    filters.push(filter("json", options));
                } else {
                    report.unmapped(
                        file,
                        0,
                        format!("{what}.parsers"),
                        "only ndjson and multiline",
                    );
                }
            }
        }
        if get(input, "multiline.pattern").is_some() {
            multiline = get(input, "multiline").cloned();
        }
        if let Some(ml) = multiline {
            let mut table = Table::new();
            if let Some(pattern) = text(get(&ml, "pattern")) {
                table.insert("pattern".into(), pattern.into());
                table.insert(
                    "negate".into(),
                    (text(get(&ml, "negate")).as_deref() == Some("true")).into(),
                );
                table.insert(
                    "match".into(),
                    text(get(&ml, "match"))
                        .unwrap_or_else(|| "after".into())
                        .into(),
                );
                if let Some(Yaml::Integer(n)) = get(&ml, "max_lines") {
                    table.insert("max_lines".into(), (*n).into());
                }
                common.insert("multiline".into(), table.into());
            } else {
                report.unmapped(
                    file,
                    0,
                    format!("{what}.multiline"),
                    "only pattern multiline",
                );
            }
        }
        if text(get(input, "json.keys_under_root")).as_deref() == Some("true")
            || get(input, "json.message_key").is_some()
        {
            filters.push(filter("json", one("source", "message".into())));
        }
        if let Some(Yaml::Hash(fields)) = get(input, "fields") {
            let under_root = text(get(input, "fields_under_root")).as_deref() == Some("true");
            if under_root {
                let mut added = Table::new();
                for (k, v) in fields {
                    if let (Some(k), Some(v)) = (text(Some(k)), to_toml(v)) {
                        added.insert(field_ref(&k), v);
                    }
                }
                filters.insert(0, filter("mutate", one("add_field", added.into())));
            } else if let Some(Value::Table(t)) = to_toml(&Yaml::Hash(fields.clone())) {
                common.insert("fields".into(), t.into());
            }
        }
        let tags: Vec<Value> = texts(get(input, "tags"))
            .into_iter()
            .map(Value::String)
            .collect();
        if !tags.is_empty() {
            filters.push(filter("mutate", one("add_tag", Value::Array(tags))));
        }
        if let Some(Yaml::Array(items)) = get(input, "processors") {
            for p in items {
                match processor(p) {
                    Ok(f) => filters.extend(f),
                    Err(why) => {
                        report.unmapped(file, 0, format!("{what}.processors"), why.to_string())
                    }
                }
            }
        }
        filters.extend(global_processors.iter().cloned());
        if !filters.is_empty() {
            common.insert("filters".into(), Value::Array(filters));
        }
        common.insert("start_at".into(), "beginning".into());
        for path in paths {
            let mut entry = one("path", path.into());
            entry.extend(common.clone());
            entries.push(Value::Table(entry));
        }
    }
    let registry = text(get(doc, "filebeat.registry.path"))
        .map(|p| format!("{}/filebeat", p.trim_end_matches('/')))
        .unwrap_or_else(|| {
            report.note(format!(
                "[migrate] filebeat_registry = \"{DEFAULT_REGISTRY}\" (a package install's registry): the first \
                 start continues where Filebeat stopped"
            ));
            DEFAULT_REGISTRY.into()
        });
    let mut files = Vec::new();
    if let Some(kafka) = kafka {
        let mut agent = Table::new();
        agent.insert("data_dir".into(), "/var/lib/logpipe".into());
        agent.insert("kafka".into(), kafka_section(file, kafka, report).into());
        agent.insert("collect".into(), Value::Array(entries.clone()));
        agent.insert(
            "migrate".into(),
            one("filebeat_registry", registry.clone().into()).into(),
        );
        if topic.as_deref().is_some_and(|t| t.contains("%{")) {
            report.unmapped(
                file,
                0,
                "output.kafka.topic",
                "a sprintf topic: one topic per collect entry",
            );
        }
        files.push(("agent.toml".to_string(), agent));
        report.written.push((
            "agent.toml".into(),
            "`logpipe agent --config agent.toml` (inputs → Kafka)".into(),
        ));
    }
    if get(doc, "output.elasticsearch").is_some() {
        let mut standalone = Table::new();
        let entries: Vec<Value> = entries
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if let Some(t) = e.as_table_mut() {
                    t.remove("topic");
                }
                e
            })
            .collect();
        standalone.insert("collect".into(), Value::Array(entries));
        files.push(("standalone.toml".to_string(), standalone));
        report.written.push((
            "standalone.toml".into(),
            "`logpipe standalone --config standalone.toml` (inputs → the embedded store)".into(),
        ));
    }
    for output in ["logstash", "redis", "file", "console"] {
        if get(doc, &format!("output.{output}")).is_some() {
            report.unmapped(
                file,
                0,
                format!("output.{output}"),
                "logpipe writes to Kafka or its store",
            );
        }
    }
    files
}

fn kafka_section(file: &str, kafka: &Yaml, report: &mut Report) -> Table {
    let mut table = Table::new();
    let hosts = texts(get(kafka, "hosts"));
    table.insert(
        "brokers".into(),
        (if hosts.is_empty() {
            "localhost:9092".to_string()
        } else {
            hosts.join(",")
        })
        .into(),
    );
    if let Some(c) = text(get(kafka, "compression")) {
        table.insert("compression".into(), c.into());
    }
    if let Some(acks) = text(get(kafka, "required_acks")) {
        let acks = if acks == "-1" {
            "all".to_string()
        } else {
            acks
        };
        table.insert("acks".into(), acks.into());
    }
    let ssl = get(kafka, "ssl.certificate_authorities").is_some()
        || text(get(kafka, "ssl.enabled")).as_deref() == Some("true");
    let sasl = text(get(kafka, "username")).is_some();
    if ssl || sasl {
        let protocol = match (ssl, sasl) {
            (true, true) => "sasl_ssl",
            (true, false) => "ssl",
            _ => "sasl_plaintext",
        };
        table.insert("security_protocol".into(), protocol.into());
    }
    if ssl {
        let mut tls = Table::new();
        if let Some(ca) = texts(get(kafka, "ssl.certificate_authorities")).first() {
            tls.insert("ca_file".into(), ca.clone().into());
        }
        if let Some(cert) = text(get(kafka, "ssl.certificate")) {
            tls.insert("cert_file".into(), cert.into());
        }
        if let Some(key) = text(get(kafka, "ssl.key")) {
            tls.insert("key_file".into(), key.into());
        }
        table.insert("tls".into(), tls.into());
    }
    if let Some(user) = text(get(kafka, "username")) {
        let mut s = Table::new();
        s.insert(
            "mechanism".into(),
            text(get(kafka, "sasl.mechanism"))
                .unwrap_or_else(|| "PLAIN".into())
                .into(),
        );
        s.insert("username".into(), user.into());
        if let Some(password) = text(get(kafka, "password")) {
            if let Some(var) = password
                .strip_prefix("${")
                .and_then(|p| p.strip_suffix('}'))
            {
                s.insert("password_env".into(), var.into());
            } else {
                s.insert("password".into(), password.into());
                report.note("the Kafka password is written into agent.toml: move it to password_file and chmod 600");
            }
        }
        table.insert("sasl".into(), s.into());
    }
    if let Some(Yaml::Hash(map)) = Some(kafka) {
        for (k, _) in map {
            let key = text(Some(k)).unwrap_or_default();
            let known = [
                "enabled",
                "hosts",
                "topic",
                "compression",
                "required_acks",
                "ssl",
                "username",
                "password",
                "sasl",
                "codec",
                "partition",
                "version",
            ];
            if !known
                .iter()
                .any(|n| key == *n || key.starts_with(&format!("{n}.")))
            {
                report.unmapped(
                    file,
                    0,
                    format!("output.kafka.{key}"),
                    "no logpipe equivalent",
                );
            }
        }
    }
    table
}
