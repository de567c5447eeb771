//! Logstash's pipeline configuration language, parsed into a tree: `input`, `filter` and `output` sections
//! of plugins (`name { option => value … }`) and conditionals (`if COND { … } else if COND { … } else { …
//! }`). Values are strings (`"…"`, `'…'`), numbers, barewords, arrays (`[a, b]`) and hashes (`{ k => v …
//! }`); `#` starts a comment. Conditions are kept as written (logpipe's filter conditions use Logstash's
//! syntax). Every plugin and option carries its line for the import report.

use std::fmt;

/// A value of a plugin option.
#[derive(Debug, Clone, PartialEq)]
pub enum LsValue {
    String(String),
    Number(String),
    Bareword(String),
    Array(Vec<LsValue>),
    Hash(Vec<(String, LsValue)>),
    /// A plugin as a value: `codec => multiline { … }`.
    Plugin(Box<Plugin>),
}

impl LsValue {
    /// The text of a string, number or bareword.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            LsValue::String(s) | LsValue::Number(s) | LsValue::Bareword(s) => Some(s),
            _ => None,
        }
    }

    /// A list of texts: an array of them, or one text.
    pub fn as_texts(&self) -> Option<Vec<String>> {
        match self {
            LsValue::Array(items) => items
                .iter()
                .map(|v| v.as_text().map(str::to_string))
                .collect(),
            other => other.as_text().map(|t| vec![t.to_string()]),
        }
    }

    /// `true` / `false`, as a string or bareword.
    pub fn as_bool(&self) -> Option<bool> {
        match self.as_text()? {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }
}

/// One option of a plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct LsOption {
    pub name: String,
    pub value: LsValue,
    pub line: usize,
}

/// One plugin: `name { options }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Plugin {
    pub name: String,
    pub line: usize,
    pub options: Vec<LsOption>,
}

impl Plugin {
    /// The value of option `name` (the last one, as Logstash takes it).
    pub fn option(&self, name: &str) -> Option<&LsValue> {
        self.options
            .iter()
            .rev()
            .find(|o| o.name == name)
            .map(|o| &o.value)
    }
}

/// A plugin or a conditional.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Plugin(Plugin),
    /// `if` / `else if` branches with their conditions, then an optional `else` (condition `None`).
    Conditional {
        line: usize,
        branches: Vec<(Option<String>, Vec<Node>)>,
    },
}

/// `input`, `filter` or `output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Input,
    Filter,
    Output,
}

/// The sections of one file, in order (a kind may repeat; Logstash concatenates them).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pipeline {
    pub sections: Vec<(SectionKind, Vec<Node>)>,
}

impl Pipeline {
    /// Every node of sections of `kind`, in order.
    pub fn nodes(&self, kind: SectionKind) -> impl Iterator<Item = &Node> {
        self.sections
            .iter()
            .filter(move |(k, _)| *k == kind)
            .flat_map(|(_, nodes)| nodes)
    }
}

/// Where and why the text is not a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for SyntaxError {}

