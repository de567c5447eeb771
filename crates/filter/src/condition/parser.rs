//! Tokens → `Condition`, by recursive descent (see the grammar in `condition/mod.rs`).

use super::lexer::{Tok, Token};
use super::{Condition, Operand};
use crate::regex::Regex;
use serde_json::Value;

type ParseError = (usize, String);

/// Deepest nesting of parentheses and negations accepted (keeps the stack bounded on hostile input).
const MAX_DEPTH: usize = 128;

pub(super) fn parse(tokens: &[Token], end: usize) -> Result<Condition, ParseError> {
    let mut parser = Parser {
        tokens,
        at: 0,
        end,
        depth: 0,
    };
    if tokens.is_empty() {
        return Err((0, "the condition is empty".into()));
    }
    let condition = parser.or_expr()?;
    match parser.peek() {
        None => Ok(condition),
        Some(token) => Err((token.pos, format!("unexpected {}", describe(&token.tok)))),
    }
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    end: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn next(&mut self) -> Option<&Token> {
        let token = self.tokens.get(self.at);
        self.at += 1;
        token
    }

    fn position(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }

    fn or_expr(&mut self) -> Result<Condition, ParseError> {
        let mut left = self.and_expr()?;
        while let Some(Tok::Keyword(op @ ("or" | "xor"))) = self.peek_tok() {
            let op = *op;
            self.at += 1;
            let right = Box::new(self.and_expr()?);
            left = if op == "or" {
                Condition::Or(Box::new(left), right)
            } else {
                Condition::Xor(Box::new(left), right)
            };
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Condition, ParseError> {
        let mut left = self.unary()?;
        while let Some(Tok::Keyword(op @ ("and" | "nand"))) = self.peek_tok() {
            let op = *op;
            self.at += 1;
            let right = Box::new(self.unary()?);
            left = if op == "and" {
                Condition::And(Box::new(left), right)
            } else {
                Condition::Nand(Box::new(left), right)
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Condition, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err((self.position(), format!("nesting deeper than {MAX_DEPTH}")));
        }
        let result = match self.peek_tok() {
            Some(Tok::Bang | Tok::Keyword("not")) => {
                self.at += 1;
                self.unary().map(|inner| Condition::Not(Box::new(inner)))
            }
            Some(Tok::ParenOpen) => {
                let open = self.position();
                self.at += 1;
                let inner = self.or_expr()?;
                match self.next() {
                    Some(Token {
                        tok: Tok::ParenClose,
                        ..
                    }) => Ok(inner),
                    _ => Err((open, "this `(` is not closed".into())),
                }
            }
            _ => self.predicate(),
        };
        self.depth -= 1;
        result
    }

    fn predicate(&mut self) -> Result<Condition, ParseError> {
        let left = self.operand()?;
        match self.peek_tok() {
            Some(Tok::Compare(op)) => {
                let op = *op;
                self.at += 1;
                let right = self.operand()?;
                Ok(Condition::Compare { left, op, right })
            }
            Some(Tok::Match | Tok::NotMatch) => {
                let negated = matches!(self.peek_tok(), Some(Tok::NotMatch));
                self.at += 1;
                let position = self.position();
                let source = match self.next().map(|t| &t.tok) {
                    Some(Tok::Regex(source) | Tok::Str(source)) => source.clone(),
                    _ => return Err((position, "`=~` and `!~` take a /regex/ or a string".into())),
                };
                let regex = Regex::new(&source)
                    .map_err(|e| (position, format!("bad regular expression /{source}/: {e}")))?;
                Ok(Condition::Match {
                    left,
                    regex,
                    negated,
                })
            }
            Some(Tok::Keyword("in")) => {
                self.at += 1;
                let collection = self.operand()?;
                Ok(Condition::In {
                    item: left,
                    collection,
                    negated: false,
                })
            }
            Some(Tok::Keyword("not"))
                if matches!(
                    self.tokens.get(self.at + 1).map(|t| &t.tok),
                    Some(Tok::Keyword("in"))
                ) =>
            {
                self.at += 2;
                let collection = self.operand()?;
                Ok(Condition::In {
                    item: left,
                    collection,
                    negated: true,
                })
            }
            _ => Ok(Condition::Truthy(left)),
        }
    }

    fn operand(&mut self) -> Result<Operand, ParseError> {
        let position = self.position();
        let Some(token) = self.next() else {
            return Err((
                position,
                "the condition ends where a value is expected".into(),
            ));
        };
        match &token.tok {
            Tok::Field(field) => Ok(Operand::Field(field.clone())),
            Tok::ListOpen => self.list().map(Operand::Value),
            tok => literal(tok).map(Operand::Value).ok_or((
                position,
                format!("expected a value, found {}", describe(tok)),
            )),
        }
    }

    /// The rest of a list literal after its `[`.
    fn list(&mut self) -> Result<Value, ParseError> {
        let mut items = Vec::new();
        if matches!(self.peek_tok(), Some(Tok::ListClose)) {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            let position = self.position();
            let item = self
                .next()
                .filter(|t| matches!(t.tok, Tok::Str(_) | Tok::Int(_) | Tok::Float(_)))
                .and_then(|t| literal(&t.tok))
                .ok_or((
                    position,
                    "a list holds quoted strings or numbers".to_string(),
                ))?;
            items.push(item);
            let position = self.position();
            match self.next().map(|t| &t.tok) {
                Some(Tok::Comma) => continue,
                Some(Tok::ListClose) => return Ok(Value::Array(items)),
                _ => return Err((position, "expected `,` or `]` in the list".into())),
            }
        }
    }
}

fn literal(tok: &Tok) -> Option<Value> {
    match tok {
        Tok::Str(text) => Some(Value::String(text.clone())),
        Tok::Int(value) => Some(Value::from(*value)),
        Tok::Float(value) => serde_json::Number::from_f64(*value).map(Value::Number),
        Tok::Keyword("true") => Some(Value::Bool(true)),
        Tok::Keyword("false") => Some(Value::Bool(false)),
        _ => None,
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Str(text) => format!("string \"{text}\""),
        Tok::Int(value) => format!("number {value}"),
        Tok::Float(value) => format!("number {value}"),
        Tok::Regex(source) => format!("regex /{source}/"),
        Tok::Field(field) => format!("field {field}"),
        Tok::Keyword(word) => format!("`{word}`"),
        Tok::ListOpen => "`[`".into(),
        Tok::ListClose => "`]`".into(),
        Tok::Comma => "`,`".into(),
        Tok::ParenOpen => "`(`".into(),
        Tok::ParenClose => "`)`".into(),
        Tok::Compare(op) => format!("`{op}`"),
        Tok::Match => "`=~`".into(),
        Tok::NotMatch => "`!~`".into(),
        Tok::Bang => "`!`".into(),
    }
}
