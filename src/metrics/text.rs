//! Writing the Prometheus text exposition format (version 0.0.4).
//!
//! Each metric family is written once with its `# HELP` and `# TYPE` lines followed by its samples; names
//! follow Prometheus conventions (`_total` for counters, base units in the name: `_bytes`, `_seconds`).

use std::fmt::Write;

/// A page of metrics being written.
#[derive(Debug, Default)]
pub struct MetricsText {
    out: String,
}

impl MetricsText {
    pub fn new() -> MetricsText {
        MetricsText::default()
    }

    /// A counter without labels.
    pub fn counter(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, help, "counter", &[(Vec::new(), value)]);
    }

    /// A gauge without labels.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, help, "gauge", &[(Vec::new(), value)]);
    }

    /// A family of samples, each with its labels; written even when empty (HELP and TYPE only).
    pub fn family(
        &mut self,
        name: &str,
        help: &str,
        kind: &str,
        samples: &[(Vec<(&str, String)>, f64)],
    ) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            self.out.push_str(name);
            if !labels.is_empty() {
                self.out.push('{');
                for (i, (label, v)) in labels.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    let _ = write!(self.out, "{label}=\"{}\"", escape_label(v));
                }
                self.out.push('}');
            }
            let _ = writeln!(self.out, " {}", format_value(*value));
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn format_value(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_help_type_and_escaped_labels() {
        let mut m = MetricsText::new();
        m.counter("x_total", "Things.", 3.0);
        m.family(
            "lag_bytes",
            "Lag.",
            "gauge",
            &[(vec![("path", "/a\"b\\c".to_string())], 1.5)],
        );
        let text = m.finish();
        assert!(text.contains("# HELP x_total Things.\n# TYPE x_total counter\nx_total 3\n"));
        assert!(
            text.contains("lag_bytes{path=\"/a\\\"b\\\\c\"} 1.5\n"),
            "{text}"
        );
    }
}