/// Parses a pipeline file.
pub fn parse(text: &str) -> Result<Pipeline, SyntaxError> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        line: 1,
    };
    let mut pipeline = Pipeline::default();
    loop {
        p.skip_blank();
        if p.at_end() {
            return Ok(pipeline);
        }
        let line = p.line;
        let name = p.word()?;
        let kind = match name.as_str() {
            "input" => SectionKind::Input,
            "filter" => SectionKind::Filter,
            "output" => SectionKind::Output,
            other => {
                return Err(SyntaxError {
                    line,
                    message: format!("expected input, filter or output, found `{other}`"),
                })
            }
        };
        p.expect(b'{')?;
        let nodes = p.nodes()?;
        pipeline.sections.push((kind, nodes));
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    fn error<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            line: self.line,
            message: message.into(),
        })
    }

    /// Skips whitespace and comments.
    fn skip_blank(&mut self) {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.bump();
            } else if b == b'#' {
                while let Some(c) = self.peek() {
                    if c == b'\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, want: u8) -> Result<(), SyntaxError> {
        self.skip_blank();
        match self.peek() {
            Some(b) if b == want => {
                self.bump();
                Ok(())
            }
            Some(b) => self.error(format!(
                "expected `{}`, found `{}`",
                want as char, b as char
            )),
            None => self.error(format!("expected `{}`, found the end", want as char)),
        }
    }

    fn is_word_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@')
    }

    /// A bareword (plugin, option or section name).
    fn word(&mut self) -> Result<String, SyntaxError> {
        self.skip_blank();
        let start = self.pos;
        while self.peek().is_some_and(Self::is_word_byte) {
            self.bump();
        }
        if start == self.pos {
            return match self.peek() {
                Some(b) => self.error(format!("expected a name, found `{}`", b as char)),
                None => self.error("expected a name, found the end"),
            };
        }
        Ok(self.text[start..self.pos].to_string())
    }

    /// Nodes up to and including the closing `}`.
    fn nodes(&mut self) -> Result<Vec<Node>, SyntaxError> {
        let mut nodes = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                Some(b'}') => {
                    self.bump();
                    return Ok(nodes);
                }
                None => return self.error("a `{` is never closed"),
                _ => {}
            }
            let line = self.line;
            let name = self.word()?;
            if name == "if" {
                nodes.push(self.conditional(line)?);
            } else {
                self.expect(b'{')?;
                let options = self.options()?;
                nodes.push(Node::Plugin(Plugin {
                    name,
                    line,
                    options,
                }));
            }
        }
    }

    fn conditional(&mut self, line: usize) -> Result<Node, SyntaxError> {
        let mut branches = vec![(Some(self.condition()?), self.nodes()?)];
        loop {
            let save = (self.pos, self.line);
            self.skip_blank();
            let start = self.pos;
            while self.peek().is_some_and(Self::is_word_byte) {
                self.bump();
            }
            if &self.text[start..self.pos] != "else" {
                (self.pos, self.line) = save;
                break;
            }
            self.skip_blank();
            let after_else = (self.pos, self.line);
            let start = self.pos;
            while self.peek().is_some_and(Self::is_word_byte) {
                self.bump();
            }
            if &self.text[start..self.pos] == "if" {
                branches.push((Some(self.condition()?), self.nodes()?));
            } else {
                (self.pos, self.line) = after_else;
                self.expect(b'{')?;
                branches.push((None, self.nodes()?));
                break;
            }
        }
        Ok(Node::Conditional { line, branches })
    }

    /// A condition's text up to its `{` (which is consumed); strings, regexes and brackets are skipped
    /// whole.
    fn condition(&mut self) -> Result<String, SyntaxError> {
        self.skip_blank();
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return self.error("a condition without its `{`"),
                Some(b'{') if depth == 0 => {
                    let text = self.text[start..self.pos].trim().to_string();
                    self.bump();
                    if text.is_empty() {
                        return self.error("an empty condition");
                    }
                    return Ok(text);
                }
                Some(b'[' | b'(') => {
                    depth += 1;
                    self.bump();
                }
                Some(b']' | b')') => {
                    depth = depth.saturating_sub(1);
                    self.bump();
                }
                Some(quote @ (b'"' | b'\'' | b'/')) => {
                    // A `/` starts a regex only after `=~` / `!~`; elsewhere it is kept as is.
                    let regex_context = self.text[start..self.pos].trim_end().ends_with('~');
                    if quote == b'/' && !regex_context {
                        self.bump();
                        continue;
                    }
                    self.bump();
                    self.quoted_tail(quote)?;
                }
                Some(_) => {
                    self.bump();
                }
            }
        }
    }

    /// After an opening quote: up to the closing one (backslash escapes skipped); the raw inside.
    fn quoted_tail(&mut self, quote: u8) -> Result<String, SyntaxError> {
        let start = self.pos;
        loop {
            match self.bump() {
                None => return self.error("a string is never closed"),
                Some(b'\\') => {
                    self.bump();
                }
                Some(b) if b == quote => return Ok(self.text[start..self.pos - 1].to_string()),
                Some(_) => {}
            }
        }
    }

    /// Options up to and including the closing `}`.
    fn options(&mut self) -> Result<Vec<LsOption>, SyntaxError> {
        let mut options = Vec::new();
        loop {
            self.skip_blank();
            if self.peek() == Some(b'}') {
                self.bump();
                return Ok(options);
            }
            if self.at_end() {
                return self.error("a plugin's `{` is never closed");
            }
            let line = self.line;
            let name = match self.peek() {
                Some(q @ (b'"' | b'\'')) => {
                    self.bump();
                    self.quoted_tail(q)?
                }
                _ => self.word()?,
            };
            self.arrow()?;
            let value = self.value()?;
            options.push(LsOption { name, value, line });
        }
    }

    fn arrow(&mut self) -> Result<(), SyntaxError> {
        self.skip_blank();
        if self.bytes[self.pos..].starts_with(b"=>") {
            self.pos += 2;
            Ok(())
        } else {
            self.error("expected `=>`")
        }
    }

    fn value(&mut self) -> Result<LsValue, SyntaxError> {
        self.skip_blank();
        match self.peek() {
            Some(q @ (b'"' | b'\'')) => {
                self.bump();
                let raw = self.quoted_tail(q)?;
                Ok(LsValue::String(unescape(&raw, q)))
            }
            Some(b'[') => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    self.skip_blank();
                    match self.peek() {
                        Some(b']') => {
                            self.bump();
                            return Ok(LsValue::Array(items));
                        }
                        Some(b',') => {
                            self.bump();
                        }
                        None => return self.error("an array is never closed"),
                        _ => items.push(self.value()?),
                    }
                }
            }
            Some(b'{') => {
                self.bump();
                let mut entries = Vec::new();
                loop {
                    self.skip_blank();
                    match self.peek() {
                        Some(b'}') => {
                            self.bump();
                            return Ok(LsValue::Hash(entries));
                        }
                        Some(b',') => {
                            self.bump();
                        }
                        None => return self.error("a hash is never closed"),
                        _ => {
                            let key = match self.value()? {
                                LsValue::String(s) | LsValue::Number(s) | LsValue::Bareword(s) => s,
                                _ => return self.error("a hash key must be a string or a name"),
                            };
                            self.arrow()?;
                            entries.push((key, self.value()?));
                        }
                    }
                }
            }
            Some(b) if b == b'-' || b.is_ascii_digit() => {
                let word = self.word()?;
                if word.parse::<f64>().is_ok() {
                    Ok(LsValue::Number(word))
                } else {
                    Ok(LsValue::Bareword(word))
                }
            }
            Some(_) => {
                let line = self.line;
                let word = self.word()?;
                let save = (self.pos, self.line);
                self.skip_blank();
                if self.peek() == Some(b'{') {
                    self.bump();
                    let options = self.options()?;
                    return Ok(LsValue::Plugin(Box::new(Plugin {
                        name: word,
                        line,
                        options,
                    })));
                }
                (self.pos, self.line) = save;
                Ok(LsValue::Bareword(word))
            }
            None => self.error("expected a value, found the end"),
        }
    }
}

