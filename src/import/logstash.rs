//! Logstash pipelines → logpipe configuration files.
//!
//! - `file` inputs + a `kafka` output → `agent.toml` (one `[[collect]]` per path);
//! - a `kafka` input + an `elasticsearch` output → `transfer.toml`;
//! - `file` inputs + an `elasticsearch` output → `standalone.toml`.
//!
//! Filters map one to one (logpipe's filters take Logstash's option names): `json`, `date`, `dissect`,
//! `grok`, `mutate`, `drop`, each checked by compiling it; a filter under `if` / `else if` / `else` gets
//! the branch's condition as its `if` (`else` branches negate the conditions before them). Options a
//! plugin sets that logpipe has no equivalent for, and plugins it does not have (`ruby`, `kv`, …), go to
//! the report with their file and line.

use super::filter_table::{filter_spec, table_of};
use super::logstash_config::{LsValue, Node, Pipeline, Plugin, SectionKind};
use super::report::Report;
use base64::Engine;
use toml::{Table, Value};

/// The filters logpipe has.
const FILTERS: [&str; 6] = ["json", "date", "dissect", "grok", "mutate", "drop"];

/// Logstash's default sincedb location of a package install (`path.data` = /var/lib/logstash).
const DEFAULT_SINCEDB: &str = "/var/lib/logstash/plugins/inputs/file/.sincedb_*";

/// The converted files: (file name, TOML text).
pub struct Converted {
    pub files: Vec<(String, String)>,
}

/// One pipeline file, parsed, with its name for the report.
pub struct Source<'a> {
    pub name: &'a str,
    pub pipeline: &'a Pipeline,
}

