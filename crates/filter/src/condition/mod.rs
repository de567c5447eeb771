//! Logstash's condition language (`if [log][level] == "DEBUG" and "x" in [tags]`), parsed once into an AST.
//!
//! Grammar (lowest precedence first; binary operators are left-associative):
//! ```text
//! condition := and_expr (("or" | "xor") and_expr)*
//! and_expr  := unary (("and" | "nand") unary)*
//! unary     := ("!" | "not") unary | "(" condition ")" | predicate
//! predicate := operand ( ("==" | "!=" | "<" | ">" | "<=" | ">=") operand
//!                      | ("=~" | "!~") (/regex/ | "string")
//!                      | "not"? "in" operand )?
//! operand   := [field][ref] | bare.field.path | "string" | 'string' | number | true | false
//!            | "[" (literal ("," literal)*)? "]"
//! ```
//! An operand alone tests that a field exists and is neither `null` nor `false` (Logstash's truthiness).
//! Logstash ranks `and` above `or` and defines no rank for `nand`/`xor`; here `nand` ranks with `and` and
//! `xor` with `or`. `not` is accepted as a spelling of `!`, and `log.level` as one of `[log][level]`.
//! Printing an AST (`Display`) gives a text that parses back to the same AST.

mod eval;
mod lexer;
mod parser;

use crate::field_ref::FieldRef;
use crate::regex::Regex;
use serde_json::Value;
use std::fmt;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Xor(Box<Condition>, Box<Condition>),
    Nand(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    Compare {
        left: Operand,
        op: CompareOp,
        right: Operand,
    },
    /// `left =~ /regex/` (or `!~` when `negated`).
    Match {
        left: Operand,
        regex: Regex,
        negated: bool,
    },
    /// `item in collection` (or `not in` when `negated`).
    In {
        item: Operand,
        collection: Operand,
        negated: bool,
    },
    /// An operand alone: the field exists and is not `null` or `false`.
    Truthy(Operand),
}

/// A value in a condition: a field of the event or a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Field(FieldRef),
    /// A string, number, boolean or list of those.
    Value(Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

/// Why a text is not a condition; `position` is a byte offset into `input`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position} of `{input}`")]
pub struct ConditionError {
    pub input: String,
    pub position: usize,
    pub message: String,
}

impl Condition {
    /// Parses a condition.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let fail = |position: usize, message: String| ConditionError {
            input: text.to_string(),
            position,
            message,
        };
        let tokens = lexer::tokenize(text).map_err(|(pos, msg)| fail(pos, msg))?;
        parser::parse(&tokens, text.len()).map_err(|(pos, msg)| fail(pos, msg))
    }

    /// Evaluates the condition against an event.
    pub fn eval(&self, event: &crate::event::Event) -> bool {
        eval::eval(self, event.fields())
    }
}

impl std::str::FromStr for Condition {
    type Err = ConditionError;
    fn from_str(text: &str) -> Result<Condition, ConditionError> {
        Condition::parse(text)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Gt => ">",
            CompareOp::Le => "<=",
            CompareOp::Ge => ">=",
        })
    }
}

impl fmt::Display for Condition {
    /// Binary operators are fully parenthesized so the text reads back as the same tree.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::And(a, b) => write!(f, "({a} and {b})"),
            Condition::Or(a, b) => write!(f, "({a} or {b})"),
            Condition::Xor(a, b) => write!(f, "({a} xor {b})"),
            Condition::Nand(a, b) => write!(f, "({a} nand {b})"),
            Condition::Not(inner) => write!(f, "!({inner})"),
            Condition::Compare { left, op, right } => write!(f, "{left} {op} {right}"),
            Condition::Match {
                left,
                regex,
                negated,
            } => {
                write!(f, "{left} {} /", if *negated { "!~" } else { "=~" })?;
                write_regex(f, regex.as_str())?;
                f.write_str("/")
            }
            Condition::In {
                item,
                collection,
                negated,
            } => {
                let op = if *negated { "not in" } else { "in" };
                write!(f, "{item} {op} {collection}")
            }
            Condition::Truthy(operand) => write!(f, "{operand}"),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(field) => write!(f, "{field}"),
            Operand::Value(value) => write_literal(f, value),
        }
    }
}

fn write_literal(f: &mut fmt::Formatter<'_>, value: &Value) -> fmt::Result {
    match value {
        Value::String(text) => {
            f.write_str("\"")?;
            for c in text.chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    '\t' => f.write_str("\\t")?,
                    '\r' => f.write_str("\\r")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")
        }
        Value::Number(n) => match n.as_i64() {
            Some(i) => write!(f, "{i}"),
            // `{:?}` keeps a decimal point or exponent, so it reads back as a float.
            None => write!(f, "{:?}", n.as_f64().unwrap_or(0.0)),
        },
        Value::Array(items) => {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_literal(f, item)?;
            }
            f.write_str("]")
        }
        other => write!(f, "{other}"),
    }
}

/// Writes a regex source between slashes: `/` is escaped, escape pairs are kept as they are.
fn write_regex(f: &mut fmt::Formatter<'_>, source: &str) -> fmt::Result {
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '/' => f.write_str("\\/")?,
            '\\' => {
                f.write_str("\\")?;
                if let Some(next) = chars.next() {
                    write!(f, "{next}")?;
                }
            }
            c => write!(f, "{c}")?,
        }
    }
    Ok(())
}