/// Logstash's string escapes (with `config.support_escapes`): `\"`, `\'`, `\\`, `\n`, `\t`, `\r`. Other
/// backslashes (regexes) are kept.
fn unescape(raw: &str, quote: u8) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some(q) if q as u32 == u32::from(quote) => {
                out.push(q);
                chars.next();
            }
            _ => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPER: &str = r#"
# a shipper
input {
  file {
    path => ["/var/log/app/*.log", "/var/log/app/*.txt"]
    exclude => "*.gz"
    start_position => "beginning"
    codec => multiline { pattern => "^\s" negate => false what => "previous" }
  }
}
filter {
  if [message] =~ /^DEBUG/ or "x" in [tags] {
    drop { }
  } else if [level] == "warn" {
    mutate { add_field => { "alert" => true "team" => 'ops' } }
  } else {
    json { source => "message" }
  }
}
output { kafka { bootstrap_servers => "k1:9092,k2:9092" topic_id => "app_log" codec => json acks => 1 } }
"#;

    #[test]
    fn a_shipper_parses_with_lines_and_conditionals() {
        let p = parse(SHIPPER).expect("parses");
        assert_eq!(p.sections.len(), 3);
        let Node::Plugin(file) = p.nodes(SectionKind::Input).next().expect("file") else {
            panic!("a plugin")
        };
        assert_eq!(file.name, "file");
        assert_eq!(file.line, 4);
        assert_eq!(
            file.option("path").and_then(LsValue::as_texts),
            Some(vec![
                "/var/log/app/*.log".into(),
                "/var/log/app/*.txt".into()
            ])
        );
        let Some(LsValue::Plugin(codec)) = file.option("codec") else {
            panic!("codec plugin")
        };
        assert_eq!(codec.name, "multiline");
        assert_eq!(
            codec.option("pattern"),
            Some(&LsValue::String("^\\s".into()))
        );
        let Node::Conditional { branches, line } = p.nodes(SectionKind::Filter).next().expect("if")
        else {
            panic!("a conditional")
        };
        assert_eq!(*line, 12);
        assert_eq!(branches.len(), 3);
        assert_eq!(
            branches[0].0.as_deref(),
            Some(r#"[message] =~ /^DEBUG/ or "x" in [tags]"#)
        );
        assert_eq!(branches[1].0.as_deref(), Some(r#"[level] == "warn""#));
        assert_eq!(branches[2].0, None);
        let Node::Plugin(kafka) = p.nodes(SectionKind::Output).next().expect("kafka") else {
            panic!("a plugin")
        };
        assert_eq!(kafka.option("acks"), Some(&LsValue::Number("1".into())));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("input {\n  file {\n    path => \n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = parse("inputs { }").unwrap_err();
        assert!(
            e.message.contains("expected input, filter or output"),
            "{e}"
        );
        let e = parse("filter {\n if [a] == \"x { }\n}").unwrap_err();
        assert!(
            e.message.contains("never closed") || e.message.contains("condition"),
            "{e}"
        );
    }
}