/// Converts `sources` (Logstash concatenates the files of one pipeline) and fills `report`.
pub fn convert(sources: &[Source<'_>], report: &mut Report) -> Converted {
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut filters = Vec::new();
    for source in sources {
        for node in source.pipeline.nodes(SectionKind::Input) {
            match node {
                Node::Plugin(p) => inputs.push((source.name, p)),
                Node::Conditional { line, .. } => {
                    report.unmapped(source.name, *line, "input if", "conditionals around inputs")
                }
            }
        }
        for node in source.pipeline.nodes(SectionKind::Output) {
            match node {
                Node::Plugin(p) => outputs.push((source.name, p)),
                Node::Conditional { line, .. } => report.unmapped(
                    source.name,
                    *line,
                    "output if",
                    "conditional outputs: logpipe sends every event of a pipeline to its one destination",
                ),
            }
        }
        for node in source.pipeline.nodes(SectionKind::Filter) {
            collect_filters(source.name, node, &mut Vec::new(), &mut filters, report);
        }
    }
    let file_inputs: Vec<_> = inputs.iter().filter(|(_, p)| p.name == "file").collect();
    let kafka_inputs: Vec<_> = inputs.iter().filter(|(_, p)| p.name == "kafka").collect();
    for (file, p) in inputs
        .iter()
        .filter(|(_, p)| p.name != "file" && p.name != "kafka")
    {
        report.unmapped(
            file,
            p.line,
            format!("input {}", p.name),
            "logpipe reads files (agent, standalone) and Kafka (transfer)",
        );
    }
    let kafka_output = outputs.iter().find(|(_, p)| p.name == "kafka");
    let es_output = outputs.iter().find(|(_, p)| p.name == "elasticsearch");
    for (file, p) in &outputs {
        let first_of_kind = matches!(p.name.as_str(), "kafka" | "elasticsearch")
            && outputs
                .iter()
                .find(|(_, q)| q.name == p.name)
                .map(|(_, q)| q.line)
                == Some(p.line);
        if !first_of_kind {
            report.unmapped(
                file,
                p.line,
                format!("output {}", p.name),
                "logpipe writes to Kafka (agent) or Elasticsearch (transfer, standalone), one destination",
            );
        }
    }
    let mut files = Vec::new();
    if !file_inputs.is_empty() {
        if let Some((kfile, kafka)) = kafka_output {
            let mut agent = Table::new();
            agent.insert("data_dir".into(), "/var/lib/logpipe".into());
            agent.insert("kafka".into(), kafka_producer(kfile, kafka, report).into());
            let topic = kafka
                .option("topic_id")
                .and_then(LsValue::as_text)
                .unwrap_or("logstash")
                .to_string();
            if topic.contains("%{") {
                report.unmapped(
                    kfile,
                    kafka.line,
                    "kafka.topic_id",
                    "a sprintf topic: logpipe names one topic per collect entry",
                );
            }
            let codec = match kafka.option("codec").and_then(LsValue::as_text) {
                Some("json") => "json",
                _ => {
                    report.note(
                        "kafka output codec plain (Logstash's default) → logpipe's raw codec: the line's bytes as \
                         the message, metadata in Kafka headers",
                    );
                    "raw"
                }
            };
            let (collect, migrate) =
                collect_entries(&file_inputs, Some(&topic), codec, &filters, report);
            agent.insert("collect".into(), Value::Array(collect));
            agent.insert("migrate".into(), migrate.into());
            files.push(("agent.toml".to_string(), agent));
            report.written.push((
                "agent.toml".into(),
                "`logpipe agent --config agent.toml` on each host (file inputs → Kafka)".into(),
            ));
        }
        if let Some((efile, es)) = es_output {
            let mut standalone = Table::new();
            let (collect, _) = collect_entries(&file_inputs, None, "json", &filters, report);
            standalone.insert("collect".into(), Value::Array(collect));
            if let Some(index) = es.option("index").and_then(LsValue::as_text) {
                standalone.insert("index".into(), index.into());
            }
            report.note(format!(
                "{efile}:{} elasticsearch output after file inputs → standalone.toml (the embedded store); to \
                 keep writing to the cluster, ship through Kafka and `logpipe transfer`",
                es.line
            ));
            files.push(("standalone.toml".to_string(), standalone));
            report.written.push((
                "standalone.toml".into(),
                "`logpipe standalone --config standalone.toml` (file inputs → the embedded store)"
                    .into(),
            ));
        }
    }
    if let (Some((kfile, kafka)), Some((efile, es))) = (kafka_inputs.first(), es_output) {
        let mut transfer = Table::new();
        transfer.insert("kafka".into(), kafka_consumer(kfile, kafka, report).into());
        transfer.insert(
            "elasticsearch".into(),
            elasticsearch(efile, es, kafka, report).into(),
        );
        if !filters.is_empty() {
            let mut per_topic = Table::new();
            per_topic.insert(
                "^.*".into(),
                Value::Array(filters.iter().map(|(_, v)| v.clone()).collect()),
            );
            transfer.insert("filters".into(), per_topic.into());
        }
        files.push(("transfer.toml".to_string(), transfer));
        report.written.push((
            "transfer.toml".into(),
            "`logpipe transfer --config transfer.toml` (Kafka → Elasticsearch)".into(),
        ));
        for (file, p) in kafka_inputs.iter().skip(1) {
            report.unmapped(
                file,
                p.line,
                "input kafka",
                "one kafka input per transfer: run one transfer per input",
            );
        }
    }
    Converted {
        files: files
            .into_iter()
            .map(|(name, table)| (name, toml::to_string(&table).unwrap_or_default()))
            .collect(),
    }
}

/// Walks a filter node: plugins become logpipe filters (with the conditions above them), conditionals
/// recurse with each branch's condition.
fn collect_filters(
    file: &str,
    node: &Node,
    conditions: &mut Vec<String>,
    out: &mut Vec<(usize, Value)>,
    report: &mut Report,
) {
    match node {
        Node::Plugin(p) => {
            if let Some(filter) = filter(file, p, conditions, report) {
                out.push((p.line, filter));
            }
        }
        Node::Conditional { branches, .. } => {
            let mut before: Vec<String> = Vec::new();
            for (condition, nodes) in branches {
                let mut here: Vec<String> = before.iter().map(|c| format!("not ({c})")).collect();
                if let Some(c) = condition {
                    here.push(c.clone());
                    before.push(c.clone());
                }
                let depth = conditions.len();
                conditions.extend(here);
                for n in nodes {
                    collect_filters(file, n, conditions, out, report);
                }
                conditions.truncate(depth);
            }
        }
    }
}

/// One Logstash filter as a logpipe filter table, checked by compiling it; `None` (reported) otherwise.
fn filter(file: &str, p: &Plugin, conditions: &[String], report: &mut Report) -> Option<Value> {
    if !FILTERS.contains(&p.name.as_str()) {
        report.unmapped(
            file,
            p.line,
            format!("filter {}", p.name),
            format!("logpipe's filters are {}", FILTERS.join(", ")),
        );
        return None;
    }
    let mut options = Table::new();
    for option in &p.options {
        let value = match (p.name.as_str(), option.name.as_str(), &option.value) {
            // The legacy array form `match => ["field", "pattern"]` of grok.
            ("grok", "match", LsValue::Array(items)) if items.len() % 2 == 0 => {
                let mut table = Table::new();
                for pair in items.chunks(2) {
                    if let (Some(field), Some(pattern)) = (pair[0].as_text(), to_toml(&pair[1])) {
                        table.insert(field.to_string(), pattern);
                    }
                }
                Some(Value::Table(table))
            }
            (_, _, value) => to_toml(value),
        };
        match value {
            Some(value) => {
                options.insert(option.name.clone(), value);
            }
            None => report.unmapped(
                file,
                option.line,
                format!("{}.{}", p.name, option.name),
                "a plugin-valued option",
            ),
        }
    }
    if !conditions.is_empty() {
        let condition = if conditions.len() == 1 {
            conditions[0].clone()
        } else {
            conditions
                .iter()
                .map(|c| format!("({c})"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        options.insert("if".into(), condition.into());
    }
    let value = filter_spec(&p.name, options);
    let checked = value
        .clone()
        .try_into::<logpipe_filter::FilterSpec>()
        .map_err(|e| e.to_string())
        .and_then(|spec| {
            logpipe_filter::compile(&[spec])
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    match checked {
        Ok(()) => Some(value),
        Err(why) => {
            report.unmapped(
                file,
                p.line,
                format!("filter {}", p.name),
                format!("logpipe refuses it: {}", why.replace('\n', " ")),
            );
            None
        }
    }
}

/// A Logstash value as TOML (`None` for a plugin).
fn to_toml(value: &LsValue) -> Option<Value> {
    Some(match value {
        LsValue::String(s) => Value::String(s.clone()),
        LsValue::Number(n) => match n.parse::<i64>() {
            Ok(i) => Value::Integer(i),
            Err(_) => Value::Float(n.parse().ok()?),
        },
        LsValue::Bareword(b) => match b.as_str() {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            _ => Value::String(b.clone()),
        },
        LsValue::Array(items) => Value::Array(items.iter().map(to_toml).collect::<Option<_>>()?),
        LsValue::Hash(entries) => {
            let mut table = Table::new();
            for (k, v) in entries {
                table.insert(k.clone(), to_toml(v)?);
            }
            Value::Table(table)
        }
        LsValue::Plugin(_) => return None,
    })
}

/// `[[collect]]` entries of the `file` inputs, and `[migrate]` (their sincedb files).
fn collect_entries(
    inputs: &[&(&str, &Plugin)],
    topic: Option<&str>,
    codec: &str,
    filters: &[(usize, Value)],
    report: &mut Report,
) -> (Vec<Value>, Table) {
    let mut entries = Vec::new();
    let mut sincedb = Vec::new();
    for (file, p) in inputs {
        let paths = p
            .option("path")
            .and_then(LsValue::as_texts)
            .unwrap_or_default();
        if paths.is_empty() {
            report.unmapped(file, p.line, "file.path", "a file input without path");
        }
        let mut common = Table::new();
        if let Some(topic) = topic {
            common.insert("topic".into(), topic.into());
        }
        common.insert("codec".into(), codec.into());
        let mut entry_filters: Vec<Value> = Vec::new();
        let mut added = Table::new();
        for option in &p.options {
            match option.name.as_str() {
                "path" => {}
                "exclude" => {
                    let patterns = option.value.as_texts().unwrap_or_default();
                    // Logstash matches excludes against the file name; logpipe against the path.
                    let dirs: Vec<String> = paths
                        .iter()
                        .filter_map(|p| std::path::Path::new(p).parent())
                        .map(|d| d.display().to_string())
                        .collect();
                    let excludes: Vec<Value> = dirs
                        .iter()
                        .flat_map(|d| {
                            patterns
                                .iter()
                                .map(move |pat| Value::String(format!("{d}/{pat}")))
                        })
                        .collect();
                    common.insert("exclude".into(), Value::Array(excludes));
                }
                "start_position" => {
                    let at = option.value.as_text().unwrap_or("end");
                    common.insert(
                        "start_at".into(),
                        (if at == "beginning" {
                            "beginning"
                        } else {
                            "end"
                        })
                        .into(),
                    );
                }
                "sincedb_path" => {
                    if let Some(path) = option.value.as_text() {
                        if path != "/dev/null" {
                            sincedb.push(Value::String(path.to_string()));
                        }
                    }
                }
                "codec" => match &option.value {
                    LsValue::Plugin(codec) if codec.name == "multiline" => {
                        if let Some(multiline) = multiline(file, codec, report) {
                            common.insert("multiline".into(), multiline.into());
                        }
                    }
                    LsValue::Bareword(name) | LsValue::String(name)
                        if name == "plain" || name == "json" =>
                    {
                        if name == "json" {
                            entry_filters.push(json_filter());
                        }
                    }
                    other => report.unmapped(
                        file,
                        option.line,
                        "file.codec",
                        format!("codec {}", codec_name(other)),
                    ),
                },
                "type" => {
                    if let Some(t) = option.value.as_text() {
                        added.insert("type".into(), t.into());
                    }
                }
                "add_field" => {
                    if let Some(Value::Table(fields)) = to_toml(&option.value) {
                        added.extend(fields);
                    }
                }
                "tags" => {
                    if let Some(tags) = to_toml(&option.value) {
                        entry_filters.push(mutate("add_tag", tags));
                    }
                }
                "mode" if option.value.as_text() == Some("tail") => {}
                other => report.unmapped(
                    file,
                    option.line,
                    format!("file.{other}"),
                    "no logpipe equivalent: logpipe's [tail] defaults apply",
                ),
            }
        }
        if !common.contains_key("start_at") {
            common.insert("start_at".into(), "end".into());
        }
        if !added.is_empty() {
            entry_filters.insert(0, mutate("add_field", Value::Table(added)));
        }
        entry_filters.extend(filters.iter().map(|(_, v)| v.clone()));
        if !entry_filters.is_empty() {
            common.insert("filters".into(), Value::Array(entry_filters));
        }
        for path in &paths {
            let mut entry = Table::new();
            entry.insert("path".into(), path.clone().into());
            entry.extend(common.clone());
            entries.push(Value::Table(entry));
        }
    }
    if sincedb.is_empty() {
        sincedb.push(Value::String(DEFAULT_SINCEDB.into()));
        report.note(format!(
            "[migrate] logstash_sincedb = [\"{DEFAULT_SINCEDB}\"] (Logstash's default sincedb of a package \
             install): the first start continues where Logstash stopped; change it if path.data differs"
        ));
    }
    report.note(
        "file inputs without start_position start at the end of files that exist (Logstash's default); \
         files with a sincedb position continue from it",
    );
    let mut migrate = Table::new();
    migrate.insert("logstash_sincedb".into(), Value::Array(sincedb));
    (entries, migrate)
}

fn codec_name(value: &LsValue) -> String {
    match value {
        LsValue::Plugin(p) => p.name.clone(),
        other => other.as_text().unwrap_or("?").to_string(),
    }
}

fn json_filter() -> Value {
    filter_spec("json", table_of("source", "message".into()))
}

fn mutate(option: &str, value: Value) -> Value {
    filter_spec("mutate", table_of(option, value))
}

/// `codec => multiline { pattern negate what }` → `multiline`.
fn multiline(file: &str, codec: &Plugin, report: &mut Report) -> Option<Table> {
    let mut table = Table::new();
    for option in &codec.options {
        match option.name.as_str() {
            "pattern" => {
                table.insert("pattern".into(), option.value.as_text()?.into());
            }
            "negate" => {
                table.insert(
                    "negate".into(),
                    option.value.as_bool().unwrap_or(false).into(),
                );
            }
            "what" => {
                let what = if option.value.as_text() == Some("next") {
                    "before"
                } else {
                    "after"
                };
                table.insert("match".into(), what.into());
            }
            "max_lines" => {
                if let Some(Value::Integer(n)) = to_toml(&option.value) {
                    table.insert("max_lines".into(), n.into());
                }
            }
            other => report.unmapped(
                file,
                option.line,
                format!("multiline.{other}"),
                "no logpipe equivalent",
            ),
        }
    }
    if !table.contains_key("pattern") {
        report.unmapped(file, codec.line, "codec multiline", "without a pattern");
        return None;
    }
    Some(table)
}

/// Kafka options both clients share: servers and security.
fn kafka_common(file: &str, p: &Plugin, table: &mut Table, report: &mut Report) -> Vec<String> {
    let mut handled = Vec::new();
    if let Some(servers) = p.option("bootstrap_servers").and_then(LsValue::as_text) {
        table.insert("brokers".into(), servers.into());
    } else {
        table.insert("brokers".into(), "localhost:9092".into());
    }
    handled.push("bootstrap_servers".into());
    if let Some(protocol) = p.option("security_protocol").and_then(LsValue::as_text) {
        table.insert("security_protocol".into(), protocol.to_lowercase().into());
    }
    handled.push("security_protocol".into());
    if let Some(mechanism) = p.option("sasl_mechanism").and_then(LsValue::as_text) {
        let mut sasl = Table::new();
        sasl.insert("mechanism".into(), mechanism.into());
        if let Some(jaas) = p.option("sasl_jaas_config").and_then(LsValue::as_text) {
            let field = |name: &str| {
                let start = jaas.find(&format!("{name}="))? + name.len() + 1;
                let rest = jaas[start..].trim_start_matches(['"', '\'']);
                Some(rest.split(['"', '\'']).next()?.to_string())
            };
            if let Some(user) = field("username") {
                sasl.insert("username".into(), user.into());
            }
            if let Some(password) = field("password") {
                sasl.insert("password".into(), password.into());
                report.note(
                    "the SASL password of sasl_jaas_config is written into the file: move it to \
                     [kafka.sasl] password_file and chmod 600",
                );
            }
        }
        table.insert("sasl".into(), sasl.into());
    }
    handled.extend(["sasl_mechanism".into(), "sasl_jaas_config".into()]);
    for store in ["ssl_truststore_location", "ssl_keystore_location"] {
        if p.option(store).is_some() {
            report.unmapped(
                file,
                p.line,
                format!("kafka.{store}"),
                "a Java key store: export it to PEM (`keytool -exportcert -rfc`, `openssl pkcs12`) and set \
                 [kafka.tls] ca_file / cert_file / key_file",
            );
        }
        handled.push(store.into());
        handled.push(store.replace("location", "password"));
    }
    handled.push("ssl_truststore_type".into());
    handled.push("ssl_keystore_type".into());
    handled.push("codec".into());
    handled
}

/// Logstash kafka option → librdkafka property, where the meaning is the same.
const LIBRDKAFKA_NAMES: [(&str, &str); 7] = [
    ("client_id", "client.id"),
    ("retries", "retries"),
    ("retry_backoff_ms", "retry.backoff.ms"),
    ("request_timeout_ms", "request.timeout.ms"),
    ("max_request_size", "message.max.bytes"),
    ("auto_offset_reset", "auto.offset.reset"),
    ("session_timeout_ms", "session.timeout.ms"),
];

/// A kafka option with a librdkafka twin goes to `[kafka.options]`; any other is reported.
fn pass_through(
    file: &str,
    option: &super::logstash_config::LsOption,
    options: &mut Table,
    report: &mut Report,
) {
    let name = option.name.as_str();
    match LIBRDKAFKA_NAMES.iter().find(|(ls, _)| *ls == name) {
        Some((_, property)) => {
            if let Some(text) = option.value.as_text() {
                options.insert((*property).into(), text.into());
            }
        }
        None => report.unmapped(
            file,
            option.line,
            format!("kafka.{name}"),
            "no logpipe equivalent (librdkafka defaults apply)",
        ),
    }
}

fn kafka_producer(file: &str, p: &Plugin, report: &mut Report) -> Table {
    let mut table = Table::new();
    let mut handled = kafka_common(file, p, &mut table, report);
    let mut options = Table::new();
    for option in &p.options {
        let name = option.name.as_str();
        match name {
            "compression_type" => {
                table.insert(
                    "compression".into(),
                    option.value.as_text().unwrap_or("none").into(),
                );
            }
            "acks" => {
                table.insert("acks".into(), option.value.as_text().unwrap_or("1").into());
            }
            "linger_ms" | "batch_size" => {
                if let Some(Value::Integer(n)) = to_toml(&option.value) {
                    table.insert(name.into(), n.into());
                }
            }
            "topic_id" => {}
            _ if handled.iter().any(|h| h == name) => {}
            _ => pass_through(file, option, &mut options, report),
        }
        handled.push(name.to_string());
    }
    if !options.is_empty() {
        table.insert("options".into(), options.into());
    }
    table
}

fn kafka_consumer(file: &str, p: &Plugin, report: &mut Report) -> Table {
    let mut table = Table::new();
    let handled = kafka_common(file, p, &mut table, report);
    let mut options = Table::new();
    let mut topics: Vec<Value> = p
        .option("topics")
        .and_then(LsValue::as_texts)
        .unwrap_or_default()
        .into_iter()
        .map(Value::String)
        .collect();
    if let Some(pattern) = p.option("topics_pattern").and_then(LsValue::as_text) {
        topics.push(Value::String(format!(
            "^{}",
            pattern.trim_start_matches('^')
        )));
    }
    if topics.is_empty() {
        topics.push(Value::String("logstash".into()));
    }
    table.insert("topics".into(), Value::Array(topics));
    for option in &p.options {
        let name = option.name.as_str();
        match name {
            "topics" | "topics_pattern" | "decorate_events" => {}
            "group_id" => {
                table.insert(
                    "group".into(),
                    option.value.as_text().unwrap_or("logstash").into(),
                );
            }
            "consumer_threads" => {
                if let Some(Value::Integer(n)) = to_toml(&option.value) {
                    table.insert("consumers".into(), n.into());
                }
            }
            _ if handled.iter().any(|h| h == name) => {}
            _ => pass_through(file, option, &mut options, report),
        }
    }
    if !table.contains_key("group") {
        table.insert("group".into(), "logstash".into());
        report.note("kafka input without group_id → group = \"logstash\" (Logstash's default)");
    }
    if !options.is_empty() {
        table.insert("options".into(), options.into());
    }
    table
}

/// `elasticsearch { … }` → `[elasticsearch]`; the kafka input's codec decides the transfer's.
fn elasticsearch(file: &str, p: &Plugin, input: &Plugin, report: &mut Report) -> Table {
    let mut table = Table::new();
    let ssl = p
        .option("ssl_enabled")
        .or_else(|| p.option("ssl"))
        .and_then(LsValue::as_bool)
        .unwrap_or(false);
    let hosts = p
        .option("hosts")
        .and_then(LsValue::as_texts)
        .unwrap_or_else(|| vec!["localhost:9200".into()]);
    let urls: Vec<Value> = hosts
        .iter()
        .map(|h| {
            let url = if h.contains("://") {
                h.clone()
            } else {
                format!("{}://{h}", if ssl { "https" } else { "http" })
            };
            Value::String(url)
        })
        .collect();
    table.insert("urls".into(), Value::Array(urls));
    let codec = match input.option("codec").and_then(LsValue::as_text) {
        Some("json") => "json",
        _ => {
            report.note(
                "kafka input codec plain (Logstash's default) → the transfer's raw codec: the message is the \
                 text of `message`",
            );
            "raw"
        }
    };
    table.insert("codec".into(), codec.into());
    for option in &p.options {
        let name = option.name.as_str();
        let text = option.value.as_text();
        match name {
            "hosts" | "ssl" | "ssl_enabled" => {}
            "index" | "user" | "pipeline" | "routing" | "data_stream_type" | "data_stream_dataset"
            | "data_stream_namespace" | "ssl_verification_mode" | "ssl_certificate" | "ssl_key" => {
                if let Some(text) = text {
                    table.insert(name.into(), text.into());
                }
            }
            "password" => {
                if let Some(text) = text {
                    table.insert("password".into(), text.into());
                    report.note(
                        "the Elasticsearch password is written into transfer.toml: move it to \
                         password_file and chmod 600",
                    );
                }
            }
            "api_key" => {
                if let Some(text) = text {
                    // Logstash takes `id:key`; logpipe sends the base64 form.
                    let key = if text.contains(':') {
                        base64::engine::general_purpose::STANDARD.encode(text)
                    } else {
                        text.to_string()
                    };
                    table.insert("api_key".into(), key.into());
                }
            }
            "ssl_certificate_authorities" | "cacert" => {
                let cas: Vec<Value> = option
                    .value
                    .as_texts()
                    .unwrap_or_default()
                    .into_iter()
                    .map(Value::String)
                    .collect();
                table.insert("ssl_certificate_authorities".into(), Value::Array(cas));
            }
            "ssl_certificate_verification" => {
                if option.value.as_bool() == Some(false) {
                    table.insert("ssl_verification_mode".into(), "none".into());
                }
            }
            "data_stream" => match text {
                Some("true") => {
                    table.insert("data_stream".into(), true.into());
                }
                Some("false") => {}
                _ => report.note(format!(
                    "{file}:{} data_stream => auto: logpipe writes to indices unless data_stream = true",
                    option.line
                )),
            },
            "data_stream_sync_fields" | "data_stream_auto_routing" => {
                if let Some(b) = option.value.as_bool() {
                    table.insert(name.into(), b.into());
                }
            }
            "action" => match text {
                Some(a @ ("index" | "create")) => {
                    table.insert("action".into(), a.into());
                }
                _ => report.unmapped(
                    file,
                    option.line,
                    "elasticsearch.action",
                    "only index and create (logpipe never updates or deletes)",
                ),
            },
            "document_id" => report.note(format!(
                "{file}:{} document_id `{}` dropped: logpipe's _id is the event's event.id (or a hash of \
                 topic/partition/offset), which makes a replay overwrite instead of duplicate",
                option.line,
                text.unwrap_or("?")
            )),
            "manage_template" | "template" | "template_name" | "template_overwrite" | "ilm_enabled"
            | "ilm_rollover_alias" | "ilm_pattern" | "ilm_policy" => report.unmapped(
                file,
                option.line,
                format!("elasticsearch.{name}"),
                "templates and ILM are managed in Elasticsearch, not by logpipe",
            ),
            _ => report.unmapped(
                file,
                option.line,
                format!("elasticsearch.{name}"),
                "no logpipe equivalent",
            ),
        }
    }
    if table.contains_key("data_stream") {
        table.remove("index");
    }
    table
}
